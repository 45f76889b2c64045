// YAML text as podman 4.3.1 prints Kubernetes objects: its objects go through JSON and then Go's
// yaml.v2 (ghodss/yaml), so map keys come sorted (yaml.v2's order: digit runs compared as numbers),
// strings that would read back as another type are double-quoted, strings with line breaks are
// literal blocks, and long plain or quoted strings are folded at 80 columns (yaml.v2 2.4's
// width). Only what a JSON value holds is written: maps, sequences, strings, numbers, booleans, null.
// The emitter below follows libyaml's block emitter (the states a JSON tree reaches), step by step.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

/** yaml.v2's key order: letters by code point, a non-letter before a letter, digit runs by value. */
export function goYAMLKeyLess(a: string, b: string): boolean {
  const ar = [...a];
  const br = [...b];
  const isLetter = (c: string) => /\p{L}/u.test(c);
  const isDigit = (c: string | undefined) => c !== undefined && /\p{Nd}/u.test(c);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const al = isLetter(ar[i]);
    const bl = isLetter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    let an = 0;
    let bn = 0;
    if (ar[i] === '0' || br[i] === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== '0') { an = 1; bn = 1; break; }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10 + (ar[ai].charCodeAt(0) - 48);
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10 + (br[bi].charCodeAt(0) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.length < br.length;
}

const BOOL_NULL = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO',
  'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '', '~', 'null', 'Null', 'NULL', '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF',
  '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '<<']);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go's strconv.ParseInt/ParseUint with base 0 (0x, 0o, 0b, leading-0 octal), as yaml.v2's resolve uses them. */
function goParsesInt(s: string): boolean {
  return /^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.test(s);
}

/** A date yaml.v2 reads as a timestamp (its quick check, then the layouts it tries). */
function isTimestamp(s: string): boolean {
  return /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2})| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)?$/.test(s);
}

/** Whether yaml.v2 would read the plain scalar `s` as something other than a string (so it quotes it). */
function resolvesToNonString(s: string): boolean {
  if (BOOL_NULL.has(s)) return true;
  const c = s[0];
  if (c === '.') return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s);
  if (!/[-+0-9]/.test(c)) return false;
  if (isTimestamp(s)) return true;
  const plain = s.replace(/_/g, '');
  if (goParsesInt(plain)) return true;
  if (YAML_FLOAT.test(plain)) return true;
  if (/^-?0b[01]+$/.test(plain)) return true;
  return false;
}

/** yaml.v2's isBase60Float: 1:20, -190:20:30.15 (quoted for YAML 1.1 readers). */
function isBase60Float(s: string): boolean {
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s);
}

const isBreak = (c: string | undefined) => c === '\r' || c === '\n' || c === '\u0085' || c === '\u2028' || c === '\u2029';
const isSpace = (c: string | undefined) => c === ' ';
const isBlank = (c: string | undefined) => c === ' ' || c === '\t';
/** libyaml's is_printable (the emitter writes unicode). */
function isPrintable(c: string): boolean {
  const v = c.codePointAt(0)!;
  return v === 0x0a || (v >= 0x20 && v <= 0x7e) || (v >= 0xa0 && v <= 0xd7ff) || (v >= 0xe000 && v <= 0xfffd && v !== 0xfeff);
}

interface ScalarAnalysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function analyzeScalar(value: string): ScalarAnalysis {
  const chars = [...value];
  if (chars.length === 0) return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let precededByWs = true;
  let prevSpace = false;
  let prevBreak = false;
  if (value.startsWith('---') || value.startsWith('...')) blockIndicators = true;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const next = chars[i + 1];
    const followedByWs = i + 1 >= chars.length || isBlank(next) || isBreak(next);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      else if ((c === '?' || c === ':') && followedByWs) blockIndicators = true;
      else if (c === '-' && followedByWs) blockIndicators = true;
    } else if (c === ':' && followedByWs) blockIndicators = true;
    else if (c === '#' && precededByWs) blockIndicators = true;
    if (!isPrintable(c)) special = true;
    if (isSpace(c)) {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (prevBreak) breakSpace = true;
      prevSpace = true;
      prevBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (prevSpace) spaceBreak = true;
      prevSpace = false;
      prevBreak = true;
    } else {
      prevSpace = false;
      prevBreak = false;
    }
    precededByWs = isBlank(c) || isBreak(c);
  }
  const a: ScalarAnalysis = { multiline: lineBreaks, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.blockPlainAllowed = false;
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) { a.blockPlainAllowed = false; a.singleQuotedAllowed = false; }
  if (spaceBreak || special) { a.blockPlainAllowed = false; a.singleQuotedAllowed = false; a.blockAllowed = false; }
  if (lineBreaks) a.blockPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

type Style = 'plain' | 'single' | 'double' | 'literal';

class Emitter {
  out = '';
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;
  private mappingContext = false;
  private simpleKeyContext = false;

  private put(s: string): void {
    this.out += s;
    this.column += [...s].length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private writeIndicator(ind: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(ind);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  node(v: Json, ctx: { mapping?: boolean; simpleKey?: boolean } = {}): void {
    this.mappingContext = !!ctx.mapping;
    this.simpleKeyContext = !!ctx.simpleKey;
    if (Array.isArray(v)) return this.sequence(v);
    if (v !== null && typeof v === 'object') return this.mapping(v);
    if (typeof v === 'string') return this.string(v);
    this.scalar(v === null ? 'null' : String(v), 'plain');
  }

  private flowEmpty(open: string, close: string): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, false);
    this.popIndent();
    this.writeIndicator(close, false, false, false);
  }

  private sequence(items: Json[]): void {
    if (items.length === 0) return this.flowEmpty('[', ']');
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item);
    }
    this.popIndent();
  }

  private mapping(m: { [k: string]: Json }): void {
    const keys = Object.keys(m).filter((k) => m[k] !== undefined);
    if (keys.length === 0) return this.flowEmpty('{', '}');
    keys.sort((a, b) => (goYAMLKeyLess(a, b) ? -1 : goYAMLKeyLess(b, a) ? 1 : 0));
    this.increaseIndent(false, false);
    for (const k of keys) {
      this.writeIndent();
      this.node(k, { simpleKey: true });
      this.writeIndicator(':', false, false, false);
      this.node(m[k], { mapping: true });
    }
    this.popIndent();
  }

  /** yaml.v2's stringv: literal with line breaks, plain unless it would read back as another type. */
  private string(s: string): void {
    let style: Style;
    if (s.includes('\n')) style = 'literal';
    else if (!resolvesToNonString(s) && !isBase60Float(s)) style = 'plain';
    else style = 'double';
    this.scalar(s, style);
  }

  private scalar(value: string, requested: Style): void {
    const a = analyzeScalar(value);
    let style = requested;
    if (this.simpleKeyContext && a.multiline) style = 'double';
    if (style === 'plain') {
      if (!a.blockPlainAllowed) style = 'single';
      if (value.length === 0 && this.simpleKeyContext) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || this.simpleKeyContext)) style = 'double';
    this.increaseIndent(true, false);
    const breaks = !this.simpleKeyContext;
    if (style === 'plain' || style === 'single') this.writePlainOrSingle(value, breaks, style === 'single');
    else if (style === 'double') this.writeDouble(value, breaks);
    else this.writeLiteral(value);
    this.popIndent();
  }

  /** libyaml's plain and single-quoted writers (one loop: they differ in the quotes and where a fold may go). */
  private writePlainOrSingle(value: string, allowBreaks: boolean, single: boolean): void {
    const chars = [...value];
    if (single) this.writeIndicator("'", true, false, false);
    else if (!this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      if (isSpace(c)) {
        const inside = !single || (i > 0 && i < chars.length - 1);
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && inside && !isSpace(chars[i + 1])) this.writeIndent();
        else this.put(c);
        spaces = true;
      } else if (isBreak(c)) {
        if (!breaks && c === '\n') this.putBreak();
        this.putBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (single && c === "'") this.put("'");
        this.put(c);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (single) this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDouble(value: string, allowBreaks: boolean): void {
    const chars = [...value];
    const ESC: Record<number, string> = { 0: '0', 7: 'a', 8: 'b', 9: 't', 10: 'n', 11: 'v', 12: 'f', 13: 'r', 0x1b: 'e', 0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P' };
    this.writeIndicator('"', true, false, false);
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      const v = c.codePointAt(0)!;
      if (!isPrintable(c) || v === 0xfeff || isBreak(c) || c === '"' || c === '\\') {
        const e = ESC[v];
        if (e !== undefined) this.put(`\\${e}`);
        else if (v <= 0xff) this.put(`\\x${v.toString(16).toUpperCase().padStart(2, '0')}`);
        else if (v <= 0xffff) this.put(`\\u${v.toString(16).toUpperCase().padStart(4, '0')}`);
        else this.put(`\\U${v.toString(16).toUpperCase().padStart(8, '0')}`);
        spaces = false;
      } else if (isSpace(c)) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < chars.length - 1) {
          this.writeIndent();
          if (isSpace(chars[i + 1])) this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(value: string): void {
    const chars = [...value];
    this.writeIndicator('|', true, false, false);
    if (isSpace(chars[0]) || isBreak(chars[0])) this.writeIndicator(String(BEST_INDENT), false, false, false);
    let chomp = '';
    const last = chars.length - 1;
    if (!isBreak(chars[last])) chomp = '-';
    else if (last === 0 || isBreak(chars[last - 1])) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of chars) {
      if (isBreak(c)) {
        this.putBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }

  /** The document's end: the last line closed. */
  end(): string {
    this.writeIndent();
    return this.out;
  }
}

/** One document as podman's generateKubeYAML writes it (ghodss/yaml over yaml.v2): no `---`, a final newline. */
export function goYAML(value: unknown): string {
  const e = new Emitter();
  e.node(JSON.parse(JSON.stringify(value)) as Json);
  return e.end();
}
