// `generate spec` (podman 4.3's): a container or pod as the Specgen JSON the Libpod API's
// POST /libpod/containers/create or /libpod/pods/create take, to make it again. A container's
// spec starts from what `container clone` would create (./clone) in the fields podman's
// SpecGenerator has, with the resolved settings podman's ConfigToSpec copies from the container
// (its image by id, full environment and labels, mounts, ports, networks, namespaces, ID
// mappings); a pod's from its recorded options and its infra container.
import type { ContainerRecord } from '../../engine/container-store';
import type { PodRecord } from '../../engine/pod-store';
import type { IdMappings } from '../../engine/userns';
import type { CreateOptions } from '../containers';
import { DEFAULT_SHM_SIZE } from '../../engine/spec';
import { ANNOTATION_TTY } from '../../engine/annotations';
import { specGenerator } from '../remote/spec';
import { markGoMaps } from '../../util/gomap';

type Json = Record<string, unknown>;

/**
 * SpecGenerator's fields in podman's declaration order (its embedded configs: basic, storage,
 * security, cgroup, network, resource, health), which is the order Go writes them; maps' keys sorted.
 */
const FIELD_ORDER = [
  'name', 'pod', 'entrypoint', 'command', 'env', 'terminal', 'stdin', 'labels', 'annotations', 'stop_signal', 'stop_timeout',
  'timeout', 'log_configuration', 'conmon_pid_file', 'restart_policy', 'restart_tries', 'systemd', 'sdnotifyMode', 'pidns',
  'utsns', 'hostname', 'sysctl', 'remove', 'containerCreateCommand', 'personality', 'secret_env', 'init_container_type',
  'hostusers', 'envmerge', 'unsetenv', 'unsetenvall', 'passwd_entry', 'dependencyContainers', 'timezone', 'httpproxy',
  'image', 'rootfs', 'image_volume_mode', 'mounts', 'volumes', 'overlay_volumes', 'image_volumes', 'devices', 'init',
  'ipcns', 'shm_size', 'work_dir', 'create_working_dir', 'secrets', 'volumes_from', 'chroot_directories', 'manage_password',
  'privileged', 'user', 'groups', 'cap_add', 'cap_drop', 'selinux_opts', 'userns', 'idmappings', 'read_only_filesystem', 'umask',
  'cgroupns', 'cgroup_parent', 'netns', 'portmappings', 'publish_image_ports', 'expose', 'Networks', 'dns_server', 'dns_search',
  'dns_option', 'use_image_hosts', 'hostadd', 'resource_limits', 'oom_score_adj', 'weightDevice', 'throttleReadBpsDevice',
  'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice', 'device_cgroup_rule', 'cgroup_conf',
  'health_check_on_failure_action',
];

/** The fields in podman's order (others after them), the map-valued ones with sorted keys. */
function ordered(o: Json): Json {
  markGoMaps(o, ['env', 'labels', 'annotations', 'sysctl', 'secret_env', 'Networks']);
  const rank = (k: string) => { const i = FIELD_ORDER.indexOf(k); return i < 0 ? FIELD_ORDER.length : i; };
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => rank(a) - rank(b)));
}

/** Drops undefined fields (Go's omitempty of the fields that have it). */
function compact(o: Json): Json {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** Published ports as podman's PortMapping structs (every field, as Go marshals them). */
function portmappings(c: ContainerRecord): Json[] | undefined {
  const list = c.config.portMappings ?? [];
  if (!list.length) return undefined;
  return list.map((m) => ({ host_ip: m.host_ip ?? '', container_port: m.container_port, host_port: m.host_port, range: m.range || 1, protocol: m.protocol || 'tcp' }));
}

/** Bridge networks as podman's PerNetworkOptions by network name. */
function networks(c: ContainerRecord): Json | undefined {
  const nets = c.config.networks;
  if (c.config.networkMode !== 'bridge' || !nets || !Object.keys(nets).length) return undefined;
  return Object.fromEntries(Object.entries(nets).map(([name, s]) => [name, compact({
    static_ips: s.staticIps?.length ? s.staticIps : undefined, aliases: s.aliases?.length ? s.aliases : undefined,
    static_mac: s.staticMac, interface_name: s.interfaceName ?? 'eth0',
  })]));
}

/** The network namespace as SpecGenerator's netns. */
function netns(mode: string): Json {
  if (mode === 'bridge' || mode === 'host' || mode === 'none' || mode === 'private') return { nsmode: mode };
  if (mode.startsWith('slirp4netns')) return mode.includes(':') ? { nsmode: 'slirp4netns', value: mode.slice(mode.indexOf(':') + 1) } : { nsmode: 'slirp4netns' };
  if (mode.startsWith('container:')) return { nsmode: 'container', value: mode.slice('container:'.length) };
  if (mode.startsWith('ns:')) return { nsmode: 'path', value: mode.slice(3) };
  return { nsmode: 'default' };
}

/** podman's IDMappingOptions struct: host mappings unless the container has its own user namespace. */
function idmappings(maps?: IdMappings): Json {
  const list = (m?: IdMappings['uidMap']) => (m?.length ? m.map((x) => ({ container_id: x.containerID, host_id: x.hostID, size: x.size })) : null);
  return {
    HostUIDMapping: !maps, HostGIDMapping: !maps, UIDMap: list(maps?.uidMap), GIDMap: list(maps?.gidMap), AutoUserNs: false,
    AutoUserNsOpts: { Size: 0, InitialSize: 0, PasswdFile: '', GroupFile: '', AdditionalUIDMappings: null, AdditionalGIDMappings: null },
  };
}

/** The limits as podman's spec carries them: every device denied but those listed, and the pids limit. */
function resourceLimits(given: Json | undefined, pidsLimit: number | undefined): Json {
  const r: Json = { devices: [{ allow: false, access: 'rwm' }], ...(given ?? {}) };
  const pids = pidsLimit ?? 2048;
  if (pids > 0) r.pids = { limit: pids };
  else delete r.pids;
  return r;
}

/** A container's Specgen. `opts` are the options a clone of it would be created with (its name included). */
export function containerSpecgen(c: ContainerRecord, opts: CreateOptions): Json {
  const base = specGenerator(opts);
  delete base.pier_create_options;
  const cfg = c.config;
  const create = cfg.create;
  // Bind mounts with the options their spec mount gets (rw, rprivate, rbind unless given otherwise).
  const mounts = cfg.mounts.filter((m) => m.type === 'bind' || m.type === 'tmpfs').map((m) => {
    const options = [...m.options];
    if (m.type === 'bind') {
      if (!options.some((x) => x === 'ro' || x === 'rw')) options.unshift('rw');
      if (!options.some((x) => /^r?(private|shared|slave|unbindable)$/.test(x))) options.push('rprivate');
      if (!options.some((x) => x === 'bind' || x === 'rbind')) options.push('rbind');
    }
    return { destination: m.destination, type: m.type, source: m.type === 'tmpfs' ? 'tmpfs' : m.source, options };
  });
  // The client's TTY annotation is made again by create; the user's stay.
  const annotations = { ...((base.annotations as Record<string, string> | undefined) ?? {}) };
  delete annotations[ANNOTATION_TTY];
  const volumes = cfg.mounts.filter((m) => m.type === 'volume' && m.name).map((m) => ({ Name: m.name, Dest: m.destination, Options: m.options }));
  const imageVolumes = cfg.mounts.filter((m) => m.type === 'image').map((m) => ({ Source: m.source, Destination: m.destination, ReadWrite: m.options.includes('rw') }));
  const spec: Json = {
    ...base,
    entrypoint: Array.isArray(base.entrypoint) && !base.entrypoint.length ? undefined : base.entrypoint,
    annotations: Object.keys(annotations).length ? annotations : undefined,
    image: create.rootfs ? undefined : c.imageId ?? base.image,
    rootfs: create.rootfs,
    sdnotifyMode: create.sdnotify ?? 'container',
    pidns: base.pidns ?? { nsmode: 'default' },
    utsns: base.utsns ?? { nsmode: 'private' },
    ipcns: base.ipcns ?? { nsmode: create.ipc === 'host' ? 'host' : 'default' },
    cgroupns: base.cgroupns ?? { nsmode: 'default' },
    userns: cfg.idMappings ? base.userns ?? { nsmode: 'private' } : base.userns ?? { nsmode: 'default' },
    netns: netns(cfg.networkMode),
    init_container_type: cfg.initContainerType ?? '',
    mounts: mounts.length ? mounts : undefined,
    volumes: volumes.length ? volumes : undefined,
    image_volumes: imageVolumes.length ? imageVolumes : undefined,
    shm_size: create.shmSize ?? DEFAULT_SHM_SIZE,
    selinux_opts: ['disable'],
    idmappings: idmappings(cfg.idMappings),
    umask: create.umask ?? '0022',
    portmappings: portmappings(c),
    Networks: networks(c),
    use_image_hosts: !!create.noHosts,
    resource_limits: resourceLimits(base.resource_limits as Json | undefined, create.pidsLimit),
  };
  if (cfg.networkMode !== 'bridge') delete spec.Networks;
  return ordered(compact(spec));
}

/** A pod's Specgen (podman's PodSpecGenerator), named `name`; `infraImage` is the infra container's image id. */
export function podSpecgen(p: PodRecord, name: string, infra: ContainerRecord | undefined): Json {
  const c = p.config;
  const nets = c.networks ?? [];
  const modes = new Set(['host', 'none', 'private', 'slirp4netns']);
  const mode = nets.length === 1 && modes.has(nets[0]) ? nets[0] : 'bridge';
  const labels = { ...(infra?.config.imageConfig?.Labels ?? {}), ...c.labels };
  const res = c.resources ?? {};
  const memory = compact({ limit: res.memory, swap: res.memorySwap });
  const cpu = compact({
    quota: res.cpus ? Math.trunc(res.cpus * 100000) : undefined, period: res.cpus ? 100000 : undefined,
    shares: res.cpuShares, cpus: res.cpusetCpus, mems: res.cpusetMems,
  });
  const limits: Json = {};
  if (Object.keys(memory).length) limits.memory = memory;
  if (Object.keys(cpu).length) limits.cpu = cpu;
  if (res.blkioWeight) limits.blockIO = { weight: res.blkioWeight };
  // -v SRC:DST[:OPTS]: a host path is a bind mount, a name a named volume.
  const mounts: Json[] = [];
  const volumes: Json[] = [];
  for (const v of c.volumes ?? []) {
    const [src, dst, opts] = v.split(':');
    const options = opts ? opts.split(',') : [];
    if (dst === undefined) volumes.push({ Name: '', Dest: src, Options: options });
    else if (src.startsWith('/')) mounts.push({ destination: dst, type: 'bind', source: src, options: [...options, 'rbind'] });
    else volumes.push({ Name: src, Dest: dst, Options: options });
  }
  return markGoMaps(compact({
    name,
    hostname: c.hostname,
    labels: Object.keys(labels).length ? labels : undefined,
    no_infra: c.infra ? undefined : true,
    infra_image: c.infra ? infra?.imageId ?? c.infraImage : undefined,
    infra_command: c.infraCommand,
    shared_namespaces: [...c.share].sort().join() !== 'ipc,net,uts' ? c.share : undefined,
    exit_policy: c.exitPolicy !== 'continue' ? c.exitPolicy : undefined,
    pidns: { nsmode: c.pid === 'host' ? 'host' : 'default' },
    userns: { nsmode: 'default' },
    utsns: { nsmode: c.uts === 'host' ? 'host' : 'private' },
    netns: { nsmode: mode },
    portmappings: infra ? portmappings(infra) : undefined,
    Networks: mode === 'bridge' && infra ? networks(infra) : undefined,
    dns_server: c.dns, dns_search: c.dnsSearch, dns_option: c.dnsOption, hostadd: c.addHost,
    no_manage_hosts: c.noHosts || undefined,
    cgroup_parent: c.cgroupParent,
    sysctl: c.sysctl?.length ? Object.fromEntries(c.sysctl.map((s) => { const i = s.indexOf('='); return [s.slice(0, i), s.slice(i + 1)]; })) : undefined,
    security_opt: c.securityOpt, pod_devices: c.devices, volumes_from: c.volumesFrom,
    mounts: mounts.length ? mounts : undefined, volumes: volumes.length ? volumes : undefined,
    resource_limits: resourceLimits(Object.keys(limits).length ? limits : undefined, undefined),
    shm_size: c.shmSize ?? DEFAULT_SHM_SIZE,
    idmappings: idmappings(),
  }), ['labels', 'sysctl', 'Networks']);
}
