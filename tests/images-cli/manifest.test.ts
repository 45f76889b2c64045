// pier manifest against the real registry fixture: lists made of local images (containers-storage:)
// and registry references (docker://), annotate, inspect (podman's JSON), push --all, the list
// pulled back by platform, remote inspect, remove, rm, exists, rmi and podman's errors.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startRegistry, Registry } from '../fixtures/registry';
import { multiarchIndex, pushImage, RegistryClient, TestImage, hex } from '../fixtures/images';
import { spawnSync } from 'node:child_process';
import { PIER, TestStore, REMOTE, busyboxStore } from '../helpers/cli';

let reg: Registry;
let amd64: TestImage;
let arm64: TestImage;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  const idx = await multiarchIndex('oci');
  amd64 = idx.children.find((c) => c.platform.architecture === 'amd64')!;
  arm64 = idx.children.find((c) => c.platform.architecture === 'arm64')!;
  await pushImage(reg, 'lib/img', 'amd64', amd64);
  await pushImage(reg, 'lib/img', 'arm64', arm64);
  await pushImage(reg, 'lib/multi', 'latest', idx);
});
after(async () => { await reg?.stop(); });

/** A store whose registries.conf marks the fixture registry insecure (manifest inspect has no --tls-verify). */
function store(): TestStore {
  const s = new TestStore();
  fs.writeFileSync(s.registriesConf, `unqualified-search-registries = []\n[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
  return s;
}

function withStore(fn: (s: TestStore) => Promise<void> | void) {
  return async () => {
    const s = store();
    try { await fn(s); } finally { s.cleanup(); }
  };
}

/** A store with both architectures pulled (arm64 by its own tag). */
function pulled(s: TestStore): void {
  s.ok(['pull', '-q', `${reg.host}/lib/img:amd64`, `${reg.host}/lib/img:arm64`]);
}

function fails(s: TestStore, args: string[], message: string, code = 125): void {
  const r = s.run(args);
  assert.equal(r.code, code, `pier ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr, `Error: ${message}\n`);
}

describe('manifest', () => {
  test('create, add from the store and from a registry, annotate: the list as podman shows it', withStore((s) => {
    pulled(s);
    const id = s.ok(['manifest', 'create', 'mylist']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(s.ok(['manifest', 'inspect', 'mylist']),
      '{\n    "schemaVersion": 2,\n    "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",\n    "manifests": null\n}\n');
    assert.equal(s.ok(['manifest', 'add', 'mylist', `containers-storage:${reg.host}/lib/img:arm64`]).trim(), id);
    assert.equal(s.ok(['manifest', 'add', 'mylist', `docker://${reg.host}/lib/img:amd64`]).trim(), id);
    const annotate = ['manifest', 'annotate', '--annotation', 'a=b,c=d,"e=f,g"', '--os-version', '1.0', '--variant', 'vv', 'mylist', arm64.digest];
    if (REMOTE) {
      // podman offers annotate in its local mode only; the list is annotated locally here.
      fails(s, annotate, 'cannot use command "pier manifest annotate" with the remote pier client');
      const local = spawnSync(process.execPath, [PIER, ...s.localArgs(), ...annotate], { env: s.env() });
      assert.equal(local.status, 0, local.stderr.toString());
    } else {
      assert.equal(s.ok(annotate).trim(), id);
    }
    const list = JSON.parse(s.ok(['manifest', 'inspect', 'mylist']));
    assert.deepEqual(list, {
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json', size: arm64.manifest.length, digest: arm64.digest,
          platform: { architecture: 'arm64', os: 'linux', 'os.version': '1.0', variant: 'vv' }, annotations: { a: 'b', c: 'd', e: 'f,g' },
        },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: amd64.manifest.length, digest: amd64.digest, platform: { architecture: 'amd64', os: 'linux' } },
      ],
    });
    // `images` lists the list itself, named, with its digest; image commands see its instance for this host.
    const row = JSON.parse(s.ok(['images', '--format', 'json'])).find((i: any) => i.Id === id);
    assert.deepEqual(row.Names, ['localhost/mylist:latest']);
    assert.match(row.Digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(row.RepoDigests, [`localhost/mylist@${row.Digest}`]);
    if (process.arch === 'x64') assert.equal(s.ok(['image', 'inspect', '--format', '{{.Id}}', 'mylist']).trim(), hex(amd64.configDigest));
    // A list with no local instance for this host is not an image to inspect.
    s.ok(['manifest', 'create', 'armonly', `containers-storage:${reg.host}/lib/img:arm64`]);
    if (process.arch === 'x64') {
      fails(s, ['image', 'inspect', 'armonly'], 'inspecting object: no image found in image index for architecture amd64, variant "", OS linux: image not known');
    }
  }));

  test('push --all, pull back by platform, inspect the registry\'s list, plain push of a list', withStore(async (s) => {
    pulled(s);
    s.ok(['manifest', 'create', 'mylist', `containers-storage:${reg.host}/lib/img:amd64`, `containers-storage:${reg.host}/lib/img:arm64`]);
    const digestFile = path.join(s.dir, 'digest');
    const r = s.run(['manifest', 'push', '--digestfile', digestFile, 'mylist', `${reg.host}/pushed/list:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Getting image list signatures\nCopying 2 of 2 images in list\nCopying image sha256:[0-9a-f]{64} \(1\/2\)\n/);
    assert.match(r.stderr, /Writing manifest list to image destination\nStoring list signatures\n$/);
    const m = await new RegistryClient(reg).getManifest('pushed/list', 'v1');
    assert.equal(m.digest, fs.readFileSync(digestFile, 'utf8'));
    const index = JSON.parse(m.body.toString());
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(index.manifests.map((e: any) => [e.digest, e.platform.architecture]), [[amd64.digest, 'amd64'], [arm64.digest, 'arm64']]);
    // The instances were pushed into the same repository, by digest.
    assert.equal((await new RegistryClient(reg).getManifest('pushed/list', arm64.digest)).digest, arm64.digest);

    // The registry's list, shown as podman shows a remote list: a Docker list.
    const remote = JSON.parse(s.ok(['manifest', 'inspect', `${reg.host}/pushed/list:v1`]));
    assert.equal(remote.mediaType, 'application/vnd.docker.distribution.manifest.list.v2+json');
    assert.deepEqual(remote.manifests.map((e: any) => e.digest), [amd64.digest, arm64.digest]);
    fails(s, ['manifest', 'inspect', `${reg.host}/pushed/nosuch`],
      `reading image "docker://${reg.host}/pushed/nosuch:latest": reading manifest latest in ${reg.host}/pushed/nosuch: manifest unknown`);

    const p = store();
    try {
      const arm = p.ok(['pull', '-q', '--arch', 'arm64', `${reg.host}/pushed/list:v1`]).trim();
      assert.equal(arm, hex(arm64.configDigest));
      if (process.arch === 'x64') {
        p.ok(['rmi', arm]);
        assert.equal(p.ok(['pull', '-q', `${reg.host}/pushed/list:v1`]).trim(), hex(amd64.configDigest));
      }
    } finally {
      p.cleanup();
    }

    // `pier push` of a list without a local instance for this host pushes the list (podman's fallback).
    s.ok(['manifest', 'create', 'armonly', `containers-storage:${reg.host}/lib/img:arm64`]);
    if (process.arch === 'x64') {
      const pr = s.run(['push', 'armonly', `${reg.host}/pushed/armonly:v1`]);
      assert.equal(pr.code, 0, pr.stderr);
      assert.match(pr.stderr, /Copying 1 of 1 images in list/);
      const a = JSON.parse((await new RegistryClient(reg).getManifest('pushed/armonly', 'v1')).body.toString());
      assert.deepEqual(a.manifests.map((e: any) => e.digest), [arm64.digest]);
    }
    // --rm removes the list once pushed.
    s.ok(['manifest', 'push', '-q', '--rm', 'mylist', `docker://${reg.host}/pushed/list:v2`]);
    assert.equal(s.run(['manifest', 'exists', 'mylist']).code, 1);
  }));

  test('add --all of a registry list, remove, rm, exists and rmi', withStore((s) => {
    const id = s.ok(['manifest', 'create', 'all']).trim();
    s.ok(['manifest', 'add', '--all', 'all', `${reg.host}/lib/multi`]);
    const digests = () => (JSON.parse(s.ok(['manifest', 'inspect', 'all'])).manifests ?? []).map((e: any) => e.digest);
    assert.equal(digests().length, 3);
    // Without --all, the instance for this host only; --arch overrides its platform.
    s.ok(['manifest', 'create', 'one']);
    s.ok(['manifest', 'add', '--arch', 'riscv64', 'one', `${reg.host}/lib/multi`]);
    const one = JSON.parse(s.ok(['manifest', 'inspect', 'one'])).manifests;
    assert.equal(one.length, 1);
    assert.equal(one[0].platform.architecture, 'riscv64');

    assert.equal(s.ok(['manifest', 'remove', 'all', arm64.digest]).trim(), id);
    assert.ok(!digests().includes(arm64.digest));
    fails(s, ['manifest', 'remove', 'all', arm64.digest],
      `removing from manifest list all: no instance matching digest "${arm64.digest}" found in manifest list: file does not exist`);
    fails(s, ['manifest', 'remove', 'all', 'foo'], 'removing from manifest list all: invalid image digest "foo": invalid checksum digest format');

    assert.equal(s.run(['manifest', 'exists', 'all']).code, 0);
    assert.equal(s.run(['manifest', 'exists', 'nosuch']).code, 1);
    s.ok(['tag', 'all', 'all:t2']);
    assert.equal(s.ok(['manifest', 'rm', 'all:t2']), 'Untagged: localhost/all:t2\n');
    const rm = s.run(['manifest', 'rm', 'all', 'nosuch']);
    assert.equal(rm.code, 1);
    assert.equal(rm.stdout, `Untagged: localhost/all:latest\nDeleted: ${id}\n`);
    assert.equal(rm.stderr, 'Error: nosuch: image not known\n');
    // rmi of a list with no local instance removes the list.
    assert.match(s.ok(['rmi', 'one']), /^Untagged: localhost\/one:latest\nDeleted: [0-9a-f]{64}\n$/);
    assert.equal(s.ok(['images', '-q']), '');
  }));

  test('errors: one line, exit 125, nothing changed', withStore((s) => {
    pulled(s);
    const img = `${reg.host}/lib/img:amd64`;
    fails(s, ['manifest', 'add', 'nosuch', `containers-storage:${img}`], 'nosuch: image not known');
    fails(s, ['manifest', 'add', img, `containers-storage:${img}`], `${img}: image is not a manifest list`);
    fails(s, ['manifest', 'exists', img], `${img}: image is not a manifest list`);
    fails(s, ['manifest', 'rm', img], `${img}: image is not a manifest list`);
    fails(s, ['manifest', 'push', 'nosuch', `${reg.host}/x/y`], 'retrieving local image from image name nosuch: nosuch: image not known');
    fails(s, ['manifest', 'create', img], `creating image to hold manifest list: image name "${img}" is already associated with image "${hex(amd64.configDigest)}": that name is already in use`);
    const id = s.ok(['manifest', 'create', 'l']).trim();
    fails(s, ['manifest', 'create', 'l'], `creating image to hold manifest list: image name "localhost/l:latest" is already associated with image "${id}": that name is already in use`);
    assert.equal(s.ok(['manifest', 'create', '--amend', 'l']).trim(), id);
    fails(s, ['manifest', 'add', '--annotation', 'foo', 'l', `containers-storage:${img}`], 'no value given for annotation "foo"');
    if (!REMOTE) {
      fails(s, ['manifest', 'annotate', '--annotation', 'foo', 'l', amd64.digest], 'no value given for annotation "foo"');
      fails(s, ['manifest', 'annotate', '--arch', 'x', 'l', amd64.digest],
        `no Docker manifest matching digest "${amd64.digest}" was found in list: no image instance matching the specified digest was found in the list or index`);
    }
    fails(s, ['manifest', 'add', 'l', 'containers-storage:nosuch'],
      'setting up to read manifest and configuration from "containers-storage:nosuch": reference "nosuch" does not resolve to an image ID: identifier is not an image');
    // A create whose image cannot be added leaves no list behind.
    const r = s.run(['manifest', 'create', 'half', 'containers-storage:nosuch']);
    assert.equal(r.code, 125);
    assert.equal(s.run(['manifest', 'exists', 'half']).code, 1);
    assert.equal(JSON.parse(s.ok(['manifest', 'inspect', 'l'])).manifests, null);
  }));

  test('concurrent adds to one list all land (the list is read and written under a lock)', withStore(async (s) => {
    // Six distinct local images, from six small tarballs.
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const dir = fs.mkdtempSync(path.join(s.dir, 'img-'));
      fs.writeFileSync(path.join(dir, 'f'), `image ${i}\n`);
      const tar = path.join(s.dir, `i${i}.tar`);
      assert.equal(spawnSync('tar', ['-C', dir, '-cf', tar, 'f']).status, 0);
      ids.push(s.ok(['import', '-q', tar, `localhost/conc:${i}`]).trim());
    }
    s.ok(['manifest', 'create', 'conclist']);
    const runs = await Promise.all(ids.map((_, i) => s.runAsync(['manifest', 'add', 'conclist', `containers-storage:localhost/conc:${i}`])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(s.ok(['manifest', 'inspect', 'conclist']));
    assert.equal(list.manifests.length, 6);
  }));

  test('build --manifest adds each built image to the list, making it when missing', async () => {
    const s = await busyboxStore();
    try {
      const ctx = path.join(s.dir, 'ctx');
      fs.mkdirSync(ctx);
      const ids: string[] = [];
      for (const v of ['1', '2']) {
        fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM localhost/busybox\nENV V=${v}\n`);
        ids.push(s.ok(['build', '-q', '--manifest', 'built', ctx]).trim().replace(/^sha256:/, ''));
      }
      const list = JSON.parse(s.ok(['manifest', 'inspect', 'built']));
      const digests = ids.map((id) => JSON.parse(s.ok(['image', 'inspect', '--format', '{{json .Digest}}', id])));
      assert.deepEqual(list.manifests.map((e: any) => e.digest), digests);
      assert.ok(list.manifests.every((e: any) => e.platform.os === 'linux' && e.platform.architecture));
      // A name that is an image, not a list, is refused after the build.
      fs.writeFileSync(path.join(ctx, 'Containerfile'), 'FROM localhost/busybox\nENV V=3\n');
      const r = s.run(['build', '-q', '--manifest', 'localhost/busybox', ctx]);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /^Error: creating image to hold manifest list: image name "localhost\/busybox:latest" is already associated with image "[0-9a-f]{64}": that name is already in use\n$/);
    } finally {
      s.cleanup();
    }
  });
});
