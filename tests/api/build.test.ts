// POST /build through real clients: the Docker CLI's classic builder and docker-py, with a tar
// context, build args, labels and tags; a failing build reports its error in the stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TestStore, busyboxStore } from '../helpers/cli';
import { startService, Service } from '../helpers/api';
import { startRegistry } from '../fixtures/registry';
import { busyboxImage, pushImage } from '../fixtures/images';

let s: TestStore;
let svc: Service;
let ctx: string;

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(bin, args, { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}`, ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

before(async () => {
  s = await busyboxStore();
  svc = await startService(s);
  ctx = path.join(s.dir, 'ctx');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM localhost/busybox\nARG WHO=nobody\nCOPY msg.txt /msg.txt\nRUN echo "built for $WHO" > /who\nCMD ["cat", "/who", "/msg.txt"]\n');
  fs.writeFileSync(path.join(ctx, 'msg.txt'), 'from the context\n');
});
after(async () => {
  await svc.stop();
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

test('docker build (classic builder) through the socket', async () => {
  const r = await run('docker', ['build', '-t', 'dbuilt:v1', '--build-arg', 'WHO=docker', '--label', 'via=docker', ctx], { DOCKER_BUILDKIT: '0' });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /STEP 4\/6: RUN echo/);
  // --label is one more step, as buildah appends it.
  assert.match(r.stdout, /^STEP 6\/6: LABEL "via"="docker"$/m);
  assert.match(r.stdout, /Successfully tagged dbuilt:v1/);
  assert.equal(s.ok(['run', '--rm', '--network', 'none', 'dbuilt:v1']), 'built for docker\nfrom the context\n');
  assert.equal(s.ok(['image', 'inspect', '--format', '{{index .Config.Labels "via"}}', 'dbuilt:v1']).trim(), 'docker');
  // A short tag is Docker's docker.io/library name (docker images shows it bare), not localhost/.
  assert.equal(s.ok(['image', 'inspect', '--format', '{{index .RepoTags 0}}', 'dbuilt:v1']).trim(), 'docker.io/library/dbuilt:v1');
  // -q: the image id alone (the layers are cached).
  const q = await run('docker', ['build', '-q', '-t', 'dbuilt:q', '--build-arg', 'WHO=docker', '--label', 'via=docker', ctx], { DOCKER_BUILDKIT: '0' });
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stdout, `${s.ok(['image', 'inspect', '--format', '{{.Id}}', 'dbuilt:q']).trim()}\n`);
  const bad = path.join(s.dir, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'Dockerfile'), 'FROM localhost/busybox\nRUN exit 7\n');
  const f = await run('docker', ['build', bad], { DOCKER_BUILDKIT: '0' });
  assert.notEqual(f.code, 0);
  assert.match(f.stderr + f.stdout, /exit status 7/);
  assert.equal(s.ok(['ps', '-a', '-q']), '', 'no build containers are left');
});

test('docker build\'s RUN settings reach the RUN steps: --add-host, --shm-size, --ulimit, --memory, --cpu-shares', async () => {
  const dir = path.join(s.dir, 'runopts');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM localhost/busybox\nRUN grep h1 /etc/hosts; ulimit -n; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares; df -k /dev/shm | tail -1\n');
  const r = await run('docker', ['build', '--no-cache', '--add-host', 'h1:10.1.2.3', '--shm-size', '70m', '--ulimit', 'nofile=2048:4096',
    '--memory', '64m', '--cpu-shares', '512', dir], { DOCKER_BUILDKIT: '0' });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^10\.1\.2\.3\s+h1$/m);
  assert.match(r.stdout, /^2048$/m);
  assert.match(r.stdout, new RegExp(`^${64 * 1024 * 1024}$`, 'm'));
  assert.match(r.stdout, /^512$/m);
  assert.match(r.stdout, /^shm\s+71680\s/m);
});

test('docker-py images.build', async () => {
  const r = await run('/usr/bin/python3', ['-c', `import docker
c = docker.DockerClient(base_url='unix://${svc.socket}')
img, logs = c.images.build(path='${ctx}', tag='pybuilt:1', buildargs={'WHO': 'python'})
print(img.tags)
print(c.containers.run('pybuilt:1', network_mode='none', remove=True).decode(), end='')
`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "['docker.io/library/pybuilt:1']\nbuilt for python\nfrom the context\n");
});

test('docker build from a base image in a registry that needs a login: credentials from the CLI (X-Registry-Config), gzip context, a registry tag', async () => {
  const reg = await startRegistry({ auth: 'basic' });
  const cfgDir = path.join(s.dir, 'docker-config');
  try {
    await pushImage(reg, 'base/busybox', 'latest', await busyboxImage('docker'), { username: reg.username!, password: reg.password! });
    const dir = path.join(s.dir, 'private-base');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${reg.host}/base/busybox\nRUN echo private-base > /b\n`);
    const env = { DOCKER_BUILDKIT: '0', DOCKER_CONFIG: cfgDir };
    const denied = await run('docker', ['build', '-t', 'nobase', dir], env);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stdout + denied.stderr, /unauthorized|authentication required|denied/i);
    const login = spawn('docker', ['login', '-u', reg.username!, '--password-stdin', reg.host], { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}`, DOCKER_CONFIG: cfgDir } });
    login.stdin.end(`${reg.password}\n`);
    assert.equal(await new Promise((res) => login.on('close', res)), 0);
    const tagged = `${reg.host}/built/image:2`;
    const r = await run('docker', ['build', '--compress', '-t', tagged, dir], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Successfully tagged ${tagged.replace(/\./g, '\\.')}\\n`));
    assert.equal(s.ok(['run', '--rm', '--network', 'none', tagged, 'cat', '/b']), 'private-base\n');
  } finally {
    await reg.stop();
  }
});
