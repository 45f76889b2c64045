// systemd notification (sd_notify) as podman 4.3.1 does it for --sdnotify:
// - create records the NOTIFY_SOCKET of its environment (not with --sdnotify=ignore);
// - with the default `container` mode and a recorded socket, conmon gets --sdnotify-socket and
//   binds a socket of its own at <bundle>/notify/notify.sock, which the container sees at
//   /run/notify/notify.sock (its NOTIFY_SOCKET): conmon passes the container's READY=1 and
//   WATCHDOG=1 on to the recorded socket;
// - every start then sends MAINPID=<conmon pid> (with `conmon`, plus READY=1: the container
//   counts as ready once it runs) to the recorded socket, else to the starting process's
//   NOTIFY_SOCKET; `ignore` sends nothing.
// Neither conmon nor the runtime ever gets NOTIFY_SOCKET in its environment.
import type { ContainerRecord } from './container-store';
import type { CreateOptions } from '../domain/containers';
import { log } from '../util/log';
import { errnoText } from '../util/errors';

/** The container's NOTIFY_SOCKET in `container` mode (podman's path). */
export const CONTAINER_NOTIFY_SOCKET = '/run/notify/notify.sock';

/**
 * The socket create records: the caller's NOTIFY_SOCKET unless the container ignores it (a pod's
 * infra container records it too, as podman's; a build step's, made by buildah there, does not).
 */
export function recordedNotifySocket(o: Pick<CreateOptions, 'sdnotify' | 'buildStep'>): string | undefined {
  if (o.sdnotify === 'ignore' || o.buildStep) return undefined;
  return process.env.NOTIFY_SOCKET || undefined;
}

/** The host socket conmon relays the container's messages to, when the container notifies itself. */
export function containerNotifySocket(c: ContainerRecord): string | undefined {
  const o = c.config.create;
  return o.sdnotifySocket && (o.sdnotify ?? 'container') === 'container' ? o.sdnotifySocket : undefined;
}

/** One message on an sd_notify socket; the error in the words of podman's (Go's) dial and write. */
export function sendNotify(socket: string, message: string): void {
  const { native } = require('../util/native') as typeof import('../util/native');
  try {
    native().sendDatagram(socket, message);
  } catch (e) {
    const text = errnoText(e);
    throw new Error((e as NodeJS.ErrnoException).syscall === 'write' ? `write unixgram ->${socket}: write: ${text}` : `dial unixgram ${socket}: connect: ${text}`);
  }
}

/** After a start: what podman's start tells systemd (nothing without a socket, or with `ignore`). */
export function notifyStarted(c: ContainerRecord): void {
  const mode = c.config.create.sdnotify ?? 'container';
  if (mode === 'ignore' || c.external) return;
  const socket = c.config.create.sdnotifySocket || process.env.NOTIFY_SOCKET;
  if (!socket) return;
  try {
    sendNotify(socket, `MAINPID=${c.state.conmonPid}${mode === 'conmon' ? '\nREADY=1' : ''}`);
  } catch (e) {
    log.error(`Notifying systemd of Conmon PID: ${(e as Error).message}`);
  }
}

/**
 * `pier system service` listening: as podman's, MAINPID and READY=1 to NOTIFY_SOCKET, which
 * (with INVOCATION_ID) then leaves the environment, so the containers it creates get none.
 */
export function notifyServiceReady(): void {
  const socket = process.env.NOTIFY_SOCKET;
  if (socket === undefined) return;
  delete process.env.NOTIFY_SOCKET;
  if (!socket) log.warn('API service unable to successfully send SDNotify');
  else {
    try {
      sendNotify(socket, `MAINPID=${process.pid}\nREADY=1`);
    } catch (e) {
      log.error(`API service failed to notify systemd of Conmon PID: ${(e as Error).message}`);
    }
  }
  delete process.env.INVOCATION_ID;
}
