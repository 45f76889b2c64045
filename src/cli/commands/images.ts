// Image commands: `pier images|pull|push|rmi|tag|untag|history|inspect|save|load|import|
// login|logout|search` and the `pier image` group. They only call the ImageEngine and
// print what podman 4.3 prints (tables, JSON, Go templates, progress on stderr).
import { byName } from '../../util/compare';
import { imageFilesSubcommands } from './container-files';
import { stderrProgress } from '../progress';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandDef, FlagDef, Opts, OLD_FLAG_NAMES } from '../parser';
import { Ctx } from '../context';
import type { ImageEngine, ImageSummary, HistoryEntry, ProgressSink, PushOptions, RegistryOptions, Platform, SearchResult, SaveOptions } from '../../domain/images';
import { IMAGE_NOT_KNOWN } from '../../domain/images';
import { PierError, UsageError, errorMessage, readFileErrorText } from '../../util/errors';
import { parseGoDuration } from '../../image/filters';
import { formatList, formatInspect, isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { tabwriter } from '../format/tabwriter';
import { humanSize, timeAgo } from '../format/units';
import { asStruct } from '../format/gotemplate';
import { writeStdout, writeStderr } from '../../util/stdio';
import { goMap } from '../../util/gomap';

// ---------------------------------------------------------------------------------------
// Small helpers

const stderrSink: ProgressSink = stderrProgress();

/** Go's time.Time String(): `2006-01-02 15:04:05 -0700 MST` in the local zone (or UTC). */
export function goTimeString(d: Date, opts: { utc?: boolean } = {}): string {
  const p = (n: number) => String(n).padStart(2, '0');
  if (opts.utc) {
    return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
  }
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const zone = `${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
  const abbr = off === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? zone);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${zone} ${abbr}`;
}

/** RFC 3339 in the local zone, seconds precision: `2006-01-02T15:04:05Z` / `...+01:00`. */
export function rfc3339(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const zone = off === 0 ? 'Z' : `${off > 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${zone}`;
}

/** podman's sizes in tables: `units.HumanSizeWithPrecision(n, 3)` with a space before the unit. */
function tableSize(n: number): string {
  return humanSize(n);
}

/** Read one line from stdin (without the newline); null at end of input before a newline. */
function readStdinLine(): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const stdin = process.stdin;
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) { cleanup(); stdin.unshift(Buffer.from(buf.slice(nl + 1))); resolve(buf.slice(0, nl)); }
    };
    const onEnd = () => { cleanup(); resolve(null); };
    const onError = (e: Error) => { cleanup(); reject(e); };
    const cleanup = () => { stdin.off('data', onData); stdin.off('end', onEnd); stdin.off('error', onError); stdin.pause(); };
    stdin.on('data', onData); stdin.on('end', onEnd); stdin.on('error', onError);
    stdin.resume();
  });
}

/** Reads one line from a terminal without echoing it (login's password prompt); null on ctrl-d. */
function readHiddenLine(): Promise<string | null> {
  return new Promise((resolve) => {
    const stdin = process.stdin;
    let buf = '';
    stdin.setRawMode(true);
    const done = (v: string | null) => { stdin.off('data', onData); stdin.setRawMode(false); stdin.pause(); resolve(v); };
    const onData = (c: Buffer) => {
      for (const ch of c.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(buf);
        if (ch === '\u0004') return done(buf || null);
        if (ch === '\u0003') { stdin.setRawMode(false); writeStdout('\n'); process.exit(130); }
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
        else if (ch === '\u0015') buf = '';
        else if (ch >= ' ') buf += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

async function readStdinAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Copy stdin into a private temporary file; returns its path and a cleanup function. */
async function stdinToTempFile(ctx: Ctx, name: string): Promise<{ file: string; cleanup: () => void }> {
  const dir = fs.mkdtempSync(path.join(ctx.globals.tmpdir || os.tmpdir(), 'pier-'));
  const file = path.join(dir, name);
  const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
  await pipeline(process.stdin, fs.createWriteStream(file, { mode: 0o600 }));
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Print every error but the last to stderr; throw the last with `exitCode`. */
/**
 * Fails with several errors as one, as podman's errorhandling.JoinErrors does: a single error
 * as it is, more as "N errors occurred:" and a tab-indented "* error" line for each.
 */
export function failJoined(errors: string[], exitCode: number): never {
  if (errors.length === 1) throw new PierError(errors[0], exitCode);
  throw new PierError(`${errors.length} errors occurred:\n${errors.map((e) => `\t* ${e.replace(/\n/g, '\n\t')}`).join('\n')}`, exitCode);
}

export function checkAuthFile(authfile: string | undefined): void {
  if (!authfile) return;
  try {
    fs.statSync(authfile);
  } catch {
    throw new PierError(`stat ${authfile}: no such file or directory`);
  }
}

/** Registry options from flags: `--tls-verify` only counts when given. */
export function registryOptions(opts: Opts): RegistryOptions {
  const r: RegistryOptions = {};
  if (opts.changed?.has('tls-verify')) r.tlsVerify = !!opts.tlsVerify;
  if (opts.creds) r.creds = opts.creds;
  if (opts.authfile) r.authfile = opts.authfile;
  if (opts.certDir) r.certDir = opts.certDir;
  if (opts.changed?.has('retry')) r.retry = opts.retry;
  if (opts.retryDelay) {
    const ms = parseGoDuration(opts.retryDelay);
    if (ms === undefined) throw new UsageError(`time: invalid duration "${opts.retryDelay}"`);
    r.retryDelayMs = ms;
  }
  return r;
}

export const tlsVerifyFlag: FlagDef = { name: 'tls-verify', type: 'bool', default: true, help: 'Require HTTPS and verify certificates when contacting registries' };
export const authfileFlag: FlagDef = { name: 'authfile', type: 'string', help: 'Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' };
export const credsFlag: FlagDef = { name: 'creds', type: 'string', valueName: 'Credentials', help: 'Credentials (USERNAME:PASSWORD) to use for authenticating to a registry' };
const dctFlag: FlagDef = { name: 'disable-content-trust', type: 'bool', help: 'This is a Docker specific option and is a NOOP' };
const retryFlags: FlagDef[] = [
  { name: 'retry', type: 'int', help: 'number of times to retry in case of failure when performing pull', hidden: true },
  { name: 'retry-delay', type: 'string', help: 'delay between retries in case of pull failures', hidden: true },
];

/** Commands under `pier image X` spell their own name in usage and examples. */
function ex(lines: string[], prefix: string): string {
  return lines.map((l) => l.replace(/^podman /, `pier ${prefix}`)).join('\n');
}

// ---------------------------------------------------------------------------------------
// images / image list

const SORT_KEYS = ['created', 'id', 'repository', 'size', 'tag'];

/** One table row of `images`: the fields podman's templates know. */
export interface ImageRow {
  ID: string;
  Id: string;
  Repository: string;
  Tag: string;
  Digest: string;
  Digests: string[];
  Created: string;
  CreatedAt: string;
  CreatedSince: string;
  CreatedTime: string;
  Size: string;
  ReadOnly: boolean;
  History: string;
  Containers: number;
  Labels: Record<string, string>;
  Dangling: boolean;
  SharedSize: number;
  VirtualSize: number;
  ParentId: string;
  Names: string[];
  RepoTags: string[];
  RepoDigests: string[];
  IsReadOnly: boolean;
}

/** Raw values of a row, for sorting (kept out of the template-visible fields). */
const rowRaw = new WeakMap<ImageRow, { size: number; created: number }>();

function splitRepoTag(name: string): [string, string] {
  const at = name.indexOf('@');
  if (at >= 0) return [name.slice(0, at), '<none>'];
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return [name.slice(0, colon), name.slice(colon + 1)];
  return [name, '<none>'];
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function imageRows(images: ImageSummary[], noTrunc: boolean): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const s of images) {
    const created = new Date(s.Created * 1000);
    const ID = noTrunc ? `sha256:${s.Id}` : shortId(s.Id);
    const base = {
      Digest: s.Digest,
      Digests: s.RepoDigests.map((d) => d.slice(d.indexOf('@') + 1)),
      Created: timeAgo(created),
      CreatedAt: goTimeString(created),
      CreatedSince: timeAgo(created),
      CreatedTime: goTimeString(created),
      Size: tableSize(s.Size),
      ReadOnly: !!s.ReadOnly,
      IsReadOnly: !!s.ReadOnly,
      History: (s.History ?? []).join(', '),
      Containers: s.Containers,
      Labels: goMap(s.Labels),
      Dangling: s.Dangling,
      SharedSize: s.SharedSize,
      VirtualSize: s.VirtualSize,
      ParentId: s.ParentId,
      Names: s.Names ?? s.RepoTags,
      RepoTags: s.RepoTags,
      RepoDigests: s.RepoDigests,
    };
    const add = (Repository: string, Tag: string) => {
      const row = asStruct({ ID, Id: s.Id, Repository, Tag, ...base }, 'images.imageReporter');
      rowRaw.set(row, { size: s.Size, created: s.Created });
      rows.push(row);
    };
    if (s.RepoTags.length === 0) add('<none>', '<none>');
    for (const t of s.RepoTags) add(...splitRepoTag(t));
  }
  return rows;
}

export function sortImageRows(rows: ImageRow[], key: string): ImageRow[] {
  const raw = (r: ImageRow) => rowRaw.get(r) ?? { size: 0, created: 0 };
  const cmp: Record<string, (a: ImageRow, b: ImageRow) => number> = {
    created: (a, b) => raw(b).created - raw(a).created,
    id: (a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0),
    repository: (a, b) => (a.Repository < b.Repository ? -1 : a.Repository > b.Repository ? 1 : 0),
    size: (a, b) => raw(a).size - raw(b).size,
    tag: (a, b) => (a.Tag < b.Tag ? -1 : a.Tag > b.Tag ? 1 : 0),
  };
  return [...rows].sort(cmp[key]);
}

/** The JSON podman prints for one image in `images --format json`. */
function imageJSON(s: ImageSummary): Record<string, unknown> {
  const o: Record<string, unknown> = {
    Id: s.Id, ParentId: s.ParentId, RepoTags: s.RepoTags, RepoDigests: s.RepoDigests, Size: s.Size, SharedSize: s.SharedSize,
    VirtualSize: s.VirtualSize, Labels: s.Labels && Object.keys(s.Labels).length ? goMap(s.Labels) : null, Containers: s.Containers,
  };
  if (s.ReadOnly) o.ReadOnly = true;
  if (s.Names?.length) o.Names = s.Names;
  if (s.Dangling) o.Dangling = true;
  o.Digest = s.Digest;
  if (s.History?.length) o.History = s.History;
  o.Created = s.Created;
  o.CreatedAt = rfc3339(new Date(s.Created * 1000)).replace(/\+00:00$/, 'Z');
  return o;
}

const imagesFlags: FlagDef[] = [
  { name: 'all', short: 'a', type: 'bool', help: 'Show all images (default hides intermediate images)' },
  { name: 'digests', type: 'bool', help: 'Show digests' },
  { name: 'filter', short: 'f', type: 'stringArray', valueName: 'strings', help: 'Filter output based on conditions provided (default [])' },
  { name: 'format', type: 'string', help: 'Change the output format to JSON or a Go template' },
  { name: 'history', type: 'bool', help: 'Display the image name history' },
  { name: 'no-trunc', type: 'bool', help: 'Do not truncate output' },
  { name: 'noheading', short: 'n', type: 'bool', help: 'Do not print column headings' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'Display only image IDs' },
  { name: 'sort', type: 'string', default: 'created', help: 'Sort by id, repository, size, tag, created' },
];

async function runImages(ctx: Ctx, args: string[], opts: Opts): Promise<void> {
  const sortKey = String(opts.sort ?? 'created');
  if (!SORT_KEYS.includes(sortKey)) {
    throw new UsageError(`"${sortKey}" is not a valid field for sorting. Choose from: repository, size, tag, created, id`);
  }
  const filters: string[] = [...(opts.filter ?? [])];
  if (args.length) filters.push(`reference=${args[0]}`);
  const images = await ctx.images().list({ all: !!opts.all, filters });
  const format = String(opts.format ?? '');
  if (!opts.quiet && isJSONFormat(format)) {
    const sorted = [...images].sort((a, b) => b.Created - a.Created);
    ctx.out(goJSON(sorted.map(imageJSON), { indent: '    ', escapeHTML: true }));
    return;
  }
  const rows = sortImageRows(imageRows(images, !!opts.noTrunc), sortKey);
  if (opts.quiet) {
    const seen = new Set<string>();
    const ids = rows.map((r) => r.ID).filter((id) => (seen.has(id) ? false : (seen.add(id), true)));
    if (ids.length) ctx.out(ids.join('\n'));
    return;
  }
  const cols = ['{{.Repository}}', '{{.Tag}}'];
  if (opts.digests) cols.push('{{.Digest}}');
  cols.push('{{.ID}}', '{{.Created}}', '{{.Size}}');
  if (opts.history) cols.push('{{.History}}');
  const out = formatList(rows, format, `table ${cols.join('\t')}`, {
    noHeading: !!opts.noheading,
    headers: { ID: 'IMAGE ID', ReadOnly: 'R/O', IsReadOnly: 'R/O' },
  });
  ctx.out(out);
}

function imagesCmd(name: string, aliases: string[] | undefined, prefix: string): CommandDef {
  return {
    name,
    aliases,
    summary: 'List images in local storage',
    description: 'Lists images previously pulled to the system or created on the system.',
    usage: '[options] [IMAGE]',
    example: ex([
      `podman ${name} --format json`,
      `podman ${name} --sort repository --format "table {{.ID}} {{.Repository}} {{.Tag}}"`,
      `podman ${name} --filter dangling=true`,
    ], prefix),
    flags: imagesFlags,
    maxArgs: 1,
    run: runImages,
  };
}

// ---------------------------------------------------------------------------------------
// inspect

/**
 * An image inspect result as templates see podman's struct: Created a time (printed as Go
 * prints a time.Time; the JSON stays RFC 3339), and each History entry with its Go field names
 * (Created, CreatedBy, Author, Comment, EmptyLayer) and zero values, hidden from the JSON.
 */
export function imageTemplateFields(data: Record<string, unknown>): Record<string, unknown> {
  const { templateTime: time } = require('../../util/nanotime') as typeof import('../../util/nanotime');
  data.Created = time(data.Created);
  for (const h of Array.isArray(data.History) ? data.History as Record<string, unknown>[] : []) {
    if (!h || typeof h !== 'object') continue;
    const fields: Record<string, unknown> = {
      Created: h.created === undefined ? null : time(h.created), CreatedBy: h.created_by ?? '', Author: h.author ?? '', Comment: h.comment ?? '', EmptyLayer: h.empty_layer ?? false,
    };
    for (const [k, value] of Object.entries(fields)) Object.defineProperty(h, k, { enumerable: false, configurable: true, value });
  }
  return data;
}

async function inspectImages(ctx: Ctx, names: string[], format: string, notFound: (name: string, msg: string) => string): Promise<void> {
  const found: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for (const n of names) {
    try {
      found.push(imageTemplateFields(await ctx.images().inspect(n)));
    } catch (e) {
      errors.push(notFound(n, errorMessage(e)));
    }
  }
  const out = formatInspect(found, format || 'json');
  if (out) ctx.out(out);
  if (errors.length) {
    for (const e of errors.slice(1)) writeStderr(`error inspecting object: ${e}\n`);
    throw new PierError(`inspecting object: ${errors[0]}`);
  }
}

const imageInspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Display the configuration of an image',
  description: 'Displays the low-level information of an image identified by name or ID.',
  usage: '[options] IMAGE [IMAGE...]',
  example: ex([
    'podman image inspect alpine',
    'podman image inspect --format "imageId: {{.Id}} size: {{.Size}}" alpine',
    'podman image inspect --format "image: {{.ImageName}} driver: {{.Driver}}" myctr',
  ], ''),
  flags: [{ name: 'format', short: 'f', type: 'string', default: 'json', help: 'Format the output to a Go template or json' }],
  run(ctx: Ctx, args, opts) {
    if (!args.length) throw new UsageError('no names or ids specified');
    return inspectImages(ctx, args, opts.format, (_n, msg) => msg);
  },
};

const INSPECT_TYPES = ['image', 'container', 'pod', 'network', 'volume', 'all'];

const inspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Display the configuration of object denoted by ID',
  description: [
    'Displays the low-level information on an object identified by name or ID.',
    'For more inspection options, see:',
    '',
    '    pier container inspect',
    '    pier image inspect',
    '    pier network inspect',
    '    pier pod inspect',
    '    pier volume inspect',
  ].join('\n'),
  usage: '[options] {CONTAINER|IMAGE|POD|NETWORK|VOLUME} [...]',
  example: [
    'pier inspect fedora',
    'pier inspect --type image fedora',
    'pier inspect CtrID ImgID',
    'pier inspect --format "imageId: {{.Id}} size: {{.Size}}" fedora',
  ].join('\n'),
  flags: [
    { name: 'format', short: 'f', type: 'string', default: 'json', help: 'Format the output to a Go template or json' },
    { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container pier is aware of' },
    { name: 'size', short: 's', type: 'bool', help: 'Display total file size' },
    { name: 'type', short: 't', type: 'string', default: 'all', help: 'Specify inspect-object type' },
  ],
  async run(ctx: Ctx, args, opts) {
    const type = String(opts.type ?? 'all');
    if (!INSPECT_TYPES.includes(type)) {
      throw new UsageError(`invalid type "${type}": must be "image", "container", "pod", "network", "volume", or "all"`);
    }
    if (opts.size && type === 'image') throw new UsageError(`size is not supported for type "image"`);
    const { inspectContainers, withTemplateFields, throwIfOtherNamespace } = require('./containers') as typeof import('./containers');
    if (opts.latest || type === 'container') {
      return inspectContainers(ctx, args, { format: opts.format, size: opts.size, latest: opts.latest });
    }
    if (!args.length) throw new UsageError('no names or ids specified');
    if (type === 'image') return inspectImages(ctx, args, opts.format, (_n, msg) => msg);
    if (type === 'all') {
      // podman's order: a container by that name or id first, then an image.
      const found: Record<string, unknown>[] = [];
      const errors: string[] = [];
      for (const n of args) {
        try {
          if (await ctx.containers().exists(n)) found.push(withTemplateFields(await ctx.containers().inspect(n, { size: !!opts.size })));
          else found.push(imageTemplateFields(await ctx.images().inspect(n)));
        } catch (e) {
          throwIfOtherNamespace(e);
          errors.push(`no such object: "${n}"`);
        }
      }
      const out = formatInspect(found, opts.format || 'json');
      if (out) ctx.out(out);
      if (errors.length) {
        for (const e of errors.slice(0, -1)) writeStderr(`error inspecting object: ${e}\n`);
        throw new PierError(`inspecting object: ${errors[errors.length - 1]}`);
      }
      return;
    }
    // Pods, networks and volumes come with their own engines.
    const out = formatInspect([], opts.format || 'json');
    if (out) ctx.out(out);
    throw new PierError(`inspecting object: no such ${type} ${args[0]}`);
  },
};

// ---------------------------------------------------------------------------------------
// history

const HISTORY_CREATED_BY_TRUNC = 45;

export interface HistoryRow {
  ID: string;
  Created: string;
  CreatedAt: string;
  CreatedSince: string;
  CreatedBy: string;
  Size: string;
  Comment: string;
  Tags: string[];
}

export function historyRows(entries: HistoryEntry[], opts: { human: boolean; noTrunc: boolean }): HistoryRow[] {
  return entries.map((h) => {
    const created = new Date(h.created * 1000);
    let createdBy = h.createdBy;
    if (!opts.noTrunc && createdBy.length > HISTORY_CREATED_BY_TRUNC) createdBy = createdBy.slice(0, HISTORY_CREATED_BY_TRUNC - 3) + '...';
    return {
      ID: opts.noTrunc || h.id === '<missing>' ? h.id : shortId(h.id),
      Created: opts.human ? timeAgo(created) : rfc3339(created),
      // podman: time.Unix(created, 0).UTC().String(), as `images` prints it in UTC.
      CreatedAt: goTimeString(new Date(Math.floor(h.created) * 1000), { utc: true }),
      // podman's CreatedSince is its Created: human or RFC 3339 as -H says.
      CreatedSince: opts.human ? timeAgo(created) : rfc3339(created),
      CreatedBy: createdBy,
      Size: tableSize(h.size),
      Comment: h.comment,
      Tags: h.tags,
    };
  });
}

function historyCmd(prefix: string): CommandDef {
  return {
    name: 'history',
    flagAliases: OLD_FLAG_NAMES,
    summary: 'Show history of a specified image',
    description: 'Displays the history of an image.\n\nThe information can be printed out in an easy to read, or user specified format, and can be truncated.',
    usage: '[options] IMAGE',
    example: ex(['podman history quay.io/fedora/fedora'], prefix),
    flags: [
      { name: 'format', type: 'string', help: 'Change the output to JSON or a Go template' },
      { name: 'human', short: 'H', type: 'bool', default: true, help: 'Display sizes and dates in human readable format' },
      { name: 'no-trunc', type: 'bool', help: 'Do not truncate the output' },
      { name: 'notruncate', type: 'bool', help: 'Do not truncate the output', hidden: true },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Display the numeric IDs only' },
    ],
    minArgs: 1,
    maxArgs: 1,
    async run(ctx: Ctx, args, opts) {
      const entries = await ctx.images().history(args[0]);
      const noTrunc = !!(opts.noTrunc || opts.notruncate);
      const format = String(opts.format ?? '');
      if (isJSONFormat(format)) {
        ctx.out(goJSON(entries.map((h) => {
          const created = new Date(h.created * 1000);
          const o: Record<string, unknown> = { id: h.id, created: created.toISOString().replace(/\.000Z$/, 'Z') };
          if (h.createdBy) o.CreatedBy = h.createdBy;
          o.size = h.size;
          if (h.comment) o.comment = h.comment;
          o.Created = rfc3339(created);
          return o;
        }), { escapeHTML: true }));
        return;
      }
      const rows = historyRows(entries, { human: opts.human !== false, noTrunc });
      if (opts.quiet) {
        if (rows.length) ctx.out(rows.map((r) => r.ID).join('\n'));
        return;
      }
      ctx.out(formatList(rows, format, 'table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', {
        headers: { CreatedBy: 'CREATED BY' },
      }));
    },
  };
}

// ---------------------------------------------------------------------------------------
// tag, untag, rmi, exists, prune, tree

function tagCmd(prefix: string): CommandDef {
  return {
    name: 'tag',
    summary: 'Add an additional name to a local image',
    description: 'Adds one or more additional names to locally-stored image.',
    usage: 'IMAGE TARGET_NAME [TARGET_NAME...]',
    example: ex([
      'podman tag 0e3bbc2 fedora:latest',
      'podman tag imageID:latest myNewImage:newTag',
      'podman tag httpd myregistryhost:5000/fedora/httpd:v2',
    ], prefix),
    minArgs: 2,
    async run(ctx: Ctx, args) {
      await ctx.images().tag(args[0], args.slice(1));
    },
  };
}

function untagCmd(prefix: string): CommandDef {
  return {
    name: 'untag',
    summary: 'Remove a name from a local image',
    description: 'Removes one or more names from a locally-stored image.',
    usage: 'IMAGE [IMAGE...]',
    example: ex([
      'podman untag 0e3bbc2',
      'podman untag imageID:latest otherImageName:latest',
      'podman untag httpd myregistryhost:5000/fedora/httpd:v2',
    ], prefix),
    minArgs: 1,
    async run(ctx: Ctx, args) {
      await ctx.images().untag(args[0], args.slice(1));
    },
  };
}

function rmiCmd(name: string, prefix: string): CommandDef {
  const cmdName = prefix ? `${prefix.trim()} ${name}` : name;
  return {
    name,
    summary: 'Removes one or more images from local storage',
    description: 'Removes one or more previously pulled or locally created images.',
    usage: '[options] IMAGE [IMAGE...]',
    example: [`pier ${cmdName} imageID`, `pier ${cmdName} --force alpine`, `pier ${cmdName} c4dfb1609ee2 93fd78260bd1 c0ed59d05ff7`].join('\n'),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Remove all images' },
      { name: 'force', short: 'f', type: 'bool', help: 'Force Removal of the image' },
      { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors if a specified image does not exist' },
      { name: 'no-prune', type: 'bool', help: 'Do not remove dangling images' },
    ],
    async run(ctx: Ctx, args, opts) {
      if (!opts.all && args.length === 0) throw new UsageError('image name or ID must be specified');
      if (opts.all && args.length > 0) throw new UsageError('when using the --all switch, you may not pass any images names or IDs');
      const report = await ctx.images().remove(args, { force: !!opts.force, all: !!opts.all, ignore: !!opts.ignore });
      const lines = [...report.untagged.map((u) => `Untagged: ${u}`), ...report.deleted.map((d) => `Deleted: ${d}`)];
      if (lines.length) ctx.out(lines.join('\n'));
      // With --force, images that are not known are no error (podman drops them before reporting).
      const errors = opts.force ? report.errors.filter((e) => !e.endsWith(IMAGE_NOT_KNOWN)) : report.errors;
      if (errors.length) failJoined(errors, report.exitCode || 125);
      return errors.length ? report.exitCode : 0;
    },
  };
}

const existsCmd: CommandDef = {
  name: 'exists',
  summary: 'Check if an image exists in local storage',
  description: 'If the named image exists in local storage, pier image exists exits with 0, otherwise the exit code will be 1.',
  usage: 'IMAGE',
  example: ['pier image exists ID', 'pier image exists IMAGE && pier pull IMAGE'].join('\n'),
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    return (await ctx.images().exists(args[0])) ? 0 : 1;
  },
};

/** The image engine's mount and unmount (local engines only: podman offers them in ABI mode alone). */
function imageMounts(ctx: Ctx): Required<Pick<ImageEngine, 'mount' | 'unmount'>> {
  const e = ctx.images();
  if (!e.mount || !e.unmount) throw new PierError('mounting images is not supported by this engine');
  return { mount: e.mount.bind(e), unmount: e.unmount.bind(e) };
}

const imageMountCmd: CommandDef = {
  name: 'mount',
  summary: "Mount an image's root filesystem",
  description: 'pier image mount\n    Lists all mounted images mount points if no images is specified\n\n  pier image mount IMAGE-NAME-OR-ID\n    Mounts the specified image and prints the mountpoint\n',
  usage: '[options] [IMAGE...]',
  example: ['pier image mount imgID', 'pier image mount imgID1 imgID2 imgID3', 'pier image mount', 'pier image mount --all'].join('\n'),
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Mount all images' },
    { name: 'format', type: 'string', help: 'Print the mounted images in specified format (json)' },
  ],
  async run(ctx: Ctx, args, opts) {
    if (args.length && opts.all) throw new UsageError('when using the --all switch, you may not pass any image names or IDs');
    const reports = await imageMounts(ctx).mount(args, { all: !!opts.all });
    if (args.length === 1 && !opts.format && !opts.all) {
      ctx.out(reports[0].path);
      return;
    }
    if (opts.format && isJSONFormat(opts.format)) {
      ctx.out(goJSON(reports.map((r) => ({ id: r.id, Names: [r.digest], Repositories: r.repositories, mountpoint: r.path })), { indent: ' ' }));
      return;
    }
    if (opts.format) throw new PierError(`unknown --format argument: ${JSON.stringify(opts.format)}`);
    // podman's "{{range . }}{{.ID}}\t{{.Path}}\n{{end -}}": the first tag, or the ID of an untagged image.
    if (reports.length) ctx.out(tabwriter(reports.map((r) => [r.repositories[0] ?? r.id, r.path])));
  },
};

const imageUnmountCmd: CommandDef = {
  name: 'unmount',
  aliases: ['umount'],
  summary: "Unmount an image's root filesystem",
  description: "Image storage increments a mount counter each time an image is mounted.\n\n  When an image is unmounted, the mount counter is decremented. The image's root filesystem is physically unmounted only when the mount counter reaches zero indicating no other processes are using the mount.\n\n  An unmount can be forced with the --force flag.\n",
  usage: '[options] IMAGE [IMAGE...]',
  example: ['pier unmount imgID', 'pier unmount imgID1 imgID2 imgID3', 'pier unmount --all'].join('\n'),
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Unmount all of the currently mounted images' },
    { name: 'force', short: 'f', type: 'bool', help: 'Force the complete unmount of the specified mounted images' },
  ],
  async run(ctx: Ctx, args, opts) {
    if (args.length < 1 && !opts.all) throw new UsageError('image name or ID must be specified');
    if (args.length > 0 && opts.all) throw new UsageError('when using the --all switch, you may not pass any image names or IDs');
    const ids = await imageMounts(ctx).unmount(args, { all: !!opts.all, force: !!opts.force });
    if (ids.length) ctx.out(ids.join('\n'));
  },
};

const pruneCmd: CommandDef = {
  name: 'prune',
  summary: 'Remove unused images',
  description: 'Removes dangling or unused images from local storage.',
  usage: '[options]',
  example: 'pier image prune',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all images not in use by containers, not just dangling ones' },
    { name: 'external', type: 'bool', help: 'Remove images even when they are used by external containers (e.g., by build containers)' },
    { name: 'filter', type: 'stringArray', help: "Provide filter values (e.g. 'label=<key>=<value>')" },
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation' },
  ],
  async run(ctx: Ctx, _args, opts) {
    if (!opts.force) {
      const what = opts.all
        ? 'WARNING! This command removes all images without at least one container associated with them.\n'
        : 'WARNING! This command removes all dangling images.\n';
      writeStdout(`${what}Are you sure you want to continue? [y/N] `);
      const answer = await readStdinLine();
      if (answer === null) throw new PierError('EOF');
      if (!answer.toLowerCase().startsWith('y')) return;
    }
    const removed = await ctx.images().prune({ all: !!opts.all, filters: opts.filter ?? [], external: !!opts.external });
    if (removed.length) ctx.out(removed.map((r) => r.id).join('\n'));
  },
};

const treeCmd: CommandDef = {
  name: 'tree',
  summary: 'Prints layer hierarchy of an image in a tree format',
  description: 'Prints layer hierarchy of an image in a tree format',
  usage: '[options] IMAGE',
  example: 'pier image tree alpine:latest',
  flags: [{ name: 'whatrequires', type: 'bool', help: 'Show all child images and layers of the specified image' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args, opts) {
    const tree = await ctx.images().tree(args[0], !!opts.whatrequires);
    writeStdout(tree.endsWith('\n') ? tree + '\n' : tree + '\n\n');
  },
};

// ---------------------------------------------------------------------------------------
// pull, push

function parsePlatform(opts: Opts): Platform | undefined {
  if (opts.platform) {
    if (opts.arch || opts.os) throw new UsageError('--platform option can not be specified with --arch or --os');
    const parts = String(opts.platform).split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
      throw new UsageError(`invalid platform syntax for --platform=${JSON.stringify(opts.platform)}: use one of the following formats: OS/ARCH, OS/ARCH/VARIANT`);
    }
    return { os: parts[0], arch: parts[1], variant: parts[2] };
  }
  if (opts.arch || opts.os || opts.variant) return { os: opts.os || undefined, arch: opts.arch || undefined, variant: opts.variant || undefined };
  return undefined;
}

function pullCmd(prefix: string): CommandDef {
  return {
    name: 'pull',
    summary: 'Pull an image from a registry',
    description: "Pulls an image from a registry and stores it locally.\n\nAn image can be pulled by tag or digest. If a tag is not specified, the image with the 'latest' tag is pulled.",
    usage: '[options] IMAGE [IMAGE...]',
    example: ex(['podman pull imageName', 'podman pull fedora:latest'], prefix),
    flags: [
      { name: 'all-tags', short: 'a', type: 'bool', help: 'All tagged images in the repository will be pulled' },
      { name: 'arch', type: 'string', valueName: 'ARCH', help: 'Use ARCH instead of the architecture of the machine for choosing images' },
      authfileFlag,
      { name: 'cert-dir', type: 'string', valueName: 'Pathname', help: 'Pathname of a directory containing TLS certificates and keys' },
      credsFlag,
      dctFlag,
      { name: 'os', type: 'string', valueName: 'OS', help: 'Use OS instead of the running OS for choosing images' },
      { name: 'platform', type: 'string', help: 'Specify the platform for selecting the image.  (Conflicts with arch and os)' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output information when pulling images' },
      { name: 'signature-policy', type: 'string', help: 'Path to a signature-policy file', hidden: true },
      tlsVerifyFlag,
      { name: 'variant', type: 'string', help: 'Use VARIANT instead of the running architecture variant for choosing images' },
      ...retryFlags,
    ],
    minArgs: 1,
    async run(ctx: Ctx, args, opts) {
      checkAuthFile(opts.authfile);
      // podman-remote has no --signature-policy: the service's own policy applies.
      if (opts.signaturePolicy && ctx.remoteUri) throw new PierError('--signature-policy is not supported by the remote pier client');
      const platform = parsePlatform(opts);
      const reg = registryOptions(opts);
      for (const ref of args) {
        const ids = await ctx.images().pull(ref, { ...reg, allTags: !!opts.allTags, platform, progress: opts.quiet ? undefined : stderrSink, signaturePolicy: opts.signaturePolicy || undefined });
        if (ids.length) ctx.out(ids.join('\n'));
      }
    },
  };
}

/**
 * The signing options of push and manifest push (podman's PrepareSigningPassphrase): the
 * passphrase of --sign-passphrase-file for the one key given, else, for a sigstore key, one
 * asked for on the terminal. Signing is local only.
 */
export async function signingOptions(ctx: Ctx, opts: Record<string, any>): Promise<Pick<PushOptions, 'signBy' | 'signBySigstorePrivateKey' | 'signPassphrase'>> {
  if (opts.signBy && ctx.remoteUri) throw new PierError('signing images (--sign-by) is not supported by the remote pier client');
  if (opts.signBySigstorePrivateKey && ctx.remoteUri) throw new PierError('signing images (--sign-by-sigstore-private-key) is not supported by the remote pier client');
  if (opts.signPassphraseFile && opts.signBy && opts.signBySigstorePrivateKey) {
    throw new PierError('only one of --sign-by and sign-by-sigstore-private-key can be used with --sign-passphrase-file');
  }
  let signPassphrase: string | undefined;
  if (opts.signPassphraseFile) signPassphrase = readPassphraseFile(opts.signPassphraseFile);
  else if (opts.signBySigstorePrivateKey) {
    signPassphrase = '';
    if (process.stdin.isTTY) {
      writeStdout('Key Passphrase: ');
      signPassphrase = (await readHiddenLine()) ?? '';
      writeStdout('\n');
    }
  }
  return { signBy: opts.signBy || undefined, signBySigstorePrivateKey: opts.signBySigstorePrivateKey || undefined, signPassphrase };
}

/** The passphrase in a file: its first line, as gpg and containers/image read it. */
function readPassphraseFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PierError(readFileErrorText(e, file));
  }
  const nl = text.indexOf('\n');
  return nl === -1 ? text : text.slice(0, nl);
}

function pushCmd(prefix: string): CommandDef {
  return {
    name: 'push',
    summary: 'Push an image to a specified destination',
    description: 'Pushes a source image to a specified destination.\n\nThe Image "DESTINATION" uses a "transport":"details" format. See pier-push(1) section "DESTINATION" for the expected format.',
    usage: '[options] IMAGE [DESTINATION]',
    example: ex(['podman push imageID docker://registry.example.com/repository:tag', 'podman push imageID oci-archive:/path/to/layout:image:tag'], prefix),
    flags: [
      authfileFlag,
      { name: 'cert-dir', type: 'string', help: 'Path to a directory containing TLS certificates and keys' },
      { name: 'compress', type: 'bool', help: "Compress tarball image layers when pushing to a directory using the 'dir' transport. (default is same compression type as source)" },
      { name: 'compression-format', type: 'string', help: 'compression format to use' },
      credsFlag,
      { name: 'digestfile', type: 'string', help: 'Write the digest of the pushed image to the specified file' },
      dctFlag,
      { name: 'format', short: 'f', type: 'string', help: 'Manifest type (oci, v2s2, or v2s1) to use in the destination (default is manifest type of source, with fallbacks)' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output information when pushing images' },
      { name: 'remove-signatures', type: 'bool', help: 'Discard any pre-existing signatures in the image' },
      { name: 'sign-by', type: 'string', help: 'Add a signature at the destination using the specified key' },
      { name: 'sign-by-sigstore-private-key', type: 'string', valueName: 'PATH', help: 'Sign the image using a sigstore private key at PATH' },
      { name: 'sign-passphrase-file', type: 'string', valueName: 'PATH', help: 'Read a passphrase for signing an image from PATH' },
      tlsVerifyFlag,
      ...retryFlags,
    ],
    minArgs: 1,
    maxArgs: 2,
    async run(ctx: Ctx, args, opts) {
      checkAuthFile(opts.authfile);
      const signing = await signingOptions(ctx, opts);
      let format: 'oci' | 'v2s2' | undefined;
      if (opts.format) {
        // podman takes 'docker' as another name of v2s2.
        if (!['oci', 'v2s2', 'v2s1', 'docker'].includes(opts.format)) {
          throw new UsageError(`unknown format "${opts.format}". Choose on of the supported formats: 'oci', 'v2s1', or 'v2s2'`);
        }
        if (opts.format === 'v2s1') throw new PierError('the v2s1 (Docker schema 1) manifest format is not supported');
        format = opts.format === 'oci' ? 'oci' : 'v2s2';
      }
      if (opts.compressionFormat && opts.compressionFormat !== 'gzip') {
        throw new PierError(`unsupported compression format "${opts.compressionFormat}": only gzip is supported`);
      }
      await ctx.images().push(args[0], args[1], {
        ...registryOptions(opts), progress: opts.quiet ? undefined : stderrSink, compressionFormat: opts.compressionFormat || undefined,
        removeSignatures: !!opts.removeSignatures, digestFile: opts.digestfile || undefined, format,
        ...signing,
      });
    },
  };
}

// ---------------------------------------------------------------------------------------
// save, load, import

const SAVE_FORMATS = ['oci-dir', 'oci-archive', 'docker-dir', 'docker-archive'];

function saveCmd(prefix: string): CommandDef {
  return {
    name: 'save',
    summary: 'Save image(s) to an archive',
    description: 'Save an image to docker-archive or oci-archive on the local machine. Default is docker-archive.',
    usage: '[options] IMAGE [IMAGE...]',
    example: ex([
      'podman save --quiet -o myimage.tar imageID',
      'podman save --format docker-dir -o ubuntu-dir ubuntu',
      'podman save > alpine-all.tar alpine:latest',
    ], prefix),
    flags: [
      { name: 'compress', type: 'bool', help: "Compress tarball image layers when saving to a directory using the 'dir' transport. (default is same compression type as source)" },
      { name: 'format', type: 'string', default: 'docker-archive', help: 'Save image to oci-archive, oci-dir (directory with oci manifest type), docker-archive, docker-dir (directory with v2s2 manifest type)' },
      { name: 'multi-image-archive', short: 'm', type: 'bool', help: 'Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)' },
      { name: 'output', short: 'o', type: 'string', help: 'Write to a specified file (default: stdout, which must be redirected)' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the output' },
      { name: 'uncompressed', type: 'bool', help: 'Accept uncompressed layers when copying OCI images' },
    ],
    async run(ctx: Ctx, args, opts) {
      if (!args.length) throw new UsageError('need at least 1 argument');
      const format = String(opts.format || 'docker-archive');
      if (!SAVE_FORMATS.includes(format)) throw new UsageError(`format value must be one of ${SAVE_FORMATS.join(' ')}`);
      if (opts.changed?.has('compress') && format !== 'docker-dir') throw new UsageError("--compress can only be set when --format is 'docker-dir'");
      const save = (output: string) => ctx.images().save(args, { output, format: format as SaveOptions['format'], compress: !!opts.compress, multiImageArchive: !!opts.multiImageArchive, uncompressed: !!opts.uncompressed });
      if (opts.output) { await save(opts.output); return; }
      if (process.stdout.isTTY) throw new UsageError('refusing to save to terminal. Use -o flag or redirect');
      if (format.endsWith('-dir')) throw new UsageError(`a directory must be given with -o to save in ${format} format`);
      const dir = fs.mkdtempSync(path.join(ctx.globals.tmpdir || os.tmpdir(), 'pier-save-'));
      try {
        const file = path.join(dir, 'archive.tar');
        await save(file);
        const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
        await pipeline(fs.createReadStream(file), process.stdout, { end: false });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function loadCmd(): CommandDef {
  return {
    name: 'load',
    summary: 'Load image(s) from a tar archive',
    description: 'Loads an image from a locally stored archive (tar file) into container storage.',
    usage: '[options]',
    flags: [
      { name: 'input', short: 'i', type: 'string', help: 'Read from specified archive file (default: stdin)' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the output' },
    ],
    maxArgs: 0,
    async run(ctx: Ctx, _args, opts) {
      let input = opts.input as string | undefined;
      let cleanup = () => undefined as void;
      const { isHttpUrl, downloadToFile } = require('../../image/download') as typeof import('../../image/download');
      if (!input) {
        if (process.stdin.isTTY) throw new UsageError('cannot read from terminal, use command-line redirection or the --input flag');
        const t = await stdinToTempFile(ctx, 'load.tar');
        input = t.file;
        cleanup = t.cleanup;
      } else if (isHttpUrl(input)) {
        // As podman does, the client downloads the archive and loads the file.
        const dir = fs.mkdtempSync(path.join(ctx.globals.tmpdir || os.tmpdir(), 'pier-'));
        cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
        try {
          input = await downloadToFile(input, dir);
        } catch (e) {
          cleanup();
          throw e;
        }
      } else if (!fs.existsSync(input)) {
        throw new PierError(`stat ${input}: no such file or directory`);
      }
      try {
        const names = await ctx.images().load(input, { progress: opts.quiet ? undefined : stderrSink });
        if (names.length) ctx.out(names.map((n) => `Loaded image: ${n}`).join('\n'));
      } finally {
        cleanup();
      }
    },
  };
}

function importCmd(prefix: string): CommandDef {
  return {
    name: 'import',
    summary: 'Import a tarball to create a filesystem image',
    description: 'Create a container image from the contents of the specified tarball (.tar, .tar.gz, .tgz, .bzip, .tar.xz, .txz).\n\nNote remote tar balls can be specified, via web address.\nOptionally tag the image. You can specify the instructions using the --change option.',
    usage: '[options] PATH [REFERENCE]',
    example: [
      `pier ${prefix}import https://example.com/ctr.tar url-image`,
      `cat ctr.tar | pier -q ${prefix}import --message "importing the ctr.tar tarball" - image-imported`,
      `cat ctr.tar | pier ${prefix}import -`,
    ].join('\n'),
    flags: [
      { name: 'arch', type: 'string', help: 'Set the architecture of the imported image' },
      { name: 'change', short: 'c', type: 'stringArray', help: 'Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR' },
      { name: 'message', short: 'm', type: 'string', help: 'Set commit message for imported image' },
      { name: 'os', type: 'string', help: 'Set the OS of the imported image' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output' },
      { name: 'variant', type: 'string', help: 'Set the variant of the imported image' },
    ],
    minArgs: 1,
    maxArgs: 2,
    async run(ctx: Ctx, args, opts) {
      let source = args[0];
      let cleanup = () => undefined as void;
      if (source === '-') {
        const t = await stdinToTempFile(ctx, 'import.tar');
        source = t.file;
        cleanup = t.cleanup;
      } else if (!/^https?:\/\//.test(source)) {
        source = path.resolve(source);
      } else if (!ctx.remoteUri) {
        // libimage announces the download on stdout, -q or not (podman-remote's service does, on its own).
        ctx.out(`Downloading from ${JSON.stringify(source)}`);
      }
      try {
        const platform = opts.arch || opts.os || opts.variant ? { arch: opts.arch || undefined, os: opts.os || undefined, variant: opts.variant || undefined } : undefined;
        const id = await ctx.images().importArchive(source, {
          changes: opts.change ?? [], message: opts.message || undefined, reference: args[1], platform,
          progress: opts.quiet ? undefined : stderrSink,
        });
        ctx.out(/^[0-9a-f]{64}$/.test(id) ? `sha256:${id}` : id);
      } finally {
        cleanup();
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// login, logout, search

function registryArg(ctx: Ctx, args: string[]): string {
  if (args[0]) return args[0].replace(/^(https?|docker):\/\//, '').replace(/\/+$/, '');
  const search = (ctx.images() as { searchRegistries?: () => string[] }).searchRegistries?.() ?? [];
  if (!search.length) throw new PierError('no registries found in registries.conf, a registry must be provided');
  return search[0];
}

const loginCmd: CommandDef = {
  name: 'login',
  summary: 'Login to a container registry',
  description: 'Login to a container registry on a specified server.',
  usage: '[options] [REGISTRY]',
  example: ['pier login quay.io', 'pier login --username ... --password ... quay.io', 'pier login --authfile dir/auth.json quay.io'].join('\n'),
  flags: [
    { name: 'authfile', type: 'string', help: 'path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' },
    { name: 'cert-dir', type: 'string', help: 'use certificates at the specified path to access the registry' },
    { name: 'get-login', type: 'bool', help: 'Return the current login user for the registry' },
    { name: 'password', short: 'p', type: 'string', help: 'Password for registry' },
    { name: 'password-stdin', type: 'bool', help: 'Take the password from stdin' },
    { name: 'tls-verify', type: 'bool', help: 'Require HTTPS and verify certificates when contacting registries' },
    { name: 'username', short: 'u', type: 'string', help: 'Username for registry' },
    { name: 'verbose', short: 'v', type: 'bool', help: 'Write more detailed information to stdout' },
  ],
  maxArgs: 1,
  async run(ctx: Ctx, args, opts) {
    if (opts.password && opts.passwordStdin) throw new UsageError("Can't specify both --password-stdin and --password");
    const registry = registryArg(ctx, args);
    if (opts.getLogin) {
      // Auth files are client-side state (as in podman-remote): read them here.
      const { getCredentials } = require('../../image/config/auth') as typeof import('../../image/config/auth');
      const creds = getCredentials(registry, { authFile: opts.authfile || undefined });
      if (!creds?.username) throw new PierError(`not logged into ${registry}`);
      ctx.out(creds.username);
      return;
    }
    let username: string = opts.username ?? '';
    let password: string = opts.password ?? '';
    if (opts.passwordStdin) {
      if (!username) throw new UsageError('must provide --username with --password-stdin');
      password = (await readStdinAll()).replace(/\r?\n$/, '');
    }
    if (!username) {
      writeStdout('Username: ');
      username = (await readStdinLine()) ?? '';
      if (!username) throw new PierError('getting username and password: reading username: EOF');
    }
    if (!password) {
      writeStdout('Password: ');
      password = (process.stdin.isTTY ? await readHiddenLine() : await readStdinLine()) ?? '';
      writeStdout('\n');
      if (!password) throw new PierError('getting username and password: reading password: EOF');
    }
    await ctx.images().login(registry, {
      username, password, authfile: opts.authfile || undefined, certDir: opts.certDir || undefined,
      tlsVerify: opts.changed?.has('tls-verify') ? !!opts.tlsVerify : undefined,
    });
    ctx.out('Login Succeeded!');
  },
};

const logoutCmd: CommandDef = {
  name: 'logout',
  summary: 'Logout of a container registry',
  description: 'Remove the cached username and password for the registry.',
  usage: '[options] [REGISTRY]',
  example: ['pier logout quay.io', 'pier logout --authfile dir/auth.json quay.io', 'pier logout --all'].join('\n'),
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove the cached credentials for all registries in the auth file' },
    { name: 'authfile', type: 'string', help: 'path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' },
  ],
  maxArgs: 1,
  async run(ctx: Ctx, args, opts) {
    if (opts.all) {
      if (args.length) throw new UsageError('--all takes no arguments');
      await ctx.images().logout(undefined, { all: true, authfile: opts.authfile || undefined });
      ctx.out('Removed login credentials for all registries');
      return;
    }
    const registry = registryArg(ctx, args);
    await ctx.images().logout(registry, { authfile: opts.authfile || undefined });
    ctx.out(`Removed login credentials for ${registry}`);
  },
};

const SEARCH_DESCRIPTION_TRUNC = 44;

const searchCmd: CommandDef = {
  name: 'search',
  summary: 'Search registry for image',
  description: 'Search registries for a given image. Can search all the default registries or a specific registry.\n\nUsers can limit the number of results, and filter the output based on certain conditions.',
  usage: '[options] TERM',
  example: [
    'pier search --filter=is-official --limit 3 alpine',
    'pier search registry.fedoraproject.org/  # only works with v2 registries',
    'pier search --format "table {{.Index}} {{.Name}}" registry.fedoraproject.org/fedora',
  ].join('\n'),
  flags: [
    authfileFlag,
    { name: 'cert-dir', type: 'string', help: 'Path to a directory containing TLS certificates and keys', hidden: true },
    { name: 'compatible', type: 'bool', help: 'List stars, official and automated columns (Docker compatibility)' },
    { ...credsFlag, hidden: true },
    { name: 'filter', short: 'f', type: 'stringArray', valueName: 'strings', help: 'Filter output based on conditions provided (default [])' },
    { name: 'format', type: 'string', help: 'Change the output format to JSON or a Go template' },
    { name: 'limit', type: 'int', help: 'Limit the number of results' },
    { name: 'list-tags', type: 'bool', help: 'List the tags of the input registry' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate the output' },
    tlsVerifyFlag,
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args, opts) {
    checkAuthFile(opts.authfile);
    const filters: string[] = opts.filter ?? [];
    if (opts.listTags && filters.length) throw new UsageError('filters are not applicable to list tags result');
    if (opts.limit !== undefined && opts.limit < 0) throw new UsageError(`limit must be greater than 0`);
    const results: SearchResult[] = await ctx.images().search(args[0], {
      limit: opts.limit || undefined, tlsVerify: opts.changed?.has('tls-verify') ? !!opts.tlsVerify : undefined,
      filters, listTags: !!opts.listTags, authfile: opts.authfile || undefined, creds: opts.creds || undefined,
    });
    const rows = results.map((r) => ({
      ...r,
      Description: !opts.noTrunc && r.Description.length > SEARCH_DESCRIPTION_TRUNC ? r.Description.slice(0, SEARCH_DESCRIPTION_TRUNC) + '...' : r.Description,
    }));
    const format = String(opts.format ?? '');
    if (isJSONFormat(format)) {
      ctx.out(goJSON(rows, { indent: '    ', escapeHTML: true }));
      return;
    }
    let table = 'table {{.Name}}\t{{.Description}}';
    if (opts.listTags) table = 'table {{.Name}}\t{{.Tag}}';
    else if (opts.compatible) table += '\t{{.Stars}}\t{{.Official}}\t{{.Automated}}';
    ctx.out(formatList(rows, format, table, {}));
  },
};

// ---------------------------------------------------------------------------------------
// Wiring

/** Top-level image commands. */
export function imageCommands(): CommandDef[] {
  return [
    imagesCmd('images', undefined, ''),
    pullCmd(''),
    pushCmd(''),
    rmiCmd('rmi', ''),
    tagCmd(''),
    untagCmd(''),
    historyCmd(''),
    inspectCmd,
    saveCmd(''),
    loadCmd(),
    importCmd(''),
    loginCmd,
    logoutCmd,
    searchCmd,
  ];
}

/** `pier image` and its subcommands. */
export function imageGroup(): CommandDef {
  const p = 'image ';
  return {
    name: 'image',
    summary: 'Manage images',
    description: 'Manage images',
    usage: '[command]',
    subcommands: [
      (require('./build') as typeof import('./build')).buildCommand(),
      existsCmd,
      historyCmd(p),
      importCmd(p),
      imageInspectCmd,
      imagesCmd('list', ['ls'], p),
      loadCmd(),
      imageMountCmd,
      pruneCmd,
      pullCmd(p),
      pushCmd(p),
      rmiCmd('rm', p),
      saveCmd(p),
      (require('./image-scp') as typeof import('./image-scp')).imageScpCmd,
      { ...searchCmd },
      (require('./sign') as typeof import('./sign')).imageSignCmd,
      tagCmd(p),
      treeCmd,
      (require('./sign') as typeof import('./sign')).imageTrustGroup(),
      imageUnmountCmd,
      untagCmd(p),
      ...imageFilesSubcommands(),
    ].sort(byName),
  };
}
