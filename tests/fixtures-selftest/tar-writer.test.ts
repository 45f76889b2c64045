// The tar writer, checked against GNU tar (listing and extraction).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { TarWriter, tarToBuffer, writeDirAsTar, TarEntry, devNumbers } from '../../src/storage/tar/writer';

process.env.TZ = 'UTC'; // tar --full-time prints local time

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-tar-test-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function getxattr(file: string, name: string): string {
  // GNU tar can show xattrs when listing a re-created archive; use python for a direct read
  return execFileSync('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())', file, name]).toString();
}

async function collect(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const LONG = 'dir/' + 'n'.repeat(180) + '.txt';
const ENTRIES: TarEntry[] = [
  { type: 'dir', name: 'dir' },
  { type: 'file', name: 'dir/plain.txt', content: 'plain\n', mode: 0o640, uid: 1000, gid: 1001, mtime: new Date('2024-01-01T00:00:00Z') },
  { type: 'file', name: LONG, content: 'long\n' },
  { type: 'file', name: 'dir/setuid', content: 'x', mode: 0o4755 },
  { type: 'file', name: 'dir/xattr.txt', content: 'x\n', xattrs: { 'user.pier.test': 'value', 'user.pier.other': Buffer.from('b') } },
  { type: 'hardlink', name: 'dir/hard.txt', target: 'dir/plain.txt' },
  { type: 'symlink', name: 'dir/rel', target: 'plain.txt' },
  { type: 'symlink', name: 'dir/longlink', target: '/' + 't'.repeat(150) },
  { type: 'char', name: 'dir/.wh.gone', major: 0, minor: 0 },
  { type: 'file', name: 'dir/bigid', content: '', uid: 5_000_000, gid: 6_000_000 },
  { type: 'file', name: 'dir/ünïcode', content: 'u' },
];

test('tar: GNU tar lists every entry type with the right metadata', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'a.tar');
  fs.writeFileSync(f, await tarToBuffer(ENTRIES));
  const list = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', f]).toString().trim().split('\n');
  assert.equal(list.length, ENTRIES.length);
  assert.match(list[0], /^drwxr-xr-x 0\/0 +0 1970-01-01 00:00:00 dir\/$/);
  assert.match(list[1], /^-rw-r----- 1000\/1001 +6 2024-01-01 00:00:00 dir\/plain\.txt$/);
  assert.ok(list[2].endsWith(' ' + LONG), list[2]);
  assert.match(list[3], /^-rwsr-xr-x /);
  assert.match(list[5], /^hrw-r--r-- .* dir\/hard\.txt link to dir\/plain\.txt$/);
  assert.match(list[6], /^lrwxrwxrwx .* dir\/rel -> plain\.txt$/);
  assert.ok(list[7].endsWith('-> /' + 't'.repeat(150)));
  assert.match(list[8], /^crw------- 0\/0 +0,0 .* dir\/\.wh\.gone$/);
  assert.match(list[9], /^-rw-r--r-- 5000000\/6000000 /);
  assert.ok(list[10].endsWith('dir/ünïcode'));
});

test('tar: extraction restores content, modes, owners, hardlinks and xattrs', async (t) => {
  const d = tmp(t);
  const f = path.join(d, 'a.tar');
  const out = path.join(d, 'out');
  fs.mkdirSync(out);
  // no device node: extraction of a char device needs privileges some sandboxes lack
  fs.writeFileSync(f, await tarToBuffer(ENTRIES.filter((e) => e.type !== 'char')));
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--same-owner', '-xpf', f, '-C', out]);
  const plain = fs.statSync(path.join(out, 'dir/plain.txt'));
  assert.equal(fs.readFileSync(path.join(out, 'dir/plain.txt'), 'utf8'), 'plain\n');
  assert.equal(plain.mode & 0o7777, 0o640);
  if (process.getuid?.() === 0) {
    assert.equal(plain.uid, 1000);
    assert.equal(plain.gid, 1001);
    assert.equal(fs.statSync(path.join(out, 'dir/setuid')).mode & 0o7777, 0o4755);
  }
  assert.equal(plain.mtimeMs, Date.parse('2024-01-01T00:00:00Z'));
  assert.equal(fs.statSync(path.join(out, 'dir/hard.txt')).ino, plain.ino);
  assert.equal(fs.readFileSync(path.join(out, LONG), 'utf8'), 'long\n');
  assert.equal(fs.readlinkSync(path.join(out, 'dir/rel')), 'plain.txt');
  assert.equal(getxattr(path.join(out, 'dir/xattr.txt'), 'user.pier.test'), 'value');
  assert.equal(getxattr(path.join(out, 'dir/xattr.txt'), 'user.pier.other'), 'b');
});

test('tar: output is deterministic and block aligned', async () => {
  const a = await tarToBuffer(ENTRIES);
  const b = await tarToBuffer(ENTRIES);
  assert.ok(a.equals(b));
  assert.equal(a.length % 512, 0);
  assert.ok(a.subarray(a.length - 1024).equals(Buffer.alloc(1024)));
});

test('tar: streamed content with backpressure, and size mismatches fail', async (t) => {
  const d = tmp(t);
  const size = 20 * 1024 * 1024 + 3;
  const w = new TarWriter({ highWaterMark: 16 * 1024 });
  let produced = 0;
  const src = new Readable({
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(65536, size - produced);
      produced += n;
      this.push(Buffer.alloc(n, produced % 251));
    },
  });
  const f = path.join(d, 'big.tar');
  const out = fs.createWriteStream(f);
  const piped = new Promise<void>((res, rej) => { out.on('finish', res); out.on('error', rej); });
  w.stream.pipe(out);
  // nothing is consumed faster than the file is written: max buffered stays bounded
  let maxBuffered = 0;
  const iv = setInterval(() => { maxBuffered = Math.max(maxBuffered, w.stream.readableLength); }, 1);
  await w.addFile('big.bin', { stream: src, size });
  await w.finish();
  await piped;
  clearInterval(iv);
  assert.ok(maxBuffered <= 1024 * 1024, `buffered ${maxBuffered}`);
  assert.equal(fs.statSync(f).size, 512 + Math.ceil(size / 512) * 512 + 1024);
  const listed = execFileSync('tar', ['-tvf', f]).toString();
  assert.match(listed, new RegExp(` ${size} .* big\\.bin`));

  const short = new TarWriter();
  const drained = collect(short.stream).catch((e: Error) => e);
  await assert.rejects(short.addFile('x', { stream: Readable.from([Buffer.from('abc')]), size: 10 }), /gave 3 bytes, declared 10/);
  assert.ok((await drained) instanceof Error, 'the stream errors after a short entry');
  const long = new TarWriter();
  void collect(long.stream).catch(() => undefined);
  await assert.rejects(long.addFile('x', { stream: Readable.from([Buffer.from('abcdef')]), size: 2 }), /longer than declared/);
});

test('tar: writeDirAsTar walks sorted, keeps links, detects hardlinks, round-trips through GNU tar', async (t) => {
  const d = tmp(t);
  const src = path.join(d, 'src');
  fs.mkdirSync(path.join(src, 'b/sub'), { recursive: true });
  fs.mkdirSync(path.join(src, 'a'));
  fs.writeFileSync(path.join(src, 'b/sub/file.txt'), 'hello');
  fs.writeFileSync(path.join(src, 'a/z.txt'), 'z');
  fs.linkSync(path.join(src, 'a/z.txt'), path.join(src, 'b/zz-link.txt'));
  fs.symlinkSync('../a/z.txt', path.join(src, 'b/sym'));
  execFileSync('mkfifo', [path.join(src, 'c-fifo')]);
  fs.chmodSync(path.join(src, 'b/sub/file.txt'), 0o600);
  fs.writeFileSync(path.join(src, 'skip-me'), 'no');

  const seenX: string[] = [];
  const buf = await collect(writeDirAsTar(src, {
    mtime: 1_700_000_000,
    filter: (rel) => rel !== 'skip-me',
    xattrs: (abs) => { seenX.push(path.relative(src, abs)); return abs.endsWith('file.txt') ? { 'user.k': 'v' } : undefined; },
  }));
  const f = path.join(d, 'dir.tar');
  fs.writeFileSync(f, buf);
  const names = execFileSync('tar', ['-tf', f]).toString().trim().split('\n');
  assert.deepEqual(names, ['a/', 'a/z.txt', 'b/', 'b/sub/', 'b/sub/file.txt', 'b/sym', 'b/zz-link.txt', 'c-fifo']);
  const verbose = execFileSync('tar', ['-tvf', f, '--full-time']).toString();
  assert.match(verbose, /b\/zz-link\.txt link to a\/z\.txt/);
  assert.match(verbose, /b\/sym -> \.\.\/a\/z\.txt/);
  assert.match(verbose, /^p.* c-fifo$/m);
  assert.match(verbose, /2023-11-14 22:13:20 a\/z\.txt/);
  assert.ok(seenX.includes('b/sub/file.txt'));

  const out = path.join(d, 'out');
  fs.mkdirSync(out);
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xpf', f, '-C', out]);
  assert.equal(fs.readFileSync(path.join(out, 'b/sub/file.txt'), 'utf8'), 'hello');
  assert.equal(fs.statSync(path.join(out, 'b/sub/file.txt')).mode & 0o777, 0o600);
  assert.equal(getxattr(path.join(out, 'b/sub/file.txt'), 'user.k'), 'v');
  assert.equal(fs.statSync(path.join(out, 'b/zz-link.txt')).ino, fs.statSync(path.join(out, 'a/z.txt')).ino);

  // same tree => same bytes; prefix + root entry
  const again = await collect(writeDirAsTar(src, { mtime: 1_700_000_000, filter: (rel) => rel !== 'skip-me',
    xattrs: (abs) => (abs.endsWith('file.txt') ? { 'user.k': 'v' } : undefined) }));
  assert.ok(again.equals(buf));
  const pref = await collect(writeDirAsTar(src, { prefix: 'rootfs', includeRoot: true }));
  fs.writeFileSync(f, pref);
  const pnames = execFileSync('tar', ['-tf', f]).toString().trim().split('\n');
  assert.equal(pnames[0], 'rootfs/');
  assert.ok(pnames.includes('rootfs/b/sub/file.txt'));
});

test('tar: devNumbers decodes Linux rdev', () => {
  assert.deepEqual(devNumbers(0), { major: 0, minor: 0 });
  assert.deepEqual(devNumbers((1 << 8) | 3), { major: 1, minor: 3 }); // /dev/null
  assert.deepEqual(devNumbers((136 << 8) | 5), { major: 136, minor: 5 });
  const st = fs.statSync('/dev/null');
  assert.deepEqual(devNumbers(st.rdev), { major: 1, minor: 3 });
});
