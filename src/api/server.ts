// The REST service (`pier system service`): one HTTP server answering the Docker-compatible and the
// Libpod APIs over the same engines the CLI uses. It listens on a unix socket, a TCP address or a
// socket passed by systemd (LISTEN_FDS), tells systemd it is ready when started with NOTIFY_SOCKET
// (engine/sdnotify.ts), and exits after `idleSeconds` without requests (0 = never).
import * as http from 'node:http';
import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Engines } from '../domain/engines';
import type { EngineConfig } from '../config/config';
import { ApiRequest, Router, splitVersion, checkDockerVersion, MAX_JSON_BODY, DOCKER_API_VERSION, LIBPOD_API_VERSION } from './router';
import { ApiError, errorBody, sendError } from './errors';
import { parseGoJson } from './go-json';
import { registerDockerRoutes } from './docker';
import { registerLibpodRoutes } from './libpod';
import { log } from '../util/log';
import { notifyServiceReady } from '../engine/sdnotify';
import { defaultServiceSocket } from '../config/paths';

export interface ServiceOptions {
  /** unix:///path, tcp://host:port, or undefined to use LISTEN_FDS (systemd) or the default socket. */
  uri?: string;
  /** Seconds without requests before the service exits; 0 = never. */
  idleSeconds: number;
  /** Access-Control-Allow-Origin value (--cors). */
  cors?: string;
}

export function buildRouter(): Router {
  const router = new Router();
  registerLibpodRoutes(router);
  registerDockerRoutes(router);
  return router;
}

/** Headers every answer carries, as podman's service sends them. */
function commonHeaders(cors?: string): Record<string, string> {
  return {
    'Api-Version': DOCKER_API_VERSION,
    'Libpod-Api-Version': LIBPOD_API_VERSION,
    'Server': `Libpod/${LIBPOD_API_VERSION} (linux)`,
    'Ostype': 'linux',
    ...(cors ? { 'Access-Control-Allow-Origin': cors } : {}),
  };
}

/** How long close() lets requests under way finish before it closes their connections. */
const CLOSE_GRACE_MS = 5000;

export class ApiService {
  readonly router = buildRouter();
  readonly server: http.Server;
  private active = 0;
  private idleTimer?: NodeJS.Timeout;
  private socketPath?: string;
  /** The inode of the socket this service made: a successor may own the path by the time it exits. */
  private socketIno?: number;
  private closed?: Promise<void>;
  private resolveClosed?: () => void;
  /** Every open connection, hijacked and upgraded ones too (the HTTP server stops tracking those). */
  private readonly sockets = new Set<Duplex>();

  constructor(readonly engines: Engines, readonly cfg: EngineConfig, readonly opts: ServiceOptions) {
    this.server = http.createServer({ keepAliveTimeout: 5000 });
    this.server.on('connection', (s: Duplex) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('request', (req, res) => this.dispatch(req, res, undefined, undefined));
    this.server.on('upgrade', (req, socket: Duplex, head: Buffer) => this.dispatch(req, undefined, socket, head));
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"message":"bad request"}\n');
      else socket.destroy();
    });
  }

  /** Starts listening; resolves with the address in URI form. */
  async listen(): Promise<string> {
    const fds = Number(process.env.LISTEN_FDS || 0);
    if (!this.opts.uri && fds > 0 && (!process.env.LISTEN_PID || Number(process.env.LISTEN_PID) === process.pid)) {
      // systemd socket activation: the socket is fd 3.
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({ fd: 3 }, () => resolve());
      });
      delete process.env.LISTEN_FDS; delete process.env.LISTEN_PID; delete process.env.LISTEN_FDNAMES;
      this.armIdle();
      notifyServiceReady();
      return 'fd://3';
    }
    const uri = this.opts.uri ?? defaultServiceUri(this.cfg);
    const u = parseServiceUri(uri);
    if (u.kind === 'unix') {
      fs.mkdirSync(path.dirname(u.path), { recursive: true });
      await removeStaleSocket(u.path);
      // Keep other users out: the socket is created 0660 (root's group) or 0600 (a user's).
      const old = process.umask(process.getuid?.() === 0 ? 0o117 : 0o177);
      try {
        await new Promise<void>((resolve, reject) => {
          this.server.once('error', reject);
          this.server.listen(u.path, () => resolve());
        });
      } finally {
        process.umask(old);
      }
      this.socketPath = u.path;
      this.socketIno = fs.statSync(u.path).ino;
    } else {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(u.port, u.host, () => resolve());
      });
    }
    this.logStart(uri);
    this.armIdle();
    notifyServiceReady();
    return uri;
  }

  /** podman's lines when its service starts (info: where; debug: the CORS setting). */
  private logStart(uri: string): void {
    const addr = this.server.address();
    const where = typeof addr === 'string' ? addr : addr ? `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : uri;
    log.info(`API service listening on ${JSON.stringify(where)}. URI: ${JSON.stringify(uri)}`);
    if (this.opts.cors) log.debug(`CORS Headers were set to ${JSON.stringify(this.opts.cors)}`);
    else log.debug('CORS Headers were not set');
  }

  /** Resolves when the service stopped (idle timeout or close()). */
  wait(): Promise<void> {
    if (!this.closed) this.closed = new Promise((r) => { this.resolveClosed = r; });
    return this.closed;
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Idle keep-alive connections end now; requests under way (an attach, a log or events
    // stream a client never ends) get a few seconds, then their connections are closed too,
    // so a stopped service always exits.
    this.server.closeIdleConnections?.();
    const force = setTimeout(() => { for (const s of this.sockets) s.destroy(); }, CLOSE_GRACE_MS);
    force.unref();
    await closed;
    clearTimeout(force);
    // Not a successor's socket: a new service may have bound the path while this one drained.
    if (this.socketPath && fs.statSync(this.socketPath, { throwIfNoEntry: false })?.ino === this.socketIno) fs.rmSync(this.socketPath, { force: true });
    this.wait();
    this.resolveClosed?.();
  }

  private armIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (!this.opts.idleSeconds || this.active > 0) return;
    this.idleTimer = setTimeout(() => {
      log.debug(`service idle for ${this.opts.idleSeconds}s, exiting`);
      // Idle keep-alive connections must not hold the process open.
      this.server.closeIdleConnections?.();
      void this.close();
    }, this.opts.idleSeconds * 1000);
  }

  private begin(): () => void {
    this.active++;
    if (this.idleTimer) { clearTimeout(this.idleTimer); this.idleTimer = undefined; }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.armIdle();
    };
  }

  private async dispatch(req: http.IncomingMessage, res: http.ServerResponse | undefined, socket: Duplex | undefined, head: Buffer | undefined): Promise<void> {
    const end = this.begin();
    const url = new URL(req.url ?? '/', 'http://d');
    const { version, path: p } = splitVersion(url.pathname);
    const libpod = p.startsWith('/libpod/') || p === '/libpod';
    const method = (req.method ?? 'GET').toUpperCase();
    log.debug(`api: ${method} ${req.url}`);
    let hijacked = false;
    if (res) res.on('close', end);
    else socket!.on('close', end);
    // A client that went away must never take the service down with an unhandled 'error'.
    if (res) res.on('error', () => undefined);
    else socket!.on('error', () => socket!.destroy());
    const headers = commonHeaders(this.opts.cors);
    const fail = (err: unknown) => {
      if (hijacked) { socket?.destroy(); res?.socket?.destroy(); return; }
      if (res) { for (const [k, v] of Object.entries(headers)) if (!res.headersSent) res.setHeader(k, v); sendError(res, err, libpod); return; }
      const { status, body } = errorBody(err, libpod);
      const text = JSON.stringify(body) + '\n';
      socket!.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
    };
    try {
      if (method === 'OPTIONS' && res) {
        res.writeHead(200, { ...headers, 'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, HEAD', 'Access-Control-Allow-Headers': '*' });
        res.end();
        return;
      }
      if (!libpod) checkDockerVersion(version);
      const m = this.router.match(method, p);
      if (!m) throw new ApiError(404, `page not found`);
      if ('methodMismatch' in m) throw new ApiError(405, `method not allowed`);
      let bodyPromise: Promise<Buffer> | undefined;
      const readBody = () => {
        if (!bodyPromise) {
          if (socket) {
            // An upgrade request: the body (Content-Length bytes) comes first on the raw connection;
            // what follows it is the hijacked stream.
            bodyPromise = readUpgradeBody(socket, Number(req.headers['content-length'] ?? 0), head ?? Buffer.alloc(0)).then(({ body, rest }) => {
              head = rest;
              return body;
            });
          } else bodyPromise = readAll(req, MAX_JSON_BODY, head);
        }
        return bodyPromise;
      };
      const r: ApiRequest = {
        method, path: p, params: m.params, query: url.searchParams, version, libpod, req, res,
        engines: this.engines, cfg: this.cfg, upgrade: !!socket,
        body: readBody,
        async json<T>() {
          const b = await readBody();
          if (b.length === 0) return undefined;
          try {
            return parseGoJson(b.toString('utf8')) as T;
          } catch (e) {
            throw new ApiError(400, `failed to decode JSON body: ${(e as Error).message}`);
          }
        },
        send(status: number, body?: unknown, extra?: Record<string, string>) {
          if (!res) throw new ApiError(400, 'this endpoint does not upgrade connections');
          const noBody = status === 204 || status === 304 || body === undefined;
          const text = noBody ? '' : JSON.stringify(body) + '\n';
          res.writeHead(status, { ...headers, ...(noBody ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) }), ...extra });
          res.end(method === 'HEAD' ? undefined : text);
        },
        hijack(contentType: string): Duplex {
          hijacked = true;
          // A client hanging up mid-stream makes writes fail (EPIPE/ECONNRESET): that ends the stream, never the service.
          const quiet = (s: Duplex) => { s.on('error', () => s.destroy()); return s; };
          if (socket) {
            const hdr = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
            socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${hdr}\r\n`);
            // A body read with json()/body() was taken off `head`; what is left is stream data.
            if (head && head.length) socket.unshift(head);
            return quiet(socket);
          }
          // A plain request: answer 200 and hand over the raw connection (output only is reliable here).
          const s = res!.socket!;
          const hdr = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
          res!.detachSocket(s);
          s.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n${hdr}\r\n`);
          return quiet(s);
        },
      };
      if (res) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      // An upgrade request's body (dockerode sends its options as JSON) must be off the connection
      // before the handler hijacks it, read or not.
      if (socket && Number(req.headers['content-length'] ?? 0) > 0) await readBody();
      await m.handler(r);
      if (socket && !hijacked && !socket.destroyed) socket.end();
    } catch (err) {
      log.debug(`api: ${method} ${req.url}: ${(err as Error)?.message}`);
      fail(err);
    }
  }
}

/** The body of an upgrade request: `length` bytes from `head` and then the socket; the rest is the stream's. */
function readUpgradeBody(socket: Duplex, length: number, head: Buffer): Promise<{ body: Buffer; rest: Buffer }> {
  if (!Number.isFinite(length) || length < 0) return Promise.reject(new ApiError(400, 'invalid Content-Length'));
  if (length > MAX_JSON_BODY) return Promise.reject(new ApiError(413, `request body too large (limit ${MAX_JSON_BODY} bytes)`));
  if (head.length >= length) return Promise.resolve({ body: head.subarray(0, length), rest: head.subarray(length) });
  return new Promise((resolve, reject) => {
    let buf = head;
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length < length) return;
      cleanup();
      socket.pause();
      resolve({ body: buf.subarray(0, length), rest: buf.subarray(length) });
    };
    const onEnd = () => { cleanup(); reject(new ApiError(400, 'connection closed before the request body was complete')); };
    const cleanup = () => { socket.off('data', onData); socket.off('end', onEnd); socket.off('close', onEnd); };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
  });
}

/** Reads a request body up to `limit` bytes (a 413 beyond it). */
function readAll(req: http.IncomingMessage, limit: number, head?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = head && head.length ? [head] : [];
    let size = head?.length ?? 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new ApiError(413, `request body too large (limit ${limit} bytes)`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export type ServiceUri = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/**
 * The service's listening address, read as podman's (Go's url.Parse): `unix:///path` or
 * `unix:/path`; `tcp://host:port` or `tcp:host:port` (an empty host: every address). pier also
 * takes a bare absolute path as a unix socket.
 */
export function parseServiceUri(uri: string): ServiceUri {
  if (uri.startsWith('/')) return { kind: 'unix', path: uri };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(uri);
  // Go: no scheme at all is a path (refused below); a colon before any '/' without one is invalid.
  if (!m && /^[^/]*:/.test(uri)) throw new ApiError(400, `${uri} is an invalid socket destination`);
  const scheme = m ? m[1].toLowerCase() : '';
  const rest = m ? m[2] : uri;
  if (scheme === 'unix') {
    const p = rest.startsWith('//') ? rest.slice(2) : rest;
    if (!p.startsWith('/')) throw new ApiError(400, `invalid socket path in ${uri}: must be absolute`);
    return { kind: 'unix', path: p };
  }
  if (scheme === 'tcp') {
    const hostPort = (rest.startsWith('//') ? rest.slice(2) : rest).replace(/\/$/, '');
    const hp = /^(\[[^\]]+\]|[^:/[\]]*):(\d+)$/.exec(hostPort);
    if (!hp || Number(hp[2]) > 65535) throw new ApiError(400, `unable to create socket ${hostPort}: listen tcp: address ${hostPort}: invalid address`);
    return { kind: 'tcp', host: hp[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(hp[2]) };
  }
  throw new ApiError(400, `API Service endpoint scheme ${JSON.stringify(scheme)} is not supported. Try tcp://${uri} or unix:/${uri}`);
}

/** /run/pier/pier.sock for root, $XDG_RUNTIME_DIR/pier/pier.sock for users. */
export function defaultServiceUri(_cfg?: EngineConfig, env: NodeJS.ProcessEnv = process.env): string {
  return `unix://${defaultServiceSocket(env)}`;
}

/** Removes a socket file nobody answers on (left by a killed service); refuses a live one. */
async function removeStaleSocket(p: string): Promise<void> {
  if (!fs.existsSync(p)) return;
  const live = await new Promise<boolean>((resolve) => {
    const c = net.connect(p);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  if (live) throw new ApiError(500, `${p} is in use by another service`);
  fs.rmSync(p, { force: true });
}
