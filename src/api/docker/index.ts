// The Docker-compatible API: each area registers its routes from its own module.
import type { Router } from '../router';
import { registerSystemRoutes } from './system';

export function registerDockerRoutes(router: Router): void {
  registerSystemRoutes(router);
}
