// Container file operations for the CLI and API: cp, export, diff, mount/umount, commit,
// on top of the in-process container engine.
import { Readable } from 'node:stream';
import type { LocalContainerEngine } from './containers';
import {
  copyContainerFiles, exportContainer, containerChanges, imageChanges, mountContainer, unmountContainer,
  mountedContainers, userMountCount, FsChange, MountedContainer,
} from '../../engine/container-files';
import type { CommitOptions } from '../../engine/commit';
import { NotFoundError, PierError } from '../../util/errors';

export type { FsChange, MountedContainer, CommitOptions };

export interface CopyRequest {
  /** chown files copied into a container to its user (default true). */
  archive?: boolean;
  /** Allow replacing directories with non-directories and vice versa. */
  overwrite?: boolean;
  /** The tar stream for a `-` source (default: process.stdin). */
  stdin?: Readable;
  /** Where a `-` destination's tar stream goes (default: process.stdout). */
  stdout?: NodeJS.WritableStream;
}

export interface ContainerFilesEngine {
  /** `cp SRC DEST`, each `CONTAINER:PATH`, a host path or `-`. */
  copy(src: string, dest: string, opts?: CopyRequest): Promise<void>;
  /** The container's file system as a tar stream. */
  export(nameOrId: string, out: NodeJS.WritableStream, opts?: { end?: boolean }): Promise<void>;
  /** Changes of a container (to its image) or an image (to its parent layer). */
  diff(nameOrId: string, opts?: { kind?: 'container' | 'image' }): Promise<FsChange[]>;
  /** Mount a container's rootfs for the user; returns the mount point. */
  mount(nameOrId: string): Promise<string>;
  /** Containers whose rootfs is mounted. */
  mounted(): Promise<MountedContainer[]>;
  /** Drop one user mount (all with force); returns the container id. */
  unmount(nameOrId: string, opts?: { force?: boolean }): Promise<string>;
  /** Unmount every container mounted by users; returns their ids. */
  unmountAll(opts?: { force?: boolean }): Promise<string[]>;
  /** Commit a container as an image; returns the image id. */
  commit(nameOrId: string, opts?: CommitOptions): Promise<string>;
  /** The most recently created container's id (for --latest). */
  latest(): Promise<string>;
}

export class LocalContainerFilesEngine implements ContainerFilesEngine {
  constructor(readonly engine: LocalContainerEngine) {}

  private get lc() { return this.engine.lifecycle; }
  private get store() { return this.engine.store; }

  async copy(src: string, dest: string, opts: CopyRequest = {}): Promise<void> {
    await copyContainerFiles(this.lc, src, dest, opts);
  }

  async export(nameOrId: string, out: NodeJS.WritableStream, opts: { end?: boolean } = {}): Promise<void> {
    await exportContainer(this.lc, nameOrId, out, opts);
  }

  async diff(nameOrId: string, opts: { kind?: 'container' | 'image' } = {}): Promise<FsChange[]> {
    if (opts.kind !== 'image') {
      const c = this.engine.containers.find(nameOrId);
      if (c) return containerChanges(this.store, this.lc.sync(c));
      if (opts.kind === 'container') throw new NotFoundError(`${nameOrId} not found: container not known`);
    }
    let img;
    try {
      img = this.engine.images.lookup(nameOrId);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      throw new NotFoundError(opts.kind === 'image' ? `${nameOrId} not found: ${nameOrId}: image not known` : `${nameOrId} not found: layer not known`);
    }
    return imageChanges(this.store, img);
  }

  async mount(nameOrId: string): Promise<string> {
    return (await mountContainer(this.lc, nameOrId)).mountpoint;
  }

  async mounted(): Promise<MountedContainer[]> {
    return mountedContainers(this.lc);
  }

  async unmount(nameOrId: string, opts: { force?: boolean } = {}): Promise<string> {
    return (await unmountContainer(this.lc, nameOrId, opts)).id;
  }

  async unmountAll(opts: { force?: boolean } = {}): Promise<string[]> {
    const ids: string[] = [];
    for (const m of mountedContainers(this.lc)) {
      const c = this.engine.containers.get(m.id);
      if (!c) continue;
      const running = ['running', 'paused', 'stopping'].includes(this.lc.sync(c).state.status);
      if (running && userMountCount(this.store, m.id) === 0) continue;
      ids.push((await unmountContainer(this.lc, m.id, { force: opts.force || !running })).id);
    }
    return ids;
  }

  async commit(nameOrId: string, opts: CommitOptions = {}): Promise<string> {
    // Loaded for commit only: it brings archive loading, crypto, zlib and streams (mount, cp, diff need none).
    const { commitContainer } = require('../../engine/commit') as typeof import('../../engine/commit');
    return (await commitContainer(this.store, this.lc, { ...opts, container: nameOrId })).id;
  }

  async latest(): Promise<string> {
    const c = this.engine.containers.list()[0];
    if (!c) throw new PierError('no containers to act on: no such container');
    return c.id;
  }
}

/** The file-operations engine for a container engine (local only for now). */
export function containerFilesEngine(engine: unknown): ContainerFilesEngine {
  return new LocalContainerFilesEngine(engine as LocalContainerEngine);
}
