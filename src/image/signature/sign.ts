// `image sign`: sign the manifest of an image in a registry (docker://) and store the signature
// as the next signature-N of its lookaside directory (--directory, else the registries.d
// location for writing, which must be a local file:// one).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EngineConfig } from '../../config/config';
import { PierError, errorMessage, errnoText } from '../../util/errors';
import { sha256 } from '../../util/digest';
import { parseTransportReference, ImageReference } from '../reference';
import { clientFor } from '../registry/connect';
import { MEDIA_TYPES } from '../registry/client';
import { gpgAvailable } from './gpg';
import { loadRegistriesD, lookasideBase } from './registries-d';
import { appendSignature, signManifest } from './simple';

function localLookaside(base: URL): string {
  if (base.protocol !== 'file:') throw new PierError(`writing to ${base.href} is not supported. Use a supported scheme`);
  return decodeURIComponent(base.pathname);
}

export interface SignOptions {
  signBy: string;
  directory?: string;
  certDir?: string;
  authfile?: string;
  all?: boolean;
}

export async function signImages(cfg: EngineConfig, names: string[], opts: SignOptions): Promise<void> {
  if (opts.directory) {
    try { fs.statSync(opts.directory); } catch (e) { throw new PierError(`stat ${opts.directory}: ${errnoText(e)}`); }
  }
  await gpgAvailable();
  for (const name of names) {
    if (!/^[a-z-]+:/.test(name) || name.startsWith('docker:') && !name.startsWith('docker://')) {
      throw new PierError(`parsing image name: Invalid image name "${name}", expected colon-separated transport:reference`);
    }
    let ref: ImageReference;
    try {
      const t = parseTransportReference(name, { defaultTransport: null });
      if (t.transport !== 'docker') throw new PierError(`pier image sign signs docker:// images only, not ${name}`);
      ref = t.ref.digest ? t.ref : t.ref.withDefaultTag();
    } catch (e) {
      if (e instanceof PierError && e.message.startsWith('pier image sign')) throw e;
      throw new PierError(`parsing image name: ${errorMessage(e)}`);
    }
    const client = clientFor(cfg, ref, { authfile: opts.authfile, certDir: opts.certDir });
    let top;
    try {
      top = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
    } catch (e) {
      throw new PierError(`getting image source: ${errorMessage(e)}`);
    }
    const repoDir = opts.directory
      ? path.join(opts.directory, ref.repository)
      : localLookaside(lookasideBase(loadRegistriesD(), ref, true));
    const identity = ref.toString();
    const targets: Array<{ body: Buffer; digest: string }> = [];
    if (opts.all) {
      if (top.mediaType !== MEDIA_TYPES.ociIndex && top.mediaType !== MEDIA_TYPES.dockerList) {
        throw new PierError(`${name} is not a multi-architecture image (manifest type ${top.mediaType})`);
      }
      const list = JSON.parse(top.body.toString('utf8'));
      for (const m of list.manifests ?? []) {
        const child = await client.getManifest(ref.repository, m.digest);
        targets.push({ body: child.body, digest: m.digest });
      }
    } else {
      targets.push({ body: top.body, digest: top.digest || sha256(top.body) });
    }
    for (const t of targets) {
      try {
        const sig = await signManifest(t.body, identity, opts.signBy);
        appendSignature(repoDir, t.digest, sig);
      } catch (e) {
        throw new PierError(`storing signature for ${identity}, ${t.digest}: ${errorMessage(e)}`);
      }
    }
  }
}
