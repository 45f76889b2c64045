// Running a helper binary (netavark, ...) and collecting its output without libuv's fork:
// the native addon's posix_spawn does not copy this process's page tables (libuv's fork of
// an ~80 MB Node process costs ~8 ms per spawn here). Falls back to child_process when the
// addon is not built.
import * as fs from 'node:fs';
import { nativeWith, type NativeAddon } from './native';

export interface SpawnResult { code: number; stdout: string; stderr: string }

/** An environment as posix_spawn's `KEY=value` list (unset values left out). */
export function envList(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
}

/**
 * The exit of `pid`, a child made by the addon's spawnDetached (libuv does not watch it):
 * waitpid polled every 2 ms; `unref()` lets this process exit while it is still pending.
 * Resolves with the exit code (128+signal), or null when it cannot be waited for.
 */
export function childExit(addon: NativeAddon, pid: number): { exited: Promise<number | null>; unref(): void } {
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<number | null>((resolve) => {
    const check = (): boolean => {
      let code: number | null;
      try { code = addon.waitpidNohang(pid); } catch { code = -1; }
      if (code === null) return false;
      if (timer) clearInterval(timer);
      timer = undefined;
      resolve(code < 0 ? null : code);
      return true;
    };
    if (!check()) timer = setInterval(check, 2);
  });
  return { exited, unref: () => { timer?.unref(); } };
}

/**
 * Runs `file args` with `input` on stdin; resolves with its exit code (128+signal) and output.
 * With `timeoutMs`, a child still running then is killed (SIGKILL: code 137).
 */
export function spawnCollect(file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<SpawnResult> {
  const env = opts.env ?? process.env;
  const addon = nativeWith('spawnDetached');
  if (!addon) return viaChildProcess(file, args, env, opts.input, opts.timeoutMs);
  const net = require('node:net') as typeof import('node:net');
  const pipes: Array<[number, number]> = [];
  let pid: number;
  try {
    for (let i = 0; i < 3; i++) pipes.push(addon.pipe());
    // The child gets stdin's read end and stdout's and stderr's write ends.
    pid = addon.spawnDetached(file, [file, ...args], envList(env), [pipes[0][0], pipes[1][1], pipes[2][1]]);
  } catch (e) {
    for (const [r, w] of pipes) for (const fd of [r, w]) { try { fs.closeSync(fd); } catch { /* closed */ } }
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EACCES') return Promise.reject(e);
    return viaChildProcess(file, args, env, opts.input, opts.timeoutMs);
  }
  for (const fd of [pipes[0][0], pipes[1][1], pipes[2][1]]) fs.closeSync(fd);
  const stdin = new net.Socket({ fd: pipes[0][1], readable: false, writable: true });
  stdin.on('error', () => undefined);
  stdin.end(opts.input ?? '');
  const read = (fd: number) => new Promise<string>((resolve) => {
    const s = new net.Socket({ fd, readable: true, writable: false });
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => { text += d; });
    s.on('error', () => resolve(text));
    s.on('close', () => resolve(text));
  });
  const { exited } = childExit(addon, pid);
  const timer = opts.timeoutMs ? setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, opts.timeoutMs) : undefined;
  return Promise.all([exited, read(pipes[1][0]), read(pipes[2][0])]).then(([code, stdout, stderr]) => {
    clearTimeout(timer);
    return { code: code ?? 255, stdout, stderr };
  });
}

function viaChildProcess(file: string, args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs?: number): Promise<SpawnResult> {
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 128 : 255), stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}
