// The pod half of the engine's domain interface (the CLI and the API call only this).

export interface PodCreateOptions {
  name?: string;
  hostname?: string;
  labels?: Record<string, string>;
  /** Namespaces to share (podman's --share): default ipc, net, uts. */
  share?: string[];
  /** Create an infra container (default true). */
  infra?: boolean;
  infraImage?: string;
  infraCommand?: string[];
  infraName?: string;
  publish?: string[];
  networks?: string[];
  networkAliases?: string[];
  addHost?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  /** Parent of the pod's cgroup (cgroupfs; default pier's /pier_parent). */
  cgroupParent?: string;
  /** Members' cgroups go under the pod's cgroup, which carries `resources` (podman's --share-parent, default true). */
  shareParent?: boolean;
  /** Limits written to the pod's cgroup when it is made (podman: not to the infra container's own). */
  resources?: PodResources;
  // The infra container's own settings (podman's pod create fills the infra's spec with them).
  // Members inherit the volumes, the named volumes of --volumes-from, the devices and the shm size;
  // the sysctls reach them through the namespaces they share with the infra container.
  volumes?: string[];
  volumesFrom?: string[];
  devices?: string[];
  securityOpt?: string[];
  sysctl?: string[];
  /** Bytes of the infra's /dev/shm, which members sharing its IPC namespace see. */
  shmSize?: number;
  noHosts?: boolean;
  /** The infra container's PID and UTS namespace modes (host, private, ns:PATH, container:X). */
  pid?: string;
  uts?: string;
  /** The infra container's user namespace (rootless keep-id or nomap), which members join. */
  userns?: string;
  infraConmonPidFile?: string;
  exitPolicy?: 'continue' | 'stop';
  replace?: boolean;
  createCommand?: string[];
  /** Internal (kube play): the id of the service container the pod belongs to (engine/service-container.ts). */
  serviceContainer?: string;
  /** Internal (kube play): the infra container's --sdnotify (podman's kube play: ignore). */
  infraSdnotify?: string;
}

/**
 * podman's pod resource flags, values parsed as for a container (bytes, `DEV:VALUE` rates and
 * weights); --memory-swap defaults to twice the memory for a pod.
 */
export type PodResources = Pick<import('./containers').CreateOptions,
  'memory' | 'memorySwap' | 'cpus' | 'cpuShares' | 'cpusetCpus' | 'cpusetMems' | 'blkioWeight' | 'blkioWeightDevice' | 'deviceReadBps' | 'deviceWriteBps'>;

export interface PodContainerSummary {
  Id: string;
  Names: string;
  Status: string;
  RestartCount: number;
}

/** One row of `pod ps --format json`, podman's field names. */
export interface PodSummary {
  Cgroup: string;
  Containers: PodContainerSummary[];
  Created: string;
  Id: string;
  InfraId: string;
  Name: string;
  Namespace: string;
  Networks: string[];
  Status: string;
  Labels: Record<string, string>;
}

export interface PodReport {
  Id: string;
  /** Per-container errors (the pod's operation went on for the others). */
  Errs: string[];
}

/** The Go maps of a pod's inspect (util/gomap): their keys print sorted, as podman's. */
export const POD_INSPECT_MAPS = ['Labels', 'InfraConfig.PortBindings'];

export interface PodEngine {
  create(o: PodCreateOptions): Promise<string>;
  start(nameOrId: string): Promise<PodReport>;
  stop(nameOrId: string, opts: { timeout?: number; ignore?: boolean }): Promise<PodReport>;
  restart(nameOrId: string): Promise<PodReport>;
  kill(nameOrId: string, signal: string): Promise<PodReport>;
  pause(nameOrId: string): Promise<PodReport>;
  unpause(nameOrId: string): Promise<PodReport>;
  remove(nameOrId: string, opts: { force?: boolean; ignore?: boolean; timeout?: number }): Promise<{ Id: string; RemovedCtrs: string[] } | undefined>;
  list(opts: { filters?: string[] }): Promise<PodSummary[]>;
  inspect(nameOrId: string): Promise<Record<string, unknown>>;
  exists(nameOrId: string): Promise<boolean>;
  prune(): Promise<string[]>;
  /** All pod ids, newest first (for --all / --latest). */
  ids(): Promise<string[]>;
  /** The pod's container ids (infra included unless asked), oldest first. */
  containerIds(nameOrId: string, opts?: { infra?: boolean }): Promise<string[]>;
  /**
   * `pod clone`: a new pod with the original's settings (`changes`, the flags given, replacing
   * them; labels added) and a clone of each of its containers; --destroy removes the original.
   */
  clone(nameOrId: string, opts: { name?: string; start?: boolean; destroy?: boolean; changes?: Partial<PodCreateOptions> }): Promise<string>;
}
