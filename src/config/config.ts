// The engine's configuration, resolved once per command from global flags, environment
// and config files (pier's own storage.conf and the containers ecosystem's files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseToml } from './toml';
import { userDirs, UserDirs } from './paths';
import { log } from '../util/log';

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
  config?: string;
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
  for (const f of ['/usr/share/containers/containers.conf', '/etc/containers/containers.conf', path.join(dirs.configDir, 'containers.conf'), g.config, env.CONTAINERS_CONF]) {
    if (!f) continue;
    const t = readToml(f);
    if (t) { configFiles.push(f); for (const [k, v] of Object.entries(t)) engine[k] = { ...(engine[k] ?? {}), ...(v as object) }; }
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
