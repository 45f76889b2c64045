// Container networking through netavark (bridge/macvlan, firewall and port forwarding) and
// aardvark-dns (name resolution on DNS-enabled networks), as podman 4 drives them: pier
// allocates the addresses (host-local IPAM), then runs `netavark setup NETNS` with the
// network options JSON on stdin and reads the StatusBlocks it prints.
//
// Host-wide state lives in the store's runDir (`/run/pier/networks` for root): netavark's
// --config dir (aardvark-dns config and pid), IPAM claims, and one file per attached
// container with the exact options used, so teardown undoes exactly what setup did.
// Networks are named after their bridge when handed to netavark so every pier store on
// the host shares one aardvark-dns config per bridge (aardvark binds <gateway>:53).
import { spawnCollect } from '../util/spawn';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from '../util/errors';
import { lookPath } from '../util/look-path';
import { hostUid } from '../config/paths';
import { NetworkStore } from './store';
import { NetworkDef, NetworkOptions, PerNetworkOptions, PortMapping, StatusBlock } from './types';
import { allocate, release, withHostLock, writeJSONAtomic } from './ipam';
import { resolveHostPorts } from './ports';
import { ensureRootlessNetns, existingRootlessNetns, removeRootlessNetns } from './rootless-netns';

import { createNetns, removeNetns, isNetns, execInNetns } from './netns';
import { rmFile } from '../util/rmtree';

export { createNetns, removeNetns, netnsPath, isNetns, execInNetns } from './netns';

const HELPER_DIRS = ['/usr/local/libexec/podman', '/usr/local/lib/podman', '/usr/libexec/podman', '/usr/lib/podman'];

/** Per-network settings of a container. */
export interface ContainerNetworkSettings {
  aliases?: string[];
  staticIps?: string[];
  staticMac?: string;
  /** Interface inside the container; default eth0, eth1... in the order given. */
  interfaceName?: string;
}

export interface SetupOptions {
  store: NetworkStore;
  containerId: string;
  /** Container name: its DNS name on the networks. */
  name: string;
  /** Network name → settings. */
  networks: Record<string, ContainerNetworkSettings>;
  /** Host port 0 = pick a free port (the result's `portMappings` tells which). */
  portMappings?: PortMapping[];
  /** --dns servers aardvark-dns forwards to for this container. */
  dnsServers?: string[];
  netnsPath: string;
  /** containers.conf helper_binaries_dir entries searched first. */
  helperDirs?: string[];
}

export interface SetupResult {
  /** netavark's StatusBlock per network (keyed by pier's network name). */
  status: Record<string, StatusBlock>;
  /** The port mappings in effect (random host ports resolved). */
  portMappings: PortMapping[];
}

interface SavedAttachment {
  netnsPath: string;
  options: NetworkOptions;
  /** netavark network name → pier network name. */
  names: Record<string, string>;
  /** pier network name → definition file (IPAM owner). */
  files: Record<string, string>;
  /** Rootless: the ids of the rootless netns's slirp4netns forwards of the published ports. */
  hostfwd?: number[];
}

/** Find a helper binary (netavark, aardvark-dns). */
export function findHelper(name: string, extraDirs: string[] = []): string | undefined {
  const env = process.env[name === 'netavark' ? 'PIER_NETAVARK' : 'PIER_AARDVARK_DNS'];
  if (env) return env;
  return lookPath(name, '', [...extraDirs, ...HELPER_DIRS].filter(Boolean));
}

function savedPath(store: NetworkStore, id: string): string {
  return path.join(store.runDir, 'containers', `${id}.json`);
}

/** The networking state saved for a container at setup, if it is attached. */
export function savedAttachment(store: NetworkStore, id: string): SavedAttachment | undefined {
  try { return JSON.parse(fs.readFileSync(savedPath(store, id), 'utf8')); } catch { return undefined; }
}

/** Port mappings of every attached container on the host except `exceptId`. */
function publishedPorts(store: NetworkStore, exceptId: string): PortMapping[] {
  const dir = path.join(store.runDir, 'containers');
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { return []; }
  const out: PortMapping[] = [];
  for (const n of names) {
    if (!n.endsWith('.json') || n === `${exceptId}.json`) continue;
    try {
      const s = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')) as SavedAttachment;
      // A container whose namespace is gone (host reboot, crash) holds nothing.
      if (fs.existsSync(s.netnsPath)) out.push(...(s.options.port_mappings ?? []));
    } catch { /* partial */ }
  }
  return out;
}

/**
 * An environment in which netavark starts aardvark-dns directly: when /run/systemd/system
 * exists and systemd-run is on PATH netavark wraps aardvark in `systemd-run --scope`,
 * which fails when systemd is not PID 1. A `systemd-run` shim first on PATH that just
 * execs the command keeps DNS working either way.
 */
function netavarkEnv(runDir: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  let pid1 = '';
  try { pid1 = fs.readFileSync('/proc/1/comm', 'utf8').trim(); } catch { /* unknown */ }
  if (pid1 !== 'systemd') {
    const bin = path.join(runDir, 'bin');
    const shim = path.join(bin, 'systemd-run');
    const body = '#!/bin/sh\n# pier: systemd is not PID 1, run the command directly.\nwhile [ $# -gt 0 ]; do case "$1" in --) shift; break;; -*) shift;; *) break;; esac; done\nexec "$@"\n';
    let current = '';
    try { current = fs.readFileSync(shim, 'utf8'); } catch { /* write */ }
    if (current !== body) {
      fs.mkdirSync(bin, { recursive: true });
      const tmp = `${shim}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, body, { mode: 0o755 });
      fs.renameSync(tmp, shim);
    }
    env.PATH = `${bin}:${env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}`;
  }
  return env;
}

/** A rootless user's bridges live in its rootless network namespace (rootless-netns.ts). */
function rootless(): boolean {
  return hostUid() !== 0;
}

/**
 * Run netavark with `options` on stdin; resolves with its parsed JSON output. Rootless it runs in
 * the user's rootless network namespace (made for a setup; a teardown without one has nothing
 * to undo), and the published ports' host addresses are left to slirp4netns: netavark's rules
 * there take any address, the ports arriving on tap0's.
 */
function runNetavark(store: Pick<NetworkStore, 'runDir' | 'slirpCommand'>, command: 'setup' | 'teardown', netns: string, options: NetworkOptions, helperDirs: string[] = []): Promise<any> {
  const runDir = store.runDir;
  const netavark = findHelper('netavark', helperDirs);
  if (!netavark) throw new PierError('could not find "netavark" in one of [' + HELPER_DIRS.join(' ') + ']');
  const aardvark = findHelper('aardvark-dns', helperDirs);
  const args = ['--config', runDir, '--rootless', String(rootless())];
  if (aardvark) args.push('--aardvark-binary', aardvark);
  args.push(command, netns);
  fs.mkdirSync(runDir, { recursive: true });
  let file = netavark;
  if (rootless()) {
    const rns = command === 'setup' ? ensureRootlessNetns(runDir, store.slirpCommand) : existingRootlessNetns(runDir);
    if (!rns) return Promise.resolve({});
    const { findTool } = require('../config/userns-join') as typeof import('../config/userns-join');
    file = findTool('nsenter') ?? 'nsenter';
    args.unshift(`--net=${rns.netns}`, '--', netavark);
    if (options.port_mappings) options = { ...options, port_mappings: options.port_mappings.map((m) => ({ ...m, host_ip: '' })) };
  }
  return spawnCollect(file, args, { env: netavarkEnv(runDir), input: JSON.stringify(options) }).then(
    ({ code, stdout: out, stderr: err }) => {
      let parsed: any;
      try { parsed = out.trim() ? JSON.parse(out) : {}; } catch { parsed = undefined; }
      if (code === 0 && parsed !== undefined) return parsed;
      const msg = parsed?.error ?? (err.trim() || out.trim() || `exit status ${code}`);
      throw new PierError(`netavark (exit code ${code}): ${msg}`);
    },
    (e: Error) => { throw new PierError(`netavark: ${e.message}`); },
  );
}

/** netavark's name for a network: its bridge for bridge networks (host-unique), else its name. */
function netavarkName(def: NetworkDef): string {
  return def.driver === 'bridge' && def.network_interface ? def.network_interface : def.name;
}

/**
 * Attach the namespace at `netnsPath` to the networks: allocate addresses, resolve and
 * check host ports, run `netavark setup`, and remember what was done for teardown.
 * On failure nothing stays allocated. Serialised host-wide (as podman locks around netavark).
 */
/**
 * Tear down attachments whose network namespace is gone: their container's store or run
 * directory was deleted without a teardown (e.g. a killed test). Their addresses and port
 * rules would otherwise stay taken until reboot.
 */
export async function reapStaleAttachments(store: NetworkStore): Promise<string[]> {
  const reaped: string[] = [];
  for (const id of attachedContainers(store)) {
    const saved = savedAttachment(store, id);
    if (!saved || fs.existsSync(saved.netnsPath)) continue;
    await teardownContainerNetwork({ store, containerId: id }).catch(() => undefined);
    reaped.push(id);
  }
  return reaped;
}

export async function setupContainerNetwork(o: SetupOptions): Promise<SetupResult> {
  const names = Object.keys(o.networks);
  if (names.length === 0) throw new PierError('no networks given');
  await reapStaleAttachments(o.store);
  const defs = names.map((n) => o.store.get(n));
  const runDir = o.store.runDir;
  const saved: SavedAttachment = { netnsPath: o.netnsPath, options: { container_id: o.containerId, container_name: o.name, networks: {}, network_info: {} }, names: {}, files: {} };
  return withHostLock(runDir, async () => {
    if (savedAttachment(o.store, o.containerId)) throw new PierError(`container ${o.containerId} is already attached to its networks`);
    const ports = await resolveHostPorts(o.portMappings ?? [], publishedPorts(o.store, o.containerId));
    try {
      defs.forEach((def, i) => {
        const s = o.networks[names[i]];
        const key = netavarkName(def);
        if (saved.options.networks[key]) throw new PierError(`network ${def.name} given twice`);
        const file = o.store.fileOf(def.name);
        // Recorded before allocating so a failure releases exactly what was taken.
        saved.options.network_info[key] = { ...def, name: key };
        saved.names[key] = def.name;
        saved.files[def.name] = file;
        const per: PerNetworkOptions = { interface_name: s.interfaceName || `eth${i}` };
        if ((def.ipam_options?.driver ?? 'host-local') === 'host-local') per.static_ips = allocate(runDir, def, file, o.containerId, s.staticIps ?? []);
        if (s.staticMac) per.static_mac = s.staticMac;
        if (def.dns_enabled) per.aliases = [...new Set([...(s.aliases ?? []), o.containerId.slice(0, 12)])].filter((a) => a !== o.name);
        saved.options.networks[key] = per;
      });
      if (ports.length) saved.options.port_mappings = ports;
      if (o.dnsServers?.length) saved.options.dns_servers = o.dnsServers;
      writeJSONAtomic(savedPath(o.store, o.containerId), saved);
      const out: Record<string, StatusBlock> = await runNetavark(o.store, 'setup', o.netnsPath, saved.options, o.helperDirs);
      if (rootless() && ports.length) await forwardRootlessPorts(o.store, o.containerId, saved, o.helperDirs);
      const status: Record<string, StatusBlock> = {};
      for (const [k, v] of Object.entries(out)) status[saved.names[k] ?? k] = v;
      return { status, portMappings: ports };
    } catch (e) {
      // netavark undoes its own partial work; drop ours.
      forget(o.store, o.containerId, saved);
      if (rootless()) dropIdleRootlessNetns(o.store);
      throw e;
    }
  });
}

/**
 * Rootless: slirp4netns of the rootless netns forwards the published host ports to tap0's
 * address (the same port), where netavark's DNAT rules take them to the container; the
 * forwards' ids are saved for the teardown. On failure netavark's setup is undone.
 */
async function forwardRootlessPorts(store: NetworkStore, id: string, saved: SavedAttachment, helperDirs?: string[]): Promise<void> {
  const rns = existingRootlessNetns(store.runDir);
  saved.hostfwd = [];
  try {
    if (!rns) throw new PierError('the rootless network namespace is gone');
    const { forwardPort } = require('./slirp') as typeof import('./slirp');
    for (const m of saved.options.port_mappings ?? []) saved.hostfwd.push(...await forwardPort(rns.apiSocket, m, rns.tapAddress, true));
    writeJSONAtomic(savedPath(store, id), saved);
  } catch (e) {
    await unforwardRootlessPorts(store, saved);
    await runNetavark(store, 'teardown', saved.netnsPath, saved.options, helperDirs).catch(() => undefined);
    throw e;
  }
}

/** Removes the slirp4netns forwards of forwardRootlessPorts (gone with the namespace when it is). */
async function unforwardRootlessPorts(store: NetworkStore, saved: SavedAttachment): Promise<void> {
  const rns = existingRootlessNetns(store.runDir);
  if (!rns) return;
  const { slirpRequest } = require('./slirp') as typeof import('./slirp');
  for (const id of saved.hostfwd ?? []) await slirpRequest(rns.apiSocket, { execute: 'remove_hostfwd', arguments: { id } }).catch(() => undefined);
}

/** Rootless: the rootless netns goes when no container is attached any more (podman's cleanup). */
function dropIdleRootlessNetns(store: NetworkStore): void {
  if (!attachedContainers(store).length) removeRootlessNetns(store.runDir);
}

/** Release the addresses of a saved attachment and delete it. Call under withHostLock. */
function forget(store: NetworkStore, id: string, saved: SavedAttachment): void {
  for (const def of Object.values(saved.options.network_info)) release(store.runDir, def, id);
  rmFile(savedPath(store, id));
}

export interface TeardownOptions {
  store: NetworkStore;
  containerId: string;
  /** Defaults to the path used at setup. */
  netnsPath?: string;
  helperDirs?: string[];
}

/**
 * Undo setupContainerNetwork: run `netavark teardown` with the saved options (removes the
 * veths, firewall and port-forwarding rules, aardvark entries; the bridge goes with its
 * last container) and release the addresses. A container that is not attached is a no-op.
 * The namespace itself is left for removeNetns.
 */
export async function teardownContainerNetwork(o: TeardownOptions): Promise<void> {
  await withHostLock(o.store.runDir, async () => {
    const saved = savedAttachment(o.store, o.containerId);
    if (!saved) return;
    const netns = o.netnsPath ?? saved.netnsPath;
    let err: unknown;
    await unforwardRootlessPorts(o.store, saved);
    if (rootless() && !existingRootlessNetns(o.store.runDir)) {
      // The rootless netns went (its bridges, rules and DNS server with it): nothing to undo.
    } else if (isNetns(netns)) {
      try { await runNetavark(o.store, 'teardown', netns, saved.options, o.helperDirs); } catch (e) { err = e; }
    } else {
      // The namespace went first (its veths with it): a scratch namespace holding stand-in
      // interfaces of the same names lets netavark still do a complete teardown (rules,
      // DNS entries, and the bridge when it was the last container).
      await waitForDeadVeths(o.store, o.containerId, saved);
      const scratch = createNetns(path.join(o.store.runDir, 'scratch'), o.containerId);
      try {
        for (const per of Object.values(saved.options.networks)) { const peer = `scr${Math.random().toString(16).slice(2, 10)}`; execInNetns(scratch, 'ip', ['link', 'add', per.interface_name, 'type', 'veth', 'peer', 'name', peer]); }
        await runNetavark(o.store, 'teardown', scratch, saved.options, o.helperDirs).catch(() => undefined);
      } finally {
        removeNetns(scratch);
      }
    }
    forget(o.store, o.containerId, saved);
    if (rootless()) dropIdleRootlessNetns(o.store);
    if (err) throw err;
  });
}

/**
 * A namespace is destroyed asynchronously after its last unmount; until then its veths
 * still hang on the bridges. Wait (up to 5s) until each bridge has no more ports than
 * other attached containers use, so netavark can remove an emptied bridge.
 */
async function waitForDeadVeths(store: NetworkStore, id: string, saved: SavedAttachment): Promise<void> {
  const others = attachedContainers(store).filter((c) => c !== id).map((c) => savedAttachment(store, c));
  for (const def of Object.values(saved.options.network_info)) {
    if (def.driver !== 'bridge' || !def.network_interface) continue;
    const bridge = def.network_interface;
    const expected = others.filter((a) => a && Object.values(a.options.network_info).some((d) => d.network_interface === bridge)).length;
    for (let i = 0; i < 50; i++) {
      let ports = 0;
      try {
        // Rootless, the bridges are in the rootless netns.
        const rns = rootless() ? existingRootlessNetns(store.runDir) : undefined;
        const [cmd, args] = rns ? ['nsenter', [`--net=${rns.netns}`, 'ip', '-j', 'link', 'show', 'master', bridge]] : ['ip', ['-j', 'link', 'show', 'master', bridge]];
        const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
        ports = JSON.parse(execFileSync(cmd, args as string[], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || '[]').length;
      } catch { break; }
      if (ports <= expected) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The container's addresses from setup results (without prefix), for /etc/hosts. */
export function containerIPs(status: Record<string, StatusBlock>): string[] {
  const out: string[] = [];
  for (const s of Object.values(status)) {
    for (const iface of Object.values(s.interfaces ?? {})) {
      for (const a of iface.subnets ?? []) out.push(a.ipnet.split('/')[0]);
    }
  }
  return [...new Set(out)];
}

/** DNS servers and search domains for the container's resolv.conf (aardvark on the gateways). */
export function containerDNS(status: Record<string, StatusBlock>): { servers: string[]; search: string[] } {
  const servers = new Set<string>();
  const search = new Set<string>();
  for (const s of Object.values(status)) {
    for (const d of s.dns_server_ips ?? []) servers.add(d);
    for (const d of s.dns_search_domains ?? []) search.add(d);
  }
  return { servers: [...servers], search: [...search] };
}

/**
 * `network connect` for an attached (running) container: set up one more network in its
 * namespace. Returns that network's StatusBlock. The caller updates the container's
 * config, /etc/hosts and state.
 */
export async function connectContainerNetwork(o: { store: NetworkStore; containerId: string; network: string; settings?: ContainerNetworkSettings; helperDirs?: string[] }): Promise<StatusBlock> {
  const def = o.store.get(o.network);
  const key = netavarkName(def);
  const runDir = o.store.runDir;
  const s = o.settings ?? {};
  return withHostLock(runDir, async () => {
    const saved = savedAttachment(o.store, o.containerId);
    if (!saved) throw new PierError(`container ${o.containerId} has no network namespace set up by pier`);
    if (saved.options.networks[key]) throw new PierError(`container ${o.containerId} is already connected to network "${def.name}"`);
    const used = new Set(Object.values(saved.options.networks).map((n) => n.interface_name));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    const file = o.store.fileOf(def.name);
    const per: PerNetworkOptions = { interface_name: s.interfaceName || `eth${i}` };
    if ((def.ipam_options?.driver ?? 'host-local') === 'host-local') per.static_ips = allocate(runDir, def, file, o.containerId, s.staticIps ?? []);
    if (s.staticMac) per.static_mac = s.staticMac;
    if (def.dns_enabled) per.aliases = [...new Set([...(s.aliases ?? []), o.containerId.slice(0, 12)])].filter((a) => a !== saved.options.container_name);
    const one: NetworkOptions = {
      container_id: o.containerId, container_name: saved.options.container_name,
      networks: { [key]: per }, network_info: { [key]: { ...def, name: key } },
      // As podman: the container's published ports are forwarded to this network too.
      ...(saved.options.port_mappings ? { port_mappings: saved.options.port_mappings } : {}),
      ...(saved.options.dns_servers ? { dns_servers: saved.options.dns_servers } : {}),
    };
    let out: Record<string, StatusBlock>;
    try {
      out = await runNetavark(o.store, 'setup', saved.netnsPath, one, o.helperDirs);
    } catch (e) {
      release(runDir, def, o.containerId);
      throw e;
    }
    saved.options.networks[key] = per;
    saved.options.network_info[key] = one.network_info[key];
    saved.names[key] = def.name;
    saved.files[def.name] = file;
    writeJSONAtomic(savedPath(o.store, o.containerId), saved);
    return out[key];
  });
}

/** `network disconnect` for an attached container: tear down one network in its namespace. */
export async function disconnectContainerNetwork(o: { store: NetworkStore; containerId: string; network: string; helperDirs?: string[] }): Promise<void> {
  await withHostLock(o.store.runDir, async () => {
    const saved = savedAttachment(o.store, o.containerId);
    if (!saved) throw new PierError(`container ${o.containerId} has no network namespace set up by pier`);
    const key = Object.keys(saved.names).find((k) => saved.names[k] === o.network || saved.options.network_info[k]?.id.startsWith(o.network));
    if (!key) throw new PierError(`container ${o.containerId} is not connected to network ${o.network}`);
    const one: NetworkOptions = {
      container_id: o.containerId, container_name: saved.options.container_name,
      networks: { [key]: saved.options.networks[key] }, network_info: { [key]: saved.options.network_info[key] },
      ...(saved.options.port_mappings ? { port_mappings: saved.options.port_mappings } : {}),
    };
    let err: unknown;
    if (fs.existsSync(saved.netnsPath)) {
      try { await runNetavark(o.store, 'teardown', saved.netnsPath, one, o.helperDirs); } catch (e) { err = e; }
    }
    release(o.store.runDir, saved.options.network_info[key], o.containerId);
    delete saved.files[saved.names[key]];
    delete saved.options.networks[key];
    delete saved.options.network_info[key];
    delete saved.names[key];
    writeJSONAtomic(savedPath(o.store, o.containerId), saved);
    if (err) throw err;
  });
}

/**
 * `network reload`: redo the container's netavark setup with the addresses it has (after
 * the firewall rules were flushed, e.g. by a firewall restart). Returns the new status.
 */
export async function reloadContainerNetwork(o: { store: NetworkStore; containerId: string; helperDirs?: string[] }): Promise<Record<string, StatusBlock>> {
  return withHostLock(o.store.runDir, async () => {
    const saved = savedAttachment(o.store, o.containerId);
    if (!saved) throw new PierError(`container ${o.containerId} has no network namespace set up by pier`);
    await runNetavark(o.store, 'teardown', saved.netnsPath, saved.options, o.helperDirs).catch(() => undefined);
    const out: Record<string, StatusBlock> = await runNetavark(o.store, 'setup', saved.netnsPath, saved.options, o.helperDirs);
    const status: Record<string, StatusBlock> = {};
    for (const [k, v] of Object.entries(out)) status[saved.names[k] ?? k] = v;
    return status;
  });
}

/** Ids of the containers attached on this host (saved attachments). */
export function attachedContainers(store: NetworkStore): string[] {
  try {
    return fs.readdirSync(path.join(store.runDir, 'containers')).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
  } catch {
    return [];
  }
}
