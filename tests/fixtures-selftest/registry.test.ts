// The registry fixture: real docker-registry in its 3 auth variants, seeded with pushImage.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { startRegistry, Registry, parseScope } from '../fixtures/registry';
import { busyboxImage, multiarchIndex, multilayerImage, pushImage, RegistryClient, RegistryHttpError, sha256, TestImage } from '../fixtures/images';

const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');

async function started(t: { after(fn: () => Promise<void>): void }, opts: Parameters<typeof startRegistry>[0]): Promise<Registry> {
  const r = await startRegistry(opts);
  t.after(() => r.stop());
  return r;
}

/** Fetches an image back and checks manifest, config and layer digests. */
async function checkImage(c: RegistryClient, repo: string, ref: string, img: TestImage): Promise<void> {
  const m = await c.getManifest(repo, ref);
  assert.equal(m.digest, img.digest);
  assert.ok(m.body.equals(img.manifest));
  assert.equal(m.mediaType, img.manifestMediaType);
  const parsed = JSON.parse(m.body.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  assert.equal(sha256(await c.getBlob(repo, parsed.config.digest)), img.configDigest);
  for (const l of parsed.layers) assert.equal(sha256(await c.getBlob(repo, l.digest)), l.digest);
  assert.deepEqual(parsed.layers.map((l) => l.digest), img.layers.map((l) => l.digest));
}

test('registry (no auth): push then fetch back with plain HTTP', async (t) => {
  const r = await started(t, {});
  assert.match(r.host, /^127\.0\.0\.1:\d+$/);
  assert.equal(r.url, `http://${r.host}`);
  assert.equal((await fetch(`${r.url}/v2/`)).status, 200);
  const img = await busyboxImage('docker');
  const res = await pushImage(r, 'library/busybox', 'latest', img);
  assert.equal(res.digest, img.digest);

  // independent of RegistryClient: raw fetch
  const m = await fetch(`${r.url}/v2/library/busybox/manifests/latest`, { headers: { Accept: img.manifestMediaType } });
  assert.equal(m.status, 200);
  assert.equal(m.headers.get('docker-content-digest'), img.digest);
  const body = Buffer.from(await m.arrayBuffer());
  assert.equal(sha256(body), img.digest);
  const layer = await fetch(`${r.url}/v2/library/busybox/blobs/${img.layers[0].digest}`);
  assert.equal(sha256(Buffer.from(await layer.arrayBuffer())), img.layers[0].digest);
  const tags = await (await fetch(`${r.url}/v2/library/busybox/tags/list`)).json() as { tags: string[] };
  assert.deepEqual(tags.tags, ['latest']);

  // delete is enabled
  const c = new RegistryClient(r);
  t.after(() => c.close());
  await c.deleteManifest('library/busybox', img.digest);
  const gone = await fetch(`${r.url}/v2/library/busybox/manifests/${img.digest}`, { headers: { Accept: img.manifestMediaType } });
  assert.equal(gone.status, 404);
});

test('registry (no auth): OCI image, OCI index and Docker manifest list round-trip', async (t) => {
  const r = await started(t, {});
  const c = new RegistryClient(r);
  t.after(() => c.close());
  const ml = await multilayerImage('oci');
  await pushImage(r, 'test/multi', 'v1', ml);
  await checkImage(c, 'test/multi', 'v1', ml);
  for (const fmt of ['oci', 'docker'] as const) {
    const idx = await multiarchIndex(fmt);
    const res = await pushImage(r, `test/arch-${fmt}`, 'latest', idx);
    assert.equal(res.digest, idx.digest);
    const m = await c.getManifest(`test/arch-${fmt}`, 'latest');
    assert.equal(m.digest, idx.digest);
    assert.equal(m.mediaType, idx.indexMediaType);
    for (const child of idx.children) await checkImage(c, `test/arch-${fmt}`, child.digest, child);
  }
});

test('registry (basic): correct credentials push and pull, wrong ones get 401', async (t) => {
  const r = await started(t, { auth: 'basic', username: 'alice', password: 'pa$$:word' });
  assert.equal(r.username, 'alice');
  const anon = await fetch(`${r.url}/v2/`);
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic /);
  assert.equal((await fetch(`${r.url}/v2/`, { headers: { Authorization: basic('alice', 'pa$$:word') } })).status, 200);
  assert.equal((await fetch(`${r.url}/v2/`, { headers: { Authorization: basic('alice', 'nope') } })).status, 401);

  const img = await busyboxImage('oci');
  await pushImage(r, 'secure/bb', 'latest', img);
  const c = new RegistryClient(r);
  t.after(() => c.close());
  await checkImage(c, 'secure/bb', 'latest', img);

  for (const creds of [{ username: 'alice', password: 'wrong' }, null]) {
    const err = await pushImage(r, 'secure/other', 'latest', img, creds).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RegistryHttpError, String(err));
    assert.equal(err.status, 401);
  }
});

test('registry (token): bearer flow works and scopes are enforced', async (t) => {
  const r = await started(t, { auth: 'token' });
  assert.ok(r.tokenUrl);
  const anon = await fetch(`${r.url}/v2/`);
  assert.equal(anon.status, 401);
  const ch = anon.headers.get('www-authenticate') ?? '';
  assert.ok(ch.startsWith(`Bearer realm="${r.tokenUrl}"`), ch);

  const img = await multilayerImage('docker');
  await pushImage(r, 'tok/multi', 'latest', img);
  const c = new RegistryClient(r);
  t.after(() => c.close());
  await checkImage(c, 'tok/multi', 'latest', img);
  const last = r.issuedTokens!.at(-1)!;
  assert.equal(last.sub, 'tester');
  assert.deepEqual(last.access, [{ type: 'repository', name: 'tok/multi', actions: ['pull'] }]);

  // wrong and missing credentials: the token server refuses
  const q = `?service=pier-test-registry&scope=repository:tok/multi:pull`;
  assert.equal((await fetch(r.tokenUrl + q, { headers: { Authorization: basic('tester', 'bad') } })).status, 401);
  assert.equal((await fetch(r.tokenUrl + q)).status, 401);
  const err = await pushImage(r, 'tok/x', 'latest', img, { username: 'tester', password: 'bad' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RegistryHttpError);
  assert.equal(err.status, 401);

  // a pull-only token cannot start an upload; a garbage token is refused
  const tr = await fetch(r.tokenUrl + q, { headers: { Authorization: basic(r.username!, r.password!) } });
  const pullTok = (await tr.json() as { token: string }).token;
  const get = await fetch(`${r.url}/v2/tok/multi/manifests/latest`, { headers: { Authorization: `Bearer ${pullTok}`, Accept: img.manifestMediaType } });
  assert.equal(get.status, 200);
  const up = await fetch(`${r.url}/v2/tok/multi/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${pullTok}` } });
  assert.equal(up.status, 401);
  const bad = await fetch(`${r.url}/v2/tok/multi/tags/list`, { headers: { Authorization: `Bearer ${pullTok.slice(0, -4)}AAAA` } });
  assert.equal(bad.status, 401);
});

test('registry (token, anonymousPull): anonymous can pull but not push', async (t) => {
  const r = await started(t, { auth: 'token', anonymousPull: true });
  const img = await busyboxImage('docker');
  await pushImage(r, 'pub/bb', 'latest', img);
  const anon = new RegistryClient(r, null);
  t.after(() => anon.close());
  await checkImage(anon, 'pub/bb', 'latest', img);
  const err = await pushImage(r, 'pub/other', 'latest', img, null).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RegistryHttpError);
  assert.equal(err.status, 401);
});

test('registry: many start in parallel fast, on distinct ports, and stop cleanly', async () => {
  const t0 = Date.now();
  const regs = await Promise.all(Array.from({ length: 9 }, (_, i) => startRegistry({ auth: (['none', 'basic', 'token'] as const)[i % 3] })));
  const elapsed = Date.now() - t0;
  try {
    assert.equal(new Set(regs.map((r) => r.host)).size, regs.length);
    assert.ok(elapsed < 10000, `took ${elapsed} ms`);
    for (const r of regs) assert.ok([200, 401].includes((await fetch(`${r.url}/v2/`)).status));
  } finally {
    await Promise.all(regs.map((r) => r.stop()));
  }
  for (const r of regs) {
    assert.equal(fs.existsSync(r.dir), false);
    await assert.rejects(fetch(`${r.url}/v2/`));
  }
  // a single start is quick (typically well under 1 s)
  const s0 = Date.now();
  const one = await startRegistry();
  const single = Date.now() - s0;
  await one.stop();
  assert.ok(single < 3000, `single start took ${single} ms`);
});

test('registry: parseScope handles names with ports and multiple actions', () => {
  assert.deepEqual(parseScope('repository:foo/bar:pull,push'), { type: 'repository', name: 'foo/bar', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('junk'), undefined);
});
