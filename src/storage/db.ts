// pier's metadata database: SQLite in WAL mode, shared safely by many pier processes.
// Writers use BEGIN IMMEDIATE transactions and wait on a busy timeout, so concurrent
// commands serialise their writes instead of failing or losing updates.
import type BetterSqlite3 from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type DB = BetterSqlite3.Database;

/** Schema migrations, applied in order; user_version counts those applied. */
const MIGRATIONS: string[] = [`
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS layers (
  id TEXT PRIMARY KEY,            -- chain id (hex)
  parent TEXT,                    -- parent layer id or NULL
  diff_id TEXT NOT NULL,          -- sha256 of the uncompressed tar
  compressed_digest TEXT,         -- digest of the stored compressed blob, if kept
  compressed_size INTEGER,
  compressed_media_type TEXT,
  uncompressed_size INTEGER NOT NULL,
  driver TEXT NOT NULL,
  link TEXT,                      -- short name for overlay lowerdir lists
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS layers_parent ON layers(parent);
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,            -- config digest (hex)
  created INTEGER NOT NULL,       -- when stored locally (ms)
  config TEXT NOT NULL,           -- image config JSON
  manifest TEXT,                  -- manifest JSON as pulled or generated
  manifest_digest TEXT,
  manifest_media_type TEXT,
  top_layer TEXT,                 -- layer id or NULL for an image without layers
  size INTEGER NOT NULL,          -- sum of uncompressed layer sizes
  digests TEXT NOT NULL DEFAULT '[]',  -- JSON list of manifest digests this image is known by
  repo_digests TEXT NOT NULL DEFAULT '[]'  -- JSON list of repo@digest
);
CREATE TABLE IF NOT EXISTS image_names (
  name TEXT PRIMARY KEY,          -- fully qualified reference: registry/repo:tag
  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  added INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS image_names_image ON image_names(image_id);
`, `
CREATE TABLE containers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  image_id TEXT,                  -- NULL for containers from a rootfs
  image_name TEXT NOT NULL,       -- as the user gave it
  created INTEGER NOT NULL,       -- ms
  config TEXT NOT NULL,           -- JSON: resolved create options
  state TEXT NOT NULL,            -- JSON: status, pids, exit code, times
  pod_id TEXT
);
CREATE INDEX containers_image ON containers(image_id);
`, `
CREATE TABLE pods (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,       -- ms
  config TEXT NOT NULL,           -- JSON: the pod's create options
  infra_id TEXT                   -- the infra container, or NULL for a pod without one
);
CREATE INDEX containers_pod ON containers(pod_id);
`, `
CREATE TABLE build_cache (
  key TEXT PRIMARY KEY,           -- sha256 of parent image, instruction and its inputs
  image_id TEXT NOT NULL,         -- the image the step produced
  created INTEGER NOT NULL
);
`, `
CREATE TABLE secrets (
  id TEXT PRIMARY KEY,            -- 25 hex digits (podman's secret ids)
  name TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,          -- ns since the epoch (decimal)
  driver TEXT NOT NULL,           -- 'file': the data is <root>/secrets/filedriver/<id>
  driver_options TEXT NOT NULL,   -- JSON map (path: the data directory)
  labels TEXT NOT NULL            -- JSON map
);
`, `
-- Every name an image has had, newest first (containers/storage's NamesHistory).
ALTER TABLE images ADD COLUMN names_history TEXT NOT NULL DEFAULT '[]';
`, `
-- 1 for a build's containers: podman's "external" (storage) containers, which ps -a, rm -a,
-- events, inspect and the API's lists leave out.
ALTER TABLE containers ADD COLUMN external INTEGER NOT NULL DEFAULT 0;
`, `
-- A manifest list (podman's "manifest list" images): where each instance's manifest was found
-- (JSON: instance digest -> containers-storage:ID or docker://REFERENCE); NULL for an image.
ALTER TABLE images ADD COLUMN list_instances TEXT;
`, `
-- The signatures kept with an image (containers/storage's "signatures" big data): JSON,
-- manifest digest -> the signature blobs (base64) of that manifest; NULL when none.
ALTER TABLE images ADD COLUMN signatures TEXT;
`, `
-- The libpod namespace (global --namespace, containers.conf [engine] namespace) a container or
-- pod was created in: '' for none. A command given one sees only that namespace's.
ALTER TABLE containers ADD COLUMN namespace TEXT NOT NULL DEFAULT '';
ALTER TABLE pods ADD COLUMN namespace TEXT NOT NULL DEFAULT '';
`];


const opened = new Map<string, DB>();

/**
 * The path of better-sqlite3's compiled addon, handed to it directly: its own lookup (the
 * `bindings` package) probes a dozen paths on every start. Undefined (its lookup) if absent.
 */
function sqliteBinding(): string | undefined {
  for (let d = __dirname; ; d = path.dirname(d)) {
    const file = path.join(d, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    if (fs.existsSync(file)) return file;
    if (path.dirname(d) === d) return undefined;
  }
}

let sqliteAddon: object | undefined;

/**
 * better-sqlite3's addon, opened here with process.dlopen and handed over as an object: given a
 * path, it would go through require's resolution (stat and realpath of every component).
 */
function nativeBinding(): object | string | undefined {
  if (sqliteAddon) return sqliteAddon;
  const file = sqliteBinding();
  if (!file) return undefined;
  try {
    const mod = { exports: {} as object };
    process.dlopen(mod, file);
    return (sqliteAddon = mod.exports);
  } catch {
    return file;
  }
}

/** Open (and create/migrate) the database under `dir`. One handle per process and path. */
export function openDb(dir: string): DB {
  const file = path.join(dir, 'pier.db');
  const cached = opened.get(file);
  if (cached) return cached;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Loaded on first use: the native module is not needed to start (and not part of a start-up snapshot).
  const Database = require('better-sqlite3') as typeof BetterSqlite3;
  const db = new Database(file, { timeout: 60_000, nativeBinding: nativeBinding() as any });
  // WAL is a property of the database file: set it once, not on every open.
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  opened.set(file, db);
  return db;
}

/**
 * The database under `dir` opened read-only, for readers that must not change the store
 * (shell completion): no directory or file is created, no migration runs. Undefined when
 * there is no database yet, or it cannot be opened.
 */
export function openDbReadOnly(dir: string): DB | undefined {
  const file = path.join(dir, 'pier.db');
  if (!fs.existsSync(file)) return undefined;
  try {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    return new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000, nativeBinding: nativeBinding() as any });
  } catch {
    return undefined;
  }
}

function migrate(db: DB): void {
  const current = () => db.pragma('user_version', { simple: true }) as number;
  if (current() >= MIGRATIONS.length) return;
  immediate(db, () => {
    for (let v = current(); v < MIGRATIONS.length; v++) {
      if (MIGRATIONS[v] === undefined) throw new Error(`schema migration ${v} missing`);
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }
  });
}

/** Run `fn` in a BEGIN IMMEDIATE transaction (takes the write lock up front). */
export function immediate<T>(db: DB, fn: () => T): T {
  return db.transaction(fn).immediate();
}

export function closeAll(): void {
  for (const db of opened.values()) db.close();
  opened.clear();
}
