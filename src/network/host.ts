// What the host's network already uses: interface names, addresses and routes (through
// iproute2's JSON output), so new networks never collide with podman, docker or the LAN.
import { IPNet, parseCIDR } from './ipnet';

function ipJSON(args: string[]): any[] {
  try {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    return JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || '[]');
  } catch {
    return [];
  }
}

/** Names of the host's network interfaces. */
export function hostInterfaceNames(): Set<string> {
  return new Set(ipJSON(['link', 'show']).map((l) => String(l.ifname)));
}

/** IPv6 link-local (fe80::/10) and multicast (ff00::/8) routes say nothing about subnets in use. */
function special(n: IPNet): boolean {
  return n.v6 && ((n.base >> 118n) === 0x3fan || (n.base >> 120n) === 0xffn);
}

/** Subnets in use on the host: interface addresses and main-table routes (default routes excluded). */
export function hostSubnets(): { net: IPNet; where: string }[] {
  const out: { net: IPNet; where: string }[] = [];
  for (const link of ipJSON(['addr', 'show'])) {
    for (const a of link.addr_info ?? []) {
      if (a.scope === 'link') continue;
      const n = parseCIDR(`${a.local}/${a.prefixlen}`);
      if (n) out.push({ net: n, where: `address on ${link.ifname}` });
    }
  }
  for (const fam of ['-4', '-6']) {
    for (const r of ipJSON([fam, 'route', 'show'])) {
      if (!r.dst || r.dst === 'default') continue;
      const dst = String(r.dst).includes('/') ? r.dst : `${r.dst}/${fam === '-4' ? 32 : 128}`;
      const n = parseCIDR(dst);
      if (n && !special(n)) out.push({ net: n, where: `route via ${r.dev ?? r.gateway ?? '?'}` });
    }
  }
  return out;
}
