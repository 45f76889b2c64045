// Go's fmt package for template values: %v printing, Sprint, Sprintln and Sprintf
// with Go's verbs, flags, width/precision and its %!verb(type=value) error forms.
import { formatFloat } from './gofloat';
import { goDuration } from '../../util/go-duration';
import { GoDuration, goTimeString, goTypeName, kindOf, sliceItems, sortedEntries, mapEntries } from './govalue';
import { goQuote } from '../../util/goquote';

export { goQuote };

interface Flags {
  plus: boolean; minus: boolean; sharp: boolean; space: boolean; zero: boolean;
  width?: number; prec?: number;
  plusV: boolean; sharpV: boolean;
}

const noFlags = (): Flags => ({ plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false });

function runeLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, f: Flags, zeroOk = true): string {
  if (f.width === undefined) return s;
  const n = f.width - runeLen(s);
  if (n <= 0) return s;
  if (f.minus) return s + ' '.repeat(n);
  if (f.zero && zeroOk) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  return ' '.repeat(n) + s;
}

function toBigInt(v: unknown): bigint {
  return typeof v === 'bigint' ? v : BigInt(Number(v));
}

function fmtInteger(v: unknown, verb: string, f: Flags): string | undefined {
  const n = toBigInt(v);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v': case 'd': digits = abs.toString(10); break;
    case 'b': digits = abs.toString(2); if (f.sharp) prefix = '0b'; break;
    case 'o': digits = abs.toString(8); if (f.sharp) prefix = '0'; break;
    case 'O': digits = abs.toString(8); prefix = '0o'; break;
    case 'x': digits = abs.toString(16); if (f.sharp) prefix = '0x'; break;
    case 'X': digits = abs.toString(16).toUpperCase(); if (f.sharp) prefix = '0X'; break;
    case 'c': return pad(String.fromCodePoint(Number(n)), f, false);
    case 'q': return pad(goQuote(String.fromCodePoint(Number(n)), f.plus, "'"), f, false);
    case 'U': {
      let s = 'U+' + abs.toString(16).toUpperCase().padStart(4, '0');
      if (f.sharp) s += " '" + String.fromCodePoint(Number(n)) + "'";
      return pad(s, f, false);
    }
    default: return undefined;
  }
  let minDigits = f.prec;
  if (minDigits === undefined && f.zero && !f.minus && f.width !== undefined) {
    minDigits = f.width - ((neg || f.plus || f.space) ? 1 : 0) - prefix.length;
  }
  if (f.prec === 0 && abs === 0n) digits = '';
  if (minDigits !== undefined && digits.length < minDigits) digits = '0'.repeat(minDigits - digits.length) + digits;
  if (prefix === '0' && digits.startsWith('0')) prefix = '';
  const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  return pad(sign + prefix + digits, f, false);
}

function fmtFloatVerb(x: number, verb: string, f: Flags): string | undefined {
  let fmtc: 'e' | 'E' | 'f' | 'F' | 'g' | 'G';
  let prec = f.prec ?? -1;
  switch (verb) {
    case 'v': case 'g': fmtc = 'g'; break;
    case 'G': fmtc = 'G'; break;
    case 'e': case 'E': fmtc = verb; if (f.prec === undefined) prec = 6; break;
    case 'f': case 'F': fmtc = 'f'; if (f.prec === undefined) prec = 6; break;
    default: return undefined;
  }
  let s = formatFloat(x, fmtc, prec);
  if (Number.isFinite(x)) {
    if (s[0] !== '-') s = (f.plus ? '+' : f.space ? ' ' : '') + s;
  } else if (s === '+Inf' && !f.plus) {
    s = f.space ? ' Inf' : 'Inf';
  }
  return pad(s, f, Number.isFinite(x));
}

function fmtString(s: string, verb: string, f: Flags): string | undefined {
  if (f.prec !== undefined && (verb === 's' || verb === 'v' || verb === 'q')) s = [...s].slice(0, f.prec).join('');
  switch (verb) {
    case 'v': case 's': return pad(s, f);
    case 'q': return pad(f.sharp && !/[`\x00-\x08\x0a-\x1f\x7f]/.test(s) ? '`' + s + '`' : goQuote(s, f.plus), f);
    case 'x': case 'X': {
      const hex = Buffer.from(s, 'utf8').toString('hex');
      const h = verb === 'X' ? hex.toUpperCase() : hex;
      const bytes = f.space ? h.match(/../g)?.join(' ') ?? '' : h;
      return pad(f.sharp ? (verb === 'X' ? '0X' : '0x') + bytes : bytes, f);
    }
    default: return undefined;
  }
}

function badVerb(v: unknown, verb: string): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatArg(v, 'v', noFlags(), 1)})`;
}

/** Formats one operand for a verb, as fmt's printArg/printValue do. */
function formatArg(v: unknown, verb: string, f: Flags, depth: number): string {
  if (verb === 'T') return pad(v === null || v === undefined ? '<nil>' : goTypeName(v), f);
  const kind = kindOf(v);
  switch (kind) {
    case 'invalid':
    case 'nil':
      if (verb === 'v') return pad(depth === 0 && kind === 'invalid' ? '<no value>' : '<nil>', f);
      return badVerb(v, verb);
    case 'bool':
      return verb === 'v' || verb === 't' ? pad(String(v), f) : badVerb(v, verb);
    case 'int': {
      if (v instanceof GoDuration && (verb === 'v' || verb === 's')) {
        return pad(goDuration(v.ns), f);
      }
      const r = fmtInteger(v, verb, f);
      if (r !== undefined) return r;
      // Go rejects float verbs on ints, but JSON cannot tell 2.0 from 2: accept them.
      return fmtFloatVerb(Number(v), verb, f) ?? badVerb(v, verb);
    }
    case 'float':
      return fmtFloatVerb(v as number, verb, f) ?? badVerb(v, verb);
    case 'string':
      if (f.sharpV) return pad(goQuote(String(v)), f);
      return fmtString(String(v), verb, f) ?? badVerb(v, verb);
    case 'time':
      return fmtString(goTimeString(v as Date), verb, f) ?? badVerb(v, verb);
    case 'func':
      return verb === 'v' ? pad('0x0', f) : badVerb(v, verb);
    case 'slice': {
      if (v instanceof Uint8Array && (verb === 'x' || verb === 'X')) {
        const hex = Buffer.from(v).toString('hex');
        return pad((f.sharp ? '0x' : '') + (verb === 'X' ? hex.toUpperCase() : hex), f);
      }
      if (v instanceof Uint8Array && (verb === 's' || verb === 'q')) {
        return fmtString(Buffer.from(v).toString('utf8'), verb, f)!;
      }
      const items = sliceItems(v).map((x) => formatArg(x, verb, f, depth + 1));
      return (f.sharpV ? goTypeName(v) + '{' + items.join(', ') + '}' : '[' + items.join(' ') + ']');
    }
    case 'map': {
      const items = sortedEntries(v).map(([k, x]) => formatArg(k, verb, f, depth + 1) + ':' + formatArg(x, verb, f, depth + 1));
      return f.sharpV ? goTypeName(v) + '{' + items.join(', ') + '}' : 'map[' + items.join(' ') + ']';
    }
    case 'struct': {
      const items = mapEntries(v).map(([k, x]) => (f.plusV || f.sharpV ? k + ':' : '') + formatArg(x, verb, f, depth + 1));
      return f.sharpV ? goTypeName(v) + '{' + items.join(', ') + '}' : '{' + items.join(' ') + '}';
    }
  }
}

/** fmt.Sprint(v) for a single value: what a template action prints. */
export function formatValue(v: unknown): string {
  return formatArg(v, 'v', noFlags(), 0);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((a, i) => {
    const isString = typeof a === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatArg(a, 'v', noFlags(), 1);
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands always space-separated, newline appended. */
export function sprintln(args: unknown[]): string {
  return args.map((a) => formatArg(a, 'v', noFlags(), 1)).join(' ') + '\n';
}

/** fmt.Sprintf with Go's verbs and error forms. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argNum = 0;
  const end = format.length;
  let i = 0;
  while (i < end) {
    const pct = format.indexOf('%', i);
    if (pct < 0) { out += format.slice(i); break; }
    out += format.slice(i, pct);
    i = pct + 1;
    const f = noFlags();
    for (; i < end; i++) {
      const c = format[i];
      if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = !f.minus;
      else if (c === '+') f.plus = true;
      else if (c === '-') { f.minus = true; f.zero = false; }
      else if (c === ' ') f.space = true;
      else break;
    }
    // Width.
    if (format[i] === '*') {
      i++;
      const w = args[argNum++];
      if (typeof w === 'number' && Number.isInteger(w)) {
        f.width = Math.abs(w);
        if (w < 0) { f.minus = true; f.zero = false; }
      } else out += '%!(BADWIDTH)';
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) { f.width = parseInt(m[0], 10); i += m[0].length; }
    }
    // Precision.
    if (format[i] === '.') {
      i++;
      if (format[i] === '*') {
        i++;
        const p = args[argNum++];
        if (typeof p === 'number' && Number.isInteger(p) && p >= 0) f.prec = p;
        else out += '%!(BADPREC)';
      } else {
        const m = /^\d+/.exec(format.slice(i));
        f.prec = m ? parseInt(m[0], 10) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= end) { out += '%!(NOVERB)'; break; }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') { out += '%'; continue; }
    if (argNum >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    if (verb === 'v') {
      f.sharpV = f.sharp; f.sharp = false;
      f.plusV = f.plus; f.plus = false;
    }
    out += formatArg(args[argNum++], verb, f, 1);
  }
  if (argNum < args.length) {
    out += '%!(EXTRA ' + args.slice(argNum).map((a) =>
      a === null || a === undefined ? '<nil>' : goTypeName(a) + '=' + formatArg(a, 'v', noFlags(), 1)).join(', ') + ')';
  }
  return out;
}
