import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addonCandidates, native } from '../../src/util/native';
import { cleanup, tmpdir } from './helpers';
import { NotifyListener } from '../helpers/notify';

test('loader finds the built addon under the repo root', () => {
  const repoAddon = path.resolve(__dirname, '..', '..', 'native', 'build', 'Release', 'pier_native.node');
  assert.ok(addonCandidates().includes(repoAddon));
  assert.equal(typeof native().mknod, 'function');
  assert.equal(native(), native()); // loaded once
});

test('mknod creates fifos and char devices; errors carry errno code names', () => {
  const dir = tmpdir();
  try {
    const n = native();
    n.mknod(path.join(dir, 'fifo'), n.constants.S_IFIFO | 0o640, 0, 0);
    assert.ok(fs.lstatSync(path.join(dir, 'fifo')).isFIFO());
    n.mknod(path.join(dir, 'wh'), n.constants.S_IFCHR, 0, 0);
    const wh = fs.lstatSync(path.join(dir, 'wh'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    n.mknod(path.join(dir, 'zero'), n.constants.S_IFCHR | 0o666, 1, 5);
    assert.equal(fs.lstatSync(path.join(dir, 'zero')).rdev, (1 << 8) | 5);
    assert.throws(() => n.mknod(path.join(dir, 'fifo'), n.constants.S_IFIFO, 0, 0), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EEXIST');
      assert.equal(err.syscall, 'mknod');
      assert.match(err.message, /^EEXIST: .*mknod '.*fifo'$/);
      return true;
    });
    assert.throws(() => n.mknod(path.join(dir, 'missing/x'), n.constants.S_IFIFO, 0, 0), { code: 'ENOENT' });
    assert.throws(() => n.mknod(42 as unknown as string, 0, 0, 0), TypeError);
    assert.throws(() => n.mknod('x', -1, 0, 0), TypeError);
  } finally {
    cleanup(dir);
  }
});

test('xattrs: set, get, list without following symlinks', () => {
  const dir = tmpdir();
  try {
    const n = native();
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, '');
    fs.symlinkSync(f, path.join(dir, 'link'));
    n.lsetxattr(f, 'user.a', Buffer.from([0, 1, 2]));
    n.lsetxattr(f, 'user.empty', Buffer.alloc(0));
    n.lsetxattr(f, 'trusted.t', Buffer.from('y'));
    assert.deepEqual(n.lgetxattr(f, 'user.a'), Buffer.from([0, 1, 2]));
    assert.deepEqual(n.lgetxattr(f, 'user.empty'), Buffer.alloc(0));
    assert.equal(n.lgetxattr(f, 'user.none'), null);
    assert.deepEqual(n.llistxattr(f).sort(), ['trusted.t', 'user.a', 'user.empty']);
    // The symlink itself has none of the target's attributes.
    assert.equal(n.lgetxattr(path.join(dir, 'link'), 'user.a'), null);
    assert.deepEqual(n.llistxattr(path.join(dir, 'link')), []);
    assert.throws(() => n.llistxattr(path.join(dir, 'nope')), { code: 'ENOENT' });
    assert.throws(() => n.lsetxattr(f, 'bogusns.x', Buffer.from('1')), { code: 'ENOTSUP' });
    assert.throws(() => n.lsetxattr(f, 'user.x', 'str' as unknown as Buffer), TypeError);
  } finally {
    cleanup(dir);
  }
});

test('lutimens sets nanosecond times on symlinks without touching the target', () => {
  const dir = tmpdir();
  try {
    const f = path.join(dir, 'f');
    fs.writeFileSync(f, '');
    fs.symlinkSync('f', path.join(dir, 'l'));
    const before = fs.statSync(f, { bigint: true }).mtimeNs;
    native().lutimens(path.join(dir, 'l'), 100, 1, 1700000000, 123456789);
    const st = fs.lstatSync(path.join(dir, 'l'), { bigint: true });
    assert.equal(st.mtimeNs, 1700000000123456789n);
    assert.equal(st.atimeNs, 100000000001n);
    assert.equal(fs.statSync(f, { bigint: true }).mtimeNs, before);
    assert.throws(() => native().lutimens(f, 0, 1e9, 0, 0), TypeError);
  } finally {
    cleanup(dir);
  }
});

test('mount and umount2 a tmpfs', () => {
  const dir = tmpdir();
  const n = native();
  try {
    n.mount('tmpfs', dir, 'tmpfs', n.constants.MS_NOSUID | n.constants.MS_NODEV, 'size=1m,mode=0711');
    try {
      assert.equal(fs.statSync(dir).mode & 0o777, 0o711);
      fs.writeFileSync(path.join(dir, 'inside'), 'x');
      assert.ok(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${dir} `));
    } finally {
      n.umount2(dir, 0);
    }
    assert.deepEqual(fs.readdirSync(dir), []); // the file lived on the tmpfs
    assert.throws(() => n.umount2(dir, 0), { code: 'EINVAL' });
    assert.throws(() => n.mount('none', dir, 'no-such-fs', 0, ''), { code: 'ENODEV' });
  } finally {
    cleanup(dir);
  }
});

test('spawnDetached: posix_spawn in a new session with the given fds; waitpidNohang reaps the exit code', async () => {
  const n = native();
  const [r, w] = n.pipe();
  const pid = n.spawnDetached('/bin/sh', ['sh', '-c', 'echo "$$ $(cut -d" " -f6 /proc/$$/stat) $(cat)" >&3; exit 7'], ['PATH=/usr/bin:/bin'], [-1, -1, -1, w]);
  fs.closeSync(w);
  assert.ok(pid > 0);
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(256);
  for (;;) {
    const k = fs.readSync(r, buf, 0, buf.length, null);
    if (k === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, k)));
  }
  fs.closeSync(r);
  const [shPid, sid, stdin] = Buffer.concat(chunks).toString().trim().split(' ');
  assert.equal(Number(shPid), pid);
  assert.equal(Number(sid), pid, 'the child leads its own session');
  assert.equal(stdin, undefined, 'stdin is /dev/null');
  let code: number | null = null;
  for (let i = 0; i < 500 && code === null; i++) {
    code = n.waitpidNohang(pid);
    if (code === null) await new Promise((res) => setTimeout(res, 10));
  }
  assert.equal(code, 7);
  assert.throws(() => n.spawnDetached('/nonexistent/binary', ['x'], [], []), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
});

test('sendDatagram: one datagram to a unix socket by path (also past sun_path\'s length) or @abstract name; errno errors', async () => {
  const dir = tmpdir();
  const listeners: NotifyListener[] = [];
  try {
    const n = native();
    const long = path.join(dir, 'd'.repeat(60), 'e'.repeat(60));
    fs.mkdirSync(long, { recursive: true });
    for (const address of [path.join(dir, 'n.sock'), path.join(long, 'n.sock'), `@pier-native-test-${process.pid}`]) {
      const l = await new NotifyListener(address, dir).ready();
      listeners.push(l);
      n.sendDatagram(address, 'MAINPID=1\nREADY=1');
      n.sendDatagram(address, 'WATCHDOG=1');
      assert.deepEqual(await l.wait(2), ['MAINPID=1\nREADY=1', 'WATCHDOG=1']);
    }
    assert.ok(path.join(long, 'n.sock').length > 108);
    const missing = (address: string, code: string) => assert.throws(() => n.sendDatagram(address, 'READY=1'), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, code);
      assert.equal(err.syscall, 'connect');
      return true;
    });
    missing(path.join(dir, 'none.sock'), 'ENOENT');
    missing(path.join(long, 'none.sock'), 'ENOENT');
    missing(`@pier-native-test-none-${process.pid}`, 'ECONNREFUSED');
    fs.writeFileSync(path.join(dir, 'plain'), '');
    missing(path.join(dir, 'plain'), 'ECONNREFUSED');
  } finally {
    for (const l of listeners) l.close();
    cleanup(dir);
  }
});
