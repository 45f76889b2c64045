// Pod init containers (`create --pod P --init-ctr always|once`), as podman 4.3: they run to
// completion, in the order they were created, when the pod starts and before its other
// containers; a `once` container is removed after its first successful run; a pod restart runs
// none; a failing one stops the pod start with podman's error.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestStore, busyboxStoreForFile } from '../helpers/cli';

let s: TestStore;
const tag = randomBytes(3).toString('hex');

busyboxStoreForFile((x) => { s = x; });

/** The file's text once it equals `want` (the member writes it just after it starts), or what it held after 10s. */
function settle(file: string, want: string): string {
  let text = '';
  for (let i = 0; i < 200; i++) {
    try { text = fs.readFileSync(file, 'utf8'); } catch { /* not yet */ }
    if (text === want) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return text;
}

const names = () => s.ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean).sort();

describe('pod init containers', () => {
  test('always and once containers run in creation order before the members; once is removed after its first run', () => {
    const pod = `ini-${tag}`;
    const dir = fs.mkdtempSync(path.join(s.dir, 'vol-'));
    const log = path.join(dir, 'log');
    s.ok(['pod', 'create', '--name', pod]);
    const vol = `${dir}:/v`;
    s.ok(['create', '--pod', pod, '--name', `always-${tag}`, '--init-ctr', 'always', '-v', vol, 'localhost/busybox', 'sh', '-c', 'echo always >> /v/log']);
    const once = s.ok(['create', '--pod', pod, '--name', `once-${tag}`, '--init-ctr', 'once', '-v', vol, 'localhost/busybox', 'sh', '-c', 'echo once >> /v/log']).trim();
    // The member reads what the init containers wrote, then waits.
    s.ok(['create', '--pod', pod, '--name', `main-${tag}`, '-v', vol, 'localhost/busybox', 'sh', '-c', 'cat /v/log > /v/seen; echo main >> /v/log; trap "exit 0" TERM; sleep 1000 & wait']);
    assert.equal(s.ok(['pod', 'inspect', '--format', '{{.NumContainers}}', pod]).trim(), '4');

    s.ok(['pod', 'start', pod]);
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', `main-${tag}`]).trim(), 'running');
    assert.equal(settle(path.join(dir, 'seen'), 'always\nonce\n'), 'always\nonce\n');
    // The once container is gone; the always one stays, exited, and leaves the pod's status alone.
    assert.equal(s.run(['container', 'exists', once]).code, 1);
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', `always-${tag}`]).trim(), 'exited 0');
    assert.equal(s.ok(['pod', 'inspect', '--format', '{{.State}} {{.NumContainers}}', pod]).trim(), 'Running 3');
    assert.match(s.ok(['pod', 'ps', '--filter', `name=${pod}`, '--format', '{{.Status}} {{.NumberOfContainers}}']).trim(), /^Running 3$/);
    // podman refuses a new init container in a running pod.
    const busy = s.run(['create', '--pod', pod, '--init-ctr', 'once', 'localhost/busybox', 'true']);
    assert.equal(busy.code, 125);
    assert.match(busy.stderr, /^Error: cannot add init-ctr to a running pod$/m);

    // A restart runs no init container; a start after a stop runs the always one again.
    s.ok(['pod', 'restart', pod]);
    assert.equal(settle(log, 'always\nonce\nmain\nmain\n'), 'always\nonce\nmain\nmain\n');
    s.ok(['pod', 'stop', '-t', '0', pod]);
    s.ok(['pod', 'start', pod]);
    assert.equal(settle(path.join(dir, 'seen'), 'always\nonce\nmain\nmain\nalways\n'), 'always\nonce\nmain\nmain\nalways\n');
    assert.deepEqual(names().filter((n) => n.endsWith(tag)), [`always-${tag}`, `main-${tag}`]);
    s.ok(['pod', 'rm', '-f', '-t', '0', pod]);
  });

  test('a failing init container stops the pod start before the members, with podman\'s error', () => {
    const pod = `fail-${tag}`;
    s.ok(['pod', 'create', '--name', pod]);
    const bad = s.ok(['create', '--pod', pod, '--init-ctr', 'always', 'localhost/busybox', 'sh', '-c', 'exit 3']).trim();
    s.ok(['create', '--pod', pod, '--name', `after-${tag}`, 'localhost/busybox', 'sleep', '1000']);
    const r = s.run(['pod', 'start', pod]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), `Error: init container ${bad} exited with code 3`);
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', `after-${tag}`]).trim(), 'created');
    s.ok(['pod', 'rm', '-f', '-t', '0', pod]);
  });

  test('a pod left without containers (an empty one, or only once init containers) does not start, as podman\'s', () => {
    const pod = `bare-${tag}`;
    const id = s.ok(['pod', 'create', '--infra=false', '--name', pod]).trim();
    const err = `Error: no containers in pod ${id} have no dependencies, cannot start pod: no such container`;
    const empty = s.run(['pod', 'start', pod]);
    assert.equal(empty.code, 125);
    assert.equal(empty.stderr.trim(), err);
    const once = s.ok(['create', '--pod', pod, '--init-ctr', 'once', 'localhost/busybox', 'true']).trim();
    const r = s.run(['pod', 'start', pod]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), err);
    assert.equal(s.run(['container', 'exists', once]).code, 1);
    // An always one stays: the pod starts, its status ignoring the exited init container.
    s.ok(['create', '--pod', pod, '--init-ctr', 'always', 'localhost/busybox', 'true']);
    s.ok(['pod', 'start', pod]);
    assert.equal(s.ok(['pod', 'inspect', '--format', '{{.State}} {{.NumContainers}}', pod]).trim(), 'Created 1');
    s.ok(['pod', 'rm', '-f', '-t', '0', pod]);
  });

  test('flag errors: --init-ctr needs --pod and always|once, and is a create flag only', () => {
    const noPod = s.run(['create', '--init-ctr', 'always', 'localhost/busybox', 'true']);
    assert.equal(noPod.code, 125);
    assert.equal(noPod.stderr.trim(), 'Error: must specify pod value with init-ctr');
    const badValue = s.run(['create', '--pod', `nope-${tag}`, '--init-ctr', 'sometimes', 'localhost/busybox', 'true']);
    assert.equal(badValue.code, 125);
    assert.equal(badValue.stderr.trim(), "Error: init-ctr value must be 'always' or 'once'");
    const run = s.run(['run', '--init-ctr', 'always', 'localhost/busybox', 'true']);
    assert.equal(run.code, 125);
    assert.match(run.stderr, /^Error: unknown flag: --init-ctr$/m);
    assert.match(s.ok(['create', '--help']), /--init-ctr string\s+Make this a pod init container\./);
  });
});
