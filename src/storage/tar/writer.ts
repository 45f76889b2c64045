// A deterministic tar writer: ustar headers, with PAX extended headers only where ustar
// cannot say it (long or non-ASCII names, long link targets, large ids/sizes/times,
// xattrs). Nothing here depends on the clock, the pid or the host: the same calls give
// the same bytes. Output is a Readable stream that honours backpressure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PassThrough, Readable } from 'node:stream';

/** The mtime (seconds since the epoch) used when an entry does not give one. */
export const DEFAULT_MTIME = 0;

const BLOCK = 512;
const MAX_OCTAL_8 = 0o7777777; // 7 digits fit an 8-byte field
const MAX_OCTAL_12 = 0o77777777777; // 11 digits fit a 12-byte field

/** Header fields an entry may set; all optional. */
export interface TarHeaderOptions {
  /** Permission bits incl. setuid/setgid/sticky (masked with 0o7777). */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch (integer part used) or a Date. Default DEFAULT_MTIME. */
  mtime?: number | Date;
  /** Extended attributes, written as `SCHILY.xattr.<name>` PAX records. */
  xattrs?: Record<string, string | Buffer>;
  /** Extra PAX records (key -> value), written as given. */
  pax?: Record<string, string>;
}

export type TarContent = Buffer | string | { stream: Readable | AsyncIterable<Buffer>; size: number };

/** One entry for tarToBuffer / tarFromEntries. */
export type TarEntry =
  | ({ type: 'file'; name: string; content: TarContent } & TarHeaderOptions)
  | ({ type: 'dir'; name: string } & TarHeaderOptions)
  | ({ type: 'symlink'; name: string; target: string } & TarHeaderOptions)
  | ({ type: 'hardlink'; name: string; target: string } & TarHeaderOptions)
  | ({ type: 'char' | 'block'; name: string; major: number; minor: number } & TarHeaderOptions)
  | ({ type: 'fifo'; name: string } & TarHeaderOptions);

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' } as const;
type Kind = keyof typeof TYPEFLAG;

/** A full header description (what encodeHeader takes). */
export interface TarHeader extends TarHeaderOptions {
  kind: Kind;
  name: string;
  linkname?: string;
  size?: number;
  devmajor?: number;
  devminor?: number;
}

/** Strips leading slashes; directories get exactly one trailing slash. */
function normName(name: string, isDir: boolean): string {
  let n = name.replace(/^\/+/, '');
  if (n === '' || n === '.') n = '.';
  if (isDir) n = n.replace(/\/+$/, '') + '/';
  return n;
}

function mtimeSeconds(m: number | Date | undefined): number {
  if (m === undefined) return DEFAULT_MTIME;
  if (m instanceof Date) return Math.floor(m.getTime() / 1000);
  return Math.floor(m);
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** One PAX record: "<len> <key>=<value>\n" where len counts the whole record. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.byteLength(key) + 1 + value.length + 1; // key '=' value '\n'
  let len = body + 2;
  while (String(len).length + 1 + body !== len) len = String(len).length + 1 + body;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

function writeString(buf: Buffer, off: number, len: number, s: string): void {
  const b = Buffer.from(s, 'utf8');
  b.copy(buf, off, 0, Math.min(len, b.length));
}

function writeOctal(buf: Buffer, off: number, len: number, n: number): void {
  // len-1 digits, zero-padded, NUL-terminated
  const s = Math.max(0, n).toString(8).padStart(len - 1, '0');
  buf.write(s.slice(-(len - 1)) + '\0', off, len, 'ascii');
}

function buildUstar(h: TarHeader, name: string, linkname: string, size: number): Buffer {
  const b = Buffer.alloc(BLOCK);
  writeString(b, 0, 100, name);
  writeOctal(b, 100, 8, (h.mode ?? 0) & 0o7777);
  writeOctal(b, 108, 8, Math.min(h.uid ?? 0, MAX_OCTAL_8));
  writeOctal(b, 116, 8, Math.min(h.gid ?? 0, MAX_OCTAL_8));
  writeOctal(b, 124, 12, Math.min(size, MAX_OCTAL_12));
  const mt = mtimeSeconds(h.mtime);
  writeOctal(b, 136, 12, mt < 0 || mt > MAX_OCTAL_12 ? 0 : mt);
  b.write(TYPEFLAG[h.kind], 156, 1, 'ascii');
  writeString(b, 157, 100, linkname);
  b.write('ustar\0', 257, 6, 'ascii');
  b.write('00', 263, 2, 'ascii');
  writeString(b, 265, 32, h.uname ?? '');
  writeString(b, 297, 32, h.gname ?? '');
  if (h.kind === 'char' || h.kind === 'block') {
    writeOctal(b, 329, 8, Math.min(h.devmajor ?? 0, MAX_OCTAL_8));
    writeOctal(b, 337, 8, Math.min(h.devminor ?? 0, MAX_OCTAL_8));
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i];
  b.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return b;
}

/** The header block(s) for one entry: an optional PAX 'x' header, then the ustar header. */
export function encodeHeader(h: TarHeader): Buffer {
  const name = normName(h.name, h.kind === 'dir');
  const linkname = h.linkname === undefined ? '' :
    h.kind === 'hardlink' ? h.linkname.replace(/^\/+/, '') : h.linkname;
  const size = h.kind === 'file' ? (h.size ?? 0) : 0;
  const records: Buffer[] = [];
  const add = (k: string, v: string | Buffer) => records.push(paxRecord(k, typeof v === 'string' ? Buffer.from(v) : v));

  if (Buffer.byteLength(name) > 100 || !isAscii(name)) add('path', name);
  if (Buffer.byteLength(linkname) > 100 || !isAscii(linkname)) add('linkpath', linkname);
  if ((h.uid ?? 0) > MAX_OCTAL_8) add('uid', String(h.uid));
  if ((h.gid ?? 0) > MAX_OCTAL_8) add('gid', String(h.gid));
  if (size > MAX_OCTAL_12) add('size', String(size));
  const mt = mtimeSeconds(h.mtime);
  if (mt < 0 || mt > MAX_OCTAL_12) add('mtime', String(mt));
  if (h.uname && (Buffer.byteLength(h.uname) > 32 || !isAscii(h.uname))) add('uname', h.uname);
  if (h.gname && (Buffer.byteLength(h.gname) > 32 || !isAscii(h.gname))) add('gname', h.gname);
  for (const k of Object.keys(h.pax ?? {}).sort()) add(k, h.pax![k]);
  for (const k of Object.keys(h.xattrs ?? {}).sort()) add('SCHILY.xattr.' + k, h.xattrs![k]);

  const ustar = buildUstar(h, Buffer.byteLength(name) > 100 ? truncUtf8(name, 100) : name,
    Buffer.byteLength(linkname) > 100 ? truncUtf8(linkname, 100) : linkname, size);
  if (records.length === 0) return ustar;

  const body = Buffer.concat(records);
  const base = path.posix.basename(name.replace(/\/$/, '')) || 'entry';
  const paxName = truncUtf8('PaxHeaders.0/' + base, 100);
  const paxHdr = buildUstar({ kind: 'file', name: paxName, mode: 0o644, mtime: mt < 0 || mt > MAX_OCTAL_12 ? 0 : mt },
    paxName, '', body.length);
  paxHdr.write('x', 156, 1, 'ascii');
  // recompute checksum after changing the typeflag
  paxHdr.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += paxHdr[i];
  paxHdr.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return Buffer.concat([paxHdr, body, padding(body.length), ustar]);
}

function truncUtf8(s: string, max: number): string {
  const b = Buffer.from(s);
  if (b.length <= max) return s;
  return b.subarray(0, max).toString('utf8').replace(/\uFFFD+$/, '');
}

function padding(n: number): Buffer {
  const r = n % BLOCK;
  return r === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - r);
}

/**
 * Streams a tar archive. Each add* call resolves once its bytes are accepted by the
 * output (waiting on backpressure), so start consuming `stream` before awaiting adds.
 * Call finish() to write the end-of-archive marker.
 */
export class TarWriter {
  readonly stream: Readable;
  private readonly out: PassThrough;
  private chain: Promise<void> = Promise.resolve();
  private finished = false;

  constructor(opts: { highWaterMark?: number } = {}) {
    // node:stream loads on first use: a `run` imports this module but writes no tar.
    const { PassThrough } = require('node:stream') as typeof import('node:stream');
    this.out = new PassThrough({ highWaterMark: opts.highWaterMark ?? 256 * 1024 });
    this.stream = this.out;
  }

  /** A regular file; content is a Buffer/string or a stream of exactly `size` bytes. */
  addFile(name: string, content: TarContent, hdr: TarHeaderOptions = {}): Promise<void> {
    return this.enqueue(async () => {
      if (Buffer.isBuffer(content) || typeof content === 'string') {
        const data = typeof content === 'string' ? Buffer.from(content) : content;
        await this.write(encodeHeader({ ...hdr, mode: hdr.mode ?? 0o644, kind: 'file', name, size: data.length }));
        if (data.length) await this.write(data);
        const pad = padding(data.length);
        if (pad.length) await this.write(pad);
        return;
      }
      const { stream, size } = content;
      await this.write(encodeHeader({ ...hdr, mode: hdr.mode ?? 0o644, kind: 'file', name, size }));
      let seen = 0;
      for await (const chunk of stream as AsyncIterable<Buffer | string>) {
        const c = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        seen += c.length;
        if (seen > size) throw new Error(`tar: ${name}: stream longer than declared size ${size}`);
        await this.write(c);
      }
      if (seen !== size) throw new Error(`tar: ${name}: stream gave ${seen} bytes, declared ${size}`);
      const pad = padding(size);
      if (pad.length) await this.write(pad);
    });
  }

  addDir(name: string, hdr: TarHeaderOptions = {}): Promise<void> {
    return this.header({ ...hdr, mode: hdr.mode ?? 0o755, kind: 'dir', name });
  }

  addSymlink(name: string, target: string, hdr: TarHeaderOptions = {}): Promise<void> {
    return this.header({ ...hdr, mode: hdr.mode ?? 0o777, kind: 'symlink', name, linkname: target });
  }

  /** A hard link to an entry written earlier in this archive (`target` is its name). */
  addHardlink(name: string, target: string, hdr: TarHeaderOptions = {}): Promise<void> {
    return this.header({ ...hdr, mode: hdr.mode ?? 0o644, kind: 'hardlink', name, linkname: target });
  }

  /** A character device (0/0 is an overlay whiteout). */
  addChar(name: string, major: number, minor: number, hdr: TarHeaderOptions = {}): Promise<void> {
    return this.header({ ...hdr, mode: hdr.mode ?? 0o600, kind: 'char', name, devmajor: major, devminor: minor });
  }

  addBlock(name: string, major: number, minor: number, hdr: TarHeaderOptions = {}): Promise<void> {
    return this.header({ ...hdr, mode: hdr.mode ?? 0o600, kind: 'block', name, devmajor: major, devminor: minor });
  }

  addFifo(name: string, hdr: TarHeaderOptions = {}): Promise<void> {
    return this.header({ ...hdr, mode: hdr.mode ?? 0o644, kind: 'fifo', name });
  }

  /** Adds any TarEntry. */
  add(e: TarEntry): Promise<void> {
    switch (e.type) {
      case 'file': return this.addFile(e.name, e.content, e);
      case 'dir': return this.addDir(e.name, e);
      case 'symlink': return this.addSymlink(e.name, e.target, e);
      case 'hardlink': return this.addHardlink(e.name, e.target, e);
      case 'char': return this.addChar(e.name, e.major, e.minor, e);
      case 'block': return this.addBlock(e.name, e.major, e.minor, e);
      case 'fifo': return this.addFifo(e.name, e);
    }
  }

  /** Writes the two zero blocks that end the archive and ends the stream. */
  finish(): Promise<void> {
    const p = this.enqueue(async () => {
      await this.write(Buffer.alloc(BLOCK * 2));
      await new Promise<void>((resolve) => this.out.end(resolve));
    });
    this.finished = true;
    return p;
  }

  /** Aborts the archive: the stream errors with `err`. */
  destroy(err?: Error): void {
    this.finished = true;
    this.out.destroy(err);
  }

  private header(h: TarHeader): Promise<void> {
    return this.enqueue(() => this.write(encodeHeader(h)));
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    if (this.finished) return Promise.reject(new Error('tar: writer already finished'));
    const p = this.chain.then(fn);
    // a failed entry poisons the archive: later entries must not follow a short one
    this.chain = p.catch((err) => { this.destroy(err); throw err; });
    this.chain.catch(() => undefined);
    return p;
  }

  private write(buf: Buffer): Promise<void> {
    if (this.out.destroyed) return Promise.reject(new Error('tar: output stream destroyed'));
    if (this.out.write(buf)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onDrain = () => { cleanup(); resolve(); };
      const onClose = () => { cleanup(); reject(new Error('tar: output stream closed')); };
      const cleanup = () => { this.out.off('drain', onDrain); this.out.off('close', onClose); };
      this.out.on('drain', onDrain);
      this.out.on('close', onClose);
    });
  }
}

/** A tar stream of the given entries, in the given order. */
export function tarFromEntries(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Readable {
  const w = new TarWriter();
  (async () => {
    for await (const e of entries as AsyncIterable<TarEntry>) await w.add(e);
    await w.finish();
  })().catch((err) => w.destroy(err instanceof Error ? err : new Error(String(err))));
  return w.stream;
}

/** The whole tar archive of `entries` as one Buffer. */
export async function tarToBuffer(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of tarFromEntries(entries)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Options for writeDirAsTar. */
export interface DirTarOptions {
  /** Prefix for entry names (e.g. "rootfs/"); default none. */
  prefix?: string;
  /** Emit an entry for the root directory itself (named "./" or the prefix). Default false. */
  includeRoot?: boolean;
  /** Extended attributes for a path (absolute host path, lstat result). */
  xattrs?: (absPath: string, st: fs.Stats) => Record<string, string | Buffer> | undefined | Promise<Record<string, string | Buffer> | undefined>;
  /** Return false to leave a path (and, for a directory, everything under it) out. */
  filter?: (relPath: string, st: fs.Stats) => boolean;
  /** Force this mtime on every entry instead of the files' own. */
  mtime?: number | Date;
  /** Rewrite ownership (e.g. to map ids out of a user namespace). */
  mapOwner?: (uid: number, gid: number) => { uid: number; gid: number };
}

/** Linux major/minor from st_rdev (glibc's encoding). */
export function devNumbers(rdev: number): { major: number; minor: number } {
  const r = BigInt(rdev);
  const major = Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
  const minor = Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * Streams the tree under `dir` as tar, entries in sorted (byte) order, parents before
 * children. Uses lstat (symlinks are stored, never followed); a file seen again by
 * (dev, inode) becomes a hard link to the first name; sockets are skipped.
 */
export function writeDirAsTar(dir: string, opts: DirTarOptions = {}): Readable {
  const w = new TarWriter();
  const prefix = opts.prefix ? opts.prefix.replace(/^\/+/, '').replace(/\/*$/, '/') : '';
  const seen = new Map<string, string>();

  const emit = async (abs: string, rel: string, st: fs.Stats): Promise<void> => {
    const owner = opts.mapOwner ? opts.mapOwner(st.uid, st.gid) : { uid: st.uid, gid: st.gid };
    const hdr: TarHeaderOptions = {
      mode: st.mode & 0o7777, uid: owner.uid, gid: owner.gid,
      mtime: opts.mtime ?? Math.floor(st.mtimeMs / 1000),
    };
    if (opts.xattrs) {
      const x = await opts.xattrs(abs, st);
      if (x && Object.keys(x).length) hdr.xattrs = x;
    }
    const name = rel === '' ? (prefix || './') : prefix + rel;
    if (st.isDirectory()) return w.addDir(name, hdr);
    if (st.isSymbolicLink()) return w.addSymlink(name, await fs.promises.readlink(abs), hdr);
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) return w.addHardlink(name, first, hdr);
      seen.set(key, name);
    }
    if (st.isFile()) {
      return w.addFile(name, { stream: fs.createReadStream(abs), size: st.size }, hdr);
    }
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { major, minor } = devNumbers(st.rdev);
      return st.isCharacterDevice() ? w.addChar(name, major, minor, hdr) : w.addBlock(name, major, minor, hdr);
    }
    if (st.isFIFO()) return w.addFifo(name, hdr);
    // sockets and anything else: not representable in tar
  };

  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await fs.promises.readdir(abs)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const childAbs = path.join(abs, n);
      const childRel = rel === '' ? n : `${rel}/${n}`;
      const st = await fs.promises.lstat(childAbs);
      if (opts.filter && !opts.filter(childRel, st)) continue;
      await emit(childAbs, childRel, st);
      if (st.isDirectory()) await walk(childAbs, childRel);
    }
  };

  (async () => {
    const st = await fs.promises.lstat(dir);
    if (!st.isDirectory()) throw new Error(`tar: ${dir} is not a directory`);
    if (opts.includeRoot) await emit(dir, '', st);
    await walk(dir, '');
    await w.finish();
  })().catch((err) => w.destroy(err instanceof Error ? err : new Error(String(err))));
  return w.stream;
}
