// Docker API: /_ping and /version (what clients call first to negotiate the API version).
import * as os from 'node:os';
import type { Router } from '../router';
import { DOCKER_API_VERSION, DOCKER_MIN_API_VERSION, LIBPOD_API_VERSION } from '../router';
import { goArch } from '../../util/arch';


/** The body of GET /version (Docker's shape; Libpod's /version answers the same). */
export function dockerVersion(): Record<string, unknown> {
  // The engine component's details carry the Libpod API's versions (as podman's), the top level Docker's.
  const details = {
    APIVersion: LIBPOD_API_VERSION, Arch: goArch(), BuildTime: '', Experimental: 'false', GitCommit: '',
    GoVersion: process.version, KernelVersion: os.release(), MinAPIVersion: '4.0.0', Os: 'linux',
  };
  return {
    Platform: { Name: 'linux/' + goArch() + '/debian-12' },
    Components: [{ Name: 'Pier Engine', Version: PIER_VERSION, Details: details }],
    Version: PIER_VERSION,
    ApiVersion: DOCKER_API_VERSION,
    MinAPIVersion: DOCKER_MIN_API_VERSION,
    GitCommit: '',
    GoVersion: process.version,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: '',
  };
}

export function registerSystemRoutes(router: Router): void {
  const ping = (r: Parameters<Parameters<Router['get']>[1]>[0]) => {
    const res = r.res!;
    res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache',
      'Builder-Version': '', 'Docker-Experimental': 'false', 'Content-Length': '2',
    });
    res.end(r.method === 'HEAD' ? undefined : 'OK');
  };
  router.get('/_ping', ping);
  router.head('/_ping', ping);
  router.get('/version', (r) => r.send(200, dockerVersion()));
}
