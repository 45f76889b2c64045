// podman 4.3's own remote client (`podman --url unix://...`) against pier's service: the Libpod
// API's paths, parameters and JSON shapes as podman-remote sends and reads them (SpecGenerator
// create bodies, the pull policy, attach-then-start, exec sessions, lists with RFC 3339 times).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStore } from '../helpers/cli';
import { startService, Service } from '../helpers/api';

let s: TestStore;
let svc: Service;

function podman(args: string[], input?: string) {
  const home = path.join(s.dir, 'podman-home');
  const r = spawnSync('podman', ['--url', `unix://${svc.socket}`, ...args], {
    encoding: 'utf8', input, timeout: 60_000,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), XDG_RUNTIME_DIR: path.join(home, 'run'), CONTAINER_HOST: '', CONTAINER_CONNECTION: '' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  s = await busyboxStore();
  fs.mkdirSync(path.join(s.dir, 'podman-home', 'run'), { recursive: true });
  svc = await startService(s);
});
after(async () => {
  await svc.stop();
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.run(['pod', 'rm', '-a', '-f']);
  s.cleanup();
});

test('podman-remote: version, images, run (env, workdir, user, bind and tmpfs mounts, exit code, 127), ps, inspect, port, exec, lifecycle, rm', () => {
  assert.equal(podman(['version', '--format', '{{.Server.APIVersion}}']).stdout.trim(), '4.3.1');
  assert.match(podman(['images', '--format', '{{.Repository}}:{{.Tag}}']).stdout, /^localhost\/busybox:latest$/m);
  const r = podman(['run', '--rm', '-e', 'A=b', '-w', '/tmp', '--user', '1000', '--hostname', 'hh', 'localhost/busybox', 'sh', '-c', 'echo $A $(pwd) $(id -u) $(hostname); echo err >&2; exit 4']);
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout, 'b /tmp 1000 hh\n');
  assert.equal(r.stderr, 'err\n');
  fs.mkdirSync(path.join(s.dir, 'bind'));
  fs.writeFileSync(path.join(s.dir, 'bind', 'f'), 'bound\n');
  const m = podman(['run', '--rm', '-v', `${s.dir}/bind:/mnt:ro`, '--tmpfs', '/scratch', 'localhost/busybox', 'sh', '-c', 'cat /mnt/f; touch /mnt/g || echo ro; grep -c " /scratch tmpfs" /proc/mounts']);
  assert.equal(m.stdout, 'bound\nro\n1\n', m.stderr);
  const nf = podman(['run', '--rm', 'localhost/busybox', 'nosuchcmd']);
  assert.equal(nf.code, 127);
  assert.match(nf.stderr, /executable file not found/);
  assert.equal(podman(['run', '-i', '--rm', 'localhost/busybox', 'sh', '-c', 'tr a-z A-Z'], 'piped\n').stdout, 'PIPED\n');

  const id = podman(['run', '-d', '--name', 'web', '-p', '127.0.0.1::80', '--label', 'x=y', '--memory', '64m', 'localhost/busybox', 'httpd', '-f', '-p', '80']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.ok(s.ok(['ps', '-q', '--no-trunc']).includes(id), 'created in the service\'s store');
  assert.match(podman(['ps', '--format', '{{.Names}} {{.Labels}}']).stdout, /^web map\[.*x:y.*\]$/m);
  assert.equal(podman(['inspect', '--format', '{{.HostConfig.Memory}} {{.State.Status}}', 'web']).stdout.trim(), '67108864 running');
  assert.match(podman(['port', 'web']).stdout, /^80\/tcp -> 127\.0\.0\.1:\d+$/m);
  const ex = podman(['exec', '-e', 'Q=1', 'web', 'sh', '-c', 'echo q=$Q; exit 3']);
  assert.equal(ex.code, 3);
  assert.equal(ex.stdout, 'q=1\n');
  assert.equal(podman(['stop', '-t', '1', 'web']).stdout, 'web\n');
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'web']).trim(), 'exited');
  assert.equal(podman(['start', 'web']).code, 0);
  assert.equal(podman(['pause', 'web']).code, 0);
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'web']).trim(), 'paused');
  assert.equal(podman(['unpause', 'web']).code, 0);
  assert.equal(podman(['rm', '-f', 'web']).stdout.trim(), id);
  assert.equal(s.ok(['ps', '-a', '-q']), '');
});

test('podman-remote: volumes, networks, pods, tags, info', () => {
  assert.equal(podman(['volume', 'create', 'v1']).stdout, 'v1\n');
  assert.equal(podman(['run', '--rm', '-v', 'v1:/data', 'localhost/busybox', 'sh', '-c', 'echo hi > /data/x; cat /data/x']).stdout, 'hi\n');
  assert.equal(podman(['volume', 'rm', 'v1']).stdout, 'v1\n');
  assert.equal(podman(['network', 'create', 'pn1']).stdout, 'pn1\n');
  assert.equal(podman(['network', 'inspect', '--format', '{{.Name}} {{.Driver}}', 'pn1']).stdout, 'pn1 bridge\n');
  assert.equal(podman(['run', '--rm', '--network', 'pn1', 'localhost/busybox', 'sh', '-c', 'ip -o -4 addr show eth0 | grep -c inet']).stdout, '1\n');
  assert.equal(podman(['network', 'rm', 'pn1']).stdout, 'pn1\n');
  assert.match(podman(['pod', 'create', '--name', 'pp1']).stdout, /^[0-9a-f]{64}$/m);
  assert.match(podman(['pod', 'ps', '--format', '{{.Name}}']).stdout, /^pp1$/m);
  assert.equal(podman(['run', '-d', '--pod', 'pp1', 'localhost/busybox', 'sleep', '60']).code, 0);
  assert.match(podman(['pod', 'top', 'pp1']).stdout, /^USER +PID .*\n(.*\n)*root +\d+ .* sleep 60$/m);
  assert.equal(podman(['pod', 'rm', '-f', '-t', '0', 'pp1']).code, 0);
  assert.equal(podman(['tag', 'localhost/busybox', 'localhost/bb:2']).code, 0);
  assert.equal(s.ok(['image', 'exists', 'localhost/bb:2']), '');
  assert.match(podman(['rmi', 'localhost/bb:2']).stdout, /Untagged: localhost\/bb:2/);
  // history in podman's shape (Id, Created in unix seconds, ...), container prune's own endpoint
  const iid = s.ok(['image', 'inspect', '--format', '{{.Id}}', 'localhost/busybox']).trim();
  assert.match(podman(['image', 'history', '--no-trunc', '--format', '{{.ID}} {{.CreatedBy}}', 'localhost/busybox']).stdout, new RegExp(`^${iid} \\S`));
  const dead = s.ok(['create', '--name', 'pr-dead', 'localhost/busybox', 'true']).trim();
  assert.equal(podman(['container', 'prune', '-f']).stdout, `${dead}\n`);
  assert.equal(s.run(['container', 'exists', 'pr-dead']).code, 1);
  assert.equal(podman(['info', '--format', '{{.Store.GraphRoot}}']).stdout.trim(), s.root);
});

test('podman-remote: --requires, --volumes-from, --timeout and -w as its SpecGenerator sends them', () => {
  const base = podman(['create', '--name', 'pr-base', '--network', 'none', '-v', '/shared', 'localhost/busybox', 'sh', '-c', 'echo base > /shared/f; sleep 300']).stdout.trim();
  assert.match(base, /^[0-9a-f]{64}$/);
  const r = podman(['run', '--name', 'pr-user', '--network', 'none', '--requires', 'pr-base', '--volumes-from', 'pr-base:ro', '--timeout', '1',
    'localhost/busybox', 'sh', '-c', 'sleep 0.5; cat /shared/f; touch /shared/g || echo ro; sleep 30']);
  assert.equal(r.code, 255, r.stderr);
  assert.equal(r.stdout, 'base\nro\n');
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'pr-base']).trim(), 'running', 'started as a requirement');
  assert.equal(s.ok(['inspect', '--format', '{{json .Dependencies}} {{.Config.Timeout}} {{.State.ExitCode}}', 'pr-user']).trim(), `["${base}"] 1 -1`);
  const rm = podman(['rm', '-f', 'pr-base']);
  assert.equal(rm.code, 125);
  assert.match(rm.stderr, /has dependent containers which must be removed before it/);
  const wd = podman(['run', '--rm', '--network', 'none', '-w', '/nonexistent', 'localhost/busybox', 'pwd']);
  assert.equal(wd.code, 126);
  assert.match(wd.stderr, /workdir "\/nonexistent" does not exist on container/);
  assert.equal(podman(['rm', '-f', '-t', '0', 'pr-user', 'pr-base']).code, 0);
});

test('podman-remote: pod create with limits and infra options (its PodSpecGenerator): the pod cgroup, members\' volumes, devices, shm', () => {
  const dir = path.join(s.dir, 'podvol');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'f'), 'pod-bind\n');
  const id = podman(['pod', 'create', '--name', 'rpod', '--memory', '100m', '--cpus', '0.5', '--cpu-shares', '512', '-v', `${dir}:/vd:ro`, '-v', 'rpvol:/rv',
    '--device', '/dev/null:/dev/pn', '--shm-size', '5m', '--sysctl', 'net.ipv4.ip_forward=1', '--security-opt', 'no-new-privileges', '--label', 'a=b']).stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const j = JSON.parse(s.ok(['pod', 'inspect', 'rpod']));
  assert.deepEqual([j.CgroupPath, j.memory_limit, j.memory_swap, j.cpu_quota, j.cpu_shares, j.security_opt, j.Labels],
    [`/pier_parent/${id}`, 100 * 1024 * 1024, 200 * 1024 * 1024, 50000, 512, ['no-new-privileges'], { a: 'b' }]);
  if (fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) {
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/memory/pier_parent/${id}/memory.limit_in_bytes`, 'utf8').trim(), String(100 * 1024 * 1024));
  }
  const r = podman(['run', '--rm', '--pod', 'rpod', 'localhost/busybox', 'sh', '-c', 'cat /vd/f; ls -d /rv /dev/pn; df -k /dev/shm | tail -1; cat /proc/sys/net/ipv4/ip_forward']);
  assert.match(r.stdout, /^pod-bind\n\/dev\/pn\n\/rv\n\S+\s+5120\s.*\n1\n$/, r.stderr);
  assert.equal(podman(['pod', 'rm', '-f', 'rpod']).code, 0);
  assert.ok(!fs.existsSync(`/sys/fs/cgroup/memory/pier_parent/${id}`));
  s.run(['volume', 'rm', 'rpvol']);
});
