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
import { PierError, errnoText } from '../../util/errors';

const END = 1024;

/**
 * A directory's tar with other directories (under a prefix each) and more files appended: every
 * tar but the last has its two end blocks held back.
 */
function dirTarWith(dir: string, extra: { name: string; content: Buffer }[], dirs: { prefix: string; dir: string }[] = []): NodeJS.ReadableStream {
  const { writeDirAsTar, tarToBuffer } = require('../../storage/tar/writer') as typeof import('../../storage/tar/writer');
  if (dirs.length) {
    const { Readable } = require('node:stream') as typeof import('node:stream');
    const parts: (() => AsyncIterable<Buffer>)[] = [
      () => writeDirAsTar(dir),
      ...dirs.map((d) => () => writeDirAsTar(d.dir, { prefix: d.prefix, includeRoot: true })),
      async function* () { yield await tarToBuffer(extra.map((e) => ({ type: 'file' as const, name: e.name, content: e.content }))); },
    ];
    return Readable.from((async function* () {
      for (const [i, part] of parts.entries()) {
        let tail = Buffer.alloc(0);
        for await (const chunk of part()) {
          const all = Buffer.concat([tail, chunk]);
          tail = all.subarray(Math.max(0, all.length - END));
          if (all.length > END) yield all.subarray(0, all.length - END);
        }
        if (i === parts.length - 1) yield tail;
      }
    })());
  }
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
        // A *.in Containerfile keeps its suffix: the service preprocesses it.
        dockerfile = `.pier-containerfile-${process.pid}${o.containerfile.endsWith('.in') ? '.in' : ''}`;
        let content: Buffer;
        try { content = fs.readFileSync(o.containerfile); } catch (e) { throw new PierError(`reading Containerfile ${o.containerfile}: ${errnoText(e)}`); }
        extra.push({ name: dockerfile, content });
      } else dockerfile = rel;
    }
    // Secrets travel in the tar under private names; the service takes them out of the context.
    const secrets: Record<string, string> = {};
    for (const [id, file] of Object.entries(o.secrets ?? {})) {
      secrets[id] = `.pier-secret-${process.pid}-${Object.keys(secrets).length}`;
      extra.push({ name: secrets[id], content: fs.readFileSync(file) });
    }
    if (o.ignoreFile) extra.push({ name: '.pier-ignorefile', content: fs.readFileSync(o.ignoreFile) });
    // --build-context directories travel in the tar too, each under a private name (podman-remote
    // sends its own paths, which only a service on the same machine can read).
    const dirs: { prefix: string; dir: string }[] = [];
    let contexts: Record<string, { IsURL: boolean; IsImage: boolean; Value: string }> | undefined;
    for (const [name, c] of Object.entries(o.buildContexts ?? {})) {
      contexts ??= {};
      if (c.type === 'dir') {
        const prefix = `.pier-buildcontext-${process.pid}-${dirs.length}`;
        dirs.push({ prefix, dir: c.path });
        contexts[name] = { IsURL: false, IsImage: false, Value: prefix };
      } else contexts[name] = c.type === 'image' ? { IsURL: false, IsImage: true, Value: c.ref } : { IsURL: true, IsImage: false, Value: c.url };
    }
    const r = o.run ?? {};
    const json = (v: unknown[] | undefined) => (v?.length ? JSON.stringify(v) : undefined);
    // Namespaces as buildah's NamespaceOptions: private, host or a path to join.
    const ns = (['ipc', 'pid', 'uts', 'cgroupns'] as const).filter((k) => r[k]).map((k) => {
      const v = r[k]!;
      return { Name: k === 'cgroupns' ? 'cgroup' : k, Host: v === 'host', Path: v.startsWith('ns:') ? v.slice(3) : '' };
    });
    const secOpt = (key: string) => r.securityOpt?.filter((x) => x.startsWith(`${key}=`)).map((x) => x.slice(key.length + 1));
    const query = q({
      dockerfile, t: o.tags, buildargs: o.buildArgs && Object.keys(o.buildArgs).length ? JSON.stringify(o.buildArgs) : undefined,
      labels: o.labels && Object.keys(o.labels).length ? JSON.stringify(o.labels) : undefined,
      annotations: o.annotations && Object.keys(o.annotations).length ? JSON.stringify(o.annotations) : undefined,
      target: o.target, nocache: o.noCache, layers: o.layers === false ? 'false' : undefined, pullpolicy: o.pull, squash: o.squash, squashall: o.squashAll,
      outputformat: o.format === 'docker' ? 'application/vnd.docker.distribution.manifest.v2+json' : undefined, nohosts: o.noHosts,
      timestamp: o.timestamp, q: o.quiet, rm: o.rm === false ? 'false' : undefined, forcerm: o.forceRm, platform: o.platform, networkmode: o.network,
      ignorefile: o.ignoreFile ? '.pier-ignorefile' : undefined, secrets: Object.keys(secrets).length ? JSON.stringify(secrets) : undefined,
      // podman's names for the RUN settings and the result's options.
      extrahosts: json(r.addHost), addcaps: json(r.capAdd), dropcaps: json(r.capDrop), cgroupparent: r.cgroupParent,
      nsoptions: ns.length ? JSON.stringify(ns) : undefined, cpuperiod: r.cpuPeriod, cpuquota: r.cpuQuota, cpushares: r.cpuShares,
      cpusetcpus: r.cpusetCpus, cpusetmems: r.cpusetMems, memory: r.memory, memswap: r.memorySwap, devices: json(r.devices),
      dnsservers: json(r.dns), dnsoptions: json(r.dnsOption), dnssearch: json(r.dnsSearch), shmsize: r.shmSize, ulimits: json(r.ulimits),
      seccomp: secOpt('seccomp')?.pop(), apparmor: secOpt('apparmor')?.pop(), labelopts: json(secOpt('label')), httpproxy: r.httpProxy ? '1' : undefined,
      setenv: o.env, unsetenv: o.unsetEnv, from: o.from, omithistory: o.omitHistory ? '1' : undefined, osversion: o.osVersion, osfeature: o.osFeatures,
      skipunusedstages: o.skipUnusedStages === false ? '0' : undefined, additionalbuildcontexts: contexts ? JSON.stringify(contexts) : undefined,
      cachettl: o.cacheTtlMs ? `${o.cacheTtlMs}ms` : undefined, cppflags: json(o.cppFlags),
    });
    const tls = o.registry?.tlsVerify;
    const { authHeader } = require('./images') as typeof import('./images');
    const res = await this.c.upload('POST', `/libpod/build${query}${tls === undefined ? '' : `${query ? '&' : '?'}tlsVerify=${tls}`}`, dirTarWith(o.contextDir, extra, dirs),
      o.registry?.creds ? authHeader(undefined, { creds: o.registry.creds }) : {});
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, await readText(res));
    let id = '';
    let err: string | undefined;
    let errCode: number | undefined;
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
          if (m.error) { err = m.error; if (typeof m.errorDetail?.code === 'number') errCode = m.errorDetail.code; }
          if (m.aux?.ID) id = String(m.aux.ID).replace(/^sha256:/, '');
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
    });
    // podman-remote's exit code for a failed RUN: the status in the service's message.
    if (err) throw new PierError(err, errCode ?? Number(/while running runtime: exit status (\d+)$/.exec(err)?.[1] ?? 125));
    if (!id) throw new PierError('the service ended the build without an image id');
    return { id };
  }
}
