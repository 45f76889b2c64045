// Read-only mounts of an image's layers (`pier image mount`), counted per top layer as
// containers/storage counts layer mounts: each mount adds one, each unmount takes one away,
// and the file system goes when none is left (or on a forced unmount). overlay mounts the
// layers at <graph root>/overlay/<top layer>/merged; vfs hands out the layer's own tree.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from './store';
import { immediate } from './db';
import { native } from '../util/native';
import { overlayUserxattr } from './overlay-xattr';
import { PierError } from '../util/errors';
import { isMountPoint } from '../util/mountinfo';

/** Where the counts live: the run root, so they go with the mounts at reboot. */
function countFile(store: Store, layer: string): string {
  return path.join(store.runRoot, 'image-mounts', layer);
}

function readCount(store: Store, layer: string): number {
  try {
    const n = parseInt(fs.readFileSync(countFile(store, layer), 'utf8'), 10);
    return Number.isFinite(n) && n > 0 ? n : 0;
  } catch {
    return 0;
  }
}

function writeCount(store: Store, layer: string, n: number): void {
  const file = countFile(store, layer);
  if (n <= 0) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, String(n));
}

/** The path an image with this top layer is (or would be) mounted at. */
function mountPointOf(store: Store, layer: string): string {
  return store.driver === 'overlay' ? path.join(store.layers.driverDir, layer, 'merged') : store.layers.diffDir(layer);
}

/** The mount point of the layer when `image mount` holds it, else ''. */
export function mountedImagePath(store: Store, layer: string | null): string {
  if (!layer || readCount(store, layer) === 0) return '';
  const target = mountPointOf(store, layer);
  return store.driver !== 'overlay' || isMountPoint(target) ? target : '';
}

/** Mount the layer read-only (once) and count one more user; returns the mount point. */
export function mountImageLayer(store: Store, layer: string | null): string {
  if (!layer) throw new PierError('image has no layers to mount');
  // The database's write lock serialises concurrent mounts and unmounts of the store.
  return immediate(store.db, () => {
    const target = mountPointOf(store, layer);
    if (store.driver === 'overlay' && !isMountPoint(target)) {
      const overlayDir = store.layers.driverDir;
      const chain = store.layers.chain(layer).reverse();
      const lowers = [path.join(layer, 'diff'), ...chain.slice(1).map((l) => `l/${l.link}`)];
      // Without an upper dir overlayfs wants two lower dirs at least.
      if (lowers.length < 2) {
        fs.mkdirSync(path.join(overlayDir, 'empty'), { recursive: true });
        lowers.push('empty');
      }
      const data = `lowerdir=${lowers.join(':')}${overlayUserxattr()}`;
      if (data.length > 4000) throw new PierError(`too many image layers (${lowers.length}) to mount`);
      fs.mkdirSync(target, { recursive: true, mode: 0o755 });
      // Relative lower dirs keep the option string short; the kernel resolves them from our cwd.
      const cwd = process.cwd();
      process.chdir(overlayDir);
      try {
        native().mount('overlay', target, 'overlay', native().constants.MS_RDONLY, data);
      } catch (e: any) {
        throw new PierError(`mounting image layer ${layer}: ${e.message}`);
      } finally {
        process.chdir(cwd);
      }
    }
    writeCount(store, layer, readCount(store, layer) + 1);
    return target;
  });
}

function unmountTarget(target: string): void {
  for (let i = 0; i < 10 && isMountPoint(target); i++) {
    try {
      native().umount2(target, 0);
    } catch (e: any) {
      if (e.code === 'EBUSY') native().umount2(target, native().constants.MNT_DETACH);
      else if (e.code !== 'EINVAL') throw new PierError(`unmounting image layer: ${e.message}`);
    }
  }
}

/** One user fewer (all with `force`); the file system is unmounted when none is left. */
export function unmountImageLayer(store: Store, layer: string, force: boolean): void {
  immediate(store.db, () => {
    const n = force ? 0 : Math.max(0, readCount(store, layer) - 1);
    if (n === 0 && store.driver === 'overlay') unmountTarget(mountPointOf(store, layer));
    writeCount(store, layer, n);
  });
}

/** Drop any image mount of a layer about to be deleted (its directory goes with it). */
export function releaseImageLayer(store: Store, layer: string): void {
  if (!fs.existsSync(countFile(store, layer))) return;
  if (store.driver === 'overlay') unmountTarget(mountPointOf(store, layer));
  writeCount(store, layer, 0);
}
