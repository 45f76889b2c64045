/**
 * End-to-end: config.json from generateSpec, run by the real runc on a busybox rootfs.
 * Needs root, runc and busybox-static (installed by scripts/setup.sh).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, execFileSync } from 'node:child_process';
import { DEFAULT_CAPABILITIES, generateSpec, INIT_DESTINATION, readHostLimits, writeSpec, type SpecOptions } from '../../src/engine/spec';
import { CAPABILITY_NAMES, allCapabilities } from '../../src/engine/spec/caps';
import { buildRlimits } from '../../src/engine/spec/limits';
import { defaultSeccompPath, FALLBACK_PROFILE } from '../../src/engine/seccomp';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => fs.existsSync(p)) ?? '/bin/busybox';
const APPLETS = ['sh', 'cat', 'id', 'grep', 'hostname', 'ls', 'ip', 'touch', 'echo', 'wc', 'mount', 'md5sum', 'head', 'tr', 'sed'];
/** Host /usr bound read-only: gives the container a dynamically linked perl to issue raw syscalls. */
const HOST_USR = { type: 'bind', source: '/usr', destination: '/usr', options: ['ro'] };
const PERL_SYSCALLS = `/usr/bin/perl -e '$r = syscall(139, 3); print "sysfs=", ($r < 0 ? "errno" . ($!+0) : "ok"), "\\n"; ` +
  `$r = syscall(425, 0, 0); print "io_uring_setup=errno", $!+0, "\\n"'`;

let counter = 0;

interface RunResult { status: number | null; stdout: string; stderr: string }

/** Build a busybox bundle, run `script` in it under runc, always delete the container and the bundle. */
function runInContainer(script: string, extra: Partial<SpecOptions> = {}, prepare?: (rootfs: string, bundle: string) => void): RunResult {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-runc-'));
  const id = `pier-spec-${process.pid}-${++counter}`;
  const state = path.join(bundle, 'state');
  try {
    const rootfs = path.join(bundle, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
    fs.mkdirSync(path.join(rootfs, 'usr'));
    fs.mkdirSync(path.join(rootfs, 'etc'));
    fs.copyFileSync(BUSYBOX, path.join(rootfs, 'bin/busybox'));
    fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
    for (const a of APPLETS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
    fs.symlinkSync('usr/lib', path.join(rootfs, 'lib'));
    fs.symlinkSync('usr/lib64', path.join(rootfs, 'lib64'));
    fs.writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    fs.writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nalice:x:1000:\nwheel:x:10:alice\n');
    prepare?.(rootfs, bundle);
    const spec = generateSpec({ id, rootfs, args: ['/bin/sh', '-c', script], env: ['PATH=/bin:/usr/bin', 'HOME=/root'], ...extra });
    writeSpec(bundle, spec);
    const r = spawnSync('runc', ['--root', state, 'run', '--bundle', bundle, id], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    spawnSync('runc', ['--root', state, 'delete', '-f', id], { stdio: 'ignore' });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

function capMask(caps: readonly string[]): string {
  let m = 0n;
  for (const c of caps) m |= 1n << BigInt(CAPABILITY_NAMES.indexOf(c));
  return m.toString(16).padStart(16, '0');
}

function field(out: string, name: string): string | undefined {
  const m = new RegExp(`^${name}[:=]\\s*(.*)$`, 'm').exec(out);
  return m?.[1].trim();
}

test('runc: default container matches podman\'s confinement', () => {
  const r = runInContainer([
    'id', 'grep -E "^(Cap|Seccomp|NoNewPrivs)" /proc/self/status', 'echo nofile=$(ulimit -n)', 'echo nproc=$(ulimit -u)',
    'echo host=$(hostname)', 'echo keys=$(cat /proc/keys | wc -c)', 'echo timer_list=$(cat /proc/timer_list | wc -c)',
    'echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo procsys=rw || echo procsys=ro',
    'touch /sys/x 2>/dev/null && echo sys=rw || echo sys=ro', 'echo lo=$(cat /sys/class/net/lo/operstate)',
    'echo ping=$(cat /proc/sys/net/ipv4/ping_group_range | tr "\\t" " ")', 'echo pidns=$$',
    'touch /rootfs-write && echo root=rw || echo root=ro', 'echo shm=$(grep " /dev/shm " /proc/mounts)',
    'echo devs=$(ls /dev | tr "\\n" " ")', 'echo pts=$(grep " /dev/pts " /proc/mounts)',
  ].join('; '));
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^uid=0\(root\) gid=0\(root\)/m);
  const defaults = capMask(DEFAULT_CAPABILITIES);
  assert.equal(defaults, '00000000800405fb');
  assert.equal(field(out, 'CapEff'), defaults);
  assert.equal(field(out, 'CapPrm'), defaults);
  assert.equal(field(out, 'CapBnd'), defaults);
  assert.equal(field(out, 'CapInh'), '0000000000000000');
  assert.equal(field(out, 'Seccomp'), '2');
  const want = buildRlimits([], readHostLimits());
  assert.equal(field(out, 'nofile'), String(want[0].soft));
  assert.equal(field(out, 'nproc'), String(want[1].soft));
  const nofileHard = readHostLimits().limits.RLIMIT_NOFILE.hard;
  if (!readHostLimits().canRaise) assert.ok(BigInt(field(out, 'nofile')!) <= BigInt(nofileHard));
  assert.equal(field(out, 'host'), `pier-spec-${process.pid}-${counter}`.slice(0, 12));
  assert.equal(field(out, 'keys'), '0', '/proc/keys is masked');
  assert.equal(field(out, 'timer_list'), '0', '/proc/timer_list is masked');
  assert.equal(field(out, 'procsys'), 'ro');
  assert.equal(field(out, 'sys'), 'ro');
  assert.equal(field(out, 'lo'), 'unknown', 'loopback is up in the private network namespace');
  assert.equal(field(out, 'ping'), '0 0');
  assert.equal(field(out, 'pidns'), '1');
  assert.equal(field(out, 'root'), 'rw');
  assert.match(field(out, 'shm')!, /tmpfs rw,nosuid,nodev,noexec,relatime,size=64000k/);
  assert.match(field(out, 'pts')!, /devpts rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666/);
  const devs = field(out, 'devs')!.split(' ');
  for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'ptmx', 'pts', 'shm', 'mqueue']) assert.ok(devs.includes(d), `/dev/${d}`);
});

test('runc: seccomp profile blocks syscalls, unconfined does not', () => {
  const confined = runInContainer(PERL_SYSCALLS, { mounts: [HOST_USR] });
  assert.equal(confined.status, 0, confined.stderr);
  assert.equal(field(confined.stdout, 'sysfs'), 'errno1', 'sysfs(2) refused with EPERM');
  // containers-common's profile is an allowlist (unknown syscalls → ENOSYS); pier's fallback allows them.
  assert.equal(field(confined.stdout, 'io_uring_setup'), defaultSeccompPath() !== undefined ? 'errno38' : 'errno14');

  const unconfined = runInContainer(PERL_SYSCALLS + '; grep ^Seccomp: /proc/self/status', { mounts: [HOST_USR], seccomp: 'unconfined' });
  assert.equal(unconfined.status, 0, unconfined.stderr);
  assert.equal(field(unconfined.stdout, 'sysfs'), 'ok');
  assert.equal(field(unconfined.stdout, 'io_uring_setup'), 'errno14', 'reaches the kernel (EFAULT on a NULL params pointer)');
  assert.equal(field(unconfined.stdout, 'Seccomp'), '0');

  // pier's fallback profile, through a profile file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-seccomp-'));
  try {
    const file = path.join(dir, 'fallback.json');
    fs.writeFileSync(file, JSON.stringify(FALLBACK_PROFILE));
    const fb = runInContainer(PERL_SYSCALLS + '; mount -t tmpfs none /mnt 2>&1; echo mount=$?', { mounts: [HOST_USR], seccomp: file, capAdd: ['SYS_ADMIN'] }, (rootfs) => fs.mkdirSync(path.join(rootfs, 'mnt')));
    assert.equal(fb.status, 0, fb.stderr);
    assert.equal(field(fb.stdout, 'sysfs'), 'errno1');
    assert.equal(field(fb.stdout, 'io_uring_setup'), 'errno14');
    assert.equal(field(fb.stdout, 'mount'), '0', 'mount allowed with CAP_SYS_ADMIN');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runc: non-root user, groups, read-only rootfs with tmpfs and mounts', () => {
  const host = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-bind-'));
  try {
    fs.chmodSync(host, 0o755);
    fs.writeFileSync(path.join(host, 'data.txt'), 'hello from host\n');
    const r = runInContainer([
      'id', 'grep ^CapEff /proc/self/status', 'echo umask=$(umask)', 'echo cwd=$(pwd)',
      'touch /x 2>/dev/null && echo root=rw || echo root=ro',
      'touch /tmp/x && echo tmp=rw || echo tmp=ro', 'touch /run/x && echo run=rw || echo run=ro',
      'echo data=$(cat /data/data.txt)', 'touch /data/new 2>/dev/null && echo data=rw || echo data=ro',
      'echo scratch=$(grep " /scratch " /proc/mounts)',
    ].join('; '), {
      user: { uid: 1000, gid: 1000, additionalGids: [1000, 10] },
      umask: '0027', cwd: '/tmp', readOnly: true,
      mounts: [
        { type: 'bind', source: host, destination: '/data', options: ['ro', 'Z'] },
        { type: 'tmpfs', destination: '/scratch', options: ['size=1m', 'mode=1777'] },
      ],
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^uid=1000\(alice\) gid=1000\(alice\) groups=10\(wheel\),1000\(alice\)$/m);
    assert.equal(field(r.stdout, 'CapEff'), '0000000000000000');
    assert.equal(field(r.stdout, 'umask'), '0027');
    assert.equal(field(r.stdout, 'cwd'), '/tmp');
    assert.equal(field(r.stdout, 'root'), 'ro');
    assert.equal(field(r.stdout, 'tmp'), 'rw');
    assert.equal(field(r.stdout, 'run'), 'rw');
    assert.match(r.stdout, /^data=hello from host$/m);
    assert.match(r.stdout, /^data=ro$/m);
    assert.match(field(r.stdout, 'scratch')!, /tmpfs rw,nosuid,nodev,relatime,size=1024k/);
    assert.deepEqual(fs.readdirSync(host), ['data.txt']);
  } finally {
    fs.rmSync(host, { recursive: true, force: true });
  }
});

test('runc: ulimits, cgroup resources and devices', () => {
  const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  const memFile = v2 ? '/sys/fs/cgroup/memory.max' : '/sys/fs/cgroup/memory/memory.limit_in_bytes';
  const pidsFile = v2 ? '/sys/fs/cgroup/pids.max' : '/sys/fs/cgroup/pids/pids.max';
  // A device outside runc's built-in allow list, so only our cgroup rule decides.
  const dev = ['/dev/fuse', '/dev/loop-control'].find((d) => fs.existsSync(d));
  assert.ok(dev !== undefined, 'host has /dev/fuse or /dev/loop-control');
  const r = runInContainer([
    'echo soft=$(ulimit -Sn)', 'echo hard=$(ulimit -Hn)', `echo mem=$(cat ${memFile})`, `echo pids=$(cat ${pidsFile})`,
    '(exec 3</dev/mydev) && echo read=ok || echo read=denied', 'echo write=$( (exec 3>/dev/mydev) 2>&1; echo rc=$?)',
    'echo 1 > /dev/full 2>/dev/null; echo full=$?',
  ].join('; '), {
    ulimits: ['nofile=512:1024'], resources: { memory: 64 * 1024 * 1024, pidsLimit: 100 }, devices: [`${dev}:/dev/mydev:r`],
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(field(r.stdout, 'soft'), '512');
  assert.equal(field(r.stdout, 'hard'), '1024');
  assert.equal(field(r.stdout, 'mem'), '67108864');
  assert.equal(field(r.stdout, 'pids'), '100');
  assert.equal(field(r.stdout, 'read'), 'ok');
  assert.match(field(r.stdout, 'write')!, /can't create \/dev\/mydev: Operation not permitted rc=1/, 'the device cgroup grants read only');
  assert.equal(field(r.stdout, 'full'), '1', 'default devices exist (write to /dev/full fails with ENOSPC)');
});

test('runc: --init runs catatonit as PID 1, --tz sets /etc/localtime', () => {
  const zone = fs.realpathSync('/usr/share/zoneinfo/Europe/Paris');
  const sum = execFileSync('md5sum', [zone], { encoding: 'utf8' }).split(' ')[0];
  const r = runInContainer('echo init=$(cat /proc/1/cmdline | tr "\\0" " "); echo tz=$(md5sum /etc/localtime | sed "s/ .*//"); echo me=$$', { init: true, tz: 'Europe/Paris' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(field(r.stdout, 'init'), `${INIT_DESTINATION} -- /bin/sh -c ${'echo init=$(cat /proc/1/cmdline | tr "\\0" " "); echo tz=$(md5sum /etc/localtime | sed "s/ .*//"); echo me=$$'}`);
  assert.equal(field(r.stdout, 'tz'), sum);
  assert.notEqual(field(r.stdout, 'me'), '1');
});

test('runc: privileged container has every capability and no seccomp', () => {
  const r = runInContainer('grep -E "^(CapEff|Seccomp):" /proc/self/status; mount -t tmpfs none /mnt && echo mount=ok; echo kmsg=$(ls /dev/kmsg 2>/dev/null)', { privileged: true }, (rootfs) => fs.mkdirSync(path.join(rootfs, 'mnt')));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(field(r.stdout, 'CapEff'), capMask(allCapabilities()));
  assert.equal(field(r.stdout, 'Seccomp'), '0');
  assert.equal(field(r.stdout, 'mount'), 'ok');
  assert.equal(field(r.stdout, 'kmsg'), fs.existsSync('/dev/kmsg') ? '/dev/kmsg' : '');
});
