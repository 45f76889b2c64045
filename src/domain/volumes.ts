// The volume half of the engine's domain interface (the CLI and the API call only this).
import type { Readable } from 'node:stream';

/** `volume inspect` / `volume ls --format json`: podman's field names; optional fields are omitted when empty. */
export interface VolumeInspect {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: Date;
  /** A plugin's volume: the status its plugin reports (omitted when empty). */
  Status?: Record<string, unknown>;
  Labels: Record<string, string>;
  Scope: string;
  Options: Record<string, string>;
  UID?: number;
  GID?: number;
  Anonymous?: boolean;
  MountCount: number;
  NeedsCopyUp?: boolean;
  NeedsChown?: boolean;
  /** Seconds a plugin may take for this volume (`-o o=timeout=N`; a plugin's volume: volume_plugin_timeout by default). */
  Timeout?: number;
}

/** `volume reload`: the plugins' volumes recorded and forgotten, and what failed. */
export interface VolumeReloadReport {
  added: string[];
  removed: string[];
  errors: string[];
}

export interface VolumeCreateOptions {
  /** Default: 64 random hex digits. */
  name?: string;
  /** `local` (the default) or a volume plugin's name (containers.conf `[engine.volume_plugins]`). */
  driver?: string;
  labels?: Record<string, string>;
  /** Driver options (`-o k=v`): type, device, o, [no]copy. */
  options?: Record<string, string>;
  /** An anonymous volume (created for a container's `-v /path`). */
  anonymous?: boolean;
  /** Return the existing volume when the name is taken (`--ignore`). */
  ignoreIfExists?: boolean;
}

export interface VolumeRemoveOptions {
  /** Remove the containers using it (stopping them first) and unmount it. */
  force?: boolean;
  /** Seconds to wait for those containers to stop. */
  timeout?: number;
}

export interface VolumeEngine {
  create(o: VolumeCreateOptions): Promise<VolumeInspect>;
  /** Filters `key=value` / `key!=value`: name (regex), driver, scope, label, label!, opt, dangling, until. */
  list(filters?: string[]): Promise<VolumeInspect[]>;
  /** NotFoundError when it does not exist. */
  inspect(name: string): Promise<VolumeInspect>;
  /** NotFoundError / VolumeInUseError (exit code 2). */
  remove(name: string, o?: VolumeRemoveOptions): Promise<void>;
  /** Removes unused volumes matching the filters (label, label!, until); returns their names. */
  prune(filters?: string[]): Promise<string[]>;
  exists(name: string): Promise<boolean>;
  /** Write a tar of the volume's content to `out` (not ended). */
  export(name: string, out: NodeJS.WritableStream): Promise<void>;
  /** Extract a tar stream into the volume. */
  import(name: string, input: Readable): Promise<void>;
  /** `volume mount`: mount it (counted) and return its host path. Local only. */
  mount(name: string): Promise<string>;
  /** `volume unmount`: drop one `volume mount`; the last unmounts. Local only. */
  unmount(name: string): Promise<void>;
  /** `volume reload`: record the volumes the plugins have and pier does not, forget those they no longer have. Local only. */
  reload?(): Promise<VolumeReloadReport>;
}
