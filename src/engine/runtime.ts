// The OCI runtime (crun, runc, ...): finding one that works on this host, and the thin
// wrappers around its CLI that pier needs outside conmon (state, start, kill, delete,
// pause, resume, update). Every call passes pier's own state root (`--root`), so pier
// never shares /run/runc or /run/crun with other engines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError, EXIT_CANNOT_INVOKE, EXIT_ENGINE, EXIT_NOT_FOUND } from '../util/errors';
import { rmdirsAsync, rmFile, rmTree } from '../util/rmtree';
import { isExecutableFile, lookPath } from '../util/look-path';

/** A resolved OCI runtime binary. */
export interface OciRuntime {
  /** Short name (crun, runc, or the basename of a path given by the user). */
  name: string;
  /** Absolute path of the binary. */
  path: string;
  /** Global flags put before every command (--runtime-flag). */
  flags?: string[];
}

/** Options shared by the runtime CLI wrappers. */
export interface RuntimeCallOptions {
  /** The runtime's state directory (`--root`); pier-specific, see runtimeStateRoot(). */
  root: string;
}

/** Where pier keeps a runtime's state: `<runRoot>/<runtime name>`. */
export function runtimeStateRoot(runRoot: string, rt: Pick<OciRuntime, 'name'>): string {
  return path.join(runRoot, rt.name);
}

/** Podman's default search paths per runtime name (containers.conf [engine.runtimes] adds to these). */
export const DEFAULT_RUNTIME_PATHS: Record<string, string[]> = {
  crun: ['/usr/bin/crun', '/usr/sbin/crun', '/usr/local/bin/crun', '/usr/local/sbin/crun', '/sbin/crun', '/bin/crun', '/run/current-system/sw/bin/crun'],
  runc: ['/usr/bin/runc', '/usr/sbin/runc', '/usr/local/bin/runc', '/usr/local/sbin/runc', '/sbin/runc', '/bin/runc', '/usr/lib/cri-o-runc/sbin/runc', '/run/current-system/sw/bin/runc'],
};

export interface FindRuntimeOptions {
  /** --runtime or containers.conf `runtime`: a name or a path; honoured strictly. */
  name?: string;
  /** Names tried in order when no name is given (podman: crun, then runc). */
  candidates?: string[];
  /** containers.conf [engine.runtimes]: name → candidate paths (searched before the defaults). */
  runtimes?: Record<string, string[]>;
  /** Directory for the cached probe results (e.g. the run root); no caching when absent. */
  cacheDir?: string;
}

/** The first existing binary for a runtime name: configured paths, defaults, then $PATH. */
export function lookupRuntimePath(name: string, runtimes: Record<string, string[]> = {}): string | undefined {
  const list = [...(runtimes[name] ?? []), ...(DEFAULT_RUNTIME_PATHS[name] ?? [])];
  for (const p of list) if (isExecutableFile(p)) return p;
  return lookPath(name, process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
}

/** How the host mounts cgroups: v2 only, v1 only, or v1 with a v2 hierarchy at /sys/fs/cgroup/unified. */
export type CgroupMode = 'unified' | 'legacy' | 'hybrid';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export function cgroupMode(root = '/sys/fs/cgroup'): CgroupMode {
  const isV2 = (p: string): boolean => {
    try { return fs.statfsSync(p).type === CGROUP2_SUPER_MAGIC; } catch { return false; }
  };
  if (isV2(root)) return 'unified';
  return isV2(path.join(root, 'unified')) ? 'hybrid' : 'legacy';
}

/** Result of checking whether a runtime can run containers here. */
export interface RuntimeProbe {
  usable: boolean;
  reason?: string;
  version?: string;
}

/**
 * Checks a runtime binary: it must answer `--version`; crun additionally refuses a hybrid
 * cgroup layout whose v2 hierarchy has controllers enabled ("cgroups in hybrid mode not
 * supported"), so that layout makes it unusable.
 */
export function probeRuntime(rt: OciRuntime, cgroupRoot = '/sys/fs/cgroup'): RuntimeProbe {
  let version: string;
  try {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    version = execFileSync(rt.path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  } catch (e: any) {
    return { usable: false, reason: `${rt.path} --version failed: ${String(e.stderr || e.message).trim()}` };
  }
  const first = version.split('\n')[0].trim();
  if (/\bcrun\b/.test(first) || rt.name === 'crun') {
    if (cgroupMode(cgroupRoot) === 'hybrid') {
      let controllers = '';
      try { controllers = fs.readFileSync(path.join(cgroupRoot, 'unified', 'cgroup.controllers'), 'utf8').trim(); } catch { /* unreadable: assume none */ }
      if (controllers) {
        return { usable: false, version: first, reason: `crun does not support hybrid cgroups with controllers enabled in the v2 hierarchy (${controllers})` };
      }
    }
  }
  return { usable: true, version: first };
}

const PROBE_CACHE = 'runtime-probe.json';

/** probeRuntime() with a result cached under cacheDir, keyed by path, size and mtime of the binary. */
export function probeRuntimeCached(rt: OciRuntime, cacheDir?: string): RuntimeProbe {
  if (!cacheDir) return probeRuntime(rt);
  let key: string;
  try {
    const st = fs.statSync(rt.path);
    key = `${rt.path}:${st.size}:${st.mtimeMs}`;
  } catch {
    return probeRuntime(rt);
  }
  const file = path.join(cacheDir, PROBE_CACHE);
  let cache: Record<string, RuntimeProbe> = {};
  try { cache = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { /* no cache yet */ }
  if (cache[key]) return cache[key];
  const result = probeRuntime(rt);
  cache[key] = result;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(cache));
    fs.renameSync(tmp, file);
  } catch { /* caching is best effort */ }
  return result;
}

/**
 * Resolves the OCI runtime. An explicit name or path is honoured as is (error when it does
 * not exist); otherwise the candidates are tried in order and the first one that can work on
 * this host wins (crun is skipped on hybrid cgroup v1 hosts, falling back to runc).
 */
export function findRuntime(opts: FindRuntimeOptions = {}): OciRuntime {
  const runtimes = opts.runtimes ?? {};
  if (opts.name) {
    const want = opts.name;
    if (want.includes('/')) {
      if (!isExecutableFile(want)) throw new PierError(`default OCI runtime "${want}" not found: invalid argument`);
      return { name: path.basename(want), path: path.resolve(want) };
    }
    const p = lookupRuntimePath(want, runtimes);
    if (!p) throw new PierError(`default OCI runtime "${want}" not found: invalid argument`);
    return { name: want, path: p };
  }
  const candidates = opts.candidates ?? ['crun', 'runc'];
  const rejected: string[] = [];
  for (const name of candidates) {
    const p = lookupRuntimePath(name, runtimes);
    if (!p) continue;
    const rt = { name, path: p };
    const probe = probeRuntimeCached(rt, opts.cacheDir);
    if (probe.usable) return rt;
    rejected.push(`${name} (${probe.reason})`);
  }
  if (rejected.length) throw new PierError(`no usable OCI runtime found: ${rejected.join('; ')}`);
  throw new PierError(`default OCI runtime "${candidates[0] ?? 'crun'}" not found: invalid argument`);
}

// ---------------------------------------------------------------------------------------
// Runtime error messages

/** Pulls the human message out of runtime stderr (JSON log lines, logfmt `msg="..."`, or raw text). */
export function runtimeMessage(stderr: string): string {
  const msgs: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('{')) {
      try {
        const j = JSON.parse(line);
        if (typeof j.msg === 'string') {
          if (j.level === undefined || j.level === 'error' || j.level === 'fatal') msgs.push(j.msg);
          continue;
        }
      } catch { /* not JSON */ }
    }
    const m = /(?:^|\s)msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (m) {
      if (/level=(warning|info|debug)/.test(line)) continue;
      try { msgs.push(JSON.parse(`"${m[1]}"`)); } catch { msgs.push(m[1]); }
      continue;
    }
    msgs.push(line);
  }
  return msgs.join('\n').trim();
}

/** podman's suffixes for OCI runtime failures, by class. */
export const OCI_NOT_FOUND = 'OCI runtime attempted to invoke a command that was not found';
export const OCI_PERMISSION_DENIED = 'OCI permission denied';
export const OCI_RUNTIME_ERROR = 'OCI runtime error';

/** A failure the OCI runtime reported (see ociRuntimeError). */
export class OciRuntimeError extends PierError {}

/**
 * Turns a runtime failure message into a PierError with podman's exit-code semantics and
 * wording: "executable file not found" / "no such file or directory" → 127 and "permission
 * denied" / "operation not permitted" → 126, each with its class after the message; anything
 * else → 125, as `OCI runtime error: RUNTIME: MESSAGE` (podman 4.3 puts that class first).
 */
export function ociRuntimeError(runtimeName: string, message: string): OciRuntimeError {
  const msg = runtimeMessage(message) || message.trim() || 'unknown error';
  if (/permission denied|operation not permitted/i.test(msg)) {
    return new OciRuntimeError(`${runtimeName}: ${msg}: ${OCI_PERMISSION_DENIED}`, EXIT_CANNOT_INVOKE);
  }
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(msg)) {
    return new OciRuntimeError(`${runtimeName}: ${msg}: ${OCI_NOT_FOUND}`, EXIT_NOT_FOUND);
  }
  return new OciRuntimeError(`${OCI_RUNTIME_ERROR}: ${runtimeName}: ${msg}`, EXIT_ENGINE);
}

// ---------------------------------------------------------------------------------------
// CLI wrappers

interface RunResult { code: number; stdout: string; stderr: string }

/**
 * The runtime's environment: pier's, without NOTIFY_SOCKET (as podman's runtime calls): with it,
 * `runc start` would wait for the container's READY=1 itself (engine/sdnotify.ts does podman's).
 */
function runtimeEnv(): NodeJS.ProcessEnv | undefined {
  if (process.env.NOTIFY_SOCKET === undefined) return undefined;
  const { NOTIFY_SOCKET: _, ...env } = process.env;
  return env;
}

/** `runtime --root ROOT args...` (posix_spawn through spawnCollect; killed after 120 s). */
async function run(rt: OciRuntime, opts: RuntimeCallOptions, args: string[], input?: string): Promise<RunResult> {
  const { spawnCollect } = require('../util/spawn') as typeof import('../util/spawn');
  try {
    return await spawnCollect(rt.path, [...(rt.flags ?? []), '--root', opts.root, ...args], { input, timeoutMs: 120_000, env: runtimeEnv() });
  } catch (e) {
    throw new PierError(`${rt.name}: ${(e as Error).message}: ${OCI_RUNTIME_ERROR}`);
  }
}

const GONE = /does not exist|not found|no such file or directory/i;
const NOT_RUNNING = /not running|already finished|process already|container not running|no such process|is stopped/i;

/** OCI state as reported by `runtime state`. */
export interface RuntimeStateInfo {
  ociVersion?: string;
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped' | string;
  bundle: string;
  rootfs?: string;
  created?: string;
  owner?: string;
  annotations?: Record<string, string>;
}

/** `runtime state ID`: the parsed state, or null when the runtime does not know the container. */
export async function runtimeState(rt: OciRuntime, id: string, opts: RuntimeCallOptions): Promise<RuntimeStateInfo | null> {
  const r = await run(rt, opts, ['state', id]);
  if (r.code !== 0) {
    if (GONE.test(r.stderr)) return null;
    throw ociRuntimeError(rt.name, r.stderr);
  }
  return JSON.parse(r.stdout) as RuntimeStateInfo;
}

/** The state letter of /proc/PID/stat ('Z' for a zombie); null when the process is gone. */
function procState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** What pier needs from runc's state.json: the init pid, the cgroups, whether hooks are set. */
interface RuncState { pid: number; cgroupPaths: Record<string, string>; hasHooks: boolean }

/**
 * Reads runc's state.json (~35 KB, nearly all of it the container's config) for the few fields
 * pier uses: the top-level pid and cgroup map are picked out and only they are parsed (a key
 * inside a JSON string is escaped, so the patterns cannot match there); the whole file is
 * parsed only when some hook is set or a field is not where runc writes it.
 */
function readRuncState(dir: string): RuncState {
  // The same state.json (same inode and mtime) is read once per process: a `run --rm` needs it
  // to start the container and again to delete it.
  const file = `${dir}/state.json`;
  const st = fs.statSync(file, { bigint: true });
  const key = `${st.ino}:${st.mtimeNs}:${st.size}`;
  const known = stateCache.get(file);
  if (known?.key === key) return known.state;
  const state = parseRuncState(fs.readFileSync(file, 'utf8'));
  stateCache.set(file, { key, state });
  return state;
}

const stateCache = new Map<string, { key: string; state: RuncState }>();

function parseRuncState(text: string): RuncState {
  const pid = /"init_process_pid":(\d+)/.exec(text);
  const at = text.lastIndexOf('"cgroup_paths":{');
  const end = at < 0 ? -1 : text.indexOf('}', at);
  const hooks = /"Hooks":(null|\{[^{}]*\})/.exec(text);
  if (pid && end > 0 && hooks && !/:\s*\[/.test(hooks[1])) {
    return { pid: Number(pid[1]), cgroupPaths: JSON.parse(text.slice(at + '"cgroup_paths":'.length, end + 1)), hasHooks: false };
  }
  const j = JSON.parse(text);
  const h = j.config?.Hooks ?? j.config?.hooks ?? {};
  return {
    pid: j.init_process_pid ?? 0,
    cgroupPaths: j.cgroup_paths ?? {},
    hasHooks: Object.values(h).some((v) => Array.isArray(v) && v.length > 0),
  };
}

/**
 * What `runc start` does for a created container, without starting a runc process: runc's
 * init is blocked opening `exec.fifo` (in runc's state dir) for writing; the reader that
 * opens it and reads its byte lets init exec the user process, and then removes the fifo
 * (runc reports a container without the fifo whose init lives as running). False when this
 * does not apply (another runtime, no fifo, hooks to run): the caller runs `runtime start`.
 */
export async function startCreatedRunc(rt: OciRuntime, id: string, root: string): Promise<boolean> {
  if (rt.name !== 'runc') return false;
  const dir = path.join(root, id);
  const fifo = path.join(dir, 'exec.fifo');
  let pid = 0;
  try {
    const state = readRuncState(dir);
    if (state.hasHooks) return false;
    pid = state.pid;
  } catch {
    return false;
  }
  if (!pid || !fs.existsSync(fifo)) return false;
  const dead = () => { const st = procState(pid); return st === null || st === 'Z'; };
  if (dead()) throw ociRuntimeError(rt.name, 'container process is already dead');
  // A non-blocking read end never waits: init (blocked opening the write end) then opens it and
  // writes its byte. Until that byte, a read gives EAGAIN (init connected) or 0 (not yet, or
  // init died: told apart by its pid). No thread pool, no fs.promises: a short synchronous poll.
  const fd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    for (let i = 0; ; i++) {
      let n: number;
      try { n = fs.readSync(fd, buf, 0, 1, null); } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        n = -1;
      }
      if (n === 1) break;
      if (n === 0 && dead()) throw ociRuntimeError(rt.name, 'container process is already dead');
      sleepSync(i < 100 ? 0.1 : 5);
    }
  } finally {
    fs.closeSync(fd);
  }
  rmFile(fifo);
  return true;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** `runtime start ID`: runs the user process of a created container. */
export async function runtimeStart(rt: OciRuntime, id: string, opts: RuntimeCallOptions): Promise<void> {
  const r = await run(rt, opts, ['start', id]);
  if (r.code !== 0) throw ociRuntimeError(rt.name, r.stderr);
}

function signalArg(sig: string | number): string {
  if (typeof sig === 'number') return String(sig);
  const s = sig.toUpperCase();
  if (/^\d+$/.test(s)) return s;
  return s.startsWith('SIG') ? s.slice(3) : s;
}

/**
 * `runtime kill [--all] ID SIG`. Resolves true when signalled, false when the container's
 * process had already gone; other failures throw.
 */
export async function runtimeKill(rt: OciRuntime, id: string, sig: string | number, opts: RuntimeCallOptions & { all?: boolean }): Promise<boolean> {
  const args = ['kill'];
  if (opts.all) args.push('--all');
  args.push(id, signalArg(sig));
  const r = await run(rt, opts, args);
  if (r.code === 0) return true;
  if (NOT_RUNNING.test(r.stderr) || GONE.test(r.stderr)) return false;
  throw ociRuntimeError(rt.name, r.stderr);
}

/** `runtime delete [--force] ID`; a container the runtime does not know is not an error. */
export async function runtimeDelete(rt: OciRuntime, id: string, opts: RuntimeCallOptions & { force?: boolean }): Promise<void> {
  const args = ['delete'];
  if (opts.force) args.push('--force');
  args.push(id);
  const r = await run(rt, opts, args);
  if (r.code !== 0 && !GONE.test(r.stderr)) throw ociRuntimeError(rt.name, r.stderr);
}

/**
 * What `runc delete` does for a container whose process is known to be gone (conmon wrote its
 * exit code), without starting a runc process: remove the (empty) cgroups listed in runc's
 * state.json (on a thread-pool thread), then the state directory. False when that cannot be
 * done safely (another runtime, an unreadable state, a cgroup still in use): the caller then
 * runs `runtime delete`.
 */
export async function deleteStoppedRuncState(rt: OciRuntime, id: string, root: string): Promise<boolean> {
  if (rt.name !== 'runc') return false;
  const dir = path.join(root, id);
  let state: RuncState;
  try {
    state = readRuncState(dir);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' && !fs.existsSync(dir);
  }
  if (state.pid > 0) {
    try { process.kill(state.pid, 0); return false; } catch { /* gone, as expected */ }
  }
  const paths = [...new Set(Object.values(state.cgroupPaths))].sort((a, b) => b.length - a.length);
  try {
    await rmdirsAsync(paths);
  } catch {
    return false;
  }
  rmTree(dir);
  return true;
}

/** `runtime pause ID`. */
export async function runtimePause(rt: OciRuntime, id: string, opts: RuntimeCallOptions): Promise<void> {
  const r = await run(rt, opts, ['pause', id]);
  if (r.code !== 0) throw ociRuntimeError(rt.name, r.stderr);
}

/** `runtime resume ID`. */
export async function runtimeResume(rt: OciRuntime, id: string, opts: RuntimeCallOptions): Promise<void> {
  const r = await run(rt, opts, ['resume', id]);
  if (r.code !== 0) throw ociRuntimeError(rt.name, r.stderr);
}

/** `runtime update --resources - ID` with an OCI LinuxResources object on stdin. */
export async function runtimeUpdate(rt: OciRuntime, id: string, resources: object, opts: RuntimeCallOptions): Promise<void> {
  const r = await run(rt, opts, ['update', '--resources', '-', id], JSON.stringify(resources));
  if (r.code !== 0) throw ociRuntimeError(rt.name, r.stderr);
}

/** `runtime list` (JSON): the ids the runtime knows under this root. */
export async function runtimeList(rt: OciRuntime, opts: RuntimeCallOptions): Promise<RuntimeStateInfo[]> {
  const r = await run(rt, opts, ['list', '--format', 'json']);
  if (r.code !== 0) {
    if (GONE.test(r.stderr)) return [];
    throw ociRuntimeError(rt.name, r.stderr);
  }
  const out = r.stdout.trim();
  if (!out || out === 'null') return [];
  return JSON.parse(out) as RuntimeStateInfo[];
}
