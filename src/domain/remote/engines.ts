// The remote implementation of the domain interface: the same Engines the CLI uses locally,
// answered by a pier service over the Libpod API (src/api/libpod). Operations the service does
// not offer yet fail with a clear "not supported in remote mode" error, never locally.
import type { Engines } from '../engines';
import type { ContainerEngine } from '../containers';
import type { ImageEngine } from '../images';
import type { VolumeEngine, VolumeInspect, VolumeCreateOptions, VolumeRemoveOptions } from '../volumes';
import type { PodEngine, PodCreateOptions, PodSummary, PodReport } from '../pods';
import { POD_INSPECT_MAPS } from '../pods';
import { markGoMaps } from '../../util/gomap';
import type { BuildEngine } from '../build';
import { ApiClient, errorFrom, readText } from './client';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { PierError, UsageError } from '../../util/errors';
import { RemoteContainers } from './containers';
import { RemoteImages } from './images';
import { RemoteNetworks } from './networks';
import { RemoteContainerFiles } from './container-files';
import { RemoteBuild } from './build';
import type { NetworkEngine } from '../networks';
import type { SecretEngine } from '../secrets';
import type { GenerateEngine, SystemdOptions } from '../generate';
import type { KubeEngine, PlayKubeOptions } from '../kube';
import { q, enc, filters, notRemote } from './query';

export { notRemote };

/** The API's CreatedAt is a string; the CLI formats a Date. */
const volumeOf = (v: VolumeInspect): VolumeInspect => markGoMaps({ ...v, CreatedAt: new Date(v.CreatedAt) }, ['Labels', 'Options']);

class RemoteVolumes implements VolumeEngine {
  constructor(private c: ApiClient) {}
  async create(o: VolumeCreateOptions): Promise<VolumeInspect> {
    return volumeOf(await this.c.json('POST', '/libpod/volumes/create', { Name: o.name, Driver: o.driver, Labels: o.labels, Options: o.options, IgnoreIfExists: o.ignoreIfExists }));
  }
  async list(f?: string[]): Promise<VolumeInspect[]> {
    for (const x of f ?? []) if (!x.includes('=')) throw new UsageError(`filter input must be in the form of filter=value: ${x} is invalid`);
    return (await this.c.json<VolumeInspect[]>('GET', `/libpod/volumes/json${q({ filters: filters(f) })}`)).map(volumeOf);
  }
  async inspect(name: string): Promise<VolumeInspect> { return volumeOf(await this.c.json('GET', `/libpod/volumes/${enc(name)}/json`)); }
  async remove(name: string, o: VolumeRemoveOptions = {}) { await this.c.json('DELETE', `/libpod/volumes/${enc(name)}${q({ force: o.force, timeout: o.timeout })}`); }
  async prune(f?: string[]): Promise<string[]> { return (await this.c.json<{ Id: string }[]>('POST', `/libpod/volumes/prune${q({ filters: filters(f) })}`)).map((x) => x.Id); }
  async exists(name: string) { return (await this.c.status('GET', `/libpod/volumes/${enc(name)}/exists`)) === 204; }
  async export(name: string, out: NodeJS.WritableStream): Promise<void> {
    const res = await this.c.raw('GET', `/libpod/volumes/${enc(name)}/export`);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, await readText(res));
    await pipeline(res, out, { end: false });
  }
  async import(name: string, input: Readable): Promise<void> {
    const res = await this.c.upload('POST', `/libpod/volumes/${enc(name)}/import`, input);
    const text = await readText(res);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
  }
  async mount(): Promise<string> { return notRemote('volume mount'); }
  async unmount(): Promise<void> { return notRemote('volume unmount'); }
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
  async list(o: { filters?: string[] }): Promise<PodSummary[]> { return markGoMaps(await this.c.json<PodSummary[]>('GET', `/libpod/pods/json${q({ filters: filters(o.filters) })}`), ['*.Labels']); }
  async inspect(n: string): Promise<Record<string, unknown>> { return markGoMaps(await this.c.json<Record<string, unknown>>('GET', `/libpod/pods/${enc(n)}/json`), POD_INSPECT_MAPS); }
  async exists(n: string) { return (await this.c.status('GET', `/libpod/pods/${enc(n)}/exists`)) === 204; }
  async prune(): Promise<string[]> { return ((await this.c.json<{ Id: string }[]>('POST', '/libpod/pods/prune')) ?? []).map((x) => x.Id); }
  async ids() { return (await this.list({})).map((p) => p.Id); }
  async containerIds(n: string, o: { infra?: boolean } = {}) {
    const p = await this.inspect(n) as any;
    return (p.Containers ?? []).map((c: any) => c.Id).filter((id: string) => o.infra !== false || id !== p.InfraContainerID);
  }
  async clone(nameOrId: string, o: { name?: string; start?: boolean; destroy?: boolean; changes?: Partial<PodCreateOptions> }): Promise<string> {
    return (await this.c.json('POST', `/libpod/pods/${enc(nameOrId)}/clone`, o)).Id as string;
  }
}

export class RemoteEngines implements Engines {
  readonly client: ApiClient;
  private readonly _containers: RemoteContainers;
  private readonly _images: RemoteImages;
  private readonly _volumes: RemoteVolumes;
  private readonly _pods: RemotePods;

  constructor(client: ApiClient) {
    this.client = client;
    this._images = new RemoteImages(client);
    this._containers = new RemoteContainers(client, this._images);
    this._volumes = new RemoteVolumes(client);
    this._pods = new RemotePods(client);
  }

  containers(): ContainerEngine { return this._containers; }
  images(): ImageEngine { return this._images; }
  volumes(): VolumeEngine { return this._volumes; }
  pods(): PodEngine { return this._pods; }
  build(): BuildEngine { return new RemoteBuild(this.client); }
  networks(): NetworkEngine { return new RemoteNetworks(this.client); }
  secrets(): SecretEngine {
    const { RemoteSecrets } = require('./secrets') as typeof import('./secrets');
    return new RemoteSecrets(this.client);
  }
  generate(): GenerateEngine {
    const c = this.client;
    return {
      // podman's bindings' parameter names; the service fills in what is left out.
      systemd: (name: string, o: SystemdOptions) => c.json<Record<string, string>>('GET', `/libpod/generate/${enc(name)}/systemd${q({
        useName: o.useName, new: o.new, noHeader: o.noHeader, templateUnitFile: o.template, restartPolicy: o.restartPolicy,
        restartSec: o.restartSec, startTimeout: o.startTimeout, stopTimeout: o.stopTimeout, containerPrefix: o.containerPrefix,
        podPrefix: o.podPrefix, separator: o.separator, wants: o.wants, after: o.after, requires: o.requires, additionalEnvVariables: o.env,
      })}`),
      // podman's API has no endpoint for it; podman-remote refuses the same way.
      spec: async () => { throw new PierError('GenerateSpec is not supported on the remote API'); },
    };
  }

  kube(): KubeEngine {
    const c = this.client;
    /** The YAML as the request's body; the answer's JSON (errors as the service words them). */
    const send = async (method: string, p: string, yaml: string) => {
      const { Readable: R } = require('node:stream') as typeof import('node:stream');
      const res = await c.upload(method, p, R.from([Buffer.from(yaml)]), { 'Content-Type': 'application/yaml' });
      const text = await readText(res);
      if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
      return JSON.parse(text);
    };
    return {
      generate: async (names: string[], o: { service?: boolean }) => {
        const res = await c.raw('GET', `/libpod/generate/kube${q({ names, service: o.service })}`);
        const text = await readText(res);
        if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
        return text;
      },
      play: (yaml: string, o: PlayKubeOptions) => {
        if (o.configMaps?.length) throw new UsageError('unknown flag: --configmap');
        return send('POST', `/libpod/play/kube${q({
          network: o.networks, logDriver: o.logDriver, logOptions: o.logOptions, noHosts: o.noHosts, tlsVerify: o.tlsVerify === undefined ? undefined : String(o.tlsVerify), start: o.start === undefined ? undefined : String(o.start), replace: o.replace,
          annotations: o.annotations && Object.keys(o.annotations).length ? JSON.stringify(o.annotations) : undefined,
          publishPorts: o.publish, userns: o.userns,
        })}`, yaml);
      },
      down: (yaml: string) => send('DELETE', '/libpod/play/kube', yaml),
    };
  }

  /** The service's events (what `pier events` prints in remote mode). */
  async *events(o: { since?: string; until?: string; filters?: string[]; stream: boolean; signal?: AbortSignal }): AsyncGenerator<import('../../engine/events').EventRecord> {
    const res = await this.client.raw('GET', `/libpod/events${q({ since: o.since, until: o.until, filters: filters(o.filters), stream: String(o.stream) })}`);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, await readText(res));
    o.signal?.addEventListener('abort', () => res.destroy(), { once: true });
    let buf = '';
    try {
      for await (const chunk of res) {
        buf += chunk.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const m = JSON.parse(line);
          if (m.pier_event) yield { ...m.pier_event, TimeNano: BigInt(m.pier_event.TimeNano) };
        }
      }
    } catch (e) {
      if (!o.signal?.aborted) throw e;
    }
  }

  /** `pier info` of the service's store (GET /libpod/info). */
  info(): Promise<Record<string, unknown>> {
    return this.client.json('GET', '/libpod/info');
  }

  /** system df / prune and healthcheck run (the CLI's container operations in remote mode). */
  systemOps() {
    type Ops = import('../local/container-ops').LocalContainerOps;
    return {
      df: (): ReturnType<Ops['df']> => this.client.json('GET', '/libpod/system/df'),
      prune: (o: { all?: boolean; volumes?: boolean; filters?: string[] }): ReturnType<Ops['prune']> =>
        this.client.json('POST', `/libpod/system/prune${q({ all: o.all, volumes: o.volumes, filters: filters(o.filters) })}`),
      healthcheckRun: async (name: string): ReturnType<Ops['healthcheckRun']> => (await this.client.json('GET', `/libpod/containers/${enc(name)}/healthcheck`)).pier_healthcheck,
      update: async (name: string, u: Parameters<Ops['update']>[1]): Promise<string> => {
        const m = u as Record<string, number | string | undefined>;
        const body = {
          memory: m.memory || m.memorySwap || m.memoryReservation ? { limit: m.memory, swap: m.memorySwap, reservation: m.memoryReservation } : undefined,
          cpu: m.cpuShares || m.cpuQuota || m.cpuPeriod || m.cpusetCpus || m.cpusetMems ? { shares: m.cpuShares, quota: m.cpuQuota, period: m.cpuPeriod, cpus: m.cpusetCpus, mems: m.cpusetMems } : undefined,
          pids: m.pidsLimit !== undefined ? { limit: m.pidsLimit } : undefined,
          pier_update_options: u,
        };
        return (await this.client.json('POST', `/libpod/containers/${enc(name)}/update`, body)).Id;
      },
    };
  }

  /** cp, export, diff, commit (the CLI's file commands use this in remote mode). */
  containerFiles(): RemoteContainerFiles { return new RemoteContainerFiles(this.client); }
}
