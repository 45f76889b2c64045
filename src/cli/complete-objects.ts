// What shell completion suggests from the store: container, pod, image, volume, network and
// secret names, and paths inside an image or a container. Everything is read without changing
// the store: the database is opened read-only (nothing is created or migrated), a container's
// state is judged from conmon's exit file without recording it, and paths are read from the
// layer directories themselves (overlay whiteouts and opaque directories applied) instead of
// mounting the image or container as podman does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DB } from '../storage/db';
import type { GlobalOptions, EngineConfig } from '../config/config';

export interface ContainerItem { id: string; name: string; podName: string }
export interface NamedItem { id: string; name: string }
export interface ImageItem { id: string; repoTags: string[] }

type Awaitable<T> = T | Promise<T>;

/** Where completion reads objects from: the local store, or the service in remote mode. */
export interface ObjectSource {
  /** Containers (infra containers included), only those in one of `statuses` when given. */
  containers(statuses?: string[]): Awaitable<ContainerItem[]>;
  /** Pods, only those whose status (lower case) is one of `statuses` when given. */
  pods(statuses?: string[]): Awaitable<NamedItem[]>;
  images(): Awaitable<ImageItem[]>;
  volumes(): Awaitable<string[]>;
  networks(): Awaitable<NamedItem[]>;
  secrets(): Awaitable<NamedItem[]>;
  /** registries.conf's unqualified-search registries. */
  searchRegistries(): Awaitable<string[]>;
  /** The root file system of an image (as `create` would resolve the name), or undefined. */
  imageRoot(nameOrId: string): Awaitable<RootFS | undefined>;
  /** The root file system of a container, or undefined. */
  containerRoot(nameOrId: string): Awaitable<RootFS | undefined>;
}

/** An empty source: no store (or one that cannot be read). */
const EMPTY: ObjectSource = {
  containers: () => [], pods: () => [], images: () => [], volumes: () => [], networks: () => [], secrets: () => [], searchRegistries: () => [],
  imageRoot: () => undefined, containerRoot: () => undefined,
};

const RUNNING = ['running', 'paused', 'stopping'];

/**
 * The objects of the store the global options name: the local store read-only, or in remote
 * mode (--url, --connection, CONTAINER_HOST...) the service's, through its API (no paths
 * inside images or containers then, as podman-remote).
 */
export function storeObjects(globals: GlobalOptions): ObjectSource {
  let remote: ReturnType<typeof import('../config/connections').resolveRemote>;
  try {
    const { resolveRemote } = require('../config/connections') as typeof import('../config/connections');
    remote = resolveRemote(globals);
  } catch {
    return EMPTY;
  }
  if (remote) return new RemoteObjects(remote.uri, remote.identity, globals);
  return localObjects(globals);
}

/** The local store named by the global options, read-only. */
export function localObjects(globals: GlobalOptions): ObjectSource {
  let cfg: EngineConfig;
  try {
    const { resolveConfig } = require('../config/config') as typeof import('../config/config');
    cfg = resolveConfig(globals);
  } catch {
    return EMPTY;
  }
  return new LocalObjects(cfg);
}

/** The service's objects (podman-remote's completion asks its service too). */
class RemoteObjects implements ObjectSource {
  private engines?: Promise<import('../domain/engines').Engines | undefined>;

  constructor(readonly uri: string, readonly identity: string | undefined, readonly globals: GlobalOptions) {}

  private connect(): Promise<import('../domain/engines').Engines | undefined> {
    return (this.engines ??= (async () => {
      try {
        let url = this.uri;
        if (url.startsWith('ssh://')) {
          const { openSshTunnel } = require('../domain/remote/ssh') as typeof import('../domain/remote/ssh');
          url = `unix://${(await openSshTunnel(url, this.identity)).socket}`;
        }
        const { ApiClient, parseEndpoint } = require('../domain/remote/client') as typeof import('../domain/remote/client');
        const { RemoteEngines } = require('../domain/remote/engines') as typeof import('../domain/remote/engines');
        return new RemoteEngines(new ApiClient(parseEndpoint(url), this.uri));
      } catch {
        return undefined;
      }
    })());
  }

  /** `fn`'s answer from the service; nothing when it cannot be reached. */
  private async ask<T>(fn: (e: import('../domain/engines').Engines) => Promise<T[]>): Promise<T[]> {
    const e = await this.connect();
    if (!e) return [];
    try { return await fn(e); } catch { return []; }
  }

  containers(statuses?: string[]): Promise<ContainerItem[]> {
    return this.ask(async (e) => (await e.containers().list({ all: true, filters: statuses?.map((s) => `status=${s}`) }))
      .map((c) => ({ id: c.Id, name: c.Names[0] ?? '', podName: c.PodName ?? '' })));
  }

  pods(statuses?: string[]): Promise<NamedItem[]> {
    return this.ask(async (e) => (await e.pods().list({ filters: statuses?.map((s) => `status=${s}`) })).map((p) => ({ id: p.Id, name: p.Name })));
  }

  images(): Promise<ImageItem[]> {
    return this.ask(async (e) => (await e.images().list({})).map((i) => ({ id: i.Id.replace(/^sha256:/, ''), repoTags: (i.RepoTags ?? []).filter((t) => !t.includes('<none>')) })));
  }

  volumes(): Promise<string[]> {
    return this.ask(async (e) => (await e.volumes().list()).map((v) => v.Name));
  }

  networks(): Promise<NamedItem[]> {
    return this.ask(async (e) => (await e.networks().list()).map((n) => ({ id: n.id, name: n.name })));
  }

  secrets(): Promise<NamedItem[]> {
    return this.ask(async (e) => (await e.secrets().list()).map((s) => ({ id: s.ID, name: s.Spec.Name })));
  }

  searchRegistries(): string[] {
    return localSearchRegistries(this.globals.registriesConf);
  }

  imageRoot(): undefined { return undefined; }
  containerRoot(): undefined { return undefined; }
}

/** registries.conf's unqualified-search registries ([] when it cannot be read). */
function localSearchRegistries(file: string | undefined): string[] {
  try {
    const { loadRegistriesConf } = require('../image/config/registries') as typeof import('../image/config/registries');
    return [...(loadRegistriesConf({ path: file || process.env.CONTAINERS_REGISTRIES_CONF || undefined }).unqualifiedSearchRegistries ?? [])];
  } catch {
    return [];
  }
}

class LocalObjects implements ObjectSource {
  private dbMemo?: DB | null;

  constructor(readonly cfg: EngineConfig) {}

  private get db(): DB | undefined {
    if (this.dbMemo === undefined) {
      const { openDbReadOnly } = require('../storage/db') as typeof import('../storage/db');
      this.dbMemo = openDbReadOnly(this.cfg.graphRoot) ?? null;
    }
    return this.dbMemo ?? undefined;
  }

  private all<T>(sql: string, ...params: unknown[]): T[] {
    const db = this.db;
    if (!db) return [];
    try { return db.prepare(sql).all(...params) as T[]; } catch { return []; }
  }

  /** A container's status as `ps` would show it now: a running one whose conmon is gone or that left an exit code has exited. */
  private status(id: string, stateJson: string): string {
    let s: { status: string; conmonPid?: number };
    try { s = JSON.parse(stateJson); } catch { return 'unknown'; }
    const live = RUNNING.includes(s.status) || ((s.status === 'created' || s.status === 'initialized') && !!s.conmonPid);
    if (!live) return s.status === 'stopped' ? 'exited' : s.status;
    const { readExitCode, processAlive } = require('../engine/conmon') as typeof import('../engine/conmon');
    const exited = readExitCode(path.join(this.cfg.runRoot, 'exits'), id) !== null || (!!s.conmonPid && !processAlive(s.conmonPid));
    return exited ? 'exited' : s.status;
  }

  /**
   * Not a build's (external) containers, which commands do not find by name, and only the
   * --namespace's when one is given (a store not yet migrated has neither column, nor containers in a namespace).
   */
  private containerRows(): { id: string; name: string; state: string; pod_id: string | null }[] {
    const cols = 'SELECT id, name, state, pod_id FROM containers';
    const ns = this.cfg.namespace;
    try { return this.db?.prepare(`${cols} WHERE external = 0${ns ? ' AND namespace = ?' : ''} ORDER BY created`).all(...(ns ? [ns] : [])) as any[] ?? []; } catch { return ns ? [] : this.all(`${cols} ORDER BY created`); }
  }

  containers(statuses?: string[]): ContainerItem[] {
    const rows = this.containerRows();
    const podNames = new Map(this.all<{ id: string; name: string }>('SELECT id, name FROM pods').map((p) => [p.id, p.name]));
    const out: ContainerItem[] = [];
    for (const r of rows) {
      if (statuses && !statuses.includes(this.status(r.id, r.state))) continue;
      out.push({ id: r.id, name: r.name, podName: (r.pod_id && podNames.get(r.pod_id)) || '' });
    }
    return out;
  }

  pods(statuses?: string[]): NamedItem[] {
    const ns = this.cfg.namespace;
    const pods = this.all<{ id: string; name: string }>(`SELECT id, name FROM pods${ns ? ' WHERE namespace = ?' : ''} ORDER BY created`, ...(ns ? [ns] : []));
    if (!statuses) return pods;
    const { podStatus } = require('../domain/local/pods') as typeof import('../domain/local/pods');
    const members = new Map<string, string[]>();
    for (const r of this.all<{ id: string; state: string; pod_id: string; config: string }>('SELECT id, state, pod_id, config FROM containers WHERE pod_id IS NOT NULL')) {
      // Init containers do not count towards a pod's status (as `pod ps`).
      if (/"initContainerType":"/.test(r.config)) continue;
      const list = members.get(r.pod_id) ?? [];
      list.push(this.status(r.id, r.state));
      members.set(r.pod_id, list);
    }
    return pods.filter((p) => statuses.includes(podStatus(members.get(p.id) ?? []).toLowerCase()));
  }

  images(): ImageItem[] {
    const tags = new Map<string, string[]>();
    for (const n of this.all<{ name: string; image_id: string }>('SELECT name, image_id FROM image_names ORDER BY added')) {
      if (n.name.includes('@')) continue;
      const list = tags.get(n.image_id) ?? [];
      list.push(n.name);
      tags.set(n.image_id, list);
    }
    return this.all<{ id: string }>('SELECT id FROM images ORDER BY created DESC').map((i) => ({ id: i.id, repoTags: tags.get(i.id) ?? [] }));
  }

  volumes(): string[] {
    const dir = this.cfg.volumePath ?? path.join(this.cfg.graphRoot, 'volumes');
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { return []; }
    // A volume is a directory with its definition file (engine/volumes.ts).
    return names.filter((n) => !n.startsWith('.') && fs.existsSync(path.join(dir, n, 'volume.json'))).sort();
  }

  networks(): NamedItem[] {
    const { networkDirs, DEFAULT_NETWORK } = require('../network/store') as typeof import('../network/store');
    const dir = networkDirs(this.cfg).configDir;
    const out: NamedItem[] = [];
    let names: string[] = [];
    try { names = fs.readdirSync(dir); } catch { /* none yet */ }
    for (const n of names.sort()) {
      if (!n.endsWith('.json')) continue;
      try {
        const def = JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8'));
        if (typeof def.name === 'string' && typeof def.id === 'string') out.push({ id: def.id, name: def.name });
      } catch { /* partial or foreign file */ }
    }
    // The default network exists even before its file is written (on first use).
    if (!out.some((n) => n.name === DEFAULT_NETWORK)) {
      const { createHash } = require('node:crypto') as typeof import('node:crypto');
      out.push({ id: createHash('sha256').update(DEFAULT_NETWORK).digest('hex'), name: DEFAULT_NETWORK });
      out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return out;
  }

  secrets(): NamedItem[] {
    return this.all('SELECT id, name FROM secrets ORDER BY name');
  }

  searchRegistries(): string[] {
    return localSearchRegistries(this.cfg.registriesConf);
  }

  private driver(): 'overlay' | 'vfs' {
    const r = this.all<{ value: string }>("SELECT value FROM meta WHERE key = 'driver'")[0];
    return r?.value === 'vfs' ? 'vfs' : 'overlay';
  }

  /** The directories of a layer chain, top first (overlay: each layer's diff; vfs: the top layer's full tree). */
  private layerDirs(top: string | null): string[] {
    const driver = this.driver();
    const base = path.join(this.cfg.graphRoot, driver);
    if (!top) return [];
    if (driver === 'vfs') return [path.join(base, top)];
    const dirs: string[] = [];
    const seen = new Set<string>();
    for (let id: string | null = top; id && !seen.has(id); ) {
      seen.add(id);
      dirs.push(path.join(base, id, 'diff'));
      id = this.all<{ parent: string | null }>('SELECT parent FROM layers WHERE id = ?', id)[0]?.parent ?? null;
    }
    return dirs;
  }

  imageRoot(nameOrId: string): RootFS | undefined {
    const db = this.db;
    if (!db) return undefined;
    try {
      const { ImageStore } = require('../storage/images') as typeof import('../storage/images');
      const { lookupImage } = require('../image/lookup') as typeof import('../image/lookup');
      const img = lookupImage({ images: new ImageStore(db) } as unknown as import('../storage/store').Store, nameOrId, () => this.searchRegistries());
      if (!img) return undefined;
      return new RootFS(this.layerDirs(img.topLayer));
    } catch {
      return undefined;
    }
  }

  containerRoot(nameOrId: string): RootFS | undefined {
    const db = this.db;
    if (!db) return undefined;
    try {
      const { ContainerStore } = require('../engine/container-store') as typeof import('../engine/container-store');
      const c = new ContainerStore(db, this.cfg.namespace).lookup(nameOrId);
      const base = path.join(this.cfg.graphRoot, 'containers', c.id);
      // --rootfs: the directory itself (with :O, under the container's own upper layer).
      if (c.config.create.rootfs) return new RootFS(c.config.create.rootfsOverlay ? [path.join(base, 'diff'), c.config.create.image] : [c.config.create.image]);
      if (this.driver() === 'vfs') return new RootFS([path.join(base, 'rootfs')]);
      return new RootFS([path.join(base, 'diff'), ...this.layerDirs(c.config.topLayer)]);
    } catch {
      return undefined;
    }
  }
}

const OPAQUE_XATTRS = ['trusted.overlay.opaque', 'user.overlay.opaque'];

function lstat(p: string): fs.Stats | undefined {
  try { return fs.lstatSync(p); } catch { return undefined; }
}

/** An overlay whiteout: a character device 0:0 hiding the name in the layers below. */
function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(dir: string): boolean {
  let getx: ((p: string, n: string) => Buffer | null) | undefined;
  try {
    const { native } = require('../util/native') as typeof import('../util/native');
    getx = (p, n) => native().lgetxattr(p, n);
  } catch {
    return false;
  }
  for (const name of OPAQUE_XATTRS) {
    try { if (getx(dir, name)?.toString() === 'y') return true; } catch { /* not supported */ }
  }
  return false;
}

export interface DirEntry { name: string; isDir: boolean }

/**
 * A root file system seen through its layer directories (top first), as the overlay mount
 * would show it: a name is the top-most layer's; whiteouts hide it below; an opaque
 * directory hides the lower layers' copies of that directory.
 */
export class RootFS {
  constructor(readonly layers: string[]) {}

  /** The layers holding the directory `parts` (top first), stopping at an opaque one; empty when it is not a directory. */
  private dirLayers(parts: string[]): string[] {
    let cur = this.layers;
    for (let i = 0; i < parts.length; i++) {
      const next: string[] = [];
      const rel = parts.slice(0, i + 1).join('/');
      for (const l of cur) {
        const p = path.join(l, rel);
        const st = lstat(p);
        if (!st) continue;
        if (isWhiteout(st) || !st.isDirectory()) break;
        next.push(l);
        if (isOpaque(p)) break;
      }
      if (next.length === 0) return [];
      cur = next;
    }
    return cur;
  }

  /** The top-most entry for `parts` (a path from the root), or undefined when there is none. */
  private entry(parts: string[]): { abs: string; st: fs.Stats } | undefined {
    if (parts.length === 0) return this.layers.length ? { abs: this.layers[0], st: lstat(this.layers[0])! } : undefined;
    for (const l of this.dirLayers(parts.slice(0, -1))) {
      const abs = path.join(l, ...parts);
      const st = lstat(abs);
      if (!st) continue;
      if (isWhiteout(st)) return undefined;
      return { abs, st };
    }
    return undefined;
  }

  /**
   * `p` joined to the root with every symlink resolved inside it and `..` never leaving it
   * (as podman's securejoin): the path's components from the root.
   */
  resolve(p: string): string[] {
    const out: string[] = [];
    let todo = p.split('/');
    let hops = 0;
    while (todo.length) {
      const c = todo.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') { out.pop(); continue; }
      const e = this.entry([...out, c]);
      if (e && e.st.isSymbolicLink() && hops++ < 255) {
        let target = '';
        try { target = fs.readlinkSync(e.abs); } catch { /* unreadable: keep the name */ }
        if (target) {
          if (target.startsWith('/')) out.length = 0;
          todo = [...target.split('/'), ...todo];
          continue;
        }
      }
      out.push(c);
    }
    return out;
  }

  isDir(parts: string[]): boolean {
    return this.dirLayers(parts).length > 0;
  }

  /** The merged entries of the directory `parts`, by name. */
  readdir(parts: string[]): DirEntry[] {
    const seen = new Map<string, DirEntry | null>();
    for (const l of this.dirLayers(parts)) {
      const dir = path.join(l, ...parts);
      let ents: fs.Dirent[];
      try { ents = fs.readdirSync(dir, { withFileTypes: true }); } catch { continue; }
      for (const d of ents) {
        if (seen.has(d.name)) continue;
        if (d.isCharacterDevice()) {
          const st = lstat(path.join(dir, d.name));
          if (st && isWhiteout(st)) { seen.set(d.name, null); continue; }
        }
        seen.set(d.name, { name: d.name, isDir: d.isDirectory() });
      }
    }
    return [...seen.values()].filter((e): e is DirEntry => e !== null).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
