/** linux.resources: memory, CPU, pids and block I/O limits as podman computes them from its flags. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { UsageError } from '../../util/errors';
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

function deviceNumbers(spec: string, what: string): { major: number; minor: number; value: number } {
  const colon = spec.lastIndexOf(':');
  if (colon <= 0) throw new UsageError(`invalid ${what} format ${spec}: expected DEVICE:VALUE`);
  const dev = spec.slice(0, colon);
  const value = Number(spec.slice(colon + 1));
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`invalid ${what} value in ${spec}`);
  let st: fs.BigIntStats;
  try { st = fs.statSync(dev, { bigint: true }); } catch { throw new UsageError(`stat ${dev}: no such file or directory`); }
  if (!st.isBlockDevice() && !st.isCharacterDevice()) throw new UsageError(`${dev} is not a device`);
  return { ...splitDevNumber(st.rdev), value };
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
  const cpu: NonNullable<OciResources['cpu']> = {};
  if (r.cpuShares !== undefined && r.cpuShares > 0) cpu.shares = r.cpuShares;
  if (r.cpus !== undefined && r.cpus > 0) {
    if (r.cpuPeriod !== undefined || r.cpuQuota !== undefined) throw new UsageError('--cpus and --cpu-period/--cpu-quota cannot be set together');
    const ncpu = os.cpus().length;
    if (r.cpus > ncpu) throw new UsageError(`range of CPUs is from 0.01 to ${ncpu.toFixed(2)}, as there are only ${ncpu} CPUs available`);
    cpu.quota = Math.round(r.cpus * 100000);
    cpu.period = 100000;
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
    const d = deviceNumbers(s, 'blkio-weight-device');
    if (d.value < 10 || d.value > 1000) throw new UsageError('range of blkio weight is from 10 to 1000');
    return { major: d.major, minor: d.minor, weight: d.value };
  });
  if (weights.length > 0) bio.weightDevice = weights;
  const throttle = (list: string[] | undefined, what: string): OciThrottleDevice[] =>
    (list ?? []).map((s) => { const d = deviceNumbers(s, what); return { major: d.major, minor: d.minor, rate: d.value }; });
  const rbps = throttle(r.deviceReadBps, 'device-read-bps');
  const wbps = throttle(r.deviceWriteBps, 'device-write-bps');
  const riops = throttle(r.deviceReadIops, 'device-read-iops');
  const wiops = throttle(r.deviceWriteIops, 'device-write-iops');
  if (rbps.length > 0) bio.throttleReadBpsDevice = rbps;
  if (wbps.length > 0) bio.throttleWriteBpsDevice = wbps;
  if (riops.length > 0) bio.throttleReadIOPSDevice = riops;
  if (wiops.length > 0) bio.throttleWriteIOPSDevice = wiops;
  if (Object.keys(bio).length > 0) res.blockIO = bio;
  return res;
}

