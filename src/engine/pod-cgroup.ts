// A pod's cgroup, as podman makes it with the cgroupfs manager: `<parent>/<pod id>`, created
// with the pod and carrying the pod's resource limits (--memory, --cpus, --blkio-weight...),
// the parent of its members' cgroups (--share-parent, the default). The infra container gets no
// limits of its own. Removed with the pod.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PodResources } from '../domain/pods';
import { cgroupMounts, type CgroupMount } from './stats';
import { blockDeviceNumbers, cpusToQuota, DEFAULT_CPU_PERIOD } from './spec/resources';
import { PierError, errnoText } from '../util/errors';
import { log } from '../util/log';

export interface DeviceRate { path: string; major: number; minor: number; rate: number }

/** The limits podman computes from the pod's flags (its infra spec's linux.resources). */
export interface PodLimits {
  memory?: { limit?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  blockIO?: {
    weight?: number;
    weightDevice?: { path: string; major: number; minor: number; weight: number }[];
    throttleReadBpsDevice?: DeviceRate[];
    throttleWriteBpsDevice?: DeviceRate[];
  };
}

function splitDev(spec: string): { dev: string; value: number } {
  const i = spec.lastIndexOf(':');
  return { dev: spec.slice(0, i), value: Number(spec.slice(i + 1)) };
}

/**
 * podman's resources for a pod: the memory swap twice the memory unless given (-1: not set), the
 * CFS quota from --cpus over a 100000 µs period, devices as major:minor (a missing device is
 * podman's error). None of a container's checks (the 6MB minimum, swap below memory): the
 * kernel refuses what it cannot take when the cgroup is written.
 */
export function podLimits(r: PodResources): PodLimits {
  const out: PodLimits = {};
  const mem: NonNullable<PodLimits['memory']> = {};
  if (r.memory !== undefined) {
    mem.limit = r.memory;
    if (r.memorySwap === undefined) mem.swap = 2 * r.memory;
  }
  if (r.memorySwap !== undefined && r.memorySwap !== -1) mem.swap = r.memorySwap;
  if (Object.keys(mem).length) out.memory = mem;
  const cpu: NonNullable<PodLimits['cpu']> = {};
  if (r.cpus !== undefined && r.cpus > 0) {
    cpu.period = DEFAULT_CPU_PERIOD;
    cpu.quota = cpusToQuota(r.cpus);
  }
  if (r.cpuShares !== undefined && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  const bio: NonNullable<PodLimits['blockIO']> = {};
  if (r.blkioWeight !== undefined) bio.weight = r.blkioWeight;
  const rates = (list: string[] | undefined): DeviceRate[] | undefined => {
    if (!list?.length) return undefined;
    return list.map((s) => { const { dev, value } = splitDev(s); return { path: dev, ...blockDeviceNumbers(dev, 'throttle'), rate: value }; });
  };
  if (r.blkioWeightDevice?.length) {
    bio.weightDevice = r.blkioWeightDevice.map((s) => { const { dev, value } = splitDev(s); return { path: dev, ...blockDeviceNumbers(dev, 'weight'), weight: value }; });
  }
  const rbps = rates(r.deviceReadBps);
  const wbps = rates(r.deviceWriteBps);
  if (rbps) bio.throttleReadBpsDevice = rbps;
  if (wbps) bio.throttleWriteBpsDevice = wbps;
  if (Object.keys(bio).length) out.blockIO = bio;
  return out;
}

/** A cgroup file written as runc's cgroup library does, with its errors (`openat2 F: ...`, `failed to write "V": write F: ...`). */
function writeCg(dir: string, file: string, data: string): void {
  const p = path.join(dir, file);
  let fd: number;
  try { fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_TRUNC); } catch (e) { throw new PierError(`openat2 ${p}: ${errnoText(e)}`); }
  try { fs.writeSync(fd, data); } catch (e) {
    throw new PierError(`failed to write ${JSON.stringify(data)}: write ${p}: ${errnoText(e)}`);
  } finally { fs.closeSync(fd); }
}

function readCg(dir: string, file: string): string {
  try { return fs.readFileSync(path.join(dir, file), 'utf8').trim(); } catch { return ''; }
}

function exists(dir: string, file: string): boolean {
  return fs.existsSync(path.join(dir, file));
}

/** The hierarchies the pod's cgroup goes in: v1 controllers (legacy and hybrid hosts), else the v2 tree. */
function hierarchies(mounts: CgroupMount[]): { v1: CgroupMount[]; v2?: CgroupMount } {
  const v1 = mounts.filter((m) => m.version === 1 && m.controllers.length > 0);
  return { v1, v2: mounts.find((m) => m.version === 2) };
}

function dirIn(m: CgroupMount, cgPath: string): string {
  const rel = path.posix.relative(m.root, cgPath);
  return path.join(m.mountpoint, rel.startsWith('..') ? cgPath : rel);
}

/** mkdir -p, returning the directories it made (outermost first). */
function mkdirs(dir: string): string[] {
  const made: string[] = [];
  const todo: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) todo.unshift(d);
  for (const d of todo) { fs.mkdirSync(d); made.push(d); }
  return made;
}

/** v1 cpuset: a new cgroup has no CPUs or memory nodes until given its parent's. */
function cpusetInherit(made: string[]): void {
  for (const d of made) {
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      if (readCg(d, f) === '') {
        const parent = readCg(path.dirname(d), f);
        if (parent !== '') writeCg(d, f, parent);
      }
    }
  }
}

function applyV1(dirs: Map<string, string>, l: PodLimits): void {
  const dir = (c: string) => dirs.get(c);
  // runc's order of the controllers: cpuset, memory, cpu, blkio.
  const cs = dir('cpuset');
  if (cs && l.cpu?.cpus) writeCg(cs, 'cpuset.cpus', l.cpu.cpus);
  if (cs && l.cpu?.mems) writeCg(cs, 'cpuset.mems', l.cpu.mems);
  const mem = dir('memory');
  if (mem && l.memory) {
    if (l.memory.limit) writeCg(mem, 'memory.limit_in_bytes', String(l.memory.limit));
    if (l.memory.swap) writeCg(mem, 'memory.memsw.limit_in_bytes', String(l.memory.swap));
  }
  const cpu = dir('cpu');
  if (cpu && l.cpu) {
    if (l.cpu.shares) {
      writeCg(cpu, 'cpu.shares', String(l.cpu.shares));
      const got = Number(readCg(cpu, 'cpu.shares'));
      if (got && got < l.cpu.shares) throw new PierError(`the maximum allowed cpu-shares is ${got}`);
      if (got && got > l.cpu.shares) throw new PierError(`the minimum allowed cpu-shares is ${got}`);
    }
    if (l.cpu.period) writeCg(cpu, 'cpu.cfs_period_us', String(l.cpu.period));
    if (l.cpu.quota) writeCg(cpu, 'cpu.cfs_quota_us', String(l.cpu.quota));
  }
  const bio = dir('blkio');
  if (bio && l.blockIO) {
    // CFQ's files where the kernel has them, else BFQ's (as runc).
    const cfq = exists(bio, 'blkio.weight');
    if (l.blockIO.weight) writeCg(bio, cfq ? 'blkio.weight' : 'blkio.bfq.weight', String(l.blockIO.weight));
    for (const w of l.blockIO.weightDevice ?? []) {
      if (w.weight) writeCg(bio, cfq ? 'blkio.weight_device' : 'blkio.bfq.weight_device', `${w.major}:${w.minor} ${w.weight}`);
    }
    for (const t of l.blockIO.throttleReadBpsDevice ?? []) writeCg(bio, 'blkio.throttle.read_bps_device', `${t.major}:${t.minor} ${t.rate}`);
    for (const t of l.blockIO.throttleWriteBpsDevice ?? []) writeCg(bio, 'blkio.throttle.write_bps_device', `${t.major}:${t.minor} ${t.rate}`);
  }
}

function applyV2(dir: string, l: PodLimits): void {
  if (l.cpu?.cpus) writeCg(dir, 'cpuset.cpus', l.cpu.cpus);
  if (l.cpu?.mems) writeCg(dir, 'cpuset.mems', l.cpu.mems);
  if (l.memory) {
    const { limit, swap } = l.memory;
    // cgroup v2 limits the swap alone: memory+swap minus memory.
    if (swap !== undefined && swap > 0) {
      if (!limit) throw new PierError('unable to set swap limit without memory limit');
      if (swap < limit) throw new PierError('memory+swap limit should be >= memory limit');
      writeCg(dir, 'memory.swap.max', String(swap - limit));
    }
    if (limit) writeCg(dir, 'memory.max', String(limit));
  }
  if (l.cpu?.shares) writeCg(dir, 'cpu.weight', String(1 + Math.floor(((l.cpu.shares - 2) * 9999) / 262142)));
  if (l.cpu?.quota || l.cpu?.period) writeCg(dir, 'cpu.max', `${l.cpu.quota && l.cpu.quota > 0 ? l.cpu.quota : 'max'}${l.cpu.period ? ` ${l.cpu.period}` : ''}`);
  const b = l.blockIO;
  if (b) {
    const bfq = exists(dir, 'io.bfq.weight');
    if (b.weight) {
      if (bfq) writeCg(dir, 'io.bfq.weight', String(b.weight));
      else writeCg(dir, 'io.weight', String(1 + Math.floor(((b.weight - 10) * 9999) / 990)));
    }
    if (bfq) for (const w of b.weightDevice ?? []) writeCg(dir, 'io.bfq.weight', `${w.major}:${w.minor} ${w.weight}`);
    for (const t of b.throttleReadBpsDevice ?? []) writeCg(dir, 'io.max', `${t.major}:${t.minor} rbps=${t.rate}`);
    for (const t of b.throttleWriteBpsDevice ?? []) writeCg(dir, 'io.max', `${t.major}:${t.minor} wbps=${t.rate}`);
  }
}

/** v2: the controllers a child of `dir` may use, enabled in its subtree_control. */
function enableControllers(dir: string): void {
  const available = readCg(dir, 'cgroup.controllers').split(/\s+/).filter(Boolean);
  for (const c of ['cpuset', 'cpu', 'io', 'memory', 'pids']) {
    if (!available.includes(c)) continue;
    try { writeCg(dir, 'cgroup.subtree_control', `+${c}`); } catch (e) { log.debug(`enabling ${c} in ${dir}: ${(e as Error).message}`); }
  }
}

/**
 * Makes the pod's cgroup at `cgPath` (e.g. /pier_parent/<pod id>) in every hierarchy and writes
 * the limits. On an error nothing of it is left (the parents, shared with other pods, stay).
 */
export function createPodCgroup(cgPath: string, limits: PodLimits, mounts: CgroupMount[] = cgroupMounts()): void {
  const { v1, v2 } = hierarchies(mounts);
  const made: string[] = [];
  try {
    if (v1.length) {
      const dirs = new Map<string, string>();
      for (const m of v1) {
        const d = dirIn(m, cgPath);
        const created = mkdirs(d);
        made.push(...created);
        if (m.controllers.includes('cpuset')) cpusetInherit(created);
        for (const c of m.controllers) dirs.set(c, d);
      }
      applyV1(dirs, limits);
    } else if (v2) {
      const d = dirIn(v2, cgPath);
      const todo: string[] = [];
      for (let x = d; !fs.existsSync(x); x = path.dirname(x)) todo.unshift(x);
      for (const x of todo) {
        enableControllers(path.dirname(x));
        fs.mkdirSync(x);
        made.push(x);
      }
      applyV2(d, limits);
    }
  } catch (e) {
    // The pod's own directory goes; parents it made too (innermost first), when empty.
    for (const d of made.reverse()) { try { fs.rmdirSync(d); } catch { /* in use */ } }
    if (e instanceof PierError) throw e;
    throw new PierError(`creating pod cgroup ${cgPath}: ${errnoText(e)}`);
  }
}

/** Removes the pod's cgroup from every hierarchy (its members' are gone with them). */
export function removePodCgroup(cgPath: string, mounts: CgroupMount[] = cgroupMounts()): void {
  for (const m of mounts) {
    const d = dirIn(m, cgPath);
    try { fs.rmdirSync(d); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') log.debug(`removing pod cgroup ${d}: ${(e as Error).message}`);
    }
  }
}
