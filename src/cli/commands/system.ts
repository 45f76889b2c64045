// System-level commands: version, info, completion.
import { byName } from '../../util/compare';
import * as os from 'node:os';
import * as fs from 'node:fs';
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import { completionScript } from '../completion';
import { UsageError } from '../../util/errors';
import { systemOpsCommands } from './system-ops';
import { eventsCommand } from './events';
import { serviceCommand } from './service';
import { connectionGroup } from './connection';

function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

export function versionInfo() {
  return {
    Client: {
      APIVersion: '4.3.1',
      Version: PIER_VERSION,
      NodeVersion: process.version,
      BuiltTime: '',
      Built: 0,
      OsArch: `linux/${goArch()}`,
      Os: 'linux',
    },
  };
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
    if (opts.format) { ctx.out(await formatWith(opts.format, v)); return; }
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
    const images = ctx.images() as any;
    const store = images.store;
    const imgs = store.images.list();
    const containers = ctx.containers() as import('../../domain/local/containers').LocalContainerEngine;
    const rows = await containers.list({ all: true });
    const count = (st: string) => rows.filter((r) => r.State === st).length;
    const versionOf = (bin: string, args: string[] = ['--version']) => {
      const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
      const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 5000 });
      return (r.stdout || '').split('\n').filter(Boolean).join(', ');
    };
    const rt = (() => { try { return containers.lifecycle.runtime(); } catch { return undefined; } })();
    const { findConmon } = require('../../engine/conmon') as typeof import('../../engine/conmon');
    const conmonPath = (() => { try { return findConmon(ctx.cfg.conmon); } catch { return ''; } })();
    const { cgroupMode } = require('../../engine/runtime') as typeof import('../../engine/runtime');
    const info = {
      host: {
        arch: goArch(),
        cgroupManager: 'cgroupfs',
        cgroupVersion: cgroupMode() === 'unified' ? 'v2' : 'v1',
        conmon: { package: 'conmon', path: conmonPath, version: conmonPath ? versionOf(conmonPath) : '' },
        cpus: os.cpus().length,
        eventLogger: 'file',
        hostname: os.hostname(),
        kernel: os.release(),
        memFree: os.freemem(),
        memTotal: os.totalmem(),
        ociRuntime: rt ? { name: rt.name, package: rt.name, path: rt.path, version: versionOf(rt.path) } : {},
        os: 'linux',
        security: { rootless: ctx.cfg.dirs.rootless, seccompEnabled: true, seccompProfilePath: fs.existsSync('/usr/share/containers/seccomp.json') ? '/usr/share/containers/seccomp.json' : '' },
        uptime: `${Math.floor(os.uptime())}s`,
      },
      store: {
        configFile: ctx.cfg.configFiles.join(', '),
        containerStore: { number: rows.length, paused: count('paused'), running: count('running'), stopped: rows.length - count('running') - count('paused') },
        graphDriverName: store.driver,
        graphRoot: store.graphRoot,
        imageStore: { number: imgs.length },
        runRoot: store.runRoot,
        volumePath: require('node:path').join(store.graphRoot, 'volumes'),
      },
      registries: (() => {
        try { return { search: images.searchRegistries() }; } catch { return {}; }
      })(),
      version: versionInfo().Client,
    };
    if (opts.format === 'json' || opts.format === '{{json .}}') { ctx.out(JSON.stringify(info, null, 4)); return; }
    if (opts.format) { ctx.out(await formatWith(opts.format, info)); return; }
    ctx.out(toYaml(info));
  },
};

function toYaml(v: unknown, indent = ''): string {
  if (v === null || typeof v !== 'object') return String(v);
  const lines: string[] = [];
  if (Array.isArray(v)) {
    for (const x of v) lines.push(`${indent}- ${typeof x === 'object' ? JSON.stringify(x) : x}`);
    return lines.join('\n');
  }
  for (const [k, x] of Object.entries(v as object)) {
    if (x !== null && typeof x === 'object' && (!Array.isArray(x) || x.length)) lines.push(`${indent}${k}:`, toYaml(x, indent + '  '));
    else lines.push(`${indent}${k}: ${Array.isArray(x) ? '[]' : x === '' ? '""' : x}`);
  }
  return lines.join('\n');
}

const completionCmd: CommandDef = {
  name: 'completion',
  summary: 'Generate shell autocompletions',
  description: 'Generate shell autocompletions.\nValid arguments are bash, zsh and fish.\nPlease refer to the man page to see how you can load these completions.',
  usage: '[options] bash | zsh | fish',
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
