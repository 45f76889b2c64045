// Users and groups of real containers (run/create/exec -u, --group-add, --passwd,
// --passwd-entry, --hostuser): what `id`, /proc/self/status and /etc/passwd show inside, as
// podman 4.3 shows them for the same busybox image.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { TestStore, PIER, REMOTE, Result, busyboxStore } from '../helpers/cli';
import { FIXTURE_PASSWD, FIXTURE_GROUP } from '../fixtures/images';

const BIN = process.env.PIER_TEST_BIN ?? PIER;
const IMAGE = 'localhost/busybox:latest';
const SHOW = 'id; echo HOME=$HOME; grep Groups /proc/self/status; tail -1 /etc/passwd; tail -1 /etc/group';

/** A host account the fixture image does not have (by name or uid), for --hostuser. */
function hostOnlyAccount(): { name: string; uid: number; gid: number; gecos: string; home: string } | undefined {
  const image = FIXTURE_PASSWD.split('\n').filter((l) => l).map((l) => l.split(':'));
  for (const l of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = l.split(':');
    if (f.length < 7 || !/^\d+$/.test(f[2]) || image.some((e) => e[0] === f[0] || e[2] === f[2])) continue;
    return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), gecos: f[4].split(',')[0], home: f[5] };
  }
  return undefined;
}

describe('container users and groups', () => {
  let ts: TestStore;
  const run = (args: string[]): Result => {
    const r = spawnSync(process.execPath, [BIN, ...ts.globalArgs(), ...args], { env: ts.env(), timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
  };
  const ok = (args: string[]): string => {
    const r = run(args);
    assert.equal(r.code, 0, `pier ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  /** Output lines (trailing spaces kept: /proc's Groups line ends with one). */
  const lines = (out: string): string[] => out.replace(/\n$/, '').split('\n');
  const show = (flags: string[], cmd = SHOW): string[] => lines(ok(['run', '--rm', '--network', 'none', ...flags, IMAGE, 'sh', '-c', cmd]));

  before(async () => {
    ts = await busyboxStore();
  });
  after(() => {
    spawnSync(process.execPath, [BIN, ...ts.globalArgs(), 'rm', '-a', '-f', '-t', '0'], { env: ts.env(), timeout: 60_000 });
    ts.cleanup();
  });

  test('supplementary groups: the primary gid only for a given user, --group-add, groups listing the user', () => {
    const groups = (flags: string[]) => show(flags, 'grep Groups /proc/self/status')[0];
    // The fixture's wheel (10) lists root and tester.
    assert.equal(groups([]), 'Groups:\t10 ');
    assert.equal(groups(['--group-add', '5']), 'Groups:\t5 10 ');
    assert.equal(groups(['-u', '0']), 'Groups:\t0 10 ');
    assert.equal(groups(['-u', 'root:root']), 'Groups:\t0 ');
    assert.equal(groups(['-u', 'tester']), 'Groups:\t10 1000 ');
    assert.equal(groups(['-u', 'tester:nogroup', '--group-add', 'wheel']), 'Groups:\t10 65534 ');
  });

  test('--group-add keep-groups: podman\'s annotation for crun, only alone, not through the remote client', () => {
    const r = ts.run(['run', '--rm', '--group-add', 'keep-groups', '--group-add', '457', 'localhost/busybox', 'true']);
    assert.deepEqual([r.code, r.stderr], [125, "Error: the '--group-add keep-groups' option is not allowed with any other --group-add options\n"]);
    const remote = ts.run(['--url', 'unix:///nonexistent.sock', 'create', '--group-add', 'keep-groups', 'localhost/busybox', 'true']);
    assert.deepEqual([remote.code, remote.stderr], [125, "Error: the '--group-add keep-groups' option is not supported in remote mode\n"]);
    if (REMOTE) {
      // The remote suite runs this file through the client: refused there, as podman-remote refuses it.
      const r = ts.run(['create', '--group-add', 'keep-groups', 'localhost/busybox', 'true']);
      assert.deepEqual([r.code, r.stderr], [125, "Error: the '--group-add keep-groups' option is not supported in remote mode\n"]);
      return;
    }
    const id = ts.ok(['create', '--group-add', 'keep-groups', 'localhost/busybox', 'true']).trim();
    assert.equal(ts.ok(['inspect', '--format', '{{index .Config.Annotations "run.oci.keep_original_groups"}} {{.HostConfig.GroupAdd}}', id]).trim(), '1 []');
    ts.ok(['rm', id]);
  });

  test('-u UID with no entry: podman\'s passwd and group entries in the container only', () => {
    const name = 'numeric-user';
    const out = lines(ok(['run', '--name', name, '--network', 'none', '-u', '1234', IMAGE, 'sh', '-c', SHOW]));
    assert.deepEqual(out, [
      'uid=1234(1234) gid=0(root) groups=0(root)', 'HOME=/', 'Groups:\t0 ',
      '1234:*:1234:0:container user:/:/bin/sh', '1234:x:1234:1234',
    ]);
    // The image is unchanged: another container does not see the entries...
    assert.equal(show([], 'cat /etc/passwd /etc/group').join('\n') + '\n', FIXTURE_PASSWD + FIXTURE_GROUP);
    // ...an image committed from this one does (as with podman).
    ok(['commit', '-q', name, 'localhost/with-user']);
    assert.deepEqual(ok(['run', '--rm', '--network', 'none', 'localhost/with-user', 'sh', '-c', 'tail -1 /etc/passwd']), '1234:*:1234:0:container user:/:/bin/sh\n');
    // A restart adds nothing twice; the user is now a member of its own group (podman 4.3 too).
    assert.deepEqual(lines(ok(['start', '-a', name])).slice(2), ['Groups:\t0 1234 ', '1234:*:1234:0:container user:/:/bin/sh', '1234:x:1234:1234']);
    assert.equal(ok(['start', '-a', name]).split('container user').length, 2);
    ok(['rm', name]);
    ok(['rmi', 'localhost/with-user']);
  });

  test('-u UID:GID, a workdir as home, --passwd=false, --passwd-entry', () => {
    assert.deepEqual(show(['-u', '1234:5678', '-w', '/tmp']), [
      'uid=1234(1234) gid=5678(5678) groups=5678(5678)', 'HOME=/tmp', 'Groups:\t5678 ',
      '1234:*:1234:5678:container user:/tmp:/bin/sh', '5678:x:5678:1234',
    ]);
    assert.deepEqual(show(['-u', '0:5678']).slice(2), ['Groups:\t5678 ', 'tester:x:1000:1000:tester:/home/tester:/bin/sh', '5678:x:5678:0']);
    const id = ok(['create', IMAGE, 'true']).trim();
    assert.equal(ok(['inspect', '--format', '{{.Config.Passwd}}', id]), 'true\n');
    ok(['rm', id]);
    assert.deepEqual(show(['--passwd=false', '-u', '1234']), [
      'uid=1234 gid=0(root) groups=0(root)', 'HOME=/', 'Groups:\t0 ', 'tester:x:1000:1000:tester:/home/tester:/bin/sh', 'nogroup:x:65534:',
    ]);
    assert.deepEqual(show(['-u', '1234', '--passwd-entry', '$USERNAME:x:$UID:$GID:$NAME:$HOME:/bin/false']).slice(3, 4), ['1234:x:1234:0:container user:/:/bin/false']);
  });

  test('inspect shows --passwd=false', () => {
    const id = ok(['run', '-d', '--passwd=false', IMAGE, 'true']).trim();
    assert.equal(ok(['inspect', '--format', '{{.Config.Passwd}}', id]), 'false\n');
    ok(['rm', '-f', id]);
  });

  test('--userns=host runs in the host user namespace; inspect shows UsernsMode "" as podman does', () => {
    assert.deepEqual(show(['--userns=host'], 'id; cat /proc/self/uid_map'), ['uid=0(root) gid=0(root) groups=10(wheel)', '         0          0 4294967295']);
    const id = ok(['create', '--userns', 'host', IMAGE, 'true']).trim();
    assert.equal(ok(['inspect', '--format', '{{json .HostConfig.UsernsMode}}', id]), '""\n');
    ok(['rm', '-f', id]);
  });

  test('--read-only: the entries are in bind-mounted copies', () => {
    const out = show(['--read-only', '-u', '1234'], `${SHOW}; grep -c -E ' /etc/(passwd|group) ' /proc/self/mountinfo`);
    assert.deepEqual(out, [
      'uid=1234(1234) gid=0(root) groups=0(root)', 'HOME=/', 'Groups:\t0 ',
      '1234:*:1234:0:container user:/:/bin/sh', '1234:x:1234:1234', '2',
    ]);
  });

  test('--hostuser adds host accounts the image lacks; an unknown one fails before create', () => {
    const acct = hostOnlyAccount();
    if (acct === undefined) return;
    // Its home is not mounted: the workdir is the home, and HOME of the process (podman's way).
    assert.deepEqual(show(['--hostuser', acct.name]).slice(1, 4), [
      'HOME=/', 'Groups:\t10 ', `${acct.name}:*:${acct.uid}:${acct.gid}:${acct.gecos}:/:/bin/sh`,
    ]);
    // Named as the user (exactly as given to --hostuser), it is taken from the host.
    const asUser = show(['--hostuser', acct.name, '-u', acct.name], 'id -u; id -g; grep Groups /proc/self/status');
    assert.deepEqual(asUser, [String(acct.uid), String(acct.gid), `Groups:\t${acct.gid} `]);
    assert.equal(show(['--hostuser', String(acct.uid)], 'tail -1 /etc/passwd')[0], `${acct.name}:*:${acct.uid}:${acct.gid}:${acct.gecos}:/:/bin/sh`);
    // Names the image has are left alone.
    assert.equal(show(['--hostuser', 'root'], 'cat /etc/passwd').join('\n') + '\n', FIXTURE_PASSWD);

    const before = ok(['ps', '-a', '-q']);
    const bad = run(['run', '--rm', '--hostuser', 'no-such-user-pier', IMAGE, 'true']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: --hostuser: user: unknown user no-such-user-pier\n');
    assert.equal(ok(['ps', '-a', '-q']), before);
  });

  test('exec: -u, else the container\'s user; groups and HOME of the exec\'d user', () => {
    ok(['run', '-d', '--name', 'ex', '--network', 'none', '-u', '1234', '--group-add', '7', IMAGE, 'sleep', '1000']);
    const ex = (flags: string[]) => lines(ok(['exec', ...flags, 'ex', 'sh', '-c', 'id; echo HOME=$HOME; grep Groups /proc/self/status']));
    assert.deepEqual(ex([]), ['uid=1234(1234) gid=0(root) groups=7,1234(1234)', 'HOME=/', 'Groups:\t7 1234 ']);
    assert.deepEqual(ex(['-u', 'tester']), ['uid=1000(tester) gid=1000(tester) groups=10(wheel)', 'HOME=/home/tester', 'Groups:\t10 ']);
    assert.deepEqual(ex(['-u', '0']), ['uid=0(root) gid=0(root) groups=10(wheel)', 'HOME=/root', 'Groups:\t10 ']);
    assert.deepEqual(ex(['-u', '4444:55']), ['uid=4444 gid=55', 'HOME=/', 'Groups:\t ']);
    ok(['rm', '-f', '-t', '0', 'ex']);
    // The default root user without --group-add: no supplementary groups in exec (as podman).
    ok(['run', '-d', '--name', 'ex', '--network', 'none', IMAGE, 'sleep', '1000']);
    assert.deepEqual(ex([]), ['uid=0(root) gid=0(root)', 'HOME=/root', 'Groups:\t ']);
    ok(['rm', '-f', '-t', '0', 'ex']);
  });
});
