import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  authFilesForRead,
  candidateKeys,
  getCredentials,
  getCredentialsWithSource,
  listCredentialKeys,
  normalizeAuthKey,
  parseCreds,
  primaryAuthFile,
  removeAllCredentials,
  removeCredentials,
  setCredentials,
} from '../../src/image/config/auth';
import { PierError, UsageError } from '../../src/util/errors';

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-auth-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('auth file locations follow podman', () => {
  assert.deepEqual(primaryAuthFile({ uid: 0, env: { XDG_RUNTIME_DIR: '/run/user/0' } }), { path: '/run/containers/0/auth.json', explicit: false });
  assert.deepEqual(primaryAuthFile({ uid: 1000, env: { XDG_RUNTIME_DIR: '/run/user/1000' } }), { path: '/run/user/1000/containers/auth.json', explicit: false });
  assert.deepEqual(primaryAuthFile({ uid: 1000, env: {} }), { path: '/run/containers/1000/auth.json', explicit: false });
  assert.deepEqual(primaryAuthFile({ uid: 1000, env: { REGISTRY_AUTH_FILE: '/x/a.json' } }), { path: '/x/a.json', explicit: true });
  assert.deepEqual(primaryAuthFile({ authFile: '/y/b.json', env: { REGISTRY_AUTH_FILE: '/x/a.json' } }), { path: '/y/b.json', explicit: true });

  const files = authFilesForRead({ uid: 1000, homeDir: '/home/u', env: { XDG_RUNTIME_DIR: '/run/user/1000' } }).map((f) => f.path);
  assert.deepEqual(files, ['/run/user/1000/containers/auth.json', '/home/u/.config/containers/auth.json', '/home/u/.docker/config.json', '/home/u/.dockercfg']);
  const withEnv = authFilesForRead({ uid: 1000, homeDir: '/home/u', env: { XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/dk' } }).map((f) => f.path);
  assert.deepEqual(withEnv.slice(1, 3), ['/cfg/containers/auth.json', '/dk/config.json']);
  // an explicit file is the only one read
  assert.deepEqual(authFilesForRead({ authFile: '/only.json', homeDir: '/home/u', env: {} }).map((f) => f.path), ['/only.json']);
});

test('keys are tried from the most specific namespace to the host', () => {
  assert.deepEqual(candidateKeys('my-registry.local/namespace/user/image:latest'), [
    'my-registry.local/namespace/user/image',
    'my-registry.local/namespace/user',
    'my-registry.local/namespace',
    'my-registry.local',
  ]);
  assert.deepEqual(candidateKeys('127.0.0.1:5000/a@sha256:' + '0'.repeat(64)), ['127.0.0.1:5000/a', '127.0.0.1:5000']);
  assert.deepEqual(candidateKeys('localhost:5000'), ['localhost:5000']);
  assert.deepEqual(candidateKeys('index.docker.io/library/x'), ['docker.io/library/x', 'docker.io/library', 'docker.io']);
  assert.equal(normalizeAuthKey('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(normalizeAuthKey('quay.io/ns'), 'quay.io/ns');
  assert.equal(normalizeAuthKey('http://quay.io/ns'), 'quay.io');
});

test('setCredentials writes an atomic 0600 file, creating parent dirs, keeping other entries', (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'deep/er/auth.json');
  setCredentials(file, 'quay.io', 'alice', 'pa:ss');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(doc, { auths: { 'quay.io': { auth: b64('alice:pa:ss') } } });

  // other content (credHelpers, unknown fields) survives; a namespace key is separate
  fs.writeFileSync(file, JSON.stringify({ auths: { 'quay.io': { auth: b64('alice:pa:ss') } }, credHelpers: { 'x.io': 'pass' } }));
  setCredentials(file, 'quay.io/team', 'bob', 'b');
  setCredentials(file, 'localhost:5000', 'carol', 'c', 'refresh-token-1');
  const doc2 = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(doc2.auths).sort(), ['localhost:5000', 'quay.io', 'quay.io/team']);
  assert.deepEqual(doc2.credHelpers, { 'x.io': 'pass' });
  assert.equal(doc2.auths['localhost:5000'].identitytoken, 'refresh-token-1');
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['auth.json'], 'no temp files left behind');

  const o = { authFile: file };
  assert.deepEqual(getCredentials('quay.io/team/app:1', o), { username: 'bob', password: 'b' });
  assert.deepEqual(getCredentials('quay.io/teamx/app', o), { username: 'alice', password: 'pa:ss' });
  assert.deepEqual(getCredentials('quay.io', o), { username: 'alice', password: 'pa:ss' });
  assert.deepEqual(getCredentials('localhost:5000/x', o), { username: 'carol', password: 'c', identityToken: 'refresh-token-1' });
  assert.equal(getCredentials('docker.io/library/busybox', o), undefined);
  assert.deepEqual(listCredentialKeys(file).sort(), ['localhost:5000', 'quay.io', 'quay.io/team']);

  // replacing: same key overwritten
  setCredentials(file, 'quay.io', 'alice', 'new');
  assert.equal(getCredentials('quay.io/z', o)?.password, 'new');

  removeCredentials(file, 'quay.io/team');
  assert.deepEqual(getCredentials('quay.io/team/app', o), { username: 'alice', password: 'new' });
  assert.throws(() => removeCredentials(file, 'quay.io/team'), (e: unknown) => e instanceof PierError && e.message === 'not logged into quay.io/team');
  assert.throws(() => removeCredentials(path.join(dir, 'none.json'), 'quay.io'), /not logged into quay\.io/);
  removeAllCredentials(file);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).auths, {});
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.throws(() => setCredentials(file, 'quay.io/x:tag', 'a', 'b'), UsageError);
});

test('lookup order across files: primary, containers auth.json, docker config.json, .dockercfg', (t) => {
  const dir = tmp(t);
  const home = path.join(dir, 'home');
  const run = path.join(dir, 'run');
  fs.mkdirSync(run);
  const env = { XDG_RUNTIME_DIR: run };
  const o = { uid: 1000, homeDir: home, env };

  const legacy = path.join(home, '.dockercfg');
  fs.mkdirSync(home, { recursive: true });
  fs.writeFileSync(legacy, JSON.stringify({ 'https://legacy.io/v1/': { auth: b64('l:1') }, 'https://index.docker.io/v1/': { auth: b64('hub-legacy:1') } }));
  assert.deepEqual(getCredentials('legacy.io/x', o), { username: 'l', password: '1' });
  assert.deepEqual(getCredentials('docker.io/library/busybox', o), { username: 'hub-legacy', password: '1' });

  const dockerCfg = path.join(home, '.docker/config.json');
  fs.mkdirSync(path.dirname(dockerCfg), { recursive: true });
  fs.writeFileSync(dockerCfg, JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:2') }, 'quay.io': { auth: b64('q-docker:2') } } }));
  assert.deepEqual(getCredentials('docker.io/library/busybox', o), { username: 'hub', password: '2' });

  const containersCfg = path.join(home, '.config/containers/auth.json');
  fs.mkdirSync(path.dirname(containersCfg), { recursive: true });
  fs.writeFileSync(containersCfg, JSON.stringify({ auths: { 'quay.io': { auth: b64('q-containers:3') } } }));
  assert.deepEqual(getCredentials('quay.io/a', o), { username: 'q-containers', password: '3' });

  const primary = path.join(run, 'containers/auth.json');
  setCredentials(primary, 'quay.io/a', 'q-primary', '4');
  const hit = getCredentialsWithSource('quay.io/a/b', o);
  assert.equal(hit?.file, primary);
  assert.equal(hit?.key, 'quay.io/a');
  assert.deepEqual(hit?.credentials, { username: 'q-primary', password: '4' });
  // the primary file has only quay.io/a; quay.io/other falls through to the next file
  assert.deepEqual(getCredentials('quay.io/other', o), { username: 'q-containers', password: '3' });

  // REGISTRY_AUTH_FILE: the only file consulted
  const explicit = path.join(dir, 'explicit.json');
  fs.writeFileSync(explicit, '{"auths":{}}');
  assert.equal(getCredentials('quay.io/a', { ...o, env: { ...env, REGISTRY_AUTH_FILE: explicit } }), undefined);

  // malformed files are reported
  fs.writeFileSync(explicit, '{nope');
  assert.throws(() => getCredentials('quay.io', { authFile: explicit }), /unmarshaling JSON at/);
});

test('--creds parsing', () => {
  assert.deepEqual(parseCreds('user:pass'), { username: 'user', password: 'pass' });
  assert.deepEqual(parseCreds('user:pa:ss'), { username: 'user', password: 'pa:ss' });
  assert.deepEqual(parseCreds('user'), { username: 'user', password: undefined });
  assert.deepEqual(parseCreds('user:'), { username: 'user', password: undefined });
  assert.throws(() => parseCreds(':pass'), /username can't be empty/);
  assert.throws(() => parseCreds(''), UsageError);
});
