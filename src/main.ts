// Entry point of the `pier` binary. Kept tiny: `--version` is answered here without
// loading the CLI bundle; everything else runs dist/cli.js (the container commands dist/core.js,
// the same CLI without the code they never use), compiled with a V8 code cache
// per command (dist/cache/<command>-<bundle hash>.cache), so the bundle is not re-parsed on every start
// and each command deserializes only the code it runs. Bundle and cache are mapped, not read.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheKey } from './cache-key';
import { joinEarly } from './config/userns-join';

const argv = process.argv.slice(2);
const version = typeof PIER_VERSION === 'string' ? PIER_VERSION : '0.0.0-dev';

/**
 * pier's addon (see util/native.ts), loaded here already when it is built: it maps the bundle and
 * its code cache. Handed on to util/native.ts through a global, so it is opened once.
 */
function addon(): { mapFile?(file: string, asLatin1: boolean): string | Buffer | null } | undefined {
  const file = process.env.PIER_NATIVE_ADDON || path.join(__dirname, '..', 'native', 'build', 'Release', 'pier_native.node');
  try {
    const mod = { exports: {} as any };
    process.dlopen(mod, file);
    (globalThis as any)[Symbol.for('pier.native')] = mod.exports;
    return mod.exports;
  } catch {
    return undefined;
  }
}

/**
 * The file's contents, mapped when the addon can: the bundle as a latin1 string and the cache as
 * a Buffer that both use the page cache's pages. Reading them instead copies ~1.7 MB into fresh
 * memory, and a fresh page costs ~11 us to fault in on this kind of VM (~10 ms per start).
 */
function contents(native: ReturnType<typeof addon>, file: string, latin1: true): string;
function contents(native: ReturnType<typeof addon>, file: string, latin1: false): Buffer;
function contents(native: ReturnType<typeof addon>, file: string, latin1: boolean): string | Buffer {
  const mapped = native?.mapFile?.(file, latin1);
  if (mapped) return mapped;
  return latin1 ? fs.readFileSync(file, 'latin1') : fs.readFileSync(file);
}

/** A short name for a set of node options (FNV-1a, hex). */
function optionsTag(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16);
}

function loadCli(): { main(argv: string[]): Promise<void> } {
  const key = cacheKey(argv) || 'pier';
  const native = addon();
  // Rootless: into the user's namespace before the bundle loads, when it exists (config/userns-join.ts).
  if (process.getuid && process.getuid() !== 0) joinEarly(argv, cacheKey(argv), (native as any)?.execve);
  // The container commands run from the core bundle, the same CLI with less code (scripts/build.mjs).
  const core = typeof PIER_CORE_KEYS === 'object' && PIER_CORE_KEYS.includes(key);
  const file = path.join(__dirname, core ? 'core.js' : 'cli.js');
  // The bundle is ASCII (the build escapes the rest), so latin1 needs no UTF-8 decoding; it is
  // a function expression taking CommonJS's (exports, require, module, __filename, __dirname).
  const source = contents(native, file, true);
  const build = core ? PIER_CORE_BUILD : typeof PIER_BUILD === 'string' ? PIER_BUILD : 'dev';
  // V8 rejects a cache made under other V8 options (the shebang's, or none with `node pier.js`):
  // each option set gets its own file, so the two ways of starting pier do not overwrite each other's.
  const opts = process.execArgv.length ? `-${optionsTag(process.execArgv.join(' '))}` : '';
  const cacheFile = path.join(__dirname, 'cache', `${key}-${build}${opts}.cache`);
  let cached: Buffer | undefined;
  try { cached = contents(native, cacheFile, false); } catch { /* first run of this command */ }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vm = require('node:vm') as typeof import('node:vm');
  // CommonJS's Module class, as this module's constructor: require('node:module') would load the
  // public module API and the ESM loader parts behind it (~1 ms) for the same class.
  const Module = module.constructor as any;
  const script = new vm.Script(source, { filename: file, cachedData: cached });
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
