import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, generateSpec, INIT_DESTINATION, maskedPaths,
  serializeSpec, writeSpec, type SpecOptions,
} from '../../src/engine/spec';
import { defaultSeccomp } from '../../src/engine/seccomp';
import { allCapabilities } from '../../src/engine/spec/caps';
import { parseDeviceSpec, splitDevNumber } from '../../src/engine/spec/devices';
import { parseProcLimits, type HostLimits } from '../../src/engine/spec/limits';
import type { OciMount } from '../../src/engine/spec/types';

const ID = 'a57ed0713c6f224d81aaf11990ed30587862bcc7e444e46ca103754996eca156';
const HOST: HostLimits = {
  limits: parseProcLimits('Max processes             96365                96365                processes\nMax open files            20000                20000                files\n'),
  pidMax: 32768, nrOpen: 1048576, canRaise: false,
};

function gen(extra: Partial<SpecOptions> = {}) {
  return generateSpec({ id: ID, rootfs: '/var/lib/pier/rootfs', args: ['/bin/sh', '-c', 'id'], env: ['PATH=/bin'], hostLimits: HOST, ...extra });
}

function mount(mounts: OciMount[], dest: string): OciMount | undefined {
  return mounts.find((m) => m.destination === dest);
}

const CGROUP_V2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');

test('defaults match podman 4.3 for a root container', () => {
  const s = gen();
  assert.equal(s.ociVersion, '1.0.2-dev');
  assert.deepEqual(s.process.user, { uid: 0, gid: 0, umask: 0o022 });
  assert.deepEqual(s.process.args, ['/bin/sh', '-c', 'id']);
  assert.equal(s.process.cwd, '/');
  assert.equal(s.process.terminal, undefined);
  assert.deepEqual(s.process.capabilities, { bounding: [...DEFAULT_CAPABILITIES], effective: [...DEFAULT_CAPABILITIES], permitted: [...DEFAULT_CAPABILITIES] });
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }, { type: 'RLIMIT_NPROC', hard: 32768, soft: 32768 }]);
  assert.deepEqual(s.root, { path: '/var/lib/pier/rootfs' });
  assert.equal(s.hostname, ID.slice(0, 12));
  assert.deepEqual(s.mounts.map((m) => m.destination), ['/proc', '/dev', '/sys', '/dev/pts', '/dev/mqueue', '/dev/shm', '/sys/fs/cgroup']);
  assert.deepEqual(mount(s.mounts, '/proc'), { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] });
  assert.deepEqual(mount(s.mounts, '/dev'), { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] });
  assert.deepEqual(mount(s.mounts, '/dev/pts')!.options, ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  assert.deepEqual(mount(s.mounts, '/dev/shm'), { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=64000k'] });
  assert.deepEqual(mount(s.mounts, '/dev/mqueue')!.type, 'mqueue');
  assert.deepEqual(mount(s.mounts, '/sys'), { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] });
  assert.deepEqual(mount(s.mounts, '/sys/fs/cgroup'), { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'] });
  assert.equal(s.annotations, undefined);
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ping_group_range': '0 0' });
  assert.deepEqual(s.linux.resources, { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 2048 } });
  assert.equal(s.linux.cgroupsPath, `/pier_parent/pier-${ID}`);
  const nsTypes = ['pid', 'network', 'ipc', 'uts', 'mount', ...(CGROUP_V2 ? ['cgroup'] : [])];
  assert.deepEqual(s.linux.namespaces, nsTypes.map((type) => ({ type })));
  assert.equal(s.linux.devices, undefined);
  assert.deepEqual(s.linux.seccomp, defaultSeccomp([...DEFAULT_CAPABILITIES]));
  assert.deepEqual(s.linux.maskedPaths, [...DEFAULT_MASKED_PATHS]);
  assert.deepEqual(s.linux.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
  assert.deepEqual(DEFAULT_MASKED_PATHS, ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
    '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block']);
  assert.deepEqual(DEFAULT_READONLY_PATHS, ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  assert.deepEqual(Object.keys(s), ['ociVersion', 'process', 'root', 'hostname', 'mounts', 'linux']);
});

test('process options: cwd, user, umask, tty, console size, hostname, oom, nnp, apparmor', () => {
  const s = gen({
    cwd: '/work', user: { uid: 1000, gid: 1001, additionalGids: [1001, 10] }, umask: '0077', terminal: true,
    consoleSize: { height: 24, width: 80 }, hostname: 'web', oomScoreAdj: 100, noNewPrivileges: true, apparmorProfile: 'my-profile',
  });
  assert.equal(s.process.cwd, '/work');
  assert.deepEqual(s.process.user, { uid: 1000, gid: 1001, umask: 0o077, additionalGids: [1001, 10] });
  assert.equal(s.process.terminal, true);
  assert.equal(Object.keys(s.process)[0], 'terminal');
  assert.deepEqual(s.process.consoleSize, { height: 24, width: 80 });
  assert.equal(s.hostname, 'web');
  assert.equal(s.process.oomScoreAdj, 100);
  assert.equal(s.process.noNewPrivileges, true);
  assert.equal(s.process.apparmorProfile, 'my-profile');
  assert.equal(gen({ apparmorProfile: 'unconfined' }).process.apparmorProfile, undefined);
  assert.equal(gen({ umask: 0o027 }).process.user.umask, 0o027);
  assert.throws(() => gen({ umask: '999' }), /invalid umask string 999/);
  assert.throws(() => gen({ oomScoreAdj: 1001 }), /oom-score-adj must be between -1000 and 1000/);
  assert.throws(() => gen({ args: [] }), /no command or entrypoint provided/);
});

test('non-root users keep the bounding set but only explicitly added capabilities are effective', () => {
  let s = gen({ user: { uid: 1000, gid: 1000 } });
  assert.deepEqual(s.process.capabilities, { bounding: [...DEFAULT_CAPABILITIES] });
  s = gen({ user: { uid: 1000, gid: 1000 }, capAdd: ['net_admin'] });
  const added = ['CAP_NET_ADMIN'];
  assert.deepEqual(s.process.capabilities, {
    bounding: [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN'].sort(), effective: added, inheritable: added, permitted: added, ambient: added,
  });
});

test('cap-add / cap-drop, including ALL', () => {
  let caps = gen({ capAdd: ['SYS_ADMIN'], capDrop: ['CHOWN'] }).process.capabilities!;
  assert.deepEqual(caps.bounding, ['CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
    'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_ADMIN', 'CAP_SYS_CHROOT']);
  assert.deepEqual(caps.effective, caps.bounding);
  caps = gen({ capDrop: ['ALL'], capAdd: ['NET_RAW'] }).process.capabilities!;
  assert.deepEqual(caps.bounding, ['CAP_NET_RAW']);
  caps = gen({ capDrop: ['chown,kill'] }).process.capabilities!;
  assert.ok(!caps.bounding!.includes('CAP_CHOWN') && !caps.bounding!.includes('CAP_KILL') && caps.bounding!.length === 9);
  caps = gen({ capAdd: ['all'], capDrop: ['CAP_SYS_ADMIN'] }).process.capabilities!;
  assert.deepEqual(caps.bounding, allCapabilities().filter((c) => c !== 'CAP_SYS_ADMIN').sort());
  assert.throws(() => gen({ capAdd: ['FROB'] }), /unknown capability "FROB"/);
  assert.throws(() => gen({ capAdd: ['ALL'], capDrop: ['ALL'] }), /adding all caps and removing all caps not allowed/);
  // The seccomp filter follows the capability set.
  const withChroot = gen().linux.seccomp!.syscalls!.filter((c) => c.names.includes('chroot'));
  const withoutChroot = gen({ capDrop: ['SYS_CHROOT'] }).linux.seccomp!.syscalls!.filter((c) => c.names.includes('chroot'));
  assert.notDeepEqual(withChroot, withoutChroot);
});

test('privileged: all caps and host devices, no seccomp, no masks, rw /sys', () => {
  const s = gen({ privileged: true, capDrop: ['CHOWN'] });
  assert.deepEqual(s.process.capabilities!.bounding, allCapabilities().sort());
  assert.ok(s.process.capabilities!.bounding!.includes('CAP_CHOWN'), 'podman ignores cap-drop with --privileged');
  assert.equal(s.linux.seccomp, undefined);
  assert.equal(s.linux.maskedPaths, undefined);
  assert.equal(s.linux.readonlyPaths, undefined);
  assert.deepEqual(mount(s.mounts, '/sys')!.options, ['rprivate', 'nosuid', 'noexec', 'nodev', 'rw']);
  assert.equal(mount(s.mounts, '/sys/fs/cgroup')!.options!.at(-1), 'rw');
  assert.deepEqual(s.linux.resources!.devices, [{ allow: true, access: 'rwm' }]);
  const paths = s.linux.devices!.map((d) => d.path);
  assert.ok(paths.includes('/dev/null') && paths.includes('/dev/zero'));
  assert.ok(!paths.includes('/dev/console'));
  assert.ok(!paths.some((p) => p.startsWith('/dev/pts/')));
  const nul = s.linux.devices!.find((d) => d.path === '/dev/null')!;
  assert.deepEqual([nul.type, nul.major, nul.minor], ['c', 1, 3]);
});

test('--device adds the node and a cgroup rule; cgroup rules parse', () => {
  const s = gen({ devices: ['/dev/null:/dev/mynull:r', '/dev/zero'], deviceCgroupRules: ['c 42:* rmw', 'b *:* m'] });
  assert.deepEqual(s.linux.devices!.map((d) => [d.path, d.type, d.major, d.minor]), [['/dev/mynull', 'c', 1, 3], ['/dev/zero', 'c', 1, 5]]);
  const st = fs.statSync('/dev/null');
  assert.equal(s.linux.devices![0].fileMode, st.mode & 0o7777);
  assert.deepEqual(s.linux.resources!.devices, [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 42, access: 'rmw' },
    { allow: true, type: 'b', access: 'm' },
  ]);
  assert.deepEqual(parseDeviceSpec('/dev/fuse:rw'), { source: '/dev/fuse', destination: '/dev/fuse', permissions: 'rw' });
  assert.deepEqual(parseDeviceSpec('/dev/sda:/dev/xvda:rwm'), { source: '/dev/sda', destination: '/dev/xvda', permissions: 'rwm' });
  assert.throws(() => parseDeviceSpec('/dev/sda:/dev/xvda:rwx'), /invalid device mode: rwx/);
  assert.throws(() => gen({ devices: ['/dev/does-not-exist'] }), /no such file or directory/);
  assert.throws(() => gen({ devices: ['/etc/passwd'] }), /not a valid device/);
  assert.throws(() => gen({ deviceCgroupRules: ['x 1:2 r'] }), /invalid device type in device-access-add: x/);
  assert.deepEqual(splitDevNumber(0x10300n), { major: 259, minor: 0 });
  assert.deepEqual(splitDevNumber((8n << 8n) | 17n), { major: 8, minor: 17 });
});

test('--device with a directory adds every device under it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-devdir-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub'));
    execFileSync('mknod', [path.join(dir, 'a'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(dir, 'sub/b'), 'b', '7', '200']);
    fs.writeFileSync(path.join(dir, 'not-a-device'), '');
    const s = gen({ devices: [`${dir}:/dev/mine:rw`] });
    assert.deepEqual(s.linux.devices!.map((d) => [d.path, d.type, d.major, d.minor]), [['/dev/mine/a', 'c', 1, 3], ['/dev/mine/sub/b', 'b', 7, 200]]);
    assert.deepEqual(s.linux.resources!.devices!.slice(1).map((r) => r.access), ['rw', 'rw']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('read-only rootfs: tmpfs on /run /tmp /var/tmp and read-only engine files', () => {
  const files = { hosts: '/x/hosts', hostname: '/x/hostname', resolvConf: '/x/resolv.conf', containerEnv: '/x/.containerenv' };
  let s = gen({ engineFiles: files });
  assert.deepEqual(mount(s.mounts, '/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/x/hosts', options: ['bind', 'rprivate'] });
  assert.deepEqual(mount(s.mounts, '/etc/resolv.conf')!.source, '/x/resolv.conf');
  assert.deepEqual(mount(s.mounts, '/run/.containerenv')!.source, '/x/.containerenv');
  s = gen({ engineFiles: files, readOnly: true });
  assert.deepEqual(s.root, { path: '/var/lib/pier/rootfs', readonly: true });
  for (const d of ['/run', '/tmp', '/var/tmp']) {
    assert.deepEqual(mount(s.mounts, d), { destination: d, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
  }
  assert.deepEqual(mount(s.mounts, '/etc/hostname')!.options, ['bind', 'rprivate', 'ro', 'nosuid', 'noexec', 'nodev']);
  const order = s.mounts.map((m) => m.destination);
  assert.ok(order.indexOf('/run') < order.indexOf('/run/.containerenv'), 'parents are mounted before children');
  s = gen({ readOnly: true, readOnlyTmpfs: false });
  assert.equal(mount(s.mounts, '/tmp'), undefined);
});

test('user mounts: bind options, tmpfs options, propagation, overrides and duplicates', () => {
  const s = gen({
    mounts: [
      { type: 'bind', source: '/srv/a', destination: '/mnt/x', options: ['ro', 'z'] },
      { type: 'bind', source: '/srv/b', destination: '/mnt/y/', options: ['rslave'] },
      { type: 'tmpfs', destination: '/t1' },
      { type: 'tmpfs', destination: '/t2', options: ['rw', 'size=10m', 'mode=1700'] },
      { type: 'tmpfs', destination: '/dev/shm', options: ['size=1g'] },
      { type: 'bind', source: '/srv/n', destination: '/mnt/n', options: ['bind', 'nosuid', 'Z', 'U'] },
    ],
  });
  assert.deepEqual(mount(s.mounts, '/mnt/x'), { destination: '/mnt/x', type: 'bind', source: '/srv/a', options: ['ro', 'rprivate', 'rbind'] });
  assert.deepEqual(mount(s.mounts, '/mnt/y'), { destination: '/mnt/y', type: 'bind', source: '/srv/b', options: ['rslave', 'rw', 'rbind'] });
  assert.deepEqual(mount(s.mounts, '/t1')!.options, ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
  assert.deepEqual(mount(s.mounts, '/t2')!.options, ['rw', 'size=10m', 'mode=1700', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
  assert.deepEqual(mount(s.mounts, '/mnt/n')!.options, ['bind', 'nosuid', 'rw', 'rprivate']);
  assert.equal(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
  assert.deepEqual(mount(s.mounts, '/dev/shm')!.options, ['size=1g', 'rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup']);
  assert.equal(s.linux.rootfsPropagation, 'rslave');
  assert.equal(gen({ mounts: [{ type: 'bind', source: '/a', destination: '/b', options: ['shared'] }] }).linux.rootfsPropagation, 'shared');
  assert.equal(gen().linux.rootfsPropagation, undefined);
  assert.throws(() => gen({ mounts: [{ type: 'tmpfs', destination: '/a' }, { type: 'tmpfs', destination: '/a/' }] }), /duplicate mount destination/);
  assert.throws(() => gen({ mounts: [{ type: 'bind', source: '/a', destination: 'rel' }] }), /must be an absolute path/);
  assert.throws(() => gen({ mounts: [{ type: 'bind', source: '/a', destination: '/b', options: ['ro', 'rw'] }] }), /'ro' and 'rw'/);
  // Depth order: every mount comes after any mount that is a parent of it.
  const dests = s.mounts.map((m) => m.destination);
  for (const [i, d] of dests.entries()) {
    for (const [j, p] of dests.entries()) if (d.startsWith(p + '/')) assert.ok(j < i, `${p} before ${d}`);
  }
});

test('shm size, shm path and --ipc=host', () => {
  assert.deepEqual(mount(gen({ shmSize: 1024 * 1024 * 1024 }).mounts, '/dev/shm')!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=1048576k']);
  assert.deepEqual(mount(gen({ shmPath: '/run/pier/shm/abc' }).mounts, '/dev/shm'), {
    destination: '/dev/shm', type: 'bind', source: '/run/pier/shm/abc', options: ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev'],
  });
  const s = gen({ namespaces: { ipc: 'host' } });
  assert.equal(mount(s.mounts, '/dev/shm')!.source, '/dev/shm');
  assert.ok(!s.linux.namespaces.some((n) => n.type === 'ipc'));
});

test('namespaces: host omits, path joins, uts host drops the hostname', () => {
  const s = gen({
    namespaces: { pid: 'host', network: { path: '/proc/123/ns/net' }, uts: 'host', cgroup: 'private', user: 'private' },
    uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
  });
  assert.deepEqual(s.linux.namespaces, [{ type: 'network', path: '/proc/123/ns/net' }, { type: 'ipc' }, { type: 'mount' }, { type: 'cgroup' }, { type: 'user' }]);
  assert.equal(s.hostname, undefined);
  assert.deepEqual(s.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  assert.ok(Object.keys(s.linux).indexOf('uidMappings') < Object.keys(s.linux).indexOf('namespaces'));
  assert.throws(() => gen({ namespaces: { ipc: { path: 'relative' } } }), /must be absolute/);
});

test('sysctls: namespaced only, refused in host namespaces, defaults skipped there', () => {
  let s = gen({ sysctls: ['net.core.somaxconn=1024', 'kernel.msgmax=1000', 'fs.mqueue.msg_max=20'] });
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ping_group_range': '0 0', 'net.core.somaxconn': '1024', 'kernel.msgmax': '1000', 'fs.mqueue.msg_max': '20' });
  s = gen({ sysctls: { 'net.ipv4.ping_group_range': '0 2000' } });
  assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ping_group_range': '0 2000' });
  assert.equal(gen({ namespaces: { network: 'host' } }).linux.sysctl, undefined);
  assert.throws(() => gen({ sysctls: ['vm.swappiness=1'] }), /sysctl 'vm.swappiness' is not allowed/);
  assert.throws(() => gen({ sysctls: ['kernel.shmmax=1'], namespaces: { ipc: 'host' } }), /sysctl kernel.shmmax can't be set since IPC Namespace set to host/);
  assert.throws(() => gen({ sysctls: ['net.core.somaxconn=1'], namespaces: { network: 'host' } }), /Network Namespace set to host/);
  assert.throws(() => gen({ sysctls: ['nonsense'] }), /must be in the form of KEY=VALUE/);
});

test('resources: memory, swap, cpus, shares, cpuset, pids, blkio', () => {
  const s = gen({
    resources: {
      memory: 64 * 1024 * 1024, memoryReservation: 32 * 1024 * 1024, memorySwappiness: 10, oomKillDisable: true, cpus: 1.5,
      cpuShares: 512, cpusetCpus: '0', cpusetMems: '0', pidsLimit: 100, blkioWeight: 300,
    },
  });
  assert.deepEqual(s.linux.resources, {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 67108864, reservation: 33554432, swap: 134217728, swappiness: 10, disableOOMKiller: true },
    cpu: { shares: 512, quota: 150000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 100 },
    blockIO: { weight: 300 },
  });
  assert.deepEqual(gen({ resources: { memory: 64 * 1024 * 1024, memorySwap: -1 } }).linux.resources!.memory, { limit: 67108864 });
  assert.deepEqual(gen({ resources: { memory: 64 * 1024 * 1024, memorySwap: 100 * 1024 * 1024 } }).linux.resources!.memory, { limit: 67108864, swap: 104857600 });
  assert.deepEqual(gen({ resources: { cpuPeriod: 50000, cpuQuota: 20000 } }).linux.resources!.cpu, { quota: 20000, period: 50000 });
  assert.deepEqual(gen({ resources: { pidsLimit: -1 } }).linux.resources!.pids, { limit: 0 });
  assert.throws(() => gen({ resources: { memory: 1024 } }), /minimum memory limit allowed is 6MB/);
  assert.throws(() => gen({ resources: { memory: 64 << 20, memorySwap: 32 << 20 } }), /memoryswap limit should be larger/);
  assert.throws(() => gen({ resources: { memorySwap: 32 << 20 } }), /must provide a memory limit/);
  // As podman: more CPUs than the host has is not refused (the quota is just never reached).
  assert.deepEqual(gen({ resources: { cpus: os.cpus().length + 1 } }).linux.resources!.cpu, { quota: (os.cpus().length + 1) * 100000, period: 100000 });
  assert.throws(() => gen({ resources: { cpus: 1, cpuQuota: 1000 } }), /cannot be set together/);
  assert.throws(() => gen({ resources: { blkioWeight: 5 } }), /range of blkio weight/);
});

test('cgroups path: cgroupfs parent, systemd slice, override', () => {
  assert.equal(gen({ cgroupParent: 'mine' }).linux.cgroupsPath, `/mine/pier-${ID}`);
  assert.equal(gen({ cgroupManager: 'systemd' }).linux.cgroupsPath, `machine.slice:pier:${ID}`);
  assert.equal(gen({ cgroupsPath: '/custom/x' }).linux.cgroupsPath, '/custom/x');
  assert.equal(gen({ cgroupsPath: '' }).linux.cgroupsPath, undefined);
});

test('seccomp choices: unconfined and a profile file', () => {
  assert.equal(gen({ seccomp: 'unconfined' }).linux.seccomp, undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-spec-'));
  try {
    const f = path.join(dir, 'p.json');
    fs.writeFileSync(f, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_ADMIN'] } }] }));
    assert.deepEqual(gen({ seccomp: f }).linux.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
    assert.deepEqual(gen({ seccomp: f, capAdd: ['SYS_ADMIN'] }).linux.seccomp!.syscalls, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('mask / unmask security options', () => {
  const r = maskedPaths(['/foo:/bar'], ['/proc/kcore:/sys/fs/*']);
  assert.deepEqual(r.masked, ['/proc/acpi', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
    '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/dev/block', '/foo', '/bar']);
  assert.deepEqual(r.readonly, [...DEFAULT_READONLY_PATHS]);
  const all = gen({ unmask: ['ALL'] });
  assert.equal(all.linux.maskedPaths, undefined);
  assert.equal(all.linux.readonlyPaths, undefined);
  assert.ok(!gen({ unmask: ['/proc/sys'] }).linux.readonlyPaths!.includes('/proc/sys'));
});

test('--init binds catatonit and prefixes the command', () => {
  const s = gen({ init: true, initPath: '/usr/bin/catatonit' });
  assert.deepEqual(s.process.args, [INIT_DESTINATION, '--', '/bin/sh', '-c', 'id']);
  assert.deepEqual(mount(s.mounts, INIT_DESTINATION), { destination: INIT_DESTINATION, type: 'bind', source: '/usr/bin/catatonit', options: ['bind', 'ro', 'rprivate'] });
  assert.throws(() => gen({ init: true, namespaces: { pid: 'host' } }), /PID namespace/);
});

test('--tz binds the zone file read-only at /etc/localtime', () => {
  const s = gen({ tz: 'Europe/Paris' });
  assert.deepEqual(mount(s.mounts, '/etc/localtime'), { destination: '/etc/localtime', type: 'bind', source: fs.realpathSync('/usr/share/zoneinfo/Europe/Paris'), options: ['bind', 'ro', 'rprivate'] });
  assert.equal(mount(gen({ tz: 'local' }).mounts, '/etc/localtime')!.source, fs.realpathSync('/etc/localtime'));
  assert.throws(() => gen({ tz: 'Mars/Olympus' }), /unknown time zone Mars\/Olympus/);
  assert.throws(() => gen({ tz: '../../etc/passwd' }), /invalid time zone/);
});

test('annotations and stop signal', () => {
  const s = gen({ annotations: { 'io.pier.test': 'yes' }, stopSignal: 9 });
  assert.deepEqual(s.annotations, { 'io.pier.test': 'yes', 'org.opencontainers.image.stopSignal': '9' });
  assert.deepEqual(Object.keys(s), ['ociVersion', 'process', 'root', 'hostname', 'mounts', 'annotations', 'linux']);
});

test('writeSpec writes parseable config.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-spec-'));
  try {
    const s = gen();
    const file = writeSpec(dir, s);
    assert.equal(file, path.join(dir, 'config.json'));
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), JSON.parse(serializeSpec(s)));
    assert.deepEqual(fs.readdirSync(dir), ['config.json']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--chrootdirs: each directory gets the hosts and resolv.conf binds under DIR/etc (podman 4.3)', () => {
  const files = { hosts: '/x/hosts', hostname: '/x/hostname', resolvConf: '/x/resolv.conf', containerEnv: '/x/.containerenv' };
  const s = gen({ engineFiles: files, chrootDirs: ['/foo', '/bar/'] });
  for (const dir of ['/foo', '/bar']) {
    assert.deepEqual(mount(s.mounts, `${dir}/etc/hosts`), { destination: `${dir}/etc/hosts`, type: 'bind', source: '/x/hosts', options: ['bind', 'rprivate'] });
    assert.equal(mount(s.mounts, `${dir}/etc/resolv.conf`)!.source, '/x/resolv.conf');
    assert.equal(mount(s.mounts, `${dir}/etc/hostname`), undefined);
  }
  // Only the files the container has: no resolv.conf (--network none), no hosts (--no-hosts).
  const none = gen({ engineFiles: { hostname: '/x/hostname' }, chrootDirs: ['/foo'] });
  assert.deepEqual(none.mounts.filter((m) => m.destination.startsWith('/foo')), []);
  assert.deepEqual(gen({ engineFiles: files, chrootDirs: ['/foo'], readOnly: true }).mounts.find((m) => m.destination === '/foo/etc/hosts')!.options,
    ['bind', 'rprivate', 'ro', 'nosuid', 'noexec', 'nodev']);
});

test('--cgroup-conf is linux.resources.unified', () => {
  assert.deepEqual(gen({ cgroupConf: { 'memory.high': '1000000', 'cpu.weight': '10' } }).linux.resources!.unified, { 'memory.high': '1000000', 'cpu.weight': '10' });
  assert.equal(gen().linux.resources!.unified, undefined);
});
