// Pods in the metadata database: a name, the options the pod was created with, and its infra
// container. Member containers point at their pod through containers.pod_id.
import type { DB } from '../storage/db';
import type { PodCreateOptions } from '../domain/pods';
import { ConflictError, NotFoundError, PierError } from '../util/errors';
import { namespaceMismatch } from './container-store';

/** A pod's stored options: what it was created with (name and --replace aside), defaults filled in. */
export type PodConfig = Omit<PodCreateOptions, 'name' | 'replace' | 'labels' | 'share' | 'infra' | 'exitPolicy' | 'infraSdnotify'> & {
  labels: Record<string, string>;
  /** Namespaces members share with the infra container (podman's --share; default ipc, net, uts). */
  share: string[];
  infra: boolean;
  exitPolicy: 'continue' | 'stop';
  /** The pod's cgroup (cgroupfs: `<parent>/<pod id>`), its members' cgroup parent; unset without one. */
  cgroupPath?: string;
  /**
   * The infra container's mounts members get (-v SRC:DST[:OPTS] / NAME:DST[:OPTS]): its volumes
   * and the named volumes of its --volumes-from (podman's "user volumes" of the infra).
   */
  memberVolumes?: string[];
  /** Set while `pod restart` runs: the pod's service container stays up meanwhile, as podman's. */
  restarting?: boolean;
};

/** podman's pod status from its containers' states. */
export function podStatus(states: string[]): string {
  const n = states.length;
  if (n === 0) return 'Created';
  const count = (f: (s: string) => boolean) => states.filter(f).length;
  const running = count((s) => s === 'running');
  const paused = count((s) => s === 'paused');
  const stopped = count((s) => s === 'exited' || s === 'stopped');
  if (running === n) return 'Running';
  if (running > 0) return 'Degraded';
  if (paused === n) return 'Paused';
  if (paused > 0) return 'Degraded';
  if (stopped === n) return 'Exited';
  if (stopped > 0) return 'Stopped';
  return 'Created';
}

export interface PodRecord {
  id: string;
  name: string;
  created: number;
  config: PodConfig;
  infraId: string | null;
  /** The libpod namespace it was created in (global --namespace); unset for none. Its containers are in it too. */
  namespace?: string;
}

function row(r: any): PodRecord {
  return { id: r.id, name: r.name, created: r.created, config: JSON.parse(r.config), infraId: r.infra_id, ...(r.namespace ? { namespace: r.namespace } : {}) };
}

export class PodStore {
  /** `namespace`: the libpod namespace this command sees, as ContainerStore's; '' for all. */
  constructor(readonly db: DB, readonly namespace = '') {}

  /** `p`, when this command's namespace sees it; else podman's mismatch error. */
  private visible(p: PodRecord): PodRecord {
    if (this.namespace && (p.namespace ?? '') !== this.namespace) throw namespaceMismatch('pod', p.id, p.namespace, this.namespace);
    return p;
  }

  insert(p: PodRecord): void {
    try {
      this.db.prepare('INSERT INTO pods (id, name, created, config, infra_id, namespace) VALUES (?,?,?,?,?,?)')
        .run(p.id, p.name, p.created, JSON.stringify(p.config), p.infraId, p.namespace ?? '');
    } catch (e: any) {
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`adding pod to state: name "${p.name}" is in use: pod already exists`);
      throw e;
    }
  }

  setConfig(id: string, config: PodConfig): void {
    this.db.prepare('UPDATE pods SET config = ? WHERE id = ?').run(JSON.stringify(config), id);
  }

  setInfra(id: string, infraId: string | null): void {
    this.db.prepare('UPDATE pods SET infra_id = ? WHERE id = ?').run(infraId, id);
  }

  get(id: string): PodRecord | undefined {
    const r = this.db.prepare('SELECT * FROM pods WHERE id = ?').get(id);
    return r ? row(r) : undefined;
  }

  /** By name, in any namespace (names are unique across them). */
  byName(name: string): PodRecord | undefined {
    const r = this.db.prepare('SELECT * FROM pods WHERE name = ?').get(name);
    return r ? row(r) : undefined;
  }

  /** The SQL condition (and its parameter) for the pods a listing or ID-prefix lookup sees. */
  private scoped(): [string, string[]] {
    return this.namespace ? [' AND namespace = ?', [this.namespace]] : ['', []];
  }

  /** By name, full id or unique id prefix: one of another namespace than this command's is an error (a prefix matches only this namespace's). */
  lookup(nameOrId: string): PodRecord {
    const byName = this.byName(nameOrId);
    if (byName) return this.visible(byName);
    const full = this.get(nameOrId);
    if (full) return this.visible(full);
    if (/^[a-f0-9]+$/.test(nameOrId)) {
      const [cond, params] = this.scoped();
      const rows = this.db.prepare(`SELECT * FROM pods WHERE id >= ? AND id < ? || 'g'${cond} LIMIT 2`).all(nameOrId, nameOrId, ...params) as any[];
      if (rows.length > 1) throw new PierError(`more than one result for pod "${nameOrId}"`);
      if (rows.length === 1) return row(rows[0]);
    }
    throw new NotFoundError(`no pod with name or ID ${nameOrId} found: no such pod`);
  }

  find(nameOrId: string): PodRecord | undefined {
    try { return this.lookup(nameOrId); } catch (e) { if (e instanceof NotFoundError) return undefined; throw e; }
  }

  /** Newest first: this command's namespace's. */
  list(): PodRecord[] {
    const [cond, params] = this.scoped();
    return (this.db.prepare(`SELECT * FROM pods WHERE 1${cond} ORDER BY created DESC`).all(...params) as any[]).map(row);
  }

  /** Member container ids, infra included, oldest first. */
  containerIds(podId: string): string[] {
    return (this.db.prepare('SELECT id FROM containers WHERE pod_id = ? ORDER BY created').all(podId) as any[]).map((r) => r.id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM pods WHERE id = ?').run(id);
  }
}
