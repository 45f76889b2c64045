// Pushing a local image to a registry (blobs the registry has are skipped, blobs in another
// repository of the same registry are mounted) or to an archive/layout transport.
import * as fs from 'node:fs';
import { Store } from '../storage/store';
import { ImageRecord, manifestAnnotations } from '../storage/images';
import { EngineConfig } from '../config/config';
import type { PushOptions, ProgressSink } from '../domain/images';
import { parseReference, ImageReference } from './reference';
import { loadRegistriesConf, isInsecure, assertNotBlocked } from './config/registries';
import { clientFor } from './registry/connect';
import { MEDIA, parallel } from './pull';
import { PierError, errorMessage } from '../util/errors';
import { hexOf, sha256 } from '../util/digest';
import { refName } from './lookup';

const silent: ProgressSink = { line: () => undefined };

interface BlobRef { digest: string; size: number; mediaType: string; layerId: string }

/** The manifest to push and its blobs: the pulled manifest when every blob is at hand. */
async function manifestFor(store: Store, img: ImageRecord, format?: 'oci' | 'v2s2'): Promise<{ body: Buffer; mediaType: string; layers: BlobRef[] }> {
  const chain = store.layers.chain(img.topLayer);
  const stored = img.manifest ? JSON.parse(img.manifest) : null;
  const storedType = img.manifestMediaType ?? stored?.mediaType;
  const reuse = stored && Array.isArray(stored.layers) && stored.layers.length === chain.length &&
    chain.every((l, i) => l.compressedDigest === stored.layers[i].digest && store.layers.hasBlob(l.compressedDigest!) &&
      /gzip|zstd/.test(stored.layers[i].mediaType ?? '')) &&
    (!format || (format === 'oci') === (storedType === MEDIA.ociManifest));
  if (reuse) {
    return {
      body: Buffer.from(img.manifest!, 'utf8'),
      mediaType: storedType,
      layers: chain.map((l, i) => ({ digest: stored.layers[i].digest, size: stored.layers[i].size, mediaType: stored.layers[i].mediaType, layerId: l.id })),
    };
  }
  const { layerBlob } = require('../storage/diff') as typeof import('../storage/diff');
  const oci = format !== 'v2s2';
  const layers: BlobRef[] = [];
  for (const l of chain) {
    const b = await layerBlob(store, l);
    layers.push({ digest: b.digest, size: b.size, mediaType: oci ? MEDIA.ociLayerGzip : MEDIA.dockerLayerGzip, layerId: l.id });
  }
  // Manifest annotations go along in an OCI manifest (a Docker one has no place for them).
  const annotations = oci ? manifestAnnotations(img) : {};
  const manifest = {
    schemaVersion: 2,
    mediaType: oci ? MEDIA.ociManifest : MEDIA.dockerManifest,
    config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: `sha256:${img.id}`, size: Buffer.byteLength(img.configRaw) },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  return { body: Buffer.from(JSON.stringify(manifest)), mediaType: manifest.mediaType, layers };
}

const INVALIDATES_SIGNATURES = 'Copying this image would require changing layer representation, which we cannot do: "Would invalidate signatures"';

/**
 * The signatures push --sign-by and --sign-by-sigstore-private-key make of a manifest for the
 * identity (the destination as written, with :latest when it names no tag).
 */
export async function signatures(body: Buffer, identity: ImageReference, opts: PushOptions, progress: ProgressSink): Promise<import('./signature/stored').Signature[]> {
  const out: import('./signature/stored').Signature[] = [];
  try {
    if (opts.signBy) {
      const { signManifest } = require('./signature/simple') as typeof import('./signature/simple');
      progress.line('Signing manifest using simple signing');
      out.push({ kind: 'simple', blob: await signManifest(body, identity.toString(), opts.signBy, opts.signPassphrase) });
    }
    if (opts.signBySigstorePrivateKey) {
      const { sigstoreSignManifest } = require('./signature/sigstore-sign') as typeof import('./signature/sigstore-sign');
      progress.line('Signing manifest using a sigstore signature');
      out.push({ kind: 'sigstore', sig: sigstoreSignManifest(body, identity.toString(), opts.signBySigstorePrivateKey, opts.signPassphrase ?? '') });
    }
  } catch (e) {
    throw new PierError(`creating signature: ${errorMessage(e)}`);
  }
  return out;
}

/** How a manifest list's push puts an instance: under its own digest, reporting what it wrote. */
export interface InstancePush {
  /** The identity signatures name (a list's instances: the list's destination). */
  identity?: ImageReference;
  byDigest?: boolean;
  result?: (r: { digest: string; mediaType: string; size: number }) => void;
}

export async function pushImage(store: Store, cfg: EngineConfig, img: ImageRecord, source: string, destination: string | undefined,
  opts: PushOptions, instance: InstancePush = {}): Promise<string> {
  const progress = opts.progress ?? silent;
  let dest = destination ?? source;
  // The image's own signatures go along (containers/image's copy), unless --remove-signatures.
  const { storedSignatures } = require('./signature/stored') as typeof import('./signature/stored');
  const carried = opts.removeSignatures ? [] : storedSignatures(img);
  if (!opts.removeSignatures) progress.line('Getting image source signatures');
  if (carried.length) progress.line('Checking if image destination supports signatures');
  if (/^(docker-archive|oci-archive|oci|dir):/.test(dest)) {
    if (opts.signBy || opts.signBySigstorePrivateKey) throw new PierError(`signing is supported for docker:// destinations only: ${dest}`);
    const { writeToTransport } = require('./archive/transports') as typeof import('./archive/transports');
    if (carried.length) {
      const oci = /^oci(-archive)?:/.test(dest);
      // What containers/image names the destination: an OCI reference always has its ":image" part.
      const archive = /^docker-archive:([^:]*):(.+)$/.exec(dest);
      const name = oci && dest.split(':').length < 3 ? `${dest}:` : archive ? `docker-archive:${archive[1]}:${parseReference(archive[2]).toString()}` : dest;
      if (oci) throw new PierError(`Can not copy signatures to ${name}: Pushing signatures for OCI images is not supported`);
      if (dest.startsWith('docker-archive:')) throw new PierError(`Can not copy signatures to ${name}: Storing signatures for docker tar files is not supported`);
      // dir: holds uncompressed layers, so another manifest than the one signed.
      throw new PierError(INVALIDATES_SIGNATURES);
    }
    await writeToTransport(store, img, dest);
    progress.line('Writing manifest to image destination');
    return img.id;
  }
  if (dest.startsWith('docker://')) dest = dest.slice('docker://'.length);
  const ref: ImageReference = parseReference(dest);
  if (!destination && !ref.explicitRegistry) {
    throw new PierError(`${source}: pushing requires a fully qualified destination or a name with a registry`);
  }
  // As containers/image does, a push goes to the reference as written: registries.conf
  // locations and mirrors only rewrite pulls. It still decides whether the registry is insecure.
  const conf = loadRegistriesConf({ path: cfg.registriesConf });
  assertNotBlocked(conf, ref);
  const target = ref;
  const client = clientFor(cfg, target, { ...opts, insecure: isInsecure(conf, ref.registry), push: true });
  const where = `docker://${refName(ref, true)}`;
  try {
    const { body, mediaType, layers } = await manifestFor(store, img, opts.format);
    // Signatures hold for the manifest they name: one that must be rewritten cannot keep them.
    if (carried.length && sha256(body) !== img.manifestDigest) throw new PierError(INVALIDATES_SIGNATURES);
    const sameRegistryRepos = img.repoDigests.concat(img.names)
      .map((n) => n.split('@')[0].replace(/:[^/:]*$/, ''))
      .filter((n) => n.startsWith(target.registry + '/'))
      .map((n) => n.slice(target.registry.length + 1))
      .filter((r) => r !== target.repository);
    await parallel(layers, 4, async (l) => {
      const short = hexOf(l.digest).slice(0, 12);
      // containers/image first tries to reuse each layer: a failed existence check is reported as that.
      const exists = await client.blobExists(target.repository, l.digest).catch((e) => {
        throw new PierError(`trying to reuse blob ${l.digest} at destination: ${errorMessage(e)}`, (e as any)?.exitCode);
      });
      if (exists !== null) {
        progress.line(`Copying blob ${short} skipped: already exists`);
        return;
      }
      for (const from of [...new Set(sameRegistryRepos)]) {
        if (await client.mountBlob(target.repository, l.digest, from).catch(() => false)) {
          progress.line(`Copying blob ${short} skipped: already exists`);
          return;
        }
      }
      progress.line(`Copying blob ${l.digest}`);
      const path = store.layers.blobPath(l.digest);
      await client.uploadBlob(target.repository, l.digest, l.size, () => fs.createReadStream(path));
      progress.blobDone?.(short);
    });
    progress.line(`Copying config sha256:${img.id}`);
    const configBuf = Buffer.from(img.configRaw, 'utf8');
    if ((await client.blobExists(target.repository, `sha256:${img.id}`)) === null) {
      await client.uploadBlob(target.repository, `sha256:${img.id}`, configBuf.length, () => require('node:stream').Readable.from([configBuf]));
    }
    progress.line('Writing manifest to image destination');
    const digest = await client.putManifest(target.repository, instance.byDigest ? sha256(body) : ref.digest ?? ref.tag ?? 'latest', mediaType, body);
    const manifestDigest = digest || sha256(body);
    const identity = instance.identity ?? (ref.digest ? ref : ref.withDefaultTag());
    const made = await signatures(body, identity, opts, progress);
    progress.line('Storing signatures');
    const all = [...carried, ...made];
    if (all.length) {
      const { putRegistrySignatures } = require('./signature/stored') as typeof import('./signature/stored');
      const { loadRegistriesD } = require('./signature/registries-d') as typeof import('./signature/registries-d');
      try {
        await putRegistrySignatures(loadRegistriesD(), client, identity, manifestDigest, all);
      } catch (e) {
        throw new PierError(`writing signatures: ${errorMessage(e)}`);
      }
    }
    instance.result?.({ digest: manifestDigest, mediaType, size: body.length });
    if (opts.digestFile) fs.writeFileSync(opts.digestFile, manifestDigest);
    store.images.put({
      id: img.id, configRaw: img.configRaw, topLayer: img.topLayer, size: img.size,
      repoDigests: [`${ref.registry}/${ref.repository}@${manifestDigest}`], digests: [manifestDigest],
      ...(img.manifest ? {} : { manifest: body.toString('utf8'), manifestDigest, manifestMediaType: mediaType }),
    });
    return manifestDigest;
  } catch (e) {
    const msg = errorMessage(e);
    const whole = msg.startsWith('trying to reuse') || msg === INVALIDATES_SIGNATURES || msg.startsWith('creating signature: ') || msg.startsWith('writing signatures: ') || msg.includes(where);
    throw new PierError(whole ? msg : `writing to ${where}: ${msg}`, (e as any).exitCode);
  }
}
