// `wait --condition` as podman 4.3: stopped/exited (the default) print the exit code once the
// container is not running or paused (a created container at once); any other condition is a
// state to reach, printed as -1. Real runc + conmon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore, busyboxStore } from '../helpers/cli';

let s: TestStore;
const IMG = 'localhost/busybox';

before(async () => { s = await busyboxStore(); });
after(() => {
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

/** `wait` that must not block: a hang fails the test instead of the suite. */
const wait = (...args: string[]) => s.run(['wait', ...args], { timeoutMs: 20_000 });

test('states other than stopped/exited print -1 once reached', () => {
  s.ok(['create', '--name', 'w-created', '--network', 'none', IMG, 'sh', '-c', 'exit 3']);
  assert.equal(wait('--condition', 'created', 'w-created').stdout, '-1\n');
  s.ok(['run', '-d', '--name', 'w-running', '--network', 'none', IMG, 'sleep', '300']);
  assert.equal(wait('--condition', 'running', 'w-running').stdout, '-1\n');
  assert.equal(wait('--condition', 'created', '--condition', 'running', 'w-running').stdout, '-1\n');
  assert.equal(wait('--condition', 'running,exited', 'w-running').stdout, '-1\n');
  s.ok(['pause', 'w-running']);
  assert.equal(wait('--condition', 'paused', 'w-running').stdout, '-1\n');
  s.ok(['unpause', 'w-running']);
});

test('stopped/exited: the exit code, at once for a created container (podman 4.3)', () => {
  assert.equal(wait('w-created').stdout, '0\n');
  assert.equal(wait('--condition', 'exited', 'w-created').stdout, '0\n');
  s.ok(['start', 'w-created']);
  assert.equal(wait('--condition', 'stopped', 'w-created').stdout, '3\n');
  assert.equal(wait('--condition', 'created', '--condition', 'exited', 'w-created').stdout, '3\n');
  s.ok(['kill', 'w-running']);
  assert.equal(wait('w-running').stdout, '137\n');
});

test('a state not reached keeps waiting', () => {
  const r = s.run(['wait', '--condition', 'running', 'w-created'], { timeoutMs: 1500 });
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '');
});

test('conditions podman 4.3 does not know are refused', () => {
  for (const c of ['configured', 'stopping', 'healthy', 'unhealthy', 'bogus']) {
    const r = wait('--condition', c, 'w-created');
    assert.equal(r.code, 125, c);
    assert.equal(r.stderr, `Error: unknown container state: ${c}: invalid argument\n`);
  }
});
