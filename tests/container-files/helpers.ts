// A private store with the busybox image, the in-process container engine to create and
// run real containers, and the CLI (with the container file commands) for output checks.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, Result } from '../helpers/cli';
import { writeDockerArchive, busyboxImage } from '../fixtures/images';
import { resolveConfig } from '../../src/config/config';
import { LocalImageEngine } from '../../src/domain/local/images';
import { LocalContainerEngine } from '../../src/domain/local/containers';
import { LocalContainerFilesEngine } from '../../src/domain/local/container-files';
import type { CreateOptions } from '../../src/domain/containers';
import { closeAll } from '../../src/storage/db';

export const IMAGE = 'localhost/busybox:latest';
const HARNESS = path.join(__dirname, 'cli-harness.ts');

export class Env {
  readonly ts: TestStore;
  readonly images: LocalImageEngine;
  readonly engine: LocalContainerEngine;
  readonly files: LocalContainerFilesEngine;

  private constructor(readonly driver: 'overlay' | 'vfs') {
    this.ts = new TestStore({ driver });
    const cfg = resolveConfig({ root: this.ts.root, runroot: this.ts.runroot, storageDriver: driver, registriesConf: this.ts.registriesConf });
    this.images = new LocalImageEngine(cfg);
    this.engine = new LocalContainerEngine(cfg, this.images);
    this.files = new LocalContainerFilesEngine(this.engine);
  }

  /** A store holding localhost/busybox:latest. */
  static async create(driver: 'overlay' | 'vfs' = 'overlay'): Promise<Env> {
    const env = new Env(driver);
    const archive = path.join(env.ts.dir, 'busybox.tar');
    await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: [IMAGE] }]);
    await env.images.load(archive, {});
    return env;
  }

  get store() { return this.engine.store; }

  /** A host temp dir inside the test's own directory. */
  tmp(name: string): string {
    const d = path.join(this.ts.dir, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  /** Create (and with `start`, start) a busybox container running `cmd`. */
  async container(cmd: string[], opts: Partial<CreateOptions> & { start?: boolean } = {}): Promise<string> {
    const { start, ...o } = opts;
    const { id } = await this.engine.create({ image: IMAGE, command: cmd, ...o });
    if (start) await this.engine.lifecycle.start(id);
    return id;
  }

  /** Run a command in a running container; returns its stdout. */
  exec(id: string, cmd: string[]): string {
    const r = this.cli(['exec', id, ...cmd]);
    if (r.code !== 0) throw new Error(`exec ${cmd.join(' ')}: ${r.code} ${r.stderr}`);
    return r.stdout;
  }

  /** The CLI with the container file commands (output as bytes when `binary`). */
  cli(args: string[], opts: { input?: string | Buffer } = {}): Result {
    const r = spawnSync(process.execPath, ['--import', 'tsx', HARNESS, ...this.ts.globalArgs(), ...args],
      { env: this.ts.env(), input: opts.input, timeout: 120_000, maxBuffer: 256 * 1024 * 1024, cwd: path.resolve(__dirname, '..', '..') });
    return { code: r.status ?? -1, stdout: r.stdout?.toString('latin1') ?? '', stderr: r.stderr?.toString() ?? '' };
  }

  /** The CLI's stdout as raw bytes. */
  cliBytes(args: string[]): { code: number; stdout: Buffer; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', 'tsx', HARNESS, ...this.ts.globalArgs(), ...args],
      { env: this.ts.env(), timeout: 120_000, maxBuffer: 256 * 1024 * 1024, cwd: path.resolve(__dirname, '..', '..') });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
  }

  ok(args: string[], opts: { input?: string | Buffer } = {}): string {
    const r = this.cli(args, opts);
    if (r.code !== 0) throw new Error(`pier ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  async cleanup(): Promise<void> {
    for (const c of this.engine.containers.list()) {
      await this.engine.lifecycle.remove(c.id, { force: true, timeout: 0 }).catch(() => undefined);
    }
    closeAll();
    // conmon's exit commands (`pier container cleanup`) may still be opening the store.
    await eventually(() => !processesUsing(this.ts.dir), 20_000).catch(() => undefined);
    for (let i = 0; ; i++) {
      try { this.ts.cleanup(); return; } catch (e) {
        if (i >= 20) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

/** Whether a process (other than us) has `dir` on its command line. */
function processesUsing(dir: string): boolean {
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) return true;
    } catch { /* gone */ }
  }
  return false;
}

/** Entry names (and types) of a tar archive, via the system tar. */
export function tarList(file: string): string[] {
  const r = spawnSync('tar', ['-tf', file]);
  if (r.status !== 0) throw new Error(`tar -tf ${file}: ${r.stderr}`);
  return r.stdout.toString().split('\n').filter(Boolean);
}

export function tarListBuffer(buf: Buffer): string[] {
  const r = spawnSync('tar', ['-tf', '-'], { input: buf });
  if (r.status !== 0) throw new Error(`tar -tf -: ${r.stderr}`);
  return r.stdout.toString().split('\n').filter(Boolean);
}

/** Poll until fn() is truthy. */
export async function eventually<T>(fn: () => T, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
