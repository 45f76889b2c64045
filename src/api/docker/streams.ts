// Docker's stream formats: the multiplexed stream (an 8-byte header per frame: stream byte
// 0 stdin / 1 stdout / 2 stderr, three zero bytes, big-endian 32-bit length) used for attach,
// exec and logs without a TTY; raw bytes with one.
import { Writable } from 'node:stream';

export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW = 'application/vnd.docker.raw-stream';

/** One frame of the multiplexed stream. */
export function frame(stream: 0 | 1 | 2, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

/** Where output goes: something with write() (a socket or an HTTP response). */
export interface Sink {
  write(b: Buffer | string, cb?: (err?: Error | null) => void): boolean;
  once(ev: 'drain', fn: () => void): unknown;
  destroyed?: boolean;
  writableEnded?: boolean;
}

/** A Writable that frames what it gets as `stream` (or passes it through raw) onto `sink`. */
export function streamWriter(sink: Sink, stream: 1 | 2, raw: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (sink.destroyed || sink.writableEnded) { cb(); return; }
      const data = raw ? chunk : frame(stream, chunk);
      if (sink.write(data)) cb(); else sink.once('drain', () => cb());
    },
  });
}
