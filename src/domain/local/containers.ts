// The in-process container engine: resolves create options against the image, and drives
// the engine's lifecycle (src/engine) for every container command.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineConfig } from '../../config/config';
import type {
  RunOnlyOptions, CloneOptions, AutoUpdateOptions, AutoUpdateReport,
  ContainerEngine, CreateOptions, ContainerSummary, PsOptions, LogOptions, ExecOptions, ContainerState,
} from '../containers';
import { PartialRemoveError, asEngineError, colorLogLine, networkAttachment, parseImageMount } from '../containers';
import { LocalImageEngine, imageAnnotations } from './images';
import { createAnnotations, ANNOTATION_CID_FILE } from '../../engine/annotations';
import { recordedNotifySocket } from '../../engine/sdnotify';
import { matchesGivenName } from '../../image/lookup';
import { Lifecycle, createTimeProcess, execBaseEnv, inspectEnv } from '../../engine/lifecycle';
import { capabilityChanges } from '../../engine/spec/caps';
import type { OciCapabilities } from '../../engine/spec/types';
import { ContainerRecord, ContainerConfig, initialState, resolvedImageName } from '../../engine/container-store';
import { containerDirs, createContainerStorage, removeContainerStorage } from '../../engine/rootfs';
import { randomName, NAME_RE } from '../../engine/names';
import { attach } from '../../engine/attach';
import { waitForExit, readExitCode, execInContainer, execDetachedInContainer } from '../../engine/conmon';
import { readLogEntries, streamLogs, formatEntry } from '../../engine/logs';
import { userTerminalSize } from '../../util/tty-size';
import { lookupHostUser, readSpec, resolveUser, startedSpec, userFileOverrides } from '../../engine/spec';
import { systemdMode, SYSTEMD_STOP_SIGNAL } from '../../engine/systemd-mode';
import { cpusToQuota, DEFAULT_CPU_PERIOD, verifyResources } from '../../engine/spec/resources';
import { parseSignal } from '../../util/signals';
import { randomId } from '../../util/digest';
import { PierError, NotFoundError, UsageError, ConflictError, NamespaceMismatchError, NAMESPACE_MISMATCH, errorMessage, errnoText, EXIT_ENGINE, EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND } from '../../util/errors';
import { OciRuntimeError, OCI_RUNTIME_ERROR } from '../../engine/runtime';
import { HooksError } from '../../engine/hooks';
import { ImageRecord } from '../../storage/images';
import { volumeForMount, removeAnonymousVolumes, volumeMountShown } from '../../engine/volumes';
import { log, trace } from '../../util/log';
import { parseHumanSize } from '../../util/units';
import { syncWritable } from '../../util/stdio';
import { containersSettings } from '../../config/config';
import { applyContainersConf, PROXY_ENV } from './conf-defaults';
import { parseAddHost } from '../../engine/etc-files';
import { applyEnvMerge } from './env-merge';
import { podmanMountOptions, inspectMountFields } from '../../engine/spec/mounts';
import { goMap } from '../../util/gomap';
import { isMountPoint } from '../../util/mountinfo';
import { withFileLock } from '../../util/lock';
import { inspectIdMappings, usernsModeShown, type IdMappings } from '../../engine/userns';

export interface RunIO {
  stdin?: NodeJS.ReadStream | NodeJS.ReadableStream | null;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * The process's own stdin, stdout and stderr, each made on first use: Node builds these streams
 * lazily and making one costs a few ms (stdin on a file loads fs streams and fs.promises), which
 * a container that reads no input or prints nothing need not pay.
 */
function processIO(tty: boolean): RunIO {
  if (tty) {
    return {
      get stdin() { return process.stdin; },
      get stdout() { return process.stdout; },
      get stderr() { return process.stderr; },
    };
  }
  // Without a terminal the output only needs writing: plain synchronous writes (util/stdio),
  // through Node's streams only where something already made them.
  return {
    get stdin() { return process.stdin; },
    stdout: syncWritable('stdout'),
    stderr: syncWritable('stderr'),
  };
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The options podman gives the mounts it makes for the image's VOLUMEs (anonymous volumes or tmpfs). */
const IMAGE_VOLUME_OPTIONS = ['rprivate', 'rw', 'nodev', 'exec'];

/**
 * What podman checks when it generates a container's spec (so at create, exit 125): the user's
 * sysctls against the namespaces shared with the host, namespace paths that must exist, the
 * seccomp profile file and an AppArmor profile on a host without AppArmor.
 */
export function checkCreateSettings(o: CreateOptions, networkMode: string): void {
  for (const kv of o.sysctl ?? []) {
    const eq = kv.indexOf('=');
    const k = eq < 0 ? kv : kv.slice(0, eq).trim();
    const v = eq < 0 ? '' : kv.slice(eq + 1);
    const clash = o.ipc === 'host' && k.startsWith('fs.mqueue.') ? 'IPC'
      : networkMode === 'host' && k.startsWith('net.') ? 'Network'
        : o.uts === 'host' && (k.startsWith('kernel.domainname') || k.startsWith('kernel.hostname')) ? 'UTS' : undefined;
    if (clash) throw new UsageError(`sysctl ${k}=${v} can't be set since ${clash} Namespace set to host: invalid argument`);
  }
  for (const [kind, v] of [['PID', o.pid], ['IPC', o.ipc], ['UTS', o.uts], ['cgroup', o.cgroupns], ['user', o.userns]] as const) {
    if (!v?.startsWith('ns:')) continue;
    const p = v.slice(3);
    try { fs.statSync(p); } catch (e) { throw new UsageError(`cannot find specified ${kind} namespace path: stat ${p}: ${errnoText(e)}`); }
  }
  for (const so of o.securityOpt ?? []) {
    const i = so.search(/[=:]/);
    const k = i < 0 ? so : so.slice(0, i);
    const v = i < 0 ? '' : so.slice(i + 1);
    if (k === 'seccomp' && v !== '' && v !== 'unconfined' && v !== 'default' && !o.privileged) {
      try { fs.accessSync(v, fs.constants.R_OK); } catch (e) { throw new UsageError(`opening seccomp profile failed: open ${v}: ${errnoText(e)}`); }
    }
    if (k === 'apparmor' && v !== '' && v !== 'unconfined') {
      let enabled = false;
      try { enabled = fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'; } catch { /* no AppArmor */ }
      if (!enabled) throw new UsageError(`apparmor profile ${JSON.stringify(v)} specified, but Apparmor is not enabled on this system`);
    }
  }
}

/** The user a --userns=keep-id container runs as by default: `UID:GID` of its mappings. */
function keepIdUser(mode: string): string {
  const { keepIdIds } = require('../../engine/userns') as typeof import('../../engine/userns');
  const k = keepIdIds(mode);
  return `${k.uid}:${k.gid}`;
}

/** podman: the container's user (a number, or root when none is set) must be one its namespace maps. */
function checkUserMapped(config: ContainerConfig): void {
  const m = config.idMappings;
  if (!m) return;
  const user = (config.user || '0').split(':')[0];
  if (!/^\d+$/.test(user)) return;
  const { toHost } = require('../../engine/userns') as typeof import('../../engine/userns');
  if (toHost(m.uidMap, Number(user)) === undefined) throw new UsageError(`container ID ${user} cannot be mapped to a host ID`);
}

/**
 * --add-host, --no-hosts and --dns* against each other and the network mode, as podman 4.3
 * checks them before creating anything.
 */
export function checkEtcFileOptions(o: CreateOptions, noHosts: boolean): void {
  for (const h of o.addHost ?? []) parseAddHost(h);
  if (noHosts && o.addHost?.length) throw new UsageError('--no-hosts and --add-host cannot be set together');
  const mode = (o.networks?.length ? o.networks[0] : o.network) ?? '';
  const kind = mode === 'none' ? 'none' : mode.startsWith('container:') ? 'container' : undefined;
  if (kind && (o.dns?.length || o.dnsSearch?.length || o.dnsOption?.length)) {
    throw new UsageError(`conflicting options: dns and the network mode: ${kind}`);
  }
  if (kind === 'container' && o.addHost?.length) {
    throw new UsageError('invalid config provided: cannot set extra host entries when the container is joined to another containers network namespace: invalid configuration');
  }
}

function existingPath(file: string): string {
  return fs.existsSync(file) ? file : '';
}

function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Merge KEY=VALUE lists: later entries win, order of first appearance kept. */
export function mergeEnv(...lists: string[][]): string[] {
  const m = new Map<string, string>();
  for (const l of lists) for (const e of l) {
    const i = e.indexOf('=');
    const k = i < 0 ? e : e.slice(0, i);
    if (i < 0) { const v = process.env[k]; if (v !== undefined) m.set(k, `${k}=${v}`); continue; }
    m.set(k, e);
  }
  return [...m.values()];
}

function readEnvFile(file: string): string[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e: any) { throw new UsageError(`open ${file}: no such file or directory`); }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** `logs` of a container whose log driver keeps nothing to read (none, passthrough): libpod's wording. */
export class NoLogsError extends PierError {
  constructor(readonly container: string, message: string) { super(message); }
}

export class LocalContainerEngine implements ContainerEngine {
  readonly lifecycle: Lifecycle;

  constructor(readonly cfg: EngineConfig, readonly images: LocalImageEngine) {
    this.lifecycle = new Lifecycle(images.store, cfg);
  }

  get store() { return this.images.store; }
  get containers() { return this.lifecycle.containers; }

  imagesInUse(): Map<string, string[]> {
    return this.containers.imagesInUse();
  }

  async autoUpdate(opts: AutoUpdateOptions): Promise<{ reports: AutoUpdateReport[]; errors: string[] }> {
    const { AutoUpdater } = require('./auto-update') as typeof import('./auto-update');
    return new AutoUpdater(this, opts).run();
  }

  /**
   * The image a container is made from, as libimage's Pull with the create's pull policy finds
   * it: with a platform asked for (--arch, --os, --variant, --platform), a list's instance for it,
   * a local image of another platform is not it (unless named by id), and the policy is at least
   * `newer` (podman: local images may declare wrong platforms). An image whose platform is not
   * the one expected (the asked one, else the host's) gets libimage's warning.
   */
  private async resolveImage(o: CreateOptions): Promise<ImageRecord> {
    const want = o.pullOptions?.platform ?? {};
    const custom = !!(want.os || want.arch || want.variant);
    let policy = o.pull ?? 'missing';
    if (custom && policy !== 'always' && policy !== 'never') policy = 'newer';
    const { platformMismatch, hostPlatform } = require('../../image/registry/platform') as typeof import('../../image/registry/platform');
    const host = hostPlatform();
    // As libimage, only what differs from the host narrows the local lookup.
    const narrow = { variant: want.variant, arch: want.arch && want.arch !== host.arch ? want.arch : undefined, os: want.os && want.os !== host.os ? want.os : undefined };
    const local = (): ImageRecord | undefined => {
      let found: ImageRecord;
      try { found = this.images.lookup(o.image, narrow); } catch (e) { if (e instanceof NotFoundError) return undefined; throw e; }
      const byId = found.id.startsWith(o.image.replace(/^sha256:/, ''));
      if ((narrow.arch || narrow.os || narrow.variant) && !byId && platformMismatch(imagePlatform(found), narrow)) return undefined;
      return found;
    };
    let img = policy === 'always' ? undefined : local();
    if (!img || policy === 'newer') {
      if (policy === 'never') throw new NotFoundError(`${o.image}: image not known`);
      try {
        const ids = await this.images.pull(o.image, { ...(o.pullOptions ?? {}), ...(img ? { localDigests: img.digests } : {}) });
        if (ids.length) img = this.store.images.get(ids[0]);
      } catch (e) {
        if (!img) throw e;
      }
    }
    if (!img) throw new NotFoundError(`${o.image}: image not known`);
    const mismatch = platformMismatch(imagePlatform(img), want);
    if (mismatch) {
      if (o.pullOptions?.progress) o.pullOptions.progress.line(`WARNING: ${mismatch}`);
      else log.warn(mismatch);
    }
    return img;
  }

  private parseMounts(o: CreateOptions, imageVolumes: string[], imageVolumeMode: string): ContainerConfig['mounts'] {
    type Mount = ContainerConfig['mounts'][number];
    /** Which flag a mount came from: podman unifies -v, --mount and --tmpfs with different rules. */
    type From = 'volume' | 'mount' | 'tmpfs';
    const entries: { m: Mount; from: From }[] = [];
    const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    const imageMount = (value: string): Mount => {
      const p = parseImageMount(value);
      return { type: 'image', source: p.source, destination: p.destination, options: [p.readWrite ? 'rw' : 'ro'] };
    };
    /**
     * podman's rules for two mounts at one destination: the same mount twice is kept once
     * (-v: a bind of the same source and options, or the same volume; -v and --mount alike, the
     * volume's options too; --tmpfs: the same options, or a --mount tmpfs there already);
     * anything else, and any repeat within --mount, is a duplicate destination.
     */
    const isRepeat = (a: { m: Mount; from: From }, b: { m: Mount; from: From }): boolean => {
      const froms = new Set([a.from, b.from]);
      if (a.from === 'mount' && b.from === 'mount') return false;
      if (froms.has('tmpfs')) {
        if (a.from === 'tmpfs' && b.from === 'tmpfs') return sameList(a.m.options, b.m.options);
        const other = a.from === 'tmpfs' ? b : a;
        return other.from === 'mount' && other.m.type === 'tmpfs';
      }
      if (a.m.type !== b.m.type) return false;
      if (a.m.type === 'bind') return a.m.source === b.m.source && sameList(a.m.options, b.m.options);
      if (a.m.type === 'volume') return (a.m.name ?? '') === (b.m.name ?? '') && (a.from === b.from || sameList(a.m.options, b.m.options));
      return false;
    };
    const add = (m: Mount, from: From) => {
      const prev = entries.find((e) => e.m.destination === m.destination);
      if (!prev) { entries.push({ m, from }); return; }
      if (isRepeat(prev, { m, from })) return;
      throw new UsageError(`${m.destination}: duplicate mount destination`);
    };
    // Volumes are created only after every mount parsed, so bad input creates nothing.
    const volume = (name: string | undefined, dst: string, options: string[]): Mount => ({ type: 'volume', name, source: '', destination: dst, options });
    for (const v of o.volumes ?? []) {
      const parts = v.split(':');
      if (parts.length === 1) { add(volume(undefined, parts[0], []), 'volume'); continue; }
      if (parts.length > 3) throw new UsageError(`invalid volume specification: "${v}"`);
      const [src, dst, opt] = parts;
      if (!dst.startsWith('/')) throw new UsageError(`invalid container path "${dst}", must be an absolute path`);
      const options = opt ? opt.split(',') : [];
      if (src.startsWith('/') || src.startsWith('.')) {
        const abs = path.resolve(src);
        if (!fs.existsSync(abs)) throw new UsageError(`statfs ${abs}: no such file or directory`);
        add({ type: 'bind', source: abs, destination: dst, options }, 'volume');
      } else {
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(src)) throw new UsageError(`invalid volume name "${src}"`);
        add(volume(src, dst, options), 'volume');
      }
    }
    for (const m of o.mounts ?? []) {
      const kv: Record<string, string> = {};
      const flags: string[] = [];
      for (const p of m.split(',')) {
        const i = p.indexOf('=');
        if (i < 0) flags.push(p); else kv[p.slice(0, i)] = p.slice(i + 1);
      }
      const type = kv.type ?? 'volume';
      if (type === 'image') { add(imageMount(m), 'mount'); continue; }
      const dst = kv.destination ?? kv.dst ?? kv.target;
      if (!dst) throw new UsageError(`must set target path: invalid mount option "${m}"`);
      const ro = flags.includes('ro') || flags.includes('readonly') || kv.ro === 'true' || kv.readonly === 'true';
      const options = ro ? ['ro'] : [];
      if (kv['bind-propagation']) options.push(kv['bind-propagation']);
      if (type === 'bind') {
        const src = kv.source ?? kv.src;
        if (!src) throw new UsageError(`must set source path for bind mount: invalid mount option "${m}"`);
        const abs = path.resolve(src);
        if (!fs.existsSync(abs)) throw new UsageError(`statfs ${abs}: no such file or directory`);
        add({ type: 'bind', source: abs, destination: dst, options }, 'mount');
      } else if (type === 'tmpfs') {
        if (kv['tmpfs-size']) options.push(`size=${kv['tmpfs-size']}`);
        if (kv['tmpfs-mode']) options.push(`mode=${kv['tmpfs-mode']}`);
        add({ type: 'tmpfs', source: 'tmpfs', destination: dst, options }, 'mount');
      } else if (type === 'volume') {
        add(volume(kv.source ?? kv.src, dst, options), 'mount');
      } else throw new UsageError(`invalid filesystem type "${type}"`);
    }
    for (const t of o.tmpfs ?? []) {
      const i = t.indexOf(':');
      const dst = i < 0 ? t : t.slice(0, i);
      add({ type: 'tmpfs', source: 'tmpfs', destination: dst, options: i < 0 ? [] : t.slice(i + 1).split(',') }, 'tmpfs');
    }
    const out = entries.map((e) => e.m);
    // --volumes-from: the other containers' volumes and bind mounts where the user mounted nothing.
    for (const m of this.volumesFrom(o.volumesFrom ?? [])) if (!out.some((x) => x.destination === m.destination)) out.push(m);
    // The image's VOLUMEs (--image-volume): anonymous volumes (bind), tmpfs mounts, or nothing (ignore).
    if (imageVolumeMode !== 'ignore') {
      for (const v of imageVolumes) {
        // A relative VOLUME (`VOLUME data`) is under / (not the WORKDIR), as podman mounts it.
        const dst = path.posix.join('/', v);
        if (out.some((m) => m.destination === v || m.destination === dst)) continue;
        if (imageVolumeMode === 'tmpfs') out.push({ type: 'tmpfs', source: 'tmpfs', destination: dst, options: [...IMAGE_VOLUME_OPTIONS], imageVolume: true });
        else out.push({ ...volume(undefined, dst, []), imageVolume: true });
      }
    }
    // A clone's anonymous and image volumes are the original's (podman's clone shares them).
    for (const v of o.cloneVolumes ?? []) {
      const m = out.find((x) => x.destination === v.destination);
      if (m?.type === 'volume' && !m.name) m.name = v.name;
      else if (!m && v.imageVolume) out.push({ ...volume(v.name, v.destination, []), imageVolume: true });
    }
    for (const m of out) {
      if (m.type !== 'volume') continue;
      const v = volumeForMount(this.store, m.name);
      m.name = v.name;
      m.source = v.mountpoint;
    }
    return out;
  }

  /**
   * The mounts --volumes-from copies (podman's): every volume and bind mount of each container
   * (tmpfs and image mounts are not shared), a later container's winning at the same destination. With
   * OPTIONS (ro, rw, z) those replace the mount's own options; without, they are kept.
   */
  private volumesFrom(values: string[]): ContainerConfig['mounts'] {
    const byDest = new Map<string, ContainerConfig['mounts'][number]>();
    for (const v of values) {
      const colon = v.indexOf(':');
      const ref = colon < 0 ? v : v.slice(0, colon);
      let given: string[] | undefined;
      if (colon >= 0) {
        given = v.slice(colon + 1).split(',');
        let mode = false;
        let z = false;
        for (const opt of given) {
          if (opt === 'z') {
            if (z) throw new UsageError('cannot set :z more than once in mount options');
            z = true;
          } else if (opt === 'ro' || opt === 'rw') {
            if (mode) throw new UsageError('cannot set ro or rw options more than once');
            mode = true;
          } else throw new UsageError(`invalid option "${opt}" specified - volumes from another container can only use z,ro,rw options`);
        }
      }
      let src: ContainerRecord;
      try { src = this.containers.lookup(ref); } catch (e) {
        if (e instanceof NotFoundError) throw new NotFoundError(`looking up container "${ref}" for volumes-from: ${e.message}`);
        throw e;
      }
      for (const m of src.config.mounts) {
        if (m.type === 'tmpfs' || m.type === 'image') { log.warn(`Unable to match volume ${m.destination} from container ${src.id} for volumes-from`); continue; }
        // podman: given options replace the mount's (all of them, and its recorded defaults).
        const { imageVolume, ...rest } = m;
        byDest.delete(m.destination);
        byDest.set(m.destination, given ? { ...rest, options: [...given] } : { ...m, options: [...m.options] });
      }
    }
    return [...byDest.values()];
  }

  /**
   * The containers a new one depends on (podman's Dependencies): those whose namespaces it joins
   * (`container:X`), then --requires; ids, each once. Unknown containers are errors.
   */
  private dependencies(o: CreateOptions): string[] {
    const ids: string[] = [];
    const add = (ref: string, what: (msg: string) => string) => {
      let id: string;
      try { id = this.containers.lookup(ref).id; } catch (e) {
        if (e instanceof NotFoundError) throw new NotFoundError(what(e.message));
        throw e;
      }
      if (!ids.includes(id)) ids.push(id);
    };
    for (const [kind, v] of [['net', o.network], ['ipc', o.ipc], ['pid', o.pid], ['uts', o.uts], ['cgroup', o.cgroupns], ['user', o.userns]] as const) {
      if (v?.startsWith('container:')) add(v.slice('container:'.length), (m) => `looking up container to share ${kind} namespace with: ${m}`);
    }
    for (const r of o.requires ?? []) add(r, (m) => `"${r}" is not a valid container, cannot be used as a dependency: ${m}`);
    return ids;
  }

  /**
   * The ID mappings of a new container's user namespace (none for the host's): --uidmap and
   * --gidmap (either alone serves for both), --subuidname/--subgidname ranges, those of the
   * container whose namespace it joins, or those of the namespace at ns:PATH. --userns=auto's
   * are picked at insert (autoIdMappings).
   */
  private idMappingsFor(o: CreateOptions): IdMappings | undefined {
    const u = require('../../engine/userns') as typeof import('../../engine/userns');
    const mode = o.userns ?? '';
    u.validateUserns(mode);
    if (mode.startsWith('container:')) {
      const other = this.containers.lookup(mode.slice('container:'.length));
      if (!other.config.idMappings) throw new UsageError(`container ${other.id} has no user namespace of its own to share`);
      o.userns = `container:${other.id}`;
      return other.config.idMappings;
    }
    if (mode.startsWith('ns:')) return u.namespaceMappings(mode.slice(3));
    const given = !!(o.uidMap?.length || o.gidMap?.length || o.subuidName || o.subgidName);
    if (mode === 'nomap' && !given) return u.noMapMappings();
    if (mode.startsWith('keep-id') && !given) return u.keepIdMappings(mode);
    if (!given) return undefined;
    if (mode !== '') throw new UsageError('--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive');
    const m: IdMappings = { uidMap: u.parseIdMapFlag(o.uidMap ?? [], 'UID'), gidMap: u.parseIdMapFlag(o.gidMap ?? [], 'GID') };
    if (o.subuidName || o.subgidName) {
      const sub = u.subIdMappings(this.cfg.userns, o.subuidName ?? o.subgidName!, o.subgidName ?? o.subuidName!);
      if (!m.uidMap.length) m.uidMap = sub.uidMap;
      if (!m.gidMap.length) m.gidMap = sub.gidMap;
    }
    if (!m.uidMap.length) m.uidMap = m.gidMap.map((x) => ({ ...x }));
    if (!m.gidMap.length) m.gidMap = m.uidMap.map((x) => ({ ...x }));
    u.checkMappings(m);
    return m;
  }

  /** --userns=auto's mappings, clear of every other container's (the caller holds userns.lock). */
  private autoIdMappings(mode: string, config: ContainerConfig): IdMappings {
    const u = require('../../engine/userns') as typeof import('../../engine/userns');
    const chain = config.topLayer ? this.store.layers.chain(config.topLayer) : [];
    const dirs = chain.map((l) => this.store.layers.diffDir(l.id));
    const etc = (file: string) => {
      for (const d of dirs) { try { return fs.readFileSync(path.join(d, 'etc', file), 'utf8'); } catch { /* a lower layer */ } }
      return undefined;
    };
    const used = this.containers.list({ external: true, allNamespaces: true }).flatMap((c) => (c.config.idMappings ? [c.config.idMappings] : []));
    return u.autoMappings(this.cfg.userns, u.parseAutoOptions(mode), () => u.imageIdSize(dirs, etc), used, (msg) => log.error(msg));
  }

  /** The image of pods' infra containers (and service containers): containers.conf's [engine] infra_image, else the locally built pause image. */
  async infraImage(): Promise<string> {
    const confImage = this.cfg.engine?.engine?.infra_image;
    if (typeof confImage === 'string' && confImage) return confImage;
    const { ensurePauseImage } = require('../../engine/pause-image') as typeof import('../../engine/pause-image');
    return ensurePauseImage(this.images);
  }

  async create(o: CreateOptions): Promise<{ id: string; warnings: string[] }> {
    if (o.service && !o.image) o = { ...o, image: await this.infraImage() };
    if (o.name !== undefined && !NAME_RE.test(o.name)) {
      throw new UsageError(`invalid container name "${o.name}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument`);
    }
    // podman looks --hostuser accounts up only when the container starts; an unknown one fails here instead.
    for (const u of o.hostUsers ?? []) {
      try { lookupHostUser(u); } catch (e) { throw new UsageError(`--hostuser: ${errorMessage(e)}`); }
    }
    // Names are shared with the build's (external) containers: --replace removes one too, as podman's.
    if (o.name && o.replace) {
      const old = this.containers.byName(o.name, { external: true });
      if (old) this.containers.visible(old, { external: true });
      if (old) await this.lifecycle.remove(old.id, { force: true, timeout: 0 });
    }
    const other = o.name ? this.containers.byName(o.name, { external: true }) : undefined;
    if (other) {
      throw new ConflictError(`creating container storage: the container name "${o.name}" is already in use by ${other.id}. You have to remove that container to be able to reuse that name: that name is already in use`);
    }
    const settings = containersSettings(this.cfg);
    const noHosts = o.noHosts ?? settings.noHosts;
    checkEtcFileOptions(o, noHosts);
    let podId: string | null = o.infraOf ?? null;
    if (o.initContainerType !== undefined) {
      if (o.initContainerType !== 'always' && o.initContainerType !== 'once') throw new UsageError(`${o.initContainerType} is invalid init container type`);
      if (!o.pod) throw new UsageError('init containers must be created in a pod: invalid argument');
    }
    if (o.sdnotify !== undefined && !['container', 'conmon', 'ignore'].includes(o.sdnotify)) {
      throw new UsageError(`invalid config provided: invalid argument: invalid sdnotify value "${o.sdnotify}": must be container, conmon or ignore`);
    }
    // A hostname needs a UTS namespace of the container's own (podman's spec validation).
    if (o.hostname && o.uts && o.uts !== 'private') {
      throw new UsageError('invalid config provided: cannot set hostname when running in the host UTS namespace: invalid configuration');
    }
    // A pod member's sandbox (podman's annotation): the pod's infra container, or the pod.
    let sandboxId: string | undefined;
    let podGiven: Record<string, unknown> | undefined;
    const id = randomId();
    if (o.pod && !o.infraOf) {
      const joined = await this.joinPod(o, id);
      o = joined.opts;
      podId = joined.podId;
      sandboxId = joined.sandboxId;
      podGiven = joined.given;
    }
    if (!o.buildStep && !o.infraOf) o = applyContainersConf(o, settings);
    if (o.init && o.initPath && !fs.existsSync(o.initPath)) {
      throw new UsageError(`container-init binary not found on the host: stat ${o.initPath}: no such file or directory`);
    }
    trace('create: resolve image');
    const img = o.rootfs ? null : await this.resolveImage(o);
    trace('create: image resolved');
    const ic: Record<string, any> = img?.config.config ?? {};
    const entrypoint = o.entrypoint !== undefined ? o.entrypoint : (ic.Entrypoint ?? []);
    const cmd = o.command.length ? o.command : o.entrypoint !== undefined ? [] : (ic.Cmd ?? []);
    if (!entrypoint.length && !cmd.length) throw new UsageError('no command or entrypoint provided, and no CMD or ENTRYPOINT from image');
    const net = this.resolveNetworks(o, ic);
    // Resource settings the host's cgroups cannot apply are dropped with a warning (as podman).
    const verified = verifyResources(o);
    o = verified.resources;
    const networkMode = net.mode;
    checkCreateSettings(o, networkMode);
    const dependencies = this.dependencies({ ...o, network: networkMode });
    if (o.ipc?.startsWith('container:')) {
      // podman: a container made with --ipc private keeps its IPC namespace to itself.
      const donor = this.containers.lookup(o.ipc.slice('container:'.length));
      if (donor.config.create.ipc === 'private') {
        throw new PierError(`joining IPC of container ${donor.id} is not allowed: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
      }
    }
    const hostname = o.hostname ?? (networkMode === 'host' ? os.hostname() : shortId(id));
    const envFiles = (o.envFile ?? []).flatMap(readEnvFile);
    const hostEnv = o.envHost ? Object.entries(process.env).map(([k, v]) => `${k}=${v}`)
      // --http-proxy: the engine's proxy variables (podman's default, from containers.conf).
      // A build step gets them only when the build asks (build --http-proxy, buildah's default).
      : (o.buildStep ? o.httpProxy === true : (o.httpProxy ?? settings.httpProxy)) ? PROXY_ENV.filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`) : [];
    // The defaults (pier's, containers.conf's env, the image's), --env-merge and --unsetenv on
    // them, then the user's: --env-host, --env-file, --env.
    let env = o.kubeEnv ? mergeEnv([DEFAULT_PATH], ic.Env ?? [])
      : o.buildStep ? mergeEnv([DEFAULT_PATH, 'container=pier'], ic.Env ?? [])
      : mergeEnv([DEFAULT_PATH, 'TERM=xterm', 'container=pier'], settings.env, ic.Env ?? []);
    if (o.envMerge?.length) env = applyEnvMerge(env, o.envMerge);
    if (o.unsetEnvAll) env = [];
    else if (o.unsetEnv?.length) env = env.filter((e) => !o.unsetEnv!.includes(e.split('=')[0]));
    env = mergeEnv(env, hostEnv, envFiles, o.env ?? []);
    // podman: in the host's UTS namespace (its own --uts host, or that of the container whose UTS
    // namespace it joins, e.g. a pod's infra) HOSTNAME is the host's name; /etc/hostname keeps the ID.
    const utsDonor = o.uts?.startsWith('container:') ? this.containers.find(o.uts.slice('container:'.length)) : undefined;
    const hostUts = !o.hostname && (o.uts === 'host' || utsDonor?.config.create.uts === 'host');
    const hostnameEnv = env.some((e) => e.startsWith('HOSTNAME=')) ? undefined : hostUts ? os.hostname() : hostname;
    // systemd mode stops with SIGRTMIN+3 unless the user or the image says otherwise (podman).
    const stopSignal = o.stopSignal ? parseSignal(o.stopSignal) : ic.StopSignal ? parseSignal(ic.StopSignal)
      : systemdMode(o.systemd, [...entrypoint, ...cmd]) ? SYSTEMD_STOP_SIGNAL : 15;
    const logOpts = Object.fromEntries((o.logOpts ?? []).map((l) => { const i = l.indexOf('='); return [l.slice(0, i), l.slice(i + 1)]; }));
    const logDriver = o.logDriver ?? 'k8s-file';
    if (!['k8s-file', 'none', 'passthrough', 'json-file'].includes(logDriver)) throw new UsageError(`unsupported log driver: ${logDriver}`);
    // --secret: looked up before anything (an anonymous volume) is made for the container.
    let secretStore: import('../../engine/secrets').SecretStore | undefined;
    let secrets: ReturnType<typeof import('../../engine/secrets').resolveSecrets> | undefined;
    if (o.secrets?.length) {
      const { SecretStore, resolveSecrets } = require('../../engine/secrets') as typeof import('../../engine/secrets');
      secretStore = new SecretStore(this.store.db, this.store.graphRoot);
      secrets = resolveSecrets(secretStore, o.secrets);
    }
    // podman picks the random host ports now; the container keeps them.
    const { assignHostPorts } = require('../../network/ports') as typeof import('../../network/ports');
    const portMappings = await assignHostPorts(net.ports);
    const dirs = containerDirs(this.store, id);
    const idMappings = this.idMappingsFor(o);
    if (idMappings && o.rootfs) throw new UsageError('user namespaces are not supported with --rootfs by pier');
    if (idMappings && this.store.driver !== 'overlay') throw new UsageError('user namespaces need the overlay storage driver in pier');
    // The runtime joins such a user namespace before the network namespace, which must then be
    // one that user namespace owns: pier makes a bridge's (and the host's is the host's).
    if (idMappings && /^(container|ns):/.test(o.userns ?? '') && networkMode !== 'none' && !networkMode.startsWith('container:')) {
      throw new UsageError(`joining another user namespace (--userns=${o.userns}) needs --network none or another container's network in pier`);
    }
    const config: ContainerConfig = {
      create: { ...o, noHosts: noHosts || undefined, pullOptions: undefined, cloneVolumes: undefined, sdnotifySocket: recordedNotifySocket(o) },
      entrypoint,
      cmd,
      env,
      ...(hostnameEnv !== undefined ? { hostnameEnv } : {}),
      workdir: o.workdir ?? ic.WorkingDir ?? '/',
      // keep-id: the container runs as the user's IDs (or those its options name) unless -u says otherwise.
      user: o.user || (o.userns?.startsWith('keep-id') ? keepIdUser(o.userns) : undefined) || (o.user ?? ic.User ?? ''),
      hostname,
      stopSignal,
      stopTimeout: o.stopTimeout ?? 10,
      // As given (podman shows json-file in inspect); it writes the k8s-file format.
      logDriver,
      logPath: logOpts.path ?? path.join(dirs.userdata, 'ctr.log'),
      // podman reads max-size with go-units FromHumanSize: decimal units (1m = 1000000).
      logSizeMax: logOpts['max-size'] ? parseHumanSize(logOpts['max-size']) : undefined,
      // Pinned at create (podman's OCIRuntime): --runtime as given, else the default resolved now.
      runtime: this.cfg.runtime || this.lifecycle.runtime().name,
      cgroupManager: this.cfg.engine.engine?.cgroup_manager === 'systemd' ? 'systemd' : 'cgroupfs',
      topLayer: img?.topLayer ?? null,
      ...(idMappings ? { idMappings } : {}),
      imageConfig: ic,
      labels: { ...(ic.Labels ?? {}), ...(o.labels ?? {}) },
      annotations: createAnnotations(o, imageAnnotations(img), sandboxId),
      mounts: this.parseMounts(o, Object.keys(ic.Volumes ?? {}), o.imageVolume ?? settings.imageVolumeMode),
      networkMode,
      networks: net.networks,
      portMappings,
      ...(net.slirpOptions ? { slirpOptions: net.slirpOptions } : {}),
      restart: o.restart ?? { name: '', maximumRetryCount: 0 },
      healthcheck: o.noHealthcheck ? undefined : o.healthcheck ?? (ic.Healthcheck && ic.Healthcheck.Test?.[0] !== 'NONE' ? ic.Healthcheck : undefined),
      ...(o.infraOf ? { isInfra: true } : {}),
      ...(o.service ? { isService: true } : {}),
      ...(o.initContainerType ? { initContainerType: o.initContainerType } : {}),
      ...(dependencies.length ? { dependencies } : {}),
      ...(podGiven && Object.keys(podGiven).length ? { podGiven } : {}),
      ...(o.buildStep ? {} : { confDefaults: { capabilities: settings.capabilities, sysctls: settings.sysctls, ...(settings.seccompProfile ? { seccompProfile: settings.seccompProfile } : {}) } }),
      ...(secrets?.mounts.length ? { secrets: secrets.mounts } : {}),
      ...(secrets && Object.keys(secrets.env).length ? { secretEnv: secrets.env } : {}),
    };
    if (idMappings) checkUserMapped(config);
    if (o.rm && config.restart.name !== 'no' && config.restart.name !== '') throw new UsageError('the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"');
    if (o.healthOnFailure && o.healthOnFailure !== 'none' && !config.healthcheck) throw new PierError(`cannot set on-failure action to ${o.healthOnFailure} without a health check`);
    if (config.labels['io.containers.autoupdate'] !== undefined && !o.rootfs) {
      (require('../../engine/auto-update') as typeof import('../../engine/auto-update')).checkAutoUpdateImage(config.labels, o.image);
    }
    // Only the volumes no other container uses (a clone's are the original's).
    const cleanupVolumes = () => removeAnonymousVolumes(this.store, config.mounts, (n) => this.volumeUsers(n)).catch(() => undefined);
    const rec: ContainerRecord = {
      id, name: '', imageId: img?.id ?? null, imageName: o.image, created: Date.now(), config, state: initialState(), podId,
      ...(o.external ? { external: true } : this.containers.namespace ? { namespace: this.containers.namespace } : {}),
    };
    const insert = async () => {
      for (let attempt = 0; ; attempt++) {
        rec.name = o.name ?? randomName();
        try { this.containers.insert(rec); break; } catch (e) {
          if (o.name || !(e instanceof ConflictError) || attempt > 20) { await cleanupVolumes(); throw e; }
        }
      }
    };
    // --userns=auto picks IDs no other container maps: the choice and the insert hold one lock.
    if (o.userns?.startsWith('auto')) {
      await withFileLock(path.join(this.store.graphRoot, 'userns.lock'), async () => {
        try { config.idMappings = this.autoIdMappings(o.userns!, config); } catch (e) { await cleanupVolumes(); throw e; }
        checkUserMapped(config);
        await insert();
      });
    } else await insert();
    trace('create: inserted');
    try {
      createContainerStorage(this.store, id, config.topLayer, config.idMappings);
      if (secretStore && config.secrets) {
        const { copySecrets } = require('../../engine/secrets') as typeof import('../../engine/secrets');
        copySecrets(secretStore, dirs.userdata, config.secrets);
      }
    } catch (e) {
      this.containers.delete(id);
      removeContainerStorage(this.store, id);
      await cleanupVolumes();
      throw e;
    }
    this.lifecycle.event({ ...rec, id }, 'create');
    return { id, warnings: [...net.warnings, ...verified.warnings] };
  }

  /**
   * --pod NAME (or new:NAME, which creates the pod with this container's ports and networks): the
   * container joins the namespaces the pod shares with its infra container.
   */
  private async joinPod(o: CreateOptions, id: string): Promise<{ opts: CreateOptions; podId: string; sandboxId: string; given?: Record<string, unknown> }> {
    const { LocalPodEngine } = require('./pods') as typeof import('./pods');
    const pods = new LocalPodEngine(this);
    let ref = o.pod!;
    if (ref.startsWith('new:')) {
      const name = ref.slice(4);
      if (!name) throw new UsageError('new pod name must be at least one character');
      // podman gives the new pod the container's --hostname (and network options), not the container.
      ref = await pods.create({ name, hostname: o.hostname, publish: o.publish, networks: o.networks, networkAliases: o.networkAliases, ip: o.ip, ip6: o.ip6, macAddress: o.macAddress, dns: o.dns, addHost: o.addHost });
      o = { ...o, hostname: undefined, publish: undefined, publishAll: false, networks: undefined, network: undefined, networkAliases: undefined, ip: undefined, ip6: undefined, macAddress: undefined, dns: undefined, addHost: undefined };
    }
    const pod = pods.pods.lookup(ref);
    // A pod's containers are in its libpod namespace (this command's, when it has one: the lookup checked).
    if ((pod.namespace ?? '') !== this.containers.namespace) {
      throw new NamespaceMismatchError(`container ${id} is in namespace ${this.containers.namespace} and pod ${pod.id} is in namespace ${pod.namespace ?? ''}${NAMESPACE_MISMATCH}`);
    }
    // podman: init containers run when the pod starts, so a running pod takes none.
    if (o.initContainerType && pods.running(pod)) throw new PierError('cannot add init-ctr to a running pod');
    if (!pod.infraId) return { opts: o, podId: pod.id, sandboxId: pod.id };
    const share = pod.config.share;
    const infra = `container:${pod.infraId}`;
    if (o.hostname && o.uts === undefined && share.includes('uts')) {
      throw new UsageError('invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration');
    }
    if (share.includes('net')) {
      if (o.addHost?.length) {
        throw new UsageError('invalid config provided: extra host entries must be specified on the pod: network cannot be configured when it is shared with a pod');
      }
      if (o.publish?.length || o.publishAll) {
        throw new UsageError('invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod');
      }
      if (o.networks?.length || (o.network && o.network !== 'bridge' && o.network !== 'default')) {
        throw new UsageError('invalid config provided: networks must be defined when the pod is created: network cannot be configured when it is shared with a pod');
      }
    }
    // podman copies the infra container's volumes, devices and shm size to each member
    // (libpod's InfraInherit); the member's cgroup goes under the pod's.
    const pc = pod.config;
    const ipc = o.ipc ?? (share.includes('ipc') ? infra : undefined);
    let shmSize = o.shmSize;
    if (pc.shmSize !== undefined && ipc !== infra) {
      if (ipc === 'host' || ipc === 'none') throw new UsageError(`invalid config provided: cannot set shmsize when running in the {${ipc} } IPC Namespace`);
      shmSize = pc.shmSize;
    }
    const uts = o.uts ?? (share.includes('uts') ? infra : undefined);
    // A pod with a user namespace (keep-id, nomap): its members join the infra's, and run as its user unless -u says otherwise.
    const infraRec = this.containers.get(pod.infraId);
    const userns = infraRec?.config.idMappings ? { userns: infra, ...(o.user ? {} : infraRec.config.user ? { user: infraRec.config.user } : {}) } : {};
    // In a pod whose infra has the host's UTS namespace a member keeps its own name (its ID), as podman's.
    const podHostname = pc.uts === 'host' ? undefined : pc.hostname ?? pod.name;
    const opts: CreateOptions = {
      ...o,
      network: share.includes('net') ? infra : o.network,
      networks: share.includes('net') ? undefined : o.networks,
      ipc,
      uts,
      pid: o.pid ?? (share.includes('pid') ? infra : undefined),
      ...userns,
      hostname: o.hostname ?? (uts === infra ? podHostname : undefined),
      ...(pc.memberVolumes?.length ? { volumes: [...pc.memberVolumes, ...(o.volumes ?? [])] } : {}),
      ...(pc.devices?.length ? { devices: [...new Set([...pc.devices, ...(o.devices ?? [])])] } : {}),
      ...(shmSize !== undefined ? { shmSize } : {}),
      ...(pc.cgroupPath && !o.cgroupParent ? { cgroupParent: pc.cgroupPath } : {}),
    };
    // What the join changed, as given (null: unset), recorded for `container clone`.
    const given: Record<string, unknown> = {};
    const was = o as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(opts)) if (JSON.stringify(v) !== JSON.stringify(was[k])) given[k] = was[k] ?? null;
    return { podId: pod.id, sandboxId: pod.infraId, opts, given };
  }

  /** --network/-p/-P → the networks to join and the ports to publish. */
  private resolveNetworks(o: CreateOptions, ic: Record<string, any>): { mode: string; networks: Record<string, import('../../network/netavark').ContainerNetworkSettings>; ports: import('../../network/types').PortMapping[]; warnings: string[]; slirpOptions?: string[] } {
    // Rootless, the default is slirp4netns (podman's default_rootless_network_cmd).
    const values = o.networks?.length ? o.networks : [o.network ?? (this.cfg.dirs.rootless ? 'slirp4netns' : 'bridge')];
    const special = (v: string) => /^(none|host|private|slirp4netns|pasta)$/.test(v) || v.startsWith('container:') || v.startsWith('ns:');
    const warnings: string[] = [];
    const { parsePublish, publishAll } = require('../../network/ports') as typeof import('../../network/ports');
    let ports = (o.publish ?? []).flatMap(parsePublish);
    const slirp = values.length === 1 && /^slirp4netns(:|$)/.test(values[0]) ? values[0] : undefined;
    if (slirp) {
      // slirp4netns publishes ports itself; its options are read at each start.
      const opts = slirp.includes(':') ? slirp.slice(slirp.indexOf(':') + 1).split(',').filter((x) => x !== '') : [];
      if (o.publishAll) {
        const exposed: Record<string, unknown> = { ...(ic.ExposedPorts ?? {}) };
        for (const e of o.expose ?? []) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
        ports = [...ports, ...publishAll(exposed, ports)];
      }
      return { mode: 'slirp4netns', networks: {}, ports, warnings, ...(opts.length ? { slirpOptions: opts } : {}) };
    }
    if (values.some(special)) {
      if (values.length > 1) throw new UsageError(`cannot set multiple networks without bridge network mode, selected mode ${values.find(special)}: invalid argument`);
      if (ports.length || o.publishAll) warnings.push('Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use');
      return { mode: values[0] === 'private' ? 'none' : values[0], networks: {}, ports: [], warnings };
    }
    const { NetworkStore } = require('../../network/store') as typeof import('../../network/store');
    const netStore = NetworkStore.forConfig(this.cfg);
    const networks: Record<string, import('../../network/netavark').ContainerNetworkSettings> = {};
    values.forEach((v, i) => {
      const a = networkAttachment(o, v, i);
      const def = netStore.get(a.name === 'bridge' || a.name === 'default' ? 'pier' : a.name);
      const settings: import('../../network/netavark').ContainerNetworkSettings = {};
      if (a.staticIps.length) settings.staticIps = a.staticIps;
      if (a.staticMac) settings.staticMac = a.staticMac;
      if (a.interfaceName) settings.interfaceName = a.interfaceName;
      if (a.aliases.length) settings.aliases = a.aliases;
      networks[def.name] = settings;
    });
    if (o.publishAll) {
      const exposed: Record<string, unknown> = { ...(ic.ExposedPorts ?? {}) };
      for (const e of o.expose ?? []) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
      ports = [...ports, ...publishAll(exposed, ports)];
    }
    return { mode: 'bridge', networks, ports, warnings };
  }

  /** `external`: the build starting its own container (by id), which users cannot name. */
  async start(nameOrId: string, opts: { attach?: boolean; interactive?: boolean; detachKeys?: string; sigProxy?: boolean; external?: boolean } = {}, io?: RunIO): Promise<number | void> {
    const c = this.lifecycle.sync(this.containers.lookup(nameOrId, { external: opts.external }));
    try {
      if (!opts.attach) { await this.lifecycle.start(c.id); return; }
      return await this.startAttached(c, { interactive: opts.interactive, detachKeys: opts.detachKeys, sigProxy: opts.sigProxy }, io ?? processIO(!!c.config.create.tty));
    } catch (e) {
      // podman's wording for what the runtime refused: `unable to start container "ID": ...`
      // (the ID unquoted with --attach), with a plain OCI runtime error's class in front (`OCI
      // runtime error: unable to ...`). A bad hook file too (`setting up OCI Hooks: ...`).
      if (!(e instanceof OciRuntimeError) && !(e instanceof HooksError)) throw e;
      const generic = `${OCI_RUNTIME_ERROR}: `;
      const id = opts.attach ? c.id : `"${c.id}"`;
      const msg = e.message.startsWith(generic)
        ? `${generic}unable to start container ${id}: ${e.message.slice(generic.length)}`
        : `unable to start container ${id}: ${e.message}`;
      // podman's start exits 125 whatever the runtime's class (run's 126/127 are not start's).
      throw e instanceof OciRuntimeError ? new OciRuntimeError(msg, EXIT_ENGINE) : new PierError(msg, EXIT_ENGINE);
    }
  }

  /** Start with the terminal attached; returns the exit code (or undefined when detached). */
  private async startAttached(c: ContainerRecord, o: { interactive?: boolean; detachKeys?: string; sigProxy?: boolean; preserveFds?: number; streams?: string[] }, io: RunIO): Promise<number | undefined> {
    let session: Awaited<ReturnType<typeof attach>> | undefined;
    const tty = !!c.config.create.tty;
    // --attach (as podman's run): only the streams named; stdin also with -i. Input reaches
    // the container only where its stdin is open (-i).
    const want = (s: string) => !o.streams || o.streams.includes(s);
    const stdin = o.interactive ? io.stdin ?? null : null;
    const out = want('stdout'), err = want('stderr');
    // The terminal's size goes into the spec: runc sizes the pty as it makes it, so the first look
    // at it (`run -it IMG stty size`) sees the user's even when conmon applies the resize below
    // only after the process started (a loaded host).
    const size = tty ? userTerminalSize(stdin, io.stdout) : undefined;
    return this.attached(c, io, tty, stdin, o.sigProxy, () => session, async () => {
      await this.lifecycle.start(c.id, {
        preserveFds: o.preserveFds,
        ...(size ? { consoleSize: { height: size.rows, width: size.columns } } : {}),
        beforeStart: async (_c, bundle) => {
          if (c.config.logDriver === 'passthrough') return;
          // The output streams are looked up at the first output (see processIO).
          session = await attach({
            dir: bundle, stdin, detachKeys: o.detachKeys,
            get stdout() { return out ? io.stdout : null; },
            get stderr() { return !err ? null : tty ? io.stdout : io.stderr; },
          });
          // The same size through conmon before the process runs (as podman's first resize).
          if (size) session.resize(size.rows, size.columns);
        },
      });
      // podman prints the ID of a container started with neither stdout nor stderr attached.
      if (!out && !err) io.stdout.write(`${c.id}\n`);
    });
  }

  /** Attach to a running container; returns its exit code, or undefined when the user detached. */
  async attach(nameOrId: string, o: { noStdin?: boolean; detachKeys?: string; sigProxy?: boolean } = {}, io?: RunIO): Promise<number | undefined> {
    const c = this.lifecycle.get(nameOrId);
    if (c.state.status !== 'running') throw new ConflictError(`you can only attach to running containers: container state improper`);
    const tty = !!c.config.create.tty;
    const streams = io ?? processIO(tty);
    const stdin = !o.noStdin && c.config.create.interactive ? streams.stdin ?? null : null;
    let session: Awaited<ReturnType<typeof attach>> | undefined;
    return this.attached(c, streams, tty, stdin, o.sigProxy, () => session, async () => {
      session = await attach({ dir: containerDirs(this.store, c.id).userdata, stdin, get stdout() { return streams.stdout; }, get stderr() { return tty ? streams.stdout : streams.stderr; }, detachKeys: o.detachKeys });
    });
  }

  /** Terminal set-up, signal proxying and waiting shared by run, start -a and attach. */
  private async attached(c: ContainerRecord, io: RunIO, tty: boolean, stdin: RunIO['stdin'], sigProxy: boolean | undefined,
    session: () => Awaited<ReturnType<typeof attach>> | undefined, connect: () => Promise<void>): Promise<number | undefined> {
    const ttyIn = stdin && (stdin as NodeJS.ReadStream).isTTY ? (stdin as NodeJS.ReadStream) : undefined;
    const onResize = () => { const z = userTerminalSize(stdin, io.stdout); if (session() && z) { try { session()!.resize(z.rows, z.columns); } catch { /* the container (and its conmon) ended */ } } };
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
    const proxies: [string, () => void][] = [];
    try {
      await connect();
      // onResize() makes stdout before our SIGWINCH listener: its own (refreshing its size) runs first.
      if (ttyIn && tty) { ttyIn.setRawMode(true); onResize(); process.on('SIGWINCH', onResize); }
      if (!tty && sigProxy !== false) {
        for (const sig of signals) {
          const h = () => { this.lifecycle.kill(c.id, parseSignal(sig)).catch(() => undefined); };
          process.on(sig, h);
          proxies.push([sig, h]);
        }
      }
      const exit = waitForExit(this.lifecycle.exitDir, c.id);
      const s = session();
      if (s) {
        const r = await Promise.race([s.done, exit.then(() => null)]);
        if (r && r.detached) return undefined;
        if (r === null) await Promise.race([s.done, new Promise((res) => setTimeout(res, 2000))]);
      }
      return await exit;
    } finally {
      if (ttyIn && tty) { try { ttyIn.setRawMode(false); } catch { /* closed */ } process.off('SIGWINCH', onResize); }
      for (const [sig, h] of proxies) process.off(sig, h);
      if (stdin && 'pause' in stdin) (stdin as NodeJS.ReadStream).pause();
    }
  }

  async run(o: CreateOptions & RunOnlyOptions, io?: RunIO): Promise<{ id: string; exitCode?: number }> {
    trace('run: create');
    const { id, warnings } = await this.create(o);
    for (const w of warnings) o.warn?.(w);
    trace('run: created');
    if (o.detach) {
      try {
        await this.lifecycle.start(id, { preserveFds: o.preserveFds });
      } catch (e) {
        if (o.rm) await this.removeUnstarted(id);
        throw runStartError(e);
      }
      return { id };
    }
    let exitCode: number | undefined;
    // An attached --rm run cleans up and removes the container itself (below).
    const release = o.rm ? this.lifecycle.claimCleanup(id) : () => undefined;
    try {
      const c = this.containers.get(id)!;
      exitCode = await this.startAttached(c, { interactive: o.interactive, detachKeys: o.detachKeys, sigProxy: o.sigProxy, preserveFds: o.preserveFds, streams: o.attach },
        io ?? processIO(!!c.config.create.tty));
    } catch (e) {
      release();
      if (o.rm) await this.removeUnstarted(id);
      throw runStartError(e);
    }
    trace('run: exited');
    if (exitCode === undefined) {
      // Detached from the terminal: conmon's cleanup command takes over again.
      release();
      return { id };
    }
    // The exit is recorded (its died event written) before run returns, as podman's run does;
    // conmon's cleanup command may come later.
    const exited = this.containers.get(id);
    if (exited) this.lifecycle.sync(exited);
    // The container exited: release it now rather than waiting for conmon's cleanup command.
    if (o.rm) {
      const rec = this.containers.get(id);
      await this.lifecycle.cleanup(id);
      if (this.containers.get(id)) await this.lifecycle.remove(id, { force: true, timeout: 0 }).catch(() => undefined);
      if (rec) await this.removeAnonymousVolumes(rec).catch(() => undefined);
      if (o.rmi) await this.images.remove([o.image], {}).catch(() => undefined);
    }
    trace('run: done');
    return { id, exitCode };
  }

  /** `run --rm` whose start failed: the container goes, with its anonymous volumes (as podman's). */
  private async removeUnstarted(id: string): Promise<void> {
    const rec = this.containers.get(id);
    await this.lifecycle.remove(id, { force: true, timeout: 0 }).catch(() => undefined);
    if (rec && !this.containers.get(id)) await this.removeAnonymousVolumes(rec).catch(() => undefined);
  }

  async stop(nameOrId: string, opts: { timeout?: number; ignore?: boolean }): Promise<void> {
    try {
      await this.lifecycle.stop(this.containers.lookup(nameOrId).id, opts.timeout);
    } catch (e) {
      if (opts.ignore && e instanceof NotFoundError) return;
      throw e;
    }
  }

  async kill(nameOrId: string, signal: string): Promise<void> {
    await this.lifecycle.kill(this.containers.lookup(nameOrId).id, parseSignal(signal));
  }

  async remove(nameOrId: string, opts: { force?: boolean; volumes?: boolean; ignore?: boolean; timeout?: number; depend?: boolean }): Promise<string[]> {
    let c: ContainerRecord;
    try { c = this.containers.lookup(nameOrId); } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      // podman removes a storage (build) container named by its name or id, with --force only.
      const ext = this.containers.find(nameOrId, { external: true });
      if (ext) return this.removeExternal(ext, nameOrId, !!opts.force);
      if (opts.ignore) return [];
      throw e;
    }
    // podman: what depends on a pod's infra container is its pod, removed whole.
    if (opts.depend && c.config.isInfra && c.podId) {
      const { LocalPodEngine } = require('./pods') as typeof import('./pods');
      const r = await new LocalPodEngine(this).remove(c.podId, { force: opts.force, timeout: opts.timeout });
      return r?.RemovedCtrs ?? [];
    }
    if (opts.depend) return this.removeWithDependents(c, opts);
    await this.lifecycle.remove(c.id, { force: opts.force, timeout: opts.timeout });
    if (opts.volumes) await this.removeAnonymousVolumes(c);
    return [c.id];
  }

  /**
   * A build's container: it is mounted as long as it exists (buildah's are, for their whole
   * stage), which podman refuses to remove without force.
   */
  private async removeExternal(c: ContainerRecord, input: string, force: boolean): Promise<string[]> {
    if (!force) throw new ConflictError(`container "${input}" is mounted and cannot be removed without using force: container state improper`);
    await this.lifecycle.remove(c.id, { force: true, timeout: 0 });
    return [c.id];
  }

  /**
   * `rm --depend`: the containers that depend on `c` (and theirs), deepest first, then `c`; each
   * failure is kept and the rest still tried, as podman does. Returns the ids removed.
   */
  private async removeWithDependents(c: ContainerRecord, opts: { force?: boolean; volumes?: boolean; timeout?: number }): Promise<string[]> {
    const order: ContainerRecord[] = [];
    const visit = (x: ContainerRecord) => {
      if (order.some((y) => y.id === x.id)) return;
      for (const d of this.lifecycle.dependents(x.id)) visit(d);
      order.push(x);
    };
    visit(c);
    const removed: string[] = [];
    const failures: { id: string; error: PierError }[] = [];
    for (const x of order) {
      try {
        await this.lifecycle.remove(x.id, { force: opts.force, timeout: opts.timeout });
        if (opts.volumes) await this.removeAnonymousVolumes(x);
        removed.push(x.id);
      } catch (e) {
        failures.push({ id: x.id, error: e instanceof PierError ? e : new PierError(errorMessage(e)) });
      }
    }
    if (failures.length) throw new PartialRemoveError(removed, failures);
    return removed;
  }

  /** Drop the anonymous volumes of a removed container that no other container uses. */
  async removeAnonymousVolumes(c: ContainerRecord): Promise<void> {
    await removeAnonymousVolumes(this.store, c.config.mounts, (n) => this.volumeUsers(n));
  }

  /** The containers that mount the volume `name`. */
  private volumeUsers(name: string): string[] {
    return this.containers.list({ external: true, allNamespaces: true }).filter((x) => x.config.mounts.some((m) => m.type === 'volume' && m.name === name)).map((x) => x.id);
  }

  async restart(nameOrId: string, opts: { timeout?: number }): Promise<void> {
    const c = this.lifecycle.get(nameOrId);
    if (c.state.status === 'running' || c.state.status === 'paused') await this.lifecycle.stop(c.id, opts.timeout);
    await this.lifecycle.start(c.id);
    this.containers.updateState(c.id, (s) => ({ ...s, restartCount: s.restartCount + 1 }));
  }

  async init(nameOrId: string): Promise<void> {
    const c = this.lifecycle.get(nameOrId);
    if (c.state.status !== 'created' && c.state.status !== 'exited' && c.state.status !== 'stopped' && c.state.status !== 'initialized') {
      throw new ConflictError(`container ${c.id} has already been created in runtime: container state improper`);
    }
    await this.lifecycle.start(c.id, { initOnly: true });
  }

  async pause(nameOrId: string): Promise<void> { await this.lifecycle.pause(nameOrId); }
  async unpause(nameOrId: string): Promise<void> { await this.lifecycle.unpause(nameOrId); }

  async rename(nameOrId: string, newName: string): Promise<void> {
    if (!NAME_RE.test(newName)) throw new UsageError(`invalid container name "${newName}": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*`);
    const c = this.containers.lookup(nameOrId);
    this.containers.rename(c.id, newName);
    this.lifecycle.event({ ...c, name: newName }, 'rename');
  }

  /**
   * `container clone`: create() from the original's recorded options (./clone); then --destroy
   * removes the original (its stop timeout, as podman's) and --run starts the clone.
   */
  async clone(nameOrId: string, o: CloneOptions): Promise<{ id: string; warnings: string[] }> {
    const c = this.lifecycle.sync(this.containers.lookup(nameOrId));
    if (o.name && !NAME_RE.test(o.name)) throw new UsageError('running container create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument');
    // Checked before the clone exists, so a refusal leaves nothing made (podman's clone stays).
    if (o.destroy) this.lifecycle.checkRemovable(c, { force: o.force });
    const made = await this.create(this.cloneOptions(c, o, (m) => log.warn(m)));
    if (o.destroy) await this.lifecycle.remove(c.id, { force: o.force, timeout: c.config.stopTimeout });
    // A start that fails is an engine error here (exit 125), as podman's clone --run (only run uses 126/127).
    if (o.run) {
      try { await this.lifecycle.start(made.id); } catch (e) { throw asEngineError(e); }
    }
    return made;
  }

  /** The options a clone of `c` is created with (./clone), its name picked as podman's when not given. */
  cloneOptions(c: ContainerRecord, o: CloneOptions, warn: (msg: string) => void): CreateOptions {
    const { cloneCreateOptions, cloneName } = require('./clone') as typeof import('./clone');
    const { LocalPodEngine } = require('./pods') as typeof import('./pods');
    const podRef = o.pod || c.podId;
    const pod = podRef ? new LocalPodEngine(this).pods.lookup(podRef) : undefined;
    const name = o.name || cloneName(c.name, (n) => !!this.containers.byName(n, { external: true }));
    // The original's image by the name it was given while that still names it, else by id.
    let image = c.config.create.image;
    if (c.imageId && !c.config.create.rootfs) {
      try { if (this.images.lookup(image).id !== c.imageId) image = c.imageId; } catch (e) { if (!(e instanceof NotFoundError)) throw e; image = c.imageId; }
    }
    return cloneCreateOptions(c, { ...o, name }, { image, pod, warn });
  }

  async exists(nameOrId: string, opts: { external?: boolean } = {}): Promise<boolean> {
    return !!this.containers.find(nameOrId, { external: !!opts.external });
  }

  async ids(opts: { all?: boolean; latest?: boolean } = {}): Promise<string[]> {
    let list = this.containers.list().map((c) => this.lifecycle.sync(c));
    if (!opts.all) list = list.filter((c) => c.state.status === 'running');
    if (opts.latest) list = list.slice(0, 1);
    return list.map((c) => c.id);
  }

  status(s: ContainerState): string {
    // podman: the health status follows, running or not (`Exited (137) 2 seconds ago (unhealthy)`).
    const base = this.baseStatus(s);
    return s.health?.status ? `${base} (${s.health.status})` : base;
  }

  private baseStatus(s: ContainerState): string {
    const ago = (iso: string) => {
      const { timeAgo } = require('../../cli/format/units') as typeof import('../../cli/format/units');
      return timeAgo(new Date(iso));
    };
    switch (s.status) {
      case 'running': return `Up ${ago(s.startedAt)}`;
      case 'paused': return `Up ${ago(s.startedAt)} (paused)`;
      case 'exited': case 'stopped': return `Exited (${s.exitCode}) ${ago(s.finishedAt || s.startedAt)}`;
      case 'created': return 'Created';
      default: return s.status.charAt(0).toUpperCase() + s.status.slice(1);
    }
  }

  summary(c: ContainerRecord): ContainerSummary {
    const s = c.state;
    const ports = this.portMappings(c);
    return {
      AutoRemove: !!c.config.create.rm,
      Command: [...c.config.entrypoint, ...c.config.cmd],
      Created: Math.floor(c.created / 1000),
      CreatedAt: new Date(c.created).toISOString(),
      Exited: s.status === 'exited' || s.status === 'stopped',
      ExitedAt: s.finishedAt ? Math.floor(Date.parse(s.finishedAt) / 1000) : -62135596800,
      ExitCode: s.exitCode,
      Id: c.id,
      Image: this.imageDisplayName(c),
      ImageID: c.imageId ?? '',
      IsInfra: !!c.config.isInfra,
      Labels: Object.keys(c.config.labels).length ? goMap(c.config.labels) : null,
      Mounts: c.config.mounts.map((m) => m.destination),
      Names: [c.name],
      Namespaces: {},
      Networks: Object.keys(c.config.networks ?? {}),
      Pid: s.pid,
      Pod: c.podId ?? '',
      PodName: c.podId ? this.podName(c.podId) : '',
      Ports: ports.length ? ports : null,
      Size: null,
      StartedAt: s.startedAt ? Math.floor(Date.parse(s.startedAt) / 1000) : -62135596800,
      State: s.status,
      Status: this.status(s),
      RestartPolicy: c.config.restart.name,
      VolumeSources: c.config.mounts.filter((m) => m.type === 'volume' || m.type === 'bind').map((m) => ({ source: m.type === 'volume' ? m.name ?? m.source : m.source, destination: m.destination })),
    };
  }

  private podNames = new Map<string, string>();
  /** When the name caches were filled: a long-running service must not keep stale names. */
  private cachedAt = 0;

  private freshCaches(): void {
    const now = Date.now();
    if (now - this.cachedAt > 1000) { this.podNames.clear(); this.imageNames.clear(); this.cachedAt = now; }
  }

  private podName(podId: string): string {
    this.freshCaches();
    let n = this.podNames.get(podId);
    if (n === undefined) {
      n = this.lifecycle.pods().get(podId)?.name ?? '';
      this.podNames.set(podId, n);
    }
    return n;
  }

  /** Image names by id, read once per command (ps lists many containers of few images). */
  private imageNames = new Map<string, string[] | null>();

  /** inspect's HostConfig.LogConfig, as podman shows it. */
  private logConfig(c: ContainerRecord): Record<string, unknown> {
    const opts = Object.fromEntries((c.config.create.logOpts ?? []).map((l) => { const i = l.indexOf('='); return [l.slice(0, i), l.slice(i + 1)]; }));
    const { goHumanSize } = require('../../cli/format/units') as typeof import('../../cli/format/units');
    // Drivers without a log file have no path unless one was given (podman makes ctr.log only for k8s-file).
    const fileless = ['none', 'passthrough', 'journald'].includes(c.config.logDriver);
    return {
      Type: c.config.logDriver, Config: null, Path: fileless && opts.path === undefined ? '' : c.config.logPath,
      Tag: opts.tag ?? '', Size: goHumanSize(Math.max(0, c.config.logSizeMax ?? 0)),
    };
  }

  imageDisplayName(c: ContainerRecord): string {
    if (!c.imageId || c.config.create.rootfs) return resolvedImageName(c, null);
    this.freshCaches();
    let names = this.imageNames.get(c.imageId);
    // Read again when the cached names lack the one given (tagged since: a long-running service).
    const byId = /^(sha256:)?[0-9a-f]{1,64}$/.test(c.imageName) || c.imageName.includes('@');
    const known = (ns: string[] | null | undefined) => !!ns && (byId || ns.some((n) => matchesGivenName(n, c.imageName)));
    if (names === undefined || (names && !known(names))) {
      names = this.store.images.namesIfExists(c.imageId);
      this.imageNames.set(c.imageId, names);
    }
    return resolvedImageName(c, names);
  }

  async list(opts: PsOptions): Promise<ContainerSummary[]> {
    let list = this.containers.list().map((c) => this.lifecycle.sync(c));
    if (!opts.all && !opts.last && !opts.filters?.length) list = list.filter((c) => c.state.status === 'running' || c.state.status === 'paused');
    if (opts.last !== undefined && opts.last > 0) list = list.slice(0, opts.last);
    const rows = list.map((c) => this.summary(c));
    if (opts.size) {
      for (const r of rows) {
        const d = containerDirs(this.store, r.Id);
        const rw = dirSize(d.diff);
        const img = r.ImageID ? this.store.images.get(r.ImageID)?.size ?? 0 : 0;
        r.Size = { rootFsSize: img + rw, rwSize: rw };
      }
    }
    // After the others, as podman appends them (its callers order rows by creation).
    if (opts.external) rows.push(...this.containers.external().map((c) => this.externalSummary(c)));
    return rows;
  }

  /**
   * A build's container as podman lists a storage container: state `storage`, command
   * `buildah`, the image by the first name it has had, nothing else known.
   */
  private externalSummary(c: ContainerRecord): ContainerSummary {
    const img = c.imageId ? this.store.images.get(c.imageId) : undefined;
    return {
      AutoRemove: false, Command: ['buildah'], Created: Math.floor(c.created / 1000), CreatedAt: new Date(c.created).toISOString(),
      Exited: false, ExitedAt: 0, ExitCode: 0, Id: c.id, Image: img?.namesHistory[0] ?? '', ImageID: c.imageId ?? '',
      IsInfra: false, Labels: null, Mounts: null, Names: [c.name], Namespaces: {}, Networks: null, Pid: 0, Pod: '', PodName: '',
      Ports: null, Size: null, StartedAt: 0, State: 'storage', Status: 'Storage',
    };
  }

  async inspect(nameOrId: string, opts: { size?: boolean } = {}): Promise<Record<string, unknown>> {
    const c = this.lifecycle.get(nameOrId);
    const d = containerDirs(this.store, c.id);
    const s = c.state;
    const o = c.config.create;
    const zero = '0001-01-01T00:00:00Z';
    const args = [...c.config.entrypoint, ...c.config.cmd];
    // The spec of the last start; before the first, what podman's create-time spec holds.
    const spec: any = readSpec(d.userdata);
    const proc: { capabilities?: OciCapabilities; apparmorProfile?: string } = spec ? spec.process ?? {} : createdProcess(c);
    const annotations: Record<string, string> = spec ? spec.annotations ?? {} : c.config.annotations;
    const bounding = proc.capabilities?.bounding ?? [];
    const imageName = this.imageDisplayName(c);
    const capChanges = capabilityChanges(bounding, !!o.privileged);
    // Each user mount's options as podman records them (with its defaults), for Mounts, Binds and Tmpfs.
    const recorded = new Map(c.config.mounts.filter((m) => m.type !== 'image').map((m) => [m, podmanMountOptions(
      m.type === 'tmpfs' ? 'tmpfs' : m.type === 'volume' ? 'volume' : 'bind', m.imageVolume ? IMAGE_VOLUME_OPTIONS : m.options, m.type === 'bind' ? m.source : undefined)]));
    const out: Record<string, unknown> = {
      Id: c.id,
      Created: new Date(c.created).toISOString(),
      Path: args[0] ?? '',
      // podman's: the arguments after the first, or with just one, that one.
      Args: args.length > 1 ? args.slice(1) : args,
      State: {
        OciVersion: '1.0.2-dev',
        Status: s.status,
        Running: s.status === 'running',
        Paused: s.status === 'paused',
        Restarting: false,
        OOMKilled: s.oomKilled,
        Dead: false,
        Pid: s.pid,
        // podman's: while conmon runs (left out otherwise, omitempty).
        ConmonPid: ['initialized', 'running', 'paused', 'stopping'].includes(s.status) && s.conmonPid ? s.conmonPid : undefined,
        ExitCode: s.exitCode,
        Error: s.error,
        StartedAt: s.startedAt || zero,
        FinishedAt: s.finishedAt || zero,
        // podman 4.3 always has Health: the zero value (Log null) without a healthcheck or a result.
        Health: { Status: s.health?.status ?? '', FailingStreak: s.health?.failingStreak ?? 0, Log: s.health?.log ?? null },
        // podman's: the container's cgroup while it runs (omitted otherwise).
        CgroupPath: ['running', 'paused', 'stopping'].includes(s.status) && spec?.linux?.cgroupsPath
          ? (require('../../engine/stats') as typeof import('../../engine/stats')).cgroupsPathToFs(spec.linux.cgroupsPath) : undefined,
        CheckpointedAt: zero,
        RestoredAt: zero,
      },
      Image: c.imageId ?? '',
      ImageDigest: (() => { const img = c.imageId ? this.store.images.get(c.imageId) : undefined; return img ? img.manifestDigest ?? img.digests[0] ?? '' : ''; })(),
      ImageName: imageName,
      Rootfs: o.rootfs ? o.image : '',
      Pod: c.podId ?? '',
      // As podman: empty before the first start and when the container gets no such file.
      ResolvConfPath: existingPath(path.join(d.run, 'resolv.conf')),
      HostnamePath: existingPath(path.join(d.run, 'hostname')),
      HostsPath: existingPath(path.join(d.run, 'hosts')),
      StaticDir: d.userdata,
      // As podman: once a start has written it.
      OCIConfigPath: spec ? path.join(d.userdata, 'config.json') : undefined,
      // As pinned at create: a --runtime path stays a path (podman's OCIRuntime).
      OCIRuntime: c.config.runtime || (() => { try { return this.lifecycle.runtime(c).name; } catch { return ''; } })(),
      ConmonPidFile: o.conmonPidFile ?? path.join(d.run, 'conmon.pid'),
      PidFile: o.pidFile ?? path.join(d.run, 'pidfile'),
      Name: c.name,
      RestartCount: s.restartCount,
      Driver: this.store.driver,
      MountLabel: '',
      ProcessLabel: '',
      AppArmorProfile: proc.apparmorProfile ?? '',
      // Empty sets are left out of a spec: null.
      EffectiveCaps: proc.capabilities?.effective?.length ? proc.capabilities.effective : null,
      BoundingCaps: bounding.length ? bounding : null,
      ExecIDs: [],
      GraphDriver: { Name: this.store.driver, Data: this.graphDriverData(c) },
      // podman's order: named volumes, image mounts, then binds; tmpfs mounts are not listed.
      Mounts: ['volume', 'image', 'bind'].flatMap((type) => c.config.mounts.filter((m) => m.type === type)).map((m) => {
        if (m.type === 'image') return { Type: 'image', Source: m.source, Destination: m.destination, Driver: '', Mode: '', Options: null, RW: m.options.includes('rw'), Propagation: '' };
        const f = inspectMountFields(recorded.get(m)!);
        const shown = m.type === 'volume' ? volumeMountShown(this.store, m) : { Source: m.source, Driver: '' };
        return {
          Type: m.type, ...(m.name ? { Name: m.name } : {}), Source: shown.Source, Destination: m.destination, Driver: shown.Driver,
          Mode: f.Mode, Options: f.Options, RW: f.RW, Propagation: f.Propagation,
        };
      }),
      Dependencies: c.config.dependencies ?? [],
      NetworkSettings: this.networkSettings(c),
      Namespace: c.namespace ?? '',
      IsInfra: !!c.config.isInfra,
      IsService: !!c.config.isService,
      Config: {
        Hostname: c.config.hostname,
        Domainname: '',
        User: c.config.user,
        AttachStdin: !!o.interactive,
        AttachStdout: false,
        AttachStderr: false,
        Tty: !!o.tty,
        OpenStdin: !!o.interactive,
        StdinOnce: false,
        Env: inspectEnv(c, spec),
        Cmd: c.config.cmd.length ? c.config.cmd : null,
        // podman's: the image's resolved name, as ImageName.
        Image: imageName,
        Volumes: null,
        WorkingDir: c.config.workdir,
        Entrypoint: c.config.entrypoint.join(' '),
        OnBuild: null,
        Labels: goMap(c.config.labels),
        Annotations: Object.keys(annotations).length ? goMap(annotations) : null,
        StopSignal: c.config.stopSignal,
        ...(c.config.healthcheck ? { Healthcheck: healthcheckJSON(c.config.healthcheck) } : {}),
        HealthcheckOnFailureAction: o.healthOnFailure ?? 'none',
        // As recorded at create (none through the API: left out, as podman's omitempty).
        CreateCommand: o.createCommand,
        ...(o.tz ? { Timezone: o.tz } : {}),
        ...(systemdMode(o.systemd, [...c.config.entrypoint, ...c.config.cmd]) ? { SystemdMode: true } : {}),
        Umask: o.umask ?? '0022',
        ...(c.config.secrets?.length ? { Secrets: c.config.secrets.map((x) => ({ Name: x.name, ID: x.id, UID: x.uid, GID: x.gid, Mode: x.mode })) } : {}),
        Timeout: o.timeout ?? 0,
        StopTimeout: c.config.stopTimeout,
        Passwd: o.passwd !== false,
        sdNotifyMode: o.sdnotify ?? 'container',
        ...(o.sdnotifySocket ? { sdNotifySocket: o.sdnotifySocket } : {}),
        ...(o.chrootDirs?.length ? { ChrootDirs: o.chrootDirs } : {}),
      },
      // podman's InspectContainerHostConfig, in its field order.
      HostConfig: {
        Binds: ['volume', 'bind'].flatMap((type) => c.config.mounts.filter((m) => m.type === type)).map((m) => `${m.name ?? m.source}:${m.destination}:${recorded.get(m)!.join(',')}`),
        // The manager recorded at create (podman's per-container CgroupManager).
        CgroupManager: c.config.cgroupManager ?? 'cgroupfs',
        CgroupMode: o.cgroupns ?? 'host',
        ContainerIDFile: annotations[ANNOTATION_CID_FILE] ?? '',
        LogConfig: this.logConfig(c),
        NetworkMode: c.config.networkMode,
        // podman's: the port map of a container on networks of its own (none, host, container:X: empty).
        PortBindings: c.config.networkMode === 'bridge' ? this.inspectPorts(c) : goMap({}),
        RestartPolicy: { Name: c.config.restart.name, MaximumRetryCount: c.config.restart.maximumRetryCount },
        AutoRemove: !!o.rm,
        VolumeDriver: '',
        VolumesFrom: o.volumesFrom?.length ? o.volumesFrom : null,
        // podman's: the bounding set against the OCI generator's defaults.
        CapAdd: capChanges.add,
        CapDrop: capChanges.drop,
        Dns: o.dns ?? [],
        DnsOptions: o.dnsOption ?? [],
        DnsSearch: o.dnsSearch ?? [],
        ExtraHosts: o.addHost ?? [],
        GroupAdd: o.groupAdd ?? [],
        IpcMode: this.ipcModeShown(o.ipc),
        Cgroup: '',
        Cgroups: 'default',
        Links: null,
        OomScoreAdj: o.oomScoreAdj ?? 0,
        PidMode: o.pid ?? 'private',
        Privileged: !!o.privileged,
        PublishAllPorts: !!o.publishAll,
        ReadonlyRootfs: !!o.readOnly,
        SecurityOpt: o.securityOpt ?? [],
        // The user's tmpfs mounts (podman lists no --image-volume tmpfs ones).
        Tmpfs: goMap(Object.fromEntries(c.config.mounts.filter((m) => m.type === 'tmpfs' && !m.imageVolume).map((m) => [m.destination, recorded.get(m)!.join(',')]))),
        UTSMode: o.uts ?? 'private',
        UsernsMode: usernsModeShown(o.userns, c.config.idMappings),
        ...(c.config.idMappings ? { IDMappings: inspectIdMappings(c.config.idMappings) } : {}),
        ShmSize: o.shmSize ?? 65536000,
        Runtime: 'oci',
        ConsoleSize: [0, 0],
        Isolation: '',
        CpuShares: o.cpuShares ?? 0,
        Memory: o.memory ?? 0,
        NanoCpus: nanoCpus(o),
        // As podman: only a --cgroup-parent given (the default parent shows as '').
        CgroupParent: o.cgroupParent ?? '',
        ...blkioInspect(o),
        CpuPeriod: o.cpus ? DEFAULT_CPU_PERIOD : o.cpuPeriod ?? 0,
        CpuQuota: o.cpus ? cpusToQuota(o.cpus) : o.cpuQuota ?? 0,
        CpuRealtimePeriod: o.cpuRtPeriod ?? 0,
        CpuRealtimeRuntime: o.cpuRtRuntime ?? 0,
        CpusetCpus: o.cpusetCpus ?? '',
        CpusetMems: o.cpusetMems ?? '',
        Devices: (o.devices ?? []).map((dv) => { const [h, cp, perm] = dv.split(':'); return { PathOnHost: h, PathInContainer: cp ?? h, CgroupPermissions: perm ?? 'rwm' }; }),
        DiskQuota: 0,
        KernelMemory: 0,
        MemoryReservation: o.memoryReservation ?? 0,
        MemorySwap: o.memorySwap ?? 0,
        MemorySwappiness: o.memorySwappiness ?? 0,
        OomKillDisable: !!o.oomKillDisable,
        // (omitempty in podman: only with --init; kept for templates, which see podman's struct field.)
        Init: !!o.init,
        PidsLimit: o.pidsLimit ?? 2048,
        Ulimits: (o.ulimits ?? []).map((u) => ({ Name: `RLIMIT_${u.split('=')[0].toUpperCase()}`, Soft: Number(u.split('=')[1]?.split(':')[0]), Hard: Number(u.split('=')[1]?.split(':')[1] ?? u.split('=')[1]?.split(':')[0]) })),
        CpuCount: 0,
        CpuPercent: 0,
        IOMaximumIOps: 0,
        IOMaximumBandwidth: 0,
        CgroupConf: o.cgroupConf ? goMap(o.cgroupConf) : null,
      },
    };
    if (opts.size) {
      const rw = dirSize(d.diff);
      out.SizeRw = rw;
      out.SizeRootFs = rw + (c.imageId ? this.store.images.get(c.imageId)?.size ?? 0 : 0);
    }
    return out;
  }

  /**
   * GraphDriver.Data as podman's overlay driver reports it: the image's layers (top first) as
   * LowerDir, MergedDir only while the rootfs is mounted, UpperDir and WorkDir.
   */
  private graphDriverData(c: ContainerRecord): Record<string, string> {
    const d = containerDirs(this.store, c.id);
    if (this.store.driver !== 'overlay') return goMap({ Dir: d.rootfs });
    const o = c.config.create;
    let lowers: string[] = [];
    try {
      lowers = o.rootfs ? (o.rootfsOverlay ? [o.image] : [])
        : this.store.layers.chain(c.config.topLayer).reverse().map((l) => this.store.layers.diffDir(l.id));
    } catch { /* a layer gone: no LowerDir */ }
    const data: Record<string, string> = {};
    if (lowers.length) data.LowerDir = lowers.join(':');
    if (isMountPoint(d.rootfs)) data.MergedDir = d.rootfs;
    data.UpperDir = d.diff;
    data.WorkDir = d.work;
    return goMap(data);
  }

  /**
   * HostConfig.IpcMode as podman 4.3.1 reports it: `container:ID` (the full id) for a joined
   * container's namespace (pod members: the infra's), `ns:PATH` for a namespace path, and
   * "shareable" for every other mode (host, none, private, shareable and the default: podman
   * tells them apart only by checks that never apply).
   */
  private ipcModeShown(ipc: string | undefined): string {
    if (ipc?.startsWith('container:')) {
      const ref = ipc.slice('container:'.length);
      return `container:${this.containers.find(ref)?.id ?? ref}`;
    }
    if (ipc?.startsWith('ns:')) return ipc;
    return 'shareable';
  }

  /**
   * The container whose network namespace this one uses: itself, or for --network container:X
   * (a pod's members) X, followed along (podman answers ports and network settings from it).
   */
  private netnsOwner(c: ContainerRecord): ContainerRecord {
    let cur = c;
    for (let i = 0; i < 10 && cur.config.networkMode.startsWith('container:'); i++) {
      const next = this.containers.find(cur.config.networkMode.slice('container:'.length));
      if (!next) break;
      cur = this.lifecycle.sync(next);
    }
    return cur;
  }

  /** The ports published for the container's network namespace (random host ports resolved once it runs). */
  private portMappings(c: ContainerRecord): import('../../network/types').PortMapping[] {
    const o = this.netnsOwner(c);
    return o.state.network?.ports ?? o.config.portMappings ?? [];
  }

  /** podman's NetworkSettings: the first network's address at the top, every network under Networks. */
  networkSettings(c0: ContainerRecord): Record<string, unknown> {
    // A container in another's network namespace shows that one's settings.
    const c = this.netnsOwner(c0);
    const ports = this.inspectPorts(c);
    const networks: Record<string, unknown> = {};
    let first: Record<string, any> | undefined;
    // Each network's entry: its addresses once the container is on it (empty before).
    const entry = (name: string, iface?: NonNullable<NonNullable<typeof c.state.network>['status'][string]['interfaces']>[string]) => {
      const v4 = iface?.subnets?.find((x) => !x.ipnet.includes(':'));
      const v6 = iface?.subnets?.find((x) => x.ipnet.includes(':'));
      return {
        EndpointID: '', Gateway: v4?.gateway ?? '', IPAddress: v4?.ipnet.split('/')[0] ?? '', IPPrefixLen: v4 ? Number(v4.ipnet.split('/')[1]) : 0,
        IPv6Gateway: v6?.gateway ?? '', GlobalIPv6Address: v6?.ipnet.split('/')[0] ?? '', GlobalIPv6PrefixLen: v6 ? Number(v6.ipnet.split('/')[1]) : 0,
        MacAddress: iface?.mac_address ?? '', NetworkID: name, DriverOpts: null, IPAMConfig: null, Links: null,
        Aliases: [shortId(c.id), ...(c.config.networks?.[name]?.aliases ?? [])],
      };
    };
    for (const [name, block] of Object.entries(c.state.network?.status ?? {})) {
      const e = entry(name, Object.values(block.interfaces ?? {})[0]);
      networks[name] = e;
      first ??= e;
    }
    if (!Object.keys(networks).length) {
      for (const name of Object.keys(c.config.networks ?? {})) networks[name] = entry(name);
    }
    const running = c.state.status === 'running' || c.state.status === 'paused';
    return {
      EndpointID: '', Gateway: first?.Gateway ?? '', IPAddress: first?.IPAddress ?? '', IPPrefixLen: first?.IPPrefixLen ?? 0,
      IPv6Gateway: first?.IPv6Gateway ?? '', GlobalIPv6Address: first?.GlobalIPv6Address ?? '', GlobalIPv6PrefixLen: first?.GlobalIPv6PrefixLen ?? 0,
      MacAddress: first?.MacAddress ?? '', Bridge: '', SandboxID: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
      Ports: ports, SandboxKey: running && Object.keys(networks).length ? path.join(this.store.runRoot, 'netns', `pier-${c.id}`) : '',
      ...(Object.keys(networks).length ? { Networks: goMap(networks) } : {}),
    };
  }

  /**
   * podman's port map (makeInspectPortBindings) of a container configuring its own network: each
   * published port's host bindings, then its exposed ports (the image's, --expose) not published,
   * as null. For NetworkSettings.Ports and HostConfig.PortBindings.
   */
  private inspectPorts(c: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
    const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
    for (const m of c.state.network?.ports ?? c.config.portMappings ?? []) {
      for (let i = 0; i < m.range; i++) {
        (ports[`${m.container_port + i}/${m.protocol}`] ??= [])!.push({ HostIp: m.host_ip, HostPort: m.host_port ? String(m.host_port + i) : '' });
      }
    }
    if (c.config.networkMode === 'bridge') {
      const { exposedPortKeys } = require('../../network/ports') as typeof import('../../network/ports');
      for (const k of exposedPortKeys(c.config.imageConfig?.ExposedPorts, c.config.create.expose)) if (!(k in ports)) ports[k] = null;
    }
    return goMap(ports);
  }

  /** The host ports published for a running container (podman's `port`: none for a container not running). */
  ports(nameOrId: string): import('../../network/types').PortMapping[] {
    const c = this.lifecycle.get(nameOrId);
    return c.state.status === 'running' ? this.portMappings(c) : [];
  }

  /** Containers configured on a network (for `network rm`), whatever their libpod namespace. */
  networkUsers(name: string): string[] {
    return this.containers.list({ allNamespaces: true }).filter((c) => Object.keys(c.config.networks ?? {}).includes(name)).map((c) => c.id);
  }

  /**
   * podman 4.3's wait: `stopped`/`exited` (the default) return the exit code once the container is
   * not running, paused or stopping (a created one counts: it returns at once); any other
   * condition is a state to reach, and reaching it returns -1. Several conditions: the first met.
   */
  async wait(nameOrId: string, opts: { conditions?: string[]; interval?: number }): Promise<number> {
    const conditions = opts.conditions?.length ? opts.conditions : ['stopped'];
    const forExit = conditions.some((x) => x === 'stopped' || x === 'exited');
    const states = conditions.filter((x) => x !== 'stopped' && x !== 'exited');
    const interval = opts.interval ?? 250;
    const id = this.containers.lookup(nameOrId).id;
    for (;;) {
      const c = this.containers.find(id);
      if (!c) throw new NotFoundError(`no container with name or ID "${nameOrId}" found: no such container`);
      const s = this.lifecycle.sync(c).state;
      const live = s.status === 'running' || s.status === 'paused' || s.status === 'stopping';
      if (forExit && !live) return s.exitCode;
      if (states.includes(s.status)) return -1;
      if (forExit && !states.length && s.status === 'running') {
        await waitForExit(this.lifecycle.exitDir, id, interval * 4).catch(() => undefined);
      } else {
        await new Promise((r) => setTimeout(r, interval));
      }
    }
  }

  async logs(nameOrIds: string[], opts: LogOptions, out: { stdout(b: Buffer | string): void; stderr(b: Buffer | string): void }): Promise<void> {
    const cs = nameOrIds.map((n) => this.lifecycle.get(n));
    for (const c of cs) {
      if (c.config.logDriver !== 'k8s-file' && c.config.logDriver !== 'json-file') throw new NoLogsError(c.name, `this container is using the '${c.config.logDriver}' log driver, cannot read logs: this container is not logging output`);
    }
    // podman: several containers (or pod logs) put each one's name (-n) or short id before its lines.
    const multi = opts.multi || cs.length > 1;
    const prefix = (c: ContainerRecord) => (multi ? `${opts.names ? c.name : shortId(c.id)} ` : '');
    const emit = (c: ContainerRecord, e: { stream: string; text: string; time: string }) => {
      let line = prefix(c) + formatEntry(e as any, opts.timestamps);
      if (opts.color) line = colorLogLine(line, cs.indexOf(c));
      if (e.stream === 'stderr') out.stderr(line); else out.stdout(line);
    };
    const since = opts.since ? parseTimeArg(opts.since) : undefined;
    const until = opts.until ? parseTimeArg(opts.until) : undefined;
    if (!opts.follow) {
      for (const c of cs) for (const e of readLogEntries(c.config.logPath, { since, until, tail: opts.tail })) emit(c, e as any);
      return;
    }
    await Promise.all(cs.map(async (c) => {
      const exitFile = path.join(this.lifecycle.exitDir, c.id);
      const running = () => {
        const cur = this.containers.find(c.id);
        return !cur || !['running', 'paused', 'stopping'].includes(this.lifecycle.sync(cur).state.status);
      };
      for await (const e of streamLogs(c.config.logPath, { since, until, tail: opts.tail, follow: true, exited: running, exitFile })) emit(c, e as any);
    }));
  }

  /** The OCI process of an exec session in container `c` (its spec's, changed by the options). */
  private execProcess(c: ContainerRecord, o: ExecOptions): Record<string, any> {
    const d = containerDirs(this.store, c.id);
    const spec = startedSpec(d.userdata, c.id);
    const p: Record<string, any> = { ...spec.process };
    p.args = o.command;
    p.terminal = !!o.tty;
    if (o.workdir) p.cwd = o.workdir;
    // podman's exec user: -u, else the container's user with its --group-add groups; the
    // supplementary groups are those, then (for a user given) the groups listing the user
    // (so none for the default root user without --group-add).
    const user = o.user || c.config.user || '';
    const groupAdd = o.user ? [] : c.config.create.groupAdd ?? [];
    const userFiles = userFileOverrides(c.config.mounts, d.userdata);
    const u = resolveUser(d.rootfs, user, groupAdd, userFiles);
    const gids = [...new Set([...u.addedGids, ...(user !== '' ? u.memberGids : [])])];
    p.user = { ...p.user, uid: u.uid, gid: u.gid };
    if (gids.length) p.user.additionalGids = gids;
    else delete p.user.additionalGids;
    let env: string[] = execBaseEnv(c, p.env ?? []);
    if (!c.config.env.some((e) => e.startsWith('HOME='))) {
      // HOME was set for the container's own process: the exec'd one gets its user's, as the runtime gives it.
      const home = resolveUser(d.rootfs, String(u.uid), [], userFiles).home;
      env = [...env.filter((e) => !e.startsWith('HOME=')), `HOME=${home}`];
    }
    const envFiles = (o.envFile ?? []).flatMap(readEnvFile);
    p.env = mergeEnv(env, envFiles, o.env ?? []);
    if (o.privileged) {
      const all = spec.process?.capabilities?.bounding ?? [];
      p.capabilities = { bounding: all, effective: all, permitted: all };
    }
    delete p.consoleSize;
    return p;
  }

  /**
   * `exec -d`: starts the process and returns its exec session's ID once it runs; conmon keeps
   * it and runs `container cleanup --exec` (which removes the session's directory) at its exit.
   */
  async execDetached(nameOrId: string, o: ExecOptions): Promise<string> {
    const c = this.lifecycle.get(nameOrId);
    if (c.state.status !== 'running') throw new ConflictError(`can only create exec sessions on running containers: container state improper`);
    const p = this.execProcess(c, o);
    const sessionId = randomId();
    const execDir = path.join(containerDirs(this.store, c.id).run, 'exec', sessionId.slice(0, 16));
    try {
      await execDetachedInContainer({
        containerId: c.id, name: c.name, execDir, sessionId, process: p, terminal: !!o.tty, stdin: null,
        runtime: this.lifecycle.runtime(c), stateRoot: this.lifecycle.stateRoot(c), conmonPath: this.cfg.conmon,
        preserveFds: o.preserveFds, exitCommand: this.lifecycle.pierCommand(['container', 'cleanup', '--exec', sessionId, c.id]),
      });
    } catch (e) {
      fs.rmSync(execDir, { recursive: true, force: true });
      throw e;
    }
    return sessionId;
  }

  /** Removes a finished detached exec session's directory (conmon's exit command). */
  async cleanupExec(nameOrId: string, sessionId: string): Promise<void> {
    const c = this.containers.find(nameOrId);
    if (!c || !/^[0-9a-f]{16,64}$/.test(sessionId)) return;
    fs.rmSync(path.join(containerDirs(this.store, c.id).run, 'exec', sessionId.slice(0, 16)), { recursive: true, force: true });
  }

  async exec(nameOrId: string, o: ExecOptions, io?: RunIO, hooks: { onAttach?: (s: import('../../engine/attach').AttachSession) => void } = {}): Promise<number> {
    const c = this.lifecycle.get(nameOrId);
    if (c.state.status !== 'running') throw new ConflictError(`can only create exec sessions on running containers: container state improper`);
    const d = containerDirs(this.store, c.id);
    const p = this.execProcess(c, o);
    const streams = io ?? processIO(!!o.tty);
    const execDir = path.join(d.run, 'exec', randomId().slice(0, 16));
    const ttyIn = o.interactive && o.tty && (streams.stdin as NodeJS.ReadStream)?.isTTY ? streams.stdin as NodeJS.ReadStream : undefined;
    // The exec's terminal takes the size of ours, now and on SIGWINCH.
    let session: import('../../engine/attach').AttachSession | undefined;
    const onResize = () => { const z = userTerminalSize(streams.stdin, streams.stdout); if (session && z) { try { session.resize(z.rows, z.columns); } catch { /* ended */ } } };
    if (ttyIn) {
      ttyIn.setRawMode(true);
      // stdout first: its own SIGWINCH listener (which refreshes its size) must run before ours.
      void streams.stdout;
      process.on('SIGWINCH', onResize);
    }
    let detached = false;
    try {
      const r = await execInContainer({
        containerId: c.id, name: c.name, execDir, process: p, terminal: !!o.tty,
        stdin: o.interactive ? streams.stdin ?? null : null, stdout: streams.stdout, stderr: o.tty ? streams.stdout : streams.stderr,
        detachKeys: o.detachKeys, runtime: this.lifecycle.runtime(c), stateRoot: this.lifecycle.stateRoot(c), conmonPath: this.cfg.conmon,
        preserveFds: o.preserveFds,
        onAttach: (a) => { session = a; if (ttyIn) onResize(); hooks.onAttach?.(a); },
      });
      // Detached with the keys: the process runs on (its session dir stays with it); podman
      // reports it as an error, exit 255.
      if (r.detached) { detached = true; throw new PierError('detached from container', 255); }
      return r.exitCode;
    } finally {
      if (ttyIn) { ttyIn.setRawMode(false); process.off('SIGWINCH', onResize); }
      if (o.interactive && streams.stdin && 'pause' in streams.stdin) (streams.stdin as NodeJS.ReadStream).pause();
      if (!detached) fs.rmSync(execDir, { recursive: true, force: true });
    }
  }

  async cleanup(nameOrId: string, opts: { rm?: boolean; rmi?: boolean } = {}): Promise<void> {
    // conmon's exit command names the container by id, a build's (external) one too.
    const c = this.containers.find(nameOrId, { external: true });
    if (!c) return;
    const r = await this.lifecycle.cleanup(c.id);
    if (r.removed) {
      await this.removeAnonymousVolumes(c).catch(() => undefined);
      if (c.config.create.rmi || opts.rmi) await this.images.remove([c.config.create.image], {}).catch(() => undefined);
      return;
    }
    const cur = this.containers.get(c.id);
    if (cur && this.lifecycle.shouldRestart(this.lifecycle.sync(cur))) {
      this.containers.updateState(c.id, (s) => ({ ...s, restartCount: s.restartCount + 1 }));
      try { await this.lifecycle.start(c.id); } catch (e) {
        this.containers.updateState(c.id, (s) => ({ ...s, error: errorMessage(e) }));
      }
    }
  }

  /** Exit code recorded by conmon, if the container has exited. */
  exitCode(id: string): number | null {
    return readExitCode(this.lifecycle.exitDir, id);
  }
}

/** The process part of a never-started container's spec (none if its settings would not make one). */
function createdProcess(c: ContainerRecord): { capabilities?: OciCapabilities; apparmorProfile?: string } {
  try { return createTimeProcess(c); } catch { return {}; }
}

/** inspect's NanoCpus: podman derives it from a quota over the default 100000 µs period only. */
function nanoCpus(o: CreateOptions): number {
  const period = o.cpus ? DEFAULT_CPU_PERIOD : o.cpuPeriod;
  const quota = o.cpus ? cpusToQuota(o.cpus) : o.cpuQuota;
  return period === DEFAULT_CPU_PERIOD && quota !== undefined && quota > 0 ? quota * 10000 : 0;
}

/** inspect's block I/O fields: null lists without any block I/O setting, else the devices by path. */
function blkioInspect(o: CreateOptions): Record<string, unknown> {
  const any = o.blkioWeight !== undefined || [o.blkioWeightDevice, o.deviceReadBps, o.deviceWriteBps, o.deviceReadIops, o.deviceWriteIops].some((l) => l?.length);
  const list = (l: string[] | undefined, key: 'Weight' | 'Rate') => (any ? (l ?? []).map((v) => {
    const i = v.indexOf(':');
    return { Path: v.slice(0, i), [key]: Number(v.slice(i + 1)) };
  }) : null);
  return {
    BlkioWeight: o.blkioWeight ?? 0,
    BlkioWeightDevice: list(o.blkioWeightDevice, 'Weight'),
    BlkioDeviceReadBps: list(o.deviceReadBps, 'Rate'),
    BlkioDeviceWriteBps: list(o.deviceWriteBps, 'Rate'),
    BlkioDeviceReadIOps: list(o.deviceReadIops, 'Rate'),
    BlkioDeviceWriteIOps: list(o.deviceWriteIops, 'Rate'),
  };
}

function dirSize(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else { try { total += fs.lstatSync(p).size; } catch { /* gone */ } }
    }
  };
  walk(dir);
  return total;
}

export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(s.trim());
  if (!m) throw new UsageError(`invalid size: '${s}'`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()]!;
  return Math.floor(parseFloat(m[1]) * mult);
}

/** --since/--until: RFC3339 timestamps, unix seconds, or Go durations relative to now. */
export function parseTimeArg(s: string): Date {
  if (/^\d+(\.\d+)?$/.test(s)) return new Date(parseFloat(s) * 1000);
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(s);
  if (dur) {
    const mult = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 }[dur[2] as 'ns']!;
    return new Date(Date.now() - parseFloat(dur[1]) * mult);
  }
  const t = Date.parse(s);
  if (isNaN(t)) throw new UsageError(`invalid time "${s}"`);
  return new Date(t);
}

/**
 * A failed start in `run` exits as podman's: 127 when the failure names something not found,
 * else 126, whatever failed (the runtime, a network's set-up, a volume); an engine error, 125, is
 * for what fails before the container exists.
 */
function runStartError(e: unknown): unknown {
  if (e instanceof PierError && e.exitCode !== EXIT_ENGINE) return e;
  const msg = errorMessage(e);
  const code = /not found|no such file|executable path is empty/i.test(msg) ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
  return e instanceof OciRuntimeError ? new OciRuntimeError(msg, code) : new PierError(msg, code);
}

/** A healthcheck as podman's Schema2HealthConfig marshals it: every field omitempty. */
function healthcheckJSON(h: NonNullable<ContainerConfig['healthcheck']>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (h.Test?.length) out.Test = h.Test;
  for (const k of ['StartPeriod', 'Interval', 'Timeout', 'Retries'] as const) if (h[k]) out[k] = h[k];
  return out;
}

/** An image's platform as its config declares it. */
function imagePlatform(img: ImageRecord): { os?: string; arch?: string; variant?: string } {
  return { os: img.config.os, arch: img.config.architecture, variant: img.config.variant };
}
