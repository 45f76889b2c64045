// Persistent network namespaces as nsfs bind mounts on files under `<runRoot>/netns`
// (pier's own dir, never /run/netns), created by a thread of pier's native addon (as
// util-linux `unshare --net=FILE` does; those tools are the fallback) and removed by
// unmounting the file. The runtime joins the namespace by that path. child_process is loaded only
// by the fallbacks that run tools (container starts import this module; see bundle-load.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from '../util/errors';
import { nativeWith } from '../util/native';
import { isMountPoint } from '../util/mountinfo';
import { rmFile } from '../util/rmtree';

/** True when `file` is a mounted network namespace. */
export function isNetns(file: string): boolean {
  return isMountPoint(path.resolve(file));
}

/** The netns file of container `id`. */
export function netnsPath(runRoot: string, id: string): string {
  return path.join(runRoot, 'netns', `pier-${id}`);
}

function execFileSync(): typeof import('node:child_process').execFileSync {
  return (require('node:child_process') as typeof import('node:child_process')).execFileSync;
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync()(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e: any) {
    const msg = String(e.stderr || e.message).trim();
    throw new PierError(`${cmd} ${args.join(' ')}: ${msg}`);
  }
}

/**
 * Create (or return the existing) persistent network namespace for `id` at
 * `<runRoot>/netns/pier-<id>`, with its loopback up.
 */
export function createNetns(runRoot: string, id: string): string {
  return createNetnsAt(netnsPath(runRoot, id));
}

/** createNetns at the path `file`. */
export function createNetnsAt(file: string): string {
  if (isNetns(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  fs.closeSync(fs.openSync(file, 'a', 0o644));
  try {
    const addon = nativeWith('createNetns');
    if (addon) {
      // One thread of ours makes the namespace (no unshare/nsenter/ip processes: ~30 ms).
      try {
        addon.createNetns(file);
      } catch (e) {
        throw new PierError(`creating network namespace ${file}: ${(e as Error).message}`);
      }
    } else {
      run('unshare', [`--net=${file}`, 'true']);
      run('nsenter', [`--net=${file}`, 'ip', 'link', 'set', 'lo', 'up']);
    }
  } catch (e) {
    removeNetns(file);
    throw e;
  }
  return file;
}

/** The user namespace file that goes with a container's network namespace (createUsernsNetns). */
export function usernsPath(runRoot: string, id: string): string {
  return path.join(runRoot, 'netns', `pier-${id}-user`);
}

/**
 * For a container with ID mappings of its own (root's or a rootless user's): its user namespace, made now with
 * `uidMap` and `gidMap` (uid_map texts), and a network namespace that user namespace owns, both
 * kept as nsfs files (usernsPath, netnsPath), which the container joins. The runtime's exec
 * joins a container's user namespace first and can then enter only namespaces it owns: a network
 * namespace made by the rootless namespace itself would be out of its reach. A child made in a
 * new user namespace unshares its network namespace; both are bound, then the child ends.
 */
export function createUsernsNetns(runRoot: string, id: string, uidMap: string, gidMap: string): string {
  const netFile = netnsPath(runRoot, id);
  const userFile = usernsPath(runRoot, id);
  if (isNetns(netFile) && isNetns(userFile)) return netFile;
  const { findTool } = require('../config/userns-join') as typeof import('../config/userns-join');
  const { envList } = require('../util/spawn') as typeof import('../util/spawn');
  const addon = nativeWith('spawnUserns')!;
  const unshare = findTool('unshare');
  if (!unshare) throw new PierError('cannot find unshare (util-linux), needed for the container\'s network namespace');
  fs.mkdirSync(path.dirname(netFile), { recursive: true, mode: 0o755 });
  const [pid, fd] = addon.spawnUserns(unshare, [unshare, '--net', '--', 'sleep', 'infinity'], envList(process.env));
  try {
    fs.writeFileSync(`/proc/${pid}/uid_map`, uidMap);
    fs.writeFileSync(`/proc/${pid}/gid_map`, gidMap);
    fs.writeSync(fd, 'x');
    const own = fs.readlinkSync('/proc/self/ns/net');
    const unshared = () => { try { return fs.readlinkSync(`/proc/${pid}/ns/net`) !== own; } catch { return false; } };
    for (let i = 0; i < 2000 && !unshared(); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    if (!unshared()) throw new PierError('the network namespace was not made');
    for (const [kind, file] of [['user', userFile], ['net', netFile]]) {
      fs.closeSync(fs.openSync(file, 'a', 0o644));
      addon.mount(`/proc/${pid}/ns/${kind}`, file, '', addon.constants.MS_BIND, '');
    }
    run('nsenter', [`--net=${netFile}`, 'ip', 'link', 'set', 'lo', 'up']);
  } catch (e) {
    removeNetns(netFile);
    removeNetns(userFile);
    throw e instanceof PierError ? e : new PierError(`creating the user and network namespaces of container ${id}: ${(e as Error).message}`);
  } finally {
    fs.closeSync(fd);
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    for (let i = 0; i < 1000 && addon.waitpidNohang(pid) === null; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
  }
  return netFile;
}

/** Unmount and delete a namespace file made by createNetns; missing files are fine. */
export function removeNetns(file: string): void {
  if (isNetns(file)) {
    const addon = nativeWith('umount2');
    try {
      if (addon) addon.umount2(file, addon.constants.MNT_DETACH);
      else execFileSync()('umount', ['-l', file], { stdio: 'ignore' });
    } catch { /* checked below */ }
    if (isNetns(file)) throw new PierError(`failed to unmount network namespace ${file}`);
  }
  rmFile(file);
}

/** Run a command inside the namespace (for tests and connect/disconnect hooks). */
export function execInNetns(file: string, cmd: string, args: string[], opts: { timeoutMs?: number } = {}): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync()('nsenter', [`--net=${file}`, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 20_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (e: any) {
    return { code: typeof e.status === 'number' ? e.status : 1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? e.message) };
  }
}
