// The container state machine: create, start, stop, kill, cleanup, remove, and syncing
// with what conmon and the OCI runtime report. No pier process stays running: conmon
// watches each container and runs `pier container cleanup` when it exits.
import { currentResources } from './update';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Store } from '../storage/store';
import type { EngineConfig } from '../config/config';
import type { ContainerState } from '../domain/containers';
import { ContainerStore, ContainerRecord, resolvedImageName } from './container-store';
import { containerDirs, mountContainerRootfs, unmountRootfs, removeContainerStorage, userMountCount, shmDir, mountShm, unmountShm } from './rootfs';
import { isMountPoint } from '../util/mountinfo';
import { addSharedHostsEntry, hostContainersInternalIP, removeSharedHostsEntry, writeEtcFiles, type HostEntry } from './etc-files';
import { containersSettings, type ContainersSettings } from '../config/config';
import { createNetns, createUsernsNetns, isNetns, netnsPath, removeNetns, usernsPath } from '../network/netns';
import { idMapText, keepIdAddsUser, mappedRoot, ownerToHost, usernsProcessGid } from './userns';
import { hostGid, hostUid } from '../config/paths';
import { loadHooks, injectHooks, injectBuildHooks, runPrecreate, runPoststop, HooksError, type OciHook } from './hooks';
import { generateSpec, processApparmorProfile, writeSpec, serializeSpec, OCI_VERSION, DEFAULT_SHM_SIZE, GroupAddError, resolveUser, resolveInRoot, resolveContainerUser, setUpAccountFiles, userFileOverrides, SpecOptions, NamespaceOptions, EngineFiles } from './spec';
import { parseSysctls } from './spec/sysctl';
import { findRuntime, runtimeStateRoot, runtimeKill, runtimeDelete, deleteStoppedRuncState, runtimeState, runtimePause, runtimeResume, OciRuntime } from './runtime';
import { createContainer, startContainer, readExitCode, processAlive, waitForExit } from './conmon';
import { withFileLock } from '../util/lock';
import { emitEvent, eventLogOptions } from './events';
import { mountContainerVolumes, unmountContainerVolumes, VolumeMountRef } from './volumes';
import { mountImageVolumes, releaseImageVolumes } from './image-volumes';
import type { OciCapabilities, OciMount, OciSpec } from './spec/types';
import { processCapabilities } from './spec/caps';
import { PierError, ConflictError, UsageError, EXIT_CANNOT_INVOKE, EXIT_ENGINE, errorMessage } from '../util/errors';
import { signalName } from '../util/signals';
import { log, trace } from '../util/log';
import { rmFile } from '../util/rmtree';
import { rfc3339Nano } from '../util/nanotime';
import { startAnnotations } from './annotations';
import { CONTAINER_NOTIFY_SOCKET, containerNotifySocket, notifyStarted } from './sdnotify';
import { systemdMode } from './systemd-mode';
import { checkServiceRemovable, stopPodService } from './service-container';

const RUNNING: ContainerState['status'][] = ['running', 'paused', 'stopping'];
/** In a container's run dir: the line it added to the /etc/hosts it shares (joinSharedEtcFiles). */
const SHARED_HOSTS_MARKER = 'hosts-shared';

/**
 * `cmd` behind a shell check (builtins only): it does not run while the pid in `marker` is a
 * live process, nor once the marker's directory (the container's run dir) is gone.
 */
export function guardedExitCommand(marker: string, cmd: string[]): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const dir = path.dirname(marker);
  return ['/bin/sh', '-c', `p=; read -r p 2>/dev/null < ${q(marker)}; [ -n "$p" ] && kill -0 "$p" 2>/dev/null && exit 0; [ -d ${q(dir)} ] || exit 0; exec "$0" "$@"`, ...cmd];
}

export class Lifecycle {
  readonly containers: ContainerStore;
  private _runtime?: OciRuntime;

  constructor(readonly store: Store, readonly cfg: EngineConfig) {
    this.containers = new ContainerStore(store.db, cfg.namespace);
  }

  /**
   * The OCI runtime: a container's own (recorded at create, as podman's OCIRuntime, so a later
   * `--runtime` or a new default does not move it), else --runtime, containers.conf, or the
   * first that works here.
   */
  runtime(c?: ContainerRecord): OciRuntime {
    const rt = this.runtimeOf(c);
    // A build step's --runtime-flag values come after the command's own.
    const extra = c?.config.create?.runtimeFlags;
    return extra?.length ? { ...rt, flags: [...(rt.flags ?? []), ...extra.map((f) => `--${f}`)] } : rt;
  }

  private runtimeOf(c?: ContainerRecord): OciRuntime {
    const own = c?.config.runtime;
    if (own) {
      const known = this._runtimes.get(own);
      if (known) return known;
      const rt = this.withFlags(findRuntime({ name: own, runtimes: this.cfg.engine.engine?.runtimes, cacheDir: this.store.runRoot }));
      this._runtimes.set(own, rt);
      return rt;
    }
    return (this._runtime ??= this.withFlags(findRuntime({
      name: this.cfg.runtime || this.cfg.engine.engine?.runtime || undefined,
      runtimes: this.cfg.engine.engine?.runtimes,
      cacheDir: this.store.runRoot,
    })));
  }

  /** --runtime-flag: this command's global runtime flags go to every runtime call it makes. */
  private withFlags(rt: OciRuntime): OciRuntime {
    return this.cfg.runtimeFlags?.length ? { ...rt, flags: this.cfg.runtimeFlags } : rt;
  }

  private readonly _runtimes = new Map<string, OciRuntime>();

  /**
   * `runtime delete --force`, skipped when runc or crun has no state for the container
   * (`<state root>/<id>`: never created, or already deleted at cleanup) and done without a
   * runc process when conmon recorded the exit (deleteStoppedRuncState).
   */
  private async deleteRuntimeState(c: ContainerRecord): Promise<void> {
    await this.deleteRuntime(c);
    await this.runPoststopHooks(c);
  }

  private async deleteRuntime(c: ContainerRecord): Promise<void> {
    let rt: OciRuntime;
    // A container whose runtime cannot be found (a bad --runtime at create, or uninstalled since)
    // has no state that runtime could delete: removing it must not fail on that.
    try { rt = this.runtime(c); } catch { return; }
    const root = runtimeStateRoot(this.store.runRoot, rt);
    if ((rt.name === 'runc' || rt.name === 'crun') && !fs.existsSync(path.join(root, c.id))) return;
    // The exit code is recorded, so the process is gone: runc's state can go without a runc process.
    if (readExitCode(this.exitDir, c.id) !== null && await deleteStoppedRuncState(rt, c.id, root)) return;
    await runtimeDelete(rt, c.id, { root, force: true }).catch(() => undefined);
  }

  /** The poststop hooks a start matched (engine/hooks.ts), kept in the run dir until the runtime's state goes. */
  private poststopFile(id: string): string {
    return path.join(containerDirs(this.store, id).run, 'poststop-hooks.json');
  }

  /**
   * The OCI hooks of the hook directories that match this start, put into its spec; precreate
   * hooks rewrite the spec. Returns the spec to write and the poststop hooks. A build step's
   * are buildah's (engine/hooks.ts injectBuildHooks), failing in its words.
   */
  private async applyHooks(c: ContainerRecord, spec: OciSpec): Promise<{ spec: OciSpec; poststop: OciHook[] }> {
    if (c.external) {
      const b = c.config.create.buildHooks;
      if (!b) return { spec, poststop: [] };
      try {
        return injectBuildHooks(spec, b.dirs, this.cfg.dirs.rootless, b.annotations, b.hasBindMounts);
      } catch (e) {
        throw e instanceof HooksError ? new PierError(`unable to setup OCI hooks: ${e.reason}`) : e;
      }
    }
    const hooks = loadHooks(this.cfg.hooksDirs);
    if (!hooks.size) return { spec, poststop: [] };
    const o = c.config.create;
    // podman's: the mounts the user asked for (volumes, binds, tmpfs, --read-only's tmpfs).
    const hasBindMounts = c.config.mounts.length > 0 || (!!o.readOnly && o.readOnlyTmpfs !== false);
    const r = injectHooks(spec, hooks, c.config.annotations, hasBindMounts);
    return { spec: r.precreate.length ? await runPrecreate(c.id, r.precreate, serializeSpec(r.spec)) : r.spec, poststop: r.poststop };
  }

  /**
   * The poststop hooks of the container's last start, once (runc would run them at `delete`,
   * which pier does not call): with the runtime's state of a stopped container on stdin.
   */
  private async runPoststopHooks(c: ContainerRecord): Promise<void> {
    const file = this.poststopFile(c.id);
    // Nearly every container has none: no exception thrown for that on every cleanup.
    if (!fs.existsSync(file)) return;
    let hooks: OciHook[];
    try { hooks = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return; }
    rmFile(file);
    const annotations = Object.entries(c.config.annotations ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const state = JSON.stringify({
      ociVersion: OCI_VERSION, id: c.id, status: 'stopped', bundle: containerDirs(this.store, c.id).userdata,
      ...(annotations.length ? { annotations: Object.fromEntries(annotations) } : {}),
    });
    await runPoststop(c.id, hooks, state);
  }

  /** Where the container's runtime keeps its state (`<runroot>/<runtime name>`). */
  stateRoot(c?: ContainerRecord): string {
    return runtimeStateRoot(this.store.runRoot, this.runtime(c));
  }

  private exits?: string;
  get exitDir(): string {
    return (this.exits ??= path.join(this.store.runRoot, 'exits'));
  }

  /** Record a container event in the event log (`pier events`). */
  event(c: ContainerRecord, status: string, extra: { ContainerExitCode?: number; Attributes?: Record<string, string> } = {}): void {
    // A build's containers have none (podman's build writes only its image events).
    if (c.external) return;
    emitEvent(this.store.runRoot, {
      Type: 'container', Status: status, ID: c.id, Name: c.name, Image: c.imageName,
      Attributes: { ...c.config.labels, ...(extra.Attributes ?? {}) }, ...(extra.ContainerExitCode !== undefined ? { ContainerExitCode: extra.ContainerExitCode } : {}),
    }, eventLogOptions(this.cfg.engine));
  }

  /** Where the per-container lock files live. */
  get lockDir(): string {
    return path.join(this.store.runRoot, 'locks');
  }

  lockFile(id: string): string {
    return path.join(this.lockDir, id);
  }

  async withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockFile(id), fn);
  }

  /**
   * A pier command line on this store (node, the heap options dist/pier.js starts with, entry,
   * global flags) followed by `args`. Only those options: in-process callers (tests under
   * `node --test`) have others that must not reach a pier command.
   */
  pierCommand(args: string[]): string[] {
    const pierJs = path.resolve(__dirname, 'pier.js');
    const entry = fs.existsSync(pierJs) ? pierJs : path.resolve(__dirname, '..', '..', 'dist', 'pier.js');
    const heap = process.execArgv.filter((a) => /^--(min|max)-semi-space-size=\d+$/.test(a));
    // The settings that choose where the cleanup looks and what it records, as podman's exit command passes them
    // (and the libpod namespace, which podman's leaves out: a cleanup in it sees the same container).
    const e = this.cfg.engine?.engine ?? {};
    const opt = (flag: string, v: unknown) => (typeof v === 'string' && v ? [flag, v] : []);
    return [process.execPath, ...heap, entry, '--root', this.store.graphRoot, '--runroot', this.store.runRoot,
      '--storage-driver', this.store.driver, ...opt('--runtime', this.cfg.runtime), ...opt('--namespace', this.cfg.namespace),
      ...opt('--cgroup-manager', e.cgroup_manager), ...opt('--events-backend', e.events_logger),
      ...opt('--volumepath', this.cfg.volumePath), ...opt('--network-config-dir', this.cfg.networkConfigDir),
      ...(this.cfg.syslog ? ['--syslog'] : []), '--log-level', 'error', ...args];
  }

  /** The command conmon runs when the container exits. */
  exitCommand(c: ContainerRecord): string[] {
    const cmd = this.pierCommand(['container', 'cleanup', c.id]);
    // A pier process that cleans up after the exit itself (an attached `run --rm`, `stop`, `rm -f`,
    // a build step) names itself in the marker: while it is alive, conmon's cleanup process (a
    // whole Node start) is not needed; nor once the container is gone (its run dir, which holds
    // the marker, goes with it). Shell builtins only, so the check is over before that pier
    // process can finish removing.
    return guardedExitCommand(this.attachedMarker(c.id), cmd);
  }

  /** Holds the pid of the pier process that owns the container's cleanup after it exits (see exitCommand). */
  attachedMarker(id: string): string {
    return path.join(this.store.runRoot, 'containers', id, 'attached');
  }

  /**
   * Reconcile the recorded state with reality: a container whose process ended (exit file
   * written by conmon) or whose conmon died is exited, never left "running".
   */
  sync(c: ContainerRecord): ContainerRecord {
    if (!RUNNING.includes(c.state.status) && c.state.status !== 'created' && c.state.status !== 'initialized') return c;
    if (c.state.status === 'created' && !c.state.conmonPid) return c;
    const code = readExitCode(this.exitDir, c.id);
    const conmonDead = c.state.conmonPid > 0 && !processAlive(c.state.conmonPid);
    if (code === null && !conmonDead) return c;
    let died = false;
    const rec = this.containers.updateState(c.id, (s) => {
      if (!RUNNING.includes(s.status) && s.status !== 'created' && s.status !== 'initialized') return s;
      died = true;
      const exitFile = path.join(this.exitDir, c.id);
      let finished = new Date().toISOString();
      try { finished = fs.statSync(exitFile).mtime.toISOString(); } catch { /* conmon died */ }
      return {
        ...s, status: 'exited', exitCode: code ?? (s.exitCode || 137), finishedAt: finished, pid: 0,
        error: code === null ? 'conmon exited unexpectedly' : s.error,
      };
    });
    if (died) this.event(rec, 'died', { ContainerExitCode: rec.state.exitCode });
    return rec;
  }

  /** A container as the user names it (external containers are not found). */
  get(nameOrId: string): ContainerRecord {
    return this.sync(this.containers.lookup(nameOrId));
  }

  /**
   * A container the engine holds the id of (callers resolved the user's name first): external
   * (build) containers included.
   */
  private record(id: string): ContainerRecord {
    return this.containers.get(id) ?? this.containers.lookup(id);
  }

  private byId(id: string): ContainerRecord {
    return this.sync(this.record(id));
  }

  /** Start a created or exited container: mount, write the bundle, create under conmon, start. */
  async start(id: string, hooks: { beforeStart?: (c: ContainerRecord, bundle: string) => Promise<void>; initOnly?: boolean; preserveFds?: number;
    /** The terminal's size for the spec (process.consoleSize): the runtime sizes the pty as it makes it. */
    consoleSize?: { height: number; width: number } } = {}): Promise<ContainerRecord> {
    await this.startPodInfra(id);
    await this.startDependencies(id);
    return this.withLock(id, async () => {
      let c = this.byId(id);
      if (c.state.status === 'running') return c;
      if (c.state.status === 'initialized') {
        // `pier init` already created it under conmon: only the process is left to start.
        if (hooks.initOnly) return c;
        if (hooks.beforeStart) await hooks.beforeStart(c, containerDirs(this.store, c.id).userdata);
        await startContainer(this.runtime(c), c.id, { root: this.stateRoot(c) });
        const started = this.containers.updateState(c.id, (s) => ({ ...s, status: 'running', startedAt: new Date().toISOString(), exitCode: 0, finishedAt: '' }));
        notifyStarted(started);
        return started;
      }
      if (c.state.status === 'paused') throw new ConflictError(`container ${c.id} is paused: unpause it first`);
      if (c.state.status === 'removing') throw new ConflictError(`container ${c.id} is being removed`);
      // A previous run may have left runtime state behind (e.g. a killed conmon).
      if (c.state.startedAt || c.state.conmonPid) {
        await this.deleteRuntimeState(c);
        await this.teardownNetwork(c.id);
      }
      const d = containerDirs(this.store, c.id);
      trace('start: mount');
      const rootfs = mountContainerRootfs(this.store, c, { volatile: !!c.config.create.rm });
      trace('start: spec');
      let netns: string | undefined;
      let reserved: import('../network/ports').PortReservation | undefined;
      let slirp: import('../network/slirp').SlirpProcess | undefined;
      try {
        if (c.config.networks && Object.keys(c.config.networks).length) {
          trace('start: network');
          netns = await this.setupNetwork(c);
          c = this.containers.get(c.id)!;
        } else if (c.config.networkMode === 'slirp4netns') {
          ({ netns, slirp } = await this.setupSlirp(c));
          c = this.containers.get(c.id)!;
        }
        // As podman: the user is resolved once, before its /etc/passwd and /etc/group entries are added (specFor).
        const user = cannotInvoke(() => this.containerUser(c, rootfs));
        // The container's user as the host sees it (its namespace's mapping of it).
        const hostUser = c.config.idMappings ? ownerToHost(c.config.idMappings, user.uid, user.gid) : { uid: user.uid, gid: user.gid };
        if (c.config.mounts.some((m) => m.type === 'volume')) {
          const pluginPaths = await mountContainerVolumes(this.store, c.id, c.config.mounts as VolumeMountRef[], rootfs, hostUser);
          // A plugin's volume is bound from where its plugin mounted it for this run.
          if (pluginPaths.size) {
            const mounts = c.config.mounts.map((m) => (m.type === 'volume' && m.name && pluginPaths.has(m.name) ? { ...m, source: pluginPaths.get(m.name)! } : m));
            c = { ...c, config: { ...c.config, mounts } };
          }
        }
        chownUMounts(c.config.mounts, hostUser);
        const imageMounts = mountImageVolumes(this.store, c, () => this.searchRegistries());
        const shared = await this.joinSharedEtcFiles(c, d.run);
        const { spec, poststop } = await this.applyHooks(c, this.specFor(c, rootfs, d.run, user, netns, shared, this.shmFor(c), imageMounts,
          c.config.create.tty ? hooks.consoleSize ?? (require('./attach') as typeof import('./attach')).keptSize(d.userdata) : undefined));
        trace('start: write spec');
        fs.mkdirSync(d.userdata, { recursive: true });
        writeSpec(d.userdata, spec);
        rmFile(path.join(this.exitDir, c.id));
        // podman (rootful): the published host ports stay bound, held by conmon, while it runs.
        const published = c.state.network?.ports ?? [];
        if (published.length && !this.cfg.dirs.rootless && !slirp) {
          const { reservePorts } = require('../network/ports') as typeof import('../network/ports');
          reserved = await reservePorts(published);
        }
        trace('start: conmon');
        const created = await createContainer({
          id: c.id, name: c.name, bundle: d.userdata, exitDir: this.exitDir, persistDir: d.run, socketDir: d.run,
          runtime: this.runtime(c), stateRoot: this.stateRoot(c), terminal: !!c.config.create.tty,
          stdin: !!c.config.create.interactive,
          logDriver: (c.config.logDriver === 'json-file' ? 'k8s-file' : c.config.logDriver as any) || 'k8s-file', logPath: c.config.logPath, logSizeMax: c.config.logSizeMax ?? containersSettings(this.cfg).logSizeMax,
          exitCommand: this.exitCommand(c), conmonPath: this.cfg.conmon,
          pidFile: c.config.create.pidFile ?? path.join(d.run, 'pidfile'), conmonPidFile: c.config.create.conmonPidFile ?? path.join(d.run, 'conmon.pid'),
          timeoutSeconds: c.config.create.timeout, preserveFds: hooks.preserveFds, sdnotifySocket: containerNotifySocket(c),
          // conmon holds the reserved ports, and slirp4netns's exit pipe (it ends with conmon).
          extraFds: [...(reserved?.fds ?? []), ...(slirp ? [slirp.exitFd] : [])],
        });
        reserved?.close();
        reserved = undefined;
        slirp?.close();
        slirp = undefined;
        if (poststop.length) fs.writeFileSync(this.poststopFile(c.id), JSON.stringify(poststop));
        c = this.containers.updateState(c.id, (s) => ({ ...s, status: hooks.initOnly ? 'initialized' : 'created', pid: created.pid, conmonPid: created.conmonPid, error: '', stoppedByUser: false }));
        if (hooks.initOnly) { this.event(c, 'init'); return c; }
        trace('start: attach');
        if (c.config.create.tty) (require('./attach') as typeof import('./attach')).applyKeptSize(d.userdata);
        if (hooks.beforeStart) await hooks.beforeStart(c, d.userdata);
        trace('start: runtime start');
        await startContainer(this.runtime(c), c.id, { root: this.stateRoot(c) });
        trace('start: started');
        const started = this.containers.updateState(c.id, (s) => ({ ...s, status: 'running', startedAt: new Date().toISOString(), exitCode: 0, finishedAt: '' }));
        notifyStarted(started);
        this.event(started, 'start');
        if (started.config.healthcheck) {
          const { startHealthMonitor } = require('./health') as typeof import('./health');
          startHealthMonitor(this, started);
        }
        return started;
      } catch (e) {
        reserved?.close();
        slirp?.close();
        await this.deleteRuntimeState(c);
        this.containers.updateState(c.id, (s) => ({ ...s, status: s.startedAt ? 'exited' : 'created', pid: 0, conmonPid: 0, error: (e as Error).message }));
        await unmountContainerVolumes(this.store, c.id, c.config.mounts as VolumeMountRef[]).catch(() => undefined);
        releaseImageVolumes(this.store, c.id);
        await this.teardownNetwork(c.id);
        await this.releaseSharedHosts(c.id);
        unmountShm(this.store, c.id);
        unmountRootfs(this.store, c.id);
        throw e;
      }
    });
  }

  /** The pods table (pods are records in the same database). */
  pods(): import('./pod-store').PodStore {
    const { PodStore } = require('./pod-store') as typeof import('./pod-store');
    return (this._pods ??= new PodStore(this.containers.db, this.containers.namespace));
  }

  private _pods?: import('./pod-store').PodStore;

  /** A pod member needs its infra container running first (it joins the infra's namespaces). */
  private async startPodInfra(id: string): Promise<void> {
    const c = this.record(id);
    if (!c.podId || c.config.isInfra) return;
    const pod = this.pods().get(c.podId);
    if (!pod?.infraId) return;
    const infra = this.containers.get(pod.infraId);
    if (infra && this.sync(infra).state.status !== 'running') await this.start(infra.id);
  }

  /**
   * The containers this one depends on (--requires, shared namespaces) that are not running or
   * paused are started first, as podman does; any failing fails this start (podman's wording).
   */
  private async startDependencies(id: string): Promise<void> {
    const deps = this.record(id).config.dependencies ?? [];
    const failures: string[] = [];
    for (const dep of deps) {
      const d = this.containers.get(dep);
      if (!d) { failures.push(`no container with ID ${dep} found in database: no such container`); continue; }
      const status = this.sync(d).state.status;
      if (status === 'running' || status === 'paused') continue;
      try { await this.start(d.id); } catch (e) { failures.push((e as Error).message); }
    }
    if (!failures.length) return;
    log.error('Starting some container dependencies');
    for (const f of failures) log.error(JSON.stringify(f));
    throw new PierError('starting some containers: internal libpod error', EXIT_CANNOT_INVOKE);
  }

  /** The containers that depend on `id` (their --requires or shared namespaces name it). */
  dependents(id: string): ContainerRecord[] {
    return this.containers.dependents(id);
  }

  /**
   * The network namespace a container gets for its networks: with ID mappings of its own, one its
   * user namespace owns, made with it (createUsernsNetns; runc's exec joins the user namespace
   * first and could not enter one the host's owns, which is why podman has the runtime make it).
   */
  private containerNetns(c: ContainerRecord): string {
    const userns = c.config.create.userns ?? '';
    const idm = userns.startsWith('container:') || userns.startsWith('ns:') ? undefined : c.config.idMappings;
    return idm ? createUsernsNetns(this.store.runRoot, c.id, idMapText(idm.uidMap), idMapText(idm.gidMap)) : createNetns(this.store.runRoot, c.id);
  }

  /** Removes what containerNetns made: the network namespace, and its user namespace if one was made with it. */
  private removeContainerNetns(id: string): void {
    removeNetns(netnsPath(this.store.runRoot, id));
    removeNetns(usernsPath(this.store.runRoot, id));
  }

  /** Join the container's bridge networks: a network namespace of its own set up by netavark. */
  private async setupNetwork(c: ContainerRecord): Promise<string> {
    const { NetworkStore } = require('../network/store') as typeof import('../network/store');
    const { setupContainerNetwork } = require('../network/netavark') as typeof import('../network/netavark');
    const ns = this.containerNetns(c);
    try {
      const r = await setupContainerNetwork({
        store: NetworkStore.forConfig(this.cfg), containerId: c.id, name: c.name, networks: c.config.networks ?? {},
        portMappings: c.config.portMappings ?? [], dnsServers: confDns(c.config.create, containersSettings(this.cfg)).dns?.filter((d) => d !== 'none'), netnsPath: ns,
      });
      this.containers.updateState(c.id, (s) => ({ ...s, network: { status: r.status, ports: r.portMappings } }));
      return ns;
    } catch (e) {
      this.removeContainerNetns(c.id);
      throw e;
    }
  }

  /**
   * --network slirp4netns: a namespace of the container's own, wired up by slirp4netns (which
   * also forwards the published ports). The options are checked here, at each start, as podman.
   */
  private async setupSlirp(c: ContainerRecord): Promise<{ netns: string; slirp: import('../network/slirp').SlirpProcess }> {
    const { parseSlirpOptions, startSlirp } = require('../network/slirp') as typeof import('../network/slirp');
    const { resolveHostPorts } = require('../network/ports') as typeof import('../network/ports');
    const options = { ...parseSlirpOptions(c.config.slirpOptions ?? []), command: this.cfg.networkCmdPath };
    const ports = await resolveHostPorts(c.config.portMappings ?? []);
    const ns = this.containerNetns(c);
    try {
      const slirp = await startSlirp({ containerId: c.id, netnsPath: ns, options, runDir: containerDirs(this.store, c.id).run, ports });
      this.containers.updateState(c.id, (s) => ({ ...s, network: { status: {}, ports, slirpPid: slirp.pid } }));
      return { netns: ns, slirp };
    } catch (e) {
      this.removeContainerNetns(c.id);
      throw e;
    }
  }

  /** Undo setupNetwork (a no-op for containers without bridge networks). */
  async teardownNetwork(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c?.config.networkMode === 'slirp4netns') {
      // slirp4netns ends with conmon (its exit pipe); make sure, then drop the namespace.
      const pid = c.state.network?.slirpPid;
      if (pid && (require('../network/slirp') as typeof import('../network/slirp')).isSlirpProcess(pid)) { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
      this.removeContainerNetns(id);
      if (c.state.network) this.containers.updateState(id, (s) => ({ ...s, network: undefined }));
      return;
    }
    if (!c || !c.config.networks || !Object.keys(c.config.networks).length) return;
    const { NetworkStore } = require('../network/store') as typeof import('../network/store');
    const { teardownContainerNetwork } = require('../network/netavark') as typeof import('../network/netavark');
    await teardownContainerNetwork({ store: NetworkStore.forConfig(this.cfg), containerId: id })
      .catch((e) => log.warn(`tearing down the network of ${id}: ${(e as Error).message}`));
    this.removeContainerNetns(id);
    if (c.state.network) this.containers.updateState(id, (s) => ({ ...s, network: undefined }));
  }

  /**
   * --network container:X (pod members too) shares X's /etc/hosts, where this container's own
   * entry is added while it runs (releaseSharedHosts takes it out), and X's /etc/resolv.conf.
   * Undefined for other network modes, and when X has no network (as podman, the container then
   * has a hosts file of its own and no resolv.conf).
   */
  private async joinSharedEtcFiles(c: ContainerRecord, runDir: string): Promise<{ hosts?: string; resolvConf?: string } | undefined> {
    const mode = c.config.networkMode;
    if (!mode.startsWith('container:')) return undefined;
    const other = this.containers.find(mode.slice('container:'.length));
    if (!other) return {};
    if (other.config.networkMode === 'none') return undefined;
    const dir = containerDirs(this.store, other.id).run;
    const hosts = path.join(dir, 'hosts');
    const resolv = path.join(dir, 'resolv.conf');
    const shared = { hosts: undefined as string | undefined, resolvConf: fs.existsSync(resolv) ? resolv : undefined };
    await this.releaseSharedHosts(c.id);
    if (c.config.create.noHosts || !fs.existsSync(hosts)) return shared;
    shared.hosts = hosts;
    fs.mkdirSync(runDir, { recursive: true });
    await withFileLock(`${hosts}.lock`, () => {
      const line = addSharedHostsEntry(hosts, { ip: '127.0.0.1', names: [c.config.hostname, c.name] });
      if (line !== undefined) fs.writeFileSync(path.join(runDir, SHARED_HOSTS_MARKER), JSON.stringify({ file: hosts, line }));
    });
    return shared;
  }

  /** Takes the container's entry out of the /etc/hosts it shares with another container. */
  async releaseSharedHosts(id: string): Promise<void> {
    const marker = path.join(containerDirs(this.store, id).run, SHARED_HOSTS_MARKER);
    let m: { file: string; line: string };
    try { m = JSON.parse(fs.readFileSync(marker, 'utf8')); } catch { return; }
    await withFileLock(`${m.file}.lock`, () => removeSharedHostsEntry(m.file, m.line)).catch(() => undefined);
    rmFile(marker);
  }

  /** registries.conf's unqualified-search registries (for short image names), read when needed. */
  private searchRegistries(): string[] {
    const { loadRegistriesConf } = require('../image/config/registries') as typeof import('../image/config/registries');
    try {
      return loadRegistriesConf({ path: this.cfg.registriesConf }).unqualifiedSearchRegistries ?? [];
    } catch {
      return [];
    }
  }

  /**
   * The container's /dev/shm as podman 4.3 gives it: --ipc host the host's /dev/shm, none no
   * /dev/shm, container:X X's (so both see the same files; a joined container that has none
   * gives the joiner one of its own), else a tmpfs of the container's own, mounted now on the
   * host (userdata/shm) for others to join. Undefined `path`: a private tmpfs in the spec.
   */
  private shmFor(c: ContainerRecord): { path?: string; none?: boolean } {
    const ipc = c.config.create.ipc ?? '';
    if (ipc === 'host') return { path: '/dev/shm' };
    if (ipc === 'none') return { none: true };
    if (ipc.startsWith('container:')) {
      let donor = this.containers.find(ipc.slice('container:'.length));
      for (let i = 0; donor && i < 10; i++) {
        const dipc = donor.config.create.ipc ?? '';
        if (dipc === 'host') return { path: '/dev/shm' };
        if (dipc === 'none') break;
        if (!dipc.startsWith('container:')) {
          const dir = shmDir(this.store, donor.id);
          if (isMountPoint(dir)) return { path: dir };
          break;
        }
        donor = this.containers.find(dipc.slice('container:'.length));
      }
    }
    return { path: mountShm(this.store, c.id, c.config.create.shmSize ?? DEFAULT_SHM_SIZE) };
  }

  private specFor(c: ContainerRecord, rootfs: string, runDir: string, user: ReturnType<typeof resolveContainerUser>, netns?: string,
    shared?: { hosts?: string; resolvConf?: string }, shm: { path?: string; none?: boolean } = {},
    imageMounts: Map<string, OciMount> = new Map(), consoleSize?: { height: number; width: number }): ReturnType<typeof generateSpec> {
    const o = c.config.create;
    const mode = c.config.networkMode;
    const settings = containersSettings(this.cfg);
    const conf = confDns(o, settings);
    let networkDNS: { servers: string[]; search: string[] } | undefined;
    let ipv6 = false;
    const names = [c.config.hostname, c.name];
    let ownEntries: HostEntry[] | undefined;
    const gateways: string[] = [];
    const netState = c.state.network;
    if (netState) {
      const { containerIPs, containerDNS } = require('../network/netavark') as typeof import('../network/netavark');
      ownEntries = containerIPs(netState.status).map((ip) => ({ ip, names }));
      for (const st of Object.values(netState.status)) {
        for (const iface of Object.values(st.interfaces ?? {})) for (const a of iface.subnets ?? []) if (a.gateway) gateways.push(a.gateway);
      }
      // aardvark-dns answers for the network's names and forwards the rest.
      networkDNS = containerDNS(netState.status);
      ipv6 = ownEntries.some((e) => e.ip.includes(':'));
    } else if (mode === 'none' || mode.startsWith('container:')) {
      // Only lo: a network namespace of its own, or another container's without networks.
      ownEntries = [{ ip: '127.0.0.1', names }];
    }
    if (mode === 'slirp4netns') {
      // tap0 is CIDR+100; slirp4netns's DNS forwarder (+3) goes before the host's resolvers.
      const { parseSlirpOptions, slirpAddresses } = require('../network/slirp') as typeof import('../network/slirp');
      const so = parseSlirpOptions(c.config.slirpOptions ?? []);
      const a = slirpAddresses(so.cidr);
      ownEntries = [{ ip: a.ip, names }];
      networkDNS = { servers: [a.dns], search: [] };
      ipv6 = so.enableIPv6;
    }
    const files = writeEtcFiles({
      dir: runDir, id: c.id, name: c.name, image: o.privileged ? resolvedImageName(c, c.imageId ? this.store.images.namesIfExists(c.imageId) : null) : '', imageId: c.imageId ?? '', hostname: c.config.hostname,
      addHost: o.addHost, dns: conf.dns, dnsSearch: conf.dnsSearch, dnsOption: conf.dnsOption, networkDNS, ipv6, netnsPath: netns ?? (mode.startsWith('ns:') ? mode.slice(3) : undefined), ownEntries,
      // Rootless, the gateways are in the rootless netns: the host's address, as podman's.
      hostContainersInternalIP: hostContainersInternalIP(settings.hostContainersInternalIP, this.cfg.dirs.rootless ? [] : gateways),
      baseHostsFile: settings.baseHostsFile, rootfs,
      // With another container's network these come from it (joinSharedEtcFiles).
      noHosts: !!o.noHosts || shared !== undefined,
      noResolvConf: mode === 'none' || mode.startsWith('container:') || !!o.dns?.includes('none'),
      hostNetwork: mode === 'host', rootless: this.cfg.dirs.rootless,
      privileged: !!o.privileged,
      // podman's test, a plain prefix of the path: a bind mount's source above the graph root.
      graphRootMounted: c.config.mounts.some((m) => m.type === 'bind' && this.store.graphRoot.startsWith(m.source)),
    });
    if (shared) Object.assign(files, shared);
    const accounts = o.passwd === false ? {} : this.accountFiles(c, rootfs, o.readOnly === true);
    // HOME: a --hostuser entry's, else the user's home; for a user the container did not know,
    // what the runtime finds for its uid in the files as they are now (podman leaves it to runc).
    let home = accounts.home ?? user.home;
    if (accounts.home === undefined && user.name === undefined) {
      home = resolveUser(rootfs, String(user.uid), [], userFileOverrides(c.config.mounts, containerDirs(this.store, c.id).userdata)).home;
    }
    const ns: NamespaceOptions = { network: netns ? { path: netns } : this.netns(c.config.networkMode) };
    for (const [k, v] of [['ipc', o.ipc], ['pid', o.pid], ['uts', o.uts], ['cgroup', o.cgroupns]] as const) {
      if (v) (ns as any)[k] = this.nsSetting(v, k === 'cgroup' ? 'cgroup' : k);
    }
    const idm = c.config.idMappings;
    if (idm) {
      const mode = o.userns ?? '';
      const made = usernsPath(this.store.runRoot, c.id);
      ns.user = mode.startsWith('container:') || mode.startsWith('ns:') ? this.nsSetting(mode, 'user')
        : netns && isNetns(made) ? { path: made } : 'private';
    }
    const sec = parseSecurityOpts(o.securityOpt ?? []);
    let env = startEnv(c, home || '/');
    let secretMounts: EngineFiles['secrets'];
    if (c.config.secrets?.length || c.config.secretEnv) {
      const s = require('./secrets') as typeof import('./secrets');
      const dir = s.containerSecretsDir(containerDirs(this.store, c.id).userdata);
      secretMounts = (c.config.secrets ?? []).map((m) => ({ source: path.join(dir, m.name), destination: m.target }));
      if (secretMounts.some((m) => m.destination.startsWith('/run/secrets/'))) {
        // As podman: /run/secrets is a directory of the run dir, so the files' mount points stay
        // out of the container's writable layer (diff, commit).
        const runSecrets = path.join(runDir, 'run-secrets');
        fs.mkdirSync(runSecrets, { recursive: true, mode: 0o755 });
        secretMounts.unshift({ source: runSecrets, destination: '/run/secrets' });
      }
      // As podman: an env secret's data is read at each start; its variables come last.
      if (c.config.secretEnv) {
        const vars = Object.keys(c.config.secretEnv);
        let values: string[];
        try {
          values = s.secretEnv(new s.SecretStore(this.store.db, this.store.graphRoot), c.config.secretEnv);
        } catch (e) {
          // Removed since create: podman's start fails in these words (local, remote, run or start).
          throw e instanceof PierError ? new PierError(`unable to start container ${c.id}: ${e.message}`, e.exitCode, e.httpStatus) : e;
        }
        env = [...env.filter((e) => !vars.includes(e.split('=')[0])), ...values];
      }
    }
    const opts: SpecOptions = {
      id: c.id,
      rootfs,
      args: [...c.config.entrypoint, ...c.config.cmd],
      env,
      cwd: c.config.workdir || '/',
      user,
      umask: o.umask,
      hostname: c.config.hostname,
      terminal: !!o.tty,
      readOnly: o.readOnly,
      readOnlyTmpfs: o.readOnlyTmpfs,
      mounts: c.config.mounts.map((m) => (m.type === 'image' ? imageMounts.get(m.destination)!
        : { type: m.type === 'volume' ? 'bind' : m.type, source: m.source, destination: m.destination, options: m.options, ...(m.type === 'volume' ? { volume: true } : {}) })),
      engineFiles: {
        hosts: files.hosts, hostname: files.hostname, resolvConf: files.resolvConf, containerEnv: files.containerEnv,
        passwd: accounts.passwd, group: accounts.group, secrets: secretMounts, notifyDir: this.notifyDir(c),
      },
      shmSize: o.shmSize,
      shmPath: shm.path,
      noShm: shm.none,
      devices: o.devices,
      deviceCgroupRules: o.deviceCgroupRules,
      personality: o.personality,
      privileged: o.privileged,
      capAdd: o.capAdd,
      capDrop: o.capDrop,
      ...sec,
      // containers.conf's, pinned at create (older containers: the engine's defaults).
      seccomp: sec.seccomp ?? c.config.confDefaults?.seccompProfile,
      defaultCapabilities: c.config.confDefaults?.capabilities,
      defaultSysctls: c.config.confDefaults ? parseSysctls(c.config.confDefaults.sysctls) : undefined,
      ulimits: o.ulimits,
      // Every resource key create or a later `update` stored (cpu period/quota, blkio...).
      resources: { ...currentResources(o), oomKillDisable: o.oomKillDisable },
      sysctls: o.sysctl,
      namespaces: ns,
      ...(idm ? { uidMappings: idm.uidMap, gidMappings: idm.gidMap } : {}),
      ...(this.netnsOwned(c, ns) ? { netnsOwned: true } : {}),
      cgroupParent: o.cgroupParent,
      // Rootless (cgroup v1, as podman's cgroupfs manager there): no cgroup of its own.
      ...(this.cfg.dirs.rootless ? { cgroupsPath: '', rootless: true } : {}),
      oomScoreAdj: o.oomScoreAdj,
      annotations: startAnnotations(c.config.annotations, rfc3339Nano(new Date(c.created))),
      stopSignal: c.config.stopSignal,
      init: o.init,
      initPath: o.initPath,
      tz: o.tz,
      ...(consoleSize ? { consoleSize } : {}),
      systemd: systemdMode(o.systemd, [...c.config.entrypoint, ...c.config.cmd]),
      chrootDirs: o.chrootDirs,
      cgroupConf: o.cgroupConf,
    };
    if (idm) {
      // As podman: what the engine made for the container is its root's.
      const root = mappedRoot(idm);
      const own = [files.hosts, files.hostname, files.resolvConf, files.containerEnv, accounts.passwd, accounts.group,
        shm.path !== '/dev/shm' ? shm.path : undefined, ...(secretMounts ?? []).map((m) => m.source)]
        .filter((f): f is string => !!f && (f.startsWith(runDir) || f.startsWith(containerDirs(this.store, c.id).userdata)));
      for (const f of own) { try { fs.chownSync(f, root.uid, root.gid); } catch { /* gone */ } }
    }
    const spec = generateSpec(opts);
    prepareWorkdir(c, rootfs, spec.mounts ?? [], idm ? ownerToHost(idm, user.uid, user.gid) : user);
    return spec;
  }

  /**
   * Whether the network namespace the container joins by path is its user namespace's: the pair
   * pier made for it, or those of a container (a pod's infra) that has such a pair.
   */
  private netnsOwned(c: ContainerRecord, ns: NamespaceOptions): boolean {
    if (typeof ns.user !== 'object' || typeof ns.network !== 'object') return false;
    if (ns.user.path === usernsPath(this.store.runRoot, c.id)) return true;
    const userns = c.config.create.userns ?? '';
    if (!userns.startsWith('container:') || c.config.networkMode !== userns) return false;
    const other = this.containers.get(userns.slice('container:'.length));
    return !!other && isNetns(usernsPath(this.store.runRoot, other.id));
  }

  /** With a socket for the container to notify (engine/sdnotify.ts): the bundle's notify/ directory, where conmon binds it. */
  private notifyDir(c: ContainerRecord): string | undefined {
    if (!containerNotifySocket(c)) return undefined;
    const dir = path.join(containerDirs(this.store, c.id).userdata, 'notify');
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  /** The container's user as its process gets it (podman's look-up: user-mounted files, --hostuser accounts). */
  private containerUser(c: ContainerRecord, rootfs: string): ReturnType<typeof resolveContainerUser> {
    const o = c.config.create;
    const files = userFileOverrides(c.config.mounts, containerDirs(this.store, c.id).userdata);
    try {
      const user = resolveContainerUser(rootfs, c.config.user ?? '', o.groupAdd ?? [], o.hostUsers ?? [], files);
      // keep-id and nomap: the namespace's own gid (keep-id's, or 0) comes first among the groups, whatever the user (podman).
      const nsGid = usernsProcessGid(o.userns);
      return nsGid === undefined ? user : { ...user, additionalGids: [...new Set([nsGid, ...user.additionalGids])] };
    } catch (e) {
      if (e instanceof GroupAddError) throw new UsageError(`looking up supplemental groups for container ${c.id}: ${e.message}`);
      throw e;
    }
  }

  /** --passwd: the container's /etc/passwd and /etc/group entries (see setUpAccountFiles). */
  private accountFiles(c: ContainerRecord, rootfs: string, readOnly: boolean): ReturnType<typeof setUpAccountFiles> {
    const o = c.config.create;
    const binds = c.config.mounts.filter((m) => m.type !== 'volume');
    const mountDestinations = ['/proc', '/dev', '/sys', '/dev/pts', '/dev/mqueue', '/sys/fs/cgroup', '/dev/shm', ...binds.map((m) => m.destination)];
    if (readOnly && o.readOnlyTmpfs !== false) mountDestinations.push('/run', '/tmp', '/var/tmp');
    try {
      return setUpAccountFiles({
        id: c.id, rootfs, userdata: containerDirs(this.store, c.id).userdata, readOnly,
        user: c.config.user ?? '', hostUsers: o.hostUsers, passwdEntry: o.passwdEntry, workdir: c.config.workdir || '/',
        currentUser: keepIdAddsUser(o.userns) ? { uid: hostUid(), gid: hostGid() } : undefined,
        mountDestinations, volumeDestinations: c.config.mounts.filter((m) => m.type === 'volume').map((m) => m.destination),
        userMounted: {
          passwd: binds.some((m) => cleanDest(m.destination) === '/etc/passwd'),
          group: binds.some((m) => cleanDest(m.destination) === '/etc/group'),
        },
      });
    } catch (e) {
      throw new PierError(`creating temporary passwd file for container ${c.id}: ${(e as Error).message}`);
    }
  }

  private netns(mode: string): NamespaceOptions['network'] {
    if (mode === 'host') return 'host';
    if (mode.startsWith('container:')) return this.nsSetting(mode, 'net');
    if (mode.startsWith('ns:')) return { path: mode.slice(3) };
    return 'private';
  }

  private nsSetting(v: string, kind: string): 'private' | 'host' | { path: string } {
    if (v === 'host') return 'host';
    // --ipc none: a namespace of its own without /dev/shm (shmFor).
    if (v === 'private' || v === 'shareable' || v === '' || (v === 'none' && kind === 'ipc')) return 'private';
    if (v.startsWith('ns:')) return { path: v.slice(3) };
    if (v.startsWith('container:')) {
      const other = this.get(v.slice('container:'.length));
      if (other.state.status !== 'running' || !other.state.pid) throw new ConflictError(`cannot get namespace path unless container ${other.id} is running: container is stopped`);
      // Joining a container that shares the host's namespace is sharing the host's: the spec
      // says so, so that what is refused for the host's namespace (the default net.* and ipc
      // sysctls, which runc will not set there) is left out here too.
      const o = other.config.create;
      const otherMode = kind === 'net' ? other.config.networkMode : kind === 'ipc' ? o.ipc : kind === 'uts' ? o.uts : kind === 'pid' ? o.pid
        : kind === 'user' ? (other.config.idMappings ? 'private' : 'host') : o.cgroupns;
      if (otherMode === 'host') return 'host';
      return { path: `/proc/${other.state.pid}/ns/${kind}` };
    }
    throw new PierError(`invalid namespace mode "${v}"`);
  }

  /** Send a signal to the container's process. */
  async kill(id: string, signal: number): Promise<ContainerRecord> {
    const c = this.byId(id);
    if (c.state.status !== 'running' && c.state.status !== 'paused' && c.state.status !== 'stopping') {
      throw new ConflictError(`can only kill running containers. ${c.id} is in state ${c.state.status}: container state improper`);
    }
    await runtimeKill(this.runtime(c), c.id, signal, { root: this.stateRoot(c) });
    this.event(c, 'kill', { Attributes: { signal: String(signal) } });
    return c;
  }

  /** Stop: the stop signal, then SIGKILL after the timeout; waits for the exit. */
  async stop(id: string, timeoutSec?: number): Promise<ContainerRecord> {
    let c = this.byId(id);
    if (c.state.status === 'created' || c.state.status === 'exited' || c.state.status === 'stopped' || c.state.status === 'configured') {
      if (!c.state.stoppedByUser) c = this.containers.updateState(c.id, (s) => ({ ...s, stoppedByUser: true }));
      return c;
    }
    // A running container is "stopping" until it exits (podman's state; other commands still work meanwhile).
    c = this.containers.updateState(c.id, (s) => ({ ...s, stoppedByUser: true, status: s.status === 'running' ? 'stopping' : s.status }));
    // This process cleans up after the exit (below): conmon's exit command can step aside.
    const cur = c;
    return this.owningCleanup(c.id, () => this.stopOwned(cur, timeoutSec));
  }

  /**
   * Names this process in the container's cleanup marker (unless the marker exists already, or
   * the run dir does not), so that conmon's exit command does not start a second pier for the
   * cleanup. Returns release(), which removes the marker if it still names this process.
   */
  claimCleanup(id: string): () => void {
    const marker = this.attachedMarker(id);
    try { fs.writeFileSync(marker, String(process.pid), { flag: 'wx' }); } catch { return () => undefined; }
    return () => {
      try { if (fs.readFileSync(marker, 'utf8') === String(process.pid)) rmFile(marker); } catch { /* removed with the container */ }
    };
  }

  /** Runs fn as the owner of the container's cleanup (see claimCleanup). */
  private async owningCleanup<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const release = this.claimCleanup(id);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private async stopOwned(c: ContainerRecord, timeoutSec?: number): Promise<ContainerRecord> {
    const timeout = timeoutSec ?? c.config.stopTimeout;
    if (c.state.status === 'paused') await runtimeResume(this.runtime(c), c.id, { root: this.stateRoot(c) }).catch(() => undefined);
    const rt = this.runtime(c);
    const root = this.stateRoot(c);
    if (timeout > 0) {
      await runtimeKill(rt, c.id, c.config.stopSignal, { root }).catch(() => undefined);
      const code = await waitForExit(this.exitDir, c.id, timeout * 1000).catch(() => null);
      if (code === null) {
        log.warn(`StopSignal ${signalName(c.config.stopSignal)} failed to stop container ${c.name} in ${timeout} seconds, resorting to SIGKILL`);
      }
    }
    if (readExitCode(this.exitDir, c.id) === null) {
      // Every process of its cgroup; rootless it has none (runc refuses --all then): its init.
      await runtimeKill(rt, c.id, 9, { root, all: !this.cfg.dirs.rootless }).catch(() => undefined);
      await waitForExit(this.exitDir, c.id, 30_000).catch(() => undefined);
    }
    this.event(c, 'stop');
    const r = await this.cleanup(c.id);
    // Gone already: another cleanup removed it meanwhile (the service's watcher of an --rm container).
    return r.removed ? c : this.containers.get(c.id) ?? c;
  }

  /** After the process exited: record the exit, release the runtime state and the mount. */
  async cleanup(id: string): Promise<{ removed: boolean; restarted: boolean }> {
    const c0 = this.containers.get(id) ?? this.containers.find(id);
    if (!c0) return { removed: false, restarted: false };
    const r = await this.cleanupLocked(c0);
    if (c0.podId && !c0.config.isInfra) await this.stopPodIfOnlyInfraRemains(c0).catch((e) => log.debug(`stopping pod ${c0.podId}: ${errorMessage(e)}`));
    // The last of its pods stopped takes the pods' service container down (kube play's).
    if (c0.podId) await stopPodService(this, c0.podId);
    return r;
  }

  /**
   * A pod with exit policy `stop` stops once its last container other than the infra has
   * exited (podman's stopIfOnlyInfraRemains): a member that is created, running or paused, or
   * that will restart, keeps it up.
   */
  private async stopPodIfOnlyInfraRemains(c: ContainerRecord): Promise<void> {
    const pod = this.pods().get(c.podId!);
    if (!pod || pod.config.exitPolicy !== 'stop' || !pod.infraId) return;
    const self = this.containers.find(c.id);
    if (self && (RUNNING.includes(this.sync(self).state.status) || this.shouldRestart(this.sync(self)))) return;
    for (const id of this.pods().containerIds(pod.id)) {
      if (id === pod.infraId || id === c.id) continue;
      const m = this.containers.find(id);
      if (m && !['exited', 'stopped', 'removing', 'stopping'].includes(this.sync(m).state.status)) return;
    }
    const infra = this.containers.find(pod.infraId);
    if (!infra || this.sync(infra).state.status !== 'running') return;
    await this.stop(infra.id);
    emitEvent(this.store.runRoot, { Type: 'pod', Status: 'stop', ID: pod.id, Name: pod.name }, eventLogOptions(this.cfg.engine));
  }

  private cleanupLocked(c0: ContainerRecord): Promise<{ removed: boolean; restarted: boolean }> {
    return this.withLock(c0.id, async () => {
      const c = this.containers.get(c0.id);
      if (!c) return { removed: false, restarted: false };
      const synced = this.sync(c);
      if (RUNNING.includes(synced.state.status)) return { removed: false, restarted: false };
      // With conmon's exit file the process is known to be gone; otherwise ask the runtime.
      if (readExitCode(this.exitDir, c.id) === null) {
        const st = await runtimeState(this.runtime(c), c.id, { root: this.stateRoot(c) }).catch(() => null);
        if (st && st.status === 'running') return { removed: false, restarted: false };
      }
      this.endHealthchecks(c);
      trace('cleanup: runtime delete');
      // The runtime's state (cgroups) goes on a pool thread while the mounts come down here.
      const runtimeDeleted = this.deleteRuntimeState(c);
      runtimeDeleted.catch(() => undefined); // awaited below; not unhandled should the unmount throw first
      // Poststop hooks run before the storage goes, as podman's.
      if (fs.existsSync(this.poststopFile(c.id))) await runtimeDeleted;
      trace('cleanup: unmount');
      // A `pier mount` by the user keeps the rootfs mounted after the container exits.
      if (userMountCount(this.store, c.id) === 0) unmountRootfs(this.store, c.id);
      unmountShm(this.store, c.id);
      trace('cleanup: unmounted');
      await unmountContainerVolumes(this.store, c.id, c.config.mounts as VolumeMountRef[]).catch(() => undefined);
      releaseImageVolumes(this.store, c.id);
      trace('cleanup: volumes');
      await this.teardownNetwork(c.id);
      await this.releaseSharedHosts(c.id);
      await runtimeDeleted;
      trace('cleanup: done');
      this.event(synced, 'cleanup');
      // A --rm container others still depend on stays (podman's removal refuses it too).
      if (synced.config.create.rm && !this.dependents(c.id).length) {
        this.removeNow(synced);
        return { removed: true, restarted: false };
      }
      return { removed: false, restarted: false };
    });
  }

  /** Whether the restart policy asks for another run after this exit. */
  shouldRestart(c: ContainerRecord): boolean {
    const p = c.config.restart;
    if (c.state.stoppedByUser || c.state.status !== 'exited') return false;
    if (p.name === 'always' || p.name === 'unless-stopped') return true;
    if (p.name === 'on-failure') return c.state.exitCode !== 0 && (p.maximumRetryCount === 0 || c.state.restartCount < p.maximumRetryCount);
    return false;
  }

  /**
   * A stopped container's periodic healthchecks end with it (its monitor process, or its timer
   * unit), as podman removes its timer: a monitor would otherwise wait out its interval first.
   */
  private endHealthchecks(c: ContainerRecord): void {
    if (!c.config.healthcheck) return;
    (require('./health') as typeof import('./health')).stopHealthMonitor(this, c.id);
  }

  /** Remove the record and storage; the caller holds the lock and made sure it is stopped. */
  removeNow(c: ContainerRecord): void {
    this.endHealthchecks(c);
    trace('remove: state');
    this.containers.updateState(c.id, (s) => ({ ...s, status: 'removing' }));
    trace('remove: storage');
    removeContainerStorage(this.store, c.id);
    rmFile(path.join(this.exitDir, c.id));
    trace('remove: record');
    this.containers.delete(c.id);
    this.event(c, 'remove');
    trace('remove: done');
  }

  async remove(id: string, opts: { force?: boolean; timeout?: number; removingPod?: boolean }): Promise<ContainerRecord> {
    const c = this.byId(id);
    this.checkRemovable(c, opts);
    if (RUNNING.includes(c.state.status)) {
      // Owned across the stop and the removal: the exit command's check must not fall between.
      return this.owningCleanup(c.id, async () => {
        const stopped = await this.stop(c.id, opts.timeout ?? 0);
        await this.removeStopped(stopped);
        return stopped;
      });
    }
    await this.removeStopped(c);
    return c;
  }

  /** Throws what remove() would refuse `c` for: an infra container, a running one without force, one others depend on. */
  checkRemovable(c: ContainerRecord, opts: { force?: boolean; removingPod?: boolean }): void {
    if (c.config.isInfra && c.podId && !opts.removingPod) {
      const pod = this.pods().get(c.podId);
      if (pod) throw new ConflictError(`container ${c.id} is the infra container of pod ${pod.id} and cannot be removed without removing the pod`);
    }
    checkServiceRemovable(this, c);
    if (RUNNING.includes(c.state.status) && !opts.force) {
      throw new ConflictError(`cannot remove container ${c.id} as it is ${c.state.status} - running or paused containers cannot be removed without force: container state improper`);
    }
    // Not even with force (podman): `rm --depend` removes the dependents first.
    const dependents = opts.removingPod ? [] : this.dependents(c.id);
    if (dependents.length) {
      throw new PierError(`container ${c.id} has dependent containers which must be removed before it: ${dependents.map((x) => x.id).join(',')}: container already exists`);
    }
  }

  private async removeStopped(c: ContainerRecord): Promise<void> {
    await this.withLock(c.id, async () => {
      const cur = this.containers.get(c.id);
      if (!cur) return;
      await this.deleteRuntimeState(cur);
      await unmountContainerVolumes(this.store, c.id, cur.config.mounts as VolumeMountRef[]).catch(() => undefined);
      releaseImageVolumes(this.store, c.id);
      await this.teardownNetwork(c.id);
      await this.releaseSharedHosts(c.id);
      this.removeNow(cur);
    });
  }

  async pause(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state.status !== 'running') throw new ConflictError(`"${c.name}" is not running, can't pause: container state improper`);
    if (this.cfg.dirs.rootless) throw new PierError('can not pause containers on rootless containers with cgroup V1: this container does not have a cgroup');
    await runtimePause(this.runtime(c), c.id, { root: this.stateRoot(c) });
    this.containers.updateState(c.id, (s) => ({ ...s, status: 'paused' }));
    this.event(c, 'pause');
  }

  async unpause(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state.status !== 'paused') throw new ConflictError(`"${c.name}" is not paused, can't unpause: container state improper`);
    await runtimeResume(this.runtime(c), c.id, { root: this.stateRoot(c) });
    this.containers.updateState(c.id, (s) => ({ ...s, status: 'running' }));
    this.event(c, 'unpause');
  }
}

/**
 * Set-up failures of the container's process found at start (an unknown user or group): `run`
 * exits 126 for them, as podman does (it resolves them at start too), not 125.
 */
function cannotInvoke<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PierError && e.exitCode === EXIT_ENGINE) throw new PierError(e.message, EXIT_CANNOT_INVOKE);
    throw e;
  }
}

/**
 * The `U` option of bind mounts and volumes: their source, recursively, owned by the container's
 * user as the host sees it (`hostUser`), as podman chowns them at each start.
 */
export function chownUMounts(mounts: ContainerRecord['config']['mounts'], hostUser: { uid: number; gid: number }): void {
  const walk = (p: string) => {
    let st: fs.Stats;
    try { st = fs.lstatSync(p); } catch { return; }
    if (st.uid !== hostUser.uid || st.gid !== hostUser.gid) fs.lchownSync(p, hostUser.uid, hostUser.gid);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  for (const m of mounts) {
    if ((m.type === 'bind' || m.type === 'volume') && m.options.some((o) => o.split(',').includes('U'))) {
      try { walk(m.source); } catch (e) { throw new PierError(`chowning ${m.source} for the U option: ${(e as Error).message}`); }
    }
  }
}

/**
 * podman's working directory rule, checked at start: a workdir the user gave (-w) must exist
 * in the container, as a directory, unless a mount provides it (or a path under it); the image's WORKDIR (or one the
 * caller asked to create: Docker's API, build steps) is made when missing, owned by the
 * container's user. Errors exit `run` with 126.
 */
export function prepareWorkdir(c: ContainerRecord, rootfs: string, mounts: { destination: string }[], user: { uid: number; gid: number }): void {
  const given = c.config.workdir || '/';
  const wd = path.posix.normalize(given);
  if (wd === '/') return;
  // As podman's isPathOnMount: the workdir is a mount's destination, inside one, or one of its
  // parents (the runtime makes the directories leading to a mount).
  const under = (a: string, b: string) => a === b || a.startsWith(b.replace(/\/?$/, '/'));
  if (mounts.some((m) => { const d = path.posix.normalize(m.destination); return under(wd, d) || under(d, wd); })) return;
  const host = resolveInRoot(rootfs, wd);
  const reason = (e: unknown) => /^[A-Z]+: ([^,]+)/.exec((e as Error).message)?.[1] ?? (e as Error).message;
  try {
    if (!fs.statSync(host).isDirectory()) throw new PierError(`workdir "${given}" exists on container ${c.id}, but is not a directory`, EXIT_CANNOT_INVOKE);
    return;
  } catch (e) {
    if (e instanceof PierError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new PierError(`detecting workdir "${given}" on container ${c.id}: stat ${host}: ${reason(e)}`, EXIT_CANNOT_INVOKE);
    }
  }
  const o = c.config.create;
  if (o.workdir !== undefined && !o.createWorkdir) throw new PierError(`workdir "${given}" does not exist on container ${c.id}`, EXIT_CANNOT_INVOKE);
  try {
    fs.mkdirSync(host, { recursive: true, mode: 0o755 });
    fs.chownSync(host, user.uid, user.gid);
  } catch (e) {
    throw new PierError(`creating container ${c.id} workdir: mkdir ${host}: ${reason(e)}`, EXIT_CANNOT_INVOKE);
  }
}

/** --security-opt values → spec options. */
/**
 * The environment a start gives the container's process, before secrets: the container's, then
 * HOME (unless set) and HOSTNAME (unless set), as podman's start adds them.
 */
export function startEnv(c: ContainerRecord, home: string): string[] {
  const env = [...c.config.env];
  // As podman's: the container's NOTIFY_SOCKET (engine/sdnotify.ts) replaces its own, before HOME.
  if (containerNotifySocket(c)) setEnv(env, `NOTIFY_SOCKET=${CONTAINER_NOTIFY_SOCKET}`);
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${home}`);
  if (c.config.hostnameEnv !== undefined && !env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${c.config.hostnameEnv}`);
  return env;
}

/**
 * inspect's Config.Env, as podman's: the last start's (its spec: HOME and HOSTNAME added, the
 * values of env secrets left out), else the container's own from create.
 */
export function inspectEnv(c: ContainerRecord, spec: { process?: { env?: string[] } } | undefined): string[] {
  const env = spec?.process?.env;
  if (!env) return c.config.env;
  const secret = new Set(Object.keys(c.config.secretEnv ?? {}));
  return secret.size ? env.filter((e) => !secret.has(e.split('=')[0])) : env;
}

/**
 * The environment an exec starts from: the last start's, without the HOSTNAME and NOTIFY_SOCKET
 * the start added (podman's exec has neither; a NOTIFY_SOCKET of the container's own stays).
 */
export function execBaseEnv(c: ContainerRecord, specEnv: string[]): string[] {
  const env = c.config.hostnameEnv !== undefined ? specEnv.filter((e) => e !== `HOSTNAME=${c.config.hostnameEnv}`) : specEnv;
  if (!containerNotifySocket(c)) return env;
  const own = c.config.env.find((e) => e.startsWith('NOTIFY_SOCKET='));
  return env.flatMap((e) => (e === `NOTIFY_SOCKET=${CONTAINER_NOTIFY_SOCKET}` ? (own ? [own] : []) : [e]));
}

/** Sets `entry` (`KEY=value`) in place of the key's entry, else at the end. */
function setEnv(env: string[], entry: string): void {
  const key = entry.slice(0, entry.indexOf('=') + 1);
  const i = env.findIndex((e) => e.startsWith(key));
  if (i >= 0) env[i] = entry; else env.push(entry);
}

/**
 * The process part of the spec podman generates at create, for inspect before a first start
 * (pier writes its spec at start), from what the start's spec is made of: the capability sets,
 * for the user as named (podman's rule: none, `root` or `0` is root), and the AppArmor profile.
 * Nothing is mounted, read or written.
 */
export function createTimeProcess(c: ContainerRecord): { capabilities: OciCapabilities; apparmorProfile?: string } {
  const o = c.config.create;
  const user = (c.config.user ?? '').split(':')[0];
  const capabilities = processCapabilities({ privileged: !!o.privileged, capAdd: o.capAdd, capDrop: o.capDrop, defaults: c.config.confDefaults?.capabilities },
    user === '' || user === 'root' || user === '0');
  const apparmorProfile = processApparmorProfile(!!o.privileged, parseSecurityOpts(o.securityOpt ?? []).apparmorProfile);
  return { capabilities, ...(apparmorProfile ? { apparmorProfile } : {}) };
}

export function parseSecurityOpts(opts: string[]): Pick<SpecOptions, 'seccomp' | 'apparmorProfile' | 'noNewPrivileges' | 'mask' | 'unmask'> {
  const out: ReturnType<typeof parseSecurityOpts> = {};
  for (const o of opts) {
    if (o === 'no-new-privileges' || o === 'no-new-privileges=true' || o === 'no-new-privileges:true') { out.noNewPrivileges = true; continue; }
    const i = o.search(/[=:]/);
    const k = i < 0 ? o : o.slice(0, i);
    const v = i < 0 ? '' : o.slice(i + 1);
    switch (k) {
      case 'seccomp': out.seccomp = v; break;
      case 'apparmor': out.apparmorProfile = v; break;
      case 'label': if (!/^(disable|type:|level:|user:|role:|filetype:|nested)/.test(v)) throw new PierError(`invalid --security-opt 2: "${o}"`); break;
      case 'mask': out.mask = [...(out.mask ?? []), ...v.split(':')]; break;
      case 'unmask': out.unmask = [...(out.unmask ?? []), ...v.split(':')]; break;
      case 'no-new-privileges': out.noNewPrivileges = v !== 'false'; break;
      default: throw new PierError(`invalid --security-opt 1: "${o}"`);
    }
  }
  return out;
}

function cleanDest(p: string): string {
  return path.posix.normalize(p).replace(/(.)\/+$/, '$1');
}

/**
 * A container's DNS settings at a start: containers.conf `dns_servers`, `dns_searches` and
 * `dns_options` before its own (podman 4.3 reads them at each start; `--dns none` keeps the
 * image's resolv.conf).
 */
function confDns(o: import('../domain/containers').CreateOptions, s: ContainersSettings): { dns?: string[]; dnsSearch?: string[]; dnsOption?: string[] } {
  if (o.dns?.includes('none')) return { dns: o.dns, dnsSearch: o.dnsSearch, dnsOption: o.dnsOption };
  const join = (a: string[], b: string[] | undefined) => (a.length ? [...a, ...(b ?? [])] : b);
  return { dns: join(s.dnsServers, o.dns), dnsSearch: join(s.dnsSearches, o.dnsSearch), dnsOption: join(s.dnsOptions, o.dnsOption) };
}
