// The volume store (src/engine/volumes): records, mounts of driver-option volumes, copy-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  createVolume, getVolume, findVolume, listVolumes, removeVolume, mountVolume, unmountVolume, copyUpIfNeeded,
  isMountpoint, mountCall, VolumeInUseError, volumeForMount, mountContainerVolumes, unmountContainerVolumes, removeAnonymousVolumes,
} from '../../src/engine/volumes';
import { ConflictError, NotFoundError, UsageError } from '../../src/util/errors';
import { native } from '../../src/util/native';
import { tempRoots, mountsUnder } from './helpers';

test('create, get, list and remove; state kept in volume.json next to _data', async () => {
  const r = tempRoots();
  try {
    const a = createVolume(r, { name: 'alpha', labels: { k: 'v' } });
    assert.equal(a.name, 'alpha');
    assert.equal(a.driver, 'local');
    assert.equal(a.mountpoint, path.join(r.graphRoot, 'volumes', 'alpha', '_data'));
    assert.deepEqual(a.labels, { k: 'v' });
    assert.equal(a.anonymous, false);
    assert.equal(a.needsCopyUp, true);
    assert.equal(a.needsChown, true);
    assert.equal(a.mountCount, 0);
    assert.ok(Math.abs(a.createdAt - Date.now()) < 10_000);
    assert.ok(fs.statSync(a.mountpoint).isDirectory());
    assert.equal(fs.statSync(a.mountpoint).mode & 0o777, 0o755);
    const json = JSON.parse(fs.readFileSync(path.join(r.graphRoot, 'volumes', 'alpha', 'volume.json'), 'utf8'));
    assert.equal(json.name, 'alpha');
    assert.deepEqual(json.labels, { k: 'v' });

    const anon = createVolume(r, { anonymous: true });
    assert.match(anon.name, /^[0-9a-f]{64}$/);
    assert.equal(anon.anonymous, true);

    assert.throws(() => createVolume(r, { name: 'alpha' }), (e: unknown) =>
      e instanceof ConflictError && e.message === 'volume with name alpha already exists: volume already exists');
    assert.equal(createVolume(r, { name: 'alpha', ignoreIfExists: true }).createdAt, a.createdAt);
    assert.throws(() => createVolume(r, { name: 'bad/name' }), /names must match \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\]\*/);
    assert.throws(() => createVolume(r, { name: '.hidden' }), UsageError);
    assert.throws(() => createVolume(r, { name: 'x', driver: 'nfs-plugin' }), /volume x uses volume plugin nfs-plugin but it could not be retrieved/);
    assert.throws(() => createVolume(r, { name: 'x', options: { foo: 'bar' } }), /invalid mount option foo for driver 'local': invalid argument/);
    assert.throws(() => createVolume(r, { name: 'x', options: { o: 'size=10m' } }), /Project Quota/);

    assert.deepEqual(listVolumes(r).map((v) => v.name), [anon.name, 'alpha'].sort());
    assert.equal(getVolume(r, 'alpha').labels.k, 'v');
    assert.throws(() => getVolume(r, 'nope'), (e: unknown) => e instanceof NotFoundError && e.message === 'no volume with name "nope" found: no such volume');
    // Non-volume entries and leftovers are not volumes...
    fs.mkdirSync(path.join(r.graphRoot, 'volumes', 'bare', '_data'), { recursive: true });
    fs.writeFileSync(path.join(r.graphRoot, 'volumes', 'bare', '_data', 'old'), 'kept');
    assert.equal(findVolume(r, 'bare'), undefined);
    assert.equal(listVolumes(r).length, 2);
    // ...but a bare <name>/_data left by older versions is adopted when that name is asked for.
    const adopted = createVolume(r, { name: 'bare', ignoreIfExists: true });
    assert.equal(adopted.needsCopyUp, false);
    assert.equal(fs.readFileSync(path.join(adopted.mountpoint, 'old'), 'utf8'), 'kept');
    assert.equal(listVolumes(r).length, 3);
    fs.mkdirSync(path.join(r.graphRoot, 'volumes', 'junk', 'other'), { recursive: true });
    assert.throws(() => createVolume(r, { name: 'junk', ignoreIfExists: true }), ConflictError);
    await removeVolume(r, 'bare');

    fs.writeFileSync(path.join(a.mountpoint, 'f'), 'x');
    await removeVolume(r, 'alpha');
    assert.equal(findVolume(r, 'alpha'), undefined);
    assert.ok(!fs.existsSync(path.join(r.graphRoot, 'volumes', 'alpha')));
    await assert.rejects(removeVolume(r, 'alpha'), NotFoundError);
    assert.deepEqual(fs.readdirSync(path.join(r.graphRoot, 'volumes')).filter((n) => n.startsWith('.')), [], 'no staging or trash left');
  } finally {
    r.cleanup();
  }
});

test('uid/gid options own the volume and clear NeedsChown', () => {
  const r = tempRoots();
  try {
    const v = createVolume(r, { name: 'owned', options: { o: 'uid=1234,gid=99' } });
    assert.equal(v.uid, 1234);
    assert.equal(v.gid, 99);
    assert.equal(v.options.UID, '1234');
    assert.equal(v.needsChown, false);
    const st = fs.statSync(v.mountpoint);
    assert.equal(st.uid, 1234);
    assert.equal(st.gid, 99);
    assert.throws(() => createVolume(r, { name: 'bad', options: { o: 'uid=abc' } }), /strconv.Atoi/);
  } finally {
    r.cleanup();
  }
});

test('in-use volumes are refused unless forced', async () => {
  const r = tempRoots();
  try {
    createVolume(r, { name: 'busy' });
    const usedBy = (n: string) => (n === 'busy' ? ['c1', 'c2'] : []);
    await assert.rejects(removeVolume(r, 'busy', { usedBy }), (e: unknown) => e instanceof VolumeInUseError && e.exitCode === 2 &&
      e.message === 'volume busy is being used by the following container(s): c1, c2: volume is being used');
    assert.ok(findVolume(r, 'busy'));
    // Mounted by a user counts as in use as well.
    await mountVolume(r, 'busy', 'c9');
    await assert.rejects(removeVolume(r, 'busy'), VolumeInUseError);
    await removeVolume(r, 'busy', { usedBy, force: true });
    assert.equal(findVolume(r, 'busy'), undefined);
  } finally {
    r.cleanup();
  }
});

test('tmpfs volume: mounted by its first user, unmounted by its last', async () => {
  const r = tempRoots();
  try {
    const v = createVolume(r, { name: 'tv', options: { type: 'tmpfs', device: 'tmpfs', o: 'size=2m,mode=0750,nodev' } });
    assert.equal(isMountpoint(v.mountpoint), false);
    const p1 = await mountVolume(r, 'tv', 'c1');
    assert.equal(p1, v.mountpoint);
    const m = mountsUnder(v.mountpoint);
    assert.equal(m.length, 1);
    assert.equal(m[0].fstype, 'tmpfs');
    assert.equal(fs.statSync(v.mountpoint).mode & 0o777, 0o750);
    fs.writeFileSync(path.join(v.mountpoint, 'f'), 'data');
    await mountVolume(r, 'tv', 'c2');
    await mountVolume(r, 'tv', 'c2'); // idempotent per user
    assert.equal(getVolume(r, 'tv').mountCount, 2);
    assert.equal(mountsUnder(v.mountpoint).length, 1, 'mounted once');
    await unmountVolume(r, 'tv', 'c1');
    assert.ok(isMountpoint(v.mountpoint));
    assert.equal(fs.readFileSync(path.join(v.mountpoint, 'f'), 'utf8'), 'data');
    await unmountVolume(r, 'tv', 'c2');
    assert.equal(isMountpoint(v.mountpoint), false);
    assert.equal(getVolume(r, 'tv').mountCount, 0);
    assert.ok(!fs.existsSync(path.join(v.mountpoint, 'f')), 'the tmpfs content went with the mount');
    // Removing a mounted volume (forced) unmounts it first.
    await mountVolume(r, 'tv', 'c3');
    await removeVolume(r, 'tv', { force: true });
    assert.equal(mountsUnder(r.dir).length, 0);
    assert.equal(findVolume(r, 'tv'), undefined);
  } finally {
    r.cleanup();
  }
});

test('bind volume: host content visible, never deleted by a forced remove', async () => {
  const r = tempRoots();
  try {
    const host = path.join(r.dir, 'hostdir');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'keep'), 'precious');
    const v = createVolume(r, { name: 'bv', options: { type: 'none', device: host, o: 'bind,ro' } });
    assert.equal(mountCall(v).bind, true);
    await mountVolume(r, 'bv', 'c1');
    assert.equal(fs.readFileSync(path.join(v.mountpoint, 'keep'), 'utf8'), 'precious');
    assert.throws(() => fs.writeFileSync(path.join(v.mountpoint, 'new'), 'x'), /EROFS/);
    await removeVolume(r, 'bv', { force: true });
    assert.equal(fs.readFileSync(path.join(host, 'keep'), 'utf8'), 'precious');
    assert.equal(mountsUnder(r.dir).length, 0);
    assert.throws(() => createVolume(r, { name: 'rel', options: { device: 'relative/dir', o: 'bind' } }), /must be an absolute path/);
  } finally {
    r.cleanup();
  }
});

test('mount options: flags become mount flags, the rest mount data', () => {
  const c = native().constants;
  const m = mountCall({ options: { type: 'tmpfs', device: 'tmpfs', o: 'nodev,noexec,size=1m,uid=5,ro' } });
  assert.equal(m.fstype, 'tmpfs');
  assert.equal(m.source, 'tmpfs');
  assert.equal(m.flags, c.MS_NODEV | c.MS_NOEXEC | c.MS_RDONLY);
  assert.equal(m.data, 'size=1m,uid=5');
  assert.equal(mountCall({ options: { type: 'tmpfs' } }).source, 'tmpfs');
});

test('a failing mount leaves the volume unmounted and unused', async () => {
  const r = tempRoots();
  try {
    createVolume(r, { name: 'broken', options: { type: 'no-such-fs-type', device: 'x' } });
    await assert.rejects(mountVolume(r, 'broken', 'c1'), /mounting volume broken/);
    assert.equal(getVolume(r, 'broken').mountCount, 0);
    await removeVolume(r, 'broken');
  } finally {
    r.cleanup();
  }
});

/** A fake image root file system with content under /data. */
function makeRootfs(dir: string): string {
  const root = path.join(dir, 'rootfs');
  const data = path.join(root, 'data');
  fs.mkdirSync(path.join(data, 'sub', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(data, 'file.txt'), 'hello');
  fs.chownSync(path.join(data, 'file.txt'), 1000, 1001);
  fs.chmodSync(path.join(data, 'file.txt'), 0o640);
  fs.writeFileSync(path.join(data, 'suid'), '#!/bin/sh\n');
  fs.chownSync(path.join(data, 'suid'), 1000, 1000);
  fs.chmodSync(path.join(data, 'suid'), 0o4755);
  fs.chownSync(path.join(data, 'sub'), 5, 6);
  fs.chmodSync(path.join(data, 'sub'), 0o700);
  fs.writeFileSync(path.join(data, 'sub', 'deep', 'x'), 'deep');
  fs.linkSync(path.join(data, 'file.txt'), path.join(data, 'hardlink'));
  fs.symlinkSync('/etc/passwd', path.join(data, 'abs-link'));
  fs.symlinkSync('../../../../outside', path.join(data, 'rel-link'));
  native().mknod(path.join(data, 'fifo'), native().constants.S_IFIFO | 0o600, 0, 0);
  native().lsetxattr(path.join(data, 'file.txt'), 'user.pier.test', Buffer.from('xv'));
  fs.chownSync(data, 33, 44);
  fs.chmodSync(data, 0o751);
  const t = new Date('2020-01-02T03:04:05Z');
  fs.utimesSync(path.join(data, 'file.txt'), t, t);
  fs.utimesSync(path.join(data, 'sub'), t, t);
  return root;
}

test('copy-up fills a new volume from the image, keeping owners, modes, times, xattrs and links', async () => {
  const r = tempRoots();
  try {
    const rootfs = makeRootfs(r.dir);
    // The host has a file the relative link would reach if it were followed.
    fs.writeFileSync(path.join(r.dir, 'outside'), 'host secret');
    const v = createVolume(r, { name: 'cu' });
    await mountVolume(r, 'cu', 'c1');
    assert.equal(await copyUpIfNeeded(r, 'cu', rootfs, '/data', { uid: 7, gid: 8 }), true);
    const mp = v.mountpoint;
    const st = (p: string) => fs.lstatSync(path.join(mp, p));
    // The volume's root takes the mount point's owner and mode.
    assert.equal(fs.statSync(mp).uid, 33);
    assert.equal(fs.statSync(mp).gid, 44);
    assert.equal(fs.statSync(mp).mode & 0o7777, 0o751);
    assert.equal(fs.readFileSync(path.join(mp, 'file.txt'), 'utf8'), 'hello');
    assert.equal(st('file.txt').uid, 1000);
    assert.equal(st('file.txt').gid, 1001);
    assert.equal(st('file.txt').mode & 0o7777, 0o640);
    assert.equal(st('file.txt').mtime.toISOString(), '2020-01-02T03:04:05.000Z');
    assert.equal(st('suid').mode & 0o7777, 0o4755, 'setuid bit survives the chown');
    assert.equal(st('sub').uid, 5);
    assert.equal(st('sub').mode & 0o7777, 0o700);
    assert.equal(st('sub').mtime.toISOString(), '2020-01-02T03:04:05.000Z');
    assert.equal(fs.readFileSync(path.join(mp, 'sub', 'deep', 'x'), 'utf8'), 'deep');
    assert.equal(st('hardlink').ino, st('file.txt').ino, 'hard links stay linked');
    assert.ok(st('abs-link').isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(mp, 'abs-link')), '/etc/passwd');
    assert.ok(st('rel-link').isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(mp, 'rel-link')), '../../../../outside');
    assert.ok(st('fifo').isFIFO());
    assert.equal(native().lgetxattr(path.join(mp, 'file.txt'), 'user.pier.test')?.toString(), 'xv');

    const after = getVolume(r, 'cu');
    assert.equal(after.needsCopyUp, false);
    assert.equal(after.needsChown, false);
    // Only once: later content changes in the image are not copied again.
    fs.writeFileSync(path.join(rootfs, 'data', 'later'), 'x');
    fs.rmSync(path.join(mp, 'file.txt'));
    assert.equal(await copyUpIfNeeded(r, 'cu', rootfs, '/data'), false);
    assert.ok(!fs.existsSync(path.join(mp, 'later')));
    await unmountVolume(r, 'cu', 'c1');
  } finally {
    r.cleanup();
  }
});

test('copy-up never follows a mount point symlink out of the rootfs', async () => {
  const r = tempRoots();
  try {
    const rootfs = path.join(r.dir, 'rootfs');
    fs.mkdirSync(rootfs);
    const secret = path.join(r.dir, 'host-secret');
    fs.mkdirSync(secret);
    fs.writeFileSync(path.join(secret, 'secret.txt'), 'host data');
    // /data -> ../host-secret (escapes lexically) and /abs -> /opt/data (absolute: inside the root).
    fs.symlinkSync('../host-secret', path.join(rootfs, 'data'));
    fs.mkdirSync(path.join(rootfs, 'opt', 'data'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'opt', 'data', 'inside.txt'), 'image data');
    fs.symlinkSync('/opt/data', path.join(rootfs, 'abs'));
    const a = createVolume(r, { name: 'esc' });
    assert.equal(await copyUpIfNeeded(r, 'esc', rootfs, '/data'), false);
    assert.deepEqual(fs.readdirSync(a.mountpoint), []);
    // Nothing was copied: as podman, the volume still waits for its first copy-up.
    assert.equal(getVolume(r, 'esc').needsCopyUp, true);
    const b = createVolume(r, { name: 'abs' });
    assert.equal(await copyUpIfNeeded(r, 'abs', rootfs, '/abs'), true);
    assert.deepEqual(fs.readdirSync(b.mountpoint), ['inside.txt']);
  } finally {
    r.cleanup();
  }
});

test('copy-up skips non-empty volumes, nocopy volumes, empty and missing paths; NeedsCopyUp stays until a copy happens', async () => {
  const r = tempRoots();
  try {
    const rootfs = makeRootfs(r.dir);
    const full = createVolume(r, { name: 'full' });
    fs.writeFileSync(path.join(full.mountpoint, 'mine'), 'mine');
    assert.equal(await copyUpIfNeeded(r, 'full', rootfs, '/data'), false);
    assert.deepEqual(fs.readdirSync(full.mountpoint), ['mine']);
    assert.equal(getVolume(r, 'full').needsCopyUp, true);

    // podman: an empty mount point copies nothing and leaves NeedsCopyUp set (NeedsChown is
    // cleared by the first use); the next container with content there fills the volume.
    fs.mkdirSync(path.join(rootfs, 'empty'));
    const later = createVolume(r, { name: 'later' });
    assert.equal(await copyUpIfNeeded(r, 'later', rootfs, '/empty'), false);
    assert.equal(getVolume(r, 'later').needsCopyUp, true);
    assert.equal(getVolume(r, 'later').needsChown, false);
    assert.equal(await copyUpIfNeeded(r, 'later', rootfs, '/data'), true);
    assert.equal(getVolume(r, 'later').needsCopyUp, false);
    assert.equal(fs.readFileSync(path.join(later.mountpoint, 'file.txt'), 'utf8'), 'hello');

    const nc = createVolume(r, { name: 'nc', options: { nocopy: '' } });
    assert.equal(await copyUpIfNeeded(r, 'nc', rootfs, '/data'), false);
    assert.deepEqual(fs.readdirSync(nc.mountpoint), []);
    assert.equal(getVolume(r, 'nc').needsCopyUp, true);

    const opt = createVolume(r, { name: 'optnc' });
    assert.equal(await copyUpIfNeeded(r, 'optnc', rootfs, '/data', { noCopy: true }), false);
    assert.deepEqual(fs.readdirSync(opt.mountpoint), []);

    const missing = createVolume(r, { name: 'missing' });
    assert.equal(await copyUpIfNeeded(r, 'missing', rootfs, '/no/such/dir', { uid: 12, gid: 13 }), false);
    assert.equal(fs.statSync(missing.mountpoint).uid, 12, 'chowned to the container user');
    assert.equal(fs.statSync(missing.mountpoint).gid, 13);
    await assert.rejects(copyUpIfNeeded(r, 'gone', rootfs, '/data'), NotFoundError);
  } finally {
    r.cleanup();
  }
});

test('copy-up into a tmpfs-backed volume lands in the mount', async () => {
  const r = tempRoots();
  try {
    const rootfs = makeRootfs(r.dir);
    const v = createVolume(r, { name: 'tcu', options: { type: 'tmpfs', device: 'tmpfs' } });
    await mountVolume(r, 'tcu', 'c1');
    assert.equal(await copyUpIfNeeded(r, 'tcu', rootfs, '/data'), true);
    assert.equal(fs.readFileSync(path.join(v.mountpoint, 'file.txt'), 'utf8'), 'hello');
    await unmountVolume(r, 'tcu', 'c1');
    assert.deepEqual(fs.readdirSync(v.mountpoint), []);
  } finally {
    r.cleanup();
  }
});

test('container integration: create resolves volumes, start mounts + copies up, cleanup unmounts, rm -v drops anonymous ones', async () => {
  const r = tempRoots();
  try {
    const rootfs = makeRootfs(r.dir);
    fs.mkdirSync(path.join(rootfs, 'cache'));
    fs.writeFileSync(path.join(rootfs, 'cache', 'c.txt'), 'cached');
    const named = volumeForMount(r, 'shared');
    assert.equal(volumeForMount(r, 'shared').createdAt, named.createdAt, 'named volumes are created once');
    const anon = volumeForMount(r);
    assert.equal(anon.anonymous, true);
    const tmp = createVolume(r, { name: 'tvol', options: { type: 'tmpfs', device: 'tmpfs' } });
    const mounts = [
      { type: 'volume', name: 'shared', destination: '/data', options: [] as string[] },
      { type: 'volume', name: anon.name, destination: '/cache', options: ['nocopy'] },
      { type: 'volume', name: 'tvol', destination: '/data', options: [] },
      { type: 'bind', destination: '/etc/x', options: [] },
    ];
    await mountContainerVolumes(r, 'ctr1', mounts, rootfs, { uid: 0, gid: 0 });
    assert.equal(fs.readFileSync(path.join(named.mountpoint, 'file.txt'), 'utf8'), 'hello');
    assert.deepEqual(fs.readdirSync(anon.mountpoint), [], 'nocopy mount option honoured');
    assert.ok(isMountpoint(tmp.mountpoint));
    assert.equal(fs.readFileSync(path.join(tmp.mountpoint, 'file.txt'), 'utf8'), 'hello');
    assert.equal(getVolume(r, 'shared').mountCount, 1);
    await unmountContainerVolumes(r, 'ctr1', mounts);
    assert.equal(isMountpoint(tmp.mountpoint), false);
    assert.equal(getVolume(r, 'shared').mountCount, 0);

    // A failing volume releases the ones mounted before it.
    createVolume(r, { name: 'bad', options: { type: 'no-such-fs', device: 'x' } });
    await assert.rejects(mountContainerVolumes(r, 'ctr2', [mounts[2], { type: 'volume', name: 'bad', destination: '/b', options: [] }], rootfs));
    assert.equal(isMountpoint(tmp.mountpoint), false);
    assert.equal(getVolume(r, 'tvol').mountCount, 0);

    // rm -v: anonymous volumes go unless another container still uses them; named ones stay.
    assert.deepEqual(await removeAnonymousVolumes(r, mounts, (n) => (n === anon.name ? ['other'] : [])), []);
    assert.deepEqual(await removeAnonymousVolumes(r, mounts, () => []), [anon.name]);
    assert.equal(findVolume(r, anon.name), undefined);
    assert.ok(findVolume(r, 'shared'));
    await assert.rejects(unmountVolume(r, '../escape', 'x'), NotFoundError);
  } finally {
    r.cleanup();
  }
});
