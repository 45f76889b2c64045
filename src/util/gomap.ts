// Go maps in pier's output. podman and Docker are Go programs: encoding/json writes a map's keys
// sorted (byte order), as fmt and text/template print and range over them, while a struct keeps
// its field order. pier builds both as plain objects, so each object that stands for a Go map
// (labels, annotations, port maps, network maps, options...) is made with goMap(): a copy with
// its keys inserted in Go's order, which is what JSON.stringify then writes (the REST service's
// replies, and so what a remote client prints), and marked so that goJSON sorts it again
// wherever JavaScript orders keys itself (integer-like keys such as "10" and "9" come first,
// numerically; a remote client, which only has the parsed JSON, keeps that JavaScript order).

const maps = new WeakSet<object>();

/** Go's string order (UTF-8 bytes, i.e. code points), not JavaScript's UTF-16 code units. */
export function compareGoStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (code points above U+FFFF) sort after U+E000..U+FFFF in code point order.
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/** A copy of `o` as a Go map: keys in Go's order, and marked for goJSON (none given: an empty map). */
export function goMap<V>(o: Readonly<Record<string, V>> | null | undefined): Record<string, V> {
  const out: Record<string, V> = {};
  for (const k of Object.keys(o ?? {}).sort(compareGoStrings)) out[k] = o![k];
  maps.add(out);
  return out;
}

/** goMap(o), or null (Go's nil map) when `o` is null or undefined. */
export function goMapOrNull<V>(o: Readonly<Record<string, V>> | null | undefined): Record<string, V> | null {
  return o == null ? null : goMap(o);
}

/** True for an object made by goMap(). */
export function isGoMap(o: object): boolean {
  return maps.has(o);
}

/**
 * Re-makes with goMap() the maps at `paths` of a value read back from JSON (a remote reply), where
 * the marks and, for integer-like keys, the order were lost. A path is dot-separated field names;
 * `*` stands for every element of an array (or value of an object). Returns `value`.
 */
export function markGoMaps<T>(value: T, paths: readonly string[]): T {
  for (const p of paths) markAt(value, p.split('.'));
  return value;
}

function markAt(v: unknown, keys: string[]): void {
  if (v === null || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  const [k, ...rest] = keys;
  for (const key of k === '*' ? Object.keys(o) : Object.prototype.hasOwnProperty.call(o, k) ? [k] : []) {
    const x = o[key];
    if (rest.length) markAt(x, rest);
    else if (x !== null && typeof x === 'object' && !Array.isArray(x)) o[key] = goMap(x as Record<string, unknown>);
  }
}
