// --network slirp4netns[:OPTIONS]: user-mode networking through slirp4netns, as podman 4.3 sets
// it up for a rootful container. pier makes the network namespace, slirp4netns puts a tap0 into
// it (the container is CIDR+100, the gateway +2, slirp's DNS forwarder +3) and exits when the
// write end of its exit pipe closes: conmon inherits that end, so slirp4netns lives as long as
// the container's conmon. Published ports are forwarded by slirp4netns itself (its API socket's
// add_hostfwd), for either port_handler.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from '../util/errors';
import { lookPath } from '../util/look-path';
import { formatIP, isIPv4, isIPv6, parseCIDR } from './ipnet';
import type { PortMapping } from './types';

export const SLIRP_DEFAULT_CIDR = '10.0.2.0/24';
const SLIRP_MTU = 65520;
const SLIRP_SOCKET_DIR = '/run/pier/slirp';

/** Where the API sockets go: a short dir, root's host-wide, a rootless user's in its run dir. */
function slirpSocketDir(): string {
  const { userDirs } = require('../config/paths') as typeof import('../config/paths');
  const dirs = userDirs();
  return dirs.rootless ? path.join(dirs.runDir, 'slirp') : SLIRP_SOCKET_DIR;
}

export interface SlirpOptions {
  cidr?: string;
  disableHostLoopback: boolean;
  enableIPv6: boolean;
  mtu: number;
  outboundAddr?: string;
  outboundAddr6?: string;
  /** port_handler=slirp4netns (else rootlesskit; both are served by slirp4netns here). */
  slirpHostForward: boolean;
  /** The slirp4netns binary (--network-cmd-path, containers.conf network_cmd_path); else found in PATH. */
  command?: string;
}

/** The options of `slirp4netns:OPT=V,...`; podman's errors for bad ones (at start, as podman). */
export function parseSlirpOptions(opts: string[]): SlirpOptions {
  const o: SlirpOptions = { disableHostLoopback: true, enableIPv6: true, mtu: SLIRP_MTU, slirpHostForward: false };
  const bool = (name: string, v: string): boolean => {
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new PierError(`invalid value of ${name} for slirp4netns: "${v}"`);
  };
  const isInterface = (n: string) => Object.keys((require('node:os') as typeof import('node:os')).networkInterfaces()).includes(n);
  for (const opt of opts) {
    const i = opt.indexOf('=');
    if (i < 0) throw new PierError(`unknown option for slirp4netns: "${opt}"`);
    const [k, v] = [opt.slice(0, i), opt.slice(i + 1)];
    switch (k) {
      case 'cidr': {
        const n = parseCIDR(v);
        if (!n || n.v6) throw new PierError(`invalid cidr "${v}"`);
        o.cidr = v;
        break;
      }
      case 'port_handler':
        if (v !== 'slirp4netns' && v !== 'rootlesskit') throw new PierError(`unknown port_handler for slirp4netns: "${v}"`);
        o.slirpHostForward = v === 'slirp4netns';
        break;
      case 'allow_host_loopback': o.disableHostLoopback = !bool(k, v); break;
      case 'enable_ipv6': o.enableIPv6 = bool(k, v); break;
      case 'outbound_addr':
        if (!isIPv4(v) && !isInterface(v)) throw new PierError(`invalid outbound_addr "${v}"`);
        o.outboundAddr = v;
        break;
      case 'outbound_addr6':
        if (!isIPv6(v) && !isInterface(v)) throw new PierError(`invalid outbound_addr6: "${v}"`);
        o.outboundAddr6 = v;
        break;
      case 'mtu': {
        const n = /^-?\d+$/.test(v) ? Number(v) : NaN;
        if (!(n >= 68)) throw new PierError(`invalid mtu "${v}"`);
        o.mtu = n;
        break;
      }
      default: throw new PierError(`unknown option for slirp4netns: "${opt}"`);
    }
  }
  if (o.outboundAddr6 && !o.enableIPv6) throw new PierError('enable_ipv6=true is required for outbound_addr6');
  return o;
}

/** The addresses slirp4netns gives in `cidr`: the container's (+100), the gateway (+2), DNS (+3). */
export function slirpAddresses(cidr = SLIRP_DEFAULT_CIDR): { ip: string; gateway: string; dns: string; prefix: number } {
  const n = parseCIDR(cidr)!;
  const at = (k: bigint) => formatIP({ v6: false, n: n.base + k });
  return { ip: at(100n), gateway: at(2n), dns: at(3n), prefix: n.prefix };
}

/** Whether `pid` is (still) a slirp4netns process (not a pid reused by another). */
export function isSlirpProcess(pid: number): boolean {
  try { return pid > 0 && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('slirp4netns'); } catch { return false; }
}

export function findSlirp(command?: string): string {
  // A configured path is used as given, never looked up.
  if (command) {
    try { fs.accessSync(command, fs.constants.X_OK); } catch (e) {
      throw new PierError(`failed to start slirp4netns process: fork/exec ${command}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : 'permission denied'}`);
    }
    return command;
  }
  const found = lookPath('slirp4netns', process.env.PATH || '/usr/local/bin:/usr/bin:/bin', ['/usr/bin', '/usr/sbin']);
  if (found) return found;
  throw new PierError('could not find slirp4netns, the network namespace can\'t be configured: exec: "slirp4netns": executable file not found in $PATH');
}

export interface SlirpProcess {
  pid: number;
  /** The exit pipe's write end: hand it to conmon (extraFds), then close(). */
  exitFd: number;
  close(): void;
}

/** slirp4netns's arguments for `options` (podman's), up to its API socket and namespace. */
function slirpArgs(bin: string, opt: SlirpOptions): string[] {
  const args = [bin];
  if (opt.disableHostLoopback) args.push('--disable-host-loopback');
  args.push(`--mtu=${opt.mtu}`, '--enable-sandbox', '--enable-seccomp');
  if (opt.cidr) args.push(`--cidr=${opt.cidr}`);
  if (opt.enableIPv6) args.push('--enable-ipv6');
  if (opt.outboundAddr) args.push(`--outbound-addr=${opt.outboundAddr}`);
  if (opt.outboundAddr6) args.push(`--outbound-addr6=${opt.outboundAddr6}`);
  return args;
}

/**
 * Spawns slirp4netns (detached, in a mount namespace of its own: --enable-sandbox pivots its
 * root, as podman starts it) for the namespace at `netnsPath`, and waits until tap0 is
 * configured. With `exitPipe` it ends when the returned write end closes (-e); without it runs
 * until killed. `apiSocket` is served when given. On failure nothing is left running.
 */
function spawnSlirp(o: { netnsPath: string; options: SlirpOptions; logFile: string; apiSocket?: string; exitPipe: boolean }): { pid: number; exitFd: number; fail(why: string): never } {
  const bin = findSlirp(o.options.command);
  const addon = (require('../util/native') as typeof import('../util/native')).nativeWith('spawnDetached');
  if (!addon) throw new PierError('slirp4netns needs pier\'s native addon');
  const { envList } = require('../util/spawn') as typeof import('../util/spawn');
  const args = [...slirpArgs(bin, o.options), '-c', ...(o.exitPipe ? ['-e', '3'] : []), '-r', '4'];
  if (o.apiSocket) {
    fs.mkdirSync(path.dirname(o.apiSocket), { recursive: true, mode: 0o700 });
    fs.rmSync(o.apiSocket, { force: true });
    args.push('--api-socket', o.apiSocket);
  }
  args.push('--netns-type=path', o.netnsPath, 'tap0');
  fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  const log = fs.openSync(o.logFile, 'w', 0o600);
  const [exitR, exitW] = o.exitPipe ? addon.pipe() : [-1, -1];
  const [readyR, readyW] = addon.pipe();
  const closeFd = (fd: number) => { try { if (fd >= 0) fs.closeSync(fd); } catch { /* closed */ } };
  let pid: number;
  try {
    const unshare = ['/usr/bin/unshare', '/bin/unshare'].find((f) => fs.existsSync(f));
    const argv = unshare ? [unshare, '--mount', '--propagation', 'private', '--', ...args] : args;
    pid = addon.spawnDetached(argv[0], argv, envList(process.env), [-1, log, log, exitR, readyW]);
  } catch (e) {
    for (const fd of [exitR, exitW, readyR, readyW, log]) closeFd(fd);
    throw new PierError(`failed to start slirp4netns process: ${(e as Error).message}`);
  }
  for (const fd of [exitR, readyW, log]) closeFd(fd);
  const fail = (why: string): never => {
    closeFd(exitW);
    if (o.apiSocket) fs.rmSync(o.apiSocket, { force: true });
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    let text = '';
    try { text = fs.readFileSync(o.logFile, 'utf8').trim(); } catch { /* none */ }
    throw new PierError(`slirp4netns failed: ${why}${text ? `: ${JSON.stringify(text)}` : ''}`);
  };
  // slirp4netns writes "1" to the ready fd once tap0 is configured; EOF means it died.
  const buf = Buffer.alloc(1);
  let n = 0;
  try { n = fs.readSync(readyR, buf, 0, 1, null); } catch { n = 0; } finally { closeFd(readyR); }
  if (n !== 1) fail('it exited before the network was ready');
  return { pid, exitFd: exitW, fail };
}

/**
 * Starts slirp4netns for the namespace at `netnsPath` and waits until tap0 is up; forwards
 * `ports` (host ports already chosen). On failure nothing is left running.
 */
export async function startSlirp(o: { containerId: string; netnsPath: string; options: SlirpOptions; runDir: string; ports: PortMapping[] }): Promise<SlirpProcess> {
  fs.mkdirSync(o.runDir, { recursive: true });
  // A unix socket path must stay under 108 bytes: a short host-wide dir, as podman's tmpdir.
  const socketDir = slirpSocketDir();
  let apiSocket = path.join(socketDir, `${o.containerId}.net`);
  // A user's run dir may be long: the short id then (a unix socket path stays under 108 bytes).
  if (Buffer.byteLength(apiSocket) >= 108) apiSocket = path.join(socketDir, `${o.containerId.slice(0, 12)}.net`);
  const s = spawnSlirp({ netnsPath: o.netnsPath, options: o.options, logFile: path.join(o.runDir, 'slirp4netns.log'), apiSocket: o.ports.length ? apiSocket : undefined, exitPipe: true });
  const proc: SlirpProcess = { pid: s.pid, exitFd: s.exitFd, close: () => { try { fs.closeSync(s.exitFd); } catch { /* closed */ } } };
  try {
    for (const m of o.ports) await forwardPort(apiSocket, m, slirpAddresses(o.options.cidr).ip);
  } catch (e) {
    s.fail((e as Error).message);
  }
  // The forwards are in place; nothing else talks to slirp4netns.
  fs.rmSync(apiSocket, { force: true });
  return proc;
}

/**
 * slirp4netns for a namespace that outlives any one container (the rootless network namespace):
 * no exit pipe (it runs until killed), its API socket kept for later forwards. Returns its pid.
 */
export function startDetachedSlirp(o: { netnsPath: string; options: SlirpOptions; logFile: string; apiSocket: string }): number {
  return spawnSlirp({ ...o, exitPipe: false }).pid;
}

/** One request to slirp4netns's API socket; its `return` (podman's "failed to expose ports via slirp4netns" on an error). */
export async function slirpRequest(socket: string, req: { execute: string; arguments: Record<string, unknown> }): Promise<any> {
  const net = require('node:net') as typeof import('node:net');
  const answer = await new Promise<string>((resolve, reject) => {
    const c = net.connect(socket);
    let data = '';
    c.on('connect', () => c.end(JSON.stringify(req)));
    c.on('data', (d) => (data += d));
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
  let parsed: { error?: { desc?: string }; return?: unknown } = {};
  try { parsed = JSON.parse(answer); } catch { /* below */ }
  if (parsed.error || !answer) throw new PierError(`failed to expose ports via slirp4netns: ${JSON.stringify(parsed.error?.desc ?? answer)}`);
  return parsed.return;
}

/** add_hostfwd for each port of a mapping, to `guest` (its container port, else the host port); the forwards' ids. */
export async function forwardPort(socket: string, m: PortMapping, guest: string, guestPortIsHost = false): Promise<number[]> {
  const ids: number[] = [];
  for (const proto of m.protocol.split(',')) {
    for (let i = 0; i < m.range; i++) {
      const args = { proto, host_addr: m.host_ip || '0.0.0.0', host_port: m.host_port + i, guest_addr: guest, guest_port: (guestPortIsHost ? m.host_port : m.container_port) + i };
      const r = await slirpRequest(socket, { execute: 'add_hostfwd', arguments: args });
      if (typeof r?.id === 'number') ids.push(r.id);
    }
  }
  return ids;
}
