// Docker API: a container's files — archive HEAD (stat in X-Docker-Container-Path-Stat), GET (a tar
// of a path, what `docker cp CONTAINER:PATH` reads), PUT (a tar extracted into a directory, what
// `docker cp SRC CONTAINER:DIR` sends), export (the whole file system), changes, and commit.
import { PassThrough } from 'node:stream';
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { containerOf, localContainers, qbool } from './common';
import { queryBool } from '../query-params';
import { NotFoundError, errorMessage } from '../../util/errors';
import { copyContainerFiles, statContainerPath } from '../../engine/container-files';

async function statHeader(r: ApiRequest): Promise<string> {
  const c = containerOf(r);
  const p = r.query.get('path');
  if (!p) throw new ApiError(400, 'path cannot be empty');
  const st = await statContainerPath(localContainers(r).lifecycle, c.id, p);
  return Buffer.from(JSON.stringify(st)).toString('base64');
}

export function registerContainerFileRoutes(router: Router): void {
  router.head('/containers/{id}/archive', async (r) => {
    const stat = await statHeader(r);
    r.res!.writeHead(200, { 'X-Docker-Container-Path-Stat': stat, 'Content-Type': 'application/json' });
    r.res!.end();
  });

  router.get('/containers/{id}/archive', async (r) => {
    const stat = await statHeader(r);
    const c = containerOf(r);
    const res = r.res!;
    // Headers go out with the first bytes of the tar, so an error before them is still a JSON error.
    const out = new PassThrough();
    let started = false;
    const begin = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'Content-Type': 'application/x-tar', 'X-Docker-Container-Path-Stat': stat });
    };
    out.on('data', (d: Buffer) => {
      begin();
      if (!res.write(d)) { out.pause(); res.once('drain', () => out.resume()); }
    });
    const ended = new Promise<void>((resolve) => out.on('end', resolve));
    res.once('close', () => out.destroy());
    await copyContainerFiles(localContainers(r).lifecycle, `${c.id}:${r.query.get('path')}`, '-', { stdout: out });
    out.end();
    await ended;
    begin();
    res.end();
  });

  router.put('/containers/{id}/archive', async (r) => {
    const c = containerOf(r);
    const p = r.query.get('path');
    if (!p) throw new ApiError(400, 'path cannot be empty');
    const lc = localContainers(r).lifecycle;
    const st = await statContainerPath(lc, c.id, p);
    if (!(st.mode & 2 ** 31)) throw new ApiError(400, `extraction point is not a directory: ${p}`);
    await copyContainerFiles(lc, '-', `${c.id}:${p}`, {
      stdin: r.req, overwrite: !qbool(r, 'noOverwriteDirNonDir'), archive: !qbool(r, 'copyUIDGID'),
    });
    r.send(200);
  });

  router.get('/containers/{id}/export', async (r) => {
    const c = containerOf(r);
    const res = r.res!;
    const { containerFilesEngine } = require('../../domain/local/container-files') as typeof import('../../domain/local/container-files');
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await containerFilesEngine(localContainers(r)).export(c.id, res);
  });

  router.get('/containers/{id}/changes', async (r) => {
    const c = containerOf(r);
    const { containerFilesEngine } = require('../../domain/local/container-files') as typeof import('../../domain/local/container-files');
    const changes = await containerFilesEngine(localContainers(r)).diff(c.id, { kind: 'container' });
    const kinds: Record<string, number> = { C: 0, A: 1, D: 2 };
    r.send(200, changes.length ? changes.map((x) => ({ Path: x.path, Kind: kinds[x.kind] })) : null);
  });

  // POST /commit (`docker commit`), as podman 4.3's compat handler: the body (Docker's config)
  // is decoded but not used, REPO:TAG (tag default latest) names the image, pause only when asked.
  // An empty body (what docker 28's CLI sends) is no config, where podman 4.3 answers "Decode(): EOF".
  router.post('/commit', async (r) => {
    const body = (await r.body()).toString();
    if (body.trim()) {
      try { JSON.parse(body); } catch (e) { throw new ApiError(500, `Decode(): ${errorMessage(e)}`); }
    }
    const repo = r.query.get('repo') ?? '';
    const tag = r.query.get('tag') || 'latest';
    const { containerFilesEngine } = require('../../domain/local/container-files') as typeof import('../../domain/local/container-files');
    let id: string;
    try {
      id = await containerFilesEngine(localContainers(r)).commit(r.query.get('container') ?? '', {
        name: repo.length > 1 ? `${repo}:${tag}` : undefined, author: r.query.get('author') || undefined, message: r.query.get('comment') || undefined,
        changes: r.query.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean), pause: queryBool(r, 'pause'), squash: queryBool(r, 'squash'),
        format: 'docker',
      });
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw new ApiError(500, `CommitFailure: ${errorMessage(e)}`);
    }
    // Docker answers the image id with its algorithm (podman 4.3's compat handler answers it bare).
    r.send(201, { Id: `sha256:${id}` });
  });
}
