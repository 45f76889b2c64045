// Helpers for archive tests: fresh stores in temp dirs, seeding them with fixture images
// the way a pull does, and reading files out of stored layers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Store, overlaySupported } from '../../src/storage/store';
import { chainId } from '../../src/storage/layers';
import { ImageRecord } from '../../src/storage/images';
import { readTar } from '../../src/storage/tar/reader';
import { blobStream, hex, TestImage } from '../fixtures/images';

export function tmpDir(prefix = 'pier-archive-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface TestStore {
  store: Store;
  dir: string;
  cleanup(): void;
}

/** The drivers this host can test: vfs always, overlay when the kernel allows it here. */
export function drivers(): ('vfs' | 'overlay')[] {
  const d = tmpDir('pier-ovl-check-');
  try {
    return overlaySupported(d) ? ['vfs', 'overlay'] : ['vfs'];
  } catch {
    return ['vfs'];
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}

export function newStore(driver?: 'vfs' | 'overlay'): TestStore {
  const dir = tmpDir();
  const store = new Store({ graphRoot: path.join(dir, 'root'), runRoot: path.join(dir, 'run'), driver });
  return {
    store, dir,
    cleanup() {
      try { store.db.close(); } catch { /* already closed */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Store a fixture image like a pull: layers applied (blob kept unless `keepBlobs` is false), then the record. */
export async function seed(store: Store, image: TestImage, names: string[], keepBlobs = true): Promise<ImageRecord> {
  let parent: string | null = null;
  for (const l of image.layers) {
    const rec = await store.layers.apply(parent, blobStream(l), {
      expectedDiffId: l.diffId,
      ...(keepBlobs ? { keepBlob: { digest: l.digest, size: l.size, mediaType: l.mediaType } } : {}),
    });
    parent = rec.id;
  }
  const size = image.layers.reduce((n, l) => n + l.uncompressedSize, 0);
  return store.images.put({
    id: hex(image.configDigest), configRaw: image.config.toString('utf8'),
    manifest: image.manifest.toString('utf8'), manifestDigest: image.digest, manifestMediaType: image.manifestMediaType,
    topLayer: parent, size, names,
  });
}

/** The chain id of the image's top layer. */
export function topLayerId(image: TestImage): string {
  let p: string | null = null;
  for (const l of image.layers) p = chainId(p, l.diffId);
  return p!;
}

/** Read `rel` from the first layer (top down) of the image whose diff dir has it. */
export function readFromImage(store: Store, img: ImageRecord, rel: string): string {
  const chain = store.layers.chain(img.topLayer).reverse();
  for (const l of chain) {
    const p = path.join(store.layers.diffDir(l.id), rel);
    if (fs.existsSync(p)) return fs.readFileSync(p, 'utf8');
  }
  throw new Error(`${rel} not found in image ${img.id}`);
}

export function sha256File(file: string): string {
  return 'sha256:' + createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Entry names of a tar file or buffer. */
export async function tarNames(input: Buffer | string): Promise<string[]> {
  const { Readable } = await import('node:stream');
  const stream = typeof input === 'string' ? fs.createReadStream(input) : Readable.from([input]);
  const out: string[] = [];
  for await (const e of readTar(stream)) out.push(e.name.replace(/\/$/, ''));
  return out;
}

/** Check an OCI layout: every blob's name is its digest and every index/manifest reference exists. */
export function validateOciLayout(dir: string): { manifests: any[] } {
  const blobs = path.join(dir, 'blobs', 'sha256');
  for (const f of fs.readdirSync(blobs)) {
    if (sha256File(path.join(blobs, f)) !== `sha256:${f}`) throw new Error(`blob ${f} does not match its digest`);
  }
  const layout = JSON.parse(fs.readFileSync(path.join(dir, 'oci-layout'), 'utf8'));
  if (layout.imageLayoutVersion !== '1.0.0') throw new Error('bad oci-layout');
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  for (const d of index.manifests) {
    const file = path.join(blobs, hex(d.digest));
    if (fs.statSync(file).size !== d.size) throw new Error(`manifest ${d.digest} size mismatch`);
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const b of [m.config, ...m.layers]) {
      const bf = path.join(blobs, hex(b.digest));
      if (fs.statSync(bf).size !== b.size) throw new Error(`blob ${b.digest} size mismatch`);
    }
  }
  return { manifests: index.manifests };
}
