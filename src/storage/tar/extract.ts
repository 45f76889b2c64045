/**
 * Hardened layer extraction: applies an (uncompressed) OCI layer tar to a directory.
 *
 * Safety: every entry path is cleaned lexically and refused if it escapes the layer;
 * parent components are checked with lstat and never followed when they are symlinks
 * (a symlink planted by this layer is refused; one left by a lower layer in vfs mode is
 * replaced by a directory, as overlayfs would shadow it); files are opened O_NOFOLLOW|O_EXCL;
 * hardlinks may only point at files this layer already wrote.
 *
 * Whiteouts: in 'overlay' mode `.wh.NAME` becomes a 0:0 char device and `.wh..wh..opq`
 * the xattr trusted.overlay.opaque=y; in 'vfs' mode (layer applied on a copy of its
 * parent) they delete NAME, or everything in the dir that this layer did not write.
 *
 * On error the directory is left half-written: the caller removes it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { PierError } from '../../util/errors';
import { native } from '../../util/native';
import { overlayOpaqueXattr } from '../overlay-xattr';
import { TarEntry, TarReader } from './reader';

export interface ExtractOptions {
  /** How whiteouts are represented: overlayfs markers, or applied deletions. */
  mode: 'overlay' | 'vfs';
  /** Create char/block device nodes (default: only when running as root). */
  allowDevices?: boolean;
}

export interface ExtractResult {
  /** Uncompressed tar bytes consumed. */
  size: number;
}

/** An entry refused for safety reasons (or one that cannot be applied). */
export class UnsafeTarEntryError extends PierError {
  constructor(readonly entry: string, reason: string) {
    super(`refusing layer entry ${JSON.stringify(entry)}: ${reason}`);
    this.name = 'UnsafeTarEntryError';
  }
}

const WH_PREFIX = '.wh.';
const WH_META_PREFIX = '.wh..wh.';
const WH_OPAQUE = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** Flush file data when this many bytes are buffered. */
const WRITE_BATCH = 1024 * 1024;
/** Batches at least this big are written asynchronously (thread pool). */
const ASYNC_WRITE_MIN = 256 * 1024;
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
const O_CLOEXEC = 0o2000000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/**
 * Cleans a tar path lexically: strips leading '/' and './', resolves '.' and '..'.
 * Returns '' for the root; throws when the path would leave the root.
 */
export function cleanEntryPath(name: string, entry = name): string {
  if (name.includes('\0')) throw new UnsafeTarEntryError(entry, 'NUL byte in path');
  const out: string[] = [];
  for (const comp of name.split('/')) {
    if (comp === '' || comp === '.') continue;
    if (comp === '..') {
      if (!out.length) throw new UnsafeTarEntryError(entry, 'path escapes the layer');
      out.pop();
    } else out.push(comp);
  }
  return out.join('/');
}

interface DeferredDir {
  mode: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** Sets a path's times (never following a final symlink) with nanosecond precision. */
function setTimes(p: string, atimeNs: bigint, mtimeNs: bigint): void {
  const split = (ns: bigint): [number, number] => {
    let sec = ns / 1_000_000_000n;
    let nsec = ns % 1_000_000_000n;
    if (nsec < 0n) {
      nsec += 1_000_000_000n;
      sec -= 1n;
    }
    return [Number(sec), Number(nsec)];
  };
  native().lutimens(p, ...split(atimeNs), ...split(mtimeNs));
}

/** Extracts a layer tar stream into destDir (which must exist). */
export async function extractLayer(stream: Readable, destDir: string, opts: ExtractOptions): Promise<ExtractResult> {
  const ex = new Extractor(fs.realpathSync(destDir), opts);
  const reader = new TarReader(stream);
  for await (const entry of reader.entries()) await ex.apply(entry);
  ex.finish();
  return { size: reader.bytesRead };
}

class Extractor {
  /** Paths (relative) this layer created, incl. implicit parents. */
  private readonly written = new Set<string>();
  /** Paths (relative) verified to be real directories; kept coherent with our own changes. */
  private readonly dirs = new Set<string>(['']);
  /** Directory metadata applied at the end, after their children are in place. */
  private readonly deferred = new Map<string, DeferredDir>();
  private readonly isRoot = process.getuid?.() === 0;
  private readonly allowDevices: boolean;

  constructor(private readonly root: string, private readonly opts: ExtractOptions) {
    this.allowDevices = opts.allowDevices ?? this.isRoot;
    if (!fs.statSync(root).isDirectory()) throw new PierError(`layer destination ${root} is not a directory`);
  }

  private abs(rel: string): string {
    return rel ? path.join(this.root, rel) : this.root;
  }

  async apply(e: TarEntry): Promise<void> {
    const rel = cleanEntryPath(e.name);
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (rel.split('/')[0].startsWith(WH_META_PREFIX) && rel !== WH_OPAQUE) return; // aufs metadata (.wh..wh.plnk etc.)
    if (base.startsWith(WH_PREFIX)) return this.whiteout(e, rel, base);

    if (rel === '') {
      if (e.type !== 'dir') throw new UnsafeTarEntryError(e.name, `a ${e.type} cannot replace the layer root`);
      this.setOwner(e, this.root);
      this.setXattrs(e, this.root);
      this.deferred.set('', { mode: e.mode, atimeNs: e.atimeNs ?? e.mtimeNs, mtimeNs: e.mtimeNs });
      return;
    }

    this.ensureParents(rel, e.name);
    const target = this.abs(rel);
    const st = lstatOrNull(target);
    if (st && !(st.isDirectory() && e.type === 'dir')) {
      if (e.type === 'hardlink' && cleanEntryPath(e.linkname, e.name) === rel)
        throw new UnsafeTarEntryError(e.name, 'hardlink to itself');
      this.remove(rel);
    }

    switch (e.type) {
      case 'dir':
        if (!st || !st.isDirectory()) fs.mkdirSync(target, 0o700);
        this.dirs.add(rel);
        this.setOwner(e, target);
        this.setXattrs(e, target);
        this.deferred.set(rel, { mode: e.mode, atimeNs: e.atimeNs ?? e.mtimeNs, mtimeNs: e.mtimeNs });
        break;
      case 'file':
        await this.writeFile(e, target);
        break;
      case 'symlink':
        if (!e.linkname) throw new UnsafeTarEntryError(e.name, 'symlink with an empty target');
        fs.symlinkSync(e.linkname, target);
        this.setOwner(e, target);
        this.setXattrs(e, target);
        setTimes(target, e.atimeNs ?? e.mtimeNs, e.mtimeNs);
        break;
      case 'hardlink':
        this.hardlink(e, target);
        break;
      case 'char':
      case 'block':
        if (!this.allowDevices) throw new UnsafeTarEntryError(e.name, `${e.type} device nodes are not allowed`);
        this.mknod(e, target, (e.type === 'char' ? S_IFCHR : S_IFBLK) | (e.mode & 0o777), e.devmajor, e.devminor);
        break;
      case 'fifo':
        this.mknod(e, target, S_IFIFO | (e.mode & 0o777), 0, 0);
        break;
    }
    this.written.add(rel);
  }

  /** Applies deferred directory modes and times. */
  finish(): void {
    for (const [rel, d] of this.deferred) {
      if (!this.dirs.has(rel)) continue; // replaced later in the layer
      const p = this.abs(rel);
      if (!lstatOrNull(p)?.isDirectory()) continue; // chmod follows symlinks: never apply it to one
      fs.chmodSync(p, d.mode);
      setTimes(p, d.atimeNs, d.mtimeNs);
    }
  }

  /**
   * Makes every parent of rel a real directory: missing ones are created, symlinks or
   * files written by this layer are refused, those from lower layers are replaced.
   */
  private ensureParents(rel: string, entry: string): void {
    const comps = rel.split('/');
    let p = '';
    for (let i = 0; i < comps.length - 1; i++) {
      p = p ? `${p}/${comps[i]}` : comps[i];
      if (this.dirs.has(p)) continue;
      const abs = this.abs(p);
      const st = lstatOrNull(abs);
      if (st?.isDirectory()) {
        this.dirs.add(p);
        continue;
      }
      if (st) {
        if (this.written.has(p)) {
          const what = st.isSymbolicLink() ? 'a symlink' : 'not a directory';
          throw new UnsafeTarEntryError(entry, `path component ${JSON.stringify(p)} is ${what}`);
        }
        this.remove(p); // a lower layer's symlink/file: shadow it, as overlayfs would
      }
      fs.mkdirSync(abs, 0o755);
      fs.chmodSync(abs, 0o755); // independent of umask
      this.dirs.add(p);
      this.written.add(p);
    }
  }

  /** Removes rel (recursively) and forgets it and its descendants. */
  private remove(rel: string): void {
    const abs = this.abs(rel);
    const st = lstatOrNull(abs);
    if (!st) return;
    if (st.isDirectory()) {
      fs.rmSync(abs, { recursive: true, force: true });
      const prefix = `${rel}/`;
      for (const set of [this.written, this.dirs]) {
        for (const p of set) if (p === rel || p.startsWith(prefix)) set.delete(p);
      }
      for (const p of this.deferred.keys()) if (p === rel || p.startsWith(prefix)) this.deferred.delete(p);
    } else {
      fs.unlinkSync(abs);
      this.written.delete(rel);
      this.dirs.delete(rel);
    }
  }

  private whiteout(e: TarEntry, rel: string, base: string): void {
    const dir = rel.slice(0, Math.max(0, rel.length - base.length - 1));
    if (base === WH_OPAQUE) {
      if (dir) this.ensureParents(`${dir}/x`, e.name);
      const abs = this.abs(dir);
      if (this.opts.mode === 'overlay') {
        if (dir) this.written.add(dir);
        setXattr(abs, overlayOpaqueXattr(), Buffer.from('y'), e.name);
      } else {
        this.removeLower(dir);
      }
      return;
    }
    if (base.startsWith(WH_META_PREFIX)) return; // other aufs metadata
    const name = base.slice(WH_PREFIX.length);
    if (name === '' || name === '.' || name === '..') throw new UnsafeTarEntryError(e.name, 'invalid whiteout name');
    const victim = dir ? `${dir}/${name}` : name;
    this.ensureParents(victim, e.name);
    this.remove(victim);
    if (this.opts.mode === 'overlay') {
      const abs = this.abs(victim);
      native().mknod(abs, S_IFCHR, 0, 0);
      this.chown(abs, e.uid, e.gid);
      this.written.add(victim);
    }
  }

  /** vfs opaque dir: removes everything under dir that this layer did not write. */
  private removeLower(dir: string): void {
    const abs = this.abs(dir);
    for (const name of fs.readdirSync(abs)) {
      const child = dir ? `${dir}/${name}` : name;
      if (!this.written.has(child)) this.remove(child);
      else if (this.dirs.has(child)) this.removeLower(child);
    }
  }

  private hardlink(e: TarEntry, target: string): void {
    const src = cleanEntryPath(e.linkname, e.name);
    if (src === '') throw new UnsafeTarEntryError(e.name, 'hardlink to the layer root');
    if (!this.written.has(src) || this.dirs.has(src))
      throw new UnsafeTarEntryError(e.name, `hardlink target ${JSON.stringify(e.linkname)} is not a file of this layer`);
    // Its parents were verified when it was written; make sure none has been replaced since.
    const comps = src.split('/');
    for (let i = 1; i < comps.length; i++) {
      if (!this.dirs.has(comps.slice(0, i).join('/')))
        throw new UnsafeTarEntryError(e.name, `hardlink target ${JSON.stringify(e.linkname)} is not a file of this layer`);
    }
    const st = lstatOrNull(this.abs(src));
    if (!st || st.isDirectory())
      throw new UnsafeTarEntryError(e.name, `hardlink target ${JSON.stringify(e.linkname)} is not a file of this layer`);
    fs.linkSync(this.abs(src), target);
  }

  private mknod(e: TarEntry, target: string, mode: number, major: number, minor: number): void {
    native().mknod(target, mode, major, minor);
    this.setOwner(e, target);
    fs.chmodSync(target, e.mode);
    this.setXattrs(e, target);
    setTimes(target, e.atimeNs ?? e.mtimeNs, e.mtimeNs);
  }

  /** Streams the body into a new file with batched writes, then sets owner, mode, xattrs, times. */
  private async writeFile(e: TarEntry, target: string): Promise<void> {
    const fd = fs.openSync(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600);
    try {
      let batch: Buffer[] = [];
      let batched = 0;
      // Big batches are written on libuv's thread pool so the main thread keeps hashing and
      // decompressing (other layers too) meanwhile; small ones synchronously.
      const flush = async () => {
        let bufs = batch;
        const big = batched >= ASYNC_WRITE_MIN;
        batch = [];
        batched = 0;
        while (bufs.length) {
          let n = big
            ? await new Promise<number>((resolve, reject) => fs.writev(fd, bufs, (err, w) => (err ? reject(err) : resolve(w))))
            : fs.writevSync(fd, bufs);
          // Partial writes are rare but possible: drop what was written and retry the rest.
          while (n > 0 && bufs.length) {
            if (n >= bufs[0].length) {
              n -= bufs[0].length;
              bufs = bufs.slice(1);
            } else {
              bufs = [bufs[0].subarray(n), ...bufs.slice(1)];
              n = 0;
            }
          }
        }
      };
      for await (const chunk of e.chunks()) {
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH || batch.length >= 512) await flush();
      }
      if (batched) await flush();
      this.fchown(fd, e);
      fs.fchmodSync(fd, e.mode);
      this.setXattrs(e, target);
      setTimes(target, e.atimeNs ?? e.mtimeNs, e.mtimeNs);
    } finally {
      fs.closeSync(fd);
    }
  }

  private fchown(fd: number, e: TarEntry): void {
    try {
      fs.fchownSync(fd, e.uid, e.gid);
    } catch (err) {
      if (this.isRoot || (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    }
  }

  private setOwner(e: TarEntry, target: string): void {
    this.chown(target, e.uid, e.gid);
  }

  private chown(target: string, uid: number, gid: number): void {
    try {
      fs.lchownSync(target, uid, gid);
    } catch (err) {
      if (this.isRoot || (err as NodeJS.ErrnoException).code !== 'EPERM') throw err; // rootless: keep our ids
    }
  }

  private setXattrs(e: TarEntry, target: string): void {
    for (const [name, value] of Object.entries(e.xattrs)) {
      if (name.startsWith('trusted.overlay.')) {
        // overlayfs' own markers: only the opaque flag is meaningful in a layer, and only for overlay.
        if (name === OPAQUE_XATTR && this.opts.mode === 'overlay' && e.type === 'dir') setXattr(target, overlayOpaqueXattr(), value, e.name);
        continue;
      }
      setXattr(target, name, value, e.name, e.type === 'symlink');
    }
  }
}

/** lsetxattr, ignoring filesystems (or, for symlinks, namespaces) that do not support it. */
function setXattr(target: string, name: string, value: Buffer, entry: string, isSymlink = false): void {
  try {
    native().lsetxattr(target, name, value);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTSUP') return;
    if (isSymlink && code === 'EPERM' && name.startsWith('user.')) return; // user.* is not allowed on symlinks
    throw new UnsafeTarEntryError(entry, `cannot set xattr ${name}: ${(err as Error).message}`);
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null; // no costly ENOENT exception
}
