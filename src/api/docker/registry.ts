// Docker Engine API: what talks to registries without moving images — GET /images/search
// (Docker's result shape; pier searches a registry's catalog, as podman does) and POST /auth
// (checks credentials against a registry; nothing is stored: Docker clients keep their own).
import type { Router } from '../router';
import { ApiError } from '../errors';
import { UsageError, errorMessage } from '../../util/errors';
import { dockerFilters } from './containers';
import { registryCreds, registryHost, tlsFor, type AuthConfig } from './registry-auth';

export function registerRegistryRoutes(router: Router): void {
  router.get('/images/search', async (r) => {
    const term = r.query.get('term');
    if (!term) throw new ApiError(400, 'term is required');
    const limitQ = r.query.get('limit');
    const limit = limitQ ? Number(limitQ) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100)) throw new ApiError(400, `limit ${limitQ} is outside the range of [1, 100]`);
    let rows;
    try {
      rows = await r.engines.images().search(term, { limit, filters: dockerFilters(r.query.get('filters')), creds: registryCreds(r), tlsVerify: tlsFor(term) });
    } catch (e) {
      if (e instanceof UsageError) throw new ApiError(400, errorMessage(e));
      throw e;
    }
    r.send(200, rows.map((x) => ({
      star_count: x.Stars, is_official: x.Official === '[OK]', name: x.Name, is_automated: x.Automated === '[OK]', description: x.Description,
    })));
  });

  router.post('/auth', async (r) => {
    const a = ((await r.json()) ?? {}) as AuthConfig;
    if (typeof a !== 'object' || Array.isArray(a)) throw new ApiError(400, 'the body must be a JSON object');
    for (const k of ['username', 'password', 'serveraddress'] as const) {
      if (a[k] !== undefined && typeof a[k] !== 'string') throw new ApiError(400, `${k} must be a string`);
    }
    if (!a.username) throw new ApiError(400, 'username is required');
    const host = registryHost(a.serveraddress);
    try {
      await r.engines.images().login(host, { username: a.username, password: a.password ?? '', tlsVerify: tlsFor(host), verifyOnly: true });
    } catch (e) {
      const m = errorMessage(e);
      if (/invalid username\/password|unauthorized|denied|401/i.test(m)) throw new ApiError(401, `login attempt to ${host} failed: ${m}`);
      if (e instanceof UsageError) throw new ApiError(400, m);
      throw new ApiError(500, m);
    }
    r.send(200, { Status: 'Login Succeeded', IdentityToken: '' });
  });
}
