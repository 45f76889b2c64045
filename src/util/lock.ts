// Cross-process exclusive locks as lock files created with O_EXCL holding the owner's pid;
// a lock whose owner died is taken over. Used to serialise operations on one container.
import * as fs from 'node:fs';
import * as path from 'node:path';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e: any) { return e.code === 'EPERM'; }
}

const held = new Map<string, number>();

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Acquire the lock at `file` (re-entrant within this process); returns a release function. */
export async function lock(file: string, timeoutMs = 300_000): Promise<() => void> {
  const depth = held.get(file);
  if (depth) { held.set(file, depth + 1); return () => release(file); }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      held.set(file, 1);
      return () => release(file);
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
    }
    let owner = 0;
    try { owner = parseInt(fs.readFileSync(file, 'utf8'), 10); } catch { continue; }
    if (owner && !alive(owner)) {
      // Take over a dead owner's lock: rename is atomic, so only one process wins.
      const stale = `${file}.stale-${process.pid}`;
      try { fs.renameSync(file, stale); fs.rmSync(stale, { force: true }); } catch { /* someone else did */ }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${file}`);
    await sleep(delay);
  }
}

function release(file: string): void {
  const depth = held.get(file) ?? 0;
  if (depth > 1) { held.set(file, depth - 1); return; }
  held.delete(file);
  fs.rmSync(file, { force: true });
}
