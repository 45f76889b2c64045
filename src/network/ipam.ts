// Host-wide network bookkeeping in the network run dir, shared by every pier store on the
// host (bridges and addresses are host-global even though definitions are per store):
// one file per bridge (or per non-bridge network) recording its subnets, the definition
// files that claim it and the addresses handed out to containers (host-local IPAM).
// All access goes through `withHostLock`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lock } from '../util/lock';
import { ConflictError, PierError } from '../util/errors';
import { NetworkDef } from './types';
import { contains, formatIP, IPAddr, IPNet, lastAddr, parseCIDR, parseIP } from './ipnet';
import { rmFile } from '../util/rmtree';

export interface ClaimFile {
  /** Subnets of the network using this bridge. */
  subnets: string[];
  /** Definition files (absolute paths) of networks on this bridge. */
  owners: string[];
  /** Address → container id. */
  allocations: Record<string, string>;
  /** Subnet → the address handed out last (not a static one): the next search starts after it. */
  lastIP?: Record<string, string>;
}

const queues = new Map<string, Promise<unknown>>();

/**
 * Serialise host-wide network work (subnet/bridge choice, IPAM, netavark runs) across
 * processes (lock file) and within this one (a promise queue: the file lock is re-entrant
 * per process, so concurrent API requests would otherwise both hold it). Not re-entrant:
 * code running under it must not call it again.
 */
export function withHostLock<T>(runDir: string, fn: () => T | Promise<T>): Promise<T> {
  const file = path.join(runDir, 'pier-network.lock');
  const prev = queues.get(file) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(async () => {
    const release = await lock(file);
    try { return await fn(); } finally { release(); }
  });
  const tail = run.catch(() => undefined);
  queues.set(file, tail);
  void tail.then(() => { if (queues.get(file) === tail) queues.delete(file); });
  return run;
}

/** The claim key of a network: its bridge, or the network id for non-bridge drivers. */
export function claimKey(def: NetworkDef): string {
  return def.driver === 'bridge' && def.network_interface ? def.network_interface : `${def.driver}-${def.id.slice(0, 12)}`;
}

function claimPath(runDir: string, key: string): string {
  return path.join(runDir, 'ipam', `${key}.json`);
}

/** Atomic JSON write: temp file + rename. */
export function writeJSONAtomic(file: string, value: unknown, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 5) + '\n', { mode });
  fs.renameSync(tmp, file);
}

/** A definition file still exists and still describes the same subnets and bridge. */
function ownerAlive(owner: string, key: string, subnets: string[]): boolean {
  try {
    const def = JSON.parse(fs.readFileSync(owner, 'utf8')) as NetworkDef;
    return claimKey(def) === key && sameSubnets((def.subnets ?? []).map((s) => s.subnet), subnets);
  } catch {
    return false;
  }
}

function sameSubnets(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** Read a claim, dropping owners whose definition is gone; null when nothing is left. */
export function readClaim(runDir: string, key: string): ClaimFile | null {
  let c: ClaimFile;
  try { c = JSON.parse(fs.readFileSync(claimPath(runDir, key), 'utf8')); } catch { return null; }
  c.owners = (c.owners ?? []).filter((o) => ownerAlive(o, key, c.subnets ?? []));
  c.allocations ??= {};
  if (c.owners.length === 0 && Object.keys(c.allocations).length === 0) return null;
  return c;
}

function writeClaim(runDir: string, key: string, c: ClaimFile | null): void {
  if (!c || (c.owners.length === 0 && Object.keys(c.allocations).length === 0)) {
    rmFile(claimPath(runDir, key));
    return;
  }
  writeJSONAtomic(claimPath(runDir, key), c);
}

/** Every live claim on the host: key → claim. */
export function liveClaims(runDir: string): Map<string, ClaimFile> {
  const out = new Map<string, ClaimFile>();
  let names: string[] = [];
  try { names = fs.readdirSync(path.join(runDir, 'ipam')); } catch { return out; }
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    const key = n.slice(0, -5);
    const c = readClaim(runDir, key);
    if (c) out.set(key, c);
    else rmFile(claimPath(runDir, key));
  }
  return out;
}

/**
 * Record that the definition at `defFile` uses its bridge and subnets. Fails when the bridge
 * is claimed with other subnets by a network of another store. Call under withHostLock.
 */
export function claim(runDir: string, def: NetworkDef, defFile: string): void {
  const key = claimKey(def);
  const subnets = (def.subnets ?? []).map((s) => s.subnet);
  const c = readClaim(runDir, key);
  if (c && !sameSubnets(c.subnets, subnets)) {
    throw new ConflictError(`network ${def.name}: interface ${key} is already used by another network with subnets ${c.subnets.join(', ')}`);
  }
  const next: ClaimFile = c ?? { subnets, owners: [], allocations: {} };
  if (!next.owners.includes(defFile)) next.owners.push(defFile);
  writeClaim(runDir, key, next);
}

/** Drop the claim of `defFile` (network removal). Call under withHostLock. */
export function unclaim(runDir: string, def: NetworkDef, defFile: string): void {
  const key = claimKey(def);
  const c = readClaim(runDir, key);
  if (!c) { writeClaim(runDir, key, null); return; }
  c.owners = c.owners.filter((o) => o !== defFile);
  writeClaim(runDir, key, c);
}

interface Pool {
  net: IPNet;
  first: bigint;
  last: bigint;
  gateway?: bigint;
}

function pools(def: NetworkDef): Pool[] {
  return (def.subnets ?? []).map((s) => {
    const net = parseCIDR(s.subnet)!;
    // Skip the network address; for IPv4 also the broadcast address.
    let first = net.base + 1n;
    let last = net.v6 ? lastAddr(net) : lastAddr(net) - 1n;
    if (s.lease_range?.start_ip) first = parseIP(s.lease_range.start_ip)!.n;
    if (s.lease_range?.end_ip) last = parseIP(s.lease_range.end_ip)!.n;
    return { net, first, last, gateway: s.gateway ? parseIP(s.gateway)!.n : undefined };
  });
}

/**
 * Allocate one address per subnet of `def` to `containerId` (host-local IPAM), honouring
 * `requested` static addresses. Re-allocating for the same container returns its
 * addresses. Call under withHostLock. Returns addresses in subnet order.
 */
export function allocate(runDir: string, def: NetworkDef, defFile: string, containerId: string, requested: string[] = []): string[] {
  const key = claimKey(def);
  const subnets = (def.subnets ?? []).map((s) => s.subnet);
  if (subnets.length === 0) return [];
  let c = readClaim(runDir, key);
  if (c && !sameSubnets(c.subnets, subnets)) {
    throw new ConflictError(`network ${def.name}: interface ${key} is already used by another network with subnets ${c.subnets.join(', ')}`);
  }
  c ??= { subnets, owners: [], allocations: {} };
  if (!c.owners.includes(defFile)) c.owners.push(defFile);
  const ps = pools(def);
  const wanted: (IPAddr | undefined)[] = ps.map(() => undefined);
  for (const r of requested) {
    const ip = parseIP(r);
    if (!ip) throw new PierError(`${r} is not an ip address`);
    const i = ps.findIndex((p) => contains(p.net, ip));
    if (i < 0) throw new PierError(`requested static ip ${r} not in any subnet on network ${def.name}`);
    const p = ps[i];
    if (ip.n === p.gateway || ip.n === p.net.base || (!p.net.v6 && ip.n === lastAddr(p.net))) {
      throw new PierError(`requested ip address ${r} is reserved on network ${def.name}`);
    }
    wanted[i] = ip;
  }
  const out: string[] = [];
  ps.forEach((p, i) => {
    const mine = Object.entries(c!.allocations).find(([a, id]) => id === containerId && contains(p.net, parseIP(a)!));
    const want = wanted[i];
    if (mine && (!want || formatIP(want) === mine[0])) { out.push(mine[0]); return; }
    if (want) {
      const s = formatIP(want);
      const holder = c!.allocations[s];
      if (holder && holder !== containerId) {
        throw new ConflictError(`IPAM error: requested ip address ${s} is already allocated to container ID ${holder}`);
      }
      if (mine) delete c!.allocations[mine[0]];
      c!.allocations[s] = containerId;
      out.push(s);
      return;
    }
    // As podman's IPAM: round robin, from the address after the one handed out last (a
    // reconnected or restarted container gets a new address), back to the start at the end.
    const subnet = subnets[i];
    const prev = c!.lastIP?.[subnet] !== undefined ? parseIP(c!.lastIP[subnet]) : undefined;
    const start = prev && contains(p.net, prev) && prev.n + 1n >= p.first && prev.n + 1n <= p.last ? prev.n + 1n : p.first;
    const span = p.last - p.first + 1n;
    for (let k = 0n; k < span; k++) {
      const n = p.first + ((start - p.first + k) % span);
      if (n === p.gateway) continue;
      const s = formatIP({ v6: p.net.v6, n });
      if (c!.allocations[s]) continue;
      c!.allocations[s] = containerId;
      c!.lastIP = { ...(c!.lastIP ?? {}), [subnet]: s };
      out.push(s);
      return;
    }
    throw new PierError(`IPAM error: failed to find free IP in range: ${formatIP({ v6: p.net.v6, n: p.first })} - ${formatIP({ v6: p.net.v6, n: p.last })}`);
  });
  writeClaim(runDir, key, c);
  return out;
}

/** Release every address `containerId` holds on `def`'s bridge. Call under withHostLock. */
export function release(runDir: string, def: NetworkDef, containerId: string): void {
  const key = claimKey(def);
  let c: ClaimFile;
  try { c = JSON.parse(fs.readFileSync(claimPath(runDir, key), 'utf8')); } catch { return; }
  c.allocations ??= {};
  for (const [a, id] of Object.entries(c.allocations)) if (id === containerId) delete c.allocations[a];
  c.owners = (c.owners ?? []).filter((o) => ownerAlive(o, key, c.subnets ?? []));
  writeClaim(runDir, key, c);
}

/** Addresses held on `def`'s bridge: address → container id. */
export function allocations(runDir: string, def: NetworkDef): Record<string, string> {
  return readClaim(runDir, claimKey(def))?.allocations ?? {};
}
