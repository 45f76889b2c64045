// Query strings and filters as the Libpod API takes them.
import { PierError } from '../../util/errors';

/** `?k=v&...`: undefined, null and false are left out; arrays repeat the key. */
export function q(o: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === null || v === false) continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)));
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

/** CLI filters (`key=value`) as the API's JSON map of lists. */
export function filters(f?: string[]): string | undefined {
  if (!f?.length) return undefined;
  const m: Record<string, string[]> = {};
  for (const x of f) {
    const i = x.indexOf('=');
    if (i < 0) (m[x] ??= []).push('');
    else (m[x.slice(0, i)] ??= []).push(x.slice(i + 1));
  }
  return JSON.stringify(m);
}

export function notRemote(what: string): never {
  throw new PierError(`${what} is not supported in remote mode yet`);
}
