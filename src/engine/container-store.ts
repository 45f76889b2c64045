// Container records in the metadata database. Names are unique (a UNIQUE constraint), so
// concurrent creates never produce duplicates; state changes are single transactions.
import { DB, immediate } from '../storage/db';
import type { CreateOptions, ContainerState } from '../domain/containers';
import { ConflictError, NAMESPACE_MISMATCH, NamespaceMismatchError, NotFoundError, PierError } from '../util/errors';

/** A container's settings, resolved against its image at create time. */
export interface ContainerConfig {
  create: CreateOptions;
  /** entrypoint + cmd as the process runs them. */
  entrypoint: string[];
  cmd: string[];
  env: string[];
  /**
   * The HOSTNAME each start adds to the process's environment (after HOME), as podman's does
   * when the environment has none: not part of `env`, so inspect before the first start and exec
   * do not show it. Missing in containers made before: their `env` holds HOSTNAME itself.
   */
  hostnameEnv?: string;
  workdir: string;
  user: string;
  hostname: string;
  stopSignal: number;
  stopTimeout: number;
  logDriver: string;
  logPath: string;
  logSizeMax?: number;
  runtime: string;
  /**
   * The cgroup manager in force when the container was created (--cgroup-manager or
   * containers.conf's cgroup_manager), as podman records it for inspect's
   * HostConfig.CgroupManager. pier itself always places containers with cgroupfs (docs/configuration.md).
   * Missing in containers made before it was recorded: cgroupfs.
   */
  cgroupManager?: 'cgroupfs' | 'systemd';
  /** The image's top layer (the rootfs's lower layers). */
  topLayer: string | null;
  /**
   * A user namespace of its own (--uidmap, --subuidname, --userns=auto, container:ID, ns:PATH):
   * its ID mappings, resolved at create. The image's layers are mounted idmapped through them;
   * the writable layer keeps host IDs, as podman's.
   */
  idMappings?: import('./userns').IdMappings;
  /** The image's config (healthcheck, volumes, exposed ports...), for inspect. */
  imageConfig: Record<string, any>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** --secret type=mount: copies under <userdata>/secrets, bind-mounted at their targets. */
  secrets?: import('./secrets').ContainerSecret[];
  /** --secret type=env: variable → secret name (its data is read at each start, as podman does). */
  secretEnv?: Record<string, string>;
  /**
   * Resolved mounts: host source or volume, destination, options. An `image` mount's source is
   * the image as the user named it (looked up at each start), its options `ro` or `rw`.
   * `imageVolume`: the anonymous volume made for one of the image's VOLUMEs (podman records
   * those with options of its own, which inspect shows).
   */
  mounts: { type: 'bind' | 'volume' | 'tmpfs' | 'image'; source: string; destination: string; options: string[]; name?: string; imageVolume?: true }[];
  networkMode: string;
  /** Bridge networks to join (name → settings); empty for none/host/container: modes. */
  networks?: Record<string, import('../network/netavark').ContainerNetworkSettings>;
  /** Published ports: random host ports are picked at create (host port 0, in containers made before: one at each start). */
  portMappings?: import('../network/types').PortMapping[];
  /** --network slirp4netns:OPTIONS: the options (checked at each start, as podman). */
  slirpOptions?: string[];
  restart: { name: string; maximumRetryCount: number };
  healthcheck?: CreateOptions['healthcheck'];
  /** The infra container of its pod (removed only with the pod). */
  isInfra?: boolean;
  /**
   * A service container (kube play --service-container): the pods it serves (their configs
   * name it) start it and stop it, and it is not removed while one of them runs.
   */
  isService?: boolean;
  /** --init-ctr: a pod init container (run to completion by `pod start`, before the other members). */
  initContainerType?: import('../domain/containers').InitContainerType;
  /**
   * Ids of the containers this one depends on (--requires, and those whose namespaces it
   * joins): started before it, and not removable while it exists.
   */
  dependencies?: string[];
  /**
   * The create options joining a pod changed (the pod's namespaces, hostname, volumes...), as
   * they were given (null: unset), so `container clone` can join the pod again, or another.
   */
  podGiven?: Record<string, unknown>;
  /**
   * containers.conf defaults pinned at create (as podman writes them into the container's
   * spec then): `default_capabilities`, `default_sysctls`, `seccomp_profile`. Missing in
   * containers made before pier read them: the engine's old defaults apply.
   */
  confDefaults?: { capabilities: string[]; sysctls: string[]; seccompProfile?: string };
}

export interface ContainerRecord {
  id: string;
  name: string;
  imageId: string | null;
  imageName: string;
  created: number;
  config: ContainerConfig;
  state: ContainerState;
  podId: string | null;
  /**
   * A build's container (podman's "external" or storage containers, which buildah makes): only
   * `ps --external`, `container exists --external`, `rm -f`, `rmi -f` and `image prune --external`
   * see it; it has no events. Lookups by name or ID leave it out unless asked (ContainerScope).
   */
  external?: boolean;
  /** The libpod namespace it was created in (global --namespace); unset for none. */
  namespace?: string;
}

/**
 * Whether a lookup or listing includes the external (build) containers, and those of every
 * libpod namespace (the engine's own checks: a volume or image in use) rather than the view's.
 */
export interface ContainerScope {
  external?: boolean;
  allNamespaces?: boolean;
}

/** podman's error for a container or pod of another libpod namespace. Names are unique across namespaces. */
export function namespaceMismatch(kind: 'container' | 'pod', id: string, namespace: string | undefined, view: string): NamespaceMismatchError {
  return new NamespaceMismatchError(`cannot retrieve ${kind} ${id} as it is part of namespace ${JSON.stringify(namespace ?? '')} and we are in namespace ${JSON.stringify(view)}${NAMESPACE_MISMATCH}`);
}

/**
 * The image name podman records for a container (inspect's ImageName, ps's IMAGE,
 * /run/.containerenv's image): the image's tag the name given resolves to (registry and
 * `:latest` completed), else its first tag, else the name given; none for --rootfs.
 * `names` are the image's names (null when the image is gone).
 */
export function resolvedImageName(c: ContainerRecord, names: string[] | null): string {
  if (c.config.create.rootfs) return '';
  if (!c.imageId || !names) return c.imageName;
  const tagged = names.filter((n) => !n.includes('@'));
  const want = c.imageName;
  const matches = (w: string) => (n: string) => n === w || n.endsWith('/' + w);
  return tagged.find(matches(want)) ?? tagged.find(matches(want + ':latest')) ?? tagged[0] ?? c.imageName;
}

export function initialState(): ContainerState {
  return {
    status: 'created', pid: 0, conmonPid: 0, exitCode: 0, startedAt: '', finishedAt: '', oomKilled: false, error: '',
    restartCount: 0, stoppedByUser: false,
  };
}

function row(r: any): ContainerRecord {
  return {
    id: r.id, name: r.name, imageId: r.image_id, imageName: r.image_name, created: r.created,
    config: JSON.parse(r.config), state: JSON.parse(r.state), podId: r.pod_id, ...(r.external ? { external: true } : {}),
    ...(r.namespace ? { namespace: r.namespace } : {}),
  };
}

export class ContainerStore {
  /**
   * `namespace`: the libpod namespace this command sees (global --namespace); '' for all. In
   * one, lists and ID-prefix lookups leave out the other namespaces' containers (not the
   * external ones, which have none), and a name or full ID of one of those is an error.
   */
  constructor(readonly db: DB, readonly namespace = '') {}

  /** The SQL condition (and its parameter) for the containers a listing or ID-prefix lookup sees. */
  private scoped(scope: ContainerScope | undefined): [string, string[]] {
    const ext = scope?.external ? '' : ' AND external = 0';
    return this.namespace && !scope?.allNamespaces ? [`${ext} AND (namespace = ? OR external = 1)`, [this.namespace]] : [ext, []];
  }

  /** `c`, when this command's namespace sees it (see the constructor); else podman's mismatch error. */
  visible(c: ContainerRecord, scope: ContainerScope | undefined): ContainerRecord {
    if (this.namespace && !scope?.allNamespaces && !c.external && (c.namespace ?? '') !== this.namespace) throw namespaceMismatch('container', c.id, c.namespace, this.namespace);
    return c;
  }

  insert(c: ContainerRecord): void {
    try {
      this.db.prepare('INSERT INTO containers (id, name, image_id, image_name, created, config, state, pod_id, external, namespace) VALUES (?,?,?,?,?,?,?,?,?,?)')
        .run(c.id, c.name, c.imageId, c.imageName, c.created, JSON.stringify(c.config), JSON.stringify(c.state), c.podId, c.external ? 1 : 0, c.namespace ?? '');
    } catch (e: any) {
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /name/.test(e.message)) {
        const other = this.byName(c.name, { external: true });
        throw new ConflictError(`the container name "${c.name}" is already in use by ${other?.id ?? 'another container'}. You have to remove that container to be able to reuse that name: that name is already in use`);
      }
      throw e;
    }
  }

  /** By full id, external containers included (the engine's own lookups of ids it holds). */
  get(id: string): ContainerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE id = ?').get(id);
    return r ? row(r) : undefined;
  }

  /** By name, in any namespace (names are unique across them): external containers only when the scope includes them. */
  byName(name: string, scope?: ContainerScope): ContainerRecord | undefined {
    const r = this.db.prepare(`SELECT * FROM containers WHERE name = ?${scope?.external ? '' : ' AND external = 0'}`).get(name);
    return r ? row(r) : undefined;
  }

  /**
   * By full id, unique id prefix, or name (podman's order: name, then id prefix), as a user
   * names a container: external containers only when the scope includes them; one of another
   * namespace than this command's is an error (a prefix matches only this namespace's).
   */
  lookup(nameOrId: string, scope?: ContainerScope): ContainerRecord {
    const byName = this.byName(nameOrId, scope);
    if (byName) return this.visible(byName, scope);
    const full = this.get(nameOrId);
    if (full && (!full.external || scope?.external)) return this.visible(full, scope);
    if (/^[a-f0-9]+$/.test(nameOrId)) {
      const [cond, params] = this.scoped(scope);
      const rows = this.db.prepare(`SELECT * FROM containers WHERE id >= ? AND id < ? || 'g'${cond} LIMIT 2`).all(nameOrId, nameOrId, ...params) as any[];
      if (rows.length > 1) throw new PierError(`more than one result for container "${nameOrId}": container already exists`);
      if (rows.length === 1) return row(rows[0]);
    }
    throw new NotFoundError(`no container with name or ID "${nameOrId}" found: no such container`);
  }

  find(nameOrId: string, scope?: ContainerScope): ContainerRecord | undefined {
    try { return this.lookup(nameOrId, scope); } catch (e) { if (e instanceof NotFoundError) return undefined; throw e; }
  }

  /** Newest first; the external containers only when the scope includes them; this command's namespace's (see the constructor). */
  list(scope?: ContainerScope): ContainerRecord[] {
    const [cond, params] = this.scoped(scope);
    return (this.db.prepare(`SELECT * FROM containers WHERE 1${cond} ORDER BY created DESC`).all(...params) as any[]).map(row);
  }

  /** The external (build) containers, oldest first. */
  external(): ContainerRecord[] {
    return (this.db.prepare('SELECT * FROM containers WHERE external = 1 ORDER BY created').all() as any[]).map(row);
  }

  /** The containers whose dependencies name `id` (only their rows are parsed). */
  dependents(id: string): ContainerRecord[] {
    const rows = this.db.prepare(`SELECT * FROM containers WHERE instr(config, '"dependencies":') > 0 AND instr(config, ?) > 0 ORDER BY created DESC`).all(`"${id}"`) as any[];
    return rows.map(row).filter((c) => c.config.dependencies?.includes(id));
  }

  /** Atomically read-modify-write a container's state; returns the new record. */
  updateState(id: string, fn: (s: ContainerState, c: ContainerRecord) => ContainerState | void): ContainerRecord {
    return immediate(this.db, () => {
      const c = this.get(id);
      if (!c) throw new NotFoundError(`no container with ID ${id} found in database: no such container`);
      const next = fn(c.state, c) ?? c.state;
      this.db.prepare('UPDATE containers SET state = ? WHERE id = ?').run(JSON.stringify(next), id);
      return { ...c, state: next };
    });
  }

  /** Atomically read-modify-write a container's config (e.g. `update`); returns the new record. */
  updateConfig(id: string, fn: (c: ContainerConfig, rec: ContainerRecord) => ContainerConfig | void): ContainerRecord {
    return immediate(this.db, () => {
      const c = this.get(id);
      if (!c) throw new NotFoundError(`no container with ID ${id} found in database: no such container`);
      const next = fn(c.config, c) ?? c.config;
      this.db.prepare('UPDATE containers SET config = ? WHERE id = ?').run(JSON.stringify(next), id);
      return { ...c, config: next };
    });
  }

  rename(id: string, name: string): void {
    try {
      this.db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, id);
    } catch (e: any) {
      if (e.code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`the container name "${name}" is already in use: that name is already in use`);
      throw e;
    }
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
  }

  /** Image id → the containers using it, external ones included (they keep their image from rmi and prune too). */
  imagesInUse(): Map<string, string[]> {
    const m = new Map<string, string[]>();
    for (const r of this.db.prepare('SELECT id, image_id FROM containers WHERE image_id IS NOT NULL').all() as any[]) {
      const l = m.get(r.image_id);
      if (l) l.push(r.id); else m.set(r.image_id, [r.id]);
    }
    return m;
  }
}
