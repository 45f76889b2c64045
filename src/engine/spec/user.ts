/** Resolving `--user` / image `User` and `--group-add` against the image's /etc/passwd and /etc/group. */
import { UsageError } from '../../util/errors';
import { readFileInRoot } from './rootfs-path';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups, in podman's order: primary gid, --group-add, memberships from /etc/group. */
  additionalGids: number[];
  /** Home directory from /etc/passwd ("/" when the user has no entry). */
  home: string;
  /** User name when it has a passwd entry. */
  name?: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const MAX_ID = 4294967294;

/**
 * Resolve a user spec (`name`, `uid`, `name:group`, `uid:gid`, or "" for the default root)
 * plus `--group-add` values against the rootfs's /etc/passwd and /etc/group. The files are
 * read with symlinks resolved inside `rootfs` only. Unknown numeric ids are allowed; unknown
 * names are errors worded as podman's. `keep-groups` in groupAdd is ignored (crun-only).
 */
export function resolveUser(rootfs: string, userSpec: string, groupAdd: string[] = []): ResolvedUser {
  let passwdCache: PasswdEntry[] | undefined;
  let groupCache: GroupEntry[] | undefined;
  const passwd = (): PasswdEntry[] => (passwdCache ??= parsePasswd(readFileInRoot(rootfs, '/etc/passwd') ?? ''));
  const groups = (): GroupEntry[] => (groupCache ??= parseGroup(readFileInRoot(rootfs, '/etc/group') ?? ''));

  const extra = groupAdd.filter((g) => g !== 'keep-groups').map((g) => lookupGroup(groups, g));

  const spec = userSpec.trim();
  if (spec === '') {
    return { uid: 0, gid: 0, additionalGids: dedupe(extra), home: passwd().find((p) => p.uid === 0)?.home ?? '/root', name: 'root' };
  }
  const colon = spec.indexOf(':');
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? undefined : spec.slice(colon + 1);

  let uid: number;
  let entry: PasswdEntry | undefined;
  if (userPart === '') {
    uid = 0;
    entry = passwd().find((p) => p.uid === 0);
  } else if (isNumeric(userPart)) {
    uid = parseId(userPart, 'user');
    entry = passwd().find((p) => p.uid === uid);
  } else {
    entry = passwd().find((p) => p.name === userPart);
    if (entry === undefined) throw new UsageError(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = entry.uid;
  }

  const home = entry?.home || '/';
  if (groupPart !== undefined && groupPart !== '') {
    const gid = lookupGroup(groups, groupPart);
    return { uid, gid, additionalGids: dedupe([gid, ...extra]), home, name: entry?.name };
  }
  const gid = entry?.gid ?? 0;
  const member = entry === undefined ? [] : groups().filter((g) => g.members.includes(entry!.name)).map((g) => g.gid);
  return { uid, gid, additionalGids: dedupe([gid, ...extra, ...member]), home, name: entry?.name };
}

function lookupGroup(groups: () => GroupEntry[], spec: string): number {
  if (isNumeric(spec)) return parseId(spec, 'group');
  const g = groups().find((e) => e.name === spec);
  if (g === undefined) throw new UsageError(`unable to find group ${spec}: no matching entries in group file`);
  return g.gid;
}

function isNumeric(s: string): boolean {
  return /^[0-9]+$/.test(s);
}

function parseId(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n > MAX_ID) throw new UsageError(`invalid ${what} id ${s}: out of range`);
  return n;
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
    out.push({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' });
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
