// The Docker-compatible API: each area registers its routes from its own module.
import type { Router } from '../router';
import { registerSystemRoutes } from './system';
import { registerContainerRoutes } from './containers';
import { registerContainerFileRoutes } from './container-files';
import { registerContainerResourceRoutes } from './container-resources';
import { registerSystemInfoRoutes } from './system-info';
import { registerImageRoutes } from './images';
import { registerNetworkVolumeRoutes } from './networks-volumes';
import { registerBuildRoutes } from './build';
import { registerImageTransferRoutes } from './image-transfer';
import { registerImageCreateRoutes } from './image-create';
import { registerRegistryRoutes } from './registry';
import { registerSecretRoutes } from './secrets';

export function registerDockerRoutes(router: Router): void {
  registerSystemRoutes(router);
  registerContainerRoutes(router);
  registerContainerFileRoutes(router);
  registerContainerResourceRoutes(router);
  registerSystemInfoRoutes(router);
  registerImageTransferRoutes(router);
  registerImageCreateRoutes(router);
  registerRegistryRoutes(router);
  registerImageRoutes(router);
  registerNetworkVolumeRoutes(router);
  registerBuildRoutes(router);
  registerSecretRoutes(router);
}
