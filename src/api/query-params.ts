// Query parameters as podman's handlers decode them (gorilla/schema over Go's strconv): one
// reading of a bool or a uint, and the 400 error a value it cannot convert gets.
import type { ApiRequest } from './router';
import { ApiError } from './errors';

/** podman's answer to a query parameter whose value does not convert. */
export function badParam(r: ApiRequest, key: string): ApiError {
  const why = `schema: error converting value for "${key}"`;
  return new ApiError(400, `failed to parse parameters for ${r.req.url}: ${why}`, why);
}

/** A bool parameter's value `v` as strconv.ParseBool reads it; absent or empty: `dflt`. */
export function schemaBool(r: ApiRequest, key: string, v: string | null, dflt = false): boolean {
  if (v === null || v === '') return dflt;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw badParam(r, key);
}

/** A uint parameter's value `v`; absent: undefined. */
export function schemaUint(r: ApiRequest, key: string, v: string | null): number | undefined {
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw badParam(r, key);
  return Number(v);
}

/** An int parameter `key` as strconv.Atoi reads it; absent or empty: undefined. */
export function schemaInt(r: ApiRequest, key: string): number | undefined {
  const v = r.query.get(key);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw badParam(r, key);
  return Number(v);
}

/** The query parameter `key` read as a bool (schemaBool); absent or empty: `dflt`. */
export function queryBool(r: ApiRequest, key: string, dflt = false): boolean {
  return schemaBool(r, key, r.query.get(key), dflt);
}
