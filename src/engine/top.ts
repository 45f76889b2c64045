// `top`: podman's (psgo's) ps-style descriptors for the processes of a container, computed
// from /proc. The processes are those in the container's cgroup; pids and parent pids are
// shown as the container's pid namespace sees them, users and groups are looked up in the
// container's /etc/passwd and /etc/group (the host's for huser/hgroup).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goDuration } from './stats';
import { goTimeString } from '../cli/format/govalue';
import { CAPABILITY_NAMES } from './spec/caps';

/** A descriptor: its name, column header, and how to compute it for a process. */
interface Descriptor {
  normal: string;
  code?: string;
  header: string;
  fn: (p: ProcInfo, ctx: TopContext) => string;
}

/** What /proc says about one process (host view). */
export interface ProcInfo {
  hostPid: number;
  /** pid in the container's namespace (NSpid's last entry). */
  pid: number;
  hostPPid: number;
  comm: string;
  state: string;
  pgrp: number;
  ttyNr: number;
  utime: number;
  stime: number;
  nice: number;
  /** Start time in clock ticks since boot. */
  starttime: number;
  vsize: number;
  status: Record<string, string>;
  cmdline: string[];
  label: string;
}

export interface TopContext {
  /** host pid → pid in the container's namespace. */
  nsPids: Map<number, number>;
  /** Container's passwd/group (uid/gid → name), from the container's root. */
  users: Map<number, string>;
  groups: Map<number, string>;
  hostUsers: Map<number, string>;
  hostGroups: Map<number, string>;
  /** uid_map/gid_map of the container (host ids → container ids). */
  uidMap: IdMap[];
  gidMap: IdMap[];
  bootTime: number;
  now: number;
}

export interface IdMap { inside: number; outside: number; count: number }

const CLK_TCK = 100;

/** Thrown for a descriptor psgo does not know (callers may fall back to ps(1)). */
export class UnknownDescriptorError extends Error {
  constructor(readonly descriptor: string) {
    super(`'${descriptor}': unknown descriptor`);
    this.name = 'UnknownDescriptorError';
  }
}

/** podman's default `top` columns. */
export const DEFAULT_DESCRIPTORS = ['user', 'pid', 'ppid', 'pcpu', 'etime', 'tty', 'time', 'args'];

const FULL_CAPS = (1n << BigInt(CAPABILITY_NAMES.length)) - 1n;

function capsOf(hex: string | undefined): string {
  if (!hex) return 'none';
  let mask: bigint;
  try { mask = BigInt('0x' + hex.trim()); } catch { return '?'; }
  if ((mask & FULL_CAPS) === FULL_CAPS) return 'full';
  const names: string[] = [];
  for (let i = 0; i < CAPABILITY_NAMES.length; i++) if ((mask >> BigInt(i)) & 1n) names.push(CAPABILITY_NAMES[i].replace(/^CAP_/, ''));
  return names.length ? names.sort().join(',') : 'none';
}

function idField(p: ProcInfo, key: 'Uid' | 'Gid', idx: number): number {
  return Number((p.status[key] ?? '').split(/\s+/)[idx] ?? 0);
}

/** Maps a host id into the container's user namespace (identity without a mapping). */
export function mapToContainer(id: number, map: IdMap[]): number {
  if (!map.length) return id;
  for (const m of map) if (id >= m.outside && id < m.outside + m.count) return id - m.outside + m.inside;
  return 65534;
}

function nameOr(map: Map<number, string>, id: number): string {
  return map.get(id) ?? String(id);
}

function startSeconds(p: ProcInfo, ctx: TopContext): number {
  return Math.floor(p.starttime / CLK_TCK) + ctx.bootTime;
}

function elapsedNs(p: ProcInfo, ctx: TopContext): number {
  return ctx.now * 1e6 - startSeconds(p, ctx) * 1e9;
}

function cpuSeconds(p: ProcInfo): number {
  return Math.floor((p.utime + p.stime) / CLK_TCK);
}

/** tty_nr (from /proc/<pid>/stat) as a /dev name, "?" without a terminal. */
export function ttyName(ttyNr: number): string {
  if (!ttyNr) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 0) return 'tty';
  if (major === 5 && minor === 1) return 'console';
  return '?';
}

const DESCRIPTORS: Descriptor[] = [
  { code: '%C', normal: 'pcpu', header: '%CPU', fn: (p, c) => { const e = elapsedNs(p, c) / 1e9; return (e > 0 ? (100 * cpuSeconds(p)) / e : 0).toFixed(3); } },
  { code: '%G', normal: 'group', header: 'GROUP', fn: (p, c) => nameOr(c.groups, mapToContainer(idField(p, 'Gid', 1), c.gidMap)) },
  { normal: 'groups', header: 'GROUPS', fn: (p, c) => (p.status.Groups ?? '').split(/\s+/).filter(Boolean).map((g) => nameOr(c.groups, mapToContainer(Number(g), c.gidMap))).join(',') },
  { code: '%P', normal: 'ppid', header: 'PPID', fn: (p, c) => String(c.nsPids.get(p.hostPPid) ?? 0) },
  { code: '%U', normal: 'user', header: 'USER', fn: (p, c) => nameOr(c.users, mapToContainer(idField(p, 'Uid', 1), c.uidMap)) },
  { normal: 'uid', header: 'UID', fn: (p, c) => String(mapToContainer(idField(p, 'Uid', 1), c.uidMap)) },
  { normal: 'gid', header: 'GID', fn: (p, c) => String(mapToContainer(idField(p, 'Gid', 1), c.gidMap)) },
  { code: '%a', normal: 'args', header: 'COMMAND', fn: (p) => (p.cmdline.length && p.cmdline[0] !== '' ? p.cmdline.join(' ') : `[${p.status.Name ?? p.comm}]`) },
  { code: '%c', normal: 'comm', header: 'COMMAND', fn: (p) => p.comm },
  { code: '%g', normal: 'rgroup', header: 'RGROUP', fn: (p, c) => nameOr(c.groups, mapToContainer(idField(p, 'Gid', 0), c.gidMap)) },
  { code: '%n', normal: 'nice', header: 'NI', fn: (p) => String(p.nice) },
  { code: '%p', normal: 'pid', header: 'PID', fn: (p) => String(p.pid) },
  { code: '%r', normal: 'pgid', header: 'PGID', fn: (p, c) => String(c.nsPids.get(p.pgrp) ?? p.pgrp) },
  { code: '%t', normal: 'etime', header: 'ELAPSED', fn: (p, c) => goDuration(elapsedNs(p, c)) },
  { code: '%u', normal: 'ruser', header: 'RUSER', fn: (p, c) => nameOr(c.users, mapToContainer(idField(p, 'Uid', 0), c.uidMap)) },
  { code: '%x', normal: 'time', header: 'TIME', fn: (p) => goDuration(cpuSeconds(p) * 1e9) },
  { code: '%y', normal: 'tty', header: 'TTY', fn: (p) => ttyName(p.ttyNr) },
  { code: '%z', normal: 'vsz', header: 'VSZ', fn: (p) => String(Math.floor(p.vsize / 1024)) },
  { normal: 'capamb', header: 'AMBIENT CAPS', fn: (p) => capsOf(p.status.CapAmb) },
  { normal: 'capinh', header: 'INHERITED CAPS', fn: (p) => capsOf(p.status.CapInh) },
  { normal: 'capprm', header: 'PERMITTED CAPS', fn: (p) => capsOf(p.status.CapPrm) },
  { normal: 'capeff', header: 'EFFECTIVE CAPS', fn: (p) => capsOf(p.status.CapEff) },
  { normal: 'capbnd', header: 'BOUNDING CAPS', fn: (p) => capsOf(p.status.CapBnd) },
  { normal: 'seccomp', header: 'SECCOMP', fn: (p) => ({ '0': 'disabled', '1': 'strict', '2': 'filter' } as Record<string, string>)[p.status.Seccomp ?? ''] ?? '?' },
  { normal: 'label', header: 'LABEL', fn: (p) => p.label },
  { normal: 'hpid', header: 'HPID', fn: (p) => String(p.hostPid) },
  { normal: 'huser', header: 'HUSER', fn: (p, c) => nameOr(c.hostUsers, idField(p, 'Uid', 1)) },
  { normal: 'huid', header: 'HUID', fn: (p) => String(idField(p, 'Uid', 1)) },
  { normal: 'hgroup', header: 'HGROUP', fn: (p, c) => nameOr(c.hostGroups, idField(p, 'Gid', 1)) },
  { normal: 'hgroups', header: 'HGROUPS', fn: (p) => (p.status.Groups ?? '').split(/\s+/).filter(Boolean).join(',') },
  { normal: 'rss', header: 'RSS', fn: (p) => (p.status.VmRSS ?? '').split(/\s+/)[0] || '0' },
  { normal: 'state', header: 'STATE', fn: (p) => (p.status.State ?? p.state).split(/\s+/)[0] },
  { normal: 'stime', header: 'STIME', fn: (p, c) => goTimeString(new Date(startSeconds(p, c) * 1000)) },
];

/** All descriptor names, sorted (podman's `top --list-descriptors`). */
export function listDescriptors(): string[] {
  return DESCRIPTORS.map((d) => d.normal).sort();
}

/** Resolves descriptor names or AIX codes (comma-separated lists allowed); throws UnknownDescriptorError. */
export function translateDescriptors(list: string[]): Descriptor[] {
  const names = list.flatMap((d) => d.split(',')).map((d) => d.trim()).filter(Boolean);
  const out: Descriptor[] = [];
  for (const n of names.length ? names : DEFAULT_DESCRIPTORS) {
    const d = DESCRIPTORS.find((x) => x.normal === n || x.code === n);
    if (!d) throw new UnknownDescriptorError(n);
    out.push(d);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// /proc readers

/** Parses /proc/<pid>/stat (the comm field may hold spaces and parentheses). */
export function parseStat(text: string): Pick<ProcInfo, 'comm' | 'state' | 'pgrp' | 'ttyNr' | 'utime' | 'stime' | 'nice' | 'starttime' | 'vsize'> & { ppid: number } {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  const f = text.slice(close + 2).trim().split(/\s+/);
  // f[0] = state (field 3), so field N is f[N - 3].
  const n = (field: number) => Number(f[field - 3] ?? 0);
  return {
    comm, state: f[0] ?? '?', ppid: n(4), pgrp: n(5), ttyNr: n(7), utime: n(14), stime: n(15), nice: n(19),
    starttime: n(22), vsize: n(23),
  };
}

/** Parses /proc/<pid>/status into `Key: value` pairs. */
export function parseStatus(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** Reads a process from /proc (host view); undefined when it is gone. */
export function readProc(hostPid: number, procRoot = '/proc'): ProcInfo | undefined {
  const dir = path.join(procRoot, String(hostPid));
  let statText: string;
  let statusText: string;
  try {
    statText = fs.readFileSync(path.join(dir, 'stat'), 'utf8');
    statusText = fs.readFileSync(path.join(dir, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const st = parseStat(statText);
  const status = parseStatus(statusText);
  let cmdline: string[] = [];
  try {
    const raw = fs.readFileSync(path.join(dir, 'cmdline'), 'utf8');
    cmdline = raw.replace(/\0$/, '').split('\0');
  } catch { /* exited */ }
  let label = '?';
  try { label = fs.readFileSync(path.join(dir, 'attr', 'current'), 'utf8').replace(/[\0\n]+$/g, '').trim() || '?'; } catch { /* no LSM */ }
  const nspid = (status.NSpid ?? String(hostPid)).split(/\s+/).filter(Boolean).map(Number);
  return {
    hostPid, pid: nspid[nspid.length - 1] ?? hostPid, hostPPid: st.ppid, comm: st.comm, state: st.state, pgrp: st.pgrp,
    ttyNr: st.ttyNr, utime: st.utime, stime: st.stime, nice: st.nice, starttime: st.starttime, vsize: st.vsize,
    status, cmdline, label,
  };
}

/** name:x:id:... files (passwd, group) → id → name. */
export function parseIdFile(text: string): Map<number, string> {
  const m = new Map<number, string>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) continue;
    const id = Number(f[2]);
    if (Number.isInteger(id) && !m.has(id)) m.set(id, f[0]);
  }
  return m;
}

function readIdFile(file: string): Map<number, string> {
  try { return parseIdFile(fs.readFileSync(file, 'utf8')); } catch { return new Map(); }
}

function readIdMap(file: string): IdMap[] {
  try {
    const maps = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter((f) => f.length === 3 && f.every(Number.isFinite));
    const list = maps.map(([inside, outside, count]) => ({ inside, outside, count }));
    // The identity mapping of the initial namespace means "no mapping".
    if (list.length === 1 && list[0].inside === 0 && list[0].outside === 0 && list[0].count >= 4294967295) return [];
    return list;
  } catch {
    return [];
  }
}

function bootTime(): number {
  try {
    const m = /^btime\s+(\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    if (m) return Number(m[1]);
  } catch { /* fall through */ }
  return Math.floor(Date.now() / 1000 - Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]));
}

/**
 * The `top` table for the given host pids (the container's processes): a header row and a
 * row per process, sorted by pid. `rootPid` is the container's main process, whose root and
 * namespaces give user names and id mappings.
 */
/** Host pids of the processes in the pid namespace of `pid` (for a container without a cgroup). */
export function pidNamespaceMembers(pid: number, procRoot = '/proc'): number[] {
  let ns: string;
  try { ns = fs.readlinkSync(`${procRoot}/${pid}/ns/pid`); } catch { return []; }
  const out: number[] = [];
  for (const name of fs.readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    try { if (fs.readlinkSync(`${procRoot}/${name}/ns/pid`) === ns) out.push(Number(name)); } catch { /* gone, or not ours */ }
  }
  return out;
}

/** Whether `pid` is in this process's user namespace: its ids need no mapping then (rootless containers). */
function inOurUserns(pid: number): boolean {
  try { return fs.readlinkSync(`/proc/${pid}/ns/user`) === fs.readlinkSync('/proc/self/ns/user'); } catch { return false; }
}

export function topRows(hostPids: number[], rootPid: number, descriptors: string[]): string[][] {
  const descs = translateDescriptors(descriptors);
  const procs = hostPids.map((p) => readProc(p)).filter((p): p is ProcInfo => !!p).sort((a, b) => a.pid - b.pid);
  const root = `/proc/${rootPid}/root`;
  const ctx: TopContext = {
    nsPids: new Map(procs.map((p) => [p.hostPid, p.pid])),
    users: readIdFile(path.join(root, 'etc/passwd')),
    groups: readIdFile(path.join(root, 'etc/group')),
    hostUsers: readIdFile('/etc/passwd'),
    hostGroups: readIdFile('/etc/group'),
    uidMap: inOurUserns(rootPid) ? [] : readIdMap(`/proc/${rootPid}/uid_map`),
    gidMap: inOurUserns(rootPid) ? [] : readIdMap(`/proc/${rootPid}/gid_map`),
    bootTime: bootTime(),
    now: performance.timeOrigin + performance.now(),
  };
  return [descs.map((d) => d.header), ...procs.map((p) => descs.map((d) => d.fn(p, ctx)))];
}
