// The in-process NetworkEngine: definitions in the store's NetworkStore, containers joined and
// left through netavark (src/network), container lookups through the local container engine.
import type { NetworkEngine, NetworkDef, CreateNetworkOptions, ContainerNetworkSettings } from '../networks';
import type { EngineConfig } from '../../config/config';
import type { LocalContainerEngine } from './containers';
import { NetworkStore } from '../../network/store';
import * as path from 'node:path';
import { attachedContainers, connectContainerNetwork, containerIPs, disconnectContainerNetwork, reloadContainerNetwork } from '../../network/netavark';
import type { StatusBlock } from '../../network/types';
import type { HostEntry } from '../../engine/etc-files';
import { ConflictError, NotFoundError, PierError, errorMessage } from '../../util/errors';
import { NETWORK_MAPS } from '../networks';
import { markGoMaps } from '../../util/gomap';

const RUNNING = ['running', 'paused', 'stopping'];

/** A network as the engine answers it: a copy, its maps Go maps (sorted keys). */
const networkOut = (n: NetworkDef): NetworkDef => markGoMaps({ ...n }, NETWORK_MAPS);

export class LocalNetworkEngine implements NetworkEngine {
  readonly store: NetworkStore;

  constructor(cfg: EngineConfig, private containers: () => LocalContainerEngine, store?: NetworkStore) {
    this.store = store ?? NetworkStore.forConfig(cfg);
  }

  private usedBy = async (name: string): Promise<string[]> => this.containers().networkUsers(name);

  private async containerId(nameOrId: string): Promise<string> {
    const info = await this.containers().inspect(nameOrId);
    return String(info.Id ?? nameOrId);
  }

  async create(o: CreateNetworkOptions): Promise<NetworkDef> { return networkOut(await this.store.create(o)); }
  async list(filters: string[] = []): Promise<NetworkDef[]> { return (await this.store.list(filters, this.usedBy)).map(networkOut); }
  async inspect(nameOrId: string): Promise<NetworkDef> { return networkOut(this.store.get(nameOrId)); }
  async exists(nameOrId: string): Promise<boolean> { return this.store.exists(nameOrId); }

  remove(nameOrId: string, o: { force?: boolean; timeout?: number } = {}): Promise<string> {
    return this.store.remove(nameOrId, {
      force: !!o.force, usedBy: this.usedBy,
      onForce: async (ids) => { for (const id of ids) await this.containers().remove(id, { force: true, timeout: o.timeout }); },
    });
  }

  prune(filters: string[] = []): Promise<string[]> { return this.store.prune(filters, this.usedBy); }

  /**
   * Joins a container to a network: at once when it runs (netavark in its namespace), and in its
   * configuration either way, so inspect shows it and the next start sets it up again.
   */
  async connect(network: string, container: string, settings: ContainerNetworkSettings): Promise<void> {
    const def = this.store.get(network);
    const ce = this.containers();
    const c = ce.lifecycle.sync(ce.containers.lookup(container));
    const mode = c.config.networkMode;
    if (mode === 'host' || mode.startsWith('container:') || mode.startsWith('ns:') || mode === 'slirp4netns') {
      throw new PierError(`container ${c.name} uses network mode ${mode}: it cannot join a network`);
    }
    if (c.config.networks?.[def.name]) throw new ConflictError(`container ${c.id} is already connected to network "${def.name}"`);
    if (RUNNING.includes(c.state.status) && mode !== 'none') {
      const status = await connectContainerNetwork({ store: this.store, containerId: c.id, network: def.name, settings });
      ce.containers.updateState(c.id, (st) => ({ ...st, network: { ports: st.network?.ports ?? [], status: { ...(st.network?.status ?? {}), [def.name]: status } } }));
      const { addHostsEntries, addResolvNameservers } = require('../../engine/etc-files') as typeof import('../../engine/etc-files');
      addHostsEntries(this.hostsFile(c.id), this.hostsEntries(c, { [def.name]: status }));
      // podman: the network's resolvers first in resolv.conf (IPv6 ones only with an IPv6 address).
      const ipv6 = containerIPs({ ...(c.state.network?.status ?? {}), [def.name]: status }).some((ip) => ip.includes(':'));
      addResolvNameservers(this.runFile(c.id, 'resolv.conf'), (status.dns_server_ips ?? []).filter((ip) => ipv6 || !ip.includes(':')));
    } else if (RUNNING.includes(c.state.status)) {
      throw new PierError(`container ${c.name} runs without networking (--network none): stop it before connecting it to a network`);
    }
    ce.containers.updateConfig(c.id, (cfg) => ({
      ...cfg, networkMode: cfg.networkMode === 'none' ? 'bridge' : cfg.networkMode, networks: { ...(cfg.networks ?? {}), [def.name]: settings },
    }));
  }

  async disconnect(network: string, container: string): Promise<void> {
    const def = this.store.get(network);
    const ce = this.containers();
    const c = ce.lifecycle.sync(ce.containers.lookup(container));
    if (!c.config.networks?.[def.name]) throw new NotFoundError(`container ${c.id} is not connected to network "${def.name}"`);
    if (RUNNING.includes(c.state.status)) {
      const status = c.state.network?.status?.[def.name];
      await disconnectContainerNetwork({ store: this.store, containerId: c.id, network: def.name });
      if (status) {
        const { removeHostsEntries, removeResolvNameservers } = require('../../engine/etc-files') as typeof import('../../engine/etc-files');
        removeResolvNameservers(this.runFile(c.id, 'resolv.conf'), status.dns_server_ips ?? []);
        removeHostsEntries(this.hostsFile(c.id), this.hostsEntries(c, { [def.name]: status }));
      }
      ce.containers.updateState(c.id, (st) => {
        if (!st.network) return st;
        const status = { ...st.network.status };
        delete status[def.name];
        return { ...st, network: { ...st.network, status } };
      });
    }
    ce.containers.updateConfig(c.id, (cfg) => {
      const nets = { ...(cfg.networks ?? {}) };
      delete nets[def.name];
      return { ...cfg, networks: nets };
    });
  }

  /** The running container's own hosts file (absent with --no-hosts or another container's network). */
  private hostsFile(id: string): string {
    return this.runFile(id, 'hosts');
  }

  /** A file of the container's run dir (hosts, resolv.conf). */
  private runFile(id: string, name: string): string {
    const { containerDirs } = require('../../engine/rootfs') as typeof import('../../engine/rootfs');
    return path.join(containerDirs(this.containers().store, id).run, name);
  }

  /** The hosts lines of a container's addresses on these networks: each address with its hostname and name. */
  private hostsEntries(c: { config: { hostname: string }; name: string }, status: Record<string, StatusBlock>): HostEntry[] {
    return containerIPs(status).map((ip) => ({ ip, names: [c.config.hostname, c.name] }));
  }

  async reload(o: { containers?: string[]; all?: boolean; latest?: boolean }): Promise<{ ids: string[]; errors: string[] }> {
    let ids: string[];
    if (o.all || o.latest) {
      const running = await this.containers().ids({ latest: !!o.latest });
      const attached = new Set(attachedContainers(this.store));
      ids = running.filter((id) => attached.has(id) || [...attached].some((a) => a.startsWith(id)));
    } else {
      ids = [];
      for (const a of o.containers ?? []) ids.push(await this.containerId(a));
    }
    const done: string[] = [];
    const errors: string[] = [];
    for (const id of ids) {
      const full = attachedContainers(this.store).find((a) => a.startsWith(id)) ?? id;
      try { await reloadContainerNetwork({ store: this.store, containerId: full }); done.push(full); } catch (e) { errors.push(errorMessage(e)); }
    }
    return { ids: done, errors };
  }
}
