// Bridge networks of a rootless user, as podman 4's "rootless netns": a user cannot make bridges,
// veths or firewall rules in the host's network namespace, so one network namespace per user,
// made inside the user's namespace (which owns it), holds them. netavark runs in there (nsenter
// --net), so do the aardvark-dns it starts; slirp4netns gives it a tap0 with a default route
// out (the containers' traffic is masqueraded onto it by netavark's rules) and forwards the
// published host ports to it (its API's add_hostfwd to tap0's address, where netavark's DNAT
// rules take them on to the container). The namespace and slirp4netns (its pid in a file) are
// made by the first container that joins a bridge network and removed when the last one leaves.
//
// Everything lives under the network run dir, `<run dir>/networks/rootless-netns` (one per user);
// callers hold that dir's host lock (withHostLock).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createNetnsAt, isNetns, removeNetns } from './netns';
import { isSlirpProcess, parseSlirpOptions, slirpAddresses, startDetachedSlirp } from './slirp';

export interface RootlessNetns {
  /** The nsfs file of the namespace. */
  netns: string;
  /** slirp4netns's API socket (add_hostfwd, remove_hostfwd). */
  apiSocket: string;
  /** tap0's address in there: where published ports arrive. */
  tapAddress: string;
}

function files(netRunDir: string) {
  const dir = path.join(netRunDir, 'rootless-netns');
  return { dir, netns: path.join(dir, 'netns'), pidFile: path.join(dir, 'slirp4netns.pid'), apiSocket: path.join(dir, 'slirp.sock'), log: path.join(dir, 'slirp4netns.log') };
}

/** The pid of the namespace's slirp4netns when it still runs. */
function liveSlirp(pidFile: string): number | undefined {
  let pid: number;
  try { pid = parseInt(fs.readFileSync(pidFile, 'utf8'), 10); } catch { return undefined; }
  return isSlirpProcess(pid) ? pid : undefined;
}

/** The user's rootless network namespace when it exists (and slirp4netns serves it). */
export function existingRootlessNetns(netRunDir: string): RootlessNetns | undefined {
  const f = files(netRunDir);
  if (!isNetns(f.netns) || !liveSlirp(f.pidFile)) return undefined;
  return { netns: f.netns, apiSocket: f.apiSocket, tapAddress: slirpAddresses().ip };
}

/** The user's rootless network namespace, made with its slirp4netns when missing (or half gone). */
export function ensureRootlessNetns(netRunDir: string, slirpCommand?: string): RootlessNetns {
  const live = existingRootlessNetns(netRunDir);
  if (live) return live;
  removeRootlessNetns(netRunDir);
  const f = files(netRunDir);
  fs.mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  createNetnsAt(f.netns);
  try {
    const pid = startDetachedSlirp({ netnsPath: f.netns, options: { ...parseSlirpOptions([]), command: slirpCommand }, logFile: f.log, apiSocket: f.apiSocket });
    fs.writeFileSync(f.pidFile, String(pid), { mode: 0o600 });
  } catch (e) {
    removeNetns(f.netns);
    throw e;
  }
  return { netns: f.netns, apiSocket: f.apiSocket, tapAddress: slirpAddresses().ip };
}

/** Ends the namespace's slirp4netns and removes the namespace (podman's rootless netns cleanup). */
export function removeRootlessNetns(netRunDir: string): void {
  const f = files(netRunDir);
  const pid = liveSlirp(f.pidFile);
  if (pid) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
  }
  fs.rmSync(f.pidFile, { force: true });
  fs.rmSync(f.apiSocket, { force: true });
  removeNetns(f.netns);
}
