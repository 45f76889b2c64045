// kube play's service container (podman 4.3.1's `--service-container`, libpod's service.go): a
// pause-image container the play's pods name in their config (PodConfig.serviceContainer). A
// start of one of its pods starts it; once every one of its pods is stopped (by `pod stop`, `pod
// kill`, or exit policy `stop` when their containers have exited) it is stopped; the removal of
// its last pod removes it; and it cannot itself be removed while one of its pods is not stopped.
// Under systemd its conmon is the unit's main process (kube play sends MAINPID), so the unit
// lives as long as the pods.
import type { Lifecycle } from './lifecycle';
import type { ContainerRecord } from './container-store';
import { podStatus, type PodRecord } from './pod-store';
import { NotFoundError, PierError, errorMessage } from '../util/errors';
import { log } from '../util/log';

/** The pods a service container serves, oldest first (podman lists them in the order they were added). */
export function servicePods(lc: Lifecycle, serviceId: string): PodRecord[] {
  return lc.pods().list().filter((p) => p.config.serviceContainer === serviceId).sort((a, b) => a.created - b.created);
}

/** podman's canStopServiceContainer: every pod of the service is stopped or exited. */
function podsStopped(lc: Lifecycle, pods: PodRecord[]): boolean {
  return pods.every((p) => {
    if (p.config.restarting) return false;
    const states = lc.pods().containerIds(p.id).map((id) => lc.containers.get(id)).filter((c): c is ContainerRecord => !!c && !c.config.initContainerType)
      .map((c) => lc.sync(c).state.status);
    return ['Exited', 'Stopped'].includes(podStatus(states));
  });
}

/** What removing a service container refuses (even forced): one of its pods is not stopped (podman's words). */
export function checkServiceRemovable(lc: Lifecycle, c: ContainerRecord): void {
  if (!c.config.isService) return;
  const pods = servicePods(lc, c.id);
  if (!podsStopped(lc, pods)) {
    throw new PierError(`container ${c.id} is the service container of pod(s) ${pods.map((p) => p.id).join(',')} and cannot be removed without removing the pod(s)`);
  }
}

/** The pod's service container, if it has one; gone: podman's error. */
function serviceOf(lc: Lifecycle, pod: PodRecord): ContainerRecord | undefined {
  const id = pod.config.serviceContainer;
  if (!id) return undefined;
  const c = lc.containers.get(id);
  if (!c) throw new NotFoundError(`getting pod's service container: container ${id} not found in DB: no such container`);
  return lc.sync(c);
}

/** Before a pod start: its service container started, unless it runs (podman's maybeStartServiceContainer). */
export async function startPodService(lc: Lifecycle, pod: PodRecord): Promise<void> {
  const svc = serviceOf(lc, pod);
  if (!svc || svc.state.status === 'running') return;
  if (svc.state.status === 'paused' || svc.state.status === 'stopping') await lc.stop(svc.id, 0);
  await lc.start(svc.id);
}

/**
 * After a pod stopped (or one of its members exited): its service container stopped once all
 * its pods are (podman's maybeStopServiceContainer, whose errors are only logged).
 */
export async function stopPodService(lc: Lifecycle, podId: string): Promise<void> {
  try {
    const pod = lc.pods().get(podId);
    const svc = pod && serviceOf(lc, pod);
    if (!svc || !['running', 'paused'].includes(svc.state.status)) return;
    if (!podsStopped(lc, servicePods(lc, svc.id))) return;
    await lc.stop(svc.id);
  } catch (e) {
    log.debug(`stopping the service container of pod ${podId}: ${errorMessage(e)}`);
  }
}

/** After a pod was removed: its service container removed when none of its pods is left (podman's maybeRemoveServiceContainer). */
export async function removePodService(lc: Lifecycle, pod: PodRecord): Promise<void> {
  const id = pod.config.serviceContainer;
  if (!id || !lc.containers.get(id) || servicePods(lc, id).length) return;
  try {
    await lc.remove(id, { force: true, timeout: 0 });
  } catch (e) {
    log.error(`Removing service container ${id}: ${errorMessage(e)}`);
  }
}
