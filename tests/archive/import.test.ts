// `import`: rootfs tarballs (plain, gzip, bzip2, xz, zstd, over HTTP) to one-layer images, with --change and -m.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { AddressInfo } from 'node:net';
import { importTarball } from '../../src/image/archive/import';
import { applyChanges } from '../../src/image/archive/changes';
import { tarToBuffer } from '../../src/storage/tar/writer';
import { newStore, tmpDir, readFromImage } from './helpers';

async function rootfsTar(): Promise<Buffer> {
  return tarToBuffer([
    { type: 'dir', name: 'etc', mode: 0o755 },
    { type: 'file', name: 'etc/os-release', content: 'ID=pier-test\n', mode: 0o644 },
    { type: 'dir', name: 'bin', mode: 0o755 },
    { type: 'symlink', name: 'bin/sh', target: 'busybox' },
  ]);
}

test('import a gzip rootfs with --change, -m and a reference', async (t) => {
  const s = newStore('vfs');
  const dir = tmpDir();
  t.after(() => { s.cleanup(); fs.rmSync(dir, { recursive: true, force: true }); });
  const tar = await rootfsTar();
  const file = path.join(dir, 'rootfs.tar.gz');
  fs.writeFileSync(file, zlib.gzipSync(tar));
  const lines: string[] = [];
  const id = await importTarball(s.store, file, {
    reference: 'imported:v1',
    message: 'imported for a test',
    changes: [
      'CMD ["/bin/sh", "-c", "echo hi"]', 'ENTRYPOINT /entry.sh', 'ENV FOO=bar', 'ENV "QUOTED"="yes"', 'EXPOSE 8080',
      'EXPOSE 53/UDP', 'LABEL a=b', 'LABEL "c d"="e f"', 'ONBUILD RUN true', 'STOPSIGNAL SIGINT', 'USER 1000:1000',
      'VOLUME ["/data", "/logs"]', 'VOLUME /cache', 'WORKDIR /app', 'WORKDIR sub',
    ],
    platform: { os: 'linux', arch: 'arm64', variant: 'v8' },
    progress: { line: (l) => lines.push(l) },
  });
  assert.match(id, /^[a-f0-9]{64}$/);
  const img = s.store.images.get(id)!;
  assert.deepEqual(img.names, ['localhost/imported:v1']);
  const cfg = img.config;
  assert.equal(cfg.architecture, 'arm64');
  assert.equal(cfg.variant, 'v8');
  assert.equal(cfg.os, 'linux');
  assert.ok(!isNaN(Date.parse(cfg.created!)));
  assert.deepEqual(cfg.rootfs!.diff_ids.length, 1);
  const c = cfg.config!;
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', '/entry.sh']);
  assert.deepEqual(c.Env, ['FOO=bar', 'QUOTED=yes']);
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e f' });
  assert.deepEqual(c.OnBuild, ['RUN true']);
  assert.equal(c.StopSignal, '2');
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.Volumes, { '/data': {}, '/logs': {}, '/cache': {} });
  assert.equal(c.WorkingDir, '/app/sub');
  assert.equal(cfg.history!.length, 1);
  assert.equal(cfg.history![0].comment, 'imported for a test');
  assert.match(cfg.history![0].created_by!, /^\/bin\/sh -c #\(nop\) ADD file:[a-f0-9]{64} in \/ $/);
  assert.equal(readFromImage(s.store, img, 'etc/os-release'), 'ID=pier-test\n');
  assert.equal(fs.readlinkSync(path.join(s.store.layers.diffDir(img.topLayer!), 'bin/sh')), 'busybox');
  assert.ok(lines.includes('Writing manifest to image destination'));
  // the config id is the digest of the stored config bytes
  const { sha256 } = await import('../../src/util/digest');
  assert.equal(sha256(img.configRaw), `sha256:${id}`);
});

test('import a plain tarball over HTTP without a name; bad input stores nothing', async (t) => {
  const s = newStore('vfs');
  t.after(s.cleanup);
  const tar = await rootfsTar();
  const server = http.createServer((req, res) => {
    if (req.url === '/rootfs.tar') { res.end(tar); return; }
    res.statusCode = 404; res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const id = await importTarball(s.store, `${base}/rootfs.tar`, {});
  const img = s.store.images.get(id)!;
  assert.deepEqual(img.names, []);
  assert.equal(img.config.config && Object.keys(img.config.config).length, 0);
  assert.equal(img.config.rootfs!.diff_ids[0], 'sha256:' + require('node:crypto').createHash('sha256').update(tar).digest('hex'));
  // As podman's download, the status is not checked: the (empty) 404 body is the tarball.
  await assert.rejects(importTarball(s.store, `${base}/missing.tar`, {}), /missing\.tar: empty tarball/);
  await assert.rejects(importTarball(s.store, 'http://127.0.0.1:1/x.tar', {}),
    /^PierError: downloading http:\/\/127\.0\.0\.1:1\/x\.tar: Get "http:\/\/127\.0\.0\.1:1\/x\.tar": dial tcp 127\.0\.0\.1:1: connect: connection refused$/);

  const s2 = newStore('vfs');
  t.after(s2.cleanup);
  await assert.rejects(importTarball(s2.store, `${base}/rootfs.tar`, { changes: ['FROB x'] }), /invalid change "FROB x" - invalid instruction FROB/);
  const dir = tmpDir();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'bad.tar');
  fs.writeFileSync(bad, tar.subarray(0, 700));
  await assert.rejects(importTarball(s2.store, bad, {}));
  await assert.rejects(importTarball(s2.store, path.join(dir, 'nope.tar'), {}), /no such file/);
  assert.equal(s2.store.images.list().length, 0);
  assert.equal(s2.store.layers.all().length, 0);
});

test('bzip2, xz and zstd rootfs tarballs (podman takes them too) are stored as the plain tar', async (t) => {
  const s = newStore('vfs');
  const dir = tmpDir();
  t.after(() => { s.cleanup(); fs.rmSync(dir, { recursive: true, force: true }); });
  const tar = await rootfsTar();
  const diffId = 'sha256:' + require('node:crypto').createHash('sha256').update(tar).digest('hex');
  for (const tool of ['bzip2', 'xz', 'zstd']) {
    const file = path.join(dir, `rootfs.tar.${tool}`);
    fs.writeFileSync(file, execFileSync(tool, ['-c'], { input: tar }));
    const img = s.store.images.get(await importTarball(s.store, file, { reference: `packed-${tool}` }))!;
    assert.equal(readFromImage(s.store, img, 'etc/os-release'), 'ID=pier-test\n', tool);
    assert.deepEqual(img.config.rootfs!.diff_ids, [diffId], tool);
    // The layer's blob is the plain tar: its digest is the diff id, its media type says so.
    const layer = s.store.layers.get(img.topLayer!)!;
    assert.equal(layer.compressedDigest, diffId, tool);
    assert.equal(layer.compressedMediaType, 'application/vnd.oci.image.layer.v1.tar', tool);
  }
  // A corrupt one fails with the decompressor's reason and stores nothing more.
  const before = s.store.layers.all().length;
  const bad = path.join(dir, 'bad.tar.xz');
  fs.writeFileSync(bad, execFileSync('xz', ['-c'], { input: tar }).subarray(0, 100));
  await assert.rejects(importTarball(s.store, bad, {}), /^PierError: decompressing xz tarball: Unexpected end of input$/);
  assert.equal(s.store.layers.all().length, before);
});

test('--change parsing follows podman', () => {
  assert.throws(() => applyChanges({}, ['CMD']), /must be formatted as KEY VALUE/);
  assert.deepEqual(applyChanges({}, ['CMD=']).Cmd, ['/bin/sh', '-c']);
  assert.deepEqual(applyChanges({}, ['ENTRYPOINT=']).Entrypoint, []);
  assert.deepEqual(applyChanges({}, ['cmd echo hi']).Cmd, ['/bin/sh', '-c', 'echo hi']);
  assert.deepEqual(applyChanges({}, ['ENV A']).Env, ['A=']);
  assert.equal(applyChanges({}, ['STOPSIGNAL 9']).StopSignal, '9');
  assert.equal(applyChanges({}, ['STOPSIGNAL term']).StopSignal, '15');
  assert.throws(() => applyChanges({}, ['EXPOSE 70000']), /EXPOSE port must be a valid port number/);
  assert.throws(() => applyChanges({}, ['EXPOSE 80/sctp']), /EXPOSE protocol must be TCP or UDP/);
  assert.throws(() => applyChanges({}, ['EXPOSE abc']), /EXPOSE port must be an integer/);
  assert.throws(() => applyChanges({}, ['LABEL novalue']), /LABEL must be formatted key=value/);
  assert.throws(() => applyChanges({}, ['STOPSIGNAL NOPE']), /invalid STOPSIGNAL/);
  assert.throws(() => applyChanges({}, ['USER']), /must be formatted as KEY VALUE/);
});
