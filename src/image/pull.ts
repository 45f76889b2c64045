// Pulling images from registries into the store: short-name resolution, mirrors, policy,
// platform selection, parallel layer download with verification, and an atomic commit
// (the image record appears only once all of its layers are stored).
import { Readable, Transform } from 'node:stream';
import { Store } from '../storage/store';
import { chainId } from '../storage/layers';
import { EngineConfig } from '../config/config';
import type { PullOptions, ProgressSink, Platform } from '../domain/images';
import { parseReference, isShortName, ImageReference } from './reference';
import { loadRegistriesConf, findRegistry, resolveShortName, assertNotBlocked } from './config/registries';
import { loadPolicy, checkPolicy, Requirement } from './config/policy';
import type { SignedByRequirement } from './signature/simple';
import type { SigstoreRequirement } from './signature/sigstore';
import { RegistryClient, selectPlatform, hostPlatform, MEDIA_TYPES } from './registry/client';
import { clientFor } from './registry/connect';
import { PierError, NotFoundError, errorMessage } from '../util/errors';
import { hexOf, sha256 } from '../util/digest';
import { refName } from './lookup';
import { log } from '../util/log';

/** Manifest media types (the registry client's) plus the config and layer types. */
export const MEDIA = {
  ...MEDIA_TYPES,
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

const MAX_PARALLEL_LAYERS = 6;

const silent: ProgressSink = { line: () => undefined };

/** Run `fn` over items with at most `limit` running at once; fails fast. */
export async function parallel<T>(items: T[], limit: number, fn: (x: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const i = next++;
      try { await fn(items[i], i); } catch (e) { if (failed === undefined) failed = e; }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

interface PullContext {
  store: Store;
  cfg: EngineConfig;
  opts: PullOptions;
  progress: ProgressSink;
  /** Prints the candidate's "Trying to pull" line, when PullOptions.localDigests defers it. */
  announce?: () => void;
}

function refString(ref: ImageReference): string {
  return refName(ref, true);
}

export async function pullImage(store: Store, cfg: EngineConfig, input: string, opts: PullOptions): Promise<string[]> {
  const progress = opts.progress ?? silent;
  const ctx: PullContext = { store, cfg, opts, progress };
  let name = input;
  if (name.startsWith('docker://')) name = name.slice('docker://'.length);
  else if (/^(docker-archive|oci-archive|oci|dir):/.test(name)) {
    const { loadArchive } = require('./archive/load') as typeof import('./archive/load');
    const { pullFromTransport } = require('./archive/transports') as typeof import('./archive/transports');
    void loadArchive;
    return pullFromTransport(store, name, { progress });
  }
  const conf = loadRegistriesConf({ path: cfg.registriesConf });
  if (opts.allTags) {
    // As podman: the name is a docker reference (a short name is docker.io's), not a short-name search.
    const ref = parseReference(name);
    if (ref.tag || ref.digest) throw new PierError(`tag or digest can't be used with --all-tags`);
    return pullAllTags(ctx, conf, ref);
  }
  const candidates: ImageReference[] = isShortName(name) ? resolveShortName(conf, name) : [parseReference(name)];
  const errors: string[] = [];
  for (const ref of candidates) {
    const announce = () => progress.line(`Trying to pull ${refString(ref)}...`);
    if (opts.localDigests) ctx.announce = announce;
    else announce();
    try {
      const id = await pullOne(ctx, conf, ref);
      if (id !== undefined) return [id];
      continue;
    } catch (e) {
      if (candidates.length === 1) throw e;
      errors.push(`  * ${refString(ref)}: ${errorMessage(e)}`);
      if (!(e instanceof NotFoundError) && !/manifest unknown|name unknown|not found|unauthorized|denied/i.test(errorMessage(e))) break;
    }
  }
  // Pull policy newer: no candidate was newer than the local image.
  if (!errors.length && opts.localDigests) return [];
  throw new PierError(`${errors.length} error${errors.length === 1 ? '' : 's'} occurred while pulling:\n${errors.join('\n')}`);
}

async function pullAllTags(ctx: PullContext, conf: ReturnType<typeof loadRegistriesConf>, ref: ImageReference): Promise<string[]> {
  const endpoint = findRegistry(conf, ref)[0];
  const client = clientFor(ctx.cfg, endpoint?.ref ?? ref, { insecure: endpoint?.insecure, ...ctx.opts });
  const tags = await client.listTags(ref.repository);
  const ids: string[] = [];
  for (const tag of tags) {
    const r = ref.withTag(tag);
    ctx.progress.line(`Trying to pull ${refString(r)}...`);
    const id = await pullOne(ctx, conf, r);
    if (id !== undefined) ids.push(id);
  }
  return [...new Set(ids)];
}

async function pullOne(ctx: PullContext, conf: ReturnType<typeof loadRegistriesConf>, ref: ImageReference): Promise<string | undefined> {
  const signatureReqs = checkPolicy(loadPolicy({ path: ctx.opts.signaturePolicy }), 'docker', ref);
  assertNotBlocked(conf, ref);
  const endpoints = findRegistry(conf, ref);
  let lastErr: unknown;
  for (const ep of endpoints) {
    try {
      const client = clientFor(ctx.cfg, ep.ref, { ...ctx.opts, insecure: ep.insecure });
      return await pullFrom(ctx, client, ep.ref, ref, signatureReqs);
    } catch (e) {
      lastErr = e;
      if (ep !== endpoints[endpoints.length - 1]) log.info(`pulling from mirror ${ep.ref.registry} failed: ${errorMessage(e)}`);
    }
  }
  throw lastErr ?? new PierError(`no endpoint to pull ${refString(ref)} from`);
}

/** The image pulled; undefined when PullOptions.localDigests has the candidate's manifest (not newer). */
async function pullFrom(ctx: PullContext, client: RegistryClient, src: ImageReference, named: ImageReference, signatureReqs: Requirement[]): Promise<string | undefined> {
  const { store, progress } = ctx;
  const reference = src.digest ?? src.tag ?? 'latest';
  const where = `docker://${refString(named)}`;
  let top;
  try {
    top = await client.getManifest(src.repository, reference);
  } catch (e) {
    throw rewrap(e, `initializing source ${where}`);
  }
  let manifest = top;
  const digests = [top.digest];
  if (top.mediaType === MEDIA.ociIndex || top.mediaType === MEDIA.dockerList) {
    const want = { ...hostPlatform(), ...stripUndefined(ctx.opts.platform ?? {}) };
    const child = selectPlatform(JSON.parse(top.body.toString('utf8')), want);
    if (!child) {
      throw new PierError(`choosing an image from manifest list ${where}: no image found in manifest list for architecture ${want.arch}, variant "${want.variant ?? ''}", OS ${want.os}`);
    }
    manifest = await client.getManifest(src.repository, child.digest);
    digests.push(manifest.digest);
  }
  if (manifest.mediaType === MEDIA.dockerSchema1 || manifest.mediaType === MEDIA.dockerSchema1Signed) {
    throw new PierError(`${where}: Docker schema 1 images are not supported`);
  }
  if (ctx.opts.localDigests?.includes(manifest.digest)) return undefined;
  ctx.announce?.();
  // The policy is checked (on the top-level manifest's signatures) before anything is copied.
  const { loadRegistriesD } = require('./signature/registries-d') as typeof import('./signature/registries-d');
  const { registrySignatures, signatureBlob } = require('./signature/stored') as typeof import('./signature/stored');
  const intended = named.digest ? named : named.withDefaultTag();
  const sigConf = loadRegistriesD();
  const sourceSignatures = (digest: string) => registrySignatures(sigConf, client, src, intended, digest, ctx.opts.tlsVerify !== false);
  const topSignatures = signatureReqs.length ? await checkSignatures(top, signatureReqs, intended, () => sourceSignatures(top.digest)) : undefined;
  const m = JSON.parse(manifest.body.toString('utf8'));
  if (!m.config?.digest || !Array.isArray(m.layers)) throw new PierError(`${where}: invalid manifest`);
  progress.line('Getting image source signatures');
  // The signatures of the image copied (a list's instance's own) are kept with it in the store.
  let signatures;
  try {
    signatures = manifest === top && topSignatures ? topSignatures : await sourceSignatures(manifest.digest);
  } catch (e) {
    throw new PierError(`reading signatures: ${errorMessage(e)}`);
  }
  if (signatures.length) progress.line('Checking if image destination supports signatures');

  const configBuf = await readAll(await client.getBlob(src.repository, m.config.digest, m.config.size));
  if (sha256(configBuf) !== m.config.digest) throw new PierError(`config digest mismatch: expected ${m.config.digest}`);
  const config = JSON.parse(configBuf.toString('utf8'));
  const diffIds: string[] = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== m.layers.length) {
    throw new PierError(`${where}: image config has ${diffIds.length} layer diff IDs but the manifest lists ${m.layers.length} layers`);
  }
  const ids: string[] = [];
  let parent: string | null = null;
  for (const d of diffIds) { parent = chainId(parent, d); ids.push(parent); }

  await parallel(m.layers as any[], store.driver === 'overlay' ? MAX_PARALLEL_LAYERS : 1, async (layer, i) => {
    const short = hexOf(layer.digest).slice(0, 12);
    if (store.layers.get(ids[i])) {
      progress.line(`Copying blob ${short} skipped: already exists`);
      return;
    }
    progress.line(`Copying blob ${layer.digest}`);
    let lastErr: unknown;
    const attempts = 1 + Math.max(0, ctx.opts.retry ?? 3);
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        let stream: Readable = await client.getBlob(src.repository, layer.digest, layer.size);
        if (ctx.progress.bytes) {
          // Count through a pass-through stage: a 'data' listener would start the flow early.
          let done = 0;
          const counter = new Transform({ transform(c: Buffer, _e, cb) { done += c.length; ctx.progress.bytes!(short, done, layer.size); cb(null, c); } });
          stream.on('error', (e) => counter.destroy(e));
          // The layer store reports the failure (digest, size, tar); an 'error' the counter emits
          // after the store stopped listening must not become an uncaught exception (exit 1).
          counter.on('error', () => undefined);
          stream = stream.pipe(counter);
        }
        await store.layers.apply(i === 0 ? null : ids[i - 1], stream, {
          expectedDiffId: diffIds[i],
          keepBlob: { digest: layer.digest, size: layer.size, mediaType: layer.mediaType },
        });
        ctx.progress.blobDone?.(short);
        return;
      } catch (e) {
        lastErr = e;
        // Content errors (digest, size, malformed tar) do not get better by retrying.
        if (!isTransient(e) || attempt === attempts - 1) break;
        await new Promise((r) => setTimeout(r, ctx.opts.retryDelayMs ?? 1000));
      }
    }
    throw rewrap(lastErr, `copying layer ${layer.digest} from ${where}`);
  });
  // Layers stored in parallel could not all take their parent's root mode as they were stored.
  if (ids.length) store.layers.settleRootPerms(ids[ids.length - 1]);

  progress.line(`Copying config ${m.config.digest}`);
  progress.line('Writing manifest to image destination');
  progress.line('Storing signatures');
  const repo = `${named.registry}/${named.repository}`;
  const names = named.digest ? [`${repo}@${named.digest}`] : [`${repo}:${named.tag ?? 'latest'}`];
  const size = ids.reduce((n, id) => n + (store.layers.get(id)?.uncompressedSize ?? 0), 0);
  const img = store.images.put({
    id: hexOf(m.config.digest),
    configRaw: configBuf.toString('utf8'),
    manifest: manifest.body.toString('utf8'),
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    topLayer: ids.length ? ids[ids.length - 1] : null,
    size,
    names,
    repoDigests: digests.map((d) => `${repo}@${d}`),
    digests,
    signatures: { [manifest.digest]: signatures.map(signatureBlob) },
  });
  return img.id;
}

/**
 * The policy's signedBy and sigstoreSigned requirements, each checked against the signatures
 * of the top-level manifest: simple signing ones from the lookaside of the name pulled
 * (containers-registries.d(5)), sigstore ones from the registry's attachments when
 * registries.d enables them. Returns the signatures.
 */
async function checkSignatures(top: { digest: string; body: Buffer }, reqs: Requirement[], intended: ImageReference,
  read: () => Promise<import('./signature/stored').Signature[]>) {
  const { checkSignedBy, simpleSigningBlob } = require('./signature/simple') as typeof import('./signature/simple');
  const { checkSigstoreSigned } = require('./signature/sigstore') as typeof import('./signature/sigstore');
  try {
    const all = await read();
    const simple = all.flatMap((s) => s.kind === 'simple' ? simpleSigningBlob(s.blob) ?? [] : []);
    const attached = all.flatMap((s) => s.kind === 'sigstore' ? [s.sig] : []);
    for (const r of reqs) {
      if (r.type === 'sigstoreSigned') checkSigstoreSigned(r as SigstoreRequirement, intended, top.body, attached, simple.length);
      else await checkSignedBy(r as SignedByRequirement, intended, top.body, simple);
    }
    return all;
  } catch (e) {
    throw new PierError(`Source image rejected: ${errorMessage(e)}`);
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;
}

function isTransient(e: unknown): boolean {
  const code = (e as any)?.code;
  if (['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN'].includes(code)) return true;
  const status = (e as any)?.statusCode ?? (e as any)?.status;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

function rewrap(e: unknown, prefix: string): Error {
  const msg = errorMessage(e);
  if (msg.startsWith(prefix)) return e as Error;
  if (e instanceof NotFoundError) return new NotFoundError(`${prefix}: ${msg}`);
  const err = new PierError(`${prefix}: ${msg}`, e instanceof PierError ? e.exitCode : undefined);
  return err;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}
