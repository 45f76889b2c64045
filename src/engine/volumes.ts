/**
 * Named volumes of the local driver. Each volume is a directory under the graph root:
 *
 *   <graphRoot>/volumes/<name>/volume.json   its settings (written atomically)
 *   <graphRoot>/volumes/<name>/_data         its content (the mount point)
 *
 * Runtime state (which containers have it mounted) lives under the run root, in
 * <runRoot>/volumes/<name>.json, guarded by the lock file <runRoot>/volumes/<name>.lock.
 *
 * Concurrency: a volume comes into existence by renaming a fully written staging
 * directory onto its name; rename(2) fails on an existing (non-empty) directory, so of
 * several processes creating one name exactly one wins. Removal renames the directory
 * away first, so readers see a volume entirely or not at all.
 *
 * Volumes with `type`/`device` options are mounted with mount(2) on `_data` when the first
 * user mounts them and unmounted when the last one goes.
 *
 * A volume of a plugin (another driver, named in containers.conf's `[engine.volume_plugins]`)
 * has only its record here: the plugin keeps its content. Its first user has the plugin mount
 * it (the mount point the plugin answers is kept in the run state), its last user unmounts it.
 * The plugin client (./volume-plugin) is loaded only for such volumes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, NotFoundError, PierError, UsageError, errnoText, EXIT_CANNOT_INVOKE } from '../util/errors';
import { withFileLock } from '../util/lock';
import { native } from '../util/native';
import { isMountPoint, mountPoints } from '../util/mountinfo';
import { randomHex, randomId } from '../util/digest';
import { resolveInRoot } from './spec/rootfs-path';
import { copyTree } from '../util/copy-tree';

/** The two roots a volume store needs (a Store satisfies this). */
export interface VolumeRoots {
  graphRoot: string;
  runRoot: string;
  /** The volumes' directory when not <graphRoot>/volumes. */
  volumePath?: string;
  /** containers.conf `[engine.volume_plugins]`: plugin name → its socket. */
  volumePlugins?: Record<string, string>;
  /** containers.conf `volume_plugin_timeout` (seconds; podman's default 5). */
  volumePluginTimeout?: number;
}

/** A volume as pier knows it. */
export interface Volume {
  name: string;
  /** `local`, or the name of the volume plugin that keeps it. */
  driver: string;
  /** Host path of the volume's content (`_data`); a plugin's volume: where the plugin mounted it ('' while unmounted). */
  mountpoint: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  labels: Record<string, string>;
  /** Driver options as given (`type`, `device`, `o`, `nocopy`...), plus UID/GID from `o`. */
  options: Record<string, string>;
  uid?: number;
  gid?: number;
  anonymous: boolean;
  /** Filled from the image on first mount (docker semantics) while still true. */
  needsCopyUp: boolean;
  /** Owner and mode taken from the container's mount point on first mount while still true. */
  needsChown: boolean;
  /** Users (containers) that have it mounted now. */
  mountCount: number;
  /** `-o o=timeout=N`: seconds a plugin may take to answer for this volume. */
  timeout?: number;
}

export interface CreateVolumeOptions {
  /** Default: 64 random hex digits. */
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  anonymous?: boolean;
  /** Return the existing volume instead of failing when the name is taken. */
  ignoreIfExists?: boolean;
}

/** A volume used by containers (or still mounted): podman's exit code 2. */
export class VolumeInUseError extends PierError {
  constructor(readonly volume: string, readonly users: string[]) {
    super(`volume ${volume} is being used by the following container(s): ${users.join(', ')}: volume is being used`, 2, 409);
    this.name = 'VolumeInUseError';
  }
}

export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONFIG = 'volume.json';
const DATA = '_data';
/** Keys `-o` accepts for the local driver. */
const LOCAL_OPTS = new Set(['type', 'device', 'o', 'copy', 'nocopy', 'uid', 'gid', 'UID', 'GID']);

/** What volume.json holds. */
interface VolumeFile {
  version: 1;
  name: string;
  driver: string;
  createdAt: number;
  labels: Record<string, string>;
  options: Record<string, string>;
  uid?: number;
  gid?: number;
  anonymous: boolean;
  needsCopyUp: boolean;
  needsChown: boolean;
  timeout?: number;
}

/** What <runRoot>/volumes/<name>.json holds. */
interface VolumeRunState {
  mountedBy: string[];
  /** A plugin's volume while mounted: the path its plugin mounted it at. */
  mountPoint?: string;
}

// ---------------------------------------------------------------------------------------
// Paths and small file helpers

export function volumesDir(roots: VolumeRoots): string {
  return roots.volumePath ?? path.join(roots.graphRoot, 'volumes');
}

function volDir(roots: VolumeRoots, name: string): string {
  return path.join(volumesDir(roots), name);
}

function dataDir(roots: VolumeRoots, name: string): string {
  return path.join(volDir(roots, name), DATA);
}

function runDir(roots: VolumeRoots): string {
  return path.join(roots.runRoot, 'volumes');
}

function runStateFile(roots: VolumeRoots, name: string): string {
  return path.join(runDir(roots), `${name}.json`);
}

function lockFile(roots: VolumeRoots, name: string): string {
  return path.join(runDir(roots), `${name}.lock`);
}

function tmpName(): string {
  return `${process.pid}-${randomHex(6)}`;
}

/** Write `data` to `file` via a temporary file and rename: readers never see half a file. */
function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp-${tmpName()}`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

function readJSON<T>(file: string): T | undefined {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e: any) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  }
  try { return JSON.parse(text) as T; } catch { return undefined; }
}

function readRunState(roots: VolumeRoots, name: string): VolumeRunState {
  return readJSON<VolumeRunState>(runStateFile(roots, name)) ?? { mountedBy: [] };
}

function writeRunState(roots: VolumeRoots, name: string, s: VolumeRunState): void {
  fs.mkdirSync(runDir(roots), { recursive: true, mode: 0o700 });
  if (s.mountedBy.length === 0) fs.rmSync(runStateFile(roots, name), { force: true });
  else writeAtomic(runStateFile(roots, name), JSON.stringify(s));
}

function toVolume(roots: VolumeRoots, f: VolumeFile): Volume {
  const state = readRunState(roots, f.name);
  const driver = f.driver || 'local';
  const v: Volume = {
    name: f.name, driver, mountpoint: driver === 'local' ? dataDir(roots, f.name) : state.mountPoint ?? '', createdAt: f.createdAt,
    labels: { ...f.labels }, options: { ...f.options }, anonymous: !!f.anonymous,
    needsCopyUp: !!f.needsCopyUp, needsChown: !!f.needsChown,
    mountCount: state.mountedBy.length,
  };
  if (f.uid !== undefined) v.uid = f.uid;
  if (f.gid !== undefined) v.gid = f.gid;
  if (f.timeout !== undefined) v.timeout = f.timeout;
  return v;
}

/** Whether the volume is kept by a volume plugin (any driver but local). */
export function usesPlugin(v: Pick<Volume, 'driver'>): boolean {
  return v.driver !== 'local';
}

/** The plugin client module, loaded on first use. */
function pluginModule(): typeof import('./volume-plugin') {
  return require('./volume-plugin') as typeof import('./volume-plugin');
}

/** The volume plugin `driver` of the store's configuration, activated. */
export function pluginOf(roots: VolumeRoots, driver: string, timeout?: number): Promise<import('./volume-plugin').VolumePlugin> {
  return pluginModule().volumePlugin(driver, roots.volumePlugins, timeout ?? roots.volumePluginTimeout);
}

function readVolumeFile(roots: VolumeRoots, name: string): VolumeFile | undefined {
  if (!VOLUME_NAME_RE.test(name)) return undefined;
  const f = readJSON<VolumeFile>(path.join(volDir(roots, name), CONFIG));
  return f && f.name === name ? f : undefined;
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`no volume with name "${name}" found: no such volume`);
}

/** Run `fn` holding the volume's lock (cross-process). */
async function withVolumeLock<T>(roots: VolumeRoots, name: string, fn: () => T | Promise<T>): Promise<T> {
  if (!VOLUME_NAME_RE.test(name)) throw notFound(name); // never build paths from other names
  return withFileLock(lockFile(roots, name), fn);
}

// ---------------------------------------------------------------------------------------
// Options

/** Parse `uid=`/`gid=` values: non-negative integers. */
function parseId(key: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`cannot convert ${key} ${v} to integer: strconv.Atoi: parsing "${v}": invalid syntax`);
  return parseInt(v, 10);
}

interface ParsedOptions { options: Record<string, string>; uid?: number; gid?: number; timeout?: number }

/**
 * What podman reads from `-o o=...` for every driver: `uid=` and `gid=` (also kept as the UID and
 * GID options) and `timeout=` (taken out of `o`: the seconds a plugin may take).
 */
function parseOOption(opts: Record<string, string>): ParsedOptions {
  const out: ParsedOptions = { options: { ...opts } };
  if (opts.o === undefined) return out;
  const kept: string[] = [];
  for (const item of opts.o.split(',').filter(Boolean)) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const val = eq < 0 ? '' : item.slice(eq + 1);
    if (key === 'uid') { out.uid = parseId('UID', val); out.options.UID = val; }
    if (key === 'gid') { out.gid = parseId('GID', val); out.options.GID = val; }
    if (key === 'timeout') {
      if (!/^\d+$/.test(val)) throw new UsageError(`cannot convert Timeout ${val} to an integer: invalid argument`);
      out.timeout = parseInt(val, 10);
      continue;
    }
    kept.push(item);
  }
  if (kept.length) out.options.o = kept.join(',');
  else delete out.options.o;
  return out;
}

/** Validate local driver options; returns the options to store and the volume's UID/GID. */
function checkLocalOptions(opts: Record<string, string>): ParsedOptions {
  for (const k of Object.keys(opts)) {
    if (!LOCAL_OPTS.has(k)) throw new UsageError(`invalid mount option ${k} for driver 'local': invalid argument`);
  }
  const uid = opts.uid ?? opts.UID;
  const gid = opts.gid ?? opts.GID;
  const direct = { uid: uid === undefined ? undefined : parseId('UID', uid), gid: gid === undefined ? undefined : parseId('GID', gid) };
  const parsed = parseOOption(opts);
  if (parsed.timeout !== undefined) throw new UsageError('running volume create option: Volume driver timeout can only be used with non-local volume drivers: invalid argument');
  const options = parsed.options;
  parsed.uid ??= direct.uid;
  parsed.gid ??= direct.gid;
  for (const item of (options.o ?? '').split(',')) {
    const key = item.split('=')[0];
    if ((key === 'size' || key === 'inodes') && !options.type) {
      throw new UsageError('volume options size and inodes not supported. Filesystem does not support Project Quota');
    }
  }
  // podman stats the device of a `type=bind` volume when it is created.
  if (options.type?.toLowerCase() === 'bind' && options.device !== undefined) {
    try { fs.statSync(options.device); } catch (e) {
      throw new UsageError(`invalid volume option device for driver 'local': stat ${options.device}: ${errnoText(e)}`);
    }
  }
  if ((options.type === 'none' || !options.type) && options.device && /(^|,)r?bind(,|$)/.test(options.o ?? '') && !path.isAbsolute(options.device)) {
    throw new UsageError(`bind mount device ${options.device} must be an absolute path`);
  }
  return parsed;
}

/** True when the volume is backed by a mount: a local one with `type` or `device`, or a plugin's. */
export function volumeNeedsMount(vol: Pick<Volume, 'options' | 'driver'>): boolean {
  return usesPlugin(vol) || !!(vol.options.type || vol.options.device);
}

const MOUNT_FLAGS: Record<string, [keyof ReturnType<typeof native>['constants'], boolean]> = {
  ro: ['MS_RDONLY', true], rw: ['MS_RDONLY', false],
  nosuid: ['MS_NOSUID', true], suid: ['MS_NOSUID', false],
  nodev: ['MS_NODEV', true], dev: ['MS_NODEV', false],
  noexec: ['MS_NOEXEC', true], exec: ['MS_NOEXEC', false],
  noatime: ['MS_NOATIME', true], atime: ['MS_NOATIME', false],
  relatime: ['MS_RELATIME', true], strictatime: ['MS_STRICTATIME', true],
};

/** The mount(2) call for a volume's options: flags from `o`, the rest as data. */
export function mountCall(vol: Pick<Volume, 'options'>): { source: string; fstype: string; flags: number; data: string; bind: boolean } {
  const c = native().constants;
  const type = vol.options.type ?? '';
  let flags = 0;
  let bind = false;
  // `type=bind` is `mount -o bind`, as podman runs it.
  if (type.toLowerCase() === 'bind') { bind = true; flags |= c.MS_BIND; }
  const data: string[] = [];
  for (const item of (vol.options.o ?? '').split(',').filter(Boolean)) {
    if (item === 'bind' || item === 'rbind') {
      bind = true;
      flags |= c.MS_BIND | (item === 'rbind' ? c.MS_REC : 0);
      continue;
    }
    const known = MOUNT_FLAGS[item];
    if (known) {
      const bit = c[known[0]] as number;
      flags = known[1] ? flags | bit : flags & ~bit;
      continue;
    }
    // Options the volume layer consumed itself.
    if (/^(timeout|noquota)(=|$)/.test(item)) continue;
    data.push(item);
  }
  const fstype = bind || type === 'none' ? '' : type;
  const source = vol.options.device || type || 'none';
  return { source, fstype, flags, data: bind ? '' : data.join(','), bind };
}

// ---------------------------------------------------------------------------------------
// Create, read, list, remove

/** The name for a new volume (random when not given), refused when malformed. */
function newVolumeName(o: CreateVolumeOptions): string {
  const name = o.name || randomId();
  if (!VOLUME_NAME_RE.test(name)) throw new UsageError('running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument');
  return name;
}

/** The record of a new volume from its parsed options. */
function newVolumeFile(name: string, driver: string, o: CreateVolumeOptions, p: ParsedOptions): VolumeFile {
  const file: VolumeFile = {
    version: 1, name, driver, createdAt: Date.now(), labels: { ...(o.labels ?? {}) }, options: p.options,
    anonymous: !!o.anonymous, needsCopyUp: true, needsChown: p.uid === undefined && p.gid === undefined,
  };
  if (p.uid !== undefined) file.uid = p.uid;
  if (p.gid !== undefined) file.gid = p.gid;
  if (p.timeout !== undefined) file.timeout = p.timeout;
  return file;
}

function alreadyExists(name: string): ConflictError {
  return new ConflictError(`volume with name ${name} already exists: volume already exists`);
}

/**
 * Create a local volume; fails with "volume already exists" if the name is taken (unless
 * ignoreIfExists). Other drivers are volume plugins: createPluginVolume.
 */
export function createVolume(roots: VolumeRoots, o: CreateVolumeOptions = {}): Volume {
  const driver = o.driver || 'local';
  const name = newVolumeName(o);
  if (driver !== 'local') throw new PierError(`volume ${name} uses volume plugin ${driver} but it could not be retrieved: volume plugins need createPluginVolume`);
  const existing = readVolumeFile(roots, name);
  if (existing) {
    if (o.ignoreIfExists) return toVolume(roots, existing);
    throw alreadyExists(name);
  }
  const parsed = checkLocalOptions(o.options ?? {});
  return writeNewVolume(roots, newVolumeFile(name, 'local', o, parsed), !!o.ignoreIfExists);
}

/**
 * Create a volume kept by the volume plugin `o.driver`: the plugin makes it (unless it has one of
 * that name already, which is taken as it is), then pier records it. `inPlugin: false` only
 * records it (`volume reload` of a volume the plugin lists).
 */
export async function createPluginVolume(roots: VolumeRoots, o: CreateVolumeOptions & { driver: string; inPlugin?: boolean }): Promise<Volume> {
  const parsed = parseOOption(o.options ?? {});
  const name = newVolumeName(o);
  const existing = readVolumeFile(roots, name);
  if (existing) {
    if (o.ignoreIfExists) return toVolume(roots, existing);
    throw alreadyExists(name);
  }
  let plugin: import('./volume-plugin').VolumePlugin;
  try { plugin = await pluginOf(roots, o.driver, parsed.timeout); } catch (e: any) {
    throw new PierError(`volume ${name} uses volume plugin ${o.driver} but it could not be retrieved: ${e.message}`);
  }
  if (o.inPlugin !== false) {
    const has = await plugin.get(name).catch(() => undefined);
    if (!has) {
      try { await plugin.create(name, parsed.options); } catch (e: any) {
        throw new PierError(`creating volume "${name}" in plugin ${o.driver}: ${e.message}`);
      }
    }
  }
  return writeNewVolume(roots, newVolumeFile(name, o.driver, o, parsed), !!o.ignoreIfExists);
}

/** Put a new volume's record (and, for a local volume, its `_data`) in place, exclusively. */
function writeNewVolume(roots: VolumeRoots, file: VolumeFile, ignoreIfExists: boolean): Volume {
  const name = file.name;
  const dir = volumesDir(roots);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const staging = path.join(dir, `.staging-${tmpName()}`);
  fs.mkdirSync(staging, 0o700);
  try {
    if (file.driver === 'local') {
      fs.mkdirSync(path.join(staging, DATA), 0o755);
      fs.chmodSync(path.join(staging, DATA), 0o755); // regardless of the umask
      if (file.uid !== undefined || file.gid !== undefined) {
        fs.chownSync(staging, file.uid ?? 0, file.gid ?? 0);
        fs.chownSync(path.join(staging, DATA), file.uid ?? 0, file.gid ?? 0);
      }
    }
    writeAtomic(path.join(staging, CONFIG), JSON.stringify(file, null, 2) + '\n');
    try {
      fs.renameSync(staging, volDir(roots, name));
    } catch (e: any) {
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST' && e.code !== 'ENOTDIR') throw e;
      // Someone else created it first (or a leftover non-volume entry holds the name).
      const winner = readVolumeFile(roots, name) ?? (file.driver === 'local' ? adoptLegacy(roots, name, file) : undefined);
      if (winner && ignoreIfExists) return toVolume(roots, winner);
      throw alreadyExists(name);
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return toVolume(roots, file);
}

/**
 * A bare `<name>/_data` directory from before volume records existed becomes a volume (in use
 * already, so no copy-up or chown). Exclusive: link(2) of the record fails if another won.
 */
function adoptLegacy(roots: VolumeRoots, name: string, file: VolumeFile): VolumeFile | undefined {
  const dir = volDir(roots, name);
  let entries: string[];
  try { entries = fs.readdirSync(dir); } catch { return undefined; }
  if (entries.some((e) => e !== DATA && !e.startsWith(`${CONFIG}.tmp-`)) || !fs.lstatSync(path.join(dir, DATA)).isDirectory()) return undefined;
  const adopted: VolumeFile = { ...file, labels: {}, options: {}, anonymous: /^[0-9a-f]{64}$/.test(name), needsCopyUp: false, needsChown: false };
  delete adopted.uid;
  delete adopted.gid;
  const tmp = path.join(dir, `${CONFIG}.tmp-${tmpName()}`);
  fs.writeFileSync(tmp, JSON.stringify(adopted, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  try { fs.linkSync(tmp, path.join(dir, CONFIG)); } catch (e: any) { if (e.code !== 'EEXIST') throw e; } finally { fs.rmSync(tmp, { force: true }); }
  return readVolumeFile(roots, name);
}

/** The volume called `name`, or undefined. */
export function findVolume(roots: VolumeRoots, name: string): Volume | undefined {
  const f = readVolumeFile(roots, name);
  return f ? toVolume(roots, f) : undefined;
}

/** The volume called `name`; NotFoundError "no such volume" otherwise. */
export function getVolume(roots: VolumeRoots, name: string): Volume {
  const v = findVolume(roots, name);
  if (!v) throw notFound(name);
  return v;
}

/** All volumes, sorted by name. */
export function listVolumes(roots: VolumeRoots): Volume[] {
  let names: string[];
  try { names = fs.readdirSync(volumesDir(roots)); } catch (e: any) {
    if (e.code === 'ENOENT') return [];
    throw e;
  }
  const out: Volume[] = [];
  for (const n of names.sort()) {
    if (n.startsWith('.')) continue;
    const v = findVolume(roots, n);
    if (v) out.push(v);
  }
  return out;
}

export interface RemoveVolumeOptions {
  /** Remove even when in use: unmount it first (the caller removes the containers). */
  force?: boolean;
  /** Containers using the volume (refuse removal when any, unless force). */
  usedBy?: (name: string) => string[];
  /** Whether a recorded mount user (container id) still exists; gone ones do not block removal. */
  isMountUserAlive?: (user: string) => boolean;
  /** A plugin's volume: forget it without asking the plugin (`volume reload` of one the plugin no longer has). */
  keepInPlugin?: boolean;
}

/** Remove a volume and its content. In-use volumes are refused (VolumeInUseError) unless `force`. */
export async function removeVolume(roots: VolumeRoots, name: string, o: RemoveVolumeOptions = {}): Promise<void> {
  let removalError: PierError | undefined;
  await withVolumeLock(roots, name, async () => {
    const f = readVolumeFile(roots, name);
    if (!f) throw notFound(name);
    const users = o.usedBy?.(name) ?? [];
    const state = readRunState(roots, name);
    if (o.isMountUserAlive) state.mountedBy = state.mountedBy.filter((u) => o.isMountUserAlive!(u));
    if (!o.force) {
      if (users.length) throw new VolumeInUseError(name, users);
      if (state.mountedBy.length) throw new VolumeInUseError(name, state.mountedBy);
    }
    if (usesPlugin(toVolume(roots, f))) removalError = await removeFromPlugin(roots, f, state, o);
    const data = dataDir(roots, name);
    if (isMountpoint(data)) unmountPath(data);
    if (isMountpoint(data)) throw new PierError(`volume ${name}: ${data} is still mounted`);
    // Rename away first: from here on the volume no longer exists for anyone.
    const trash = path.join(volumesDir(roots), `.removing-${tmpName()}`);
    fs.renameSync(volDir(roots, name), trash);
    writeRunState(roots, name, { mountedBy: [] });
    removeTree(trash);
  });
  // As podman: a plugin that cannot be asked does not keep the volume, but the removal reports it.
  if (removalError) throw removalError;
}

/**
 * The plugin's part of removing its volume (holding the volume's lock): unmount it if still
 * mounted, then have the plugin remove it. Throws when the plugin refuses (the volume stays);
 * returns the error to report when the plugin cannot be asked (the volume goes all the same).
 */
async function removeFromPlugin(roots: VolumeRoots, f: VolumeFile, state: VolumeRunState, o: RemoveVolumeOptions): Promise<PierError | undefined> {
  let plugin: import('./volume-plugin').VolumePlugin;
  try { plugin = await pluginOf(roots, f.driver, f.timeout); } catch {
    return o.keepInPlugin ? undefined : new PierError(`cannot remove volume ${f.name} from plugin ${f.driver}, but it has been removed from pier: required plugin missing`);
  }
  if (state.mountPoint !== undefined) await plugin.unmount(f.name, PLUGIN_MOUNT_ID).catch(() => undefined);
  if (o.keepInPlugin) return undefined;
  try { await plugin.get(f.name); } catch (e: any) {
    return new PierError(`volume ${f.name} could not be retrieved from plugin ${f.driver}, but it has been removed from pier: ${e.message}`);
  }
  try { await plugin.remove(f.name); } catch (e: any) {
    throw new PierError(`volume ${f.name} could not be removed from plugin ${f.driver}: ${e.message}`);
  }
  return undefined;
}

/** rm -rf that refuses to descend into anything still mounted below `dir`. */
function removeTree(dir: string): void {
  const below = (mountPoints() ?? []).filter((m) => m === dir || m.startsWith(dir + '/'));
  for (const m of below.sort().reverse()) unmountPath(m);
  if ((mountPoints() ?? []).some((m) => m === dir || m.startsWith(dir + '/'))) throw new PierError(`cannot remove ${dir}: something is still mounted below it`);
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// Mounting


/** True when `p` is a mount point. */
export function isMountpoint(p: string): boolean {
  let real: string;
  try { real = fs.realpathSync(p); } catch { return false; }
  return isMountPoint(real);
}

function unmountPath(p: string): void {
  const c = native().constants;
  try {
    native().umount2(p, 0);
  } catch (e: any) {
    if (e.code === 'EINVAL' || e.code === 'ENOENT') return; // not mounted
    if (e.code !== 'EBUSY') throw e;
    native().umount2(p, c.MNT_DETACH);
  }
}

/**
 * Mount the volume for `user` (a container id; idempotent per user) and return the host path
 * to bind into the container. Volumes with mount options are mounted by their first user.
 */
export async function mountVolume(roots: VolumeRoots, name: string, user: string): Promise<string> {
  return withVolumeLock(roots, name, async () => {
    const f = readVolumeFile(roots, name);
    if (!f) throw notFound(name);
    const vol = toVolume(roots, f);
    const state = readRunState(roots, name);
    if (usesPlugin(vol)) return mountPluginVolume(roots, f, state, user);
    if (volumeNeedsMount(vol) && !isMountpoint(vol.mountpoint)) {
      const m = mountCall(vol);
      try {
        const c = native().constants;
        if (!m.bind) native().mount(m.source, vol.mountpoint, m.fstype, m.flags, m.data);
        else {
          native().mount(m.source, vol.mountpoint, '', m.flags & (c.MS_BIND | c.MS_REC), '');
          const extra = m.flags & (c.MS_RDONLY | c.MS_NOSUID | c.MS_NODEV | c.MS_NOEXEC);
          if (extra) native().mount('', vol.mountpoint, '', c.MS_BIND | c.MS_REMOUNT | extra, '');
        }
      } catch (e: any) {
        if (isMountpoint(vol.mountpoint)) unmountPath(vol.mountpoint);
        throw new PierError(`mounting volume ${name}: mount ${m.source} on ${vol.mountpoint} (type ${m.fstype || 'none'}): ${e.code ?? e.message}`);
      }
      // The stale users of an unmounted volume (after a reboot or a crash) no longer count.
      state.mountedBy = [];
    }
    if (!state.mountedBy.includes(user)) state.mountedBy.push(user);
    writeRunState(roots, name, state);
    return vol.mountpoint;
  });
}

/**
 * The id pier gives a plugin for every mount of a volume: pier counts the volume's users itself,
 * asking the plugin to mount it for the first and to unmount it after the last (podman's
 * pseudo-container id, the sha256 of "placeholder\n", so a plugin sees both engines alike).
 */
export const PLUGIN_MOUNT_ID = '2f73349cfc4630255319c6c8dfc1b46a8996ace9d14d8e07563b165915918ec2';

/** mountVolume of a plugin's volume (holding its lock): the first user has the plugin mount it. */
async function mountPluginVolume(roots: VolumeRoots, f: VolumeFile, state: VolumeRunState, user: string): Promise<string> {
  if (state.mountPoint === undefined || state.mountedBy.length === 0) {
    let plugin: import('./volume-plugin').VolumePlugin;
    try { plugin = await pluginOf(roots, f.driver, f.timeout); } catch {
      throw new PierError(`volume plugin ${f.driver} (needed by volume ${f.name}) missing: required plugin missing`);
    }
    state.mountPoint = await plugin.mount(f.name, PLUGIN_MOUNT_ID);
    state.mountedBy = [];
  }
  if (!state.mountedBy.includes(user)) state.mountedBy.push(user);
  writeRunState(roots, f.name, state);
  return state.mountPoint;
}

/** Drop `user`'s mount; the last user unmounts a mount-backed volume. Unknown users are ignored. */
export async function unmountVolume(roots: VolumeRoots, name: string, user: string): Promise<void> {
  await withVolumeLock(roots, name, async () => {
    const state = readRunState(roots, name);
    const wasUser = state.mountedBy.includes(user);
    state.mountedBy = state.mountedBy.filter((u) => u !== user);
    const f = readVolumeFile(roots, name);
    if (wasUser && f && state.mountedBy.length === 0 && state.mountPoint !== undefined && usesPlugin(toVolume(roots, f))) {
      // The plugin's mount is forgotten even when the plugin cannot be reached (the error is reported).
      writeRunState(roots, name, state);
      let plugin: import('./volume-plugin').VolumePlugin;
      try { plugin = await pluginOf(roots, f.driver, f.timeout); } catch {
        throw new PierError(`volume plugin ${f.driver} (needed by volume ${name}) missing: required plugin missing`);
      }
      await plugin.unmount(name, PLUGIN_MOUNT_ID);
      return;
    }
    if (state.mountedBy.length === 0 && f && !usesPlugin(toVolume(roots, f)) && volumeNeedsMount(toVolume(roots, f))) {
      const mp = dataDir(roots, name);
      if (isMountpoint(mp)) unmountPath(mp);
    }
    writeRunState(roots, name, state);
  });
}

/** Mount users recorded by `volume mount` (each call one more; not containers, so they never block removal). */
const CLI_USER = 'volume-mount-';

/**
 * `volume mount`: a volume backed by a mount (type/device options) is mounted and counted one
 * more user; a plain directory needs no mount (podman's no-op). Returns the host path.
 */
export async function mountVolumeForUser(roots: VolumeRoots, name: string): Promise<string> {
  const vol = getVolume(roots, name);
  if (!volumeNeedsMount(vol)) return vol.mountpoint;
  return mountVolume(roots, name, `${CLI_USER}${randomHex(8)}`);
}

/** `volume unmount`: drop one `volume mount` user; the last user unmounts. A no-op when none is left. */
export async function unmountVolumeForUser(roots: VolumeRoots, name: string): Promise<void> {
  getVolume(roots, name);
  const user = readRunState(roots, name).mountedBy.find((u) => u.startsWith(CLI_USER));
  if (user) await unmountVolume(roots, name, user);
}

// ---------------------------------------------------------------------------------------
// Copy-up and ownership

export interface CopyUpOptions {
  /** The container process's uid/gid: a new volume is chowned to them (before matching the mount point). */
  uid?: number;
  gid?: number;
  /** The mount's `nocopy` option: never copy. */
  noCopy?: boolean;
}

/**
 * First use of a volume by a container whose (mounted) root file system is `rootfs`:
 * - NeedsChown: the volume's root takes the container user's owner, then the owner and mode
 *   of `containerPath` in the rootfs when that exists;
 * - NeedsCopyUp: if the volume is empty and `containerPath` is a non-empty directory in the
 *   rootfs, its content is copied in (owners, modes, times, xattrs, symlinks as links, hard
 *   links) and the flag is cleared; otherwise it stays for the next container.
 * NeedsChown is cleared on first use. Never follows symlinks out of `rootfs`. Call it after
 * mountVolume (so mount-backed volumes receive the content). Returns true if files were copied.
 */
export async function copyUpIfNeeded(roots: VolumeRoots, name: string, rootfs: string, containerPath: string, o: CopyUpOptions = {}): Promise<boolean> {
  return withVolumeLock(roots, name, () => {
    const f = readVolumeFile(roots, name);
    if (!f) throw notFound(name);
    if (!f.needsCopyUp && !f.needsChown) return false;
    // A plugin's volume is where its plugin mounted it, and never chowned (not pier's to change).
    const plugin = usesPlugin(toVolume(roots, f));
    const mp = plugin ? readRunState(roots, name).mountPoint : dataDir(roots, name);
    if (!mp) return false;
    const src = resolveInRoot(rootfs, containerPath);
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(src); } catch { st = undefined; }
    if (f.needsChown && !plugin) {
      if (f.uid === undefined && f.gid === undefined) {
        if (o.uid !== undefined || o.gid !== undefined) fs.lchownSync(mp, o.uid ?? 0, o.gid ?? 0);
        if (st?.isDirectory()) {
          fs.lchownSync(mp, st.uid, st.gid);
          fs.chmodSync(mp, st.mode & 0o7777);
        }
      }
      f.needsChown = false;
    }
    let copied = false;
    // As podman: NeedsCopyUp stays set until content is actually copied (a later container
    // with files at its mount point still fills the volume).
    if (f.needsCopyUp) {
      const noCopy = o.noCopy || 'nocopy' in f.options || f.options.copy === 'false';
      if (!noCopy && st?.isDirectory() && fs.readdirSync(src).length > 0 && fs.readdirSync(mp).length === 0) {
        f.needsCopyUp = false;
        copyTree(src, mp);
        copied = true;
      }
    }
    // Persist unless the volume was removed meanwhile (it cannot be: we hold its lock).
    writeAtomic(path.join(volDir(roots, name), CONFIG), JSON.stringify(f, null, 2) + '\n');
    return copied;
  });
}

// ---------------------------------------------------------------------------------------
// Container integration: what the container engine calls at create / start / cleanup / rm -v

/** The part of a container mount these helpers look at (ContainerConfig['mounts'][n]). */
export interface VolumeMountRef {
  type: string;
  name?: string;
  destination: string;
  options: string[];
}

/**
 * At container create: the volume for `-v NAME:/dst` (created on first use, like podman) or,
 * without a name, a new anonymous volume. Its `mountpoint` is the mount's host source.
 */
export function volumeForMount(roots: VolumeRoots, name?: string): Volume {
  if (name === undefined || name === '') return createVolume(roots, { anonymous: true });
  return createVolume(roots, { name, ignoreIfExists: true });
}

/**
 * At container start, with the container's rootfs mounted: mount every volume of `mounts`
 * for `containerId` and do the first-use copy-up / chown into it. On failure the volumes
 * mounted so far are released again. Returns the host paths of the plugins' volumes (by
 * name): where their plugins mounted them for this run.
 */
export async function mountContainerVolumes(roots: VolumeRoots, containerId: string, mounts: VolumeMountRef[], rootfs: string,
  user: { uid?: number; gid?: number } = {}): Promise<Map<string, string>> {
  const done: string[] = [];
  const pluginPaths = new Map<string, string>();
  try {
    for (const m of mounts) {
      if (m.type !== 'volume' || !m.name) continue;
      let at: string;
      try { at = await mountVolume(roots, m.name, containerId); } catch (e: any) {
        const v = findVolume(roots, m.name);
        if (!v || !usesPlugin(v)) throw e;
        throw new PierError(`mounting volume ${m.name} for container ${containerId}: ${e.message}`, EXIT_CANNOT_INVOKE);
      }
      if (at !== dataDir(roots, m.name)) pluginPaths.set(m.name, at);
      done.push(m.name);
      await copyUpIfNeeded(roots, m.name, rootfs, m.destination, { ...user, noCopy: m.options.includes('nocopy') });
    }
  } catch (e) {
    for (const n of done.reverse()) await unmountVolume(roots, n, containerId).catch(() => undefined);
    throw e;
  }
  return pluginPaths;
}

/**
 * At container cleanup (stopped/exited): release `containerId`'s mounts of its volumes. Never
 * throws for missing volumes; a plugin's failure to unmount is thrown after all are released.
 */
export async function unmountContainerVolumes(roots: VolumeRoots, containerId: string, mounts: VolumeMountRef[]): Promise<void> {
  let failed: unknown;
  for (const m of mounts) {
    if (m.type === 'volume' && m.name) await unmountVolume(roots, m.name, containerId).catch((e) => { failed ??= e; });
  }
  if (failed) throw failed;
}

/**
 * What a container's inspect shows of its volume mount: the volume's driver, and for a
 * plugin's volume the path its plugin mounted it at ('' while unmounted) instead of the
 * recorded source.
 */
export function volumeMountShown(roots: VolumeRoots, m: { name?: string; source: string }): { Source: string; Driver: string } {
  const v = m.name ? findVolume(roots, m.name) : undefined;
  return v && usesPlugin(v) ? { Source: v.mountpoint, Driver: v.driver } : { Source: m.source, Driver: 'local' };
}

/**
 * At `rm -v` / `run --rm`, after the container record is gone: remove its anonymous volumes
 * that no other container uses. Returns the names removed.
 */
export async function removeAnonymousVolumes(roots: VolumeRoots, mounts: VolumeMountRef[], usedBy: (name: string) => string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const m of mounts) {
    if (m.type !== 'volume' || !m.name) continue;
    const v = findVolume(roots, m.name);
    if (!v?.anonymous) continue;
    try {
      await removeVolume(roots, m.name, { usedBy });
      removed.push(m.name);
    } catch (e) {
      if (!(e instanceof VolumeInUseError) && !(e instanceof NotFoundError)) throw e;
    }
  }
  return removed;
}
