// save/load/import and the registry commands (pull, push, login, logout, search) through
// the CLI, against a real local registry.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, seedStandard, Seeded } from './helpers';
import { PIER, REMOTE } from '../helpers/cli';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, pushImage } from '../fixtures/images';
import { tarToBuffer } from '../../src/storage/tar/writer';

describe('save, load, import', () => {
  let ts: TestStore;
  let imgs: Record<'base' | 'mid' | 'child' | 'orphan' | 'lone', Seeded>;
  before(async () => {
    ts = new TestStore({ driver: 'vfs' });
    imgs = await seedStandard(ts);
  });
  after(() => ts.cleanup());

  test('save -o and load -i round trip; Loaded image lines', () => {
    const file = path.join(ts.dir, 'alpine.tar');
    assert.equal(ts.ok(['save', '-q', '-o', file, 'alpine:3.18']), '');
    assert.ok(fs.statSync(file).size > 1024);
    ts.ok(['rmi', 'alpine:3.18']);
    const r = ts.run(['load', '-i', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Loaded image: docker.io/library/alpine:3.18\n');
    // The copy's progress is the service's in remote mode (podman-remote prints none either).
    if (!REMOTE) assert.match(r.stderr, /Writing manifest to image destination/);
    assert.equal(ts.run(['image', 'exists', 'alpine:3.18']).code, 0);
    const q = ts.run(['load', '-q', '-i', file]);
    assert.equal(q.stderr, '');
    assert.equal(q.stdout, 'Loaded image: docker.io/library/alpine:3.18\n');
  });

  test('save to stdout and load from stdin', () => {
    const raw = spawnSync(process.execPath, [PIER, ...ts.globalArgs(), 'image', 'save', 'localhost/base:1'], { env: ts.env() });
    assert.equal(raw.status, 0, raw.stderr.toString());
    assert.ok(raw.stdout.length > 1024);
    assert.equal(raw.stdout.subarray(257, 262).toString(), 'ustar');
    const l = ts.run(['image', 'load'], { input: raw.stdout });
    assert.equal(l.code, 0, l.stderr);
    assert.match(l.stdout, /^Loaded image: localhost\/base:1\n/);
  });

  test('save flag validation', () => {
    const bad = ts.run(['save', '--format', 'bogus', '-o', path.join(ts.dir, 'x'), 'alpine:3.18']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr.trim(), 'Error: format value must be one of oci-dir oci-archive docker-dir docker-archive');
    const c = ts.run(['save', '--compress', '-o', path.join(ts.dir, 'x'), 'alpine:3.18']);
    assert.equal(c.code, 125);
    assert.equal(c.stderr.trim(), "Error: --compress can only be set when --format is 'docker-dir'");
    const missing = ts.run(['save', '-o', path.join(ts.dir, 'y'), 'nope']);
    assert.equal(missing.code, 125);
    assert.equal(missing.stderr.trim(), 'Error: nope: image not known');
    assert.equal(ts.run(['save']).code, 125);
  });

  test('import from a file and from stdin with --change and --message', async () => {
    const tar = await tarToBuffer([{ type: 'file', name: 'hello.txt', content: 'hi\n', mode: 0o644 }]);
    const file = path.join(ts.dir, 'rootfs.tar');
    fs.writeFileSync(file, tar);
    const r = ts.run(['import', file, 'imported:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const id = r.stdout.trim().slice(7);
    assert.deepEqual(JSON.parse(ts.ok(['image', 'inspect', 'imported:1']))[0].Id, id);
    const q = ts.run(['image', 'import', '-q', '-c', 'CMD ["/bin/sh"]', '-m', 'a message', '--arch', 'arm64', '-', 'fromstdin'], { input: tar });
    assert.equal(q.code, 0, q.stderr);
    assert.equal(q.stderr, '');
    const info = JSON.parse(ts.ok(['image', 'inspect', 'fromstdin']))[0];
    assert.deepEqual(info.Config.Cmd, ['/bin/sh']);
    assert.equal(info.Architecture, 'arm64');
    assert.equal(info.Id, q.stdout.trim().slice(7));
    void imgs;
  });

  test('load -i and import from an http URL (redirects followed); download failures', async () => {
    const archive = path.join(ts.dir, 'served.tar');
    ts.ok(['save', '-q', '-o', archive, 'localhost/base:1']);
    const rootfs = path.join(ts.dir, 'served-rootfs.tar');
    fs.writeFileSync(rootfs, await tarToBuffer([{ type: 'file', name: 'from-url.txt', content: 'url\n', mode: 0o644 }]));
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      if (req.url === '/moved') { res.writeHead(302, { location: '/image.tar' }); res.end(); return; }
      const file = req.url === '/image.tar' ? archive : req.url === '/rootfs.tar' ? rootfs : undefined;
      if (!file) { res.writeHead(404); res.end('404 page not found\n'); return; }
      res.writeHead(200);
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    try {
      ts.ok(['tag', 'localhost/base:1', 'localhost/keep:1']);
      ts.ok(['rmi', 'localhost/base:1']);
      const l = await ts.runAsync(['load', '-q', '-i', `${base}/moved`]);
      assert.equal(l.code, 0, l.stderr);
      assert.equal(l.stdout, 'Loaded image: localhost/base:1\n');
      // The status is not checked: a 404 page is a payload in no image format.
      const notFound = await ts.runAsync(['load', '-i', `${base}/nope.tar`]);
      assert.equal(notFound.code, 125);
      assert.match(notFound.stderr, /^Error: payload does not match any of the supported image formats:/);
      const refused = await ts.runAsync(['load', '-i', 'http://127.0.0.1:1/x.tar']);
      assert.equal(refused.code, 125);
      assert.equal(refused.stderr, 'Error: downloading http://127.0.0.1:1/x.tar: Get "http://127.0.0.1:1/x.tar": dial tcp 127.0.0.1:1: connect: connection refused\n');
      const missing = ts.run(['load', '-i', path.join(ts.dir, 'missing.tar')]);
      assert.equal(missing.code, 125);
      assert.equal(missing.stderr, `Error: stat ${path.join(ts.dir, 'missing.tar')}: no such file or directory\n`);

      const imp = await ts.runAsync(['import', '-q', `${base}/rootfs.tar`, 'localhost/fromurl:1']);
      assert.equal(imp.code, 0, imp.stderr);
      const lines = imp.stdout.trim().split('\n');
      // libimage announces the download, even with -q (podman-remote: its service does).
      if (!REMOTE) assert.equal(lines.shift(), `Downloading from "${base}/rootfs.tar"`);
      assert.match(lines.join('\n'), /^sha256:[0-9a-f]{64}$/);
      assert.equal(JSON.parse(ts.ok(['image', 'inspect', 'localhost/fromurl:1']))[0].Id, lines[0].slice(7));
      const impRefused = await ts.runAsync(['import', 'http://127.0.0.1:1/x.tar']);
      assert.equal(impRefused.code, 125);
      assert.match(impRefused.stderr, /^Error: downloading http:\/\/127\.0\.0\.1:1\/x\.tar: Get "http:\/\/127\.0\.0\.1:1\/x\.tar": dial tcp 127\.0\.0\.1:1: connect: connection refused\n$/);
    } finally {
      server.close();
    }
  });
});

describe('registry commands', () => {
  let ts: TestStore;
  let reg: Registry;
  before(async () => {
    ts = new TestStore({ driver: 'vfs' });
    reg = await startRegistry({ auth: 'basic' });
    await pushImage(reg, 'test/busybox', 'latest', await busyboxImage('docker'), { username: reg.username!, password: reg.password! });
  });
  after(async () => {
    await reg.stop();
    ts.cleanup();
  });

  test('login, --get-login, pull (progress on stderr, id on stdout), -q, push, search, logout', () => {
    const ref = `${reg.host}/test/busybox`;
    const denied = ts.run(['pull', '--tls-verify=false', ref]);
    assert.equal(denied.code, 125);
    const bad = ts.run(['login', '--tls-verify=false', '-u', reg.username!, '-p', 'wrong', reg.host]);
    assert.equal(bad.code, 125);
    assert.equal(ts.ok(['login', '--tls-verify=false', '-u', reg.username!, '-p', reg.password!, reg.host]), 'Login Succeeded!\n');
    assert.equal(ts.ok(['login', '--get-login', reg.host]), `${reg.username}\n`);
    const both = ts.run(['login', '-p', 'x', '--password-stdin', reg.host]);
    assert.equal(both.stderr.trim(), "Error: Can't specify both --password-stdin and --password");

    const p = ts.run(['pull', '--tls-verify=false', ref]);
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /^[0-9a-f]{64}\n$/);
    assert.match(p.stderr, /Trying to pull /);
    assert.match(p.stderr, /Writing manifest to image destination/);
    const q = ts.run(['image', 'pull', '-q', '--tls-verify=false', ref]);
    assert.equal(q.stdout, p.stdout);
    assert.equal(q.stderr, '');

    ts.ok(['tag', ref, `${reg.host}/test/copy:1`]);
    const digestfile = path.join(ts.dir, 'digest');
    const push = ts.run(['push', '-q', '--tls-verify=false', '--digestfile', digestfile, `${reg.host}/test/copy:1`]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal(push.stdout, '');
    assert.match(fs.readFileSync(digestfile, 'utf8'), /^sha256:[0-9a-f]{64}$/);

    const s = ts.ok(['search', '--tls-verify=false', `${reg.host}/test`]).trimEnd().split('\n');
    assert.match(s[0], /^NAME\s+DESCRIPTION$/);
    assert.ok(s.some((l) => l.startsWith(`${reg.host}/test/copy`)));
    const tags = ts.ok(['search', '--tls-verify=false', '--list-tags', `${reg.host}/test/copy`]).trimEnd().split('\n');
    assert.match(tags[0], /^NAME\s+TAG$/);
    assert.match(tags[1], /\s1$/);
    assert.equal(ts.run(['search', '--list-tags', '--filter', 'is-official', 'x']).stderr.trim(), 'Error: filters are not applicable to list tags result');

    assert.equal(ts.ok(['logout', reg.host]), `Removed login credentials for ${reg.host}\n`);
    const again = ts.run(['logout', reg.host]);
    assert.equal(again.code, 125);
    assert.equal(again.stderr.trim(), `Error: not logged into ${reg.host}`);
    assert.equal(ts.ok(['logout', '-a']), 'Removed login credentials for all registries\n');
  });

  test('pull flag validation', () => {
    const r = ts.run(['pull', '--platform', 'linux/amd64', '--arch', 'arm64', 'x']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), 'Error: --platform option can not be specified with --arch or --os');
    const a = ts.run(['pull', '--authfile', path.join(ts.dir, 'nope.json'), 'x']);
    assert.equal(a.code, 125);
    assert.equal(a.stderr.trim(), `Error: stat ${path.join(ts.dir, 'nope.json')}: no such file or directory`);
    assert.equal(ts.run(['pull']).code, 125);
    const f = ts.run(['push', '--format', 'bogus', 'x']);
    assert.equal(f.stderr.trim(), `Error: unknown format "bogus". Choose on of the supported formats: 'oci', 'v2s1', or 'v2s2'`);
  });
});
