import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectPlatform, choosePlatform, normalizeArch, hostPlatform, wantedPlatforms, ManifestIndex } from '../../src/image/registry/platform';
import { parseChallenges } from '../../src/image/registry/challenge';
import { nextLink, guessManifestType, MEDIA_TYPES } from '../../src/image/registry/client';
import { describeEntry, httpError, RegistryNotFoundError, RegistryError } from '../../src/image/registry/errors';
import { NotFoundError } from '../../src/util/errors';

const d = (n: number) => 'sha256:' + String(n).padStart(64, '0');

const INDEX: ManifestIndex = {
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    { digest: d(1), platform: { os: 'linux', architecture: 'amd64' } },
    { digest: d(2), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { digest: d(3), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { digest: d(4), platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { digest: d(5), platform: { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' } },
    { digest: d(6), platform: { os: 'linux', architecture: 's390x' } },
    { digest: d(7) }, // attestation-like entry without platform
  ],
};

test('normalises architecture names and variants like Go', () => {
  assert.deepEqual(normalizeArch('x86_64'), { arch: 'amd64', variant: '' });
  assert.deepEqual(normalizeArch('x86-64'), { arch: 'amd64', variant: '' });
  assert.deepEqual(normalizeArch('aarch64'), { arch: 'arm64', variant: '' });
  assert.deepEqual(normalizeArch('arm64', 'v8'), { arch: 'arm64', variant: '' });
  assert.deepEqual(normalizeArch('arm'), { arch: 'arm', variant: 'v7' });
  assert.deepEqual(normalizeArch('arm', '6'), { arch: 'arm', variant: 'v6' });
  assert.deepEqual(normalizeArch('armhf'), { arch: 'arm', variant: 'v7' });
  assert.deepEqual(normalizeArch('armel'), { arch: 'arm', variant: 'v6' });
  assert.deepEqual(normalizeArch('i386'), { arch: '386', variant: '' });
  assert.deepEqual(normalizeArch('AMD64'), { arch: 'amd64', variant: '' });
});

test('selects the entry for the requested platform', () => {
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'amd64' })?.digest, d(1));
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'x86_64' })?.digest, d(1));
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'aarch64' })?.digest, d(2));
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'arm64', variant: 'v8' })?.digest, d(2));
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'arm' })?.digest, d(3), 'arm defaults to v7');
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'arm', variant: 'v6' })?.digest, d(4));
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'arm', variant: 'v8' })?.digest, d(3), 'v8 can run v7');
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'arm', variant: 'v5' }), undefined);
  assert.equal(selectPlatform(INDEX, { os: 'windows', arch: 'amd64' })?.digest, d(5));
  assert.equal(selectPlatform(INDEX, { arch: 's390x' })?.digest, d(6), 'os defaults to the host (linux)');
  assert.equal(selectPlatform(INDEX, { os: 'linux', arch: 'ppc64le' }), undefined);
  // an arm64 index entry without variant matches an arm64/v8 request and vice versa
  const noVariant: ManifestIndex = { manifests: [{ digest: d(9), platform: { os: 'linux', architecture: 'arm64' } }] };
  assert.equal(selectPlatform(noVariant, { arch: 'arm64', variant: 'v8' })?.digest, d(9));
  // within one variant, index order wins
  const dup: ManifestIndex = { manifests: [{ digest: d(10), platform: { os: 'linux', architecture: 'amd64' } }, { digest: d(11), platform: { os: 'linux', architecture: 'amd64' } }] };
  assert.equal(selectPlatform(dup, { arch: 'amd64' })?.digest, d(10));
  // a generic arm image is preferred over a specific older one for arm/v7
  const generic: ManifestIndex = { manifests: [{ digest: d(12), platform: { os: 'linux', architecture: 'arm', variant: 'v6' } }, { digest: d(13), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }] };
  assert.equal(selectPlatform(generic, { arch: 'arm', variant: 'v7' })?.digest, d(13));
});

test('defaults to the host platform and reports misses like containers/image', () => {
  const host = hostPlatform();
  assert.equal(host.os, 'linux');
  assert.equal(host.arch, ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? host.arch);
  const hostIndex: ManifestIndex = { manifests: [{ digest: d(20), platform: { os: 'linux', architecture: host.arch, variant: host.variant } }] };
  assert.equal(selectPlatform(hostIndex)?.digest, d(20));
  assert.equal(wantedPlatforms({ arch: 'arm' }).variants[0], 'v7');
  assert.throws(() => choosePlatform(INDEX, { os: 'linux', arch: 'riscv64' }), /^PierError: no image found in image index for architecture "riscv64", variant "", OS "linux"$/);
  assert.throws(() => choosePlatform({ ...INDEX, mediaType: MEDIA_TYPES.dockerList }, { os: 'linux', arch: 'riscv64' }), /no image found in manifest list/);
});

test('parses WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="pier-test"'), [{ scheme: 'basic', params: { realm: 'pier-test' } }]);
  assert.deepEqual(parseChallenges(['Basic realm="a, b"', 'Bearer realm=http://x/token, service=svc']), [
    { scheme: 'basic', params: { realm: 'a, b' } },
    { scheme: 'bearer', params: { realm: 'http://x/token', service: 'svc' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="x", Bearer realm="y",error="insufficient_scope"'), [
    { scheme: 'basic', params: { realm: 'x' } },
    { scheme: 'bearer', params: { realm: 'y', error: 'insufficient_scope' } },
  ]);
  assert.deepEqual(parseChallenges('Bearer realm="with \\"quote\\""'), [{ scheme: 'bearer', params: { realm: 'with "quote"' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('Link pagination, media type guessing and error mapping', () => {
  assert.equal(nextLink('</v2/_catalog?last=b&n=2>; rel="next"'), '/v2/_catalog?last=b&n=2');
  assert.equal(nextLink('<http://x/a>; rel="prev", </v2/r/tags/list?n=1&last=a>; rel=next'), '/v2/r/tags/list?n=1&last=a');
  assert.equal(nextLink(undefined), undefined);
  assert.equal(guessManifestType(Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}')), MEDIA_TYPES.dockerManifest);
  assert.equal(guessManifestType(Buffer.from('{"schemaVersion":2,"manifests":[]}')), MEDIA_TYPES.ociIndex);
  assert.equal(guessManifestType(Buffer.from('{"schemaVersion":2,"layers":[]}')), MEDIA_TYPES.ociManifest);
  assert.equal(guessManifestType(Buffer.from('{"schemaVersion":1,"signatures":[]}')), MEDIA_TYPES.dockerSchema1Signed);

  assert.equal(describeEntry({ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }), 'manifest unknown');
  assert.equal(describeEntry({ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }), 'name unknown: repository name not known to registry');
  const nf = httpError('reading manifest latest in h/nope', 404, Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"latest"}}]}'));
  assert.ok(nf instanceof RegistryNotFoundError && nf instanceof NotFoundError);
  assert.equal(nf.message, 'reading manifest latest in h/nope: manifest unknown');
  assert.equal((nf as RegistryNotFoundError).code, 'MANIFEST_UNKNOWN');
  const denied = httpError('x', 403, Buffer.from('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'));
  assert.ok(denied instanceof RegistryError);
  assert.equal(denied.message, 'x: denied: requested access to the resource is denied');
  assert.equal(httpError('x', 502, Buffer.from('<html>')).message, 'x: received unexpected HTTP status: 502 Bad Gateway');
  assert.equal(httpError('x', 401, Buffer.alloc(0)).message, 'x: unauthorized: authentication required');
});
