/** The container's mount table: podman's default file systems, user mounts and their options. */
import * as path from 'node:path';
import { UsageError } from '../../util/errors';
import { mountOptionsOf } from '../../util/mountinfo';
import type { OciMount } from './types';

/** A mount asked for by the user (volumes already resolved to host paths by the caller). */
export interface MountRequest {
  /** `bind` and `tmpfs` get podman's option processing; anything else is passed through. */
  type: 'bind' | 'tmpfs' | string;
  /** Host path for binds; ignored for tmpfs. */
  source?: string;
  destination: string;
  /** As the user gave them: ro, rw, z, Z, shared, rslave, nosuid, size=64m, mode=1777, bind... */
  options?: string[];
  /** A named volume's directory (bound as `bind`): nosuid,nodev unless given, as podman. */
  volume?: boolean;
}

const PROPAGATIONS = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']);
/** Accepted but meaningless for the spec: SELinux relabel (SELinux is off), chown-to-user, volume copy-up. */
const IGNORED = new Set(['z', 'Z', 'relabel', 'U', 'copy', 'nocopy', 'idmap', 'notmpcopyup']);

/** Format a byte count the way podman writes tmpfs sizes (`65536k`). */
export function tmpfsSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024}k` : String(bytes);
}

/** podman's /proc, /dev, /sys, /dev/pts, /dev/mqueue and /sys/fs/cgroup. */
export function systemMounts(privileged: boolean): OciMount[] {
  const rw = privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: privileged ? ['rprivate', 'nosuid', 'noexec', 'nodev', 'rw'] : ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', rw] },
  ];
}

/** /dev/shm: a private tmpfs of `sizeBytes`, or a bind of `hostPath` (shared IPC / --ipc=host). */
export function shmMount(sizeBytes: number, hostPath?: string): OciMount {
  if (hostPath !== undefined) {
    return { destination: '/dev/shm', type: 'bind', source: hostPath, options: ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev'] };
  }
  return { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${tmpfsSize(sizeBytes)}`] };
}

/** The tmpfs mounts --read-only adds (unless --read-only-tmpfs=false). */
export function readOnlyTmpfsMounts(): OciMount[] {
  return ['/run', '/tmp', '/var/tmp'].map((d) => ({ destination: d, type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] }));
}

/** A bind of an engine-managed file (/etc/hosts, /etc/resolv.conf, ...); read-only ones also get nosuid,noexec,nodev. */
export function engineFileMount(destination: string, source: string, readOnly: boolean): OciMount {
  const options = ['bind', 'rprivate'];
  if (readOnly) options.push('ro', 'nosuid', 'noexec', 'nodev');
  return { destination, type: 'bind', source, options };
}

type FlagDefaults = { noexec: boolean; nosuid: boolean; nodev: boolean };
const VOLUME_FLAGS: FlagDefaults = { noexec: false, nosuid: true, nodev: true };

/**
 * The noexec, nosuid and nodev podman gives a mount unless its options set them: those of a bind
 * source's file system (a plain bind would drop them), nosuid,nodev for a volume or a tmpfs.
 * Undefined for a bind whose source's file system is unknown (a missing source).
 */
function flagDefaults(type: 'bind' | 'volume' | 'tmpfs', source?: string): FlagDefaults | undefined {
  if (type !== 'bind') return VOLUME_FLAGS;
  const flags = source ? mountOptionsOf(source) : null;
  return flags ? { noexec: flags.includes('noexec'), nosuid: flags.includes('nosuid'), nodev: flags.includes('nodev') } : undefined;
}

/** Turn a user mount into the spec form with podman's default options added. */
export function userMount(req: MountRequest): OciMount {
  if (!req.destination.startsWith('/')) throw new UsageError(`invalid container path "${req.destination}", must be an absolute path`);
  const destination = path.posix.normalize(req.destination).replace(/(.)\/$/, '$1');
  const given = (req.options ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter((o) => o !== '');
  const opts: string[] = [];
  let write = false, prop = false, bind = false, exec = false, suid = false, dev = false, copyup = false;
  for (const o of given) {
    if (IGNORED.has(o)) { if (o === 'notmpcopyup') copyup = true; continue; }
    if (o === 'O') throw new UsageError('overlay mounts (O) must be set up by the caller');
    if (o === 'ro' || o === 'rw') { if (write) throw new UsageError(`cannot pass 'ro' and 'rw' options more than once`); write = true; }
    else if (PROPAGATIONS.has(o)) { if (prop) throw new UsageError(`cannot pass multiple propagation options`); prop = true; }
    else if (o === 'bind' || o === 'rbind') { if (bind) throw new UsageError(`cannot pass 'bind' and 'rbind' options more than once`); bind = true; }
    else if (o === 'exec' || o === 'noexec') exec = true;
    else if (o === 'suid' || o === 'nosuid') suid = true;
    else if (o === 'dev' || o === 'nodev') dev = true;
    else if (o === 'tmpcopyup') copyup = true;
    opts.push(o);
  }
  if (req.type === 'bind') {
    if (req.source === undefined || req.source === '') throw new UsageError(`bind mount to ${destination} has no source`);
    if (!write) opts.push('rw');
    if (!prop) opts.push('rprivate');
    // (A missing source gets none: the runtime fails on it.)
    const d = flagDefaults(req.volume ? 'volume' : 'bind', req.source);
    if (!exec && d?.noexec) opts.push('noexec');
    if (!suid && d?.nosuid) opts.push('nosuid');
    if (!dev && d?.nodev) opts.push('nodev');
    if (!bind) opts.push('rbind');
    return { destination, type: 'bind', source: req.source, options: opts };
  }
  if (req.type === 'tmpfs') {
    if (!write) opts.push('rw');
    if (!prop) opts.push('rprivate');
    if (!suid) opts.push('nosuid');
    if (!dev) opts.push('nodev');
    if (!copyup) opts.push('tmpcopyup');
    return { destination, type: 'tmpfs', source: 'tmpfs', options: opts };
  }
  return { destination, type: req.type, source: req.source ?? req.type, options: given };
}

/** rootfsPropagation podman sets when a mount asks for shared or slave propagation. */
export function rootfsPropagationFor(mounts: readonly OciMount[]): string | undefined {
  let result: string | undefined;
  for (const m of mounts) {
    for (const o of m.options ?? []) {
      if (o === 'shared' || o === 'rshared') return 'shared';
      if (o === 'slave' || o === 'rslave') result = 'rslave';
    }
  }
  return result;
}

/** Parent directories before children (stable by path depth), so runtimes mount in a working order. */
export function sortMounts(mounts: OciMount[]): OciMount[] {
  const depth = (m: OciMount): number => m.destination.split('/').filter((c) => c !== '').length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map((x) => x.m);
}

/**
 * The options podman 4.3.1 records for a user mount (its util.ProcessOptions at create), which
 * inspect shows (HostConfig.Binds and Tmpfs, Mounts[].Options): the given ones in their order
 * (`consistency` and `notmpcopyup` dropped), then rw and rprivate unless given, the noexec,
 * nosuid and nodev of the bind source's file system (volumes and tmpfs: nosuid,nodev) unless
 * given, tmpcopyup for a tmpfs and rbind for the others. The spec's options (userMount) take the
 * same flag defaults.
 */
export function podmanMountOptions(type: 'bind' | 'volume' | 'tmpfs', given: readonly string[], source?: string): string[] {
  const out: string[] = [];
  let write = false, prop = false, exec = false, suid = false, dev = false, copyup = false, bind = false;
  for (const o of given) {
    const key = o.split('=')[0];
    if (key === 'consistency') continue;
    if (key === 'notmpcopyup') { copyup = true; continue; }
    if (key === 'ro' || key === 'rw') write = true;
    else if (PROPAGATIONS.has(key)) prop = true;
    else if (key === 'exec' || key === 'noexec') exec = true;
    else if (key === 'suid' || key === 'nosuid') suid = true;
    else if (key === 'dev' || key === 'nodev') dev = true;
    else if (key === 'tmpcopyup') copyup = true;
    else if (key === 'bind' || key === 'rbind') bind = true;
    out.push(o);
  }
  if (!write) out.push('rw');
  if (!prop) out.push('rprivate');
  // Inspect of a bind whose source is unknown shows a volume's defaults.
  const defaults = flagDefaults(type, source) ?? VOLUME_FLAGS;
  if (!exec && defaults.noexec) out.push('noexec');
  if (!suid && defaults.nosuid) out.push('nosuid');
  if (!dev && defaults.nodev) out.push('nodev');
  if (type === 'tmpfs' && !copyup) out.push('tmpcopyup');
  if (type !== 'tmpfs' && !bind) out.push('rbind');
  return out;
}

/**
 * podman's inspect view of a mount's recorded options (parseMountOptionsForInspect): ro makes
 * RW false, rw is dropped, the propagation and z/Z move to their own fields, the rest stay.
 */
export function inspectMountFields(options: readonly string[]): { Mode: string; Options: string[]; RW: boolean; Propagation: string } {
  let rw = true, propagation = '', mode = '';
  const rest: string[] = [];
  for (const o of options) {
    if (o === 'ro') rw = false;
    else if (o === 'rw') continue;
    else if (PROPAGATIONS.has(o)) propagation = o;
    else if (o === 'z' || o === 'Z') mode = o;
    else rest.push(o);
  }
  return { Mode: mode, Options: rest, RW: rw, Propagation: propagation };
}
