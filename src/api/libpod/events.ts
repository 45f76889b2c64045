// GET /libpod/events (podman 4.3): JSON lines in the Docker message shape with podman's own
// status names as Action (died, remove, ...), plus `pier_event`, the record as pier's event log
// holds it (its nanosecond time as a string), which pier's remote client prints from.
import type { Router } from '../router';
import { dockerFilters } from '../docker/containers';
import { eventLogOptions, type EventRecord } from '../../engine/events';
import { streamEvents } from '../event-stream';

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
    await streamEvents(r, r.cfg.runRoot, {
      file: eventLogOptions(r.cfg.engine).path,
      since: r.query.get('since') || undefined, until: r.query.get('until') || undefined,
      filters: dockerFilters(r.query.get('filters')), follow: r.query.get('stream') !== 'false',
    }, libpodEvent);
  });
}
