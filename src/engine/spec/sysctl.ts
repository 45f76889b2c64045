/** --sysctl validation: only namespaced keys, and only when their namespace is the container's own. */
import { UsageError } from '../../util/errors';

export type SysctlNamespace = 'ipc' | 'network' | 'uts';

const IPC_KEYS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const UTS_KEYS = new Set(['kernel.domainname', 'kernel.hostname']);

/** containers.conf `default_sysctls` as shipped with podman 4.3. */
export const DEFAULT_SYSCTLS: Readonly<Record<string, string>> = { 'net.ipv4.ping_group_range': '0 0' };

/** The namespace a sysctl key belongs to, or undefined when it is not namespaced (not allowed). */
export function sysctlNamespace(key: string): SysctlNamespace | undefined {
  if (IPC_KEYS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (UTS_KEYS.has(key)) return 'uts';
  return undefined;
}

/** Parse `KEY=VALUE` strings (or take a map) into a map. */
export function parseSysctls(input: readonly string[] | Readonly<Record<string, string>>): Record<string, string> {
  if (!Array.isArray(input)) return { ...(input as Record<string, string>) };
  const out: Record<string, string> = {};
  for (const s of input as readonly string[]) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`${s} is invalid, sysctl values must be in the form of KEY=VALUE`);
    out[s.slice(0, eq).trim()] = s.slice(eq + 1);
  }
  return out;
}

const NS_TITLE: Record<SysctlNamespace, string> = { ipc: 'IPC', network: 'Network', uts: 'UTS' };

/**
 * The sysctls for the spec: defaults (silently skipped when their namespace is the host's),
 * overridden by the user's (which are errors when not namespaced or when their namespace is shared with the host).
 */
export function buildSysctls(
  user: Readonly<Record<string, string>>,
  hostNamespaces: ReadonlySet<SysctlNamespace>,
  defaults: Readonly<Record<string, string>> = DEFAULT_SYSCTLS,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaults)) {
    const ns = sysctlNamespace(k);
    if (ns !== undefined && !hostNamespaces.has(ns)) out[k] = v;
  }
  for (const [k, v] of Object.entries(user)) {
    const ns = sysctlNamespace(k);
    if (ns === undefined) throw new UsageError(`sysctl '${k}' is not allowed`);
    if (hostNamespaces.has(ns)) throw new UsageError(`sysctl ${k} can't be set since ${NS_TITLE[ns]} Namespace set to host`);
    out[k] = v;
  }
  return out;
}
