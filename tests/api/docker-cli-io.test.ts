// The Docker CLI's interactive and file commands through pier's socket: run -it and exec -it on a
// pseudo-terminal (script(1)), logs -f, cp both ways, stats --no-stream, events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { TestStore } from '../helpers/cli';
import { Service, closeService, openService, startService } from '../helpers/api';

let store: TestStore;
let svc: Service;
before(async () => ({ store: store, svc: svc } = await openService()));
after(() => closeService(store, svc));

const env = () => ({ ...process.env, DOCKER_HOST: `unix://${svc.socket}` });

function docker(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { env: env(), encoding: 'utf8', input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function ok(args: string[], input?: string): string {
  const r = docker(args, input);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}\nservice: ${svc.stderr()}`);
  return r.stdout;
}

/** Runs a docker command on a pseudo-terminal (script -e keeps its exit code); `input` is typed into it. */
function onPty(cmd: string, input: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    // The pseudo-terminal gets a size (40x100) that the Docker CLI passes on to the container's.
    const c = spawn('script', ['-qec', `stty rows 40 cols 100; ${cmd}`, '/dev/null'], { env: { ...env(), TERM: 'xterm' } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, out }); });
    // Type slowly enough for the shell to be up.
    setTimeout(() => c.stdin.write(input), 1500);
  });
}

test('docker run -it and exec -it on a terminal: a tty inside, input, exit codes', async () => {
  const run = await onPty(`docker run -it --rm --network none localhost/busybox sh`, 'tty; stty size; echo "sum=$((20+22))"; exit 5\n');
  assert.equal(run.code, 5, run.out);
  assert.match(run.out, /\/dev\/pts\/\d+/);
  assert.match(run.out, /sum=42/);
  assert.match(run.out, /^40 100\r?$/m, 'the container\'s terminal got the size (/containers/{id}/resize)');
  assert.equal(store.ok(['ps', '-a', '-q']), '', 'the --rm container is gone');

  ok(['run', '-d', '--name', 'ptyexec', '--network', 'none', 'localhost/busybox', 'sleep', '100']);
  const ex = await onPty('docker exec -it ptyexec sh', 'stty size; echo "in=$((6*7))"; exit 3\n');
  assert.equal(ex.code, 3, ex.out);
  assert.match(ex.out, /in=42/);
  // The CLI sent the terminal's size through /exec/{id}/resize.
  assert.match(ex.out, /^40 100\r?$/m);
  ok(['rm', '-f', 'ptyexec']);
});

test('docker logs -f follows until the container exits; cp both ways; stats --no-stream; events', async () => {
  const t0 = Math.floor(Date.now() / 1000) - 1;
  ok(['run', '-d', '--name', 'follow1', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done']);
  const f = docker(['logs', '-f', 'follow1']);
  assert.equal(f.code, 0);
  assert.equal(f.stdout, 'line1\nline2\nline3\n');

  ok(['run', '-d', '--name', 'files1', '--network', 'none', 'localhost/busybox', 'sleep', '100']);
  const dir = fs.mkdtempSync(path.join(store.dir, 'cp-'));
  fs.writeFileSync(path.join(dir, 'in.txt'), 'into the container\n');
  fs.mkdirSync(path.join(dir, 'tree'));
  fs.writeFileSync(path.join(dir, 'tree', 'a'), 'A');
  ok(['cp', path.join(dir, 'in.txt'), 'files1:/tmp/']);
  ok(['cp', path.join(dir, 'tree'), 'files1:/tmp/tree']);
  assert.equal(ok(['exec', 'files1', 'cat', '/tmp/in.txt', '/tmp/tree/a']), 'into the container\nA');
  ok(['exec', 'files1', 'sh', '-c', 'echo out of it > /tmp/out.txt']);
  ok(['cp', 'files1:/tmp/out.txt', path.join(dir, 'out.txt')]);
  assert.equal(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'out of it\n');
  ok(['cp', 'files1:/etc', path.join(dir, 'etc')]);
  assert.ok(fs.existsSync(path.join(dir, 'etc', 'passwd')));
  const missing = docker(['cp', 'files1:/nope', dir]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Could not find the file \/nope/);

  const stats = ok(['stats', '--no-stream', '--format', '{{.Name}} {{.MemUsage}} {{.PIDs}}', 'files1']).trim();
  assert.match(stats, /^files1 [\d.]+[KMG]i?B \/ [\d.]+[KMG]i?B 1$/);

  ok(['rm', '-f', 'files1']);
  const until = Math.floor(Date.now() / 1000) + 1;
  const ev = ok(['events', '--since', String(t0), '--until', String(until), '--filter', 'container=files1', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
  const lines = ev.trim().split('\n');
  assert.deepEqual(lines.filter((l) => /create|start|destroy/.test(l)), ['container create files1', 'container start files1', 'container destroy files1']);
});
