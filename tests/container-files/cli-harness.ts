// The pier CLI with the container file commands wired in (until the root command carries
// them): the root command tree plus cp/export/diff/mount/umount/commit, dispatched like
// src/cli/index.ts. Run with `node --import tsx cli-harness.ts ARGS`.
import { parse, checkArgs, commandPath, helpText, CommandDef } from '../../src/cli/parser';
import { rootCommand } from '../../src/cli/commands/root';
import { Ctx } from '../../src/cli/context';
import { containerFilesCommands, containerFilesSubcommands, imageFilesSubcommands } from '../../src/cli/commands/container-files';
import { PierError, EXIT_ENGINE, errorMessage } from '../../src/util/errors';

function addMissing(group: CommandDef, cmds: CommandDef[]): void {
  group.subcommands ??= [];
  for (const c of cmds) if (!group.subcommands.some((s) => s.name === c.name)) group.subcommands.push(c);
}

async function main(argv: string[]): Promise<void> {
  const root = rootCommand();
  addMissing(root, containerFilesCommands());
  let container = root.subcommands!.find((c) => c.name === 'container');
  if (!container) root.subcommands!.push(container = { name: 'container', summary: 'Manage containers', subcommands: [] });
  addMissing(container, containerFilesSubcommands());
  const image = root.subcommands!.find((c) => c.name === 'image');
  if (image) addMissing(image, imageFilesSubcommands());

  const fail = (msg: string): never => { process.stderr.write(`Error: ${msg}\n`); process.exit(EXIT_ENGINE); };
  let parsed;
  try { parsed = parse(root, argv); } catch (e) { return fail(errorMessage(e)); }
  const { path, args, opts } = parsed;
  const cmd = path[path.length - 1];
  if (parsed.help) { process.stdout.write(helpText(root, path) + '\n'); return; }
  if (!cmd.run) return fail(`no runnable command: ${commandPath(path)}`);
  try { checkArgs(cmd, path, args); } catch (e) { return fail(errorMessage(e)); }
  const ctx = new Ctx({
    remote: opts.remote, url: opts.url, connection: opts.connection, identity: opts.identity,
    root: opts.root, runroot: opts.runroot, storageDriver: opts.storageDriver, registriesConf: opts.registriesConf, logLevel: opts.logLevel,
  }, commandPath(path));
  try {
    await ctx.prepareRemote();
    const code = await cmd.run(ctx, args, { ...opts, changed: parsed.changed });
    await new Promise<void>((r) => process.stdout.write('', () => r()));
    process.exit(typeof code === 'number' ? code : 0);
  } catch (e) {
    await new Promise<void>((r) => process.stdout.write('', () => r()));
    process.stderr.write(`Error: ${errorMessage(e)}\n`);
    process.exit(e instanceof PierError ? e.exitCode : EXIT_ENGINE);
  }
}

void main(process.argv.slice(2));
