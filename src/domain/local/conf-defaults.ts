// containers.conf's [containers] defaults for a new container, filled in where the request
// left a setting unset (a flag given always wins), on the engine side: a service applies its
// own containers.conf, a remote client none (as podman 4.3's server does in its specgen).
import type { CreateOptions } from '../containers';
import type { ContainersSettings } from '../../config/config';
import { DEFAULT_PIDS_LIMIT } from '../../engine/spec/resources';

/** The proxy variables --http-proxy passes from the engine's environment (podman's list). */
export const PROXY_ENV: readonly string[] = ['http_proxy', 'https_proxy', 'ftp_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY'];

/** A -v value's container path (SRC:DEST[:OPTS], or DEST alone). */
function volumeDest(v: string): string {
  const parts = v.split(':');
  return (parts.length >= 2 ? parts[1] : parts[0]).replace(/\/+$/, '') || '/';
}

/** A --mount value's destination (dst=, destination=, target=). */
function mountDest(m: string): string | undefined {
  for (const kv of m.split(',')) {
    const [k, v] = kv.split('=', 2);
    if ((k === 'dst' || k === 'destination' || k === 'target') && v) return v.replace(/\/+$/, '') || '/';
  }
  return undefined;
}

/** The create request with containers.conf defaults filled in. */
export function applyContainersConf(o: CreateOptions, s: ContainersSettings): CreateOptions {
  const out: CreateOptions = { ...o };
  if (out.pidsLimit === undefined && s.pidsLimit !== DEFAULT_PIDS_LIMIT) out.pidsLimit = s.pidsLimit;
  if (!out.ulimits?.length && s.ulimits.length) out.ulimits = [...s.ulimits];
  if (out.shmSize === undefined && s.shmSize !== undefined) out.shmSize = s.shmSize;
  if (out.logDriver === undefined && s.logDriver) out.logDriver = s.logDriver;
  if (out.tz === undefined && s.tz) out.tz = s.tz;
  if (out.umask === undefined && s.umask) out.umask = s.umask;
  if (out.initPath === undefined && s.initPath) out.initPath = s.initPath;
  if (out.stopTimeout === undefined && s.stopTimeout !== undefined) out.stopTimeout = s.stopTimeout;
  if (out.pull === undefined && s.pullPolicy) out.pull = s.pullPolicy;
  if (Object.keys(s.annotations).length) out.annotations = { ...s.annotations, ...(out.annotations ?? {}) };
  // Devices: containers.conf's and the user's (podman adds both; a privileged container gets all).
  if (s.devices.length && !out.privileged) {
    const own = out.devices ?? [];
    const dest = (d: string) => { const p = d.split(':'); return p.length >= 2 && p[1].startsWith('/') ? p[1] : p[0]; };
    out.devices = [...s.devices.filter((d) => !own.some((u) => dest(u) === dest(d))), ...own];
  }
  // Volumes: containers.conf's, except where the user mounts something at the same path.
  if (s.volumes.length) {
    const taken = new Set<string>([
      ...(out.volumes ?? []).map(volumeDest), ...(out.mounts ?? []).map(mountDest).filter((d): d is string => !!d),
      ...(out.tmpfs ?? []).map((t) => t.split(':')[0].replace(/\/+$/, '') || '/'),
    ]);
    const extra = s.volumes.filter((v) => !taken.has(volumeDest(v)));
    if (extra.length) out.volumes = [...extra, ...(out.volumes ?? [])];
  }
  // Namespaces: `host` or `private` (podman 4.3's other values — container:, ns: — are the flags').
  if (out.network === undefined && !out.networks?.length && s.netns) {
    if (s.netns === 'host' || s.netns === 'none') out.network = s.netns;
    else if (s.netns.startsWith('ns:')) out.network = s.netns;
  }
  for (const [key, v] of [['ipc', s.ipcns], ['pid', s.pidns], ['uts', s.utsns], ['cgroupns', s.cgroupns]] as const) {
    if (out[key] === undefined && (v === 'host' || v === 'private')) out[key] = v;
  }
  return out;
}
