// `pier image scp` (podman 4.3's): an image copied between the stores of two users of this host
// (`USER@localhost::`), or to or from another host over ssh (`HOST::`, a connection name or
// [USER@]HOST[:PORT]). As podman does, it is a `save` to an archive and a `load` of it, each by
// a pier process of the user whose store it is; unlike podman (which needs machinectl and a
// login session for that), pier starts the other user's pier with its credentials directly.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SpawnSyncOptions } from 'node:child_process';
import type { CommandDef } from '../parser';
import type { Ctx } from '../context';
import { PierError, UsageError, errorMessage } from '../../util/errors';
import { writeStdout } from '../../util/stdio';
import { forwardedGlobals, selfCommand } from '../self-command';

/** One side of the transfer, as podman's ParseImageSCPArg reads `[USER@localhost::|HOST::]IMAGE`. */
export interface ScpLocation {
  image: string;
  /** USER@localhost:: — a user of this host. */
  user?: string;
  /** HOST:: — another host (a connection name, or [USER@]HOST[:PORT]). */
  host?: string;
  /** The destination's IMAGE: the name the loaded image is tagged with. */
  tag?: string;
}

export function parseScpArg(arg: string): ScpLocation {
  const at = arg.indexOf('::');
  if (arg.includes('@localhost::')) return { user: arg.slice(0, arg.indexOf('@')), image: arg.slice(at + 2) };
  if (at >= 0) return { host: arg.slice(0, at), image: arg.slice(at + 2) };
  return { image: arg };
}

/** The source and destination of `image scp SRC [DST]`, checked as podman does. */
export function scpLocations(args: string[]): [ScpLocation, ScpLocation] {
  const src = parseScpArg(args[0]);
  let dst: ScpLocation = { image: '' };
  if (args.length > 1) {
    dst = parseScpArg(args[1]);
    if (src.image && dst.image) { dst.tag = dst.image; dst.image = ''; }
    else if (!src.image && !dst.image) throw new UsageError('a source image must be specified: invalid argument');
  } else if (!src.image) {
    throw new UsageError('no source image specified: invalid argument');
  } else if (!src.host && !src.user) {
    throw new UsageError('must specify a destination: invalid argument');
  }
  return [src, dst];
}

interface HostUser { name: string; uid: number; gid: number; home: string }

/** A user of this host by name or uid (`NAME[:GROUP]` as podman takes it). */
function lookupUser(spec: string): HostUser {
  const { parsePasswd } = require('../../engine/spec/user') as typeof import('../../engine/spec/user');
  const name = spec.split(':')[0];
  let entries: ReturnType<typeof parsePasswd> = [];
  try { entries = parsePasswd(fs.readFileSync('/etc/passwd', 'utf8')); } catch { /* none */ }
  const e = entries.find((x) => String(x.uid) === name) ?? entries.find((x) => x.name === name);
  if (!e) throw new PierError(`user: unknown user ${name}`);
  return { name: e.name, uid: e.uid, gid: e.gid, home: e.home };
}

function currentUserName(): string {
  if (process.env.USER) return process.env.USER;
  try { return os.userInfo().username; } catch (e) { throw new PierError(`could not obtain user, make sure the environmental variable $USER is set: ${errorMessage(e)}`); }
}

/**
 * A pier process of `as` (this process's own user when undefined): podman's clean environment
 * (PATH and TERM; pier's own PIER_* settings kept) unless `keepEnv`, the other user's credentials
 * and no supplementary groups. `capture`: its standard output is returned instead of shown.
 */
export function runPier(as: HostUser | undefined, argv: string[], capture: boolean, keepEnv = false): string {
  let env: NodeJS.ProcessEnv | undefined;
  if (!keepEnv) {
    env = { PATH: process.env.PATH, TERM: process.env.TERM };
    for (const [k, v] of Object.entries(process.env)) if (k.startsWith('PIER_')) env[k] = v;
  }
  const myUid = process.getuid ? process.getuid() : 0;
  let cmd = [...selfCommand(), ...argv];
  const opts: SpawnSyncOptions = { stdio: ['inherit', capture ? 'pipe' : 'inherit', 'inherit'], env };
  if (as && as.uid !== myUid) {
    if (myUid === 0) Object.assign(opts, { uid: as.uid, gid: as.gid, cwd: '/' });
    else if (as.uid === 0) cmd = ['sudo', ...cmd];
    else throw new PierError(`cannot run pier as ${as.name}: only root can transfer images between other users`);
  }
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(cmd[0], cmd.slice(1), opts);
  if (r.error) throw new PierError(`exec: ${r.error.message}`);
  if (r.status !== 0) throw new PierError(`exit status ${r.status ?? 128 + (os.constants.signals[r.signal as NodeJS.Signals] ?? 0)}`);
  return capture ? String(r.stdout) : '';
}

/** The image a `load` says it loaded: the last word of its output (podman's ExtractImage). */
export function loadedImage(out: string): string {
  return out.trim().split(' ').pop()!;
}

/**
 * `load` of `file` by `run` (a pier of the loading side); with `tag`, its output is shown and
 * what it loaded is tagged `tag`.
 */
export function loadTagged(run: (argv: string[], capture: boolean) => string, file: string, tag: string | undefined, q: string[]): void {
  if (!tag) { run(['load', ...q, '--input', file], false); return; }
  const out = run(['load', ...q, '--input', file], true);
  writeStdout(`${out.replace(/\n$/, '')}\n`);
  run(['tag', loadedImage(out), tag], false);
}

/** A fresh, private file for the archive, owned by `owner` (who writes it) when that is another user. */
function tempArchive(owner: HostUser | undefined): string {
  const file = path.join(os.tmpdir(), `pier${Math.random().toString().slice(2, 11)}`);
  fs.writeFileSync(file, '', { mode: 0o600, flag: 'wx' });
  if (owner && (process.getuid ? process.getuid() : 0) === 0) fs.chownSync(file, owner.uid, owner.gid);
  return file;
}

/** Between two users of this host: `save` as the source's, `load` (and `tag`) as the destination's. */
function localTransfer(ctx: Ctx, src: ScpLocation, dst: ScpLocation, quiet: boolean): void {
  const me = process.getuid ? process.getuid() : 0;
  const from = lookupUser(src.user || currentUserName());
  let to: HostUser;
  if (dst.user) to = lookupUser(dst.user);
  else if (from.uid !== 0) to = lookupUser('0');
  else {
    const sudoUser = process.env.SUDO_USER;
    if (!sudoUser) throw new PierError('$SUDO_USER must be defined to find the default rootless user');
    to = lookupUser(sudoUser);
  }
  // The store options name this user's store: only the pier of this user gets them.
  const globals = forwardedGlobals(ctx);
  const flagsFor = (u: HostUser) => (u.uid === me ? globals : []);
  const q = quiet ? ['-q'] : [];
  const file = tempArchive(from.uid !== me ? from : to.uid !== me ? to : undefined);
  try {
    runPier(from, [...flagsFor(from), 'save', ...q, '--output', file, src.image], false);
    // The loading user reads the file the saving one wrote.
    if (me === 0 && to.uid !== from.uid) fs.chownSync(file, to.uid, to.gid);
    loadTagged((argv, capture) => runPier(to, [...flagsFor(to), ...argv], capture), file, dst.tag, q);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

export const imageScpCmd: CommandDef = {
  name: 'scp',
  summary: 'securely copy images',
  description: 'Securely copy an image from one host to another.',
  usage: '[options] IMAGE [HOST::]',
  example: 'pier image scp myimage:latest otherhost::',
  minArgs: 1,
  maxArgs: 2,
  flags: [{ name: 'quiet', short: 'q', type: 'bool', help: 'Suppress the output' }],
  async run(ctx: Ctx, args, opts) {
    const [src, dst] = scpLocations(args);
    if (ctx.remoteUri) {
      // podman-remote's refusal of transfers between users; pier's client does not run hosts' transfers either.
      if (src.user || dst.user) throw new UsageError('cannot use the user transfer function on the remote client: invalid argument');
      throw new PierError('transfers between hosts are not supported by the remote pier client: run image scp locally');
    }
    if (src.host || dst.host) {
      const { remoteTransfer } = require('./image-scp-ssh') as typeof import('./image-scp-ssh');
      await remoteTransfer(ctx, src, dst, !!opts.quiet);
      return;
    }
    localTransfer(ctx, src, dst, !!opts.quiet);
  },
};
