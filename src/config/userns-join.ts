// Joining a rootless user's namespace (engine/rootless.ts makes it): which commands need it, where
// its pause process is, and the nsenter command line that re-executes pier inside it. Small on
// purpose: dist/pier.js (main.ts) joins with it before the CLI bundle is loaded, saving the
// bundle's load on every rootless command; the CLI joins (or first creates) otherwise.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOTLESS_GID_ENV, ROOTLESS_UID_ENV, userDirs, type UserDirs } from './paths';
import { VALUE_FLAGS } from '../cache-key';
import { isExecutableFile, lookPath } from '../util/look-path';

/** What a command (its cache key, `container-ls`) needs: the namespace, nothing, or a refusal outside `pier unshare`. */
export function usernsNeed(key: string): 'join' | 'none' | 'unshare-only' {
  if (/^(|version|system-version|help|completion|complete|__complete\w*|login|logout|system-connection(-.*)?)$/.test(key)) return 'none';
  // Mounts made in the namespace are invisible outside it: podman refuses them outside `unshare`.
  if (/^((container-|image-)?(mount|unmount|umount)|volume-(mount|unmount))$/.test(key)) return 'unshare-only';
  return 'join';
}

/** The pause process's pid file: in the user's run dir ($XDG_RUNTIME_DIR/pier, else /tmp/pier-run-UID/pier). */
export function pausePidFile(dirs: UserDirs): string {
  return path.join(dirs.runDir, 'pause.pid');
}

/** The pid in the pause pid file when that process lives and holds a user namespace other than ours; else null. */
export function livePause(file: string): number | null {
  let pid: number;
  try { pid = parseInt(fs.readFileSync(file, 'utf8'), 10); } catch { return null; }
  return isPause(pid) ? pid : null;
}

/** Whether `pid` is a live pause process: catatonit, in a user namespace other than ours. */
export function isPause(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    // A recycled pid is some other process: the pause process is catatonit, in a namespace of its own.
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'catatonit') return false;
    // A dead one not yet reaped (a zombie) has no mount namespace left.
    fs.readlinkSync(`/proc/${pid}/ns/mnt`);
    return fs.readlinkSync(`/proc/${pid}/ns/user`) !== fs.readlinkSync('/proc/self/ns/user');
  } catch {
    return false;
  }
}

/** An executable `name` from PATH (then /usr/bin, /usr/sbin, /bin, /sbin), or the first of `first` that is one. */
export function findTool(name: string, first: string[] = []): string | null {
  for (const f of first) if (isExecutableFile(f)) return f;
  return lookPath(name, (process.env.PATH ?? '').split(':').filter(Boolean).join(':'), ['/usr/bin', '/usr/sbin', '/bin', '/sbin']) ?? null;
}

/**
 * [file, argv, env] that re-execute this pier command (same node options and arguments) in the
 * namespace of `pid`: nsenter joins its user and mount namespaces, keeping our credentials
 * (uid `uid` outside is 0 inside) and working directory (joining a mount namespace moves it to
 * the root). The environment tells the new pier who the user is.
 */
export function joinCommand(nsenter: string, pid: number, uid: number, gid: number): [string, string[], NodeJS.ProcessEnv] {
  const argv = [nsenter, '--preserve-credentials', '-U', '-m', `--wd=${process.cwd()}`, '-t', String(pid), '--',
    process.execPath, ...process.execArgv, '--', process.argv[1], ...process.argv.slice(2)];
  // Without HOME, inside the namespace (uid 0) the home would be root's: the user's goes along, as podman finds it by uid.
  const home = process.env.HOME || (require('node:os') as typeof import('node:os')).homedir();
  return [nsenter, argv, { ...process.env, HOME: home, [ROOTLESS_UID_ENV]: String(uid), [ROOTLESS_GID_ENV]: String(gid) }];
}

/** Whether `argv` asks for remote mode: a global flag before the command, or a long one anywhere. */
function remoteFlag(argv: string[]): boolean {
  let global = true;
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const a = argv[i];
    if (/^--(remote|url|connection)(=|$)/.test(a)) return true;
    if (!global) continue;
    if (/^-(r|c)$/.test(a)) return true;
    if (!a.startsWith('-')) global = false;
    else if (!a.includes('=') && VALUE_FLAGS.has(a)) i++;
  }
  return false;
}

/**
 * dist/pier.js's shortcut: when `argv` is a local command that needs the namespace and the pause
 * process lives, replace this process with pier inside it (no return). Otherwise returns, and
 * the CLI decides (remote mode, help, creating the namespace, errors).
 */
export function joinEarly(argv: string[], key: string, execve: ((file: string, argv: string[], envp: string[]) => never) | undefined): void {
  if (!execve || usernsNeed(key) !== 'join') return;
  if (process.env.CONTAINER_HOST || process.env.CONTAINER_CONNECTION) return;
  if (remoteFlag(argv)) return;
  const dirs = userDirs();
  const pid = livePause(pausePidFile(dirs));
  const nsenter = pid ? findTool('nsenter') : null;
  if (!pid || !nsenter) return;
  const [file, args, env] = joinCommand(nsenter, pid, dirs.uid, process.getgid ? process.getgid() : dirs.uid);
  execve(file, args, Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`));
}
