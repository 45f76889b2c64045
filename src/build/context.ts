// A build context that arrives as a tar (a file, stdin, an API request body; compressed or not):
// extracted into `<tmp>/context` with the container-copy extractor, so no entry lands outside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { extractIntoView } from '../engine/container-files';

/** Extracts the tar `input` into a new `context` directory under `tmp`; returns its path. */
export async function extractBuildContext(input: Readable, tmp: string, what = 'extracting the build context'): Promise<string> {
  const dir = path.join(tmp, 'context');
  fs.mkdirSync(dir);
  await extractIntoView({ root: dir, mounts: [], label: 'the build context' }, input, { dir: [], overwrite: true, what });
  return dir;
}
