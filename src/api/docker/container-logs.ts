// Docker API: GET /containers/{id}/logs — the k8s-file log as Docker's multiplexed stream (raw with a
// TTY), with follow, since/until (Unix times), tail and timestamps; a client hanging up ends the follow.
import * as path from 'node:path';
import type { ApiRequest } from '../router';
import { ApiError } from '../errors';
import { containerOf, localContainers, qbool, RUNNING_STATES as RUNNING } from './common';
import { MULTIPLEXED, RAW, frame } from './streams';
import { readLogEntries, streamLogs, formatEntry, LogEntry } from '../../engine/logs';

/** Docker's since/until: Unix seconds (fractions allowed); 0 or empty = unset. */
function unixTime(v: string | null): Date | undefined {
  if (!v || v === '0') return undefined;
  const n = Number(v);
  if (Number.isFinite(n)) return new Date(n * 1000);
  const t = Date.parse(v);
  if (Number.isFinite(t)) return new Date(t);
  throw new ApiError(400, `invalid time value ${JSON.stringify(v)}`);
}

/** Docker log timestamps: RFC 3339 with nanoseconds in UTC. */
function dockerTimestamp(e: LogEntry): string {
  const ms = Number(e.ns / 1_000_000n);
  const frac = (e.ns % 1_000_000_000n).toString().padStart(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

/** Answers a logs request for container `id`. */
export async function containerLogs(r: ApiRequest, id: string): Promise<void> {
  const c = containerOf(r, id);
  const wantOut = qbool(r, 'stdout');
  const wantErr = qbool(r, 'stderr');
  if (!wantOut && !wantErr) throw new ApiError(400, 'you must choose at least one stream');
  if (c.config.logDriver !== 'k8s-file' && c.config.logDriver !== 'json-file') throw new ApiError(501, `configured logging driver does not support reading`);
  const tty = !!c.config.create.tty;
  const follow = qbool(r, 'follow');
  const timestamps = qbool(r, 'timestamps');
  const since = unixTime(r.query.get('since'));
  const until = unixTime(r.query.get('until'));
  const tailQ = r.query.get('tail');
  const tail = !tailQ || tailQ === 'all' ? undefined : Number(tailQ);
  if (tail !== undefined && !Number.isFinite(tail)) throw new ApiError(400, `invalid tail value ${JSON.stringify(tailQ)}`);
  const res = r.res!;
  res.writeHead(200, { 'Content-Type': tty ? RAW : MULTIPLEXED });
  res.flushHeaders();
  const emit = (entry: LogEntry): boolean => {
    const isErr = entry.stream === 'stderr';
    if (isErr ? !wantErr : !wantOut) return true;
    const text = timestamps ? `${dockerTimestamp(entry)} ${entry.text}` : formatEntry(entry, false);
    return res.write(tty ? text : frame(isErr ? 2 : 1, text));
  };
  const e = localContainers(r);
  if (!follow) {
    for (const entry of readLogEntries(c.config.logPath, { since, until, tail })) emit(entry);
    res.end();
    return;
  }
  const ac = new AbortController();
  res.once('close', () => ac.abort());
  const exitFile = path.join(e.lifecycle.exitDir, c.id);
  const exited = () => {
    const cur = e.containers.get(c.id);
    return !cur || !RUNNING.includes(e.lifecycle.sync(cur).state.status);
  };
  try {
    for await (const entry of streamLogs(c.config.logPath, { since, until, tail, follow: true, exited, exitFile: RUNNING.includes(c.state.status) ? exitFile : undefined, signal: ac.signal })) {
      if (!emit(entry)) await new Promise<void>((res2) => { res.once('drain', res2); res.once('close', res2); });
      if (ac.signal.aborted) break;
    }
  } finally {
    if (!res.writableEnded) res.end();
  }
}
