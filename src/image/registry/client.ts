// A registry client for the OCI distribution API (docker registry v2) on Node's http/https:
// endpoint detection (https, or http fallback for insecure registries), Basic and Bearer
// auth from WWW-Authenticate challenges, manifests, streamed and verified blobs, monolithic
// and chunked uploads with retries, cross-repository mounts, tag and catalog listing.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { PierError } from '../../util/errors';
import type { Credentials } from '../config/auth';
import { Challenge, parseChallenges } from './challenge';
import {
  RegistryAuthError,
  RegistryContentError,
  RegistryError,
  RegistryNetworkError,
  describeEntry,
  httpError,
  isTransient,
  parseErrorBody,
} from './errors';
import { TlsOptions, discard, isRedirect, readBody, send } from './http';

export { selectPlatform, choosePlatform, hostPlatform, normalizeArch, wantedPlatformText } from './platform';
export type { PlatformSpec, ManifestIndex, IndexEntry } from './platform';

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What getManifest accepts unless told otherwise. */
export const DEFAULT_MANIFEST_ACCEPT = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerList];

const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;
const MAX_ERROR_BODY = 64 * 1024;
const MAX_REDIRECTS = 10;

export interface RegistryClientOptions {
  /** Registry host[:port] as written in references (docker.io is mapped to its API host). */
  host: string;
  /** Insecure registry / --tls-verify=false: skip TLS verification and fall back to http. */
  insecure?: boolean;
  credentials?: Credentials;
  /** Request push access in every token (set for push sessions: one token serves all calls). */
  push?: boolean;
  /** Retries for transient failures (5xx, 429, connection resets); pier's --retry, default 3. */
  retries?: number;
  /** Base delay between retries, doubled each time (default 1000 ms). */
  retryDelayMs?: number;
  /** Connect timeout (default 10 s). */
  connectTimeoutMs?: number;
  /** Idle socket timeout while waiting for data (default 60 s). */
  idleTimeoutMs?: number;
  userAgent?: string;
  /** Extra CA certificates and client certificate (from certs.d / --cert-dir). */
  tls?: Omit<TlsOptions, 'verify'>;
}

export interface Manifest {
  mediaType: string;
  digest: string;
  body: Buffer;
}

export interface ManifestHead {
  mediaType: string;
  digest?: string;
  size: number;
}

export interface PingResult {
  /** `https://host` or `http://host`. */
  url: string;
  status: number;
  challenges: Challenge[];
}

interface Endpoint {
  base: URL;
  challenges: Challenge[];
}

interface Req {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path (+query) relative to the endpoint, or an absolute URL (upload locations, links). */
  path?: string;
  url?: URL;
  headers?: Record<string, string | number | undefined>;
  body?: Buffer | (() => Readable);
  scopes: string[];
  /** Statuses returned to the caller; anything else becomes an error. */
  ok: number[];
  /** Prefix for error messages. */
  context: string;
  /** Retry transient failures (default: GET/HEAD, and bodies that can be re-created). */
  retry?: boolean;
}

interface CachedToken {
  token: string;
  expires: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function digestAlgorithm(digest: string): string {
  const alg = digest.slice(0, digest.indexOf(':'));
  if (alg !== 'sha256' && alg !== 'sha512' && alg !== 'sha384') throw new RegistryContentError(`unsupported digest algorithm in ${digest}`);
  return alg;
}

function computeDigest(alg: string, data: Buffer): string {
  return `${alg}:${createHash(alg).update(data).digest('hex')}`;
}

function isDigestRef(ref: string): boolean {
  return /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/.test(ref);
}

/** The media type of a manifest whose Content-Type is missing or generic. */
export function guessManifestType(body: Buffer): string {
  try {
    const m = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (typeof m.mediaType === 'string' && m.mediaType) return m.mediaType;
    if (m.schemaVersion === 1) return Array.isArray(m.signatures) ? MEDIA_TYPES.dockerSchema1Signed : MEDIA_TYPES.dockerSchema1;
    if (Array.isArray(m.manifests)) return MEDIA_TYPES.ociIndex;
    return MEDIA_TYPES.ociManifest;
  } catch {
    return '';
  }
}

/** Parse an RFC 5988 Link header and return the rel="next" target. */
export function nextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (m && /rel="?next"?/.test(m[2])) return m[1];
  }
  return undefined;
}

/** A client for one registry host. Cheap to create; connections are pooled process-wide. */
export class RegistryClient {
  readonly host: string;
  /** The host actually contacted (registry-1.docker.io for docker.io). */
  readonly apiHost: string;
  readonly insecure: boolean;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private endpointPromise?: Promise<Endpoint>;
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pendingTokens = new Map<string, Promise<string>>();

  constructor(private readonly opts: RegistryClientOptions) {
    this.host = opts.host;
    this.apiHost = opts.host === 'docker.io' || opts.host === 'index.docker.io' ? 'registry-1.docker.io' : opts.host;
    this.insecure = opts.insecure ?? false;
    this.retries = Math.max(0, opts.retries ?? 3);
    this.retryDelayMs = opts.retryDelayMs ?? 1000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  }

  private tls(): TlsOptions {
    return { verify: !this.insecure, ...this.opts.tls };
  }

  private baseHeaders(): Record<string, string> {
    return { 'user-agent': this.opts.userAgent ?? 'pier/0.1 (containers/image compatible)' };
  }

  private repoScope(repo: string, push = this.opts.push ?? false): string {
    return `repository:${repo}:${push ? 'pull,push' : 'pull'}`;
  }

  // -------------------------------------------------------------------------------------------
  // Endpoint detection and authentication

  private async pingScheme(scheme: 'https' | 'http'): Promise<PingResult> {
    const url = new URL(`${scheme}://${this.apiHost}/v2/`);
    const res = await send({ method: 'GET', url, headers: this.baseHeaders(), tls: this.tls(), connectTimeoutMs: this.connectTimeoutMs, idleTimeoutMs: this.idleTimeoutMs });
    const status = res.statusCode ?? 0;
    if (status !== 200 && status !== 401) {
      const body = await readBody(res, MAX_ERROR_BODY).catch(() => Buffer.alloc(0));
      throw httpError('', status, body);
    }
    discard(res);
    return { url: `${scheme}://${this.apiHost}`, status, challenges: parseChallenges(res.headers['www-authenticate']) };
  }

  /**
   * GET /v2/ to find the scheme and auth challenges: https first; for insecure registries
   * http when https fails. Fails fast with `pinging container registry HOST: ...`.
   */
  async ping(): Promise<PingResult> {
    let result: PingResult;
    try {
      result = await this.pingScheme('https');
    } catch (e) {
      if (!this.insecure) throw this.pingError(e);
      try {
        result = await this.pingScheme('http');
      } catch (e2) {
        throw this.pingError(e2);
      }
    }
    return result;
  }

  private pingError(e: unknown): PierError {
    const msg = `pinging container registry ${this.host}: ${(e as Error).message}`;
    if (e instanceof RegistryError) return new RegistryError(msg, e.status, e.code);
    return new RegistryNetworkError(msg, (e as { code?: string }).code);
  }

  private endpoint(): Promise<Endpoint> {
    if (!this.endpointPromise) {
      this.endpointPromise = this.ping().then((p) => ({ base: new URL(p.url), challenges: p.challenges }));
      this.endpointPromise.catch(() => {
        this.endpointPromise = undefined;
      });
    }
    return this.endpointPromise;
  }

  private async authorization(ep: Endpoint, scopes: string[]): Promise<string | undefined> {
    for (const c of ep.challenges) {
      if (c.scheme === 'basic') {
        const cr = this.opts.credentials;
        return cr && (cr.username || cr.password) ? 'Basic ' + Buffer.from(`${cr.username}:${cr.password}`).toString('base64') : undefined;
      }
      if (c.scheme === 'bearer') return 'Bearer ' + (await this.token(c, scopes));
    }
    return undefined;
  }

  private token(c: Challenge, scopes: string[]): Promise<string> {
    const key = [...scopes].sort().join(' ');
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) return Promise.resolve(cached.token);
    let p = this.pendingTokens.get(key);
    if (!p) {
      p = this.fetchToken(c, scopes).finally(() => this.pendingTokens.delete(key));
      this.pendingTokens.set(key, p);
    }
    return p;
  }

  private async fetchToken(c: Challenge, scopes: string[]): Promise<string> {
    const realm = c.params.realm;
    if (!realm) throw new RegistryAuthError('unable to retrieve auth token: missing realm in bearer auth challenge', 401);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryAuthError(`unable to retrieve auth token: invalid realm ${realm}`, 401);
    }
    const cr = this.opts.credentials;
    const headers: Record<string, string> = { ...this.baseHeaders() };
    let body: Buffer | undefined;
    let method = 'GET';
    if (cr?.identityToken) {
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: cr.identityToken, client_id: 'pier' });
      if (c.params.service) form.set('service', c.params.service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      body = Buffer.from(form.toString());
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (c.params.service) url.searchParams.set('service', c.params.service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (cr && (cr.username || cr.password)) headers.authorization = 'Basic ' + Buffer.from(`${cr.username}:${cr.password}`).toString('base64');
    }
    let res: IncomingMessage;
    try {
      res = await send({ method, url, headers, body, tls: this.tls(), connectTimeoutMs: this.connectTimeoutMs, idleTimeoutMs: this.idleTimeoutMs });
    } catch (e) {
      throw new RegistryNetworkError(`unable to retrieve auth token: ${(e as Error).message}`, (e as { code?: string }).code);
    }
    const data = await readBody(res, MAX_ERROR_BODY);
    const status = res.statusCode ?? 0;
    if (status === 401 || status === 403) {
      const entries = parseErrorBody(data);
      const detail = entries?.length ? entries.map(describeEntry).join('; ') : 'unauthorized';
      throw new RegistryAuthError(`unable to retrieve auth token: invalid username/password: ${detail}`, status, entries?.[0]?.code);
    }
    if (status !== 200) throw httpError('unable to retrieve auth token', status, data);
    let doc: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      doc = JSON.parse(data.toString('utf8'));
    } catch {
      throw new RegistryAuthError('unable to retrieve auth token: invalid JSON from token server', status);
    }
    const token = doc.token || doc.access_token;
    if (!token) throw new RegistryAuthError('unable to retrieve auth token: no token in response', status);
    const issued = doc.issued_at ? Date.parse(doc.issued_at) : NaN;
    const start = Number.isFinite(issued) && issued <= Date.now() + 60_000 ? Math.min(issued, Date.now()) : Date.now();
    const lifetime = (typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : 60) * 1000;
    this.tokens.set([...scopes].sort().join(' '), { token, expires: start + lifetime - Math.min(10_000, lifetime / 4) });
    return token;
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  private async sendFollowing(r: Req, ep: Endpoint): Promise<IncomingMessage> {
    let url = r.url ?? new URL(r.path ?? '/v2/', ep.base);
    const auth = await this.authorization(ep, r.scopes);
    for (let hops = 0; ; hops++) {
      const sameOrigin = url.origin === ep.base.origin;
      const headers: Record<string, string | number | undefined> = { ...this.baseHeaders(), ...r.headers };
      if (auth && sameOrigin) headers.authorization = auth;
      const body = typeof r.body === 'function' ? r.body() : r.body;
      const res = await send({ method: r.method, url, headers, body, tls: this.tls(), connectTimeoutMs: this.connectTimeoutMs, idleTimeoutMs: this.idleTimeoutMs });
      const loc = res.headers.location;
      if (!isRedirect(res.statusCode) || !loc || (r.method !== 'GET' && r.method !== 'HEAD')) return res;
      discard(res);
      if (hops >= MAX_REDIRECTS) throw new RegistryNetworkError(`${r.method} "${url.href}": stopped after ${MAX_REDIRECTS} redirects`);
      url = new URL(loc, url);
    }
  }

  private async request(r: Req): Promise<IncomingMessage> {
    const ep = await this.endpoint();
    const retryable = r.retry ?? (r.method === 'GET' || r.method === 'HEAD' || typeof r.body === 'function' || Buffer.isBuffer(r.body) || r.body === undefined);
    const retries = retryable ? this.retries : 0;
    let reauthed = false;
    for (let attempt = 0; ; attempt++) {
      let res: IncomingMessage;
      try {
        res = await this.sendFollowing(r, ep);
      } catch (e) {
        if (attempt < retries && isTransient(e)) {
          await sleep(this.retryDelayMs * 2 ** attempt);
          continue;
        }
        if (e instanceof PierError) throw this.prefixed(r.context, e);
        throw e;
      }
      const status = res.statusCode ?? 0;
      if (status === 401 && !reauthed && !r.ok.includes(401)) {
        // A challenge we did not know (the ping said 200) or a stale/insufficient token: retry once.
        const ch = parseChallenges(res.headers['www-authenticate']).filter((c) => c.scheme === 'bearer' || c.scheme === 'basic');
        if (ch.length) {
          reauthed = true;
          const bearer = ch.find((c) => c.scheme === 'bearer');
          const hadAuth = ep.challenges.length > 0;
          ep.challenges = ch;
          if (!hadAuth || bearer) {
            this.tokens.delete([...r.scopes].sort().join(' '));
            const extra = bearer?.params.scope?.split(' ').filter((x) => x && !r.scopes.includes(x)) ?? [];
            r = { ...r, scopes: [...r.scopes, ...extra] };
            discard(res);
            attempt--;
            continue;
          }
        }
      }
      if ((status >= 500 || status === 429) && attempt < retries && !r.ok.includes(status)) {
        discard(res);
        await sleep(this.retryDelayMs * 2 ** attempt);
        continue;
      }
      if (r.ok.includes(status)) return res;
      const body = r.method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, MAX_ERROR_BODY).catch(() => Buffer.alloc(0));
      throw httpError(r.context, status, body);
    }
  }

  private prefixed(context: string, e: PierError): PierError {
    if (!context || e.message.startsWith('pinging container registry')) return e;
    const msg = `${context}: ${e.message}`;
    if (e instanceof RegistryNetworkError) return new RegistryNetworkError(msg, e.code);
    if (e instanceof RegistryAuthError) return new RegistryAuthError(msg, e.status, e.code);
    if (e instanceof RegistryError) return new RegistryError(msg, e.status, e.code);
    return new PierError(msg, e.exitCode);
  }

  private location(res: IncomingMessage, ep: Endpoint, what: string): URL {
    const loc = res.headers.location;
    if (!loc) throw new RegistryError(`${what}: registry did not return an upload location`, res.statusCode ?? 0);
    return new URL(loc, ep.base);
  }

  // -------------------------------------------------------------------------------------------
  // Login

  /**
   * Check the credentials against GET /v2/ (podman login). Throws
   * `logging into "HOST": invalid username/password` when they are refused.
   */
  async login(): Promise<void> {
    const ep = await this.endpoint();
    if (ep.challenges.length === 0) return;
    let res: IncomingMessage;
    try {
      res = await this.request({ method: 'GET', path: '/v2/', scopes: [], ok: [200, 401], context: '', retry: false });
    } catch (e) {
      if (e instanceof RegistryAuthError) throw new RegistryAuthError(`logging into "${this.host}": invalid username/password`, e.status, e.code);
      throw new PierError(`logging into "${this.host}": ${(e as Error).message}`);
    }
    discard(res);
    if (res.statusCode === 401) throw new RegistryAuthError(`logging into "${this.host}": invalid username/password`, 401);
  }

  // -------------------------------------------------------------------------------------------
  // Manifests

  /** GET a manifest; verifies its digest when `ref` is a digest. */
  async getManifest(repo: string, ref: string, accept: string[] = DEFAULT_MANIFEST_ACCEPT): Promise<Manifest> {
    const context = `reading manifest ${ref} in ${this.host}/${repo}`;
    const res = await this.request({ method: 'GET', path: `/v2/${repo}/manifests/${ref}`, headers: { accept: accept.join(', ') }, scopes: [this.repoScope(repo)], ok: [200], context });
    let body: Buffer;
    try {
      body = await readBody(res, MAX_MANIFEST_SIZE);
    } catch (e) {
      throw new RegistryContentError(`${context}: ${(e as Error).message}`);
    }
    let mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
    if (mediaType === '' || mediaType === 'application/json' || mediaType === 'text/plain' || mediaType === 'application/octet-stream') mediaType = guessManifestType(body);
    let digest: string;
    const header = res.headers['docker-content-digest'];
    if (mediaType === MEDIA_TYPES.dockerSchema1Signed && typeof header === 'string' && header) {
      digest = isDigestRef(ref) ? ref : header; // schema1 digests exclude the signatures
    } else if (isDigestRef(ref)) {
      digest = computeDigest(digestAlgorithm(ref), body);
      if (digest !== ref.toLowerCase()) throw new RegistryContentError(`${context}: manifest digest ${digest} does not match requested digest ${ref}`);
    } else {
      digest = computeDigest('sha256', body);
    }
    return { mediaType, digest, body };
  }

  /** HEAD a manifest: its media type, digest and size, or null when it does not exist. */
  async headManifest(repo: string, ref: string, accept: string[] = DEFAULT_MANIFEST_ACCEPT): Promise<ManifestHead | null> {
    const context = `reading manifest ${ref} in ${this.host}/${repo}`;
    const res = await this.request({ method: 'HEAD', path: `/v2/${repo}/manifests/${ref}`, headers: { accept: accept.join(', ') }, scopes: [this.repoScope(repo)], ok: [200, 404], context });
    discard(res);
    if (res.statusCode === 404) return null;
    const digest = res.headers['docker-content-digest'];
    return {
      mediaType: String(res.headers['content-type'] ?? '').split(';')[0].trim(),
      digest: typeof digest === 'string' && digest ? digest : undefined,
      size: Number(res.headers['content-length'] ?? 0),
    };
  }

  /** PUT a manifest under a tag or digest; returns its digest. */
  async putManifest(repo: string, ref: string, mediaType: string, body: Buffer): Promise<string> {
    const context = `writing manifest ${ref} to ${this.host}/${repo}`;
    const res = await this.request({ method: 'PUT', path: `/v2/${repo}/manifests/${ref}`, headers: { 'content-type': mediaType }, body, scopes: [this.repoScope(repo, true)], ok: [200, 201, 202, 204], context });
    discard(res);
    const header = res.headers['docker-content-digest'];
    const computed = computeDigest('sha256', body);
    return typeof header === 'string' && header ? header : computed;
  }

  /** DELETE a manifest by digest (the registry must allow deletes). */
  async deleteManifest(repo: string, digest: string): Promise<void> {
    const context = `deleting manifest ${digest} in ${this.host}/${repo}`;
    const res = await this.request({ method: 'DELETE', path: `/v2/${repo}/manifests/${digest}`, scopes: [`repository:${repo}:pull,push,delete`], ok: [200, 202, 204], context });
    discard(res);
  }

  // -------------------------------------------------------------------------------------------
  // Blobs

  /** HEAD a blob: its size, or null when the repository does not have it. */
  async blobExists(repo: string, digest: string): Promise<number | null> {
    const context = `checking whether a blob ${digest} exists in ${this.host}/${repo}`;
    const res = await this.request({ method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, scopes: [this.repoScope(repo)], ok: [200, 404], context });
    discard(res);
    if (res.statusCode === 404) return null;
    const n = Number(res.headers['content-length']);
    return Number.isFinite(n) ? n : -1;
  }

  /** Open a blob download at `offset` (Range) – the raw response, 200 or 206. */
  private openBlob(repo: string, digest: string, offset: number): Promise<IncomingMessage> {
    return this.request({
      method: 'GET',
      path: `/v2/${repo}/blobs/${digest}`,
      headers: offset > 0 ? { range: `bytes=${offset}-` } : undefined,
      scopes: [this.repoScope(repo)],
      ok: offset > 0 ? [200, 206] : [200],
      context: `reading blob ${digest}`,
    });
  }

  /**
   * Stream a blob. The stream verifies the digest (and `expectedSize` when given) and ends
   * with an error on mismatch; interrupted downloads are resumed with Range requests.
   */
  async getBlob(repo: string, digest: string, expectedSize?: number): Promise<Readable> {
    const alg = digestAlgorithm(digest);
    const first = await this.openBlob(repo, digest, 0);
    const len = Number(first.headers['content-length']);
    if (expectedSize !== undefined && expectedSize >= 0 && Number.isFinite(len) && len !== expectedSize && first.headers['content-encoding'] === undefined) {
      discard(first);
      throw new RegistryContentError(`reading blob ${digest}: size mismatch, expected ${expectedSize} bytes, registry announced ${len}`);
    }
    return new BlobStream(first, alg, digest, expectedSize !== undefined && expectedSize >= 0 ? expectedSize : undefined, this.retries, (offset) => this.openBlob(repo, digest, offset));
  }

  /** Try to mount a blob from another repository of this registry; true when it worked (201). */
  async mountBlob(repo: string, digest: string, fromRepo: string): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from: fromRepo });
    const context = `mounting blob ${digest} from ${fromRepo} to ${this.host}/${repo}`;
    const ep = await this.endpoint();
    const res = await this.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/?${q}`, scopes: [this.repoScope(repo, true), `repository:${fromRepo}:pull`], ok: [201, 202], context });
    discard(res);
    if (res.statusCode === 201) return true;
    // The registry started an ordinary upload instead: cancel it.
    if (res.headers.location) {
      try {
        const url = new URL(res.headers.location, ep.base);
        const del = await this.request({ method: 'DELETE', url, scopes: [this.repoScope(repo, true)], ok: [200, 202, 204, 404], context, retry: false });
        discard(del);
      } catch {
        /* best effort */
      }
    }
    return false;
  }

  /**
   * Upload a blob: POST then a single PUT with the body (monolithic), or PATCH chunks of
   * `chunkSize` bytes then PUT. Transient failures restart the upload (openStream is called
   * again), up to the configured retry count.
   */
  async uploadBlob(repo: string, digest: string, size: number, openStream: () => Readable, opts: { chunkSize?: number } = {}): Promise<void> {
    const context = `writing blob ${digest} to ${this.host}/${repo}`;
    for (let attempt = 0; ; attempt++) {
      try {
        if (opts.chunkSize && opts.chunkSize > 0) await this.uploadChunked(repo, digest, size, openStream, opts.chunkSize, context);
        else await this.uploadMonolithic(repo, digest, size, openStream, context);
        return;
      } catch (e) {
        if (attempt < this.retries && isTransient(e)) {
          await sleep(this.retryDelayMs * 2 ** attempt);
          continue;
        }
        throw e;
      }
    }
  }

  private async startUpload(repo: string, context: string): Promise<{ ep: Endpoint; url: URL }> {
    const ep = await this.endpoint();
    const res = await this.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, scopes: [this.repoScope(repo, true)], ok: [202], context: `${context}: initiating upload`, retry: false });
    discard(res);
    return { ep, url: this.location(res, ep, context) };
  }

  private async uploadMonolithic(repo: string, digest: string, size: number, openStream: () => Readable, context: string): Promise<void> {
    const { url } = await this.startUpload(repo, context);
    url.searchParams.set('digest', digest);
    const res = await this.request({
      method: 'PUT',
      url,
      headers: { 'content-type': 'application/octet-stream', 'content-length': size },
      body: openStream,
      scopes: [this.repoScope(repo, true)],
      ok: [201, 204],
      context,
      retry: false,
    });
    discard(res);
  }

  private async uploadChunked(repo: string, digest: string, size: number, openStream: () => Readable, chunkSize: number, context: string): Promise<void> {
    const started = await this.startUpload(repo, context);
    const ep = started.ep;
    let url = started.url;
    let offset = 0;
    const patch = async (chunk: Buffer): Promise<void> => {
      const res = await this.request({
        method: 'PATCH',
        url,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
        scopes: [this.repoScope(repo, true)],
        ok: [202, 204],
        context,
        retry: false,
      });
      discard(res);
      offset += chunk.length;
      if (res.headers.location) url = this.location(res, ep, context);
    };
    let pending: Buffer[] = [];
    let pendingLen = 0;
    for await (const c of openStream() as AsyncIterable<Buffer | string>) {
      let buf = typeof c === 'string' ? Buffer.from(c) : c;
      while (buf.length > 0) {
        const take = Math.min(chunkSize - pendingLen, buf.length);
        pending.push(buf.subarray(0, take));
        pendingLen += take;
        buf = buf.subarray(take);
        if (pendingLen === chunkSize) {
          await patch(Buffer.concat(pending));
          pending = [];
          pendingLen = 0;
        }
      }
    }
    if (pendingLen > 0) await patch(Buffer.concat(pending));
    if (offset !== size) throw new RegistryContentError(`${context}: read ${offset} bytes, expected ${size}`);
    url.searchParams.set('digest', digest);
    const res = await this.request({ method: 'PUT', url, headers: { 'content-length': 0 }, scopes: [this.repoScope(repo, true)], ok: [201, 204], context, retry: false });
    discard(res);
  }

  // -------------------------------------------------------------------------------------------
  // Listing

  private async paginate(path: string, scopes: string[], context: string, field: 'tags' | 'repositories'): Promise<string[]> {
    const ep = await this.endpoint();
    const out: string[] = [];
    let url: URL | undefined = new URL(path, ep.base);
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url.href)) break;
      seen.add(url.href);
      const res = await this.request({ method: 'GET', url, scopes, ok: [200], context });
      const body = await readBody(res, 32 * 1024 * 1024);
      let doc: Record<string, unknown>;
      try {
        doc = JSON.parse(body.toString('utf8'));
      } catch {
        throw new RegistryContentError(`${context}: invalid JSON in response`);
      }
      const items = doc[field];
      if (Array.isArray(items)) out.push(...items.map(String));
      const next = nextLink(res.headers.link as string | undefined);
      url = next ? new URL(next, url) : undefined;
    }
    return out;
  }

  /** All tags of a repository, following Link pagination. */
  listTags(repo: string, pageSize?: number): Promise<string[]> {
    return this.paginate(`/v2/${repo}/tags/list${pageSize ? `?n=${pageSize}` : ''}`, [this.repoScope(repo)], `fetching tags list for ${this.host}/${repo}`, 'tags');
  }

  /** The registry's repositories (/v2/_catalog), following Link pagination. */
  catalog(pageSize?: number): Promise<string[]> {
    return this.paginate(`/v2/_catalog${pageSize ? `?n=${pageSize}` : ''}`, ['registry:catalog:*'], `fetching catalog of ${this.host}`, 'repositories');
  }
}

/**
 * A verifying, resuming blob stream: hashes every byte, checks size and digest at the end
 * (`Digest did not match, expected sha256:…, got sha256:…`) and, when the connection drops,
 * re-requests the remainder with a Range header (or skips already-read bytes on a 200).
 */
class BlobStream extends Readable {
  private readonly hash;
  private received = 0;
  private res?: IncomingMessage;
  private resumes = 0;
  private finished = false;

  constructor(
    first: IncomingMessage,
    alg: string,
    private readonly digest: string,
    private readonly expectedSize: number | undefined,
    private readonly maxResumes: number,
    private readonly reopen: (offset: number) => Promise<IncomingMessage>,
  ) {
    super({ highWaterMark: 256 * 1024 });
    this.hash = createHash(alg);
    this.attach(first, 0);
  }

  override _read(): void {
    this.res?.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.res?.destroy();
    cb(err);
  }

  private attach(res: IncomingMessage, skip: number): void {
    this.res = res;
    let toSkip = skip;
    let done = false;
    const onBreak = (err: NodeJS.ErrnoException): void => {
      if (done) return;
      done = true;
      void this.resume_(err);
    };
    res.on('data', (c: Buffer) => {
      if (done || this.destroyed) return;
      let chunk = c;
      if (toSkip > 0) {
        const n = Math.min(toSkip, chunk.length);
        toSkip -= n;
        chunk = chunk.subarray(n);
        if (chunk.length === 0) return;
      }
      this.received += chunk.length;
      if (this.expectedSize !== undefined && this.received > this.expectedSize) {
        done = true;
        this.destroy(new RegistryContentError(`reading blob ${this.digest}: Size did not match, expected ${this.expectedSize} bytes, got more`));
        return;
      }
      this.hash.update(chunk);
      if (!this.push(chunk)) res.pause();
    });
    res.on('end', () => {
      if (done) return;
      if (!res.complete) {
        const e: NodeJS.ErrnoException = new Error('connection closed before the blob was complete');
        e.code = 'ECONNRESET';
        onBreak(e);
        return;
      }
      done = true;
      this.finish();
    });
    res.on('error', (err: NodeJS.ErrnoException) => onBreak(err));
    res.on('aborted', () => {
      const e: NodeJS.ErrnoException = new Error('aborted');
      e.code = 'ECONNRESET';
      onBreak(e);
    });
  }

  private canResume(): boolean {
    return this.resumes < this.maxResumes;
  }

  private async resume_(err: NodeJS.ErrnoException): Promise<void> {
    if (this.destroyed) return;
    if (!this.canResume()) {
      this.destroy(new RegistryNetworkError(`reading blob ${this.digest}: ${err.message}`, err.code ?? 'ECONNRESET'));
      return;
    }
    this.resumes++;
    try {
      const res = await this.reopen(this.received);
      if (this.destroyed) {
        res.destroy();
        return;
      }
      this.attach(res, res.statusCode === 206 ? 0 : this.received);
    } catch (e) {
      this.destroy(e as Error);
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.expectedSize !== undefined && this.received !== this.expectedSize) {
      this.destroy(new RegistryContentError(`reading blob ${this.digest}: Size did not match, expected ${this.expectedSize} bytes, got ${this.received}`));
      return;
    }
    const actual = `${this.digest.slice(0, this.digest.indexOf(':'))}:${this.hash.digest('hex')}`;
    if (actual !== this.digest) {
      this.destroy(new RegistryContentError(`Digest did not match, expected ${this.digest}, got ${actual}`));
      return;
    }
    this.push(null);
  }
}
