// Finding local images by id, id prefix, name, short name or digest, as podman's libimage does.
import { Store } from '../storage/store';
import { ImageRecord } from '../storage/images';
import { NotFoundError, PierError } from '../util/errors';
import { parseReference, ImageReference } from './reference';
import { selectPlatform, wantedPlatformText } from './registry/platform';

/** The fully qualified name podman gives a local name: short names go under localhost/. */
export function normalizeLocalName(name: string): string {
  const ref = parseReference(name.includes('/') || name.includes('.') || name.includes(':') ? name : name, { defaultRegistry: 'localhost' });
  return refName(ref, true);
}

/**
 * Whether the stored (fully qualified) image name `name` is the one the user wrote as `given`:
 * the same, or ending in it after a `/`, with or without the default `:latest`.
 */
export function matchesGivenName(name: string, given: string): boolean {
  return name === given || name === `${given}:latest` || name.endsWith(`/${given}`) || name.endsWith(`/${given}:latest`);
}

/** `registry/repo:tag` (tag defaults to latest unless a digest is given). */
export function refName(ref: ImageReference, defaultTag: boolean): string {
  const base = `${ref.registry}/${ref.repository}`;
  if (ref.digest && !ref.tag) return `${base}@${ref.digest}`;
  return `${base}:${ref.tag ?? (defaultTag ? 'latest' : '')}`.replace(/:$/, '') + (ref.digest ? `@${ref.digest}` : '');
}

const HEX_RE = /^[a-f0-9]{3,64}$/;

/**
 * Look up a local image. `search` lists the unqualified-search registries, tried for short
 * names after localhost/ (podman's order); a last resort matches any name whose repository
 * ends with the given path.
 */
/** Unqualified-search registries, or a function giving them (read only for a short name). */
export type SearchRegistries = string[] | (() => string[]);

export function lookupImage(store: Store, input: string, search: SearchRegistries = []): ImageRecord | undefined {
  const s = input.startsWith('sha256:') ? input.slice(7) : input;
  if (HEX_RE.test(s)) {
    const exact = store.images.get(s);
    if (exact) return exact;
    const byPrefix = store.images.byIdPrefix(s);
    if (byPrefix.length > 1) throw new PierError(`${input}: image ID is ambiguous, ${byPrefix.length} images match`);
    if (byPrefix.length === 1) return byPrefix[0];
  }
  let ref: ImageReference;
  try {
    ref = parseReference(input);
  } catch {
    return undefined;
  }
  if (ref.digest) {
    const repo = `${ref.registry}/${ref.repository}`;
    const candidates = store.images.byDigest(ref.digest);
    const hit = candidates.find((i) => i.names.some((n) => n.startsWith(repo + ':') || n.startsWith(repo + '@')) || i.repoDigests.some((d) => d.startsWith(repo + '@')));
    if (hit) return hit;
    if (ref.explicitRegistry === false) {
      const suffix = candidates.find((i) => i.repoDigests.some((d) => d.split('@')[0].endsWith('/' + ref.repository)));
      if (suffix) return suffix;
    }
    return undefined;
  }
  const tag = ref.tag ?? 'latest';
  const full = `${ref.registry}/${ref.repository}:${tag}`;
  const direct = store.images.byName(full);
  if (direct) return direct;
  if (ref.explicitRegistry === false) {
    const repo = ref.repository.startsWith('library/') && !input.includes('library/') ? ref.repository.slice(8) : ref.repository;
    for (const reg of ['localhost', ...(typeof search === 'function' ? search() : search)]) {
      const hit = store.images.byName(`${reg}/${repo}:${tag}`) ?? store.images.byName(`${reg}/${ref.repository}:${tag}`);
      if (hit) return hit;
    }
    const tail = `/${repo}:${tag}`;
    const loose = store.images.allNames().filter((n) => n.name.endsWith(tail));
    if (loose.length >= 1) return store.images.get(loose[0].id);
  }
  return undefined;
}

export function mustLookup(store: Store, input: string, search: SearchRegistries = []): ImageRecord {
  const img = lookupImage(store, input, search);
  if (!img) throw new NotFoundError(`${input}: image not known`);
  return img;
}

/**
 * The local image a list's instance for `platform` (default: this host's) is, as libimage's
 * LookupInstance finds it: the instance the platform chooses, then an image known by its digest.
 */
export function lookupInstance(store: Store, list: ImageRecord, platform: { os?: string; arch?: string; variant?: string } = {}): ImageRecord {
  const index = JSON.parse(list.manifest ?? '{}');
  const want = { os: platform.os, arch: platform.arch, variant: platform.variant };
  const hit = selectPlatform(index, want);
  if (!hit) {
    const kind = list.manifestMediaType === 'application/vnd.oci.image.index.v1+json' ? 'image index' : 'manifest list';
    throw new NotFoundError(`no image found in ${kind} for ${wantedPlatformText(want)}: image not known`);
  }
  const img = store.images.list().find((i) => !i.listInstances && (i.digests.includes(hit.digest) || i.manifestDigest === hit.digest));
  if (!img) throw new NotFoundError(`could not find image instance ${hit.digest} of manifest list ${list.id} in local containers storage: image not known`);
  return img;
}

