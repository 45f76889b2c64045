/**
 * `--mount type=image,src=IMAGE,dst=PATH[,rw=true]`: an image's file system inside a container.
 *
 * At each start the image is looked up by the name the user gave (as podman does), its layers
 * are mounted through the image store's counted mount (the one `image mount` uses), and the
 * container gets a fresh overlay over that mount: read-only (two lower dirs, no upper), or
 * with `rw=true` writable into an upper dir that is thrown away when the container stops.
 * The overlay lives in the container's mount namespace, so an `image umount` on the host
 * meanwhile does not take the files away from a running container.
 *
 * Which image mounts a run holds is written to <run dir>/image-volumes.json, so releasing them
 * (cleanup, removal, a failed start) is idempotent: each run takes away exactly what it added.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Store } from '../storage/store';
import type { ContainerRecord } from './container-store';
import type { OciMount } from './spec/types';
import { containerDirs } from './rootfs';
import { mountImageLayer, unmountImageLayer } from '../storage/image-mount';
import { mustLookup, type SearchRegistries } from '../image/lookup';
import { NotFoundError, PierError, EXIT_CANNOT_INVOKE } from '../util/errors';
import { rmFile, rmTree } from '../util/rmtree';
import { overlayUserxattr } from '../storage/overlay-xattr';

const STATE = 'image-volumes.json';
const DIR = 'image-volumes';

/** A container mount of type `image` (ContainerConfig['mounts'][n]). */
interface ImageMountRef {
  type: string;
  source: string;
  destination: string;
  options: string[];
}

/** Whether the image mount is writable (`rw=true` / `readwrite=true`). */
export function imageMountWritable(m: { options: string[] }): boolean {
  return m.options.includes('rw');
}

function stateFile(store: Store, id: string): string {
  return path.join(containerDirs(store, id).run, STATE);
}

/**
 * Mount the images of the container's `image` mounts and return the overlay mounts for its
 * spec, keyed by destination. On failure whatever was mounted is released again.
 */
export function mountImageVolumes(store: Store, c: ContainerRecord, search: SearchRegistries): Map<string, OciMount> {
  const out = new Map<string, OciMount>();
  const refs = (c.config.mounts as ImageMountRef[]).filter((m) => m.type === 'image');
  if (!refs.length) return out;
  // Anything a previous run left (a crash before cleanup) goes first.
  releaseImageVolumes(store, c.id);
  const d = containerDirs(store, c.id);
  const held: string[] = [];
  const save = () => {
    fs.mkdirSync(d.run, { recursive: true, mode: 0o700 });
    fs.writeFileSync(stateFile(store, c.id), JSON.stringify(held));
  };
  try {
    refs.forEach((m, i) => {
      let mountPoint: string;
      let layer: string | null;
      try {
        layer = mustLookup(store, m.source, search).topLayer;
        mountPoint = mountImageLayer(store, layer);
      } catch (e) {
        const what = e instanceof NotFoundError ? 'creating' : 'mounting';
        throw new PierError(`${what} image volume "${m.source}":"${m.destination}": ${(e as Error).message}`, EXIT_CANNOT_INVOKE);
      }
      held.push(layer!);
      save();
      const dir = path.join(d.userdata, DIR, String(i));
      rmTree(dir);
      const options: string[] = [];
      if (imageMountWritable(m)) {
        for (const sub of ['upper', 'work']) fs.mkdirSync(path.join(dir, sub), { recursive: true, mode: 0o755 });
        options.push(`lowerdir=${mountPoint}`, `upperdir=${path.join(dir, 'upper')}`, `workdir=${path.join(dir, 'work')}`);
      } else {
        // No upper dir: overlayfs wants two lower dirs, and the mount is read-only.
        fs.mkdirSync(path.join(dir, 'lower'), { recursive: true, mode: 0o755 });
        options.push(`lowerdir=${mountPoint}:${path.join(dir, 'lower')}`);
      }
      options.push('private');
      if (overlayUserxattr()) options.push('userxattr');
      out.set(m.destination, { destination: m.destination, type: 'overlay', source: 'overlay', options });
    });
  } catch (e) {
    releaseImageVolumes(store, c.id);
    throw e;
  }
  return out;
}

/** Give back the image mounts this run of the container holds and drop its overlay dirs. */
export function releaseImageVolumes(store: Store, id: string): void {
  const file = stateFile(store, id);
  let layers: string[] = [];
  try { layers = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { /* none held */ }
  for (const layer of Array.isArray(layers) ? layers : []) {
    try { unmountImageLayer(store, layer, false); } catch { /* the layer is gone (image removed) */ }
  }
  // pier's own removal: fs.rmSync loads Node's rimraf module, a cost at every container's
  // cleanup, which nearly never has image mounts.
  rmFile(file);
  rmTree(path.join(containerDirs(store, id).userdata, DIR));
}
