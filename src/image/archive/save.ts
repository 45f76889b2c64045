// `pier save`: images to a docker-archive or oci-archive tarball, an OCI image layout
// directory (oci-dir) or a `dir:` layout with a Docker schema 2 manifest (docker-dir).
// Archives and docker-dir appear only once complete (temp file or dir renamed into place);
// oci-dir adds the image to the layout as containers/image's oci: transport does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../../storage/store';
import { ImageRecord } from '../../storage/images';
import type { SaveOptions } from '../../domain/images';
import { PierError, UsageError, errorMessage } from '../../util/errors';
import { chainId } from '../../storage/layers';
import {
  exportImage, dockerArchiveNaming, ociNaming, writeOciManifest, updateOciIndex, writeDirLayout, writeOciLayout,
  storeStagingDir, stagingDirFor, writeTarOutput, replaceDir, nameForInput, ExportedImage,
} from './layout';

export interface SaveInput {
  input: string;
  img: ImageRecord;
}

/** The reference an extra `save` argument names (a tag for the first image, docker.io default). */
function extraTag(input: string): string {
  const { parseReference } = require('../reference') as typeof import('../reference');
  const r = parseReference(input);
  if (r.digest) throw new UsageError(`invalid reference ${input}: digests are not supported in archive tags`);
  return `${r.registry}/${r.repository}:${r.tag ?? 'latest'}`;
}

/** The docker-archive `repositories` file: repo → tag → top layer id (legacy, for old tools). */
function repositoriesFile(entries: { e: ExportedImage; tags: string[] }[]): string {
  const repos: Record<string, Record<string, string>> = {};
  for (const { e, tags } of entries) {
    let top = '';
    let parent: string | null = null;
    for (const l of e.layers) top = parent = chainId(parent, l.diffId);
    for (const t of tags) {
      const i = t.lastIndexOf(':');
      (repos[t.slice(0, i)] ??= {})[t.slice(i + 1)] = top;
    }
  }
  return JSON.stringify(repos);
}

/** Build a docker-archive directory tree for `groups` (one entry per image) in `dir`. */
export async function writeDockerArchiveDir(store: Store, dir: string, groups: { img: ImageRecord; tags: string[] }[]): Promise<void> {
  const entries: { e: ExportedImage; tags: string[] }[] = [];
  for (const g of groups) {
    const e = await exportImage(store, g.img, dir, dockerArchiveNaming, false);
    entries.push({ e, tags: g.tags });
  }
  const manifest = entries.map(({ e, tags }) => ({
    Config: dockerArchiveNaming.config(e.configDigest),
    RepoTags: tags,
    Layers: e.layers.map((l) => dockerArchiveNaming.layer(l.digest)),
  }));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest), { mode: 0o644 });
  if (entries.some((x) => x.tags.length)) fs.writeFileSync(path.join(dir, 'repositories'), repositoriesFile(entries), { mode: 0o644 });
}

/** Group save inputs into images with their RepoTags, following podman's rules. */
function dockerArchiveGroups(imgs: SaveInput[], multi: boolean): { img: ImageRecord; tags: string[] }[] {
  const groups = new Map<string, { img: ImageRecord; tags: string[] }>();
  const add = (img: ImageRecord, tag: string | undefined) => {
    const g = groups.get(img.id) ?? { img, tags: [] };
    groups.set(img.id, g);
    if (tag && !g.tags.includes(tag)) g.tags.push(tag);
  };
  if (multi) {
    for (const { input, img } of imgs) add(img, nameForInput(img, input));
  } else {
    // Without --multi-image-archive further arguments are extra tags for the first image.
    const first = imgs[0];
    add(first.img, nameForInput(first.img, first.input));
    for (const x of imgs.slice(1)) add(first.img, x.img?.id === first.img.id ? nameForInput(x.img, x.input) : extraTag(x.input));
  }
  return [...groups.values()];
}

/** Save images as `opts.format` to `opts.output` ('-' or undefined: stdout, archives only). */
export async function saveImages(store: Store, imgs: SaveInput[], opts: SaveOptions): Promise<void> {
  if (imgs.length === 0) throw new UsageError('at least one image name must be specified');
  const format = opts.format ?? 'docker-archive';
  if (opts.multiImageArchive && format !== 'docker-archive') {
    throw new UsageError(`unsupported format "${format}" for saving multiple images (only docker-archive)`);
  }
  if (opts.compress && format !== 'docker-dir') throw new UsageError("--compress can only be set when --format is 'docker-dir'");
  const first = imgs[0];
  switch (format) {
    case 'docker-archive': {
      const staging = storeStagingDir(store);
      try {
        await writeDockerArchiveDir(store, staging, dockerArchiveGroups(imgs, !!opts.multiImageArchive));
        await writeTarOutput(staging, opts.output);
      } finally {
        fs.rmSync(staging, { recursive: true, force: true });
      }
      return;
    }
    case 'oci-archive': {
      const staging = storeStagingDir(store);
      try {
        const e = await exportImage(store, first.img, staging, ociNaming, !opts.uncompressed, { oci: true });
        updateOciIndex(staging, [writeOciManifest(staging, e, nameForInput(first.img, first.input))]);
        await writeTarOutput(staging, opts.output);
      } finally {
        fs.rmSync(staging, { recursive: true, force: true });
      }
      return;
    }
    case 'oci-dir': {
      // An OCI image layout (containers/image's oci: transport), gzip layers unless --uncompressed.
      if (!opts.output || opts.output === '-') throw new UsageError(`--output must be a directory for format ${format}`);
      const tag = nameForInput(first.img, first.input);
      try {
        await writeOciLayout(store, first.img, opts.output, tag, !opts.uncompressed);
      } catch (e) {
        throw new PierError(`initializing destination oci:${opts.output}:${tag ?? ''}: ${errorMessage(e)}`);
      }
      return;
    }
    case 'docker-dir': {
      if (!opts.output || opts.output === '-') throw new UsageError(`--output must be a directory for format ${format}`);
      const staging = stagingDirFor(opts.output);
      try {
        await writeDirLayout(store, first.img, staging, 'docker', !!opts.compress);
        replaceDir(staging, opts.output, ['version', 'manifest.json']);
      } finally {
        fs.rmSync(staging, { recursive: true, force: true });
      }
      return;
    }
    default:
      throw new PierError(`unknown format "${format as string}": supported formats are docker-archive, oci-archive, oci-dir and docker-dir`);
  }
}

