// The formats behind simple signing, without gpg or a registry: registries.d merging and
// lookaside URLs, the signature payload's strict parsing, stored-blob detection, and the
// signedIdentity rules of containers-policy.json(5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadRegistriesD, lookasideBase, signatureURL, lookasideForScope } from '../../src/image/signature/registries-d';
import { identityMatches, parsePayload, signaturePayload, simpleSigningBlob } from '../../src/image/signature/simple';
import { parseReference } from '../../src/image/reference';

const D = 'sha256:' + 'ab'.repeat(32);

test('registries.d: files merge, the most specific namespace wins, staging for writes, duplicates are errors', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rd-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'a.yaml'), 'default-docker:\n  lookaside: https://default.example/sigs\ndocker:\n  quay.io:\n    sigstore: file:///q\n    sigstore-staging: file:///q-staging\n');
  fs.writeFileSync(path.join(dir, 'b.yaml'), 'docker:\n  quay.io/team/app:\n    lookaside: file:///app\n');
  fs.writeFileSync(path.join(dir, 'ignored.yml'), 'docker: [');
  const conf = loadRegistriesD(dir);
  const app = parseReference('quay.io/team/app:1');
  assert.equal(lookasideBase(conf, app, false).href, 'file:///app/team/app');
  assert.equal(lookasideBase(conf, parseReference('quay.io/other/x:1'), false).href, 'file:///q/other/x');
  assert.equal(lookasideBase(conf, parseReference('quay.io/other/x:1'), true).href, 'file:///q-staging/other/x');
  assert.equal(lookasideBase(conf, parseReference('docker.io/library/busybox:1'), false).href, 'https://default.example/sigs/library/busybox');
  assert.equal(signatureURL(lookasideBase(conf, app, false), D, 1).href, `file:///app/team/app@sha256=${'ab'.repeat(32)}/signature-2`);
  assert.equal(lookasideForScope(conf, 'quay.io/team'), 'file:///q');
  assert.equal(lookasideForScope(conf, ''), 'https://default.example/sigs');
  fs.writeFileSync(path.join(dir, 'c.yaml'), 'docker:\n  quay.io:\n    lookaside: file:///again\n');
  assert.throws(() => loadRegistriesD(dir), /"docker" namespace "quay.io" defined both in ".*\/a.yaml" and ".*\/c.yaml"/);
  assert.deepEqual(loadRegistriesD(path.join(dir, 'missing')).docker, {});
});

test('payload: what is signed parses back; anything unexpected is an invalid signature', () => {
  assert.deepEqual(parsePayload(signaturePayload('quay.io/a/b:1', D)), { dockerReference: 'quay.io/a/b:1', manifestDigest: D });
  const crit = { type: 'atomic container signature', image: { 'docker-manifest-digest': D }, identity: { 'docker-reference': 'x/y:1' } };
  const bad: Array<[unknown, RegExp]> = [
    [{ critical: crit }, /Key "optional" missing/],
    [{ critical: { ...crit, extra: 1 }, optional: {} }, /Unexpected key "extra"/],
    [{ critical: { ...crit, type: 'other' }, optional: {} }, /Unrecognized signature type other/],
    [{ critical: crit, optional: { timestamp: 1.5 } }, /not an integer/],
  ];
  for (const [doc, re] of bad) assert.throws(() => parsePayload(Buffer.from(JSON.stringify(doc))), re);
  // sigstore's payload: its own type, and "optional": null as cosign writes it.
  const cosign = { critical: { ...crit, type: 'cosign container image signature' }, optional: null };
  assert.deepEqual(parsePayload(Buffer.from(JSON.stringify(cosign)), 'cosign container image signature'), { dockerReference: 'x/y:1', manifestDigest: D });
  assert.throws(() => parsePayload(Buffer.from(JSON.stringify({ critical: crit, optional: null }))), /optional is not a JSON object/);
});

test('stored blobs: bare OpenPGP, the prefixed simple-signing form, sigstore skipped, garbage refused', () => {
  assert.deepEqual(simpleSigningBlob(Buffer.from([0xa3, 1, 2])), Buffer.from([0xa3, 1, 2]));
  assert.deepEqual(simpleSigningBlob(Buffer.concat([Buffer.from('\0simple-signing\n'), Buffer.from([0xa3, 9])])), Buffer.from([0xa3, 9]));
  assert.equal(simpleSigningBlob(Buffer.from('\0sigstore-json\n{}')), undefined);
  assert.throws(() => simpleSigningBlob(Buffer.from('xyz')), /unrecognized signature format, starting with binary 0x78/);
  assert.throws(() => simpleSigningBlob(Buffer.alloc(0)), /empty signature blob/);
});

test('signedIdentity rules', () => {
  const r = (type: string, extra: object = {}) => ({ type: 'signedBy' as const, keyType: 'GPGKeys', signedIdentity: { type, ...extra } });
  const tagged = parseReference('quay.io/a/b:1');
  const byDigest = parseReference(`quay.io/a/b@${D}`);
  // default: matchRepoDigestOrExact
  assert.equal(identityMatches({ type: 'signedBy' }, tagged, 'quay.io/a/b:1'), true);
  assert.equal(identityMatches({ type: 'signedBy' }, tagged, 'quay.io/a/b:2'), false);
  assert.equal(identityMatches({ type: 'signedBy' }, byDigest, 'quay.io/a/b:7'), true);
  assert.equal(identityMatches({ type: 'signedBy' }, byDigest, 'quay.io/a/b'), false);
  assert.equal(identityMatches(r('matchExact'), byDigest, 'quay.io/a/b:7'), false);
  assert.equal(identityMatches(r('matchRepository'), tagged, 'quay.io/a/b:9'), true);
  assert.equal(identityMatches(r('matchRepository'), tagged, 'quay.io/a/c:1'), false);
  assert.equal(identityMatches(r('exactReference', { dockerReference: 'docker.io/library/busybox:1' }), tagged, 'busybox:1'), true);
  assert.equal(identityMatches(r('exactRepository', { dockerRepository: 'quay.io/x/y' }), tagged, 'quay.io/x/y:any'), true);
  const remap = r('remapIdentity', { prefix: 'mirror.local/a', signedPrefix: 'quay.io/a' });
  assert.equal(identityMatches(remap, parseReference('mirror.local/a/b:1'), 'quay.io/a/b:1'), true);
  assert.equal(identityMatches(remap, parseReference('mirror.local/ab:1'), 'quay.io/ab:1'), false);
});

test('stored signatures: simple signing kept bare, sigstore ones as "\\0sigstore-json\\n" JSON, both read back', () => {
  const { signatureBlob, signatureFromBlob } = require('../../src/image/signature/stored') as typeof import('../../src/image/signature/stored');
  const pgp = Buffer.from([0xa3, 0x01, 0x02]);
  assert.deepEqual(signatureBlob({ kind: 'simple', blob: pgp }), pgp);
  assert.deepEqual(signatureFromBlob(Buffer.concat([Buffer.from('\0simple-signing\n'), pgp])), { kind: 'simple', blob: pgp });
  const sig = { mimeType: 'application/vnd.dev.cosign.simplesigning.v1+json', payload: Buffer.from('{"x":1}'), annotations: { 'dev.cosignproject.cosign/signature': 'c2ln' } };
  const blob = signatureBlob({ kind: 'sigstore', sig });
  assert.equal(blob.toString(), '\0sigstore-json\n{"mimeType":"application/vnd.dev.cosign.simplesigning.v1+json","payload":"eyJ4IjoxfQ==","annotations":{"dev.cosignproject.cosign/signature":"c2ln"}}');
  assert.deepEqual(signatureFromBlob(blob), { kind: 'sigstore', sig });
});
