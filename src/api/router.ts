// Routing for the REST service: Docker-compatible paths (`/containers/json`, optionally `/v1.41/...`)
// and Libpod paths (`/v4.3.1/libpod/containers/json`) in one table.
//
// Patterns: `{name}` matches one path segment; `{name*}` matches one or more segments (image names
// such as `localhost:5000/a/b:tag` contain slashes). Handlers receive an ApiRequest.
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Engines } from '../domain/engines';
import type { EngineConfig } from '../config/config';
import { ApiError, sendError } from './errors';

/** The Docker API versions pier answers (podman 4.3 reports the same maximum). */
export const DOCKER_API_VERSION = '1.41';
export const DOCKER_MIN_API_VERSION = '1.24';
/** The Libpod API version pier reports (podman 4.3.1's). */
export const LIBPOD_API_VERSION = '4.3.1';

/** Bodies read with json()/body() are capped; streams (archives, tarballs, build contexts) use req directly. */
export const MAX_JSON_BODY = 32 * 1024 * 1024;

export interface ApiRequest {
  method: string;
  /** The path without any /vX.Y prefix and without the query string. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The version from the URL (`1.41`, `4.3.1`), or undefined for unversioned paths. */
  version?: string;
  /** True for /libpod/ paths: errors use Libpod's body ({cause, message, response}). */
  libpod: boolean;
  req: http.IncomingMessage;
  /** Undefined when the request came as an HTTP Upgrade (use hijack()). */
  res?: http.ServerResponse;
  engines: Engines;
  cfg: EngineConfig;
  /** The whole body (capped at MAX_JSON_BODY). */
  body(): Promise<Buffer>;
  /** The body parsed as JSON; an empty body gives `undefined`; malformed JSON is a 400. */
  json<T = any>(): Promise<T | undefined>;
  /** Answers with a JSON body. */
  send(status: number, body?: unknown, headers?: Record<string, string>): void;
  /**
   * Takes over the connection (attach, exec start): answers `101 UPGRADED` when the client asked for an
   * upgrade, else `200 OK`, with the given content type, and returns the raw socket. Both directions then
   * belong to the handler, which must end the socket when done.
   */
  hijack(contentType: string): Duplex;
  /** True when the client asked for `Connection: Upgrade`. */
  upgrade: boolean;
}

export type Handler = (r: ApiRequest) => Promise<void> | void;

interface Route {
  method: string;
  re: RegExp;
  names: string[];
  handler: Handler;
}

export class Router {
  private routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const re = pattern.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(\*?)\}/g, (_m, name: string, star: string) => {
      names.push(name);
      return star ? '(.+?)' : '([^/]+)';
    });
    this.routes.push({ method: method.toUpperCase(), re: new RegExp(`^${re}/?$`), names, handler });
    return this;
  }

  get(p: string, h: Handler): this { return this.add('GET', p, h); }
  post(p: string, h: Handler): this { return this.add('POST', p, h); }
  put(p: string, h: Handler): this { return this.add('PUT', p, h); }
  delete(p: string, h: Handler): this { return this.add('DELETE', p, h); }
  head(p: string, h: Handler): this { return this.add('HEAD', p, h); }

  /** The handler for a method and (unversioned) path; `methodMismatch` when only the method is wrong. */
  match(method: string, p: string): { handler: Handler; params: Record<string, string> } | { methodMismatch: true } | undefined {
    let mismatch = false;
    for (const r of this.routes) {
      const m = r.re.exec(p);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) { mismatch = true; continue; }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { handler: r.handler, params };
    }
    return mismatch ? { methodMismatch: true } : undefined;
  }
}

/** Splits `/v1.41/containers/json` into version and path; Libpod paths keep their `/libpod` prefix. */
export function splitVersion(pathname: string): { version?: string; path: string } {
  const m = /^\/v(\d+(?:\.\d+){1,2})(\/.*)?$/.exec(pathname);
  if (!m) return { path: pathname };
  return { version: m[1], path: m[2] ?? '/' };
}

/** Compares dotted versions numerically. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Docker's version check for a versioned, non-libpod path. */
export function checkDockerVersion(version: string | undefined): void {
  if (!version) return;
  if (compareVersions(version, DOCKER_API_VERSION) > 0) {
    throw new ApiError(400, `client version ${version} is too new. Maximum supported API version is ${DOCKER_API_VERSION}`);
  }
  if (compareVersions(version, DOCKER_MIN_API_VERSION) < 0) {
    throw new ApiError(400, `client version ${version} is too old. Minimum supported API version is ${DOCKER_MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
}

export { sendError };
