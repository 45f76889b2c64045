// The Libpod API's secrets (podman 4.3): create (the body is the data), list, inspect, remove.
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { dockerFilters } from '../docker/containers';

/** A JSON map query parameter (`labels`, `driveropts`). */
function jsonMap(r: ApiRequest, key: string): Record<string, string> | undefined {
  const v = r.query.get(key);
  if (!v) return undefined;
  try {
    const m = JSON.parse(v);
    if (m && typeof m === 'object' && !Array.isArray(m)) return Object.fromEntries(Object.entries(m).map(([k, x]) => [k, String(x)]));
  } catch { /* below */ }
  throw new ApiError(400, `failed to parse parameter ${key}: ${v}`);
}

export function registerLibpodSecretRoutes(router: Router): void {
  router.post('/libpod/secrets/create', async (r) => {
    const id = await r.engines.secrets().create({
      name: r.query.get('name') ?? '', data: await r.body(), driver: r.query.get('driver') || undefined,
      driverOptions: jsonMap(r, 'driveropts'), labels: jsonMap(r, 'labels'),
    });
    r.send(200, { ID: id });
  });
  router.get('/libpod/secrets/json', async (r) => r.send(200, await r.engines.secrets().list(dockerFilters(r.query.get('filters')))));
  router.get('/libpod/secrets/{name}/json', async (r) => r.send(200, await r.engines.secrets().inspect(r.params.name)));
  router.delete('/libpod/secrets/{name}', async (r) => {
    const engine = r.engines.secrets();
    await engine.inspect(r.params.name);
    if (r.query.get('all') === 'true' || r.query.get('all') === '1') {
      for (const s of await engine.list()) await engine.remove(s.ID);
    } else {
      await engine.remove(r.params.name);
    }
    r.send(204);
  });
}
