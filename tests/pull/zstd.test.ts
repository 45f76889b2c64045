// Layers compressed with zstd (application/vnd.oci.image.layer.v1.tar+zstd): pulled, stored,
// run, and pushed on byte-exact; a corrupt zstd layer is refused and leaves nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { busyboxStore, TestStore } from '../helpers/cli';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, pushImage, sha256, TestImage, MT } from '../fixtures/images';

let reg: Registry;
let store: TestStore;
let zimg: TestImage;

function zstdImage(base: TestImage, corrupt = false): TestImage {
  const l = base.layers[0];
  const gz = l.data ?? fs.readFileSync(l.path!);
  const tar = zlib.gunzipSync(gz);
  let z = spawnSync('zstd', ['-c', '-q', '-3'], { input: tar, maxBuffer: 1 << 30 }).stdout;
  if (corrupt) { z = Buffer.from(z); z.fill(0x55, 200, 400); }
  const layer = { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: sha256(z), size: z.length, data: z, diffId: l.diffId, uncompressedSize: tar.length };
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociManifest,
    config: { mediaType: base.configMediaType, digest: base.configDigest, size: base.config.length },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
  }));
  return { ...base, manifest, manifestMediaType: MT.ociManifest, digest: sha256(manifest), layers: [layer] };
}

before(async () => {
  reg = await startRegistry();
  const base = await busyboxImage('oci');
  zimg = zstdImage(base);
  await pushImage(reg, 'z/busybox', 'latest', zimg);
  await pushImage(reg, 'z/corrupt', 'latest', zstdImage(base, true));
  store = new TestStore();
});
after(async () => {
  store.cleanup();
  await reg.stop();
});

test('pulls and runs an image whose layer is zstd-compressed', () => {
  store.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/z/busybox`]);
  const out = store.ok(['run', '--rm', '--network', 'none', `${reg.host}/z/busybox`, 'cat', '/etc/passwd']);
  assert.match(out, /^root:x:0:0/);
});

test('push keeps the zstd blob byte-exact', async () => {
  store.ok(['push', '--tls-verify=false', `${reg.host}/z/busybox`, `${reg.host}/z/copy:1`]);
  const r = await fetch(`http://${reg.host}/v2/z/copy/manifests/1`, { headers: { Accept: MT.ociManifest } });
  const m = await r.json() as { layers: { mediaType: string; digest: string }[] };
  assert.equal(m.layers[0].mediaType, 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.equal(m.layers[0].digest, zimg.layers[0].digest);
});

test('a corrupt zstd layer is refused with a clear error and stores nothing', () => {
  const s = new TestStore();
  try {
    const r = s.run(['pull', '-q', '--tls-verify=false', `${reg.host}/z/corrupt`]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /zstd|digest/i);
    assert.equal(s.ok(['images', '-q']), '');
  } finally {
    s.cleanup();
  }
});
