// Unit tests of the parsers and formatters behind top, stats, healthcheck, update and
// system df (cgroup v2 and v1 readers on fixture files, /proc parsers, output rendering).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cgroupMounts, containerCgroup, cgroupsPathToFs, readCgroupV1Stats, readCgroupV2Stats, parseIoStat,
  parseBlkioServiceBytes, parseNetDev, goDuration, ContainerStats, emptyStats,
} from '../../src/engine/stats';
import { parseStat, parseStatus, ttyName, translateDescriptors, UnknownDescriptorError, parseIdFile, mapToContainer, topRows, listDescriptors } from '../../src/engine/top';
import { healthCommand, applyHealthResult, healthSettings } from '../../src/engine/health';
import { mergeResources, updateResources } from '../../src/engine/update';
import { renderStats, statsJSON, parseUpdateOptions } from '../../src/cli/commands/container-ops';
import { dfSummaries, renderDf, renderDfVerbose, pruneWarning } from '../../src/cli/commands/system-ops';
import { containerPruneFilter, SystemDfReport } from '../../src/domain/local/container-ops';

const FIX = path.join(__dirname, 'fixtures');

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'pier-cops-'));
}

test('cgroup v2 statistics come from cpu.stat, memory.*, pids.current and io.stat', () => {
  const st = readCgroupV2Stats(path.join(FIX, 'cgroupv2'));
  assert.equal(st.cpuNs, 2_500_000_000);
  assert.equal(st.cpuSystemNs, 500_000_000);
  assert.equal(st.memUsage, 10485760);
  assert.equal(st.memLimit, 268435456);
  assert.equal(st.pids, 3);
  assert.equal(st.blkRead, 1048576 + 2048);
  assert.equal(st.blkWrite, 4096 + 8192);
  assert.deepEqual(st.perCpu, []);
});

test('cgroup v2 memory.max "max" means no limit; missing files read as zero', () => {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'memory.max'), 'max\n');
    fs.writeFileSync(path.join(dir, 'memory.current'), '4096\n');
    const st = readCgroupV2Stats(dir);
    assert.equal(st.memLimit, 0);
    assert.equal(st.memUsage, 4096);
    assert.equal(st.cpuNs, 0);
    assert.equal(st.pids, 0);
    assert.equal(st.blkRead + st.blkWrite, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('cgroup v1 statistics come from cpuacct, memory, pids and blkio', () => {
  const v1 = path.join(FIX, 'cgroupv1');
  const st = readCgroupV1Stats({ cpuacct: path.join(v1, 'cpuacct'), memory: path.join(v1, 'memory'), pids: path.join(v1, 'pids'), blkio: path.join(v1, 'blkio') });
  assert.equal(st.cpuNs, 123456789);
  assert.deepEqual(st.perCpu, [100000000, 23456789]);
  assert.equal(st.cpuSystemNs, 20_000_000);
  assert.equal(st.memUsage, 5242880);
  assert.equal(st.memLimit, 0, 'the v1 "unlimited" value is no limit');
  assert.equal(st.pids, 2);
  assert.equal(st.blkRead, 5096);
  assert.equal(st.blkWrite, 8192);
});

test('io.stat, blkio and net/dev parsers', () => {
  assert.deepEqual(parseIoStat('8:0 rbytes=10 wbytes=20 rios=1\n8:16 rbytes=5\n'), { read: 15, write: 20 });
  assert.deepEqual(parseBlkioServiceBytes('8:0 Read 3\n8:0 Write 4\nTotal 7\n'), { read: 3, write: 4 });
  const netdev = [
    'Inter-|   Receive                                                |  Transmit',
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
    '    lo:    5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0',
    '  eth0:    1234       7    0    0    0     0          0         0      567       5    0    0    0     0       0          0',
    '  eth1:      10       1    0    0    0     0          0         0       20       1    0    0    0     0       0          0',
  ].join('\n');
  assert.deepEqual(parseNetDev(netdev), { rx: 1244, tx: 587 });
});

test('cgroup mounts of a hybrid host, and a container cgroup from /proc/<pid>/cgroup', () => {
  const mounts = cgroupMounts(path.join(FIX, 'mountinfo-hybrid'));
  assert.deepEqual(mounts.map((m) => [m.mountpoint, m.version, m.controllers.join(',')]), [
    ['/sys/fs/cgroup/unified', 2, ''],
    ['/sys/fs/cgroup/systemd', 1, 'name=systemd'],
    ['/sys/fs/cgroup/memory', 1, 'memory'],
    ['/sys/fs/cgroup/cpu,cpuacct', 1, 'cpu,cpuacct'],
    ['/sys/fs/cgroup/pids', 1, 'pids'],
    ['/sys/fs/cgroup/blkio', 1, 'blkio'],
  ]);
  const proc = tmpdir();
  try {
    fs.mkdirSync(path.join(proc, '42'));
    fs.writeFileSync(path.join(proc, '42', 'cgroup'), [
      '5:blkio:/sub/ctr', '4:pids:/p/ctr', '3:cpu,cpuacct:/p/ctr', '2:memory:/p/ctr', '1:name=systemd:/p/ctr', '0::/p/ctr', '',
    ].join('\n'));
    const cg = containerCgroup({ pid: 42, mounts, procRoot: proc })!;
    assert.equal(cg.version, 1);
    assert.equal(cg.v1.memory, '/sys/fs/cgroup/memory/p/ctr');
    assert.equal(cg.v1.cpu, '/sys/fs/cgroup/cpu,cpuacct/p/ctr');
    assert.equal(cg.v1.cpuacct, '/sys/fs/cgroup/cpu,cpuacct/p/ctr');
    // The blkio hierarchy is mounted from /sub: the path is relative to that root.
    assert.equal(cg.v1.blkio, '/sys/fs/cgroup/blkio/ctr');
    assert.equal(cg.unified, '/sys/fs/cgroup/unified/p/ctr');
    // Without a process: the bundle's cgroupsPath.
    const byPath = containerCgroup({ cgroupsPath: '/pier_parent/pier-abc', mounts })!;
    assert.equal(byPath.v1.pids, '/sys/fs/cgroup/pids/pier_parent/pier-abc');
    assert.equal(byPath.v1.blkio, undefined, 'outside the mounted sub-tree');
  } finally {
    fs.rmSync(proc, { recursive: true, force: true });
  }
});

test('a unified host: version 2 and the v2 directory', () => {
  const mounts = cgroupMounts(path.join(FIX, 'mountinfo-unified'));
  const cg = containerCgroup({ cgroupsPath: 'machine.slice:pier:abc', mounts })!;
  assert.equal(cg.version, 2);
  assert.deepEqual(cg.v1, {});
  assert.equal(cg.unified, '/sys/fs/cgroup/machine.slice/pier-abc.scope');
  assert.equal(cgroupsPathToFs('a-b.slice:pier:x'), '/a.slice/a-b.slice/pier-x.scope');
  assert.equal(cgroupsPathToFs('pier_parent/pier-1'), '/pier_parent/pier-1');
});

test('Go durations as time.Duration.String prints them', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(999), '999ns');
  assert.equal(goDuration(1500), '1.5µs');
  assert.equal(goDuration(50_307_771), '50.307771ms');
  assert.equal(goDuration(1e9), '1s');
  assert.equal(goDuration(61.5e9), '1m1.5s');
  assert.equal(goDuration(3600e9 + 2e9), '1h0m2s');
  assert.equal(goDuration(-2e9), '-2s');
});

test('/proc/<pid>/stat and status parsing, ttys, id files and mappings', () => {
  const stat = '1234 (we ird) (comm)) S 1 1234 1234 34816 1234 4194560 100 0 0 0 250 130 0 0 20 5 1 0 987654 4321280 300 18446744073709551615';
  const s = parseStat(stat);
  assert.equal(s.comm, 'we ird) (comm)');
  assert.equal(s.state, 'S');
  assert.equal(s.ppid, 1);
  assert.equal(s.pgrp, 1234);
  assert.equal(s.ttyNr, 34816);
  assert.equal(s.utime, 250);
  assert.equal(s.stime, 130);
  assert.equal(s.nice, 5);
  assert.equal(s.starttime, 987654);
  assert.equal(s.vsize, 4321280);
  const st = parseStatus('Name:\tsleep\nState:\tS (sleeping)\nUid:\t0\t1000\t0\t0\nNSpid:\t555\t1\n');
  assert.equal(st.State, 'S (sleeping)');
  assert.equal(st.Uid, '0\t1000\t0\t0');
  assert.equal(ttyName(0), '?');
  assert.equal(ttyName(34816), 'pts/0');
  assert.equal(ttyName((136 << 8) | 5), 'pts/5');
  assert.equal(ttyName((4 << 8) | 1), 'tty1');
  assert.equal(ttyName((5 << 8) | 1), 'console');
  const ids = parseIdFile('root:x:0:0:root:/root:/bin/sh\n# comment:x:9:\ntester:x:1000:1000::/home:/bin/sh\n');
  assert.equal(ids.get(0), 'root');
  assert.equal(ids.get(1000), 'tester');
  assert.equal(mapToContainer(100999, [{ inside: 0, outside: 100000, count: 65536 }]), 999);
  assert.equal(mapToContainer(5, [{ inside: 0, outside: 100000, count: 65536 }]), 65534);
  assert.equal(mapToContainer(5, []), 5);
});

test('top descriptors: names, AIX codes, comma lists, unknown ones', () => {
  assert.deepEqual(translateDescriptors([]).map((d) => d.header), ['USER', 'PID', 'PPID', '%CPU', 'ELAPSED', 'TTY', 'TIME', 'COMMAND']);
  assert.deepEqual(translateDescriptors(['pid,%C', 'args', 'hpid']).map((d) => d.header), ['PID', '%CPU', 'COMMAND', 'HPID']);
  assert.throws(() => translateDescriptors(['pid', '-ef']), (e: unknown) => e instanceof UnknownDescriptorError && /'-ef': unknown descriptor/.test((e as Error).message));
  const list = listDescriptors();
  for (const d of ['args', 'capeff', 'comm', 'etime', 'group', 'hpid', 'huser', 'label', 'nice', 'pcpu', 'pid', 'ppid', 'rss', 'seccomp', 'state', 'stime', 'time', 'tty', 'user', 'uid', 'gid', 'vsz']) {
    assert.ok(list.includes(d), d);
  }
});

test('top rows for this test process: pid, parent, user, args and capabilities', () => {
  const rows = topRows([process.pid], process.pid, ['pid', 'hpid', 'user', 'comm', 'args', 'state', 'capeff', 'seccomp', 'time', 'vsz', 'rss']);
  assert.deepEqual(rows[0], ['PID', 'HPID', 'USER', 'COMMAND', 'COMMAND', 'STATE', 'EFFECTIVE CAPS', 'SECCOMP', 'TIME', 'VSZ', 'RSS']);
  assert.equal(rows.length, 2);
  const [pid, hpid, user, comm, args, state, caps, seccomp, time, vsz, rss] = rows[1];
  assert.equal(hpid, String(process.pid));
  assert.equal(pid, String(process.pid), 'same pid namespace');
  assert.equal(user, os.userInfo().username);
  assert.match(comm, /node/);
  assert.ok(args.includes(process.argv[1]) || args.includes('node'), args);
  assert.match(state, /^[RS]$/);
  assert.ok(caps.length > 0);
  assert.match(seccomp, /^(disabled|strict|filter)$/);
  assert.match(time, /^\d/);
  assert.ok(Number(vsz) > 0 && Number(rss) > 0);
});

test('healthcheck commands and podman status rules', () => {
  assert.deepEqual(healthCommand(['CMD', 'curl', '-f', 'x']), ['curl', '-f', 'x']);
  assert.deepEqual(healthCommand(['CMD-SHELL', 'exit 1']), ['/bin/sh', '-c', 'exit 1']);
  assert.equal(healthCommand(['NONE']), null);
  assert.equal(healthCommand([]), null);
  assert.deepEqual(healthSettings({ Test: ['CMD', 'x'] }), { interval: 30e9, timeout: 30e9, startPeriod: 0, retries: 3 });
  const e = (code: number, i: number) => ({ Start: `s${i}`, End: `e${i}`, ExitCode: code, Output: '' });
  let h = applyHealthResult({ status: 'starting', failingStreak: 0, log: [] }, e(1, 0), { retries: 2, inStartPeriod: false });
  assert.deepEqual([h.status, h.failingStreak], ['starting', 1]);
  h = applyHealthResult(h, e(1, 1), { retries: 2, inStartPeriod: false });
  assert.deepEqual([h.status, h.failingStreak], ['unhealthy', 2]);
  h = applyHealthResult(h, e(0, 2), { retries: 2, inStartPeriod: false });
  assert.deepEqual([h.status, h.failingStreak], ['healthy', 0]);
  // In the start period failures do not count.
  h = applyHealthResult(h, e(1, 3), { retries: 1, inStartPeriod: true });
  assert.deepEqual([h.status, h.failingStreak], ['healthy', 0]);
  for (let i = 4; i < 10; i++) h = applyHealthResult(h, e(0, i), { retries: 1, inStartPeriod: false });
  assert.equal(h.log.length, 5);
  assert.equal(h.log[0].Start, 's5');
});

test('update merges limits and builds OCI resources', () => {
  const merged = mergeResources({ memory: 64 << 20, cpus: 1, pidsLimit: 100 }, { memory: 128 << 20, cpuQuota: 50000 });
  assert.deepEqual(merged, { memory: 128 << 20, pidsLimit: 100, cpuQuota: 50000 });
  const res = updateResources({ memory: 64 << 20, cpus: 0.5, pidsLimit: 10 }) as any;
  assert.equal(res.devices, undefined);
  assert.deepEqual(res.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(res.cpu, { quota: 50000, period: 100000 });
  assert.deepEqual(res.pids, { limit: 10 });
  const changed = new Set(['memory', 'cpus', 'pids-limit', 'device-read-bps']);
  const u = parseUpdateOptions({ changed, memory: '64m', cpus: '1.5', pidsLimit: -1, deviceReadBps: ['/dev/null:1mb'] });
  assert.deepEqual(u, { memory: 64 << 20, cpus: 1.5, pidsLimit: -1, deviceReadBps: ['/dev/null:1048576'] });
  assert.throws(() => parseUpdateOptions({ changed: new Set(['memory']), memory: 'lots' }), /invalid size/);
});

function sample(over: Partial<ContainerStats>): ContainerStats {
  return { ...emptyStats({ id: 'a'.repeat(64), name: 'web' }), ...over };
}

test('stats table and JSON in podman\'s format', () => {
  const s = sample({ CPU: 1.23456, AvgCPU: 0.5, MemUsage: 630_800, MemLimit: 25_280_000_000, MemPerc: 0.0025, NetInput: 1000, NetOutput: 2_500_000, BlockInput: 4096, BlockOutput: 0, PIDs: 3, UpTime: 50_307_771, SystemNano: 1 });
  const table = renderStats([s], {});
  const lines = table.trimEnd().split('\n');
  assert.match(lines[0], /^ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET IO\s+BLOCK IO\s+PIDS\s+CPU TIME\s+AVG CPU %$/);
  assert.deepEqual(lines[1].split(/\s{2,}/), ['aaaaaaaaaaaa', 'web', '1.23%', '630.8kB / 25.28GB', '0.00%', '1kB / 2.5MB', '4.096kB / 0B', '3', '50.307771ms', '0.50%']);
  const json = JSON.parse(statsJSON([s]));
  assert.deepEqual(json, [{
    id: 'aaaaaaaaaaaa', name: 'web', cpu_time: '50.307771ms', cpu_percent: '1.23%', avg_cpu: '0.50%', mem_usage: '630.8kB / 25.28GB',
    mem_percent: '0.00%', net_io: '1kB / 2.5MB', block_io: '4.096kB / 0B', pids: '3',
  }]);
  assert.equal(renderStats([s], { format: '{{.Name}} {{.PIDS}} {{.MemUsageBytes}}' }), 'web 3 616KiB / 23.54GiB\n');
  const wide = renderStats([s], { format: 'table {{.ID}} {{.MemUsage}}', noTrunc: true }).split('\n');
  assert.match(wide[0], /^ID\s+MEM USAGE \/ LIMIT$/);
  assert.equal(wide[1], `${'a'.repeat(64)}  630.8kB / 25.28GB`);
});

const DF: SystemDfReport = {
  ImagesSize: 3000,
  Images: [
    { Repository: 'localhost/a', Tag: 'latest', ImageID: '1'.repeat(64), Created: Date.now() - 3 * 86400_000, Size: 2000, SharedSize: 500, UniqueSize: 1500, Containers: 2 },
    { Repository: 'localhost/a', Tag: 'v2', ImageID: '1'.repeat(64), Created: Date.now() - 3 * 86400_000, Size: 2000, SharedSize: 500, UniqueSize: 1500, Containers: 2 },
    { Repository: '<none>', Tag: '<none>', ImageID: '2'.repeat(64), Created: Date.now(), Size: 1500, SharedSize: 500, UniqueSize: 1000, Containers: 0 },
  ],
  Containers: [
    { ContainerID: 'c'.repeat(64), Image: '1'.repeat(64), Command: ['sleep', '1'], LocalVolumes: 1, Size: 2100, RWSize: 100, Created: Date.now(), Status: 'running', Names: 'one' },
    { ContainerID: 'd'.repeat(64), Image: '1'.repeat(64), Command: ['true'], LocalVolumes: 0, Size: 2300, RWSize: 300, Created: Date.now(), Status: 'exited', Names: 'two' },
  ],
  Volumes: [
    { VolumeName: 'used', Links: 1, Size: 10, ReclaimableSize: 0 },
    { VolumeName: 'free', Links: 0, Size: 30, ReclaimableSize: 30 },
  ],
};

test('system df summary, JSON, template and verbose output', () => {
  assert.deepEqual(dfSummaries(DF).map((d) => [d.Type, d.Total, d.Active, d.RawSize, d.RawReclaimable]), [
    ['Images', 3, 1, 3000, 1500],
    ['Containers', 2, 1, 400, 300],
    ['Local Volumes', 2, 1, 40, 30],
  ]);
  assert.equal(renderDf(DF), [
    'TYPE           TOTAL       ACTIVE      SIZE        RECLAIMABLE',
    'Images         3           1           3kB         1.5kB (50%)',
    'Containers     2           1           400B        300B (75%)',
    'Local Volumes  2           1           40B         30B (75%)',
    '',
  ].join('\n'));
  const json = JSON.parse(renderDf(DF, 'json'));
  assert.equal(json[2].Type, 'Local Volumes');
  assert.equal(json[2].Reclaimable, '30B (75%)');
  assert.equal(json[0].RawSize, 3000);
  assert.equal(renderDf(DF, '{{.Type}}={{.Total}}'), 'Images=3\nContainers=2\nLocal Volumes=2\n');
  const v = renderDfVerbose(DF);
  assert.match(v, /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
  assert.match(v, /localhost\/a\s+latest\s+111111111111\s+3 days\s+2kB\s+500B\s+1.5kB\s+2\n/);
  assert.match(v, /\nContainers space usage:\n\nCONTAINER ID\s+IMAGE\s+COMMAND\s+LOCAL VOLUMES\s+SIZE\s+CREATED\s+STATUS\s+NAMES\n/);
  assert.match(v, /cccccccccccc\s+111111111111\s+sleep 1\s+1\s+100B\s+Less than a second\s+running\s+one\n/);
  assert.match(v, /\nLocal Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\nused\s+1\s+10B\nfree\s+0\s+30B\n$/);
});

test('prune warning and container prune filters', () => {
  assert.match(pruneWarning(false, true), /all stopped containers\n\t- all networks not used by at least one container\n\t- all volumes not used by at least one container\n\t- all dangling images\n/);
  assert.match(pruneWarning(true, false), /all images without at least one container associated with them/);
  assert.ok(pruneWarning(false, false).endsWith('Are you sure you want to continue? [y/N] '));
  const c = (labels: Record<string, string>, created: number) => ({ config: { labels }, created } as any);
  const f = containerPruneFilter(['label=app=web', 'until=1h']);
  assert.equal(f(c({ app: 'web' }, Date.now() - 2 * 3600_000)), true);
  assert.equal(f(c({ app: 'web' }, Date.now())), false);
  assert.equal(f(c({ app: 'db' }, 0)), false);
  assert.equal(containerPruneFilter(['label!=keep'])(c({ keep: '1' }, 0)), false);
  assert.throws(() => containerPruneFilter(['name=x']), /invalid filter/);
});
