// Image list filters as podman 4.3 (libimage) understands them: `key=value` or `key!=value`
// for reference, label, dangling, intermediate, before, since/after, id, readonly,
// containers, manifest and until. Filters with the same key are OR'ed, different keys AND'ed.
import type { ImageSummary } from '../domain/images';
import { UsageError } from '../util/errors';

export type ImagePredicate = (s: ImageSummary) => boolean;
/** Finds a local image by name or id for before/since (undefined when not found; may throw). */
export type ImageLookup = (nameOrId: string) => ImageSummary | undefined;

interface ParsedFilter {
  key: string;
  value: string;
  negate: boolean;
}

/** Split `key=value` / `key!=value`. */
export function parseFilter(filter: string): ParsedFilter {
  const ne = filter.indexOf('!=');
  const eq = filter.indexOf('=');
  if (ne >= 0 && (eq < 0 || ne < eq)) return { key: filter.slice(0, ne), value: filter.slice(ne + 2), negate: true };
  if (eq < 0) throw new UsageError(`invalid image filter "${filter}": must be in the format "filter=value or filter!=value"`);
  return { key: filter.slice(0, eq), value: filter.slice(eq + 1), negate: false };
}

/** Go's strconv.ParseBool. */
export function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

function boolValue(key: string, value: string): boolean {
  const b = parseGoBool(value);
  // podman 4.3 prints key and value in this (swapped) order.
  if (b === undefined) throw new UsageError(`non-boolean value "${key}" for ${value} filter: strconv.ParseBool: parsing "${value}": invalid syntax`);
  return b;
}

/** Go's path.Match: `*` and `?` never match `/`; `[...]` classes with ranges and `^`; `\` escapes. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return false; // malformed pattern: Go returns ErrBadPattern, treated as no match
      let body = pattern.slice(i + 1, end);
      const neg = body.startsWith('^');
      if (neg) body = body.slice(1);
      body = body.replace(/[\]\\]/g, (m) => '\\' + m);
      re += `(?!/)[${neg ? '^' : ''}${body}]`;
      i = end;
    } else re += escapeRe(c);
  }
  try {
    return new RegExp(re + '$').test(name);
  } catch {
    return false;
  }
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The strings a reference filter is matched against for one image name. */
export function referenceCandidates(name: string): string[] {
  let repo = name;
  let suffix = '';
  const at = name.indexOf('@');
  if (at >= 0) { repo = name.slice(0, at); suffix = name.slice(at); } else {
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) { repo = name.slice(0, colon); suffix = name.slice(colon); }
  }
  const parts = repo.split('/');
  const forms = [repo];
  const first = parts[0];
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) forms.push(parts.slice(1).join('/'));
  if (repo.startsWith('docker.io/library/')) forms.push(repo.slice('docker.io/library/'.length));
  forms.push(parts[parts.length - 1]);
  const out = new Set<string>();
  for (const f of forms) { out.add(f); if (suffix) out.add(f + suffix); }
  return [...out];
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Go's time.ParseDuration, in milliseconds (undefined when not a duration). */
export function parseGoDuration(s: string): number | undefined {
  const m = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) return s === '0' ? 0 : undefined;
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(s))) total += parseFloat(part[1]) * DURATION_UNITS[part[2]];
  return m[1] === '-' ? -total : total;
}

/**
 * A point in time for `until` (and similar) filters, in ms since the epoch: a Unix timestamp
 * (`1700000000`, `1700000000.5`), a Go duration back from now (`10m`, `1h30m`), or an
 * RFC 3339 / ISO date (`2019-11-14`, `2019-11-14T06:15:42Z`, `2019-11-14 06:15`).
 */
export function parseTimeOrDuration(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return parseFloat(value) * 1000;
  const d = parseGoDuration(value);
  if (d !== undefined) return now - d;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value);
  if (m) {
    const [, y, mo, da, h = '00', mi = '00', se = '00', frac = '', zone] = m;
    const iso = `${y}-${mo}-${da}T${h}:${mi}:${se}${frac ? frac.slice(0, 4) : ''}`;
    const t = zone ? Date.parse(iso + (zone === 'Z' ? 'Z' : zone.length === 5 ? zone.slice(0, 3) + ':' + zone.slice(3) : zone)) : Date.parse(iso);
    if (!isNaN(t)) return t;
  }
  throw new UsageError(`failed to parse value as time or duration: "${value}"`);
}

function labelMatches(labels: Record<string, string> | null, spec: string): boolean {
  const eq = spec.indexOf('=');
  const key = eq >= 0 ? spec.slice(0, eq) : spec;
  if (!labels || !(key in labels)) return false;
  return eq < 0 || labels[key] === spec.slice(eq + 1);
}

function lookupFor(key: string, value: string, lookup: ImageLookup): ImageSummary {
  let found: ImageSummary | undefined;
  let reason = `${value}: image not known`;
  try { found = lookup(value); } catch (e) { reason = (e as Error).message; }
  if (!found) throw new UsageError(`could not find local image for filter filter "${key}"="${value}": ${reason}`);
  return found;
}

const BOOL_KEYS = new Set(['dangling', 'intermediate', 'readonly', 'containers', 'manifest']);

function basePredicate(key: string, value: string, lookup: ImageLookup, isIntermediate: ImagePredicate, isManifestList: ImagePredicate): ImagePredicate {
  switch (key) {
    case 'reference': {
      let target: string | undefined;
      try { target = lookup(value)?.Id; } catch { target = undefined; }
      return (s) => {
        if (target && s.Id === target) return true;
        const names = [...(s.Names?.length ? s.Names : s.RepoTags), ...s.RepoDigests];
        return names.some((n) => referenceCandidates(n).some((c) => globMatch(value, c)));
      };
    }
    case 'label':
      return (s) => labelMatches(s.Labels, value);
    case 'dangling': {
      const want = boolValue(key, value);
      return (s) => s.Dangling === want;
    }
    case 'intermediate': {
      const want = boolValue(key, value);
      return (s) => isIntermediate(s) === want;
    }
    case 'readonly': {
      const want = boolValue(key, value);
      return (s) => !!s.ReadOnly === want;
    }
    case 'manifest': {
      const want = boolValue(key, value);
      return (s) => isManifestList(s) === want;
    }
    case 'containers': {
      const want = parseGoBool(value);
      if (want === undefined) throw new UsageError(`unsupported value "${value}" for containers filter`);
      return (s) => (s.Containers > 0) === want;
    }
    case 'id':
      return (s) => s.Id === value;
    case 'before': {
      const ref = lookupFor(key, value, lookup);
      return (s) => s.Created < ref.Created;
    }
    case 'since':
    case 'after': {
      const ref = lookupFor(key, value, lookup);
      return (s) => s.Created > ref.Created;
    }
    case 'until': {
      const until = parseTimeOrDuration(value);
      return (s) => s.Created * 1000 < until;
    }
    default:
      throw new UsageError(`unsupported image filter "${key}"`);
  }
}

/** One filter string compiled to a predicate (throws a UsageError on a bad filter). */
export function imageFilter(filter: string, lookup: ImageLookup, isIntermediate: ImagePredicate, isManifestList: ImagePredicate = () => false): ImagePredicate {
  const { key, value, negate } = parseFilter(filter);
  const p = basePredicate(key, value, lookup, isIntermediate, isManifestList);
  return negate ? (s) => !p(s) : p;
}

/**
 * All filters of a list compiled to one predicate with podman's semantics: filters with the
 * same key match if any of them does, different keys must all match. A boolean filter given
 * twice with different values is an error.
 */
export function compileImageFilters(filters: string[], lookup: ImageLookup, isIntermediate: ImagePredicate, isManifestList?: ImagePredicate): ImagePredicate {
  const groups = new Map<string, ImagePredicate[]>();
  const seenBool = new Map<string, string>();
  for (const f of filters) {
    const { key, value } = parseFilter(f);
    if (BOOL_KEYS.has(key)) {
      const prev = seenBool.get(key);
      if (prev !== undefined && prev !== value) throw new UsageError(`specifying "${key}" filter more than once with different values is not supported`);
      seenBool.set(key, value);
    }
    const group = key === 'after' ? 'since' : key;
    const list = groups.get(group) ?? [];
    list.push(imageFilter(f, lookup, isIntermediate, isManifestList));
    groups.set(group, list);
  }
  const all = [...groups.values()];
  return (s) => all.every((preds) => preds.some((p) => p(s)));
}
