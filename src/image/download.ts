// Fetching an http(s) URL into a temporary file, as podman does for `load -i URL` and
// `import URL`: redirects are followed, the status code is not checked (whatever the server
// sends is the payload, and the load or import then says what is wrong with it).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { send, isRedirect } from './registry/http';
import { PierError, errorMessage } from '../util/errors';

/** Whether `source` names an http(s) URL rather than a file. */
export function isHttpUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/**
 * Download `source` into a new file in `dir`; returns its path. Failures read as podman's
 * (`downloading URL: Get "URL": dial tcp ...: connect: connection refused`).
 */
export async function downloadToFile(source: string, dir: string): Promise<string> {
  const file = path.join(dir, `download-${process.pid}-${Date.now()}`);
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new PierError(`downloading ${source}: parse "${source}": invalid URL`);
  }
  try {
    for (let hops = 0; ; hops++) {
      const res = await send({ method: 'GET', url, tls: { verify: true }, connectTimeoutMs: 30_000, idleTimeoutMs: 120_000 });
      const location = res.headers.location;
      if (isRedirect(res.statusCode) && location) {
        res.resume();
        if (hops >= 10) throw new PierError(`Get "${url.href}": stopped after 10 redirects`);
        url = new URL(location, url);
        continue;
      }
      await pipeline(res, fs.createWriteStream(file, { mode: 0o600 }));
      return file;
    }
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw new PierError(`downloading ${source}: ${errorMessage(e)}`);
  }
}
