/** Resolving `--user` / image `User` and `--group-add` against the container's /etc/passwd and /etc/group. */
import * as fs from 'node:fs';
import { UsageError } from '../../util/errors';
import { readFileInRoot } from './rootfs-path';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /**
   * Supplementary groups as podman 4.3 sets them for the container's process: the primary gid
   * (unless the user spec is empty), the --group-add groups, then (unless the spec names a
   * group) the groups whose member list names the user. No duplicates.
   */
  additionalGids: number[];
  /** The --group-add groups alone. */
  addedGids: number[];
  /** The groups listing the user as a member (runc's implicit supplementary groups); empty for `user:group` specs. */
  memberGids: number[];
  /** Home directory from /etc/passwd ("/" when the user has no entry). */
  home: string;
  /** User name when it has a passwd entry. */
  name?: string;
}

/** Host paths read instead of the rootfs's /etc/passwd and /etc/group (files the user mounted there). */
export interface UserFiles {
  passwd?: string;
  group?: string;
}

export interface PasswdEntry { name: string; uid: number; gid: number; gecos: string; home: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

/** runc's range for uids and gids. */
export const MAX_ID = 2147483647;
export const RANGE_ERROR = `uids and gids must be in range 0-${MAX_ID}`;

/**
 * Resolve a user spec (`name`, `uid`, `name:group`, `uid:gid`, or "" for the image's default,
 * root) plus `--group-add` values against the container's /etc/passwd and /etc/group, as runc's
 * user lookup does for podman. The files are read with symlinks resolved inside `rootfs` only
 * (or from `files`). Unknown numeric ids are allowed; unknown names are errors worded as
 * podman's. `keep-groups` in groupAdd is ignored (crun-only).
 */
export function resolveUser(rootfs: string, userSpec: string, groupAdd: string[] = [], files: UserFiles = {}): ResolvedUser {
  let passwdCache: PasswdEntry[] | undefined;
  let groupCache: GroupEntry[] | undefined;
  const passwd = (): PasswdEntry[] => (passwdCache ??= parsePasswd(readUserFile(rootfs, '/etc/passwd', files.passwd)));
  const groups = (): GroupEntry[] => (groupCache ??= parseGroup(readUserFile(rootfs, '/etc/group', files.group)));

  const spec = userSpec.trim();
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? '' : spec.slice(colon + 1);

  let uid = 0;
  let gid = 0;
  let entry: PasswdEntry | undefined;
  const numericUser = atoi(userPart);
  if (userPart === '') {
    entry = passwd().find((p) => p.uid === 0);
  } else if (numericUser !== undefined) {
    // A number is always a uid, as in runc.
    entry = passwd().find((p) => BigInt(p.uid) === numericUser);
    if (entry === undefined) uid = checkRange(numericUser);
  } else {
    entry = passwd().find((p) => p.name === userPart);
    if (entry === undefined) throw new UsageError(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (entry !== undefined) ({ uid, gid } = entry);

  let memberGids: number[] = [];
  if (groupPart !== '') {
    const numericGroup = atoi(groupPart);
    const g = groups().find((e) => (numericGroup !== undefined ? BigInt(e.gid) === numericGroup : e.name === groupPart));
    if (g !== undefined) gid = g.gid;
    else if (numericGroup === undefined) throw new UsageError(`unable to find group ${groupPart}: no matching entries in group file`);
    else gid = checkRange(numericGroup);
  } else if (entry !== undefined) {
    memberGids = groups().filter((g) => g.members.includes(entry!.name)).map((g) => g.gid);
  }

  const addedGids = additionalGroups(groups, groupAdd.filter((g) => g !== 'keep-groups'));
  const additionalGids = dedupe([...(spec !== '' ? [gid] : []), ...addedGids, ...(colon < 0 ? memberGids : [])]);
  return { uid, gid, additionalGids, addedGids, memberGids: dedupe(memberGids), home: entry?.home || '/', name: entry?.name };
}

/** A --group-add value that names no group, or an id out of range. */
export class GroupAddError extends UsageError {
  constructor(message: string) { super(message); this.name = 'GroupAddError'; }
}

/** --group-add values → gids: group names or gids from /etc/group, else numbers (runc's GetAdditionalGroups). */
function additionalGroups(groups: () => GroupEntry[], names: string[]): number[] {
  const out: number[] = [];
  for (const name of names) {
    const g = groups().find((e) => e.name === name || String(e.gid) === name);
    if (g !== undefined) { out.push(g.gid); continue; }
    if (!/^[+-]?[0-9]+$/.test(name) || !fitsInt64(BigInt(name))) {
      throw new GroupAddError(`Unable to find group ${name}: no matching entries in group file`);
    }
    const n = BigInt(name);
    if (n < 0n || n > BigInt(MAX_ID)) throw new GroupAddError(RANGE_ERROR);
    out.push(Number(n));
  }
  return dedupe(out);
}

function readUserFile(rootfs: string, inContainer: string, hostPath: string | undefined): string {
  if (hostPath === undefined) return readFileInRoot(rootfs, inContainer) ?? '';
  try { return fs.readFileSync(hostPath, 'utf8'); } catch { return ''; }
}

/** Go's strconv.Atoi: an optional sign and decimal digits that fit in 64 bits. */
function atoi(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return fitsInt64(n) ? n : undefined;
}

function fitsInt64(n: bigint): boolean {
  return n >= -(2n ** 63n) && n < 2n ** 63n;
}

function checkRange(n: bigint): number {
  if (n < 0n || n > BigInt(MAX_ID)) throw new UsageError(RANGE_ERROR);
  return Number(n);
}

function isNumeric(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

function dedupe(ids: number[]): number[] {
  return [...new Set(ids)];
}

/** Parse /etc/passwd text; malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4 || !isNumeric(f[2]) || !isNumeric(f[3])) continue;
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), gecos: f[4] ?? '', home: f[5] ?? '' });
  }
  return out;
}

/** Parse /etc/group text; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 3 || !isNumeric(f[2])) continue;
    const members = (f[3] ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '');
    out.push({ name: f[0], gid: Number(f[2]), members });
  }
  return out;
}
