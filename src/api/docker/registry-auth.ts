// Registry credentials as Docker clients send them: the X-Registry-Auth header (base64url, or
// plain base64, of {"username", "password", "serveraddress", ...}) on pull, push and search, and
// the JSON body of POST /auth. Registries on the loopback network are plain HTTP, as Docker allows.
import type { ApiRequest } from '../router';

export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
  email?: string;
}

/** The decoded X-Registry-Auth header, or undefined when absent or unreadable. */
export function registryAuth(r: ApiRequest): AuthConfig | undefined {
  const h = r.req.headers['x-registry-auth'];
  if (!h || Array.isArray(h)) return undefined;
  try {
    const a = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
    return a && typeof a === 'object' ? a : undefined;
  } catch {
    return undefined;
  }
}

/** Registry credentials from the X-Registry-Auth header, as `user:pass`. */
export function registryCreds(r: ApiRequest): string | undefined {
  const a = registryAuth(r);
  return a?.username ? `${a.username}:${a.password ?? ''}` : undefined;
}

/** True when a reference (or a bare host) names a registry on the loopback network. */
export function loopbackRegistry(refOrHost: string): boolean {
  const host = refOrHost.replace(/^[a-z]+:\/\//i, '').split('/')[0];
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
}

/** tlsVerify for a registry operation: off for loopback registries, else registries.conf decides. */
export function tlsFor(refOrHost: string): false | undefined {
  return loopbackRegistry(refOrHost) ? false : undefined;
}

/** The registry host a Docker server address names (`https://index.docker.io/v1/` → docker.io). */
export function registryHost(serverAddress: string | undefined): string {
  const host = (serverAddress ?? '').trim().replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (!host || host === 'index.docker.io' || host === 'registry-1.docker.io') return 'docker.io';
  return host;
}

/**
 * The X-Registry-Config header of POST /build (base64url JSON: registry → {username, password}),
 * written as a podman auth file in `dir` for the build's base-image pulls; undefined without one.
 */
export function buildAuthFile(r: ApiRequest, dir: string): string | undefined {
  const h = r.req.headers['x-registry-config'];
  if (!h || Array.isArray(h)) return undefined;
  let cfg: Record<string, AuthConfig>;
  try {
    cfg = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!cfg || typeof cfg !== 'object') return undefined;
  const auths: Record<string, { auth: string }> = {};
  for (const [server, a] of Object.entries(cfg)) {
    if (!a || typeof a !== 'object' || !a.username) continue;
    auths[registryHost(server)] = { auth: Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64') };
  }
  if (!Object.keys(auths).length) return undefined;
  const file = require('node:path').join(dir, 'auth.json') as string;
  require('node:fs').writeFileSync(file, JSON.stringify({ auths }), { mode: 0o600 });
  return file;
}

/**
 * tlsVerify for a build's base-image pulls: off when every FROM naming a registry names a loopback
 * one (as dockerd allows), else registries.conf decides.
 */
export function buildTlsVerify(dockerfile: string): false | undefined {
  const hosts: string[] = [];
  for (const m of dockerfile.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)) {
    const first = m[1].split('/')[0];
    if (m[1].includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) hosts.push(first);
  }
  return hosts.length && hosts.every((h) => loopbackRegistry(h)) ? false : undefined;
}
