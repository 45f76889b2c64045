// Test stores for the container-ops suites: TestStore with busybox loaded. PIER_TEST_BIN
// points the suites at another build of the CLI (default: dist/pier.js).
import { spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PIER, Result, TestStore } from '../helpers/cli';
import { busyboxImage, multilayerImage, writeDockerArchive } from '../fixtures/images';

export const BIN = process.env.PIER_TEST_BIN || PIER;

export class OpsStore extends TestStore {
  override run(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Result {
    const o: SpawnSyncOptions = { env: this.env(opts.env), input: opts.input, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024 };
    const r = spawnSync(process.execPath, [BIN, ...this.globalArgs(), ...args], o);
    return { code: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
  }

  override runAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Result> & { child: ReturnType<typeof spawn> } {
    const child = spawn(process.execPath, [BIN, ...this.globalArgs(), ...args], { env: this.env(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const p = new Promise<Result>((resolve) => child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 137 : -1), stdout, stderr })));
    return Object.assign(p, { child });
  }

  /** Removes all containers, waits for processes using the store (conmon's cleanup, monitors), then removes it. */
  async dispose(): Promise<void> {
    this.run(['rm', '-a', '-f', '-t', '0']);
    await waitFor(() => storeProcesses(this.dir).length === 0, 15_000);
    for (let i = 0; ; i++) {
      try { this.cleanup(); return; } catch (e) {
        if (i >= 20) throw e;
        await sleep(250);
      }
    }
  }

  inspect(name: string, format: string): string {
    return this.ok(['inspect', '--format', format, name]).trim();
  }
}

/** A store with localhost/busybox:latest (and with `multilayer`, localhost/ml:latest). */
export async function storeWithBusybox(opts: { multilayer?: boolean } = {}): Promise<OpsStore> {
  const s = new OpsStore();
  const archive = path.join(s.dir, 'images.tar');
  const images = [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }];
  if (opts.multilayer) images.push({ image: await multilayerImage('docker'), repoTags: ['localhost/ml:latest'] });
  await writeDockerArchive(archive, images);
  s.ok(['load', '-q', '-i', archive]);
  fs.rmSync(archive);
  return s;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls fn until it returns a truthy value or the timeout passes (then returns the last value). */
export async function waitFor<T>(fn: () => T, timeoutMs: number, stepMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v || Date.now() > deadline) return v;
    await sleep(stepMs);
  }
}

/** Pids of processes whose command line mentions dir (pier commands on that store, conmon). */
export function storeProcesses(dir: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e: any) { return e.code === 'EPERM'; }
}
