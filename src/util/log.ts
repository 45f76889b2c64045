// Leveled logging to stderr, like podman's --log-level.
import * as fs from 'node:fs';
import { writeStderr } from './stdio';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic'] as const;
export type LogLevel = (typeof LEVELS)[number];

let threshold = LEVELS.indexOf('warn');

/** Whether `level` is one --log-level takes. */
export function isLogLevel(level: string): boolean {
  return level === 'warning' || LEVELS.includes(level as LogLevel);
}

export function setLogLevel(level: string): void {
  const l = level === 'warning' ? 'warn' : level;
  const i = LEVELS.indexOf(l as LogLevel);
  if (i < 0) throw new Error(`"${level}" is not a valid log level (trace, debug, info, warn, warning, error, fatal, panic)`);
  threshold = i;
}

function emit(level: LogLevel, msg: string): void {
  if (LEVELS.indexOf(level) < threshold) return;
  // logrus's text format, as podman prints it: RFC 3339 to the second, `warning` spelled out.
  const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const line = `time="${ts}" level=${level === 'warn' ? 'warning' : level} msg=${JSON.stringify(msg)}\n`;
  writeStderr(line);
  if (syslogSocket) toSyslog(level, line);
}

/** The syslog socket --syslog writes to (the first of the usual ones that exists). */
let syslogSocket: string | undefined;
const SYSLOG_SOCKETS = ['/dev/log', '/var/run/syslog', '/var/run/log'];
/** syslog severities of the levels (logrus's syslog hook: panic and fatal are critical). */
const SEVERITY: Record<LogLevel, number> = { panic: 2, fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };

/**
 * --syslog: every message logged from here on also goes to the local syslog socket, as podman's
 * syslog hook sends it (the same text line). Throws when there is no syslog socket.
 */
export function enableSyslog(sockets: readonly string[] = SYSLOG_SOCKETS): void {
  syslogSocket = sockets.find((s) => { try { return fs.statSync(s).isSocket(); } catch { return false; } });
  if (!syslogSocket) throw new Error('Unix syslog delivery error');
}

function toSyslog(level: LogLevel, line: string): void {
  // RFC 3164 as a local socket takes it: <facility user | severity>, time, tag[pid].
  try {
    const { native } = require('./native') as typeof import('./native');
    const { goStamp } = require('./nanotime') as typeof import('./nanotime');
    native().sendDatagram(syslogSocket!, `<${8 + SEVERITY[level]}>${goStamp(new Date())} pier[${process.pid}]: ${line}`);
  } catch { /* a syslog that went away loses the message, as the hook's does */ }
}

export const log = {
  trace: (m: string) => emit('trace', m),
  debug: (m: string) => emit('debug', m),
  info: (m: string) => emit('info', m),
  warn: (m: string) => emit('warn', m),
  error: (m: string) => emit('error', m),
  enabled: (l: LogLevel) => LEVELS.indexOf(l) >= threshold,
};

let tracing: string | undefined;
/**
 * With PIER_TRACE set, print a timestamped step (ms since the process started) to stderr, for
 * finding where time goes; PIER_TRACE=faults adds the process's minor page faults so far, PIER_TRACE=cpu its CPU time.
 * Written with fs.writeSync: neither process.stderr nor perf_hooks gets loaded by tracing.
 */
export function trace(step: string): void {
  tracing ??= process.env.PIER_TRACE ?? '';
  if (!tracing) return;
  let faults = '';
  if (tracing === 'faults' || tracing === 'cpu') {
    const r = process.resourceUsage();
    let main = '';
    try { main = ` main=${(Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ')[0]) / 1e6).toFixed(1)}ms`; } catch { /* no schedstat */ }
    faults = tracing === 'faults' ? ` faults=${r.minorPageFault}` : ` cpu=${((r.userCPUTime + r.systemCPUTime) / 1000).toFixed(1)}ms${main}`;
  }
  try { fs.writeSync(2, `[trace ${(process.uptime() * 1000).toFixed(1)}ms${faults}] ${step}\n`); } catch { /* stderr closed */ }
}
