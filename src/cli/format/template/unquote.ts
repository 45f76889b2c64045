// Go's strconv.Unquote / UnquoteChar for template string, raw string and rune literals.

class SyntaxError extends Error {
  constructor() { super('invalid syntax'); }
}

const SIMPLE: Record<string, string> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\',
};

/** Decodes one (possibly escaped) character at s[i]; returns the text and the next index. */
function unquoteChar(s: string, i: number, quote: string): [string, number] {
  const c = s[i];
  if (c === quote && (quote === "'" || quote === '"')) throw new SyntaxError();
  if (c !== '\\') {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    return [ch, i + ch.length];
  }
  const e = s[i + 1];
  if (e === undefined) throw new SyntaxError();
  if (e in SIMPLE) return [SIMPLE[e], i + 2];
  if (e === "'" || e === '"') {
    if (e !== quote) throw new SyntaxError();
    return [e, i + 2];
  }
  if (e === 'x' || e === 'u' || e === 'U') {
    const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
    const hex = s.slice(i + 2, i + 2 + n);
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) throw new SyntaxError();
    const v = parseInt(hex, 16);
    if (e === 'x') return [String.fromCharCode(v), i + 2 + n];
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new SyntaxError();
    return [String.fromCodePoint(v), i + 2 + n];
  }
  if (e >= '0' && e <= '7') {
    const oct = s.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(oct)) throw new SyntaxError();
    const v = parseInt(oct, 8);
    if (v > 255) throw new SyntaxError();
    return [String.fromCharCode(v), i + 4];
  }
  throw new SyntaxError();
}

/** strconv.Unquote for "..." and `...` literals. Throws Error('invalid syntax'). */
export function goUnquote(lit: string): string {
  const q = lit[0];
  if (lit.length < 2 || lit[lit.length - 1] !== q) throw new SyntaxError();
  const body = lit.slice(1, -1);
  if (q === '`') {
    if (body.includes('`')) throw new SyntaxError();
    return body.replace(/\r/g, '');
  }
  if (q !== '"' && q !== "'") throw new SyntaxError();
  let out = '';
  let i = 0;
  while (i < body.length) {
    if (body[i] === '\n') throw new SyntaxError();
    const [ch, ni] = unquoteChar(body, i, q);
    out += ch;
    i = ni;
  }
  return out;
}

/** The code point of a 'x' rune literal. */
export function goRuneLiteral(lit: string): number {
  if (lit.length < 3 || lit[0] !== "'" || lit[lit.length - 1] !== "'") throw new SyntaxError();
  const [ch, ni] = unquoteChar(lit, 1, "'");
  if (ni !== lit.length - 1) throw new Error(`malformed character constant: ${lit}`);
  return ch.codePointAt(0)!;
}
