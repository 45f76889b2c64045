// .containerignore / .dockerignore, read and matched as buildah 1.28 (podman 4.3) does:
// - the file: one pattern a line; empty lines and lines starting with `#` are skipped, `/` is
//   trimmed from both ends of a line, then blanks; the pattern is cleaned (`a/./b/` is `a/b`);
//   `!pattern` is an exception (re-includes what it matches).
// - a path (relative to the context) is excluded when the last pattern that matches it is not an
//   exception. A pattern matches the path or any of its parent directories; `*` and `?` never
//   match `/`, `**` matches any number of directories, a trailing `**` everything; other
//   characters are regular-expression syntax (`[a-z]` classes).
// - an excluded directory is still walked when some exception's text, with a `/` appended, starts
//   with the directory's path (`!dir/keep.txt` for `dir`; `!**/keep.txt` does not count), so the
//   exceptions under it are found; a source named by COPY that is an excluded directory is copied
//   (with what its walk finds) when an exception starts with `DIR/`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from '../util/errors';

interface Pattern {
  /** The cleaned pattern (without the `!`). */
  text: string;
  re: RegExp;
  exception: boolean;
}

/** Go's filepath.Clean for slash-separated paths. */
function clean(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** Whether the pattern's `[...]` classes and escapes are well formed (Go's filepath.Match syntax). */
function wellFormed(p: string): boolean {
  const cs = [...p];
  let i = 0;
  /** One class character (maybe escaped); the class must go on after it. */
  const classChar = (): boolean => {
    if (i >= cs.length || cs[i] === '-' || cs[i] === ']') return false;
    if (cs[i] === '\\' && ++i >= cs.length) return false;
    return ++i < cs.length;
  };
  while (i < cs.length) {
    const c = cs[i++];
    if (c === '\\') {
      if (i++ >= cs.length) return false;
    } else if (c === '[') {
      if (cs[i] === '^') i++;
      for (let n = 0; ; n++) {
        if (cs[i] === ']' && n > 0) { i++; break; }
        if (!classChar()) return false;
        if (cs[i] === '-') { i++; if (!classChar()) return false; }
      }
    }
  }
  return true;
}

/** A pattern as a regular expression, anchored, matching the path or what lies under it. */
function toRegex(p: string): RegExp | null {
  let re = '^';
  const chars = [...p];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        re += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '.' || c === '$') {
      re += `\\${c}`;
    } else if (c === '\\') {
      if (i + 1 >= chars.length) return null;
      re += `\\${chars[++i]}`;
    } else {
      re += c;
    }
  }
  try {
    return new RegExp(`${re}(/.*)?$`);
  } catch {
    return null;
  }
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[] = [];

  /**
   * `lines`: the ignore file's lines; `file`: where they come from, named in the message of a
   * COPY source left empty by them (an ignore file given with --ignorefile is not named, as podman).
   */
  constructor(lines: string[], readonly file?: string) {
    const listed: string[] = [];
    for (const line of lines) {
      if (!line || line.startsWith('#')) continue;
      const trimmed = line.replace(/^\/+|\/+$/g, '');
      if (trimmed) listed.push(trimmed);
    }
    const fail = (why: string) => new PierError(`processing excludes list [${listed.join(' ')}]: ${why}`);
    for (const l of listed) {
      let p = l.trim();
      if (!p) continue;
      p = clean(p);
      let exception = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw fail('illegal exclusion pattern: "!"');
        exception = true;
        p = clean(p.slice(1)).replace(/^\//, '');
      }
      const re = wellFormed(p) ? toRegex(p) : null;
      if (!re) throw fail('syntax error in pattern');
      this.patterns.push({ text: p, re, exception });
    }
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether a context-relative path (`a/b/c`) is left out of the build context. */
  ignored(rel: string): boolean {
    if (rel === '' || rel === '.') return false;
    let excluded = false;
    for (const p of this.patterns) if (p.re.test(rel)) excluded = !p.exception;
    return excluded;
  }

  /** Whether the walk goes into the excluded directory `rel` to look for re-included entries. */
  descendInto(rel: string): boolean {
    const dir = rel.replace(/^\/+|\/+$/g, '');
    return this.patterns.some((p) => p.exception && `${p.text.replace(/^\/+|\/+$/g, '')}/`.startsWith(dir));
  }

  /** Whether COPY copies the excluded directory `rel` it names, for the exceptions under it. */
  includeDirectoryAnyway(rel: string): boolean {
    const prefix = `${rel.replace(/^\/+/, '')}/`;
    return this.patterns.some((p) => p.exception && p.text.replace(/^\/+/, '').startsWith(prefix));
  }
}

/**
 * The build's ignore file: --ignorefile's; else `<Containerfile>.dockerignore` or
 * `<Containerfile>.containerignore` beside the Containerfile (the .dockerignore one wins there);
 * else the context's .containerignore, then its .dockerignore.
 */
export function loadIgnore(contextDir: string, explicit?: string, containerfile?: string): IgnoreMatcher {
  const read = (f: string) => fs.readFileSync(f, 'utf8').split('\n');
  if (explicit) return new IgnoreMatcher(read(explicit));
  const candidates = containerfile ? [`${containerfile}.dockerignore`, `${containerfile}.containerignore`] : [];
  candidates.push(path.join(contextDir, '.containerignore'), path.join(contextDir, '.dockerignore'));
  for (const f of candidates) {
    try {
      return new IgnoreMatcher(read(f), f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return new IgnoreMatcher([]);
}
