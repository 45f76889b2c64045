// Running a helper binary (netavark, ...) and collecting its output without libuv's fork:
// the native addon's posix_spawn does not copy this process's page tables (libuv's fork of
// an ~80 MB Node process costs ~8 ms per spawn here). Falls back to child_process when the
// addon is not built.
import * as fs from 'node:fs';
import { nativeWith, type FdWatchHandle, type NativeAddon } from './native';

export interface SpawnResult {
  /** The exit code (128+signal when killed). */
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended it, when one did (where the addon tells it, or without the addon). */
  signal?: NodeJS.Signals;
  /** It was killed at spawnCollect's timeoutMs. */
  timedOut?: boolean;
}

/** An environment as posix_spawn's `KEY=value` list (unset values left out). */
export function envList(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
}

/** A pipe being read by watchPipe: stop() ends the watch and closes the fd. */
export interface PipeWatch { stop(): void; unref(): void }

let chunk: Buffer | undefined;

/**
 * Reads the pipe `fd` (made non-blocking) whenever it is readable, through the addon's libuv
 * poll handle: a net.Socket does the same but loads net and stream (~5 ms of a start). Each
 * chunk goes to onData (valid only during the call), then onEnd at end-of-file, after which the
 * fd is closed.
 */
export function watchPipe(addon: NativeAddon, fd: number, onData: (chunk: Buffer) => void, onEnd: () => void): PipeWatch {
  addon.setNonblock(fd);
  const buf = (chunk ??= Buffer.allocUnsafe(65536));
  let open = true;
  let handle: FdWatchHandle | undefined;
  const stop = () => {
    if (!open) return;
    open = false;
    if (handle) addon.unwatchFd(handle);
    try { fs.closeSync(fd); } catch { /* closed */ }
  };
  const drain = () => {
    while (open) {
      let n: number;
      try { n = fs.readSync(fd, buf, 0, buf.length, null); } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
        n = 0;
      }
      if (n === 0) { stop(); onEnd(); return; }
      onData(buf.subarray(0, n));
    }
  };
  handle = addon.watchFd(fd, drain);
  drain();
  return { stop, unref: () => { if (open && handle) addon.unrefWatch(handle); } };
}

/**
 * The exit of `pid`, a child made by the addon's spawnDetached (libuv does not watch it): its
 * pidfd watched on the event loop (waitpid polled every 2 ms where pidfds are missing);
 * `unref()` lets this process exit while it is still pending. Resolves with the exit code
 * (128+signal), or null when it cannot be waited for; `status` also with the signal that
 * killed it (0: none, or an addon that does not tell).
 */
export function childExit(addon: NativeAddon, pid: number): { exited: Promise<number | null>; status: Promise<{ code: number; signal: number } | null>; unref(): void } {
  let timer: NodeJS.Timeout | undefined;
  let watch: FdWatchHandle | undefined;
  let pidfd = -1;
  const reap = typeof addon.waitpidStatus === 'function'
    ? () => addon.waitpidStatus(pid)
    : () => { const code = addon.waitpidNohang(pid); return code === null ? null : { code, signal: 0 }; };
  const status = new Promise<{ code: number; signal: number } | null>((resolve) => {
    const check = (): boolean => {
      let st: { code: number; signal: number } | null;
      try { st = reap(); } catch { st = { code: -1, signal: 0 }; }
      if (st === null) return false;
      if (timer) clearInterval(timer);
      timer = undefined;
      if (watch) addon.unwatchFd(watch);
      watch = undefined;
      if (pidfd >= 0) { try { fs.closeSync(pidfd); } catch { /* closed */ } }
      pidfd = -1;
      resolve(st.code < 0 ? null : st);
      return true;
    };
    if (check()) return;
    // An exit between that check and pidfd_open still shows: the unreaped child stays a zombie.
    try { pidfd = addon.pidfdOpen(pid); } catch { pidfd = -1; }
    if (pidfd >= 0) watch = addon.watchFd(pidfd, check);
    else timer = setInterval(check, 2);
  });
  return { exited: status.then((st) => st?.code ?? null), status, unref: () => { timer?.unref(); if (watch) addon.unrefWatch(watch); } };
}

/**
 * Runs `file args` with `input` on stdin; resolves with its exit code (128+signal) and output.
 * With `timeoutMs` (0 and less too), a child still running then is killed (SIGKILL: code 137, `timedOut`).
 * `argv0`: the child's argv[0] (default `file`).
 */
export function spawnCollect(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; argv0?: string } = {}): Promise<SpawnResult> {
  const env = opts.env ?? process.env;
  const addon = nativeWith('watchFd');
  if (!addon) return viaChildProcess(file, args, env, opts);
  const pipes: Array<[number, number]> = [];
  let pid: number;
  try {
    for (let i = 0; i < 3; i++) pipes.push(addon.pipe());
    // The child gets stdin's read end and stdout's and stderr's write ends.
    pid = addon.spawnDetached(file, [opts.argv0 ?? file, ...args], envList(env), [pipes[0][0], pipes[1][1], pipes[2][1]]);
  } catch (e) {
    for (const [r, w] of pipes) for (const fd of [r, w]) { try { fs.closeSync(fd); } catch { /* closed */ } }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EACCES') return Promise.reject(e);
    return viaChildProcess(file, args, env, opts);
  }
  for (const fd of [pipes[0][0], pipes[1][1], pipes[2][1]]) fs.closeSync(fd);
  writeInput(addon, pipes[0][1], opts.input ?? '');
  const read = (fd: number) => new Promise<string>((resolve) => {
    const parts: Buffer[] = [];
    watchPipe(addon, fd, (c) => parts.push(Buffer.from(c)), () => resolve(Buffer.concat(parts).toString('utf8')));
  });
  const { status } = childExit(addon, pid);
  let timedOut = false;
  const timer = opts.timeoutMs !== undefined ? setTimeout(() => { timedOut = true; try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, opts.timeoutMs) : undefined;
  // Once reaped, its pid may be another process's.
  void status.then(() => clearTimeout(timer));
  return Promise.all([status, read(pipes[1][0]), read(pipes[2][0])]).then(([st, stdout, stderr]) => {
    const signal = st?.signal ? signalName(st.signal) : undefined;
    return { code: st?.code ?? 255, stdout, stderr, ...(signal ? { signal } : {}), ...(timedOut ? { timedOut } : {}) };
  });
}

/** A signal's name (SIGKILL) from its number. */
function signalName(n: number): NodeJS.Signals | undefined {
  const { signals } = (require('node:os') as typeof import('node:os')).constants;
  return (Object.keys(signals) as NodeJS.Signals[]).find((k) => signals[k] === n);
}

/**
 * The child's stdin, written without blocking: what the pipe takes at once (all of a small
 * input, such as netavark's JSON), and any rest through a net.Socket as the child reads it.
 */
function writeInput(addon: NativeAddon, fd: number, input: string): void {
  const data = Buffer.from(input);
  let done = 0;
  if (data.length) {
    try {
      addon.setNonblock(fd);
      done = fs.writeSync(fd, data);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') done = data.length; // the child closed its stdin
    }
  }
  if (done >= data.length) {
    try { fs.closeSync(fd); } catch { /* closed */ }
    return;
  }
  const net = require('node:net') as typeof import('node:net');
  const stdin = new net.Socket({ fd, readable: false, writable: true });
  stdin.on('error', () => undefined);
  stdin.end(data.subarray(done));
}

function viaChildProcess(file: string, args: string[], env: NodeJS.ProcessEnv, opts: { input?: string; timeoutMs?: number; argv0?: string }): Promise<SpawnResult> {
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], ...(opts.argv0 !== undefined ? { argv0: opts.argv0 } : {}) });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = opts.timeoutMs !== undefined ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs) : undefined;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      const n = sig ? (require('node:os') as typeof import('node:os')).constants.signals[sig] : undefined;
      resolve({ code: code ?? (n ? 128 + n : 255), stdout, stderr, ...(sig ? { signal: sig } : {}), ...(timedOut ? { timedOut } : {}) });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}
