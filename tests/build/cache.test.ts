// The build step cache's edge cases: what busts a step (and only from that step on) and what
// does not (ignored files, mtimes, unused build args), cached images that were removed, RUN bind
// mounts and ADD of a URL keyed by content, --no-cache writing a fresh cache, --layers=false
// keeping no intermediate images, two concurrent builds of one Containerfile.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { TestStore, busyboxStoreForFile } from '../helpers/cli';
import { buildHelpers } from './helpers';

let s: TestStore;
const { context, build, runIn } = buildHelpers(() => s);



/** The numbers of the steps that ran (not from the cache), from the build output. */
function ran(out: string): number[] {
  const steps = out.split(/^(?=(?:\[\d+\/\d+\] )?STEP \d+\/\d+: )/m).filter((b) => /STEP \d+\//.test(b));
  return steps.filter((b) => !/^FROM /.test(b.replace(/^(?:\[\d+\/\d+\] )?STEP \d+\/\d+: /, '')) && !/--> Using cache/.test(b) && !/STEP \d+\/\d+: ARG /.test(b))
    .map((b) => Number(/STEP (\d+)\//.exec(b)![1]));
}


busyboxStoreForFile((x) => { s = x; });

describe('build cache', () => {
  test('a change reruns from the step it touches on; ignored files, mtimes and unrelated edits do not bust it', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'RUN echo base > /base',
        'COPY src/ /src/',
        'RUN cat /src/* > /all',
        'ENV DONE=1',
      ].join('\n'),
      '.containerignore': 'src/*.log\n',
      'src/a.txt': 'a\n', 'src/b.txt': 'b\n', 'src/debug.log': 'log\n',
    });
    const first = build(dir);
    assert.deepEqual(ran(first.out), [2, 3, 4, 5]);
    // An ignored file changes, a file's mtime changes: all cached.
    fs.writeFileSync(path.join(dir, 'src/debug.log'), 'other log\n');
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(dir, 'src/a.txt'), later, later);
    const again = build(dir);
    assert.deepEqual(ran(again.out), []);
    assert.equal(again.hits, 4);
    assert.equal(again.id, first.id);
    // A mode change is content: COPY and everything after it rerun, the first RUN does not.
    fs.chmodSync(path.join(dir, 'src/b.txt'), 0o755);
    assert.deepEqual(ran(build(dir).out), [3, 4, 5]);
    // A new file in the copied directory.
    fs.writeFileSync(path.join(dir, 'src/c.txt'), 'c\n');
    const withC = build(dir, ['-t', 'cache-c']);
    assert.deepEqual(ran(withC.out), [3, 4, 5]);
    assert.equal(runIn('cache-c', 'cat', '/all'), 'a\nb\nc\n');
    assert.equal(runIn('cache-c', 'ls', '/src'), 'a.txt\nb.txt\nc.txt\n', 'COPY src/ leaves out the ignored src/*.log');
    // Editing the last instruction reruns only it.
    fs.appendFileSync(path.join(dir, 'Containerfile'), '\nLABEL edited=yes\n');
    assert.deepEqual(ran(build(dir).out), [6]);
  });

  test('build args: a changed value reruns the steps after its ARG; an undeclared one changes nothing', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'RUN echo before > /before',
        'ARG FLAVOR=plain',
        'RUN echo "$FLAVOR" > /flavor',
        'RUN echo after-arg > /after',
      ].join('\n'),
    });
    build(dir);
    const sweet = build(dir, ['--build-arg', 'FLAVOR=sweet', '-t', 'flavored']);
    assert.deepEqual(ran(sweet.out), [4, 5]);
    assert.equal(runIn('flavored', 'cat', '/flavor'), 'sweet\n');
    // The same value again: cached; an arg no stage declares: cached, with a warning.
    assert.deepEqual(ran(build(dir, ['--build-arg', 'FLAVOR=sweet']).out), []);
    const unused = build(dir, ['--build-arg', 'FLAVOR=sweet', '--build-arg', 'NOBODY=x']);
    assert.deepEqual(ran(unused.out), []);
    assert.match(unused.out, /build args were not consumed: \[NOBODY\]/);
    // The proxy args are predefined: they do not bust the cache (as in docker).
    assert.deepEqual(ran(build(dir, ['--build-arg', 'FLAVOR=sweet', '--build-arg', 'HTTP_PROXY=http://127.0.0.1:9']).out), []);
  });

  test('a removed cached image is rebuilt; --no-cache writes a fresh cache the next build uses', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo one > /one\nRUN echo two > /two\n' });
    const first = build(dir, ['-t', 'cache-rm']);
    // Removing the final image also removes the intermediate image before it, left without names
    // or children (podman's libimage does the same), so both steps' cache entries are gone.
    const rm = s.ok(['rmi', 'cache-rm']).trim().split('\n');
    assert.deepEqual(rm.map((l) => l.split(' ')[0]), ['Untagged:', 'Deleted:', 'Deleted:']);
    const rebuilt = build(dir, ['-t', 'cache-rm']);
    assert.deepEqual(ran(rebuilt.out), [2, 3], 'the steps whose images are gone run again');
    assert.equal(runIn('cache-rm', 'cat', '/two'), 'two\n');
    assert.notEqual(first.id, '');
    const fresh = build(dir, ['--no-cache']);
    assert.deepEqual(ran(fresh.out), [2, 3]);
    const next = build(dir);
    assert.deepEqual(ran(next.out), []);
    assert.equal(next.id, fresh.id, 'the --no-cache build\'s layers are the new cache');
  });

  test('RUN --mount=type=bind: the mounted context files are part of the key', () => {
    const dir = context({
      'Containerfile': 'FROM localhost/busybox\nRUN --mount=type=bind,source=conf,target=/conf cat /conf/* > /seen\nRUN echo next > /next\n',
      'conf/a.conf': 'first\n', 'other.txt': 'unrelated\n',
    });
    build(dir, ['-t', 'bind-key']);
    assert.equal(runIn('bind-key', 'cat', '/seen'), 'first\n');
    fs.writeFileSync(path.join(dir, 'other.txt'), 'changed but not mounted\n');
    assert.deepEqual(ran(build(dir).out), []);
    fs.writeFileSync(path.join(dir, 'conf/a.conf'), 'second\n');
    assert.deepEqual(ran(build(dir, ['-t', 'bind-key']).out), [2, 3]);
    assert.equal(runIn('bind-key', 'cat', '/seen'), 'second\n');
    const missing = s.run(['build', context({ 'Containerfile': 'FROM localhost/busybox\nRUN --mount=type=bind,source=nothere,target=/x true\n' })]);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /nothere: no such file or directory/);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
  });

  test('ADD of a URL without --checksum is keyed by what the server returns', async () => {
    let body = 'version 1\n';
    const server = http.createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as any).port;
    try {
      const dir = context({ 'Containerfile': `FROM localhost/busybox\nADD http://127.0.0.1:${port}/data.txt /data.txt\nRUN cat /data.txt > /copy\n` });
      const go = async (args: string[]) => {
        const r = await s.runAsync(['build', ...args, dir]);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout;
      };
      assert.deepEqual(ran(await go(['-t', 'url-key'])), [2, 3]);
      assert.deepEqual(ran(await go([])), [], 'same content: cached');
      body = 'version 2\n';
      assert.deepEqual(ran(await go(['-t', 'url-key'])), [2, 3]);
      assert.equal(runIn('url-key', 'cat', '/copy'), 'version 2\n');
    } finally {
      server.close();
    }
  });

  test('--layers=false uses no cache and leaves no intermediate images behind', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nENV A=1\nRUN echo x > /x\nCOPY f /f\nRUN echo y > /y\n', f: 'f' });
    const before = s.ok(['images', '-a', '-q', '--no-trunc']).split('\n').filter(Boolean);
    const r = build(dir, ['--layers=false', '-t', 'nolayers']);
    assert.equal(r.hits, 0);
    const afterIds = s.ok(['images', '-a', '-q', '--no-trunc']).split('\n').filter(Boolean).map((x) => x.replace(/^sha256:/, ''));
    const added = afterIds.filter((x) => !before.map((b) => b.replace(/^sha256:/, '')).includes(x));
    assert.deepEqual(added, [r.id], 'only the result is kept');
    assert.equal(runIn('nolayers', 'cat', '/x', '/f', '/y'), 'x\nfy\n');
    assert.equal(build(dir, ['--layers=false']).hits, 0);
    assert.equal(build(dir).hits, 0, 'a --layers=false build left nothing to reuse');
    // $BUILDAH_LAYERS=false (or 0) is only the default: a --layers given wins, as in podman.
    const hits = (args: string[], env: NodeJS.ProcessEnv) => {
      const r = s.run(['build', ...args, dir], { env });
      assert.equal(r.code, 0, r.stderr);
      return (r.stdout.match(/^--> Using cache /gm) ?? []).length;
    };
    assert.equal(hits([], { BUILDAH_LAYERS: 'false' }), 0);
    assert.equal(hits(['--layers=1'], { BUILDAH_LAYERS: 'false' }), 4);
    assert.equal(hits(['--layers=false'], { BUILDAH_LAYERS: '1' }), 0);
  });

  test('two concurrent builds of one Containerfile both succeed and leave no containers', async () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY f /f\nRUN sleep 0.3; echo done > /done\nCMD ["cat", "/done"]\n', f: 'f' });
    const [a, b] = await Promise.all([s.runAsync(['build', '-t', 'conc-a', dir]), s.runAsync(['build', '-t', 'conc-b', dir])]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(s.ok(['run', '--rm', '--network', 'none', 'conc-a']), 'done\n');
    assert.equal(s.ok(['run', '--rm', '--network', 'none', 'conc-b']), 'done\n');
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
    assert.deepEqual(ran(build(dir).out), [], 'the cache holds one of them');
  });
});
