// `pier system service`: listening, version negotiation, errors, idle exit, socket activation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { TestStore, PIER } from '../helpers/cli';
import { startService, request } from '../helpers/api';

const store = new TestStore();
after(() => store.cleanup());

test('answers /_ping and /version, unversioned and versioned, with API headers', async () => {
  const svc = await startService(store);
  try {
    const ping = await request(svc.socket, 'GET', '/_ping');
    assert.equal(ping.status, 200);
    assert.equal(ping.text, 'OK');
    assert.equal(ping.headers['api-version'], '1.41');
    const head = await request(svc.socket, 'HEAD', '/_ping');
    assert.equal(head.status, 200);
    const v = await request(svc.socket, 'GET', '/v1.41/version');
    assert.equal(v.status, 200);
    assert.equal(v.json().ApiVersion, '1.41');
    assert.equal(v.json().MinAPIVersion, '1.24');
    // podman's engine component reports the Libpod API's versions
    assert.deepEqual([v.json().Components[0].Details.APIVersion, v.json().Components[0].Details.MinAPIVersion], ['4.3.1', '4.0.0']);
    const lv = await request(svc.socket, 'GET', '/v4.3.1/libpod/version');
    assert.equal(lv.status, 200);
    // The socket keeps other users out.
    assert.equal(fs.statSync(svc.socket).mode & 0o007, 0);
  } finally {
    await svc.stop();
  }
  assert.equal(fs.existsSync(svc.socket), false, 'the socket is removed when the service stops');
});

test('Docker-style errors: too new a version, unknown endpoint, wrong method; Libpod-style for libpod paths', async () => {
  const svc = await startService(store);
  try {
    const tooNew = await request(svc.socket, 'GET', '/v1.99/version');
    assert.equal(tooNew.status, 400);
    assert.match(tooNew.json().message, /client version 1\.99 is too new/);
    const unknown = await request(svc.socket, 'GET', '/v1.41/nothing/here');
    assert.equal(unknown.status, 404);
    assert.equal(typeof unknown.json().message, 'string');
    const lp = await request(svc.socket, 'GET', '/v4.3.1/libpod/nothing');
    assert.equal(lp.status, 404);
    assert.equal(lp.json().response, 404);
    assert.ok(lp.json().cause);
    const wrong = await request(svc.socket, 'DELETE', '/_ping');
    assert.equal(wrong.status, 405);
    // The service is still up after all that.
    assert.equal((await request(svc.socket, 'GET', '/_ping')).status, 200);
  } finally {
    await svc.stop();
  }
});

test('Libpod bool query parameters read as podman\'s schema decoder does: a value that does not convert is a 400', async () => {
  const svc = await startService(store);
  try {
    for (const p of ['/v4.3.1/libpod/generate/kube?names=x&service=maybe', '/v4.3.1/libpod/containers/json?all=yes', '/v4.3.1/libpod/images/json?all=2']) {
      const r = await request(svc.socket, 'GET', p);
      assert.equal(r.status, 400, p);
      assert.match(r.json().message, /schema: error converting value for "(service|all)"/, p);
    }
    // strconv.ParseBool's other spellings are accepted.
    const ok = await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/json?all=T');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), []);
  } finally {
    await svc.stop();
  }
});

test('the Docker CLI negotiates the API version with the service', async () => {
  const svc = await startService(store);
  try {
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      const c = spawn('docker', ['version', '--format', '{{.Server.APIVersion}} {{.Client.APIVersion}}'], { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}` } });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (out += d));
      c.on('close', (code) => resolve({ code: code ?? -1, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.trim(), '1.41 1.41');
  } finally {
    await svc.stop();
  }
});

test('exits after --time seconds without requests', async () => {
  const svc = await startService(store, { time: 1 });
  const t0 = Date.now();
  await new Promise<void>((resolve) => svc.child.on('exit', () => resolve()));
  assert.equal(svc.child.exitCode, 0);
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(fs.existsSync(svc.socket), false);
});

test('systemd socket activation: serves on the socket passed as LISTEN_FDS', async () => {
  const sock = path.join(store.dir, 'activated.sock');
  // What systemd does for a .socket unit: bind, listen, and exec the service with the socket as fd 3
  // and LISTEN_FDS=1, LISTEN_PID=<its pid>.
  const launcher = [
    'import os, socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
    's.bind(sys.argv[1]); s.listen(16)',
    'os.dup2(s.fileno(), 3); os.set_inheritable(3, True)',
    'os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())',
    'os.execv(sys.argv[2], sys.argv[2:])',
  ].join('\n');
  const child = spawn('/usr/bin/python3', ['-c', launcher, sock, process.execPath, PIER, ...store.localArgs(), 'system', 'service', '--time', '0'], { env: store.env(), stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    // The file appears at bind(2); connections are refused until listen(2), a moment later.
    let ping: Awaited<ReturnType<typeof request>> | undefined;
    for (let i = 0; !ping; i++) {
      try {
        ping = await request(sock, 'GET', '/_ping');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED' || i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.equal(ping.status, 200);
    assert.equal(ping.text, 'OK');
  } finally {
    child.kill('SIGTERM');
    spawnSync('pkill', ['-f', `${store.dir}.*system service`]);
  }
});

test('a second service on a live socket is refused; a stale socket file is replaced', async () => {
  const svc = await startService(store);
  try {
    const r = spawnSync(process.execPath, [PIER, ...store.localArgs(), 'system', 'service', '--time', '0', `unix://${svc.socket}`], { env: store.env(), timeout: 10000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.toString(), /in use/);
  } finally {
    svc.child.kill('SIGKILL');
    await new Promise((r) => svc.child.on('exit', r));
  }
  assert.ok(fs.existsSync(svc.socket), 'a killed service leaves its socket file');
  const again = await startService(store, { socket: svc.socket });
  assert.equal(again.socket, svc.socket);
  try {
    assert.equal((await request(again.socket, 'GET', '/_ping')).status, 200);
  } finally {
    await again.stop();
  }
});

test('SIGTERM stops the service within seconds even while a client holds an events stream and a hijacked connection open; a successor on the path keeps its socket', async () => {
  const svc = await startService(store);
  const net = await import('node:net');
  const open = (req: string) => new Promise<import('node:net').Socket>((resolve, reject) => {
    const c = net.createConnection(svc.socket, () => { c.write(req); resolve(c); });
    c.on('error', reject);
  });
  // An events stream that never ends, and an upgraded (hijacked) request left open.
  const events = await open('GET /v1.41/events HTTP/1.1\r\nHost: d\r\n\r\n');
  const upgraded = await open('POST /v1.41/containers/nosuch/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n');
  await new Promise((r) => setTimeout(r, 300));
  const t0 = Date.now();
  svc.child.kill('SIGTERM');
  // A successor binds the path while this one drains: the old one's exit leaves the new socket alone.
  await new Promise((r) => setTimeout(r, 300));
  const next = await startService(store, { socket: svc.socket });
  const exited = await Promise.race([
    new Promise<boolean>((resolve) => (svc.child.exitCode !== null ? resolve(true) : svc.child.on('exit', () => resolve(true)))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
  ]);
  events.destroy();
  upgraded.destroy();
  if (!exited) svc.child.kill('SIGKILL');
  assert.ok(exited, 'the service was still running 15 s after SIGTERM');
  assert.ok(Date.now() - t0 < 10_000);
  assert.equal(svc.child.exitCode, 0);
  try {
    assert.equal((await request(next.socket, 'GET', '/_ping')).status, 200, 'the successor still answers on the path');
  } finally {
    await next.stop();
  }
  assert.ok(!fs.existsSync(svc.socket), 'the socket file is removed');
});

test('listening addresses as podman reads them (tcp:HOST:PORT, unix:/PATH), its errors for others, --cors headers and log line', async () => {
  for (const [uri, msg] of [
    ['localhost:9292', 'API Service endpoint scheme "localhost" is not supported. Try tcp://localhost:9292 or unix:/localhost:9292'],
    ['9292', 'API Service endpoint scheme "" is not supported. Try tcp://9292 or unix:/9292'],
    ['1:2', '1:2 is an invalid socket destination'],
    ['unix://relative.sock', 'invalid socket path in unix://relative.sock: must be absolute'],
  ]) {
    const r = store.run(['system', 'service', '-t', '1', uri]);
    assert.deepEqual([r.code, r.stderr], [125, `Error: ${msg}\n`], uri);
  }
  // tcp:HOST:PORT (no //), with CORS: the header on every answer, and podman's debug line.
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [PIER, ...store.globalArgs(), '--log-level=debug', 'system', 'service', '--cors=*', '-t', '5', `tcp:127.0.0.1:${port}`],
    { env: store.env(), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  try {
    let res: Response | undefined;
    for (let i = 0; i < 100 && !res; i++) {
      try { res = await fetch(`http://127.0.0.1:${port}/_ping`); } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.ok(res, `no service on ${port}:\n${log}`);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(log, /level=debug msg="CORS Headers were set to \\"\*\\""/);
  } finally {
    child.kill('SIGTERM');
  }
  // unix:/PATH (one slash).
  const sock = path.join(store.dir, 'one-slash.sock');
  const svc = spawn(process.execPath, [PIER, ...store.globalArgs(), 'system', 'service', '-t', '5', `unix:${sock}`], { env: store.env(), stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
    const r = spawnSync('curl', ['-s', '--unix-socket', sock, 'http://d/_ping'], { encoding: 'utf8' });
    assert.equal(r.stdout, 'OK');
  } finally {
    svc.kill('SIGTERM');
  }
});
