// Container engine reliability with real runc + conmon: concurrency, pier or conmon dying,
// cleanup after failures.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStoreForFile } from '../helpers/cli';

let s: TestStore;

busyboxStoreForFile((x) => { s = x; });

function mounts(): string[] {
  return fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(s.dir));
}

describe('containers: reliability', () => {
  test('20 concurrent `run -d` all succeed with distinct names and ids', async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, () => s.runAsync(['run', '-d', '--network', 'none', '--label', 'batch=20', 'localhost/busybox', 'sleep', '300'])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const ids = runs.map((r) => r.stdout.trim());
    assert.equal(new Set(ids).size, 20);
    for (const id of ids) assert.match(id, /^[a-f0-9]{64}$/);
    const ps = s.ok(['ps', '-a', '--filter', 'label=batch=20', '--format', '{{.ID}} {{.Names}} {{.Status}}']).trim().split('\n');
    assert.equal(ps.length, 20);
    assert.equal(new Set(ps.map((l) => l.split(' ')[1])).size, 20);
    for (const l of ps) assert.equal(l.split(' ')[2], 'Up', l);
    const rm = s.run(['rm', '-f', '-t', '0', ...ids]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(s.ok(['ps', '-a', '--filter', 'label=batch=20', '-q']).trim(), '');
  });

  test('kill -9 of the pier process after the container started leaves it running and manageable', async () => {
    const p = s.runAsync(['run', '--name', 'survivor', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo started; sleep 300']);
    // Wait until the container is running, then kill the attached pier process.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const st = s.run(['inspect', '--format', '{{.State.Status}}', 'survivor']).stdout.trim();
      if (st === 'running') break;
      assert.ok(Date.now() < deadline, 'container did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    p.child.kill('SIGKILL');
    await p;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'survivor']).trim(), 'running');
    assert.match(s.ok(['logs', 'survivor']), /started/);
    assert.equal(s.ok(['exec', 'survivor', 'echo', 'ok']).trim(), 'ok');
    s.ok(['stop', '-t', '0', 'survivor']);
    assert.match(s.ok(['ps', '-a', '--filter', 'name=survivor', '--format', '{{.Status}}']), /^Exited \(137\)/);
    s.ok(['rm', 'survivor']);
  });

  test('a container whose conmon was killed is reported as exited, not running', () => {
    const id = s.ok(['run', '-d', '--network', 'none', 'localhost/busybox', 'sleep', '300']).trim();
    const conmonPid = parseInt(s.ok(['inspect', '--format', '{{.State.ConmonPid}}', id]).trim(), 10);
    const pid = parseInt(s.ok(['inspect', '--format', '{{.State.Pid}}', id]).trim(), 10);
    assert.ok(conmonPid > 0 && pid > 0);
    process.kill(conmonPid, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    const t0 = Date.now();
    const st = s.ok(['inspect', '--format', '{{.State.Status}}', id]).trim();
    assert.ok(Date.now() - t0 < 10_000, 'no hang');
    assert.equal(st, 'exited');
    const r = s.run(['rm', '-f', id]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('bad input leaves no half-created container or mount behind', () => {
    const before = s.ok(['ps', '-a', '-q']);
    const cases: [string[], RegExp][] = [
      [['run', '--pull', 'never', '--network', 'none', 'localhost/no-such-image'], /image not known/],
      [['run', '--network', 'none', '-v', '/no/such/dir:/x', 'localhost/busybox', 'true'], /no such file or directory/],
      [['run', '--network', 'none', '--memory', 'lots', 'localhost/busybox', 'true'], /invalid|lots/i],
      [['run', '--network', 'none', '--restart', 'sometimes', 'localhost/busybox', 'true'], /restart/i],
      [['run', '--network', 'none', '--name', 'bad name', 'localhost/busybox', 'true'], /invalid container name/],
    ];
    for (const [args, re] of cases) {
      const r = s.run(args);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    }
    assert.equal(s.ok(['ps', '-a', '-q']), before);
    assert.deepEqual(mounts().filter((m) => m.includes('/containers/')), []);
  });

  test('a name conflict is refused and the first container is untouched', () => {
    s.ok(['create', '--name', 'dup', '--network', 'none', 'localhost/busybox', 'true']);
    const r = s.run(['create', '--name', 'dup', '--network', 'none', 'localhost/busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /already in use/);
    assert.equal(s.ok(['ps', '-a', '--filter', 'name=^dup$', '-q']).trim().split('\n').length, 1);
    s.ok(['rm', 'dup']);
  });

  test('a missing command exits 127, a non-executable one 126, and nothing is left behind', () => {
    const r1 = s.run(['run', '--rm', '--network', 'none', 'localhost/busybox', 'nosuchcommand']);
    assert.equal(r1.code, 127, r1.stderr);
    const r2 = s.run(['run', '--rm', '--network', 'none', 'localhost/busybox', '/etc/passwd']);
    assert.equal(r2.code, 126, r2.stderr);
    assert.equal(s.ok(['ps', '-a', '-q', '--filter', 'ancestor=localhost/busybox', '--filter', 'status=created']).trim(), '');
    assert.deepEqual(mounts().filter((m) => m.includes('/containers/')), []);
  });

  test('run --rm returns the exit code and the container is gone when the command returns', () => {
    const r = s.run(['run', '--rm', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(s.ok(['ps', '-a', '-q']).trim(), '');
    assert.deepEqual(mounts().filter((m) => m.includes('/containers/')), []);
    const runDirs = fs.existsSync(path.join(s.runroot, 'containers')) ? fs.readdirSync(path.join(s.runroot, 'containers')) : [];
    assert.deepEqual(runDirs, []);
  });

  test('conmon runs the cleanup command: a detached container that exits is unmounted and --rm removes it', async () => {
    const id = s.ok(['run', '-d', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'exit 7']).trim();
    const rmId = s.ok(['run', '-d', '--rm', '--network', 'none', 'localhost/busybox', 'true']).trim();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const gone = s.run(['container', 'exists', rmId]).code === 1;
      const unmounted = !mounts().some((m) => m.includes(id));
      if (gone && unmounted) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(s.run(['container', 'exists', rmId]).code, 1, '--rm container removed by the cleanup command');
    assert.ok(!mounts().some((m) => m.includes(id)), 'rootfs unmounted after exit');
    assert.equal(s.ok(['inspect', '--format', '{{.State.ExitCode}}', id]).trim(), '7');
    assert.equal(s.ok(['wait', id]).trim(), '7');
    s.ok(['rm', id]);
  });

  test('restart policy always restarts the container after it exits', async () => {
    const id = s.ok(['run', '-d', '--restart', 'always', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'sleep 0.3; exit 1']).trim();
    const deadline = Date.now() + 20_000;
    let count = 0;
    while (Date.now() < deadline) {
      count = parseInt(s.ok(['inspect', '--format', '{{.RestartCount}}', id]).trim(), 10);
      if (count >= 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(count >= 2, `restarted ${count} times`);
    s.ok(['rm', '-f', '-t', '0', id]);
    spawnSync('true');
  });
});

describe('containers: restart at boot', () => {
  test('start --all --filter restart-policy=always starts only those containers', () => {
    const always = s.ok(['create', '--restart', 'always', '--network', 'none', 'localhost/busybox', 'sleep', '300']).trim();
    const no = s.ok(['create', '--network', 'none', 'localhost/busybox', 'sleep', '300']).trim();
    const out = s.ok(['start', '--all', '--filter', 'restart-policy=always']);
    assert.match(out, new RegExp(always));
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', always]).trim(), 'running');
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', no]).trim(), 'created');
    s.ok(['rm', '-f', '-t', '0', always, no]);
  });

  test('start skips running containers; --filter with names keeps the matching named ones; restart-policy none/no (as podman)', () => {
    const none = s.ok(['create', '--network', 'none', 'localhost/busybox', 'sleep', '300']).trim();
    const no = s.ok(['create', '--restart', 'no', '--network', 'none', 'localhost/busybox', 'sleep', '300']).trim();
    assert.equal(s.ok(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', none]).trim(), '');
    assert.equal(s.ok(['inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', no]).trim(), 'no');
    const ids = (f: string) => s.ok(['ps', '-a', '-q', '--no-trunc', '--filter', `restart-policy=${f}`]).trim().split('\n').filter(Boolean);
    assert.deepEqual(ids('none'), [none]);
    assert.deepEqual(ids('no'), [no]);
    const bad = s.run(['ps', '-a', '--filter', 'restart-policy=bogus']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: bogus invalid restart policy\n');
    // Names with a filter: only those that match it, printed by ID.
    assert.equal(s.ok(['start', '--filter', 'restart-policy=always', none]), '');
    assert.equal(s.ok(['start', '--filter', 'restart-policy=none', none]), `${none}\n`);
    // Already running: left alone and not printed, named or by --all.
    assert.equal(s.ok(['start', none]), '');
    assert.equal(s.ok(['start', '--all']), `${no}\n`);
    s.ok(['rm', '-f', '-t', '0', none, no]);
  });
});

describe('containers: stop', () => {
  test('a container is "stopping" while stop waits; other commands and kill still work; --timeout is --time', async () => {
    const id = s.ok(['run', '-d', '--network', 'none', 'localhost/busybox', 'sh', '-c', "trap 'echo got TERM' TERM; echo READY; while :; do sleep 0.2; done"]).trim();
    for (let i = 0; i < 50 && !s.ok(['logs', id]).includes('READY'); i++) await new Promise((r) => setTimeout(r, 100));
    const stopping = s.runAsync(['stop', '--timeout', '20', id]);
    let status = '';
    for (let i = 0; i < 50; i++) {
      status = s.ok(['inspect', '--format', '{{.State.Status}}', id]).trim();
      if (status === 'stopping') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 'stopping');
    assert.match(s.ok(['ps', '-a', '--format', '{{.ID}} {{.Status}}', '--no-trunc']), new RegExp(`^${id} Stopping$`, 'm'));
    assert.ok(!s.ok(['ps', '-q', '--no-trunc']).includes(id), 'plain ps lists running containers only, as podman');
    s.ok(['kill', id]);
    const r = await stopping;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', id]).trim(), 'exited 137');
    s.ok(['rm', id]);
  });
});

describe('containers: init', () => {
  test('init prepares the container without starting it; start then runs it', () => {
    const id = s.ok(['create', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'echo ran; exit 4']).trim();
    assert.equal(s.ok(['init', id]).trim(), id);
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', id]).trim(), 'initialized');
    assert.equal(s.ok(['logs', id]), '', 'nothing ran yet');
    s.ok(['start', id]);
    assert.equal(s.ok(['wait', id]).trim(), '4');
    assert.equal(s.ok(['logs', id]), 'ran\n');
    s.ok(['rm', id]);
  });
});

describe('containers: run --rm when the pier process dies', () => {
  test('conmon\'s cleanup still removes the container after its attached pier was killed', async () => {
    const p = s.runAsync(['run', '--rm', '--name', 'orphan-rm', '--network', 'none', 'localhost/busybox', 'sh', '-c', 'sleep 1.5']);
    const deadline = Date.now() + 15_000;
    while (s.run(['inspect', '--format', '{{.State.Status}}', 'orphan-rm']).stdout.trim() !== 'running') {
      assert.ok(Date.now() < deadline, 'container did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
    p.child.kill('SIGKILL');
    await p;
    while (s.run(['container', 'exists', 'orphan-rm']).code === 0) {
      assert.ok(Date.now() < deadline, 'the --rm container was not removed after it exited');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
