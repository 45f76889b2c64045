// What every command's run() receives: parsed global options and lazily created engines.
import { resolveConfig, EngineConfig, GlobalOptions } from '../config/config';
import { trace } from '../util/log';
import type { ImageEngine } from '../domain/images';
import type { ContainerEngine } from '../domain/containers';
import type { VolumeEngine } from '../domain/volumes';
import type { Engines } from '../domain/engines';
import type { LocalEngines } from '../domain/local/engines';

export class Ctx {
  private _cfg?: EngineConfig;
  private _engines?: LocalEngines;

  constructor(readonly globals: GlobalOptions, readonly commandName: string) {}

  get cfg(): EngineConfig {
    if (!this._cfg) { trace('config'); this._cfg = resolveConfig(this.globals); trace('config resolved'); }
    return this._cfg;
  }

  /** The engines behind the domain interface: in-process (local) today; a remote client implements the same. */
  get engines(): Engines {
    if (!this._engines) {
      const { LocalEngines } = require('../domain/local/engines') as typeof import('../domain/local/engines');
      this._engines = new LocalEngines(this.cfg);
    }
    return this._engines;
  }

  images(): ImageEngine {
    return this.engines.images();
  }

  volumes(): VolumeEngine {
    return this.engines.volumes();
  }

  containers(): ContainerEngine {
    return this.engines.containers();
  }

  pods(): import('../domain/pods').PodEngine {
    return this.engines.pods();
  }

  out(s: string): void {
    if (s) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  get stdoutIsTTY(): boolean {
    return !!process.stdout.isTTY;
  }
}
