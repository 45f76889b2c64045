// The remote ImageEngine: the Libpod API's image endpoints. Archives move through the
// connection (load and import upload the local file, save downloads into the local one); registry
// credentials are the client's (--creds, --authfile, REGISTRY_AUTH_FILE), sent as X-Registry-Auth;
// login and logout stay local (they only edit the client's auth file).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type {
  ImageEngine, PullOptions, PushOptions, ImageSummary, ImageListOptions, RemoveReport, HistoryEntry, SaveOptions, ImportOptions,
  SearchResult, RegistryOptions, ProgressSink, ManifestAddOptions, ManifestAnnotateOptions, ManifestPushOptions,
} from '../images';
import { IMAGE_INSPECT_MAPS, removeExitCode } from '../images';
import { ApiClient, errorFrom, readText } from './client';
import { q, enc, filters } from './query';
import { PierError } from '../../util/errors';
import { markGoMaps } from '../../util/gomap';

/** The registry host of a fully qualified reference (short names are resolved by the service). */
function registryOf(ref: string): string | undefined {
  const r = ref.replace(/^docker:\/\//, '');
  const first = r.split('/')[0];
  if (r.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return undefined;
}

/** X-Registry-Auth for `ref`: --creds, else the client's auth file entry for its registry. */
export function authHeader(ref: string | undefined, o: RegistryOptions & { authfile?: string }): Record<string, string> {
  let username: string | undefined;
  let password: string | undefined;
  if (o.creds) {
    const i = o.creds.indexOf(':');
    username = i < 0 ? o.creds : o.creds.slice(0, i);
    password = i < 0 ? '' : o.creds.slice(i + 1);
  } else {
    const host = ref ? registryOf(ref) : undefined;
    if (!host) return {};
    const { getCredentials } = require('../../image/config/auth') as typeof import('../../image/config/auth');
    const c = getCredentials(ref!.replace(/^docker:\/\//, ''), { authFile: o.authfile || undefined });
    if (!c?.username) return {};
    username = c.username;
    password = c.password;
  }
  const json = JSON.stringify({ username, password, serveraddress: ref ? registryOf(ref) ?? '' : '' });
  return { 'X-Registry-Auth': Buffer.from(json).toString('base64url') };
}

/** Reads a stream of JSON lines. */
function jsonLines(onLine: (m: any) => void): (chunk: Buffer) => void {
  let buf = '';
  return (chunk) => {
    buf += chunk.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onLine(JSON.parse(line));
    }
  };
}

const progressLine = (p: ProgressSink | undefined) => (m: any) => { if (m.stream) p?.line(String(m.stream).replace(/\n$/, '')); };
const tls = (v: boolean | undefined) => (v === undefined ? undefined : String(v));

export class RemoteImages implements ImageEngine {
  constructor(private c: ApiClient) {}

  async pull(ref: string, opts: PullOptions) {
    let ids: string[] = [];
    let err: string | undefined;
    const p = opts.platform;
    await this.c.stream('POST', `/libpod/images/pull${q({ reference: ref, tlsVerify: tls(opts.tlsVerify), allTags: opts.allTags, quiet: !opts.progress, arch: p?.arch, os: p?.os, variant: p?.variant, retry: opts.retry, retryDelay: opts.retryDelayMs !== undefined ? `${opts.retryDelayMs}ms` : undefined })}`,
      jsonLines((m) => {
        progressLine(opts.progress)(m);
        if (m.error) err = m.error;
        if (m.images) ids = m.images;
      }), undefined, authHeader(ref, opts));
    if (err) throw new PierError(err);
    return ids;
  }

  async push(source: string, destination: string | undefined, opts: PushOptions): Promise<string> {
    let digest = '';
    let err: string | undefined;
    await this.c.stream('POST', `/libpod/images/${source}/push${q({ destination, tlsVerify: tls(opts.tlsVerify), quiet: !opts.progress, format: opts.format, compressionFormat: opts.compressionFormat, removeSignatures: opts.removeSignatures })}`,
      jsonLines((m) => {
        progressLine(opts.progress)(m);
        if (m.error) err = m.error;
        if (m.manifestdigest) digest = m.manifestdigest;
      }), undefined, authHeader(destination ?? source, opts));
    if (err) throw new PierError(err);
    if (opts.digestFile) fs.writeFileSync(opts.digestFile, digest);
    return digest;
  }

  async list(opts: ImageListOptions): Promise<ImageSummary[]> {
    const { parseFilter } = require('../../image/filters') as typeof import('../../image/filters');
    for (const f of opts.filters ?? []) parseFilter(f);
    return markGoMaps(await this.c.json<ImageSummary[]>('GET', `/libpod/images/json${q({ all: opts.all, filters: filters(opts.filters) })}`), ['*.Labels']);
  }
  async inspect(nameOrId: string) { return markGoMaps(await this.c.json<Record<string, unknown>>('GET', `/libpod/images/${nameOrId}/json`), IMAGE_INSPECT_MAPS); }
  async exists(nameOrId: string) { return (await this.c.status('GET', `/libpod/images/${nameOrId}/exists`)) === 204; }

  async tag(nameOrId: string, newNames: string[]) {
    for (const n of newNames) {
      const i = n.lastIndexOf(':');
      const hasTag = i > n.lastIndexOf('/');
      await this.c.json('POST', `/libpod/images/${nameOrId}/tag${q({ repo: hasTag ? n.slice(0, i) : n, tag: hasTag ? n.slice(i + 1) : 'latest' })}`);
    }
  }

  async untag(nameOrId: string, names: string[]) {
    if (!names.length) { await this.c.json('POST', `/libpod/images/${nameOrId}/untag`); return; }
    for (const n of names) {
      const i = n.lastIndexOf(':');
      const hasTag = i > n.lastIndexOf('/');
      await this.c.json('POST', `/libpod/images/${nameOrId}/untag${q({ repo: hasTag ? n.slice(0, i) : n, tag: hasTag ? n.slice(i + 1) : 'latest' })}`);
    }
  }

  async remove(namesOrIds: string[], opts: { force?: boolean; all?: boolean; ignore?: boolean }): Promise<RemoveReport> {
    const r = await this.c.json('DELETE', `/libpod/images/remove${q({ images: namesOrIds, force: opts.force, all: opts.all, ignore: opts.ignore })}`);
    return { deleted: r.Deleted ?? [], untagged: r.Untagged ?? [], errors: r.Errors ?? [], exitCode: r.ExitCode ?? 0 };
  }

  async history(nameOrId: string): Promise<HistoryEntry[]> {
    const rows = await this.c.json<{ Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[]>('GET', `/libpod/images/${nameOrId}/history`);
    return rows.map((h) => ({ id: h.Id, created: h.Created, createdBy: h.CreatedBy, size: h.Size, comment: h.Comment, tags: h.Tags ?? [] }));
  }

  async prune(opts: { all?: boolean; filters?: string[]; external?: boolean }): Promise<{ id: string; size: number }[]> {
    const rows = await this.c.json<{ Id: string; Size: number }[]>('POST', `/libpod/images/prune${q({ all: opts.all, external: opts.external, filters: filters(opts.filters) })}`);
    return (rows ?? []).map((r) => ({ id: r.Id, size: r.Size }));
  }

  async tree(nameOrId: string, whatrequires = false): Promise<string> {
    return (await this.c.json('GET', `/libpod/images/${nameOrId}/tree${q({ whatrequires })}`)).Tree;
  }

  /** The archive comes over the connection; directory formats arrive tarred and are unpacked here. */
  async save(namesOrIds: string[], opts: SaveOptions): Promise<void> {
    const p = namesOrIds.length === 1
      ? `/libpod/images/${namesOrIds[0]}/get${q({ format: opts.format, compress: opts.compress })}`
      : `/libpod/images/export${q({ references: namesOrIds, format: opts.format, compress: opts.compress })}`;
    const res = await this.c.raw('GET', p);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, await readText(res));
    if (!opts.format.endsWith('-dir')) {
      const tmp = `${opts.output}.pier-${process.pid}`;
      try {
        await pipeline(res, fs.createWriteStream(tmp));
        fs.renameSync(tmp, opts.output);
      } finally {
        fs.rmSync(tmp, { force: true });
      }
      return;
    }
    fs.mkdirSync(opts.output, { recursive: true });
    const { extractLayer } = require('../../storage/tar/extract') as typeof import('../../storage/tar/extract');
    await extractLayer(res, path.resolve(opts.output), { mode: 'vfs' });
  }

  async load(input: string, _opts: { progress?: ProgressSink }): Promise<string[]> {
    if (fs.statSync(input).isDirectory()) throw new PierError(`${input}: loading a directory is not supported in remote mode, use an archive`);
    const res = await this.c.upload('POST', '/libpod/images/load', fs.createReadStream(input));
    const text = await readText(res);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
    return JSON.parse(text).Names ?? [];
  }

  async importArchive(source: string, opts: ImportOptions): Promise<string> {
    const query = q({ reference: opts.reference, changes: opts.changes, message: opts.message, arch: opts.platform?.arch, os: opts.platform?.os, variant: opts.platform?.variant });
    if (/^https?:\/\//.test(source)) return (await this.c.json('POST', `/libpod/images/import${query}${query ? '&' : '?'}url=${enc(source)}`)).Id;
    const res = await this.c.upload('POST', `/libpod/images/import${query}`, fs.createReadStream(source));
    const text = await readText(res);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
    return JSON.parse(text).Id;
  }

  async login(registry: string, opts: { username: string; password: string; authfile?: string; tlsVerify?: boolean; certDir?: string }): Promise<void> {
    void registry; void opts;
    throw new PierError('login runs on the client: it is not sent to the service');
  }

  async logout(): Promise<void> { throw new PierError('logout runs on the client: it is not sent to the service'); }

  async search(term: string, opts: { limit?: number; tlsVerify?: boolean; filters?: string[]; listTags?: boolean; authfile?: string; creds?: string }): Promise<SearchResult[]> {
    return this.c.json('GET', `/libpod/images/search${q({ term, limit: opts.limit, tlsVerify: tls(opts.tlsVerify), filters: filters(opts.filters), listTags: opts.listTags })}`,
      undefined, authHeader(term, opts));
  }

  // Manifest lists: the Libpod API's /libpod/manifests endpoints.

  async manifestCreate(name: string, images: string[], opts: { all?: boolean; amend?: boolean; tlsVerify?: boolean }): Promise<string> {
    return (await this.c.json<{ Id: string }>('POST', `/libpod/manifests/${enc(name)}${q({ images, all: opts.all, amend: opts.amend, tlsVerify: tls(opts.tlsVerify) })}`)).Id;
  }

  async manifestExists(name: string): Promise<boolean> {
    const st = await this.c.status('GET', `/libpod/manifests/${enc(name)}/exists`);
    if (st === 204) return true;
    if (st === 404) return false;
    await this.c.json('GET', `/libpod/manifests/${enc(name)}/exists`); // throws the service's error
    return false;
  }

  async manifestInspect(name: string): Promise<string> {
    const { goJSON } = require('../../cli/format/gojson') as typeof import('../../cli/format/gojson');
    const { goMap } = require('../../util/gomap') as typeof import('../../util/gomap');
    const list = await this.c.json<Record<string, any>>('GET', `/libpod/manifests/${enc(name)}/json`);
    // Annotations are Go maps (sorted keys), as the service printed them.
    if (list.annotations) list.annotations = goMap(list.annotations);
    for (const m of Array.isArray(list.manifests) ? list.manifests : []) if (m.annotations) m.annotations = goMap(m.annotations);
    return goJSON(list, { indent: '    ', escapeHTML: true });
  }

  /** PUT /libpod/manifests/{name}: one operation; the first error the report has is thrown. */
  private async modify(name: string, body: Record<string, unknown>, o: RegistryOptions = {}, ref?: string): Promise<string> {
    const res = await this.c.raw('PUT', `/libpod/manifests/${enc(name)}${q({ tlsVerify: tls(o.tlsVerify) })}`, body, authHeader(ref, o));
    const text = await readText(res);
    let report: { Id?: string; errors?: string[]; message?: string } = {};
    try { report = JSON.parse(text); } catch { /* not JSON */ }
    if (report.errors?.length) throw new PierError(String(report.errors[0]));
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
    return report.Id ?? '';
  }

  async manifestAdd(name: string, images: string[], opts: ManifestAddOptions): Promise<string> {
    return this.modify(name, {
      operation: 'update', images, all: !!opts.all, annotation: opts.annotations, arch: opts.arch, features: opts.features,
      os: opts.os, os_version: opts.osVersion, variant: opts.variant,
    }, opts, images[0]);
  }

  async manifestAnnotate(name: string, digest: string, opts: ManifestAnnotateOptions): Promise<string> {
    return this.modify(name, {
      operation: 'annotate', images: [digest], annotation: opts.annotations, arch: opts.arch, features: opts.features, os: opts.os,
      os_features: opts.osFeatures, os_version: opts.osVersion, variant: opts.variant,
    });
  }

  async manifestRemove(name: string, digest: string): Promise<string> {
    return this.modify(name, { operation: 'remove', images: [digest] });
  }

  async manifestRm(names: string[]): Promise<RemoveReport> {
    const report: RemoveReport = { untagged: [], deleted: [], errors: [], exitCode: 0 };
    for (const name of names) {
      try {
        const r = await this.c.json<{ Deleted?: string[]; Untagged?: string[]; Errors?: string[] }>('DELETE', `/libpod/manifests/${enc(name)}`);
        report.untagged.push(...(r.Untagged ?? []));
        report.deleted.push(...(r.Deleted ?? []));
        report.errors.push(...(r.Errors ?? []));
      } catch (e) {
        report.errors.push((e as Error).message);
      }
    }
    report.exitCode = removeExitCode(report.errors);
    return report;
  }

  async manifestPush(name: string, destination: string, opts: ManifestPushOptions): Promise<string> {
    let digest = '';
    let err: string | undefined;
    await this.c.stream('POST', `/libpod/manifests/${enc(name)}/registry/${enc(destination)}${q({ all: opts.all !== false, format: opts.format, tlsVerify: tls(opts.tlsVerify), quiet: 'false' })}`,
      jsonLines((m) => {
        progressLine(opts.progress)(m);
        if (m.error) err = m.error;
        else if (m.Id) digest = m.Id;
      }), undefined, authHeader(destination, opts));
    if (err) throw new PierError(err);
    if (opts.rm) {
      const r = await this.manifestRm([name]);
      if (r.errors.length) throw new PierError(`removing manifest after push: ${r.errors[0]}`);
    }
    return digest;
  }
}
