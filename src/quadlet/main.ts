// pier-quadlet: the systemd generator that turns .container, .volume, .network and .kube files
// into service units running pier, with the command line of podman 4.6's quadlet
// (docs/quadlet.md). Its own small bundle (dist/pier-quadlet): generators run early at boot
// and on every `systemctl daemon-reload`, so it loads none of pier's CLI.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { convertContainer, convertKube, convertNetwork, convertVolume, ConvertError, INSTALL, type ConvertContext } from './convert';
import { UnitFile } from './unitfile';
import { parseGroup, parsePasswd } from '../engine/spec/user';

const PROGRAM = 'pier-quadlet';
const VERSION = typeof PIER_VERSION === 'string' ? PIER_VERSION : '0.0.0-dev';
/** pier's own directories (podman's are /etc/containers/systemd and /usr/share/containers/systemd). */
const UNIT_DIR_ADMIN = '/etc/pier/systemd';
const UNIT_DIR_DISTRO = '/usr/share/pier/systemd';
const EXTENSIONS = ['.container', '.volume', '.kube', '.network'];

interface Flags { dryrun: boolean; noKmsg: boolean; user: boolean; verbose: boolean; version: boolean }
const FLAGS: [name: string, field: keyof Flags, help: string][] = [
  ['dryrun', 'dryrun', 'Run in dryrun mode printing debug information'],
  ['no-kmsg-log', 'noKmsg', "Don't log to kmsg"],
  ['user', 'user', 'Run as systemd user'],
  ['v', 'verbose', 'Print debug information'],
  ['version', 'version', 'Print version information and exit'],
];

class UsageExit extends Error {
  constructor(readonly code: number, msg: string) { super(msg); }
}

function usage(argv0: string): string {
  const lines = [
    `Usage of ${argv0}:`,
    `  ${PROGRAM} [-dryrun] [-user] [-v] [-no-kmsg-log] [normal-dir [early-dir] [late-dir]]`,
    '',
    'Generates systemd services that run pier from the .container, .volume, .network and .kube',
    `files in ${UNIT_DIR_ADMIN} and ${UNIT_DIR_DISTRO} (with -user, or a program name holding`,
    '"user": $XDG_CONFIG_HOME/pier/systemd, /etc/pier/systemd/users/$UID, /etc/pier/systemd/users),',
    'or in the colon-separated directories of $PIER_QUADLET_UNIT_DIRS. The units go to normal-dir;',
    'with -dryrun they are printed. See docs/quadlet.md.',
    '',
  ];
  // Go's flag package layout: a one-letter flag's help on its own line, others' on the next.
  for (const [name, , help] of [...FLAGS].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(name.length === 1 ? `  -${name}\t${help}` : `  -${name}\n    \t${help}`);
  }
  return lines.join('\n') + '\n';
}

/** Go's flag parsing: `-name` or `--name`, `=value` for booleans, stopping at `--` or the first argument. */
export function parseArgs(args: string[], argv0: string): { flags: Flags; rest: string[] } {
  const flags: Flags = { dryrun: false, noKmsg: false, user: false, verbose: false, version: false };
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { i++; break; }
    if (a.length < 2 || a[0] !== '-') break;
    const body = a.slice(a[1] === '-' ? 2 : 1);
    if (body === '' || body[0] === '-' || body[0] === '=') throw new UsageExit(2, `bad flag syntax: ${a}\n${usage(argv0)}`);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'h' || name === 'help') throw new UsageExit(0, usage(argv0));
    const f = FLAGS.find(([n]) => n === name);
    if (!f) throw new UsageExit(2, `flag provided but not defined: -${name}\n${usage(argv0)}`);
    let value = true;
    if (eq >= 0) {
      const v = body.slice(eq + 1);
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) value = true;
      else if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) value = false;
      else throw new UsageExit(2, `invalid boolean value "${v}" for -${name}: parse error\n${usage(argv0)}`);
    }
    flags[f[1]] = value;
  }
  return { flags, rest: args.slice(i) };
}

class Logger {
  private kmsg: number | undefined;
  private noKmsg: boolean;
  constructor(noKmsg: boolean, private readonly toStderr: boolean, private readonly debug: boolean) { this.noKmsg = noKmsg; }

  /** To the kernel log (the only log a generator has at boot); to stderr when that fails or in a dry run. */
  log(msg: string): void {
    const line = `${PROGRAM}[${process.pid}]: ${msg}`;
    let logged = false;
    if (!this.noKmsg) {
      try {
        if (this.kmsg === undefined) this.kmsg = fs.openSync('/dev/kmsg', fs.constants.O_WRONLY);
        fs.writeSync(this.kmsg, line);
        logged = true;
      } catch {
        this.noKmsg = true;
      }
    }
    if (!logged || this.toStderr) process.stderr.write(`${line}\n`);
  }

  debugf(msg: string): void {
    if (this.debug) this.log(msg);
  }
}

/** Where the quadlet files are read from, in order (a file name found in an earlier one wins). */
export function unitDirs(user: boolean, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.PIER_QUADLET_UNIT_DIRS) return env.PIER_QUADLET_UNIT_DIRS.split(':');
  if (!user) return [UNIT_DIR_ADMIN, UNIT_DIR_DISTRO];
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  const uid = process.getuid ? process.getuid() : 0;
  return [path.join(config, 'pier', 'systemd'), path.join(UNIT_DIR_ADMIN, 'users', String(uid)), path.join(UNIT_DIR_ADMIN, 'users')];
}

/** The pier the units run: $PIER, else the pier.js next to this program (symlinks resolved). */
function pierPath(): string {
  if (process.env.PIER) return process.env.PIER;
  const self = path.resolve(process.argv[1] ?? PROGRAM);
  let dir = path.dirname(self);
  try { dir = path.dirname(fs.realpathSync(self)); } catch { /* as invoked */ }
  return path.join(dir, 'pier.js');
}

function idLookup(kind: 'user' | 'group', name: string): number | undefined {
  try {
    if (kind === 'user') return parsePasswd(fs.readFileSync('/etc/passwd', 'utf8')).find((e) => e.name === name)?.uid;
    return parseGroup(fs.readFileSync('/etc/group', 'utf8')).find((e) => e.name === name)?.gid;
  } catch {
    return undefined;
  }
}

/** A fully qualified name or an image ID: what a unit should name (a short name is resolved at every start). */
function isUnambiguous(image: string): boolean {
  if (image.startsWith('sha256:') || /^[0-9a-fA-F]{64}$/.test(image)) return true;
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const domain = image.slice(0, slash);
  return /[.:]/.test(domain) || domain === 'localhost';
}

/** The symlinks `systemctl enable` would make for the unit's [Install] section (Alias, WantedBy, RequiredBy). */
function enable(outDir: string, service: UnitFile, log: Logger): void {
  const links = [
    ...service.lookupAllStrv(INSTALL, 'Alias').map((a) => path.normalize(a)),
    ...service.lookupAllStrv(INSTALL, 'WantedBy').filter((u) => !u.includes('/')).map((u) => `${u}.wants/${service.filename}`),
    ...service.lookupAllStrv(INSTALL, 'RequiredBy').filter((u) => !u.includes('/')).map((u) => `${u}.requires/${service.filename}`),
  ];
  for (const rel of links) {
    const target = path.relative(path.dirname(rel), service.filename);
    const link = path.join(outDir, rel);
    try {
      fs.mkdirSync(path.dirname(link), { recursive: true });
      log.debugf(`Creating symlink ${link} -> ${target}`);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(target, link);
    } catch (e) {
      log.log(`Failed creating symlink ${link}: ${(e as Error).message}`);
    }
  }
}

/** Runs the generator; returns its exit code (0, or 1 when any file failed). */
export function generate(args: string[], argv0: string): number {
  let parsed;
  try {
    parsed = parseArgs(args, argv0);
  } catch (e) {
    if (!(e instanceof UsageExit)) throw e;
    process.stderr.write(e.message);
    return e.code;
  }
  const { flags, rest } = parsed;
  if (flags.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // Installed as a user generator (a name with "user" in it), it makes user units.
  const user = flags.user || path.basename(argv0).includes('user');
  const log = new Logger(flags.noKmsg || flags.dryrun, flags.dryrun, flags.verbose || flags.dryrun);
  const errors: string[] = [];
  const fail = (msg: string) => { errors.push(msg); log.log(msg); };
  if (!flags.dryrun && rest.length < 1) {
    fail('missing output directory argument');
    return 1;
  }
  const outDir = flags.dryrun ? '' : rest[0];
  if (!flags.dryrun) log.debugf(`Starting ${PROGRAM}, output to: ${outDir}`);

  const dirs = unitDirs(user);
  const units = new Map<string, UnitFile>();
  const seen = new Set<string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') fail(`can't read "${dir}": ${(e as Error).message}`);
      continue;
    }
    for (const name of names) {
      if (seen.has(name) || !EXTENSIONS.includes(path.extname(name))) continue;
      const file = path.join(dir, name);
      log.debugf(`Loading source unit file ${file}`);
      try {
        units.set(name, UnitFile.parse(fs.readFileSync(file, 'utf8'), name, file));
        seen.add(name);
      } catch (e) {
        fail(`error loading "${file}", ${(e as Error).message}`);
      }
    }
  }
  if (units.size === 0) {
    log.debugf(`No files parsed from [${dirs.join(' ')}]`);
    return errors.length ? 1 : 0;
  }
  if (!flags.dryrun) {
    try {
      fs.mkdirSync(outDir, { recursive: true });
    } catch (e) {
      fail((e as Error).message);
      return 1;
    }
  }
  const ctx: ConvertContext = { pier: pierPath(), user, lookupId: idLookup };
  for (const [name, unit] of [...units].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let service: UnitFile;
    try {
      switch (path.extname(name)) {
        case '.container': {
          const image = unit.lookup('Container', 'Image');
          if (image && !isUnambiguous(image)) {
            log.log(`Warning: ${name} specifies the image "${image}" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.`);
          }
          service = convertContainer(unit, ctx);
          break;
        }
        case '.volume': service = convertVolume(unit, ctx); break;
        case '.network': service = convertNetwork(unit, ctx); break;
        default: service = convertKube(unit, ctx); break;
      }
    } catch (e) {
      if (!(e instanceof ConvertError)) throw e;
      fail(`converting "${name}": ${e.message}`);
      continue;
    }
    const file = path.join(outDir, service.filename);
    if (flags.dryrun) {
      process.stdout.write(`---${file}---\n${service.toString()}\n`);
      continue;
    }
    log.debugf(`writing "${file}"`);
    service.prependComments('', `Automatically generated by ${argv0}`, '');
    try {
      fs.writeFileSync(file, service.toString());
    } catch (e) {
      fail(`generating service file ${file}: ${(e as Error).message}`);
    }
    enable(outDir, service, log);
  }
  return errors.length ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = generate(process.argv.slice(2), process.argv[1] ?? PROGRAM);
}
