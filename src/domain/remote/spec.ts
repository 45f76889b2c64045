// pier's CreateOptions as the body of POST /libpod/containers/create: podman's SpecGenerator
// fields (so the shape is what podman-remote sends), plus `pier_create_options`, the options
// exactly as the CLI parsed them, which a pier service prefers (every flag keeps its meaning).
import { networkAttachment, parseImageMount, type CreateOptions } from '../containers';

function envMap(env?: string[]): Record<string, string> | undefined {
  if (!env?.length) return undefined;
  const m: Record<string, string> = {};
  for (const e of env) { const i = e.indexOf('='); if (i > 0) m[e.slice(0, i)] = e.slice(i + 1); }
  return m;
}

function portMappings(publish?: string[]): Record<string, unknown>[] | undefined {
  if (!publish?.length) return undefined;
  const out: Record<string, unknown>[] = [];
  for (const p of publish) {
    const [spec, proto = 'tcp'] = p.split('/');
    const parts = spec.split(':');
    const container = parts.pop()!;
    const host = parts.pop();
    const ip = parts.join(':') || undefined;
    out.push({ container_port: Number(container.split('-')[0]), host_port: host ? Number(host.split('-')[0]) : undefined, host_ip: ip, protocol: proto });
  }
  return out;
}

const NS_MODES = new Set(['host', 'private', 'shareable', 'none', 'bridge', 'slirp4netns']);

function namespace(v?: string): Record<string, string> | undefined {
  if (!v) return undefined;
  if (NS_MODES.has(v)) return { nsmode: v };
  if (v.startsWith('ns:')) return { nsmode: 'path', value: v.slice(3) };
  if (v.startsWith('container:')) return { nsmode: 'container', value: v.slice('container:'.length) };
  return { nsmode: 'bridge' };
}

/** SpecGenerator's userns and idmappings, as podman's remote client sends them (--subuidname is resolved by the service). */
function usernsSpec(o: CreateOptions): Record<string, unknown> {
  const maps = (list: string[] | undefined) => (list ?? []).map((v) => { const [c, h, n] = v.split(':').map(Number); return { container_id: c, host_id: h, size: n }; });
  if (o.uidMap?.length || o.gidMap?.length) return { userns: { nsmode: 'private' }, idmappings: { UIDMap: maps(o.uidMap), GIDMap: maps(o.gidMap) } };
  const u = o.userns;
  if (!u) return {};
  if (u.startsWith('auto')) return { userns: { nsmode: 'auto', ...(u.length > 4 ? { value: u.slice(5) } : {}) }, idmappings: { AutoUserNs: true } };
  if (u.startsWith('keep-id')) return { userns: { nsmode: 'keep-id', ...(u.length > 8 ? { value: u.slice(8) } : {}) } };
  if (u === 'nomap') return { userns: { nsmode: 'no-map' } };
  return { userns: namespace(u) };
}

/** SpecGenerator's resource_limits (an OCI LinuxResources): what podman-remote sends for the flags. */
function resourceLimits(o: CreateOptions): Record<string, unknown> | undefined {
  const drop = (x: Record<string, unknown>) => { for (const k of Object.keys(x)) if (x[k] === undefined) delete x[k]; return Object.keys(x).length ? x : undefined; };
  const memory = drop({ limit: o.memory || undefined, swap: o.memory ? o.memorySwap : undefined, reservation: o.memory ? o.memoryReservation : undefined, disableOOMKiller: o.oomKillDisable || undefined, swappiness: o.memorySwappiness });
  const cpu = drop({
    quota: o.cpus ? Math.trunc(o.cpus * 100000) : o.cpuQuota, period: o.cpus ? 100000 : o.cpuPeriod,
    realtimeRuntime: o.cpuRtRuntime, realtimePeriod: o.cpuRtPeriod,
  });
  const blockIO = drop({ weight: o.blkioWeight });
  return drop({ memory, cpu, pids: o.pidsLimit ? { limit: o.pidsLimit } : undefined, blockIO });
}

/** `DEV:VALUE` entries → SpecGenerator's map by device path (numbers resolved by the server). */
function byPath(list: string[] | undefined, key: 'weight' | 'rate'): Record<string, unknown> | undefined {
  if (!list?.length) return undefined;
  return Object.fromEntries(list.map((v) => { const i = v.indexOf(':'); return [v.slice(0, i), { major: 0, minor: 0, [key]: Number(v.slice(i + 1)) }]; }));
}

/** 'c 1:3 rwm' → an OCI device cgroup entry. */
function cgroupRule(r: string): Record<string, unknown> {
  const [type, nums = '', access] = r.split(' ');
  const [major, minor] = nums.split(':');
  const num = (x?: string) => (x === undefined || x === '*' || x === '' ? undefined : Number(x));
  return { allow: true, type, major: num(major), minor: num(minor), access: access || undefined };
}

/** One --network value as the SpecGenerator's Networks entry (podman's PerNetworkOptions). */
function perNetwork(o: CreateOptions, value: string, i: number): [string, Record<string, unknown>] {
  const a = networkAttachment(o, value, i);
  return [a.name, { aliases: a.aliases.length ? a.aliases : undefined, static_ips: a.staticIps.length ? a.staticIps : undefined, static_mac: a.staticMac, interface_name: a.interfaceName }];
}

/** --mount type=image values as the SpecGenerator's image_volumes. */
function imageVolumes(mounts?: string[]): Record<string, unknown>[] | undefined {
  const out = (mounts ?? []).filter((m) => m.split(',').includes('type=image')).map((m) => {
    const p = parseImageMount(m);
    return { Source: p.source, Destination: p.destination, ReadWrite: p.readWrite };
  });
  return out.length ? out : undefined;
}

export function specGenerator(o: CreateOptions): Record<string, unknown> {
  let nets = o.networks?.length ? o.networks : o.network && !NS_MODES.has(o.network) && !o.network.includes(':') ? [o.network] : [];
  // --ip/--ip6/--mac-address on the default network: it is named so it can carry them.
  if (!nets.length && !o.network && (o.ip || o.ip6 || o.macAddress)) nets = ['bridge'];
  const spec: Record<string, unknown> = {
    image: o.image, name: o.name, command: o.command?.length ? o.command : undefined, entrypoint: o.entrypoint,
    env: envMap(o.env), labels: o.labels, annotations: o.annotations, containerCreateCommand: o.createCommand, work_dir: o.workdir, create_working_dir: o.createWorkdir, user: o.user, groups: o.groupAdd,
    manage_password: o.passwd === false ? false : undefined, passwd_entry: o.passwdEntry, hostusers: o.hostUsers,
    volumes_from: o.volumesFrom, image_volume_mode: o.imageVolume === 'bind' ? 'anonymous' : o.imageVolume,
    image_volumes: imageVolumes(o.mounts), dependencyContainers: o.requires, timeout: o.timeout,
    hostname: o.hostname, terminal: o.tty, stdin: o.interactive, remove: o.rm, pod: o.pod, init_container_type: o.initContainerType,
    portmappings: portMappings(o.publish), publish_image_ports: o.publishAll, expose: o.expose,
    netns: namespace(o.network), Networks: nets.length ? Object.fromEntries(nets.map((n, i) => perNetwork(o, n, i))) : undefined,
    dns_server: o.dns, dns_search: o.dnsSearch, dns_option: o.dnsOption, hostadd: o.addHost,
    use_image_hosts: o.noHosts, unsetenv: o.unsetEnv, unsetenvall: o.unsetEnvAll, envmerge: o.envMerge,
    cap_add: o.capAdd, cap_drop: o.capDrop, privileged: o.privileged, read_only_filesystem: o.readOnly,
    init: o.init, stop_signal: undefined, stop_timeout: o.stopTimeout, restart_policy: o.restart?.name, restart_tries: o.restart?.maximumRetryCount || undefined,
    resource_limits: resourceLimits(o),
    weightDevice: byPath(o.blkioWeightDevice, 'weight'), throttleReadBpsDevice: byPath(o.deviceReadBps, 'rate'),
    throttleWriteBpsDevice: byPath(o.deviceWriteBps, 'rate'), throttleReadIOPSDevice: byPath(o.deviceReadIops, 'rate'),
    throttleWriteIOPSDevice: byPath(o.deviceWriteIops, 'rate'),
    device_cgroup_rule: o.deviceCgroupRules?.length ? o.deviceCgroupRules.map(cgroupRule) : undefined,
    personality: o.personality ? { domain: o.personality } : undefined, conmon_pid_file: o.conmonPidFile,
    sysctl: o.sysctl?.length ? Object.fromEntries(o.sysctl.map((s) => { const i = s.indexOf('='); return [s.slice(0, i), s.slice(i + 1)]; })) : undefined,
    ipcns: namespace(o.ipc), pidns: namespace(o.pid), utsns: namespace(o.uts), cgroupns: namespace(o.cgroupns),
    ...usernsSpec(o),
    cgroup_parent: o.cgroupParent, log_configuration: o.logDriver ? { driver: o.logDriver } : undefined,
    health_check_on_failure_action: o.healthOnFailure ? ({ none: 0, kill: 2, restart: 3, stop: 4 } as const)[o.healthOnFailure] || undefined : undefined,
    chroot_directories: o.chrootDirs, cgroup_conf: o.cgroupConf,
    timezone: o.tz, systemd: o.systemd, umask: o.umask, httpproxy: o.httpProxy, oom_score_adj: o.oomScoreAdj, shm_size: o.shmSize,
    secrets: o.secrets?.some((x) => x.type !== 'env')
      ? o.secrets.filter((x) => x.type !== 'env').map((x) => ({ Source: x.source, Target: x.target ?? '', UID: x.uid ?? 0, GID: x.gid ?? 0, Mode: x.mode ?? 0 })) : undefined,
    secret_env: o.secrets?.some((x) => x.type === 'env')
      ? Object.fromEntries(o.secrets.filter((x) => x.type === 'env').map((x) => [x.target || x.source, x.source])) : undefined,
    pier_create_options: o,
  };
  for (const k of Object.keys(spec)) if (spec[k] === undefined) delete spec[k];
  return spec;
}
