// OCI hooks as podman 4.3 injects them (its containers/common hooks package; oci-hooks(5)): the
// `*.json` files of the hook directories (later directories replace same-named files), in the
// 1.0.0 schema or the deprecated 0.1.0 one, matched against each start's spec and put into its
// `hooks` in file-name order. Two stages are the engine's own, as podman's: `precreate` hooks
// get the proposed config.json on stdin and write the config to use on stdout; `poststop` hooks
// stay out of config.json (pier never runs `runtime delete`) and are run by pier when it removes
// the runtime's state, with the container's state on stdin.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError, errnoText, readFileErrorText } from '../util/errors';
import { log } from '../util/log';
import { goSignalText } from '../util/signals';
import { goDecode, goSyntaxError, type GoStruct } from '../util/go-json-errors';
import type { OciSpec } from './spec/types';
import { DEFAULT_HOOKS_DIRS } from '../config/config';

/** One hook as the runtime spec has it. */
export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

interface When {
  always?: boolean;
  annotations?: Record<string, string>;
  commands?: string[];
  hasBindMounts?: boolean;
  /** 0.1.0 files: any one condition is enough. */
  or?: boolean;
}

interface HookFile {
  hook: OciHook;
  when: When;
  stages: string[];
}

/** The runtime spec's stages, in its `hooks` object's order. */
const OCI_STAGES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
/** The stages pier runs itself (podman's extension stages). */
const ENGINE_STAGES = ['precreate', 'poststop'];

/** A hook file or directory podman would refuse: the start fails with it. */
export class HooksError extends PierError {
  /** What is wrong, without the start's `setting up OCI Hooks: ` (a build step says it otherwise). */
  readonly reason: string;
  constructor(message: string) { super(`setting up OCI Hooks: ${message}`); this.name = 'HooksError'; this.reason = message; }
}

/** A hook file's error, and whether Go's errors.Is(err, fs.ErrNotExist) holds for it. */
class FileError extends Error {
  constructor(message: string, readonly notExist = false) { super(message); }
}

const HOOK_100: GoStruct = {
  struct: 'Hook', goName: 'hook.Hook', fields: {
    version: 'string',
    hook: { struct: 'Hook', goName: 'specs.Hook', fields: { path: 'string', args: '[]string', env: '[]string', timeout: 'int' } },
    when: { struct: 'When', goName: 'hook.When', fields: { always: 'bool', annotations: 'map[string]string', commands: '[]string', hasBindMounts: 'bool' } },
    stages: '[]string',
  },
};

const HOOK_010: GoStruct = {
  struct: 'Hook', goName: 'hook.Hook', fields: {
    hook: 'string', arguments: '[]string', stages: '[]string', stage: '[]string', cmds: '[]string', cmd: '[]string',
    annotations: '[]string', annotation: '[]string', hasbindmounts: 'bool',
  },
};

/**
 * The hooks of `dirs` by file name (a later directory's file replaces an earlier one's). A
 * missing directory is skipped; a directory with a bad file fails, unless the first error in it
 * (by name) was a file that does not exist, which podman 4.3 takes for a missing directory.
 * `engineStages`: the stages besides the runtime's that files may name (a build's: none).
 */
export function loadHooks(dirs: readonly string[], engineStages: readonly string[] = ENGINE_STAGES): Map<string, HookFile> {
  const hooks = new Map<string, HookFile>();
  for (const dir of dirs) {
    log.debug(`reading hooks from ${dir}`);
    // Most hosts have no hook directory: told without an exception (~0.3 ms each in every start).
    if (!fs.statSync(dir, { throwIfNoEntry: false })) continue;
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      throw new HooksError(code === 'ENOTDIR' ? `readdirent ${dir}: ${errnoText(e)}` : `open ${dir}: ${errnoText(e)}`);
    }
    let message: string | undefined;
    let ignored = false;
    for (const name of names) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(dir, name);
      try {
        hooks.set(name, readHook(file, engineStages));
        log.debug(`added hook ${file}`);
      } catch (e) {
        // A dangling link is skipped.
        if (e instanceof FileError && e.notExist && e.message.startsWith(`open ${file}:`)) continue;
        const m = (e as Error).message;
        if (message === undefined) { message = m; ignored = e instanceof FileError && e.notExist; } else message = `${m}: ${message}`;
      }
    }
    if (message !== undefined && !ignored) throw new HooksError(message);
  }
  return hooks;
}

function readHook(file: string, engineStages: readonly string[]): HookFile {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) {
    throw new FileError(readFileErrorText(e, file), (e as NodeJS.ErrnoException).code === 'ENOENT');
  }
  let hook: HookFile;
  try { hook = parseHook(text); } catch (e) { throw new FileError(`parsing hook ${JSON.stringify(file)}: ${(e as Error).message}`); }
  validate(hook, engineStages);
  return hook;
}

/** A hook file's text as podman reads it: its version first, then the schema of that version. */
function parseHook(text: string): HookFile {
  const syntax = goSyntaxError(text);
  if (syntax) throw new Error(`version check: ${syntax}`);
  const raw: unknown = JSON.parse(text);
  const ver = goDecode(raw, { struct: 'version', goName: 'hooks.version', fields: { version: 'string' } }, 'hooks.version');
  if (ver.error) throw new Error(`version check: ${ver.error}`);
  const version = (ver.value.version as string | undefined) ?? '';
  if (version === '1.0.0') {
    const r = goDecode(raw, HOOK_100, 'hook.Hook');
    if (r.error) throw new Error(`1.0.0: ${r.error}`);
    const v = r.value as { hook?: OciHook; when?: When; stages?: string[] };
    return { hook: v.hook ?? { path: '' }, when: v.when ?? {}, stages: v.stages! };
  }
  if (version === '0.1.0' || version === '') {
    try { return parseHook010(raw); } catch (e) { throw new Error(`${version}: ${(e as Error).message}`); }
  }
  throw new Error(`unrecognized hook version: ${JSON.stringify(version)}`);
}

/** The deprecated 0.1.0 schema, as podman still reads it (its conditions are any-of). */
function parseHook010(raw: unknown): HookFile {
  const r = goDecode(raw, HOOK_010, 'hook.Hook');
  if (r.error) throw new Error(r.error);
  const v = r.value as Record<string, any>;
  if (v.hook === undefined) throw new Error('missing required property: hook');
  const either = (a: string, b: string): string[] | undefined => {
    if (v[a] !== undefined && v[b] !== undefined) throw new Error(`cannot set both '${b}' and '${a}'`);
    return v[a] ?? v[b];
  };
  const stages = either('stages', 'stage');
  if (stages === undefined) throw new Error('missing required property: stages');
  const cmds = either('cmds', 'cmd');
  const annotations = either('annotations', 'annotation');
  const hook: OciHook = { path: v.hook };
  if (v.arguments !== undefined) hook.args = [v.hook, ...v.arguments];
  const when: When = { or: true };
  if (cmds !== undefined) when.commands = cmds;
  if (v.hasbindmounts !== undefined) when.hasBindMounts = v.hasbindmounts;
  if (annotations !== undefined) when.annotations = { '.*': annotations.join('|') };
  return { hook, when, stages };
}

/** podman's load-time checks, in its order and words. */
function validate(h: HookFile, engineStages: readonly string[]): void {
  if (!h.hook.path) throw new FileError('missing required property: hook.path');
  try { fs.statSync(h.hook.path); } catch (e) {
    throw new FileError(`stat ${h.hook.path}: ${errnoText(e)}`, (e as NodeJS.ErrnoException).code === 'ENOENT');
  }
  for (const [key, value] of Object.entries(h.when.annotations ?? {})) {
    checkRegexp(key, `invalid annotation key ${JSON.stringify(key)}`);
    checkRegexp(value, `invalid annotation value ${JSON.stringify(value)}`);
  }
  for (const c of h.when.commands ?? []) checkRegexp(c, `invalid command ${JSON.stringify(c)}`);
  if (h.stages === undefined) throw new FileError('missing required property: stages');
  for (const s of h.stages) {
    if (!(OCI_STAGES as readonly string[]).includes(s) && !engineStages.includes(s)) throw new FileError(`unknown stage ${JSON.stringify(s)}`);
  }
}

const regexps = new Map<string, RegExp>();

/**
 * A Go (RE2) regular expression as a JavaScript one: `(?P<name>` groups, leading `(?flags)`, and
 * `\A`/`\z` translated. Matching is a search, as Go's MatchString.
 */
function goRegexp(pattern: string): RegExp {
  let re = regexps.get(pattern);
  if (re) return re;
  let src = pattern.replace(/\(\?P</g, '(?<').replace(/\\A/g, '^').replace(/\\z/g, '$(?![\\s\\S])');
  let flags = '';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m && !m[1].includes('U')) { flags = m[1]; src = src.slice(m[0].length); }
  re = new RegExp(src, flags);
  regexps.set(pattern, re);
  return re;
}

/** Compiles `pattern`, failing in Go's regexp/syntax words (`error parsing regexp: missing closing ): \`(\``). */
function checkRegexp(pattern: string, what: string): void {
  try { goRegexp(pattern); } catch (e) {
    const js = (e as Error).message;
    let why: string;
    if (/Unterminated group/.test(js)) why = `missing closing ): \`${pattern}\``;
    else if (/Unterminated character class/.test(js)) why = `missing closing ]: \`${pattern.slice(pattern.lastIndexOf('['))}\``;
    else if (/Unmatched '\)'/.test(js)) why = `unexpected ): \`${pattern}\``;
    else if (/Nothing to repeat/.test(js)) {
      const op = /(?:^|[^\\])([*+?]|\{\d+(?:,\d*)?\})([*+?]|\{\d+(?:,\d*)?\})/.exec(pattern);
      why = op ? `invalid nested repetition operator: \`${op[1]}${op[2]}\`` : `missing argument to repetition operator: \`${(/[*+?]/.exec(pattern) ?? ['*'])[0]}\``;
    } else why = `invalid or unsupported Perl syntax: \`${pattern}\``;
    throw new FileError(`${what}: error parsing regexp: ${why}`);
  }
}

/** podman's When.Match: the conditions all hold (0.1.0 files: any one does). */
function matches(when: When, spec: OciSpec, annotations: Record<string, string>, hasBindMounts: boolean): boolean {
  let n = 0;
  if (when.always !== undefined) {
    if (when.always) { if (when.or) return true; n++; } else if (!when.or) return false;
  }
  if (when.hasBindMounts !== undefined) {
    if (when.hasBindMounts && hasBindMounts) { if (when.or) return true; n++; } else if (!when.or) return false;
  }
  for (const [kp, vp] of Object.entries(when.annotations ?? {})) {
    const hit = Object.entries(annotations).some(([k, v]) => goRegexp(kp).test(k) && goRegexp(vp).test(v));
    if (hit) { if (when.or) return true; n++; } else if (!when.or) return false;
  }
  if (spec.process && when.commands?.length) {
    const cmd = spec.process.args?.[0];
    if (cmd === undefined) throw new Error('process.args must have at least one entry');
    return when.commands.some((c) => goRegexp(c).test(cmd));
  }
  return n > 0;
}

/** What a start does with the hooks that match it: the ones pier runs itself. */
export interface EngineHooks {
  precreate: OciHook[];
  poststop: OciHook[];
}

/**
 * Puts the matching hooks of `hooks` into `spec` (a new object, `hooks` after `mounts` as podman
 * writes it), sorted by file name, case folded, after those it has; returns the precreate and
 * poststop ones, and whether any hook matched.
 * `annotations` are the container's own (its create-time ones, as podman matches them).
 */
export function injectHooks(spec: OciSpec, hooks: Map<string, HookFile>, annotations: Record<string, string>, hasBindMounts: boolean): { spec: OciSpec; matched: boolean } & EngineHooks {
  const byStage: Record<string, OciHook[]> = {};
  let matched = false;
  const names = [...hooks.keys()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0));
  for (const name of names) {
    const h = hooks.get(name)!;
    let hit: boolean;
    try { hit = matches(h.when, spec, annotations, hasBindMounts); } catch (e) { throw new HooksError(`matching hook ${JSON.stringify(name)}: ${(e as Error).message}`); }
    if (!hit) { log.debug(`hook ${name} did not match`); continue; }
    log.debug(`hook ${name} matched; adding to stages [${h.stages.join(' ')}]`);
    matched = true;
    const hook: OciHook = { path: h.hook.path };
    if (h.hook.args) hook.args = h.hook.args;
    if (h.hook.env) hook.env = h.hook.env;
    if (h.hook.timeout !== undefined) hook.timeout = h.hook.timeout;
    for (const s of h.stages) (byStage[s] ??= []).push(hook);
  }
  const engine = { precreate: byStage.precreate ?? [], poststop: byStage.poststop ?? [] };
  if (!matched) return { spec, matched, ...engine };
  const had = (spec as { hooks?: Record<string, OciHook[]> }).hooks ?? {};
  const oci: Record<string, OciHook[]> = {};
  for (const s of OCI_STAGES) {
    const all = [...(had[s] ?? []), ...(s !== 'poststop' ? byStage[s] ?? [] : [])];
    if (all.length) oci[s] = all;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'hooks') continue;
    out[k] = v;
    if (k === 'mounts') out.hooks = oci;
  }
  if (!('hooks' in out)) out.hooks = oci;
  return { spec: out as unknown as OciSpec, matched, ...engine };
}

/** podman 4.3's other hook directory, which a build reads (as root) when given none. */
const OVERRIDE_HOOKS_DIR = '/etc/containers/oci/hooks.d';

/**
 * A build step's hooks, as buildah 1.28 (podman 4.3's build) sets them up: the build's
 * --hooks-dir directories (`dirs`), else, as root only, /usr/share/containers/oci/hooks.d and
 * then /etc/containers/oci/hooks.d, each on its own (with buildah's deprecation warning once
 * any hook matched). Files may name the runtime's stages only (no precreate); poststop hooks
 * are pier's to run, as for any container. A bad file throws a HooksError.
 */
export function injectBuildHooks(spec: OciSpec, dirs: readonly string[] | undefined, rootless: boolean, annotations: Record<string, string>, hasBindMounts: boolean): { spec: OciSpec; poststop: OciHook[] } {
  if (dirs?.length) {
    const r = injectHooks(spec, loadHooks(dirs, []), annotations, hasBindMounts);
    return { spec: r.spec, poststop: r.poststop };
  }
  if (rootless) return { spec, poststop: [] };
  const poststop: OciHook[] = [];
  let matched = false;
  for (const dir of [DEFAULT_HOOKS_DIRS[0], OVERRIDE_HOOKS_DIR]) {
    const r = injectHooks(spec, loadHooks([dir], []), annotations, hasBindMounts);
    matched ||= r.matched;
    if (matched) log.warn(`Implicit hook directories are deprecated; set --hooks-dir=${JSON.stringify(dir)} explicitly to continue to load ociHooks from this directory`);
    spec = r.spec;
    poststop.push(...r.poststop);
  }
  return { spec, poststop };
}

/** Go's `%v` of a string slice. */
const goList = (a: readonly string[] | undefined) => `[${(a ?? []).join(' ')}]`;

/**
 * Runs one hook as podman's hooks/exec.Run: its path with its args (argv[0] included) and env
 * only, `input` on stdin; killed at its timeout (`context deadline exceeded`). Resolves to its
 * stdout; rejects in podman's words (`executing [ARGS]: exit status 3`).
 */
export async function runHook(hook: OciHook, input: string): Promise<{ stdout: string; stderr: string }> {
  const { spawnCollect } = require('../util/spawn') as typeof import('../util/spawn');
  const args = hook.args ?? [];
  const env = Object.fromEntries((hook.env ?? []).map((e) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
  let r: import('../util/spawn').SpawnResult;
  try {
    r = await spawnCollect(hook.path, args.slice(1), { argv0: args[0] ?? hook.path, env, input, ...(hook.timeout !== undefined ? { timeoutMs: hook.timeout * 1000 } : {}) });
  } catch (e) {
    throw new Error(`fork/exec ${hook.path}: ${errnoText(e)}`);
  }
  const result = { stdout: r.stdout, stderr: r.stderr };
  if (r.timedOut) throw Object.assign(new Error('context deadline exceeded'), result);
  if (r.code !== 0) throw Object.assign(new Error(`executing ${goList(hook.args)}: ${r.signal ? `signal: ${goSignalText(r.signal)}` : `exit status ${r.code}`}`), result);
  return result;
}

/**
 * podman's precreate stage: each hook in turn gets the config (`serialized`) on stdin and gives
 * the one to use on stdout. Fails as podman's start does (the hook's error, or its output that
 * is not JSON).
 */
export async function runPrecreate(id: string, hooks: readonly OciHook[], serialized: string): Promise<OciSpec> {
  let data = serialized;
  let spec: OciSpec = JSON.parse(data);
  for (let i = 0; i < hooks.length; i++) {
    try {
      data = (await runHook(hooks[i], data)).stdout;
      const bad = goSyntaxError(data);
      if (bad) throw new Error(`unmarshal output from config-filter hook ${i}: ${bad}`);
      spec = parseSpecJSON(data);
    } catch (e) {
      log.warn(`Container ${id}: precreate hook: ${(e as Error).message}`);
      throw new HooksError((e as Error).message);
    }
  }
  return spec;
}

/** JSON with uint64 values beyond JavaScript's exact integers kept as bigint (serializeSpec writes them back). */
function parseSpecJSON(text: string): OciSpec {
  const marker = '\u0000bigint:';
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|\d{16,}/g, (t) => (t[0] !== '"' && !Number.isSafeInteger(Number(t)) ? JSON.stringify(marker + t) : t));
  return JSON.parse(marked, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(marker) ? BigInt(v.slice(marker.length)) : v));
}

/**
 * Runs the poststop hooks after the runtime's state is gone, `state` (the runtime state, status
 * `stopped`) on their stdin. A failure is a warning, as podman's.
 */
export async function runPoststop(id: string, hooks: readonly OciHook[], state: string): Promise<void> {
  for (let i = 0; i < hooks.length; i++) {
    log.debug(`container ${id}: invoke poststop hook ${i}, path ${hooks[i].path}`);
    try {
      await runHook(hooks[i], state);
    } catch (e) {
      log.warn(`Container ${id}: poststop hook ${i}: ${(e as Error).message}`);
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      if (stdout) log.debug(`container ${id}: poststop hook ${i}: stdout:\n${stdout}`);
      if (stderr) log.debug(`container ${id}: poststop hook ${i}: stderr:\n${stderr}`);
    }
  }
}
