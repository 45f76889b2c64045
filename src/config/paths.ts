// Where pier keeps its state, resolved in one place and keyed by the user: root uses
// /var/lib/pier and /run/pier; other users their XDG directories. pier never shares
// podman's store (/var/lib/containers): it coexists with podman and docker on one host.
import * as os from 'node:os';
import * as path from 'node:path';

export interface UserDirs {
  uid: number;
  rootless: boolean;
  home: string;
  /** Persistent data: images, layers, containers (podman: graphroot). */
  dataDir: string;
  /** Runtime state on tmpfs (podman: runroot). */
  runDir: string;
  /** User configuration dir for pier's own files. */
  configDir: string;
}

/**
 * Set by pier when it re-executes itself inside its rootless user namespace (engine/rootless.ts):
 * the user's uid and gid outside, where getuid() inside answers 0.
 */
export const ROOTLESS_UID_ENV = '_PIER_ROOTLESS_UID';
export const ROOTLESS_GID_ENV = '_PIER_ROOTLESS_GID';

/** The invoking user's uid: inside pier's rootless user namespace, the one it has outside. */
export function hostUid(env: NodeJS.ProcessEnv = process.env): number {
  const uid = process.getuid ? process.getuid() : 0;
  if (uid !== 0) return uid;
  const outer = Number(env[ROOTLESS_UID_ENV]);
  return Number.isInteger(outer) && outer > 0 ? outer : 0;
}

/** The invoking user's gid (as hostUid). */
export function hostGid(env: NodeJS.ProcessEnv = process.env): number {
  const gid = process.getgid ? process.getgid() : 0;
  if (gid !== 0 || hostUid(env) === 0) return gid;
  const outer = Number(env[ROOTLESS_GID_ENV]);
  return Number.isInteger(outer) && outer >= 0 ? outer : 0;
}

/** Whether this process runs inside pier's rootless user namespace (re-executed there, or `pier unshare`). */
export function inRootlessUserns(env: NodeJS.ProcessEnv = process.env): boolean {
  return hostUid(env) !== (process.getuid ? process.getuid() : 0);
}

export function userDirs(env: NodeJS.ProcessEnv = process.env, uid = hostUid(env)): UserDirs {
  const home = env.HOME || os.homedir();
  if (uid === 0) {
    return { uid, rootless: false, home, dataDir: '/var/lib/pier', runDir: '/run/pier', configDir: '/etc/pier' };
  }
  const dataHome = env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  const configHome = env.XDG_CONFIG_HOME || path.join(home, '.config');
  const runtimeDir = env.XDG_RUNTIME_DIR || path.join(os.tmpdir(), `pier-run-${uid}`);
  return {
    uid,
    rootless: true,
    home,
    dataDir: path.join(dataHome, 'pier', 'storage'),
    runDir: path.join(runtimeDir, 'pier'),
    configDir: path.join(configHome, 'pier'),
  };
}

/** The containers ecosystem's config dirs, read so users' registries and credentials just work. */
export function containersConfigDirs(dirs: UserDirs): string[] {
  const out = ['/usr/share/containers', '/etc/containers'];
  if (dirs.rootless) out.push(path.join(process.env.XDG_CONFIG_HOME || path.join(dirs.home, '.config'), 'containers'));
  return out;
}

/** The service's default socket: /run/pier/pier.sock for root, $XDG_RUNTIME_DIR/pier/pier.sock for users. */
export function defaultServiceSocket(env: NodeJS.ProcessEnv = process.env, uid = hostUid(env)): string {
  return uid === 0 ? '/run/pier/pier.sock' : `${env.XDG_RUNTIME_DIR || `/run/user/${uid}`}/pier/pier.sock`;
}
