// Container operations beyond the lifecycle (top, stats, healthchecks, update) and the
// store-wide system commands (df, prune, reset), over the local container engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalContainerEngine } from './containers';
import type { ContainerRecord } from '../../engine/container-store';
import { containerDirs } from '../../engine/rootfs';
import { startedSpec } from '../../engine/spec';
import { cgroupOf, cgroupPids, containerStats, ContainerStats } from '../../engine/stats';
import { pidNamespaceMembers, topRows, translateDescriptors, UnknownDescriptorError } from '../../engine/top';
import { cgroupMode } from '../../engine/runtime';
import { runHealthcheck, HealthcheckRun, healthMonitorLoop, startHealthMonitor, stopHealthMonitor } from '../../engine/health';
import { updateContainer, UpdateOptions } from '../../engine/update';
import { execInContainer } from '../../engine/conmon';
import { removeVolume } from '../../engine/volumes';
import { parseTimeOrDuration } from '../../image/filters';
import { randomId } from '../../util/digest';
import { ConflictError, PierError, UsageError, errorMessage } from '../../util/errors';
import { log } from '../../util/log';
import { mountPoints } from '../../util/mountinfo';

// ---------------------------------------------------------------------------------------
// Report types (podman's entities)

export interface SystemDfImageReport {
  Repository: string;
  Tag: string;
  ImageID: string;
  Created: number;
  Size: number;
  SharedSize: number;
  UniqueSize: number;
  Containers: number;
}

export interface SystemDfContainerReport {
  ContainerID: string;
  Image: string;
  Command: string[];
  LocalVolumes: number;
  Size: number;
  RWSize: number;
  Created: number;
  Status: string;
  Names: string;
}

export interface SystemDfVolumeReport {
  VolumeName: string;
  Links: number;
  Size: number;
  ReclaimableSize: number;
}

export interface SystemDfReport {
  /** Bytes of all image layers (each counted once). */
  ImagesSize: number;
  Images: SystemDfImageReport[];
  Containers: SystemDfContainerReport[];
  Volumes: SystemDfVolumeReport[];
}

export interface PruneReport { Id: string; Size: number; Err?: string }

export interface SystemPruneOptions {
  /** Remove all unused images, not only dangling ones. */
  all?: boolean;
  /** Also remove volumes no container uses. */
  volumes?: boolean;
  /** label=, label!=, until= */
  filters?: string[];
}

export interface SystemPruneReport {
  ContainerPruneReports: PruneReport[];
  ImagePruneReports: PruneReport[];
  VolumePruneReports: PruneReport[];
  ReclaimedSpace: number;
}

/** Bytes of the regular files under dir (hard links counted once), like du's apparent size. */
export function dirSize(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) { walk(p); continue; }
      try {
        const st = fs.lstatSync(p);
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += st.size;
      } catch { /* gone */ }
    }
  };
  walk(dir);
  return total;
}

/** Container label/until filters of `system prune` and `container prune`. */
export function containerPruneFilter(filters: string[]): (c: ContainerRecord) => boolean {
  const preds: ((c: ContainerRecord) => boolean)[] = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`filter input must be in the form of filter=value: ${f} is invalid`);
    let key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    const negate = key.endsWith('!');
    if (negate) key = key.slice(0, -1);
    let p: (c: ContainerRecord) => boolean;
    switch (key) {
      case 'label': {
        const i = value.indexOf('=');
        const k = i < 0 ? value : value.slice(0, i);
        p = (c) => k in c.config.labels && (i < 0 || c.config.labels[k] === value.slice(i + 1));
        break;
      }
      case 'until': {
        const t = parseTimeOrDuration(value);
        p = (c) => c.created < t;
        break;
      }
      default:
        throw new UsageError(`${key} is an invalid filter`);
    }
    preds.push(negate ? (c) => !p(c) : p);
  }
  return (c) => preds.every((p) => p(c));
}

/** A volume directory of the store (<graphRoot>/volumes/<name>). */
interface VolumeDir { name: string; dir: string; data: string; labels: Record<string, string>; createdAt: number }

function volumeDirs(root: string): VolumeDir[] {
  let names: string[] = [];
  try { names = fs.readdirSync(root); } catch { return []; }
  const out: VolumeDir[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const dir = path.join(root, name);
    let st: fs.Stats;
    try { st = fs.statSync(dir); } catch { continue; }
    if (!st.isDirectory()) continue;
    let labels: Record<string, string> = {};
    let createdAt = st.mtimeMs;
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'volume.json'), 'utf8'));
      labels = meta.labels ?? {};
      if (typeof meta.createdAt === 'number') createdAt = meta.createdAt;
    } catch { /* a bare directory */ }
    out.push({ name, dir, data: path.join(dir, '_data'), labels, createdAt });
  }
  return out;
}

function volumePruneFilter(filters: string[]): (v: VolumeDir) => boolean {
  const preds: ((v: VolumeDir) => boolean)[] = [];
  for (const f of filters) {
    const eq = f.indexOf('=');
    let key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    const negate = key.endsWith('!');
    if (negate) key = key.slice(0, -1);
    let p: (v: VolumeDir) => boolean;
    if (key === 'label') {
      const i = value.indexOf('=');
      const k = i < 0 ? value : value.slice(0, i);
      p = (v) => k in v.labels && (i < 0 || v.labels[k] === value.slice(i + 1));
    } else if (key === 'until') {
      const t = parseTimeOrDuration(value);
      p = (v) => v.createdAt < t;
    } else continue;
    preds.push(negate ? (v) => !p(v) : p);
  }
  return (v) => preds.every((p) => p(v));
}

/** Mount points at or below one of the dirs, deepest first. */
function mountsBelow(dirs: string[]): string[] {
  const out = (mountPoints() ?? []).filter((mp) => dirs.some((d) => mp === d || mp.startsWith(d + '/')));
  return out.sort((a, b) => b.length - a.length);
}

// ---------------------------------------------------------------------------------------

/**
 * Just after a start, the container's first process may still be runc's init, between reading
 * its start signal and exec'ing the user's command (runc and podman return before that exec as
 * well). Waits up to a second for the exec, so `top` right after `start` shows the command.
 */
async function execDone(pid: number): Promise<void> {
  for (let i = 0; i < 200 && pid > 0; i++) {
    let comm: string;
    try { comm = fs.readFileSync(`/proc/${pid}/comm`, 'latin1'); } catch { return; }
    if (!comm.startsWith('runc:[2:INIT]')) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** top, stats, healthcheck, update and the system commands over a LocalContainerEngine. */
export class LocalContainerOps {
  constructor(readonly engine: LocalContainerEngine) {}

  get lifecycle() { return this.engine.lifecycle; }
  get store() { return this.engine.store; }

  /**
   * The `top` table (header row first) of a running container. Descriptors psgo does not
   * know make it run ps(1) inside the container with them as arguments (podman's fallback).
   */
  async top(nameOrId: string, descriptors: string[]): Promise<string[][]> {
    const c = this.lifecycle.get(nameOrId);
    if (c.state.status !== 'running') throw new ConflictError('top can only be used on running containers: container state improper');
    try {
      translateDescriptors(descriptors);
    } catch (e) {
      if (!(e instanceof UnknownDescriptorError)) throw e;
      return this.topWithPs(c, descriptors);
    }
    await execDone(c.state.pid);
    // Rootless (cgroup v1) a container has no cgroup: its processes are those of its pid namespace.
    const cg = this.engine.cfg.dirs.rootless ? null : cgroupOf(this.lifecycle, c);
    let pids = cg ? cgroupPids(cg) : this.engine.cfg.dirs.rootless ? pidNamespaceMembers(c.state.pid) : [];
    if (!pids.length) pids = [c.state.pid];
    return topRows(pids, c.state.pid, descriptors);
  }

  private async topWithPs(c: ContainerRecord, args: string[]): Promise<string[][]> {
    const d = containerDirs(this.store, c.id);
    const spec = startedSpec(d.userdata, c.id);
    const proc: Record<string, unknown> = { ...spec.process, args: ['ps', ...args], terminal: false };
    delete proc.consoleSize;
    const execDir = path.join(d.run, 'exec', randomId().slice(0, 16));
    let r;
    try {
      r = await execInContainer({
        containerId: c.id, name: c.name, execDir, process: proc, terminal: false, stdin: null,
        runtime: this.lifecycle.runtime(c), stateRoot: this.lifecycle.stateRoot(c), conmonPath: this.lifecycle.cfg.conmon,
      });
    } catch (e) {
      throw new PierError(`executing ps(1) in the container: ${errorMessage(e)}`);
    } finally {
      fs.rmSync(execDir, { recursive: true, force: true });
    }
    if (r.exitCode !== 0) {
      throw new PierError(`executing ps(1) in the container: ps(1) failed with exit code ${r.exitCode}: ${r.stderr.toString().trim() || r.stdout.toString().trim()}`);
    }
    // podman's trick: drop the ps process itself by its arguments.
    const cmd = args.join(' ');
    return r.stdout.toString().split('\n').filter((l) => l !== '' && !l.includes(cmd)).map((l) => [l]);
  }

  /** The containers `stats` reports: the named ones, all (-a), or the running ones. */
  statsTargets(names: string[], all: boolean): ContainerRecord[] {
    if (this.engine.cfg.dirs.rootless && cgroupMode() !== 'unified') throw new PierError('stats is not supported in rootless mode without cgroups v2');
    if (names.length) return names.map((n) => this.lifecycle.get(n));
    const list = this.lifecycle.containers.list().map((c) => this.lifecycle.sync(c));
    return all ? list : list.filter((c) => c.state.status === 'running' || c.state.status === 'paused');
  }

  /** One sample for each container; `prev` (by id) gives CPU % over the interval. */
  stats(targets: ContainerRecord[], prev: Map<string, ContainerStats> = new Map()): ContainerStats[] {
    const out: ContainerStats[] = [];
    for (const t of targets) {
      const cur = this.lifecycle.containers.find(t.id);
      if (!cur) continue;
      out.push(containerStats(this.lifecycle, this.lifecycle.sync(cur), prev.get(t.id)));
    }
    return out;
  }

  /** Runs a container's healthcheck once (`healthcheck run`). */
  healthcheckRun(nameOrId: string): Promise<HealthcheckRun> {
    return runHealthcheck(this.lifecycle, nameOrId);
  }

  /** The periodic checker's loop (`healthcheck monitor`). */
  healthMonitor(id: string, signal?: AbortSignal): Promise<void> {
    return healthMonitorLoop(this.lifecycle, this.lifecycle.containers.lookup(id).id, signal);
  }

  /** Start/stop periodic checks (after a container's start / at its stop). */
  startHealthMonitor(c: ContainerRecord): void { startHealthMonitor(this.lifecycle, c); }
  stopHealthMonitor(id: string): void { stopHealthMonitor(this.lifecycle, id); }

  /** New resource limits for a container; returns its id. */
  async update(nameOrId: string, opts: UpdateOptions): Promise<string> {
    return (await updateContainer(this.lifecycle, nameOrId, opts)).id;
  }

  // -------------------------------------------------------------------------------------
  // system df / prune / reset

  /** Volume name → ids of the containers whose mounts use it. */
  private volumeUsers(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const c of this.lifecycle.containers.list({ external: true, allNamespaces: true })) {
      for (const mt of c.config.mounts ?? []) {
        if (mt.type !== 'volume') continue;
        const name = mt.name ?? path.basename(path.dirname(mt.source));
        const l = m.get(name) ?? [];
        if (!l.includes(c.id)) l.push(c.id);
        m.set(name, l);
      }
    }
    return m;
  }

  /** Disk usage of images, containers and volumes (`system df`). */
  async df(): Promise<SystemDfReport> {
    const store = this.store;
    const images = store.images.list();
    const containers = this.lifecycle.containers.list().map((c) => this.lifecycle.sync(c));
    const inUse = new Map<string, number>();
    for (const c of containers) if (c.imageId) inUse.set(c.imageId, (inUse.get(c.imageId) ?? 0) + 1);
    // Layer → number of images using it, for shared sizes.
    const layerUsers = new Map<string, number>();
    const chains = new Map<string, { id: string; size: number }[]>();
    for (const img of images) {
      const chain = store.layers.chain(img.topLayer).map((l) => ({ id: l.id, size: l.uncompressedSize }));
      chains.set(img.id, chain);
      for (const l of chain) layerUsers.set(l.id, (layerUsers.get(l.id) ?? 0) + 1);
    }
    const layerSizes = new Map<string, number>();
    for (const chain of chains.values()) for (const l of chain) layerSizes.set(l.id, l.size);
    const imageReports: SystemDfImageReport[] = [];
    for (const img of images) {
      const chain = chains.get(img.id) ?? [];
      const shared = chain.filter((l) => (layerUsers.get(l.id) ?? 0) > 1).reduce((a, l) => a + l.size, 0);
      const size = img.size;
      const created = img.config.created ? Date.parse(img.config.created) : img.created;
      const base = {
        ImageID: img.id, Created: isNaN(created) ? img.created : created, Size: size, SharedSize: shared,
        UniqueSize: Math.max(0, size - shared), Containers: inUse.get(img.id) ?? 0,
      };
      const tags = img.names.filter((n) => !n.includes('@'));
      if (!tags.length) imageReports.push({ Repository: '<none>', Tag: '<none>', ...base });
      for (const t of tags) {
        const colon = t.lastIndexOf(':');
        const hasTag = colon > t.lastIndexOf('/');
        imageReports.push({ Repository: hasTag ? t.slice(0, colon) : t, Tag: hasTag ? t.slice(colon + 1) : '<none>', ...base });
      }
    }
    const users = this.volumeUsers();
    const containerReports: SystemDfContainerReport[] = containers.map((c) => {
      const rw = dirSize(containerDirs(store, c.id).diff);
      const imgSize = c.imageId ? store.images.get(c.imageId)?.size ?? 0 : 0;
      return {
        ContainerID: c.id, Image: c.imageId ?? '', Command: [...c.config.entrypoint, ...c.config.cmd],
        LocalVolumes: c.config.mounts.filter((m) => m.type === 'volume').length, Size: rw + imgSize, RWSize: rw,
        Created: c.created, Status: c.state.status, Names: c.name,
      };
    });
    const volumeReports: SystemDfVolumeReport[] = volumeDirs(store.volumePath).map((v) => {
      const size = dirSize(v.data);
      const links = users.get(v.name)?.length ?? 0;
      return { VolumeName: v.name, Links: links, Size: size, ReclaimableSize: links ? 0 : size };
    });
    return {
      ImagesSize: [...layerSizes.values()].reduce((a, b) => a + b, 0),
      Images: imageReports,
      Containers: containerReports,
      Volumes: volumeReports,
    };
  }

  /** Removes stopped containers, dangling (or all unused) images and, optionally, unused volumes. */
  async prune(opts: SystemPruneOptions = {}): Promise<SystemPruneReport> {
    const filters = opts.filters ?? [];
    for (const f of filters) {
      const key = f.slice(0, Math.max(0, f.indexOf('='))).replace(/!$/, '');
      if (!['label', 'until'].includes(key)) throw new UsageError(`${key || f} is an invalid filter`);
    }
    const report: SystemPruneReport = { ContainerPruneReports: [], ImagePruneReports: [], VolumePruneReports: [], ReclaimedSpace: 0 };
    // Containers that are not running.
    const keep = containerPruneFilter(filters);
    for (const c0 of this.lifecycle.containers.list()) {
      const c = this.lifecycle.sync(c0);
      if (['running', 'paused', 'stopping', 'removing'].includes(c.state.status) || !keep(c)) continue;
      const size = dirSize(containerDirs(this.store, c.id).diff);
      try {
        stopHealthMonitor(this.lifecycle, c.id);
        await this.lifecycle.remove(c.id, { force: false });
        report.ContainerPruneReports.push({ Id: c.id, Size: size });
        report.ReclaimedSpace += size;
      } catch (e) {
        report.ContainerPruneReports.push({ Id: c.id, Size: 0, Err: errorMessage(e) });
      }
    }
    // Cgroups that exited containers left behind (conmon killed before cleanup ran): not reported,
    // as podman reports none.
    const { sweepStaleCgroups } = require('../../engine/cgroup-sweep') as typeof import('../../engine/cgroup-sweep');
    const swept = sweepStaleCgroups();
    if (swept.length) log.debug(`removed ${swept.length} stale cgroups`);
    // Volumes no container uses (before images: podman's order of reports).
    if (opts.volumes) {
      const users = this.volumeUsers();
      const match = volumePruneFilter(filters);
      for (const v of volumeDirs(this.store.volumePath)) {
        if (users.has(v.name) || !match(v)) continue;
        const size = dirSize(v.data);
        try {
          await this.removeVolumeDir(v, users);
          report.VolumePruneReports.push({ Id: v.name, Size: size });
          report.ReclaimedSpace += size;
        } catch (e) {
          report.VolumePruneReports.push({ Id: v.name, Size: 0, Err: errorMessage(e) });
        }
      }
    }
    // Images: dangling ones, or with -a all without containers.
    const removed = await this.engine.images.prune({ all: !!opts.all, filters });
    for (const r of removed) {
      report.ImagePruneReports.push({ Id: r.id, Size: r.size });
      report.ReclaimedSpace += r.size;
    }
    return report;
  }

  private async removeVolumeDir(v: VolumeDir, users: Map<string, string[]>): Promise<void> {
    if (fs.existsSync(path.join(v.dir, 'volume.json'))) {
      await removeVolume(this.store, v.name, { usedBy: (n) => users.get(n) ?? [] });
      return;
    }
    for (const m of mountsBelow([v.dir])) unmount(m);
    fs.rmSync(v.dir, { recursive: true, force: true });
  }

  /**
   * `system migrate`: stops every running container (their next start uses the current
   * configuration), moves them all to `newRuntime` when given (checked first: an unknown
   * runtime changes nothing), and drops lock files left by dead processes. Schema
   * migrations of the store run when it is opened. Returns the ids of the stopped containers.
   */
  async migrate(newRuntime?: string): Promise<string[]> {
    const lc = this.lifecycle;
    if (newRuntime) {
      const { findRuntime } = require('../../engine/runtime') as typeof import('../../engine/runtime');
      findRuntime({ name: newRuntime, runtimes: lc.cfg.engine.engine?.runtimes, cacheDir: this.store.runRoot });
    }
    const stopped: string[] = [];
    for (const c of lc.containers.list()) {
      const cur = lc.sync(c);
      if (cur.state.status === 'running' || cur.state.status === 'paused') {
        await lc.stop(c.id, cur.config.stopTimeout);
        stopped.push(c.id);
      }
      if (newRuntime && c.config.runtime !== newRuntime) lc.containers.updateConfig(c.id, (cfg) => ({ ...cfg, runtime: newRuntime }));
    }
    this.renumber();
    return stopped;
  }

  /**
   * `system renumber`: podman re-allocates its numbered shared-memory locks; pier's locks are
   * files named by container or pod id, so there is nothing to number: lock files whose
   * owner died are removed.
   */
  renumber(): void {
    const { removeStaleLocks } = require('../../util/lock') as typeof import('../../util/lock');
    removeStaleLocks(this.lifecycle.lockDir);
  }

  /**
   * Removes everything (`system reset`): stops and removes all containers, removes all
   * images and volumes, then the store's graph root and run root.
   */
  async reset(): Promise<void> {
    const lc = this.lifecycle;
    // Everything goes, whatever its libpod namespace (the store itself is removed).
    for (const c of lc.containers.list({ external: true, allNamespaces: true })) {
      stopHealthMonitor(lc, c.id);
      try {
        await lc.remove(c.id, { force: true, timeout: 0 });
      } catch (e) {
        log.error(`removing container ${c.id}: ${errorMessage(e)}`);
      }
    }
    try {
      await this.engine.images.remove([], { all: true, force: true });
    } catch (e) {
      log.error(`removing images: ${errorMessage(e)}`);
    }
    const graphRoot = this.store.graphRoot;
    const runRoot = this.store.runRoot;
    for (const m of mountsBelow([graphRoot, runRoot])) unmount(m);
    try { this.store.db.close(); } catch { /* already closed */ }
    // conmon's cleanup commands for the containers just removed may still be opening the store.
    for (const dir of [graphRoot, runRoot]) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
  }
}

function unmount(target: string): void {
  try {
    const { native } = require('../../util/native') as typeof import('../../util/native');
    native().umount2(target, native().constants.MNT_DETACH);
  } catch {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    spawnSync('umount', ['-l', target], { stdio: 'ignore' });
  }
}
