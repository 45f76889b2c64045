// System-level commands: version, info, completion.
import { byName } from '../../util/compare';
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import { completionScript } from '../completion';
import { UsageError } from '../../util/errors';
import { systemOpsCommands } from './system-ops';
import { eventsCommand } from './events';
import { serviceCommand } from './service';
import { connectionGroup } from './connection';

export function versionInfo() {
  const { clientVersion } = require('../../domain/local/system-info') as typeof import('../../domain/local/system-info');
  return { Client: clientVersion() };
}

async function formatWith(format: string, data: unknown): Promise<string> {
  const { compileTemplate } = require('../format/gotemplate') as typeof import('../format/gotemplate');
  return compileTemplate(format.replace(/\\n/g, '\n').replace(/\\t/g, '\t')).execute(data);
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
    if (opts.format === 'json' || opts.format === '{{json .}}') { ctx.out(JSON.stringify(v, null, 4)); return; }
    if (opts.format) {
      // As podman without a server (local): a template naming .Server fields is run against the
      // client's version, `.Server.` read as `.` (podman's fallback for older templates).
      const f = String(opts.format);
      ctx.out(f.includes('.Server.') ? await formatWith(f.replace(/\.Server\./g, '.'), v.Client) : await formatWith(f, v));
      return;
    }
    const c = v.Client;
    ctx.out([
      'Client:       Pier Engine',
      `Version:      ${c.Version}`,
      `API Version:  ${c.APIVersion}`,
      `Node Version: ${c.NodeVersion}`,
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
    if (opts.format === 'json' || opts.format === '{{json .}}') { ctx.out(JSON.stringify(info, null, 4)); return; }
    if (opts.format) { ctx.out(await formatWith(opts.format, info)); return; }
    ctx.out(toYaml(info));
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
    for (const [k, x] of Object.entries(v as object)) entry(`${indent}${k}:`, x, indent + '  ');
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
  description: 'Generate shell autocompletions.\nValid arguments are bash, zsh and fish.\nPlease refer to the man page to see how you can load these completions.',
  usage: '[options] {bash|zsh|fish}',
  minArgs: 1,
  maxArgs: 1,
  example: 'pier completion bash\npier completion zsh -f _pier\npier completion fish --no-desc',
  flags: [
    { name: 'file', short: 'f', type: 'string', help: 'Output the completion to file rather than stdout.' },
    { name: 'no-desc', type: 'bool', help: 'Do not include descriptions in the completion output.' },
  ],
  async run(ctx: Ctx, args, opts) {
    const shell = args[0];
    if (!['bash', 'zsh', 'fish'].includes(shell)) throw new UsageError(`unsupported shell "${shell}": valid arguments are bash, zsh and fish`);
    const { rootCommand } = require('./root') as typeof import('./root');
    const { loadAll } = require('../parser') as typeof import('../parser');
    const script = completionScript(loadAll(rootCommand()), shell as 'bash' | 'zsh' | 'fish', !opts.noDesc);
    if (opts.file) require('node:fs').writeFileSync(opts.file, script);
    else ctx.out(script);
  },
};

export function systemCommands(): CommandDef[] {
  return [
    versionCmd,
    infoCmd,
    completionCmd,
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
