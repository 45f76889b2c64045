import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  parseReference,
  parseNormalizedTagged,
  isShortName,
  splitShortName,
  parseTransportReference,
  transportString,
  transportOf,
  ImageReference,
} from '../../src/image/reference';
import { UsageError } from '../../src/util/errors';

const D = 'sha256:' + 'ab'.repeat(32);

test('normalises valid references like containers/image', () => {
  const cases: Array<[string, string, string, boolean]> = [
    // input, full form, familiar form, explicitRegistry
    ['busybox', 'docker.io/library/busybox', 'busybox', false],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36', false],
    ['library/busybox', 'docker.io/library/busybox', 'busybox', false],
    ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1', false],
    ['docker.io/busybox', 'docker.io/library/busybox', 'busybox', true],
    ['index.docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest', true],
    ['docker.io/library/a/b', 'docker.io/library/a/b', 'library/a/b', true],
    ['localhost/foo', 'localhost/foo', 'localhost/foo', true],
    ['localhost:5000/foo:tag', 'localhost:5000/foo:tag', 'localhost:5000/foo:tag', true],
    ['127.0.0.1:5000/foo:tag', '127.0.0.1:5000/foo:tag', '127.0.0.1:5000/foo:tag', true],
    ['[::1]:5000/ns/foo', '[::1]:5000/ns/foo', '[::1]:5000/ns/foo', true],
    ['quay.io/a/b/c:1.0-rc_2', 'quay.io/a/b/c:1.0-rc_2', 'quay.io/a/b/c:1.0-rc_2', true],
    ['my-registry.example.com/a__b/c.d/e-f', 'my-registry.example.com/a__b/c.d/e-f', 'my-registry.example.com/a__b/c.d/e-f', true],
    [`foo@${D}`, `docker.io/library/foo@${D}`, `foo@${D}`, false],
    [`foo:tag@${D}`, `docker.io/library/foo:tag@${D}`, `foo:tag@${D}`, false],
    ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost:5000', false], // no slash: a tag
    ['Uppercase.Example.COM/foo', 'Uppercase.Example.COM/foo', 'Uppercase.Example.COM/foo', true],
    ['foo:TAG_Upper', 'docker.io/library/foo:TAG_Upper', 'foo:TAG_Upper', false],
  ];
  for (const [input, full, familiar, explicit] of cases) {
    const r = parseReference(input);
    assert.equal(r.toString(), full, input);
    assert.equal(r.familiar, familiar, input);
    assert.equal(r.explicitRegistry, explicit, input);
  }
});

test('splits registry, repository, tag and digest', () => {
  const r = parseReference(`127.0.0.1:5000/ns/app:v2@${D}`);
  assert.equal(r.registry, '127.0.0.1:5000');
  assert.equal(r.repository, 'ns/app');
  assert.equal(r.tag, 'v2');
  assert.equal(r.digest, D);
  assert.equal(r.name, '127.0.0.1:5000/ns/app');
  assert.equal(r.manifestRef, D);
  assert.equal(parseReference('busybox').manifestRef, 'latest');
});

test('default tag is added only when neither tag nor digest is present', () => {
  assert.equal(parseNormalizedTagged('busybox').toString(), 'docker.io/library/busybox:latest');
  assert.equal(parseNormalizedTagged('busybox:1').toString(), 'docker.io/library/busybox:1');
  assert.equal(parseNormalizedTagged(`busybox@${D}`).toString(), `docker.io/library/busybox@${D}`);
  const r = parseReference('quay.io/x/y');
  assert.equal(r.withDefaultTag().tag, 'latest');
  assert.equal(r.withTag('9').toString(), 'quay.io/x/y:9');
  assert.equal(r.withDigest(D).toString(), `quay.io/x/y@${D}`);
  assert.throws(() => r.withTag('-bad'), /invalid tag format/);
  assert.ok(r instanceof ImageReference);
});

test('a different default registry (local names) does not add library/', () => {
  assert.equal(parseReference('foo', { defaultRegistry: 'localhost' }).toString(), 'localhost/foo');
  assert.equal(parseReference('a/b:1', { defaultRegistry: 'localhost' }).toString(), 'localhost/a/b:1');
  assert.equal(parseReference('quay.io/a', { defaultRegistry: 'localhost' }).toString(), 'quay.io/a');
});

test('rejects malformed references with podman messages (UsageError, exit 125)', () => {
  const cases: Array<[string, RegExp]> = [
    ['BusyBox', /^invalid reference format: repository name must be lowercase$/],
    ['foo/Bar', /^invalid reference format: repository name must be lowercase$/],
    ['quay.io/Foo/bar', /repository name must be lowercase/],
    ['foo:', /^invalid reference format$/],
    [':tag', /^invalid reference format$/],
    ['', /^invalid reference format$/],
    ['foo//bar', /^invalid reference format$/],
    ['-foo', /^invalid reference format$/],
    ['foo:bad tag', /^invalid reference format$/],
    ['foo:-tag', /^invalid reference format$/],
    [`foo:${'t'.repeat(129)}`, /^invalid reference format$/],
    ['foo@sha256:abc', /^invalid reference format$/],
    [`foo@md5:${'a'.repeat(32)}`, /^unsupported digest algorithm$/],
    [`foo@sha256:${'a'.repeat(63)}`, /^invalid checksum digest length$/],
    ['ab'.repeat(32), /cannot specify 64-byte hexadecimal strings/],
    [`a.com/${'x'.repeat(260)}`, /repository name must not be more than 255 characters/],
    ['https://quay.io/foo', /^invalid reference format$/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => parseReference(input), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${input}: ${String(e)}`);
      assert.equal(e.exitCode, 125);
      assert.match(e.message, re, input);
      return true;
    });
  }
});

test('isShortName distinguishes names without a registry', () => {
  for (const s of ['busybox', 'busybox:1', 'library/busybox', 'user/app', `foo@${D}`, 'a/b/c']) assert.equal(isShortName(s), true, s);
  for (const s of ['docker.io/busybox', 'localhost/foo', 'localhost:5000/foo', 'quay.io/a/b', '127.0.0.1:5000/x', '[::1]/x', 'BAD NAME']) {
    assert.equal(isShortName(s), false, s);
  }
  assert.deepEqual(splitShortName(`ns/app:1`), { name: 'ns/app', tag: '1', digest: undefined });
  assert.deepEqual(splitShortName(`app@${D}`), { name: 'app', tag: undefined, digest: D });
});

test('parses transports', () => {
  const docker = parseTransportReference('docker://quay.io/a/b:1');
  assert.equal(docker.transport, 'docker');
  assert.equal(docker.transport === 'docker' && docker.ref.toString(), 'quay.io/a/b:1');
  const plain = parseTransportReference('busybox');
  assert.equal(plain.transport === 'docker' && plain.ref.toString(), 'docker.io/library/busybox');

  assert.deepEqual(parseTransportReference('oci:/tmp/layout:v1'), { transport: 'oci', path: '/tmp/layout', image: 'v1' });
  assert.deepEqual(parseTransportReference('oci:/tmp/layout'), { transport: 'oci', path: '/tmp/layout' });
  assert.deepEqual(parseTransportReference('oci-archive:/tmp/a.tar:@2'), { transport: 'oci-archive', path: '/tmp/a.tar', index: 2 });
  assert.deepEqual(parseTransportReference('dir:/x/y'), { transport: 'dir', path: '/x/y' });
  assert.deepEqual(parseTransportReference('containers-storage:[overlay@/var/lib/c]busybox'), { transport: 'containers-storage', storage: '[overlay@/var/lib/c]', image: 'busybox' });
  assert.deepEqual(parseTransportReference('containers-storage:abc'), { transport: 'containers-storage', storage: undefined, image: 'abc' });

  const da = parseTransportReference('docker-archive:/t/img.tar:foo/bar');
  assert.equal(da.transport, 'docker-archive');
  assert.equal(da.transport === 'docker-archive' && da.ref?.toString(), 'docker.io/foo/bar:latest');
  assert.deepEqual(parseTransportReference('docker-archive:/t/img.tar'), { transport: 'docker-archive', path: '/t/img.tar' });
  assert.deepEqual(parseTransportReference('docker-archive:/t/img.tar:@0'), { transport: 'docker-archive', path: '/t/img.tar', index: 0 });

  assert.throws(() => parseTransportReference('docker:busybox'), /docker: image reference busybox does not start with \/\//);
  assert.throws(() => parseTransportReference(`docker-archive:/t.tar:foo@${D}`), /doesn't support digest references/);
  assert.throws(() => parseTransportReference('dir:'), /cannot be empty/);
  assert.throws(() => parseTransportReference('docker-archive:/t.tar:@x'), /Invalid source index/);
  assert.throws(() => parseTransportReference('nope:foo', { defaultTransport: null }), /unknown transport "nope"/);
  assert.throws(() => parseTransportReference('foo', { defaultTransport: null }), /expected colon-separated transport:reference/);

  assert.equal(transportOf('oci-archive:/x'), 'oci-archive');
  assert.equal(transportOf('localhost:5000/foo'), undefined);
  assert.equal(transportString(docker), 'docker://quay.io/a/b:1');
  assert.equal(transportString(plain), 'docker://busybox');
  assert.equal(transportString({ transport: 'oci', path: '/l', image: 'x' }), 'oci:/l:x');
});
