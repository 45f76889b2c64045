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

function jsonParam(v: string | null): Record<string, string> {
  if (!v) return {};
  try {
    const o = JSON.parse(v);
    return o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).filter(([, x]) => x !== null).map(([k, x]) => [k, String(x)])) : {};
  } catch { return {}; }
}

export function registerBuildRoutes(router: Router): void {
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
      const registry = { authfile: buildAuthFile(r, tmp), tlsVerify: buildTlsVerify(dockerfileText) };
      const { id } = await r.engines.build().build({
        contextDir: ctx,
        containerfile: dockerfile ? path.join(ctx, dockerfile.replace(/^\/+/, '')) : undefined,
        tags: q.getAll('t'),
        buildArgs: jsonParam(q.get('buildargs')),
        labels: jsonParam(q.get('labels')),
        target: q.get('target') || undefined,
        noCache: q.get('nocache') === '1' || q.get('nocache') === 'true',
        pull: q.get('pull') === '1' || q.get('pull') === 'true' ? 'always' : 'missing',
        quiet: q.get('q') === '1' || q.get('q') === 'true',
        rm: q.get('rm') !== '0' && q.get('rm') !== 'false',
        forceRm: q.get('forcerm') === '1' || q.get('forcerm') === 'true',
        platform: q.get('platform') || undefined,
        network: q.get('networkmode') && q.get('networkmode') !== 'default' ? q.get('networkmode')! : undefined,
        registry,
      }, { write: (s) => send({ stream: s }) });
      send({ aux: { ID: `sha256:${id}` } });
      send({ stream: `Successfully built ${id.slice(0, 12)}\n` });
      for (const t of q.getAll('t')) send({ stream: `Successfully tagged ${t.lastIndexOf(':') > t.lastIndexOf('/') ? t : `${t}:latest`}\n` });
    } catch (e) {
      if (!started) { res.writeHead(200, { 'Content-Type': 'application/json' }); started = true; }
      send({ errorDetail: { message: errorMessage(e) }, error: errorMessage(e) });
    } finally {
      res.end();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
