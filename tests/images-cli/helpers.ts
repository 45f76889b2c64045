// Seeding a pier store with small images directly (layers + image records), so the image
// commands can be tested without a registry or archives.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Store } from '../../src/storage/store';
import { closeAll } from '../../src/storage/db';
import { tarToBuffer, TarEntry } from '../../src/storage/tar/writer';
import { TestStore } from '../helpers/cli';

export { TestStore, closeAll };

export interface SeedSpec {
  /** Files of each new layer, applied on top of the parent's. */
  layers: Record<string, string>[];
  /** The image this one is built on (its layers, diff ids and history are inherited). */
  parent?: Seeded;
  names?: string[];
  labels?: Record<string, string>;
  /** More fields of the image's config (ExposedPorts, Volumes...). */
  config?: Record<string, unknown>;
  created: string;
  /** History entries of the new layers (default: one ADD per layer). */
  history?: HistoryEntry[];
}

export interface Seeded {
  id: string;
  topLayer: string | null;
  diffIds: string[];
  history: HistoryEntry[];
}

type HistoryEntry = { created?: string; created_by: string; comment?: string; empty_layer?: boolean };

/** Open the test store's graph root with the vfs driver (no mounts needed). */
export function openStore(ts: TestStore): Store {
  return new Store({ graphRoot: ts.root, runRoot: ts.runroot, driver: 'vfs' });
}

/** Add one image to the store; returns its id and top layer. */
export async function seedImage(store: Store, spec: SeedSpec): Promise<Seeded> {
  let parent = spec.parent?.topLayer ?? null;
  const diffIds = [...(spec.parent?.diffIds ?? [])];
  let size = 0;
  for (const files of spec.layers) {
    const entries: TarEntry[] = Object.entries(files).map(([name, content]) => ({ type: 'file', name, content, mode: 0o644 }));
    const tar = await tarToBuffer(entries);
    const rec = await store.layers.apply(parent, Readable.from([tar]));
    parent = rec.id;
    diffIds.push(rec.diffId);
    size += rec.uncompressedSize;
  }
  const history = [...(spec.parent?.history ?? []),
    ...(spec.history ?? spec.layers.map((_, i) => ({ created_by: `/bin/sh -c #(nop) ADD file:layer${i} in /` }))).map((h) => ({ created: spec.created, ...h }))];
  const config = {
    created: spec.created,
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/usr/bin:/bin'], ...(spec.labels ? { Labels: spec.labels } : {}), ...(spec.config ?? {}) },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history,
  };
  const configRaw = JSON.stringify(config);
  const id = createHash('sha256').update(configRaw).digest('hex');
  store.images.put({ id, configRaw, topLayer: parent, size: size + configRaw.length, names: spec.names ?? [] });
  return { id, topLayer: parent, diffIds, history };
}

/** A standard set of images:
 *  - base:    localhost/base:1 + quay.io/acme/base:v2 (2021), one layer
 *  - child:   localhost/child:latest (2023) on base plus one layer, label tier=app
 *  - mid:     an untagged intermediate (2022) between base and child
 *  - orphan:  an untagged, dangling image (2022-06), label tier=junk
 *  - lone:    docker.io/library/alpine:3.18 (2020), own layer
 */
export async function seedStandard(ts: TestStore): Promise<Record<'base' | 'mid' | 'child' | 'orphan' | 'lone', Seeded>> {
  const store = openStore(ts);
  try {
    const base = await seedImage(store, { layers: [{ 'etc/base': 'base\n' }], names: ['localhost/base:1', 'quay.io/acme/base:v2'], created: '2021-01-01T00:00:00Z' });
    const mid = await seedImage(store, {
      layers: [{ 'etc/mid': 'mid\n' }], parent: base, created: '2022-01-01T00:00:00Z',
      history: [
        { created_by: '/bin/sh -c #(nop) COPY file:0123456789abcdef0123456789abcdef0123456789abcdef in /etc/mid', comment: 'mid step' },
      ],
    });
    const child = await seedImage(store, {
      layers: [{ 'etc/child': 'child\n' }], parent: mid, names: ['localhost/child:latest'],
      labels: { tier: 'app' }, created: '2023-01-01T00:00:00Z',
    });
    const orphan = await seedImage(store, { layers: [{ 'etc/orphan': 'orphan\n' }], labels: { tier: 'junk' }, created: '2022-06-01T00:00:00Z' });
    const lone = await seedImage(store, { layers: [{ 'etc/alpine': 'alpine\n'.repeat(200) }], names: ['docker.io/library/alpine:3.18'], created: '2020-01-01T00:00:00Z' });
    return { base, mid, child, orphan, lone };
  } finally {
    closeAll();
  }
}

/** Split a table into rows of cells (two or more spaces separate columns). */
export function tableRows(out: string): string[][] {
  return out.trimEnd().split('\n').filter(Boolean).map((l) => l.trim().split(/\s{2,}/));
}
