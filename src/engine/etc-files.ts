// Per-container /etc/hosts, /etc/hostname, /etc/resolv.conf and /run/.containerenv,
// written into the container's run dir and bind-mounted by the spec.
//
// /etc/hosts follows podman 4.3: the --add-host entries, then the base file (containers.conf
// base_hosts_file: the host's /etc/hosts by default), then localhost (only when nothing above
// names it), host.containers.internal (unless named above), and the container's own addresses
// with those of its hostname and name that no entry above has.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PierError, UsageError, EXIT_NOT_FOUND, errnoText } from '../util/errors';
import { isIPv4, isIPv6 } from '../network/ipnet';
import { resolveInRoot } from './spec/rootfs-path';
import { rmFile } from '../util/rmtree';
import { nativeWith } from '../util/native';

export const HOST_CONTAINERS_INTERNAL = 'host.containers.internal';

/** One line of a hosts file. */
export interface HostEntry {
  ip: string;
  names: string[];
}

export interface EtcFilesOptions {
  dir: string;
  id: string;
  name: string;
  image: string;
  imageId: string;
  hostname: string;
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  /** The networks' resolvers and search domains (aardvark-dns), see resolvConf. */
  networkDNS?: { servers: string[]; search: string[] };
  /** The container has an IPv6 address (the host's IPv6 resolvers stay). */
  ipv6?: boolean;
  netnsPath?: string;
  /** host networking: the host's resolvers on its loopback stay usable. */
  hostNetwork: boolean;
  /** The container's own entries (its addresses with its hostname and name). */
  ownEntries?: HostEntry[];
  /** host.containers.internal's address; undefined: no entry. */
  hostContainersInternalIP?: string;
  /** containers.conf base_hosts_file: '' (the host's /etc/hosts), 'image', 'none' or a path. */
  baseHostsFile?: string;
  /** The mounted rootfs, for base_hosts_file = "image". */
  rootfs?: string;
  /** --no-hosts: no /etc/hosts is written (the image's own stays). */
  noHosts?: boolean;
  /** --network none, --dns none: no /etc/resolv.conf is written (the image's own stays). */
  noResolvConf?: boolean;
  rootless: boolean;
  /** --privileged: /run/.containerenv describes the container (else it is empty). */
  privileged?: boolean;
  /** A bind mount's source holds the store's graph root (podman's graphRootMounted=1). */
  graphRootMounted?: boolean;
}

/** An --add-host value, `HOST:IP`, checked as podman 4.3 does (no `host-gateway`, no brackets). */
export function parseAddHost(s: string): HostEntry {
  const i = s.indexOf(':');
  if (i <= 0) throw new UsageError(`bad format for add-host: "${s}"`);
  const ip = s.slice(i + 1);
  if (!validIP(ip)) throw new UsageError(`invalid IP address in add-host: "${ip}"`);
  return { ip, names: [s.slice(0, i)] };
}

/** An IPv4 address, or an IPv6 one without a zone (as Go's net.ParseIP). */
function validIP(s: string): boolean {
  return isIPv4(s) || (!s.includes('%') && isIPv6(s));
}

/** The entries of a hosts file: comments and lines without a name dropped, whitespace normalised. */
export function parseHosts(text: string): HostEntry[] {
  const out: HostEntry[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/).filter((f) => f !== '');
    if (fields.length >= 2) out.push({ ip: fields[0], names: fields.slice(1) });
  }
  return out;
}

export function formatHosts(entries: HostEntry[]): string {
  return entries.map((e) => `${e.ip}\t${e.names.join(' ')}\n`).join('');
}

/** The names `entries` give an address to. */
function namesIn(entries: HostEntry[]): Set<string> {
  return new Set(entries.flatMap((e) => e.names));
}

/** The hosts file's entries, in podman's order (see the header). */
export function buildHosts(o: { extra?: HostEntry[]; base?: HostEntry[]; hostContainersInternalIP?: string; own?: HostEntry[] }): HostEntry[] {
  const entries = [...(o.extra ?? []), ...(o.base ?? [])];
  if (!namesIn(entries).has('localhost')) entries.push({ ip: '127.0.0.1', names: ['localhost'] }, { ip: '::1', names: ['localhost'] });
  if (o.hostContainersInternalIP !== undefined && !namesIn(entries).has(HOST_CONTAINERS_INTERNAL)) {
    entries.push({ ip: o.hostContainersInternalIP, names: [HOST_CONTAINERS_INTERNAL] });
  }
  const known = namesIn(entries);
  for (const e of o.own ?? []) {
    const names = e.names.filter((n) => n !== '' && !known.has(n));
    if (names.length) entries.push({ ip: e.ip, names });
  }
  return entries;
}

/** The base file's entries: base_hosts_file '' (the host's /etc/hosts), 'none', 'image' or a path. */
export function readBaseHosts(setting: string | undefined, rootfs: string | undefined, id: string): HostEntry[] {
  if (setting === 'none') return [];
  let file = setting || '/etc/hosts';
  if (setting === 'image') {
    if (!rootfs) return [];
    file = resolveInRoot(rootfs, '/etc/hosts');
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PierError(`creating hosts file for container ${id}: failed to create new hosts file: open ${file}: ${errnoText(e)}`, EXIT_NOT_FOUND);
  }
  return parseHosts(text);
}

/**
 * host.containers.internal's address: containers.conf host_containers_internal_ip ("none": no
 * entry), else the first gateway of the container's networks (IPv4 first), else the host's first
 * global unicast address.
 */
export function hostContainersInternalIP(confValue: string | undefined, gateways: string[], hostIP: () => string | undefined = hostLocalIP): string | undefined {
  if (confValue === 'none') return undefined;
  if (confValue) return confValue;
  return gateways.find(isIPv4) ?? gateways[0] ?? hostIP();
}

/** The host's first global unicast IPv4 address, else its last IPv6 one. */
export function hostLocalIP(): string | undefined {
  // The addon finds the IPv4 one without node's per-address objects (~2.5 ms with many veths).
  const v4 = nativeWith('localAddress')?.localAddress();
  if (v4) return v4;
  let v6: string | undefined;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') {
        if (!a.address.startsWith('169.254.') && !a.address.startsWith('0.') && a.address !== '255.255.255.255') return a.address;
      } else if (!/^fe[89ab]/i.test(a.address) && !/^ff/i.test(a.address) && a.address !== '::' && a.address !== '::1') {
        v6 = a.address;
      }
    }
  }
  return v6;
}

const IPV4 = String.raw`(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)`;
const IPV6 = String.raw`(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?`;
const NS_LINE = new RegExp(String.raw`^\s*nameserver\s*(${IPV4}|${IPV6})\s*$`);
const LOCAL_NS_LINE = new RegExp(String.raw`^nameserver\s+(?:127\.(?:[0-9]{1,3}\.){2}[0-9]{1,3}|::1\s*$)`);
const V6_NS_LINE = new RegExp(String.raw`^nameserver\s+${IPV6}`);

/** A resolv.conf's lines with their comments cut off. */
function resolvLines(text: string): string[] {
  return text.split('\n').map((l) => { const i = l.indexOf('#'); return i < 0 ? l : l.slice(0, i); });
}
function resolvServers(text: string): string[] {
  return resolvLines(text).flatMap((l) => { const m = NS_LINE.exec(l); return m ? [m[1]] : []; });
}
/** `search` and `options`: the last such line counts, as libc reads them. */
function resolvLastList(text: string, key: 'search' | 'options'): string[] {
  let out: string[] = [];
  for (const l of resolvLines(text)) if (new RegExp(String.raw`^\s*${key}(\s|$)`).test(l)) out = l.trim().split(/\s+/).slice(1);
  return out;
}

/**
 * The resolv.conf the container's is built from: the host's /etc/resolv.conf (for a network
 * namespace made by `ip netns`, /etc/netns/NAME/resolv.conf). In a network namespace of its own,
 * a lone local stub resolver (systemd-resolved's 127.0.0.53, NetworkManager's 127.0.0.1) is
 * replaced by the real servers behind it.
 */
function baseResolvConf(netnsPath: string | undefined, hostNetwork: boolean, hostFile = '/etc/resolv.conf'): string {
  let file = hostFile;
  if (!hostNetwork && netnsPath && !netnsPath.startsWith('/proc/')) {
    const own = path.join('/etc/netns', path.basename(netnsPath), 'resolv.conf');
    if (fs.existsSync(own)) file = own;
  }
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
  if (hostNetwork) return text;
  const servers = resolvServers(text);
  const stub = servers.length !== 1 ? undefined
    : servers[0] === '127.0.0.53' ? '/run/systemd/resolve/resolv.conf'
      : servers[0] === '127.0.0.1' ? '/run/NetworkManager/no-stub-resolv.conf' : undefined;
  if (stub) { try { text = fs.readFileSync(stub, 'utf8'); } catch { /* keep the stub's */ } }
  return text;
}

export interface ResolvConfInput {
  /** containers.conf dns_servers then --dns. */
  dns?: string[];
  /** containers.conf dns_searches then --dns-search. */
  dnsSearch?: string[];
  /** containers.conf dns_options then --dns-option. */
  dnsOption?: string[];
  /** The resolvers of the container's networks (aardvark-dns) and their search domains. */
  networkDNS?: { servers: string[]; search: string[] };
  /** host networking: the host's file as it is (its loopback resolvers stay usable). */
  hostNetwork: boolean;
  /** The container has an IPv6 address: the host's IPv6 resolvers stay. */
  ipv6?: boolean;
  /** The network namespace's path (for `ip netns` namespaces' own resolv.conf). */
  netnsPath?: string;
  /** Tests only: the host file read instead of /etc/resolv.conf. */
  hostResolvConf?: string;
}

/**
 * The container's /etc/resolv.conf, by podman 4.3's rules. Servers given by containers.conf or
 * --dns are the only ones. Without them, the networks' resolvers (aardvark-dns) come first,
 * followed by the host's, and the networks' search domain (dns.podman) comes before the host's.
 * Search domains given by containers.conf or --dns-search replace the networks' ("." clears
 * them all); options given replace the host's unless the host's servers are kept.
 */
export function resolvConf(o: ResolvConfInput): string {
  let servers = [...(o.dns ?? [])];
  let search: string[] = [];
  const keepHost = servers.length === 0;
  if (keepHost) {
    servers = [...(o.networkDNS?.servers ?? [])];
    search = [...(o.networkDNS?.search ?? [])];
  }
  if (o.dnsSearch?.length) search = [...o.dnsSearch];
  const options = [...(o.dnsOption ?? [])];
  const unset = search.includes('.');
  let searches = unset ? [] : search;
  if (!(servers.length && options.length && search.length && !keepHost)) {
    let base = baseResolvConf(o.netnsPath, o.hostNetwork, o.hostResolvConf);
    if (!o.hostNetwork) {
      // Loopback resolvers are unreachable from the container's namespace; IPv6 ones need IPv6.
      let lines = base.split('\n').filter((l) => !LOCAL_NS_LINE.test(l));
      if (!o.ipv6) lines = lines.filter((l) => !V6_NS_LINE.test(l));
      base = lines.join('\n');
      if (resolvServers(base).length === 0) {
        base += '\nnameserver 8.8.8.8\nnameserver 8.8.4.4';
        if (o.ipv6) base += '\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844';
      }
    }
    if (servers.length === 0 || keepHost) servers.push(...resolvServers(base));
    if (search.length === 0 || (keepHost && searches.length > 0)) searches = [...searches, ...resolvLastList(base, 'search')];
    if (options.length === 0 || keepHost) options.push(...resolvLastList(base, 'options'));
  }
  return formatResolv(servers, searches, options);
}

function formatResolv(servers: string[], search: string[], options: string[]): string {
  const lines: string[] = [];
  if (search.length && search.join(' ').trim() !== '.') lines.push(`search ${search.join(' ')}`);
  for (const s of servers) lines.push(`nameserver ${s}`);
  if (options.length && options.join(' ').trim() !== '') lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/**
 * `network connect` of a running container: the new network's resolvers go in front of those
 * in its resolv.conf (podman's resolvconf.Add); no file (--dns none, --network none), no change.
 */
export function addResolvNameservers(file: string, servers: string[]): void {
  if (!servers.length) return;
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return; }
  writeInPlace(file, formatResolv([...servers, ...resolvServers(text)], resolvLastList(text, 'search'), resolvLastList(text, 'options')));
}

/** `network disconnect`: the network's resolvers leave the running container's resolv.conf. */
export function removeResolvNameservers(file: string, servers: string[]): void {
  if (!servers.length) return;
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return; }
  writeInPlace(file, formatResolv(resolvServers(text).filter((s) => !servers.includes(s)), resolvLastList(text, 'search'), resolvLastList(text, 'options')));
}

/** The container's /etc/hosts. */
export function hostsFile(o: EtcFilesOptions): string {
  return formatHosts(buildHosts({
    extra: (o.addHost ?? []).map(parseAddHost),
    base: readBaseHosts(o.baseHostsFile, o.rootfs, o.id),
    hostContainersInternalIP: o.hostContainersInternalIP,
    own: o.ownEntries,
  }));
}

/** Writes `text` into `file` in place (a running container's bind mount keeps seeing the same inode). */
function writeInPlace(file: string, text: string): void {
  fs.writeFileSync(file, text);
}

/**
 * Write the files; returns their host paths. `hosts` and `resolvConf` are undefined when the
 * container gets none (--no-hosts, --network none...): a file left by an earlier start goes.
 */
export function writeEtcFiles(o: EtcFilesOptions): { hosts?: string; hostname: string; resolvConf?: string; containerEnv: string } {
  fs.mkdirSync(o.dir, { recursive: true });
  const hosts = path.join(o.dir, 'hosts');
  const resolv = path.join(o.dir, 'resolv.conf');
  const files = {
    hosts: o.noHosts ? undefined : hosts,
    hostname: path.join(o.dir, 'hostname'),
    resolvConf: o.noResolvConf ? undefined : resolv,
    containerEnv: path.join(o.dir, '.containerenv'),
  };
  if (files.hosts) writeInPlace(hosts, hostsFile(o));
  else rmFile(hosts);
  // Without a newline, as podman 4.3 writes it.
  fs.writeFileSync(files.hostname, o.hostname);
  if (files.resolvConf) writeInPlace(resolv, resolvConf(o));
  else rmFile(resolv);
  // As podman: the container's details only for a privileged container; otherwise the file is
  // empty, or just says that the store's graph root is mounted into the container.
  const graphRootLine = o.graphRootMounted ? 'graphRootMounted=1' : '';
  fs.writeFileSync(files.containerEnv, !o.privileged ? graphRootLine : [
    'engine="pier"',
    `name="${o.name}"`,
    `id="${o.id}"`,
    `image="${o.image}"`,
    `imageid="${o.imageId}"`,
    `rootless=${o.rootless ? 1 : 0}`,
    graphRootLine,
  ].join('\n'));
  return files;
}

/**
 * A container joining another's network namespace (--network container:X, pod members) shares
 * X's /etc/hosts: its own entry is added there while it runs. Returns the line added, or
 * undefined when every name of `entry` is already in the file.
 */
export function addSharedHostsEntry(file: string, entry: HostEntry): string | undefined {
  const text = fs.readFileSync(file, 'utf8');
  const known = namesIn(parseHosts(text));
  const names = entry.names.filter((n) => n !== '' && !known.has(n));
  if (!names.length) return undefined;
  const line = formatHosts([{ ip: entry.ip, names }]);
  writeInPlace(file, (text === '' || text.endsWith('\n') ? text : text + '\n') + line);
  return line.trimEnd();
}

/** Undo addSharedHostsEntry: the first line equal to `line` goes. */
export function removeSharedHostsEntry(file: string, line: string): void {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return; }
  const lines = text.split('\n');
  const i = lines.indexOf(line);
  if (i < 0) return;
  lines.splice(i, 1);
  writeInPlace(file, lines.join('\n'));
}

/**
 * `network connect` on a running container (podman 4.3): its hosts file gets a line for each
 * new address, with the container's names (even when an earlier line has them). Nothing when
 * the container has no hosts file of its own (--no-hosts, another container's network).
 */
export function addHostsEntries(file: string, entries: HostEntry[]): void {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return; }
  if (!entries.length) return;
  writeInPlace(file, (text === '' || text.endsWith('\n') ? text : text + '\n') + formatHosts(entries));
}

/** `network disconnect`: the lines giving these addresses these names go (podman's etchosts.Remove). */
export function removeHostsEntries(file: string, entries: HostEntry[]): void {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return; }
  const drop = (line: string): boolean => {
    const fields = line.replace(/#.*/, '').trim().split(/\s+/).filter((f) => f !== '');
    return fields.length >= 2 && entries.some((e) => e.ip === fields[0] && e.names.join(' ') === fields.slice(1).join(' '));
  };
  const lines = text.split('\n');
  const kept = lines.filter((l) => !drop(l));
  if (kept.length !== lines.length) writeInPlace(file, kept.join('\n'));
}
