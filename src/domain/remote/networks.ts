// The remote NetworkEngine: the Libpod API's network endpoints (podman 4.3's paths and shapes;
// the create body is podman's types.Network plus `pier_network_options`, the CLI's options as
// parsed, which a pier service prefers).
import type { NetworkEngine, NetworkDef, CreateNetworkOptions, ContainerNetworkSettings } from '../networks';
import { NETWORK_MAPS } from '../networks';
import { markGoMaps } from '../../util/gomap';
import { ApiClient } from './client';
import { q, enc, filters, notRemote } from './query';
import { NetworkInUseError } from '../../network/store';
import { ConflictError, PierError } from '../../util/errors';

export class RemoteNetworks implements NetworkEngine {
  constructor(private c: ApiClient) {}

  async create(o: CreateNetworkOptions): Promise<NetworkDef> {
    const subnets = (o.subnets ?? []).map((subnet, i) => ({ subnet, gateway: o.gateways?.[i] }));
    return markGoMaps(await this.c.json<NetworkDef>('POST', `/libpod/networks/create${q({ ignore: o.ignore })}`, {
      name: o.name, driver: o.driver, subnets: subnets.length ? subnets : undefined, internal: !!o.internal, dns_enabled: !o.disableDns,
      ipv6_enabled: !!o.ipv6, options: o.options, labels: o.labels, network_interface: o.interfaceName,
      ipam_options: o.ipamDriver ? { driver: o.ipamDriver } : undefined, pier_network_options: o,
    }), NETWORK_MAPS);
  }

  async list(f: string[] = []): Promise<NetworkDef[]> { return markGoMaps(await this.c.json<NetworkDef[]>('GET', `/libpod/networks/json${q({ filters: filters(f) })}`), NETWORK_MAPS.map((p) => `*.${p}`)); }
  async inspect(nameOrId: string): Promise<NetworkDef> { return markGoMaps(await this.c.json<NetworkDef>('GET', `/libpod/networks/${enc(nameOrId)}/json`), NETWORK_MAPS); }
  async exists(nameOrId: string): Promise<boolean> { return (await this.c.status('GET', `/libpod/networks/${enc(nameOrId)}/exists`)) === 204; }

  async remove(nameOrId: string, o: { force?: boolean; timeout?: number } = {}): Promise<string> {
    let r: { Name: string; Err?: string | null }[];
    try {
      r = await this.c.json('DELETE', `/libpod/networks/${enc(nameOrId)}${q({ force: o.force, timeout: o.timeout })}`);
    } catch (e) {
      // podman answers 409 for a network in use (`network rm` exits 2 for it).
      if (e instanceof ConflictError) throw new NetworkInUseError(e.message);
      throw e;
    }
    const failed = r.find((x) => x.Err);
    if (failed) throw new PierError(String(failed.Err));
    return r[0]?.Name ?? nameOrId;
  }

  async prune(f: string[] = []): Promise<string[]> {
    const r = await this.c.json<{ Name: string; Error?: string | null }[]>('POST', `/libpod/networks/prune${q({ filters: filters(f) })}`);
    const failed = (r ?? []).find((x) => x.Error);
    if (failed) throw new PierError(String(failed.Error));
    return (r ?? []).map((x) => x.Name);
  }

  async connect(network: string, container: string, s: ContainerNetworkSettings): Promise<void> {
    await this.c.json('POST', `/libpod/networks/${enc(network)}/connect`, {
      container, aliases: s.aliases?.length ? s.aliases : undefined, static_ips: s.staticIps?.length ? s.staticIps : undefined, static_mac: s.staticMac,
    });
  }

  async disconnect(network: string, container: string, o: { force?: boolean } = {}): Promise<void> {
    await this.c.json('POST', `/libpod/networks/${enc(network)}/disconnect`, { Container: container, Force: !!o.force });
  }

  async reload(): Promise<{ ids: string[]; errors: string[] }> { return notRemote('network reload'); }
}
