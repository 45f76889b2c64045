// The layer store: content-addressed layers (id = OCI chain id) shared between images.
// Each layer is extracted into a private staging directory and made visible atomically
// (rename + one SQLite transaction), so an interrupted pull never leaves a half layer
// behind and concurrent pulls of the same layer store it once.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Transform } from 'node:stream';
// zlib, crypto, stream and child_process load when a layer is applied, not when the store opens.
const stream = () => require('node:stream') as typeof import('node:stream');
import { DB, immediate } from './db';
import { extractLayer } from './tar/extract';
import { decompressor, detectCompression } from './tar/decompress';
import { sha256, hexOf, randomBytes, randomHex } from '../util/digest';
import { PierError } from '../util/errors';

export type Driver = 'overlay' | 'vfs';

export interface LayerRecord {
  id: string;
  parent: string | null;
  diffId: string;
  compressedDigest: string | null;
  compressedSize: number | null;
  compressedMediaType: string | null;
  uncompressedSize: number;
  driver: Driver;
  link: string | null;
  created: number;
}

/** The OCI chain id of a layer given its parent's chain id. */
export function chainId(parent: string | null, diffId: string): string {
  if (!parent) return hexOf(diffId);
  return hexOf(sha256(`sha256:${parent} ${diffId}`));
}

function rowToLayer(r: any): LayerRecord {
  return {
    id: r.id, parent: r.parent, diffId: r.diff_id, compressedDigest: r.compressed_digest,
    compressedSize: r.compressed_size, compressedMediaType: r.compressed_media_type,
    uncompressedSize: r.uncompressed_size, driver: r.driver, link: r.link, created: r.created,
  };
}

export interface CompressedBlob {
  digest: string;
  size: number;
  mediaType: string;
}

export interface ApplyOptions {
  /** The diff id the uncompressed stream must hash to (from the image config). */
  expectedDiffId?: string;
  /** Keep the compressed stream as this blob (for push and save without recompressing). */
  keepBlob?: CompressedBlob;
}

const STAGING_PREFIX = '.staging-';

/** The mode of a base layer's root directory, as containers/storage's overlay driver gives it. */
export const BASE_LAYER_ROOT_MODE = 0o555;

export interface RootPerms { mode: number; uid: number; gid: number }

/** Give a layer's (or a container's writable layer's) root directory its mode and owner. */
export function applyRootPerms(dir: string, p: RootPerms): void {
  const st = fs.statSync(dir);
  if (st.uid !== p.uid || st.gid !== p.gid) fs.chownSync(dir, p.uid, p.gid);
  if ((st.mode & 0o7777) !== p.mode) fs.chmodSync(dir, p.mode);
}

function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e: any) { return e.code === 'EPERM'; }
}

/** Wait for the first bytes of a stream and put them back. */
function firstBytes(input: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onReadable = () => {
      const c: Buffer | null = input.read();
      if (c === null) return;
      cleanup(); input.unshift(c); resolve(c);
    };
    const onEnd = () => { cleanup(); resolve(Buffer.alloc(0)); };
    const onError = (e: Error) => { cleanup(); reject(e); };
    const cleanup = () => { input.off('readable', onReadable); input.off('end', onEnd); input.off('error', onError); };
    input.on('readable', onReadable); input.on('end', onEnd); input.on('error', onError);
  });
}

function wrapStreamError(e: Error): Error {
  if (e instanceof PierError) return e;
  if ((e as any).code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) return new PierError('layer is truncated: unexpected end of compressed data');
  if ((e as any).code?.startsWith?.('Z_')) return new PierError(`decompressing layer: ${e.message}`);
  return e;
}

/** A transform that passes data on in chunks of at least `min` bytes (the last may be smaller). */
function coalesce(min: number): Transform {
  let parts: Buffer[] = [];
  let size = 0;
  return new (stream().Transform)({
    transform(c: Buffer, _e, cb) {
      parts.push(c);
      size += c.length;
      if (size >= min) { const out = Buffer.concat(parts, size); parts = []; size = 0; cb(null, out); } else cb();
    },
    flush(cb) { cb(null, size ? Buffer.concat(parts, size) : undefined); },
  });
}

export class LayerStore {
  readonly driverDir: string;
  readonly blobDir: string;

  constructor(readonly root: string, readonly db: DB, readonly driver: Driver) {
    this.driverDir = path.join(root, driver === 'overlay' ? 'overlay' : 'vfs');
    this.blobDir = path.join(root, 'blobs', 'sha256');
    fs.mkdirSync(this.driverDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.blobDir, { recursive: true, mode: 0o700 });
    if (driver === 'overlay') fs.mkdirSync(path.join(this.driverDir, 'l'), { recursive: true, mode: 0o700 });
  }

  get(id: string): LayerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM layers WHERE id = ?').get(id);
    return r ? rowToLayer(r) : undefined;
  }

  all(): LayerRecord[] {
    return this.db.prepare('SELECT * FROM layers').all().map(rowToLayer);
  }

  /** The directory holding the layer's files (overlay: its diff; vfs: its full tree). */
  diffDir(id: string): string {
    return this.driver === 'overlay' ? path.join(this.driverDir, id, 'diff') : path.join(this.driverDir, id);
  }

  blobPath(digest: string): string {
    return path.join(this.blobDir, hexOf(digest));
  }

  hasBlob(digest: string): boolean {
    return fs.existsSync(this.blobPath(digest));
  }

  /** The chain of layer ids from the base to `id` (inclusive). */
  chain(id: string | null): LayerRecord[] {
    const out: LayerRecord[] = [];
    let cur = id;
    while (cur) {
      const l = this.get(cur);
      if (!l) throw new PierError(`layer ${cur} not known`);
      out.unshift(l);
      cur = l.parent;
    }
    return out;
  }

  /** Remove staging dirs left by pier processes that died (kill -9 mid-pull). */
  cleanupStaging(): void {
    for (const dir of [this.driverDir, this.blobDir]) {
      let names: string[] = [];
      try { names = fs.readdirSync(dir); } catch { continue; }
      for (const n of names) {
        if (!n.startsWith(STAGING_PREFIX)) continue;
        const pid = parseInt(n.slice(STAGING_PREFIX.length), 10);
        if (pid && pid !== process.pid && isAlive(pid)) continue;
        if (pid === process.pid) continue;
        fs.rmSync(path.join(dir, n), { recursive: true, force: true });
      }
    }
  }

  private stagingName(): string {
    return `${STAGING_PREFIX}${process.pid}-${randomHex(6)}`;
  }

  /**
   * Apply a layer stream (plain tar, or compressed as detectCompression tells) on top of `parent`.
   * Verifies the diff id, keeps the compressed blob if asked, and commits atomically.
   * Returns the existing record when another process stored the same layer first.
   */
  async apply(parent: string | null, input: Readable, opts: ApplyOptions = {}): Promise<LayerRecord> {
    if (opts.expectedDiffId) {
      const id = chainId(parent, opts.expectedDiffId);
      const existing = this.get(id);
      if (existing) { input.resume(); input.destroy(); return existing; }
    }
    const staging = path.join(this.driverDir, this.stagingName());
    const dest = this.driver === 'overlay' ? path.join(staging, 'diff') : staging;
    const blobTmp = opts.keepBlob ? path.join(this.blobDir, this.stagingName()) : null;
    try {
      if (this.driver === 'overlay') {
        fs.mkdirSync(dest, { recursive: true, mode: 0o755 });
      } else if (parent) {
        const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
        const r = spawnSync('cp', ['-a', '--reflink=auto', this.diffDir(parent), dest]);
        if (r.status !== 0) throw new PierError(`copying parent layer: ${r.stderr.toString().trim()}`);
      } else {
        fs.mkdirSync(dest, { mode: 0o755 });
      }
      const { diffId, size } = await this.extract(input, dest, blobTmp);
      // A layer's root takes its parent's mode and owner, and a base layer's root is 0555, whatever
      // the archive's own `./` entry says: podman (containers/storage) gives images' / as r-x for all.
      // A pull stores layers in parallel: a parent not stored yet is settled after (settleRootPerms).
      if (!parent || this.get(parent)) applyRootPerms(dest, this.rootPerms(parent));
      if (opts.expectedDiffId && diffId !== opts.expectedDiffId) {
        throw new PierError(`layer content digest mismatch: expected ${opts.expectedDiffId}, got ${diffId}`);
      }
      const id = chainId(parent, diffId);
      return this.commit(id, parent, diffId, size, staging, blobTmp, opts.keepBlob ?? null);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
      if (blobTmp) fs.rmSync(blobTmp, { force: true });
    }
  }

  /**
   * Gives each layer of the chain ending at `top` its root's mode and owner, base first: for
   * layers stored in parallel (a pull), whose parent was not there yet when they were.
   */
  settleRootPerms(top: string | null): void {
    let parent: string | null = null;
    for (const l of this.chain(top)) {
      applyRootPerms(this.diffDir(l.id), this.rootPerms(parent));
      parent = l.id;
    }
  }

  /** The mode and owner a new layer's root gets from `parent` (0555 and our ids for a base layer). */
  rootPerms(parent: string | null): RootPerms {
    if (parent) {
      const st = fs.statSync(this.diffDir(parent));
      return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    }
    return { mode: BASE_LAYER_ROOT_MODE, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  }

  private async extract(input: Readable, dest: string, blobTmp: string | null): Promise<{ diffId: string; size: number }> {
    const head = await firstBytes(input);
    const { Transform } = stream();
    const hash = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');
    let size = 0;
    const hasher = new Transform({
      transform(chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk); },
    });
    const fd = blobTmp ? fs.openSync(blobTmp, 'w', 0o600) : -1;
    // Network reads arrive in 64 KiB pieces: batching them into 1 MiB chunks cuts the
    // per-chunk cost of every stage below (blob write, gunzip, hash, tar).
    const stages: NodeJS.ReadWriteStream[] = [coalesce(1024 * 1024)];
    // The kept blob is written on the thread pool while the data flows on to decompression.
    if (fd >= 0) {
      stages.push(new Transform({
        transform(c: Buffer, _e, cb) {
          const write = (off: number) => fs.write(fd, c, off, c.length - off, null, (err, n) => {
            if (err) cb(err);
            else if (off + n < c.length) write(off + n);
            else cb(null, c);
          });
          write(0);
        },
      }));
    }
    const compression = detectCompression(head);
    if (compression) stages.push(decompressor(compression, `decompressing ${compression} layer`, { chunkSize: 256 * 1024 }));
    const pipelineP = (require('node:stream/promises') as typeof import('node:stream/promises')).pipeline;
    const piped = (pipelineP as (...s: NodeJS.ReadableStream[] | any[]) => Promise<void>)(input, ...stages, hasher);
    piped.catch(() => undefined);
    try {
      await extractLayer(hasher, dest, { mode: this.driver });
      hasher.resume(); // what follows the end-of-archive marker still counts for the digest
      await piped;
    } catch (e) {
      hasher.destroy(); input.destroy();
      // A transport or decompression error explains a tar error that follows from it.
      const pe = await piped.then(() => null, (x: Error) => x);
      throw pe && !/premature close/i.test(pe.message) ? wrapStreamError(pe) : e;
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
    return { diffId: 'sha256:' + hash.digest('hex'), size };
  }

  private commit(id: string, parent: string | null, diffId: string, size: number, staging: string,
    blobTmp: string | null, blob: CompressedBlob | null): LayerRecord {
    return immediate(this.db, () => {
      const existing = this.get(id);
      if (existing) return existing;
      let link: string | null = null;
      fs.renameSync(staging, path.join(this.driverDir, id));
      if (this.driver === 'overlay') {
        link = randomBytes(13).toString('base64url').toUpperCase().replace(/[^A-Z0-9]/g, 'X').slice(0, 26);
        fs.mkdirSync(path.join(this.driverDir, id, 'work'), { recursive: true });
        fs.writeFileSync(path.join(this.driverDir, id, 'link'), link);
        fs.symlinkSync(path.join('..', id, 'diff'), path.join(this.driverDir, 'l', link));
      }
      if (blobTmp && blob) fs.renameSync(blobTmp, this.blobPath(blob.digest));
      const rec: LayerRecord = {
        id, parent, diffId, compressedDigest: blob?.digest ?? null, compressedSize: blob?.size ?? null,
        compressedMediaType: blob?.mediaType ?? null, uncompressedSize: size, driver: this.driver, link, created: Date.now(),
      };
      this.db.prepare(`INSERT INTO layers (id, parent, diff_id, compressed_digest, compressed_size, compressed_media_type,
        uncompressed_size, driver, link, created) VALUES (?,?,?,?,?,?,?,?,?,?)`).run(
        rec.id, rec.parent, rec.diffId, rec.compressedDigest, rec.compressedSize, rec.compressedMediaType,
        rec.uncompressedSize, rec.driver, rec.link, rec.created);
      return rec;
    });
  }

  /** Record an already-stored compressed blob for a layer that lacked one (e.g. after push). */
  setBlob(id: string, blob: CompressedBlob): void {
    this.db.prepare('UPDATE layers SET compressed_digest=?, compressed_size=?, compressed_media_type=? WHERE id=?')
      .run(blob.digest, blob.size, blob.mediaType, id);
  }

  /** Ids of layers that are parents of other layers. */
  private isParent(id: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM layers WHERE parent = ? LIMIT 1').get(id);
  }

  /**
   * Delete a layer and, walking down, its parents that nothing else uses.
   * `inUse(id)` tells whether an image or container still needs a layer.
   * Must be called inside a transaction; returns the paths to remove afterwards.
   */
  removeUnused(id: string | null, inUse: (id: string) => boolean): string[] {
    const paths: string[] = [];
    let cur = id;
    while (cur) {
      const l = this.get(cur);
      if (!l || inUse(cur) || this.isParent(cur)) break;
      this.db.prepare('DELETE FROM layers WHERE id = ?').run(cur);
      paths.push(path.join(this.driverDir, cur));
      if (l.link) paths.push(path.join(this.driverDir, 'l', l.link));
      if (l.compressedDigest) {
        const others = this.db.prepare('SELECT 1 FROM layers WHERE compressed_digest = ? LIMIT 1').get(l.compressedDigest);
        if (!others) paths.push(this.blobPath(l.compressedDigest));
      }
      cur = l.parent;
    }
    return paths;
  }
}
