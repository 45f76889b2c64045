// Executes a parsed Containerfile: stages from images, scratch or earlier stages; each RUN runs in
// a container through the same conmon + OCI runtime path as `pier run`; COPY/ADD write into a
// working container's rootfs; every step is committed as an image (metadata-only steps without a
// layer) and remembered in the build cache under a key of parent image + step + inputs, so an
// unchanged step is reused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import type { BuildOptions, BuildOutput } from '../domain/build';
import type { LocalContainerEngine } from '../domain/local/containers';
import { ImageRecord, manifestAnnotations } from '../storage/images';
import type { ContainerConfig as ImageConfigBody } from '../image/archive/changes';
import { parseContainerfile, expandVars, labelPairs, parseKeyValues, processWord, splitWords, Instruction, ParsedFile } from './parser';
import { loadIgnore, IgnoreMatcher } from './ignore';
import { BuildPlatform, parsePlatform, buildHostPlatform, platformArgs, platformString, imageFits } from './platform';
import { copyIntoRootfs, CopySource, contentDigest } from './copy';
import { commitContainer, writeConfigImage } from '../engine/commit';
import { containerDirs, mountRootfs, unmountRootfs } from '../engine/rootfs';
import { PierError, UsageError, NotFoundError, ConflictError, errorMessage, errnoText } from '../util/errors';
import { OciRuntimeError } from '../engine/runtime';
import { immediate } from '../storage/db';
import { log } from '../util/log';

const DEFAULT_SHELL = ['/bin/sh', '-c'];
const PREDEFINED_ARGS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

interface Stage {
  index: number;
  name?: string;
  from: Instruction;
  steps: Instruction[];
  /** --from: the image that replaces this (the first) stage's FROM. */
  fromOverride?: string;
}

interface StageState {
  image: ImageRecord;
  /**
   * The stage's FROM as buildah takes it, which names the stage's first container: the image as
   * written, an earlier stage by its image's id, '' for scratch.
   */
  fromSpec: string;
  /** The image the stage started from (containers of later images are named by their ids). */
  baseId: string;
  config: ImageConfigBody;
  args: Record<string, string | undefined>;
  /** Build args declared in this stage (they enter RUN's environment and cache keys). */
  declared: Set<string>;
  author?: string;
  platform?: { os: string; architecture: string; variant?: string };
  /** CMD was set in this stage (an ENTRYPOINT only resets an inherited CMD). */
  cmdSet?: boolean;
  /** The stage's FROM: its image, the reference as written, and whether it is scratch. */
  from: { img: ImageRecord; ref: string; scratch: boolean };
}

export class BuildError extends PierError {}

export class Builder {
  private readonly store;
  private readonly stageImages = new Map<string, string>();
  private readonly tmpContainers = new Set<string>();
  private readonly opts: BuildOptions;
  private file = 'Containerfile';
  /** The base image of the stage built last (what --squash keeps as separate layers). */
  private lastBase?: string;
  /** The last stage's FROM (a build without --layers commits once, from it). */
  private lastFrom?: StageState['from'];
  /** --platform: the platform images are looked up and pulled for (default: the host's). */
  private readonly target?: BuildPlatform;
  /** With --layers=false: the images there were before the build, and those it wrote. */
  private existing?: Set<string>;
  private readonly newImages = new Set<string>();
  /** The step running is the last of the last stage: its id line comes with COMMIT (finish()). */
  private finalStep = false;
  /** ...and it was a cache hit (podman prints no COMMIT line then, unless the image is tagged). */
  private finalCached = false;
  /** The `[n/N] ` of the stage running. */
  private prefix = '';
  /** How many steps (ONBUILD triggers included) the stage built last had. */
  private stageSteps = 0;
  /** --build-context URLs, fetched and extracted once: name → directory. */
  private readonly fetchedContexts = new Map<string, string>();
  private tmpDir?: string;

  constructor(private readonly ce: LocalContainerEngine, opts: BuildOptions, private readonly out: BuildOutput) {
    this.store = ce.store;
    this.opts = { layers: true, rm: true, pull: 'missing', format: 'oci', ...opts };
    if (opts.platform !== undefined && opts.platform !== '') {
      const list = opts.platform.split(',').map((p) => p.trim()).filter(Boolean);
      if (list.length > 1) throw new UsageError(`building for several platforms (--platform ${opts.platform}) needs --manifest, which pier does not support: build once per platform`);
      this.target = parsePlatform(list[0] ?? '');
    }
  }

  private print(s: string): void {
    if (!this.opts.quiet) this.out.write(s.endsWith('\n') ? s : s + '\n');
  }

  /** The ignore file's rules (read at each step that copies from the context). */
  private ignoreRules(): IgnoreMatcher {
    return loadIgnore(this.opts.contextDir, this.opts.ignoreFile, this.opts.containerfileText === undefined ? this.file : undefined);
  }

  private readContainerfile(): { text: string; file: string } {
    if (this.opts.containerfileText !== undefined) return { text: this.opts.containerfileText, file: 'Containerfile' };
    const ctx = this.opts.contextDir;
    let f = this.opts.containerfile;
    if (!f) {
      f = ['Containerfile', 'Dockerfile'].map((n) => path.join(ctx, n)).find((p) => fs.existsSync(p));
      if (!f) throw new UsageError(`no Containerfile or Dockerfile specified or found in context directory, ${ctx}: no such file or directory`);
    } else if (!path.isAbsolute(f) && !fs.existsSync(f) && fs.existsSync(path.join(ctx, f))) {
      f = path.join(ctx, f);
    }
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (e) {
      throw new UsageError(`reading Containerfile ${f}: ${errnoText(e)}`);
    }
    return { text: f.endsWith('.in') ? this.preprocess(f, text) : text, file: f };
  }

  /**
   * A Containerfile named *.in goes through the C preprocessor first (buildah's `cpp -E -iquote
   * CONTEXT -traditional -undef`, then $BUILDAH_CPPFLAGS and --cpp-flag), so it can #include others.
   */
  private preprocess(file: string, text: string): string {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const args = ['-E', '-iquote', this.opts.contextDir, '-traditional', '-undef', '-'];
    if (process.env.BUILDAH_CPPFLAGS) args.push(...splitWords(process.env.BUILDAH_CPPFLAGS).map((w) => w.value));
    args.push(...(this.opts.cppFlags ?? []));
    const r = spawnSync('cpp', args, { input: text, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) {
      const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new PierError(missing ? 'exec: "cpp": executable file not found in $PATH: .in support requires cpp to be installed' : `preprocessing ${file}: ${r.error.message}`);
    }
    const out = r.stdout?.toString() ?? '';
    if (r.status !== 0) {
      if (r.stderr?.length) process.stderr.write(`WARN[0000] Ignoring ${r.stderr.toString()}\n`);
      if (!out) throw new PierError(`preprocessing ${file}: preprocessor produced no output: exit status ${r.status ?? 1}`);
    }
    return out;
  }

  async build(): Promise<{ id: string }> {
    if (!fs.existsSync(this.opts.contextDir) || !fs.statSync(this.opts.contextDir).isDirectory()) {
      throw new UsageError(`context directory ${this.opts.contextDir} does not exist or is not a directory`);
    }
    // The OCI runtime is looked up first, as podman does at start: a missing one fails the
    // build before any container is made.
    this.ce.lifecycle.runtime();
    const { text, file } = this.readContainerfile();
    this.file = file;
    const parsed = parseContainerfile(text, file);
    const stages = this.stages(parsed);
    // --label: as buildah, one `LABEL "key"="value"` step each at the end of the file's last stage.
    const { goQuote } = require('../cli/format/gofmt') as typeof import('../cli/format/gofmt');
    for (const [k, v] of Object.entries(this.opts.labels ?? {})) {
      if (k) stages[stages.length - 1].steps.push(...parseContainerfile(`LABEL ${goQuote(k)}=${goQuote(v)}`, file).instructions);
    }
    let last = stages.length - 1;
    if (this.opts.target) {
      last = stages.findIndex((s) => s.name === this.opts.target!.toLowerCase());
      if (last < 0) throw new UsageError(`the target "${this.opts.target}" was not found in the provided Containerfile`);
    }
    const globalArgs = this.globalArgs(parsed);
    const unused = new Set(Object.keys(this.opts.buildArgs ?? {}));
    // Interrupted (the CLI got SIGINT/SIGTERM): the running step's container is killed, which
    // ends the step; the containers go in the finally below, and the build fails.
    const onAbort = () => {
      for (const id of this.tmpContainers) void this.ce.lifecycle.kill(id, 9).catch(() => undefined);
    };
    this.out.abort?.addEventListener('abort', onAbort, { once: true });
    // --skip-unused-stages (default): only the target and the stages it needs are built.
    const needed = this.opts.skipUnusedStages === false ? undefined : this.neededStages(stages, last, globalArgs);
    const bases = this.stagesUsedAsBase(stages, last, globalArgs);
    if (!this.opts.layers) this.existing = new Set(this.store.images.list().map((i) => i.id));
    let result: ImageRecord | undefined;
    let finalImage: string | undefined;
    try {
      for (let i = 0; i <= last; i++) {
        if (needed && !needed.has(i)) continue;
        result = await this.runStage(stages[i], last + 1, globalArgs, unused, i === last, bases.has(i));
        this.stageImages.set(String(i), result.id);
        if (stages[i].name) this.stageImages.set(stages[i].name!, result.id);
      }
      finalImage = await this.finish(result!, this.stageSteps);
      if (unused.size && !this.opts.quiet) {
        this.print(`[Warning] one or more build args were not consumed: [${[...unused].sort().join(' ')}]`);
      }
      return { id: finalImage };
    } catch (e) {
      if (this.out.abort?.aborted) throw new PierError('build interrupted');
      throw e;
    } finally {
      this.out.abort?.removeEventListener('abort', onAbort);
      for (const id of this.tmpContainers) await this.removeContainer(id);
      if (!this.opts.layers) this.dropIntermediates(finalImage ?? '');
      if (this.tmpDir) fs.rmSync(this.tmpDir, { recursive: true, force: true });
    }
  }

  /** The stages a stage refers to: its FROM, COPY/ADD --from and RUN --mount from= (a --build-context of that name wins). */
  private stageDeps(stages: Stage[], stage: Stage, globalArgs: Record<string, string | undefined>): { base?: number; all: number[] } {
    const byRef = (ref: string): number | undefined => {
      const r = ref.toLowerCase();
      if (this.opts.buildContexts?.[ref]) return undefined;
      const earlier = stages.slice(0, stage.index);
      if (/^\d+$/.test(r)) return Number(r) < stage.index ? Number(r) : undefined;
      return earlier.find((s) => s.name === r)?.index;
    };
    const base = stage.fromOverride ? undefined : byRef(expandVars(stage.from.args.split(/\s+/)[0], globalArgs));
    const all = base !== undefined ? [base] : [];
    for (const ins of stage.steps) {
      const refs: string[] = [];
      if ((ins.name === 'COPY' || ins.name === 'ADD') && typeof ins.flags.from === 'string') refs.push(ins.flags.from);
      if (ins.name === 'RUN') {
        for (const m of (ins.flags.mount as string[] | undefined) ?? []) {
          const f = m.split(',').find((p) => p.startsWith('from='));
          if (f) refs.push(f.slice(5));
        }
      }
      for (const r of refs) {
        const i = byRef(expandVars(r, globalArgs));
        if (i !== undefined) all.push(i);
      }
    }
    return { base, all };
  }

  /** The target stage and, transitively, every stage it needs. */
  private neededStages(stages: Stage[], last: number, globalArgs: Record<string, string | undefined>): Set<number> {
    const needed = new Set<number>();
    const mark = (i: number) => {
      if (needed.has(i)) return;
      needed.add(i);
      for (const d of this.stageDeps(stages, stages[i], globalArgs).all) mark(d);
    };
    mark(last);
    return needed;
  }

  /** Stages a later stage starts FROM (without --layers, podman commits and reports only those). */
  private stagesUsedAsBase(stages: Stage[], last: number, globalArgs: Record<string, string | undefined>): Set<number> {
    const out = new Set<number>();
    for (let i = 1; i <= last; i++) {
      const b = this.stageDeps(stages, stages[i], globalArgs).base;
      if (b !== undefined) out.add(b);
    }
    return out;
  }

  /** Splits the instructions into stages; ARGs before the first FROM are global. */
  private stages(parsed: ParsedFile): Stage[] {
    const out: Stage[] = [];
    for (const ins of parsed.instructions) {
      if (ins.name === 'FROM') {
        const m = /^(\S+)(?:\s+as\s+(\S+))?\s*$/i.exec(ins.args);
        if (!m) throw new BuildError(`${this.file}:${ins.line}: invalid FROM: ${ins.args}`);
        out.push({ index: out.length, name: m[2]?.toLowerCase(), from: ins, steps: [] });
      } else if (!out.length) {
        if (ins.name !== 'ARG') throw new BuildError(`${this.file}:${ins.line}: no build stage in current context`);
      } else out[out.length - 1].steps.push(ins);
    }
    if (!out.length) throw new BuildError(`${this.file}: no FROM instruction`);
    if (this.opts.from) out[0].fromOverride = this.opts.from;
    return out;
  }

  /** ARGs before the first FROM, over the automatic platform args (TARGETARCH, BUILDPLATFORM...). */
  private globalArgs(parsed: ParsedFile): Record<string, string | undefined> {
    const host = buildHostPlatform();
    const auto = platformArgs(this.target ?? host, host);
    const args: Record<string, string | undefined> = { ...auto };
    for (const ins of parsed.instructions) {
      if (ins.name === 'FROM') break;
      for (const [k, v] of parseKeyValues(ins.args, false)) {
        args[k] = this.opts.buildArgs?.[k] ?? (v !== undefined ? expandVars(v, args) : auto[k as keyof typeof auto]);
      }
    }
    return args;
  }

  /**
   * A stage's base (or COPY --from / RUN --mount from= image): scratch, an earlier stage, or an
   * image by the pull policy. With a platform (FROM --platform, else --platform), a local image
   * of another platform counts as missing, as in podman: it is pulled for the platform.
   */
  private async resolveBase(ref: string, platform?: BuildPlatform): Promise<ImageRecord> {
    const want = platform ?? this.target;
    const ctx = this.opts.buildContexts?.[ref];
    if (ctx?.type === 'image') ref = ctx.ref;
    if (ref.toLowerCase() === 'scratch') return this.scratchImage(want);
    const stage = ctx ? undefined : this.stageImages.get(ref.toLowerCase());
    if (stage) return this.store.images.get(stage)!;
    const policy = this.opts.pull ?? 'missing';
    const fits = (img: ImageRecord) => !want || imageFits(JSON.parse(img.configRaw), want);
    let img: ImageRecord | undefined;
    if (policy !== 'always') {
      try { img = this.ce.images.lookup(ref); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
      if (img && !fits(img)) img = undefined;
    }
    const notKnown = () => new NotFoundError(`${ref}: image not known${want ? ` for platform ${platformString(want)}` : ''}`);
    if (!img || policy === 'newer') {
      if (policy === 'never' && !img) throw notKnown();
      if (policy !== 'never') {
        try {
          const ids = await this.ce.images.pull(ref, { ...this.opts.registry, platform: want ? { os: want.os, arch: want.arch, variant: want.variant } : undefined, progress: { line: (l: string) => this.print(l) } });
          img = this.store.images.get(ids[0]);
          if (img && !fits(img)) {
            const c = JSON.parse(img.configRaw);
            this.print(`WARNING: image platform (${[c.os, c.architecture, c.variant].filter(Boolean).join('/')}) does not match the expected platform (${platformString(want!)})`);
          }
        } catch (e) {
          if (!img) throw e;
        }
      }
    }
    if (!img) throw notKnown();
    return img;
  }

  /** An empty image (no layers, empty config) that `FROM scratch` starts from. */
  private scratchImage(want?: BuildPlatform): ImageRecord {
    const r = writeConfigImage(this.store, null, {
      config: {}, createdBy: '', timestamp: 0,
      platform: want ? { os: want.os, architecture: want.arch, ...(want.variant ? { variant: want.variant } : {}) } : undefined,
    });
    return this.store.images.get(this.made(r.id))!;
  }

  /** Notes an image this build wrote (with --layers=false, the intermediate ones go at the end). */
  private made(id: string): string {
    if (this.existing && !this.existing.has(id)) this.newImages.add(id);
    return id;
  }

  /** --layers=false: removes the images this build wrote but the result (no step cache is kept). */
  private dropIntermediates(finalId: string): void {
    for (const id of this.newImages) {
      if (id === finalId) continue;
      const img = this.store.images.get(id);
      if (!img || img.names.length) continue;
      try { this.store.deleteImage(id); } catch { /* still in use: left for prune */ }
    }
  }

  private async runStage(stage: Stage, stageCount: number, globalArgs: Record<string, string | undefined>, unused: Set<string>, isLast: boolean, usedAsBase: boolean): Promise<ImageRecord> {
    const prefix = stageCount > 1 ? `[${stage.index + 1}/${stageCount}] ` : '';
    this.prefix = prefix;
    const total = stage.steps.length + 1;
    let fromRef = stage.fromOverride ?? expandVars(stage.from.args.split(/\s+/)[0], globalArgs);
    const ctx = this.opts.buildContexts?.[fromRef];
    if (ctx?.type === 'image') fromRef = ctx.ref;
    // An earlier stage shows as its image's id, as podman shows it.
    const shown = (!ctx && this.stageImages.get(fromRef.toLowerCase())) || fromRef;
    this.print(`${prefix}STEP 1/${total}: FROM ${shown}${stage.name ? ` AS ${stage.name}` : ''}`);
    const fromPlatform = stage.from.flags.platform as string | undefined;
    let base: ImageRecord;
    try {
      base = await this.resolveBase(fromRef, fromPlatform ? parsePlatform(expandVars(fromPlatform, globalArgs)) : undefined);
    } catch (e) {
      // podman's wording for a base image that cannot be had.
      if (e instanceof PierError && !(e instanceof UsageError)) throw new PierError(`creating build container: ${e.message}`, e.exitCode);
      throw e;
    }
    this.lastBase = base.id;
    const baseCfg = JSON.parse(base.configRaw);
    const from = { img: base, ref: fromRef, scratch: fromRef.toLowerCase() === 'scratch' };
    this.lastFrom = from;
    const state: StageState = {
      from,
      image: base,
      fromSpec: fromRef.toLowerCase() === 'scratch' ? '' : shown,
      baseId: base.id,
      config: JSON.parse(JSON.stringify(baseCfg.config ?? {})),
      args: {},
      declared: new Set(),
      platform: { os: baseCfg.os ?? 'linux', architecture: baseCfg.architecture ?? hostArch(), ...(baseCfg.variant ? { variant: baseCfg.variant } : {}) },
    };
    for (const k of PREDEFINED_ARGS) if (this.opts.buildArgs?.[k] !== undefined) { state.args[k] = this.opts.buildArgs[k]; unused.delete(k); }
    // ONBUILD triggers of the base image run first (and are not inherited further).
    const triggers = (state.config.OnBuild as string[] | undefined) ?? [];
    delete state.config.OnBuild;
    const steps: Instruction[] = [];
    for (const t of triggers) {
      const p = parseContainerfile(t, `${fromRef} ONBUILD`).instructions;
      steps.push(...p.map((x) => ({ ...x, line: stage.from.line })));
    }
    steps.push(...stage.steps);
    this.stageSteps = steps.length;
    let n = 1;
    for (const [i, ins] of steps.entries()) {
      n++;
      const display = ins.original.replace(/\s+/g, ' ');
      this.print(`${prefix}STEP ${Math.min(n, total + triggers.length)}/${total + triggers.length}: ${display}`);
      this.finalStep = isLast && i === steps.length - 1;
      try {
        await this.step(ins, state, globalArgs, unused);
      } catch (e) {
        if (e instanceof BuildError || e instanceof UsageError) throw e;
        // A RUN the runtime could not start fails as runc did, with status 1 (podman's exit code).
        throw new BuildError(`building at STEP "${stepMessage(ins)}": ${errorMessage(e)}`, e instanceof OciRuntimeError ? 1 : undefined);
      } finally {
        this.finalStep = false;
      }
    }
    if (!isLast) {
      // Without --layers, podman commits (and reports) a stage only when a later one starts from
      // it; a stage without steps reports its image either way.
      if (!this.opts.layers && usedAsBase && steps.length) this.commitProgress(state.image);
      if (!steps.length || (!this.opts.layers && usedAsBase)) this.print(`--> ${state.image.id.slice(0, 11)}`);
    }
    return state.image;
  }

  /** A step's result: `--> <id>` (podman's 11 characters), with --layers and unless finish() reports it. */
  private stepDone(id: string, cached = false): void {
    if (this.finalStep) { this.finalCached = cached; return; }
    if (this.opts.layers) this.print(`--> ${id.slice(0, 11)}`);
  }

  /** The lines podman's image copy prints when a build without --layers commits. */
  private commitProgress(img: ImageRecord): void {
    this.print('Getting image source signatures');
    for (const l of img.topLayer ? this.store.layers.chain(img.topLayer) : []) this.print(`Copying blob ${l.diffId}`);
    this.print(`Copying config sha256:${img.id}`);
    this.print('Writing manifest to image destination');
    this.print('Storing signatures');
  }

  private cacheKey(state: StageState, ins: Instruction, extra: string): string {
    const args = [...state.declared].sort().map((k) => `${k}=${state.args[k] ?? ''}`);
    // --env/--unsetenv change every step's image, so they are part of the key when given.
    const envs = this.opts.env?.length || this.opts.unsetEnv?.length ? [[this.opts.env ?? [], this.opts.unsetEnv ?? []]] : [];
    return createHash('sha256').update(JSON.stringify([state.image.id, ins.name, ins.flags, ins.args, ins.heredocs, args, extra, this.opts.format, this.opts.timestamp ?? null, ...envs])).digest('hex');
  }

  private cached(key: string): ImageRecord | undefined {
    if (!this.opts.layers || this.opts.noCache) return undefined;
    const row = this.store.db.prepare('SELECT image_id, created FROM build_cache WHERE key = ?').get(key) as { image_id: string; created: number } | undefined;
    // --cache-ttl: an older entry is not used (and is replaced by the step's new result).
    if (row && this.opts.cacheTtlMs && Date.now() - row.created > this.opts.cacheTtlMs) return undefined;
    return row ? this.store.images.get(row.image_id) : undefined;
  }

  private remember(key: string, id: string): void {
    if (!this.opts.layers) return;
    immediate(this.store.db, () => {
      this.store.db.prepare('INSERT INTO build_cache (key, image_id, created) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE SET image_id = excluded.image_id, created = excluded.created').run(key, id, Date.now());
    });
  }

  private vars(state: StageState): Record<string, string | undefined> {
    const env: Record<string, string> = {};
    for (const e of (state.config.Env as string[] | undefined) ?? []) {
      const i = e.indexOf('=');
      env[e.slice(0, i)] = e.slice(i + 1);
    }
    return { ...state.args, ...env };
  }

  private async step(ins: Instruction, state: StageState, globalArgs: Record<string, string | undefined>, unused: Set<string>): Promise<void> {
    const cfg = state.config;
    const vars = this.vars(state);
    const shellForm = (s: string) => [...((cfg.Shell as string[] | undefined) ?? DEFAULT_SHELL), s];
    // The history entry of a step that is not RUN, COPY or ADD: the instruction as written (buildah's).
    const nop = `/bin/sh -c #(nop) ${ins.original}`;
    const meta = async (mutate: () => void, createdBy: string, extra = '') => {
      const key = this.cacheKey(state, ins, extra);
      const hit = this.cached(key);
      if (hit) return this.useCache(state, hit);
      mutate();
      this.applyBuildEnv(cfg);
      const r = writeConfigImage(this.store, state.image, {
        config: cfg, createdBy, timestamp: this.opts.timestamp, format: this.opts.format, author: state.author, platform: state.platform,
        annotations: this.stepAnnotations(state),
      });
      state.image = this.store.images.get(this.made(r.id))!;
      this.remember(key, r.id);
      this.stepDone(r.id);
    };
    switch (ins.name) {
      case 'ARG': {
        for (const [k, v] of parseKeyValues(ins.args, false)) {
          unused.delete(k);
          state.declared.add(k);
          const given = this.opts.buildArgs?.[k];
          state.args[k] = given !== undefined ? given : v !== undefined ? expandVars(v, vars) : globalArgs[k];
        }
        return;
      }
      case 'ENV': {
        // Each word is evaluated as buildah does (processWord, as LABEL): quotes removed and
        // variables expanded in one pass against the values before this instruction, so `\$X`
        // and '$X' stay literal and `ENV A=2 B=$A` gives B the earlier A.
        const pairs = labelPairs(ins.args, vars);
        return meta(() => {
          let env = [...((cfg.Env as string[] | undefined) ?? [])];
          for (const [k, v] of pairs) {
            env = env.filter((e) => !e.startsWith(k + '='));
            env.push(`${k}=${v}`);
          }
          cfg.Env = env;
        }, nop, JSON.stringify(pairs));
      }
      case 'LABEL': {
        const pairs = labelPairs(ins.args, vars);
        return meta(() => {
          const labels: Record<string, string> = { ...((cfg.Labels as Record<string, string> | undefined) ?? {}) };
          for (const [k, v] of pairs) labels[k] = v;
          cfg.Labels = labels;
          // The labels made are in the key: results cached before LABEL words were processed this way miss.
        }, nop, JSON.stringify(pairs));
      }
      case 'MAINTAINER':
        return meta(() => { state.author = ins.args; }, nop);
      case 'USER': {
        const u = expandVars(ins.args, vars);
        return meta(() => { cfg.User = u; }, nop);
      }
      case 'EXPOSE': {
        const ports = expandVars(ins.args, vars).split(/\s+/).filter(Boolean).map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`));
        for (const p of ports) if (!/^\d+(-\d+)?\/(tcp|udp|sctp)$/.test(p)) throw new BuildError(`${this.file}:${ins.line}: invalid containerPort: ${p}`);
        return meta(() => { cfg.ExposedPorts = { ...((cfg.ExposedPorts as Record<string, object>) ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) }; }, nop);
      }
      case 'VOLUME': {
        // Split on whitespace, then each word evaluated as buildah does (quotes removed, variables
        // expanded).
        const words = ins.json ?? ins.args.split(/\s+/).filter(Boolean);
        const vols = ins.json ?? words.map((w) => processWord(w, vars)).filter(Boolean);
        return meta(() => { cfg.Volumes = { ...((cfg.Volumes as Record<string, object>) ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) }; }, nop, JSON.stringify(vols));
      }
      case 'STOPSIGNAL': {
        const sig = expandVars(ins.args, vars);
        return meta(() => { cfg.StopSignal = sig; }, nop);
      }
      case 'CMD': {
        const cmd = ins.json ?? shellForm(ins.args);
        state.cmdSet = true;
        return meta(() => { cfg.Cmd = cmd; }, nop);
      }
      case 'ENTRYPOINT': {
        const ep = ins.json ?? (ins.args ? shellForm(ins.args) : []);
        return meta(() => {
          cfg.Entrypoint = ep;
          // An ENTRYPOINT resets the CMD inherited from the base image.
          if (!state.cmdSet) delete cfg.Cmd;
        }, nop);
      }
      case 'SHELL': {
        if (!ins.json || !ins.json.length) throw new BuildError(`${this.file}:${ins.line}: SHELL requires the arguments to be in JSON form`);
        return meta(() => { cfg.Shell = ins.json!; }, nop);
      }
      case 'ONBUILD': {
        const trigger = ins.args;
        const kw = trigger.split(/\s+/)[0].toUpperCase();
        if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(kw)) throw new BuildError(`${this.file}:${ins.line}: ${kw} isn't allowed as an ONBUILD trigger`);
        return meta(() => { cfg.OnBuild = [...((cfg.OnBuild as string[] | undefined) ?? []), trigger]; }, nop);
      }
      case 'HEALTHCHECK':
        return meta(() => { cfg.Healthcheck = this.healthcheck(ins); }, nop);
      case 'WORKDIR': {
        const dir = path.posix.resolve((cfg.WorkingDir as string | undefined) || '/', expandVars(ins.args, vars));
        const key = this.cacheKey(state, ins, dir);
        const hit = this.cached(key);
        if (hit) return this.useCache(state, hit);
        cfg.WorkingDir = dir;
        // The directory exists in the image afterwards, as docker and buildah make it.
        const id = await this.workingContainer(state);
        const rootfs = mountRootfs(this.store, id, this.store.images.get(state.image.id)!.topLayer);
        const target = path.join(rootfs, dir);
        const existed = fs.existsSync(target);
        if (!existed) {
          const u = cfg.User ? this.resolveOwner(rootfs, String(cfg.User)) : { uid: 0, gid: 0 };
          fs.mkdirSync(target, { recursive: true, mode: 0o755 });
          fs.chownSync(target, u.uid, u.gid);
        }
        unmountRootfs(this.store, id);
        this.applyBuildEnv(cfg);
        if (existed) {
          await this.removeContainer(id);
          const r = writeConfigImage(this.store, state.image, {
            config: cfg, createdBy: nop, timestamp: this.opts.timestamp, format: this.opts.format, platform: state.platform, annotations: this.stepAnnotations(state),
          });
          state.image = this.store.images.get(this.made(r.id))!;
        } else {
          await this.commitStep(state, id, nop);
        }
        this.remember(key, state.image.id);
        this.stepDone(state.image.id);
        return;
      }
      case 'RUN':
        return this.run(ins, state, vars);
      case 'COPY':
      case 'ADD':
        return this.copy(ins, state, vars);
      default:
        throw new BuildError(`${this.file}:${ins.line}: unsupported instruction ${ins.name}`);
    }
  }

  /**
   * --env and --unsetenv, applied to the config of every image a step writes (as buildah does at
   * each commit, so the RUN steps after the first see them): NAME=VALUE with $VAR and ${VAR} in
   * VALUE taken from the image's variables, NAME- and --unsetenv NAME remove NAME.
   */
  private applyBuildEnv(cfg: ImageConfigBody): void {
    if (!this.opts.env?.length && !this.opts.unsetEnv?.length) return;
    let env = [...((cfg.Env as string[] | undefined) ?? [])];
    const drop = (k: string) => { env = env.filter((e) => e.split('=')[0] !== k); };
    for (const spec of this.opts.env ?? []) {
      const eq = spec.indexOf('=');
      if (eq < 0) { if (spec.endsWith('-')) drop(spec.slice(0, -1)); continue; }
      const k = spec.slice(0, eq);
      const v = expandImageVars(spec.slice(eq + 1), env);
      drop(k);
      env.push(`${k}=${v}`);
    }
    for (const k of this.opts.unsetEnv ?? []) drop(k);
    cfg.Env = env;
  }

  private useCache(state: StageState, hit: ImageRecord): void {
    this.print(`--> Using cache ${hit.id}`);
    state.image = hit;
    state.config = JSON.parse(hit.configRaw).config ?? {};
    this.stepDone(hit.id, true);
  }

  private healthcheck(ins: Instruction): Record<string, unknown> {
    const rest = ins.args.trim();
    if (/^NONE$/i.test(rest)) return { Test: ['NONE'] };
    const m = /^CMD\s+([\s\S]*)$/i.exec(rest);
    if (!m) throw new BuildError(`${this.file}:${ins.line}: HEALTHCHECK requires NONE or CMD`);
    let test: string[];
    try {
      const j = JSON.parse(m[1]);
      test = Array.isArray(j) ? ['CMD', ...j] : ['CMD-SHELL', m[1]];
    } catch {
      test = ['CMD-SHELL', m[1]];
    }
    const dur = (v: string | string[] | undefined) => {
      if (v === undefined) return undefined;
      const mm = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(String(v));
      if (!mm) throw new BuildError(`${this.file}:${ins.line}: invalid duration ${v}`);
      return Math.round(Number(mm[1]) * { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[mm[2] as 'ms']);
    };
    const hc: Record<string, unknown> = { Test: test };
    const f = ins.flags;
    if (f.interval) hc.Interval = dur(f.interval);
    if (f.timeout) hc.Timeout = dur(f.timeout);
    if (f['start-period']) hc.StartPeriod = dur(f['start-period']);
    if (f.retries) hc.Retries = Number(f.retries);
    return hc;
  }

  /** A container from the current image that nothing runs in (for COPY, ADD, WORKDIR). */
  private async workingContainer(state: StageState): Promise<string> {
    return this.idleContainer(state.image, this.stageSpec(state));
  }

  /** How buildah names the image of the stage's next container: the FROM for the base, else the image's id. */
  private stageSpec(state: StageState): string {
    return state.image.id === state.baseId ? state.fromSpec : state.image.id;
  }

  /** A container from `img` that nothing runs in (files are copied into or out of its rootfs); see buildContainer. */
  private async idleContainer(img: ImageRecord, spec: string): Promise<string> {
    const id = await this.buildContainer({ image: img.id, command: ['/bin/sh'], entrypoint: [], network: 'none', pull: 'never' }, spec, img);
    this.tmpContainers.add(id);
    return id;
  }

  /**
   * Creates one of the build's containers: external ones (as buildah's are to podman: not in
   * `ps -a`, no events), named as buildah names them, `<image>-working-container` with `-1`,
   * `-2`... when that name is taken. `spec` is the image as buildah was given it.
   */
  private async buildContainer(o: import('../domain/containers').CreateOptions, spec: string, img: ImageRecord): Promise<string> {
    const base = workingContainerName(spec, img.names);
    for (let attempt = 0; ; attempt++) {
      let name = base;
      for (let i = 1; this.ce.containers.byName(name, { external: true }); i++) name = `${base}-${i}`;
      try {
        return (await this.ce.create({ ...o, name, external: true })).id;
      } catch (e) {
        // Another build took the name meanwhile: the next free one.
        if (!(e instanceof ConflictError) || attempt >= 20) throw e;
      }
    }
  }

  private async removeContainer(id: string): Promise<void> {
    this.tmpContainers.delete(id);
    const rec = this.ce.containers.get(id);
    await this.ce.lifecycle.remove(id, { force: true, timeout: 0 }).catch(() => undefined);
    // The anonymous volumes of the image's VOLUMEs go with it (a step's writes there are not
    // part of the image, as with buildah): a build leaves no volume behind.
    if (rec && !this.ce.containers.get(id)) await this.ce.removeAnonymousVolumes(rec).catch(() => undefined);
  }

  /**
   * The manifest annotations of the image a step commits: the base-image ones of the image
   * before the step (buildah starts each step's builder from it) and --annotation.
   */
  private stepAnnotations(state: StageState): Record<string, string> {
    return { ...this.baseAnnotations(state), ...(this.opts.annotations ?? {}) };
  }

  /**
   * The base-image annotations of the image before a step (`fromStage`: of the stage's FROM, as a
   * build without --layers keeps one builder per stage).
   */
  private baseAnnotations(state: StageState, fromStage = false): Record<string, string> {
    const { baseImageAnnotations } = require('./base-annotations') as typeof import('./base-annotations');
    if (fromStage || state.image.id === state.from.img.id) return baseImageAnnotations(state.from.img, state.from.ref, state.from.scratch);
    return baseImageAnnotations(state.image, state.image.id, false);
  }

  private commitAnnotations(base: ImageRecord, ref: string, scratch: boolean): Record<string, string> {
    const { baseImageAnnotations } = require('./base-annotations') as typeof import('./base-annotations');
    return { ...baseImageAnnotations(base, ref, scratch), ...(this.opts.annotations ?? {}) };
  }

  /** Commits a working container as the stage's next image. */
  private async commitStep(state: StageState, id: string, createdBy: string): Promise<void> {
    this.applyBuildEnv(state.config);
    const c = this.ce.containers.get(id)!;
    const r = await commitContainer(this.store, c, {
      config: state.config, createdBy, historyComment: '', format: this.opts.format, timestamp: this.opts.timestamp, skipEnginePaths: true,
      author: state.author, annotations: this.stepAnnotations(state),
    });
    state.image = this.store.images.get(this.made(r.id))!;
    await this.removeContainer(id);
  }

  private resolveOwner(rootfs: string, spec: string): { uid: number; gid: number } {
    const { resolveUser } = require('../engine/spec') as typeof import('../engine/spec');
    const u = resolveUser(rootfs, spec);
    return { uid: u.uid, gid: u.gid };
  }

  private async run(ins: Instruction, state: StageState, vars: Record<string, string | undefined>): Promise<void> {
    const cfg = state.config;
    const shell = (cfg.Shell as string[] | undefined) ?? DEFAULT_SHELL;
    let argv: string[];
    if (ins.json) argv = ins.json;
    else if (ins.heredocs.length) {
      const h = ins.heredocs[0];
      const bare = ins.args.replace(/<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1/g, '').trim();
      const body = h.quoted ? h.content : expandVars(h.content, vars);
      // `RUN <<EOF` runs the heredoc as a script; `RUN cmd <<EOF` feeds it to cmd, as a shell would.
      argv = bare ? [...shell, `${ins.args}\n${ins.heredocs.map((x) => x.content + x.name).join('\n')}`] : [...shell, body];
    } else argv = [...shell, ins.args];
    const mounts: string[] = [];
    const secretsUsed: string[] = [];
    const cleanups: (() => void)[] = [];
    const mountKeys: string[] = [];
    for (const m of (ins.flags.mount as string[] | undefined) ?? []) mounts.push(await this.runMount(m, state, secretsUsed, cleanups, mountKeys));
    const argEnv = [...state.declared].filter((k) => state.args[k] !== undefined).map((k) => `${k}=${state.args[k]}`);
    for (const k of PREDEFINED_ARGS) if (state.args[k] !== undefined && !state.declared.has(k)) argEnv.push(`${k}=${state.args[k]}`);
    const secretDigest = secretsUsed.map((id) => createHash('sha256').update(fs.readFileSync(this.opts.secrets![id])).digest('hex')).join(',');
    const network = this.runNetwork(ins);
    const key = this.cacheKey(state, ins, [secretDigest, ...mountKeys].join(';'));
    const hit = this.cached(key);
    if (hit) { cleanups.forEach((f) => f()); return this.useCache(state, hit); }
    let id: string | undefined;
    try {
      id = await this.buildContainer({
        ...this.runStepSettings(),
        image: state.image.id, entrypoint: [], command: argv, env: argEnv, user: (cfg.User as string) || undefined,
        workdir: (cfg.WorkingDir as string) || undefined, createWorkdir: true, network, mounts,
        pull: 'never', buildStep: true, ...(this.opts.noHosts ? { noHosts: true } : {}),
        // As buildah's: matched against its builder's annotations, and the build's --volume or the image's VOLUMEs.
        buildHooks: {
          ...(this.opts.hooksDirs ? { dirs: this.opts.hooksDirs } : {}), annotations: this.baseAnnotations(state, !this.opts.layers),
          hasBindMounts: !!this.opts.run?.volumes?.length || Object.keys(cfg.Volumes ?? {}).length > 0,
        },
        ...(this.opts.stdin ? { interactive: true } : {}),
      }, this.stageSpec(state), state.image);
      this.tmpContainers.add(id);
      // This process owns the container's clean-up (conmon's exit command steps aside).
      fs.mkdirSync(path.dirname(this.ce.lifecycle.attachedMarker(id)), { recursive: true });
      const release = this.ce.lifecycle.claimCleanup(id);
      const sink = new Writable({ write: (chunk, _e, cb) => { if (!this.opts.quiet) this.out.write(chunk.toString()); cb(); } });
      // --stdin: the build's stdin, which a RUN after the one that read it to its end sees ended.
      let stdin: NodeJS.ReadableStream | undefined = this.opts.stdin;
      if (!stdin || (stdin as NodeJS.ReadableStream & { readableEnded?: boolean }).readableEnded) {
        const none = new PassThrough();
        none.end();
        stdin = none;
      }
      // As buildah: signals are not passed to the RUN's process (an interrupted build ends the step).
      const code = await this.ce.start(id, { attach: true, interactive: !!this.opts.stdin, sigProxy: false, external: true }, { stdin: stdin as any, stdout: sink, stderr: sink });
      await this.ce.lifecycle.cleanup(id).catch(() => undefined);
      release();
      if (code !== 0) {
        if (!this.opts.forceRm && this.opts.rm === false) this.tmpContainers.delete(id);
        // podman exits with the RUN's status.
        throw new BuildError(`building at STEP "${stepMessage(ins)}": while running runtime: exit status ${code ?? 1}`, code ?? 1);
      }
      // Mount points made for RUN --mount and --volume are not part of the step's result.
      const volumeTargets = (this.opts.run?.volumes ?? []).map((v) => splitVolume(v)[1]).filter((x): x is string => !!x);
      this.pruneMountPoints(id, state.image, [...mounts.map((m) => /(?:^|,)destination=([^,]+)/.exec(m)?.[1]).filter((x): x is string => !!x), ...volumeTargets]);
      await this.commitStep(state, id, `/bin/sh -c ${ins.json ? JSON.stringify(ins.json) : ins.args}`);
      this.remember(key, state.image.id);
      this.stepDone(state.image.id);
    } finally {
      cleanups.forEach((f) => f());
    }
  }

  /** The build's settings for every RUN container: podman build's --cap-add, --memory, --dns, --volume... */
  private runStepSettings(): Partial<import('../domain/containers').CreateOptions> {
    const r = this.opts.run;
    if (!r) return {};
    const out: Partial<import('../domain/containers').CreateOptions> = {
      addHost: r.addHost, capAdd: r.capAdd, capDrop: r.capDrop, cgroupParent: r.cgroupParent,
      cgroupns: r.cgroupns, ipc: r.ipc, pid: r.pid, uts: r.uts,
      cpuPeriod: r.cpuPeriod, cpuQuota: r.cpuQuota, cpuShares: r.cpuShares, cpusetCpus: r.cpusetCpus, cpusetMems: r.cpusetMems,
      memory: r.memory, memorySwap: r.memorySwap, devices: r.devices, dns: r.dns, dnsOption: r.dnsOption, dnsSearch: r.dnsSearch,
      securityOpt: r.securityOpt, shmSize: r.shmSize, ulimits: r.ulimits, volumes: r.volumes, runtimeFlags: r.runtimeFlags,
      httpProxy: r.httpProxy,
    };
    for (const k of Object.keys(out) as (keyof typeof out)[]) {
      const v = out[k];
      if (v === undefined || (Array.isArray(v) && !v.length)) delete out[k];
    }
    return out;
  }

  /**
   * RUN's network: `RUN --network=none|host|default`, where default (or no flag) is the build's
   * --network: host unless given; `private` and `default` there are the default bridge network.
   */
  private runNetwork(ins: Instruction): string {
    const flag = ins.flags.network as string | undefined;
    if (flag !== undefined && !['default', 'none', 'host'].includes(flag)) {
      throw new BuildError(`${this.file}:${ins.line}: RUN --network=${flag}: unsupported network mode (use default, none or host)`);
    }
    const mode = flag && flag !== 'default' ? flag : this.opts.network || 'host';
    return mode === 'private' || mode === 'default' ? 'bridge' : mode;
  }

  /**
   * The runtime creates missing mount points (empty files and directories) in the container's
   * upper layer: they are not part of the step's result, so they are removed before the commit,
   * with the parent directories created for them.
   */
  private pruneMountPoints(id: string, image: ImageRecord, targets: string[]): void {
    const upper = containerDirs(this.store, id).diff;
    const lowers = this.store.driver === 'overlay'
      ? (image.topLayer ? this.store.layers.chain(image.topLayer).map((l) => this.store.layers.diffDir(l.id)) : [])
      : (image.topLayer ? [this.store.layers.diffDir(image.topLayer)] : []);
    const inImage = (rel: string) => lowers.some((l) => fs.lstatSync(path.join(l, rel), { throwIfNoEntry: false }));
    for (const t of targets) {
      const comps = t.split('/').filter(Boolean);
      for (let i = comps.length; i >= 1; i--) {
        const rel = comps.slice(0, i).join('/');
        if (inImage(rel)) break;
        const p = path.join(upper, rel);
        const st = fs.lstatSync(p, { throwIfNoEntry: false });
        if (!st) continue;
        if (st.isDirectory() ? fs.readdirSync(p).length === 0 : st.isFile() && st.size === 0) fs.rmSync(p, { recursive: true, force: true });
        else break;
      }
    }
  }

  /** RUN --mount=type=bind|cache|tmpfs|secret,... → a --mount value for the RUN container. */
  private async runMount(spec: string, state: StageState, secrets: string[], cleanups: (() => void)[], keys: string[]): Promise<string> {
    const kv: Record<string, string> = {};
    for (const part of spec.split(',')) {
      const i = part.indexOf('=');
      kv[i < 0 ? part : part.slice(0, i)] = i < 0 ? 'true' : part.slice(i + 1);
    }
    const type = kv.type ?? 'bind';
    const target = kv.target ?? kv.dst ?? kv.destination;
    const ro = kv.rw === 'true' || kv.readwrite === 'true' ? '' : ',ro';
    switch (type) {
      case 'bind': {
        if (!target) throw new BuildError('RUN --mount=type=bind needs a target');
        let root = this.opts.contextDir;
        const ctxDir = kv.from ? await this.contextDirOf(kv.from) : undefined;
        if (ctxDir) root = ctxDir;
        else if (kv.from) root = await this.imageRootfs(kv.from, cleanups, keys);
        const src = safeJoin(root, kv.source ?? kv.src ?? '.');
        if (!fs.existsSync(src)) throw new BuildError(`RUN --mount=type=bind: ${kv.source ?? kv.src ?? '.'}: no such file or directory`);
        // What the step sees through the mount is part of its cache key (the context's files by
        // content, with the ignore file's rules; another stage or image by its id).
        if (!kv.from || ctxDir) {
          const ignore = ctxDir ? undefined : this.ignoreRules();
          keys.push(`bind:${target}:` + await contentDigest([{ kind: 'path', root, pattern: kv.source ?? kv.src ?? '.', ignore: ignore && !ignore.empty ? ignore : undefined, fromContext: true }]));
        }
        return `type=bind,source=${src},destination=${target}${kv.rw === 'true' ? '' : ',ro'}`;
      }
      case 'cache': {
        if (!target) throw new BuildError('RUN --mount=type=cache needs a target');
        const idName = createHash('sha256').update(kv.id ?? target).digest('hex').slice(0, 32);
        const dir = path.join(this.store.graphRoot, 'build-cache-mounts', idName);
        fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
        if (kv.uid || kv.gid) fs.chownSync(dir, Number(kv.uid ?? 0), Number(kv.gid ?? 0));
        return `type=bind,source=${dir},destination=${target}`;
      }
      case 'tmpfs':
        if (!target) throw new BuildError('RUN --mount=type=tmpfs needs a target');
        return `type=tmpfs,destination=${target}${kv.size ? `,tmpfs-size=${kv.size}` : ''}`;
      case 'secret': {
        const id = kv.id ?? path.basename(target ?? '');
        const file = this.opts.secrets?.[id];
        if (!file) {
          if (kv.required === 'true') throw new BuildError(`secret ${id} not found`);
          throw new BuildError(`secret ${id} was not provided (use --secret id=${id},src=FILE)`);
        }
        secrets.push(id);
        return `type=bind,source=${path.resolve(file)},destination=${target ?? `/run/secrets/${id}`},ro`;
      }
      default:
        throw new BuildError(`unsupported RUN --mount type "${type}"${ro ? '' : ''}`);
    }
  }

  /** The mounted rootfs of a stage or image (for COPY --from and RUN --mount from=). */
  private async imageRootfs(ref: string, cleanups: (() => void)[], keys?: string[]): Promise<string> {
    const stage = !this.opts.buildContexts?.[ref] && this.stageImages.has(ref.toLowerCase());
    const img = stage ? this.store.images.get(this.stageImages.get(ref.toLowerCase())!)! : await this.resolveBase(ref);
    keys?.push(`from:${ref}:${img.id}`);
    const id = await this.idleContainer(img, stage ? img.id : ref);
    const rootfs = mountRootfs(this.store, id, img.topLayer);
    cleanups.push(() => { unmountRootfs(this.store, id); });
    return rootfs;
  }

  /**
   * A --build-context that is a directory (or a tarball URL, fetched and extracted once): its
   * directory; undefined for other names (an image context, a stage, an image).
   */
  private async contextDirOf(ref: string): Promise<string | undefined> {
    const ctx = this.opts.buildContexts?.[ref];
    if (!ctx || ctx.type === 'image') return undefined;
    if (ctx.type === 'dir') return ctx.path;
    const have = this.fetchedContexts.get(ref);
    if (have) return have;
    let body: Buffer;
    try {
      const res = await fetch(ctx.url);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      throw new BuildError(`downloading build context "${ref}" from ${ctx.url}: ${errorMessage(e)}`);
    }
    this.tmpDir ??= fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'pier-build-contexts-'));
    const { extractBuildContext } = require('./context') as typeof import('./context');
    const { Readable } = require('node:stream') as typeof import('node:stream');
    const dir = await extractBuildContext(Readable.from([body]), fs.mkdtempSync(path.join(this.tmpDir, 'url-')), `extracting build context "${ref}"`);
    this.fetchedContexts.set(ref, dir);
    return dir;
  }

  private async copy(ins: Instruction, state: StageState, vars: Record<string, string | undefined>): Promise<void> {
    const isAdd = ins.name === 'ADD';
    const cfg = state.config;
    const words = ins.json ?? splitArgs(ins.args);
    if (words.length < 2 && !ins.heredocs.length) throw new BuildError(`${this.file}:${ins.line}: ${ins.name} requires at least two arguments`);
    const expanded = words.map((w) => expandVars(w, vars));
    const dest = expanded[expanded.length - 1];
    const srcs = expanded.slice(0, -1);
    const cleanups: (() => void)[] = [];
    try {
      const fromRef = ins.flags.from !== undefined ? expandVars(ins.flags.from as string, vars) : undefined;
      // --from a --build-context directory copies as from the build context (files owned by root).
      const ctxDir = fromRef !== undefined ? await this.contextDirOf(fromRef) : undefined;
      const from = ctxDir ? undefined : fromRef;
      const root = ctxDir ?? (from ? await this.imageRootfs(from, cleanups) : this.opts.contextDir);
      const ignore = from || ctxDir ? undefined : this.ignoreRules();
      const sources: CopySource[] = [];
      for (const h of ins.heredocs) {
        sources.push({ kind: 'content', name: h.name, content: h.quoted ? h.content : expandVars(h.content, vars) });
      }
      for (const s of srcs) {
        if (ins.heredocs.some((h) => new RegExp(`^<<-?["']?${h.name}["']?$`).test(s))) continue;
        if (isAdd && /^https?:\/\//.test(s)) { sources.push({ kind: 'url', url: s, checksum: ins.flags.checksum as string | undefined }); continue; }
        sources.push({ kind: 'path', root, pattern: s, ignore: ignore && !ignore.empty ? ignore : undefined, fromContext: !from });
      }
      const digest = await contentDigest(sources);
      const key = this.cacheKey(state, ins, digest);
      const hit = this.cached(key);
      if (hit) return this.useCache(state, hit);
      const id = await this.workingContainer(state);
      const rootfs = mountRootfs(this.store, id, state.image.topLayer);
      try {
        const chown = ins.flags.chown ? this.resolveOwner(rootfs, expandVars(ins.flags.chown as string, vars)) : undefined;
        const chmod = ins.flags.chmod ? parseInt(ins.flags.chmod as string, 8) : undefined;
        if (chmod !== undefined && (Number.isNaN(chmod) || chmod > 0o7777)) throw new BuildError(`${this.file}:${ins.line}: invalid --chmod ${ins.flags.chmod}`);
        await copyIntoRootfs(rootfs, sources, dest, {
          workdir: (cfg.WorkingDir as string) || '/', chown, chmod, extractArchives: isAdd, multiple: srcs.length > 1 || ins.heredocs.length > 1,
        });
      } finally {
        unmountRootfs(this.store, id);
      }
      await this.commitStep(state, id, `/bin/sh -c #(nop) ${ins.name} ${srcs.join(' ')} ${dest}`.replace(/\s+/g, ' '));
      this.remember(key, state.image.id);
      this.stepDone(state.image.id);
    } finally {
      cleanups.forEach((f) => f());
    }
  }

  /** Build-wide labels and annotations, --squash-all, the tags; prints COMMIT and the id. */
  private async finish(img: ImageRecord, lastStageSteps: number): Promise<string> {
    const tags = this.opts.tags ?? [];
    const { normalizeLocalName } = require('../image/lookup') as typeof import('../image/lookup');
    const names = tags.map((t) => normalizeLocalName(t));
    // podman names the image as given, and says nothing when the last step came from the cache
    // and there is no name to give it.
    if (!this.finalCached || tags.length) this.print(`${this.prefix}COMMIT${tags.length ? ' ' + tags[0] : ''}`);
    let id = img.id;
    const cfg = JSON.parse(img.configRaw);
    // --label came as steps; --annotation went into every step's commit. A last stage without
    // steps is committed anew only to carry annotations (buildah's commit of a bare FROM).
    const annotations = this.opts.annotations ?? {};
    const from = this.lastFrom!;
    if (!lastStageSteps && Object.keys(annotations).length) {
      id = this.made(writeConfigImage(this.store, img, {
        config: cfg.config ?? {}, createdBy: '/bin/sh -c #(nop) ', timestamp: this.opts.timestamp, format: this.opts.format,
        annotations: this.commitAnnotations(from.img, from.ref, from.scratch),
      }).id);
    }
    // Without --layers (and with --squash, --squash-all) buildah commits the last stage once, from its FROM.
    const onceAnnotations = this.commitAnnotations(from.img, from.ref, from.scratch);
    if ((this.opts.squash || !this.opts.layers) && !this.opts.squashAll && this.lastBase && this.lastBase !== id) {
      // --squash, and any build without --layers (buildah commits a stage once): everything the
      // last stage added, as one layer on its base image's layers. The steps keep their history
      // entries, the last one carrying the layer.
      const base = this.store.images.get(this.lastBase)!;
      const cur = this.store.images.get(id)!;
      const mk = async (img: ImageRecord) => {
        const cid = await this.idleContainer(img, img.id);
        return { cid, root: mountRootfs(this.store, cid, img.topLayer) };
      };
      const a = await mk(cur);
      const b = await mk(base);
      try {
        const { treeDiffTar, commitLayerOnto } = require('../engine/commit') as typeof import('../engine/commit');
        const baseHistory: unknown[] = JSON.parse(base.configRaw).history ?? [];
        const steps: Record<string, unknown>[] = (JSON.parse(cur.configRaw).history ?? []).slice(baseHistory.length)
          .map((h: Record<string, unknown>) => ({ ...h, empty_layer: true }));
        if (steps.length) delete steps[steps.length - 1].empty_layer;
        const r = await commitLayerOnto(this.store, base, () => treeDiffTar(a.root, b.root, { mtime: this.opts.timestamp }), {
          config: JSON.parse(cur.configRaw).config ?? {}, createdBy: '/bin/sh -c #(nop) squashed', historyComment: '', format: this.opts.format, timestamp: this.opts.timestamp,
          annotations: onceAnnotations, historyEntries: steps,
        });
        id = this.made(r.id);
      } finally {
        for (const x of [a, b]) { unmountRootfs(this.store, x.cid); await this.removeContainer(x.cid); }
      }
    }
    if (this.opts.squashAll) {
      const cur = this.store.images.get(id)!;
      const cid = await this.idleContainer(cur, cur.id);
      const c = this.ce.containers.get(cid)!;
      const r = await commitContainer(this.store, c, {
        config: JSON.parse(cur.configRaw).config ?? {}, squash: true, createdBy: '/bin/sh -c #(nop) squashed', historyComment: '',
        format: this.opts.format, timestamp: this.opts.timestamp, skipEnginePaths: true, annotations: onceAnnotations,
      });
      await this.removeContainer(cid);
      id = this.made(r.id);
    }
    // The final image's own settings: --env/--unsetenv when the stage had no step to carry them,
    // --os-version, --os-feature, --omit-history.
    const envOnly = !lastStageSteps && !!(this.opts.env?.length || this.opts.unsetEnv?.length);
    if (envOnly || this.opts.osVersion || this.opts.osFeatures?.length || this.opts.omitHistory) {
      const { rewriteImageConfig } = require('../engine/commit') as typeof import('../engine/commit');
      id = this.made(rewriteImageConfig(this.store, this.store.images.get(id)!, (c) => {
        if (envOnly) this.applyBuildEnv((c.config ??= {}) as ImageConfigBody);
        if (this.opts.osVersion) c['os.version'] = this.opts.osVersion;
        if (this.opts.osFeatures?.length) {
          let features: string[] = Array.isArray(c['os.features']) ? c['os.features'] : [];
          for (const f of this.opts.osFeatures) {
            features = f.endsWith('-') ? features.filter((x) => x !== f.slice(0, -1)) : [...features.filter((x) => x !== f), f];
          }
          if (features.length) c['os.features'] = features; else delete c['os.features'];
        }
        if (this.opts.omitHistory) delete c.history;
      }, { format: this.opts.format, annotations: manifestAnnotations(this.store.images.get(id)) }).id);
    }
    if (!this.opts.layers) this.commitProgress(this.store.images.get(id)!);
    // --sign-by signs what the build commits (not a final step taken from the cache as it is).
    if (this.opts.signBy && (!this.finalCached || id !== img.id)) await this.sign(id, names[0]);
    if (this.opts.output) await this.exportOutput(id);
    this.print(`--> ${id.slice(0, 11)}`);
    // The first name goes first in the image's names, the others after the ones it had (podman's
    // order); every name the image has is reported.
    names.forEach((n, i) => this.store.images.addName(id, n, { first: i === 0 }));
    if (names.length) for (const n of this.store.images.get(id)!.names) this.print(`Successfully tagged ${n}`);
    // The image id is the one line -q still prints.
    this.out.write(id + '\n');
    return id;
  }

  /**
   * build --sign-by: a simple signing signature of the image's manifest, kept with the image,
   * for its first name (buildah's temporary name for an image without one).
   */
  private async sign(id: string, name: string | undefined): Promise<void> {
    const { signManifest } = require('../image/signature/simple') as typeof import('../image/signature/simple');
    const img = this.store.images.get(id)!;
    const identity = name ?? `docker.io/library/${require('node:crypto').randomBytes(32).toString('hex')}-tmp:latest`;
    let sig: Buffer;
    try {
      sig = await signManifest(Buffer.from(img.manifest!, 'utf8'), identity, this.opts.signBy!);
    } catch (e) {
      // The commit failed: its image does not stay behind.
      if (!img.names.length) try { this.store.deleteImage(id); } catch { /* in use: left for prune */ }
      throw new PierError(`creating signature: ${errorMessage(e)}`);
    }
    this.store.images.setSignatures(id, img.manifestDigest!, [sig]);
  }

  /** --output: the final image's file system into a directory, a tar file or the CLI's stdout. */
  private async exportOutput(id: string): Promise<void> {
    const o = this.opts.output!;
    const img = this.store.images.get(id)!;
    const cid = await this.idleContainer(img, id);
    const rootfs = mountRootfs(this.store, cid, img.topLayer);
    const { writeDirAsTar } = require('../storage/tar/writer') as typeof import('../storage/tar/writer');
    const { pipeline } = require('node:stream/promises') as typeof import('node:stream/promises');
    try {
      if (o.type === 'local') {
        const dest = path.resolve(o.dest);
        try { fs.mkdirSync(dest, { recursive: true, mode: 0o700 }); } catch (e) { throw new PierError(`failed while creating the destination path "${dest}": ${errnoText(e)}`); }
        const { extractIntoView } = require('../engine/container-files') as typeof import('../engine/container-files');
        await extractIntoView({ root: dest, mounts: [], label: 'the build output' }, writeDirAsTar(rootfs), { dir: [], overwrite: true, what: `failed while performing untar at "${dest}"` });
      } else if ('stream' in o) {
        await pipeline(writeDirAsTar(rootfs), o.stream, { end: false });
      } else {
        const dest = path.resolve(o.dest);
        let file: fs.WriteStream;
        try { fs.closeSync(fs.openSync(dest, 'w')); file = fs.createWriteStream(dest); } catch (e) { throw new PierError(`failed while creating destination tar at "${dest}": ${errnoText(e)}`); }
        await pipeline(writeDirAsTar(rootfs), file);
      }
    } finally {
      unmountRootfs(this.store, cid);
      await this.removeContainer(cid);
    }
  }
}

/**
 * $VAR and ${VAR} in a --env value, from the image's variables (Go's os.Expand, as buildah uses
 * it): a variable the image does not set is replaced by its name, with the error buildah logs.
 */
function expandImageVars(value: string, env: string[]): string {
  return value.replace(/\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const hit = env.find((e) => e.split('=')[0] === name);
    if (hit !== undefined) return hit.slice(name.length + 1);
    log.error(`error expanding variable "${name}": no value set in image`);
    return name;
  });
}

/**
 * The name buildah gives a container from an image given as `spec` ('' for scratch), whose
 * names are `names`: `<prefix>-working-container`, the prefix being the image's base name (the
 * name it has that holds the one given, else its first) or a 12-digit id.
 */
export function workingContainerName(spec: string, names: string[]): string {
  if (!spec) return 'working-container';
  let imageSpec = spec;
  if (names.length) {
    const given = imageNamePrefix(spec);
    imageSpec = names.find((n) => n.includes(given)) ?? names[0];
  }
  return `${imageNamePrefix(imageSpec)}-working-container`;
}

/** buildah's imageNamePrefix: a digest or an id as 12 digits; a name up to its first `:`, its last `/`-part, up to `@`. */
function imageNamePrefix(name: string): string {
  let p = name;
  const digest = /^sha(?:256|384|512):([a-f0-9]+)$/.exec(p);
  if (digest) p = digest[1].slice(0, 12);
  if (/^[a-f0-9]{64}$/.test(p)) p = p.slice(0, 12);
  p = p.split(':')[0];
  p = p.split('/').pop()!;
  return p.split('@')[0];
}

/** HOST-DIR:CONTAINER-DIR[:OPTIONS], `\\:` being a colon in a path (buildah's SplitStringWithColonEscape). */
export function splitVolume(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\' && v[i + 1] === ':') { cur += ':'; i++; continue; }
    if (v[i] === ':') { out.push(cur); cur = ''; continue; }
    cur += v[i];
  }
  out.push(cur);
  return out;
}

/** A step as podman's errors name it: the instruction as written, an exec form's words joined by spaces. */
function stepMessage(ins: Instruction): string {
  const text = ins.json ? ins.original.slice(0, ins.original.length - ins.args.length) + ins.json.join(' ') : ins.original;
  return text.replace(/\s+/g, ' ').trim();
}

/** COPY/ADD arguments: whitespace-separated, with the usual quotes. */
function splitArgs(s: string): string[] {
  return splitWords(s).map((w) => w.value);
}

/** `rel` under `root`, refusing paths that leave it. */
export function safeJoin(root: string, rel: string): string {
  const p = path.resolve(root, rel.replace(/^\/+/, ''));
  if (p !== root && !p.startsWith(root.endsWith('/') ? root : root + '/')) throw new BuildError(`${rel}: path is outside of the build context`);
  return p;
}

function hostArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' } as Record<string, string>)[process.arch] ?? process.arch;
}

