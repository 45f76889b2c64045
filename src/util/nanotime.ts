// Times with nanosecond digits (podman prints secrets' CreatedAt as 2026-01-02T03:04:05.123456789Z):
// a Date whose `nanos` property holds the 9-digit fraction of its second. goJSON, the templates'
// time String() and JSON.stringify print those digits; the Date itself keeps milliseconds.

export type NanoDate = Date & { nanos?: string };

/** RFC 3339 with the fraction's trailing zeros dropped (Go's RFC3339Nano). */
export function rfc3339Nano(d: NanoDate): string {
  const iso = d.toISOString();
  const frac = (d.nanos ?? iso.slice(20, 23)).replace(/0+$/, '');
  return iso.slice(0, 19) + (frac ? `.${frac}` : '') + 'Z';
}

function withNanos(ms: number, nanos: string): NanoDate {
  const d = new Date(ms) as NanoDate;
  d.nanos = nanos;
  Object.defineProperty(d, 'toJSON', { value: () => rfc3339Nano(d), enumerable: false });
  return d;
}

/** The date of a count of nanoseconds since the epoch (a bigint or its decimal string). */
export function dateFromNanos(ns: bigint | string): NanoDate {
  const n = BigInt(ns);
  return withNanos(Number(n / 1_000_000n), String(n % 1_000_000_000n).padStart(9, '0'));
}

/** An RFC 3339 time as the API sends it, its sub-millisecond digits kept. */
export function dateFromRFC3339(s: string): NanoDate {
  const m = /\.(\d+)(?=Z|[+-]\d\d:\d\d$)/.exec(s);
  return withNanos(Date.parse(s), (m?.[1] ?? '').padEnd(9, '0').slice(0, 9));
}

/**
 * A value as a template sees a Go time.Time field: an RFC 3339 UTC string becomes a NanoDate
 * (printed as Go prints a time, and as the same RFC 3339 text in JSON); anything else is kept.
 */
export function templateTime(v: unknown): unknown {
  return typeof v === 'string' && /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(v) ? dateFromRFC3339(v) : v;
}

/**
 * An RFC 3339 time string as Go re-marshals the time.Time it parses (image configs' created):
 * the fraction's trailing zeros dropped ("…29.200Z" → "…29.2Z", "….000Z" → "Z"), offset kept.
 */
export function goTimeText(s: string): string {
  return s.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d*?)0*)?(Z|[+-]\d\d:\d\d)$/, (_m, base: string, frac: string | undefined, zone: string) =>
    `${base}${frac ? `.${frac}` : ''}${zone}`);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.Stamp layout in the local zone: `Jan _2 15:04:05`. */
export function goStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
