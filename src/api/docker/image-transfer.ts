// Docker Engine API: moving images — POST /images/{name}/push (JSON progress stream, credentials
// from X-Registry-Auth), GET /images/{name}/get and /images/get?names= (docker-archive tarballs),
// POST /images/load (a tarball body) — over the domain's ImageEngine.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { NotFoundError, errorMessage } from '../../util/errors';
import { registryCreds, tlsFor } from './registry-auth';

async function sendArchive(r: ApiRequest, names: string[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-api-save-'));
  try {
    const file = path.join(dir, 'images.tar');
    try {
      await r.engines.images().save(names, { output: file, format: 'docker-archive', multiImageArchive: names.length > 1 });
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
    r.res!.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': String(fs.statSync(file).size) });
    await pipeline(fs.createReadStream(file), r.res!);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function registerImageTransferRoutes(router: Router): void {
  router.get('/images/get', async (r) => {
    const names = r.query.getAll('names');
    if (!names.length) throw new ApiError(400, 'names is required');
    await sendArchive(r, names);
  });
  router.get('/images/{name*}/get', async (r) => sendArchive(r, [r.params.name]));

  router.post('/images/load', async (r) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-api-load-'));
    try {
      const file = path.join(dir, 'images.tar');
      await pipeline(r.req, fs.createWriteStream(file));
      const quiet = r.query.get('quiet') === '1' || r.query.get('quiet') === 'true';
      const names = await r.engines.images().load(file, {});
      r.res!.writeHead(200, { 'Content-Type': 'application/json' });
      // An image without a name in the archive is reported by ID, as dockerd does.
      for (const n of names) {
        const id = /^(?:sha256:)?([0-9a-f]{64})$/.exec(n);
        r.res!.write(JSON.stringify({ stream: id ? `Loaded image ID: sha256:${id[1]}\n` : `Loaded image: ${n}\n` }) + '\r\n');
      }
      if (quiet && !names.length) r.res!.write('{}\r\n');
      r.res!.end();
    } catch (e) {
      throw new ApiError(400, errorMessage(e).replace(/\s*\n\s*/g, ' '));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  router.post('/images/{name*}/push', async (r) => {
    const tag = r.query.get('tag');
    const name = r.params.name;
    const ref = tag ? `${name}:${tag}` : name;
    if (!(await r.engines.images().exists(ref))) throw new ApiError(404, `No such image: ${ref}`);
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\r\n'); };
    send({ status: `The push refers to repository [${name}]` });
    try {
      const digest = await r.engines.images().push(ref, undefined, {
        creds: registryCreds(r), tlsVerify: tlsFor(ref),
        progress: {
          line: (l: string) => {
            const skip = /^Copying blob ([0-9a-f]{12}) skipped/.exec(l);
            if (skip) { send({ status: 'Layer already exists', progressDetail: {}, id: skip[1] }); return; }
            const m = /^Copying blob (?:sha256:)?([0-9a-f]{12})/.exec(l);
            if (m) send({ status: 'Pushing', progressDetail: {}, id: m[1] });
          },
          blobDone: (id: string) => send({ status: 'Pushed', progressDetail: {}, id }),
        },
      });
      const shown = tag ?? (name.lastIndexOf(':') > name.lastIndexOf('/') ? name.slice(name.lastIndexOf(':') + 1) : 'latest');
      send({ status: `${shown}: digest: ${digest} size: 0` });
      send({ progressDetail: {}, aux: { Tag: shown, Digest: digest, Size: 0 } });
    } catch (e) {
      send({ errorDetail: { message: errorMessage(e) }, error: errorMessage(e) });
    }
    res.end();
  });
}
