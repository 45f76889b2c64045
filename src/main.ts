// Entry point of the `pier` binary. Kept tiny: `--version` is answered here without
// loading the CLI bundle; everything else runs dist/cli.js, compiled with a V8 code cache
// per command (dist/cache/<command>.cache), so the bundle is not re-parsed on every start
// and each command deserializes only the code it runs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheKey } from './cache-key';

const argv = process.argv.slice(2);
const version = typeof PIER_VERSION === 'string' ? PIER_VERSION : '0.0.0-dev';

function loadCli(): { main(argv: string[]): Promise<void> } {
  const file = path.join(__dirname, 'cli.js');
  let source: string;
  // The bundle is ASCII (esbuild escapes the rest): latin1 skips UTF-8 decoding.
  try { source = fs.readFileSync(file, 'latin1'); } catch { return require('./cli.js'); }
  const key = cacheKey(argv) || 'pier';
  const cacheFile = path.join(__dirname, 'cache', `${key}.cache`);
  let cached: Buffer | undefined;
  try { cached = fs.readFileSync(cacheFile); } catch { /* first run of this command */ }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vm = require('node:vm') as typeof import('node:vm');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Module = require('node:module') as any;
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cached });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(__dirname);
  mod.loaded = true;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, __dirname);
  // Not from a help request: the cache would then hold the help path, not the command's own code.
  if ((!cached || script.cachedDataRejected) && !argv.includes('--help') && !argv.includes('-h')) {
    // Written at exit (of a successful run), so the functions the command compiled are in it:
    // V8 compiles lazily, and a cache made before running would hold little more than the top level.
    process.once('exit', (code) => {
      if (code !== 0) return;
      try {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch { /* read-only install: run without a cache */ }
    });
  }
  return mod.exports;
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`pier version ${version}\n`);
} else {
  loadCli().main(argv);
}
