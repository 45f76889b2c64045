// Bundles pier into dist/: a tiny entry (dist/pier.js) that answers --version without
// loading the rest, and the CLI bundle (dist/cli.js) it loads for everything else.
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';

// The entry's interpreter: the node that builds it, by absolute path (no `env` lookup through
// PATH on every start); `env node` when that path has a space or PIER_SHEBANG_ENV=1.
function shebangNode() {
  return process.env.PIER_SHEBANG_ENV === '1' || /\s/.test(process.execPath) ? '/usr/bin/env node' : process.execPath;
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
};
await Promise.all([
  build({ ...common, external: [...common.external, './cli.js'], entryPoints: ['src/main.ts'], outfile: 'dist/pier.js', banner: { js: `#!${shebangNode()}` } }),
  build({ ...common, entryPoints: ['src/cli/index.ts'], outfile: 'dist/cli.js' }),
]);
chmodSync('dist/pier.js', 0o755);
// Namespace imports of Node's built-in modules (`import * as fs from 'node:fs'`) need no ESM
// interop wrapper: __toESM would copy every export of fs, path, os... once per importing module
// at start-up (~5 ms). The modules are plain CommonJS objects, used as namespaces only.
import { writeFileSync } from 'node:fs';
for (const f of ['dist/cli.js', 'dist/pier.js']) {
  const src = readFileSync(f, 'utf8');
  writeFileSync(f, src.replace(/__toESM\((require\("node:[a-z_/]+"\))\)/g, '$1'));
}
// A fresh bundle invalidates the V8 code cache; the first run after the build writes a new one.
import { rmSync } from 'node:fs';
rmSync('dist/cache', { recursive: true, force: true });
rmSync('dist/cli.js.cache', { force: true });
rmSync('dist/cli.js.cache.cmds', { force: true });
