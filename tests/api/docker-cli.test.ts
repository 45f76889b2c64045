// The Docker CLI (a real docker 28.x client) against pier's API socket: run, ps, logs, exec,
// inspect, images, stop, rm, exit codes and published ports.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { TestStore } from '../helpers/cli';
import { Service, closeService, openService, startService } from '../helpers/api';

let s: TestStore;
let svc: Service;

function docker(args: string[], input?: string, timeout = 60_000): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}` }, encoding: 'utf8', input, timeout, killSignal: 'SIGKILL' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function ok(args: string[], input?: string): string {
  const r = docker(args, input);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}\nservice: ${svc.stderr()}`);
  return r.stdout;
}

before(async () => ({ store: s, svc: svc } = await openService()));
after(() => closeService(s, svc));

describe('docker CLI through pier system service', () => {
  test('docker run --rm prints the output, returns the exit code and leaves nothing', () => {
    assert.equal(ok(['run', '--rm', '--network', 'none', 'localhost/busybox', 'echo', 'hello from docker']), 'hello from docker\n');
    const r = docker(['run', '--rm', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(s.ok(['ps', '-a', '-q']), '', 'the --rm containers are gone');
    const missing = docker(['run', '--rm', '--pull', 'never', 'localhost/nosuchimage']);
    assert.notEqual(missing.code, 0);
  });

  test('run --rm of a command that cannot start: Docker\'s 127, the container removed, no hang; a missing network is no pull', () => {
    // The CLI waits for the auto-removal before it reports a failed start.
    const r = docker(['run', '--rm', '--name', 'dnocmd', '--network', 'none', 'localhost/busybox', 'nosuchcmd'], undefined, 20_000);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /executable file not found/);
    assert.equal(s.ok(['ps', '-a', '-q']), '');
    const net = docker(['run', '--rm', '--network', 'nosuchnet', 'localhost/busybox', 'true'], undefined, 20_000);
    assert.equal(net.code, 125);
    assert.match(net.stderr, /^docker: Error response from daemon: container create: .*nosuchnet.*network not found$/m);
    assert.doesNotMatch(net.stderr, /Unable to find image|pull/i);
  });

  test('ps shows the health in the status, -l the latest stopped container; builder prune; info names the storage driver and the host\'s OS; df -v dates', () => {
    ok(['run', '-d', '--name', 'dhealth', '--network', 'none', '--health-cmd', 'true', '--health-interval', '1s', 'localhost/busybox', 'sleep', '100']);
    let st = '';
    for (let i = 0; i < 100 && !/\(healthy\)$/.test(st); i++) { st = ok(['ps', '--filter', 'name=dhealth', '--format', '{{.Status}}']).trim(); spawnSync('sleep', ['0.1']); }
    assert.match(st, /^Up .* \(healthy\)$/);
    // -l: the latest container, stopped ones too; builder prune (docker system prune asks it too).
    ok(['create', '--name', 'dlatest', '--network', 'none', 'localhost/busybox', 'true']);
    assert.equal(ok(['ps', '-l', '--format', '{{.Names}}']), 'dlatest\n');
    assert.equal(ok(['builder', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    ok(['rm', '-f', 'dhealth', 'dlatest']);
    const os = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))![1];
    assert.equal(ok(['info', '--format', '{{.Driver}}|{{.OperatingSystem}}']).trim(), `${s.ok(['info', '--format', '{{.Store.GraphDriverName}}']).trim()}|${os}`);
    assert.match(ok(['info']), /^ Swarm: inactive$/m);
    // The image's creation date (the fixture's is 2024-01-01), not "Less than a second ago".
    assert.match(ok(['system', 'df', '-v']), /^localhost\/busybox\s+latest\s+[0-9a-f]{12}\s+\d+ years ago\s/m);
  });

  test('docker stop between two runs of a restart policy ends the restarts', () => {
    ok(['run', '-d', '--name', 'drestart', '--network', 'none', '--restart', 'always', 'localhost/busybox', 'sh', '-c', 'sleep 1; exit 2']);
    let st = '';
    for (let i = 0; i < 60 && st !== 'exited'; i++) { spawnSync('sleep', ['0.1']); st = ok(['inspect', '--format', '{{.State.Status}}', 'drestart']).trim(); }
    assert.equal(st, 'exited', 'caught between two runs');
    assert.equal(ok(['stop', 'drestart']), 'drestart\n');
    // (A restart its exit had already begun may have run and been stopped.) No more runs after that.
    const after = ok(['inspect', '--format', '{{.State.Status}} {{.RestartCount}} {{.State.StartedAt}}', 'drestart']);
    assert.match(after, /^exited /);
    spawnSync('sleep', ['2']);
    assert.equal(ok(['inspect', '--format', '{{.State.Status}} {{.RestartCount}} {{.State.StartedAt}}', 'drestart']), after);
    ok(['rm', 'drestart']);
  });

  test('run -d, ps, inspect, logs, exec, stop, rm', () => {
    const id = ok(['run', '-d', '--name', 'dweb', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo started; exec sleep 100']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = ok(['ps', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Status}}']);
    assert.match(ps, new RegExp(`^${id.slice(0, 12)} dweb localhost/busybox(:latest)? Up`, 'm'));
    assert.equal(ok(['inspect', '--format', '{{.State.Running}} {{.Name}} {{.Config.Image}}', 'dweb']).trim(), 'true /dweb localhost/busybox');
    assert.equal(ok(['exec', 'dweb', 'sh', '-c', 'echo in-exec; exit 0']), 'in-exec\n');
    assert.equal(docker(['exec', 'dweb', 'sh', '-c', 'exit 4']).code, 4);
    assert.equal(ok(['exec', '-i', 'dweb', 'cat'], 'piped stdin\n'), 'piped stdin\n');
    for (let i = 0; i < 50 && !ok(['logs', 'dweb']).includes('started'); i++) spawnSync('sleep', ['0.1']);
    assert.equal(ok(['logs', 'dweb']), 'started\n');
    ok(['stop', '-t', '1', 'dweb']);
    assert.equal(ok(['inspect', '--format', '{{.State.Status}}', 'dweb']).trim(), 'exited');
    assert.match(ok(['ps', '-a', '--filter', 'name=dweb', '--format', '{{.Names}}']), /dweb/);
    ok(['rm', 'dweb']);
    const gone = docker(['inspect', 'dweb']);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /No such/i);
  });

  test('images, tag, rmi', () => {
    assert.match(ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /localhost\/busybox:latest/);
    ok(['tag', 'localhost/busybox', 'localhost/retagged:v1']);
    assert.match(ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /localhost\/retagged:v1/);
    ok(['rmi', 'localhost/retagged:v1']);
    assert.doesNotMatch(ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /retagged/);
    assert.match(ok(['image', 'inspect', '--format', '{{.Id}}', 'localhost/busybox']), /^sha256:[0-9a-f]{64}$/m);
  });

  test('docker commit: a container\'s changes, -c instructions, message and author in a new image', () => {
    ok(['run', '--name', 'dcommit', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo made > /made']);
    const id = ok(['commit', '-c', 'ENV COMMITTED=yes', '-c', 'CMD ["cat", "/made"]', '-m', 'from docker', '-a', 'tester', 'dcommit', 'localhost/dcommitted:v1']).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const img = JSON.parse(ok(['image', 'inspect', 'localhost/dcommitted:v1']))[0];
    assert.equal(img.Id, id);
    assert.equal(img.Author, 'tester');
    assert.equal(img.Comment, 'from docker');
    assert.ok(img.Config.Env.includes('COMMITTED=yes'));
    assert.equal(ok(['run', '--rm', '--network', 'none', 'localhost/dcommitted:v1']), 'made\n');
    const missing = docker(['commit', 'nosuchcontainer', 'localhost/x']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no such container/i);
    ok(['rm', 'dcommit']);
    ok(['rmi', 'localhost/dcommitted:v1']);
  });

  test('a published port answers from the host', async () => {
    ok(['run', '-d', '--name', 'dport', '-p', '127.0.0.1::8080', 'localhost/busybox', 'sh', '-c', 'mkdir -p /w && echo via-docker > /w/index.html && exec httpd -f -p 8080 -h /w']);
    const port = ok(['port', 'dport', '8080/tcp']).trim().split('\n')[0];
    const m = /:(\d+)$/.exec(port);
    assert.ok(m, port);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await new Promise<string>((resolve) => {
        http.get({ host: '127.0.0.1', port: Number(m![1]), path: '/index.html' }, (res) => {
          let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b));
        }).on('error', () => setTimeout(() => resolve(''), 100));
      });
    }
    assert.equal(body, 'via-docker\n');
    ok(['rm', '-f', 'dport']);
  });
});
