// Image references: parsing and normalisation following the docker reference grammar that
// containers/image uses (docker.io/library defaults, lowercase repositories, tag and digest
// rules), plus the `transport:` prefixes podman accepts (docker://, oci:, dir:, ...).
import { UsageError } from '../util/errors';

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_MAX = 255;

// Grammar pieces (see the distribution reference grammar).
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const NAME = `(?:(${DOMAIN})/)?(${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)`;

const REFERENCE_RE = new RegExp(`^${NAME}(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const ID_RE = /^[a-f0-9]{64}$/;

export interface ParseOptions {
  /** Registry given to names without one (default docker.io, which also adds `library/`). */
  defaultRegistry?: string;
}

/** A parsed, normalised image reference such as `docker.io/library/busybox:latest`. */
export class ImageReference {
  constructor(
    readonly registry: string,
    readonly repository: string,
    readonly tag?: string,
    readonly digest?: string,
    /** false when the registry was filled in by normalisation (a short name). */
    readonly explicitRegistry: boolean = true,
  ) {}

  /** `registry/repository`. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** The full normalised form: `registry/repository[:tag][@digest]`. */
  toString(): string {
    return this.name + (this.tag ? `:${this.tag}` : '') + (this.digest ? `@${this.digest}` : '');
  }

  /** The short form docker prints: `busybox:latest`, `user/app`, `quay.io/x/y:1`. */
  get familiar(): string {
    return familiarName(this.registry, this.repository) + (this.tag ? `:${this.tag}` : '') + (this.digest ? `@${this.digest}` : '');
  }

  /** The familiar repository name without tag or digest. */
  get familiarName(): string {
    return familiarName(this.registry, this.repository);
  }

  /** The same reference with `latest` added when neither a tag nor a digest is present. */
  withDefaultTag(): ImageReference {
    if (this.tag || this.digest) return this;
    return new ImageReference(this.registry, this.repository, 'latest', undefined, this.explicitRegistry);
  }

  withTag(tag: string): ImageReference {
    if (!TAG_RE.test(tag)) throw new UsageError('invalid tag format');
    return new ImageReference(this.registry, this.repository, tag, undefined, this.explicitRegistry);
  }

  withDigest(digest: string): ImageReference {
    validateDigest(digest);
    return new ImageReference(this.registry, this.repository, undefined, digest, this.explicitRegistry);
  }

  /** Tag if any, else digest, else `latest`: what goes into /v2/<name>/manifests/<ref>. */
  get manifestRef(): string {
    return this.digest ?? this.tag ?? 'latest';
  }
}

function familiarName(registry: string, repository: string): string {
  if (registry !== DEFAULT_REGISTRY) return `${registry}/${repository}`;
  if (repository.startsWith(OFFICIAL_REPO_PREFIX) && !repository.slice(OFFICIAL_REPO_PREFIX.length).includes('/')) {
    return repository.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return repository;
}

/** Does the first path component look like a registry host (has `.` or `:`, or is localhost)? */
function looksLikeDomain(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost' || component.startsWith('[');
}

function validateDigest(digest: string): void {
  const m = /^([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*):([0-9a-fA-F]*)$/.exec(digest);
  if (!m) throw new UsageError('invalid reference format');
  const expected = m[1] === 'sha256' ? 64 : m[1] === 'sha512' ? 128 : m[1] === 'sha384' ? 96 : 0;
  if (!expected) throw new UsageError('unsupported digest algorithm');
  if (!/^[a-f0-9]*$/.test(m[2])) throw new UsageError('invalid checksum digest format');
  if (m[2].length !== expected) throw new UsageError('invalid checksum digest length');
}

/**
 * Parse without normalisation (docker's `reference.Parse`): the registry is whatever precedes
 * the first `/` when it matches the domain grammar. Returns undefined registry for bare paths.
 */
function parseRaw(s: string): { domain?: string; path: string; tag?: string; digest?: string } {
  if (s === '') throw new UsageError('repository name must have at least one component');
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (REFERENCE_RE.test(s.toLowerCase())) throw new UsageError('repository name must be lowercase');
    throw new UsageError('invalid reference format');
  }
  const [, domain, path, tag, digest] = m;
  const nameLen = (domain ? domain.length + 1 : 0) + path.length;
  if (nameLen > NAME_MAX) throw new UsageError(`repository name must not be more than ${NAME_MAX} characters`);
  if (digest) validateDigest(digest);
  return { domain, path, tag, digest };
}

/**
 * Parse and normalise a reference the way podman does for user input:
 * `busybox` → docker.io/library/busybox, `localhost/foo`, `127.0.0.1:5000/foo:tag`,
 * `foo@sha256:…`, `foo:tag@sha256:…`. The tag is NOT defaulted; use withDefaultTag().
 * Throws UsageError with docker-reference messages on malformed input.
 */
export function parseReference(input: string, opts: ParseOptions = {}): ImageReference {
  const s = input;
  if (ID_RE.test(s)) {
    throw new UsageError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const defaultRegistry = opts.defaultRegistry ?? DEFAULT_REGISTRY;
  const slash = s.indexOf('/');
  let domain: string;
  let remainder: string;
  let explicit: boolean;
  const first = slash === -1 ? '' : s.slice(0, slash);
  if (slash === -1 || (!looksLikeDomain(first) && first.toLowerCase() === first)) {
    domain = defaultRegistry;
    remainder = s;
    explicit = false;
  } else {
    domain = first;
    remainder = s.slice(slash + 1);
    explicit = true;
  }
  if (domain === LEGACY_DEFAULT_REGISTRY) domain = DEFAULT_REGISTRY;
  if (domain === DEFAULT_REGISTRY && !remainder.includes('/') && remainder !== '') {
    remainder = OFFICIAL_REPO_PREFIX + remainder;
  }
  // The repository part (before any tag) must be lowercase.
  const at = remainder.indexOf('@');
  const beforeDigest = at === -1 ? remainder : remainder.slice(0, at);
  const colon = beforeDigest.indexOf(':');
  const repoPart = colon === -1 ? beforeDigest : beforeDigest.slice(0, colon);
  if (repoPart.toLowerCase() !== repoPart) {
    throw new UsageError('invalid reference format: repository name must be lowercase');
  }
  if (!DOMAIN_RE.test(domain)) throw new UsageError('invalid reference format');
  const raw = parseRaw(`${domain}/${remainder}`);
  if (raw.domain !== domain) throw new UsageError('invalid reference format');
  return new ImageReference(domain, raw.path, raw.tag, raw.digest, explicit);
}

/** parseReference + `latest` when neither tag nor digest is given. */
export function parseNormalizedTagged(input: string, opts: ParseOptions = {}): ImageReference {
  return parseReference(input, opts).withDefaultTag();
}

/**
 * A short name has no registry component: `busybox`, `library/busybox`, `foo/bar:1`.
 * (`localhost/x`, `quay.io/x`, `host:5000/x` are not.) Invalid references are not short names.
 */
export function isShortName(s: string): boolean {
  let raw;
  try {
    raw = parseRaw(s);
  } catch {
    return false;
  }
  if (!raw.domain) return true;
  return !looksLikeDomain(raw.domain);
}

/** Split a short name into its name and the `:tag` / `@digest` suffix (for alias lookup). */
export function splitShortName(s: string): { name: string; tag?: string; digest?: string } {
  const raw = parseRaw(s);
  const name = raw.domain ? `${raw.domain}/${raw.path}` : raw.path;
  return { name, tag: raw.tag, digest: raw.digest };
}

/** Is `s` a valid tag? */
export function isValidTag(s: string): boolean {
  return TAG_RE.test(s);
}

// ---------------------------------------------------------------------------------------------
// Transports

export type TransportName = 'docker' | 'docker-archive' | 'oci-archive' | 'oci' | 'dir' | 'containers-storage';

export const TRANSPORTS: readonly TransportName[] = ['docker', 'docker-archive', 'oci-archive', 'oci', 'dir', 'containers-storage'];

export type TransportReference =
  | { transport: 'docker'; ref: ImageReference }
  /** `ref` is an optional docker reference naming the image inside; `index` selects `@N`. */
  | { transport: 'docker-archive'; path: string; ref?: ImageReference; index?: number }
  /** `image` is the optional org.opencontainers.image.ref.name; `index` selects `@N`. */
  | { transport: 'oci-archive' | 'oci'; path: string; image?: string; index?: number }
  | { transport: 'dir'; path: string }
  /** `storage` is the optional `[driver@root+runroot:options]` specifier. */
  | { transport: 'containers-storage'; storage?: string; image: string };

/** Render a transport reference back to `transport:…` form (docker uses the familiar name). */
export function transportString(t: TransportReference): string {
  switch (t.transport) {
    case 'docker':
      return `docker://${t.ref.familiar}`;
    case 'docker-archive':
      return `docker-archive:${t.path}${t.ref ? ':' + t.ref.familiar : t.index !== undefined ? ':@' + t.index : ''}`;
    case 'oci-archive':
    case 'oci':
      return `${t.transport}:${t.path}${t.image ? ':' + t.image : t.index !== undefined ? ':@' + t.index : ''}`;
    case 'dir':
      return `dir:${t.path}`;
    case 'containers-storage':
      return `containers-storage:${t.storage ?? ''}${t.image}`;
  }
}

/** The transport prefix of `s` if it names one we know, e.g. `oci-archive:/x.tar` → oci-archive. */
export function transportOf(s: string): TransportName | undefined {
  const i = s.indexOf(':');
  if (i <= 0) return undefined;
  const name = s.slice(0, i);
  return (TRANSPORTS as readonly string[]).includes(name) ? (name as TransportName) : undefined;
}

const OCI_NAME_RE = /^[a-zA-Z0-9_.\-:/@+]+$/;

function splitPathAndImage(rest: string): [string, string | undefined] {
  const i = rest.indexOf(':');
  if (i === -1) return [rest, undefined];
  return [rest.slice(0, i), rest.slice(i + 1)];
}

function parseSourceIndex(s: string, transport: string): number | undefined {
  if (!s.startsWith('@')) return undefined;
  const n = Number(s.slice(1));
  if (!/^@\d+$/.test(s) || !Number.isSafeInteger(n)) throw new UsageError(`Invalid source index @${s.slice(1)} for ${transport}`);
  return n;
}

/**
 * Parse `transport:reference` as podman does. With `defaultTransport: 'docker'` (the default)
 * a string without a known transport prefix is taken as a docker reference, as `podman pull`
 * does; with `defaultTransport: null` it is an error like containers/image's alltransports.
 */
export function parseTransportReference(input: string, opts: ParseOptions & { defaultTransport?: 'docker' | null } = {}): TransportReference {
  const transport = transportOf(input);
  if (!transport) {
    if (opts.defaultTransport === null) {
      const i = input.indexOf(':');
      if (i <= 0) throw new UsageError(`Invalid image name "${input}", expected colon-separated transport:reference`);
      throw new UsageError(`Invalid image name "${input}", unknown transport "${input.slice(0, i)}"`);
    }
    return { transport: 'docker', ref: parseReference(input, opts) };
  }
  const rest = input.slice(transport.length + 1);
  switch (transport) {
    case 'docker': {
      if (!rest.startsWith('//')) throw new UsageError(`docker: image reference ${rest} does not start with //`);
      return { transport, ref: parseReference(rest.slice(2), opts) };
    }
    case 'docker-archive': {
      const [path, image] = splitPathAndImage(rest);
      if (path === '') throw new UsageError('docker-archive reference cannot be empty');
      if (image === undefined || image === '') return { transport, path };
      const index = parseSourceIndex(image, transport);
      if (index !== undefined) return { transport, path, index };
      const ref = parseReference(image, opts);
      if (ref.digest) throw new UsageError('docker-archive doesn\'t support digest references');
      return { transport, path, ref: ref.withDefaultTag() };
    }
    case 'oci-archive':
    case 'oci': {
      const [path, image] = splitPathAndImage(rest);
      if (path === '') throw new UsageError(`${transport} reference cannot be empty`);
      if (image === undefined || image === '') return { transport, path };
      const index = parseSourceIndex(image, transport);
      if (index !== undefined) return { transport, path, index };
      if (!OCI_NAME_RE.test(image)) throw new UsageError(`Invalid image ${image}`);
      return { transport, path, image };
    }
    case 'dir': {
      if (rest === '') throw new UsageError('dir reference cannot be empty');
      return { transport, path: rest };
    }
    case 'containers-storage': {
      let storage: string | undefined;
      let image = rest;
      if (rest.startsWith('[')) {
        const close = rest.indexOf(']');
        if (close === -1) throw new UsageError(`Invalid reference ${rest}: missing ']'`);
        storage = rest.slice(0, close + 1);
        image = rest.slice(close + 1);
      }
      if (image === '') throw new UsageError('containers-storage reference cannot be empty');
      return { transport, storage, image };
    }
  }
}
