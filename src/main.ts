// Entry point of the `pier` binary. Kept tiny: `--version` is answered here without
// loading the CLI bundle; everything else runs dist/cli.js, compiled with a V8 code cache
// (dist/cli.js.cache) so the bundle is not re-parsed on every start.
import * as fs from 'node:fs';
import * as path from 'node:path';

const argv = process.argv.slice(2);
const version = typeof PIER_VERSION === 'string' ? PIER_VERSION : '0.0.0-dev';

function loadCli(): { main(argv: string[]): Promise<void> } {
  const file = path.join(__dirname, 'cli.js');
  const cacheFile = file + '.cache';
  let cached: Buffer | undefined;
  try { cached = fs.readFileSync(cacheFile); } catch { /* first run */ }
  let source: string;
  try { source = fs.readFileSync(file, 'utf8'); } catch { return require('./cli.js'); }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vm = require('node:vm') as typeof import('node:vm');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Module = require('node:module') as any;
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cached });
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(__dirname);
  mod.loaded = true;
  script.runInThisContext().call(mod.exports, mod.exports, (id: string) => mod.require(id), mod, file, __dirname);
  // V8 compiles functions lazily, so a cache written by one command lacks the code of the
  // others: each command seen for the first time rewrites it, including what it compiled.
  const key = argv.filter((a) => /^[a-z][a-z-]*$/.test(a)).slice(0, 2).join(' ');
  const seenFile = cacheFile + '.cmds';
  let seen: string[] = [];
  try { seen = JSON.parse(fs.readFileSync(seenFile, 'utf8')); } catch { /* none yet */ }
  if (!cached || script.cachedDataRejected || !seen.includes(key)) {
    // Written at exit, so the functions this command compiled are in the cache too.
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
        const list = script.cachedDataRejected || !cached ? [key] : [...seen, key];
        fs.writeFileSync(`${seenFile}.${process.pid}`, JSON.stringify(list));
        fs.renameSync(`${seenFile}.${process.pid}`, seenFile);
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
