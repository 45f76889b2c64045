// The remote container file operations: cp through the archive endpoints (HEAD to stat, GET a
// tar, PUT a tar into a directory) with docker's copy rules applied here, export, changes and
// commit. Mounting a container's file system cannot reach this machine: it refuses, as
// podman-remote does.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ContainerFilesEngine, CopyRequest, FsChange, MountedContainer, CommitOptions } from '../local/container-files';
import { ApiClient, errorFrom, readText } from './client';
import { q, enc, notRemote } from './query';
import { NotFoundError, PierError } from '../../util/errors';

interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }
const DIR_BIT = 2 ** 31;

export class RemoteContainerFiles implements ContainerFilesEngine {
  constructor(private c: ApiClient) {}

  /** The stat of a container path, undefined when it does not exist. */
  private async stat(container: string, p: string): Promise<PathStat | undefined> {
    const res = await this.c.raw('HEAD', `/libpod/containers/${enc(container)}/archive${q({ path: p })}`);
    res.resume();
    if (res.statusCode === 404) {
      // A missing container is an error; a missing path is an answer.
      await this.containerExists(container);
      return undefined;
    }
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, '');
    const h = res.headers['x-docker-container-path-stat'];
    return JSON.parse(Buffer.from(String(h), 'base64').toString('utf8'));
  }

  /** stat, following symlinks inside the container (as docker's client does); the final path too. */
  private async statFollow(container: string, p: string): Promise<{ st?: PathStat; path: string }> {
    for (let i = 0; i < 16; i++) {
      const st = await this.stat(container, p);
      if (!st?.linkTarget) return { st, path: p };
      p = st.linkTarget.startsWith('/') ? st.linkTarget : path.posix.join(path.posix.dirname(p), st.linkTarget);
    }
    throw new PierError(`${p}: too many levels of symbolic links`);
  }

  private async containerExists(container: string): Promise<void> {
    if ((await this.c.status('GET', `/libpod/containers/${enc(container)}/exists`)) !== 204) {
      throw new NotFoundError(`no container with name or ID "${container}" found: no such container`);
    }
  }

  private async getArchive(container: string, p: string): Promise<Readable> {
    const res = await this.c.raw('GET', `/libpod/containers/${enc(container)}/archive${q({ path: p })}`);
    if ((res.statusCode ?? 500) >= 300) {
      const text = await readText(res);
      await this.containerExists(container);
      if (res.statusCode === 404) throw new NotFoundError(`"${p}" could not be found on container ${container}: no such file or directory`);
      throw errorFrom(res.statusCode ?? 500, text);
    }
    return res;
  }

  private async putArchive(container: string, dir: string, tar: NodeJS.ReadableStream, opts: CopyRequest): Promise<void> {
    const res = await this.c.upload('PUT', `/libpod/containers/${enc(container)}/archive${q({ path: dir, noOverwriteDirNonDir: !opts.overwrite, copyUIDGID: opts.archive === false })}`, tar);
    const text = await readText(res);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
  }

  async copy(src: string, dest: string, opts: CopyRequest = {}): Promise<void> {
    const ce = require('../../engine/container-files') as typeof import('../../engine/container-files');
    const s = ce.parseCopyArg(src);
    const d = ce.parseCopyArg(dest);
    ce.checkCopyArgs(src, dest);
    for (const a of [s, d]) {
      if (a.kind !== 'container') continue;
      if ((await this.c.status('GET', `/libpod/containers/${enc(a.container)}/exists`)) !== 204) {
        throw new NotFoundError(`container ${JSON.stringify(a.container)} does not exist`);
      }
    }
    if (s.kind === 'container') {
      const tar = await this.getArchive(s.container, s.path);
      if (d.kind === 'stream') { await pipeline(tar, opts.stdout ?? process.stdout); return; }
      // Unpacked into a private directory first, then copied with the local copy rules
      // (to the host) or sent on as a copy from that directory (to another container).
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-cp-'));
      try {
        const host = ce.hostView();
        // Staged for another container: device nodes kept (they are skipped on the way to the host).
        await ce.copyFromStream(tar, { view: host, path: tmp, given: tmp }, { keepDevices: d.kind === 'container' });
        const entries = fs.readdirSync(tmp);
        const contentsOnly = path.posix.basename(s.path) === '.' || s.path.replace(/\/+$/, '') === '';
        // An empty archive for a named source: a directory podman copies nothing from (/proc...).
        if (!entries.length && !contentsOnly) return;
        const from = contentsOnly || entries.length !== 1 ? `${tmp}/.` : path.join(tmp, entries[0]);
        if (d.kind === 'container') {
          await this.copyInto(from, src, d, opts);
          return;
        }
        await ce.copyPath({ view: host, path: from, given: src }, { view: host, path: path.resolve(d.path), given: d.path }, { overwrite: opts.overwrite, what: 'copying to host' });
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      return;
    }
    // Into a container: where the archive goes and what its top entry is called (docker's rules).
    const dc = (d as { container: string; path: string });
    if (s.kind === 'stream') {
      const { st, path: real } = await this.statFollow(dc.container, dc.path);
      if (!st && dc.path.endsWith('/')) throw new NotFoundError(`"${dc.path}" could not be found on container ${dc.container}: no such file or directory`);
      if (!st || !(st.mode & DIR_BIT)) throw new PierError('destination must be a directory when copying from stdin');
      // As podman: stdin is read in full first, so that what is not a tar archive is refused here.
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-cp-'));
      try {
        const file = path.join(tmp, 'stdin');
        await pipeline(opts.stdin ?? process.stdin, fs.createWriteStream(file, { mode: 0o600 }));
        if (!(await ce.isTarArchive(fs.createReadStream(file)))) throw new PierError(ce.NOT_AN_ARCHIVE);
        await this.putArchive(dc.container, real, fs.createReadStream(file), opts);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
      return;
    }
    await this.copyInto(s.path, s.path, dc, opts);
  }

  /** Copy the host path `from` (named `given` in messages) to a container path, with docker's rules. */
  private async copyInto(from: string, given: string, dc: { container: string; path: string }, opts: CopyRequest): Promise<void> {
    const ce = require('../../engine/container-files') as typeof import('../../engine/container-files');
    const host = ce.hostView();
    const source = ce.statSource({ view: host, path: path.resolve(from) + (from.endsWith('/.') ? '/.' : ''), given });
    const { st, path: real } = await this.statFollow(dc.container, dc.path);
    let dir: string;
    let topName = source.topName;
    if (st && st.mode & DIR_BIT) {
      dir = real;
    } else if (st) {
      if (source.isDir) throw new PierError('destination must be a directory when copying a directory');
      dir = path.posix.dirname(real);
      topName = path.posix.basename(real);
    } else {
      // A symlink into nirvana: what it points to is created (podman's rule).
      const parent = dc.path.endsWith('/') ? undefined : await this.statFollow(dc.container, path.posix.dirname(real.replace(/\/+$/, '') || '/'));
      if (!parent?.st || !(parent.st.mode & DIR_BIT)) throw new NotFoundError(`"${dc.path}" could not be found on container ${dc.container}: no such file or directory`);
      dir = parent.path;
      topName = path.posix.basename(real);
    }
    const tar = ce.viewTar(host, source.resolved, { topName });
    await this.putArchive(dc.container, dir, tar, opts);
  }

  async export(nameOrId: string, out: NodeJS.WritableStream, opts: { end?: boolean } = {}): Promise<void> {
    const res = await this.c.raw('GET', `/libpod/containers/${enc(nameOrId)}/export`);
    if ((res.statusCode ?? 500) >= 300) {
      const text = await readText(res);
      if (res.statusCode === 404) throw new NotFoundError(`no container with name or ID "${nameOrId}" found: no such container`);
      throw errorFrom(res.statusCode ?? 500, text);
    }
    await pipeline(res, out, { end: opts.end !== false });
  }

  async diff(nameOrId: string, opts: { kind?: 'container' | 'image' } = {}): Promise<FsChange[]> {
    if (opts.kind !== 'image' && (await this.c.status('GET', `/libpod/containers/${enc(nameOrId)}/exists`)) === 204) {
      const rows = await this.c.json<{ Path: string; Kind: number }[] | null>('GET', `/libpod/containers/${enc(nameOrId)}/changes`);
      return (rows ?? []).map((r) => ({ path: r.Path, kind: (['C', 'A', 'D'][r.Kind] ?? 'C') as FsChange['kind'] }));
    }
    if (opts.kind === 'container') throw new NotFoundError(`${nameOrId} not found: container not known`);
    const res = await this.c.raw('GET', `/libpod/images/${nameOrId}/changes`);
    const text = await readText(res);
    if (res.statusCode === 404) {
      throw new NotFoundError(opts.kind === 'image' ? `${nameOrId} not found: ${nameOrId}: image not known` : `${nameOrId} not found: layer not known`);
    }
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
    return ((JSON.parse(text) ?? []) as { Path: string; Kind: number }[]).map((r) => ({ path: r.Path, kind: (['C', 'A', 'D'][r.Kind] ?? 'C') as FsChange['kind'] }));
  }

  async mount(): Promise<string> { return notRemote('mount'); }
  async mounted(): Promise<MountedContainer[]> { return notRemote('mount'); }
  async unmount(): Promise<string> { return notRemote('unmount'); }
  async unmountAll(): Promise<string[]> { return notRemote('unmount'); }

  async commit(nameOrId: string, o: CommitOptions = {}): Promise<string> {
    let repo: string | undefined;
    let tag: string | undefined;
    if (o.name) {
      const i = o.name.lastIndexOf(':');
      if (i > o.name.lastIndexOf('/')) { repo = o.name.slice(0, i); tag = o.name.slice(i + 1); } else repo = o.name;
    }
    const r = await this.c.json('POST', `/libpod/commit${q({
      container: nameOrId, repo, tag, author: o.author, comment: o.message, changes: o.changes, pause: o.pause, format: o.format, squash: o.squash, includeVolumes: o.includeVolumes,
    })}`);
    return String(r.Id).replace(/^sha256:/, '');
  }

  async latest(): Promise<string> {
    const rows = await this.c.json<{ Id: string }[]>('GET', `/libpod/containers/json${q({ all: true, last: 1 })}`);
    if (!rows.length) throw new PierError('no containers to act on: no such container');
    return rows[0].Id;
  }
}
