// `pier auto-update` on the local store, as podman 4.3.1's pkg/autoupdate: the running containers
// with an auto-update policy are grouped by the systemd unit they run in; for each unit, each
// container's image is checked (the registry's digest for its image name, or the local image
// that name now names), a newer one pulled, and the unit restarted once; a failed restart rolls
// the image names back and restarts again. One container's or unit's failure leaves the others
// to go on; every failure is reported. (docs/auto-update.md)
import type { AutoUpdateOptions, AutoUpdateReport } from '../containers';
import type { LocalContainerEngine } from './containers';
import type { ContainerRecord } from '../../engine/container-store';
import type { ImageRecord } from '../../storage/images';
import {
  AUTO_UPDATE_AUTHFILE_LABEL, AUTO_UPDATE_LABEL, connectManager, lookupPolicy, restartUnit, type AutoUpdatePolicy,
} from '../../engine/auto-update';
import { SYSTEMD_UNIT_ENV } from '../../engine/systemd';
import { emitEvent, eventLogOptions } from '../../engine/events';
import { errorMessage } from '../../util/errors';
import { log } from '../../util/log';

const FAILED = 'failed';
const UPDATED = 'true';
const NOT_UPDATED = 'false';
const PENDING = 'pending';
const ROLLED_BACK = 'rolled back';

interface Task {
  container: ContainerRecord;
  policy: Exclude<AutoUpdatePolicy, 'disabled'>;
  /** The image the container runs (what a rollback tags again). */
  image: ImageRecord;
  /** The image name it was created with. */
  rawImageName: string;
  authfile?: string;
  status: string;
}

/** An image's manifest digest (its ID for an image that has no manifest, built or committed). */
function digestOf(img: ImageRecord): string {
  return img.manifestDigest ?? `sha256:${img.id}`;
}

export class AutoUpdater {
  /** The image names pulled anew in this run (false once rolled back), as podman's updatedRawImages. */
  private readonly pulled = new Map<string, boolean>();
  /** Whether systemd's manager answered (checked once, at the first restart). */
  private manager?: Promise<void>;

  constructor(private readonly ce: LocalContainerEngine, private readonly opts: AutoUpdateOptions) {}

  async run(): Promise<{ reports: AutoUpdateReport[]; errors: string[] }> {
    const { units, errors } = this.assemble();
    if (units.size === 0) return { reports: [], errors };
    emitEvent(this.ce.store.runRoot, { Type: 'system', Status: 'auto-update' }, eventLogOptions(this.ce.cfg.engine));
    const reports: AutoUpdateReport[] = [];
    // podman goes through its map of units in random order; pier by name.
    for (const unit of [...units.keys()].sort()) {
      const tasks = units.get(unit)!;
      errors.push(...(await this.updateUnit(unit, tasks)));
      for (const t of tasks) {
        reports.push({
          containerId: t.container.id, containerName: t.container.name, imageName: t.rawImageName,
          policy: t.policy, unit, updated: t.status,
        });
      }
    }
    return { reports, errors };
  }

  /** The tasks of the running containers with a policy, by unit; the containers that cannot be updated as errors. */
  private assemble(): { units: Map<string, Task[]>; errors: string[] } {
    const units = new Map<string, Task[]>();
    const errors: string[] = [];
    // Oldest first (podman: its database's order, by ID).
    for (const stored of this.ce.containers.list().reverse()) {
      const c = this.ce.lifecycle.sync(stored);
      if (c.state.status !== 'running') continue;
      const labels = c.config.labels ?? {};
      if (!Object.hasOwn(labels, AUTO_UPDATE_LABEL)) continue;
      let policy: AutoUpdatePolicy;
      try {
        policy = lookupPolicy(labels[AUTO_UPDATE_LABEL]);
      } catch (e) {
        errors.push(errorMessage(e));
        continue;
      }
      if (policy === 'disabled') continue;
      const unit = labels[SYSTEMD_UNIT_ENV];
      if (unit === undefined) {
        errors.push(`auto-updating container "${c.id}": no ${SYSTEMD_UNIT_ENV} label found`);
        continue;
      }
      const image = c.imageId ? this.ce.store.images.get(c.imageId) : undefined;
      if (!image) {
        errors.push(`internal error: no image found for ID ${c.imageId ?? ''}`);
        continue;
      }
      if (!c.imageName) {
        errors.push(`locally auto-updating container "${c.id}": raw-image name is empty`);
        continue;
      }
      const task: Task = { container: c, policy, image, rawImageName: c.imageName, authfile: labels[AUTO_UPDATE_AUTHFILE_LABEL] || undefined, status: FAILED };
      units.set(unit, [...(units.get(unit) ?? []), task]);
    }
    return { units, errors };
  }

  private async updateUnit(unit: string, tasks: Task[]): Promise<string[]> {
    const errors: string[] = [];
    let updated = false;
    for (const t of tasks) {
      let available: boolean;
      try {
        available = await this.updateAvailable(t);
      } catch (e) {
        t.status = FAILED;
        errors.push(`checking image updates for container ${t.container.id}: ${errorMessage(e)}`);
        continue;
      }
      if (!available) { t.status = NOT_UPDATED; continue; }
      if (this.opts.dryRun) { t.status = PENDING; continue; }
      try {
        await this.update(t);
      } catch (e) {
        t.status = FAILED;
        errors.push(`updating image for container ${t.container.id}: ${errorMessage(e)}`);
        continue;
      }
      updated = true;
    }
    if (!updated) return errors;

    const failure = await this.restart(unit);
    for (const t of tasks) t.status = failure ? FAILED : UPDATED;
    if (!failure) return errors;
    // podman 4.3.1 drops this error without a rollback (4.6 reports it, as pier does); with one,
    // the outcome is the rollback's, and the cause of the failure is logged here.
    if (!this.opts.rollback) {
      errors.push(`restarting unit ${unit} during update: ${failure}`);
      return errors;
    }
    log.warn(`Restarting unit ${unit} with the updated image failed: ${failure}; rolling back`);
    for (const t of tasks) {
      try {
        await this.ce.images.tag(t.image.id, [t.rawImageName]);
        this.pulled.set(t.rawImageName, false);
      } catch (e) {
        errors.push(`rolling back image for container ${t.container.id} in unit ${unit}: ${errorMessage(e)}`);
      }
    }
    const again = await this.restart(unit);
    if (again) {
      for (const t of tasks) t.status = FAILED;
      errors.push(`restarting unit ${unit} during rollback: ${again}`);
      return errors;
    }
    for (const t of tasks) t.status = ROLLED_BACK;
    return errors;
  }

  private async updateAvailable(t: Task): Promise<boolean> {
    if (t.policy === 'local') {
      return digestOf(this.ce.images.lookup(t.rawImageName)) !== digestOf(t.image);
    }
    // Another container's check pulled this name already: it is newer.
    if (this.pulled.has(t.rawImageName)) return true;
    // As podman: a registry that cannot be asked (down, offline) means no update, not a failure.
    try {
      const { registryImageDigest } = require('../../image/manifest-list') as typeof import('../../image/manifest-list');
      const cfg = t.image.config;
      const remote = await registryImageDigest(this.ce.cfg, t.rawImageName, { os: cfg.os, arch: cfg.architecture, variant: cfg.variant }, this.registryOptions(t));
      return ![...t.image.digests, t.image.manifestDigest].includes(remote);
    } catch (e) {
      log.debug(`Error checking updates for image ${t.rawImageName}: ${errorMessage(e)} (ignoring error)`);
      return false;
    }
  }

  /** The registry policy pulls the name anew (once per run); the local one has its image already. */
  private async update(t: Task): Promise<void> {
    if (t.policy === 'local' || this.pulled.has(t.rawImageName)) return;
    await this.ce.images.pull(t.rawImageName, { ...this.registryOptions(t), progress: this.opts.progress });
    this.pulled.set(t.rawImageName, true);
  }

  private registryOptions(t: Task): { authfile?: string; tlsVerify?: boolean } {
    return { authfile: t.authfile ?? this.opts.authfile, tlsVerify: this.opts.tlsVerify };
  }

  /** Restarts the unit; the failure's text, or undefined when the job was done. */
  private async restart(unit: string): Promise<string | undefined> {
    try {
      this.manager ??= connectManager();
      await this.manager;
      await restartUnit(unit);
      log.info(`Successfully restarted systemd unit ${JSON.stringify(unit)}`);
      return undefined;
    } catch (e) {
      return errorMessage(e);
    }
  }
}
