// What `pier auto-update` needs below the domain layer (podman 4.3.1's, docs/auto-update.md):
// the labels and their policies, the check `create` makes of a container labelled for registry
// updates, and the restart of a systemd unit through systemd's own manager (its D-Bus, reached
// by systemctl).
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { isShortName, transportOf } from '../image/reference';
import { PierError, errnoText } from '../util/errors';
import { goQuote } from '../util/goquote';
import { hostUid } from '../config/paths';

/** The label naming a container's auto-update policy. */
export const AUTO_UPDATE_LABEL = 'io.containers.autoupdate';
/** The label naming the auth file a container's registry checks and pulls use. */
export const AUTO_UPDATE_AUTHFILE_LABEL = 'io.containers.autoupdate.authfile';

export type AutoUpdatePolicy = 'disabled' | 'registry' | 'local';

/** The label's values (`image` is the older name of `registry`; empty is disabled). */
const POLICIES: Record<string, AutoUpdatePolicy> = { '': 'disabled', disabled: 'disabled', image: 'registry', registry: 'registry', local: 'local' };

/** The policy a label's value names; podman's error, with the valid names, for any other. */
export function lookupPolicy(value: string): AutoUpdatePolicy {
  if (Object.hasOwn(POLICIES, value)) return POLICIES[value];
  const names = Object.keys(POLICIES).filter((k) => k !== '').sort();
  throw new PierError(`invalid auto-update policy ${goQuote(value)}: valid policies are [${names.map((n) => goQuote(n, true)).join(' ')}]`);
}

/**
 * The check podman's container validation makes: a container with the registry policy (from its
 * own labels or its image's) must name its image by a fully-qualified reference of the docker
 * transport, so that auto-update knows which image to ask the registry for.
 */
export function checkAutoUpdateImage(labels: Record<string, string>, imageName: string): void {
  const value = labels[AUTO_UPDATE_LABEL];
  if (value !== 'registry' && value !== 'image') return;
  const transport = transportOf(imageName);
  if (transport && transport !== 'docker') throw new PierError(`auto updates require the docker image transport but image is of transport ${goQuote(transport)}`);
  if (!transport && isShortName(imageName)) throw new PierError(`short name: auto updates require fully-qualified image reference: ${goQuote(imageName)}`);
}

// ---------------------------------------------------------------------------------------
// systemd

/** Which systemd manager restarts units: the system's for root, else the user's (as podman). */
function userManager(): boolean {
  // The user's own uid: in the rootless user namespace getuid() answers 0.
  return hostUid() !== 0;
}

/** The manager's private D-Bus socket (what podman dials, and systemctl as root). */
export function managerSocket(): string {
  if (!userManager()) return '/run/systemd/private';
  return path.join(process.env.XDG_RUNTIME_DIR || `/run/user/${process.getuid!()}`, 'systemd', 'private');
}

/**
 * Whether systemd's manager answers on its socket: resolves, or rejects with podman's words for
 * a manager that is not there (`dial unix /run/systemd/private: connect: no such file or
 * directory` where systemd is not PID 1).
 */
export function connectManager(): Promise<void> {
  const socket = managerSocket();
  return new Promise((resolve, reject) => {
    const s = net.connect(socket);
    s.once('connect', () => { s.destroy(); resolve(); });
    s.once('error', (e) => reject(new PierError(`dial unix ${socket}: connect: ${errnoText(e)}`)));
  });
}

/**
 * Restarts a unit and waits for its job to finish, as podman's RestartUnit with mode "replace"
 * and its wait for the job's result: `systemctl restart` asks the manager over its D-Bus and
 * fails unless the job's result is "done". Rejects with systemctl's own first line of complaint
 * (`Job for X failed because the control process exited with error code.`).
 */
export function restartUnit(unit: string): Promise<void> {
  const args = [...(userManager() ? ['--user'] : []), '--no-ask-password', '--job-mode=replace', 'restart', '--', unit];
  return new Promise((resolve, reject) => {
    const child = spawn('systemctl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', (e) => reject(new PierError(`systemctl: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'executable file not found in $PATH' : errnoText(e)}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const first = stderr.split('\n').map((l) => l.trim()).find((l) => l)?.replace(/\.$/, '');
      reject(new PierError(first ?? `systemctl restart ${unit} exited with ${signal ?? code}`));
    });
  });
}
