// The in-process image engine: local image management over the store, and pull/push,
// archives and login through src/image.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineConfig, volumePluginSettings } from '../../config/config';
import { Store } from '../../storage/store';
import { ImageRecord, manifestAnnotations } from '../../storage/images';
import type {
  ImageEngine, ImageSummary, ImageListOptions, PullOptions, PushOptions, RemoveReport, HistoryEntry, ImageMountReport, SaveOptions, ImportOptions, SearchResult,
  ManifestAddOptions, ManifestAnnotateOptions, ManifestPushOptions, Platform,
} from '../images';
import { IMAGE_IN_USE, removeExitCode } from '../images';
import { lookupImage, lookupInstance, matchesGivenName, mustLookup, normalizeLocalName } from '../../image/lookup';
import { isManifestList } from '../../storage/images';

/** The manifest-list module, loaded when a list is used (not by every container command). */
function lists(): typeof import('../../image/manifest-list') {
  return require('../../image/manifest-list') as typeof import('../../image/manifest-list');
}
import { NotFoundError, PierError, ConflictError, UsageError, errorMessage, readFileErrorText } from '../../util/errors';
import { compileImageFilters } from '../../image/filters';
import { goMap, goMapOrNull } from '../../util/gomap';
import { goTimeText } from '../../util/nanotime';

/** Go's omitempty: nothing, "", false, 0, and empty slices and maps are left out. */
function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === false || v === 0) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v as object).length === 0;
}

/** The fields of `src` in the order given, empty ones left out, maps made Go maps (sorted keys). */
function omitEmpty(src: Record<string, any>, fields: string[], maps: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (!isEmpty(src[f])) out[f] = maps.includes(f) ? goMap(src[f]) : src[f];
  return out;
}

/**
 * image inspect's Config as podman prints it: the OCI ImageConfig struct (libimage converts a
 * Docker config to it), its fields in order and omitempty; Docker-only fields are not in it.
 */
function ociImageConfig(c: Record<string, any> | undefined): Record<string, unknown> {
  return omitEmpty(c ?? {}, ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'Labels', 'StopSignal'], ['ExposedPorts', 'Volumes', 'Labels']);
}

/** A history entry as the OCI History struct: created (re-marshalled), created_by, author, comment, empty_layer. */
function ociHistory(h: Record<string, any>): Record<string, unknown> {
  return omitEmpty({ ...h, created: typeof h.created === 'string' ? goTimeText(h.created) : h.created }, ['created', 'created_by', 'author', 'comment', 'empty_layer']);
}

/** A Docker image's HEALTHCHECK as podman's Healthcheck (Schema2HealthConfig: Test, StartPeriod, Interval, Timeout, Retries). */
function schema2Healthcheck(h: Record<string, any>): Record<string, unknown> {
  return omitEmpty(h, ['Test', 'StartPeriod', 'Interval', 'Timeout', 'Retries']);
}

/** An image's annotations: its manifest's (image inspect's Annotations; a new container takes them). */
export function imageAnnotations(img: { manifest?: string | null } | null | undefined): Record<string, string> {
  return manifestAnnotations(img);
}

type HistoryEntry_ = { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean };

/** A history entry's created time as an instant with nanoseconds ('' when there is none). */
function historyInstant(h: HistoryEntry_): string {
  if (!h.created) return '';
  const ms = Date.parse(h.created);
  const frac = /\.(\d+)/.exec(h.created)?.[1] ?? '';
  return Number.isNaN(ms) ? h.created : `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0').slice(0, 9)}`;
}

/** libimage's areParentAndChild: the child has the parent's layers (and maybe more) and its history plus one entry. */
function isParentAndChild(parent: ImageRecord['config'], child: ImageRecord['config']): boolean {
  const pd = parent.rootfs?.diff_ids ?? [];
  const cd = child.rootfs?.diff_ids ?? [];
  if (pd.length > cd.length || pd.some((d, i) => d !== cd[i])) return false;
  const ph: HistoryEntry_[] = parent.history ?? [];
  const ch: HistoryEntry_[] = child.history ?? [];
  if (ph.length + 1 !== ch.length) return false;
  return ph.every((a, i) => {
    const b = ch[i];
    return historyInstant(a) === historyInstant(b) && (a.created_by ?? '') === (b.created_by ?? '') && (a.author ?? '') === (b.author ?? '') &&
      (a.comment ?? '') === (b.comment ?? '') && !!a.empty_layer === !!b.empty_layer;
  });
}

export function splitName(name: string): { repo: string; tag: string } {
  const at = name.indexOf('@');
  if (at >= 0) return { repo: name.slice(0, at), tag: '<none>' };
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repo: name.slice(0, colon), tag: name.slice(colon + 1) };
  return { repo: name, tag: '<none>' };
}

function createdSeconds(img: ImageRecord): number {
  const c = img.config.created ? Date.parse(img.config.created) : NaN;
  return Math.floor((isNaN(c) ? img.created : c) / 1000);
}

export class LocalImageEngine implements ImageEngine {
  private _store?: Store;

  constructor(readonly cfg: EngineConfig) {}

  get store(): Store {
    return (this._store ??= new Store({ graphRoot: this.cfg.graphRoot, runRoot: this.cfg.runRoot, driver: this.cfg.storageDriver, volumePath: this.cfg.volumePath, ...volumePluginSettings(this.cfg) }));
  }

  /** Unqualified-search registries, for local short-name lookups. */
  searchRegistries(): string[] {
    const { loadRegistriesConf } = require('../../image/config/registries') as typeof import('../../image/config/registries');
    try {
      return loadRegistriesConf({ path: this.cfg.registriesConf }).unqualifiedSearchRegistries ?? [];
    } catch {
      return [];
    }
  }

  /** Record an image event in the event log (`pier events`). */
  private event(status: string, id: string, name: string): void {
    const { emitEvent, eventLogOptions } = require('../../engine/events') as typeof import('../../engine/events');
    emitEvent(this.store.runRoot, { Type: 'image', Status: status, ID: id, Name: name }, eventLogOptions(this.cfg.engine));
  }

  /**
   * The image a name or id stands for: a manifest list stands for its instance for this host
   * among the local images (libimage's lookup), which fails when there is none.
   */
  lookup(nameOrId: string, platform?: Platform): ImageRecord {
    const img = this.lookupRecord(nameOrId);
    return isManifestList(img) ? lookupInstance(this.store, img, platform) : img;
  }

  /** The image record a name or id names, a manifest list itself. */
  lookupRecord(nameOrId: string): ImageRecord {
    return mustLookup(this.store, nameOrId, () => this.searchRegistries());
  }

  /**
   * Each image's parent, as libimage's layer tree finds it: among the images on the same top
   * layer and on its parent layer (images without layers: the other such images), the first
   * whose layers the image starts with and whose history is the image's but its last entry.
   */
  private parentMap(images: ImageRecord[]): Map<string, string> {
    const onLayer = new Map<string, ImageRecord[]>();
    for (const i of images) {
      const k = i.topLayer ?? '';
      (onLayer.get(k) ?? onLayer.set(k, []).get(k)!).push(i);
    }
    const parentOf = new Map<string, string>();
    for (const child of images) {
      let candidates = onLayer.get(child.topLayer ?? '') ?? [];
      const below = child.topLayer ? this.store.layers.get(child.topLayer)?.parent : undefined;
      if (below) candidates = candidates.concat(onLayer.get(below) ?? []);
      const parent = candidates.find((c) => c.id !== child.id && isParentAndChild(c.config, child.config));
      if (parent) parentOf.set(child.id, parent.id);
    }
    return parentOf;
  }

  summary(img: ImageRecord, parentOf: Map<string, string>, children: Set<string>): ImageSummary {
    const created = createdSeconds(img);
    const tags = img.names.filter((n) => !n.includes('@'));
    return {
      Id: img.id,
      ParentId: parentOf.get(img.id) ?? '',
      RepoTags: tags,
      RepoDigests: img.repoDigests,
      Size: img.size,
      SharedSize: 0,
      VirtualSize: img.size,
      Labels: goMapOrNull(img.config.config?.Labels),
      Containers: 0,
      Names: img.names,
      Digest: img.manifestDigest ?? img.digests[0] ?? '',
      History: img.namesHistory,
      Created: created,
      CreatedAt: new Date(created * 1000).toISOString(),
      Dangling: tags.length === 0 && !children.has(img.id),
      ReadOnly: false,
      Arch: img.config.architecture,
      Os: img.config.os,
    };
  }

  async list(opts: ImageListOptions): Promise<ImageSummary[]> {
    const images = this.store.images.list();
    const parentOf = this.parentMap(images);
    const children = new Set(parentOf.values());
    let rows = images.map((i) => this.summary(i, parentOf, children));
    const intermediate = (s: ImageSummary) => s.RepoTags.length === 0 && children.has(s.Id);
    if (!opts.all) rows = rows.filter((r) => !intermediate(r));
    if (opts.filters?.length) {
      const lookup = (n: string) => { const i = lookupImage(this.store, n, () => this.searchRegistries()); return i ? this.summary(i, parentOf, children) : undefined; };
      const lists = new Set(images.filter((i) => isManifestList(i)).map((i) => i.id));
      rows = rows.filter(compileImageFilters(opts.filters, lookup, intermediate, (s) => lists.has(s.Id)));
    }
    return rows;
  }

  async inspect(nameOrId: string): Promise<Record<string, unknown>> {
    const img = this.lookup(nameOrId);
    const images = this.store.images.list();
    const parentOf = this.parentMap(images);
    const cfg = img.config;
    const layers = this.store.layers.chain(img.topLayer);
    const created = goTimeText(cfg.created ?? new Date(img.created).toISOString());
    const driverData: Record<string, string> = {};
    if (this.store.driver === 'overlay' && layers.length) {
      const top = layers[layers.length - 1];
      driverData.UpperDir = this.store.layers.diffDir(top.id);
      driverData.WorkDir = this.store.layers.diffDir(top.id).replace(/diff$/, 'work');
      if (layers.length > 1) driverData.LowerDir = layers.slice(0, -1).reverse().map((l) => this.store.layers.diffDir(l.id)).join(':');
    } else if (layers.length) {
      driverData.Dir = this.store.layers.diffDir(layers[layers.length - 1].id);
    }
    return {
      Id: img.id,
      Digest: img.manifestDigest ?? img.digests[0] ?? '',
      RepoTags: img.names.filter((n) => !n.includes('@')),
      RepoDigests: img.repoDigests,
      Parent: parentOf.get(img.id) ?? '',
      Comment: cfg.comment ?? '',
      Created: created,
      Config: ociImageConfig(cfg.config),
      Version: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Architecture: cfg.architecture ?? '',
      Os: cfg.os ?? '',
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Size: img.size,
      VirtualSize: img.size,
      GraphDriver: { Name: this.store.driver, Data: goMap(driverData) },
      RootFS: { Type: 'layers', Layers: layers.map((l) => l.diffId) },
      Labels: goMapOrNull(cfg.config?.Labels),
      Annotations: goMap(imageAnnotations(img)),
      ManifestType: img.manifestMediaType ?? 'application/vnd.oci.image.manifest.v1+json',
      User: cfg.config?.User ?? '',
      History: (cfg.history ?? []).map(ociHistory),
      NamesHistory: img.namesHistory,
      ...(cfg.config?.Healthcheck ? { Healthcheck: schema2Healthcheck(cfg.config.Healthcheck) } : {}),
    };
  }

  async exists(nameOrId: string): Promise<boolean> {
    return !!lookupImage(this.store, nameOrId, () => this.searchRegistries());
  }

  async tag(nameOrId: string, newNames: string[]): Promise<void> {
    // A manifest list is tagged itself (podman looks it up with ManifestList set).
    const img = this.lookupRecord(nameOrId);
    const names = newNames.map((n) => normalizeLocalName(n));
    // The tag event names the image as given (libimage), not normalized.
    names.forEach((n, i) => { this.store.images.addName(img.id, n); this.event('tag', img.id, newNames[i]); });
  }

  async untag(nameOrId: string, names: string[]): Promise<void> {
    const img = this.lookup(nameOrId);
    if (names.length === 0) {
      this.store.images.removeAllNames(img.id);
      for (const n of img.names.filter((x) => !x.includes('@'))) this.event('untag', img.id, n);
      return;
    }
    for (const n of names) {
      const full = normalizeLocalName(n);
      const target = lookupImage(this.store, n, () => this.searchRegistries());
      const name = target?.id === img.id ? img.names.find((x) => x === full) ?? img.names.find((x) => matchesGivenName(x, n)) : undefined;
      if (!name || !this.store.images.removeName(img.id, name)) throw new NotFoundError(`${n}: tag not known`);
      this.event('untag', img.id, name);
    }
  }

  /** Layers used by containers: filled in by the container engine. */
  layerInUse: (layerId: string) => boolean = () => false;
  /** Containers using an image: filled in by the container engine. */
  containersUsing: (imageId: string) => string[] = () => [];

  /** Whether a container (by id) is a build's, external one; filled in by the container engine. */
  isExternalContainer: (id: string) => boolean = () => false;

  /** Removes a build's (external) container (`image prune --external`); filled in by the container engine. */
  removeExternalContainer: (id: string) => Promise<void> = async () => undefined;
  /**
   * `rmi --force`: removes the containers using an image (a pod's infra container takes its pod
   * along), as libpod's callback for libimage does. Filled in by the container engine.
   */
  removeContainersUsing: (imageId: string) => Promise<void> = async () => undefined;

  async remove(namesOrIds: string[], opts: { force?: boolean; all?: boolean; ignore?: boolean }): Promise<RemoveReport> {
    const report: RemoveReport = { untagged: [], deleted: [], errors: [], exitCode: 0 };
    const targets: { input: string; img: ImageRecord }[] = [];
    if (opts.all) {
      // Oldest first: libimage walks the store in the order images were created.
      for (const img of this.store.images.list().reverse()) targets.push({ input: img.id, img });
    } else {
      for (const input of namesOrIds) {
        let img = lookupImage(this.store, input, () => this.searchRegistries());
        if (!img) {
          if (opts.ignore) continue;
          report.errors.push(`${input}: image not known`);
          continue;
        }
        // A manifest list's name removes its local instance for this host, else the list (libimage).
        if (isManifestList(img)) {
          try { img = lookupInstance(this.store, img); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
        }
        targets.push({ input, img });
      }
    }
    const removed = new Set<string>();
    for (const { input, img } of targets) {
      if (removed.has(img.id)) continue;
      const current = this.store.images.get(img.id);
      if (!current) continue;
      await this.removeOne(current, opts.all ? '' : input, !!opts.force, report, removed);
    }
    report.exitCode = removeExitCode(report.errors);
    return report;
  }

  /**
   * Removes one image as podman's libimage does. By a name of an image with several names, only
   * that name goes (untagged). Otherwise the image record goes and is reported deleted only when
   * no child image still holds its layers; an image with children is not refused (docker does).
   * Then a parent left without names and children goes too. `input` is '' for `--all`.
   */
  private async removeOne(img: ImageRecord, input: string, force: boolean, report: RemoveReport, removed: Set<string>): Promise<void> {
    const tags = img.names.filter((n) => !n.includes('@'));
    // The name the input matched (none by ID or digest); the remove event names the image by it, else as given.
    const byName = input && !img.id.startsWith(input.replace(/^sha256:/, ''));
    const full = byName ? normalizeLocalName(input) : undefined;
    const matched = full ? img.names.find((n) => n === full || matchesGivenName(n, input)) : undefined;
    const asked = matched ?? input;
    if (input && tags.length > 1) {
      const byId = img.id.startsWith(input);
      const byDigest = input.startsWith('sha256:');
      if (!force && (byId || byDigest)) {
        report.errors.push(`unable to delete image "${img.id}" by ${byId ? 'ID' : 'digest'} with more than one tag ([${tags.join(' ')}]): please force removal`);
        return;
      }
      if (!byId && !byDigest && matched) {
        this.store.images.removeName(img.id, matched);
        report.untagged.push(matched);
        // libimage writes a remove event for every image it was asked to remove, untagged only or not.
        this.event('untag', img.id, matched);
        this.event('remove', img.id, matched);
        return;
      }
    }
    const users = this.containersUsing(img.id);
    if (users.length && !force) {
      report.errors.push(`image used by ${users[0]}: ${IMAGE_IN_USE}`);
      return;
    }
    if (users.length) {
      try {
        await this.removeContainersUsing(img.id);
      } catch (e) {
        report.errors.push(errorMessage(e));
        return;
      }
    }
    const parentOf = this.parentMap(this.store.images.list());
    const hasChildren = [...parentOf.values()].includes(img.id);
    const parent = parentOf.get(img.id);
    this.store.deleteImage(img.id, this.layerInUse);
    removed.add(img.id);
    report.untagged.push(...tags);
    if (!hasChildren) report.deleted.push(img.id);
    for (const t of tags) this.event('untag', img.id, t);
    this.event('remove', img.id, asked);
    const p = parent ? this.store.images.get(parent) : undefined;
    if (p && p.names.length === 0 && ![...this.parentMap(this.store.images.list()).values()].includes(p.id)) {
      await this.removeOne(p, '', force, report, removed);
    }
  }

  async mount(namesOrIds: string[], opts: { all?: boolean }): Promise<ImageMountReport[]> {
    const m = require('../../storage/image-mount') as typeof import('../../storage/image-mount');
    // Every name is resolved before anything is mounted; without names, oldest image first.
    const images = namesOrIds.length ? namesOrIds.map((n) => this.lookup(n)) : this.store.images.list().reverse();
    const listOnly = !opts.all && namesOrIds.length === 0;
    const out: ImageMountReport[] = [];
    for (const img of images) {
      let mountPoint: string;
      if (listOnly) {
        mountPoint = m.mountedImagePath(this.store, img.topLayer);
        if (!mountPoint) continue;
      } else {
        mountPoint = m.mountImageLayer(this.store, img.topLayer);
        this.event('mount', img.id, '');
      }
      out.push({
        id: img.id, digest: img.manifestDigest ?? img.digests[0] ?? '',
        repositories: img.names.filter((n) => !n.includes('@')), path: mountPoint,
      });
    }
    return out;
  }

  async unmount(namesOrIds: string[], opts: { all?: boolean; force?: boolean }): Promise<string[]> {
    const m = require('../../storage/image-mount') as typeof import('../../storage/image-mount');
    const images = namesOrIds.length ? namesOrIds.map((n) => this.lookup(n)) : this.store.images.list().reverse();
    const out: string[] = [];
    for (const img of images) {
      if (!img.topLayer || !m.mountedImagePath(this.store, img.topLayer)) continue; // not mounted: skipped
      m.unmountImageLayer(this.store, img.topLayer, !!opts.force);
      this.event('unmount', img.id, '');
      out.push(img.id);
    }
    return out;
  }

  async history(nameOrId: string): Promise<HistoryEntry[]> {
    const img = this.lookup(nameOrId);
    const layers = this.store.layers.chain(img.topLayer);
    const hist = img.config.history ?? [];
    const out: HistoryEntry[] = [];
    let li = 0;
    // As podman: one row per history entry, none for an image without history (build --omit-history).
    const entries = hist;
    entries.forEach((h: any, i: number) => {
      const layer = h.empty_layer ? undefined : layers[li++];
      out.push({
        id: i === entries.length - 1 ? img.id : '<missing>',
        created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        createdBy: h.created_by ?? '',
        size: layer ? layer.uncompressedSize : 0,
        comment: h.comment ?? '',
        tags: i === entries.length - 1 ? img.names.filter((n) => !n.includes('@')) : [],
      });
    });
    return out.reverse();
  }

  async prune(opts: { all?: boolean; filters?: string[]; external?: boolean }): Promise<{ id: string; size: number }[]> {
    const out: { id: string; size: number }[] = [];
    // An image a container uses stays; with --external, unless they all are a build's (podman's containers=external).
    const unused = (id: string) => {
      const users = this.containersUsing(id);
      return !users.length || (!!opts.external && users.every((c) => this.isExternalContainer(c)));
    };
    // Repeat: removing an image can make its parent dangling.
    for (;;) {
      let rows = await this.list({ all: true, filters: opts.filters });
      rows = rows.filter((r) => (opts.all ? true : r.Dangling) && unused(r.Id));
      const parents = new Set(rows.map((r) => r.ParentId).filter(Boolean));
      const removable = rows.filter((r) => !parents.has(r.Id) || opts.all);
      if (!removable.length) break;
      let progressed = false;
      for (const r of removable) {
        if (!this.store.images.get(r.Id)) continue;
        for (const c of this.containersUsing(r.Id)) await this.removeExternalContainer(c);
        this.store.deleteImage(r.Id, this.layerInUse);
        out.push({ id: r.Id, size: r.Size });
        progressed = true;
      }
      if (!progressed) break;
    }
    return out;
  }

  async tree(nameOrId: string, whatrequires = false): Promise<string> {
    const { imageTree } = require('../../image/tree') as typeof import('../../image/tree');
    const img = this.lookup(nameOrId);
    return imageTree(this.store, img, whatrequires);
  }

  async pull(ref: string, opts: PullOptions): Promise<string[]> {
    const { pullImage } = require('../../image/pull') as typeof import('../../image/pull');
    const ids = await pullImage(this.store, this.cfg, ref, opts);
    // libimage writes one pull event, without an ID, named as the image was asked for.
    this.event('pull', '', ref);
    return ids;
  }

  async push(source: string, destination: string | undefined, opts: PushOptions): Promise<string> {
    const { pushImage } = require('../../image/push') as typeof import('../../image/push');
    let img: ImageRecord;
    try {
      img = this.lookup(source);
    } catch (e) {
      // A list without a local instance for this host is pushed as a list, with its instances (podman).
      const rec = e instanceof NotFoundError ? lookupImage(this.store, source, () => this.searchRegistries()) : undefined;
      if (!isManifestList(rec)) throw e;
      return this.manifestPush(source, destination ?? source, { ...opts, all: true });
    }
    const digest = await pushImage(this.store, this.cfg, img, source, destination, opts);
    this.event('push', img.id, destination ?? source);
    return digest;
  }

  async sign(names: string[], opts: import('../../image/signature/sign').SignOptions): Promise<void> {
    const { signImages } = require('../../image/signature/sign') as typeof import('../../image/signature/sign');
    await signImages(this.cfg, names, opts);
  }

  async trustShow(opts: { policyPath?: string; registriesDir?: string; raw?: boolean }) {
    const trust = require('../../image/config/trust') as typeof import('../../image/config/trust');
    const { registriesDirPath } = require('../../image/signature/registries-d') as typeof import('../../image/signature/registries-d');
    const file = trust.trustPolicyPath(opts.policyPath);
    let raw: string;
    try {
      raw = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new PierError(readFileErrorText(e, file));
    }
    return { raw, entries: opts.raw ? [] : await trust.describePolicy(file, registriesDirPath(opts.registriesDir)) };
  }

  async trustSet(scope: string, opts: { policyPath?: string; type: string; pubKeysFiles: string[] }): Promise<void> {
    const trust = require('../../image/config/trust') as typeof import('../../image/config/trust');
    trust.setTrust(trust.trustPolicyPath(opts.policyPath), scope, opts.type, opts.pubKeysFiles);
  }

  async save(namesOrIds: string[], opts: SaveOptions): Promise<void> {
    const { saveImages } = require('../../image/archive/save') as typeof import('../../image/archive/save');
    // Without --multi-image-archive, podman treats later arguments as extra tags of the first image.
    const imgs = namesOrIds.map((n, i) => ({
      input: n,
      img: (i === 0 || opts.multiImageArchive ? this.lookup(n) : lookupImage(this.store, n, () => this.searchRegistries())) as ImageRecord,
    }));
    await saveImages(this.store, imgs, opts);
    // One save event per image, named by the archive written (libimage).
    for (const id of new Set(imgs.filter((x) => x.img).map((x) => x.img.id))) this.event('save', id, opts.output);
  }

  async load(input: string, opts: { progress?: import('../images').ProgressSink }): Promise<string[]> {
    const { loadArchive } = require('../../image/archive/load') as typeof import('../../image/archive/load');
    const names = await loadArchive(this.store, input, opts);
    // One event per archive, named by its path (libimage), not per image.
    this.event('loadfromarchive', '', input);
    return names;
  }

  async importArchive(source: string, opts: ImportOptions): Promise<string> {
    const { importTarball } = require('../../image/archive/import') as typeof import('../../image/archive/import');
    const id = await importTarball(this.store, source, opts);
    this.event('import', id, opts.reference ?? '');
    return id;
  }

  // -----------------------------------------------------------------------------------------
  // Manifest lists

  /** The manifest list a name or id names: podman's errors when there is none, or it is an image. */
  private lookupList(name: string): ImageRecord {
    const img = lookupImage(this.store, name, () => this.searchRegistries());
    if (!img) throw new NotFoundError(`${name}: image not known`);
    if (!isManifestList(img)) throw lists().notAManifestList(img.names.find((n) => matchesGivenName(n, name)) ?? name);
    return img;
  }

  /**
   * Runs a read-modify-write of a list under the store's manifest lock, with the list's record
   * read again inside it, so that concurrent adds, annotations and removals are not lost.
   */
  private async withList<T>(rec: ImageRecord, fn: (fresh: ImageRecord) => Promise<T> | T): Promise<T> {
    const { withFileLock } = require('../../util/lock') as typeof import('../../util/lock');
    return withFileLock(path.join(this.store.graphRoot, 'manifests.lock'), () => {
      const fresh = this.store.images.get(rec.id);
      if (!fresh || !isManifestList(fresh)) throw new NotFoundError(`${rec.id}: image not known`);
      return fn(fresh);
    });
  }

  /** containers-storage: names of images to add, looked up as the storage transport does (lists themselves). */
  private storageLookup = (n: string): ImageRecord | undefined => lookupImage(this.store, n, () => this.searchRegistries());

  async manifestCreate(name: string, images: string[], opts: { all?: boolean; amend?: boolean; tlsVerify?: boolean }): Promise<string> {
    if (!name) throw new PierError('no name specified for creating a manifest list');
    const full = normalizeLocalName(name);
    const owner = this.store.images.byName(full);
    let rec: ImageRecord;
    let created = false;
    if (owner) {
      const inUse = `creating image to hold manifest list: image name "${full}" is already associated with image "${owner.id}": that name is already in use`;
      if (!opts.amend || !isManifestList(owner)) throw new ConflictError(inUse);
      rec = owner;
    } else {
      rec = lists().saveList(this.store, undefined, new (lists().ListModel)(), {}, [full]);
      created = true;
    }
    if (!images.length) return rec.id;
    try {
      await this.withList(rec, (fresh) => this.addImages(fresh, images, { all: opts.all, ...(opts.tlsVerify !== undefined ? { tlsVerify: opts.tlsVerify } : {}) }));
    } catch (e) {
      // Nothing half-done: a list this command made goes again when an image cannot be added.
      if (created) this.store.deleteImage(rec.id);
      throw e;
    }
    return rec.id;
  }

  /** Adds images to a list and applies `annotate` to each instance added; one save at the end. */
  private async addImages(rec: ImageRecord, images: string[], opts: ManifestAddOptions): Promise<string[]> {
    const list = lists().loadList(rec);
    const instances = { ...(rec.listInstances ?? {}) };
    const annotations = lists().parseAnnotations(opts.annotations);
    const added: string[] = [];
    for (const spec of images) {
      const d = await lists().addToList(this.store, this.cfg, list, instances, spec, opts, this.storageLookup);
      list.annotate(d, { annotations, arch: opts.arch, features: opts.features, os: opts.os, osVersion: opts.osVersion, variant: opts.variant });
      added.push(d);
    }
    lists().saveList(this.store, rec.id, list, instances);
    return added;
  }

  async manifestExists(name: string): Promise<boolean> {
    const img = lookupImage(this.store, name, () => this.searchRegistries());
    if (!img) return false;
    if (!isManifestList(img)) throw lists().notAManifestList(img.names.find((n) => matchesGivenName(n, name)) ?? name);
    return true;
  }

  async manifestInspect(name: string): Promise<string> {
    const img = lookupImage(this.store, name, () => this.searchRegistries());
    if (isManifestList(img)) return lists().loadList(img).inspectText();
    // No local list by that name: the registry's (podman inspects the name remotely).
    const { log } = require('../../util/log') as typeof import('../../util/log');
    return lists().inspectRemote(this.cfg, name, {}, (w) => log.warn(w));
  }

  async manifestAdd(name: string, images: string[], opts: ManifestAddOptions): Promise<string> {
    if (images.length < 1) throw new PierError('manifest add requires at least one image');
    const rec = this.lookupList(name);
    await this.withList(rec, (fresh) => this.addImages(fresh, images, opts));
    return rec.id;
  }

  async manifestAnnotate(name: string, digest: string, opts: ManifestAnnotateOptions): Promise<string> {
    checkDigest(digest);
    const rec0 = this.lookupList(name);
    return this.withList(rec0, (rec) => {
      const list = lists().loadList(rec);
      list.annotate(digest, { ...opts, annotations: lists().parseAnnotations(opts.annotations) });
      lists().saveList(this.store, rec.id, list, rec.listInstances ?? {});
      return rec.id;
    });
  }

  async manifestRemove(name: string, digest: string): Promise<string> {
    checkDigest(digest);
    const rec0 = this.lookupList(name);
    return this.withList(rec0, (rec) => {
      const list = lists().loadList(rec);
      list.remove(digest);
      const instances = { ...(rec.listInstances ?? {}) };
      delete instances[digest];
      lists().saveList(this.store, rec.id, list, instances);
      return rec.id;
    });
  }

  async manifestRm(names: string[]): Promise<RemoveReport> {
    const report: RemoveReport = { untagged: [], deleted: [], errors: [], exitCode: 0 };
    const removed = new Set<string>();
    for (const input of names) {
      let rec: ImageRecord;
      try {
        rec = this.lookupList(input);
      } catch (e) {
        report.errors.push(errorMessage(e));
        continue;
      }
      const current = this.store.images.get(rec.id);
      if (current && !removed.has(rec.id)) await this.removeOne(current, input, false, report, removed);
    }
    report.exitCode = removeExitCode(report.errors);
    return report;
  }

  async manifestPush(name: string, destination: string, opts: ManifestPushOptions): Promise<string> {
    let rec: ImageRecord;
    try {
      rec = this.lookupList(name);
    } catch (e) {
      throw new PierError(`retrieving local image from image name ${name}: ${errorMessage(e)}`);
    }
    const digest = await lists().pushList(this.store, this.cfg, rec, destination, { ...opts, all: opts.all !== false });
    this.event('push', rec.id, destination);
    if (opts.rm) {
      const r = await this.manifestRm([rec.id]);
      if (r.errors.length) throw new PierError(`removing manifest after push: ${r.errors[0]}`);
    }
    return digest;
  }

  async login(registry: string, opts: { username: string; password: string; authfile?: string; tlsVerify?: boolean; certDir?: string; verifyOnly?: boolean }): Promise<void> {
    const { login } = require('../../image/login') as typeof import('../../image/login');
    return login(this.cfg, registry, opts);
  }

  async logout(registry: string | undefined, opts: { all?: boolean; authfile?: string }): Promise<void> {
    const { logout } = require('../../image/login') as typeof import('../../image/login');
    return logout(this.cfg, registry, opts);
  }

  async search(term: string, opts: { limit?: number; tlsVerify?: boolean; filters?: string[]; listTags?: boolean; authfile?: string; creds?: string }): Promise<SearchResult[]> {
    const { search } = require('../../image/search') as typeof import('../../image/search');
    return search(this.cfg, term, opts);
  }
}

/** go-digest's Parse, for `manifest annotate` and `manifest remove`: podman's error for a bad digest. */
function checkDigest(d: string): void {
  const i = d.indexOf(':');
  let why = '';
  if (i <= 0 || i + 1 === d.length) why = 'invalid checksum digest format';
  else {
    const alg = d.slice(0, i);
    const hex = d.slice(i + 1);
    const lengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
    if (!(alg in lengths)) why = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/.test(alg) && /^[a-zA-Z0-9=_-]+$/.test(hex) ? 'unsupported digest algorithm' : 'invalid checksum digest format';
    else if (hex.length !== lengths[alg]) why = 'invalid checksum digest length';
    else if (!/^[a-f0-9]+$/.test(hex)) why = 'invalid checksum digest format';
  }
  if (why) throw new PierError(`invalid image digest "${d}": ${why}`);
}

export { ConflictError, UsageError };
