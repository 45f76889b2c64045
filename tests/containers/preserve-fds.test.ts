// run --preserve-fds N with real runc + conmon: the CLI's fds 3..3+N-1 reach the container's
// process (through conmon and `runc create --preserve-fds`), nothing more; fds that were not
// passed are refused in podman's words; exec --preserve-fds likewise. podman-remote has no such flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStoreForFile, PIER, REMOTE, Result } from '../helpers/cli';

const IMAGE = 'localhost/busybox';
let s: TestStore;

busyboxStoreForFile((x) => { s = x; });

/** pier ARGS with `extra` as the child's fds 3, 4, ... */
function runWithFds(args: string[], extra: number[]): Result {
  const r = spawnSync(process.execPath, [PIER, ...s.globalArgs(), ...args], {
    env: s.env(), stdio: ['ignore', 'pipe', 'pipe', ...extra], timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
}

function withFiles<T>(contents: string[], fn: (fds: number[]) => T): T {
  const fds = contents.map((c, i) => {
    const f = path.join(s.dir, `fd-${i}.txt`);
    fs.writeFileSync(f, c);
    return fs.openSync(f, 'r');
  });
  try { return fn(fds); } finally { for (const fd of fds) fs.closeSync(fd); }
}

const LIST = 'for f in /proc/self/fd/*; do echo "${f##*/} $(readlink $f)"; done';

test('run --preserve-fds: the passed fds are the container\'s 3.., the others are not passed', { skip: REMOTE && 'local only (podman-remote has no --preserve-fds)' }, () => {
  withFiles(['one\n', 'two\n', 'three\n'], (fds) => {
    const r = runWithFds(['run', '--rm', '--network', 'none', '--preserve-fds', '2', IMAGE, 'sh', '-c', `cat <&3; cat <&4; ${LIST}`], fds);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['one', 'two']);
    const open = new Map(lines.slice(2).map((l) => [l.split(' ')[0], l.split(' ')[1] ?? '']));
    assert.equal(open.get('3'), path.join(s.dir, 'fd-0.txt'));
    assert.equal(open.get('4'), path.join(s.dir, 'fd-1.txt'));
    // fd 5 is the shell's own (the glob's directory), not the third file.
    assert.ok(![...open.values()].includes(path.join(s.dir, 'fd-2.txt')), r.stdout);

    // Without --preserve-fds nothing beyond stdio reaches the container.
    const none = runWithFds(['run', '--rm', '--network', 'none', IMAGE, 'sh', '-c', 'cat <&3'], fds);
    assert.notEqual(none.code, 0);
  });
  // Detached: the fd is there too.
  withFiles(['detached\n'], (fds) => {
    const d = runWithFds(['run', '-d', '--network', 'none', '--preserve-fds', '1', IMAGE, 'sh', '-c', 'cat <&3'], fds);
    assert.equal(d.code, 0, d.stderr);
    const id = d.stdout.trim();
    s.ok(['wait', id]);
    assert.equal(s.ok(['logs', id]), 'detached\n');
    s.ok(['rm', id]);

  });
});

test('run --preserve-fds: fds that were not passed, negative counts and create are refused', () => {
  if (REMOTE) {
    const r = withFiles(['x\n'], (fds) => runWithFds(['run', '--rm', '--preserve-fds', '1', IMAGE, 'true'], fds));
    assert.equal(r.code, 125);
    assert.equal(r.stderr, "Error: unknown flag: --preserve-fds\nSee 'pier run --help'\n");
    return;
  }
  const none = runWithFds(['run', '--rm', '--preserve-fds', '1', IMAGE, 'true'], []);
  assert.equal(none.code, 125);
  assert.equal(none.stderr, 'Error: file descriptor 3 is not available - the preserve-fds option requires that file descriptors must be passed\n');
  const short = withFiles(['x\n'], (fds) => runWithFds(['run', '--rm', '--preserve-fds', '2', IMAGE, 'true'], fds));
  assert.equal(short.code, 125);
  assert.equal(short.stderr, 'Error: file descriptor 4 is not available - the preserve-fds option requires that file descriptors must be passed\n');
  const neg = s.run(['run', '--rm', '--preserve-fds', '-1', IMAGE, 'true']);
  assert.equal(neg.code, 125);
  assert.match(neg.stderr, /^Error: invalid argument "-1" for "--preserve-fds" flag: strconv.ParseUint: parsing "-1": invalid syntax\n/);
  const create = s.run(['create', '--preserve-fds', '1', IMAGE, 'true']);
  assert.equal(create.code, 125);
  assert.match(create.stderr, /^Error: unknown flag: --preserve-fds\n/);
  assert.equal(s.ok(['ps', '-a', '--format', '{{.Command}}']), '', 'nothing was created');
});

test('exec --preserve-fds passes the fds to the exec\'d process too', { skip: REMOTE && 'local only (podman-remote has no --preserve-fds)' }, () => {
  s.ok(['run', '-d', '--name', 'execfds', '--network', 'none', IMAGE, 'sleep', '1000']);
  withFiles(['for exec\n'], (fds) => {
    const r = runWithFds(['exec', '--preserve-fds', '1', 'execfds', 'cat', '/proc/self/fd/3'], fds);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'for exec\n');
  });
  const none = runWithFds(['exec', '--preserve-fds', '1', 'execfds', 'true'], []);
  assert.equal(none.code, 125);
  assert.equal(none.stderr, 'Error: file descriptor 3 is not available - the preserve-fds option requires that file descriptors must be passed\n');
  s.ok(['rm', '-f', '-t', '0', 'execfds']);
});
