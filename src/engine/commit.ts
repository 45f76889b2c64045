// `pier commit`: a container's changes become a new layer on top of its image's layers,
// with a config made of the image's, the container's settings and --change instructions.
// The layer is written once as gzip and kept as the layer's blob, so push and save send
// exactly the bytes the layer was made from.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { Store } from '../storage/store';
import { ImageConfig } from '../storage/images';
import { LayerRecord, chainId } from '../storage/layers';
import { TarWriter, writeDirAsTar } from '../storage/tar/writer';
import { LAYER_TAR_GZIP, readdirSorted } from '../storage/diff';
import { applyChanges, ContainerConfig as ImageContainerConfig } from '../image/archive/changes';
import { MT, storeStagingDir } from '../image/archive/layout';
import { rollbackLayers } from '../image/archive/load';
import { normalizeLocalName } from '../image/lookup';
import type { ProgressSink } from '../domain/images';
import { hexOf, sha256 } from '../util/digest';
import { PierError, UsageError, errorMessage } from '../util/errors';
import type { Lifecycle } from './lifecycle';
import type { ContainerRecord } from './container-store';
import { containerDirs, mountContainerRootfs, unmountRootfs } from './rootfs';
import { addFsEntry, archiveXattrs, containerOwners, isOpaqueDir, isWhiteout, rootfsMounted, withContainerRootfs } from './container-files';

export interface CommitOptions {
  /** Name of the new image; a short name becomes localhost/NAME:latest. */
  name?: string;
  author?: string;
  /** The image's comment (docker format only, as podman). */
  message?: string;
  /** --change instructions (CMD, ENV, LABEL...). */
  changes?: string[];
  /** Pause a running container while its changes are read. */
  pause?: boolean;
  format?: 'oci' | 'docker';
  /** One layer holding the whole file system instead of a layer on top of the image's. */
  squash?: boolean;
  /** The container's volumes become image volumes. */
  includeVolumes?: boolean;
  progress?: ProgressSink;
  /** The new history entry's created_by (default "/bin/sh") and comment (default "FROM <image>"). */
  createdBy?: string;
  historyComment?: string;
  /** Seconds since the epoch: the image's created time and the upper bound of file mtimes (reproducible builds). */
  timestamp?: number;
  /** The image config's `config` to write as is (builds), instead of one derived from the container. */
  config?: ImageContainerConfig;
  /** Leave out the files the engine mounts into every container (/etc/hosts, /etc/resolv.conf...). */
  skipEnginePaths?: boolean;
  /** OCI manifest annotations (build --annotation). */
  annotations?: Record<string, string>;
  /**
   * The history entries of the new layer, in place of the one made from createdBy (build
   * --squash: the folded steps' entries, the last one carrying the layer).
   */
  historyEntries?: Record<string, unknown>[];
}

export interface CommitResult {
  /** The new image's id (config digest hex). */
  id: string;
  /** Its top layer (the committed changes). */
  layerId: string;
}

const WH_PREFIX = '.wh.';
const ENGINE_FILES = new Set(['etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'run/.containerenv']);
const WH_OPAQUE = '.wh..wh..opq';

type Change =
  | { kind: 'entry'; rel: string; abs: string; st: fs.Stats }
  | { kind: 'whiteout'; rel: string };

function lstatOrNull(p: string): fs.Stats | null {
  return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
}


function join(rel: string, name: string): string {
  return rel ? `${rel}/${name}` : name;
}

/** overlay: the upper dir as is, whiteout devices and opaque dirs as `.wh.` entries. */
function upperDirChanges(dir: string): Change[] {
  const out: Change[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSorted(abs)) {
      const childAbs = path.join(abs, name);
      const st = lstatOrNull(childAbs);
      if (!st) continue;
      if (isWhiteout(st)) { out.push({ kind: 'whiteout', rel: join(rel, WH_PREFIX + name) }); continue; }
      out.push({ kind: 'entry', rel: join(rel, name), abs: childAbs, st });
      if (st.isDirectory()) {
        if (isOpaqueDir(childAbs)) out.push({ kind: 'whiteout', rel: join(join(rel, name), WH_OPAQUE) });
        walk(childAbs, join(rel, name));
      }
    }
  };
  walk(dir, '');
  return out;
}

function sameMeta(a: fs.Stats, b: fs.Stats, aAbs: string, bAbs: string): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return false;
  if (a.isDirectory()) return a.mtimeMs === b.mtimeMs;
  if (a.size !== b.size || a.mtimeMs !== b.mtimeMs) return false;
  return !a.isSymbolicLink() || fs.readlinkSync(aAbs) === fs.readlinkSync(bAbs);
}

/** vfs: what differs between the container's tree and the image's (deletions as whiteouts). */
function treeDirChanges(dir: string, parentDir: string | null): Change[] {
  const out: Change[] = [];
  const all = (abs: string, rel: string) => {
    for (const name of readdirSorted(abs)) {
      const childAbs = path.join(abs, name);
      const st = lstatOrNull(childAbs);
      if (!st) continue;
      out.push({ kind: 'entry', rel: join(rel, name), abs: childAbs, st });
      if (st.isDirectory()) all(childAbs, join(rel, name));
    }
  };
  if (!parentDir) { all(dir, ''); return out; }
  const diff = (abs: string, pabs: string, rel: string) => {
    const names = readdirSorted(abs);
    const pnames = readdirSorted(pabs);
    const merged = [...new Set([...names, ...pnames])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const here = new Set(names);
    const there = new Set(pnames);
    for (const name of merged) {
      const childAbs = path.join(abs, name);
      const childP = path.join(pabs, name);
      const childRel = join(rel, name);
      const st = here.has(name) ? lstatOrNull(childAbs) : null;
      const pst = there.has(name) ? lstatOrNull(childP) : null;
      if (!st) {
        if (pst) out.push({ kind: 'whiteout', rel: join(rel, WH_PREFIX + name) });
        continue;
      }
      if (!pst || (st.mode & fs.constants.S_IFMT) !== (pst.mode & fs.constants.S_IFMT)) {
        out.push({ kind: 'entry', rel: childRel, abs: childAbs, st });
        if (st.isDirectory()) {
          if (pst) out.push({ kind: 'whiteout', rel: join(childRel, WH_OPAQUE) });
          all(childAbs, childRel);
        }
        continue;
      }
      if (st.isDirectory()) {
        const mark = out.length;
        out.push({ kind: 'entry', rel: childRel, abs: childAbs, st });
        diff(childAbs, childP, childRel);
        if (out.length === mark + 1 && sameMeta(st, pst, childAbs, childP)) out.pop();
        continue;
      }
      if (!sameMeta(st, pst, childAbs, childP)) out.push({ kind: 'entry', rel: childRel, abs: childAbs, st });
    }
  };
  diff(dir, parentDir, '');
  return out;
}

/** The container's changes to its image as an (uncompressed) OCI layer tar. */
export function containerLayerTar(store: Store, c: ContainerRecord, o: { mtime?: number; skipEnginePaths?: boolean } = {}): Readable {
  const d = containerDirs(store, c.id);
  const top = c.config.topLayer;
  const w = new TarWriter();
  (async () => {
    let changes = store.driver === 'overlay' ? upperDirChanges(d.diff) : treeDirChanges(d.diff, top ? store.layers.diffDir(top) : null);
    if (o.skipEnginePaths) {
      // Mount points the runtime created for the engine's bind mounts: empty files, not content.
      changes = changes.filter((ch) => !(ch.kind === 'entry' && ENGINE_FILES.has(ch.rel) && ch.st.isFile() && ch.st.size === 0));
    }
    const links = new Map<string, string>();
    const owners = containerOwners(c);
    for (const ch of changes) {
      if (ch.kind === 'whiteout') await w.addFile(ch.rel, Buffer.alloc(0), { mode: 0, uid: 0, gid: 0, ...(o.mtime !== undefined ? { mtime: o.mtime } : {}) });
      else await addFsEntry(w, ch.rel, ch.abs, ch.st, links, owners?.(ch.st.uid, ch.st.gid), o.mtime);
    }
    await w.finish();
  })().catch((e) => w.destroy(e instanceof Error ? e : new Error(String(e))));
  return w.stream;
}

/** The differences of one full tree to another as a layer tar (deletions as whiteouts): --squash. */
export function treeDiffTar(newRoot: string, oldRoot: string | null, o: { mtime?: number } = {}): Readable {
  const w = new TarWriter();
  (async () => {
    const links = new Map<string, string>();
    for (const ch of treeDirChanges(newRoot, oldRoot)) {
      if (ENGINE_FILES.has(ch.rel) && ch.kind === 'entry' && ch.st.isFile() && ch.st.size === 0) continue;
      if (ch.kind === 'whiteout') await w.addFile(ch.rel, Buffer.alloc(0), { mode: 0, uid: 0, gid: 0, ...(o.mtime !== undefined ? { mtime: o.mtime } : {}) });
      else await addFsEntry(w, ch.rel, ch.abs, ch.st, links, undefined, o.mtime);
    }
    await w.finish();
  })().catch((e) => w.destroy(e instanceof Error ? e : new Error(String(e))));
  return w.stream;
}

/**
 * Commits `tar` as one layer on top of `base` (an image record), with `config` as the image's
 * config and one history entry: how a build's --squash folds its new layers into one.
 */
export async function commitLayerOnto(store: Store, base: { id: string; topLayer: string | null }, tar: () => Readable, opts: CommitOptions & { config: ImageContainerConfig }): Promise<CommitResult> {
  const pseudo = { id: '', name: '', imageId: base.id, imageName: '', created: 0, podId: null, state: {} as any, config: { topLayer: base.topLayer } as any } as ContainerRecord;
  return commitFrom(store, pseudo, tar, opts.name ? normalizeLocalName(opts.name) : undefined, opts);
}

// zlib, crypto and streams load when a layer is made, not for mount, diff or cp (which load this module).
function hasher(): { t: Transform; digest: () => string; size: () => number } {
  const h = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');
  let n = 0;
  const { Transform } = require('node:stream') as typeof import('node:stream');
  const t = new Transform({ transform(c: Buffer, _e, cb) { h.update(c); n += c.length; cb(null, c); } });
  let d: string | undefined;
  return { t, digest: () => (d ??= 'sha256:' + h.digest('hex')), size: () => n };
}

function hostArch(): string {
  const m: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return m[process.arch] ?? process.arch;
}

/** The image config's `config` for the committed image: the image's, with the container's settings. */
export function committedContainerConfig(c: ContainerRecord, base: ImageContainerConfig | undefined, includeVolumes: boolean): ImageContainerConfig {
  const cc: ImageContainerConfig = JSON.parse(JSON.stringify(base ?? {}));
  cc.Env = c.config.env.filter((e) => !e.startsWith('HOSTNAME='));
  if (c.config.entrypoint.length) cc.Entrypoint = c.config.entrypoint; else delete cc.Entrypoint;
  if (c.config.cmd.length) cc.Cmd = c.config.cmd; else delete cc.Cmd;
  if (c.config.workdir) cc.WorkingDir = c.config.workdir;
  if (c.config.user) cc.User = c.config.user; else delete cc.User;
  if (Object.keys(c.config.labels ?? {}).length) cc.Labels = { ...c.config.labels };
  if (includeVolumes) {
    for (const m of c.config.mounts ?? []) if (m.type === 'volume') (cc.Volumes ??= {})[m.destination] = {};
  }
  return cc;
}

/** A manifest descriptor for a stored layer: its kept blob, else its uncompressed tar. */
function layerDescriptor(store: Store, l: LayerRecord, oci: boolean): { mediaType: string; digest: string; size: number } {
  if (l.compressedDigest && store.layers.hasBlob(l.compressedDigest)) {
    const mt = l.compressedMediaType ?? '';
    const size = l.compressedSize ?? fs.statSync(store.layers.blobPath(l.compressedDigest)).size;
    const mediaType = /gzip/.test(mt) ? (oci ? MT.ociLayerGzip : MT.dockerLayerGzip)
      : /zstd/.test(mt) ? mt
      : (oci ? MT.ociLayer : MT.dockerLayer);
    return { mediaType, digest: l.compressedDigest, size };
  }
  return { mediaType: oci ? MT.ociLayer : MT.dockerLayer, digest: l.diffId, size: l.uncompressedSize };
}

/** Validates what can be checked before any work; returns the normalized name. */
function validate(opts: CommitOptions): string | undefined {
  if (opts.format && opts.format !== 'oci' && opts.format !== 'docker') throw new UsageError(`unrecognized image type "${opts.format}"`);
  if (opts.message && opts.format !== 'docker') throw new UsageError('messages are only compatible with the docker image format (-f docker)');
  applyChanges({}, opts.changes ?? []);
  if (!opts.name) return undefined;
  try {
    return normalizeLocalName(opts.name);
  } catch (e) {
    throw new UsageError(errorMessage(e).replace(/^invalid reference format: (?=.)/, ''));
  }
}

/** Write the layer, config and manifest for container `c`; `tar` gives the layer's contents. */
async function commitFrom(store: Store, c: ContainerRecord, tar: () => Readable, name: string | undefined, opts: CommitOptions): Promise<CommitResult> {
  const progress = opts.progress ?? { line: () => undefined };
  const img = c.imageId ? store.images.get(c.imageId) : undefined;
  const base: ImageConfig = img ? JSON.parse(img.configRaw) : {};
  const staging = storeStagingDir(store);
  const created: string[] = [];
  try {
    // The layer: gzip once, keep it as the layer's blob.
    const file = path.join(staging, 'layer.tar.gz');
    const u = hasher();
    const z = hasher();
    const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
    const zlib = require('node:zlib') as typeof import('node:zlib');
    await pipeline(tar(), u.t, zlib.createGzip({ level: 6 }), z.t, fs.createWriteStream(file, { mode: 0o600 }));
    const parent = opts.squash ? null : c.config.topLayer;
    const existing = store.layers.get(chainId(parent, u.digest()));
    const existed = !!existing;
    // The same changes on the same parent (a reproducible build): the stored layer is reused.
    const layer = existing ?? await store.layers.apply(parent, fs.createReadStream(file), {
      expectedDiffId: u.digest(),
      keepBlob: { digest: z.digest(), size: z.size(), mediaType: LAYER_TAR_GZIP },
    });
    if (!existed) created.push(layer.id);

    const chain = store.layers.chain(layer.id);
    const now = opts.timestamp !== undefined ? new Date(opts.timestamp * 1000).toISOString() : new Date().toISOString();
    const baseName = img?.names.find((n) => !n.includes('@')) ?? c.imageName;
    const history = opts.historyEntries?.length ? [...(opts.squash ? [] : base.history ?? []), ...opts.historyEntries] : [
      ...(opts.squash ? [] : base.history ?? []),
      {
        created: now,
        created_by: opts.createdBy ?? '/bin/sh',
        ...(opts.author ? { author: opts.author } : {}),
        ...((opts.historyComment ?? baseName) ? { comment: opts.historyComment ?? `FROM ${baseName}` } : {}),
      },
    ];
    const cfg: ImageConfig = { ...base };
    delete cfg.container;
    delete cfg.container_config;
    Object.assign(cfg, {
      created: now,
      ...(opts.author ? { author: opts.author } : {}),
      architecture: base.architecture ?? hostArch(),
      os: base.os ?? 'linux',
      config: opts.config ?? applyChanges(committedContainerConfig(c, base.config, !!opts.includeVolumes), opts.changes ?? []),
      rootfs: { type: 'layers', diff_ids: chain.map((l) => l.diffId) },
      history,
    });
    if (opts.message) cfg.comment = opts.message;
    const configRaw = JSON.stringify(cfg);
    progress.line('Getting image source signatures');
    for (const l of chain) progress.line(`Copying blob ${l.diffId}`);
    progress.line(`Copying config ${sha256(configRaw)}`);
    progress.line('Writing manifest to image destination');
    const rec = storeImage(store, configRaw, chain, layer.id, opts.format !== 'docker', name, opts.annotations);
    progress.line('Storing signatures');
    return { id: rec.id, layerId: layer.id };
  } catch (e) {
    rollbackLayers(store, created);
    throw e;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The image again with its config changed by `mutate` and no new history entry (build's
 * --omit-history, --os-version...): same layers, a new config and manifest.
 */
export function rewriteImageConfig(store: Store, img: { configRaw: string; topLayer: string | null }, mutate: (cfg: ImageConfig & Record<string, any>) => void,
  opts: { format?: 'oci' | 'docker'; annotations?: Record<string, string> } = {}): CommitResult {
  const cfg = JSON.parse(img.configRaw);
  mutate(cfg);
  const chain = img.topLayer ? store.layers.chain(img.topLayer) : [];
  const rec = storeImage(store, JSON.stringify(cfg), chain, img.topLayer, opts.format !== 'docker', undefined, opts.annotations);
  return { id: rec.id, layerId: img.topLayer ?? '' };
}

/** Writes the manifest for a config and its layer chain and stores the image (named if `name`). */
function storeImage(store: Store, configRaw: string, chain: LayerRecord[], topLayer: string | null, oci: boolean, name?: string, annotations?: Record<string, string>) {
  const configDigest = sha256(configRaw);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: oci ? MT.ociManifest : MT.dockerManifest,
    config: { mediaType: oci ? MT.ociConfig : MT.dockerConfig, digest: configDigest, size: Buffer.byteLength(configRaw) },
    layers: chain.map((l) => layerDescriptor(store, l, oci)),
    // Manifest annotations exist in OCI manifests only (podman drops them for the docker format).
    ...(oci && annotations && Object.keys(annotations).length ? { annotations } : {}),
  });
  return store.images.put({
    id: hexOf(configDigest), configRaw, topLayer,
    size: chain.reduce((n, l) => n + l.uncompressedSize, 0),
    manifest, manifestDigest: sha256(manifest), manifestMediaType: oci ? MT.ociManifest : MT.dockerManifest,
    names: name ? [name] : [],
  });
}

function isLifecycle(x: unknown): x is Lifecycle {
  return typeof (x as Lifecycle).withLock === 'function' && typeof (x as Lifecycle).sync === 'function';
}

/**
 * Commit a container as a new image. With a Lifecycle, `container` names the container
 * and the commit holds its lock (pausing it if asked); with a ContainerRecord (e.g. a
 * build's working container) the caller is responsible for keeping it still.
 */
export async function commitContainer(store: Store, source: Lifecycle | ContainerRecord,
  opts: CommitOptions & { container?: string }): Promise<CommitResult> {
  const name = validate(opts);
  if (!isLifecycle(source)) {
    const c = source;
    if (!opts.squash) return commitFrom(store, c, () => containerLayerTar(store, c, { mtime: opts.timestamp, skipEnginePaths: opts.skipEnginePaths }), name, opts);
    const was = rootfsMounted(store, c.id);
    const rootfs = mountContainerRootfs(store, c);
    try {
      return await commitFrom(store, c, () => writeDirAsTar(rootfs, { xattrs: (abs) => archiveXattrs(abs), mapOwner: containerOwners(c) }), name, opts);
    } finally {
      if (!was) unmountRootfs(store, c.id);
    }
  }
  const lc = source;
  if (!opts.container) throw new PierError('commit: no container given');
  const id = lc.containers.lookup(opts.container).id;
  let paused = false;
  if (opts.pause && lc.get(id).state.status === 'running') {
    await lc.pause(id);
    paused = true;
  }
  try {
    if (opts.squash) {
      return await withContainerRootfs(lc, id, (c, rootfs) =>
        commitFrom(store, c, () => writeDirAsTar(rootfs, { xattrs: (abs) => archiveXattrs(abs), mapOwner: containerOwners(c) }), name, opts));
    }
    return await lc.withLock(id, () => {
      const c = lc.sync(lc.containers.lookup(id));
      return commitFrom(store, c, () => containerLayerTar(store, c), name, opts);
    });
  } finally {
    if (paused) await lc.unpause(id).catch(() => undefined);
  }
}

/**
 * An image that keeps its parent's layers and gets a new config and one more history entry
 * (a build's ENV, LABEL, CMD... steps): no layer is written. `parent` null starts from scratch.
 */
export function writeConfigImage(store: Store, parent: { id: string; configRaw: string; topLayer: string | null } | null, opts: {
  config: ImageContainerConfig; createdBy: string; timestamp?: number; format?: 'oci' | 'docker'; name?: string; platform?: { os: string; architecture: string; variant?: string };
  author?: string;
  /** OCI manifest annotations (build --annotation). */
  annotations?: Record<string, string>;
}): CommitResult {
  const base: ImageConfig = parent ? JSON.parse(parent.configRaw) : {};
  const chain = parent?.topLayer ? store.layers.chain(parent.topLayer) : [];
  const now = opts.timestamp !== undefined ? new Date(opts.timestamp * 1000).toISOString() : new Date().toISOString();
  const cfg: ImageConfig = { ...base };
  delete cfg.container;
  delete cfg.container_config;
  Object.assign(cfg, {
    created: now,
    ...(opts.author ? { author: opts.author } : {}),
    architecture: base.architecture ?? opts.platform?.architecture ?? hostArch(),
    os: base.os ?? opts.platform?.os ?? 'linux',
    ...(base.variant ?? opts.platform?.variant ? { variant: base.variant ?? opts.platform?.variant } : {}),
    config: opts.config,
    rootfs: { type: 'layers', diff_ids: chain.map((l) => l.diffId) },
    history: [...(base.history ?? []), { created: now, created_by: opts.createdBy, empty_layer: true }],
  });
  const rec = storeImage(store, JSON.stringify(cfg), chain, parent?.topLayer ?? null, opts.format !== 'docker', opts.name ? normalizeLocalName(opts.name) : undefined, opts.annotations);
  return { id: rec.id, layerId: parent?.topLayer ?? '' };
}
