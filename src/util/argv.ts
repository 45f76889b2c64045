// This process's command line as podman records its os.Args (a container's or pod's CreateCommand).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lookPath } from './look-path';

/**
 * The program as the user typed it, then the arguments. The kernel hands an interpreted script
 * its path, not the word typed: when the shell's PATH look-up of the script's name finds this
 * very file, the name was typed; otherwise the path is what was run.
 */
export function commandLine(argv: readonly string[] = process.argv): string[] {
  const script = argv[1] ?? 'pier';
  return [programName(script), ...argv.slice(2)];
}

function programName(script: string): string {
  const name = path.basename(script);
  const candidate = lookPath(name, (process.env.PATH ?? '').split(':').filter(Boolean).join(':'));
  if (!candidate) return script;
  try {
    return fs.realpathSync(candidate) === fs.realpathSync(script) ? name : script;
  } catch {
    return script;
  }
}
