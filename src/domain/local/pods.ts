// The in-process pod engine. A pod is a record plus an infra container (catatonit from the locally
// built pause image) that owns the shared namespaces; member containers join the infra's net, ipc
// and uts namespaces through the container:ID namespace modes.
import type { PodEngine, PodCreateOptions, PodSummary, PodReport } from '../pods';
import type { LocalContainerEngine } from './containers';
import type { ContainerRecord } from '../../engine/container-store';
import { PodStore, PodRecord, PodConfig } from '../../engine/pod-store';
import { randomId } from '../../util/digest';
import { randomName, NAME_RE } from '../../engine/names';
import { emitEvent, eventLogOptions } from '../../engine/events';
import { ConflictError, NotFoundError, PierError, UsageError, errorMessage } from '../../util/errors';

const RUNNING = ['running', 'paused', 'stopping'];
const SHAREABLE = ['cgroup', 'ipc', 'net', 'pid', 'uts', 'none'];

/** podman's pod status from its containers' states. */
export function podStatus(states: string[]): string {
  const n = states.length;
  if (n === 0) return 'Created';
  const count = (f: (s: string) => boolean) => states.filter(f).length;
  const running = count((s) => s === 'running');
  const paused = count((s) => s === 'paused');
  const stopped = count((s) => s === 'exited' || s === 'stopped');
  if (running === n) return 'Running';
  if (running > 0) return 'Degraded';
  if (paused === n) return 'Paused';
  if (paused > 0) return 'Degraded';
  if (stopped === n) return 'Exited';
  if (stopped > 0) return 'Stopped';
  return 'Created';
}

export class LocalPodEngine implements PodEngine {
  readonly pods: PodStore;

  constructor(readonly ce: LocalContainerEngine) {
    this.pods = new PodStore(ce.containers.db);
  }

  private event(p: PodRecord, status: string): void {
    emitEvent(this.ce.store.runRoot, { Type: 'pod', Status: status, ID: p.id, Name: p.name }, eventLogOptions(this.ce.cfg.engine));
  }

  private members(p: PodRecord): ContainerRecord[] {
    return this.pods.containerIds(p.id).map((id) => this.ce.containers.get(id)).filter((c): c is ContainerRecord => !!c).map((c) => this.ce.lifecycle.sync(c));
  }

  async create(o: PodCreateOptions): Promise<string> {
    if (o.name !== undefined && !NAME_RE.test(o.name)) {
      throw new UsageError(`invalid pod name "${o.name}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument`);
    }
    const infra = o.infra ?? true;
    const share = o.share ?? (infra ? ['ipc', 'net', 'uts'] : []);
    for (const s of share) if (!SHAREABLE.includes(s)) throw new UsageError(`invalid kernel namespace to share: ${s}. Options are: cgroup, ipc, net, pid, uts or none`);
    if (o.exitPolicy !== undefined && o.exitPolicy !== 'continue' && o.exitPolicy !== 'stop') {
      throw new PierError(`running pod create option: invalid pod exit policy: "${o.exitPolicy}"`);
    }
    if (!infra) {
      // podman's pod spec validation, in its words.
      const exclusive = (what: string, who = 'NoInfra') => new UsageError(`${who} and ${what} are mutually exclusive pod options: invalid pod spec`);
      if (o.infraCommand?.length) throw exclusive('InfraCommand');
      if (o.infraImage) throw exclusive('InfraImage');
      if (o.infraName) throw exclusive('InfraName');
      if (share.some((s) => s !== 'none')) throw exclusive('SharedNamespaces');
      if (o.networks?.length) throw new UsageError('NoInfra and network modes cannot be used together');
      if (o.ip || o.ip6 || o.macAddress || o.networkAliases?.length) throw new UsageError('cannot set networks options without infra container');
      if (o.dnsOption?.length) throw exclusive('DNSOption');
      if (o.dnsSearch?.length) throw exclusive('DNSSearch', 'NoInfo');
      if (o.dns?.length) throw exclusive('DNSServer');
      if (o.addHost?.length) throw exclusive('HostAdd');
      if (o.publish?.length) throw new UsageError('you must have an infra container to publish port bindings to the host');
    }
    if (o.name && o.replace) {
      const old = this.pods.find(o.name);
      if (old) await this.remove(old.id, { force: true, timeout: 0 });
    }
    if (o.name && this.pods.find(o.name)) throw new ConflictError(`adding pod to state: name "${o.name}" is in use: pod already exists`);
    if (o.publish?.length) {
      const { parsePublish } = require('../../network/ports') as typeof import('../../network/ports');
      o.publish.forEach((p) => parsePublish(p));
    }
    const id = randomId();
    const config: PodConfig = {
      hostname: o.hostname, labels: o.labels ?? {}, share: share.filter((s) => s !== 'none'), infra,
      infraImage: o.infraImage, infraCommand: o.infraCommand, infraName: o.infraName,
      publish: o.publish, networks: o.networks, networkAliases: o.networkAliases, addHost: o.addHost, dns: o.dns,
      dnsSearch: o.dnsSearch, dnsOption: o.dnsOption, ip: o.ip, ip6: o.ip6, macAddress: o.macAddress, cgroupParent: o.cgroupParent,
      exitPolicy: o.exitPolicy ?? 'continue', createCommand: o.createCommand,
    };
    let rec: PodRecord = { id, name: o.name ?? '', created: Date.now(), config, infraId: null };
    for (let attempt = 0; ; attempt++) {
      if (!o.name) rec.name = randomName();
      try { this.pods.insert(rec); break; } catch (e) {
        if (o.name || !(e instanceof ConflictError) || attempt > 20) throw e;
      }
    }
    if (infra) {
      try {
        // --infra-image, else containers.conf's [engine] infra_image, else the locally built pause image.
        const confImage = this.ce.cfg.engine?.engine?.infra_image;
        let image = o.infraImage || (typeof confImage === 'string' && confImage ? confImage : undefined);
        if (!image) {
          const { ensurePauseImage } = require('../../engine/pause-image') as typeof import('../../engine/pause-image');
          image = await ensurePauseImage(this.ce.images);
        }
        const { id: infraId } = await this.ce.create({
          // --infra-command replaces the image's entrypoint (podman's infra Entrypoint), with no command.
          image, command: [], ...(o.infraCommand?.length ? { entrypoint: o.infraCommand } : {}), name: o.infraName ?? `${id.slice(0, 12)}-infra`,
          hostname: o.hostname ?? rec.name, publish: o.publish, networks: o.networks, networkAliases: o.networkAliases,
          addHost: o.addHost, dns: o.dns, dnsSearch: o.dnsSearch, dnsOption: o.dnsOption, ip: o.ip, ip6: o.ip6, macAddress: o.macAddress,
          cgroupParent: o.cgroupParent, infraOf: id, pull: 'missing',
        });
        this.pods.setInfra(id, infraId);
        rec = { ...rec, infraId };
      } catch (e) {
        this.pods.delete(id);
        throw e;
      }
    }
    this.event(rec, 'create');
    return id;
  }

  /** Runs `fn` on each container, collecting errors as podman's pod reports do. */
  private async each(cs: ContainerRecord[], fn: (c: ContainerRecord) => Promise<unknown>, parallel = true): Promise<string[]> {
    const errs: string[] = [];
    const one = async (c: ContainerRecord) => { try { await fn(c); } catch (e) { errs.push(`${c.id}: ${errorMessage(e)}`); } };
    if (parallel) await Promise.all(cs.map(one));
    else for (const c of cs) await one(c);
    return errs;
  }

  private split(p: PodRecord): { infra?: ContainerRecord; others: ContainerRecord[] } {
    const all = this.members(p);
    return { infra: all.find((c) => c.id === p.infraId), others: all.filter((c) => c.id !== p.infraId) };
  }

  /** A pod runs when one of its containers, init containers aside, runs (podman's check before adding an init container). */
  running(p: PodRecord): boolean {
    return this.members(p).some((c) => !c.config.initContainerType && c.state.status === 'running');
  }

  /**
   * podman's pod start runs the init containers first, one at a time in the order they were
   * created, each to completion: a non-zero exit stops the pod start there; a `once` container
   * is removed after its successful run.
   */
  private async runInitContainers(inits: ContainerRecord[]): Promise<void> {
    for (const c of [...inits].sort((a, b) => a.created - b.created)) {
      await this.ce.lifecycle.start(c.id);
      const code = await this.ce.wait(c.id, {});
      if (code !== 0) throw new PierError(`init container ${c.id} exited with code ${code}`);
      if (c.config.initContainerType === 'once') {
        try {
          await this.ce.lifecycle.remove(c.id, { force: true, timeout: 0, removingPod: true });
          await this.ce.removeAnonymousVolumes(c).catch(() => undefined);
        } catch (e) {
          throw new PierError(`failed to remove once init container ${c.id}: ${errorMessage(e)}`);
        }
      }
    }
  }

  private report(p: PodRecord, errs: string[], what: string): PodReport {
    if (errs.length) throw new PierError(`${what} pod ${p.id}: ${errs.join('; ')}`);
    return { Id: p.id, Errs: [] };
  }

  async start(nameOrId: string, opts: { skipInit?: boolean } = {}): Promise<PodReport> {
    const p = this.pods.lookup(nameOrId);
    const { infra, others: all } = this.split(p);
    const inits = all.filter((c) => c.config.initContainerType);
    const others = all.filter((c) => !c.config.initContainerType);
    const errs: string[] = [];
    if (infra && infra.state.status !== 'running') {
      try { await this.ce.lifecycle.start(infra.id); } catch (e) {
        // The first init container starts the infra as its dependency: its error is the pod start's.
        if (inits.length && !opts.skipInit) throw e;
        errs.push(`${infra.id}: ${errorMessage(e)}`);
      }
    }
    // Init containers run at every pod start (not a pod restart), before the other containers.
    if (!errs.length && inits.length && !opts.skipInit) await this.runInitContainers(inits);
    // podman starts a pod from its containers without dependencies: none at all (an empty pod,
    // or one whose only containers were `once` init containers) is an error.
    if (!infra && !others.length && !inits.some((c) => this.ce.containers.get(c.id))) {
      throw new PierError(`no containers in pod ${p.id} have no dependencies, cannot start pod: no such container`);
    }
    if (!errs.length) errs.push(...await this.each(others.filter((c) => c.state.status !== 'running' && c.state.status !== 'paused'), (c) => this.ce.lifecycle.start(c.id)));
    if (!errs.length) this.event(p, 'start');
    return this.report(p, errs, 'starting');
  }

  async stop(nameOrId: string, opts: { timeout?: number; ignore?: boolean } = {}): Promise<PodReport> {
    let p: PodRecord;
    try { p = this.pods.lookup(nameOrId); } catch (e) { if (opts.ignore && e instanceof NotFoundError) return { Id: nameOrId, Errs: [] }; throw e; }
    const { infra, others } = this.split(p);
    const errs = await this.each(others, (c) => this.ce.lifecycle.stop(c.id, opts.timeout));
    if (infra) errs.push(...await this.each([infra], (c) => this.ce.lifecycle.stop(c.id, opts.timeout)));
    this.event(p, 'stop');
    return this.report(p, errs, 'stopping');
  }

  async restart(nameOrId: string): Promise<PodReport> {
    await this.stop(nameOrId, {});
    // podman's pod restart restarts the pod's containers but runs no init container.
    const r = await this.start(nameOrId, { skipInit: true });
    this.event(this.pods.lookup(nameOrId), 'restart');
    return r;
  }

  async kill(nameOrId: string, signal: string): Promise<PodReport> {
    const p = this.pods.lookup(nameOrId);
    const { parseSignal } = require('../../util/signals') as typeof import('../../util/signals');
    const sig = parseSignal(signal);
    const running = this.members(p).filter((c) => c.state.status === 'running' || c.state.status === 'paused');
    if (!running.length) throw new ConflictError(`pod ${p.id} has no running containers: container state improper`);
    const errs = await this.each(running, (c) => this.ce.lifecycle.kill(c.id, sig));
    this.event(p, 'kill');
    return this.report(p, errs, 'killing');
  }

  async pause(nameOrId: string): Promise<PodReport> {
    const p = this.pods.lookup(nameOrId);
    const errs = await this.each(this.members(p).filter((c) => c.state.status === 'running'), (c) => this.ce.lifecycle.pause(c.id));
    this.event(p, 'pause');
    return this.report(p, errs, 'pausing');
  }

  async unpause(nameOrId: string): Promise<PodReport> {
    const p = this.pods.lookup(nameOrId);
    const errs = await this.each(this.members(p).filter((c) => c.state.status === 'paused'), (c) => this.ce.lifecycle.unpause(c.id));
    this.event(p, 'unpause');
    return this.report(p, errs, 'unpausing');
  }

  async remove(nameOrId: string, opts: { force?: boolean; ignore?: boolean; timeout?: number } = {}): Promise<{ Id: string; RemovedCtrs: string[] } | undefined> {
    let p: PodRecord;
    try { p = this.pods.lookup(nameOrId); } catch (e) { if (opts.ignore && e instanceof NotFoundError) return undefined; throw e; }
    const { infra, others } = this.split(p);
    const live = others.filter((c) => RUNNING.includes(c.state.status));
    if (live.length && !opts.force) {
      throw new ConflictError(`pod ${p.id} has containers that are not ready to be removed: cannot remove container ${live[0].id} as it is running - running or paused containers cannot be removed without force: container state improper`);
    }
    const removed: string[] = [];
    const errs = await this.each(others, async (c) => {
      await this.ce.lifecycle.remove(c.id, { force: true, timeout: opts.timeout ?? 0, removingPod: true });
      await this.ce.removeAnonymousVolumes(c).catch(() => undefined);
      removed.push(c.id);
    });
    if (errs.length) throw new PierError(`removing pod ${p.id}: ${errs.join('; ')}`);
    if (infra) {
      await this.ce.lifecycle.remove(infra.id, { force: true, timeout: opts.timeout ?? 0, removingPod: true });
      removed.push(infra.id);
    }
    this.pods.delete(p.id);
    this.event(p, 'remove');
    return { Id: p.id, RemovedCtrs: removed };
  }

  summary(p: PodRecord): PodSummary {
    const members = this.members(p);
    const infra = members.find((c) => c.id === p.infraId);
    return {
      Cgroup: p.config.cgroupParent ?? '',
      Containers: members.map((c) => ({ Id: c.id, Names: c.name, Status: c.state.status, RestartCount: c.state.restartCount ?? 0 })),
      Created: new Date(p.created).toISOString(),
      Id: p.id,
      InfraId: p.infraId ?? '',
      Name: p.name,
      Namespace: '',
      Networks: infra ? Object.keys(infra.config.networks ?? {}) : [],
      // podman leaves init containers out of the pod's status (they are exited once the pod runs).
      Status: podStatus(members.filter((c) => !c.config.initContainerType).map((c) => c.state.status)),
      Labels: p.config.labels,
    };
  }

  async list(opts: { filters?: string[] } = {}): Promise<PodSummary[]> {
    const rows = this.pods.list().map((p) => this.summary(p));
    // As podman: a pod matches when, for every key, one of that key's values matches (all of them for label).
    const byKey = new Map<string, string[]>();
    for (const f of opts.filters ?? []) {
      const k = f.includes('=') ? f.slice(0, f.indexOf('=')) : f;
      byKey.set(k, [...(byKey.get(k) ?? []), f]);
    }
    return rows.filter((r) => [...byKey].every(([k, fs]) => (k === 'label' ? fs.every((f) => podFilter(r, f)) : fs.some((f) => podFilter(r, f)))));
  }

  async inspect(nameOrId: string): Promise<Record<string, unknown>> {
    const p = this.pods.lookup(nameOrId);
    const s = this.summary(p);
    const infra = p.infraId ? this.ce.containers.get(p.infraId) : undefined;
    const ports: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const m of infra?.state.network?.ports ?? infra?.config.portMappings ?? []) {
      for (let i = 0; i < (m.range || 1); i++) {
        const key = `${m.container_port + i}/${m.protocol}`;
        (ports[key] ??= []).push({ HostIp: m.host_ip, HostPort: String(m.host_port + i) });
      }
    }
    return {
      Id: p.id,
      Name: p.name,
      Created: new Date(p.created).toISOString(),
      CreateCommand: p.config.createCommand ?? [],
      ExitPolicy: p.config.exitPolicy,
      State: s.Status,
      Hostname: p.config.hostname ?? (p.config.infra ? p.name : ''),
      Labels: p.config.labels,
      CreateCgroup: true,
      CgroupParent: p.config.cgroupParent ?? '',
      CreateInfra: p.config.infra,
      InfraContainerID: p.infraId ?? '',
      InfraConfig: p.config.infra ? {
        PortBindings: ports,
        HostNetwork: infra?.config.networkMode === 'host',
        StaticIP: p.config.ip ?? '',
        StaticMAC: p.config.macAddress ?? '',
        NoManageResolvConf: false,
        DNSServer: p.config.dns ?? null,
        DNSSearch: p.config.dnsSearch ?? null,
        DNSOption: p.config.dnsOption ?? null,
        NoManageHosts: false,
        HostAdd: p.config.addHost ?? null,
        Networks: s.Networks,
        NetworkOptions: null,
        pid_ns: 'private',
        userns: 'host',
        uts_ns: 'private',
      } : undefined,
      SharedNamespaces: p.config.infra ? p.config.share : [],
      NumContainers: s.Containers.length,
      Containers: s.Containers.map((c) => ({ Id: c.Id, Name: c.Names, State: c.Status })),
    };
  }

  async exists(nameOrId: string): Promise<boolean> {
    return !!this.pods.find(nameOrId);
  }

  async prune(): Promise<string[]> {
    const out: string[] = [];
    for (const p of this.pods.list()) {
      // A stopped pod: none of its containers runs or is paused.
      if (this.members(p).some((c) => RUNNING.includes(c.state.status))) continue;
      await this.remove(p.id, { force: true });
      out.push(p.id);
    }
    return out;
  }

  async ids(): Promise<string[]> {
    return this.pods.list().map((p) => p.id);
  }

  async containerIds(nameOrId: string, opts: { infra?: boolean } = {}): Promise<string[]> {
    const p = this.pods.lookup(nameOrId);
    return this.pods.containerIds(p.id).filter((id) => opts.infra !== false || id !== p.infraId);
  }

  async clone(nameOrId: string, opts: { name?: string; start?: boolean; destroy?: boolean }): Promise<string> {
    const p = this.pods.lookup(nameOrId);
    const c = p.config;
    const id = await this.create({
      name: opts.name ?? `${p.name}-clone`, hostname: c.hostname, labels: c.labels, share: c.share, infra: c.infra,
      infraImage: c.infraImage, infraCommand: c.infraCommand, publish: opts.destroy ? c.publish : undefined, networks: c.networks,
      networkAliases: c.networkAliases, addHost: c.addHost, dns: c.dns, dnsSearch: c.dnsSearch, dnsOption: c.dnsOption,
      cgroupParent: c.cgroupParent, exitPolicy: c.exitPolicy,
    });
    if (opts.destroy) await this.remove(p.id, { force: true });
    if (opts.start) await this.start(id);
    return id;
  }
}

/** `pod ps --filter`: id, name, label, status, ctr-names, ctr-ids, ctr-number, ctr-status, network. */
function podFilter(r: PodSummary, f: string): boolean {
  const i = f.indexOf('=');
  if (i < 0) throw new UsageError(`invalid filter "${f}"`);
  const k = f.slice(0, i);
  const v = f.slice(i + 1);
  switch (k) {
    case 'id': return r.Id.startsWith(v);
    case 'name': return new RegExp(v).test(r.Name);
    case 'label': {
      const j = v.indexOf('=');
      return j < 0 ? v in r.Labels : r.Labels[v.slice(0, j)] === v.slice(j + 1);
    }
    case 'status': return r.Status.toLowerCase() === v.toLowerCase();
    case 'ctr-names': return r.Containers.some((c) => new RegExp(v).test(c.Names));
    case 'ctr-ids': return r.Containers.some((c) => c.Id.startsWith(v));
    case 'ctr-number': return r.Containers.length === Number(v);
    case 'ctr-status': return r.Containers.some((c) => c.Status === v);
    case 'network': return r.Networks.includes(v);
    default: throw new UsageError(`${k} is an invalid filter`);
  }
}
