// Docker image endpoints against a real registry through pier's socket: the pull progress stream
// (raw and through the Docker CLI), HTTP errors for missing images, /auth and credentials on
// pull/push (docker login against a basic-auth registry), import (fromSrc: body and URL), prune,
// search, bad input and concurrent pulls, plus docker-py's images API.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { TestStore, busyboxStore } from '../helpers/cli';
import { startService, request, Service } from '../helpers/api';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, multilayerImage, multiarchIndex, pushImage } from '../fixtures/images';

let s: TestStore; // busybox loaded; a container uses it
let svc: Service;
let fresh: TestStore; // empty: pulls download everything
let freshSvc: Service;
let reg: Registry;
let authReg: Registry;
let dockerConfig: string;

function docker(socket: string, args: string[], input?: string) {
  const r = spawnSync('docker', args, {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: dockerConfig }, encoding: 'utf8', timeout: 90_000, input,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function py(socket: string, code: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('/usr/bin/python3', ['-c', `import docker\nc = docker.DockerClient(base_url='unix://${socket}')\n${code}`], { env: { ...process.env, DOCKER_CONFIG: dockerConfig } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (rc) => resolve({ code: rc ?? -1, stdout, stderr }));
  });
}

const lines = (text: string) => text.split(/\r?\n/).filter(Boolean).map((l) => JSON.parse(l));
const auth = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

before(async () => {
  [s, reg, authReg] = await Promise.all([busyboxStore(), startRegistry(), startRegistry({ auth: 'basic' })]);
  fresh = new TestStore();
  [svc, freshSvc] = await Promise.all([startService(s), startService(fresh)]);
  dockerConfig = path.join(s.dir, 'docker-config');
  fs.mkdirSync(dockerConfig);
  await pushImage(reg, 'pushed/busybox', '1', await busyboxImage('docker'));
  await pushImage(reg, 'multi/layers', 'latest', await multilayerImage('docker'));
  await pushImage(reg, 'tags/busybox', 'a', await busyboxImage('docker'));
  await pushImage(reg, 'tags/busybox', 'b', await busyboxImage('oci'));
  await pushImage(reg, 'multi/arch', 'latest', await multiarchIndex('oci'));
  await pushImage(authReg, 'private/busybox', 'latest', await busyboxImage('docker'), { username: authReg.username!, password: authReg.password! });
});
after(async () => {
  await Promise.all([svc?.stop(), freshSvc?.stop()]);
  await Promise.all([reg?.stop(), authReg?.stop()]);
  s?.run(['rm', '-a', '-f', '-t', '0']);
  s?.cleanup();
  fresh?.cleanup();
});

describe('docker images API', () => {
  test('pull streams Docker progress: Pulling from, per-layer events, Digest, Status; a second pull is up to date', async () => {
    const ref = `${reg.host}/multi/layers`;
    const r = await request(freshSvc.socket, 'POST', `/v1.41/images/create?fromImage=${encodeURIComponent(ref)}&tag=latest`);
    assert.equal(r.status, 200);
    const ev = lines(r.text);
    assert.deepEqual(ev[0], { status: 'Pulling from multi/layers', id: 'latest' });
    const layerIds = [...new Set(ev.filter((e) => e.status === 'Pulling fs layer').map((e) => e.id))];
    assert.ok(layerIds.length >= 2, r.text);
    for (const id of layerIds) {
      assert.match(id, /^[0-9a-f]{12}$/);
      assert.ok(ev.some((e) => e.id === id && e.status === 'Downloading' && e.progressDetail.total > 0 && e.progressDetail.current <= e.progressDetail.total), `Downloading for ${id}`);
      assert.ok(ev.some((e) => e.id === id && e.status === 'Download complete'), `Download complete for ${id}`);
      assert.ok(ev.some((e) => e.id === id && e.status === 'Pull complete'), `Pull complete for ${id}`);
    }
    const digest = ev.find((e) => /^Digest: /.test(e.status))?.status.slice(8);
    assert.match(digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.equal(ev[ev.length - 1].status, `Status: Downloaded newer image for ${ref}:latest`);
    assert.ok(!ev.some((e) => e.error));
    const inspect = (await request(freshSvc.socket, 'GET', `/v1.41/images/${ref}:latest/json`)).json();
    assert.ok(inspect.RepoDigests.includes(`${ref}@${digest}`), JSON.stringify(inspect.RepoDigests));

    const again = lines((await request(freshSvc.socket, 'POST', `/v1.41/images/create?fromImage=${encodeURIComponent(ref)}&tag=latest`)).text);
    assert.ok(again.filter((e) => e.status === 'Already exists').length >= 2);
    assert.ok(!again.some((e) => e.status === 'Pulling fs layer'));
    assert.equal(again[again.length - 1].status, `Status: Image is up to date for ${ref}:latest`);
  });

  test('docker pull prints the progress; a missing image is an HTTP 404 and a plain CLI error', async () => {
    const ref = `${reg.host}/pushed/busybox:1`;
    const pull = docker(freshSvc.socket, ['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /1: Pulling from pushed\/busybox/);
    assert.match(pull.stdout, /Pull complete|Already exists/);
    assert.match(pull.stdout, /Digest: sha256:[0-9a-f]{64}/);
    assert.match(pull.stdout, new RegExp(`Status: Downloaded newer image for ${ref.replace(/\./g, '\\.')}`));
    assert.match(docker(freshSvc.socket, ['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout, new RegExp(`${reg.host}/pushed/busybox:1`));

    const missing = await request(freshSvc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/nothing/here`)}&tag=v`);
    assert.equal(missing.status, 404, missing.text);
    assert.match(missing.json().message, /manifest unknown|not found/i);
    const cli = docker(freshSvc.socket, ['pull', `${reg.host}/nothing/here:v`]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /^Error response from daemon: .*(manifest unknown|not found)/im);
    const unreachable = await request(freshSvc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent('127.0.0.1:1/x')}&tag=v`);
    assert.ok(unreachable.status >= 400, unreachable.text);
  });

  test('push streams Docker progress: Pushing/Pushed per layer, Layer already exists the second time, the digest', async () => {
    const repo = `${reg.host}/streamed/busybox`;
    assert.equal((await request(svc.socket, 'POST', `/images/localhost/busybox/tag?repo=${encodeURIComponent(repo)}&tag=p1`)).status, 201);
    const first = lines((await request(svc.socket, 'POST', `/v1.41/images/${repo}/push?tag=p1`)).text);
    assert.deepEqual(first[0], { status: `The push refers to repository [${repo}]` });
    const pushed = first.filter((e) => e.status === 'Pushed').map((e) => e.id);
    assert.ok(pushed.length >= 1, JSON.stringify(first));
    for (const id of pushed) assert.ok(first.some((e) => e.status === 'Pushing' && e.id === id));
    const digest = /^p1: digest: (sha256:[0-9a-f]{64}) /.exec(first.find((e) => /digest:/.test(e.status ?? ''))?.status ?? '')?.[1];
    assert.ok(digest, JSON.stringify(first));
    assert.deepEqual(first[first.length - 1].aux, { Tag: 'p1', Digest: digest, Size: 0 });
    const second = lines((await request(svc.socket, 'POST', `/v1.41/images/${repo}/push?tag=p1`)).text);
    assert.deepEqual(second.filter((e) => e.id).map((e) => e.status), pushed.map(() => 'Layer already exists'));
    assert.ok(!second.some((e) => e.error));
    const missing = await request(svc.socket, 'POST', `/v1.41/images/${repo}/push?tag=nope`);
    assert.equal(missing.status, 404);
    assert.equal((await request(svc.socket, 'DELETE', `/images/${repo}:p1`)).json()[0].Untagged, `${repo}:p1`);
  });

  test('pull without a tag pulls every tag (docker pull -a); platform picks from an index; by digest', async () => {
    const repo = `${reg.host}/tags/busybox`;
    const r = await request(freshSvc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(repo)}`);
    assert.equal(r.status, 200);
    const ev = lines(r.text);
    assert.deepEqual(ev.filter((e) => /^Pulling from/.test(e.status)).map((e) => `${e.status} ${e.id}`).sort(), ['Pulling from tags/busybox a', 'Pulling from tags/busybox b']);
    assert.equal(ev[ev.length - 1].status, `Status: Downloaded newer image for ${repo}`);
    for (const t of ['a', 'b']) assert.equal((await request(freshSvc.socket, 'GET', `/images/${repo}:${t}/json`)).status, 200);
    const cli = docker(freshSvc.socket, ['pull', '-a', repo]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Image is up to date/);

    const arch = `${reg.host}/multi/arch`;
    const arm = await request(freshSvc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(arch)}&tag=latest&platform=linux/arm64/v8`);
    assert.equal(arm.status, 200);
    assert.match(lines(arm.text).pop().status, /^Status: Downloaded newer image/, arm.text);
    const i = (await request(freshSvc.socket, 'GET', `/images/${arch}:latest/json`)).json();
    assert.equal(`${i.Os}/${i.Architecture}`, 'linux/arm64');
    const none = await request(freshSvc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(arch)}&tag=latest&platform=linux/s390x`);
    assert.equal(none.status, 500);
    assert.match(none.json().message, /no image found in manifest list/);

    const digest = lines((await request(freshSvc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(`${reg.host}/pushed/busybox`)}&tag=1`)).text).find((e) => /^Digest:/.test(e.status)).status.slice(8);
    const byDigest = docker(freshSvc.socket, ['pull', `${reg.host}/pushed/busybox@${digest}`]);
    assert.equal(byDigest.code, 0, byDigest.stderr);
    assert.match(byDigest.stdout, new RegExp(`Pulling from pushed/busybox`));
    assert.equal(docker(freshSvc.socket, ['image', 'inspect', `${reg.host}/pushed/busybox@${digest}`]).code, 0);
  });

  test('/auth checks credentials without storing them; docker login, pull and push with X-Registry-Auth', async () => {
    const bad = await request(svc.socket, 'POST', '/v1.41/auth', { username: authReg.username, password: 'wrong', serveraddress: authReg.host });
    assert.equal(bad.status, 401, bad.text);
    const good = await request(svc.socket, 'POST', '/v1.41/auth', { username: authReg.username, password: authReg.password, serveraddress: authReg.host });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.json().Status, 'Login Succeeded');
    assert.equal(fs.existsSync(s.authfile) ? fs.readFileSync(s.authfile, 'utf8').includes(authReg.host) : false, false, 'the service stores no credentials');

    const ref = `${authReg.host}/private/busybox:latest`;
    const anon = await request(svc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(ref)}`);
    assert.equal(anon.status, 500, anon.text);
    assert.match(anon.json().message, /unauthorized|authentication required/i);
    const withCreds = await request(svc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(ref)}`, undefined,
      { 'X-Registry-Auth': auth({ username: authReg.username, password: authReg.password, serveraddress: authReg.host }) });
    assert.equal(withCreds.status, 200);
    assert.match(lines(withCreds.text).pop().status, /^Status: /, withCreds.text);

    const wrong = docker(svc.socket, ['login', '-u', authReg.username!, '--password-stdin', authReg.host], 'nope\n');
    assert.notEqual(wrong.code, 0);
    const login = docker(svc.socket, ['login', '-u', authReg.username!, '--password-stdin', authReg.host], `${authReg.password}\n`);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);
    assert.equal(docker(svc.socket, ['tag', 'localhost/busybox', `${authReg.host}/private/pushed:2`]).code, 0);
    const push = docker(svc.socket, ['push', `${authReg.host}/private/pushed:2`]);
    assert.equal(push.code, 0, push.stdout + push.stderr);
    const pull = docker(freshSvc.socket, ['pull', `${authReg.host}/private/pushed:2`]);
    assert.equal(pull.code, 0, pull.stdout + pull.stderr);
    assert.equal(docker(svc.socket, ['logout', authReg.host]).code, 0);
    const denied = docker(freshSvc.socket, ['pull', `${authReg.host}/private/busybox:latest`]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /unauthorized|authentication required|denied/i);
  });

  test('import: docker import of a tarball (body and URL) with a message and changes', async () => {
    const rootfs = path.join(s.dir, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'etc', 'imported'), 'imported-content\n');
    const tar = path.join(s.dir, 'rootfs.tar');
    assert.equal(spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']).status, 0);
    const imp = docker(svc.socket, ['import', '-m', 'from the api', '-c', 'ENV IMPORTED=1', '-c', 'CMD ["/bin/sh"]', tar, 'localhost/imported:v1']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /^sha256:[0-9a-f]{64}$/m);
    const i = JSON.parse(docker(svc.socket, ['image', 'inspect', 'localhost/imported:v1']).stdout)[0];
    assert.equal(i.Id, imp.stdout.trim());
    assert.equal(i.Comment, 'from the api');
    assert.deepEqual(i.Config.Cmd, ['/bin/sh']);
    assert.ok(i.Config.Env.includes('IMPORTED=1'));
    // Docker's container.Config (built from the image's OCI config, as podman's compat API).
    const raw = (await request(svc.socket, 'GET', '/images/localhost/imported:v1/json')).json();
    assert.deepEqual(Object.keys(raw.Config), ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce',
      'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels']);
    assert.equal(i.RootFS.Layers.length, 1);

    const stdin = spawnSync('docker', ['import', '-', 'imported:stdin'], { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}`, DOCKER_CONFIG: dockerConfig }, input: fs.readFileSync(tar), encoding: 'utf8' });
    assert.equal(stdin.status, 0, stdin.stderr);
    // A short name is Docker's docker.io/library/NAME (podman's compat import too), as commit and build name it.
    assert.equal(docker(svc.socket, ['image', 'inspect', '--format', '{{json .RepoTags}}', 'imported:stdin']).stdout.trim(), '["docker.io/library/imported:stdin"]');

    const server = http.createServer((_q, res) => fs.createReadStream(tar).pipe(res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as any).port}/rootfs.tar`;
      const r = await request(svc.socket, 'POST', `/images/create?fromSrc=${encodeURIComponent(url)}&repo=localhost/imported&tag=url`);
      assert.equal(r.status, 200, r.text);
      assert.match(lines(r.text).pop().status, /^sha256:[0-9a-f]{64}$/);
      assert.equal(docker(svc.socket, ['image', 'inspect', 'localhost/imported:url']).code, 0);
    } finally {
      server.close();
    }
    const garbage = await request(svc.socket, 'POST', '/images/create?fromSrc=-&repo=localhost/garbage', Buffer.from('this is not a tarball at all'), { 'Content-Type': 'application/x-tar' });
    assert.equal(garbage.status, 400, garbage.text);
    assert.equal(docker(svc.socket, ['image', 'inspect', 'localhost/garbage']).code, 1);
    for (const n of ['imported:stdin', 'localhost/imported:url', 'localhost/imported:v1']) assert.equal(docker(svc.socket, ['rmi', n]).code, 0);
  });

  test('prune: dangling only, then -a keeps images in use; Docker\'s ImagesDeleted and SpaceReclaimed', async () => {
    const tar = path.join(s.dir, 'prune.tar');
    fs.writeFileSync(path.join(s.dir, 'prunefile'), 'x'.repeat(1000));
    assert.equal(spawnSync('tar', ['-C', s.dir, '-cf', tar, 'prunefile']).status, 0);
    const body = fs.readFileSync(tar);
    const dangling = lines((await request(svc.socket, 'POST', '/images/create?fromSrc=-', body)).text).pop().status;
    const tagged = lines((await request(svc.socket, 'POST', '/images/create?fromSrc=-&repo=localhost/unused&tag=1', body)).text).pop().status;
    assert.equal(docker(svc.socket, ['create', '--name', 'keeps-busybox', 'localhost/busybox', 'true']).code, 0);

    const p1 = await request(svc.socket, 'POST', '/v1.41/images/prune');
    assert.equal(p1.status, 200, p1.text);
    assert.deepEqual(p1.json().ImagesDeleted, [{ Deleted: dangling }]);
    assert.ok(p1.json().SpaceReclaimed > 0);
    const none = await request(svc.socket, 'POST', `/images/prune?filters=${encodeURIComponent('{"dangling":["true"]}')}`);
    assert.deepEqual(none.json(), { ImagesDeleted: null, SpaceReclaimed: 0 });

    const all = docker(svc.socket, ['image', 'prune', '-a', '-f']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /untagged: localhost\/unused:1/);
    assert.match(all.stdout, new RegExp(`deleted: ${tagged}`));
    assert.equal(docker(svc.socket, ['image', 'inspect', 'localhost/busybox']).code, 0, 'an image used by a container stays');
    assert.equal(docker(svc.socket, ['rm', 'keeps-busybox']).code, 0);
    const badFilter = await request(svc.socket, 'POST', '/images/prune?filters=not-json');
    assert.equal(badFilter.status, 400);
  });

  test('search lists a registry\'s repositories in Docker\'s shape', async () => {
    const r = await request(freshSvc.socket, 'GET', `/v1.41/images/search?term=${encodeURIComponent(`${reg.host}/pushed`)}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), [{ star_count: 0, is_official: false, name: `${reg.host}/pushed/busybox`, is_automated: false, description: '' }]);
    const cli = docker(freshSvc.socket, ['search', `${reg.host}/layers`]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /NAME\s+DESCRIPTION/);
    assert.match(cli.stdout, new RegExp(`${reg.host}/multi/layers`));
    assert.equal((await request(freshSvc.socket, 'GET', '/images/search')).status, 400);
    assert.equal((await request(freshSvc.socket, 'GET', `/images/search?term=${reg.host}/x&limit=0`)).status, 400);
  });

  test('images NAME lists one row per matching name; rmi by ID of an image with several names needs force', async () => {
    assert.equal(docker(svc.socket, ['tag', 'localhost/busybox', 'localhost/twin:2']).code, 0);
    assert.equal(docker(svc.socket, ['images', '--format', '{{.Repository}}:{{.Tag}}', 'localhost/twin']).stdout, 'localhost/twin:2\n');
    assert.equal(docker(svc.socket, ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=localhost/tw*:2']).stdout, 'localhost/twin:2\n');
    const list = (await request(svc.socket, 'GET', `/images/json?filters=${encodeURIComponent('{"reference":["localhost/busybox"]}')}`)).json();
    assert.deepEqual(list.map((i: any) => i.RepoTags), [['localhost/busybox:latest']]);
    const id = (await request(svc.socket, 'GET', '/images/localhost/twin:2/json')).json().Id as string;
    const refused = await request(svc.socket, 'DELETE', `/images/${id.slice(7, 19)}`);
    assert.equal(refused.status, 409, refused.text);
    assert.match(refused.json().message, /more than one tag/);
    assert.equal((await request(svc.socket, 'GET', '/images/localhost/twin:2/json')).status, 200);
    const untag = await request(svc.socket, 'DELETE', '/images/localhost/twin:2');
    assert.deepEqual(untag.json(), [{ Untagged: 'localhost/twin:2' }]);
  });

  test('bad input: one clear error each, nothing half-done', async () => {
    const cases: [string, string, number, unknown?][] = [
      ['POST', '/images/create', 400],
      ['POST', '/images/create?fromImage=a&fromSrc=-', 400],
      ['POST', `/images/create?fromImage=${reg.host}/pushed/busybox&tag=1&platform=linux`, 400],
      ['POST', '/images/create?fromImage=UPPER/case&tag=x', 400],
      ['POST', '/images/create?fromSrc=/etc/passwd', 400],
      ['GET', '/images/json?filters={bad', 400],
      ['GET', '/images/nothing:here/json', 404],
      ['GET', '/images/nothing:here/history', 404],
      ['POST', '/images/nothing:here/tag?repo=x', 404],
      ['POST', '/images/localhost/busybox/tag', 400],
      ['POST', '/images/localhost/busybox/tag?repo=Bad_Upper', 400],
      ['POST', '/images/localhost/busybox/tag?repo=ok&tag=bad/tag', 400],
      ['DELETE', '/images/nothing:here', 404],
      ['POST', '/images/load', 400, 'not a tar'],
      ['POST', '/auth', 400, '{"username": 5}'],
      ['POST', '/auth', 400, '{not json'],
      ['POST', '/auth', 400, {}],
    ];
    for (const [method, p, status, body] of cases) {
      const r = await request(svc.socket, method, p, body);
      assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
      assert.equal(typeof r.json().message, 'string', r.text);
      assert.ok(!r.json().message.includes('\n'), r.text);
    }
    const imgs = docker(svc.socket, ['images', '--format', '{{.Repository}}']).stdout;
    assert.doesNotMatch(imgs, /UPPER|Bad_Upper|bad/i);
  });

  test('concurrent pulls of one image all succeed into one image; a client hanging up mid-pull leaves a complete image', async () => {
    const other = new TestStore();
    const osvc = await startService(other);
    try {
      const ref = `${reg.host}/multi/layers:latest`;
      const results = await Promise.all(Array.from({ length: 4 }, () => request(osvc.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(ref)}`)));
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.match(lines(r.text).pop().status, /^Status: /, r.text);
      }
      const list = (await request(osvc.socket, 'GET', '/images/json')).json();
      assert.equal(list.length, 1);
      assert.equal(other.run(['run', '--rm', '--network', 'none', ref, 'true']).code, 0);

      // Hang up right after the first progress line.
      const ref2 = `${reg.host}/pushed/busybox:1`;
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ socketPath: osvc.socket, method: 'POST', path: `/images/create?fromImage=${encodeURIComponent(ref2)}` }, (res) => {
          res.once('data', () => { req.destroy(); resolve(); });
        });
        req.on('error', () => undefined);
        req.on('close', () => resolve());
        setTimeout(() => reject(new Error('no progress')), 30_000).unref();
        req.end();
      });
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        const r = await request(osvc.socket, 'GET', `/images/${ref2}/json`);
        ok = r.status === 200;
        if (!ok) await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(ok, 'the pull completed after the client left');
      assert.equal((await request(osvc.socket, 'GET', '/_ping')).text, 'OK');
      assert.equal(other.run(['run', '--rm', '--network', 'none', ref2, 'true']).code, 0);
    } finally {
      await osvc.stop();
      other.cleanup();
    }
  });

  test('concurrent tags, deletes, lists and inspects of one image stay consistent', async () => {
    const names = Array.from({ length: 30 }, (_x, i) => `localhost/conc${i}:t`);
    const reads = () => [request(svc.socket, 'GET', '/images/json'), request(svc.socket, 'GET', '/images/localhost/busybox/json'), request(svc.socket, 'GET', '/images/localhost/busybox/history')];
    const tagged = await Promise.all([
      ...names.map((n) => request(svc.socket, 'POST', `/images/localhost/busybox/tag?repo=${n.split(':')[0]}&tag=t`)),
      ...reads(), ...reads(),
    ]);
    for (const r of tagged) assert.ok(r.status === 201 || r.status === 200, `${r.status} ${r.text}`);
    const all = (await request(svc.socket, 'GET', '/images/localhost/busybox/json')).json().RepoTags as string[];
    for (const n of names) assert.ok(all.includes(n), `${n} in ${all}`);
    const deleted = await Promise.all([...names.map((n) => request(svc.socket, 'DELETE', `/images/${n}`)), ...reads(), ...reads()]);
    for (const r of deleted.slice(0, names.length)) assert.equal(r.status, 200, r.text);
    assert.deepEqual(deleted.slice(0, names.length).map((r) => r.json()[0].Untagged).sort(), [...names].sort());
    for (const r of deleted.slice(names.length)) assert.equal(r.status, 200, r.text);
    const left = (await request(svc.socket, 'GET', '/images/localhost/busybox/json')).json().RepoTags as string[];
    assert.ok(!left.some((t) => t.includes('/conc')), left.join(' '));
    assert.ok(left.includes('localhost/busybox:latest'));
    // Two forced deletes of one image at once: one deletes it, the other finds nothing; no 500.
    const tar = path.join(s.dir, 'twice.tar');
    fs.writeFileSync(path.join(s.dir, 'twicefile'), 'twice');
    assert.equal(spawnSync('tar', ['-C', s.dir, '-cf', tar, 'twicefile']).status, 0);
    const id = lines((await request(svc.socket, 'POST', '/images/create?fromSrc=-&repo=localhost/twice', fs.readFileSync(tar))).text).pop().status as string;
    const both = await Promise.all([1, 2].map(() => request(svc.socket, 'DELETE', `/images/${id.slice(7)}?force=1`)));
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 404], both.map((r) => r.text).join(' '));
  });

  test('clients hanging up while uploading a tarball (load, import) leave no temporary files and the service answers', async () => {
    const other = new TestStore();
    const tmp = path.join(other.dir, 'tmp');
    fs.mkdirSync(tmp);
    const osvc = await startService(other, { env: { TMPDIR: tmp } });
    try {
      for (const p of ['/images/load', '/images/create?fromSrc=-&repo=localhost/cut']) {
        await new Promise<void>((resolve) => {
          const req = http.request({ socketPath: osvc.socket, method: 'POST', path: p, headers: { 'Content-Type': 'application/x-tar', 'Content-Length': String(64 << 20) } });
          req.on('error', () => resolve());
          req.write(Buffer.alloc(1 << 20));
          setTimeout(() => { req.destroy(); resolve(); }, 300);
        });
      }
      let left: string[] = [];
      for (let i = 0; i < 50; i++) {
        left = fs.readdirSync(tmp);
        if (!left.length) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(left, []);
      assert.equal((await request(osvc.socket, 'GET', '/_ping')).text, 'OK');
      assert.deepEqual((await request(osvc.socket, 'GET', '/images/json')).json(), []);
    } finally {
      await osvc.stop();
      other.cleanup();
    }
  });

  test('docker-py: pull from a registry, list, get, tag, remove, search, login, prune', async () => {
    const r = await py(svc.socket, `
img = c.images.pull('${reg.host}/pushed/busybox', tag='1')
print('${reg.host}/pushed/busybox:1' in img.tags)
print(c.images.get('${reg.host}/pushed/busybox:1').id == img.id)
img.tag('localhost/pytagged', tag='v2')
print('localhost/pytagged:v2' in c.images.get(img.id).tags)
print(any('localhost/pytagged:v2' in i.tags for i in c.images.list()))
c.images.remove('localhost/pytagged:v2')
print(any('localhost/pytagged:v2' in i.tags for i in c.images.list()))
print([x['name'] for x in c.images.search('${reg.host}/pushed')])
print(c.login(username='${authReg.username}', password='${authReg.password}', registry='${authReg.host}')['Status'])
try:
    c.login(username='${authReg.username}', password='wrong', registry='${authReg.host}', reauth=True)
    print('login should fail')
except docker.errors.APIError as e:
    print('refused', e.status_code)
p = c.images.pull('${authReg.host}/private/busybox', tag='latest', auth_config={'username': '${authReg.username}', 'password': '${authReg.password}'})
print('${authReg.host}/private/busybox:latest' in p.tags)
try:
    c.images.get('nothing/here:x')
except docker.errors.ImageNotFound:
    print('not found')
print(c.images.prune()['SpaceReclaimed'] >= 0)
c.images.get('localhost/busybox').tag('localhost/pysaved', tag='s')
data = b''.join(c.images.get('localhost/pysaved:s').save(named='localhost/pysaved:s'))
c.images.remove('localhost/pysaved:s')
print([i.tags for i in c.images.load(data) if 'localhost/pysaved:s' in i.tags] != [])
c.images.get('localhost/busybox').tag('${reg.host}/py/pushed', tag='1')
events = list(c.images.push('${reg.host}/py/pushed', tag='1', stream=True, decode=True))
print(any(e.get('status') in ('Pushed', 'Layer already exists') for e in events), [e for e in events if 'error' in e])
`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, ['True', 'True', 'True', 'True', 'False', `['${reg.host}/pushed/busybox']`, 'Login Succeeded', 'refused 401', 'True', 'not found', 'True', 'True', 'True []', ''].join('\n'));
  });
});
