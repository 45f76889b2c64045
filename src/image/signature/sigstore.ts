// sigstoreSigned (containers-policy.json(5)) with a public key: signatures stored in the
// registry as "sigstore attachments" (an OCI manifest tagged sha256-<hex>.sig in the image's
// repository, one layer per signature: the JSON payload, with its base64 signature in the
// dev.cosignproject.cosign/signature annotation), read when registries.d says
// use-sigstore-attachments. Verification is node's crypto (SHA-256; ECDSA, RSA or Ed25519
// keys in PEM). Fulcio and Rekor are not part of podman 4.3's policy format.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { PierError } from '../../util/errors';
import { sha256 } from '../../util/digest';
import { ImageReference } from '../reference';
import type { RegistryClient } from '../registry/client';
import { RegistryNotFoundError } from '../registry/errors';
import { MEDIA_TYPES } from '../registry/client';
import { identityMatches, parsePayload, SignedByRequirement } from './simple';

export const SIGSTORE_SIGNATURE_MIME = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGSTORE_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const SIGSTORE_SIGNATURE_TYPE = 'cosign container image signature';

export interface SigstoreSignature {
  mimeType: string;
  payload: Buffer;
  annotations: Record<string, string>;
}

export interface SigstoreRequirement {
  type: 'sigstoreSigned';
  keyPath?: string;
  keyData?: string;
  signedIdentity?: SignedByRequirement['signedIdentity'];
}

/** The attachments of a manifest digest (none when the attachment manifest does not exist). */
export async function sigstoreAttachments(client: RegistryClient, ref: ImageReference, manifestDigest: string): Promise<SigstoreSignature[]> {
  const tag = manifestDigest.replace(':', '-') + '.sig';
  let m;
  try {
    m = await client.getManifest(ref.repository, tag, [MEDIA_TYPES.ociManifest]);
  } catch (e) {
    if (e instanceof RegistryNotFoundError) return [];
    throw e;
  }
  if (m.mediaType !== MEDIA_TYPES.ociManifest) {
    throw new PierError(`unexpected MIME type for sigstore attachment manifest ${ref.name}:${tag}: ${JSON.stringify(m.mediaType)}`);
  }
  let doc: { layers?: Array<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> }> };
  try {
    doc = JSON.parse(m.body.toString('utf8'));
  } catch (e) {
    throw new PierError(`parsing manifest ${ref.name}:${tag}: ${(e as Error).message}`);
  }
  const out: SigstoreSignature[] = [];
  for (const layer of doc.layers ?? []) {
    if (layer.size > 4 * 1024 * 1024) throw new PierError(`sigstore attachment ${layer.digest} is too large`);
    const chunks: Buffer[] = [];
    for await (const c of await client.getBlob(ref.repository, layer.digest, layer.size)) chunks.push(c as Buffer);
    const payload = Buffer.concat(chunks);
    if (sha256(payload) !== layer.digest) throw new PierError(`sigstore attachment ${layer.digest}: digest mismatch`);
    out.push({ mimeType: layer.mediaType, payload, annotations: layer.annotations ?? {} });
  }
  return out;
}

function publicKeyOf(req: SigstoreRequirement): crypto.KeyObject {
  let pem: Buffer;
  if (req.keyData !== undefined) pem = Buffer.from(req.keyData, 'base64');
  else {
    try { pem = fs.readFileSync(req.keyPath!); } catch (e) {
      throw new PierError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `open ${req.keyPath}: no such file or directory` : (e as Error).message);
    }
  }
  try {
    return crypto.createPublicKey(pem);
  } catch (e) {
    throw new PierError(`parsing public key: ${(e as Error).message}`);
  }
}

/**
 * Check a sigstoreSigned requirement against the image's sigstore attachments and the number
 * of its other (simple signing) signatures. Throws the rejection without "Source image rejected: ".
 */
export function checkSigstoreSigned(req: SigstoreRequirement, intended: ImageReference, manifest: Buffer, sigs: SigstoreSignature[], otherSignatures: number): void {
  const key = publicKeyOf(req);
  const digest = sha256(manifest);
  const reasons: string[] = [];
  let nonSignatures = 0;
  for (const s of sigs) {
    if (s.mimeType !== SIGSTORE_SIGNATURE_MIME) { nonSignatures++; continue; }
    try {
      const b64 = s.annotations[SIGSTORE_SIGNATURE_ANNOTATION];
      if (b64 === undefined) throw new PierError(`missing ${SIGSTORE_SIGNATURE_ANNOTATION} annotation`);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new PierError('base64 decoding: illegal base64 data');
      const raw = Buffer.from(b64, 'base64');
      const algo = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
      let good = false;
      try { good = crypto.verify(algo, s.payload, key, raw); } catch { /* a malformed signature does not verify */ }
      if (!good) throw new PierError('cryptographic signature verification failed: invalid signature');
      const p = parsePayload(s.payload, SIGSTORE_SIGNATURE_TYPE);
      if (p.manifestDigest !== digest) throw new PierError(`Signature for digest ${p.manifestDigest} does not match`);
      if (!identityMatches({ type: 'signedBy', signedIdentity: req.signedIdentity }, intended, p.dockerReference)) {
        throw new PierError(`Signature for identity ${p.dockerReference} is not accepted`);
      }
      return;
    } catch (e) {
      if (!(e instanceof PierError)) throw e;
      reasons.push(e.message);
    }
  }
  if (!reasons.length) {
    throw new PierError(otherSignatures || nonSignatures
      ? `A signature was required, but no signature exists (${otherSignatures} non-sigstore signatures, ${nonSignatures} sigstore non-signature attachments)`
      : 'A signature was required, but no signature exists');
  }
  throw new PierError(reasons.length === 1 ? reasons[0] : `None of the signatures were accepted, reasons: ${reasons.join('; ')}`);
}
