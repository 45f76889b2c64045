// Credential helpers named by an auth file (credHelpers per registry, credsStore for all): pier runs
// `docker-credential-NAME get` as docker and podman do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore } from '../helpers/cli';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, pushImage } from '../fixtures/images';

let reg: Registry;
const ts = new TestStore();
const bin = path.join(ts.dir, 'bin');
const env = () => ({ PATH: `${bin}:${process.env.PATH}` });

before(async () => {
  reg = await startRegistry({ auth: 'basic' });
  await pushImage(reg, 'test/busybox', 'latest', await busyboxImage('docker'), { username: reg.username!, password: reg.password! });
  fs.mkdirSync(bin);
  // A helper that knows this registry's credentials and logs what it was asked.
  fs.writeFileSync(path.join(bin, 'docker-credential-pier-test'), `#!/bin/sh
read server
echo "$1 $server" >> ${ts.dir}/helper.log
if [ "$1" = get ] && [ "$server" = "${reg.host}" ]; then
  printf '{"ServerURL":"%s","Username":"${reg.username}","Secret":"${reg.password}"}\\n' "$server"
  exit 0
fi
echo "credentials not found in native keychain"
exit 1
`, { mode: 0o755 });
});
after(async () => {
  await reg.stop();
  ts.cleanup();
});

test('credHelpers: a pull authenticates with the helper\'s credentials', () => {
  fs.writeFileSync(ts.authfile, JSON.stringify({ credHelpers: { [reg.host]: 'pier-test' } }));
  ts.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/test/busybox`], { env: env() });
  assert.match(fs.readFileSync(path.join(ts.dir, 'helper.log'), 'utf8'), new RegExp(`^get ${reg.host.replace(/\./g, '\\.')}$`, 'm'));
});

test('credsStore: used for every registry; "not found" means anonymous, which this registry denies', () => {
  ts.ok(['rmi', '-a', '-f']);
  fs.writeFileSync(ts.authfile, JSON.stringify({ credsStore: 'pier-test' }));
  ts.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/test/busybox`], { env: env() });
  fs.writeFileSync(ts.authfile, JSON.stringify({ credHelpers: { 'other.example:5000': 'pier-test' } }));
  ts.ok(['rmi', '-a', '-f']);
  const r = ts.run(['pull', '-q', '--tls-verify=false', `${reg.host}/test/busybox`], { env: env() });
  assert.equal(r.code, 125);
  assert.match(r.stderr, /unauthorized|authentication required/i);
});

test('a helper that is not installed gives one clear error', () => {
  fs.writeFileSync(ts.authfile, JSON.stringify({ credHelpers: { [reg.host]: 'absent-helper' } }));
  const r = ts.run(['pull', '-q', '--tls-verify=false', `${reg.host}/test/busybox`], { env: env() });
  assert.equal(r.code, 125);
  assert.match(r.stderr, /docker-credential-absent-helper: executable file not found in \$PATH/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
