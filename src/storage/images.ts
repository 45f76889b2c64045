// The image store: image records (id = config digest) with their names, manifests and
// configs in SQLite. A name belongs to at most one image; tagging moves it.
import { DB, immediate } from './db';
import { NotFoundError, PierError } from '../util/errors';
import { randomId } from '../util/digest';

export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: Record<string, any>;
  rootfs?: { type: string; diff_ids: string[] };
  history?: { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }[];
  [k: string]: unknown;
}

export interface ImageRecord {
  id: string;
  created: number;
  config: ImageConfig;
  configRaw: string;
  manifest: string | null;
  manifestDigest: string | null;
  manifestMediaType: string | null;
  topLayer: string | null;
  size: number;
  digests: string[];
  repoDigests: string[];
  names: string[];
  /** Every name the image has had, most recent first (containers/storage's NamesHistory). */
  namesHistory: string[];
  /**
   * For a manifest list: where each instance was found (instance digest -> containers-storage:ID
   * or docker://REFERENCE), its `manifest` being the list itself. Undefined for an image.
   */
  listInstances?: Record<string, string>;
  /** Signatures kept with the image: manifest digest -> signature blobs (containers/image's storage form). */
  signatures?: Record<string, Buffer[]>;
}

/** Whether an image record is a manifest list (podman's list images: no layers, the list as manifest). */
export function isManifestList(img: ImageRecord | undefined): img is ImageRecord & { listInstances: Record<string, string> } {
  return !!img?.listInstances;
}

/** An image's manifest annotations (OCI manifests carry them; others have none). */
export function manifestAnnotations(img: { manifest?: string | null } | null | undefined): Record<string, string> {
  try {
    const a = img?.manifest ? JSON.parse(img.manifest).annotations : undefined;
    return a && typeof a === 'object' && !Array.isArray(a) ? a : {};
  } catch {
    return {};
  }
}

export interface NewImage {
  id: string;
  configRaw: string;
  manifest?: string | null;
  manifestDigest?: string | null;
  manifestMediaType?: string | null;
  topLayer: string | null;
  size: number;
  names?: string[];
  repoDigests?: string[];
  /** Other manifest digests the image is known by (e.g. its manifest list's). */
  digests?: string[];
  /** Signatures of manifest digests: they replace what the image had for those digests. */
  signatures?: Record<string, Buffer[]>;
}

function decodeSignatures(raw: string | null): Record<string, Buffer[]> | undefined {
  if (!raw) return undefined;
  const o = JSON.parse(raw) as Record<string, string[]>;
  return Object.fromEntries(Object.entries(o).map(([d, l]) => [d, l.map((b) => Buffer.from(b, 'base64'))]));
}

/** Merge signatures per manifest digest (an empty list forgets a digest's); null when none are left. */
function mergeSignatures(raw: string | null, add: Record<string, Buffer[]> | undefined): string | null {
  const o: Record<string, string[]> = raw ? JSON.parse(raw) : {};
  for (const [d, l] of Object.entries(add ?? {})) {
    if (l.length) o[d] = l.map((b) => b.toString('base64'));
    else delete o[d];
  }
  return Object.keys(o).length ? JSON.stringify(o) : null;
}

function uniq<T>(a: T[]): T[] {
  return [...new Set(a)];
}

/** A manifest list's repo digests: each of its names' repository at the list's digest (libimage's). */
function listRepoDigests(names: string[], digest: string | null): string[] {
  if (!digest) return [];
  return uniq(names.map((n) => `${n.replace(/@.*$/, '').replace(/:[^/:]*$/, '')}@${digest}`));
}

export class ImageStore {
  constructor(readonly db: DB) {}

  private row(r: any, names: string[]): ImageRecord {
    return {
      id: r.id, created: r.created, config: JSON.parse(r.config), configRaw: r.config, manifest: r.manifest,
      manifestDigest: r.manifest_digest, manifestMediaType: r.manifest_media_type, topLayer: r.top_layer,
      size: r.size, digests: JSON.parse(r.digests), repoDigests: r.list_instances ? listRepoDigests(names, r.manifest_digest) : JSON.parse(r.repo_digests), names,
      namesHistory: JSON.parse(r.names_history ?? '[]'),
      ...(r.list_instances ? { listInstances: JSON.parse(r.list_instances) } : {}),
      ...(r.signatures ? { signatures: decodeSignatures(r.signatures) } : {}),
    };
  }

  /** The names of an image, or null when there is no such image (no config parsing). */
  namesIfExists(id: string): string[] | null {
    if (!this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(id)) return null;
    return this.namesOf(id);
  }

  namesOf(id: string): string[] {
    return (this.db.prepare('SELECT name FROM image_names WHERE image_id = ? ORDER BY added, name').all(id) as any[]).map((r) => r.name);
  }

  get(id: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id);
    return r ? this.row(r, this.namesOf(id)) : undefined;
  }

  list(): ImageRecord[] {
    const names = new Map<string, string[]>();
    for (const r of this.db.prepare('SELECT name, image_id FROM image_names ORDER BY added, name').all() as any[]) {
      const l = names.get(r.image_id);
      if (l) l.push(r.name); else names.set(r.image_id, [r.name]);
    }
    return (this.db.prepare('SELECT * FROM images ORDER BY created DESC').all() as any[]).map((r) => this.row(r, names.get(r.id) ?? []));
  }

  byName(name: string): ImageRecord | undefined {
    const r = this.db.prepare('SELECT image_id FROM image_names WHERE name = ?').get(name) as any;
    return r ? this.get(r.image_id) : undefined;
  }

  /** Images whose id starts with `prefix`. */
  byIdPrefix(prefix: string): ImageRecord[] {
    return (this.db.prepare("SELECT id FROM images WHERE id >= ? AND id < ? || 'g'").all(prefix, prefix) as any[])
      .map((r) => this.get(r.id)!)
      .filter(Boolean);
  }

  /** Images known by this manifest digest. */
  byDigest(digest: string): ImageRecord[] {
    return this.list().filter((i) => i.digests.includes(digest));
  }

  /** All names, for short-name lookups. */
  allNames(): { name: string; id: string }[] {
    return (this.db.prepare('SELECT name, image_id FROM image_names').all() as any[]).map((r) => ({ name: r.name, id: r.image_id }));
  }

  /**
   * Store an image, or merge names and digests into the existing record with the same id.
   * Names move from any other image. Must run inside (or as) one transaction.
   */
  put(img: NewImage): ImageRecord {
    return immediate(this.db, () => {
      const existing = this.db.prepare('SELECT * FROM images WHERE id = ?').get(img.id) as any;
      const digests = uniq([...(img.manifestDigest ? [img.manifestDigest] : []), ...(img.digests ?? [])]);
      if (!existing) {
        this.db.prepare(`INSERT INTO images (id, created, config, manifest, manifest_digest, manifest_media_type, top_layer, size, digests, repo_digests, signatures)
          VALUES (?,?,?,?,?,?,?,?,?,?,?)`).run(img.id, Date.now(), img.configRaw, img.manifest ?? null, img.manifestDigest ?? null,
          img.manifestMediaType ?? null, img.topLayer, img.size, JSON.stringify(digests), JSON.stringify(uniq(img.repoDigests ?? [])),
          mergeSignatures(null, img.signatures));
      } else {
        const allDigests = uniq([...JSON.parse(existing.digests), ...digests]);
        const repoDigests = uniq([...JSON.parse(existing.repo_digests), ...(img.repoDigests ?? [])]);
        this.db.prepare('UPDATE images SET digests = ?, repo_digests = ?, manifest = COALESCE(?, manifest), manifest_digest = COALESCE(?, manifest_digest), manifest_media_type = COALESCE(?, manifest_media_type) WHERE id = ?')
          .run(JSON.stringify(allDigests), JSON.stringify(repoDigests), img.manifest ?? null, img.manifestDigest ?? null, img.manifestMediaType ?? null, img.id);
        if (img.signatures) this.db.prepare('UPDATE images SET signatures = ? WHERE id = ?').run(mergeSignatures(existing.signatures, img.signatures), img.id);
      }
      for (const n of img.names ?? []) this.addNameTx(img.id, n);
      if (img.names?.length) this.recordNamesTx(img.id);
      return this.get(img.id)!;
    });
  }

  private addNameTx(id: string, name: string, first = false): void {
    // The image's names keep their order: a new one after the others (or, `first`, before them).
    const r = this.db.prepare('SELECT MIN(added) AS lo, MAX(added) AS hi FROM image_names WHERE image_id = ? AND name != ?').get(id, name) as { lo: number | null; hi: number | null };
    const added = first ? (r.lo !== null ? r.lo - 1 : Date.now()) : Math.max(Date.now(), (r.hi ?? 0) + 1);
    this.db.prepare('INSERT INTO image_names (name, image_id, added) VALUES (?,?,?) ON CONFLICT(name) DO UPDATE SET image_id = excluded.image_id, added = excluded.added')
      .run(name, id, added);
  }

  /**
   * After the names of an image change, put each of its names (in order) at the front of its
   * names history, as containers/storage does on every name update: so a name added and removed
   * again stays second, behind the names the image still has.
   */
  private recordNamesTx(id: string): void {
    const r = this.db.prepare('SELECT names_history FROM images WHERE id = ?').get(id) as any;
    if (!r) return;
    let history: string[] = JSON.parse(r.names_history);
    for (const n of this.namesOf(id)) history = [n, ...history.filter((h) => h !== n)];
    this.db.prepare('UPDATE images SET names_history = ? WHERE id = ?').run(JSON.stringify(history), id);
  }

  /** Gives the image `name` (taking it from another image), after its other names or, `first`, before them. */
  addName(id: string, name: string, opts: { first?: boolean } = {}): void {
    immediate(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM images WHERE id = ?').get(id)) throw new NotFoundError(`${id}: image not known`);
      this.addNameTx(id, name, opts.first);
      this.recordNamesTx(id);
    });
  }

  /**
   * Stores a manifest list: a new record (a random id, `names`) when `id` is undefined, else the
   * list's new content. Its digest is the list's own (the old one is forgotten, as containers/storage
   * forgets a replaced manifest), and its size that of the list and its instance map (podman's).
   */
  putList(id: string | undefined, list: { manifest: string; mediaType: string; digest: string; instances: Record<string, string> }, names: string[] = []): ImageRecord {
    const instances = JSON.stringify(list.instances);
    const size = Buffer.byteLength(list.manifest) + Buffer.byteLength(instances);
    return immediate(this.db, () => {
      if (id === undefined) {
        id = randomId();
        for (const n of names) {
          const owner = this.db.prepare('SELECT image_id FROM image_names WHERE name = ?').get(n) as { image_id: string } | undefined;
          if (owner) throw new PierError(`image name "${n}" is already associated with image "${owner.image_id}": that name is already in use`);
        }
        this.db.prepare(`INSERT INTO images (id, created, config, manifest, manifest_digest, manifest_media_type, top_layer, size, digests, repo_digests, list_instances)
          VALUES (?,?,?,?,?,?,NULL,?,?,'[]',?)`).run(id, Date.now(), '{}', list.manifest, list.digest, list.mediaType, size, JSON.stringify([list.digest]), instances);
        for (const n of names) this.addNameTx(id, n);
        if (names.length) this.recordNamesTx(id);
      } else {
        const r = this.db.prepare('UPDATE images SET manifest = ?, manifest_digest = ?, manifest_media_type = ?, size = ?, digests = ?, list_instances = ? WHERE id = ?')
          .run(list.manifest, list.digest, list.mediaType, size, JSON.stringify([list.digest]), instances, id);
        if (r.changes === 0) throw new NotFoundError(`${id}: image not known`);
      }
      return this.get(id)!;
    });
  }

  /** Replace the signatures an image keeps for a manifest digest. */
  setSignatures(id: string, manifestDigest: string, sigs: Buffer[]): void {
    immediate(this.db, () => {
      const r = this.db.prepare('SELECT signatures FROM images WHERE id = ?').get(id) as { signatures: string | null } | undefined;
      if (!r) throw new NotFoundError(`${id}: image not known`);
      this.db.prepare('UPDATE images SET signatures = ? WHERE id = ?').run(mergeSignatures(r.signatures, { [manifestDigest]: sigs }), id);
    });
  }

  /** Remove a name; returns false if no image has it. */
  removeName(id: string, name: string): boolean {
    return immediate(this.db, () => {
      const removed = this.db.prepare('DELETE FROM image_names WHERE name = ? AND image_id = ?').run(name, id).changes > 0;
      if (removed) this.recordNamesTx(id);
      return removed;
    });
  }

  removeAllNames(id: string): void {
    this.db.prepare('DELETE FROM image_names WHERE image_id = ?').run(id);
  }

  /** Delete the image record (names cascade). Call inside a transaction with the layer cleanup. */
  delete(id: string): void {
    const r = this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
    if (r.changes === 0) throw new PierError(`${id}: image not known`);
  }

  /** Whether any image uses this layer as its top layer. */
  usesTopLayer(layerId: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM images WHERE top_layer = ? LIMIT 1').get(layerId);
  }
}
