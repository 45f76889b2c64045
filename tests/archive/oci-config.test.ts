// A Docker config saved in OCI format is re-encoded as containers/image does (podman's
// save --format oci-archive gives such an image a new ID); OCI configs are kept as they are.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ociConfigFromDocker } from '../../src/image/archive/oci-config';
import { saveImages } from '../../src/image/archive/save';
import { loadArchive } from '../../src/image/archive/load';
import { busyboxImage } from '../fixtures/images';
import { newStore, seed, tmpDir } from './helpers';

test('ociConfigFromDocker: the OCI Image struct re-encoded by Go (order, omitempty, sorted maps, escaping)', () => {
  const docker = JSON.stringify({
    architecture: 'amd64',
    config: {
      Hostname: '', Domainname: '', User: '', AttachStdin: false, Tty: false,
      Env: ['PATH=/usr/bin'], Cmd: ['sh', '-c', 'a && b'], Image: 'sha256:00', Volumes: null,
      WorkingDir: '/w', Entrypoint: null, OnBuild: null,
      Labels: { zeta: '1', alpha: '<x>' }, ExposedPorts: { '8080/tcp': {}, '80/tcp': {} },
    },
    container: 'abc', container_config: { Hostname: 'abc' },
    created: '2022-06-15T00:00:00.120000000Z', docker_version: '20.10.7',
    history: [{ created: '2022-06-15T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD x in /' },
      { created: '2022-06-15T00:00:01Z', created_by: 'CMD', empty_layer: true, comment: '' }],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: ['sha256:11'] },
  });
  assert.equal(ociConfigFromDocker(docker),
    '{"created":"2022-06-15T00:00:00.12Z","architecture":"amd64","os":"linux",' +
    '"config":{"ExposedPorts":{"80/tcp":{},"8080/tcp":{}},"Env":["PATH=/usr/bin"],"Cmd":["sh","-c","a \\u0026\\u0026 b"],' +
    '"WorkingDir":"/w","Labels":{"alpha":"\\u003cx\\u003e","zeta":"1"}},' +
    '"rootfs":{"type":"layers","diff_ids":["sha256:11"]},' +
    '"history":[{"created":"2022-06-15T00:00:00Z","created_by":"/bin/sh -c #(nop) ADD x in /"},{"created":"2022-06-15T00:00:01Z","created_by":"CMD","empty_layer":true}]}');
  // Nothing set: the fields Go always writes.
  assert.equal(ociConfigFromDocker('{}'), '{"architecture":"","os":"","config":{},"rootfs":{"type":"","diff_ids":null}}');
});

test('save --format oci-archive of a Docker-format image writes the converted config; loading it gives the new ID', async (t) => {
  const a = newStore('vfs');
  const b = newStore('vfs');
  const out = tmpDir();
  t.after(() => { a.cleanup(); b.cleanup(); fs.rmSync(out, { recursive: true, force: true }); });
  // busybox as docker writes it: with the fields OCI has no place for.
  const bb0 = await busyboxImage('docker');
  const raw = JSON.stringify({ ...JSON.parse(bb0.config.toString('utf8')), container_config: { Hostname: 'x' }, docker_version: '20.10.7' });
  const bb = { ...bb0, config: Buffer.from(raw), configDigest: 'sha256:' + createHash('sha256').update(raw).digest('hex') };
  const src = await seed(a.store, bb, ['docker.io/library/busybox:latest']);
  const file = path.join(out, 'bb.tar');
  await saveImages(a.store, [{ input: 'busybox', img: src }], { output: file, format: 'oci-archive' });
  const converted = ociConfigFromDocker(src.configRaw);
  const newId = createHash('sha256').update(converted).digest('hex');
  assert.notEqual(newId, src.id);
  await loadArchive(b.store, file);
  const img = b.store.images.byName('docker.io/library/busybox:latest')!;
  assert.equal(img.id, newId);
  assert.equal(img.configRaw, converted);
  assert.equal(img.manifestMediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(JSON.parse(img.manifest!).config.mediaType, 'application/vnd.oci.image.config.v1+json');
  // docker-archive keeps the config (and the ID) as it is.
  const dfile = path.join(out, 'bb-docker.tar');
  await saveImages(a.store, [{ input: 'busybox', img: src }], { output: dfile, format: 'docker-archive' });
  const c = newStore('vfs');
  t.after(() => c.cleanup());
  await loadArchive(c.store, dfile);
  assert.equal(c.store.images.byName('docker.io/library/busybox:latest')!.id, src.id);
});
