// The remote BuildEngine: the context directory goes to POST /libpod/build as a tar (a
// Containerfile outside it, or given as text, is added to the tar under a private name, as
// podman-remote does), the build options as podman's query parameters; the JSON lines that come
// back ({stream}, {error}, {aux: {ID}}) are the build's output.
import { Transform } from 'node:stream';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BuildEngine, BuildOptions, BuildOutput } from '../build';
import { ApiClient, errorFrom, readText } from './client';
import { q } from './query';
import { PierError } from '../../util/errors';

const END = 1024;

/** A directory's tar with more files appended (the writer's two end blocks are held back first). */
function dirTarWith(dir: string, extra: { name: string; content: Buffer }[]): NodeJS.ReadableStream {
  const { writeDirAsTar, tarToBuffer } = require('../../storage/tar/writer') as typeof import('../../storage/tar/writer');
  if (!extra.length) return writeDirAsTar(dir);
  let tail = Buffer.alloc(0);
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      const all = Buffer.concat([tail, chunk]);
      tail = all.subarray(Math.max(0, all.length - END));
      cb(null, all.subarray(0, Math.max(0, all.length - END)));
    },
    flush(cb) {
      tarToBuffer(extra.map((e) => ({ type: 'file' as const, name: e.name, content: e.content }))).then((b) => cb(null, b), cb);
    },
  });
  return writeDirAsTar(dir).pipe(t);
}

export class RemoteBuild implements BuildEngine {
  constructor(private c: ApiClient) {}

  async build(o: BuildOptions, out: BuildOutput): Promise<{ id: string }> {
    const extra: { name: string; content: Buffer }[] = [];
    let dockerfile: string | undefined;
    if (o.containerfileText !== undefined) {
      dockerfile = `.pier-containerfile-${process.pid}`;
      extra.push({ name: dockerfile, content: Buffer.from(o.containerfileText) });
    } else if (o.containerfile) {
      const rel = path.relative(o.contextDir, path.resolve(o.containerfile));
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        dockerfile = `.pier-containerfile-${process.pid}`;
        extra.push({ name: dockerfile, content: fs.readFileSync(o.containerfile) });
      } else dockerfile = rel;
    }
    // Secrets travel in the tar under private names; the service takes them out of the context.
    const secrets: Record<string, string> = {};
    for (const [id, file] of Object.entries(o.secrets ?? {})) {
      secrets[id] = `.pier-secret-${process.pid}-${Object.keys(secrets).length}`;
      extra.push({ name: secrets[id], content: fs.readFileSync(file) });
    }
    if (o.ignoreFile) extra.push({ name: '.pier-ignorefile', content: fs.readFileSync(o.ignoreFile) });
    const query = q({
      dockerfile, t: o.tags, buildargs: o.buildArgs && Object.keys(o.buildArgs).length ? JSON.stringify(o.buildArgs) : undefined,
      labels: o.labels && Object.keys(o.labels).length ? JSON.stringify(o.labels) : undefined,
      annotations: o.annotations && Object.keys(o.annotations).length ? JSON.stringify(o.annotations) : undefined,
      target: o.target, nocache: o.noCache, layers: o.layers === false ? 'false' : undefined, pullpolicy: o.pull, squash: o.squash, squashall: o.squashAll,
      outputformat: o.format === 'docker' ? 'application/vnd.docker.distribution.manifest.v2+json' : undefined, nohosts: o.noHosts,
      timestamp: o.timestamp, q: o.quiet, rm: o.rm === false ? 'false' : undefined, forcerm: o.forceRm, platform: o.platform, networkmode: o.network,
      ignorefile: o.ignoreFile ? '.pier-ignorefile' : undefined, secrets: Object.keys(secrets).length ? JSON.stringify(secrets) : undefined,
    });
    const tls = o.registry?.tlsVerify;
    const { authHeader } = require('./images') as typeof import('./images');
    const res = await this.c.upload('POST', `/libpod/build${query}${tls === undefined ? '' : `${query ? '&' : '?'}tlsVerify=${tls}`}`, dirTarWith(o.contextDir, extra),
      o.registry?.creds ? authHeader(undefined, { creds: o.registry.creds }) : {});
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, await readText(res));
    let id = '';
    let err: string | undefined;
    let buf = '';
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const m = JSON.parse(line);
          if (typeof m.stream === 'string') out.write(m.stream);
          if (m.error) err = m.error;
          if (m.aux?.ID) id = String(m.aux.ID).replace(/^sha256:/, '');
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    if (err) throw new PierError(err);
    if (!id) throw new PierError('the service ended the build without an image id');
    return { id };
  }
}
