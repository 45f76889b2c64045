// The built pier where other users of this host can run it (rootless tests, image scp).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PIER, REPO } from './cli';

/**
 * The built pier as the users can run it: the checkout's own when others may read it, else a
 * copy of what it runs from (the bundles, pier's addon, better-sqlite3's) in a shared temp dir.
 */
export function runnablePier(): string {
  const readable = (p: string) => { try { fs.accessSync(p, fs.constants.R_OK); return (fs.statSync(p).mode & 0o004) !== 0; } catch { return false; } };
  const dirs: string[] = [];
  for (let d = path.dirname(PIER); d !== path.dirname(d); d = path.dirname(d)) dirs.push(d);
  if (readable(PIER) && dirs.every((d) => (fs.statSync(d).mode & 0o001) !== 0)) return PIER;
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rootless-bin-'));
  fs.chmodSync(copy, 0o755);
  for (const rel of ['dist', 'package.json', 'native/build/Release/pier_native.node', 'node_modules/better-sqlite3/build/Release/better_sqlite3.node']) {
    fs.cpSync(path.join(REPO, rel), path.join(copy, rel), { recursive: true });
  }
  process.once('exit', () => fs.rmSync(copy, { recursive: true, force: true }));
  return path.join(copy, 'dist', 'pier.js');
}
