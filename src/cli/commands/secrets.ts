// `pier secret create|ls|inspect|rm`: they only call the SecretEngine and print what podman 4.3
// prints. The data of a secret is never printed.
import * as fs from 'node:fs';
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import type { SecretEngine, SecretInfo } from '../../domain/secrets';
import { NotFoundError, PierError, UsageError, errorMessage, readFileErrorText } from '../../util/errors';
import { formatList, formatInspect, isJSONFormat, isTableFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { asStruct, goTimeString } from '../format/govalue';
import { timeAgo } from '../format/units';
import { writeStderr } from '../../util/stdio';

function secrets(ctx: Ctx): SecretEngine {
  return ctx.engines.secrets();
}

/** Print every error but the last to stderr; throw the last. */
function failWith(errors: string[]): never {
  for (const e of errors.slice(0, -1)) writeStderr(`Error: ${e}\n`);
  throw new PierError(errors[errors.length - 1]);
}

/** All of stdin. */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** `--driver-opts a=b,c=d` (pflag's stringToString: comma-separated key=value pairs). */
function driverOpts(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    for (const kv of v.split(',')) {
      const eq = kv.indexOf('=');
      if (eq < 0) throw new UsageError(`invalid argument "${v}" for "--driver-opts" flag: ${kv} must be formatted as key=value\nSee 'pier secret create --help'`);
      out[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  return out;
}

const createCmd: CommandDef = {
  name: 'create',
  summary: 'Create a new secret',
  description: 'Create a secret. Input can be a path to a file or "-" (read from stdin). Default driver is file (unencrypted).',
  usage: '[options] NAME FILE|-',
  example: 'pier secret create mysecret /path/to/secret\n\t\tprintf "secretdata" | pier secret create mysecret -',
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'file', help: 'Specify secret driver' },
    { name: 'driver-opts', type: 'stringArray', valueName: 'stringToString', help: 'Specify driver specific options (default [])', hideDefault: true },
    { name: 'env', type: 'bool', help: 'Read secret data from environment variable' },
    { name: 'label', short: 'l', type: 'stringArray', help: 'Specify labels on the secret' },
  ],
  async run(ctx: Ctx, args, opts) {
    const [name, source] = args;
    const options = driverOpts(opts.driverOpts ?? []);
    let data: Buffer;
    if (opts.env) {
      const v = process.env[source];
      if (v === undefined) throw new PierError(`cannot create store secret data: environment variable ${source} is not set`);
      data = Buffer.from(v);
    } else if (source === '-') {
      data = await readStdin();
    } else {
      try { data = fs.readFileSync(source); } catch (e: any) {
        throw new PierError(readFileErrorText(e, source));
      }
    }
    const labels: Record<string, string> = {};
    for (const l of opts.label ?? []) {
      const eq = l.indexOf('=');
      if (eq < 0) labels[l] = '';
      else labels[l.slice(0, eq)] = l.slice(eq + 1);
    }
    ctx.out(await secrets(ctx).create({ name, data, driver: opts.driver, driverOptions: options, labels }));
  },
};

/** A row of `secret ls` (podman's SecretListReport: times as "2 hours ago"). */
function listRow(s: SecretInfo, now: number): Record<string, string> {
  return asStruct({ ID: s.ID, Name: s.Spec.Name, Driver: s.Spec.Driver.Name, CreatedAt: timeAgo(s.CreatedAt, now), UpdatedAt: timeAgo(s.UpdatedAt, now) }, '*entities.SecretListReport');
}

const lsCmd: CommandDef = {
  name: 'ls',
  aliases: ['list'],
  summary: 'List secrets',
  usage: '[options]',
  example: 'pier secret ls',
  maxArgs: 0,
  flags: [
    { name: 'filter', short: 'f', type: 'stringArray', valueName: 'strings', help: 'Filter secret output' },
    { name: 'format', type: 'string', help: 'Format volume output using Go template', default: '{{range .}}{{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.CreatedAt}}\\t{{.UpdatedAt}}\\n{{end -}}' },
    { name: 'noheading', type: 'bool', help: 'Do not print headers' },
    { name: 'quiet', short: 'q', type: 'bool', help: 'Print secret IDs only' },
  ],
  async run(ctx: Ctx, _args, opts) {
    // podman's --filter is a `strings` flag: comma-separated values split too.
    const filters = (opts.filter ?? []).flatMap((f: string) => f.split(',')).filter(Boolean);
    const list = await secrets(ctx).list(filters);
    if (opts.quiet) { if (list.length) ctx.out(list.map((s) => s.ID).join('\n')); return; }
    const now = Date.now();
    const rows = list.map((s) => listRow(s, now));
    const format: string | undefined = opts.changed?.has('format') ? opts.format : undefined;
    if (format?.trim() === 'json') { ctx.out(goJSON(rows, { indent: '    ', escapeHTML: true })); return; }
    // podman 4.3 runs every other format as a template per secret: `{{json .}}` gives one line each.
    if (isJSONFormat(format)) { ctx.out(rows.map((r) => goJSON(r, { escapeHTML: true })).join('\n')); return; }
    ctx.out(formatList(rows, format, 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}', {
      noHeading: !!opts.noheading, headers: { CreatedAt: 'CREATED', UpdatedAt: 'UPDATED' }, name: 'ls',
    }));
  },
};

/** podman 4.3's --pretty layout (its tab widths included). */
function pretty(s: SecretInfo): string {
  let out = `ID:${' '.repeat(14)}${s.ID}\nName:${' '.repeat(14)}${s.Spec.Name}\n`;
  const labels = Object.entries(s.Spec.Labels);
  if (labels.length) out += 'Labels:\n' + labels.map(([k, v]) => ` - ${k}${v ? `=${v}` : ''}\n`).join('');
  out += `Driver:${' '.repeat(12)}${s.Spec.Driver.Name}\n`;
  out += `Created at:${' '.repeat(8)}${goTimeString(s.CreatedAt)}\nUpdated at:${' '.repeat(8)}${goTimeString(s.UpdatedAt)}\n`;
  return out;
}

const inspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Inspect a secret',
  description: 'Display detail information on one or more secrets',
  usage: '[options] SECRET [SECRET...]',
  example: 'pier secret inspect MYSECRET',
  minArgs: 1,
  flags: [
    { name: 'format', short: 'f', type: 'string', help: 'Format inspect output using Go template' },
    { name: 'pretty', type: 'bool', help: 'Print inspect output in human-readable format' },
  ],
  async run(ctx: Ctx, args, opts) {
    const engine = secrets(ctx);
    const found: SecretInfo[] = [];
    const errors: string[] = [];
    for (const n of args) {
      try { found.push(await engine.inspect(n)); } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        errors.push(`inspecting secret: ${errorMessage(e)}`);
      }
    }
    const format: string | undefined = opts.format || undefined;
    const structs = () => found.map((s) => asStruct({ ...s, Spec: asStruct(s.Spec, 'secrets.SecretSpec') }, 'entities.SecretInfoReport'));
    if (opts.pretty) ctx.out(found.map(pretty).join(''));
    else if (!format || format.trim() === 'json') ctx.out(formatInspect(found, undefined, { indent: '    ' }));
    // podman 4.3 runs every other format as a template per secret (`{{json .}}`: one line each; a table without heading).
    else if (isJSONFormat(format)) ctx.out(found.map((s) => goJSON(s, { escapeHTML: true })).join('\n'));
    else if (isTableFormat(format)) ctx.out(formatList(structs(), format, '', { noHeading: true, name: 'inspect' }));
    else if (found.length) ctx.out(formatInspect(structs(), format));
    if (errors.length) failWith(errors);
  },
};

const rmCmd: CommandDef = {
  name: 'rm',
  summary: 'Remove one or more secrets',
  usage: '[options] SECRET [SECRET...]',
  example: 'pier secret rm mysecret1 mysecret2',
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Remove all secrets' }],
  async run(ctx: Ctx, args, opts) {
    if ((args.length > 0 && opts.all) || (args.length === 0 && !opts.all)) throw new UsageError('`pier secret rm` requires one argument, or the --all flag');
    const engine = secrets(ctx);
    const names = opts.all ? (await engine.list()).map((s) => s.ID) : args;
    const errors: string[] = [];
    for (const n of names) {
      try { ctx.out(await engine.remove(n)); } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        errors.push(errorMessage(e));
      }
    }
    if (errors.length) failWith(errors);
  },
};

/** `pier secret` and its subcommands. */
export function secretGroup(): CommandDef {
  return {
    name: 'secret',
    summary: 'Manage secrets',
    description: 'Manage secrets',
    usage: '[command]',
    subcommands: [createCmd, inspectCmd, lsCmd, rmCmd],
  };
}
