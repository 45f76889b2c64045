// Signal names and numbers (Linux), parsed as podman does: "TERM", "SIGTERM", "15".
import * as os from 'node:os';
import { UsageError } from './errors';

const SIGNALS: Record<string, number> = { ...(os.constants.signals as unknown as Record<string, number>) };
SIGNALS.SIGCLD = SIGNALS.SIGCHLD;
SIGNALS.SIGIOT = SIGNALS.SIGABRT;
SIGNALS.SIGPOLL = SIGNALS.SIGIO;

export function parseSignal(s: string): number {
  const t = s.trim().toUpperCase();
  if (/^\d+$/.test(t)) {
    const n = parseInt(t, 10);
    if (n < 1 || n > 64) throw new UsageError(`invalid signal: ${s}`);
    return n;
  }
  const rt = /^(?:SIG)?RTMIN(?:\+(\d+))?$/.exec(t);
  if (rt) return 34 + parseInt(rt[1] ?? '0', 10);
  const name = t.startsWith('SIG') ? t : `SIG${t}`;
  const n = SIGNALS[name];
  if (n === undefined) throw new UsageError(`invalid signal: ${s}`);
  return n;
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(SIGNALS)) if (v === n && k !== 'SIGCLD' && k !== 'SIGIOT' && k !== 'SIGPOLL') return k;
  return String(n);
}
