// push to oci:, dir:, docker-archive:, oci-archive: destinations and pull back from them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeToTransport, pullFromTransport } from '../../src/image/archive/transports';
import { busyboxImage, multilayerImage, hex, FIXTURE_PASSWD } from '../fixtures/images';
import { newStore, seed, tmpDir, readFromImage, validateOciLayout, sha256File } from './helpers';

test('push to oci: writes a valid layout and adds to an existing index', async (t) => {
  const a = newStore('vfs');
  const out = tmpDir();
  t.after(() => { a.cleanup(); fs.rmSync(out, { recursive: true, force: true }); });
  const bbImg = await busyboxImage('oci');
  const bb = await seed(a.store, bbImg, ['docker.io/library/busybox:latest']);
  const ml = await seed(a.store, await multilayerImage('docker'), ['localhost/ml:latest']);
  const layout = path.join(out, 'layout');
  await writeToTransport(a.store, bb, `oci:${layout}:busybox`);
  await writeToTransport(a.store, ml, `oci:${layout}:ml`);
  await writeToTransport(a.store, ml, `oci:${layout}:ml`); // replaces, no duplicate
  await writeToTransport(a.store, bb, `oci:${layout}`); // unnamed entry
  const { manifests } = validateOciLayout(layout);
  assert.deepEqual(manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? null), ['busybox', 'ml', null]);
  assert.equal(manifests[0].digest, bbImg.digest, 'pulled OCI manifest reused byte for byte');
  const mlManifest = JSON.parse(fs.readFileSync(path.join(layout, 'blobs/sha256', hex(manifests[1].digest)), 'utf8'));
  assert.equal(mlManifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.ok(mlManifest.layers.every((l: any) => l.mediaType === 'application/vnd.oci.image.layer.v1.tar+gzip'));
  assert.equal(mlManifest.config.digest, `sha256:${ml.id}`);
  // no temp files left in the layout
  assert.deepEqual(fs.readdirSync(layout).sort(), ['blobs', 'index.json', 'oci-layout']);

  // pull back by name into a fresh store
  const b = newStore('vfs');
  t.after(b.cleanup);
  const ids = await pullFromTransport(b.store, `oci:${layout}:ml`);
  assert.deepEqual(ids, [ml.id]);
  const got = b.store.images.get(ml.id)!;
  assert.deepEqual(got.names, ['localhost/ml:latest']);
  assert.equal(readFromImage(b.store, got, 'data/added.txt'), 'added in layer 3\n');
  await assert.rejects(pullFromTransport(b.store, `oci:${layout}`), /more than one image/);
  assert.deepEqual(await pullFromTransport(b.store, `oci:${layout}:@0`), [bb.id]);
});

test('push to dir: writes manifest, version and blobs named by digest', async (t) => {
  const a = newStore('vfs');
  const out = tmpDir();
  t.after(() => { a.cleanup(); fs.rmSync(out, { recursive: true, force: true }); });
  const img = await seed(a.store, await busyboxImage('docker'), ['docker.io/library/busybox:latest']);
  const dir = path.join(out, 'dirdest');
  await writeToTransport(a.store, img, `dir:${dir}`);
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  assert.equal(m.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(fs.readFileSync(path.join(dir, 'version'), 'utf8'), 'Directory Transport Version: 1.1\n');
  const files = fs.readdirSync(dir).filter((f) => f !== 'manifest.json' && f !== 'version').sort();
  assert.deepEqual(files, [m.config, ...m.layers].map((b: any) => hex(b.digest)).sort());
  for (const f of files) assert.equal(sha256File(path.join(dir, f)), `sha256:${f}`);
  // pushing again replaces the directory atomically
  await writeToTransport(a.store, img, `dir:${dir}`);
  assert.equal(fs.readdirSync(dir).length, files.length + 2);

  const b = newStore('vfs');
  t.after(b.cleanup);
  assert.deepEqual(await pullFromTransport(b.store, `dir:${dir}`), [img.id]);
  assert.equal(readFromImage(b.store, b.store.images.get(img.id)!, 'etc/passwd'), FIXTURE_PASSWD);
});

test('push to docker-archive: and oci-archive: then pull them back', async (t) => {
  const a = newStore('vfs');
  const out = tmpDir();
  t.after(() => { a.cleanup(); fs.rmSync(out, { recursive: true, force: true }); });
  const img = await seed(a.store, await multilayerImage('oci'), ['localhost/ml:latest']);
  const da = path.join(out, 'x.tar');
  await writeToTransport(a.store, img, `docker-archive:${da}:example.com/ml:7`);
  const oa = path.join(out, 'y.tar');
  await writeToTransport(a.store, img, `oci-archive:${oa}:mytag`);
  assert.deepEqual(fs.readdirSync(out).sort(), ['x.tar', 'y.tar']);

  const b = newStore('vfs');
  t.after(b.cleanup);
  assert.deepEqual(await pullFromTransport(b.store, `docker-archive:${da}`), [img.id]);
  assert.deepEqual(b.store.images.get(img.id)!.names, ['example.com/ml:7']);
  const c = newStore('vfs');
  t.after(c.cleanup);
  assert.deepEqual(await pullFromTransport(c.store, `oci-archive:${oa}:mytag`), [img.id]);
  assert.equal(readFromImage(c.store, c.store.images.get(img.id)!, 'data/overwritten.txt'), 'v2\n');
  await assert.rejects(pullFromTransport(c.store, `oci-archive:${oa}:other`), /no image/);
  await assert.rejects(writeToTransport(a.store, img, `oci:${out}/z:@1`), /source index/);
  await assert.rejects(writeToTransport(a.store, img, `oci-archive:${out}/missing-dir/z.tar`), /no such file or directory/);
});
