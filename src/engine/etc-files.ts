// Per-container /etc/hosts, /etc/hostname, /etc/resolv.conf and /run/.containerenv,
// written into the container's run dir and bind-mounted by the spec.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../util/errors';

export interface EtcFilesOptions {
  dir: string;
  id: string;
  name: string;
  image: string;
  imageId: string;
  hostname: string;
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  /** host networking: the host's own files are used as a base. */
  hostNetwork: boolean;
  /** IPs the container has on its networks (for its own hosts entry). */
  ips?: string[];
  rootless: boolean;
}

export function parseAddHost(s: string): { host: string; ip: string } {
  const i = s.indexOf(':');
  if (i <= 0) throw new UsageError(`invalid value "${s}" for --add-host: must be HOST:IP`);
  const host = s.slice(0, i);
  let ip = s.slice(i + 1);
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (!/^[0-9.]+$/.test(ip) && !/^[0-9a-fA-F:]+$/.test(ip) && ip !== 'host-gateway') {
    throw new UsageError(`invalid IP address in add-host: "${ip}"`);
  }
  return { host, ip };
}

function hostResolvConf(): string {
  for (const f of ['/run/systemd/resolve/resolv.conf', '/etc/resolv.conf']) {
    try {
      const text = fs.readFileSync(f, 'utf8');
      // A resolver on the host's loopback is unreachable from the container's own netns.
      if (f === '/etc/resolv.conf' || !/nameserver\s+127\./.test(text)) return text;
    } catch { /* next */ }
  }
  return '';
}

export function resolvConf(o: Pick<EtcFilesOptions, 'dns' | 'dnsSearch' | 'dnsOption' | 'hostNetwork'>): string {
  const base = hostResolvConf();
  let servers = base.split('\n').filter((l) => /^\s*nameserver\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
  let search = base.split('\n').filter((l) => /^\s*search\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  let options = base.split('\n').filter((l) => /^\s*options\s/.test(l)).flatMap((l) => l.trim().split(/\s+/).slice(1));
  if (!o.hostNetwork) servers = servers.filter((s) => !s.startsWith('127.') && s !== '::1');
  if (o.dns?.length) {
    if (o.dns.includes('none')) servers = [];
    else servers = o.dns;
  }
  if (o.dnsSearch?.length) search = o.dnsSearch.includes('.') ? [] : o.dnsSearch;
  if (o.dnsOption?.length) options = o.dnsOption;
  const lines: string[] = [];
  if (search.length) lines.push(`search ${search.join(' ')}`);
  for (const s of servers) lines.push(`nameserver ${s}`);
  if (options.length) lines.push(`options ${options.join(' ')}`);
  return lines.join('\n') + (lines.length ? '\n' : '');
}

export function hostsFile(o: EtcFilesOptions): string {
  const lines: string[] = [];
  for (const h of o.addHost ?? []) {
    const { host, ip } = parseAddHost(h);
    lines.push(`${ip}\t${host}`);
  }
  if (o.hostNetwork) {
    try { lines.push(fs.readFileSync('/etc/hosts', 'utf8').trimEnd()); } catch { /* none */ }
  } else {
    lines.push('127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4');
    lines.push('::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6');
  }
  const names = [...new Set([o.hostname, o.name])].join(' ');
  if (o.ips?.length) for (const ip of o.ips) lines.push(`${ip}\t${names}`);
  else if (!o.hostNetwork) lines.push(`127.0.1.1\t${names}`);
  return lines.join('\n') + '\n';
}

/** Write the files; returns their host paths keyed by container path. */
export function writeEtcFiles(o: EtcFilesOptions): { hosts: string; hostname: string; resolvConf: string; containerEnv: string } {
  fs.mkdirSync(o.dir, { recursive: true });
  const files = {
    hosts: path.join(o.dir, 'hosts'),
    hostname: path.join(o.dir, 'hostname'),
    resolvConf: path.join(o.dir, 'resolv.conf'),
    containerEnv: path.join(o.dir, '.containerenv'),
  };
  fs.writeFileSync(files.hosts, hostsFile(o));
  fs.writeFileSync(files.hostname, o.hostname + '\n');
  fs.writeFileSync(files.resolvConf, resolvConf(o));
  fs.writeFileSync(files.containerEnv, [
    'engine="pier"',
    `name="${o.name}"`,
    `id="${o.id}"`,
    `image="${o.image}"`,
    `imageid="${o.imageId}"`,
    `rootless=${o.rootless ? 1 : 0}`,
  ].join('\n') + '\n');
  return files;
}
