// The build half of the engine's domain interface: `pier build`, and the REST API's /build,
// call `build()` with a context directory on disk and a sink for the output lines.
//
// Entry point for the API: write the tar context to a temporary directory, then
//   const { id } = await engines.build().build({ contextDir, tags, ... }, { write: (s) => stream(s) });

import type { RegistryOptions } from './images';

export interface BuildOptions {
  /** The build context: a directory on disk. */
  contextDir: string;
  /** The Containerfile's path (absolute or relative to the current directory); default: Containerfile, else Dockerfile, in the context. */
  containerfile?: string;
  /** The Containerfile's text (e.g. `-f -`); wins over `containerfile`. */
  containerfileText?: string;
  tags?: string[];
  /** Sign the image (its manifest, for its first tag) with this GPG key as it is committed, keeping the signature with it. */
  signBy?: string;
  buildArgs?: Record<string, string>;
  target?: string;
  /** Cache each step as an image and reuse it (default true). */
  layers?: boolean;
  noCache?: boolean;
  pull?: 'always' | 'missing' | 'never' | 'newer';
  /** One layer holding the whole file system. */
  squashAll?: boolean;
  /** The new layers of the last stage folded into one, on top of its base image's layers. */
  squash?: boolean;
  format?: 'oci' | 'docker';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Secrets for RUN --mount=type=secret: id → file on the host. */
  secrets?: Record<string, string>;
  /** Don't write /etc/hosts entries for RUN containers. */
  noHosts?: boolean;
  /** Seconds since the epoch: image created times and the cap of file mtimes (reproducible images). */
  timestamp?: number;
  /** Print only the image id. */
  quiet?: boolean;
  /** Remove intermediate containers after a successful (rm) or failed (forceRm) step. Default true, false. */
  rm?: boolean;
  forceRm?: boolean;
  /** os/arch[/variant]: the platform base images are looked up and pulled for (TARGETPLATFORM). */
  platform?: string;
  /** RUN's network: host (default), none, private (the default bridge network), ns:PATH, or a network name. */
  network?: string;
  /** An explicit ignore file instead of the context's .containerignore/.dockerignore. */
  ignoreFile?: string;
  /** TLS, credentials and certificates for pulling base images. */
  registry?: RegistryOptions;
  /** The settings of the containers RUN steps run in. */
  run?: RunStepOptions;
  /** --hooks-dir: the OCI hook directories of RUN containers (none: buildah's implicit ones, as root). */
  hooksDirs?: string[];
  /** --stdin: what RUN steps read on their stdin (default: nothing). */
  stdin?: NodeJS.ReadableStream;
  /** --env NAME=VALUE (VALUE expanded against the image's variables) and --env NAME- (removes it): set at every step's commit. */
  env?: string[];
  /** --unsetenv NAME: removed at every step's commit. */
  unsetEnv?: string[];
  /** --from: the image that replaces the first FROM's. */
  from?: string;
  /** --omit-history: the image has no history. */
  omitHistory?: boolean;
  /** --os-version, --os-feature (NAME, or NAME- to drop one of the base image's): the image config's os.version and os.features. */
  osVersion?: string;
  osFeatures?: string[];
  /** --output: the final image's file system exported to a directory or a tar file (stream: `-`, the CLI's stdout). */
  output?: BuildOutputTarget;
  /** --skip-unused-stages (default true): stages the target does not need are not built. */
  skipUnusedStages?: boolean;
  /** --build-context NAME=VALUE: another directory, an image or a tarball URL for FROM, COPY --from and RUN --mount from=. */
  buildContexts?: Record<string, BuildContextSource>;
  /** --cache-ttl: cached steps older than this many milliseconds are not used (0 or unset: no limit). */
  cacheTtlMs?: number;
  /** --cpp-flag: flags for cpp, which preprocesses a Containerfile named *.in. */
  cppFlags?: string[];
}

/** The settings of RUN steps' containers (podman build's --cap-add, --memory, --dns, --volume...). */
export interface RunStepOptions {
  addHost?: string[];
  capAdd?: string[];
  capDrop?: string[];
  cgroupParent?: string;
  /** Namespaces: private (default), host, or a path to join. */
  cgroupns?: string;
  ipc?: string;
  pid?: string;
  uts?: string;
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  /** Bytes; memorySwap -1 is unlimited. */
  memory?: number;
  memorySwap?: number;
  devices?: string[];
  dns?: string[];
  dnsOption?: string[];
  dnsSearch?: string[];
  /** label=..., apparmor=..., seccomp=... */
  securityOpt?: string[];
  /** Bytes. */
  shmSize?: number;
  ulimits?: string[];
  /** HOST-DIR:CONTAINER-DIR[:OPTIONS] bind mounts for every RUN; what is written there stays out of the image. */
  volumes?: string[];
  /** Global flags for the OCI runtime (each without its leading `--`). */
  runtimeFlags?: string[];
  /** The proxy variables (http_proxy...) of the engine's environment go into RUN steps, not the image. */
  httpProxy?: boolean;
}

export type BuildOutputTarget = { type: 'local'; dest: string } | { type: 'tar'; dest: string } | { type: 'tar'; stream: NodeJS.WritableStream };

export type BuildContextSource = { type: 'dir'; path: string } | { type: 'image'; ref: string } | { type: 'url'; url: string };

export interface BuildOutput {
  /** Step lines and RUN output, in order. */
  write(text: string): void;
  /**
   * Aborted when the CLI got SIGINT/SIGTERM (local builds): the running step's container is
   * killed and the build's containers removed, and the build fails.
   */
  abort?: AbortSignal;
}

export interface BuildEngine {
  /** Builds and returns the final image's id. */
  build(opts: BuildOptions, out: BuildOutput): Promise<{ id: string }>;
}
