// A pier CLI with only the `network` command group (root.ts wiring is the lead's), for
// the network CLI tests: global flags as pier's, errors and exit codes as src/cli/index.ts.
// PIER_TEST_NETWORK_RUN_DIR points the host-wide network run dir at a test's temp dir.
import { parse, checkArgs, CommandDef } from '../../src/cli/parser';
import { rootCommand } from '../../src/cli/commands/root';
import { networkGroup } from '../../src/cli/commands/networks';
import { Ctx } from '../../src/cli/context';
import { NetworkStore } from '../../src/network/store';
import { LocalEngines } from '../../src/domain/local/engines';
import { LocalNetworkEngine } from '../../src/domain/local/networks';
import type { LocalContainerEngine } from '../../src/domain/local/containers';
import { PierError, errorMessage } from '../../src/util/errors';

async function main(argv: string[]): Promise<number> {
  const root: CommandDef = { ...rootCommand(), subcommands: [networkGroup()] };
  let parsed;
  try { parsed = parse(root, argv); } catch (e) { process.stderr.write(`Error: ${errorMessage(e)}\n`); return 125; }
  const { path, args, opts } = parsed;
  const cmd = path[path.length - 1];
  if (!cmd.run) { process.stderr.write('Error: missing command\n'); return 125; }
  try { checkArgs(cmd, path, args); } catch (e) { process.stderr.write(`Error: ${errorMessage(e)}\n`); return 125; }
  const ctx = new Ctx({ root: opts.root, runroot: opts.runroot }, path.map((c) => c.name).join(' '));
  if (process.env.PIER_TEST_NETWORK_RUN_DIR) {
    const engines = new LocalEngines(ctx.cfg);
    const store = new NetworkStore({ configDir: `${ctx.cfg.graphRoot}/networks`, runDir: process.env.PIER_TEST_NETWORK_RUN_DIR });
    (engines as any)._networks = new LocalNetworkEngine(ctx.cfg, () => engines.containers() as LocalContainerEngine, store);
    (ctx as any)._engines = engines;
  }
  try {
    const code = await cmd.run(ctx, args, { ...opts, changed: parsed.changed });
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    process.stderr.write(`Error: ${errorMessage(e)}\n`);
    return e instanceof PierError ? e.exitCode : 125;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.stdout.write('', () => process.exit(code));
});
