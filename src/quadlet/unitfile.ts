// systemd unit files as quadlet reads and writes them: groups (sections) of `Key=value` lines
// and comments, kept in order so that a file is written back as it was read (several
// instances of one group merged into the first), plus the lookups quadlet makes: the last
// value, all values (an empty assignment resets the list), booleans, numbers, and values split
// into words as systemd splits command lines and lists (docs/quadlet.md).

interface Line {
  key: string;
  /** The raw value: a continued line keeps its `\` + newline (lookups join it). */
  value: string;
  comment: boolean;
}

interface Group {
  name: string;
  /** Comments (and blank lines) before the `[Group]` line. */
  comments: Line[];
  lines: Line[];
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const trimEndSpace = (s: string) => s.replace(/[ \t\n\r\f\v]+$/, '');

/** A unit file's text; `parse` throws on a line that is no group, key or comment. */
export class UnitFile {
  private groups: Group[] = [];
  /** The file's name (`web.container`) and, when read from disk, its path. */
  filename = '';
  path = '';

  static parse(text: string, filename = '', file = ''): UnitFile {
    const u = new UnitFile();
    u.filename = filename;
    u.path = file;
    let current: Group | undefined;
    let pending: Line[] = [];
    const rows = text.split('\n');
    if (rows.length && rows[rows.length - 1] === '') rows.pop();
    for (let i = 0; i < rows.length; i++) {
      const lineNo = i + 1;
      let line = rows[i].trim();
      if (line === '' || line[0] === '#' || line[0] === ';') {
        pending.push({ key: '', value: line, comment: true });
        continue;
      }
      if (line[0] === '[') {
        const end = line.indexOf(']');
        if (end >= 0 && line.slice(end + 1).trim() === '') {
          const name = line.slice(1, end);
          // eslint-disable-next-line no-control-regex
          if (name === '' || /[[\]\x00-\x1f\x7f]/.test(name)) throw new Error(`invalid group name: ${name}`);
          current = u.ensureGroup(name);
          // One blank line before a group is the separator writing puts back.
          if (pending.length && pending[0].value === '') pending = pending.slice(1);
          current.comments.push(...pending);
          pending = [];
          continue;
        }
      }
      const eq = line.indexOf('=');
      if (eq <= 0) throw new Error(`file contains line ${lineNo}: “${line}” which is not a key-value pair, group, or comment`);
      // A line ending in `\` continues on the next one (kept raw; lookups join them).
      while (line.endsWith('\\') && i + 1 < rows.length) line += '\n' + rows[++i].trim();
      if (!current) throw new Error('key file does not start with a group');
      const key = trimEndSpace(line.slice(0, eq));
      if (key === '' || key[0] === ' ') throw new Error(`invalid key name: ${key}`);
      let v = eq + 1;
      while (v < line.length && isSpace(line[v])) v++;
      current.lines.push(...pending, { key, value: line.slice(v), comment: false });
      pending = [];
    }
    if (!current) current = u.ensureGroup('');
    current.lines.push(...pending);
    return u;
  }

  private group(name: string): Group | undefined {
    return this.groups.find((g) => g.name === name);
  }

  private ensureGroup(name: string): Group {
    let g = this.group(name);
    if (!g) {
      g = { name, comments: [], lines: [] };
      this.groups.push(g);
    }
    return g;
  }

  /** A copy (name kept, path not). */
  dup(): UnitFile {
    const u = new UnitFile();
    u.filename = this.filename;
    u.groups = this.groups.map((g) => ({ name: g.name, comments: g.comments.map((l) => ({ ...l })), lines: g.lines.map((l) => ({ ...l })) }));
    return u;
  }

  hasGroup(name: string): boolean {
    return !!this.group(name);
  }

  /** Renames a group in place, or merges it into an existing group of the new name. */
  renameGroup(from: string, to: string): void {
    const g = this.group(from);
    if (!g) return;
    const target = this.group(to);
    if (!target) { g.name = to; return; }
    target.comments.push(...g.comments);
    target.lines.push(...g.lines);
    this.groups = this.groups.filter((x) => x !== g);
  }

  /** The keys of a group, each once, in order of first appearance. */
  keys(group: string): string[] {
    return [...new Set((this.group(group)?.lines ?? []).filter((l) => !l.comment).map((l) => l.key))];
  }

  private lastLine(group: string, key: string): Line | undefined {
    const lines = this.group(group)?.lines ?? [];
    for (let i = lines.length - 1; i >= 0; i--) if (!lines[i].comment && lines[i].key === key) return lines[i];
    return undefined;
  }

  hasKey(group: string, key: string): boolean {
    return !!this.lastLine(group, key);
  }

  /** The last value of the key, continuations joined, trailing blanks removed. */
  lookup(group: string, key: string): string | undefined {
    const l = this.lastLine(group, key);
    return l ? trimEndSpace(joinContinuations(l.value)) : undefined;
  }

  /** The last value as a systemd boolean (1, yes, true, on: true; anything else false). */
  lookupBoolean(group: string, key: string): boolean | undefined {
    const v = this.lookup(group, key);
    return v === undefined ? undefined : ['1', 'yes', 'true', 'on'].includes(v.toLowerCase());
  }

  /** The last value as a number as systemd reads one (strtol: 0x hex, 0 octal); `dflt` when unset or not a number in 0..2^32-1. */
  lookupUint32(group: string, key: string, dflt: number): number {
    const v = this.lookup(group, key);
    if (v === undefined) return dflt;
    const n = parseNumber(v);
    return n === undefined || n < 0 || n > 0xffffffff ? dflt : n;
  }

  /** Every value of the key in order; an empty value drops those before it. */
  lookupAll(group: string, key: string): string[] {
    let out: string[] = [];
    for (const l of this.group(group)?.lines ?? []) {
      if (l.comment || l.key !== key) continue;
      if (l.value === '') out = [];
      else out.push(joinContinuations(l.value));
    }
    return out;
  }

  /** Every value split as a systemd list (quotes removed, backslashes kept), words concatenated. */
  lookupAllStrv(group: string, key: string): string[] {
    return this.lookupAll(group, key).flatMap((v) => splitWords(v, 'strv') ?? []);
  }

  /** Every value split as a command line (quotes removed, C escapes applied); a value that does not split is left out. */
  lookupAllArgs(group: string, key: string): string[] {
    return this.lookupAll(group, key).flatMap((v) => splitWords(v, 'exec') ?? []);
  }

  /** The last value split as a command line. */
  lookupLastArgs(group: string, key: string): string[] | undefined {
    const l = this.lastLine(group, key);
    return l ? splitWords(joinContinuations(l.value), 'exec') : undefined;
  }

  /** `Environment=`-style values: each word `KEY=VALUE`, later ones winning; sorted by key. */
  lookupAllKeyVal(group: string, key: string): [string, string][] {
    const m = new Map<string, string>();
    for (const w of this.lookupAllArgs(group, key)) {
      const eq = w.indexOf('=');
      if (eq >= 0) m.set(w.slice(0, eq), w.slice(eq + 1));
    }
    return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  add(group: string, key: string, value: string): void {
    this.ensureGroup(group).lines.push({ key, value, comment: false });
  }

  /** Sets the key's last instance to the value, or adds the key. */
  set(group: string, key: string, value: string): void {
    const l = this.lastLine(group, key);
    if (l) l.value = value;
    else this.add(group, key, value);
  }

  /** Adds a command line, its words escaped for systemd. */
  addCommand(group: string, key: string, words: string[], prefix = ''): void {
    this.add(group, key, prefix + words.map(escapeWord).join(' '));
  }

  /** Comments (`# text`) at the very start of the file. */
  prependComments(...comments: string[]): void {
    const g = this.groups[0] ?? this.ensureGroup('');
    g.comments.unshift(...comments.map((c) => ({ key: '', value: `# ${c}`, comment: true })));
  }

  toString(): string {
    const out: string[] = [];
    this.groups.forEach((g, i) => {
      if (i > 0) out.push('');
      for (const c of g.comments) out.push(c.value);
      if (g.name === '') return;
      out.push(`[${g.name}]`);
      for (const l of g.lines) out.push(l.comment ? l.value : `${l.key}=${l.value}`);
    });
    return out.length ? out.join('\n') + '\n' : '';
  }
}

/** systemd joins a line ending in `\` with the next, the backslash becoming a blank. */
function joinContinuations(raw: string): string {
  return raw.replace(/\\\n/g, ' ');
}

function parseNumber(v: string): number | undefined {
  let s = v;
  let sign = 1;
  if (s.startsWith('+')) s = s.slice(1);
  else if (s.startsWith('-')) { s = s.slice(1); sign = -1; }
  let n: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) n = parseInt(s.slice(2), 16);
  else if (/^0[0-7]*$/.test(s)) n = parseInt(s, 8);
  else if (/^[1-9][0-9]*$/.test(s)) n = parseInt(s, 10);
  else return undefined;
  return sign * n;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'", s: ' ' };

/** One C escape after a backslash at `s[i]`: [text, characters used], or undefined for an unknown or bad one. */
function cEscape(s: string, i: number): [string, number] | undefined {
  const c = s[i];
  if (c in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[c], 1];
  const hex = (n: number, len: number): [string, number] | undefined => {
    const digits = s.slice(i + 1, i + 1 + n);
    if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) return undefined;
    const code = parseInt(digits, 16);
    if (code === 0 || code > 0x10ffff) return undefined;
    return [String.fromCodePoint(code), len];
  };
  if (c === 'x') return hex(2, 3);
  if (c === 'u') return hex(4, 5);
  if (c === 'U') return hex(8, 9);
  if (c >= '0' && c <= '7') {
    const digits = s.slice(i, i + 3);
    if (!/^[0-7]{3}$/.test(digits)) return undefined;
    const code = parseInt(digits, 8);
    if (code === 0 || code > 255) return undefined;
    return [String.fromCharCode(code), 3];
  }
  return undefined;
}

/**
 * Splits a value into words as systemd does: blanks separate words, single or double quotes
 * group (and are removed). `exec`: a command line, with C escapes (`\n`, `\x41`, `\"`...), an
 * unbalanced quote or trailing backslash tolerated; undefined for an unknown escape. `strv`: a
 * list, backslashes kept as they are; undefined for an unbalanced quote.
 */
export function splitWords(s: string, mode: 'exec' | 'strv'): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && isSpace(s[i])) i++;
    if (i >= s.length) break;
    let word = '';
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i];
      if (!quote && isSpace(c)) break;
      if (c === '\\' && mode === 'exec') {
        if (i + 1 >= s.length) break;
        const e = cEscape(s, i + 1);
        if (!e) return undefined;
        word += e[0];
        i += e[1];
        continue;
      }
      if (quote) {
        if (c === quote) quote = '';
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else word += c;
    }
    if (quote && mode === 'strv') return undefined;
    words.push(word);
  }
  return words;
}

/** A character that makes a word need quoting on a command line (ASCII only; other characters pass). */
function needsEscape(c: string): boolean {
  const code = c.codePointAt(0)!;
  if (code > 128) return false;
  return /\s/.test(c) || code < 0x20 || code === 0x7f || c === '"' || c === "'" || c === '\\';
}

const WORD_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\f': '\\f', '\\': '\\\\', '"': '\\"' };

/** One word of a systemd command line: as it is, or double-quoted with C escapes when it has blanks, quotes, backslashes or controls. */
export function escapeWord(w: string): string {
  if (w === '') return '""';
  if (![...w].some(needsEscape)) return w;
  let out = '"';
  for (const c of w) {
    if (!needsEscape(c) || c === ' ' || c === "'") out += c;
    else out += WORD_ESCAPES[c] ?? `\\x${c.codePointAt(0)!.toString(16).padStart(2, '0')}`;
  }
  return out + '"';
}
