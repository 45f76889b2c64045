// cobra's hidden `__complete` / `__completeNoDesc` commands, which the completion scripts
// (`pier completion SHELL`) call on every TAB, as podman's do: `pier __complete WORDS... TOCOMPLETE`
// prints one candidate a line (`candidate<TAB>description` unless NoDesc), then `:DIRECTIVE`,
// and on stderr `Completion ended with directive: ...`.
//
// The command line is read as cobra reads it for podman: subcommands are found by name or
// alias; a word starting with `-` completes flag names (the command's own: podman hides the
// global ones below the root); the word after a flag that takes a value, or after `--flag=`,
// completes that flag's value; anything else completes the command's next argument. What a
// flag's value or an argument completes to follows podman 4.3's completion functions
// (cmd/podman/common/completion.go): fixed words (--log-level, --pull, --restart, signals...),
// key=value filters, or objects from the store (containers, running ones only for stop, kill,
// pause...; pods, images, volumes, networks, secrets), paths inside an image (create/run)
// or a container (cp CTR:PATH). Only the commands on the path are loaded; the store is opened
// read-only, and only when objects are asked for (complete-objects.ts).
import { CommandDef, FlagDef, HELP_FLAG, findSub } from './parser';
import { DIRECTIVE, directiveName } from './complete-directives';
import { completeFormat, formatCompletion } from './complete-format';
import type { ObjectSource } from './complete-objects';
import type { GlobalOptions } from '../config/config';
import { SYSTEMD_RESTART_POLICIES } from '../domain/generate';

export { DIRECTIVE, directiveName, formatCompletion };

const NOFILE = DIRECTIVE.NoFileComp;
const NOSPACE = DIRECTIVE.NoSpace;
const DEFAULT = 0;

export interface Result { items: string[]; directive: number }

/** What a completion function gets: the command, its arguments so far and the flags given. */
export interface CompleteContext {
  root: CommandDef;
  cmd: CommandDef;
  /** The commands from the root to `cmd`. */
  path: CommandDef[];
  /** podman's command path for the tables below (top-level shortcuts under their group). */
  key: string;
  /** Positional arguments before the word being completed. */
  args: string[];
  /** Names of the flags given (long names). */
  changed: Set<string>;
  /** The store's objects (opened on first use). */
  objects(): ObjectSource;
}

type Completer = (c: CompleteContext, toComplete: string) => Result | Promise<Result>;

const R = (items: string[], directive: number): Result => ({ items, directive });
const none: Completer = () => R([], NOFILE);
const fileDefault: Completer = () => R([], DEFAULT);
const fixed = (items: readonly string[], directive: number = NOFILE): Completer => () => R([...items], directive);

// ---------------------------------------------------------------------------------------------
// Objects

type IdMode = 'default' | 'ids' | 'names';

/** podman's rule: names by prefix; ids (12 characters) once two characters are typed, or always in `ids` mode. */
function matchIdName(out: string[], id: string, name: string, toComplete: string, mode: IdMode, desc = ''): void {
  const tail = desc ? `\t${desc}` : '';
  if (((toComplete.length > 1 && mode === 'default') || mode === 'ids') && id.startsWith(toComplete)) out.push(id.slice(0, 12) + tail);
  if (mode !== 'ids' && name.startsWith(toComplete)) out.push(name + tail);
}

async function containers(c: CompleteContext, toComplete: string, mode: IdMode = 'default', statuses?: string[]): Promise<Result> {
  const out: string[] = [];
  for (const ct of await c.objects().containers(statuses)) matchIdName(out, ct.id, ct.name, toComplete, mode, ct.podName);
  return R(out, NOFILE);
}

async function pods(c: CompleteContext, toComplete: string, mode: IdMode = 'default', statuses?: string[]): Promise<Result> {
  const out: string[] = [];
  for (const p of await c.objects().pods(statuses)) matchIdName(out, p.id, p.name, toComplete, mode);
  return R(out, NOFILE);
}

async function networks(c: CompleteContext, toComplete: string, mode: IdMode = 'default'): Promise<Result> {
  const out: string[] = [];
  for (const n of await c.objects().networks()) matchIdName(out, n.id, n.name, toComplete, mode);
  return R(out, NOFILE);
}

async function secrets(c: CompleteContext, toComplete: string, mode: IdMode = 'default'): Promise<Result> {
  const out: string[] = [];
  for (const s of await c.objects().secrets()) matchIdName(out, s.id, s.name, toComplete, mode);
  return R(out, NOFILE);
}

async function volumes(c: CompleteContext, toComplete: string): Promise<Result> {
  return R((await c.objects().volumes()).filter((v) => v.startsWith(toComplete)), NOFILE);
}

/**
 * Images: ids once two characters are typed; with nothing typed the full names
 * (`localhost/name:tag`), else every trailing part of a name that matches (`name:tag`).
 */
async function images(c: CompleteContext, toComplete: string): Promise<Result> {
  const out: string[] = [];
  for (const img of await c.objects().images()) {
    if (toComplete.length > 1 && img.id.startsWith(toComplete)) out.push(img.id.slice(0, 12));
    for (const repo of img.repoTags) {
      if (toComplete === '') { out.push(repo); continue; }
      const parts = repo.split('/');
      for (let i = 0; i < parts.length; i++) {
        const s = parts.slice(i).join('/');
        if (s.startsWith(toComplete)) out.push(s);
      }
    }
  }
  return R(out, NOFILE);
}

/** registries.conf's unqualified-search registries. */
async function registries(c: CompleteContext): Promise<Result> {
  return R(await c.objects().searchRegistries(), NOFILE);
}

/** The connections in pier's connection configuration (the URI as description). */
function connections(): Result {
  try {
    const { readConnections } = require('../config/connections') as typeof import('../config/connections');
    return R(Object.entries(readConnections().connections).map(([name, c]) => `${name}\t${c.uri}`), NOFILE);
  } catch {
    return R([], NOFILE);
  }
}

/**
 * Paths inside a root file system, as podman's getPathCompletion: `toComplete` is joined to
 * the root (symlinks resolved inside it, `..` stopping there); a directory lists its entries,
 * anything else its parent's entries starting with the last part. Directories end in `/`;
 * more than one candidate (or a directory) keeps the shell from adding a space; the shell's
 * own completion stays on (Default) for paths the image does not have.
 */
export function pathCompletion(fsys: import('./complete-objects').RootFS, toComplete: string): Result {
  let typed = toComplete === '' ? '/' : toComplete;
  let parts = fsys.resolve(typed);
  let base = '';
  if (!fsys.isDir(parts)) {
    base = parts.length ? parts[parts.length - 1] : '';
    parts = parts.slice(0, -1);
    typed = typed.slice(0, typed.lastIndexOf('/') + 1);
    if (!fsys.isDir(parts)) return R([], DEFAULT);
  }
  const entries = fsys.readdir(parts);
  if (entries.length === 0) return R([typed.endsWith('/') ? typed : `${typed}/`], DEFAULT | NOSPACE);
  const out: string[] = [];
  let count = 0;
  for (const e of entries) {
    if (!e.name.startsWith(base)) continue;
    const name = e.isDir ? `${e.name}/` : e.name;
    if (e.isDir) count++;
    count++;
    out.push(typed === '' ? name : typed.endsWith('/') ? typed + name : `${typed}/${name}`);
  }
  return R(out, count > 1 ? DEFAULT | NOSPACE : DEFAULT);
}

// ---------------------------------------------------------------------------------------------
// Arguments (podman's ValidArgsFunction of each command)

/** Names of commands where --all and names exclude each other (as they check it). */
const ALL_EXCLUSIVE = /^(container (rm|stop|kill|start|restart|pause|unpause|init|cleanup|mount|unmount|stats)|network reload|pod (rm|stop|kill|start|restart|pause|unpause|stats))$/;
/** Commands whose --latest goes with other arguments. */
const LATEST_WITH_ARGS = /^(container (ps|list|port|exec|top)|pod (ps|top))$/;

/**
 * podman's validCurrentCmdLine: would the command take one more argument? (More than it
 * accepts, or arguments with --latest or --all where those replace them, complete nothing.)
 */
function validLine(c: CompleteContext): boolean {
  if (c.cmd.maxArgs !== undefined && c.args.length + 1 > c.cmd.maxArgs) return false;
  const has = (n: string) => c.changed.has(n) && !!c.cmd.flags?.some((f) => f.name === n);
  if (has('latest') && !LATEST_WITH_ARGS.test(c.key)) return false;
  if (has('all') && ALL_EXCLUSIVE.test(c.key)) return false;
  return true;
}

/** An argument completer that checks the command line first. */
const checked = (fn: Completer): Completer => (c, t) => (validLine(c) ? fn(c, t) : R([], NOFILE));
/** The candidates of several completers, one after the other. */
const concat = (...fns: ((c: CompleteContext, t: string) => Promise<Result>)[]): Completer => async (c, t) => {
  const items: string[] = [];
  for (const fn of fns) items.push(...(await fn(c, t)).items);
  return R(items, NOFILE);
};

const ctrs = (...statuses: string[]): Completer => checked((c, t) => containers(c, t, 'default', statuses.length ? statuses : undefined));
const podsOf = (...statuses: string[]): Completer => checked((c, t) => pods(c, t, 'default', statuses.length ? statuses : undefined));
const imgs: Completer = checked(images);
const vols: Completer = checked(volumes);
const nets: Completer = checked((c, t) => networks(c, t));
const secretArgs: Completer = checked((c, t) => secrets(c, t));
/** The first argument is a path (the shell's completion), then nothing. */
const defaultOneArg: Completer = (c) => R([], c.args.length === 0 ? DEFAULT : NOFILE);
const firstArg = (fn: Completer): Completer => checked((c, t) => (c.args.length === 0 ? fn(c, t) : R([], NOFILE)));

const ARGS: Record<string, Completer> = {
  'container attach': ctrs('running'),
  'container cleanup': ctrs('exited'),
  // CONTAINER NAME IMAGE: a container, nothing for the name, an image.
  'container clone': checked((c, t) => (c.args.length === 0 ? containers(c, t) : c.args.length === 2 ? images(c, t) : R([], NOFILE))),
  'container commit': checked((c, t) => (c.args.length === 0 ? containers(c, t) : c.args.length === 1 ? images(c, t) : R([], NOFILE))),
  'container cp': checked(cpArgs),
  'container create': checked(createRunArgs),
  'container diff': ctrs(),
  'container exec': checked((c, t) => (c.args.length === 0 ? containers(c, t, 'default', ['running']) : R([], DEFAULT))),
  'container exists': ctrs(),
  'container export': ctrs(),
  'container init': ctrs('created'),
  'container inspect': ctrs(),
  'container kill': ctrs('running'),
  'container list': none,
  'container logs': ctrs(),
  'container mount': ctrs(),
  'container pause': ctrs('running'),
  'container port': firstArg((c, t) => containers(c, t)),
  'container prune': none,
  'container rename': firstArg((c, t) => containers(c, t)),
  'container restart': ctrs(),
  'container rm': ctrs(),
  'container run': checked(createRunArgs),
  'container runlabel': checked((c, t) => (c.args.length === 0 ? R([], NOFILE) : c.args.length === 1 ? images(c, t) : R([], DEFAULT))),
  'container start': ctrs('created', 'exited'),
  'container stats': ctrs('running'),
  'container stop': ctrs('running'),
  'container top': topArgs,
  'container unmount': ctrs(),
  'container unpause': ctrs('paused'),
  'container update': ctrs(),
  'container wait': ctrs(),
  'healthcheck run': ctrs('running'),
  'manifest add': imgs,
  'manifest annotate': imgs,
  'manifest create': imgs,
  'manifest exists': imgs,
  'manifest inspect': imgs,
  'manifest push': imgs,
  'manifest remove': imgs,
  'manifest rm': imgs,
  'auto-update': none,
  'generate systemd': firstArg(concat((c, t) => containers(c, t), (c, t) => pods(c, t))),
  'generate spec': firstArg(concat((c, t) => containers(c, t), (c, t) => pods(c, t))),
  'generate kube': concat((c, t) => containers(c, t), (c, t) => pods(c, t), volumes),
  'kube generate': concat((c, t) => containers(c, t), (c, t) => pods(c, t), volumes),
  'kube play': defaultOneArg,
  'kube down': defaultOneArg,
  'play kube': defaultOneArg,
  'diff': checked(concat((c, t) => containers(c, t), images)),
  'inspect': checked(concat((c, t) => containers(c, t), images, (c, t) => pods(c, t), (c, t) => networks(c, t), volumes)),
  'image build': defaultOneArg,
  'image diff': imgs,
  'image exists': imgs,
  'image history': imgs,
  'image import': defaultOneArg,
  'image inspect': imgs,
  'image list': imgs,
  'image load': none,
  'image mount': imgs,
  'image prune': none,
  'image pull': imgs,
  'image push': imgs,
  'image rm': imgs,
  'image save': imgs,
  'image scp': firstArg(imgs),
  'image search': none,
  'image sign': imgs,
  'image tag': imgs,
  'image tree': imgs,
  'image trust set': checked(registries),
  'image trust show': checked(registries),
  'image unmount': imgs,
  'image untag': imgs,
  'login': checked(registries),
  'logout': checked(registries),
  'network connect': netConnectArgs,
  'network create': none,
  'network disconnect': netConnectArgs,
  'network exists': nets,
  'network inspect': nets,
  'network ls': none,
  'network prune': nets,
  'network reload': ctrs(),
  'network rm': nets,
  'pod clone': checked((c, t) => (c.args.length === 0 ? pods(c, t) : R([], NOFILE))),
  'pod create': none,
  'pod exists': podsOf(),
  'pod inspect': podsOf(),
  'pod kill': podsOf('running', 'degraded'),
  'pod logs': podsOf(),
  'pod pause': podsOf('running', 'degraded'),
  'pod prune': none,
  'pod ps': none,
  'pod restart': podsOf(),
  'pod rm': podsOf(),
  'pod start': podsOf(),
  'pod stats': podsOf('running', 'degraded'),
  'pod stop': podsOf('running', 'degraded'),
  'pod top': topArgs,
  'pod unpause': podsOf('paused', 'degraded'),
  'volume create': none,
  'volume exists': vols,
  'volume export': vols,
  'volume import': vols,
  'volume inspect': vols,
  'volume ls': none,
  'volume mount': vols,
  'volume prune': none,
  'volume reload': none,
  'volume rm': vols,
  'volume unmount': vols,
  'secret create': (c) => R([], c.args.length === 1 ? DEFAULT : NOFILE),
  'secret inspect': secretArgs,
  'secret ls': none,
  'secret rm': secretArgs,
  'system connection add': none,
  'system connection default': checked(connections),
  'system connection list': none,
  'system connection remove': checked(connections),
  'system connection rename': checked(connections),
  'system df': none,
  'system events': none,
  'system info': none,
  'system migrate': none,
  'system prune': none,
  'system renumber': none,
  'system reset': none,
  'system service': defaultOneArg,
  'system version': none,
  // COMMAND [ARG...]: the shell's own (podman's ShellCompDirectiveDefault).
  'unshare': fileDefault,
  'completion': (c, t) => (c.args.length === 0 ? R(['bash', 'zsh', 'fish', 'powershell'].filter((s) => s.startsWith(t)), NOFILE) : R([], DEFAULT)),
  'help': helpArgs,
};

/** Top-level commands and the group command they are (podman's ValidArgsFunction and flags are the group's). */
const TOP_LEVEL_KEY: Record<string, string> = {
  attach: 'container attach', commit: 'container commit', cp: 'container cp', create: 'container create', exec: 'container exec',
  export: 'container export', init: 'container init', kill: 'container kill', logs: 'container logs', mount: 'container mount',
  pause: 'container pause', port: 'container port', ps: 'container list', rename: 'container rename', restart: 'container restart',
  rm: 'container rm', run: 'container run', start: 'container start', stats: 'container stats', stop: 'container stop',
  top: 'container top', unmount: 'container unmount', unpause: 'container unpause', update: 'container update', wait: 'container wait',
  images: 'image list', pull: 'image pull', push: 'image push', rmi: 'image rm', tag: 'image tag', untag: 'image untag',
  history: 'image history', save: 'image save', load: 'image load', import: 'image import', search: 'image search', build: 'image build',
  events: 'system events', version: 'system version', info: 'system info',
  'container ps': 'container list', 'buildx build': 'image build',
};

/** The key of a command path in the tables (`rm` → `container rm`). */
export function completionKey(names: string[]): string {
  const joined = names.join(' ');
  return TOP_LEVEL_KEY[joined] ?? joined;
}

async function createRunArgs(c: CompleteContext, toComplete: string): Promise<Result> {
  if (c.args.length === 0) {
    // --rootfs: the argument is a directory on the host.
    if (c.changed.has('rootfs')) return R([], DIRECTIVE.FilterDirs);
    return images(c, toComplete);
  }
  const fsys = await c.objects().imageRoot(c.args[0]);
  if (!fsys) return R([], DEFAULT);
  return pathCompletion(fsys, toComplete);
}

/** cp: `CTR:` then paths in the container; containers (with a `:`) when a name matches; else host paths. */
async function cpArgs(c: CompleteContext, toComplete: string): Promise<Result> {
  if (c.args.length >= 2) return R([], NOFILE);
  const colon = toComplete.indexOf(':');
  if (colon >= 0) {
    const fsys = await c.objects().containerRoot(toComplete.slice(0, colon));
    if (!fsys) return R([], DEFAULT);
    const r = pathCompletion(fsys, toComplete.slice(colon + 1));
    return R(r.items.map((i) => toComplete.slice(0, colon + 1) + i), r.directive);
  }
  const list = (await containers(c, toComplete)).items;
  if (list.some((x) => x.startsWith(toComplete))) {
    return R(list.map((x) => { const [v, d] = x.split('\t'); return d !== undefined ? `${v}:\t${d}` : `${v}:`; }), NOSPACE);
  }
  return R([], DEFAULT);
}

/** top / pod top: the container (pod) first, unless --latest; then ps(1) format descriptors. */
function topArgs(c: CompleteContext, toComplete: string): Result | Promise<Result> {
  if (c.args.length === 0 && !c.changed.has('latest')) return c.key === 'pod top' ? pods(c, toComplete) : containers(c, toComplete);
  const { listDescriptors } = require('../engine/top') as typeof import('../engine/top');
  return R(listDescriptors(), NOFILE);
}

/** network connect / disconnect: the network, then the container. */
function netConnectArgs(c: CompleteContext, toComplete: string): Result | Promise<Result> {
  if (c.args.length === 0) return networks(c, toComplete);
  if (c.args.length === 1) return containers(c, toComplete);
  return R([], NOFILE);
}

/** cobra's help command: the subcommands of the command named so far. */
function helpArgs(c: CompleteContext, toComplete: string): Result {
  let cmd = c.root;
  for (const a of c.args) {
    const sub = findSub(cmd, a);
    if (!sub) break;
    cmd = sub;
  }
  const out: string[] = [];
  for (const s of cmd.subcommands ?? []) {
    if ((s.hidden && s.name !== 'help') || !s.name.startsWith(toComplete)) continue;
    out.push(`${s.name}\t${s.summary}`);
  }
  return R(out, NOFILE);
}

// ---------------------------------------------------------------------------------------------
// Flag values (podman's RegisterFlagCompletionFunc)

/** key=value completion: a key typed completes its value, else the keys that match (no space after `=`/`:`). */
async function keyValues(toComplete: string, kv: ReadonlyArray<readonly [string, ((rest: string) => Result | Promise<Result>) | null]>): Promise<Result> {
  const out: string[] = [];
  let directive: number = NOFILE;
  for (const [key, fn] of kv) {
    if (toComplete.startsWith(key)) {
      if (!fn) return R([], NOFILE);
      const r = await fn(toComplete.slice(key.length));
      return R(r.items.map((i) => key + i), r.directive);
    }
    if (key.startsWith(toComplete)) {
      out.push(key);
      if (key.endsWith('=') || key.endsWith(':')) directive = NOSPACE | NOFILE;
    }
  }
  return R(out, directive);
}

const bools = (): Result => R(['true', 'false'], NOFILE);
const pathValue = (): Result => R([], DEFAULT);

function namespaceValues(c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['container:', (s) => containers(c, s)],
    ['ns:', pathValue],
    ['host', null],
    ['private', null],
  ]);
}

async function userNamespaceValues(c: CompleteContext, toComplete: string): Promise<Result> {
  const r = await namespaceValues(c, toComplete);
  return R([...r.items, 'auto', 'keep-id', 'nomap'], r.directive);
}

/** --network: networks, then the modes (slirp4netns's options after `slirp4netns:`). */
async function networkValues(c: CompleteContext, toComplete: string): Promise<Result> {
  const r = await keyValues(toComplete, [
    ['container:', (s) => containers(c, s)],
    ['ns:', pathValue],
    ['bridge', null],
    ['none', null],
    ['host', null],
    ['private', null],
    ['slirp4netns:', (s) => keyValues(s, [
      ['allow_host_loopback=', bools],
      ['cidr=', null],
      ['enable_ipv6=', bools],
      ['mtu=', null],
      ['outbound_addr=', null],
      ['outbound_addr6=', null],
      ['port_handler=', () => R(['rootlesskit', 'slirp4netns'], NOFILE)],
    ])],
  ]);
  return R([...(await networks(c, toComplete)).items, ...r.items, 'slirp4netns'], r.directive);
}

/** podman's stop signals (its table's names), upper case or, for lower-case input, lower case; `SIG` once `SI` is typed. */
const SIGNAL_NAMES = ['ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF',
  'PWR', 'QUIT', 'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU',
  'XFSZ', 'RTMIN', ...Array.from({ length: 15 }, (_, i) => `RTMIN+${i + 1}`), ...Array.from({ length: 14 }, (_, i) => `RTMAX-${14 - i}`), 'RTMAX'];

function signalValues(_c: CompleteContext, toComplete: string): Result {
  const lower = /^[a-z]/.test(toComplete);
  const conv = (s: string) => (lower ? s.toLowerCase() : s);
  const prefix = toComplete.startsWith(conv('SI')) ? 'SIG' : '';
  return R(SIGNAL_NAMES.map((s) => conv(prefix + s)), NOFILE);
}

/** --cap-add/--cap-drop: every capability, without `CAP_` unless `CA` is typed; lower case for lower-case input; ALL. */
function capabilityValues(_c: CompleteContext, toComplete: string): Result {
  const { CAPABILITY_NAMES } = require('../engine/spec/caps') as typeof import('../engine/spec/caps');
  const lower = /^[a-z]/.test(toComplete);
  const conv = (s: string) => (lower ? s.toLowerCase() : s);
  const offset = toComplete.startsWith(conv('CA')) ? 0 : 4;
  return R([...CAPABILITY_NAMES.map((cap) => conv(cap).slice(offset)), conv('ALL')], NOFILE);
}

/** The first field of each line of a file (/etc/passwd, /etc/subuid...). */
function fileColumn(file: string, column: number): string[] | undefined {
  let text: string;
  try { text = require('node:fs').readFileSync(file, 'utf8'); } catch { return undefined; }
  return text.split('\n').filter((l) => l !== '').map((l) => l.split(':')[column] ?? '');
}

/** --user: `user:` from /etc/passwd (uids too once something is typed); after the `:`, groups. */
function userValues(_c: CompleteContext, toComplete: string): Result {
  if (toComplete.includes(':')) {
    const user = toComplete.split(':')[0];
    const names = fileColumn('/etc/group', 0);
    if (!names) return R([], NOFILE);
    const ids = fileColumn('/etc/group', 2) ?? [];
    const out: string[] = [];
    names.forEach((g, i) => {
      out.push(`${user}:${g}`);
      if (user.length + 1 < toComplete.length) out.push(`${user}:${ids[i]}`);
    });
    return R(out, NOFILE);
  }
  const names = fileColumn('/etc/passwd', 0);
  if (!names) return R([], NOFILE);
  const ids = fileColumn('/etc/passwd', 2) ?? [];
  const out: string[] = [];
  names.forEach((u, i) => {
    out.push(`${u}:`);
    if (toComplete.length > 0) out.push(`${ids[i]}:`);
  });
  return R(out, NOSPACE);
}

const subIdNames = (file: string): Completer => () => {
  const names = fileColumn(file, 0);
  return names ? R(names, NOFILE) : R([], DIRECTIVE.Error);
};

function securityOptValues(_c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['apparmor=', null],
    ['no-new-privileges', null],
    ['seccomp=', pathValue],
    ['label=', (s) => (s.startsWith('d') ? R(['disable'], NOFILE) : R(['user:', 'role:', 'type:', 'level:', 'filetype:', 'disable'], NOSPACE | NOFILE))],
  ]);
}

async function volumeValues(c: CompleteContext, toComplete: string): Promise<Result> {
  return R((await volumes(c, toComplete)).items, toComplete.includes(':') ? DEFAULT : NOSPACE | DEFAULT);
}

function logOptValues(_c: CompleteContext, toComplete: string): Result {
  if (toComplete.startsWith('path=')) return R([], DEFAULT);
  return R(['path=', 'tag=', 'max-size='], NOFILE | NOSPACE);
}

function detachKeyValues(_c: CompleteContext, toComplete: string): Result {
  return R([toComplete.endsWith(',') ? `${toComplete}ctrl-` : 'ctrl-'], NOSPACE);
}

function podShareValues(_c: CompleteContext, toComplete: string): Result {
  const done = toComplete.slice(0, toComplete.lastIndexOf(',') + 1);
  return R(['ipc', 'net', 'pid', 'user', 'uts', 'cgroup', 'none'].map((n) => done + n), NOFILE);
}

const CONTAINER_STATUSES = ['created', 'running', 'paused', 'stopped', 'exited', 'unknown'];

function psFilters(c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['id=', (s) => containers(c, s, 'ids')],
    ['name=', (s) => containers(c, s, 'names')],
    ['status=', () => R(CONTAINER_STATUSES, NOFILE)],
    ['ancestor=', (s) => images(c, s)],
    ['before=', (s) => containers(c, s)],
    ['since=', (s) => containers(c, s)],
    ['volume=', (s) => volumes(c, s)],
    ['health=', () => R(['healthy', 'unhealthy'], NOFILE)],
    ['network=', (s) => networks(c, s)],
    ['label=', null],
    ['exited=', null],
    ['until=', null],
  ]);
}

function podPsFilters(c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['id=', (s) => pods(c, s, 'ids')],
    ['name=', (s) => pods(c, s, 'names')],
    ['status=', () => R(['stopped', 'running', 'paused', 'exited', 'dead', 'created', 'degraded'], NOFILE)],
    ['ctr-ids=', (s) => containers(c, s, 'ids')],
    ['ctr-names=', (s) => containers(c, s, 'names')],
    ['ctr-number=', null],
    ['ctr-status=', () => R(CONTAINER_STATUSES, NOFILE)],
    ['network=', (s) => networks(c, s)],
    ['label=', null],
  ]);
}

function imageFilters(c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['before=', (s) => images(c, s)],
    ['since=', (s) => images(c, s)],
    ['label=', null],
    ['reference=', null],
    ['dangling=', bools],
    ['readonly=', bools],
  ]);
}

const pruneFilters: Completer = (_c, t) => keyValues(t, [['until=', null], ['label=', null]]);

function networkFilters(c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['name=', (s) => networks(c, s, 'names')],
    ['id=', (s) => networks(c, s, 'ids')],
    ['label=', null],
    ['driver=', () => R(['bridge', 'macvlan', 'ipvlan'], NOFILE)],
    ['until=', null],
  ]);
}

function volumeFilters(c: CompleteContext, toComplete: string): Promise<Result> {
  const local = () => R(['local'], NOFILE);
  return keyValues(toComplete, [
    ['name=', (s) => volumes(c, s)],
    ['driver=', local],
    ['scope=', local],
    ['label=', null],
    ['opt=', null],
    ['dangling=', bools],
  ]);
}

function secretFilters(c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['name=', (s) => secrets(c, s, 'names')],
    ['id=', (s) => secrets(c, s, 'ids')],
  ]);
}

const EVENT_STATUSES = ['attach', 'auto-update', 'checkpoint', 'cleanup', 'commit', 'create', 'exec', 'exec_died', 'exited', 'export', 'import',
  'init', 'kill', 'loadfromarchive', 'mount', 'network-connect', 'network-disconnect', 'pause', 'prune', 'pull', 'push', 'refresh', 'remove',
  'rename', 'renumber', 'restart', 'restore', 'save', 'start', 'stop', 'sync', 'tag', 'unmount', 'unpause', 'untag'];

function eventFilters(c: CompleteContext, toComplete: string): Promise<Result> {
  return keyValues(toComplete, [
    ['container=', (s) => containers(c, s)],
    ['image=', (s) => images(c, s)],
    ['pod=', (s) => pods(c, s)],
    ['volume=', (s) => volumes(c, s)],
    ['event=', () => R(EVENT_STATUSES, NOFILE)],
    ['type=', () => R(['container', 'image', 'network', 'pod', 'system', 'volume'], NOFILE)],
  ]);
}

/** Image search filters (libimage's SearchFilters). */
const searchFilters = fixed(['is-automated', 'is-official', 'stars']);

const CHANGE_INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];
const ARCHES = ['386', 'amd64', 'arm', 'arm64', 'ppc64', 'ppc64le', 'mips', 'mipsle', 'mips64', 'mips64le', 'riscv64', 's390x'];
const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'];

/** Flag values by flag name, for every command that has the flag (unless FLAGS below says otherwise). */
const FLAG_VALUES: Record<string, Completer> = {
  // Paths: the shell's own completion.
  authfile: fileDefault, 'blkio-weight-device': fileDefault, 'cert-dir': fileDefault, 'cgroup-parent': fileDefault, chrootdirs: fileDefault,
  cidfile: fileDefault, conmon: fileDefault, device: fileDefault, 'device-read-bps': fileDefault, 'device-read-iops': fileDefault,
  'device-write-bps': fileDefault, 'device-write-iops': fileDefault, digestfile: fileDefault, 'env-file': fileDefault, file: fileDefault,
  identity: fileDefault, iidfile: fileDefault, 'infra-conmon-pidfile': fileDefault, 'init-ctr': fileDefault, 'init-path': fileDefault,
  input: fileDefault, 'label-file': fileDefault, output: fileDefault, pidfile: fileDefault, 'pod-id-file': fileDefault,
  'registries-conf': fileDefault, root: fileDefault, runroot: fileDefault, runtime: fileDefault, 'seccomp-policy': fileDefault,
  'sign-passphrase-file': fileDefault, 'socket-path': fileDefault, tmpdir: fileDefault, tmpfs: fileDefault, url: fileDefault,
  volumepath: fileDefault, workdir: fileDefault, 'hooks-dir': fileDefault, 'network-cmd-path': fileDefault, 'network-config-dir': fileDefault,
  // Free text: nothing to suggest.
  'add-host': none, after: none, alias: none, annotation: none, author: none, 'blkio-weight': none, 'cgroup-conf': none, cors: none,
  'cpu-period': none, 'cpu-quota': none, 'cpu-rt-period': none, 'cpu-rt-runtime': none, 'cpu-shares': none, cpus: none,
  'cpuset-cpus': none, 'cpuset-mems': none, creds: none, 'device-cgroup-rule': none, dns: none, 'dns-option': none, 'dns-search': none,
  driver: none, 'driver-opts': none, env: none, 'env-merge': none, exec: none, expose: none, gateway: none, gidmap: none, gpus: none,
  'group-add': none, 'health-cmd': none, 'health-interval': none, 'health-retries': none, 'health-start-period': none,
  'health-timeout': none, hostname: none, hostuser: none, 'infra-command': none, 'infra-name': none, interval: none, ip: none,
  'ip-range': none, ip6: none, label: none, last: none, limit: none, 'mac-address': none, memory: none, 'memory-reservation': none,
  'memory-swap': none, 'memory-swappiness': none, message: none, name: none, namespace: none, 'network-alias': none,
  'new-runtime': none, 'oom-score-adj': none, opt: none, 'passwd-entry': none, 'pids-limit': none, platform: none, port: none,
  'preserve-fds': none, publish: none, 'runtime-flag': none, 'sign-by': none, since: none, 'shm-size': none, 'stop-timeout': none,
  'storage-driver': none, 'storage-opt': none, subnet: none, sysctl: none, tail: none, time: none, timeout: none, tz: none,
  uidmap: none, ulimit: none, umask: none, unsetenv: none, until: none, variant: none, watch: none, 'os-version': none,
  features: none, 'os-features': none, entrypoint: none, 'interface-name': none, username: none, password: none,
  'conmon-pidfile': fileDefault, 'sign-by-sigstore-private-key': fileDefault, 'infra-image': checked(images), 'create-image': none, 'start-timeout': none,
  // Fixed words and objects.
  arch: fixed(ARCHES),
  attach: fixed(['stdin', 'stdout', 'stderr']),
  'cap-add': capabilityValues,
  'cap-drop': capabilityValues,
  'cgroup-manager': fixed(['cgroupfs', 'systemd']),
  cgroupns: namespaceValues,
  cgroups: fixed(['enabled', 'disabled', 'no-conmon', 'split']),
  change: fixed(CHANGE_INSTRUCTIONS, NOSPACE),
  compress: fixed(['gzip', 'none', 'zstd']),
  'compression-format': fixed(['gzip', 'zstd', 'zstd:chunked']),
  condition: fixed(['unknown', 'configured', 'created', 'running', 'stopped', 'paused', 'exited', 'removing']),
  connection: () => connections(),
  'detach-keys': detachKeyValues,
  'events-backend': fixed(['file', 'journald', 'none']),
  'health-on-failure': fixed(['none', 'kill', 'restart', 'stop']),
  'image-volume': fixed(['bind', 'tmpfs', 'ignore']),
  ipc: namespaceValues,
  'log-driver': fixed(['journald', 'none', 'k8s-file', 'passthrough']),
  'log-level': fixed(LOG_LEVELS),
  'log-opt': logOptValues,
  mount: fixed(['type=bind,', 'type=volume,', 'type=tmpfs,'], NOSPACE),
  network: networkValues,
  os: fixed(['linux', 'windows']),
  personality: namespaceValues,
  pid: namespaceValues,
  pod: (c, t) => pods(c, t),
  pull: fixed(['always', 'missing', 'never', 'newer']),
  requires: (c, t) => containers(c, t),
  restart: fixed(['always', 'no', 'on-failure', 'unless-stopped']),
  sdnotify: fixed(['container', 'conmon', 'ignore']),
  secret: (c, t) => secrets(c, t),
  'security-opt': securityOptValues,
  share: podShareValues,
  signal: signalValues,
  ssh: fixed(['golang', 'native']),
  'stop-signal': signalValues,
  subgidname: subIdNames('/etc/subgid'),
  subuidname: subIdNames('/etc/subuid'),
  systemd: fixed(['true', 'false', 'always']),
  user: userValues,
  userns: userNamespaceValues,
  uts: namespaceValues,
  volume: volumeValues,
  'volumes-from': (c, t) => containers(c, t),
  'exit-policy': fixed(['continue', 'stop']),
};

/** buildah's namespace flags in build: the modes that match, and paths. */
function buildNamespaceValues(_c: CompleteContext, toComplete: string): Result {
  return R(['host', 'private', 'container', 'ns:'].filter((m) => m.startsWith(toComplete)), DEFAULT);
}

/** What build's flags complete to (buildah's completion functions, where they differ from FLAG_VALUES). */
const BUILD_FLAGS: Record<string, Completer> = {
  arch: none, os: none, format: none, 'hooks-dir': none, output: none, pull: fileDefault, secret: none, 'security-opt': none,
  volume: fileDefault, platform: none, cgroupns: buildNamespaceValues, ipc: buildNamespaceValues, network: buildNamespaceValues,
  pid: buildNamespaceValues, uts: buildNamespaceValues, userns: buildNamespaceValues, 'build-arg': none, 'build-arg-file': fileDefault,
  'build-context': none, 'cache-from': none, 'cache-to': none, 'cache-ttl': none, 'cpp-flag': none, from: fileDefault, ignorefile: fileDefault,
  jobs: none, logfile: fileDefault, manifest: fileDefault, 'os-feature': none, 'signature-policy': none, ssh: none, tag: none, target: none,
  timestamp: none, 'decryption-key': none, isolation: none, retry: none, 'retry-delay': none, 'userns-uid-map': none, 'userns-gid-map': none,
  'userns-uid-map-user': subIdNames('/etc/subuid'), 'userns-gid-map-group': subIdNames('/etc/subgid'), 'add-host': none, 'cap-add': capabilityValues,
  'cap-drop': capabilityValues, device: fileDefault, 'unsetenv': none, 'runtime-flag': none, 'sign-by': none, variant: none, 'layer-label': none,
};

/** Per-command flag values where a name means something else there. */
const FLAGS: Record<string, Record<string, Completer>> = {
  'image sign': { directory: fileDefault },
  'image trust set': { pubkeysfile: fileDefault, type: fixed(['signedBy', 'accept', 'reject']) },
  'container list': { filter: psFilters, sort: fixed(['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status']) },
  'container start': { filter: psFilters },
  'container stop': { filter: psFilters },
  'container pause': { filter: psFilters },
  'container unpause': { filter: psFilters },
  'container restart': { filter: psFilters },
  'container rm': { filter: psFilters },
  'container prune': { filter: pruneFilters },
  'container commit': { format: fixed(['oci', 'docker']) },
  'container logs': { tail: none },
  'pod logs': { container: (c, t) => containers(c, t) },
  'container runlabel': { authfile: fileDefault },
  'container export': { output: fileDefault },
  'image list': { filter: imageFilters, sort: none },
  'image prune': { filter: pruneFilters },
  'image import': { arch: none, os: none },
  'image search': { filter: searchFilters },
  'image push': { format: fixed(['oci', 'v2s2']) },
  'manifest push': { format: fixed(['oci', 'v2s2']) },
  'image save': { format: fixed(['oci-archive', 'oci-dir', 'docker-archive', 'docker-dir']) },
  'image pull': { platform: none },
  'image build': BUILD_FLAGS,
  'network create': { driver: fixed(['bridge', 'macvlan', 'ipvlan']), 'ipam-driver': fixed(['host-local', 'dhcp', 'none']) },
  'network ls': { filter: networkFilters },
  'network prune': { filter: pruneFilters },
  'volume ls': { filter: volumeFilters },
  'volume prune': { filter: volumeFilters },
  'pod ps': { filter: podPsFilters, sort: fixed(['created', 'id', 'name', 'status', 'number']) },
  'secret ls': { filter: secretFilters },
  'system events': { filter: eventFilters },
  'system prune': { filter: pruneFilters },
  'inspect': { format: none, type: fixed(['all', 'container', 'image', 'network', 'pod', 'volume']) },
  'system connection add': { identity: fileDefault },
  'kube play': { configmap: fileDefault, 'context-dir': fileDefault, 'seccomp-profile-root': fileDefault },
  'play kube': { configmap: fileDefault, 'context-dir': fileDefault, 'seccomp-profile-root': fileDefault },
  'generate kube': { filename: fileDefault },
  'generate spec': { filename: fileDefault },
  'kube generate': { filename: fileDefault },
  'generate systemd': {
    'restart-policy': fixed(SYSTEMD_RESTART_POLICIES),
    'container-prefix': none, 'pod-prefix': none, separator: none, 'restart-sec': none, wants: none, requires: none,
  },
};

/** The completer of a flag's value on this command; undefined: none registered (the shell's default). */
function flagCompleter(c: CompleteContext, f: FlagDef): Completer | undefined {
  if (f.name === 'format') {
    const spec = formatCompletion(c.path.slice(1).map((x) => x.name).join(' ')) ?? formatCompletion(c.key);
    if (spec) return (_c, t) => completeFormat(spec, t);
  }
  return FLAGS[c.key]?.[f.name] ?? FLAG_VALUES[f.name];
}

/** For tests: whether a flag of the command (by path) has a value completer. */
export function flagCompletionFor(names: string[], flag: string): boolean {
  const key = completionKey(names);
  if (flag === 'format' && (formatCompletion(names.join(' ')) ?? formatCompletion(key))) return true;
  return !!(FLAGS[key]?.[flag] ?? FLAG_VALUES[flag]);
}

/** For tests: whether the command (by path) has an argument completer. */
export function argCompletionFor(names: string[]): boolean {
  return !!ARGS[completionKey(names)];
}

// ---------------------------------------------------------------------------------------------
// The command line, read as cobra reads it

function takesValue(f: FlagDef): boolean {
  return f.type !== 'bool' && f.type !== 'count';
}

/** A flag that needs no value (bool, count, or a value-optional string such as build's --pull). */
function noValueNeeded(f: FlagDef): boolean {
  return !takesValue(f) || f.noOptDefault !== undefined;
}

function isFlagArg(w: string): boolean {
  return (w.length >= 3 && w.startsWith('--')) || (w.length >= 2 && w[0] === '-' && w[1] !== '-');
}

interface FlagSet {
  long(name: string): FlagDef | undefined;
  short(ch: string): FlagDef | undefined;
}

function flagSet(cmd: CommandDef, root: CommandDef): FlagSet {
  const all = [...(cmd.flags ?? []), ...(cmd === root ? [] : root.flags ?? []), HELP_FLAG];
  return {
    long: (name) => { const n = cmd.flagAliases?.[name] ?? name; return all.find((f) => f.name === n); },
    short: (ch) => all.find((f) => f.short === ch),
  };
}

/** The positional arguments and flags given in `words` for `cmd` (pflag's parse, interspersed unless the command says not). */
function parseWords(cmd: CommandDef, fs: FlagSet, words: string[]): { args: string[]; changed: Set<string>; ended: boolean } {
  const args: string[] = [];
  const changed = new Set<string>();
  let ended = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (ended || (cmd.interspersed === false && args.length > 0)) { args.push(w); continue; }
    if (w === '--') { ended = true; continue; }
    if (w.startsWith('--') && w.length > 2) {
      const f = fs.long(w.slice(2).split('=')[0]);
      if (!f) continue;
      changed.add(f.name);
      if (!w.includes('=') && takesValue(f) && f.noOptDefault === undefined) i++;
      continue;
    }
    if (w.startsWith('-') && w.length > 1) {
      for (let j = 1; j < w.length; j++) {
        const f = fs.short(w[j]);
        if (!f) break;
        changed.add(f.name);
        if (takesValue(f)) {
          if (j === w.length - 1 && f.noOptDefault === undefined) i++;
          break;
        }
      }
      continue;
    }
    args.push(w);
  }
  return { args, changed, ended };
}

/** The options the root's flags set in `words` (for the store to read). */
function globalOptions(root: CommandDef, words: string[], base: GlobalOptions): GlobalOptions {
  const g: Record<string, unknown> = { ...base };
  const fs = flagSet(root, root);
  const keys: Record<string, keyof GlobalOptions> = {
    root: 'root', runroot: 'runroot', 'storage-driver': 'storageDriver', volumepath: 'volumePath', 'registries-conf': 'registriesConf',
    url: 'url', connection: 'connection', identity: 'identity', namespace: 'namespace',
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--remote' || w === '-r') g.remote = true;
    if (!w.startsWith('--')) continue;
    const eq = w.indexOf('=');
    const f = fs.long(eq > 0 ? w.slice(2, eq) : w.slice(2));
    if (!f || !keys[f.name] || !takesValue(f)) continue;
    const v = eq > 0 ? w.slice(eq + 1) : words[++i];
    if (v !== undefined) g[keys[f.name]] = v;
  }
  return g as GlobalOptions;
}

/** The candidates and directive for `words` (the last one being completed). */
export async function complete(root: CommandDef, words: string[], objects: (g: GlobalOptions) => ObjectSource = () => { throw new Error('no store'); }, globals: GlobalOptions = {}): Promise<Result> {
  const toCompleteIn = words.length ? words[words.length - 1] : '';
  const trimmed = words.slice(0, -1);
  // cobra's Traverse: flags before a subcommand belong to the command before it; a flag
  // taking a value (as far as that command knows) takes the next word.
  const path: CommandDef[] = [root];
  let cmd = root;
  let rest = trimmed;
  let inFlag = false;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i];
    const fs = flagSet(cmd, root);
    if (w.startsWith('--') && !w.includes('=')) { const f = fs.long(w.slice(2)); inFlag = !f || !noValueNeeded(f); continue; }
    if (w.startsWith('-') && !w.includes('=') && w.length === 2) { const f = fs.short(w[1]); inFlag = !f || !noValueNeeded(f); continue; }
    if (inFlag) { inFlag = false; continue; }
    if (isFlagArg(w)) continue;
    const sub = cmd.subcommands?.length ? findSub(cmd, w) : undefined;
    if (!sub) break;
    path.push(sub);
    cmd = sub;
    rest = rest.slice(i + 1);
    i = -1;
  }
  const fs = flagSet(cmd, root);
  // Which flag's value is being completed, if any (cobra's checkIfFlagCompletion).
  let flag: FlagDef | undefined;
  let flagName = '';
  let toComplete = toCompleteIn;
  let finalArgs = rest;
  let withEqual = false;
  if (toComplete.startsWith('-') && toComplete.includes('=')) {
    const eq = toComplete.indexOf('=');
    flagName = toComplete.startsWith('--') ? toComplete.slice(2, eq) : toComplete.slice(eq - 1, eq);
    toComplete = toComplete.slice(eq + 1);
    withEqual = true;
  } else if (!toComplete.startsWith('-') && rest.length) {
    const prev = rest[rest.length - 1];
    if (isFlagArg(prev) && !prev.includes('=')) {
      flagName = prev.startsWith('--') ? prev.slice(2) : prev.slice(-1);
      finalArgs = rest.slice(0, -1);
    }
  }
  let unknownFlag = false;
  if (flagName) {
    flag = flagName.length === 1 ? fs.short(flagName) ?? fs.long(flagName) : fs.long(flagName);
    if (!flag) { unknownFlag = true; finalArgs = rest; toComplete = toCompleteIn; } else if (!withEqual && noValueNeeded(flag)) { flag = undefined; finalArgs = rest; }
  }
  const parsed = parseWords(cmd, fs, finalArgs);
  // After `--`, or past the first argument of a command that stops parsing flags there, a word is an argument.
  const flagCompletion = !(parsed.ended || (cmd.interspersed === false && parsed.args.length > 0));
  if (unknownFlag && flagCompletion) return R([], DEFAULT);
  if (parsed.changed.has('help') || (cmd === root && parsed.changed.has('version'))) return R([], NOFILE);
  let memo: ObjectSource | undefined;
  const ctx: CompleteContext = {
    root, cmd, path, key: completionKey(path.slice(1).map((c) => c.name)), args: parsed.args, changed: parsed.changed,
    objects: () => (memo ??= objects(globalOptions(root, trimmed, globals))),
  };
  if (flag && flagCompletion) {
    const fn = flagCompleter(ctx, flag);
    return fn ? await fn(ctx, toComplete) : R([], DEFAULT);
  }
  if (toComplete.startsWith('-') && flagCompletion) {
    // The command's own flags (podman hides the global ones below the root); a flag given
    // already is not offered again unless it can be repeated.
    const flags = cmd === root ? [...(root.flags ?? []), HELP_FLAG] : cmd.flags ?? [];
    const items: string[] = [];
    for (const f of [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (f.hidden || (parsed.changed.has(f.name) && f.type !== 'stringArray')) continue;
      if (`--${f.name}`.startsWith(toComplete)) items.push(`--${f.name}\t${f.help}`);
      if (f.short && `-${f.short}`.startsWith(toComplete)) items.push(`-${f.short}\t${f.help}`);
    }
    return R(items, items.length === 1 && items[0].split('\t')[0].endsWith('=') ? NOSPACE : NOFILE);
  }
  const items: string[] = [];
  let directive: number = DEFAULT;
  if (parsed.args.length === 0 && cmd.subcommands?.length) {
    for (const s of cmd.subcommands) {
      if (s.hidden && !(cmd === root && s.name === 'help')) continue;
      if (s.name.startsWith(toComplete)) items.push(`${s.name}\t${s.summary}`);
      directive = NOFILE;
    }
  }
  const fn = cmd === root ? undefined : ARGS[ctx.key];
  if (!fn) return R(items, directive);
  const r = await fn(ctx, toComplete);
  return R([...items, ...r.items], r.directive);
}

/** The text `__complete` prints on stdout (and what goes to stderr). */
export async function completionOutput(root: CommandDef, words: string[], descriptions: boolean, objects?: (g: GlobalOptions) => ObjectSource, globals?: GlobalOptions): Promise<{ stdout: string; stderr: string }> {
  const { items, directive } = await complete(root, words, objects, globals);
  const lines = items.map((v) => (descriptions ? v : v.split('\t')[0]).split('\n')[0].trim());
  return {
    stdout: [...lines, `:${directive}`].join('\n') + '\n',
    stderr: `Completion ended with directive: ${directiveName(directive)}\n`,
  };
}
