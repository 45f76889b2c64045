/**
 * Secrets of the `file` driver, as podman 4.3 keeps them:
 *
 *   pier.db, table secrets                 id, name, creation time, driver, options, labels
 *   <graphRoot>/secrets/filedriver/<id>    the data (mode 0600, in a 0700 directory)
 *
 * The data file is written (to a temporary name, then renamed) before the record is inserted,
 * so a record always has its data; the name's UNIQUE constraint settles concurrent creates.
 * Containers get copies (see copySecret): removing a secret does not affect them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DB } from '../storage/db';
import type { SecretRequest } from '../domain/secrets';
import { NotFoundError, PierError } from '../util/errors';
import { randomHex } from '../util/digest';
import { nowNanos } from '../util/clock';
import { rmFile } from '../util/rmtree';

export interface SecretRecord {
  id: string;
  name: string;
  /** Nanoseconds since the epoch (decimal). */
  created: string;
  driver: string;
  driverOptions: Record<string, string>;
  labels: Record<string, string>;
}

/** podman's size limit: more than 0 and less than 512000 bytes. */
export const MAX_SECRET_SIZE = 512000;
const NAME_RE = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62}[a-zA-Z0-9])?$/;
/** Drivers podman has that pier does not. */
const OTHER_DRIVERS = new Set(['pass', 'shell']);

function row(r: any): SecretRecord {
  return { id: r.id, name: r.name, created: r.created, driver: r.driver, driverOptions: JSON.parse(r.driver_options), labels: JSON.parse(r.labels) };
}

export function secretNotFound(nameOrId: string): NotFoundError {
  return new NotFoundError(`no secret with name or id "${nameOrId}": no such secret`);
}

export class SecretStore {
  constructor(readonly db: DB, readonly graphRoot: string) {}

  /** The file driver's default data directory. */
  get dataDir(): string {
    return path.join(this.graphRoot, 'secrets', 'filedriver');
  }

  private dataFile(rec: Pick<SecretRecord, 'id' | 'driverOptions'>): string {
    return path.join(rec.driverOptions.path || this.dataDir, rec.id);
  }

  create(o: { name: string; data: Buffer; driver?: string; driverOptions?: Record<string, string>; labels?: Record<string, string> }): SecretRecord {
    if (!NAME_RE.test(o.name)) {
      throw new PierError(`only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: ${o.name}: invalid secret name`);
    }
    if (o.data.length === 0 || o.data.length >= MAX_SECRET_SIZE) throw new PierError(`secret data must be larger than 0 and less than ${MAX_SECRET_SIZE} bytes`);
    const driver = o.driver || 'file';
    if (OTHER_DRIVERS.has(driver)) throw new PierError(`the ${driver} secret driver is not supported by pier`);
    if (driver !== 'file') throw new PierError('invalid driver');
    if (this.db.prepare('SELECT 1 FROM secrets WHERE name = ?').get(o.name)) throw new PierError(`${o.name}: secret name in use`);
    const rec: SecretRecord = {
      id: this.newId(), name: o.name, created: String(nowNanos()), driver,
      driverOptions: { path: this.dataDir, ...(o.driverOptions ?? {}) }, labels: { ...(o.labels ?? {}) },
    };
    const file = this.dataFile(rec);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, o.data, { mode: 0o600 });
    fs.renameSync(tmp, file);
    try {
      this.db.prepare('INSERT INTO secrets (id, name, created, driver, driver_options, labels) VALUES (?,?,?,?,?,?)')
        .run(rec.id, rec.name, rec.created, rec.driver, JSON.stringify(rec.driverOptions), JSON.stringify(rec.labels));
    } catch (e: any) {
      rmFile(file);
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new PierError(`${o.name}: secret name in use`);
      throw e;
    }
    return rec;
  }

  /** 25 random hex digits, as podman's ids, not the prefix of another's. */
  private newId(): string {
    for (;;) {
      const id = randomHex(13).slice(0, 25);
      if (!this.db.prepare('SELECT 1 FROM secrets WHERE id = ?').get(id)) return id;
    }
  }

  list(): SecretRecord[] {
    return (this.db.prepare('SELECT * FROM secrets ORDER BY CAST(created AS INTEGER)').all() as any[]).map(row);
  }

  /** By name, full id or unique id prefix. */
  lookup(nameOrId: string): SecretRecord {
    const byName = this.db.prepare('SELECT * FROM secrets WHERE name = ? OR id = ?').get(nameOrId, nameOrId);
    if (byName) return row(byName);
    if (/^[a-f0-9]+$/.test(nameOrId)) {
      const rows = this.db.prepare("SELECT * FROM secrets WHERE id >= ? AND id < ? || 'g' LIMIT 2").all(nameOrId, nameOrId) as any[];
      if (rows.length > 1) throw new PierError(`more than one result secret with prefix ${nameOrId}: secret is ambiguous`);
      if (rows.length === 1) return row(rows[0]);
    }
    throw secretNotFound(nameOrId);
  }

  /** The secret's data. */
  data(rec: SecretRecord): Buffer {
    try {
      return fs.readFileSync(this.dataFile(rec));
    } catch (e: any) {
      if (e.code === 'ENOENT') throw new PierError(`getting secret ${rec.name}: its data file ${this.dataFile(rec)} is missing`);
      throw e;
    }
  }

  remove(nameOrId: string): SecretRecord {
    const rec = this.lookup(nameOrId);
    const r = this.db.prepare('DELETE FROM secrets WHERE id = ?').run(rec.id);
    if (r.changes === 0) throw secretNotFound(nameOrId);
    rmFile(this.dataFile(rec));
    return rec;
  }
}

// ---------------------------------------------------------------------------------------
// Secrets in containers

/** A container's mount secret as its record keeps it (podman's inspect shows Name, ID, UID, GID, Mode). */
export interface ContainerSecret {
  name: string;
  id: string;
  /** Where it appears in the container (absolute). */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}


/** The directory of a container's secret copies: <userdata>/secrets (removed with the container). */
export function containerSecretsDir(userdata: string): string {
  return path.join(userdata, 'secrets');
}

/**
 * Resolve a container's --secret requests at create: mount secrets (each a copy of the data under
 * the container's userdata, owned and moded as asked) and env secrets (variable → secret name,
 * whose data is read at each start, as podman does).
 */
export function resolveSecrets(store: SecretStore, reqs: SecretRequest[]): { mounts: ContainerSecret[]; env: Record<string, string> } {
  const mounts: ContainerSecret[] = [];
  const env: Record<string, string> = {};
  for (const r of reqs) {
    const rec = store.lookup(r.source);
    if (r.type === 'env') { env[r.target || rec.name] = rec.name; continue; }
    const t = r.target || rec.name;
    mounts.push({ name: rec.name, id: rec.id, target: t.startsWith('/') ? t : path.posix.join('/run/secrets', t), uid: r.uid ?? 0, gid: r.gid ?? 0, mode: r.mode ?? 0o444 });
  }
  return { mounts, env };
}

/** Write the copies of a container's mount secrets (one file per secret; a later request for the same secret wins). */
export function copySecrets(store: SecretStore, userdata: string, mounts: ContainerSecret[]): void {
  if (!mounts.length) return;
  const dir = containerSecretsDir(userdata);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const m of mounts) {
    const file = path.join(dir, m.name);
    rmFile(file);
    fs.writeFileSync(file, store.data(store.lookup(m.id)), { mode: 0o600 });
    fs.chownSync(file, m.uid, m.gid);
    fs.chmodSync(file, m.mode);
  }
}

/** The `VAR=data` entries of a container's env secrets, read now (a removed secret fails the start). */
export function secretEnv(store: SecretStore, env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, name]) => `${k}=${store.data(store.lookup(name)).toString('utf8')}`);
}
