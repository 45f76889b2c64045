/** Host devices for containers: --device, --device-cgroup-rule and --privileged's full /dev. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../util/errors';
import type { OciDevice, OciDeviceRule } from './types';

export interface DeviceRequest {
  source: string;
  destination: string;
  /** cgroup access: a combination of r, w, m. */
  permissions: string;
}

export interface ResolvedDevices {
  devices: OciDevice[];
  rules: OciDeviceRule[];
}

const PERMS_RE = /^[rwm]{1,3}$/;

/** Parse `--device /dev/x[:/dev/y][:rwm]`. */
export function parseDeviceSpec(spec: string): DeviceRequest {
  const parts = spec.split(':');
  let source = parts[0];
  let destination = parts[0];
  let permissions = 'rwm';
  if (parts.length === 2) {
    if (PERMS_RE.test(parts[1])) permissions = parts[1];
    else destination = parts[1];
  } else if (parts.length === 3) {
    destination = parts[1];
    if (!PERMS_RE.test(parts[2])) throw new UsageError(`invalid device mode: ${parts[2]}`);
    permissions = parts[2];
  } else if (parts.length > 3) {
    throw new UsageError(`invalid device specification: ${spec}`);
  }
  if (source === '') throw new UsageError(`invalid device specification: ${spec}`);
  if (destination === '') destination = source;
  if (!destination.startsWith('/')) throw new UsageError(`${destination} is not an absolute path`);
  source = path.normalize(source);
  return { source, destination: path.normalize(destination), permissions };
}

/** Split a Linux dev_t into major/minor (glibc's encoding). */
export function splitDevNumber(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/** The OCI device for a host device node at `hostPath`, placed at `containerPath`; undefined if not a device. */
export function deviceFromPath(hostPath: string, containerPath: string, follow = true): OciDevice | undefined {
  const st = follow ? fs.statSync(hostPath, { bigint: true }) : fs.lstatSync(hostPath, { bigint: true });
  let type: 'c' | 'b';
  if (st.isCharacterDevice()) type = 'c';
  else if (st.isBlockDevice()) type = 'b';
  else return undefined;
  const { major, minor } = splitDevNumber(st.rdev);
  return { path: containerPath, type, major, minor, fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/** Resolve --device requests to devices and cgroup allow rules; a directory adds every device under it. */
export function resolveDevices(requests: readonly DeviceRequest[]): ResolvedDevices {
  const devices: OciDevice[] = [];
  const rules: OciDeviceRule[] = [];
  const add = (d: OciDevice, perms: string): void => {
    const i = devices.findIndex((e) => e.path === d.path);
    if (i >= 0) devices[i] = d; else devices.push(d);
    rules.push({ allow: true, type: d.type as 'c' | 'b', major: d.major, minor: d.minor, access: perms });
  };
  for (const req of requests) {
    let st: fs.Stats;
    try {
      st = fs.statSync(req.source);
    } catch (err) {
      throw new UsageError(`stat ${req.source}: no such file or directory`);
    }
    if (st.isDirectory()) {
      for (const file of walkDevices(req.source, () => false)) {
        const dev = deviceFromPath(file, path.join(req.destination, path.relative(req.source, file)), false);
        if (dev !== undefined) add(dev, req.permissions);
      }
      continue;
    }
    const dev = deviceFromPath(req.source, req.destination);
    if (dev === undefined) throw new UsageError(`${req.source} is not a valid device`);
    add(dev, req.permissions);
  }
  return { devices, rules };
}

/**
 * Parse `--device-cgroup-rule 'c 42:* rmw'` as podman does: three fields split on single
 * spaces, type a/b/c, MAJOR[:MINOR] numbers or `*`, access letters from r, w, m.
 */
export function parseDeviceCgroupRule(rule: string): OciDeviceRule {
  const fields = rule.split(' ');
  if (fields.length !== 3) throw new UsageError(`invalid device cgroup rule requires type, major:Minor, and access rules: ${JSON.stringify(rule)}`);
  const [type, numbers, access] = fields;
  if (type !== 'a' && type !== 'b' && type !== 'c') throw new UsageError(`invalid device type in device-access-add: ${type}`);
  const out: OciDeviceRule = { allow: true, type };
  const colon = numbers.indexOf(':');
  const parts = colon < 0 ? [numbers] : [numbers.slice(0, colon), numbers.slice(colon + 1)];
  const num = (s: string): number => {
    if (!/^[0-9]+$/.test(s) || BigInt(s) >= 2n ** 64n) throw new UsageError(`strconv.ParseUint: parsing ${JSON.stringify(s)}: ${/^[0-9]+$/.test(s) ? 'value out of range' : 'invalid syntax'}`);
    return Number(s);
  };
  if (parts[0] !== '*') out.major = num(parts[0]);
  if (parts.length > 1 && parts[1] !== '*') out.minor = num(parts[1]);
  for (const ch of access) if (!'rwm'.includes(ch)) throw new UsageError(`invalid device access in device-access-add: ${ch}`);
  if (access !== '') out.access = access;
  return out;
}

const PRIVILEGED_SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Every char/block device under the host's /dev (as podman gives --privileged), minus /dev/console. */
export function hostDevices(devRoot = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  const skipDir = (dir: string): boolean => path.dirname(dir) === devRoot && PRIVILEGED_SKIP_DIRS.has(path.basename(dir));
  for (const file of walkDevices(devRoot, skipDir)) {
    if (file === path.join(devRoot, 'console')) continue;
    try {
      const d = deviceFromPath(file, path.join('/dev', path.relative(devRoot, file)), false);
      if (d !== undefined) out.push(d);
    } catch { /* vanished */ }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Non-symlink entries under `dir`, recursively (directories filtered by `skipDir`). */
function* walkDevices(dir: string, skipDir: (d: string) => boolean): Generator<string> {
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) { if (!skipDir(p)) yield* walkDevices(p, skipDir); }
    else if (e.isCharacterDevice() || e.isBlockDevice()) yield p;
  }
}
