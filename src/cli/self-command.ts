// pier run again by pier (runlabel's commands, image scp's save and load): this node with its
// heap options and entry script, and the global options that choose the store and engine.
import * as path from 'node:path';
import type { Ctx } from './context';

/** pier as a command: node, its heap flags and pier's entry script (as this process runs). */
export function selfCommand(): string[] {
  const heap = process.execArgv.filter((a) => /^--(min|max)-semi-space-size=\d+$/.test(a));
  return [process.execPath, ...heap, selfPath()];
}

/** The pier program as invoked (podman's os.Args[0]). */
export function selfPath(): string {
  return process.argv[1] ? path.resolve(process.argv[1]) : 'pier';
}

/** This command's global options that choose the store and engine, for the pier the label runs. */
export function forwardedGlobals(ctx: Ctx): string[] {
  const g = ctx.globals;
  const out: string[] = [];
  const add = (flag: string, v: string | undefined) => { if (v) out.push(`--${flag}`, v); };
  add('root', g.root);
  add('runroot', g.runroot);
  add('storage-driver', g.storageDriver);
  add('namespace', g.namespace);
  add('registries-conf', g.registriesConf);
  add('runtime', g.runtime);
  for (const f of g.runtimeFlag ?? []) out.push('--runtime-flag', f);
  add('conmon', g.conmon);
  add('tmpdir', g.tmpdir);
  add('events-backend', g.eventsBackend);
  add('cgroup-manager', g.cgroupManager);
  add('volumepath', g.volumePath);
  add('network-cmd-path', g.networkCmdPath);
  add('network-config-dir', g.networkConfigDir);
  if (g.syslog) out.push('--syslog');
  for (const d of g.hooksDir ?? []) out.push('--hooks-dir', d);
  if (g.logLevel && g.logLevel !== 'warn') add('log-level', g.logLevel);
  return out;
}
