// `pier build` over a corpus of Containerfiles, with RUN steps through conmon + runc: each resulting
// image's config is inspected and its files checked by running it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStoreForFile, REMOTE } from '../helpers/cli';
import { buildHelpers } from './helpers';

let s: TestStore;
const { context, build, runIn } = buildHelpers(() => s);



const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const cfg = (img: string) => JSON.parse(s.ok(['image', 'inspect', img]))[0].Config;

busyboxStoreForFile((x) => { s = x; });

describe('build', () => {
  test('a simple build: config from ENV/WORKDIR/LABEL/EXPOSE/CMD, files from COPY and RUN; no-change rebuild is all cache', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'ARG GREETING=hello',
        'ENV APP=/app NAME="pier build"',
        'WORKDIR $APP',
        'COPY hello.txt ./',
        'RUN echo "$GREETING from $NAME" > greet.txt && cat greet.txt',
        'LABEL org.test=yes',
        'EXPOSE 8080',
        'CMD ["cat", "/app/greet.txt"]',
        '',
      ].join('\n'),
      'hello.txt': 'hi there\n',
    });
    const first = build(dir, ['-t', 'simple']);
    assert.match(first.out, /^STEP 1\/9: FROM localhost\/busybox$/m);
    assert.match(first.out, /^STEP 6\/9: RUN echo/m);
    assert.match(first.out, /^hello from pier build$/m, 'RUN output is shown');
    assert.match(first.out, /^COMMIT simple$/m, 'the name as given');
    assert.match(first.out, /^Successfully tagged localhost\/simple:latest$/m);
    assert.match(first.id, /^[0-9a-f]{64}$/);
    const c = cfg('simple');
    assert.ok(c.Env.includes('APP=/app'));
    assert.ok(c.Env.includes('NAME=pier build'));
    assert.ok(!c.Env.some((e: string) => e.startsWith('GREETING=')), 'ARG values are not persisted');
    assert.equal(c.WorkingDir, '/app');
    assert.equal(c.Labels['org.test'], 'yes');
    assert.ok('8080/tcp' in c.ExposedPorts);
    assert.deepEqual(c.Cmd, ['cat', '/app/greet.txt']);
    assert.equal(s.ok(['run', '--rm', '--network', 'none', 'simple']), 'hello from pier build\n');
    assert.equal(runIn('simple', 'cat', '/app/hello.txt'), 'hi there\n');
    // No change: every step is a cache hit and the same image comes out.
    const again = build(dir, ['-t', 'simple']);
    assert.equal(again.id, first.id);
    assert.equal((again.out.match(/--> Using cache/g) ?? []).length, 7);
    assert.doesNotMatch(again.out, /^hello from pier build$/m, 'RUN did not run again');
    // A changed copied file reruns from the COPY on; the steps before it stay cached.
    fs.writeFileSync(path.join(dir, 'hello.txt'), 'changed\n');
    const changed = build(dir, ['-t', 'simple']);
    assert.notEqual(changed.id, first.id);
    assert.equal((changed.out.match(/--> Using cache/g) ?? []).length, 2, changed.out);
    assert.match(changed.out, /^hello from pier build$/m);
    assert.equal(runIn('simple', 'cat', '/app/hello.txt'), 'changed\n');
    // --no-cache runs everything.
    assert.doesNotMatch(build(dir, ['--no-cache']).out, /Using cache/);
    // Intermediate images are hidden from `images` (shown with -a), as podman does.
    const listed = s.ok(['images', '--format', '{{.ID}}']).split('\n').filter(Boolean);
    assert.ok(listed.length < s.ok(['images', '-a', '--format', '{{.ID}}']).split('\n').filter(Boolean).length);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '', 'no build containers are left');
  });

  test('FROM an image with a VOLUME: RUN sees the volume, its writes there stay out of the image, and no volume is left behind', () => {
    const base = context({ 'Containerfile': 'FROM localhost/busybox\nRUN mkdir /data && echo seed > /data/seed\nVOLUME /data\n' });
    build(base, ['-t', 'volbase']);
    const volumes = s.ok(['volume', 'ls', '-q']);
    const dir = context({ 'Containerfile': 'FROM volbase\nRUN cat /data/seed && echo x > /data/new && echo y > /other\nCOPY Containerfile /c\n' });
    build(dir, ['-t', 'volchild']);
    assert.equal(s.ok(['volume', 'ls', '-q']), volumes, 'the steps\' anonymous volumes are gone');
    assert.equal(runIn('volchild', 'sh', '-c', 'ls /data; cat /other'), 'seed\ny\n');
    s.ok(['rmi', 'volchild', 'volbase']);
  });

  test('LABEL words as buildah evaluates them: quotes removed and variables expanded in one pass; the legacy form keeps its spacing', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'ENV FOO=bar',
        'LABEL  INSTALL  /usr/bin/podman  run  --rm  \\${OPT1}  -e NAME=\\${NAME} \\$IMAGE',
        "LABEL single 'a $FOO ${X}' b",
        'LABEL double "a \\$FOO $FOO \\x"',
        "LABEL mixed $FOO ${FOO} \\$FOO '$FOO' \"$FOO\"",
        'LABEL "quoted.key"="v $FOO" plain=\\$FOO',
        '',
      ].join('\n'),
    });
    build(dir, ['-t', 'labels']);
    const labels = cfg('labels').Labels;
    assert.equal(labels.INSTALL, '/usr/bin/podman  run  --rm  ${OPT1}  -e NAME=${NAME} $IMAGE');
    assert.equal(labels.single, 'a $FOO ${X} b');
    assert.equal(labels.double, 'a $FOO bar \\x');
    assert.equal(labels.mixed, 'bar bar $FOO $FOO bar');
    assert.equal(labels['quoted.key'], 'v bar');
    assert.equal(labels.plain, '$FOO');
  });

  test('ENV words as buildah evaluates them: \\$ and single quotes stay literal, one ENV sees the values before it, the legacy form keeps its spacing', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'ENV A=1',
        'ENV A=2 B=$A C=${A}x',
        `ENV L1 hello   "big  world" \\$A $A 'q $A'`,
        `ENV D="\\$HOME" E='$HOME' F=\\$HOME G="a\\"b" H=a\\ b I="x\\\\y"`,
        'ENV J=$NOPE K=${NOPE:-def}',
        '',
      ].join('\n'),
    });
    build(dir, ['-t', 'envwords']);
    const env: string[] = cfg('envwords').Env;
    assert.deepEqual(env.filter((e) => !e.startsWith('PATH=')), [
      'A=2', 'B=1', 'C=1x', 'L1=hello   big  world $A 2 q $A', 'D=$HOME', 'E=$HOME', 'F=$HOME', 'G=a"b', 'H=a b', 'I=x\\y', 'J=', 'K=def',
    ]);
    // The history names the instruction as written, as buildah's does.
    const hist = s.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'envwords']).split('\n');
    assert.equal(hist[1], '/bin/sh -c #(nop) ENV D="\\$HOME" E=\'$HOME\' F=\\$HOME G="a\\"b" H=a\\ b I="x\\\\y"');
    assert.equal(hist[3], '/bin/sh -c #(nop) ENV A=2 B=$A C=${A}x');
    assert.equal(s.ok(['run', '--rm', '--network', 'none', 'envwords', 'sh', '-c', 'echo "$F"']), '$HOME\n');
  });

  test('output lines as podman prints them: 11-character ids, COMMIT with the name as given, every name of the image, no COMMIT for an untagged cache hit', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo hi > /x\nENV A=1\n' });
    const id11 = '([0-9a-f]{11})';
    const first = s.run(['build', '-t', 'outname', dir]);
    assert.equal(first.code, 0, first.stderr);
    const m = new RegExp(`^STEP 1/3: FROM localhost/busybox\\nSTEP 2/3: RUN echo hi > /x\\n--> ${id11}\\nSTEP 3/3: ENV A=1\\nCOMMIT outname\\n--> ${id11}\\n`
      + 'Successfully tagged localhost/outname:latest\\n([0-9a-f]{64})\\n$').exec(first.stdout);
    assert.ok(m, first.stdout);
    assert.equal(m![3].slice(0, 11), m![2]);
    // All from the cache, no name: no COMMIT line.
    const again = s.ok(['build', dir]);
    assert.match(again, new RegExp(`STEP 3/3: ENV A=1\\n--> Using cache ${m![3]}\\n--> ${m![2]}\\n${m![3]}\\n$`));
    assert.doesNotMatch(again, /COMMIT/);
    // The first name goes first; every name the image has is reported, the others after it.
    const tagged = s.ok(['build', '-t', 'other:v1', '-t', 'third', dir]);
    assert.match(tagged, new RegExp(`--> Using cache ${m![3]}\\nCOMMIT other:v1\\n--> ${m![2]}\\nSuccessfully tagged localhost/other:v1\\n`
      + 'Successfully tagged localhost/outname:latest\\nSuccessfully tagged localhost/third:latest\\n'));
    // Several stages: COMMIT has the stage prefix; a FROM of an earlier stage shows its image id; no
    // extra id line at the end of a stage.
    const multi = context({ 'Containerfile': 'FROM localhost/busybox AS a\nRUN echo a > /a\nFROM a AS b\nRUN echo b\n' });
    const mo = s.ok(['build', '--no-cache', multi]);
    const mm = new RegExp(`^\\[1/2\\] STEP 1/2: FROM localhost/busybox AS a\\n\\[1/2\\] STEP 2/2: RUN echo a > /a\\n--> ${id11}\\n`
      + `\\[2/2\\] STEP 1/2: FROM ([0-9a-f]{64}) AS b\\n\\[2/2\\] STEP 2/2: RUN echo b\\nb\\n\\[2/2\\] COMMIT\\n--> ${id11}\\n[0-9a-f]{64}\\n$`).exec(mo);
    assert.ok(mm, mo);
    assert.equal(mm![2].slice(0, 11), mm![1]);
    // Without --layers: no id per step; the commit's copy lines, then the id.
    const flat = s.ok(['build', '--layers=false', dir]);
    assert.match(flat, /^STEP 1\/3: FROM localhost\/busybox\nSTEP 2\/3: RUN echo hi > \/x\nSTEP 3\/3: ENV A=1\nCOMMIT\nGetting image source signatures\n(Copying blob sha256:[0-9a-f]{64}\n)+Copying config sha256:([0-9a-f]{64})\nWriting manifest to image destination\nStoring signatures\n--> [0-9a-f]{11}\n[0-9a-f]{64}\n$/);
    // ... and its new layers are one (buildah commits the stage once), the steps keeping their history.
    const flatId = flat.trim().split('\n').pop()!;
    const baseLayers = JSON.parse(s.ok(['image', 'inspect', 'localhost/busybox']))[0].RootFS.Layers.length;
    assert.equal(JSON.parse(s.ok(['image', 'inspect', flatId]))[0].RootFS.Layers.length, baseLayers + 1);
    assert.deepEqual(s.ok(['history', '--format', '{{.CreatedBy}}', flatId]).split('\n').slice(0, 2), ['/bin/sh -c #(nop) ENV A=1', '/bin/sh -c echo hi > /x']);
    assert.equal(s.ok(['build', '-q', dir]), `${m![3]}\n`, '-q prints the id only');
  });

  test('VOLUME words as buildah evaluates them: quotes removed and variables expanded; the history has the instruction as written', () => {
    const dir = context({ 'Containerfile': "FROM localhost/busybox\nENV D=/data\nVOLUME $D \"/quoted\" ['/etc/foo', '/etc/bar']\nCMD [\"cat\",   \"/x\"]\nEXPOSE 80 90/udp\n" });
    build(dir, ['-t', 'volwords']);
    assert.deepEqual(Object.keys(cfg('volwords').Volumes).sort(), ['/data', '/etc/bar]', '/quoted', '[/etc/foo,'].sort());
    assert.deepEqual(s.ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'volwords']).split('\n').slice(0, 3), [
      '/bin/sh -c #(nop) EXPOSE 80 90/udp', '/bin/sh -c #(nop) CMD ["cat",   "/x"]', `/bin/sh -c #(nop) VOLUME $D "/quoted" ['/etc/foo', '/etc/bar']`,
    ]);
    // Words are split on whitespace first, so a quote cannot hold a space (podman fails the same way).
    const bad = s.run(['build', context({ 'Containerfile': 'FROM localhost/busybox\nVOLUME "/a b"\n' })]);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /unexpected end of statement while looking for matching double-quote/);
  });

  test('COPY of a directory to a path that does not exist makes that directory; hard links stay linked', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY . /test\nCOPY sub /sub2\n', 'sub/deeper/f.txt': 'f\n' });
    fs.linkSync(path.join(dir, 'Containerfile'), path.join(dir, 'hardlink1'));
    fs.linkSync(path.join(dir, 'Containerfile'), path.join(dir, 'sub', 'hardlink2'));
    build(dir, ['-t', 'copydir']);
    assert.equal(runIn('copydir', 'cat', '/test/sub/deeper/f.txt', '/sub2/deeper/f.txt'), 'f\nf\n');
    const inodes = runIn('copydir', 'stat', '-c', '%i', '/test/Containerfile', '/test/hardlink1', '/test/sub/hardlink2').trim().split('\n');
    assert.equal(new Set(inodes).size, 1, inodes.join(' '));
    assert.equal(s.run(['run', '--rm', '--network', 'none', 'copydir', 'ls', '/Containerfile']).code, 1, 'nothing lands in /');
  });

  test('multi-stage: COPY --from a stage, FROM a previous stage, --target', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox AS builder',
        'RUN mkdir -p /out && echo built > /out/artifact',
        'FROM builder AS extended',
        'RUN echo more >> /out/artifact',
        'FROM localhost/busybox',
        'COPY --from=extended /out/artifact /artifact',
        'COPY --from=0 /out /from-first/',
        'CMD ["cat", "/artifact"]',
      ].join('\n'),
    });
    const r = build(dir, ['-t', 'multi']);
    assert.match(r.out, /^\[1\/3\] STEP 1\/2: FROM localhost\/busybox AS builder$/m);
    assert.match(r.out, /^\[3\/3\] STEP 2\/4: COPY --from=extended/m);
    assert.equal(s.ok(['run', '--rm', '--network', 'none', 'multi']), 'built\nmore\n');
    assert.equal(runIn('multi', 'cat', '/from-first/artifact'), 'built\n');
    const t = build(dir, ['-t', 'only-builder', '--target', 'builder']);
    assert.doesNotMatch(t.out, /\[3\/3\]/);
    assert.equal(runIn('only-builder', 'cat', '/out/artifact'), 'built\n');
    const bad = s.run(['build', '--target', 'nope', dir]);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /target "nope" was not found/);
  });

  test('OCI base-image annotations as buildah 1.28 writes them: each commit names the image before its step; --annotation, --label as podman applies them', () => {
    const BD = 'org.opencontainers.image.base.digest';
    const BN = 'org.opencontainers.image.base.name';
    const info = (img: string) => JSON.parse(s.ok(['image', 'inspect', img]))[0];
    const bb = info('localhost/busybox');
    // Each step's builder starts from the image before it: the first step's base is the FROM image,
    // a later step's the previous step's image, whose base.name it inherits.
    const chain = context({ 'Containerfile': 'FROM localhost/busybox\nENV A=1\nENV B=2\n' });
    build(chain, ['--no-cache', '-t', 'ann-chain']);
    const last = info('ann-chain');
    const prev = info(last.Parent);
    assert.deepEqual(prev.Annotations, { [BD]: bb.Digest, [BN]: 'localhost/busybox:latest' });
    assert.deepEqual(last.Annotations, { [BD]: prev.Digest, [BN]: 'localhost/busybox:latest' });
    // Without --layers the stage is committed once, from its FROM.
    build(chain, ['--layers=false', '-t', 'ann-once']);
    assert.deepEqual(info('ann-once').Annotations, { [BD]: bb.Digest, [BN]: 'localhost/busybox:latest' });
    // FROM by id names the image by its name; FROM scratch has both empty.
    build(context({ 'Containerfile': `FROM ${bb.Id}\nENV A=1\n` }), ['--no-cache', '-t', 'ann-byid']);
    assert.deepEqual(info('ann-byid').Annotations, { [BD]: bb.Digest, [BN]: 'localhost/busybox:latest' });
    build(context({ 'Containerfile': 'FROM scratch\nCOPY f /f\n', f: 'x' }), ['-t', 'ann-scratch']);
    assert.deepEqual(info('ann-scratch').Annotations, { [BD]: '', [BN]: '' });
    // FROM an earlier stage: that stage's image, its base.name inherited.
    build(context({ 'Containerfile': 'FROM localhost/busybox AS a\nENV X=1\nFROM a\nENV Y=2\n' }), ['--no-cache', '-t', 'ann-stages']);
    const staged = info('ann-stages');
    assert.deepEqual(staged.Annotations, { [BD]: info(staged.Parent).Digest, [BN]: 'localhost/busybox:latest' });
    // --annotation in every commit (overriding a base one), none in the docker format; a FROM
    // image's own annotations carry on.
    build(chain, ['--no-cache', '--annotation', 'k=v', '--annotation', `${BN}=mine`, '--annotation', 'bare', '-t', 'ann-flags']);
    assert.deepEqual(info('ann-flags').Annotations, { [BD]: info(info('ann-flags').Parent).Digest, [BN]: 'mine', k: 'v', bare: '' });
    assert.deepEqual(info(info('ann-flags').Parent).Annotations, { [BD]: bb.Digest, [BN]: 'mine', k: 'v', bare: '' });
    assert.equal(info('ann-flags').History.at(-1).created_by, '/bin/sh -c #(nop) ENV B=2', 'no history entry of its own');
    build(chain, ['--no-cache', '--format', 'docker', '--annotation', 'k=v', '-t', 'ann-docker']);
    assert.deepEqual(info('ann-docker').Annotations, {});
    build(context({ 'Containerfile': 'FROM localhost/ann-flags\nENV C=3\n' }), ['-t', 'ann-child']);
    const child = info('ann-child');
    assert.deepEqual(child.Annotations, { [BD]: info('ann-flags').Digest, [BN]: 'localhost/ann-flags:latest', k: 'v', bare: '' });
    // A bare FROM is committed anew only to carry --annotation.
    const bare = build(context({ 'Containerfile': 'FROM localhost/busybox\n' }), ['--annotation', 'q=r', '-t', 'ann-bare']);
    assert.notEqual(bare.id, bb.Id);
    assert.deepEqual(info('ann-bare').Annotations, { [BD]: bb.Digest, [BN]: 'localhost/busybox:latest', q: 'r' });
    assert.equal(info('ann-bare').History.at(-1).created_by, '/bin/sh -c #(nop) ');
    // --label: a `LABEL "key"="value"` step each at the end; one without '=' has an empty value.
    const labelled = build(chain, ['--label', 'a=b', '--label', 'c=d e', '--label', 'flag', '-t', 'ann-labels']);
    assert.match(labelled.out, /^STEP 4\/6: LABEL "a"="b"$/m);
    assert.match(labelled.out, /^STEP 5\/6: LABEL "c"="d e"$/m);
    assert.match(labelled.out, /^STEP 6\/6: LABEL "flag"=""$/m);
    const li = info('ann-labels');
    assert.deepEqual([li.Labels.a, li.Labels.c, li.Labels.flag], ['b', 'd e', '']);
    assert.deepEqual(li.History.slice(-3).map((h: { created_by: string }) => h.created_by),
      ['/bin/sh -c #(nop) LABEL "a"="b"', '/bin/sh -c #(nop) LABEL "c"="d e"', '/bin/sh -c #(nop) LABEL "flag"=""']);
  });

  test('.containerignore with exceptions; .dockerignore when there is no .containerignore', () => {
    const dir = context({
      'Containerfile': 'FROM localhost/busybox\nCOPY . /ctx/\n',
      '.containerignore': '*.log\nsecret/\n!keep.log\n**/tmp\n',
      'a.txt': 'a', 'debug.log': 'x', 'keep.log': 'k', 'secret/key': 'k', 'sub/tmp': 't', 'sub/ok': 'o',
    });
    build(dir, ['-t', 'ignored']);
    const listing = runIn('ignored', 'find', '/ctx', '-type', 'f').split('\n').filter(Boolean).sort();
    assert.deepEqual(listing, ['/ctx/.containerignore', '/ctx/Containerfile', '/ctx/a.txt', '/ctx/keep.log', '/ctx/sub/ok']);
    const dir2 = context({ 'Dockerfile': 'FROM localhost/busybox\nCOPY . /ctx/\n', '.dockerignore': 'b.txt\n', 'a.txt': 'a', 'b.txt': 'b' });
    build(dir2, ['-t', 'dockerignored']);
    assert.deepEqual(runIn('dockerignored', 'ls', '-A', '/ctx').split('\n').filter(Boolean).sort(), ['.dockerignore', 'Dockerfile', 'a.txt']);
  });

  test(".dockerignore exceptions under excluded directories, `**`, leading and trailing `/`: buildah's results", () => {
    const files = ['a.log', 'b/c.log', 'b/keep.log', 'dir/drop.txt', 'dir/keep.txt', 'dir/sub/keep.txt', 'dir/sub/x.log', 'keep.log', 'other/file', 'top.txt'];
    const all = ['.dockerignore', 'Containerfile', 'a.log', 'b', 'b/c.log', 'b/keep.log', 'dir', 'dir/drop.txt', 'dir/keep.txt', 'dir/sub', 'dir/sub/keep.txt', 'dir/sub/x.log', 'keep.log', 'other', 'other/file', 'top.txt'];
    const without = (...gone: string[]) => all.filter((f) => !gone.includes(f));
    const dirGone = ['dir', 'dir/drop.txt', 'dir/keep.txt', 'dir/sub', 'dir/sub/keep.txt', 'dir/sub/x.log'];
    // What podman 4.3.1 (buildah 1.28) copies with `COPY . /ctx/` for each ignore file.
    const cases: [string, string[]][] = [
      ['dir\n!dir/keep.txt\n', without('dir/drop.txt', 'dir/sub', 'dir/sub/keep.txt', 'dir/sub/x.log')],
      ['dir/\n!dir/keep.txt\n', without('dir/drop.txt', 'dir/sub', 'dir/sub/keep.txt', 'dir/sub/x.log')],
      ['/dir\n!/dir/keep.txt\n', without('dir/drop.txt', 'dir/sub', 'dir/sub/keep.txt', 'dir/sub/x.log')],
      ['**\n!dir/keep.txt\n', ['dir', 'dir/keep.txt']],
      // An exception that does not start with the directory's path does not make it walked.
      ['dir\n!**/keep.txt\n', without(...dirGone)],
      ['dir/**\n!dir/sub/*.txt\n', without('dir/drop.txt', 'dir/keep.txt', 'dir/sub/x.log')],
      ['dir\n!dir/sub\ndir/sub/x.log\n', without('dir/drop.txt', 'dir/keep.txt', 'dir/sub/x.log')],
      ['**/*.log\n!**/keep.log\n', without('a.log', 'b/c.log', 'dir/sub/x.log')],
      ['.dockerignore\nContainerfile\nother/\n!other/file\n', without('.dockerignore', 'Containerfile')],
      // Blanks are trimmed after the slashes: this `/dir` is anchored at the root and matches nothing.
      [' # not a comment\n  /dir  \n', all],
    ];
    for (const [i, [ignore, want]] of cases.entries()) {
      const dir = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY . /ctx/\n', '.dockerignore': ignore, ...Object.fromEntries(files.map((f) => [f, f])) });
      build(dir, ['-t', `reincluded-${i}`]);
      const got = runIn(`reincluded-${i}`, 'find', '/ctx', '-mindepth', '1').split('\n').filter(Boolean).map((f) => f.slice('/ctx/'.length)).sort();
      assert.deepEqual(got, want, JSON.stringify(ignore));
    }
  });

  test('.dockerignore and a COPY source: an excluded directory is copied for the exceptions under it, else the source fails as buildah\'s; <Containerfile>.dockerignore wins; bad patterns', () => {
    const files = { 'dir/keep.txt': 'k', 'dir/drop.txt': 'd', 'a.log': 'a', 'b.log': 'b', 'x.txt': 'x', 'y.txt': 'y' };
    // The Containerfile's own ignore file is used, not the context's (which would leave out x.txt).
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY dir /x/\nCOPY *.txt /t/\n', '.dockerignore': 'x.txt\n', 'Containerfile.dockerignore': 'dir\n!dir/keep.txt\n', ...files });
    build(dir, ['-t', 'copy-excluded']);
    assert.equal(runIn('copy-excluded', 'sh', '-c', 'cd / && find x t -type f | sort'), 't/x.txt\nt/y.txt\nx/keep.txt\n');
    // Nothing left of a source: podman's error names the glob, the matches left out and the file.
    const bad: [string, string, string][] = [
      ['dir\n', 'COPY dir /x/', `no items matching glob "{CTX}/dir" copied (1 filtered out using {CTX}/.dockerignore): no such file or directory`],
      ['dir\n!dir/nothere\n', 'COPY dir /x/', `no items matching glob "{CTX}/dir" copied (1 filtered out using {CTX}/.dockerignore): no such file or directory`],
      ['*.log\n', 'COPY *.log /x/', `no items matching glob "{CTX}/*.log" copied (2 filtered out using {CTX}/.dockerignore): no such file or directory`],
      ['!\n', 'COPY . /x/', 'processing excludes list [!]: illegal exclusion pattern: "!"'],
      ['a.log\n[\n', 'COPY . /x/', 'processing excludes list [a.log []: syntax error in pattern'],
    ];
    for (const [ignore, step, msg] of bad) {
      const ctx = context({ 'Containerfile': `FROM localhost/busybox\n${step}\n`, '.dockerignore': ignore, ...files });
      const r = s.run(['build', ctx]);
      assert.equal(r.code, 125, r.stderr);
      // Remote, the context is the service's copy of it.
      if (REMOTE) assert.match(r.stderr, new RegExp(`^Error: building at STEP "${esc(step)}": ${esc(msg).replaceAll('\\{CTX\\}', '/\\S+')}\n$`));
      else assert.equal(r.stderr, `Error: building at STEP "${step}": ${msg.replaceAll('{CTX}', ctx)}\n`);
    }
  });

  test('ARG scoping: global ARG in FROM, redeclared in the stage; --build-arg overrides; ENV expands ARG', () => {
    const dir = context({
      'Containerfile': [
        'ARG BASE=localhost/busybox',
        'ARG VERSION=1.0',
        'FROM $BASE',
        'RUN echo "before:[$VERSION]" > /v1',
        'ARG VERSION',
        'ARG FLAVOR=plain',
        'ENV IMAGE_VERSION=${VERSION}-${FLAVOR} EMPTY=${UNSET:-fallback}',
        'RUN echo "after:[$VERSION] $IMAGE_VERSION $EMPTY" > /v2',
      ].join('\n'),
    });
    build(dir, ['-t', 'args', '--build-arg', 'VERSION=2.5']);
    assert.equal(runIn('args', 'cat', '/v1'), 'before:[]\n', 'a global ARG is not visible in a stage until redeclared');
    assert.equal(runIn('args', 'cat', '/v2'), 'after:[2.5] 2.5-plain fallback\n');
    assert.ok(cfg('args').Env.includes('IMAGE_VERSION=2.5-plain'));
    // A different build arg value is a different cache key.
    const other = build(dir, ['-t', 'args2', '--build-arg', 'VERSION=3']);
    assert.match(other.out, /after|STEP/);
    assert.equal(runIn('args2', 'cat', '/v2'), 'after:[3] 3-plain fallback\n');
  });

  test('USER and WORKDIR: RUN as the user; WORKDIR is created; COPY --chown/--chmod', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'USER tester',
        'WORKDIR /home/tester/work',
        'COPY --chown=tester:tester --chmod=640 data.txt ./',
        'RUN id -u > uid && id -g >> uid && pwd >> uid',
      ].join('\n'),
      'data.txt': 'data',
    });
    build(dir, ['-t', 'user']);
    assert.equal(cfg('user').User, 'tester');
    assert.equal(runIn('user', 'cat', '/home/tester/work/uid'), '1000\n1000\n/home/tester/work\n');
    assert.equal(runIn('user', 'stat', '-c', '%u:%g %a', '/home/tester/work/data.txt'), '1000:1000 640\n');
  });

  test('heredocs in RUN and COPY', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'ENV WHO=heredoc',
        'RUN <<EOF',
        'echo "line one" > /h1',
        'echo "from $WHO" >> /h1',
        'EOF',
        'COPY <<EOT /etc/greeting',
        'hello $WHO',
        'EOT',
        'RUN cat <<EOF > /h2',
        'fed to cat',
        'EOF',
      ].join('\n'),
    });
    build(dir, ['-t', 'heredoc']);
    assert.equal(runIn('heredoc', 'cat', '/h1'), 'line one\nfrom heredoc\n');
    assert.equal(runIn('heredoc', 'cat', '/etc/greeting'), 'hello heredoc\n');
    assert.equal(runIn('heredoc', 'cat', '/h2'), 'fed to cat\n');
  });

  test('RUN --mount: cache mounts persist between builds; bind mounts of the context; secrets stay out of the image', () => {
    const secret = path.join(s.dir, 'token.txt');
    fs.writeFileSync(secret, 's3cret');
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'RUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /count',
        'RUN --mount=type=bind,source=input.txt,target=/mnt/input cat /mnt/input > /copied',
        'RUN --mount=type=secret,id=token cat /run/secrets/token > /seen-secret-length && wc -c < /run/secrets/token > /secret-len',
        'RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && ls /scratch > /tmpfs-seen',
      ].join('\n'),
      'input.txt': 'from the context\n',
    });
    build(dir, ['-t', 'mounts', '--secret', `id=token,src=${secret}`]);
    assert.equal(runIn('mounts', 'cat', '/count').trim(), '1');
    assert.equal(runIn('mounts', 'cat', '/copied'), 'from the context\n');
    assert.equal(runIn('mounts', 'cat', '/secret-len').trim(), '6');
    assert.equal(runIn('mounts', 'sh', '-c', 'test -e /run/secrets/token && echo present || echo absent'), 'absent\n');
    assert.equal(runIn('mounts', 'cat', '/tmpfs-seen'), 'x\n');
    assert.equal(runIn('mounts', 'sh', '-c', 'ls /scratch 2>/dev/null | wc -l').trim(), '0');
    build(dir, ['-t', 'mounts', '--no-cache', '--secret', `id=token,src=${secret}`]);
    assert.equal(runIn('mounts', 'cat', '/count').trim(), '2', 'the cache mount kept the first build\'s file');
  });

  test('ONBUILD triggers run in the child build; ENTRYPOINT, SHELL, STOPSIGNAL, VOLUME, HEALTHCHECK', () => {
    build(context({ 'Containerfile': 'FROM localhost/busybox\nONBUILD RUN touch /onbuild-ran\nONBUILD COPY marker.txt /\n' }), ['-t', 'onbuild-base']);
    // podman's image inspect Config is the OCI ImageConfig: the triggers are kept in the image but not shown (they run below).
    assert.equal(cfg('onbuild-base').OnBuild, undefined);
    const dir = context({
      'Containerfile': [
        'FROM onbuild-base',
        'SHELL ["/bin/sh", "-ec"]',
        'RUN echo shell-ok > /shell',
        'ENTRYPOINT ["echo", "ep"]',
        'STOPSIGNAL SIGINT',
        'VOLUME /data',
        'HEALTHCHECK --interval=30s --retries=2 CMD true',
      ].join('\n'),
      'marker.txt': 'marker\n',
    });
    build(dir, ['-t', 'onbuild-child']);
    assert.equal(runIn('onbuild-child', 'x').trim(), 'ep x');
    const c = cfg('onbuild-child');
    assert.equal(c.OnBuild ?? null, null, 'triggers are not inherited further');
    assert.equal(c.StopSignal, 'SIGINT');
    assert.ok('/data' in c.Volumes);
    assert.deepEqual(c.Entrypoint, ['echo', 'ep']);
    const img = JSON.parse(s.ok(['image', 'inspect', 'onbuild-child']))[0];
    // podman's image inspect: the HEALTHCHECK in Healthcheck, not in the (OCI) Config.
    assert.deepEqual(img.Healthcheck?.Test, ['CMD-SHELL', 'true']);
    assert.equal(img.Config.Healthcheck, undefined);
    assert.equal(s.ok(['run', '--rm', '--network', 'none', '--entrypoint', 'cat', 'onbuild-child', '/marker.txt', '/shell']), 'marker\nshell-ok\n');
    assert.equal(s.ok(['run', '--rm', '--network', 'none', '--entrypoint', 'ls', 'onbuild-child', '/onbuild-ran']), '/onbuild-ran\n');
  });

  test('--timestamp builds are reproducible; --squash-all gives one layer; --iidfile; -f - and a tarball context', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY f /f\nRUN echo x > /made\n', f: 'f' });
    const a = build(dir, ['--no-cache', '--timestamp', '1700000000']).id;
    const b = build(dir, ['--no-cache', '--timestamp', '1700000000']).id;
    assert.equal(a, b, 'same digest twice');
    assert.equal(JSON.parse(s.ok(['image', 'inspect', a]))[0].Created.slice(0, 19), '2023-11-14T22:13:20');
    const iid = path.join(s.dir, 'iid');
    const sq = build(dir, ['--squash-all', '-t', 'squashed', '--iidfile', iid]).id;
    assert.equal(fs.readFileSync(iid, 'utf8'), `sha256:${sq}`);
    assert.equal(JSON.parse(s.ok(['image', 'inspect', 'squashed']))[0].RootFS.Layers.length, 1);
    assert.equal(runIn('squashed', 'cat', '/made'), 'x\n');
    // Containerfile on stdin
    const r = s.run(['build', '-t', 'stdin-file', '-f', '-', dir], { input: 'FROM localhost/busybox\nRUN echo from-stdin > /s\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(runIn('stdin-file', 'cat', '/s'), 'from-stdin\n');
    // A tarball as the context
    const tarball = path.join(s.dir, 'ctx.tar');
    spawnSync('tar', ['-cf', tarball, '-C', dir, '.']);
    build(tarball, ['-t', 'from-tar']);
    assert.equal(runIn('from-tar', 'cat', '/f'), 'f');
    // `build -`: a context archive on stdin, or a bare Containerfile with an empty context
    const t = s.run(['build', '-t', 'stdin-tar', '-'], { input: fs.readFileSync(tarball) });
    assert.equal(t.code, 0, t.stderr);
    assert.equal(runIn('stdin-tar', 'cat', '/f'), 'f');
    const c = s.run(['build', '-t', 'stdin-containerfile', '-'], { input: 'FROM localhost/busybox\nRUN echo bare > /b\n' });
    assert.equal(c.code, 0, c.stderr);
    assert.equal(runIn('stdin-containerfile', 'cat', '/b'), 'bare\n');
    const missing = s.run(['build', '-'], { input: 'FROM localhost/busybox\nCOPY f /f\n' });
    assert.equal(missing.code, 125, 'the context is empty');
  });

  test('--squash folds the new layers into one on top of the base image\'s layers', () => {
    const dir = context({ 'Containerfile': [
      'FROM localhost/busybox',
      'RUN echo one > /one && echo tmp > /tmp/gone',
      'COPY f /f',
      'RUN rm /tmp/gone /etc/group && echo two > /two',
      'CMD ["cat", "/one", "/two", "/f"]',
    ].join('\n'), f: 'f\n' });
    build(dir, ['-t', 'squashed-new', '--squash']);
    const base = JSON.parse(s.ok(['image', 'inspect', 'localhost/busybox']))[0].RootFS.Layers.length;
    assert.equal(JSON.parse(s.ok(['image', 'inspect', 'squashed-new']))[0].RootFS.Layers.length, base + 1);
    assert.equal(s.ok(['run', '--rm', '--network', 'none', 'squashed-new']), 'one\ntwo\nf\n');
    assert.equal(runIn('squashed-new', 'sh', '-c', 'ls /tmp/gone /etc/group 2>&1 | wc -l').trim(), '2');
    assert.equal(runIn('squashed-new', 'sh', '-c', 'test -e /etc/group && echo present || echo deleted'), 'deleted\n');
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
  });

  test('ADD extracts local tarballs and fetches URLs with --checksum', async () => {
    const payload = 'downloaded content\n';
    const sum = createHash('sha256').update(payload).digest('hex');
    const server = http.createServer((_req, res) => res.end(payload));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as any).port;
    try {
      const dir = context({ 'Containerfile': '' });
      fs.mkdirSync(path.join(dir, 'src'));
      fs.writeFileSync(path.join(dir, 'src', 'inner.txt'), 'inside the tar\n');
      spawnSync('tar', ['-czf', path.join(dir, 'bundle.tar.gz'), '-C', path.join(dir, 'src'), '.']);
      fs.writeFileSync(path.join(dir, 'Containerfile'), [
        'FROM localhost/busybox',
        'ADD bundle.tar.gz /unpacked/',
        `ADD --checksum=sha256:${sum} http://127.0.0.1:${port}/file.txt /downloads/`,
      ].join('\n'));
      // The HTTP server runs in this process: the build must not block its event loop.
      const ok = await s.runAsync(['build', '-t', 'added', dir]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(runIn('added', 'cat', '/unpacked/inner.txt'), 'inside the tar\n');
      assert.equal(runIn('added', 'cat', '/downloads/file.txt'), payload);
      fs.writeFileSync(path.join(dir, 'Containerfile'), `FROM localhost/busybox\nADD --checksum=sha256:${'0'.repeat(64)} http://127.0.0.1:${port}/file.txt /x\n`);
      const bad = await s.runAsync(['build', dir]);
      assert.equal(bad.code, 125);
      assert.match(bad.stderr, /checksum mismatch/);
    } finally {
      server.close();
    }
  });

  test('ADD extracts bzip2, xz and zstd tarballs too (as buildah); a compressed file that holds no tar is copied as it is', () => {
    const dir = context({ 'Containerfile': '' });
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src', 'inner.txt'), 'inside the tar\n');
    const tar = spawnSync('tar', ['-cf', '-', '-C', path.join(dir, 'src'), '.']).stdout;
    const lines = ['FROM localhost/busybox'];
    for (const [tool, ext] of [['bzip2', 'bz2'], ['xz', 'xz'], ['zstd', 'zst']]) {
      fs.writeFileSync(path.join(dir, `bundle.tar.${ext}`), spawnSync(tool, ['-c'], { input: tar }).stdout);
      fs.writeFileSync(path.join(dir, `note.txt.${ext}`), spawnSync(tool, ['-c'], { input: 'just a note\n' }).stdout);
      lines.push(`ADD bundle.tar.${ext} /unpacked-${ext}/`, `ADD note.txt.${ext} /notes/`);
    }
    fs.writeFileSync(path.join(dir, 'note.txt.gz'), spawnSync('gzip', ['-c'], { input: 'just a note\n' }).stdout);
    lines.push('ADD note.txt.gz /notes/');
    fs.writeFileSync(path.join(dir, 'Containerfile'), lines.join('\n') + '\n');
    build(dir, ['-t', 'added-packed']);
    assert.equal(runIn('added-packed', 'sh', '-c', 'cat /unpacked-bz2/inner.txt /unpacked-xz/inner.txt /unpacked-zst/inner.txt'), 'inside the tar\n'.repeat(3));
    assert.equal(runIn('added-packed', 'ls', '/notes'), 'note.txt.bz2\nnote.txt.gz\nnote.txt.xz\nnote.txt.zst\n');
    const sizes = ['bz2', 'gz', 'xz', 'zst'].map((e) => `${fs.statSync(path.join(dir, `note.txt.${e}`)).size}\n`).join('');
    assert.equal(runIn('added-packed', 'sh', '-c', 'cd /notes && stat -c %s note.txt.bz2 note.txt.gz note.txt.xz note.txt.zst'), sizes);
  });

  test('errors: a syntax error names file and line; a failing RUN fails with its exit status (podman\'s wording) and leaves nothing; escaping the context is refused', () => {
    const syntax = context({ 'Containerfile': 'FROM localhost/busybox\nRUN true\nFROBNICATE now\n' });
    const r1 = s.run(['build', syntax]);
    assert.equal(r1.code, 125);
    assert.match(r1.stderr, /Containerfile:3: unknown instruction: FROBNICATE/);
    const before = s.ok(['images', '-a', '-q']);
    const failing = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo partial > /p\nRUN exit 3\n' });
    const r2 = s.run(['build', '--no-cache', failing]);
    assert.equal(r2.code, 3, 'podman exits with the RUN\'s status');
    assert.match(r2.stderr, /^Error: building at STEP "RUN exit 3": while running runtime: exit status 3$/m);
    // An exec-form RUN the runtime cannot start: named with its words, exit status 1 (runc's).
    const notFound = s.run(['build', '--no-cache', context({ 'Containerfile': 'FROM localhost/busybox\nRUN ["/nonexistent", "x"]\n' })]);
    assert.equal(notFound.code, 1, notFound.stderr);
    assert.match(notFound.stderr, /^Error: building at STEP "RUN \/nonexistent x": /m);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '', 'no intermediate containers are left');
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(path.join(s.root, 'overlay-containers')) || l.includes(`${s.root}/containers/`));
    assert.deepEqual(mounts, [], 'no mounts are left');
    assert.ok(s.ok(['images', '-a', '-q']).split('\n').length >= before.split('\n').length);
    const escape = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY ../outside /x\n' });
    fs.writeFileSync(path.join(path.dirname(escape), 'outside'), 'nope');
    const r3 = s.run(['build', escape]);
    assert.equal(r3.code, 125);
    assert.match(r3.stderr, /outside of the build context/);
    const missing = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY nothere /x\n' });
    const r4 = s.run(['build', missing]);
    assert.equal(r4.code, 125);
    assert.match(r4.stderr, /no such file or directory/);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
  });
});
