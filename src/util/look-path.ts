// Finding programs as Go's os/exec does: an executable regular file, in $PATH when the name has
// no slash. Small on purpose: the launcher bundle (config/userns-join.ts) uses it too.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A regular file this process may execute (access(2) X_OK, as Go 1.20+'s LookPath). */
export function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first executable `name` in the directories of `pathList` (colon-separated; an empty entry is
 * the working directory, as in Go), then in `extraDirs`; undefined if none. A name with a slash is
 * not looked up: it is returned if executable.
 */
export function lookPath(name: string, pathList: string | undefined = process.env.PATH, extraDirs: readonly string[] = []): string | undefined {
  if (name.includes('/')) return isExecutableFile(name) ? name : undefined;
  // As Go's filepath.SplitList, an empty list has no entries (not the working directory).
  const dirs = [...(pathList ? pathList.split(':') : []), ...extraDirs];
  for (const dir of dirs) {
    const f = path.join(dir || '.', name);
    if (isExecutableFile(f)) return f;
  }
  return undefined;
}

/** Go's error for a name not found in $PATH. */
export function notFoundInPath(name: string): string {
  return `exec: ${JSON.stringify(name)}: executable file not found in $PATH`;
}
