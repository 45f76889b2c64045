// System-level commands: version, info, completion.
import { byName } from '../../util/compare';
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import { completionScript, SHELLS, type Shell } from '../completion';
import { PierError, UsageError, errnoText } from '../../util/errors';
import { writeStdout } from '../../util/stdio';
import { systemOpsCommands } from './system-ops';
import { eventsCommand } from './events';
import { serviceCommand } from './service';
import { connectionGroup } from './connection';

export function versionInfo() {
  const { clientVersion } = require('../../domain/local/system-info') as typeof import('../../domain/local/system-info');
  return { Client: clientVersion() };
}

/**
 * podman's report.Parse with OriginUnknown (info, version): the format normalized (\\t, \\n,
 * a final newline; `table` ranges over it); if that does not parse (`{{"\\n"}}`: a newline in
 * a quoted string), the format as written. `name` is the template's, in error messages.
 */
function compileReport(format: string, name: string): import('../format/gotemplate').Template {
  const { compileTemplate, TemplateError } = require('../format/gotemplate') as typeof import('../format/gotemplate');
  const { normalizeFormat } = require('../format/output') as typeof import('../format/output');
  const table = format.startsWith('table ');
  try {
    return compileTemplate(table ? `{{range .}}${normalizeFormat(format)}{{end -}}` : normalizeFormat(format), { name });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return compileTemplate(table ? `{{range .}}${format}{{end -}}` : format, { name });
  }
}

function formatWith(format: string, data: unknown, name: string): string {
  return compileReport(format, name).execute(data);
}

/**
 * `version --format TEMPLATE` as podman 4.3: run on the report; when that fails (locally there is
 * no Server: `{{.Server.Version}}`), what it printed stays and the template runs again on the
 * client's version with `.Server.` read as `.` (podman's fallback for old templates).
 */
function formatVersion(format: string, v: ReturnType<typeof versionInfo>): string {
  const { TemplateError } = require('../format/gotemplate') as typeof import('../format/gotemplate');
  const { asStruct } = require('../format/govalue') as typeof import('../format/govalue');
  const client = asStruct({ ...v.Client }, '*define.Version');
  const report = asStruct({ Client: client, ...('Server' in v ? { Server: asStruct({ ...(v as any).Server }, '*define.Version') } : {}) }, '*entities.SystemVersionReport');
  try {
    return formatWith(format, report, 'version');
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    const printed = e.partialOutput ?? '';
    try {
      return printed + formatWith(format.split('.Server.').join('.'), client, 'version');
    } catch (e2) {
      if (e2 instanceof TemplateError) e2.partialOutput = printed + (e2.partialOutput ?? '');
      throw e2;
    }
  }
}

const versionCmd: CommandDef = {
  name: 'version',
  summary: 'Display the Pier version information',
  description: 'Display the Pier version information',
  usage: '[options]',
  maxArgs: 0,
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Change the output format to JSON or a Go template' }],
  async run(ctx: Ctx, _args, opts) {
    const v = versionInfo();
    const { isJSONFormat } = require('../format/output') as typeof import('../format/output');
    // podman marshals the report on one line.
    if (isJSONFormat(opts.format)) { ctx.out(JSON.stringify(v)); return; }
    if (opts.changed?.has('format')) { writeStdout(formatVersion(String(opts.format ?? ''), v)); return; }
    const c = v.Client;
    // podman's lines, Node's version where podman's has Go's.
    ctx.out([
      'Client:       Pier Engine',
      `Version:      ${c.Version}`,
      `API Version:  ${c.APIVersion}`,
      `Node Version: ${c.NodeVersion}`,
      `Built:        ${c.BuiltTime}`,
      `OS/Arch:      ${c.OsArch}`,
    ].join('\n'));
  },
};

const infoCmd: CommandDef = {
  name: 'info',
  summary: 'Display pier system information',
  description: "Display information pertaining to the host, current storage stats, and build of pier.\n\nUseful for the user and when reporting issues.",
  usage: '[options]',
  maxArgs: 0,
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Change the output format to JSON or a Go template' },
    { name: 'debug', short: 'D', type: 'bool', help: 'Display additional debug information', hidden: true },
  ],
  async run(ctx: Ctx, _args, opts) {
    // Remote: the service's GET /libpod/info; local: built here from the local engines.
    const remote = (ctx.engines as { info?: () => Promise<Record<string, unknown>> }).info;
    let info: Record<string, unknown>;
    if (remote) {
      info = await remote.call(ctx.engines);
    } else {
      const { systemInfo } = require('../../domain/local/system-info') as typeof import('../../domain/local/system-info');
      info = await systemInfo(ctx.cfg, ctx.images() as any, ctx.containers() as any);
    }
    const { isJSONFormat } = require('../format/output') as typeof import('../format/output');
    if (isJSONFormat(opts.format)) {
      // podman: json.MarshalIndent with two spaces (HTML characters escaped).
      const { goJSON } = require('../format/gojson') as typeof import('../format/gojson');
      ctx.out(goJSON(info, { indent: '  ', escapeHTML: true }));
      return;
    }
    if (opts.changed?.has('format')) { writeStdout(formatWith(String(opts.format ?? ''), info, 'info')); return; }
    // podman prints go-yaml's text (ending in a newline) with Println: a blank line last.
    ctx.out(toYaml(info) + '\n\n');
  },
};

/**
 * YAML as podman prints `info` (go-yaml): sequences at their key's indent, `{}` for empty maps,
 * strings that would read as another type in double quotes, other unsafe plain strings in single
 * quotes, multi-line strings as `|-` blocks.
 */
export function toYaml(v: unknown, indent = ''): string {
  const lines: string[] = [];
  const entry = (prefix: string, x: unknown, inner: string) => {
    if (x !== null && typeof x === 'object') {
      const empty = Array.isArray(x) ? x.length === 0 : Object.keys(x).length === 0;
      if (empty) lines.push(`${prefix} ${Array.isArray(x) ? '[]' : '{}'}`);
      else lines.push(prefix, toYaml(x, Array.isArray(x) ? inner.slice(2) : inner));
    } else if (typeof x === 'string' && x.includes('\n')) {
      lines.push(`${prefix} |-`, ...x.replace(/\n$/, '').split('\n').map((l) => (l ? inner + l : '')));
    } else {
      lines.push(`${prefix} ${yamlScalar(x)}`);
    }
  };
  if (Array.isArray(v)) {
    for (const x of v) {
      if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length) {
        const sub = toYaml(x, indent + '  ').split('\n');
        lines.push(`${indent}- ${sub[0].slice(indent.length + 2)}`, ...sub.slice(1));
      } else entry(`${indent}-`, x, indent + '  ');
    }
  } else {
    // podman's YAML comes through JSON and a map: keys sorted (its JSON keeps the structs' order).
    const { compareGoStrings } = require('../../util/gomap') as typeof import('../../util/gomap');
    for (const [k, x] of Object.entries(v as object).sort(([a], [b]) => compareGoStrings(a, b))) entry(`${indent}${k}:`, x, indent + '  ');
  }
  return lines.join('\n');
}

function yamlScalar(x: unknown): string {
  if (x === null || x === undefined) return 'null';
  if (typeof x !== 'string') return String(x);
  if (x === '') return '""';
  // Would read back as a number, bool or null: double-quoted.
  if (/^(true|false|yes|no|on|off|y|n|null|~)$/i.test(x) || /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/.test(x) || /^0x[0-9a-f]+$/i.test(x) || /^[-+]?\.(inf|nan)$/i.test(x)) return JSON.stringify(x);
  // Not safe as a plain scalar: single-quoted.
  if (/^[-?:,[\]{}#&*!|>'"%@`\s]/.test(x) || /\s$/.test(x) || x.includes(': ') || x.includes(' #') || x.endsWith(':')) return `'${x.replace(/'/g, "''")}'`;
  return x;
}

const completionCmd: CommandDef = {
  name: 'completion',
  summary: 'Generate shell autocompletions',
  hidden: true,
  description: 'Generate shell autocompletions.\nValid arguments are bash, zsh, fish and powershell.\n'
    + 'The scripts ask pier for the candidates on every TAB (the hidden __complete command);\n'
    + 'each script says how to load it, and docs/completion.md has the details.',
  usage: '[options] {bash|zsh|fish|powershell}',
  minArgs: 1,
  maxArgs: 1,
  example: 'pier completion bash\npier completion zsh -f _pier\npier completion fish --no-desc',
  flags: [
    { name: 'file', short: 'f', type: 'string', help: 'Output the completion to file rather than stdout.' },
    { name: 'no-desc', type: 'bool', help: "Don't include descriptions in the completion output." },
  ],
  async run(ctx: Ctx, args, opts) {
    const shell = args[0];
    if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`invalid argument "${shell}" for "pier completion"`);
    const script = completionScript('pier', shell as Shell, !opts.noDesc);
    if (opts.file) {
      try {
        require('node:fs').writeFileSync(opts.file, script);
      } catch (e) {
        throw new PierError(`open ${opts.file}: ${errnoText(e)}`);
      }
    } else {
      ctx.out(script);
    }
  },
};

/**
 * `pier unshare [COMMAND [ARG...]]`: the command (default $SHELL) inside the rootless user
 * namespace, which the CLI entered before running this (cli/index.ts); the process is replaced.
 */
const unshareCmd: CommandDef = {
  name: 'unshare',
  summary: 'Run a command in a modified user namespace',
  description: 'Runs a command in a modified user namespace.',
  usage: '[options] [COMMAND [ARG...]]',
  example: 'pier unshare id\npier unshare cat /proc/self/uid_map,\npier unshare pier-script.sh',
  interspersed: false,
  flags: [{ name: 'rootless-netns', type: 'bool', help: 'Join the rootless network namespace used for CNI and netavark networking' }],
  async run(ctx: Ctx, args, opts) {
    const { inRootlessUserns } = require('../../config/paths') as typeof import('../../config/paths');
    if (!inRootlessUserns()) throw new PierError('please use unshare with rootless');
    const argv = args.length ? args : [process.env.SHELL ?? ''];
    if (!argv[0]) throw new PierError('exec: no command');
    const { execCommand, runInRootlessNetns } = require('../../engine/rootless') as typeof import('../../engine/rootless');
    const env = { ...process.env, CONTAINERS_GRAPHROOT: ctx.cfg.graphRoot, CONTAINERS_RUNROOT: ctx.cfg.runRoot };
    if (opts.rootlessNetns) {
      const { NetworkStore } = require('../../network/store') as typeof import('../../network/store');
      return runInRootlessNetns(NetworkStore.forConfig(ctx.cfg), argv, env);
    }
    execCommand(argv, env);
  },
};

export function systemCommands(): CommandDef[] {
  return [
    versionCmd,
    infoCmd,
    completionCmd,
    unshareCmd,
    {
      name: 'system',
      summary: 'Manage pier',
      description: 'Manage pier',
      subcommands: [
        { ...infoCmd },
        { ...versionCmd },
        ...systemOpsCommands(),
        eventsCommand(),
        serviceCommand,
        connectionGroup(),
      ].sort(byName),
    },
  ];
}
