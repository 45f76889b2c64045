// The Libpod API (/vX.Y.Z/libpod/...): each area registers its routes from its own module.
import { type Router, LIBPOD_API_VERSION } from '../router';
import { dockerVersion } from '../docker/system';
import { registerLibpodApiRoutes } from './routes';
import { registerLibpodImageRoutes } from './images';
import { registerLibpodExecRoutes } from './exec';
import { registerLibpodNetworkRoutes } from './networks';
import { registerLibpodCompatAliases } from './compat-aliases';
import { registerLibpodCommitRoutes } from './commit';
import { registerLibpodBuildRoutes } from './build';
import { registerLibpodEventRoutes } from './events';
import { registerLibpodSystemRoutes } from './system';
import { registerLibpodSecretRoutes } from './secrets';
import { registerLibpodGenerateRoutes } from './generate';
import { registerLibpodManifestRoutes } from './manifests';
import { registerLibpodKubeRoutes } from './kube';

export function registerLibpodRoutes(router: Router): void {
  const ping = (r: Parameters<Parameters<Router['get']>[1]>[0]) => {
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Length': '2' });
    res.end(r.method === 'HEAD' ? undefined : 'OK');
  };
  router.get('/libpod/_ping', ping);
  router.head('/libpod/_ping', ping);
  // podman's shape: the Libpod API version (4.3.1) where Docker's answer has its own.
  router.get('/libpod/version', (r) => r.send(200, { ...dockerVersion(), ApiVersion: LIBPOD_API_VERSION, MinAPIVersion: '4.0.0' }));
  registerLibpodImageRoutes(router);
  registerLibpodExecRoutes(router);
  registerLibpodNetworkRoutes(router);
  registerLibpodCompatAliases(router);
  registerLibpodCommitRoutes(router);
  registerLibpodBuildRoutes(router);
  registerLibpodEventRoutes(router);
  registerLibpodSystemRoutes(router);
  registerLibpodSecretRoutes(router);
  registerLibpodGenerateRoutes(router);
  registerLibpodManifestRoutes(router);
  registerLibpodKubeRoutes(router);
  registerLibpodApiRoutes(router);
}
