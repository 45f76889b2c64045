// Docker Engine API: networks (list, inspect, create, connect, disconnect, delete, prune) over
// pier's NetworkStore and netavark driver, and volumes (list, inspect, create, delete, prune)
// over the domain's VolumeEngine. Docker's `bridge` network is pier's default network.
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { NotFoundError, ConflictError, errorMessage } from '../../util/errors';
import type { NetworkDef } from '../../network/types';
import type { LocalContainerEngine } from '../../domain/local/containers';
import { dockerFilters } from './containers';

function netStore(r: ApiRequest) {
  const { NetworkStore } = require('../../network/store') as typeof import('../../network/store');
  return NetworkStore.forConfig(r.cfg);
}

const dockerName = (n: string) => (n === 'bridge' ? 'pier' : n);

function getNet(r: ApiRequest, name: string): NetworkDef {
  try {
    return netStore(r).get(dockerName(name));
  } catch (e) {
    if (e instanceof NotFoundError) throw new ApiError(404, `network ${name} not found`);
    throw e;
  }
}

function dockerNetwork(r: ApiRequest, n: NetworkDef): Record<string, unknown> {
  const ce = r.engines.containers() as LocalContainerEngine;
  const containers: Record<string, unknown> = {};
  for (const c of ce.containers.list()) {
    if (!(n.name in (c.config.networks ?? {}))) continue;
    const st = c.state.network?.status?.[n.name] as any;
    const ifc = st ? Object.values(st.interfaces ?? {})[0] as any : undefined;
    containers[c.id] = {
      Name: c.name, EndpointID: '', MacAddress: ifc?.mac_address ?? '',
      IPv4Address: ifc?.subnets?.find((s: any) => !s.ipnet.includes(':'))?.ipnet ?? '', IPv6Address: '',
    };
  }
  return {
    Name: n.name === 'pier' ? 'bridge' : n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: n.driver, EnableIPv6: n.ipv6_enabled,
    IPAM: { Driver: 'default', Options: {}, Config: (n.subnets ?? []).map((s) => ({ Subnet: s.subnet, ...(s.gateway ? { Gateway: s.gateway } : {}) })) },
    Internal: n.internal, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: n.options ?? {}, Labels: n.labels ?? {},
  };
}

export function registerNetworkVolumeRoutes(router: Router): void {
  router.get('/networks', async (r) => {
    const nets = await netStore(r).list(dockerFilters(r.query.get('filters')));
    r.send(200, nets.map((n) => dockerNetwork(r, n)));
  });

  router.get('/networks/{id}', async (r) => {
    r.send(200, dockerNetwork(r, getNet(r, r.params.id)));
  });

  router.post('/networks/create', async (r) => {
    const b = (await r.json()) ?? {};
    if (typeof b.Name !== 'string' || !b.Name) throw new ApiError(400, 'network name is required');
    if (netStore(r).exists(b.Name)) {
      if (b.CheckDuplicate === false) { r.send(201, { Id: netStore(r).get(b.Name).id, Warning: '' }); return; }
      throw new ApiError(409, `network with name ${b.Name} already exists`);
    }
    const cfgs: any[] = b.IPAM?.Config ?? [];
    try {
      const n = await netStore(r).create({
        name: b.Name, driver: b.Driver || 'bridge', internal: !!b.Internal, ipv6: !!b.EnableIPv6, labels: b.Labels ?? undefined,
        options: b.Options ?? undefined,
        subnets: cfgs.map((c) => c.Subnet).filter(Boolean), gateways: cfgs.map((c) => c.Gateway).filter(Boolean), ipRanges: cfgs.map((c) => c.IPRange).filter(Boolean),
      });
      r.send(201, { Id: n.id, Warning: '' });
    } catch (e) {
      if (e instanceof ConflictError) throw new ApiError(409, errorMessage(e));
      throw new ApiError(e instanceof NotFoundError ? 404 : 400, errorMessage(e));
    }
  });

  router.post('/networks/{id}/connect', async (r) => {
    const n = getNet(r, r.params.id);
    const b = (await r.json()) ?? {};
    const ce = r.engines.containers() as LocalContainerEngine;
    let c;
    try { c = ce.containers.lookup(b.Container); } catch { throw new ApiError(404, `No such container: ${b.Container}`); }
    const settings = { aliases: b.EndpointConfig?.Aliases ?? undefined, staticIps: b.EndpointConfig?.IPAMConfig?.IPv4Address ? [b.EndpointConfig.IPAMConfig.IPv4Address] : undefined };
    c = ce.lifecycle.sync(c);
    if (c.state.status === 'running') {
      const { connectContainerNetwork } = require('../../network/netavark') as typeof import('../../network/netavark');
      await connectContainerNetwork({ store: netStore(r), containerId: c.id, network: n.name, settings });
    }
    ce.containers.updateConfig(c.id, (cfg) => ({ ...cfg, networkMode: cfg.networkMode === 'none' ? 'bridge' : cfg.networkMode, networks: { ...(cfg.networks ?? {}), [n.name]: settings } }));
    r.send(200, {});
  });

  router.post('/networks/{id}/disconnect', async (r) => {
    const n = getNet(r, r.params.id);
    const b = (await r.json()) ?? {};
    const ce = r.engines.containers() as LocalContainerEngine;
    let c;
    try { c = ce.lifecycle.sync(ce.containers.lookup(b.Container)); } catch { throw new ApiError(404, `No such container: ${b.Container}`); }
    if (c.state.status === 'running') {
      const { disconnectContainerNetwork } = require('../../network/netavark') as typeof import('../../network/netavark');
      await disconnectContainerNetwork({ store: netStore(r), containerId: c.id, network: n.name });
    }
    ce.containers.updateConfig(c.id, (cfg) => {
      const nets = { ...(cfg.networks ?? {}) };
      delete nets[n.name];
      return { ...cfg, networks: nets };
    });
    r.send(200, {});
  });

  router.delete('/networks/{id}', async (r) => {
    const n = getNet(r, r.params.id);
    const ce = r.engines.containers() as LocalContainerEngine;
    const users = ce.networkUsers(n.name);
    if (users.length) throw new ApiError(409, `network ${n.name} is being used by containers: ${users.join(', ')}`);
    await netStore(r).remove(n.name, { usedBy: () => [] });
    r.send(204);
  });

  router.post('/networks/prune', async (r) => {
    const ce = r.engines.containers() as LocalContainerEngine;
    const removed = await netStore(r).prune(dockerFilters(r.query.get('filters')), (name) => ce.networkUsers(name));
    r.send(200, { NetworksDeleted: removed });
  });

  // ----- volumes

  const dockerVolume = (v: any) => ({
    Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, CreatedAt: v.CreatedAt instanceof Date ? v.CreatedAt.toISOString() : v.CreatedAt,
    Labels: v.Labels ?? {}, Scope: 'local', Options: v.Options ?? {}, UsageData: { Size: -1, RefCount: v.MountCount ?? 0 },
  });

  router.get('/volumes', async (r) => {
    const vols = await r.engines.volumes().list(dockerFilters(r.query.get('filters')));
    r.send(200, { Volumes: vols.map(dockerVolume), Warnings: [] });
  });

  router.post('/volumes/create', async (r) => {
    const b = (await r.json()) ?? {};
    const v = await r.engines.volumes().create({ name: b.Name || undefined, driver: b.Driver || 'local', labels: b.Labels ?? undefined, options: b.DriverOpts ?? undefined, ignoreIfExists: true });
    r.send(201, dockerVolume(v));
  });

  router.get('/volumes/{name}', async (r) => {
    try {
      r.send(200, dockerVolume(await r.engines.volumes().inspect(r.params.name)));
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, `get ${r.params.name}: no such volume`);
      throw e;
    }
  });

  router.delete('/volumes/{name}', async (r) => {
    try {
      await r.engines.volumes().remove(r.params.name, { force: r.query.get('force') === '1' || r.query.get('force') === 'true' });
      r.send(204);
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, `get ${r.params.name}: no such volume`);
      if (/in use|being used/i.test(errorMessage(e))) throw new ApiError(409, errorMessage(e));
      throw e;
    }
  });

  router.post('/volumes/prune', async (r) => {
    const names = await r.engines.volumes().prune(dockerFilters(r.query.get('filters')));
    r.send(200, { VolumesDeleted: names, SpaceReclaimed: 0 });
  });
}
