// What the service keeps in memory between requests about the containers it started: the exits it
// saw (so waiters of auto-removed containers still learn the exit code), and in-process cleanup of
// auto-removed (--rm) containers as soon as they exit.
import { EventEmitter } from 'node:events';
import type { LocalContainerEngine } from '../../domain/local/containers';
import { waitForExit } from '../../engine/conmon';
import { log } from '../../util/log';

class ServiceState {
  /** Exit codes of containers seen exiting (id → code), kept for a while for wait?condition=removed. */
  readonly exits = new Map<string, { code: number; at: number }>();
  /** Emits `change` whenever a container's state may have changed (start, exit, removal). */
  readonly events = new EventEmitter();
  private watching = new Set<string>();
  /** Cleanup claims of the auto-removed containers this service started (see prepareStart). */
  private claims = new Map<string, () => void>();

  constructor() { this.events.setMaxListeners(0); }

  recordExit(id: string, code: number): void {
    this.exits.set(id, { code, at: Date.now() });
    const cutoff = Date.now() - 10 * 60_000;
    for (const [k, v] of this.exits) if (v.at < cutoff) this.exits.delete(k);
    this.changed();
  }

  changed(): void {
    this.events.emit('change');
  }

  /** Resolves on the next change or after `ms`. */
  nextChange(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.events.off('change', done); signal?.removeEventListener('abort', done); resolve(); };
      const t = setTimeout(done, ms);
      this.events.on('change', done);
      signal?.addEventListener('abort', done);
    });
  }

  /**
   * Before a start through the API: an auto-removed (--rm) container's exit command sees the
   * service alive through the attached marker and leaves the cleanup to watch().
   */
  prepareStart(engine: LocalContainerEngine, id: string): void {
    const lc = engine.lifecycle;
    if (!lc.containers.get(id)?.config.create.rm) return;
    this.claims.set(id, lc.claimCleanup(id));
  }

  /**
   * A start through the API failed: the claim goes, and an auto-removed (--rm) container is
   * removed as Docker's daemon does (the Docker CLI waits for that removal before it reports).
   */
  async startFailed(engine: LocalContainerEngine, id: string): Promise<void> {
    this.claims.get(id)?.();
    this.claims.delete(id);
    const rec = engine.lifecycle.containers.get(id);
    if (rec?.config.create.rm) {
      await engine.remove(id, { force: true, ignore: true, timeout: 0 }).catch((e) => log.debug(`removing ${id}: ${(e as Error).message}`));
      if (!engine.lifecycle.containers.get(id)) await engine.removeAnonymousVolumes(rec).catch(() => undefined);
    }
    this.changed();
  }

  /**
   * Watches a container the service started until it exits: records the exit code, and cleans
   * up and removes an auto-removed container right away in this process.
   */
  watch(engine: LocalContainerEngine, id: string): void {
    if (this.watching.has(id)) return;
    this.watching.add(id);
    const lc = engine.lifecycle;
    const rm = !!lc.containers.get(id)?.config.create.rm;
    (async () => {
      for (;;) {
        const code = await waitForExit(lc.exitDir, id, 2000).catch(() => null);
        if (code !== null) { this.recordExit(id, code); break; }
        if (!lc.containers.get(id)) return;
      }
      if (rm) {
        const rec = lc.containers.get(id);
        await engine.cleanup(id).catch((e) => log.debug(`cleanup of ${id}: ${(e as Error).message}`));
        if (rec && !lc.containers.get(id)) await engine.removeAnonymousVolumes(rec).catch(() => undefined);
      }
    })().catch(() => undefined).finally(() => {
      this.watching.delete(id);
      this.claims.get(id)?.();
      this.claims.delete(id);
      this.changed();
    });
  }
}

/** One state per process (a process runs one service). */
export const serviceState = new ServiceState();
