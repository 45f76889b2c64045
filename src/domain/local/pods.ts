// The in-process pod engine. A pod is a record plus an infra container (catatonit from the locally
// built pause image) that owns the shared namespaces; member containers join the infra's net, ipc
// and uts namespaces through the container:ID namespace modes.
import type { PodEngine, PodCreateOptions, PodSummary, PodReport } from '../pods';
import type { LocalContainerEngine } from './containers';
import type { ContainerRecord } from '../../engine/container-store';
import { PodStore, PodRecord, PodConfig, podStatus } from '../../engine/pod-store';
import { randomId } from '../../util/digest';
import { randomName, NAME_RE } from '../../engine/names';
import { emitEvent, eventLogOptions } from '../../engine/events';
import { ConflictError, NotFoundError, PierError, UsageError, errorMessage } from '../../util/errors';
import { DEFAULT_CGROUP_PARENT } from '../../engine/spec';
import * as path from 'node:path';
import { goMap } from '../../util/gomap';
import { clientAnnotations } from '../../engine/annotations';
import { removePodService, startPodService, stopPodService } from '../../engine/service-container';

/** podman's pod status (engine/pod-store.ts), for the completions that read it from here. */
export { podStatus };

const RUNNING = ['running', 'paused', 'stopping'];
const SHAREABLE = ['cgroup', 'ipc', 'net', 'pid', 'uts', 'none'];

/**
 * What members get of the infra container's mounts (podman copies the infra's "user volumes"):
 * the pod's --volume mounts and its named volumes, those of --volumes-from included (that
 * option's bind mounts stay the infra's own, as in podman 4.3), as -v values.
 */
function memberVolumesOf(infra: ContainerRecord, volumes: string[]): string[] {
  const given = new Set(volumes.map((v) => { const p = v.split(':'); return p.length === 1 ? p[0] : p[1]; }));
  const imageVolumes = new Set(Object.keys(infra.config.imageConfig?.Volumes ?? {}));
  const out: string[] = [];
  for (const m of infra.config.mounts) {
    const opts = m.options.length ? `:${m.options.join(',')}` : '';
    if (m.type === 'bind' && given.has(m.destination)) out.push(`${m.source}:${m.destination}${opts}`);
    else if (m.type === 'volume' && m.name && (given.has(m.destination) || !imageVolumes.has(m.destination))) out.push(`${m.name}:${m.destination}${opts}`);
  }
  return out;
}

export class LocalPodEngine implements PodEngine {
  readonly pods: PodStore;

  constructor(readonly ce: LocalContainerEngine) {
    this.pods = ce.lifecycle.pods();
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
      if (o.noHosts) throw new UsageError('cannot specify --no-hosts without an infra container');
      // podman: the infra container's settings, the pod's cgroup and its limits go with the infra container.
      o = {
        ...o, volumes: undefined, volumesFrom: undefined, devices: undefined, securityOpt: undefined, sysctl: undefined, shmSize: undefined,
        pid: undefined, uts: undefined, infraConmonPidFile: undefined, resources: undefined, cgroupParent: undefined, shareParent: undefined,
      };
    }
    const shareParent = infra && o.shareParent !== false;
    if (shareParent && share.includes('cgroup')) {
      throw new UsageError("cannot define the pod as the cgroup parent at the same time as joining the infra container's cgroupNS: invalid argument");
    }
    const cgroupfs = this.ce.cfg.engine?.engine?.cgroup_manager !== 'systemd';
    if (infra && cgroupfs && o.cgroupParent && path.posix.basename(o.cgroupParent).endsWith('.slice')) {
      throw new UsageError('systemd slice received as cgroup parent when using cgroupfs: invalid argument');
    }
    const { podLimits, createPodCgroup, removePodCgroup } = require('../../engine/pod-cgroup') as typeof import('../../engine/pod-cgroup');
    // Devices are looked up (and bad ones refused) before anything is made.
    const limits = podLimits(o.resources ?? {});
    if (!cgroupfs && Object.keys(limits).length) throw new UsageError('pod resource limits need the cgroupfs cgroup manager');
    if (o.name && o.replace) {
      const old = this.pods.find(o.name);
      if (old) await this.remove(old.id, { force: true, timeout: 0 });
    }
    // Pod names are unique across libpod namespaces.
    if (o.name && this.pods.byName(o.name)) throw new ConflictError(`adding pod to state: name "${o.name}" is in use: pod already exists`);
    if (o.publish?.length) {
      const { parsePublish } = require('../../network/ports') as typeof import('../../network/ports');
      o.publish.forEach((p) => parsePublish(p));
    }
    if (o.serviceContainer && !this.ce.containers.get(o.serviceContainer)?.config.isService) {
      throw new NotFoundError(`looking up service container: no container with name or ID "${o.serviceContainer}" found: no such container`);
    }
    const id = randomId();
    // cgroupfs: the pod's cgroup, <parent>/<pod id>, parent of its members' (podman's --share-parent).
    const parent = o.cgroupParent ? (o.cgroupParent.startsWith('/') ? o.cgroupParent : `/${o.cgroupParent}`) : DEFAULT_CGROUP_PARENT;
    // Rootless (cgroup v1) there are no cgroups to make: the pod has none, as its containers.
    const cgroupPath = shareParent && cgroupfs && !this.ce.cfg.dirs.rootless ? path.posix.join(parent, id) : undefined;
    const config: PodConfig = {
      hostname: o.hostname, labels: o.labels ?? {}, share: share.filter((s) => s !== 'none'), infra,
      infraImage: o.infraImage, infraCommand: o.infraCommand, infraName: o.infraName,
      publish: o.publish, networks: o.networks, networkAliases: o.networkAliases, addHost: o.addHost, dns: o.dns,
      dnsSearch: o.dnsSearch, dnsOption: o.dnsOption, ip: o.ip, ip6: o.ip6, macAddress: o.macAddress, cgroupParent: o.cgroupParent,
      exitPolicy: o.exitPolicy ?? 'continue', createCommand: o.createCommand, serviceContainer: o.serviceContainer,
      ...(infra ? {
        shareParent, resources: o.resources, volumes: o.volumes, volumesFrom: o.volumesFrom, devices: o.devices, securityOpt: o.securityOpt,
        sysctl: o.sysctl, shmSize: o.shmSize, noHosts: o.noHosts, pid: o.pid, uts: o.uts, userns: o.userns, infraConmonPidFile: o.infraConmonPidFile, cgroupPath,
      } : {}),
    };
    let rec: PodRecord = { id, name: o.name ?? '', created: Date.now(), config, infraId: null, ...(this.pods.namespace ? { namespace: this.pods.namespace } : {}) };
    for (let attempt = 0; ; attempt++) {
      if (!o.name) rec.name = randomName();
      try { this.pods.insert(rec); break; } catch (e) {
        if (o.name || !(e instanceof ConflictError) || attempt > 20) throw e;
      }
    }
    if (infra) {
      let madeCgroup = false;
      try {
        if (cgroupPath) { createPodCgroup(cgroupPath, limits); madeCgroup = true; }
        // --infra-image, else containers.conf's [engine] infra_image, else the locally built pause image.
        const image = o.infraImage || await this.ce.infraImage();
        // The pod's hostname needs a UTS namespace of the infra's own.
        const ownUts = o.uts === undefined || o.uts === '' || o.uts === 'private';
        const { id: infraId } = await this.ce.create({
          // --infra-command replaces the image's entrypoint (podman's infra Entrypoint), with no command.
          image, command: [], ...(o.infraCommand?.length ? { entrypoint: o.infraCommand } : {}), name: o.infraName ?? `${id.slice(0, 12)}-infra`,
          hostname: o.hostname ?? (ownUts ? rec.name : undefined), publish: o.publish, networks: o.networks, networkAliases: o.networkAliases,
          addHost: o.addHost, dns: o.dns, dnsSearch: o.dnsSearch, dnsOption: o.dnsOption, ip: o.ip, ip6: o.ip6, macAddress: o.macAddress,
          cgroupParent: cgroupPath ?? o.cgroupParent, infraOf: id, pull: 'missing',
          volumes: o.volumes, volumesFrom: o.volumesFrom, devices: o.devices, securityOpt: o.securityOpt, sysctl: o.sysctl,
          shmSize: o.shmSize, noHosts: o.noHosts, pid: o.pid, uts: o.uts, userns: o.userns, conmonPidFile: o.infraConmonPidFile,
          // podman's pod create fills the infra's spec as its create's: the same command line and client annotations.
          createCommand: o.createCommand, annotations: clientAnnotations({ securityOpt: o.securityOpt }), sdnotify: o.infraSdnotify,
        });
        const infraRec = this.ce.containers.get(infraId);
        const memberVolumes = infraRec ? memberVolumesOf(infraRec, o.volumes ?? []) : [];
        if (memberVolumes.length) {
          config.memberVolumes = memberVolumes;
          this.pods.setConfig(id, config);
        }
        this.pods.setInfra(id, infraId);
        rec = { ...rec, config, infraId };
      } catch (e) {
        this.pods.delete(id);
        if (madeCgroup) removePodCgroup(cgroupPath!);
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
    await startPodService(this.ce.lifecycle, p);
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
    await stopPodService(this.ce.lifecycle, p.id);
    this.event(p, 'stop');
    return this.report(p, errs, 'stopping');
  }

  async restart(nameOrId: string): Promise<PodReport> {
    const p = this.pods.lookup(nameOrId);
    // The pod's service container (kube play's) stays up while its containers restart.
    if (p.config.serviceContainer) this.pods.setConfig(p.id, { ...p.config, restarting: true });
    let r: PodReport;
    try {
      await this.stop(p.id, {});
      // podman's pod restart restarts the pod's containers but runs no init container.
      r = await this.start(p.id, { skipInit: true });
    } finally {
      const cur = this.pods.get(p.id);
      if (cur?.config.restarting) this.pods.setConfig(p.id, { ...cur.config, restarting: undefined });
    }
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
    await removePodService(this.ce.lifecycle, p);
    if (p.config.cgroupPath) {
      const { removePodCgroup } = require('../../engine/pod-cgroup') as typeof import('../../engine/pod-cgroup');
      removePodCgroup(p.config.cgroupPath);
    }
    this.event(p, 'remove');
    return { Id: p.id, RemovedCtrs: removed };
  }

  summary(p: PodRecord): PodSummary {
    const members = this.members(p);
    const infra = members.find((c) => c.id === p.infraId);
    return {
      // podman: the pod's cgroup parent (cgroupfs: /libpod_parent by default, pier's /pier_parent).
      Cgroup: p.config.cgroupParent && p.config.infra ? p.config.cgroupParent
        : this.ce.cfg.engine?.engine?.cgroup_manager === 'systemd' ? 'machine.slice' : DEFAULT_CGROUP_PARENT,
      Containers: members.map((c) => ({ Id: c.id, Names: c.name, Status: c.state.status, RestartCount: c.state.restartCount ?? 0 })),
      Created: new Date(p.created).toISOString(),
      Id: p.id,
      InfraId: p.infraId ?? '',
      Name: p.name,
      Namespace: p.namespace ?? '',
      Networks: infra ? Object.keys(infra.config.networks ?? {}) : [],
      // podman leaves init containers out of the pod's status (they are exited once the pod runs).
      Status: podStatus(members.filter((c) => !c.config.initContainerType).map((c) => c.state.status)),
      Labels: goMap(p.config.labels),
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
    const c = p.config;
    // podman reads the pod's limits through its CPU settings: with none of --cpus, --cpu-shares,
    // --cpuset-cpus or --cpuset-mems, inspect shows none of them (the cgroup has them all the same).
    let lim: import('../../engine/pod-cgroup').PodLimits = {};
    if (c.resources) {
      const { podLimits } = require('../../engine/pod-cgroup') as typeof import('../../engine/pod-cgroup');
      try { lim = podLimits(c.resources); } catch { lim = {}; }
    }
    const shown = lim.cpu ? lim : {};
    const throttle = (l: { path: string; rate: number }[] | undefined) => (l?.length ? l.map((d) => ({ Path: d.path, Rate: d.rate })) : undefined);
    // The infra container's own view: its namespaces, security options and the mounts members share.
    const nsMode = (v: string | undefined): string => (v === 'host' ? 'host' : v?.startsWith('ns:') ? v : 'private');
    let mounts: unknown[] | undefined;
    let securityOpt: string[] | undefined;
    if (infra) {
      const ci = await this.ce.inspect(infra.id).catch(() => undefined) as Record<string, any> | undefined;
      const dests = new Set((c.memberVolumes ?? []).map((v) => v.split(':')[1]));
      const m = ((ci?.Mounts ?? []) as { Destination: string }[]).filter((x) => dests.has(x.Destination));
      if (m.length) mounts = m;
      // podman lists the infra's no-new-privileges, label, seccomp and apparmor settings.
      const so = ((ci?.HostConfig?.SecurityOpt ?? []) as string[]).filter((x) => /^(no-new-privileges|(label|seccomp|apparmor)[=:])/.test(x));
      if (so.length) securityOpt = so;
    }
    const empty = <T>(v: T[] | undefined): T[] | undefined => (v?.length ? v : undefined);
    return {
      Id: p.id,
      Name: p.name,
      Namespace: p.namespace || undefined,
      Created: new Date(p.created).toISOString(),
      CreateCommand: empty(c.createCommand),
      ExitPolicy: c.exitPolicy,
      State: s.Status,
      Hostname: c.hostname ?? '',
      Labels: Object.keys(c.labels).length ? goMap(c.labels) : undefined,
      CreateCgroup: !!c.cgroupPath,
      CgroupParent: s.Cgroup,
      CgroupPath: c.cgroupPath,
      CreateInfra: c.infra,
      InfraContainerID: p.infraId ?? undefined,
      InfraConfig: c.infra ? {
        PortBindings: goMap(ports),
        HostNetwork: infra?.config.networkMode === 'host',
        StaticIP: c.ip ?? '',
        StaticMAC: c.macAddress ?? '',
        NoManageResolvConf: false,
        DNSServer: c.dns ?? null,
        DNSSearch: c.dnsSearch ?? null,
        DNSOption: c.dnsOption ?? null,
        NoManageHosts: !!c.noHosts,
        HostAdd: c.addHost ?? null,
        Networks: s.Networks,
        NetworkOptions: null,
        cpu_period: shown.cpu?.period,
        cpu_quota: shown.cpu?.quota,
        cpuset_cpus: shown.cpu?.cpus || undefined,
        pid_ns: nsMode(c.pid),
        userns: infra?.config.idMappings ? 'private' : 'host',
        uts_ns: nsMode(c.uts),
      } : undefined,
      SharedNamespaces: c.infra ? empty(c.share) : undefined,
      NumContainers: s.Containers.length,
      Containers: empty(s.Containers.map((x) => ({ Id: x.Id, Name: x.Names, State: x.Status }))),
      cpu_period: shown.cpu?.period,
      cpu_quota: shown.cpu?.quota,
      cpu_shares: shown.cpu?.shares,
      cpuset_cpus: shown.cpu?.cpus || undefined,
      cpuset_mems: shown.cpu?.mems || undefined,
      mounts,
      device_read_bps: throttle(shown.blockIO?.throttleReadBpsDevice),
      device_write_bps: throttle(shown.blockIO?.throttleWriteBpsDevice),
      volumes_from: empty(c.volumesFrom),
      security_opt: securityOpt,
      memory_limit: shown.memory?.limit || undefined,
      memory_swap: shown.memory?.swap || undefined,
      blkio_weight: shown.blockIO?.weight || undefined,
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

  async clone(nameOrId: string, opts: { name?: string; start?: boolean; destroy?: boolean; changes?: Partial<PodCreateOptions> }): Promise<string> {
    const p = this.pods.lookup(nameOrId);
    const c = p.config;
    const ch = opts.changes ?? {};
    const { cloneName } = require('./clone') as typeof import('./clone');
    const podTaken = (n: string) => { try { return this.pods.lookup(n).name === n; } catch { return false; } };
    const infra = p.infraId ? this.ce.containers.get(p.infraId) : undefined;
    // podman's names: POD-clone (-clone1...), the infra container's likewise, unless given.
    const id = await this.create({
      name: opts.name || cloneName(p.name, podTaken), hostname: c.hostname, share: c.share, infra: c.infra,
      infraImage: c.infraImage, infraCommand: c.infraCommand, publish: opts.destroy ? c.publish : undefined, networks: c.networks,
      networkAliases: c.networkAliases, addHost: c.addHost, dns: c.dns, dnsSearch: c.dnsSearch, dnsOption: c.dnsOption,
      cgroupParent: c.cgroupParent, exitPolicy: c.exitPolicy, shareParent: c.shareParent,
      volumes: c.volumes, volumesFrom: c.volumesFrom, devices: c.devices, securityOpt: c.securityOpt, sysctl: c.sysctl,
      shmSize: c.shmSize, noHosts: c.noHosts, pid: c.pid, uts: c.uts, userns: c.userns,
      infraName: infra ? cloneName(infra.name, (n) => !!this.ce.containers.byName(n, { external: true })) : undefined,
      ...ch,
      labels: { ...c.labels, ...(ch.labels ?? {}) },
      resources: ch.resources ? { ...(c.resources ?? {}), ...ch.resources } : c.resources,
    });
    // Its containers, cloned into it (their namespaces the new pod's), in the order they were made.
    for (const cid of this.pods.containerIds(p.id)) {
      if (cid === p.infraId) continue;
      await this.ce.clone(cid, { pod: id });
    }
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
