// The service under abuse: 100 concurrent mixed requests leave consistent state; malformed JSON,
// wrong types, huge bodies, unknown endpoints and clients hanging up mid-stream get Docker-style
// errors and never crash the service or leak containers, mounts or connections.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { TestStore } from '../helpers/cli';
import { Service, closeService, openService, request, startService } from '../helpers/api';

let store: TestStore;
let svc: Service;
before(async () => ({ store: store, svc: svc } = await openService()));
after(() => closeService(store, svc));

const api = (method: string, p: string, body?: unknown) => request(svc.socket, method, `/v1.41${p}`, body);

function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(dir));
}

function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

test('100 concurrent mixed requests (create, start, list, inspect, stop, rm) leave consistent state', async () => {
  const N = 20;
  const names = Array.from({ length: N }, (_, i) => `conc${i}`);
  const ops: Promise<{ status: number; what: string }>[] = [];
  const tag = (what: string) => (r: { status: number }) => ({ status: r.status, what });
  // 20 creates + 20 starts (each start after its create) + 20 stops + 20 lists + 20 inspects = 100.
  for (const n of names) {
    ops.push((async () => {
      const c = await api('POST', `/containers/create?name=${n}`, { Image: 'localhost/busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } });
      assert.equal(c.status, 201, c.text);
      const s = await api('POST', `/containers/${n}/start`);
      return { status: s.status, what: `start ${n}` };
    })());
    ops.push(api('GET', '/containers/json?all=1').then(tag('list')));
    ops.push(api('GET', `/containers/${n}/json`).then(tag(`inspect ${n}`)));
    ops.push(api('POST', `/containers/${n}/stop?t=0`).then(tag(`stop ${n}`)));
  }
  const results = await Promise.all(ops);
  for (const r of results) {
    if (r.what === 'list') assert.equal(r.status, 200);
    else if (r.what.startsWith('start')) assert.equal(r.status, 204, r.what);
    // Racing its create and start: not there yet (404), not running yet (304) or stopped (204).
    else if (r.what.startsWith('inspect')) assert.ok([200, 404].includes(r.status), `${r.what}: ${r.status}`);
    else assert.ok([204, 304, 404].includes(r.status), `${r.what}: ${r.status}`);
  }
  // Every container is known once, and its recorded state matches reality.
  const all = (await api('GET', '/containers/json?all=1')).json();
  assert.deepEqual(all.map((c: any) => c.Names[0].slice(1)).sort(), [...names].sort());
  for (const c of all) {
    const ins = (await api('GET', `/containers/${c.Id}/json`)).json();
    assert.equal(ins.State.Status, c.State);
    if (ins.State.Running) assert.ok(fs.existsSync(`/proc/${ins.State.Pid}`), `${c.Names[0]} runs as recorded`);
  }
  // Now remove them all at once (half stopped first, half forced while running).
  const rms = await Promise.all(all.map((c: any, i: number) => (i % 2
    ? api('POST', `/containers/${c.Id}/stop?t=0`).then(() => api('DELETE', `/containers/${c.Id}`))
    : api('DELETE', `/containers/${c.Id}?force=1`))));
  for (const r of rms) assert.equal(r.status, 204, r.text);
  assert.deepEqual((await api('GET', '/containers/json?all=1')).json(), []);
  assert.deepEqual(mountsUnder(store.dir), [], 'no rootfs left mounted');
  const locks = path.join(store.runroot, 'locks');
  assert.deepEqual(fs.existsSync(locks) ? fs.readdirSync(locks) : [], [], 'no container lock left behind');
});

test('bad input gets Docker-style JSON errors with the right codes, and nothing is created', async () => {
  const raw = (method: string, p: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    request(svc.socket, method, p, body, { 'Content-Type': 'application/json', ...headers });
  const before = (await api('GET', '/containers/json?all=1')).json().length;
  const cases: [string, string, string | Buffer, number][] = [
    ['POST', '/containers/create', '{"Image": "localhost/busybox", ', 400],
    ['POST', '/containers/create', '[1, 2]', 400],
    ['POST', '/containers/create', '"just a string"', 400],
    ['POST', '/containers/create', '{"Image": 42}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/busybox", "Cmd": 5}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/busybox", "Env": "A=1"}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/busybox", "Labels": "x"}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/busybox", "HostConfig": "x"}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/busybox", "HostConfig": {"Binds": "a:b"}}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/busybox", "HostConfig": {"PortBindings": {"80/tcp": 5}}}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/busybox", "HostConfig": {"Memory": "lots"}}', 400],
    ['POST', '/containers/create?name=bad/name', '{"Image": "localhost/busybox", "Cmd": ["true"]}', 400],
    ['POST', '/containers/create', '{"Image": "localhost/no-such-image"}', 404],
    ['POST', '/containers/nope/start', '', 404],
    ['GET', '/containers/json?filters=%7Bbroken', '', 400],
    ['GET', '/no/such/endpoint', '', 404],
    ['DELETE', '/_ping', '', 405],
    ['GET', '/v9.99/containers/json', '', 400],
  ];
  for (const [method, p, body, status] of cases) {
    const r = await raw(method, p.startsWith('/v9') ? p : `/v1.41${p}`, body);
    assert.equal(r.status, status, `${method} ${p} ${body}: ${r.text}`);
    const j = r.json();
    assert.equal(typeof j.message, 'string', `${method} ${p}: a JSON error`);
    assert.ok(j.message.length > 0);
  }
  // A body past the limit is refused with 413 (and the connection does not take the rest).
  const huge = await raw('POST', '/v1.41/containers/create', Buffer.alloc(33 * 1024 * 1024, 0x20)).catch((e) => ({ status: -1, text: String(e) }));
  assert.ok(huge.status === 413 || huge.status === -1, `huge body: ${huge.status}`);
  assert.equal((await api('GET', '/containers/json?all=1')).json().length, before, 'nothing was created');
  assert.equal((await request(svc.socket, 'GET', '/_ping')).status, 200);
});

test('clients hanging up mid-stream (logs -f, events, stats, attach, wait, exec) do not crash or leak', async () => {
  const c = await api('POST', '/containers/create?name=talker', { Image: 'localhost/busybox', Cmd: ['sh', '-c', 'while true; do echo tick; sleep 0.2; done'], HostConfig: { NetworkMode: 'none' } });
  assert.equal(c.status, 201);
  assert.equal((await api('POST', '/containers/talker/start')).status, 204);
  const fds0 = openFds(svc.child.pid!);
  const hangUp = (p: string, method = 'GET', headers: Record<string, string> = {}, body?: string) => new Promise<void>((resolve) => {
    const req = http.request({ socketPath: svc.socket, method, path: `/v1.41${p}`, headers: { ...headers, ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(body.length) } : {}) } });
    const kill = () => { req.destroy(); resolve(); };
    req.on('response', (res) => { res.on('error', () => undefined); res.once('data', kill); setTimeout(kill, 500); });
    req.on('upgrade', (_res, sock) => { sock.on('error', () => undefined); sock.once('data', () => { sock.destroy(); resolve(); }); setTimeout(() => { sock.destroy(); resolve(); }, 500); });
    req.on('error', () => resolve());
    if (body) req.write(body);
    req.end();
  });
  for (let round = 0; round < 5; round++) {
    await Promise.all([
      hangUp('/containers/talker/logs?follow=1&stdout=1'),
      hangUp('/events'),
      hangUp('/containers/talker/stats'),
      hangUp('/containers/talker/wait'),
      hangUp('/containers/talker/attach?stream=1&stdout=1', 'POST', { Connection: 'Upgrade', Upgrade: 'tcp' }),
    ]);
    const ex = (await api('POST', '/containers/talker/exec', { Cmd: ['sh', '-c', 'while true; do echo x; sleep 0.1; done'], AttachStdout: true })).json();
    await hangUp(`/exec/${ex.Id}/start`, 'POST', { Connection: 'Upgrade', Upgrade: 'tcp' }, '{"Detach":false,"Tty":false}');
  }
  // A half-sent request.
  await new Promise<void>((resolve) => {
    const s = net.connect(svc.socket, () => { s.write('POST /v1.41/containers/create HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"Ima'); setTimeout(() => { s.destroy(); resolve(); }, 100); });
    s.on('error', () => resolve());
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await request(svc.socket, 'GET', '/_ping')).status, 200, 'the service is alive');
  assert.equal(svc.child.exitCode, null);
  const fds1 = openFds(svc.child.pid!);
  assert.ok(fds1 <= fds0 + 5, `no descriptors leaked: ${fds0} before, ${fds1} after`);
  // The container kept running through it all, and only it exists.
  const all = (await api('GET', '/containers/json?all=1')).json();
  assert.deepEqual(all.map((x: any) => [x.Names[0], x.State]), [['/talker', 'running']]);
  assert.equal((await api('DELETE', '/containers/talker?force=1')).status, 204);
});
