// The Kubernetes half of the engine's domain interface: `generate kube`, `kube play` and
// `kube down` (the Libpod API's GET /libpod/generate/kube, POST and DELETE /libpod/play/kube).

/** `kube play`'s options (podman's PlayKubeOptions that pier implements). */
export interface PlayKubeOptions {
  /** --start=false: create the pods without starting them (default: start). */
  start?: boolean;
  /** --replace: remove the YAML's pods first. */
  replace?: boolean;
  /** --network: the pods' network(s) or mode (default: pier-default-kube-network, created when missing). */
  networks?: string[];
  /** --configmap files' contents (YAML ConfigMaps), with the path each came from. */
  configMaps?: { path: string; text: string }[];
  logDriver?: string;
  logOptions?: string[];
  /** --annotation KEY=VALUE: added to every pod's annotations. */
  annotations?: Record<string, string>;
  noHosts?: boolean;
  quiet?: boolean;
  tlsVerify?: boolean;
  authfile?: string;
  /** --creds USERNAME[:PASSWORD]. */
  creds?: string;
  /** Where pulls report their progress (local; none with --quiet, as podman's). */
  progress?: import('./images').ProgressSink;
  /** --cert-dir: the registries' TLS certificates and keys. */
  certDir?: string;
  /** --seccomp-profile-root: where `localhost/NAME` seccomp annotations find NAME (default /var/lib/kubelet/seccomp). */
  seccompProfileRoot?: string;
  /** --userns: the pods' user namespace (pod create's --userns). */
  userns?: string;
  /**
   * --publish (podman 4.5's; hidden in pier, whose flags are podman 4.3's): `-p` values merged
   * with the YAML's ports, replacing a YAML port of the same container port and protocol.
   */
  publish?: string[];
  /**
   * --build: a container's image built from CONTEXT/NAME/Containerfile (or Dockerfile), NAME the
   * image name's last path component: true always, false never, unset when the image is missing.
   */
  build?: boolean;
  /** --context-dir, else the CLI's working directory; unset: nothing is built (the remote client). */
  contextDir?: string;
  /** Where build steps are written (the CLI's stdout, as podman's). */
  buildOutput?: (text: string) => void;
  /** --ip: static addresses given to the pods in the order they are made (IPv4 or IPv6). */
  staticIPs?: string[];
  /** --mac-address: static MAC addresses, likewise. */
  staticMACs?: string[];
  /**
   * --service-container (podman's hidden flag, for systemd units): a service container made
   * before the pods, which they start, stop and remove (engine/service-container.ts); once the
   * pods run, MAINPID (its conmon) and READY=1 go to NOTIFY_SOCKET. Needs start.
   */
  serviceContainer?: boolean;
  /** The command line the service container records (the CLI's, as podman's os.Args). */
  createCommand?: string[];
}

/** podman's PlayKubeReport (its JSON field names). */
export interface PlayKubeReport {
  Pods: { ID: string; Containers: string[]; InitContainers: string[]; Logs: string[]; ContainerErrors: string[] }[];
  Volumes: { Name: string }[];
  /** The secrets made from Secret documents (podman's PlaySecret). */
  Secrets?: { CreateReport: { ID: string } }[];
}

/** podman's report of `kube down` (PlayKubeReport's StopReport and RmReport). */
export interface PlayKubeDownReport {
  StopReport: { Errs: string[]; Id: string; RawInput: string }[];
  RmReport: { Err?: string; Id: string }[];
}

export interface KubeEngine {
  /** The YAML of containers, pods and volumes (named or by id), podman 4.3.1's text. */
  generate(namesOrIds: string[], o: { service?: boolean }): Promise<string>;
  play(yaml: string, o: PlayKubeOptions): Promise<PlayKubeReport>;
  down(yaml: string): Promise<PlayKubeDownReport>;
}
