// node:crypto loads on first hash (~5 ms of start-up): ids and random suffixes come from
// /dev/urandom, so commands that only create ids never load it.
import * as fs from 'node:fs';

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function sha256(data: string | Buffer): string {
  return 'sha256:' + (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(data).digest('hex');
}

export function hexOf(digest: string): string {
  const i = digest.indexOf(':');
  return i >= 0 ? digest.slice(i + 1) : digest;
}

export function isDigest(s: string): boolean {
  return DIGEST_RE.test(s);
}

/** `n` random bytes from /dev/urandom (node:crypto when that cannot be read). */
export function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  try {
    const fd = fs.openSync('/dev/urandom', 'r');
    try {
      if (fs.readSync(fd, b, 0, n, null) === n) return b;
    } finally {
      fs.closeSync(fd);
    }
  } catch { /* no /dev/urandom */ }
  return (require('node:crypto') as typeof import('node:crypto')).randomBytes(n);
}

/** `n` random bytes as hex (2n digits). */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}

/** A random 64-hex id, as podman uses for containers. */
export function randomId(): string {
  return randomHex(32);
}
