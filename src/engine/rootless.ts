// Rootless mode: a non-root user's pier works inside a user namespace where the user's own uid
// is 0 and the subordinate ids of /etc/subuid and /etc/subgid are mapped after it, as podman's.
//
// One user (and mount) namespace per user is held open by a pause process (`catatonit -P`),
// its pid in <run dir>/pause.pid: the first command that needs it creates it, later ones join
// it. Node is multi-threaded from its start and so cannot setns(2) into a user namespace
// itself: pier replaces itself (execve through the addon, same pid, same terminal) with
// util-linux's nsenter, which joins the pause process's namespaces and executes pier again
// with ROOTLESS_UID_ENV set; that pier then runs the command as uid 0 of the namespace.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { userDirs, type UserDirs } from '../config/paths';
import { findTool, isPause, joinCommand, livePause, pausePidFile } from '../config/userns-join';
import { EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, PierError } from '../util/errors';
import { lookPath, notFoundInPath } from '../util/look-path';
import { log } from '../util/log';
import { native } from '../util/native';
import { envList } from '../util/spawn';
import { withFileLock } from '../util/lock';

/** One subordinate range of /etc/subuid or /etc/subgid. */
export interface IdRange { start: number; count: number }

/** The ranges `file` gives the user `name` (or its numeric id), in file order. */
export function subordinateRanges(file: string, name: string, id: number): IdRange[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  const out: IdRange[] = [];
  for (const line of text.split('\n')) {
    const [who, start, count] = line.trim().split(':');
    if (!who || (who !== name && who !== String(id))) continue;
    const s = Number(start), c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && s >= 0 && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

/** The id maps of the namespace: the user's own id as 0, then its subordinate ranges from 1 on. */
export interface NamespaceMaps { uid: IdRange[]; gid: IdRange[]; uidMap: [number, number, number][]; gidMap: [number, number, number][] }

function userName(uid: number): string {
  try { return os.userInfo().uid === uid ? os.userInfo().username : ''; } catch { return ''; }
}

/** [inside, outside, count] triples for the user's namespace; null when /etc/subuid or /etc/subgid has nothing for it. */
export function namespaceMaps(uid: number, gid: number, subuid = '/etc/subuid', subgid = '/etc/subgid'): NamespaceMaps | { error: string } {
  const name = userName(uid);
  const uids = subordinateRanges(subuid, name, uid);
  if (!uids.length) return { error: `cannot find UID/GID for user ${name}: no subuid ranges found for user ${JSON.stringify(name)} in ${subuid} - check rootless mode in man pages.` };
  const gids = subordinateRanges(subgid, name, uid);
  if (!gids.length) return { error: `cannot find UID/GID for user ${name}: no subgid ranges found for user ${JSON.stringify(name)} in ${subgid} - check rootless mode in man pages.` };
  const maps = (own: number, ranges: IdRange[]): [number, number, number][] => {
    const out: [number, number, number][] = [[0, own, 1]];
    let next = 1;
    for (const r of ranges) { out.push([next, r.start, r.count]); next += r.count; }
    return out;
  };
  return { uid: uids, gid: gids, uidMap: maps(uid, uids), gidMap: maps(gid, gids) };
}

/** podman's warning when "/" is not a shared mount (mounts made later on the host do not reach the namespace). */
function warnUnsharedRoot(): void {
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[4] !== '/') continue;
      if (!f.slice(6, f.indexOf('-')).some((o) => o.startsWith('shared:'))) {
        log.warn('"/" is not a shared mount, this could cause issues or missing mounts with rootless containers');
      }
      return;
    }
  } catch { /* no mountinfo: nothing to say */ }
}

function runMapTool(tool: string, pid: number, map: [number, number, number][]): void {
  const bin = findTool(tool);
  if (!bin) throw new PierError(`cannot find ${tool}: install the uidmap package (newuidmap and newgidmap) for rootless mode`);
  const r = spawnSync(bin, [String(pid), ...map.flat().map(String)], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop();
    throw new PierError(`cannot set up namespace using "${bin}": ${why || `exit status ${r.status}`}`);
  }
}

function findCatatonit(): string {
  const catatonit = findTool('catatonit', ['/usr/libexec/podman/catatonit', '/usr/libexec/catatonit/catatonit']);
  if (!catatonit) throw new PierError('cannot find catatonit, the rootless pause process: install the catatonit package');
  return catatonit;
}

function findNsenter(): string {
  const nsenter = findTool('nsenter');
  if (!nsenter) throw new PierError('cannot find nsenter (util-linux), needed to join the rootless user namespace');
  return nsenter;
}

/**
 * A conmon of the store's containers (under `runRoot`) still running in a user namespace other
 * than ours: the namespace outlived its pause process (killed), and holds their mounts.
 */
function orphanedNamespace(runRoot: string): number | null {
  const dir = path.join(runRoot, 'containers');
  let ids: string[];
  try { ids = fs.readdirSync(dir); } catch { return null; }
  const self = fs.readlinkSync('/proc/self/ns/user');
  for (const id of ids) {
    try {
      const pid = parseInt(fs.readFileSync(path.join(dir, id, 'conmon.pid'), 'utf8'), 10);
      if (pid > 0 && fs.readlinkSync(`/proc/${pid}/ns/user`) !== self) return pid;
    } catch { /* not running */ }
  }
  return null;
}

/** A new pause process in the namespaces of `pid` (podman joins a conmon's the same way): nsenter executing catatonit there. */
async function pauseIn(pid: number): Promise<number> {
  const nsenter = findNsenter();
  const argv = [nsenter, '--preserve-credentials', '-U', '-m', '-t', String(pid), '--', findCatatonit(), '-P'];
  const pause = native().spawnDetached(nsenter, argv, envList(process.env), [-1, -1, -1]);
  // Once it is catatonit, it is in there (nsenter joins, then executes it).
  for (let i = 0; i < 1000 && !isPause(pause); i++) await new Promise((r) => setTimeout(r, 2));
  if (!isPause(pause)) throw new PierError(`cannot join the user namespace of conmon ${pid}`);
  return pause;
}

/** Starts the pause process in a new user and mount namespace; returns its pid once the maps are written. */
function createPause(uid: number, gid: number): number {
  const catatonit = findCatatonit();
  warnUnsharedRoot();
  const maps = namespaceMaps(uid, gid);
  const [pid, fd] = native().spawnUserns(catatonit, [catatonit, '-P'], envList(process.env));
  try {
    if ('error' in maps) {
      // podman's fallback: only the user's own ids, written directly (newuidmap would refuse them).
      log.error(maps.error);
      log.warn('Using rootless single mapping into the namespace. This might break some images. Check /etc/subuid and /etc/subgid for adding sub*ids if not using a network user');
      fs.writeFileSync(`/proc/${pid}/setgroups`, 'deny');
      fs.writeFileSync(`/proc/${pid}/uid_map`, `0 ${uid} 1\n`);
      fs.writeFileSync(`/proc/${pid}/gid_map`, `0 ${gid} 1\n`);
    } else {
      runMapTool('newuidmap', pid, maps.uidMap);
      runMapTool('newgidmap', pid, maps.gidMap);
    }
    fs.writeSync(fd, 'x');
  } catch (e) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    throw e;
  } finally {
    fs.closeSync(fd);
  }
  return pid;
}

/**
 * The pause process's pid: the live one of the pid file, else a new one (made under a lock, the
 * pid file written atomically): in the namespace of the store's running containers when their
 * pause process died (`runRoot`), else in a new namespace.
 */
export async function ensurePause(dirs: UserDirs = userDirs(), runRoot?: string): Promise<number> {
  const file = pausePidFile(dirs);
  const live = livePause(file);
  if (live) return live;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  return withFileLock(`${file}.lock`, async () => {
    const again = livePause(file);
    if (again) return again;
    const orphaned = runRoot ? orphanedNamespace(runRoot) : null;
    const pid = orphaned ? await pauseIn(orphaned) : createPause(dirs.uid, process.getgid ? process.getgid() : dirs.uid);
    const tmp = `${file}.${process.pid}`;
    fs.writeFileSync(tmp, String(pid), { mode: 0o600 });
    fs.renameSync(tmp, file);
    return pid;
  });
}

/**
 * Re-executes this very pier command inside the user's namespace (creating it first when
 * needed): the process is replaced, so this returns only by throwing.
 */
export async function enterUserns(runRoot?: string): Promise<never> {
  const dirs = userDirs();
  const pid = await ensurePause(dirs, runRoot);
  const nsenter = findNsenter();
  const [file, argv, env] = joinCommand(nsenter, pid, dirs.uid, process.getgid ? process.getgid() : dirs.uid);
  return native().execve(file, argv, envList(env));
}

/**
 * Replaces this process with `argv` (`pier unshare`'s command), found in PATH as Go's exec does:
 * a command not found exits 127, one that cannot be executed 126, with podman's messages.
 */
export function execCommand(argv: string[], env: NodeJS.ProcessEnv): never {
  return native().execve(commandFile(argv, env), argv, envList(env));
}

/** The executable `argv[0]` names (PATH searched as Go's exec); podman's errors when it is none. */
export function commandFile(argv: string[], env: NodeJS.ProcessEnv): string {
  let file = argv[0];
  if (!file.includes('/')) {
    const found = lookPath(file, env.PATH);
    if (!found) throw new PierError(notFoundInPath(file), EXIT_NOT_FOUND);
    file = found;
  }
  try {
    fs.accessSync(file, fs.constants.X_OK);
    if (fs.statSync(file).isDirectory()) throw Object.assign(new Error(), { code: 'EACCES' });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new PierError(`fork/exec ${file}: ${missing ? 'no such file or directory' : 'permission denied'}`, missing ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
  }
  return file;
}

/**
 * `pier unshare --rootless-netns`: the command in the user's rootless network namespace too (made
 * when missing, removed after it when no container uses it, as podman's); its exit code.
 */
export async function runInRootlessNetns(store: Pick<import('../network/store').NetworkStore, 'runDir' | 'slirpCommand'>, argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const netRunDir = store.runDir;
  const file = commandFile(argv, env);
  const { withHostLock } = require('../network/ipam') as typeof import('../network/ipam');
  const rn = require('../network/rootless-netns') as typeof import('../network/rootless-netns');
  const rns = await withHostLock(netRunDir, async () => rn.ensureRootlessNetns(netRunDir, store.slirpCommand));
  try {
    const r = spawnSync(findNsenter(), [`--net=${rns.netns}`, '--', file, ...argv.slice(1)], { stdio: 'inherit', env, argv0: argv[0] } as any);
    return r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0);
  } finally {
    const { NetworkStore } = require('../network/store') as typeof import('../network/store');
    const { attachedContainers } = require('../network/netavark') as typeof import('../network/netavark');
    const attachments = new NetworkStore({ configDir: '', runDir: netRunDir });
    await withHostLock(netRunDir, async () => { if (!attachedContainers(attachments).length) rn.removeRootlessNetns(netRunDir); });
  }
}
