// systemd unit files for containers and pods, in the layout podman 4.3.1's `generate systemd`
// writes (pier's name where podman names itself; docs/systemd.md). Pure text: the domain layer
// looks the container or pod up and hands over what the units need.
import { SYSTEMD_RESTART_POLICIES, type SystemdOptions } from '../domain/generate';
import { PierError } from '../util/errors';
import { goQuote } from '../util/goquote';
import { zoneAbbrev } from './events';
import { goStamp } from '../util/nanotime';

/** A container as its unit needs it. */
export interface UnitContainer {
  id: string;
  name: string;
  /** The command line it was created with (none through the API). */
  createCommand?: string[];
  conmonPidFile: string;
  stopTimeout: number;
  /** Its --restart policy's name ('' for none). */
  restartPolicy: string;
  /** The process's environment (for --new's `-e NAME` pass-through variables). */
  env: string[];
  /** The containers it depends on (its pod's infra container, --requires, namespace sources). */
  dependencies: { id: string; name: string }[];
}

export interface UnitPod {
  id: string;
  name: string;
  createCommand?: string[];
  infra?: UnitContainer;
  /** All its containers, the infra container included. */
  containers: UnitContainer[];
}

/** Where the units are made: the program to run, its version, the store's runroot, the clock. */
export interface UnitContext {
  executable: string;
  /** Documentation=: a URI of pier's docs/systemd.md (podman names its man page, which pier does not install). */
  documentation: string;
  version: string;
  runRoot: string;
  now: Date;
  warn(msg: string): void;
}

const DEFAULT_RESTART_POLICY = 'on-failure';
/** Added to the stop timeout for TimeoutStopSec=: then systemd kills what is left. */
const MIN_TIMEOUT_STOP_SEC = 60;
/** The variable every unit sets to its own name; podman's name, which its tools and pier's create read. */
export const SYSTEMD_UNIT_ENV = 'PODMAN_SYSTEMD_UNIT';

function checkRestartPolicy(p: string): void {
  if (!SYSTEMD_RESTART_POLICIES.includes(p)) throw new PierError(`${p} is not a valid restart policy`);
}

function serviceName(prefix: string | undefined, separator: string | undefined, name: string): string {
  return prefix ? `${prefix}${separator ?? '-'}${name}` : name;
}

function containerServiceName(c: { id: string; name: string }, o: SystemdOptions): { nameOrId: string; service: string } {
  const nameOrId = o.useName ? c.name : c.id;
  return { nameOrId, service: serviceName(o.containerPrefix ?? 'container', o.separator, nameOrId) };
}

/** One argument of a unit's command line: `$` and `%` doubled; quoted with a blank or `"`; else `\` doubled. */
export function escapeSystemdArg(arg: string): string {
  let a = arg.replaceAll('$', () => '$$').replaceAll('%', '%%');
  if (/[ \t"]/.test(a)) a = goQuote(a);
  else a = a.replaceAll('\\', '\\\\');
  return a;
}

/** A command line as podman lays it out: each word that starts with `-` on a continuation line. */
function formatCommand(words: string[]): string {
  let out = words[0] ?? '';
  for (const w of words.slice(1)) out += w.startsWith('-') ? ` \\\n\t${w}` : ` ${w}`;
  return out;
}

// ---------------------------------------------------------------------------------------
// The words of a create command, scanned as podman's --new does (pflag, unknown flags allowed,
// parsing ending at the first argument).

type ScanFlag = { name: string; short?: string; kind: 'bool' | 'string' | 'array' };

interface Scan {
  values: Map<string, string | boolean | string[]>;
  changed: Set<string>;
  /** How many words at the end are arguments (the image and its command). */
  nArg: number;
}

function parseBoolValue(flag: string, v: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new PierError(`parsing remaining command-line arguments: invalid argument "${v}" for "${flag}" flag: strconv.ParseBool: parsing "${JSON.stringify(v).slice(1, -1)}": invalid syntax`);
}

/**
 * pflag's reading of `words` with the flags `known`: an unknown flag takes the next word as its
 * value unless that word starts with `-` (as pflag's whitelisted unknown flags do); the first word
 * that is no flag (or `--`) ends the flags.
 */
function scanFlags(words: string[], known: ScanFlag[]): Scan {
  const values = new Map<string, string | boolean | string[]>();
  const changed = new Set<string>();
  const set = (f: ScanFlag, v: string | undefined, display: string) => {
    changed.add(f.name);
    if (f.kind === 'bool') values.set(f.name, v === undefined ? true : parseBoolValue(display, v));
    else if (f.kind === 'array') values.set(f.name, [...((values.get(f.name) as string[] | undefined) ?? []), v ?? '']);
    else values.set(f.name, v ?? '');
  };
  const stripUnknownValue = (rest: string[]) => (rest.length && !rest[0].startsWith('-') ? rest.slice(1) : rest);
  let rest = [...words];
  while (rest.length) {
    const s = rest[0];
    if (s.length < 2 || s[0] !== '-') return { values, changed, nArg: rest.length };
    rest = rest.slice(1);
    if (s[1] === '-') {
      if (s.length === 2) return { values, changed, nArg: rest.length };
      const body = s.slice(2);
      if (body.startsWith('-') || body.startsWith('=')) throw new PierError(`parsing remaining command-line arguments: bad flag syntax: ${s}`);
      const eq = body.indexOf('=');
      const name = eq < 0 ? body : body.slice(0, eq);
      const f = known.find((k) => k.name === name);
      if (!f) { rest = stripUnknownValue(rest); continue; }
      if (eq >= 0) set(f, body.slice(eq + 1), `--${name}`);
      else if (f.kind === 'bool') set(f, undefined, `--${name}`);
      else if (rest.length) { set(f, rest[0], `--${name}`); rest = rest.slice(1); } else throw new PierError(`parsing remaining command-line arguments: flag needs an argument: --${name}`);
      continue;
    }
    let shorts = s.slice(1);
    while (shorts.length) {
      const c = shorts[0];
      const f = known.find((k) => k.short === c);
      if (!f) {
        if (shorts.length > 2 && shorts[1] === '=') { shorts = ''; continue; }
        rest = stripUnknownValue(rest);
        shorts = shorts.slice(1);
        continue;
      }
      const display = `-${c}, --${f.name}`;
      if (shorts.length > 2 && shorts[1] === '=') { set(f, shorts.slice(2), display); shorts = ''; } else if (f.kind === 'bool') { set(f, undefined, display); shorts = shorts.slice(1); } else if (shorts.length > 1) { set(f, shorts.slice(1), display); shorts = ''; } else if (rest.length) { set(f, rest[0], display); rest = rest.slice(1); shorts = ''; } else {
        throw new PierError(`parsing remaining command-line arguments: flag needs an argument: '${c}' in -${c}`);
      }
    }
  }
  return { values, changed, nArg: 0 };
}

/** Drops, from the flags before the last `nArg` words, the flags `drop` names (with their values unless `=`-joined). */
function dropFlags(words: string[], nArg: number, withValue: string[], alone: string[] = []): string[] {
  const out: string[] = [];
  const flagsEnd = words.length - nArg;
  for (let i = 0; i < flagsEnd; i++) {
    const w = words[i];
    if (alone.includes(w)) continue;
    if (withValue.includes(w)) { i++; continue; }
    if ([...withValue, ...alone].some((f) => w.startsWith(f + '='))) continue;
    out.push(w);
  }
  return [...out, ...words.slice(flagsEnd)];
}

/** Drops exact words (`--detach=false`) from the flags only. */
function dropWords(words: string[], nArg: number, drop: string[]): string[] {
  const flagsEnd = words.length - nArg;
  return [...words.slice(0, flagsEnd).filter((w) => !drop.includes(w)), ...words.slice(flagsEnd)];
}

const POD_FLAGS = ['--pod', '--pod-id-file', '--infra-conmon-pidfile'];
/** Stand-ins for words with systemd specifiers, which the escaping must leave alone. */
const CIDFILE_WORD = '\0cidfile';
const PODIDFILE_WORD = '\0podidfile';
const PIDFILE_WORD = '\0pidfile';

// ---------------------------------------------------------------------------------------
// Units

interface Header {
  service: string;
  template?: boolean;
  runRoot: string;
}

function header(h: Header, o: SystemdOptions, ctx: UnitContext): string[] {
  const lines = [`# ${h.service}${h.template ? '@' : ''}.service`];
  if (!o.noHeader) lines.push(`# autogenerated by Pier ${ctx.version}`, `# ${unixDate(ctx.now)}`);
  lines.push(
    '',
    '[Unit]',
    `Description=Pier ${h.service}.service${h.template ? ' for %I' : ''}`,
    `Documentation=${ctx.documentation}`,
    'Wants=network-online.target',
    'After=network-online.target',
    `RequiresMountsFor=${h.runRoot}`,
  );
  return lines;
}

function userDependencies(o: SystemdOptions): string[] {
  const lines: string[] = [];
  if (o.wants?.length || o.after?.length || o.requires?.length) lines.push('', '# User-defined dependencies');
  if (o.wants?.length) lines.push(`Wants=${o.wants.join(' ')}`);
  if (o.after?.length) lines.push(`After=${o.after.join(' ')}`);
  if (o.requires?.length) lines.push(`Requires=${o.requires.join(' ')}`);
  return lines;
}

const stopWords = (exe: string, timeout: number, target: string) => formatCommand([exe, 'stop', '', '-t', String(timeout), target]);

interface PodLink {
  service: string;
  podIdFile: string;
}

/** A container's unit: [service name, text]. `pod`: the pod's unit it belongs to (generating a pod's units). */
function containerUnit(c: UnitContainer, o: SystemdOptions, ctx: UnitContext, bound: string[] = [], pod?: PodLink): [string, string] {
  const stopTimeout = o.stopTimeout ?? c.stopTimeout;
  if (!o.new && !['', 'no'].includes(c.restartPolicy)) {
    ctx.warn(`Container ${c.id} has restart policy "${c.restartPolicy}" which can lead to issues on shutdown: consider recreating the container without a restart policy and use systemd's restart mechanism instead`);
  }
  const createCommand = c.createCommand ?? [];
  if (o.new && !c.createCommand) {
    throw new PierError(`cannot use --new on container "${c.id}": no create command found: only works on containers created directly with pier but not via REST API`);
  }
  const { nameOrId, service } = containerServiceName(c, o);
  if (o.restartPolicy !== undefined) checkRestartPolicy(o.restartPolicy);
  let restart = o.restartPolicy ?? DEFAULT_RESTART_POLICY;
  const exe = ctx.executable;
  const additionalEnv = (o.env ?? []).map(escapeSystemdArg);
  let type = 'forking';
  let notifyAccess = '';
  let pidFile = c.conmonPidFile;
  let startLimitBurst = '';
  const extraEnvs: string[] = [];
  let execStartPre = '';
  let execStart = `${exe} start ${nameOrId}`;
  let execStop = stopWords(exe, stopTimeout, nameOrId);
  let execStopPost = execStop;
  if (o.new) {
    const cidFile = '%t/%n.ctr-id';
    type = 'notify';
    notifyAccess = 'all';
    pidFile = '';
    execStartPre = formatCommand(['/bin/rm', '-f', cidFile]);
    // podman's layout keeps `-t N` on the line of `--ignore`.
    execStop = formatCommand([exe, 'stop', `--ignore -t ${stopTimeout}`, `--cidfile=${cidFile}`]);
    execStopPost = formatCommand([exe, 'rm', '-f', `--ignore -t ${stopTimeout}`, `--cidfile=${cidFile}`]);
    const index = createCommand.findIndex((w) => w === 'run' || w === 'create') + 1;
    if (index === 0) throw new PierError(`container's create command is too short or invalid: [${createCommand.join(' ')}]`);
    // The program's own path, then the global options the container was created with.
    const start = [exe, ...(index > 2 ? createCommand.slice(1, index - 1) : []), 'run', CIDFILE_WORD, '--cgroups=no-conmon', '--rm'];
    let remaining = createCommand.slice(index);
    const scan = scanFlags(remaining, [
      { name: 'detach', short: 'd', kind: 'bool' }, { name: 'name', kind: 'string' }, { name: 'replace', kind: 'bool' },
      { name: 'env', short: 'e', kind: 'array' }, { name: 'sdnotify', kind: 'string' }, { name: 'restart', kind: 'string' },
      { name: 'help', short: 'h', kind: 'string' },
    ]);
    remaining = dropFlags(remaining, scan.nArg, ['--cgroups', '--cidfile', '--restart'], ['--rm']);
    if (pod) {
      start.push('--pod-id-file', PODIDFILE_WORD);
      remaining = dropFlags(remaining, scan.nArg, POD_FLAGS);
    }
    if (!scan.changed.has('sdnotify')) start.push('--sdnotify=conmon');
    else if (scan.values.get('sdnotify') === 'ignore') {
      // A Type=notify unit needs the notification: conmon's, not none.
      remaining = dropFlags(remaining, scan.nArg, ['--sdnotify']);
      start.push('--sdnotify=conmon');
    }
    if (scan.values.get('detach') !== true) {
      start.push('-d');
      if (scan.changed.has('detach')) remaining = dropWords(remaining, scan.nArg, ['-d=false', '--detach=false']);
    }
    if (scan.changed.has('name') && scan.values.get('replace') !== true) {
      // A named container replaces the one a crash left behind.
      start.push('--replace');
      if (scan.changed.has('replace')) remaining = dropWords(remaining, scan.nArg, ['--replace=false']);
    }
    if (o.restartPolicy === undefined) {
      const r = String(scan.values.get('restart') ?? '');
      if (r.startsWith('on-failure:')) {
        restart = 'on-failure';
        startLimitBurst = r.split(':')[1];
      } else if (r) restart = r === 'unless-stopped' ? 'always' : r;
    }
    for (const e of (scan.values.get('env') as string[] | undefined) ?? []) {
      if (e.includes('=')) continue;
      for (const ce of c.env) if (ce.split('=')[0] === e) extraEnvs.push(escapeSystemdArg(ce));
    }
    // The ID files are systemd's specifiers: put in after the escaping.
    let words = [...start, ...remaining].map(escapeSystemdArg).map((w) => (w === CIDFILE_WORD ? `--cidfile=${cidFile}` : w === PODIDFILE_WORD ? pod!.podIdFile : w));
    if (o.template) words = nameForTemplate(words, service);
    execStart = formatCommand(words);
  }
  const lines = header({ service, template: o.template, runRoot: o.new ? '%t/containers' : ctx.runRoot }, o, ctx);
  const boundTo = [...bound].sort();
  if (boundTo.length) lines.push(`BindsTo=${boundTo.map((s) => `${s}.service`).join(' ')}`, `After=${boundTo.map((s) => `${s}.service`).join(' ')}`);
  lines.push(...userDependencies(o), '', '[Service]', `Environment=${SYSTEMD_UNIT_ENV}=%n${o.template ? '-%i' : ''}`);
  if (extraEnvs.length) lines.push(`Environment=${extraEnvs.join(' ')}`);
  for (const e of additionalEnv) lines.push(`Environment=${e}`);
  lines.push(`Restart=${restart}`);
  if (startLimitBurst) lines.push(`StartLimitBurst=${startLimitBurst}`);
  if (o.startTimeout) lines.push(`TimeoutStartSec=${o.startTimeout}`);
  lines.push(`TimeoutStopSec=${MIN_TIMEOUT_STOP_SEC + stopTimeout}`);
  if (execStartPre) lines.push(`ExecStartPre=${execStartPre}`);
  lines.push(`ExecStart=${execStart}`, `ExecStop=${execStop}`, `ExecStopPost=${execStopPost}`);
  if (pidFile) lines.push(`PIDFile=${pidFile}`);
  lines.push(`Type=${type}`);
  if (notifyAccess) lines.push(`NotifyAccess=${notifyAccess}`);
  lines.push('', '[Install]', 'WantedBy=default.target', '');
  return [service, lines.join('\n')];
}

/** --template: the container's --name gets `-%i` (a `--name=<service>-%i` after `run` when it had none). */
function nameForTemplate(words: string[], service: string): string[] {
  const out = [...words];
  const i = out.findIndex((w) => w === '--name' || w.startsWith('--name='));
  if (i >= 0) {
    const at = out[i] === '--name' ? i + 1 : i;
    out[at] = `${out[at]}-%i`;
    return out;
  }
  const run = out.indexOf('run');
  if (run < 0) throw new PierError('"run" is missing in the command arguments');
  out.splice(run + 1, 0, `--name=${service}-%i`);
  return out;
}

/** The unit of one container: { service name: text }. */
export function containerUnits(c: UnitContainer, o: SystemdOptions, ctx: UnitContext): Record<string, string> {
  const [name, text] = containerUnit(c, o, ctx);
  return { [name]: text };
}

/** A pod's units: the pod's (its infra container's) and one per other container, by service name. */
export function podUnits(p: UnitPod, o: SystemdOptions, ctx: UnitContext): Record<string, string> {
  if (o.template) throw new PierError('--template is not supported for pods');
  const infra = p.infra;
  if (!infra) throw new PierError(`generating systemd unit files: Pod "${p.name}" has no infra container`);
  if (!p.createCommand?.length && o.new) throw new PierError(`cannot use --new on pod "${p.id}": no create command found`);
  if (!p.containers.length) throw new PierError(`generating systemd unit files: Pod "${p.name}" has no containers`);
  const podService = serviceName(o.podPrefix ?? 'pod', o.separator, o.useName ? p.name : p.id);
  const link: PodLink = { service: podService, podIdFile: `%t/${podService}.pod-id` };
  const members = p.containers.filter((c) => c.id !== infra.id).map((c) => ({
    c, bound: c.dependencies.map((d) => (d.id === infra.id ? podService : containerServiceName(d, o).service)),
  }));
  // The members' units first: their errors (a --new without a create command) come first, as podman's.
  const memberUnits = members.map((m) => containerUnit(m.c, o, ctx, m.bound, link));
  return Object.fromEntries([[podService, podUnit(p, infra, o, ctx, podService, memberUnits.map(([name]) => name))], ...memberUnits]);
}

function podUnit(p: UnitPod, infra: UnitContainer, o: SystemdOptions, ctx: UnitContext, service: string, required: string[]): string {
  const stopTimeout = o.stopTimeout ?? infra.stopTimeout;
  const infraName = o.useName ? infra.name : infra.id;
  if (o.restartPolicy !== undefined) checkRestartPolicy(o.restartPolicy);
  const exe = ctx.executable;
  let pidFile = infra.conmonPidFile;
  const execStartPre: string[] = [];
  let execStart = formatCommand([exe, 'start', infraName]);
  let execStop = stopWords(exe, stopTimeout, infraName);
  let execStopPost = execStop;
  if (o.new) {
    pidFile = `%t/${service}.pid`;
    const podIdFile = `%t/${service}.pod-id`;
    const cmd = p.createCommand ?? [];
    let at = 0;
    for (let i = 1; i < cmd.length && cmd.length > 2; i++) if (cmd[i - 1] === 'pod' && cmd[i] === 'create') { at = i; break; }
    if (!at) throw new PierError(`pod does not appear to be created via \`pier pod create\`: [${cmd.join(' ')}]`);
    const rootArgs = cmd.slice(1, at - 1);
    const rootFlags = rootArgs.map(escapeSystemdArg).join(' ');
    let createArgs = dropFlags(cmd.slice(at + 1), 0, POD_FLAGS);
    const start = [exe, ...rootArgs, 'pod', 'create', '--infra-conmon-pidfile', PIDFILE_WORD, '--pod-id-file', PODIDFILE_WORD];
    const scan = scanFlags(createArgs, [{ name: 'name', kind: 'string' }, { name: 'replace', kind: 'bool' }]);
    if (scan.changed.has('name') && scan.values.get('replace') !== true) {
      if (scan.changed.has('replace')) createArgs = dropWords(createArgs, scan.nArg, ['--replace=false']);
      createArgs.push('--replace');
    }
    if (![...start, ...createArgs].some((w) => w === '--exit-policy' || w.startsWith('--exit-policy='))) start.push('--exit-policy=stop');
    const words = [...start, ...createArgs].map(escapeSystemdArg).map((w) => (w === PIDFILE_WORD ? pidFile : w === PODIDFILE_WORD ? podIdFile : w));
    // The global options stay on the program's line.
    const pier = rootFlags ? `${exe} ${rootFlags} pod` : `${exe} pod`;
    execStartPre.push(formatCommand(['/bin/rm', '-f', pidFile, podIdFile]), formatCommand(words));
    execStart = formatCommand([pier, 'start', '--pod-id-file', podIdFile]);
    execStop = formatCommand([pier, 'stop', '--ignore', '--pod-id-file', podIdFile, '', '-t', String(stopTimeout)]);
    execStopPost = formatCommand([pier, 'rm', '--ignore', '-f', '--pod-id-file', podIdFile]);
  }
  const services = [...required].sort().map((s) => `${s}.service`).join(' ');
  const lines = header({ service, runRoot: ctx.runRoot }, o, ctx);
  lines.push(`Wants=${services}`, `Before=${services}`, ...userDependencies(o), '', '[Service]', `Environment=${SYSTEMD_UNIT_ENV}=%n`);
  if (o.restartPolicy !== undefined) lines.push(`Restart=${o.restartPolicy}`);
  else lines.push(`Restart=${DEFAULT_RESTART_POLICY}`);
  if (o.restartSec) lines.push(`RestartSec=${o.restartSec}`);
  lines.push(`TimeoutStopSec=${MIN_TIMEOUT_STOP_SEC + stopTimeout}`);
  for (const pre of execStartPre) lines.push(`ExecStartPre=${pre}`);
  lines.push(`ExecStart=${execStart}`, `ExecStop=${execStop}`, `ExecStopPost=${execStopPost}`, `PIDFile=${pidFile}`, 'Type=forking', '', '[Install]', 'WantedBy=default.target', '');
  return lines.join('\n');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Go's time.UnixDate layout in the local zone: `Mon Jan _2 15:04:05 MST 2006`. */
export function unixDate(d: Date): string {
  return `${DAYS[d.getDay()]} ${goStamp(d)} ${zoneAbbrev(d, -d.getTimezoneOffset())} ${d.getFullYear()}`;
}
