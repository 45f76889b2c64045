// Removing containers' cgroups that were left behind (a conmon killed before its cleanup ran,
// a host crash): empty `pier-<id>` directories under the cgroup parent, in every hierarchy.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CGROUP_PARENT } from './spec';
import { log } from '../util/log';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The parent's directory in each mounted hierarchy (v1 controllers, the v2 tree). */
function parentDirs(root: string, parent: string): string[] {
  const out: string[] = [];
  const direct = path.join(root, parent);
  if (fs.existsSync(direct)) out.push(direct);
  let entries: fs.Dirent[] = [];
  try { entries = fs.readdirSync(root, { withFileTypes: true }); } catch { /* no cgroupfs */ }
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = path.join(root, e.name, parent);
    if (dir !== direct && fs.existsSync(dir)) out.push(dir);
  }
  return out;
}

/**
 * Removes the `pier-<id>` cgroups under the parent (and in its pods' cgroups) that hold no process and are older than
 * `minAgeMs`. The kernel refuses to remove a cgroup with processes or children (EBUSY), so a
 * running container's cgroup is never touched; the age keeps clear of a container being
 * created right now (runc makes its cgroups before it moves the process in), from any store on
 * the host. Returns the directories removed.
 */
export function sweepStaleCgroups(opts: { root?: string; parent?: string; minAgeMs?: number; now?: number } = {}): string[] {
  const minAge = opts.minAgeMs ?? 60_000;
  const now = opts.now ?? Date.now();
  const removed: string[] = [];
  const parents = parentDirs(opts.root ?? CGROUP_ROOT, opts.parent ?? DEFAULT_CGROUP_PARENT);
  const dirs = [...parents];
  for (let i = 0; i < dirs.length; i++) {
    const dir = dirs[i];
    let names: string[];
    try { names = fs.readdirSync(dir); } catch { continue; }
    for (const name of names) {
      // A pod's cgroup (<parent>/<pod id>) holds its members': looked into, never removed here
      // (a pod not started yet has an empty one that carries its limits).
      if (/^[0-9a-f]{64}$/.test(name) && parents.includes(dir)) {
        dirs.push(path.join(dir, name));
        continue;
      }
      if (!/^pier-[0-9a-f]{64}$/.test(name)) continue;
      const cg = path.join(dir, name);
      try {
        if (now - fs.statSync(cg).mtimeMs < minAge) continue;
        fs.rmdirSync(cg);
        removed.push(cg);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EBUSY' && code !== 'ENOENT' && code !== 'ENOTEMPTY') log.debug(`removing stale cgroup ${cg}: ${(e as Error).message}`);
      }
    }
  }
  return removed;
}
