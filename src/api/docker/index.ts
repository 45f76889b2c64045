// The Docker-compatible API: each area registers its routes from its own module.
import type { Router } from '../router';
import { registerSystemRoutes } from './system';
import { registerContainerRoutes } from './containers';
import { registerImageRoutes } from './images';
import { registerNetworkVolumeRoutes } from './networks-volumes';

export function registerDockerRoutes(router: Router): void {
  registerSystemRoutes(router);
  registerContainerRoutes(router);
  registerImageRoutes(router);
  registerNetworkVolumeRoutes(router);
}
