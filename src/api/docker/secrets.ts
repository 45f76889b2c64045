// The Docker-compatible /secrets endpoints as podman 4.3 serves them: podman's secret shape plus
// Docker's Version; create takes Docker's body ({Name, Data (base64), Labels, Driver}).
import type { Router } from '../router';
import type { SecretInfo } from '../../domain/secrets';
import { ApiError } from '../errors';
import { PierError } from '../../util/errors';
import { dockerFilters } from './containers';

const compat = (s: SecretInfo) => ({ ...s, Version: { Index: 1 } });

export function registerSecretRoutes(router: Router): void {
  router.get('/secrets', async (r) => r.send(200, (await r.engines.secrets().list(dockerFilters(r.query.get('filters')))).map(compat)));
  router.get('/secrets/{name}', async (r) => r.send(200, compat(await r.engines.secrets().inspect(r.params.name))));
  router.post('/secrets/create', async (r) => {
    const b = await r.json<any>();
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new ApiError(400, 'the body must be a JSON object');
    try {
      const id = await r.engines.secrets().create({
        name: String(b.Name ?? ''), data: Buffer.from(String(b.Data ?? ''), 'base64'), driver: b.Driver?.Name || undefined,
        driverOptions: b.Driver?.Options ?? undefined, labels: b.Labels ?? undefined,
      });
      r.send(200, { ID: id });
    } catch (e) {
      // A taken name is a conflict here (podman's compat handler), a 500 in the Libpod API.
      if (e instanceof PierError && e.message.endsWith('secret name in use')) throw new ApiError(409, e.message);
      throw e;
    }
  });
  // podman 4.3 answers 503 here (no route); pier removes the secret as Docker does.
  router.delete('/secrets/{name}', async (r) => {
    await r.engines.secrets().remove(r.params.name);
    r.send(204);
  });
}
