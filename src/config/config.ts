// The engine's configuration, resolved once per command from global flags, environment
// and config files (pier's own storage.conf and the containers ecosystem's files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml } from './toml';
import { userDirs, UserDirs } from './paths';
import { log } from '../util/log';
import { PierError, errnoText } from '../util/errors';
import { parseHumanSize } from '../util/units';

export interface GlobalOptions {
  remote?: boolean;
  url?: string;
  connection?: string;
  identity?: string;
  root?: string;
  runroot?: string;
  storageDriver?: string;
  logLevel?: string;
  registriesConf?: string;
  runtime?: string;
  /** --runtime-flag values (without their leading `--`). */
  runtimeFlag?: string[];
  conmon?: string;
  tmpdir?: string;
  /** --events-backend: file, journald (recorded to the file, as pier has no journald writer) or none. */
  eventsBackend?: string;
  /** --cgroup-manager: cgroupfs, or systemd (accepted; pier manages cgroups itself). */
  cgroupManager?: string;
  /** --volumepath. */
  volumePath?: string;
  /** --network-cmd-path: the slirp4netns binary. */
  networkCmdPath?: string;
  /** --network-config-dir: where network definitions are kept. */
  networkConfigDir?: string;
  /** --syslog: log messages go to syslog too. */
  syslog?: boolean;
  /** --hooks-dir, when given (its values split as pflag's StringSlice). */
  hooksDir?: string[];
  /** --namespace: the libpod namespace (a view of the containers and pods made in it). */
  namespace?: string;
}

export interface EngineConfig {
  dirs: UserDirs;
  graphRoot: string;
  runRoot: string;
  storageDriver: string;
  registriesConf?: string;
  /** --runtime (a name or path); else containers.conf, else the first that works. */
  runtime?: string;
  /** --runtime-flag: global flags given to every runtime call, each as `--VALUE` (podman's). */
  runtimeFlags?: string[];
  /** --conmon path. */
  conmon?: string;
  /** Named volumes' directory: --volumepath, else containers.conf's volume_path, else under the graph root. */
  volumePath?: string;
  /** slirp4netns: --network-cmd-path, else containers.conf's network_cmd_path, else found in PATH. */
  networkCmdPath?: string;
  /** Network definitions: --network-config-dir, else <graph root>/networks (pier's own, never podman's). */
  networkConfigDir?: string;
  /** --syslog (passed on to the commands pier has conmon run). */
  syslog?: boolean;
  /** containers.conf-style settings merged from the files read. */
  engine: Record<string, any>;
  /** The config files read, for `info`. */
  configFiles: string[];
  /**
   * The libpod namespace: --namespace, else containers.conf's `[engine] namespace` (an empty
   * flag leaves the file's, as podman's). New containers and pods join it, and only those in it
   * are seen; '' (the default) sees every namespace's.
   */
  namespace: string;
  /** Where user namespaces take their host IDs from (--subuidname, --userns=auto). */
  userns: UsernsConfig;
  /** OCI hook directories, by increasing precedence (see hooksDirs). */
  hooksDirs: string[];
}

/** podman 4.3's built-in `hooks_dir` (containers/common's DefaultHooksDirs), for root and other users alike. */
export const DEFAULT_HOOKS_DIRS: readonly string[] = ['/usr/share/containers/oci/hooks.d'];

/**
 * The OCI hook directories: --hooks-dir (an empty value among others is refused, as podman's
 * WithHooksDir), else containers.conf `[engine] hooks_dir`, else podman 4.3's default. podman's
 * man page also names /etc/containers/oci/hooks.d, but 4.3 reads it only when no directory is
 * configured at all, which its built-in default rules out: so does pier.
 */
function hooksDirs(flag: string[] | undefined, engine: Record<string, any>): string[] {
  if (flag) {
    if (flag.includes('')) throw new PierError('configuring runtime: empty-string hook directories are not supported: invalid argument');
    return flag;
  }
  const conf = engine.engine?.hooks_dir;
  return Array.isArray(conf) ? conf.map(String) : [...DEFAULT_HOOKS_DIRS];
}

/** /etc/subuid and /etc/subgid (PIER_SUBUID_FILE, PIER_SUBGID_FILE override them) and storage.conf's auto-userns keys. */
export interface UsernsConfig {
  subuidFile: string;
  subgidFile: string;
  /** root-auto-userns-user: whose ranges --userns=auto takes (default `containers`). */
  autoUser: string;
  /** auto-userns-min-size / auto-userns-max-size (defaults 1024 and 65536). */
  autoMinSize: number;
  autoMaxSize: number;
}

/**
 * The containers.conf files podman 4.3 reads, in order (later files win key by key):
 * $CONTAINERS_CONF alone when set; else /usr/share/containers/containers.conf,
 * /etc/containers/containers.conf, /etc/containers/containers.conf.d/*.conf, for users other
 * than root ~/.config/containers/containers.conf and its .d/*.conf, then pier's own
 * (/etc/pier/containers.conf, or $XDG_CONFIG_HOME/pier/containers.conf).
 */
export function containersConfFiles(dirs: UserDirs, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CONTAINERS_CONF) { checkContainersConfEnv(env); return [env.CONTAINERS_CONF]; }
  const files = ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf', ...dropIns('/etc/containers/containers.conf.d')];
  if (dirs.rootless) {
    const user = path.join(env.XDG_CONFIG_HOME || path.join(dirs.home, '.config'), 'containers', 'containers.conf');
    files.push(user, ...dropIns(`${user}.d`));
  }
  files.push(path.join(dirs.configDir, 'containers.conf'));
  return files;
}

/** `*.conf` files directly in dir, sorted by name (none when dir is missing). */
function dropIns(dir: string): string[] {
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return []; }
  return names.filter((n) => n.endsWith('.conf')).sort().map((n) => path.join(dir, n)).filter((f) => {
    try { return !fs.statSync(f).isDirectory(); } catch { return false; }
  });
}

/**
 * $CONTAINERS_CONF must name an existing file: podman 4.3 refuses to run otherwise, with
 * `finding config on system: CONTAINERS_CONF file: stat PATH: no such file or directory`.
 */
export function checkContainersConfEnv(env: NodeJS.ProcessEnv = process.env): void {
  const f = env.CONTAINERS_CONF;
  if (!f) return;
  try { fs.statSync(f); } catch (e: any) {
    throw new ConfigFileError(`finding config on system: CONTAINERS_CONF file: stat ${f}: ${errnoText(e)}`);
  }
}

/** A config file podman would not start with: logged as an error, exit 1 (as podman). */
export class ConfigFileError extends PierError {
  constructor(message: string) { super(message, 1); this.name = 'ConfigFileError'; }
}

/** Merge a parsed file into the settings so far: tables key by key (also nested ones), other values replaced. */
function mergeTables(into: Record<string, any>, from: Record<string, any>): void {
  for (const [k, v] of Object.entries(from)) {
    const isTable = (x: unknown) => x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Date);
    if (isTable(v) && isTable(into[k])) mergeTables(into[k], v);
    else if (isTable(v)) { into[k] = {}; mergeTables(into[k], v); } else into[k] = v;
  }
}

function readToml(file: string): Record<string, any> | undefined {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return undefined; }
  try { return parseToml(text) as Record<string, any>; } catch (e: any) {
    log.warn(`ignoring ${file}: ${e.message.split('\n')[0]}`);
    return undefined;
  }
}

/**
 * Resolve the configuration. Storage location comes from flags, then pier's own
 * storage.conf (/etc/pier/storage.conf or the user's), never from podman's, so the two
 * engines never share a store. The driver may come from either file.
 */
export function resolveConfig(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): EngineConfig {
  const dirs = userDirs(env);
  const configFiles: string[] = [];
  const pierStorage = env.PIER_STORAGE_CONF || path.join(dirs.configDir, 'storage.conf');
  const own = readToml(pierStorage);
  if (own) configFiles.push(pierStorage);
  const containersStorage = readToml(dirs.rootless ? path.join(dirs.home, '.config/containers/storage.conf') : '/etc/containers/storage.conf');
  const engine: Record<string, any> = {};
  // events_logfile_path names a file of podman's when it comes from the ecosystem's shared files:
  // pier keeps its own event log unless its own containers.conf (or $CONTAINERS_CONF) sets one.
  const ownConf = env.CONTAINERS_CONF || path.join(dirs.configDir, 'containers.conf');
  let eventsLogfile: unknown;
  for (const f of containersConfFiles(dirs, env)) {
    const t = readToml(f);
    if (t) {
      configFiles.push(f); mergeTables(engine, t); log.debug(`Merged system config ${JSON.stringify(f)}`);
      if (f === ownConf && t.engine?.events_logfile_path !== undefined) eventsLogfile = t.engine.events_logfile_path;
    } else log.trace(`No configuration file ${JSON.stringify(f)}`);
  }
  if (engine.engine) {
    if (eventsLogfile === undefined) delete engine.engine.events_logfile_path;
    else engine.engine.events_logfile_path = eventsLogfile;
  }
  // The global flags win over the files' [engine] keys, checked as podman checks them.
  if (g.eventsBackend !== undefined) {
    if (!['file', 'journald', 'none'].includes(g.eventsBackend)) throw new PierError(`configuring runtime: "${g.eventsBackend}" is not a valid events backend: invalid argument`);
    (engine.engine ??= {}).events_logger = g.eventsBackend;
  }
  if (g.cgroupManager !== undefined) {
    if (!['cgroupfs', 'systemd'].includes(g.cgroupManager)) throw new PierError('configuring runtime: cgroup manager must be one of cgroupfs and systemd: invalid argument');
    (engine.engine ??= {}).cgroup_manager = g.cgroupManager;
  }
  log.trace(`containers.conf files read: ${JSON.stringify(configFiles)}`);
  const driver = g.storageDriver || env.STORAGE_DRIVER || own?.storage?.driver || containersStorage?.storage?.driver || '';
  return {
    dirs,
    graphRoot: path.resolve(g.root || own?.storage?.graphroot || dirs.dataDir),
    runRoot: path.resolve(g.runroot || own?.storage?.runroot || dirs.runDir),
    storageDriver: driver === 'overlay2' ? 'overlay' : driver,
    registriesConf: g.registriesConf || env.CONTAINERS_REGISTRIES_CONF || undefined,
    runtime: g.runtime || undefined,
    ...(g.runtimeFlag?.length ? { runtimeFlags: g.runtimeFlag.map((f) => `--${f}`) } : {}),
    conmon: g.conmon || engine.engine?.conmon_path?.[0] || undefined,
    volumePath: g.volumePath ? path.resolve(g.volumePath) : typeof engine.engine?.volume_path === 'string' && engine.engine.volume_path ? path.resolve(engine.engine.volume_path) : undefined,
    networkCmdPath: g.networkCmdPath || (typeof engine.engine?.network_cmd_path === 'string' && engine.engine.network_cmd_path) || undefined,
    networkConfigDir: g.networkConfigDir ? path.resolve(g.networkConfigDir) : undefined,
    ...(g.syslog ? { syslog: true } : {}),
    engine,
    configFiles,
    namespace: g.namespace || (typeof engine.engine?.namespace === 'string' ? engine.engine.namespace : ''),
    userns: usernsConfig(own?.storage?.options ?? containersStorage?.storage?.options, env),
    hooksDirs: hooksDirs(g.hooksDir, engine),
  };
}

/**
 * containers.conf `[engine.volume_plugins]` (plugin name → the path of its unix socket) and
 * `[engine] volume_plugin_timeout` (seconds), as the volume store takes them.
 */
export function volumePluginSettings(cfg: Pick<EngineConfig, 'engine'>): { volumePlugins?: Record<string, string>; volumePluginTimeout?: number } {
  const e = cfg.engine?.engine;
  const plugins = e?.volume_plugins;
  const out: { volumePlugins?: Record<string, string>; volumePluginTimeout?: number } = {};
  if (plugins && typeof plugins === 'object') {
    out.volumePlugins = Object.fromEntries(Object.entries(plugins).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  }
  if (typeof e?.volume_plugin_timeout === 'number' && e.volume_plugin_timeout > 0) out.volumePluginTimeout = e.volume_plugin_timeout;
  return out;
}

function usernsConfig(options: Record<string, any> | undefined, env: NodeJS.ProcessEnv): UsernsConfig {
  const num = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : d);
  return {
    subuidFile: env.PIER_SUBUID_FILE || '/etc/subuid',
    subgidFile: env.PIER_SUBGID_FILE || '/etc/subgid',
    autoUser: typeof options?.root_auto_userns_user === 'string' && options.root_auto_userns_user ? options.root_auto_userns_user : 'containers',
    autoMinSize: num(options?.auto_userns_min_size, 1024),
    autoMaxSize: num(options?.auto_userns_max_size, 65536),
  };
}

/** containers.conf `[containers] env`'s default (podman's). */
export const DEFAULT_CONTAINER_ENV: readonly string[] = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'];

/**
 * containers.conf `default_capabilities` when no file sets it: podman 4.3's built-in list (the
 * file podman ships in /usr/share/containers sets a shorter one).
 */
export const BUILTIN_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

/** The `[containers]` (and a few `[engine]`) keys of containers.conf that shape new containers, parsed once per config. */
export interface ContainersSettings {
  /** `env`: variables every container gets (image ENV and the user's override them). */
  env: string[];
  /** `base_hosts_file`: '' (the host's /etc/hosts), 'image', 'none' or a path. */
  baseHostsFile: string;
  /** `host_containers_internal_ip`: '' (automatic), 'none' or an address. */
  hostContainersInternalIP: string;
  /** `no_hosts`: the default of --no-hosts. */
  noHosts: boolean;
  /** `default_capabilities` (CAP_ names): the base set --cap-add/--cap-drop change. */
  capabilities: string[];
  /** `default_sysctls` (KEY=VALUE), under --sysctl; skipped where their namespace is the host's. */
  sysctls: string[];
  /** `default_ulimits` (`nofile=1024:2048`): used when no --ulimit is given. */
  ulimits: string[];
  /** `pids_limit`: --pids-limit's default (0: none). */
  pidsLimit: number;
  /** `shm_size` in bytes, when set. */
  shmSize?: number;
  /** `log_driver`, when set. */
  logDriver?: string;
  /** `log_size_max` in bytes (-1: none): for containers without a log-opt max-size, at each start. */
  logSizeMax: number;
  /** `tz`, `umask`, `init_path`, `seccomp_profile`: '' when unset. */
  tz: string;
  umask: string;
  initPath: string;
  seccompProfile: string;
  /** `dns_servers`, `dns_searches`, `dns_options`: put before a container's own at each start. */
  dnsServers: string[];
  dnsSearches: string[];
  dnsOptions: string[];
  /** `devices` and `volumes` every container gets (a user's volume at the same destination wins). */
  devices: string[];
  volumes: string[];
  /** `annotations` (KEY=VALUE), under the user's. */
  annotations: Record<string, string>;
  /** `http_proxy`: --http-proxy's default (podman's: true). */
  httpProxy: boolean;
  /** `netns`, `ipcns`, `pidns`, `utsns`, `cgroupns`: '' when unset. */
  netns: string;
  ipcns: string;
  pidns: string;
  utsns: string;
  cgroupns: string;
  /** `[engine] stop_timeout`, when set. */
  stopTimeout?: number;
  /** `[engine] pull_policy` (always, missing, never, newer), when set. */
  pullPolicy?: 'always' | 'missing' | 'never' | 'newer';
  /** `[engine] image_volume_mode`: --image-volume's default (bind, tmpfs, ignore; podman's: bind). */
  imageVolumeMode: 'bind' | 'tmpfs' | 'ignore';
}

const settingsCache = new WeakMap<object, ContainersSettings>();

/** The settings of a resolved config (computed once per config object). Bad values are errors, as podman's. */
export function containersSettings(cfg: Pick<EngineConfig, 'engine'>): ContainersSettings {
  const key = cfg.engine ?? cfg;
  let s = settingsCache.get(key);
  if (!s) { s = parseContainersSettings(cfg.engine?.containers ?? {}, cfg.engine?.engine ?? {}); settingsCache.set(key, s); }
  return s;
}

function parseContainersSettings(c: Record<string, any>, e: Record<string, any>): ContainersSettings {
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);
  const bad = (key: string, v: unknown): never => { throw new PierError(`containers.conf: invalid ${key} value ${JSON.stringify(v)}`); };
  let shmSize: number | undefined;
  if (str(c.shm_size)) {
    // As podman reads this key: decimal units (32m is 32000000 bytes).
    shmSize = parseHumanSize(c.shm_size);
    if (shmSize === undefined) bad('shm_size', c.shm_size);
  }
  const umask = str(c.umask);
  if (umask && !/^[0-7]{1,4}$/.test(umask)) bad('umask', umask);
  const logSizeMax = num(c.log_size_max) ?? -1;
  if (logSizeMax >= 0 && logSizeMax < 8192) throw new PierError('validating containers config: log size max should be negative or >= 8192');
  const annotations: Record<string, string> = {};
  for (const a of list(c.annotations)) { const i = a.indexOf('='); if (i < 0) annotations[a] = ''; else annotations[a.slice(0, i)] = a.slice(i + 1); }
  const pull = str(e.pull_policy).toLowerCase();
  const pullPolicy = ({ always: 'always', missing: 'missing', ifmissing: 'missing', never: 'never', newer: 'newer', ifnewer: 'newer' } as const)[pull as 'always'];
  if (pull && !pullPolicy) bad('pull_policy', e.pull_policy);
  const imageVolumeMode = str(e.image_volume_mode) || 'bind';
  if (!['bind', 'tmpfs', 'ignore'].includes(imageVolumeMode)) throw new PierError(`invalid image volume mode "${imageVolumeMode}" required value: bind, tmpfs, ignore`);
  return {
    env: Array.isArray(c.env) ? c.env.map(String) : [...DEFAULT_CONTAINER_ENV],
    baseHostsFile: str(c.base_hosts_file),
    hostContainersInternalIP: str(c.host_containers_internal_ip),
    noHosts: c.no_hosts === true,
    capabilities: Array.isArray(c.default_capabilities)
      ? c.default_capabilities.map((x: unknown) => { const u = String(x).trim().toUpperCase(); return u.startsWith('CAP_') ? u : `CAP_${u}`; })
      : [...BUILTIN_DEFAULT_CAPABILITIES],
    sysctls: Array.isArray(c.default_sysctls) ? list(c.default_sysctls) : ['net.ipv4.ping_group_range=0 0'],
    ulimits: list(c.default_ulimits),
    pidsLimit: num(c.pids_limit) ?? 2048,
    shmSize,
    logDriver: str(c.log_driver) || undefined,
    logSizeMax,
    tz: str(c.tz),
    umask,
    initPath: str(c.init_path) || str(e.init_path),
    seccompProfile: str(c.seccomp_profile),
    dnsServers: list(c.dns_servers),
    dnsSearches: list(c.dns_searches),
    dnsOptions: list(c.dns_options),
    devices: list(c.devices),
    volumes: list(c.volumes),
    annotations,
    httpProxy: c.http_proxy !== false,
    netns: str(c.netns),
    ipcns: str(c.ipcns),
    pidns: str(c.pidns),
    utsns: str(c.utsns),
    cgroupns: str(c.cgroupns),
    stopTimeout: num(e.stop_timeout),
    pullPolicy,
    imageVolumeMode: imageVolumeMode as ContainersSettings['imageVolumeMode'],
  };
}
