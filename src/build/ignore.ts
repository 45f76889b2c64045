// .containerignore / .dockerignore: Docker's pattern rules. Patterns are paths relative to the
// context (a leading / is dropped, paths are cleaned); `*` and `?` do not cross `/`, `**` matches
// any number of directories; a pattern that matches a directory matches everything under it;
// `!pattern` re-includes; the last matching pattern decides.
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Rule { re: RegExp; exclude: boolean }

function cleanPattern(p: string): string {
  let s = path.posix.normalize(p.trim()).replace(/^\/+/, '');
  if (s === '.') s = '';
  return s.replace(/\/+$/, '');
}

function toRegex(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*') {
      if (p[i + 1] === '*') {
        // `**/` or a trailing `**`: any number of path segments.
        i++;
        if (p[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      let cls = p.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < p.length) re += '\\' + p[++i];
    else re += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export class IgnoreMatcher {
  private rules: Rule[] = [];

  constructor(patterns: string[]) {
    for (let p of patterns) {
      p = p.trim();
      if (!p || p.startsWith('#')) continue;
      const exclude = !p.startsWith('!');
      if (!exclude) p = p.slice(1).trim();
      const clean = cleanPattern(p);
      if (!clean) continue;
      this.rules.push({ re: toRegex(clean), exclude });
    }
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** Whether a context-relative path (a/b/c) is left out of the build context. */
  ignored(rel: string): boolean {
    const parts = rel.split('/');
    let excluded = false;
    for (const r of this.rules) {
      // A rule matches the path itself or one of its parent directories.
      let hit = false;
      for (let n = parts.length; n >= 1 && !hit; n--) hit = r.re.test(parts.slice(0, n).join('/'));
      if (hit) excluded = r.exclude;
    }
    return excluded;
  }

  /** Whether some exception could re-include something under the directory `rel`. */
  mayIncludeUnder(rel: string): boolean {
    return this.rules.some((r) => !r.exclude && (r.re.source.startsWith(`^${rel.replace(/[.+^${}()|[\]\\]/g, '\\$&')}/`) || r.re.source.includes('.*') || r.re.source.startsWith('^(?:')));
  }
}

/** The context's ignore file: .containerignore first, then .dockerignore (or an explicit one). */
export function loadIgnore(contextDir: string, explicit?: string): IgnoreMatcher {
  for (const f of explicit ? [explicit] : [path.join(contextDir, '.containerignore'), path.join(contextDir, '.dockerignore')]) {
    try {
      return new IgnoreMatcher(fs.readFileSync(f, 'utf8').split('\n'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return new IgnoreMatcher([]);
}
