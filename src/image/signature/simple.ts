// "Simple signing" (containers-signature(5)): a JSON payload naming an image by its Docker
// reference and manifest digest, signed with GnuPG; signatures kept in lookaside storage as
// <base>/<repository>@<algo>=<hex>/signature-N. Making them (image sign, push --sign-by) and
// checking them against a policy's signedBy requirement on pull.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError, readFileErrorText } from '../../util/errors';
import { send, readBody, discard } from '../registry/http';
import { ImageReference, parseReference } from '../reference';
import { sha256 } from '../../util/digest';
import { EphemeralKeyring, gpgSign } from './gpg';
import { RegistriesD, lookasideBase, signatureURL } from './registries-d';

export const SIGNATURE_TYPE = 'atomic container signature';

/** The JSON payload of a signature (simple signing's, or with sigstore's type). */
export function signaturePayload(dockerReference: string, manifestDigest: string, type = SIGNATURE_TYPE): Buffer {
  return Buffer.from(JSON.stringify({
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type,
    },
    optional: { creator: `pier ${typeof PIER_VERSION === 'string' ? PIER_VERSION : 'dev'}`, timestamp: Math.floor(Date.now() / 1000) },
  }));
}

/** Sign a manifest for `dockerReference` with a key of the user's keyring. */
export function signManifest(manifest: Buffer, dockerReference: string, keyIdentity: string, passphrase?: string): Promise<Buffer> {
  return gpgSign(signaturePayload(dockerReference, sha256(manifest)), keyIdentity, passphrase);
}

/** containers/image's InvalidSignatureError: the reason alone. */
function invalidSig(msg: string): PierError {
  return new PierError(msg);
}

function exactObject(v: unknown, keys: string[], where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidSig(`${where} is not a JSON object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw invalidSig(`Unexpected key "${k}" in ${where}`);
  for (const k of keys) if (!(k in o)) throw invalidSig(`Key "${k}" missing in ${where}`);
  return o;
}

/**
 * Parse a verified payload strictly: exactly the critical fields, the right type (simple
 * signing's, or sigstore's, whose "optional" may be null as cosign writes it).
 */
export function parsePayload(payload: Buffer, type = SIGNATURE_TYPE): { dockerReference: string; manifestDigest: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    throw invalidSig((e as Error).message);
  }
  const top = exactObject(doc, ['critical', 'optional'], 'signature');
  const optional = top.optional === null && type !== SIGNATURE_TYPE ? {} : top.optional;
  if (typeof optional !== 'object' || optional === null || Array.isArray(optional)) throw invalidSig('optional is not a JSON object');
  const ts = (optional as Record<string, unknown>).timestamp;
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isInteger(ts))) throw invalidSig('Field optional.timestamp is not is not an integer');
  const critical = exactObject(top.critical, ['type', 'image', 'identity'], 'critical');
  if (critical.type !== type) throw invalidSig(`Unrecognized signature type ${String(critical.type)}`);
  const image = exactObject(critical.image, ['docker-manifest-digest'], 'critical.image');
  const identity = exactObject(critical.identity, ['docker-reference'], 'critical.identity');
  if (typeof image['docker-manifest-digest'] !== 'string' || typeof identity['docker-reference'] !== 'string') throw invalidSig('fields must be strings');
  return { dockerReference: identity['docker-reference'], manifestDigest: image['docker-manifest-digest'] };
}

// ---------------------------------------------------------------------------------------
// Lookaside storage


/** `image sign`: add a signature as the next free signature-N of the digest's directory. */
export function appendSignature(repoDir: string, manifestDigest: string, sig: Buffer): string {
  const [algo, hex] = manifestDigest.split(':');
  const dir = `${repoDir}@${algo}=${hex}`;
  fs.mkdirSync(dir, { recursive: true, mode: 0o751 });
  const have = new Set(fs.readdirSync(dir));
  let n = 1;
  while (have.has(`signature-${n}`)) n++;
  const file = path.join(dir, `signature-${n}`);
  fs.writeFileSync(file, sig, { mode: 0o644 });
  return file;
}

/** push --sign-by: the pushed image's signatures become exactly `sigs` (signature-1...; later ones removed). */
export function putSignatures(base: URL, manifestDigest: string, sigs: Buffer[]): void {
  if (base.protocol !== 'file:') {
    const u = signatureURL(base, manifestDigest, 0).href;
    throw new PierError(base.protocol === 'http:' || base.protocol === 'https:'
      ? `Writing directly to a ${base.protocol.slice(0, -1)} lookaside ${u} is not supported. Configure a lookaside-staging: location`
      : `Unsupported scheme when writing signature to ${u}`);
  }
  sigs.forEach((sig, i) => {
    const file = decodeURIComponent(signatureURL(base, manifestDigest, i).pathname);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, sig, { mode: 0o644 });
  });
  for (let i = sigs.length; ; i++) {
    const file = decodeURIComponent(signatureURL(base, manifestDigest, i).pathname);
    try { fs.unlinkSync(file); } catch { break; }
  }
}

const MAX_SIGNATURE_SIZE = 4 * 1024 * 1024;

/** First bytes of the OpenPGP packets a simple signing signature (in the historic, bare form) starts with. */
const OPENPGP_START = new Set([0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x3d, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2]);

/**
 * A stored signature's simple-signing blob: a bare OpenPGP message, or one in the
 * "\0<format>\n<data>" form; undefined for a sigstore signature (not a signedBy matter).
 */
export function simpleSigningBlob(blob: Buffer): Buffer | undefined {
  if (blob.length === 0) throw new PierError('empty signature blob');
  if (OPENPGP_START.has(blob[0])) return blob;
  if (blob[0] !== 0) throw new PierError(`unrecognized signature format, starting with binary 0x${blob[0].toString(16)}`);
  const nl = blob.indexOf(0x0a, 1);
  if (nl === -1) throw new PierError('invalid signature format, missing newline');
  const format = blob.subarray(1, nl);
  const bad = format.find((b) => b < 32 || b >= 0x7f);
  if (bad !== undefined) throw new PierError(`invalid signature format, non-ASCII byte 0x${bad.toString(16)}`);
  const name = format.toString('latin1');
  if (name === 'simple-signing') return blob.subarray(nl + 1);
  if (name === 'sigstore-json') return undefined;
  throw new PierError(`unrecognized signature format ${JSON.stringify(name)}`);
}

function formatError(blob: Buffer, where: string): void {
  try {
    simpleSigningBlob(blob);
  } catch (e) {
    throw new PierError(`parsing signature ${where}: ${(e as Error).message}`);
  }
}

/** The signature blobs signature-1, signature-2, ... of the lookaside, until one is missing. */
export async function readLookaside(base: URL, manifestDigest: string, tlsVerify = true): Promise<Buffer[]> {
  const blobs: Buffer[] = [];
  for (let i = 0; ; i++) {
    const u = signatureURL(base, manifestDigest, i);
    if (u.protocol === 'file:') {
      const file = decodeURIComponent(u.pathname);
      let blob: Buffer;
      try {
        blob = fs.readFileSync(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return blobs;
        throw new PierError(readFileErrorText(e, file));
      }
      formatError(blob, JSON.stringify(file));
      blobs.push(blob);
    } else if (u.protocol === 'http:' || u.protocol === 'https:') {
      const res = await send({ method: 'GET', url: u, tls: { verify: tlsVerify }, connectTimeoutMs: 30_000, idleTimeoutMs: 60_000 });
      if (res.statusCode === 404) { discard(res); return blobs; }
      if (res.statusCode !== 200) {
        discard(res);
        throw new PierError(`reading signature from ${u.href}: status ${res.statusCode} (${res.statusMessage ?? ''})`);
      }
      const blob = await readBody(res, MAX_SIGNATURE_SIZE);
      formatError(blob, u.href);
      blobs.push(blob);
    } else {
      throw new PierError(`Unsupported scheme when reading signature from ${u.href}`);
    }
  }
}

/** The simple signing signatures (OpenPGP messages) of the lookaside. */
export async function readSignatures(base: URL, manifestDigest: string, tlsVerify = true): Promise<Buffer[]> {
  return (await readLookaside(base, manifestDigest, tlsVerify)).flatMap((b) => simpleSigningBlob(b) ?? []);
}

// ---------------------------------------------------------------------------------------
// signedBy (containers-policy.json(5))

export interface SignedByRequirement {
  type: 'signedBy';
  keyType?: string;
  keyPath?: string;
  keyPaths?: string[];
  keyData?: string;
  signedIdentity?: { type: string; dockerReference?: string; dockerRepository?: string; prefix?: string; signedPrefix?: string };
}

function nameOnly(r: ImageReference): boolean {
  return !r.tag && !r.digest;
}

function parseSigned(s: string): ImageReference | undefined {
  try { return parseReference(s); } catch { return undefined; }
}

/** matchRepoDigestOrExact on two references. */
function repoDigestOrExact(intended: ImageReference, signed: ImageReference): boolean {
  if (nameOnly(signed)) return false;
  if (intended.tag) return signed.toString() === intended.toString();
  if (intended.digest) return signed.name === intended.name;
  return false;
}

/** Whether the signature's claimed identity is acceptable for the image `intended` under the requirement. */
export function identityMatches(req: SignedByRequirement, intended: ImageReference, signedRef: string): boolean {
  const signed = parseSigned(signedRef);
  if (!signed) return false;
  const id = req.signedIdentity ?? { type: 'matchRepoDigestOrExact' };
  switch (id.type) {
    case 'matchExact':
      return !nameOnly(intended) && !nameOnly(signed) && signed.toString() === intended.toString();
    case 'matchRepoDigestOrExact':
      return repoDigestOrExact(intended, signed);
    case 'matchRepository':
      return signed.name === intended.name;
    case 'exactReference': {
      const want = parseSigned(id.dockerReference ?? '');
      return !!want && !nameOnly(want) && !nameOnly(signed) && signed.toString() === want.toString();
    }
    case 'exactRepository': {
      const want = parseSigned(id.dockerRepository ?? '');
      return !!want && signed.name === want.name;
    }
    case 'remapIdentity': {
      const prefix = id.prefix ?? '';
      const name = intended.name;
      let remapped = intended;
      if (name === prefix || (name.startsWith(prefix) && name[prefix.length] === '/')) {
        const r = parseSigned(intended.toString().replace(prefix, id.signedPrefix ?? ''));
        if (!r) return false;
        remapped = r;
      }
      return repoDigestOrExact(remapped, signed);
    }
    default:
      return false;
  }
}

function keyDataOf(req: SignedByRequirement): Buffer[] {
  if (req.keyType !== 'GPGKeys') {
    if (['signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'].includes(req.keyType ?? '')) throw new PierError(`Unimplemented "keyType" value "${req.keyType}"`);
    throw new PierError(`Unknown "keyType" value "${req.keyType ?? ''}"`);
  }
  const read = (p: string) => {
    try { return fs.readFileSync(p); } catch (e) {
      throw new PierError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `open ${p}: no such file or directory` : `open ${p}: ${(e as Error).message}`);
    }
  };
  if (req.keyPath) return [read(req.keyPath)];
  if (req.keyPaths) return req.keyPaths.map(read);
  return [Buffer.from(req.keyData ?? '', 'base64')];
}

/**
 * Check one signedBy requirement: some signature must verify with one of the requirement's
 * keys, name the manifest's digest, and carry an accepted identity. Throws the rejection
 * (without the "Source image rejected: " prefix the caller adds) otherwise.
 */
export async function checkSignedBy(req: SignedByRequirement, intended: ImageReference, manifest: Buffer, sigs: Buffer[]): Promise<void> {
  if (!sigs.length) throw new PierError('A signature was required, but no signature exists');
  const ring = await EphemeralKeyring.create(keyDataOf(req));
  try {
    if (!ring.fingerprints.length) throw new PierError('No public keys imported');
    const digest = sha256(manifest);
    const reasons: string[] = [];
    for (const sig of sigs) {
      try {
        const v = await ring.verify(sig);
        if (!ring.fingerprints.includes(v.fingerprint)) throw new PierError(`Signature by key ${v.fingerprint} is not accepted`);
        const p = parsePayload(v.payload);
        if (p.manifestDigest !== digest) throw new PierError(`Signature for digest ${p.manifestDigest} does not match`);
        if (!identityMatches(req, intended, p.dockerReference)) throw new PierError(`Signature for identity ${p.dockerReference} is not accepted`);
        return;
      } catch (e) {
        if (!(e instanceof PierError)) throw e;
        reasons.push(e.message);
      }
    }
    throw new PierError(reasons.length === 1 ? reasons[0] : `None of the signatures were accepted, reasons: ${reasons.join('; ')}`);
  } finally {
    ring.close();
  }
}

/** The signatures of an image in the lookaside its registries.d configuration names. */
export function imageSignatures(conf: RegistriesD, ref: ImageReference, manifestDigest: string, tlsVerify?: boolean): Promise<Buffer[]> {
  return readSignatures(lookasideBase(conf, ref, false), manifestDigest, tlsVerify);
}
