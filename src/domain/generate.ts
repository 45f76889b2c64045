// The generate half of the engine's domain interface: systemd units for a container or pod
// (`pier generate systemd`, the Libpod API's GET /libpod/generate/{name}/systemd), and the
// Specgen JSON of one (`pier generate spec`, which podman's API does not offer).

/** What `generate systemd` asks for (the CLI's flags; the Libpod API's query). */
export interface SystemdOptions {
  /** --name: the container's/pod's name instead of its ID. */
  useName?: boolean;
  /** --new: units that create the container (pod) from its create command and remove it on stop. */
  new?: boolean;
  noHeader?: boolean;
  /** --template: a template unit (container@.service) with %i in the container's name. */
  template?: boolean;
  /** Unset: on-failure (or, with --new, the container's own --restart). */
  restartPolicy?: string;
  /** Pods' units only (podman 4.3.1's container units have no RestartSec=). */
  restartSec?: number;
  startTimeout?: number;
  /** Unset: the container's (the infra container's) stop timeout. */
  stopTimeout?: number;
  /** Unit name prefixes and the separator before the name or ID (default container, pod, -). */
  containerPrefix?: string;
  podPrefix?: string;
  separator?: string;
  wants?: string[];
  after?: string[];
  requires?: string[];
  /** -e: KEY=VALUE (or KEY, for an empty value) entries, each an Environment= line. */
  env?: string[];
}

/** The policies a generated unit's Restart= takes (systemd's). */
export const SYSTEMD_RESTART_POLICIES = ['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always'];

export interface GenerateEngine {
  /** The units of a container (one) or a pod (its own and one per other container): service name → text. */
  systemd(nameOrId: string, opts: SystemdOptions): Promise<Record<string, string>>;
  /**
   * `generate spec`: a container's or pod's Specgen (what the Libpod API's create endpoints take);
   * `rename`: named as a clone would be (NAME-clone...), not as the original.
   */
  spec(nameOrId: string, opts: { rename: boolean }): Promise<Record<string, unknown>>;
}
