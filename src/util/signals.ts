// Signal names and numbers (Linux), parsed as podman does: "TERM", "SIGTERM", "15".
import * as os from 'node:os';
import { UsageError } from './errors';

const SIGNALS: Record<string, number> = { ...(os.constants.signals as unknown as Record<string, number>) };
SIGNALS.SIGCLD = SIGNALS.SIGCHLD;
SIGNALS.SIGIOT = SIGNALS.SIGABRT;
SIGNALS.SIGPOLL = SIGNALS.SIGIO;

export function parseSignal(raw: string): number {
  // podman's ParseSignal: a leading dash is dropped (-HUP, -9), then docker's parser: a number
  // (0 is invalid), or a name with or without SIG; then the range check.
  const s = raw.startsWith('-') ? raw.slice(1) : raw;
  let n: number | undefined;
  if (/^[+-]?\d+$/.test(s)) {
    n = parseInt(s, 10);
    if (n === 0) throw new UsageError(`invalid signal: ${s}`);
  } else {
    const t = s.toUpperCase().replace(/^SIG/, '');
    const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(t);
    if (rt) {
      const off = rt[3] === undefined ? 0 : parseInt(rt[3], 10);
      const ok = rt[1] === 'MIN' ? rt[2] !== '-' && off <= 15 : rt[2] !== '+' && off <= 14;
      if (ok) n = rt[1] === 'MIN' ? 34 + off : 64 - off;
    } else {
      n = SIGNALS[`SIG${t}`];
    }
    if (n === undefined) throw new UsageError(`invalid signal: ${s}`);
  }
  if (n < 1 || n > 64) throw new UsageError('valid signals are 1 through 64');
  return n;
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(SIGNALS)) if (v === n && k !== 'SIGCLD' && k !== 'SIGIOT' && k !== 'SIGPOLL') return k;
  return String(n);
}

/** Go's text for a signal's death in an ExitError (`signal: killed`), the name itself for others. */
const GO_SIGNAL_TEXT: Record<string, string> = {
  SIGHUP: 'hangup', SIGINT: 'interrupt', SIGQUIT: 'quit', SIGILL: 'illegal instruction', SIGABRT: 'aborted',
  SIGBUS: 'bus error', SIGFPE: 'floating point exception', SIGKILL: 'killed', SIGSEGV: 'segmentation fault',
  SIGPIPE: 'broken pipe', SIGALRM: 'alarm clock', SIGTERM: 'terminated', SIGUSR1: 'user defined signal 1', SIGUSR2: 'user defined signal 2',
};

export function goSignalText(signal: string): string {
  return GO_SIGNAL_TEXT[signal] ?? signal;
}
