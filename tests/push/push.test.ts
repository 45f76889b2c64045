// push against real registries: exact re-push of pulled images, skipped and mounted blobs,
// images built locally (blobs generated), auth, errors.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, multilayerImage, pushImage, RegistryClient, TestImage } from '../fixtures/images';
import { TestStore } from '../helpers/cli';

let src: Registry;
let busybox: TestImage;
let multilayer: TestImage;

before(async () => {
  src = await startRegistry({ auth: 'none' });
  busybox = await busyboxImage('docker');
  multilayer = await multilayerImage('oci');
  await pushImage(src, 'lib/busybox', 'latest', busybox);
  await pushImage(src, 'lib/multilayer', 'latest', multilayer);
});
after(async () => { await src?.stop(); });

describe('push', () => {
  test('a pulled image is pushed byte-identical; a second push skips every blob; another repo mounts them', async () => {
    const dst = await startRegistry({ auth: 'none' });
    const s = new TestStore();
    try {
      s.ok(['pull', '-q', '--tls-verify=false', `${src.host}/lib/multilayer`]);
      const r1 = await s.runAsync(['push', '--tls-verify=false', `${src.host}/lib/multilayer`, `${dst.host}/copy/multilayer:v1`]);
      assert.equal(r1.code, 0, r1.stderr);
      assert.match(r1.stderr, /Copying blob sha256:/);
      assert.match(r1.stderr, /Writing manifest to image destination/);
      const client = new RegistryClient(dst);
      const m = await client.getManifest('copy/multilayer', 'v1');
      assert.equal(m.digest, multilayer.digest, 'same manifest digest as the source');
      const r2 = await s.runAsync(['push', '--tls-verify=false', `${src.host}/lib/multilayer`, `${dst.host}/copy/multilayer:v1`]);
      assert.equal(r2.code, 0, r2.stderr);
      assert.equal((r2.stderr.match(/skipped: already exists/g) ?? []).length, 3);
      // tag it under the destination's name so the store knows the image lives in copy/multilayer
      s.ok(['tag', `${src.host}/lib/multilayer`, `${dst.host}/copy/multilayer:v1`]);
      const r3 = await s.runAsync(['push', '--tls-verify=false', `${dst.host}/copy/multilayer:v1`, `${dst.host}/other/repo:x`]);
      assert.equal(r3.code, 0, r3.stderr);
      assert.doesNotMatch(r3.stderr, /Copying blob sha256:/, 'blobs are mounted from copy/multilayer, not uploaded');
      assert.equal((await client.getManifest('other/repo', 'x')).digest, multilayer.digest);
      const df = path.join(s.dir, 'digest');
      s.ok(['push', '--tls-verify=false', '--digestfile', df, `${dst.host}/copy/multilayer:v1`]);
      assert.equal(fs.readFileSync(df, 'utf8'), multilayer.digest);
    } finally {
      s.cleanup();
      await dst.stop();
    }
  });

  test('an imported image (no registry blobs) is pushed and pulls back identical into a fresh store', async () => {
    const dst = await startRegistry({ auth: 'basic' });
    const a = new TestStore();
    const b = new TestStore();
    try {
      const rootfs = path.join(a.dir, 'rootfs');
      fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
      fs.writeFileSync(path.join(rootfs, 'etc', 'message'), 'hello from import\n');
      const { spawnSync } = await import('node:child_process');
      spawnSync('tar', ['-C', rootfs, '-cf', path.join(a.dir, 'rootfs.tar'), '.']);
      const id = a.ok(['import', '-q', '--change', 'CMD ["cat", "/etc/message"]', path.join(a.dir, 'rootfs.tar'), 'localhost/imported']).trim().replace(/^sha256:/, '');
      const ref = `${dst.host}/mine/imported:1`;
      const bad = await a.runAsync(['push', '--tls-verify=false', '--creds', `${dst.username}:nope`, 'localhost/imported', ref]);
      assert.equal(bad.code, 125);
      // containers/image's wording: the refused blob check of the first layer, as a reuse attempt.
      assert.match(bad.stderr, new RegExp(`^Error: trying to reuse blob (sha256:[0-9a-f]{64}) at destination: checking whether a blob \\1 exists in ${dst.host}/mine/imported: unauthorized: authentication required$`, 'm'));
      const ok = await a.runAsync(['push', '--tls-verify=false', '--creds', `${dst.username}:${dst.password}`, 'localhost/imported', ref]);
      assert.equal(ok.code, 0, ok.stderr);
      // --format docker is podman's other name for v2s2.
      const v2s2 = await a.runAsync(['push', '-q', '--tls-verify=false', '--format', 'docker', '--creds', `${dst.username}:${dst.password}`, 'localhost/imported', `${dst.host}/mine/imported:docker`]);
      assert.equal(v2s2.code, 0, v2s2.stderr);
      const m = await new RegistryClient(dst).getManifest('mine/imported', 'docker');
      assert.equal(JSON.parse(m.body.toString()).mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
      // A built image's manifest annotations go along (its layers are compressed anew for the push).
      const ctx = path.join(a.dir, 'ctx');
      fs.mkdirSync(ctx);
      fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/imported\nENV X=1\n');
      assert.equal(a.run(['build', '-q', '--annotation', 'k=v', '-t', 'localhost/annotated', ctx]).code, 0);
      const pushed = await a.runAsync(['push', '-q', '--tls-verify=false', '--creds', `${dst.username}:${dst.password}`, 'localhost/annotated', `${dst.host}/mine/annotated:1`]);
      assert.equal(pushed.code, 0, pushed.stderr);
      const am = JSON.parse((await new RegistryClient(dst).getManifest('mine/annotated', '1')).body.toString());
      assert.equal(am.annotations.k, 'v');
      assert.equal(am.annotations['org.opencontainers.image.base.name'], 'localhost/imported:latest');
      const badFormat = a.run(['push', '--format', 'Docker', 'localhost/imported', ref]);
      assert.equal(badFormat.code, 125);
      assert.equal(badFormat.stderr.trim(), `Error: unknown format "Docker". Choose on of the supported formats: 'oci', 'v2s1', or 'v2s2'`);
      const pulled = await b.runAsync(['pull', '-q', '--tls-verify=false', '--creds', `${dst.username}:${dst.password}`, ref]);
      assert.equal(pulled.code, 0, pulled.stderr);
      assert.equal(pulled.stdout.trim(), id, 'same image id (config digest) after the round trip');
      const inspect = JSON.parse(b.ok(['image', 'inspect', ref]))[0];
      assert.deepEqual(inspect.Config.Cmd, ['cat', '/etc/message']);
      const dir = inspect.GraphDriver.Data.UpperDir ?? inspect.GraphDriver.Data.Dir;
      assert.equal(fs.readFileSync(path.join(dir, 'etc', 'message'), 'utf8'), 'hello from import\n');
    } finally {
      a.cleanup();
      b.cleanup();
      await dst.stop();
    }
  });

  test('errors: missing local image, short destination, unreachable registry', async () => {
    const s = new TestStore();
    try {
      const r1 = s.run(['push', 'localhost/nope', `${src.host}/x/y`]);
      assert.equal(r1.code, 125);
      assert.match(r1.stderr, /image not known/);
      s.ok(['pull', '-q', '--tls-verify=false', `${src.host}/lib/busybox`]);
      const t0 = Date.now();
      const r2 = s.run(['push', '--tls-verify=false', '--retry', '0', `${src.host}/lib/busybox`, '127.0.0.1:1/x/y']);
      assert.equal(r2.code, 125);
      assert.match(r2.stderr, /connection refused/i);
      assert.ok(Date.now() - t0 < 10_000);
    } finally {
      s.cleanup();
    }
  });
});
