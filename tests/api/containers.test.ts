// Docker API container endpoints over HTTP: shapes, status codes, streams.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as fs from 'node:fs';
import { busyboxStore, PIER, TestStore } from '../helpers/cli';
import { startService, request, Service } from '../helpers/api';

let store: TestStore;
let svc: Service;
before(async () => {
  store = await busyboxStore();
  svc = await startService(store);
});
after(async () => {
  for (const c of (await request(svc.socket, 'GET', '/containers/json?all=1')).json()) await request(svc.socket, 'DELETE', `/containers/${c.Id}?force=1`);
  await svc.stop();
  for (let i = 0; ; i++) {
    try { store.cleanup(); break; } catch (e) { if (i >= 10) throw e; await new Promise((r) => setTimeout(r, 300)); }
  }
});

/** Splits a multiplexed stream into [stream, text] frames. */
function demux(b: Buffer): [number, string][] {
  const out: [number, string][] = [];
  let off = 0;
  while (off + 8 <= b.length) {
    const len = b.readUInt32BE(off + 4);
    out.push([b[off], b.subarray(off + 8, off + 8 + len).toString()]);
    off += 8 + len;
  }
  assert.equal(off, b.length, 'the stream is whole frames');
  return out;
}

test('Go maps in the replies (labels, exposed ports, port bindings, tmpfs, networks) have sorted keys, as Docker\'s encoding/json', async () => {
  const cr = await request(svc.socket, 'POST', '/v1.41/containers/create?name=maps1', {
    Image: 'busybox', Cmd: ['true'], Labels: { zz: '1', aa: '2' }, ExposedPorts: { '80/tcp': {}, '443/tcp': {} },
    HostConfig: { Tmpfs: { '/zz': '', '/aa': 'size=1m' }, PortBindings: { '80/tcp': [{ HostPort: '18081' }], '443/tcp': [{ HostPort: '18443' }] } },
  });
  assert.equal(cr.status, 201, cr.text);
  const text = (await request(svc.socket, 'GET', '/v1.41/containers/maps1/json')).text;
  assert.match(text, /"Labels":\{"aa":"2",("org\.pier\.fixture":"busybox",)?"zz":"1"\}/);
  assert.match(text, /"ExposedPorts":\{"443\/tcp":\{\},"80\/tcp":\{\}\}/);
  assert.match(text, /"PortBindings":\{"443\/tcp":\[[^\]]*\],"80\/tcp":\[/);
  assert.match(text, /"Tmpfs":\{"\/aa":"size=1m","\/zz":""\}/);
  const list = (await request(svc.socket, 'GET', '/v1.41/containers/json?all=1&filters=%7B%22name%22%3A%5B%22maps1%22%5D%7D')).text;
  assert.match(list, /"Labels":\{"aa":"2",("org\.pier\.fixture":"busybox",)?"zz":"1"\}/);
  assert.equal((await request(svc.socket, 'DELETE', '/v1.41/containers/maps1')).status, 204);
});

test('create, inspect (Docker shape), start, 304s, wait, logs (multiplexed), remove', async () => {
  const cr = await request(svc.socket, 'POST', '/v1.41/containers/create?name=shape1', {
    Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], Env: ['A=1'], Labels: { l: 'v' },
    ExposedPorts: { '80/tcp': {} }, HostConfig: { Tmpfs: { '/scratch': 'size=1m' } },
  });
  assert.equal(cr.status, 201, cr.text);
  const id = cr.json().Id;
  assert.match(id, /^[0-9a-f]{64}$/);
  const dup = await request(svc.socket, 'POST', '/v1.41/containers/create?name=shape1', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(dup.status, 409);

  const ins = (await request(svc.socket, 'GET', `/v1.41/containers/shape1/json`)).json();
  assert.equal(ins.Id, id);
  assert.equal(ins.Name, '/shape1');
  assert.equal(ins.State.Status, 'created');
  assert.equal(ins.State.Running, false);
  assert.match(ins.Image, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(ins.Config.Cmd, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.ok(ins.Config.Env.includes('A=1'));
  assert.equal(ins.Config.Labels.l, 'v');
  assert.ok('80/tcp' in ins.Config.ExposedPorts);
  assert.equal(ins.HostConfig.Tmpfs['/scratch'], 'size=1m');
  assert.equal(typeof ins.NetworkSettings.Networks, 'object');
  // No /etc files before the first start (podman's compat inspect: empty paths).
  assert.deepEqual([ins.HostsPath, ins.HostnamePath, ins.ResolvConfPath], ['', '', '']);

  // wait?condition=next-exit before start, as the Docker CLI does.
  const waited = request(svc.socket, 'POST', `/v1.41/containers/${id}/wait?condition=next-exit`);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal((await request(svc.socket, 'POST', `/v1.41/containers/${id}/start`)).status, 204);
  const w = await waited;
  assert.equal(w.status, 200);
  assert.deepEqual(w.json(), { StatusCode: 3, Error: null });
  assert.equal((await request(svc.socket, 'POST', `/v1.41/containers/${id}/stop`)).status, 304);
  const kill = await request(svc.socket, 'POST', `/v1.41/containers/${id}/kill`);
  assert.equal(kill.status, 409);

  const logs = await request(svc.socket, 'GET', `/v1.41/containers/${id}/logs?stdout=1&stderr=1`);
  assert.equal(logs.status, 200);
  assert.equal(logs.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
  assert.deepEqual(demux(logs.body).sort(), [[1, 'out\n'], [2, 'err\n']]);
  const onlyErr = demux((await request(svc.socket, 'GET', `/v1.41/containers/${id}/logs?stderr=1&timestamps=1`)).body);
  assert.equal(onlyErr.length, 1);
  assert.match(onlyErr[0][1], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z err\n$/);

  const exited = (await request(svc.socket, 'GET', `/v1.41/containers/${id}/json`)).json();
  assert.equal(exited.State.Status, 'exited');
  assert.equal(exited.State.ExitCode, 3);
  assert.match(exited.HostsPath, new RegExp(`/${id}/hosts$`));
  assert.equal((await request(svc.socket, 'DELETE', `/v1.41/containers/${id}`)).status, 204);
  const gone = await request(svc.socket, 'GET', `/v1.41/containers/${id}/json`);
  assert.equal(gone.status, 404);
  assert.equal(gone.json().message, `No such container: ${id}`);
});

test('list: all, limit, filters (status, label, name), ports', async () => {
  const mk = async (name: string, cmd: string[], labels: Record<string, string> = {}) => {
    const r = await request(svc.socket, 'POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: cmd, Labels: labels });
    assert.equal(r.status, 201, r.text);
    return r.json().Id as string;
  };
  const a = await mk('list-a', ['sleep', '60'], { team: 'x' });
  const b = await mk('list-b', ['true'], { team: 'y' });
  assert.equal((await request(svc.socket, 'POST', `/containers/${a}/start`)).status, 204);
  assert.equal((await request(svc.socket, 'POST', `/containers/${a}/start`)).status, 304);
  const running = (await request(svc.socket, 'GET', '/containers/json')).json();
  assert.ok(running.some((c: any) => c.Id === a));
  assert.ok(!running.some((c: any) => c.Id === b));
  const row = running.find((c: any) => c.Id === a);
  assert.deepEqual(row.Names, ['/list-a']);
  assert.equal(row.State, 'running');
  assert.match(row.Status, /^Up /);
  assert.equal(row.Command, 'sleep 60');
  const all = (await request(svc.socket, 'GET', '/containers/json?all=true')).json();
  assert.ok(all.some((c: any) => c.Id === b && c.State === 'created'));
  assert.equal((await request(svc.socket, 'GET', '/containers/json?all=1&limit=1')).json().length, 1);
  const f = (q: object) => request(svc.socket, 'GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(q))}`).then((x) => x.json().map((c: any) => c.Id));
  assert.deepEqual(await f({ label: ['team=y'] }), [b]);
  assert.deepEqual(await f({ name: ['list-a'] }), [a]);
  assert.deepEqual(await f({ status: ['created'], label: ['team'] }), [b]);
  assert.deepEqual(await f({ label: { 'team=x': true } }), [a]);
  const bad = await request(svc.socket, 'GET', `/containers/json?filters=${encodeURIComponent('{not json')}`);
  assert.equal(bad.status, 400);

  // top and stats while it runs.
  // podman's Docker endpoint runs `ps -ef` in the container by default (busybox's prints PID USER
  // COMMAND, one cell per line); its Libpod one reports its own descriptors; both trim the cells.
  const top = (await request(svc.socket, 'GET', `/containers/${a}/top`)).json();
  assert.deepEqual(Object.keys(top), ['Processes', 'Titles']);
  assert.deepEqual(top.Titles, ['PID   USER     COMMAND']);
  assert.ok(top.Processes.some((p: string[]) => p.length === 1 && /^1 root +sleep 60$/.test(p[0])), JSON.stringify(top.Processes));
  const ltop = (await request(svc.socket, 'GET', `/v4.3.1/libpod/containers/${a}/top`)).json();
  assert.deepEqual(ltop.Titles, ['USER', 'PID', 'PPID', '%CPU', 'ELAPSED', 'TTY', 'TIME', 'COMMAND']);
  assert.ok(ltop.Processes.some((p: string[]) => p[1] === '1' && p[7] === 'sleep 60'), JSON.stringify(ltop.Processes));
  const own = (await request(svc.socket, 'GET', `/containers/${a}/top?ps_args=pid,user`)).json();
  assert.deepEqual(own.Titles, ['PID', 'USER']);
  const stats = (await request(svc.socket, 'GET', `/containers/${a}/stats?stream=false`)).json();
  assert.equal(stats.id, a);
  assert.equal(stats.name, '/list-a');
  assert.ok(stats.cpu_stats.cpu_usage.total_usage > 0);
  assert.ok(stats.cpu_stats.system_cpu_usage > 0);
  assert.ok(stats.memory_stats.usage > 0);
  assert.ok(stats.pids_stats.current >= 1);

  // pause/unpause, rename, restart, remove with force.
  assert.equal((await request(svc.socket, 'POST', `/containers/${a}/pause`)).status, 204);
  assert.equal((await request(svc.socket, 'GET', `/containers/${a}/json`)).json().State.Status, 'paused');
  assert.equal((await request(svc.socket, 'POST', `/containers/${a}/unpause`)).status, 204);
  assert.equal((await request(svc.socket, 'POST', `/containers/${a}/rename?name=list-a2`)).status, 204);
  assert.equal((await request(svc.socket, 'POST', `/containers/list-b/rename?name=list-a2`)).status, 409);
  assert.equal((await request(svc.socket, 'DELETE', `/containers/list-a2`)).status, 409);
  assert.equal((await request(svc.socket, 'POST', `/containers/list-a2/restart?t=0`)).status, 204);
  assert.equal((await request(svc.socket, 'GET', `/containers/list-a2/json`)).json().RestartCount, 1);
  assert.equal((await request(svc.socket, 'DELETE', `/containers/list-a2?force=1`)).status, 204);
  const pr = await request(svc.socket, 'POST', `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ label: ['team=y'] }))}`);
  assert.equal(pr.status, 200);
  assert.deepEqual(pr.json().ContainersDeleted, [b]);
});

test('attach before start (multiplexed), exec create/start/inspect, archive HEAD/GET/PUT, changes', async () => {
  const cr = await request(svc.socket, 'POST', '/containers/create', {
    Image: 'busybox', Cmd: ['sh', '-c', 'echo started; sleep 30'], OpenStdin: false,
  });
  const id = cr.json().Id;
  // A hijacked attach, as the Docker CLI opens it before starting the container.
  const frames: Buffer[] = [];
  const upgraded = new Promise<net.Socket>((resolve, reject) => {
    const req = http.request({ socketPath: svc.socket, method: 'POST', path: `/v1.41/containers/${id}/attach?stream=1&stdout=1&stderr=1`, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
    req.on('upgrade', (res, sock, head) => {
      assert.equal(res.statusCode, 101);
      assert.equal(res.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
      if (head.length) frames.push(head);
      resolve(sock);
    });
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  const sock = await upgraded;
  sock.on('data', (d) => frames.push(d));
  assert.equal((await request(svc.socket, 'POST', `/containers/${id}/start`)).status, 204);
  for (let i = 0; i < 50 && !Buffer.concat(frames).includes('started'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(demux(Buffer.concat(frames)), [[1, 'started\n']]);
  sock.destroy();

  const ex = await request(svc.socket, 'POST', `/containers/${id}/exec`, { Cmd: ['sh', '-c', 'echo e-out; echo e-err >&2; exit 5'], AttachStdout: true, AttachStderr: true });
  assert.equal(ex.status, 201);
  const execId = ex.json().Id;
  const started = await request(svc.socket, 'POST', `/exec/${execId}/start`, { Detach: false, Tty: false });
  assert.equal(started.status, 200);
  assert.deepEqual(demux(started.body).sort(), [[1, 'e-out\n'], [2, 'e-err\n']]);
  const ei = (await request(svc.socket, 'GET', `/exec/${execId}/json`)).json();
  assert.equal(ei.ExitCode, 5);
  assert.equal(ei.Running, false);
  assert.equal(ei.ContainerID, id);
  assert.equal((await request(svc.socket, 'POST', `/exec/${execId}/start`, {})).status, 409);
  assert.equal((await request(svc.socket, 'GET', `/exec/nope/json`)).status, 404);

  // archive: HEAD stat, PUT a tar into /tmp, GET it back.
  const head = await request(svc.socket, 'HEAD', `/containers/${id}/archive?path=/etc/hostname`);
  assert.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(stat.name, 'hostname');
  assert.equal(stat.mode & 0o777, 0o644);
  assert.equal((await request(svc.socket, 'HEAD', `/containers/${id}/archive?path=/nope`)).status, 404);
  const { TarWriter } = await import('../../src/storage/tar/writer');
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.stream.on('data', (d: Buffer) => chunks.push(d));
  const done = new Promise((r) => w.stream.on('end', r));
  await w.addFile('put.txt', Buffer.from('put-data\n'), { mode: 0o600, uid: 0, gid: 0, mtime: 0 });
  await w.finish();
  await done;
  const put = await request(svc.socket, 'PUT', `/containers/${id}/archive?path=/tmp`, Buffer.concat(chunks), { 'Content-Type': 'application/x-tar' });
  assert.equal(put.status, 200, put.text);
  const get = await request(svc.socket, 'GET', `/containers/${id}/archive?path=/tmp/put.txt`);
  assert.equal(get.status, 200);
  assert.equal(get.headers['content-type'], 'application/x-tar');
  assert.equal(get.body.subarray(0, 7).toString(), 'put.txt');
  assert.ok(get.body.includes('put-data\n'));
  const changes = (await request(svc.socket, 'GET', `/containers/${id}/changes`)).json();
  assert.ok(changes.some((c: any) => c.Path === '/tmp/put.txt' && c.Kind === 1));
  assert.equal((await request(svc.socket, 'DELETE', `/containers/${id}?force=1`)).status, 204);
});

test('/info, /system/df and /events in Docker shapes', async () => {
  const t0 = Math.floor(Date.now() / 1000) - 1;
  const id = (await request(svc.socket, 'POST', '/containers/create?name=ev1', { Image: 'busybox', Cmd: ['true'] })).json().Id;
  const info = (await request(svc.socket, 'GET', '/info')).json();
  assert.ok(info.Containers >= 1);
  assert.equal(info.OSType, 'linux');
  assert.equal(typeof info.ServerVersion, 'string');
  assert.ok(info.Images >= 1);
  const df = (await request(svc.socket, 'GET', '/system/df')).json();
  assert.ok(df.Images.some((i: any) => i.RepoTags.includes('localhost/busybox:latest')));
  assert.ok(df.Containers.some((c: any) => c.Id === id && typeof c.SizeRw === 'number'));
  assert.ok(Array.isArray(df.Volumes));
  assert.equal(df.BuilderSize, 0);
  await request(svc.socket, 'DELETE', `/containers/${id}`);
  const until = Math.floor(Date.now() / 1000) + 1;
  const ev = await request(svc.socket, 'GET', `/events?since=${t0}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: ['ev1'] }))}`);
  assert.equal(ev.status, 200);
  const events = ev.text.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.Action), ['create', 'destroy']);
  assert.equal(events[0].Type, 'container');
  assert.equal(events[0].Actor.ID, id);
  assert.equal(events[0].Actor.Attributes.name, 'ev1');
  assert.equal(typeof events[0].timeNano, 'number');
  const bad = await request(svc.socket, 'GET', `/events?filters=${encodeURIComponent(JSON.stringify({ bogus: ['x'] }))}`);
  assert.equal(bad.status, 400);
  // stream=false (podman's compat and libpod endpoints): the events so far, then the reply ends
  for (const p of ['/events', '/libpod/events']) {
    const past = await request(svc.socket, 'GET', `${p}?stream=false&since=${t0}&filters=${encodeURIComponent(JSON.stringify({ container: ['ev1'] }))}`);
    assert.equal(past.status, 200, p);
    assert.equal(past.text.trim().split('\n').length, 2, p);
  }
});

test('what a create through the API records (as podman 4.3\'s handlers): the compat one the service\'s command line and client annotations, a libpod one what its spec says', async () => {
  const cr = await request(svc.socket, 'POST', '/v1.41/containers/create?name=rec-compat', {
    Image: 'busybox', Cmd: ['true'], Tty: true, HostConfig: { SecurityOpt: ['seccomp=unconfined'] },
  });
  assert.equal(cr.status, 201, cr.text);
  const compat = (await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/rec-compat/json')).json();
  assert.deepEqual(compat.Config.CreateCommand, [PIER, ...store.localArgs(), 'system', 'service', '--time', '0', `unix://${svc.socket}`]);
  assert.deepEqual(compat.Config.Annotations, {
    'io.kubernetes.cri-o.TTY': 'true', 'io.podman.annotations.autoremove': 'FALSE', 'io.podman.annotations.init': 'FALSE',
    'io.podman.annotations.privileged': 'FALSE', 'io.podman.annotations.publish-all': 'FALSE', 'io.podman.annotations.seccomp': 'unconfined',
  });
  // Never started: the create-time spec's capabilities; no OCI config file, no conmon (podman's omitempty).
  assert.equal(compat.BoundingCaps.length, 11);
  assert.deepEqual(compat.EffectiveCaps, compat.BoundingCaps);
  assert.equal('OCIConfigPath' in compat, false);
  assert.equal('ConmonPid' in compat.State, false);
  const lp = await request(svc.socket, 'POST', '/v4.3.1/libpod/containers/create', { image: 'busybox', command: ['true'], name: 'rec-libpod' });
  assert.equal(lp.status, 201, lp.text);
  const libpod = (await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/rec-libpod/json')).json();
  assert.equal('CreateCommand' in libpod.Config, false);
  assert.deepEqual(libpod.Config.Annotations, {
    'io.podman.annotations.autoremove': 'FALSE', 'io.podman.annotations.init': 'FALSE', 'io.podman.annotations.privileged': 'FALSE', 'io.podman.annotations.publish-all': 'FALSE',
  });
  const given = ['podman', 'create', 'busybox', 'true'];
  assert.equal((await request(svc.socket, 'POST', '/v4.3.1/libpod/containers/create', { image: 'busybox', command: ['true'], name: 'rec-given', containerCreateCommand: given })).status, 201);
  assert.deepEqual((await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/rec-given/json')).json().Config.CreateCommand, given);
  for (const n of ['rec-compat', 'rec-libpod', 'rec-given']) assert.equal((await request(svc.socket, 'DELETE', `/v1.41/containers/${n}`)).status, 204);
});

test('attach (podman\'s handler): logs=true replays the log, stream=false then ends the reply; neither, or no stream at all, is a 400', async () => {
  const id = (await request(svc.socket, 'POST', '/containers/create?name=att-logs', { Image: 'busybox', Cmd: ['sh', '-c', 'echo early; echo oops >&2; sleep 60'] })).json().Id;
  assert.equal((await request(svc.socket, 'POST', `/containers/${id}/start`)).status, 204);
  for (let i = 0; i < 100 && !(await request(svc.socket, 'GET', `/containers/${id}/logs?stdout=1&stderr=1`)).body.includes('oops'); i++) await new Promise((res) => setTimeout(res, 50));
  const t0 = Date.now();
  // No stream named: both output streams, as podman (the harness of its API tests relies on it).
  const all = await request(svc.socket, 'POST', `/containers/${id}/attach?logs=true&stream=false`);
  assert.equal(all.status, 200);
  assert.deepEqual(demux(all.body).sort(), [[1, 'early\n'], [2, 'oops\n']]);
  const out = await request(svc.socket, 'POST', `/v4.3.1/libpod/containers/${id}/attach?logs=1&stream=0&stdout=1&stderr=0`);
  assert.deepEqual(demux(out.body), [[1, 'early\n']]);
  assert.ok(Date.now() - t0 < 10_000, 'the replies ended without waiting for the container');
  assert.equal((await request(svc.socket, 'POST', `/containers/${id}/attach?stream=false`)).status, 400);
  assert.equal((await request(svc.socket, 'POST', `/containers/${id}/attach?stdout=0&stderr=0`)).json().message, 'at least one of stdin, stdout, stderr must be true');
  assert.equal((await request(svc.socket, 'DELETE', `/containers/${id}?force=1`)).status, 204);
});

test('Libpod images as podman 4.3 answers them: exists\' 404 body, DELETE of one image, history\'s shape, {name}/get; the compat list leaves manifest lists out and takes API 1.24\'s filter', async () => {
  const ne = (await request(svc.socket, 'GET', '/v4.3.1/libpod/images/nonesuch/exists')).json();
  assert.deepEqual(ne, { cause: 'failed to find image nonesuch', message: 'failed to find image nonesuch', response: 404 });
  const iid = (await request(svc.socket, 'GET', '/v4.3.1/libpod/images/busybox/json')).json().Id;
  const hist = (await request(svc.socket, 'GET', '/v4.3.1/libpod/images/busybox/history')).json();
  assert.deepEqual(Object.keys(hist[0]), ['Id', 'Created', 'CreatedBy', 'Tags', 'Size', 'Comment']);
  assert.equal(hist[0].Id, iid);
  assert.equal(typeof hist[0].Created, 'number');
  const get = await request(svc.socket, 'GET', '/v4.3.1/libpod/images/busybox/get?compress=true');
  assert.equal(get.status, 200);
  assert.equal(get.headers['content-type'], 'application/octet; charset=us-ascii');
  assert.ok(get.body.includes('oci-layout'), 'an oci-archive by default');
  const bad = await request(svc.socket, 'GET', '/v4.3.1/libpod/images/busybox/get?format=foo');
  assert.deepEqual([bad.status, bad.json().message], [500, 'unknown format "foo"']);
  assert.equal((await request(svc.socket, 'GET', '/v4.3.1/libpod/images/busybox/get?compress=bar')).status, 400);

  assert.equal((await request(svc.socket, 'POST', '/v4.3.1/libpod/images/busybox/tag?repo=localhost/rm1&tag=t')).status, 201);
  const rm = await request(svc.socket, 'DELETE', '/v4.3.1/libpod/images/localhost/rm1:t');
  assert.equal(rm.status, 200, rm.text);
  assert.deepEqual(rm.json(), { Untagged: ['localhost/rm1:t'], ExitCode: 0, Errors: [] });
  assert.equal((await request(svc.socket, 'DELETE', '/v4.3.1/libpod/images/localhost/rm1:t')).json().cause, 'image not known');
  const id = (await request(svc.socket, 'POST', '/containers/create?name=img-user', { Image: 'busybox', Cmd: ['true'] })).json().Id;
  const busy = await request(svc.socket, 'DELETE', '/v4.3.1/libpod/images/busybox');
  assert.equal(busy.status, 409, busy.text);
  assert.equal((await request(svc.socket, 'DELETE', `/containers/${id}`)).status, 204);

  assert.equal((await request(svc.socket, 'POST', '/v4.3.1/libpod/manifests/localhost/ml1')).status, 201);
  const names = (rows: any[]) => rows.flatMap((i) => i.RepoTags);
  assert.ok(names((await request(svc.socket, 'GET', '/v4.3.1/libpod/images/json')).json()).includes('localhost/ml1:latest'));
  assert.ok(!names((await request(svc.socket, 'GET', '/images/json')).json()).includes('localhost/ml1:latest'));
  assert.deepEqual(names((await request(svc.socket, 'GET', '/v4.3.1/libpod/images/json?filters=%7B%22manifest%22%3A%5B%22true%22%5D%7D')).json()), ['localhost/ml1:latest']);
  assert.deepEqual(names((await request(svc.socket, 'GET', '/images/json?filter=localhost/busybox')).json()), ['localhost/busybox:latest']);
  assert.deepEqual((await request(svc.socket, 'GET', '/images/json?filter=nonesuch')).json(), []);
  assert.equal((await request(svc.socket, 'DELETE', '/v4.3.1/libpod/manifests/localhost/ml1')).status, 200);
});

test('bodies read as Go reads them (a field in any case, nothing after the first value); Libpod volume and pod answers as podman\'s', async () => {
  const v = await request(svc.socket, 'POST', '/v4.3.1/libpod/volumes/create', '{"name":"gov1","Label":{"a":"1"},"Labels":{"b":"2"}}}');
  assert.equal(v.status, 201, v.text);
  assert.deepEqual([v.json().Name, v.json().Labels], ['gov1', { a: '1', b: '2' }]);
  const dup = await request(svc.socket, 'POST', '/v4.3.1/libpod/volumes/create', { Name: 'gov1' });
  assert.deepEqual([dup.status, dup.json().cause], [500, 'volume already exists']);
  assert.equal((await request(svc.socket, 'DELETE', '/v4.3.1/libpod/volumes/gov1')).status, 204);
  const c = await request(svc.socket, 'POST', '/v4.3.1/libpod/containers/create', { Image: 'busybox', Name: 'gofold', Command: ['true'] });
  assert.equal(c.status, 201, c.text);
  assert.equal((await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/gofold/json')).json().Id, c.json().Id);
  // limit is last's alias (the newest container, in any state)
  assert.deepEqual((await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/json?limit=1')).json().map((x: any) => x.Names), [['gofold']]);
  // libpod commit: 200; a comment needs format=docker (else a 500, as podman's)
  const msg = await request(svc.socket, 'POST', '/v4.3.1/libpod/commit?container=gofold&comment=hi');
  assert.deepEqual([msg.status, msg.json().message], [500, 'messages are only compatible with the docker image format (-f docker)']);
  const t0 = Math.floor(Date.now() / 1000) - 1;
  const cm = await request(svc.socket, 'POST', '/v4.3.1/libpod/commit?container=gofold');
  assert.equal(cm.status, 200, cm.text);
  assert.equal((await request(svc.socket, 'DELETE', `/v4.3.1/libpod/images/${cm.json().Id}`)).status, 200);
  // an image's removal is Docker's `delete` event (libpod's `remove`)
  const evq = (p: string) => `${p}?stream=false&since=${t0}&filters=${encodeURIComponent(JSON.stringify({ type: ['image'], event: [p === '/events' ? 'delete' : 'remove'] }))}`;
  // (since has whole seconds: the file's earlier tests may have removed images in that second too)
  const compat = (await request(svc.socket, 'GET', evq('/events'))).text.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(compat.every((e) => e.Action === 'delete'), JSON.stringify(compat));
  assert.deepEqual(compat.filter((e) => e.Actor.ID === cm.json().Id).map((e) => e.Action), ['delete']);
  const libpod = (await request(svc.socket, 'GET', evq('/v4.3.1/libpod/events'))).text.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(libpod.every((e) => e.Action === 'remove'), JSON.stringify(libpod));
  assert.equal(libpod.filter((e) => e.Actor.ID === cm.json().Id.replace(/^sha256:/, '')).length, 1, JSON.stringify(libpod));
  assert.equal((await request(svc.socket, 'DELETE', '/containers/gofold')).status, 204);

  const pod = (await request(svc.socket, 'POST', '/v4.3.1/libpod/pods/create', { name: 'gopod', no_infra: true })).json().Id;
  assert.equal((await request(svc.socket, 'POST', '/v4.3.1/libpod/pods/create', { name: 'gopod' })).json().cause, 'pod already exists');
  assert.equal((await request(svc.socket, 'POST', '/v4.3.1/libpod/containers/create', { image: 'busybox', command: ['sleep', '60'], pod: 'gopod' })).status, 201);
  assert.deepEqual((await request(svc.socket, 'POST', '/v4.3.1/libpod/pods/gopod/start')).json(), { Id: pod, Errs: null });
  assert.equal((await request(svc.socket, 'POST', '/v4.3.1/libpod/pods/gopod/start')).status, 304);
  const badT = await request(svc.socket, 'POST', '/v4.3.1/libpod/pods/gopod/stop?t=x');
  assert.deepEqual([badT.status, badT.json().cause], [400, 'schema: error converting value for "t"']);
  assert.deepEqual((await request(svc.socket, 'POST', '/v4.3.1/libpod/pods/gopod/stop?t=0')).json(), { Id: pod, Errs: null });
  assert.equal((await request(svc.socket, 'POST', '/v4.3.1/libpod/pods/gopod/stop')).status, 304);
  assert.equal((await request(svc.socket, 'DELETE', '/v4.3.1/libpod/pods/gopod?force=true')).status, 200);
});

test('compat create: a missing absolute bind source is made (as dockerd); HostConfig fields match in any case', async () => {
  const src = `${store.dir}/made-by-create/sub`;
  const c = await request(svc.socket, 'POST', '/containers/create?name=mkbind', { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: [`${src}:/test1`], TmpFs: { '/mytmpfs': 'rw' } } });
  assert.equal(c.status, 201, c.text);
  assert.ok(fs.statSync(src).isDirectory());
  const hc = (await request(svc.socket, 'GET', '/containers/mkbind/json')).json().HostConfig;
  assert.deepEqual(Object.keys(hc.Tmpfs), ['/mytmpfs']);
  assert.equal((await request(svc.socket, 'DELETE', '/containers/mkbind')).status, 204);
});
