// Registry errors: distribution-spec JSON error bodies and network failures turned into
// one-line messages in the style podman (containers/image, Go's net/http) prints.
import { NotFoundError, PierError } from '../../util/errors';

/** One entry of a registry's `{"errors":[...]}` body. */
export interface ErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** Fields every registry error carries, for callers that branch on them. */
export interface RegistryErrorInfo {
  /** HTTP status, when the registry answered. */
  status?: number;
  /** Same as status (some callers look for statusCode). */
  statusCode?: number;
  /** First registry error code (MANIFEST_UNKNOWN...) or a Node network code (ECONNRESET...). */
  code?: string;
}

/** A registry answered with an error status. */
export class RegistryError extends PierError implements RegistryErrorInfo {
  readonly statusCode: number;
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(message, undefined, status >= 400 && status < 600 ? status : 500);
    this.name = 'RegistryError';
    this.statusCode = status;
  }
}

/** The registry does not know the manifest, repository or blob (404). */
export class RegistryNotFoundError extends NotFoundError implements RegistryErrorInfo {
  readonly statusCode: number;
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(message);
    this.name = 'RegistryNotFoundError';
    this.statusCode = status;
  }
}

/** Credentials were refused (login, token endpoint). */
export class RegistryAuthError extends PierError implements RegistryErrorInfo {
  readonly statusCode: number;
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(message);
    this.name = 'RegistryAuthError';
    this.statusCode = status;
  }
}

/** The connection failed (refused, timed out, reset, TLS). `code` is Node's error code. */
export class RegistryNetworkError extends PierError implements RegistryErrorInfo {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'RegistryNetworkError';
  }
}

/** Content did not match what was promised (digest, size, manifest). */
export class RegistryContentError extends PierError {
  constructor(message: string) {
    super(message);
    this.name = 'RegistryContentError';
  }
}

const NOT_FOUND_CODES = new Set(['MANIFEST_UNKNOWN', 'NAME_UNKNOWN', 'BLOB_UNKNOWN', 'BLOB_UPLOAD_UNKNOWN']);

/** Parse a registry error body; undefined when it is not the spec's JSON. */
export function parseErrorBody(body: Buffer): ErrorEntry[] | undefined {
  if (body.length === 0) return undefined;
  try {
    const doc = JSON.parse(body.toString('utf8')) as { errors?: unknown; details?: unknown };
    if (Array.isArray(doc.errors)) {
      return doc.errors
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
        .map((e) => ({ code: String(e.code ?? 'UNKNOWN'), message: typeof e.message === 'string' ? e.message : undefined, detail: e.detail }));
    }
  } catch {
    /* not JSON */
  }
  return undefined;
}

/** `manifest unknown`, `name unknown: repository name not known to registry`, ... */
export function describeEntry(e: ErrorEntry): string {
  const desc = e.code.toLowerCase().replace(/_/g, ' ');
  if (!e.message || e.message.toLowerCase() === desc) return desc;
  return `${desc}: ${e.message}`;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  409: 'Conflict', 413: 'Request Entity Too Large', 416: 'Requested Range Not Satisfiable', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusText(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

/** Build the error for an HTTP error response; `context` prefixes the message. */
export function httpError(context: string, status: number, body: Buffer): PierError {
  const entries = parseErrorBody(body);
  let detail: string;
  if (entries && entries.length) detail = entries.map(describeEntry).join('; ');
  // distribution's client: a 401 without an error body is ErrorCodeUnauthorized's own text.
  else if (status === 401) detail = 'unauthorized: authentication required';
  else if (status === 403) detail = 'requested access to the resource is denied';
  else if (status === 404) detail = 'not found';
  else if (status === 429) detail = 'toomanyrequests: too many requests';
  else detail = `received unexpected HTTP status: ${statusText(status)}`;
  const code = entries?.[0]?.code;
  const msg = context ? `${context}: ${detail}` : detail;
  if (status === 404 || (code && NOT_FOUND_CODES.has(code))) return new RegistryNotFoundError(msg, status, code);
  return new RegistryError(msg, status, code);
}

/** Go's wording for a Node socket error, e.g. `dial tcp 127.0.0.1:1: connect: connection refused`. */
export function describeNetError(err: NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string }, host: string): string {
  const addr = err.address ? (err.address.includes(':') ? `[${err.address}]` : err.address) + (err.port ? `:${err.port}` : '') : host;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${addr}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${addr}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${addr}: connect: network is unreachable`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `dial tcp: lookup ${err.hostname ?? host.replace(/:\d+$/, '')}: ${err.code === 'EAI_AGAIN' ? 'Temporary failure in name resolution' : 'no such host'}`;
    case 'ECONNECTTIMEOUT':
      return `dial tcp ${host}: i/o timeout`;
    case 'ETIMEDOUT':
      return `read tcp ${host}: i/o timeout`;
    case 'ECONNRESET':
      return `read tcp ${addr}: read: connection reset by peer`;
    case 'EPIPE':
      return `write tcp ${addr}: write: broken pipe`;
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      if (/wrong version number|packet length too long|http request/i.test(err.message)) return 'http: server gave HTTP response to HTTPS client';
      return `remote error: tls: ${err.message}`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'CERT_HAS_EXPIRED':
      return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${host.replace(/:\d+$/, '')}`;
    default:
      return err.message;
  }
}

/** Codes worth retrying (the request may succeed on a fresh connection). */
export const TRANSIENT_NET_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Is `err` a failure a retry might fix (network hiccup, 5xx, 429)? */
export function isTransient(err: unknown): boolean {
  if (err instanceof RegistryError) return err.status >= 500 || err.status === 429 || err.status === 408;
  if (err instanceof RegistryNetworkError) return err.code !== undefined && TRANSIENT_NET_CODES.has(err.code);
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && TRANSIENT_NET_CODES.has(code);
}
