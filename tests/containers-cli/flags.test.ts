// `run`/`create` flags: parsing the command line into CreateOptions (pure, no engine).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, CommandDef, OLD_FLAG_NAMES } from '../../src/cli/parser';
import { createFlags, parseCreateOptions, FlagValueError, parseRAM, splitCSV, RunKind, ParsedCreate } from '../../src/cli/commands/container-flags';
import { PierError } from '../../src/util/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-flags-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function root(kind: RunKind): CommandDef {
  return { name: 'pier', summary: '', subcommands: [{ name: kind, summary: '', flags: createFlags(kind), flagAliases: OLD_FLAG_NAMES, interspersed: false, run: () => 0 }] };
}

/** Parse `pier <kind> ARGV` with the real parser, then into CreateOptions. */
function p(argv: string[], kind: RunKind = 'run', env: NodeJS.ProcessEnv = {}): ParsedCreate {
  const r = parse(root(kind), [kind, ...argv]);
  return parseCreateOptions(kind, r.args, { ...r.opts, changed: r.changed }, env);
}

function err(argv: string[], re: RegExp, kind: RunKind = 'run'): PierError {
  try {
    p(argv, kind);
  } catch (e) {
    assert.ok(e instanceof PierError, `not a PierError: ${e}`);
    assert.match((e as Error).message, re);
    return e as PierError;
  }
  assert.fail(`expected ${argv.join(' ')} to fail with ${re}`);
}

describe('run/create flag parsing', () => {
  test('podman\'s old flag names still work: --net, --dns-opt, --healthcheck-*', () => {
    const c = p(['--net', 'none', '--dns-opt', 'ndots:2', '--healthcheck-command', 'true', '--healthcheck-retries', '5', 'img']).create;
    assert.deepEqual(c.networks, ['none']);
    assert.deepEqual(c.dnsOption, ['ndots:2']);
    assert.deepEqual(c.healthcheck, p(['--health-cmd', 'true', '--health-retries', '5', 'img']).create.healthcheck);
    assert.ok(c.healthcheck);
  });

  test('image, command and flags after the image belong to the container', () => {
    const r = p(['-d', '--name', 'web', 'alpine', 'ls', '-l', '--all']);
    assert.equal(r.create.image, 'alpine');
    assert.deepEqual(r.create.command, ['ls', '-l', '--all']);
    assert.equal(r.create.name, 'web');
    assert.equal(r.detach, true);
    assert.equal(r.sigProxy, true);
    assert.equal(r.detachKeys, 'ctrl-p,ctrl-q');
  });

  test('no image: podman\'s argument error', () => {
    err([], /^requires at least 1 arg\(s\), only received 0$/);
  });

  test('defaults leave options unset', () => {
    const c = p(['img']).create;
    assert.deepEqual(Object.keys(c).sort(), ['command', 'image']);
  });

  test('-i -t --rm --rmi --replace --privileged --read-only --init', () => {
    const r = p(['-it', '--rm', '--rmi', '--replace', '--privileged', '--read-only', '--init', '--init-path', '/usr/bin/tini', 'img']);
    const c = r.create;
    assert.equal(c.interactive, true);
    assert.equal(c.tty, true);
    assert.equal(c.rm, true);
    assert.equal(c.rmi, true);
    assert.equal(r.rmi, true);
    assert.equal(c.replace, true);
    assert.equal(c.privileged, true);
    assert.equal(c.readOnly, true);
    assert.equal(c.readOnlyTmpfs, true);
    assert.equal(c.init, true);
    assert.equal(c.initPath, '/usr/bin/tini');
    assert.equal(p(['--read-only', '--read-only-tmpfs=false', 'img']).create.readOnlyTmpfs, false);
  });

  test('environment: KEY=V, KEY from host, PREFIX* wildcard, --env-host, --env-file order', () => {
    const envFile = path.join(tmp, 'env');
    fs.writeFileSync(envFile, '# comment\n\nFROMFILE=1\nHOSTONLY\n  SPACED=x y\nOVER=file\n');
    const host = { HOSTONLY: 'h', FOO_A: '1', FOO_B: '2', BAR: 'b' };
    const c = p(['-e', 'A=1', '-e', 'HOSTONLY', '-e', 'MISSING', '-e', 'FOO_*', '--env-file', envFile, '-e', 'OVER=flag', 'img'], 'run', host).create;
    assert.deepEqual(c.env, ['FROMFILE=1', 'HOSTONLY=h', 'SPACED=x y', 'OVER=file', 'A=1', 'HOSTONLY=h', 'FOO_A=1', 'FOO_B=2', 'OVER=flag']);
    const h = p(['--env-host', 'img'], 'run', host).create;
    assert.equal(h.envHost, true);
    assert.deepEqual(h.env, ['HOSTONLY=h', 'FOO_A=1', 'FOO_B=2', 'BAR=b']);
    err(['--env-file', path.join(tmp, 'nope'), 'img'], /^parsing env file ".*nope": open .*nope: no such file or directory$/);
    assert.deepEqual(p(['--unsetenv', 'PATH', 'img']).create.unsetEnv, ['PATH']);
    const u = p(['--unsetenv-all', '--env-merge', 'PATH=${PATH}:/x', '--env-merge', 'A=b,c', 'img']).create;
    assert.equal(u.unsetEnvAll, true);
    assert.deepEqual(u.envMerge, ['PATH=${PATH}:/x', 'A=b,c']);
    assert.equal(p(['--unsetenv-all=false', 'img']).create.unsetEnvAll, undefined);
  });

  test('labels, label files and annotations', () => {
    const lf = path.join(tmp, 'labels');
    fs.writeFileSync(lf, 'a=file\n# c\nflag\nb=2\n');
    const c = p(['-l', 'a=flag', '--label', 'x', '--label-file', lf, '--annotation', 'k=v,k2=v2', 'img']).create;
    assert.deepEqual(c.labels, { a: 'flag', flag: '', b: '2', x: '' });
    assert.deepEqual(c.annotations, { k: 'v', k2: 'v2' });
    err(['-l', '', 'img'], /^unable to process labels: invalid label format: ""$/);
    err(['--label-file', '/nonexistent/x', 'img'], /^unable to process labels: open \/nonexistent\/x: no such file or directory$/);
    err(['--annotation', 'foo', 'img'], /^annotations must be formatted KEY=VALUE$/);
  });

  test('--entrypoint: plain string, JSON array, empty clears', () => {
    assert.deepEqual(p(['--entrypoint', '/bin/sh', 'img']).create.entrypoint, ['/bin/sh']);
    assert.deepEqual(p(['--entrypoint', '["/bin/sh","-c"]', 'img']).create.entrypoint, ['/bin/sh', '-c']);
    assert.deepEqual(p(['--entrypoint', '[1', 'img']).create.entrypoint, ['[1']);
    assert.deepEqual(p(['--entrypoint', '', 'img']).create.entrypoint, []);
    assert.equal(p(['img']).create.entrypoint, undefined);
  });

  test('user, workdir, hostname, group-add', () => {
    const c = p(['-u', '1000:1000', '-w', '/srv', '-h', 'box', '--group-add', 'wheel,audio', 'img']).create;
    assert.equal(c.user, '1000:1000');
    assert.equal(c.workdir, '/srv');
    assert.equal(c.hostname, 'box');
    assert.deepEqual(c.groupAdd, ['wheel', 'audio']);
    err(['-w', 'rel', 'img'], /^workdir "rel" must be an absolute path$/);
  });

  test('--passwd (run only), --passwd-entry, --hostuser', () => {
    let c = p(['--passwd=false', '--passwd-entry', '$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false', '--hostuser', 'daemon,bin', '--hostuser', '1', 'img']).create;
    assert.equal(c.passwd, false);
    assert.equal(c.passwdEntry, '$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false');
    assert.deepEqual(c.hostUsers, ['daemon', 'bin', '1']);
    c = p(['--passwd', '--passwd-entry', '', 'img']).create;
    assert.deepEqual(Object.keys(c).sort(), ['command', 'image']);
    assert.deepEqual(p(['--hostuser', 'daemon', 'img'], 'create').create.hostUsers, ['daemon']);
    assert.throws(() => p(['--passwd=false', 'img'], 'create'), /unknown flag: --passwd/);
  });

  test('volumes, mounts and tmpfs are validated and passed through', () => {
    const c = p(['-v', '/tmp:/data:ro,z', '-v', 'named:/v', '-v', '/anon', '--mount', 'type=bind,src=/tmp,dst=/m,ro', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', '--tmpfs', '/run:size=64k,mode=1777', 'img']).create;
    assert.deepEqual(c.volumes, ['/tmp:/data:ro,z', 'named:/v', '/anon']);
    assert.deepEqual(c.mounts, ['type=bind,src=/tmp,dst=/m,ro', 'type=tmpfs,target=/t,tmpfs-size=1m']);
    assert.deepEqual(c.tmpfs, ['/run:size=64k,mode=1777']);
    err(['-v', ':/x', 'img'], /^host directory cannot be empty$/);
    err(['-v', '/tmp:rel', 'img'], /^invalid container path "rel", must be an absolute path$/);
    err(['-v', '/tmp:/x:bogus', 'img'], /^invalid option type "bogus"$/);
    err(['-v', '/tmp:/x:ro:rw', 'img'], /incorrect volume format, should be \[host-dir:\]ctr-dir\[:option\]$/);
    err(['--mount', 'type=foo,dst=/x', 'img'], /^invalid filesystem type "foo"$/);
    err(['--mount', 'src=/x', 'img'], /^incorrect mount format: should be --mount type=<bind\|tmpfs\|volume>/);
    err(['--mount', 'type=bind,src=/tmp,dst=/x,foo=bar', 'img'], /^foo: invalid mount option$/);
    err(['--mount', 'type=volume,dst=x', 'img'], /^invalid container path "x", must be an absolute path$/);
    err(['--tmpfs', 'relative', 'img'], /^invalid container path "relative", must be an absolute path$/);
  });

  test('--volumes-from is repeatable and keeps commas (a StringArray), options checked at create', () => {
    const c = p(['--volumes-from', 'a', '--volumes-from', 'b:ro,z', '--volumes-from', 'c,d', 'img']).create;
    assert.deepEqual(c.volumesFrom, ['a', 'b:ro,z', 'c,d']);
    assert.equal(p(['img']).create.volumesFrom, undefined);
  });

  test('--requires takes comma-separated containers, repeatable', () => {
    assert.deepEqual(p(['--requires', 'db,cache', '--requires', 'web', 'img']).create.requires, ['db', 'cache', 'web']);
    assert.equal(p(['--requires', '', 'img']).create.requires, undefined);
  });

  test('--timeout is seconds, 0 means none', () => {
    assert.equal(p(['--timeout', '30', 'img']).create.timeout, 30);
    assert.equal(p(['--timeout', '0', 'img']).create.timeout, undefined);
    const e = err(['--timeout', '-1', 'img'], /^invalid argument "-1" for "--timeout" flag: strconv\.ParseUint: parsing "-1": invalid syntax$/);
    assert.ok(e instanceof FlagValueError);
  });

  test('network flags', () => {
    const c = p(['--network', 'none', '--add-host', 'db:10.0.0.2,h2:::1', '--dns', '1.1.1.1', '--dns-search', 'example.com', '--dns-option', 'ndots:2', 'img']).create;
    assert.equal(c.network, 'none');
    assert.deepEqual(c.addHost, ['db:10.0.0.2', 'h2:::1']);
    assert.deepEqual(c.dns, ['1.1.1.1']);
    assert.deepEqual(c.dnsSearch, ['example.com']);
    assert.deepEqual(c.dnsOption, ['ndots:2']);
    assert.equal(p(['--net', 'host', 'img']).create.network, 'host');
    assert.equal(p(['--network', 'container:abc', 'img']).create.network, 'container:abc');
    assert.equal(p(['--network', 'ns:/proc/1/ns/net', 'img']).create.network, 'ns:/proc/1/ns/net');
    err(['--add-host', 'bad', 'img'], /^bad format for add-host: "bad"$/);
    // podman 4.3 knows no host-gateway and takes IPv6 addresses without brackets.
    err(['--add-host', 'gw:host-gateway', 'img'], /^invalid IP address in add-host: "host-gateway"$/);
    err(['--add-host', 'v6:[::1]', 'img'], /^invalid IP address in add-host: "\[::1\]"$/);
    assert.equal(p(['--no-hosts', 'img']).create.noHosts, true);
    assert.equal(p(['--no-hosts=false', '--add-host', 'a:1.1.1.1', 'img']).create.noHosts, false);
    assert.equal(p(['img']).create.noHosts, undefined, 'unset: containers.conf no_hosts decides');
    err(['--no-hosts', '--add-host', 'a:1.1.1.1', 'img'], /^--no-hosts and --add-host cannot be set together$/);
    err(['--dns', 'bad', 'img'], /^bad is not an ip address$/);
    err(['--network', 'foo:bar', 'img'], /^invalid option for network foo: unknown bridge network option: bar$/);
    // podman 4.3: a first --network without options may name several networks with commas.
    assert.deepEqual(p(['--network', 'n1,n2', '--network', 'n3', 'img']).create.networks, ['n1', 'n2', 'n3']);
    assert.deepEqual(p(['--network', 'n1:ip=10.1.0.5', 'img']).create.networks, ['n1:ip=10.1.0.5']);
  });

  test('--ip/--ip6: an address, on a single bridge network (podman 4.3 wording)', () => {
    const c = p(['--network', 'n6', '--ip', '10.0.0.5', '--ip6', 'fd00::5', 'img']).create;
    assert.equal(c.ip, '10.0.0.5');
    assert.equal(c.ip6, 'fd00::5');
    assert.equal(p(['--ip6', 'fd00::5', 'img']).create.ip6, 'fd00::5', 'the default network is a bridge');
    assert.equal(p(['--network', 'bridge', '--ip6', 'fd00::5', 'img']).create.ip6, 'fd00::5');
    assert.equal(p(['--network', 'n6:alias=a', '--ip6', 'fd00::5', 'img']).create.ip6, 'fd00::5');
    assert.equal(p(['--ip6', '', 'img']).create.ip6, undefined);
    err(['--ip6', 'foo', 'img'], /^"foo" is not an ip address$/);
    err(['--ip6', 'fe80::1%eth0', 'img'], /^"fe80::1%eth0" is not an ip address$/);
    err(['--ip', 'foo', 'img'], /^"foo" is not an ip address$/);
    // --ip is parsed and checked before --ip6; the address before the network mode.
    err(['--network', 'none', '--ip6', 'foo', '--ip', 'bar', 'img'], /^"bar" is not an ip address$/);
    err(['--network', 'none', '--ip', '10.0.0.1', '--ip6', 'foo', 'img'], /^--ip can only be set when the network mode is bridge: invalid argument$/);
    for (const mode of ['none', 'host', 'private', 'slirp4netns', 'container:abc', 'ns:/proc/1/ns/net']) {
      err(['--network', mode, '--ip6', 'fd00::5', 'img'], /^--ip6 can only be set when the network mode is bridge: invalid argument$/);
    }
    err(['--network', 'a', '--network', 'b', '--ip6', 'fd00::5', 'img'], /^--ip6 can only be set for a single network: invalid argument$/);
    err(['--network', 'a', '--network', 'b', '--ip', '10.0.0.5', 'img'], /^--ip can only be set for a single network: invalid argument$/);
  });

  test('--restart policies', () => {
    assert.deepEqual(p(['--restart', 'always', 'img']).create.restart, { name: 'always', maximumRetryCount: 0 });
    assert.deepEqual(p(['--restart', 'on-failure:3', 'img']).create.restart, { name: 'on-failure', maximumRetryCount: 3 });
    assert.deepEqual(p(['--restart', 'no', 'img']).create.restart, { name: 'no', maximumRetryCount: 0 });
    assert.deepEqual(p(['--restart', 'unless-stopped', 'img']).create.restart, { name: 'unless-stopped', maximumRetryCount: 0 });
    err(['--restart', 'foo', 'img'], /^running container create option: "foo" is not a valid restart policy: invalid argument$/);
    err(['--restart', 'on-failure:x', 'img'], /^parsing restart policy retry count: strconv.Atoi: parsing "x": invalid syntax$/);
    err(['--restart', 'always:3', 'img'], /^restart policy retries can only be specified with on-failure restart policy$/);
    err(['--rm', '--restart', 'always', 'img'], /^the --rm option conflicts with --restart/);
    assert.equal(p(['--rm', '--restart', 'no', 'img']).create.rm, true);
  });

  test('resources: memory units, swap, cpus, shares, pids, ulimits, shm', () => {
    const c = p(['-m', '512m', '--memory-swap', '1g', '--memory-reservation', '256k', '--cpus', '1.5', '-c', '512', '--cpuset-cpus', '0-1',
      '--cpuset-mems', '0', '--pids-limit', '-1', '--ulimit', 'nofile=1024:2048', '--ulimit', 'nproc=10', '--shm-size', '64m', '--oom-score-adj', '-500', 'img']).create;
    assert.equal(c.memory, 512 * 1024 * 1024);
    assert.equal(c.memorySwap, 1024 ** 3);
    assert.equal(c.memoryReservation, 256 * 1024);
    assert.equal(c.cpus, 1.5);
    assert.equal(c.cpuShares, 512);
    assert.equal(c.cpusetCpus, '0-1');
    assert.equal(c.cpusetMems, '0');
    assert.equal(c.pidsLimit, -1);
    assert.deepEqual(c.ulimits, ['nofile=1024:2048', 'nproc=10']);
    assert.equal(c.shmSize, 64 * 1024 * 1024);
    assert.equal(c.oomScoreAdj, -500);
    assert.equal(p(['-m', '1g', '--memory-swap', '-1', 'img']).create.memorySwap, -1);
    assert.equal(parseRAM('1.5g'), 1.5 * 1024 ** 3);
    assert.equal(parseRAM('100'), 100);
    assert.equal(parseRAM('2KiB'), 2048);
    err(['--memory', '12x', 'img'], /^invalid value for memory: invalid size: '12x'$/);
    err(['--memory=-1', 'img'], /^invalid value for memory: invalid size: '-1'$/);
    err(['--memory-swap', '1q', 'img'], /^invalid value for memory: invalid size: '1q'$/);
    err(['--shm-size', '1q', 'img'], /^unable to translate --shm-size: invalid size: '1q'$/);
    err(['--ulimit', 'foo', 'img'], /^ulimit option "foo" requires name=SOFT:HARD, failed to be parsed: invalid ulimit argument: foo$/);
    err(['--ulimit', 'bogus=1:2', 'img'], /failed to be parsed: invalid ulimit type: bogus$/);
    err(['--ulimit', 'nofile=5:3', 'img'], /ulimit soft limit must be less than or equal to hard limit: 5 > 3$/);
    err(['--ulimit', 'nofile=a:b', 'img'], /strconv.ParseInt: parsing "a": invalid syntax$/);
  });

  test('cpu period/quota/real-time, blkio, oom-kill-disable, device cgroup rules, personality, pid files', () => {
    const c = p(['--cpu-period', '50000', '--cpu-quota', '20000', '--cpu-rt-period', '40000', '--cpu-rt-runtime', '1000',
      '--blkio-weight', '300', '--blkio-weight-device', '/dev/sda:200,/dev/sdb:0', '--device-read-bps', '/dev/sda:1mb', '--device-read-bps', '/dev/sda:2mb',
      '--device-write-bps', '/dev/sda:1.5k', '--device-read-iops', '/dev/sda:30', '--device-write-iops', '/dev/sda:40', '--oom-kill-disable',
      '--device-cgroup-rule', 'c 1:3 rwm', '--device-cgroup-rule', 'b 8:* r', '--personality', 'LINUX32',
      '--pidfile', 'rel/pid', '--conmon-pidfile', '/run/x/conmon.pid', 'img']).create;
    assert.equal(c.cpuPeriod, 50000);
    assert.equal(c.cpuQuota, 20000);
    assert.equal(c.cpuRtPeriod, 40000);
    assert.equal(c.cpuRtRuntime, 1000);
    assert.equal(c.blkioWeight, 300);
    assert.deepEqual(c.blkioWeightDevice, ['/dev/sda:200', '/dev/sdb:0']);
    assert.deepEqual(c.deviceReadBps, ['/dev/sda:2097152'], 'one entry per device, the last one');
    assert.deepEqual(c.deviceWriteBps, ['/dev/sda:1536']);
    assert.deepEqual(c.deviceReadIops, ['/dev/sda:30']);
    assert.deepEqual(c.deviceWriteIops, ['/dev/sda:40']);
    assert.equal(c.oomKillDisable, true);
    assert.deepEqual(c.deviceCgroupRules, ['c 1:3 rwm', 'b 8:* r']);
    assert.equal(c.personality, 'LINUX32');
    assert.equal(c.pidFile, path.resolve('rel/pid'));
    assert.equal(c.conmonPidFile, '/run/x/conmon.pid');
    // Negative quota/runtime mean no limit (podman keeps only positive values); explicit false/empty set nothing.
    const d = p(['--cpu-quota', '-1', '--cpu-rt-runtime', '-5', '--cpu-period', '0', '--oom-kill-disable=false', '--personality', '', '--pidfile', '', 'img']).create;
    assert.deepEqual(Object.keys(d).sort(), ['command', 'image']);
    err(['--cpus', '1', '--cpu-period', '50000', 'img'], /^--cpu-period and --cpus cannot be set together$/);
    err(['--cpus', '1', '--cpu-quota', '50000', 'img'], /^--cpu-quota and --cpus cannot be set together$/);
    err(['--cpus', '0', '--cpu-period', '0', 'img'], /^--cpu-period and --cpus cannot be set together$/);
    assert.ok(err(['--cpu-period', '-5', 'img'], /^invalid argument "-5" for "--cpu-period" flag: strconv.ParseUint: parsing "-5": invalid syntax$/) instanceof FlagValueError);
    // pflag names a flag that has a shorthand by both, in its long form too.
    assert.throws(() => p(['--cpu-shares', 'abc', 'img']), /^UsageError: invalid argument "abc" for "-c, --cpu-shares" flag: strconv.ParseUint: parsing "abc": invalid syntax$/);
    assert.throws(() => p(['-c', 'abc', 'img']), /invalid argument "abc" for "-c, --cpu-shares" flag/);
    assert.throws(() => p(['--cpu-period', 'abc', 'img']), /invalid argument "abc" for "--cpu-period" flag: strconv.ParseUint: parsing "abc": invalid syntax/);
    assert.throws(() => p(['--cpu-quota', 'abc', 'img']), /invalid argument "abc" for "--cpu-quota" flag: strconv.ParseInt: parsing "abc": invalid syntax/);
    err(['--blkio-weight', 'abc', 'img'], /^invalid value for blkio-weight: strconv.ParseUint: parsing "abc": invalid syntax$/);
    err(['--blkio-weight', '-1', 'img'], /^invalid value for blkio-weight: strconv.ParseUint: parsing "-1": invalid syntax$/);
    err(['--blkio-weight', '70000', 'img'], /^invalid value for blkio-weight: strconv.ParseUint: parsing "70000": value out of range$/);
    err(['--blkio-weight-device', '/dev/sda:5', 'img'], /^invalid weight for device: \/dev\/sda:5$/);
    err(['--device-read-bps', 'sda:1mb', 'img'], /^bad format for device path: sda:1mb$/);
    err(['--device-write-iops', '/dev/sda', 'img'], /^bad format: \/dev\/sda$/);
    err(['--device-cgroup-rule', 'c 1:3', 'img'], /^invalid device cgroup rule requires type, major:Minor, and access rules: "c 1:3"$/);
    err(['--device-cgroup-rule', 'x 1:3 rwm', 'img'], /^invalid device type in device-access-add: x$/);
  });

  test('typed flag errors carry podman\'s flag wording', () => {
    const e = err(['--cpus', 'abc', 'img'], /^invalid argument "abc" for "--cpus" flag: strconv.ParseFloat: parsing "abc": invalid syntax$/);
    assert.ok(e instanceof FlagValueError);
    assert.ok(err(['--cpu-shares', '-1', 'img'], /^invalid argument "-1" for "-c, --cpu-shares" flag: strconv.ParseUint: parsing "-1": invalid syntax$/) instanceof FlagValueError);
    err(['--stop-timeout', '-1', 'img'], /^invalid argument "-1" for "--stop-timeout" flag: strconv.ParseUint/);
    // int flags are checked by the parser itself.
    assert.throws(() => p(['--pids-limit', 'x', 'img']), /invalid argument "x" for "--pids-limit" flag: strconv.ParseInt: parsing "x": invalid syntax/);
    assert.throws(() => p(['--read-only-tmpfs=maybe', 'img']), /strconv.ParseBool: parsing "maybe": invalid syntax/);
    assert.throws(() => p(['--bogus', 'img']), /^Error|unknown flag: --bogus/);
  });

  test('security: capabilities, security-opt, devices, sysctls, namespaces', () => {
    const c = p(['--cap-add', 'net_admin,CAP_SYS_TIME', '--cap-drop', 'all', '--security-opt', 'no-new-privileges', '--security-opt', 'seccomp=unconfined',
      '--device', '/dev/null:/dev/xnull:rw', '--sysctl', 'net.ipv4.ip_forward=1', '--ipc', 'host', '--pid', 'container:abc', '--uts', 'private', '--cgroupns', 'host',
      '--cgroup-parent', 'machine.slice', 'img']).create;
    assert.deepEqual(c.capAdd, ['CAP_NET_ADMIN', 'CAP_SYS_TIME']);
    assert.deepEqual(c.capDrop, ['ALL']);
    assert.deepEqual(c.securityOpt, ['no-new-privileges', 'seccomp=unconfined']);
    assert.deepEqual(c.devices, ['/dev/null:/dev/xnull:rw']);
    assert.deepEqual(c.sysctl, ['net.ipv4.ip_forward=1']);
    assert.equal(c.ipc, 'host');
    assert.equal(c.pid, 'container:abc');
    assert.equal(c.uts, 'private');
    assert.equal(c.cgroupns, 'host');
    assert.equal(c.cgroupParent, 'machine.slice');
    err(['--cap-add', 'FOO', 'img'], /^"CAP_FOO": unknown capability$/);
    err(['--security-opt', 'foo', 'img'], /^invalid --security-opt 1: "foo"$/);
    err(['--device', '/nonexist', 'img'], /^stat \/nonexist: no such file or directory$/);
    err(['--device', '/dev/null:rel', 'img'], /^invalid device mode: rel$/);
    err(['--sysctl', 'bad', 'img'], /^bad is invalid, sysctl values must be in the form of KEY=VALUE$/);
    err(['--sysctl', 'kernel.foo=1', 'img'], /^sysctl 'kernel.foo' is not allowed$/);
    // podman 4.3's ValidateSysctls: eight kernel keys, net.* and fs.mqueue.*, no spaces around the =.
    err(['--sysctl', 'kernel.hostname=x', 'img'], /^sysctl 'kernel.hostname' is not allowed$/);
    err(['--sysctl', 'kernel.shmfoo=1', 'img'], /^sysctl 'kernel.shmfoo' is not allowed$/);
    err(['--sysctl', 'net.ipv4.ip_forward= 1', 'img'], /^'net.ipv4.ip_forward= 1' is invalid, extra spaces found$/);
    err(['--sysctl', 'net.a=b=c', 'img'], /^'net.a=b=c' is invalid, extra spaces found$/);
    assert.deepEqual(p(['--sysctl', 'kernel.shm_rmid_forced=1', '--sysctl', 'fs.mqueue.msg_max=20', 'img']).create.sysctl, ['kernel.shm_rmid_forced=1', 'fs.mqueue.msg_max=20']);
    // A /dev/shm size needs an IPC namespace of the container's own (podman's spec check).
    err(['--ipc', 'host', '--shm-size', '1m', 'img'], /^invalid config provided: cannot set shmsize when running in the \{host \} IPC Namespace$/);
    err(['--ipc', 'none', '--shm-size', '1m', 'img'], /^invalid config provided: cannot set shmsize when running in the \{none \} IPC Namespace$/);
    assert.equal(p(['--ipc', 'host', 'img']).create.shmSize, undefined);
    err(['--ipc', 'foo', 'img'], /^unrecognized namespace mode foo passed$/);
    err(['--pid', 'container:', 'img'], /^invalid config provided: namespace mode container requires a value$/);
  });

  test('stop signal/timeout, umask, tz, oom, pod', () => {
    const c = p(['--stop-signal', 'SIGINT', '--stop-timeout', '3', '--umask', '0077', '--tz', 'UTC', '--pod', 'mypod', 'img']).create;
    assert.equal(c.stopSignal, 'SIGINT');
    assert.equal(c.stopTimeout, 3);
    assert.equal(c.umask, '0077');
    assert.equal(c.tz, 'UTC');
    assert.equal(c.pod, 'mypod');
    err(['--stop-signal', 'FOO', 'img'], /^invalid signal: FOO$/);
    err(['--stop-signal', '99', 'img'], /^valid signals are 1 through 64$/);
    assert.equal(p(['--stop-signal', '-9', 'img']).create.stopSignal, '-9');
    err(['--umask', '999', 'img'], /^running container create option: invalid umask string 999: invalid argument$/);
    err(['--tz', 'foo/bar', 'img'], /^running container create option: stat \/usr\/share\/zoneinfo\/foo\/bar: no such file or directory$/);
  });

  test('logging flags', () => {
    const c = p(['--log-driver', 'k8s-file', '--log-opt', 'max-size=10m,path=/tmp/x.log', 'img']).create;
    assert.equal(c.logDriver, 'k8s-file');
    assert.deepEqual(c.logOpts, ['max-size=10m', 'path=/tmp/x.log']);
    assert.equal(p(['--log-driver', 'none', 'img']).create.logDriver, 'none');
    assert.equal(p(['--log-driver', 'passthrough', 'img']).create.logDriver, 'passthrough');
    err(['--log-driver', 'foo', 'img'], /^running container create option: invalid log driver: invalid argument$/);
    err(['--log-opt', 'foo', 'img'], /^invalid log option "foo"$/);
    err(['--log-opt', 'max-size=x', 'img'], /^invalid size: 'x'$/);
  });

  test('healthcheck flags (durations in nanoseconds)', () => {
    const c = p(['--health-cmd', 'curl -f localhost', '--health-interval', '1m', '--health-retries', '5', '--health-timeout', '2s', '--health-start-period', '10s', 'img']).create;
    assert.deepEqual(c.healthcheck, { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 60e9, Timeout: 2e9, StartPeriod: 10e9, Retries: 5 });
    assert.deepEqual(p(['--health-cmd', '["/bin/check","-q"]', 'img']).create.healthcheck?.Test, ['CMD', '/bin/check', '-q']);
    assert.deepEqual(p(['--health-cmd', 'none', 'img']).create.healthcheck, { Test: ['NONE'] });
    assert.equal(p(['--health-cmd', 'true', '--health-interval', 'disable', 'img']).create.healthcheck?.Interval, 0);
    const d = p(['--health-cmd', 'true', 'img']).create.healthcheck!;
    assert.deepEqual([d.Interval, d.Timeout, d.StartPeriod, d.Retries], [30e9, 30e9, 0, 3]);
    assert.equal(p(['--no-healthcheck', 'img']).create.noHealthcheck, true);
    assert.equal(p(['--health-interval', '5', 'img']).create.healthcheck, undefined);
    err(['--health-cmd', 'true', '--health-interval', '5', 'img'], /^invalid healthcheck-interval: time: missing unit in duration "5"$/);
    err(['--health-cmd', 'true', '--health-timeout', 'x', 'img'], /^invalid healthcheck-timeout: time: invalid duration "x"$/);
    err(['--health-cmd', 'true', '--health-start-period', 'x', 'img'], /^invalid healthcheck-start-period: time: invalid duration "x"$/);
    err(['--health-cmd', 'true', '--no-healthcheck', 'img'], /^cannot specify both --no-healthcheck and --health-cmd$/);
  });

  test('--health-on-failure: none|kill|restart|stop, none leaves it unset', () => {
    for (const a of ['kill', 'restart', 'stop']) assert.equal(p(['--health-cmd', 'true', '--health-on-failure', a, 'img']).create.healthOnFailure, a);
    assert.equal(p(['--health-on-failure', 'none', 'img']).create.healthOnFailure, undefined);
    const e = err(['--health-on-failure', 'KILL', 'img'], /^invalid on-failure action "KILL" for health check: supported actions are none,kill,restart,stop$/);
    assert.equal(e.exitCode, 125);
  });

  test('pull policy, platform and registry options', () => {
    const authfile = path.join(tmp, 'auth.json');
    fs.writeFileSync(authfile, '{}');
    const r = p(['--pull', 'never', '--platform', 'linux/arm64/v8', '--tls-verify=false', '--creds', 'u:p', '--authfile', authfile, '-q', 'img']);
    assert.equal(r.create.pull, 'never');
    assert.equal(r.create.platform, 'linux/arm64/v8');
    assert.deepEqual(r.create.pullOptions, { platform: { os: 'linux', arch: 'arm64', variant: 'v8' }, tlsVerify: false, creds: 'u:p', authfile });
    assert.equal(r.quiet, true);
    assert.equal(p(['--pull', 'always', 'img']).create.pull, 'always');
    assert.equal(p(['--pull', 'newer', 'img']).create.pull, 'newer');
    assert.equal(p(['--arch', 'arm64', '--os', 'linux', 'img']).create.platform, 'linux/arm64');
    err(['--pull', 'foo', 'img'], /^unsupported pull policy "foo"$/);
    err(['--platform', 'foo', 'img'], /^invalid platform syntax for --platform="foo"/);
  });

  test('cidfile, rootfs, detach keys, attach, sig-proxy', () => {
    const r = p(['--cidfile', '/tmp/x.cid', '--sig-proxy=false', '--detach-keys', 'ctrl-a,x', 'img']);
    assert.equal(r.cidfile, '/tmp/x.cid');
    assert.equal(r.sigProxy, false);
    assert.equal(r.detachKeys, 'ctrl-a,x');
    const rf = p(['--rootfs', 'some/dir', 'sh']).create;
    assert.equal(rf.rootfs, true);
    assert.equal(rf.image, path.resolve('some/dir'));
    const e = err(['--detach-keys', 'foo', 'img'], /^invalid detach keys: Unknown character: 'foo'$/);
    assert.equal(e.exitCode, 126);
    err(['--attach', 'foo', 'img'], /^invalid stream "foo" for --attach - must be one of stdin, stdout, or stderr: invalid argument$/);
    assert.equal(p(['-a', 'stdout', 'img']).create.image, 'img');
  });

  test('create has no run-only flags', () => {
    assert.throws(() => p(['-d', 'img'], 'create'), /unknown shorthand flag: 'd' in -d/);
    assert.throws(() => p(['--detach-keys', 'x', 'img'], 'create'), /unknown flag: --detach-keys/);
    const r = p(['--name', 'c', 'img', 'true'], 'create');
    assert.equal(r.detach, false);
    assert.equal(r.create.name, 'c');
  });

  test('NOOPs and defaults are accepted', () => {
    assert.equal(p(['--disable-content-trust', '--http-proxy=false', '--systemd', 'false', '--memory-swappiness', '-1', 'img']).create.image, 'img');
  });

  test('--uidmap, --gidmap, --subuidname, --subgidname: kept as given, malformed maps and --userns with them refused (podman 4.3)', () => {
    const c = p(['--uidmap', '0:100000:5000', '--uidmap', '5000:200000:10', '--gidmap', '0:300000:10', '--subuidname', 'a', 'img']).create;
    assert.deepEqual([c.uidMap, c.gidMap, c.subuidName, c.subgidName], [['0:100000:5000', '5000:200000:10'], ['0:300000:10'], 'a', undefined]);
    err(['--uidmap', '0:100000', 'img'], /^initializing ID mappings: UID setting is malformed expected \["uint32:uint32:uint32"\]: \["0:100000"\]$/);
    err(['--gidmap', 'a:1:2', 'img'], /^initializing ID mappings: GID setting is malformed expected \["uint32:uint32:uint32"\]: \["a:1:2"\]$/);
    for (const u of ['auto', 'host', '', 'private']) {
      err(['--userns', u, '--uidmap', '0:1:1', 'img'], /^--userns and --uidmap\/--gidmap\/--subuidname\/--subgidname are mutually exclusive$/);
    }
    err(['--userns', 'auto', '--subgidname', 'x', 'img'], /mutually exclusive$/);
  });

  test("--userns: host and '' are no namespace; auto, container: and ns: are taken; private without maps and rootless modes refused (podman 4.3 as root)", () => {
    assert.equal(p(['--userns', 'host', 'img']).create.userns, 'host');
    assert.equal(p(['--userns=', 'img']).create.userns, undefined);
    for (const v of ['auto', 'auto:size=5', 'auto:size=5,uidmapping=0:1:2,gidmapping=0:3:4', 'ns:/proc/1/ns/user', 'container:abc']) {
      assert.equal(p(['--userns', v, 'img']).create.userns, v);
    }
    if (process.getuid?.() === 0) {
      err(['--userns', 'keep-id', 'img'], /^keep-id is only supported in rootless mode$/);
      err(['--userns', 'keep-id:uid=5', 'img'], /^keep-id is only supported in rootless mode$/);
      err(['--userns', 'nomap', 'img'], /^nomap is only supported in rootless mode$/);
    }
    err(['--userns', 'private', 'img'], /^must provide at least one UID or GID mapping to configure a user namespace$/);
    err(['--userns', 'auto:size=abc', 'img'], /^strconv.ParseUint: parsing "abc": invalid syntax$/);
    err(['--userns', 'auto:foo=1', 'img'], /^unknown option specified: "foo"$/);
    err(['--userns', 'auto:uidmapping=1:2', 'img'], /^initializing ID mappings: UID setting is malformed/);
    err(['--userns', 'ns:', 'img'], /^invalid config provided: namespace mode path requires a value$/);
    err(['--userns', 'container:', 'img'], /^invalid config provided: namespace mode container requires a value$/);
    for (const v of ['foo', 'Host', 'host:x', 'nomap:x', 'autox']) err(['--userns', v, 'img'], new RegExp(`^unrecognized namespace mode ${v} passed$`));
  });

  test('--memory-swappiness: 0 to 100 kept, negative is the default, above 100 refused', () => {
    assert.equal(p(['--memory-swappiness', '0', 'img']).create.memorySwappiness, 0);
    assert.equal(p(['--memory-swappiness', '100', 'img']).create.memorySwappiness, 100);
    assert.equal(p(['--memory-swappiness', '-1', 'img']).create.memorySwappiness, undefined);
    assert.equal(p(['--memory-swappiness', '-5', 'img']).create.memorySwappiness, undefined);
    err(['--memory-swappiness', '101', 'img'], /^invalid value: 101, valid memory swappiness range is 0-100$/);
  });

  test('splitCSV follows pflag string slices', () => {
    assert.deepEqual(splitCSV(['a,b', 'c']), ['a', 'b', 'c']);
    assert.deepEqual(splitCSV(['"x,y",z']), ['x,y', 'z']);
    assert.deepEqual(splitCSV(['']), []);
  });
});

test('a command\'s flag named as a global one is its own (cobra\'s shadowing): build --hooks-dir, info --debug', () => {
  const sa = (name: string) => ({ name, type: 'stringArray' as const, help: '' });
  const tree: CommandDef = {
    name: 'pier', summary: '', flags: [sa('hooks-dir'), { name: 'debug', type: 'bool', help: '' }],
    subcommands: [
      { name: 'build', summary: '', flags: [sa('hooks-dir')], run: () => 0 },
      { name: 'info', summary: '', flags: [{ name: 'debug', type: 'bool', help: '' }], run: () => 0 },
      { name: 'ps', summary: '', run: () => 0 },
    ],
  };
  const r = parse(tree, ['--hooks-dir', 'g', 'build', '--hooks-dir', 'a', '--hooks-dir', 'b']);
  assert.deepEqual([r.opts.hooksDir, r.changed.has('hooks-dir')], [['a', 'b'], true]);
  assert.deepEqual([r.shadowed.opts.hooksDir, r.shadowed.changed.has('hooks-dir')], [['g'], true]);
  const only = parse(tree, ['--hooks-dir', 'g', 'build']);
  assert.deepEqual([only.opts.hooksDir, only.changed.has('hooks-dir'), only.shadowed.opts.hooksDir], [[], false, ['g']]);
  const info = parse(tree, ['info', '--debug']);
  assert.deepEqual([info.opts.debug, info.shadowed.opts.debug, info.shadowed.changed.has('debug')], [true, false, false]);
  // Not shadowed: the global flag as ever.
  assert.deepEqual(parse(tree, ['ps', '--hooks-dir', 'x']).opts.hooksDir, ['x']);
});
