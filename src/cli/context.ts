// What every command's run() receives: parsed global options and lazily created engines.
import { resolveConfig, EngineConfig, GlobalOptions } from '../config/config';
import { trace } from '../util/log';
import type { ImageEngine } from '../domain/images';
import type { ContainerEngine } from '../domain/containers';

export class Ctx {
  private _cfg?: EngineConfig;
  private _images?: ImageEngine;
  private _containers?: ContainerEngine;

  constructor(readonly globals: GlobalOptions, readonly commandName: string) {}

  get cfg(): EngineConfig {
    if (!this._cfg) { trace('config'); this._cfg = resolveConfig(this.globals); trace('config resolved'); }
    return this._cfg;
  }

  /** The image engine: in-process (local) today; the remote client implements the same interface. */
  images(): ImageEngine {
    if (!this._images) {
      const { LocalImageEngine } = require('../domain/local/images') as typeof import('../domain/local/images');
      const engine = new LocalImageEngine(this.cfg);
      // Images used by containers are protected from removal.
      engine.containersUsing = (id: string) => (this.containers() as any).imagesInUse().get(id) ?? [];
      this._images = engine;
    }
    return this._images;
  }

  /** The volume engine (local, in-process); removing in-use volumes with -f removes their containers. */
  volumes(): import('../domain/volumes').VolumeEngine {
    const { LocalVolumeEngine } = require('../domain/local/volumes') as typeof import('../domain/local/volumes');
    const c = this.containers() as import('../domain/local/containers').LocalContainerEngine;
    return new LocalVolumeEngine(c.store, { removeContainer: async (id: string, t?: number) => { await c.remove(id, { force: true, timeout: t }); } });
  }

  /** The container engine (local, in-process). */
  containers(): ContainerEngine {
    if (!this._containers) {
      const { LocalContainerEngine } = require('../domain/local/containers') as typeof import('../domain/local/containers');
      this._containers = new LocalContainerEngine(this.cfg, this.images() as import('../domain/local/images').LocalImageEngine);
    }
    return this._containers;
  }

  out(s: string): void {
    if (s) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  get stdoutIsTTY(): boolean {
    return !!process.stdout.isTTY;
  }
}
