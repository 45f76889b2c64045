// Docker Engine API: containers (create, start, attach, wait, logs, inspect, list, stop, kill,
// restart, pause, unpause, rename, top, resize, delete, prune) and exec sessions, over the
// domain's ContainerEngine plus the local engine's attach/start hooks for hijacked connections.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable, Duplex } from 'node:stream';
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { queryBool } from '../query-params';
import type { CreateOptions, ContainerSummary } from '../../domain/containers';
import type { LocalContainerEngine } from '../../domain/local/containers';
import { NotFoundError, ConflictError, errorMessage } from '../../util/errors';
import { randomId } from '../../util/digest';
import { signalName } from '../../util/signals';
import type { AttachSession } from '../../engine/attach';
import { serviceState } from './service-state';
import { containerLogs } from './container-logs';
import { validateCreateBody } from './create-validate';
import { dockerInspect as dockerContainerJSON } from './container-shape';
import { goMap } from '../../util/gomap';
import { commandLine } from '../../util/argv';
import { clientAnnotations } from '../../engine/annotations';

const RAW = 'application/vnd.docker.raw-stream';
const MUX = 'application/vnd.docker.multiplexed-stream';

function local(r: ApiRequest): LocalContainerEngine {
  return r.engines.containers() as LocalContainerEngine;
}

/** Docker's stream framing: [stream, 0, 0, 0, size (BE32)] + payload. */
export function frame(stream: 1 | 2, data: Buffer | string): Buffer {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(b.length, 4);
  return Buffer.concat([h, b]);
}

function sink(out: Duplex | NodeJS.WritableStream, stream: 1 | 2, mux: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _e, cb) {
      if ((out as Duplex).destroyed) { cb(); return; }
      out.write(mux ? frame(stream, chunk) : chunk);
      cb();
    },
  });
}

const bool = (v: string | null, dflt = false) => (v === null ? dflt : v === '1' || v === 'true' || v === 'True');

/** `{"status":["running"],"label":["a=b"]}` → our `key=value` filters. */
export function dockerFilters(q: string | null): string[] {
  if (!q) return [];
  let f: Record<string, string[] | Record<string, boolean>>;
  try { f = JSON.parse(q); } catch { throw new ApiError(400, `invalid filter: ${q}`); }
  const out: string[] = [];
  for (const [k, v] of Object.entries(f ?? {})) {
    const values = Array.isArray(v) ? v : Object.keys(v).filter((x) => (v as Record<string, boolean>)[x]);
    for (const x of values) out.push(`${k}=${x}`);
  }
  return out;
}

function ns(n: unknown): number | undefined {
  return typeof n === 'number' && n > 0 ? n / 1e9 : undefined;
}

/** A Docker create body → the domain's create options. */
export function createOptionsFromDocker(body: any, name: string | null): CreateOptions {
  validateCreateBody(body);
  if (typeof body.Image !== 'string' || !body.Image) throw new ApiError(400, 'Config.Image is required');
  const hc = body.HostConfig ?? {};
  const str = (v: unknown, what: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    throw new ApiError(400, `json: cannot unmarshal ${typeof v} into Go struct field ${what} of type []string`);
  };
  const o: CreateOptions = {
    image: body.Image,
    command: str(body.Cmd, 'Config.Cmd') ?? [],
    entrypoint: str(body.Entrypoint, 'Config.Entrypoint'),
    name: name ?? undefined,
    env: str(body.Env, 'Config.Env'),
    labels: body.Labels ?? undefined,
    workdir: body.WorkingDir || undefined,
    // Docker makes a missing working directory (podman's compat API too).
    createWorkdir: body.WorkingDir ? true : undefined,
    user: body.User || undefined,
    hostname: body.Hostname || undefined,
    tty: !!body.Tty,
    interactive: !!body.OpenStdin,
    stopSignal: body.StopSignal || undefined,
    stopTimeout: typeof body.StopTimeout === 'number' ? body.StopTimeout : undefined,
    expose: body.ExposedPorts ? Object.keys(body.ExposedPorts) : undefined,
    rm: !!hc.AutoRemove,
    privileged: !!hc.Privileged,
    capAdd: hc.CapAdd ?? undefined,
    capDrop: hc.CapDrop ?? undefined,
    memory: hc.Memory || undefined,
    memorySwap: hc.MemorySwap || undefined,
    memorySwappiness: typeof hc.MemorySwappiness === 'number' && hc.MemorySwappiness >= 0 ? hc.MemorySwappiness : undefined,
    cpus: hc.NanoCpus ? hc.NanoCpus / 1e9 : undefined,
    cpuShares: hc.CpuShares || undefined,
    pidsLimit: hc.PidsLimit || undefined,
    cpuPeriod: hc.CpuPeriod > 0 ? hc.CpuPeriod : undefined,
    cpuQuota: hc.CpuQuota > 0 ? hc.CpuQuota : undefined,
    cpuRtPeriod: hc.CpuRealtimePeriod > 0 ? hc.CpuRealtimePeriod : undefined,
    cpuRtRuntime: hc.CpuRealtimeRuntime > 0 ? hc.CpuRealtimeRuntime : undefined,
    blkioWeight: hc.BlkioWeight || undefined,
    blkioWeightDevice: hc.BlkioWeightDevice?.length ? hc.BlkioWeightDevice.map((d: any) => `${d.Path}:${d.Weight}`) : undefined,
    deviceReadBps: hc.BlkioDeviceReadBps?.length ? hc.BlkioDeviceReadBps.map((d: any) => `${d.Path}:${d.Rate}`) : undefined,
    deviceWriteBps: hc.BlkioDeviceWriteBps?.length ? hc.BlkioDeviceWriteBps.map((d: any) => `${d.Path}:${d.Rate}`) : undefined,
    deviceReadIops: hc.BlkioDeviceReadIOps?.length ? hc.BlkioDeviceReadIOps.map((d: any) => `${d.Path}:${d.Rate}`) : undefined,
    deviceWriteIops: hc.BlkioDeviceWriteIOps?.length ? hc.BlkioDeviceWriteIOps.map((d: any) => `${d.Path}:${d.Rate}`) : undefined,
    oomKillDisable: hc.OomKillDisable || undefined,
    deviceCgroupRules: hc.DeviceCgroupRules?.length ? hc.DeviceCgroupRules : undefined,
    dns: hc.Dns?.length ? hc.Dns : undefined,
    dnsSearch: hc.DnsSearch?.length ? hc.DnsSearch : undefined,
    dnsOption: hc.DnsOptions?.length ? hc.DnsOptions : undefined,
    addHost: hc.ExtraHosts?.length ? hc.ExtraHosts : undefined,
    readOnly: !!hc.ReadonlyRootfs,
    securityOpt: hc.SecurityOpt?.length ? hc.SecurityOpt : undefined,
    init: !!hc.Init,
    shmSize: hc.ShmSize || undefined,
    sysctl: hc.Sysctls ? Object.entries(hc.Sysctls).map(([k, v]) => `${k}=${v}`) : undefined,
    ipc: hc.IpcMode || undefined,
    userns: hc.UsernsMode && hc.UsernsMode !== 'host' ? String(hc.UsernsMode) : undefined,
    pid: hc.PidMode || undefined,
    uts: hc.UTSMode || undefined,
    logDriver: hc.LogConfig?.Type && hc.LogConfig.Type !== 'json-file' ? hc.LogConfig.Type : undefined,
    publishAll: !!hc.PublishAllPorts,
    ulimits: hc.Ulimits?.length ? hc.Ulimits.map((u: any) => `${u.Name}=${u.Soft}:${u.Hard}`) : undefined,
    restart: hc.RestartPolicy?.Name ? { name: hc.RestartPolicy.Name, maximumRetryCount: hc.RestartPolicy.MaximumRetryCount ?? 0 } : undefined,
    // Config.Volumes lists every mount point, Binds/Mounts/Tmpfs included: only the rest are anonymous volumes.
    volumes: [...(hc.Binds ?? []), ...Object.keys(body.Volumes ?? {}).filter((d) => !(hc.Binds ?? []).some((b: string) => b.split(':')[1] === d)
      && !(hc.Mounts ?? []).some((m: any) => m.Target === d) && !(d in (hc.Tmpfs ?? {})))],
    mounts: (hc.Mounts ?? []).map((m: any) => {
      const parts = [`type=${(m.Type ?? 'bind').toLowerCase()}`];
      if (m.Source) parts.push(`source=${m.Source}`);
      parts.push(`destination=${m.Target}`);
      if (m.ReadOnly) parts.push('ro');
      if (m.TmpfsOptions?.SizeBytes) parts.push(`tmpfs-size=${m.TmpfsOptions.SizeBytes}`);
      return parts.join(',');
    }),
    tmpfs: hc.Tmpfs ? Object.entries(hc.Tmpfs).map(([p, opts]) => (opts ? `${p}:${opts}` : p)) : undefined,
    volumesFrom: hc.VolumesFrom?.length ? hc.VolumesFrom : undefined,
    pull: 'never',
  };
  if (body.Healthcheck?.Test?.length) {
    if (body.Healthcheck.Test[0] === 'NONE') o.noHealthcheck = true;
    else o.healthcheck = { Test: body.Healthcheck.Test, Interval: body.Healthcheck.Interval, Timeout: body.Healthcheck.Timeout, StartPeriod: body.Healthcheck.StartPeriod, Retries: body.Healthcheck.Retries };
  }
  const publish: string[] = [];
  for (const [port, bindings] of Object.entries(hc.PortBindings ?? {})) {
    for (const b of (bindings as any[]) ?? [{}]) {
      // HostPort "" or "0": a random host port.
      const hp = b?.HostPort && b.HostPort !== '0' ? b.HostPort : '';
      const ip = b?.HostIp && b.HostIp !== '0.0.0.0' ? (b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp) : '';
      publish.push(ip ? `${ip}:${hp}:${port}` : hp ? `${hp}:${port}` : port);
    }
  }
  if (publish.length) o.publish = publish;
  const mode: string = hc.NetworkMode ?? '';
  const endpoints: Record<string, any> = body.NetworkingConfig?.EndpointsConfig ?? {};
  if (mode && mode !== 'default' && mode !== 'bridge') {
    if (/^(host|none|container:.+|ns:.+)$/.test(mode)) o.network = mode;
    else o.networks = [mode];
  }
  const eps = Object.entries(endpoints).filter(([n]) => n !== 'bridge' && n !== 'default');
  if (eps.length) {
    o.networks = eps.map(([n, e]) => {
      const opts: string[] = [];
      for (const a of e?.Aliases ?? []) opts.push(`alias=${a}`);
      if (e?.IPAMConfig?.IPv4Address) opts.push(`ip=${e.IPAMConfig.IPv4Address}`);
      if (e?.IPAMConfig?.IPv6Address) opts.push(`ip6=${e.IPAMConfig.IPv6Address}`);
      return opts.length ? `${n}:${opts.join(',')}` : n;
    });
  }
  // podman's compat handler fills the spec as its CLI does: the service's own command line and the client's annotations.
  o.createCommand = commandLine();
  o.annotations = clientAnnotations(o);
  for (const k of Object.keys(o) as (keyof CreateOptions)[]) if (o[k] === undefined) delete o[k];
  if (!o.volumes?.length) delete o.volumes;
  if (!o.mounts?.length) delete o.mounts;
  return o;
}

function dockerState(status: string): string {
  return ({ configured: 'created', initialized: 'created', stopped: 'exited', stopping: 'running', removing: 'removing' } as Record<string, string>)[status] ?? status;
}

function dockerStatus(c: ContainerSummary, now = Date.now()): string {
  const { humanDuration } = require('../../cli/format/units') as typeof import('../../cli/format/units');
  const since = (t: number) => humanDuration(now - t * 1000);
  switch (c.State) {
    case 'running': return `Up ${since(c.StartedAt)}${health(c)}`;
    case 'paused': return `Up ${since(c.StartedAt)} (Paused)`;
    case 'exited': case 'stopped': return `Exited (${c.ExitCode}) ${since(c.ExitedAt)} ago`;
    default: return 'Created';
  }
}

/** Docker's health suffix of a running container's status: ` (healthy)`, ` (health: starting)`. */
function health(c: ContainerSummary): string {
  const h = / \((healthy|unhealthy|starting)\)$/.exec(c.Status ?? '')?.[1];
  return !h ? '' : h === 'starting' ? ' (health: starting)' : ` (${h})`;
}

export function listEntry(c: ContainerSummary): Record<string, unknown> {
  const ports = ((c.Ports ?? []) as any[]).flatMap((p) => Array.from({ length: p.range || 1 }, (_, i) => ({
    IP: p.host_ip || '0.0.0.0', PrivatePort: p.container_port + i, PublicPort: p.host_port + i, Type: p.protocol,
  })));
  return {
    Id: c.Id, Names: c.Names.map((n) => `/${n}`), Image: c.Image, ImageID: c.ImageID ? `sha256:${c.ImageID}` : '',
    Command: (c.Command ?? []).join(' '), Created: c.Created, Ports: ports, Labels: goMap(c.Labels),
    State: dockerState(c.State), Status: dockerStatus(c),
    HostConfig: { NetworkMode: c.Networks?.length ? c.Networks[0] : 'default' },
    NetworkSettings: { Networks: goMap(Object.fromEntries((c.Networks ?? []).map((n) => [n, {}]))) },
    Mounts: (c.Mounts ?? []).map((m) => ({ Destination: m })),
    SizeRw: c.Size?.rwSize, SizeRootFs: c.Size?.rootFsSize,
  };
}

/** Attachments waiting for /start: the container's streams go to these connections (the Libpod API's too). */
/**
 * An attach's query as podman reads it (its compat and libpod endpoints share one handler): stdout and
 * stderr unless set false, stdin when set (never implied: a client's end would close the container's),
 * at least one; logs (replay the log first) and stream (default true; false: end after the log), at
 * least one.
 */
export function attachQuery(r: ApiRequest): { stdin: boolean; stdout: boolean; stderr: boolean; logs: boolean; stream: boolean } {
  const o = {
    stdin: queryBool(r, 'stdin'), stdout: queryBool(r, 'stdout', true), stderr: queryBool(r, 'stderr', true),
    logs: queryBool(r, 'logs'), stream: queryBool(r, 'stream', true),
  };
  if (!o.stdin && !o.stdout && !o.stderr) throw new ApiError(400, 'at least one of stdin, stdout, stderr must be true');
  if (!o.stream && !o.logs) throw new ApiError(400, 'at least one of Logs or Stream must be set');
  return o;
}

/** Replays the container's log into an attach (logs=true); true when the attach ends there (stream=false). */
export async function attachLogs(r: ApiRequest, id: string, o: { logs: boolean; stream: boolean }, stdout: Writable, stderr: Writable, sock: Duplex): Promise<boolean> {
  if (o.logs) await r.engines.containers().logs([id], {}, { stdout: (b) => stdout.write(b), stderr: (b) => stderr.write(b) });
  if (o.stream) return false;
  if (!sock.destroyed) sock.end();
  return true;
}

/** Removes the stopped containers the prune filters select: podman's PruneReports (Err when a removal failed). */
export async function pruneContainers(r: ApiRequest): Promise<{ Id: string; Size: number; Err?: string }[]> {
  const ce = local(r);
  const { containerPruneFilter, dirSize } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
  const { containerDirs } = require('../../engine/rootfs') as typeof import('../../engine/rootfs');
  const keep = containerPruneFilter(dockerFilters(r.query.get('filters')));
  const out: { Id: string; Size: number; Err?: string }[] = [];
  for (const c0 of ce.containers.list()) {
    const c = ce.lifecycle.sync(c0);
    if (!['exited', 'created', 'stopped', 'configured'].includes(c.state.status) || c.config.isInfra || !keep(c)) continue;
    const size = dirSize(containerDirs(ce.store, c.id).diff);
    await ce.remove(c.id, { force: false }).then(() => { out.push({ Id: c.id, Size: size }); }, (e) => { out.push({ Id: c.id, Size: 0, Err: errorMessage(e) }); });
  }
  return out;
}

export const pendingAttach = new Map<string, { stdin: NodeJS.ReadableStream | null; stdout: Writable; stderr: Writable; socket: Duplex; detachKeys?: string }[]>();

async function findId(r: ApiRequest): Promise<string> {
  try {
    return local(r).containers.lookup(r.params.id.replace(/^\//, '')).id;
  } catch (e) {
    if (e instanceof NotFoundError) throw new ApiError(404, `No such container: ${r.params.id}`);
    throw e;
  }
}

export async function startContainer(r: ApiRequest, id: string): Promise<void> {
  const ce = local(r);
  const waiting = pendingAttach.get(id) ?? [];
  pendingAttach.delete(id);
  serviceState.prepareStart(ce, id);
  try {
    await startOnce(ce, id, waiting);
  } catch (e) {
    await serviceState.startFailed(ce, id);
    throw e;
  }
  // An auto-removed container is cleaned up and removed by this process as soon as it exits.
  serviceState.watch(ce, id);
}

async function startOnce(ce: LocalContainerEngine, id: string, waiting: NonNullable<ReturnType<typeof pendingAttach.get>>): Promise<void> {
  const { attach } = require('../../engine/attach') as typeof import('../../engine/attach');
  await ce.lifecycle.start(id, waiting.length ? {
    beforeStart: async (_c, bundle) => {
      for (const w of waiting) {
        const session = await attach({ dir: bundle, stdin: w.stdin, stdout: w.stdout, stderr: w.stderr, detachKeys: w.detachKeys ?? '' });
        session.done.then(() => w.socket.end(), () => w.socket.destroy());
        w.socket.on('close', () => session.detach());
      }
    },
  } : {});
}

/**
 * Stops a container that is not running: marks it stopped by the user so no restart follows. A
 * restart already under way (its exit's cleanup decided before the mark) is waited for a moment
 * and stopped. True when it had to be stopped.
 */
async function stopBetweenRestarts(r: ApiRequest, id: string, policy: string, timeout?: number): Promise<boolean> {
  const ce = local(r);
  await ce.lifecycle.stop(id);
  if (!policy || policy === 'no') return false;
  for (let i = 0; i < 30; i++) {
    const rec = ce.containers.get(id);
    if (!rec) return false;
    const st = ce.lifecycle.sync(rec).state.status;
    if (st === 'running' || st === 'paused') { await ce.stop(id, { timeout }); return true; }
    await new Promise((res) => setTimeout(res, 100));
  }
  return false;
}

/** Waits for a condition; resolves with the exit code (removed containers: their last one). */
async function waitFor(r: ApiRequest, id: string, condition: string, abort: AbortSignal): Promise<number> {
  const ce = local(r);
  const { readExitCode } = require('../../engine/conmon') as typeof import('../../engine/conmon');
  const t0 = Date.now() - 1000;
  let seenRunning = false;
  let last = 0;
  for (;;) {
    if (abort.aborted) return last;
    const rec = ce.containers.get(id);
    if (!rec) return serviceState.exits.get(id)?.code ?? readExitCode(ce.lifecycle.exitDir, id) ?? last;
    const c = ce.lifecycle.sync(rec);
    const st = c.state.status;
    if (st === 'running' || st === 'paused' || st === 'stopping') seenRunning = true;
    const stopped = st === 'exited' || st === 'stopped';
    if (stopped) last = c.state.exitCode;
    if (condition === 'not-running' && (stopped || st === 'created' || st === 'configured')) return last;
    // next-exit: an exit after the wait began (a fast container may start and stop between two looks).
    if (condition === 'next-exit' && stopped && (seenRunning || (c.state.finishedAt && Date.parse(c.state.finishedAt) >= t0))) return last;
    await serviceState.nextChange(50, abort);
  }
}

const execs = new Map<string, { container: string; opts: any; running: boolean; exitCode: number | null; pid: number; session?: AttachSession; size?: { h: number; w: number } }>();

export function registerContainerRoutes(router: Router): void {
  router.post('/containers/create', async (r) => {
    const body = await r.json();
    const name = r.query.get('name');
    const o = createOptionsFromDocker(body, name);
    const ce = local(r);
    try { ce.images.lookup(o.image); } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, `No such image: ${o.image}`);
      throw e;
    }
    // As dockerd and podman's compat create: a bind source that is a missing host path is made (0755).
    for (const b of (body?.HostConfig?.Binds ?? []) as unknown[]) {
      const parts = String(b).split(':');
      if (parts.length > 1 && path.isAbsolute(parts[0]) && !fs.existsSync(parts[0])) fs.mkdirSync(parts[0], { recursive: true, mode: 0o755 });
    }
    try {
      const { id, warnings } = await ce.create(o);
      r.send(201, { Id: id, Warnings: warnings });
    } catch (e) {
      if (e instanceof ConflictError) throw new ApiError(409, `Conflict. ${(e as Error).message}`);
      // Not the image (looked up above): a network, a volumes-from container... The Docker CLI
      // takes a 404 from create for a missing image and would try to pull it (podman answers 500).
      if (e instanceof NotFoundError) throw new ApiError(500, `container create: ${(e as Error).message}`);
      throw e;
    }
  });

  router.get('/containers/json', async (r) => {
    const limit = Number(r.query.get('limit') ?? -1);
    // Docker: a limit (docker ps -l, -n N) counts stopped containers too.
    const all = bool(r.query.get('all')) || limit > 0;
    const filters = dockerFilters(r.query.get('filters'));
    let rows = await local(r).list({ all: all || filters.length > 0, size: bool(r.query.get('size')), filters });
    const { filterContainers } = require('../../cli/commands/containers') as typeof import('../../cli/commands/containers');
    if (filters.length) rows = filterContainers(rows, filters, { destinations: true });
    if (!all && filters.length) rows = rows.filter((c) => filters.some((f) => f.startsWith('status=')) || c.State === 'running' || c.State === 'paused');
    if (limit > 0) rows = rows.slice(0, limit);
    r.send(200, rows.map(listEntry));
  });

  router.get('/containers/{id}/json', async (r) => {
    const id = await findId(r);
    const ce = local(r);
    r.send(200, dockerContainerJSON(ce, ce.lifecycle.get(id), { size: bool(r.query.get('size')) }));
  });

  router.post('/containers/{id}/start', async (r) => {
    const id = await findId(r);
    const c = local(r).lifecycle.sync(local(r).containers.get(id)!);
    if (c.state.status === 'running') { r.send(304); return; }
    await startContainer(r, id);
    r.send(204);
  });

  router.post('/containers/{id}/stop', async (r) => {
    const id = await findId(r);
    const c = local(r).lifecycle.sync(local(r).containers.get(id)!);
    const t = r.query.get('t') ?? r.query.get('timeout');
    if (c.state.status !== 'running' && c.state.status !== 'paused') {
      // Between two runs of a restart policy: the stop still ends the restarts, as Docker's does.
      if (await stopBetweenRestarts(r, id, c.config.restart.name, t !== null ? Number(t) : undefined)) r.send(204);
      else r.send(304);
      return;
    }
    await local(r).stop(id, { timeout: t !== null ? Number(t) : undefined });
    r.send(204);
  });

  router.post('/containers/{id}/restart', async (r) => {
    const id = await findId(r);
    const t = r.query.get('t');
    await local(r).restart(id, { timeout: t !== null ? Number(t) : undefined });
    r.send(204);
  });

  router.post('/containers/{id}/kill', async (r) => {
    const id = await findId(r);
    const c = local(r).lifecycle.sync(local(r).containers.get(id)!);
    if (c.state.status !== 'running' && c.state.status !== 'paused') throw new ApiError(409, `Container ${id} is not running`);
    await local(r).kill(id, r.query.get('signal') || 'KILL');
    r.send(204);
  });

  router.post('/containers/{id}/pause', async (r) => { await local(r).pause(await findId(r)); r.send(204); });
  router.post('/containers/{id}/unpause', async (r) => { await local(r).unpause(await findId(r)); r.send(204); });

  router.post('/containers/{id}/rename', async (r) => {
    const name = r.query.get('name');
    if (!name) throw new ApiError(400, 'name is required');
    await local(r).rename(await findId(r), name);
    r.send(204);
  });

  router.post('/containers/{id}/resize', async (r) => {
    const id = await findId(r);
    const { resizeOrKeep } = require('../../engine/attach') as typeof import('../../engine/attach');
    const { containerDirs } = require('../../engine/rootfs') as typeof import('../../engine/rootfs');
    try { resizeOrKeep(containerDirs(local(r).store, id).userdata, Number(r.query.get('h')), Number(r.query.get('w'))); } catch { /* not a tty */ }
    r.send(200, {});
  });

  router.post('/containers/{id}/wait', async (r) => {
    const id = await findId(r);
    const condition = r.query.get('condition') ?? 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new ApiError(400, `invalid condition: ${condition}`);
    const abort = new AbortController();
    r.req.socket.on('close', () => abort.abort());
    // Headers go out at once (the Docker CLI waits for them before starting the container).
    r.res!.writeHead(200, { 'Content-Type': 'application/json' });
    r.res!.flushHeaders();
    let code: number;
    if (condition === 'removed') {
      code = await waitFor(r, id, 'next-exit', abort.signal);
      while (!abort.signal.aborted && local(r).containers.get(id)) await serviceState.nextChange(50, abort.signal);
    } else code = await waitFor(r, id, condition, abort.signal);
    r.res!.end(JSON.stringify({ StatusCode: code, Error: null }) + '\n');
  });

  router.delete('/containers/{id}', async (r) => {
    const id = await findId(r);
    const force = bool(r.query.get('force'));
    const c = local(r).lifecycle.sync(local(r).containers.get(id)!);
    if (!force && (c.state.status === 'running' || c.state.status === 'paused')) {
      throw new ApiError(409, `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`);
    }
    await local(r).remove(id, { force, volumes: bool(r.query.get('v')), timeout: 0 });
    r.send(204);
  });

  router.post('/containers/prune', async (r) => {
    const pruned = (await pruneContainers(r)).filter((p) => !p.Err);
    r.send(200, { ContainersDeleted: pruned.length ? pruned.map((p) => p.Id) : null, SpaceReclaimed: pruned.reduce((n, p) => n + p.Size, 0) });
  });

  router.get('/containers/{id}/top', async (r) => {
    const id = await findId(r);
    const { LocalContainerOps } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
    const ops = new LocalContainerOps(local(r) as any);
    // podman's Docker endpoint runs `ps -ef` when no ps_args are given; its Libpod one takes its own descriptors.
    const args = (r.query.get('ps_args') ?? (r.libpod ? '' : '-ef')).split(/\s+/).filter(Boolean);
    // Cells as podman sends them: trimmed (a ps(1) run in the container pads its lines), processes first.
    const rows = (await ops.top(id, args)).map((row) => row.map((cell) => cell.trim()));
    r.send(200, { Processes: rows.slice(1), Titles: rows[0] ?? [] });
  });

  router.get('/containers/{id}/logs', async (r) => { await containerLogs(r, await findId(r)); });

  router.post('/containers/{id}/attach', async (r) => {
    const id = await findId(r);
    const ce = local(r);
    const c = ce.lifecycle.sync(ce.containers.get(id)!);
    const tty = !!c.config.create.tty;
    const ao = attachQuery(r);
    const sock = r.hijack(tty ? RAW : MUX);
    let stdin: PassThrough | null = null;
    if (ao.stdin) {
      stdin = new PassThrough();
      sock.pipe(stdin);
    } else sock.resume();
    const stdout = ao.stdout ? sink(sock, 1, !tty) : new Writable({ write: (_c, _e, cb) => cb() });
    const stderr = ao.stderr ? sink(sock, 2, !tty) : new Writable({ write: (_c, _e, cb) => cb() });
    if (await attachLogs(r, id, ao, stdout, stderr, sock)) return;
    if (c.state.status === 'running') {
      const { attach } = require('../../engine/attach') as typeof import('../../engine/attach');
      const { containerDirs } = require('../../engine/rootfs') as typeof import('../../engine/rootfs');
      const session = await attach({ dir: containerDirs(ce.store, id).userdata, stdin, stdout, stderr, detachKeys: r.query.get('detachKeys') ?? '' });
      sock.on('close', () => session.detach());
      await session.done;
      sock.end();
      return;
    }
    // Not running yet: the streams are connected when the container starts (docker run).
    const list = pendingAttach.get(id) ?? [];
    list.push({ stdin, stdout, stderr, socket: sock });
    pendingAttach.set(id, list);
    await new Promise<void>((resolve) => sock.on('close', () => resolve()));
  });

  // ----- exec

  router.post('/containers/{id}/exec', async (r) => {
    const id = await findId(r);
    const body = (await r.json()) ?? {};
    if (!Array.isArray(body.Cmd) || !body.Cmd.length) throw new ApiError(400, 'No exec command specified');
    const c = local(r).lifecycle.sync(local(r).containers.get(id)!);
    if (c.state.status !== 'running') throw new ApiError(409, `Container ${id} is not running`);
    const execId = randomId();
    execs.set(execId, {
      container: id, running: false, exitCode: null, pid: 0,
      opts: { command: body.Cmd, tty: !!body.Tty, interactive: !!body.AttachStdin, env: body.Env ?? undefined, user: body.User || undefined, workdir: body.WorkingDir || undefined, privileged: !!body.Privileged, detachKeys: '' },
    });
    r.send(201, { Id: execId });
  });

  router.post('/exec/{id}/start', async (r) => {
    const e = execs.get(r.params.id);
    if (!e) throw new ApiError(404, `No such exec instance: ${r.params.id}`);
    if (e.running || e.exitCode !== null) throw new ApiError(409, `Exec instance ${r.params.id} has already been started`);
    const body = (await r.json()) ?? {};
    e.running = true;
    const ce = local(r);
    if (body.Detach) {
      const devnull = new Writable({ write: (_c, _en, cb) => cb() });
      ce.exec(e.container, { ...e.opts, interactive: false }, { stdin: null, stdout: devnull, stderr: devnull })
        .then((code) => { e.exitCode = code; }, () => { e.exitCode = 126; }).finally(() => { e.running = false; });
      r.send(200, {});
      return;
    }
    const tty = !!e.opts.tty;
    const sock = r.hijack(tty ? RAW : MUX);
    let stdin: PassThrough | null = null;
    if (e.opts.interactive) { stdin = new PassThrough(); sock.pipe(stdin); } else sock.resume();
    try {
      sock.once('close', () => e.session?.detach());
      e.exitCode = await ce.exec(e.container, e.opts, { stdin, stdout: sink(sock, 1, !tty), stderr: sink(sock, 2, !tty) }, {
        onAttach: (session) => {
          e.session = session;
          if (tty && e.size) { try { session.resize(e.size.h, e.size.w); } catch { /* ended */ } }
        },
      });
    } catch (err) {
      e.exitCode = 126;
      if (!sock.destroyed) sock.write(tty ? Buffer.from(String((err as Error).message) + '\n') : frame(2, String((err as Error).message) + '\n'));
    } finally {
      e.running = false;
      e.session = undefined;
      sock.end();
    }
  });

  router.get('/exec/{id}/json', async (r) => {
    const e = execs.get(r.params.id);
    if (!e) throw new ApiError(404, `No such exec instance: ${r.params.id}`);
    r.send(200, {
      ID: r.params.id, Running: e.running, ExitCode: e.exitCode, ContainerID: e.container, OpenStdin: !!e.opts.interactive,
      OpenStdout: true, OpenStderr: true, ProcessConfig: { entrypoint: e.opts.command[0], arguments: e.opts.command.slice(1), tty: !!e.opts.tty, privileged: !!e.opts.privileged, user: e.opts.user ?? '' },
      Pid: e.pid, CanRemove: !e.running, DetachKeys: '',
    });
  });

  router.post('/exec/{id}/resize', async (r) => {
    const e = execs.get(r.params.id);
    if (!e) throw new ApiError(404, `No such exec instance: ${r.params.id}`);
    const h = Number(r.query.get('h') ?? 0);
    const w = Number(r.query.get('w') ?? 0);
    if (!Number.isFinite(h) || !Number.isFinite(w)) throw new ApiError(400, 'invalid terminal size');
    e.size = { h, w };
    if (e.session && e.opts.tty) { try { e.session.resize(h, w); } catch { /* ended */ } }
    r.send(201, {});
  });
}

export { fs, path };
