// User namespaces of containers run by root, as podman 4.3 makes them: the ID mappings
// (--uidmap/--gidmap, --subuidname/--subgidname, --userns=auto, container:ID, ns:PATH), the
// translation of IDs between the host and the container, and a user namespace fd for the
// idmapped mounts of the image's layers (rootfs.ts).
import * as fs from 'node:fs';
import { PierError, UsageError } from '../util/errors';
import { hostGid, hostUid } from '../config/paths';
import { log } from '../util/log';
import { native } from '../util/native';
import type { UsernsConfig } from '../config/config';
import type { OciIdMapping } from './spec/types';
import { parseGroup, parsePasswd } from './spec/user';

export interface IdMappings {
  uidMap: OciIdMapping[];
  gidMap: OciIdMapping[];
}

/** podman's `CONTAINER:HOST:SIZE` form of one mapping. */
export function formatIdMapping(m: OciIdMapping): string {
  return `${m.containerID}:${m.hostID}:${m.size}`;
}

/** The text of a /proc/PID/uid_map (or gid_map) for `map`. */
export function idMapText(map: OciIdMapping[]): string {
  return map.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** Parses a uid_map/gid_map text back. */
export function parseIdMapText(text: string): OciIdMapping[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3)
    .map(([c, h, s]) => ({ containerID: Number(c), hostID: Number(h), size: Number(s) }));
}

const UINT32 = /^\d+$/;

/** --uidmap/--gidmap values (each `CONTAINER:HOST:SIZE`, uint32s), as podman's errors word them. */
export function parseIdMapFlag(values: string[], kind: 'UID' | 'GID'): OciIdMapping[] {
  const out: OciIdMapping[] = [];
  for (const v of values) {
    const f = v.split(':');
    if (f.length !== 3 || !f.every((x) => UINT32.test(x) && Number(x) <= 0xffffffff)) {
      throw new UsageError(`initializing ID mappings: ${kind} setting is malformed expected ["uint32:uint32:uint32"]: [${values.map((x) => JSON.stringify(x)).join(' ')}]`);
    }
    out.push({ containerID: Number(f[0]), hostID: Number(f[1]), size: Number(f[2]) });
  }
  return out;
}

/** Two mappings conflict when their container ranges or their host ranges overlap (podman's check). */
export function checkMappings(m: IdMappings): void {
  for (const map of [m.uidMap, m.gidMap]) {
    for (let i = 1; i < map.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = map[i], b = map[j];
        const overlap = (x: number, y: number) => x < y + b.size && y < x + a.size;
        if (overlap(a.containerID, b.containerID) || overlap(a.hostID, b.hostID)) {
          throw new UsageError(`creating container storage: the specified UID and/or GID mapping ${formatIdMapping(a)} conflicts with other mappings: invalid mappings specified`);
        }
      }
    }
  }
}

/** A host ID for container ID `id`, or undefined when it is not mapped. */
export function toHost(map: OciIdMapping[], id: number): number | undefined {
  for (const m of map) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return undefined;
}

/** The container's ID for host ID `id`, or undefined when it is not mapped. */
export function toContainer(map: OciIdMapping[], id: number): number | undefined {
  for (const m of map) if (id >= m.hostID && id < m.hostID + m.size) return m.containerID + (id - m.hostID);
  return undefined;
}

/**
 * --userns: '' and host (none of the container's own), auto[:OPTIONS], container:ID, ns:PATH,
 * and the rootless modes keep-id[:OPTIONS] and nomap, which as root podman refuses; so is
 * `private` without mappings (--uidmap and the like are the way to give them).
 */
export function validateUserns(value: string, uid = hostUid()): void {
  if (value === '' || value === 'host') return;
  const [mode, arg] = value.split(/:(.*)/s, 2);
  if ((mode === 'keep-id' || value === 'nomap') && uid === 0) throw new UsageError(`${mode} is only supported in rootless mode`);
  if ((mode === 'container' || mode === 'ns') && !arg) {
    throw new UsageError(`invalid config provided: namespace mode ${mode === 'ns' ? 'path' : mode} requires a value`);
  }
  if (mode === 'container' || mode === 'ns') return;
  if (mode === 'auto') { parseAutoOptions(value); return; }
  if (value === 'private') throw new UsageError('must provide at least one UID or GID mapping to configure a user namespace');
  if (mode === 'keep-id') { parseKeepIdOptions(value); return; }
  if (value === 'nomap') return;
  throw new UsageError(`unrecognized namespace mode ${value} passed`);
}

/** `keep-id[:uid=N,gid=M]`: the IDs the user's own become inside, as podman reads them. */
export function parseKeepIdOptions(value: string): { uid?: number; gid?: number } {
  const out: { uid?: number; gid?: number } = {};
  const rest = value.slice('keep-id'.length);
  // `keep-id:` with nothing after is plain keep-id.
  if (rest === '' || rest === ':') return out;
  for (const opt of rest.slice(1).split(',')) {
    const eq = opt.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid option specified: ${JSON.stringify(opt)}`);
    const k = opt.slice(0, eq), v = opt.slice(eq + 1);
    if (k !== 'uid' && k !== 'gid') throw new UsageError(`unknown option specified: ${JSON.stringify(k)}`);
    if (!UINT32.test(v) || Number(v) > 0xffffffff) throw new UsageError(`strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
    out[k] = Number(v);
  }
  return out;
}

/** podman adds the running user to /etc/passwd and /etc/group for a plain keep-id (none with its options). */
export function keepIdAddsUser(userns: string | undefined): boolean {
  if (!userns?.startsWith('keep-id')) return false;
  const o = parseKeepIdOptions(userns);
  return o.uid === undefined && o.gid === undefined;
}

/** The IDs a keep-id container's user has inside: its options', else the user's own. */
export function keepIdIds(value: string, uid = hostUid(), gid = hostGid()): { uid: number; gid: number } {
  const o = parseKeepIdOptions(value);
  return { uid: o.uid ?? uid, gid: o.gid ?? gid };
}

/** The gid podman's keep-id (the user's, or its gid= option) and nomap (0) give the process first of its groups. */
export function usernsProcessGid(userns: string | undefined): number | undefined {
  if (userns === 'nomap') return 0;
  return userns?.startsWith('keep-id') ? keepIdIds(userns).gid : undefined;
}

/**
 * The sizes of the rootless namespace's ranges besides the user's own (its subordinate ranges,
 * in order), from the namespace this process runs in. podman's keep-id and nomap refuse to go
 * without them, after logging why.
 */
function subordinateSizes(mode: string): { uids: number[]; gids: number[] } {
  const sizes = (file: string) => {
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { /* none */ }
    return parseIdMapText(text).filter((m) => m.containerID !== 0).map((m) => m.size);
  };
  const uids = sizes('/proc/self/uid_map'), gids = sizes('/proc/self/gid_map');
  if (!uids.length || !gids.length) {
    const { namespaceMaps } = require('./rootless') as typeof import('./rootless');
    const maps = namespaceMaps(hostUid(), hostGid());
    if ('error' in maps) log.error(maps.error);
    throw new UsageError(`${mode} requires additional UIDs or GIDs defined in /etc/subuid and /etc/subgid to function correctly: %!w(<nil>)`);
  }
  return { uids, gids };
}

const total = (sizes: number[]) => sizes.reduce((a, n) => a + n, 0);

/**
 * --userns=keep-id (rootless): the user's uid and gid (or those the options give) map to the
 * namespace's 0, i.e. the user on the host; the IDs below them to the subordinate IDs from 1 on,
 * and those above to the same IDs.
 */
export function keepIdMappings(value: string, uid = hostUid(), gid = hostGid()): IdMappings {
  const ids = keepIdIds(value, uid, gid);
  const n = subordinateSizes('keep-id');
  const one = (id: number, max: number): OciIdMapping[] => [
    { containerID: 0, hostID: 1, size: Math.min(id, max) },
    { containerID: id, hostID: 0, size: 1 },
    ...(max > id ? [{ containerID: id + 1, hostID: id + 1, size: max - id }] : []),
  ];
  return { uidMap: one(ids.uid, total(n.uids)), gidMap: one(ids.gid, total(n.gids)) };
}

/** --userns=nomap (rootless): only the subordinate ranges, from 0 on; the user's own ID is not mapped. */
export function noMapMappings(): IdMappings {
  const n = subordinateSizes('nomap');
  const one = (sizes: number[]): OciIdMapping[] => {
    let next = 0;
    return sizes.map((size) => { const m = { containerID: next, hostID: next + 1, size }; next += size; return m; });
  };
  return { uidMap: one(n.uids), gidMap: one(n.gids) };
}

/** The overflow ID the kernel shows for unmapped IDs. */
export const OVERFLOW_ID = 65534;

/** Host ownership → the container's view (unmapped IDs show as the overflow ID, as inside). */
export function ownerToContainer(m: IdMappings, uid: number, gid: number): { uid: number; gid: number } {
  return { uid: toContainer(m.uidMap, uid) ?? OVERFLOW_ID, gid: toContainer(m.gidMap, gid) ?? OVERFLOW_ID };
}

/** The container's ownership → the host's (IDs it does not map stay as they are). */
export function ownerToHost(m: IdMappings, uid: number, gid: number): { uid: number; gid: number } {
  return { uid: toHost(m.uidMap, uid) ?? uid, gid: toHost(m.gidMap, gid) ?? gid };
}

/** The host IDs of the container's root (its `0:0`). */
export function mappedRoot(m: IdMappings): { uid: number; gid: number } {
  return ownerToHost(m, 0, 0);
}

/** The ranges of `name` in a subordinate ID file (`name:start:count` lines; a uid names the same user). */
export function readSubIds(file: string, name: string): Array<{ start: number; size: number }> {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { /* no file: no ranges */ }
  const names = new Set([name]);
  // A user's entries may name it by uid.
  let passwd = '';
  try { passwd = fs.readFileSync('/etc/passwd', 'utf8'); } catch { /* none */ }
  for (const p of parsePasswd(passwd)) if (p.name === name) names.add(String(p.uid));
  const out: Array<{ start: number; size: number }> = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(':');
    if (f.length !== 3 || !names.has(f[0]) || !UINT32.test(f[1]) || !UINT32.test(f[2])) continue;
    if (Number(f[2]) > 0) out.push({ start: Number(f[1]), size: Number(f[2]) });
  }
  return out;
}

/** --subuidname/--subgidname: the ranges laid end to end from container ID 0. */
export function subIdMappings(cfg: UsernsConfig, user: string, group: string): IdMappings {
  const one = (file: string, name: string, kind: string): OciIdMapping[] => {
    const ranges = readSubIds(file, name);
    if (!ranges.length) throw new UsageError(`no ${kind} ranges found for user "${name}" in ${file}`);
    let next = 0;
    return ranges.map((r) => { const m = { containerID: next, hostID: r.start, size: r.size }; next += r.size; return m; });
  };
  return { uidMap: one(cfg.subuidFile, user, 'subuid'), gidMap: one(cfg.subgidFile, group, 'subgid') };
}

export interface AutoUsernsOptions {
  size?: number;
  uidMapping: OciIdMapping[];
  gidMapping: OciIdMapping[];
}

/** `auto[:size=N,uidmapping=C:H:S,gidmapping=C:H:S]` (the options after `auto:`), as podman reads them. */
export function parseAutoOptions(value: string): AutoUsernsOptions {
  const out: AutoUsernsOptions = { uidMapping: [], gidMapping: [] };
  const rest = value.slice('auto'.length);
  if (rest === '') return out;
  if (!rest.startsWith(':')) throw new UsageError(`unrecognized namespace mode ${value} passed`);
  for (const opt of rest.slice(1).split(',')) {
    const eq = opt.indexOf('=');
    const k = eq < 0 ? opt : opt.slice(0, eq);
    const v = eq < 0 ? '' : opt.slice(eq + 1);
    if (k === 'size') {
      if (!UINT32.test(v) || Number(v) > 0xffffffff) throw new UsageError(`strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
      out.size = Number(v);
    } else if (k === 'uidmapping' || k === 'gidmapping') {
      const list = parseIdMapFlag([v], k === 'uidmapping' ? 'UID' : 'GID');
      (k === 'uidmapping' ? out.uidMapping : out.gidMapping).push(...list);
    } else {
      throw new UsageError(`unknown option specified: ${JSON.stringify(k)}`);
    }
  }
  return out;
}

type Interval = [number, number]; // [start, end)

/** `from` minus `holes` (both sorted or not), as sorted intervals. */
function subtract(from: Interval[], holes: Interval[]): Interval[] {
  let cur = [...from].sort((a, b) => a[0] - b[0]);
  for (const [hs, he] of holes) {
    const next: Interval[] = [];
    for (const [s, e] of cur) {
      if (he <= s || hs >= e) { next.push([s, e]); continue; }
      if (hs > s) next.push([s, hs]);
      if (he < e) next.push([he, e]);
    }
    cur = next;
  }
  return cur;
}

/** The first `n` IDs of `avail`, as intervals; undefined when there are fewer. */
function take(avail: Interval[], n: number): Interval[] | undefined {
  const out: Interval[] = [];
  for (const [s, e] of avail) {
    if (n <= 0) break;
    const k = Math.min(n, e - s);
    out.push([s, s + k]);
    n -= k;
  }
  return n > 0 ? undefined : out;
}

/** Pairs container intervals with host intervals of the same total size, splitting where either breaks. */
function zip(container: Interval[], host: Interval[]): OciIdMapping[] {
  const out: OciIdMapping[] = [];
  const c = container.map((x) => [...x] as Interval), h = host.map((x) => [...x] as Interval);
  let i = 0, j = 0;
  while (i < c.length && j < h.length) {
    const n = Math.min(c[i][1] - c[i][0], h[j][1] - h[j][0]);
    out.push({ containerID: c[i][0], hostID: h[j][0], size: n });
    c[i][0] += n; h[j][0] += n;
    if (c[i][0] === c[i][1]) i++;
    if (h[j][0] === h[j][1]) j++;
  }
  return out;
}

const toIntervals = (map: OciIdMapping[], side: 'hostID' | 'containerID'): Interval[] => map.map((m) => [m[side], m[side] + m.size]);

/**
 * --userns=auto: a namespace of `size` IDs (or the image's need, `imageSize`, at least the
 * configured minimum) from the auto user's subordinate ranges, overlapping no other
 * container's (`used`). The extra mappings asked for come first, as podman 4.3 lists them.
 */
export function autoMappings(cfg: UsernsConfig, o: AutoUsernsOptions, imageSize: () => number, used: IdMappings[], warn: (msg: string) => void): IdMappings {
  let size = o.size ?? 0;
  if (!size) {
    size = Math.max(cfg.autoMinSize, imageSize());
    if (cfg.autoMaxSize > 0 && size > cfg.autoMaxSize) {
      throw new PierError(`creating container storage: the container needs a user namespace with size ${size} that is bigger than the maximum value allowed with userns=auto ${cfg.autoMaxSize}`);
    }
  }
  const ranges = (file: string, kind: string): Interval[] => {
    const r = readSubIds(file, cfg.autoUser);
    if (!r.length) warn(`Cannot find mappings for user ${JSON.stringify(cfg.autoUser)}: no ${kind} ranges found for user ${JSON.stringify(cfg.autoUser)} in ${file}`);
    return r.map((x) => [x.start, x.start + x.size]);
  };
  const availU = ranges(cfg.subuidFile, 'subuid');
  const availG = availU.length ? ranges(cfg.subgidFile, 'subgid') : [];
  const one = (avail: Interval[], extra: OciIdMapping[], usedMaps: OciIdMapping[]): OciIdMapping[] => {
    const wanted = subtract([[0, size]], toIntervals(extra, 'containerID'));
    const n = wanted.reduce((a, [s, e]) => a + e - s, 0);
    const free = take(subtract(avail, toIntervals([...usedMaps, ...extra], 'hostID')), n);
    if (!free) throw new PierError('creating container storage: could not find enough available IDs');
    return [...extra.map((m) => ({ ...m })), ...zip(wanted, free)];
  };
  return {
    uidMap: one(availU, o.uidMapping, used.flatMap((u) => u.uidMap)),
    gidMap: one(availG, o.gidMapping, used.flatMap((u) => u.gidMap)),
  };
}

/**
 * What an image needs of an automatic namespace: one more than the highest ID owning a file of
 * its layers or named in its /etc/passwd and /etc/group (nobody and nogroup, 65534, left out,
 * as containers/storage does).
 */
export function imageIdSize(layerDirs: string[], etcDir: (file: string) => string | undefined): number {
  let size = 0;
  const see = (id: number) => { if (id !== OVERFLOW_ID && id + 1 > size) size = id + 1; };
  const walk = (dir: string) => {
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { return; }
    for (const n of names) {
      const p = `${dir}/${n}`;
      let st: fs.Stats;
      try { st = fs.lstatSync(p); } catch { continue; }
      see(st.uid); see(st.gid);
      if (st.isDirectory()) walk(p);
    }
  };
  for (const d of layerDirs) walk(d);
  const named = (n: string) => n !== 'nobody' && n !== 'nogroup';
  for (const p of parsePasswd(etcDir('passwd') ?? '')) if (named(p.name)) { see(p.uid); see(p.gid); }
  for (const g of parseGroup(etcDir('group') ?? '')) if (named(g.name)) see(g.gid);
  return size;
}

/** The mappings of the user namespace at `nsPath` (ns:PATH). */
export function namespaceMappings(nsPath: string): IdMappings {
  let maps: [string, string];
  try {
    maps = native().usernsMaps(nsPath);
  } catch (e: any) {
    if (e.code === 'EINVAL') throw new UsageError(`${nsPath} is not a user namespace other than the host's`);
    throw new UsageError(`cannot read the ID mappings of user namespace ${nsPath}: ${e.message}`);
  }
  return { uidMap: parseIdMapText(maps[0]), gidMap: parseIdMapText(maps[1]) };
}

/** An fd of a new user namespace with `m` (for idmapped mounts); the caller closes it. */
export function usernsFd(m: IdMappings): number {
  try {
    return native().userns(idMapText(m.uidMap), idMapText(m.gidMap));
  } catch (e: any) {
    throw new PierError(`creating a user namespace for the ID mappings: ${e.message}`);
  }
}

/** The podman form of mappings for inspect (HostConfig.IDMappings). */
export function inspectIdMappings(m: IdMappings): { UidMap: string[]; GidMap: string[] } {
  return { UidMap: m.uidMap.map(formatIdMapping), GidMap: m.gidMap.map(formatIdMapping) };
}

/**
 * inspect's HostConfig.UsernsMode as podman 4.3 shows it: private for explicit mappings,
 * container:ID and ns:PATH as given, '' for the host's namespace and for auto.
 */
export function usernsModeShown(userns: string | undefined, m: IdMappings | undefined): string {
  if (!m) return '';
  const mode = userns ?? '';
  if (mode.startsWith('container:') || mode.startsWith('ns:')) return mode;
  return mode.startsWith('auto') ? '' : 'private';
}
