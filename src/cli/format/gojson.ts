// Go's encoding/json output: optional HTML escaping of <, > and & (json.Marshal's default),
// \u2028/\u2029 escaping, \u00XX for other control characters, RFC 3339 times, Maps and goMap()
// objects (util/gomap) with sorted keys, []byte as base64. Other plain objects keep their key
// order (they stand for structs).
import { compareGoStrings, isGoMap } from '../../util/gomap';

export interface GoJSONOptions {
  /** Indent unit, e.g. 4 spaces; omitted = compact. */
  indent?: string;
  /** Escape <, > and & as \u003c, \u003e, \u0026 (Go's json.Marshal default). */
  escapeHTML?: boolean;
}

const HEX = '0123456789abcdef';

/** A JSON string literal as Go's encoder writes it. */
export function goJSONString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      if (c === 0x0a) out += '\\n';
      else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (escapeHTML && (c === 0x3c || c === 0x3e || c === 0x26)) out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
    else if (c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { out += s[i] + s[i + 1]; i++; } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += s[i];
  }
  return out + '"';
}

function rfc3339Nano(d: Date): string {
  // A NanoDate (util/nanotime) carries the nanosecond digits of its second.
  const nanos = (d as { nanos?: string }).nanos;
  if (nanos !== undefined) return d.toISOString().slice(0, 19) + `.${nanos}`.replace(/\.?0+$/, '') + 'Z';
  return d.toISOString().replace(/\.?0+Z$/, 'Z').replace(/\.Z$/, 'Z');
}

/** Serialises a value as Go's encoding/json would (json.Marshal / MarshalIndent). */
export function goJSON(value: unknown, opts: GoJSONOptions = {}): string {
  const esc = opts.escapeHTML ?? false;
  const unit = opts.indent ?? '';
  const seen = new Set<object>();
  const enc = (v: unknown, depth: number): string | undefined => {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
    if (v === null) return 'null';
    if (typeof v === 'string') return goJSONString(v, esc);
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`json: unsupported value: ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'}`);
      return String(v);
    }
    const o = v as object;
    if (o instanceof Date) return goJSONString(rfc3339Nano(o), esc);
    if (o instanceof Uint8Array) return '"' + Buffer.from(o).toString('base64') + '"';
    if (typeof (o as { toJSON?: unknown }).toJSON === 'function') return enc((o as { toJSON(): unknown }).toJSON(), depth);
    if (seen.has(o)) throw new Error('json: unsupported value: encountered a cycle');
    seen.add(o);
    try {
      const nl = unit ? '\n' + unit.repeat(depth + 1) : '';
      const close = unit ? '\n' + unit.repeat(depth) : '';
      const colon = unit ? ': ' : ':';
      if (Array.isArray(o)) {
        if (o.length === 0) return '[]';
        return '[' + o.map((x) => nl + (enc(x, depth + 1) ?? 'null')).join(',') + close + ']';
      }
      const entries: [string, unknown][] = o instanceof Map
        ? [...o.entries()].map(([k, x]) => [String(k), x] as [string, unknown]).sort((a, b) => compareGoStrings(a[0], b[0]))
        : isGoMap(o) ? Object.entries(o).sort((a, b) => compareGoStrings(a[0], b[0])) : Object.entries(o);
      const parts: string[] = [];
      for (const [k, x] of entries) {
        const s = enc(x, depth + 1);
        if (s !== undefined) parts.push(nl + goJSONString(k, esc) + colon + s);
      }
      if (parts.length === 0) return '{}';
      return '{' + parts.join(',') + close + '}';
    } finally {
      seen.delete(o);
    }
  };
  return enc(value, 0) ?? 'null';
}
