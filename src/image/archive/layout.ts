// Shared pieces of image export: writing an image's config and layer blobs into a
// directory under chosen file names, building OCI / Docker schema 2 manifests, OCI
// layout index files, and atomic output (temp file or dir, then rename).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { Store } from '../../storage/store';
import { ImageRecord, manifestAnnotations } from '../../storage/images';
import { layerBlob, layerTar } from '../../storage/diff';
import { writeDirAsTar } from '../../storage/tar/writer';
import { hexOf, randomHex, sha256 } from '../../util/digest';
import { PierError } from '../../util/errors';
import { log } from '../../util/log';
import { ociConfigFromDocker } from './oci-config';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const DIR_VERSION = 'Directory Transport Version: 1.1\n';
export const OCI_LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' });

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Record<string, unknown>;
}

export interface ExportedLayer {
  digest: string;
  size: number;
  diffId: string;
  compressed: boolean;
}

export interface ExportedImage {
  img: ImageRecord;
  /** The config as written (differs from the stored one only if a layer could not be reproduced). */
  configRaw: string;
  configDigest: string;
  layers: ExportedLayer[];
}

/** Where each kind of blob goes inside the output directory. */
export interface BlobNaming {
  layer(digest: string): string;
  config(digest: string): string;
}

export const ociNaming: BlobNaming = {
  layer: (d) => path.join('blobs', 'sha256', hexOf(d)),
  config: (d) => path.join('blobs', 'sha256', hexOf(d)),
};
export const dirNaming: BlobNaming = { layer: (d) => hexOf(d), config: (d) => hexOf(d) };
export const dockerArchiveNaming: BlobNaming = { layer: (d) => `${hexOf(d)}.tar`, config: (d) => `${hexOf(d)}.json` };

function tmpName(dir: string, base = ''): string {
  return path.join(dir, `.pier-tmp-${base}${process.pid}-${randomHex(6)}`);
}

/** Copy (reflink where possible) or hard-link `src` to `dest` unless it is there already. */
function placeFile(src: string, dest: string): void {
  if (fs.existsSync(dest)) return;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = tmpName(path.dirname(dest));
  try {
    fs.copyFileSync(src, tmp, fs.constants.COPYFILE_FICLONE);
    fs.chmodSync(tmp, 0o644);
    fs.renameSync(tmp, dest);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Stream into `dir/<name(digest)>`, hashing on the way; returns digest and size. */
async function writeHashed(src: Readable, dir: string, name: (digest: string) => string): Promise<{ digest: string; size: number }> {
  // crypto and streams load here, not with the module (commit's, which mount, diff and cp load).
  const h = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256');
  const { Transform } = require('node:stream') as typeof import('node:stream');
  const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
  let size = 0;
  const tmp = tmpName(dir);
  fs.mkdirSync(dir, { recursive: true });
  try {
    await pipeline(src, new Transform({ transform(c: Buffer, _e, cb) { h.update(c); size += c.length; cb(null, c); } }),
      fs.createWriteStream(tmp, { mode: 0o644 }));
    const digest = 'sha256:' + h.digest('hex');
    const dest = path.join(dir, name(digest));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    if (fs.existsSync(dest)) fs.rmSync(tmp);
    else fs.renameSync(tmp, dest);
    return { digest, size };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function writeFileAtomic(file: string, data: string | Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tmpName(path.dirname(file));
  try {
    fs.writeFileSync(tmp, data, { mode: 0o644 });
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Write the image's layers (gzip when `compress`, else plain tar) and config into `dir`.
 * Layers whose exact bytes are gone and whose regenerated tar hashes differently get the
 * new diff id written into the exported config, so the output is always self-consistent.
 */
export async function exportImage(store: Store, img: ImageRecord, dir: string, naming: BlobNaming, compress: boolean, opts: { oci?: boolean } = {}): Promise<ExportedImage> {
  const chain = store.layers.chain(img.topLayer);
  const layers: ExportedLayer[] = [];
  for (const l of chain) {
    if (compress) {
      const b = await layerBlob(store, l);
      b.stream.destroy();
      placeFile(store.layers.blobPath(b.digest), path.join(dir, naming.layer(b.digest)));
      layers.push({ digest: b.digest, size: b.size, diffId: b.diffId, compressed: true });
    } else {
      const { stream } = layerTar(store, l);
      const w = await writeHashed(stream, dir, naming.layer);
      layers.push({ digest: w.digest, size: w.size, diffId: w.digest, compressed: false });
    }
  }
  let configRaw = img.configRaw;
  const diffIds = layers.map((l) => l.diffId);
  const stored: string[] = img.config.rootfs?.diff_ids ?? [];
  if (stored.length !== diffIds.length || stored.some((d, i) => d !== diffIds[i])) {
    log.debug(`image ${img.id.slice(0, 12)}: layer contents could not be reproduced exactly; writing an updated config`);
    const cfg = JSON.parse(img.configRaw);
    cfg.rootfs = { type: 'layers', diff_ids: diffIds };
    configRaw = JSON.stringify(cfg);
  }
  // In OCI format a Docker config is re-encoded as an OCI one (containers/image's manifest
  // conversion), as podman does: the image gets another ID there.
  if (opts.oci && hasDockerConfig(img)) configRaw = ociConfigFromDocker(configRaw);
  const configDigest = sha256(configRaw);
  const configFile = path.join(dir, naming.config(configDigest));
  if (!fs.existsSync(configFile)) writeFileAtomic(configFile, configRaw);
  return { img, configRaw, configDigest, layers };
}

/** Whether the image's config is a Docker one (its manifest is Docker schema 2 or names a Docker config). */
function hasDockerConfig(img: ImageRecord): boolean {
  if (img.manifestMediaType === MT.dockerManifest) return true;
  try {
    return !!img.manifest && JSON.parse(img.manifest).config?.mediaType === MT.dockerConfig;
  } catch {
    return false;
  }
}

/** The manifest for an exported image; the stored manifest bytes when they describe exactly these blobs. */
export function manifestFor(e: ExportedImage, kind: 'oci' | 'docker'): { body: Buffer; mediaType: string; digest: string } {
  const want = kind === 'oci' ? MT.ociManifest : MT.dockerManifest;
  if (e.img.manifest) {
    try {
      const m = JSON.parse(e.img.manifest);
      const mt = m.mediaType ?? e.img.manifestMediaType;
      if (mt === want && m.config?.digest === e.configDigest && Array.isArray(m.layers) && m.layers.length === e.layers.length &&
        m.layers.every((l: any, i: number) => l.digest === e.layers[i].digest && l.size === e.layers[i].size)) {
        const body = Buffer.from(e.img.manifest, 'utf8');
        return { body, mediaType: want, digest: sha256(body) };
      }
    } catch { /* generate one */ }
  }
  const layerType = (c: boolean) => kind === 'oci' ? (c ? MT.ociLayerGzip : MT.ociLayer) : (c ? MT.dockerLayerGzip : MT.dockerLayer);
  // The image's manifest annotations survive in an OCI manifest (a Docker one has no place for them).
  const annotations = kind === 'oci' ? manifestAnnotations(e.img) : {};
  const manifest = {
    schemaVersion: 2,
    mediaType: want,
    config: { mediaType: kind === 'oci' ? MT.ociConfig : MT.dockerConfig, digest: e.configDigest, size: Buffer.byteLength(e.configRaw) },
    layers: e.layers.map((l) => ({ mediaType: layerType(l.compressed), digest: l.digest, size: l.size })),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  const body = Buffer.from(JSON.stringify(manifest));
  return { body, mediaType: want, digest: sha256(body) };
}

/** Write a manifest blob into an OCI layout and return its descriptor. */
export function writeOciManifest(dir: string, e: ExportedImage, refName?: string): Descriptor {
  const m = manifestFor(e, 'oci');
  const file = path.join(dir, ociNaming.layer(m.digest));
  if (!fs.existsSync(file)) writeFileAtomic(file, m.body);
  const desc: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.body.length };
  if (refName) desc.annotations = { [REF_NAME_ANNOTATION]: refName };
  return desc;
}

/**
 * Add descriptors to `dir/index.json` (creating the layout files as needed). An entry with
 * the same ref name is replaced; an unnamed entry with the same digest is not duplicated.
 */
export function updateOciIndex(dir: string, add: Descriptor[]): void {
  fs.mkdirSync(dir, { recursive: true });
  const indexFile = path.join(dir, 'index.json');
  let index: { schemaVersion: number; mediaType?: string; manifests: Descriptor[]; [k: string]: unknown } = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: [] };
  if (fs.existsSync(indexFile)) {
    try {
      index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
      if (!Array.isArray(index.manifests)) index.manifests = [];
    } catch (e: any) {
      throw new PierError(`reading ${indexFile}: ${e.message}`);
    }
  }
  for (const d of add) {
    const name = d.annotations?.[REF_NAME_ANNOTATION];
    index.manifests = index.manifests.filter((m) => name ? m.annotations?.[REF_NAME_ANNOTATION] !== name
      : !(m.digest === d.digest && !m.annotations?.[REF_NAME_ANNOTATION]));
    index.manifests.push(d);
  }
  writeFileAtomic(path.join(dir, 'oci-layout'), OCI_LAYOUT);
  writeFileAtomic(indexFile, JSON.stringify(index));
}

/**
 * Write `img` into the OCI image layout `dir` (created when missing). Other images of an
 * existing layout stay; an entry with the same ref name is replaced.
 */
export async function writeOciLayout(store: Store, img: ImageRecord, dir: string, refName: string | undefined, compress: boolean): Promise<void> {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new PierError(`open ${path.join(dir, 'index.json')}: not a directory`);
  fs.mkdirSync(dir, { recursive: true });
  const e = await exportImage(store, img, dir, ociNaming, compress, { oci: true });
  updateOciIndex(dir, [writeOciManifest(dir, e, refName)]);
}

/** Write a `dir:` transport layout for one image into the (empty) `dir`. */
export async function writeDirLayout(store: Store, img: ImageRecord, dir: string, kind: 'oci' | 'docker', compress: boolean): Promise<void> {
  const e = await exportImage(store, img, dir, dirNaming, compress, { oci: kind === 'oci' });
  const m = manifestFor(e, kind);
  writeFileAtomic(path.join(dir, 'manifest.json'), m.body);
  writeFileAtomic(path.join(dir, 'version'), DIR_VERSION);
}

/** A fresh staging directory next to `target` (same filesystem, so rename works). */
export function stagingDirFor(target: string): string {
  const parent = path.dirname(path.resolve(target));
  if (!fs.existsSync(parent)) throw new PierError(`${parent}: no such file or directory`);
  const dir = tmpName(parent, 'dir-');
  fs.mkdirSync(dir, { mode: 0o755 });
  return dir;
}

/** A staging directory in the store's tmp dir. */
export function storeStagingDir(store: Store): string {
  fs.mkdirSync(store.tmpDir, { recursive: true });
  // Leftovers of pier processes that died mid-save/load.
  for (const n of fs.readdirSync(store.tmpDir)) {
    const m = /^archive-(\d+)-/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    let alive = true;
    try { process.kill(Number(m[1]), 0); } catch (e: any) { alive = e.code === 'EPERM'; }
    if (!alive) fs.rmSync(path.join(store.tmpDir, n), { recursive: true, force: true });
  }
  return fs.mkdtempSync(path.join(store.tmpDir, `archive-${process.pid}-`));
}

/** Stream the directory as a tar (sorted, owner 0:0, mtime 0) to `out`. */
export async function tarDirTo(dir: string, out: Writable): Promise<void> {
  const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
  await pipeline(writeDirAsTar(dir, { mtime: 0, mapOwner: () => ({ uid: 0, gid: 0 }) }), out);
}

/**
 * Tar `dir` into `output` atomically: a temp file next to it renamed over it on success.
 * `output` '-' (or undefined) writes to stdout.
 */
export async function writeTarOutput(dir: string, output: string | undefined): Promise<void> {
  if (!output || output === '-') {
    await new Promise<void>((resolve, reject) => {
      const s = writeDirAsTar(dir, { mtime: 0, mapOwner: () => ({ uid: 0, gid: 0 }) });
      s.on('error', reject);
      s.on('end', resolve);
      s.pipe(process.stdout, { end: false });
    });
    return;
  }
  const abs = path.resolve(output);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) throw new PierError(`${output}: is a directory`);
  const parent = path.dirname(abs);
  if (!fs.existsSync(parent)) throw new PierError(`open ${output}: no such file or directory`);
  const tmp = tmpName(parent);
  try {
    await tarDirTo(dir, fs.createWriteStream(tmp, { mode: 0o644 }));
    fs.renameSync(tmp, abs);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Replace directory `target` with the finished `staged` one. An existing target must be
 * empty or look like an image layout we may overwrite (`marker` file present).
 */
export function replaceDir(staged: string, target: string, markers: string[]): void {
  const abs = path.resolve(target);
  if (fs.existsSync(abs)) {
    const st = fs.statSync(abs);
    if (!st.isDirectory()) throw new PierError(`${target}: not a directory`);
    const entries = fs.readdirSync(abs);
    if (entries.length && !markers.some((m) => entries.includes(m))) {
      throw new PierError(`refusing to overwrite ${target}: directory is not empty and does not hold an image`);
    }
    const old = tmpName(path.dirname(abs), 'old-');
    fs.renameSync(abs, old);
    try {
      fs.renameSync(staged, abs);
    } catch (e) {
      fs.renameSync(old, abs);
      throw e;
    }
    fs.rmSync(old, { recursive: true, force: true });
    return;
  }
  fs.renameSync(staged, abs);
}

/** The name under which a saved image is tagged: the image name the input resolves to. */
export function nameForInput(img: ImageRecord, input: string): string | undefined {
  const s = input.startsWith('sha256:') ? input.slice(7) : input;
  if (/^[a-f0-9]{3,64}$/.test(s) && img.id.startsWith(s)) return undefined;
  if (img.names.includes(input)) return input;
  const { normalizeLocalName } = require('../lookup') as typeof import('../lookup');
  const { parseReference } = require('../reference') as typeof import('../reference');
  let full: string | undefined;
  try { full = normalizeLocalName(input); } catch { /* not a name */ }
  if (full && img.names.includes(full)) return full;
  try {
    const r = parseReference(input);
    const docker = `${r.registry}/${r.repository}:${r.tag ?? 'latest'}`;
    if (img.names.includes(docker)) return docker;
    const tail = `/${input.includes(':') ? input : input + ':latest'}`;
    const hit = img.names.find((n) => n.endsWith(tail));
    if (hit) return hit;
  } catch { /* fall through */ }
  return full;
}
