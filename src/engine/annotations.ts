// The annotations podman 4.3 gives every container, in three steps: the client's (its CLI, or
// the compat API's handler: io.kubernetes.cri-o.TTY, then the user's, then --cidfile and
// --security-opt records), the engine's at create (the image's, a pod's sandbox, containers.conf,
// the client's, then the io.podman.annotations.* flags), and the runtime spec's at each start
// (creation time, stop signal, container manager). inspect shows the spec's once there is one.
import type { CreateOptions } from '../domain/containers';

export const ANNOTATION_TTY = 'io.kubernetes.cri-o.TTY';
export const ANNOTATION_CID_FILE = 'io.podman.annotations.cid-file';
const AUTOREMOVE = 'io.podman.annotations.autoremove';
const VOLUMES_FROM = 'io.podman.annotations.volumes-from';
const PRIVILEGED = 'io.podman.annotations.privileged';
const PUBLISH_ALL = 'io.podman.annotations.publish-all';
const INIT = 'io.podman.annotations.init';
const LABEL = 'io.podman.annotations.label';
const SECCOMP = 'io.podman.annotations.seccomp';
const APPARMOR = 'io.podman.annotations.apparmor';

/** The ones podman sets itself (an image's annotation by these names is not taken). */
const RESERVED = new Set([ANNOTATION_CID_FILE, AUTOREMOVE, VOLUMES_FROM, PRIVILEGED, PUBLISH_ALL, INIT, LABEL, SECCOMP, APPARMOR, 'TRUE', 'FALSE']);

const flag = (on: boolean | undefined): string => (on ? 'TRUE' : 'FALSE');

/**
 * The client's annotations (podman's FillOutSpecGen): TTY, under the user's; then the --cidfile
 * path and the --security-opt label, seccomp and apparmor values over them.
 */
export function clientAnnotations(o: Pick<CreateOptions, 'tty' | 'annotations' | 'securityOpt'>, cidfile?: string): Record<string, string> {
  const out: Record<string, string> = { [ANNOTATION_TTY]: o.tty ? 'true' : 'false', ...(o.annotations ?? {}) };
  if (cidfile) out[ANNOTATION_CID_FILE] = cidfile;
  const labels: string[] = [];
  for (const opt of o.securityOpt ?? []) {
    const i = opt.search(/[=:]/);
    if (i < 0) continue;
    const [key, value] = [opt.slice(0, i), opt.slice(i + 1)];
    if (key === 'apparmor') out[APPARMOR] = value;
    else if (key === 'seccomp') out[SECCOMP] = value;
    else if (key === 'label') { labels.push(value); out[LABEL] = labels.join(',label='); }
  }
  return out;
}

/**
 * The engine's annotations at create: the image's (not podman's own names), the pod's sandbox
 * (its infra container, or the pod without one), the request's (containers.conf's under the
 * client's), then the flags the spec generator records.
 */
export function createAnnotations(o: CreateOptions, image: Record<string, string> | undefined, sandboxId: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(image ?? {})) if (!RESERVED.has(k)) out[k] = v;
  if (sandboxId) {
    out['io.kubernetes.cri-o.SandboxID'] = sandboxId;
    out['io.kubernetes.cri-o.ContainerType'] = 'container';
  }
  Object.assign(out, o.annotations ?? {});
  out[PUBLISH_ALL] = flag(o.publishAll);
  out[AUTOREMOVE] = flag(o.rm);
  if (o.volumesFrom?.length) out[VOLUMES_FROM] = o.volumesFrom.join(',');
  out[PRIVILEGED] = flag(o.privileged);
  out[INIT] = flag(o.init);
  return out;
}

/**
 * What each start adds to the spec's annotations (libpod's generateSpec; the stop signal's is
 * generateSpec's own): the creation time, and the container manager unless one is set.
 */
export function startAnnotations(annotations: Record<string, string>, created: string): Record<string, string> {
  return {
    ...annotations,
    'io.kubernetes.cri-o.Created': created,
    ...(annotations['io.container.manager'] === undefined ? { 'io.container.manager': 'libpod' } : {}),
  };
}
