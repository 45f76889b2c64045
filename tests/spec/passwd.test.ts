// The /etc/passwd and /etc/group entries a container gets at start (--passwd, --passwd-entry,
// --hostuser). Expected lines are podman 4.3's, as seen in its containers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { groupAdditions, lookupHostUser, passwdAdditions, resolveContainerUser, setUpAccountFiles, userFileOverrides, type HostUser } from '../../src/engine/spec/passwd';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000:tester:/home/tester:/bin/sh\n';
const GROUP = 'root:x:0:\nwheel:x:10:root,tester\ntester:x:1000:\n';
const HOST_PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'list:x:38:38:Mailing List Manager,,,:/var/list:/usr/sbin/nologin',
  'cloud:x:1000:1000::/home/cloud:/bin/bash',
  '',
].join('\n');
const host = (n: string): HostUser => lookupHostUser(n, HOST_PASSWD);

function withRootfs(fn: (root: string, dir: string) => void, files: { passwd?: string; group?: string } = { passwd: PASSWD, group: GROUP }): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-passwd-'));
  const root = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  if (files.passwd !== undefined) fs.writeFileSync(path.join(root, 'etc/passwd'), files.passwd, { mode: 0o644 });
  if (files.group !== undefined) fs.writeFileSync(path.join(root, 'etc/group'), files.group, { mode: 0o644 });
  fs.mkdirSync(path.join(dir, 'userdata'));
  try { fn(root, dir); } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

test('a numeric user without an entry gets "container user" with the workdir as home; its group is the user part', () => withRootfs((root) => {
  const base = { rootfs: root, workdir: '/' };
  assert.deepEqual(passwdAdditions({ ...base, user: '1234' }), { text: '1234:*:1234:0:container user:/:/bin/sh\n', home: undefined });
  assert.equal(groupAdditions({ rootfs: root, user: '1234' }), '1234:x:1234:1234\n');
  assert.equal(passwdAdditions({ ...base, user: '1234:5678', workdir: '/data' }).text, '1234:*:1234:5678:container user:/data:/bin/sh\n');
  assert.equal(groupAdditions({ rootfs: root, user: '1234:5678' }), '5678:x:5678:1234\n');
  // A named group: its gid in the passwd entry, no group entry.
  assert.equal(passwdAdditions({ ...base, user: '1234:tester' }).text, '1234:*:1234:1000:container user:/:/bin/sh\n');
  assert.equal(groupAdditions({ rootfs: root, user: '1234:tester' }), '');
  // Known uid: only a missing numeric group is added (podman: 5678:x:5678:0).
  assert.equal(passwdAdditions({ ...base, user: '0:5678' }).text, '');
  assert.equal(groupAdditions({ rootfs: root, user: '0:5678' }), '5678:x:5678:0\n');
  assert.equal(groupAdditions({ rootfs: root, user: ':5' }), '5:x:5:\n');
  assert.equal(groupAdditions({ rootfs: root, user: '1000' }), '');
  // Names, the default user, an empty group part: nothing.
  for (const user of ['tester', '', 'tester:wheel']) {
    assert.equal(passwdAdditions({ ...base, user }).text, '', user);
    assert.equal(groupAdditions({ rootfs: root, user }), '', user);
  }
  assert.equal(groupAdditions({ rootfs: root, user: '5:' }), '');
}));

test('--passwd-entry fills $USERNAME $UID $GID $NAME $HOME and leaves other $words', () => withRootfs((root) => {
  const t = passwdAdditions({ rootfs: root, user: '1234:5', workdir: '/tmp', passwdEntry: 'U=$USERNAME:$UID:$GID:$NAME:$HOME:$FOO:$UID' });
  assert.equal(t.text, 'U=1234:1234:5:container user:/tmp:$FOO:1234\n');
  const h = passwdAdditions({ rootfs: root, user: '', workdir: '/', hostUsers: ['daemon'], lookupHost: host, passwdEntry: '$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false' });
  assert.equal(h.text, 'daemon:x:1:1:daemon:/:/bin/false\n');
  // Without a user to add, the template adds nothing.
  assert.equal(passwdAdditions({ rootfs: root, user: '', workdir: '/', passwdEntry: 'X:$UID' }).text, '');
}));

test('--hostuser: host accounts the container lacks, home kept only when mounted, HOME from the first', () => withRootfs((root) => {
  const base = { rootfs: root, user: '', workdir: '/', lookupHost: host };
  let r = passwdAdditions({ ...base, hostUsers: ['daemon', '38'] });
  assert.equal(r.text, 'daemon:*:1:1:daemon:/:/bin/sh\nlist:*:38:38:Mailing List Manager:/:/bin/sh\n');
  assert.equal(r.home, '/');
  // Known to the container by name (root) or by uid (cloud is uid 1000 = tester): skipped.
  assert.deepEqual(passwdAdditions({ ...base, hostUsers: ['root', 'cloud'] }), { text: '', home: undefined });
  // The home at or under a mount is kept; a named volume counts only at the home itself.
  r = passwdAdditions({ ...base, hostUsers: ['daemon'], mountDestinations: ['/proc', '/usr'] });
  assert.deepEqual(r, { text: 'daemon:*:1:1:daemon:/usr/sbin:/bin/sh\n', home: '/usr/sbin' });
  assert.equal(passwdAdditions({ ...base, hostUsers: ['list'], volumeDestinations: ['/var'] }).home, '/');
  assert.equal(passwdAdditions({ ...base, hostUsers: ['list'], volumeDestinations: ['/var/list/'] }).home, '/var/list');
  // A host user and a numeric user are both checked against the image's file (podman adds both).
  r = passwdAdditions({ ...base, user: '1', hostUsers: ['daemon'] });
  assert.equal(r.text, 'daemon:*:1:1:daemon:/:/bin/sh\n1:*:1:0:container user:/:/bin/sh\n');
  assert.throws(() => passwdAdditions({ ...base, hostUsers: ['nosuch'] }), /^PierError: user: unknown user nosuch$/);
}));

test('keep-id: the running user and its group, unless the image has them; its numeric user spec then adds nothing', () => withRootfs((root) => {
  const lookupGroup = (gid: number) => ({ name: gid === 1000 ? 'cloud' : 'list', gid });
  const o = { rootfs: root, workdir: '/', lookupHost: host, lookupGroup };
  // The image has uid 1000 (tester) and gid 1000: nothing added, not even for the 1000:1000 spec.
  assert.deepEqual(passwdAdditions({ ...o, user: '1000:1000', currentUser: { uid: 1000, gid: 1000 } }), { text: '', home: undefined });
  assert.equal(groupAdditions({ ...o, user: '1000:1000', currentUser: { uid: 1000, gid: 1000 } }), '');
  // Missing: added once (podman's lines), with HOME the workdir; -u 5 gets its own entries after.
  withRootfs((bare) => {
    const b = { ...o, rootfs: bare };
    assert.deepEqual(passwdAdditions({ ...b, user: '1000:1000', currentUser: { uid: 1000, gid: 1000 } }), { text: 'cloud:*:1000:1000::/:/bin/sh\n', home: '/' });
    assert.equal(groupAdditions({ ...b, user: '1000:1000', currentUser: { uid: 1000, gid: 1000 } }), 'cloud:x:1000:cloud\n');
    assert.equal(passwdAdditions({ ...b, user: '5', currentUser: { uid: 1000, gid: 38 } }).text, 'cloud:*:1000:1000::/:/bin/sh\n5:*:5:0:container user:/:/bin/sh\n');
    assert.equal(groupAdditions({ ...b, user: '5', currentUser: { uid: 1000, gid: 38 } }), 'list:x:38:cloud\n5:x:5:5\n');
  }, { passwd: PASSWD.split('\n')[0] + '\n', group: 'root:x:0:\n' });
}));

test('lookupHostUser: uid first, then name; GECOS up to its first comma', () => {
  assert.deepEqual(host('1'), { username: 'daemon', uid: 1, gid: 1, name: 'daemon', home: '/usr/sbin' });
  assert.deepEqual(host('list'), { username: 'list', uid: 38, gid: 38, name: 'Mailing List Manager', home: '/var/list' });
  assert.equal(host('0038').username, 'list');
  assert.throws(() => host('424242'), /^PierError: user: unknown user 424242$/);
  // The real host file: root is always there.
  assert.equal(lookupHostUser('0').username, 'root');
});

test('writable container: entries appended to its own files, created 0600 when missing', () => withRootfs((root, dir) => {
  const r = setUpAccountFiles({ id: 'c1', rootfs: root, userdata: path.join(dir, 'userdata'), readOnly: false, user: '1234', workdir: '/' });
  assert.deepEqual(r, { home: undefined });
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), PASSWD + '1234:*:1234:0:container user:/:/bin/sh\n');
  assert.equal(fs.readFileSync(path.join(root, 'etc/group'), 'utf8'), GROUP + '1234:x:1234:1234\n');
  assert.equal(fs.statSync(path.join(root, 'etc/passwd')).mode & 0o777, 0o644);
  // The next start finds the entries: nothing is added twice.
  setUpAccountFiles({ id: 'c1', rootfs: root, userdata: path.join(dir, 'userdata'), readOnly: false, user: '1234', workdir: '/' });
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), PASSWD + '1234:*:1234:0:container user:/:/bin/sh\n');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'userdata')), []);
}));

test('image without /etc/passwd and /etc/group: podman creates them 0600', () => withRootfs((root, dir) => {
  setUpAccountFiles({ id: 'c1', rootfs: root, userdata: path.join(dir, 'userdata'), readOnly: false, user: '0', workdir: '/' });
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), '0:*:0:0:container user:/:/bin/sh\n');
  assert.equal(fs.readFileSync(path.join(root, 'etc/group'), 'utf8'), '0:x:0:0\n');
  assert.equal(fs.statSync(path.join(root, 'etc/passwd')).mode & 0o777, 0o600);
}, {}));

test('a symlinked /etc/passwd is followed inside the rootfs only', () => withRootfs((root, dir) => {
  const outside = path.join(dir, 'host-passwd');
  fs.writeFileSync(outside, 'host:x:0:0::/:/bin/sh\n');
  fs.rmSync(path.join(root, 'etc/passwd'));
  fs.symlinkSync(outside, path.join(root, 'etc/passwd'));
  setUpAccountFiles({ id: 'c1', rootfs: root, userdata: path.join(dir, 'userdata'), readOnly: false, user: '77', workdir: '/' });
  assert.equal(fs.readFileSync(outside, 'utf8'), 'host:x:0:0::/:/bin/sh\n');
  assert.equal(fs.readFileSync(path.join(root, outside), 'utf8'), '77:*:77:0:container user:/:/bin/sh\n');
}));

test('read-only container: copies with the entries in userdata, 0644, reused by later starts', () => withRootfs((root, dir) => {
  const userdata = path.join(dir, 'userdata');
  const o = { id: 'c1', rootfs: root, userdata, readOnly: true, user: '1234:5678', workdir: '/' };
  const r = setUpAccountFiles(o);
  assert.deepEqual(r, { passwd: path.join(userdata, 'passwd'), group: path.join(userdata, 'group'), home: undefined });
  assert.equal(fs.readFileSync(r.passwd!, 'utf8'), PASSWD + '1234:*:1234:5678:container user:/:/bin/sh\n');
  assert.equal(fs.readFileSync(r.group!, 'utf8'), GROUP + '5678:x:5678:1234\n');
  assert.equal(fs.statSync(r.passwd!).mode & 0o777, 0o644);
  // The image's files are untouched.
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), PASSWD);
  assert.equal(fs.readFileSync(path.join(root, 'etc/group'), 'utf8'), GROUP);
  fs.appendFileSync(r.passwd!, 'edited\n');
  assert.deepEqual(setUpAccountFiles(o), { passwd: r.passwd, group: r.group });
  assert.match(fs.readFileSync(r.passwd!, 'utf8'), /edited\n$/);
  // Nothing to add: no copies.
  const none = setUpAccountFiles({ ...o, user: 'tester', userdata: path.join(dir) });
  assert.deepEqual(none, { home: undefined });
}));

test('files the user mounted are left alone; the other one still gets its entry', () => withRootfs((root, dir) => {
  const r = setUpAccountFiles({
    id: 'c1', rootfs: root, userdata: path.join(dir, 'userdata'), readOnly: false, user: '4321', workdir: '/', userMounted: { passwd: true },
  });
  assert.deepEqual(r, {});
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), PASSWD);
  assert.equal(fs.readFileSync(path.join(root, 'etc/group'), 'utf8'), GROUP + '4321:x:4321:4321\n');
}));

test('--hostuser through setUpAccountFiles: HOME of the entry; an unknown account fails before anything is written', () => withRootfs((root, dir) => {
  const o = { id: 'c1', rootfs: root, userdata: path.join(dir, 'userdata'), readOnly: false, user: '', workdir: '/srv', lookupHost: host };
  assert.throws(() => setUpAccountFiles({ ...o, hostUsers: ['nosuch'] }), /unknown user nosuch/);
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), PASSWD);
  const r = setUpAccountFiles({ ...o, hostUsers: ['daemon'] });
  assert.deepEqual(r, { home: '/srv' });
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), PASSWD + 'daemon:*:1:1:daemon:/srv:/bin/sh\n');
  // Restart: the entry exists, HOME is no longer set from it (as podman).
  assert.deepEqual(setUpAccountFiles({ ...o, hostUsers: ['daemon'] }), { home: undefined });
}));

test('userFileOverrides: bind mounts at /etc/passwd, /etc/group or /etc, and a read-only container\'s passwd copy', () => withRootfs((_root, dir) => {
  const bind = (source: string, destination: string) => ({ type: 'bind', source, destination });
  assert.deepEqual(userFileOverrides([bind('/h/p', '/etc/passwd'), { type: 'volume', source: 'v', destination: '/etc/group' }]), { passwd: '/h/p' });
  assert.deepEqual(userFileOverrides([bind('/h/g', '/etc/group'), bind('/h/etc', '/etc/')]), { passwd: '/h/etc/passwd', group: '/h/g' });
  const userdata = path.join(dir, 'userdata');
  assert.deepEqual(userFileOverrides([], userdata), {});
  fs.writeFileSync(path.join(userdata, 'passwd'), '');
  fs.writeFileSync(path.join(userdata, 'group'), '');
  assert.deepEqual(userFileOverrides([], userdata), { passwd: path.join(userdata, 'passwd') });
}));

test('resolveContainerUser: a --hostuser named as the user comes from the host until the container knows it', () => withRootfs((root) => {
  assert.throws(() => resolveContainerUser(root, 'daemon', [], [], {}, host), /unable to find user daemon/);
  const u = resolveContainerUser(root, 'daemon', ['10'], ['daemon'], {}, host);
  assert.deepEqual([u.uid, u.gid, u.additionalGids, u.home, u.name], [1, 1, [1, 10], '/usr/sbin', 'daemon']);
  // Only the exact spec: daemon:tester is not a host user.
  assert.throws(() => resolveContainerUser(root, 'daemon:tester', [], ['daemon'], {}, host), /unable to find user daemon/);
  assert.throws(() => resolveContainerUser(root, 'daemon', ['nosuch'], ['daemon'], {}, host), /Unable to find group nosuch/);
  fs.appendFileSync(path.join(root, 'etc/passwd'), 'daemon:*:1:1:daemon:/:/bin/sh\n');
  assert.equal(resolveContainerUser(root, 'daemon', [], ['daemon'], {}, host).home, '/');
}));
