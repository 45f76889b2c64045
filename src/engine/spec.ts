/**
 * OCI runtime spec generation: a container's settings (as `podman run/create` options give
 * them, already resolved against the image) → the bundle's config.json, with podman 4.3's
 * defaults. Pure apart from the host look-ups it names (device numbers, /proc limits,
 * capability list, seccomp profile file, zoneinfo, catatonit).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError, UsageError } from '../util/errors';
import { defaultSeccomp, loadSeccompProfile } from './seccomp';
import { toHost } from './userns';
import { processCapabilities } from './spec/caps';
import { hostDevices, parseDeviceCgroupRule, parseDeviceSpec, resolveDevices } from './spec/devices';
import { buildResources, type ResourceOptions } from './spec/resources';
import { buildRlimits, readHostLimits, type HostLimits } from './spec/limits';
import {
  engineFileMount, readOnlyTmpfsMounts, rootfsPropagationFor, shmMount, sortMounts, systemMounts, userMount,
  type MountRequest,
} from './spec/mounts';
import { buildSysctls, DEFAULT_SYSCTLS, parseSysctls, sysctlNamespace, type SysctlNamespace } from './spec/sysctl';
import type {
  OciDevice, OciDeviceRule, OciIdMapping, OciMount, OciNamespace, OciNamespaceType, OciSeccomp, OciSpec,
} from './spec/types';

export { GroupAddError, resolveUser, type ResolvedUser, type UserFiles } from './spec/user';
export { lookupHostUser, resolveContainerUser, setUpAccountFiles, userFileOverrides, type HostUser } from './spec/passwd';
export { resolveInRoot } from './spec/rootfs-path';
export { parseUlimit, readHostLimits, RLIM_INFINITY, type HostLimits } from './spec/limits';
export { DEFAULT_CAPABILITIES } from './spec/caps';
export { DEFAULT_PIDS_LIMIT } from './spec/resources';
export type { MountRequest } from './spec/mounts';
export type { ResourceOptions } from './spec/resources';
export type { OciSpec } from './spec/types';

export const OCI_VERSION = '1.0.2-dev';
/** Where --init's catatonit is bind-mounted inside the container. */
export const INIT_DESTINATION = '/run/pier-init';
/** cgroupfs parent for pier's containers (podman uses /libpod_parent); kept apart from podman's. */
export const DEFAULT_CGROUP_PARENT = '/pier_parent';
/** podman 4.3: containers.conf's default shm_size "65536k", read with decimal units (64000 KiB). */
export const DEFAULT_SHM_SIZE = 65536000;
export const DEFAULT_UMASK = 0o022;
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
];
export const DEFAULT_READONLY_PATHS: readonly string[] = [
  '/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];
const CATATONIT_PATHS = ['/usr/bin/catatonit', '/usr/libexec/podman/catatonit', '/usr/libexec/catatonit/catatonit'];

/** A namespace: a new one (`private`), the host's (`host`), or joining the one at `path` (/proc/PID/ns/X). */
export type NamespaceSetting = 'private' | 'host' | { path: string };

export interface NamespaceOptions {
  pid?: NamespaceSetting;
  /** `private` is also what `--network none` needs: a new netns with only lo (runc brings lo up). */
  network?: NamespaceSetting;
  ipc?: NamespaceSetting;
  uts?: NamespaceSetting;
  /** Always private unless joining another mount namespace by path. */
  mount?: 'private' | { path: string };
  /** Default: private on cgroup v2 hosts, host on v1 (as podman). */
  cgroup?: NamespaceSetting;
  /** Default: host. `private` needs uidMappings/gidMappings. */
  user?: NamespaceSetting;
}

/** Engine-managed files bind-mounted into the container (host paths). */
export interface EngineFiles {
  hosts?: string;
  hostname?: string;
  resolvConf?: string;
  /** /run/.containerenv */
  containerEnv?: string;
  /** /etc/passwd and /etc/group copies of a --read-only container (see setUpAccountFiles). */
  passwd?: string;
  group?: string;
  /** The bundle's notify/ directory, /run/notify: conmon's sd-notify socket for the container (engine/sdnotify.ts). */
  notifyDir?: string;
  /** --secret type=mount: host file → container path (podman's options: bind, rprivate). */
  secrets?: Array<{ source: string; destination: string }>;
}

export interface SpecOptions {
  /** Full container id: default hostname (first 12 chars) and cgroup name. */
  id: string;
  /** The mounted root file system (root.path). */
  rootfs: string;
  /** Command already resolved from entrypoint + cmd. */
  args: string[];
  /** Environment already merged (image, --env, --env-file, defaults). */
  env?: string[];
  /** Working directory; default "/". */
  cwd?: string;
  /** Result of resolveUser(); default root. */
  user?: { uid: number; gid: number; additionalGids?: number[] };
  /** --umask (number or octal string); default 0022. */
  umask?: number | string;
  /** Default: the first 12 characters of the id. Ignored unless the UTS namespace is private. */
  hostname?: string;
  /** -t */
  terminal?: boolean;
  consoleSize?: { height: number; width: number };
  /** --read-only */
  readOnly?: boolean;
  /** systemd mode (engine/systemd-mode.ts): tmpfs for systemd, its cgroup hierarchy, no host ttyN devices. */
  systemd?: boolean;
  /** --read-only-tmpfs (default true): tmpfs on /run, /tmp, /var/tmp when read-only. */
  readOnlyTmpfs?: boolean;
  /** -v/--mount/--tmpfs, volumes resolved to host paths; user mounts replace defaults at the same destination. */
  mounts?: MountRequest[];
  engineFiles?: EngineFiles;
  /** --shm-size in bytes; default DEFAULT_SHM_SIZE (podman's 65536000 bytes). */
  shmSize?: number;
  /** Bind this host directory at /dev/shm instead of a private tmpfs (shared IPC, --ipc=host uses /dev/shm). */
  shmPath?: string;
  /** No /dev/shm at all (--ipc none). */
  noShm?: boolean;
  /** --device values. */
  devices?: string[];
  /** --device-cgroup-rule values. */
  deviceCgroupRules?: string[];
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** containers.conf default_capabilities (CAP_ names); default DEFAULT_CAPABILITIES. */
  defaultCapabilities?: string[];
  /** --security-opt no-new-privileges */
  noNewPrivileges?: boolean;
  /** --security-opt seccomp=: `default` (the default), `unconfined`, or a profile file path. */
  seccomp?: string;
  /** --security-opt apparmor= (passed through; `unconfined` means none). */
  apparmorProfile?: string;
  /** --security-opt mask= paths. */
  mask?: string[];
  /** --security-opt unmask= paths (globs) or ALL. */
  unmask?: string[];
  /** --ulimit values (`nofile=1024:2048`, `host`). */
  ulimits?: string[];
  /** Host facts for rlimit defaults; default: read from /proc. */
  hostLimits?: HostLimits;
  resources?: ResourceOptions;
  /** --cgroup-conf: cgroup v2 KEY=VALUE settings (linux.resources.unified). */
  cgroupConf?: Record<string, string>;
  /** --chrootdirs: each also gets the container's /etc/hosts and /etc/resolv.conf under DIR/etc. */
  chrootDirs?: string[];
  /** --sysctl (`KEY=VALUE` list or map). */
  sysctls?: string[] | Record<string, string>;
  /** containers.conf default_sysctls; default net.ipv4.ping_group_range=0 0. */
  defaultSysctls?: Record<string, string>;
  namespaces?: NamespaceOptions;
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
  /** Default cgroupfs. */
  cgroupManager?: 'cgroupfs' | 'systemd';
  /** Default /pier_parent (cgroupfs) or machine.slice (systemd). */
  cgroupParent?: string;
  /** Overrides the computed cgroupsPath; `''` leaves it unset (--cgroups=disabled). */
  cgroupsPath?: string;
  /** The network namespace given by path is one the container's user namespace owns (sysfs can be mounted in it). */
  netnsOwned?: boolean;
  /** Run by a rootless user (engine/rootless.ts): the container is in pier's user namespace. */
  rootless?: boolean;
  oomScoreAdj?: number;
  annotations?: Record<string, string>;
  /** Recorded as the org.opencontainers.image.stopSignal annotation (number). */
  stopSignal?: number;
  /** --init: run catatonit as PID 1. */
  init?: boolean;
  /** --init-path; default the installed catatonit. */
  initPath?: string;
  /** --tz: `local` or an IANA zone name (bind-mounted read-only as /etc/localtime). */
  tz?: string;
  /** --personality: the execution domain (LINUX, LINUX32), passed to the runtime as given. */
  personality?: string;
}

/** The process's AppArmor profile: the one asked for, except for a privileged container or `unconfined`. */
export function processApparmorProfile(privileged: boolean, profile: string | undefined): string | undefined {
  return !privileged && profile && profile !== 'unconfined' ? profile : undefined;
}

/** Build the OCI runtime spec for a container. */
export function generateSpec(opts: SpecOptions): OciSpec {
  const privileged = opts.privileged === true;
  const ns = normalizeNamespaces(opts.namespaces ?? {});

  // Process.
  const user = opts.user ?? { uid: 0, gid: 0 };
  const ociUser: OciSpec['process']['user'] = { uid: user.uid, gid: user.gid, umask: parseUmask(opts.umask) };
  if (user.additionalGids !== undefined && user.additionalGids.length > 0) ociUser.additionalGids = [...user.additionalGids];

  let args = [...opts.args];
  if (args.length === 0) throw new UsageError('no command or entrypoint provided, and no CMD or ENTRYPOINT from image');
  const extraMounts: OciMount[] = [];
  if (opts.init) {
    if (ns.pid !== 'private') throw new UsageError('cannot add init binary as PID 1 (PID namespace isn\'t private)');
    const initPath = opts.initPath ?? CATATONIT_PATHS.find((p) => fs.existsSync(p));
    if (initPath === undefined) throw new UsageError('container-init binary not found on the host: install catatonit or use --init-path');
    extraMounts.push({ destination: INIT_DESTINATION, type: 'bind', source: initPath, options: ['bind', 'ro', 'rprivate'] });
    args = [INIT_DESTINATION, '--', ...args];
  }

  const capabilities = processCapabilities({ privileged, capAdd: opts.capAdd, capDrop: opts.capDrop, defaults: opts.defaultCapabilities }, user.uid === 0);
  const bounding = capabilities.bounding!;

  const process: OciSpec['process'] = {
    user: ociUser,
    args,
    env: [...(opts.env ?? []), ...(opts.systemd ? [`container_uuid=${opts.id.slice(0, 32)}`] : [])],
    cwd: opts.cwd && opts.cwd !== '' ? opts.cwd : '/',
    capabilities,
    rlimits: buildRlimits(opts.ulimits ?? [], opts.hostLimits ?? readHostLimits()),
  };
  if (opts.terminal) {
    process.terminal = true;
    if (opts.consoleSize) process.consoleSize = { ...opts.consoleSize };
  }
  if (opts.noNewPrivileges) process.noNewPrivileges = true;
  const apparmorProfile = processApparmorProfile(privileged, opts.apparmorProfile);
  if (apparmorProfile) process.apparmorProfile = apparmorProfile;
  if (opts.oomScoreAdj !== undefined) {
    if (!Number.isInteger(opts.oomScoreAdj) || opts.oomScoreAdj < -1000 || opts.oomScoreAdj > 1000) {
      throw new UsageError('oom-score-adj must be between -1000 and 1000');
    }
    process.oomScoreAdj = opts.oomScoreAdj;
  }
  // Keep podman's key order: terminal first.
  const orderedProcess: OciSpec['process'] = process.terminal ? { terminal: true, ...process } : process;

  // Mounts.
  const readOnly = opts.readOnly === true;
  const userMounts = (opts.mounts ?? []).map(userMount);
  const seen = new Set<string>();
  for (const m of userMounts) {
    if (seen.has(m.destination)) throw new UsageError(`${m.destination}: duplicate mount destination`);
    seen.add(m.destination);
  }
  const base: OciMount[] = [...systemMounts(privileged)];
  if (ns.user !== 'host') adjustForUserns(base, opts.netnsOwned ? { ...ns, network: 'private' } : ns, opts.gidMappings ?? [], privileged);
  else if (opts.rootless && ns.network === 'host') rootlessHostNetwork(base, privileged);
  const shmHostPath = opts.shmPath ?? (ns.ipc === 'host' ? '/dev/shm' : undefined);
  if (!opts.noShm) base.push(shmMount(opts.shmSize ?? DEFAULT_SHM_SIZE, shmHostPath));
  if (readOnly && opts.readOnlyTmpfs !== false) base.push(...readOnlyTmpfsMounts());
  if (opts.systemd) addSystemdMounts(base, userMounts);
  base.push(...extraMounts);
  if (opts.tz !== undefined && opts.tz !== '') {
    base.push({ destination: '/etc/localtime', type: 'bind', source: resolveTimezone(opts.tz), options: ['bind', 'ro', 'rprivate'] });
  }
  const files = opts.engineFiles ?? {};
  const fileMounts: Array<[string, string | undefined]> = [
    ['/etc/hosts', files.hosts], ['/etc/hostname', files.hostname], ['/etc/resolv.conf', files.resolvConf], ['/run/.containerenv', files.containerEnv],
    ['/etc/passwd', files.passwd], ['/etc/group', files.group], ['/run/notify', files.notifyDir],
  ];
  for (const [dest, src] of fileMounts) if (src !== undefined) base.push(engineFileMount(dest, src, readOnly));
  for (const sm of files.secrets ?? []) {
    if (!base.some((m) => m.destination === sm.destination)) base.push({ destination: sm.destination, type: 'bind', source: sm.source, options: ['bind', 'rprivate'] });
  }
  // podman: the chroot directories see the same hosts and resolv.conf files.
  for (const [file, src] of [['hosts', files.hosts], ['resolv.conf', files.resolvConf]] as const) {
    if (src === undefined) continue;
    for (const dir of opts.chrootDirs ?? []) base.push(engineFileMount(path.join(dir, 'etc', file), src, readOnly));
  }
  const mounts = sortMounts([...base.filter((m) => !seen.has(m.destination)), ...userMounts]);

  // Linux.
  const namespaces = buildNamespaces(ns);
  const linux: OciSpec['linux'] = { namespaces };
  const hostNs = new Set<SysctlNamespace>();
  if (ns.network === 'host') hostNs.add('network');
  if (ns.ipc === 'host') hostNs.add('ipc');
  if (ns.uts === 'host') hostNs.add('uts');
  // In a user namespace of its own, the runtime cannot set the defaults of the namespaces that
  // user namespace does not own (a network namespace the engine made, a joined IPC or UTS one).
  let defaultSysctls = opts.defaultSysctls;
  if (ns.user !== 'host') {
    const owned = (k: SysctlNamespace) => (k === 'network' ? ns.network : k === 'ipc' ? ns.ipc : ns.uts) === 'private';
    defaultSysctls = Object.fromEntries(Object.entries(defaultSysctls ?? DEFAULT_SYSCTLS).filter(([k]) => { const n = sysctlNamespace(k); return !n || owned(n); }));
  }
  const sysctl = buildSysctls(parseSysctls(opts.sysctls ?? []), hostNs, defaultSysctls);
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;

  // Devices.
  const deviceReqs = (opts.devices ?? []).map(parseDeviceSpec);
  const resolved = resolveDevices(deviceReqs);
  let devices: OciDevice[] = resolved.devices;
  const deviceRules: OciDeviceRule[] = [];
  if (privileged) {
    // systemd mode: no host ttyN devices, which systemd would take for its consoles (podman 4.3).
    const all = hostDevices().filter((d) => !(opts.systemd && d.path.startsWith('/dev/tty')));
    devices = [...all.filter((d) => !devices.some((u) => u.path === d.path)), ...devices];
    deviceRules.push({ allow: true, access: 'rwm' });
  } else {
    deviceRules.push({ allow: false, access: 'rwm' }, ...resolved.rules, ...(opts.deviceCgroupRules ?? []).map(parseDeviceCgroupRule));
  }

  const cgroupsPath = computeCgroupsPath(opts);
  // No cgroup (rootless on cgroup v1): nothing to limit, as podman's empty resources.
  linux.resources = cgroupsPath === '' ? {} : buildResources(opts.resources ?? {}, deviceRules);
  if (opts.cgroupConf && Object.keys(opts.cgroupConf).length) linux.resources.unified = { ...opts.cgroupConf };
  if (cgroupsPath !== '') linux.cgroupsPath = cgroupsPath;
  if (devices.length > 0) linux.devices = devices;
  if (ns.user !== 'host') {
    if (opts.uidMappings) linux.uidMappings = opts.uidMappings.map((m) => ({ ...m }));
    if (opts.gidMappings) linux.gidMappings = opts.gidMappings.map((m) => ({ ...m }));
  }

  if (opts.personality) linux.personality = { domain: opts.personality };
  const seccomp = buildSeccomp(opts, privileged, bounding);
  if (seccomp !== undefined) linux.seccomp = seccomp;
  const propagation = rootfsPropagationFor(mounts);
  if (propagation !== undefined) linux.rootfsPropagation = propagation;
  if (!privileged) {
    const { masked, readonly } = maskedPaths(opts.mask ?? [], opts.unmask ?? []);
    // podman hides the host's /sys/kernel that rootlessHostNetwork binds.
    if (opts.rootless && ns.network === 'host' && ns.user === 'host') masked.push('/sys/kernel');
    if (masked.length > 0) linux.maskedPaths = masked;
    if (readonly.length > 0) linux.readonlyPaths = readonly;
  }
  if (opts.systemd && mounts.some((m) => m.destination === '/sys/fs/cgroup/systemd')) {
    linux.maskedPaths = [...(linux.maskedPaths ?? []), '/sys/fs/cgroup/systemd/release_agent'];
  }

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: orderedProcess,
    root: readOnly ? { path: opts.rootfs, readonly: true } : { path: opts.rootfs },
    mounts,
    linux,
  };
  if (ns.uts === 'private') {
    spec.hostname = opts.hostname && opts.hostname !== '' ? opts.hostname : opts.id.slice(0, 12);
  }
  const annotations: Record<string, string> = { ...(opts.annotations ?? {}) };
  if (opts.stopSignal !== undefined) annotations['org.opencontainers.image.stopSignal'] = String(opts.stopSignal);
  if (Object.keys(annotations).length > 0) spec.annotations = annotations;
  return reorder(spec);
}

/** JSON for config.json: uint64 values held as bigint (RLIM_INFINITY) are written exactly. */
export function serializeSpec(spec: OciSpec, indent?: number): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? marker + v.toString() : v), indent);
  return text.replace(/"\\u0000bigint:(\d+)"/g, '$1');
}

/** Write `config.json` into a bundle directory. */
export function writeSpec(bundleDir: string, spec: OciSpec): string {
  const file = path.join(bundleDir, 'config.json');
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, serializeSpec(spec), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return file;
}

/** The `config.json` a start wrote into a bundle directory; undefined when there is none (never started). */
export function readSpec(bundleDir: string): OciSpec | undefined {
  try { return JSON.parse(fs.readFileSync(path.join(bundleDir, 'config.json'), 'utf8')) as OciSpec; } catch { return undefined; }
}

/** readSpec for what needs the spec of a started container (exec, healthchecks, top): one clear error without it. */
export function startedSpec(bundleDir: string, containerId: string): OciSpec {
  const spec = readSpec(bundleDir);
  if (!spec) throw new PierError(`container ${containerId} has no OCI spec (${path.join(bundleDir, 'config.json')} is missing or unreadable)`);
  return spec;
}

// ---------------------------------------------------------------------------

/**
 * What a container in a user namespace of its own can mount, as podman arranges it: sysfs and
 * the cgroup file system only in a network namespace its user namespace owns (else the host's
 * /sys is bound, read-only unless privileged), mqueue only in an IPC namespace it owns (else the
 * host's /dev/mqueue is bound), and devpts's gid=5 only when gid 5 is mapped.
 */
function adjustForUserns(mounts: OciMount[], ns: NormalizedNamespaces, gidMappings: OciIdMapping[], privileged: boolean): void {
  const at = (dest: string) => mounts.findIndex((m) => m.destination === dest);
  const bind = (dest: string, options: string[]) => { mounts[at(dest)] = { destination: dest, type: 'bind', source: dest, options }; };
  if (ns.network !== 'private') {
    const r = privileged ? 'rw' : 'ro';
    bind('/sys', ['rprivate', 'nosuid', 'noexec', 'nodev', r, 'rbind']);
    bind('/sys/fs/cgroup', ['rprivate', 'nosuid', 'noexec', 'nodev', r, 'rbind']);
  }
  if (ns.ipc !== 'private') {
    if (fs.existsSync('/dev/mqueue')) bind('/dev/mqueue', ['bind', 'nosuid', 'noexec', 'nodev']);
    else mounts.splice(at('/dev/mqueue'), 1);
  }
  const gid5 = toHost(gidMappings, 5) !== undefined;
  const pts = mounts[at('/dev/pts')];
  if (pts && !gid5) pts.options = pts.options!.filter((o) => o !== 'gid=5');
}

/**
 * Rootless with the host's network namespace (one the user namespace does not own) sysfs cannot
 * be mounted: as podman, the host's /sys is bound (read-only unless privileged), with no cgroup mount.
 */
function rootlessHostNetwork(mounts: OciMount[], privileged: boolean): void {
  const sys = mounts.findIndex((m) => m.destination === '/sys');
  mounts[sys] = { destination: '/sys', type: 'bind', source: '/sys', options: ['rprivate', 'nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro', 'rbind'] };
  const cgroup = mounts.findIndex((m) => m.destination === '/sys/fs/cgroup');
  if (cgroup >= 0) mounts.splice(cgroup, 1);
}

interface NormalizedNamespaces {
  pid: NamespaceSetting;
  network: NamespaceSetting;
  ipc: NamespaceSetting;
  uts: NamespaceSetting;
  mount: 'private' | { path: string };
  cgroup: NamespaceSetting;
  user: NamespaceSetting;
}

function cgroupV2(): boolean {
  return fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
}

function normalizeNamespaces(n: NamespaceOptions): NormalizedNamespaces {
  return {
    pid: n.pid ?? 'private',
    network: n.network ?? 'private',
    ipc: n.ipc ?? 'private',
    uts: n.uts ?? 'private',
    mount: n.mount ?? 'private',
    cgroup: n.cgroup ?? (cgroupV2() ? 'private' : 'host'),
    user: n.user ?? 'host',
  };
}

function buildNamespaces(ns: NormalizedNamespaces): OciNamespace[] {
  const out: OciNamespace[] = [];
  const order: Array<[OciNamespaceType, NamespaceSetting]> = [
    ['pid', ns.pid], ['network', ns.network], ['ipc', ns.ipc], ['uts', ns.uts], ['mount', ns.mount], ['cgroup', ns.cgroup], ['user', ns.user],
  ];
  for (const [type, setting] of order) {
    if (setting === 'host') continue;
    if (setting === 'private') out.push({ type });
    else {
      if (!path.isAbsolute(setting.path)) throw new UsageError(`${type} namespace path ${setting.path} must be absolute`);
      out.push({ type, path: setting.path });
    }
  }
  return out;
}

function parseUmask(u: number | string | undefined): number {
  if (u === undefined) return DEFAULT_UMASK;
  if (typeof u === 'number') {
    if (!Number.isInteger(u) || u < 0 || u > 0o777) throw new UsageError(`invalid umask ${u}`);
    return u;
  }
  if (!/^[0-7]{1,4}$/.test(u) || parseInt(u, 8) > 0o777) throw new UsageError(`invalid umask string ${u}`);
  return parseInt(u, 8);
}

function resolveTimezone(tz: string): string {
  if (tz === 'local') {
    try {
      return fs.realpathSync('/etc/localtime');
    } catch {
      throw new UsageError('finding local timezone for container: /etc/localtime does not exist');
    }
  }
  const zoneRoot = '/usr/share/zoneinfo';
  const candidate = path.join(zoneRoot, tz);
  if (tz.startsWith('/') || tz.split('/').includes('..') || !candidate.startsWith(zoneRoot + '/')) {
    throw new UsageError(`finding timezone for container: invalid time zone ${tz}`);
  }
  let real: string;
  try {
    real = fs.realpathSync(candidate);
    if (!fs.statSync(real).isFile()) throw new Error('not a file');
  } catch {
    throw new UsageError(`finding timezone for container: unknown time zone ${tz}`);
  }
  return real;
}

function computeCgroupsPath(opts: SpecOptions): string {
  if (opts.cgroupsPath !== undefined) return opts.cgroupsPath;
  if (opts.cgroupManager === 'systemd') return `${opts.cgroupParent ?? 'machine.slice'}:pier:${opts.id}`;
  const parent = opts.cgroupParent ?? DEFAULT_CGROUP_PARENT;
  return `${parent.startsWith('/') ? parent : '/' + parent}/pier-${opts.id}`.replace(/\/+/g, '/');
}

function buildSeccomp(opts: SpecOptions, privileged: boolean, caps: string[]): OciSeccomp | undefined {
  const choice = opts.seccomp ?? 'default';
  if (privileged || choice === 'unconfined') return undefined;
  if (choice === 'default' || choice === '') return defaultSeccomp(caps);
  return loadSeccompProfile(choice, { caps });
}

function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** podman's masked/read-only paths after --security-opt mask=/unmask=. */
export function maskedPaths(mask: readonly string[], unmask: readonly string[]): { masked: string[]; readonly: string[] } {
  const un = unmask.flatMap((u) => u.split(':')).filter((u) => u !== '');
  if (un.includes('ALL')) return { masked: mask.flatMap((m) => m.split(':')).filter((m) => m !== ''), readonly: [] };
  const res = un.map(globToRegExp);
  const keep = (p: string): boolean => !res.some((r) => r.test(p));
  const masked = DEFAULT_MASKED_PATHS.filter(keep);
  for (const m of mask.flatMap((x) => x.split(':'))) {
    if (m === '') continue;
    if (!m.startsWith('/')) throw new UsageError(`invalid mask path ${m}: must be absolute`);
    if (!masked.includes(m)) masked.push(m);
  }
  return { masked, readonly: DEFAULT_READONLY_PATHS.filter(keep) };
}

/** Key order as podman writes config.json (cosmetic, helps diffing against podman's). */
function reorder(spec: OciSpec): OciSpec {
  const out: OciSpec = { ociVersion: spec.ociVersion, process: spec.process, root: spec.root } as OciSpec;
  if (spec.hostname !== undefined) out.hostname = spec.hostname;
  out.mounts = spec.mounts;
  if (spec.hooks !== undefined) out.hooks = spec.hooks;
  if (spec.annotations !== undefined) out.annotations = spec.annotations;
  const l = spec.linux;
  const linux = {} as OciSpec['linux'];
  const keys: Array<keyof OciSpec['linux']> = ['uidMappings', 'gidMappings', 'sysctl', 'resources', 'cgroupsPath', 'namespaces', 'devices', 'seccomp', 'rootfsPropagation', 'maskedPaths', 'readonlyPaths', 'mountLabel', 'personality'];
  for (const k of keys) if (l[k] !== undefined) (linux as unknown as Record<string, unknown>)[k] = l[k];
  out.linux = linux;
  return out;
}

/**
 * podman's setupSystemd, on the default mounts `base`: tmpfs added on /run, /run/lock, /tmp and
 * /var/log/journal where nothing is mounted; on cgroup v1 the host's systemd hierarchy added (its
 * release_agent is masked with the other paths), on v2 the cgroup mount made read-write.
 */
function addSystemdMounts(base: OciMount[], user: readonly OciMount[]): void {
  const taken = (d: string) => base.some((m) => m.destination === d) || user.some((m) => m.destination === d);
  const add: OciMount[] = [];
  for (const d of ['/run', '/run/lock', '/tmp', '/var/log/journal']) {
    if (!taken(d)) add.push({ destination: d, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] });
  }
  let unified = false;
  try { unified = fs.statfsSync('/sys/fs/cgroup').type === 0x63677270; } catch { /* no cgroup fs */ }
  if (unified) {
    const i = base.findIndex((m) => m.destination === '/sys/fs/cgroup');
    if (i >= 0 && !taken('/sys/fs/cgroup/systemd')) base[i] = { ...base[i], options: base[i].options?.filter((o) => o !== 'ro').concat('rw') };
  } else if (fs.existsSync('/sys/fs/cgroup/systemd') && !taken('/sys/fs/cgroup/systemd')) {
    add.push({ destination: '/sys/fs/cgroup/systemd', type: 'bind', source: '/sys/fs/cgroup/systemd', options: ['bind', 'rprivate'] });
  }
  base.push(...add);
}
