// The CLI's output without Node's stdio streams when it can: Node makes process.stdout and
// process.stderr on first use, loading its stream modules (~5 ms of a command's CPU here) just
// to write one finished string. A plain write(2) to fd 1 or 2 needs none of that.
import * as fs from 'node:fs';

const made = { stdout: false, stderr: false };
const broken = { stdout: false, stderr: false };

/**
 * Notes when process.stdout or process.stderr gets made (by anything: a stream pipe, a
 * library), after which writes go through it, so output keeps its order.
 */
export function watchStdio(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const d = Object.getOwnPropertyDescriptor(process, name);
    if (!d?.get || !d.configurable) { made[name] = true; continue; }
    const get = d.get;
    Object.defineProperty(process, name, { ...d, get() { made[name] = true; return get.call(process); } });
  }
}

/** True once something made process.stdout. */
export function stdoutMade(): boolean {
  return made.stdout;
}

const pause = new Int32Array(new SharedArrayBuffer(4));

function write(name: 'stdout' | 'stderr', s: string | Uint8Array): void {
  if (!s.length) return;
  if (made[name]) { process[name].write(s); return; }
  if (broken[name]) return;
  const fd = name === 'stdout' ? 1 : 2;
  const buf = typeof s === 'string' ? Buffer.from(s) : s;
  for (let off = 0; off < buf.length;) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      // A non-blocking pipe that is full (fd shared with a parent that set O_NONBLOCK): wait a little.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 1); continue; }
      // Standard output's reader is gone (`pier ps | head -1`): end as a Go program does on
      // SIGPIPE there (podman included), with the shell's 128+SIGPIPE status.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE' && name === 'stdout') process.exit(141);
      // Otherwise (stderr gone, no such fd) nothing more can be written there.
      broken[name] = true;
      return;
    }
  }
}

/** Writes `s` to standard output, synchronously. */
export function writeStdout(s: string | Uint8Array): void {
  write('stdout', s);
}

/** Writes `s` to standard error, synchronously. */
export function writeStderr(s: string | Uint8Array): void {
  write('stderr', s);
}

/**
 * Standard output or error as the little of a writable stream that container output needs
 * (write, never asking to wait for 'drain'), written with writeStdout/writeStderr.
 */
export function syncWritable(name: 'stdout' | 'stderr'): NodeJS.WritableStream {
  const w = { write(chunk: string | Uint8Array) { write(name, chunk); return true; } };
  return w as unknown as NodeJS.WritableStream;
}

/**
 * The global --noout: standard output is dropped, pier's writes and process.stdout's alike
 * (podman swaps its os.Stdout for /dev/null). Processes that inherit fd 1 still write there.
 */
export function discardStdout(): void {
  broken.stdout = true;
  made.stdout = false;
  let devNull: NodeJS.WritableStream | undefined;
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    get() { return (devNull ??= (require('node:fs') as typeof import('node:fs')).createWriteStream('/dev/null')); },
  });
}
