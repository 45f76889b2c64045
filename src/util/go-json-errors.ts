// What Go's encoding/json says of input it cannot decode, for files podman reads with it (OCI
// hook files): the syntax error its scanner reports first, and the type errors of Unmarshal.

/** Go's quoteChar: a character as its scanner's errors show it. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

/**
 * The error Go's json.Unmarshal gives for malformed `text` (`invalid character 'x' looking for
 * beginning of value`, `unexpected end of JSON input`...), or undefined when it is well formed.
 */
export function goSyntaxError(text: string): string | undefined {
  let i = 0;
  const END = 'unexpected end of JSON input';
  const bad = (ctx: string) => `invalid character ${quoteChar(text[i])} ${ctx}`;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const value = (): string | undefined => {
    ws();
    if (i >= text.length) return END;
    const c = text[i];
    if (c === '{') {
      i++; ws();
      if (text[i] === '}') { i++; return undefined; }
      for (;;) {
        ws();
        if (i >= text.length) return END;
        if (text[i] !== '"') return bad('looking for beginning of object key string');
        const e = string(); if (e) return e;
        ws();
        if (i >= text.length) return END;
        if (text[i] !== ':') return bad('after object key');
        i++;
        const v = value(); if (v) return v;
        ws();
        if (i >= text.length) return END;
        if (text[i] === '}') { i++; return undefined; }
        if (text[i] !== ',') return bad('after object key:value pair');
        i++;
      }
    }
    if (c === '[') {
      i++; ws();
      if (text[i] === ']') { i++; return undefined; }
      for (;;) {
        const v = value(); if (v) return v;
        ws();
        if (i >= text.length) return END;
        if (text[i] === ']') { i++; return undefined; }
        if (text[i] !== ',') return bad('after array element');
        i++;
      }
    }
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    for (const lit of ['true', 'false', 'null']) {
      if (c !== lit[0]) continue;
      for (let k = 1; k < lit.length; k++) {
        i++;
        if (i >= text.length) return END;
        if (text[i] !== lit[k]) return bad(`in literal ${lit} (expecting ${quoteChar(lit[k])})`);
      }
      i++;
      return undefined;
    }
    return bad('looking for beginning of value');
  };
  const string = (): string | undefined => {
    i++;
    for (;;) {
      if (i >= text.length) return END;
      const c = text[i];
      if (c === '"') { i++; return undefined; }
      if (c < ' ') return bad('in string literal');
      if (c === '\\') {
        i++;
        if (i >= text.length) return END;
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (i >= text.length) return END;
            if (!/[0-9a-fA-F]/.test(text[i])) return bad('in \\u hexadecimal character escape');
          }
        } else if (!'"\\/bfnrt'.includes(text[i])) return bad('in string escape code');
      }
      i++;
    }
  };
  const digits = () => { while (i < text.length && text[i] >= '0' && text[i] <= '9') i++; };
  const number = (): string | undefined => {
    if (text[i] === '-') {
      i++;
      if (i >= text.length) return END;
      if (!(text[i] >= '0' && text[i] <= '9')) return bad('in numeric literal');
    }
    if (text[i] === '0') i++; else digits();
    if (text[i] === '.') {
      i++;
      if (i >= text.length) return END;
      if (!(text[i] >= '0' && text[i] <= '9')) return bad('after decimal point in numeric literal');
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (i >= text.length) return END;
      if (!(text[i] >= '0' && text[i] <= '9')) return bad('in exponent of numeric literal');
      digits();
    }
    return undefined;
  };
  const err = value();
  if (err) return err;
  ws();
  return i < text.length ? bad('after top-level value') : undefined;
}

/** A JSON value's kind as Go's UnmarshalTypeError names it. */
export function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return `number`;
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'string' ? 'string' : 'object';
}

/** A Go type for GoDecoder: a scalar, a slice or map of strings, or a struct (its fields by JSON name). */
export type GoType = 'string' | 'bool' | 'int' | '[]string' | 'map[string]string' | GoStruct;
export interface GoStruct { struct: string; goName: string; fields: Record<string, GoType> }

/**
 * Decodes parsed JSON into plain objects as json.Unmarshal fills Go structs: keys matched to
 * fields exactly, else case-insensitively; unknown keys and nulls skipped; the first value of the
 * wrong type reported (`json: cannot unmarshal string into Go struct field When.when.always of
 * type bool`), the rest still decoded (as Go does).
 */
export function goDecode(v: unknown, t: GoStruct, topName: string): { value: Record<string, unknown>; error?: string } {
  let error: string | undefined;
  const fail = (kind: string, struct: string | undefined, field: string, type: string) => {
    error ??= struct === undefined ? `json: cannot unmarshal ${kind} into Go value of type ${type}`
      : `json: cannot unmarshal ${kind} into Go struct field ${struct}.${field} of type ${type}`;
    return undefined;
  };
  const typeName = (x: GoType) => (typeof x === 'string' ? x : x.goName);
  const dec = (x: unknown, ty: GoType, struct: string | undefined, field: string): unknown => {
    if (x === null) return undefined;
    if (typeof ty === 'object') {
      if (typeof x !== 'object' || Array.isArray(x)) return fail(goKind(x), struct, field, ty.goName);
      const out: Record<string, unknown> = {};
      const names = Object.keys(ty.fields);
      for (const [k, val] of Object.entries(x as Record<string, unknown>)) {
        const name = names.find((n) => n === k) ?? names.find((n) => n.toLowerCase() === k.toLowerCase());
        if (name === undefined) continue;
        const r = dec(val, ty.fields[name], ty.struct, field ? `${field}.${name}` : name);
        if (r !== undefined) out[name] = r;
      }
      return out;
    }
    switch (ty) {
      case 'string': return typeof x === 'string' ? x : fail(goKind(x), struct, field, 'string');
      case 'bool': return typeof x === 'boolean' ? x : fail(goKind(x), struct, field, 'bool');
      case 'int':
        if (typeof x !== 'number') return fail(goKind(x), struct, field, 'int');
        return Number.isInteger(x) ? x : fail(`number ${x}`, struct, field, 'int');
      case '[]string': {
        if (!Array.isArray(x)) return fail(goKind(x), struct, field, typeName(ty));
        return x.map((e) => (typeof e === 'string' ? e : (fail(goKind(e), struct, field, 'string'), '')));
      }
      case 'map[string]string': {
        if (typeof x !== 'object' || Array.isArray(x)) return fail(goKind(x), struct, field, typeName(ty));
        const out: Record<string, string> = {};
        for (const [k, e] of Object.entries(x as Record<string, unknown>)) out[k] = typeof e === 'string' ? e : (fail(goKind(e), struct, field, 'string'), '');
        return out;
      }
    }
  };
  if (v === null) return { value: {} };
  if (typeof v !== 'object' || Array.isArray(v)) { fail(goKind(v), undefined, '', topName); return { value: {}, error }; }
  return { value: dec(v, t, undefined, '') as Record<string, unknown>, error };
}
