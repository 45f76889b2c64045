/** Linux capability sets for containers (podman's defaults and --cap-add/--cap-drop rules). */
import * as fs from 'node:fs';
import { UsageError } from '../../util/errors';
import type { OciCapabilities } from './types';

/** Capability names indexed by their number (linux/capability.h). */
export const CAPABILITY_NAMES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/**
 * The base set of containers made before pier read containers.conf's `default_capabilities`
 * (the list podman 4.3's /usr/share/containers/containers.conf ships); newer containers record theirs.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
];

/**
 * Every capability a container may be given: the engine's own bounding set (as podman's
 * --privileged and --cap-add=ALL), limited to what the kernel knows (cap_last_cap).
 */
export function allCapabilities(): string[] {
  let last = CAPABILITY_NAMES.length - 1;
  try {
    const n = Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
    if (Number.isInteger(n) && n >= 0) last = Math.min(n, last);
  } catch { /* keep the built-in list */ }
  let bounding: bigint | undefined;
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) bounding = BigInt('0x' + m[1]);
  } catch { /* no /proc: assume everything */ }
  return CAPABILITY_NAMES.slice(0, last + 1).filter((_c, i) => bounding === undefined || ((bounding >> BigInt(i)) & 1n) === 1n);
}

/** Normalise `chown`, `CAP_CHOWN`, `cap_chown` to `CAP_CHOWN`; `all` to `ALL`. Unknown names are errors. */
export function normalizeCapability(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === 'ALL') return 'ALL';
  const full = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!CAPABILITY_NAMES.includes(full)) throw new UsageError(`unknown capability "${name}"`);
  return full;
}

/** Split comma lists (`--cap-drop chown,kill`) and normalise. */
function expand(list: readonly string[]): string[] {
  return list.flatMap((v) => v.split(',')).filter((v) => v.trim() !== '').map(normalizeCapability);
}

export interface CapabilityInput {
  privileged?: boolean;
  capAdd?: readonly string[];
  capDrop?: readonly string[];
  /** Base set (default: DEFAULT_CAPABILITIES). */
  defaults?: readonly string[];
}

/**
 * The bounding set podman computes: privileged → every capability (cap-drop ignored, as podman 4.3);
 * cap-add ALL → everything minus cap-drop; cap-drop ALL → only cap-add; otherwise defaults − drop + add.
 * Sorted by name.
 */
export function boundingCapabilities(input: CapabilityInput): string[] {
  const all = allCapabilities();
  if (input.privileged) return [...all].sort();
  const add = expand(input.capAdd ?? []);
  const drop = expand(input.capDrop ?? []);
  if (add.includes('ALL') && drop.includes('ALL')) throw new UsageError('adding all caps and removing all caps not allowed');
  let set: Set<string>;
  if (add.includes('ALL')) {
    set = new Set(all.filter((c) => !drop.includes(c)));
  } else if (drop.includes('ALL')) {
    set = new Set(add);
  } else {
    for (const c of add) if (drop.includes(c)) throw new UsageError(`capability "${c}" cannot be dropped and added`);
    set = new Set(input.defaults ? expand(input.defaults) : DEFAULT_CAPABILITIES);
    for (const c of drop) set.delete(c);
    for (const c of add) set.add(c);
  }
  return [...set].sort();
}

/** Capabilities explicitly added (used for non-root users, who get only those as effective). */
export function addedCapabilities(capAdd: readonly string[] | undefined): string[] {
  const add = expand(capAdd ?? []);
  if (add.includes('ALL')) return allCapabilities().sort();
  return [...new Set(add)].sort();
}

/**
 * The process's capability sets: the bounding set; a root process has it all effective and
 * permitted, another user only what --cap-add names (made ambient so that it survives exec).
 */
export function processCapabilities(input: CapabilityInput, root: boolean): OciCapabilities {
  const bounding = boundingCapabilities(input);
  const capabilities: OciCapabilities = { bounding };
  if (root) {
    capabilities.effective = [...bounding];
    capabilities.permitted = [...bounding];
  } else {
    const added = addedCapabilities(input.capAdd).filter((c) => bounding.includes(c));
    if (added.length > 0) {
      capabilities.effective = added;
      capabilities.inheritable = [...added];
      capabilities.permitted = [...added];
      capabilities.ambient = [...added];
    }
  }
  return capabilities;
}

/** The OCI generator's default bounding set (the Docker list), which podman's inspect compares a container's to. */
export const GENERATOR_DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/**
 * inspect's HostConfig.CapAdd and CapDrop as podman 4.3 derives them from the spec's bounding
 * set: what it has beyond the OCI generator's defaults (every known capability when privileged),
 * in the set's order, and what it lacks of them, sorted.
 */
export function capabilityChanges(bounding: readonly string[], privileged: boolean): { add: string[]; drop: string[] } {
  const base = new Set(privileged ? CAPABILITY_NAMES : GENERATOR_DEFAULT_CAPABILITIES);
  const add: string[] = [];
  for (const c of bounding) {
    if (!base.delete(c)) add.push(c);
  }
  return { add, drop: [...base].sort() };
}
