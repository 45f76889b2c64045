// The remote implementation of the domain interface: the same Engines the CLI uses locally,
// answered by a pier service over the Libpod API (src/api/libpod). Operations the service does
// not offer yet fail with a clear "not supported in remote mode" error, never locally.
import type { Engines } from '../engines';
import type { ContainerEngine, CreateOptions, PsOptions, ContainerSummary, LogOptions, ExecOptions } from '../containers';
import type { ImageEngine, PullOptions, ImageSummary, ImageListOptions, RemoveReport, HistoryEntry } from '../images';
import type { VolumeEngine, VolumeInspect, VolumeCreateOptions, VolumeRemoveOptions } from '../volumes';
import type { PodEngine, PodCreateOptions, PodSummary, PodReport } from '../pods';
import type { BuildEngine } from '../build';
import { ApiClient, demux } from './client';
import { PierError } from '../../util/errors';

const q = (o: Record<string, unknown>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === false) continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)));
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
};
const enc = encodeURIComponent;
const filters = (f?: string[]) => {
  if (!f?.length) return undefined;
  const m: Record<string, string[]> = {};
  for (const x of f) { const i = x.indexOf('='); (m[x.slice(0, i)] ??= []).push(x.slice(i + 1)); }
  return JSON.stringify(m);
};

export function notRemote(what: string): never {
  throw new PierError(`${what} is not supported in remote mode yet`);
}

export interface RemoteIO {
  stdin?: NodeJS.ReadableStream | null;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

class RemoteContainers implements ContainerEngine {
  constructor(private c: ApiClient) {}
  async create(o: CreateOptions) {
    const r = await this.c.json('POST', '/libpod/containers/create', { image: o.image, name: o.name, pier_create_options: o });
    return { id: r.Id as string, warnings: (r.Warnings ?? []) as string[] };
  }
  /** Attached start: the streams are connected first, then the container starts; its exit code. */
  private async attachedStart(id: string, io: RemoteIO, interactive: boolean): Promise<number> {
    const sock = await this.c.hijack(`/libpod/containers/${enc(id)}/attach${q({ stdin: interactive, stdout: true, stderr: true, start: true })}`);
    const info = await this.inspect(id) as any;
    const tty = !!info.Config?.Tty;
    if (interactive && io.stdin) io.stdin.pipe(sock);
    const split = tty ? (b: Buffer) => io.stdout.write(b) : demux((b) => io.stdout.write(b), (b) => io.stderr.write(b));
    await new Promise<void>((resolve) => { sock.on('data', split); sock.on('end', resolve); sock.on('close', resolve); });
    if (interactive && io.stdin) io.stdin.unpipe(sock);
    return this.wait(id, { conditions: ['stopped'] });
  }
  async start(nameOrId: string, opts: { attach?: boolean; interactive?: boolean } = {}, io?: RemoteIO): Promise<number | void> {
    if (!opts.attach) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/start`); return; }
    return this.attachedStart(nameOrId, io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, !!opts.interactive);
  }
  async run(o: CreateOptions & { detach?: boolean }, io?: RemoteIO): Promise<{ id: string; exitCode?: number }> {
    if (o.tty && !o.detach) notRemote('run -t (a terminal)');
    const { id } = await this.create(o);
    if (o.detach) {
      await this.c.json('POST', `/libpod/containers/${enc(id)}/start`);
      return { id };
    }
    const exitCode = await this.attachedStart(id, io ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }, !!o.interactive);
    if (o.rm) await this.remove(id, { force: true, ignore: true }).catch(() => undefined);
    return { id, exitCode };
  }
  async stop(nameOrId: string, opts: { timeout?: number; ignore?: boolean }) {
    try { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/stop${q({ timeout: opts.timeout })}`); } catch (e) {
      if (!(opts.ignore && /no such|not found/i.test((e as Error).message))) throw e;
    }
  }
  async kill(nameOrId: string, signal: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/kill${q({ signal })}`); }
  async remove(nameOrId: string, opts: { force?: boolean; volumes?: boolean; ignore?: boolean; timeout?: number; depend?: boolean }) {
    const r = await this.c.json<{ Id: string }[]>('DELETE', `/libpod/containers/${enc(nameOrId)}${q({ force: opts.force, v: opts.volumes, ignore: opts.ignore, timeout: opts.timeout, depend: opts.depend })}`);
    return r.map((x) => x.Id);
  }
  async list(opts: PsOptions): Promise<ContainerSummary[]> {
    return this.c.json('GET', `/libpod/containers/json${q({ all: opts.all, size: opts.size, last: opts.last, filters: filters(opts.filters) })}`);
  }
  async inspect(nameOrId: string, opts: { size?: boolean } = {}) { return this.c.json('GET', `/libpod/containers/${enc(nameOrId)}/json${q({ size: opts.size })}`); }
  async exists(nameOrId: string) { return (await this.c.status('GET', `/libpod/containers/${enc(nameOrId)}/exists`)) === 204; }
  async wait(nameOrId: string, opts: { conditions?: string[] }) { return this.c.json<number>('POST', `/libpod/containers/${enc(nameOrId)}/wait${q({ condition: opts.conditions })}`); }
  async logs(nameOrIds: string[], opts: LogOptions, out: { stdout(b: Buffer | string): void; stderr(b: Buffer | string): void }) {
    if (nameOrIds.length !== 1) notRemote('logs of several containers');
    await this.c.stream('GET', `/libpod/containers/${enc(nameOrIds[0])}/logs${q({ follow: opts.follow, since: opts.since, until: opts.until, tail: opts.tail, timestamps: opts.timestamps, stdout: true, stderr: true })}`,
      demux((b) => out.stdout(b), (b) => out.stderr(b)));
  }
  async exec(_n: string, _o: ExecOptions): Promise<number> { return notRemote('exec'); }
  async attach(): Promise<number | undefined> { return notRemote('attach'); }
  async cleanup(): Promise<void> { return notRemote('container cleanup'); }
  async ids(opts: { all?: boolean; latest?: boolean; filters?: string[] } = {}) {
    const rows = await this.list({ all: opts.all, last: opts.latest ? 1 : undefined, filters: opts.filters });
    return rows.map((r) => r.Id);
  }
  async restart(nameOrId: string, opts: { timeout?: number }) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/restart${q({ t: opts.timeout })}`); }
  async init(nameOrId: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/init`); }
  async pause(nameOrId: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/pause`); }
  async unpause(nameOrId: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/unpause`); }
  async rename(nameOrId: string, newName: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/rename${q({ name: newName })}`); }
  imagesInUse(): Map<string, string[]> { return new Map(); }
}

class RemoteImages implements ImageEngine {
  constructor(private c: ApiClient) {}
  async pull(ref: string, opts: PullOptions) {
    let ids: string[] = [];
    let err: string | undefined;
    let buf = '';
    await this.c.stream('POST', `/libpod/images/pull${q({ reference: ref, tlsVerify: opts.tlsVerify === undefined ? undefined : String(opts.tlsVerify), allTags: opts.allTags, quiet: !opts.progress })}`, (chunk) => {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const m = JSON.parse(line);
        if (m.stream) opts.progress?.line(String(m.stream).replace(/\n$/, ''));
        if (m.error) err = m.error;
        if (m.images) ids = m.images;
      }
    });
    if (err) throw new PierError(err);
    return ids;
  }
  async push(): Promise<string> { return notRemote('push'); }
  async list(opts: ImageListOptions): Promise<ImageSummary[]> { return this.c.json('GET', `/libpod/images/json${q({ all: opts.all, filters: filters(opts.filters) })}`); }
  async inspect(nameOrId: string) { return this.c.json('GET', `/libpod/images/${nameOrId}/json`); }
  async exists(nameOrId: string) { return (await this.c.status('GET', `/libpod/images/${nameOrId}/exists`)) === 204; }
  async tag(nameOrId: string, newNames: string[]) {
    for (const n of newNames) {
      const i = n.lastIndexOf(':');
      const hasTag = i > n.lastIndexOf('/');
      await this.c.json('POST', `/libpod/images/${nameOrId}/tag${q({ repo: hasTag ? n.slice(0, i) : n, tag: hasTag ? n.slice(i + 1) : 'latest' })}`);
    }
  }
  async untag(nameOrId: string, names: string[]) {
    if (!names.length) { await this.c.json('POST', `/libpod/images/${nameOrId}/untag`); return; }
    for (const n of names) {
      const i = n.lastIndexOf(':');
      await this.c.json('POST', `/libpod/images/${nameOrId}/untag${q({ repo: i > n.lastIndexOf('/') ? n.slice(0, i) : n, tag: i > n.lastIndexOf('/') ? n.slice(i + 1) : 'latest' })}`);
    }
  }
  async remove(namesOrIds: string[], opts: { force?: boolean; all?: boolean; ignore?: boolean }): Promise<RemoveReport> {
    const r = await this.c.json('DELETE', `/libpod/images/remove${q({ images: namesOrIds, force: opts.force, all: opts.all, ignore: opts.ignore })}`);
    return { deleted: r.Deleted ?? [], untagged: r.Untagged ?? [], errors: r.Errors ?? [], exitCode: r.ExitCode ?? 0 };
  }
  async history(nameOrId: string): Promise<HistoryEntry[]> { return this.c.json('GET', `/libpod/images/${nameOrId}/history`); }
  async prune(): Promise<{ id: string; size: number }[]> { return notRemote('image prune'); }
  async tree(): Promise<string> { return notRemote('image tree'); }
  async save(): Promise<void> { return notRemote('save'); }
  async load(): Promise<string[]> { return notRemote('load'); }
  async importArchive(): Promise<string> { return notRemote('import'); }
  async login(): Promise<void> { return notRemote('login'); }
  async logout(): Promise<void> { return notRemote('logout'); }
  async search(): Promise<never> { return notRemote('search'); }
}

class RemoteVolumes implements VolumeEngine {
  constructor(private c: ApiClient) {}
  async create(o: VolumeCreateOptions): Promise<VolumeInspect> {
    return this.c.json('POST', '/libpod/volumes/create', { Name: o.name, Driver: o.driver, Labels: o.labels, Options: o.options, IgnoreIfExists: o.ignoreIfExists });
  }
  async list(f?: string[]): Promise<VolumeInspect[]> { return this.c.json('GET', `/libpod/volumes/json${q({ filters: filters(f) })}`); }
  async inspect(name: string): Promise<VolumeInspect> { return this.c.json('GET', `/libpod/volumes/${enc(name)}/json`); }
  async remove(name: string, o: VolumeRemoveOptions = {}) { await this.c.json('DELETE', `/libpod/volumes/${enc(name)}${q({ force: o.force })}`); }
  async prune(f?: string[]): Promise<string[]> { return (await this.c.json<{ Id: string }[]>('POST', `/libpod/volumes/prune${q({ filters: filters(f) })}`)).map((x) => x.Id); }
  async exists(name: string) { return (await this.c.status('GET', `/libpod/volumes/${enc(name)}/exists`)) === 204; }
  async export(): Promise<void> { return notRemote('volume export'); }
  async import(): Promise<void> { return notRemote('volume import'); }
}

class RemotePods implements PodEngine {
  constructor(private c: ApiClient) {}
  async create(o: PodCreateOptions) { return (await this.c.json('POST', '/libpod/pods/create', { name: o.name, pier_pod_options: o })).Id as string; }
  private async verb(v: string, n: string, extra = ''): Promise<PodReport> {
    await this.c.json('POST', `/libpod/pods/${enc(n)}/${v}${extra}`);
    return { Id: (await this.inspect(n)).Id as string, Errs: [] };
  }
  start(n: string) { return this.verb('start', n); }
  stop(n: string, o: { timeout?: number }) { return this.verb('stop', n, q({ t: o.timeout })); }
  restart(n: string) { return this.verb('restart', n); }
  kill(n: string, signal: string) { return this.verb('kill', n, q({ signal })); }
  pause(n: string) { return this.verb('pause', n); }
  unpause(n: string) { return this.verb('unpause', n); }
  async remove(n: string, o: { force?: boolean; ignore?: boolean; timeout?: number }) {
    try { return await this.c.json('DELETE', `/libpod/pods/${enc(n)}${q({ force: o.force, t: o.timeout })}`); } catch (e) {
      if (o.ignore && /no such|no pod/i.test((e as Error).message)) return undefined;
      throw e;
    }
  }
  async list(o: { filters?: string[] }): Promise<PodSummary[]> { return this.c.json('GET', `/libpod/pods/json${q({ filters: filters(o.filters) })}`); }
  async inspect(n: string): Promise<Record<string, unknown>> { return this.c.json('GET', `/libpod/pods/${enc(n)}/json`); }
  async exists(n: string) { return (await this.c.status('GET', `/libpod/pods/${enc(n)}/exists`)) === 204; }
  async prune(): Promise<string[]> { return notRemote('pod prune'); }
  async ids() { return (await this.list({})).map((p) => p.Id); }
  async containerIds(n: string, o: { infra?: boolean } = {}) {
    const p = await this.inspect(n) as any;
    return (p.Containers ?? []).map((c: any) => c.Id).filter((id: string) => o.infra !== false || id !== p.InfraContainerID);
  }
  async clone(): Promise<string> { return notRemote('pod clone'); }
}

export class RemoteEngines implements Engines {
  readonly client: ApiClient;
  private readonly _containers: RemoteContainers;
  private readonly _images: RemoteImages;
  private readonly _volumes: RemoteVolumes;
  private readonly _pods: RemotePods;

  constructor(client: ApiClient) {
    this.client = client;
    this._containers = new RemoteContainers(client);
    this._images = new RemoteImages(client);
    this._volumes = new RemoteVolumes(client);
    this._pods = new RemotePods(client);
  }

  containers(): ContainerEngine { return this._containers; }
  images(): ImageEngine { return this._images; }
  volumes(): VolumeEngine { return this._volumes; }
  pods(): PodEngine { return this._pods; }
  build(): BuildEngine { return { build: async () => notRemote('build') }; }
}
