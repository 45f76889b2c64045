// Reading image layouts: a docker-archive / oci-archive tarball (plain or compressed, from a
// file or stdin) unpacked safely into a staging directory, or a directory as given; then
// the images it holds (docker-archive manifest.json, OCI index.json, `dir:` manifest.json)
// with every config and blob checked against its digest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readTar } from '../../storage/tar/reader';
import { decompressedStream } from '../../storage/tar/decompress';
import { cleanEntryPath } from '../../storage/tar/extract';
import { hexOf, sha256 } from '../../util/digest';
import { PierError } from '../../util/errors';
import { MT, REF_NAME_ANNOTATION } from './layout';

export type LayoutKind = 'docker-archive' | 'oci' | 'dir';

/** Files of an unpacked archive or a directory, with archive-internal links resolved. */
export class LayoutFiles {
  /** name → link target (symlinks relative to their dir, hardlinks from the root). */
  readonly links = new Map<string, { target: string; hard: boolean }>();

  constructor(readonly root: string) {}

  /** The host path of `name`, following links recorded from the archive. */
  resolve(name: string): string {
    let rel = cleanEntryPath(name);
    for (let i = 0; i < 32; i++) {
      const l = this.links.get(rel);
      if (!l) return path.join(this.root, rel);
      rel = l.hard ? cleanEntryPath(l.target) : cleanEntryPath(path.posix.join(path.posix.dirname(rel), l.target));
    }
    throw new PierError(`${name}: too many levels of symbolic links`);
  }

  exists(name: string): boolean {
    try {
      return fs.statSync(this.resolve(name)).isFile();
    } catch {
      return false;
    }
  }

  read(name: string): Buffer {
    try {
      return fs.readFileSync(this.resolve(name));
    } catch (e: any) {
      if (e.code === 'ENOENT') throw new PierError(`file ${name} not found in archive`);
      throw e;
    }
  }

  json(name: string): any {
    const b = this.read(name);
    try {
      return JSON.parse(b.toString('utf8'));
    } catch (e: any) {
      throw new PierError(`parsing ${name}: ${e.message}`);
    }
  }
}

/** The archive's tar stream: gzip, bzip2, xz and zstd are undone. */
export async function decompressed(input: Readable): Promise<Readable> {
  const { stream, head } = await decompressedStream(input, (c) => `decompressing ${c} archive`);
  if (head.length === 0) throw new PierError('archive is empty');
  return stream;
}

/** Unpack a tar stream's files into `dir`; links are recorded, never created. */
export async function unpackArchive(input: Readable, dir: string): Promise<LayoutFiles> {
  const files = new LayoutFiles(dir);
  const tar = await decompressed(input);
  try {
    for await (const e of readTar(tar)) {
      const rel = cleanEntryPath(e.name);
      if (rel === '') continue;
      const dest = path.join(dir, rel);
      switch (e.type) {
        case 'dir':
          fs.mkdirSync(dest, { recursive: true });
          break;
        case 'file':
          files.links.delete(rel);
          fs.mkdirSync(path.dirname(dest), { recursive: true });
          // Opened here, not by the stream: its asynchronous open could still create the file after
          // a failed entry's caller has removed the staging dir (rmdir then fails with ENOTEMPTY).
          await pipeline(e.stream(), fs.createWriteStream(dest, { fd: fs.openSync(dest, 'w', 0o600) }));
          break;
        case 'symlink':
          files.links.set(rel, { target: e.linkname, hard: false });
          break;
        case 'hardlink':
          files.links.set(rel, { target: e.linkname, hard: true });
          break;
        default:
          break; // devices and fifos have no place in an image archive
      }
    }
  } catch (e: any) {
    tar.destroy();
    if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message)) throw new PierError('archive is truncated: unexpected end of compressed data');
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) throw new PierError(`decompressing archive: ${e.message}`);
    throw e;
  }
  return files;
}

/** One layer to import: its file and what it must hash to. */
export interface SourceLayer {
  file: string;
  /** The blob digest the file must have (from a manifest), if any. */
  digest?: string;
  mediaType?: string;
  diffId: string;
}

/** One image found in a layout. */
export interface SourceImage {
  configRaw: string;
  configDigest: string;
  layers: SourceLayer[];
  names: string[];
  manifest?: { body: string; digest: string; mediaType: string };
  /** The format it came in, for error messages. */
  format: 'docker-archive' | 'oci-archive' | 'dir';
}

function isHex64(s: string): boolean {
  return /^[a-f0-9]{64}$/.test(s);
}

/** Check that `buf` hashes to `digest`. */
function verify(buf: Buffer, digest: string, what: string): void {
  const got = sha256(buf);
  if (got !== digest) throw new PierError(`${what} digest mismatch: expected ${digest}, got ${got}`);
}

function configOf(raw: Buffer, where: string): { cfg: any; diffIds: string[] } {
  let cfg: any;
  try {
    cfg = JSON.parse(raw.toString('utf8'));
  } catch (e: any) {
    throw new PierError(`parsing image configuration ${where}: ${e.message}`);
  }
  const diffIds = cfg?.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.some((d) => typeof d !== 'string')) throw new PierError(`image configuration ${where} has no rootfs.diff_ids`);
  return { cfg, diffIds };
}

function normalizeDockerName(tag: string): string {
  const { parseReference } = require('../reference') as typeof import('../reference');
  const r = parseReference(tag);
  return `${r.registry}/${r.repository}:${r.tag ?? 'latest'}`;
}

function normalizeOciName(name: string): string | undefined {
  const { normalizeLocalName } = require('../lookup') as typeof import('../lookup');
  try {
    return normalizeLocalName(name);
  } catch {
    return undefined;
  }
}

/** Images listed in a docker-archive's manifest.json (also in Docker 25+ OCI-style archives). */
export function dockerArchiveImages(files: LayoutFiles): SourceImage[] {
  if (!files.exists('manifest.json')) throw new PierError('loading tar component "manifest.json": file does not exist');
  const list = files.json('manifest.json');
  if (!Array.isArray(list)) throw new PierError('manifest.json is not a docker-archive manifest list');
  if (list.length === 0) throw new PierError('archive contains no images');
  return list.map((item: any, i: number) => {
    if (typeof item?.Config !== 'string' || !Array.isArray(item.Layers)) throw new PierError(`manifest.json entry ${i} is invalid`);
    const configBuf = files.read(item.Config);
    const configDigest = sha256(configBuf);
    const base = path.posix.basename(item.Config).replace(/\.json$/, '');
    if (isHex64(base) && base !== hexOf(configDigest)) {
      throw new PierError(`config ${item.Config} digest mismatch: got ${configDigest}`);
    }
    const { diffIds } = configOf(configBuf, item.Config);
    if (diffIds.length !== item.Layers.length) {
      throw new PierError(`image ${i} in manifest.json lists ${item.Layers.length} layers but its config has ${diffIds.length} diff IDs`);
    }
    const layers: SourceLayer[] = item.Layers.map((l: string, j: number) => {
      const file = files.resolve(l);
      if (!fs.existsSync(file)) throw new PierError(`loading tar component "${l}": file does not exist`);
      const b = path.posix.basename(l);
      const m = /^(?:sha256:)?([a-f0-9]{64})(?:\.tar)?$/.exec(b);
      // Docker 25+ names layers by blob digest (blobs/sha256/<hex>): that digest must hold.
      return { file, diffId: diffIds[j], ...(m && l.startsWith('blobs/') ? { digest: `sha256:${m[1]}` } : {}) };
    });
    const names = Array.isArray(item.RepoTags) ? item.RepoTags.map((t: string) => normalizeDockerName(t)) : [];
    return { configRaw: configBuf.toString('utf8'), configDigest, layers, names, format: 'docker-archive' as const };
  });
}

/** The manifests an OCI layout's index.json lists (nested indexes: the host platform's or all). */
export function ociLayoutImages(files: LayoutFiles, select?: (d: any, i: number) => boolean): SourceImage[] {
  if (!files.exists('index.json')) throw new PierError('open index.json: no such file or directory');
  const index = files.json('index.json');
  if (!Array.isArray(index?.manifests)) throw new PierError('index.json is not an OCI image index');
  const blob = (d: string) => {
    if (!/^sha256:[a-f0-9]{64}$/.test(d)) throw new PierError(`unsupported digest ${d}`);
    return `blobs/sha256/${hexOf(d)}`;
  };
  const out: SourceImage[] = [];
  const visit = (desc: any, name: string | undefined, depth: number) => {
    const body = files.read(blob(desc.digest));
    verify(body, desc.digest, `manifest ${desc.digest}`);
    const doc = JSON.parse(body.toString('utf8'));
    const mt = doc.mediaType ?? desc.mediaType;
    if (mt === MT.ociIndex || mt === MT.dockerList || Array.isArray(doc.manifests)) {
      if (depth > 4) throw new PierError('index nesting too deep');
      const { hostPlatform } = require('../registry/platform') as typeof import('../registry/platform');
      const host = hostPlatform();
      const children = (doc.manifests as any[]).filter((m) => !m.platform || (m.platform.os === host.os && m.platform.architecture === host.arch));
      if (!children.length) throw new PierError(`no image found in index ${desc.digest} for architecture ${host.arch}, OS ${host.os}`);
      visit(children[0], name, depth + 1);
      return;
    }
    if (!doc.config?.digest || !Array.isArray(doc.layers)) throw new PierError(`manifest ${desc.digest} is invalid`);
    const configBuf = files.read(blob(doc.config.digest));
    verify(configBuf, doc.config.digest, 'config');
    const { diffIds } = configOf(configBuf, doc.config.digest);
    if (diffIds.length !== doc.layers.length) {
      throw new PierError(`manifest ${desc.digest} lists ${doc.layers.length} layers but its config has ${diffIds.length} diff IDs`);
    }
    const layers = doc.layers.map((l: any, j: number) => {
      const file = files.resolve(blob(l.digest));
      if (!fs.existsSync(file)) throw new PierError(`blob ${l.digest} not found in layout`);
      return { file, digest: l.digest, mediaType: l.mediaType, diffId: diffIds[j] };
    });
    out.push({
      configRaw: configBuf.toString('utf8'), configDigest: doc.config.digest, layers,
      names: name ? [name] : [],
      manifest: { body: body.toString('utf8'), digest: desc.digest, mediaType: mt ?? MT.ociManifest },
      format: 'oci-archive',
    });
  };
  (index.manifests as any[]).forEach((d, i) => {
    if (select && !select(d, i)) return;
    const a = d.annotations ?? {};
    const raw: string | undefined = a['io.containerd.image.name'] ?? a[REF_NAME_ANNOTATION];
    const name = raw ? (a['io.containerd.image.name'] ? normalizeDockerName(raw) : normalizeOciName(raw)) : undefined;
    visit(d, name, 0);
  });
  if (!out.length) throw new PierError('no image found in the OCI layout');
  return out;
}

/** The image of a `dir:` transport directory. */
export function dirLayoutImages(files: LayoutFiles): SourceImage[] {
  if (!files.exists('manifest.json')) throw new PierError('open manifest.json: no such file or directory');
  const body = files.read('manifest.json');
  const doc = JSON.parse(body.toString('utf8'));
  if (Array.isArray(doc) || !doc.config?.digest || !Array.isArray(doc.layers)) throw new PierError('manifest.json is not an image manifest');
  const configBuf = files.read(hexOf(doc.config.digest));
  verify(configBuf, doc.config.digest, 'config');
  const { diffIds } = configOf(configBuf, doc.config.digest);
  if (diffIds.length !== doc.layers.length) throw new PierError(`manifest lists ${doc.layers.length} layers but the config has ${diffIds.length} diff IDs`);
  return [{
    configRaw: configBuf.toString('utf8'), configDigest: doc.config.digest, names: [],
    layers: doc.layers.map((l: any, j: number) => ({ file: files.resolve(hexOf(l.digest)), digest: l.digest, mediaType: l.mediaType, diffId: diffIds[j] })),
    manifest: { body: body.toString('utf8'), digest: sha256(body), mediaType: doc.mediaType ?? MT.ociManifest },
    format: 'dir',
  }];
}

/** Which layout `files` holds. */
export function detectLayout(files: LayoutFiles): LayoutKind | undefined {
  if (files.exists('manifest.json')) {
    try {
      return Array.isArray(files.json('manifest.json')) ? 'docker-archive' : 'dir';
    } catch {
      return undefined;
    }
  }
  if (files.exists('index.json')) return 'oci';
  return undefined;
}
