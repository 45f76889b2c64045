// What podman 4.3 checks when a container starts rather than at create, and how `run` exits
// then: a --workdir missing from the image (126; the image's own WORKDIR is made instead), an
// unknown --user (create succeeds, start fails, run exits 126), and --timeout (conmon kills the
// container: exit code -1, run exits 255). Real runc + conmon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStore } from '../helpers/cli';

let s: TestStore;
const IMG = 'localhost/busybox';
const WD_IMG = 'localhost/busybox-workdir';

before(async () => {
  s = await busyboxStore();
  // An image whose WORKDIR does not exist in its file system.
  s.ok(['create', '--name', 'wd-base', '--network', 'none', IMG, 'true']);
  s.ok(['commit', '-q', '--change', 'WORKDIR=/imgwd/sub', 'wd-base', WD_IMG]);
  s.ok(['rm', 'wd-base']);
});
after(() => {
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

const ids = () => s.ok(['ps', '-a', '-q', '--no-trunc']).trim().split('\n').filter(Boolean);
const volumes = () => s.ok(['volume', 'ls', '-q']);

test('-w with a path the container lacks: run exits 126, --rm leaves nothing, start fails with 125', () => {
  const before = ids();
  const vols = volumes();
  const r = s.run(['run', '--rm', '--network', 'none', '-v', '/scratch', '-w', '/nonexistent', IMG, 'pwd']);
  assert.equal(r.code, 126, r.stderr);
  assert.match(r.stderr, /^Error: workdir "\/nonexistent" does not exist on container [0-9a-f]{64}\n$/);
  assert.equal(r.stdout, '');
  assert.deepEqual(ids(), before, 'the --rm container is gone');
  assert.equal(volumes(), vols, 'and its anonymous volume');

  const id = s.ok(['create', '--name', 'wd-missing', '--network', 'none', '-w', '/nonexistent', IMG, 'pwd']).trim();
  const start = s.run(['start', 'wd-missing']);
  assert.equal(start.code, 125);
  assert.equal(start.stderr, `Error: workdir "/nonexistent" does not exist on container ${id}\n`);
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'wd-missing']), 'created\n');
  assert.equal(s.run(['container', 'exists', 'wd-missing']).code, 0);
  // Without --rm, run leaves the container created (as podman does).
  const kept = s.run(['run', '--name', 'wd-kept', '--network', 'none', '-w', '/nope', IMG, 'pwd']);
  assert.equal(kept.code, 126);
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'wd-kept']), 'created\n');
});

test('-w naming a file: podman\'s "not a directory" error; a workdir inside a mount is left to the runtime', () => {
  const file = s.run(['run', '--rm', '--network', 'none', '-w', '/etc/passwd', IMG, 'pwd']);
  assert.equal(file.code, 126);
  assert.match(file.stderr, /^Error: workdir "\/etc\/passwd" exists on container [0-9a-f]{64}, but is not a directory\n$/);
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '-w', '/etc', IMG, 'pwd']), '/etc\n');
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '-v', '/data', '-w', '/data/a/b', IMG, 'pwd']), '/data/a/b\n');
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '--tmpfs', '/scratch', '-w', '/scratch/x', IMG, 'pwd']), '/scratch/x\n');
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '-w', '/proc/self', IMG, 'pwd']), '/proc/1\n');
  // A workdir that only leads to a mount (podman's isPathOnMount): the runtime makes it.
  fs.writeFileSync(path.join(s.dir, 'content'), 'under-a-mount\n');
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '-w', '/notinimage', '-v', `${path.join(s.dir, 'content')}:/notinimage/foo`, IMG, 'cat', 'foo']), 'under-a-mount\n');
});

test('the image\'s missing WORKDIR is created, owned by the container\'s user; the same path given with -w is not', () => {
  assert.equal(s.ok(['run', '--rm', '--network', 'none', WD_IMG, 'sh', '-c', 'pwd; stat -c "%U %a" . ..']), '/imgwd/sub\nroot 755\nroot 755\n');
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '-u', 'tester', WD_IMG, 'sh', '-c', 'stat -c "%U:%G" . ..']), 'tester:tester\nroot:root\n');
  const given = s.run(['run', '--rm', '--network', 'none', '-w', '/imgwd/sub', WD_IMG, 'pwd']);
  assert.equal(given.code, 126);
  assert.match(given.stderr, /workdir "\/imgwd\/sub" does not exist on container/);
});

test('-u with an unknown user: create succeeds, start fails (125), run exits 126 and --rm leaves nothing', () => {
  const id = s.ok(['create', '--name', 'nouser', '--network', 'none', '-u', 'nosuchuser', IMG, 'id']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const start = s.run(['start', 'nouser']);
  assert.equal(start.code, 125);
  assert.equal(start.stderr, 'Error: unable to find user nosuchuser: no matching entries in passwd file\n');

  const before = ids();
  const vols = volumes();
  for (const extra of [[], ['-v', '/data'], ['-d']]) {
    const r = s.run(['run', '--rm', '--network', 'none', ...extra, '-u', 'nosuchuser', IMG, 'id']);
    assert.equal(r.code, 126, `${extra.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, 'Error: unable to find user nosuchuser: no matching entries in passwd file\n');
    assert.equal(r.stdout, '');
  }
  const group = s.run(['run', '--rm', '--network', 'none', '-u', '0:nosuchgroup', IMG, 'id']);
  assert.equal(group.code, 126);
  assert.equal(group.stderr, 'Error: unable to find group nosuchgroup: no matching entries in group file\n');
  // The user is resolved before the working directory is looked at (podman's order).
  const both = s.run(['run', '--rm', '--network', 'none', '-u', 'nosuchuser', '-w', '/nonexistent', IMG, 'id']);
  assert.equal(both.stderr, 'Error: unable to find user nosuchuser: no matching entries in passwd file\n');
  assert.deepEqual(ids(), before);
  assert.equal(volumes(), vols);
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '-u', 'tester', IMG, 'id', '-un']), 'tester\n');
});

test('--timeout: conmon kills the container after that many seconds; exit code -1, run exits 255', () => {
  const t0 = Date.now();
  const r = s.run(['run', '--name', 'timed', '--network', 'none', '--timeout', '2', IMG, 'sleep', '30']);
  const took = Date.now() - t0;
  assert.equal(r.code, 255, r.stderr);
  assert.ok(took >= 1900 && took < 15_000, `took ${took} ms`);
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}} {{.Config.Timeout}}', 'timed']), 'exited -1 2\n');
  assert.match(s.ok(['ps', '-a', '--filter', 'name=timed', '--format', '{{.Status}}']), /^Exited \(-1\) /);
  // A process that ignores SIGTERM goes too (conmon sends SIGKILL); no timeout means none.
  s.ok(['run', '-d', '--name', 'timed-trap', '--network', 'none', '--timeout', '1', IMG, 'sh', '-c', 'trap "" TERM; sleep 30']);
  assert.equal(s.ok(['wait', 'timed-trap']), '-1\n');
  assert.equal(s.ok(['inspect', '--format', '{{.Config.Timeout}}', 'timed-trap']), '1\n');
  assert.equal(s.ok(['run', '--rm', '--network', 'none', '--timeout', '0', IMG, 'echo', 'ok']), 'ok\n');
});
