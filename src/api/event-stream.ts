// Streams the event log as JSON lines (Docker's /events and Libpod's /libpod/events): bad filters
// or times answer 400 before the stream starts; the stream ends when the client hangs up.
import type { ApiRequest } from './router';
import { ApiError } from './errors';
import { readEvents, EventRecord, ReadEventsOptions } from '../engine/events';
import { UsageError } from '../util/errors';

export async function streamEvents(r: ApiRequest, runRoot: string, opts: Omit<ReadEventsOptions, 'signal'>, shape: (e: EventRecord) => unknown): Promise<void> {
  const res = r.res!;
  const ac = new AbortController();
  res.once('close', () => ac.abort());
  const it = readEvents(runRoot, { ...opts, signal: ac.signal });
  // Bad filters or times surface on the first step: wait for it briefly before answering 200.
  let pending = it.next();
  pending.catch(() => undefined);
  try {
    await Promise.race([pending, new Promise((res2) => setTimeout(res2, 50))]);
  } catch (err) {
    if (err instanceof UsageError) throw new ApiError(400, err.message);
    throw err;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  try {
    for (;;) {
      const n = await pending;
      if (n.done || ac.signal.aborted) break;
      res.write(JSON.stringify(shape(n.value)) + '\n');
      pending = it.next();
    }
  } finally {
    ac.abort();
    if (!res.writableEnded) res.end();
  }
}
