// A lean recursive remove for small trees (a container's dirs): one readdir per directory
// and one unlink or rmdir per entry. Node 20's fs.rmSync walks with lstat before every
// removal and retries, 2-4x slower on the 20-odd entries a container leaves behind.

import * as fs from 'node:fs';
import { nativeWith } from './native';

/** `rm -f p` for a file (not a directory): a missing file is not an error. Node 20's
 * fs.rmSync loads its rimraf module even for one file. */
export function rmFile(p: string): void {
  try { fs.unlinkSync(p); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
}

/** `rm -rf p`: never follows symlinks; a missing path is not an error. */
export function rmTree(p: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(p, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') { rmFile(p); return; }
    // An unreadable directory (a mode-000 overlay work dir as non-root): Node's walk copes.
    fs.rmSync(p, { recursive: true, force: true });
    return;
  }
  const prefix = p.endsWith('/') ? p : `${p}/`;
  for (const d of entries) {
    const child = prefix + d.name;
    if (d.isDirectory()) rmTree(child);
    else rmFile(child);
  }
  try {
    fs.rmdirSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    // Something appeared meanwhile: fall back to Node's walk, which retries.
    if (code === 'ENOTEMPTY') fs.rmSync(p, { recursive: true, force: true });
    else throw e;
  }
}

/**
 * rmdir(2) of each (empty) directory, cgroups say, on a thread-pool thread so the caller can go
 * on meanwhile (cgroup removal takes some ms per controller). Missing ones are fine; the first
 * failure rejects with its errno code (the rest is still attempted).
 */
export async function rmdirsAsync(dirs: string[]): Promise<void> {
  const addon = nativeWith('rmdirsAsync');
  if (!addon) {
    for (const d of dirs) {
      try { fs.rmdirSync(d); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
    }
    return;
  }
  const failed = await addon.rmdirsAsync(dirs);
  if (failed) {
    const [code, ...p] = failed.split(' ');
    throw Object.assign(new Error(`${code}: rmdir '${p.join(' ')}'`), { code, path: p.join(' ') });
  }
}
