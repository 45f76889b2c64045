// Running containers under conmon, the way podman does: conmon double-forks away from
// pier, calls `runtime create`, holds the container's stdio (log file, attach socket),
// records the exit code in the exit dir and runs pier's cleanup command when the container
// exits. pier talks to it through two extra fds: the sync pipe (fd 3, JSON messages
// `{"data": N, "message": "..."}` — the container pid, or a negative value on failure, and
// for exec the exit code) and the start pipe (fd 4, a byte written to let conmon go on;
// exec with attach reads it a second time once the client is attached). Exec with attach
// also passes an attach pipe (fd 5) on which conmon says the attach socket is ready.
import type { StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { PierError } from '../util/errors';
import { isExecutableFile, lookPath } from '../util/look-path';
import { log, trace } from '../util/log';
import { OciRuntime, ociRuntimeError, runtimeStart, startCreatedRunc } from './runtime';
import { attach, AttachSession } from './attach';
import { rmFile } from '../util/rmtree';

/** Podman's default conmon locations, tried before $PATH. */
export const DEFAULT_CONMON_PATHS = [
  '/usr/libexec/podman/conmon', '/usr/local/libexec/podman/conmon', '/usr/local/lib/podman/conmon',
  '/usr/bin/conmon', '/usr/sbin/conmon', '/usr/local/bin/conmon', '/usr/local/sbin/conmon',
  '/run/current-system/sw/bin/conmon',
];

/** Finds conmon: an explicit path (--conmon), containers.conf conmon_path entries, defaults, $PATH. */
export function findConmon(explicit?: string, confPaths: string[] = []): string {
  if (explicit) {
    if (!isExecutableFile(explicit)) throw new PierError(`invalid --conmon path "${explicit}": no such file or directory`);
    return path.resolve(explicit);
  }
  for (const p of [...confPaths, ...DEFAULT_CONMON_PATHS]) if (isExecutableFile(p)) return p;
  const found = lookPath('conmon');
  if (found) return found;
  throw new PierError('could not find a working conmon binary (configured options: /usr/bin/conmon, ...): invalid argument');
}

/** One stdio slot for spawn: inherit pier's, ignore, or an fd. */
export type StdioEntry = 'inherit' | 'ignore' | number;

/** Log drivers conmon handles itself. */
export type LogDriver = 'k8s-file' | 'none' | 'passthrough' | 'journald';

/** Options shared by container creation and exec. */
interface ConmonCommon {
  runtime: OciRuntime;
  /** The runtime's state root (passed as `--runtime-arg --root`). */
  stateRoot: string;
  /** conmon binary (default: findConmon()). */
  conmonPath?: string;
  /** conmon's --log-level (default warning). */
  logLevel?: string;
  /** Extra global runtime flags (each becomes --runtime-arg). */
  runtimeArgs?: string[];
  /** Cleanup command conmon runs when the process exits: [path, ...args]. */
  exitCommand?: string[];
  /** Seconds conmon waits before running the exit command. */
  exitDelay?: number;
  /** Extra environment for conmon (and so for the exit command). */
  env?: NodeJS.ProcessEnv;
  /**
   * --preserve-fds: this process's fds 3..3+N-1 become conmon's (its own pipes follow them, as
   * podman passes them) and the runtime passes them on to the container process.
   */
  preserveFds?: number;
  /** More of this process's fds for conmon to inherit after its pipes (reserved host ports). */
  extraFds?: number[];
}

export interface CreateContainerOptions extends ConmonCommon {
  id: string;
  /** Container name (defaults to the id). */
  name?: string;
  /** OCI bundle dir with config.json; conmon's attach socket and ctl/winsz fifos go here. */
  bundle: string;
  /** Where the runtime writes the container's pid (default <bundle>/pidfile). */
  pidFile?: string;
  /** Where conmon writes its own pid (default <bundle>/conmon.pid). */
  conmonPidFile?: string;
  /** conmon writes the exit code to <exitDir>/<id>. */
  exitDir: string;
  /** conmon also writes `exit` (and `oom`) here. */
  persistDir?: string;
  /** Required by conmon even with --full-attach (default: the bundle's parent). */
  socketDir?: string;
  terminal?: boolean;
  /** Keep a stdin pipe open for attach (-i); ignored with a terminal, which always has one. */
  stdin?: boolean;
  logDriver?: LogDriver;
  /** With the passthrough driver: conmon's (and so the container's) stdin, stdout, stderr (default: pier's own). */
  passthroughStdio?: [StdioEntry, StdioEntry, StdioEntry];
  /** k8s-file log path (required for k8s-file). */
  logPath?: string;
  logSizeMax?: number;
  logTag?: string;
  /** --sdnotify-socket: the host socket conmon relays the container's READY=1/WATCHDOG=1 to (engine/sdnotify.ts). */
  sdnotifySocket?: string;
  /** Kill the container after this many seconds (conmon -T). */
  timeoutSeconds?: number;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** Abort if conmon has not reported within this many ms (default 120 s). */
  syncTimeoutMs?: number;
}

/** A created container: the runtime's pid for it and the long-lived conmon's pid. */
export interface CreatedContainer {
  pid: number;
  conmonPid: number;
}

/** A message from conmon's sync/attach pipe. */
export interface ConmonMessage {
  data: number;
  message?: string;
}

/** Reads newline-delimited JSON messages from one of conmon's pipes, in order. */
class MessageReader {
  private buf = '';
  private queue: ConmonMessage[] = [];
  private waiters: Array<{ resolve: (m: ConmonMessage | null) => void; reject: (e: Error) => void }> = [];
  private ended = false;

  constructor(private readonly what: string) {}

  /** Reads from a stream (the child_process and exec paths). */
  static fromStream(stream: Readable, what: string): MessageReader {
    const r = new MessageReader(what);
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => r.feed(d));
    const end = () => r.end();
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
    return r;
  }

  feed(d: string): void {
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      if (line) this.push(line);
    }
  }

  end(): void {
    if (this.ended) return;
    if (this.buf.trim()) this.push(this.buf.trim());
    this.buf = '';
    this.ended = true;
    for (const w of this.waiters.splice(0)) w.resolve(null);
  }

  private push(line: string): void {
    let msg: ConmonMessage;
    try {
      const j = JSON.parse(line);
      const data = j.data ?? j.pid ?? j.exit_code;
      msg = { data: typeof data === 'number' ? data : -1, message: typeof j.message === 'string' ? j.message : undefined };
    } catch {
      msg = { data: -1, message: `invalid ${this.what} message from conmon: ${line}` };
    }
    const w = this.waiters.shift();
    if (w) w.resolve(msg); else this.queue.push(msg);
  }

  /** The next message, or null at end of stream. */
  next(timeoutMs?: number): Promise<ConmonMessage | null> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.waiters.push(waiter);
      if (timeoutMs && timeoutMs > 0) {
        const t = setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new PierError(`timed out waiting for conmon's ${this.what} message`));
        }, timeoutMs);
        t.unref();
        const orig = waiter.resolve;
        waiter.resolve = (m) => { clearTimeout(t); orig(m); };
      }
    });
  }
}

/** The environment conmon runs with: the caller's minus systemd socket activation, plus pipe fds. */
function conmonEnv(extra: NodeJS.ProcessEnv | undefined, pipes: Record<string, number>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...(extra ?? {}) };
  for (const k of ['NOTIFY_SOCKET', 'LISTEN_PID', 'LISTEN_FDS', 'LISTEN_FDNAMES', '_OCI_SYNCPIPE', '_OCI_STARTPIPE', '_OCI_ATTACHPIPE']) delete env[k];
  if (!env.PATH) env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  for (const [k, v] of Object.entries(pipes)) env[k] = String(v);
  return env;
}

/** Arguments common to create and exec: runtime, log level, runtime flags, exit command. */
function sharedArgs(o: ConmonCommon): string[] {
  const args: string[] = ['--api-version', '1', '-r', o.runtime.path];
  for (const a of [...(o.runtime.flags ?? []), '--root', o.stateRoot, '--log-format=json', ...(o.runtimeArgs ?? [])]) args.push('--runtime-arg', a);
  args.push('--log-level', o.logLevel ?? 'warning');
  if (o.exitCommand && o.exitCommand.length) {
    args.push('--exit-command', o.exitCommand[0]);
    for (const a of o.exitCommand.slice(1)) args.push('--exit-command-arg', a);
    if (o.exitDelay && o.exitDelay > 0) args.push('--exit-delay', String(o.exitDelay));
  }
  return args;
}

function logArgs(driver: LogDriver, logPath: string | undefined): string[] {
  switch (driver) {
    case 'none': return ['-l', 'none'];
    case 'passthrough': return ['-l', 'passthrough'];
    case 'journald': return ['-l', 'journald'];
    default:
      if (!logPath) throw new PierError('k8s-file log driver needs a log path');
      return ['-l', `k8s-file:${logPath}`];
  }
}

/** Builds conmon's command line for creating a container. Exposed for inspection and tests. */
export function createContainerArgs(o: CreateContainerOptions): string[] {
  const args = sharedArgs(o);
  args.push('-c', o.id, '-u', o.id, '-b', o.bundle, '-p', o.pidFile ?? path.join(o.bundle, 'pidfile'));
  args.push('-n', o.name ?? o.id, '--exit-dir', o.exitDir, '--full-attach');
  args.push('--socket-dir-path', o.socketDir ?? path.dirname(o.bundle));
  if (o.persistDir) args.push('--persist-dir', o.persistDir);
  args.push('--conmon-pidfile', o.conmonPidFile ?? path.join(o.bundle, 'conmon.pid'));
  args.push(...logArgs(o.logDriver ?? 'k8s-file', o.logPath));
  if (o.logSizeMax && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.logTag) args.push('--log-tag', o.logTag);
  if (o.sdnotifySocket) args.push(`--sdnotify-socket=${o.sdnotifySocket}`);
  if (o.terminal) args.push('-t');
  else if (o.stdin) args.push('-i');
  if (o.timeoutSeconds && o.timeoutSeconds > 0) args.push('-T', String(o.timeoutSeconds));
  if (o.noPivot) args.push('--no-pivot');
  if (o.noNewKeyring) args.push('--no-new-keyring');
  if (o.preserveFds && o.preserveFds > 0) args.push('--runtime-opt', '--preserve-fds', '--runtime-opt', String(o.preserveFds));
  return args;
}

interface SpawnedConmon {
  /** The pid of conmon's first process (it double-forks; the monitor's pid is in its pid file). */
  pid?: number;
  sync: MessageReader;
  start: { write(b: Uint8Array): unknown };
  attachPipe?: MessageReader;
  stderr: () => string;
  firstExit: Promise<number | null>;
  release: () => void;
}

/** Spawns conmon detached (own session) with the sync, start and optional attach pipes. */
function spawnConmon(conmon: string, args: string[], o: ConmonCommon, withAttachPipe: boolean, passthrough?: StdioEntry[]): SpawnedConmon {
  // Preserved fds keep their numbers; conmon's pipes come after them.
  const preserved = Array.from({ length: o.preserveFds ?? 0 }, (_, i) => 3 + i);
  const base = 3 + preserved.length;
  const pipes: Record<string, number> = { _OCI_SYNCPIPE: base, _OCI_STARTPIPE: base + 1 };
  if (withAttachPipe) pipes._OCI_ATTACHPIPE = base + 2;
  const extra = o.extraFds ?? [];
  if (!passthrough) {
    const fast = spawnConmonNative(conmon, args, conmonEnv(o.env, pipes), withAttachPipe, preserved, extra);
    if (fast) return fast;
  }
  const stdio: StdioOptions = [...(passthrough ?? ['ignore', 'ignore', 'pipe']), ...preserved, 'pipe', 'pipe'];
  if (withAttachPipe) stdio.push('pipe');
  stdio.push(...extra);
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const child = spawn(conmon, args, { stdio, detached: true, env: conmonEnv(o.env, pipes) });
  let errText = '';
  child.stderr?.on('data', (d: Buffer) => { if (errText.length < 65536) errText += d.toString(); });
  const firstExit = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (e) => { errText += e.message; resolve(null); });
  });
  const sync = MessageReader.fromStream(child.stdio[base] as Readable, 'sync');
  const start = child.stdio[base + 1] as unknown as NodeJS.WritableStream;
  (start as any).on?.('error', () => undefined);
  const attachPipe = withAttachPipe ? MessageReader.fromStream((child.stdio as unknown as Readable[])[base + 2], 'attach') : undefined;
  const release = () => {
    for (const s of child.stdio) {
      if (s && typeof (s as any).destroy === 'function') (s as any).destroy();
    }
    child.unref();
  };
  return { pid: child.pid, sync, start, attachPipe, stderr: () => errText.trim(), firstExit, release };
}

/**
 * spawnConmon through the native addon's posix_spawn: libuv's fork copies this process's page
 * tables and waits for the exec, ~8 ms of a `pier run` here; posix_spawn takes well under 1.
 * Same descriptors as the libuv path (stderr, sync, start and attach pipes on fds 2-5).
 * Null when the addon is unavailable or the spawn fails (the libuv path then reports it).
 */
function spawnConmonNative(conmon: string, args: string[], env: NodeJS.ProcessEnv, withAttachPipe: boolean, preserved: number[] = [], extra: number[] = []): SpawnedConmon | null {
  const addon = (require('../util/native') as typeof import('../util/native')).nativeWith('watchFd');
  if (!addon) return null;
  const { childExit, envList, watchPipe } = require('../util/spawn') as typeof import('../util/spawn');
  // [parent end, child end] per pipe: stderr and sync (and attach) are read by us, start written.
  const made: Array<[number, number]> = [];
  const closeAll = () => { for (const [a, b] of made) for (const fd of [a, b]) { try { fs.closeSync(fd); } catch { /* closed */ } } };
  let pid: number;
  try {
    for (let i = 0; i < (withAttachPipe ? 4 : 3); i++) {
      const [r, w] = addon.pipe();
      made.push(i === 2 ? [w, r] : [r, w]);
    }
    const fds = [-1, -1, made[0][1], ...preserved, ...made.slice(1).map(([, child]) => child), ...extra];
    // posix_spawn's dup2s run in order: a pipe below the last target could be overwritten before
    // its own dup2 (possible with many preserved fds); the libuv path handles that case.
    if (made.some(([, child]) => child < fds.length) || extra.some((fd) => fd < fds.length)) throw new Error('a pipe fd is among the target fds');
    pid = addon.spawnDetached(conmon, [conmon, ...args], envList(env), fds);
  } catch (e) {
    log.debug(`posix_spawn of conmon failed, using child_process: ${(e as Error).message}`);
    closeAll();
    return null;
  }
  for (const [, child] of made) fs.closeSync(child);
  const [stderrFd, syncFd, startFd, attachFd] = made.map(([parent]) => parent);
  let errText = '';
  const onErr = (d: string | Buffer) => { if (errText.length < 65536) errText += d.toString(); };
  // conmon's first process exits once the monitor has forked away: reap it (no libuv SIGCHLD watch here).
  const first = childExit(addon, pid);
  const firstExit = first.exited;
  if (!withAttachPipe) {
    // Creating a container: conmon answers within ~100 ms, its pipes watched on the event loop
    // by the addon (no net.Socket: loading net and stream would cost more than the wait).
    const sync = new MessageReader('sync');
    const readers = [
      watchPipe(addon, stderrFd, (d) => onErr(d.toString()), () => undefined),
      watchPipe(addon, syncFd, (d) => sync.feed(d.toString()), () => sync.end()),
    ];
    const start = new FdWriter(startFd);
    const release = () => {
      for (const r of readers) r.stop();
      start.destroy();
      // Reaped later in the background if it is still running (it exits right after forking).
      first.unref();
    };
    return { pid, sync, start, stderr: () => errText.trim(), firstExit, release };
  }
  // An exec session waits on these pipes for as long as the process runs: libuv watches them.
  const net = require('node:net') as typeof import('node:net');
  const stderr = new net.Socket({ fd: stderrFd, readable: true, writable: false });
  stderr.on('data', onErr);
  stderr.on('error', () => undefined);
  const syncStream = new net.Socket({ fd: syncFd, readable: true, writable: false });
  const attachStream = new net.Socket({ fd: attachFd, readable: true, writable: false });
  const start = new net.Socket({ fd: startFd, readable: false, writable: true });
  start.on('error', () => undefined);
  const release = () => {
    for (const st of [stderr, start, syncStream, attachStream]) st.destroy();
    first.unref();
  };
  return {
    pid, sync: MessageReader.fromStream(syncStream, 'sync'), start, attachPipe: MessageReader.fromStream(attachStream, 'attach'),
    stderr: () => errText.trim(), firstExit, release,
  };
}

/** The write end of conmon's start pipe (one byte, then closed). */
class FdWriter {
  private closed = false;
  constructor(private readonly fd: number) {}
  write(b: Uint8Array): boolean {
    if (!this.closed) { try { fs.writeSync(this.fd, b); } catch { /* conmon gone: its failure is reported elsewhere */ } }
    return true;
  }
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    try { fs.closeSync(this.fd); } catch { /* closed */ }
  }
}

function writeStart(start: SpawnedConmon['start']): void {
  start.write(Buffer.from([0]));
}

function conmonFailure(what: string, stderr: string, code: number | null): PierError {
  const text = stderr.replace(/\[conmon:[a-z]\]: /g, '').trim();
  const detail = text || (code !== null ? `conmon exited with code ${code}` : 'conmon failed');
  return new PierError(`${what}: ${detail}`);
}

/** Best-effort kill of a conmon that did not report in time (its pid file may not exist yet). */
function killStuckConmon(c: SpawnedConmon, conmonPidFile?: string): void {
  const pid = conmonPidFile ? readPidFile(conmonPidFile) : null;
  for (const p of [pid, c.pid]) {
    if (!p) continue;
    try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
}

/**
 * Starts conmon for an already-written bundle and waits until the runtime has created the
 * container (`runtime create`): resolves with the container's and conmon's pids. The
 * container is left in the "created" state; call startContainer() to run it. conmon keeps
 * running after pier exits. Runtime failures reject with a classified PierError (127 for a
 * missing executable, 126 for permission denied, 125 otherwise).
 */
export async function createContainer(o: CreateContainerOptions): Promise<CreatedContainer> {
  const conmon = o.conmonPath ?? findConmon();
  for (const d of [o.exitDir, o.persistDir, o.socketDir]) if (d) fs.mkdirSync(d, { recursive: true });
  if (o.logPath) fs.mkdirSync(path.dirname(o.logPath), { recursive: true });
  const pidFile = o.pidFile ?? path.join(o.bundle, 'pidfile');
  const conmonPidFile = o.conmonPidFile ?? path.join(o.bundle, 'conmon.pid');
  for (const f of [pidFile, conmonPidFile, path.join(o.exitDir, o.id)]) rmFile(f);
  const args = createContainerArgs({ ...o, pidFile, conmonPidFile });
  const passthrough = o.logDriver === 'passthrough' ? (o.passthroughStdio ?? ['inherit', 'inherit', 'inherit']) : undefined;
  log.debug(`conmon ${args.join(' ')}`);
  trace('conmon: spawn');
  const c = spawnConmon(conmon, args, o, false, passthrough);
  trace('conmon: spawned');
  try {
    writeStart(c.start);
    const msg = await c.sync.next(o.syncTimeoutMs ?? 120_000).catch((e) => { killStuckConmon(c, conmonPidFile); throw e; });
    if (!msg) {
      const code = await c.firstExit;
      throw conmonFailure(`conmon failed to create container ${o.id}`, c.stderr(), code);
    }
    if (msg.data < 0) throw ociRuntimeError(o.runtime.name, msg.message ?? `container create failed (${msg.data})`);
    await c.firstExit;
    const conmonPid = readPidFile(conmonPidFile);
    if (!conmonPid) throw new PierError(`conmon did not write its pid file ${conmonPidFile}`);
    return { pid: msg.data, conmonPid };
  } finally {
    c.release();
  }
}

/** Runs the created container's process (`runtime start`). */
export async function startContainer(runtime: OciRuntime, id: string, opts: { root: string }): Promise<void> {
  if (await startCreatedRunc(runtime, id, opts.root)) return;
  await runtimeStart(runtime, id, opts);
}

/** Reads a pid file; null when absent or not a number. */
export function readPidFile(file: string): number | null {
  try {
    const n = parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e: any) {
    return e.code === 'EPERM';
  }
  // A killed process that nobody reaped yet (a zombie) is not alive.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The exit code conmon recorded in <exitDir>/<id>, or null while there is none. */
export function readExitCode(exitDir: string, id: string): number | null {
  let text: string;
  try { text = fs.readFileSync(`${exitDir}/${id}`, 'utf8').trim(); } catch { return null; }
  if (!text) return null; // conmon writes atomically, but be safe against a torn read
  const n = parseInt(text, 10);
  return Number.isFinite(n) ? n : null;
}

/**
 * Calls `check` when a file shows up in `exitDir` (conmon's exit files): an inotify fd watched on
 * the event loop through the addon, else fs.watch (which loads Node's watcher modules, ~2 ms).
 * Undefined when neither works (no such dir, no inotify): the caller's polling covers it.
 */
function watchExitDir(exitDir: string, id: string, check: () => void): { close(): void } | undefined {
  const addon = (require('../util/native') as typeof import('../util/native')).nativeWith('inotifyDir');
  if (addon) {
    let fd: number;
    try { fd = addon.inotifyDir(exitDir); } catch { return undefined; }
    const { watchPipe } = require('../util/spawn') as typeof import('../util/spawn');
    // Any event: the exit file is read again (cheap), the events themselves are not parsed.
    const w = watchPipe(addon, fd, () => check(), () => undefined);
    return { close: () => w.stop() };
  }
  try {
    const w = fs.watch(exitDir, (_ev, file) => { if (!file || file.toString() === id) check(); });
    w.on('error', () => w.close());
    return w;
  } catch {
    return undefined;
  }
}

/**
 * Waits for conmon to record the exit code in <exitDir>/<id> (watchExitDir, with a polling
 * fallback). Rejects with a PierError after timeoutMs (no limit when absent).
 */
export function waitForExit(exitDir: string, id: string, timeoutMs?: number, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    let finished = false;
    let watcher: { close(): void } | undefined;
    let poll: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, code?: number) => {
      if (finished) return;
      finished = true;
      watcher?.close();
      if (poll) clearInterval(poll);
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err); else resolve(code!);
    };
    const check = () => {
      const code = readExitCode(exitDir, id);
      if (code !== null) finish(null, code);
    };
    const onAbort = () => finish(new PierError(`waiting for container ${id} was aborted`));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort);
    // The watcher reads its fd once as it is made: an exit seen then finishes the wait before
    // `watcher` is assigned, so it (and no interval) must be left running: either would keep
    // this process alive for good.
    const w = watchExitDir(exitDir, id, check);
    if (finished) { w?.close(); return; }
    watcher = w;
    poll = setInterval(check, 100);
    if (timeoutMs !== undefined) timer = setTimeout(() => finish(new PierError(`timed out waiting for container ${id} to exit`)), timeoutMs);
    check();
  });
}

// ---------------------------------------------------------------------------------------
// exec

export interface ExecOptions extends ConmonCommon {
  /** The running container's id. */
  containerId: string;
  /** Exec session id (default: a random hex id). */
  sessionId?: string;
  /** Container name passed to conmon (default: the id). */
  name?: string;
  /** Per-session directory: process spec, pid file, attach socket, ctl fifo, exit dir. */
  execDir: string;
  /** The OCI process (args, env, cwd, user, terminal, ...); written to <execDir>/exec-process.json. */
  process: Record<string, any>;
  terminal?: boolean;
  /** Forwarded to the process's stdin (-i); its end closes the process's stdin. */
  stdin?: NodeJS.ReadableStream | null;
  /** Destinations for output; when absent the output is collected and returned. */
  stdout?: NodeJS.WritableStream | null;
  stderr?: NodeJS.WritableStream | null;
  detachKeys?: string;
  /** Called once attached, e.g. to wire terminal resizes to session.resize(). */
  onAttach?: (session: AttachSession) => void;
  /** Abort the wait if conmon has not reported within this many ms (default 120 s). */
  syncTimeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  /** The exec'd process's pid (host view). */
  pid: number;
  /** True when the user detached (the process keeps running; exitCode is -1). */
  detached: boolean;
  /** Collected output when no stdout/stderr streams were given. */
  stdout: Buffer;
  stderr: Buffer;
}

/** Collects writes into a buffer. */
class Collector {
  chunks: Buffer[] = [];
  write(d: Buffer | string): boolean { this.chunks.push(Buffer.isBuffer(d) ? d : Buffer.from(d)); return true; }
  once(): this { return this; }
  on(): this { return this; }
  end(): void { /* nothing */ }
  get buffer(): Buffer { return Buffer.concat(this.chunks); }
}

/** Builds conmon's command line for an exec session. */
export function execArgs(o: ExecOptions, sessionId: string, specFile: string): string[] {
  const args = sharedArgs(o);
  args.push('-c', o.containerId, '-u', sessionId, '-b', o.execDir, '-p', path.join(o.execDir, 'exec_pid'));
  args.push('-n', o.name ?? o.containerId, '--exit-dir', path.join(o.execDir, 'exits'), '--full-attach');
  args.push('--socket-dir-path', path.dirname(o.execDir));
  args.push('--persist-dir', o.execDir);
  args.push('-l', 'none');
  if (o.terminal) args.push('-t');
  if (o.stdin) args.push('-i');
  if (o.preserveFds && o.preserveFds > 0) args.push('--runtime-opt', '--preserve-fds', '--runtime-opt', String(o.preserveFds));
  args.push('-e', '--exec-attach', '--exec-process-spec', specFile);
  return args;
}

/**
 * Starts a process in a running container through conmon and returns once it runs, without
 * attaching (`exec -d`): its output is dropped, conmon outlives us and runs `exitCommand` when
 * the process exits. Resolves with the process's pid; a command that cannot be run rejects as
 * execInContainer does.
 */
export async function execDetachedInContainer(o: ExecOptions & { sessionId: string }): Promise<number> {
  const conmon = o.conmonPath ?? findConmon();
  fs.mkdirSync(path.join(o.execDir, 'exits'), { recursive: true });
  const specFile = path.join(o.execDir, 'exec-process.json');
  fs.writeFileSync(specFile, JSON.stringify({ ...o.process, terminal: !!o.terminal }));
  const c = spawnConmon(conmon, execArgs({ ...o, stdin: null }, o.sessionId, specFile), o, true);
  const timeout = o.syncTimeoutMs ?? 120_000;
  try {
    writeStart(c.start);
    // As podman: conmon says it is ready to be attached to; nobody attaches, the process starts.
    const ready = await c.attachPipe!.next(timeout);
    if (!ready || ready.data < 0) {
      const code = ready ? null : await c.firstExit;
      if (ready?.message) throw ociRuntimeError(o.runtime.name, ready.message);
      throw conmonFailure(`conmon failed to exec in container ${o.containerId}`, c.stderr(), code);
    }
    writeStart(c.start);
    const started = await c.sync.next(timeout);
    if (!started || started.data < 0) {
      if (started?.message) throw ociRuntimeError(o.runtime.name, started.message);
      const code = await c.firstExit;
      throw conmonFailure(`exec in container ${o.containerId} failed`, c.stderr(), code);
    }
    return started.data;
  } catch (e) {
    if (e instanceof PierError && /^timed out/.test(e.message)) killStuckConmon(c);
    throw e;
  } finally {
    c.release();
  }
}

/**
 * Runs a process in a running container through conmon (`runtime exec`), attached: output
 * goes to the given streams (or is collected), stdin is forwarded, and the process's exit
 * code is returned (128+signal when killed). A command that cannot be run rejects with a
 * classified PierError (127 not found, 126 permission denied).
 */
export async function execInContainer(o: ExecOptions): Promise<ExecResult> {
  const conmon = o.conmonPath ?? findConmon();
  const sessionId = o.sessionId ?? (require('node:crypto') as typeof import('node:crypto')).randomBytes(32).toString('hex');
  fs.mkdirSync(path.join(o.execDir, 'exits'), { recursive: true });
  const specFile = path.join(o.execDir, 'exec-process.json');
  const proc = { ...o.process, terminal: !!o.terminal };
  fs.writeFileSync(specFile, JSON.stringify(proc));
  const outC = new Collector();
  const errC = new Collector();
  const stdout = o.stdout ?? (outC as unknown as NodeJS.WritableStream);
  const stderr = o.stderr ?? (errC as unknown as NodeJS.WritableStream);

  const c = spawnConmon(conmon, execArgs(o, sessionId, specFile), o, true);
  const dbg = (m: string) => log.debug(`exec ${sessionId.slice(0, 12)} in ${o.containerId}: ${m}`);
  const timeout = o.syncTimeoutMs ?? 120_000;
  let session: AttachSession | undefined;
  try {
    writeStart(c.start);
    dbg('wait attach pipe');
    const ready = await c.attachPipe!.next(timeout);
    dbg('attach pipe ' + JSON.stringify(ready));
    if (!ready || ready.data < 0) {
      const code = ready ? null : await c.firstExit;
      if (ready?.message) throw ociRuntimeError(o.runtime.name, ready.message);
      throw conmonFailure(`conmon failed to exec in container ${o.containerId}`, c.stderr(), code);
    }
    session = await attach({ dir: o.execDir, stdin: o.stdin, stdout, stderr, detachKeys: o.detachKeys });
    dbg('attached');
    o.onAttach?.(session);
    writeStart(c.start);
    const started = await c.sync.next(timeout);
    dbg('started ' + JSON.stringify(started));
    if (!started || started.data < 0) {
      if (started?.message) throw ociRuntimeError(o.runtime.name, started.message);
      const code = await c.firstExit;
      throw conmonFailure(`exec in container ${o.containerId} failed`, c.stderr(), code);
    }
    const pid = started.data;
    const result = await session.done;
    dbg('session done');
    if (result.detached) {
      return { exitCode: -1, pid, detached: true, stdout: outC.buffer, stderr: errC.buffer };
    }
    const exited = await c.sync.next(timeout);
    let exitCode = exited && exited.data >= 0 ? exited.data : readExitCode(path.join(o.execDir, 'exits'), o.containerId);
    if (exitCode === null) exitCode = await waitForExit(path.join(o.execDir, 'exits'), o.containerId, timeout);
    return { exitCode, pid, detached: false, stdout: outC.buffer, stderr: errC.buffer };
  } catch (e) {
    if (session) {
      session.detach();
      await session.done.catch(() => undefined);
    }
    if (e instanceof PierError && /^timed out/.test(e.message)) killStuckConmon(c);
    throw e;
  } finally {
    c.release();
  }
}
