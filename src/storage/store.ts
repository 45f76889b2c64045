// The store: one graph root holding the metadata database, layers and images.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDb, DB, immediate } from './db';
import { LayerStore, Driver } from './layers';
import { ImageStore } from './images';
import { PierError } from '../util/errors';
import { native } from '../util/native';
import { overlayUserxattr } from './overlay-xattr';
import { log, trace } from '../util/log';

export interface StoreOptions {
  graphRoot: string;
  runRoot: string;
  /** Requested driver ('' = keep the store's, else detect). */
  driver?: string;
  /** Where named volumes live (--volumepath, containers.conf volume_path); default <graphRoot>/volumes. */
  volumePath?: string;
  /** containers.conf `[engine.volume_plugins]` (name → socket) and `volume_plugin_timeout`. */
  volumePlugins?: Record<string, string>;
  volumePluginTimeout?: number;
}

/** Whether the kernel's overlayfs works with upper dirs under `root`. */
export function overlaySupported(root: string): boolean {
  const base = fs.mkdtempSync(path.join(root, '.overlay-check-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(path.join(base, d));
    fs.writeFileSync(path.join(base, 'lower', 'f'), 'x');
    native().mount('overlay', path.join(base, 'merged'), 'overlay', 0,
      `lowerdir=${path.join(base, 'lower')},upperdir=${path.join(base, 'upper')},workdir=${path.join(base, 'work')}${overlayUserxattr()}`);
    native().umount2(path.join(base, 'merged'), 0);
    return true;
  } catch (e: any) {
    log.debug(`overlay not supported under ${root}: ${e.message}`);
    return false;
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

export class Store {
  readonly db: DB;
  readonly layers: LayerStore;
  readonly images: ImageStore;
  readonly driver: Driver;
  readonly tmpDir: string;

  constructor(readonly opts: StoreOptions) {
    fs.mkdirSync(opts.graphRoot, { recursive: true, mode: 0o700 });
    trace('store: open db');
    this.db = openDb(opts.graphRoot);
    trace('store: db open');
    this.driver = this.chooseDriver(opts.driver ?? '');
    this.layers = new LayerStore(opts.graphRoot, this.db, this.driver);
    this.images = new ImageStore(this.db);
    this.tmpDir = path.join(opts.graphRoot, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true, mode: 0o700 });
    this.layers.cleanupStaging();
    trace('store: ready');
  }

  get graphRoot(): string { return this.opts.graphRoot; }
  get runRoot(): string { return this.opts.runRoot; }
  get volumePath(): string { return this.opts.volumePath ?? path.join(this.opts.graphRoot, 'volumes'); }
  get volumePlugins(): Record<string, string> | undefined { return this.opts.volumePlugins; }
  get volumePluginTimeout(): number | undefined { return this.opts.volumePluginTimeout; }

  private meta(key: string): string | undefined {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as any;
    return r?.value;
  }

  private chooseDriver(requested: string): Driver {
    if (requested && requested !== 'overlay' && requested !== 'vfs') {
      throw new PierError(`unknown storage driver "${requested}": supported drivers are overlay and vfs`);
    }
    const recorded = this.meta('driver') as Driver | undefined;
    if (recorded) {
      if (requested && requested !== recorded) {
        throw new PierError(`database storage graph driver "${recorded}" does not match our storage graph driver "${requested}": database configuration mismatch`);
      }
      return recorded;
    }
    const driver: Driver = (requested as Driver) || (overlaySupported(this.opts.graphRoot) ? 'overlay' : 'vfs');
    return immediate(this.db, () => {
      const again = this.meta('driver') as Driver | undefined;
      if (again) return again;
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('driver', driver);
      return driver;
    });
  }

  /** Delete an image record and the layers only it used; remove their files afterwards. */
  deleteImage(id: string, layerInUse: (layerId: string) => boolean = () => false): void {
    const img = this.images.get(id);
    if (!img) return;
    const paths = immediate(this.db, () => {
      this.images.delete(id);
      return this.layers.removeUnused(img.topLayer, (l) => this.images.usesTopLayer(l) || layerInUse(l));
    });
    // A layer still mounted by `image mount` is unmounted before its directory goes.
    const { releaseImageLayer } = require('./image-mount') as typeof import('./image-mount');
    for (const p of paths) if (path.dirname(p) === this.layers.driverDir) releaseImageLayer(this, path.basename(p));
    for (const p of paths) fs.rmSync(p, { recursive: true, force: true });
  }
}
