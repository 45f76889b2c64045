// The Libpod API's generate endpoints (podman 4.3): GET /libpod/generate/{name}/systemd answers
// the units of a container or pod as a JSON map of service name → unit text.
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { schemaBool, schemaUint } from '../query-params';
import { errorMessage } from '../../util/errors';
import { containersSettings } from '../../config/config';

/**
 * The query with lower-case keys: podman's schema decoder matches parameter names without regard
 * to case, and podman's bindings send them in lower case (`usename`, `noheader`).
 */
type Query = { get(k: string): string | null; getAll(k: string): string[] };
function foldedQuery(r: ApiRequest): Query {
  const m = new Map<string, string[]>();
  for (const [k, v] of r.query) m.set(k.toLowerCase(), [...(m.get(k.toLowerCase()) ?? []), v]);
  return { get: (k) => m.get(k.toLowerCase())?.[0] ?? null, getAll: (k) => m.get(k.toLowerCase()) ?? [] };
}

export function registerLibpodGenerateRoutes(router: Router): void {
  router.get('/libpod/generate/{name}/systemd', async (r) => {
    // podman's defaults: the stop timeout is containers.conf's (not the container's) unless given.
    const q = foldedQuery(r);
    const bool = (k: string) => schemaBool(r, k, q.get(k));
    const uint = (k: string) => schemaUint(r, k, q.get(k));
    const opts = {
      useName: bool('useName'), new: bool('new'), noHeader: bool('noHeader'), template: bool('templateUnitFile'),
      restartPolicy: q.get('restartPolicy') ?? undefined, restartSec: uint('restartSec') ?? 0,
      startTimeout: uint('startTimeout') ?? 0, stopTimeout: uint('stopTimeout') ?? containersSettings(r.cfg).stopTimeout ?? 10,
      containerPrefix: q.get('containerPrefix') ?? 'container', podPrefix: q.get('podPrefix') ?? 'pod', separator: q.get('separator') ?? '-',
      wants: q.getAll('wants'), after: q.getAll('after'), requires: q.getAll('requires'), env: q.getAll('additionalEnvVariables'),
    };
    let units: Record<string, string>;
    try {
      units = await r.engines.generate().systemd(r.params.name, opts);
    } catch (e) {
      throw new ApiError(500, `generating systemd units: ${errorMessage(e)}`);
    }
    // Go's maps marshal in key order.
    r.send(200, Object.fromEntries(Object.entries(units).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
  });
}
