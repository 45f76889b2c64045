// The remote ContainerEngine: the Libpod API's container endpoints. Attached runs, start -a,
// attach and exec go through hijacked connections (./attach), with the local terminal raw and
// its size sent to the service.
import type { CloneOptions, ContainerEngine, CreateOptions, PsOptions, ContainerSummary, LogOptions, ExecOptions } from '../containers';
import { PartialRemoveError, CONTAINER_INSPECT_MAPS, asEngineError, colorLogLine } from '../containers';
import { markGoMaps } from '../../util/gomap';
import type { ImageEngine } from '../images';
import type { PortMapping } from '../../network/types';
import { ApiClient, demux, exitCodeOf } from './client';
import { RemoteIO, processIO, pump, terminalSize } from './attach';
import { q, enc, filters, notRemote } from './query';
import { specGenerator } from './spec';
import { NotFoundError, PierError, EXIT_ENGINE, EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND } from '../../util/errors';

export class RemoteContainers implements ContainerEngine {
  constructor(private c: ApiClient, private images: ImageEngine) {}

  /** The image is pulled here first (with the CLI's progress), as podman-remote does. */
  private async ensureImage(o: CreateOptions): Promise<void> {
    if (o.rootfs) return;
    const policy = o.pull ?? 'missing';
    if (policy === 'never') return;
    if (policy === 'missing' && await this.images.exists(o.image)) return;
    try {
      await this.images.pull(o.image, { ...(o.pullOptions ?? {}), platform: o.pullOptions?.platform });
    } catch (e) {
      if (policy === 'newer' && await this.images.exists(o.image)) return;
      throw e;
    }
  }

  async create(o: CreateOptions) {
    await this.ensureImage(o);
    const r = await this.c.json('POST', '/libpod/containers/create', specGenerator({ ...o, pull: o.rootfs ? o.pull : 'never', pullOptions: undefined }));
    return { id: r.Id as string, warnings: (r.Warnings ?? []) as string[] };
  }

  /**
   * After an attached session: the exit code, or undefined when the user detached (only possible
   * with stdin attached: the detach keys). The streams close a moment before the container's
   * state says it exited, so a container still running is looked at again for a while.
   */
  private async afterAttach(id: string, couldDetach: boolean): Promise<number | undefined> {
    const deadline = Date.now() + (couldDetach ? 1500 : 0);
    for (;;) {
      let info: any;
      try { info = await this.inspect(id); } catch (e) {
        if (e instanceof NotFoundError) return this.wait(id, { conditions: ['stopped'] });
        throw e;
      }
      const st = info.State ?? {};
      const running = st.Status === 'running' || st.Status === 'paused' || st.Status === 'stopping';
      if (!running) {
        if ((st.Status === 'created' || st.Status === 'configured') && st.Error) throw new PierError(st.Error, exitCodeOf(st.Error));
        return this.wait(id, { conditions: ['stopped'] });
      }
      if (!couldDetach) return this.wait(id, { conditions: ['stopped'] });
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Attach (hijacked), start when asked, pump until the streams close. */
  private async attachSession(id: string, io: RemoteIO, o: { stdin: boolean; start: boolean; detachKeys?: string; tty?: boolean; streams?: string[] }): Promise<number | undefined> {
    const info = o.tty === undefined ? await this.inspect(id) as any : undefined;
    const tty = o.tty ?? !!info.Config?.Tty;
    // run --attach: only the streams named (as the local engine).
    const out = !o.streams || o.streams.includes('stdout'), err = !o.streams || o.streams.includes('stderr');
    // No stream at all (`run -a stdin` without -i): nothing to attach (the service refuses an
    // attach of no stream, as podman's); the container is started and waited for.
    const none = !o.stdin && !out && !err;
    const sock = none ? undefined : await this.c.hijack(`/libpod/containers/${enc(id)}/attach${q({ stdin: o.stdin, stdout: out ? true : 'false', stderr: err ? true : 'false', stream: true, detachKeys: o.detachKeys ?? undefined })}`);
    const resize = (h: number, w: number) => { void this.c.json('POST', `/libpod/containers/${enc(id)}/resize${q({ h, w })}`).catch(() => undefined); };
    const pumping = sock ? pump(sock, io, { tty, stdin: o.stdin, resize: tty ? resize : undefined }) : Promise.resolve();
    // As podman's client: the terminal's size right after the attach, before a start (the service
    // keeps it for the start when the container has no conmon yet).
    const size = tty ? terminalSize(io) : undefined;
    if (size) await this.c.json('POST', `/libpod/containers/${enc(id)}/resize${q({ h: size.h, w: size.w })}`).catch(() => undefined);
    if (o.start) {
      try {
        await this.c.json('POST', `/libpod/containers/${enc(id)}/start${q({ detachKeys: o.detachKeys ?? undefined })}`);
      } catch (e) {
        sock?.destroy();
        await pumping;
        // podman's attach endpoint initializes the container, in these words when that fails.
        throw initError(e) ? new PierError(`preparing container ${info?.Id ?? id} for attach: ${e.message}`, e.exitCode) : e;
      }
      if (!out && !err) io.stdout.write(`${id}\n`);
    }
    await pumping;
    return this.afterAttach(id, o.stdin);
  }

  async start(nameOrId: string, opts: { attach?: boolean; interactive?: boolean; detachKeys?: string } = {}, io?: RemoteIO): Promise<number | void> {
    try {
      if (!opts.attach) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/start`); return; }
      return await this.attachSession(nameOrId, io ?? processIO(), { stdin: !!opts.interactive, start: true, detachKeys: opts.detachKeys });
    } catch (e) {
      // The runtime's refusal or a bad hook file in podman-remote's `start` words: `unable to start
      // container "ID": ...`, or with --attach `unable to start container ID: preparing container ID
      // for attach: ...`.
      const msg = (e as Error).message;
      const attachInit = !!opts.attach && e instanceof PierError && msg.startsWith('preparing container ');
      if (!attachInit && (!initError(e) || /unable to start container "/.test(msg))) throw e;
      let id = nameOrId;
      try { id = (await this.c.json<{ Id: string }>('GET', `/libpod/containers/${enc(nameOrId)}/json`)).Id; } catch { /* keep the name */ }
      if (attachInit) throw new PierError(`unable to start container ${id}: ${msg}`, EXIT_ENGINE);
      const generic = 'OCI runtime error: ';
      throw new PierError(msg.startsWith(generic) ? `${generic}unable to start container "${id}": ${msg.slice(generic.length)}` : `unable to start container "${id}": ${msg}`, EXIT_ENGINE);
    }
  }

  async run(o: CreateOptions & { detach?: boolean; detachKeys?: string; sigProxy?: boolean; attach?: string[]; warn?: (w: string) => void }, io?: RemoteIO): Promise<{ id: string; exitCode?: number }> {
    const { id, warnings } = await this.create(o);
    for (const w of warnings) o.warn?.(w);
    if (o.detach) {
      try {
        await this.c.json('POST', `/libpod/containers/${enc(id)}/start`);
      } catch (e) {
        if (o.rm) await this.remove(id, { force: true, ignore: true, timeout: 0, volumes: true }).catch(() => undefined);
        throw runStartError(e);
      }
      return { id };
    }
    let exitCode: number | undefined;
    try {
      exitCode = await this.attachSession(id, io ?? processIO(), { stdin: !!o.interactive, start: true, detachKeys: o.detachKeys, tty: !!o.tty, streams: o.attach });
    } catch (e) {
      // A start that failed: the container goes with its anonymous volumes (podman-remote's run --rm).
      if (o.rm) await this.remove(id, { force: true, ignore: true, timeout: 0, volumes: true }).catch(() => undefined);
      throw runStartError(e);
    }
    if (exitCode !== undefined && o.rm) await this.remove(id, { force: true, ignore: true }).catch(() => undefined);
    return { id, exitCode };
  }

  async attach(nameOrId: string, opts: { noStdin?: boolean; detachKeys?: string; sigProxy?: boolean }, io?: RemoteIO): Promise<number | undefined> {
    const info = await this.inspect(nameOrId) as any;
    if (info.State?.Status !== 'running') throw new PierError('you can only attach to running containers: container state improper');
    return this.attachSession(info.Id, io ?? processIO(), { stdin: !opts.noStdin && !!info.Config?.OpenStdin, start: false, detachKeys: opts.detachKeys, tty: !!info.Config?.Tty });
  }

  async execDetached(nameOrId: string, o: ExecOptions): Promise<string> {
    const { Id } = await this.createExec(nameOrId, { ...o, detach: true });
    await this.c.json('POST', `/libpod/exec/${Id}/start`, { Detach: true });
    return Id;
  }

  private createExec(nameOrId: string, o: ExecOptions): Promise<{ Id: string }> {
    return this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/exec`, {
      AttachStdin: !!o.interactive && !o.detach, AttachStdout: !o.detach, AttachStderr: !o.detach, Cmd: o.command, DetachKeys: o.detachKeys,
      Env: [...(o.envFile ?? []).flatMap(readEnvFileLines), ...(o.env ?? [])], Privileged: !!o.privileged, Tty: !!o.tty, User: o.user ?? '', WorkingDir: o.workdir ?? '',
    });
  }

  async exec(nameOrId: string, o: ExecOptions, io: RemoteIO = processIO()): Promise<number> {
    if (o.detach) { await this.execDetached(nameOrId, o); return 0; }
    const { Id } = await this.createExec(nameOrId, o);
    const tty = !!o.tty;
    const sz = tty ? terminalSize(io) : undefined;
    const sock = await this.c.hijack(`/libpod/exec/${Id}/start`, { Detach: false, Tty: tty, ...(sz ?? {}) });
    const resize = (h: number, w: number) => { void this.c.json('POST', `/libpod/exec/${Id}/resize${q({ h, w })}`).catch(() => undefined); };
    await pump(sock, io, { tty, stdin: !!o.interactive, resize: tty ? resize : undefined });
    const info = await this.c.json('GET', `/libpod/exec/${Id}/json`);
    if (info.pier_error) throw new PierError(info.pier_error, info.pier_exit_code ?? 126);
    return info.ExitCode ?? 0;
  }

  async stop(nameOrId: string, opts: { timeout?: number; ignore?: boolean }) {
    try { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/stop${q({ timeout: opts.timeout })}`); } catch (e) {
      if (!(opts.ignore && e instanceof NotFoundError)) throw e;
    }
  }
  async kill(nameOrId: string, signal: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/kill${q({ signal })}`); }
  async remove(nameOrId: string, opts: { force?: boolean; volumes?: boolean; ignore?: boolean; timeout?: number; depend?: boolean }) {
    const r = await this.c.json<{ Id: string; Err?: string | null; pier_exit_code?: number }[]>('DELETE', `/libpod/containers/${enc(nameOrId)}${q({ force: opts.force, v: opts.volumes, ignore: opts.ignore, timeout: opts.timeout, depend: opts.depend })}`);
    const failed = r.filter((x) => x.Err);
    if (failed.length) {
      const failures = failed.map((x) => ({ id: x.Id, error: new PierError(String(x.Err), x.pier_exit_code ?? 125) }));
      throw new PartialRemoveError(r.filter((x) => !x.Err).map((x) => x.Id), failures);
    }
    return r.map((x) => x.Id);
  }
  async list(opts: PsOptions): Promise<ContainerSummary[]> {
    const rows = await this.c.json<(Omit<ContainerSummary, 'Created'> & { Created: string | number })[]>('GET', `/libpod/containers/json${q({ all: opts.all, size: opts.size, last: opts.last, sync: opts.sync, external: opts.external, filters: filters(opts.filters) })}`);
    // The API's Created is a time; the CLI's rows carry unix seconds.
    return markGoMaps(rows.map((c) => ({ ...c, Created: typeof c.Created === 'string' ? Math.floor(Date.parse(c.Created) / 1000) : c.Created })), ['*.Labels']);
  }
  async inspect(nameOrId: string, opts: { size?: boolean } = {}) {
    return markGoMaps(await this.c.json<Record<string, unknown>>('GET', `/libpod/containers/${enc(nameOrId)}/json${q({ size: opts.size })}`), CONTAINER_INSPECT_MAPS);
  }
  /** As the local engine's: another namespace's container (a namespaced service) is its error, not a missing one. */
  async exists(nameOrId: string, opts: { external?: boolean } = {}) { return this.c.exists(`/libpod/containers/${enc(nameOrId)}/exists${q({ external: opts.external })}`); }
  async wait(nameOrId: string, opts: { conditions?: string[]; interval?: number }) {
    return this.c.json<number>('POST', `/libpod/containers/${enc(nameOrId)}/wait${q({ condition: opts.conditions, interval: opts.interval ? `${opts.interval}ms` : undefined })}`);
  }
  async logs(nameOrIds: string[], opts: LogOptions, out: { stdout(b: Buffer | string): void; stderr(b: Buffer | string): void }) {
    // Several containers (or pod logs): each line carries its container, short id or name (the service adds it);
    // --color is the client's, each container's lines (one frame each) in its color.
    const names = nameOrIds.length > 1 || !!opts.multi;
    const paint = (i: number, b: Buffer | string) => (opts.color ? colorLogLine(b.toString(), i) : b);
    await Promise.all(nameOrIds.map((n, i) => this.c.stream('GET', `/libpod/containers/${enc(n)}/logs${q({ follow: opts.follow, since: opts.since, until: opts.until, tail: opts.tail, timestamps: opts.timestamps, names, usenames: opts.names, stdout: true, stderr: true })}`,
      demux((b) => out.stdout(paint(i, b)), (b) => out.stderr(paint(i, b))))));
  }
  async cleanup(): Promise<void> { return notRemote('container cleanup'); }
  async cleanupExec(): Promise<void> { return notRemote('container cleanup'); }
  async ids(opts: { all?: boolean; latest?: boolean; filters?: string[] } = {}) {
    const rows = await this.list({ all: opts.all, last: opts.latest ? 1 : undefined, filters: opts.filters });
    return rows.map((r) => r.Id);
  }
  async restart(nameOrId: string, opts: { timeout?: number }) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/restart${q({ t: opts.timeout })}`); }
  async init(nameOrId: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/init`); }
  async pause(nameOrId: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/pause`); }
  async unpause(nameOrId: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/unpause`); }
  async rename(nameOrId: string, newName: string) { await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/rename${q({ name: newName })}`); }
  imagesInUse(): Map<string, string[]> { return new Map(); }

  /**
   * `container clone` through pier's own endpoint (podman 4.3 has none: its remote client
   * refuses). A new image is pulled here first, as create's is.
   */
  async clone(nameOrId: string, o: CloneOptions): Promise<{ id: string; warnings: string[] }> {
    if (o.image) await this.ensureImage({ image: o.image, command: [], pullOptions: o.pullOptions });
    let r;
    // (The client reads 126/127 from a runtime's message: a clone's failed start is 125.)
    try { r = await this.c.json('POST', `/libpod/containers/${enc(nameOrId)}/clone`, { ...o, pullOptions: undefined }); } catch (e) { throw asEngineError(e); }
    return { id: r.Id as string, warnings: (r.Warnings ?? []) as string[] };
  }

  /** `stats`: the named containers, all (-a), or the running ones. */
  async statsTargets(names: string[], all: boolean): Promise<{ id: string; state: { status: string } }[]> {
    if (names.length) {
      return Promise.all(names.map(async (n) => { const i = await this.inspect(n) as any; return { id: String(i.Id), state: { status: String(i.State?.Status) } }; }));
    }
    return (await this.list({ all })).map((r) => ({ id: r.Id, state: { status: r.State } }));
  }

  /** One sample per container from the service; CPU % over the interval since `prev`, as locally. */
  async stats(targets: { id: string }[], prev: Map<string, import('../../engine/stats').ContainerStats> = new Map()): Promise<import('../../engine/stats').ContainerStats[]> {
    if (!targets.length) return [];
    const r = await this.c.json('GET', `/libpod/containers/stats${q({ containers: targets.map((t) => t.id), stream: 'false' })}`);
    if (r.Error) throw new PierError(String(r.Error));
    return (r.Stats ?? []).map((s: import('../../engine/stats').ContainerStats) => {
      const p = prev.get(s.ContainerID);
      if (!p || s.SystemNano <= p.SystemNano) return s;
      const cpu = ((s.CPUNano - p.CPUNano) / (s.SystemNano - p.SystemNano)) * 100;
      return { ...s, CPU: cpu, AvgCPU: (p.AvgCPU * p.DataPoints + cpu) / (p.DataPoints + 1), DataPoints: p.DataPoints + 1 };
    });
  }

  /** `top`: the titles row, then one row per process. */
  async top(nameOrId: string, descriptors: string[]): Promise<string[][]> {
    const r = await this.c.json('GET', `/libpod/containers/${enc(nameOrId)}/top${q({ ps_args: descriptors.length ? descriptors.join(' ') : undefined })}`);
    return [r.Titles ?? [], ...(r.Processes ?? [])];
  }

  /** The host ports published for a running container, from its inspect (NetworkSettings.Ports); none for one not running. */
  async ports(nameOrId: string): Promise<PortMapping[]> {
    const info = await this.inspect(nameOrId) as any;
    const out: PortMapping[] = [];
    if (info.State?.Status !== 'running') return out;
    for (const [key, binds] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
      const [port, proto] = key.split('/');
      for (const b of (binds as { HostIp: string; HostPort: string }[] | null) ?? []) {
        out.push({ container_port: Number(port), protocol: proto, host_ip: b.HostIp, host_port: Number(b.HostPort), range: 1 } as PortMapping);
      }
    }
    return out;
  }
}

/** --env-file lines are read here, on the client, as podman-remote does. */
function readEnvFileLines(file: string): string[] {
  const { parseEnvFile } = require('../../cli/commands/container-flags') as typeof import('../../cli/commands/container-flags');
  return parseEnvFile(file, process.env);
}

/** A failed start in `run` exits 127 when it names something not found, else 126, as locally. */
/** An error of a container's initialization: the runtime's refusal, a bad OCI hook file. */
function initError(e: unknown): e is PierError {
  return e instanceof PierError && /^OCI runtime error: |: OCI (permission denied|runtime attempted to invoke)|^setting up OCI Hooks: /.test(e.message);
}

function runStartError(e: unknown): unknown {
  if (!(e instanceof PierError) || e.exitCode !== EXIT_ENGINE) return e;
  return new PierError(e.message, /not found|no such file/i.test(e.message) ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE);
}
