// The JSON shapes netavark reads and prints (podman 4's network definition, the per-container
// network options and the StatusBlock result), in their on-the-wire snake_case form.

export type NetworkDriver = 'bridge' | 'macvlan' | 'ipvlan';

export interface LeaseRange {
  start_ip?: string;
  end_ip?: string;
}

export interface SubnetDef {
  subnet: string;
  gateway?: string;
  lease_range?: LeaseRange;
}

/** A network definition, as stored (one JSON file per network) and passed to netavark. */
export interface NetworkDef {
  name: string;
  /** 64 hex digits. */
  id: string;
  driver: NetworkDriver;
  /** Bridge name (pierN) for bridge networks; the parent interface for macvlan/ipvlan. */
  network_interface?: string;
  /** RFC 3339 with nanoseconds. */
  created: string;
  subnets?: SubnetDef[];
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  ipam_options?: Record<string, string>;
}

/** Per-network options of one container (netavark's PerNetworkOptions). */
export interface PerNetworkOptions {
  aliases?: string[];
  interface_name: string;
  static_ips?: string[];
  static_mac?: string;
}

/** A published port (netavark's PortMapping). */
export interface PortMapping {
  /** '' = all host addresses. */
  host_ip: string;
  container_port: number;
  host_port: number;
  /** Number of consecutive ports; 1 for a single port. */
  range: number;
  /** tcp, udp or sctp. */
  protocol: string;
}

/** netavark's input on stdin for setup/teardown. */
export interface NetworkOptions {
  container_id: string;
  container_name: string;
  networks: Record<string, PerNetworkOptions>;
  network_info: Record<string, NetworkDef>;
  port_mappings?: PortMapping[];
  dns_servers?: string[];
}

export interface NetAddress {
  gateway?: string;
  /** The container's address with the subnet's prefix, e.g. 10.90.1.2/24. */
  ipnet: string;
}

export interface NetInterface {
  mac_address: string;
  subnets?: NetAddress[];
}

/** netavark's result for one network. */
export interface StatusBlock {
  dns_search_domains?: string[];
  dns_server_ips?: string[];
  /** Keyed by the interface name inside the container (eth0, eth1...). */
  interfaces?: Record<string, NetInterface>;
}
