// IPv4/IPv6 address and CIDR arithmetic on bigints: parse, format, containment, overlap,
// the n-th address of a subnet. Enough for IPAM and subnet validation; no dependencies.
// node:net is not loaded for its isIPv4/isIPv6 (it brings streams along on every bridge run):
// the two checks below accept what they accept.

const V4_OCTET = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;

/** A dotted-quad IPv4 address: four decimal octets 0-255, no leading zeros. */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => V4_OCTET.test(p));
}

/**
 * An IPv6 address: eight groups of 1-4 hex digits, or fewer with one `::`; the last 32 bits may
 * be written as an IPv4 address; an optional `%zone` suffix.
 */
export function isIPv6(s: string): boolean {
  let str = s;
  const pct = str.indexOf('%');
  if (pct >= 0) {
    if (!/^[0-9a-zA-Z.:-]+$/.test(str.slice(pct + 1))) return false;
    str = str.slice(0, pct);
  }
  const lastColon = str.lastIndexOf(':');
  if (lastColon < 0) return false;
  let groups = 0;
  const last = str.slice(lastColon + 1);
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    str = str.slice(0, lastColon + 1) + '0';
    groups = 1; // the IPv4 tail is two groups; '0' counts one of them
  }
  const dbl = str.indexOf('::');
  if (dbl >= 0 && str.indexOf('::', dbl + 1) >= 0) return false;
  for (const part of dbl >= 0 ? [str.slice(0, dbl), str.slice(dbl + 2)] : [str]) {
    if (part === '') continue;
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      groups++;
    }
  }
  return dbl >= 0 ? groups <= 7 : groups === 8;
}

export interface IPAddr {
  v6: boolean;
  /** The address as an unsigned integer (32 or 128 bits). */
  n: bigint;
}

export interface IPNet {
  v6: boolean;
  /** The network address (host bits cleared). */
  base: bigint;
  prefix: number;
  /** The address as written (host bits possibly set), e.g. an interface address. */
  addr: bigint;
}

const bits = (v6: boolean): number => (v6 ? 128 : 32);

/** Parse an IPv4 or IPv6 address; null when invalid. */
export function parseIP(s: string): IPAddr | null {
  if (isIPv4(s)) {
    const n = s.split('.').reduce((acc, p) => (acc << 8n) | BigInt(parseInt(p, 10)), 0n);
    return { v6: false, n };
  }
  if (!isIPv6(s)) return null;
  let str = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(str);
  if (m) {
    const v4 = parseIP(m[2])!.n;
    str = `${m[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = str.includes('::') ? str.split('::') : [str, undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  if (groups.length !== 8) return null;
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  return { v6: true, n };
}

/** Format an address the canonical way (RFC 5952 for IPv6). */
export function formatIP(a: IPAddr): string {
  if (!a.v6) return [24n, 16n, 8n, 0n].map((s) => String((a.n >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.n >> BigInt(i * 16)) & 0xffffn));
  // The longest run (≥2) of zero groups becomes '::'.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function mask(v6: boolean, prefix: number): bigint {
  const total = bits(v6);
  return ((1n << BigInt(total)) - 1n) ^ ((1n << BigInt(total - prefix)) - 1n);
}

/** Parse `addr/prefix`; null when invalid. */
export function parseCIDR(s: string): IPNet | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIP(s.slice(0, slash));
  const p = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(p)) return null;
  const prefix = parseInt(p, 10);
  if (prefix > bits(ip.v6)) return null;
  return { v6: ip.v6, base: ip.n & mask(ip.v6, prefix), prefix, addr: ip.n };
}

/** `base/prefix` of a network. */
export function formatCIDR(n: IPNet): string {
  return `${formatIP({ v6: n.v6, n: n.base })}/${n.prefix}`;
}

/** The number of addresses in the network. */
export function size(n: IPNet): bigint {
  return 1n << BigInt(bits(n.v6) - n.prefix);
}

/** The last address of the network (broadcast for IPv4). */
export function lastAddr(n: IPNet): bigint {
  return n.base + size(n) - 1n;
}

export function contains(n: IPNet, ip: IPAddr): boolean {
  return n.v6 === ip.v6 && ip.n >= n.base && ip.n <= lastAddr(n);
}

export function overlaps(a: IPNet, b: IPNet): boolean {
  return a.v6 === b.v6 && a.base <= lastAddr(b) && b.base <= lastAddr(a);
}

/** The address `offset` past the network address. */
export function nth(n: IPNet, offset: bigint): IPAddr {
  return { v6: n.v6, n: n.base + offset };
}
