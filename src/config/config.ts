// The engine's configuration, resolved once per command from global flags, environment
// and config files (pier's own storage.conf and the containers ecosystem's files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml } from './toml';
import { userDirs, UserDirs } from './paths';
import { log } from '../util/log';
import { PierError } from '../util/errors';

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
  conmon?: string;
  tmpdir?: string;
}

export interface EngineConfig {
  dirs: UserDirs;
  graphRoot: string;
  runRoot: string;
  storageDriver: string;
  registriesConf?: string;
  /** --runtime (a name or path); else containers.conf, else the first that works. */
  runtime?: string;
  /** --conmon path. */
  conmon?: string;
  /** containers.conf-style settings merged from the files read. */
  engine: Record<string, any>;
  /** The config files read, for `info`. */
  configFiles: string[];
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
    const why: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory', ELOOP: 'too many levels of symbolic links' };
    throw new ConfigFileError(`finding config on system: CONTAINERS_CONF file: stat ${f}: ${why[e?.code] ?? e?.message ?? String(e)}`);
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
  for (const f of containersConfFiles(dirs, env)) {
    const t = readToml(f);
    if (t) { configFiles.push(f); mergeTables(engine, t); }
  }
  const driver = g.storageDriver || env.STORAGE_DRIVER || own?.storage?.driver || containersStorage?.storage?.driver || '';
  return {
    dirs,
    graphRoot: path.resolve(g.root || own?.storage?.graphroot || dirs.dataDir),
    runRoot: path.resolve(g.runroot || own?.storage?.runroot || dirs.runDir),
    storageDriver: driver === 'overlay2' ? 'overlay' : driver,
    registriesConf: g.registriesConf || env.CONTAINERS_REGISTRIES_CONF || undefined,
    runtime: g.runtime || undefined,
    conmon: g.conmon || engine.engine?.conmon_path?.[0] || undefined,
    engine,
    configFiles,
  };
}

/** containers.conf `[containers] env`'s default (podman's). */
export const DEFAULT_CONTAINER_ENV: readonly string[] = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'];

/** The `[containers]` keys of containers.conf that shape a container's /etc files and environment. */
export interface ContainersSettings {
  /** `env`: variables every container gets (image ENV and the user's override them). */
  env: string[];
  /** `base_hosts_file`: '' (the host's /etc/hosts), 'image', 'none' or a path. */
  baseHostsFile: string;
  /** `host_containers_internal_ip`: '' (automatic), 'none' or an address. */
  hostContainersInternalIP: string;
  /** `no_hosts`: the default of --no-hosts. */
  noHosts: boolean;
}

export function containersSettings(cfg: Pick<EngineConfig, 'engine'>): ContainersSettings {
  const c: Record<string, any> = cfg.engine?.containers ?? {};
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    env: Array.isArray(c.env) ? c.env.map(String) : [...DEFAULT_CONTAINER_ENV],
    baseHostsFile: str(c.base_hosts_file),
    hostContainersInternalIP: str(c.host_containers_internal_ip),
    noHosts: c.no_hosts === true,
  };
}
