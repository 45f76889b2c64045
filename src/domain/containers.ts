// The container half of the engine's domain interface (CLI and API call only this).
import type { ProgressSink, PullOptions } from './images';
import { posix } from 'node:path';
import { PierError, UsageError, EXIT_ENGINE } from '../util/errors';

export type ContainerStatus = 'configured' | 'created' | 'initialized' | 'running' | 'stopping' | 'paused' | 'stopped' | 'exited' | 'removing';

export interface RestartPolicy {
  /** '' when --restart was not given (podman's "none"); 'no' when it was given as no. */
  name: '' | 'no' | 'on-failure' | 'always' | 'unless-stopped';
  maximumRetryCount: number;
}

/** What `create`/`run` ask for: podman's flags, parsed but not yet resolved against the image. */
export interface CreateOptions {
  image: string;
  /** The command after the image name (overrides the image's CMD). */
  command: string[];
  /** --entrypoint: a string (JSON array or plain) or undefined to keep the image's. */
  entrypoint?: string[];
  name?: string;
  env?: string[];
  envFile?: string[];
  envHost?: boolean;
  /** --http-proxy: pass the engine's proxy variables (default: containers.conf http_proxy, true). */
  httpProxy?: boolean;
  unsetEnv?: string[];
  /** --unsetenv-all: none of the default variables (pier's, containers.conf's, the image's). */
  unsetEnvAll?: boolean;
  /** --env-merge KEY=VALUE: VALUE expanded against the default variables, for keys they set. */
  envMerge?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /**
   * The command line that made the container (podman's CreateCommand: the `create`/`run`, or
   * `pod create` for an infra container), shown by inspect as recorded; none through the API.
   */
  createCommand?: string[];
  workdir?: string;
  /** Create a missing --workdir at start (Docker's API, build steps) instead of failing as podman's -w does. */
  createWorkdir?: boolean;
  user?: string;
  groupAdd?: string[];
  /** --sdnotify: container (default), conmon or ignore (engine/sdnotify.ts). */
  sdnotify?: string;
  /** Not an option: the NOTIFY_SOCKET create found in its environment, recorded by the local engine (engine/sdnotify.ts). */
  sdnotifySocket?: string;
  /** --passwd=false: no /etc/passwd and /etc/group entries for the user (default true). */
  passwd?: boolean;
  /** --passwd-entry: the template of the /etc/passwd entries pier adds. */
  passwdEntry?: string;
  /** --hostuser: host accounts (names or uids) added to the container's /etc/passwd. */
  hostUsers?: string[];
  hostname?: string;
  tty?: boolean;
  interactive?: boolean;
  volumes?: string[];
  mounts?: string[];
  tmpfs?: string[];
  /** --image-volume: the image's VOLUMEs as anonymous volumes (bind), tmpfs, or not at all (unset: containers.conf's image_volume_mode). */
  imageVolume?: 'bind' | 'tmpfs' | 'ignore';
  /** --secret values, parsed (domain/secrets parseSecretFlag). */
  secrets?: import('./secrets').SecretRequest[];
  /** --volumes-from CONTAINER[:OPTIONS] values. */
  volumesFrom?: string[];
  addHost?: string[];
  /** --no-hosts (true or false when given; unset: containers.conf no_hosts). */
  noHosts?: boolean;
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  network?: string;
  /** Every --network value (networks to join, with `name:alias=a,ip=x` options). */
  networks?: string[];
  /** -p values. */
  publish?: string[];
  /** -P: publish the image's exposed ports to random host ports. */
  publishAll?: boolean;
  expose?: string[];
  networkAliases?: string[];
  /** --ip/--ip6: static addresses on the (single) bridge network. */
  ip?: string;
  ip6?: string;
  macAddress?: string;
  restart?: RestartPolicy;
  rm?: boolean;
  rmi?: boolean;
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  /** --cgroup-conf KEY=VALUE settings (cgroup v2 only). */
  cgroupConf?: Record<string, string>;
  /** --chrootdirs: directories that get the container's /etc/hosts and /etc/resolv.conf too. */
  chrootDirs?: string[];
  /** --memory-swappiness (0 to 100; unset: the system's). */
  memorySwappiness?: number;
  cpus?: number;
  /** --cpu-period/--cpu-quota (µs, only positive values kept) and the real-time ones. */
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuRtPeriod?: number;
  cpuRtRuntime?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** --blkio-weight (10 to 1000). */
  blkioWeight?: number;
  /** `DEV:VALUE` entries (bytes or operations per second, weights), one per device. */
  blkioWeightDevice?: string[];
  deviceReadBps?: string[];
  deviceWriteBps?: string[];
  deviceReadIops?: string[];
  deviceWriteIops?: string[];
  oomKillDisable?: boolean;
  /** --device-cgroup-rule values ('c 1:3 rwm'). */
  deviceCgroupRules?: string[];
  /** --personality: the OCI execution domain (LINUX32). */
  personality?: string;
  /** --pidfile / --conmon-pidfile (absolute): where the container's and conmon's pids go. */
  pidFile?: string;
  conmonPidFile?: string;
  pidsLimit?: number;
  ulimits?: string[];
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  securityOpt?: string[];
  readOnly?: boolean;
  readOnlyTmpfs?: boolean;
  init?: boolean;
  initPath?: string;
  devices?: string[];
  stopSignal?: string;
  stopTimeout?: number;
  /** --timeout: conmon kills the container after this many seconds. */
  timeout?: number;
  /** --requires: containers (names or ids) started before this one. */
  requires?: string[];
  shmSize?: number;
  sysctl?: string[];
  ipc?: string;
  pid?: string;
  uts?: string;
  cgroupns?: string;
  /** --userns: '', host, auto[:OPTIONS], container:ID or ns:PATH (a user namespace needs root). */
  userns?: string;
  /** --uidmap / --gidmap: CONTAINER:HOST:SIZE mappings (either one alone serves for both). */
  uidMap?: string[];
  gidMap?: string[];
  /** --subuidname / --subgidname: ranges of /etc/subuid and /etc/subgid (either one alone serves for both). */
  subuidName?: string;
  subgidName?: string;
  cgroupParent?: string;
  logDriver?: string;
  logOpts?: string[];
  pull?: 'always' | 'missing' | 'never' | 'newer';
  pullOptions?: PullOptions;
  platform?: string;
  tz?: string;
  /** --systemd (default true: systemd mode when the command is an init; always; false). */
  systemd?: 'true' | 'false' | 'always';
  umask?: string;
  oomScoreAdj?: number;
  healthcheck?: HealthConfig;
  noHealthcheck?: boolean;
  /** --health-on-failure: what to do once the healthcheck turns unhealthy (unset: none). */
  healthOnFailure?: HealthOnFailure;
  replace?: boolean;
  /** A rootfs directory instead of an image (--rootfs). */
  rootfs?: boolean;
  /** --rootfs DIR:O: DIR is an overlay's lower layer (changes kept apart), not written to. */
  rootfsOverlay?: boolean;
  pod?: string;
  /** --init-ctr: a pod init container, run to completion at each pod start (always) or at the first only (once). */
  initContainerType?: InitContainerType;
  /** Internal: a build's RUN step, whose environment has no TERM nor containers.conf env (as buildah's). */
  buildStep?: boolean;
  /**
   * Internal: a build step's OCI hooks (buildah's): the build's --hooks-dir directories (none:
   * buildah's implicit ones), and what they are matched against.
   */
  buildHooks?: { dirs?: string[]; annotations: Record<string, string>; hasBindMounts: boolean };
  /** Internal: a kube play container, whose environment is the image's and the YAML's only (podman's: no TERM, container or containers.conf env). */
  kubeEnv?: boolean;
  /** Internal: a build's container, made external (ContainerRecord.external: ps -a, events, inspect... leave it out). */
  external?: boolean;
  /** Internal (build --runtime-flag): global flags for this container's runtime calls, each without its leading `--`. */
  runtimeFlags?: string[];
  /** Internal: this container is the infra container of the pod with this id. */
  infraOf?: string;
  /** Internal: kube play's service container (engine/service-container.ts); with no image, the pods' pause image. */
  service?: boolean;
  /**
   * Internal (container clone): the original's volumes by destination. The clone's anonymous
   * volumes and image volumes there are these (shared, as podman's clone shares them), and the
   * original's image volumes stay even where the clone's image has none. Not recorded.
   */
  cloneVolumes?: { destination: string; name: string; imageVolume?: boolean }[];
}

/** `container clone`: what the copy changes (podman's ContainerCloneOptions). */
export interface CloneOptions {
  /** NAME (or --name); unset: ORIGINAL-clone, then -clone1, -clone2... as podman picks. */
  name?: string;
  /** IMAGE: the clone's image instead of the original's (pulled when missing). */
  image?: string;
  pullOptions?: PullOptions;
  /** --pod: the (existing) pod the clone joins instead of the original's. */
  pod?: string;
  /** The resource flags given, parsed as create's: they replace the original's settings. */
  resources?: import('../engine/update').UpdateOptions;
  /** --destroy: remove the original once the clone exists (--force: even when it runs). */
  destroy?: boolean;
  force?: boolean;
  /** --run: start the clone (detached). */
  run?: boolean;
}

export type InitContainerType = 'always' | 'once';

/** How a container joins one network: a --network value's name and options, with the flags that apply to it. */
export interface NetworkAttachment {
  name: string;
  aliases: string[];
  staticIps: string[];
  staticMac?: string;
  interfaceName?: string;
}

/** A `--mount type=image,...` value: the image (as named) and where it goes, read-only unless rw=true. */
export interface ImageMountSpec {
  source: string;
  destination: string;
  readWrite: boolean;
}

/**
 * Parse `--mount type=image,src=IMAGE,dst=PATH[,rw|readwrite=true|false]` as podman's
 * getImageVolume does (the parts are comma separated; `consistency` is accepted and ignored).
 */
export function parseImageMount(value: string): ImageMountSpec {
  const out: ImageMountSpec = { source: '', destination: '', readWrite: false };
  let typeSeen = false;
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const val = eq < 0 ? undefined : part.slice(eq + 1);
    if (key === 'type' && !typeSeen && val !== undefined) { typeSeen = true; continue; }
    switch (key) {
      case 'src': case 'source':
        if (val === undefined) throw new UsageError(`${key}: must provide an argument for option`);
        out.source = val;
        break;
      case 'target': case 'dst': case 'destination':
        if (val === undefined) throw new UsageError(`${key}: must provide an argument for option`);
        if (!val.startsWith('/')) throw new UsageError(`invalid container path "${val}", must be an absolute path`);
        out.destination = posix.normalize(val).replace(/(.)\/$/, '$1');
        break;
      case 'rw': case 'readwrite':
        if (val === 'true') out.readWrite = true;
        else if (val !== 'false') throw new UsageError(`invalid rw value "${val ?? ''}": invalid mount option`);
        break;
      case 'consistency':
        break;
      default:
        throw new UsageError(`${key}: invalid mount option`);
    }
  }
  if (!out.source || !out.destination) throw new UsageError('must set source and destination for image volume');
  return out;
}

/**
 * The `i`th --network value (`name:alias=a,ip=x,ip6=y,mac=m,interface_name=i`) as podman's
 * PerNetworkOptions: --network-alias goes to every network, --ip, --ip6 and --mac-address to the
 * first. The local engine and the remote client's SpecGenerator both read values this way.
 */
export function networkAttachment(o: Pick<CreateOptions, 'networkAliases' | 'ip' | 'ip6' | 'macAddress'>, value: string, i: number): NetworkAttachment {
  const colon = value.indexOf(':');
  const a: NetworkAttachment = { name: colon < 0 ? value : value.slice(0, colon), aliases: [...(o.networkAliases ?? [])], staticIps: [] };
  for (const opt of colon < 0 ? [] : value.slice(colon + 1).split(',')) {
    const eq = opt.indexOf('=');
    const [k, v] = [opt.slice(0, eq), opt.slice(eq + 1)];
    if (k === 'alias') a.aliases.push(v);
    else if (k === 'ip' || k === 'ip6') a.staticIps.push(v);
    else if (k === 'mac') a.staticMac = v;
    else if (k === 'interface_name') a.interfaceName = v;
  }
  if (i === 0) {
    for (const ip of [o.ip, o.ip6]) if (ip) a.staticIps.push(ip);
    if (o.macAddress) a.staticMac = o.macAddress;
  }
  return a;
}

/**
 * A failure as an engine error (exit 125): what `container clone --run` makes of a start that
 * fails, as podman's (only `run` exits 126/127 for a command it cannot invoke or find).
 */
export function asEngineError(e: unknown): unknown {
  return e instanceof PierError && e.exitCode !== EXIT_ENGINE ? new PierError(e.message, EXIT_ENGINE, e.httpStatus) : e;
}

/** The actions of --health-on-failure (podman 4.3), in the order of podman's numbering after 'invalid'. */
export const HEALTH_ON_FAILURE_ACTIONS = ['none', 'kill', 'restart', 'stop'] as const;
export type HealthOnFailure = typeof HEALTH_ON_FAILURE_ACTIONS[number];

/** What `run` takes beyond the container's options. */
export interface RunOnlyOptions {
  detach?: boolean;
  detachKeys?: string;
  sigProxy?: boolean;
  warn?: (w: string) => void;
  /** --preserve-fds: pass this process's fds 3..3+N-1 to the container's first start (local only). */
  preserveFds?: number;
  /**
   * --attach: the only streams attached (lower case stdin, stdout, stderr); unset attaches all.
   * With neither stdout nor stderr attached the container's ID is printed once it started.
   */
  attach?: string[];
}

export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  conmonPid: number;
  exitCode: number;
  startedAt: string;
  finishedAt: string;
  oomKilled: boolean;
  error: string;
  restartCount: number;
  /** The container was stopped by the user (restart policies do not apply). */
  stoppedByUser: boolean;
  health?: { status: string; failingStreak: number; log: { Start: string; End: string; ExitCode: number; Output: string }[] };
  /** What netavark set up while the container runs: per-network status and the ports in effect. */
  network?: { status: Record<string, import('../network/types').StatusBlock>; ports: import('../network/types').PortMapping[]; slirpPid?: number };
}

export interface PsOptions {
  all?: boolean;
  last?: number;
  filters?: string[];
  size?: boolean;
  sync?: boolean;
  /** --external: the build's containers too, as rows with State `storage` (neither -a nor filters apply to them). */
  external?: boolean;
}

/** One row of `ps --format json`, podman's field names. */
export interface ContainerSummary {
  AutoRemove: boolean;
  Command: string[] | null;
  Created: number;
  CreatedAt: string;
  Exited: boolean;
  ExitedAt: number;
  ExitCode: number;
  Id: string;
  Image: string;
  ImageID: string;
  IsInfra: boolean;
  Labels: Record<string, string> | null;
  /** null for a build's container (podman's storage containers). */
  Mounts: string[] | null;
  Names: string[];
  Namespaces: Record<string, string>;
  Networks: string[] | null;
  Pid: number;
  Pod: string;
  PodName: string;
  Ports: unknown[] | null;
  Size: { rootFsSize: number; rwSize: number } | null;
  StartedAt: number;
  State: string;
  Status: string;
  /** Not in podman's JSON: for the restart-policy filter. */
  RestartPolicy?: string;
  /** Not in podman's JSON: for the volume filter (a named volume's name or a bind mount's host path). */
  VolumeSources?: { source: string; destination: string }[];
}

export interface LogOptions {
  follow?: boolean;
  since?: string;
  until?: string;
  tail?: number;
  timestamps?: boolean;
  /** Each line starts with its container (always with several, or with `multi`): its name, else its short id. */
  names?: boolean;
  /** Lines carry their container even for one (pod logs, podman's Multi). */
  multi?: boolean;
  /** --color: each container's lines in a color of podman's sequence (white, red, yellow...), by its place in the list. */
  color?: boolean;
}

/** podman's log colors, given to the containers in the order they are listed. */
export const LOG_COLORS = ['\x1b[37m', '\x1b[31m', '\x1b[33m', '\x1b[34m', '\x1b[35m', '\x1b[36m', '\x1b[32m'];

/** A formatted log line in container number `i`'s color (the newline after the reset, as podman). */
export function colorLogLine(line: string, i: number): string {
  const nl = line.endsWith('\n') ? '\n' : '';
  return `${LOG_COLORS[i % LOG_COLORS.length]}${nl ? line.slice(0, -1) : line}\x1b[0m${nl}`;
}

export interface ExecOptions {
  command: string[];
  interactive?: boolean;
  tty?: boolean;
  detach?: boolean;
  user?: string;
  workdir?: string;
  env?: string[];
  envFile?: string[];
  privileged?: boolean;
  detachKeys?: string;
  preserveFds?: number;
}

/**
 * `rm --depend` that removed some containers and failed on others: the ids removed (in order)
 * and each failure; the message and exit code are the last failure's.
 */
export class PartialRemoveError extends PierError {
  constructor(readonly removed: string[], readonly failures: { id: string; error: PierError }[]) {
    const last = failures[failures.length - 1].error;
    super(last.message, last.exitCode, last.httpStatus);
    this.name = 'PartialRemoveError';
  }
}

/** The Go maps of a container's inspect (util/gomap): their keys print sorted, as podman's. */
export const CONTAINER_INSPECT_MAPS = [
  'Config.Labels', 'Config.Annotations', 'GraphDriver.Data', 'NetworkSettings.Ports', 'NetworkSettings.Networks',
  'HostConfig.PortBindings', 'HostConfig.Tmpfs', 'HostConfig.CgroupConf', 'HostConfig.LogConfig.Config',
];

/** `auto-update`'s options (podman's AutoUpdateOptions, with 4.6's --tls-verify). */
export interface AutoUpdateOptions {
  /** The auth file for registries (a container's io.containers.autoupdate.authfile label wins). */
  authfile?: string;
  /** Check only: nothing is pulled or restarted; an available update shows as "pending". */
  dryRun?: boolean;
  /** After a failed restart, tag the previous image again and restart the unit once more. */
  rollback: boolean;
  /** undefined: registries.conf decides. */
  tlsVerify?: boolean;
  /** Where pulls report their progress. */
  progress?: ProgressSink;
}

/** One container's outcome (podman's AutoUpdateReport). */
export interface AutoUpdateReport {
  containerId: string;
  containerName: string;
  /** The image name the container was created with. */
  imageName: string;
  policy: string;
  /** The systemd unit it runs in. */
  unit: string;
  /** true, false, pending, failed or rolled back. */
  updated: string;
}

export interface ContainerEngine {
  create(opts: CreateOptions): Promise<{ id: string; warnings: string[] }>;
  start(nameOrId: string, opts?: { attach?: boolean; interactive?: boolean; detachKeys?: string }): Promise<number | void>;
  /** run: create + start; attached runs return the container's exit code. */
  /** `warn` receives create's warnings (settings the host cannot apply) before the container starts. */
  run(opts: CreateOptions & RunOnlyOptions): Promise<{ id: string; exitCode?: number }>;
  stop(nameOrId: string, opts: { timeout?: number; ignore?: boolean }): Promise<void>;
  kill(nameOrId: string, signal: string): Promise<void>;
  remove(nameOrId: string, opts: { force?: boolean; volumes?: boolean; ignore?: boolean; timeout?: number; depend?: boolean }): Promise<string[]>;
  list(opts: PsOptions): Promise<ContainerSummary[]>;
  inspect(nameOrId: string, opts?: { size?: boolean }): Promise<Record<string, unknown>>;
  /** `external`: a build's container counts too (`container exists --external`). */
  exists(nameOrId: string, opts?: { external?: boolean }): Promise<boolean>;
  wait(nameOrId: string, opts: { conditions?: string[]; interval?: number }): Promise<number>;
  logs(nameOrIds: string[], opts: LogOptions, out: { stdout(b: Buffer | string): void; stderr(b: Buffer | string): void }): Promise<void>;
  exec(nameOrId: string, opts: ExecOptions): Promise<number>;
  /** `exec -d`: starts the process, returns its exec session's ID without waiting for it. */
  execDetached(nameOrId: string, opts: ExecOptions): Promise<string>;
  /** Attach to a running container: its exit code, or undefined when the user detached. */
  attach(nameOrId: string, opts: { noStdin?: boolean; detachKeys?: string; sigProxy?: boolean }): Promise<number | undefined>;
  /** What conmon's exit command calls when a container exits. */
  cleanup(nameOrId: string, opts?: { rm?: boolean; rmi?: boolean }): Promise<void>;
  /** What conmon's exit command calls when a detached exec session's process exits. */
  cleanupExec(nameOrId: string, sessionId: string): Promise<void>;
  /** All container ids (for -a flags). */
  ids(opts?: { all?: boolean; latest?: boolean; filters?: string[] }): Promise<string[]>;
  restart(nameOrId: string, opts: { timeout?: number }): Promise<void>;
  /** Prepare a container to run (mounts, bundle, created under conmon) without starting it. */
  init(nameOrId: string): Promise<void>;
  pause(nameOrId: string): Promise<void>;
  unpause(nameOrId: string): Promise<void>;
  rename(nameOrId: string, newName: string): Promise<void>;
  /** `container clone`: a new container with the original's configuration; its id and create's warnings. */
  clone(nameOrId: string, opts: CloneOptions): Promise<{ id: string; warnings: string[] }>;
  /** The image ids containers use (for rmi's in-use check). */
  imagesInUse(): Map<string, string[]>;
  /**
   * `auto-update` (local engines only: podman-remote 4.3 has none): the reports of the containers
   * it looked at and the errors met on the way, each on its own (one container's failure does
   * not stop the others').
   */
  autoUpdate?(opts: AutoUpdateOptions): Promise<{ reports: AutoUpdateReport[]; errors: string[] }>;
}
