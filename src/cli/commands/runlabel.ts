// `pier container runlabel LABEL IMAGE [ARG...]` (podman 4.3's): reads the image's LABEL (its name
// matched without regard to case) and runs its value as a command on the host, after podman's
// substitutions: IMAGE, $IMAGE, ${IMAGE} and a trailing =IMAGE become the image's name; NAME
// (and its forms) the --name given or one made from the image's name; then $OPT1..$OPT3 (--opt1..3)
// and $PWD are expanded and every other variable becomes empty. A command `podman` or `docker`
// (or `pier`), bare or as a path, runs pier itself: never podman. --display prints the command.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { CommandDef, FlagDef, Opts } from '../parser';
import type { Ctx } from '../context';
import { PierError, NotFoundError, errorMessage } from '../../util/errors';
import { lookPath, notFoundInPath } from '../../util/look-path';
import { goSignalText } from '../../util/signals';
import { writeStderr, writeStdout } from '../../util/stdio';
import { stderrProgress } from '../progress';
import { forwardedGlobals, selfCommand, selfPath } from '../self-command';
import { authfileFlag, checkAuthFile, credsFlag, registryOptions, tlsVerifyFlag } from './images';

// ---------------------------------------------------------------------------------------
// Word splitting and expansion as podman does them (google/shlex's Split, Go's os.Expand)

/**
 * Splits a command line into words the way google/shlex does: blanks separate words; '...'
 * keeps everything literally; "..." keeps everything but lets a backslash take the next
 * character literally; outside quotes a backslash takes the next character literally; a `#`
 * starting a word comments out the rest of its line. An empty quoted string is a word.
 */
export function shlexSplit(s: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const n = s.length;
  const blank = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
  while (i < n) {
    const c = s[i];
    if (word === undefined) {
      if (blank(c)) { i++; continue; }
      if (c === '#') {
        while (i < n && s[i] !== '\n') i++;
        continue;
      }
      word = '';
    }
    if (blank(c)) {
      words.push(word);
      word = undefined;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= n) throw new PierError('EOF found after escape character');
      word += s[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new PierError('EOF found when expecting closing quote');
      word += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new PierError('EOF found when expecting closing quote');
        const d = s[i];
        if (d === '"') { i++; break; }
        if (d === '\\') {
          if (i + 1 >= n) throw new PierError('EOF found after escape character');
          word += s[i + 1];
          i += 2;
          continue;
        }
        word += d;
        i++;
      }
    } else {
      word += c;
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const SHELL_SPECIAL = new Set(['*', '#', '$', '@', '!', '?', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
const isNameChar = (c: string) => /^[A-Za-z0-9_]$/.test(c);

/**
 * Go's os.Expand: `$NAME` and `${NAME}` (and the one-character shell specials `$1`, `$$`, `${?}`)
 * are replaced by mapping(NAME); a `$` followed by nothing that makes a name stays; a bad `${`
 * or `${}` is dropped.
 */
export function goExpand(s: string, mapping: (name: string) => string): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c !== '$' || i + 1 >= s.length) { out += c; i++; continue; }
    const rest = s.slice(i + 1);
    let name = '';
    let width = 0;
    if (rest[0] === '{') {
      if (rest.length > 2 && SHELL_SPECIAL.has(rest[1]) && rest[2] === '}') {
        name = rest[1];
        width = 3;
      } else {
        const close = rest.indexOf('}', 1);
        if (close < 0) width = 1; // "${" without its brace: dropped
        else if (close === 1) width = 2; // "${}": dropped
        else { name = rest.slice(1, close); width = close + 1; }
      }
    } else if (SHELL_SPECIAL.has(rest[0])) {
      name = rest[0];
      width = 1;
    } else {
      while (width < rest.length && isNameChar(rest[width])) width++;
      name = rest.slice(0, width);
    }
    if (name) out += mapping(name);
    else if (width === 0) out += '$';
    i += 1 + width;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// The command a label stands for

/** IMAGE/NAME in a word: the word itself, `$X`, `${X}`, and `=X` ending it. */
function substitute(word: string, key: 'NAME' | 'IMAGE', value: string): string {
  if (word === key) return value;
  let w = word.split(`$${key}`).join(value).split(`\${${key}}`).join(value);
  if (w.endsWith(`=${key}`)) w = w.split(`=${key}`).join(`=${value}`);
  return w;
}

/** Whether the label's program is a container engine's CLI, which pier stands in for. */
export function isEngineCommand(program: string): boolean {
  return ['podman', 'docker', 'pier'].includes(path.basename(program));
}

/**
 * The default container name: the last path element of the name the image was asked by (of the
 * image's newest name when asked by ID), without its tag.
 */
export function runlabelName(imageName: string, imageId: string, inputName: string): string {
  const from = imageId.startsWith(inputName) ? imageName : inputName;
  const base = from.split('/').pop() ?? '';
  return base.split(':')[0];
}

export interface RunlabelInput {
  /** The label's value. */
  label: string;
  /** The image's newest name (its ID without one). */
  imageName: string;
  /** The container name (--name, or runlabelName()). */
  name: string;
  /** Arguments after IMAGE: appended to the label. */
  args: string[];
  /** --opt1..--opt3 (empty ones expand to nothing). */
  opts: { OPT1?: string; OPT2?: string; OPT3?: string };
  cwd: string;
}

/**
 * The label as argv, as podman 4.3 builds it: the label (plus the extra arguments) split into
 * words, IMAGE and NAME substituted in each word after the first, the words joined again, the
 * variables expanded, and the result split again (so an expansion to nothing leaves no word).
 */
export function runlabelArgv(input: RunlabelInput): string[] {
  const label = input.args.length ? `${input.label} ${input.args.join(' ')}` : input.label;
  const words = shlexSplit(label);
  if (!words.length) throw new PierError(`the label's command is empty`);
  const name = input.name || input.imageName;
  const substituted = [words[0], ...words.slice(1).map((w) => {
    if (w === 'IMAGE=IMAGE') return `IMAGE=${input.imageName}`;
    if (w === 'NAME=NAME') return `NAME=${name}`;
    return substitute(substitute(w, 'NAME', name), 'IMAGE', input.imageName);
  })];
  const expanded = goExpand(substituted.join(' '), (v) => {
    if (v === 'OPT1' || v === 'OPT2' || v === 'OPT3') return input.opts[v] ?? '';
    if (v === 'PWD') return input.cwd;
    return '';
  });
  return shlexSplit(expanded);
}

// ---------------------------------------------------------------------------------------
// Running it


/** Go's exec: a program without a slash is looked up in $PATH (an executable regular file). */
function resolveProgram(file: string): string {
  if (file.includes('/')) return file;
  const found = lookPath(file);
  if (!found) throw new Error(notFoundInPath(file));
  return found;
}

/** Runs argv (its program already resolved); resolves with Go's error text, or '' on success. */
function execute(file: string, args: string[], env: NodeJS.ProcessEnv, quiet: boolean): Promise<string> {
  return new Promise((resolve) => {
    let program: string;
    try { program = resolveProgram(file); } catch (e) { resolve(errorMessage(e)); return; }
    const child = spawn(program, args, { env, stdio: quiet ? 'ignore' : 'inherit', argv0: file });
    child.once('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EACCES' ? 'permission denied' : e.code === 'ENOENT' ? 'no such file or directory' : e.message;
      resolve(`fork/exec ${program}: ${why}`);
    });
    child.once('exit', (code, signal) => {
      if (signal) resolve(`signal: ${goSignalText(signal)}`);
      else resolve(code ? `exit status ${code}` : '');
    });
  });
}

const runlabelFlags: FlagDef[] = [
  authfileFlag,
  { name: 'cert-dir', type: 'string', valueName: 'Pathname', help: 'Pathname of a directory containing TLS certificates and keys' },
  credsFlag,
  { name: 'display', type: 'bool', help: 'Preview the command that the label would run' },
  { name: 'name', short: 'n', type: 'string', help: 'Assign a name to the container' },
  { name: 'opt1', type: 'string', help: 'Optional parameter to pass for install', hidden: true },
  { name: 'opt2', type: 'string', help: 'Optional parameter to pass for install', hidden: true },
  { name: 'opt3', type: 'string', help: 'Optional parameter to pass for install', hidden: true },
  { name: 'pull', short: 'p', type: 'bool', default: true, help: 'Pull the image if it does not exist locally prior to executing the label contents', hidden: true },
  { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output information when installing images' },
  { name: 'replace', type: 'bool', help: 'Replace existing container with a new one from the image' },
  { name: 'signature-policy', type: 'string', help: 'Pathname of signature policy file (not usually used)', hidden: true },
  tlsVerifyFlag,
];

/** The image (pulled when missing, unless --pull=false): its labels, newest name and ID. */
async function findImage(ctx: Ctx, ref: string, opts: Opts): Promise<{ labels: Record<string, string>; name: string; id: string }> {
  let data: Record<string, any> | undefined;
  try { data = await ctx.images().inspect(ref); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
  if (!data) {
    if (opts.pull === false) throw new NotFoundError(`${ref}: image not known`);
    const ids = await ctx.images().pull(ref, { ...registryOptions(opts), progress: opts.quiet ? undefined : stderrProgress() });
    data = await ctx.images().inspect(ids[0] ?? ref);
  }
  const id = String(data.Id ?? '');
  const history: string[] = Array.isArray(data.NamesHistory) ? data.NamesHistory : [];
  const labels = (data.Labels ?? data.Config?.Labels ?? {}) as Record<string, string>;
  return { labels, name: history[0] || id, id };
}

export const runlabelCmd: CommandDef = {
  name: 'runlabel',
  summary: 'Execute the command described by an image label',
  description: 'Executes a command as described by a container image label.',
  usage: '[options] LABEL IMAGE [ARG...]',
  example: ['pier container runlabel run imageID', 'pier container runlabel install imageID arg1 arg2', 'pier container runlabel --display run myImage'].join('\n'),
  flags: runlabelFlags,
  minArgs: 2,
  async run(ctx: Ctx, args, opts) {
    if (opts.changed?.has('pull')) writeStderr('Flag --pull has been deprecated, pier will pull if not found in local storage\n');
    checkAuthFile(opts.authfile);
    const [labelName, ref, ...extra] = args;
    const img = await findImage(ctx, ref, opts);
    const key = Object.keys(img.labels).find((k) => k.toLowerCase() === labelName.toLowerCase());
    const label = key === undefined ? '' : img.labels[key];
    if (!label) throw new PierError(`cannot find the value of label: ${labelName} in image: ${ref}`);
    const optional = { OPT1: opts.opt1 || undefined, OPT2: opts.opt2 || undefined, OPT3: opts.opt3 || undefined };
    const argv = runlabelArgv({
      label, imageName: img.name, name: opts.name || runlabelName(img.name, img.id, ref), args: extra, opts: optional, cwd: process.cwd(),
    });
    // podman's display shows its own path in front of the words after the program, whatever it is.
    if (opts.display) {
      writeStdout(`command: ${[selfPath(), ...argv.slice(1)].join(' ')}\n`);
      return;
    }
    let file = argv[0];
    let progArgs = argv.slice(1);
    if (isEngineCommand(file)) {
      const self = selfCommand();
      file = self[0];
      progArgs = [...self.slice(1), ...forwardedGlobals(ctx), ...progArgs];
    } else if (file.includes('/') || file.startsWith('.')) {
      file = path.resolve(file);
      if (!fs.existsSync(file)) throw new PierError(`stat ${file}: no such file or directory`);
    }
    if (opts.replace) {
      const at = argv.indexOf('--name');
      const name = at >= 0 ? argv[at + 1] : undefined;
      if (name && await ctx.containers().exists(name)) await ctx.containers().remove(name, { force: true });
    }
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(optional)) if (v) env[k] = v;
    env.PODMAN_RUNLABEL_NESTED = '1';
    const failure = await execute(file, progArgs, env, !!opts.quiet);
    if (failure) {
      const shown = isEngineCommand(argv[0]) ? selfPath() : file;
      throw new PierError(`\`${shown} ${argv.slice(1).join(' ')}\` failed: ${failure}`);
    }
  },
};
