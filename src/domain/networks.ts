// The network half of the engine's domain interface (the CLI and the API call only this).
import type { NetworkDef } from '../network/types';
import type { CreateNetworkOptions } from '../network/store';
import type { ContainerNetworkSettings } from '../network/netavark';

export type { NetworkDef, CreateNetworkOptions, ContainerNetworkSettings };

/** The Go maps of a network (podman's types.Network, util/gomap): their keys print sorted. */
export const NETWORK_MAPS = ['labels', 'options', 'ipam_options'];

export interface NetworkEngine {
  create(o: CreateNetworkOptions): Promise<NetworkDef>;
  /** Filters `key=value`: name, id, driver, label, label!, until, dangling. */
  list(filters?: string[]): Promise<NetworkDef[]>;
  /** NotFoundError when it does not exist. */
  inspect(nameOrId: string): Promise<NetworkDef>;
  exists(nameOrId: string): Promise<boolean>;
  /** NetworkInUseError when containers use it and not `force` (then they are removed first). */
  remove(nameOrId: string, o?: { force?: boolean; timeout?: number }): Promise<string>;
  /** Removes unused networks (never the default one); their names. */
  prune(filters?: string[]): Promise<string[]>;
  connect(network: string, container: string, settings: ContainerNetworkSettings): Promise<void>;
  disconnect(network: string, container: string, o?: { force?: boolean }): Promise<void>;
  /** Recreates the firewall rules of running containers; the ids reloaded and the errors. */
  reload(o: { containers?: string[]; all?: boolean; latest?: boolean }): Promise<{ ids: string[]; errors: string[] }>;
}
