// `pier volume create|ls|inspect|rm|prune|exists|export|import|mount|unmount|reload`: they only call the
// VolumeEngine and print what podman 4.3 prints.
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import type { VolumeEngine, VolumeInspect } from '../../domain/volumes';
import { NotFoundError, PierError, UsageError, errorMessage, errnoText } from '../../util/errors';
import { decompressedArchive } from '../../storage/tar/decompress';
const isVolumeInUse = (e: unknown): boolean => e instanceof (require('../../engine/volumes') as typeof import('../../engine/volumes')).VolumeInUseError;
import { formatList, formatInspect, isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { asStruct } from '../format/govalue';
import { writeStdout, writeStderr } from '../../util/stdio';

/** The volume engine: ctx.volumes() when the context offers it, else a local one over the container engine's store. */
export function volumeEngine(ctx: Ctx): VolumeEngine {
  const c = ctx as any;
  if (typeof c.volumes === 'function') return c.volumes();
  if (!c._pierVolumes) {
    const { LocalVolumeEngine } = require('../../domain/local/volumes') as typeof import('../../domain/local/volumes');
    const containers = ctx.containers() as any;
    c._pierVolumes = new LocalVolumeEngine(containers.store, {
      removeContainer: async (id: string, timeout?: number) => { await containers.remove(id, { force: true, timeout }); },
    });
  }
  return c._pierVolumes;
}

/** `k=v` list → map; a bare `k` maps to ''. */
function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Print every error but the last to stderr; throw the last with `exitCode`. */
function failWith(errors: string[], exitCode: number): never {
  for (const e of errors.slice(0, -1)) writeStderr(`Error: ${e}\n`);
  throw new PierError(errors[errors.length - 1], exitCode);
}

/** Read one line from stdin (without the newline); null at end of input. */
function readStdinLine(): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const stdin = process.stdin;
    const done = (v: string | null) => { cleanup(); resolve(v); };
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const onEnd = () => done(buf.length ? buf : null);
    const onError = (e: Error) => { cleanup(); reject(e); };
    const cleanup = () => { stdin.off('data', onData); stdin.off('end', onEnd); stdin.off('error', onError); stdin.pause(); };
    stdin.on('data', onData); stdin.on('end', onEnd); stdin.on('error', onError);
    stdin.resume();
  });
}

/** Every field a template may ask for (podman's struct has them even when JSON omits them). */
function templateRow(v: VolumeInspect, type: string): VolumeInspect {
  return asStruct({
    Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, CreatedAt: v.CreatedAt, Status: v.Status ?? {}, Labels: v.Labels,
    Scope: v.Scope, Options: v.Options, UID: v.UID ?? 0, GID: v.GID ?? 0, Anonymous: !!v.Anonymous,
    MountCount: v.MountCount, NeedsCopyUp: !!v.NeedsCopyUp, NeedsChown: !!v.NeedsChown, Timeout: v.Timeout ?? 0,
  } as VolumeInspect, type);
}

/** podman 4.3's `volume ls --format json`: 2-space indent, and empty maps spread over three lines. */
function lsJSON(rows: VolumeInspect[]): string {
  return goJSON(rows, { indent: '  ', escapeHTML: true }).replace(/^( *)("[^"\n]*": )\{\}(,?)$/gm, (_, ind: string, key: string, comma: string) => `${ind}${key}{\n${ind}  \n${ind}}${comma}`);
}

// ---------------------------------------------------------------------------------------

const createCmd: CommandDef = {
  name: 'create',
  summary: 'Create a new volume',
  description: 'If using the default driver, "local", the volume will be created on the host in the volumes directory under container storage.',
  usage: '[options] [NAME]',
  example: ['pier volume create myvol', 'pier volume create', 'pier volume create --label foo=bar myvol'].join('\n'),
  maxArgs: 1,
  flags: [
    { name: 'driver', short: 'd', type: 'string', default: 'local', help: 'Specify volume driver name' },
    { name: 'ignore', type: 'bool', help: "Don't fail if volume already exists" },
    { name: 'label', short: 'l', type: 'stringArray', valueName: 'strings', help: 'Set metadata for a volume (default [])', hideDefault: true },
    { name: 'opt', short: 'o', type: 'stringArray', help: 'Set driver specific options (default [])', hideDefault: true },
  ],
  async run(ctx: Ctx, args, opts) {
    const v = await volumeEngine(ctx).create({
      name: args[0], driver: opts.driver, labels: keyValues((opts.label ?? []).flatMap((l: string) => l.split(',')).filter(Boolean)), options: keyValues(opts.opt ?? []),
      ignoreIfExists: !!opts.ignore,
    });
    ctx.out(v.Name);
  },
};

function lsCmd(name: string, aliases: string[]): CommandDef {
  return {
    name,
    aliases,
    summary: 'List volumes',
    description: 'List all available volumes. The output of the volumes can be filtered\nand the output format can be changed to JSON or a user specified Go template.',
    usage: '[options]',
    maxArgs: 0,
    flags: [
      { name: 'filter', short: 'f', type: 'stringArray', valueName: 'strings', help: 'Filter volume output' },
      { name: 'format', type: 'string', help: 'Format volume output using Go template', default: '{{range .}}{{.Driver}}\\t{{.Name}}\\n{{end -}}' },
      { name: 'noheading', type: 'bool', help: 'Do not print headers' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Print volume output in quiet mode' },
    ],
    async run(ctx: Ctx, _args, opts) {
      const formatSet = opts.changed?.has('format');
      if (opts.quiet && formatSet) throw new UsageError('quiet and format flags cannot be used together');
      // podman's --filter is a `strings` flag: comma-separated values split too.
      const filters = (opts.filter ?? []).flatMap((f: string) => f.split(',')).filter(Boolean);
      const vols = await volumeEngine(ctx).list(filters);
      const format: string | undefined = formatSet ? opts.format : undefined;
      if (isJSONFormat(format)) { ctx.out(lsJSON(vols)); return; }
      if (vols.length === 0) return;
      if (opts.quiet) { ctx.out(vols.map((v) => v.Name).join('\n')); return; }
      const rows = vols.map((v) => templateRow(v, '*entities.VolumeListReport'));
      ctx.out(formatList(rows, format, 'table {{.Driver}}\t{{.Name}}', {
        noHeading: !!opts.noheading, headers: { Name: 'VOLUME NAME' }, name: 'ls',
      }));
    },
  };
}

const inspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Display detailed information on one or more volumes',
  description: 'Display detailed information on one or more volumes.\n\nUse a Go template to change the format from JSON.',
  usage: '[options] VOLUME [VOLUME...]',
  example: ['pier volume inspect myvol', 'pier volume inspect --all', 'pier volume inspect --format "{{.Driver}} {{.Scope}}" myvol'].join('\n'),
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Inspect all volumes' },
    { name: 'format', short: 'f', type: 'string', default: 'json', help: 'Format volume output using Go template' },
  ],
  async run(ctx: Ctx, args, opts) {
    if (!opts.all && args.length === 0) throw new UsageError('provide one or more volume names or use --all');
    if (opts.all && args.length) throw new UsageError('when using the --all flag, you may not pass any volume names');
    const engine = volumeEngine(ctx);
    const found: VolumeInspect[] = [];
    const errors: string[] = [];
    if (opts.all) found.push(...await engine.list());
    for (const n of args) {
      try { found.push(await engine.inspect(n)); } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        errors.push(`inspecting object: no such volume ${n}`);
      }
    }
    const format: string | undefined = opts.format;
    if (!format || isJSONFormat(format)) ctx.out(formatInspect(found));
    else if (found.length) ctx.out(formatInspect(found.map((v) => templateRow(v, 'define.InspectVolumeData')), format));
    if (errors.length) failWith(errors, 125);
  },
};

const rmCmd: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  summary: 'Remove one or more volumes',
  description: 'Remove one or more existing volumes.\n\nBy default only volumes that are not being used by any containers will be removed. To remove the volumes anyways, use the --force flag.',
  usage: '[options] VOLUME [VOLUME...]',
  example: ['pier volume rm myvol1 myvol2', 'pier volume rm --all', 'pier volume rm --force myvol'].join('\n'),
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all volumes' },
    { name: 'force', short: 'f', type: 'bool', help: 'Remove a volume by force, even if it is being used by a container' },
    { name: 'time', short: 't', type: 'int', default: 10, valueName: 'uint', help: 'Seconds to wait for running containers to stop before killing the container' },
  ],
  async run(ctx: Ctx, args, opts) {
    if ((args.length > 0 && opts.all) || (args.length === 0 && !opts.all)) throw new UsageError('choose either one or more volumes or all');
    if (opts.changed?.has('time') && !opts.force) throw new UsageError('--force option must be specified to use the --time option');
    const engine = volumeEngine(ctx);
    const names = opts.all ? (await engine.list()).map((v) => v.Name) : args;
    const errors: string[] = [];
    let code = 0;
    for (const n of names) {
      try {
        await engine.remove(n, { force: !!opts.force, timeout: opts.changed?.has('time') ? opts.time : undefined });
        ctx.out(n);
      } catch (e) {
        if (e instanceof NotFoundError) {
          // podman: with --force a volume that does not exist is not an error.
          if (!opts.force) { errors.push(errorMessage(e)); code = 1; }
          continue;
        }
        if (isVolumeInUse(e)) { errors.push(errorMessage(e)); code = 2; continue; }
        throw e;
      }
    }
    if (errors.length) failWith(errors, code);
  },
};

const pruneCmd: CommandDef = {
  name: 'prune',
  summary: 'Remove all unused volumes',
  description: 'Volumes that are not currently owned by a container will be removed.\n\nThe command prompts for confirmation which can be overridden with the --force flag.\nNote all data will be destroyed.',
  usage: '[options]',
  example: 'pier volume prune',
  maxArgs: 0,
  flags: [
    { name: 'filter', type: 'stringArray', help: "Provide filter values (e.g. 'label=<key>=<value>')", hideDefault: true },
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation' },
  ],
  async run(ctx: Ctx, _args, opts) {
    const engine = volumeEngine(ctx);
    const filters: string[] = opts.filter ?? [];
    if (!opts.force) {
      const unused = await engine.list([...filters.filter((f) => !f.startsWith('dangling=')), 'dangling=true']);
      writeStdout('WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n');
      if (unused.length === 0) { ctx.out('No dangling volumes found'); return; }
      ctx.out(unused.map((v) => v.Name).join('\n'));
      writeStdout('Are you sure you want to continue? [y/N] ');
      const answer = await readStdinLine();
      if (answer === null) throw new PierError('EOF');
      if (!answer.trim().toLowerCase().startsWith('y')) return;
    }
    const removed = await engine.prune(filters);
    if (removed.length) ctx.out(removed.join('\n'));
  },
};

const existsCmd: CommandDef = {
  name: 'exists',
  summary: 'Volume exists',
  description: 'If the given volume exists, pier volume exists exits with 0, otherwise the exit code will be 1.',
  usage: 'VOLUME',
  example: 'pier volume exists myvol',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    return (await volumeEngine(ctx).exists(args[0])) ? 0 : 1;
  },
};

const exportCmd: CommandDef = {
  name: 'export',
  summary: 'Export volumes',
  description: 'Exports contents of a volume as a tarball to stdout or the file given with --output.',
  usage: '[options] VOLUME',
  example: ['pier volume export myvol --output myvol.tar', 'pier volume export myvol > myvol.tar'].join('\n'),
  minArgs: 1,
  maxArgs: 1,
  flags: [{ name: 'output', short: 'o', type: 'string', default: '/dev/stdout', help: 'Write to a specified file (default: stdout, which must be redirected)' }],
  async run(ctx: Ctx, args, opts) {
    const engine = volumeEngine(ctx);
    const toStdout = !opts.output || opts.output === '/dev/stdout' || opts.output === '-';
    if (toStdout && process.stdout.isTTY) throw new UsageError('cannot write to terminal, use command-line redirection or the --output flag');
    if (!(await engine.exists(args[0]))) throw new NotFoundError(`no such volume ${args[0]}`);
    if (toStdout) { await engine.export(args[0], process.stdout); return; }
    const out = fs.createWriteStream(opts.output, { mode: 0o644 });
    try {
      await new Promise<void>((res, rej) => { out.once('open', () => res()); out.once('error', rej); });
    } catch (e: any) {
      throw new PierError(`open ${opts.output}: ${errnoText(e)}`);
    }
    try {
      await engine.export(args[0], out);
    } finally {
      await new Promise<void>((res) => out.end(() => res()));
    }
  },
};

const importCmd: CommandDef = {
  name: 'import',
  summary: 'Import a tarball contents into a pier volume',
  description: 'Imports contents into a pier volume from specified tarball (.tar, .tar.gz, .tgz, .bzip, .tar.xz, .txz).',
  usage: 'VOLUME [SOURCE]',
  example: ['pier volume import my_vol /home/user/import.tar', 'cat ctr.tar | pier volume import my_vol -'].join('\n'),
  minArgs: 2,
  maxArgs: 2,
  async run(ctx: Ctx, args) {
    const [name, src] = args;
    const engine = volumeEngine(ctx);
    if (!(await engine.exists(name))) throw new NotFoundError(`no such volume ${name}`);
    let input: Readable;
    if (src === '-') input = process.stdin;
    else {
      try { fs.accessSync(src, fs.constants.R_OK); } catch {
        throw new PierError(`open ${src}: no such file or directory`);
      }
      input = fs.createReadStream(src);
    }
    await engine.import(name, await decompressedArchive(input));
  },
};

const mountCmd: CommandDef = {
  name: 'mount',
  summary: 'Mount volume',
  description: 'Mount a volume and return the mountpoint',
  usage: 'NAME',
  example: 'pier volume mount myvol',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    ctx.out(await volumeEngine(ctx).mount(args[0]));
  },
};

const reloadCmd: CommandDef = {
  name: 'reload',
  summary: 'reload all volumes from volume plugins',
  description: 'Check all configured volume plugins and update the database with all available volumes.\n\nExisting volumes are also removed from the database when they are no longer present in the plugin.',
  usage: '',
  maxArgs: 0,
  async run(ctx: Ctx) {
    const engine = volumeEngine(ctx);
    if (!engine.reload) throw new PierError('volume reload is not supported for remote clients');
    const report = await engine.reload();
    for (const [title, names] of [['Added', report.added], ['Removed', report.removed]] as const) {
      if (names.length) ctx.out(`${title}:\n${names.join('\n')}`);
    }
    if (report.errors.length) failWith(report.errors, 125);
  },
};

const unmountCmd: CommandDef = {
  name: 'unmount',
  summary: 'Unmount volume',
  description: 'Unmount a volume',
  usage: 'NAME',
  example: 'pier volume unmount myvol',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    await volumeEngine(ctx).unmount(args[0]);
    ctx.out(args[0]);
  },
};

/** `pier volume` and its subcommands. */
export function volumeGroup(): CommandDef {
  return {
    name: 'volume',
    summary: 'Manage volumes',
    description: 'Volumes are created in and can be shared between containers',
    usage: '[command]',
    subcommands: [createCmd, existsCmd, exportCmd, importCmd, inspectCmd, lsCmd('ls', ['list']), mountCmd, pruneCmd, reloadCmd, rmCmd, unmountCmd],
  };
}
