// Compressed tar streams: the compression is told by the magic bytes (as containers/storage's
// archive.DecompressStream does) and undone as the data flows. gzip is Node's zlib; bzip2, xz
// and zstd, which Node has no decompressor for, go through Debian's `bzip2 -dc`, `xz -dc` and
// `zstd -dc`. Modules load on first use: `run` and the store reach this file without them.
import type { Readable } from 'node:stream';
import { PierError } from '../../util/errors';

export type Compression = 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** How many leading bytes `detectCompression` needs. */
export const MAGIC_BYTES = 6;

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The compression a stream starting with `head` uses, or null (plain data). */
export function detectCompression(head: Buffer): Compression | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(XZ_MAGIC)) return 'xz';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return null;
}

/**
 * A stream stage that decompresses `c`. An external decompressor's failure (corrupt input) fails
 * the stream with `${what}: ` and the tool's message, before the reader sees a short stream.
 */
export function decompressor(c: Compression, what = `decompressing ${c} data`, gzipOpts?: import('node:zlib').ZlibOptions): NodeJS.ReadWriteStream {
  if (c === 'gzip') return (require('node:zlib') as typeof import('node:zlib')).createGunzip(gzipOpts);
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const { PassThrough, Duplex } = require('node:stream') as typeof import('node:stream');
  // bzip2 -q would also drop the reason a corrupt input fails.
  const child = spawn(c, c === 'bzip2' ? ['-dc'] : ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  // The output ends only once the tool has exited, so a corrupt input fails the stream with its
  // message rather than as a truncated archive.
  const out = new PassThrough();
  child.stdout.pipe(out, { end: false });
  const duplex = Duplex.from({ writable: child.stdin, readable: out });
  const fail = (msg: string) => { const e = new PierError(`${what}: ${msg}`); out.destroy(e); duplex.destroy(e); };
  child.stdin.on('error', () => undefined); // EPIPE when the tool gives up early: its exit tells why
  child.on('error', (e) => fail((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${c} is not installed` : e.message));
  child.on('close', (code) => {
    if (code) fail(toolMessage(err) || `${c} exited ${code}`);
    else out.end();
  });
  duplex.on('close', () => { if (child.exitCode === null) child.kill(); });
  return duplex;
}

/** The reason in a decompressor's stderr: its first line without the tool's and stdin's names. */
function toolMessage(stderr: string): string {
  const line = stderr.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
  return line.replace(/^(bzip2|xz|zstd): /, '').replace(/^(\(stdin\)|\/\*stdin\*\\) ?: ?/, '').replace(/[;.\s]+$/, '');
}

/**
 * Read a stream's first `n` bytes (fewer when it is shorter) and give back a stream of the whole
 * input, those bytes included.
 */
export async function peekStream(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const got: Buffer[] = [];
  let len = 0;
  const ended = await new Promise<boolean>((resolve, reject) => {
    const onReadable = () => {
      let c: Buffer | null;
      while (len < n && (c = input.read()) !== null) { got.push(c); len += c.length; }
      if (len < n) return;
      // Put the bytes back at once: a stream that has just given its last chunk ends on the next tick.
      cleanup(); input.unshift(Buffer.concat(got)); resolve(false);
    };
    const onEnd = () => { cleanup(); resolve(true); };
    const onError = (e: Error) => { cleanup(); reject(e); };
    const cleanup = () => { input.off('readable', onReadable); input.off('end', onEnd); input.off('error', onError); };
    input.on('readable', onReadable); input.on('end', onEnd); input.on('error', onError);
  });
  const head = Buffer.concat(got);
  if (!ended) return { head, stream: input };
  const { Readable: R } = require('node:stream') as typeof import('node:stream');
  return { head, stream: R.from(head.length ? [head] : [], { objectMode: false }) };
}

/** The stream with its compression (any of `detectCompression`'s) undone; plain data passes as is. */
export async function decompressedStream(input: Readable, what?: (c: Compression) => string): Promise<{ stream: Readable; compression: Compression | null; head: Buffer }> {
  const { head, stream } = await peekStream(input, MAGIC_BYTES);
  const compression = detectCompression(head);
  if (!compression) return { stream, compression, head };
  const d = decompressor(compression, what?.(compression)) as NodeJS.ReadWriteStream & { destroy(e?: Error): void };
  stream.on('error', (e) => d.destroy(e));
  // Input abandoned before its end (a reader that stopped early): the decompressor goes too.
  stream.on('close', () => { if (!stream.readableEnded) d.destroy(); });
  return { stream: stream.pipe(d) as unknown as Readable, compression, head };
}

/** An archive's tar stream, its compression undone (errors say `decompressing <kind> archive`). */
export async function decompressedArchive(input: Readable): Promise<Readable> {
  return (await decompressedStream(input, (c) => `decompressing ${c} archive`)).stream;
}
