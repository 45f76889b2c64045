/** Resource limits (--ulimit) and the clamped defaults podman applies to root containers. */
import * as fs from 'node:fs';
import { inRootlessUserns } from '../../config/paths';
import { UsageError } from '../../util/errors';
import type { OciRlimit, Uint64 } from './types';

/** RLIM_INFINITY as the spec's uint64. */
export const RLIM_INFINITY = (1n << 64n) - 1n;
/** podman's default for RLIMIT_NOFILE and RLIMIT_NPROC (define.RLimitDefaultValue). */
export const RLIMIT_DEFAULT = 1048576;

/** --ulimit names → OCI rlimit types. */
export const ULIMIT_TYPES: Readonly<Record<string, string>> = {
  as: 'RLIMIT_AS', core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS', memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE', nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME', sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK',
};

/** /proc/self/limits row titles → OCI rlimit types. */
const PROC_LIMIT_ROWS: Readonly<Record<string, string>> = {
  'Max cpu time': 'RLIMIT_CPU', 'Max file size': 'RLIMIT_FSIZE', 'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK', 'Max core file size': 'RLIMIT_CORE', 'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC', 'Max open files': 'RLIMIT_NOFILE', 'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS', 'Max file locks': 'RLIMIT_LOCKS', 'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE', 'Max nice priority': 'RLIMIT_NICE', 'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

export interface HostLimit { soft: Uint64; hard: Uint64 }

/** What the defaults depend on: the engine's own limits, pid_max, nr_open and CAP_SYS_RESOURCE. */
export interface HostLimits {
  limits: Record<string, HostLimit>;
  pidMax: number;
  nrOpen: number;
  /** The engine (and so the runtime it starts) holds CAP_SYS_RESOURCE and may raise hard limits. */
  canRaise: boolean;
}

/** Parse /proc/self/limits text ("unlimited" → RLIM_INFINITY). */
export function parseProcLimits(text: string): Record<string, HostLimit> {
  const out: Record<string, HostLimit> = {};
  for (const line of text.split('\n')) {
    for (const [title, type] of Object.entries(PROC_LIMIT_ROWS)) {
      if (!line.startsWith(title + ' ')) continue;
      const fields = line.slice(title.length).trim().split(/\s+/);
      const val = (s: string): Uint64 => (s === 'unlimited' ? RLIM_INFINITY : Number(s));
      out[type] = { soft: val(fields[0]), hard: val(fields[1]) };
    }
  }
  return out;
}

/** Read the host facts from /proc. */
export function readHostLimits(): HostLimits {
  const read = (p: string): string | undefined => {
    try { return fs.readFileSync(p, 'utf8'); } catch { return undefined; }
  };
  const limits = parseProcLimits(read('/proc/self/limits') ?? '');
  const pidMax = Number((read('/proc/sys/kernel/pid_max') ?? '32768').trim()) || 32768;
  const nrOpen = Number((read('/proc/sys/fs/nr_open') ?? String(RLIMIT_DEFAULT)).trim()) || RLIMIT_DEFAULT;
  const capEff = /^CapEff:\s*([0-9a-f]+)/m.exec(read('/proc/self/status') ?? '');
  const CAP_SYS_RESOURCE = 24n;
  // Capabilities in a rootless user namespace raise no limit beyond the user's own hard ones.
  const canRaise = capEff !== null && ((BigInt('0x' + capEff[1]) >> CAP_SYS_RESOURCE) & 1n) === 1n && !inRootlessUserns();
  return { limits, pidMax, nrOpen, canRaise };
}

function min(a: Uint64, b: Uint64): Uint64 {
  return BigInt(a) <= BigInt(b) ? a : b;
}

function atLeast(a: Uint64, b: number): boolean {
  return BigInt(a) >= BigInt(b);
}

/** Parse one `--ulimit name=soft[:hard]` value (-1 = unlimited). */
export function parseUlimit(value: string): OciRlimit {
  const eq = value.indexOf('=');
  if (eq < 0) throw new UsageError(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, eq).trim();
  const type = ULIMIT_TYPES[name];
  if (type === undefined) throw new UsageError(`invalid ulimit type: ${name}`);
  const parts = value.slice(eq + 1).split(':');
  if (parts.length > 2 || parts[0] === '') throw new UsageError(`too many limit value arguments - ${value.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const num = (s: string): Uint64 => {
    if (!/^-?[0-9]+$/.test(s)) throw new UsageError(`invalid ulimit argument: ${value}`);
    const n = BigInt(s);
    if (n === -1n) return RLIM_INFINITY;
    if (n < 0n) throw new UsageError(`invalid ulimit argument: ${value}`);
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
  };
  const soft = num(parts[0]);
  const hard = parts.length === 2 ? num(parts[1]) : soft;
  if (BigInt(soft) > BigInt(hard)) throw new UsageError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { type, hard, soft };
}

/**
 * The process rlimits: the user's --ulimit values (or the engine's own with `host`), then
 * podman's NOFILE/NPROC defaults for what was not set. podman asks for 1048576; here that is
 * clamped to what the runtime can actually set: the host hard limit (nr_open for NOFILE when
 * CAP_SYS_RESOURCE is held), and NPROC falls back to pid_max as podman does when it cannot raise.
 */
export function buildRlimits(ulimits: readonly string[], host: HostLimits): OciRlimit[] {
  const out: OciRlimit[] = [];
  const set = (r: OciRlimit): void => {
    const i = out.findIndex((o) => o.type === r.type);
    if (i >= 0) out[i] = r; else out.push(r);
  };
  for (const u of ulimits) {
    if (u === 'host') {
      for (const [type, l] of Object.entries(host.limits)) set({ type, hard: l.hard, soft: l.soft });
      continue;
    }
    set(parseUlimit(u));
  }
  if (!out.some((r) => r.type === 'RLIMIT_NOFILE')) {
    const hard = host.limits.RLIMIT_NOFILE?.hard ?? RLIMIT_DEFAULT;
    const v = host.canRaise ? Math.min(RLIMIT_DEFAULT, host.nrOpen) : min(RLIMIT_DEFAULT, hard);
    out.push({ type: 'RLIMIT_NOFILE', hard: v, soft: v });
  }
  if (!out.some((r) => r.type === 'RLIMIT_NPROC')) {
    const hard = host.limits.RLIMIT_NPROC?.hard ?? RLIM_INFINITY;
    const v = host.canRaise || atLeast(hard, RLIMIT_DEFAULT) ? RLIMIT_DEFAULT : min(host.pidMax, hard);
    out.push({ type: 'RLIMIT_NPROC', hard: v, soft: v });
  }
  return out;
}
