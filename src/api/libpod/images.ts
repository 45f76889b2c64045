// The Libpod API's image transfers and maintenance, as podman 4.3 answers them: load (tarball
// body -> {Names}), export / {name}/get (archives; directory formats come tarred), import
// (tarball body -> {Id}), push (JSON stream of {stream}, {error}, {manifestdigest}), prune,
// search and tree. Registry credentials come in X-Registry-Auth.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { queryBool, schemaBool } from '../query-params';
import type { SaveOptions, RegistryOptions } from '../../domain/images';
import { NotFoundError, errorMessage } from '../../util/errors';
import { registryCreds } from '../docker/images';

const SAVE_FORMATS = ['docker-archive', 'oci-archive', 'oci-dir', 'docker-dir'];

/** Registry options from the query (tlsVerify) and X-Registry-Auth. */
export function registryQuery(r: ApiRequest): RegistryOptions {
  const o: RegistryOptions = {};
  const tls = r.query.get('tlsVerify');
  if (tls !== null && tls !== '') o.tlsVerify = schemaBool(r, 'tlsVerify', tls);
  const creds = registryCreds(r);
  if (creds) o.creds = creds;
  return o;
}

function tmpdir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The request body into a file (load, import). */
async function bodyToFile(r: ApiRequest, dir: string, name: string): Promise<string> {
  const file = path.join(dir, name);
  await pipeline(r.req, fs.createWriteStream(file));
  return file;
}

/** An archive as podman's handlers send a file (the directory formats come tarred, as a tar stream). */
export const ARCHIVE_FILE_TYPE = 'application/octet; charset=us-ascii';

/** {name}/get and export: podman's default format is oci-archive; an unknown one is a 500. */
async function sendExport(r: ApiRequest, names: string[], unknownFormat: string): Promise<void> {
  const format = r.query.get('format') || 'oci-archive';
  const compress = queryBool(r, 'compress');
  if (!SAVE_FORMATS.includes(format)) throw new ApiError(500, `${unknownFormat} "${format}"`);
  if (names.length > 1 && format !== 'docker-archive') throw new ApiError(500, 'multi-image archives must use format of docker-archive');
  const dir = tmpdir('pier-libpod-export-');
  try {
    const out = path.join(dir, format.endsWith('-dir') ? 'out' : 'out.tar');
    try {
      await r.engines.images().save(names, {
        // compress is the docker-dir layers' (podman's API ignores it for the archive formats)
        output: out, format: format as SaveOptions['format'], compress: format === 'docker-dir' && compress,
        multiImageArchive: names.length > 1,
      });
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
    const res = r.res!;
    if (format.endsWith('-dir')) {
      const { writeDirAsTar } = require('../../storage/tar/writer') as typeof import('../../storage/tar/writer');
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      await pipeline(writeDirAsTar(out), res);
    } else {
      res.writeHead(200, { 'Content-Type': ARCHIVE_FILE_TYPE, 'Content-Length': String(fs.statSync(out).size) });
      await pipeline(fs.createReadStream(out), res);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function registerLibpodImageRoutes(router: Router): void {
  router.post('/libpod/images/load', async (r) => {
    const dir = tmpdir('pier-libpod-load-');
    try {
      const file = await bodyToFile(r, dir, 'load.tar');
      let names: string[];
      try { names = await r.engines.images().load(file, {}); } catch (e) { throw new ApiError(500, errorMessage(e)); }
      r.send(200, { Names: names });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  router.get('/libpod/images/export', async (r) => {
    const refs = r.query.getAll('references');
    if (!refs.length) throw new ApiError(400, 'no references');
    await sendExport(r, refs, 'unsupported format');
  });
  router.get('/libpod/images/{name*}/get', async (r) => sendExport(r, [r.params.name], 'unknown format'));

  router.post('/libpod/images/import', async (r) => {
    const dir = tmpdir('pier-libpod-import-');
    try {
      const url = r.query.get('url');
      const source = url || await bodyToFile(r, dir, 'import.tar');
      const platform = r.query.get('arch') || r.query.get('os') || r.query.get('variant')
        ? { arch: r.query.get('arch') || undefined, os: r.query.get('os') || undefined, variant: r.query.get('variant') || undefined } : undefined;
      const id = await r.engines.images().importArchive(source, {
        changes: r.query.getAll('changes'), message: r.query.get('message') || undefined, reference: r.query.get('reference') || undefined, platform,
      });
      r.send(200, { Id: id });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  router.post('/libpod/images/{name*}/push', async (r) => {
    const name = r.params.name;
    if (!(await r.engines.images().exists(name))) throw new ApiError(404, `${name}: image not known`);
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\n'); };
    const quiet = queryBool(r, 'quiet');
    const format = r.query.get('format');
    try {
      const digest = await r.engines.images().push(name, r.query.get('destination') || undefined, {
        ...registryQuery(r), progress: quiet ? undefined : { line: (l: string) => send({ stream: l + '\n' }) },
        compressionFormat: r.query.get('compressionFormat') || undefined, removeSignatures: queryBool(r, 'removeSignatures'),
        format: format === 'oci' || format === 'v2s2' ? format : format === 'docker' ? 'v2s2' : undefined,
      });
      send({ manifestdigest: digest });
    } catch (e) {
      send({ error: errorMessage(e) });
    }
    res.end();
  });

  router.post('/libpod/images/prune', async (r) => {
    const { dockerFilters } = require('../docker/containers') as typeof import('../docker/containers');
    const rows = await r.engines.images().prune({ all: queryBool(r, 'all'), external: queryBool(r, 'external'), filters: dockerFilters(r.query.get('filters')) });
    r.send(200, rows.map((x) => ({ Id: x.id, Size: x.size })));
  });

  router.get('/libpod/images/search', async (r) => {
    const term = r.query.get('term');
    if (!term) throw new ApiError(400, 'term is required');
    const { dockerFilters } = require('../docker/containers') as typeof import('../docker/containers');
    const limit = r.query.get('limit');
    const reg = registryQuery(r);
    r.send(200, await r.engines.images().search(term, {
      limit: limit ? Number(limit) : undefined, tlsVerify: reg.tlsVerify, creds: reg.creds,
      filters: dockerFilters(r.query.get('filters')), listTags: queryBool(r, 'listTags'),
    }));
  });

  router.get('/libpod/images/{name*}/tree', async (r) => {
    try { r.send(200, { Tree: await r.engines.images().tree(r.params.name, queryBool(r, 'whatrequires')) }); } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
  });
}
