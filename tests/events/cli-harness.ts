// Runs `pier events` / `pier system events` from source, the way src/cli/index.ts runs
// commands (parse, check args, run, map errors to "Error: ..." and exit codes), with the
// global flags the events command uses. Usage: node --import tsx cli-harness.ts ARGS...
import { parse, checkArgs, CommandDef } from '../../src/cli/parser';
import { Ctx } from '../../src/cli/context';
import { eventsCommand } from '../../src/cli/commands/events';
import { PierError, errorMessage } from '../../src/util/errors';
import { setLogLevel } from '../../src/util/log';

const root: CommandDef = {
  name: 'pier',
  summary: 'test root',
  flags: [
    { name: 'root', type: 'string', help: '' },
    { name: 'runroot', type: 'string', help: '' },
    { name: 'config', type: 'string', help: '' },
    { name: 'log-level', type: 'string', help: '', default: 'warn' },
  ],
  subcommands: [eventsCommand(), { name: 'system', summary: 'system', subcommands: [eventsCommand()] }],
};

function fail(msg: string, code: number): never {
  process.stderr.write(`Error: ${msg}\n`);
  process.exit(code);
}

async function run(): Promise<void> {
  let parsed;
  try { parsed = parse(root, process.argv.slice(2)); } catch (e) { fail(errorMessage(e), 125); }
  const { path, args, opts } = parsed;
  const cmd = path[path.length - 1];
  try {
    if (opts.logLevel) setLogLevel(opts.logLevel);
    checkArgs(cmd, path, args);
  } catch (e) { fail(errorMessage(e), 125); }
  const ctx = new Ctx({ root: opts.root, runroot: opts.runroot }, path.map((c) => c.name).join(' '));
  try {
    const code = await cmd.run!(ctx, args, { ...opts, changed: parsed.changed });
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (e) {
    fail(errorMessage(e), e instanceof PierError ? e.exitCode : 125);
  }
}

void run();
