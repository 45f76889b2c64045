// Template functions: Go's builtins (and, or, not, len, index, slice, print, printf,
// println, eq, ne, lt, le, gt, ge, html, js, urlquery, call) and podman's additions
// (join, json, lower, upper, title, split, pad, truncate).
import { formatValue, sprint, sprintf, sprintln } from '../gofmt';
import { goJSON } from '../gojson';
import { goTypeName, isTrue, kindOf, mapEntries, sliceItems } from '../govalue';

/** How an argument is checked and converted before the call, as Go's typed parameters are. */
export type ParamType = 'any' | 'string' | 'int' | 'strings';

export interface FuncDef {
  fn: (...args: any[]) => unknown;
  /** Fixed parameters. */
  params: ParamType[];
  /** Type of the variadic tail, if the function takes one. */
  variadic?: ParamType;
}

/** What a user may register: a full definition or a plain function (variadic, untyped). */
export type TemplateFunc = FuncDef | ((...args: any[]) => unknown);

export function toFuncDef(f: TemplateFunc): FuncDef {
  return typeof f === 'function' ? { fn: f, params: [], variadic: 'any' } : f;
}

const def = (fn: (...args: any[]) => unknown, params: ParamType[], variadic?: ParamType): FuncDef =>
  ({ fn, params, variadic });

type Kind = 'bool' | 'int' | 'float' | 'string' | 'nil' | 'other';

function basicKind(v: unknown): Kind {
  const k = kindOf(v);
  switch (k) {
    case 'bool': case 'string': return k;
    case 'int': case 'float': return 'int'; // JSON cannot tell ints from floats: compare numerically
    case 'invalid': case 'nil': return 'nil';
    default: return 'other';
  }
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of rest) {
    const k2 = basicKind(b);
    let truth = false;
    if (k1 !== k2) {
      if (k1 !== 'nil' && k2 !== 'nil') throw new Error('incompatible types for comparison');
    } else if (k1 === 'int') {
      truth = Number(a) === Number(b);
    } else if (k1 === 'nil') {
      truth = true;
    } else if (k1 === 'other') {
      const kb = kindOf(b);
      if (kb === 'slice' || kb === 'map' || kb === 'func') throw new Error(`non-comparable type ${formatValue(b)}: ${goTypeName(b)}`);
      truth = a === b || (a instanceof Date && b instanceof Date && a.getTime() === b.getTime());
    } else {
      truth = a === b;
    }
    if (truth) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'other' || k1 === 'nil' || k2 === 'other' || k2 === 'nil') throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  if (k1 === 'int') return Number(a) < Number(b);
  return (a as string) < (b as string);
}

function length(v: unknown): number {
  switch (kindOf(v)) {
    case 'string': return Buffer.byteLength(v as string, 'utf8');
    case 'slice': return sliceItems(v).length;
    case 'map': return mapEntries(v).length;
    case 'nil': case 'invalid': return 0;
    default: throw new Error(`len of type ${goTypeName(v)}`);
  }
}

function intIndex(x: unknown, what: string): number {
  if (kindOf(x) !== 'int') throw new Error(`cannot index ${what} with type ${goTypeName(x)}`);
  return Number(x);
}

/** The zero value Go's index returns for a missing map key: "" for string maps. */
function mapZero(m: unknown): unknown {
  if (m === null) return '';
  const vals = mapEntries(m).map((e) => e[1]);
  return vals.every((x) => typeof x === 'string') ? '' : null;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined) throw new Error('index of untyped nil');
  for (const ix of indexes) {
    const k = kindOf(item);
    if (k === 'slice' || k === 'string') {
      const s = k === 'string' ? Buffer.from(item as string, 'utf8') : sliceItems(item);
      const i = intIndex(ix, 'slice/array');
      if (i < 0 || i >= s.length) throw new Error(`index out of range: ${i}`);
      item = s[i];
    } else if (k === 'map' || k === 'nil') {
      if (typeof ix !== 'string') throw new Error(`value has type ${goTypeName(ix)}; should be string`);
      if (k === 'nil') { item = mapZero(null); continue; }
      const r = item instanceof Map ? { found: item.has(ix), value: item.get(ix) } : Object.prototype.hasOwnProperty.call(item, ix)
        ? { found: true, value: (item as Record<string, unknown>)[ix] } : { found: false, value: undefined };
      item = r.found ? r.value : mapZero(item);
    } else {
      throw new Error(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined || item === null) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const k = kindOf(item);
  let len: number;
  if (k === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    len = Buffer.byteLength(item as string, 'utf8');
  } else if (k === 'slice') len = sliceItems(item).length;
  else throw new Error(`can't slice item of type ${goTypeName(item)}`);
  const idx = [0, len];
  indexes.forEach((x, i) => {
    const n = intIndex(x, 'slice/array');
    if (n < 0 || n > len) throw new Error(`index out of range: ${n}`);
    idx[i] = n;
  });
  if (idx[0] > idx[1]) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (k === 'string') return Buffer.from(item as string, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return sliceItems(item).slice(idx[0], idx[1]);
}

function evalArgs(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args);
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\': out += '\\\\'; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case '<': out += '\\u003C'; continue;
      case '>': out += '\\u003E'; continue;
      case '&': out += '\\u0026'; continue;
      case '=': out += '\\u003D'; continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

function title(s: string): string {
  let prevSep = true;
  let out = '';
  for (const ch of s) {
    out += prevSep ? ch.toUpperCase() : ch;
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) prevSep = !/[A-Za-z0-9_]/.test(ch);
    else prevSep = /\s/u.test(ch);
  }
  return out;
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (typeof fn !== 'function') throw new Error(`non-function of type ${goTypeName(fn)}`);
  return fn(...args);
}

/** Go's builtin template functions. `and`/`or` are evaluated lazily by the executor. */
export const BUILTINS: Record<string, FuncDef> = {
  and: def((...a: unknown[]) => a.find((x) => !isTrue(x)) ?? a[a.length - 1], ['any'], 'any'),
  or: def((...a: unknown[]) => a.find((x) => isTrue(x)) ?? a[a.length - 1], ['any'], 'any'),
  not: def((a: unknown) => !isTrue(a), ['any']),
  len: def(length, ['any']),
  index: def(index, ['any'], 'any'),
  slice: def(slice, ['any'], 'any'),
  print: def((...a: unknown[]) => sprint(a), [], 'any'),
  printf: def((f: string, ...a: unknown[]) => sprintf(f, a), ['string'], 'any'),
  println: def((...a: unknown[]) => sprintln(a), [], 'any'),
  eq: def(eq, ['any'], 'any'),
  ne: def((a: unknown, b: unknown) => !eq(a, b), ['any', 'any']),
  lt: def(lt, ['any', 'any']),
  le: def((a: unknown, b: unknown) => lt(a, b) || eq(a, b), ['any', 'any']),
  gt: def((a: unknown, b: unknown) => !(lt(a, b) || eq(a, b)), ['any', 'any']),
  ge: def((a: unknown, b: unknown) => !lt(a, b), ['any', 'any']),
  html: def((...a: unknown[]) => htmlEscape(evalArgs(a)), [], 'any'),
  js: def((...a: unknown[]) => jsEscape(evalArgs(a)), [], 'any'),
  urlquery: def((...a: unknown[]) => encodeURIComponent(evalArgs(a)).replace(/%20/g, '+')
    .replace(/[!'()*~]/g, (c) => (c === '~' ? c : '%' + c.charCodeAt(0).toString(16).toUpperCase())), [], 'any'),
  call: def(call, ['any'], 'any'),
};

/** The functions podman adds to every --format template. */
export const PODMAN_FUNCS: Record<string, FuncDef> = {
  join: def((a: string[], sep: string) => a.join(sep), ['strings', 'string']),
  json: def((v: unknown) => goJSON(v, { escapeHTML: false }).trim(), ['any']),
  lower: def((s: string) => s.toLowerCase(), ['string']),
  upper: def((s: string) => s.toUpperCase(), ['string']),
  title: def(title, ['string']),
  split: def((s: string, sep: string) => (sep === '' ? [...s] : s.split(sep)), ['string', 'string']),
  pad: def((s: string, pre: number, post: number) => (s === '' ? s : ' '.repeat(Math.max(pre, 0)) + s + ' '.repeat(Math.max(post, 0))), ['string', 'int', 'int']),
  truncate: def((s: string, n: number) => {
    const cps = [...s];
    return cps.length < n ? s : cps.slice(0, Math.max(n, 0)).join('');
  }, ['string', 'int']),
};

