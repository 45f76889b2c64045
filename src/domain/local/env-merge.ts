// --env-merge KEY=VALUE: the value is expanded as a Containerfile word ($VAR, ${VAR},
// ${VAR:-word}, ${VAR:+word}, quotes and backslash escapes) against the container's default
// variables, and replaces KEY's value when KEY is one of them (podman 4.3 ignores other keys).
import { UsageError } from '../../util/errors';

class WordError extends Error {}

/** Expand one --env-merge word against `vars` (unset names expand to ''). */
export function expandEnvWord(word: string, vars: ReadonlyMap<string, string>): string {
  let i = 0;
  const peek = () => word[i];

  // Reads up to `stop` (top level, not quoted) or the end; the stop character is consumed.
  const processUntil = (stop?: string): string => {
    let out = '';
    while (i < word.length) {
      const c = word[i];
      if (stop !== undefined && c === stop) { i++; return out; }
      if (c === "'") out += single();
      else if (c === '"') out += double();
      else if (c === '$') out += dollar();
      else if (c === '\\') {
        i++;
        if (i < word.length) out += word[i++];
      } else { out += c; i++; }
    }
    if (stop !== undefined) throw new WordError(`unexpected end of statement while looking for matching ${stop}`);
    return out;
  };

  const single = (): string => {
    i++;
    const end = word.indexOf("'", i);
    if (end < 0) throw new WordError('unexpected end of statement while looking for matching single-quote');
    const s = word.slice(i, end);
    i = end + 1;
    return s;
  };

  const double = (): string => {
    i++;
    let out = '';
    while (i < word.length) {
      const c = word[i];
      if (c === '"') { i++; return out; }
      if (c === '$') { out += dollar(); continue; }
      if (c === '\\' && i + 1 < word.length && ['"', '$', '\\'].includes(word[i + 1])) { out += word[i + 1]; i += 2; continue; }
      out += c;
      i++;
    }
    throw new WordError('unexpected end of statement while looking for matching double-quote');
  };

  const lookup = (name: string) => vars.get(name) ?? '';

  const dollar = (): string => {
    i++;
    const c = peek();
    if (c === '{') {
      i++;
      const m = /^[A-Za-z0-9_]*/.exec(word.slice(i))![0];
      i += m.length;
      if (peek() === '}') { i++; return lookup(m); }
      if (peek() !== ':') throw new WordError(`Missing ':' in substitution: ${word}`);
      i++;
      const mod = peek() ?? '';
      if (mod !== '-' && mod !== '+') throw new WordError(`Unsupported modifier (${mod}) in substitution: ${word}`);
      i++;
      const alt = processUntil('}');
      const v = lookup(m);
      if (mod === '-') return v !== '' ? v : alt;
      return v !== '' ? alt : '';
    }
    if (c !== undefined && /[0-9]/.test(c)) { i++; return lookup(c); }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(word.slice(i));
    if (!m) return '$';
    i += m[0].length;
    return lookup(m[0]);
  };

  return processUntil();
}

/** `env` (KEY=VALUE, defaults and image) after the --env-merge values, in order. */
export function applyEnvMerge(env: string[], merges: readonly string[]): string[] {
  const vars = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) vars.set(e.slice(0, i), e.slice(i + 1));
  }
  for (const m of merges) {
    let word: string;
    try {
      word = expandEnvWord(m, vars);
    } catch (e) {
      if (e instanceof WordError) throw new UsageError(`unable to process variables for --env-merge ${m}: ${e.message}`);
      throw e;
    }
    const i = word.indexOf('=');
    if (i < 0) throw new UsageError(`unable to process variables for --env-merge ${m}: must be KEY=VALUE`);
    const key = word.slice(0, i);
    if (vars.has(key)) vars.set(key, word.slice(i + 1));
  }
  return env.map((e) => {
    const i = e.indexOf('=');
    return i > 0 ? `${e.slice(0, i)}=${vars.get(e.slice(0, i))}` : e;
  });
}
