// `pier import`: a root filesystem tarball (plain or compressed; file, stdin or http(s) URL)
// becomes a one-layer image, its config shaped by --change instructions and -m.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Store } from '../../storage/store';
import type { ImportOptions, ProgressSink } from '../../domain/images';
import { hexOf, sha256 } from '../../util/digest';
import { PierError, UsageError, errorMessage } from '../../util/errors';
import { applyChanges } from './changes';
import { MAGIC_BYTES, decompressor, detectCompression, peekStream } from '../../storage/tar/decompress';
import { MT, storeStagingDir } from './layout';
import { rollbackLayers } from './load';

const silent: ProgressSink = { line: () => undefined };

/** The source as a byte stream: '-' is stdin, http(s) URLs are downloaded into `dir` first, anything else a file. */
async function openSource(source: string, dir: string): Promise<Readable> {
  if (source === '-') return process.stdin;
  const { isHttpUrl, downloadToFile } = require('../download') as typeof import('../download');
  if (isHttpUrl(source)) return fs.createReadStream(await downloadToFile(source, dir));
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch {
    throw new PierError(`checking source file: stat ${source}: no such file or directory`);
  }
  if (st.isDirectory()) throw new PierError(`${source}: is a directory, expected a tarball`);
  return fs.createReadStream(source);
}

function hostArch(): string {
  const m: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return m[process.arch] ?? process.arch;
}

/** Import `source` as an image; returns its id. */
export async function importTarball(store: Store, source: string, opts: ImportOptions = {}): Promise<string> {
  const progress = opts.progress ?? silent;
  // Validate everything cheap before reading the tarball.
  const containerConfig = applyChanges({}, opts.changes ?? []);
  let name: string | undefined;
  if (opts.reference) {
    const { normalizeLocalName } = require('../lookup') as typeof import('../lookup');
    try {
      name = normalizeLocalName(opts.reference);
    } catch (e) {
      throw new UsageError(`${opts.reference}: ${errorMessage(e)}`);
    }
  }
  const staging = storeStagingDir(store);
  const created: string[] = [];
  try {
    const tmp = path.join(staging, 'layer');
    const h = createHash('sha256');
    let size = 0;
    // A gzip tarball is kept as the layer's blob; bzip2, xz and zstd ones (podman takes them too)
    // are stored as the plain tar.
    const { head: magic, stream: raw } = await peekStream(await openSource(source, staging), MAGIC_BYTES);
    const c = detectCompression(magic);
    const stages: NodeJS.ReadWriteStream[] = c && c !== 'gzip' ? [decompressor(c, `decompressing ${c} tarball`)] : [];
    await (pipeline as (...s: unknown[]) => Promise<void>)(raw, ...stages,
      new Transform({ transform(ch: Buffer, _e, cb) { h.update(ch); size += ch.length; cb(null, ch); } }),
      fs.createWriteStream(tmp, { mode: 0o600 }));
    if (size === 0) throw new PierError(`${source}: empty tarball`);
    const digest = 'sha256:' + h.digest('hex');
    const head = Buffer.alloc(2);
    const fd = fs.openSync(tmp, 'r');
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const mediaType = gzip ? MT.ociLayerGzip : MT.ociLayer;

    progress.line('Getting image source signatures');
    progress.line(`Copying blob ${digest}`);
    const existed = new Set(store.layers.all().map((l) => l.id));
    const layer = await store.layers.apply(null, fs.createReadStream(tmp), { keepBlob: { digest, size, mediaType } });
    if (!existed.has(layer.id)) created.push(layer.id);

    const now = new Date().toISOString();
    const platform = opts.platform ?? {};
    const cfg: Record<string, unknown> = {
      created: now,
      architecture: platform.arch || hostArch(),
      os: platform.os || 'linux',
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: containerConfig,
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{
        created: now,
        created_by: `/bin/sh -c #(nop) ADD file:${hexOf(layer.diffId)} in / `,
        comment: opts.message || 'imported from tarball',
      }],
    };
    cfg.comment = opts.message || 'imported from tarball';
    const configRaw = JSON.stringify(cfg);
    const configDigest = sha256(configRaw);
    progress.line(`Copying config ${configDigest}`);
    const blob = store.layers.get(layer.id)!;
    const manifest = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: configDigest, size: Buffer.byteLength(configRaw) },
      layers: [{
        mediaType: blob.compressedMediaType ?? mediaType, digest: blob.compressedDigest ?? digest, size: blob.compressedSize ?? size,
      }],
    });
    progress.line('Writing manifest to image destination');
    const img = store.images.put({
      id: hexOf(configDigest), configRaw, topLayer: layer.id, size: layer.uncompressedSize,
      manifest, manifestDigest: sha256(manifest), manifestMediaType: MT.ociManifest,
      names: name ? [name] : [],
    });
    progress.line('Storing signatures');
    return img.id;
  } catch (e) {
    rollbackLayers(store, created);
    throw e;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
