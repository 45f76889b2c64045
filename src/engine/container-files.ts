// File operations on a container's root file system: `cp` (both directions, tar streams),
// `export`, `diff` and user mounts (`mount`/`umount` with a mount count).
//
// Paths inside a container are resolved the way the container sees them: symlinks are
// followed but evaluated against the container's root (an absolute target restarts at the
// root, `..` never climbs above it), and a path under a volume or bind mount destination
// maps to that mount's host source. Nothing is ever resolved against the host's own tree.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Store } from '../storage/store';
import { readdirSorted } from '../storage/diff';
import { ImageRecord } from '../storage/images';
import { TarWriter, TarHeaderOptions, devNumbers, writeDirAsTar } from '../storage/tar/writer';
import { TarReader, TarEntry } from '../storage/tar/reader';
import { cleanEntryPath } from '../storage/tar/extract';
import { decompressedArchive } from '../storage/tar/decompress';
import { native, nativeAvailable } from '../util/native';
import { PierError, NotFoundError, errnoText } from '../util/errors';
import type { Lifecycle } from './lifecycle';
import type { ContainerRecord } from './container-store';
import { isMountPoint, mountPoints } from '../util/mountinfo';
import { containerDirs, mountCountFile, mountContainerRootfs, unmountRootfs, userMountCount } from './rootfs';
import { ownerToContainer, ownerToHost } from './userns';
export { userMountCount } from './rootfs';
import { resolveUser } from './spec';
import { rmFile } from '../util/rmtree';

// ---------------------------------------------------------------------------------------
// Views and path resolution

/** A host directory mounted at `destination` inside a view. */
export interface PathMount {
  destination: string;
  source: string;
}

/** A file system as one side of a copy sees it: a root with mounts over it. */
export interface FsView {
  root: string;
  mounts: PathMount[];
  /**
   * Paths inside the view where something is mounted (`/etc/hosts`, a volume...): never
   * removed or replaced by a copy; a file there is rewritten in place.
   */
  mountPoints?: Set<string>;
  /** How error messages name it: `container NAME`, `the host`. */
  label: string;
  /** The host's own file system. */
  host?: boolean;
}

/** The host's own file system (paths resolve as usual). */
export function hostView(): FsView {
  return { root: '/', mounts: [], label: 'the host', host: true };
}

const MAX_SYMLINKS = 255;
const RUNNING = ['running', 'paused', 'stopping'];

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '');
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch (e: any) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  }
}


/** The host path of a literal (already resolved) view path: the deepest mount wins. */
export function hostPathOf(view: FsView, comps: string[]): string {
  let best: PathMount | undefined;
  let bestLen = -1;
  for (const m of view.mounts) {
    const d = components(m.destination);
    if (d.length > bestLen && d.length <= comps.length && d.every((c, i) => c === comps[i])) {
      best = m;
      bestLen = d.length;
    }
  }
  if (best) return path.join(best.source, ...comps.slice(bestLen));
  // The root itself with a trailing slash: a running container's root is /proc/PID/root, a
  // magic link that must be entered, not lstat'ed.
  return comps.length ? path.join(view.root, ...comps) : view.root.endsWith('/') ? view.root : `${view.root}/`;
}

/** A path resolved inside a view. */
export interface ResolvedPath {
  /** Resolved path components inside the view (no symlinks left, except a final one when not followed). */
  comps: string[];
  /** Where it lives on the host. */
  host: string;
  /** lstat of `host`, null when it does not exist. */
  st: fs.Stats | null;
}

/**
 * Resolve `p` inside `view`: every symlink is followed within the view (never onto the
 * host), the last component only when `followFinal`. The result may not exist.
 */
export function resolveInView(view: FsView, p: string, followFinal = true): ResolvedPath {
  const pending = components(p);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') { resolved.pop(); continue; }
    const candidate = hostPathOf(view, [...resolved, part]);
    const st = lstatOrNull(candidate);
    if (st?.isSymbolicLink() && (pending.length > 0 || followFinal)) {
      if (++links > MAX_SYMLINKS) throw new PierError(`too many levels of symbolic links resolving ${p}`);
      const target = fs.readlinkSync(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      pending.unshift(...components(target));
      continue;
    }
    resolved.push(part);
  }
  const host = hostPathOf(view, resolved);
  return { comps: resolved, host, st: lstatOrNull(host) };
}

// ---------------------------------------------------------------------------------------
// Reading: a path of a view as a tar stream

const useXattrs = (() => {
  let ok: boolean | undefined;
  return () => (ok ??= nativeAvailable());
})();

/** xattrs worth carrying in an archive (overlay's bookkeeping and SELinux labels left out). */
export function archiveXattrs(abs: string): Record<string, Buffer> | undefined {
  if (!useXattrs()) return undefined;
  let names: string[];
  try { names = native().llistxattr(abs); } catch { return undefined; }
  const out: Record<string, Buffer> = {};
  for (const n of names.sort()) {
    if (n.startsWith('trusted.overlay.') || n.startsWith('user.overlay.') || n === 'security.selinux') continue;
    try {
      const v = native().lgetxattr(abs, n);
      if (v) out[n] = v;
    } catch { /* vanished or unreadable */ }
  }
  return Object.keys(out).length ? out : undefined;
}

/** Writes one filesystem entry; `links` turns repeated inodes into hard links. */
export async function addFsEntry(w: TarWriter, name: string, abs: string, st: fs.Stats, links: Map<string, string>,
  owner?: { uid: number; gid: number }, maxMtime?: number, o: { fileMode?: number; xattrs?: boolean } = {}): Promise<void> {
  const mtime = Math.floor(st.mtimeMs / 1000);
  const hdr: TarHeaderOptions = {
    mode: o.fileMode !== undefined && !st.isDirectory() && !st.isSymbolicLink() ? o.fileMode : st.mode & 0o7777,
    uid: owner?.uid ?? st.uid, gid: owner?.gid ?? st.gid, mtime: maxMtime !== undefined ? Math.min(mtime, maxMtime) : mtime,
  };
  const x = o.xattrs === false ? undefined : archiveXattrs(abs);
  if (x) hdr.xattrs = x;
  if (st.isDirectory()) return w.addDir(name, hdr);
  if (st.isSymbolicLink()) return w.addSymlink(name, fs.readlinkSync(abs), hdr);
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) return w.addHardlink(name, first, hdr);
    links.set(key, name);
  }
  if (st.isFile()) return w.addFile(name, { stream: fs.createReadStream(abs), size: st.size }, hdr);
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const { major, minor } = devNumbers(st.rdev);
    return st.isCharacterDevice() ? w.addChar(name, major, minor, hdr) : w.addBlock(name, major, minor, hdr);
  }
  if (st.isFIFO()) return w.addFifo(name, hdr);
  // sockets: not representable
}

export interface ViewTarOptions {
  /** Name of the top entry; '' writes a directory's contents without it. */
  topName: string;
  /** Owner written for every entry (podman chowns what leaves a container to the host user). */
  owner?: { uid: number; gid: number };
  /** Names directly under the source directory to leave out. */
  exclude?: string[];
}

/** The resolved path `src` of `view` as a tar stream (directories recursively, mounts honoured). */
export function viewTar(view: FsView, src: ResolvedPath, opts: ViewTarOptions): Readable {
  const w = new TarWriter();
  const links = new Map<string, string>();
  const walk = async (comps: string[], prefix: string, top: boolean): Promise<void> => {
    for (const name of readdirSorted(hostPathOf(view, comps))) {
      if (top && opts.exclude?.includes(name)) continue;
      const child = [...comps, name];
      const abs = hostPathOf(view, child);
      const st = lstatOrNull(abs);
      if (!st) continue;
      const entry = prefix + name;
      await addFsEntry(w, entry, abs, st, links, opts.owner);
      if (st.isDirectory()) await walk(child, `${entry}/`, false);
    }
  };
  (async () => {
    const st = src.st ?? fs.lstatSync(src.host);
    if (st.isDirectory()) {
      if (opts.topName) await addFsEntry(w, opts.topName, src.host, st, links, opts.owner);
      await walk(src.comps, opts.topName ? `${opts.topName}/` : '', true);
    } else {
      if (!opts.topName) throw new PierError('internal: a file needs an archive name');
      await addFsEntry(w, opts.topName, src.host, st, links, opts.owner);
    }
    await w.finish();
  })().catch((e) => w.destroy(e instanceof Error ? e : new Error(String(e))));
  return w.stream;
}

// ---------------------------------------------------------------------------------------
// Writing: a tar stream extracted into a directory of a view

export interface ExtractIntoOptions {
  /** Resolved components of the (existing) directory to extract into. */
  dir: string[];
  /** chown every entry to this owner (podman's --archive into a container); else the archive's ids. */
  owner?: { uid: number; gid: number };
  /** Replace directories with non-directories and vice versa. */
  overwrite?: boolean;
  /** For error messages: "copying to container" etc. */
  what?: string;
  /** Name entries in messages relative to `dir` (`/foo`), as podman does on the host side. */
  relativeNames?: boolean;
  /** When set, input that does not start with a tar entry fails with this message (and nothing is written). */
  notArchive?: string;
  /** Skip device nodes (podman never creates them on the host). */
  ignoreDevices?: boolean;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;

/** Write an entry's body to `fd`, run `then` on it, close it. */
async function writeEntry(e: TarEntry, fd: number, then?: () => void): Promise<void> {
  try {
    for await (const chunk of e.chunks()) {
      let off = 0;
      while (off < chunk.length) off += fs.writeSync(fd, chunk, off);
    }
    then?.();
  } finally {
    fs.closeSync(fd);
  }
}
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/**
 * How podman (buildah's copier) words the failed removal of the mount point `mp` an entry of
 * type `type` would replace: a directory's os.Remove, else os.RemoveAll's unlinkat, whose error
 * names the parent and the base joined by a slash (`//vol` for `/vol`).
 */
function busyRemoval(type: TarEntry['type'], mp: string, shown: string): string {
  if (type === 'dir') return `remove ${mp}: device or resource busy`;
  const slash = mp.lastIndexOf('/');
  const unlinkat = `unlinkat ${mp.slice(0, slash) || '/'}/${mp.slice(slash + 1)}: device or resource busy`;
  return type === 'file' ? `copier: put: error removing item to be overwritten ${shown}: ${unlinkat}` : unlinkat;
}

/**
 * Extract an archive into a directory of a view. Every entry's parent is resolved inside
 * the view (symlinks followed within it, never out of it); final components are never
 * followed: an existing symlink is replaced, files are created O_EXCL|O_NOFOLLOW.
 */
export async function extractIntoView(view: FsView, input: Readable, opts: ExtractIntoOptions): Promise<void> {
  const what = opts.what ?? 'copying';
  const fail = (msg: string) => new PierError(`${what}: ${msg}`);
  const isRoot = process.getuid?.() === 0;
  const deferred: { host: string; mode: number; mtime: number }[] = [];
  const chown = (p: string, uid: number, gid: number) => {
    try { fs.lchownSync(p, uid, gid); } catch (e: any) { if (isRoot || e.code !== 'EPERM') throw e; }
  };
  const owner = (e: TarEntry) => opts.owner ?? { uid: e.uid, gid: e.gid };

  /** Make sure the view directory `comps` exists; returns its resolved components. */
  const ensureDir = (comps: string[], e: TarEntry): string[] => {
    const r = resolveInView(view, '/' + comps.join('/'), true);
    if (r.st?.isDirectory()) return r.comps;
    if (r.st) {
      if (!opts.overwrite) throw fail(`creating ${JSON.stringify('/' + r.comps.join('/'))}: not a directory`);
      fs.rmSync(r.host, { force: true });
    } else if (r.comps.length) {
      ensureDir(r.comps.slice(0, -1), e);
    }
    fs.mkdirSync(r.host, { mode: 0o755 });
    fs.chmodSync(r.host, 0o755);
    const o = owner(e);
    chown(r.host, o.uid, o.gid);
    return r.comps;
  };

  /** A mount point of the view that is `p` or lies under it (podman's removal fails there). */
  const mountPointAt = (p: string): string | undefined => {
    for (const m of view.mountPoints ?? []) if (m === p || m.startsWith(p === '/' ? '/' : `${p}/`)) return m;
    return undefined;
  };

  const reader = new TarReader(await decompressedArchive(input));
  const entries = reader.entries();
  let first = true;
  try {
    for (;;) {
      let next: IteratorResult<TarEntry>;
      try {
        next = await entries.next();
      } catch (err) {
        if (first && opts.notArchive) throw new PierError(opts.notArchive);
        throw err;
      }
      if (next.done) {
        if (first && opts.notArchive) throw new PierError(opts.notArchive);
        break;
      }
      first = false;
      const e = next.value;
      const rel = cleanEntryPath(e.name);
      if (rel === '') continue; // the archive's root: the destination exists already
      if (opts.ignoreDevices && (e.type === 'char' || e.type === 'block')) continue;
      const relComps = rel.split('/');
      const parent = ensureDir([...opts.dir, ...relComps.slice(0, -1)], e);
      const name = relComps[relComps.length - 1];
      const viewPath = '/' + [...parent, name].join('/');
      const target = hostPathOf(view, [...parent, name]);
      const shownPath = opts.relativeNames ? `/${rel}` : viewPath;
      const shown = JSON.stringify(shownPath);
      let st = lstatOrNull(target);
      if (st && e.type === 'dir' && st.isSymbolicLink()) {
        // A symlink to a directory inside the view is as good as the directory.
        const r = resolveInView(view, viewPath, true);
        if (r.st?.isDirectory()) continue;
      }
      if (st) {
        const isDir = st.isDirectory();
        if (e.type === 'dir' && isDir) {
          deferred.push({ host: target, mode: e.mode, mtime: e.mtime });
          continue;
        }
        if (isDir !== (e.type === 'dir') && !opts.overwrite) {
          // podman's (buildah copier's) wording, with the failing system call as Go prints it.
          const cause = e.type === 'dir' ? `mkdir ${shownPath}: file exists`
            : e.type === 'file' ? `copier: put: error creating file at ${shown}: open ${shownPath}: file exists`
              : e.type === 'symlink' ? `symlink ${e.linkname} ${shownPath}: file exists`
                : e.type === 'hardlink' ? `link ${e.linkname} ${shownPath}: file exists` : 'file exists';
          throw fail(`copier: put: error creating ${shown}: ${cause}`);
        }
        // Never delete what is mounted (a volume, a running container's /etc/hosts) or what holds it:
        // podman's removal fails there, as the container's own `rm` would.
        const mp = mountPointAt(viewPath);
        if (mp) throw fail(`copier: put: error creating ${shown}: ${busyRemoval(e.type, mp, shown)}`);
        fs.rmSync(target, { recursive: true, force: true });
        st = null;
      }
      const o = owner(e);
      /** A failed system call creating the entry, worded as podman's (buildah copier's) error. */
      const creating = (err: unknown, call: string): PierError => {
        if (err instanceof PierError || !(err as NodeJS.ErrnoException)?.code) return err as PierError;
        return fail(`copier: put: error creating ${shown}: ${call ? `${call}: ` : ''}${errnoText(err)}`);
      };
      switch (e.type) {
        case 'dir':
          try { fs.mkdirSync(target, { mode: 0o700 }); } catch (err) { throw creating(err, `mkdir ${shownPath}`); }
          chown(target, o.uid, o.gid);
          deferred.push({ host: target, mode: e.mode, mtime: e.mtime });
          continue;
        case 'file': {
          let fd: number;
          try {
            fd = fs.openSync(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
          } catch (err) {
            throw creating(err, `copier: put: error opening file ${shown} for writing: open ${shownPath}`);
          }
          await writeEntry(e, fd, () => {
            try { fs.fchownSync(fd, o.uid, o.gid); } catch (err: any) { if (isRoot || err.code !== 'EPERM') throw err; }
            fs.fchmodSync(fd, e.mode & 0o7777);
          });
          break;
        }
        case 'symlink':
          try { fs.symlinkSync(e.linkname, target); } catch (err) { throw creating(err, `symlink ${e.linkname} ${shownPath}`); }
          chown(target, o.uid, o.gid);
          break;
        case 'hardlink': {
          const linkRel = cleanEntryPath(e.linkname, e.name);
          const lc = linkRel.split('/');
          const lp = resolveInView(view, '/' + [...opts.dir, ...lc.slice(0, -1)].join('/'), true);
          const src = hostPathOf(view, [...lp.comps, lc[lc.length - 1]]);
          const sst = lstatOrNull(src);
          if (!linkRel || !sst || sst.isDirectory()) throw fail(`creating ${shown}: hard link target ${JSON.stringify(e.linkname)} is not a file of the archive`);
          try { fs.linkSync(src, target); } catch (err) { throw creating(err, `link ${e.linkname} ${shownPath}`); }
          continue;
        }
        case 'char':
        case 'block':
        case 'fifo': {
          const kind = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO;
          try { native().mknod(target, kind | (e.mode & 0o777), e.devmajor, e.devminor); } catch (err) { throw creating(err, ''); }
          chown(target, o.uid, o.gid);
          fs.chmodSync(target, e.mode & 0o7777);
          break;
        }
      }
      for (const [k, v] of Object.entries(e.xattrs)) {
        if (k.startsWith('trusted.overlay.')) continue;
        try { native().lsetxattr(target, k, v); } catch { /* unsupported here: best effort, as podman */ }
      }
      try { fs.lutimesSync(target, e.mtime, e.mtime); } catch { /* e.g. a symlink on an odd fs */ }
    }
  } finally {
    await entries.return(undefined);
  }
  for (const d of deferred.reverse()) {
    if (!lstatOrNull(d.host)?.isDirectory()) continue;
    fs.chmodSync(d.host, d.mode & 0o7777);
    fs.utimesSync(d.host, d.mtime, d.mtime);
  }
}

// ---------------------------------------------------------------------------------------
// cp: argument parsing and docker's copy semantics

/** One side of `cp`: a container path, a host path, or '-' (a tar stream). */
export type CopyArg =
  | { kind: 'container'; container: string; path: string }
  | { kind: 'host'; path: string }
  | { kind: 'stream' };

/** podman's rule: '-' is a stream; `/...` and `.…` are host paths; `NAME:PATH` is a container path. */
export function parseCopyArg(arg: string): CopyArg {
  if (arg === '-') return { kind: 'stream' };
  if (arg.startsWith('/') || arg.startsWith('.')) return { kind: 'host', path: arg };
  const i = arg.indexOf(':');
  if (i < 0) return { kind: 'host', path: arg };
  return { kind: 'container', container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/** One side of a copy, opened: its view, the path as given, and the owner written files get. */
export interface CopyEndpoint {
  view: FsView;
  /** The path inside the view (host paths absolute). */
  path: string;
  /** The path as the user gave it (for messages). */
  given: string;
  /** What files written here are owned by (undefined: keep the archive's). */
  writeOwner?: { uid: number; gid: number };
  /** What files read from here are owned by in the archive (undefined: their own). */
  readOwner?: { uid: number; gid: number };
  /** Leave these names out when copying this side's `/` (podman: dev, proc, sys). */
  rootExcludes?: string[];
}

function notFound(ep: CopyEndpoint): PierError {
  return new NotFoundError(`"${ep.given}" could not be found on ${ep.view.label}: no such file or directory`);
}

/** The source of a copy, stat'ed: what it is and what its archive calls it. */
export interface CopySource {
  resolved: ResolvedPath;
  isDir: boolean;
  /** The top entry's name ('' = the directory's contents: `SRC/.` or `/`). */
  topName: string;
}

export function statSource(src: CopyEndpoint): CopySource {
  const r = resolveInView(src.view, src.path, true);
  if (!r.st) throw notFound(src);
  const isDir = r.st.isDirectory();
  const contentsOnly = isDir && (path.posix.basename(src.path) === '.' || r.comps.length === 0);
  return { resolved: r, isDir, topName: contentsOnly ? '' : r.comps[r.comps.length - 1] };
}

/**
 * podman copies nothing out of a container's /dev, /proc or /sys (they are excluded from every
 * read, and `/` is copied without them): a file there fails as podman's does, a directory
 * copies as nothing (true).
 */
function excludedSource(src: CopyEndpoint, s: CopySource): boolean {
  const first = s.resolved.comps[0];
  if (first === undefined || !src.rootExcludes?.includes(first)) return false;
  if (!s.isDir) throw new PierError('copying from container: copier: get: copied no items: no such file or directory');
  return true;
}

/** The source as a tar stream (for `cp SRC -`). */
export function sourceTar(src: CopyEndpoint, s: CopySource = statSource(src)): Readable {
  if (excludedSource(src, s)) {
    const w = new TarWriter();
    void w.finish().catch(() => undefined);
    return w.stream;
  }
  return viewTar(src.view, s.resolved, {
    topName: s.topName, owner: src.readOwner, exclude: s.resolved.comps.length === 0 ? src.rootExcludes : undefined,
  });
}

/** Copy SRC to DEST with docker's rules (file → dir, dir → new dir, `dir/.` → contents). */
export async function copyPath(src: CopyEndpoint, dst: CopyEndpoint, opts: { overwrite?: boolean; what?: string } = {}): Promise<void> {
  const s = statSource(src);
  if (dst.view.host) checkHostDestination(dst.path);
  const nothing = excludedSource(src, s);
  const d = resolveInView(dst.view, dst.path, true);
  let dir: string[];
  let topName = s.topName;
  if (d.st?.isDirectory()) {
    dir = d.comps;
  } else if (d.st) {
    if (s.isDir) throw new PierError('destination must be a directory when copying a directory');
    dir = d.comps.slice(0, -1);
    topName = d.comps[d.comps.length - 1];
  } else {
    if (dst.path.endsWith('/') || !d.comps.length) throw notFound(dst);
    const parent = resolveInView(dst.view, '/' + d.comps.slice(0, -1).join('/'), true);
    if (!parent.st?.isDirectory()) throw notFound(dst);
    const newName = d.comps[d.comps.length - 1];
    if (nothing) return;
    if (s.isDir && !s.topName) {
      // `SRC/.` into a new directory: create it, then copy the contents.
      fs.mkdirSync(d.host, { mode: s.resolved.st!.mode & 0o7777 });
      const o = dst.writeOwner;
      if (o) fs.lchownSync(d.host, o.uid, o.gid);
      dir = d.comps;
    } else {
      dir = parent.comps;
      topName = newName;
    }
  }
  if (nothing) return;
  const tar = viewTar(src.view, s.resolved, {
    topName, owner: src.readOwner, exclude: s.resolved.comps.length === 0 ? src.rootExcludes : undefined,
  });
  await extractIntoView(dst.view, tar, {
    dir, owner: dst.writeOwner, overwrite: opts.overwrite, what: opts.what, relativeNames: dst.view.host, ignoreDevices: dst.view.host,
  });
}

/**
 * podman's check of a host destination: what it names (following every link, as the kernel
 * does), or its parent when it does not exist, must be a directory or a regular file
 * (`/dev/stdout`, a pipe or a device is refused; `-` is how a tar goes to stdout).
 */
function checkHostDestination(p: string): void {
  const bare = p.replace(/\/\.?$/, '') || '/';
  let shown = p;
  let st: fs.Stats;
  try {
    st = fs.statSync(bare);
  } catch (e: any) {
    if (p.endsWith('/') || (e.code !== 'ENOENT' && e.code !== 'ENOTDIR')) return; // reported as not found
    shown = path.dirname(bare);
    try { st = fs.statSync(shown); } catch { return; }
  }
  if (!st.isDirectory() && !st.isFile()) throw new PierError(`invalid destination: ${JSON.stringify(shown)} must be a directory or a regular file`);
}

/** The message for a `cp - DEST` input that is not a (compressed) tar archive. */
export const NOT_AN_ARCHIVE = 'source must be a (compressed) tar archive when copying from stdin';

/** Whether a stream (plain or compressed) starts with a readable tar entry (podman's test for `cp -`). */
export async function isTarArchive(input: Readable): Promise<boolean> {
  const entries = new TarReader(await decompressedArchive(input)).entries();
  try {
    return !(await entries.next()).done;
  } catch {
    return false;
  } finally {
    await entries.return(undefined).catch(() => undefined);
    input.destroy();
  }
}

/**
 * `cp - DEST`: extract a tar stream (plain or compressed) into an existing directory. With
 * `notArchive` (stdin), input that does not start with a tar entry is refused with that
 * message before anything is written. Device nodes are left out on the host unless
 * `keepDevices` (a private staging directory).
 */
export async function copyFromStream(input: Readable, dst: CopyEndpoint,
  opts: { overwrite?: boolean; what?: string; notArchive?: string; keepDevices?: boolean } = {}): Promise<void> {
  const d = resolveInView(dst.view, dst.path, true);
  if (!d.st && dst.path.endsWith('/')) throw notFound(dst);
  if (!d.st?.isDirectory()) throw new PierError('destination must be a directory when copying from stdin');
  await extractIntoView(dst.view, input, {
    dir: d.comps, owner: dst.writeOwner, overwrite: opts.overwrite, what: opts.what, relativeNames: dst.view.host,
    ignoreDevices: dst.view.host && !opts.keepDevices, notArchive: opts.notArchive,
  });
}

// ---------------------------------------------------------------------------------------
// Containers: views, mounted rootfs, mount counts

function isRunning(c: ContainerRecord): boolean {
  return RUNNING.includes(c.state.status);
}

function setUserMountCount(store: Store, id: string, n: number): void {
  const f = mountCountFile(store, id);
  if (n <= 0) { rmFile(f); return; }
  fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
  fs.writeFileSync(`${f}.tmp`, String(n));
  fs.renameSync(`${f}.tmp`, f);
}

/** Whether the container's rootfs is mounted (vfs: always there). */
export function rootfsMounted(store: Store, id: string): boolean {
  return store.driver !== 'overlay' || isMountPoint(containerDirs(store, id).rootfs);
}

/** Mount points of process `pid`, as paths relative to its root; null when it is gone. */
export function processMountPoints(pid: number): Set<string> | null {
  const all = mountPoints(pid);
  if (!all) return null;
  // Mounts outside the process's root are listed with paths it cannot reach: skip them.
  return new Set(all.filter((p) => p.startsWith('/')).map((p) => '/' + components(p).join('/')));
}

/**
 * A running container's own view: its root as its processes see it (/proc/PID/root), so that
 * everything mounted in its mount namespace (tmpfs, volumes, binds, the engine's /etc files)
 * is where the container sees it. Resolution still walks it component by component and
 * never follows a symlink out of it. Null when the process is gone.
 */
function runningView(c: ContainerRecord): FsView | null {
  const pid = c.state.pid;
  if (!isRunning(c) || !(pid > 0)) return null;
  const root = `/proc/${pid}/root`;
  const mountPoints = processMountPoints(pid);
  if (!mountPoints) return null;
  try { if (!fs.statSync(`${root}/`).isDirectory()) return null; } catch { return null; }
  return { root, mounts: [], mountPoints, label: `container ${c.name}` };
}

/**
 * The container's view. Running: the root its processes see (all its mounts in place).
 * Otherwise: its rootfs with volumes and bind mounts over it (a tmpfs has no content then:
 * what is copied there lands in the rootfs, under the mount).
 */
export function containerView(store: Store, c: ContainerRecord, rootfs: string): FsView {
  const live = runningView(c);
  if (live) return live;
  const mounts: PathMount[] = [];
  for (const m of c.config.mounts ?? []) {
    if (m.type !== 'bind' && m.type !== 'volume') continue;
    let source = m.source;
    try { source = fs.realpathSync(m.source); } catch { continue; }
    const dest = '/' + components(m.destination).join('/');
    const i = mounts.findIndex((x) => x.destination === dest);
    if (i >= 0) mounts.splice(i, 1);
    mounts.push({ destination: dest, source });
  }
  return { root: rootfs, mounts, mountPoints: new Set(mounts.map((m) => m.destination)), label: `container ${c.name}` };
}

/**
 * Run `fn` with the container's rootfs mounted, holding the container lock. A mount made
 * for `fn` alone is released afterwards unless the container started using it.
 */
export async function withContainerRootfs<T>(lc: Lifecycle, nameOrId: string, fn: (c: ContainerRecord, rootfs: string) => Promise<T>): Promise<T> {
  const id = lc.containers.lookup(nameOrId).id;
  return lc.withLock(id, async () => {
    const c = lc.sync(lc.containers.lookup(id));
    const was = rootfsMounted(lc.store, id);
    const rootfs = mountContainerRootfs(lc.store, c);
    try {
      return await fn(c, rootfs);
    } finally {
      if (!was) {
        const cur = lc.containers.find(id);
        if (!cur || (!isRunning(lc.sync(cur)) && userMountCount(lc.store, id) === 0)) unmountRootfs(lc.store, id);
      }
    }
  });
}

/** `pier mount`: mount the rootfs and count one more user; returns the mount point. */
export async function mountContainer(lc: Lifecycle, nameOrId: string): Promise<{ id: string; mountpoint: string }> {
  const id = lc.containers.lookup(nameOrId).id;
  return lc.withLock(id, async () => {
    const c = lc.containers.lookup(id);
    const mountpoint = mountContainerRootfs(lc.store, c);
    setUserMountCount(lc.store, id, userMountCount(lc.store, id) + 1);
    return { id, mountpoint };
  });
}

/**
 * `pier umount`: one user fewer (all of them with `force`); the rootfs is unmounted when
 * none remains and the container is not running. Returns whether it was unmounted.
 */
export async function unmountContainer(lc: Lifecycle, nameOrId: string, opts: { force?: boolean } = {}): Promise<{ id: string; unmounted: boolean }> {
  const id = lc.containers.lookup(nameOrId).id;
  return lc.withLock(id, async () => {
    const c = lc.sync(lc.containers.lookup(id));
    const n = opts.force ? 0 : Math.max(0, userMountCount(lc.store, id) - 1);
    setUserMountCount(lc.store, id, n);
    if (n > 0 || isRunning(c)) return { id, unmounted: false };
    const was = lc.store.driver === 'overlay' && isMountPoint(containerDirs(lc.store, id).rootfs);
    unmountRootfs(lc.store, id);
    return { id, unmounted: was };
  });
}

export interface MountedContainer {
  id: string;
  names: string[];
  mountpoint: string;
}

/** Containers whose rootfs is mounted (by `pier mount` or because they run), newest first. */
export function mountedContainers(lc: Lifecycle): MountedContainer[] {
  const out: MountedContainer[] = [];
  for (const c0 of lc.containers.list()) {
    const c = lc.sync(c0);
    const d = containerDirs(lc.store, c.id);
    const mounted = lc.store.driver === 'overlay'
      ? isMountPoint(d.rootfs)
      : userMountCount(lc.store, c.id) > 0 || isRunning(c);
    if (mounted) out.push({ id: c.id, names: [c.name], mountpoint: d.rootfs });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// cp and export for containers

export interface ContainerCopyOptions {
  /** chown what lands in a container to its user (podman's --archive, default true). */
  archive?: boolean;
  overwrite?: boolean;
  stdin?: Readable;
  stdout?: NodeJS.WritableStream;
}

/** `normalized` with the meaningful tail of `given` kept: `/.` (contents) or `/` (must be a directory). */
function withTail(given: string, normalized: string): string {
  const base = normalized.replace(/\/+$/, '').replace(/\/\.$/, '') || '/';
  if (given === '.' || given.endsWith('/.')) return base === '/' ? '/.' : `${base}/.`;
  if (given.endsWith('/') && base !== '/') return `${base}/`;
  return base;
}

/**
 * A container path as given on the command line, made absolute: a relative one is relative
 * to the container's working directory (podman's rule); `/.` and `/` tails are kept.
 */
export function containerPath(c: ContainerRecord, given: string): string {
  const abs = given.startsWith('/') ? given : path.posix.join('/', c.config.workdir || '/', given);
  return withTail(given, '/' + components(abs).join('/'));
}

/**
 * podman's argument checks for `cp SRC DEST`: both paths given and at least one side a
 * container (`-` counts as a host path here: `cp - -` names no container).
 */
export function checkCopyArgs(srcArg: string, dstArg: string): void {
  const s = parseCopyArg(srcArg);
  const d = parseCopyArg(dstArg);
  const emptyPath = (a: CopyArg, raw: string) => raw === '' || (a.kind === 'container' && a.path === '');
  if (emptyPath(s, srcArg) || emptyPath(d, dstArg)) {
    throw new PierError(`invalid arguments ${JSON.stringify(srcArg)}, ${JSON.stringify(dstArg)}: you must specify paths`);
  }
  if (s.kind !== 'container' && d.kind !== 'container') throw new PierError('name or ID cannot be empty');
  if ((s.kind === 'container' && !s.container) || (d.kind === 'container' && !d.container)) throw new PierError('name or ID cannot be empty');
}

/** The process's own ids: what files copied out of a container belong to. */
function hostOwner(): { uid: number; gid: number } {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/** `pier cp SRC DEST`: container ↔ host, container ↔ container, or a tar stream on either side. */
export async function copyContainerFiles(lc: Lifecycle, srcArg: string, dstArg: string, opts: ContainerCopyOptions = {}): Promise<void> {
  const src = parseCopyArg(srcArg);
  const dst = parseCopyArg(dstArg);
  checkCopyArgs(srcArg, dstArg);
  // podman checks that each named container exists before anything else.
  for (const a of [src, dst]) {
    if (a.kind === 'container' && !lc.containers.find(a.container)) throw new NotFoundError(`container ${JSON.stringify(a.container)} does not exist`);
  }
  const what = dst.kind === 'container' ? 'copying to container' : 'copying to host';

  const hostEndpoint = (a: { path: string }, write: boolean): CopyEndpoint => ({
    view: hostView(), path: withTail(a.path, path.resolve(a.path)), given: a.path, ...(write ? { writeOwner: hostOwner() } : {}),
  });
  // Open the container side(s) with their rootfs mounted, then copy.
  const withEndpoint = async <T>(a: CopyArg, write: boolean, fn: (ep: CopyEndpoint | null) => Promise<T>): Promise<T> => {
    if (a.kind === 'stream') return fn(null);
    if (a.kind === 'host') return fn(hostEndpoint(a, write));
    return withContainerRootfs(lc, a.container, async (c, rootfs) => {
      const view = containerView(lc.store, c, rootfs);
      const ep: CopyEndpoint = { view, path: containerPath(c, a.path), given: a.path, rootExcludes: ['dev', 'proc', 'sys'] };
      if (write) {
        if (opts.archive !== false) {
          const u = resolveUser(rootfs, c.config.user || '0');
          ep.writeOwner = hostIds(c, u);
        }
      } else {
        ep.readOwner = hostOwner();
      }
      return fn(ep);
    });
  };

  if (src.kind === 'stream') {
    const input = opts.stdin ?? process.stdin;
    await withEndpoint(dst, true, (ep) => copyFromStream(input, ep!, { overwrite: opts.overwrite, what, notArchive: NOT_AN_ARCHIVE }));
    return;
  }
  if (dst.kind === 'stream') {
    const out = opts.stdout ?? process.stdout;
    await withEndpoint(src, false, async (ep) => {
      const s = statSource(ep!);
      const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
      await pipeline(sourceTar(ep!, s), out as NodeJS.WritableStream, { end: out !== process.stdout });
    });
    return;
  }
  // Same container on both sides: open it once (its lock is not reentrant).
  if (src.kind === 'container' && dst.kind === 'container' &&
    lc.containers.lookup(src.container).id === lc.containers.lookup(dst.container).id) {
    await withEndpoint(src, false, async (s) => {
      const d: CopyEndpoint = { ...s!, path: containerPath(lc.containers.lookup(dst.container), dst.path), given: dst.path, readOwner: undefined };
      if (opts.archive !== false) {
        const c = lc.containers.lookup(src.container);
        const u = resolveUser(s!.view.root, c.config.user || '0');
        d.writeOwner = hostIds(c, u);
      }
      await copyPath(s!, d, { overwrite: opts.overwrite, what });
    });
    return;
  }
  // Two containers: take their locks in id order so that opposite copies cannot deadlock.
  const dstFirst = src.kind === 'container' && dst.kind === 'container' &&
    lc.containers.lookup(dst.container).id < lc.containers.lookup(src.container).id;
  const copy = (s: CopyEndpoint | null, d: CopyEndpoint | null) => copyPath(s!, d!, { overwrite: opts.overwrite, what });
  if (dstFirst) await withEndpoint(dst, true, (d) => withEndpoint(src, false, (s) => copy(s, d)));
  else await withEndpoint(src, false, (s) => withEndpoint(dst, true, (d) => copy(s, d)));
}

/** The host's IDs of the container's `u` (as its user namespace maps them, if it has one). */
function hostIds(c: ContainerRecord, u: { uid: number; gid: number }): { uid: number; gid: number } {
  return c.config.idMappings ? ownerToHost(c.config.idMappings, u.uid, u.gid) : { uid: u.uid, gid: u.gid };
}

/**
 * The owners a container's files have in an archive of them (export, commit): the container's
 * view, so that its root's files stay root's in a user namespace of its own.
 */
export function containerOwners(c: ContainerRecord): ((uid: number, gid: number) => { uid: number; gid: number }) | undefined {
  const m = c.config.idMappings;
  return m ? (uid, gid) => ownerToContainer(m, uid, gid) : undefined;
}

/** `pier export`: the container's whole file system (merged view) as a tar stream into `out`. */
export async function exportContainer(lc: Lifecycle, nameOrId: string, out: NodeJS.WritableStream, opts: { end?: boolean } = {}): Promise<void> {
  await withContainerRootfs(lc, nameOrId, async (c, rootfs) => {
    const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
    await pipeline(writeDirAsTar(rootfs, { xattrs: (abs) => archiveXattrs(abs), mapOwner: containerOwners(c) }), out, { end: opts.end ?? true });
  });
}

// ---------------------------------------------------------------------------------------
// diff

export type ChangeKind = 'A' | 'C' | 'D';

export interface FsChange {
  path: string;
  kind: ChangeKind;
}

/** Paths the engine itself creates in every container: never reported by diff (as podman). */
export const ENGINE_PATHS = new Set([
  '/dev', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/run', '/run/notify', '/run/.containerenv',
  '/run/secrets', '/sys', '/etc/mtab',
]);

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

export function isOpaqueDir(abs: string): boolean {
  if (!useXattrs()) return false;
  for (const n of OPAQUE_XATTRS) {
    try {
      const v = native().lgetxattr(abs, n);
      if (v && v.toString() === 'y') return true;
    } catch { /* not supported here */ }
  }
  return false;
}

export function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function sortChanges(changes: FsChange[]): FsChange[] {
  return changes.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/**
 * Changes recorded in an overlay upper dir over `lowers` (topmost first): whiteouts and
 * opaque directories hiding a lower one are deletions, entries missing from every lower
 * are additions, others changes (directories only when their metadata differs). The
 * parent of an addition or deletion counts as changed.
 */
export function overlayChanges(upper: string, lowers: string[]): FsChange[] {
  const out: FsChange[] = [];
  const changedDirs = new Set<string>();
  const record = (p: string, kind: ChangeKind, isDir: boolean) => {
    if (kind !== 'C') {
      const parent = path.posix.dirname(p);
      if (parent !== '/' && !changedDirs.has(parent)) {
        out.push({ path: parent, kind: 'C' });
        changedDirs.add(parent);
      }
    }
    out.push({ path: p, kind });
    if (isDir) changedDirs.add(p);
  };
  // lowerDirs[i]: this directory in lower i when it is a real directory there.
  const walk = (abs: string, rel: string, lowerDirs: (string | null)[]) => {
    for (const name of readdirSorted(abs)) {
      const childAbs = path.join(abs, name);
      const p = `${rel}/${name}`;
      const st = lstatOrNull(childAbs);
      if (!st) continue;
      if (isWhiteout(st)) { record(p, 'D', false); continue; }
      const lowerSt = lowerDirs.map((d) => (d ? lstatOrNull(path.join(d, name)) : null));
      const inLower = lowerSt.find((x) => x !== null) ?? null;
      if (st.isDirectory()) {
        if (inLower && isOpaqueDir(childAbs)) record(p, 'D', true);
        else if (!inLower) record(p, 'A', true);
        else if (!(inLower.isDirectory() && inLower.size === st.size && inLower.mode === st.mode && inLower.mtimeMs === st.mtimeMs)) record(p, 'C', true);
        walk(childAbs, p, lowerDirs.map((d, i) => (d && lowerSt[i]?.isDirectory() ? path.join(d, name) : null)));
        continue;
      }
      record(p, inLower ? 'C' : 'A', false);
    }
  };
  walk(upper, '', lowers);
  return out;
}

function metaChanged(a: fs.Stats, b: fs.Stats, aAbs: string, bAbs: string): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (a.isDirectory()) return false;
  if (a.mtimeMs !== b.mtimeMs || a.size !== b.size) return true;
  return a.isSymbolicLink() && fs.readlinkSync(aAbs) !== fs.readlinkSync(bAbs);
}

/**
 * Changes between two full trees (vfs): new entries are additions (with everything under
 * them), vanished ones deletions (the top one only), entries whose metadata differ
 * changes; a directory holding changes counts as changed.
 */
export function treeChanges(newRoot: string, oldRoot: string | null): FsChange[] {
  const out: FsChange[] = [];
  const walk = (nAbs: string, oAbs: string | null, rel: string) => {
    const names = readdirSorted(nAbs);
    const onames = oAbs ? readdirSorted(oAbs) : [];
    const oset = new Set(onames);
    for (const name of names) {
      const p = `${rel}/${name}`;
      const abs = path.join(nAbs, name);
      const st = lstatOrNull(abs);
      if (!st) continue;
      const oldAbs = oAbs && oset.has(name) ? path.join(oAbs, name) : null;
      const ost = oldAbs ? lstatOrNull(oldAbs) : null;
      const mark = out.length;
      let recorded = true;
      if (!ost) out.push({ path: p, kind: 'A' });
      else if (metaChanged(st, ost, abs, oldAbs!)) out.push({ path: p, kind: 'C' });
      else recorded = false;
      if (st.isDirectory()) {
        walk(abs, ost?.isDirectory() ? oldAbs : null, p);
        if (!recorded && out.length > mark) out.splice(mark, 0, { path: p, kind: 'C' });
      }
    }
    const nset = new Set(names);
    for (const name of onames) if (!nset.has(name)) out.push({ path: `${rel}/${name}`, kind: 'D' });
  };
  walk(newRoot, oldRoot, '');
  return out;
}

/** The container's changes to its image (sorted; the engine's own mount points left out). */
export function containerChanges(store: Store, c: ContainerRecord): FsChange[] {
  const d = containerDirs(store, c.id);
  const top = c.config.topLayer;
  const changes = store.driver === 'overlay'
    ? overlayChanges(d.diff, store.layers.chain(top).reverse().map((l) => store.layers.diffDir(l.id)))
    : treeChanges(d.diff, top ? store.layers.diffDir(top) : null);
  return sortChanges(changes.filter((x) => !ENGINE_PATHS.has(x.path)));
}

/** An image's changes to its parent: its top layer's change set (sorted). */
export function imageChanges(store: Store, img: ImageRecord): FsChange[] {
  if (!img.topLayer) return [];
  const layer = store.layers.get(img.topLayer);
  if (!layer) throw new PierError(`layer ${img.topLayer} not known`);
  const changes = store.driver === 'overlay'
    ? overlayChanges(store.layers.diffDir(layer.id), store.layers.chain(layer.parent).reverse().map((l) => store.layers.diffDir(l.id)))
    : treeChanges(store.layers.diffDir(layer.id), layer.parent ? store.layers.diffDir(layer.parent) : null);
  return sortChanges(changes.filter((x) => !ENGINE_PATHS.has(x.path)));
}

// ---------------------------------------------------------------------------------------
// stat (the Docker API's HEAD /containers/{id}/archive)

/** What a path in a container is: name, size, Go os.FileMode bits, mtime, symlink target. */
export interface ContainerPathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.FileMode for an lstat result (type bits above the permission bits). */
export function goFileMode(st: fs.Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= 1 << 23;
  if (st.mode & 0o2000) m |= 1 << 22;
  if (st.mode & 0o1000) m |= 1 << 20;
  if (st.isDirectory()) m |= 2 ** 31;
  else if (st.isSymbolicLink()) m |= 1 << 27;
  else if (st.isFIFO()) m |= 1 << 25;
  else if (st.isSocket()) m |= 1 << 24;
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21);
  else if (st.isBlockDevice()) m |= 1 << 26;
  return m >>> 0;
}

/** Stats `p` inside a container (the final symlink not followed). NotFoundError when missing. */
export async function statContainerPath(lc: Lifecycle, nameOrId: string, p: string): Promise<ContainerPathStat> {
  return withContainerRootfs(lc, nameOrId, async (c, rootfs) => {
    const view = containerView(lc.store, c, rootfs);
    const abs = containerPath(c, p);
    const r = resolveInView(view, abs, false);
    if (!r.st) throw new NotFoundError(`Could not find the file ${p} in container ${c.name}`);
    let linkTarget = '';
    if (r.st.isSymbolicLink()) {
      const t = resolveInView(view, abs, true);
      linkTarget = '/' + t.comps.join('/');
    }
    return {
      name: r.comps.length ? r.comps[r.comps.length - 1] : '/', size: r.st.size, mode: goFileMode(r.st),
      mtime: r.st.mtime.toISOString(), linkTarget,
    };
  });
}
