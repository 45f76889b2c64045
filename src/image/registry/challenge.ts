// WWW-Authenticate challenge parsing (RFC 7235): `Bearer realm="...",service="...",scope="..."`,
// possibly several challenges in one header or several headers.

export interface Challenge {
  /** Lowercased scheme: `bearer`, `basic`, ... */
  scheme: string;
  /** Lowercased parameter names → values (quotes and escapes removed). */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** Parse one or more WWW-Authenticate header values. Malformed parts are skipped. */
export function parseChallenges(headers: string | string[] | undefined): Challenge[] {
  if (headers === undefined) return [];
  const values = Array.isArray(headers) ? headers : [headers];
  const out: Challenge[] = [];
  for (const v of values) out.push(...parseOne(v));
  return out;
}

function parseOne(input: string): Challenge[] {
  const out: Challenge[] = [];
  let s = input;
  let current: Challenge | undefined;
  const skipWs = (): void => {
    s = s.replace(/^[\s,]+/, '');
  };
  skipWs();
  while (s.length) {
    const tm = TOKEN.exec(s);
    if (!tm) {
      s = s.slice(1);
      skipWs();
      continue;
    }
    const token = tm[0];
    const after = s.slice(token.length).replace(/^\s*/, '');
    if (after.startsWith('=') && current) {
      // auth-param
      s = after.slice(1).replace(/^\s*/, '');
      let value = '';
      if (s.startsWith('"')) {
        let i = 1;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        s = s.slice(i + 1);
      } else {
        const vm = /^[^,\s]*/.exec(s);
        value = vm ? vm[0] : '';
        s = s.slice(value.length);
      }
      current.params[token.toLowerCase()] = value;
    } else {
      // a new challenge scheme
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
      s = after;
    }
    skipWs();
  }
  return out;
}
