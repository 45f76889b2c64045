// `update`: change a container's resource limits. The new values are merged into the
// container's create options (so later starts keep them), the bundle's config.json is
// rewritten, and a running or paused container gets them at once through `runtime update`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CreateOptions } from '../domain/containers';
import type { ContainerRecord, ContainerConfig } from './container-store';
import type { Lifecycle } from './lifecycle';
import { containerDirs } from './rootfs';
import { runtimeUpdate } from './runtime';
import { buildResources, ResourceOptions } from './spec/resources';
import { immediate } from '../storage/db';
import { NotFoundError, ConflictError } from '../util/errors';

/** The resource flags `update` accepts (podman's names, values already parsed). */
export type UpdateOptions = Partial<Pick<ResourceOptions,
  'memory' | 'memorySwap' | 'memoryReservation' | 'memorySwappiness' | 'cpus' | 'cpuPeriod' | 'cpuQuota' | 'cpuRtPeriod' |
  'cpuRtRuntime' | 'cpuShares' | 'cpusetCpus' | 'cpusetMems' | 'pidsLimit' | 'blkioWeight' | 'blkioWeightDevice' |
  'deviceReadBps' | 'deviceWriteBps' | 'deviceReadIops' | 'deviceWriteIops'>>;

const KEYS: (keyof UpdateOptions)[] = [
  'memory', 'memorySwap', 'memoryReservation', 'memorySwappiness', 'cpus', 'cpuPeriod', 'cpuQuota', 'cpuRtPeriod',
  'cpuRtRuntime', 'cpuShares', 'cpusetCpus', 'cpusetMems', 'pidsLimit', 'blkioWeight', 'blkioWeightDevice',
  'deviceReadBps', 'deviceWriteBps', 'deviceReadIops', 'deviceWriteIops',
];

/** The resource settings stored in a container's create options. */
export function currentResources(create: CreateOptions): UpdateOptions {
  const out: UpdateOptions = {};
  const src = create as unknown as Record<string, unknown>;
  for (const k of KEYS) if (src[k] !== undefined) (out as Record<string, unknown>)[k] = src[k];
  return out;
}

/**
 * Drops every resource limit of `create` (oom-kill-disable included); true when there was one.
 * Rootless on cgroup v1 a container gets no cgroup of its own, so podman ignores its limits.
 */
export function dropResources(create: CreateOptions): boolean {
  const src = create as unknown as Record<string, unknown>;
  let had = false;
  for (const k of [...KEYS, 'oomKillDisable']) if (src[k] !== undefined) { delete src[k]; had = true; }
  return had;
}

/** Merges an update into stored settings (swap follows memory when it was derived from it). */
export function mergeResources(cur: UpdateOptions, upd: UpdateOptions): UpdateOptions {
  const out: UpdateOptions = { ...cur };
  for (const k of KEYS) if (upd[k] !== undefined) (out as Record<string, unknown>)[k] = upd[k];
  if (upd.cpus !== undefined) { delete out.cpuPeriod; delete out.cpuQuota; }
  if ((upd.cpuPeriod !== undefined || upd.cpuQuota !== undefined) && upd.cpus === undefined) delete out.cpus;
  return out;
}

/** The OCI linux.resources to hand to `runtime update` (no device rules). */
export function updateResources(opts: UpdateOptions): Record<string, unknown> {
  const res = buildResources(opts as ResourceOptions, []) as Record<string, unknown>;
  delete res.devices;
  return res;
}

/**
 * Stores new create options for a container. Uses ContainerStore.updateConfig when the
 * store offers it; otherwise rewrites the record's config column in one transaction.
 */
export function persistConfig(lifecycle: Lifecycle, id: string, fn: (cfg: ContainerConfig) => ContainerConfig): ContainerRecord {
  const store = lifecycle.containers as unknown as { updateConfig?: (id: string, fn: (cfg: ContainerConfig) => ContainerConfig) => ContainerRecord };
  if (typeof store.updateConfig === 'function') return store.updateConfig(id, fn);
  const db = lifecycle.containers.db;
  return immediate(db, () => {
    const c = lifecycle.containers.get(id);
    if (!c) throw new NotFoundError(`no container with ID ${id} found in database: no such container`);
    const next = fn(c.config);
    db.prepare('UPDATE containers SET config = ? WHERE id = ?').run(JSON.stringify(next), id);
    return { ...c, config: next };
  });
}

/** Applies new resource limits to a container; returns the updated record. */
export async function updateContainer(lifecycle: Lifecycle, nameOrId: string, upd: UpdateOptions): Promise<ContainerRecord> {
  const c0 = lifecycle.get(nameOrId);
  return lifecycle.withLock(c0.id, async () => {
    const c = lifecycle.get(c0.id);
    if (c.state.status === 'removing') throw new ConflictError(`container ${c.id} is being removed`);
    const merged = mergeResources(currentResources(c.config.create), upd);
    const resources = updateResources(merged);
    if (c.state.status === 'running' || c.state.status === 'paused') {
      await runtimeUpdate(lifecycle.runtime(c), c.id, resources, { root: lifecycle.stateRoot(c) });
    }
    const rec = persistConfig(lifecycle, c.id, (cfg) => {
      const create: Record<string, unknown> = { ...cfg.create };
      for (const k of KEYS) delete create[k];
      return { ...cfg, create: { ...(create as unknown as CreateOptions), ...merged } };
    });
    rewriteBundleResources(containerDirs(lifecycle.store, c.id).userdata, resources);
    return rec;
  });
}

/** Keeps the bundle's config.json (what inspect and the runtime read) in step. */
function rewriteBundleResources(bundle: string, resources: Record<string, unknown>): void {
  const file = path.join(bundle, 'config.json');
  let spec: any;
  try { spec = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return; }
  spec.linux = spec.linux ?? {};
  const devices = spec.linux.resources?.devices;
  spec.linux.resources = { ...(devices ? { devices } : {}), ...resources };
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(spec));
  fs.renameSync(tmp, file);
}
