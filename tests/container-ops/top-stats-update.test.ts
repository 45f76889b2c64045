// `top`, `stats` and `update` against real containers (runc + conmon).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { containerCgroup } from '../../src/engine/stats';
import { storeWithBusybox } from './helpers';

test('top: the default columns and custom descriptors show the container\'s process', async () => {
  const s = await storeWithBusybox();
  try {
    s.ok(['run', '-d', '--name', 'topper', 'localhost/busybox', 'sleep', '1000']);
    const hostPid = s.inspect('topper', '{{.State.Pid}}');
    const lines = s.ok(['top', 'topper']).trimEnd().split('\n');
    assert.match(lines[0], /^USER\s+PID\s+PPID\s+%CPU\s+ELAPSED\s+TTY\s+TIME\s+COMMAND$/);
    assert.equal(lines.length, 2, lines.join('\n'));
    const cells = lines[1].trim().split(/\s+/);
    assert.deepEqual([cells[0], cells[1], cells[2], cells[5], cells[6]], ['root', '1', '0', '?', '0s']);
    assert.match(cells[3], /^\d+\.\d{3}$/);
    assert.match(cells[4], /^[\d.]+(ms|s)$|^\d+m[\d.]+s$/);
    assert.equal(cells.slice(7).join(' '), 'sleep 1000');
    // Columns are aligned as podman's tabwriter (min width 12, padding 2).
    assert.ok(lines[0].startsWith('USER        PID         PPID'), lines[0]);

    const custom = s.ok(['top', 'topper', 'pid,hpid', 'comm', 'huser', 'args']).trimEnd().split('\n');
    assert.match(custom[0], /^PID\s+HPID\s+COMMAND\s+HUSER\s+COMMAND$/);
    assert.deepEqual(custom[1].trim().split(/\s+/), ['1', hostPid, 'sleep', 'root', 'sleep', '1000']);

    const caps = s.ok(['top', 'topper', 'capeff', 'seccomp', 'state']).trimEnd().split('\n');
    assert.match(caps[1], /CHOWN,DAC_OVERRIDE,.*SYS_CHROOT\s+filter\s+S$/);

    // Descriptors psgo does not know run ps(1) in the container.
    const ps = s.ok(['top', 'topper', '-o', 'pid,comm']);
    assert.match(ps, /^\s*1\s+sleep$/m);

    const bad = s.run(['top', 'topper', '--bogus']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /executing ps\(1\) in the container/);

    s.ok(['stop', '-t', '0', 'topper']);
    const stopped = s.run(['top', 'topper']);
    assert.equal(stopped.code, 125);
    assert.match(stopped.stderr, /top can only be used on running containers/);
  } finally {
    await s.dispose();
  }
});

test('stats --no-stream: table, JSON and templates with the container\'s memory and pids', async () => {
  const s = await storeWithBusybox();
  try {
    const id = s.ok(['run', '-d', '--name', 'st1', 'localhost/busybox', 'sleep', '1000']).trim();
    s.ok(['run', '--name', 'st-exited', 'localhost/busybox', 'true']);
    const lines = s.ok(['stats', '--no-stream']).trimEnd().split('\n');
    assert.match(lines[0], /^ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET IO\s+BLOCK IO\s+PIDS\s+CPU TIME\s+AVG CPU %$/);
    assert.equal(lines.length, 2, 'only the running container');
    const cells = lines[1].split(/\s{2,}/);
    assert.equal(cells[0], id.slice(0, 12));
    assert.equal(cells[1], 'st1');
    assert.match(cells[2], /^\d+\.\d\d%$/);
    assert.match(cells[3], /^\d+(\.\d+)?[kMG]?B \/ \d+(\.\d+)?[kMGT]?B$/);
    assert.doesNotMatch(cells[3], /^0B/);
    assert.ok(Number(cells[7]) >= 1, cells[7]);

    const json = JSON.parse(s.ok(['stats', '--no-stream', '--format', 'json', 'st1']));
    assert.equal(json.length, 1);
    assert.equal(json[0].id, id.slice(0, 12));
    assert.equal(json[0].name, 'st1');
    assert.ok(Number(json[0].pids) >= 1);
    assert.doesNotMatch(json[0].mem_usage, /^0B/);
    assert.deepEqual(Object.keys(json[0]), ['id', 'name', 'cpu_time', 'cpu_percent', 'avg_cpu', 'mem_usage', 'mem_percent', 'net_io', 'block_io', 'pids']);

    const tmpl = s.ok(['stats', '--no-stream', '--no-trunc', '--format', '{{.ID}} {{.Name}} {{.PIDs}} {{gt .MemLimit 0}}', 'st1']);
    assert.equal(tmpl, `${id} st1 1 true\n`);

    const both = s.run(['stats', '--no-stream', '-a', 'st1']);
    assert.equal(both.code, 125);
    assert.match(both.stderr, /--all, --latest and containers cannot be used together/);
  } finally {
    await s.dispose();
  }
});

function memoryLimitFile(pid: number): string {
  const cg = containerCgroup({ pid })!;
  return cg.version === 1 ? path.join(cg.v1.memory, 'memory.limit_in_bytes') : path.join(cg.unified!, 'memory.max');
}

test('update --memory changes the cgroup limit now and on the next start', async () => {
  const s = await storeWithBusybox();
  try {
    const id = s.ok(['run', '-d', '--name', 'upd', 'localhost/busybox', 'sleep', '1000']).trim();
    const pid = Number(s.inspect('upd', '{{.State.Pid}}'));
    const before = fs.readFileSync(memoryLimitFile(pid), 'utf8').trim();
    assert.notEqual(before, '67108864');
    assert.equal(s.ok(['update', '--memory', '64m', '--pids-limit', '50', 'upd']).trim(), id);
    assert.equal(fs.readFileSync(memoryLimitFile(pid), 'utf8').trim(), '67108864');
    const cg = containerCgroup({ pid })!;
    const pidsMax = cg.version === 1 ? path.join(cg.v1.pids, 'pids.max') : path.join(cg.unified!, 'pids.max');
    assert.equal(fs.readFileSync(pidsMax, 'utf8').trim(), '50');
    assert.equal(s.inspect('upd', '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}'), '67108864 50');

    // Persisted: a new start gets the same limit.
    s.ok(['stop', '-t', '0', 'upd']);
    s.ok(['start', 'upd']);
    const pid2 = Number(s.inspect('upd', '{{.State.Pid}}'));
    assert.notEqual(pid2, pid);
    assert.equal(fs.readFileSync(memoryLimitFile(pid2), 'utf8').trim(), '67108864');

    // Keys that only update sets (CFS period/quota) also survive a restart.
    s.ok(['update', '--cpu-period', '50000', '--cpu-quota', '20000', 'upd']);
    s.ok(['stop', '-t', '0', 'upd']);
    s.ok(['start', 'upd']);
    const cg3 = containerCgroup({ pid: Number(s.inspect('upd', '{{.State.Pid}}')) })!;
    if (cg3.version === 1) {
      assert.equal(fs.readFileSync(path.join(cg3.v1.cpu, 'cpu.cfs_period_us'), 'utf8').trim(), '50000');
      assert.equal(fs.readFileSync(path.join(cg3.v1.cpu, 'cpu.cfs_quota_us'), 'utf8').trim(), '20000');
    } else {
      assert.equal(fs.readFileSync(path.join(cg3.unified!, 'cpu.max'), 'utf8').trim(), '20000 50000');
    }

    const tooSmall = s.run(['update', '--memory', '1m', 'upd']);
    assert.equal(tooSmall.code, 125);
    assert.match(tooSmall.stderr, /minimum memory limit allowed is 6MB/);
    const missing = s.run(['update', '--memory', '64m', 'nosuchctr']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /no container with name or ID "nosuchctr" found/);
  } finally {
    await s.dispose();
  }
});
