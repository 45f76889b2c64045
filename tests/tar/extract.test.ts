import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { extractLayer } from '../../src/storage/tar/extract';
import { native } from '../../src/util/native';
import { cleanup, entry, header, listTree, streamOf, tar, tmpdir } from './helpers';

/** Runs fn with a fresh layer dir, cleaning up afterwards. */
async function withLayer(fn: (layer: string) => Promise<void>): Promise<void> {
  const dir = tmpdir();
  try {
    const layer = path.join(dir, 'layer');
    fs.mkdirSync(layer);
    await fn(layer);
  } finally {
    cleanup(dir);
  }
}

function mtimeNs(p: string): bigint {
  return fs.lstatSync(p, { bigint: true }).mtimeNs;
}

test('keeps owners, modes (setuid/setgid/sticky), nanosecond mtimes and user xattrs', async () => {
  await withLayer(async (layer) => {
    const archive = tar([
      { name: 'etc/', flag: '5', mode: 0o755, mtime: 1500000000 },
      { name: 'bin/', flag: '5', mode: 0o2750, uid: 10, gid: 20, pax: { mtime: '1600000000.123456789', 'SCHILY.xattr.user.dir': 'dval' } },
      { name: 'bin/su', body: '#!/bin/true\n', mode: 0o4755, uid: 1234, gid: 5678, pax: { mtime: '1650000000.987654321', 'SCHILY.xattr.user.mime': Buffer.from([0, 0xff, 0x10]) } },
      { name: 'tmp/', flag: '5', mode: 0o1777 },
      { name: 'etc/motd', body: 'hi', mode: 0o600, uid: 1, gid: 2, mtime: 1400000000 },
      { name: 'abs', flag: '2', linkname: '/etc/passwd', uid: 33, gid: 44, pax: { mtime: '1300000000.5' } },
      { name: 'rel', flag: '2', linkname: '../../../somewhere' },
    ]);
    const { size } = await extractLayer(streamOf(archive), layer, { mode: 'overlay' });
    assert.equal(size, archive.length);

    const su = fs.lstatSync(path.join(layer, 'bin/su'));
    assert.equal(su.mode & 0o7777, 0o4755);
    assert.equal(su.uid, 1234);
    assert.equal(su.gid, 5678);
    assert.equal(mtimeNs(path.join(layer, 'bin/su')), 1650000000987654321n);
    assert.deepEqual(native().lgetxattr(path.join(layer, 'bin/su'), 'user.mime'), Buffer.from([0, 0xff, 0x10]));
    assert.equal(fs.readFileSync(path.join(layer, 'bin/su'), 'utf8'), '#!/bin/true\n');

    const bin = fs.lstatSync(path.join(layer, 'bin'));
    assert.equal(bin.mode & 0o7777, 0o2750);
    assert.equal(bin.uid, 10);
    assert.equal(bin.gid, 20);
    // Directory mtimes are applied after their children were written.
    assert.equal(mtimeNs(path.join(layer, 'bin')), 1600000000123456789n);
    assert.equal(mtimeNs(path.join(layer, 'etc')), 1500000000n * 1_000_000_000n);
    assert.equal(native().lgetxattr(path.join(layer, 'bin'), 'user.dir')?.toString(), 'dval');
    assert.equal(fs.lstatSync(path.join(layer, 'tmp')).mode & 0o7777, 0o1777);

    const motd = fs.lstatSync(path.join(layer, 'etc/motd'));
    assert.equal(motd.mode & 0o7777, 0o600);
    assert.equal(motd.uid, 1);

    // Symlinks are kept as-is, even absolute or dangling ones, with their own owner and mtime.
    assert.equal(fs.readlinkSync(path.join(layer, 'abs')), '/etc/passwd');
    assert.equal(fs.readlinkSync(path.join(layer, 'rel')), '../../../somewhere');
    const abs = fs.lstatSync(path.join(layer, 'abs'));
    assert.equal(abs.uid, 33);
    assert.equal(abs.gid, 44);
    assert.equal(mtimeNs(path.join(layer, 'abs')), 1300000000500000000n);
  });
});

test('hardlinks share the inode of the earlier file', async () => {
  await withLayer(async (layer) => {
    await extractLayer(streamOf(tar([
      { name: 'usr/bin/python3.11', body: 'py', mode: 0o755 },
      { name: 'usr/bin/python3', flag: '1', linkname: 'usr/bin/python3.11' },
      { name: 'alias', flag: '1', linkname: './usr/bin/python3.11' },
    ])), layer, { mode: 'overlay' });
    const a = fs.statSync(path.join(layer, 'usr/bin/python3.11'));
    const b = fs.statSync(path.join(layer, 'usr/bin/python3'));
    const c = fs.statSync(path.join(layer, 'alias'));
    assert.equal(a.ino, b.ino);
    assert.equal(a.ino, c.ino);
    assert.equal(a.nlink, 3);
  });
});

test('a hardlink to a symlink links the symlink itself, never its target', async () => {
  await withLayer(async (layer) => {
    await extractLayer(streamOf(tar([
      { name: 's', flag: '2', linkname: '/etc/passwd' },
      { name: 'h', flag: '1', linkname: 's' },
    ])), layer, { mode: 'overlay' });
    const h = fs.lstatSync(path.join(layer, 'h'));
    assert.ok(h.isSymbolicLink());
    assert.equal(h.ino, fs.lstatSync(path.join(layer, 's')).ino);
    assert.equal(fs.readlinkSync(path.join(layer, 'h')), '/etc/passwd');
  });
});

test('overlay mode: whiteouts become 0:0 char devices, opaque dirs get trusted.overlay.opaque', async () => {
  await withLayer(async (layer) => {
    await extractLayer(streamOf(tar([
      { name: 'etc/', flag: '5', mode: 0o755 },
      { name: 'etc/.wh.hosts', uid: 7, gid: 8 },
      { name: '.wh.toplevel' },
      { name: 'var/cache/', flag: '5', mode: 0o755 },
      { name: 'var/cache/.wh..wh..opq' },
      { name: 'var/cache/new', body: 'n' },
      { name: '.wh..wh.plnk/12.34', body: 'aufs' },
    ])), layer, { mode: 'overlay' });
    for (const wh of ['etc/hosts', 'toplevel']) {
      const st = fs.lstatSync(path.join(layer, wh));
      assert.ok(st.isCharacterDevice(), `${wh} is a char device`);
      assert.equal(st.rdev, 0);
    }
    assert.equal(fs.lstatSync(path.join(layer, 'etc/hosts')).uid, 7);
    assert.equal(native().lgetxattr(path.join(layer, 'var/cache'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(native().lgetxattr(path.join(layer, 'etc'), 'trusted.overlay.opaque'), null);
    assert.deepEqual(listTree(layer), ['etc', 'etc/hosts', 'toplevel', 'var', 'var/cache', 'var/cache/new']);
  });
});

test('vfs mode: whiteouts delete lower files, opaque dirs drop lower children only', async () => {
  await withLayer(async (layer) => {
    // The copy of the parent layer.
    for (const d of ['gonedir/sub', 'opq/keepdir', 'opq/lowerdir', 'keep']) fs.mkdirSync(path.join(layer, d), { recursive: true });
    for (const f of ['gone', 'gonedir/sub/file', 'opq/lower1', 'opq/keepdir/lower2', 'opq/lowerdir/x', 'keep/k']) fs.writeFileSync(path.join(layer, f), f);
    await extractLayer(streamOf(tar([
      { name: '.wh.gone' },
      { name: 'gonedir/.wh.sub' },
      { name: '.wh.gonedir' },
      { name: 'opq/', flag: '5', mode: 0o755 },
      { name: 'opq/new', body: 'new' },
      { name: 'opq/.wh..wh..opq' },
      { name: 'opq/keepdir/', flag: '5', mode: 0o755 },
      { name: 'opq/keepdir/new2', body: 'new2' },
      { name: 'keep/.wh.absent' },
    ])), layer, { mode: 'vfs' });
    assert.deepEqual(listTree(layer), ['keep', 'keep/k', 'opq', 'opq/keepdir', 'opq/keepdir/new2', 'opq/new']);
    assert.equal(native().lgetxattr(path.join(layer, 'opq'), 'trusted.overlay.opaque'), null);
  });
});

test('vfs mode: opaque drops lower content nested in dirs the layer also lists', async () => {
  await withLayer(async (layer) => {
    fs.mkdirSync(path.join(layer, 'd/sub'), { recursive: true });
    fs.writeFileSync(path.join(layer, 'd/sub/lower'), 'l');
    await extractLayer(streamOf(tar([
      { name: 'd/', flag: '5' },
      { name: 'd/sub/', flag: '5' },
      { name: 'd/.wh..wh..opq' },
      { name: 'd/sub/upper', body: 'u' },
    ])), layer, { mode: 'vfs' });
    assert.deepEqual(listTree(layer), ['d', 'd/sub', 'd/sub/upper']);
  });
});

test('replacement semantics: dir keeps contents, other types replace, lower symlinks are shadowed', async () => {
  await withLayer(async (layer) => {
    const outside = tmpdir('pier-outside-');
    try {
      fs.writeFileSync(path.join(outside, 'untouched'), 'x');
      fs.mkdirSync(path.join(layer, 'd'));
      fs.writeFileSync(path.join(layer, 'd/x'), 'x');
      fs.mkdirSync(path.join(layer, 'wasdir/deep'), { recursive: true });
      fs.writeFileSync(path.join(layer, 'wasfile'), 'old');
      fs.symlinkSync(outside, path.join(layer, 'lnk'));
      fs.symlinkSync(outside, path.join(layer, 'lib')); // like a merged-/usr symlink in a lower layer
      await extractLayer(streamOf(tar([
        { name: 'd/', flag: '5', mode: 0o700 },
        { name: 'wasdir', body: 'now a file' },
        { name: 'wasfile', flag: '2', linkname: 'target' },
        { name: 'lnk/', flag: '5', mode: 0o755 },
        { name: 'lib/foo', body: 'foo' },
        { name: 'same', body: 'first' },
        { name: 'same', body: 'second' },
      ])), layer, { mode: 'vfs' });
      assert.equal(fs.readFileSync(path.join(layer, 'd/x'), 'utf8'), 'x');
      assert.equal(fs.statSync(path.join(layer, 'd')).mode & 0o777, 0o700);
      assert.equal(fs.readFileSync(path.join(layer, 'wasdir'), 'utf8'), 'now a file');
      assert.equal(fs.readlinkSync(path.join(layer, 'wasfile')), 'target');
      assert.ok(fs.lstatSync(path.join(layer, 'lnk')).isDirectory());
      assert.ok(fs.lstatSync(path.join(layer, 'lib')).isDirectory());
      assert.equal(fs.readFileSync(path.join(layer, 'lib/foo'), 'utf8'), 'foo');
      assert.equal(fs.readFileSync(path.join(layer, 'same'), 'utf8'), 'second');
      assert.deepEqual(fs.readdirSync(outside), ['untouched']);
    } finally {
      cleanup(outside);
    }
  });
});

test('root dir entry, implicit parents, fifos, device nodes as root, dropped overlay xattrs', async () => {
  await withLayer(async (layer) => {
    const old = process.umask(0o077);
    try {
      await extractLayer(streamOf(tar([
        { name: './', flag: '5', mode: 0o751, mtime: 1234567890 },
        { name: './a/b/c/file', body: 'deep' },
        { name: 'run/fifo', flag: '6', mode: 0o620 },
        { name: 'dev/null', flag: '3', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'dev/loop0', flag: '4', devmajor: 7, devminor: 0, mode: 0o660 },
        { name: 'x', body: 'x', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.user.ok': '1' } },
      ])), layer, { mode: 'overlay' });
    } finally {
      process.umask(old);
    }
    const root = fs.statSync(layer);
    assert.equal(root.mode & 0o7777, 0o751);
    assert.equal(root.mtimeMs, 1234567890000);
    for (const d of ['a', 'a/b', 'a/b/c']) assert.equal(fs.statSync(path.join(layer, d)).mode & 0o7777, 0o755);
    const fifo = fs.lstatSync(path.join(layer, 'run/fifo'));
    assert.ok(fifo.isFIFO());
    assert.equal(fifo.mode & 0o777, 0o620);
    const nul = fs.lstatSync(path.join(layer, 'dev/null'));
    assert.ok(nul.isCharacterDevice());
    assert.equal(nul.rdev, (1 << 8) | 3);
    assert.equal(nul.mode & 0o777, 0o666);
    assert.ok(fs.lstatSync(path.join(layer, 'dev/loop0')).isBlockDevice());
    assert.deepEqual(native().llistxattr(path.join(layer, 'x')), ['user.ok']);
  });
});

test('files written by the layer stream in with correct content (large file)', async () => {
  await withLayer(async (layer) => {
    const size = 150 * 1024 * 1024 + 123;
    const chunk = crypto.randomBytes(1024 * 1024);
    const hash = crypto.createHash('sha256');
    let total = 0;
    function* gen(): Generator<Buffer> {
      yield header({ name: 'big.bin', size, mode: 0o644 });
      for (let off = 0; off < size; off += chunk.length) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - off));
        hash.update(part);
        // Deliver in 16 KiB pieces like zlib does.
        for (let o = 0; o < part.length; o += 16384) yield part.subarray(o, o + 16384);
      }
      yield Buffer.alloc((512 - (size % 512)) % 512);
      yield entry({ name: 'after', body: 'tail' });
      yield Buffer.alloc(1024);
    }
    const src = Readable.from(gen(), { objectMode: false });
    src.on('data', (b: Buffer) => { total += b.length; });
    const start = process.hrtime.bigint();
    const res = await extractLayer(src, layer, { mode: 'overlay' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(res.size, total);
    assert.equal(fs.statSync(path.join(layer, 'big.bin')).size, size);
    const got = crypto.createHash('sha256');
    for await (const c of fs.createReadStream(path.join(layer, 'big.bin'))) got.update(c as Buffer);
    assert.equal(got.digest('hex'), hash.digest('hex'));
    assert.equal(fs.readFileSync(path.join(layer, 'after'), 'utf8'), 'tail');
    console.log(`# extracted 150 MiB in ${ms.toFixed(0)} ms (${((size / 1048576) / (ms / 1000)).toFixed(0)} MiB/s)`);
  });
});

test('many small files extract quickly', async () => {
  await withLayer(async (layer) => {
    const entries = [];
    for (let d = 0; d < 50; d++) {
      entries.push({ name: `d${d}/`, flag: '5', mode: 0o755 });
      for (let f = 0; f < 100; f++) entries.push({ name: `d${d}/f${f}`, body: `file ${d}/${f}`, mode: 0o644, uid: 1000, gid: 1000 });
    }
    const archive = tar(entries);
    const start = process.hrtime.bigint();
    await extractLayer(streamOf(archive), layer, { mode: 'overlay' });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    assert.equal(fs.readFileSync(path.join(layer, 'd49/f99'), 'utf8'), 'file 49/99');
    assert.equal(listTree(layer).length, 50 * 101);
    console.log(`# extracted 5000 small files in ${ms.toFixed(0)} ms`);
  });
});
