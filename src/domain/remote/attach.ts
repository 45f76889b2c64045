// The client side of a hijacked attach or exec connection: the local terminal in raw mode when
// the container has one, stdin forwarded (its end half-closes the connection), the output
// demultiplexed (or raw with a terminal) onto stdout/stderr, and terminal size changes sent to
// the service.
import type { Duplex } from 'node:stream';
import { demux } from './client';
import { userTerminalSize } from '../../util/tty-size';

export interface RemoteIO {
  stdin?: NodeJS.ReadableStream | null;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const processIO = (): RemoteIO => ({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });

/** The local terminal's size (stdin's, as podman's client, else stdout's). */
export function terminalSize(io: RemoteIO): { h: number; w: number } | undefined {
  const z = userTerminalSize(io.stdin, io.stdout);
  return z ? { h: z.rows, w: z.columns } : undefined;
}

/**
 * Pumps one hijacked connection until the service closes it. With `tty` and a terminal on stdin,
 * the terminal is raw meanwhile and `resize` hears about SIGWINCH.
 */
export async function pump(sock: Duplex, io: RemoteIO, o: { tty: boolean; stdin: boolean; resize?: (h: number, w: number) => void }): Promise<void> {
  const ttyIn = o.stdin && o.tty && (io.stdin as NodeJS.ReadStream)?.isTTY ? io.stdin as NodeJS.ReadStream : undefined;
  const onResize = () => { const sz = terminalSize(io); if (sz && o.resize) o.resize(sz.h, sz.w); };
  if (ttyIn) { ttyIn.setRawMode(true); process.on('SIGWINCH', onResize); }
  const write = o.tty ? (b: Buffer) => { io.stdout.write(b); } : demux((b) => { io.stdout.write(b); }, (b) => { io.stderr.write(b); });
  const input = o.stdin ? io.stdin ?? null : null;
  try {
    if (input) input.pipe(sock);
    await new Promise<void>((resolve) => {
      sock.on('data', write);
      sock.on('end', resolve);
      sock.on('close', resolve);
      sock.on('error', () => resolve());
    });
  } finally {
    if (input) { input.unpipe(sock); if ('pause' in input) (input as NodeJS.ReadStream).pause(); }
    if (ttyIn) { try { ttyIn.setRawMode(false); } catch { /* closed */ } process.off('SIGWINCH', onResize); }
    sock.destroy();
  }
}
