// The Libpod API (/v4.x.x/libpod/...) over the domain interfaces: containers, images, volumes,
// pods and system. Lists and inspects answer podman's JSON shapes (the domain objects are
// podman's). Container and pod creation take podman's SpecGenerator fields that map onto pier's
// options, plus `pier_create_options` (pier's full CreateOptions, sent by pier's remote client).
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { queryBool, schemaInt } from '../query-params';
import type { CloneOptions, CreateOptions } from '../../domain/containers';
import { PartialRemoveError } from '../../domain/containers';
import type { PodReport } from '../../domain/pods';
import { IMAGE_IN_USE, RemoveReport } from '../../domain/images';
import { NotFoundError, ConflictError, errorMessage } from '../../util/errors';
import { frame, dockerFilters } from '../docker/containers';
import { specToCreate, specToPodCreate } from './spec';
import { PassThrough, Writable } from 'node:stream';

const filtersOf = (r: ApiRequest) => dockerFilters(r.query.get('filters'));

function nf(e: unknown, what: string): never {
  if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e) || `no such ${what}`);
  throw e;
}

/** podman's LibpodImagesRemoveReport: Deleted and Untagged only when not empty. */
function removeReport(rep: RemoveReport): Record<string, unknown> {
  return { ...(rep.deleted.length ? { Deleted: rep.deleted } : {}), ...(rep.untagged.length ? { Untagged: rep.untagged } : {}), ExitCode: rep.exitCode, Errors: rep.errors };
}

/** podman's clients send Go's zero time for "unset". */
function timeParam(v: string | null): string | undefined {
  if (!v || v.startsWith('0001-01-01') || v === '0') return undefined;
  return v;
}

async function streamLogs(r: ApiRequest, ids: string[]): Promise<void> {
  const tail = r.query.get('tail');
  const n = tail && tail !== 'all' ? Number(tail) : undefined;
  if (n !== undefined && !Number.isFinite(n)) throw new ApiError(400, `invalid tail: ${tail}`);
  const since = timeParam(r.query.get('since'));
  const until = timeParam(r.query.get('until'));
  const { parseTimeArg } = require('../../domain/local/containers') as typeof import('../../domain/local/containers');
  for (const t of [since, until]) if (t) parseTimeArg(t);
  const res = r.res!;
  let started = false;
  const head = () => { if (!started) { started = true; res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' }); res.flushHeaders(); } };
  if (queryBool(r, 'follow')) head();
  await r.engines.containers().logs(ids, {
    follow: queryBool(r, 'follow'), timestamps: queryBool(r, 'timestamps'), tail: n !== undefined && n >= 0 ? n : undefined,
    since, until, multi: queryBool(r, 'names'), names: queryBool(r, 'usenames'),
  }, { stdout: (b) => { head(); if (!res.destroyed) res.write(frame(1, b)); }, stderr: (b) => { head(); if (!res.destroyed) res.write(frame(2, b)); } });
  head();
  res.end();
}

export function registerLibpodApiRoutes(router: Router): void {
  // ----- containers
  router.get('/libpod/containers/json', async (r) => {
    const { filterContainers } = require('../../cli/commands/containers') as typeof import('../../cli/commands/containers');
    const filters = filtersOf(r);
    // limit, and last (its alias, which wins), as podman's
    const last = (r.query.has('last') ? schemaInt(r, 'last') : schemaInt(r, 'limit')) || undefined;
    const listed = await r.engines.containers().list({ all: queryBool(r, 'all'), size: queryBool(r, 'size'), filters, last, external: queryBool(r, 'external') });
    // external=true: the build's containers, which neither `all` nor the filters select.
    const external = listed.filter((c) => c.State === 'storage');
    let rows = listed.filter((c) => c.State !== 'storage');
    if (filters.length) rows = filterContainers(rows, filters);
    if (external.length) {
      rows = [...rows, ...external].sort((a, b) => a.Created - b.Created);
      if (last && last > 0) rows = rows.slice(0, last);
    }
    // podman's ListContainer: Created is a time (RFC 3339), not the CLI's unix seconds.
    r.send(200, rows.map((c) => ({ ...c, Created: new Date(c.Created * 1000).toISOString() })));
  });
  // podman's stats: {Error, Stats: [ContainerStats]}, once (stream=false) or every `interval` seconds.
  router.get('/libpod/containers/stats', async (r) => {
    const { LocalContainerOps } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
    const ops = new LocalContainerOps(r.engines.containers() as any);
    const names = r.query.getAll('containers');
    let targets;
    try { targets = ops.statsTargets(names, false); } catch (e) { nf(e, 'container'); }
    const prev = new Map();
    const sample = () => {
      const stats = ops.stats(names.length ? targets! : ops.statsTargets([], false), prev);
      for (const x of stats) prev.set(x.ContainerID, x);
      return { Error: null, Stats: stats };
    };
    if (r.query.get('stream') === 'false') { r.send(200, sample()); return; }
    const res = r.res!;
    const interval = Math.max(1, Number(r.query.get('interval') ?? 5) || 5);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    let open = true;
    res.once('close', () => { open = false; });
    while (open) {
      res.write(JSON.stringify(sample()) + '\n');
      await new Promise((resolve) => setTimeout(resolve, interval * 1000));
    }
  });
  router.post('/libpod/containers/create', async (r) => {
    const o = specToCreate(await r.json());
    const { id, warnings } = await r.engines.containers().create(o);
    r.send(201, { Id: id, Warnings: warnings });
  });
  // pier's own (podman 4.3's remote client cannot clone): the CLI's CloneOptions as JSON.
  router.post('/libpod/containers/{name}/clone', async (r) => {
    const b = (await r.json()) ?? {};
    const o: CloneOptions = {
      name: typeof b.name === 'string' ? b.name : undefined, image: typeof b.image === 'string' ? b.image : undefined,
      pod: typeof b.pod === 'string' ? b.pod : undefined, resources: b.resources && typeof b.resources === 'object' ? b.resources : undefined,
      destroy: b.destroy === true, force: b.force === true, run: b.run === true,
    };
    let made;
    try { made = await r.engines.containers().clone(r.params.name, o); } catch (e) { nf(e, 'container'); }
    r.send(201, { Id: made!.id, Warnings: made!.warnings });
  });
  router.get('/libpod/containers/{name}/json', async (r) => {
    try { r.send(200, await r.engines.containers().inspect(r.params.name, { size: queryBool(r, 'size') })); } catch (e) { nf(e, 'container'); }
  });
  router.get('/libpod/containers/{name}/exists', async (r) => {
    const found = await r.engines.containers().exists(r.params.name, { external: queryBool(r, 'external') });
    if (!found) throw new ApiError(404, 'no such container');
    r.send(204);
  });
  const simple = (verb: string, fn: (r: ApiRequest) => Promise<unknown>) => router.post(`/libpod/containers/{name}/${verb}`, async (r) => {
    try { await fn(r); } catch (e) { nf(e, 'container'); }
    r.send(204);
  });
  router.post('/libpod/containers/{name}/start', async (r) => {
    const ce = r.engines.containers() as import('../../domain/local/containers').LocalContainerEngine;
    let c;
    try { c = ce.lifecycle.sync(ce.containers.lookup(r.params.name)); } catch (e) { nf(e, 'container'); }
    if (c!.state.status === 'running') { r.send(304); return; }
    const { startContainer } = require('../docker/containers') as typeof import('../docker/containers');
    await startContainer(r, c!.id);
    r.send(204);
  });
  simple('stop', (r) => r.engines.containers().stop(r.params.name, { timeout: r.query.get('timeout') ?? r.query.get('t') ? Number(r.query.get('timeout') ?? r.query.get('t')) : undefined }));
  simple('kill', (r) => r.engines.containers().kill(r.params.name, r.query.get('signal') || 'SIGKILL'));
  simple('restart', (r) => r.engines.containers().restart(r.params.name, { timeout: r.query.get('t') ? Number(r.query.get('t')) : undefined }));
  simple('pause', (r) => r.engines.containers().pause(r.params.name));
  simple('unpause', (r) => r.engines.containers().unpause(r.params.name));
  simple('init', (r) => r.engines.containers().init(r.params.name));
  simple('rename', (r) => r.engines.containers().rename(r.params.name, r.query.get('name') ?? ''));
  router.post('/libpod/containers/{name}/wait', async (r) => {
    try {
      const conds = r.query.getAll('condition');
      const code = await r.engines.containers().wait(r.params.name, { conditions: conds.length ? conds : undefined, interval: 50 });
      r.send(200, code);
    } catch (e) {
      // A container this service removed (--rm) after it exited: its recorded exit code.
      const { serviceState } = require('../docker/service-state') as typeof import('../docker/service-state');
      const seen = serviceState.exits.get(r.params.name);
      if (e instanceof NotFoundError && seen) { r.send(200, seen.code); return; }
      nf(e, 'container');
    }
  });
  router.delete('/libpod/containers/{name}', async (r) => {
    try {
      const ids = await r.engines.containers().remove(r.params.name, { force: queryBool(r, 'force'), volumes: queryBool(r, 'v'), ignore: queryBool(r, 'ignore'), timeout: r.query.get('timeout') ? Number(r.query.get('timeout')) : undefined, depend: queryBool(r, 'depend') });
      r.send(200, ids.map((Id) => ({ Id, Err: null })));
    } catch (e) {
      // rm --depend: a report per container, podman's shape.
      if (e instanceof PartialRemoveError) {
        r.send(200, [...e.removed.map((Id) => ({ Id, Err: null })), ...e.failures.map((f) => ({ Id: f.id, Err: f.error.message, pier_exit_code: f.error.exitCode }))]);
        return;
      }
      nf(e, 'container');
    }
  });
  router.get('/libpod/containers/{name}/logs', async (r) => {
    try { await streamLogs(r, [r.params.name]); } catch (e) {
      // podman's service words it as its compat handler does.
      const { NoLogsError } = require('../../domain/local/containers') as typeof import('../../domain/local/containers');
      if (e instanceof NoLogsError) throw new ApiError(500, `failed to obtain logs for Container '${e.container}': ${e.message}`);
      nf(e, 'container');
    }
  });
  router.post('/libpod/containers/{name}/attach', async (r) => {
    // A running container's streams now; a created one's when it starts (POST .../start), as
    // podman-remote's run and start --attach use it. The connection ends when the streams close
    // (the container exited, or the user detached with the detach keys).
    const ce = r.engines.containers() as import('../../domain/local/containers').LocalContainerEngine;
    let c;
    try { c = ce.lifecycle.sync(ce.containers.lookup(r.params.name)); } catch (e) { nf(e, 'container'); }
    const running = c!.state.status === 'running';
    if (!running && !['created', 'configured', 'exited', 'stopped', 'initialized'].includes(c!.state.status)) {
      throw new ApiError(409, `you can only attach to running containers: container state improper`);
    }
    const tty = !!c!.config.create.tty;
    const detachKeys = r.query.get('detachKeys') ?? '';
    const { attachQuery, attachLogs } = require('../docker/containers') as typeof import('../docker/containers');
    const ao = attachQuery(r);
    const sock = r.hijack(tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream');
    const stdin = ao.stdin ? new PassThrough() : null;
    if (stdin) sock.pipe(stdin); else sock.resume();
    const w = (n: 1 | 2, on: boolean) => new Writable({ write(ch: Buffer, _e, cb) { if (on && !sock.destroyed && !sock.writableEnded) sock.write(tty ? ch : frame(n, ch)); cb(); } });
    const stdout = w(1, ao.stdout);
    const stderr = w(2, ao.stderr);
    if (await attachLogs(r, c!.id, ao, stdout, stderr, sock)) return;
    if (!running) {
      const { pendingAttach } = require('../docker/containers') as typeof import('../docker/containers');
      const list = pendingAttach.get(c!.id) ?? [];
      list.push({ stdin, stdout, stderr, socket: sock, detachKeys });
      pendingAttach.set(c!.id, list);
      sock.on('close', () => {
        const l = pendingAttach.get(c!.id);
        if (l) pendingAttach.set(c!.id, l.filter((x) => x.socket !== sock));
      });
      await new Promise<void>((resolve) => sock.on('close', () => resolve()));
      return;
    }
    try {
      const { attach } = require('../../engine/attach') as typeof import('../../engine/attach');
      const { containerDirs } = require('../../engine/rootfs') as typeof import('../../engine/rootfs');
      const session = await attach({ dir: containerDirs(ce.store, c!.id).userdata, stdin, stdout, stderr, detachKeys });
      sock.on('close', () => session.detach());
      await session.done;
    } catch (e) {
      if (!sock.destroyed) sock.write(tty ? Buffer.from(`Error: ${errorMessage(e)}\n`) : frame(2, `Error: ${errorMessage(e)}\n`));
    }
    if (!sock.destroyed) sock.end();
  });
  router.post('/libpod/containers/{name}/resize', async (r) => {
    const ce = r.engines.containers() as import('../../domain/local/containers').LocalContainerEngine;
    const { resizeOrKeep } = require('../../engine/attach') as typeof import('../../engine/attach');
    const { containerDirs } = require('../../engine/rootfs') as typeof import('../../engine/rootfs');
    try { resizeOrKeep(containerDirs(ce.store, ce.containers.lookup(r.params.name).id).userdata, Number(r.query.get('h')), Number(r.query.get('w'))); } catch { /* not a tty */ }
    r.send(200, {});
  });

  // ----- images
  router.get('/libpod/images/json', async (r) => r.send(200, await r.engines.images().list({ all: queryBool(r, 'all'), filters: filtersOf(r) })));
  router.get('/libpod/images/{name*}/json', async (r) => {
    try { r.send(200, await r.engines.images().inspect(r.params.name)); } catch (e) { nf(e, 'image'); }
  });
  router.get('/libpod/images/{name*}/exists', async (r) => {
    if (!(await r.engines.images().exists(r.params.name))) throw new ApiError(404, `failed to find image ${r.params.name}`, `failed to find image ${r.params.name}`);
    r.send(204);
  });
  // podman's HistoryResponse (its compat handler's): Created in unix seconds, Tags null when none.
  router.get('/libpod/images/{name*}/history', async (r) => {
    let h;
    try { h = await r.engines.images().history(r.params.name); } catch (e) { nf(e, 'image'); }
    r.send(200, h!.map((e) => ({ Id: e.id, Created: e.created, CreatedBy: e.createdBy, Tags: e.tags.length ? e.tags : null, Size: e.size, Comment: e.comment })));
  });
  router.post('/libpod/images/{name*}/tag', async (r) => {
    try { await r.engines.images().tag(r.params.name, [`${r.query.get('repo')}${r.query.get('tag') ? ':' + r.query.get('tag') : ''}`]); } catch (e) { nf(e, 'image'); }
    r.send(201);
  });
  router.post('/libpod/images/{name*}/untag', async (r) => {
    try { await r.engines.images().untag(r.params.name, r.query.get('repo') ? [`${r.query.get('repo')}:${r.query.get('tag') ?? 'latest'}`] : []); } catch (e) { nf(e, 'image'); }
    r.send(201);
  });
  router.delete('/libpod/images/remove', async (r) => {
    const rep = await r.engines.images().remove(r.query.getAll('images'), { force: queryBool(r, 'force'), all: queryBool(r, 'all'), ignore: queryBool(r, 'ignore') });
    r.send(200, removeReport(rep));
  });
  // One image: the report, or the errors as 404 (no such image), 409 (in use) or 500 (as podman).
  router.delete('/libpod/images/{name*}', async (r) => {
    const rep = await r.engines.images().remove([r.params.name], { force: queryBool(r, 'force') });
    if (rep.exitCode === 0) { r.send(200, removeReport(rep)); return; }
    throw new ApiError(rep.exitCode === 1 ? 404 : rep.exitCode === 2 ? 409 : 500, rep.errors.join('\n'), rep.exitCode === 2 ? IMAGE_IN_USE : undefined);
  });
  router.post('/libpod/images/pull', async (r) => {
    const ref = r.query.get('reference');
    if (!ref) throw new ApiError(400, 'reference is required');
    // policy (podman-remote's run/create send missing): a local image answers without pulling.
    const policy = r.query.get('policy') || 'always';
    if (!['always', 'missing', 'never', 'newer'].includes(policy)) throw new ApiError(400, `unsupported pull policy "${policy}"`);
    if (policy === 'missing' || policy === 'never') {
      let id: string | undefined;
      try { id = String((await r.engines.images().inspect(ref)).Id); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
      if (id || policy === 'never') {
        if (!id) throw new ApiError(404, `${ref}: image not known`);
        r.send(200, { id, images: [id] });
        return;
      }
    }
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\n'); };
    try {
      const { registryQuery } = require('./images') as typeof import('./images');
      const arch = r.query.get('arch') || undefined;
      const os = r.query.get('os') || undefined;
      const variant = r.query.get('variant') || undefined;
      const retry = r.query.get('retry');
      const ids = await r.engines.images().pull(ref, {
        ...registryQuery(r), allTags: queryBool(r, 'allTags'), platform: arch || os || variant ? { arch, os, variant } : undefined,
        retry: retry ? Number(retry) : undefined,
        progress: queryBool(r, 'quiet') ? undefined : { line: (l: string) => send({ stream: l + '\n' }) },
      });
      send({ id: ids[0], images: ids });
    } catch (e) {
      send({ error: errorMessage(e) });
    }
    res.end();
  });

  // ----- volumes
  router.get('/libpod/volumes/json', async (r) => r.send(200, await r.engines.volumes().list(filtersOf(r))));
  router.post('/libpod/volumes/create', async (r) => {
    const b = (await r.json()) ?? {};
    // Label is podman's older name for Labels (merged, Labels winning).
    const labels = b.Label || b.Labels ? { ...b.Label, ...b.Labels } : undefined;
    let v;
    try {
      v = await r.engines.volumes().create({ name: b.Name || undefined, driver: b.Driver || undefined, labels, options: b.Options, ignoreIfExists: !!b.IgnoreIfExists });
    } catch (e) {
      // podman answers a taken name with a 500 (its compat endpoint returns the volume).
      if (e instanceof ConflictError) throw new ApiError(500, errorMessage(e), 'volume already exists');
      throw e;
    }
    r.send(201, v);
  });
  router.get('/libpod/volumes/{name}/json', async (r) => {
    try { r.send(200, await r.engines.volumes().inspect(r.params.name)); } catch (e) { nf(e, 'volume'); }
  });
  router.get('/libpod/volumes/{name}/exists', async (r) => {
    if (!(await r.engines.volumes().exists(r.params.name))) throw new ApiError(404, 'no such volume');
    r.send(204);
  });
  router.delete('/libpod/volumes/{name}', async (r) => {
    try { await r.engines.volumes().remove(r.params.name, { force: queryBool(r, 'force') }); } catch (e) { nf(e, 'volume'); }
    r.send(204);
  });
  router.get('/libpod/volumes/{name}/export', async (r) => {
    if (!(await r.engines.volumes().exists(r.params.name))) throw new ApiError(404, `no such volume ${r.params.name}`);
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await r.engines.volumes().export(r.params.name, res);
    res.end();
  });
  router.post('/libpod/volumes/{name}/import', async (r) => {
    if (!(await r.engines.volumes().exists(r.params.name))) throw new ApiError(404, `no such volume ${r.params.name}`);
    await r.engines.volumes().import(r.params.name, r.req);
    r.send(204);
  });
  router.post('/libpod/containers/prune', async (r) => {
    const { pruneContainers } = require('../docker/containers') as typeof import('../docker/containers');
    r.send(200, await pruneContainers(r));
  });
  router.post('/libpod/volumes/prune', async (r) => r.send(200, (await r.engines.volumes().prune(filtersOf(r))).map((Id) => ({ Id, Size: 0 }))));

  // ----- pods
  router.get('/libpod/pods/json', async (r) => r.send(200, await r.engines.pods().list({ filters: filtersOf(r) })));
  router.post('/libpod/pods/create', async (r) => {
    const b = (await r.json()) ?? {};
    r.send(201, { Id: await r.engines.pods().create(specToPodCreate(b)) });
  });
  // podman's pod top: the running containers' processes as one table ({Titles, Processes}); with
  // stream, again every `delay` seconds until the client hangs up.
  router.get('/libpod/pods/{name}/top', async (r) => {
    const delay = schemaInt(r, 'delay') ?? 5;
    const stream = queryBool(r, 'stream');
    if (delay < 1) throw new ApiError(400, `"delay" parameter of value ${delay} < 1`);
    const args = (r.query.get('ps_args') ?? '').split(/\s+/).filter(Boolean);
    let ids: string[];
    try { ids = await r.engines.pods().containerIds(r.params.name); } catch (e) { nf(e, 'pod'); }
    const { LocalContainerOps } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
    const ce = r.engines.containers() as import('../../domain/local/containers').LocalContainerEngine;
    const ops = new LocalContainerOps(ce as any);
    const table = async () => {
      let titles: string[] | undefined;
      const processes: string[][] = [];
      for (const id of ids!) {
        if (ce.lifecycle.sync(ce.containers.get(id)!).state.status !== 'running') continue;
        const rows = (await ops.top(id, args)).map((row) => row.map((cell) => cell.trim()));
        titles ??= rows[0];
        processes.push(...rows.slice(1));
      }
      return titles ? { Processes: processes, Titles: titles } : undefined;
    };
    const first = await table();
    if (!stream) { r.send(200, first); return; }
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    for (let body = first; !res.destroyed; body = await table()) {
      if (body) res.write(JSON.stringify(body) + '\n');
      await new Promise((done) => setTimeout(done, delay * 1000));
    }
  });
  router.get('/libpod/pods/{name}/json', async (r) => {
    try { r.send(200, await r.engines.pods().inspect(r.params.name)); } catch (e) { nf(e, 'pod'); }
  });
  // pier's own (as its container clone endpoint): pod clone's options as JSON, `changes` as PodCreateOptions.
  router.post('/libpod/pods/{name}/clone', async (r) => {
    const b = (await r.json()) ?? {};
    const o = {
      name: typeof b.name === 'string' ? b.name : undefined, start: b.start === true, destroy: b.destroy === true,
      changes: b.changes && typeof b.changes === 'object' && !Array.isArray(b.changes) ? b.changes : undefined,
    };
    let id: string;
    try { id = await r.engines.pods().clone(r.params.name, o); } catch (e) { nf(e, 'pod'); }
    r.send(201, { Id: id! });
  });
  router.post('/libpod/pods/prune', async (r) => r.send(200, (await r.engines.pods().prune()).map((Id) => ({ Id, Err: null }))));
  router.get('/libpod/pods/{name}/exists', async (r) => {
    if (!(await r.engines.pods().exists(r.params.name))) throw new ApiError(404, `no pod with name or ID ${r.params.name} found: no such pod`);
    r.send(204);
  });
  // podman's pod reports: the pod's full ID, Errs null unless a container failed (then a 409);
  // start on a running pod and stop on one that is not are 304s.
  // fn reads the query first (a bad value is a 400 before any lookup, as podman's decoder).
  const podVerb = (verb: string, fn: (r: ApiRequest) => () => Promise<PodReport | void>, unchanged?: (state: string) => boolean) => router.post(`/libpod/pods/{name}/${verb}`, async (r) => {
    const run = fn(r);
    let info: Record<string, unknown>;
    try { info = await r.engines.pods().inspect(r.params.name); } catch (e) { nf(e, 'pod'); }
    if (unchanged?.(String(info!.State))) { r.send(304); return; }
    let rep: PodReport | void;
    try { rep = await run(); } catch (e) { nf(e, 'pod'); }
    const errs = rep?.Errs?.length ? rep.Errs : null;
    r.send(errs ? 409 : 200, { Id: info!.Id, Errs: errs });
  });
  podVerb('start', (r) => () => r.engines.pods().start(r.params.name), (state) => state === 'Running');
  podVerb('stop', (r) => {
    const t = schemaInt(r, 't');
    return () => r.engines.pods().stop(r.params.name, { timeout: t ? t : undefined });
  }, (state) => state !== 'Running');
  podVerb('restart', (r) => () => r.engines.pods().restart(r.params.name));
  podVerb('kill', (r) => () => r.engines.pods().kill(r.params.name, r.query.get('signal') || 'SIGKILL'));
  podVerb('pause', (r) => () => r.engines.pods().pause(r.params.name));
  podVerb('unpause', (r) => () => r.engines.pods().unpause(r.params.name));
  router.delete('/libpod/pods/{name}', async (r) => {
    try {
      const rep = await r.engines.pods().remove(r.params.name, { force: queryBool(r, 'force'), timeout: r.query.get('t') ? Number(r.query.get('t')) : undefined });
      r.send(200, rep ?? { Id: r.params.name, RemovedCtrs: [] });
    } catch (e) { nf(e, 'pod'); }
  });

  // ----- system
  router.get('/libpod/info', async (r) => {
    const { systemInfo } = require('../../domain/local/system-info') as typeof import('../../domain/local/system-info');
    r.send(200, await systemInfo(r.cfg, r.engines.images() as any, r.engines.containers() as any));
  });
}
