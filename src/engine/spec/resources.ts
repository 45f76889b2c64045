/** linux.resources: memory, CPU, pids and block I/O limits as podman computes them from its flags. */
import * as fs from 'node:fs';
import { UsageError, errnoText } from '../../util/errors';
import { splitDevNumber } from './devices';
import type { OciDeviceRule, OciResources, OciThrottleDevice, OciWeightDevice } from './types';

/** podman's default --pids-limit. */
export const DEFAULT_PIDS_LIMIT = 2048;

export interface ResourceOptions {
  /** Bytes (--memory). */
  memory?: number;
  /** Bytes of memory+swap (--memory-swap); -1 = unlimited; default 2×memory when memory is set. */
  memorySwap?: number;
  memoryReservation?: number;
  memorySwappiness?: number;
  oomKillDisable?: boolean;
  /** --cpus: quota = cpus × 100000 over a 100000 µs period. */
  cpus?: number;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** --pids-limit; default 2048; 0 or -1 = unlimited. */
  pidsLimit?: number;
  blkioWeight?: number;
  /** `/dev/sda:200` */
  blkioWeightDevice?: string[];
  /** `/dev/sda:1048576` (bytes or ops per second, already converted to numbers). */
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
  deviceReadIops?: string[];
  deviceWriteIops?: string[];
}

/** podman's default CFS period (what --cpus divides). */
export const DEFAULT_CPU_PERIOD = 100000;

/** The CFS quota --cpus gives: cpus × 100000 µs, truncated as podman does. */
export function cpusToQuota(cpus: number): number {
  return Math.trunc(cpus * DEFAULT_CPU_PERIOD);
}


/**
 * A block device's major:minor, for --blkio-weight-device (`weight`) or the --device-*-bps/iops
 * throttles (`throttle`), with podman's errors. A throttle takes a character device's numbers
 * too, as podman's (cgroup v2 limits `1:5` for /dev/zero; v1's runtime refuses it at start).
 * A path that is no device is refused here (podman would write 0:0 and fail at start).
 */
export function blockDeviceNumbers(dev: string, kind: 'weight' | 'throttle'): { major: number; minor: number } {
  const fail = (why: string): never => {
    throw new UsageError(kind === 'weight' ? `failed to inspect '${dev}' in --blkio-weight-device: ${why}` : `could not parse throttle device at ${dev}: ${why}`);
  };
  let st: fs.BigIntStats | undefined;
  try { st = fs.statSync(dev, { bigint: true }); } catch (e) { fail(errnoText(e)); }
  if (!st!.isBlockDevice() && !(kind === 'throttle' && st!.isCharacterDevice())) fail('not a block device');
  return splitDevNumber(st!.rdev);
}

/** `DEV:VALUE` as stored (VALUE already a number): split at the first colon. */
function splitDeviceValue(spec: string): { dev: string; value: number } {
  const colon = spec.indexOf(':');
  const value = colon > 0 ? Number(spec.slice(colon + 1)) : NaN;
  if (!Number.isFinite(value) || value < 0 || spec.slice(colon + 1).trim() === '') throw new UsageError(`bad format: ${spec}`);
  return { dev: spec.slice(0, colon), value };
}

/** Parse one `--blkio-weight-device DEV:WEIGHT` (0, or 10 to 1000) → `DEV:WEIGHT`. */
export function parseWeightDevice(v: string): string {
  const colon = v.indexOf(':');
  if (colon < 0) throw new UsageError(`bad format: ${v}`);
  const dev = v.slice(0, colon);
  const w = v.slice(colon + 1);
  if (!dev.startsWith('/dev/')) throw new UsageError(`bad format for device path: ${v}`);
  const n = /^[0-9]+$/.test(w) ? Number(w) : NaN;
  if (!Number.isSafeInteger(n) || (n > 0 && (n < 10 || n > 1000))) throw new UsageError(`invalid weight for device: ${v}`);
  return `${dev}:${n}`;
}

/** Parse one `--device-{read,write}-{bps,iops} DEV:RATE` (bps takes size units: 1mb) → `DEV:RATE`. */
export function parseThrottleDevice(v: string, unit: 'bps' | 'iops'): string {
  const colon = v.indexOf(':');
  if (colon < 0) throw new UsageError(`bad format: ${v}`);
  const dev = v.slice(0, colon);
  const r = v.slice(colon + 1);
  if (!dev.startsWith('/dev/')) throw new UsageError(`bad format for device path: ${v}`);
  let n: number | undefined;
  if (unit === 'bps') {
    // go-units' RAMInBytes: binary units, an optional space, i and b suffixes.
    const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(r);
    if (m) {
      const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
      n = Math.trunc(parseFloat(m[1]) * mult[(m[2] ?? '').toLowerCase()]);
    }
    // Beyond int64 podman's conversion goes negative and is refused.
    if (n !== undefined && !(n < 2 ** 63)) n = undefined;
    if (n === undefined) {
      throw new UsageError(`invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`);
    }
  } else {
    if (/^[0-9]+$/.test(r) && BigInt(r) < 2n ** 64n) n = Number(r);
    if (n === undefined) throw new UsageError(`invalid rate for device: ${v}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  }
  return `${dev}:${n}`;
}

/** Device values by path, the last one given for a path winning (podman keeps one per device). */
export function dedupeDeviceValues(list: readonly string[]): string[] {
  const byDev = new Map<string, string>();
  for (const v of list) byDev.set(v.slice(0, v.indexOf(':')), v);
  return [...byDev.values()];
}

/** podman's checks of the CFS values: --cpus excludes period/quota, both within the kernel's range. */
function checkValues(r: ResourceOptions): void {
  if (r.memorySwappiness !== undefined && r.memorySwappiness > 100) throw new UsageError(`invalid value: ${r.memorySwappiness}, valid memory swappiness range is 0-100`);
  const cpusSet = r.cpus !== undefined && r.cpus > 0;
  if (cpusSet && r.cpuPeriod !== undefined) throw new UsageError('--cpu-period and --cpus cannot be set together');
  if (cpusSet && r.cpuQuota !== undefined) throw new UsageError('--cpu-quota and --cpus cannot be set together');
  if (!cpusSet && r.cpuPeriod !== undefined && r.cpuPeriod !== 0 && (r.cpuPeriod < 1000 || r.cpuPeriod > 1000000)) {
    throw new UsageError('CPU cfs period cannot be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  // 0 is unset and a negative quota (update's -1) means no limit; --cpus always sets one.
  const quota = cpusSet ? cpusToQuota(r.cpus!) : r.cpuQuota;
  if (quota !== undefined && (cpusSet || quota > 0) && quota < 1000) throw new UsageError('CPU cfs quota cannot be less than 1ms (i.e. 1000)');
}

/** What the host's cgroups can apply (podman's sysinfo): cgroup v1 lacks some files on some kernels. */
export interface CgroupSupport {
  blkioWeight: boolean;
  oomKillDisable: boolean;
  memorySwappiness: boolean;
  cpuCfsPeriod: boolean;
  cpuCfsQuota: boolean;
}

/** Probe the cgroup v1 controllers' files (everything counts as supported on cgroup v2, as podman does). */
export function cgroupSupport(): CgroupSupport {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return { blkioWeight: true, oomKillDisable: true, memorySwappiness: true, cpuCfsPeriod: true, cpuCfsQuota: true };
  const { cgroupMounts } = require('../stats') as typeof import('../stats');
  const mounts = cgroupMounts();
  const has = (controller: string, file: string): boolean => {
    const m = mounts.find((x) => x.version === 1 && x.controllers.includes(controller));
    return m !== undefined && fs.existsSync(`${m.mountpoint}/${file}`);
  };
  return {
    blkioWeight: has('blkio', 'blkio.weight'),
    oomKillDisable: has('memory', 'memory.oom_control'),
    memorySwappiness: has('memory', 'memory.swappiness'),
    cpuCfsPeriod: has('cpu', 'cpu.cfs_period_us'),
    cpuCfsQuota: has('cpu', 'cpu.cfs_quota_us'),
  };
}

/**
 * What podman does with a new container's resource settings: settings the host's cgroups
 * cannot apply are dropped with a warning, bad values are refused (UsageError), and the
 * devices of block I/O settings must exist. Returns the settings to keep and the warnings.
 */
export function verifyResources<T extends ResourceOptions>(r: T, probed?: CgroupSupport): { resources: T; warnings: string[] } {
  // Probed only when a setting needs it: most containers set none (it reads mountinfo).
  let known = probed;
  const support = () => (known ??= cgroupSupport());
  const out: T = { ...r };
  const warnings: string[] = [];
  if (out.oomKillDisable && !support().oomKillDisable) {
    warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    delete out.oomKillDisable;
  }
  if (out.memorySwappiness !== undefined && out.memorySwappiness >= 0 && !support().memorySwappiness) {
    warnings.push('Your kernel does not support memory swappiness capabilities, or the cgroup is not mounted. Memory swappiness discarded.');
    delete out.memorySwappiness;
  }
  const cpusSet = out.cpus !== undefined && out.cpus > 0;
  if ((out.cpuPeriod !== undefined || cpusSet) && !support().cpuCfsPeriod) {
    warnings.push('Your kernel does not support CPU cfs period or the cgroup is not mounted. Period discarded.');
    delete out.cpuPeriod;
  }
  if ((out.cpuQuota !== undefined || cpusSet) && !support().cpuCfsQuota) {
    warnings.push('Your kernel does not support CPU cfs quota or the cgroup is not mounted. Quota discarded.');
    delete out.cpuQuota;
  }
  if (cpusSet && (!support().cpuCfsPeriod || !support().cpuCfsQuota)) delete out.cpus;
  checkValues(out);
  if (out.blkioWeight !== undefined) {
    if (!support().blkioWeight) {
      warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
      delete out.blkioWeight;
    } else if (out.blkioWeight < 10 || out.blkioWeight > 1000) {
      throw new UsageError('range of blkio weight is from 10 to 1000');
    }
  }
  for (const v of out.blkioWeightDevice ?? []) blockDeviceNumbers(splitDeviceValue(v).dev, 'weight');
  for (const list of [out.deviceReadBps, out.deviceWriteBps, out.deviceReadIops, out.deviceWriteIops]) {
    for (const v of list ?? []) blockDeviceNumbers(splitDeviceValue(v).dev, 'throttle');
  }
  return { resources: out, warnings };
}

/** linux.resources from the resource options and the device cgroup rules. */
export function buildResources(r: ResourceOptions, devices: OciDeviceRule[]): OciResources {
  const res: OciResources = { devices };

  // Memory.
  const mem: NonNullable<OciResources['memory']> = {};
  if (r.memory !== undefined && r.memory > 0) {
    if (r.memory < 6 * 1024 * 1024) throw new UsageError('minimum memory limit allowed is 6MB');
    mem.limit = r.memory;
  }
  if (r.memoryReservation !== undefined && r.memoryReservation > 0) mem.reservation = r.memoryReservation;
  if (r.memorySwap !== undefined && r.memorySwap !== 0) {
    if (r.memorySwap !== -1) {
      if (mem.limit === undefined) throw new UsageError('you must provide a memory limit when setting memory swap');
      if (r.memorySwap < mem.limit) throw new UsageError('minimum memoryswap limit should be larger than memory limit, see usage');
      mem.swap = r.memorySwap;
    }
  } else if (mem.limit !== undefined) {
    mem.swap = 2 * mem.limit;
  }
  if (r.memorySwappiness !== undefined && r.memorySwappiness >= 0) {
    if (r.memorySwappiness > 100) throw new UsageError(`invalid value: ${r.memorySwappiness}, valid memory swappiness range is 0-100`);
    mem.swappiness = r.memorySwappiness;
  }
  if (r.oomKillDisable) mem.disableOOMKiller = true;
  if (Object.keys(mem).length > 0) res.memory = mem;

  // CPU.
  checkValues(r);
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuShares !== undefined && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpus !== undefined && r.cpus > 0) {
    cpu.quota = cpusToQuota(r.cpus);
    cpu.period = DEFAULT_CPU_PERIOD;
  } else {
    if (r.cpuQuota !== undefined && r.cpuQuota !== 0) cpu.quota = r.cpuQuota;
    if (r.cpuPeriod !== undefined && r.cpuPeriod !== 0) cpu.period = r.cpuPeriod;
  }
  if (r.cpuRtRuntime !== undefined && r.cpuRtRuntime !== 0) cpu.realtimeRuntime = r.cpuRtRuntime;
  if (r.cpuRtPeriod !== undefined && r.cpuRtPeriod !== 0) cpu.realtimePeriod = r.cpuRtPeriod;
  if (r.cpusetCpus) cpu.cpus = r.cpusetCpus;
  if (r.cpusetMems) cpu.mems = r.cpusetMems;
  if (Object.keys(cpu).length > 0) res.cpu = cpu;

  // PIDs.
  const pids = r.pidsLimit ?? DEFAULT_PIDS_LIMIT;
  res.pids = { limit: pids > 0 ? pids : 0 };

  // Block I/O.
  const bio: NonNullable<OciResources['blockIO']> = {};
  if (r.blkioWeight !== undefined && r.blkioWeight !== 0) {
    if (r.blkioWeight < 10 || r.blkioWeight > 1000) throw new UsageError('range of blkio weight is from 10 to 1000');
    bio.weight = r.blkioWeight;
  }
  const weights: OciWeightDevice[] = (r.blkioWeightDevice ?? []).map((s) => {
    const { dev, value } = splitDeviceValue(s);
    return { ...blockDeviceNumbers(dev, 'weight'), weight: value };
  });
  if (weights.length > 0) bio.weightDevice = weights;
  const throttle = (list: string[] | undefined): OciThrottleDevice[] =>
    (list ?? []).map((s) => { const { dev, value } = splitDeviceValue(s); return { ...blockDeviceNumbers(dev, 'throttle'), rate: value }; });
  const rbps = throttle(r.deviceReadBps);
  const wbps = throttle(r.deviceWriteBps);
  const riops = throttle(r.deviceReadIops);
  const wiops = throttle(r.deviceWriteIops);
  if (rbps.length > 0) bio.throttleReadBpsDevice = rbps;
  if (wbps.length > 0) bio.throttleWriteBpsDevice = wbps;
  if (riops.length > 0) bio.throttleReadIOPSDevice = riops;
  if (wiops.length > 0) bio.throttleWriteIOPSDevice = wiops;
  if (Object.keys(bio).length > 0) res.blockIO = bio;
  return res;
}

