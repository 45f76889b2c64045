// pier as a remote client (--url, --connection, CONTAINER_HOST, system connection) of a pier
// service: the same CLI commands answered by the service's store, never the local one.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStore, PIER } from '../helpers/cli';
import { startService, Service } from '../helpers/api';

let server: TestStore;
let svc: Service;
let home: string;

/** A pier command in remote mode: a fresh, empty local store proves nothing is done locally. */
function remote(args: string[], extraEnv: NodeJS.ProcessEnv = {}, input?: string) {
  const empty = path.join(server.dir, 'client');
  const r = spawnSync(process.execPath, [PIER, '--root', `${empty}/root`, '--runroot', `${empty}/run`, ...args], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: '', XDG_CONFIG_HOME: home, ...extraEnv }, encoding: 'utf8', input, timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const url = () => `unix://${svc.socket}`;

before(async () => {
  server = await busyboxStore();
  svc = await startService(server);
  home = path.join(server.dir, 'config');
});
after(async () => {
  await svc.stop();
  server.run(['rm', '-a', '-f', '-t', '0']);
  server.run(['pod', 'rm', '-a', '-f']);
  server.cleanup();
});

describe('remote client', () => {
  test('--url: images, run (attached, exit code), run -d, ps, inspect, logs, stop, rm act on the service\'s store', () => {
    const imgs = remote(['--url', url(), 'images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(imgs.code, 0, imgs.stderr);
    assert.equal(imgs.stdout, 'localhost/busybox:latest\n');
    const run = remote(['--url', url(), 'run', '--rm', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo remote-out; echo remote-err >&2; exit 5']);
    assert.equal(run.code, 5, run.stderr);
    assert.equal(run.stdout, 'remote-out\n');
    assert.equal(run.stderr, 'remote-err\n');
    const id = remote(['--url', url(), 'run', '-d', '--name', 'rweb', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo hello-remote; exec sleep 100']).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.ok(server.ok(['ps', '-q', '--no-trunc']).includes(id), 'the container runs in the service\'s store');
    assert.match(remote(['--url', url(), 'ps', '--format', '{{.Names}} {{.Status}}']).stdout, /^rweb Up/m);
    assert.equal(remote(['--url', url(), 'inspect', '--format', '{{.State.Status}}', 'rweb']).stdout.trim(), 'running');
    for (let i = 0; i < 50 && !remote(['--url', url(), 'logs', 'rweb']).stdout.includes('hello'); i++) spawnSync('sleep', ['0.1']);
    assert.equal(remote(['--url', url(), 'logs', 'rweb']).stdout, 'hello-remote\n');
    assert.equal(remote(['--url', url(), 'stop', '-t', '0', 'rweb']).code, 0);
    assert.equal(remote(['--url', url(), 'rm', 'rweb']).code, 0);
    assert.equal(server.ok(['ps', '-a', '-q']), '');
    const missing = remote(['--url', url(), 'inspect', 'nosuch']);
    assert.equal(missing.code, 125);
    // The local store of the client stayed empty.
    assert.equal(fs.existsSync(path.join(server.dir, 'client', 'root', 'pier.db')), false);
  });

  test('CONTAINER_HOST and system connection add/ls/default/rename/rm with --connection and --remote', () => {
    assert.equal(remote(['volume', 'create', 'rvol'], { CONTAINER_HOST: url() }).code, 0);
    assert.ok(server.ok(['volume', 'ls', '-q']).includes('rvol'));
    assert.equal(remote(['system', 'connection', 'add', 'svc', url()]).code, 0);
    assert.equal(remote(['system', 'connection', 'add', 'other', 'ssh://core@example.invalid:2222/run/pier/pier.sock']).code, 0);
    const ls = remote(['system', 'connection', 'ls']);
    assert.match(ls.stdout, /^Name\s+URI\s+Identity\s+Default$/m);
    assert.match(ls.stdout, new RegExp(`^svc\\s+${url().replace(/\//g, '\\/')}\\s+true$`, 'm'));
    assert.equal(remote(['--connection', 'svc', 'volume', 'ls', '-q']).stdout, 'rvol\n');
    assert.equal(remote(['--remote', 'volume', 'rm', 'rvol']).code, 0, 'the default connection');
    assert.equal(server.ok(['volume', 'ls', '-q']), '');
    assert.equal(remote(['system', 'connection', 'rename', 'svc', 'main']).code, 0);
    assert.equal(remote(['system', 'connection', 'default', 'other']).code, 0);
    assert.match(remote(['system', 'connection', 'ls', '--format', '{{.Name}}={{.Default}}']).stdout, /main=false\nother=true/);
    assert.equal(remote(['system', 'connection', 'rm', 'other']).code, 0);
    assert.equal(remote(['system', 'connection', 'ls', '-q']).stdout, 'main\n');
    const bad = remote(['system', 'connection', 'add', 'x', 'ftp://nope']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid connection URI/);
  });

  test('pods remotely; unsupported commands refuse instead of acting locally; an unreachable service is one clear error', () => {
    assert.match(remote(['--url', url(), 'pod', 'create', '--name', 'rpod']).stdout, /^[0-9a-f]{64}$/m);
    assert.match(remote(['--url', url(), 'pod', 'ps', '--format', '{{.Name}} {{.Status}}']).stdout, /^rpod Created$/m);
    assert.equal(remote(['--url', url(), 'pod', 'rm', 'rpod']).code, 0);
    const unsupported = remote(['--url', url(), 'network', 'reload', '-a']);
    assert.equal(unsupported.code, 125);
    assert.match(unsupported.stderr, /not supported in remote mode/);
    // What podman has in local mode only gets podman-remote's refusal.
    const abiOnly = remote(['--url', url(), 'mount']);
    assert.equal(abiOnly.code, 125);
    assert.equal(abiOnly.stderr, 'Error: cannot use command "pier mount" with the remote pier client\n');
    const down = remote(['--url', 'unix:///nonexistent/pier.sock', 'ps']);
    assert.equal(down.code, 125);
    assert.match(down.stderr, /unable to connect to the pier service/);
    assert.equal(down.stderr.trim().split('\n').length, 1);
  });

  test('info remotely reports the service\'s store and runtime, not the client\'s', () => {
    const r = remote(['--url', url(), 'info', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.store.graphRoot, server.root);
    assert.equal(info.store.runRoot, server.runroot);
    assert.ok(info.store.imageStore.number >= 1);
    assert.match(info.host.ociRuntime.name, /^(runc|crun)$/);
    assert.match(info.host.conmon.version, /conmon version/);
    assert.equal(remote(['--url', url(), 'system', 'info', '--format', '{{.Store.GraphRoot}}']).stdout.trim(), server.root);
  });
});

test('networks remotely: create, ls, inspect, exists, run on it, connect, disconnect, rm (in use: exit 2), prune', () => {
  const u = ['--url', url()];
  const name = `rnet${process.pid}`;
  const created = remote([...u, 'network', 'create', '--label', 'from=remote', name]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, `${name}\n`);
  assert.ok(server.ok(['network', 'ls', '--format', '{{.Name}}']).split('\n').includes(name), 'created in the service\'s store');
  assert.match(remote([...u, 'network', 'ls', '--format', '{{.Name}} {{.Labels}}']).stdout, new RegExp(`^${name} from=remote$`, 'm'));
  const insp = JSON.parse(remote([...u, 'network', 'inspect', name]).stdout);
  assert.equal(insp[0].name, name);
  assert.match(insp[0].subnets[0].subnet, /^\d+\.\d+\.\d+\.0\/24$/);
  assert.equal(remote([...u, 'network', 'exists', name]).code, 0);
  assert.equal(remote([...u, 'network', 'exists', 'nosuchnet']).code, 1);
  const id = remote([...u, 'run', '-d', '--name', 'rnetc', '--network', name, 'localhost/busybox', 'sleep', '100']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const ip = remote([...u, 'inspect', '--format', `{{(index .NetworkSettings.Networks "${name}").IPAddress}}`, 'rnetc']).stdout.trim();
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(remote([...u, 'network', 'connect', 'pier', 'rnetc']).code, 0);
  assert.match(remote([...u, 'exec', 'rnetc', 'ip', '-o', '-4', 'addr']).stdout, /eth1/);
  assert.equal(remote([...u, 'network', 'disconnect', 'pier', 'rnetc']).code, 0);
  assert.doesNotMatch(remote([...u, 'exec', 'rnetc', 'ip', '-o', '-4', 'addr']).stdout, /eth1/);
  const inUse = remote([...u, 'network', 'rm', name]);
  assert.equal(inUse.code, 2, inUse.stderr);
  assert.match(inUse.stderr, /network is being used/);
  assert.equal(remote([...u, 'network', 'rm', '-f', '-t', '0', name]).stdout, `${name}\n`);
  assert.equal(remote([...u, 'container', 'exists', 'rnetc']).code, 1, 'rm -f removed its container');
  const missing = remote([...u, 'network', 'rm', name]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /network not found/);
  assert.equal(remote([...u, 'network', 'create', `${name}p`]).code, 0);
  assert.equal(remote([...u, 'network', 'prune', '-f']).stdout, `${name}p\n`);
});

test('ssh://: the connection goes through an OpenSSH tunnel to a local sshd', async () => {
  const dir = fs.mkdtempSync(path.join(server.dir, 'ssh-'));
  const sh = (cmd: string, args: string[]) => { const r = spawnSync(cmd, args, { encoding: 'utf8' }); assert.equal(r.status, 0, r.stderr); };
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'host_key')]);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
  fs.copyFileSync(path.join(dir, 'id.pub'), path.join(dir, 'authorized_keys'));
  fs.chmodSync(path.join(dir, 'authorized_keys'), 0o600);
  const port = await new Promise<number>((resolve) => {
    const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${path.join(dir, 'host_key')}`, `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'AllowStreamLocalForwarding yes', 'StrictModes no', `PidFile ${path.join(dir, 'sshd.pid')}`, 'UsePAM no', '',
  ].join('\n'));
  const sshd = require('node:child_process').spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 500));
    const env = { PIER_SSH_KNOWN_HOSTS: path.join(dir, 'known_hosts') };
    const r = remote(['--url', `ssh://root@127.0.0.1:${port}${svc.socket}`, '--identity', path.join(dir, 'id'), 'images', '--format', '{{.Repository}}'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^localhost\/busybox$/m);
    const run = remote(['--url', `ssh://root@127.0.0.1:${port}${svc.socket}`, '--identity', path.join(dir, 'id'), 'run', '--rm', '--network', 'none', 'localhost/busybox', 'echo', 'over-ssh'], env);
    assert.equal(run.stdout, 'over-ssh\n', run.stderr);
    const bad = remote(['--url', `ssh://root@127.0.0.1:${port}${svc.socket}`, '--identity', path.join(dir, 'host_key'), 'ps'], env);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /ssh connection to .* failed/);
  } finally {
    sshd.kill();
  }
});
