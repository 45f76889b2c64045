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
}

export interface BuildOutput {
  /** Step lines and RUN output, in order. */
  write(text: string): void;
}

export interface BuildEngine {
  /** Builds and returns the final image's id. */
  build(opts: BuildOptions, out: BuildOutput): Promise<{ id: string }>;
}
