// GET /libpod/events (podman 4.3): JSON lines in the Docker message shape with podman's own
// status names as Action (died, remove, ...), plus `pier_event`, the record as pier's event log
// holds it (its nanosecond time as a string), which pier's remote client prints from.
import type { Router } from '../router';
import { ApiError } from '../errors';
import { dockerFilters } from '../docker/containers';
import { readEvents, EventRecord } from '../../engine/events';
import { UsageError } from '../../util/errors';

function libpodEvent(e: EventRecord): Record<string, unknown> {
  const attrs: Record<string, string> = { ...(e.Attributes ?? {}) };
  if (e.Name) attrs.name = e.Name;
  if (e.Image) attrs.image = e.Image;
  if (e.ContainerExitCode !== undefined) attrs.containerExitCode = String(e.ContainerExitCode);
  if (e.PodID) attrs.podId = e.PodID;
  if (e.HealthStatus) attrs.health_status = e.HealthStatus;
  const id = e.ID ?? e.Network ?? e.Name ?? '';
  const timeNano = Number(e.TimeNano);
  return {
    status: e.Status, id, from: e.Image ?? '', Type: e.Type, Action: e.Status, Actor: { ID: id, Attributes: attrs }, scope: 'local',
    time: Math.floor(timeNano / 1e9), timeNano, pier_event: { ...e, TimeNano: String(e.TimeNano) },
  };
}

export function registerLibpodEventRoutes(router: Router): void {
  router.get('/libpod/events', async (r) => {
    const stream = r.query.get('stream') !== 'false';
    const res = r.res!;
    const ac = new AbortController();
    res.once('close', () => ac.abort());
    const it = readEvents(r.cfg.runRoot, {
      since: r.query.get('since') || undefined, until: r.query.get('until') || undefined,
      filters: dockerFilters(r.query.get('filters')), follow: stream, signal: ac.signal,
    });
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
        res.write(JSON.stringify(libpodEvent(n.value)) + '\n');
        pending = it.next();
      }
    } finally {
      ac.abort();
      if (!res.writableEnded) res.end();
    }
  });
}
