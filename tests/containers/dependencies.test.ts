// Container dependencies as podman records them: --requires and the containers whose namespaces
// a container joins (--network/--ipc/--pid container:X). They are started first, shown in
// inspect's Dependencies, and cannot be removed while a dependent exists (not even with -f);
// `rm --depend` removes the dependents first. Real runc + conmon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore, busyboxStore, REMOTE } from '../helpers/cli';

let s: TestStore;
const IMG = 'localhost/busybox';

before(async () => { s = await busyboxStore(); });
after(() => {
  s.run(['rm', '-a', '-f', '-t', '0', '--depend']);
  s.cleanup();
});

const status = (name: string) => s.ok(['inspect', '--format', '{{.State.Status}}', name]).trim();
const id = (name: string) => s.ok(['inspect', '--format', '{{.Id}}', name]).trim();

test('--requires: inspect lists the dependencies; start starts the created ones first', () => {
  s.ok(['create', '--name', 'req-a', '--network', 'none', IMG, 'sleep', '300']);
  s.ok(['create', '--name', 'req-b', '--network', 'none', IMG, 'sleep', '300']);
  s.ok(['create', '--name', 'req-d', '--network', 'none', '--requires', 'req-a,req-b', IMG, 'sleep', '300']);
  assert.deepEqual(JSON.parse(s.ok(['inspect', '--format', '{{json .Dependencies}}', 'req-d'])), [id('req-a'), id('req-b')]);
  assert.deepEqual(JSON.parse(s.ok(['inspect', '--format', '{{json .Dependencies}}', 'req-a'])), []);
  assert.equal(status('req-a'), 'created');
  assert.equal(s.ok(['start', 'req-d']), 'req-d\n');
  assert.deepEqual(['req-a', 'req-b', 'req-d'].map(status), ['running', 'running', 'running']);
});

test('a required container cannot be removed while its dependent exists, not even with -f', () => {
  // Running: podman's running-container error comes first (exit 2).
  const running = s.run(['rm', 'req-a']);
  assert.equal(running.code, 2, running.stderr);
  assert.match(running.stderr, /as it is running - running or paused containers cannot be removed without force/);
  const forced = s.run(['rm', '-f', '-t', '0', 'req-a']);
  assert.equal(forced.code, 125, forced.stderr);
  assert.equal(forced.stderr, `Error: container ${id('req-a')} has dependent containers which must be removed before it: ${id('req-d')}: container already exists\n`);
  assert.equal(status('req-a'), 'running', 'nothing was stopped');
  s.ok(['stop', '-t', '0', 'req-a', 'req-b', 'req-d']);
  const stopped = s.run(['rm', 'req-a']);
  assert.equal(stopped.code, 125);
  assert.match(stopped.stderr, /has dependent containers which must be removed before it/);
  // The dependent goes first, then its requirement can.
  assert.equal(s.ok(['rm', 'req-d']), 'req-d\n');
  assert.equal(s.ok(['rm', 'req-a', 'req-b']), 'req-a\nreq-b\n');
});

test('rm --depend removes the dependents deepest first and prints every full id', () => {
  const base = s.ok(['create', '--name', 'dep-base', '--network', 'none', IMG, 'true']).trim();
  const mid = s.ok(['create', '--name', 'dep-mid', '--network', 'none', '--requires', 'dep-base', IMG, 'true']).trim();
  const top = s.ok(['create', '--name', 'dep-top', '--network', 'none', '--requires', 'dep-mid', IMG, 'true']).trim();
  assert.equal(s.ok(['rm', '--depend', 'dep-base']), `${top}\n${mid}\n${base}\n`);
  for (const n of ['dep-base', 'dep-mid', 'dep-top']) assert.equal(s.run(['container', 'exists', n]).code, 1);
  // Without dependents --depend still prints the full id (podman).
  const solo = s.ok(['create', '--name', 'dep-solo', '--network', 'none', IMG, 'true']).trim();
  assert.equal(s.ok(['rm', '--depend', 'dep-solo']), `${solo}\n`);
});

test('rm --depend keeps going past a failure: each error printed, what could go is gone', () => {
  const a = s.ok(['run', '-d', '--name', 'part-a', '--network', 'none', IMG, 'sleep', '300']).trim();
  const b = s.ok(['run', '-d', '--name', 'part-b', '--network', 'none', '--requires', 'part-a', IMG, 'sleep', '300']).trim();
  s.ok(['stop', '-t', '0', 'part-b']);
  const r = s.run(['rm', '--depend', 'part-a']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, `${b}\n`);
  assert.equal(r.stderr, `Error: cannot remove container ${a} as it is running - running or paused containers cannot be removed without force: container state improper\n`);
  assert.equal(status('part-a'), 'running');
  assert.equal(s.ok(['rm', '-f', '-t', '0', '--depend', 'part-a']), `${a}\n`);
});

test('--requires of an unknown container fails the create; a dependency that cannot start fails run with 126', () => {
  const before = s.ok(['ps', '-a', '-q']);
  const unknown = s.run(['create', '--network', 'none', '--requires', 'nosuch', IMG, 'true']);
  assert.equal(unknown.code, 125);
  assert.equal(unknown.stderr, 'Error: "nosuch" is not a valid container, cannot be used as a dependency: no container with name or ID "nosuch" found: no such container\n');
  assert.equal(s.ok(['ps', '-a', '-q']), before);

  s.ok(['create', '--name', 'broken', '--network', 'none', IMG, 'nonexistent-cmd']);
  const run = s.run(['run', '--rm', '--name', 'needs-broken', '--network', 'none', '--requires', 'broken', IMG, 'true']);
  assert.equal(run.code, 126, run.stderr);
  if (!REMOTE) {
    // Logged where the container starts: in remote mode, by the service.
    assert.match(run.stderr, /level=error msg="Starting some container dependencies"\n/);
    assert.match(run.stderr, /level=error msg=".*nonexistent-cmd.*executable file not found/);
  }
  assert.match(run.stderr, /(^|\n)Error: starting some containers: internal libpod error\n$/);
  assert.equal(s.run(['container', 'exists', 'needs-broken']).code, 1, '--rm left nothing behind');
  s.ok(['create', '--name', 'needs-broken2', '--network', 'none', '--requires', 'broken', IMG, 'true']);
  const start = s.run(['start', 'needs-broken2']);
  assert.equal(start.code, 125);
  assert.match(start.stderr, /Error: starting some containers: internal libpod error\n$/);
  assert.equal(status('needs-broken2'), 'created');
  s.ok(['rm', '--depend', 'broken']);
});

test('--network container:X records X as a dependency and starts it; an unknown X fails the create', () => {
  const unknown = s.run(['create', '--network', 'container:nosuch', IMG, 'true']);
  assert.equal(unknown.code, 125);
  assert.equal(unknown.stderr, 'Error: looking up container to share net namespace with: no container with name or ID "nosuch" found: no such container\n');
  const ipc = s.run(['create', '--network', 'none', '--ipc', 'container:nosuch', IMG, 'true']);
  assert.equal(ipc.stderr, 'Error: looking up container to share ipc namespace with: no container with name or ID "nosuch" found: no such container\n');

  const owner = s.ok(['create', '--name', 'ns-owner', '--network', 'none', IMG, 'sleep', '300']).trim();
  s.ok(['create', '--name', 'ns-joiner', '--network', 'container:ns-owner', '--pid', 'container:ns-owner', IMG, 'sleep', '300']);
  assert.deepEqual(JSON.parse(s.ok(['inspect', '--format', '{{json .Dependencies}}', 'ns-joiner'])), [owner]);
  s.ok(['start', 'ns-joiner']);
  assert.equal(status('ns-owner'), 'running');
  // Same pid namespace: the owner's sleep is visible from the joiner.
  assert.match(s.ok(['exec', 'ns-joiner', 'ps']), /sleep 300[\s\S]*sleep 300/);
  const rm = s.run(['rm', '-f', '-t', '0', 'ns-owner']);
  assert.equal(rm.code, 125);
  assert.match(rm.stderr, /has dependent containers which must be removed before it/);
  s.ok(['rm', '-f', '-t', '0', '--depend', 'ns-owner']);
});
