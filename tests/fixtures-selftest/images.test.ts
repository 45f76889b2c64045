// The test images: deterministic, well-formed, and with the documented content
// (checked by extracting with the system tar).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  BUSYBOX_APPLETS, bigImage, blobBytes, buildFixtureImages, busyboxImage, fixtureCacheDir, MT,
  MULTIARCH_PLATFORMS, MULTILAYER_ABSENT, MULTILAYER_EXPECTED, multiarchIndex, multilayerImage,
  platformString, sha256, TestImage, writeDockerArchive, writeOciLayout, AnyTestImage,
} from '../fixtures/images';

function tmp(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-img-test-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function getxattr(file: string, name: string): string {
  return execFileSync('python3', ['-c', 'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2]).decode())', file, name]).toString();
}

/** Checks every digest/size an image states against its bytes. */
function checkWellFormed(img: TestImage): void {
  assert.equal(sha256(img.manifest), img.digest);
  assert.equal(sha256(img.config), img.configDigest);
  const m = JSON.parse(img.manifest.toString()) as { schemaVersion: number; mediaType: string; config: { digest: string; size: number; mediaType: string }; layers: { digest: string; size: number; mediaType: string }[] };
  assert.equal(m.schemaVersion, 2);
  assert.equal(m.mediaType, img.manifestMediaType);
  assert.equal(m.config.digest, img.configDigest);
  assert.equal(m.config.size, img.config.length);
  assert.equal(m.config.mediaType, img.manifestMediaType === MT.ociManifest ? MT.ociConfig : MT.dockerConfig);
  const cfg = JSON.parse(img.config.toString()) as { rootfs: { diff_ids: string[] }; architecture: string; os: string };
  assert.equal(cfg.rootfs.diff_ids.length, img.layers.length);
  img.layers.forEach((l, i) => {
    const data = blobBytes(l);
    assert.equal(sha256(data), l.digest);
    assert.equal(data.length, l.size);
    assert.equal(m.layers[i].digest, l.digest);
    assert.equal(m.layers[i].mediaType, img.manifestMediaType === MT.ociManifest ? MT.ociLayer : MT.dockerLayer);
    const tar = zlib.gunzipSync(data);
    assert.equal(sha256(tar), l.diffId);
    assert.equal(cfg.rootfs.diff_ids[i], l.diffId);
    assert.equal(tar.length, l.uncompressedSize);
    // fixed gzip header: no mtime, no file name
    assert.equal(data.readUInt32LE(4), 0);
    assert.equal(data[3] & 0x08, 0);
  });
}

function digestsOf(img: AnyTestImage): string[] {
  const one = (i: TestImage) => [i.digest, i.configDigest, ...i.layers.map((l) => l.digest)];
  return img.kind === 'image' ? one(img) : [img.digest, ...img.children.flatMap(one)];
}

/** Applies layers like a container engine, using GNU tar plus manual whiteout handling. */
function applyLayers(img: TestImage, root: string, scratch: string): void {
  img.layers.forEach((l, i) => {
    const file = path.join(scratch, `layer${i}.tar.gz`);
    fs.writeFileSync(file, blobBytes(l));
    const names = execFileSync('tar', ['-tzf', file]).toString().trim().split('\n');
    for (const n of names) {
      const clean = n.replace(/\/$/, '');
      const base = path.posix.basename(clean);
      const dir = path.posix.dirname(clean);
      if (base === '.wh..wh..opq') {
        const target = path.join(root, dir);
        if (fs.existsSync(target)) for (const e of fs.readdirSync(target)) fs.rmSync(path.join(target, e), { recursive: true, force: true });
      } else if (base.startsWith('.wh.')) {
        fs.rmSync(path.join(root, dir, base.slice(4)), { recursive: true, force: true });
      }
    }
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--same-owner', '-xpzf', file, '-C', root]);
    for (const n of names) if (path.posix.basename(n.replace(/\/$/, '')).startsWith('.wh.')) fs.rmSync(path.join(root, n), { force: true });
  });
}

function walk(root: string, rel: string, out: string[]): void {
  for (const e of fs.readdirSync(path.join(root, rel)).sort()) {
    const r = rel ? `${rel}/${e}` : e;
    out.push(r);
    if (fs.lstatSync(path.join(root, r)).isDirectory()) walk(root, r, out);
  }
}

test('images: builds are deterministic and the cache holds exactly the fresh build', async () => {
  const a = await buildFixtureImages();
  const b = await buildFixtureImages();
  assert.deepEqual(Object.keys(a).sort(), ['busybox-docker', 'busybox-oci', 'multiarch-docker', 'multiarch-oci', 'multilayer-docker', 'multilayer-oci']);
  for (const k of Object.keys(a)) assert.deepEqual(digestsOf(a[k]), digestsOf(b[k]), k);
  assert.deepEqual(digestsOf(await busyboxImage('docker')), digestsOf(a['busybox-docker']));
  assert.deepEqual(digestsOf(await multilayerImage('oci')), digestsOf(a['multilayer-oci']));
  assert.deepEqual(digestsOf(await multiarchIndex('docker')), digestsOf(a['multiarch-docker']));
  assert.ok(fs.existsSync(path.join(fixtureCacheDir(), 'catalog.json')));
  // docker and OCI variants share layer and config bytes
  const d = await busyboxImage('docker');
  const o = await busyboxImage('oci');
  assert.equal(d.layers[0].digest, o.layers[0].digest);
  assert.equal(d.configDigest, o.configDigest);
  assert.notEqual(d.digest, o.digest);
  // the busybox layer is the base of the multilayer image
  assert.equal((await multilayerImage('docker')).layers[0].digest, d.layers[0].digest);
});

test('images: busybox is well formed and its rootfs runs', async (t) => {
  for (const fmt of ['docker', 'oci'] as const) checkWellFormed(await busyboxImage(fmt));
  const img = await busyboxImage('docker');
  assert.equal(img.manifestMediaType, MT.dockerManifest);
  assert.equal((await busyboxImage('oci')).manifestMediaType, MT.ociManifest);
  const cfg = JSON.parse(img.config.toString());
  assert.deepEqual(cfg.config.Cmd, ['sh']);
  assert.equal(cfg.architecture, 'amd64');
  assert.equal(cfg.os, 'linux');
  assert.equal(cfg.created, '2024-01-01T00:00:00Z');
  assert.match(cfg.config.Env[0], /^PATH=/);

  const d = tmp(t);
  const root = path.join(d, 'root');
  fs.mkdirSync(root);
  applyLayers(img, root, d);
  const bb = fs.statSync(path.join(root, 'bin/busybox'));
  for (const a of BUSYBOX_APPLETS) assert.equal(fs.statSync(path.join(root, 'bin', a)).ino, bb.ino, a);
  assert.equal(fs.statSync(path.join(root, 'tmp')).mode & 0o7777, 0o1777);
  assert.equal(fs.statSync(path.join(root, 'root')).mode & 0o7777, 0o700);
  assert.equal(fs.statSync(path.join(root, 'home/tester')).uid, 1000);
  assert.match(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^tester:x:1000:1000:/m);
  assert.equal(fs.readlinkSync(path.join(root, 'usr/bin/env')), '/bin/env');
  assert.equal(fs.statSync(path.join(root, 'etc/passwd')).mtimeMs, Date.parse('2024-01-01T00:00:00Z'));
  const out = execFileSync(path.join(root, 'bin/sh'), ['-c', 'echo hello; printf %s $((6*7))'], { env: {} }).toString();
  assert.equal(out, 'hello\n42');
  // applets dispatch on their link name
  assert.equal(execFileSync(path.join(root, 'bin/basename'), ['/a/b/c']).toString(), 'c\n');
});

test('images: multilayer final rootfs matches MULTILAYER_EXPECTED exactly', async (t) => {
  for (const fmt of ['docker', 'oci'] as const) checkWellFormed(await multilayerImage(fmt));
  const img = await multilayerImage('oci');
  assert.equal(img.layers.length, 3);
  const cfg = JSON.parse(img.config.toString());
  assert.equal(cfg.history.length, 4);
  assert.equal(cfg.history.filter((h: { empty_layer?: boolean }) => !h.empty_layer).length, 3);

  const d = tmp(t);
  const root = path.join(d, 'root');
  fs.mkdirSync(root);
  applyLayers(img, root, d);
  const found: string[] = ['data'];
  walk(root, 'data', found);
  assert.deepEqual(found.sort(), Object.keys(MULTILAYER_EXPECTED).sort());
  for (const p of MULTILAYER_ABSENT) assert.equal(fs.existsSync(path.join(root, p)), false, p);
  for (const [p, e] of Object.entries(MULTILAYER_EXPECTED)) {
    const abs = path.join(root, p);
    const st = fs.lstatSync(abs);
    assert.equal(st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : '?', e.type, p);
    if (e.content !== undefined) assert.equal(fs.readFileSync(abs, 'utf8'), e.content, p);
    if (e.target !== undefined) assert.equal(fs.readlinkSync(abs), e.target, p);
    if (e.mode !== undefined) assert.equal(st.mode & 0o7777, e.mode, p);
    assert.equal(st.uid, e.uid ?? 0, p);
    assert.equal(st.gid, e.gid ?? 0, p);
    for (const [k, v] of Object.entries(e.xattrs ?? {})) assert.equal(getxattr(abs, k), v, p);
    if (e.hardlinkOf) assert.equal(st.ino, fs.statSync(path.join(root, e.hardlinkOf)).ino, p);
  }
  assert.ok(Object.keys(MULTILAYER_EXPECTED).some((p) => p.length > 100 && path.posix.basename(p).length > 100));
  // the relative dir symlink resolves into the base layer
  assert.ok(fs.statSync(path.join(root, 'data/bin-link/busybox')).isFile());
});

test('images: multiarch index and manifest list carry the right platforms', async (t) => {
  for (const fmt of ['oci', 'docker'] as const) {
    const idx = await multiarchIndex(fmt);
    assert.equal(sha256(idx.index), idx.digest);
    assert.equal(idx.indexMediaType, fmt === 'oci' ? MT.ociIndex : MT.dockerList);
    const doc = JSON.parse(idx.index.toString()) as { mediaType: string; manifests: { digest: string; mediaType: string; size: number; platform: Record<string, string> }[] };
    assert.equal(doc.mediaType, idx.indexMediaType);
    assert.deepEqual(doc.manifests.map((m) => m.platform), MULTIARCH_PLATFORMS);
    assert.equal(new Set(idx.children.map((c) => c.digest)).size, 3);
    idx.children.forEach((c, i) => {
      checkWellFormed(c);
      assert.equal(doc.manifests[i].digest, c.digest);
      assert.equal(doc.manifests[i].size, c.manifest.length);
      assert.equal(doc.manifests[i].mediaType, c.manifestMediaType);
      const cfg = JSON.parse(c.config.toString());
      assert.equal(cfg.architecture, MULTIARCH_PLATFORMS[i].architecture);
      assert.equal(cfg.os, 'linux');
      assert.equal(cfg.variant, MULTIARCH_PLATFORMS[i].variant);
    });
  }
  const idx = await multiarchIndex('oci');
  const d = tmp(t);
  for (const c of idx.children) {
    const root = fs.mkdtempSync(path.join(d, 'r'));
    applyLayers(c, root, d);
    assert.equal(fs.readFileSync(path.join(root, 'etc/arch'), 'utf8'), platformString(c.platform) + '\n');
    assert.ok(fs.existsSync(path.join(root, 'bin/busybox')));
  }
});

test('images: bigImage is deterministic, streamed to disk and incompressible', async () => {
  const opts = { layers: 3, totalBytes: 3_000_001, seed: 'selftest', fileBytes: 700_000 };
  const a = await bigImage(opts);
  const b = await bigImage(opts);
  assert.deepEqual(digestsOf(a), digestsOf(b));
  checkWellFormed(a);
  assert.equal(a.layers.length, 3);
  assert.equal(a.layers.every((l) => l.path && !l.data), true);
  const other = await bigImage({ ...opts, seed: 'other' });
  assert.notEqual(other.layers[0].digest, a.layers[0].digest);
  let payload = 0;
  for (const l of a.layers) {
    const tar = zlib.gunzipSync(fs.readFileSync(l.path!));
    assert.ok(l.size > tar.length * 0.99, 'random data does not compress');
    const list = execFileSync('tar', ['-tvf', '-'], { input: tar }).toString().trim().split('\n');
    for (const line of list) if (line.startsWith('-')) payload += Number(line.split(/\s+/)[2]);
  }
  assert.equal(payload, 3_000_001);
});

test('images: writeOciLayout makes a valid layout; writeDockerArchive a docker-save tarball', async (t) => {
  const d = tmp(t);
  const layout = path.join(d, 'oci');
  const bb = await busyboxImage('oci');
  const idx = await multiarchIndex('oci');
  writeOciLayout(layout, bb, 'busybox:latest');
  writeOciLayout(layout, idx, 'multi:latest');
  writeOciLayout(layout, bb, 'busybox:latest'); // replaces, not duplicates
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(fs.readFileSync(path.join(layout, 'index.json'), 'utf8'));
  assert.equal(index.schemaVersion, 2);
  assert.deepEqual(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations['org.opencontainers.image.ref.name']).sort(), ['busybox:latest', 'multi:latest']);
  for (const f of fs.readdirSync(path.join(layout, 'blobs/sha256'))) {
    assert.equal(sha256(fs.readFileSync(path.join(layout, 'blobs/sha256', f))), 'sha256:' + f);
  }
  for (const dg of [...digestsOf(bb), ...digestsOf(idx)]) assert.ok(fs.existsSync(path.join(layout, 'blobs/sha256', dg.slice(7))), dg);

  const archive = path.join(d, 'save.tar');
  const ml = await multilayerImage('docker');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['busybox:latest'] }, { image: ml, repoTags: ['localhost/multi:v1', 'multi:latest'] }]);
  const x = path.join(d, 'x');
  fs.mkdirSync(x);
  execFileSync('tar', ['-xf', archive, '-C', x]);
  const manifest = JSON.parse(fs.readFileSync(path.join(x, 'manifest.json'), 'utf8')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  assert.equal(manifest.length, 2);
  assert.deepEqual(manifest[1].RepoTags, ['localhost/multi:v1', 'multi:latest']);
  assert.equal(manifest[1].Config, ml.configDigest.slice(7) + '.json');
  assert.equal(sha256(fs.readFileSync(path.join(x, manifest[1].Config))), ml.configDigest);
  assert.equal(manifest[0].Layers[0], manifest[1].Layers[0], 'shared base layer');
  manifest[1].Layers.forEach((lp, i) => assert.equal(sha256(fs.readFileSync(path.join(x, lp))), ml.layers[i].diffId));
  const repos = JSON.parse(fs.readFileSync(path.join(x, 'repositories'), 'utf8'));
  assert.equal(repos['localhost/multi'].v1, manifest[1].Layers[2].split('/')[0]);
  assert.equal(repos.busybox.latest, manifest[0].Layers[0].split('/')[0]);
});
