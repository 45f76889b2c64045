/**
 * Lazy loader for pier's own N-API addon (native/pier_native.c): the Linux syscalls
 * Node lacks (mknod, *xattr, mount, idmapped mounts and user namespaces, pidfd, inotify, unix datagrams), file mappings and fd watches on the
 * event loop. Functions throw Errors whose `code` is the errno name ('EPERM', 'ENOTSUP', ...),
 * like Node's fs errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Flag and mode constants exported by the addon. */
export interface NativeConstants {
  MS_RDONLY: number; MS_NOSUID: number; MS_NODEV: number; MS_NOEXEC: number;
  MS_REMOUNT: number; MS_BIND: number; MS_MOVE: number; MS_REC: number;
  MS_PRIVATE: number; MS_SLAVE: number; MS_SHARED: number;
  MS_NOATIME: number; MS_RELATIME: number; MS_STRICTATIME: number;
  MNT_FORCE: number; MNT_DETACH: number; MNT_EXPIRE: number; UMOUNT_NOFOLLOW: number;
  S_IFCHR: number; S_IFBLK: number; S_IFIFO: number;
}

/** A watch made by watchFd (opaque). */
export type FdWatchHandle = { readonly __fdWatch: unique symbol };

/** The addon's API. */
export interface NativeAddon {
  /** mknod(2); `mode` includes the file-type bits (S_IFCHR | 0o644, ...). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** lsetxattr(2): never follows a final symlink. */
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** lgetxattr(2): null when the attribute does not exist. */
  lgetxattr(path: string, name: string): Buffer | null;
  /** llistxattr(2): attribute names. */
  llistxattr(path: string): string[];
  /** mount(2); empty fstype/data mean NULL. */
  mount(source: string, target: string, fstype: string, flags: number, data: string): void;
  /** umount2(2). */
  umount2(target: string, flags: number): void;
  /** utimensat(2) with nanoseconds, never following a final symlink. */
  lutimens(path: string, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** Connect conmon's SOCK_SEQPACKET attach socket `dir/name`; returns a blocking fd. */
  seqpacketConnect(dir: string, name: string): number;
  /**
   * One datagram `message` on a new unix SOCK_DGRAM socket connected to `path` (sd_notify's
   * NOTIFY_SOCKET; `@name` is an abstract socket). Errors carry syscall `connect` or `write`.
   */
  sendDatagram(path: string, message: string): void;
  /** shutdown(2): 0 read, 1 write, 2 both. */
  shutdownSocket(fd: number, how: number): void;
  /** pipe2(O_CLOEXEC): [read end, write end]. */
  pipe(): [number, number];
  /**
   * posix_spawn(3) in a new session with signals reset: fds[i] becomes the child's fd i
   * (-1: /dev/null). Returns the pid; reap it with waitpidNohang().
   */
  spawnDetached(file: string, argv: string[], envp: string[], fds: number[]): number;
  /** waitpid(pid, WNOHANG): null while it runs, else the exit code (128+signal when killed). */
  waitpidNohang(pid: number): number | null;
  /** As waitpidNohang, with the number of the signal that killed it (0: it exited). */
  waitpidStatus(pid: number): { code: number; signal: number } | null;
  /** A new network namespace (loopback up) bind-mounted on the existing file `file`. */
  createNetns(file: string): void;
  /** clock_gettime(CLOCK_REALTIME): ns since the epoch. */
  realtimeNs(): bigint;
  /** The host's first usable non-loopback IPv4 address (see etc-files.ts hostLocalIP); null for none. */
  localAddress(): string | null;
  /** On a thread-pool thread, rmdir(2) of each of `dirs`; missing ones are fine. Null, or "ECODE path" of the first failure. */
  rmdirsAsync(dirs: string[]): Promise<string | null>;
  /** fcntl(F_SETFL, O_NONBLOCK). */
  setNonblock(fd: number): void;
  /** [rows, columns] of the terminal on `fd` (TIOCGWINSZ), null when it is no terminal. */
  ttySize(fd: number): [number, number] | null;
  /** The file mapped read-only: a Buffer, or a latin1 string (null where Node lacks external strings). */
  mapFile(file: string, asLatin1: boolean): string | Buffer | null;
  /**
   * Calls `callback` whenever `fd` is readable (end-of-file and hang-up included), from Node's
   * event loop (a libuv poll handle), until unwatchFd; the fd itself is the caller's to close.
   */
  watchFd(fd: number, callback: () => void): FdWatchHandle;
  /** Stops a watch (idempotent). */
  unwatchFd(handle: FdWatchHandle): void;
  /** The watch no longer keeps the process alive. */
  unrefWatch(handle: FdWatchHandle): void;
  /** pidfd_open(2): an fd that turns readable when the process exits. */
  pidfdOpen(pid: number): number;
  /** A non-blocking inotify fd watching a directory for files written, renamed in or created. */
  inotifyDir(dir: string): number;
  /** An fd (close-on-exec) of a new user namespace with these uid_map and gid_map texts ("inside outside count" lines). */
  userns(uidMap: string, gidMap: string): number;
  /** `source` bound at the directory `target` as an idmapped mount through the user namespace of `usernsFd`. */
  idmapMount(source: string, target: string, usernsFd: number): void;
  /** The uid_map and gid_map texts of the user namespace at `path` (an nsfs file). */
  usernsMaps(path: string): [string, string];
  /** execve(2): replaces the whole process (signals reset to default, none blocked); returns only by throwing. */
  execve(file: string, argv: string[], envp: string[]): never;
  /**
   * [pid, fd]: a child cloned into a new user and mount namespace (own session, /dev/null on
   * fds 0-2), blocked until one byte is written to `fd`; it then takes uid/gid 0 there and
   * executes `file`. Closing `fd` unwritten ends it. The caller writes its id maps meanwhile.
   */
  spawnUserns(file: string, argv: string[], envp: string[]): [number, number];
  readonly constants: NativeConstants;
}

const ADDON_REL = path.join('native', 'build', 'Release', 'pier_native.node');

let cached: NativeAddon | undefined;

/** Directories holding package.json, walking up from `start`. */
function repoRoots(start: string): string[] {
  const out: string[] = [];
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) out.push(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
  }
  return out;
}

/** Where the addon may be: beside dist/ when bundled, or under the repo root when run from src. */
export function addonCandidates(): string[] {
  const list = [path.join(__dirname, '..', ADDON_REL)];
  for (const root of repoRoots(__dirname)) list.push(path.join(root, ADDON_REL));
  if (process.env.PIER_NATIVE_ADDON) list.unshift(process.env.PIER_NATIVE_ADDON);
  return [...new Set(list.map((p) => path.resolve(p)))];
}

/** Loads (once) and returns the addon; throws a clear error if it was never built. */
export function native(): NativeAddon {
  if (cached) return cached;
  // Already opened by dist/pier.js (main.ts), which maps the bundle through it.
  const early = (globalThis as any)[Symbol.for('pier.native')] as NativeAddon | undefined;
  if (early) return (cached = early);
  const tried = addonCandidates();
  for (const file of tried) {
    if (!fs.existsSync(file)) continue;
    const mod = { exports: {} as NativeAddon };
    process.dlopen(mod, file);
    cached = mod.exports;
    return cached;
  }
  throw new Error(`native addon not built: run scripts/setup.sh (looked for ${tried.join(', ')})`);
}

/**
 * The addon when it loads and has `fn` (an addon built before `fn` was added lacks it);
 * null otherwise, for callers that then fall back to other tools.
 */
export function nativeWith(fn: keyof NativeAddon): NativeAddon | null {
  try {
    const n = native();
    return typeof n[fn] === 'function' ? n : null;
  } catch {
    return null;
  }
}

/** True when the addon can be loaded. */
export function nativeAvailable(): boolean {
  try {
    native();
    return true;
  } catch {
    return false;
  }
}
