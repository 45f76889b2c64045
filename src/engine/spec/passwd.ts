/**
 * The entries podman 4.3 adds to a container's /etc/passwd and /etc/group when it starts
 * (`--passwd`, on by default; `--passwd-entry`; `--hostuser`), and where they go: appended to
 * the container's own copy of the files (its writable layer, never the image), or, for a
 * --read-only container, into copies in the container's userdata dir that are bind-mounted
 * over them. Files the user mounted at /etc/passwd or /etc/group are left alone.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from '../../util/errors';
import { readFileInRoot, resolveInRoot } from './rootfs-path';
import { parseGroup, parsePasswd, resolveUser, type GroupEntry, type PasswdEntry, type ResolvedUser, type UserFiles } from './user';

/** A host account, as Go's os/user gives it to podman. */
export interface HostUser {
  username: string;
  uid: number;
  gid: number;
  /** The GECOS field up to its first comma. */
  name: string;
  home: string;
}

/**
 * A host account by uid or name (the uid is tried first, as podman's util.LookupUser does),
 * from the host's /etc/passwd. Unknown: podman's `user: unknown user NAME`.
 */
export function lookupHostUser(nameOrUid: string, passwdText?: string): HostUser {
  let text = passwdText;
  if (text === undefined) {
    try { text = fs.readFileSync('/etc/passwd', 'utf8'); } catch { text = ''; }
  }
  const entries = parsePasswd(text);
  const e = (/^[0-9]+$/.test(nameOrUid) ? entries.find((p) => String(p.uid) === String(Number(nameOrUid))) : undefined)
    ?? entries.find((p) => p.name === nameOrUid);
  if (e === undefined) throw new PierError(`user: unknown user ${nameOrUid}`);
  return { username: e.name, uid: e.uid, gid: e.gid, name: e.gecos.split(',')[0], home: e.home };
}

export interface AccountOptions {
  /** The container's mounted root file system. */
  rootfs: string;
  /** The container's user spec (--user, else the image's USER), "" for the default. */
  user: string;
  /** --hostuser values (names or uids). */
  hostUsers?: string[];
  /** --passwd-entry template ($USERNAME, $UID, $GID, $NAME, $HOME). */
  passwdEntry?: string;
  /** The container's working directory: the home of the entries podman makes up. */
  workdir: string;
  /** Destinations of the container's system, bind and tmpfs mounts: a host user's home at or under one is kept. */
  mountDestinations?: string[];
  /** Destinations of named volumes: a host user's home exactly at one is kept. */
  volumeDestinations?: string[];
  /** Host account look-up (default: lookupHostUser). */
  lookupHost?: (nameOrUid: string) => HostUser;
  /** --userns=keep-id (rootless): the running user's uid and gid, added as podman adds them when the image lacks them. */
  currentUser?: { uid: number; gid: number };
  /** Host group look-up by gid (default: lookupHostGroup). */
  lookupGroup?: (gid: number) => { name: string; gid: number };
}

/** What podman would append to /etc/passwd, and the HOME its first --hostuser entry sets when HOME is unset. */
export function passwdAdditions(o: AccountOptions): { text: string; home?: string } {
  const passwd = parsePasswd(readFileInRoot(o.rootfs, '/etc/passwd') ?? '');
  const lookupHost = o.lookupHost ?? ((n: string) => lookupHostUser(n));
  const mounts = new Set((o.mountDestinations ?? []).map(cleanPath));
  const volumes = new Set((o.volumeDestinations ?? []).map(cleanPath));
  let text = '';
  let home: string | undefined;

  const hostEntry = (u: HostUser) => {
    if (findUser(passwd, u.username) || findUser(passwd, String(u.uid))) return;
    // The account's own home when it is mounted into the container, else the working directory.
    let dir = o.workdir;
    for (let d = cleanPath(u.home); d !== '/' && d !== '.' && d !== ''; d = path.posix.dirname(d)) {
      if (mounts.has(d)) { dir = u.home; break; }
    }
    if (dir !== u.home && volumes.has(cleanPath(u.home))) dir = u.home;
    home ??= dir;
    text += o.passwdEntry !== undefined && o.passwdEntry !== ''
      ? fillTemplate(o.passwdEntry, u.username, String(u.uid), String(u.gid), u.name, dir)
      : `${u.username}:*:${u.uid}:${u.gid}:${u.name}:${dir}:/bin/sh\n`;
  };
  for (const hu of o.hostUsers ?? []) hostEntry(lookupHost(hu));
  // The current user's uid counts as added even when the image has the account already.
  let addedUid = 0;
  if (o.currentUser && o.currentUser.uid !== 0) {
    let u: HostUser;
    try { u = lookupHost(String(o.currentUser.uid)); } catch (e) { throw new PierError(`failed to get current user: ${(e as Error).message}`); }
    hostEntry(u);
    addedUid = o.currentUser.uid;
  }

  if (o.user !== '') {
    const [userPart, groupPart = ''] = splitOnce(o.user);
    const uid = parseUint32(userPart);
    // Only a numeric user without an entry gets one.
    if (uid !== undefined && !(addedUid !== 0 && uid === addedUid) && !findUser(passwd, userPart)) {
      let gid = 0;
      if (groupPart !== '') {
        const n = parseUint32(groupPart);
        if (n !== undefined) gid = n;
        else {
          const g = findGroup(parseGroup(readFileInRoot(o.rootfs, '/etc/group') ?? ''), groupPart);
          if (g === undefined) throw new PierError(`unable to get gid ${groupPart} from group file: no matching entries in group file`);
          gid = g.gid;
        }
      }
      text += o.passwdEntry !== undefined && o.passwdEntry !== ''
        ? fillTemplate(o.passwdEntry, String(uid), String(uid), String(gid), 'container user', o.workdir)
        : `${uid}:*:${uid}:${gid}:container user:${o.workdir}:/bin/sh\n`;
    }
  }
  return { text, home };
}

/**
 * What podman would append to /etc/group: the current user's group (keep-id) and the numeric
 * group of the user spec, each when the image has no such group.
 */
export function groupAdditions(o: Pick<AccountOptions, 'rootfs' | 'user' | 'currentUser' | 'lookupHost' | 'lookupGroup'>): string {
  const groups = parseGroup(readFileInRoot(o.rootfs, '/etc/group') ?? '');
  let text = '';
  let addedGid = 0;
  if (o.currentUser && o.currentUser.gid !== 0) {
    let g: { name: string; gid: number };
    try { g = (o.lookupGroup ?? lookupHostGroup)(o.currentUser.gid); } catch (e) { throw new PierError(`failed to get current group: ${(e as Error).message}`); }
    if (!findGroup(groups, g.name) && !findGroup(groups, String(g.gid))) {
      const member = o.currentUser.uid !== 0 ? (o.lookupHost ?? lookupHostUser)(String(o.currentUser.uid)).username : '';
      text += `${g.name}:x:${g.gid}:${member}\n`;
      addedGid = g.gid;
    }
  }
  if (o.user === '') return text;
  const [userPart, groupPart] = splitOnce(o.user);
  // No group given: the user part is taken as the group (podman's way).
  const group = groupPart ?? userPart;
  const gid = parseUint32(group);
  if (gid === undefined || (addedGid !== 0 && gid === addedGid)) return text;
  if (findGroup(groups, group)) return text;
  return `${text}${gid}:x:${gid}:${userPart}\n`;
}

/** A host group by gid, from the host's /etc/group (Go's `group: unknown groupid N` when missing). */
export function lookupHostGroup(gid: number): { name: string; gid: number } {
  let text = '';
  try { text = fs.readFileSync('/etc/group', 'utf8'); } catch { /* none */ }
  const g = parseGroup(text).find((e) => e.gid === gid);
  if (!g) throw new PierError(`group: unknown groupid ${gid}`);
  return { name: g.name, gid: g.gid };
}

export interface AccountFilesOptions extends AccountOptions {
  /** Container id, for error messages. */
  id: string;
  /** The container's persistent userdata dir (where --read-only containers' copies live). */
  userdata: string;
  readOnly: boolean;
  /** The user mounted these files: they are left alone. */
  userMounted?: { passwd?: boolean; group?: boolean };
}

export interface AccountFilesResult {
  /** Host files to bind-mount at /etc/passwd and /etc/group (read-only containers). */
  passwd?: string;
  group?: string;
  /** HOME for the process when its environment has none (set by a --hostuser entry). */
  home?: string;
}

/**
 * Add the container's entries to its /etc/passwd and /etc/group, as podman does at each start:
 * appended to the rootfs's files (created 0600 when missing) when the container is writable,
 * else written with the image's content into userdata/passwd and userdata/group (0644) to be
 * bind-mounted. Copies made by an earlier start are reused as they are.
 */
export function setUpAccountFiles(o: AccountFilesOptions): AccountFilesResult {
  const out: AccountFilesResult = {};
  const files: Array<['passwd' | 'group', () => string]> = [
    ['passwd', () => { const r = passwdAdditions(o); out.home = r.home; return r.text; }],
    ['group', () => groupAdditions(o)],
  ];
  for (const [file, additions] of files) {
    if (o.userMounted?.[file]) continue;
    const copy = path.join(o.userdata, file);
    if (fs.existsSync(copy)) { out[file] = copy; continue; }
    if (o.user === '' && !(o.hostUsers ?? []).length && !o.currentUser) continue;
    const text = additions();
    if (text === '') continue;
    const inContainer = `/etc/${file}`;
    if (o.readOnly) {
      const orig = readFileInRoot(o.rootfs, inContainer) ?? '';
      const tmp = `${copy}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, orig + text, { mode: 0o644 });
      fs.chmodSync(tmp, 0o644);
      fs.renameSync(tmp, copy);
      out[file] = copy;
    } else {
      appendInRoot(o.rootfs, inContainer, text, o.id);
    }
  }
  return out;
}

function appendInRoot(rootfs: string, inContainer: string, text: string, id: string): void {
  const target = resolveInRoot(rootfs, inContainer);
  let fd: number;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fd = fs.openSync(target, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    throw new PierError(`container ${id}: open ${inContainer}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    fs.writeSync(fd, text);
  } catch (e) {
    throw new PierError(`unable to append to container ${id} ${inContainer}: ${(e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

function fillTemplate(t: string, username: string, uid: string, gid: string, name: string, home: string): string {
  return t.split('$USERNAME').join(username).split('$UID').join(uid).split('$GID').join(gid)
    .split('$NAME').join(name).split('$HOME').join(home) + '\n';
}

/** podman's lookup.GetUser: a number is a uid, anything else a name. */
function findUser(passwd: PasswdEntry[], spec: string): PasswdEntry | undefined {
  return /^[+-]?[0-9]+$/.test(spec) ? passwd.find((p) => BigInt(p.uid) === BigInt(spec)) : passwd.find((p) => p.name === spec);
}

function findGroup(groups: GroupEntry[], spec: string): GroupEntry | undefined {
  return /^[+-]?[0-9]+$/.test(spec) ? groups.find((g) => BigInt(g.gid) === BigInt(spec)) : groups.find((g) => g.name === spec);
}

/** Go's strconv.ParseUint(s, 10, 32). */
function parseUint32(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 0xffffffff ? n : undefined;
}

function splitOnce(spec: string): [string, string | undefined] {
  const i = spec.indexOf(':');
  return i < 0 ? [spec, undefined] : [spec.slice(0, i), spec.slice(i + 1)];
}

function cleanPath(p: string): string {
  if (p === '') return '';
  const n = path.posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/**
 * podman's user-lookup overrides: a bind mount at /etc/passwd or /etc/group (or of a whole
 * /etc) is read instead of the rootfs's file, and so is the /etc/passwd copy a --read-only
 * container got from setUpAccountFiles (podman reads only that one of the two copies).
 */
export function userFileOverrides(mounts: ReadonlyArray<{ type: string; source: string; destination: string }>, userdata?: string): UserFiles {
  const files: UserFiles = {};
  let exactPasswd = false;
  let exactGroup = false;
  for (const m of mounts) {
    if (m.type !== 'bind') continue;
    const dest = cleanPath(m.destination);
    if (dest === '/etc/passwd') { files.passwd = m.source; exactPasswd = true; }
    if (dest === '/etc/group') { files.group = m.source; exactGroup = true; }
    if (dest === '/etc') {
      if (!exactPasswd) files.passwd = path.join(m.source, 'passwd');
      if (!exactGroup) files.group = path.join(m.source, 'group');
    }
  }
  if (userdata !== undefined && fs.existsSync(path.join(userdata, 'passwd'))) files.passwd = path.join(userdata, 'passwd');
  return files;
}

/**
 * The container's user as podman resolves it when the container starts: resolveUser, except
 * that a user spec naming one of the --hostuser accounts that the container does not know
 * (yet) is taken from the host (uid, gid, home; no member groups).
 */
export function resolveContainerUser(
  rootfs: string, user: string, groupAdd: string[] = [], hostUsers: string[] = [], files: UserFiles = {},
  lookupHost: (nameOrUid: string) => HostUser = (n) => lookupHostUser(n),
): ResolvedUser {
  try {
    return resolveUser(rootfs, user, groupAdd, files);
  } catch (e) {
    if (!hostUsers.includes(user)) throw e;
    const h = lookupHost(user);
    const addedGids = resolveUser(rootfs, '', groupAdd, files).addedGids;
    return { uid: h.uid, gid: h.gid, additionalGids: [...new Set([h.gid, ...addedGids])], addedGids, memberGids: [], home: h.home, name: h.username };
  }
}
