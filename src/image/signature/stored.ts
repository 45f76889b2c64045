// Signatures as an image carries them from a source to a destination (containers/image's
// internal signature forms): simple signing ones (a bare OpenPGP message) and sigstore ones
// (a payload, its MIME type and annotations). In the image store and in lookaside files they
// are kept as blobs: simple signing bare, sigstore as "\0sigstore-json\n" + JSON.
import { Readable } from 'node:stream';
import { PierError } from '../../util/errors';
import { sha256 } from '../../util/digest';
import { ImageReference } from '../reference';
import { MEDIA_TYPES, RegistryClient } from '../registry/client';
import { RegistryNotFoundError } from '../registry/errors';
import { RegistriesD, lookasideBase, useSigstoreAttachments } from './registries-d';
import { readLookaside, putSignatures } from './simple';
import { SigstoreSignature, sigstoreAttachments } from './sigstore';

export type Signature = { kind: 'simple'; blob: Buffer } | { kind: 'sigstore'; sig: SigstoreSignature };

const SIGSTORE_JSON = Buffer.from('\0sigstore-json\n');

/** A stored blob as a signature (containers/image's FromBlob). */
export function signatureFromBlob(blob: Buffer): Signature {
  if (blob.length && blob[0] === 0 && blob.subarray(0, SIGSTORE_JSON.length).equals(SIGSTORE_JSON)) {
    let j: { mimeType?: unknown; payload?: unknown; annotations?: unknown };
    try {
      j = JSON.parse(blob.subarray(SIGSTORE_JSON.length).toString('utf8'));
    } catch (e) {
      throw new PierError(`parsing sigstore signature: ${(e as Error).message}`);
    }
    return {
      kind: 'sigstore',
      sig: {
        mimeType: String(j.mimeType ?? ''),
        payload: Buffer.from(typeof j.payload === 'string' ? j.payload : '', 'base64'),
        annotations: (j.annotations && typeof j.annotations === 'object' ? j.annotations : {}) as Record<string, string>,
      },
    };
  }
  // "\0simple-signing\n" + message is the same signature as the bare message.
  const prefix = Buffer.from('\0simple-signing\n');
  return { kind: 'simple', blob: blob.subarray(0, prefix.length).equals(prefix) ? blob.subarray(prefix.length) : blob };
}

/** The signatures kept with a stored image, of its manifest. */
export function storedSignatures(img: { manifestDigest: string | null; signatures?: Record<string, Buffer[]> }): Signature[] {
  return (img.manifestDigest ? img.signatures?.[img.manifestDigest] ?? [] : []).map(signatureFromBlob);
}

/** A signature as a blob for long-term storage (containers/image's Blob). */
export function signatureBlob(s: Signature): Buffer {
  if (s.kind === 'simple') return s.blob;
  return Buffer.concat([SIGSTORE_JSON, Buffer.from(JSON.stringify({
    mimeType: s.sig.mimeType, payload: s.sig.payload.toString('base64'), annotations: s.sig.annotations,
  }))]);
}

/**
 * The signatures a registry source offers for a manifest digest: the lookaside's (of the
 * reference as pulled), then the sigstore attachments when registries.d enables them.
 */
export async function registrySignatures(conf: RegistriesD, client: RegistryClient, physical: ImageReference, logical: ImageReference,
  manifestDigest: string, tlsVerify: boolean): Promise<Signature[]> {
  const out: Signature[] = (await readLookaside(lookasideBase(conf, logical, false), manifestDigest, tlsVerify)).map(signatureFromBlob);
  if (useSigstoreAttachments(conf, logical)) {
    for (const sig of await sigstoreAttachments(client, physical, manifestDigest)) out.push({ kind: 'sigstore', sig });
  }
  return out;
}

/**
 * Write an image's signatures at a registry destination: simple signing ones become the
 * lookaside's signature-1... of the digest (for writing: the -staging location), sigstore ones
 * are added to the digest's attachment manifest. Nothing is written for no signatures.
 */
export async function putRegistrySignatures(conf: RegistriesD, client: RegistryClient, ref: ImageReference, manifestDigest: string, sigs: Signature[]): Promise<void> {
  const sigstore = sigs.flatMap((s) => s.kind === 'sigstore' ? [s.sig] : []);
  const simple = sigs.filter((s) => s.kind === 'simple');
  if (sigstore.length) {
    if (!useSigstoreAttachments(conf, ref)) throw new PierError('writing sigstore attachments is disabled by configuration');
    await putSigstoreAttachments(client, ref, manifestDigest, sigstore);
  }
  // As containers/image 5.23 does, when there are simple signing signatures the lookaside gets all of them.
  if (simple.length) putSignatures(lookasideBase(conf, ref, true), manifestDigest, sigs.map(signatureBlob));
}

function sameAnnotations(a: Record<string, string>, b: Record<string, string>): boolean {
  return Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
}

const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

async function readBlob(client: RegistryClient, repo: string, digest: string, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await client.getBlob(repo, digest, size)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function putBlob(client: RegistryClient, repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  if ((await client.blobExists(repo, digest)) === null) await client.uploadBlob(repo, digest, data.length, () => Readable.from([data]));
  return digest;
}

/**
 * Add sigstore signatures to the attachment manifest `sha256-<hex>.sig` of a manifest digest
 * (made when there is none): each new one is a layer (the payload, with its annotations) and a
 * diff ID of the attachment's config; ones already there are not added twice.
 */
export async function putSigstoreAttachments(client: RegistryClient, ref: ImageReference, manifestDigest: string, sigs: SigstoreSignature[]): Promise<void> {
  const tag = manifestDigest.replace(':', '-') + '.sig';
  type Desc = { mediaType: string; digest: string; size: number; annotations?: Record<string, string> };
  let manifest: { schemaVersion: number; mediaType: string; config: Desc; layers: Desc[]; [k: string]: unknown };
  let config: { rootfs?: { type?: string; diff_ids?: string[] }; [k: string]: unknown };
  try {
    const m = await client.getManifest(ref.repository, tag, [MEDIA_TYPES.ociManifest]);
    if (m.mediaType !== MEDIA_TYPES.ociManifest) {
      throw new PierError(`unexpected MIME type for sigstore attachment manifest ${ref.name}:${tag}: ${JSON.stringify(m.mediaType)}`);
    }
    manifest = JSON.parse(m.body.toString('utf8'));
    manifest.layers ??= [];
    try {
      config = JSON.parse((await readBlob(client, ref.repository, manifest.config.digest, manifest.config.size)).toString('utf8'));
    } catch (e) {
      throw new PierError(`parsing sigstore attachment config ${manifest.config.digest} in ${ref.name}: ${(e as Error).message}`);
    }
  } catch (e) {
    if (!(e instanceof RegistryNotFoundError)) throw e;
    manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: OCI_CONFIG, digest: '', size: 0 }, layers: [] };
    // An empty image config as Go's encoding/json writes image-spec's struct.
    config = { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } };
  }
  config.rootfs ??= { type: '', diff_ids: [] };
  for (const s of sigs) {
    const digest = sha256(s.payload);
    if (manifest.layers.some((l) => l.mediaType === s.mimeType && l.size === s.payload.length && l.digest === digest && sameAnnotations(l.annotations ?? {}, s.annotations))) continue;
    await putBlob(client, ref.repository, s.payload);
    manifest.layers.push({ mediaType: s.mimeType, digest, size: s.payload.length, annotations: s.annotations });
    (config.rootfs.diff_ids ??= []).push(digest);
  }
  const configBlob = Buffer.from(JSON.stringify(config));
  manifest.config = { mediaType: OCI_CONFIG, digest: await putBlob(client, ref.repository, configBlob), size: configBlob.length };
  await client.putManifest(ref.repository, tag, MEDIA_TYPES.ociManifest, Buffer.from(JSON.stringify(manifest)));
}
