// Running the built pier CLI in tests, each test with its own --root and --runroot.
import { spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { before, after } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Blocks this thread for `ms` (the helpers here are synchronous, like spawnSync). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export const REPO = path.resolve(__dirname, '..', '..');
export const PIER = path.join(REPO, 'dist', 'pier.js');
/** PIER_TEST_REMOTE=1: every TestStore command goes through a `pier system service` (remote mode). */
export const REMOTE = process.env.PIER_TEST_REMOTE === '1';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** A private pier store for one test (or suite); `cleanup()` removes it. */
export class TestStore {
  readonly dir: string;
  readonly root: string;
  readonly runroot: string;
  /** An empty registries.conf so the host's configuration never leaks into tests. */
  readonly registriesConf: string;
  readonly authfile: string;

  constructor(opts: { driver?: string } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-test-'));
    this.root = path.join(this.dir, 'root');
    this.runroot = path.join(this.dir, 'run');
    this.registriesConf = path.join(this.dir, 'registries.conf');
    this.authfile = path.join(this.dir, 'auth.json');
    fs.writeFileSync(this.registriesConf, 'unqualified-search-registries = []\n');
    this.driver = opts.driver;
  }

  readonly driver?: string;

  /** The store's own options: what a local command (or the service, in remote mode) runs with. */
  localArgs(): string[] {
    return ['--root', this.root, '--runroot', this.runroot, '--registries-conf', this.registriesConf,
      ...(this.driver ? ['--storage-driver', this.driver] : [])];
  }

  /**
   * Every command's global options. With PIER_TEST_REMOTE=1 they add `--url` to a
   * `pier system service` this store starts for its own root (the local options stay, so
   * local-only commands such as `container cleanup` still act on the same store).
   */
  globalArgs(): string[] {
    return REMOTE ? ['--url', `unix://${this.service()}`, ...this.localArgs()] : this.localArgs();
  }

  private svc?: { socket: string; child: ReturnType<typeof spawn> };

  /** Starts (once) the service for this store; returns its socket. */
  service(): string {
    if (this.svc) return this.svc.socket;
    const socket = path.join(this.dir, 'api.sock');
    const log = fs.openSync(path.join(this.dir, 'service.log'), 'a');
    const child = spawn(process.execPath, [PIER, ...this.localArgs(), 'system', 'service', '--time', '900', `unix://${socket}`],
      { env: this.env(), stdio: ['ignore', log, log] });
    fs.closeSync(log);
    child.unref();
    const stop = () => { if (child.exitCode === null) child.kill('SIGTERM'); };
    process.once('exit', stop);
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(socket)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`pier system service did not start: ${fs.readFileSync(path.join(this.dir, 'service.log'), 'utf8')}`);
      }
      sleepSync(20);
    }
    this.svc = { socket, child };
    return socket;
  }

  /** Stops the store's service (remote mode), waiting for it to exit. */
  stopService(): void {
    const c = this.svc?.child;
    if (!c || c.exitCode !== null || c.pid === undefined) return;
    c.kill('SIGTERM');
    for (let i = 0; i < 250; i++) {
      try { process.kill(c.pid, 0); } catch { break; }
      sleepSync(20);
    }
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...process.env, REGISTRY_AUTH_FILE: this.authfile, NODE_EXTRA_CA_CERTS: '', ...extra };
  }

  /** Run `pier ARGS` synchronously. */
  run(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Result {
    const o: SpawnSyncOptions = { env: this.env(opts.env), input: opts.input, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024 };
    const r = spawnSync(process.execPath, [PIER, ...this.globalArgs(), ...args], o);
    return { code: r.status ?? (r.signal ? 128 : -1), stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
  }

  /** Run `pier ARGS` asynchronously (for concurrency tests). */
  runAsync(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Result> & { child: ReturnType<typeof spawn> } {
    const child = spawn(process.execPath, [PIER, ...this.globalArgs(), ...args], { env: this.env(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const p = new Promise<Result>((resolve) => child.on('close', (code, sig) => resolve({ code: code ?? (sig ? 137 : -1), stdout, stderr })));
    return Object.assign(p, { child });
  }

  /** Run and require exit 0; returns stdout. */
  ok(args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): string {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`pier ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    this.stopService();
    // Unmount anything a test left mounted under the store before removing it.
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(this.dir));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    // A container's conmon and its exit command (`pier container cleanup`) may still be writing
    // into the store: wait for every process that names the store, then remove it. rmSync's own
    // retries never re-read a directory, so a file created after its readdir would fail it: loop.
    this.waitForStoreProcesses();
    for (let i = 0; ; i++) {
      try {
        fs.rmSync(this.dir, { recursive: true, force: true });
        return;
      } catch (e) {
        if (i >= 20 || !['ENOTEMPTY', 'EBUSY'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
        sleepSync(100);
      }
    }
  }

  /** Processes (conmon, a late `container cleanup`) whose command line names this store. */
  storeProcesses(): number[] {
    const pids: number[] = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
      try {
        if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(this.dir + '/')) pids.push(Number(d));
      } catch { /* gone */ }
    }
    return pids;
  }

  /** Waits up to 10 s for storeProcesses() to end; kills what is left (a test that leaked a container). */
  private waitForStoreProcesses(): void {
    const deadline = Date.now() + 10_000;
    let pids = this.storeProcesses();
    while (pids.length && Date.now() < deadline) {
      sleepSync(50);
      pids = this.storeProcesses();
    }
    for (const pid of pids) {
      try { process.stderr.write(`leftover process of ${this.dir} killed: ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 200)}\n`); } catch { /* gone */ }
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

/** A TestStore with the fixture busybox image loaded as localhost/busybox:latest. */
export async function busyboxStore(opts: { driver?: string } = {}): Promise<TestStore> {
  const { busyboxImage, writeDockerArchive } = await import('../fixtures/images');
  const s = new TestStore(opts);
  const archive = path.join(s.dir, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  s.ok(['load', '-q', '-i', archive]);
  return s;
}

/**
 * A busybox store for a whole test file: made before its tests, handed to `assign`; after them
 * its pods and containers are removed (-f, -t 0) and the store deleted.
 */
export function busyboxStoreForFile(assign: (s: TestStore) => void, opts: { driver?: string } = {}): void {
  let s: TestStore | undefined;
  before(async () => {
    s = await busyboxStore(opts);
    assign(s);
  });
  after(() => {
    if (!s) return;
    s.run(['pod', 'rm', '-a', '-f', '-t', '0']);
    s.run(['rm', '-a', '-f', '-t', '0']);
    s.cleanup();
  });
}
