import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkPolicy, dockerScopes, loadPolicy, parsePolicy, requirementsFor, defaultPolicy } from '../../src/image/config/policy';
import { parseReference, parseTransportReference } from '../../src/image/reference';
import { PierError } from '../../src/util/errors';

const D = 'sha256:' + 'ef'.repeat(32);

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-policy-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const POLICY = JSON.stringify({
  default: [{ type: 'insecureAcceptAnything' }],
  transports: {
    docker: {
      'evil.io': [{ type: 'reject' }],
      'quay.io/blocked': [{ type: 'reject' }],
      'quay.io/blocked/but-this-one': [{ type: 'insecureAcceptAnything' }],
      'docker.io/library/busybox:bad': [{ type: 'reject' }],
      '*.wild.org': [{ type: 'reject' }],
      'signed.io': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg' }],
    },
    'docker-archive': { '': [{ type: 'reject' }] },
    oci: { '/srv/ok': [{ type: 'insecureAcceptAnything' }], '': [{ type: 'reject' }] },
  },
});

function docker(s: string) {
  return parseTransportReference(`docker://${s}`);
}

test('docker scopes go from the image identity to the registry and wildcards', () => {
  assert.deepEqual(dockerScopes(parseReference('a.b.example.com:5000/ns/repo:1')), [
    'a.b.example.com:5000/ns/repo:1',
    'a.b.example.com:5000/ns/repo',
    'a.b.example.com:5000/ns',
    'a.b.example.com:5000',
    '*.b.example.com',
    '*.example.com',
    '*.com',
  ]);
  assert.deepEqual(dockerScopes(parseReference(`127.0.0.1:5000/x@${D}`)), [`127.0.0.1:5000/x@${D}`, '127.0.0.1:5000/x', '127.0.0.1:5000']);
});

test('checkPolicy applies the most specific scope and podman\'s rejection message', () => {
  const p = parsePolicy(POLICY, '/etc/containers/policy.json');
  checkPolicy(p, docker('busybox'));
  checkPolicy(p, 'docker', parseReference('quay.io/ok/x:1'));
  checkPolicy(p, docker('quay.io/blocked/but-this-one:2'));
  checkPolicy(p, docker('wild.org/x')); // "*.wild.org" matches subdomains only
  const rejected: Array<[string, string]> = [
    ['evil.io/x:1', 'docker://evil.io/x:1'],
    ['quay.io/blocked/other', 'docker://quay.io/blocked/other'],
    ['busybox:bad', 'docker://busybox:bad'],
    ['a.wild.org/x:1', 'docker://a.wild.org/x:1'],
  ];
  for (const [ref, shown] of rejected) {
    assert.throws(() => checkPolicy(p, docker(ref)), (e: unknown) => {
      assert.ok(e instanceof PierError);
      assert.equal(e.exitCode, 125);
      assert.equal(e.message, `Source image rejected: Running image ${shown} is rejected by policy.`);
      return true;
    }, ref);
  }
  // transport default ("") and path scopes
  assert.throws(() => checkPolicy(p, parseTransportReference('docker-archive:/tmp/a.tar')), /Running image docker-archive:\/tmp\/a\.tar is rejected by policy\./);
  checkPolicy(p, parseTransportReference('oci:/srv/ok/sub:tag'));
  assert.throws(() => checkPolicy(p, parseTransportReference('oci:/srv/other:tag')), /rejected by policy/);
  // a transport not listed uses the global default
  checkPolicy(p, parseTransportReference('dir:/anything'));
});

test('signedBy and sigstoreSigned requirements are handed to the puller; signedBaseLayer is refused clearly', () => {
  const p = parsePolicy(POLICY);
  assert.deepEqual(checkPolicy(p, docker('signed.io/x')), [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k.gpg' }]);
  assert.deepEqual(checkPolicy(p, docker('busybox')), []);
  const sig = parsePolicy(JSON.stringify({ default: [{ type: 'sigstoreSigned', keyPath: '/k.pub', signedIdentity: { type: 'matchRepository' } }] }));
  assert.equal(checkPolicy(sig, docker('any.io/x'))[0].type, 'sigstoreSigned');
  // Only docker:// images have signatures here.
  assert.throws(() => checkPolicy(sig, parseTransportReference('oci:/srv/x')), /^Error: Source image rejected: A signature was required, but no signature exists$|A signature was required/);
  const base = parsePolicy(JSON.stringify({ default: [{ type: 'signedBaseLayer', baseLayerIdentity: { type: 'matchRepository' } }] }));
  assert.throws(() => checkPolicy(base, docker('any.io/x')), /"signedBaseLayer"/);
});

test('requirementsFor falls back to the transport default then the global default', () => {
  const p = parsePolicy(POLICY);
  assert.deepEqual(requirementsFor(p, 'oci', ['/nope']), [{ type: 'reject' }]);
  assert.deepEqual(requirementsFor(p, 'docker', ['zzz.io']), [{ type: 'insecureAcceptAnything' }]);
});

test('strict parsing', () => {
  const bad: Array<[string, RegExp]> = [
    ['{}', /Default policy is missing/],
    ['{"default": []}', /No policy requirements/],
    ['{"default": [{"type": "maybe"}]}', /Unknown policy requirement type "maybe"/],
    ['{"default": [{"type": "reject", "x": 1}]}', /Unknown key/],
    ['{"default": [{"type": "reject"}], "extra": 1}', /Unknown key "extra"/],
    ['{"default": [{"type": "reject"}], "transports": {"docker": {"foo.*.com": [{"type": "reject"}]}}}', /Invalid scope/],
    ['not json', /invalid policy in "p.json"/],
    ['{"default": [{"type": "signedBy", "keyPath": "/k"}]}', /invalid keyType ""/],
    ['{"default": [{"type": "signedBy", "keyType": "PGP", "keyPath": "/k"}]}', /Unrecognized keyType value "PGP"/],
    ['{"default": [{"type": "signedBy", "keyType": "GPGKeys"}]}', /Exactly one of keyPath, keyPaths and keyData must be specified, none of them present/],
    ['{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "keyData": "AA=="}]}', /more than one present/],
    ['{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "signedIdentity": {"type": "nope"}}]}', /Unknown policy reference match type "nope"/],
    ['{"default": [{"type": "sigstoreSigned", "signedIdentity": {"type": "matchExact"}}]}', /At least one of keyPath and keyData must be specified/],
    ['{"default": [{"type": "sigstoreSigned", "keyPath": "/k", "keyData": "", "signedIdentity": {"type": "matchExact"}}]}', /keyPath and keyData cannot be used simultaneously/],
    ['{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k", "signedIdentity": {"type": "exactReference"}}]}', /Key "dockerReference" missing in a JSON object/],
  ];
  for (const [text, re] of bad) assert.throws(() => parsePolicy(text, 'p.json'), re, text);
});

test('file lookup: explicit path, user file, system file, built-in default', (t) => {
  const dir = tmp(t);
  const home = path.join(dir, 'home');
  const system = path.join(dir, 'etc-policy.json');
  // nothing anywhere: pier accepts everything (documented deviation from containers/image)
  const none = loadPolicy({ homeDir: home, systemPath: system });
  assert.equal(none.path, undefined);
  assert.deepEqual(none, defaultPolicy());
  checkPolicy(none, docker('anything.io/x'));

  fs.writeFileSync(system, '{"default":[{"type":"reject"}]}');
  assert.equal(loadPolicy({ homeDir: home, systemPath: system }).path, system);
  assert.throws(() => checkPolicy(loadPolicy({ homeDir: home, systemPath: system }), docker('x.io/y')), /rejected by policy/);

  const user = path.join(home, '.config/containers/policy.json');
  fs.mkdirSync(path.dirname(user), { recursive: true });
  fs.writeFileSync(user, '{"default":[{"type":"insecureAcceptAnything"}]}');
  assert.equal(loadPolicy({ homeDir: home, systemPath: system }).path, user);

  const explicit = path.join(dir, 'explicit.json');
  fs.writeFileSync(explicit, '{"default":[{"type":"reject"}]}');
  assert.equal(loadPolicy({ path: explicit, homeDir: home, systemPath: system }).path, explicit);
  // an explicit file must exist
  assert.throws(() => loadPolicy({ path: path.join(dir, 'missing.json') }), /no such file or directory/);
});
