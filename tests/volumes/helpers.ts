// Shared helpers for the volume suites: a CLI test store (the binary can be overridden with
// PIER_BIN, e.g. a build with unreleased commands) and temp-dir roots for in-process tests.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestStore, PIER, Result } from '../helpers/cli';
import { Store } from '../../src/storage/store';

export { Result };

const BIN = process.env.PIER_BIN || PIER;

/** TestStore running `BIN` (dist/pier.js unless PIER_BIN is set). */
export class VolStore extends TestStore {
  constructor() { super({ driver: 'vfs' }); }

  override run(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Result {
    const r = spawnSync(process.execPath, [BIN, ...this.globalArgs(), ...args], {
      env: this.env(opts.env), input: opts.input, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024,
    });
    return { code: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
  }

  override runAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Result> & { child: ReturnType<typeof spawn> } {
    const child = spawn(process.execPath, [BIN, ...this.globalArgs(), ...args], { env: this.env(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const p = new Promise<Result>((resolve) => child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 137 : -1), stdout, stderr })));
    return Object.assign(p, { child });
  }

  /** Run and require exit `code`; returns the result. */
  expect(args: string[], code: number, opts: { input?: string | Buffer } = {}): Result {
    const r = this.run(args, opts);
    if (r.code !== code) throw new Error(`pier ${args.join(' ')} exited ${r.code}, wanted ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  store(): Store {
    return new Store({ graphRoot: this.root, runRoot: this.runroot, driver: 'vfs' });
  }
}

/** Fresh graph/run roots under a temp dir (for in-process tests); `cleanup` unmounts and removes it. */
export function tempRoots(): { dir: string; graphRoot: string; runRoot: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-vol-'));
  const graphRoot = path.join(dir, 'root');
  const runRoot = path.join(dir, 'run');
  fs.mkdirSync(graphRoot);
  fs.mkdirSync(runRoot);
  return {
    dir, graphRoot, runRoot,
    cleanup: () => {
      const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(dir));
      for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Mount points (from /proc/self/mountinfo) with their fs type. */
export function mountsUnder(prefix: string): { target: string; fstype: string }[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    return { target: f[4], fstype: f[sep + 1] };
  }).filter((m) => m.target === prefix || m.target.startsWith(prefix + '/'));
}
