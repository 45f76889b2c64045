// Docker Engine API: networks (list, inspect, create, connect, disconnect, delete, prune) over
// pier's NetworkStore and netavark driver, and volumes (list, inspect, create, delete, prune)
// over the domain's VolumeEngine. Docker's `bridge` network is pier's default network.
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { NotFoundError, ConflictError, errorMessage } from '../../util/errors';
import type { NetworkDef } from '../../network/types';
import type { LocalContainerEngine } from '../../domain/local/containers';
import { dockerFilters } from './containers';
import { goMap } from '../../util/gomap';

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

/** A subnet's lease range as the CIDR Docker's IPRange names (when it is one). */
function ipRange(s: { subnet: string; lease_range?: { start_ip?: string; end_ip?: string } }): string | undefined {
  const lr = s.lease_range;
  if (!lr?.start_ip || !lr.end_ip || s.subnet.includes(':')) return undefined;
  const n = (ip: string) => ip.split('.').reduce((a, x) => a * 256 + Number(x), 0);
  const start = n(lr.start_ip);
  // As stored (podman's way), a range leaves out its CIDR's first and last addresses.
  const size = n(lr.end_ip) - start + 3;
  const bits = Math.log2(size);
  if (!Number.isInteger(bits)) return undefined;
  const base = start - 1;
  if (base % size !== 0) return undefined;
  return `${[24, 16, 8, 0].map((sh) => Math.floor(base / 2 ** sh) % 256).join('.')}/${32 - bits}`;
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
    IPAM: { Driver: 'default', Options: goMap({}), Config: (n.subnets ?? []).map((s) => ({ Subnet: s.subnet, ...(s.gateway ? { Gateway: s.gateway } : {}), ...(ipRange(s) ? { IPRange: ipRange(s) } : {}) })) },
    Internal: n.internal, Attachable: false, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: goMap(containers), Options: goMap(n.options), Labels: goMap(n.labels),
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

  // Connecting and disconnecting go through the domain's NetworkEngine: a running container joins
  // or leaves at once, and its configuration follows either way (a stopped one joins at its start).
  const netError = (e: unknown, container: string): never => {
    if (e instanceof ApiError) throw e;
    if (e instanceof NotFoundError) throw new ApiError(404, /container/i.test(errorMessage(e)) && !/connected/.test(errorMessage(e)) ? `No such container: ${container}` : errorMessage(e));
    if (e instanceof ConflictError) throw new ApiError(403, errorMessage(e));
    throw new ApiError(500, errorMessage(e));
  };

  router.post('/networks/{id}/connect', async (r) => {
    const n = getNet(r, r.params.id);
    const b = (await r.json()) ?? {};
    if (typeof b.Container !== 'string' || !b.Container) throw new ApiError(400, 'Container is required');
    const ec = b.EndpointConfig ?? {};
    const ips = [ec.IPAMConfig?.IPv4Address, ec.IPAMConfig?.IPv6Address].filter((x) => typeof x === 'string' && x);
    const settings = { aliases: Array.isArray(ec.Aliases) && ec.Aliases.length ? ec.Aliases : undefined, staticIps: ips.length ? ips : undefined, staticMac: ec.MacAddress || undefined };
    try {
      (r.engines.containers() as LocalContainerEngine).containers.lookup(b.Container);
    } catch {
      throw new ApiError(404, `No such container: ${b.Container}`);
    }
    try {
      await r.engines.networks().connect(n.name, b.Container, settings);
    } catch (e) {
      netError(e, b.Container);
    }
    r.send(200, {});
  });

  router.post('/networks/{id}/disconnect', async (r) => {
    const n = getNet(r, r.params.id);
    const b = (await r.json()) ?? {};
    if (typeof b.Container !== 'string' || !b.Container) throw new ApiError(400, 'Container is required');
    try {
      (r.engines.containers() as LocalContainerEngine).containers.lookup(b.Container);
    } catch {
      throw new ApiError(404, `No such container: ${b.Container}`);
    }
    try {
      await r.engines.networks().disconnect(n.name, b.Container, { force: !!b.Force });
    } catch (e) {
      netError(e, b.Container);
    }
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
    Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, CreatedAt: volumeCreatedAt(v.CreatedAt),
    Labels: v.Labels ?? {}, Scope: 'local', Options: v.Options ?? {}, ...(v.Status ? { Status: v.Status } : {}), UsageData: { Size: -1, RefCount: v.MountCount ?? 0 },
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

/** A volume's CreatedAt as Docker writes it: RFC 3339 to the second. */
export function volumeCreatedAt(t: Date | string | number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString().replace(/\.\d+Z$/, 'Z');
}
