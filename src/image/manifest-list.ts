// Manifest lists (Docker) and image indexes (OCI) kept in the local store, as podman 4.3's
// `manifest` commands keep them: an image record without layers whose manifest is the list,
// with a map of where each instance was found (a local image, or a registry reference). The
// list keeps both formats' fields (annotations are OCI's, features Docker's) and is stored in
// the format that holds what it has (an OCI index once it has instances, unless only Docker's
// features say otherwise), as containers/common's manifests package does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/images';
export { isManifestList } from '../storage/images';
import type { EngineConfig } from '../config/config';
import type { ManifestAnnotateOptions, Platform, ProgressSink, PushOptions, RegistryOptions } from '../domain/images';
import type { RegistriesD } from './signature/registries-d';
import type { Signature } from './signature/stored';
import { goJSON } from '../cli/format/gojson';
import { goMap } from '../util/gomap';
import { NotFoundError, PierError, errorMessage } from '../util/errors';
import { sha256 } from '../util/digest';
import { ImageReference, isShortName, parseReference } from './reference';
import { assertNotBlocked, findRegistry, isInsecure, loadRegistriesConf, resolveShortName } from './config/registries';
import { clientFor } from './registry/connect';
import { MEDIA_TYPES, Manifest, RegistryClient, selectPlatform, wantedPlatformText } from './registry/client';
export { lookupInstance } from './lookup';
import { refName } from './lookup';

export const LIST_TYPES: readonly string[] = [MEDIA_TYPES.dockerList, MEDIA_TYPES.ociIndex];

/** The error of a name that is an image but not a manifest list (libimage's ErrNotAManifestList). */
export function notAManifestList(name: string): PierError {
  return new PierError(`${name}: image is not a manifest list`);
}

export interface ListPlatform {
  architecture: string;
  os: string;
  osVersion?: string;
  osFeatures?: string[];
  variant?: string;
  /** Docker's only. */
  features?: string[];
}

export interface ListEntry {
  mediaType: string;
  size: number;
  digest: string;
  urls?: string[];
  /** OCI's only. */
  annotations?: Record<string, string>;
  platform: ListPlatform;
}

const nonEmpty = <T>(a: T[] | undefined): T[] | undefined => (a && a.length ? [...a] : undefined);
const nonEmptyMap = (m: Record<string, string> | undefined): Record<string, string> | undefined =>
  (m && Object.keys(m).length ? goMap(m) : undefined);

/** What `manifest annotate` (and `manifest add`'s platform flags) change on an instance: annotations parsed. */
export type AnnotateOptions = Omit<ManifestAnnotateOptions, 'annotations'> & { annotations?: Record<string, string> };

/** A manifest list or image index: its instances, with the fields of both formats. */
export class ListModel {
  entries: ListEntry[] = [];
  annotations?: Record<string, string>;

  /** Parses a stored or pulled list (either format); an image manifest is refused. */
  static fromBlob(body: string | Buffer): ListModel {
    let doc: any;
    try {
      doc = JSON.parse(body.toString());
    } catch (e) {
      throw new PierError(`unable to load manifest list: ${errorMessage(e)}`);
    }
    const type = typeof doc?.mediaType === 'string' && doc.mediaType ? doc.mediaType : Array.isArray(doc?.manifests) ? MEDIA_TYPES.ociIndex : '';
    if (!LIST_TYPES.includes(type)) throw new PierError(`unable to load manifest list: unsupported format "${type}": manifest type not supported`);
    const oci = type === MEDIA_TYPES.ociIndex;
    const l = new ListModel();
    for (const m of (doc.manifests ?? []) as any[]) {
      const p = m.platform ?? {};
      l.entries.push({
        mediaType: m.mediaType ?? '', size: Number(m.size ?? 0), digest: m.digest ?? '', urls: nonEmpty(m.urls),
        annotations: oci ? nonEmptyMap(m.annotations) : undefined,
        platform: {
          architecture: p.architecture ?? '', os: p.os ?? '', osVersion: p['os.version'] || undefined, osFeatures: nonEmpty(p['os.features']),
          variant: p.variant || undefined, features: oci ? undefined : nonEmpty(p.features),
        },
      });
    }
    if (oci) l.annotations = nonEmptyMap(doc.annotations);
    return l;
  }

  /** Adds an instance (replacing one with the same digest), last. */
  addInstance(e: ListEntry): void {
    this.entries = this.entries.filter((x) => x.digest !== e.digest);
    this.entries.push(e);
  }

  remove(digest: string): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((x) => x.digest !== digest);
    if (this.entries.length === before) throw new PierError(`no instance matching digest "${digest}" found in manifest list: file does not exist`);
  }

  private find(digest: string): ListEntry {
    const e = this.entries.find((x) => x.digest === digest);
    if (!e) throw new PierError(`no Docker manifest matching digest "${digest}" was found in list: no image instance matching the specified digest was found in the list or index`);
    return e;
  }

  /** Sets what `o` gives on one instance, in libimage's order (a missing instance fails on the first). */
  annotate(digest: string, o: AnnotateOptions): void {
    const has = (v: string | string[] | undefined) => v !== undefined && v.length > 0;
    if (![o.os, o.osVersion, o.features, o.osFeatures, o.arch, o.variant].some(has) && !Object.keys(o.annotations ?? {}).length) return;
    const e = this.find(digest);
    if (has(o.os)) e.platform.os = o.os!;
    if (has(o.osVersion)) e.platform.osVersion = o.osVersion;
    if (has(o.features)) e.platform.features = [...o.features!];
    if (has(o.osFeatures)) e.platform.osFeatures = [...o.osFeatures!];
    if (has(o.arch)) e.platform.architecture = o.arch!;
    if (has(o.variant)) e.platform.variant = o.variant;
    if (Object.keys(o.annotations ?? {}).length) e.annotations = { ...o.annotations };
  }

  /** The OCI format when it keeps something the Docker one cannot, or when there are instances. */
  private preferOCI(): boolean {
    if (this.entries.some((e) => e.urls?.length || Object.keys(e.annotations ?? {}).length)) return true;
    if (this.entries.some((e) => e.platform.features?.length)) return false;
    return this.entries.length !== 0;
  }

  /** The list as stored or pushed: in `mediaType`, or the format preferOCI picks. */
  serialize(mediaType?: string): { body: string; mediaType: string } {
    const type = mediaType || (this.preferOCI() ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.dockerList);
    if (type === MEDIA_TYPES.ociIndex) {
      const doc: Record<string, unknown> = {
        schemaVersion: 2, mediaType: type,
        manifests: this.entries.length ? this.entries.map((e) => ({
          mediaType: e.mediaType, digest: e.digest, size: e.size,
          ...(e.urls?.length ? { urls: e.urls } : {}),
          ...(Object.keys(e.annotations ?? {}).length ? { annotations: goMap(e.annotations!) } : {}),
          platform: ociPlatform(e.platform),
        })) : null,
        ...(Object.keys(this.annotations ?? {}).length ? { annotations: goMap(this.annotations!) } : {}),
      };
      return { body: goJSON(doc, { escapeHTML: true }), mediaType: type };
    }
    if (type !== MEDIA_TYPES.dockerList) throw new PierError(`serializing list to type "${type}" not implemented: manifest type not supported`);
    return { body: goJSON(this.docker(false), { escapeHTML: true }), mediaType: type };
  }

  /** The Docker list, with OCI's annotations too for `manifest inspect` (libimage's ManifestListData). */
  docker(withAnnotations: boolean): Record<string, unknown> {
    return {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerList,
      manifests: this.entries.length ? this.entries.map((e) => ({
        mediaType: e.mediaType, size: e.size, digest: e.digest,
        ...(e.urls?.length ? { urls: e.urls } : {}),
        platform: dockerPlatform(e.platform),
        ...(withAnnotations && Object.keys(e.annotations ?? {}).length ? { annotations: goMap(e.annotations!) } : {}),
      })) : null,
      ...(withAnnotations && Object.keys(this.annotations ?? {}).length ? { annotations: goMap(this.annotations!) } : {}),
    };
  }

  /** `manifest inspect`'s text: the Docker list with annotations, indented by 4 spaces. */
  inspectText(): string {
    return goJSON(this.docker(true), { indent: '    ', escapeHTML: true });
  }
}

function ociPlatform(p: ListPlatform): Record<string, unknown> {
  return {
    architecture: p.architecture, os: p.os,
    ...(p.osVersion ? { 'os.version': p.osVersion } : {}),
    ...(p.osFeatures?.length ? { 'os.features': p.osFeatures } : {}),
    ...(p.variant ? { variant: p.variant } : {}),
  };
}

function dockerPlatform(p: ListPlatform): Record<string, unknown> {
  return { ...ociPlatform(p), ...(p.features?.length ? { features: p.features } : {}) };
}

/** The list an image record holds. */
export function loadList(img: ImageRecord): ListModel {
  return ListModel.fromBlob(img.manifest ?? '');
}

/** Stores `list` as the list image `id` (a new one named `names` when `id` is undefined). */
export function saveList(store: Store, id: string | undefined, list: ListModel, instances: Record<string, string>, names: string[] = []): ImageRecord {
  const { body, mediaType } = list.serialize();
  return store.images.putList(id, { manifest: body, mediaType, digest: sha256(body), instances }, names);
}

// -------------------------------------------------------------------------------------------
// Reading images to add from the store or a registry

/** An image (or a list of them) to add: its top manifest and how to read more of it. */
interface Source {
  /** containers-storage:ID or docker://REFERENCE, as the instance map records it. */
  name: string;
  top: { body: Buffer; mediaType: string; digest: string };
  manifest(digest: string): Promise<{ body: Buffer; mediaType: string }>;
  config(manifest: any): Promise<Record<string, any>>;
}

export interface AddOptions extends RegistryOptions {
  all?: boolean;
}

/** A docker:// reference's registry connection: the first of its registries.conf endpoints that answers. */
/** The registry's top manifest for `ref` (through registries.conf's mirrors and blocks) and the client that read it. */
async function openRegistry(cfg: EngineConfig, ref: ImageReference, opts: RegistryOptions & { push?: boolean }):
  Promise<{ client: RegistryClient; ref: ImageReference; top: Manifest }> {
  const conf = loadRegistriesConf({ path: cfg.registriesConf });
  assertNotBlocked(conf, ref);
  let lastErr: unknown;
  for (const ep of findRegistry(conf, ref)) {
    try {
      const client = clientFor(cfg, ep.ref, { ...opts, insecure: ep.insecure });
      const top = await client.getManifest(ep.ref.repository, ep.ref.digest ?? ep.ref.tag ?? 'latest');
      return { client, ref: ep.ref, top };
    } catch (e) {
      lastErr = e;
    }
  }
  throw lastErr;
}

async function registrySource(cfg: EngineConfig, ref: ImageReference, opts: RegistryOptions): Promise<Source> {
  const { client, ref: at, top } = await openRegistry(cfg, ref, opts);
  const { readAll } = require('./pull') as typeof import('./pull');
  return {
    name: `docker://${ref.familiar}`,
    top,
    async manifest(digest) {
      const m = await client.getManifest(at.repository, digest);
      return { body: m.body, mediaType: m.mediaType };
    },
    async config(m) {
      return JSON.parse((await readAll(await client.getBlob(at.repository, m.config.digest, m.config.size))).toString('utf8'));
    },
  };
}

function storageSource(store: Store, img: ImageRecord): Source {
  let body = img.manifest;
  let mediaType = img.manifestMediaType ?? '';
  if (!body) {
    // An image without a stored manifest: the OCI manifest of its config and uncompressed layers.
    const chain = store.layers.chain(img.topLayer);
    body = JSON.stringify({
      schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${img.id}`, size: Buffer.byteLength(img.configRaw) },
      layers: chain.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.diffId, size: l.uncompressedSize })),
    });
    mediaType = MEDIA_TYPES.ociManifest;
  }
  const buf = Buffer.from(body, 'utf8');
  return {
    name: `containers-storage:${img.id}`,
    top: { body: buf, mediaType, digest: sha256(buf) },
    async manifest() { return { body: buf, mediaType }; },
    async config() { return img.config; },
  };
}

/**
 * Opens what `manifest add` names: `containers-storage:NAME` a local image (or list), anything
 * else a registry reference (`docker://` is the default transport, as in podman).
 */
async function openSource(store: Store, cfg: EngineConfig, spec: string, opts: RegistryOptions, lookup: (n: string) => ImageRecord | undefined): Promise<Source> {
  if (spec.startsWith('containers-storage:')) {
    const name = spec.slice('containers-storage:'.length).replace(/^\[[^\]]*\]/, '');
    const img = lookup(name);
    if (!img) {
      throw new PierError(`setting up to read manifest and configuration from "${spec}": reference "${name}" does not resolve to an image ID: identifier is not an image`);
    }
    return storageSource(store, img);
  }
  const m = /^([a-z-]+):/.exec(spec);
  if (m && !spec.startsWith('docker://') && ['oci', 'oci-archive', 'docker-archive', 'dir', 'docker-daemon'].includes(m[1])) {
    throw new PierError(`setting up to read manifest and configuration from "${spec}": the ${m[1]} transport is not supported by pier's manifest lists (use docker:// or containers-storage:)`);
  }
  const ref = parseReference(spec.replace(/^docker:\/\//, '')).withDefaultTag();
  try {
    return await registrySource(cfg, ref, opts);
  } catch (e) {
    throw new PierError(`setting up to read manifest and configuration from "docker://${ref.familiar}": ${errorMessage(e)}`, (e as PierError)?.exitCode);
  }
}

/**
 * Adds the image `spec` names to `list` (every instance of a list with `all`, else the one for
 * this host): its digest, size, type and platform (from the list, else the image's config).
 * Returns the digest added (a list's first), and records where each instance was found.
 */
export async function addToList(store: Store, cfg: EngineConfig, list: ListModel, instances: Record<string, string>, spec: string, opts: AddOptions,
  lookup: (n: string) => ImageRecord | undefined): Promise<string> {
  const src = await openSource(store, cfg, spec, opts, lookup);
  const where = src.name;
  type Info = { digest?: string; size?: number; platform: ListPlatform };
  const infos: Info[] = [];
  if (LIST_TYPES.includes(src.top.mediaType)) {
    const inner = ListModel.fromBlob(src.top.body);
    if (opts.all) {
      for (const e of inner.entries) infos.push({ digest: e.digest, size: e.size, platform: { ...e.platform } });
    } else {
      const hit = selectPlatform(JSON.parse(src.top.body.toString('utf8')), {});
      if (!hit) throw new PierError(`selecting image from manifest list in "${where}": no image found in manifest list for ${wantedPlatformText({})}`);
      const e = inner.entries.find((x) => x.digest === hit.digest);
      infos.push({ digest: hit.digest, size: e?.size, platform: e ? { ...e.platform } : { architecture: '', os: '' } });
    }
  } else {
    infos.push({ platform: { architecture: '', os: '' } });
  }
  let added = '';
  for (const info of infos) {
    const m = info.digest ? await src.manifest(info.digest) : { body: src.top.body, mediaType: src.top.mediaType };
    if (!info.platform.os || !info.platform.architecture) {
      let config: Record<string, any>;
      try {
        config = await src.config(JSON.parse(m.body.toString('utf8')));
      } catch (e) {
        throw new PierError(`reading configuration blob from "${where}": ${errorMessage(e)}`);
      }
      if (!info.platform.os) {
        info.platform.os = config.os ?? '';
        info.platform.osVersion = config['os.version'] || undefined;
        info.platform.osFeatures = nonEmpty(config['os.features']);
      }
      if (!info.platform.architecture) {
        info.platform.architecture = config.architecture ?? '';
        info.platform.variant = config.variant || undefined;
      }
    }
    const digest = info.digest ?? sha256(m.body);
    const size = info.digest ? info.size ?? m.body.length : m.body.length;
    list.addInstance({ mediaType: m.mediaType, size, digest, platform: info.platform });
    if (!(digest in instances)) instances[digest] = where;
    if (!added) added = digest;
  }
  return added;
}

// -------------------------------------------------------------------------------------------
// manifest inspect of a registry reference

/**
 * `manifest inspect` of a name that is no local list: the registry's manifest, a list shown as
 * a Docker list, a Docker image manifest as it is (with podman's warning), an OCI one refused.
 */
export async function inspectRemote(cfg: EngineConfig, name: string, opts: RegistryOptions, warn: (s: string) => void): Promise<string> {
  const conf = loadRegistriesConf({ path: cfg.registriesConf });
  const input = name.replace(/^docker:\/\//, '');
  const candidates = isShortName(input) ? resolveShortName(conf, input) : [parseReference(input).withDefaultTag()];
  let latestErr: string | undefined;
  let found: Manifest | undefined;
  for (const ref of candidates) {
    try {
      found = (await openRegistry(cfg, ref, opts)).top;
      break;
    } catch (e) {
      const err = `reading image "docker://${ref.toString()}": ${errorMessage(e)}`;
      latestErr = latestErr === undefined ? err : `tried ${err}\n: ${latestErr}`;
    }
  }
  if (!found) throw new PierError(latestErr ?? `${name}: image not known`);
  const text = found.body.toString('utf8');
  if (found.mediaType === MEDIA_TYPES.dockerManifest) {
    warn(`The manifest type ${found.mediaType} is not a manifest list but a single image.`);
    const m = JSON.parse(text);
    const desc = (d: any) => ({ mediaType: d.mediaType, size: d.size, digest: d.digest, ...(d.urls?.length ? { urls: d.urls } : {}) });
    return goJSON({ schemaVersion: m.schemaVersion, mediaType: m.mediaType, config: desc(m.config ?? {}), layers: (m.layers ?? []).map(desc) }, { indent: '    ', escapeHTML: true });
  }
  if (!LIST_TYPES.includes(found.mediaType)) {
    throw new PierError(`parsing manifest blob ${JSON.stringify(text)} as a ${JSON.stringify(found.mediaType)}: Treating single images as manifest lists is not implemented`);
  }
  return goJSON(ListModel.fromBlob(found.body).docker(false), { indent: '    ', escapeHTML: true });
}

// -------------------------------------------------------------------------------------------
// auto-update's check

/**
 * The digest of the image a pull of `name` would get now (libimage's HasDifferentDigest): the
 * registry's manifest, or in a list the instance for `platform` (the local image's).
 */
export async function registryImageDigest(cfg: EngineConfig, name: string, platform: Platform, opts: RegistryOptions): Promise<string> {
  const { hostPlatform } = require('./registry/platform') as typeof import('./registry/platform');
  const ref = parseReference(name.replace(/^docker:\/\//, '')).withDefaultTag();
  const { top } = await openRegistry(cfg, ref, opts);
  if (!LIST_TYPES.includes(top.mediaType)) return top.digest;
  const want = { ...hostPlatform(), ...Object.fromEntries(Object.entries(platform).filter(([, v]) => v)) };
  const child = selectPlatform(JSON.parse(top.body.toString('utf8')), want);
  if (!child) throw new PierError(`no image found in manifest list for architecture ${want.arch}, variant "${want.variant ?? ''}", OS ${want.os}`);
  return child.digest;
}

// -------------------------------------------------------------------------------------------
// manifest push

export interface ListPushOptions extends RegistryOptions, Pick<PushOptions, 'removeSignatures' | 'signBy' | 'signBySigstorePrivateKey' | 'signPassphrase'> {
  /** Push the instances too (podman's default), else only the list. */
  all?: boolean;
  format?: 'oci' | 'v2s2';
  digestFile?: string;
  progress?: ProgressSink;
}

const silent: ProgressSink = { line: () => undefined };

/**
 * Pushes a list to a registry: each instance (with `all`) from the local image its digest names
 * or, failing that, from the registry it was added from, by digest into the destination
 * repository; then the list under the destination's tag. An instance whose manifest changed on
 * the way (another format) is listed by its new digest. Returns the list's digest.
 */
export async function pushList(store: Store, cfg: EngineConfig, listImg: ImageRecord, destination: string, opts: ListPushOptions): Promise<string> {
  const progress = opts.progress ?? silent;
  const dest = destination.replace(/^docker:\/\//, '');
  if (/^(docker-archive|oci-archive|oci|dir|containers-storage):/.test(dest)) {
    throw new PierError(`${destination}: pier pushes manifest lists to registries only (docker://)`);
  }
  const ref = parseReference(dest).withDefaultTag();
  const conf = loadRegistriesConf({ path: cfg.registriesConf });
  assertNotBlocked(conf, ref);
  const client = clientFor(cfg, ref, { ...opts, insecure: isInsecure(conf, ref.registry), push: true });
  const where = `docker://${refName(ref, true)}`;
  const list = loadList(listImg);
  const listType = opts.format === 'oci' ? MEDIA_TYPES.ociIndex : opts.format === 'v2s2' ? MEDIA_TYPES.dockerList : listImg.manifestMediaType ?? undefined;
  const chosen = opts.all ? list.entries : [];
  if (!opts.removeSignatures) progress.line('Getting image list signatures');
  progress.line(`Copying ${chosen.length} of ${list.entries.length} images in list`);
  const { pushImage, signatures } = require('./push') as typeof import('./push');
  const { loadRegistriesD } = require('./signature/registries-d') as typeof import('./signature/registries-d');
  const sigConf = loadRegistriesD();
  try {
    for (const [i, e] of chosen.entries()) {
      progress.line(`Copying image ${e.digest} (${i + 1}/${chosen.length})`);
      const local = store.images.list().find((x) => !x.listInstances && (x.digests.includes(e.digest) || x.manifestDigest === e.digest));
      let pushed: { digest: string; mediaType: string; size: number };
      if (local) {
        let done: typeof pushed | undefined;
        await pushImage(store, cfg, local, local.id, `${ref.registry}/${ref.repository}`, { ...opts, digestFile: undefined, progress },
          { byDigest: true, identity: ref, result: (r) => { done = r; } });
        pushed = done!;
      } else {
        const from = listImg.listInstances?.[e.digest];
        if (!from?.startsWith('docker://')) {
          throw new NotFoundError(`reading manifest ${e.digest} of list ${listImg.id}: instance ${e.digest} is no local image: image not known`);
        }
        pushed = await copyFromRegistry(cfg, parseReference(from.slice('docker://'.length)), e.digest, client, ref, opts, progress, sigConf);
      }
      if (pushed.digest !== e.digest) {
        e.digest = pushed.digest;
        e.size = pushed.size;
        e.mediaType = pushed.mediaType;
      }
    }
    progress.line('Writing manifest list to image destination');
    const { body, mediaType } = list.serialize(listType);
    const digest = await client.putManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest', mediaType, Buffer.from(body));
    // The list is signed as the destination names it (the list itself has no signatures to carry).
    const made = await signatures(Buffer.from(body), ref, opts, progress);
    progress.line('Storing list signatures');
    await putSigned(sigConf, client, ref, digest, made);
    if (opts.digestFile) fs.writeFileSync(opts.digestFile, digest);
    return digest;
  } catch (e) {
    const msg = errorMessage(e);
    throw new PierError(msg.includes(where) || msg.startsWith('reading manifest') ? msg : `writing to ${where}: ${msg}`, (e as PierError)?.exitCode);
  }
}

/** Writes signatures at a registry destination (pushes' "writing signatures:" errors). */
async function putSigned(conf: RegistriesD, client: RegistryClient, ref: ImageReference, digest: string, sigs: Signature[]): Promise<void> {
  if (!sigs.length) return;
  const { putRegistrySignatures } = require('./signature/stored') as typeof import('./signature/stored');
  try {
    await putRegistrySignatures(conf, client, ref, digest, sigs);
  } catch (e) {
    throw new PierError(`writing signatures: ${errorMessage(e)}`);
  }
}

/**
 * Copies one image by digest from the registry it was added from into the destination
 * repository, with the signatures the source has for it (unless --remove-signatures) and
 * any the push makes.
 */
async function copyFromRegistry(cfg: EngineConfig, from: ImageReference, digest: string, dest: RegistryClient, to: ImageReference,
  opts: ListPushOptions, progress: ProgressSink, conf: RegistriesD): Promise<{ digest: string; mediaType: string; size: number }> {
  const srcRef = new ImageReference(from.registry, from.repository, undefined, digest);
  const src = await openRegistry(cfg, srcRef, opts);
  const m = JSON.parse(src.top.body.toString('utf8'));
  let carried: Signature[] = [];
  if (!opts.removeSignatures) {
    progress.line('Getting image source signatures');
    const { registrySignatures } = require('./signature/stored') as typeof import('./signature/stored');
    try {
      carried = await registrySignatures(conf, src.client, src.ref, srcRef, src.top.digest, opts.tlsVerify !== false);
    } catch (e) {
      throw new PierError(`reading signatures: ${errorMessage(e)}`);
    }
    if (carried.length) progress.line('Checking if image destination supports signatures');
  }
  const blobs: { digest: string; size: number; config?: boolean }[] = [...(m.layers ?? []), { ...m.config, config: true }];
  const sameRegistry = src.ref.registry === to.registry;
  for (const b of blobs) {
    if (!b.config) progress.line(`Copying blob ${b.digest}`);
    else progress.line(`Copying config ${b.digest}`);
    if ((await dest.blobExists(to.repository, b.digest)) !== null) continue;
    if (sameRegistry && (await dest.mountBlob(to.repository, b.digest, src.ref.repository).catch(() => false))) continue;
    // Through a private temporary file: an upload may be retried from the start.
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pier-blob-'));
    try {
      const file = path.join(dir, 'blob');
      const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
      await pipeline(await src.client.getBlob(src.ref.repository, b.digest, b.size), fs.createWriteStream(file, { mode: 0o600 }));
      await dest.uploadBlob(to.repository, b.digest, b.size, (): Readable => fs.createReadStream(file));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  progress.line('Writing manifest to image destination');
  await dest.putManifest(to.repository, src.top.digest, src.top.mediaType, src.top.body);
  const { signatures } = require('./push') as typeof import('./push');
  const made = await signatures(src.top.body, to, opts, progress);
  progress.line('Storing signatures');
  await putSigned(conf, dest, to, src.top.digest, [...carried, ...made]);
  return { digest: src.top.digest, mediaType: src.top.mediaType, size: src.top.body.length };
}

/** Parses `--annotation KEY=VALUE` flags as podman does. */
export function parseAnnotations(specs: string[] | undefined): Record<string, string> | undefined {
  if (!specs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const s of specs) {
    const i = s.indexOf('=');
    if (i < 0) throw new PierError(`no value given for annotation "${s}"`);
    out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}
