/** Resolving paths inside a container's root file system without escaping it. */
import * as fs from 'node:fs';
import * as path from 'node:path';

const MAX_SYMLINKS = 255;

/**
 * Resolve `unsafePath` as if `root` were `/`: symlinks are followed but evaluated inside
 * `root` (absolute targets restart at `root`, `..` never climbs above it). Returns a host
 * path under `root`; the final component may not exist.
 */
export function resolveInRoot(root: string, unsafePath: string): string {
  const rootAbs = path.resolve(root);
  const pending = splitComponents(unsafePath);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') { resolved.pop(); continue; }
    const candidate = path.join(rootAbs, ...resolved, part);
    let st: fs.Stats | undefined;
    try { st = fs.lstatSync(candidate); } catch { st = undefined; }
    if (st === undefined || !st.isSymbolicLink()) { resolved.push(part); continue; }
    if (++links > MAX_SYMLINKS) throw new Error(`too many levels of symbolic links resolving ${unsafePath} in ${root}`);
    const target = fs.readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.unshift(...splitComponents(target));
  }
  return path.join(rootAbs, ...resolved);
}

/** Read a file inside `root` (see resolveInRoot); undefined when it does not exist or is not a regular file. */
export function readFileInRoot(root: string, unsafePath: string): string | undefined {
  const p = resolveInRoot(root, unsafePath);
  let fd: number;
  try {
    // O_NOFOLLOW: the last component was resolved above; refuse a symlink swapped in since.
    fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function splitComponents(p: string): string[] {
  return p.split('/').filter((c) => c !== '');
}
