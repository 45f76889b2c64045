// Test fixtures for the conmon/runtime suites: a busybox bundle with a hand-written minimal
// OCI config, per-test directories, and cleanup of everything a test started.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { findRuntime, OciRuntime, runtimeDelete } from '../../src/engine/runtime';
import { findConmon, processAlive, readPidFile, CreateContainerOptions } from '../../src/engine/conmon';

export const BUSYBOX = '/bin/busybox';
const APPLETS = ['sh', 'echo', 'cat', 'sleep', 'ls', 'true', 'false', 'id', 'env', 'kill', 'stty', 'tty', 'printf', 'head', 'wc', 'test'];

/** A unique container id. */
export function uniqueId(prefix = 'pier-t'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** Builds a rootfs from busybox-static with applet symlinks. */
export function makeRootfs(dir: string): void {
  for (const d of ['bin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.copyFileSync(BUSYBOX, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(dir, 'bin', a));
  fs.writeFileSync(path.join(dir, 'bin', 'noexec'), '#!/bin/sh\necho never\n', { mode: 0o644 });
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
}

/** A minimal OCI runtime config (not src/engine/spec.ts: these tests stand alone). */
export function minimalConfig(args: string[], opts: { terminal?: boolean; id: string }): object {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: !!opts.terminal,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/bin', 'TERM=xterm', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'pier-test',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      cgroupsPath: `/pier-test/${opts.id}`,
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: ['/proc/kcore', '/proc/keys'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** Everything one test container needs: dirs, ids, runtime, and a cleanup. */
export interface Fixture {
  id: string;
  root: string;
  bundle: string;
  stateRoot: string;
  exitDir: string;
  persistDir: string;
  logPath: string;
  runtime: OciRuntime;
  conmonPath: string;
  /** Options for createContainer with this fixture's paths. */
  createOptions(extra?: Partial<CreateContainerOptions>): CreateContainerOptions;
  cleanup(): Promise<void>;
}

let cachedRuntime: OciRuntime | undefined;

export function testRuntime(): OciRuntime {
  cachedRuntime ??= findRuntime({});
  return cachedRuntime;
}

/** Makes a fresh bundle running `args` and the directories around it. */
export function makeFixture(args: string[], opts: { terminal?: boolean } = {}): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-conmon-'));
  const id = uniqueId();
  const bundle = path.join(root, 'bundle');
  fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  makeRootfs(path.join(bundle, 'rootfs'));
  fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(minimalConfig(args, { terminal: opts.terminal, id })));
  const fx: Fixture = {
    id,
    root,
    bundle,
    stateRoot: path.join(root, 'runtime-state'),
    exitDir: path.join(root, 'exits'),
    persistDir: path.join(root, 'persist'),
    logPath: path.join(root, 'ctr.log'),
    runtime: testRuntime(),
    conmonPath: findConmon(),
    createOptions(extra = {}) {
      return {
        runtime: fx.runtime, stateRoot: fx.stateRoot, conmonPath: fx.conmonPath, id: fx.id, bundle: fx.bundle,
        exitDir: fx.exitDir, persistDir: fx.persistDir, socketDir: path.join(root, 'sockets'), logPath: fx.logPath,
        terminal: opts.terminal, ...extra,
      };
    },
    async cleanup() {
      await runtimeDelete(fx.runtime, fx.id, { root: fx.stateRoot, force: true }).catch(() => undefined);
      const conmonPid = readPidFile(path.join(bundle, 'conmon.pid'));
      if (conmonPid && processAlive(conmonPid)) {
        try { process.kill(conmonPid, 'SIGKILL'); } catch { /* gone */ }
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return fx;
}

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A writable that collects text and lets a test wait for a substring. */
export class TextSink {
  text = '';
  private waiters: Array<() => void> = [];
  write(d: Buffer | string): boolean {
    this.text += d.toString();
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  on(): this { return this; }
  once(): this { return this; }
  end(): void { /* nothing */ }
  async waitFor(s: string | RegExp, timeoutMs = 10_000): Promise<void> {
    const has = () => (typeof s === 'string' ? this.text.includes(s) : s.test(this.text));
    const end = Date.now() + timeoutMs;
    while (!has()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${s} in output: ${JSON.stringify(this.text)}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 100); });
    }
  }
}
