// `pier container runlabel` (podman 4.3's): the label's words and substitutions (pure), then
// real images built with LABELs: --display, running the label (pier standing in for podman and
// docker), its errors, --replace and --quiet. podman-remote has no runlabel: refused remotely.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, PIER, REMOTE, busyboxStoreForFile } from '../helpers/cli';
import { goExpand, runlabelArgv, runlabelName, shlexSplit } from '../../src/cli/commands/runlabel';

describe('runlabel: words and substitutions', () => {
  test('shlexSplit splits as google/shlex: quotes, escapes, comments, empty quoted words', () => {
    assert.deepEqual(shlexSplit('  a  b\tc\n'), ['a', 'b', 'c']);
    assert.deepEqual(shlexSplit(`echo 'a  b' "c \\"d\\" \\x" e\\ f`), ['echo', 'a  b', 'c "d" x', 'e f']);
    assert.deepEqual(shlexSplit(`a '' "" b`), ['a', '', '', 'b']);
    assert.deepEqual(shlexSplit('a #comment here\nb c#d'), ['a', 'b', 'c#d']);
    assert.deepEqual(shlexSplit(`x'y'"z"`), ['xyz']);
    assert.throws(() => shlexSplit(`a 'b`), /^PierError: EOF found when expecting closing quote$/);
    assert.throws(() => shlexSplit('a \\'), /^PierError: EOF found after escape character$/);
  });

  test('goExpand expands as Go\'s os.Expand', () => {
    const m = (k: string) => `<${k}>`;
    // A lone `$` stays; `${}` is dropped, and so is a `${` never closed (the rest stays).
    assert.equal(goExpand('$A ${B} $$ $1x ${?} $ ${} ${ end$', m), '<A> <B> <$> <1>x <?> $   end$');
    assert.equal(goExpand('a$-b', m), 'a<->b');
    assert.equal(goExpand('no vars', m), 'no vars');
  });

  test('runlabelArgv: IMAGE/NAME forms substituted after the program, OPT1-3 and PWD expanded, others emptied', () => {
    const base = { imageName: 'localhost/img:latest', name: 'ctr', args: [], opts: {}, cwd: '/here' };
    assert.deepEqual(runlabelArgv({ ...base, label: 'podman run --name NAME -e IMAGE=IMAGE -e N=$NAME -e I=${IMAGE} x=NAME IMAGE' }),
      ['podman', 'run', '--name', 'ctr', '-e', 'IMAGE=localhost/img:latest', '-e', 'N=ctr', '-e', 'I=localhost/img:latest', 'x=ctr', 'localhost/img:latest']);
    // Not a whole word, nor a form podman knows: left alone; the program itself is never substituted.
    assert.deepEqual(runlabelArgv({ ...base, label: 'IMAGE NAMES IMAGE;' }), ['IMAGE', 'NAMES', 'IMAGE;']);
    // Empty expansions leave no word; other variables expand to nothing; extra arguments are appended.
    assert.deepEqual(runlabelArgv({ ...base, label: 'cmd ${OPT1} $OPT2 $HOME ${PWD}/x', opts: { OPT2: 'two' }, args: ['a', 'b c'] }),
      ['cmd', 'two', '/here/x', 'a', 'b', 'c']);
    // Without a name, NAME is the image's name.
    assert.deepEqual(runlabelArgv({ ...base, name: '', label: 'c NAME' }), ['c', 'localhost/img:latest']);
  });

  test('runlabelName: the last path element of the name asked for, without its tag (by ID: of the image\'s name)', () => {
    assert.equal(runlabelName('localhost/img:latest', 'abcdef', 'quay.io/org/my-img:1.2'), 'my-img');
    assert.equal(runlabelName('localhost/img:latest', 'abcdef0123', 'abcdef'), 'img');
    assert.equal(runlabelName('abcdef0123', 'abcdef0123', 'abcdef'), 'abcdef0123');
  });
});

describe('runlabel with real images', () => {
  let s: TestStore;
  busyboxStoreForFile((x) => { s = x; });
  const pierPath = path.resolve(PIER);

  function buildLabels(tag: string, labels: string[]): void {
    const dir = fs.mkdtempSync(path.join(s.dir, 'ctx-'));
    fs.writeFileSync(path.join(dir, 'Containerfile'), ['FROM localhost/busybox', ...labels.map((l) => `LABEL ${l}`), ''].join('\n'));
    s.ok(['build', '-q', '-t', tag, dir]);
  }

  // podman-remote refuses the command (it exists in podman's local mode only).
  test('refused by the remote client', () => {
    const r = s.run(['--url', `unix://${path.join(s.dir, 'none.sock')}`, 'container', 'runlabel', 'run', 'localhost/busybox']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: cannot use command "pier container runlabel" with the remote pier client\n');
  });

  test('--display: the label\'s command with pier\'s path first, substitutions and --opt1..3 applied', { skip: REMOTE }, () => {
    buildLabels('rl-display', [
      'INSTALL /usr/bin/podman  run  -t  --rm  \\${OPT1}  -e NAME=\\${NAME} -e IMAGE=\\${IMAGE} -e C=/etc/\\${NAME} \\${IMAGE} \\${OPT2} /bin/install.sh \\${OPT3}',
      'echo /bin/echo IMAGE=IMAGE NAME=NAME',
    ]);
    assert.equal(s.ok(['container', 'runlabel', '--opt1=o1', '--opt2=o2', '--opt3=o3', '--name', 'test1', '--display', 'install', 'rl-display']),
      `command: ${pierPath} run -t --rm o1 -e NAME=test1 -e IMAGE=localhost/rl-display:latest -e C=/etc/test1 localhost/rl-display:latest o2 /bin/install.sh o3\n`);
    assert.equal(s.ok(['container', 'runlabel', '--opt3=o3', '--display', 'INSTALL', 'rl-display']),
      `command: ${pierPath} run -t --rm -e NAME=rl-display -e IMAGE=localhost/rl-display:latest -e C=/etc/rl-display localhost/rl-display:latest /bin/install.sh o3\n`);
    // podman puts its own path first whatever the program (os.Args[0]).
    assert.equal(s.ok(['container', 'runlabel', '--display', 'ECHO', 'localhost/rl-display:latest', 'more']),
      `command: ${pierPath} IMAGE=localhost/rl-display:latest NAME=rl-display more\n`);
    const missing = s.run(['container', 'runlabel', '--display', 'run', 'rl-display']);
    assert.equal(missing.code, 125);
    assert.equal(missing.stderr, 'Error: cannot find the value of label: run in image: rl-display\n');
  });

  test('running the label: podman and docker (bare or as paths) are pier on the same store, never podman', { skip: REMOTE }, () => {
    buildLabels('rl-run', [
      'RUN podman run --rm --name NAME IMAGE echo hello from \\$NAME',
      'INSTALL /usr/bin/podman create --name NAME IMAGE true',
      'DOCKER /usr/local/bin/docker run --rm IMAGE false',
      // The words are joined and split again (podman's way): the quoted "exit 4" becomes two words.
      'REQUOTE /bin/sh -c \'"exit 4"\'',
      'ENV /usr/bin/env',
      'FAIL /bin/false x',
      'NOPE /no/such/program x',
      'NOPE2 no-such-program x',
    ]);
    // A podman on PATH that would leave a mark: it must never run.
    const bin = fs.mkdtempSync(path.join(s.dir, 'bin-'));
    const mark = path.join(bin, 'ran');
    for (const p of ['podman', 'docker']) fs.writeFileSync(path.join(bin, p), `#!/bin/sh\ntouch ${mark}\n`, { mode: 0o755 });
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const run = s.run(['container', 'runlabel', '-n', 'hi', 'run', 'rl-run'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello from hi\n');
    assert.equal(s.run(['container', 'exists', 'hi']).code, 1, 'removed by its --rm');
    // The command's failure is runlabel's, worded as podman's.
    const docker = s.run(['container', 'runlabel', 'docker', 'rl-run'], { env });
    assert.equal(docker.code, 125);
    assert.equal(docker.stderr, `Error: \`${pierPath} run --rm localhost/rl-run:latest false\` failed: exit status 1\n`);
    assert.equal(s.run(['container', 'runlabel', 'requote', 'rl-run']).code, 0);
    assert.equal(fs.existsSync(mark), false, 'podman/docker on PATH never ran');

    // --replace removes the container the label's --name names first.
    s.ok(['container', 'runlabel', 'install', 'rl-run']);
    const first = s.ok(['inspect', '--format', '{{.Id}}', 'rl-run']).trim();
    const again = s.run(['container', 'runlabel', 'install', 'rl-run']);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /the container name "rl-run" is already in use/);
    assert.match(again.stderr, /^Error: `\S+ create --name rl-run localhost\/rl-run:latest true` failed: exit status 125$/m);
    s.ok(['container', 'runlabel', '--replace', 'install', 'rl-run']);
    assert.notEqual(s.ok(['inspect', '--format', '{{.Id}}', 'rl-run']).trim(), first);
    s.ok(['rm', 'rl-run']);

    // The environment: pier's own, the --opt values and PODMAN_RUNLABEL_NESTED.
    const envOut = s.ok(['container', 'runlabel', '--opt1', 'one', 'env', 'rl-run']).split('\n');
    assert.ok(envOut.includes('OPT1=one'));
    assert.ok(envOut.includes('PODMAN_RUNLABEL_NESTED=1'));
    assert.ok(!envOut.some((l) => l.startsWith('OPT2=')));
    // --quiet: the command's output goes nowhere.
    assert.equal(s.ok(['container', 'runlabel', '-q', 'env', 'rl-run']), '');

    const fail = s.run(['container', 'runlabel', 'fail', 'rl-run']);
    assert.deepEqual([fail.code, fail.stderr], [125, 'Error: `/bin/false x` failed: exit status 1\n']);
    const nope = s.run(['container', 'runlabel', 'nope', 'rl-run']);
    assert.deepEqual([nope.code, nope.stderr], [125, 'Error: stat /no/such/program: no such file or directory\n']);
    const nope2 = s.run(['container', 'runlabel', 'nope2', 'rl-run']);
    assert.deepEqual([nope2.code, nope2.stderr], [125, 'Error: `no-such-program x` failed: exec: "no-such-program": executable file not found in $PATH\n']);
  });

  test('image, flag and argument errors', { skip: REMOTE }, () => {
    const never = s.run(['container', 'runlabel', '--pull=false', 'run', 'localhost/absent']);
    assert.equal(never.code, 125);
    assert.equal(never.stderr, 'Flag --pull has been deprecated, pier will pull if not found in local storage\nError: localhost/absent: image not known\n');
    const auth = s.run(['container', 'runlabel', '--authfile', '/no/such/auth.json', 'run', 'localhost/busybox']);
    assert.deepEqual([auth.code, auth.stderr], [125, 'Error: stat /no/such/auth.json: no such file or directory\n']);
    const args = s.run(['container', 'runlabel', 'run']);
    assert.deepEqual([args.code, args.stderr], [125, 'Error: requires at least 2 arg(s), only received 1\n']);
    const none = s.run(['container', 'runlabel', 'run', 'localhost/busybox']);
    assert.deepEqual([none.code, none.stderr], [125, 'Error: cannot find the value of label: run in image: localhost/busybox\n']);
  });
});
