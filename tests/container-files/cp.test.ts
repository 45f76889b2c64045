// `pier cp`: both directions, docker's path rules, tar streams, volumes, stopped containers,
// and symlinks inside the container that must never lead onto the host.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Env, tarListBuffer, eventually } from './helpers';
import { tarToBuffer, type TarEntry as TarSpec } from '../../src/storage/tar/writer';
import { execFileSync } from 'node:child_process';
import { containerDirs } from '../../src/engine/rootfs';
import { isMountPoint as isMounted } from '../../src/util/mountinfo';
import { FIXTURE_PASSWD } from '../fixtures/images';

const SETUP = [
  'ln -s / /evil', 'ln -s /etc /etc2', 'mkdir -p /data/sub', 'echo hi > /data/sub/f', 'echo top > /data/top',
  'ln -s passwd /etc/pw', 'mkdir /home/tester', 'touch /ready', 'exec sleep 1000',
].join('; ');

describe('cp', () => {
  let env: Env;
  let id: string;
  let vol: string;

  before(async () => {
    env = await Env.create('overlay');
    vol = env.tmp('vol');
    fs.writeFileSync(path.join(vol, 'in-volume'), 'from the volume\n');
    id = await env.container(['sh', '-c', SETUP], { name: 'c1', start: true, volumes: [`${vol}:/vol`] });
    await eventually(() => env.cli(['exec', 'c1', 'test', '-e', '/ready']).code === 0);
  });
  after(() => env.cleanup());

  test('a file out of the container, to a new file and into an existing directory', async () => {
    const out = env.tmp('out1');
    env.ok(['cp', 'c1:/etc/passwd', path.join(out, 'copy')]);
    assert.equal(fs.readFileSync(path.join(out, 'copy'), 'utf8'), FIXTURE_PASSWD);
    env.ok(['cp', 'c1:/data/top', out]);
    assert.equal(fs.readFileSync(path.join(out, 'top'), 'utf8'), 'top\n');
    // A file over an existing file replaces it.
    env.ok(['cp', 'c1:/data/sub/f', path.join(out, 'copy')]);
    assert.equal(fs.readFileSync(path.join(out, 'copy'), 'utf8'), 'hi\n');
    // A final symlink is resolved in the container: the target's content and name.
    env.ok(['cp', 'c1:/etc/pw', out]);
    assert.equal(fs.readFileSync(path.join(out, 'passwd'), 'utf8'), FIXTURE_PASSWD);
    // Files leaving a container belong to the host user.
    assert.equal(fs.statSync(path.join(out, 'passwd')).uid, process.getuid!());
  });

  test('directories out: new dir gets the contents, existing dir gets the dir, dir/. gets the contents', async () => {
    const out = env.tmp('out2');
    env.ok(['cp', 'c1:/data', path.join(out, 'new')]);
    assert.deepEqual(fs.readdirSync(path.join(out, 'new')).sort(), ['sub', 'top']);
    assert.equal(fs.readFileSync(path.join(out, 'new', 'sub', 'f'), 'utf8'), 'hi\n');
    fs.mkdirSync(path.join(out, 'exists'));
    env.ok(['cp', 'c1:/data', path.join(out, 'exists')]);
    assert.deepEqual(fs.readdirSync(path.join(out, 'exists')), ['data']);
    fs.mkdirSync(path.join(out, 'contents'));
    env.ok(['cp', 'c1:/data/.', path.join(out, 'contents')]);
    assert.deepEqual(fs.readdirSync(path.join(out, 'contents')).sort(), ['sub', 'top']);
  });

  test('errors: missing source, missing destination parent, directory onto a file', () => {
    const out = env.tmp('out3');
    let r = env.cli(['cp', 'c1:/nonexistent', out]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: "/nonexistent" could not be found on container c1: no such file or directory\n');
    const missing = path.join(out, 'no', 'such');
    r = env.cli(['cp', 'c1:/etc/passwd', missing]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `Error: "${missing}" could not be found on the host: no such file or directory\n`);
    fs.writeFileSync(path.join(out, 'file'), 'x');
    r = env.cli(['cp', 'c1:/data', path.join(out, 'file')]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: destination must be a directory when copying a directory\n');
    r = env.cli(['cp', path.join(out, 'file'), 'c1:/nope/x']);
    assert.equal(r.stderr, 'Error: "/nope/x" could not be found on container c1: no such file or directory\n');
    r = env.cli(['cp', path.join(out, 'file'), path.join(out, 'other')]);
    assert.equal(r.code, 125);
    r = env.cli(['cp', 'nosuchctr:/etc/passwd', out]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: container "nosuchctr" does not exist\n');
    r = env.cli(['cp', '-', 'nosuchctr:/tmp'], { input: '' });
    assert.equal(r.stderr, 'Error: container "nosuchctr" does not exist\n');
  });

  test("argument errors are podman's: empty paths, no container side", () => {
    const out = path.join(env.tmp('out-args'), 'x');
    let r = env.cli(['cp', 'c1:', out]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `Error: invalid arguments "c1:", "${out}": you must specify paths\n`);
    assert.equal(fs.existsSync(out), false);
    r = env.cli(['cp', 'c1:/etc/passwd', 'c1:']);
    assert.equal(r.stderr, 'Error: invalid arguments "c1:/etc/passwd", "c1:": you must specify paths\n');
    // `-` is a host-side path: `cp - -` names no container.
    r = env.cli(['cp', '-', '-']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: name or ID cannot be empty\n');
  });

  test('--pause (a deprecated no-op podman 4.3 still accepts) and hidden --extract', () => {
    const out = env.tmp('out-pause');
    env.ok(['cp', '--pause=false', 'c1:/data/top', path.join(out, 'a')]);
    env.ok(['cp', '--pause', '--extract', 'c1:/data/top', path.join(out, 'b')]);
    assert.equal(fs.readFileSync(path.join(out, 'a'), 'utf8') + fs.readFileSync(path.join(out, 'b'), 'utf8'), 'top\ntop\n');
    const help = env.ok(['cp', '--help']);
    assert.doesNotMatch(help, /--pause|--extract/);
    // podman 4.3.1's help lists --archive and --overwrite; docker's -L is accepted, unlisted.
    assert.deepEqual(help.match(/^\s+(-\w, )?--[\w-]+/gm)!.map((l) => l.trim()), ['-a, --archive', '--overwrite']);
    const l = path.join(out, 'L');
    fs.mkdirSync(l);
    env.ok(['cp', '-L', 'c1:/data/top', l]);
    assert.equal(fs.readFileSync(path.join(l, 'top'), 'utf8'), 'top\n');
  });

  test('a destination on the host must be a directory or a regular file (/dev/stdout is not: `-` is)', () => {
    // spawnSync gives the CLI a pipe for stdout.
    let r = env.cli(['cp', 'c1:/data/top', '/dev/stdout']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: invalid destination: "/dev/stdout" must be a directory or a regular file\n');
    assert.equal(r.stdout, '');
    r = env.cli(['cp', 'c1:/data/top', '/dev/null']);
    assert.equal(r.stderr, 'Error: invalid destination: "/dev/null" must be a directory or a regular file\n');
    // A missing destination: its parent is what must be a directory.
    r = env.cli(['cp', 'c1:/data/top', '/dev/null/x']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: invalid destination: "/dev/null" must be a directory or a regular file\n');
    // The source is checked first.
    r = env.cli(['cp', 'c1:/nonexistent', '/dev/stdout']);
    assert.equal(r.stderr, 'Error: "/nonexistent" could not be found on container c1: no such file or directory\n');
  });

  test('symlinks in the container resolve inside it when reading', () => {
    const out = env.tmp('out4');
    // /evil -> / : /evil/etc/passwd is the container's passwd, never the host's.
    env.ok(['cp', 'c1:/evil/etc/passwd', path.join(out, 'p1')]);
    assert.equal(fs.readFileSync(path.join(out, 'p1'), 'utf8'), FIXTURE_PASSWD);
    env.ok(['cp', 'c1:/etc2/passwd', path.join(out, 'p2')]);
    assert.equal(fs.readFileSync(path.join(out, 'p2'), 'utf8'), FIXTURE_PASSWD);
    // `..` cannot climb out of the root either.
    env.ok(['cp', 'c1:/../../../../etc/passwd', path.join(out, 'p3')]);
    assert.equal(fs.readFileSync(path.join(out, 'p3'), 'utf8'), FIXTURE_PASSWD);
    // A symlinked directory copies the directory it points to.
    env.ok(['cp', 'c1:/etc2', path.join(out, 'etcdir')]);
    assert.equal(fs.readFileSync(path.join(out, 'etcdir', 'passwd'), 'utf8'), FIXTURE_PASSWD);
  });

  test('symlinks in the container resolve inside it when writing', () => {
    const src = env.tmp('in1');
    const tag = randomBytes(6).toString('hex');
    fs.writeFileSync(path.join(src, 'payload'), `payload ${tag}\n`);
    env.ok(['cp', path.join(src, 'payload'), `c1:/evil/pwned-${tag}`]);
    env.ok(['cp', path.join(src, 'payload'), `c1:/etc2/pwned-${tag}`]);
    env.ok(['cp', path.join(src, 'payload'), 'c1:/evil/tmp/']);
    assert.equal(fs.existsSync(`/pwned-${tag}`), false);
    assert.equal(fs.existsSync(`/etc/pwned-${tag}`), false);
    assert.equal(env.exec(id, ['cat', `/pwned-${tag}`, `/etc/pwned-${tag}`, '/tmp/payload']), `payload ${tag}\n`.repeat(3));
  });

  test('a tar stream whose entries go through container symlinks stays inside the container', async () => {
    const tag = randomBytes(6).toString('hex');
    const tar = await tarToBuffer([
      { type: 'file', name: `etc2/streamed-${tag}`, content: 'via etc2\n' },
      { type: 'symlink', name: `escape-${tag}`, target: '/' },
      { type: 'file', name: `escape-${tag}/tmp/deep-${tag}`, content: 'via escape\n' },
      { type: 'file', name: `../../outside-${tag}`, content: 'never\n' },
    ]);
    const r = env.cli(['cp', '-', 'c1:/'], { input: tar });
    // The `..` entry is refused; what came before it is in place, inside the container.
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /escapes/);
    assert.equal(fs.existsSync(`/etc/streamed-${tag}`), false);
    assert.equal(fs.existsSync(`/tmp/deep-${tag}`), false);
    assert.equal(env.exec(id, ['cat', `/etc/streamed-${tag}`, `/tmp/deep-${tag}`]), 'via etc2\nvia escape\n');
    assert.equal(env.exec(id, ['readlink', `/escape-${tag}`]), '/\n');
  });

  test('into the container: new file, into a dir, dir to new path, dir/. into existing dir', () => {
    const src = env.tmp('in2');
    fs.mkdirSync(path.join(src, 'tree', 'inner'), { recursive: true });
    fs.writeFileSync(path.join(src, 'tree', 'inner', 'leaf'), 'leaf\n');
    fs.writeFileSync(path.join(src, 'tree', 'root-file'), 'rf\n', { mode: 0o640 });
    env.ok(['cp', path.join(src, 'tree', 'root-file'), 'c1:/tmp/renamed']);
    env.ok(['cp', path.join(src, 'tree', 'root-file'), 'c1:/home/tester']);
    env.ok(['cp', path.join(src, 'tree'), 'c1:/newtree']);
    env.ok(['cp', path.join(src, 'tree'), 'c1:/home/tester/']);
    env.ok(['cp', `${path.join(src, 'tree')}/.`, 'c1:/tmp']);
    const listing = env.exec(id, ['sh', '-c', 'cat /tmp/renamed /home/tester/root-file /newtree/inner/leaf /home/tester/tree/inner/leaf /tmp/inner/leaf; stat -c %a /tmp/renamed']);
    assert.equal(listing, 'rf\nrf\nleaf\nleaf\nleaf\n640\n');
    // A directory cannot replace a file.
    const r = env.cli(['cp', path.join(src, 'tree'), 'c1:/etc/passwd']);
    assert.equal(r.stderr, 'Error: destination must be a directory when copying a directory\n');
  });

  test('--archive chowns to the container user; --archive=false keeps the ids', async () => {
    const uid = (await env.container(['sleep', '1000'], { name: 'as-tester', user: 'tester', start: true }));
    const src = env.tmp('in3');
    fs.writeFileSync(path.join(src, 'owned'), 'o\n');
    fs.chownSync(path.join(src, 'owned'), 4321, 4321);
    env.ok(['cp', path.join(src, 'owned'), 'as-tester:/tmp/a']);
    env.ok(['cp', '--archive=false', path.join(src, 'owned'), 'as-tester:/tmp/b']);
    assert.equal(env.exec(uid, ['stat', '-c', '%u:%g', '/tmp/a', '/tmp/b']), '1000:1000\n4321:4321\n');
  });

  test('--overwrite replaces a directory with a file', () => {
    const src = env.tmp('in4');
    fs.writeFileSync(path.join(src, 'sub'), 'now a file\n');
    let r = env.cli(['cp', path.join(src, 'sub'), 'c1:/data/']);
    // `sub` exists in /data as a directory: the file goes into /data, where it clashes.
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: copying to container: copier: put: error creating "/data/sub": copier: put: error creating file at "/data/sub": open /data/sub: file exists\n');
    assert.equal(env.exec(id, ['cat', '/data/sub/f']), 'hi\n');
    r = env.cli(['cp', '--overwrite', path.join(src, 'sub'), 'c1:/data/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(env.exec(id, ['cat', '/data/sub']), 'now a file\n');
    env.exec(id, ['sh', '-c', 'rm /data/sub; mkdir -p /data/sub; echo hi > /data/sub/f']);
  });

  test("file/directory clashes in every direction: podman's error, --overwrite replaces", () => {
    const host = env.tmp('clash');
    env.exec(id, ['sh', '-c', 'mkdir -p /clash/dir/foo /clash/file; echo in-dir > /clash/dir/foo/f; echo a-file > /clash/file/foo']);
    // Container to container (here the same one): a file onto a directory, a directory onto a file.
    let r = env.cli(['cp', 'c1:/clash/file/foo', 'as-tester:/tmp']);
    assert.equal(r.code, 0, r.stderr);
    env.exec('as-tester', ['sh', '-c', 'rm /tmp/foo; mkdir /tmp/foo']);
    r = env.cli(['cp', 'c1:/clash/file/foo', 'as-tester:/tmp']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: copying to container: copier: put: error creating "/tmp/foo": copier: put: error creating file at "/tmp/foo": open /tmp/foo: file exists\n');
    env.ok(['cp', '--overwrite', 'c1:/clash/file/foo', 'as-tester:/tmp']);
    assert.equal(env.exec('as-tester', ['cat', '/tmp/foo']), 'a-file\n');
    r = env.cli(['cp', 'c1:/clash/dir/foo', 'as-tester:/tmp']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: copying to container: copier: put: error creating "/tmp/foo": mkdir /tmp/foo: file exists\n');
    env.ok(['cp', '--overwrite', 'c1:/clash/dir/foo', 'as-tester:/tmp']);
    assert.equal(env.exec('as-tester', ['cat', '/tmp/foo/f']), 'in-dir\n');
    // Container to host: names are relative to the destination directory, as podman shows them.
    fs.mkdirSync(path.join(host, 'foo'));
    r = env.cli(['cp', 'c1:/clash/file/foo', host]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: copying to host: copier: put: error creating "/foo": copier: put: error creating file at "/foo": open /foo: file exists\n');
    assert.equal(fs.statSync(path.join(host, 'foo')).isDirectory(), true);
    env.ok(['cp', '--overwrite', 'c1:/clash/file/foo', host]);
    assert.equal(fs.readFileSync(path.join(host, 'foo'), 'utf8'), 'a-file\n');
    r = env.cli(['cp', 'c1:/clash/dir/foo', host]);
    assert.equal(r.stderr, 'Error: copying to host: copier: put: error creating "/foo": mkdir /foo: file exists\n');
    env.ok(['cp', '--overwrite', 'c1:/clash/dir/foo', host]);
    assert.equal(fs.readFileSync(path.join(host, 'foo', 'f'), 'utf8'), 'in-dir\n');
    // Host to container.
    r = env.cli(['cp', path.join(host, 'foo'), 'c1:/clash/file']);
    assert.equal(r.stderr, 'Error: copying to container: copier: put: error creating "/clash/file/foo": mkdir /clash/file/foo: file exists\n');
    env.ok(['cp', '--overwrite', path.join(host, 'foo'), 'c1:/clash/file']);
    assert.equal(env.exec(id, ['cat', '/clash/file/foo/f']), 'in-dir\n');
  });

  test("nothing is read from a container's /dev, /proc or /sys; device nodes are not created on the host", async () => {
    const out = env.tmp('out-excl');
    for (const p of ['/proc/1/status', '/dev/null', '/sys/kernel/mm']) {
      const r = env.cli(['cp', `c1:${p}`, path.join(out, 'x')]);
      if (p === '/sys/kernel/mm') {
        // A directory there copies as nothing.
        assert.equal(r.code, 0, r.stderr);
        continue;
      }
      assert.equal(r.code, 125, p);
      assert.equal(r.stderr, 'Error: copying from container: copier: get: copied no items: no such file or directory\n');
    }
    assert.deepEqual(fs.readdirSync(out), []);
    const empty = env.cliBytes(['cp', 'c1:/proc/1', '-']);
    assert.equal(empty.code, 0, empty.stderr);
    assert.deepEqual(tarListBuffer(empty.stdout), []);
    const devs = await tarToBuffer([
      { type: 'dir', name: 'devs/' },
      { type: 'char', name: 'devs/nul', major: 1, minor: 3 },
      { type: 'file', name: 'devs/file', content: 'x\n' },
    ]);
    env.ok(['cp', '-', 'c1:/'], { input: devs });
    assert.equal(env.exec(id, ['stat', '-c', '%F', '/devs/nul']), 'character special file\n');
    env.ok(['cp', 'c1:/devs', out]);
    assert.deepEqual(fs.readdirSync(path.join(out, 'devs')), ['file']);
    // Into a container they are created.
    env.ok(['cp', 'c1:/devs', 'c1:/tmp']);
    assert.equal(env.exec(id, ['stat', '-c', '%F', '/tmp/devs/nul']), 'character special file\n');
  });

  test('a failed creation in the container is worded as podman', () => {
    const src = env.tmp('in-proc');
    fs.writeFileSync(path.join(src, 'f'), 'f\n');
    const r = env.cli(['cp', path.join(src, 'f'), 'c1:/proc/x']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: copying to container: copier: put: error creating "/proc/x": copier: put: error opening file "/proc/x" for writing: open /proc/x: no such file or directory\n');
  });

  test('copies never replace a mount point (nor empty a volume under it)', () => {
    const src = env.tmp('in-mp');
    fs.writeFileSync(path.join(src, 'vol'), 'not a volume\n');
    const r = env.cli(['cp', '--overwrite', path.join(src, 'vol'), 'c1:/']);
    assert.equal(r.code, 125);
    // podman's wording: Go's os.RemoveAll names the parent and the base joined by a slash.
    assert.equal(r.stderr, 'Error: copying to container: copier: put: error creating "/vol": copier: put: error removing item to be overwritten "/vol": unlinkat //vol: device or resource busy\n');
    assert.equal(fs.readFileSync(path.join(vol, 'in-volume'), 'utf8'), 'from the volume\n');
    assert.equal(env.exec(id, ['cat', '/vol/in-volume']), 'from the volume\n');
  });

  test('relative container paths are relative to the working directory', async () => {
    await env.container(['sh', '-c', 'mkdir -p /tmp/subdir; echo rel > /tmp/relfile; exec sleep 1000'], { name: 'wd', workdir: '/tmp', start: true });
    await eventually(() => env.cli(['exec', 'wd', 'test', '-e', '/tmp/relfile']).code === 0);
    const src = env.tmp('in-wd');
    fs.writeFileSync(path.join(src, 'h0'), 'h0\n');
    fs.writeFileSync(path.join(src, 'h1'), 'h1\n');
    env.ok(['cp', path.join(src, 'h0'), 'wd:.']);
    env.ok(['cp', path.join(src, 'h1'), 'wd:./']);
    env.ok(['cp', path.join(src, 'h0'), 'wd:renamed']);
    env.ok(['cp', path.join(src, 'h0'), 'wd:subdir']);
    assert.equal(env.exec('wd', ['cat', '/tmp/h0', '/tmp/h1', '/tmp/renamed', '/tmp/subdir/h0']), 'h0\nh1\nh0\nh0\n');
    const out = env.tmp('out-wd');
    env.ok(['cp', 'wd:relfile', out]);
    env.ok(['cp', 'wd:subdir', path.join(out, 'sd')]);
    assert.equal(fs.readFileSync(path.join(out, 'relfile'), 'utf8'), 'rel\n');
    assert.equal(fs.readFileSync(path.join(out, 'sd', 'h0'), 'utf8'), 'h0\n');
    // Container to container, relative on both sides.
    env.ok(['cp', 'wd:relfile', 'wd:subdir/copied']);
    assert.equal(env.exec('wd', ['cat', '/tmp/subdir/copied']), 'rel\n');
    // A stopped container too.
    await env.engine.lifecycle.stop(env.engine.containers.lookup('wd').id, 0);
    env.ok(['cp', path.join(src, 'h1'), 'wd:stopped-copy']);
    env.ok(['cp', 'wd:stopped-copy', path.join(out, 'back')]);
    assert.equal(fs.readFileSync(path.join(out, 'back'), 'utf8'), 'h1\n');
  });

  test("a running container's tmpfs: copies in and out go to the file system it sees", async () => {
    await env.container(['sh', '-c', 'echo from-ctr > /tmp/inside; exec sleep 1000'], { name: 'tm', tmpfs: ['/tmp'], start: true });
    await eventually(() => env.cli(['exec', 'tm', 'test', '-e', '/tmp/inside']).code === 0);
    const src = env.tmp('in-tmpfs');
    fs.writeFileSync(path.join(src, 'file'), 'to the tmpfs\n');
    env.ok(['cp', path.join(src, 'file'), 'tm:/tmp']);
    assert.equal(env.exec('tm', ['cat', '/tmp/file']), 'to the tmpfs\n');
    const out = env.tmp('out-tmpfs');
    env.ok(['cp', 'tm:/tmp/inside', out]);
    assert.equal(fs.readFileSync(path.join(out, 'inside'), 'utf8'), 'from-ctr\n');
    const tar = env.cliBytes(['cp', 'tm:/tmp', '-']);
    assert.deepEqual(tarListBuffer(tar.stdout).sort(), ['tmp/', 'tmp/file', 'tmp/inside']);
    // Nothing went to the rootfs under the mount.
    const d = containerDirs(env.store, env.engine.containers.lookup('tm').id);
    assert.equal(fs.existsSync(path.join(d.diff, 'tmp', 'file')), false);
  });

  test('a created container with a tmpfs: the copy lands in the rootfs under the mount (as podman)', async () => {
    const tm2 = await env.container(['sleep', '1000'], { name: 'tm2', tmpfs: ['/tmp'] });
    const src = env.tmp('in-tmpfs2');
    fs.writeFileSync(path.join(src, 'file'), 'copied up\n');
    env.ok(['cp', path.join(src, 'file'), 'tm2:/tmp']);
    await env.engine.lifecycle.start(tm2);
    assert.equal(env.exec('tm2', ['cat', '/tmp/file']), 'copied up\n');
  });

  test('tar streams: - to stdout and - from stdin (plain and gzip)', async () => {
    const r = env.cliBytes(['cp', 'c1:/data', '-']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tarListBuffer(r.stdout), ['data/', 'data/sub/', 'data/sub/f', 'data/top']);
    const contents = env.cliBytes(['cp', 'c1:/data/.', '-']);
    assert.deepEqual(tarListBuffer(contents.stdout), ['sub/', 'sub/f', 'top']);
    const single = env.cliBytes(['cp', 'c1:/etc/pw', '-']);
    assert.deepEqual(tarListBuffer(single.stdout), ['passwd']);

    const tar = await tarToBuffer([
      { type: 'dir', name: 'streamed/' },
      { type: 'file', name: 'streamed/a', content: 'A\n', mode: 0o600 },
      { type: 'symlink', name: 'streamed/l', target: 'a' },
    ]);
    env.ok(['cp', '-', 'c1:/tmp'], { input: tar });
    const gz = require('node:zlib').gzipSync(await tarToBuffer([{ type: 'file', name: 'gz-file', content: 'G\n' }]));
    env.ok(['cp', '-', 'c1:/tmp'], { input: gz });
    assert.equal(env.exec(id, ['sh', '-c', 'cat /tmp/streamed/l /tmp/gz-file; stat -c %a /tmp/streamed/a']), 'A\nG\n600\n');
    const notDir = env.cli(['cp', '-', 'c1:/etc/passwd'], { input: tar });
    assert.equal(notDir.stderr, 'Error: destination must be a directory when copying from stdin\n');
    // A missing destination is not a directory either; with a trailing slash it is not found.
    let e2 = env.cli(['cp', '-', 'c1:/tmp/IdoNotExist'], { input: tar });
    assert.equal(e2.code, 125);
    assert.equal(e2.stderr, 'Error: destination must be a directory when copying from stdin\n');
    e2 = env.cli(['cp', '-', 'c1:/tmp/IdoNotExist/'], { input: tar });
    assert.equal(e2.stderr, 'Error: "/tmp/IdoNotExist/" could not be found on container c1: no such file or directory\n');
    // Input that is not a (compressed) tar archive is refused, and nothing is written.
    const before = env.exec(id, ['ls', '-a', '/tmp']);
    for (const input of ['just some text\n', '', 'x'.repeat(2048)]) {
      e2 = env.cli(['cp', '-', 'c1:/tmp'], { input });
      assert.equal(e2.code, 125);
      assert.equal(e2.stderr, 'Error: source must be a (compressed) tar archive when copying from stdin\n');
    }
    e2 = env.cli(['cp', '-', 'c1:/tmp'], { input: require('node:zlib').gzipSync('gzipped text, no tar\n') });
    assert.equal(e2.stderr, 'Error: source must be a (compressed) tar archive when copying from stdin\n');
    assert.equal(env.exec(id, ['ls', '-a', '/tmp']), before);
    // The domain API streams too.
    const chunks: Buffer[] = [];
    const sink = new (require('node:stream').Writable)({ write(c: Buffer, _e: string, cb: () => void) { chunks.push(c); cb(); } });
    await env.files.copy('c1:/data/top', '-', { stdout: sink });
    assert.deepEqual(tarListBuffer(Buffer.concat(chunks)), ['top']);
    await env.files.copy('-', 'c1:/tmp', { stdin: Readable.from([await tarToBuffer([{ type: 'file', name: 'api-file', content: 'api\n' }])]) });
    assert.equal(env.exec(id, ['cat', '/tmp/api-file']), 'api\n');
  });

  test('- from stdin: bzip2, xz and zstd archives too (podman sniffs the compression); compressed non-archives are refused', async () => {
    const tar = await tarToBuffer([{ type: 'dir', name: 'packed/' }, { type: 'file', name: 'packed/f', content: 'packed\n' }]);
    for (const tool of ['bzip2', 'xz', 'zstd']) {
      env.ok(['cp', '-', 'c1:/tmp/'], { input: execFileSync(tool, ['-c'], { input: tar }) });
      assert.equal(env.exec(id, ['sh', '-c', 'cat /tmp/packed/f; rm -r /tmp/packed']), 'packed\n');
      const r = env.cli(['cp', '-', 'c1:/tmp'], { input: execFileSync(tool, ['-c'], { input: 'compressed text, no tar\n' }) });
      assert.equal(r.code, 125);
      assert.equal(r.stderr, 'Error: source must be a (compressed) tar archive when copying from stdin\n');
    }
  });

  test('volumes: reads and writes under a volume go to its host directory', () => {
    const out = env.tmp('out5');
    env.ok(['cp', 'c1:/vol/in-volume', out]);
    assert.equal(fs.readFileSync(path.join(out, 'in-volume'), 'utf8'), 'from the volume\n');
    const src = env.tmp('in5');
    fs.writeFileSync(path.join(src, 'to-volume'), 'written\n');
    env.ok(['cp', path.join(src, 'to-volume'), 'c1:/vol/']);
    assert.equal(fs.readFileSync(path.join(vol, 'to-volume'), 'utf8'), 'written\n');
    assert.equal(env.exec(id, ['cat', '/vol/to-volume']), 'written\n');
  });

  test("a running container's /etc/hostname, /etc/hosts, /etc/resolv.conf: read as it sees them, never replaced (mounted: podman's EBUSY)", async () => {
    const out = env.tmp('out7');
    env.ok(['cp', 'c1:/etc/hostname', out]);
    assert.equal(fs.readFileSync(path.join(out, 'hostname'), 'utf8'), id.slice(0, 12), 'no newline, as podman writes it');
    const hosts = env.exec(id, ['cat', '/etc/hosts']);
    assert.match(hosts, /host\.containers\.internal/);
    const streamed = env.cliBytes(['cp', 'c1:/etc/hosts', '-']);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.deepEqual(tarListBuffer(streamed.stdout), ['hosts']);
    assert.ok(streamed.stdout.includes(Buffer.from(hosts)));
    const src = path.join(out, 'new-hosts');
    fs.writeFileSync(src, '127.0.0.1 replaced-by-cp\n');
    for (const f of ['hosts', 'hostname', 'resolv.conf']) {
      const seen = env.exec(id, ['cat', `/etc/${f}`]);
      const r = env.cli(['cp', src, `c1:/etc/${f}`]);
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `Error: copying to container: copier: put: error creating "/etc/${f}": copier: put: error removing item to be overwritten "/etc/${f}": unlinkat /etc/${f}: device or resource busy\n`);
      assert.equal(env.exec(id, ['cat', `/etc/${f}`]), seen);
    }
    // A symlink or a directory of a tar stream in its place: each entry type's own podman error.
    const cases: [TarSpec, string[], string][] = [
      [{ type: 'symlink', name: 'hosts', target: '/tmp/x' }, [], 'unlinkat /etc/hosts: device or resource busy'],
      [{ type: 'dir', name: 'hosts/' }, [], 'mkdir /etc/hosts: file exists'],
      [{ type: 'dir', name: 'hosts/' }, ['--overwrite'], 'remove /etc/hosts: device or resource busy'],
    ];
    for (const [entry, flags, cause] of cases) {
      const r = env.cli(['cp', ...flags, '-', 'c1:/etc'], { input: await tarToBuffer([entry]) });
      assert.equal(r.code, 125);
      assert.equal(r.stderr, `Error: copying to container: copier: put: error creating "/etc/hosts": ${cause}\n`);
    }
    assert.equal(env.exec(id, ['cat', '/etc/hosts']), hosts);
  });

  test('container to container', () => {
    env.ok(['cp', 'c1:/data/top', 'as-tester:/tmp/from-c1']);
    assert.equal(env.exec('as-tester', ['cat', '/tmp/from-c1']), 'top\n');
    env.ok(['cp', 'c1:/data/top', 'c1:/tmp/self-copy']);
    assert.equal(env.exec(id, ['cat', '/tmp/self-copy']), 'top\n');
  });

  test('a stopped (never started) container: mounted for the copy only', async () => {
    const sid = await env.container(['true'], { name: 'stopped', volumes: [`${vol}:/vol`] });
    const d = containerDirs(env.store, sid);
    const src = env.tmp('in6');
    fs.writeFileSync(path.join(src, 'f'), 'into stopped\n');
    env.ok(['cp', path.join(src, 'f'), 'stopped:/etc/added']);
    assert.equal(isMounted(d.rootfs), false);
    const out = env.tmp('out6');
    env.ok(['cp', 'stopped:/etc/added', out]);
    env.ok(['cp', 'stopped:/vol/in-volume', out]);
    assert.equal(fs.readFileSync(path.join(out, 'added'), 'utf8'), 'into stopped\n');
    assert.equal(fs.readFileSync(path.join(out, 'in-volume'), 'utf8'), 'from the volume\n');
    assert.equal(isMounted(d.rootfs), false);
    // The change is in the container's writable layer.
    assert.equal(fs.readFileSync(path.join(d.diff, 'etc', 'added'), 'utf8'), 'into stopped\n');
    // Nothing is mounted on /etc/hosts while it is stopped: the copy lands in the rootfs (as podman's).
    env.ok(['cp', path.join(src, 'f'), 'stopped:/etc/hosts']);
    assert.equal(fs.readFileSync(path.join(d.diff, 'etc', 'hosts'), 'utf8'), 'into stopped\n');
  });
});
