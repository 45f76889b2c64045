// Minimal HTTP(S) transport for the registry client on Node's http/https modules:
// shared keep-alive agents, a connect timeout that fails fast, an idle timeout, streamed
// request bodies and redirect following (dropping credentials when the host changes).
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable, pipeline } from 'node:stream';
import { RegistryNetworkError, describeNetError } from './errors';

export interface TlsOptions {
  /** Verify server certificates (false for insecure registries / --tls-verify=false). */
  verify: boolean;
  /** Extra CA certificates (PEM). */
  ca?: Buffer[];
  /** Client certificate and key (PEM). */
  cert?: Buffer;
  key?: Buffer;
}

export interface SendOptions {
  method: string;
  url: URL;
  headers?: Record<string, string | number | undefined>;
  /** A buffer, or a stream piped as the body (set content-length in headers). */
  body?: Buffer | Readable;
  tls: TlsOptions;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
}

const AGENT_OPTS = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 32, maxFreeSockets: 16, timeout: 30_000 } as const;
const httpAgent = new http.Agent(AGENT_OPTS);
const httpsAgents = new Map<string, https.Agent>();

function agentFor(url: URL, tls: TlsOptions): http.Agent {
  if (url.protocol === 'http:') return httpAgent;
  // Agents with custom certificates are per host; the plain ones are shared.
  const k = !tls.ca && !tls.cert ? String(tls.verify)
    : `${tls.verify}|` + createHash('sha256').update(Buffer.concat([...(tls.ca ?? []), tls.cert ?? Buffer.alloc(0), tls.key ?? Buffer.alloc(0)])).digest('hex');
  let a = httpsAgents.get(k);
  if (!a) {
    a = new https.Agent({ ...AGENT_OPTS, rejectUnauthorized: tls.verify, ca: tls.ca, cert: tls.cert, key: tls.key });
    httpsAgents.set(k, a);
  }
  return a;
}

/** Go-style description of a failed request: `Get "https://h/v2/": dial tcp ...`. */
export function requestFailure(method: string, url: URL, err: NodeJS.ErrnoException): RegistryNetworkError {
  const m = method[0] + method.slice(1).toLowerCase();
  const e = new RegistryNetworkError(`${m} "${url.href}": ${describeNetError(err, url.host)}`, err.code);
  return e;
}

/**
 * Send one request and resolve with the response once its headers arrive (the body is left
 * unread for the caller). Connection failures reject with a RegistryNetworkError.
 */
export function send(o: SendOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = o.url.protocol === 'https:' ? https : http;
    const headers: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k] = v;
    if (Buffer.isBuffer(o.body)) headers['content-length'] = o.body.length;
    else if (!o.body && o.method !== 'GET' && o.method !== 'HEAD' && headers['content-length'] === undefined) headers['content-length'] = 0;
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    const fail = (err: NodeJS.ErrnoException): void => {
      if (connectTimer) clearTimeout(connectTimer);
      if (settled) return;
      settled = true;
      reject(requestFailure(o.method, o.url, err));
    };
    const req = mod.request(o.url, { method: o.method, headers, agent: agentFor(o.url, o.tls) });
    req.on('socket', (sock) => {
      const connecting = (sock as unknown as { connecting?: boolean }).connecting;
      if (!connecting) return;
      connectTimer = setTimeout(() => {
        const e: NodeJS.ErrnoException = new Error('connect timeout');
        e.code = 'ECONNECTTIMEOUT';
        req.destroy(e);
      }, o.connectTimeoutMs);
      const clear = (): void => {
        if (connectTimer) clearTimeout(connectTimer);
      };
      sock.once(o.url.protocol === 'https:' ? 'secureConnect' : 'connect', clear);
      sock.once('close', clear);
    });
    req.setTimeout(o.idleTimeoutMs, () => {
      const e: NodeJS.ErrnoException = new Error('idle timeout');
      e.code = 'ETIMEDOUT';
      req.destroy(e);
    });
    req.on('error', fail);
    req.on('response', (res) => {
      if (connectTimer) clearTimeout(connectTimer);
      if (settled) {
        res.resume();
        return;
      }
      settled = true;
      // Idle timeouts keep applying while the caller reads the body.
      res.on('error', () => undefined);
      resolve(res);
    });
    if (o.body instanceof Readable) {
      pipeline(o.body, req, (err) => {
        if (err && !settled) fail(err as NodeJS.ErrnoException);
      });
    } else {
      req.end(o.body);
    }
  });
}

/** Read a whole response body, refusing more than `limit` bytes. */
export function readBody(res: http.IncomingMessage, limit = 8 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    res.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        res.destroy();
        reject(new RegistryNetworkError(`response body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', (err: NodeJS.ErrnoException) => reject(new RegistryNetworkError(`reading response: ${describeNetError(err, '')}`, err.code)));
    res.on('aborted', () => {
      reject(new RegistryNetworkError('reading response: connection reset by peer', 'ECONNRESET'));
    });
  });
}

/** Drain and discard a response body (so the socket can be reused). */
export function discard(res: http.IncomingMessage): void {
  res.resume();
}

export function isRedirect(status: number | undefined): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}
