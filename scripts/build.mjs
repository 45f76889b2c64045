// Bundles pier into dist/: a tiny entry (dist/pier.js) that answers --version without
// loading the rest, the CLI bundle (dist/cli.js) it loads for everything else, and the
// quadlet generator (dist/pier-quadlet).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

// V8's heap option for every start: a 3 MiB young generation from the start (V8 begins with
// 1 MiB), so a command's allocations fit without a scavenge; each scavenge cost ~2.5-4 ms plus
// the fresh pages it copies into. V8 also scavenges once new space is 80% full, which a `run`
// reached with 2 MiB (docs/performance.md). Caches are named per option set (main.ts).
const NODE_OPTIONS = '--min-semi-space-size=3';
// The entry's interpreter, through `env -S` so that node gets `--` before the script: Node 20
// checks `--env-file FILE` anywhere in its arguments, the script's included, unless a `--` comes
// first. Without it, `pier run --env-file F` with a missing F (or a directory) ended before pier
// ran, with node's "F: not found" ("invalid format") and exit 9 instead of podman's error and 125.
// (Linux passes everything after the interpreter as one argument; `env -S` splits it.) The node
// is the one that builds, by absolute path, or `node` from PATH when that path has a space or
// PIER_SHEBANG_ENV=1. The extra exec of env costs ~1.5 ms per command.
function shebangNode() {
  const node = process.env.PIER_SHEBANG_ENV === '1' || /\s/.test(process.execPath) ? 'node' : process.execPath;
  return `/usr/bin/env -S ${node} ${NODE_OPTIONS} --`;
}
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: false,
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  external: ['*.node'],
  define: { PIER_VERSION: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  write: false,
};
const cli = await build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' });

// The core bundle (dist/core.js): the same CLI without the modules no container command uses
// (the service, build, shell completion, the other areas' command definitions). A V8 code cache
// carries a compiled skeleton of every function in its script, used or not: `run` loads ~110 KB
// less cache and ~160 fewer pages from this one (docs/performance.md). dist/pier.js picks it for
// the commands coreCommandKeys() lists. A left-out module is replaced by one that fails loudly.
const OUTSIDE_CORE = ['src/api/', 'src/build/', 'src/cli/complete', 'src/cli/completion.ts', 'src/cli/commands/build.ts',
  'src/cli/commands/images.ts', 'src/cli/commands/pods.ts', 'src/cli/commands/networks.ts', 'src/cli/commands/volumes.ts',
  'src/cli/commands/secrets.ts', 'src/cli/commands/system', 'src/cli/commands/service.ts', 'src/cli/commands/events.ts',
  'src/cli/commands/connection.ts', 'src/cli/commands/runlabel.ts', 'src/cli/commands/generate.ts', 'src/cli/commands/manifest.ts',
  'src/domain/local/generate.ts', 'src/image/manifest-list.ts', 'src/image/signature/sigstore-sign.ts',
  'src/engine/systemd.ts', 'src/cli/commands/auto-update.ts', 'src/domain/local/auto-update.ts', 'src/cli/commands/kube.ts', 'src/domain/local/kube.ts', 'src/domain/kube-play.ts', 'src/engine/kube/',
  'src/image/signature/sign.ts', 'src/image/config/trust.ts'];
// The only places core code may reach a left-out module: the lazy loaders of other commands,
// which a core command never calls. Any other import of one fails the build.
const CORE_EDGES = new Set(['src/cli/commands/root.ts', 'src/cli/commands/containers.ts -> src/cli/commands/runlabel.ts',
  'src/domain/local/build.ts -> src/build/executor.ts', 'src/domain/local/engines.ts -> src/domain/local/generate.ts',
  'src/domain/local/images.ts -> src/image/manifest-list.ts', 'src/image/push.ts -> src/image/signature/sigstore-sign.ts', 'src/domain/local/images.ts -> src/image/signature/sign.ts',
  'src/domain/local/images.ts -> src/image/config/trust.ts',
  'src/domain/local/engines.ts -> src/domain/local/kube.ts', 'src/domain/local/containers.ts -> src/domain/local/auto-update.ts']);
const outside = (file) => OUTSIDE_CORE.some((p) => file.startsWith(p));
const leaveOut = {
  name: 'outside-core',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const rel = path.relative(process.cwd(), args.path);
      if (!outside(rel)) return undefined;
      const msg = JSON.stringify(`internal error: ${rel} is not in pier's core bundle`);
      return { loader: 'js', contents: `module.exports = new Proxy({}, { get(_, k) { if (k === '__esModule') return true; throw new Error(${msg}); } });` };
    });
  },
};
// npm packages only rare paths of core commands use (the yaml parser: registries.d for signed
// pulls) load from node_modules when used, instead of growing the core bundle's code cache.
const CORE_EXTERNAL = ['yaml'];
const core = await build({ ...common, external: [...common.external, ...CORE_EXTERNAL], metafile: true, plugins: [leaveOut], entryPoints: ['src/cli/index.ts'], outfile: 'dist/core.js' });
// PIER_BUILD_META=FILE: the core bundle's esbuild metafile, to see what a change adds to it.
if (process.env.PIER_BUILD_META) writeFileSync(process.env.PIER_BUILD_META, JSON.stringify(core.metafile));
for (const [file, input] of Object.entries(core.metafile.inputs)) {
  if (outside(file) || CORE_EDGES.has(file)) continue;
  for (const imp of input.imports) {
    if (outside(imp.path) && !CORE_EDGES.has(`${file} -> ${imp.path}`)) {
      throw new Error(`${file} imports ${imp.path}, which the core bundle leaves out: move the import, or the module in (scripts/build.mjs)`);
    }
  }
}
// The commands that run from it, read from the command table itself.
const keysModule = await build({ ...common, stdin: { contents: "module.exports = require('./src/cli/commands/root').coreCommandKeys();", resolveDir: process.cwd(), loader: 'js' } });
const keysOut = { exports: {} };
new Function('module', 'exports', 'require', keysModule.outputFiles[0].text)(keysOut, keysOut.exports, createRequire(import.meta.url));
const coreKeys = keysOut.exports;

// The entry names code caches after each bundle's hash: a pier still running the previous bundle
// writes its cache under its own name, never one that a new process would pair with new source
// (V8 checks a cache against the source's length only).
const hash = (out) => createHash('sha256').update(out.outputFiles[0].contents).digest('hex').slice(0, 12);
const entry = await build({
  ...common, external: [...common.external, './cli.js'], entryPoints: ['src/main.ts'], outfile: 'dist/pier.js',
  banner: { js: `#!${shebangNode()}` },
  define: { ...common.define, PIER_BUILD: JSON.stringify(hash(cli)), PIER_CORE_BUILD: JSON.stringify(hash(core)), PIER_CORE_KEYS: JSON.stringify(coreKeys) },
});
// Namespace imports of Node's built-in modules (`import * as fs from 'node:fs'`) need no ESM
// interop wrapper: __toESM would copy every export of fs, path, os... once per importing module
// at start-up (~5 ms). The modules are plain CommonJS objects, used as namespaces only.
// The files are also made pure ASCII (dist/pier.js reads the bundle as latin1): esbuild escapes
// strings, but a regex literal such as /µs/ keeps its UTF-8; \uXXXX means the same there.
const unwrapBuiltins = (src) => src.replace(/__toESM\((require\("node:[a-z_/]+"\))\)/g, '$1')
  .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
// Each file is written new and renamed over the old one: a running pier keeps its mapping of
// the old dist/cli.js (rewriting it in place could truncate pages from under that process).
function install(file, text, mode) {
  writeFileSync(`${file}.tmp`, text, { mode });
  renameSync(`${file}.tmp`, file);
}
mkdirSync('dist', { recursive: true });
install('dist/pier.js', unwrapBuiltins(entry.outputFiles[0].text), 0o755);
// The CLI bundle is one function expression taking CommonJS's arguments: dist/pier.js maps the
// file and compiles it as it stands, with no wrapped copy of it in memory (see main.ts).
for (const [file, out] of [['dist/cli.js', cli], ['dist/core.js', core]]) {
  install(file, `(function (exports, require, module, __filename, __dirname) {${unwrapBuiltins(out.outputFiles[0].text)}\n})`, 0o644);
}
// The quadlet generator (dist/pier-quadlet): a bundle of its own, loading nothing of the CLI.
const quadlet = await build({
  ...common, entryPoints: ['src/quadlet/main.ts'], outfile: 'dist/pier-quadlet', banner: { js: `#!${shebangNode()}` },
});
install('dist/pier-quadlet', unwrapBuiltins(quadlet.outputFiles[0].text), 0o755);
// A fresh bundle invalidates the V8 code cache; the first run after the build writes a new one.
rmSync('dist/cache', { recursive: true, force: true });
rmSync('dist/cli.js.cache', { force: true });
rmSync('dist/cli.js.cache.cmds', { force: true });
