// `pier load`: images from a docker-archive (docker save, old and Docker 25+ layouts),
// an oci-archive, either gzip-compressed, or an OCI / `dir:` directory. Every config and
// layer is verified; the images appear only when all of them are stored, and layers this
// load added are removed again if anything fails.
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { Store } from '../../storage/store';
import { chainId, CompressedBlob } from '../../storage/layers';
import { immediate } from '../../storage/db';
import { NewImage } from '../../storage/images';
import type { ProgressSink } from '../../domain/images';
import { hexOf, sha256 } from '../../util/digest';
import { PierError, errorMessage } from '../../util/errors';
import { MT } from './layout';
import {
  LayoutFiles, SourceImage, unpackArchive, detectLayout, dockerArchiveImages, ociLayoutImages, dirLayoutImages, LayoutKind,
} from './sources';
import { storeStagingDir } from './layout';

const silent: ProgressSink = { line: () => undefined };

export interface LoadOptions {
  progress?: ProgressSink;
}

function isGzipFile(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

function fileDigest(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return 'sha256:' + h.digest('hex');
}

/** Remove layers this operation created (newest first) unless something else uses them now. */
export function rollbackLayers(store: Store, created: string[]): void {
  for (const id of [...created].reverse()) {
    try {
      const paths = immediate(store.db, () => store.layers.removeUnused(id, (l) => store.images.usesTopLayer(l)));
      for (const p of paths) fs.rmSync(p, { recursive: true, force: true });
    } catch { /* best effort */ }
  }
}

/** The blob to keep for a layer file: its own bytes under their digest. */
function keepFor(l: { file: string; digest?: string; mediaType?: string; diffId: string }): CompressedBlob {
  const size = fs.statSync(l.file).size;
  const gzip = isGzipFile(l.file);
  const digest = l.digest ?? (gzip ? fileDigest(l.file) : l.diffId);
  const mediaType = l.mediaType ?? (gzip ? MT.ociLayerGzip : MT.ociLayer);
  return { digest, size, mediaType };
}

/**
 * Store the images (layers first, then all image records in one transaction). Returns
 * their ids in order. On failure the layers added here are removed again.
 */
export async function storeImages(store: Store, images: SourceImage[], progress: ProgressSink = silent): Promise<string[]> {
  const created: string[] = [];
  try {
    progress.line('Getting image source signatures');
    const records: NewImage[] = [];
    for (const img of images) {
      let parent: string | null = null;
      const ids: string[] = [];
      for (const l of img.layers) {
        const id = chainId(parent, l.diffId);
        const short = hexOf(l.digest ?? l.diffId).slice(0, 12);
        if (store.layers.get(id)) {
          progress.line(`Copying blob ${short} skipped: already exists`);
        } else {
          progress.line(`Copying blob ${l.digest ?? l.diffId}`);
          const keep = keepFor(l);
          const h = createHash('sha256');
          const input = fs.createReadStream(l.file).pipe(new Transform({ transform(c: Buffer, _e, cb) { h.update(c); cb(null, c); } }));
          const rec = await store.layers.apply(parent, input as unknown as Readable, { expectedDiffId: l.diffId, keepBlob: keep });
          created.push(rec.id);
          if (l.digest && rec.id === id) {
            const got = 'sha256:' + h.digest('hex');
            if (got !== l.digest) throw new PierError(`blob ${l.digest} digest mismatch: got ${got}`);
          }
        }
        ids.push(id);
        parent = id;
      }
      progress.line(`Copying config ${img.configDigest}`);
      const size = ids.reduce((n, id) => n + (store.layers.get(id)?.uncompressedSize ?? 0), 0);
      const manifest = img.manifest ?? generatedManifest(store, img, ids);
      records.push({
        id: hexOf(img.configDigest), configRaw: img.configRaw, topLayer: ids.length ? ids[ids.length - 1] : null, size,
        names: img.names, manifest: manifest.body, manifestDigest: manifest.digest, manifestMediaType: manifest.mediaType,
      });
    }
    progress.line('Writing manifest to image destination');
    immediate(store.db, () => { for (const r of records) store.images.put(r); });
    return records.map((r) => r.id);
  } catch (e) {
    rollbackLayers(store, created);
    throw e;
  }
}

/** A Docker schema 2 manifest for an image that came without one (docker-archive). */
function generatedManifest(store: Store, img: SourceImage, ids: string[]): { body: string; digest: string; mediaType: string } {
  const layers = ids.map((id) => {
    const l = store.layers.get(id)!;
    const gz = l.compressedMediaType ? /gzip/.test(l.compressedMediaType) : false;
    return { mediaType: gz ? MT.dockerLayerGzip : MT.dockerLayer, digest: l.compressedDigest ?? l.diffId, size: l.compressedSize ?? l.uncompressedSize };
  });
  const body = JSON.stringify({
    schemaVersion: 2, mediaType: MT.dockerManifest,
    config: { mediaType: MT.dockerConfig, digest: img.configDigest, size: Buffer.byteLength(img.configRaw) },
    layers,
  });
  return { body, digest: sha256(body), mediaType: MT.dockerManifest };
}

const FORMAT_LABEL: Record<LayoutKind, string> = { 'docker-archive': 'docker-archive', oci: 'oci-archive', dir: 'dir' };

/** podman's error for input no format could read, with one reason per format. */
export function formatError(reasons: Partial<Record<string, string>>): PierError {
  const order = ['oci-archive', 'docker-archive', 'dir'];
  const lines = order.map((f) => ` * ${f}: ${reasons[f] ?? 'not in this format'}`);
  return new PierError(`payload does not match any of the supported image formats:\n${lines.join('\n')}`);
}

/** Images of an unpacked layout, or a format error naming why each format failed. */
export function imagesOf(files: LayoutFiles, where: string): SourceImage[] {
  const kind = detectLayout(files);
  const reasons: Record<string, string> = {
    'oci-archive': `open ${where}/index.json: no such file or directory`,
    'docker-archive': `loading tar component "manifest.json": file does not exist`,
    dir: `open ${where}/manifest.json: no such file or directory`,
  };
  if (!kind) throw formatError(reasons);
  try {
    if (kind === 'docker-archive') return dockerArchiveImages(files);
    if (kind === 'oci') return ociLayoutImages(files);
    return dirLayoutImages(files);
  } catch (e) {
    reasons[FORMAT_LABEL[kind]] = errorMessage(e);
    throw formatError(reasons);
  }
}

/** Names to print for loaded images: their names, or `sha256:<id>` when untagged. */
function loadedNames(store: Store, ids: string[], images: SourceImage[]): string[] {
  const out: string[] = [];
  ids.forEach((id, i) => {
    const names = images[i].names.filter((n) => store.images.byName(n)?.id === id);
    if (names.length) out.push(...names); else out.push(`sha256:${id}`);
  });
  return [...new Set(out)];
}

/** Load the archive at `input` ('-': stdin; a directory is read in place). */
export async function loadArchive(store: Store, input: string, opts: LoadOptions = {}): Promise<string[]> {
  const progress = opts.progress ?? silent;
  if (input !== '-' && input !== '' && fs.existsSync(input) && fs.statSync(input).isDirectory()) {
    const files = new LayoutFiles(input);
    const images = imagesOf(files, input);
    return loadImages(store, images, progress);
  }
  const staging = storeStagingDir(store);
  try {
    let stream: Readable;
    if (input === '-' || input === '') {
      stream = process.stdin;
    } else {
      if (!fs.existsSync(input)) throw new PierError(`open ${input}: no such file or directory`);
      stream = fs.createReadStream(input);
    }
    let files: LayoutFiles;
    try {
      files = await unpackArchive(stream, staging);
    } catch (e) {
      const m = errorMessage(e);
      throw formatError({ 'oci-archive': `loading index: ${m}`, 'docker-archive': `reading archive: ${m}`, dir: `open ${input}/manifest.json: not a directory` });
    }
    const images = imagesOf(files, input);
    return await loadImages(store, images, progress);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

async function loadImages(store: Store, images: SourceImage[], progress: ProgressSink): Promise<string[]> {
  let ids: string[];
  try {
    ids = await storeImages(store, images, progress);
  } catch (e) {
    if (e instanceof PierError && e.message.startsWith('payload does not match')) throw e;
    throw formatError({ [images[0]?.format ?? 'docker-archive']: errorMessage(e) });
  }
  return loadedNames(store, ids, images);
}
