// Healthchecks: running a container's healthcheck command (config.healthcheck, docker's
// {Test, Interval, Timeout, StartPeriod, Retries} with durations in ns) through exec, and
// recording the outcome in the container state's `health` (status, failing streak, the last
// five results) the way podman does.
//
// Periodic checks: pier has no daemon. When systemd is PID 1 a transient systemd timer runs
// `pier healthcheck run ID` every interval (as podman does). Elsewhere (containers, CI)
// startHealthMonitor() spawns a detached `pier healthcheck monitor ID` process that runs a
// check every interval while the container runs and exits once it stops or is removed. The
// timer/monitor is recorded in <runRoot>/healthcheck/<id>.json so stopHealthMonitor() can
// end it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerState, HealthConfig } from '../domain/containers';
import type { ContainerRecord } from './container-store';
import type { Lifecycle } from './lifecycle';
import { containerDirs } from './rootfs';
import { startedSpec } from './spec';
import { execInContainer } from './conmon';
import { goDuration } from './stats';
import { randomId } from '../util/digest';
import { nowNanos } from '../util/clock';
import { dateFromNanos, rfc3339Nano } from '../util/nanotime';
import { PierError, ConflictError, EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, errorMessage } from '../util/errors';
import { log } from '../util/log';

export type HealthState = NonNullable<ContainerState['health']>;
export type HealthLogEntry = HealthState['log'][number];

export const HEALTH_STARTING = 'starting';
export const HEALTH_HEALTHY = 'healthy';
export const HEALTH_UNHEALTHY = 'unhealthy';

/** podman keeps this many results and this much output per result. */
export const MAX_HEALTH_LOGS = 5;
export const MAX_HEALTH_OUTPUT = 500;

const SECOND = 1e9;
export const DEFAULT_INTERVAL = 30 * SECOND;
export const DEFAULT_TIMEOUT = 30 * SECOND;
export const DEFAULT_RETRIES = 3;

/** The command a healthcheck's Test runs, or null when there is none (NONE, empty). */
export function healthCommand(test: string[] | undefined): string[] | null {
  if (!test || !test.length) return null;
  switch (test[0]) {
    case '':
    case 'NONE':
      return null;
    case 'CMD':
      return test.length > 1 && test[1] !== '' ? test.slice(1) : null;
    case 'CMD-SHELL':
      return test.length > 1 ? ['/bin/sh', '-c', test.slice(1).join(' ')] : null;
    default:
      return test[0] !== '' ? test : null;
  }
}

/** The effective settings of a healthcheck (docker's defaults for zero values). */
export function healthSettings(h: HealthConfig): { interval: number; timeout: number; startPeriod: number; retries: number } {
  return {
    interval: h.Interval === undefined ? DEFAULT_INTERVAL : h.Interval,
    timeout: h.Timeout && h.Timeout > 0 ? h.Timeout : DEFAULT_TIMEOUT,
    startPeriod: h.StartPeriod && h.StartPeriod > 0 ? h.StartPeriod : 0,
    retries: h.Retries && h.Retries > 0 ? h.Retries : DEFAULT_RETRIES,
  };
}

/** Folds one result into the health state (podman's rules: retries, start period, last 5 logs). */
export function applyHealthResult(prev: HealthState | undefined, entry: HealthLogEntry, opts: { retries: number; inStartPeriod: boolean }): HealthState {
  const next: HealthState = {
    status: prev?.status || HEALTH_HEALTHY,
    failingStreak: prev?.failingStreak ?? 0,
    log: [...(prev?.log ?? []), entry],
  };
  if (!opts.inStartPeriod) {
    if (entry.ExitCode === 0) {
      next.status = HEALTH_HEALTHY;
      next.failingStreak = 0;
    } else {
      next.failingStreak++;
      if (next.failingStreak >= opts.retries) next.status = HEALTH_UNHEALTHY;
    }
  }
  if (next.log.length > MAX_HEALTH_LOGS) next.log = next.log.slice(next.log.length - MAX_HEALTH_LOGS);
  return next;
}

/** Collects both output streams of the check into one buffer, in order. */
class OutputSink {
  private chunks: Buffer[] = [];
  write(d: Buffer | string): boolean { this.chunks.push(Buffer.isBuffer(d) ? d : Buffer.from(d)); return true; }
  once(): this { return this; }
  on(): this { return this; }
  off(): this { return this; }
  emit(): boolean { return false; }
  end(): void { /* kept open */ }
  text(): string { return Buffer.concat(this.chunks).toString('utf8'); }
}

export interface HealthcheckRun {
  /** This check's verdict (podman's `healthcheck run` answer). */
  result: typeof HEALTH_HEALTHY | typeof HEALTH_UNHEALTHY;
  /** The recorded state after the check. */
  health: HealthState;
  entry: HealthLogEntry;
}

/**
 * Runs the container's healthcheck once and records the result. Throws when the container
 * has no healthcheck or does not run; a failing or timed-out command is an "unhealthy" result.
 */
export async function runHealthcheck(lifecycle: Lifecycle, nameOrId: string): Promise<HealthcheckRun> {
  const c = lifecycle.get(nameOrId);
  const hc = c.config.healthcheck;
  const cmd = healthCommand(hc?.Test);
  if (!hc || !cmd) throw new PierError(`container ${c.id} has no defined healthcheck`);
  if (c.state.status !== 'running') throw new ConflictError(`container ${c.id} is not running`);
  const settings = healthSettings(hc);
  const d = containerDirs(lifecycle.store, c.id);
  const spec = startedSpec(d.userdata, c.id);
  const proc: Record<string, unknown> = { ...spec.process, args: cmd, terminal: false };
  delete proc.consoleSize;
  const execDir = path.join(d.run, 'exec', randomId().slice(0, 16));
  const out = new OutputSink();
  const start = dateFromNanos(nowNanos());
  let exitCode: number;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      const pid = Number(fs.readFileSync(path.join(execDir, 'exec_pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch { /* not started yet or already gone */ }
  }, Math.max(1, Math.round(settings.timeout / 1e6)));
  try {
    const r = await execInContainer({
      containerId: c.id, name: c.name, execDir, process: proc, terminal: false, stdin: null,
      stdout: out as unknown as NodeJS.WritableStream, stderr: out as unknown as NodeJS.WritableStream,
      runtime: lifecycle.runtime(c), stateRoot: lifecycle.stateRoot(c), conmonPath: lifecycle.cfg.conmon,
    });
    exitCode = r.exitCode;
  } catch (e) {
    // A command that cannot be run (not found, not executable, runtime error) is a failed check.
    if (e instanceof PierError && (e.exitCode === EXIT_NOT_FOUND || e.exitCode === EXIT_CANNOT_INVOKE || /OCI runtime/.test(e.message))) {
      exitCode = 1;
      out.write(e.message + '\n');
    } else {
      throw e;
    }
  } finally {
    clearTimeout(timer);
    fs.rmSync(execDir, { recursive: true, force: true });
  }
  const end = dateFromNanos(nowNanos());
  // podman records any non-zero exit as 1 (and -1 for a timeout).
  if (exitCode !== 0) exitCode = 1;
  const overTime = timedOut || end.getTime() - start.getTime() > settings.timeout / 1e6;
  if (overTime) exitCode = -1;
  const entry: HealthLogEntry = { Start: rfc3339Nano(start), End: rfc3339Nano(end), ExitCode: exitCode, Output: healthOutput(out.text()) };
  const startedAt = c.state.startedAt ? Date.parse(c.state.startedAt) : 0;
  const inStartPeriod = settings.startPeriod > 0 && start.getTime() < startedAt + settings.startPeriod / 1e6;
  const rec = lifecycle.containers.updateState(c.id, (s) => ({ ...s, health: applyHealthResult(s.health, entry, { retries: settings.retries, inStartPeriod }) }));
  if (rec.state.health!.status === HEALTH_UNHEALTHY) await onFailure(lifecycle, rec);
  // As podman 4.3: the result is recorded and the on-failure action taken, then the check fails.
  if (overTime) throw new PierError(`healthcheck command exceeded timeout of ${goDuration(settings.timeout)}`);
  return { result: exitCode === 0 ? HEALTH_HEALTHY : HEALTH_UNHEALTHY, health: rec.state.health!, entry };
}

/**
 * A check's recorded output as podman keeps it: the lines of stdout and stderr (both into one
 * pipe) joined by newlines, so without the final newline, and cut to 500 bytes.
 */
export function healthOutput(text: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const joined = lines.map((l) => l.replace(/\r$/, '')).join('\n');
  const bytes = Buffer.from(joined, 'utf8');
  return bytes.length > MAX_HEALTH_OUTPUT ? bytes.subarray(0, MAX_HEALTH_OUTPUT).toString('utf8') : joined;
}

/**
 * --health-on-failure, after a check left the container unhealthy (podman 4.3): kill sends
 * SIGKILL; stop stops it (stop signal, then SIGKILL after the stop timeout); restart stops it
 * and starts it again (its health back to "starting"; the restart count is not raised).
 */
async function onFailure(lifecycle: Lifecycle, c: ContainerRecord): Promise<void> {
  const action = c.config.create.healthOnFailure;
  if (!action || action === 'none') return;
  try {
    switch (action) {
      case 'kill':
        await lifecycle.kill(c.id, 9);
        break;
      case 'stop':
        await lifecycle.stop(c.id);
        break;
      case 'restart':
        await lifecycle.stop(c.id);
        await lifecycle.start(c.id);
        break;
    }
  } catch (e) {
    const what = action === 'kill' ? 'killing container health-check turned unhealthy'
      : action === 'stop' ? 'stopping container after health-check turned unhealthy'
        : 'restarting/stopping container after health-check turned unhealthy';
    throw new PierError(`${what}: ${errorMessage(e)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Periodic checks

interface MonitorRecord {
  /** The detached monitor process. */
  pid?: number;
  /** The transient systemd unit (timer + service). */
  unit?: string;
  /** The container's start this timer belongs to. */
  startedAt: string;
}

function monitorDir(lifecycle: Lifecycle): string {
  return path.join(lifecycle.store.runRoot, 'healthcheck');
}

function monitorFile(lifecycle: Lifecycle, id: string): string {
  return path.join(monitorDir(lifecycle), `${id}.json`);
}

function readMonitor(lifecycle: Lifecycle, id: string): MonitorRecord | undefined {
  try { return JSON.parse(fs.readFileSync(monitorFile(lifecycle, id), 'utf8')); } catch { return undefined; }
}

/**
 * True when systemd runs the host (PID 1) and its manager answers on its private socket: sd_booted()'s
 * /run/systemd/system alone can be stale (a VM or container whose PID 1 is something else), where
 * systemd-run could only fail.
 */
export function systemdBooted(): boolean {
  return fs.existsSync('/run/systemd/system') && fs.existsSync('/run/systemd/private');
}

/**
 * How periodic checks run here: `PIER_HEALTHCHECK_TIMER=systemd|monitor` overrides detection;
 * rootless pier (whose transient units would belong to the user's manager) uses monitor processes.
 */
export function timerKind(): 'systemd' | 'monitor' {
  const env = process.env.PIER_HEALTHCHECK_TIMER;
  if (env === 'systemd' || env === 'monitor') return env;
  const { inRootlessUserns } = require('../config/paths') as typeof import('../config/paths');
  return systemdBooted() && !inRootlessUserns() && (process.getuid?.() ?? 0) === 0 ? 'systemd' : 'monitor';
}

/** The pier command line (node, entry, global flags) that conmon's exit command also uses. */
export function pierCommand(lifecycle: Lifecycle, _id: string, args: string[]): string[] {
  return lifecycle.pierCommand(args);
}

/**
 * Starts periodic healthchecks for a container that just started (sets its health to
 * "starting"). No-op without a healthcheck or with a zero interval. Replaces an earlier timer.
 */
export function startHealthMonitor(lifecycle: Lifecycle, c: ContainerRecord): void {
  const hc = c.config.healthcheck;
  if (!hc || !healthCommand(hc.Test)) return;
  stopHealthMonitor(lifecycle, c.id);
  lifecycle.containers.updateState(c.id, (s) => ({ ...s, health: { status: HEALTH_STARTING, failingStreak: 0, log: s.health?.log ?? [] } }));
  const { interval } = healthSettings(hc);
  if (interval <= 0) return;
  fs.mkdirSync(monitorDir(lifecycle), { recursive: true });
  const rec: MonitorRecord = { startedAt: c.state.startedAt };
  if (timerKind() === 'systemd') {
    const unit = `pier-healthcheck-${c.id}-${randomId().slice(0, 8)}`;
    const secs = Math.max(1, Math.round(interval / SECOND));
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync('systemd-run', ['--unit', unit, `--on-unit-inactive=${secs}s`, '--timer-property=AccuracySec=1s',
      ...pierCommand(lifecycle, c.id, ['healthcheck', 'run', c.id])], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status === 0) {
      rec.unit = unit;
      fs.writeFileSync(monitorFile(lifecycle, c.id), JSON.stringify(rec));
      return;
    }
    log.warn(`creating the healthcheck timer of ${c.id}: ${r.stderr?.toString().trim() || r.error?.message}; using a monitor process`);
  }
  const cmd = pierCommand(lifecycle, c.id, ['healthcheck', 'monitor', c.id]);
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const child = spawn(cmd[0], cmd.slice(1), { detached: true, stdio: 'ignore', cwd: '/' });
  child.unref();
  rec.pid = child.pid;
  fs.writeFileSync(monitorFile(lifecycle, c.id), JSON.stringify(rec));
}

/** Ends a container's periodic healthchecks (timer unit or monitor process), if any. */
export function stopHealthMonitor(lifecycle: Lifecycle, id: string): void {
  const rec = readMonitor(lifecycle, id);
  if (!rec) return;
  if (rec.unit) {
    (require('node:child_process') as typeof import('node:child_process')).spawnSync('systemctl', ['stop', `${rec.unit}.timer`, `${rec.unit}.service`], { stdio: 'ignore' });
  }
  if (rec.pid && rec.pid !== process.pid && isMonitorProcess(rec.pid, id)) {
    try { process.kill(rec.pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  fs.rmSync(monitorFile(lifecycle, id), { force: true });
}

/** Whether pid is (still) the healthcheck monitor of container id (pids get reused). */
function isMonitorProcess(pid: number, id: string): boolean {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = args.indexOf('monitor');
    return i > 0 && args[i - 1] === 'healthcheck' && args[i + 1] === id;
  } catch {
    return false;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/**
 * The body of `pier healthcheck monitor ID`: a check every interval while the container
 * runs; returns when it stops, is removed, or another monitor took over.
 */
export async function healthMonitorLoop(lifecycle: Lifecycle, id: string, signal?: AbortSignal): Promise<void> {
  const first = lifecycle.containers.find(id);
  if (!first?.config.healthcheck) return;
  const { interval } = healthSettings(first.config.healthcheck);
  if (interval <= 0) return;
  const startedAt = first.state.startedAt;
  try {
    for (;;) {
      await sleep(Math.max(100, Math.round(interval / 1e6)), signal);
      if (signal?.aborted) return;
      const rec = readMonitor(lifecycle, id);
      if (rec && rec.pid && rec.pid !== process.pid) return;
      const c0 = lifecycle.containers.find(id);
      if (!c0) return;
      const c = lifecycle.sync(c0);
      if (c.state.startedAt !== startedAt) return;
      if (c.state.status === 'paused') continue;
      if (c.state.status !== 'running') return;
      try {
        await runHealthcheck(lifecycle, id);
      } catch (e) {
        log.debug(`healthcheck of ${id}: ${errorMessage(e)}`);
      }
    }
  } finally {
    const rec = readMonitor(lifecycle, id);
    if (rec?.pid === process.pid) fs.rmSync(monitorFile(lifecycle, id), { force: true });
  }
}
