// The image half of the engine's domain interface. The CLI and the API call only this;
// domain/local implements it in-process, domain/remote (later) over the Libpod API.

export interface Platform {
  os?: string;
  arch?: string;
  variant?: string;
}

export interface RegistryOptions {
  /** undefined: follow registries.conf; false: allow plain HTTP and unverified TLS. */
  tlsVerify?: boolean;
  creds?: string;
  authfile?: string;
  certDir?: string;
  retry?: number;
  retryDelayMs?: number;
}

/** Progress lines as podman prints them when not on a terminal. */
export interface ProgressSink {
  line(s: string): void;
  /** Byte progress of one blob, for terminal progress bars. */
  bytes?(id: string, done: number, total: number): void;
  /** One blob (by its short id, as in bytes()) is stored: fetched, checked and applied. */
  blobDone?(id: string): void;
}

export interface PullOptions extends RegistryOptions {
  allTags?: boolean;
  /** policy.json to use instead of the user's or the system's (--signature-policy; local only). */
  signaturePolicy?: string;
  platform?: Platform;
  progress?: ProgressSink;
  /**
   * Pull policy newer (libimage's hasDifferentDigest): the local image's digests. A candidate
   * whose manifest (for the platform) is one of them is not pulled, quietly, and neither is its
   * "Trying to pull" line printed; the pull then answers no id.
   */
  localDigests?: string[];
}

export interface PushOptions extends RegistryOptions {
  progress?: ProgressSink;
  /** Compression format for new blobs (gzip only today). */
  compressionFormat?: string;
  removeSignatures?: boolean;
  digestFile?: string;
  format?: 'oci' | 'v2s2';
  /** Sign the pushed manifest with this GPG key (simple signing; local only). */
  signBy?: string;
  /** Sign the pushed manifest with the sigstore (cosign) private key in this file. */
  signBySigstorePrivateKey?: string;
  /** The passphrase of the signing key (--sign-passphrase-file). */
  signPassphrase?: string;
}

/** One row of `images`, with podman's JSON field names. */
export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string> | null;
  Containers: number;
  Names: string[];
  Digest: string;
  History: string[];
  Created: number;
  CreatedAt: string;
  Dangling: boolean;
  ReadOnly: boolean;
  Arch?: string;
  Os?: string;
}

export interface ImageListOptions {
  all?: boolean;
  filters?: string[];
}

export interface RemoveReport {
  untagged: string[];
  deleted: string[];
  errors: string[];
  exitCode: number;
}

export const IMAGE_NOT_KNOWN = 'image not known';
export const IMAGE_IN_USE = 'image is in use by a container: consider listing external containers and force-removing image';

/**
 * The exit code of an image removal with these errors, as podman ranks them: 2 when an image
 * is in use by a container, else 125 for any other failure, else 1 when images were not known.
 */
export function removeExitCode(errors: string[]): number {
  if (errors.length === 0) return 0;
  if (errors.some((e) => e.includes(IMAGE_IN_USE))) return 2;
  if (errors.some((e) => !e.endsWith(IMAGE_NOT_KNOWN))) return 125;
  return 1;
}

export interface HistoryEntry {
  id: string;
  created: number;
  createdBy: string;
  size: number;
  comment: string;
  tags: string[];
}

export interface SaveOptions {
  output: string;
  format: 'docker-archive' | 'oci-archive' | 'oci-dir' | 'docker-dir';
  compress?: boolean;
  multiImageArchive?: boolean;
  /** oci-archive: write the layers as plain tar (podman's --uncompressed), not gzip. */
  uncompressed?: boolean;
}

export interface ImportOptions {
  changes?: string[];
  message?: string;
  reference?: string;
  platform?: Platform;
  progress?: ProgressSink;
}

export interface SearchResult {
  Index: string;
  Name: string;
  Description: string;
  Stars: number;
  Official: string;
  Automated: string;
  Tag?: string;
}

/** An image `image mount` mounted (or found mounted). */
export interface ImageMountReport {
  id: string;
  /** The image's manifest digest. */
  digest: string;
  repositories: string[];
  path: string;
}

/** The Go maps of an image's inspect (util/gomap): their keys print sorted, as podman's. */
export const IMAGE_INSPECT_MAPS = ['Config.ExposedPorts', 'Config.Volumes', 'Config.Labels', 'GraphDriver.Data', 'Labels', 'Annotations'];

/** `manifest add`: what to read (as pull does) and what to set on the instances added. */
export interface ManifestAddOptions extends RegistryOptions {
  all?: boolean;
  /** KEY=VALUE */
  annotations?: string[];
  arch?: string;
  features?: string[];
  os?: string;
  osVersion?: string;
  variant?: string;
}

/** `manifest annotate`: what to set on one instance. */
export interface ManifestAnnotateOptions {
  annotations?: string[];
  arch?: string;
  features?: string[];
  os?: string;
  osFeatures?: string[];
  osVersion?: string;
  variant?: string;
}

export interface ManifestPushOptions extends RegistryOptions, Pick<PushOptions, 'removeSignatures' | 'signBy' | 'signBySigstorePrivateKey' | 'signPassphrase'> {
  /** Push the instances too (default), else only the list. */
  all?: boolean;
  format?: 'oci' | 'v2s2';
  digestFile?: string;
  progress?: ProgressSink;
  /** Remove the local list once pushed. */
  rm?: boolean;
}

/**
 * Manifest lists kept in the store (podman's `manifest` commands). The methods that change a
 * list return its id; inspect returns the JSON text podman prints.
 */
export interface ManifestEngine {
  manifestCreate(name: string, images: string[], opts: { all?: boolean; amend?: boolean; tlsVerify?: boolean }): Promise<string>;
  manifestExists(name: string): Promise<boolean>;
  manifestInspect(name: string): Promise<string>;
  manifestAdd(name: string, images: string[], opts: ManifestAddOptions): Promise<string>;
  manifestAnnotate(name: string, digest: string, opts: ManifestAnnotateOptions): Promise<string>;
  manifestRemove(name: string, digest: string): Promise<string>;
  manifestRm(names: string[]): Promise<RemoveReport>;
  /** Returns the digest of the list pushed. */
  manifestPush(name: string, destination: string, opts: ManifestPushOptions): Promise<string>;
}

export interface ImageEngine extends ManifestEngine {
  pull(ref: string, opts: PullOptions): Promise<string[]>;
  push(source: string, destination: string | undefined, opts: PushOptions): Promise<string>;
  list(opts: ImageListOptions): Promise<ImageSummary[]>;
  inspect(nameOrId: string): Promise<Record<string, unknown>>;
  exists(nameOrId: string): Promise<boolean>;
  tag(nameOrId: string, newNames: string[]): Promise<void>;
  untag(nameOrId: string, names: string[]): Promise<void>;
  remove(namesOrIds: string[], opts: { force?: boolean; all?: boolean; ignore?: boolean }): Promise<RemoveReport>;
  history(nameOrId: string): Promise<HistoryEntry[]>;
  /**
   * `image mount`: mounts the images read-only (every image with `all`) and reports where; with
   * neither names nor `all`, reports the images mounted now. Local engines only.
   */
  mount?(namesOrIds: string[], opts: { all?: boolean }): Promise<ImageMountReport[]>;
  /** `image unmount`: one mount fewer (or all with `force`); returns the ids of the images that were mounted. */
  unmount?(namesOrIds: string[], opts: { all?: boolean; force?: boolean }): Promise<string[]>;
  /** `image sign` (simple signing of docker:// images; local engines only). */
  sign?(names: string[], opts: import('../image/signature/sign').SignOptions): Promise<void>;
  /** `image trust show`: the policy as entries (local engines only). */
  trustShow?(opts: { policyPath?: string; registriesDir?: string; raw?: boolean }): Promise<{ raw: string; entries: import('../image/config/trust').TrustEntry[] }>;
  /** `image trust set`: replace one scope's requirements in the policy file. */
  trustSet?(scope: string, opts: { policyPath?: string; type: string; pubKeysFiles: string[] }): Promise<void>;
  /** `external`: images whose only users are a build's containers go too, those containers first. */
  prune(opts: { all?: boolean; filters?: string[]; external?: boolean }): Promise<{ id: string; size: number }[]>;
  tree(nameOrId: string, whatrequires?: boolean): Promise<string>;
  save(namesOrIds: string[], opts: SaveOptions): Promise<void>;
  load(input: string, opts: { progress?: ProgressSink }): Promise<string[]>;
  importArchive(source: string, opts: ImportOptions): Promise<string>;
  /** Checks the credentials against the registry and stores them in the auth file (only checks with verifyOnly). */
  login(registry: string, opts: { username: string; password: string; authfile?: string; tlsVerify?: boolean; certDir?: string; verifyOnly?: boolean }): Promise<void>;
  logout(registry: string | undefined, opts: { all?: boolean; authfile?: string }): Promise<void>;
  search(term: string, opts: { limit?: number; tlsVerify?: boolean; filters?: string[]; listTags?: boolean; authfile?: string; creds?: string }): Promise<SearchResult[]>;
}
