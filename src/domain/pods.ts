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
  cgroupParent?: string;
  exitPolicy?: 'continue' | 'stop';
  replace?: boolean;
  createCommand?: string[];
}

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
  clone(nameOrId: string, opts: { name?: string; start?: boolean; destroy?: boolean }): Promise<string>;
}
