// The event log, like podman's "file" events backend: one JSON object per line appended to
// <runRoot>/events/events.log, read (and followed) by `pier events`.
//
// Writing: every event is one write(2) on a descriptor opened with O_APPEND, so concurrent
// writers never interleave or overwrite each other's lines (the kernel serialises appends to
// a regular file). Writers take no lock and never read the file.
//
// Rotation: podman keeps the newest half of the file when it outgrows
// events_logfile_max_size (default 1000000 bytes), which needs every writer to hold a lock.
// pier instead renames events.log to events.log.1 (replacing the previous one) once
// events.log outgrows half the limit, so the two files together stay below about the limit,
// and writers stay lock-free. Only the rename is serialised, by an O_EXCL lock file, and it
// re-checks under the lock that the file is still the oversize one, so two writers never
// rotate twice in a row. A writer that opened events.log just before the rename appends its
// line to events.log.1: the line is kept, only slightly out of order. A line is lost only if
// its writer stalls between open and write across two whole rotations. After a rotation the
// rotating writer appends a `system log-rotation` event (as podman does) to the new file.
//
// Reading: history is events.log.1 then events.log; following watches the events directory
// (fs.watch, with a polling fallback), reads what was appended and, when events.log was
// rotated, drains the old file before switching to the new one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { goJSON } from '../cli/format/gojson';
import { UsageError } from '../util/errors';
import { log } from '../util/log';
import { nowNanos } from '../util/clock';
import { parseHumanSize } from '../util/units';

export type EventType = 'container' | 'image' | 'volume' | 'pod' | 'network' | 'system' | 'machine';

/** An event to record. `Time` defaults to now. */
export interface EventInput {
  Type: EventType;
  /** create, init, start, attach, died, stop, kill, pause, unpause, remove, cleanup, exec, exec_died, ... */
  Status: string;
  ID?: string;
  Name?: string;
  Image?: string;
  /** Labels (container events) or other details (e.g. execID). */
  Attributes?: Record<string, string> | null;
  ContainerExitCode?: number;
  HealthStatus?: string;
  PodID?: string;
  Network?: string;
  Time?: Date;
}

/** An event read back from the log. */
export interface EventRecord extends Omit<EventInput, 'Time'> {
  /** RFC 3339 with nanoseconds, in the writer's local zone (`2024-01-01T10:00:00.123456789Z`). */
  Time: string;
  /** Time as nanoseconds since the Unix epoch. */
  TimeNano: bigint;
}

export interface EventLogOptions {
  /** Rotation limit in bytes for events.log + events.log.1 (default 1000000; 0 = never rotate). */
  maxSize?: number;
  /** Don't record anything (containers.conf `events_logger = "none"`). */
  disabled?: boolean;
  /** The log file instead of `<runRoot>/events/events.log` (containers.conf `events_logfile_path`). */
  path?: string;
}

export const DEFAULT_EVENTS_LOG_MAX_SIZE = 1_000_000;

/** The event log file of a run root. */
let logPath: [string, string] | undefined;
export function eventsLogPath(runRoot: string): string {
  if (logPath?.[0] !== runRoot) logPath = [runRoot, path.join(runRoot, 'events', 'events.log')];
  return logPath[1];
}

/** The rotated (previous) event log next to `file`. */
export function rotatedLogPath(file: string): string {
  return file + '.1';
}

// ---------------------------------------------------------------------------------------
// Configuration

const optionsOf = new WeakMap<object, EventLogOptions>();

/**
 * Event log options from the merged containers.conf (`cfg.engine` of EngineConfig):
 * `[engine] events_logfile_path`, `events_logfile_max_size` and `events_logger = "none"`.
 */
export function eventLogOptions(conf: Record<string, any> | undefined): EventLogOptions {
  if (!conf) return {};
  // Read once per configuration: every event a command writes asks again.
  const known = optionsOf.get(conf);
  if (known) return known;
  const engine = conf.engine ?? {};
  const opts: EventLogOptions = {};
  optionsOf.set(conf, opts);
  const raw = engine.events_logfile_max_size;
  if (typeof raw === 'number' && raw >= 0) opts.maxSize = Math.floor(raw);
  else if (typeof raw === 'string' && raw !== '') {
    const n = parseHumanSize(raw);
    if (n === undefined) log.warn(`ignoring invalid events_logfile_max_size "${raw}"`);
    else opts.maxSize = n;
  }
  if (engine.events_logger === 'none') opts.disabled = true;
  // podman: an empty path is its default (pier's is in the run root).
  if (typeof engine.events_logfile_path === 'string' && engine.events_logfile_path !== '') opts.path = engine.events_logfile_path;
  return opts;
}

// ---------------------------------------------------------------------------------------
// Time

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Splits ns since the epoch into local calendar fields and the zone offset in minutes. */
function localParts(ns: bigint): { d: Date; frac: string; off: number } {
  let secs = ns / 1_000_000_000n;
  let rem = ns % 1_000_000_000n;
  if (rem < 0n) { rem += 1_000_000_000n; secs -= 1n; }
  const d = new Date(Number(secs) * 1000);
  const frac = rem === 0n ? '' : '.' + rem.toString().padStart(9, '0').replace(/0+$/, '');
  return { d, frac, off: -d.getTimezoneOffset() };
}

function dateTime(d: Date, sep: string): string {
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}${sep}${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Go's time.RFC3339Nano in the local zone: `2006-01-02T15:04:05.999999999Z07:00`. */
export function formatRFC3339Nano(ns: bigint): string {
  const { d, frac, off } = localParts(ns);
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  return dateTime(d, 'T') + frac + zone;
}

/** The zone's abbreviation at `d` (MST), as Go prints it: UTC, else a name, else the numeric offset. */
export function zoneAbbrev(d: Date, off: number): string {
  const numeric = `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  let name: string | undefined;
  try {
    name = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value;
  } catch { name = undefined; }
  if (!name || /^GMT|^UTC[+-]/.test(name)) return off === 0 ? 'UTC' : numeric;
  return name;
}

/** Go's time.Time.String() in the local zone: `2006-01-02 15:04:05.999999999 -0700 MST`. */
export function formatGoTime(ns: bigint): string {
  const { d, frac, off } = localParts(ns);
  const numeric = `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${dateTime(d, ' ')}${frac} ${numeric} ${zoneAbbrev(d, off)}`;
}

const ZONE_RE = '(Z|z|[+-]\\d{2}:\\d{2})';

/** Parses an RFC 3339 time (fraction optional) to ns since the epoch; undefined if malformed. */
export function parseRFC3339Nanos(s: string): bigint | undefined {
  const m = new RegExp(`^(\\d{4}-\\d{2}-\\d{2})[Tt](\\d{2}:\\d{2}:\\d{2})(?:\\.(\\d{1,9}))?${ZONE_RE}$`).exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4].toUpperCase()}`);
  if (isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
}

const DURATION_NS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

/** Go's time.ParseDuration in nanoseconds; undefined when not a duration. */
export function parseGoDurationNanos(s: string): bigint | undefined {
  if (s === '0' || s === '+0' || s === '-0') return 0n;
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return undefined;
  let total = 0n;
  const re = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(s.slice(m[1].length)))) {
    const unit = DURATION_NS[part[3]];
    total += BigInt(part[1] || '0') * unit;
    if (part[2]) total += (BigInt(part[2].slice(0, 18).padEnd(18, '0')) * unit) / 10n ** 18n;
  }
  return m[1] === '-' ? -total : total;
}

/**
 * podman's ParseInputTime for --since/--until: RFC 3339 (with or without fraction), a date
 * and time or a date without zone (UTC), a date with a zone (`2006-01-02Z07:00`), Unix
 * seconds (`1700000000.5`), or a Go duration counted back from now for since and forward
 * from now for until (as podman does). Returns ns since the epoch.
 */
export function parseInputTime(value: string, since: boolean, now: bigint = nowNanos()): bigint {
  const rfc = parseRFC3339Nanos(value);
  if (rfc !== undefined) return rfc;
  let m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/.exec(value);
  if (m) {
    const ms = Date.parse(`${m[1]}T${m[2]}Z`);
    if (!isNaN(ms)) return BigInt(ms) * 1_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
  }
  m = new RegExp(`^(\\d{4}-\\d{2}-\\d{2})${ZONE_RE}?$`).exec(value);
  if (m) {
    const ms = Date.parse(`${m[1]}T00:00:00${(m[2] ?? 'Z').toUpperCase()}`);
    if (!isNaN(ms)) return BigInt(ms) * 1_000_000n;
  }
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(value)) {
    const f = parseFloat(value);
    const whole = Math.trunc(f);
    return BigInt(whole) * 1_000_000_000n + BigInt(Math.trunc((f - whole) * 1e9));
  }
  const d = parseGoDurationNanos(value);
  if (d === undefined) throw new UsageError('unable to interpret time value');
  return since ? now - d : now + d;
}

// ---------------------------------------------------------------------------------------
// Writing

/** podman's JSON for an event (Go's encoding of libpod's events.Event: field order, omitempty, sorted maps). */
export function eventToJSON(ev: Omit<EventRecord, 'TimeNano'> | EventRecord): string {
  const o: Record<string, unknown> = {};
  if (ev.ContainerExitCode) o.ContainerExitCode = ev.ContainerExitCode;
  if (ev.ID) o.ID = ev.ID;
  if (ev.Image) o.Image = ev.Image;
  if (ev.Name) o.Name = ev.Name;
  if (ev.Network) o.network = ev.Network;
  o.Status = ev.Status;
  o.Time = ev.Time;
  o.Type = ev.Type;
  if (ev.HealthStatus) o.health_status = ev.HealthStatus;
  if (ev.PodID) o.PodID = ev.PodID;
  o.Attributes = ev.Attributes ? new Map(Object.entries(ev.Attributes)) : null;
  return goJSON(o, { escapeHTML: true });
}

/** Appends `line` (with its newline) in one write; returns the file size after the write. */
function appendLine(file: string, data: Buffer): { size: number; ino: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  } catch (e: any) {
    if (e?.code !== 'ENOENT') throw e;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  }
  try {
    let off = 0;
    // One write(2) for the whole line; a regular file only writes less when the disk is full.
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    const st = fs.fstatSync(fd);
    return { size: st.size, ino: st.ino };
  } finally {
    fs.closeSync(fd);
  }
}

const STALE_LOCK_MS = 30_000;

/** Renames `file` to file.1 if it still is the inode `ino` and still above `threshold` bytes. */
function rotate(file: string, ino: number, threshold: number): boolean {
  const lock = file + '.rotate.lock';
  let fd: number;
  try {
    fd = fs.openSync(lock, 'wx', 0o600);
  } catch (e: any) {
    if (e?.code !== 'EEXIST') throw e;
    // Someone else is rotating. A lock left by a crashed process is removed when old.
    try {
      if (Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS) fs.unlinkSync(lock);
    } catch { /* gone meanwhile */ }
    return false;
  }
  try {
    let st: fs.Stats;
    try { st = fs.statSync(file); } catch { return false; }
    if (st.ino !== ino || st.size <= threshold) return false;
    fs.renameSync(file, rotatedLogPath(file));
    return true;
  } finally {
    fs.closeSync(fd);
    try { fs.unlinkSync(lock); } catch { /* ignore */ }
  }
}

/** The Time of a new event: `Time` given, else now. */
function eventNanos(t: Date | undefined): bigint {
  return t ? BigInt(t.getTime()) * 1_000_000n : nowNanos();
}

/**
 * Appends one event to `<runRoot>/events/events.log`. Cheap (open, one append, fstat,
 * close; no reads) and never throws: failures are logged at debug level.
 */
export function emitEvent(runRoot: string, ev: EventInput, opts: EventLogOptions = {}): void {
  if (opts.disabled) return;
  const file = opts.path ?? eventsLogPath(runRoot);
  try {
    const { Time, ...rest } = ev;
    const line = eventToJSON({ ...rest, Time: formatRFC3339Nano(eventNanos(Time)) }) + '\n';
    const { size, ino } = appendLine(file, Buffer.from(line));
    const max = opts.maxSize ?? DEFAULT_EVENTS_LOG_MAX_SIZE;
    if (max > 0 && size > max / 2 && rotate(file, ino, max / 2)) {
      const note = eventToJSON({ Type: 'system', Status: 'log-rotation', Name: file, Time: formatRFC3339Nano(nowNanos()) }) + '\n';
      appendLine(file, Buffer.from(note));
    }
  } catch (e) {
    log.debug(`unable to write ${ev.Type} ${ev.Status} event to ${file}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------
// Filters

export type EventPredicate = (e: EventRecord) => boolean;

function idOrName(type: EventType, v: string): EventPredicate {
  return (e) => e.Type === type && (e.Name === v || (!!e.ID && e.ID.startsWith(v)));
}

function eventFilter(key: string, v: string): EventPredicate {
  switch (key.toLowerCase()) {
    case 'container': return idOrName('container', v);
    case 'image': return idOrName('image', v);
    case 'pod': return idOrName('pod', v);
    case 'volume': return idOrName('volume', v);
    case 'network': return (e) => e.Type === 'network' && e.Network === v;
    case 'event':
    case 'status': return (e) => e.Status === v;
    case 'type': return (e) => e.Type === v;
    case 'label': {
      const eq = v.indexOf('=');
      const k = eq < 0 ? v : v.slice(0, eq);
      const val = eq < 0 ? undefined : v.slice(eq + 1);
      return (e) => !!e.Attributes && Object.prototype.hasOwnProperty.call(e.Attributes, k) && (val === undefined || e.Attributes[k] === val);
    }
    default: throw new UsageError(`${key} is an invalid filter`);
  }
}

/**
 * podman's event filters (`container=`, `image=`, `pod=`, `volume=`, `network=`,
 * `event=`/`status=`, `type=`, `label=key[=value]`): values of the same key are OR'ed,
 * different keys AND'ed (keys are grouped as written, as podman does). Throws UsageError.
 */
export function compileEventFilters(filters: string[]): EventPredicate {
  const groups = new Map<string, EventPredicate[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`${f} is an invalid filter`);
    const key = f.slice(0, eq);
    const list = groups.get(key) ?? [];
    list.push(eventFilter(key, f.slice(eq + 1)));
    groups.set(key, list);
  }
  const all = [...groups.values()];
  return (e) => all.every((g) => g.some((p) => p(e)));
}

// ---------------------------------------------------------------------------------------
// Reading

const TYPES = new Set<string>(['container', 'image', 'volume', 'pod', 'network', 'system', 'machine']);

/** Parses one log line; undefined for a line that is not a valid event. */
export function parseEventLine(line: string): EventRecord | undefined {
  let o: any;
  try { o = JSON.parse(line); } catch { return undefined; }
  if (!o || typeof o !== 'object' || typeof o.Status !== 'string' || typeof o.Time !== 'string' || !TYPES.has(o.Type)) return undefined;
  const ns = parseRFC3339Nanos(o.Time);
  if (ns === undefined) return undefined;
  const ev: EventRecord = { Type: o.Type, Status: o.Status, Time: o.Time, TimeNano: ns };
  if (typeof o.ID === 'string') ev.ID = o.ID;
  if (typeof o.Name === 'string') ev.Name = o.Name;
  if (typeof o.Image === 'string') ev.Image = o.Image;
  if (typeof o.network === 'string') ev.Network = o.network;
  if (typeof o.health_status === 'string') ev.HealthStatus = o.health_status;
  if (typeof o.PodID === 'string') ev.PodID = o.PodID;
  if (typeof o.ContainerExitCode === 'number') ev.ContainerExitCode = o.ContainerExitCode;
  ev.Attributes = o.Attributes && typeof o.Attributes === 'object' ? o.Attributes : null;
  return ev;
}

/** An open log file read from an offset, returning complete lines only. */
class LogReader {
  private pos = 0;
  private partial: Buffer[] = [];
  private readonly buf = Buffer.alloc(64 * 1024);

  constructor(readonly fd: number, readonly ino: number) {}

  static open(file: string, atEnd = false): LogReader | undefined {
    let fd: number;
    try { fd = fs.openSync(file, 'r'); } catch (e: any) {
      if (e?.code === 'ENOENT') return undefined;
      throw e;
    }
    const st = fs.fstatSync(fd);
    const r = new LogReader(fd, st.ino);
    if (atEnd) r.pos = st.size;
    return r;
  }

  /** Complete lines appended since the last call (a trailing partial line waits for its newline). */
  read(): string[] {
    const lines: string[] = [];
    for (;;) {
      const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      if (n <= 0) break;
      this.pos += n;
      let chunk = this.buf.subarray(0, n);
      let nl: number;
      while ((nl = chunk.indexOf(0x0a)) >= 0) {
        this.partial.push(chunk.subarray(0, nl));
        lines.push(Buffer.concat(this.partial).toString('utf8'));
        this.partial = [];
        chunk = chunk.subarray(nl + 1);
      }
      if (chunk.length) this.partial.push(Buffer.from(chunk));
    }
    return lines;
  }

  close(): void {
    try { fs.closeSync(this.fd); } catch { /* ignore */ }
  }
}

function inodeOf(file: string): number | undefined {
  try { return fs.statSync(file).ino; } catch { return undefined; }
}

/** Opens events.log.1 and events.log such that no rotation happened in between. */
function openHistory(file: string): { backup?: LogReader; current?: LogReader } {
  const old = rotatedLogPath(file);
  for (let attempt = 0; ; attempt++) {
    const backup = LogReader.open(old);
    const current = LogReader.open(file);
    if (backup?.ino === inodeOf(old) || attempt >= 5) return { backup, current };
    backup?.close();
    current?.close();
  }
}

/** Wakes a waiting reader on directory changes, a poll timeout, or abort. */
class ChangeNotifier {
  private dirty = false;
  private wake?: () => void;
  private watcher?: fs.FSWatcher;

  constructor(dir: string, private readonly signal?: AbortSignal) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      this.watcher = fs.watch(dir, { persistent: true }, () => this.notify());
      this.watcher.on('error', () => { this.watcher?.close(); this.watcher = undefined; });
    } catch (e) {
      log.debug(`watching ${dir} failed, polling: ${(e as Error).message}`);
    }
    signal?.addEventListener('abort', this.onAbort);
  }

  private readonly onAbort = (): void => this.notify();

  private notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  /** Resolves at the next change (or one since the last wait), after `ms`, or on abort. */
  wait(ms: number): Promise<void> {
    if (this.dirty || this.signal?.aborted) { this.dirty = false; return Promise.resolve(); }
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      const self = this;
      function done(): void { clearTimeout(timer); self.wake = undefined; self.dirty = false; resolve(); }
      this.wake = done;
    });
  }

  close(): void {
    this.watcher?.close();
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

export interface ReadEventsOptions {
  /** Only events after this time: RFC 3339, date, Unix seconds or a Go duration back from now. */
  since?: string;
  /** Only events before this time (a Go duration counts forward from now, as podman). */
  until?: string;
  /** podman's filters: `container=`, `image=`, `event=`, `type=`, `label=`, `volume=`, `pod=`. */
  filters?: string[];
  /** Keep reading new events (until `until` passes or `signal` aborts). */
  follow?: boolean;
  /** Read the existing events first; default: unless following without since/until. */
  fromStart?: boolean;
  signal?: AbortSignal;
  /** The log file (EventLogOptions.path), else `<runRoot>/events/events.log`. */
  file?: string;
  /** Poll interval while following (default 250 ms; fs.watch usually wakes sooner). */
  pollMs?: number;
}

/**
 * Reads events from `<runRoot>/events/events.log` (after events.log.1), filtered. Without
 * `follow` it stops at the end of the log; with it, it waits for new events until the
 * `until` time passes or `signal` aborts. Invalid lines are skipped. Throws UsageError
 * for invalid filters or times (before yielding anything).
 */
export async function* readEvents(runRoot: string, opts: ReadEventsOptions = {}): AsyncGenerator<EventRecord> {
  const file = opts.file ?? eventsLogPath(runRoot);
  const { match, untilNs } = eventMatcher(opts.filters ?? [], opts.since, opts.until);
  const follow = !!opts.follow;
  const fromStart = opts.fromStart ?? (!follow || !!opts.since || !!opts.until);
  const signal = opts.signal;

  const emit = function* (lines: string[]): Generator<EventRecord> {
    for (const line of lines) {
      if (!line) continue;
      const ev = parseEventLine(line);
      if (!ev) { log.debug(`skipping invalid line in ${file}: ${line.slice(0, 200)}`); continue; }
      if (match(ev)) yield ev;
    }
  };

  let current: LogReader | undefined;
  let notifier: ChangeNotifier | undefined;
  try {
    if (follow) notifier = new ChangeNotifier(path.dirname(file), signal);
    if (fromStart) {
      const h = openHistory(file);
      current = h.current;
      if (h.backup) {
        try { yield* emit(h.backup.read()); } finally { h.backup.close(); }
      }
    } else {
      current = LogReader.open(file, true);
    }
    for (;;) {
      if (signal?.aborted) return;
      if (current) yield* emit(current.read());
      if (!follow || signal?.aborted) return;
      if (untilNs !== undefined && nowNanos() >= untilNs) return;
      // Rotated (or created): drain the old file, then continue at the start of the new one.
      const ino = inodeOf(file);
      if (ino !== undefined && ino !== current?.ino) {
        if (current) { yield* emit(current.read()); current.close(); }
        current = LogReader.open(file);
        continue;
      }
      let waitMs = opts.pollMs ?? 250;
      if (untilNs !== undefined) waitMs = Math.min(waitMs, Number((untilNs - nowNanos()) / 1_000_000n) + 1);
      await notifier!.wait(waitMs);
    }
  } finally {
    current?.close();
    notifier?.close();
  }
}

function parseTime(which: 'since' | 'until', v: string, since: boolean): bigint {
  try {
    return parseInputTime(v, since);
  } catch (e) {
    throw new UsageError(`failed to parse event filters: unable to convert ${which} time of ${v}: ${(e as Error).message}`);
  }
}

/** The predicate for filters + since/until, and until in ns (throws UsageError with podman's wording). */
export function eventMatcher(filters: string[], since?: string, until?: string): { match: EventPredicate; untilNs?: bigint } {
  let pred: EventPredicate;
  try {
    pred = compileEventFilters(filters);
  } catch (e) {
    throw new UsageError(`failed to parse event filters: ${(e as Error).message}`);
  }
  const sinceNs = since ? parseTime('since', since, true) : undefined;
  const untilNs = until ? parseTime('until', until, false) : undefined;
  const match: EventPredicate = (e) => (sinceNs === undefined || e.TimeNano > sinceNs) && (untilNs === undefined || e.TimeNano < untilNs) && pred(e);
  return { match, untilNs };
}
