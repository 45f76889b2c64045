// Libpod exec sessions, as podman 4.3 answers them: POST /libpod/containers/{name}/exec creates a
// session ({Id}), POST /libpod/exec/{id}/start runs it on a hijacked connection (raw with a
// terminal, else Docker's multiplexed stream; `h`/`w` in the body size the terminal first),
// /libpod/exec/{id}/resize resizes it and /libpod/exec/{id}/json reports it (ExitCode). A session
// whose process could not run carries pier_error / pier_exit_code (extensions) so pier's remote
// client reports it as the local CLI does.
import { PassThrough, Writable, Duplex } from 'node:stream';
import type { Router } from '../router';
import { ApiError } from '../errors';
import type { ExecOptions } from '../../domain/containers';
import type { AttachSession } from '../../engine/attach';
import { frame, MULTIPLEXED, RAW } from '../docker/streams';
import { localContainers } from '../docker/common';
import { NotFoundError, PierError, errorMessage } from '../../util/errors';
import { randomId } from '../../util/digest';

interface Session {
  id: string;
  container: string;
  opts: ExecOptions;
  running: boolean;
  exitCode: number;
  started: boolean;
  error?: string;
  errorExit?: number;
  session?: AttachSession;
  size?: { h: number; w: number };
}

const sessions = new Map<string, Session>();
/** Finished sessions are forgotten after a while (podman removes them once inspected too). */
const KEEP_MS = 5 * 60_000;

function sessionOf(id: string): Session {
  const s = sessions.get(id);
  if (!s) throw new ApiError(404, `no exec session with ID ${id} found: no such exec session`);
  return s;
}

function out(sock: Duplex, stream: 1 | 2, mux: boolean): Writable {
  return new Writable({
    write(ch: Buffer, _e, cb) {
      if (sock.destroyed || sock.writableEnded) { cb(); return; }
      if (!sock.write(mux ? frame(stream, ch) : ch)) sock.once('drain', () => cb()); else cb();
    },
  });
}

function finish(s: Session): void {
  s.running = false;
  s.session = undefined;
  setTimeout(() => sessions.delete(s.id), KEEP_MS).unref();
}

export function registerLibpodExecRoutes(router: Router): void {
  router.post('/libpod/containers/{name}/exec', async (r) => {
    const ce = localContainers(r);
    let c;
    try { c = ce.lifecycle.get(r.params.name); } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, errorMessage(e));
      throw e;
    }
    const b = (await r.json()) ?? {};
    if (!Array.isArray(b.Cmd) || !b.Cmd.length || b.Cmd.some((x: unknown) => typeof x !== 'string')) {
      throw new ApiError(400, 'must provide a non-empty command to start an exec session: invalid argument');
    }
    if (c.state.status !== 'running') throw new ApiError(409, 'can only create exec sessions on running containers: container state improper');
    const id = randomId();
    sessions.set(id, {
      id, container: c.id, running: false, started: false, exitCode: -1,
      opts: {
        command: b.Cmd, tty: !!b.Tty, interactive: !!b.AttachStdin, env: Array.isArray(b.Env) && b.Env.length ? b.Env : undefined,
        user: b.User || undefined, workdir: b.WorkingDir || undefined, privileged: !!b.Privileged, detachKeys: typeof b.DetachKeys === 'string' ? b.DetachKeys : '',
      },
    });
    r.send(201, { Id: id });
  });

  router.post('/libpod/exec/{id}/start', async (r) => {
    const s = sessionOf(r.params.id);
    if (s.started) throw new ApiError(409, `exec session ${s.id} has already been started: exec session state improper`);
    const b = (await r.json()) ?? {};
    if (Number(b.h) > 0 && Number(b.w) > 0) s.size = { h: Number(b.h), w: Number(b.w) };
    s.started = true;
    s.running = true;
    const ce = localContainers(r);
    const record = (e: unknown) => {
      s.error = errorMessage(e);
      s.errorExit = e instanceof PierError ? e.exitCode : 126;
      s.exitCode = s.errorExit;
    };
    if (b.Detach) {
      const devnull = new Writable({ write: (_c, _e, cb) => cb() });
      ce.exec(s.container, { ...s.opts, interactive: false }, { stdin: null, stdout: devnull, stderr: devnull })
        .then((code) => { s.exitCode = code; }, record).finally(() => finish(s));
      r.send(200, {});
      return;
    }
    const tty = !!s.opts.tty;
    const sock = r.hijack(tty ? RAW : MULTIPLEXED);
    let stdin: PassThrough | null = null;
    if (s.opts.interactive) { stdin = new PassThrough(); sock.pipe(stdin); } else sock.resume();
    sock.once('close', () => s.session?.detach());
    try {
      s.exitCode = await ce.exec(s.container, s.opts, { stdin, stdout: out(sock, 1, !tty), stderr: out(sock, 2, !tty) }, {
        onAttach: (session) => {
          s.session = session;
          if (tty && s.size) { try { session.resize(s.size.h, s.size.w); } catch { /* ended */ } }
        },
      });
    } catch (e) {
      record(e);
    } finally {
      finish(s);
      if (!sock.destroyed) sock.end();
    }
  });

  router.post('/libpod/exec/{id}/resize', async (r) => {
    const s = sessionOf(r.params.id);
    const h = Number(r.query.get('h') ?? 0);
    const w = Number(r.query.get('w') ?? 0);
    if (!Number.isFinite(h) || !Number.isFinite(w)) throw new ApiError(400, 'invalid terminal size');
    s.size = { h, w };
    if (s.session && s.opts.tty) { try { s.session.resize(h, w); } catch { /* ended */ } }
    r.send(201, {});
  });

  router.get('/libpod/exec/{id}/json', async (r) => {
    const s = sessionOf(r.params.id);
    r.send(200, {
      CanRemove: !s.running, ContainerID: s.container, DetachKeys: s.opts.detachKeys ?? '', ExitCode: s.exitCode, ID: s.id,
      OpenStderr: true, OpenStdin: !!s.opts.interactive, OpenStdout: true, Running: s.running, Pid: 0,
      ProcessConfig: { arguments: s.opts.command.slice(1), entrypoint: s.opts.command[0], privileged: !!s.opts.privileged, tty: !!s.opts.tty, user: s.opts.user ?? '' },
      ...(s.error !== undefined ? { pier_error: s.error, pier_exit_code: s.errorExit } : {}),
    });
  });
}
