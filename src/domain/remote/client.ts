// The HTTP transport of the remote client: requests to a pier (or podman) service over a unix
// socket or TCP, JSON bodies, Libpod-style errors turned back into pier's error classes, and
// hijacked (upgraded) connections for attach.
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { PierError, NotFoundError, ConflictError, UsageError, NamespaceMismatchError, NAMESPACE_MISMATCH } from '../../util/errors';

export const LIBPOD_PREFIX = '/v4.3.1/libpod';

export interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
}

/** unix:///path, tcp://host:port (ssh:// is forwarded to a local socket by the caller). */
export function parseEndpoint(url: string): Endpoint {
  if (url.startsWith('unix://')) return { socketPath: url.slice('unix://'.length) };
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url);
  if (m) return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
  throw new UsageError(`${url}: unsupported connection URL (use unix://, tcp:// or ssh://)`);
}

/** The exit code pier's CLI gives an error message of the OCI runtime (podman's classes). */
export function exitCodeOf(msg: string): number {
  if (msg.endsWith('OCI runtime attempted to invoke a command that was not found')) return 127;
  if (msg.endsWith('OCI permission denied')) return 126;
  return 125;
}

export function errorFrom(status: number, body: string): PierError {
  let msg = body.trim();
  let exit: number | undefined;
  try { const j = JSON.parse(body); msg = j.message ?? j.cause ?? msg; exit = j.pier_exit_code; } catch { /* plain text */ }
  if (typeof exit === 'number' && exit !== 125) return new PierError(msg, exit);
  if (exitCodeOf(msg) !== 125) return new PierError(msg, exitCodeOf(msg));
  if (status === 404) return new NotFoundError(msg);
  if (msg.endsWith(NAMESPACE_MISMATCH)) return new NamespaceMismatchError(msg);
  if (status === 409) return new ConflictError(msg);
  if (status === 400) return new UsageError(msg);
  return new PierError(msg);
}

export class ApiClient {
  constructor(readonly endpoint: Endpoint, readonly url: string) {}

  private options(method: string, p: string, headers: Record<string, string> = {}): http.RequestOptions {
    return { ...this.endpoint, method, path: p.startsWith('/libpod') ? LIBPOD_PREFIX + p.slice('/libpod'.length) : p, headers };
  }

  /** Sends a request; resolves with the raw response (any status). */
  raw(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(this.options(method, p, { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}), ...headers }), resolve);
      req.on('error', (e) => reject(new PierError(`unable to connect to the pier service at ${this.url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      if (data) req.write(data);
      req.end();
    });
  }

  /** A JSON request; non-2xx answers throw the matching PierError. */
  async json<T = any>(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await this.raw(method, p, body, headers);
    const text = await readText(res);
    if ((res.statusCode ?? 500) >= 300 && res.statusCode !== 304) throw errorFrom(res.statusCode ?? 500, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A request answered with a status only (204/404 for exists). */
  async status(method: string, p: string): Promise<number> {
    const res = await this.raw(method, p);
    res.resume();
    return res.statusCode ?? 0;
  }

  /** Whether an object exists (204, else 404); another answer (another namespace's container) throws its error. */
  async exists(p: string): Promise<boolean> {
    const res = await this.raw('GET', p);
    const code = res.statusCode ?? 500;
    if (code === 204 || code === 404) { res.resume(); return code === 204; }
    throw errorFrom(code, await readText(res));
  }

  /** A streamed response; each chunk goes to `onData`; errors in the status line throw. */
  async stream(method: string, p: string, onData: (chunk: Buffer) => void, body?: unknown, headers: Record<string, string> = {}): Promise<void> {
    const res = await this.raw(method, p, body, headers);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, await readText(res));
    await new Promise<void>((resolve, reject) => {
      res.on('data', onData);
      res.on('end', resolve);
      res.on('error', reject);
    });
  }

  /** Sends a stream (a tarball) as the body; resolves with the raw response. */
  upload(method: string, p: string, body: NodeJS.ReadableStream, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.options(method, p, { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked', ...headers }), resolve);
      req.on('error', (e) => reject(new PierError(`unable to connect to the pier service at ${this.url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      body.on('error', (e) => { req.destroy(); reject(new PierError(errorMessageOf(e))); });
      body.pipe(req);
    });
  }

  /** An upgraded (hijacked) connection, as attach uses. */
  hijack(p: string, body?: unknown): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = http.request(this.options('POST', p, {
        Connection: 'Upgrade', Upgrade: 'tcp', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}),
      }));
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', async (res) => reject(errorFrom(res.statusCode ?? 500, await readText(res))));
      req.on('error', (e) => reject(new PierError(`unable to connect to the pier service at ${this.url}: ${e.message}`)));
      if (data) req.write(data);
      req.end();
    });
  }
}

function errorMessageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function readText(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let t = '';
    res.setEncoding('utf8');
    res.on('data', (d) => (t += d));
    res.on('end', () => resolve(t));
    res.on('error', reject);
  });
}

/** Splits Docker's multiplexed stream into stdout/stderr writes. */
export function demux(out: (b: Buffer) => void, err: (b: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4);
      if (buf.length < 8 + size) break;
      const payload = buf.subarray(8, 8 + size);
      (buf[0] === 2 ? err : out)(payload);
      buf = buf.subarray(8 + size);
    }
  };
}
