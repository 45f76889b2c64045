// `pier commit`: the container's changes as a new layer, the new config and history, and
// images that run with the change.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createHash } from 'node:crypto';
import { Env, eventually } from './helpers';
import { commitContainer } from '../../src/engine/commit';

function sha256(b: Buffer): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

describe('commit', () => {
  let env: Env;
  before(async () => { env = await Env.create('overlay'); });
  after(() => env.cleanup());

  test('commit a running container, then run the image and see the change', async () => {
    await env.container(['sh', '-c', 'echo committed > /etc/marker; rm /etc/group; touch /ready; exec sleep 1000'],
      { name: 'src', start: true, env: ['FROM_CTR=1'], labels: { stage: 'one' } });
    await eventually(() => env.cli(['exec', 'src', 'test', '-e', '/ready']).code === 0);
    const r = env.cli(['commit', 'src', 'snap']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines[0], 'Getting image source signatures');
    assert.equal(lines.filter((l) => l.startsWith('Copying blob sha256:')).length, 2);
    assert.deepEqual(lines.slice(-3), [`Copying config sha256:${id}`, 'Writing manifest to image destination', 'Storing signatures']);

    const img = env.store.images.get(id)!;
    assert.deepEqual(img.names, ['localhost/snap:latest']);
    const cfg = img.config;
    const base = env.store.images.byName('localhost/busybox:latest')!.config;
    assert.equal(cfg.rootfs!.diff_ids.length, 2);
    assert.deepEqual(cfg.rootfs!.diff_ids.slice(0, 1), base.rootfs!.diff_ids);
    assert.equal(cfg.history!.length, base.history!.length + 1);
    assert.deepEqual({ ...cfg.history!.at(-1), created: undefined }, { created: undefined, created_by: '/bin/sh', comment: 'FROM localhost/busybox:latest' });
    assert.ok(cfg.config!.Env.includes('FROM_CTR=1'));
    assert.deepEqual(cfg.config!.Cmd, ['sh', '-c', 'echo committed > /etc/marker; rm /etc/group; touch /ready; exec sleep 1000']);
    assert.deepEqual(cfg.config!.Labels, { 'org.pier.fixture': 'busybox', stage: 'one' });

    // The layer was kept as its gzip blob: push and save send exactly these bytes.
    const layer = env.store.layers.get(img.topLayer!)!;
    assert.equal(layer.diffId, cfg.rootfs!.diff_ids[1]);
    assert.match(layer.compressedMediaType!, /gzip/);
    const blob = fs.readFileSync(env.store.layers.blobPath(layer.compressedDigest!));
    assert.equal(sha256(blob), layer.compressedDigest);
    assert.equal(sha256(zlib.gunzipSync(blob)), layer.diffId);
    const manifest = JSON.parse(img.manifest!);
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(manifest.config.digest, `sha256:${id}`);
    assert.deepEqual(manifest.layers.at(-1), { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layer.compressedDigest, size: blob.length });

    // The committed image runs with the change; a deletion is a deletion.
    const out = env.ok(['run', '--rm', 'snap', 'sh', '-c', 'cat /etc/marker; test -e /etc/group || echo no-group']);
    assert.equal(out, 'committed\nno-group\n');
    assert.equal(env.ok(['diff', 'snap']).split('\n').filter((l) => /etc\/(marker|group)$/.test(l)).join('\n'), 'D /etc/group\nA /etc/marker');
  });

  test('--change CMD/ENV/LABEL/EXPOSE, -q, and the new CMD runs', async () => {
    await env.container(['sh', '-c', 'echo hello-from-image > /greeting'], { name: 'chg' });
    await env.engine.lifecycle.start(env.engine.containers.lookup('chg').id);
    await eventually(() => env.engine.lifecycle.get('chg').state.status === 'exited');
    const r = env.cli(['commit', '-q', '--change', 'CMD ["cat", "/greeting"]', '-c', 'ENV MODE=prod', '-c', 'LABEL tier=web', '-c', 'EXPOSE 8080', 'chg', 'greeter:v1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const img = env.store.images.get(r.stdout.trim())!;
    assert.deepEqual(img.names, ['localhost/greeter:v1']);
    assert.deepEqual(img.config.config!.Cmd, ['cat', '/greeting']);
    assert.ok(img.config.config!.Env.includes('MODE=prod'));
    assert.equal(img.config.config!.Labels.tier, 'web');
    assert.deepEqual(img.config.config!.ExposedPorts, { '8080/tcp': {} });
    assert.equal(env.ok(['run', '--rm', 'greeter:v1']), 'hello-from-image\n');

    const bad = env.cli(['commit', '-c', 'BOGUS x', 'chg']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: invalid change "BOGUS x" - invalid instruction BOGUS\n');
  });

  test('a stopped (never started) container, docker format with message, author and iidfile', async () => {
    const src = env.tmp('stopped-src');
    fs.writeFileSync(path.join(src, 'added'), 'added while stopped\n');
    await env.container(['cat', '/opt/added'], { name: 'never-ran' });
    env.ok(['cp', path.join(src, 'added'), 'never-ran:/tmp/']);
    env.ok(['cp', path.join(src, 'added'), 'never-ran:/usr/']);
    const iid = path.join(src, 'iid');
    const r = env.cli(['commit', '-q', '-f', 'docker', '-m', 'my message', '-a', 'Jane <jane@example.com>', '--iidfile', iid, 'never-ran', 'docker-fmt']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.equal(fs.readFileSync(iid, 'utf8'), `sha256:${id}`);
    const img = env.store.images.get(id)!;
    assert.equal(img.config.comment, 'my message');
    assert.equal(img.config.author, 'Jane <jane@example.com>');
    assert.equal(img.config.history!.at(-1)!.author, 'Jane <jane@example.com>');
    assert.equal(img.manifestMediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.equal(JSON.parse(img.manifest!).config.mediaType, 'application/vnd.docker.container.image.v1+json');
    assert.equal(env.ok(['run', '--rm', 'docker-fmt', 'cat', '/tmp/added', '/usr/added']), 'added while stopped\n'.repeat(2));

    let e = env.cli(['commit', '-m', 'msg', 'never-ran']);
    assert.equal(e.stderr, 'Error: messages are only compatible with the docker image format (-f docker)\n');
    e = env.cli(['commit', '-f', 'bogus', 'never-ran']);
    assert.equal(e.stderr, 'Error: unrecognized image type "bogus"\n');
    e = env.cli(['commit', 'never-ran', 'UPPER']);
    assert.equal(e.stderr, 'Error: repository name must be lowercase\n');
    e = env.cli(['commit', 'no-such-container']);
    assert.match(e.stderr, /no container with name or ID "no-such-container" found/);
  });

  test('--squash makes one layer; --include-volumes; --pause keeps the container running', async () => {
    await env.container(['sh', '-c', 'echo sq > /squashed; touch /ready; exec sleep 1000'], { name: 'sq', start: true, volumes: ['/data'] });
    await eventually(() => env.cli(['exec', 'sq', 'test', '-e', '/ready']).code === 0);
    const id = env.ok(['commit', '-q', '-s', '--include-volumes', '-p', 'sq', 'squashed']).trim();
    const img = env.store.images.get(id)!;
    assert.equal(img.config.rootfs!.diff_ids.length, 1);
    assert.equal(env.store.layers.get(img.topLayer!)!.parent, null);
    assert.deepEqual(img.config.config!.Volumes, { '/data': {} });
    assert.equal(env.engine.lifecycle.get('sq').state.status, 'running');
    assert.equal(env.ok(['run', '--rm', 'squashed', 'sh', '-c', 'cat /squashed; ls /bin/busybox']), 'sq\n/bin/busybox\n');
  });

  test('commitContainer() with a container record (for build) and an unnamed image', async () => {
    const cid = await env.container(['true'], { name: 'for-build' });
    const rec = env.engine.containers.get(cid)!;
    const src = env.tmp('build-src');
    fs.writeFileSync(path.join(src, 'built'), 'b\n');
    env.ok(['cp', path.join(src, 'built'), 'for-build:/']);
    const res = await commitContainer(env.store, rec, { createdBy: '/bin/sh -c #(nop) COPY file:built in / ', historyComment: '' });
    const img = env.store.images.get(res.id)!;
    assert.deepEqual(img.names, []);
    assert.equal(img.topLayer, res.layerId);
    const h = img.config.history!.at(-1)!;
    assert.equal(h.created_by, '/bin/sh -c #(nop) COPY file:built in / ');
    assert.equal(h.comment, undefined);
    assert.ok(env.ok(['image', 'diff', res.id]).includes('A /built\n'));
  });
  test("an image's / is 0555 as podman gives it, whatever a layer's ./ entry or a commit says", async () => {
    // A base layer's root is r-x for all, each layer above and each container inherit it.
    assert.equal(env.ok(['run', '--rm', 'busybox', 'stat', '-c', '%a %u', '/']), '555 0\n');
    await env.container(['sleep', '1000'], { name: 'perm', start: true });
    env.ok(['exec', 'perm', 'chmod', '700', '/']);
    env.ok(['commit', '-q', 'perm', 'permimg']);
    env.ok(['rm', '-f', '-t', '0', 'perm']);
    assert.equal(env.ok(['run', '--rm', 'permimg', 'stat', '-c', '%a', '/']), '555\n');
    // An imported archive whose ./ entry is 0700 still gives 0555.
    const dir = env.tmp('imp');
    fs.chmodSync(dir, 0o700);
    fs.copyFileSync('/bin/busybox', path.join(dir, 'busybox'));
    fs.chmodSync(path.join(dir, 'busybox'), 0o755);
    const tarFile = path.join(env.tmp('impt'), 'imp.tar');
    const { spawnSync } = await import('node:child_process');
    assert.equal(spawnSync('tar', ['-C', dir, '-cf', tarFile, '.']).status, 0);
    env.ok(['import', '-q', tarFile, 'impimg']);
    assert.equal(env.ok(['run', '--rm', 'impimg', '/busybox', 'stat', '-c', '%a', '/']), '555\n');
  });
});
