import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveUser, resolveInRoot } from '../../src/engine/spec';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'bin:x:1:1:bin:/bin:/sbin/nologin',
  'alice:x:1000:1001:Alice:/home/alice:/bin/sh',
  '# a comment',
  'broken-line',
  '',
].join('\n');
const GROUP = [
  'root:x:0:',
  'wheel:x:10:alice',
  'staff:x:50:bob,alice',
  'alicegrp:x:1001:',
  'other:x:2000:',
].join('\n');

function makeRootfs(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-user-'));
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), PASSWD);
  fs.writeFileSync(path.join(dir, 'etc/group'), GROUP);
  return dir;
}

function withRootfs(fn: (root: string) => void): void {
  const root = makeRootfs();
  try { fn(root); } finally { fs.rmSync(root, { recursive: true, force: true }); }
}

test('empty user spec is root with only --group-add groups', () => withRootfs((root) => {
  assert.deepEqual(resolveUser(root, '', []).additionalGids, []);
  const u = resolveUser(root, '', ['10']);
  assert.equal(u.uid, 0);
  assert.equal(u.gid, 0);
  assert.deepEqual(u.additionalGids, [10]);
  assert.equal(u.home, '/root');
}));

test('user name: primary gid, then --group-add, then group memberships (podman order)', () => withRootfs((root) => {
  const u = resolveUser(root, 'alice', []);
  assert.deepEqual([u.uid, u.gid], [1000, 1001]);
  assert.deepEqual(u.additionalGids, [1001, 10, 50]);
  assert.equal(u.home, '/home/alice');
  assert.deepEqual(resolveUser(root, 'alice', ['2000']).additionalGids, [1001, 2000, 10, 50]);
  assert.deepEqual(resolveUser(root, 'root', []).additionalGids, [0]);
}));

test('numeric uid known in passwd behaves like its name', () => withRootfs((root) => {
  const u = resolveUser(root, '1000', []);
  assert.deepEqual([u.uid, u.gid, u.name], [1000, 1001, 'alice']);
  assert.deepEqual(u.additionalGids, [1001, 10, 50]);
}));

test('unknown numeric uid is allowed with gid 0 and home /', () => withRootfs((root) => {
  const u = resolveUser(root, '5000', []);
  assert.deepEqual([u.uid, u.gid, u.home], [5000, 0, '/']);
  assert.deepEqual(u.additionalGids, [0]);
}));

test('user:group forms use only the named group plus --group-add', () => withRootfs((root) => {
  let u = resolveUser(root, 'alice:other', []);
  assert.deepEqual([u.uid, u.gid, u.additionalGids], [1000, 2000, [2000]]);
  u = resolveUser(root, '0:2000', []);
  assert.deepEqual([u.uid, u.gid, u.additionalGids], [0, 2000, [2000]]);
  u = resolveUser(root, '1000:staff', ['wheel', '77']);
  assert.deepEqual([u.uid, u.gid, u.additionalGids], [1000, 50, [50, 10, 77]]);
  u = resolveUser(root, '4242:4343', []);
  assert.deepEqual([u.uid, u.gid, u.additionalGids], [4242, 4343, [4343]]);
}));

test('unknown names are errors worded as podman', () => withRootfs((root) => {
  assert.throws(() => resolveUser(root, 'bob', []), /^UsageError: unable to find user bob: no matching entries in passwd file$/);
  assert.throws(() => resolveUser(root, 'alice:nogroup', []), /unable to find group nogroup: no matching entries in group file/);
  // --group-add's wording is runc's, capitalised.
  assert.throws(() => resolveUser(root, '', ['nogroup']), /^GroupAddError: Unable to find group nogroup: no matching entries in group file$/);
}));

test('keep-groups is ignored in group-add', () => withRootfs((root) => {
  assert.deepEqual(resolveUser(root, '1000:1000', ['keep-groups']).additionalGids, [1000]);
}));

test('missing passwd/group files: numeric ok, names fail', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-user-'));
  try {
    assert.deepEqual(resolveUser(root, '123:456', []), { uid: 123, gid: 456, additionalGids: [456], addedGids: [], memberGids: [], home: '/', name: undefined });
    assert.equal(resolveUser(root, '', []).home, '/');
    assert.throws(() => resolveUser(root, 'alice', []), /unable to find user alice/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('an absolute /etc/passwd symlink is resolved inside the rootfs, never on the host', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-user-'));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-outside-'));
  try {
    fs.writeFileSync(path.join(outside, 'passwd'), 'evil:x:666:666::/:/bin/sh\n');
    fs.mkdirSync(path.join(root, 'etc'));
    fs.symlinkSync(path.join(outside, 'passwd'), path.join(root, 'etc/passwd'));
    assert.throws(() => resolveUser(root, 'evil', []), /unable to find user evil/);
    // The same absolute target, created inside the rootfs, is what gets read.
    fs.mkdirSync(path.join(root, outside), { recursive: true });
    fs.writeFileSync(path.join(root, outside, 'passwd'), 'good:x:777:778::/home/good:/bin/sh\n');
    assert.deepEqual([resolveUser(root, 'good', []).uid, resolveUser(root, 'good', []).gid], [777, 778]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('relative symlinks with .. cannot climb out of the rootfs', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-user-'));
  try {
    const root = path.join(parent, 'rootfs');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(parent, 'passwd'), 'evil:x:666:666::/:/bin/sh\n');
    fs.symlinkSync('../../../../../../passwd', path.join(root, 'etc/passwd'));
    assert.equal(resolveInRoot(root, '/etc/passwd'), path.join(root, 'passwd'));
    assert.throws(() => resolveUser(root, 'evil', []), /unable to find user evil/);
    // A symlinked /etc directory is followed within the rootfs.
    fs.rmSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'real-etc'));
    fs.writeFileSync(path.join(root, 'real-etc/passwd'), PASSWD);
    fs.symlinkSync('/real-etc', path.join(root, 'etc'));
    assert.equal(resolveUser(root, 'alice', []).uid, 1000);
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

test('resolveInRoot handles symlink loops', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-user-'));
  try {
    fs.symlinkSync('/b', path.join(root, 'a'));
    fs.symlinkSync('/a', path.join(root, 'b'));
    assert.throws(() => resolveInRoot(root, '/a/x'), /too many levels of symbolic links/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

// podman 4.3's supplementary groups (compared with `podman run ... grep Groups /proc/self/status`
// and its config.json): the primary gid only when a user is given, --group-add, then (unless the
// spec names a group) the groups that list the user.
const WHEEL_ROOT_GROUP = GROUP.replace('wheel:x:10:alice', 'wheel:x:10:root,alice');

test('default user (empty spec): root without its primary gid, only the groups listing root', () => withRootfs((root) => {
  fs.writeFileSync(path.join(root, 'etc/group'), WHEEL_ROOT_GROUP);
  let u = resolveUser(root, '', []);
  assert.deepEqual([u.uid, u.gid, u.additionalGids, u.memberGids], [0, 0, [10], [10]]);
  u = resolveUser(root, '', ['2000']);
  assert.deepEqual(u.additionalGids, [2000, 10]);
  assert.deepEqual(u.addedGids, [2000]);
  // -u 0 / -u root name the user: the primary gid comes first.
  assert.deepEqual(resolveUser(root, '0', []).additionalGids, [0, 10]);
  assert.deepEqual(resolveUser(root, 'root', []).additionalGids, [0, 10]);
  // -u root:root names the group: no member groups.
  u = resolveUser(root, 'root:root', []);
  assert.deepEqual([u.additionalGids, u.memberGids], [[0], []]);
}));

test('-u UID: and -u :GID', () => withRootfs((root) => {
  // An empty group part is not a group: gid from passwd, no member groups in the process's list (the spec has a colon).
  let u = resolveUser(root, 'alice:', []);
  assert.deepEqual([u.uid, u.gid, u.additionalGids, u.memberGids], [1000, 1001, [1001], [10, 50]]);
  u = resolveUser(root, ':2000', []);
  assert.deepEqual([u.uid, u.gid, u.additionalGids, u.home], [0, 2000, [2000], '/root']);
}));

test('ids: runc\'s range and Atoi rules', () => withRootfs((root) => {
  assert.equal(resolveUser(root, '2147483647', []).uid, 2147483647);
  assert.throws(() => resolveUser(root, '2147483648', []), /^UsageError: uids and gids must be in range 0-2147483647$/);
  assert.throws(() => resolveUser(root, '-1', []), /^UsageError: uids and gids must be in range 0-2147483647$/);
  assert.throws(() => resolveUser(root, '5:2147483648', []), /uids and gids must be in range 0-2147483647/);
  // Too long for a 64-bit number: looked up as a name.
  assert.throws(() => resolveUser(root, '99999999999999999999', []), /^UsageError: unable to find user 99999999999999999999: no matching entries in passwd file$/);
  assert.throws(() => resolveUser(root, '', ['99999999999']), /^GroupAddError: uids and gids must be in range 0-2147483647$/);
  assert.throws(() => resolveUser(root, '', ['99999999999999999999']), /^GroupAddError: Unable to find group 99999999999999999999/);
  // A group given by name or gid: the same gid once.
  assert.deepEqual(resolveUser(root, '5000', ['staff', '50', 'wheel']).additionalGids, [0, 50, 10]);
}));

test('files mounted over /etc/passwd and /etc/group are read instead of the rootfs\'s', () => withRootfs((root) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-userfiles-'));
  try {
    fs.writeFileSync(path.join(dir, 'passwd'), 'carol:x:3000:3000:Carol:/home/carol:/bin/sh\n');
    fs.writeFileSync(path.join(dir, 'group'), 'carols:x:3000:\nteam:x:3100:carol\n');
    const u = resolveUser(root, 'carol', [], { passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group') });
    assert.deepEqual([u.uid, u.gid, u.home, u.additionalGids], [3000, 3000, '/home/carol', [3000, 3100]]);
    assert.throws(() => resolveUser(root, 'alice', [], { passwd: path.join(dir, 'passwd') }), /unable to find user alice/);
    // Only the passwd file overridden: groups still come from the rootfs.
    assert.deepEqual(resolveUser(root, 'carol', ['other'], { passwd: path.join(dir, 'passwd') }).additionalGids, [3000, 2000]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}));
