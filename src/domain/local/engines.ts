// The in-process engines, created lazily so a command only loads what it uses.
import type { EngineConfig } from '../../config/config';
import type { Engines } from '../engines';
import type { ImageEngine } from '../images';
import type { ContainerEngine } from '../containers';
import type { VolumeEngine } from '../volumes';
import type { PodEngine } from '../pods';
import type { BuildEngine } from '../build';
import type { NetworkEngine } from '../networks';
import type { SecretEngine } from '../secrets';
import type { GenerateEngine } from '../generate';
import type { KubeEngine } from '../kube';
import type { LocalNetworkEngine } from './networks';
import type { LocalImageEngine } from './images';
import type { LocalContainerEngine } from './containers';
import { PierError, errorMessage } from '../../util/errors';

export class LocalEngines implements Engines {
  private _images?: LocalImageEngine;
  private _containers?: LocalContainerEngine;
  private _networks?: LocalNetworkEngine;

  constructor(readonly cfg: EngineConfig) {
    // As podman: a runtime named by --runtime or containers.conf that cannot be found fails every
    // command up front, before anything is created (`default OCI runtime "X" not found`). Only a
    // lookup of the name; the first-usable-runtime probe stays lazy.
    const name = cfg.runtime || cfg.engine.engine?.runtime;
    if (name) {
      const { findRuntime } = require('../../engine/runtime') as typeof import('../../engine/runtime');
      findRuntime({ name, runtimes: cfg.engine.engine?.runtimes });
    }
  }

  images(): ImageEngine {
    if (!this._images) {
      const { LocalImageEngine } = require('./images') as typeof import('./images');
      const engine = new LocalImageEngine(this.cfg);
      // Images used by containers are protected from removal.
      engine.containersUsing = (id: string) => this.containers().imagesInUse().get(id) ?? [];
      engine.removeContainersUsing = (id: string) => this.removeContainersUsing(id);
      engine.isExternalContainer = (id: string) => !!(this.containers() as LocalContainerEngine).containers.get(id)?.external;
      engine.removeExternalContainer = async (id: string) => { await (this.containers() as LocalContainerEngine).lifecycle.remove(id, { force: true, timeout: 0 }); };
      this._images = engine;
    }
    return this._images;
  }

  /**
   * `rmi --force` of an image in use: each container using it is force-removed, and an infra
   * container takes its whole pod with it (libpod's RemoveContainersForImageCallback).
   */
  private async removeContainersUsing(imageId: string): Promise<void> {
    const ce = this.containers() as LocalContainerEngine;
    for (const id of ce.imagesInUse().get(imageId) ?? []) {
      const c = ce.containers.get(id);
      if (!c) continue; // gone with a pod removed before
      try {
        if (c.config.isInfra && c.podId) await this.pods().remove(c.podId, { force: true, ignore: true });
        else await ce.remove(id, { force: true, ignore: true });
      } catch (e) {
        throw new PierError(`removing image ${imageId}: container ${id} using image could not be removed: ${errorMessage(e)}`);
      }
    }
  }

  containers(): ContainerEngine {
    if (!this._containers) {
      const { LocalContainerEngine } = require('./containers') as typeof import('./containers');
      this._containers = new LocalContainerEngine(this.cfg, this.images() as LocalImageEngine);
    }
    return this._containers;
  }

  /** Removing in-use volumes with -f removes their containers. */
  volumes(): VolumeEngine {
    const { LocalVolumeEngine } = require('./volumes') as typeof import('./volumes');
    const c = this.containers() as LocalContainerEngine;
    return new LocalVolumeEngine(c.store, { removeContainer: async (id: string, t?: number) => { await c.remove(id, { force: true, timeout: t }); } });
  }

  pods(): PodEngine {
    const { LocalPodEngine } = require('./pods') as typeof import('./pods');
    return new LocalPodEngine(this.containers() as LocalContainerEngine);
  }

  build(): BuildEngine {
    const { LocalBuildEngine } = require('./build') as typeof import('./build');
    return new LocalBuildEngine(this.containers() as LocalContainerEngine);
  }

  secrets(): SecretEngine {
    const { LocalSecretEngine } = require('./secrets') as typeof import('./secrets');
    const store = (this.images() as LocalImageEngine).store;
    return new LocalSecretEngine(store.db, store.graphRoot);
  }

  generate(): GenerateEngine {
    const { LocalGenerateEngine } = require('./generate') as typeof import('./generate');
    return new LocalGenerateEngine(this.containers() as LocalContainerEngine);
  }

  kube(): KubeEngine {
    const { LocalKubeEngine } = require('./kube') as typeof import('./kube');
    return new LocalKubeEngine(this.containers() as LocalContainerEngine, this);
  }

  networks(): NetworkEngine {
    if (!this._networks) {
      const { LocalNetworkEngine } = require('./networks') as typeof import('./networks');
      this._networks = new LocalNetworkEngine(this.cfg, () => this.containers() as LocalContainerEngine);
    }
    return this._networks;
  }
}
