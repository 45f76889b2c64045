/** Test-only tar builder (hand-crafted ustar/GNU/PAX headers) and sandbox helpers. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';

export interface HeaderSpec {
  name: string;
  /** Typeflag character: '0' file, '1' hardlink, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'L', 'K', 'x', 'g'. */
  flag?: string;
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** ustar prefix field (POSIX magic only). */
  prefix?: string;
  /** 'posix' ("ustar\0" "00"), 'gnu' ("ustar  \0") or 'v7' (no magic). */
  magic?: 'posix' | 'gnu' | 'v7';
  /** Write these numeric fields in base-256. */
  base256?: Array<'uid' | 'gid' | 'size' | 'mtime'>;
}

function putString(b: Buffer, off: number, len: number, s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > len) throw new Error(`field too long: ${s}`);
  bytes.copy(b, off);
}

function putOctal(b: Buffer, off: number, len: number, v: number): void {
  putString(b, off, len, v.toString(8).padStart(len - 1, '0') + '\0');
}

function putBase256(b: Buffer, off: number, len: number, v: number): void {
  let x = BigInt(v);
  for (let i = len - 1; i >= 0; i--) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[off] |= 0x80;
}

/** One 512-byte header block with a correct checksum. */
export function header(spec: HeaderSpec): Buffer {
  const b = Buffer.alloc(512);
  putString(b, 0, 100, spec.name);
  const nums: Array<[keyof HeaderSpec & ('mode' | 'uid' | 'gid' | 'size' | 'mtime'), number, number, number]> = [
    ['mode', 100, 8, spec.mode ?? 0o644],
    ['uid', 108, 8, spec.uid ?? 0],
    ['gid', 116, 8, spec.gid ?? 0],
    ['size', 124, 12, spec.size ?? 0],
    ['mtime', 136, 12, spec.mtime ?? 1700000000],
  ];
  for (const [key, off, len, v] of nums) {
    if (spec.base256?.includes(key as 'uid')) putBase256(b, off, len, v);
    else putOctal(b, off, len, v);
  }
  b[156] = (spec.flag ?? '0').charCodeAt(0);
  putString(b, 157, 100, spec.linkname ?? '');
  const magic = spec.magic ?? 'posix';
  if (magic === 'posix') {
    putString(b, 257, 6, 'ustar\0');
    putString(b, 263, 2, '00');
  } else if (magic === 'gnu') {
    putString(b, 257, 8, 'ustar  \0');
  }
  if (magic !== 'v7') {
    putString(b, 265, 32, spec.uname ?? '');
    putString(b, 297, 32, spec.gname ?? '');
    putOctal(b, 329, 8, spec.devmajor ?? 0);
    putOctal(b, 337, 8, spec.devminor ?? 0);
  }
  if (spec.prefix) putString(b, 345, 155, spec.prefix);
  fixChecksum(b);
  return b;
}

/** Recomputes the checksum of a header block in place. */
export function fixChecksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i];
  putString(b, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
}

function pad(data: Buffer): Buffer {
  const rem = data.length % 512;
  return rem ? Buffer.concat([data, Buffer.alloc(512 - rem)]) : data;
}

/** PAX record body from key/value pairs (values may be binary). */
export function paxBody(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(records)) {
    const val = Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8');
    const rest = Buffer.concat([Buffer.from(` ${k}=`), val, Buffer.from('\n')]);
    let len = rest.length + 1;
    while (String(len).length + rest.length !== len) len = String(len).length + rest.length;
    parts.push(Buffer.from(String(len)), rest);
  }
  return Buffer.concat(parts);
}

export interface EntrySpec extends HeaderSpec {
  /** Body for files; sets size unless size is given. */
  body?: Buffer | string;
  /** PAX extended records emitted in an 'x' header before this entry. */
  pax?: Record<string, string | Buffer>;
  /** GNU long name emitted in an 'L' header before this entry. */
  longName?: string;
  /** GNU long link emitted in a 'K' header before this entry. */
  longLink?: string;
}

/** The blocks of one entry (extended headers, header, padded body). */
export function entry(spec: EntrySpec): Buffer {
  const out: Buffer[] = [];
  if (spec.longName !== undefined) {
    const body = Buffer.from(spec.longName + '\0');
    out.push(header({ name: '././@LongLink', flag: 'L', size: body.length, magic: 'gnu' }), pad(body));
  }
  if (spec.longLink !== undefined) {
    const body = Buffer.from(spec.longLink + '\0');
    out.push(header({ name: '././@LongLink', flag: 'K', size: body.length, magic: 'gnu' }), pad(body));
  }
  if (spec.pax) {
    const body = paxBody(spec.pax);
    out.push(header({ name: 'PaxHeaders/x', flag: 'x', size: body.length }), pad(body));
  }
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(spec.body) ? spec.body : Buffer.from(spec.body);
  out.push(header({ ...spec, size: spec.size ?? body.length }), pad(body));
  return Buffer.concat(out);
}

/** A whole archive: entries then the two zero blocks. */
export function tar(entries: Array<EntrySpec | Buffer>, opts: { trailer?: boolean } = {}): Buffer {
  const parts = entries.map((e) => (Buffer.isBuffer(e) ? e : entry(e)));
  if (opts.trailer !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A Readable delivering buf in chunks of the given size (tests chunk-boundary handling). */
export function streamOf(buf: Buffer, chunkSize = 65536): Readable {
  function* gen(): Generator<Buffer> {
    for (let off = 0; off < buf.length; off += chunkSize) yield buf.subarray(off, off + chunkSize);
  }
  return Readable.from(gen(), { objectMode: false });
}

/** A fresh temp dir; remove with cleanup(). */
export function tmpdir(prefix = 'pier-tar-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function cleanup(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Every path under root (relative, sorted), not following symlinks. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(r);
      if (fs.lstatSync(path.join(root, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  return out.sort();
}
