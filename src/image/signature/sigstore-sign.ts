// push --sign-by-sigstore-private-key: a sigstore signature made with a private key in cosign's
// format, as containers/image 5.23 reads it: a PEM block "ENCRYPTED COSIGN PRIVATE KEY" whose
// contents are the JSON envelope of go-tuf's `encrypted` package (scrypt key derivation,
// NaCl secretbox, i.e. XSalsa20-Poly1305) around a PKCS #8 ECDSA, RSA or Ed25519 key. The
// signature (SHA-256; PKCS #1 v1.5 for RSA) of a "cosign container image signature" payload
// goes, base64, into the dev.cosignproject.cosign/signature annotation.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { PierError, errnoText } from '../../util/errors';
import { sha256 } from '../../util/digest';
import { signaturePayload } from './simple';
import { SigstoreSignature, SIGSTORE_SIGNATURE_ANNOTATION, SIGSTORE_SIGNATURE_MIME, SIGSTORE_SIGNATURE_TYPE } from './sigstore';

const PEM_TYPE = 'ENCRYPTED COSIGN PRIVATE KEY';

// ---------------------------------------------------------------------------------------
// NaCl secretbox (XSalsa20-Poly1305), opening only.

function rotl(v: number, c: number): number {
  return (v << c) | (v >>> (32 - c));
}

/** The Salsa20 double rounds over a 16-word state (in place). */
function salsaRounds(x: Uint32Array): void {
  const qr = (a: number, b: number, c: number, d: number) => {
    x[b] ^= rotl((x[a] + x[d]) | 0, 7);
    x[c] ^= rotl((x[b] + x[a]) | 0, 9);
    x[d] ^= rotl((x[c] + x[b]) | 0, 13);
    x[a] ^= rotl((x[d] + x[c]) | 0, 18);
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12); qr(5, 9, 13, 1); qr(10, 14, 2, 6); qr(15, 3, 7, 11);
    qr(0, 1, 2, 3); qr(5, 6, 7, 4); qr(10, 11, 8, 9); qr(15, 12, 13, 14);
  }
}

const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];

/** The initial state for a 32-byte key and 16 bytes of nonce/counter input. */
function salsaState(key: Buffer, input: Buffer): Uint32Array {
  const s = new Uint32Array(16);
  s[0] = SIGMA[0]; s[5] = SIGMA[1]; s[10] = SIGMA[2]; s[15] = SIGMA[3];
  for (let i = 0; i < 4; i++) {
    s[1 + i] = key.readUInt32LE(4 * i);
    s[11 + i] = key.readUInt32LE(16 + 4 * i);
    s[6 + i] = input.readUInt32LE(4 * i);
  }
  return s;
}

/** HSalsa20: the subkey XSalsa20 derives from the key and the nonce's first 16 bytes. */
function hsalsa20(key: Buffer, nonce16: Buffer): Buffer {
  const x = salsaState(key, nonce16);
  salsaRounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => out.writeUInt32LE(x[w], 4 * i));
  return out;
}

/** `length` bytes of the Salsa20 key stream for a key and 8-byte nonce. */
function salsa20Stream(key: Buffer, nonce8: Buffer, length: number): Buffer {
  const out = Buffer.alloc(Math.ceil(length / 64) * 64);
  const input = Buffer.alloc(16);
  nonce8.copy(input, 0);
  for (let block = 0; block * 64 < length; block++) {
    input.writeUInt32LE(block >>> 0, 8);
    input.writeUInt32LE(Math.floor(block / 2 ** 32), 12);
    const s = salsaState(key, input);
    const x = Uint32Array.from(s);
    salsaRounds(x);
    for (let i = 0; i < 16; i++) out.writeUInt32LE((x[i] + s[i]) >>> 0, block * 64 + 4 * i);
  }
  return out.subarray(0, length);
}

function leBigInt(b: Buffer): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

/** Poly1305 of a message under a 32-byte one-time key. */
function poly1305(key: Buffer, msg: Buffer): Buffer {
  const p = (1n << 130n) - 5n;
  const r = leBigInt(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = leBigInt(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const chunk = msg.subarray(i, i + 16);
    acc = ((acc + leBigInt(chunk) + (1n << BigInt(8 * chunk.length))) * r) % p;
  }
  acc = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) { out[i] = Number(acc & 0xffn); acc >>= 8n; }
  return out;
}

/** secretbox.Open: the message, or undefined when the box does not authenticate. */
export function secretboxOpen(box: Buffer, nonce: Buffer, key: Buffer): Buffer | undefined {
  if (box.length < 16) return undefined;
  const stream = salsa20Stream(hsalsa20(key, nonce.subarray(0, 16)), nonce.subarray(16, 24), 32 + box.length - 16);
  const tag = poly1305(stream.subarray(0, 32), box.subarray(16));
  if (!crypto.timingSafeEqual(tag, box.subarray(0, 16))) return undefined;
  const out = Buffer.from(box.subarray(16));
  for (let i = 0; i < out.length; i++) out[i] ^= stream[32 + i];
  return out;
}

// ---------------------------------------------------------------------------------------
// The encrypted key

/** scrypt parameters go-tuf accepts (legacy, standard, OWASP). */
const SCRYPT_PARAMS = [[32768, 8, 1], [65536, 8, 1], [131072, 8, 1]];

function b64field(v: unknown): Buffer {
  if (v === undefined || v === null) return Buffer.alloc(0);
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4) throw new PierError('illegal base64 data');
  return Buffer.from(v, 'base64');
}

/** go-tuf's encrypted.Decrypt of the envelope with a passphrase. */
function decryptEnvelope(envelope: Buffer, passphrase: string): Buffer {
  let d: { kdf?: { name?: string; params?: { N?: number; r?: number; p?: number }; salt?: string }; cipher?: { name?: string; nonce?: string }; ciphertext?: string };
  try {
    d = JSON.parse(envelope.toString('utf8'));
  } catch (e) {
    throw new PierError((e as Error).message);
  }
  if (d.kdf?.name !== 'scrypt') throw new PierError(`encrypted: unknown kdf name ${JSON.stringify(d.kdf?.name ?? '')}`);
  if (d.cipher?.name !== 'nacl/secretbox') throw new PierError(`encrypted: unknown cipher name ${JSON.stringify(d.cipher?.name ?? '')}`);
  const { N = 0, r = 0, p = 0 } = d.kdf.params ?? {};
  if (!SCRYPT_PARAMS.some(([n, rr, pp]) => n === N && rr === r && pp === p)) throw new PierError('unsupported scrypt parameters');
  const key = crypto.scryptSync(Buffer.from(passphrase, 'utf8'), b64field(d.kdf.salt), 32, { N, r, p, maxmem: 256 * N * r });
  const nonce = b64field(d.cipher.nonce);
  if (nonce.length !== 24) throw new PierError('encrypted: incorrect nonce size');
  const plain = secretboxOpen(b64field(d.ciphertext), nonce, key);
  if (!plain) throw new PierError('encrypted: decryption failed');
  return plain;
}

/** The private key of a cosign key file (containers/image's loadPrivateKey). */
export function loadCosignPrivateKey(pem: Buffer, passphrase: string): crypto.KeyObject {
  const m = /-----BEGIN ([^-\n]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(pem.toString('latin1'));
  if (!m) throw new PierError('invalid pem block');
  if (m[1] !== PEM_TYPE) throw new PierError(`unsupported pem type: ${m[1]}`);
  const body = m[2].split(/\r?\n/).filter((l) => l && !l.includes(':')).join('');
  let der: Buffer;
  try {
    der = decryptEnvelope(Buffer.from(body, 'base64'), passphrase);
  } catch (e) {
    throw new PierError(`decrypt: ${(e as Error).message}`);
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new PierError(`parsing private key: ${(e as Error).message}`);
  }
  if (!['ec', 'rsa', 'ed25519'].includes(key.asymmetricKeyType ?? '')) throw new PierError('unsupported key type');
  return key;
}

/** A sigstore signature of `manifest` for `dockerReference` with the key in `keyFile`. */
export function sigstoreSignManifest(manifest: Buffer, dockerReference: string, keyFile: string, passphrase: string): SigstoreSignature {
  let pem: Buffer;
  try {
    pem = fs.readFileSync(keyFile);
  } catch (e) {
    throw new PierError(`reading private key from ${keyFile}: open ${keyFile}: ${errnoText(e)}`);
  }
  let key: crypto.KeyObject;
  try {
    key = loadCosignPrivateKey(pem, passphrase);
  } catch (e) {
    throw new PierError(`initializing private key: ${(e as Error).message}`);
  }
  const payload = signaturePayload(dockerReference, sha256(manifest), SIGSTORE_SIGNATURE_TYPE);
  const sig = crypto.sign(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', payload, key);
  return { mimeType: SIGSTORE_SIGNATURE_MIME, payload, annotations: { [SIGSTORE_SIGNATURE_ANNOTATION]: sig.toString('base64') } };
}
