// COPY and ADD: sources from the build context (globs, ignore rules), another stage or image,
// heredocs, or URLs (ADD), written into a working container's rootfs with Docker's directory
// semantics. Everything is streamed as a tar and extracted with the container-copy extractor, so
// paths resolve inside the rootfs and never through its symlinks onto the host.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { TarWriter } from '../storage/tar/writer';
import { addFsEntry, extractIntoView, isTarArchive, resolveInView, FsView } from '../engine/container-files';
import type { IgnoreMatcher } from './ignore';
import { PierError } from '../util/errors';

export type CopySource =
  | { kind: 'content'; name: string; content: string }
  /** body: the content once fetched (for the cache key), so the copy does not fetch it again. */
  | { kind: 'url'; url: string; checksum?: string; body?: Buffer }
  | { kind: 'path'; root: string; pattern: string; ignore?: IgnoreMatcher; fromContext: boolean };

interface Match {
  abs: string;
  /** Relative to the source root. */
  rel: string;
}

function hasGlob(s: string): boolean {
  return /[*?[]/.test(s);
}

function globSegment(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1);
      if (end < 0) { re += '\\['; continue; }
      re += `[${seg.slice(i + 1, end).replace(/^!/, '^')}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The paths a source pattern names under its root (refusing any that would leave it). */
function matchSource(s: Extract<CopySource, { kind: 'path' }>): Match[] {
  const clean = path.posix.normalize('/' + s.pattern).replace(/^\/+/, '');
  if (s.fromContext && path.posix.normalize(s.pattern).startsWith('..')) {
    throw new PierError(`${s.pattern}: path is outside of the build context`);
  }
  const segs = clean === '' || clean === '.' ? [] : clean.split('/').filter(Boolean);
  let cur: Match[] = [{ abs: s.root, rel: '' }];
  for (const seg of segs) {
    const next: Match[] = [];
    for (const m of cur) {
      if (!hasGlob(seg)) {
        const abs = path.join(m.abs, seg);
        if (fs.lstatSync(abs, { throwIfNoEntry: false })) next.push({ abs, rel: m.rel ? `${m.rel}/${seg}` : seg });
        continue;
      }
      let names: string[] = [];
      try { names = fs.readdirSync(m.abs).sort(); } catch { continue; }
      const re = globSegment(seg);
      for (const n of names) if (re.test(n)) next.push({ abs: path.join(m.abs, n), rel: m.rel ? `${m.rel}/${n}` : n });
    }
    cur = next;
  }
  // Context sources must stay inside the context even through symlinks.
  if (s.fromContext) {
    const root = fs.realpathSync(s.root);
    for (const m of cur) {
      const real = fs.realpathSync(m.abs);
      if (real !== root && !real.startsWith(root + '/')) throw new PierError(`${s.pattern}: path is outside of the build context`);
    }
  }
  if (!cur.length) {
    throw new PierError(hasGlob(s.pattern)
      ? `no items matching glob "${s.pattern}" copied`
      : `checking on sources under "${s.root}": copier: stat: "/${clean}": no such file or directory`);
  }
  if (!s.ignore) return cur;
  // buildah: an excluded match is skipped, unless it is a directory an exception names something
  // under, whose walk then finds what is re-included; a source that leaves nothing fails.
  const ig = s.ignore;
  const kept = cur.filter((m) => {
    if (!ig.ignored(m.rel)) return true;
    if (!ig.includeDirectoryAnyway(m.rel) || !fs.lstatSync(m.abs).isDirectory()) return false;
    let found = false;
    walk(m.abs, '', prefixed(ig, m.rel), () => { found = true; });
    return found;
  });
  if (!kept.length) {
    const using = ig.file ? ` using ${ig.file}` : '';
    throw new PierError(`no items matching glob "${path.join(s.root, clean)}" copied (${cur.length} filtered out${using}): no such file or directory`);
  }
  return kept;
}

/** The ignore rules a walk applies, to paths relative to the directory walked. */
type WalkRules = Pick<IgnoreMatcher, 'ignored' | 'descendInto'>;

/** Walks a directory (sorted), skipping what the ignore rules leave out. */
function walk(abs: string, rel: string, ignore: WalkRules | undefined, fn: (abs: string, rel: string, st: fs.Stats) => void): void {
  for (const n of fs.readdirSync(abs).sort()) {
    const a = path.join(abs, n);
    const r = rel ? `${rel}/${n}` : n;
    const st = fs.lstatSync(a);
    if (ignore && ignore.ignored(r)) {
      // An excluded directory may still hold re-included (!pattern) entries.
      if (st.isDirectory() && ignore.descendInto(r)) walk(a, r, ignore, fn);
      continue;
    }
    fn(a, r, st);
    if (st.isDirectory()) walk(a, r, ignore, fn);
  }
}

/** A digest of everything the sources name: paths, types, modes, link targets and contents. */
export async function contentDigest(sources: CopySource[]): Promise<string> {
  const h = createHash('sha256');
  const file = (abs: string, st: fs.Stats) => {
    h.update(`${st.mode}:${st.size}:${st.uid}:${st.gid}\0`);
    if (st.isFile()) h.update(fs.readFileSync(abs));
    else if (st.isSymbolicLink()) h.update(fs.readlinkSync(abs));
  };
  for (const s of sources) {
    if (s.kind === 'content') { h.update(`content:${s.name}\0${s.content}\0`); continue; }
    if (s.kind === 'url') {
      // With --checksum the content is pinned; without, what the server returns now is the key.
      h.update(`url:${s.url}\0${s.checksum ?? ''}\0`);
      if (!s.checksum) { s.body = await download(s.url); h.update(s.body); }
      continue;
    }
    for (const m of matchSource(s)) {
      h.update(`path:${m.rel}\0`);
      const st = fs.lstatSync(m.abs);
      file(m.abs, st);
      if (st.isDirectory()) walk(m.abs, '', s.ignore ? prefixed(s.ignore, m.rel) : undefined, (a, r, st2) => { h.update(`${r}\0`); file(a, st2); });
    }
  }
  return h.digest('hex');
}

/** The ignore rules for paths relative to a subdirectory of the context. */
function prefixed(ig: IgnoreMatcher, dirRel: string): WalkRules {
  if (!dirRel) return ig;
  return { ignored: (r: string) => ig.ignored(`${dirRel}/${r}`), descendInto: (r: string) => ig.descendInto(`${dirRel}/${r}`) };
}

/** ADD's test for a local archive (buildah's): once decompressed, it starts with a tar entry. */
function isArchive(file: string): Promise<boolean> {
  return isTarArchive(fs.createReadStream(file));
}

async function download(url: string, checksum?: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new PierError(`getting ${url}: HTTP ${res.status}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (checksum) {
    const m = /^sha256:([0-9a-f]{64})$/.exec(checksum);
    if (!m) throw new PierError(`invalid checksum ${checksum}: expected sha256:<hex>`);
    const got = createHash('sha256').update(body).digest('hex');
    if (got !== m[1]) throw new PierError(`checksum mismatch for ${url}: expected sha256:${m[1]}, got sha256:${got}`);
  }
  return body;
}

export interface CopyOptions {
  /** The image's WORKDIR, for relative destinations. */
  workdir: string;
  chown?: { uid: number; gid: number };
  chmod?: number;
  /** ADD: local tar archives are extracted. */
  extractArchives: boolean;
  /** Several sources: the destination is a directory. */
  multiple: boolean;
}

/** Copies the sources into `rootfs` at `dest` (Docker's COPY/ADD semantics). */
export async function copyIntoRootfs(rootfs: string, sources: CopySource[], dest: string, o: CopyOptions): Promise<void> {
  const view: FsView = { root: rootfs, mounts: [], label: 'the image' };
  const destPath = path.posix.resolve(o.workdir || '/', dest);
  const existing = resolveInView(view, destPath, true);
  const matched = sources.map((s) => (s.kind === 'path' ? matchSource(s) : []));
  const count = sources.reduce((n, s, i) => n + (s.kind === 'path' ? matched[i].length : 1), 0);
  // A directory source's contents go into the destination, which is then a directory (Docker's
  // `COPY . /app` makes /app).
  const dirSource = matched.some((list) => list.some((m) => fs.lstatSync(m.abs).isDirectory()));
  const destIsDir = dest.endsWith('/') || dest === '.' || o.multiple || count > 1 || dirSource || !!existing.st?.isDirectory();
  if (count > 1 && !dest.endsWith('/') && !existing.st?.isDirectory()) {
    throw new PierError(`adding multiple sources to non-directory destination "${dest}": destination must be a directory and end with a "/"`);
  }
  const ensureDir = (p: string) => {
    const comps: string[] = [];
    for (const part of p.split('/').filter(Boolean)) {
      const r = resolveInView(view, '/' + [...comps, part].join('/'), true);
      if (!r.st) {
        fs.mkdirSync(r.host, { mode: 0o755 });
        if (o.chown) fs.chownSync(r.host, o.chown.uid, o.chown.gid);
      } else if (!r.st.isDirectory()) throw new PierError(`${p}: not a directory`);
      comps.splice(0, comps.length, ...r.comps);
    }
    return comps;
  };
  const targetDir = destIsDir ? destPath : path.posix.dirname(destPath);
  const dirComps = ensureDir(targetDir);
  const fileName = destIsDir ? undefined : path.posix.basename(destPath);

  const w = new TarWriter();
  const owner = (st: fs.Stats | null, fromContext: boolean) => o.chown ?? (fromContext || !st ? { uid: 0, gid: 0 } : { uid: st.uid, gid: st.gid });
  const archives: string[] = [];
  const producing = (async () => {
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i];
      if (s.kind === 'content') {
        await w.addFile(fileName ?? s.name, s.content, { mode: o.chmod ?? 0o644, ...(o.chown ?? { uid: 0, gid: 0 }), mtime: Math.floor(Date.now() / 1000) });
        continue;
      }
      if (s.kind === 'url') {
        const body = s.body ?? await download(s.url, s.checksum);
        const name = fileName ?? (path.posix.basename(new URL(s.url).pathname) || 'download');
        await w.addFile(name, body, { mode: o.chmod ?? 0o600, ...(o.chown ?? { uid: 0, gid: 0 }), mtime: Math.floor(Date.now() / 1000) });
        continue;
      }
      const links = new Map<string, string>();
      for (const m of matched[i]) {
        const st = fs.lstatSync(m.abs);
        if (st.isDirectory()) {
          // A directory's contents are copied, not the directory itself.
          const ig = s.ignore ? prefixed(s.ignore, m.rel) : undefined;
          const entries: { a: string; r: string; st: fs.Stats }[] = [];
          walk(m.abs, '', ig, (a, r, st2) => entries.push({ a, r, st: st2 }));
          for (const e of entries) await addFsEntry(w, e.r, e.a, e.st, links, owner(e.st, s.fromContext), undefined, { fileMode: o.chmod, xattrs: false });
          continue;
        }
        if (o.extractArchives && st.isFile() && await isArchive(m.abs)) { archives.push(m.abs); continue; }
        const name = fileName ?? path.posix.basename(m.rel || m.abs);
        await addFsEntry(w, name, m.abs, st, links, owner(st, s.fromContext), undefined, { fileMode: o.chmod, xattrs: false });
      }
    }
    await w.finish();
  })();
  producing.catch((e) => w.stream.destroy(e));
  await extractIntoView(view, w.stream as Readable, { dir: dirComps, overwrite: true, what: 'copying' });
  await producing;
  // ADD: local archives are unpacked into the destination directory.
  for (const a of archives) {
    const dir = ensureDir(destIsDir ? destPath : destPath);
    await extractIntoView(view, fs.createReadStream(a), { dir, overwrite: true, what: 'extracting', ...(o.chown ? { owner: o.chown } : {}) });
  }
}
