// Cross-process exclusive locks as lock files created with O_EXCL holding the owner's pid;
// a lock whose owner died is taken over. Used to serialise operations on one container.
//
// Within one process (the API service runs many requests at once) a lock is also exclusive
// between concurrent operations: waiters queue in the process before taking the file. It is
// re-entrant only for code running inside the operation that holds it (tracked through
// AsyncLocalStorage by withFileLock), never for an unrelated concurrent request.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AsyncLocalStorage } from 'node:async_hooks';
import { rmFile } from './rmtree';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e: any) { return e.code === 'EPERM'; }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One holding of a lock; `released` turns true when the holder lets go. */
interface Holding { released: boolean }

/** The locks held by the current operation (file → holding). */
const context = new AsyncLocalStorage<Map<string, Holding>>();
/** In-process queue per lock file: resolves when the current holder releases. */
const tails = new Map<string, Promise<void>>();

function heldHere(file: string): boolean {
  const h = context.getStore()?.get(file);
  return !!h && !h.released;
}

/** The pid in a lock file: 0 while its owner has not written it yet, null when there is no file. */
function lockOwner(file: string): number | null {
  try { return parseInt(fs.readFileSync(file, 'utf8'), 10) || 0; } catch { return null; }
}

/** Removes a lock whose owner died: renamed first (atomic), so of several removers only one wins. */
function breakStaleLock(file: string): void {
  const stale = `${file}.stale-${process.pid}`;
  try { fs.renameSync(file, stale); rmFile(stale); } catch { /* someone else did */ }
}

/** Removes the lock files in `dir` whose owner died (`system renumber`, `system migrate`). */
export function removeStaleLocks(dir: string): void {
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return; }
  for (const n of names) {
    if (n.includes('.stale-')) continue;
    const file = path.join(dir, n);
    const owner = lockOwner(file);
    if (owner && !alive(owner)) breakStaleLock(file);
  }
}

/** Takes the lock file itself (other processes). */
async function acquireFile(file: string, timeoutMs: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return;
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
    }
    const owner = lockOwner(file);
    if (owner === null) continue;
    if (owner && !alive(owner)) {
      // Take over a dead owner's lock.
      breakStaleLock(file);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${file}`);
    await sleep(delay);
  }
}

/** Exclusive in this process (queued) and across processes (the file). */
async function acquire(file: string, timeoutMs: number): Promise<() => void> {
  const prev = tails.get(file);
  let releaseLocal!: () => void;
  const mine = new Promise<void>((r) => { releaseLocal = r; });
  const tail = (prev ?? Promise.resolve()).then(() => mine);
  tails.set(file, tail);
  const dropLocal = () => { releaseLocal(); if (tails.get(file) === tail) tails.delete(file); };
  try {
    if (prev) await prev;
    await acquireFile(file, timeoutMs);
  } catch (e) {
    dropLocal();
    throw e;
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    rmFile(file);
    dropLocal();
  };
}

/**
 * Acquire the lock at `file`; returns a release function. Re-entrant when the calling
 * operation already holds it through withFileLock.
 */
export async function lock(file: string, timeoutMs = 300_000): Promise<() => void> {
  if (heldHere(file)) return () => undefined;
  return acquire(file, timeoutMs);
}

/** Runs `fn` holding the lock at `file`; nested withFileLock/lock calls on the same file inside `fn` are re-entrant. */
export async function withFileLock<T>(file: string, fn: () => T | Promise<T>, timeoutMs = 300_000): Promise<T> {
  if (heldHere(file)) return fn();
  const release = await acquire(file, timeoutMs);
  const holding: Holding = { released: false };
  const held = new Map(context.getStore() ?? []);
  held.set(file, holding);
  try {
    return await context.run(held, fn);
  } finally {
    holding.released = true;
    release();
  }
}
