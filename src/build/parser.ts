// Containerfile/Dockerfile parsing: parser directives (escape, syntax), line continuations,
// comments, heredocs, --flags, JSON (exec) and shell forms; variable expansion as Docker's
// shell-word rules ($VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}, escapes).
import { PierError } from '../util/errors';

export interface Heredoc {
  name: string;
  content: string;
  /** <<- strips leading tabs. */
  chomp: boolean;
  /** A quoted delimiter: no variable expansion inside. */
  quoted: boolean;
}

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY... */
  name: string;
  /** Everything after the flags, as written (continuations joined). */
  args: string;
  /** --name=value flags; repeated flags (--mount) collect into arrays. */
  flags: Record<string, string | string[]>;
  /** The exec form's array when args is a JSON string array. */
  json: string[] | null;
  heredocs: Heredoc[];
  /** 1-based line of the instruction's first line. */
  line: number;
  /** The instruction as written (for history and error messages). */
  original: string;
}

export interface ParsedFile {
  instructions: Instruction[];
  escape: string;
  syntax?: string;
}

const KNOWN = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME',
  'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);
const WITH_FLAGS = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'HEALTHCHECK']);
const WITH_HEREDOCS = new Set(['RUN', 'COPY', 'ADD']);

export class ParseError extends PierError {
  constructor(file: string, line: number, msg: string) {
    super(`${file}:${line}: ${msg}`);
  }
}

/** Parses a Containerfile; `file` names it in errors (file:line: message). */
export function parseContainerfile(text: string, file = 'Containerfile'): ParsedFile {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let escape = '\\';
  let syntax: string | undefined;
  let i = 0;
  // Parser directives: only at the very top, before any instruction, blank line or other comment.
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new ParseError(file, i + 1, `invalid escape token '${m[2]}' does not match ${'`'} or \\`);
      escape = m[2];
    } else if (key === 'syntax') syntax = m[2];
    else break;
  }
  const out: Instruction[] = [];
  while (i < lines.length) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) { i++; continue; }
    const startLine = i + 1;
    // Join continuation lines; comment and empty lines inside a continuation are dropped.
    let logical = '';
    let cur = raw;
    for (;;) {
      const t = cur.replace(/\s+$/, '');
      if (t.endsWith(escape) && !(escape === '\\' && t.endsWith('\\\\') && false)) {
        logical += t.slice(0, -1);
        i++;
        while (i < lines.length && (/^\s*#/.test(lines[i]) || lines[i].trim() === '')) i++;
        if (i >= lines.length) break;
        cur = lines[i];
        continue;
      }
      logical += cur;
      i++;
      break;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(logical);
    if (!m) continue;
    const name = m[1].toUpperCase();
    if (!KNOWN.has(name)) throw new ParseError(file, startLine, `unknown instruction: ${m[1]}`);
    let rest = m[2].replace(/\s+$/, '');
    const flags: Record<string, string | string[]> = {};
    if (WITH_FLAGS.has(name)) {
      for (;;) {
        const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=((?:"[^"]*"|'[^']*'|\S)*))?(?:\s+|$)/.exec(rest);
        if (!f) break;
        const key = f[1].toLowerCase();
        const val = (f[2] ?? 'true').replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
        if (key === 'mount') flags.mount = [...((flags.mount as string[]) ?? []), val];
        else flags[key] = val;
        rest = rest.slice(f[0].length);
      }
    }
    const heredocs: Heredoc[] = [];
    if (WITH_HEREDOCS.has(name)) {
      const re = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
      let hm: RegExpExecArray | null;
      while ((hm = re.exec(rest))) {
        const body: string[] = [];
        let closed = false;
        while (i < lines.length) {
          const l = lines[i++];
          const cmp = hm[1] ? l.replace(/^\t+/, '') : l;
          if (cmp === hm[3]) { closed = true; break; }
          body.push(hm[1] ? l.replace(/^\t+/, '') : l);
        }
        if (!closed) throw new ParseError(file, startLine, `unterminated heredoc ${hm[3]}`);
        heredocs.push({ name: hm[3], content: body.join('\n') + '\n', chomp: !!hm[1], quoted: !!hm[2] });
      }
    }
    let json: string[] | null = null;
    if (rest.startsWith('[')) {
      try {
        const v = JSON.parse(rest);
        if (Array.isArray(v) && v.every((x) => typeof x === 'string')) json = v;
      } catch { /* shell form */ }
    }
    if (!rest && !['RUN', 'CMD', 'ENTRYPOINT'].includes(name) && !heredocs.length) {
      throw new ParseError(file, startLine, `${name} requires at least one argument`);
    }
    out.push({ name, args: rest, flags, json, heredocs, line: startLine, original: logical.trim() });
  }
  return { instructions: out, escape, syntax };
}

/**
 * Expands $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt} (and the forms without ':') in one word
 * or line, as Docker does for ENV, ARG, LABEL, COPY, WORKDIR, USER, EXPOSE, VOLUME, FROM...
 * `escape` before `$` keeps it literal. Single-quoted text is not expanded.
 */
export function expandVars(s: string, vars: Record<string, string | undefined>, escape = '\\'): string {
  let out = '';
  let inSingle = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === escape && i + 1 < s.length && s[i + 1] === '$') { out += '$'; i++; continue; }
    if (c === "'") { inSingle = !inSingle; out += c; continue; }
    if (c !== '$' || inSingle) { out += c; continue; }
    if (s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) throw new PierError(`missing '}' in ${s}`);
      const body = s.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(body);
      if (!m) throw new PierError(`bad substitution: \${${body}}`);
      const v = vars[m[1]];
      if (!m[2]) out += v ?? '';
      else if (m[2] === ':-') out += v ? v : expandVars(m[3], vars, escape);
      else if (m[2] === '-') out += v !== undefined ? v : expandVars(m[3], vars, escape);
      else if (m[2] === ':+') out += v ? expandVars(m[3], vars, escape) : '';
      else out += v !== undefined ? expandVars(m[3], vars, escape) : '';
      i = end;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) { out += c; continue; }
    out += vars[m[0]] ?? '';
    i += m[0].length;
  }
  return out;
}

/**
 * One Dockerfile word as LABEL (and docker's other word-processing instructions) evaluates it:
 * quotes are removed and variables expanded in a single pass, so `\$X` and '$X' stay literal
 * ("$X" is expanded; inside double quotes only the escape before `"`, `$` or itself is dropped).
 * Whitespace is kept as written.
 */
export function processWord(s: string, vars: Record<string, string | undefined>, escape = '\\'): string {
  let out = '';
  let i = 0;
  // A `$...` at i: its expansion (through expandVars) and where it ends.
  const dollar = (): void => {
    let end = i + 1;
    if (s[end] === '{') {
      const close = s.indexOf('}', end + 1);
      if (close < 0) throw new PierError(`missing '}' in ${s}`);
      end = close + 1;
    } else {
      while (end < s.length && /[A-Za-z0-9_]/.test(s[end])) end++;
    }
    out += end === i + 1 ? '$' : expandVars(s.slice(i, end), vars, escape);
    i = end;
  };
  while (i < s.length) {
    const c = s[i];
    if (c === escape) {
      if (i + 1 < s.length) out += s[i + 1];
      else out += c;
      i += 2;
    } else if (c === "'") {
      const close = s.indexOf("'", i + 1);
      if (close < 0) throw new PierError('unexpected end of statement while looking for matching single-quote');
      out += s.slice(i + 1, close);
      i = close + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new PierError('unexpected end of statement while looking for matching double-quote');
        const d = s[i];
        if (d === '"') { i++; break; }
        if (d === escape && i + 1 < s.length) {
          const e = s[i + 1];
          out += e === '"' || e === '$' || e === escape ? e : d + e;
          i += 2;
        } else if (d === '$') {
          dollar();
        } else {
          out += d;
          i++;
        }
      }
    } else if (c === '$') {
      dollar();
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/**
 * LABEL's pairs, each key and value processed as a word (processWord): `k=v k2="v 2"`, or the
 * legacy `LABEL key value with spaces` (no '=' in the first word), whose value is the rest of
 * the line with its spacing.
 */
export function labelPairs(args: string, vars: Record<string, string | undefined>, escape = '\\'): [string, string][] {
  const words = splitWords(args, escape);
  if (words.length && !words[0].raw.includes('=')) {
    const line = args.trim();
    const sp = line.search(/\s/);
    if (sp < 0) return [[processWord(line, vars, escape), '']];
    return [[processWord(line.slice(0, sp), vars, escape), processWord(line.slice(sp).trimStart(), vars, escape)]];
  }
  return words.map((w) => {
    const word = processWord(w.raw, vars, escape);
    const eq = word.indexOf('=');
    return eq < 0 ? [word, ''] : [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/**
 * Splits `k=v k2="v 2"` (ENV, LABEL, ARG) into pairs, honouring quotes and escapes; the legacy
 * `ENV key value with spaces` form (no '=' in the first word) gives one pair.
 */
export function parseKeyValues(args: string, legacy: boolean, escape = '\\'): [string, string | undefined][] {
  const words = splitWords(args, escape);
  if (legacy && words.length && !words[0].raw.includes('=')) {
    const sp = args.trim().search(/\s/);
    if (sp < 0) return [[args.trim(), undefined]];
    return [[args.trim().slice(0, sp), unquote(args.trim().slice(sp).trim(), escape)]];
  }
  return words.map((w) => {
    const eq = w.value.indexOf('=');
    return eq < 0 ? [w.value, undefined] : [w.value.slice(0, eq), w.value.slice(eq + 1)];
  });
}

/** Words split on unquoted whitespace, quotes removed (raw keeps them). */
export function splitWords(s: string, escape = '\\'): { raw: string; value: string }[] {
  const out: { raw: string; value: string }[] = [];
  let raw = '';
  let value = '';
  let quote = '';
  let started = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      raw += c;
      if (c === quote) { quote = ''; continue; }
      if (c === escape && quote === '"' && i + 1 < s.length) { value += s[++i]; raw += s[i]; continue; }
      value += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (started) out.push({ raw, value });
      raw = ''; value = ''; started = false;
      continue;
    }
    started = true;
    raw += c;
    if (c === '"' || c === "'") { quote = c; continue; }
    if (c === escape && i + 1 < s.length) { value += s[++i]; raw += s[i]; continue; }
    value += c;
  }
  if (quote) throw new PierError(`unterminated quote in: ${s}`);
  if (started) out.push({ raw, value });
  return out;
}

function unquote(s: string, escape: string): string {
  return splitWords(s, escape).map((w) => w.value).join(' ');
}
