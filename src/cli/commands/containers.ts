// Container commands: `pier run|create|start|stop|kill|restart|pause|unpause|rm|ps|logs|wait|
// exec|rename` and the `pier container` group (plus exists, cleanup, prune, inspect). They
// only call the ContainerEngine and print what podman 4.3 prints.
import { byName } from '../../util/compare';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandDef, FlagDef, Opts, OLD_FLAG_NAMES, TIMEOUT_FLAG_NAME } from '../parser';
import { Ctx } from '../context';
import type { ContainerEngine, ContainerSummary } from '../../domain/containers';
import { PartialRemoveError } from '../../domain/containers';
import type { ProgressSink } from '../../domain/images';
import { PierError, NotFoundError, UsageError, NamespaceMismatchError, errorMessage } from '../../util/errors';
import { parseSignal } from '../../util/signals';
import { parseGoDuration, parseTimeOrDuration } from '../../image/filters';
import { goJSON } from '../format/gojson';
import { goHumanSize, humanDuration } from '../format/units';
import { asStruct, goTimeString } from '../format/govalue';
import { log, trace } from '../../util/log';
import { stderrProgress } from '../progress';
import { containerGroupOpsCommands } from './container-ops';
import { containerFilesSubcommands } from './container-files';
import { createFlags, parseCreateOptions, fdInherited, FlagValueError, RunKind, splitCSV, resolveEnv, parseEnvFile, DEFAULT_DETACH_KEYS, validateDetachKeys } from './container-flags';
import { writeStdout, writeStderr } from '../../util/stdio';
import { output } from '../format/lazy-output';
import { goMap } from '../../util/gomap';
import { commandLine } from '../../util/argv';
import { clientAnnotations } from '../../engine/annotations';

export { parseCreateOptions, createFlags } from './container-flags';

// ---------------------------------------------------------------------------------------
// Helpers

const stderrSink: ProgressSink = stderrProgress();

/** Print every error but the last to stderr; throw the last with `exitCode`. */
function failWith(errors: string[], exitCode: number): never {
  for (const e of errors.slice(0, -1)) writeStderr(`Error: ${e}\n`);
  throw new PierError(errors[errors.length - 1], exitCode);
}

function engine(ctx: Ctx): ContainerEngine {
  return (ctx as Ctx & { containers(): ContainerEngine }).containers();
}

/** Flag value errors get podman's `See '... --help'` hint. */
function withHint(cmdName: string, fn: (ctx: Ctx, args: string[], opts: Opts) => Promise<number | void>) {
  return async (ctx: Ctx, args: string[], opts: Opts): Promise<number | void> => {
    try {
      return await fn(ctx, args, opts);
    } catch (e) {
      if (e instanceof FlagValueError) {
        writeStderr(`Error: ${e.message}\nSee 'pier ${cmdName} --help'\n`);
        return e.exitCode;
      }
      throw e;
    }
  };
}

function uintFlag(opts: Opts, name: string, short?: string): number | undefined {
  const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const v = opts[key];
  if (v === undefined) return undefined;
  if (v < 0) {
    throw new FlagValueError(`invalid argument "${v}" for "${short ? `-${short}, ` : ''}--${name}" flag: strconv.ParseUint: parsing "${v}": invalid syntax`);
  }
  return v;
}

function createdMs(s: ContainerSummary): number {
  const t = Date.parse(s.CreatedAt);
  return Number.isNaN(t) ? s.Created * 1000 : t;
}

/** All containers, oldest first (podman's listing order). */
async function allContainers(ctx: Ctx, size = false, external = false): Promise<ContainerSummary[]> {
  return byCreation(await engine(ctx).list({ all: true, size, external }));
}

/** Oldest first (rows created at the same time keep their order). */
function byCreation(rows: ContainerSummary[]): ContainerSummary[] {
  return rows.map((r, i) => [r, i] as const).sort((a, b) => createdMs(a[0]) - createdMs(b[0]) || a[1] - b[1]).map(([r]) => r);
}

async function latestContainer(ctx: Ctx): Promise<ContainerSummary> {
  const all = await allContainers(ctx);
  if (!all.length) throw new NotFoundError('no containers to act on: no such container');
  return all[all.length - 1];
}

function readCidfiles(files: string[]): string[] {
  return files.map((f) => {
    try {
      return fs.readFileSync(f, 'utf8').trim();
    } catch (e) {
      throw new PierError(`reading CIDFile: open ${f}: no such file or directory`);
    }
  });
}

interface Target { name: string; display: string; infra?: boolean }

/**
 * The containers a multi-container command acts on: names given (printed as given), or
 * --all / --latest / --filter / --cidfile selections (printed as full ids).
 */
async function targets(ctx: Ctx, args: string[], opts: Opts, sel: { states?: string[]; allStates?: boolean } = {}): Promise<Target[]> {
  const cids: string[] = opts.cidfile?.length ? readCidfiles(opts.cidfile) : [];
  const filters = splitCSV(opts.filter);
  // --all with --latest, and --latest with names, are refused for every command in cli/index.ts.
  if (opts.all && (args.length || cids.length)) throw new UsageError('no arguments are needed with --all');
  if (opts.latest) {
    const c = await latestContainer(ctx);
    return [{ name: c.Id, display: c.Id }];
  }
  if (opts.all || filters.length) {
    let rows = await allContainers(ctx);
    if (sel.states && !sel.allStates) rows = rows.filter((r) => sel.states!.includes(r.State));
    rows = filterContainers(rows, filters);
    // With names too, podman keeps the matching containers whose full ID or name is one of them.
    if (filters.length && args.length) rows = rows.filter((r) => args.includes(r.Id) || r.Names.some((n) => args.includes(n)));
    return rows.map((r) => ({ name: r.Id, display: r.Id, ...(r.IsInfra ? { infra: true } : {}) }));
  }
  const list = [...args.map((a) => ({ name: a, display: a })), ...cids.map((c) => ({ name: c, display: c }))];
  if (!list.length) throw new UsageError('you must provide at least one name or id');
  return list;
}

/** Run `fn` on each target; print displays of successes; fail with all errors. */
async function forEach(targetsList: Target[], fn: (t: Target) => Promise<unknown>, print: (t: Target) => string | undefined = (t) => t.display): Promise<void> {
  const errors: string[] = [];
  for (const t of targetsList) {
    try {
      await fn(t);
      const line = print(t);
      if (line !== undefined) writeStdout(line + '\n');
    } catch (e) {
      errors.push(errorMessage(e));
    }
  }
  if (errors.length) failWith(errors, 125);
}

const latestFlag: FlagDef = { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container pier is aware of' };
const cidfileFlag: FlagDef = { name: 'cidfile', type: 'stringArray', help: 'Read the container ID from the file' };
const filterFlag: FlagDef = { name: 'filter', short: 'f', type: 'stringArray', valueName: 'strings', help: 'Filter output based on conditions given' };

/** Examples use `pier X`; under `pier container` they read `pier container X`. */
function ex(lines: string[], group: boolean): string {
  return lines.map((l) => (group ? l.replace(/^pier /, 'pier container ') : l)).join('\n');
}

// ---------------------------------------------------------------------------------------
// ps: rows, filters, sorting

/** One row of `ps` as templates see it (podman's psReporter fields). */
export interface PsRow {
  ID: string;
  Image: string;
  ImageID: string;
  Command: string;
  Created: Date;
  CreatedAt: string;
  CreatedHuman: string;
  RunningFor: string;
  Status: string;
  State: string;
  Ports: string;
  Names: string;
  Labels: Record<string, string>;
  Mounts: string[];
  Networks: string;
  Pid: number;
  Pod: string;
  PodName: string;
  Size: string;
  ExitCode: number;
  Exited: boolean;
  ExitedAt: number;
  StartedAt: number;
  AutoRemove: boolean;
  IsInfra: boolean;
  Namespaces: Record<string, string>;
  Cgroup: string;
  IPC: string;
  MNT: string;
  NET: string;
  PIDNS: string;
  User: string;
  UTS: string;
}

const HEALTH_STATES = ['healthy', 'unhealthy', 'starting'];

/** The health status carried in a summary's Status (podman's ListContainer.Status), if any. */
export function healthOf(s: ContainerSummary): string {
  const st = s.Status ?? '';
  if (HEALTH_STATES.includes(st)) return st;
  const m = /\((healthy|unhealthy|starting)\)/.exec(st);
  return m ? m[1] : '';
}

/** podman 4.3's STATUS column: `Up 5 seconds ago`, `Exited (0) 3 seconds ago`, `Created`. */
export function statusString(s: ContainerSummary, now = Date.now()): string {
  let state: string;
  switch (s.State) {
    case 'running':
      state = `Up ${humanDuration(now - s.StartedAt * 1000)} ago`;
      break;
    case 'exited':
    case 'stopped':
      state = `Exited (${s.ExitCode}) ${humanDuration(now - s.ExitedAt * 1000)} ago`;
      break;
    default:
      state = s.State ? s.State.charAt(0).toUpperCase() + s.State.slice(1) : '';
  }
  const hc = healthOf(s);
  return hc ? `${state} (${hc})` : state;
}

/** podman's PORTS column: `0.0.0.0:8080->80/tcp, ...`. */
export function portsString(ports: unknown[] | null): string {
  if (!ports?.length) return '';
  const parts: string[] = [];
  for (const p of ports as Record<string, any>[]) {
    const hostIP = p.host_ip || p.hostIP || p.HostIP || '0.0.0.0';
    const hostPort = Number(p.host_port ?? p.hostPort ?? p.HostPort ?? 0);
    const ctrPort = Number(p.container_port ?? p.containerPort ?? p.ContainerPort ?? 0);
    const range = Number(p.range ?? p.Range ?? 1) || 1;
    const proto = p.protocol ?? p.Protocol ?? 'tcp';
    if (range > 1) parts.push(`${hostIP}:${hostPort}-${hostPort + range - 1}->${ctrPort}-${ctrPort + range - 1}/${proto}`);
    else parts.push(`${hostIP}:${hostPort}->${ctrPort}/${proto}`);
  }
  return parts.join(', ');
}

const COMMAND_TRUNC = 17;

/** The template-visible row of one container. */
export function psRow(s: ContainerSummary, opts: { noTrunc?: boolean; now?: number } = {}): PsRow {
  const now = opts.now ?? Date.now();
  const created = new Date(createdMs(s));
  let command = (s.Command ?? []).join(' ');
  if (!opts.noTrunc && command.length > COMMAND_TRUNC) command = command.slice(0, COMMAND_TRUNC) + '...';
  const status = statusString(s, now);
  const ns = s.Namespaces ?? {};
  const row: PsRow = {
    ID: opts.noTrunc ? s.Id : s.Id.slice(0, 12),
    Image: s.Image,
    ImageID: opts.noTrunc ? s.ImageID : s.ImageID.slice(0, 12),
    Command: command,
    Created: created,
    CreatedAt: goTimeString(created),
    CreatedHuman: humanDuration(now - created.getTime()) + ' ago',
    RunningFor: humanDuration(now - created.getTime()) + ' ago',
    Status: status,
    State: status,
    Ports: portsString(s.Ports),
    Names: s.Names?.[0] ?? '',
    Labels: goMap(s.Labels),
    Mounts: s.Mounts ?? [],
    Networks: (s.Networks ?? []).join(','),
    Pid: s.Pid,
    Pod: !opts.noTrunc && s.Pod ? s.Pod.slice(0, 12) : s.Pod ?? '',
    PodName: s.PodName ?? '',
    Size: s.Size ? `${goHumanSize(s.Size.rwSize, 3)} (virtual ${goHumanSize(s.Size.rootFsSize, 3)})` : '',
    ExitCode: s.ExitCode,
    Exited: s.Exited,
    ExitedAt: s.ExitedAt,
    StartedAt: s.StartedAt,
    AutoRemove: s.AutoRemove,
    IsInfra: s.IsInfra,
    Namespaces: ns,
    Cgroup: ns.Cgroup ?? '',
    IPC: ns.IPC ?? '',
    MNT: ns.MNT ?? '',
    NET: ns.NET ?? '',
    PIDNS: ns.PIDNS ?? '',
    User: ns.User ?? '',
    UTS: ns.UTS ?? '',
  };
  return asStruct(row, 'containers.psReporter');
}

/** The JSON object podman prints for one container in `ps --format json`. */
export function psJSON(s: ContainerSummary, now = Date.now()): Record<string, unknown> {
  const created = createdMs(s);
  return {
    AutoRemove: s.AutoRemove, Command: s.Command, CreatedAt: humanDuration(now - created) + ' ago', Exited: s.Exited, ExitedAt: s.ExitedAt,
    ExitCode: s.ExitCode, Id: s.Id, Image: s.Image, ImageID: s.ImageID, IsInfra: s.IsInfra, Labels: s.Labels && Object.keys(s.Labels).length ? goMap(s.Labels) : null,
    Mounts: s.Mounts === null ? null : s.Mounts ?? [], Names: s.Names, Namespaces: s.Namespaces ?? {}, Networks: s.Networks === null ? null : s.Networks ?? [], Pid: s.Pid, Pod: s.Pod ?? '', PodName: s.PodName ?? '',
    Ports: s.Ports, Size: s.Size, StartedAt: s.StartedAt, State: s.State, Status: statusString(s, now), Created: Math.floor(created / 1000),
  };
}

/** ps JSON as podman 4.3 prints it (2-space indent; its encoder writes an empty map as `{` blank line `}`). */
export function psJSONText(rows: ContainerSummary[], now = Date.now()): string {
  const text = goJSON(rows.map((r) => psJSON(r, now)), { indent: '  ', escapeHTML: false });
  return text.replace(/^( *)("[^"]+": )\{\}(,?)$/gm, (_m, ind: string, key: string, comma: string) => `${ind}${key}{\n${ind}  \n${ind}}${comma}`);
}

export const PS_SORT_KEYS = ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status'];

/** podman's --sort for ps. */
export function sortContainers(rows: ContainerSummary[], key: string): ContainerSummary[] {
  const str = (f: (r: ContainerSummary) => string) => (a: ContainerSummary, b: ContainerSummary) => {
    const x = f(a);
    const y = f(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const cmp: Record<string, (a: ContainerSummary, b: ContainerSummary) => number> = {
    command: str((r) => (r.Command ?? []).join(' ')),
    created: (a, b) => createdMs(a) - createdMs(b),
    id: str((r) => r.Id),
    image: str((r) => r.Image),
    names: str((r) => r.Names?.[0] ?? ''),
    runningfor: (a, b) => createdMs(b) - createdMs(a),
    size: (a, b) => (a.Size?.rootFsSize ?? 0) - (b.Size?.rootFsSize ?? 0),
    status: str((r) => r.State),
  };
  if (!cmp[key]) throw new UsageError(`invalid option for --sort, options are: ${PS_SORT_KEYS.join(', ')}`);
  return [...rows].sort(cmp[key]);
}

const CONTAINER_STATES = ['configured', 'created', 'initialized', 'running', 'stopped', 'paused', 'exited', 'removing', 'stopping', 'unknown'];

/** Group `key=value` filters by key (values of one key are OR'ed, keys AND'ed). */
export function parsePsFilters(filters: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid filter ${JSON.stringify(f)}`);
    const k = f.slice(0, eq);
    m.set(k, [...(m.get(k) ?? []), f.slice(eq + 1)]);
  }
  return m;
}

function regexMatch(pattern: string, s: string): boolean {
  try {
    return new RegExp(pattern).test(s);
  } catch {
    return false;
  }
}

function labelMatch(labels: Record<string, string> | null, spec: string): boolean {
  const eq = spec.indexOf('=');
  const key = eq >= 0 ? spec.slice(0, eq) : spec;
  if (!labels || !(key in labels)) return false;
  return eq < 0 || labels[key] === spec.slice(eq + 1);
}

/** Resolve a name or id (or id prefix) against listed containers, podman's lookup order. */
export function findContainer(rows: ContainerSummary[], nameOrId: string): ContainerSummary | undefined {
  return rows.find((r) => r.Id === nameOrId) ?? rows.find((r) => r.Names?.includes(nameOrId))
    ?? (() => { const m = rows.filter((r) => r.Id.startsWith(nameOrId)); return m.length === 1 ? m[0] : undefined; })();
}

/**
 * podman's container filters over listed rows: id, name, label, status, exited, ancestor,
 * volume, before, since, until, health, pod, network, restart-policy. `all` gives the
 * containers `before`/`since` may refer to (defaults to `rows`).
 */
export function filterContainers(rows: ContainerSummary[], filters: string[], opts: { all?: ContainerSummary[]; now?: number; destinations?: boolean } = {}): ContainerSummary[] {
  if (!filters.length) return rows;
  const groups = parsePsFilters(filters);
  const all = opts.all ?? rows;
  const preds: ((r: ContainerSummary) => boolean)[] = [];
  const refTime = (vals: string[]) => {
    let t: number | undefined;
    for (const v of vals) {
      const c = findContainer(all, v);
      if (!c) throw new NotFoundError(`no container with name or ID "${v}" found: no such container`);
      const ct = createdMs(c);
      if (t === undefined || ct < t) t = ct;
    }
    return t!;
  };
  for (const [key, vals] of groups) {
    switch (key) {
      case 'id':
        preds.push((r) => vals.some((v) => r.Id.startsWith(v)));
        break;
      case 'name':
        preds.push((r) => vals.some((v) => (r.Names ?? []).some((n) => regexMatch(v.replace(/\//g, ''), n))));
        break;
      case 'label':
        preds.push((r) => vals.every((v) => labelMatch(r.Labels, v)));
        break;
      case 'status':
        for (const v of vals) if (!CONTAINER_STATES.includes(v)) throw new UsageError(`unknown container state: ${v}: invalid argument`);
        preds.push((r) => {
          const st = r.State === 'stopped' ? 'exited' : r.State;
          return vals.some((v) => (v === 'stopped' ? 'exited' : v) === st);
        });
        break;
      case 'exited': {
        const codes = vals.map((v) => {
          if (!/^[-+]?\d+$/.test(v)) throw new UsageError(`exited code out of range "\\x00": strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
          return parseInt(v, 10);
        });
        preds.push((r) => r.Exited && codes.includes(r.ExitCode));
        break;
      }
      case 'ancestor':
        preds.push((r) => vals.some((v) => {
          const id = v.replace(/^sha256:/, '');
          if (r.ImageID && (r.ImageID === v || (id.length >= 12 && r.ImageID === id))) return true;
          if (r.Image === v) return true;
          const m = /^(.*):latest$/.exec(r.Image);
          return !!m && m[1] === v;
        }));
        break;
      case 'volume':
        // podman: a named volume's name or a bind mount's host path, `SOURCE:DESTINATION` both;
        // Docker's API also a destination alone.
        preds.push((r) => vals.some((v) => {
          const i = v.indexOf(':');
          const src = i < 0 ? v : v.slice(0, i);
          const dst = i < 0 ? '' : v.slice(i + 1);
          if (opts.destinations && !dst && (r.Mounts ?? []).includes(src)) return true;
          if (!r.VolumeSources) return (r.Mounts ?? []).some((m) => (dst ? m === dst : m === src));
          return r.VolumeSources.some((m) => m.source === src && (!dst || m.destination === dst));
        }));
        break;
      case 'before': {
        const t = refTime(vals);
        preds.push((r) => createdMs(r) < t);
        break;
      }
      case 'since': {
        const t = refTime(vals);
        preds.push((r) => createdMs(r) > t);
        break;
      }
      case 'until': {
        const until = Math.max(...vals.map((v) => parseTimeOrDuration(v, opts.now)));
        preds.push((r) => createdMs(r) < until);
        break;
      }
      case 'health':
        preds.push((r) => vals.includes(healthOf(r)));
        break;
      case 'pod':
        preds.push((r) => !!r.Pod && vals.some((v) => r.Pod === v || r.Pod.startsWith(v) || r.PodName === v));
        break;
      case 'network':
        preds.push((r) => vals.some((v) => (r.Networks ?? []).includes(v)));
        break;
      case 'restart-policy':
      {
        // podman's names: "none" is a container created without --restart, "no" one with --restart=no.
        const invalid = vals.filter((v) => !['none', 'no', 'on-failure', 'always', 'unless-stopped'].includes(v));
        if (invalid.length) throw new UsageError(`${invalid.join(', ')} invalid restart ${invalid.length > 1 ? 'policies' : 'policy'}`);
        preds.push((r) => vals.some((v) => (v === 'none' && !r.RestartPolicy) || r.RestartPolicy === v));
      }
        break;
      default:
        throw new UsageError(`${key} is an invalid filter`);
    }
  }
  return rows.filter((r) => preds.every((p) => p(r)));
}

// ---------------------------------------------------------------------------------------
// ps

function psFlags(): FlagDef[] {
  return [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all the containers, default is only running containers' },
    { name: 'external', type: 'bool', help: 'Show containers in storage not controlled by Podman' },
    filterFlag,
    { name: 'format', type: 'string', help: 'Pretty-print containers to JSON or using a Go template' },
    { name: 'last', short: 'n', type: 'int', default: -1, help: 'Print the n last created containers (all states)' },
    latestFlag,
    { name: 'no-trunc', type: 'bool', help: 'Display the extended information' },
    { name: 'noheading', type: 'bool', help: 'Do not print headers' },
    { name: 'ns', type: 'bool', help: 'Display namespace information' },
    { name: 'pod', short: 'p', type: 'bool', help: 'Print the ID and name of the pod the containers are associated with' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Print the numeric IDs of the containers only' },
    { name: 'size', short: 's', type: 'bool', help: 'Display the total file sizes' },
    { name: 'sort', type: 'string', valueName: 'choice', help: `Sort output by: ${PS_SORT_KEYS.join(', ')}` },
    { name: 'sync', type: 'bool', help: 'Sync container state with OCI runtime' },
    { name: 'watch', short: 'w', type: 'int', valueName: 'uint', help: 'Watch the ps output on an interval in seconds' },
  ];
}

const PS_HEADERS: Record<string, string> = {
  Cgroup: 'cgroupns', CreatedHuman: 'created', ID: 'container id', IPC: 'ipc', MNT: 'mnt', NET: 'net', Networks: 'networks', PIDNS: 'pidns',
  Pod: 'pod id', PodName: 'podname', RunningFor: 'running for', UTS: 'uts', User: 'userns',
};

/** Select, filter and sort ps rows as podman does (exported for the API server). */
export async function psSelect(ctx: Ctx, opts: { all?: boolean; last?: number; latest?: boolean; filters?: string[]; size?: boolean; sort?: string; external?: boolean }): Promise<ContainerSummary[]> {
  const listed = await allContainers(ctx, !!opts.size, !!opts.external);
  // --external: the build's containers, whatever -a and the filters say (podman appends them).
  const external = listed.filter((r) => r.State === 'storage');
  const all = external.length ? listed.filter((r) => r.State !== 'storage') : listed;
  const filters = opts.filters ?? [];
  const groups = parsePsFilters(filters);
  let rows = all;
  const last = opts.latest ? 1 : opts.last ?? -1;
  if (!opts.all && last < 0 && !groups.has('status')) rows = rows.filter((r) => r.State === 'running');
  rows = filterContainers(rows, filters, { all });
  if (last >= 0) rows = last === 0 ? rows : rows.slice(-last);
  if (external.length) {
    // podman then keeps the n oldest of them all.
    rows = byCreation([...rows, ...external]);
    if (last > 0) rows = rows.slice(0, last);
  }
  if (opts.sort) rows = sortContainers(rows, opts.sort);
  return rows;
}

function psCmd(name: string, aliases: string[] | undefined, group: boolean): CommandDef {
  const full = group ? `container ${name}` : name;
  return {
    name,
    aliases,
    flagAliases: OLD_FLAG_NAMES,
    summary: 'List containers',
    description: 'Prints out information about the containers',
    usage: '[options]',
    example: [
      `pier ${full} -a`,
      `pier ${full} -a --format "{{.ID}}  {{.Image}}  {{.Labels}}  {{.Mounts}}"`,
      `pier ${full} --size --sort names`,
    ].join('\n'),
    flags: psFlags(),
    maxArgs: 0,
    run: withHint(full, async (ctx: Ctx, _args, opts) => {
      const changed: Set<string> = opts.changed ?? new Set();
      if (changed.has('sort') && !PS_SORT_KEYS.includes(opts.sort)) {
        throw new FlagValueError(`invalid argument "${opts.sort}" for "--sort" flag: "${opts.sort}" is not a valid value.  Choose from: "${PS_SORT_KEYS.join(', ')}"`);
      }
      uintFlag(opts, 'watch', 'w');
      if (opts.last >= 0 && opts.latest) throw new UsageError('last and latest are mutually exclusive');
      if (opts.quiet && (opts.size || opts.ns)) throw new UsageError('quiet conflicts with size and namespace');
      if (opts.size && opts.ns) throw new UsageError('size and namespace options conflict');
      if (opts.watch > 0 && opts.latest) throw new UsageError('the watch and latest flags cannot be used together');
      const format = String(opts.format ?? '');
      if (opts.watch > 0) {
        // --watch N: redraw every N seconds (clear screen, cursor home) until interrupted, as podman does.
        for (;;) {
          const out = await psRender(ctx, opts, changed, format, name);
          writeStdout('\x1b[2J\x1b[1;1H' + out);
          await new Promise((r) => setTimeout(r, opts.watch * 1000));
        }
      }
      const text = await psRender(ctx, opts, changed, format, name);
      if (text) writeStdout(text);
    }),
  };
}

/** One listing of `ps` as text (table, template, JSON or ids). */
async function psRender(ctx: Ctx, opts: any, changed: Set<string>, format: string, name: string): Promise<string> {
  const rows = await psSelect(ctx, {
    all: !!opts.all, last: opts.last, latest: !!opts.latest, filters: splitCSV(opts.filter), size: !!opts.size || /\.Size\b/.test(format),
    sort: changed.has('sort') ? opts.sort : undefined, external: !!opts.external,
  });
  if (output().isJSONFormat(format)) {
    return psJSONText(rows) + '\n';
  }
  if (opts.quiet && !changed.has('format')) {
    return rows.length ? rows.map((r) => (opts.noTrunc ? r.Id : r.Id.slice(0, 12))).join('\n') + '\n' : '';
  }
  const now = Date.now();
  const reps = rows.map((r) => psRow(r, { noTrunc: !!opts.noTrunc, now }));
  let cols: string;
  if (opts.ns) cols = '{{.ID}}\t{{.Names}}\t{{.Pid}}\t{{.Cgroup}}\t{{.IPC}}\t{{.MNT}}\t{{.NET}}\t{{.PIDNS}}\t{{.User}}\t{{.UTS}}';
  else {
    cols = '{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
    if (opts.pod || format.includes('.PodName')) cols += '\t{{.Pod}}\t{{.PodName}}';
    if (opts.size) cols += '\t{{.Size}}';
  }
  let userFormat = changed.has('format') ? format.replace(/\.Namespaces\./g, '.') : '';
  const noHeading = !!opts.noheading || (changed.has('format') && userFormat.trim() !== '' && !userFormat.trim().startsWith('table'));
  if (userFormat.trim() === 'table') userFormat = '';
  return output().formatList(reps, userFormat, `table ${cols}`, { noHeading, headers: PS_HEADERS, name: name });
}

// ---------------------------------------------------------------------------------------
// run, create

function createLikeCmd(kind: RunKind, group: boolean): CommandDef {
  const full = group ? `container ${kind}` : kind;
  const isRun = kind === 'run';
  return {
    name: kind,
    flagAliases: OLD_FLAG_NAMES,
    summary: isRun ? 'Run a command in a new container' : 'Create but do not start a container',
    description: isRun
      ? 'Runs a command in a new container from the given image'
      : "Creates a new container from the given image or storage and prepares it for running the specified command.\n\nThe container ID is then printed to stdout. You can then start it at any time with the pier start <container_id> command. The container will be created with the initial state 'created'.",
    usage: '[options] IMAGE [COMMAND [ARG...]]',
    example: isRun
      ? ex(['pier run imageID ls -alF /etc', 'pier run --network=host imageID dnf -y install java', 'pier run --volume /var/hostdir:/var/ctrdir -i -t fedora /bin/bash'], group)
      : ex(['pier create alpine ls', 'pier create --annotation HELLO=WORLD alpine ls', 'pier create -t -i --name myctr alpine ls'], group),
    flags: createFlags(kind),
    interspersed: false,
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      trace('cli: parse options');
      const p = parseCreateOptions(kind, args, opts);
      trace('cli: options parsed');
      if (ctx.remoteUri && p.create.annotations?.['run.oci.keep_original_groups'] === '1' && String(opts.groupAdd ?? '').includes('keep-groups')) {
        throw new PierError("the '--group-add keep-groups' option is not supported in remote mode");
      }
      // podman 4.3's run warns (and goes on) when -it is asked for without a terminal on stdin.
      if (isRun && opts.tty && opts.interactive && !require('node:tty').isatty(0)) {
        log.warn('The input device is not a TTY. The --tty and --interactive flags might not work properly');
      }
      if (p.cidfile && fs.existsSync(p.cidfile)) {
        throw new PierError(`container id file exists. Ensure another container is not using it or delete ${p.cidfile}`);
      }
      if (!p.quiet) p.create.pullOptions = { ...(p.create.pullOptions ?? {}), progress: stderrSink };
      // Recorded with the container as podman's client does: this command line, and the client's annotations.
      p.create.createCommand = commandLine();
      p.create.annotations = clientAnnotations(p.create, p.cidfile);
      const writeCid = (id: string) => {
        if (!p.cidfile) return;
        try {
          fs.writeFileSync(p.cidfile, id, { flag: 'wx' });
        } catch (e) {
          throw new PierError(`opening cidfile: ${errorMessage(e)}`);
        }
      };
      const eng = engine(ctx);
      trace('cli: engine ready');
      // --replace: podman's client removes the container of that name first, and prints its name as rm does.
      if (p.create.replace && p.create.name) {
        const removed = await eng.remove(p.create.name, { force: true, ignore: true, timeout: 0 });
        if (removed.length) ctx.out(p.create.name);
      }
      if (!isRun) {
        const { id, warnings } = await eng.create(p.create);
        for (const w of warnings) writeStderr(`${w}\n`);
        writeCid(id);
        ctx.out(id);
        return;
      }
      // podman-remote has no --preserve-fds: the service cannot reach this process's fds.
      if (p.preserveFds && ctx.remoteUri) throw new FlagValueError('unknown flag: --preserve-fds');
      const r = await eng.run({ ...p.create, detach: p.detach, detachKeys: p.detachKeys, sigProxy: p.sigProxy, preserveFds: p.preserveFds, attach: p.attach, warn: (w) => writeStderr(`${w}\n`) });
      writeCid(r.id);
      if (p.detach) {
        ctx.out(r.id);
        return 0;
      }
      return r.exitCode ?? 0;
    }),
  };
}

// ---------------------------------------------------------------------------------------
// container clone

/** The create flags `container clone` takes (podman's CloneMode): the resource ones, --name and --pod. */
const CLONE_CREATE_FLAGS = new Set(['blkio-weight', 'blkio-weight-device', 'cpu-period', 'cpu-quota', 'cpu-rt-period', 'cpu-rt-runtime', 'cpu-shares',
  'cpus', 'cpuset-cpus', 'cpuset-mems', 'device-read-bps', 'device-write-bps', 'memory', 'memory-reservation', 'memory-swap', 'memory-swappiness', 'name', 'pod']);

const cloneCmd: CommandDef = {
  name: 'clone',
  summary: 'Clone an existing container',
  description: 'Creates a copy of an existing container.',
  usage: '[options] CONTAINER NAME IMAGE',
  example: 'pier container clone container_name new_name image_name',
  minArgs: 1,
  maxArgs: 3,
  flags: ([
    ...createFlags('create').filter((f) => CLONE_CREATE_FLAGS.has(f.name)),
    { name: 'destroy', type: 'bool', help: 'destroy the original container' },
    { name: 'force', short: 'f', type: 'bool', help: 'force the existing container to be destroyed' },
    { name: 'run', type: 'bool', help: 'run the new container' },
  ] as FlagDef[]).sort(byName),
  run: withHint('container clone', async (ctx: Ctx, args, opts) => {
    // The resource flags mean what create's do (same values, same errors).
    const { create } = parseCreateOptions('create', [args[0]], opts);
    if (opts.force && !opts.destroy) throw new UsageError('cannot set --force without --destroy: invalid argument');
    const { currentResources } = require('../../engine/update') as typeof import('../../engine/update');
    const r = await engine(ctx).clone(args[0], {
      name: args[1] ?? create.name, image: args[2], pod: create.pod, resources: currentResources(create),
      destroy: !!opts.destroy, force: !!opts.force, run: !!opts.run,
      ...(args[2] ? { pullOptions: { progress: stderrSink } } : {}),
    });
    // podman prints each warning of completing the spec so: a line on stdout, the warning on stderr.
    for (const w of r.warnings) {
      ctx.out('Could not properly complete the spec as expected:');
      writeStderr(`${w}\n`);
    }
    ctx.out(r.id);
  }),
};

// ---------------------------------------------------------------------------------------
// start, stop, kill, restart, pause, unpause, rm

function startCmd(group: boolean): CommandDef {
  const full = group ? 'container start' : 'start';
  return {
    name: 'start',
    summary: 'Start one or more containers',
    description: 'Starts one or more containers.  The container name or ID can be used.',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex(['pier start --latest', 'pier start 860a4b231279 5421ab43b45', 'pier start --interactive --attach imageID'], group),
    flags: [
      { name: 'all', type: 'bool', help: 'Start all containers regardless of their state or configuration' },
      { name: 'attach', short: 'a', type: 'bool', help: "Attach container's STDOUT and STDERR" },
      { name: 'detach-keys', type: 'string', valueName: '[a-Z]', default: DEFAULT_DETACH_KEYS, help: 'Select the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]`, `^` or `_`' },
      filterFlag,
      { name: 'interactive', short: 'i', type: 'bool', help: 'Keep STDIN open even if not attached' },
      latestFlag,
      { name: 'sig-proxy', type: 'bool', help: 'Proxy received signals to the process (default true if attaching, false otherwise)' },
    ],
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      const filters = splitCSV(opts.filter);
      if (opts.all && args.length) throw new UsageError('either start all containers or the container(s) provided in the arguments');
      if (!opts.all && !opts.latest && !args.length && !filters.length) throw new UsageError('start requires at least one argument');
      if (opts.sigProxy && !opts.attach) throw new UsageError('you cannot use sig-proxy without --attach');
      validateDetachKeys(String(opts.detachKeys ?? DEFAULT_DETACH_KEYS));
      const list = await targets(ctx, args, { ...opts, filter: opts.all && !filters.length ? [] : opts.filter }, { allStates: true });
      if (opts.attach) {
        if (list.length > 1) throw new UsageError('you cannot start and attach multiple containers at once');
        const code = await engine(ctx).start(list[0].name, { attach: true, interactive: !!opts.interactive, detachKeys: opts.detachKeys });
        return typeof code === 'number' ? code : 0;
      }
      // A running container is left alone and not printed (podman).
      const running = new Set<Target>();
      await forEach(list, async (t) => {
        const state = await engine(ctx).inspect(t.name).then((i) => (i.State as { Running?: boolean } | undefined), () => undefined);
        if (state?.Running) running.add(t);
        else await engine(ctx).start(t.name, { interactive: !!opts.interactive });
      }, (t) => (running.has(t) ? undefined : t.display));
    }),
  };
}

function stopCmd(group: boolean): CommandDef {
  const full = group ? 'container stop' : 'stop';
  return {
    name: 'stop',
    flagAliases: TIMEOUT_FLAG_NAME,
    summary: 'Stop one or more containers',
    description: 'Stops one or more running containers.  The container name or ID can be used.\n\nA timeout to forcibly stop the container can also be set but defaults to 10 seconds otherwise.',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex(['pier stop ctrID', 'pier stop --latest', 'pier stop --time 2 mywebserver 6e534f14da9d'], group),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Stop all running containers' },
      cidfileFlag,
      filterFlag,
      { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified container is missing' },
      latestFlag,
      { name: 'time', short: 't', type: 'int', valueName: 'uint', default: 10, help: 'Seconds to wait for stop before killing the container' },
    ],
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      const time = uintFlag(opts, 'time', 't');
      const timeout = opts.changed?.has('time') ? time : undefined;
      let list = await targets(ctx, args, opts, { allStates: true });
      if (opts.ignore) {
        // Missing containers are skipped silently.
        const present: Target[] = [];
        for (const t of list) if (await engine(ctx).exists(t.name)) present.push(t);
        list = present;
      }
      await forEach(list, (t) => engine(ctx).stop(t.name, { timeout, ignore: !!opts.ignore }));
    }),
  };
}

function killCmd(group: boolean): CommandDef {
  return {
    name: 'kill',
    summary: 'Kill one or more running containers with a specific signal',
    description: 'The main process inside each container specified will be sent SIGKILL, or any signal specified with option --signal.',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex(['pier kill mywebserver', 'pier kill 860a4b23', 'pier kill --signal TERM ctrID'], group),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Signal all running containers' },
      cidfileFlag,
      latestFlag,
      { name: 'signal', short: 's', type: 'string', default: 'KILL', help: 'Signal to send to the container' },
    ],
    async run(ctx: Ctx, args, opts) {
      const sig = String(opts.signal ?? 'KILL');
      parseSignal(sig);
      const list = await targets(ctx, args, opts, { states: ['running'] });
      await forEach(list, (t) => engine(ctx).kill(t.name, sig));
    },
  };
}

function restartCmd(group: boolean): CommandDef {
  const full = group ? 'container restart' : 'restart';
  return {
    name: 'restart',
    flagAliases: OLD_FLAG_NAMES,
    summary: 'Restart one or more containers',
    description: 'Restarts one or more running containers. The container ID or name can be used.\n\nA timeout before forcibly stopping can be set, but defaults to 10 seconds.',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex(['pier restart ctrID', 'pier restart --latest', 'pier restart ctrID1 ctrID2'], group),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Restart all non-running containers' },
      cidfileFlag,
      filterFlag,
      latestFlag,
      { name: 'running', type: 'bool', help: 'Restart only running containers' },
      { name: 'time', short: 't', type: 'int', valueName: 'uint', default: 10, help: 'Seconds to wait for stop before killing the container' },
    ],
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      const time = uintFlag(opts, 'time', 't');
      const timeout = opts.changed?.has('time') ? time : undefined;
      if (opts.running && !opts.all) throw new UsageError('--running must be used with --all');
      const list = await targets(ctx, args, opts, opts.running ? { states: ['running'] } : { allStates: true });
      await forEach(list, (t) => engine(ctx).restart(t.name, { timeout }));
    }),
  };
}

function pauseLikeCmd(kind: 'pause' | 'unpause', group: boolean): CommandDef {
  const pause = kind === 'pause';
  return {
    name: kind,
    summary: pause ? 'Pause all the processes in one or more containers' : 'Unpause the processes in one or more containers',
    description: pause
      ? 'Pauses one or more running containers.  The container name or ID can be used.'
      : 'Unpauses one or more previously paused containers.  The container name or ID can be used.',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: pause
      ? ex(['pier pause mywebserver', 'pier pause 860a4b23', 'pier pause --all'], group)
      : ex(['pier unpause ctrID', 'pier unpause --all'], group),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: pause ? 'Pause all running containers' : 'Unpause all paused containers' },
      cidfileFlag,
      filterFlag,
      latestFlag,
    ],
    async run(ctx: Ctx, args, opts) {
      const list = await targets(ctx, args, opts, { states: [pause ? 'running' : 'paused'] });
      await forEach(list, (t) => (pause ? engine(ctx).pause(t.name) : engine(ctx).unpause(t.name)));
    },
  };
}

/** podman rm's exit status: 1 no such container, 2 running/in use, 125 otherwise. */
function rmExitCode(msg: string, e: unknown): number {
  if (e instanceof NotFoundError || /no such container/.test(msg)) return 1;
  if (/container state improper|is running|cannot remove container .* as it|in use/.test(msg)) return 2;
  return 125;
}

function rmCmd(group: boolean): CommandDef {
  const full = group ? 'container rm' : 'rm';
  return {
    name: 'rm',
    summary: 'Remove one or more containers',
    description: 'Removes one or more containers from the host. The container name or ID can be used.\n\nCommand does not remove images. Running or unusable containers will not be removed without the -f option.',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex(['pier rm imageID', 'pier rm mywebserver myflaskserver 860a4b23', 'pier rm --force --all', 'pier rm -f c684f0d469f2'], group),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Remove all containers' },
      cidfileFlag,
      { name: 'depend', type: 'bool', help: 'Remove container and all containers that depend on the selected container' },
      { ...filterFlag, short: undefined },
      { name: 'force', short: 'f', type: 'bool', help: 'Force removal of a running or unusable container' },
      { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified container is missing' },
      latestFlag,
      { name: 'time', short: 't', type: 'int', valueName: 'uint', default: 10, help: 'Seconds to wait for stop before killing the container' },
      { name: 'volumes', short: 'v', type: 'bool', help: 'Remove anonymous volumes associated with the container' },
    ],
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      const time = uintFlag(opts, 'time', 't');
      const timeout = opts.changed?.has('time') ? time : undefined;
      const eng = engine(ctx);
      if (opts.cidfile?.length && opts.ignore) {
        // Missing cidfiles are ignored with --ignore.
        opts = { ...opts, cidfile: (opts.cidfile as string[]).filter((f) => fs.existsSync(f)) };
        if (!opts.cidfile.length && !args.length) return;
      }
      // --force also ignores names that are not there, as `docker rm -f` and later podmans do (podman
      // 4.3 then removed none of the others either, silently: that is not copied).
      const ignore = !!(opts.ignore || opts.force);
      const list = await targets(ctx, args, opts, { allStates: true });
      // podman looks every name up before removing anything (a build's container is found by
      // name or ID too: it refuses to remove it without --force).
      if (!ignore) {
        for (const t of list) {
          if (!(await eng.exists(t.name, { external: true }))) throw new PierError(`no container with name or ID "${t.name}" found: no such container`, 1);
        }
      }
      const errors: { msg: string; code: number }[] = [];
      // --all: as podman, each infra container first, with what depends on it (its pod, removed
      // whole); the containers that went with a pod are not removed again.
      const infraFirst = opts.all ? [...list.filter((t) => t.infra), ...list.filter((t) => !t.infra)] : list;
      const gone = new Set<string>();
      for (const t of infraFirst) {
        if (gone.has(t.name)) continue;
        const depend = !!opts.depend || (!!opts.all && !!t.infra);
        try {
          const removed = await eng.remove(t.name, { force: !!opts.force, volumes: !!opts.volumes, ignore: ignore || !!opts.all, timeout, depend });
          removed.forEach((id) => gone.add(id));
          // --all: one gone meanwhile went with the pods it served (a kube play service container,
          // which podman reports removed).
          if (!removed.length) {
            if (opts.all) ctx.out(t.display);
            continue;
          }
          // With --depend podman prints the full id of every container removed.
          if (depend) ctx.out(removed.join('\n'));
          else ctx.out(t.display);
        } catch (e) {
          if (e instanceof PartialRemoveError) {
            if (e.removed.length) ctx.out(e.removed.join('\n'));
            for (const f of e.failures) errors.push({ msg: f.error.message, code: rmExitCode(f.error.message, f.error) });
            continue;
          }
          const msg = errorMessage(e);
          errors.push({ msg, code: rmExitCode(msg, e) });
        }
      }
      if (errors.length) failWith(errors.map((e) => e.msg), errors[errors.length - 1].code);
    }),
  };
}

// ---------------------------------------------------------------------------------------
// logs, wait, exec, rename

function logsCmd(group: boolean): CommandDef {
  return {
    name: 'logs',
    summary: 'Fetch the logs of one or more containers',
    description: 'Retrieves logs for one or more containers.\n\nThis does not guarantee execution order when combined with pier run (i.e., your run may not have generated any logs at the time you execute pier logs).\n',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex([
      'pier logs ctrID', 'pier logs --names ctrID1 ctrID2', 'pier logs --tail 2 mywebserver', 'pier logs --follow=true --since 10m ctrID', 'pier logs mywebserver mydbserver',
    ], group),
    flags: [
      { name: 'color', type: 'bool', help: 'Output the containers with different colors in the log.' },
      { name: 'follow', short: 'f', type: 'bool', help: 'Follow log output.  The default is false' },
      latestFlag,
      { name: 'names', short: 'n', type: 'bool', help: 'Output the container name in the log' },
      { name: 'since', type: 'string', help: 'Show logs since TIMESTAMP' },
      { name: 'tail', type: 'int', default: -1, help: 'Output the specified number of LINES at the end of the logs.  Defaults to -1, which prints all lines' },
      { name: 'timestamps', short: 't', type: 'bool', help: 'Output the timestamps in the log' },
      { name: 'until', type: 'string', help: 'Show logs until TIMESTAMP' },
    ],
    async run(ctx: Ctx, args, opts) {
      let names = args;
      if (opts.latest) {
        if (args.length) throw new UsageError('--latest and containers cannot be used together');
        names = [(await latestContainer(ctx)).Id];
      }
      if (!names.length) throw new UsageError('specify at least one container name or ID to log');
      for (const [flag, v] of [['since', opts.since], ['until', opts.until]] as const) {
        if (v) {
          try { parseTimeOrDuration(String(v)); } catch { throw new UsageError(`parsing time "${v}": invalid ${flag} value`); }
        }
      }
      const tail = typeof opts.tail === 'number' && opts.tail >= 0 ? opts.tail : undefined;
      await engine(ctx).logs(names, {
        follow: !!opts.follow, since: opts.since || undefined, until: opts.until || undefined, tail, timestamps: !!opts.timestamps, names: !!opts.names, color: !!opts.color,
      }, {
        stdout: (b) => { writeStdout(b); },
        stderr: (b) => { writeStderr(b); },
      });
    },
  };
}

/** The states podman 4.3's wait accepts (configured, stopping and the health states are refused). */
const WAIT_CONDITIONS = ['created', 'exited', 'initialized', 'paused', 'removing', 'running', 'stopped', 'unknown'];

function waitCmd(group: boolean): CommandDef {
  return {
    name: 'wait',
    summary: 'Block on one or more containers',
    description: 'Block until one or more containers stop and then print their exit codes.\n',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex(['pier wait --interval 5s ctrID', 'pier wait ctrID1 ctrID2'], group),
    flags: [
      { name: 'condition', type: 'stringArray', valueName: 'strings', help: 'Condition to wait on' },
      { name: 'interval', short: 'i', type: 'string', default: '250ms', help: 'Time Interval to wait before polling for completion' },
      latestFlag,
    ],
    async run(ctx: Ctx, args, opts) {
      let names = args;
      if (opts.latest) {
        if (args.length) throw new UsageError('--latest and containers cannot be used together');
        names = [(await latestContainer(ctx)).Id];
      }
      if (!names.length) throw new UsageError('you must provide at least one container name or id');
      let iv = String(opts.interval ?? '250ms');
      if (/^\d+$/.test(iv)) iv += 'ms';
      const interval = parseGoDuration(iv);
      if (interval === undefined) throw new UsageError(`time: invalid duration ${JSON.stringify(opts.interval)}`);
      if (interval <= 0) throw new UsageError('interval must be greater then 0');
      const conditions = splitCSV(opts.condition);
      for (const c of conditions) if (!WAIT_CONDITIONS.includes(c)) throw new UsageError(`unknown container state: ${c}: invalid argument`);
      const eng = engine(ctx);
      for (const n of names) {
        if (!(await eng.exists(n))) throw new NotFoundError(`no container with name or ID "${n}" found: no such container`);
      }
      const errors: string[] = [];
      for (const n of names) {
        try {
          ctx.out(String(await eng.wait(n, { conditions: conditions.length ? conditions : undefined, interval })));
        } catch (e) {
          errors.push(errorMessage(e));
        }
      }
      if (errors.length) failWith(errors, 125);
    },
  };
}

function execCmd(group: boolean): CommandDef {
  const full = group ? 'container exec' : 'exec';
  return {
    name: 'exec',
    summary: 'Run a process in a running container',
    description: 'Execute the specified command inside a running container.\n',
    usage: '[options] CONTAINER [COMMAND [ARG...]]',
    example: ex(['pier exec -it ctrID ls', 'pier exec -it -w /tmp myCtr pwd', 'pier exec --user root ctrID ls'], group),
    flags: [
      { name: 'detach', short: 'd', type: 'bool', help: 'Run the exec session in detached mode (backgrounded)' },
      { name: 'detach-keys', type: 'string', default: DEFAULT_DETACH_KEYS, help: 'Select the key sequence for detaching a container. Format is a single character [a-Z] or ctrl-<value> where <value> is one of: a-z, @, ^, [, , or _' },
      { name: 'env', short: 'e', type: 'stringArray', help: 'Set environment variables' },
      { name: 'env-file', type: 'stringArray', valueName: 'strings', help: 'Read in a file of environment variables' },
      { name: 'interactive', short: 'i', type: 'bool', help: 'Keep STDIN open even if not attached' },
      latestFlag,
      { name: 'preserve-fds', type: 'int', valueName: 'uint', help: 'Pass N additional file descriptors to the container' },
      { name: 'privileged', type: 'bool', help: 'Give the process extended Linux capabilities inside the container.  The default is false' },
      { name: 'tty', short: 't', type: 'bool', help: 'Allocate a pseudo-TTY. The default is false' },
      { name: 'user', short: 'u', type: 'string', help: 'Sets the username or UID used and optionally the groupname or GID for the specified command' },
      { name: 'workdir', short: 'w', type: 'string', help: 'Working directory inside the container' },
    ],
    interspersed: false,
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      const preserveFds = uintFlag(opts, 'preserve-fds') ?? 0;
      if (preserveFds > 0) {
        // podman-remote has no --preserve-fds: the service cannot reach this process's fds.
        if (ctx.remoteUri) throw new FlagValueError('unknown flag: --preserve-fds');
        for (let fd = 3; fd < 3 + preserveFds; fd++) {
          if (!fdInherited(fd)) throw new UsageError(`file descriptor ${fd} is not available - the preserve-fds option requires that file descriptors must be passed`);
        }
      }
      let name: string;
      let command: string[];
      if (opts.latest) {
        name = (await latestContainer(ctx)).Id;
        command = args;
      } else {
        if (!args.length) throw new UsageError('exec requires the name or ID of a container or the --latest flag');
        name = args[0];
        command = args.slice(1);
      }
      const detachKeys = String(opts.detachKeys ?? DEFAULT_DETACH_KEYS);
      validateDetachKeys(detachKeys);
      const env: string[] = [];
      for (const f of splitCSV(opts.envFile)) env.push(...parseEnvFile(f, process.env));
      env.push(...resolveEnv(opts.env ?? [], process.env));
      const eng = engine(ctx);
      if (!(await eng.exists(name))) throw new NotFoundError(`no container with name or ID "${name}" found: no such container`);
      if (!command.length) throw new PierError('must provide a non-empty command to start an exec session: invalid argument', 255);
      try {
        const execOpts = {
          command, interactive: !!opts.interactive, tty: !!opts.tty, detach: !!opts.detach, user: opts.user || undefined, workdir: opts.workdir || undefined,
          env: env.length ? env : undefined, privileged: !!opts.privileged, detachKeys, preserveFds: preserveFds || undefined,
        };
        // -d: podman prints the exec session's ID once the process runs, and returns.
        // A command that cannot be run is then a plain engine error (125), not 126/127.
        if (opts.detach) {
          let id: string;
          try { id = await eng.execDetached(name, execOpts); } catch (e) {
            if (e instanceof PierError && (e.exitCode === 126 || e.exitCode === 127)) throw new PierError(e.message, 125);
            throw e;
          }
          ctx.out(id);
          return 0;
        }
        return await eng.exec(name, execOpts);
      } catch (e) {
        const msg = errorMessage(e);
        if (/can only create exec sessions on running containers/.test(msg)) throw new PierError(msg, 255);
        throw e;
      }
    }),
  };
}

function renameCmd(group: boolean): CommandDef {
  return {
    name: 'rename',
    summary: 'Rename an existing container',
    description: 'The pier rename command allows you to rename an existing container',
    usage: 'CONTAINER NAME',
    example: ex(['pier rename containerA newName'], group),
    minArgs: 2,
    maxArgs: 2,
    async run(ctx: Ctx, args) {
      await engine(ctx).rename(args[0], args[1]);
    },
  };
}

// ---------------------------------------------------------------------------------------
// container exists, cleanup, prune, inspect

const existsCmd: CommandDef = {
  name: 'exists',
  summary: 'Check if a container exists in local storage',
  description: 'If the named container exists in local storage, pier container exists exits with 0, otherwise the exit code will be 1.',
  usage: '[options] CONTAINER',
  example: ['pier container exists --external containerID', 'pier container exists myctr || pier run --name myctr [etc...]'].join('\n'),
  flags: [{ name: 'external', type: 'bool', help: 'Check external storage containers as well as Pier containers' }],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args, opts) {
    try {
      return (await engine(ctx).exists(args[0], { external: !!opts.external })) ? 0 : 1;
    } catch (e) {
      // podman-remote's exists is the answer's success alone: another namespace's container is not there.
      if (ctx.remoteUri && e instanceof NamespaceMismatchError) return 1;
      throw e;
    }
  },
};

const cleanupCmd: CommandDef = {
  name: 'cleanup',
  summary: 'Clean up network and mountpoints of one or more containers',
  description: '\n pier container cleanup\n\n Cleans up mount points and network stacks on one or more containers from the host. The container name or ID can be used. This command is used internally when running containers, but can also be used if container cleanup has failed when a container exits.\n',
  usage: '[options] CONTAINER [CONTAINER...]',
  example: ['pier container cleanup --latest', 'pier container cleanup ctrID1 ctrID2 ctrID3', 'pier container cleanup --all'].join('\n'),
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Cleans up all containers' },
    { name: 'exec', type: 'string', help: 'Clean up the given exec session instead of the container' },
    latestFlag,
    { name: 'rm', type: 'bool', help: 'After cleanup, remove the container entirely' },
    { name: 'rmi', type: 'bool', help: 'After cleanup, remove the image entirely' },
  ],
  async run(ctx: Ctx, args, opts) {
    if (opts.exec) {
      // conmon's exit command for a detached exec session (`exec -d`): its directory goes.
      if (!fs.existsSync(path.join(ctx.cfg.graphRoot, 'pier.db'))) return;
      for (const a of args) await engine(ctx).cleanupExec(a, String(opts.exec));
      return;
    }
    // conmon may run this after the whole store was removed (system reset, a deleted test
    // store): there is nothing to clean, and opening the store would create it again.
    if (!fs.existsSync(path.join(ctx.cfg.graphRoot, 'pier.db'))) return;
    const list = await targets(ctx, args, opts, { allStates: true });
    await forEach(list, (t) => engine(ctx).cleanup(t.name, { rm: !!opts.rm, rmi: !!opts.rmi }));
  },
};

async function readYes(): Promise<boolean> {
  const line = await new Promise<string | null>((resolve) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) { done(); resolve(buf.slice(0, nl)); }
    };
    const onEnd = () => { done(); resolve(buf || null); };
    const done = () => { process.stdin.off('data', onData); process.stdin.off('end', onEnd); process.stdin.pause(); };
    process.stdin.on('data', onData);
    process.stdin.on('end', onEnd);
    process.stdin.resume();
  });
  if (line === null) throw new PierError('EOF');
  return /^y/i.test(line.trim());
}

const pruneCmd: CommandDef = {
  name: 'prune',
  summary: 'Remove all non running containers',
  description: 'pier container prune\n\n\tRemoves all non running containers',
  usage: '[options]',
  example: 'pier container prune',
  flags: [
    { name: 'filter', type: 'stringArray', help: "Provide filter values (e.g. 'label=<key>=<value>')" },
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation.  The default is false' },
  ],
  maxArgs: 0,
  async run(ctx: Ctx, _args, opts) {
    const filters: string[] = opts.filter ?? [];
    for (const [k] of parsePsFilters(filters)) if (!['label', 'until'].includes(k)) throw new UsageError(`${k} is an invalid filter`);
    if (!opts.force) {
      writeStdout('WARNING! This will remove all non running containers.\nAre you sure you want to continue? [y/N] ');
      if (!(await readYes())) return;
    }
    const rows = filterContainers((await allContainers(ctx)).filter((r) => !['running', 'paused', 'stopping'].includes(r.State)), filters);
    const errors: string[] = [];
    for (const r of rows) {
      try {
        await engine(ctx).remove(r.Id, { force: false });
        ctx.out(r.Id);
      } catch (e) {
        errors.push(errorMessage(e));
      }
    }
    if (errors.length) failWith(errors, 125);
  },
};

/**
 * What templates see of podman 4.3's inspect struct beyond its JSON, as non-enumerable
 * properties (templates find them, JSON output skips them): State's Healthcheck() method
 * returning State.Health (kept for old templates such as `{{json .State.Healthcheck}}`), and
 * the zero values of the struct's omitempty fields the JSON leaves out (OMITTED), so that
 * `{{.State.CgroupPath}}` of a stopped container prints '' and `{{.HostConfig.IDMappings}}`
 * `<nil>` as podman's do, not `<no value>`.
 */
export function withTemplateFields(data: Record<string, unknown>): Record<string, unknown> {
  const { goNilSlice, goNilMap } = require('../format/govalue') as typeof import('../format/govalue');
  const hidden = (o: unknown, key: string, desc: PropertyDescriptor) => {
    if (!o || typeof o !== 'object') return;
    const lower = key.toLowerCase();
    const rec = o as Record<string, unknown>;
    const same = Object.keys(o).find((k) => k.toLowerCase() === lower);
    if (same !== undefined && rec[same] !== undefined) return;
    if (same !== undefined) delete rec[same];
    else if (Object.prototype.hasOwnProperty.call(o, key)) return;
    Object.defineProperty(o, key, { enumerable: false, configurable: true, ...desc });
  };
  const zeros = (o: unknown, fields: Record<string, () => unknown>) => {
    for (const [k, zero] of Object.entries(fields)) hidden(o, k, { value: zero() });
  };
  const state = data.State;
  hidden(state, 'Healthcheck', { get: () => (state as Record<string, unknown>).Health });
  const net = data.NetworkSettings as Record<string, unknown> | undefined;
  const basicNet = { SecondaryIPAddresses: goNilSlice, SecondaryIPv6Addresses: goNilSlice, AdditionalMacAddresses: goNilSlice };
  zeros(data, { OCIConfigPath: () => '', SizeRw: () => null, SizeRootFs: () => 0 });
  zeros(state, {
    ConmonPid: () => 0, Checkpointed: () => false, CgroupPath: () => '', CheckpointLog: () => '', CheckpointPath: () => '',
    RestoreLog: () => '', Restored: () => false,
  });
  zeros(data.Config, {
    CreateCommand: goNilSlice, Healthcheck: () => null, HealthcheckOnFailureAction: () => '', Timezone: () => '', SystemdMode: () => false,
    Umask: () => '', Secrets: goNilSlice, Passwd: () => null, ChrootDirs: goNilSlice, SdNotifyMode: () => '', SdNotifySocket: () => '',
  });
  zeros(data.HostConfig, { IDMappings: () => null, Init: () => false, CgroupManager: () => '' });
  // Port bindings are structs ({HostIP HostPort}) to templates, as podman's InspectHostPort.
  const { asStructSlices } = require('../format/govalue') as typeof import('../format/govalue');
  asStructSlices((data.HostConfig as Record<string, unknown> | undefined)?.PortBindings, 'define.InspectHostPort', goNilSlice);
  asStructSlices(net?.Ports, 'define.InspectHostPort', goNilSlice);
  // The healthcheck's durations are Go time.Durations ("30s" in a template, numbers in JSON).
  const hc = (data.Config as Record<string, unknown> | undefined)?.Healthcheck as Record<string, unknown> | undefined;
  if (hc && typeof hc === 'object') {
    const { GoDuration } = require('../format/govalue') as typeof import('../format/govalue');
    for (const k of ['StartPeriod', 'Interval', 'Timeout']) {
      if (typeof hc[k] === 'number') hc[k] = new GoDuration(hc[k] as number);
      else hidden(hc, k, { value: new GoDuration(0) });
    }
    zeros(hc, { Test: goNilSlice, Retries: () => 0 });
  }
  zeros(net, { ...basicNet, Networks: goNilMap });
  for (const n of Object.values((net?.Networks as Record<string, unknown> | undefined) ?? {})) zeros(n, { ...basicNet, NetworkID: () => '', Aliases: goNilSlice });
  for (const m of (Array.isArray(data.Mounts) ? data.Mounts : [])) zeros(m, { Name: () => '' });
  // Times as templates see podman's time.Time fields (`2006-01-02 15:04:05.999999999 -0700 MST`);
  // the JSON prints them as before (RFC 3339).
  const { templateTime } = require('../../util/nanotime') as typeof import('../../util/nanotime');
  const asTime = (o: unknown, key: string) => {
    const r = o as Record<string, unknown> | undefined;
    if (r && key in r) r[key] = templateTime(r[key]);
  };
  asTime(data, 'Created');
  for (const k of ['StartedAt', 'FinishedAt', 'CheckpointedAt', 'RestoredAt']) asTime(state, k);
  return data;
}

/** A container of another libpod namespace (--namespace) fails inspect at once, as podman's, where a missing one is listed. */
export function throwIfOtherNamespace(e: unknown): void {
  if (e instanceof NamespaceMismatchError) throw e;
}

/**
 * Inspect containers by name (for `container inspect` and `pier inspect`): prints the JSON
 * array or the template per container; missing names fail like podman. With `notFound`
 * the error text for a missing name can be changed (`no such object: "x"` for `inspect`).
 */
export async function inspectContainers(
  ctx: Ctx,
  names: string[],
  opts: { format?: string; size?: boolean; latest?: boolean; notFound?: (name: string, msg: string) => string },
): Promise<void> {
  let list = names;
  if (opts.latest) {
    if (names.length) throw new UsageError('--latest and containers cannot be used together');
    const all = await allContainers(ctx);
    if (!all.length) {
      const out = output().formatInspect([], opts.format || 'json');
      if (out) ctx.out(out);
      throw new PierError('inspecting object: no containers to inspect: no such container');
    }
    list = [all[all.length - 1].Id];
  }
  if (!list.length) throw new UsageError('no names or ids specified');
  const found: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for (const n of list) {
    try {
      found.push(withTemplateFields(await engine(ctx).inspect(n, { size: !!opts.size })));
    } catch (e) {
      throwIfOtherNamespace(e);
      const msg = e instanceof NotFoundError || /no such container/.test(errorMessage(e)) ? `no such container ${n}` : errorMessage(e);
      errors.push(opts.notFound ? opts.notFound(n, msg) : msg);
    }
  }
  const out = output().formatInspect(found, opts.format || 'json');
  if (out) ctx.out(out);
  if (errors.length) {
    writeStderr(errors.slice(0, -1).map((e) => `error inspecting object: ${e}\n`).join(''));
    throw new PierError(`inspecting object: ${errors[errors.length - 1]}`);
  }
}

const inspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Display the configuration of a container',
  description: 'Displays the low-level information on a container identified by name or ID.',
  usage: '[options] CONTAINER [CONTAINER...]',
  example: ['pier container inspect myCtr', "pier container inspect -l --format '{{.Id}} {{.Config.Labels}}'"].join('\n'),
  flags: [
    { name: 'format', short: 'f', type: 'string', default: 'json', help: 'Format the output to a Go template or json' },
    latestFlag,
    { name: 'size', short: 's', type: 'bool', help: 'Display total file size' },
  ],
  async run(ctx: Ctx, args, opts) {
    await inspectContainers(ctx, args, { format: opts.format, size: !!opts.size, latest: !!opts.latest });
  },
};

// ---------------------------------------------------------------------------------------
// Wiring

function attachCmd(group: boolean): CommandDef {
  const full = group ? 'container attach' : 'attach';
  return {
    name: 'attach',
    summary: 'Attach to a running container',
    description: 'The pier attach command allows you to attach to a running container using the container\'s ID or name, either to view its ongoing output or to control it interactively.\n\nYou can detach from the container (and leave it running) using a configurable key sequence. The default sequence is `ctrl-p,ctrl-q`.',
    usage: '[options] CONTAINER',
    example: ex(['pier attach ctrID', 'pier attach 1234', 'pier attach --no-stdin foobar'], group),
    maxArgs: 1,
    flags: [
      { name: 'detach-keys', type: 'string', valueName: 'string', default: DEFAULT_DETACH_KEYS, help: 'Select the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, `\\`, `]`, `^` or `_`' },
      latestFlag,
      { name: 'no-stdin', type: 'bool', help: 'Do not attach STDIN. The default is false' },
      { name: 'sig-proxy', type: 'bool', default: true, help: 'Proxy received signals to the process' },
    ],
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      validateDetachKeys(String(opts.detachKeys ?? DEFAULT_DETACH_KEYS));
      if (!opts.latest && args.length !== 1) throw new UsageError('attach requires the name or id of one running container or the latest flag');
      const [t] = await targets(ctx, args, opts);
      const code = await engine(ctx).attach(t.name, { noStdin: !!opts.noStdin, detachKeys: opts.detachKeys, sigProxy: opts.sigProxy });
      return typeof code === 'number' ? code : 0;
    }),
  };
}

function initCmd(group: boolean): CommandDef {
  const full = group ? 'container init' : 'init';
  return {
    name: 'init',
    summary: 'Initialize one or more containers',
    description: 'Initialize one or more containers, creating the OCI spec and mounts for inspection. Container names or IDs can be used.',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: ex(['pier init 3c45ef19d893', 'pier init test1'], group),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Initialize all containers' },
      latestFlag,
    ],
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      const list = await targets(ctx, args, opts, { states: ['created', 'exited', 'stopped'] });
      await forEach(list, (t) => engine(ctx).init(t.name));
    }),
  };
}

function portCmd(group: boolean): CommandDef {
  const full = group ? 'container port' : 'port';
  return {
    name: 'port',
    summary: 'List port mappings or a specific mapping for the container',
    description: 'List port mappings for the CONTAINER, or look up the public-facing port that is NAT-ed to the PRIVATE_PORT',
    usage: '[options] CONTAINER [PORT]',
    example: ex(['pier port --all', 'pier port ctrID 80/tcp', 'pier port --latest 80'], group),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Display port information for all containers' },
      latestFlag,
    ],
    run: withHint(full, async (ctx: Ctx, args, opts) => {
      const eng = engine(ctx) as import('../../domain/local/containers').LocalContainerEngine;
      // podman's checks, in its order; with --latest a single argument is the port.
      if (opts.all && opts.latest) throw new UsageError('--all and --latest cannot be used together');
      if (opts.all && args.length) throw new UsageError('no arguments are needed with --all');
      if (!args.length && !opts.latest && !opts.all) throw new UsageError('you must supply a running container name or id');
      if (args.length > 2) throw new UsageError('`port` accepts at most 2 arguments');
      const portArg = opts.latest ? (args.length === 1 ? args[0] : undefined) : args[1];
      const want = portArg ? parsePortArg(portArg) : undefined;
      const names = opts.all ? (await eng.list({ all: false })).map((r) => r.Id) : opts.latest ? [(await latestContainer(ctx)).Id] : [args[0]];
      const out: string[] = [];
      for (const n of names) {
        // Only a running container's (podman's): none for a created or stopped one.
        const ports = await eng.ports(n);
        if (!ports.length) continue;
        // With --all each line starts with the container's short ID and a tab.
        const prefix = opts.all ? `${n.slice(0, 12)}\t` : '';
        const lines: string[] = [];
        for (const m of ports) {
          for (let i = 0; i < m.range; i++) {
            const cp = m.container_port + i;
            const host = `${m.host_ip || '0.0.0.0'}:${m.host_port + i}`;
            if (want) { if (want.port === cp && want.proto === m.protocol) { lines.push(prefix + host); break; } }
            else lines.push(`${prefix}${cp}/${m.protocol} -> ${host}`);
          }
        }
        if (want && !lines.length) throw new PierError(`failed to find published port ${JSON.stringify(portArg)}`);
        out.push(...lines);
      }
      if (out.length) ctx.out(out.join('\n'));
    }),
  };
}

function parsePortArg(s: string): { port: number; proto: string } {
  const [p, proto = 'tcp'] = s.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`invalid port: ${s}`);
  return { port, proto };
}

function common(group: boolean): CommandDef[] {
  return [
    attachCmd(group),
    portCmd(group),
    initCmd(group),
    createLikeCmd('create', group),
    execCmd(group),
    killCmd(group),
    logsCmd(group),
    pauseLikeCmd('pause', group),
    renameCmd(group),
    restartCmd(group),
    rmCmd(group),
    createLikeCmd('run', group),
    startCmd(group),
    stopCmd(group),
    pauseLikeCmd('unpause', group),
    waitCmd(group),
  ];
}

/** Top-level container commands (run, create, start, stop, ps, ...). */
export function containerCommands(): CommandDef[] {
  return [...common(false), psCmd('ps', undefined, false)];
}

/** `pier container` and its subcommands. */
export function containerGroup(): CommandDef {
  const subs = [
    ...common(true),
    cleanupCmd,
    cloneCmd,
    existsCmd,
    inspectCmd,
    psCmd('list', ['ls'], true),
    psCmd('ps', undefined, true),
    pruneCmd,
    // Loaded when used (it brings the image commands' registry flags).
    { name: 'runlabel', summary: 'Execute the command described by an image label', load: () => (require('./runlabel') as typeof import('./runlabel')).runlabelCmd },
    ...containerGroupOpsCommands(),
    ...containerFilesSubcommands(),
  ].sort(byName);
  return {
    name: 'container',
    summary: 'Manage containers',
    description: 'Manage containers',
    usage: '[command]',
    subcommands: subs,
  };
}
