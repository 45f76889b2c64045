// POST /libpod/build (podman 4.3's parameters): the body is the context as a tar; the output is
// JSON lines — {"stream": ...} for each line of the build, {"error": ...} on failure and, at the
// end, {"aux": {"ID": "sha256:..."}} (the builder's own last line is the id).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Router } from '../router';
import type { BuildOptions } from '../../domain/build';
import { errorMessage } from '../../util/errors';
import { registryQuery } from './images';

const bool = (v: string | null) => v === '1' || v === 'true' || v === 'True';

function jsonMap(v: string | null): Record<string, string> | undefined {
  if (!v) return undefined;
  try {
    const o = JSON.parse(v);
    return o && typeof o === 'object' && !Array.isArray(o) ? Object.fromEntries(Object.entries(o).map(([k, x]) => [k, String(x)])) : undefined;
  } catch { return undefined; }
}

/** `dockerfile`: a path in the context, or (podman) a JSON list of them. */
function dockerfileParam(v: string | null): string | undefined {
  if (!v) return undefined;
  if (v.startsWith('[')) { try { const l = JSON.parse(v); return Array.isArray(l) && l.length ? String(l[0]) : undefined; } catch { /* a name */ } }
  return v;
}

export function registerLibpodBuildRoutes(router: Router): void {
  router.post('/libpod/build', async (r) => {
    const { extractBuildContext } = require('../../build/context') as typeof import('../../build/context');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-libpod-build-'));
    const res = r.res!;
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\n'); };
    let started = false;
    try {
      const ctx = await extractBuildContext(r.req, tmp, 'reading the build context');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      started = true;
      const qp = r.query;
      // Files pier's client added to the tar (a Containerfile from outside the context, an
      // ignore file) leave the context, so COPY never sees them.
      const outside = (name: string | undefined) => {
        if (!name || !/^\.pier-(containerfile|ignorefile)/.test(name) || !fs.existsSync(path.join(ctx, name))) return name ? path.join(ctx, name.replace(/^\/+/, '')) : undefined;
        fs.renameSync(path.join(ctx, name), path.join(tmp, name));
        return path.join(tmp, name);
      };
      const dockerfile = dockerfileParam(qp.get('dockerfile'));
      const pullpolicy = qp.get('pullpolicy');
      const fmt = qp.get('outputformat');
      const ignore = qp.get('ignorefile');
      // secrets: {id: file in the tar}; the files leave the context before the build sees it.
      const secrets: Record<string, string> = {};
      const secretDir = path.join(tmp, 'secrets');
      for (const [id, rel] of Object.entries(jsonMap(qp.get('secrets')) ?? {})) {
        const src = path.join(ctx, path.normalize(rel).replace(/^(\.\.(\/|$))+/, ''));
        if (!src.startsWith(ctx + path.sep) || !fs.existsSync(src)) throw new Error(`secret ${id}: ${rel} is not in the build context`);
        fs.mkdirSync(secretDir, { recursive: true, mode: 0o700 });
        secrets[id] = path.join(secretDir, `${Object.keys(secrets).length}`);
        fs.renameSync(src, secrets[id]);
      }
      const o: BuildOptions = {
        contextDir: ctx,
        containerfile: outside(dockerfile),
        tags: qp.getAll('t'), buildArgs: jsonMap(qp.get('buildargs')), labels: jsonMap(qp.get('labels')), annotations: jsonMap(qp.get('annotations')),
        target: qp.get('target') || undefined, noCache: bool(qp.get('nocache')), layers: qp.get('layers') === null ? true : bool(qp.get('layers')),
        pull: (pullpolicy && ['always', 'missing', 'never', 'newer'].includes(pullpolicy) ? pullpolicy : bool(qp.get('pull')) ? 'always' : 'missing') as BuildOptions['pull'],
        squash: bool(qp.get('squash')), squashAll: bool(qp.get('squashall')),
        format: fmt && /docker/.test(fmt) ? 'docker' : 'oci', noHosts: bool(qp.get('nohosts')),
        timestamp: qp.get('timestamp') ? Number(qp.get('timestamp')) : undefined, quiet: bool(qp.get('q')),
        rm: qp.get('rm') === null ? true : bool(qp.get('rm')), forceRm: bool(qp.get('forcerm')), platform: qp.get('platform') || undefined,
        network: qp.get('networkmode') && qp.get('networkmode') !== 'default' ? qp.get('networkmode')! : undefined,
        ignoreFile: outside(ignore ?? undefined), secrets, registry: registryQuery(r),
      };
      const { id } = await r.engines.build().build(o, { write: (s) => send({ stream: s }) });
      send({ aux: { ID: `sha256:${id}` } });
    } catch (e) {
      if (!started) { res.writeHead(200, { 'Content-Type': 'application/json' }); started = true; }
      send({ error: errorMessage(e), errorDetail: { message: errorMessage(e) } });
    } finally {
      res.end();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
