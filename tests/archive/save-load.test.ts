// save → load round trips for every format, multi-image archives, docker save fixtures,
// and corrupted archives refused with nothing stored.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { saveImages } from '../../src/image/archive/save';
import { loadArchive } from '../../src/image/archive/load';
import { busyboxImage, multilayerImage, writeDockerArchive, writeOciLayout, hex, FIXTURE_PASSWD } from '../fixtures/images';
import { newStore, seed, tmpDir, readFromImage, tarNames, validateOciLayout, sha256File, drivers } from './helpers';

const BUSYBOX = 'docker.io/library/busybox:latest';
const MULTI = 'localhost/multi:v1';

function cleanupAfter(t: { after(fn: () => void): void }, ...fns: (() => void)[]): void {
  t.after(() => { for (const f of fns) f(); });
}

for (const driver of drivers()) {
  test(`[${driver}] docker-archive round trip keeps ids, names and files`, async (t) => {
    const a = newStore(driver);
    const b = newStore(driver);
    const out = tmpDir();
    cleanupAfter(t, a.cleanup, b.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
    const ml = await multilayerImage('docker');
    const src = await seed(a.store, ml, [MULTI]);
    const file = path.join(out, 'multi.tar');
    await saveImages(a.store, [{ input: 'multi:v1', img: src }], { output: file, format: 'docker-archive' });

    const names = await tarNames(file);
    assert.ok(names.includes('manifest.json'));
    assert.ok(names.includes(`${src.id}.json`));
    assert.ok(names.includes('repositories'));
    assert.ok(ml.layers.every((l) => names.includes(`${hex(l.diffId)}.tar`)), 'layers stored uncompressed by diff id');
    // no temp files left beside the output
    assert.deepEqual(fs.readdirSync(out), ['multi.tar']);

    const loaded = await loadArchive(b.store, file);
    assert.deepEqual(loaded, [MULTI]);
    const img = b.store.images.byName(MULTI)!;
    assert.equal(img.id, src.id);
    assert.equal(img.topLayer, src.topLayer);
    assert.equal(readFromImage(b.store, img, 'data/added.txt'), 'added in layer 3\n');
    assert.equal(readFromImage(b.store, img, 'etc/passwd'), FIXTURE_PASSWD);
    assert.deepEqual(b.store.layers.chain(img.topLayer).map((l) => l.diffId), ml.layers.map((l) => l.diffId));
  });

  test(`[${driver}] oci-archive round trip`, async (t) => {
    const a = newStore(driver);
    const b = newStore(driver);
    const out = tmpDir();
    cleanupAfter(t, a.cleanup, b.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
    const bb = await busyboxImage('oci');
    const src = await seed(a.store, bb, [BUSYBOX]);
    const file = path.join(out, 'bb-oci.tar');
    await saveImages(a.store, [{ input: 'busybox', img: src }], { output: file, format: 'oci-archive' });
    const names = await tarNames(file);
    assert.ok(names.includes('index.json') && names.includes('oci-layout'));
    assert.ok(names.includes(`blobs/sha256/${src.id}`));

    // the archive unpacks to a valid layout whose manifest is the pulled one (same digest)
    const unpacked = tmpDir();
    t.after(() => fs.rmSync(unpacked, { recursive: true, force: true }));
    const { unpackArchive } = await import('../../src/image/archive/sources');
    await unpackArchive(fs.createReadStream(file), unpacked);
    const { manifests } = validateOciLayout(unpacked);
    assert.equal(manifests.length, 1);
    assert.equal(manifests[0].digest, bb.digest);
    assert.equal(manifests[0].annotations['org.opencontainers.image.ref.name'], BUSYBOX);

    const loaded = await loadArchive(b.store, file);
    assert.deepEqual(loaded, [BUSYBOX]);
    const img = b.store.images.get(src.id)!;
    assert.ok(img);
    assert.equal(img.manifestDigest, bb.digest);
    assert.equal(readFromImage(b.store, img, 'etc/passwd'), FIXTURE_PASSWD);
  });
}

test('docker-dir round trip, with and without --compress; a foreign non-empty dir is refused', async (t) => {
  const a = newStore('vfs');
  const out = tmpDir();
  cleanupAfter(t, a.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await busyboxImage('docker');
  const src = await seed(a.store, bb, [BUSYBOX]);
  for (const compress of [false, true]) {
    const dir = path.join(out, `docker-dir-${compress}`);
    await saveImages(a.store, [{ input: 'busybox', img: src }], { output: dir, format: 'docker-dir', compress });
    assert.equal(fs.readFileSync(path.join(dir, 'version'), 'utf8'), 'Directory Transport Version: 1.1\n');
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(m.config.digest, `sha256:${src.id}`);
    for (const b of [m.config, ...m.layers]) assert.equal(sha256File(path.join(dir, hex(b.digest))), b.digest);
    const layerFile = path.join(dir, hex(m.layers[0].digest));
    const head = fs.readFileSync(layerFile).subarray(0, 2);
    assert.equal(head[0] === 0x1f && head[1] === 0x8b, compress, 'layer compression follows --compress');
    if (!compress) assert.equal(m.layers[0].digest, bb.layers[0].diffId);

    const b = newStore('vfs');
    t.after(b.cleanup);
    const loaded = await loadArchive(b.store, dir);
    assert.deepEqual(loaded, [`sha256:${src.id}`]);
    assert.equal(readFromImage(b.store, b.store.images.get(src.id)!, 'etc/group').length > 0, true);
  }
  // saving again over a dir layout replaces it; a foreign non-empty dir is refused
  const dir = path.join(out, 'docker-dir-false');
  await saveImages(a.store, [{ input: 'busybox', img: src }], { output: dir, format: 'docker-dir' });
  const foreign = path.join(out, 'foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, 'keep.txt'), 'x');
  await assert.rejects(saveImages(a.store, [{ input: 'busybox', img: src }], { output: foreign, format: 'docker-dir' }), /refusing to overwrite/);
  assert.deepEqual(fs.readdirSync(foreign), ['keep.txt']);
  await assert.rejects(saveImages(a.store, [{ input: 'busybox', img: src }], { output: path.join(out, 'x'), format: 'oci-dir', compress: true }),
    /^UsageError: --compress can only be set when --format is 'docker-dir'$/);
});

test('oci-dir is an OCI image layout (as podman\'s oci: destination): gzip layers unless --uncompressed, images added to an existing layout', async (t) => {
  const a = newStore('vfs');
  const out = tmpDir();
  cleanupAfter(t, a.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await seed(a.store, await busyboxImage('oci'), [BUSYBOX]);
  const ml = await seed(a.store, await multilayerImage('oci'), [MULTI]);
  const dir = path.join(out, 'layout');
  await saveImages(a.store, [{ input: 'busybox', img: bb }], { output: dir, format: 'oci-dir' });
  assert.deepEqual(fs.readdirSync(dir).sort(), ['blobs', 'index.json', 'oci-layout']);
  let { manifests } = validateOciLayout(dir);
  assert.deepEqual(manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']), [BUSYBOX]);
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'blobs', 'sha256', hex(manifests[0].digest)), 'utf8'));
  for (const l of m.layers) {
    assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
    const head = fs.readFileSync(path.join(dir, 'blobs', 'sha256', hex(l.digest))).subarray(0, 2);
    assert.ok(head[0] === 0x1f && head[1] === 0x8b, 'gzip layer');
  }
  // A second image joins the layout; the same name again replaces its entry.
  await saveImages(a.store, [{ input: MULTI, img: ml }], { output: dir, format: 'oci-dir' });
  await saveImages(a.store, [{ input: 'busybox', img: bb }], { output: dir, format: 'oci-dir' });
  ({ manifests } = validateOciLayout(dir));
  assert.deepEqual(manifests.map((d) => d.annotations['org.opencontainers.image.ref.name']).sort(), [BUSYBOX, MULTI].sort());
  const b = newStore('vfs');
  t.after(b.cleanup);
  const { pullFromTransport } = await import('../../src/image/archive/transports');
  await pullFromTransport(b.store, `oci:${dir}:${MULTI}`);
  assert.equal(b.store.images.byName(MULTI)!.id, ml.id);

  const plain = path.join(out, 'plain');
  await saveImages(a.store, [{ input: 'busybox', img: bb }], { output: plain, format: 'oci-dir', uncompressed: true });
  ({ manifests } = validateOciLayout(plain));
  const pm = JSON.parse(fs.readFileSync(path.join(plain, 'blobs', 'sha256', hex(manifests[0].digest)), 'utf8'));
  for (const l of pm.layers) assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar');
  const c = newStore('vfs');
  t.after(c.cleanup);
  assert.deepEqual(await loadArchive(c.store, plain), [BUSYBOX]);
  assert.equal(c.store.images.byName(BUSYBOX)!.id, bb.id);

  const file = path.join(out, 'file');
  fs.writeFileSync(file, 'x');
  await assert.rejects(saveImages(a.store, [{ input: 'busybox', img: bb }], { output: file, format: 'oci-dir' }),
    new RegExp(`^PierError: initializing destination oci:${file}:${BUSYBOX}: open ${file}/index.json: not a directory$`));
});

test('an image\'s manifest annotations survive oci-archive and oci-dir round trips', async (t) => {
  const a = newStore('vfs');
  const out = tmpDir();
  cleanupAfter(t, a.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await seed(a.store, await busyboxImage('docker'), [BUSYBOX]);
  // The image as a build with --annotation leaves it: an OCI manifest with annotations, whose
  // layer blobs are not the ones a save writes (so the manifest is written anew).
  const annotations = { 'org.opencontainers.image.base.name': 'docker.io/library/busybox:latest', foo: 'bar' };
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${bb.id}`, size: Buffer.byteLength(bb.configRaw) },
    layers: a.store.layers.chain(bb.topLayer).map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.diffId, size: l.uncompressedSize })),
    annotations,
  });
  const { sha256 } = await import('../../src/util/digest');
  a.store.images.put({ id: bb.id, configRaw: bb.configRaw, topLayer: bb.topLayer, size: bb.size, names: ['localhost/annotated:1'],
    manifest, manifestDigest: sha256(manifest), manifestMediaType: 'application/vnd.oci.image.manifest.v1+json' });
  const img = a.store.images.byName('localhost/annotated:1')!;
  const archive = path.join(out, 'a.tar');
  await saveImages(a.store, [{ input: 'localhost/annotated:1', img }], { output: archive, format: 'oci-archive' });
  const dir = path.join(out, 'layout');
  await saveImages(a.store, [{ input: 'localhost/annotated:1', img }], { output: dir, format: 'oci-dir' });
  const { manifestAnnotations } = await import('../../src/storage/images');
  for (const input of [archive, dir]) {
    const b = newStore('vfs');
    t.after(b.cleanup);
    assert.deepEqual(await loadArchive(b.store, input), ['localhost/annotated:1']);
    assert.deepEqual(manifestAnnotations(b.store.images.byName('localhost/annotated:1')), annotations, input);
  }
  // A Docker manifest has no place for them.
  const dd = path.join(out, 'docker-dir');
  await saveImages(a.store, [{ input: 'localhost/annotated:1', img }], { output: dd, format: 'docker-dir' });
  assert.equal(JSON.parse(fs.readFileSync(path.join(dd, 'manifest.json'), 'utf8')).annotations, undefined);
});

test('several images in one docker-archive (multi-image) and extra tags without it', async (t) => {
  const a = newStore('vfs');
  const b = newStore('vfs');
  const c = newStore('vfs');
  const out = tmpDir();
  cleanupAfter(t, a.cleanup, b.cleanup, c.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await seed(a.store, await busyboxImage('docker'), [BUSYBOX]);
  const ml = await seed(a.store, await multilayerImage('oci'), [MULTI]);
  const file = path.join(out, 'two.tar');
  await saveImages(a.store, [{ input: 'busybox', img: bb }, { input: MULTI, img: ml }, { input: ml.id, img: ml }],
    { output: file, format: 'docker-archive', multiImageArchive: true });
  const loaded = await loadArchive(b.store, file);
  assert.deepEqual(loaded.sort(), [BUSYBOX, MULTI].sort());
  assert.equal(b.store.images.byName(BUSYBOX)!.id, bb.id);
  assert.equal(b.store.images.byName(MULTI)!.id, ml.id);
  // shared base layer stored once
  assert.equal(b.store.layers.all().length, 3);

  // without --multi-image-archive further names are tags of the first image
  const tagged = path.join(out, 'tags.tar');
  await saveImages(a.store, [{ input: 'busybox', img: bb }, { input: 'quay.io/x/y:2', img: bb }],
    { output: tagged, format: 'docker-archive' });
  const names = await loadArchive(c.store, tagged);
  assert.deepEqual(names, [BUSYBOX, 'quay.io/x/y:2']);
  assert.equal(c.store.images.list().length, 1);

  await assert.rejects(saveImages(a.store, [{ input: 'busybox', img: bb }], { output: file, format: 'oci-archive', multiImageArchive: true }),
    /only docker-archive/);
});

test('saving by id leaves the image untagged', async (t) => {
  const a = newStore('vfs');
  const b = newStore('vfs');
  const out = tmpDir();
  cleanupAfter(t, a.cleanup, b.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await seed(a.store, await busyboxImage('docker'), [BUSYBOX]);
  const file = path.join(out, 'byid.tar');
  await saveImages(a.store, [{ input: bb.id.slice(0, 12), img: bb }], { output: file, format: 'docker-archive' });
  assert.deepEqual(await loadArchive(b.store, file), [`sha256:${bb.id}`]);
  assert.deepEqual(b.store.images.get(bb.id)!.names, []);
});

test('loads docker save archives (legacy <id>/layer.tar layout), plain and gzip-, bzip2-, xz- and zstd-compressed', async (t) => {
  const out = tmpDir();
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await busyboxImage('docker');
  const ml = await multilayerImage('docker');
  const file = path.join(out, 'docker-save.tar');
  await writeDockerArchive(file, [{ image: bb, repoTags: ['busybox:latest'] }, { image: ml, repoTags: ['example.com/ml:1', 'ml:2'] }]);
  const gz = path.join(out, 'docker-save.tar.gz');
  fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(file)));
  // podman 4.3 loads these three too (containers/image sniffs the compression).
  const others = ['bzip2', 'xz', 'zstd'].map((tool) => {
    const f = path.join(out, `docker-save.tar.${tool}`);
    fs.writeFileSync(f, execFileSync(tool, ['-c', file], { maxBuffer: 64 << 20 }));
    return f;
  });
  for (const f of [file, gz, ...others]) {
    const s = newStore('vfs');
    t.after(s.cleanup);
    const lines: string[] = [];
    const names = await loadArchive(s.store, f, { progress: { line: (l) => lines.push(l) } });
    assert.deepEqual(names, [BUSYBOX, 'example.com/ml:1', 'docker.io/library/ml:2']);
    assert.ok(lines.includes('Writing manifest to image destination'));
    const img = s.store.images.byName('example.com/ml:1')!;
    assert.equal(img.id, hex(ml.configDigest));
    assert.equal(readFromImage(s.store, img, 'data/overwritten.txt'), 'v2\n');
    assert.equal(s.store.images.byName(BUSYBOX)!.id, hex(bb.configDigest));
  }
});

test('loads an OCI layout directory and a Docker 25+ style archive', async (t) => {
  const out = tmpDir();
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await busyboxImage('oci');
  const layout = path.join(out, 'layout');
  writeOciLayout(layout, bb, 'docker.io/library/busybox:1.36');
  const s = newStore('vfs');
  t.after(s.cleanup);
  assert.deepEqual(await loadArchive(s.store, layout), ['docker.io/library/busybox:1.36']);
  // Docker 25+: an OCI layout plus a manifest.json pointing at blobs/sha256/...
  fs.writeFileSync(path.join(layout, 'manifest.json'), JSON.stringify([{
    Config: `blobs/sha256/${hex(bb.configDigest)}`, RepoTags: ['newdocker:latest'],
    Layers: bb.layers.map((l) => `blobs/sha256/${hex(l.digest)}`),
  }]));
  const s2 = newStore('vfs');
  t.after(s2.cleanup);
  assert.deepEqual(await loadArchive(s2.store, layout), ['docker.io/library/newdocker:latest']);
});

test('corrupted or truncated archives are refused and nothing is stored', async (t) => {
  const out = tmpDir();
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  const ml = await multilayerImage('docker');
  const file = path.join(out, 'good.tar');
  await writeDockerArchive(file, [{ image: ml, repoTags: ['ml:1'] }]);
  const good = fs.readFileSync(file);

  // Flip a byte inside the last layer's data: the first layers are fine and get applied
  // before the bad one is detected, so this also checks the rollback.
  const idx = good.indexOf(Buffer.from('added in layer 3'));
  assert.ok(idx > 0);
  const flipped = Buffer.from(good);
  flipped[idx] ^= 0x20;
  const truncated = good.subarray(0, Math.floor(good.length * 0.6));
  const gzTruncated = zlib.gzipSync(good).subarray(0, 3000);
  const xzTruncated = execFileSync('xz', ['-c'], { input: good }).subarray(0, 3000);
  const garbage = Buffer.from('this is not an archive at all\n'.repeat(50));
  const cases: [string, Buffer][] = [['flipped', flipped], ['truncated', truncated], ['gz-truncated', gzTruncated], ['xz-truncated', xzTruncated], ['garbage', garbage]];
  for (const [name, data] of cases) {
    const f = path.join(out, `${name}.tar`);
    fs.writeFileSync(f, data);
    const s = newStore('vfs');
    t.after(s.cleanup);
    await assert.rejects(loadArchive(s.store, f), (e: Error) => {
      assert.match(e.message, /^payload does not match any of the supported image formats:\n/, name);
      assert.match(e.message, / \* docker-archive: /);
      return true;
    });
    assert.equal(s.store.images.list().length, 0, `${name}: no images`);
    assert.equal(s.store.layers.all().length, 0, `${name}: no layers`);
    assert.deepEqual(fs.readdirSync(s.store.layers.blobDir), [], `${name}: no blobs`);
    assert.deepEqual(fs.readdirSync(s.store.tmpDir), [], `${name}: no temp files`);
  }
  // the flipped case names the digest problem
  const s = newStore('vfs');
  t.after(s.cleanup);
  const f = path.join(out, 'flipped.tar');
  await assert.rejects(loadArchive(s.store, f), /digest mismatch/);
});

test('save of layers without kept blobs regenerates them; the result loads with the same files', async (t) => {
  for (const driver of drivers()) {
    const a = newStore(driver);
    const b = newStore(driver);
    const out = tmpDir();
    cleanupAfter(t, a.cleanup, b.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
    const ml = await multilayerImage('oci');
    const src = await seed(a.store, ml, [MULTI], false);
    assert.equal(a.store.layers.get(src.topLayer!)!.compressedDigest, null);
    const file = path.join(out, 'regen.tar');
    await saveImages(a.store, [{ input: MULTI, img: src }], { output: file, format: 'oci-archive' });
    const [name] = await loadArchive(b.store, file);
    assert.equal(name, MULTI);
    const img = b.store.images.byName(MULTI)!;
    assert.equal(readFromImage(b.store, img, 'data/opaque/new.txt'), 'new in layer 3\n');
    assert.equal(readFromImage(b.store, img, 'data/kept.txt'), 'kept\n');
    // whiteouts survived: with vfs the final tree lacks the deleted paths
    if (driver === 'vfs') {
      const top = b.store.layers.diffDir(img.topLayer!);
      assert.equal(fs.existsSync(path.join(top, 'data/deleted.txt')), false);
      assert.equal(fs.existsSync(path.join(top, 'data/opaque/old.txt')), false);
      assert.equal(fs.existsSync(path.join(top, 'data/dir-deleted')), false);
    }
  }
});

test('save to stdout and load from stdin (separate processes)', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const a = newStore('vfs');
  const out = tmpDir();
  cleanupAfter(t, a.cleanup, () => fs.rmSync(out, { recursive: true, force: true }));
  const bb = await seed(a.store, await busyboxImage('docker'), [BUSYBOX]);
  const root = path.resolve(__dirname, '../..');
  const script = (body: string) => `
    const { Store } = require(${JSON.stringify(path.join(root, 'src/storage/store'))});
    const { saveImages } = require(${JSON.stringify(path.join(root, 'src/image/archive/save'))});
    const { loadArchive } = require(${JSON.stringify(path.join(root, 'src/image/archive/load'))});
    (async () => { ${body} })().catch((e) => { process.stderr.write(e.message); process.exit(125); });`;
  const saved = spawnSync(process.execPath, ['--import', 'tsx', '-e', script(`
    const store = new Store({ graphRoot: ${JSON.stringify(a.store.graphRoot)}, runRoot: ${JSON.stringify(a.store.runRoot)} });
    const img = store.images.get(${JSON.stringify(bb.id)});
    await saveImages(store, [{ input: 'busybox', img }], { output: '-', format: 'docker-archive' });`)], { cwd: root, maxBuffer: 64 << 20 });
  assert.equal(saved.status, 0, saved.stderr.toString());
  assert.ok((await tarNames(saved.stdout)).includes('manifest.json'));

  const b = newStore('vfs');
  t.after(b.cleanup);
  const loaded = spawnSync(process.execPath, ['--import', 'tsx', '-e', script(`
    const store = new Store({ graphRoot: ${JSON.stringify(b.store.graphRoot)}, runRoot: ${JSON.stringify(b.store.runRoot)} });
    const names = await loadArchive(store, '-');
    process.stdout.write(names.join(','));`)], { cwd: root, input: zlib.gzipSync(saved.stdout) });
  assert.equal(loaded.status, 0, loaded.stderr.toString());
  assert.equal(loaded.stdout.toString(), BUSYBOX);
  assert.equal(b.store.images.get(bb.id)?.names[0], BUSYBOX);
});

test('oci-archive --uncompressed writes plain tar layers (podman\'s --oci-accept-uncompressed-layers), and loads back', async (t) => {
  const a = newStore('vfs');
  const b = newStore('vfs');
  const out = tmpDir();
  const unpacked = tmpDir();
  cleanupAfter(t, a.cleanup, b.cleanup, () => fs.rmSync(out, { recursive: true, force: true }), () => fs.rmSync(unpacked, { recursive: true, force: true }));
  const bb = await busyboxImage('oci');
  const src = await seed(a.store, bb, [BUSYBOX]);
  const file = path.join(out, 'bb-plain.tar');
  await saveImages(a.store, [{ input: 'busybox', img: src }], { output: file, format: 'oci-archive', uncompressed: true });
  const { unpackArchive } = await import('../../src/image/archive/sources');
  await unpackArchive(fs.createReadStream(file), unpacked);
  const { manifests } = validateOciLayout(unpacked);
  const m = JSON.parse(fs.readFileSync(path.join(unpacked, 'blobs', 'sha256', hex(manifests[0].digest)), 'utf8'));
  for (const l of m.layers) {
    assert.equal(l.mediaType, 'application/vnd.oci.image.layer.v1.tar');
    const head = fs.readFileSync(path.join(unpacked, 'blobs', 'sha256', hex(l.digest))).subarray(257, 262).toString();
    assert.equal(head, 'ustar');
  }
  assert.deepEqual(await loadArchive(b.store, file), [BUSYBOX]);
  assert.equal(b.store.images.byName(BUSYBOX)!.id, src.id);
});
