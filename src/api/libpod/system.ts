// The Libpod API's system and health endpoints over the local container operations:
// GET /libpod/system/df, POST /libpod/system/prune (podman's report shapes) and
// GET /libpod/containers/{name}/healthcheck (runs the check: {Status, FailingStreak, Log}).
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { queryBool } from '../query-params';
import { dockerFilters } from '../docker/containers';
import { NotFoundError, errorMessage } from '../../util/errors';


function ops(r: ApiRequest) {
  const { LocalContainerOps } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
  return new LocalContainerOps(r.engines.containers() as any);
}

export function registerLibpodSystemRoutes(router: Router): void {
  router.get('/libpod/system/df', async (r) => r.send(200, await ops(r).df()));
  router.post('/libpod/system/prune', async (r) => {
    r.send(200, await ops(r).prune({ all: queryBool(r, 'all'), volumes: queryBool(r, 'volumes'), filters: dockerFilters(r.query.get('filters')) }));
  });
  router.get('/libpod/containers/{name}/healthcheck', async (r) => {
    try {
      const run = await ops(r).healthcheckRun(r.params.name);
      r.send(200, { Status: run.result, FailingStreak: run.health.failingStreak, Log: run.health.log, pier_healthcheck: run });
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
  });

  // POST /libpod/containers/{name}/update: podman's LinuxResources body (pier's client sends its
  // parsed flags as pier_update_options, which win).
  router.post('/libpod/containers/{name}/update', async (r) => {
    const b = (await r.json()) ?? {};
    let u = b.pier_update_options;
    if (!u) {
      u = {};
      if (b.memory?.limit) u.memory = Number(b.memory.limit);
      if (b.memory?.swap) u.memorySwap = Number(b.memory.swap);
      if (b.memory?.reservation) u.memoryReservation = Number(b.memory.reservation);
      if (b.cpu?.shares) u.cpuShares = Number(b.cpu.shares);
      if (b.cpu?.quota) u.cpuQuota = Number(b.cpu.quota);
      if (b.cpu?.period) u.cpuPeriod = Number(b.cpu.period);
      if (b.cpu?.cpus) u.cpusetCpus = String(b.cpu.cpus);
      if (b.cpu?.mems) u.cpusetMems = String(b.cpu.mems);
      if (b.pids?.limit) u.pidsLimit = Number(b.pids.limit);
      if (b.blockIO?.weight) u.blkioWeight = Number(b.blockIO.weight);
    }
    try {
      const id = await ops(r).update(r.params.name, u);
      r.send(201, { Id: id });
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
  });
}
