// `container clone` (podman 4.3's): the options create() makes the copy from. They are the
// original's recorded create options, with what podman's clone takes from the container as it
// is rather than as it was asked for: its process (entrypoint, command, environment, labels),
// its published ports (host ports picked at create included), the networks it is on now, and
// its volumes (anonymous and image volumes are shared, not made anew). Then the clone's own
// name, image, pod and resource flags.
import type { CloneOptions, CreateOptions } from '../containers';
import type { ContainerRecord } from '../../engine/container-store';
import type { PodRecord } from '../../engine/pod-store';
import type { PortMapping } from '../../network/types';
import { currentResources, mergeResources } from '../../engine/update';

/**
 * The default name of a clone of `original`, as podman's CheckName picks it: ORIGINAL-clone,
 * else ORIGINAL-clone1, -clone2...; a clone's clone (NAME-cloneN) counts on from N.
 */
export function cloneName(original: string, taken: (name: string) => boolean): string {
  let n = taken(`${original}-clone`) ? `${original}-clone` : original;
  const at = n.indexOf('-clone');
  if (at < 0) return `${n}-clone`;
  const end = at + '-clone'.length;
  const suffix = n.slice(end);
  // Go's strconv.Atoi: an optional sign and digits, else an error (and 0).
  const num = /^[+-]?[0-9]+$/.test(suffix) ? Number(suffix) : undefined;
  if (num === undefined) {
    if (!taken(`${n}1`)) return `${n}1`;
  } else {
    n = n.slice(0, end);
  }
  let count = num ?? 0;
  do count++; while (taken(`${n}${count}`));
  return `${n}${count}`;
}

/** A port mapping as a -p value. */
function publishValue(m: PortMapping): string {
  const range = (p: number) => (m.range > 1 ? `${p}-${p + m.range - 1}` : `${p}`);
  const ip = m.host_ip.includes(':') ? `[${m.host_ip}]:` : m.host_ip ? `${m.host_ip}:` : '';
  return `${ip}${range(m.host_port)}:${range(m.container_port)}/${m.protocol}`;
}

/** The bridge networks a container is on now, as --network values (`name:alias=a,ip=x,...`). */
function networkValues(c: ContainerRecord): string[] | undefined {
  if (c.config.networkMode !== 'bridge' || !c.config.networks || !Object.keys(c.config.networks).length) return undefined;
  return Object.entries(c.config.networks).map(([name, s]) => {
    const opts = [...(s.aliases ?? []).map((a) => `alias=${a}`), ...(s.staticIps ?? []).map((ip) => `${ip.includes(':') ? 'ip6' : 'ip'}=${ip}`),
      ...(s.staticMac ? [`mac=${s.staticMac}`] : []), ...(s.interfaceName ? [`interface_name=${s.interfaceName}`] : [])];
    return opts.length ? `${name}:${opts.join(',')}` : name;
  });
}

/** What the clone asks create() for; `warn` gets podman's warnings about settings the pod replaces. */
export function cloneCreateOptions(c: ContainerRecord, o: CloneOptions & { name: string }, env: {
  /** The image to create from when the clone keeps the original's (its name if that still names it, else its id). */
  image: string;
  /** The pod the clone joins (--pod's, or the original's), with the namespaces its members share. */
  pod?: PodRecord;
  warn: (msg: string) => void;
}): CreateOptions {
  const cfg = c.config;
  // The options as given before a pod's join changed them (the clone joins its pod again).
  const given: Record<string, unknown> = { ...cfg.create };
  for (const [k, v] of Object.entries(cfg.podGiven ?? {})) given[k] = v ?? undefined;
  const base = given as unknown as CreateOptions;
  const networks = networkValues(c);
  // The resource flags given replace the original's settings (--cpus its period and quota, and back).
  const current = currentResources(base);
  const resources: Record<string, unknown> = { ...mergeResources(current, o.resources ?? {}) };
  for (const k of Object.keys(current)) if (!(k in resources)) resources[k] = undefined;
  let out: CreateOptions = {
    ...base,
    ...resources,
    name: o.name,
    replace: undefined,
    entrypoint: cfg.entrypoint,
    command: cfg.cmd,
    env: cfg.env,
    envFile: undefined,
    envHost: undefined,
    labels: cfg.labels,
    publish: (cfg.portMappings ?? []).map(publishValue),
    ...(networks ? { network: networks[0], networks, networkAliases: undefined, ip: undefined, ip6: undefined, macAddress: undefined } : {}),
    cloneVolumes: cfg.mounts.filter((m) => m.type === 'volume' && m.name).map((m) => ({ destination: m.destination, name: m.name!, ...(m.imageVolume ? { imageVolume: true } : {}) })),
  };
  // podman: a new memory limit brings its own swap (twice the limit unless --memory-swap is given).
  if (o.resources?.memory !== undefined && o.resources.memorySwap === undefined) delete out.memorySwap;
  if (o.image) {
    // A new image, pulled as create pulls (the original's platform and pull policy do not carry).
    out = { ...out, image: o.image, rootfs: undefined, rootfsOverlay: undefined, pull: undefined, platform: undefined, pullOptions: o.pullOptions };
  } else if (!base.rootfs) {
    out = { ...out, image: env.image, pull: 'never', pullOptions: undefined };
  }
  if (cfg.isInfra) {
    // An infra container's clone is a member of its pod: the pod's network settings stay the infra's.
    out = {
      ...out, infraOf: undefined, hostname: undefined, publish: undefined, publishAll: undefined, network: undefined, networks: undefined,
      networkAliases: undefined, addHost: undefined, dns: undefined, dnsSearch: undefined, dnsOption: undefined, ip: undefined, ip6: undefined,
      macAddress: undefined, cgroupParent: undefined,
    };
  }
  out.pod = env.pod?.id;
  if (env.pod && o.pod && !c.podId) {
    // podman: in a pod, the namespaces it shares replace the clone's own (a pod member's are its
    // pod's, which the options as given before the join leave out already).
    const share = env.pod.config.share;
    if (share.includes('net') && networks) {
      env.warn("resetting network config, cannot specify a network other than the pod's when sharing the net namespace");
      out = { ...out, network: undefined, networks: undefined };
    }
    const reset = (['uts', 'net', 'ipc', 'pid', 'cgroup'] as const).filter((ns) => share.includes(ns)
      && (ns === 'uts' || ns === 'net' ? true : (ns === 'cgroup' ? out.cgroupns : out[ns]) !== undefined));
    if (reset.length) {
      env.warn('At least one namespace was reset to the default configuration');
      for (const ns of reset) {
        if (ns === 'net') out.network = undefined;
        else if (ns === 'cgroup') out.cgroupns = undefined;
        else out[ns] = undefined;
      }
    }
  }
  return out;
}
