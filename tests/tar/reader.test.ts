import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { TarEntry, TarReader, readTar } from '../../src/storage/tar/reader';
import { entry, header, paxBody, streamOf, tar } from './helpers';

interface Seen {
  entry: TarEntry;
  body: Buffer;
}

async function readAll(buf: Buffer, chunk = 65536): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const e of readTar(streamOf(buf, chunk))) out.push({ entry: e, body: await e.buffer() });
  return out;
}

test('reads ustar entries of every type with their header fields', async () => {
  const archive = tar([
    { name: 'dir/', flag: '5', mode: 0o755, uid: 1000, gid: 1001, uname: 'alice', gname: 'staff', mtime: 1600000000 },
    { name: 'dir/file', body: 'hello world', mode: 0o4755 },
    { name: 'dir/link', flag: '2', linkname: '../target' },
    { name: 'dir/hard', flag: '1', linkname: 'dir/file' },
    { name: 'dev/null', flag: '3', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/sda', flag: '4', devmajor: 8, devminor: 0 },
    { name: 'pipe', flag: '6' },
    { name: 'contig', flag: '7', body: 'x' },
  ]);
  const seen = await readAll(archive);
  assert.deepEqual(
    seen.map((s) => [s.entry.name, s.entry.type]),
    [
      ['dir/', 'dir'], ['dir/file', 'file'], ['dir/link', 'symlink'], ['dir/hard', 'hardlink'],
      ['dev/null', 'char'], ['dev/sda', 'block'], ['pipe', 'fifo'], ['contig', 'file'],
    ],
  );
  const d = seen[0].entry;
  assert.equal(d.mode, 0o755);
  assert.equal(d.uid, 1000);
  assert.equal(d.gid, 1001);
  assert.equal(d.uname, 'alice');
  assert.equal(d.gname, 'staff');
  assert.equal(d.mtime, 1600000000);
  assert.equal(seen[1].body.toString(), 'hello world');
  assert.equal(seen[1].entry.mode, 0o4755);
  assert.equal(seen[1].entry.size, 11);
  assert.equal(seen[2].entry.linkname, '../target');
  assert.equal(seen[3].entry.linkname, 'dir/file');
  assert.equal(seen[4].entry.devmajor, 1);
  assert.equal(seen[4].entry.devminor, 3);
  assert.equal(seen[5].entry.devmajor, 8);
});

test('joins the ustar prefix field, but not for GNU magic', async () => {
  const seen = await readAll(tar([
    { name: 'leaf.txt', prefix: 'a/very/long/prefix', body: 'p' },
    { name: 'gnu.txt', magic: 'gnu', body: 'g' },
    { name: 'old/', magic: 'v7' },
  ]));
  assert.equal(seen[0].entry.name, 'a/very/long/prefix/leaf.txt');
  assert.equal(seen[1].entry.name, 'gnu.txt');
  assert.equal(seen[2].entry.name, 'old/');
  assert.equal(seen[2].entry.type, 'dir'); // pre-POSIX trailing-slash directory
});

test('GNU long names and long links override the header fields', async () => {
  const longName = `${'n'.repeat(150)}/${'m'.repeat(120)}`;
  const longLink = `/${'t'.repeat(300)}`;
  const seen = await readAll(tar([{ name: 'short', flag: '2', linkname: 'short', longName, longLink }, { name: 'next', body: 'z' }]));
  assert.equal(seen[0].entry.name, longName);
  assert.equal(seen[0].entry.linkname, longLink);
  assert.equal(seen[1].entry.name, 'next'); // overrides apply to one entry only
});

test('PAX records override fields; xattrs are binary; globals persist', async () => {
  const longPath = `deep/${'p'.repeat(200)}/f`;
  const bin = Buffer.from([0, 1, 2, 255, 10, 61]);
  const archive = tar([
    { name: 'pax_global_header', flag: 'g', body: paxBody({ comment: 'ignored' }) },
    {
      name: 'trunc', body: 'data', uid: 1, gid: 2,
      pax: {
        path: longPath, mtime: '1700000000.123456789', atime: '1600000000.5', uid: '3000000', gid: '4000000',
        uname: 'ünïcode', gname: 'grp', 'SCHILY.xattr.user.bin': bin, 'SCHILY.xattr.security.capability': 'cap',
      },
    },
    { name: 'l', flag: '2', linkname: 'old', pax: { linkpath: 'x'.repeat(300) } },
    { name: 'plain', body: 'q', uid: 5 },
  ]);
  const seen = await readAll(archive);
  assert.equal(seen.length, 3);
  const e = seen[0].entry;
  assert.equal(e.name, longPath);
  assert.equal(e.mtime, 1700000000.123456789);
  assert.equal(e.atime, 1600000000.5);
  assert.equal(e.uid, 3000000);
  assert.equal(e.gid, 4000000);
  assert.equal(e.uname, 'ünïcode');
  assert.equal(e.gname, 'grp');
  assert.deepEqual(e.xattrs['user.bin'], bin);
  assert.equal(e.xattrs['security.capability'].toString(), 'cap');
  assert.equal(seen[0].body.toString(), 'data');
  assert.equal(seen[1].entry.linkname, 'x'.repeat(300));
  assert.equal(seen[2].entry.name, 'plain');
  assert.equal(seen[2].entry.uid, 5);
  assert.deepEqual(seen[2].entry.xattrs, {});
});

test('PAX global headers apply to later entries', async () => {
  const archive = tar([
    { name: 'pax_global_header', flag: 'g', body: paxBody({ uid: '4242424', path: 'not-applied' }) },
    { name: 'a', body: 'A' },
    { name: 'b', body: 'B', pax: { uid: '7' } },
  ]);
  const seen = await readAll(archive);
  assert.deepEqual(seen.map((s) => [s.entry.name, s.entry.uid]), [['a', 4242424], ['b', 7]]);
});

test('PAX size overrides the header size', async () => {
  const body = Buffer.alloc(700, 0x61);
  const seen = await readAll(tar([{ name: 'f', body, size: 0, pax: { size: '700' } }, { name: 'after', body: 'ok' }]));
  assert.equal(seen[0].entry.size, 700);
  assert.equal(seen[0].body.length, 700);
  assert.equal(seen[1].body.toString(), 'ok');
});

test('base-256 numeric fields', async () => {
  const seen = await readAll(tar([
    { name: 'big', body: 'b', uid: 0x7fffffff + 10, gid: 2 ** 40, mtime: 2 ** 36, base256: ['uid', 'gid', 'mtime'] },
    { name: 'sized', body: Buffer.alloc(1000, 1), base256: ['size'] },
  ]));
  assert.equal(seen[0].entry.uid, 0x7fffffff + 10);
  assert.equal(seen[0].entry.gid, 2 ** 40);
  assert.equal(seen[0].entry.mtime, 2 ** 36);
  assert.equal(seen[1].body.length, 1000);
});

test('works with 1-byte and odd-sized input chunks', async () => {
  const archive = tar([
    { name: 'a', body: Buffer.alloc(1500, 7) },
    { name: 'b', flag: '2', linkname: 'a', pax: { path: 'pax/b', 'SCHILY.xattr.user.k': 'v' } },
    { name: 'c', body: 'tail' },
  ]);
  for (const chunk of [1, 3, 511, 513, 4096]) {
    const seen = await readAll(archive, chunk);
    assert.deepEqual(seen.map((s) => s.entry.name), ['a', 'pax/b', 'c']);
    assert.deepEqual(seen[0].body, Buffer.alloc(1500, 7));
    assert.equal(seen[2].body.toString(), 'tail');
  }
});

test('unconsumed and partially consumed bodies are skipped', async () => {
  const archive = tar([
    { name: 'skip-me', body: Buffer.alloc(100000, 1) },
    { name: 'partial', body: Buffer.alloc(300000, 2) },
    { name: 'stream', body: Buffer.alloc(70000, 3) },
    { name: 'last', body: 'end' },
  ]);
  const names: string[] = [];
  let streamed = 0;
  for await (const e of readTar(streamOf(archive, 8192))) {
    names.push(e.name);
    if (e.name === 'partial') {
      for await (const c of e.chunks()) {
        assert.equal(c[0], 2);
        break; // stop after one chunk
      }
    }
    if (e.name === 'stream') for await (const c of e.stream()) streamed += (c as Buffer).length;
    if (e.name === 'last') assert.equal((await e.buffer()).toString(), 'end');
  }
  assert.deepEqual(names, ['skip-me', 'partial', 'stream', 'last']);
  assert.equal(streamed, 70000);
});

test('a body cannot be read twice or after the reader moved on', async () => {
  const it = readTar(streamOf(tar([{ name: 'a', body: 'A' }, { name: 'b', body: 'B' }])));
  const first = (await it.next()).value as TarEntry;
  assert.equal((await first.buffer()).toString(), 'A');
  await assert.rejects(first.buffer(), /already read/);
  const second = (await it.next()).value as TarEntry;
  assert.equal(second.name, 'b');
  const fresh = (await it.next());
  assert.equal(fresh.done, true);
  await assert.rejects(second.buffer(), /moved past/);
});

test('counts every byte including the trailer', async () => {
  const archive = Buffer.concat([tar([{ name: 'a', body: 'A' }]), Buffer.alloc(4096)]);
  const reader = new TarReader(streamOf(archive, 1000));
  for await (const e of reader.entries()) void e;
  assert.equal(reader.bytesRead, archive.length);
});

test('archive without the zero-block trailer ends cleanly at a block boundary', async () => {
  const seen = await readAll(tar([{ name: 'a', body: 'A' }], { trailer: false }));
  assert.deepEqual(seen.map((s) => s.entry.name), ['a']);
});

test('truncated archives throw unexpected EOF', async () => {
  const archive = tar([{ name: 'a', body: Buffer.alloc(2000, 1) }, { name: 'b', body: 'B' }]);
  for (const cut of [100, 512 + 700, 512 + 2048 + 10]) {
    await assert.rejects(readAll(archive.subarray(0, cut)), /unexpected EOF/, `cut at ${cut}`);
  }
  // A GNU long-name header with no entry after it.
  const dangling = entry({ name: 'x', longName: 'y'.repeat(200) });
  await assert.rejects(readAll(dangling.subarray(0, 1024)), /unexpected EOF/);
});

test('a corrupted header checksum is rejected', async () => {
  const archive = tar([{ name: 'a', body: 'A' }]);
  archive[10] ^= 0x01; // flip a bit in the name
  await assert.rejects(readAll(archive), /checksum/);
  const garbage = Buffer.alloc(1024, 0x41);
  await assert.rejects(readAll(garbage), /checksum|octal/);
});

test('unsupported entry types and malformed PAX records are rejected', async () => {
  await assert.rejects(readAll(tar([{ name: 'sp', flag: 'S', body: '' }])), /unsupported/);
  const badPax = Buffer.concat([header({ name: 'p', flag: 'x', size: 12 }), Buffer.concat([Buffer.from('99 path=abc\n'), Buffer.alloc(500)])]);
  await assert.rejects(readAll(Buffer.concat([badPax, tar([{ name: 'a' }])])), /PAX/);
  await assert.rejects(readAll(tar([{ name: 'n', body: 'x', pax: { uid: '-1' } }])), /invalid PAX uid/);
});

test('errors from the input stream propagate', async () => {
  const src = new Readable({
    read() {
      this.destroy(new Error('boom'));
    },
  });
  await assert.rejects(async () => {
    for await (const e of readTar(src)) void e;
  }, /boom/);
});
