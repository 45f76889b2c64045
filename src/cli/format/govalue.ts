// How JavaScript values map onto Go's value model for templates and fmt:
// undefined = an invalid value (a missing map key), null = nil, integers = int,
// other numbers = float64, arrays = slices, plain objects and Maps = maps,
// objects registered with asStruct() (or class instances) = structs, Dates = time.Time.

import { compareGoStrings } from '../../util/gomap';

export type GoKind =
  | 'invalid' | 'nil' | 'string' | 'int' | 'float' | 'bool'
  | 'slice' | 'map' | 'struct' | 'time' | 'func';

const structTypes = new WeakMap<object, string>();

/**
 * A Go time.Duration field: an int64 of nanoseconds (its kind, its number in JSON and in
 * comparisons) that %v and %s print through its String() method ("1m30s").
 */
export class GoDuration {
  constructor(readonly ns: number) {}
  valueOf(): number { return this.ns; }
  toJSON(): number { return this.ns; }
}

/**
 * Marks an object as a Go struct: a missing field is then an execution error
 * ("can't evaluate field X in type T") instead of `<no value>`, and `%v` prints `{v1 v2}`.
 */
export function asStruct<T extends object>(obj: T, typeName = 'struct'): T {
  structTypes.set(obj, typeName);
  return obj;
}

/**
 * Marks the elements of a map of slices (podman's port bindings: map[string][]InspectHostPort)
 * as structs, and its null slices as Go's nil slices (`[]` to a template, null in JSON).
 */
export function asStructSlices<T>(map: T, typeName: string, nilSlice?: () => unknown): T {
  if (map && typeof map === 'object') {
    const m = map as Record<string, unknown>;
    for (const [k, list] of Object.entries(m)) {
      if (Array.isArray(list)) for (const x of list) if (x && typeof x === 'object') asStruct(x, typeName);
      if (list === null && nilSlice) m[k] = nilSlice();
    }
  }
  return map;
}

/** The struct type name given to asStruct(), if any. */
export function structTypeOf(v: object): string | undefined {
  return structTypes.get(v);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function kindOf(v: unknown): GoKind {
  switch (typeof v) {
    case 'undefined': return 'invalid';
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint': return 'int';
    case 'function': return 'func';
    case 'symbol': return 'string';
    default: break;
  }
  if (v === null) return 'nil';
  const o = v as object;
  if (Array.isArray(o) || ArrayBuffer.isView(o)) return 'slice';
  if (o instanceof Date) return 'time';
  if (o instanceof GoDuration) return 'int';
  if (o instanceof Map) return 'map';
  if (structTypes.has(o)) return 'struct';
  return isPlainObject(o) ? 'map' : 'struct';
}

/** Own enumerable entries of a map-kind value (plain object or Map). */
export function mapEntries(v: unknown): [string, unknown][] {
  if (v instanceof Map) return [...v.entries()].map(([k, val]) => [String(k), val]);
  return Object.entries(v as object);
}

/** Map entries sorted by key, as Go's fmt and range do. */
export function sortedEntries(v: unknown): [string, unknown][] {
  return mapEntries(v).sort((a, b) => compareGoStrings(a[0], b[0]));
}

/** Elements of a slice-kind value. */
export function sliceItems(v: unknown): unknown[] {
  return Array.isArray(v) ? v : Array.from(v as ArrayLike<unknown>);
}

function elemTypeName(vals: unknown[]): string {
  if (vals.length === 0) return 'interface {}';
  const first = goTypeName(vals[0]);
  return vals.every((x) => goTypeName(x) === first) ? first : 'interface {}';
}

/** A Go-like type name for error messages and %T. */
export function goTypeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid': return '<nil>';
    case 'nil': return 'interface {}';
    case 'string': return 'string';
    case 'bool': return 'bool';
    case 'int': return v instanceof GoDuration ? 'time.Duration' : 'int';
    case 'float': return 'float64';
    case 'func': return 'func';
    case 'time': return 'time.Time';
    case 'slice': return v instanceof Uint8Array ? '[]uint8' : '[]' + elemTypeName(sliceItems(v));
    case 'map': return 'map[string]' + elemTypeName(mapEntries(v).map((e) => e[1]));
    case 'struct': {
      const o = v as object;
      return structTypes.get(o) ?? (o.constructor?.name || 'struct');
    }
  }
}

/** Field lookup: exact key first, then a case-insensitive match (`.ID` finds `Id`). */
export function lookupKey(obj: unknown, name: string): { found: boolean; value: unknown } {
  if (obj instanceof Map) {
    return obj.has(name) ? { found: true, value: obj.get(name) } : { found: false, value: undefined };
  }
  const o = obj as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(o, name)) return { found: true, value: o[name] };
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) {
    if (k.toLowerCase() === lower) return { found: true, value: o[k] };
  }
  // Getters and methods on class instances.
  if (!isPlainObject(o) && name in o) {
    const val = o[name];
    return { found: true, value: typeof val === 'function' ? (val as Function).bind(o) : val };
  }
  return { found: false, value: undefined };
}

/** Go's notion of truth used by if/with/and/or/not. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid': case 'nil': return false;
    case 'string': return (v as string).length > 0;
    case 'bool': return v as boolean;
    case 'int': case 'float': return Number(v) !== 0;
    case 'slice': return sliceItems(v).length > 0;
    case 'map': return mapEntries(v).length > 0;
    default: return true;
  }
}

/** Go's time.Time String(): `2006-01-02 15:04:05.999999999 +0000 UTC` (always UTC here). */
export function goTimeString(d: Date): string {
  if (isNaN(d.getTime())) return '0001-01-01 00:00:00 +0000 UTC';
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  let s = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  // A NanoDate (util/nanotime) carries the nanosecond digits of its second.
  const nanos = (d as { nanos?: string }).nanos;
  const ms = d.getUTCMilliseconds();
  if (nanos !== undefined) s += `.${nanos}`.replace(/\.?0+$/, '');
  else if (ms) s += '.' + p(ms, 3).replace(/0+$/, '');
  return s + ' +0000 UTC';
}

/**
 * Go's nil slice and nil map as template values: fmt prints them as `[]` and `map[]`, and
 * encoding/json as `null` (an empty JavaScript array or object would print `[]` / `{}`).
 */
export function goNilSlice(): unknown[] {
  return Object.defineProperty([], 'toJSON', { value: () => null });
}

export function goNilMap(): Record<string, unknown> {
  return Object.defineProperty({}, 'toJSON', { value: () => null });
}
