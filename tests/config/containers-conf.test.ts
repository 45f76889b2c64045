// containers.conf as podman 4.3 reads it: which files (CONTAINERS_CONF alone, drop-in
// directories, a missing CONTAINERS_CONF), the parsed [containers]/[engine] settings, and real
// containers created under a containers.conf: their inspect output, OCI spec and what the
// process sees. In remote mode the service's containers.conf applies, not the client's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { busyboxStore, PIER, REMOTE, TestStore } from '../helpers/cli';
import { containersConfFiles, containersSettings, resolveConfig, BUILTIN_DEFAULT_CAPABILITIES } from '../../src/config/config';
import type { UserDirs } from '../../src/config/paths';

const IMAGE = 'localhost/busybox:latest';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-conf-'));
const VOL = path.join(tmp, 'vol');
/** The containers.conf every command of the store's tests runs with (the service's in remote mode). */
const CONF = path.join(tmp, 'containers.conf');
/** Another one, given to the client only (remote mode: ignored). */
const CLIENT_CONF = path.join(tmp, 'client.conf');
let ts: TestStore;

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

before(async () => {
  write(path.join(VOL, 'f'), 'from-conf-volume\n');
  write(CONF, `[containers]
default_capabilities = ["CHOWN", "net_raw", "CAP_KILL"]
default_sysctls = ["net.ipv4.ip_forward=1"]
default_ulimits = ["nofile=1234:2345", "nproc=2000:3000"]
pids_limit = 99
shm_size = "32m"
tz = "Asia/Tokyo"
umask = "0027"
dns_servers = ["10.7.7.7"]
dns_searches = ["conf.example"]
dns_options = ["ndots:3"]
annotations = ["conf.ann=yes", "both=conf"]
volumes = ["${VOL}:/confvol:ro"]
env = ["CONFENV=1"]
http_proxy = true

[engine]
stop_timeout = 33
`);
  write(CLIENT_CONF, '[containers]\ntz = "Europe/Paris"\numask = "0077"\n');
  // Every pier process of the store (and the service it starts in remote mode) reads CONF.
  process.env.CONTAINERS_CONF = CONF;
  process.env.http_proxy = 'http://proxy.example:3128';
  ts = await busyboxStore();
});
after(() => {
  ts?.run(['rm', '-a', '-f', '-t', '0']);
  ts?.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function pier(args: string[], env: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [PIER, ...args], { env: { ...process.env, NODE_EXTRA_CA_CERTS: '', ...env }, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('CONTAINERS_CONF alone is read; without it the system files, drop-ins (sorted *.conf) and the user\'s', () => {
  const home = path.join(tmp, 'home');
  const dirs: UserDirs = { uid: 1000, rootless: true, home, dataDir: '/x', runDir: '/y', configDir: path.join(home, '.config/pier') };
  const user = write(path.join(home, '.config/containers/containers.conf'), '[containers]\ntz = "user"\n');
  const b = write(path.join(home, '.config/containers/containers.conf.d/20-b.conf'), '[containers]\ntz = "b"\n');
  const a = write(path.join(home, '.config/containers/containers.conf.d/10-a.conf'), '[containers]\numask = "0077"\n');
  write(path.join(home, '.config/containers/containers.conf.d/30-c.txt'), '[containers]\ntz = "ignored"\n');
  fs.mkdirSync(path.join(home, '.config/containers/containers.conf.d/40-dir.conf'), { recursive: true });
  const env = { HOME: home } as NodeJS.ProcessEnv;
  const files = containersConfFiles(dirs, env);
  assert.deepEqual(files.slice(0, 2), ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf']);
  assert.deepEqual(files.slice(-4), [user, a, b, path.join(home, '.config/pier/containers.conf')]);
  assert.deepEqual(containersConfFiles(dirs, { ...env, CONTAINERS_CONF: a }), [a]);

  // Merged key by key, later files winning; with CONTAINERS_CONF only its keys (podman's built-in defaults for the rest).
  const cfg = resolveConfig({ root: '/x', runroot: '/y' }, { ...env, CONTAINERS_CONF: a });
  assert.deepEqual(cfg.configFiles, [a]);
  const s = containersSettings(cfg);
  assert.equal(s.umask, '0077');
  assert.equal(s.tz, '');
  assert.deepEqual(s.capabilities, BUILTIN_DEFAULT_CAPABILITIES);
  assert.equal(BUILTIN_DEFAULT_CAPABILITIES.length, 14);
  for (const c of ['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW']) assert.ok(s.capabilities.includes(c), c);
});

test('containers.conf values: podman\'s defaults, parsed and checked once', () => {
  const d = containersSettings({ engine: {} });
  assert.equal(d.pidsLimit, 2048);
  assert.equal(d.httpProxy, true);
  assert.deepEqual(d.sysctls, ['net.ipv4.ping_group_range=0 0']);
  assert.equal(d.logSizeMax, -1);
  assert.equal(d.shmSize, undefined);
  const s = containersSettings({ engine: { containers: { shm_size: '32m', default_capabilities: ['chown', 'CAP_KILL'], annotations: ['a=1', 'b'], http_proxy: false }, engine: { stop_timeout: 3, pull_policy: 'IfNewer' } } });
  assert.equal(s.shmSize, 32_000_000, 'decimal units, as podman reads shm_size');
  assert.deepEqual(s.capabilities, ['CAP_CHOWN', 'CAP_KILL']);
  assert.deepEqual(s.annotations, { a: '1', b: '' });
  assert.equal(s.httpProxy, false);
  assert.equal(s.stopTimeout, 3);
  assert.equal(s.pullPolicy, 'newer');
  assert.throws(() => containersSettings({ engine: { containers: { umask: '999' } } }), /invalid umask/);
  assert.throws(() => containersSettings({ engine: { containers: { log_size_max: 100 } } }), /log size max should be negative or >= 8192/);
});

test('a missing CONTAINERS_CONF stops every command with podman\'s message and exit 1', () => {
  for (const args of [['ps'], ['version']]) {
    const r = pier(args, { CONTAINERS_CONF: path.join(tmp, 'nonexistent.conf') });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`level=error msg="finding config on system: CONTAINERS_CONF file: stat ${tmp}/nonexistent.conf: no such file or directory"$`));
  }
});

test('--config is ignored with a warning, as podman 4.3\'s (Docker compatibility)', () => {
  const r = ts.run(['--config', path.join(tmp, 'nonexistent'), 'ps', '-a', '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /The --config flag is ignored by pier\. Exists for Docker compatibility/);
});

test('a container gets the [containers] defaults: capabilities, ulimits, resolv.conf, umask, tz, volumes, env, proxy, shm, sysctls, pids', () => {
  const out = ts.ok(['run', '--rm', IMAGE, 'sh', '-c', [
    'grep -E "^Cap(Bnd|Eff)" /proc/self/status', 'ulimit -n', 'ulimit -Hn', 'ulimit -u', 'cat /etc/resolv.conf', 'umask', 'date +%Z',
    'cat /confvol/f', 'env | grep -E "^(CONFENV|http_proxy)=" | sort', 'df -k /dev/shm | tail -1', 'cat /proc/sys/net/ipv4/ip_forward',
  ].join('; ')]);
  // CHOWN (0), KILL (5), NET_RAW (13).
  const caps = (1n << 0n) | (1n << 5n) | (1n << 13n);
  const want = caps.toString(16).padStart(16, '0');
  assert.match(out, new RegExp(`CapEff:\\t${want}\\nCapBnd:\\t${want}\\n`));
  assert.match(out, /\n1234\n2345\n2000\n/);
  assert.match(out, /search conf\.example\nnameserver 10\.7\.7\.7\noptions ndots:3\n/);
  assert.match(out, /\n0027\nJST\nfrom-conf-volume\nCONFENV=1\nhttp_proxy=http:\/\/proxy\.example:3128\n/);
  assert.match(out, /shm\s+3125\d\s/, '32m is 32000000 bytes (tmpfs rounds up to pages)');
  assert.match(out, /\n1\n$/);
});

test('flags win over containers.conf: --cap-drop/--cap-add on its set, --ulimit, --dns (after the conf\'s), --umask, --tz, -v, --annotation, --http-proxy=false', () => {
  const out = ts.ok(['run', '--rm', '--cap-drop', 'kill', '--cap-add', 'sys_admin', '--ulimit', 'nofile=500:600', '--dns', '10.8.8.8', '--umask', '0002', '--tz', 'UTC',
    '-v', `${VOL}:/confvol:rw`, '--http-proxy=false', IMAGE, 'sh', '-c',
    'grep CapBnd /proc/self/status; ulimit -n; ulimit -u; grep nameserver /etc/resolv.conf; umask; date +%Z; touch /confvol/w && echo rw; env | grep -c proxy; true']);
  const caps = (1n << 0n) | (1n << 13n) | (1n << 21n);
  assert.match(out, new RegExp(`CapBnd:\\t${caps.toString(16).padStart(16, '0')}\\n`));
  // --ulimit replaces default_ulimits: nproc is the engine's default again.
  assert.match(out, /\n500\n/);
  assert.doesNotMatch(out, /\n2000\n/);
  assert.match(out, /nameserver 10\.7\.7\.7\nnameserver 10\.8\.8\.8\n/);
  assert.match(out, /\n0002\nUTC\nrw\n0\n$/);
  fs.rmSync(path.join(VOL, 'w'), { force: true });
});

test('inspect and the OCI spec show the containers.conf values, as podman\'s', () => {
  const id = ts.ok(['create', '--annotation', 'both=flag', IMAGE, 'true']).trim();
  ts.ok(['start', id]);
  const c = JSON.parse(ts.ok(['inspect', id]))[0];
  assert.equal(c.HostConfig.ShmSize, 32_000_000);
  assert.equal(c.HostConfig.PidsLimit, 99);
  assert.deepEqual(c.HostConfig.Ulimits, [{ Name: 'RLIMIT_NOFILE', Soft: 1234, Hard: 2345 }, { Name: 'RLIMIT_NPROC', Soft: 2000, Hard: 3000 }]);
  assert.equal(c.Config.StopTimeout, 33);
  assert.equal(c.Config.Timezone, 'Asia/Tokyo');
  assert.equal(c.Config.Umask, '0027');
  assert.equal(c.Config.Annotations['conf.ann'], 'yes');
  assert.equal(c.Config.Annotations.both, 'flag');
  assert.deepEqual(c.EffectiveCaps, ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW']);
  assert.ok(c.HostConfig.Binds.some((b: string) => b.startsWith(`${VOL}:/confvol:ro`)), JSON.stringify(c.HostConfig.Binds));
  if (!REMOTE) {
    const spec = JSON.parse(fs.readFileSync(c.OCIConfigPath, 'utf8'));
    assert.equal(spec.linux.sysctl['net.ipv4.ip_forward'], '1');
    assert.equal(spec.linux.sysctl['net.ipv4.ping_group_range'], undefined, 'default_sysctls replaces the built-in default');
    assert.equal(spec.linux.resources.pids.limit, 99);
    assert.equal(spec.annotations['conf.ann'], 'yes');
    assert.equal(spec.process.user.umask, 0o027);
    // As podman's, /dev/shm binds the container's shm tmpfs on the host (its size, shm_size, is
    // checked from inside a container above).
    const shm = spec.mounts.find((m: { destination: string }) => m.destination === '/dev/shm');
    assert.equal(shm.type, 'bind');
    assert.equal(shm.source, path.join(path.dirname(c.OCIConfigPath), 'shm'));
  }
});

test('namespaces from containers.conf (host), and http_proxy=false', () => {
  const conf = write(path.join(tmp, 'ns.conf'), '[containers]\nnetns = "host"\npidns = "host"\nutsns = "host"\nipcns = "host"\nhttp_proxy = false\n');
  // The conf must be the engine's: locally the command's own; in remote mode this store's service reads CONF, so run locally.
  const r = pier([...ts.localArgs(), 'run', '--name', 'nsconf', IMAGE, 'sh', '-c', 'hostname; env | grep -c proxy; true'], { CONTAINERS_CONF: conf });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${os.hostname()}\n0\n`);
  const c = JSON.parse(pier([...ts.localArgs(), 'inspect', 'nsconf'], { CONTAINERS_CONF: conf }).stdout)[0];
  assert.equal(c.HostConfig.NetworkMode, 'host');
  assert.equal(c.HostConfig.PidMode, 'host');
  // podman 4.3.1 reports any IPC mode but container:ID and ns:PATH as "shareable" (the namespace is the host's: see the spec).
  assert.equal(c.HostConfig.IpcMode, 'shareable');
  assert.equal(c.HostConfig.UTSMode, 'host');
  const spec = JSON.parse(fs.readFileSync(c.OCIConfigPath, 'utf8'));
  assert.deepEqual(spec.linux.namespaces.map((n: { type: string }) => n.type), ['mount']);
});

test('remote mode: the service\'s containers.conf applies, not the client\'s', () => {
  const id = ts.ok(['create', IMAGE, 'true'], { env: { CONTAINERS_CONF: CLIENT_CONF } }).trim();
  const c = JSON.parse(ts.ok(['inspect', id]))[0];
  if (REMOTE) {
    assert.equal(c.Config.Timezone, 'Asia/Tokyo');
    assert.equal(c.Config.Umask, '0027');
  } else {
    assert.equal(c.Config.Timezone, 'Europe/Paris');
    assert.equal(c.Config.Umask, '0077');
    assert.equal(c.HostConfig.PidsLimit, 2048, 'only CLIENT_CONF is read');
  }
});
