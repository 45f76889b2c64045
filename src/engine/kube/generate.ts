// `generate kube`: Kubernetes objects (Pod, Service, PersistentVolumeClaim) from containers, pods
// and volumes, as podman 4.3.1 builds them (libpod/kube.go), and the text it prints. The domain
// describes each container (KubeContainerInput); everything here is pure.
import type { PortMapping } from '../../network/types';
import { GENERATOR_DEFAULT_CAPABILITIES } from '../spec/caps';
import { goYAML } from './yaml';

/** Kubernetes' limit on an annotation's value (podman's MaxKubeAnnotation). */
export const MAX_KUBE_ANNOTATION = 63;
/** The annotation a container's z/Z bind mount goes under (podman's BindMountPrefix). */
export const BIND_MOUNT_ANNOTATION = 'bind-mount-options';

/** A user mount: a host path (bind, or a tmpfs, which podman lists as the host path "tmpfs") or a named volume. */
export type KubeMountInput =
  | { kind: 'host'; source: string; destination: string; options: string[]; hostPathType: 'Directory' | 'File' | 'DirectoryOrCreate' }
  | { kind: 'named'; name: string; destination: string; options: string[] };

/** What generate needs of one container, as its record and image hold it. */
export interface KubeContainerInput {
  id: string;
  name: string;
  created: number;
  hostname: string;
  isInfra: boolean;
  isInit: boolean;
  /** The entrypoint and command the container runs. */
  entrypoint: string[];
  cmd: string[];
  image: string;
  imageConfig: { Cmd?: string[] | null; Entrypoint?: string[] | null; WorkingDir?: string; User?: string; Env?: string[] | null };
  workdir: string;
  user: string;
  /** The user's uid and gid in the container (looked up when `user` is set). */
  runAs?: { uid: number; gid: number };
  /** The process's environment as created (podman's spec env). */
  env: string[];
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** The process's capability sets (ambient, bounding, effective, inheritable, permitted). */
  capabilities: { ambient?: string[]; bounding?: string[]; effective?: string[]; inheritable?: string[]; permitted?: string[] };
  privileged: boolean;
  readOnly: boolean;
  noNewPrivileges: boolean;
  /** --security-opt label=VALUE (type:X, level:X, disable). */
  selinuxLabel?: string;
  mounts: KubeMountInput[];
  ports: PortMapping[];
  memoryLimit?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  dnsServers: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  tty: boolean;
  stdin: boolean;
  restartPolicy: string;
  hostNetwork: boolean;
  hostUsers: boolean;
  hasDevices: boolean;
}

export interface KubePodInput {
  id: string;
  name: string;
  /** Members share the infra container's network namespace. */
  sharesNet: boolean;
  sharesPid: boolean;
  /** The pod shares ipc, net and uts (Kubernetes' default). */
  defaultNamespaces: boolean;
  infra?: KubeContainerInput & { addHost: string[] };
  containers: KubeContainerInput[];
}

export interface KubeVolumeInput {
  name: string;
  driver: string;
  labels: Record<string, string>;
  options: Record<string, string>;
}

type Obj = Record<string, unknown>;

/** podman's TruncateKubeAnnotation: trimmed, cut to 63 characters (with a warning). */
function truncateAnnotation(s: string, warn: (m: string) => void): string {
  const str = s.trim();
  const chars = [...str];
  if (chars.length < MAX_KUBE_ANNOTATION) return str;
  const trunc = chars.slice(0, MAX_KUBE_ANNOTATION).join('');
  warn(`Truncation Annotation: ${JSON.stringify(str)} to ${JSON.stringify(trunc)}: Kubernetes only allows ${MAX_KUBE_ANNOTATION} characters`);
  return trunc;
}

const removeUnderscores = (s: string) => s.replace(/_/g, '');
const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | undefined) =>
  a != null && b != null && a.length === b.length && a.every((x, i) => x === b[i]);

/** The default variables pier's containers get (left out, as podman leaves out its own). */
const DEFAULT_ENV: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm', container: 'pier' };

/** Capabilities added and dropped against the OCI generator's defaults (podman's capAddDrop). */
function capAddDrop(caps: KubeContainerInput['capabilities']): { add?: string[]; drop?: string[] } {
  const containerCaps = [...(caps.ambient ?? []), ...(caps.bounding ?? []), ...(caps.effective ?? []), ...(caps.inheritable ?? []), ...(caps.permitted ?? [])];
  const have = new Set(containerCaps);
  const defaults = new Set(GENERATOR_DEFAULT_CAPABILITIES);
  const drop = [...new Set(GENERATOR_DEFAULT_CAPABILITIES.filter((c) => !have.has(c)))];
  const add = [...new Set(containerCaps.filter((c) => !defaults.has(c)))];
  return { ...(add.length ? { add } : {}), ...(drop.length ? { drop } : {}) };
}

function securityContext(c: KubeContainerInput): Obj {
  const sc: Obj = {};
  if (!c.privileged) sc.capabilities = capAddDrop(c.capabilities);
  const label = c.selinuxLabel ?? '';
  const i = label.indexOf(':');
  if (i >= 0 && ['type', 'level'].includes(label.slice(0, i))) sc.seLinuxOptions = { [label.slice(0, i)]: label.slice(i + 1) };
  else if (label === 'disable') sc.seLinuxOptions = { type: 'spc_t' };
  if (c.noNewPrivileges) sc.allowPrivilegeEscalation = false;
  if (c.privileged) sc.privileged = true;
  if (c.readOnly) sc.readOnlyRootFilesystem = true;
  if (c.user !== '' && c.runAs && (c.imageConfig.User ?? '') !== c.user) {
    sc.runAsUser = c.runAs.uid;
    sc.runAsGroup = c.runAs.gid;
  }
  return sc;
}

/** podman's portMappingToContainerPort: one entry per port of each range, TCP left implicit. */
export function containerPorts(mappings: readonly PortMapping[]): Obj[] {
  const out: Obj[] = [];
  for (const p of mappings) {
    for (const proto of p.protocol.split(',')) {
      const upper = proto.toUpperCase();
      if (!['TCP', 'UDP', 'SCTP'].includes(upper)) throw new Error(`unknown network protocol ${p.protocol}`);
      for (let i = 0; i < Math.max(p.range, 1); i++) {
        out.push({
          containerPort: p.container_port + i,
          ...(p.host_ip ? { hostIP: p.host_ip } : {}),
          ...(p.host_port ? { hostPort: p.host_port + i } : {}),
          ...(upper !== 'TCP' ? { protocol: upper } : {}),
        });
      }
    }
  }
  return out;
}

/** A Kubernetes quantity in bytes as resource.Quantity prints a BinarySI one (64Mi, 1536Mi, 100000000). */
export function binaryQuantity(bytes: number): string {
  if (bytes > -1024 && bytes < 1024) return String(bytes);
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let n = bytes;
  let e = 0;
  while (e < suffixes.length - 1 && n % 1024 === 0) { n /= 1024; e++; }
  return `${n}${suffixes[e]}`;
}

/** Millicores as a DecimalSI quantity prints them (1500m, 2). */
function milliQuantity(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

interface V1Container { container: Obj; volumes: Obj[]; dns: { nameservers: string[]; searches: string[]; options: Obj[] }; bindAnnotations: Record<string, string> }

/** podman's containerToV1Container. */
function v1Container(c: KubeContainerInput): V1Container {
  if (!c.privileged && c.hasDevices) throw new Error('linux devices: not implemented');
  const volumeMounts: Obj[] = [];
  const volumes: Obj[] = [];
  const bindAnnotations: Record<string, string> = {};
  let index = 0;
  for (const m of c.mounts) {
    if (m.kind !== 'host') continue;
    const z = m.options.find((o) => o === 'z' || o === 'Z');
    if (z) bindAnnotations[m.source] = z;
    const base = m.source === '/' ? 'root' : m.source.replace(/^\/+|\/+$/g, '').replace(/\//g, '-');
    const name = `${base}-host-${index++}`;
    volumeMounts.push({ mountPath: m.destination, name, ...(m.options.includes('ro') ? { readOnly: true } : {}) });
    volumes.push({ hostPath: { path: m.source, type: m.hostPathType }, name });
  }
  for (const m of c.mounts) {
    if (m.kind !== 'named') continue;
    const ro = m.options.includes('ro');
    const name = `${m.name}-pvc`;
    volumeMounts.push({ mountPath: m.destination, name, ...(ro ? { readOnly: true } : {}) });
    volumes.push({ name, persistentVolumeClaim: { claimName: m.name, ...(ro ? { readOnly: true } : {}) } });
  }
  let command: string[] | undefined;
  let args: string[] | undefined;
  if (c.entrypoint.length) {
    command = c.entrypoint;
    args = c.cmd;
  } else command = c.cmd;
  if (sameList(c.imageConfig.Cmd, command) || sameList(c.imageConfig.Entrypoint, command)) command = undefined;

  const imageEnv = new Map((c.imageConfig.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const env: Obj[] = [];
  for (const e of c.env) {
    const eq = e.indexOf('=');
    if (eq < 0) throw new Error(`environment variable ${e} is malformed; should be key=value`);
    const [k, v] = [e.slice(0, eq), e.slice(eq + 1)];
    if (DEFAULT_ENV[k] === v || imageEnv.get(k) === v) continue;
    env.push({ name: k, value: v });
  }
  const limits: Obj = {};
  if (c.memoryLimit !== undefined && c.memoryLimit > 0) limits.memory = binaryQuantity(c.memoryLimit);
  if (c.cpuQuota && c.cpuPeriod && c.cpuQuota > 0 && c.cpuPeriod > 0) {
    const milli = Math.trunc(1000 * (c.cpuQuota / c.cpuPeriod));
    if (milli >= 1) limits.cpu = milliQuantity(milli);
  }
  const container: Obj = {
    ...(args?.length ? { args } : {}),
    ...(command?.length ? { command } : {}),
    ...(env.length ? { env } : {}),
    image: c.image,
    name: removeUnderscores(c.name),
    ...(c.ports.length ? { ports: containerPorts(c.ports) } : {}),
    ...(Object.keys(limits).length ? { resources: { limits } } : {}),
    securityContext: securityContext(c),
    ...(c.stdin ? { stdin: true } : {}),
    ...(c.tty ? { tty: true } : {}),
    ...(volumeMounts.length ? { volumeMounts } : {}),
    ...(c.workdir !== '/' && (c.imageConfig.WorkingDir ?? '') !== c.workdir && c.workdir ? { workingDir: c.workdir } : {}),
  };
  const dnsOptions = c.dnsOptions.map((o) => {
    const i = o.indexOf(':');
    return i < 0 ? { name: o } : { name: o.slice(0, i), value: o.slice(i + 1) };
  });
  return { container, volumes, dns: { nameservers: c.dnsServers, searches: c.dnsSearch, options: dnsOptions }, bindAnnotations };
}

/** The annotations of a member: its own (KEY/NAME), its auto-update labels (KEY/NAME). */
function memberAnnotations(c: KubeContainerInput, into: Record<string, string>, warn: (m: string) => void): void {
  const name = removeUnderscores(c.name);
  for (const [k, v] of Object.entries(c.annotations)) into[`${k}/${name}`] = truncateAnnotation(v, warn);
  for (const [k, v] of Object.entries(c.labels)) if (k.includes('io.containers.autoupdate')) into[`${k}/${name}`] = truncateAnnotation(v, warn);
}

/** podman's hostname rule: the first member's, unless it is (part of) the container's ID. */
const ownHostname = (c: KubeContainerInput) => (c.hostname && !c.id.includes(c.hostname) ? c.hostname : '');

function podObject(name: string, annotations: Record<string, string>, initCtrs: Obj[], containers: Obj[], volumes: Obj[],
  dns: { nameservers: string[]; searches: string[]; options: Obj[] }, hostNetwork: boolean, hostUsers: boolean, hostname: string, now: Date): Obj {
  const hasDns = dns.nameservers.length + dns.searches.length + dns.options.length > 0;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(Object.keys(annotations).length ? { annotations } : {}),
      creationTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
      labels: { app: removeUnderscores(name) },
      name,
    },
    spec: {
      automountServiceAccountToken: false,
      containers,
      ...(hasDns ? { dnsConfig: { ...(dns.nameservers.length ? { nameservers: dns.nameservers } : {}), ...(dns.options.length ? { options: dns.options } : {}), ...(dns.searches.length ? { searches: dns.searches } : {}) } } : {}),
      enableServiceLinks: false,
      ...(hostNetwork ? { hostNetwork: true } : {}),
      ...(!hostUsers ? { hostUsers: false } : {}),
      ...(hostname ? { hostname } : {}),
      ...(initCtrs.length ? { initContainers: initCtrs } : {}),
      ...(volumes.length ? { volumes } : {}),
    },
  };
}

/** podman's simplePodWithV1Containers: one Pod around standalone containers (named after the first, -pod if that clashes). */
export function podForContainers(ctrs: KubeContainerInput[], now: Date, warn: (m: string) => void): Obj {
  const annotations: Record<string, string> = {};
  const containers: Obj[] = [];
  const initCtrs: Obj[] = [];
  const volumes: Obj[] = [];
  const dns = { nameservers: [] as string[], searches: [] as string[], options: [] as Obj[] };
  let hostname = '';
  let hostNetwork = true;
  let hostUsers = true;
  for (const c of ctrs) {
    memberAnnotations(c, annotations, warn);
    hostname ||= ownHostname(c);
    if (!c.hostNetwork) hostNetwork = false;
    if (!c.hostUsers) hostUsers = false;
    const k = v1Container(c);
    for (const [src, opt] of Object.entries(k.bindAnnotations)) annotations[BIND_MOUNT_ANNOTATION] = truncateAnnotation(`${src}:${opt}`, warn);
    (c.isInit ? initCtrs : containers).push(k.container);
    volumes.push(...k.volumes);
    for (const s of k.dns.nameservers) if (!dns.nameservers.includes(s)) dns.nameservers.push(s);
    for (const s of k.dns.searches) if (!dns.searches.includes(s)) dns.searches.push(s);
    dns.options.push(...k.dns.options);
  }
  const names = ctrs.map((c) => removeUnderscores(c.name));
  let podName = names[0];
  if (names.includes(podName)) podName += '-pod';
  return podObject(podName, annotations, initCtrs, containers, volumes, dns, hostNetwork, hostUsers, hostname, now);
}

const POD_RESTART: Record<string, string> = { always: 'Always', 'on-failure': 'OnFailure', no: 'Never' };

/** podman's Pod.GenerateForKube: the pod's members (infra aside) in creation order, its ports on the first. */
export function podForPod(p: KubePodInput, now: Date, warn: (m: string) => void): { pod: Obj; ports: Obj[] } {
  const members = p.containers.filter((c) => !c.isInfra);
  if (p.containers.length === 0) throw new Error(`pod ${p.id} has no containers`);
  if (members.length === 0 && p.infra) throw new Error(`pod ${p.id} only has an infra container`);
  const ports = p.infra ? containerPorts(p.infra.ports) : [];
  const annotations: Record<string, string> = {};
  const containers: Obj[] = [];
  const initCtrs: Obj[] = [];
  const volumes = new Map<string, Obj>();
  const dns = { nameservers: [] as string[], searches: [] as string[], options: [] as Obj[] };
  let hostname = '';
  let first = true;
  const sorted = [...p.containers].sort((a, b) => a.created - b.created);
  for (const c of sorted) {
    const k = v1Container(c);
    if (c.isInfra) {
      if (k.dns.nameservers.length) dns.nameservers = k.dns.nameservers;
      if (k.dns.searches.length) dns.searches = k.dns.searches;
      if (k.dns.options.length) dns.options = k.dns.options;
      continue;
    }
    memberAnnotations(c, annotations, warn);
    hostname ||= ownHostname(c);
    for (const [src, opt] of Object.entries(k.bindAnnotations)) annotations[BIND_MOUNT_ANNOTATION] = truncateAnnotation(`${src}:${opt}`, warn);
    if (p.sharesNet) {
      delete k.container.ports;
      if (first && ports.length && (!c.isInit || sorted.length === 2)) {
        k.container.ports = ports;
        first = false;
      }
    }
    // Members' resources print as `{}` when unset (podman marshals the pod as it is).
    k.container.resources ??= {};
    if (c.isInit) {
      initCtrs.push(k.container);
      continue;
    }
    containers.push(k.container);
    for (const v of k.volumes) volumes.set(v.name as string, v);
  }
  const hostNetwork = !!p.infra?.hostNetwork;
  const hostUsers = p.infra ? p.infra.hostUsers : true;
  const pod = podObject(p.name, annotations, initCtrs, containers, [...volumes.values()], dns, hostNetwork, hostUsers, hostname, now);
  const spec = pod.spec as Obj;
  if (p.infra?.addHost.length) {
    spec.hostAliases = p.infra.addHost.map((h) => {
      const i = h.indexOf(':');
      if (i < 0) throw new Error('invalid hostAdd');
      return { hostnames: [h.slice(0, i)], ip: h.slice(i + 1) };
    });
  }
  const member = members.find((c) => !c.isInfra);
  if (member) spec.restartPolicy = POD_RESTART[member.restartPolicy] ?? 'Never';
  if (p.sharesPid) spec.shareProcessNamespace = true;
  pod.status = {};
  return { pod, ports };
}

/** podman's GenerateKubeServiceFromV1Pod: a NodePort service for the pod's ports (random node ports 30000-32767). */
export function serviceFor(pod: Obj, ports: Obj[]): Obj {
  const meta = pod.metadata as Obj;
  const spec = pod.spec as Obj;
  const list = ports.length ? ports : (spec.containers as Obj[]).flatMap((c) => (c.ports as Obj[] | undefined) ?? []);
  const used = new Set<number>();
  const servicePorts = list.map((cp) => {
    let nodePort = 0;
    for (let attempt = 0; ; attempt++) {
      nodePort = 30000 + Math.floor(Math.random() * (32767 - 30000 + 1));
      if (!used.has(nodePort)) break;
      if (attempt >= 99) throw new Error('too many attempts trying to generate a unique NodePort number');
    }
    used.add(nodePort);
    return { name: String(cp.containerPort), nodePort, port: cp.containerPort, ...(cp.protocol ? { protocol: cp.protocol } : {}), targetPort: cp.containerPort };
  });
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { creationTimestamp: meta.creationTimestamp, labels: meta.labels, name: meta.name },
    spec: { ...(servicePorts.length ? { ports: servicePorts } : {}), selector: { app: (meta.labels as Obj).app ?? '' }, type: 'NodePort' },
  };
}

const VOLUME_ANNOTATIONS: Record<string, string> = {
  o: 'volume.podman.io/mount-options', device: 'volume.podman.io/device', type: 'volume.podman.io/type', UID: 'volume.podman.io/uid', GID: 'volume.podman.io/gid',
};

/** podman's Volume.GenerateForKube: a 1Gi ReadWriteOnce claim carrying the driver and options as annotations. */
export function pvcFor(v: KubeVolumeInput, now: Date): Obj {
  const annotations: Record<string, string> = { 'volume.podman.io/driver': v.driver };
  for (const [k, val] of Object.entries(v.options)) if (VOLUME_ANNOTATIONS[k]) annotations[VOLUME_ANNOTATIONS[k]] = val;
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { annotations, creationTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'), ...(Object.keys(v.labels).length ? { labels: v.labels } : {}), name: v.name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    status: {},
  };
}

export const NAMESPACE_NOTE = `
# NOTE: The namespace sharing for a pod has been modified by the user and is not the same as the
# default settings for kubernetes. This can lead to unexpected behavior when running the generated
# kube yaml in a kubernetes cluster.
`;

export const VOLUMES_NOTE = `
# NOTE: If you generated this yaml from an unprivileged and rootless pier container on an SELinux
# enabled system, check the pier generate kube documentation for steps to follow to ensure that your pod/container
# has the right permissions to access the volumes added.
`;

export interface KubeGenerateInput {
  containers: KubeContainerInput[];
  pods: KubePodInput[];
  volumes: KubeVolumeInput[];
  service: boolean;
  version: string;
  now: Date;
  warn: (m: string) => void;
}

/** podman's GenerateKube: the header, then claims, services and pods (helm's install order), `---` between. */
export function generateKube(i: KubeGenerateInput): string {
  const content: string[] = [];
  const podContent: string[] = [];
  if (i.pods.some((p) => !p.defaultNamespaces)) content.push(NAMESPACE_NOTE);
  for (const v of i.volumes) content.push(goYAML(pvcFor(v, i.now)));
  const services: string[] = [];
  for (const p of i.pods) {
    const { pod, ports } = podForPod(p, i.now, i.warn);
    podContent.push(goYAML(pod));
    if (i.service) services.push(goYAML(serviceFor(pod, ports)));
  }
  content.push(...services);
  if (i.containers.length) {
    const pod = podForContainers(i.containers, i.now, i.warn);
    if (((pod.spec as Obj).volumes as Obj[] | undefined)?.length) content.push(VOLUMES_NOTE);
    podContent.push(goYAML(pod));
    if (i.service) content.push(goYAML(serviceFor(pod, [])));
  }
  content.push(...podContent);
  const header = `# Save the output of this file and use kubectl create -f to import\n# it into Kubernetes.\n#\n# Created with pier-${i.version}\n`;
  return header + content.join('---\n');
}
