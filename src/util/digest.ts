import { createHash } from 'node:crypto';

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256(data: string | Buffer): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

export function hexOf(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 ? digest.slice(i + 1) : digest;
}

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** A random 64-hex id, as podman uses for containers. */
export function randomId(): string {
  return require('node:crypto').randomBytes(32).toString('hex');
}
