// `generate systemd` on the local store: the container or pod looked up, its units made by
// engine/systemd with this program as the units' command.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GenerateEngine, SystemdOptions } from '../generate';
import type { LocalContainerEngine } from './containers';
import type { ContainerRecord } from '../../engine/container-store';
import type { PodStore, PodRecord } from '../../engine/pod-store';
import { containerDirs } from '../../engine/rootfs';
import { containerUnits, podUnits, type UnitContainer, type UnitContext } from '../../engine/systemd';
import { NotFoundError, PierError, errorMessage } from '../../util/errors';
import { log } from '../../util/log';

/** The path of the running pier (symlinks resolved, as podman's os.Executable()). */
function executable(): string {
  const script = path.resolve(process.argv[1] ?? 'pier');
  try { return fs.realpathSync(script); } catch { return script; }
}

export class LocalGenerateEngine implements GenerateEngine {
  constructor(private readonly ce: LocalContainerEngine) {}

  async spec(nameOrId: string, o: { rename: boolean }): Promise<Record<string, unknown>> {
    const { containerSpecgen, podSpecgen } = require('./generate-spec') as typeof import('./generate-spec');
    const c = this.ce.containers.find(nameOrId);
    if (c) {
      const opts = this.ce.cloneOptions(c, {}, () => { /* the clone's warnings are create's */ });
      return containerSpecgen(c, { ...opts, name: o.rename ? opts.name : c.name });
    }
    const { pods, pod } = this.pod(nameOrId, () => new NotFoundError(`could not find a pod or container with the id ${nameOrId}`));
    const infra = pod.infraId ? this.ce.containers.get(pod.infraId) : undefined;
    let name = pod.name;
    if (o.rename) {
      const { cloneName } = require('./clone') as typeof import('./clone');
      name = cloneName(pod.name, (n) => { try { return pods.lookup(n).name === n; } catch { return false; } });
    }
    return podSpecgen(pod, name, infra);
  }

  /** The pod store and the pod named `nameOrId`; `missing` makes the error when there is none. */
  private pod(nameOrId: string, missing: (e: NotFoundError) => Error): { pods: PodStore; pod: PodRecord } {
    const pods = this.ce.lifecycle.pods();
    try {
      return { pods, pod: pods.lookup(nameOrId) };
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      throw missing(e);
    }
  }

  private unitContainer(c: ContainerRecord): UnitContainer {
    const create = c.config.create;
    return {
      id: c.id, name: c.name, createCommand: create.createCommand,
      conmonPidFile: create.conmonPidFile ?? path.join(containerDirs(this.ce.store, c.id).run, 'conmon.pid'),
      stopTimeout: c.config.stopTimeout, restartPolicy: c.config.restart.name, env: c.config.env,
      dependencies: (c.config.dependencies ?? []).map((id) => ({ id, name: this.ce.containers.get(id)?.name ?? id })),
    };
  }

  async systemd(nameOrId: string, o: SystemdOptions): Promise<Record<string, string>> {
    const exe = executable();
    const ctx: UnitContext = {
      executable: exe, documentation: pathToFileURL(path.join(path.dirname(exe), '..', 'docs', 'systemd.md')).href, version: typeof PIER_VERSION === 'string' ? PIER_VERSION : '0.0.0-dev',
      runRoot: this.ce.store.runRoot, now: new Date(), warn: (m) => log.warn(m),
    };
    let ctrErr: unknown;
    try {
      return containerUnits(this.unitContainer(this.ce.containers.lookup(nameOrId)), o, ctx);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      ctrErr = e;
    }
    const { pods, pod } = this.pod(nameOrId, (e) => new PierError(`${nameOrId} does not refer to a container or pod: ${errorMessage(e)}: ${errorMessage(ctrErr)}`));
    const members = pods.containerIds(pod.id).map((id) => this.ce.containers.get(id)).filter((c): c is ContainerRecord => !!c);
    const infra = members.find((c) => c.id === pod.infraId);
    return podUnits({
      id: pod.id, name: pod.name, createCommand: pod.config.createCommand,
      infra: infra && this.unitContainer(infra), containers: members.map((c) => this.unitContainer(c)),
    }, o, ctx);
  }
}
