// The CLI's main: parse argv, dispatch to the command, map errors to podman's exit codes.
import { parse, optKey, checkArgs, helpText, commandPath, findSub, CommandDef, ArgCountError, UnknownCommandError } from './parser';
import { rootCommand } from './commands/root';
import { Ctx } from './context';
import { PierError, EXIT_ENGINE, errorMessage } from '../util/errors';
import { enableSyslog, isLogLevel, log, setLogLevel, trace } from '../util/log';
import { checkContainersConfEnv, ConfigFileError } from '../config/config';
import { splitCSV } from '../util/csv';
import { discardStdout, stdoutMade, watchStdio, writeStderr, writeStdout } from '../util/stdio';

function fail(msg: string, code: number, hint?: string): never {
  writeStderr(`Error: ${msg}\n${hint ? `${hint}\n` : ''}`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  trace('main');
  watchStdio();
  const root = rootCommand();
  trace('command tree');
  let parsed;
  try {
    parsed = parse(root, argv);
  } catch (e) {
    fail(errorMessage(e), EXIT_ENGINE, e instanceof UnknownCommandError ? `Try '${e.groupPath} --help' for more information` : `See '${guessCommandPath(root, argv)} --help'`);
  }
  const { path, args, opts, help } = parsed;
  // The global flags: a command's own flag of the same name (build --hooks-dir) is not one.
  const g = { ...opts, ...parsed.shadowed.opts };
  const globalSet = (name: string) => parsed.shadowed.changed.has(name) || (parsed.changed.has(name) && !(optKey(name) in parsed.shadowed.opts));
  const cmd = path[path.length - 1];
  // Already remote (CONTAINER_HOST, CONTAINER_CONNECTION, --url, --connection): help leaves --remote out, as podman's;
  // remote at all (--remote too), it leaves out --namespace, which podman-remote does not have.
  const remoteEnv = !!(process.env.CONTAINER_HOST || process.env.CONTAINER_CONNECTION || parsed.changed.has('url') || parsed.changed.has('connection'));
  for (const f of root.flags ?? []) {
    if ((f.name === 'remote' && remoteEnv) || (f.name === 'namespace' && (remoteEnv || opts.remote))) f.hidden = true;
  }
  if (help || (!cmd.run && cmd !== root) || (cmd === root && !opts.version)) {
    if (cmd === root && !help && args.length) fail(`unrecognized command \`pier ${args[0]}\``, EXIT_ENGINE, "Try 'pier --help' for more information");
    if (!help && !cmd.run && args.length === 0) {
      // `pier image` alone prints help and fails like podman's "missing command".
      process.stdout.write(helpText(root, path) + '\n');
      fail(`missing command '${commandPath(path)} COMMAND'`, EXIT_ENGINE);
    }
    process.stdout.write(helpText(root, path) + '\n');
    return;
  }
  if (cmd === root && opts.version) {
    process.stdout.write(`pier version ${PIER_VERSION}\n`);
    return;
  }
  // --log-level, or docker's -D/--debug; a bad level, or both flags, end as podman's: one line, exit 1.
  if (g.debug) {
    if (parsed.changed.has('log-level')) { writeStderr('Setting --log-level and --debug is not allowed\n'); process.exit(1); }
    opts.logLevel = 'debug';
  }
  if (!isLogLevel(opts.logLevel)) {
    writeStderr(`Log Level ${JSON.stringify(opts.logLevel)} is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic\n`);
    process.exit(1);
  }
  setLogLevel(opts.logLevel);
  if (opts.syslog) {
    // podman's words and exit code when its syslog hook finds no syslog to talk to.
    try { enableSyslog(); } catch (e) { writeStderr(`Failed to initialize syslog hook: ${(e as Error).message}\n`); process.exit(1); }
  }
  log.info(`${process.argv[1]} filtering at log level ${opts.logLevel}`);
  log.debug(`Called ${commandPath(path)} (${process.argv.slice(1).join(' ')})`);
  try {
    checkArgs(cmd, path, args);
    // Every command with both --all and --latest refuses the pair (ps and port combine them).
    if (opts.all && opts.latest && !['ps', 'port'].includes(cmd.name) && cmd.flags?.some((f) => f.name === 'all') && cmd.flags.some((f) => f.name === 'latest')) {
      throw new ArgCountError(isPodStats(path) ? LATEST_ALL_ARGS : '--all and --latest cannot be used together');
    }
    // ...and --latest with names (where the arguments are names: exec, top and port take others).
    if (opts.latest && args.length && !['ps', 'port', 'exec', 'top'].includes(cmd.name) && cmd.flags?.some((f) => f.name === 'latest')) {
      throw new ArgCountError(latestWithNames(path));
    }
  } catch (e) {
    fail(errorMessage(e), EXIT_ENGINE, e instanceof ArgCountError ? undefined : `See '${commandPath(path)} --help'`);
  }
  if (opts.noout) discardStdout();
  trace('parsed');
  // podman 4.3's --config is hidden and ignored (Docker's client config dir).
  if (opts.config !== undefined) log.warn('The --config flag is ignored by pier. Exists for Docker compatibility');
  if (process.env.CONTAINERS_CONF) {
    try { checkContainersConfEnv(); } catch (e) { configFailure(e); }
  }
  const ctx = new Ctx(
    {
      remote: opts.remote, url: opts.url, connection: opts.connection, identity: g.identity,
      root: opts.root, runroot: opts.runroot, storageDriver: opts.storageDriver, logLevel: opts.logLevel,
      registriesConf: opts.registriesConf, runtime: opts.runtime, runtimeFlag: g.runtimeFlag, conmon: opts.conmon, tmpdir: opts.tmpdir,
      eventsBackend: opts.eventsBackend, cgroupManager: opts.cgroupManager, volumePath: opts.volumepath,
      networkCmdPath: opts.networkCmdPath, networkConfigDir: opts.networkConfigDir, syslog: opts.syslog, namespace: opts.namespace,
      hooksDir: globalSet('hooks-dir') ? splitCSV(g.hooksDir) : undefined,
    },
    commandPath(path),
  );
  try {
    await ctx.prepareRemote();
    // Rootless: a local command runs inside the user's namespace (pier re-executes itself there).
    if (!ctx.remoteUri && process.getuid?.() !== 0) await rootlessUserns(ctx);
    const code = await cmd.run!(ctx, args, { ...opts, changed: parsed.changed });
    await flushStdout();
    process.exit(typeof code === 'number' ? code : 0);
  } catch (e) {
    // A template that failed while executing: what it wrote before is printed, as Go's does.
    const partial = (e as { partialOutput?: unknown })?.partialOutput;
    if (typeof partial === 'string' && partial) writeStdout(partial);
    await flushStdout();
    if (process.env.PIER_DEBUG_STACK) process.stderr.write(String((e as Error)?.stack) + '\n');
    if (e instanceof ConfigFileError) configFailure(e);
    fail(errorMessage(e), e instanceof PierError ? e.exitCode : EXIT_ENGINE);
  }
}

/** Enters the user namespace for the command (returns only when it needs none), or refuses the mount commands. */
async function rootlessUserns(ctx: Ctx): Promise<void> {
  const command = ctx.commandName;
  const { usernsNeed } = require('../config/userns-join') as typeof import('../config/userns-join');
  const need = usernsNeed(command.replace(/^pier ?/, '').replace(/ /g, '-'));
  if (need === 'none') return;
  if (need === 'unshare-only') throw new PierError(`cannot run command ${JSON.stringify(command)} in rootless mode, must execute \`pier unshare\` first`);
  const { enterUserns } = require('../engine/rootless') as typeof import('../engine/rootless');
  await enterUserns(ctx.cfg.runRoot);
}

/** A config podman would not run with: logged as an error (podman's logrus line), exit 1. */
function configFailure(e: unknown): never {
  log.error(errorMessage(e));
  process.exit(e instanceof PierError ? e.exitCode : 1);
}

/** The command a failed parse was about, skipping global flags and their values. */
function guessCommandPath(root: CommandDef, argv: string[]): string {
  const path = [root];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const cur = path[path.length - 1];
    if (a.startsWith('-')) {
      const f = (root.flags ?? []).find((x) => `--${x.name}` === a || (x.short && `-${x.short}` === a));
      if (f && f.type !== 'bool' && f.type !== 'count') i++;
      continue;
    }
    const sub = findSub(cur, a);
    if (!sub) break;
    path.push(sub);
  }
  return commandPath(path);
}

function flushStdout(): Promise<void> {
  return new Promise((resolve) => {
    if (!stdoutMade() || process.stdout.writableLength === 0) resolve();
    else process.stdout.write('', () => resolve());
  });
}

export type { CommandDef };

/** podman's one message for `pod stats` given more than one of --all, --latest and names. */
const LATEST_ALL_ARGS = '--all, --latest and arguments cannot be used together';

function isPodStats(path: readonly CommandDef[]): boolean {
  return path.length >= 2 && path[path.length - 2].name === 'pod' && path[path.length - 1].name === 'stats';
}

/**
 * podman's wording for --latest given with names, which differs by command: the inspect commands
 * say "arguments", `pod logs` "pods", `pod stats` its own three-way line, the rest "containers"
 * (pod rm/stop/kill/... share the containers' check there).
 */
function latestWithNames(path: readonly CommandDef[]): string {
  const name = path[path.length - 1].name;
  const pod = path.some((c) => c.name === 'pod');
  if (name === 'inspect') return '--latest and arguments cannot be used together';
  if (pod && name === 'logs') return '--latest and pods cannot be used together';
  if (isPodStats(path)) return LATEST_ALL_ARGS;
  return '--latest and containers cannot be used together';
}
