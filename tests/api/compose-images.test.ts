// docker-compose (Debian's 1.29 on /usr/bin/python3) and pier's image endpoints: a project with a
// service built from a Dockerfile and one whose image comes from a registry. `pull`, `build`,
// `up -d` (the built service reaches the pulled one by name), `images`, `push` of the built image
// to the registry, then `down --rmi all -v` removes the project's images but not the base image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TestStore, busyboxStore } from '../helpers/cli';
import { startService, Service } from '../helpers/api';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, pushImage } from '../fixtures/images';

let s: TestStore;
let svc: Service;
let reg: Registry;
let proj: string;
const name = `ci${process.pid}`;

function compose(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('/usr/bin/docker-compose', ['-p', name, ...args], { cwd: proj, env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}`, COMPOSE_INTERACTIVE_NO_CLI: '1' } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

before(async () => {
  [s, reg] = await Promise.all([busyboxStore(), startRegistry()]);
  svc = await startService(s);
  await pushImage(reg, 'compose/backend', '1', await busyboxImage('docker'));
  proj = path.join(s.dir, 'proj');
  fs.mkdirSync(path.join(proj, 'front'), { recursive: true });
  fs.writeFileSync(path.join(proj, 'front', 'Dockerfile'), 'FROM localhost/busybox\nARG GREETING=none\nRUN echo "$GREETING" > /greeting\nCMD ["sleep", "300"]\n');
  fs.writeFileSync(path.join(proj, 'docker-compose.yml'), `version: "3.8"
services:
  backend:
    image: ${reg.host}/compose/backend:1
    command: sh -c "mkdir -p /w && echo from-backend > /w/index.html && exec httpd -f -p 8080 -h /w"
  front:
    build:
      context: ./front
      args:
        GREETING: built-by-compose
    image: ${reg.host}/compose/front:dev
    depends_on: [backend]
`);
});
after(async () => {
  await compose('down', '-v');
  await svc.stop();
  await reg.stop();
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

test('docker-compose pull, build, up, images, push, down --rmi all', { timeout: 240_000 }, async () => {
  const pull = await compose('pull', 'backend');
  assert.equal(pull.code, 0, pull.stderr);
  assert.equal(s.run(['image', 'exists', `${reg.host}/compose/backend:1`]).code, 0);

  const build = await compose('build', 'front');
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.match(build.stdout + build.stderr, new RegExp(`Successfully tagged ${reg.host.replace(/\./g, '\\.')}/compose/front:dev`));

  const up = await compose('up', '-d');
  assert.equal(up.code, 0, up.stderr);
  const exec = async (...cmd: string[]) => compose('exec', '-T', 'front', ...cmd);
  assert.equal((await exec('cat', '/greeting')).stdout, 'built-by-compose\n');
  let got = '';
  for (let i = 0; i < 20 && got !== 'from-backend\n'; i++) {
    got = (await exec('wget', '-qO-', 'http://backend:8080/')).stdout;
    if (got !== 'from-backend\n') await new Promise((r) => setTimeout(r, 300));
  }
  assert.equal(got, 'from-backend\n');

  const images = await compose('images');
  assert.equal(images.code, 0, images.stderr);
  assert.match(images.stdout, /compose\/front\s+dev/);
  assert.match(images.stdout, /compose\/backend\s+1/);

  const push = await compose('push', 'front');
  assert.equal(push.code, 0, push.stdout + push.stderr);
  const other = new TestStore();
  try {
    other.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/compose/front:dev`]);
    assert.equal(other.ok(['run', '--rm', '--network', 'none', `${reg.host}/compose/front:dev`, 'cat', '/greeting']), 'built-by-compose\n');
  } finally {
    other.cleanup();
  }

  const down = await compose('down', '-v', '--rmi', 'all');
  assert.equal(down.code, 0, down.stderr);
  assert.equal(s.ok(['ps', '-a', '-q']), '');
  assert.equal(s.run(['image', 'exists', `${reg.host}/compose/backend:1`]).code, 1, 'the pulled image is removed');
  assert.equal(s.run(['image', 'exists', `${reg.host}/compose/front:dev`]).code, 1, 'the built image is removed');
  assert.equal(s.run(['image', 'exists', 'localhost/busybox']).code, 0, 'the base image stays');
});
