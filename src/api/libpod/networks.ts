// The Libpod API's networks (podman 4.3 paths and shapes): list, inspect, exists, create (a
// types.Network body; pier's client adds pier_network_options), delete ([{Name, Err}], 409 in use),
// prune ([{Name, Error}]), connect and disconnect — over the domain's NetworkEngine.
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { queryBool } from '../query-params';
import type { CreateNetworkOptions } from '../../domain/networks';
import { NetworkInUseError } from '../../network/store';
import { NotFoundError, errorMessage } from '../../util/errors';
import { dockerFilters } from '../docker/containers';


function nf(e: unknown): never {
  if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
  if (e instanceof NetworkInUseError) throw new ApiError(409, errorMessage(e));
  throw e;
}

/** podman's types.Network create body → pier's options. */
export function networkCreateOptions(b: any, ignore: boolean): CreateNetworkOptions {
  if (b?.pier_network_options) return { ...b.pier_network_options, ignore: ignore || !!b.pier_network_options.ignore };
  const subnets = Array.isArray(b?.subnets) ? b.subnets : [];
  return {
    name: b?.name || undefined, driver: b?.driver || undefined,
    subnets: subnets.map((s: any) => String(s.subnet)), gateways: subnets.map((s: any) => s.gateway).filter(Boolean),
    internal: !!b?.internal, disableDns: b?.dns_enabled === false, ipv6: !!b?.ipv6_enabled,
    options: b?.options ?? undefined, labels: b?.labels ?? undefined, interfaceName: b?.network_interface || undefined,
    ipamDriver: b?.ipam_options?.driver || undefined, ignore,
  };
}

export function registerLibpodNetworkRoutes(router: Router): void {
  const nets = (r: ApiRequest) => r.engines.networks();
  router.get('/libpod/networks/json', async (r) => r.send(200, await nets(r).list(dockerFilters(r.query.get('filters')))));
  router.post('/libpod/networks/create', async (r) => {
    const b = (await r.json()) ?? {};
    if (typeof b !== 'object' || Array.isArray(b)) throw new ApiError(400, 'the body must be a JSON object');
    r.send(200, await nets(r).create(networkCreateOptions(b, queryBool(r, 'ignore'))));
  });
  router.post('/libpod/networks/prune', async (r) => {
    const names = await nets(r).prune(dockerFilters(r.query.get('filters')));
    r.send(200, names.map((Name) => ({ Name, Error: null })));
  });
  router.get('/libpod/networks/{name}/json', async (r) => {
    try { r.send(200, await nets(r).inspect(r.params.name)); } catch (e) { nf(e); }
  });
  router.get('/libpod/networks/{name}/exists', async (r) => {
    if (await nets(r).exists(r.params.name)) { r.send(204); return; }
    throw new ApiError(404, 'network not found');
  });
  router.delete('/libpod/networks/{name}', async (r) => {
    try {
      const t = r.query.get('timeout');
      const name = await nets(r).remove(r.params.name, { force: queryBool(r, 'force'), timeout: t ? Number(t) : undefined });
      r.send(200, [{ Name: name, Err: null }]);
    } catch (e) { nf(e); }
  });
  router.post('/libpod/networks/{name}/connect', async (r) => {
    const b = (await r.json()) ?? {};
    const container = b.container ?? b.Container;
    if (typeof container !== 'string' || !container) throw new ApiError(400, 'container is required');
    try {
      await nets(r).connect(r.params.name, container, {
        aliases: Array.isArray(b.aliases) ? b.aliases : undefined, staticIps: Array.isArray(b.static_ips) ? b.static_ips : undefined, staticMac: b.static_mac || undefined,
      });
    } catch (e) { nf(e); }
    r.send(200, {});
  });
  router.post('/libpod/networks/{name}/disconnect', async (r) => {
    const b = (await r.json()) ?? {};
    const container = b.Container ?? b.container;
    if (typeof container !== 'string' || !container) throw new ApiError(400, 'Container is required');
    try { await nets(r).disconnect(r.params.name, container, { force: !!(b.Force ?? b.force) }); } catch (e) { nf(e); }
    r.send(200, {});
  });
}
