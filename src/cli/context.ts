// What every command's run() receives: parsed global options and lazily created engines.
import { resolveConfig, EngineConfig, GlobalOptions } from '../config/config';
import type { ImageEngine } from '../domain/images';

export class Ctx {
  private _cfg?: EngineConfig;
  private _images?: ImageEngine;

  constructor(readonly globals: GlobalOptions, readonly commandName: string) {}

  get cfg(): EngineConfig {
    return (this._cfg ??= resolveConfig(this.globals));
  }

  /** The image engine: in-process (local) today; the remote client implements the same interface. */
  images(): ImageEngine {
    if (!this._images) {
      const { LocalImageEngine } = require('../domain/local/images') as typeof import('../domain/local/images');
      this._images = new LocalImageEngine(this.cfg);
    }
    return this._images;
  }

  out(s: string): void {
    if (s) process.stdout.write(s.endsWith('\n') ? s : s + '\n');
  }

  get stdoutIsTTY(): boolean {
    return !!process.stdout.isTTY;
  }
}
