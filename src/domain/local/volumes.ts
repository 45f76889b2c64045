// The in-process volume engine: the volume store (src/engine/volumes) plus the checks that
// need the containers (which volumes are in use) and the tar import/export of their content.
import type { Readable } from 'node:stream';
import type { VolumeEngine, VolumeInspect, VolumeCreateOptions, VolumeRemoveOptions, VolumeReloadReport } from '../volumes';
import type { DB } from '../../storage/db';
import { ContainerStore } from '../../engine/container-store';
import {
  Volume, VolumeRoots, createVolume, getVolume, findVolume, listVolumes, removeVolume, mountVolume, unmountVolume,
  VolumeInUseError, mountVolumeForUser, unmountVolumeForUser, usesPlugin, pluginOf, createPluginVolume,
} from '../../engine/volumes';
import { writeDirAsTar } from '../../storage/tar/writer';
import { extractLayer } from '../../storage/tar/extract';
import { native } from '../../util/native';
import { NotFoundError, PierError, UsageError } from '../../util/errors';
import { parseTimeOrDuration } from '../../image/filters';
import { goMap } from '../../util/gomap';
import { log } from '../../util/log';
import { randomHex } from '../../util/digest';

export interface LocalVolumeDeps {
  /** Containers using a volume (default: scan the container records' mounts). */
  usedBy?: (name: string) => string[];
  /** Whether a mount user recorded by mountVolume still exists (default: a container record or a live pier process). */
  isMountUserAlive?: (user: string) => boolean;
  /** Remove a container (for `volume rm --force`), stopping it within `timeout` seconds. */
  removeContainer?: (id: string, timeout?: number) => Promise<void>;
}

/** The podman inspect shape of a volume (`status`: what its plugin reports; `timeout`: the plugin's default). */
export function volumeInspect(v: Volume, plugin: { status?: Record<string, unknown>; timeout?: number } = {}): VolumeInspect {
  const out: VolumeInspect = {
    Name: v.name, Driver: v.driver, Mountpoint: v.mountpoint, CreatedAt: new Date(v.createdAt),
    ...(plugin.status && Object.keys(plugin.status).length ? { Status: plugin.status } : {}),
    Labels: goMap(v.labels), Scope: 'local', Options: goMap(v.options), MountCount: v.mountCount,
  };
  // Keep podman's field order: UID, GID and Anonymous come before MountCount.
  const ordered: any = {};
  for (const [k, val] of Object.entries(out)) {
    if (k === 'MountCount') {
      if (v.uid !== undefined && v.uid !== 0) ordered.UID = v.uid;
      if (v.gid !== undefined && v.gid !== 0) ordered.GID = v.gid;
      if (v.anonymous) ordered.Anonymous = true;
    }
    ordered[k] = val;
  }
  if (v.needsCopyUp) ordered.NeedsCopyUp = true;
  if (v.needsChown) ordered.NeedsChown = true;
  const timeout = v.timeout ?? plugin.timeout;
  if (timeout) ordered.Timeout = timeout;
  return ordered as VolumeInspect;
}


type Pred = (v: Volume) => boolean;

function regexFilter(value: string): RegExp {
  try {
    return new RegExp(value);
  } catch (e: any) {
    throw new UsageError(`error parsing regexp: ${e.message}`);
  }
}

function labelPred(value: string): Pred {
  const eq = value.indexOf('=');
  const key = eq < 0 ? value : value.slice(0, eq);
  return (v) => key in v.labels && (eq < 0 || v.labels[key] === value.slice(eq + 1));
}

/**
 * Compile volume filters (`key=value`; `label!=` negates). Same keys are OR'ed, different
 * keys AND'ed. `isUsed` answers the dangling filter.
 */
export function compileVolumeFilters(filters: string[], isUsed: (name: string) => boolean): Pred {
  const groups = new Map<string, Pred[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`filter input must be in the form of filter=value: ${f} is invalid`);
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    let p: Pred;
    switch (key) {
      case 'name': { const re = regexFilter(value); p = (v) => re.test(v.name); break; }
      case 'driver': p = (v) => v.driver === value; break;
      case 'scope': p = () => value === 'local'; break;
      case 'label': p = labelPred(value); break;
      case 'label!': { const l = labelPred(value); p = (v) => !l(v); break; }
      case 'opt': {
        const oe = value.indexOf('=');
        const k = oe < 0 ? value : value.slice(0, oe);
        p = (v) => k in v.options && (oe < 0 || v.options[k] === value.slice(oe + 1));
        break;
      }
      case 'dangling': {
        if (value !== 'true' && value !== 'false') throw new UsageError(`"${value}" is not a valid value for the "dangling" filter - must be true or false`);
        const want = value === 'true';
        p = (v) => !isUsed(v.name) === want;
        break;
      }
      case 'until': { const t = parseTimeOrDuration(value); p = (v) => v.createdAt < t; break; }
      default: throw new UsageError(`"${key}" is an invalid volume filter`);
    }
    const g = groups.get(key) ?? [];
    g.push(p);
    groups.set(key, g);
  }
  const all = [...groups.values()];
  // label! filters must all hold (each excludes); other keys match any of their values.
  return (v) => all.every((g) => (g === groups.get('label!') ? g.every((p) => p(v)) : g.some((p) => p(v))));
}

export class LocalVolumeEngine implements VolumeEngine {
  constructor(readonly store: VolumeRoots & { db: DB }, readonly deps: LocalVolumeDeps = {}) {}

  /** Volume name → ids of the containers whose mounts reference it. */
  usage(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    if (this.deps.usedBy) {
      for (const v of listVolumes(this.store)) {
        const ids = this.deps.usedBy(v.name);
        if (ids.length) m.set(v.name, ids);
      }
      return m;
    }
    // A build's (external) containers count too.
    for (const c of new ContainerStore(this.store.db).list({ external: true })) {
      for (const mt of c.config.mounts ?? []) {
        if (mt.type !== 'volume' || !mt.name) continue;
        const ids = m.get(mt.name) ?? [];
        if (!ids.includes(c.id)) ids.push(c.id);
        m.set(mt.name, ids);
      }
    }
    return m;
  }

  /** Ids of the containers using the volume `name`. */
  usedBy(name: string): string[] {
    if (this.deps.usedBy) return this.deps.usedBy(name);
    return this.usage().get(name) ?? [];
  }

  /** Mount users are container ids, or `pier-PID-…` for this engine's temporary mounts. */
  isMountUserAlive(user: string): boolean {
    if (this.deps.isMountUserAlive) return this.deps.isMountUserAlive(user);
    const m = /^pier-(\d+)-/.exec(user);
    if (m) {
      try { process.kill(Number(m[1]), 0); return true; } catch (e: any) { return e.code === 'EPERM'; }
    }
    return new ContainerStore(this.store.db).get(user) !== undefined;
  }

  async create(o: VolumeCreateOptions): Promise<VolumeInspect> {
    if (o.driver && o.driver !== 'local') return this.describe(await createPluginVolume(this.store, { ...o, driver: o.driver }));
    return volumeInspect(createVolume(this.store, o));
  }

  /** The inspect data of `v`; a plugin's volume with the status its plugin reports (podman fails when it cannot ask). */
  private async describe(v: Volume): Promise<VolumeInspect> {
    if (!usesPlugin(v)) return volumeInspect(v);
    let plugin: Awaited<ReturnType<typeof pluginOf>>;
    try { plugin = await pluginOf(this.store, v.driver, v.timeout); } catch (e: any) {
      log.error(`Volume ${v.name} uses volume plugin ${v.driver}, but it cannot be accessed - some functionality may not be available: ${e.message}`);
      throw new PierError(`volume ${v.name} uses volume plugin ${v.driver} but it is not available, cannot inspect: required plugin missing`);
    }
    let status: Record<string, unknown> | undefined;
    try { status = (await plugin.get(v.name))?.Status; } catch (e: any) {
      throw new PierError(`retrieving volume ${v.name} information from plugin ${v.driver}: ${e.message}`);
    }
    const { DEFAULT_PLUGIN_TIMEOUT } = require('../../engine/volume-plugin') as typeof import('../../engine/volume-plugin');
    return volumeInspect(v, { status, timeout: this.store.volumePluginTimeout ?? DEFAULT_PLUGIN_TIMEOUT });
  }

  async list(filters: string[] = []): Promise<VolumeInspect[]> {
    const usage = filters.some((f) => f.startsWith('dangling=')) ? this.usage() : new Map<string, string[]>();
    const pred = compileVolumeFilters(filters, (n) => (usage.get(n)?.length ?? 0) > 0);
    const out: VolumeInspect[] = [];
    for (const v of listVolumes(this.store).filter(pred)) out.push(await this.describe(v));
    return out;
  }

  async inspect(name: string): Promise<VolumeInspect> {
    return this.describe(getVolume(this.store, name));
  }

  /**
   * `volume reload` (podman's UpdateVolumePlugins): every configured plugin's volumes that pier
   * has no volume of that name for are recorded; pier's plugin volumes that no plugin lists any
   * more are forgotten (the plugin is not asked to remove them). Failures are collected, not fatal.
   */
  async reload(): Promise<VolumeReloadReport> {
    const report: VolumeReloadReport = { added: [], removed: [], errors: [] };
    const listed = new Set<string>();
    for (const driver of Object.keys(this.store.volumePlugins ?? {})) {
      let vols: { Name: string }[];
      try {
        const plugin = await pluginOf(this.store, driver);
        try { vols = await plugin.list(); } catch (e: any) {
          report.errors.push(`failed to read volumes from plugin "${driver}": ${e.message}`);
          continue;
        }
      } catch (e: any) {
        report.errors.push(e.message);
        continue;
      }
      for (const { Name } of vols) {
        listed.add(Name);
        if (findVolume(this.store, Name)) continue;
        try {
          await createPluginVolume(this.store, { name: Name, driver, inPlugin: false });
          report.added.push(Name);
        } catch (e: any) {
          if (!/volume already exists$/.test(e.message)) report.errors.push(e.message);
        }
      }
    }
    for (const v of listVolumes(this.store)) {
      if (!usesPlugin(v) || listed.has(v.name)) continue;
      try {
        await removeVolume(this.store, v.name, { usedBy: (n) => this.usedBy(n), isMountUserAlive: (u) => this.isMountUserAlive(u), keepInPlugin: true });
        report.removed.push(v.name);
      } catch (e: any) {
        if (e instanceof NotFoundError) continue;
        if (e instanceof VolumeInUseError) report.errors.push(`volume was removed from the plugin "${v.driver}" but containers still require it: ${e.message}`);
        else report.errors.push(e.message);
      }
    }
    return report;
  }

  async exists(name: string): Promise<boolean> {
    return findVolume(this.store, name) !== undefined;
  }

  async remove(name: string, o: VolumeRemoveOptions = {}): Promise<void> {
    getVolume(this.store, name);
    const users = this.usedBy(name);
    if (users.length && !o.force) throw new VolumeInUseError(name, users);
    if (users.length) {
      if (!this.deps.removeContainer) throw new PierError(`volume ${name} is in use and its containers cannot be removed here`);
      for (const id of users) await this.deps.removeContainer(id, o.timeout);
    }
    await removeVolume(this.store, name, { force: !!o.force, usedBy: (n) => this.usedBy(n), isMountUserAlive: (u) => this.isMountUserAlive(u) });
  }

  async prune(filters: string[] = []): Promise<string[]> {
    const pred = compileVolumeFilters(filters.filter((f) => !f.startsWith('dangling=')), () => false);
    const usage = this.usage();
    const removed: string[] = [];
    for (const v of listVolumes(this.store)) {
      if (!pred(v) || usage.has(v.name)) continue;
      try {
        await removeVolume(this.store, v.name, { usedBy: (n) => this.usedBy(n), isMountUserAlive: (u) => this.isMountUserAlive(u) });
        removed.push(v.name);
      } catch (e) {
        // Taken into use or removed by someone else meanwhile: not ours to prune.
        if (!(e instanceof VolumeInUseError) && !(e instanceof NotFoundError)) throw e;
      }
    }
    return removed;
  }

  async mount(name: string): Promise<string> {
    return mountVolumeForUser(this.store, name);
  }

  async unmount(name: string): Promise<void> {
    await unmountVolumeForUser(this.store, name);
  }

  /** Mount the volume for the duration of `fn` (a no-op for plain directories). */
  private async withMounted<T>(name: string, fn: (dir: string) => Promise<T>): Promise<T> {
    const user = `pier-${process.pid}-${randomHex(4)}`;
    const dir = await mountVolume(this.store, name, user);
    try {
      return await fn(dir);
    } finally {
      await unmountVolume(this.store, name, user);
    }
  }

  async export(name: string, out: NodeJS.WritableStream): Promise<void> {
    if (!findVolume(this.store, name)) throw new NotFoundError(`no such volume ${name}`);
    await this.withMounted(name, async (dir) => {
      const tar = writeDirAsTar(dir, { xattrs: xattrsOf });
      const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
      await pipeline(tar, out, { end: false });
    });
  }

  async import(name: string, input: Readable): Promise<void> {
    if (!findVolume(this.store, name)) throw new NotFoundError(`no such volume ${name}`);
    await this.withMounted(name, async (dir) => {
      await extractLayer(input, dir, { mode: 'vfs' });
    });
  }
}

/** Extended attributes for the export tar (overlay's own bookkeeping left out). */
function xattrsOf(abs: string): Record<string, Buffer> | undefined {
  let names: string[];
  try { names = native().llistxattr(abs); } catch { return undefined; }
  const out: Record<string, Buffer> = {};
  for (const n of names) {
    if (n.startsWith('trusted.overlay.')) continue;
    try {
      const v = native().lgetxattr(abs, n);
      if (v) out[n] = v;
    } catch { /* vanished or unreadable: leave it out */ }
  }
  return Object.keys(out).length ? out : undefined;
}
