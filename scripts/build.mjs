// Bundles pier into dist/: a tiny entry (dist/pier.js) that answers --version without
// loading the rest, and the CLI bundle (dist/cli.js) it loads for everything else.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

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
// The entry names code caches after this bundle's hash: a pier still running the previous bundle
// writes its cache under its own name, never one that a new process would pair with new source
// (V8 checks a cache against the source's length only).
const buildId = createHash('sha256').update(cli.outputFiles[0].contents).digest('hex').slice(0, 12);
const entry = await build({
  ...common, external: [...common.external, './cli.js'], entryPoints: ['src/main.ts'], outfile: 'dist/pier.js',
  banner: { js: `#!${shebangNode()}` }, define: { ...common.define, PIER_BUILD: JSON.stringify(buildId) },
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
install('dist/cli.js', `(function (exports, require, module, __filename, __dirname) {${unwrapBuiltins(cli.outputFiles[0].text)}\n})`, 0o644);
// A fresh bundle invalidates the V8 code cache; the first run after the build writes a new one.
rmSync('dist/cache', { recursive: true, force: true });
rmSync('dist/cli.js.cache', { force: true });
rmSync('dist/cli.js.cache.cmds', { force: true });
