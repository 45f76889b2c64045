// POST /libpod/commit (podman 4.3): a container's changes as a new image → {Id}; an image's
// changes (GET /libpod/images/{name}/changes).
import type { Router } from '../router';
import { ApiError } from '../errors';
import { queryBool } from '../query-params';
import { localContainers } from '../docker/common';
import { NotFoundError, errorMessage } from '../../util/errors';


export function registerLibpodCommitRoutes(router: Router): void {
  router.post('/libpod/commit', async (r) => {
    const container = r.query.get('container');
    if (!container) throw new ApiError(400, 'container is required');
    const repo = r.query.get('repo');
    const tag = r.query.get('tag');
    const format = r.query.get('format');
    // As podman's handler: format oci by default; an unknown one, or a comment without docker, is a 500.
    if (format && format !== 'oci' && format !== 'docker') throw new ApiError(500, `unrecognized image format "${format}"`);
    if (format !== 'docker' && r.query.get('comment')) throw new ApiError(500, 'messages are only compatible with the docker image format (-f docker)');
    const { containerFilesEngine } = require('../../domain/local/container-files') as typeof import('../../domain/local/container-files');
    try {
      const id = await containerFilesEngine(localContainers(r)).commit(container, {
        name: repo ? (tag ? `${repo}:${tag}` : repo) : undefined, author: r.query.get('author') || undefined, message: r.query.get('comment') || undefined,
        changes: r.query.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean), pause: r.query.get('pause') === null ? undefined : queryBool(r, 'pause'),
        format: (format || undefined) as 'oci' | 'docker' | undefined, squash: queryBool(r, 'squash'), includeVolumes: queryBool(r, 'includeVolumes'),
      });
      r.send(200, { Id: id });
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
  });

  // GET /libpod/images/{name}/changes: an image's layer against its parent ([{Path, Kind}]).
  router.get('/libpod/images/{name*}/changes', async (r) => {
    const { containerFilesEngine } = require('../../domain/local/container-files') as typeof import('../../domain/local/container-files');
    try {
      const changes = await containerFilesEngine(localContainers(r)).diff(r.params.name, { kind: 'image' });
      const kinds: Record<string, number> = { C: 0, A: 1, D: 2 };
      r.send(200, changes.map((x) => ({ Path: x.path, Kind: kinds[x.kind] })));
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
  });
}
