// A container's root file system: a writable layer over its image's layers (overlay), or a
// private copy of the image's tree (vfs). Mounted at start, unmounted at cleanup.
import * as fs from 'node:fs';
import { isMountPoint } from '../util/mountinfo';
import * as path from 'node:path';
import { Store } from '../storage/store';
import { applyRootPerms } from '../storage/layers';
import { native } from '../util/native';
import { overlayUserxattr } from '../storage/overlay-xattr';
import { rmTree } from '../util/rmtree';
import { PierError } from '../util/errors';
import { idMapText, mappedRoot as mappedRootOf, ownerToHost as ownerToHostOf, usernsFd } from './userns';
import { copyTree } from '../util/copy-tree';
import { inRootlessUserns } from '../config/paths';
import type { ContainerRecord } from './container-store';
import type { IdMappings } from './userns';

export interface ContainerDirs {
  /** Persistent per-container dir: the writable layer and userdata. */
  base: string;
  /** Bundle dir: config.json, and files conmon keeps with the container. */
  userdata: string;
  /** overlay upper dir / vfs tree. */
  diff: string;
  work: string;
  /** Where the rootfs is mounted (overlay) or lives (vfs). */
  rootfs: string;
  /** Per-boot runtime state: hosts, resolv.conf, exit files, attach sockets, logs. */
  run: string;
}

const dirsMemo = new WeakMap<Store, Map<string, ContainerDirs>>();

export function containerDirs(store: Store, id: string): ContainerDirs {
  // Remembered per store and id, built with one normalizing join per root and plain names
  // appended: a command asks for these often, and path.join's character loop would otherwise
  // run hot enough for V8 to spend ~8 ms optimizing it on a second thread.
  let memo = dirsMemo.get(store);
  if (!memo) dirsMemo.set(store, (memo = new Map()));
  let dirs = memo.get(id);
  if (!dirs) memo.set(id, (dirs = Object.freeze(buildDirs(store, id))));
  return dirs;
}

function buildDirs(store: Store, id: string): ContainerDirs {
  const base = path.join(store.graphRoot, 'containers', id);
  const overlay = store.driver === 'overlay';
  return {
    base,
    userdata: `${base}/userdata`,
    diff: `${base}/${overlay ? 'diff' : 'rootfs'}`,
    work: `${base}/work`,
    rootfs: `${base}/${overlay ? 'merged' : 'rootfs'}`,
    run: path.join(store.runRoot, 'containers', id),
  };
}

/**
 * Create the container's writable layer (and, for vfs, its private copy of the image). With a
 * user namespace, as podman: the directories on the way to the rootfs and the engine's files
 * are searchable (0711) by the container's root, its userdata and run dirs owned by it.
 */
export function createContainerStorage(store: Store, id: string, topLayer: string | null, idMappings?: IdMappings): ContainerDirs {
  const d = containerDirs(store, id);
  fs.mkdirSync(d.userdata, { recursive: true, mode: 0o700 });
  fs.mkdirSync(d.run, { recursive: true, mode: 0o700 });
  const root = idMappings ? mappedRootOf(idMappings) : undefined;
  if (root) {
    for (const dir of [store.graphRoot, path.dirname(d.base), d.base, store.runRoot, path.dirname(d.run)]) fs.chmodSync(dir, fs.statSync(dir).mode & 0o7777 | 0o711);
    for (const dir of [d.userdata, d.run]) fs.chownSync(dir, root.uid, root.gid);
  }
  if (store.driver === 'overlay') {
    for (const p of [d.diff, d.work, d.rootfs]) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
    // The container's / shows its writable layer's root: the image's mode and owner (0555 for
    // most), the owner as the container's namespace maps it.
    const perms = store.layers.rootPerms(topLayer);
    applyRootPerms(d.diff, root ? { ...perms, ...ownerToHostOf(idMappings!, perms.uid, perms.gid) } : perms);
  } else if (topLayer) {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync('cp', ['-a', '--reflink=auto', store.layers.diffDir(topLayer), d.diff]);
    if (r.status !== 0) throw new PierError(`copying image tree: ${r.stderr.toString().trim()}`);
  } else {
    fs.mkdirSync(d.diff, { recursive: true, mode: 0o755 });
    applyRootPerms(d.diff, store.layers.rootPerms(null));
  }
  return d;
}

let volatileOk: boolean | undefined;
/** overlayfs takes `volatile` since Linux 5.10. */
function volatileSupported(): boolean {
  if (volatileOk === undefined) {
    const [maj, min] = require('node:os').release().split('.').map(Number);
    volatileOk = maj > 5 || (maj === 5 && min >= 10);
  }
  return volatileOk;
}

/**
 * The root file system of a container (idempotent): its image's layers mounted, or for
 * --rootfs the directory given, used in place; with `:O` that directory is the lower layer of
 * an overlay whose changes stay in the container's own layer (as podman's).
 */
export function mountContainerRootfs(store: Store, c: Pick<ContainerRecord, 'id'> & { config: Pick<ContainerRecord['config'], 'topLayer' | 'create' | 'idMappings'> },
  opts: { volatile?: boolean } = {}): string {
  const o = c.config.create;
  if (!o.rootfs) return mountRootfs(store, c.id, c.config.topLayer, { ...opts, idMappings: c.config.idMappings });
  if (!o.rootfsOverlay) return o.image;
  if (store.driver !== 'overlay') throw new PierError(`--rootfs ${o.image}:O needs the overlay storage driver`);
  return mountRootfs(store, c.id, null, { ...opts, lowerDirs: [o.image] });
}

/**
 * Mount the container's rootfs (idempotent); returns its path. With `idMappings` each image
 * layer is a lower layer through an idmapped mount (its files unchanged on disk, seen owned by
 * the IDs the container's namespace maps them to), or rootless a copy of it with its owners
 * mapped (mappedLayerCopy); the writable layer keeps host IDs.
 */
export function mountRootfs(store: Store, id: string, topLayer: string | null, opts: { volatile?: boolean; lowerDirs?: string[]; idMappings?: IdMappings } = {}): string {
  const d = containerDirs(store, id);
  if (store.driver !== 'overlay') return d.rootfs;
  if (isMountPoint(d.rootfs)) return d.rootfs;
  const overlayDir = store.layers.driverDir;
  let lowers = opts.lowerDirs ?? store.layers.chain(topLayer).reverse().map((l) => `l/${l.link}`);
  if (!lowers.length) {
    const empty = path.join(overlayDir, 'empty');
    fs.mkdirSync(empty, { recursive: true });
    lowers = ['empty'];
  }
  if (opts.idMappings && inRootlessUserns()) {
    // Idmapped mounts need privilege over the layers' file system, which a user namespace lacks.
    const chain = store.layers.chain(topLayer).reverse();
    return mountOverlay(d, overlayDir, chain.length ? chain.map((l) => mappedLayerCopy(overlayDir, l.id, opts.idMappings!)) : lowers, opts.volatile);
  }
  if (opts.idMappings) {
    const mapped = idmapLowers(d, lowers.map((l) => path.join(overlayDir, l)), opts.idMappings);
    try {
      return mountOverlay(d, mapped.dir, mapped.names, opts.volatile);
    } finally {
      mapped.release();
    }
  }
  return mountOverlay(d, overlayDir, lowers, opts.volatile);
}

/**
 * Rootless (as containers/storage does there): a copy of layer `id` with its files' owners
 * mapped as `m` maps them, made once per layer and mappings and kept in the layer's own
 * directory (removed with it). Returns its path relative to `overlayDir`.
 */
function mappedLayerCopy(overlayDir: string, id: string, m: IdMappings): string {
  // crypto is required here, not imported: every container start loads this module (bundle-load.test.ts).
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  const key = createHash('sha256').update(idMapText(m.uidMap)).update('/').update(idMapText(m.gidMap)).digest('hex').slice(0, 12);
  const rel = path.join(id, `mapped-${key}`);
  const dest = path.join(overlayDir, rel);
  if (fs.existsSync(dest)) return rel;
  const tmp = `${dest}.tmp-${process.pid}`;
  rmTree(tmp);
  try {
    fs.mkdirSync(tmp, { mode: 0o700 });
    const diff = path.join(overlayDir, id, 'diff');
    copyTree(diff, tmp, (uid, gid) => ownerToHostOf(m, uid, gid));
    const st = fs.statSync(diff);
    const root = ownerToHostOf(m, st.uid, st.gid);
    fs.chownSync(tmp, root.uid, root.gid);
    fs.chmodSync(tmp, st.mode & 0o7777);
    fs.renameSync(tmp, dest);
  } catch (e: any) {
    rmTree(tmp);
    // Another pier made it meanwhile.
    if (fs.existsSync(dest)) return rel;
    throw new PierError(`copying layer ${id} with the container's ID mappings: ${e.message}`);
  }
  return rel;
}

/**
 * Each of `lowers` bound idmapped at `<run>/idmap/N`; release() unmounts and removes them
 * (the overlay mounted over them keeps its own references).
 */
function idmapLowers(d: ContainerDirs, lowers: string[], m: IdMappings): { dir: string; names: string[]; release: () => void } {
  const dir = path.join(d.run, 'idmap');
  const names: string[] = [];
  const release = () => {
    for (const n of names) {
      try { native().umount2(path.join(dir, n), native().constants.MNT_DETACH); } catch { /* not mounted */ }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  release();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const fd = usernsFd(m);
  try {
    lowers.forEach((lower, i) => {
      const n = String(i);
      fs.mkdirSync(path.join(dir, n));
      native().idmapMount(lower, path.join(dir, n), fd);
      names.push(n);
    });
  } catch (e: any) {
    release();
    throw new PierError(`mounting the image's layers idmapped: ${e.message}`);
  } finally {
    fs.closeSync(fd);
  }
  return { dir, names, release };
}

/** The overlay of `lowers` (relative to `overlayDir`) and the container's writable layer at its rootfs. */
function mountOverlay(d: ContainerDirs, overlayDir: string, lowers: string[], volatile?: boolean): string {
  // `volatile` (as podman uses for --rm containers): no syncs of the upper layer, nor on unmount.
  const data = `lowerdir=${lowers.join(':')},upperdir=${d.diff},workdir=${d.work}${volatile && volatileSupported() ? ',volatile' : ''}${overlayUserxattr()}`;
  if (data.length > 4000) throw new PierError(`too many image layers (${lowers.length}) to mount`);
  // Relative lower dirs keep the option string short; the kernel resolves them from our cwd.
  const cwd = process.cwd();
  process.chdir(overlayDir);
  try {
    native().mount('overlay', d.rootfs, 'overlay', 0, data);
  } catch (e: any) {
    throw new PierError(`mounting container rootfs: ${e.message}`);
  } finally {
    process.chdir(cwd);
  }
  return d.rootfs;
}

export function unmountRootfs(store: Store, id: string): void {
  const d = containerDirs(store, id);
  if (store.driver !== 'overlay') return;
  for (let i = 0; i < 10 && isMountPoint(d.rootfs); i++) {
    try {
      native().umount2(d.rootfs, 0);
    } catch (e: any) {
      if (e.code === 'EBUSY') native().umount2(d.rootfs, native().constants.MNT_DETACH);
      else if (e.code !== 'EINVAL') throw new PierError(`unmounting container rootfs: ${e.message}`);
    }
  }
}

/**
 * The container's own /dev/shm on the host (podman's userdata/shm): a tmpfs mounted while the
 * container runs and bound at its /dev/shm, so that containers joining its IPC namespace
 * (--ipc container:ID, a pod's members) bind the same one.
 */
export function shmDir(store: Store, id: string): string {
  return `${containerDirs(store, id).userdata}/shm`;
}

/**
 * Mount the container's shm tmpfs of `sizeBytes` (a stale one is replaced); returns its path, or
 * undefined where this process may not mount (the container then gets a tmpfs of its own).
 */
export function mountShm(store: Store, id: string, sizeBytes: number): string | undefined {
  const dir = shmDir(store, id);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  unmountShm(store, id);
  const c = native().constants;
  try {
    native().mount('shm', dir, 'tmpfs', c.MS_NOSUID | c.MS_NODEV | c.MS_NOEXEC, `mode=1777,size=${sizeBytes}`);
  } catch (e: any) {
    if (e.code === 'EPERM') return undefined;
    throw new PierError(`mounting shm tmpfs on ${dir}: ${e.message}`);
  }
  return dir;
}

/** Unmount the container's shm tmpfs, if mounted (a container joined to it keeps its own bind). */
export function unmountShm(store: Store, id: string): void {
  const dir = shmDir(store, id);
  for (let i = 0; i < 10; i++) {
    try {
      native().umount2(dir, 0);
    } catch (e: any) {
      if (e.code === 'EINVAL' || e.code === 'ENOENT' || e.code === 'EPERM') return;
      if (e.code !== 'EBUSY') throw new PierError(`unmounting shm tmpfs ${dir}: ${e.message}`);
      native().umount2(dir, native().constants.MNT_DETACH);
    }
  }
}

/** Remove all of a container's storage (after unmounting). */
export function removeContainerStorage(store: Store, id: string): void {
  unmountShm(store, id);
  unmountRootfs(store, id);
  const d = containerDirs(store, id);
  rmTree(d.base);
  rmTree(d.run);
}

/** Where `pier mount` counts its outstanding mounts of the container. */
export function mountCountFile(store: Store, id: string): string {
  return path.join(containerDirs(store, id).run, 'mount-count');
}

/** How many `pier mount`s of the container are outstanding (0 when none). */
export function userMountCount(store: Store, id: string): number {
  try {
    const n = parseInt(fs.readFileSync(mountCountFile(store, id), 'utf8'), 10);
    return Number.isFinite(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}
