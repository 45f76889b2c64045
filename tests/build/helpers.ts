// Shared by the build suites: context directories in the suite's store, `pier build` with its
// output parsed, and running a command in a built image.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestStore } from '../helpers/cli';

export interface BuildHelpers {
  /** A fresh context directory with the given files (Containerfile included). */
  context(files: Record<string, string>): string;
  /** `pier build [extra] ARGS DIR`; its output, the final image id and the number of cache hits. */
  build(dir: string, args?: string[]): { out: string; id: string; hits: number };
  /** `pier run --rm --network none IMG CMD...`; its output. */
  runIn(img: string, ...cmd: string[]): string;
}

/** Helpers over the suite's store (`store()` is called at use, after the suite's `before`). */
export function buildHelpers(store: () => TestStore, extraBuildArgs: string[] = []): BuildHelpers {
  let n = 0;
  return {
    context(files) {
      const dir = path.join(store().dir, `ctx-${++n}`);
      for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
      }
      return dir;
    },
    build(dir, args = []) {
      const r = store().run(['build', ...extraBuildArgs, ...args, dir]);
      if (r.code !== 0) throw new Error(`build failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      return { out: r.stdout, id: lines[lines.length - 1], hits: (r.stdout.match(/^--> Using cache /gm) ?? []).length };
    },
    runIn: (img, ...cmd) => store().ok(['run', '--rm', '--network', 'none', img, ...cmd]),
  };
}
