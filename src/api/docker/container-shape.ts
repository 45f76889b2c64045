// A container in the Docker Engine API's shape for GET /containers/{id}/json (ContainerJSON), built
// from pier's container record (Docker's field names and types, not podman's inspect).
import { usernsModeShown } from '../../engine/userns';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalContainerEngine } from '../../domain/local/containers';
import type { ContainerRecord } from '../../engine/container-store';
import type { ContainerState } from '../../domain/containers';
import type { PortMapping } from '../../network/types';
import { containerDirs } from '../../engine/rootfs';
import { dirSize } from '../../domain/local/container-ops';
import { signalName } from '../../util/signals';
import { goMap } from '../../util/gomap';
import { inspectEnv } from '../../engine/lifecycle';
import { readSpec } from '../../engine/spec';
import { volumeMountShown } from '../../engine/volumes';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's block I/O device lists from pier's `DEV:VALUE` entries (null when unset). */
function devList(l: string[] | undefined, key: 'Weight' | 'Rate'): Record<string, unknown>[] | null {
  if (!l?.length) return null;
  return l.map((v) => { const i = v.indexOf(':'); return { Path: v.slice(0, i), [key]: Number(v.slice(i + 1)) }; });
}

/** A Docker EndpointIPAMConfig from the static addresses (IPv6Address is omitted when empty, as Docker's). */
function ipamConfig(ips: string[]): Record<string, string> {
  const v6 = ips.find((x) => x.includes(':'));
  return { IPv4Address: ips.find((x) => !x.includes(':')) ?? '', ...(v6 ? { IPv6Address: v6 } : {}) };
}

/** pier's states → Docker's (created, running, paused, restarting, removing, exited, dead). */
export function dockerState(s: ContainerState['status']): string {
  switch (s) {
    case 'configured': case 'initialized': return 'created';
    case 'stopping': return 'running';
    case 'stopped': return 'exited';
    default: return s;
  }
}

/** pier's default network is Docker's `bridge`. */
export function dockerNetworkName(name: string): string {
  return name === 'pier' ? 'bridge' : name;
}

function ports(c: ContainerRecord): PortMapping[] {
  return c.state.network?.ports ?? c.config.portMappings ?? [];
}

/** Exposed ports of the container: the image's, --expose'd and published ones ("80/tcp"). */
function exposedPorts(c: ContainerRecord): string[] {
  const set = new Set<string>(Object.keys(c.config.imageConfig?.ExposedPorts ?? {}));
  for (const e of c.config.create.expose ?? []) set.add(e.includes('/') ? e : `${e}/tcp`);
  for (const m of ports(c)) for (let i = 0; i < m.range; i++) set.add(`${m.container_port + i}/${m.protocol}`);
  return [...set];
}

function portMap(c: ContainerRecord, running: boolean): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const p of exposedPorts(c)) out[p] = null;
  for (const m of ports(c)) {
    for (let i = 0; i < m.range; i++) {
      const key = `${m.container_port + i}/${m.protocol}`;
      if (!running && !m.host_port) continue;
      (out[key] ??= []).push({ HostIp: m.host_ip || '0.0.0.0', HostPort: m.host_port ? String(m.host_port + i) : '' });
    }
  }
  return goMap(out);
}

function portBindings(c: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const m of c.config.portMappings ?? []) {
    for (let i = 0; i < m.range; i++) {
      (out[`${m.container_port + i}/${m.protocol}`] ??= []).push({ HostIp: m.host_ip, HostPort: m.host_port ? String(m.host_port + i) : '' });
    }
  }
  return goMap(out);
}

function endpoints(c: ContainerRecord): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const status = c.state.network?.status ?? {};
  for (const name of Object.keys(c.config.networks ?? {})) {
    const block = status[name];
    const iface = block ? Object.values(block.interfaces ?? {})[0] : undefined;
    const v4 = iface?.subnets?.find((x) => !x.ipnet.includes(':'));
    const v6 = iface?.subnets?.find((x) => x.ipnet.includes(':'));
    const settings = c.config.networks?.[name] ?? {};
    out[dockerNetworkName(name)] = {
      IPAMConfig: settings.staticIps?.length ? ipamConfig(settings.staticIps) : null,
      Links: null,
      Aliases: [...(settings.aliases ?? []), c.id.slice(0, 12)],
      NetworkID: name,
      EndpointID: block ? c.id.slice(0, 32) + name.length.toString(16).padStart(2, '0') : '',
      Gateway: v4?.gateway ?? '',
      IPAddress: v4?.ipnet.split('/')[0] ?? '',
      IPPrefixLen: v4 ? Number(v4.ipnet.split('/')[1]) : 0,
      IPv6Gateway: v6?.gateway ?? '',
      GlobalIPv6Address: v6?.ipnet.split('/')[0] ?? '',
      GlobalIPv6PrefixLen: v6 ? Number(v6.ipnet.split('/')[1]) : 0,
      MacAddress: iface?.mac_address ?? '',
      DriverOpts: null,
    };
  }
  return goMap(out);
}

function mounts(engine: LocalContainerEngine, c: ContainerRecord): Record<string, unknown>[] {
  return c.config.mounts.map((m) => {
    const shown = m.type === 'volume' ? volumeMountShown(engine.store, m) : { Source: m.source, Driver: '' };
    return {
      Type: m.type, ...(m.name ? { Name: m.name } : {}), Source: shown.Source, Destination: m.destination,
      Driver: shown.Driver, Mode: m.options.filter((x) => x === 'ro' || x === 'rw' || x === 'z' || x === 'Z').join(','),
      RW: !m.options.includes('ro'), Propagation: m.type === 'bind' ? 'rprivate' : '',
    };
  });
}

/** Docker's ContainerJSON for GET /containers/{id}/json. */
export function dockerInspect(engine: LocalContainerEngine, c: ContainerRecord, opts: { size?: boolean } = {}): Record<string, unknown> {
  const s = c.state;
  const o = c.config.create;
  const d = containerDirs(engine.store, c.id);
  const status = dockerState(s.status);
  const running = status === 'running' || status === 'paused';
  const args = [...c.config.entrypoint, ...c.config.cmd];
  const nets = endpoints(c);
  const first = Object.values(nets)[0] as Record<string, any> | undefined;
  const mode = c.config.networkMode === 'bridge' ? (Object.keys(c.config.networks ?? {}).map(dockerNetworkName)[0] ?? 'bridge') : c.config.networkMode;
  const out: Record<string, unknown> = {
    Id: c.id,
    Created: new Date(c.created).toISOString(),
    Path: args[0] ?? '',
    Args: args.slice(1),
    State: {
      Status: status,
      Running: status === 'running',
      Paused: status === 'paused',
      Restarting: false,
      OOMKilled: s.oomKilled,
      Dead: false,
      Pid: s.pid,
      ExitCode: s.exitCode,
      Error: s.error,
      StartedAt: s.startedAt || ZERO_TIME,
      FinishedAt: s.finishedAt || ZERO_TIME,
      ...(s.health ? { Health: { Status: s.health.status, FailingStreak: s.health.failingStreak, Log: s.health.log } } : {}),
    },
    Image: c.imageId ? `sha256:${c.imageId}` : '',
    // As podman's compat inspect: empty when the container has no such file (not started yet,
    // --no-hosts, --network none's resolv.conf).
    ResolvConfPath: existing(path.join(d.run, 'resolv.conf')),
    HostnamePath: existing(path.join(d.run, 'hostname')),
    HostsPath: existing(path.join(d.run, 'hosts')),
    LogPath: c.config.logPath,
    Name: `/${c.name}`,
    RestartCount: s.restartCount,
    Driver: engine.store.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: c.config.mounts.filter((m) => m.type !== 'tmpfs' && m.type !== 'image').map((m) => `${m.name ?? m.source}:${m.destination}${m.options.length ? ':' + m.options.join(',') : ''}`),
      ContainerIDFile: '',
      LogConfig: { Type: c.config.logDriver === 'k8s-file' ? 'json-file' : c.config.logDriver, Config: goMap({}) },
      NetworkMode: mode,
      PortBindings: portBindings(c),
      RestartPolicy: { Name: c.config.restart.name === 'no' ? '' : c.config.restart.name, MaximumRetryCount: c.config.restart.maximumRetryCount },
      AutoRemove: !!o.rm,
      VolumeDriver: '',
      VolumesFrom: o.volumesFrom?.length ? o.volumesFrom : null,
      ConsoleSize: [0, 0],
      CapAdd: o.capAdd ?? null,
      CapDrop: o.capDrop ?? null,
      CgroupnsMode: o.cgroupns ?? 'host',
      Dns: o.dns ?? [],
      DnsOptions: o.dnsOption ?? [],
      DnsSearch: o.dnsSearch ?? [],
      ExtraHosts: o.addHost ?? null,
      GroupAdd: o.groupAdd ?? null,
      IpcMode: o.ipc ?? 'private',
      Cgroup: '',
      Links: null,
      OomScoreAdj: o.oomScoreAdj ?? 0,
      PidMode: o.pid ?? '',
      Privileged: !!o.privileged,
      PublishAllPorts: !!o.publishAll,
      ReadonlyRootfs: !!o.readOnly,
      SecurityOpt: o.securityOpt ?? null,
      Tmpfs: goMap(Object.fromEntries(c.config.mounts.filter((m) => m.type === 'tmpfs').map((m) => [m.destination, m.options.join(',')]))),
      UTSMode: o.uts ?? '',
      UsernsMode: usernsModeShown(o.userns, c.config.idMappings),
      ShmSize: o.shmSize ?? 65536000,
      Runtime: c.config.runtime || 'runc',
      Isolation: '',
      CpuShares: o.cpuShares ?? 0,
      Memory: o.memory ?? 0,
      NanoCpus: o.cpus ? Math.round(o.cpus * 1e9) : 0,
      CgroupParent: o.cgroupParent ?? '',
      BlkioWeight: o.blkioWeight ?? 0,
      BlkioWeightDevice: devList(o.blkioWeightDevice, 'Weight'),
      BlkioDeviceReadBps: devList(o.deviceReadBps, 'Rate'),
      BlkioDeviceWriteBps: devList(o.deviceWriteBps, 'Rate'),
      BlkioDeviceReadIOps: devList(o.deviceReadIops, 'Rate'),
      BlkioDeviceWriteIOps: devList(o.deviceWriteIops, 'Rate'),
      CpuPeriod: o.cpuPeriod ?? 0,
      CpuQuota: o.cpuQuota ?? 0,
      CpuRealtimePeriod: o.cpuRtPeriod ?? 0,
      CpuRealtimeRuntime: o.cpuRtRuntime ?? 0,
      CpusetCpus: o.cpusetCpus ?? '',
      CpusetMems: o.cpusetMems ?? '',
      Devices: (o.devices ?? []).map((dv) => { const [h, cp, perm] = dv.split(':'); return { PathOnHost: h, PathInContainer: cp ?? h, CgroupPermissions: perm ?? 'rwm' }; }),
      DeviceCgroupRules: o.deviceCgroupRules ?? null,
      DeviceRequests: null,
      MemoryReservation: o.memoryReservation ?? 0,
      MemorySwap: o.memorySwap ?? 0,
      MemorySwappiness: o.memorySwappiness ?? 0,
      OomKillDisable: !!o.oomKillDisable,
      PidsLimit: o.pidsLimit ?? null,
      Ulimits: (o.ulimits ?? []).map((u) => { const [n, v = ''] = u.split('='); const [soft, hard] = v.split(':'); return { Name: n, Soft: Number(soft), Hard: Number(hard ?? soft) }; }),
      Init: o.init ?? null,
      MaskedPaths: null,
      ReadonlyPaths: null,
    },
    GraphDriver: { Name: engine.store.driver, Data: goMap(engine.store.driver === 'overlay' ? { LowerDir: '', UpperDir: d.diff, WorkDir: d.work, MergedDir: d.rootfs } : { Dir: d.rootfs }) },
    Mounts: mounts(engine, c),
    Config: {
      Hostname: c.config.hostname,
      Domainname: '',
      User: c.config.user,
      AttachStdin: !!o.interactive,
      AttachStdout: true,
      AttachStderr: true,
      ExposedPorts: goMap(Object.fromEntries(exposedPorts(c).map((p) => [p, {}]))),
      Tty: !!o.tty,
      OpenStdin: !!o.interactive,
      StdinOnce: false,
      Env: inspectEnv(c, readSpec(d.userdata)),
      Cmd: c.config.cmd.length ? c.config.cmd : null,
      ...(c.config.healthcheck ? { Healthcheck: c.config.healthcheck } : {}),
      Image: c.imageName,
      Volumes: goMap(Object.fromEntries(c.config.mounts.filter((m) => m.type === 'volume').map((m) => [m.destination, {}]))),
      WorkingDir: c.config.workdir,
      Entrypoint: c.config.entrypoint.length ? c.config.entrypoint : null,
      OnBuild: null,
      Labels: goMap(c.config.labels),
      StopSignal: signalName(c.config.stopSignal),
      StopTimeout: c.config.stopTimeout,
    },
    NetworkSettings: {
      Bridge: '',
      SandboxID: running ? c.id : '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: portMap(c, running),
      SandboxKey: running && Object.keys(nets).length ? path.join(engine.store.runRoot, 'netns', `pier-${c.id}`) : '',
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: first?.EndpointID ?? '',
      Gateway: first?.Gateway ?? '',
      GlobalIPv6Address: first?.GlobalIPv6Address ?? '',
      GlobalIPv6PrefixLen: first?.GlobalIPv6PrefixLen ?? 0,
      IPAddress: first?.IPAddress ?? '',
      IPPrefixLen: first?.IPPrefixLen ?? 0,
      IPv6Gateway: first?.IPv6Gateway ?? '',
      MacAddress: first?.MacAddress ?? '',
      Networks: nets,
    },
  };
  if (opts.size) {
    const rw = dirSize(d.diff);
    out.SizeRw = rw;
    out.SizeRootFs = rw + (c.imageId ? engine.store.images.get(c.imageId)?.size ?? 0 : 0);
  }
  return out;
}

function existing(file: string): string {
  return fs.existsSync(file) ? file : '';
}
