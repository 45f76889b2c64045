// Docker API: GET /system/df and GET /events (streamed, filtered, since/until) in Docker's shapes.
import type { Router } from '../router';
import { localContainers, qbool } from './common';
import { dockerFilters, listEntry } from './containers';
import { volumeCreatedAt } from './networks-volumes';
import { eventLogOptions, type EventRecord } from '../../engine/events';
import { streamEvents } from '../event-stream';



/** Docker's `Action` for pier's event status (`died` is Docker's `die`). */
function dockerAction(e: EventRecord): string {
  if (e.Type === 'container' && e.Status === 'died') return 'die';
  if (e.Type === 'container' && e.Status === 'remove') return 'destroy';
  if (e.Type === 'image' && e.Status === 'remove') return 'delete';
  if (e.Type === 'container' && e.Status === 'health_status' && e.HealthStatus) return `health_status: ${e.HealthStatus}`;
  return e.Status;
}

/** One event in Docker's shape (what `docker events --format json` prints). */
export function dockerEvent(e: EventRecord): Record<string, unknown> {
  const attrs: Record<string, string> = { ...(e.Attributes ?? {}) };
  if (e.Name) attrs.name = e.Name;
  if (e.Image) attrs.image = e.Image;
  if (e.ContainerExitCode !== undefined) attrs.exitCode = String(e.ContainerExitCode);
  if (e.Type === 'network' && e.Network) attrs.name = e.Network;
  const type = e.Type === 'pod' ? 'container' : e.Type;
  const id = e.ID ?? e.Network ?? e.Name ?? '';
  const action = dockerAction(e);
  const timeNano = Number(e.TimeNano);
  return {
    ...(type === 'container' || type === 'image' ? { status: action, id, from: e.Image ?? e.Name ?? '' } : {}),
    Type: type, Action: action, Actor: { ID: id, Attributes: attrs }, scope: 'local',
    time: Math.floor(timeNano / 1e9), timeNano,
  };
}

export function registerSystemInfoRoutes(router: Router): void {
  router.get('/system/df', async (r) => {
    const e = localContainers(r);
    const { LocalContainerOps } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
    const df = await new LocalContainerOps(e).df();
    const rows = await e.list({ all: true, size: true });
    const vols = await r.engines.volumes().list().catch(() => []);
    const volSize = new Map(df.Volumes.map((v) => [v.VolumeName, v]));
    const images = new Map<string, Record<string, unknown>>();
    for (const i of df.Images) {
      const id = `sha256:${i.ImageID.replace(/^sha256:/, '')}`;
      const cur = images.get(id);
      const tag = i.Repository !== '<none>' ? `${i.Repository}:${i.Tag}` : undefined;
      if (cur) { if (tag) (cur.RepoTags as string[]).push(tag); continue; }
      images.set(id, {
        Id: id, ParentId: '', RepoTags: tag ? [tag] : [], RepoDigests: [], Created: Math.floor(i.Created / 1000), Size: i.Size, SharedSize: i.SharedSize,
        VirtualSize: i.Size, Labels: {}, Containers: i.Containers,
      });
    }
    r.send(200, {
      LayersSize: df.ImagesSize,
      Images: [...images.values()],
      Containers: rows.map(listEntry),
      Volumes: vols.map((v) => ({
        Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, CreatedAt: volumeCreatedAt(v.CreatedAt), Labels: v.Labels ?? {},
        Scope: 'local', Options: v.Options ?? {}, UsageData: { Size: volSize.get(v.Name)?.Size ?? 0, RefCount: volSize.get(v.Name)?.Links ?? 0 },
      })),
      BuildCache: [],
      BuilderSize: 0,
    });
  });

  router.get('/events', async (r) => {
    const e = localContainers(r);
    const since = r.query.get('since') || undefined;
    const until = r.query.get('until') || undefined;
    const filters = dockerFilters(r.query.get('filters')).map((f) => f.replace(/^event=die$/, 'event=died').replace(/^event=(destroy|delete)$/, 'event=remove'));
    // podman's compat endpoint takes libpod's `stream` (false: the events so far, then the end)
    const follow = qbool(r, 'stream', true) && (!until || qbool(r, 'follow', true));
    await streamEvents(r, e.store.runRoot, { file: eventLogOptions(r.cfg.engine).path, since, until, filters, follow, fromStart: !!since || !follow }, dockerEvent);
  });
}
