// Starting `pier system service` on a private socket for API tests, and talking HTTP to it.
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, ChildProcess } from 'node:child_process';
import { PIER, TestStore } from './cli';

export interface Service {
  socket: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts the service for `store` on a unix socket in the store's directory; resolves once it answers. */
export async function startService(store: TestStore, opts: { time?: number; extraArgs?: string[]; env?: NodeJS.ProcessEnv; socket?: string } = {}): Promise<Service> {
  const socket = opts.socket ?? path.join(store.dir, `api-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
  const child = spawn(process.execPath, [PIER, ...store.localArgs(), ...(opts.extraArgs ?? []), 'system', 'service', '--time', String(opts.time ?? 0), `unix://${socket}`],
    { env: store.env(opts.env), stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let i = 0; i < 200; i++) {
    if (fs.existsSync(socket)) {
      try { await request(socket, 'GET', '/_ping'); break; } catch { /* not yet */ }
    }
    if (child.exitCode !== null) throw new Error(`service exited: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket, child, stderr: () => err,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      // A service that does not stop must fail its test, not hang the suite.
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
      if (child.signalCode === 'SIGKILL') throw new Error(`the service did not exit within 20 s of SIGTERM: ${err}`);
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): any;
}

/** One HTTP request over a unix socket. */
export function request(socket: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
    const req = http.request({ socketPath: socket, agent: false, method, path: p, headers: { ...(data ? { 'Content-Type': 'application/json', 'Content-Length': String(data.length) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString(), json: () => JSON.parse(b.toString()) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** A store with the busybox image and a service on it, for a suite's `before`. */
export async function openService(): Promise<{ store: import('./cli').TestStore; svc: Service }> {
  const { busyboxStore } = await import('./cli');
  const store = await busyboxStore();
  return { store, svc: await startService(store) };
}

/** A suite's `after`: stops the service, removes its containers, then the store (retrying while mounts settle). */
export async function closeService(store: import('./cli').TestStore | undefined, svc: Service | undefined): Promise<void> {
  await svc?.stop();
  if (!store) return;
  store.run(['rm', '-a', '-f', '-t', '0']);
  for (let i = 0; ; i++) {
    try { store.cleanup(); break; } catch (e) { if (i >= 10) throw e; await new Promise((r) => setTimeout(r, 300)); }
  }
}
