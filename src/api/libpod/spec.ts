// podman's SpecGenerator (the body of POST /libpod/containers/create, as podman-remote 4.3 sends
// it) → pier's CreateOptions. pier's own client also sends `pier_create_options` (the CLI's
// options exactly as parsed), which wins when present.
import { ApiError } from '../errors';
import type { CreateOptions, HealthConfig, HealthOnFailure } from '../../domain/containers';
import type { PodCreateOptions, PodResources } from '../../domain/pods';
import { signalName } from '../../util/signals';

type NS = { nsmode?: string; value?: string } | undefined;

/** A namespace spec → pier's flag value (host, private, none, ns:PATH, container:ID, bridge). */
function nsFlag(ns: NS): string | undefined {
  if (!ns?.nsmode || ns.nsmode === 'default' || ns.nsmode === '') return undefined;
  switch (ns.nsmode) {
    case 'path': return `ns:${ns.value}`;
    case 'container': return `container:${ns.value}`;
    case 'host': case 'private': case 'shareable': case 'none': case 'bridge': case 'slirp4netns': case 'pasta': return ns.nsmode;
    default: return undefined;
  }
}

/**
 * The SpecGenerator's userns and idmappings (podman's remote client: --uidmap/--gidmap and
 * --subuidname resolved to idmappings with nsmode private; auto with AutoUserNsOpts; container
 * and path modes) into CreateOptions.
 */
function usernsOptions(b: Record<string, any>): Partial<CreateOptions> {
  const mode = b.userns?.nsmode ?? '';
  const idm = b.idmappings ?? {};
  const maps = (list: unknown) => (Array.isArray(list) ? list.map((m: any) => `${m.container_id ?? 0}:${m.host_id ?? 0}:${m.size ?? 0}`) : []);
  if (mode === '' || mode === 'default' || mode === 'host') return {};
  if (mode === 'private') {
    const uidMap = maps(idm.UIDMap), gidMap = maps(idm.GIDMap);
    if (!uidMap.length && !gidMap.length) throw new ApiError(400, 'must provide at least one UID or GID mapping to configure a user namespace');
    return { ...(uidMap.length ? { uidMap } : {}), ...(gidMap.length ? { gidMap } : {}) };
  }
  if (mode === 'auto') {
    if (b.userns.value) return { userns: `auto:${b.userns.value}` };
    const a = idm.AutoUserNsOpts ?? {};
    const opts = [...(a.Size ? [`size=${a.Size}`] : []), ...maps(a.AdditionalUIDMappings).map((m) => `uidmapping=${m}`), ...maps(a.AdditionalGIDMappings).map((m) => `gidmapping=${m}`)];
    return { userns: opts.length ? `auto:${opts.join(',')}` : 'auto' };
  }
  // The rootless modes (podman's specgen names nomap `no-map`).
  if (mode === 'keep-id') return { userns: b.userns.value ? `keep-id:${b.userns.value}` : 'keep-id' };
  if (mode === 'no-map') return { userns: 'nomap' };
  const ns = nsFlag(b.userns);
  if (ns?.startsWith('container:') || ns?.startsWith('ns:')) return { userns: ns };
  throw new ApiError(400, `the --userns=${mode} option is not supported by pier`);
}

const strList = (v: unknown): string[] | undefined => (Array.isArray(v) && v.length ? v.map(String) : undefined);

function healthOf(h: any): HealthConfig | undefined {
  if (!h || !Array.isArray(h.Test) || !h.Test.length) return undefined;
  return { Test: h.Test, Interval: h.Interval || undefined, Timeout: h.Timeout || undefined, StartPeriod: h.StartPeriod || undefined, Retries: h.Retries || undefined };
}

/** SpecGenerator port mappings → -p values. */
function publishOf(list: any[]): string[] {
  return list.map((p: any) => {
    const range = Number(p.range) > 1 ? Number(p.range) : 1;
    const cport = range > 1 ? `${p.container_port}-${p.container_port + range - 1}` : String(p.container_port);
    const hport = p.host_port ? (range > 1 ? `${p.host_port}-${p.host_port + range - 1}` : String(p.host_port)) : '';
    return `${p.host_ip ? p.host_ip + ':' : ''}${hport}:${cport}/${p.protocol || 'tcp'}`;
  });
}

/**
 * podman's PodSpecGenerator (POST /libpod/pods/create as podman-remote 4.3 sends it: the pod's
 * fields with its infra container's spec folded in) → PodCreateOptions. pier's own client sends
 * `pier_pod_options`, which wins.
 */
export function specToPodCreate(b: any): PodCreateOptions {
  if (b?.pier_pod_options) return b.pier_pod_options as PodCreateOptions;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new ApiError(400, 'the body must be a JSON object');
  const o: PodCreateOptions = {};
  if (b.name) o.name = String(b.name);
  if (b.hostname) o.hostname = String(b.hostname);
  if (b.labels && typeof b.labels === 'object') o.labels = { ...b.labels };
  if (b.no_infra) o.infra = false;
  if (Array.isArray(b.shared_namespaces)) o.share = b.shared_namespaces.map(String);
  if (b.infra_image) o.infraImage = String(b.infra_image);
  if (b.infra_name) o.infraName = String(b.infra_name);
  if (strList(b.infra_command)) o.infraCommand = strList(b.infra_command);
  if (b.infra_conmon_pid_file) o.infraConmonPidFile = String(b.infra_conmon_pid_file);
  if (b.exit_policy) o.exitPolicy = b.exit_policy;
  if (strList(b.pod_create_command)) o.createCommand = strList(b.pod_create_command);
  if (Array.isArray(b.portmappings) && b.portmappings.length) o.publish = publishOf(b.portmappings);
  const nets = b.Networks ?? b.networks;
  if (nets && typeof nets === 'object' && Object.keys(nets).length) o.networks = Object.keys(nets);
  if (b.netns?.nsmode && ['host', 'none', 'private', 'slirp4netns'].includes(b.netns.nsmode)) o.networks = [b.netns.nsmode];
  if (b.dns_server) o.dns = strList(b.dns_server);
  if (b.dns_search) o.dnsSearch = strList(b.dns_search);
  if (b.dns_option) o.dnsOption = strList(b.dns_option);
  if (b.hostadd) o.addHost = strList(b.hostadd);
  if (b.no_manage_hosts) o.noHosts = true;
  if (b.cgroup_parent) o.cgroupParent = String(b.cgroup_parent);
  if (typeof b.share_parent === 'boolean') o.shareParent = b.share_parent;
  const pid = nsFlag(b.pidns);
  if (pid) o.pid = pid;
  const uts = nsFlag(b.utsns);
  if (uts) o.uts = uts;
  Object.assign(o, usernsOptions(b));
  if (strList(b.pod_devices)) o.devices = strList(b.pod_devices);
  if (b.sysctl && typeof b.sysctl === 'object' && Object.keys(b.sysctl).length) o.sysctl = Object.entries(b.sysctl).map(([k, v]) => `${k}=${v}`);
  if (strList(b.security_opt)) o.securityOpt = strList(b.security_opt);
  if (typeof b.shm_size === 'number' && b.shm_size > 0) o.shmSize = b.shm_size;
  if (strList(b.volumes_from)) o.volumesFrom = strList(b.volumes_from);
  const volumes: string[] = [];
  for (const m of Array.isArray(b.mounts) ? b.mounts : []) {
    if (m?.type !== 'bind' || !m.source || !m.destination) continue;
    const opts = (m.options ?? []).filter((x: string) => x !== 'rbind' && x !== 'bind');
    volumes.push(`${m.source}:${m.destination}${opts.length ? `:${opts.join(',')}` : ''}`);
  }
  for (const v of Array.isArray(b.volumes) ? b.volumes : []) {
    if (!v?.Dest) continue;
    const opts = Array.isArray(v.Options) && v.Options.length ? `:${v.Options.join(',')}` : '';
    volumes.push(v.Name ? `${v.Name}:${v.Dest}${opts}` : v.Dest);
  }
  if (volumes.length) o.volumes = volumes;
  // The limits: podman-remote folds the infra spec's linux resources into resource_limits.
  const rl = b.resource_limits ?? {};
  const r: PodResources = {};
  if (rl.memory?.limit) r.memory = Number(rl.memory.limit);
  if (rl.memory?.swap) r.memorySwap = Number(rl.memory.swap);
  if (rl.cpu?.quota > 0 && rl.cpu?.period > 0) r.cpus = rl.cpu.quota / rl.cpu.period;
  if (rl.cpu?.shares) r.cpuShares = Number(rl.cpu.shares);
  if (rl.cpu?.cpus) r.cpusetCpus = String(rl.cpu.cpus);
  if (rl.cpu?.mems) r.cpusetMems = String(rl.cpu.mems);
  if (rl.blockIO?.weight) r.blkioWeight = Number(rl.blockIO.weight);
  const byPath = (m: any, key: string) => (m && typeof m === 'object' ? Object.entries(m).map(([dev, v]: [string, any]) => `${dev}:${v?.[key]}`) : []);
  const wd = byPath(b.weightDevice, 'weight');
  if (wd.length) r.blkioWeightDevice = wd;
  const rbps = byPath(b.throttleReadBpsDevice, 'rate');
  if (rbps.length) r.deviceReadBps = rbps;
  const wbps = byPath(b.throttleWriteBpsDevice, 'rate');
  if (wbps.length) r.deviceWriteBps = wbps;
  if (Object.keys(r).length) o.resources = r;
  return o;
}

export function specToCreate(b: any): CreateOptions {
  if (b?.pier_create_options) return b.pier_create_options as CreateOptions;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new ApiError(400, 'the body must be a JSON object');
  if (typeof b.image !== 'string' && !b.rootfs) throw new ApiError(400, 'image is required');
  const o: CreateOptions = { image: b.rootfs ? String(b.rootfs) : b.image, command: strList(b.command) ?? [], pull: 'never' };
  if (b.rootfs) o.rootfs = true;
  if (b.entrypoint !== undefined && b.entrypoint !== null) o.entrypoint = Array.isArray(b.entrypoint) ? b.entrypoint.map(String) : [String(b.entrypoint)];
  if (b.name) o.name = String(b.name);
  if (b.env && typeof b.env === 'object') o.env = Object.entries(b.env).map(([k, v]) => `${k}=${v}`);
  if (b.env_host) o.envHost = true;
  if (typeof b.httpproxy === 'boolean') o.httpProxy = b.httpproxy;
  if (b.unsetenv) o.unsetEnv = strList(b.unsetenv);
  if (b.unsetenvall) o.unsetEnvAll = true;
  if (b.envmerge) o.envMerge = strList(b.envmerge);
  if (b.labels) o.labels = b.labels;
  if (b.annotations) o.annotations = b.annotations;
  if (strList(b.containerCreateCommand)) o.createCommand = strList(b.containerCreateCommand);
  if (b.work_dir) o.workdir = String(b.work_dir);
  if (b.create_working_dir) o.createWorkdir = true;
  if (b.user) o.user = String(b.user);
  if (b.groups) o.groupAdd = strList(b.groups);
  if (b.manage_password === false) o.passwd = false;
  if (b.passwd_entry) o.passwdEntry = String(b.passwd_entry);
  if (b.sdnotifyMode) o.sdnotify = String(b.sdnotifyMode);
  if (b.hostusers) o.hostUsers = strList(b.hostusers);
  if (b.hostname) o.hostname = String(b.hostname);
  o.tty = !!b.terminal;
  o.interactive = !!b.stdin;
  if (b.remove) o.rm = true;
  if (b.pod) o.pod = String(b.pod);
  if (b.init_container_type) o.initContainerType = String(b.init_container_type) as CreateOptions['initContainerType'];

  // Storage: bind and tmpfs mounts, named volumes, image volumes.
  const volumes: string[] = [];
  const tmpfs: string[] = [];
  const mounts: string[] = [];
  for (const m of Array.isArray(b.mounts) ? b.mounts : []) {
    const opts = strList(m.options) ?? [];
    if (m.type === 'tmpfs') tmpfs.push(opts.length ? `${m.destination}:${opts.join(',')}` : m.destination);
    else if (m.type === 'bind') volumes.push([m.source, m.destination, ...(opts.filter((x) => x !== 'rbind' && x !== 'bind').length ? [opts.filter((x) => x !== 'rbind' && x !== 'bind').join(',')] : [])].join(':'));
    else mounts.push(`type=${m.type},source=${m.source ?? ''},destination=${m.destination}${opts.length ? ',' + opts.join(',') : ''}`);
  }
  for (const v of Array.isArray(b.volumes) ? b.volumes : []) {
    const opts = strList(v.Options) ?? [];
    volumes.push(v.Name ? [v.Name, v.Dest, ...(opts.length ? [opts.join(',')] : [])].join(':') : v.Dest);
  }
  // Image mounts ({Source, Destination, ReadWrite}) and the image's VOLUMEs' mode (podman's `anonymous` is bind).
  for (const v of Array.isArray(b.image_volumes) ? b.image_volumes : []) {
    mounts.push(`type=image,source=${v.Source ?? ''},destination=${v.Destination ?? ''}${v.ReadWrite ? ',rw=true' : ''}`);
  }
  if (b.image_volume_mode) {
    const mode = String(b.image_volume_mode).toLowerCase();
    if (mode !== 'anonymous' && mode !== 'tmpfs' && mode !== 'ignore') throw new ApiError(400, `invalid ImageVolumeMode "${b.image_volume_mode}", value must be one of ignore,tmpfs,anonymous`);
    o.imageVolume = mode === 'anonymous' ? 'bind' : mode;
  }
  if (volumes.length) o.volumes = volumes;
  if (strList(b.volumes_from)) o.volumesFrom = strList(b.volumes_from);
  if (tmpfs.length) o.tmpfs = tmpfs;
  if (mounts.length) o.mounts = mounts;
  if (Array.isArray(b.devices) && b.devices.length) o.devices = b.devices.map((d: any) => String(d.path));
  // Secrets: mount ones ({Source, Target, UID, GID, Mode}) and env ones (variable → secret).
  const secrets: NonNullable<CreateOptions['secrets']> = [];
  for (const x of Array.isArray(b.secrets) ? b.secrets : []) {
    secrets.push({ source: String(x.Source ?? ''), ...(x.Target ? { target: String(x.Target) } : {}), uid: Number(x.UID ?? 0), gid: Number(x.GID ?? 0), ...(x.Mode ? { mode: Number(x.Mode) } : {}) });
  }
  for (const [k, v] of Object.entries(b.secret_env && typeof b.secret_env === 'object' ? b.secret_env : {})) secrets.push({ source: String(v), type: 'env', target: k });
  if (secrets.length) o.secrets = secrets;
  if (b.shm_size) o.shmSize = Number(b.shm_size);
  if (b.init) o.init = true;
  if (b.init_path) o.initPath = String(b.init_path);
  if (b.read_only_filesystem) o.readOnly = true;

  // Networking.
  const net = nsFlag(b.netns);
  if (net) o.network = net;
  const named = b.Networks && typeof b.Networks === 'object' ? Object.entries(b.Networks) as [string, any][] : [];
  if (named.length) {
    o.networks = named.map(([n, s]) => {
      const parts: string[] = [];
      for (const a of s?.aliases ?? []) parts.push(`alias=${a}`);
      for (const ip of s?.static_ips ?? []) parts.push(`ip=${ip}`);
      if (s?.static_mac) parts.push(`mac=${s.static_mac}`);
      if (s?.interface_name) parts.push(`interface_name=${s.interface_name}`);
      return parts.length ? `${n}:${parts.join(',')}` : n;
    });
    if (!o.network) o.network = o.networks[0];
  }
  if (Array.isArray(b.portmappings) && b.portmappings.length) o.publish = publishOf(b.portmappings);
  if (b.publish_image_ports) o.publishAll = true;
  if (b.expose && typeof b.expose === 'object') o.expose = Object.entries(b.expose).map(([port, proto]) => `${port}/${proto || 'tcp'}`);
  if (b.dns_server) o.dns = strList(b.dns_server);
  if (b.dns_search) o.dnsSearch = strList(b.dns_search);
  if (b.dns_option) o.dnsOption = strList(b.dns_option);
  if (b.hostadd) o.addHost = strList(b.hostadd);
  if (b.use_image_hosts) o.noHosts = true;
  if (b.use_image_resolve_conf && !o.dns) o.dns = ['none'];

  // Security.
  if (b.privileged) o.privileged = true;
  if (b.cap_add) o.capAdd = strList(b.cap_add);
  if (b.cap_drop) o.capDrop = strList(b.cap_drop);
  const secOpts: string[] = [];
  if (b.no_new_privileges) secOpts.push('no-new-privileges');
  if (b.seccomp_profile_path) secOpts.push(`seccomp=${b.seccomp_profile_path}`);
  if (b.apparmor_profile) secOpts.push(`apparmor=${b.apparmor_profile}`);
  if (secOpts.length) o.securityOpt = secOpts;
  if (b.umask) o.umask = String(b.umask);

  // Namespaces and cgroups.
  for (const [k, key] of [['ipcns', 'ipc'], ['pidns', 'pid'], ['utsns', 'uts'], ['cgroupns', 'cgroupns']] as const) {
    const v = nsFlag(b[k]);
    if (v) (o as any)[key] = v;
  }
  if (b.cgroup_parent) o.cgroupParent = String(b.cgroup_parent);

  // Resources.
  const rl = b.resource_limits ?? {};
  if (rl.memory?.limit) o.memory = Number(rl.memory.limit);
  if (rl.memory?.swap) o.memorySwap = Number(rl.memory.swap);
  if (rl.memory?.reservation) o.memoryReservation = Number(rl.memory.reservation);
  // --cpus arrives as a quota over the default period; other periods are --cpu-period/--cpu-quota.
  const quota = Number(rl.cpu?.quota ?? 0);
  const period = Number(rl.cpu?.period ?? 0);
  if (quota > 0 && period === 100000) o.cpus = quota / period;
  else {
    if (period > 0) o.cpuPeriod = period;
    if (quota > 0) o.cpuQuota = quota;
  }
  if (Number(rl.cpu?.realtimePeriod) > 0) o.cpuRtPeriod = Number(rl.cpu.realtimePeriod);
  if (Number(rl.cpu?.realtimeRuntime) > 0) o.cpuRtRuntime = Number(rl.cpu.realtimeRuntime);
  if (rl.memory?.disableOOMKiller) o.oomKillDisable = true;
  if (rl.blockIO?.weight !== undefined && rl.blockIO?.weight !== null) o.blkioWeight = Number(rl.blockIO.weight);
  // Block I/O devices come keyed by path (the numbers are resolved by the engine).
  const byPath = (m: unknown, key: 'weight' | 'rate'): string[] | undefined => {
    if (!m || typeof m !== 'object') return undefined;
    const out = Object.entries(m as Record<string, any>).map(([dev, v]) => `${dev}:${Number(v?.[key] ?? 0)}`);
    return out.length ? out : undefined;
  };
  for (const [field, key, what] of [
    ['weightDevice', 'blkioWeightDevice', 'weight'], ['throttleReadBpsDevice', 'deviceReadBps', 'rate'], ['throttleWriteBpsDevice', 'deviceWriteBps', 'rate'],
    ['throttleReadIOPSDevice', 'deviceReadIops', 'rate'], ['throttleWriteIOPSDevice', 'deviceWriteIops', 'rate'],
  ] as const) {
    const l = byPath(b[field], what);
    if (l) o[key] = l;
  }
  if (Array.isArray(b.device_cgroup_rule) && b.device_cgroup_rule.length) {
    o.deviceCgroupRules = b.device_cgroup_rule.filter((r: any) => r?.allow !== false).map((r: any) =>
      `${r.type ?? 'a'} ${r.major ?? '*'}:${r.minor ?? '*'} ${r.access ?? ''}`);
  }
  if (b.personality?.domain) o.personality = String(b.personality.domain);
  if (b.conmon_pid_file) o.conmonPidFile = String(b.conmon_pid_file);
  if (typeof rl.memory?.swappiness === 'number' && rl.memory.swappiness >= 0) o.memorySwappiness = rl.memory.swappiness;
  if (rl.cpu?.shares) o.cpuShares = Number(rl.cpu.shares);
  if (rl.cpu?.cpus) o.cpusetCpus = String(rl.cpu.cpus);
  if (rl.cpu?.mems) o.cpusetMems = String(rl.cpu.mems);
  if (rl.pids?.limit) o.pidsLimit = Number(rl.pids.limit);
  if (Array.isArray(b.r_limits) && b.r_limits.length) {
    o.ulimits = b.r_limits.map((l: any) => `${String(l.type).replace(/^RLIMIT_/i, '').toLowerCase()}=${l.soft}:${l.hard}`);
  }
  if (typeof b.oom_score_adj === 'number') o.oomScoreAdj = b.oom_score_adj;
  if (b.sysctl && typeof b.sysctl === 'object') o.sysctl = Object.entries(b.sysctl).map(([k, v]) => `${k}=${v}`);

  // Lifecycle.
  if (b.stop_signal) o.stopSignal = typeof b.stop_signal === 'number' ? signalName(b.stop_signal) : String(b.stop_signal);
  if (typeof b.stop_timeout === 'number' && b.stop_timeout > 0) o.stopTimeout = b.stop_timeout;
  if (typeof b.timeout === 'number' && b.timeout > 0) o.timeout = b.timeout;
  if (strList(b.dependencyContainers)) o.requires = strList(b.dependencyContainers);
  if (b.restart_policy) {
    o.restart = { name: b.restart_policy, maximumRetryCount: Number(b.restart_tries ?? 0) };
  }
  const log = b.log_configuration;
  if (log?.driver) o.logDriver = String(log.driver);
  if (log?.options && typeof log.options === 'object') o.logOpts = Object.entries(log.options).map(([k, v]) => `${k}=${v}`);
  if (log?.path) o.logOpts = [...(o.logOpts ?? []), `path=${log.path}`];
  const health = healthOf(b.healthconfig);
  if (health) {
    if (health.Test[0] === 'NONE') o.noHealthcheck = true;
    else o.healthcheck = health;
  }
  // podman's numbering: 0 none, 1 invalid, 2 kill, 3 restart, 4 stop.
  const onFailure = b.health_check_on_failure_action;
  if (onFailure !== undefined && onFailure !== null && onFailure !== 0) {
    const a = ({ 2: 'kill', 3: 'restart', 4: 'stop' } as Record<number, HealthOnFailure>)[Number(onFailure)];
    if (!a) throw new ApiError(500, `invalid on-failure action ${JSON.stringify(onFailure)} for health check`);
    o.healthOnFailure = a;
  }
  if (b.timezone) o.tz = String(b.timezone);
  if (b.systemd === 'true' || b.systemd === 'false' || b.systemd === 'always') o.systemd = b.systemd;
  if (strList(b.chroot_directories)) o.chrootDirs = strList(b.chroot_directories);
  if (b.cgroup_conf && typeof b.cgroup_conf === 'object' && Object.keys(b.cgroup_conf).length) {
    o.cgroupConf = Object.fromEntries(Object.entries(b.cgroup_conf).map(([k, v]) => [k, String(v)]));
  }
  return o;
}
