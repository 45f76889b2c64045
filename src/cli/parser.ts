// A small cobra/pflag-like command line parser: commands with subcommands, long and short
// flags (`--name=v`, `--name v`, `-abc`, `-nvalue`), typed values, persistent (global) flags,
// help text in podman's layout, and `--` to end flag parsing.
import { byName } from '../util/compare';
import { UsageError } from '../util/errors';

export type FlagType = 'bool' | 'string' | 'int' | 'stringArray' | 'count';

export interface FlagDef {
  name: string;
  short?: string;
  type: FlagType;
  help: string;
  /** Default value; shown in help as `(default X)` unless `hideDefault`. */
  default?: unknown;
  hideDefault?: boolean;
  /** Name of the value in help (`--format string`); defaults to the type name. */
  valueName?: string;
  hidden?: boolean;
  /** For string flags: the value used when the flag is given without `=value`. */
  noOptDefault?: string;
}

export type Opts = Record<string, any>;

export interface CommandDef {
  name: string;
  aliases?: string[];
  summary: string;
  description?: string;
  usage?: string;
  example?: string;
  flags?: FlagDef[];
  /** Allowed number of positional arguments. */
  minArgs?: number;
  maxArgs?: number;
  /** When false, the first positional argument ends flag parsing (run, exec). */
  interspersed?: boolean;
  /** Every word after the command is an argument, flags included (cobra's DisableFlagParsing). */
  disableFlagParsing?: boolean;
  subcommands?: CommandDef[];
  /** Old long flag names accepted for current ones (podman's pflag normalizers): old → new. */
  flagAliases?: Readonly<Record<string, string>>;
  hidden?: boolean;
  /**
   * A stub: name, aliases and summary only (enough for its parent's help); the full definition
   * comes from load() when the command is used (see findSub).
   */
  load?: () => CommandDef;
  run?: (ctx: any, args: string[], opts: Opts) => Promise<number | void> | number | void;
}

export interface ParseResult {
  /** The chain of commands from the root to the one selected. */
  path: CommandDef[];
  args: string[];
  opts: Opts;
  /** Flags the user set explicitly (names). */
  changed: Set<string>;
  help: boolean;
  /**
   * The root's (global) flags that the selected command has a flag of its own for (build's
   * --hooks-dir, info's --debug): their values and whether set. As cobra's, the command's flag
   * is the one in `opts` and `changed`; the global one is set only before the command's name.
   */
  shadowed: { opts: Opts; changed: Set<string> };
}

/** podman's AliasFlags: flag names older podmans used, for run, create, ps, pod create... */
export const OLD_FLAG_NAMES: Readonly<Record<string, string>> = {
  'dns-opt': 'dns-option', 'healthcheck-command': 'health-cmd', 'healthcheck-interval': 'health-interval',
  'healthcheck-retries': 'health-retries', 'healthcheck-start-period': 'health-start-period',
  'healthcheck-timeout': 'health-timeout', net: 'network', namespace: 'ns', storage: 'external',
  purge: 'rm', notruncate: 'no-trunc', 'override-arch': 'arch', 'override-os': 'os', 'override-variant': 'variant',
};
/** podman's TimeoutAliasFlags (stop): --timeout for --time. */
export const TIMEOUT_FLAG_NAME: Readonly<Record<string, string>> = { timeout: 'time' };

export const HELP_FLAG: FlagDef = { name: 'help', short: 'h', type: 'bool', help: 'Help for this command' };

function defaultFor(f: FlagDef): unknown {
  if (f.default !== undefined) return Array.isArray(f.default) ? [...f.default] : f.default;
  switch (f.type) {
    case 'bool': return false;
    case 'count': return 0;
    case 'int': return undefined;
    case 'stringArray': return [];
    default: return undefined;
  }
}

/** The camel-cased option key of a flag name: `all-tags` → `allTags`. */
export function optKey(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function commandPath(path: CommandDef[]): string {
  return path.map((c) => c.name).join(' ');
}

/** `cmd`'s subcommand at index i, loaded in place if it is a stub. */
function loadedSub(cmd: CommandDef, i: number): CommandDef {
  const c = cmd.subcommands![i];
  if (!c.load) return c;
  const full = c.load();
  cmd.subcommands![i] = full;
  return full;
}

/** The subcommand called `name` (or one of its aliases), loaded if it was a stub. */
export function findSub(cmd: CommandDef, name: string): CommandDef | undefined {
  const i = cmd.subcommands?.findIndex((c) => c.name === name || c.aliases?.includes(name)) ?? -1;
  return i < 0 ? undefined : loadedSub(cmd, i);
}

/** Loads every stub in the tree (completion scripts need all flags). */
export function loadAll(cmd: CommandDef): CommandDef {
  cmd.subcommands?.forEach((_, i) => loadAll(loadedSub(cmd, i)));
  return cmd;
}

function parseBool(name: string, v: string): boolean {
  if (/^(true|1|t|yes)$/i.test(v)) return true;
  if (/^(false|0|f|no)$/i.test(v)) return false;
  throw new UsageError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

/**
 * Parse argv against the command tree. Persistent flags are those of the root command;
 * they are accepted at any position before the end of flag parsing.
 */
export function parse(root: CommandDef, argv: string[]): ParseResult {
  const path: CommandDef[] = [root];
  const opts: Opts = {};
  const changed = new Set<string>();
  const args: string[] = [];
  let help = false;
  const active = (): FlagDef[] => {
    const cur = path[path.length - 1];
    return [...(cur.flags ?? []), ...(cur === root ? [] : root.flags ?? []), HELP_FLAG];
  };
  const initFlags = (flags: FlagDef[] | undefined) => {
    for (const f of flags ?? []) if (!(optKey(f.name) in opts)) opts[optKey(f.name)] = defaultFor(f);
  };
  initFlags(root.flags);
  const rootNames = new Set((root.flags ?? []).map((f) => f.name));
  // The values of a command's flags named as a global one, kept apart until the end.
  const own = { opts: {} as Opts, changed: new Set<string>() };

  const set = (f: FlagDef, value: string | undefined, display: string) => {
    if (f.name === 'help') { help = true; return; }
    const shadowing = rootNames.has(f.name) && !root.flags!.includes(f);
    const [o, ch] = shadowing ? [own.opts, own.changed] : [opts, changed];
    const key = optKey(f.name);
    ch.add(f.name);
    switch (f.type) {
      case 'bool': o[key] = value === undefined ? true : parseBool(f.name, value); break;
      case 'count': o[key] = (o[key] ?? 0) + 1; break;
      case 'int': {
        const v = value ?? '';
        if (!/^-?\d+$/.test(v)) {
          throw new UsageError(`invalid argument "${v}" for "${display}" flag: strconv.${f.valueName === 'uint' ? 'ParseUint' : 'ParseInt'}: parsing "${v}": invalid syntax`);
        }
        o[key] = parseInt(v, 10);
        break;
      }
      case 'stringArray':
        if (!ch.has(f.name + '\0')) { o[key] = []; ch.add(f.name + '\0'); }
        o[key].push(value ?? '');
        break;
      default: o[key] = value ?? '';
    }
  };

  let flagsDone = false;
  let sawPositional = false;
  let unknown: UnknownCommandError | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const cur = path[path.length - 1];
    if (flagsDone) { args.push(a); continue; }
    if (a === '--') { flagsDone = true; continue; }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const given = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const name = cur.flagAliases?.[given] ?? given;
      const f = active().find((x) => x.name === name);
      if (!f) throw new UsageError(`unknown flag: --${name}`);
      let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (value === undefined && f.type !== 'bool' && f.type !== 'count') {
        if (f.noOptDefault !== undefined) value = f.noOptDefault;
        else {
          if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: --${name}`);
          value = argv[++i];
        }
      }
      // pflag names a flag with a shorthand by both in its errors, whichever form was used.
      set(f, value, f.short ? `-${f.short}, --${f.name}` : `--${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // A group of short flags: -abc, -n5, -n 5
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const f = active().find((x) => x.short === c);
        if (!f) throw new UsageError(`unknown shorthand flag: '${c}' in ${a}`);
        if (f.type === 'bool' || f.type === 'count') {
          if (a[j + 1] === '=') { set(f, a.slice(j + 2), `-${c}, --${f.name}`); break; }
          set(f, undefined, `-${c}, --${f.name}`);
          continue;
        }
        let value = a.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        if (value === '') {
          if (f.noOptDefault !== undefined) value = f.noOptDefault;
          else {
            if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: '${c}' in ${a}`);
            value = argv[++i];
          }
        }
        set(f, value, `-${c}, --${f.name}`);
        break;
      }
      continue;
    }
    // A positional: either a subcommand name or an argument.
    if (!sawPositional && cur.subcommands?.length) {
      const sub = findSub(cur, a);
      if (sub) {
        path.push(sub);
        initFlags(sub.flags);
        if (sub.disableFlagParsing) flagsDone = true;
        continue;
      }
      if (!cur.run) {
        // As cobra: the flags are parsed first (an unknown flag is the error), then the word.
        unknown ??= new UnknownCommandError(commandPath(path), a, suggestionsFor(cur, a, cur === root ? 2 : 0));
        sawPositional = true;
        args.push(a);
        continue;
      }
    }
    sawPositional = true;
    args.push(a);
    if (cur.interspersed === false) flagsDone = true;
  }
  // With --help the group's help is shown (podman's, for `podman bad --help`: the root's).
  if (unknown && !help) throw unknown;
  const shadowed = { opts: {} as Opts, changed: new Set<string>() };
  const cmd = path[path.length - 1];
  for (const f of cmd === root ? [] : cmd.flags ?? []) {
    if (!rootNames.has(f.name)) continue;
    const key = optKey(f.name);
    shadowed.opts[key] = opts[key];
    if (changed.has(f.name)) shadowed.changed.add(f.name);
    opts[key] = key in own.opts ? own.opts[key] : defaultFor(f);
    changed.delete(f.name);
    changed.delete(f.name + '\0');
    if (own.changed.has(f.name)) changed.add(f.name);
  }
  return { path, args, opts, changed, help, shadowed };
}

/** A word that names no subcommand of a group: podman's message, with cobra's suggestions. */
export class UnknownCommandError extends UsageError {
  constructor(readonly groupPath: string, word: string, suggestions: string[]) {
    super(`unrecognized command \`${groupPath} ${word}\`${suggestions.length ? `\n\nDid you mean this?\n\t${suggestions.join('\n\t')}\n` : ''}`);
  }
}

/** Case-insensitive Levenshtein distance (cobra's ld). */
function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length];
}

/**
 * The order podman 4.3.1 registers its top-level commands in (its packages' init order: the
 * containers package's files, then generate, healthcheck, images, kube, machine, manifest,
 * networks, pods, secrets, system, volumes, then main's own), which is the order cobra offers
 * suggestions at the root in. Commands podman lacks come after, by name.
 */
const ROOT_ORDER = [
  'attach', 'commit', 'container', 'cp', 'create', 'exec', 'export', 'init', 'kill', 'logs', 'mount', 'pause', 'port', 'ps',
  'rename', 'restart', 'rm', 'run', 'start', 'stats', 'stop', 'top', 'unmount', 'unpause', 'update', 'wait', 'generate',
  'healthcheck', 'build', 'buildx', 'history', 'image', 'import', 'images', 'load', 'pull', 'push', 'rmi', 'save', 'search',
  'tag', 'untag', 'kube', 'machine', 'manifest', 'network', 'pod', 'secret', 'events', 'info', 'system', 'unshare', 'version',
  'volume', 'auto-update', 'diff', 'inspect', 'login', 'logout', 'help',
];

/**
 * cobra's SuggestionsFor: the visible subcommands within `distance` edits of the word or starting
 * with it (podman's root allows 2 edits, its groups none: only prefixes), in the order they were
 * registered (podman's, at the root; by name in groups, as pier's groups list them).
 */
export function suggestionsFor(cmd: CommandDef, word: string, distance: number): string[] {
  const names = (cmd.subcommands ?? [])
    .filter((c) => !c.hidden && (editDistance(word, c.name) <= distance || c.name.toLowerCase().startsWith(word.toLowerCase())))
    .map((c) => c.name);
  if (distance === 0) return names;
  const rank = (n: string) => (ROOT_ORDER.includes(n) ? ROOT_ORDER.indexOf(n) : ROOT_ORDER.length);
  return names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Validate the number of positional arguments of the selected command. */
export function checkArgs(cmd: CommandDef, _path: CommandDef[], args: string[]): void {
  const min = cmd.minArgs;
  const max = cmd.maxArgs;
  const n = args.length;
  if (min !== undefined && max !== undefined && min === max && n !== min) throw new ArgCountError(`accepts ${min} arg(s), received ${n}`);
  if (min !== undefined && max !== undefined && (n < min || n > max)) throw new ArgCountError(`accepts between ${min} and ${max} arg(s), received ${n}`);
  if (min !== undefined && n < min) throw new ArgCountError(`requires at least ${min} arg(s), only received ${n}`);
  if (max !== undefined && n > max) throw new ArgCountError(max === 0 ? `\`${commandPath(_path)}\` takes no arguments` : `accepts at most ${max} arg(s), received ${n}`);
}

/** A wrong number or combination of arguments: podman prints no usage hint after these. */
export class ArgCountError extends UsageError {}

function flagLine(f: FlagDef): [string, string] {
  const short = f.short ? `-${f.short}, ` : '    ';
  let left = `${short}--${f.name}`;
  if (f.type !== 'bool' && f.type !== 'count') left += ` ${f.valueName ?? (f.type === 'stringArray' ? 'stringArray' : f.type)}`;
  let help = f.help;
  const d = f.default;
  if (!f.hideDefault && d !== undefined && d !== '' && d !== false && !(Array.isArray(d) && d.length === 0)) {
    const shown = Array.isArray(d) ? `[${d.join(',')}]` : typeof d === 'string' && f.type === 'string' ? `"${d}"` : String(d);
    help += ` (default ${shown})`;
  }
  return [left, help];
}

function flagTable(flags: FlagDef[]): string {
  const rows = flags.filter((f) => !f.hidden).sort(byName).map(flagLine);
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  // pflag indents a multi-line usage's further lines to the column of its first.
  return rows.map(([l, h]) => `  ${l.padEnd(w)}   ${h.replace(/\n/g, '\n' + ' '.repeat(w + 5))}`).join('\n');
}

/** Help text in podman's layout. */
export function helpText(root: CommandDef, path: CommandDef[]): string {
  const cmd = path[path.length - 1];
  const name = commandPath(path);
  const out: string[] = [];
  out.push(cmd.summary, '');
  if (cmd.description) out.push('Description:', ...cmd.description.split('\n').map((l) => (l ? '  ' + l : '')), '');
  out.push('Usage:');
  const own = cmd === root ? [...(root.flags ?? []), { ...HELP_FLAG, short: undefined, help: `Help for ${root.name}` }] : [...(cmd.flags ?? [])];
  // "[options]" only where an Options section follows.
  const hasOptions = own.some((f) => !f.hidden);
  const usage = cmd.usage !== undefined ? cmd.usage : cmd.subcommands?.length ? '[command]' : '[options]';
  out.push(`  ${name} ${hasOptions ? usage : usage.replace(/^\[options\] ?/, '')}`.trimEnd());
  out.push('');
  if (cmd.aliases?.length) out.push('Aliases:', `  ${[cmd.name, ...cmd.aliases].join(', ')}`, '');
  if (cmd.example) out.push('Examples:', ...cmd.example.split('\n').map((l) => '  ' + l), '');
  // cobra lists commands sorted by name.
  const subs = (cmd.subcommands ?? []).filter((s) => !s.hidden).sort(byName);
  if (subs.length) {
    // cobra pads names to the longest of the group's commands (hidden ones too, not its
    // completion requests), at least 11, then one space.
    const w = Math.max(11, ...(cmd.subcommands ?? []).filter((s) => !s.name.startsWith('__')).map((s) => s.name.length));
    out.push('Available Commands:', ...subs.map((s) => `  ${s.name.padEnd(w)} ${s.summary}`), '');
  }
  if (hasOptions) out.push('Options:', flagTable(own), '');
  if (cmd !== root && root.flags?.length && !cmd.subcommands?.length) {
    // podman shows global flags only in the root help; keep leaf help concise.
  }
  return out.join('\n');
}
