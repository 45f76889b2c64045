// dockerode and testcontainers (npm) against pier's API socket: containers with exposed ports, a
// log-message wait strategy, exec, logs, stop and removal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { TestStore } from '../helpers/cli';
import { Service, closeService, openService, startService } from '../helpers/api';

let store: TestStore;
let svc: Service;
before(async () => ({ store: store, svc: svc } = await openService()));
after(() => closeService(store, svc));

function httpGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    }).on('error', reject);
  });
}

async function retry<T>(fn: () => Promise<T>, tries = 50): Promise<T> {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (e) { if (i >= tries) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
}

test('dockerode: create with a published port, start, inspect, logs, exec, attach, list filters, stop, remove', async () => {
  const Docker = (await import('dockerode')).default;
  const docker = new Docker({ socketPath: svc.socket });
  const c = await docker.createContainer({
    Image: 'localhost/busybox', name: 'dockerode1', Labels: { via: 'dockerode' },
    Cmd: ['sh', '-c', 'mkdir -p /w && echo from-dockerode > /w/index.html && echo ready && exec httpd -f -p 8080 -h /w'],
    ExposedPorts: { '8080/tcp': {} }, HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await c.start();
  const info = await c.inspect();
  assert.equal(info.State.Running, true);
  assert.equal(info.Name, '/dockerode1');
  const port = Number(info.NetworkSettings.Ports['8080/tcp']![0].HostPort);
  assert.ok(port > 0);
  assert.equal(await retry(() => httpGet(port, '/index.html')), 'from-dockerode\n');

  const logs = await c.logs({ stdout: true, stderr: true, follow: false }) as unknown as Buffer;
  assert.ok(logs.includes('ready\n'));
  const listed = await docker.listContainers({ filters: { label: ['via=dockerode'] } });
  assert.deepEqual(listed.map((x) => x.Id), [c.id]);
  assert.deepEqual(listed[0].Ports.map((p) => [p.PrivatePort, p.PublicPort, p.Type]), [[8080, port, 'tcp']]);

  const exec = await c.exec({ Cmd: ['sh', '-c', 'echo exec-out; echo exec-err >&2; exit 2'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const { PassThrough } = await import('node:stream');
  const o = new PassThrough().on('data', (d) => out.push(d));
  const e = new PassThrough().on('data', (d) => err.push(d));
  docker.modem.demuxStream(stream, o, e);
  await new Promise((r) => stream.on('end', r));
  assert.equal(Buffer.concat(out).toString(), 'exec-out\n');
  assert.equal(Buffer.concat(err).toString(), 'exec-err\n');
  assert.equal((await exec.inspect()).ExitCode, 2);

  await c.stop({ t: 1 });
  assert.equal((await c.inspect()).State.Status, 'exited');
  await c.remove({ v: true });
  await assert.rejects(c.inspect(), (x: any) => x.statusCode === 404);

  // An attached run: attach before start, stdin through the hijacked connection.
  const cat = await docker.createContainer({ Image: 'localhost/busybox', Cmd: ['sh', '-c', 'read line; echo "got $line"'], OpenStdin: true, StdinOnce: true, AttachStdin: true, AttachStdout: true, HostConfig: { NetworkMode: 'none' } });
  const att = await cat.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
  const got: Buffer[] = [];
  docker.modem.demuxStream(att, new PassThrough().on('data', (d) => got.push(d)), new PassThrough());
  const waited = cat.wait({ condition: 'next-exit' });
  await cat.start();
  att.write('hello\n');
  const w = await waited;
  assert.equal(w.StatusCode, 0);
  await retry(async () => { assert.equal(Buffer.concat(got).toString(), 'got hello\n'); });
  await cat.remove();
});

test('testcontainers: GenericContainer with an exposed port and a log-message wait strategy, exec, stop', async () => {
  const saved = { ...process.env };
  process.env.DOCKER_HOST = `unix://${svc.socket}`;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  delete process.env.TESTCONTAINERS_HOST_OVERRIDE;
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const started = await new GenericContainer('localhost/busybox:latest')
      .withExposedPorts(8080)
      .withCommand(['sh', '-c', 'mkdir -p /w && echo from-testcontainers > /w/index.html && echo "server is up" && exec httpd -f -p 8080 -h /w'])
      .withWaitStrategy(Wait.forLogMessage('server is up'))
      .withStartupTimeout(60_000)
      .start();
    try {
      const port = started.getMappedPort(8080);
      assert.ok(port > 0);
      assert.equal(await retry(() => httpGet(port, '/index.html')), 'from-testcontainers\n');
      const r = await started.exec(['sh', '-c', 'echo tc-exec; exit 7']);
      assert.equal(r.exitCode, 7);
      assert.match(r.output, /tc-exec/);
    } finally {
      const stopped = await started.stop({ timeout: 1 });
      assert.ok(stopped);
    }
    // stop() removes the container as well.
    const left = JSON.parse(store.ok(['ps', '-a', '--format', 'json']));
    assert.ok(!left.some((c: any) => c.Labels?.['org.testcontainers'] === 'true'));
  } finally {
    process.env = saved;
  }
});
