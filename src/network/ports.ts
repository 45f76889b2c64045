// Published ports: parse `-p [[ip:][hostPort]:]containerPort[/proto]` (ranges, IPv6 in
// brackets, several protocols), turn image ExposedPorts into `-P` mappings, pick random
// host ports (at create, as podman), refuse host ports already bound on the host or published
// by another container, and reserve them (bound sockets that conmon holds) while a container runs.
// net and dgram load on first use: most containers publish no ports.
const net = () => require('node:net') as typeof import('node:net');
import * as fs from 'node:fs';
import { PierError, UsageError } from '../util/errors';
import { isIPv4, isIPv6 } from './ipnet';
import { PortMapping } from './types';

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

function parsePortRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new UsageError(`invalid ${what} "${s}"`);
  const a = parseInt(m[1], 10);
  const b = m[2] !== undefined ? parseInt(m[2], 10) : a;
  if (a < 1 || a > 65535 || b < 1 || b > 65535) throw new UsageError(`invalid ${what} "${s}": port numbers must be between 1 and 65535 (inclusive)`);
  if (b < a) throw new UsageError(`invalid ${what} "${s}": end port must be greater than start port`);
  return [a, b];
}

/**
 * Parse one `-p` value. A host port of 0 (omitted) means "pick a free one" (see
 * resolveHostPorts). One mapping per protocol.
 */
export function parsePublish(spec: string): PortMapping[] {
  let rest = spec;
  let protos = ['tcp'];
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protos = rest.slice(slash + 1).split(',').map((p) => p.trim().toLowerCase());
    rest = rest.slice(0, slash);
    for (const p of protos) if (!PROTOCOLS.includes(p)) throw new UsageError(`unrecognized protocol "${p}" in port mapping`);
  }
  let hostIp = '';
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0 || rest[end + 1] !== ':') throw new UsageError(`invalid port format "${spec}"`);
    hostIp = rest.slice(1, end);
    if (!isIPv6(hostIp)) throw new UsageError(`invalid IP address "${hostIp}" in port mapping`);
    rest = rest.slice(end + 2);
    if (!rest.includes(':')) rest = ':' + rest;
  }
  const parts = rest.split(':');
  let hostPart = '';
  let ctrPart: string;
  if (parts.length === 1) ctrPart = parts[0];
  else if (parts.length === 2) [hostPart, ctrPart] = parts;
  else if (parts.length === 3 && !hostIp) {
    [hostIp, hostPart, ctrPart] = parts;
    if (!isIPv4(hostIp)) throw new UsageError(`invalid IP address "${hostIp}" in port mapping`);
  } else {
    throw new UsageError(`invalid port format "${spec}"`);
  }
  if (hostIp === '0.0.0.0') hostIp = '';
  if (ctrPart === '') throw new UsageError(`invalid port format "${spec}": container port must be specified`);
  const [cs, ce] = parsePortRange(ctrPart, 'containerPort');
  let hs = 0;
  if (hostPart !== '') {
    const [a, b] = parsePortRange(hostPart, 'hostPort');
    if (b - a !== ce - cs && !(a === b && cs === ce)) {
      throw new UsageError(`host and container port ranges have different lengths: ${b - a + 1} vs ${ce - cs + 1}`);
    }
    hs = a;
  }
  return protos.map((protocol) => ({ host_ip: hostIp, container_port: cs, host_port: hs, range: ce - cs + 1, protocol }));
}

/**
 * The exposed ports ("80/tcp" keys) of a container: the image's ExposedPorts and --expose
 * values (`port[-end][/proto]`, tcp by default), ranges expanded, each once; malformed ones skipped.
 */
export function exposedPortKeys(imageExposed: Record<string, unknown> | undefined, expose: readonly string[] | undefined): string[] {
  const out = new Set<string>();
  for (const e of [...Object.keys(imageExposed ?? {}), ...(expose ?? [])]) {
    const [port, proto = 'tcp'] = e.split('/');
    let range: [number, number];
    try { range = parsePortRange(port, 'containerPort'); } catch { continue; }
    for (let p = range[0]; p <= range[1]; p++) out.add(`${p}/${proto}`);
  }
  return [...out];
}

/** `-P`: a mapping to a random host port for every exposed port ("80/tcp" keys) not already published. */
export function publishAll(exposed: Record<string, unknown> | string[], published: PortMapping[] = []): PortMapping[] {
  const keys = Array.isArray(exposed) ? exposed : Object.keys(exposed);
  const out: PortMapping[] = [];
  for (const k of keys) {
    const [port, proto = 'tcp'] = k.split('/');
    const [cs, ce] = parsePortRange(port, 'containerPort');
    for (let p = cs; p <= ce; p++) {
      const covered = [...published, ...out].some((m) => m.protocol === proto && p >= m.container_port && p < m.container_port + m.range);
      if (!covered) out.push({ host_ip: '', container_port: p, host_port: 0, range: 1, protocol: proto });
    }
  }
  return out;
}

function overlapping(a: PortMapping, b: PortMapping): boolean {
  if (a.protocol !== b.protocol) return false;
  if (a.host_ip && b.host_ip && a.host_ip !== b.host_ip) return false;
  return a.host_port < b.host_port + b.range && b.host_port < a.host_port + a.range;
}

/** Can `port` be bound on `ip` ('' = any) for `proto` right now? True, else the bind's error code. */
function probe(proto: string, ip: string, port: number): Promise<true | string> {
  return new Promise((resolve) => {
    const failed = (e: NodeJS.ErrnoException) => resolve(e.code ?? 'EADDRINUSE');
    if (proto === 'udp') {
      const s = (require('node:dgram') as typeof import('node:dgram')).createSocket(ip && isIPv6(ip) ? 'udp6' : 'udp4');
      s.once('error', (e) => { s.close(); failed(e); });
      s.bind({ port, address: ip || undefined, exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    // sctp cannot be probed from Node; tcp is the best approximation.
    const srv = net().createServer();
    srv.once('error', failed);
    srv.listen({ port, host: ip || undefined, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port below net.ipv4.ip_unprivileged_port_start that a rootless user cannot bind: podman's
 * rootlessport error (its port driver's wording).
 */
function privileged(m: PortMapping, port: number): string {
  let start = 1024;
  try { start = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()) || start; } catch { /* default */ }
  const host = m.host_ip ? (isIPv6(m.host_ip) ? `[${m.host_ip}]` : m.host_ip) : '0.0.0.0';
  return `rootlessport cannot expose privileged port ${port}, you can add 'net.ipv4.ip_unprivileged_port_start=${port}' to /etc/sysctl.conf (currently ${start}), or choose a larger port number (>= ${start}): listen ${m.protocol === 'udp' ? 'udp' : 'tcp'} ${host}:${port}: bind: permission denied`;
}

function describe(m: PortMapping, port: number): string {
  const fam = m.host_ip && isIPv6(m.host_ip) ? '6' : '4';
  const host = m.host_ip ? (fam === '6' ? `[${m.host_ip}]` : m.host_ip) : '';
  return `cannot listen on the ${m.protocol.toUpperCase()} port: listen ${m.protocol}${fam} ${host}:${port}: bind: address already in use`;
}

/**
 * Give every mapping with host port 0 a free host port (a free run for ranges) and check
 * that the others are free on the host and not published already (`taken`: mappings of
 * other running containers). Returns new mappings.
 */
export async function resolveHostPorts(mappings: PortMapping[], taken: PortMapping[] = []): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  for (const m of mappings) {
    const against = [...taken, ...out];
    if (m.host_port) {
      for (const t of against) if (overlapping(m, t)) throw new PierError(describe(m, Math.max(m.host_port, t.host_port)));
      for (let i = 0; i < m.range; i++) {
        const free = await probe(m.protocol, m.host_ip, m.host_port + i);
        if (free === 'EACCES') throw new PierError(privileged(m, m.host_port + i));
        if (free !== true) throw new PierError(describe(m, m.host_port + i));
      }
      out.push({ ...m });
      continue;
    }
    let found = 0;
    for (let attempt = 0; attempt < 200 && !found; attempt++) {
      const start = 20000 + Math.floor(Math.random() * (60000 - 20000 - m.range));
      const cand = { ...m, host_port: start };
      if (against.some((t) => overlapping(cand, t))) continue;
      let ok = true;
      for (let i = 0; i < m.range && ok; i++) ok = (await probe(m.protocol, m.host_ip, start + i)) === true;
      if (ok) found = start;
    }
    if (!found) throw new PierError(`failed to find a free ${m.protocol} host port for container port ${m.container_port}`);
    out.push({ ...m, host_port: found });
  }
  return out;
}

/** A TCP port the kernel finds free now (podman's GetRandomPort: listen on port 0, close). */
function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net().createServer();
    srv.once('error', reject);
    srv.listen({ port: 0 }, () => {
      const port = (srv.address() as import('node:net').AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * podman's create: every mapping without a host port gets one now, which the container keeps
 * across its starts: a port the kernel finds free (the rest of a range following it) that
 * none of the container's mappings of the protocol uses, in up to 15 tries. Host ports given
 * are left as they are: a start checks that they are free.
 */
export async function assignHostPorts(mappings: PortMapping[]): Promise<PortMapping[]> {
  if (!mappings.some((m) => !m.host_port)) return mappings;
  const used = new Map<string, Set<number>>();
  const take = (m: PortMapping) => {
    const set = used.get(m.protocol) ?? new Set<number>();
    for (let i = 0; i < m.range; i++) set.add(m.host_port + i);
    used.set(m.protocol, set);
  };
  for (const m of mappings) if (m.host_port) take(m);
  const out: PortMapping[] = [];
  for (const m of mappings) {
    if (m.host_port) { out.push(m); continue; }
    let found = 0;
    for (let attempt = 0; attempt < 15 && !found; attempt++) {
      const port = await kernelFreePort();
      if (port + m.range > 65535) continue;
      const set = used.get(m.protocol);
      let clash = false;
      for (let i = 0; i < m.range && !clash; i++) clash = !!set?.has(port + i);
      if (!clash) found = port;
    }
    if (!found) throw new PierError(`failed to find an open port to expose container port ${m.container_port} ${m.range > 1 ? `with range ${m.range} ` : ''}on the host`);
    const assigned = { ...m, host_port: found };
    take(assigned);
    out.push(assigned);
  }
  return out;
}

/** Bound host sockets that keep published ports busy (podman's port reservation). */
export interface PortReservation {
  /** The sockets' fds, for conmon to inherit and hold while the container runs. */
  fds: number[];
  /** Closes pier's copies (conmon keeps its own). */
  close(): void;
}

/** The file descriptor behind a listening net.Server or bound dgram socket (Unix). */
function socketFd(sock: object): number | undefined {
  if (sock instanceof net().Server) {
    const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
    return typeof fd === 'number' && fd >= 0 ? fd : undefined;
  }
  // dgram keeps its handle in a symbol-keyed state object.
  for (const sym of Object.getOwnPropertySymbols(sock)) {
    const fd = (sock as Record<symbol, { handle?: { fd?: number } }>)[sym]?.handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  return undefined;
}

/**
 * Bind every published host port (TCP and UDP; SCTP cannot be reserved) so nothing else on the
 * host can take it while the container runs, as podman does for a rootful container: conmon
 * inherits the sockets and never reads them (netavark's DNAT rules send the traffic on to the
 * container). A port already bound fails with podman's error.
 */
export async function reservePorts(mappings: PortMapping[]): Promise<PortReservation> {
  const socks: Array<{ close(): void }> = [];
  const fds: number[] = [];
  const close = () => { for (const s of socks) { try { s.close(); } catch { /* closed */ } } };
  try {
    for (const m of mappings) {
      if (m.protocol !== 'tcp' && m.protocol !== 'udp') continue;
      const v6 = !!m.host_ip && isIPv6(m.host_ip);
      for (let i = 0; i < m.range; i++) {
        const port = m.host_port + i;
        const sock = await new Promise<{ close(): void }>((resolve, reject) => {
          const fail = () => reject(new PierError(describe(m, port)));
          if (m.protocol === 'udp') {
            const u = (require('node:dgram') as typeof import('node:dgram')).createSocket(v6 ? 'udp6' : 'udp4');
            u.once('error', () => { try { u.close(); } catch { /* closed */ } fail(); });
            u.bind({ port, address: m.host_ip || '0.0.0.0', exclusive: true }, () => resolve(u));
            return;
          }
          const t = net().createServer();
          t.once('error', fail);
          t.listen({ port, host: m.host_ip || '0.0.0.0', exclusive: true }, () => resolve(t));
        });
        socks.push(sock);
        const fd = socketFd(sock);
        if (fd !== undefined) fds.push(fd);
      }
    }
  } catch (e) {
    close();
    throw e;
  }
  return { fds, close };
}

/** podman's `port`/ps rendering of one mapping: `0.0.0.0:8080->80/tcp`. */
export function formatPortMapping(m: PortMapping): string {
  const ip = m.host_ip || '0.0.0.0';
  if (m.range > 1) return `${ip}:${m.host_port}-${m.host_port + m.range - 1}->${m.container_port}-${m.container_port + m.range - 1}/${m.protocol}`;
  return `${ip}:${m.host_port}->${m.container_port}/${m.protocol}`;
}
