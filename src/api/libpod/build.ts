// POST /libpod/build (podman 4.3's parameters): the body is the context as a tar; the output is
// JSON lines — {"stream": ...} for each line of the build, {"error": ...} on failure and, at the
// end, {"aux": {"ID": "sha256:..."}} (the builder's own last line is the id).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Router, ApiRequest } from '../router';
import { queryBool } from '../query-params';
import { ApiError } from '../errors';
import type { BuildOptions, BuildContextSource, RunStepOptions } from '../../domain/build';
import { errorMessage, UsageError } from '../../util/errors';
import { registryQuery } from './images';


function jsonMap(v: string | null): Record<string, string> | undefined {
  if (!v) return undefined;
  try {
    const o = JSON.parse(v);
    return o && typeof o === 'object' && !Array.isArray(o) ? Object.fromEntries(Object.entries(o).map(([k, x]) => [k, String(x)])) : undefined;
  } catch { return undefined; }
}

/** A JSON list of strings (podman's addcaps, devices, dnsservers...). */
function jsonList(v: string | null, name: string): string[] | undefined {
  if (v === null || v === '') return undefined;
  let l: unknown;
  try { l = JSON.parse(v); } catch { throw new UsageError(`failed to parse query parameter '${name}': ${JSON.stringify(v)}: not a JSON list`); }
  if (!Array.isArray(l)) throw new UsageError(`failed to parse query parameter '${name}': ${JSON.stringify(v)}: not a JSON list`);
  return l.length ? l.map(String) : undefined;
}

/** A number parameter (0 or absent: unset). */
function num(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n !== 0 ? n : undefined;
}

/**
 * The RUN containers' settings from podman's query parameters: extrahosts, addcaps, dropcaps,
 * nsoptions (buildah's [{Name, Host, Path}]), cpu*, memory, memswap, devices, dns*, shmsize,
 * ulimits, seccomp, apparmor, labelopts, httpproxy.
 */
function runStepQuery(req: ApiRequest): RunStepOptions | undefined {
  const qp = req.query;
  const r: RunStepOptions = {
    addHost: jsonList(qp.get('extrahosts'), 'extrahosts'), capAdd: jsonList(qp.get('addcaps'), 'addcaps'), capDrop: jsonList(qp.get('dropcaps'), 'dropcaps'),
    cgroupParent: qp.get('cgroupparent') || undefined,
    cpuPeriod: num(qp.get('cpuperiod')), cpuQuota: num(qp.get('cpuquota')), cpuShares: num(qp.get('cpushares')),
    cpusetCpus: qp.get('cpusetcpus') || undefined, cpusetMems: qp.get('cpusetmems') || undefined,
    memory: num(qp.get('memory')), memorySwap: num(qp.get('memswap')), devices: jsonList(qp.get('devices'), 'devices'),
    dns: jsonList(qp.get('dnsservers'), 'dnsservers'), dnsOption: jsonList(qp.get('dnsoptions'), 'dnsoptions'), dnsSearch: jsonList(qp.get('dnssearch'), 'dnssearch'),
    ulimits: jsonList(qp.get('ulimits'), 'ulimits'), httpProxy: queryBool(req, 'httpproxy') || undefined,
  };
  // podman's default /dev/shm (64m) is the same as a container's: only another size is kept.
  const shm = num(qp.get('shmsize'));
  if (shm !== undefined && shm !== 64 * 1024 * 1024) r.shmSize = shm;
  const sec = [
    ...(qp.get('seccomp') ? [`seccomp=${qp.get('seccomp')}`] : []),
    ...(qp.get('apparmor') ? [`apparmor=${qp.get('apparmor')}`] : []),
    ...(jsonList(qp.get('labelopts'), 'labelopts') ?? []).map((l) => `label=${l}`),
  ];
  if (sec.length) r.securityOpt = sec;
  const nsRaw = qp.get('nsoptions');
  if (nsRaw) {
    let list: { Name?: string; Host?: boolean; Path?: string }[];
    try { list = JSON.parse(nsRaw); } catch { throw new UsageError(`failed to parse query parameter 'nsoptions': ${JSON.stringify(nsRaw)}`); }
    for (const n of Array.isArray(list) ? list : []) {
      const key = n.Name === 'cgroup' ? 'cgroupns' : n.Name;
      if (key !== 'ipc' && key !== 'pid' && key !== 'uts' && key !== 'cgroupns') continue;
      r[key] = n.Host ? 'host' : n.Path ? `ns:${n.Path}` : 'private';
    }
  }
  for (const k of Object.keys(r) as (keyof RunStepOptions)[]) if (r[k] === undefined) delete r[k];
  return Object.keys(r).length ? r : undefined;
}

/** `dockerfile`: a path in the context, or (podman) a JSON list of them. */
function dockerfileParam(v: string | null): string | undefined {
  if (!v) return undefined;
  if (v.startsWith('[')) { try { const l = JSON.parse(v); return Array.isArray(l) && l.length ? String(l[0]) : undefined; } catch { /* a name */ } }
  return v;
}

export function registerLibpodBuildRoutes(router: Router): void {
  router.post('/libpod/build', async (r) => {
    // As podman's: a body that says it is not a tar is refused (the Docker endpoint takes any).
    const ct = r.req.headers['content-type'];
    if (ct && ct !== 'application/x-tar' && ct !== 'application/tar') {
      const why = `Content-Type: ${ct} is not supported. Should be "application/x-tar"`;
      throw new ApiError(400, `failed to parse query parameter 'Content-Type': ${JSON.stringify(ct)}: ${why}`, why);
    }
    const { extractBuildContext } = require('../../build/context') as typeof import('../../build/context');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-libpod-build-'));
    const res = r.res!;
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\n'); };
    let started = false;
    try {
      const ctx = await extractBuildContext(r.req, tmp, 'reading the build context');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      started = true;
      const qp = r.query;
      // Files pier's client added to the tar (a Containerfile from outside the context, an
      // ignore file) leave the context, so COPY never sees them.
      const outside = (name: string | undefined) => {
        if (!name || !/^\.pier-(containerfile|ignorefile)/.test(name) || !fs.existsSync(path.join(ctx, name))) return name ? path.join(ctx, name.replace(/^\/+/, '')) : undefined;
        fs.renameSync(path.join(ctx, name), path.join(tmp, name));
        return path.join(tmp, name);
      };
      const dockerfile = dockerfileParam(qp.get('dockerfile'));
      const pullpolicy = qp.get('pullpolicy');
      const fmt = qp.get('outputformat');
      const ignore = qp.get('ignorefile');
      // secrets: {id: file in the tar}; the files leave the context before the build sees it.
      const secrets: Record<string, string> = {};
      const secretDir = path.join(tmp, 'secrets');
      for (const [id, rel] of Object.entries(jsonMap(qp.get('secrets')) ?? {})) {
        const src = path.join(ctx, path.normalize(rel).replace(/^(\.\.(\/|$))+/, ''));
        if (!src.startsWith(ctx + path.sep) || !fs.existsSync(src)) throw new Error(`secret ${id}: ${rel} is not in the build context`);
        fs.mkdirSync(secretDir, { recursive: true, mode: 0o700 });
        secrets[id] = path.join(secretDir, `${Object.keys(secrets).length}`);
        fs.renameSync(src, secrets[id]);
      }
      // additionalbuildcontexts: {name: {IsURL, IsImage, Value}}; a directory pier's client sent
      // in the tar leaves the context (podman-remote sends a path of its own machine).
      let buildContexts: Record<string, BuildContextSource> | undefined;
      const bcRaw = qp.get('additionalbuildcontexts');
      if (bcRaw) {
        let m: Record<string, { IsURL?: boolean; IsImage?: boolean; Value?: string }>;
        try { m = JSON.parse(bcRaw); } catch { throw new UsageError(`failed to parse query parameter 'additionalbuildcontexts': ${JSON.stringify(bcRaw)}`); }
        buildContexts = {};
        for (const [name, c] of Object.entries(m ?? {})) {
          const value = String(c?.Value ?? '');
          if (c?.IsImage) buildContexts[name] = { type: 'image', ref: value };
          else if (c?.IsURL) buildContexts[name] = { type: 'url', url: value };
          else if (path.isAbsolute(value)) buildContexts[name] = { type: 'dir', path: value };
          else {
            const src = path.join(ctx, path.normalize(value).replace(/^(\.\.(\/|$))+/, ''));
            if (!src.startsWith(ctx + path.sep) || !fs.existsSync(src)) throw new Error(`build context ${name}: ${value} is not in the uploaded context`);
            const dest = path.join(tmp, `buildcontext-${Object.keys(buildContexts).length}`);
            fs.renameSync(src, dest);
            buildContexts[name] = { type: 'dir', path: dest };
          }
        }
      }
      const cachettl = qp.get('cachettl');
      let cacheTtlMs: number | undefined;
      if (cachettl) {
        const { parseGoDuration } = require('../../image/filters') as typeof import('../../image/filters');
        cacheTtlMs = parseGoDuration(cachettl);
        if (cacheTtlMs === undefined) throw new UsageError(`failed to parse query parameter 'cachettl': time: invalid duration ${JSON.stringify(cachettl)}`);
      }
      const o: BuildOptions = {
        contextDir: ctx,
        containerfile: outside(dockerfile),
        tags: qp.getAll('t'), buildArgs: jsonMap(qp.get('buildargs')), labels: jsonMap(qp.get('labels')), annotations: jsonMap(qp.get('annotations')),
        target: qp.get('target') || undefined, noCache: queryBool(r, 'nocache'), layers: queryBool(r, 'layers', true),
        pull: (pullpolicy && ['always', 'missing', 'never', 'newer'].includes(pullpolicy) ? pullpolicy : queryBool(r, 'pull') ? 'always' : 'missing') as BuildOptions['pull'],
        squash: queryBool(r, 'squash'), squashAll: queryBool(r, 'squashall'),
        format: fmt && /docker/.test(fmt) ? 'docker' : 'oci', noHosts: queryBool(r, 'nohosts'),
        timestamp: qp.get('timestamp') ? Number(qp.get('timestamp')) : undefined, quiet: queryBool(r, 'q'),
        rm: queryBool(r, 'rm', true), forceRm: queryBool(r, 'forcerm'), platform: qp.get('platform') || undefined,
        network: qp.get('networkmode') && qp.get('networkmode') !== 'default' ? qp.get('networkmode')! : undefined,
        ignoreFile: outside(ignore ?? undefined), secrets, registry: registryQuery(r),
        run: runStepQuery(r), env: qp.getAll('setenv').length ? qp.getAll('setenv') : undefined,
        unsetEnv: qp.getAll('unsetenv').length ? qp.getAll('unsetenv') : undefined, from: qp.get('from') || undefined,
        omitHistory: queryBool(r, 'omithistory'), osVersion: qp.get('osversion') || undefined,
        osFeatures: qp.getAll('osfeature').length ? qp.getAll('osfeature') : undefined,
        skipUnusedStages: queryBool(r, 'skipunusedstages', true),
        buildContexts, cacheTtlMs, cppFlags: jsonList(qp.get('cppflags'), 'cppflags'),
      };
      const { id } = await r.engines.build().build(o, { write: (s) => send({ stream: s }) });
      send({ aux: { ID: `sha256:${id}` } });
    } catch (e) {
      if (!started) { res.writeHead(200, { 'Content-Type': 'application/json' }); started = true; }
      // errorDetail.code (Docker's JSONError field): the exit code the client ends with (a failed RUN's status).
      const code = (e as { exitCode?: unknown }).exitCode;
      send({ error: errorMessage(e), errorDetail: { ...(typeof code === 'number' ? { code } : {}), message: errorMessage(e) } });
    } finally {
      res.end();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
