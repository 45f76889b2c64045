// Real containers: the /etc/hosts and /etc/resolv.conf pier gives them (--add-host, --no-hosts,
// --network none/container:, containers.conf base_hosts_file, host_containers_internal_ip,
// no_hosts) and their default environment (TERM, containers.conf env, --unsetenv(-all),
// --env-merge), as podman 4.3 does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { busyboxStore, PIER, TestStore, type Result } from '../helpers/cli';

const IMAGE = 'localhost/busybox:latest';
let ts: TestStore;
/** An image with its own /etc/hosts and /etc/resolv.conf (and ENV FOO=img). */
const OWN = 'localhost/own-etc';
// containers.conf files only reach the engine in local mode (a service reads its own at start):
// commands given one run locally on the same store, in remote mode too.
const conf = {};

function confFile(name: string, body: string): string {
  const f = path.join(ts.dir, `${name}.conf`);
  fs.writeFileSync(f, `[containers]\n${body}\n`);
  return f;
}

function run(args: string[], confPath?: string): Result {
  if (!confPath) return ts.run(['run', '--rm', ...args]);
  const r = spawnSync(process.execPath, [PIER, ...ts.localArgs(), 'run', '--rm', ...args], { env: ts.env({ CONTAINERS_CONF: confPath }), encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function out(args: string[], confPath?: string): string {
  const r = run(args, confPath);
  assert.equal(r.code, 0, `pier run ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
  return r.stdout;
}

/** The host's first global unicast IPv4 address (what host.containers.internal names without a network). */
function hostIP(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
  }
  return undefined;
}

function containerCount(): number {
  return ts.ok(['ps', '-a', '-q']).split('\n').filter(Boolean).length;
}

before(async () => {
  ts = await busyboxStore();
  // --unsetenv-all: the committed ENV is X=1 and FOO=img only (a commit keeps the container's environment).
  ts.ok(['run', '--name', 'mkown', '--network', 'none', '--no-hosts', '--unsetenv-all', '-e', 'X=1', IMAGE, '/bin/sh', '-c',
    'printf "10.9.9.9 imagehost\\n" > /etc/hosts; echo "nameserver 10.9.9.53" > /etc/resolv.conf']);
  ts.ok(['commit', '-q', '--change', 'ENV FOO=img', 'mkown', OWN]);
  ts.ok(['rm', 'mkown']);
});
after(() => {
  ts.run(['rm', '-a', '-f', '-t', '0']);
  ts.cleanup();
});

test('--network none: the base hosts file, host.containers.internal (the host\'s address), then its own loopback entry; --add-host first', conf, () => {
  const base = path.join(ts.dir, 'base-hosts');
  fs.writeFileSync(base, '# base\n10.0.0.1   alpha beta\n127.0.0.1 localhost\n');
  const c = confFile('base', `base_hosts_file = "${base}"`);
  const text = out(['--network', 'none', '--name', 'hh', '--hostname', 'box', '--add-host', 'db:10.0.0.5', '--add-host', 'v6:::2', IMAGE, 'cat', '/etc/hosts'], c);
  assert.equal(text, `10.0.0.5\tdb\n::2\tv6\n10.0.0.1\talpha beta\n127.0.0.1\tlocalhost\n${hostIP()}\thost.containers.internal\n127.0.0.1\tbox hh\n`);
  // A name --add-host (or the base) gives is not repeated; a base without localhost gets both.
  fs.writeFileSync(base, '10.0.0.1 alpha\n');
  assert.equal(out(['--network', 'none', '--name', 'hh', '--hostname', 'box', '--add-host', 'hh:1.2.3.4', IMAGE, 'cat', '/etc/hosts'], c),
    `1.2.3.4\thh\n10.0.0.1\talpha\n127.0.0.1\tlocalhost\n::1\tlocalhost\n${hostIP()}\thost.containers.internal\n127.0.0.1\tbox\n`);
  // host_containers_internal_ip: an address, or none.
  const ip = confFile('hci', `base_hosts_file = "none"\nhost_containers_internal_ip = "10.1.2.3"`);
  assert.equal(out(['--network', 'none', '--name', 'hh', '--hostname', 'box', IMAGE, 'cat', '/etc/hosts'], ip),
    '127.0.0.1\tlocalhost\n::1\tlocalhost\n10.1.2.3\thost.containers.internal\n127.0.0.1\tbox hh\n');
  const none = confFile('hcinone', `base_hosts_file = "none"\nhost_containers_internal_ip = "none"`);
  assert.equal(out(['--network', 'none', '--name', 'hh', '--hostname', 'box', IMAGE, 'cat', '/etc/hosts'], none), '127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tbox hh\n');
});

test('the host\'s /etc/hosts is the default base; --network host adds no entry of its own', () => {
  const hostLines = fs.readFileSync('/etc/hosts', 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim().split(/\s+/)).filter((f) => f.length >= 2)
    .map((f) => `${f[0]}\t${f.slice(1).join(' ')}`);
  const none = out(['--network', 'none', '--name', 'hh', IMAGE, 'cat', '/etc/hosts']).trimEnd().split('\n');
  assert.deepEqual(none.slice(0, hostLines.length), hostLines);
  assert.match(none[none.length - 1], /^127\.0\.0\.1\t[0-9a-f]{12} hh$/);
  const host = out(['--network', 'host', '--name', 'hh', IMAGE, 'cat', '/etc/hosts']).trimEnd().split('\n');
  assert.deepEqual(host.slice(0, hostLines.length), hostLines);
  assert.ok(!host.some((l) => / hh$/.test(l)), host.join('\n'));
  assert.match(host[host.length - 1], /\thost\.containers\.internal$/);
});

test('base_hosts_file = "image" starts from the image\'s /etc/hosts; an image without one cannot start (127)', conf, () => {
  const c = confFile('image', 'base_hosts_file = "image"\nhost_containers_internal_ip = "none"');
  assert.equal(out(['--network', 'none', '--name', 'hh', '--hostname', 'box', OWN, 'cat', '/etc/hosts'], c),
    '10.9.9.9\timagehost\n127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tbox hh\n');
  const r = run(['--network', 'none', IMAGE, 'true'], c);
  assert.equal(r.code, 127, r.stderr);
  assert.match(r.stderr, /^Error: creating hosts file for container [0-9a-f]{64}: failed to create new hosts file: open \S+\/etc\/hosts: no such file or directory\n$/);
});

test('--no-hosts: no /etc/hosts is managed (the image\'s stays); it conflicts with --add-host', () => {
  assert.equal(out(['--network', 'none', '--no-hosts', OWN, 'cat', '/etc/hosts']), '10.9.9.9 imagehost\n');
  const r = run(['--network', 'none', '--no-hosts', IMAGE, 'sh', '-c', 'test -e /etc/hosts && echo present; grep -c " /etc/hosts " /proc/mounts']);
  assert.equal(r.stdout, '0\n');
  const before = containerCount();
  const bad = run(['--no-hosts', '--add-host', 'a:1.1.1.1', IMAGE, 'true']);
  assert.equal(bad.code, 125);
  assert.equal(bad.stderr, 'Error: --no-hosts and --add-host cannot be set together\n');
  const gw = run(['--network', 'none', '--add-host', 'a:host-gateway', IMAGE, 'true']);
  assert.equal(gw.code, 125);
  assert.equal(gw.stderr, 'Error: invalid IP address in add-host: "host-gateway"\n');
  assert.equal(containerCount(), before, 'nothing created');
});

test('containers.conf no_hosts is --no-hosts\' default', conf, () => {
  const before = containerCount();
  const c = confFile('nohosts', 'no_hosts = true');
  assert.equal(out(['--network', 'none', OWN, 'cat', '/etc/hosts'], c), '10.9.9.9 imagehost\n');
  const conflict = run(['--network', 'none', '--add-host', 'a:1.1.1.1', IMAGE, 'true'], c);
  assert.equal(conflict.code, 125);
  assert.equal(conflict.stderr, 'Error: --no-hosts and --add-host cannot be set together\n');
  assert.match(out(['--network', 'none', '--no-hosts=false', '--add-host', 'a:1.1.1.1', IMAGE, 'cat', '/etc/hosts'], c), /^1\.1\.1\.1\ta\n/);
  assert.equal(containerCount(), before, 'nothing created');
});

test('/etc/resolv.conf: none with --network none or --dns none (the image\'s stays); --dns options conflict with --network none', () => {
  assert.equal(run(['--network', 'none', IMAGE, 'sh', '-c', 'test -e /etc/resolv.conf || echo absent']).stdout, 'absent\n');
  assert.equal(out(['--network', 'none', OWN, 'cat', '/etc/resolv.conf']), 'nameserver 10.9.9.53\n');
  assert.equal(out(['--network', 'host', '--dns', 'none', OWN, 'cat', '/etc/resolv.conf']), 'nameserver 10.9.9.53\n');
  const dns = out(['--network', 'host', '--dns', '10.1.1.1', OWN, 'cat', '/etc/resolv.conf']);
  assert.match(dns, /^nameserver 10\.1\.1\.1$/m);
  assert.doesNotMatch(dns, /10\.9\.9\.53/);
  const before = containerCount();
  for (const flag of ['--dns=1.1.1.1', '--dns-search=example.com', '--dns-option=ndots:2', '--dns=none']) {
    const r = run(['--network', 'none', flag, IMAGE, 'true']);
    assert.equal(r.code, 125, flag);
    assert.equal(r.stderr, 'Error: conflicting options: dns and the network mode: none\n', flag);
  }
  assert.equal(containerCount(), before);
});

test('--chrootdirs: the container\'s /etc/hosts and /etc/resolv.conf also under each DIR/etc; inspect lists them', () => {
  const script = 'for d in /jail /other; do cmp /etc/hosts $d/etc/hosts && cmp /etc/resolv.conf $d/etc/resolv.conf && echo $d ok; done; test -e /jail/etc/hostname || echo no hostname';
  assert.equal(out(['--network', 'host', '--dns', '10.1.1.1', '--chrootdirs', '/jail', '--chrootdirs', '/other', IMAGE, 'sh', '-c', script]), '/jail ok\n/other ok\nno hostname\n');
  // Only the files the container gets: none here.
  assert.equal(out(['--network', 'none', '--no-hosts', '--chrootdirs', '/jail', IMAGE, 'sh', '-c', 'test -e /jail || echo absent']), 'absent\n');
  const id = ts.ok(['create', '--chrootdirs', '/a,/b', IMAGE, 'true']).trim();
  assert.equal(ts.ok(['inspect', '--format', '{{json .Config.ChrootDirs}}', id]).trim(), '["/a","/b"]');
  const plain = ts.ok(['create', IMAGE, 'true']).trim();
  assert.equal(ts.ok(['inspect', '--format', '{{json .Config.ChrootDirs}}', plain]).trim(), 'null');
  ts.ok(['rm', id, plain]);
});

test('--cgroup-conf: KEY=VALUE, and (on this cgroup v1 host) refused as podman does', () => {
  const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  const before = containerCount();
  const bad = run(['--cgroup-conf', 'memory.high', IMAGE, 'true']);
  assert.equal(bad.code, 125);
  assert.equal(bad.stderr, 'Error: --cgroup-conf must be formatted KEY=VALUE\n');
  if (!v2) {
    const r = run(['--cgroup-conf', 'memory.high=10000000', IMAGE, 'true']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: cannot use --cgroup-conf without cgroup v2\n');
  } else {
    assert.equal(out(['--cgroup-conf', 'memory.high=10000000', IMAGE, 'cat', '/sys/fs/cgroup/memory.high']), '9998336\n');
  }
  assert.equal(containerCount(), before);
});

function env(args: string[], image = IMAGE, confPath?: string): string[] {
  return out(['--network', 'none', '--hostname', 'box', ...args, image, '/bin/env'], confPath).trimEnd().split('\n').sort();
}

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

test('default environment: PATH, TERM=xterm, container, HOSTNAME, HOME; -t changes nothing; -e wins', () => {
  const want = ['HOME=/root', 'HOSTNAME=box', PATH, 'TERM=xterm', 'container=pier'];
  assert.deepEqual(env([]), want);
  assert.deepEqual(env(['-t']).map((l) => l.replace(/\r$/, '')), want);
  assert.deepEqual(env(['-e', 'TERM=dumb', '-e', 'HOSTNAME=h2']), ['HOME=/root', 'HOSTNAME=h2', PATH, 'TERM=dumb', 'container=pier']);
  // exec sees it too.
  ts.ok(['run', '-d', '--name', 'envexec', '--network', 'none', IMAGE, 'sleep', '60']);
  try {
    assert.equal(ts.ok(['exec', 'envexec', 'sh', '-c', 'echo $TERM']), 'xterm\n');
  } finally {
    ts.run(['rm', '-f', '-t', '0', 'envexec']);
  }
});

test('containers.conf env: under the image\'s ENV and the user\'s, values taken as written', conf, () => {
  const c = confFile('env', 'env = ["FOO=conf", "BAR=${HOME}x", "TERM=conf"]');
  assert.deepEqual(env([], IMAGE, c), ['BAR=${HOME}x', 'FOO=conf', 'HOME=/root', 'HOSTNAME=box', PATH, 'TERM=conf', 'container=pier']);
  assert.deepEqual(env(['-e', 'BAR=2'], OWN, c), ['BAR=2', 'FOO=img', 'HOME=/root', 'HOSTNAME=box', PATH, 'TERM=conf', 'X=1', 'container=pier']);
  assert.deepEqual(env(['--unsetenv-all'], OWN, c), ['HOME=/root', 'HOSTNAME=box']);
});

test('--unsetenv and --unsetenv-all drop defaults only (pier\'s, the image\'s), never -e; HOSTNAME and HOME stay', () => {
  assert.deepEqual(env(['--unsetenv-all']), ['HOME=/root', 'HOSTNAME=box']);
  assert.deepEqual(env(['--unsetenv-all', '-e', 'PATH=/bin', '-e', 'A=1'], OWN), ['A=1', 'HOME=/root', 'HOSTNAME=box', 'PATH=/bin']);
  assert.deepEqual(env(['--unsetenv', 'TERM', '--unsetenv', 'FOO', '--unsetenv', 'HOSTNAME', '--unsetenv', 'HOME', '-e', 'B=2', '--unsetenv', 'B'], OWN),
    ['B=2', 'HOME=/root', 'HOSTNAME=box', PATH, 'X=1', 'container=pier']);
});

test('--env-merge expands against the defaults, before --unsetenv and under -e; bad words fail before anything is created', () => {
  assert.deepEqual(env(['--env-merge', 'PATH=${PATH}:/x', '--env-merge', 'FOO=${FOO}-${TERM}', '--env-merge', 'NEW=${PATH}'], OWN),
    ['FOO=img-xterm', 'HOME=/root', 'HOSTNAME=box', `${PATH}:/x`, 'TERM=xterm', 'X=1', 'container=pier']);
  assert.deepEqual(env(['--env-merge', 'TERM=${PATH}', '--unsetenv', 'PATH', '-e', 'container=x']),
    ['HOME=/root', 'HOSTNAME=box', `TERM=${PATH.slice(5)}`, 'container=x']);
  const before = containerCount();
  const r = run(['--env-merge', 'PATH=${PATH', IMAGE, 'true']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, "Error: unable to process variables for --env-merge PATH=${PATH: Missing ':' in substitution: PATH=${PATH\n");
  assert.equal(containerCount(), before);
});

test('bridge network: host.containers.internal is the gateway; --network container:X shares X\'s /etc/hosts and resolv.conf while it runs', () => {
  ts.ok(['run', '-d', '--name', 'netx', '--add-host', 'db:10.0.0.5', IMAGE, 'sleep', '120']);
  try {
    const [gw, ip, id] = ts.ok(['inspect', '--format', '{{.NetworkSettings.Gateway}} {{.NetworkSettings.IPAddress}} {{.Id}}', 'netx']).trim().split(' ');
    const xHosts = ts.ok(['exec', 'netx', 'cat', '/etc/hosts']);
    assert.ok(xHosts.startsWith('10.0.0.5\tdb\n'), xHosts);
    assert.ok(xHosts.endsWith(`${gw}\thost.containers.internal\n${ip}\t${id.slice(0, 12)} netx\n`), xHosts);
    const xResolv = ts.ok(['exec', 'netx', 'cat', '/etc/resolv.conf']);

    ts.ok(['run', '-d', '--name', 'dep', '--network', 'container:netx', IMAGE, 'sleep', '120']);
    const depId = ts.ok(['inspect', '--format', '{{.Id}}', 'dep']).trim();
    const shared = `${xHosts}127.0.0.1\t${depId.slice(0, 12)} dep\n`;
    assert.equal(ts.ok(['exec', 'dep', 'cat', '/etc/hosts']), shared);
    assert.equal(ts.ok(['exec', 'netx', 'cat', '/etc/hosts']), shared, 'one file: X sees the entry too');
    assert.equal(ts.ok(['exec', 'dep', 'cat', '/etc/resolv.conf']), xResolv);
    ts.ok(['stop', '-t', '0', 'dep']);
    assert.equal(ts.ok(['exec', 'netx', 'cat', '/etc/hosts']), xHosts, 'the entry goes when dep stops');
    ts.ok(['rm', 'dep']);

    const before = containerCount();
    const dns = run(['--network', 'container:netx', '--dns', '1.1.1.1', IMAGE, 'true']);
    assert.equal(dns.code, 125);
    assert.equal(dns.stderr, 'Error: conflicting options: dns and the network mode: container\n');
    const add = run(['--network', 'container:netx', '--add-host', 'a:1.1.1.1', IMAGE, 'true']);
    assert.equal(add.code, 125);
    assert.equal(add.stderr, 'Error: invalid config provided: cannot set extra host entries when the container is joined to another containers network namespace: invalid configuration\n');
    assert.equal(containerCount(), before);
  } finally {
    ts.run(['rm', '-f', '-t', '0', 'dep', 'netx']);
  }
});

test('--network container:X where X has the host\'s network: the host\'s network, without the default net sysctl runc refuses there', () => {
  ts.ok(['run', '-d', '--name', 'hostnet', '--network', 'host', IMAGE, 'sleep', '120']);
  try {
    // The namespace's identity, not an interface count: parallel tests add and remove veths on the host.
    const r = run(['--network', 'container:hostnet', IMAGE, 'readlink', '/proc/self/ns/net']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), fs.readlinkSync('/proc/self/ns/net'), 'the container is in the host\'s network namespace');
  } finally {
    ts.run(['rm', '-f', '-t', '0', 'hostnet']);
  }
});
