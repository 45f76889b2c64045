// docker-compose (Debian's 1.29, through docker-py) and docker-py against pier's API socket: a
// project with a user network, a named volume, a published port, depends_on, environment and a
// healthcheck: up -d, ps, logs, exec, down -v.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TestStore, busyboxStore } from '../helpers/cli';
import { startService, Service } from '../helpers/api';

let s: TestStore;
let svc: Service;
let proj: string;
const name = `pc${process.pid}`;

function run(bin: string, args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(bin, args, { cwd, env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}`, COMPOSE_INTERACTIVE_NO_CLI: '1' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
const compose = (...a: string[]) => run('/usr/bin/docker-compose', ['-p', name, ...a], proj);
const py = (code: string) => run('/usr/bin/python3', ['-c', `import docker\nc = docker.DockerClient(base_url='unix://${svc.socket}')\n${code}`]);

before(async () => {
  s = await busyboxStore();
  svc = await startService(s);
  proj = path.join(s.dir, 'proj');
  fs.mkdirSync(proj);
  fs.writeFileSync(path.join(proj, 'docker-compose.yml'), `version: "3.8"
services:
  web:
    image: localhost/busybox
    command: sh -c "mkdir -p /w && echo hello-compose > /w/index.html && exec httpd -f -p 8080 -h /w"
    ports: ["127.0.0.1::8080"]
    environment:
      - GREETING=hi-from-env
    volumes: ["data:/data"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  client:
    image: localhost/busybox
    command: sh -c "echo client-up; exec sleep 300"
    depends_on: [web]
volumes:
  data:
`);
});
after(async () => {
  await svc.stop();
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

describe('compose and docker-py', () => {
  test('docker-compose up -d, ps, logs, exec, port, name resolution, down -v', { timeout: 180_000 }, async () => {
    const up = await compose('up', '-d');
    assert.equal(up.code, 0, up.stderr);
    const ps = await compose('ps');
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, new RegExp(`${name}_web_1 .* Up`));
    assert.match(ps.stdout, new RegExp(`${name}_client_1 .* Up`));
    // the published port answers from the host
    const port = (await compose('port', 'web', '8080')).stdout.trim();
    const hostPort = Number(port.split(':')[1]);
    assert.ok(hostPort > 0, port);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await new Promise<string>((resolve) => {
        http.get({ host: '127.0.0.1', port: hostPort, path: '/index.html' }, (res) => {
          let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b));
        }).on('error', () => setTimeout(() => resolve(''), 100));
      });
    }
    assert.equal(body, 'hello-compose\n');
    // environment and the named volume inside the service
    const ex = await compose('exec', '-T', 'web', 'sh', '-c', 'echo $GREETING; ls -d /data');
    assert.equal(ex.code, 0, ex.stderr);
    assert.equal(ex.stdout, 'hi-from-env\n/data\n');
    // services resolve each other by name on the project network
    const ns = await compose('exec', '-T', 'client', 'sh', '-c', "nslookup web | awk '/^Address/ {x=$NF} END {print x}'");
    assert.match(ns.stdout.trim(), /^10\.\d+\.\d+\.\d+$/);
    const logs = await compose('logs', '--no-color', 'client');
    assert.match(logs.stdout, /client-up/);
    assert.ok(s.ok(['volume', 'ls', '-q']).includes(`${name}_data`));
    assert.ok(s.ok(['network', 'ls', '--format', '{{.Name}}']).includes(`${name}_default`));
    const down = await compose('down', '-v');
    assert.equal(down.code, 0, down.stderr);
    assert.equal(s.ok(['ps', '-a', '-q']), '');
    assert.equal(s.ok(['volume', 'ls', '-q']).includes(`${name}_data`), false);
    assert.equal(s.ok(['network', 'ls', '--format', '{{.Name}}']).includes(`${name}_default`), false);
  });

  test('docker-py: containers, logs, exec, images, volumes, networks', async () => {
    const r = await py(`
ctr = c.containers.run('localhost/busybox', ['sh', '-c', 'echo py-out; exit 0'], network_mode='none', detach=True)
print(ctr.wait()['StatusCode'])
print(ctr.logs().decode().strip())
ctr.remove()
ctr = c.containers.run('localhost/busybox', ['sleep', '100'], network_mode='none', detach=True, name='pyctr', labels={'k': 'v'})
print(ctr.exec_run(['sh', '-c', 'echo exec-ok']).output.decode().strip())
print([x.name for x in c.containers.list(filters={'label': 'k=v'})])
ctr.stop(timeout=1)
ctr.remove()
print(any('localhost/busybox:latest' in (i.tags or []) for i in c.images.list()))
v = c.volumes.create('pyvol', labels={'a': 'b'})
print(c.volumes.get('pyvol').attrs['Labels'])
v.remove()
n = c.networks.create('pynet')
print(c.networks.get('pynet').name)
n.remove()
`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "0\npy-out\nexec-ok\n['pyctr']\nTrue\n{'a': 'b'}\npynet\n");
    assert.equal(s.ok(['ps', '-a', '-q']), '');
  });
});
