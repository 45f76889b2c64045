// Docker Engine API: POST /build (the classic builder, as `DOCKER_BUILDKIT=0 docker build`,
// docker-py and docker-compose use it). The body is the context as a tar (optionally gzip'd);
// the build runs through the domain's BuildEngine and its output is streamed as Docker's JSON
// lines ({"stream": ...}, {"aux": {"ID": ...}}, {"error": ..., "errorDetail": ...}).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Router } from '../router';
import { errorMessage } from '../../util/errors';
import { buildAuthFile, buildTlsVerify } from './registry-auth';
import { dockerTagName } from './common';

function jsonParam(v: string | null): Record<string, string> {
  if (!v) return {};
  try {
    const o = JSON.parse(v);
    return o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).filter(([, x]) => x !== null).map(([k, x]) => [k, String(x)])) : {};
  } catch { return {}; }
}

/** A number parameter, undefined when absent or 0 (docker's client sends 0 for unset). */
function numParam(v: string | null): number | undefined {
  const n = v ? Number(v) : NaN;
  return Number.isFinite(n) && n !== 0 ? n : undefined;
}

/** `extrahosts`: a JSON list, or docker's comma- (or space-) separated host:ip pairs. */
function hostsParam(v: string | null): string[] | undefined {
  if (!v) return undefined;
  try { const l = JSON.parse(v); if (Array.isArray(l)) return l.map(String); } catch { /* plain list */ }
  const l = v.split(/[,\s]+/).filter(Boolean);
  return l.length ? l : undefined;
}

/** `ulimits`: Docker's JSON list of {Name, Soft, Hard}, as NAME=SOFT:HARD. */
function ulimitsParam(v: string | null): string[] | undefined {
  if (!v) return undefined;
  try {
    const l = JSON.parse(v) as { Name: string; Soft: number; Hard: number }[] | null;
    return Array.isArray(l) && l.length ? l.map((u) => `${u.Name}=${u.Soft}:${u.Hard}`) : undefined;
  } catch { return undefined; }
}

/** The RUN steps' settings among Docker's build parameters (only those given). */
function runParams(q: URLSearchParams): import('../../domain/build').RunStepOptions | undefined {
  const run: import('../../domain/build').RunStepOptions = {
    addHost: hostsParam(q.get('extrahosts')),
    memory: numParam(q.get('memory')),
    memorySwap: numParam(q.get('memswap')),
    cpuShares: numParam(q.get('cpushares')),
    cpuPeriod: numParam(q.get('cpuperiod')),
    cpuQuota: numParam(q.get('cpuquota')),
    cpusetCpus: q.get('cpusetcpus') || undefined,
    cpusetMems: q.get('cpusetmems') || undefined,
    cgroupParent: q.get('cgroupparent') || undefined,
    shmSize: numParam(q.get('shmsize')),
    ulimits: ulimitsParam(q.get('ulimits')),
  };
  const given = Object.fromEntries(Object.entries(run).filter(([, v]) => v !== undefined));
  return Object.keys(given).length ? given : undefined;
}

export function registerBuildRoutes(router: Router): void {
  // docker builder prune, docker system prune: pier's classic builder keeps no cache apart from
  // its intermediate images, which image prune removes; nothing else is there to delete.
  router.post('/build/prune', async (r) => { r.send(200, { CachesDeleted: [], SpaceReclaimed: 0 }); });

  router.post('/build', async (r) => {
    const { extractBuildContext } = require('../../build/context') as typeof import('../../build/context');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-api-build-'));
    const res = r.res!;
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\r\n'); };
    let started = false;
    try {
      const ctx = await extractBuildContext(r.req, tmp, 'reading the build context');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      started = true;
      const q = r.query;
      const dockerfile = q.get('dockerfile') || undefined;
      let dockerfileText = '';
      try { dockerfileText = fs.readFileSync(path.join(ctx, (dockerfile ?? 'Dockerfile').replace(/^\/+/, '')), 'utf8'); } catch { /* the build reports it */ }
      // Credentials for base images (X-Registry-Config) and Docker's plain HTTP for loopback registries.
      // Docker's names: a short tag is docker.io/library/NAME (podman's compat build too), not localhost/NAME.
      const tags = q.getAll('t').map(dockerTagName);
      const quiet = q.get('q') === '1' || q.get('q') === 'true';
      const registry = { authfile: buildAuthFile(r, tmp), tlsVerify: buildTlsVerify(dockerfileText) };
      const { id } = await r.engines.build().build({
        contextDir: ctx,
        containerfile: dockerfile ? path.join(ctx, dockerfile.replace(/^\/+/, '')) : undefined,
        tags,
        buildArgs: jsonParam(q.get('buildargs')),
        labels: jsonParam(q.get('labels')),
        target: q.get('target') || undefined,
        noCache: q.get('nocache') === '1' || q.get('nocache') === 'true',
        pull: q.get('pull') === '1' || q.get('pull') === 'true' ? 'always' : 'missing',
        quiet,
        rm: q.get('rm') !== '0' && q.get('rm') !== 'false',
        forceRm: q.get('forcerm') === '1' || q.get('forcerm') === 'true',
        platform: q.get('platform') || undefined,
        network: q.get('networkmode') && q.get('networkmode') !== 'default' ? q.get('networkmode')! : undefined,
        squash: q.get('squash') === '1' || q.get('squash') === 'true' || undefined,
        run: runParams(q),
        registry,
      }, { write: (s) => send({ stream: s }) });
      send({ aux: { ID: `sha256:${id}` } });
      // docker build -q prints the image's id alone.
      if (!quiet) {
        send({ stream: `Successfully built ${id.slice(0, 12)}\n` });
        for (const t of q.getAll('t')) send({ stream: `Successfully tagged ${t.lastIndexOf(':') > t.lastIndexOf('/') ? t : `${t}:latest`}\n` });
      }
    } catch (e) {
      if (!started) { res.writeHead(200, { 'Content-Type': 'application/json' }); started = true; }
      send({ errorDetail: { message: errorMessage(e) }, error: errorMessage(e) });
    } finally {
      res.end();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
