// The non-registry transports, both ways: `pier push IMG docker-archive:/x.tar` (also
// oci-archive:, oci:, dir:) and `pier pull oci:/layout:name` (and the others).
import * as fs from 'node:fs';
import { Store } from '../../storage/store';
import { ImageRecord } from '../../storage/images';
import type { ProgressSink } from '../../domain/images';
import { PierError, UsageError, errorMessage } from '../../util/errors';
import { parseTransportReference, TransportReference } from '../reference';
import {
  exportImage, ociNaming, writeOciManifest, updateOciIndex, writeDirLayout, writeOciLayout, storeStagingDir, stagingDirFor,
  writeTarOutput, replaceDir, MT, REF_NAME_ANNOTATION,
} from './layout';
import { writeDockerArchiveDir } from './save';
import { LayoutFiles, SourceImage, unpackArchive, dockerArchiveImages, ociLayoutImages, dirLayoutImages } from './sources';
import { storeImages } from './load';

function parseDest(destination: string): TransportReference {
  const t = parseTransportReference(destination, { defaultTransport: null });
  if ((t.transport === 'docker-archive' || t.transport === 'oci-archive' || t.transport === 'oci') && t.index !== undefined) {
    throw new UsageError(`Invalid destination ${destination}: a source index (@N) cannot be used when writing`);
  }
  return t;
}

/** Write `img` to a docker-archive:, oci-archive:, oci: or dir: destination. */
export async function writeToTransport(store: Store, img: ImageRecord, destination: string): Promise<void> {
  const t = parseDest(destination);
  try {
    switch (t.transport) {
      case 'docker-archive': {
        const staging = storeStagingDir(store);
        try {
          const tags = t.ref ? [`${t.ref.registry}/${t.ref.repository}:${t.ref.tag ?? 'latest'}`] : [];
          await writeDockerArchiveDir(store, staging, [{ img, tags }]);
          await writeTarOutput(staging, t.path);
        } finally {
          fs.rmSync(staging, { recursive: true, force: true });
        }
        return;
      }
      case 'oci-archive': {
        const staging = storeStagingDir(store);
        try {
          const e = await exportImage(store, img, staging, ociNaming, true, { oci: true });
          updateOciIndex(staging, [writeOciManifest(staging, e, t.image)]);
          await writeTarOutput(staging, t.path);
        } finally {
          fs.rmSync(staging, { recursive: true, force: true });
        }
        return;
      }
      case 'oci': {
        await writeOciLayout(store, img, t.path, t.image, true);
        return;
      }
      case 'dir': {
        const staging = stagingDirFor(t.path);
        try {
          const kind = img.manifestMediaType === MT.dockerManifest ? 'docker' : 'oci';
          await writeDirLayout(store, img, staging, kind, false);
          replaceDir(staging, t.path, ['version', 'manifest.json']);
        } finally {
          fs.rmSync(staging, { recursive: true, force: true });
        }
        return;
      }
      default:
        throw new UsageError(`cannot write to ${destination}: unsupported transport ${t.transport}`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new PierError(`writing to ${destination}: ${errorMessage(e)}`, (e as any)?.exitCode);
  }
}

/** Pick the one image a source reference means. */
function pick(images: SourceImage[], where: string, index: number | undefined, match?: (i: SourceImage) => boolean): SourceImage {
  if (index !== undefined) {
    if (index >= images.length) throw new PierError(`${where}: invalid source index @${index}, only ${images.length} image(s) in the archive`);
    return images[index];
  }
  if (match) {
    const hit = images.find(match);
    if (!hit) throw new PierError(`${where}: no image matching the reference found`);
    return hit;
  }
  if (images.length > 1) throw new PierError(`${where}: more than one image in the archive, please specify one with :NAME or :@INDEX`);
  return images[0];
}

/** Store the image a docker-archive:, oci-archive:, oci: or dir: reference names; returns its id. */
export async function pullFromTransport(store: Store, source: string, opts: { progress?: ProgressSink } = {}): Promise<string[]> {
  const t = parseTransportReference(source, { defaultTransport: null });
  const where = source;
  let staging: string | undefined;
  try {
    let files: LayoutFiles;
    if (t.transport === 'docker-archive' || t.transport === 'oci-archive') {
      if (!fs.existsSync(t.path)) throw new PierError(`open ${t.path}: no such file or directory`);
      staging = storeStagingDir(store);
      files = await unpackArchive(fs.createReadStream(t.path), staging);
    } else if (t.transport === 'oci' || t.transport === 'dir') {
      if (!fs.existsSync(t.path)) throw new PierError(`open ${t.path}: no such file or directory`);
      files = new LayoutFiles(t.path);
    } else {
      throw new UsageError(`unsupported transport ${t.transport}`);
    }
    let img: SourceImage;
    switch (t.transport) {
      case 'docker-archive': {
        const images = dockerArchiveImages(files);
        const want = t.ref ? `${t.ref.registry}/${t.ref.repository}:${t.ref.tag ?? 'latest'}` : undefined;
        img = pick(images, where, t.index, want ? (i) => i.names.includes(want) : undefined);
        if (want) img = { ...img, names: [want] };
        break;
      }
      case 'oci-archive':
      case 'oci': {
        const all = ociLayoutImages(files, t.image ? (d) => d.annotations?.[REF_NAME_ANNOTATION] === t.image : undefined);
        img = pick(all, where, t.image ? undefined : t.index);
        if (t.transport === 'oci' && t.image) {
          const { normalizeLocalName } = require('../lookup') as typeof import('../lookup');
          img = { ...img, names: [normalizeLocalName(t.image)] };
        }
        break;
      }
      default:
        img = dirLayoutImages(files)[0];
    }
    return await storeImages(store, [img], opts.progress);
  } finally {
    if (staging) fs.rmSync(staging, { recursive: true, force: true });
  }
}
