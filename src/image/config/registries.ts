// registries.conf (containers-registries.conf(5)): search registries, short-name aliases,
// [[registry]] tables with prefix/location rewriting, mirrors, insecure and blocked flags.
// Loading follows containers/image: main file, then drop-ins in alpha-numerical order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseToml } from '../../config/toml';
import { PierError, UsageError } from '../../util/errors';
import { ImageReference, isShortName, parseReference, splitShortName } from '../reference';

export const SYSTEM_REGISTRIES_CONF = '/etc/containers/registries.conf';
export const SYSTEM_REGISTRIES_CONF_DIR = '/etc/containers/registries.conf.d';

export type ShortNameMode = 'enforcing' | 'permissive' | 'disabled';
export type PullFromMirror = 'all' | 'digest-only' | 'tag-only';

export interface Endpoint {
  /** host[:port][/namespace...]; empty for wildcard-prefix tables without a location. */
  location: string;
  insecure: boolean;
}

export interface Mirror extends Endpoint {
  pullFromMirror: PullFromMirror;
}

export interface RegistryEntry extends Endpoint {
  prefix: string;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: Mirror[];
}

export interface RegistriesConf {
  /** The main configuration file (named in short-name errors, like podman). */
  path: string;
  /** Every file that was actually read, in order. */
  files: string[];
  /** The drop-in directories consulted. */
  dirs: string[];
  unqualifiedSearchRegistries: string[];
  shortNameMode: ShortNameMode;
  /** short name → fully-qualified name (no tag/digest). */
  aliases: Record<string, string>;
  /** Which file defined each alias (for messages). */
  aliasOrigins: Record<string, string>;
  registries: RegistryEntry[];
}

export interface LoadRegistriesOptions {
  /** Explicit main file (pier's --registries-conf; else CONTAINERS_REGISTRIES_CONF). */
  path?: string;
  /** Explicit drop-in directory, replacing the system and user ones. */
  dirPath?: string;
  /** Home directory for the per-user files (default os.homedir()). */
  homeDir?: string;
  /** Environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Machine-written alias cache (short-name-aliases.conf); takes precedence over aliases. */
  aliasCachePath?: string;
}

/** An empty configuration, as if no file existed. */
export function emptyRegistriesConf(p = SYSTEM_REGISTRIES_CONF): RegistriesConf {
  return { path: p, files: [], dirs: [SYSTEM_REGISTRIES_CONF_DIR], unqualifiedSearchRegistries: [], shortNameMode: 'permissive', aliases: {}, aliasOrigins: {}, registries: [] };
}

function invalid(file: string, msg: string): PierError {
  return new PierError(`loading registries configuration "${file}": ${msg}`);
}

function readToml(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalid(file, (err as Error).message);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw invalid(file, `parsing TOML: ${(err as Error).message.split('\n')[0]}`);
  }
}

function listConfFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.conf'))
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => {
      try {
        return fs.statSync(f).isFile();
      } catch {
        return false;
      }
    });
}

function str(v: unknown, file: string, field: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') throw invalid(file, `${field} must be a string`);
  return v;
}

function bool(v: unknown, file: string, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw invalid(file, `${field} must be a boolean`);
  return v;
}

function strList(v: unknown, file: string, field: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalid(file, `${field} must be an array of strings`);
  return v as string[];
}

function parseLocation(input: string, file: string): string {
  const trimmed = input.replace(/\/+$/, '');
  if (/^https?:\/\//.test(trimmed)) throw invalid(file, `invalid location '${input}': URI schemes are not supported`);
  return trimmed;
}

/** A partial configuration as one file specifies it (undefined = not set by this file). */
interface Partial {
  search?: string[];
  shortNameMode?: ShortNameMode;
  aliases?: Record<string, string>;
  registries: RegistryEntry[];
}

function parseMirror(m: unknown, file: string): Mirror {
  if (typeof m !== 'object' || m === null) throw invalid(file, 'registry.mirror must be a table');
  const t = m as Record<string, unknown>;
  const pfm = str(t['pull-from-mirror'], file, 'pull-from-mirror') || 'all';
  if (pfm !== 'all' && pfm !== 'digest-only' && pfm !== 'tag-only') {
    throw invalid(file, `unsupported pull-from-mirror value "${pfm}"`);
  }
  return { location: parseLocation(str(t.location, file, 'mirror location'), file), insecure: bool(t.insecure, file, 'insecure'), pullFromMirror: pfm };
}

function parseRegistryTable(r: unknown, file: string): RegistryEntry {
  if (typeof r !== 'object' || r === null) throw invalid(file, '[[registry]] must be a table');
  const t = r as Record<string, unknown>;
  const location = parseLocation(str(t.location, file, 'location'), file);
  let prefix = str(t.prefix, file, 'prefix');
  if (prefix === '') {
    if (location === '') throw invalid(file, 'invalid condition: both location and prefix are unset');
    prefix = location;
  } else {
    prefix = parseLocation(prefix, file);
    if (prefix.startsWith('*.')) {
      if (prefix.includes('/') || prefix.includes(':') || prefix.slice(2).includes('*')) {
        throw invalid(file, `invalid prefix '${prefix}': wildcards are only allowed as the first label of a host name`);
      }
    } else if (prefix.includes('*')) {
      throw invalid(file, `invalid prefix '${prefix}': wildcards are only allowed as the first label of a host name`);
    }
  }
  if (location === '' && !prefix.startsWith('*.')) throw invalid(file, `invalid location '' for prefix '${prefix}'`);
  const mirrorsRaw = t.mirror === undefined ? [] : t.mirror;
  if (!Array.isArray(mirrorsRaw)) throw invalid(file, 'registry.mirror must be an array of tables');
  const mirrors = mirrorsRaw.map((m) => parseMirror(m, file));
  const mirrorByDigestOnly = bool(t['mirror-by-digest-only'], file, 'mirror-by-digest-only');
  if (mirrorByDigestOnly && mirrors.some((m) => m.pullFromMirror !== 'all')) {
    throw invalid(file, `cannot set mirror usage mirror-by-digest-only for the registry (${prefix}) and pull-from-mirror for per-mirror (${location}) at the same time`);
  }
  return { prefix, location, insecure: bool(t.insecure, file, 'insecure'), blocked: bool(t.blocked, file, 'blocked'), mirrorByDigestOnly, mirrors };
}

function parseFile(doc: Record<string, unknown>, file: string, allowV1: boolean): Partial {
  const out: Partial = { registries: [] };
  const v1 = doc.registries;
  const hasV2 = doc.registry !== undefined || doc['unqualified-search-registries'] !== undefined;
  if (v1 !== undefined) {
    if (hasV2) throw invalid(file, 'mixing sysregistry v1/v2 is not supported');
    if (!allowV1) throw invalid(file, 'drop-in files must use the version 2 format');
    if (typeof v1 !== 'object' || v1 === null) throw invalid(file, '[registries] must be a table');
    const t = v1 as Record<string, unknown>;
    const listOf = (k: string): string[] => {
      const sub = t[k];
      if (sub === undefined) return [];
      if (typeof sub !== 'object' || sub === null) throw invalid(file, `[registries.${k}] must be a table`);
      const regs = (sub as Record<string, unknown>).registries;
      return regs === undefined ? [] : strList(regs, file, `registries.${k}.registries`);
    };
    const byLocation = new Map<string, RegistryEntry>();
    const entry = (loc: string): RegistryEntry => {
      const location = parseLocation(loc, file);
      let e = byLocation.get(location);
      if (!e) {
        e = { prefix: location, location, insecure: false, blocked: false, mirrorByDigestOnly: false, mirrors: [] };
        byLocation.set(location, e);
      }
      return e;
    };
    for (const r of listOf('insecure')) entry(r).insecure = true;
    for (const r of listOf('block')) entry(r).blocked = true;
    const search = listOf('search');
    if (search.length) out.search = search;
    out.registries = [...byLocation.values()];
  }
  if (doc['unqualified-search-registries'] !== undefined) {
    out.search = strList(doc['unqualified-search-registries'], file, 'unqualified-search-registries');
    for (const r of out.search) {
      try {
        parseReference(`${r}/x`);
      } catch {
        throw invalid(file, `invalid unqualified-search-registries entry "${r}"`);
      }
    }
  }
  if (doc['short-name-mode'] !== undefined) {
    const mode = str(doc['short-name-mode'], file, 'short-name-mode');
    if (mode !== '' && mode !== 'enforcing' && mode !== 'permissive' && mode !== 'disabled') {
      throw invalid(file, `invalid short name mode "${mode}"`);
    }
    if (mode !== '') out.shortNameMode = mode;
  }
  if (doc.aliases !== undefined) {
    if (typeof doc.aliases !== 'object' || doc.aliases === null || Array.isArray(doc.aliases)) throw invalid(file, '[aliases] must be a table');
    out.aliases = {};
    for (const [name, value] of Object.entries(doc.aliases as Record<string, unknown>)) {
      if (typeof value !== 'string') throw invalid(file, `alias "${name}" must be a string`);
      validateAlias(name, value, file);
      out.aliases[name] = value;
    }
  }
  if (doc.registry !== undefined) {
    if (!Array.isArray(doc.registry)) throw invalid(file, '[[registry]] must be an array of tables');
    out.registries.push(...doc.registry.map((r) => parseRegistryTable(r, file)));
  }
  return out;
}

function validateAlias(name: string, value: string, file: string): void {
  let parts;
  try {
    parts = splitShortName(name);
  } catch (err) {
    throw invalid(file, `parsing alias "${name}": ${(err as Error).message}`);
  }
  if (!isShortName(name)) throw invalid(file, `invalid alias "${name}": must be a short name without a registry`);
  if (parts.tag || parts.digest) throw invalid(file, `invalid alias "${name}": must not contain a tag or digest`);
  if (value === '') return; // erases an earlier alias
  let ref;
  try {
    ref = parseReference(value);
  } catch (err) {
    throw invalid(file, `parsing alias "${name}" value "${value}": ${(err as Error).message}`);
  }
  if (isShortName(value)) throw invalid(file, `invalid alias "${name}": value "${value}" must be fully qualified`);
  if (ref.tag || ref.digest) throw invalid(file, `invalid alias "${name}": value "${value}" must not contain a tag or digest`);
}

/** Where the main file and drop-in directories come from (containers/image's rules). */
export function registriesConfPaths(opts: LoadRegistriesOptions = {}): { path: string; dirs: string[] } {
  const env = opts.env ?? process.env;
  const home = opts.homeDir ?? env.HOME ?? os.homedir();
  const userFile = path.join(home, '.config/containers/registries.conf');
  const userDir = path.join(home, '.config/containers/registries.conf.d');
  const explicit = opts.path ?? (env.CONTAINERS_REGISTRIES_CONF || undefined);
  if (explicit) return { path: explicit, dirs: opts.dirPath ? [opts.dirPath] : [SYSTEM_REGISTRIES_CONF_DIR, userDir] };
  if (fs.existsSync(userFile)) return { path: userFile, dirs: [opts.dirPath ?? userDir] };
  return { path: SYSTEM_REGISTRIES_CONF, dirs: opts.dirPath ? [opts.dirPath] : [SYSTEM_REGISTRIES_CONF_DIR, userDir] };
}

/**
 * Load registries.conf and its drop-ins. Later files override: search registries and
 * short-name-mode are replaced when set, aliases merge per name ("" erases), and
 * [[registry]] tables with the same prefix are replaced while new ones are appended.
 */
export function loadRegistriesConf(opts: LoadRegistriesOptions = {}): RegistriesConf {
  const { path: mainPath, dirs } = registriesConfPaths(opts);
  const conf = emptyRegistriesConf(mainPath);
  conf.dirs = dirs;
  const files: Array<{ file: string; dropIn: boolean }> = [{ file: mainPath, dropIn: false }];
  for (const d of dirs) for (const f of listConfFiles(d)) files.push({ file: f, dropIn: true });
  const byPrefix = new Map<string, RegistryEntry>();
  for (const { file, dropIn } of files) {
    const doc = readToml(file);
    if (!doc) continue;
    conf.files.push(file);
    const part = parseFile(doc, file, !dropIn);
    if (part.search !== undefined) conf.unqualifiedSearchRegistries = part.search;
    if (part.shortNameMode !== undefined) conf.shortNameMode = part.shortNameMode;
    for (const [k, v] of Object.entries(part.aliases ?? {})) {
      if (v === '') {
        delete conf.aliases[k];
        delete conf.aliasOrigins[k];
      } else {
        conf.aliases[k] = v;
        conf.aliasOrigins[k] = file;
      }
    }
    for (const r of part.registries) {
      byPrefix.delete(r.prefix); // re-insert so iteration order reflects the latest definition
      byPrefix.set(r.prefix, r);
    }
  }
  conf.registries = [...byPrefix.values()];
  if (opts.aliasCachePath) {
    const doc = readToml(opts.aliasCachePath);
    if (doc) {
      const part = parseFile(doc, opts.aliasCachePath, false);
      for (const [k, v] of Object.entries(part.aliases ?? {})) {
        if (v === '') continue;
        conf.aliases[k] = v;
        conf.aliasOrigins[k] = opts.aliasCachePath;
      }
    }
  }
  return conf;
}

// ---------------------------------------------------------------------------------------------
// Matching

/** Length of the part of `ref` matched by `prefix`, or -1. Wildcards match the host only. */
function matchLength(ref: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const slash = ref.indexOf('/');
    const hostPort = slash === -1 ? ref : ref.slice(0, slash);
    const host = hostPort.replace(/:\d+$/, '');
    return host.endsWith(prefix.slice(1)) ? hostPort.length : -1;
  }
  if (ref.length < prefix.length) return -1;
  if (ref.length === prefix.length) return ref === prefix ? prefix.length : -1;
  if (!ref.startsWith(prefix)) return -1;
  const c = ref[prefix.length];
  return c === ':' || c === '/' || c === '@' ? prefix.length : -1;
}

/** The [[registry]] table with the longest prefix matching `ref` (a full name or host). */
export function matchRegistry(conf: RegistriesConf, ref: ImageReference | string): RegistryEntry | undefined {
  const s = typeof ref === 'string' ? ref : ref.toString();
  let best: RegistryEntry | undefined;
  for (const r of conf.registries) {
    if (matchLength(s, r.prefix) !== -1 && (!best || r.prefix.length > best.prefix.length)) best = r;
  }
  return best;
}

export interface PullSource {
  /** The reference to fetch from this endpoint (location-rewritten). */
  ref: ImageReference;
  insecure: boolean;
  mirror: boolean;
}

function rewrite(ref: ImageReference, prefix: string, location: string): ImageReference {
  if (location === '') return ref;
  const s = ref.toString();
  const n = matchLength(s, prefix);
  if (n === -1) throw new PierError(`invalid prefix '${prefix}' for reference '${s}'`);
  return parseReference(location + s.slice(n));
}

/**
 * Where to pull `ref` from, in order: matching mirrors, then the primary location.
 * Without a matching [[registry]] table that is just `ref` itself (secure).
 */
export function findRegistry(conf: RegistriesConf, ref: ImageReference): PullSource[] {
  const reg = matchRegistry(conf, ref);
  if (!reg) return [{ ref, insecure: false, mirror: false }];
  const digested = ref.digest !== undefined;
  const out: PullSource[] = [];
  for (const m of reg.mirrors) {
    if (reg.mirrorByDigestOnly && !digested) continue;
    if (m.pullFromMirror === 'digest-only' && !digested) continue;
    if (m.pullFromMirror === 'tag-only' && digested) continue;
    out.push({ ref: rewrite(ref, reg.prefix, m.location), insecure: m.insecure, mirror: true });
  }
  out.push({ ref: rewrite(ref, reg.prefix, reg.location), insecure: reg.insecure, mirror: false });
  return out;
}

/** Is pulling `ref` forbidden by a `blocked` table? */
export function isBlocked(conf: RegistriesConf, ref: ImageReference | string): boolean {
  return matchRegistry(conf, ref)?.blocked ?? false;
}

/** Is `host` (host[:port]) configured as insecure (plain HTTP / unverified TLS allowed)? */
export function isInsecure(conf: RegistriesConf, host: string): boolean {
  return matchRegistry(conf, host)?.insecure ?? false;
}

/** Throw podman's error when `ref` is blocked. */
export function assertNotBlocked(conf: RegistriesConf, ref: ImageReference): void {
  const reg = matchRegistry(conf, ref);
  if (reg?.blocked) throw new PierError(`registry ${reg.prefix} is blocked in ${conf.path} or ${conf.dirs[0] ?? SYSTEM_REGISTRIES_CONF_DIR}`);
}

// ---------------------------------------------------------------------------------------------
// Short names

export interface ShortNameResolution {
  /** Fully-qualified candidates, in the order to try them. */
  candidates: ImageReference[];
  /** The alias used, if any. */
  alias?: { name: string; value: string; origin: string };
  /** True when the input was already fully qualified. */
  qualified: boolean;
}

/**
 * Candidate fully-qualified references for a (possibly short) name, in the order to try:
 * a qualified name as is; a short name's alias, else each unqualified-search registry.
 * Tags default to latest. Throws podman's UsageError when nothing applies.
 */
export function resolveShortName(conf: RegistriesConf, name: string, opts: { tty?: boolean } = {}): ImageReference[] {
  return resolveShortNameDetailed(conf, name, opts).candidates;
}

/**
 * resolveShortName with the alias used. In enforcing mode with several search registries and
 * no TTY this fails, as podman does (pier never prompts).
 */
export function resolveShortNameDetailed(conf: RegistriesConf, name: string, opts: { tty?: boolean } = {}): ShortNameResolution {
  const parsed = parseReference(name); // validates, throws UsageError on bad input
  if (!isShortName(name)) return { candidates: [parsed.withDefaultTag()], qualified: true };
  const parts = splitShortName(name);
  const suffix = (r: ImageReference): ImageReference => {
    if (parts.digest) return new ImageReference(r.registry, r.repository, parts.tag, parts.digest, true);
    return new ImageReference(r.registry, r.repository, parts.tag ?? 'latest', undefined, true);
  };
  const alias = conf.aliases[parts.name];
  if (alias) {
    return {
      candidates: [suffix(parseReference(alias))],
      alias: { name: parts.name, value: alias, origin: conf.aliasOrigins[parts.name] ?? conf.path },
      qualified: false,
    };
  }
  const search = conf.unqualifiedSearchRegistries;
  if (search.length === 0) {
    throw new UsageError(`short-name "${name}" did not resolve to an alias and no unqualified-search registries are defined in "${conf.path}"`);
  }
  if (conf.shortNameMode === 'enforcing' && search.length > 1 && !opts.tty) {
    throw new UsageError(`short-name resolution enforced but cannot prompt without a TTY`);
  }
  const candidates = search.map((reg) => suffix(parseReference(`${reg}/${parts.name}`)));
  return { candidates, qualified: false };
}
