// A layer's changes as an OCI layer tar, and its compressed blob for push and save.
// overlay: the layer's diff dir is its change set (whiteout devices and opaque dirs become
// `.wh.` entries); vfs: the tree is compared with the parent's. Entries come in sorted
// order with parents first, so the same layer always gives the same bytes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Transform } from 'node:stream';
// zlib, crypto and stream load on first use: `run` reaches this module only for readdirSorted.
const zlib = () => require('node:zlib') as typeof import('node:zlib');
import { Store } from './store';
import { LayerRecord } from './layers';
import { TarWriter, TarHeaderOptions, devNumbers } from './tar/writer';
import { native, nativeAvailable } from '../util/native';
import { PierError } from '../util/errors';

export const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

const WH_PREFIX = '.wh.';
const WH_OPAQUE = '.wh..wh..opq';
const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

/** One thing to write: a filesystem entry, or a whiteout (deleted name / opaque marker). */
type Change =
  | { kind: 'entry'; rel: string; abs: string; st: fs.Stats }
  | { kind: 'whiteout'; rel: string };

/** Names in byte order (tar and podman's ordering). */
export function byteSort(names: string[]): string[] {
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** A directory's entries in byte order; none when it is missing. */
export function readdirSorted(dir: string): string[] {
  try {
    return byteSort(fs.readdirSync(dir));
  } catch (e: any) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [];
    throw e;
  }
}

function lstatOrNull(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p, { bigint: false });
  } catch (e: any) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  }
}

function join(rel: string, name: string): string {
  return rel === '' ? name : `${rel}/${name}`;
}

const useXattrs = (() => {
  let ok: boolean | undefined;
  return () => (ok ??= nativeAvailable());
})();

/** The xattrs a layer tar carries (overlay's own bookkeeping and SELinux labels left out). */
function xattrsOf(abs: string): Record<string, Buffer> | undefined {
  if (!useXattrs()) return undefined;
  let names: string[];
  try {
    names = native().llistxattr(abs);
  } catch {
    return undefined;
  }
  const out: Record<string, Buffer> = {};
  for (const n of names.sort()) {
    if (n.startsWith('trusted.overlay.') || n.startsWith('user.overlay.') || n === 'security.selinux') continue;
    try {
      const v = native().lgetxattr(abs, n);
      if (v) out[n] = v;
    } catch { /* vanished or not readable: leave out */ }
  }
  return Object.keys(out).length ? out : undefined;
}

function isOpaque(abs: string): boolean {
  if (!useXattrs()) return false;
  for (const n of OPAQUE_XATTRS) {
    try {
      const v = native().lgetxattr(abs, n);
      if (v && v.toString() === 'y') return true;
    } catch { /* not supported here */ }
  }
  return false;
}

function isWhiteoutDevice(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** overlay: everything in the diff dir, with whiteout devices and opaque dirs translated. */
function overlayChanges(dir: string): Change[] {
  const out: Change[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSorted(abs)) {
      const childAbs = path.join(abs, name);
      const childRel = join(rel, name);
      const st = lstatOrNull(childAbs);
      if (!st) continue;
      if (isWhiteoutDevice(st)) {
        out.push({ kind: 'whiteout', rel: join(rel, WH_PREFIX + name) });
        continue;
      }
      out.push({ kind: 'entry', rel: childRel, abs: childAbs, st });
      if (st.isDirectory()) {
        if (isOpaque(childAbs)) out.push({ kind: 'whiteout', rel: join(childRel, WH_OPAQUE) });
        walk(childAbs, childRel);
      }
    }
  };
  walk(dir, '');
  return out;
}

function sameMeta(a: fs.Stats, b: fs.Stats): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid &&
    (a.isDirectory() || (a.size === b.size && a.mtimeMs === b.mtimeMs)) && a.rdev === b.rdev;
}

/** Byte comparison (vfs copies share no inode with the parent, and mtime may be equal). */
function sameContent(a: string, b: string, size: number): boolean {
  if (size === 0) return true;
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
  try {
    const ba = Buffer.allocUnsafe(Math.min(size, 1 << 20));
    const bb = Buffer.allocUnsafe(ba.length);
    for (;;) {
      const na = fs.readSync(fa, ba, 0, ba.length, null);
      const nb = fs.readSync(fb, bb, 0, bb.length, null);
      if (na !== nb) return false;
      if (na === 0) return true;
      if (ba.compare(bb, 0, nb, 0, na) !== 0) return false;
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

function sameXattrs(a: string, b: string): boolean {
  const x = xattrsOf(a);
  const y = xattrsOf(b);
  const kx = Object.keys(x ?? {});
  if (kx.length !== Object.keys(y ?? {}).length) return false;
  return kx.every((k) => y![k] && Buffer.compare(x![k], y![k]) === 0);
}

/** vfs: the full tree when there is no parent, else what differs from the parent's tree. */
function vfsChanges(dir: string, parentDir: string | null): Change[] {
  const out: Change[] = [];
  const all = (abs: string, rel: string) => {
    for (const name of readdirSorted(abs)) {
      const childAbs = path.join(abs, name);
      const st = lstatOrNull(childAbs);
      if (!st) continue;
      out.push({ kind: 'entry', rel: join(rel, name), abs: childAbs, st });
      if (st.isDirectory()) all(childAbs, join(rel, name));
    }
  };
  if (!parentDir) {
    all(dir, '');
    return out;
  }
  // Returns whether anything under `rel` changed; directories are written when they
  // changed themselves or hold a change (so the tar recreates their metadata).
  const diff = (abs: string, pabs: string, rel: string): void => {
    const names = readdirSorted(abs);
    const pnames = new Set(readdirSorted(pabs));
    const merged = byteSort([...new Set([...names, ...pnames])]);
    for (const name of merged) {
      const childAbs = path.join(abs, name);
      const childP = path.join(pabs, name);
      const childRel = join(rel, name);
      const st = lstatOrNull(childAbs);
      const pst = pnames.has(name) ? lstatOrNull(childP) : null;
      if (!st) {
        if (pst) out.push({ kind: 'whiteout', rel: join(rel, WH_PREFIX + name) });
        continue;
      }
      if (!pst || (st.mode & fs.constants.S_IFMT) !== (pst.mode & fs.constants.S_IFMT)) {
        out.push({ kind: 'entry', rel: childRel, abs: childAbs, st });
        if (st.isDirectory()) {
          // A directory replacing something else hides whatever the parent had there.
          if (pst) out.push({ kind: 'whiteout', rel: join(childRel, WH_OPAQUE) });
          all(childAbs, childRel);
        }
        continue;
      }
      if (st.isDirectory()) {
        const mark = out.length;
        out.push({ kind: 'entry', rel: childRel, abs: childAbs, st });
        diff(childAbs, childP, childRel);
        if (out.length === mark + 1 && sameMeta(st, pst) && sameXattrs(childAbs, childP)) out.pop();
        continue;
      }
      let changed = !sameMeta(st, pst);
      if (!changed && st.isFile()) changed = !sameContent(childAbs, childP, st.size);
      if (!changed && st.isSymbolicLink()) changed = fs.readlinkSync(childAbs) !== fs.readlinkSync(childP);
      if (!changed) changed = !sameXattrs(childAbs, childP);
      if (changed) out.push({ kind: 'entry', rel: childRel, abs: childAbs, st });
    }
  };
  diff(dir, parentDir, '');
  return out;
}

async function writeChanges(w: TarWriter, changes: Change[]): Promise<void> {
  const seen = new Map<string, string>();
  for (const c of changes) {
    if (c.kind === 'whiteout') {
      await w.addFile(c.rel, Buffer.alloc(0), { mode: 0, uid: 0, gid: 0 });
      continue;
    }
    const { st, abs, rel } = c;
    const hdr: TarHeaderOptions = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    const x = xattrsOf(abs);
    if (x) hdr.xattrs = x;
    if (st.isDirectory()) { await w.addDir(rel, hdr); continue; }
    if (st.isSymbolicLink()) { await w.addSymlink(rel, fs.readlinkSync(abs), hdr); continue; }
    if (st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) { await w.addHardlink(rel, first, hdr); continue; }
      seen.set(key, rel);
    }
    if (st.isFile()) {
      await w.addFile(rel, { stream: fs.createReadStream(abs), size: st.size }, hdr);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = devNumbers(st.rdev);
      await (st.isCharacterDevice() ? w.addChar(rel, major, minor, hdr) : w.addBlock(rel, major, minor, hdr));
    } else if (st.isFIFO()) {
      await w.addFifo(rel, hdr);
    }
  }
}

/**
 * The changes of layer `layerId` as an uncompressed OCI layer tar, generated from the
 * files on disk (not necessarily byte-identical to the tar the layer was created from).
 */
export function layerTarStream(store: Store, layerId: string): Readable {
  const layer = store.layers.get(layerId);
  if (!layer) throw new PierError(`layer ${layerId} not known`);
  const dir = store.layers.diffDir(layerId);
  const w = new TarWriter();
  (async () => {
    const changes = store.driver === 'overlay'
      ? overlayChanges(dir)
      : vfsChanges(dir, layer.parent ? store.layers.diffDir(layer.parent) : null);
    await writeChanges(w, changes);
    await w.finish();
  })().catch((e) => w.destroy(e instanceof Error ? e : new Error(String(e))));
  return w.stream;
}

/** Whether a stored file starts with the gzip magic. */
function isGzipFile(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The layer's kept blob, if its file is present. */
function keptBlob(store: Store, layer: LayerRecord): { file: string; gzip: boolean } | null {
  if (!layer.compressedDigest) return null;
  const file = store.layers.blobPath(layer.compressedDigest);
  if (!fs.existsSync(file)) return null;
  return { file, gzip: isGzipFile(file) };
}

/** A stream that opens `file` only when first read (so unread results leak no fd). */
function lazyFileStream(file: string): Readable {
  const { Readable } = require('node:stream') as typeof import('node:stream');
  return Readable.from((async function* () {
    for await (const c of fs.createReadStream(file)) yield c as Buffer;
  })(), { objectMode: false });
}

/**
 * The layer's exact uncompressed tar: the kept blob (decompressed if need be) when there
 * is one, else generated from the files. `size` is known only for a kept blob.
 */
export function layerTar(store: Store, layer: LayerRecord): { stream: Readable; exact: boolean } {
  const kept = keptBlob(store, layer);
  if (kept) {
    const file = lazyFileStream(kept.file);
    return { stream: kept.gzip ? file.pipe(zlib().createGunzip()) : file, exact: true };
  }
  return { stream: layerTarStream(store, layer.id), exact: false };
}

export interface LayerBlob {
  /** The blob's bytes (opened lazily). */
  stream: Readable;
  digest: string;
  size: number;
  mediaType: string;
  /** Digest of the uncompressed tar inside the blob (equals the layer's diff id unless regenerated differently). */
  diffId: string;
}

function hasher(): { t: Transform; digest: () => string; size: () => number } {
  const { Transform } = require('node:stream') as typeof import('node:stream');
  const h = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');
  let n = 0;
  const t = new Transform({ transform(c: Buffer, _e, cb) { h.update(c); n += c.length; cb(null, c); } });
  let d: string | undefined;
  return { t, digest: () => (d ??= 'sha256:' + h.digest('hex')), size: () => n };
}

/**
 * The layer's gzip-compressed blob, stored in the blob dir (store.layers.blobPath(digest)):
 * the kept blob when it is gzip, else made from the kept uncompressed blob or from the
 * files and recorded on the layer (setBlob).
 */
export async function layerBlob(store: Store, layer: LayerRecord | string): Promise<LayerBlob> {
  const rec = typeof layer === 'string' ? store.layers.get(layer) : store.layers.get(layer.id) ?? layer;
  if (!rec) throw new PierError(`layer ${layer} not known`);
  const kept = keptBlob(store, rec);
  if (kept?.gzip) {
    return {
      stream: lazyFileStream(kept.file), digest: rec.compressedDigest!, size: fs.statSync(kept.file).size,
      mediaType: rec.compressedMediaType && /gzip/.test(rec.compressedMediaType) ? rec.compressedMediaType : LAYER_TAR_GZIP,
      diffId: rec.diffId,
    };
  }
  const src = kept ? fs.createReadStream(kept.file) : layerTarStream(store, rec.id);
  const tmp = path.join(store.layers.blobDir, `.staging-${process.pid}-${(require('node:crypto') as typeof import('node:crypto')).randomBytes(6).toString('hex')}`);
  const u = hasher();
  const c = hasher();
  try {
    const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
    await pipeline(src, u.t, zlib().createGzip({ level: 6 }), c.t, fs.createWriteStream(tmp, { mode: 0o600 }));
    const digest = c.digest();
    fs.renameSync(tmp, store.layers.blobPath(digest));
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const blob = { digest: c.digest(), size: c.size(), mediaType: LAYER_TAR_GZIP };
  if (u.digest() === rec.diffId) {
    store.layers.setBlob(rec.id, blob);
    // The uncompressed copy is now redundant: the gzip blob decompresses to the same bytes.
    if (kept && !store.layers.all().some((l) => l.id !== rec.id && l.compressedDigest === rec.compressedDigest)) {
      fs.rmSync(kept.file, { force: true });
    }
  }
  return { stream: lazyFileStream(store.layers.blobPath(blob.digest)), ...blob, diffId: u.digest() };
}
