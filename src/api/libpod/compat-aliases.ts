// Libpod endpoints whose paths, parameters and shapes are the Docker API's own in podman 4.3
// (container archive HEAD/GET/PUT, export, changes, top): the Docker handlers, registered again
// under /libpod.
import type { Router, Handler } from '../router';
import { registerContainerFileRoutes } from '../docker/container-files';
import { registerContainerRoutes } from '../docker/containers';

const SHARED = new Set([
  'HEAD /containers/{id}/archive', 'GET /containers/{id}/archive', 'PUT /containers/{id}/archive',
  'GET /containers/{id}/export', 'GET /containers/{id}/changes', 'GET /containers/{id}/top',
]);

/** A Router look-alike that keeps only the shared routes, prefixed with /libpod. */
function libpodOnly(router: Router): Router {
  const add = (method: string) => (p: string, h: Handler) => {
    if (SHARED.has(`${method} ${p}`)) router.add(method, `/libpod${p}`, h);
    return proxy;
  };
  const proxy = { get: add('GET'), post: add('POST'), put: add('PUT'), delete: add('DELETE'), head: add('HEAD'), add: (m: string, p: string, h: Handler) => add(m.toUpperCase())(p, h) } as unknown as Router;
  return proxy;
}

export function registerLibpodCompatAliases(router: Router): void {
  const r = libpodOnly(router);
  registerContainerFileRoutes(r);
  registerContainerRoutes(r);
}
