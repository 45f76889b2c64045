// Integration tests of pier's registry client against a real registry (Debian's
// docker-registry via tests/fixtures/registry.ts), anonymous, htpasswd and token auth.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { RegistryClient, MEDIA_TYPES, selectPlatform } from '../../src/image/registry/client';
import { RegistryNotFoundError, RegistryAuthError, RegistryError, RegistryContentError, RegistryNetworkError } from '../../src/image/registry/errors';
import { clientFor } from '../../src/image/registry/connect';
import { setCredentials } from '../../src/image/config/auth';
import { parseReference } from '../../src/image/reference';
import { NotFoundError } from '../../src/util/errors';
import { startRegistry, freePort, Registry } from '../fixtures/registry';
import { busyboxImage, multiarchIndex, pushImage, TestImage, blobBytes } from '../fixtures/images';

function sha256(b: Buffer): string {
  return 'sha256:' + createHash('sha256').update(b).digest('hex');
}

/** assert.rejects on the error's message (not its `Name: message` string form). */
async function rejectsWith(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.match((e as Error).message, re);
    return true;
  });
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Push an image's blobs and manifest with pier's client. */
async function pushWithClient(c: RegistryClient, repo: string, tag: string, img: TestImage, chunkSize?: number): Promise<string> {
  for (const l of img.layers) {
    const data = blobBytes(l);
    await c.uploadBlob(repo, l.digest, l.size, () => Readable.from([data]), { chunkSize });
  }
  await c.uploadBlob(repo, img.configDigest, img.config.length, () => Readable.from([img.config]), { chunkSize });
  return c.putManifest(repo, tag, img.manifestMediaType, img.manifest);
}

function blobFile(reg: Registry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return path.join(reg.dir, 'storage/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

/** A pass-through proxy in front of a real registry that can inject faults per request. */
async function faultProxy(target: Registry, fault: (req: http.IncomingMessage) => 'fail503' | 'cut' | undefined) {
  const server = http.createServer((req, res) => {
    const f = fault(req);
    if (f === 'fail503') {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' }).end('try later');
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: Number(target.host.split(':')[1]), method: req.method, path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (f === 'cut') {
        let sent = 0;
        ur.on('data', (c: Buffer) => {
          if (sent > 1000) return;
          sent += c.length;
          res.write(c.subarray(0, Math.min(c.length, 1500)));
          if (sent > 1000) setTimeout(() => res.socket?.destroy(), 20);
        });
        return;
      }
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return { host, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

describe('anonymous registry', () => {
  let reg: Registry;
  let client: RegistryClient;
  let busybox: TestImage;

  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ host: reg.host, insecure: true, retryDelayMs: 10 });
    busybox = await busyboxImage('docker');
  });
  after(async () => { await reg?.stop(); });

  test('reads an image pushed by the fixture uploader (manifest, config, layer)', async () => {
    await pushImage(reg, 'lib/busybox', 'v1', busybox);
    const m = await client.getManifest('lib/busybox', 'v1');
    assert.equal(m.mediaType, MEDIA_TYPES.dockerManifest);
    assert.equal(m.digest, busybox.digest);
    assert.deepEqual(m.body, busybox.manifest);
    const byDigest = await client.getManifest('lib/busybox', busybox.digest);
    assert.equal(byDigest.digest, busybox.digest);
    const head = await client.headManifest('lib/busybox', 'v1');
    assert.deepEqual(head, { mediaType: MEDIA_TYPES.dockerManifest, digest: busybox.digest, size: busybox.manifest.length });
    assert.equal(await client.headManifest('lib/busybox', 'nope'), null);

    const cfg = await readAll(await client.getBlob('lib/busybox', busybox.configDigest, busybox.config.length));
    assert.deepEqual(cfg, busybox.config);
    const layer = busybox.layers[0];
    const data = await readAll(await client.getBlob('lib/busybox', layer.digest, layer.size));
    assert.equal(sha256(data), layer.digest);
    assert.equal(await client.blobExists('lib/busybox', layer.digest), layer.size);
    assert.equal(await client.blobExists('lib/busybox', sha256(Buffer.from('absent'))), null);
  });

  test('push/pull roundtrip with pier\'s client (monolithic uploads)', async () => {
    const img = await busyboxImage('oci');
    const digest = await pushWithClient(client, 'mine/busybox', 'latest', img);
    assert.equal(digest, img.digest);
    const m = await client.getManifest('mine/busybox', 'latest');
    assert.equal(m.mediaType, MEDIA_TYPES.ociManifest);
    assert.deepEqual(m.body, img.manifest);
    const layer = await readAll(await client.getBlob('mine/busybox', img.layers[0].digest, img.layers[0].size));
    assert.deepEqual(layer, blobBytes(img.layers[0]));
    // the fixture's own data on disk in the registry matches too
    assert.deepEqual(fs.readFileSync(blobFile(reg, img.configDigest)), img.config);
  });

  test('chunked upload', async () => {
    const data = randomBytes(300 * 1024 + 17);
    const digest = sha256(data);
    await client.uploadBlob('chunky/repo', digest, data.length, () => Readable.from([data.subarray(0, 1000), data.subarray(1000)]), { chunkSize: 64 * 1024 });
    assert.equal(await client.blobExists('chunky/repo', digest), data.length);
    assert.deepEqual(await readAll(await client.getBlob('chunky/repo', digest, data.length)), data);
    // a wrong digest is refused by the registry and reported
    const other = randomBytes(1000);
    await assert.rejects(client.uploadBlob('chunky/repo', sha256(Buffer.from('x')), other.length, () => Readable.from([other]), { chunkSize: 300 }), (e: unknown) => {
      assert.ok(e instanceof RegistryError, String(e));
      assert.match(e.message, /^writing blob sha256:[a-f0-9]{64} to 127\.0\.0\.1:\d+\/chunky\/repo: digest invalid/);
      return true;
    });
  });

  test('cross-repository mount', async () => {
    const img = await busyboxImage('docker');
    await pushImage(reg, 'src/repo', 'v1', img);
    const layer = img.layers[0];
    assert.equal(await client.blobExists('dst/repo', layer.digest), null);
    assert.equal(await client.mountBlob('dst/repo', layer.digest, 'src/repo'), true);
    assert.equal(await client.blobExists('dst/repo', layer.digest), layer.size);
    // a blob the source does not have: no mount (and the started upload is cancelled)
    assert.equal(await client.mountBlob('dst/repo', sha256(Buffer.from('never uploaded')), 'src/repo'), false);
  });

  test('tag listing and catalog follow pagination', async () => {
    const img = await busyboxImage('docker');
    await pushImage(reg, 'tags/repo', 't0', img);
    for (const t of ['t1', 't2', 't3', 't4']) await client.putManifest('tags/repo', t, img.manifestMediaType, img.manifest);
    assert.deepEqual((await client.listTags('tags/repo', 2)).sort(), ['t0', 't1', 't2', 't3', 't4']);
    assert.deepEqual((await client.listTags('tags/repo')).sort(), ['t0', 't1', 't2', 't3', 't4']);
    const repos = await client.catalog(1);
    for (const r of ['tags/repo', 'lib/busybox']) assert.ok(repos.includes(r), `${r} in ${repos.join(',')}`);
    assert.deepEqual(await client.catalog(), repos);
    await assert.rejects(client.listTags('no/such/repo'), (e: unknown) => e instanceof NotFoundError && /name unknown/.test(e.message));
  });

  test('unknown manifests are NotFoundErrors with podman-like messages', async () => {
    await assert.rejects(client.getManifest('nope', 'latest'), (e: unknown) => {
      assert.ok(e instanceof RegistryNotFoundError && e instanceof NotFoundError, String(e));
      assert.equal(e.exitCode, 125);
      assert.match(e.message, new RegExp(`^reading manifest latest in ${reg.host.replace(/\./g, '\\.')}/nope: (manifest unknown|name unknown: repository name not known to registry)$`));
      return true;
    });
    await pushImage(reg, 'known/repo', 'v1', busybox);
    await assert.rejects(client.getManifest('known/repo', 'v2'), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.message, `reading manifest v2 in ${reg.host}/known/repo: manifest unknown`);
      return true;
    });
    await assert.rejects(client.getBlob('known/repo', sha256(Buffer.from('zz'))), (e: unknown) => e instanceof NotFoundError && /blob unknown/.test(e.message));
  });

  test('deleting a manifest', async () => {
    await pushImage(reg, 'del/repo', 'v1', busybox);
    await client.deleteManifest('del/repo', busybox.digest);
    assert.equal(await client.headManifest('del/repo', busybox.digest), null);
  });

  test('corrupted blobs fail digest verification at the end of the stream', async () => {
    const img = await busyboxImage('docker');
    await pushImage(reg, 'corrupt/repo', 'v1', img);
    // a private blob (only this test's): flip bytes in place in the registry's storage
    const data = randomBytes(50_000);
    const digest = sha256(data);
    await client.uploadBlob('corrupt/repo', digest, data.length, () => Readable.from([data]));
    const file = blobFile(reg, digest);
    const bad = Buffer.from(data);
    bad[100] ^= 0xff;
    fs.writeFileSync(file, bad);
    const stream = await client.getBlob('corrupt/repo', digest, data.length);
    await assert.rejects(readAll(stream), (e: unknown) => {
      assert.ok(e instanceof RegistryContentError, String(e));
      assert.equal(e.message, `Digest did not match, expected ${digest}, got ${sha256(bad)}`);
      return true;
    });
    // a size that does not match what the caller expects is refused
    await assert.rejects(client.getBlob('corrupt/repo', digest, data.length + 1), /size mismatch/);
    // truncated storage: size verification
    fs.writeFileSync(file, data.subarray(0, 1000));
    await assert.rejects(async () => readAll(await client.getBlob('corrupt/repo', digest)), /Digest did not match/);
  });

  test('selects a platform from an index pulled from the registry', async () => {
    const idx = await multiarchIndex('oci');
    await pushImage(reg, 'multi/arch', 'v1', idx);
    const top = await client.getManifest('multi/arch', 'v1');
    assert.equal(top.mediaType, MEDIA_TYPES.ociIndex);
    const entry = selectPlatform(JSON.parse(top.body.toString()), { os: 'linux', arch: 'aarch64' });
    const arm = idx.children.find((c) => c.platform.architecture === 'arm64')!;
    assert.equal(entry?.digest, arm.digest);
    const child = await client.getManifest('multi/arch', entry!.digest);
    assert.deepEqual(child.body, arm.manifest);
  });

  test('a secure client refuses a plain-HTTP registry with Go\'s message', async () => {
    const secure = new RegistryClient({ host: reg.host });
    await assert.rejects(secure.getManifest('lib/busybox', 'v1'), (e: unknown) => {
      assert.ok(e instanceof RegistryNetworkError, String(e));
      assert.equal(e.message, `pinging container registry ${reg.host}: Get "https://${reg.host}/v2/": http: server gave HTTP response to HTTPS client`);
      return true;
    });
  });

  test('transient 5xx responses are retried; resets mid-blob resume with Range', async () => {
    await pushImage(reg, 'flaky/repo', 'v1', busybox);
    let failures = 0;
    let cuts = 0;
    const rangeRequests: string[] = [];
    const proxy = await faultProxy(reg, (req) => {
      if (req.headers.range) rangeRequests.push(String(req.headers.range));
      if (req.url?.includes('/manifests/') && failures < 2) { failures++; return 'fail503'; }
      if (req.url?.includes('/blobs/') && req.method === 'GET' && !req.headers.range && cuts < 1) { cuts++; return 'cut'; }
      return undefined;
    });
    try {
      const c = new RegistryClient({ host: proxy.host, insecure: true, retries: 3, retryDelayMs: 5 });
      const m = await c.getManifest('flaky/repo', 'v1');
      assert.equal(m.digest, busybox.digest);
      assert.equal(failures, 2);
      const layer = busybox.layers[0];
      const data = await readAll(await c.getBlob('flaky/repo', layer.digest, layer.size));
      assert.equal(sha256(data), layer.digest);
      assert.equal(cuts, 1);
      assert.equal(rangeRequests.length, 1);
      assert.match(rangeRequests[0], /^bytes=\d+-$/);

      // uploads: a 503 on the PUT restarts the upload (new POST, stream reopened)
      let putFailures = 0;
      let posts = 0;
      let opens = 0;
      const proxy2 = await faultProxy(reg, (req) => {
        if (req.method === 'POST' && req.url?.includes('/blobs/uploads/')) posts++;
        if (req.method === 'PUT' && req.url?.includes('/blobs/uploads/') && putFailures < 1) { putFailures++; return 'fail503'; }
        return undefined;
      });
      try {
        const up = new RegistryClient({ host: proxy2.host, insecure: true, retries: 2, retryDelayMs: 5 });
        const data = randomBytes(20_000);
        await up.uploadBlob('flaky/upload', sha256(data), data.length, () => { opens++; return Readable.from([data]); });
        assert.equal(putFailures, 1);
        assert.equal(posts, 2);
        assert.equal(opens, 2);
        assert.equal(await up.blobExists('flaky/upload', sha256(data)), data.length);
      } finally {
        await proxy2.close();
      }

      failures = 0;
      const noRetry = new RegistryClient({ host: proxy.host, insecure: true, retries: 0 });
      await assert.rejects(noRetry.getManifest('flaky/repo', 'v1'), (e: unknown) => {
        assert.ok(e instanceof RegistryError);
        assert.equal(e.status, 503);
        assert.match(e.message, /received unexpected HTTP status: 503 Service Unavailable$/);
        return true;
      });
    } finally {
      await proxy.close();
    }
  });

  test('clientFor uses --tls-verify, --creds and auth files', async () => {
    const ref = parseReference(`${reg.host}/lib/busybox:v1`);
    const c = clientFor(undefined, ref, { tlsVerify: false });
    assert.equal(c.insecure, true);
    assert.equal((await c.getManifest(ref.repository, 'v1')).digest, busybox.digest);
    assert.equal(clientFor(undefined, ref, { tlsVerify: true, insecure: true }).insecure, false);
    assert.throws(() => clientFor(undefined, ref, { creds: 'user' }), /password/);
  });
});

describe('unreachable registries fail fast', () => {
  test('connection refused: https, then http for insecure registries', async () => {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const t0 = Date.now();
    await assert.rejects(new RegistryClient({ host }).getManifest('x', 'latest'), (e: unknown) => {
      assert.ok(e instanceof RegistryNetworkError);
      assert.equal(e.message, `pinging container registry ${host}: Get "https://${host}/v2/": dial tcp ${host}: connect: connection refused`);
      assert.equal(e.code, 'ECONNREFUSED');
      return true;
    });
    await rejectsWith(new RegistryClient({ host, insecure: true }).getManifest('x', 'latest'),
      new RegExp(`^pinging container registry ${host}: Get "http://${host}/v2/": dial tcp ${host}: connect: connection refused$`));
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
  });

  test('a server that accepts but never answers times out', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => { sockets.push(s); s.on('error', () => undefined); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const t0 = Date.now();
      await rejectsWith(new RegistryClient({ host, insecure: true, idleTimeoutMs: 300 }).ping(), /^pinging container registry 127\.0\.0\.1:\d+: Get "http:\/\/127\.0\.0\.1:\d+\/v2\/": .*i\/o timeout$/);
      assert.ok(Date.now() - t0 < 3000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('basic auth registry', () => {
  let reg: Registry;
  before(async () => { reg = await startRegistry({ auth: 'basic' }); });
  after(async () => { await reg?.stop(); });

  test('right credentials: login, push and pull', async () => {
    const c = new RegistryClient({ host: reg.host, insecure: true, credentials: { username: reg.username!, password: reg.password! } });
    await c.login();
    const img = await busyboxImage('docker');
    assert.equal(await pushWithClient(c, 'private/busybox', 'v1', img), img.digest);
    assert.deepEqual((await c.getManifest('private/busybox', 'v1')).body, img.manifest);
  });

  test('wrong or missing credentials are refused', async () => {
    const bad = new RegistryClient({ host: reg.host, insecure: true, credentials: { username: reg.username!, password: 'wrong' } });
    await assert.rejects(bad.login(), (e: unknown) => {
      assert.ok(e instanceof RegistryAuthError);
      assert.equal(e.message, `logging into "${reg.host}": invalid username/password`);
      return true;
    });
    await rejectsWith(bad.getManifest('private/busybox', 'v1'), new RegExp(`^reading manifest v1 in ${reg.host}/private/busybox: unauthorized: authentication required$`));
    const anon = new RegistryClient({ host: reg.host, insecure: true });
    await assert.rejects(anon.getManifest('private/busybox', 'v1'), /unauthorized: authentication required/);
  });

  test('blob redirects are followed without sending credentials to the other host', async () => {
    const img = await busyboxImage('docker');
    const c0 = new RegistryClient({ host: reg.host, insecure: true, credentials: { username: reg.username!, password: reg.password! } });
    await pushWithClient(c0, 'redirect/repo', 'v1', img);
    const auth = 'Basic ' + Buffer.from(`${reg.username}:${reg.password}`).toString('base64');
    const port = Number(reg.host.split(':')[1]);
    const forward = (req: http.IncomingMessage, res: http.ServerResponse, headers: http.OutgoingHttpHeaders) => {
      const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    // "CDN": serves blobs by forwarding with its own credentials (like a signed URL); records what it got
    const cdnSeen: Array<string | undefined> = [];
    const cdn = http.createServer((req, res) => {
      cdnSeen.push(req.headers.authorization);
      forward(req, res, { ...req.headers, host: reg.host, authorization: auth });
    });
    // front: the registry endpoint, redirecting blob downloads to the CDN
    const front = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url?.includes('/blobs/sha256:')) {
        const cdnPort = (cdn.address() as net.AddressInfo).port;
        res.writeHead(307, { location: `http://localhost:${cdnPort}${req.url}` }).end();
        return;
      }
      forward(req, res, req.headers);
    });
    await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
    try {
      const host = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
      const c = new RegistryClient({ host, insecure: true, credentials: { username: reg.username!, password: reg.password! } });
      const layer = img.layers[0];
      const data = await readAll(await c.getBlob('redirect/repo', layer.digest, layer.size));
      assert.equal(sha256(data), layer.digest);
      assert.deepEqual(cdnSeen, [undefined]);
    } finally {
      for (const srv of [front, cdn]) await new Promise<void>((r) => { srv.close(() => r()); srv.closeAllConnections(); });
    }
  });

  test('credentials come from an auth file via clientFor', async (t) => {
    const dir = fs.mkdtempSync(path.join(reg.dir, '..', 'pier-authfile-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const authfile = path.join(dir, 'auth.json');
    setCredentials(authfile, reg.host, reg.username!, reg.password!);
    const c = clientFor(undefined, parseReference(`${reg.host}/private/x`), { tlsVerify: false, authfile });
    await c.login();
    const viaCreds = clientFor(undefined, parseReference(`${reg.host}/private/x`), { tlsVerify: false, creds: `${reg.username}:nope` });
    await assert.rejects(viaCreds.login(), /invalid username\/password/);
  });
});

describe('token auth registry', () => {
  let reg: Registry;
  let anonReg: Registry;
  before(async () => {
    reg = await startRegistry({ auth: 'token' });
    anonReg = await startRegistry({ auth: 'token', anonymousPull: true });
  });
  after(async () => { await reg?.stop(); await anonReg?.stop(); });

  test('right credentials: tokens per scope, cached, push and pull', async () => {
    const c = new RegistryClient({ host: reg.host, insecure: true, credentials: { username: reg.username!, password: reg.password! }, push: true });
    await c.login();
    const img = await busyboxImage('oci');
    assert.equal(await pushWithClient(c, 'team/app', 'v1', img), img.digest);
    const before = reg.issuedTokens!.length;
    for (let i = 0; i < 3; i++) {
      await c.getManifest('team/app', 'v1');
      await readAll(await c.getBlob('team/app', img.configDigest, img.config.length));
    }
    assert.equal(reg.issuedTokens!.length, before, 'the cached token is reused');
    const last = reg.issuedTokens!.at(-1)!;
    assert.deepEqual(last.access, [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }]);
    assert.equal(last.sub, reg.username);

    // a pull-only client asks for pull only
    const puller = new RegistryClient({ host: reg.host, insecure: true, credentials: { username: reg.username!, password: reg.password! } });
    assert.deepEqual((await puller.getManifest('team/app', 'v1')).body, img.manifest);
    assert.deepEqual(reg.issuedTokens!.at(-1)!.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    // catalog uses the registry:catalog:* scope
    assert.ok((await puller.catalog()).includes('team/app'));
    assert.deepEqual(reg.issuedTokens!.at(-1)!.access, [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
  });

  test('wrong credentials and anonymous access are refused', async () => {
    const bad = new RegistryClient({ host: reg.host, insecure: true, credentials: { username: reg.username!, password: 'wrong' } });
    await rejectsWith(bad.login(), new RegExp(`^logging into "${reg.host}": invalid username/password$`));
    await assert.rejects(bad.getManifest('team/app', 'v1'), (e: unknown) => {
      assert.ok(e instanceof RegistryAuthError, String(e));
      assert.match(e.message, /^reading manifest v1 in 127\.0\.0\.1:\d+\/team\/app: unable to retrieve auth token: invalid username\/password: unauthorized: authentication required$/);
      return true;
    });
    const anon = new RegistryClient({ host: reg.host, insecure: true });
    await assert.rejects(anon.getManifest('team/app', 'v1'), /unable to retrieve auth token/);
  });

  test('anonymous tokens can pull but not push', async () => {
    const img = await busyboxImage('docker');
    await pushImage(anonReg, 'public/busybox', 'v1', img);
    const anon = new RegistryClient({ host: anonReg.host, insecure: true });
    assert.equal((await anon.getManifest('public/busybox', 'v1')).digest, img.digest);
    assert.equal(anonReg.issuedTokens!.at(-1)!.sub, '');
    await assert.rejects(anon.putManifest('public/busybox', 'v2', img.manifestMediaType, img.manifest), (e: unknown) => {
      assert.ok(e instanceof RegistryError, String(e));
      assert.equal(e.status, 401);
      assert.match(e.message, /^writing manifest v2 to 127\.0\.0\.1:\d+\/public\/busybox: unauthorized: /);
      return true;
    });
  });
});
