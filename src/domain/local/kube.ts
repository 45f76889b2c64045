// `generate kube`, `kube play` and `kube down` on the local store: the containers, pods and
// volumes described for engine/kube's generator; play and down through the engines (kube-play).
import * as fs from 'node:fs';
import type { Engines } from '../engines';
import type { KubeEngine, PlayKubeOptions } from '../kube';
import { KubePlayer } from '../kube-play';
import type { LocalContainerEngine } from './containers';
import type { ContainerRecord } from '../../engine/container-store';
import { createTimeProcess, parseSecurityOpts } from '../../engine/lifecycle';
import { withContainerRootfs } from '../../engine/container-files';
import { resolveUser } from '../../engine/spec/user';
import { generateKube, type KubeContainerInput, type KubeMountInput, type KubePodInput, type KubeVolumeInput } from '../../engine/kube/generate';
import { NotFoundError, PierError, errorMessage } from '../../util/errors';
import { log } from '../../util/log';

/** podman's isHostPathDirectory as generate uses it: Directory, File, or DirectoryOrCreate when nothing is there. */
function hostPathType(p: string): 'Directory' | 'File' | 'DirectoryOrCreate' {
  try { return fs.statSync(p).isDirectory() ? 'Directory' : 'File'; } catch { return 'DirectoryOrCreate'; }
}

/** The tmpfs mounts --read-only adds (podman lists them as user mounts). */
const READ_ONLY_TMPFS = ['/tmp', '/var/tmp', '/run'];

export class LocalKubeEngine implements KubeEngine {
  private readonly player: KubePlayer;

  constructor(private readonly ce: LocalContainerEngine, private readonly engines: Engines) {
    this.player = new KubePlayer(engines);
  }

  play(yaml: string, o: PlayKubeOptions) { return this.player.play(yaml, o); }
  down(yaml: string) { return this.player.down(yaml); }

  private async input(c: ContainerRecord): Promise<KubeContainerInput> {
    const o = c.config.create;
    const mounts: KubeMountInput[] = [];
    for (const m of c.config.mounts) {
      if (m.imageVolume || m.type === 'image') continue;
      if (m.type === 'volume') mounts.push({ kind: 'named', name: m.name ?? m.source, destination: m.destination, options: m.options });
      else mounts.push({ kind: 'host', source: m.type === 'tmpfs' ? 'tmpfs' : m.source, destination: m.destination, options: m.options, hostPathType: hostPathType(m.type === 'tmpfs' ? 'tmpfs' : m.source) });
    }
    if (o.readOnly && o.readOnlyTmpfs !== false) {
      for (const d of READ_ONLY_TMPFS) {
        if (!c.config.mounts.some((m) => m.destination === d)) mounts.push({ kind: 'host', source: 'tmpfs', destination: d, options: [], hostPathType: hostPathType('tmpfs') });
      }
    }
    const env = [...c.config.env];
    // HOSTNAME is in podman's spec env when --hostname was given (not when the pod set it).
    const given = c.config.podGiven && 'hostname' in c.config.podGiven ? (c.config.podGiven.hostname as string | null) : o.hostname;
    if (given && !env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${given}`);
    const ic = (c.config.imageConfig ?? {}) as KubeContainerInput['imageConfig'];
    let runAs: KubeContainerInput['runAs'];
    if (c.config.user && (ic.User ?? '') !== c.config.user) {
      const numeric = /^(\d+):(\d+)$/.exec(c.config.user);
      if (numeric) runAs = { uid: Number(numeric[1]), gid: Number(numeric[2]) };
      else {
        runAs = await withContainerRootfs(this.ce.lifecycle, c.id, async (_c, rootfs) => {
          const u = resolveUser(rootfs, c.config.user);
          return { uid: u.uid, gid: u.gid };
        });
      }
    }
    const sec = parseSecurityOpts(o.securityOpt ?? []);
    const label = (o.securityOpt ?? []).map((s) => /^label[=:](.*)$/.exec(s)?.[1]).find((v) => v !== undefined);
    let cpuQuota = o.cpuQuota;
    let cpuPeriod = o.cpuPeriod;
    if (o.cpus) { cpuPeriod = 100000; cpuQuota = Math.round(o.cpus * 100000); }
    return {
      id: c.id, name: c.name, created: c.created, hostname: c.config.hostname, isInfra: !!c.config.isInfra, isInit: !!c.config.initContainerType,
      entrypoint: c.config.entrypoint, cmd: c.config.cmd, image: this.ce.imageDisplayName(c), imageConfig: ic,
      workdir: c.config.workdir, user: c.config.user ?? '', runAs, env, annotations: c.config.annotations ?? {}, labels: c.config.labels ?? {},
      capabilities: createTimeProcess(c).capabilities, privileged: !!o.privileged, readOnly: !!o.readOnly, noNewPrivileges: !!sec.noNewPrivileges,
      selinuxLabel: label, mounts, ports: c.config.portMappings ?? [], memoryLimit: o.memory, cpuQuota, cpuPeriod,
      dnsServers: o.dns ?? [], dnsSearch: o.dnsSearch ?? [], dnsOptions: o.dnsOption ?? [], tty: !!o.tty, stdin: !!o.interactive,
      restartPolicy: c.config.restart.name, hostNetwork: c.config.networkMode === 'host', hostUsers: !c.config.idMappings,
      hasDevices: !!o.devices?.length,
    };
  }

  async generate(namesOrIds: string[], opts: { service?: boolean }): Promise<string> {
    const pods = this.ce.lifecycle.pods();
    const ctrs: KubeContainerInput[] = [];
    const podInputs: KubePodInput[] = [];
    const vols: KubeVolumeInput[] = [];
    for (const name of namesOrIds) {
      const c = this.ce.containers.find(name);
      if (c) {
        if (c.podId) throw new PierError(`container ${c.id} is associated with pod ${c.podId}: use generate on the pod itself`);
        ctrs.push(await this.input(c));
        continue;
      }
      let pod;
      try { pod = pods.lookup(name); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
      if (pod) {
        const members = pods.containerIds(pod.id).map((id) => this.ce.containers.get(id)).filter((x): x is ContainerRecord => !!x);
        const inputs = await Promise.all(members.map((m) => this.input(m)));
        const infra = members.find((m) => m.id === pod!.infraId);
        const share = pod.config.share;
        podInputs.push({
          id: pod.id, name: pod.name, sharesNet: share.includes('net'), sharesPid: share.includes('pid'),
          defaultNamespaces: ['ipc', 'net', 'uts'].every((s) => share.includes(s)),
          infra: infra ? { ...inputs[members.indexOf(infra)], addHost: infra.config.create.addHost ?? [] } : undefined,
          containers: inputs,
        });
        continue;
      }
      const v = await this.volume(name);
      if (v) { vols.push(v); continue; }
      throw new PierError(`name or ID ${JSON.stringify(name)} not found`);
    }
    try {
      return generateKube({
        containers: ctrs, pods: podInputs, volumes: vols, service: !!opts.service, version: typeof PIER_VERSION === 'string' ? PIER_VERSION : '0.0.0-dev',
        now: new Date(), warn: (m) => log.warn(m),
      });
    } catch (e) {
      throw e instanceof PierError ? e : new PierError(errorMessage(e));
    }
  }

  private async volume(name: string): Promise<KubeVolumeInput | undefined> {
    try {
      const v = await this.engines.volumes().inspect(name);
      return { name: v.Name, driver: v.Driver, labels: v.Labels ?? {}, options: v.Options ?? {} };
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }
}
