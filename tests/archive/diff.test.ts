// Layer diffs as tar: whiteouts and opaque dirs for overlay, tree comparison for vfs,
// deterministic output, and layerBlob's gzip blob bookkeeping.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { layerTarStream, layerBlob, layerTar } from '../../src/storage/diff';
import { readTar } from '../../src/storage/tar/reader';
import { multilayerImage, busyboxImage, BUSYBOX_APPLETS } from '../fixtures/images';
import { newStore, seed, drivers } from './helpers';
import { loadArchive } from '../../src/image/archive/load';

async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

async function entries(tar: Buffer): Promise<Map<string, { type: string; body: string; linkname: string; xattrs: Record<string, Buffer> }>> {
  const out = new Map();
  for await (const e of readTar(Readable.from([tar]))) out.set(e.name.replace(/\/$/, ''), { type: e.type, body: (await e.buffer()).toString(), linkname: e.linkname, xattrs: e.xattrs });
  return out;
}

for (const driver of drivers()) {
  test(`[${driver}] layerTarStream gives the layer's changes with whiteouts`, async (t) => {
    const s = newStore(driver);
    t.after(s.cleanup);
    const ml = await multilayerImage('docker');
    const img = await seed(s.store, ml, ['localhost/ml:latest'], false);
    const chain = s.store.layers.chain(img.topLayer);
    assert.equal(chain.length, 3);

    const top = await collect(layerTarStream(s.store, chain[2].id));
    const again = await collect(layerTarStream(s.store, chain[2].id));
    assert.ok(top.equals(again), 'deterministic');
    const e = await entries(top);
    assert.equal(e.get('data/added.txt')?.body, 'added in layer 3\n');
    assert.equal(e.get('data/overwritten.txt')?.body, 'v2\n');
    assert.equal(e.get('data/.wh.deleted.txt')?.type, 'file');
    assert.equal(e.get('data/.wh.dir-deleted')?.type, 'file');
    if (driver === 'overlay') {
      assert.ok(e.has('data/opaque/.wh..wh..opq'), 'opaque marker');
    } else {
      assert.ok(e.has('data/.wh..wh..opq') === false);
      assert.ok(e.has('data/opaque/.wh.old.txt') || e.has('data/opaque/.wh..wh..opq'), 'old content hidden');
    }
    assert.equal(e.has('data/kept.txt'), false, 'unchanged files are not repeated');
    assert.equal(e.has('bin/busybox'), false);

    const mid = await entries(await collect(layerTarStream(s.store, chain[1].id)));
    assert.equal(mid.get('data/hardlink-b.txt')?.type, 'hardlink');
    assert.equal(mid.get('data/hardlink-b.txt')?.linkname, 'data/hardlink-a.txt');
    assert.equal(mid.get('data/symlink-rel')?.linkname, 'kept.txt');
    assert.equal(mid.get('data/xattr.txt')?.xattrs['user.pier.test']?.toString(), 'value');
    assert.equal(mid.has('etc/passwd'), false);

    const base = await entries(await collect(layerTarStream(s.store, chain[0].id)));
    for (const a of BUSYBOX_APPLETS) assert.ok(base.has(`bin/${a}`), a);

    // the regenerated diff applies on the parent to the same tree (round trip through a new store)
    const s2 = newStore(driver);
    t.after(s2.cleanup);
    let parent: string | null = null;
    for (const l of chain) parent = (await s2.store.layers.apply(parent, layerTarStream(s.store, l.id))).id;
    const dir = s2.store.layers.diffDir(parent!);
    if (driver === 'vfs') {
      assert.equal(fs.readFileSync(`${dir}/data/overwritten.txt`, 'utf8'), 'v2\n');
      assert.equal(fs.existsSync(`${dir}/data/deleted.txt`), false);
      assert.equal(fs.existsSync(`${dir}/data/opaque/oldsub`), false);
      assert.equal(fs.readFileSync(`${dir}/data/opaque/new.txt`, 'utf8'), 'new in layer 3\n');
    } else {
      assert.equal(fs.lstatSync(`${dir}/data/deleted.txt`).isCharacterDevice(), true);
    }
  });
}

test('layerBlob reuses a kept gzip blob and gzips (and records) otherwise', async (t) => {
  const s = newStore('vfs');
  t.after(s.cleanup);
  const bb = await busyboxImage('docker');
  const img = await seed(s.store, bb, ['docker.io/library/busybox:latest']);
  const layer = s.store.layers.get(img.topLayer!)!;
  const kept = await layerBlob(s.store, layer);
  assert.equal(kept.digest, bb.layers[0].digest);
  assert.equal(kept.diffId, bb.layers[0].diffId);
  const bytes = await collect(kept.stream);
  assert.equal('sha256:' + createHash('sha256').update(bytes).digest('hex'), kept.digest);
  // the exact uncompressed tar comes from the kept blob
  const tar = await collect(layerTar(s.store, layer).stream);
  assert.equal('sha256:' + createHash('sha256').update(tar).digest('hex'), layer.diffId);

  // a layer loaded from a docker-archive keeps its uncompressed tar; layerBlob swaps it for gzip
  const s2 = newStore('vfs');
  t.after(s2.cleanup);
  const { writeDockerArchive } = await import('../fixtures/images');
  const file = `${s2.dir}/bb.tar`;
  await writeDockerArchive(file, [{ image: bb, repoTags: ['busybox'] }]);
  await loadArchive(s2.store, file);
  const l2 = s2.store.layers.get(img.topLayer!)!;
  assert.equal(l2.compressedDigest, l2.diffId, 'uncompressed tar kept');
  const g = await layerBlob(s2.store, l2);
  g.stream.destroy();
  const rec = s2.store.layers.get(l2.id)!;
  assert.equal(rec.compressedDigest, g.digest);
  assert.equal(g.diffId, l2.diffId);
  const gz = fs.readFileSync(s2.store.layers.blobPath(g.digest));
  assert.equal(gz.length, g.size);
  assert.equal('sha256:' + createHash('sha256').update(zlib.gunzipSync(gz)).digest('hex'), l2.diffId);
  assert.equal(fs.existsSync(s2.store.layers.blobPath(l2.diffId)), false, 'uncompressed copy dropped');
});
