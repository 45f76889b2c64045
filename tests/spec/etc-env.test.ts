// A container's /etc/hosts and /etc/resolv.conf (src/engine/etc-files.ts), the containers.conf
// keys behind them and the environment's --env-merge expansion: pure functions and files in a
// scratch directory, no container.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addSharedHostsEntry, buildHosts, formatHosts, hostContainersInternalIP, hostLocalIP, hostsFile, parseAddHost, parseHosts, readBaseHosts,
  removeSharedHostsEntry, resolvConf, writeEtcFiles, type EtcFilesOptions,
} from '../../src/engine/etc-files';
import { containersSettings, DEFAULT_CONTAINER_ENV } from '../../src/config/config';
import { applyEnvMerge, expandEnvWord } from '../../src/domain/local/env-merge';
import { PierError, UsageError } from '../../src/util/errors';
import { native } from '../../src/util/native';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-etc-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ID = 'd5d1744d71ba2ad5e5b6be37f1fd5e4e18b5c7b8f33bd6e4e6c0db3d2a8c5e11';

function opts(extra: Partial<EtcFilesOptions> = {}): EtcFilesOptions {
  return { dir: path.join(tmp, 'run'), id: ID, name: 'hh', image: 'img', imageId: 'x', hostname: 'd5d1744d71ba', hostNetwork: false, rootless: false, ...extra };
}

function write(name: string, text: string): string {
  const f = path.join(tmp, name);
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, text);
  return f;
}

test('--add-host: HOST:IP as podman 4.3 takes it (no host-gateway, no brackets)', () => {
  assert.deepEqual(parseAddHost('db:10.0.0.5'), { ip: '10.0.0.5', names: ['db'] });
  assert.deepEqual(parseAddHost('v6:::2'), { ip: '::2', names: ['v6'] });
  assert.deepEqual(parseAddHost('m:::ffff:1.2.3.4'), { ip: '::ffff:1.2.3.4', names: ['m'] });
  const bad: Array<[string, string]> = [
    ['foo', 'bad format for add-host: "foo"'],
    [':1.2.3.4', 'bad format for add-host: ":1.2.3.4"'],
    ['a:', 'invalid IP address in add-host: ""'],
    ['a:host-gateway', 'invalid IP address in add-host: "host-gateway"'],
    ['a:[::1]', 'invalid IP address in add-host: "[::1]"'],
    ['a:1.2.3.04', 'invalid IP address in add-host: "1.2.3.04"'],
    ['a:1.2.3.4:5', 'invalid IP address in add-host: "1.2.3.4:5"'],
  ];
  for (const [v, msg] of bad) assert.throws(() => parseAddHost(v), (e: Error) => e instanceof UsageError && e.message === msg, v);
});

test('a base hosts file: comments and nameless lines dropped, whitespace normalised', () => {
  const entries = parseHosts('# comment\n10.0.0.1   alpha  beta # trailing\n\n  10.0.0.2\tgamma\n10.0.0.9\nbad line\n');
  assert.deepEqual(entries, [
    { ip: '10.0.0.1', names: ['alpha', 'beta'] }, { ip: '10.0.0.2', names: ['gamma'] }, { ip: 'bad', names: ['line'] },
  ]);
  assert.equal(formatHosts(entries), '10.0.0.1\talpha beta\n10.0.0.2\tgamma\nbad\tline\n');
});

test('hosts order: --add-host, base, localhost when unnamed, host.containers.internal, own names not yet present', () => {
  const base = parseHosts('127.0.0.1 localhost\n127.0.0.1 vm\n');
  const own = [{ ip: '10.88.0.90', names: ['d5d1744d71ba', 'hh'] }];
  assert.equal(formatHosts(buildHosts({ base, hostContainersInternalIP: '10.88.0.1', own })),
    '127.0.0.1\tlocalhost\n127.0.0.1\tvm\n10.88.0.1\thost.containers.internal\n10.88.0.90\td5d1744d71ba hh\n');
  // --add-host entries come first; names they (or the base) give are not repeated; the base stays whole.
  const extra = ['hh:1.2.3.4', 'host.containers.internal:5.6.7.8', 'localhost:9.9.9.9'].map(parseAddHost);
  assert.equal(formatHosts(buildHosts({ extra, base, hostContainersInternalIP: '10.88.0.1', own })),
    '1.2.3.4\thh\n5.6.7.8\thost.containers.internal\n9.9.9.9\tlocalhost\n127.0.0.1\tlocalhost\n127.0.0.1\tvm\n10.88.0.90\td5d1744d71ba\n');
  // A base without localhost gets both; no entry at all once every own name is taken.
  assert.equal(formatHosts(buildHosts({ base: parseHosts('10.0.0.8 a b\n'), own: [{ ip: '10.0.0.3', names: ['a', 'b'] }] })),
    '10.0.0.8\ta b\n127.0.0.1\tlocalhost\n::1\tlocalhost\n');
  // Hostname equal to the name: podman writes it twice.
  assert.equal(formatHosts(buildHosts({ base, own: [{ ip: '127.0.0.1', names: ['hh', 'hh'] }] })).split('\n')[2], '127.0.0.1\thh hh');
});

test('base_hosts_file: the host\'s by default, none, a path, the image\'s; a missing one fails with podman\'s error (127)', () => {
  const hostBase = parseHosts(fs.readFileSync('/etc/hosts', 'utf8'));
  assert.deepEqual(readBaseHosts('', undefined, ID), hostBase);
  assert.deepEqual(readBaseHosts(undefined, undefined, ID), hostBase);
  assert.deepEqual(readBaseHosts('none', undefined, ID), []);
  assert.deepEqual(readBaseHosts(write('base', '10.1.1.1 one\n'), undefined, ID), [{ ip: '10.1.1.1', names: ['one'] }]);
  // "image": the rootfs's /etc/hosts, symlinks resolved inside the rootfs.
  const rootfs = path.join(tmp, 'rootfs');
  write('rootfs/srv/hosts', '10.2.2.2 two\n');
  fs.symlinkSync('/srv/hosts', path.join(tmp, 'rootfs/etc-hosts-link'));
  fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
  fs.symlinkSync('../etc-hosts-link', path.join(rootfs, 'etc/hosts'));
  assert.deepEqual(readBaseHosts('image', rootfs, ID), [{ ip: '10.2.2.2', names: ['two'] }]);
  const missing = path.join(tmp, 'nope');
  assert.throws(() => readBaseHosts(missing, undefined, ID), (e: Error) => e instanceof PierError && e.exitCode === 127
    && e.message === `creating hosts file for container ${ID}: failed to create new hosts file: open ${missing}: no such file or directory`);
  assert.throws(() => readBaseHosts('image', path.join(tmp, 'empty-rootfs'), ID), /failed to create new hosts file: open .*empty-rootfs\/etc\/hosts: no such file/);
});

test('host.containers.internal: containers.conf, else the first gateway (IPv4 first), else the host\'s address', () => {
  const host = () => '192.0.2.2';
  assert.equal(hostContainersInternalIP('none', ['10.88.0.1'], host), undefined);
  assert.equal(hostContainersInternalIP('1.2.3.4', ['10.88.0.1'], host), '1.2.3.4');
  assert.equal(hostContainersInternalIP('', ['fd00::1', '10.89.0.1', '10.88.0.1'], host), '10.89.0.1');
  assert.equal(hostContainersInternalIP('', ['fd00::1'], host), 'fd00::1');
  assert.equal(hostContainersInternalIP(undefined, [], host), '192.0.2.2');
});

test('the host\'s address: the addon\'s walk of the interfaces finds the IPv4 address os.networkInterfaces() gives first', () => {
  let first: string | null = null;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (first === null && !a.internal && a.family === 'IPv4' && !/^(0\.|169\.254\.)/.test(a.address) && a.address !== '255.255.255.255') first = a.address;
    }
  }
  assert.equal(native().localAddress(), first);
  if (first) assert.equal(hostLocalIP(), first);
});

test('writeEtcFiles: --no-hosts and no resolv.conf leave no file behind (nor one from an earlier start)', () => {
  const base = write('base2', '127.0.0.1 localhost\n');
  let files = writeEtcFiles(opts({ baseHostsFile: base, hostContainersInternalIP: '10.88.0.1', ownEntries: [{ ip: '127.0.0.1', names: ['d5d1744d71ba', 'hh'] }], addHost: ['db:10.0.0.5'] }));
  assert.equal(fs.readFileSync(files.hosts!, 'utf8'), '10.0.0.5\tdb\n127.0.0.1\tlocalhost\n10.88.0.1\thost.containers.internal\n127.0.0.1\td5d1744d71ba hh\n');
  assert.ok(fs.existsSync(files.resolvConf!));
  const hostsPath = files.hosts!;
  const resolvPath = files.resolvConf!;
  files = writeEtcFiles(opts({ noHosts: true, noResolvConf: true }));
  assert.equal(files.hosts, undefined);
  assert.equal(files.resolvConf, undefined);
  assert.equal(fs.existsSync(hostsPath), false);
  assert.equal(fs.existsSync(resolvPath), false);
  assert.equal(fs.readFileSync(files.hostname, 'utf8'), 'd5d1744d71ba', 'no newline, as podman 4.3 writes it');
  // The hosts file fails as a whole on a bad base.
  assert.throws(() => hostsFile(opts({ baseHostsFile: path.join(tmp, 'nope') })), /failed to create new hosts file/);
});

test('a shared /etc/hosts (--network container:X): own entry added with the names not there, then taken out', () => {
  const file = write('shared/hosts', '127.0.0.1\tlocalhost\n10.88.0.2\tinfra-host infra\n');
  const inode = fs.statSync(file).ino;
  const line = addSharedHostsEntry(file, { ip: '127.0.0.1', names: ['infra-host', 'm1'] });
  assert.equal(line, '127.0.0.1\tm1');
  assert.equal(fs.readFileSync(file, 'utf8'), '127.0.0.1\tlocalhost\n10.88.0.2\tinfra-host infra\n127.0.0.1\tm1\n');
  assert.equal(addSharedHostsEntry(file, { ip: '127.0.0.1', names: ['infra', 'm1'] }), undefined, 'every name known: nothing added');
  removeSharedHostsEntry(file, line!);
  assert.equal(fs.readFileSync(file, 'utf8'), '127.0.0.1\tlocalhost\n10.88.0.2\tinfra-host infra\n');
  assert.equal(fs.statSync(file).ino, inode, 'written in place: bind mounts keep seeing it');
});

test('containers.conf [containers]: env (podman\'s default PATH and TERM), base_hosts_file, host_containers_internal_ip, no_hosts', () => {
  const pick = ({ env, baseHostsFile, hostContainersInternalIP, noHosts }: ReturnType<typeof containersSettings>) => ({ env, baseHostsFile, hostContainersInternalIP, noHosts });
  assert.deepEqual(pick(containersSettings({ engine: {} })), { env: [...DEFAULT_CONTAINER_ENV], baseHostsFile: '', hostContainersInternalIP: '', noHosts: false });
  assert.deepEqual(DEFAULT_CONTAINER_ENV, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm']);
  assert.deepEqual(pick(containersSettings({ engine: { containers: { env: ['FOO=1'], base_hosts_file: 'image', host_containers_internal_ip: 'none', no_hosts: true } } })),
    { env: ['FOO=1'], baseHostsFile: 'image', hostContainersInternalIP: 'none', noHosts: true });
});

test('--env-merge words: $VAR, ${VAR}, :- and :+, quotes and escapes, podman\'s errors', () => {
  const vars = new Map([['PATH', '/bin'], ['TERM', 'xterm'], ['container', 'pier'], ['EMPTY', '']]);
  const cases: Array<[string, string]> = [
    ['PATH=${PATH}:/x', 'PATH=/bin:/x'], ['P=$PATH$TERM', 'P=/binxterm'], ['A=${NOPE}b', 'A=b'], ['A=$1x', 'A=x'], ['A=${}', 'A='],
    ['A=${PATH:-d}', 'A=/bin'], ['A=${EMPTY:-d}', 'A=d'], ['A=${NOPE:-a${container}b}', 'A=apierb'], ['A=${PATH:+y}', 'A=y'], ['A=${EMPTY:+y}', 'A='],
    ['A=a\\b\\\\c', 'A=ab\\c'], ['A="a\\b\\"c\\$d\\\\e"', 'A=a\\b"c$d\\e'], ["A='${PATH}'", 'A=${PATH}'], ['A="a b"\\$x', 'A=a b$x'],
    ['A=$', 'A=$'], ['A=$$', 'A=$$'], ['A=a   b', 'A=a   b'], ['A=${NOPE:-"x}y"}', 'A=x}y'],
  ];
  for (const [w, want] of cases) assert.equal(expandEnvWord(w, vars), want, w);
  const errors: Array<[string, string]> = [
    ['A=${PATH', "Missing ':' in substitution: A=${PATH"], ['A=${PATH-x}', "Missing ':' in substitution: A=${PATH-x}"],
    ['A=${PATH:?e}', 'Unsupported modifier (?) in substitution: A=${PATH:?e}'], ['A=${PATH:-x', 'unexpected end of statement while looking for matching }'],
    ['A="x', 'unexpected end of statement while looking for matching double-quote'], ["A='x", 'unexpected end of statement while looking for matching single-quote'],
  ];
  for (const [w, msg] of errors) {
    assert.throws(() => applyEnvMerge([], [w]), (e: Error) => e instanceof UsageError && e.message === `unable to process variables for --env-merge ${w}: ${msg}`, w);
  }
  assert.throws(() => applyEnvMerge([], ['PATH']), /^UsageError: unable to process variables for --env-merge PATH: must be KEY=VALUE$/);
});

test('--env-merge changes only variables the defaults set, in order, each seeing the ones before', () => {
  const env = ['PATH=/bin', 'TERM=xterm', 'container=pier'];
  assert.deepEqual(applyEnvMerge(env, ['PATH=${PATH}:/x', 'NEW=${PATH}', 'TERM=a', 'container=${TERM}-${container}']),
    ['PATH=/bin:/x', 'TERM=a', 'container=a-pier']);
  assert.deepEqual(applyEnvMerge(env, ['PATH=a=b']), ['PATH=a=b', 'TERM=xterm', 'container=pier']);
});

test('resolv.conf by podman 4.3\'s rules: given servers replace all, else the networks\' resolvers then the host\'s', () => {
  const host = write('host-resolv.conf', '# comment\nsearch a.example b.example\nnameserver 127.0.0.53\nnameserver 10.1.1.1 # x\nnameserver fd00::1\noptions ndots:2\noptions timeout:1\n');
  const r = (o: Partial<Parameters<typeof resolvConf>[0]>) => resolvConf({ hostNetwork: false, hostResolvConf: host, ...o });
  // the host's, less its loopback resolvers and (without IPv6) its IPv6 ones; the last options line
  assert.equal(r({}), 'search a.example b.example\nnameserver 10.1.1.1\noptions timeout:1\n');
  assert.equal(r({ ipv6: true }), 'search a.example b.example\nnameserver 10.1.1.1\nnameserver fd00::1\noptions timeout:1\n');
  assert.equal(r({ hostNetwork: true }), 'search a.example b.example\nnameserver 127.0.0.53\nnameserver 10.1.1.1\nnameserver fd00::1\noptions timeout:1\n');
  // host servers kept: given search domains and options go first, the host's follow
  assert.equal(r({ dnsSearch: ['x'] }), 'search x a.example b.example\nnameserver 10.1.1.1\noptions timeout:1\n');
  assert.equal(r({ dnsOption: ['y'] }), 'search a.example b.example\nnameserver 10.1.1.1\noptions y timeout:1\n');
  assert.equal(r({ dnsSearch: ['.'] }), 'nameserver 10.1.1.1\noptions timeout:1\n');
  // given servers: no host server; given search domains replace the host's
  assert.equal(r({ dns: ['1.1.1.1'] }), 'search a.example b.example\nnameserver 1.1.1.1\noptions timeout:1\n');
  assert.equal(r({ dns: ['1.1.1.1'], dnsSearch: ['x'] }), 'search x\nnameserver 1.1.1.1\noptions timeout:1\n');
  assert.equal(r({ dns: ['1.1.1.1'], dnsSearch: ['x'], dnsOption: ['y'] }), 'search x\nnameserver 1.1.1.1\noptions y\n');
  // aardvark-dns: its servers and dns.podman first, the host's after; given servers or search domains replace them
  const networkDNS = { servers: ['10.89.3.1'], search: ['dns.podman'] };
  assert.equal(r({ networkDNS }), 'search dns.podman a.example b.example\nnameserver 10.89.3.1\nnameserver 10.1.1.1\noptions timeout:1\n');
  assert.equal(r({ networkDNS, dnsSearch: ['example.com'] }), 'search example.com a.example b.example\nnameserver 10.89.3.1\nnameserver 10.1.1.1\noptions timeout:1\n');
  assert.equal(r({ networkDNS, dns: ['1.1.1.1', '100.100.100.100'], dnsSearch: ['example.com'] }), 'search example.com\nnameserver 1.1.1.1\nnameserver 100.100.100.100\noptions timeout:1\n');
  // only loopback resolvers left: Google's public ones, as podman
  const local = write('host-local.conf', 'nameserver 127.0.0.1\nnameserver ::1\n');
  assert.equal(resolvConf({ hostNetwork: false, hostResolvConf: local }), 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  assert.equal(resolvConf({ hostNetwork: false, hostResolvConf: local, ipv6: true }),
    'nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n');
  assert.equal(resolvConf({ hostNetwork: true, hostResolvConf: local }), 'nameserver 127.0.0.1\nnameserver ::1\n');
});
