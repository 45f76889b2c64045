// Container logs in conmon's k8s-file format: one record per line,
//   2024-01-01T00:00:00.123456789+00:00 stdout F text
// where the third field is F for a full line and P for a partial one (a long line split
// by conmon, or output without a trailing newline); partial records are joined with the
// next full record of the same stream. Reader (since/until/tail/follow) and writer helpers.
import * as fs from 'node:fs';
import { nowNanos } from '../util/clock';

export type LogStream = 'stdout' | 'stderr';

/** One raw record of a k8s-file log. */
export interface LogRecord {
  /** The timestamp as written. */
  time: string;
  /** The timestamp in nanoseconds since the epoch. */
  ns: bigint;
  stream: LogStream;
  partial: boolean;
  text: string;
}

/** A logical line: partial records joined. `text` ends with "\n" unless the output did not. */
export interface LogEntry {
  time: string;
  ns: bigint;
  stream: LogStream;
  text: string;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/** Parses an RFC 3339 timestamp with up to nanosecond precision into ns since the epoch. */
export function parseTimestamp(s: string): bigint | null {
  const m = TS_RE.exec(s);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (!Number.isFinite(ms)) return null;
  let ns = BigInt(ms) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0') || '0');
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1n : 1n;
    const digits = m[8].slice(1).replace(':', '');
    const offMin = BigInt(parseInt(digits.slice(0, 2), 10) * 60 + parseInt(digits.slice(2), 10));
    ns -= sign * offMin * 60_000_000_000n;
  }
  return ns;
}

/**
 * A time bound for since/until: a Date, ns since the epoch, an RFC 3339 timestamp, a Unix
 * timestamp ("1700000000" or "1700000000.5"), or a duration before now ("10m", "1h30m").
 */
export type TimeBound = Date | bigint | string;

const DUR_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts a TimeBound to ns since the epoch; throws on garbage. */
export function timeBoundNs(b: TimeBound, now: number = Date.now()): bigint {
  if (typeof b === 'bigint') return b;
  if (b instanceof Date) return BigInt(b.getTime()) * 1_000_000n;
  const s = b.trim();
  const ts = parseTimestamp(s);
  if (ts !== null) return ts;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return BigInt(Date.parse(`${s}T00:00:00Z`)) * 1_000_000n;
  if (/^\d+(\.\d+)?$/.test(s)) {
    const [sec, frac = ''] = s.split('.');
    return BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
  }
  const durRe = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  if (/^(\d+(?:\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) {
    let ms = 0;
    for (const m of s.matchAll(durRe)) ms += parseFloat(m[1]) * DUR_UNITS[m[2]];
    return BigInt(Math.round((now - ms) * 1e6));
  }
  const d = Date.parse(s);
  if (Number.isFinite(d)) return BigInt(d) * 1_000_000n;
  throw new Error(`invalid time value "${b}"`);
}

/** Parses one k8s-file line (without its newline); null when malformed. */
export function parseLogLine(line: string): LogRecord | null {
  const a = line.indexOf(' ');
  if (a < 0) return null;
  const b = line.indexOf(' ', a + 1);
  if (b < 0) return null;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  const c = line.indexOf(' ', b + 1);
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const flags = tag.split(':');
  if (!flags.includes('F') && !flags.includes('P')) return null;
  const time = line.slice(0, a);
  const ns = parseTimestamp(time);
  if (ns === null) return null;
  return { time, ns, stream, partial: flags.includes('P'), text: c < 0 ? '' : line.slice(c + 1) };
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Formats ns since the epoch as conmon does: local time, nanoseconds, numeric offset. */
export function formatTimestamp(ns: bigint, offsetMinutes?: number): string {
  const ms = Number(ns / 1_000_000n);
  const frac = ns % 1_000_000_000n;
  const off = offsetMinutes ?? -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + off * 60_000);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(Number(frac), 9)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Current time in ns since the epoch (microsecond resolution). */
export function nowNs(): bigint {
  return nowNanos();
}

/** Formats a timestamp the way `podman logs -t` prints it (Go's RFC3339Nano: trailing zeros trimmed, Z for UTC). */
export function displayTimestamp(time: string): string {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/.exec(time);
  if (!m) return time;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  const zone = m[3] === '+00:00' || m[3] === '-00:00' || m[3] === '+0000' ? 'Z' : m[3];
  return `${m[1]}${frac ? '.' + frac : ''}${zone}`;
}

/** Formats one record line (with its trailing newline). */
export function formatLogLine(stream: LogStream, text: string, partial = false, ns: bigint = nowNs()): string {
  return `${formatTimestamp(ns)} ${stream} ${partial ? 'P' : 'F'} ${text}\n`;
}

/**
 * Appends output to a k8s-file log the way conmon does: each complete line becomes an F
 * record, a trailing piece without newline a P record. Returns the bytes written.
 */
export function appendLog(file: string, stream: LogStream, data: string | Buffer, ns: bigint = nowNs()): number {
  const text = Buffer.isBuffer(data) ? data.toString('utf8') : data;
  if (!text) return 0;
  const parts = text.split('\n');
  const last = parts.pop()!;
  let out = '';
  for (const p of parts) out += formatLogLine(stream, p, false, ns);
  if (last) out += formatLogLine(stream, last, true, ns);
  fs.appendFileSync(file, out);
  return Buffer.byteLength(out);
}

/** Joins partial records into entries; keeps per-stream pending partials between calls. */
export class LogAssembler {
  private pending: Record<LogStream, LogRecord[]> = { stdout: [], stderr: [] };

  /** Feeds one record; returns the entry it completes, if any. */
  push(r: LogRecord): LogEntry | null {
    if (r.partial) {
      this.pending[r.stream].push(r);
      return null;
    }
    const parts = this.pending[r.stream];
    this.pending[r.stream] = [];
    return { time: r.time, ns: r.ns, stream: r.stream, text: parts.map((p) => p.text).join('') + r.text + '\n' };
  }

  /** Pending partial output (no trailing newline), oldest stream first; clears it. */
  flush(): LogEntry[] {
    const out: LogEntry[] = [];
    for (const s of ['stdout', 'stderr'] as LogStream[]) {
      const parts = this.pending[s];
      if (!parts.length) continue;
      const last = parts[parts.length - 1];
      out.push({ time: last.time, ns: last.ns, stream: s, text: parts.map((p) => p.text).join('') });
      this.pending[s] = [];
    }
    return out.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
  }
}

export interface LogReadOptions {
  since?: TimeBound;
  until?: TimeBound;
  /** Only the last N entries (negative or undefined: all). */
  tail?: number;
}

function filterFn(opts: LogReadOptions): (e: LogEntry) => boolean {
  const since = opts.since !== undefined ? timeBoundNs(opts.since) : undefined;
  const until = opts.until !== undefined ? timeBoundNs(opts.until) : undefined;
  return (e) => (since === undefined || e.ns >= since) && (until === undefined || e.ns <= until);
}

/** Parses a whole log text into entries (trailing partials included). */
export function parseLogText(text: string): LogEntry[] {
  const asm = new LogAssembler();
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = parseLogLine(line);
    if (!r) continue;
    const e = asm.push(r);
    if (e) out.push(e);
  }
  out.push(...asm.flush());
  return out;
}

/** Reads the entries of a log file (missing file: none), filtered by since/until/tail. */
export function readLogEntries(file: string, opts: LogReadOptions = {}): LogEntry[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e: any) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
  let entries = parseLogText(text).filter(filterFn(opts));
  if (opts.tail !== undefined && opts.tail >= 0) entries = opts.tail === 0 ? [] : entries.slice(-opts.tail);
  return entries;
}

/** One entry as `podman logs` prints it, optionally prefixed by its timestamp. */
export function formatEntry(e: LogEntry, timestamps = false): string {
  return timestamps ? `${displayTimestamp(e.time)} ${e.text}` : e.text;
}

/** stdout and stderr of a log, separated (as `podman logs` writes them to its own stdout/stderr). */
export function readLogs(file: string, opts: LogReadOptions & { timestamps?: boolean } = {}): { stdout: string; stderr: string; entries: LogEntry[] } {
  const entries = readLogEntries(file, opts);
  let stdout = '';
  let stderr = '';
  for (const e of entries) {
    if (e.stream === 'stderr') stderr += formatEntry(e, opts.timestamps);
    else stdout += formatEntry(e, opts.timestamps);
  }
  return { stdout, stderr, entries };
}

export interface FollowOptions extends LogReadOptions {
  /** Keep reading new output until `exited` says the container is done. */
  follow?: boolean;
  /** Polled while following: true once the container has exited (e.g. its exit file exists). */
  exited?: () => boolean | Promise<boolean>;
  /** Shorthand for `exited`: this file appearing means the container exited. */
  exitFile?: string;
  /** Poll interval while following (default 100 ms; fs.watch wakes it earlier). */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Streams log entries: the existing ones (since/until/tail applied), then — with follow —
 * new ones as conmon writes them, until the container has exited and its output is drained.
 * A file truncated by log rotation is read again from the start.
 */
export async function* streamLogs(file: string, opts: FollowOptions = {}): AsyncGenerator<LogEntry> {
  const keep = filterFn(opts);
  const until = opts.until !== undefined ? timeBoundNs(opts.until) : undefined;
  const asm = new LogAssembler();
  let offset = 0;
  let rest = '';
  const decoder = new TextDecoder('utf-8');

  const readNew = (): LogEntry[] => {
    let fd: number;
    try { fd = fs.openSync(file, 'r'); } catch { return []; }
    const out: LogEntry[] = [];
    try {
      const size = fs.fstatSync(fd).size;
      if (size < offset) { offset = 0; rest = ''; }
      const buf = Buffer.alloc(64 * 1024);
      while (offset < size) {
        const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        offset += n;
        rest += decoder.decode(buf.subarray(0, n), { stream: true });
        let i: number;
        while ((i = rest.indexOf('\n')) >= 0) {
          const line = rest.slice(0, i);
          rest = rest.slice(i + 1);
          const r = parseLogLine(line);
          if (!r) continue;
          const e = asm.push(r);
          if (e && keep(e)) out.push(e);
        }
      }
    } finally {
      fs.closeSync(fd);
    }
    return out;
  };

  let initial = readNew();
  const done = async (): Promise<boolean> => {
    if (opts.exitFile && fs.existsSync(opts.exitFile)) return true;
    if (opts.exited) return !!(await opts.exited());
    return false;
  };
  const following = !!opts.follow && !(await done());
  if (!following) initial.push(...asm.flush().filter(keep));
  if (opts.tail !== undefined && opts.tail >= 0) initial = opts.tail === 0 ? [] : initial.slice(-opts.tail);
  for (const e of initial) yield e;
  if (!following) return;

  const pollMs = opts.pollMs ?? 100;
  let wake: (() => void) | undefined;
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(file, () => wake?.());
    watcher.on('error', () => { watcher?.close(); watcher = undefined; });
  } catch { /* not there yet, or no inotify: poll */ }
  const onAbort = () => wake?.();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const finished = await done();
      for (const e of readNew()) {
        if (until !== undefined && e.ns > until) return;
        yield e;
      }
      if (finished) {
        for (const e of asm.flush()) if (keep(e)) yield e;
        return;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => { clearTimeout(t); resolve(); };
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
