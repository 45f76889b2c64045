// Registry credentials in containers-auth.json(5) / docker config.json files, as podman
// login/logout and pulls use them. Keys are a registry host or host/namespace[/repo];
// lookups go from the most specific key to the host, file by file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PierError, UsageError } from '../../util/errors';
import { hostUid } from '../../config/paths';

export interface Credentials {
  username: string;
  password: string;
  /** OAuth2 refresh token (docker's `identitytoken`), used instead of the password. */
  identityToken?: string;
}

export interface AuthPathOptions {
  /** Explicit --authfile; REGISTRY_AUTH_FILE is used when this is absent. */
  authFile?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  homeDir?: string;
}

export interface AuthFileEntry {
  path: string;
  /** ~/.dockercfg style: top-level keys are the entries and keys may be URLs. */
  legacy: boolean;
}

function envOf(o: AuthPathOptions): NodeJS.ProcessEnv {
  return o.env ?? process.env;
}

/**
 * The read/write auth file: --authfile, else REGISTRY_AUTH_FILE, else for root
 * /run/containers/0/auth.json, for others $XDG_RUNTIME_DIR/containers/auth.json
 * (or /run/containers/$UID/auth.json when XDG_RUNTIME_DIR is unset).
 */
export function primaryAuthFile(o: AuthPathOptions = {}): { path: string; explicit: boolean } {
  const env = envOf(o);
  if (o.authFile) return { path: o.authFile, explicit: true };
  if (env.REGISTRY_AUTH_FILE) return { path: env.REGISTRY_AUTH_FILE, explicit: true };
  const uid = o.uid ?? hostUid(env);
  if (uid !== 0 && env.XDG_RUNTIME_DIR) return { path: path.join(env.XDG_RUNTIME_DIR, 'containers/auth.json'), explicit: false };
  return { path: `/run/containers/${uid}/auth.json`, explicit: false };
}

/**
 * Files consulted for credentials, in order. An explicit file is the only one read;
 * otherwise: primary, $XDG_CONFIG_HOME (~/.config)/containers/auth.json,
 * $DOCKER_CONFIG/config.json (~/.docker/config.json), ~/.dockercfg.
 */
export function authFilesForRead(o: AuthPathOptions = {}): AuthFileEntry[] {
  const env = envOf(o);
  const primary = primaryAuthFile(o);
  const out: AuthFileEntry[] = [{ path: primary.path, legacy: false }];
  if (primary.explicit) return out;
  const home = o.homeDir ?? env.HOME ?? os.homedir();
  const xdgConfig = env.XDG_CONFIG_HOME || path.join(home, '.config');
  out.push({ path: path.join(xdgConfig, 'containers/auth.json'), legacy: false });
  out.push({ path: env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : path.join(home, '.docker/config.json'), legacy: false });
  out.push({ path: path.join(home, '.dockercfg'), legacy: true });
  return out;
}

interface RawEntry {
  auth?: string;
  identitytoken?: string;
  [k: string]: unknown;
}

interface AuthDoc {
  auths?: Record<string, RawEntry>;
  /** Per-registry credential helpers: host -> NAME, run as docker-credential-NAME. */
  credHelpers?: Record<string, string>;
  /** The helper for every registry without an entry in credHelpers. */
  credsStore?: string;
  [k: string]: unknown;
}

function readDoc(file: string, legacy = false): AuthDoc | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new PierError(`reading auth file ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PierError(`unmarshaling JSON at "${file}": ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new PierError(`unmarshaling JSON at "${file}": not an object`);
  if (legacy) return { auths: doc as Record<string, RawEntry> };
  return doc as AuthDoc;
}

/** docker's aliases for Docker Hub; auth files may use any of them. */
function normalizeRegistry(host: string): string {
  return host === 'registry-1.docker.io' || host === 'index.docker.io' ? 'docker.io' : host;
}

/** A key as stored in a file → the form we compare with (scheme/path stripped for URL keys). */
export function normalizeAuthKey(key: string, legacy = false): string {
  let s = key.replace(/^https?:\/\//, '');
  if (legacy || s !== key) s = s.split('/')[0];
  const slash = s.indexOf('/');
  const host = slash === -1 ? s : s.slice(0, slash);
  return normalizeRegistry(host) + (slash === -1 ? '' : s.slice(slash));
}

/** Keys to try for `host/repo/path`, most specific first: the full path, its parents, the host. */
export function candidateKeys(target: string): string[] {
  const t = target.replace(/^https?:\/\//, '');
  const slash = t.indexOf('/');
  const host = normalizeRegistry(slash === -1 ? t : t.slice(0, slash));
  const repo = (slash === -1 ? '' : t.slice(slash + 1)).replace(/@.*$/, '').replace(/:[^/]*$/, '').replace(/\/+$/, '');
  const parts = repo === '' ? [] : repo.split('/');
  const out: string[] = [];
  for (let i = parts.length; i >= 1; i--) out.push(`${host}/${parts.slice(0, i).join('/')}`);
  out.push(host);
  return out;
}

function decodeEntry(e: RawEntry, file: string, key: string): Credentials | undefined {
  if (!e || typeof e !== 'object') return undefined;
  let username = '';
  let password = '';
  if (typeof e.auth === 'string' && e.auth !== '') {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i === -1) throw new PierError(`decoding credentials for "${key}" in ${file}: invalid auth configuration`);
    username = decoded.slice(0, i);
    password = decoded.slice(i + 1);
  }
  const identityToken = typeof e.identitytoken === 'string' && e.identitytoken !== '' ? e.identitytoken : undefined;
  if (!username && !password && !identityToken) return undefined;
  return identityToken ? { username, password, identityToken } : { username, password };
}

/**
 * Credentials for `target` (host, host/repo or a full reference) or undefined when none are
 * stored. Each file is searched from the most specific key to the host before the next file.
 */
export function getCredentials(target: string, o: AuthPathOptions = {}): Credentials | undefined {
  return getCredentialsWithSource(target, o)?.credentials;
}

/** getCredentials plus the file and key the credentials came from. */
export function getCredentialsWithSource(target: string, o: AuthPathOptions = {}): { credentials: Credentials; file: string; key: string } | undefined {
  const keys = candidateKeys(target);
  for (const f of authFilesForRead(o)) {
    const doc = readDoc(f.path, f.legacy);
    const helper = f.legacy ? undefined : helperFor(doc, keys[keys.length - 1]);
    if (helper) {
      const creds = credentialsFromHelper(helper, keys[keys.length - 1], envOf(o));
      if (creds) return { credentials: creds, file: f.path, key: keys[keys.length - 1] };
    }
    const auths = doc?.auths;
    if (!auths || typeof auths !== 'object') continue;
    const normalized = new Map<string, { raw: string; entry: RawEntry }>();
    for (const [k, v] of Object.entries(auths)) {
      const n = normalizeAuthKey(k, f.legacy);
      if (!normalized.has(n) || n === k) normalized.set(n, { raw: k, entry: v });
    }
    for (const k of keys) {
      const hit = normalized.get(k);
      if (!hit) continue;
      const creds = decodeEntry(hit.entry, f.path, k);
      if (creds) return { credentials: creds, file: f.path, key: hit.raw };
    }
  }
  return undefined;
}

/** The credential helper a file names for a registry host: credHelpers first, then credsStore. */
function helperFor(doc: AuthDoc | undefined, host: string): string | undefined {
  if (!doc) return undefined;
  const helpers = doc.credHelpers && typeof doc.credHelpers === 'object' ? doc.credHelpers : {};
  for (const [k, v] of Object.entries(helpers)) if (normalizeAuthKey(k) === host && typeof v === 'string' && v) return v;
  return typeof doc.credsStore === 'string' && doc.credsStore ? doc.credsStore : undefined;
}

/**
 * Runs `docker-credential-NAME get` with the registry on stdin, as docker and podman do. A helper that
 * has no credentials for the registry gives undefined; a missing or failing helper is an error.
 */
function credentialsFromHelper(name: string, host: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const bin = `docker-credential-${name}`;
  const server = host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
  const r = spawnSync(bin, ['get'], { input: server, env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new PierError(`getting credentials for ${host} from ${bin}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'executable file not found in $PATH' : r.error.message}`);
  const out = (r.stdout || '').trim();
  if (r.status !== 0) {
    if (/credentials not found/i.test(out + r.stderr)) return undefined;
    throw new PierError(`getting credentials for ${host} from ${bin}: ${(out || r.stderr || `exit status ${r.status}`).trim()}`);
  }
  let doc: { Username?: string; Secret?: string };
  try {
    doc = JSON.parse(out);
  } catch {
    throw new PierError(`getting credentials for ${host} from ${bin}: invalid output`);
  }
  if (!doc.Username && !doc.Secret) return undefined;
  // docker's convention: the username "<token>" means the secret is an identity token.
  if (doc.Username === '<token>') return { username: '', password: '', identityToken: doc.Secret ?? '' };
  return { username: doc.Username ?? '', password: doc.Secret ?? '' };
}

/** Validate a login/logout key: a host, or host/namespace[/repo] without tag or digest. */
export function validateAuthKey(key: string): string {
  const k = key.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (k === '') throw new UsageError('registry must be specified');
  const parts = k.split('/');
  if (parts.length > 1 && /[:@]/.test(parts.slice(1).join('/'))) {
    throw new UsageError(`${key} contains a tag or digest`);
  }
  return parts.length === 1 ? normalizeRegistry(parts[0]) : [normalizeRegistry(parts[0]), ...parts.slice(1)].join('/');
}

/** Write JSON atomically (temp file + rename) with mode 0600, creating parent dirs 0700. */
function writeDoc(file: string, doc: AuthDoc): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    fs.writeFileSync(tmp, JSON.stringify(doc, null, '\t') + '\n', { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  } catch (err) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw new PierError(`writing auth file ${file}: ${(err as Error).message}`);
  }
}

/** Store credentials under `key` (host or host/namespace), keeping the rest of the file. */
export function setCredentials(file: string, key: string, username: string, password: string, identityToken?: string): void {
  const k = validateAuthKey(key);
  const doc = readDoc(file) ?? {};
  const auths = (doc.auths && typeof doc.auths === 'object' ? doc.auths : {}) as Record<string, RawEntry>;
  // Replace any equivalent spelling of the same key (e.g. https://index.docker.io/v1/).
  for (const existing of Object.keys(auths)) if (existing !== k && normalizeAuthKey(existing) === k) delete auths[existing];
  const entry: RawEntry = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  if (identityToken) entry.identitytoken = identityToken;
  auths[k] = entry;
  doc.auths = auths;
  writeDoc(file, doc);
}

/** Remove the entry for `key`; throws `not logged into KEY` when there is none. */
export function removeCredentials(file: string, key: string): void {
  const k = validateAuthKey(key);
  const doc = readDoc(file);
  const auths = doc?.auths;
  const matching = auths ? Object.keys(auths).filter((e) => e === k || normalizeAuthKey(e) === k) : [];
  if (!doc || !auths || matching.length === 0) throw new PierError(`not logged into ${k}`);
  for (const m of matching) delete auths[m];
  writeDoc(file, doc);
}

/** Remove every stored credential from `file` (podman logout --all). */
export function removeAllCredentials(file: string): void {
  const doc = readDoc(file);
  if (!doc) return;
  doc.auths = {};
  writeDoc(file, doc);
}

/** Keys with credentials in `file` (for `podman login --get-login`-like listings). */
export function listCredentialKeys(file: string): string[] {
  return Object.keys(readDoc(file)?.auths ?? {});
}

/**
 * Parse `--creds USER[:PASSWORD]`. A missing password is returned as undefined so the caller
 * can prompt (podman does); an empty user is an error.
 */
export function parseCreds(creds: string): { username: string; password?: string } {
  if (creds === '') throw new UsageError('credentials must be in the form USERNAME[:PASSWORD]');
  const i = creds.indexOf(':');
  const username = i === -1 ? creds : creds.slice(0, i);
  const password = i === -1 ? undefined : creds.slice(i + 1);
  if (username === '') throw new UsageError(`username can't be empty`);
  return { username, password: password === '' ? undefined : password };
}

/** Alias of removeAllCredentials (podman logout --all). */
export const removeAll = removeAllCredentials;
