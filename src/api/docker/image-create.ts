// Docker Engine API: POST /images/create — pulling (`fromImage`, `tag`, `platform`, credentials in
// X-Registry-Auth) with Docker's JSON progress stream, and importing a root file system tarball
// (`fromSrc=-` with the tarball as the body, or `fromSrc=URL`; `repo`, `tag`, `message`, `changes`).
//
// The pull stream, as dockerd writes it:
//   {"status":"Pulling from pushed/busybox","id":"1"}
//   {"status":"Pulling fs layer","progressDetail":{},"id":"3f4d90098f5b"}
//   {"status":"Downloading","progressDetail":{"current":N,"total":M},"progress":"[==>  ] ...","id":"3f4d90098f5b"}
//   {"status":"Download complete","progressDetail":{},"id":"3f4d90098f5b"}   ("Already exists" when present)
//   {"status":"Pull complete","progressDetail":{},"id":"3f4d90098f5b"}
//   {"status":"Digest: sha256:..."}
//   {"status":"Status: Downloaded newer image for 127.0.0.1:5000/pushed/busybox:1"}  (or "Image is up to date for ...")
// An error before anything was written is an HTTP error (404 for a missing image, so `docker run`
// reports it plainly); after that it is {"errorDetail":{"message":...},"error":...} in the stream.
// A client hanging up does not stop the pull: the image is completed and stored.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ServerResponse } from 'node:http';
import type { Router, ApiRequest } from '../router';
import type { Platform } from '../../domain/images';
import { ApiError } from '../errors';
import { NotFoundError, PierError, UsageError, errorMessage } from '../../util/errors';
import { registryCreds, tlsFor } from './registry-auth';
import { dockerTagName } from './common';

/** Writes JSON lines, sending the 200 header only with the first line (so early errors can be HTTP errors). */
class JsonStream {
  started = false;
  constructor(private res: ServerResponse) {}
  send(o: unknown): void {
    if (!this.started) { this.res.writeHead(200, { 'Content-Type': 'application/json' }); this.started = true; }
    if (!this.res.destroyed) this.res.write(JSON.stringify(o) + '\r\n');
  }
  /** An error: an HTTP error if nothing was sent yet, else an error line. */
  fail(e: unknown, status: number): void {
    if (!this.started) throw e instanceof ApiError ? e : new ApiError(status, errorMessage(e));
    this.send({ errorDetail: { message: errorMessage(e) }, error: errorMessage(e) });
  }
  end(): void {
    if (!this.started) { this.res.writeHead(200, { 'Content-Type': 'application/json' }); this.started = true; }
    this.res.end();
  }
}

/** Docker's human sizes (decimal units, 3 significant digits): 1.23MB. */
function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${Number(n.toPrecision(3))}${units[i]}`;
}

/** Docker's progress bar: `[=====>      ] 1.2MB/3.4MB`. */
function progressBar(current: number, total: number): string {
  const width = 50;
  const done = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = '='.repeat(Math.max(0, done - 1)) + (done > 0 ? (done === width ? '=' : '>') : '') + ' '.repeat(width - done);
  return `[${bar}] ${humanSize(current)}/${humanSize(total)}`;
}

/** `os/arch[/variant]` → Platform; a 400 when malformed. */
export function parsePlatform(v: string | null): Platform | undefined {
  if (!v) return undefined;
  const p = v.split('/');
  if (p.length < 2 || p.length > 3 || p.some((x) => !x)) throw new ApiError(400, `invalid platform: ${JSON.stringify(v)}: expected os/arch[/variant]`);
  return { os: p[0], arch: p[1], variant: p[2] };
}

/** The repository path a reference names, without its registry host, tag or digest (Docker's "Pulling from"). */
function repoPath(ref: string): string {
  let s = ref.replace(/@.*$/, '');
  const colon = s.lastIndexOf(':');
  if (colon > s.lastIndexOf('/')) s = s.slice(0, colon);
  const parts = s.split('/');
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) parts.shift();
  if (parts.length === 1) parts.unshift('library');
  return parts.join('/');
}

/** A pull failure's HTTP status (when nothing was streamed yet). */
function pullStatus(e: unknown): number {
  const m = errorMessage(e);
  if (e instanceof NotFoundError || /manifest unknown|name unknown|not found|repository does not exist/i.test(m)) return 404;
  // Not 401: the Docker CLI answers a 401 on pull by prompting for a login (dockerd sends 500 here too).
  if (e instanceof UsageError) return 400;
  return e instanceof PierError ? e.httpStatus : 500;
}

async function pull(r: ApiRequest, from: string): Promise<void> {
  const tag = r.query.get('tag');
  const hasTag = /@/.test(from) || from.lastIndexOf(':') > from.lastIndexOf('/');
  // No tag at all: every tag of the repository (Docker's API; `docker pull -a`, docker-py's all_tags).
  const allTags = !tag && !hasTag;
  const ref = tag && !hasTag ? (/^sha256:/.test(tag) ? `${from}@${tag}` : `${from}:${tag}`) : from;
  const platform = parsePlatform(r.query.get('platform'));
  const images = r.engines.images();
  // "Downloaded newer image" when a name the pull sets is new or moved; else "Image is up to date".
  const names = async () => new Map((await images.list({ all: true })).flatMap((i) => [...i.RepoTags, ...i.RepoDigests].map((n) => [n, i.Id] as const)));
  const before = await names();
  const repoOf = (n: string) => n.replace(/@.*$/, '').replace(/:[^:/]*$/, '');
  const suffix = (n: string) => n.slice(repoOf(n).length);
  const wanted = (n: string) => (repoOf(n) === repoOf(ref) || repoOf(n).endsWith('/' + repoOf(ref))) && (allTags ? !n.includes('@') : suffix(n) === suffix(ref) || (!suffix(ref) && suffix(n) === ':latest'));
  const out = new JsonStream(r.res!);
  let announced = false;
  let downloaded = 0;
  let current = ref;
  const announce = () => {
    if (announced) return;
    announced = true;
    out.send({ status: `Pulling from ${repoPath(current)}`, id: current.includes('@') ? current.slice(current.indexOf('@') + 1) : current.lastIndexOf(':') > current.lastIndexOf('/') ? current.slice(current.lastIndexOf(':') + 1) : 'latest' });
  };
  const lastSent = new Map<string, number>();
  try {
    const ids = await images.pull(ref, {
      creds: registryCreds(r), tlsVerify: tlsFor(ref), platform, allTags,
      progress: {
        line: (l: string) => {
          // "Trying to pull" comes before the manifest is read: nothing is announced until that worked.
          const trying = /^Trying to pull (.*)\.\.\.$/.exec(l);
          if (trying && allTags) { current = trying[1]; announced = false; return; }
          if (/^Getting image source signatures/.test(l)) { announce(); return; }
          const skip = /^Copying blob ([0-9a-f]{12}) skipped/.exec(l);
          if (skip) { announce(); out.send({ status: 'Already exists', progressDetail: {}, id: skip[1] }); return; }
          const blob = /^Copying blob (?:sha256:)?([0-9a-f]{12})/.exec(l);
          if (blob) { announce(); downloaded++; out.send({ status: 'Pulling fs layer', progressDetail: {}, id: blob[1] }); }
        },
        bytes: (id: string, done: number, total: number) => {
          const now = Date.now();
          const complete = total > 0 && done >= total;
          if (!complete && now - (lastSent.get(id) ?? 0) < 100) return;
          lastSent.set(id, now);
          out.send({ status: 'Downloading', progressDetail: { current: done, total }, progress: progressBar(done, total), id });
          if (complete) out.send({ status: 'Download complete', progressDetail: {}, id });
        },
        blobDone: (id: string) => out.send({ status: 'Pull complete', progressDetail: {}, id }),
      },
    });
    announce();
    const info = await images.inspect(ids[0]);
    const repo = repoPath(ref);
    const digests = ((info.RepoDigests as string[] | undefined) ?? []).filter((d) => repoPath(d) === repo);
    const digest = digests[0]?.slice(digests[0].indexOf('@') + 1) ?? (info.Digest as string | undefined) ?? '';
    if (digest && !allTags) out.send({ status: `Digest: ${digest}` });
    const fresh = downloaded > 0 || [...(await names())].some(([n, id]) => wanted(n) && before.get(n) !== id);
    out.send({ status: fresh ? `Status: Downloaded newer image for ${ref}` : `Status: Image is up to date for ${ref}` });
  } catch (e) {
    out.fail(e, pullStatus(e));
  }
  out.end();
}

async function importImage(r: ApiRequest, src: string): Promise<void> {
  const repo = r.query.get('repo') || '';
  const tag = r.query.get('tag') || '';
  const reference = repo ? dockerTagName(tag ? `${repo}:${tag}` : repo) : undefined;
  const platform = parsePlatform(r.query.get('platform'));
  const changes = r.query.getAll('changes').filter(Boolean);
  const out = new JsonStream(r.res!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-api-import-'));
  try {
    let source = src;
    if (src === '-') {
      source = path.join(dir, 'rootfs.tar');
      await pipeline(r.req, fs.createWriteStream(source));
    } else if (!/^https?:\/\//i.test(src)) {
      throw new ApiError(400, `fromSrc must be "-" (the request body) or an http(s) URL, not ${JSON.stringify(src)}`);
    }
    const id = await r.engines.images().importArchive(source, { reference, message: r.query.get('message') || undefined, changes, platform });
    out.send({ status: `sha256:${id}` });
  } catch (e) {
    out.fail(e, e instanceof UsageError || /tar|gzip|header|invalid|unexpected end/i.test(errorMessage(e)) ? 400 : e instanceof PierError ? e.httpStatus : 500);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  out.end();
}

export function registerImageCreateRoutes(router: Router): void {
  router.post('/images/create', async (r) => {
    const from = r.query.get('fromImage');
    const src = r.query.get('fromSrc');
    if (from && src) throw new ApiError(400, 'fromImage and fromSrc are exclusive');
    if (from) return pull(r, from);
    if (src) return importImage(r, src);
    throw new ApiError(400, 'fromImage or fromSrc is required');
  });
}
