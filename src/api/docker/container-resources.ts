// Docker API: a container's resources — stats (Docker's JSON shape from the cgroup, one sample or a
// stream every second) and update (new limits, restart policy).
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { containerOf, localContainers, qbool, RUNNING_STATES as RUNNING } from './common';

// ---------------------------------------------------------------------------------------
// stats

/** The host's total CPU time in ns (/proc/stat's cpu line, USER_HZ ticks), as Docker's system_cpu_usage. */
function systemCpuNs(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const ticks = line.trim().split(/\s+/).slice(1, 8).reduce((a, b) => a + Number(b), 0);
    return ticks * (1e9 / 100);
  } catch {
    return 0;
  }
}

function netDevices(pid: number): Record<string, Record<string, number>> | undefined {
  let text: string;
  try { text = fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8'); } catch { return undefined; }
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (name === 'lo') continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    out[name] = {
      rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3],
      tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11],
    };
  }
  return out;
}

function readFlat(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
    }
  } catch { /* missing */ }
  return out;
}

interface CpuSample { total: number; percpu: number[]; kernel: number; user: number; system: number; online: number }

function dockerStats(r: ApiRequest, id: string, prev: { cpu: CpuSample; read: string } | undefined): { body: Record<string, unknown>; cpu: CpuSample; read: string } {
  const e = localContainers(r);
  const { cgroupOf, readCgroupStats } = require('../../engine/stats') as typeof import('../../engine/stats');
  const cur = e.containers.get(id);
  const c = cur ? e.lifecycle.sync(cur) : undefined;
  const read = new Date().toISOString();
  const running = !!c && RUNNING.includes(c.state.status) && c.state.pid > 0;
  const cg = running ? cgroupOf(e.lifecycle, c!) : null;
  const raw = cg ? readCgroupStats(cg) : undefined;
  const online = os.cpus().length;
  const cpu: CpuSample = {
    total: raw?.cpuNs ?? 0, percpu: raw?.perCpu ?? [], kernel: raw?.cpuSystemNs ?? 0, user: Math.max(0, (raw?.cpuNs ?? 0) - (raw?.cpuSystemNs ?? 0)),
    system: systemCpuNs(), online,
  };
  const cpuStats = (s: CpuSample | undefined) => s ? {
    cpu_usage: { total_usage: s.total, percpu_usage: s.percpu.length ? s.percpu : undefined, usage_in_kernelmode: s.kernel, usage_in_usermode: s.user },
    system_cpu_usage: s.system, online_cpus: s.online, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  } : { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  const memDir = cg?.version === 1 ? cg.v1.memory : undefined;
  const memStat = memDir ? readFlat(path.join(memDir, 'memory.stat')) : {};
  const maxUsage = memDir ? Number((() => { try { return fs.readFileSync(path.join(memDir, 'memory.max_usage_in_bytes'), 'utf8').trim(); } catch { return '0'; } })()) : 0;
  const hostMem = os.totalmem();
  const limit = raw && raw.memLimit > 0 && raw.memLimit < hostMem ? raw.memLimit : hostMem;
  const body: Record<string, unknown> = {
    read: running ? read : '0001-01-01T00:00:00Z',
    preread: prev?.read ?? '0001-01-01T00:00:00Z',
    pids_stats: running ? { current: raw?.pids ?? 0, limit: c!.config.create.pidsLimit ?? 0 } : {},
    blkio_stats: {
      io_service_bytes_recursive: running ? [
        { major: 0, minor: 0, op: 'read', value: raw?.blkRead ?? 0 }, { major: 0, minor: 0, op: 'write', value: raw?.blkWrite ?? 0 },
      ] : null,
      io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null,
      io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(running ? cpu : undefined),
    precpu_stats: cpuStats(prev?.cpu),
    memory_stats: running ? { usage: raw?.memUsage ?? 0, max_usage: maxUsage, stats: memStat, limit } : {},
    name: `/${c?.name ?? ''}`,
    id,
  };
  if (running && c!.config.networkMode !== 'host') {
    const nets = netDevices(c!.state.pid);
    if (nets) body.networks = nets;
  }
  return { body, cpu, read };
}

function registerStats(router: Router): void {
  router.get('/containers/{id}/stats', async (r) => {
    const c = containerOf(r);
    const stream = qbool(r, 'stream', true) && !qbool(r, 'one-shot');
    const res = r.res!;
    if (!stream) {
      // One sample; with a short interval first so that the CPU deltas mean something (Docker does the same unless one-shot).
      let prev: ReturnType<typeof dockerStats> | undefined;
      if (!qbool(r, 'one-shot')) { prev = dockerStats(r, c.id, undefined); await new Promise((x) => setTimeout(x, 100)); }
      r.send(200, dockerStats(r, c.id, prev).body);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let closed = false;
    res.once('close', () => { closed = true; });
    let prev: { cpu: CpuSample; read: string } | undefined;
    while (!closed) {
      const s = dockerStats(r, c.id, prev);
      res.write(JSON.stringify(s.body) + '\n');
      prev = s;
      if (!localContainers(r).containers.get(c.id)) break;
      await new Promise((x) => setTimeout(x, 1000));
    }
    if (!res.writableEnded) res.end();
  });
}

export function registerContainerResourceRoutes(router: Router): void {
  registerStats(router);
  router.post('/containers/{id}/update', async (r) => {
    const c = containerOf(r);
    const body = (await r.json<Record<string, any>>()) ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'invalid update body: expected an object');
    const opts: Record<string, unknown> = {};
    const map: [string, string, (v: any) => unknown][] = [
      ['Memory', 'memory', Number], ['MemorySwap', 'memorySwap', Number], ['MemoryReservation', 'memoryReservation', Number],
      ['CpuShares', 'cpuShares', Number], ['CpuPeriod', 'cpuPeriod', Number], ['CpuQuota', 'cpuQuota', Number],
      ['CpusetCpus', 'cpusetCpus', String], ['CpusetMems', 'cpusetMems', String], ['PidsLimit', 'pidsLimit', Number],
      ['BlkioWeight', 'blkioWeight', Number], ['NanoCpus', 'cpus', (v) => Number(v) / 1e9],
    ];
    for (const [k, o, f] of map) {
      const v = body[k];
      if (v === undefined || v === null || v === 0 || v === '') continue;
      if (typeof v !== 'number' && typeof v !== 'string') throw new ApiError(400, `invalid type for ${k}`);
      opts[o] = f(v);
    }
    const e = localContainers(r);
    if (Object.keys(opts).length) {
      const { LocalContainerOps } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
      await new LocalContainerOps(e).update(c.id, opts as any);
    }
    if (body.RestartPolicy && typeof body.RestartPolicy === 'object') {
      const name = String(body.RestartPolicy.Name || 'no');
      if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(name)) throw new ApiError(400, `invalid restart policy ${name}`);
      e.containers.updateConfig(c.id, (cfg) => ({ ...cfg, restart: { name, maximumRetryCount: Number(body.RestartPolicy.MaximumRetryCount ?? 0) } }));
    }
    r.send(200, { Warnings: [] });
  });

}
