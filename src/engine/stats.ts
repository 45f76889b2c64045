// Container resource statistics (`stats`), read from the container's cgroup (v1 controllers
// or the v2 unified hierarchy) and its network namespace (/proc/<pid>/net/dev). Also the
// cgroup location helpers that `top` and `update` share.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ContainerRecord } from './container-store';
import type { Lifecycle } from './lifecycle';
import { containerDirs } from './rootfs';
import { readSpec } from './spec';

// ---------------------------------------------------------------------------------------
// Finding a container's cgroup

/** One mounted cgroup hierarchy from /proc/self/mountinfo. */
export interface CgroupMount {
  mountpoint: string;
  /** The cgroup path mounted there (`/` unless the mount is a sub-tree). */
  root: string;
  version: 1 | 2;
  /** v1 controllers of the hierarchy (`memory`, `cpu`, `name=systemd`...); empty for v2. */
  controllers: string[];
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The cgroup hierarchies mounted on this host, parsed from a mountinfo file. */
export function cgroupMounts(mountinfo = '/proc/self/mountinfo'): CgroupMount[] {
  let text = '';
  try { text = fs.readFileSync(mountinfo, 'utf8'); } catch { return []; }
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const fstype = right[0];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const mount: CgroupMount = { mountpoint: unescapeMount(left[4]), root: unescapeMount(left[3]), version: fstype === 'cgroup2' ? 2 : 1, controllers: [] };
    if (mount.version === 1) {
      mount.controllers = (right[2] ?? '').split(',').filter((o) => o && o !== 'rw' && o !== 'ro' && !o.startsWith('release_agent') && o !== 'clone_children' && o !== 'noprefix' && o !== 'xattr' && !o.startsWith('cpuset_v2_mode'));
    }
    out.push(mount);
  }
  return out;
}

/** Where a container's cgroup lives: v1 controller directories and/or the v2 directory. */
export interface ContainerCgroup {
  /** 1 when v1 controllers are mounted (legacy or hybrid host), else 2. */
  version: 1 | 2;
  /** v1: controller name → directory. */
  v1: Record<string, string>;
  /** The unified (v2) directory, when that hierarchy is mounted. */
  unified?: string;
}

function joinCgroup(m: CgroupMount, cgPath: string): string | undefined {
  const root = m.root === '/' ? '' : m.root;
  if (root && cgPath !== root && !cgPath.startsWith(root + '/')) return undefined;
  return path.join(m.mountpoint, cgPath.slice(root.length));
}

/** The OCI `linux.cgroupsPath` as a cgroupfs path (systemd's `slice:prefix:name` → `/slice/prefix-name.scope`). */
export function cgroupsPathToFs(cgroupsPath: string): string {
  const parts = cgroupsPath.split(':');
  if (parts.length === 3 && !cgroupsPath.startsWith('/')) {
    const [slice, prefix, name] = parts;
    let dir = '';
    if (slice && slice !== '-.slice') {
      // a-b-c.slice lives in /a.slice/a-b.slice/a-b-c.slice
      const base = slice.replace(/\.slice$/, '');
      const segs = base.split('-');
      for (let i = 1; i <= segs.length; i++) dir += '/' + segs.slice(0, i).join('-') + '.slice';
    }
    return `${dir}/${prefix ? prefix + '-' : ''}${name}.scope`;
  }
  return cgroupsPath.startsWith('/') ? cgroupsPath : '/' + cgroupsPath;
}

/**
 * A container's cgroup: from the process's /proc/<pid>/cgroup when it runs, else from the
 * bundle's `linux.cgroupsPath`. Returns null when neither is known.
 */
export function containerCgroup(opts: { pid?: number; cgroupsPath?: string; mounts?: CgroupMount[]; procRoot?: string }): ContainerCgroup | null {
  const mounts = opts.mounts ?? cgroupMounts();
  const v1Mounts = mounts.filter((m) => m.version === 1 && m.controllers.length > 0);
  const v2Mount = mounts.find((m) => m.version === 2);
  const hasV1Controllers = v1Mounts.some((m) => m.controllers.some((c) => !c.startsWith('name=')));
  const out: ContainerCgroup = { version: hasV1Controllers ? 1 : 2, v1: {} };
  let lines: string[] = [];
  if (opts.pid && opts.pid > 0) {
    try { lines = fs.readFileSync(path.join(opts.procRoot ?? '/proc', String(opts.pid), 'cgroup'), 'utf8').split('\n').filter(Boolean); } catch { lines = []; }
  }
  if (lines.length) {
    for (const l of lines) {
      const a = l.indexOf(':');
      const b = l.indexOf(':', a + 1);
      if (a < 0 || b < 0) continue;
      const ctrls = l.slice(a + 1, b).split(',').filter(Boolean);
      const cgPath = l.slice(b + 1);
      if (!ctrls.length) {
        if (v2Mount) out.unified = joinCgroup(v2Mount, cgPath);
        continue;
      }
      const m = v1Mounts.find((x) => x.controllers.some((c) => ctrls.includes(c)));
      if (!m) continue;
      const dir = joinCgroup(m, cgPath);
      if (dir) for (const c of m.controllers) out.v1[c] = dir;
    }
  } else if (opts.cgroupsPath) {
    const p = cgroupsPathToFs(opts.cgroupsPath);
    for (const m of v1Mounts) {
      const dir = joinCgroup(m, p);
      if (dir) for (const c of m.controllers) out.v1[c] = dir;
    }
    if (v2Mount) out.unified = joinCgroup(v2Mount, p);
  } else {
    return null;
  }
  return out;
}

/** The bundle's `linux.cgroupsPath` for a container ('' when unknown). */
export function bundleCgroupsPath(bundleDir: string): string {
  const p = readSpec(bundleDir)?.linux?.cgroupsPath;
  return typeof p === 'string' ? p : '';
}

/** The cgroup of a container record (running or not). */
export function cgroupOf(lifecycle: Lifecycle, c: ContainerRecord): ContainerCgroup | null {
  const cgroupsPath = bundleCgroupsPath(containerDirs(lifecycle.store, c.id).userdata);
  const running = c.state.status === 'running' || c.state.status === 'paused';
  return containerCgroup({ pid: running ? c.state.pid : undefined, cgroupsPath: cgroupsPath || undefined });
}

/** Host pids of the processes in a container's cgroup (cgroup.procs). */
export function cgroupPids(cg: ContainerCgroup): number[] {
  const dirs: string[] = [];
  if (cg.version === 2 && cg.unified) dirs.push(cg.unified);
  for (const c of ['pids', 'memory', 'cpu', 'freezer', 'devices', 'name=systemd']) if (cg.v1[c]) dirs.push(cg.v1[c]);
  if (cg.unified) dirs.push(cg.unified);
  for (const d of dirs) {
    for (const f of ['cgroup.procs', 'tasks']) {
      let text: string;
      try { text = fs.readFileSync(path.join(d, f), 'utf8'); } catch { continue; }
      const pids = [...new Set(text.split('\n').filter(Boolean).map(Number).filter((n) => n > 0))];
      // `tasks` lists threads: keep thread-group leaders only.
      if (f === 'tasks') return pids.filter((p) => isThreadGroupLeader(p));
      return pids;
    }
  }
  return [];
}

function isThreadGroupLeader(pid: number): boolean {
  try {
    const m = /^Tgid:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return !m || Number(m[1]) === pid;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// Reading cgroup statistics

/** Raw counters from a cgroup, independent of its version. */
export interface CgroupStats {
  /** Total CPU time in ns. */
  cpuNs: number;
  /** Kernel-mode CPU time in ns. */
  cpuSystemNs: number;
  /** Per-CPU usage in ns (v1 only; empty on v2). */
  perCpu: number[];
  memUsage: number;
  /** The cgroup's memory limit in bytes (0 = unlimited). */
  memLimit: number;
  pids: number;
  blkRead: number;
  blkWrite: number;
}

function readText(file: string): string | undefined {
  try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; }
}

function readNum(file: string): number {
  const t = readText(file)?.trim();
  if (!t || t === 'max') return 0;
  const n = Number(t);
  return Number.isFinite(n) ? n : 0;
}

/** `key value` lines (cpu.stat, memory.stat, cpuacct.stat) → map. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** v1 blkio `MAJ:MIN Op bytes` lines → read and write byte totals. */
export function parseBlkioServiceBytes(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length !== 3) continue;
    const n = Number(f[2]);
    if (!Number.isFinite(n)) continue;
    if (f[1] === 'Read') read += n;
    else if (f[1] === 'Write') write += n;
  }
  return { read, write };
}

/** v2 io.stat `MAJ:MIN rbytes=N wbytes=N ...` lines → read and write byte totals. */
export function parseIoStat(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split('\n')) {
    for (const kv of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = kv.split('=');
      const n = Number(v);
      if (!Number.isFinite(n)) continue;
      if (k === 'rbytes') read += n;
      else if (k === 'wbytes') write += n;
    }
  }
  return { read, write };
}

const USER_HZ = 100;
/** Unlimited memory in v1 is reported as a page-aligned 2^63-1. */
const V1_UNLIMITED = 2 ** 62;

/** Statistics from v1 controller directories (controller → dir). */
export function readCgroupV1Stats(dirs: Record<string, string>): CgroupStats {
  const cpuacct = dirs.cpuacct ?? dirs.cpu;
  const st: CgroupStats = { cpuNs: 0, cpuSystemNs: 0, perCpu: [], memUsage: 0, memLimit: 0, pids: 0, blkRead: 0, blkWrite: 0 };
  if (cpuacct) {
    st.cpuNs = readNum(path.join(cpuacct, 'cpuacct.usage'));
    const percpu = readText(path.join(cpuacct, 'cpuacct.usage_percpu'));
    if (percpu) st.perCpu = percpu.trim().split(/\s+/).filter(Boolean).map(Number);
    const stat = parseFlatKeyed(readText(path.join(cpuacct, 'cpuacct.stat')) ?? '');
    st.cpuSystemNs = ((stat.system ?? 0) * 1e9) / USER_HZ;
  }
  if (dirs.memory) {
    st.memUsage = readNum(path.join(dirs.memory, 'memory.usage_in_bytes'));
    const limit = readNum(path.join(dirs.memory, 'memory.limit_in_bytes'));
    st.memLimit = limit >= V1_UNLIMITED ? 0 : limit;
  }
  if (dirs.pids) st.pids = readNum(path.join(dirs.pids, 'pids.current'));
  if (dirs.blkio) {
    for (const f of ['blkio.throttle.io_service_bytes_recursive', 'blkio.io_service_bytes_recursive', 'blkio.bfq.io_service_bytes_recursive']) {
      const t = readText(path.join(dirs.blkio, f));
      if (t === undefined) continue;
      const io = parseBlkioServiceBytes(t);
      if (io.read || io.write || f === 'blkio.bfq.io_service_bytes_recursive') { st.blkRead = io.read; st.blkWrite = io.write; break; }
    }
  }
  return st;
}

/** Statistics from a v2 (unified) cgroup directory. */
export function readCgroupV2Stats(dir: string): CgroupStats {
  const cpu = parseFlatKeyed(readText(path.join(dir, 'cpu.stat')) ?? '');
  const io = parseIoStat(readText(path.join(dir, 'io.stat')) ?? '');
  return {
    cpuNs: (cpu.usage_usec ?? 0) * 1000,
    cpuSystemNs: (cpu.system_usec ?? 0) * 1000,
    perCpu: [],
    memUsage: readNum(path.join(dir, 'memory.current')),
    memLimit: readNum(path.join(dir, 'memory.max')),
    pids: readNum(path.join(dir, 'pids.current')),
    blkRead: io.read,
    blkWrite: io.write,
  };
}

/** Statistics of a container cgroup, whichever version it is. */
export function readCgroupStats(cg: ContainerCgroup): CgroupStats {
  if (cg.version === 2) return readCgroupV2Stats(cg.unified ?? '');
  return readCgroupV1Stats(cg.v1);
}

/** Bytes received and sent on a process's network namespace, loopback excluded (/proc/<pid>/net/dev). */
export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (!name || name === 'lo' || name.includes('|')) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 9) continue;
    rx += f[0] || 0;
    tx += f[8] || 0;
  }
  return { rx, tx };
}

// ---------------------------------------------------------------------------------------
// Container statistics

/** One container's statistics, with podman's (define.ContainerStats) field names. */
export interface ContainerStats {
  AvgCPU: number;
  ContainerID: string;
  Name: string;
  PerCPU: number[] | null;
  /** CPU % since the previous sample (or since the container started). */
  CPU: number;
  CPUNano: number;
  CPUSystemNano: number;
  /** When this sample was taken (ns since the epoch). */
  SystemNano: number;
  MemUsage: number;
  MemLimit: number;
  MemPerc: number;
  NetInput: number;
  NetOutput: number;
  BlockInput: number;
  BlockOutput: number;
  PIDs: number;
  /** Total CPU time as a duration in ns (podman's name). */
  UpTime: number;
  Duration: number;
  /** Samples averaged into AvgCPU so far. */
  DataPoints: number;
}

/** A zeroed sample (podman's answer for containers that do not run). */
export function emptyStats(c: Pick<ContainerRecord, 'id' | 'name'>): ContainerStats {
  return {
    AvgCPU: 0, ContainerID: c.id, Name: c.name, PerCPU: null, CPU: 0, CPUNano: 0, CPUSystemNano: 0, SystemNano: 0,
    MemUsage: 0, MemLimit: 0, MemPerc: 0, NetInput: 0, NetOutput: 0, BlockInput: 0, BlockOutput: 0, PIDs: 0,
    UpTime: 0, Duration: 0, DataPoints: 0,
  };
}

/**
 * Statistics of a container: CPU % over the time since `prev` (or since the container
 * started), memory against min(limit, host memory), network and block I/O, pids. Containers
 * that do not run get a zeroed sample.
 */
export function containerStats(lifecycle: Lifecycle, c: ContainerRecord, prev?: ContainerStats): ContainerStats {
  const st = emptyStats(c);
  if ((c.state.status !== 'running' && c.state.status !== 'paused') || !c.state.pid) return st;
  const cg = cgroupOf(lifecycle, c);
  if (!cg) return st;
  const raw = readCgroupStats(cg);
  const now = Date.now() * 1e6;
  const started = c.state.startedAt ? Date.parse(c.state.startedAt) * 1e6 : now;
  const prevCpu = prev?.CPUNano ?? 0;
  const prevSystem = prev && prev.SystemNano ? prev.SystemNano : started;
  const cpuDelta = raw.cpuNs - prevCpu;
  const sysDelta = now - prevSystem;
  st.CPU = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * 100 : 0;
  const points = prev?.DataPoints ?? 0;
  st.AvgCPU = (((prev?.AvgCPU ?? 0) * points) + st.CPU) / (points + 1);
  st.DataPoints = points + 1;
  st.CPUNano = raw.cpuNs;
  st.CPUSystemNano = raw.cpuSystemNs;
  st.SystemNano = now;
  st.PerCPU = raw.perCpu.length ? raw.perCpu : null;
  st.UpTime = raw.cpuNs;
  st.Duration = raw.cpuNs;
  st.MemUsage = raw.memUsage;
  const hostMem = os.totalmem();
  st.MemLimit = raw.memLimit > 0 && raw.memLimit < hostMem ? raw.memLimit : hostMem;
  st.MemPerc = st.MemLimit > 0 ? (st.MemUsage / st.MemLimit) * 100 : 0;
  st.PIDs = raw.pids;
  st.BlockInput = raw.blkRead;
  st.BlockOutput = raw.blkWrite;
  if (c.config.networkMode !== 'host') {
    const net = readText(`/proc/${c.state.pid}/net/dev`);
    if (net) {
      const n = parseNetDev(net);
      st.NetInput = n.rx;
      st.NetOutput = n.tx;
    }
  }
  return st;
}

export { goDuration } from '../util/go-duration';
