// Network definitions in netavark's JSON format, one file per network under the store's
// `<graphRoot>/networks` (never podman's /etc/containers/networks). The default network
// `pier` (bridge pier0, 10.90.0.0/24, DNS off as podman's default) is written when first
// needed. User networks get bridges pier1, pier2... and /24 subnets from 10.90.1.0 upward
// (then 10.91.0.0 ... 10.99.255.0), skipping anything used on the host (addresses,
// routes), by this store's networks or claimed by another pier store (see ipam.ts).
// podman uses 10.88.0.0/16 (default) and 10.89.x.0/24 (user networks); docker 172.17+/16.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, NotFoundError, PierError, UsageError } from '../util/errors';
import { withFileLock } from '../util/lock';
import { hexOf, randomBytes, randomHex, sha256 } from '../util/digest';
import type { EngineConfig } from '../config/config';
import { NetworkDef, NetworkDriver, SubnetDef } from './types';
import { formatCIDR, formatIP, IPNet, lastAddr, nth, overlaps, parseCIDR, parseIP, contains } from './ipnet';
import { hostInterfaceNames, hostSubnets } from './host';
import { claim, liveClaims, unclaim, withHostLock, writeJSONAtomic } from './ipam';

export const DEFAULT_NETWORK = 'pier';
export const DEFAULT_BRIDGE = 'pier0';
export const DEFAULT_SUBNET = '10.90.0.0/24';
/** Bridge names of user networks: pier1, pier2, ... */
export const BRIDGE_PREFIX = 'pier';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const BRIDGE_OPTIONS = ['mtu', 'vlan', 'isolate', 'metric', 'com.docker.network.bridge.name', 'com.docker.network.driver.mtu'];
const MACVLAN_OPTIONS = ['mtu', 'mode', 'parent', 'metric'];

/** Which containers use a network (names or ids); empty when unused. */
export type UsedBy = (networkName: string) => string[] | Promise<string[]>;

export interface NetworkStoreOptions {
  /** Definitions: `<graphRoot>/networks`. */
  configDir: string;
  /** Host-wide state: netavark --config dir, aardvark-dns, IPAM (`/run/pier/networks` for root). */
  runDir: string;
  /** The slirp4netns of the rootless network namespace (--network-cmd-path); else found in PATH. */
  slirpCommand?: string;
}

export interface CreateNetworkOptions {
  name?: string;
  driver?: string;
  subnets?: string[];
  gateways?: string[];
  /** CIDR ranges inside the subnets to lease addresses from. */
  ipRanges?: string[];
  internal?: boolean;
  disableDns?: boolean;
  ipv6?: boolean;
  /** -o key=value driver options (mtu, isolate, vlan, metric; parent/mode for macvlan). */
  options?: Record<string, string>;
  labels?: Record<string, string>;
  /** The bridge (or macvlan parent) interface name. */
  interfaceName?: string;
  /** --ipam-driver: host-local (default), dhcp or none. */
  ipamDriver?: string;
  /** Succeed quietly when a network of that name exists. */
  ignore?: boolean;
}

/** RFC 3339 time with nanoseconds, as Go prints it. */
export function nowRFC3339Nano(): string {
  // Date has milliseconds; the sub-millisecond digits come from the monotonic clock.
  const sub = String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0');
  return new Date().toISOString().replace(/\.(\d{3})Z$/, (_, ms: string) => {
    const frac = (ms + sub).replace(/0+$/, '');
    return frac ? `.${frac}Z` : 'Z';
  });
}

/** The default directories for an engine configuration. */
export function networkDirs(cfg: Pick<EngineConfig, 'graphRoot' | 'dirs' | 'networkConfigDir' | 'networkCmdPath'>): NetworkStoreOptions {
  return { configDir: cfg.networkConfigDir ?? path.join(cfg.graphRoot, 'networks'), runDir: path.join(cfg.dirs.runDir, 'networks'), slirpCommand: cfg.networkCmdPath };
}

export class NetworkStore {
  readonly configDir: string;
  readonly runDir: string;
  readonly slirpCommand?: string;

  constructor(o: NetworkStoreOptions) {
    this.configDir = o.configDir;
    this.runDir = o.runDir;
    this.slirpCommand = o.slirpCommand;
  }

  static forConfig(cfg: Pick<EngineConfig, 'graphRoot' | 'dirs' | 'networkConfigDir' | 'networkCmdPath'>): NetworkStore {
    return new NetworkStore(networkDirs(cfg));
  }

  /** The file holding network `name`. */
  fileOf(name: string): string {
    return path.join(this.configDir, `${name}.json`);
  }

  private withStoreLock<T>(fn: () => Promise<T>): Promise<T> {
    return withFileLock(path.join(this.configDir, '.lock'), fn);
  }

  private readAll(): NetworkDef[] {
    let names: string[] = [];
    try { names = fs.readdirSync(this.configDir); } catch { return []; }
    const out: NetworkDef[] = [];
    for (const n of names.sort()) {
      if (!n.endsWith('.json')) continue;
      try { out.push(JSON.parse(fs.readFileSync(path.join(this.configDir, n), 'utf8'))); } catch { /* partial or foreign file */ }
    }
    return out;
  }

  /** The default network, written on first use. */
  defaultNetwork(): NetworkDef {
    const file = this.fileOf(DEFAULT_NETWORK);
    try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { /* create */ }
    const def: NetworkDef = {
      name: DEFAULT_NETWORK,
      id: hexOf(sha256(DEFAULT_NETWORK)),
      driver: 'bridge',
      network_interface: DEFAULT_BRIDGE,
      created: nowRFC3339Nano(),
      subnets: [{ subnet: DEFAULT_SUBNET, gateway: formatIP(nth(parseCIDR(DEFAULT_SUBNET)!, 1n)) }],
      ipv6_enabled: false,
      internal: false,
      dns_enabled: false,
      ipam_options: { driver: 'host-local' },
    };
    // Written with 'wx' semantics through a temp file + link so concurrent first uses agree.
    fs.mkdirSync(this.configDir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(def, null, 5) + '\n', { mode: 0o644 });
    try { fs.linkSync(tmp, file); } catch (e: any) { if (e.code !== 'EEXIST') throw e; }
    fs.rmSync(tmp, { force: true });
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }

  /** All networks sorted by name (as `podman network ls`), optionally filtered (podman's --filter syntax). */
  async list(filters: string[] = [], usedBy?: UsedBy): Promise<NetworkDef[]> {
    this.defaultNetwork();
    const all = this.readAll().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const match = await compileFilters(filters, usedBy);
    const out: NetworkDef[] = [];
    for (const n of all) if (await match(n)) out.push(n);
    return out;
  }

  /** A network by name, full id or unique id prefix. */
  get(nameOrId: string): NetworkDef {
    if (nameOrId === DEFAULT_NETWORK) return this.defaultNetwork();
    try { return JSON.parse(fs.readFileSync(this.fileOf(nameOrId), 'utf8')); } catch { /* by id */ }
    this.defaultNetwork();
    const byId = /^[0-9a-f]+$/.test(nameOrId) ? this.readAll().filter((n) => n.id.startsWith(nameOrId)) : [];
    if (byId.length === 1) return byId[0];
    if (byId.length > 1) throw new PierError(`more than one result for network ID ${nameOrId}`);
    throw new NotFoundError(`unable to find network with name or ID ${nameOrId}: network not found`);
  }

  exists(nameOrId: string): boolean {
    try { this.get(nameOrId); return true; } catch (e) { if (e instanceof NotFoundError) return false; throw e; }
  }

  /** Create a network; returns its definition. */
  async create(o: CreateNetworkOptions): Promise<NetworkDef> {
    const driver = (o.driver || 'bridge') as NetworkDriver;
    if (!['bridge', 'macvlan', 'ipvlan'].includes(driver)) throw new UsageError(`unsupported driver ${driver}: invalid argument`);
    if (o.name !== undefined && !NAME_RE.test(o.name)) {
      throw new UsageError(`network name ${o.name} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument`);
    }
    const options = { ...(o.options ?? {}) };
    for (const k of Object.keys(options)) {
      const allowed = driver === 'bridge' ? BRIDGE_OPTIONS : MACVLAN_OPTIONS;
      if (!allowed.includes(k)) throw new UsageError(`unsupported ${driver} network option ${k}`);
    }
    if (options['com.docker.network.driver.mtu']) { options.mtu = options['com.docker.network.driver.mtu']; delete options['com.docker.network.driver.mtu']; }
    let iface = o.interfaceName;
    if (options['com.docker.network.bridge.name']) { iface ??= options['com.docker.network.bridge.name']; delete options['com.docker.network.bridge.name']; }
    if (options.parent) { iface ??= options.parent; delete options.parent; }
    if (options.mtu !== undefined && !/^\d+$/.test(options.mtu)) throw new UsageError(`parse mtu: invalid syntax: ${options.mtu}`);
    if (options.vlan !== undefined && !/^\d+$/.test(options.vlan)) throw new UsageError(`parse vlan: invalid syntax: ${options.vlan}`);
    if (options.metric !== undefined && !/^\d+$/.test(options.metric)) throw new UsageError(`parse metric: invalid syntax: ${options.metric}`);
    if (options.isolate !== undefined && !/^(true|false)$/.test(options.isolate)) throw new UsageError(`invalid isolate option: ${options.isolate}`);
    if (options.mode !== undefined && !['bridge', 'private', 'vepa', 'passthru', 'l2', 'l3', 'l3s'].includes(options.mode)) {
      throw new UsageError(`unknown ${driver} mode "${options.mode}"`);
    }
    const subnets = (o.subnets ?? []).map((s) => {
      const n = parseCIDR(s);
      if (!n) throw new UsageError(`invalid CIDR address: ${s}`);
      return n;
    });
    const gateways = o.gateways ?? [];
    const ranges = o.ipRanges ?? [];
    if (subnets.length === 0 && (gateways.length || ranges.length)) throw new UsageError('cannot set gateway or range without subnet');
    if (gateways.length > subnets.length) throw new UsageError('cannot set more gateways than subnets');
    if (ranges.length > subnets.length) throw new UsageError('cannot set more ranges than subnets');
    for (let i = 0; i < subnets.length; i++) for (let j = i + 1; j < subnets.length; j++) {
      if (overlaps(subnets[i], subnets[j])) throw new UsageError(`subnet ${formatCIDR(subnets[j])} is already used by another subnet of this network`);
    }
    const ipamDriver = o.ipamDriver || (driver !== 'bridge' && subnets.length === 0 ? 'dhcp' : 'host-local');
    if (!['host-local', 'dhcp', 'none'].includes(ipamDriver)) throw new UsageError(`unsupported ipam driver "${ipamDriver}"`);
    if (ipamDriver === 'dhcp' && driver === 'bridge') throw new UsageError('ipam driver dhcp is not supported with the bridge driver');

    return this.withStoreLock(async () => {
      const existing = this.readAll();
      this.defaultNetwork();
      if (o.name !== undefined && (o.name === DEFAULT_NETWORK || existing.some((n) => n.name === o.name))) {
        if (o.ignore) return this.get(o.name);
        throw new ConflictError(`network name ${o.name} already used: network already exists`);
      }
      return withHostLock(this.runDir, () => {
        const claims = liveClaims(this.runDir);
        const defs = this.readAll();
        const usedIfaces = new Set<string>([...hostInterfaceNames(), ...claims.keys(), ...defs.filter((d) => d.driver === 'bridge').map((d) => d.network_interface ?? '')]);
        const usedNets: IPNet[] = [
          ...hostSubnets().map((h) => h.net),
          ...defs.flatMap((d) => (d.subnets ?? []).map((s) => parseCIDR(s.subnet)!)),
          ...[...claims.values()].flatMap((c) => c.subnets.map((s) => parseCIDR(s)!)),
        ];
        if (driver === 'bridge') {
          if (iface) {
            if (defs.some((d) => d.driver === 'bridge' && d.network_interface === iface) || claims.has(iface)) {
              throw new ConflictError(`bridge name ${iface} already in use`);
            }
          } else {
            let i = 1;
            while (usedIfaces.has(`${BRIDGE_PREFIX}${i}`)) i++;
            iface = `${BRIDGE_PREFIX}${i}`;
          }
        } else if (!iface) {
          iface = defaultRouteInterface();
        }
        let name = o.name;
        if (name === undefined) {
          const m = driver === 'bridge' && iface && new RegExp(`^${BRIDGE_PREFIX}(\\d+)$`).exec(iface);
          let i = m ? parseInt(m[1], 10) : 1;
          while (defs.some((d) => d.name === `${BRIDGE_PREFIX}${i}`)) i++;
          name = `${BRIDGE_PREFIX}${i}`;
        }
        const subnetDefs: SubnetDef[] = [];
        if (driver === 'bridge' || subnets.length) {
          for (const [i, n] of subnets.entries()) {
            const clash = usedNets.find((u) => overlaps(u, n));
            if (clash) throw new ConflictError(`subnet ${formatCIDR(n)} is already used on the host or by another config`);
            subnetDefs.push(subnetDef(n, gateways[i], ranges[i], driver === 'bridge' || !!gateways[i]));
          }
          if (driver === 'bridge') {
            // No subnet given: a free IPv4 /24 (plus a ULA /64 with --ipv6); a given IPv4
            // subnet with --ipv6 also gets an IPv6 one.
            if (subnets.length === 0) subnetDefs.push(subnetDef(freeV4Subnet(usedNets, this.runDir), undefined, undefined, true));
            if (o.ipv6 && !subnets.some((n) => n.v6)) subnetDefs.push(subnetDef(freeV6Subnet(usedNets), undefined, undefined, true));
          }
        }
        const def: NetworkDef = {
          name,
          id: randomHex(32),
          driver,
          network_interface: iface,
          created: nowRFC3339Nano(),
          subnets: subnetDefs,
          ipv6_enabled: subnetDefs.some((s) => parseCIDR(s.subnet)!.v6),
          internal: !!o.internal,
          dns_enabled: driver === 'bridge' && !o.disableDns,
          ...(o.labels && Object.keys(o.labels).length ? { labels: o.labels } : {}),
          ...(Object.keys(options).length ? { options } : {}),
          ipam_options: { driver: ipamDriver },
        };
        if (ipamDriver !== 'host-local') def.subnets = subnetDefs.length ? subnetDefs : undefined;
        const file = this.fileOf(name);
        writeJSONAtomic(file, def);
        claim(this.runDir, def, file);
        return def;
      });
    });
  }

  /**
   * Remove a network. In use (per `usedBy`) it is refused unless `force`, in which case the
   * caller must have removed the containers (the `onForce` callback runs first).
   */
  async remove(nameOrId: string, o: { force?: boolean; usedBy?: UsedBy; onForce?: (containers: string[]) => Promise<void> } = {}): Promise<string> {
    const def = this.get(nameOrId);
    if (def.name === DEFAULT_NETWORK) throw new PierError(`default network ${DEFAULT_NETWORK} cannot be removed`);
    const users = o.usedBy ? await o.usedBy(def.name) : [];
    if (users.length) {
      if (!o.force) {
        throw new NetworkInUseError(`"${def.name}" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used`);
      }
      await o.onForce?.(users);
    }
    await this.withStoreLock(() => withHostLock(this.runDir, async () => {
      const file = this.fileOf(def.name);
      fs.rmSync(file, { force: true });
      unclaim(this.runDir, def, file);
    }));
    return def.name;
  }

  /** Remove every unused network (never the default) matching the filters; returns their names. */
  async prune(filters: string[] = [], usedBy?: UsedBy): Promise<string[]> {
    for (const f of filters) {
      const k = f.split('=')[0];
      if (!['label', 'label!', 'until'].includes(k)) throw new UsageError(`"${k}" is an invalid filter`);
    }
    const removed: string[] = [];
    for (const n of await this.list(filters)) {
      if (n.name === DEFAULT_NETWORK) continue;
      if (usedBy && (await usedBy(n.name)).length) continue;
      removed.push(await this.remove(n.name));
    }
    return removed;
  }
}

/** A network is in use by containers (exit code 2 from `network rm`). */
export class NetworkInUseError extends ConflictError {
  constructor(message: string) { super(message); this.name = 'NetworkInUseError'; }
}

function subnetDef(n: IPNet, gateway: string | undefined, range: string | undefined, withGateway: boolean): SubnetDef {
  const out: SubnetDef = { subnet: formatCIDR(n) };
  if (gateway) {
    const gw = parseIP(gateway);
    if (!gw) throw new UsageError(`${gateway} is not an ip address`);
    if (!contains(n, gw)) throw new UsageError(`gateway ip ${gateway} not in subnet ${formatCIDR(n)}`);
    out.gateway = formatIP(gw);
  } else if (withGateway) {
    out.gateway = formatIP(nth(n, 1n));
  }
  if (range) {
    const r = parseCIDR(range);
    if (!r) throw new UsageError(`invalid CIDR address: ${range}`);
    if (r.v6 !== n.v6 || r.base < n.base || lastAddr(r) > lastAddr(n)) throw new UsageError(`lease range ${range} does not fit in subnet ${formatCIDR(n)}`);
    // As podman: the range's first and (IPv4) last addresses are not leased.
    const start = r.base + 1n;
    const end = n.v6 ? lastAddr(r) : lastAddr(r) - 1n;
    out.lease_range = { start_ip: formatIP({ v6: n.v6, n: start }), end_ip: formatIP({ v6: n.v6, n: end }) };
  }
  return out;
}

/**
 * A free /24 from 10.90.1.0 to 10.99.255.0, searched from just after the one handed out last
 * (recorded in the host-wide state dir): a subnet just released is not handed out again at once,
 * while the aardvark-dns of its old network may still hold its gateway address.
 */
function freeV4Subnet(used: IPNet[], stateDir?: string): IPNet {
  const pool: string[] = [];
  for (let b = 90; b <= 99; b++) for (let c = b === 90 ? 1 : 0; c <= 255; c++) pool.push(`10.${b}.${c}.0/24`);
  const marker = stateDir ? path.join(stateDir, 'last-subnet') : undefined;
  let last = -1;
  if (marker) { try { last = pool.indexOf(fs.readFileSync(marker, 'utf8').trim()); } catch { /* none yet */ } }
  for (let k = 1; k <= pool.length; k++) {
    const i = (last + k) % pool.length;
    const n = parseCIDR(pool[i])!;
    if (used.some((u) => overlaps(u, n))) continue;
    if (marker) { try { fs.mkdirSync(path.dirname(marker), { recursive: true }); fs.writeFileSync(marker, pool[i]); } catch { /* best effort */ } }
    return n;
  }
  throw new PierError('could not find free subnet from subnet pools');
}

/** A free random unique-local /64 (fdXX:XXXX:XXXX:XXXX::/64). */
function freeV6Subnet(used: IPNet[]): IPNet {
  for (let i = 0; i < 100; i++) {
    const b = randomBytes(7);
    const groups = [0xfd00 | b[0], (b[1] << 8) | b[2], (b[3] << 8) | b[4], (b[5] << 8) | b[6]].map((g) => g.toString(16));
    const n = parseCIDR(`${groups.join(':')}::/64`)!;
    if (!used.some((u) => overlaps(u, n))) return n;
  }
  throw new PierError('could not find free ipv6 subnet');
}

/** The interface of the host's default route (macvlan/ipvlan parent default). */
function defaultRouteInterface(): string {
  try {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const routes = JSON.parse(execFileSync('ip', ['-j', 'route', 'show', 'default'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    if (routes[0]?.dev) return routes[0].dev;
  } catch { /* none */ }
  throw new PierError('failed to get the default route interface: no default route');
}

/** podman's network filters: name (regex), id (prefix), driver, label, label!, until, dangling. */
async function compileFilters(filters: string[], usedBy?: UsedBy): Promise<(n: NetworkDef) => Promise<boolean>> {
  const byKey = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid filter "${f}"`);
    const k = f.slice(0, eq);
    if (!['name', 'id', 'driver', 'label', 'label!', 'until', 'dangling'].includes(k)) throw new UsageError(`invalid filter "${k}"`);
    byKey.set(k, [...(byKey.get(k) ?? []), f.slice(eq + 1)]);
  }
  const labelMatch = (n: NetworkDef, v: string): boolean => {
    const eq = v.indexOf('=');
    const labels = n.labels ?? {};
    return eq < 0 ? v in labels : labels[v.slice(0, eq)] === v.slice(eq + 1);
  };
  return async (n) => {
    for (const [k, vals] of byKey) {
      switch (k) {
        case 'name': if (!vals.some((v) => new RegExp(v).test(n.name))) return false; break;
        case 'id': if (!vals.some((v) => n.id.startsWith(v))) return false; break;
        case 'driver': if (!vals.includes(n.driver)) return false; break;
        case 'label': if (!vals.every((v) => labelMatch(n, v))) return false; break;
        case 'label!': if (vals.some((v) => labelMatch(n, v))) return false; break;
        case 'until': {
          for (const v of vals) {
            const t = /^\d+$/.test(v) ? parseInt(v, 10) * 1000 : Date.parse(v);
            if (isNaN(t)) throw new UsageError(`invalid until filter value ${v}`);
            if (!(Date.parse(n.created) < t)) return false;
          }
          break;
        }
        case 'dangling': {
          for (const v of vals) {
            if (!/^(true|false|1|0)$/.test(v)) throw new UsageError(`invalid dangling filter value "${v}"`);
            const used = n.name === DEFAULT_NETWORK || (usedBy ? (await usedBy(n.name)).length > 0 : false);
            if ((v === 'true' || v === '1') === used) return false;
          }
          break;
        }
      }
    }
    return true;
  };
}

