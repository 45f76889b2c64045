/**
 * Streaming tar parser: ustar, GNU long names ('L'/'K'), PAX extended ('x') and global
 * ('g') headers, base-256 numbers. Reads straight from a Readable with backpressure;
 * entry bodies are handed out as chunks of the input without copying, and an entry's
 * body that the consumer leaves unread is skipped when it asks for the next entry.
 */
import type { Readable } from 'node:stream';
import { PierError } from '../../util/errors';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

/** The merged header of one tar entry (after GNU/PAX overrides). */
export interface TarHeader {
  /** Raw path as stored (may start with './' or '/', contain '..' — callers must clean it). */
  name: string;
  type: TarEntryType;
  /** Permission bits incl. setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Body size in bytes (0 for every type but 'file'). */
  size: number;
  /** Modification time in seconds since the epoch; fractional when PAX gives it. */
  mtime: number;
  /** Exact modification time in nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** Access time (seconds) when a PAX header gives one. */
  atime?: number;
  /** Exact access time in nanoseconds, when a PAX header gives one. */
  atimeNs?: bigint;
  uname: string;
  gname: string;
  /** Symlink target or hardlink source path; '' otherwise. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX SCHILY.xattr.* records. */
  xattrs: Record<string, Buffer>;
  /** All PAX records (global then local) that applied to this entry. */
  pax: Record<string, string>;
}

/** One entry: its header plus one-shot access to its body. */
export interface TarEntry extends TarHeader {
  /** The body as chunks (views into the input, valid as long as you hold them). */
  chunks(): AsyncGenerator<Buffer>;
  /** The body as a Readable. */
  stream(): Readable;
  /** The whole body in memory (for small entries). */
  buffer(): Promise<Buffer>;
}

/** A malformed or truncated archive. */
export class TarFormatError extends PierError {
  constructor(message: string) {
    super(`invalid tar archive: ${message}`);
    this.name = 'TarFormatError';
  }
}

const BLOCK = 512;
/** Largest GNU long-name / PAX header body we accept (guards memory). */
const MAX_META_SIZE = 8 * 1024 * 1024;

/** Buffered pull reader over an async iterable of chunks. */
class ByteSource {
  private chunks: Buffer[] = [];
  private avail = 0;
  private eof = false;
  private inflight: Promise<boolean> | null = null;
  /** Bytes consumed so far. */
  consumed = 0;

  constructor(private readonly it: AsyncIterator<unknown>) {}

  get available(): number {
    return this.avail;
  }

  /** Pulls one more chunk; false at end of input. Concurrent callers share one pull. */
  more(): Promise<boolean> {
    if (this.eof) return Promise.resolve(false);
    if (!this.inflight) {
      this.inflight = this.it.next().then(
        (r) => {
          this.inflight = null;
          if (r.done) {
            this.eof = true;
            return false;
          }
          const v = r.value;
          const b = Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v) : Buffer.from(v as Uint8Array);
          if (b.length) {
            this.chunks.push(b);
            this.avail += b.length;
          }
          return true;
        },
        (err) => {
          this.inflight = null;
          throw err;
        },
      );
    }
    return this.inflight;
  }

  /** Makes at least n bytes available; false if the input ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.avail < n) if (!(await this.more())) return false;
    return true;
  }

  /** Takes exactly n available bytes (a view when they sit in one chunk). */
  take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) return this.takeUpTo(n);
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const part = this.takeUpTo(n - off);
      part.copy(out, off);
      off += part.length;
    }
    return out;
  }

  /** Takes up to n bytes from the first buffered chunk (n > 0, some bytes available). */
  takeUpTo(n: number): Buffer {
    const first = this.chunks[0];
    let part: Buffer;
    if (first.length <= n) {
      part = first;
      this.chunks.shift();
    } else {
      part = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    }
    this.avail -= part.length;
    this.consumed += part.length;
    return part;
  }

  /** Discards n bytes; false if the input ends first. */
  async skip(n: number): Promise<boolean> {
    while (n > 0) {
      if (this.avail === 0 && !(await this.more())) return false;
      n -= this.takeUpTo(Math.min(n, this.avail)).length;
    }
    return true;
  }

  /** Reads and discards everything left. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.avail) this.takeUpTo(this.avail);
      else if (!(await this.more())) return;
    }
  }

  async close(): Promise<void> {
    try {
      if (this.inflight) await this.inflight.catch(() => undefined);
      await this.it.return?.();
    } catch {
      /* the source's own error was already reported */
    }
  }
}

/** Parses a tar stream. `bytesRead` counts every byte consumed (incl. padding and trailer). */
export class TarReader {
  private readonly src: ByteSource;
  private started = false;

  constructor(input: Readable | AsyncIterable<Buffer | Uint8Array>) {
    this.src = new ByteSource((input as AsyncIterable<unknown>)[Symbol.asyncIterator]());
  }

  /** Uncompressed bytes read from the input so far. */
  get bytesRead(): number {
    return this.src.consumed;
  }

  /** Yields the entries in order. Only one pass is possible. */
  async *entries(): AsyncGenerator<TarEntry> {
    if (this.started) throw new Error('tar reader: entries() may only be called once');
    this.started = true;
    const src = this.src;
    let global: Record<string, Buffer> = {};
    let local: Record<string, Buffer> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    let ok = false;
    try {
      for (;;) {
        if (!(await src.ensure(BLOCK))) {
          // End of input on a block boundary without the zero-block trailer: accept (as Go's archive/tar does),
          // unless a GNU/PAX header promised an entry that never came.
          if (src.available) throw new TarFormatError('unexpected EOF in header');
          if (longName !== undefined || longLink !== undefined || Object.keys(local).length)
            throw new TarFormatError('unexpected EOF after extended header');
          break;
        }
        const block = src.take(BLOCK);
        if (isZero(block)) {
          // End-of-archive marker; consume whatever follows (second zero block, padding) for accurate byte counts.
          await src.drain();
          break;
        }
        verifyChecksum(block);
        const flag = String.fromCharCode(block[156]);
        const size = parseNumeric(block, 124, 12, 'size');
        const padded = size + ((BLOCK - (size % BLOCK)) % BLOCK);

        if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
          if (size > MAX_META_SIZE) throw new TarFormatError(`extended header too large (${size} bytes)`);
          if (!(await src.ensure(size))) throw new TarFormatError('unexpected EOF in extended header');
          const body = Buffer.from(src.take(size));
          if (!(await src.skip(padded - size))) throw new TarFormatError('unexpected EOF in extended header');
          if (flag === 'L') longName = cString(body);
          else if (flag === 'K') longLink = cString(body);
          else if (flag === 'x') local = { ...local, ...parsePax(body) };
          else global = { ...global, ...parsePax(body) };
          continue;
        }

        const header = buildHeader(block, flag, size, global, local, longName, longLink);
        local = {};
        longName = longLink = undefined;

        const bodySize = header.type === 'file' ? header.size : 0;
        const bodyPadded = bodySize + ((BLOCK - (bodySize % BLOCK)) % BLOCK);
        const state = { remaining: bodySize, claimed: false, live: true };
        const entry = makeEntry(header, state, src);
        yield entry;
        state.live = false;
        if (!(await src.skip(state.remaining + (bodyPadded - bodySize)))) throw new TarFormatError(`unexpected EOF in body of ${JSON.stringify(header.name)}`);
        state.remaining = 0;
      }
      ok = true;
    } finally {
      if (!ok) await src.close();
    }
  }
}

/** Convenience: iterate the entries of a tar stream. */
export function readTar(input: Readable | AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<TarEntry> {
  return new TarReader(input).entries();
}

interface BodyState {
  remaining: number;
  claimed: boolean;
  live: boolean;
}

function makeEntry(header: TarHeader, state: BodyState, src: ByteSource): TarEntry {
  async function* chunks(): AsyncGenerator<Buffer> {
    if (state.claimed) throw new Error(`tar entry ${JSON.stringify(header.name)}: body already read`);
    if (!state.live) throw new Error(`tar entry ${JSON.stringify(header.name)}: reader has moved past this entry`);
    state.claimed = true;
    while (state.remaining > 0) {
      if (src.available === 0) {
        const more = await src.more();
        if (!state.live) return; // the reader moved on while we waited
        if (!more) throw new TarFormatError(`unexpected EOF in body of ${JSON.stringify(header.name)}`);
        continue;
      }
      const part = src.takeUpTo(Math.min(state.remaining, src.available));
      state.remaining -= part.length;
      yield part;
      if (!state.live) return;
    }
  }
  return {
    ...header,
    chunks,
    stream: () => (require('node:stream') as typeof import('node:stream')).Readable.from(chunks(), { objectMode: false }),
    async buffer() {
      const parts: Buffer[] = [];
      for await (const c of chunks()) parts.push(c);
      return Buffer.concat(parts);
    },
  };
}

function isZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function verifyChecksum(block: Buffer): void {
  const stored = parseNumeric(block, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) throw new TarFormatError('header checksum mismatch');
}

/** A NUL-terminated string from a byte range. */
function cString(b: Buffer, start = 0, len = b.length - start): string {
  const end = start + len;
  let stop = start;
  while (stop < end && b[stop] !== 0) stop++;
  return b.toString('utf8', start, stop);
}

/** An octal or base-256 number field. */
export function parseNumeric(b: Buffer, off: number, len: number, what: string): number {
  const first = b[off];
  if (first & 0x80) {
    // Base-256: big-endian two's complement; 0x80 marks positive, 0xff negative.
    const negative = first === 0xff;
    let v = 0;
    for (let i = 0; i < len; i++) {
      let byte = i === 0 ? first & 0x7f : b[off + i];
      if (negative) byte = (i === 0 ? first : b[off + i]) ^ 0xff;
      v = v * 256 + byte;
      if (v > Number.MAX_SAFE_INTEGER) throw new TarFormatError(`${what} field out of range`);
    }
    return negative ? -(v + 1) : v;
  }
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) {
    if (b[i] === 0) return 0; // empty field
    i++;
  }
  let v = 0;
  for (; i < end; i++) {
    const c = b[i];
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) throw new TarFormatError(`invalid octal digit in ${what} field`);
    v = v * 8 + (c - 0x30);
  }
  return v;
}

/** PAX records: "LEN key=value\n" repeated; values kept as bytes (xattrs are binary). */
function parsePax(body: Buffer): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let off = 0;
  while (off < body.length) {
    if (body[off] === 0) break; // some writers pad with NULs
    let sp = off;
    while (sp < body.length && body[sp] >= 0x30 && body[sp] <= 0x39) sp++;
    if (sp === off || sp >= body.length || body[sp] !== 0x20) throw new TarFormatError('malformed PAX record');
    const len = Number(body.toString('latin1', off, sp));
    const end = off + len;
    if (len < 5 || end > body.length || body[end - 1] !== 0x0a) throw new TarFormatError('malformed PAX record');
    const eq = body.indexOf(0x3d, sp + 1);
    if (eq < 0 || eq >= end) throw new TarFormatError('malformed PAX record');
    const key = body.toString('utf8', sp + 1, eq);
    if (!key) throw new TarFormatError('malformed PAX record');
    out[key] = Buffer.from(body.subarray(eq + 1, end - 1));
    off = end;
  }
  return out;
}

const TYPES: Record<string, TarEntryType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink',
  '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

function paxInt(v: string, key: string): number {
  if (!/^\d+$/.test(v)) throw new TarFormatError(`invalid PAX ${key} ${JSON.stringify(v)}`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new TarFormatError(`PAX ${key} out of range`);
  return n;
}

/** A PAX time ("SECONDS[.FRACTION]") as float seconds and exact nanoseconds (fraction truncated to ns). */
function paxTime(v: string, key: string): [number, bigint] {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v);
  if (!m) throw new TarFormatError(`invalid PAX ${key} ${JSON.stringify(v)}`);
  const frac = BigInt((m[3] ?? '').slice(0, 9).padEnd(9, '0'));
  const abs = BigInt(m[2]) * 1_000_000_000n + frac;
  return [Number(v), m[1] ? -abs : abs];
}

function buildHeader(
  block: Buffer,
  flag: string,
  size: number,
  global: Record<string, Buffer>,
  local: Record<string, Buffer>,
  longName: string | undefined,
  longLink: string | undefined,
): TarHeader {
  const magic = block.toString('latin1', 257, 263);
  const isUstar = magic === 'ustar\0'; // POSIX; GNU's "ustar  \0" has no prefix field
  let name = cString(block, 0, 100);
  if (isUstar) {
    const prefix = cString(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  let type = TYPES[flag];
  if (!type) {
    const what = flag === 'S' ? 'GNU sparse' : `type ${JSON.stringify(flag)}`;
    throw new TarFormatError(`unsupported entry ${what} for ${JSON.stringify(longName ?? name)}`);
  }
  if (type === 'file' && flag !== '7' && (longName ?? name).endsWith('/')) type = 'dir'; // pre-POSIX directories

  const header: TarHeader = {
    name: longName ?? name,
    type,
    mode: parseNumeric(block, 100, 8, 'mode') & 0o7777,
    uid: parseNumeric(block, 108, 8, 'uid'),
    gid: parseNumeric(block, 116, 8, 'gid'),
    size,
    mtime: 0,
    mtimeNs: 0n,
    uname: magic.startsWith('ustar') ? cString(block, 265, 32) : '',
    gname: magic.startsWith('ustar') ? cString(block, 297, 32) : '',
    linkname: longLink ?? cString(block, 157, 100),
    devmajor: magic.startsWith('ustar') ? parseNumeric(block, 329, 8, 'devmajor') : 0,
    devminor: magic.startsWith('ustar') ? parseNumeric(block, 337, 8, 'devminor') : 0,
    xattrs: {},
    pax: {},
  };
  header.mtime = parseNumeric(block, 136, 12, 'mtime');
  header.mtimeNs = BigInt(header.mtime) * 1_000_000_000n;

  const records: Array<[string, Buffer, boolean]> = [
    ...Object.entries(global).map(([k, v]): [string, Buffer, boolean] => [k, v, true]),
    ...Object.entries(local).map(([k, v]): [string, Buffer, boolean] => [k, v, false]),
  ];
  for (const [key, raw, isGlobal] of records) {
    if (key.startsWith('SCHILY.xattr.')) {
      const attr = key.slice('SCHILY.xattr.'.length);
      if (raw.length === 0 && !isGlobal) delete header.xattrs[attr];
      else header.xattrs[attr] = raw;
      continue;
    }
    const v = raw.toString('utf8');
    header.pax[key] = v;
    if (key.startsWith('GNU.sparse.')) throw new TarFormatError(`unsupported GNU sparse entry ${JSON.stringify(header.name)}`);
    if (v === '') continue; // an empty value unsets the record: keep the ustar field
    switch (key) {
      case 'path': if (!isGlobal) header.name = v; break;
      case 'linkpath': if (!isGlobal) header.linkname = v; break;
      case 'size': if (!isGlobal) header.size = paxInt(v, key); break;
      case 'uid': header.uid = paxInt(v, key); break;
      case 'gid': header.gid = paxInt(v, key); break;
      case 'uname': header.uname = v; break;
      case 'gname': header.gname = v; break;
      case 'mtime': [header.mtime, header.mtimeNs] = paxTime(v, key); break;
      case 'atime': [header.atime, header.atimeNs] = paxTime(v, key); break;
      default: break;
    }
  }
  if (header.size < 0) throw new TarFormatError(`negative size for ${JSON.stringify(header.name)}`);
  if (header.type !== 'file') header.size = 0; // header-only types carry no body
  return header;
}
