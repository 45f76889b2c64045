// Resource and runtime flags of run/create with real runc + conmon: CFS and real-time CPU
// limits, block I/O throttles and weights, --oom-kill-disable, --device-cgroup-rule,
// --personality, --pidfile/--conmon-pidfile and `update`, checked in the container's cgroup
// files (cgroup v1, as on this host) and in inspect.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStoreForFile } from '../helpers/cli';
import { splitDevNumber } from '../../src/engine/spec/devices';

const IMAGE = 'localhost/busybox';
const V1 = fs.existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') && !fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
const skipV1 = V1 ? false : 'needs cgroup v1 controllers';

let s: TestStore;

busyboxStoreForFile((x) => { s = x; });

/** `run --rm --network none FLAGS busybox sh -c SCRIPT`, required to succeed. */
function runSh(flags: string[], script: string): string {
  const r = s.run(['run', '--rm', '--network', 'none', ...flags, IMAGE, 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

function inspect(name: string, format: string): string {
  return s.ok(['inspect', '--format', format, name]).trim();
}

/** The first block device of this host, with its numbers. */
function blockDevice(): { path: string; major: number; minor: number } | undefined {
  for (const name of fs.readdirSync('/dev').sort()) {
    try {
      const st = fs.statSync(`/dev/${name}`, { bigint: true });
      if (st.isBlockDevice()) return { path: `/dev/${name}`, ...splitDevNumber(st.rdev) };
    } catch { /* vanished */ }
  }
  return undefined;
}

describe('containers: resource and runtime flags', () => {
  test('--cpu-period/--cpu-quota reach the container\'s cpu cgroup; inspect shows them', { skip: skipV1 }, () => {
    assert.equal(runSh(['--cpu-period', '50000', '--cpu-quota', '25000'], 'cat /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.cfs_quota_us'), '50000\n25000\n');
    // A negative quota is no limit (podman keeps only positive values).
    assert.equal(runSh(['--cpu-quota', '-5'], 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us'), '-1\n');
    const id = s.ok(['run', '-d', '--name', 'cfs', '--network', 'none', '--cpu-period', '100000', '--cpu-quota', '50000', IMAGE, 'sleep', '300']).trim();
    // The host side: pier's cgroupfs parent.
    const dir = `/sys/fs/cgroup/cpu/pier_parent/pier-${id}`;
    assert.equal(fs.readFileSync(path.join(dir, 'cpu.cfs_quota_us'), 'utf8'), '50000\n');
    assert.equal(fs.readFileSync(path.join(dir, 'cpu.cfs_period_us'), 'utf8'), '100000\n');
    // podman's inspect: NanoCpus only for a quota over the default 100000 µs period.
    assert.equal(inspect('cfs', '{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.NanoCpus}}'), '100000 50000 500000000');
    s.ok(['rm', '-f', '-t', '0', 'cfs']);
    s.ok(['create', '--name', 'cfs2', '--cpu-period', '50000', '--cpu-quota', '20000', IMAGE, 'true']);
    assert.equal(inspect('cfs2', '{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.NanoCpus}}'), '50000 20000 0');
    s.ok(['create', '--name', 'cfs3', '--cpus', '0.29', IMAGE, 'true']);
    assert.equal(inspect('cfs3', '{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}} {{.HostConfig.NanoCpus}}'), '100000 28999 289990000');
    s.ok(['rm', 'cfs2', 'cfs3']);
  });

  test('bad CPU values fail with podman\'s errors and create nothing', () => {
    const before = s.ok(['ps', '-a', '-q']);
    const cases: [string[], RegExp][] = [
      [['--cpus', '1', '--cpu-quota', '25000'], /^Error: --cpu-quota and --cpus cannot be set together\n$/],
      [['--cpus', '1', '--cpu-period', '25000'], /^Error: --cpu-period and --cpus cannot be set together\n$/],
      [['--cpu-period', '500'], /^Error: CPU cfs period cannot be less than 1ms \(i\.e\. 1000\) or larger than 1s \(i\.e\. 1000000\)\n$/],
      [['--cpu-period', '2000000'], /^Error: CPU cfs period cannot be less than 1ms/],
      [['--cpu-quota', '500'], /^Error: CPU cfs quota cannot be less than 1ms \(i\.e\. 1000\)\n$/],
      [['--cpus', '0.000001'], /^Error: CPU cfs quota cannot be less than 1ms/],
    ];
    for (const [flags, re] of cases) {
      const r = s.run(['create', ...flags, IMAGE, 'true']);
      assert.equal(r.code, 125, flags.join(' '));
      assert.match(r.stderr, re);
    }
    assert.equal(s.ok(['ps', '-a', '-q']), before);
  });

  test('--cpu-rt-period/--cpu-rt-runtime: the runtime budget comes from the parent cgroup', { skip: skipV1 }, (t) => {
    assert.equal(runSh(['--cpu-rt-period', '50000'], 'cat /sys/fs/cgroup/cpu/cpu.rt_period_us /sys/fs/cgroup/cpu/cpu.rt_runtime_us'), '50000\n0\n');
    s.ok(['create', '--name', 'rt', '--cpu-rt-period', '50000', '--cpu-rt-runtime', '10000', IMAGE, 'true']);
    assert.equal(inspect('rt', '{{.HostConfig.CpuRealtimePeriod}} {{.HostConfig.CpuRealtimeRuntime}}'), '50000 10000');
    s.ok(['rm', 'rt']);
    // pier_parent has no real-time budget (as podman's libpod_parent): runc cannot give one.
    const parentBudget = fs.readFileSync('/sys/fs/cgroup/cpu/pier_parent/cpu.rt_runtime_us', 'utf8').trim();
    if (parentBudget === '0') {
      const r = s.run(['run', '--rm', '--network', 'none', '--cpu-rt-runtime', '10000', IMAGE, 'true']);
      // podman's wording and exit code for a runtime failure in `run` (126) and in `start` (125).
      assert.equal(r.code, 126, r.stderr);
      assert.match(r.stderr, /^Error: OCI runtime error: runc: .*failed to write "10000": write \/sys\/fs\/cgroup\/cpu\/pier_parent\/pier-[0-9a-f]{64}\/cpu\.rt_runtime_us: invalid argument\n$/);
      const id = s.ok(['create', '--network', 'none', '--cpu-rt-runtime', '10000', IMAGE, 'true']).trim();
      const st = s.run(['start', id]);
      assert.equal(st.code, 125);
      assert.match(st.stderr, new RegExp(`^Error: OCI runtime error: unable to start container "${id}": runc: .*cpu\\.rt_runtime_us: invalid argument\n$`));
      s.ok(['rm', id]);
    }
    // Under a parent given a budget, the container gets its share.
    const parent = `pier-rt-test-${process.pid}`;
    const cpuParent = `/sys/fs/cgroup/cpu/${parent}`;
    fs.mkdirSync(cpuParent);
    try {
      try {
        fs.writeFileSync(path.join(cpuParent, 'cpu.rt_runtime_us'), '100000');
      } catch (e) {
        t.diagnostic(`no real-time budget for a test parent: ${(e as Error).message}`);
        return;
      }
      assert.equal(runSh(['--cgroup-parent', `/${parent}`, '--cpu-rt-period', '100000', '--cpu-rt-runtime', '5000'],
        'cat /sys/fs/cgroup/cpu/cpu.rt_period_us /sys/fs/cgroup/cpu/cpu.rt_runtime_us'), '100000\n5000\n');
    } finally {
      for (const h of fs.readdirSync('/sys/fs/cgroup')) {
        try { fs.rmdirSync(path.join('/sys/fs/cgroup', h, parent)); } catch { /* not created there */ }
      }
    }
  });

  test('--device-read/write-bps/iops throttle the block device; inspect lists them by path', { skip: skipV1 }, (t) => {
    const dev = blockDevice();
    if (!dev) { t.skip('no block device'); return; }
    const n = `${dev.major}:${dev.minor}`;
    const out = runSh(['--device-read-bps', `${dev.path}:1mb`, '--device-write-bps', `${dev.path}:2mb`, '--device-read-iops', `${dev.path}:300`, '--device-write-iops', `${dev.path}:400`],
      'cd /sys/fs/cgroup/blkio; cat blkio.throttle.read_bps_device blkio.throttle.write_bps_device blkio.throttle.read_iops_device blkio.throttle.write_iops_device');
    assert.equal(out, `${n} 1048576\n${n} 2097152\n${n} 300\n${n} 400\n`);
    s.ok(['create', '--name', 'bio', '--device-read-bps', `${dev.path}:1mb`, '--device-write-iops', `${dev.path}:30`, IMAGE, 'true']);
    assert.equal(inspect('bio', '{{json .HostConfig.BlkioDeviceReadBps}} {{json .HostConfig.BlkioDeviceWriteIOps}} {{json .HostConfig.BlkioDeviceWriteBps}}'),
      `[{"Path":"${dev.path}","Rate":1048576}] [{"Path":"${dev.path}","Rate":30}] []`);
    assert.equal(inspect('bio', '{{json .HostConfig.BlkioWeightDevice}}'), '[]');
    s.ok(['rm', 'bio']);
    s.ok(['create', '--name', 'nobio', IMAGE, 'true']);
    assert.equal(inspect('nobio', '{{json .HostConfig.BlkioDeviceReadBps}} {{.HostConfig.BlkioWeight}}'), 'null 0');
    s.ok(['rm', 'nobio']);
  });

  test('block I/O values and devices are checked before the container is created', () => {
    const before = s.ok(['ps', '-a', '-q']);
    const cases: [string[], string][] = [
      [['--device-read-bps', '/dev/nonexistent-dev:1mb'], 'could not parse throttle device at /dev/nonexistent-dev: no such file or directory'],
      [['--device-write-iops', '/dev/shm:10'], 'could not parse throttle device at /dev/shm: not a block device'],
      [['--blkio-weight-device', '/dev/nonexistent-dev:100'], "failed to inspect '/dev/nonexistent-dev' in --blkio-weight-device: no such file or directory"],
      [['--device-read-bps', '/dev/sda:abc'], 'invalid rate for device: /dev/sda:abc. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb'],
      [['--blkio-weight-device', '/dev/sda:5'], 'invalid weight for device: /dev/sda:5'],
      [['--blkio-weight', 'abc'], 'invalid value for blkio-weight: strconv.ParseUint: parsing "abc": invalid syntax'],
    ];
    for (const [flags, msg] of cases) {
      const r = s.run(['create', ...flags, IMAGE, 'true']);
      assert.equal(r.code, 125, flags.join(' '));
      assert.equal(r.stderr, `Error: ${msg}\n`);
    }
    assert.equal(s.ok(['ps', '-a', '-q']), before);
  });

  test('--blkio-weight: applied where the kernel has blkio.weight, else dropped with podman\'s warning', { skip: skipV1 }, () => {
    if (fs.existsSync('/sys/fs/cgroup/blkio/blkio.weight')) {
      assert.equal(runSh(['--blkio-weight', '300'], 'cat /sys/fs/cgroup/blkio/blkio.weight'), '300\n');
      const r = s.run(['create', '--blkio-weight', '5', IMAGE, 'true']);
      assert.equal(r.stderr, 'Error: range of blkio weight is from 10 to 1000\n');
      return;
    }
    const warning = 'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.\n';
    const c = s.run(['create', '--name', 'bw', '--blkio-weight', '300', IMAGE, 'true']);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stderr, warning);
    assert.equal(inspect('bw', '{{.HostConfig.BlkioWeight}}'), '0');
    s.ok(['rm', 'bw']);
    const r = s.run(['run', '--rm', '--network', 'none', '--blkio-weight', '300', IMAGE, 'echo', 'ran']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, warning);
    assert.equal(r.stdout, 'ran\n');
  });

  test('--oom-kill-disable sets the memory cgroup\'s oom_control', { skip: skipV1 }, () => {
    assert.match(runSh(['--oom-kill-disable'], 'cat /sys/fs/cgroup/memory/memory.oom_control'), /^oom_kill_disable 1$/m);
    assert.match(runSh([], 'cat /sys/fs/cgroup/memory/memory.oom_control'), /^oom_kill_disable 0$/m);
    s.ok(['create', '--name', 'oom', '--oom-kill-disable', IMAGE, 'true']);
    s.ok(['create', '--name', 'oom2', '--oom-kill-disable=false', IMAGE, 'true']);
    assert.equal(inspect('oom', '{{.HostConfig.OomKillDisable}}'), 'true');
    assert.equal(inspect('oom2', '{{.HostConfig.OomKillDisable}}'), 'false');
    s.ok(['rm', 'oom', 'oom2']);
  });

  test('--memory-swappiness sets the memory cgroup\'s swappiness; above 100 is refused, negative is the default', { skip: skipV1 }, () => {
    const host = fs.readFileSync('/sys/fs/cgroup/memory/memory.swappiness', 'utf8').trim();
    assert.equal(runSh(['--memory-swappiness', '30'], 'cat /sys/fs/cgroup/memory/memory.swappiness'), '30\n');
    assert.equal(runSh(['--memory-swappiness', '0'], 'cat /sys/fs/cgroup/memory/memory.swappiness'), '0\n');
    // podman: any negative value leaves the setting out.
    assert.equal(runSh(['--memory-swappiness', '-2'], 'cat /sys/fs/cgroup/memory/memory.swappiness'), `${host}\n`);
    const bad = s.run(['create', '--memory-swappiness', '101', IMAGE, 'true']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: invalid value: 101, valid memory swappiness range is 0-100\n');
    s.ok(['create', '--name', 'swp', '--memory-swappiness', '30', IMAGE, 'true']);
    s.ok(['create', '--name', 'swp2', IMAGE, 'true']);
    assert.equal(inspect('swp', '{{.HostConfig.MemorySwappiness}}'), '30');
    assert.equal(inspect('swp2', '{{.HostConfig.MemorySwappiness}}'), '0');
    s.ok(['rm', 'swp', 'swp2']);
  });

  test('--device-cgroup-rule lets the container open a device node it made', { skip: skipV1 }, () => {
    const script = 'mknod /tmp/lc c 10 237 && exec 3</tmp/lc && echo opened';
    const denied = s.run(['run', '--rm', '--network', 'none', '--cap-add', 'MKNOD', IMAGE, 'sh', '-c', script]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /can't open \/tmp\/lc: Operation not permitted/);
    assert.equal(runSh(['--cap-add', 'MKNOD', '--device-cgroup-rule', 'c 10:237 r'], `${script}; grep '^c 10:237' /sys/fs/cgroup/devices/devices.list`), 'opened\nc 10:237 r\n');
    const bad = s.run(['create', '--device-cgroup-rule', 'c 1:3', IMAGE, 'true']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: invalid device cgroup rule requires type, major:Minor, and access rules: "c 1:3"\n');
  });

  test('--personality is written to the bundle as linux.personality', () => {
    s.ok(['create', '--name', 'pers', '--personality', 'LINUX32', IMAGE, 'uname', '-m']);
    s.ok(['init', 'pers']);
    const spec = JSON.parse(fs.readFileSync(inspect('pers', '{{.OCIConfigPath}}'), 'utf8'));
    assert.deepEqual(spec.linux.personality, { domain: 'LINUX32' });
    s.ok(['start', 'pers']);
    s.ok(['wait', 'pers']);
    // runc applies it from 1.2 (i686 then); runc 1.1 ignores it, as it does for podman.
    const runc = spawnSync('runc', ['--version'], { encoding: 'utf8' }).stdout ?? '';
    const m = /runc version (\d+)\.(\d+)/.exec(runc);
    const applies = m !== null && (Number(m[1]) > 1 || Number(m[2]) >= 2);
    const native = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim();
    assert.equal(s.ok(['logs', 'pers']).trim(), applies && native === 'x86_64' ? 'i686' : native);
    s.ok(['rm', 'pers']);
  });

  test('--pidfile and --conmon-pidfile: written at each start, kept after the container stops', () => {
    const pidfile = path.join(s.dir, 'ctr.pid');
    const conmonPidfile = path.join(s.dir, 'conmon.pid');
    s.ok(['create', '--name', 'pf', '--network', 'none', '--pidfile', pidfile, '--conmon-pidfile', conmonPidfile, IMAGE, 'sleep', '300']);
    assert.equal(inspect('pf', '{{.PidFile}} {{.ConmonPidFile}}'), `${pidfile} ${conmonPidfile}`);
    assert.ok(!fs.existsSync(pidfile) && !fs.existsSync(conmonPidfile), 'nothing written before the start');
    s.ok(['start', 'pf']);
    const [pid, conmonPid] = inspect('pf', '{{.State.Pid}} {{.State.ConmonPid}}').split(' ');
    assert.equal(fs.readFileSync(pidfile, 'utf8'), pid);
    assert.equal(fs.readFileSync(conmonPidfile, 'utf8').trim(), conmonPid);
    assert.equal(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x00300\x00');
    s.ok(['stop', '-t', '0', 'pf']);
    assert.equal(fs.readFileSync(pidfile, 'utf8'), pid, 'left in place after the stop, as podman does');
    s.ok(['start', 'pf']);
    const pid2 = inspect('pf', '{{.State.Pid}}');
    assert.notEqual(pid2, pid);
    assert.equal(fs.readFileSync(pidfile, 'utf8'), pid2);
    s.ok(['rm', '-f', '-t', '0', 'pf']);
    // Without the flags the files are in the container's run directory.
    s.ok(['create', '--name', 'pf2', IMAGE, 'true']);
    assert.match(inspect('pf2', '{{.PidFile}} {{.ConmonPidFile}}'), /\/containers\/[0-9a-f]{64}\/pidfile \S+\/containers\/[0-9a-f]{64}\/conmon\.pid$/);
    s.ok(['rm', 'pf2']);
  });

  test('update takes --cpu-period/--cpu-quota and the block I/O throttles with run\'s checks', { skip: skipV1 }, (t) => {
    s.ok(['run', '-d', '--name', 'upd2', '--network', 'none', IMAGE, 'sleep', '300']);
    s.ok(['update', '--cpu-period', '50000', '--cpu-quota', '20000', 'upd2']);
    assert.equal(s.ok(['exec', 'upd2', 'cat', '/sys/fs/cgroup/cpu/cpu.cfs_period_us', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us']), '50000\n20000\n');
    assert.equal(inspect('upd2', '{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}}'), '50000 20000');
    const bad = s.run(['update', '--cpu-period', '500', 'upd2']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: CPU cfs period cannot be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)\n');
    const nodev = s.run(['update', '--device-read-bps', '/dev/nonexistent-dev:1mb', 'upd2']);
    assert.equal(nodev.stderr, 'Error: could not parse throttle device at /dev/nonexistent-dev: no such file or directory\n');
    const dev = blockDevice();
    if (dev) {
      s.ok(['update', '--device-read-bps', `${dev.path}:1mb`, 'upd2']);
      assert.equal(inspect('upd2', '{{json .HostConfig.BlkioDeviceReadBps}}'), `[{"Path":"${dev.path}","Rate":1048576}]`);
    } else {
      t.diagnostic('no block device: throttle update not checked');
    }
    s.ok(['rm', '-f', '-t', '0', 'upd2']);
  });
});
