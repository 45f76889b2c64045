// `pier generate systemd`: systemd units for a container or pod (podman 4.3.1's), made by the
// engine (engine/systemd through the domain's GenerateEngine, locally or by the service); and
// `pier generate spec`: a container's or pod's Specgen JSON.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandDef, TIMEOUT_FLAG_NAME } from '../parser';
import type { Ctx } from '../context';
import type { SystemdOptions } from '../../domain/generate';
import { PierError, errnoText, errorMessage } from '../../util/errors';
import { isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { writeStderr, writeStdout } from '../../util/stdio';
import { log } from '../../util/log';
import { resolveEnv } from './container-flags';

/** -e values as podman's env.ParseSlice and env.Slice make them: one per key (the last), `KEY` for an empty value. */
function unitEnv(values: string[]): string[] {
  let entries: string[];
  try {
    entries = resolveEnv(values, process.env);
  } catch (e) {
    throw new PierError(`parsing environment variables: ${errorMessage(e)}`);
  }
  const m = new Map<string, string>();
  for (const e of entries) {
    const eq = e.indexOf('=');
    m.set(e.slice(0, eq).replace(/^[ \t\n\r\v\f]+/, ''), e.slice(eq + 1));
  }
  // podman's order is its map's (random); pier's is the keys'.
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => (v ? `${k}=${v}` : k));
}

const systemdCmd: CommandDef = {
  name: 'systemd',
  summary: 'Generate systemd units.',
  description: 'Generate systemd units for a pod or container.\n  The generated units can later be controlled via systemctl(1).',
  usage: '[options] {CONTAINER|POD}',
  example: 'pier generate systemd CTR\n  pier generate systemd --new --time 10 CTR\n  pier generate systemd --files --name POD',
  minArgs: 1,
  maxArgs: 1,
  flagAliases: TIMEOUT_FLAG_NAME,
  flags: [
    { name: 'after', type: 'stringArray', help: 'Add dependencies order to the generated unit file' },
    { name: 'container-prefix', type: 'string', default: 'container', help: 'Systemd unit name prefix for containers' },
    { name: 'env', short: 'e', type: 'stringArray', help: 'Set environment variables to the systemd unit files' },
    { name: 'files', short: 'f', type: 'bool', help: 'Generate .service files instead of printing to stdout' },
    { name: 'format', type: 'string', help: 'Print the created units in specified format (json)' },
    { name: 'name', short: 'n', type: 'bool', help: 'Use container/pod names instead of IDs' },
    { name: 'new', type: 'bool', help: 'Create a new container or pod instead of starting an existing one' },
    { name: 'no-header', type: 'bool', help: 'Skip header generation' },
    { name: 'pod-prefix', type: 'string', default: 'pod', help: 'Systemd unit name prefix for pods' },
    { name: 'requires', type: 'stringArray', help: 'Similar to wants, but declares stronger requirement dependencies' },
    { name: 'restart-policy', type: 'string', default: 'on-failure', help: 'Systemd restart-policy' },
    { name: 'restart-sec', type: 'int', valueName: 'uint', help: 'Systemd restart-sec' },
    { name: 'separator', type: 'string', default: '-', help: 'Systemd unit name separator between name/id and prefix' },
    { name: 'start-timeout', type: 'int', valueName: 'uint', help: 'Start timeout override' },
    { name: 'stop-timeout', type: 'int', valueName: 'uint', default: 10, help: 'Stop timeout override' },
    { name: 'template', type: 'bool', help: 'Make it a template file and use %i and %I specifiers. Working only for containers' },
    { name: 'time', short: 't', type: 'int', valueName: 'uint', default: 10, hidden: true, help: 'Backwards alias for --stop-timeout' },
    { name: 'wants', type: 'stringArray', help: 'Add (weak) requirement dependencies to the generated unit file' },
  ],
  async run(ctx: Ctx, args, opts) {
    const changed: Set<string> = opts.changed ?? new Set();
    // The uint flags: a negative value is pflag's parse error, with its hint.
    for (const [key, display] of [['restartSec', '--restart-sec'], ['startTimeout', '--start-timeout'], ['stopTimeout', '--stop-timeout'], ['time', '-t, --time']]) {
      if (opts[key] < 0) {
        writeStderr(`Error: invalid argument "${opts[key]}" for "${display}" flag: strconv.ParseUint: parsing "${opts[key]}": invalid syntax\nSee 'pier generate systemd --help'\n`);
        return 125;
      }
    }
    if (ctx.remoteUri) log.warn('The generated units should be placed on your remote system');
    if (changed.has('new') && !opts.new && opts.template) throw new PierError('--template cannot be set with --new=false');
    const o: SystemdOptions = {
      useName: !!opts.name, new: !!opts.new || !!opts.template, noHeader: !!opts.noHeader, template: !!opts.template,
      containerPrefix: opts.containerPrefix, podPrefix: opts.podPrefix, separator: opts.separator,
      wants: opts.wants ?? [], after: opts.after ?? [], requires: opts.requires ?? [],
    };
    if (changed.has('restart-policy')) o.restartPolicy = opts.restartPolicy;
    if (changed.has('restart-sec')) o.restartSec = opts.restartSec;
    if (changed.has('start-timeout')) o.startTimeout = opts.startTimeout;
    if (changed.has('env')) o.env = unitEnv(opts.env ?? []);
    if (changed.has('stop-timeout') && changed.has('time')) throw new PierError('stop-timeout and time are redundant and cannot be used together');
    if (changed.has('stop-timeout')) o.stopTimeout = opts.stopTimeout;
    else if (changed.has('time')) o.stopTimeout = opts.time;
    // Checked before anything is written (podman checks it after writing the --files).
    const format: string = opts.format ?? '';
    if (format && !isJSONFormat(format)) throw new PierError(`unknown --format argument: ${format}`);

    const units = await ctx.engines.generate().systemd(args[0], o);
    const names = Object.keys(units).sort();
    if (opts.files) {
      for (const name of names) {
        const file = path.join(process.cwd(), `${name}.service`);
        try {
          fs.writeFileSync(file, units[name]);
        } catch (e) {
          throw new PierError(`open ${file}: ${errnoText(e)}`);
        }
        units[name] = format ? file : `${file}\n`;
      }
    }
    if (format) {
      ctx.out(goJSON(Object.fromEntries(names.map((n) => [n, units[n]])), { indent: ' ', escapeHTML: true }));
      return;
    }
    writeStdout(names.map((n) => units[n]).join(''));
  },
};

const specCmd: CommandDef = {
  name: 'spec',
  summary: 'Generate Specgen JSON based on containers or pods',
  description: 'Generate Specgen JSON based on containers or pods',
  usage: '[options] {CONTAINER|POD}',
  example: 'pier generate spec ctrID',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'compact', short: 'c', type: 'bool', help: 'Print the json in a compact format for consumption' },
    { name: 'filename', short: 'f', type: 'string', help: 'Write output to the specified path' },
    { name: 'name', short: 'n', type: 'bool', default: true, help: 'Specify a new name for the generated spec' },
  ],
  async run(ctx: Ctx, args, opts) {
    const spec = await ctx.engines.generate().spec(args[0], { rename: opts.name !== false });
    // podman: json.Marshal, or MarshalIndent with a one-space indent; HTML characters escaped.
    const text = goJSON(spec, { indent: opts.compact ? undefined : ' ', escapeHTML: true });
    if (opts.filename) {
      try {
        fs.writeFileSync(opts.filename, text, { mode: 0o644 });
      } catch (e) {
        throw new PierError(`open ${opts.filename}: ${errnoText(e)}`);
      }
      writeStdout(`${opts.filename}\n`);
      return;
    }
    writeStdout(`${text}\n`);
  },
};

export function generateGroup(): CommandDef {
  return {
    name: 'generate',
    summary: 'Generate structured data based on containers, pods or volumes',
    description: 'Generate structured data (e.g., Kubernetes YAML or systemd units) based on containers, pods or volumes.',
    usage: '[command]',
    subcommands: [(require('./kube') as typeof import('./kube')).generateKubeCmd(), specCmd, systemdCmd],
  };
}
