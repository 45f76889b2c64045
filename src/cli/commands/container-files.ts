// Container file commands: `pier cp|export|diff|mount|umount|commit` and the same under
// `pier container ...` (plus `pier image diff`). They only call the ContainerFilesEngine
// and print what podman 4.3 prints.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CommandDef, FlagDef, Opts, OLD_FLAG_NAMES } from '../parser';
import { Ctx } from '../context';
import type { ContainerFilesEngine, FsChange } from '../../domain/local/container-files';
import type { ProgressSink } from '../../domain/images';
import { PierError, UsageError } from '../../util/errors';
import { goJSON } from '../format/gojson';
import { writeStdout, writeStderr } from '../../util/stdio';
import { output } from '../format/lazy-output';

const stderrSink: ProgressSink = { line: (s) => { writeStderr(s.endsWith('\n') ? s : s + '\n'); } };

function files(ctx: Ctx): ContainerFilesEngine {
  const remote = (ctx.engines as { containerFiles?: () => ContainerFilesEngine }).containerFiles;
  if (remote) return remote.call(ctx.engines);
  const { containerFilesEngine } = require('../../domain/local/container-files') as typeof import('../../domain/local/container-files');
  return containerFilesEngine(ctx.containers());
}

const latestFlag: FlagDef = { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container pier is aware of' };

/** The containers named on the command line, or the latest one with -l. */
async function targets(f: ContainerFilesEngine, args: string[], opts: Opts, min = 1): Promise<string[]> {
  // --latest with names is refused for every command in cli/index.ts.
  if (opts.latest) return [await f.latest()];
  if (args.length < min) throw new UsageError(min === 1 && args.length === 0 ? 'you must provide at least one name or id' : `requires at least ${min} arguments`);
  return args;
}

// ---------------------------------------------------------------------------------------
// cp

function cpCmd(prefix: string): CommandDef {
  return {
    name: 'cp',
    summary: 'Copy files/folders between a container and the local filesystem',
    description: 'Copy the contents of SRC_PATH to the DEST_PATH.\n\nYou can copy from the container\'s file system to the local machine or the reverse, from the local filesystem to the container. If "-" is specified for either the SRC_PATH or DEST_PATH, you can also stream a tar archive from STDIN or to STDOUT. The CONTAINER can be a running or stopped container. The SRC_PATH or DEST_PATH can be a file or a directory.\n',
    usage: '[options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH',
    example: `pier ${prefix}cp [options] [CONTAINER:]SRC_PATH [CONTAINER:]DEST_PATH`,
    flags: [
      { name: 'archive', short: 'a', type: 'bool', default: true, help: 'Chown copied files to the primary uid/gid of the destination container.' },
      { name: 'overwrite', type: 'bool', help: 'Allow to overwrite directories with non-directories and vice versa' },
      // docker cp's -L, kept for docker users (symlinks in SRC_PATH always resolve inside the
      // container); hidden, as podman 4.3.1 has no such flag and its help lists none.
      { name: 'follow-link', short: 'L', type: 'bool', hidden: true, help: 'Follow symbolic links in SRC_PATH' },
      // Deprecated no-ops that podman 4.3 still accepts (hidden there too).
      { name: 'extract', type: 'bool', hidden: true, help: 'Deprecated...' },
      { name: 'pause', type: 'bool', default: true, hidden: true, help: 'Deprecated' },
    ],
    minArgs: 2,
    maxArgs: 2,
    async run(ctx: Ctx, args, opts) {
      await files(ctx).copy(args[0], args[1], { archive: opts.archive !== false, overwrite: !!opts.overwrite });
    },
  };
}

// ---------------------------------------------------------------------------------------
// export

function exportCmd(prefix: string): CommandDef {
  return {
    name: 'export',
    summary: "Export container's filesystem contents as a tar archive",
    description: "Exports container's filesystem contents as a tar archive and saves it on the local machine.",
    usage: '[options] CONTAINER',
    example: [`pier ${prefix}export ctrID > myCtr.tar`, `pier ${prefix}export --output="myCtr.tar" ctrID`].join('\n'),
    flags: [{ name: 'output', short: 'o', type: 'string', help: 'Write to a specified file (default: stdout, which must be redirected)' }],
    minArgs: 1,
    maxArgs: 1,
    async run(ctx: Ctx, args, opts) {
      const f = files(ctx);
      if (opts.output) {
        const out = path.resolve(opts.output);
        const tmp = `${out}.pier-export-${process.pid}`;
        try {
          await f.export(args[0], fs.createWriteStream(tmp, { mode: 0o644 }));
          fs.renameSync(tmp, out);
        } finally {
          fs.rmSync(tmp, { force: true });
        }
        return;
      }
      if (process.stdout.isTTY) throw new UsageError('refusing to export to terminal. Use -o flag or redirect');
      await f.export(args[0], process.stdout, { end: false });
    },
  };
}

// ---------------------------------------------------------------------------------------
// diff

/** `C /path` lines, or podman's JSON object of changed/added/deleted lists. */
export function formatChanges(changes: FsChange[], format: string | undefined): string {
  if (format) {
    if (!output().isJSONFormat(format)) throw new UsageError("only supported value for '--format' is 'json'");
    const pick = (k: string) => changes.filter((c) => c.kind === k).map((c) => c.path);
    const obj: Record<string, string[]> = {};
    const changed = pick('C');
    const added = pick('A');
    const deleted = pick('D');
    if (changed.length) obj.changed = changed;
    if (added.length) obj.added = added;
    if (deleted.length) obj.deleted = deleted;
    return goJSON(obj, { indent: '     ' }) + '\n';
  }
  return changes.map((c) => `${c.kind} ${c.path}\n`).join('');
}

function diffCmd(kind: 'any' | 'container' | 'image', prefix: string): CommandDef {
  const what = kind === 'any' ? '{CONTAINER|IMAGE}' : kind === 'container' ? 'CONTAINER' : 'IMAGE';
  return {
    name: 'diff',
    summary: kind === 'any' ? "Display the changes to the object's file system"
      : kind === 'container' ? 'Inspect changes to the container\'s file systems' : 'Inspect changes to the image\'s file systems',
    description: kind === 'image'
      ? 'Displays changes on an image\'s filesystem.  The image will be compared to its parent layer.'
      : kind === 'container'
        ? 'Displays changes on a container filesystem.  The container will be compared to its parent layer.'
        : 'Displays changes on a container or image\'s filesystem.  The container or image will be compared to its parent layer.',
    usage: `[options] ${what}`,
    example: kind === 'image'
      ? [`pier ${prefix}diff myImage`, `pier ${prefix}diff --format json redis:alpine`].join('\n')
      : kind === 'container'
        ? [`pier ${prefix}diff ctrID`, `pier ${prefix}diff --format json ctrID`].join('\n')
        : [`pier ${prefix}diff imageID`, `pier ${prefix}diff ctrID`, `pier ${prefix}diff --format json redis:alpine`].join('\n'),
    flags: [
      { name: 'format', type: 'string', help: 'Change the output format (json)' },
      ...(kind === 'image' ? [] : [latestFlag]),
    ],
    maxArgs: 1,
    async run(ctx: Ctx, args, opts) {
      if (opts.format && !output().isJSONFormat(opts.format)) throw new UsageError("only supported value for '--format' is 'json'");
      const f = files(ctx);
      let name: string;
      if (opts.latest) {
        name = await f.latest();
      } else {
        if (!args.length) throw new UsageError(`${kind === 'image' ? 'an image' : 'a container or image'} name must be specified`);
        name = args[0];
      }
      const changes = await f.diff(name, { kind: kind === 'any' ? undefined : kind });
      writeStdout(formatChanges(changes, opts.format || undefined));
    },
  };
}

// ---------------------------------------------------------------------------------------
// mount / umount

function mountCmd(prefix: string): CommandDef {
  return {
    name: 'mount',
    flagAliases: OLD_FLAG_NAMES,
    summary: "Mount a working container's root filesystem",
    description: `pier ${prefix}mount\n  Lists all mounted containers mount points if no container is specified\n\npier ${prefix}mount CONTAINER-NAME-OR-ID\n  Mounts the specified container and outputs the mountpoint\n`,
    usage: '[options] [CONTAINER...]',
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Mount all containers' },
      { name: 'format', type: 'string', help: 'Print the mounted containers in specified format (json)' },
      latestFlag,
      { name: 'no-trunc', type: 'bool', help: 'Do not truncate output' },
    ],
    async run(ctx: Ctx, args, opts) {
      const f = files(ctx);
      if (opts.all && args.length) throw new UsageError('no arguments are needed with --all');
      if (opts.format && !output().isJSONFormat(opts.format)) throw new UsageError(`unknown --format argument: ${JSON.stringify(opts.format)}`);
      let names: string[] = args;
      if (opts.all) names = (ctx.containers() as any).containers.list().map((c: { id: string }) => c.id);
      else if (opts.latest) names = await targets(f, args, opts);
      if (!names.length) {
        const list = await f.mounted();
        if (opts.format) {
          ctx.out(goJSON(list.map((m) => ({ id: m.id, Names: m.names, mountpoint: m.mountpoint })), { indent: ' ' }));
          return;
        }
        for (const m of list) ctx.out(`${opts.noTrunc ? m.id : m.id.slice(0, 12)}  ${m.mountpoint}`);
        return;
      }
      let failed: Error | undefined;
      for (const n of names) {
        try {
          ctx.out(await f.mount(n));
        } catch (e) {
          if (failed) writeStderr(`Error: ${failed.message}\n`);
          failed = e as Error;
        }
      }
      if (failed) throw failed;
    },
  };
}

function umountCmd(prefix: string): CommandDef {
  return {
    name: 'unmount',
    aliases: ['umount'],
    summary: "Unmounts working container's root filesystem",
    description: 'Container storage increments a mount counter each time a container is mounted.\n\nWhen a container is unmounted, the mount counter is decremented. The container\'s root filesystem is physically unmounted only when the mount counter reaches zero indicating no other processes are using the mount.\n\nAn unmount can be forced with the --force flag.\n',
    usage: '[options] CONTAINER [CONTAINER...]',
    example: [`pier ${prefix}unmount ctrID`, `pier ${prefix}unmount ctrID1 ctrID2 ctrID3`, `pier ${prefix}unmount --all`].join('\n'),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Unmount all of the currently mounted containers' },
      { name: 'force', short: 'f', type: 'bool', help: 'Force the complete unmount of the specified mounted containers' },
      latestFlag,
    ],
    async run(ctx: Ctx, args, opts) {
      const f = files(ctx);
      if (opts.all) {
        if (args.length) throw new UsageError('no arguments are needed with --all');
        for (const id of await f.unmountAll({ force: !!opts.force })) ctx.out(id);
        return;
      }
      if (opts.latest) {
        const id = (await targets(f, args, opts))[0];
        await f.unmount(id, { force: !!opts.force });
        ctx.out(id);
        return;
      }
      if (!args.length) throw new UsageError('you must provide at least one name or id');
      let failed: Error | undefined;
      for (const n of args) {
        try {
          await f.unmount(n, { force: !!opts.force });
          ctx.out(n);
        } catch (e) {
          if (failed) writeStderr(`Error: ${failed.message}\n`);
          failed = e as Error;
        }
      }
      if (failed) throw failed;
    },
  };
}

// ---------------------------------------------------------------------------------------
// commit

function commitCmd(prefix: string): CommandDef {
  return {
    name: 'commit',
    summary: 'Create new image based on the changed container',
    description: 'Create an image from a container\'s changes. Optionally tag the image created, set the author with the --author flag, set the commit message with the --message flag, and make changes to the instructions with the --change flag.',
    usage: '[options] CONTAINER [IMAGE]',
    example: [
      `pier ${prefix}commit -q --message "committing container to image" reverent_golick image-committed`,
      `pier ${prefix}commit -q --author "firstName lastName" reverent_golick image-committed`,
      `pier ${prefix}commit -q --pause=false containerID image-committed`,
      `pier ${prefix}commit containerID`,
    ].join('\n'),
    flags: [
      { name: 'author', short: 'a', type: 'string', help: 'Set the author for the image committed' },
      { name: 'change', short: 'c', type: 'stringArray', help: 'Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | ONBUILD | STOPSIGNAL | USER | VOLUME | WORKDIR' },
      { name: 'format', short: 'f', type: 'string', valueName: 'Format', default: 'oci', help: 'Format of the image manifest and metadata' },
      { name: 'iidfile', type: 'string', valueName: 'file', help: 'file to write the image ID to' },
      { name: 'include-volumes', type: 'bool', help: 'Include container volumes as image volumes' },
      { name: 'message', short: 'm', type: 'string', help: 'Set commit message for imported image' },
      { name: 'pause', short: 'p', type: 'bool', help: 'Pause container during commit' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output' },
      { name: 'squash', short: 's', type: 'bool', help: 'squash newly built layers into a single new layer' },
    ],
    minArgs: 1,
    maxArgs: 2,
    async run(ctx: Ctx, args, opts) {
      const format = String(opts.format || 'oci');
      if (format !== 'oci' && format !== 'docker') throw new UsageError(`unrecognized image type "${format}"`);
      const id = await files(ctx).commit(args[0], {
        name: args[1], author: opts.author || undefined, message: opts.message || undefined, changes: opts.change ?? [],
        pause: !!opts.pause, format, squash: !!opts.squash, includeVolumes: !!opts.includeVolumes,
        progress: opts.quiet ? undefined : stderrSink,
      });
      if (opts.iidfile) {
        try {
          fs.writeFileSync(opts.iidfile, `sha256:${id}`);
        } catch (e) {
          throw new PierError(`failed to write image ID to file ${JSON.stringify(opts.iidfile)}: ${(e as Error).message}`);
        }
      }
      ctx.out(id);
    },
  };
}

// ---------------------------------------------------------------------------------------

/** Top-level commands: cp, export, diff, mount, umount, commit. */
export function containerFilesCommands(): CommandDef[] {
  return [cpCmd(''), exportCmd(''), diffCmd('any', ''), mountCmd(''), umountCmd(''), commitCmd('')];
}

/** The same under `pier container ...` (diff there only knows containers). */
export function containerFilesSubcommands(): CommandDef[] {
  const p = 'container ';
  return [cpCmd(p), exportCmd(p), diffCmd('container', p), mountCmd(p), umountCmd(p), commitCmd(p)];
}

/** `pier image diff`. */
export function imageFilesSubcommands(): CommandDef[] {
  return [diffCmd('image', 'image ')];
}
