// Image signatures (simple signing) against a real registry and real gpg: push --sign-by and
// image sign write lookaside signatures (registries.d in a private $HOME); pull enforces a
// signedBy policy (wrong key, tampered signature, unsigned image, identity and digest
// mismatches are refused, nothing is stored); image trust set/show as podman 4.3.1 writes
// and prints them; signatures kept with pulled and built images and carried by push; manifest push
// and build --sign-by; sigstore (cosign key) signing; podman-remote's refusals.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, pushImage, RegistryClient, TestImage } from '../fixtures/images';
import { TestStore, busyboxStore, REMOTE } from '../helpers/cli';

let reg: Registry;
let fixture: TestImage;
let dir: string;
let env: NodeJS.ProcessEnv;
let signer: TestStore;
let puller: TestStore;
let H: string;

function gpg(args: string[], input?: Buffer | string): Buffer {
  const r = spawnSync('gpg', ['--batch', ...args], { env: { ...process.env, GNUPGHOME: path.join(dir, 'gnupg') }, input });
  if (r.status !== 0) throw new Error(`gpg ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A policy requiring, for the registry, signatures by the key(s): keyPath, keyPaths (an array), or keyData ({ data }). */
function policy(name: string, key: string | string[] | { data: Buffer }, signedIdentity?: object): string {
  const file = path.join(dir, name);
  const keys = typeof key === 'string' ? { keyPath: key } : Array.isArray(key) ? { keyPaths: key } : { keyData: key.data.toString('base64') };
  fs.writeFileSync(file, JSON.stringify({
    default: [{ type: 'insecureAcceptAnything' }],
    transports: { docker: { [H]: [{ type: 'signedBy', keyType: 'GPGKeys', ...keys, ...(signedIdentity ? { signedIdentity } : {}) }] } },
  }));
  return file;
}

function sigDir(repo: string, digest: string): string {
  return path.join(dir, 'sigs', `${repo}@${digest.replace(':', '=')}`);
}

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  H = reg.host;
  fixture = await busyboxImage('docker');
  await pushImage(reg, 'lib/busybox', 'latest', fixture);
  await pushImage(reg, 'img/busybox', 'latest', fixture);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-sign-'));
  fs.mkdirSync(path.join(dir, 'gnupg'), { mode: 0o700 });
  gpg(['--passphrase', '', '--quick-gen-key', 'Pier Signer <signer@example.com>', 'ed25519', 'sign', 'never']);
  fs.writeFileSync(path.join(dir, 'key.gpg'), gpg(['--export', 'signer@example.com']));
  const other = path.join(dir, 'other');
  fs.mkdirSync(other, { mode: 0o700 });
  spawnSync('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'Other <other@example.com>', 'ed25519', 'sign', 'never'], { env: { ...process.env, GNUPGHOME: other } });
  fs.writeFileSync(path.join(dir, 'other.gpg'), spawnSync('gpg', ['--batch', '--export'], { env: { ...process.env, GNUPGHOME: other } }).stdout);
  // The lookaside is configured in the user's registries.d ($HOME), never the host's.
  const rd = path.join(dir, 'home/.config/containers/registries.d');
  fs.mkdirSync(rd, { recursive: true });
  fs.writeFileSync(path.join(rd, 'lookaside.yaml'), `default-docker:\n  lookaside: file://${path.join(dir, 'sigs')}\n`);
  env = { HOME: path.join(dir, 'home'), GNUPGHOME: path.join(dir, 'gnupg') };
  signer = await busyboxStore();
  puller = new TestStore();
  // image sign has no --tls-verify: the registry is insecure in registries.conf.
  for (const s of [signer, puller]) fs.writeFileSync(s.registriesConf, `unqualified-search-registries = []\n[[registry]]\nlocation = "${H}"\ninsecure = true\n`);
});

after(async () => {
  // The gpg-agents of the test keyrings go with them.
  if (dir) for (const home of ['gnupg', 'other']) spawnSync('gpgconf', ['--homedir', path.join(dir, home), '--kill', 'all']);
  signer?.cleanup();
  puller?.cleanup();
  await reg?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// podman-remote refuses image sign and ignores push --sign-by; pier's remote client refuses both (tested below).
describe('simple signing', { skip: REMOTE && 'signing is local only' }, () => {
  let signedDigest: string;

  test('push --sign-by stores a verifiable signature; a signedBy policy then accepts the pull', () => {
    const df = path.join(signer.dir, 'digest');
    const r = signer.run(['push', '--tls-verify=false', '--sign-by', 'signer@example.com', '--digestfile', df, 'localhost/busybox', `${H}/signed/busybox:1`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Writing manifest to image destination\nSigning manifest using simple signing\nStoring signatures\n$/);
    signedDigest = fs.readFileSync(df, 'utf8');
    const sig = fs.readFileSync(path.join(sigDir('signed/busybox', signedDigest), 'signature-1'));
    const payload = JSON.parse(gpg(['--decrypt'], sig).toString());
    assert.deepEqual(payload.critical, {
      identity: { 'docker-reference': `${H}/signed/busybox:1` },
      image: { 'docker-manifest-digest': signedDigest },
      type: 'atomic container signature',
    });
    assert.equal(typeof payload.optional.timestamp, 'number');

    const ok = puller.run(['pull', '--tls-verify=false', '--signature-policy', policy('policy.json', path.join(dir, 'key.gpg')), `${H}/signed/busybox:1`], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /Getting image source signatures\nChecking if image destination supports signatures\n/);
    puller.ok(['rmi', `${H}/signed/busybox:1`]);
    // create's pull (a core-bundle command) under the user's policy, which requires the signature.
    const home = env.HOME!;
    fs.mkdirSync(path.join(home, '.config/containers'), { recursive: true });
    fs.copyFileSync(policy('policy.json', path.join(dir, 'key.gpg')), path.join(home, '.config/containers/policy.json'));
    try {
      const made = puller.run(['create', '--tls-verify=false', `${H}/signed/busybox:1`, 'true'], { env });
      assert.equal(made.code, 0, made.stderr);
      const unsigned = puller.run(['create', '--tls-verify=false', `${H}/lib/busybox`, 'true'], { env });
      assert.equal(unsigned.code, 125);
      assert.match(unsigned.stderr, /Source image rejected: A signature was required, but no signature exists\n$/);
      puller.ok(['rm', '-a']);
      puller.ok(['rmi', `${H}/signed/busybox:1`]);
    } finally {
      fs.rmSync(path.join(home, '.config/containers/policy.json'));
    }
  });

  test('pulls are refused for a wrong key, a tampered signature, an unsigned image, another identity or digest', () => {
    const good = path.join(dir, 'policy.json');
    const refused = (ref: string, pol: string, want: RegExp) => {
      const r = puller.run(['pull', '-q', '--tls-verify=false', '--signature-policy', pol, ref], { env });
      assert.equal(r.code, 125, `${ref}: ${r.stderr}`);
      assert.match(r.stderr, want, ref);
      assert.equal(puller.run(['image', 'exists', ref]).code, 1, `${ref} must not be stored`);
    };
    refused(`${H}/lib/busybox`, good, /^Error: Source image rejected: A signature was required, but no signature exists\n$/);
    refused(`${H}/signed/busybox:1`, policy('wrong.json', path.join(dir, 'other.gpg')),
      /^Error: Source image rejected: Invalid GPG signature: signed by unknown key [0-9A-F]{16} \(No public key\)\n$/);
    // The same manifest under another tag: the signature names :1.
    signer.ok(['push', '-q', '--tls-verify=false', 'localhost/busybox', `${H}/signed/busybox:2`], { env });
    refused(`${H}/signed/busybox:2`, good, new RegExp(`^Error: Source image rejected: Signature for identity ${H}/signed/busybox:1 is not accepted\\n$`));
    const repoPolicy = policy('repo.json', { data: fs.readFileSync(path.join(dir, 'key.gpg')) }, { type: 'matchRepository' });
    const r = puller.run(['pull', '-q', '--tls-verify=false', '--signature-policy', repoPolicy, `${H}/signed/busybox:2`], { env });
    assert.equal(r.code, 0, `matchRepository accepts any tag of the repository: ${r.stderr}`);
    // A good signature of another manifest, put where lib/busybox's would be.
    const sig = fs.readFileSync(path.join(sigDir('signed/busybox', signedDigest), 'signature-1'));
    fs.mkdirSync(sigDir('lib/busybox', fixture.digest), { recursive: true });
    fs.writeFileSync(path.join(sigDir('lib/busybox', fixture.digest), 'signature-1'), sig);
    refused(`${H}/lib/busybox`, good, new RegExp(`^Error: Source image rejected: Signature for digest ${signedDigest} does not match\\n$`));
    // One flipped bit in the signature itself.
    const bad = Buffer.from(sig);
    bad[bad.length - 5] ^= 1;
    fs.writeFileSync(path.join(sigDir('lib/busybox', fixture.digest), 'signature-1'), bad);
    refused(`${H}/lib/busybox`, good, /^Error: Source image rejected: Invalid GPG signature: /);
    fs.writeFileSync(path.join(sigDir('lib/busybox', fixture.digest), 'signature-1'), 'garbage');
    refused(`${H}/lib/busybox`, good, /^Error: Source image rejected: parsing signature ".*\/signature-1": unrecognized signature format, starting with binary 0x67\n$/);
  });

  test('image sign adds signature-N to --directory or the lookaside; its errors are podman\'s', () => {
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    for (let i = 0; i < 2; i++) signer.ok(['image', 'sign', '--sign-by', 'signer@example.com', '-d', out, `docker://${H}/img/busybox`], { env });
    assert.deepEqual(fs.readdirSync(path.join(out, `img/busybox@${fixture.digest.replace(':', '=')}`)).sort(), ['signature-1', 'signature-2']);
    const payload = JSON.parse(gpg(['--decrypt'], fs.readFileSync(path.join(out, `img/busybox@${fixture.digest.replace(':', '=')}`, 'signature-2'))).toString());
    assert.equal(payload.critical.identity['docker-reference'], `${H}/img/busybox:latest`);
    // Into the registries.d lookaside: the pull is then accepted.
    signer.ok(['image', 'sign', '--sign-by', 'signer@example.com', `docker://${H}/img/busybox:latest`], { env });
    const either = policy('either.json', [path.join(dir, 'other.gpg'), path.join(dir, 'key.gpg')]);
    const r = puller.run(['pull', '-q', '--tls-verify=false', '--signature-policy', either, `${H}/img/busybox`], { env });
    assert.equal(r.code, 0, r.stderr);

    const errors: Array<[string[], string]> = [
      [['image', 'sign', `docker://${H}/img/busybox`], 'Error: please provide an identity\n'],
      [['image', 'sign', '--sign-by', 'x', '-d', path.join(dir, 'nope'), `docker://${H}/img/busybox`], `Error: stat ${path.join(dir, 'nope')}: no such file or directory\n`],
      [['image', 'sign', '--sign-by', 'x', 'busybox'], 'Error: parsing image name: Invalid image name "busybox", expected colon-separated transport:reference\n'],
      [['image', 'sign', '--sign-by', 'nobody@example.com', '-d', out, `docker://${H}/img/busybox`],
        `Error: storing signature for ${H}/img/busybox:latest, ${fixture.digest}: key "nobody@example.com" not found\n`],
      [['image', 'sign', '--all', '--sign-by', 'signer@example.com', '-d', out, `docker://${H}/img/busybox`],
        `Error: docker://${H}/img/busybox is not a multi-architecture image (manifest type application/vnd.docker.distribution.manifest.v2+json)\n`],
    ];
    for (const [args, want] of errors) {
      const e = signer.run(args, { env });
      assert.equal(e.code, 125, args.join(' '));
      assert.equal(e.stderr, want);
    }
    const push = signer.run(['push', '--tls-verify=false', '--sign-by', 'nobody@example.com', 'localhost/busybox', `${H}/signed/busybox:3`], { env });
    assert.equal(push.code, 125);
    assert.match(push.stderr, /^Error: creating signature: key "nobody@example.com" not found\n$/m);
  });

  test('push --sign-passphrase-file unlocks a protected key; a wrong passphrase is gpg\'s refusal', () => {
    gpg(['--passphrase', 'sekret', '--quick-gen-key', 'Locked <locked@example.com>', 'ed25519', 'sign', 'never']);
    fs.writeFileSync(path.join(dir, 'wrong-pass'), 'nope\n');
    fs.writeFileSync(path.join(dir, 'pass'), 'sekret\nsecond line ignored\n');
    const push = (file: string) => signer.run(['push', '-q', '--tls-verify=false', '--sign-by', 'locked@example.com', '--sign-passphrase-file', file, 'localhost/busybox', `${H}/locked/busybox:1`], { env });
    const bad = push(path.join(dir, 'wrong-pass'));
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: creating signature: Bad passphrase\n');
    const ok = push(path.join(dir, 'pass'));
    assert.equal(ok.code, 0, ok.stderr);
    const digest = fs.readdirSync(path.join(dir, 'sigs/locked'))[0].replace(/^busybox@sha256=/, 'sha256:');
    const payload = JSON.parse(gpg(['--decrypt'], fs.readFileSync(path.join(sigDir('locked/busybox', digest), 'signature-1'))).toString());
    assert.equal(payload.critical.identity['docker-reference'], `${H}/locked/busybox:1`);
  });
  test('signatures are kept with pulled and built images and go along when pushed, unless they cannot', () => {
    // A pull keeps the signature it found; a push of the same manifest writes it at the destination.
    const pulled = puller.run(['pull', '--tls-verify=false', `${H}/signed/busybox:1`], { env });
    assert.match(pulled.stderr, /Getting image source signatures\nChecking if image destination supports signatures\n/);
    const sig = fs.readFileSync(path.join(sigDir('signed/busybox', signedDigest), 'signature-1'));
    const carried = puller.run(['push', '--tls-verify=false', `${H}/signed/busybox:1`, `${H}/carried/busybox:1`], { env });
    assert.equal(carried.code, 0, carried.stderr);
    assert.match(carried.stderr, /^Getting image source signatures\nChecking if image destination supports signatures\n/);
    assert.deepEqual(fs.readFileSync(path.join(sigDir('carried/busybox', signedDigest), 'signature-1')), sig);
    // Destinations that cannot hold them, and pushes that would change the signed manifest, are refused.
    const refusals: Array<[string[], string]> = [
      [[`docker-archive:${path.join(dir, 'x.tar')}`], `Can not copy signatures to docker-archive:${path.join(dir, 'x.tar')}: Storing signatures for docker tar files is not supported`],
      [[`oci:${path.join(dir, 'x-oci')}`], `Can not copy signatures to oci:${path.join(dir, 'x-oci')}:: Pushing signatures for OCI images is not supported`],
      [['--format', 'v2s2', '--tls-verify=false', `${H}/carried/busybox:v2s2`], 'Copying this image would require changing layer representation, which we cannot do: "Would invalidate signatures"'],
    ];
    for (const [args, msg] of refusals) {
      const r = puller.run(['push', `${H}/signed/busybox:1`, ...args], { env });
      assert.equal(r.code, 125, args.join(' '));
      assert.equal(r.stderr.split('\n').slice(-2)[0], `Error: ${msg}`);
    }
    assert.equal(fs.existsSync(path.join(dir, 'x.tar')), false);
    const removed = puller.run(['push', '--remove-signatures', '--tls-verify=false', `${H}/signed/busybox:1`, `${H}/bare/busybox:1`], { env });
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch(removed.stderr, /Getting image source signatures|Checking if image destination/);
    assert.equal(fs.existsSync(sigDir('bare/busybox', signedDigest)), false);
    puller.ok(['rmi', `${H}/signed/busybox:1`]);

    // build --sign-by signs the committed image for its name; the push takes the signature along.
    const ctxDir = path.join(dir, 'build');
    fs.mkdirSync(ctxDir);
    fs.writeFileSync(path.join(ctxDir, 'Containerfile'), 'FROM localhost/busybox\nLABEL signed=yes\n');
    const bad = signer.run(['build', '--sign-by', 'nobody@example.com', '-t', 'unsigned', ctxDir], { env });
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /Error: creating signature: key "nobody@example.com" not found\n$/);
    assert.equal(signer.run(['image', 'exists', 'unsigned']).code, 1);
    signer.ok(['build', '-q', '--sign-by', 'signer@example.com', '-t', 'built', ctxDir], { env });
    const df = path.join(dir, 'built-digest');
    signer.ok(['push', '-q', '--tls-verify=false', '--digestfile', df, 'built', `${H}/built/busybox:1`], { env });
    const builtSig = fs.readFileSync(path.join(sigDir('built/busybox', fs.readFileSync(df, 'utf8')), 'signature-1'));
    assert.equal(JSON.parse(gpg(['--decrypt'], builtSig).toString()).critical.identity['docker-reference'], 'localhost/built:latest');
    const exact = policy('built.json', path.join(dir, 'key.gpg'), { type: 'exactReference', dockerReference: 'localhost/built:latest' });
    const r = puller.run(['pull', '-q', '--tls-verify=false', '--signature-policy', exact, `${H}/built/busybox:1`], { env });
    assert.equal(r.code, 0, r.stderr);
  });

  test('manifest push --sign-by signs the list and each instance it pushes, for the destination', () => {
    // (The source's own signatures would go along: the garbage one an earlier test left is removed.)
    fs.rmSync(sigDir('lib/busybox', fixture.digest), { recursive: true });
    signer.ok(['manifest', 'create', 'signed-list']);
    signer.ok(['manifest', 'add', '--tls-verify=false', 'signed-list', `docker://${H}/lib/busybox`]);
    const df = path.join(dir, 'list-digest');
    const r = signer.run(['manifest', 'push', '--tls-verify=false', '--sign-by', 'signer@example.com', '--digestfile', df, 'signed-list', `docker://${H}/list/busybox:1`], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Writing manifest to image destination\nSigning manifest using simple signing\nStoring signatures\nWriting manifest list to image destination\nSigning manifest using simple signing\nStoring list signatures\n$/);
    for (const digest of [fs.readFileSync(df, 'utf8'), fixture.digest]) {
      const payload = JSON.parse(gpg(['--decrypt'], fs.readFileSync(path.join(sigDir('list/busybox', digest), 'signature-1'))).toString());
      assert.deepEqual(payload.critical.identity, { 'docker-reference': `${H}/list/busybox:1` });
      assert.equal(payload.critical.image['docker-manifest-digest'], digest);
    }
  });
});

/**
 * A cosign private key (ECDSA P-256, passphrase "sekret", scrypt N=32768) and its public key, made
 * with PyNaCl's secretbox and hashlib's scrypt: not by pier's code.
 */
const COSIGN_KEY = [
  '-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----',
  'eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6',
  'OCwicCI6MX0sInNhbHQiOiJ5ZnErWHRrL2NnM3hSSHQrcGxZSkszbEIvTE9JSWlu',
  'dnYrYThZTHk4aE5zPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94',
  'Iiwibm9uY2UiOiJmTE1wS3A5L2FkS2MzUGJXc1FQVGRQMmhXaUpSYmpIRyJ9LCJj',
  'aXBoZXJ0ZXh0IjoiNm0xNGRCR0hURkVTd1ZxWHJyVjVBVm1mWldQNEdzcld2bk9x',
  'VFVkTDhyYTZyWitSM0I5UzRaM1lwamtBbGkxYWNTckF0TVE0RXJkRjF1cEdIcG5X',
  'V1BZRitnQ1U5bFllSVhmMG44THNjYm5kQlpvaGExYldSRDFCWlljTUYzYW1McGVC',
  'aGFpUCtCL29keUFpMktZdmZPNm80QWkzVE9UV3gva0I0eURDbDl5cVRiMC9ZVVJv',
  'eEwzWlZDbnYwRk9XczAwZWFjL1hpODI5VVE9PSJ9',
  '-----END ENCRYPTED COSIGN PRIVATE KEY-----',
].join('\n') + '\n';
const COSIGN_PUB = [
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+6+D5l5Qjm/qeY81SWfCcbh/geba',
  'Y5vCJ5i9jyegXlWJzrVf3fMEBUHz6etAkwzsLwLaqDhOj9cApavSC3oX9Q==',
  '-----END PUBLIC KEY-----',
].join('\n') + '\n';

describe('sigstoreSigned', { skip: REMOTE && 'local only' }, () => {
  /** A cosign-style attachment: payload layer, base64 signature annotation, under the sha256-<hex>.sig tag. */
  async function attach(repo: string, digest: string, identity: string, key: crypto.KeyObject): Promise<void> {
    const payload = Buffer.from(JSON.stringify({
      critical: { identity: { 'docker-reference': identity }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' },
      optional: null,
    }));
    const sha = (b: Buffer) => 'sha256:' + crypto.createHash('sha256').update(b).digest('hex');
    const config = Buffer.from('{}');
    const c = new RegistryClient(reg);
    try {
      await c.putBlob(repo, { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length, data: config });
      await c.putBlob(repo, { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha(payload), size: payload.length, data: payload });
      const m = {
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
        layers: [{
          mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: sha(payload), size: payload.length,
          annotations: { 'dev.cosignproject.cosign/signature': crypto.sign('sha256', payload, key).toString('base64') },
        }],
      };
      await c.putManifest(repo, digest.replace(':', '-') + '.sig', Buffer.from(JSON.stringify(m)), m.mediaType);
    } finally {
      c.close();
    }
  }

  test('signatures attached in the registry are verified with the policy\'s public key', async () => {
    // Attachments are read only where registries.d enables them.
    const home = path.join(dir, 'sigstore-home');
    fs.mkdirSync(path.join(home, '.config/containers/registries.d'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config/containers/registries.d/d.yaml'),
      `default-docker:\n  lookaside: file://${path.join(dir, 'sigs')}\n  use-sigstore-attachments: true\n`);
    const senv = { ...env, HOME: home };
    const pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(path.join(dir, 'cosign.pub'), pair.publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'other.pub'), other.publicKey.export({ type: 'spki', format: 'pem' }));
    const pol = (name: string, keyPath: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, JSON.stringify({
        default: [{ type: 'insecureAcceptAnything' }],
        transports: { docker: { [H]: [{ type: 'sigstoreSigned', keyPath, signedIdentity: { type: 'matchRepoDigestOrExact' } }] } },
      }));
      return file;
    };
    const good = pol('sigstore.json', path.join(dir, 'cosign.pub'));
    await pushImage(reg, 'cosign/busybox', 'v1', fixture);
    await pushImage(reg, 'cosign/busybox', 'v2', fixture);
    const pull = (ref: string, policyFile = good) => puller.run(['pull', '-q', '--tls-verify=false', '--signature-policy', policyFile, ref], { env: senv });
    const unsigned = pull(`${H}/cosign/busybox:v1`);
    assert.equal(unsigned.stderr, 'Error: Source image rejected: A signature was required, but no signature exists\n');
    await attach('cosign/busybox', fixture.digest, `${H}/cosign/busybox:v1`, pair.privateKey);
    const ok = pull(`${H}/cosign/busybox:v1`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(pull(`${H}/cosign/busybox:v2`).stderr, `Error: Source image rejected: Signature for identity ${H}/cosign/busybox:v1 is not accepted\n`);
    assert.equal(pull(`${H}/cosign/busybox:v1`, pol('other.json', path.join(dir, 'other.pub'))).stderr,
      'Error: Source image rejected: cryptographic signature verification failed: invalid signature\n');
    // Simple signing signatures do not count for sigstoreSigned.
    const simple = pull(`${H}/signed/busybox:1`);
    assert.equal(simple.stderr, 'Error: Source image rejected: A signature was required, but no signature exists (1 non-sigstore signatures, 0 sigstore non-signature attachments)\n');
    for (const r of [`${H}/cosign/busybox:v2`, `${H}/signed/busybox:1`]) assert.equal(puller.run(['image', 'exists', r]).code, 1);
  });
  test('push --sign-by-sigstore-private-key attaches a signature the policy accepts; pushes of the pulled image carry it', () => {
    const home = path.join(dir, 'sigstore-home');
    const senv = { ...env, HOME: home };
    fs.writeFileSync(path.join(dir, 'cosign.key'), COSIGN_KEY);
    fs.writeFileSync(path.join(dir, 'fixture.pub'), COSIGN_PUB);
    fs.writeFileSync(path.join(dir, 'cosign-pass'), 'sekret\n');
    const push = (dest: string, pass: string, e: NodeJS.ProcessEnv = senv) => signer.run(['push', '--tls-verify=false', '--sign-by-sigstore-private-key', path.join(dir, 'cosign.key'),
      '--sign-passphrase-file', pass, 'localhost/busybox', dest], { env: e });
    const wrong = push(`${H}/sigstore/busybox:1`, path.join(dir, 'wrong-pass'));
    assert.equal(wrong.stderr.split('\n').slice(-2)[0], 'Error: creating signature: initializing private key: decrypt: encrypted: decryption failed');
    // Without use-sigstore-attachments there is nowhere to write it.
    assert.match(push(`${H}/sigstore/busybox:1`, path.join(dir, 'cosign-pass'), env).stderr, /\nError: writing signatures: writing sigstore attachments is disabled by configuration\n$/);
    const ok = push(`${H}/sigstore/busybox:1`, path.join(dir, 'cosign-pass'));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /Writing manifest to image destination\nSigning manifest using a sigstore signature\nStoring signatures\n$/);
    const pol = path.join(dir, 'fixture-policy.json');
    fs.writeFileSync(pol, JSON.stringify({
      default: [{ type: 'insecureAcceptAnything' }],
      transports: { docker: { [H]: [{ type: 'sigstoreSigned', keyPath: path.join(dir, 'fixture.pub'), signedIdentity: { type: 'exactRepository', dockerRepository: `${H}/sigstore/busybox` } }] } },
    }));
    const pulled = puller.run(['pull', '--tls-verify=false', '--signature-policy', pol, `${H}/sigstore/busybox:1`], { env: senv });
    assert.equal(pulled.code, 0, pulled.stderr);
    // The pulled image's attachment goes along to another repository, where the policy accepts it too.
    puller.ok(['push', '-q', '--tls-verify=false', `${H}/sigstore/busybox:1`, `${H}/sigstore-copy/busybox:1`], { env: senv });
    puller.ok(['rmi', `${H}/sigstore/busybox:1`]);
    const copied = puller.run(['pull', '-q', '--tls-verify=false', '--signature-policy', pol, `${H}/sigstore-copy/busybox:1`], { env: senv });
    assert.equal(copied.code, 0, copied.stderr);
    const both = signer.run(['push', '--sign-by', 'x', '--sign-by-sigstore-private-key', 'k', '--sign-passphrase-file', 'p', 'localhost/busybox', `${H}/x/y`]);
    assert.equal(both.stderr, 'Error: only one of --sign-by and sign-by-sigstore-private-key can be used with --sign-passphrase-file\n');
  });
});

describe('image trust', () => {
  test('set and show: the file podman writes and the table, JSON and raw views it prints', { skip: REMOTE && 'local only' }, () => {
    const pol = path.join(dir, 'trust.json');
    const rd = path.join(dir, 'trust-rd');
    fs.mkdirSync(rd);
    fs.writeFileSync(path.join(rd, 'a.yaml'), 'default-docker:\n  lookaside: file:///srv/sigs\ndocker:\n  quay.io:\n    sigstore: https://sigs.example.com/q\n');
    const t = (args: string[]) => signer.run(['image', 'trust', ...args]);
    assert.equal(t(['set', '--policypath', pol, '-t', 'accept', 'docker.io']).stderr, 'Error: default trust policy must be set\n');
    assert.equal(fs.existsSync(pol), false);
    signer.ok(['image', 'trust', 'set', '--policypath', pol, '-t', 'reject', 'default']);
    signer.ok(['image', 'trust', 'set', '--policypath', pol, '-t', 'accept', 'docker.io']);
    signer.ok(['image', 'trust', 'set', '--policypath', pol, '-f', path.join(dir, 'key.gpg'), 'quay.io/x']);
    const bad: Array<[string[], string]> = [
      [['-t', 'signedBy', 'quay.io/y'], "at least one public key must be defined for type 'signedBy'"],
      [['-t', 'bogus', 'quay.io/y'], "invalid choice: bogus (choose from 'accept', 'reject', 'signedBy', 'sigstoreSigned')"],
      [['-t', 'reject', '-f', '/x', 'quay.io/y'], '1 public keys unexpectedly provided for trust type reject'],
      [['-t', 'reject', 'Bad!/x'], 'invalid image uri: Bad!/x: %!w(<nil>)'],
    ];
    for (const [args, msg] of bad) {
      const r = t(['set', '--policypath', pol, ...args]);
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `Error: ${msg}\n`);
    }
    const file = [
      '{', '    "default": [', '        {', '            "type": "reject"', '        }', '    ],',
      '    "transports": {', '        "docker": {',
      '            "docker.io": [', '                {', '                    "type": "insecureAcceptAnything"', '                }', '            ],',
      '            "quay.io/x": [', '                {', '                    "type": "signedBy",', '                    "keyType": "GPGKeys",',
      `                    "keyPath": "${path.join(dir, 'key.gpg')}"`, '                }', '            ]',
      '        }', '    }', '}',
    ].join('\n');
    assert.equal(fs.readFileSync(pol, 'utf8'), file);
    assert.equal(signer.ok(['image', 'trust', 'show', '--policypath', pol, '--raw']), file + '\n');
    assert.equal(signer.ok(['image', 'trust', 'show', '--policypath', pol, '--registrypath', rd]), [
      'TRANSPORT   NAME        TYPE        ID                  STORE',
      'all         default     reject                          file:///srv/sigs',
      'repository  docker.io   accept                          file:///srv/sigs',
      'repository  quay.io/x   signed      signer@example.com  https://sigs.example.com/q',
      '',
    ].join('\n'));
    assert.deepEqual(JSON.parse(signer.ok(['image', 'trust', 'show', '--policypath', pol, '--registrypath', rd, '--json'])), [
      { transport: 'all', name: '* (default)', repo_name: 'default', sigstore: 'file:///srv/sigs', type: 'reject' },
      { transport: 'repository', name: 'docker.io', repo_name: 'docker.io', sigstore: 'file:///srv/sigs', type: 'accept' },
      { transport: 'repository', name: 'quay.io/x', repo_name: 'quay.io/x', sigstore: 'https://sigs.example.com/q', type: 'signed', gpg_id: 'signer@example.com' },
    ]);
    const missing = t(['show', '--policypath', path.join(dir, 'none.json')]);
    assert.equal(missing.stderr, `Error: open ${path.join(dir, 'none.json')}: no such file or directory\n`);
  });

  test('the remote client refuses sign and trust as podman-remote does, and push --sign-by', () => {
    for (const cmd of [['image', 'sign', '--sign-by', 'x', 'docker://a/b'], ['image', 'trust', 'show'], ['image', 'trust', 'set', '-t', 'accept', 'default']]) {
      const r = signer.run(['--url', 'unix:///nonexistent.sock', ...cmd]);
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `Error: cannot use command "pier ${cmd.slice(0, cmd[1] === 'trust' ? 3 : 2).join(' ')}" with the remote pier client\n`);
    }
    const p = signer.run(['--url', 'unix:///nonexistent.sock', 'push', '--sign-by', 'x', 'localhost/busybox', `${H}/x/y`]);
    assert.equal(p.code, 125);
    assert.equal(p.stderr, 'Error: signing images (--sign-by) is not supported by the remote pier client\n');
    for (const cmd of [['build', '--sign-by', 'x', dir], ['manifest', 'push', '--sign-by-sigstore-private-key', 'k', 'list', `docker://${H}/x/y`]]) {
      const r = signer.run(['--url', 'unix:///nonexistent.sock', ...cmd]);
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `Error: signing images (${cmd[1] === 'push' ? '--sign-by-sigstore-private-key' : '--sign-by'}) is not supported by the remote pier client\n`);
    }
    const pull = signer.run(['--url', 'unix:///nonexistent.sock', 'pull', '--signature-policy', '/p.json', `${H}/x/y`]);
    assert.equal(pull.stderr, 'Error: --signature-policy is not supported by the remote pier client\n');
  });
});
