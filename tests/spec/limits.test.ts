import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { buildRlimits, parseProcLimits, parseUlimit, readHostLimits, RLIM_INFINITY, type HostLimits } from '../../src/engine/spec/limits';
import { generateSpec, serializeSpec, type ResourceOptions } from '../../src/engine/spec';
import {
  cgroupSupport, cpusToQuota, dedupeDeviceValues, parseThrottleDevice, parseWeightDevice, verifyResources, type CgroupSupport,
} from '../../src/engine/spec/resources';
import { parseDeviceCgroupRule, splitDevNumber } from '../../src/engine/spec/devices';

const PROC_LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             96365                96365                processes
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
`;

function host(over: Partial<HostLimits> = {}): HostLimits {
  return { limits: parseProcLimits(PROC_LIMITS), pidMax: 32768, nrOpen: 1048576, canRaise: false, ...over };
}

test('parseProcLimits reads soft/hard and unlimited', () => {
  const l = parseProcLimits(PROC_LIMITS);
  assert.deepEqual(l.RLIMIT_NOFILE, { soft: 1024, hard: 20000 });
  assert.deepEqual(l.RLIMIT_CPU, { soft: RLIM_INFINITY, hard: RLIM_INFINITY });
  assert.deepEqual(l.RLIMIT_NPROC, { soft: 96365, hard: 96365 });
});

test('defaults are clamped to the host hard limits without CAP_SYS_RESOURCE', () => {
  assert.deepEqual(buildRlimits([], host()), [
    { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 },
    // podman falls back to pid_max when it cannot raise NPROC to 1048576.
    { type: 'RLIMIT_NPROC', hard: 32768, soft: 32768 },
  ]);
  const low = host({ pidMax: 4194304 });
  assert.equal(buildRlimits([], low)[1].hard, 96365);
});

test('defaults are podman\'s 1048576 when the engine may raise limits', () => {
  assert.deepEqual(buildRlimits([], host({ canRaise: true })), [
    { type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 },
    { type: 'RLIMIT_NPROC', hard: 1048576, soft: 1048576 },
  ]);
  assert.equal(buildRlimits([], host({ canRaise: true, nrOpen: 65536 }))[0].hard, 65536);
});

test('user ulimits come first and replace the defaults they name', () => {
  const r = buildRlimits(['nofile=100:200', 'core=-1', 'nofile=300'], host());
  assert.deepEqual(r, [
    { type: 'RLIMIT_NOFILE', hard: 300, soft: 300 },
    { type: 'RLIMIT_CORE', hard: RLIM_INFINITY, soft: RLIM_INFINITY },
    { type: 'RLIMIT_NPROC', hard: 32768, soft: 32768 },
  ]);
});

test('ulimit host copies the engine\'s limits', () => {
  const r = buildRlimits(['host'], host());
  assert.deepEqual(r.find((x) => x.type === 'RLIMIT_NOFILE'), { type: 'RLIMIT_NOFILE', hard: 20000, soft: 1024 });
  assert.deepEqual(r.find((x) => x.type === 'RLIMIT_MEMLOCK'), { type: 'RLIMIT_MEMLOCK', hard: 8388608, soft: 8388608 });
});

test('parseUlimit validation', () => {
  assert.deepEqual(parseUlimit('nproc=5:10'), { type: 'RLIMIT_NPROC', hard: 10, soft: 5 });
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
  assert.throws(() => parseUlimit('nofile=10:5'), /soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.throws(() => parseUlimit('nofile=abc'), /invalid ulimit argument/);
  assert.throws(() => parseUlimit('nofile=1:2:3'), /too many limit value arguments/);
});

test('readHostLimits matches /proc/self/limits of this process', () => {
  const h = readHostLimits();
  const text = fs.readFileSync('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  assert.ok(m);
  assert.equal(String(h.limits.RLIMIT_NOFILE.hard), m[2] === 'unlimited' ? String(RLIM_INFINITY) : m[2]);
  assert.ok(h.pidMax > 0);
  // The generated default never exceeds what this host lets the runtime set.
  const spec = generateSpec({ id: 'x'.repeat(64), rootfs: '/nonexistent', args: ['true'], seccomp: 'unconfined' });
  const nofile = spec.process.rlimits!.find((r) => r.type === 'RLIMIT_NOFILE')!;
  if (!h.canRaise) assert.ok(BigInt(nofile.hard) <= BigInt(h.limits.RLIMIT_NOFILE.hard));
  assert.ok(BigInt(nofile.hard) <= 1048576n);
});

test('serializeSpec writes RLIM_INFINITY as an exact uint64', () => {
  const spec = generateSpec({ id: 'y'.repeat(64), rootfs: '/r', args: ['true'], ulimits: ['core=-1'], seccomp: 'unconfined', hostLimits: host() });
  const json = serializeSpec(spec);
  assert.match(json, /\{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615\}/);
  assert.doesNotThrow(() => JSON.parse(json));
});

// ---------------------------------------------------------------------------------------
// linux.resources for the CPU, block I/O and OOM flags, linux.personality, device cgroup rules

const SPEC = { id: 'z'.repeat(64), rootfs: '/r', args: ['true'], seccomp: 'unconfined', hostLimits: host() };
const resourcesOf = (r: ResourceOptions) => generateSpec({ ...SPEC, resources: r }).linux.resources!;

/** A block device of this host (for the weight/throttle entries), with its numbers from stat. */
function blockDevice(): { path: string; major: number; minor: number } | undefined {
  for (const name of fs.readdirSync('/dev').sort()) {
    const p = `/dev/${name}`;
    try {
      const st = fs.statSync(p, { bigint: true });
      if (st.isBlockDevice()) return { path: p, ...splitDevNumber(st.rdev) };
    } catch { /* vanished */ }
  }
  return undefined;
}

const ALL: CgroupSupport = { blkioWeight: true, oomKillDisable: true, memorySwappiness: true, cpuCfsPeriod: true, cpuCfsQuota: true };

test('CFS period/quota, real-time period/runtime and --cpus as podman writes them', () => {
  assert.deepEqual(resourcesOf({ cpuPeriod: 50000, cpuQuota: 25000 }).cpu, { quota: 25000, period: 50000 });
  assert.deepEqual(resourcesOf({ cpuQuota: 25000 }).cpu, { quota: 25000 });
  assert.deepEqual(resourcesOf({ cpuRtPeriod: 50000, cpuRtRuntime: 10000 }).cpu, { realtimeRuntime: 10000, realtimePeriod: 50000 });
  // --cpus: quota = cpus × 100000 truncated (podman: 0.29 → 28999), over the default period.
  assert.deepEqual(resourcesOf({ cpus: 0.29 }).cpu, { quota: 28999, period: 100000 });
  assert.deepEqual(resourcesOf({ cpus: 1.5 }).cpu, { quota: 150000, period: 100000 });
  assert.equal(cpusToQuota(0.123456), 12345);
  // update's --cpu-quota -1 removes the limit.
  assert.deepEqual(resourcesOf({ cpuQuota: -1 }).cpu, { quota: -1 });
  assert.throws(() => resourcesOf({ cpus: 1, cpuPeriod: 50000 }), /^UsageError: --cpu-period and --cpus cannot be set together$/);
  assert.throws(() => resourcesOf({ cpus: 1, cpuQuota: 50000 }), /^UsageError: --cpu-quota and --cpus cannot be set together$/);
  for (const cpuPeriod of [999, 1000001]) {
    assert.throws(() => resourcesOf({ cpuPeriod }), /CPU cfs period cannot be less than 1ms \(i\.e\. 1000\) or larger than 1s \(i\.e\. 1000000\)/);
  }
  assert.throws(() => resourcesOf({ cpuQuota: 999 }), /CPU cfs quota cannot be less than 1ms \(i\.e\. 1000\)/);
  assert.throws(() => resourcesOf({ cpus: 0.000001 }), /CPU cfs quota cannot be less than 1ms/);
  assert.deepEqual(resourcesOf({ cpuPeriod: 1000, cpuQuota: 1000 }).cpu, { quota: 1000, period: 1000 });
});

test('--oom-kill-disable sets memory.disableOOMKiller', () => {
  assert.deepEqual(resourcesOf({ oomKillDisable: true }).memory, { disableOOMKiller: true });
  assert.equal(resourcesOf({ oomKillDisable: false }).memory, undefined);
});

test('block I/O weights and throttles name the device by major:minor', (t) => {
  const dev = blockDevice();
  if (!dev) { t.skip('no block device on this host'); return; }
  const bio = resourcesOf({
    blkioWeight: 300, blkioWeightDevice: [`${dev.path}:200`], deviceReadBps: [`${dev.path}:1048576`], deviceWriteBps: [`${dev.path}:2048`],
    deviceReadIops: [`${dev.path}:300`], deviceWriteIops: [`${dev.path}:0`],
  }).blockIO;
  const n = { major: dev.major, minor: dev.minor };
  assert.deepEqual(bio, {
    weight: 300,
    weightDevice: [{ ...n, weight: 200 }],
    throttleReadBpsDevice: [{ ...n, rate: 1048576 }],
    throttleWriteBpsDevice: [{ ...n, rate: 2048 }],
    throttleReadIOPSDevice: [{ ...n, rate: 300 }],
    throttleWriteIOPSDevice: [{ ...n, rate: 0 }],
  });
  assert.deepEqual(Object.keys(bio!), ['weight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']);
  assert.throws(() => resourcesOf({ deviceReadBps: ['/dev/nonexistent-dev:1'] }), /^UsageError: could not parse throttle device at \/dev\/nonexistent-dev: no such file or directory$/);
  assert.throws(() => resourcesOf({ blkioWeightDevice: ['/dev/nonexistent-dev:100'] }), /^UsageError: failed to inspect '\/dev\/nonexistent-dev' in --blkio-weight-device: no such file or directory$/);
  // Not devices: podman would write 0:0 and fail at start. A throttle takes a char device's numbers (podman's).
  assert.throws(() => resourcesOf({ deviceWriteIops: ['/dev/shm:5'] }), /could not parse throttle device at \/dev\/shm: not a block device/);
  assert.deepEqual(resourcesOf({ deviceReadBps: ['/dev/zero:1048576'] }).blockIO!.throttleReadBpsDevice, [{ major: 1, minor: 5, rate: 1048576 }]);
  assert.throws(() => resourcesOf({ blkioWeightDevice: ['/dev/shm:100'] }), /failed to inspect '\/dev\/shm' in --blkio-weight-device: not a block device/);
});

test('--blkio-weight-device and --device-*-bps/iops values: podman\'s formats and errors', () => {
  assert.equal(parseWeightDevice('/dev/sda:200'), '/dev/sda:200');
  assert.equal(parseWeightDevice('/dev/sda:0'), '/dev/sda:0');
  assert.throws(() => parseWeightDevice('/dev/sda'), /^UsageError: bad format: \/dev\/sda$/);
  assert.throws(() => parseWeightDevice('sda:200'), /^UsageError: bad format for device path: sda:200$/);
  for (const v of ['/dev/sda:5', '/dev/sda:1001', '/dev/sda:-1', '/dev/sda:abc', '/dev/sda:1:2']) {
    assert.throws(() => parseWeightDevice(v), new RegExp(`^UsageError: invalid weight for device: ${v}$`));
  }
  assert.equal(parseThrottleDevice('/dev/sda:1mb', 'bps'), '/dev/sda:1048576');
  assert.equal(parseThrottleDevice('/dev/sda:1.5k', 'bps'), '/dev/sda:1536');
  assert.equal(parseThrottleDevice('/dev/sda:1 MiB', 'bps'), '/dev/sda:1048576');
  assert.equal(parseThrottleDevice('/dev/sda:42', 'bps'), '/dev/sda:42');
  assert.equal(parseThrottleDevice('/dev/sda:1000', 'iops'), '/dev/sda:1000');
  const bpsHelp = 'The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb';
  for (const v of ['/dev/sda:abc', '/dev/sda:-1', '/dev/sda:1:2', '/dev/sda:18446744073709551615']) {
    assert.throws(() => parseThrottleDevice(v, 'bps'), (e: Error) => e.message === `invalid rate for device: ${v}. ${bpsHelp}`);
  }
  assert.throws(() => parseThrottleDevice('/dev/sda:1k', 'iops'),
    (e: Error) => e.message === 'invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer');
  assert.throws(() => parseThrottleDevice('/dev/sda', 'iops'), /^UsageError: bad format: \/dev\/sda$/);
  assert.throws(() => parseThrottleDevice('/tmp/x:1', 'bps'), /^UsageError: bad format for device path: \/tmp\/x:1$/);
  // One entry per device, the last value given winning.
  assert.deepEqual(dedupeDeviceValues(['/dev/a:1', '/dev/b:2', '/dev/a:3']), ['/dev/a:3', '/dev/b:2']);
});

test('verifyResources: what the host cannot apply is dropped with podman\'s warnings, bad values refused', () => {
  const none: CgroupSupport = { blkioWeight: false, oomKillDisable: false, memorySwappiness: false, cpuCfsPeriod: false, cpuCfsQuota: false };
  const v = verifyResources({ blkioWeight: 300, oomKillDisable: true, memorySwappiness: 10, cpuPeriod: 50000, cpuQuota: 20000, cpuShares: 10 }, none);
  assert.deepEqual(v.resources, { cpuShares: 10 });
  assert.deepEqual(v.warnings, [
    'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
    'Your kernel does not support memory swappiness capabilities, or the cgroup is not mounted. Memory swappiness discarded.',
    'Your kernel does not support CPU cfs period or the cgroup is not mounted. Period discarded.',
    'Your kernel does not support CPU cfs quota or the cgroup is not mounted. Quota discarded.',
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
  ]);
  // An out-of-range weight is only an error where weights are supported (podman drops it first).
  assert.deepEqual(verifyResources({ blkioWeight: 5 }, none).resources, {});
  assert.throws(() => verifyResources({ blkioWeight: 5 }, ALL), /^UsageError: range of blkio weight is from 10 to 1000$/);
  assert.throws(() => verifyResources({ blkioWeight: 0 }, ALL), /range of blkio weight is from 10 to 1000/);
  const kept = verifyResources({ blkioWeight: 10, oomKillDisable: true, cpuPeriod: 50000, cpuQuota: 20000 }, ALL);
  assert.deepEqual(kept, { resources: { blkioWeight: 10, oomKillDisable: true, cpuPeriod: 50000, cpuQuota: 20000 }, warnings: [] });
  assert.throws(() => verifyResources({ cpuPeriod: 500 }, ALL), /CPU cfs period cannot be less than 1ms/);
  assert.deepEqual(verifyResources({ memorySwappiness: 0 }, ALL).resources, { memorySwappiness: 0 });
  assert.throws(() => verifyResources({ memorySwappiness: 101 }, ALL), /^UsageError: invalid value: 101, valid memory swappiness range is 0-100$/);
  assert.throws(() => verifyResources({ deviceReadIops: ['/dev/nonexistent-dev:5'] }, ALL), /could not parse throttle device at \/dev\/nonexistent-dev/);
});

test('cgroupSupport reads this host\'s cgroup files', () => {
  const s = cgroupSupport();
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) { assert.deepEqual(s, ALL); return; }
  assert.equal(s.blkioWeight, fs.existsSync('/sys/fs/cgroup/blkio/blkio.weight'));
  assert.equal(s.oomKillDisable, fs.existsSync('/sys/fs/cgroup/memory/memory.oom_control'));
  assert.equal(s.memorySwappiness, fs.existsSync('/sys/fs/cgroup/memory/memory.swappiness'));
  assert.equal(s.cpuCfsQuota, fs.existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
});

test('--device-cgroup-rule parses as podman\'s does', () => {
  assert.deepEqual(parseDeviceCgroupRule('c 1:3 rwm'), { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' });
  assert.deepEqual(parseDeviceCgroupRule('c 42:* rmw'), { allow: true, type: 'c', major: 42, access: 'rmw' });
  assert.deepEqual(parseDeviceCgroupRule('a *:* rwm'), { allow: true, type: 'a', access: 'rwm' });
  assert.deepEqual(parseDeviceCgroupRule('c 1 rwm'), { allow: true, type: 'c', major: 1, access: 'rwm' });
  assert.deepEqual(parseDeviceCgroupRule('b 8:0 '), { allow: true, type: 'b', major: 8, minor: 0 });
  for (const r of ['c 1:3', 'a', 'c  1:3  rwm']) {
    assert.throws(() => parseDeviceCgroupRule(r), (e: Error) => e.message === `invalid device cgroup rule requires type, major:Minor, and access rules: ${JSON.stringify(r)}`);
  }
  assert.throws(() => parseDeviceCgroupRule('x 1:3 rwm'), /^UsageError: invalid device type in device-access-add: x$/);
  assert.throws(() => parseDeviceCgroupRule('c 1:3 rwx'), /^UsageError: invalid device access in device-access-add: x$/);
  assert.throws(() => parseDeviceCgroupRule('c a:3 rwm'), /^UsageError: strconv.ParseUint: parsing "a": invalid syntax$/);
  assert.throws(() => parseDeviceCgroupRule('c 1:3:4 rw'), /strconv.ParseUint: parsing "3:4": invalid syntax/);
  const rules = generateSpec({ ...SPEC, deviceCgroupRules: ['c 1:3 rwm', 'b 8:0 r'] }).linux.resources!.devices;
  assert.deepEqual(rules, [
    { allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: true, type: 'b', major: 8, minor: 0, access: 'r' },
  ]);
});

test('--personality becomes linux.personality, last in linux as podman writes it', () => {
  const s = generateSpec({ ...SPEC, personality: 'LINUX32' });
  assert.deepEqual(s.linux.personality, { domain: 'LINUX32' });
  assert.equal(Object.keys(s.linux).at(-1), 'personality');
  assert.equal(generateSpec({ ...SPEC, personality: '' }).linux.personality, undefined);
  assert.equal(generateSpec(SPEC).linux.personality, undefined);
});
