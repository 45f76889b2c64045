// `pier diff`, `pier export`, `pier mount` / `pier umount` on real containers (overlay).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Env, tarList, tarListBuffer, eventually } from './helpers';
import { containerDirs } from '../../src/engine/rootfs';
import { isMountPoint as isMounted } from '../../src/util/mountinfo';
import { userMountCount } from '../../src/engine/container-files';

const CHANGES = [
  'echo more >> /etc/group', 'rm /etc/passwd', 'mkdir /newdir', 'echo n > /newdir/f', 'rm -rf /home/tester',
  'mkdir /home/tester', 'touch /home/tester/again', 'rm /usr/bin/env', 'touch /ready', 'exec sleep 1000',
].join('; ');

describe('diff', () => {
  let env: Env;
  before(async () => { env = await Env.create('overlay'); });
  after(() => env.cleanup());

  test('added, changed and deleted paths of a running container, sorted, engine files left out', async () => {
    await env.container(['sh', '-c', CHANGES], { name: 'changed', start: true });
    await eventually(() => env.cli(['exec', 'changed', 'test', '-e', '/ready']).code === 0);
    const expected = [
      'C /etc', 'C /etc/group', 'D /etc/passwd', 'C /home', 'D /home/tester', 'A /home/tester/again',
      'A /newdir', 'A /newdir/f', 'A /ready', 'C /usr/bin', 'D /usr/bin/env',
    ];
    assert.equal(env.ok(['diff', 'changed']), expected.map((l) => l + '\n').join(''));
    assert.equal(env.ok(['container', 'diff', 'changed']), expected.map((l) => l + '\n').join(''));
    const json = JSON.parse(env.ok(['diff', '--format', 'json', 'changed']));
    assert.deepEqual(json, {
      changed: ['/etc', '/etc/group', '/home', '/usr/bin'],
      added: ['/home/tester/again', '/newdir', '/newdir/f', '/ready'],
      deleted: ['/etc/passwd', '/home/tester', '/usr/bin/env'],
    });
    // The engine's mount points (/etc/hosts, /run/.containerenv...) exist in the upper dir but are not changes.
    assert.ok(fs.existsSync(path.join(containerDirs(env.store, env.engine.containers.lookup('changed').id).diff, 'etc', 'hosts')));
  });

  test('a fresh container has no changes; json of nothing is {}', async () => {
    await env.container(['true'], { name: 'fresh' });
    assert.equal(env.ok(['diff', 'fresh']), '');
    assert.equal(env.ok(['diff', '--format', 'json', 'fresh']), '{}\n');
    const r = env.cli(['diff', '--format', '{{.Path}}', 'fresh']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, "Error: only supported value for '--format' is 'json'\n");
  });

  test('images: diff against the parent layer; kinds are checked', async () => {
    const base = env.ok(['image', 'diff', 'localhost/busybox:latest']).trim().split('\n');
    assert.ok(base.includes('A /bin/busybox') && base.includes('A /etc/passwd') && base.includes('A /usr/bin/env'), base.join('\n'));
    assert.ok(base.every((l) => l.startsWith('A ')));
    assert.ok(!base.includes('A /proc') && !base.includes('A /dev'));
    assert.deepEqual(env.ok(['diff', 'localhost/busybox:latest']).trim().split('\n'), base);
    let r = env.cli(['container', 'diff', 'localhost/busybox:latest']);
    assert.equal(r.stderr, 'Error: localhost/busybox:latest not found: container not known\n');
    r = env.cli(['image', 'diff', 'fresh']);
    assert.equal(r.stderr, 'Error: fresh not found: fresh: image not known\n');
    r = env.cli(['diff', 'nothing-here']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: nothing-here not found: layer not known\n');
    // --latest: the newest container.
    assert.equal(env.ok(['diff', '-l']), '');
  });
});

describe('export', () => {
  let env: Env;
  before(async () => { env = await Env.create('overlay'); });
  after(() => env.cleanup());

  test('the merged file system, to a file and to stdout; never to a terminal', async () => {
    const id = await env.container(['sh', '-c', 'echo exported > /etc/marker; rm /etc/group; touch /ready; exec sleep 1000'], { name: 'ex', start: true });
    await eventually(() => env.cli(['exec', 'ex', 'test', '-e', '/ready']).code === 0);
    const file = path.join(env.tmp('exp'), 'ctr.tar');
    env.ok(['export', '-o', file, 'ex']);
    const names = tarList(file);
    for (const n of ['bin/', 'bin/busybox', 'etc/passwd', 'etc/marker', 'home/tester/', 'usr/bin/env']) assert.ok(names.includes(n), n);
    assert.ok(!names.includes('etc/group'));
    assert.ok(!names.some((n) => n.startsWith('./') || n.startsWith('/')));
    const x = spawnSync('tar', ['-xOf', file, 'etc/marker']);
    assert.equal(x.stdout.toString(), 'exported\n');
    // busybox applets are hard links in the image: they stay links.
    const verbose = spawnSync('tar', ['-tvf', file]).stdout.toString();
    assert.match(verbose, /^h\S+ 0\/0 .* bin\/sh link to bin\/basename$/m);

    const r = env.cliBytes(['container', 'export', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tarListBuffer(r.stdout), names);

    const tty = spawnSync('script', ['-qec', `${process.execPath} --import tsx ${path.join(__dirname, 'cli-harness.ts')} ${env.ts.globalArgs().join(' ')} export ex`, '/dev/null'],
      { cwd: path.resolve(__dirname, '..', '..'), env: env.ts.env() });
    assert.notEqual(tty.status, 0);
    assert.match(tty.stdout.toString(), /refusing to export to terminal\. Use -o flag or redirect/);
  });

  test('a stopped container is mounted for the export only', async () => {
    const id = await env.container(['true'], { name: 'ex-stopped' });
    const r = env.cliBytes(['export', 'ex-stopped']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(tarListBuffer(r.stdout).includes('bin/busybox'));
    assert.equal(isMounted(containerDirs(env.store, id).rootfs), false);
    const bad = env.cli(['export', 'no-such']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /no container with name or ID "no-such" found/);
  });
});

describe('mount and umount', () => {
  let env: Env;
  before(async () => { env = await Env.create('overlay'); });
  after(() => env.cleanup());

  test('mount counts users; umount unmounts when the last one leaves', async () => {
    const id = await env.container(['true'], { name: 'm1' });
    const rootfs = containerDirs(env.store, id).rootfs;
    assert.equal(env.ok(['mount']), '');
    assert.equal(env.ok(['mount', 'm1']), `${rootfs}\n`);
    assert.equal(isMounted(rootfs), true);
    assert.ok(fs.existsSync(path.join(rootfs, 'bin', 'busybox')));
    assert.equal(env.ok(['mount', 'm1']), `${rootfs}\n`);
    assert.equal(userMountCount(env.store, id), 2);
    assert.equal(env.ok(['mount']), `${id.slice(0, 12)}  ${rootfs}\n`);
    assert.equal(env.ok(['mount', '--no-trunc']), `${id}  ${rootfs}\n`);
    assert.deepEqual(JSON.parse(env.ok(['mount', '--format', 'json'])), [{ id, Names: ['m1'], mountpoint: rootfs }]);

    assert.equal(env.ok(['umount', 'm1']), 'm1\n');
    assert.equal(isMounted(rootfs), true, 'one user left');
    assert.equal(env.ok(['unmount', 'm1']), 'm1\n');
    assert.equal(isMounted(rootfs), false);
    assert.equal(env.ok(['mount']), '');
    // Unmounting what is not mounted is not an error.
    assert.equal(env.ok(['umount', id.slice(0, 10)]), `${id.slice(0, 10)}\n`);

    env.ok(['mount', 'm1']);
    env.ok(['container', 'mount', 'm1']);
    assert.equal(env.ok(['umount', '-f', 'm1']), 'm1\n');
    assert.equal(isMounted(rootfs), false);
    assert.equal(userMountCount(env.store, id), 0);
  });

  test('a running container stays mounted; umount -a; argument errors', async () => {
    const run = await env.container(['sleep', '1000'], { name: 'running', start: true });
    const stopped = await env.container(['true'], { name: 'm2' });
    const runRootfs = containerDirs(env.store, run).rootfs;
    // Listed because it runs.
    assert.match(env.ok(['mount']), new RegExp(`^${run.slice(0, 12)}  ${runRootfs}$`, 'm'));
    env.ok(['mount', 'running']);
    env.ok(['umount', 'running']);
    assert.equal(isMounted(runRootfs), true, 'the running container keeps its rootfs');
    assert.equal(env.cli(['exec', 'running', 'true']).code, 0);

    env.ok(['mount', 'm2']);
    env.ok(['mount', 'm2']);
    const out = env.ok(['umount', '-a']).trim().split('\n');
    assert.deepEqual(out, [stopped]);
    assert.equal(isMounted(containerDirs(env.store, stopped).rootfs), false);
    assert.equal(isMounted(runRootfs), true);

    let r = env.cli(['umount']);
    assert.equal(r.stderr, 'Error: you must provide at least one name or id\n');
    r = env.cli(['umount', '-a', 'm2']);
    assert.equal(r.stderr, 'Error: no arguments are needed with --all\n');
    r = env.cli(['mount', '-a', 'm2']);
    assert.equal(r.stderr, 'Error: no arguments are needed with --all\n');
    r = env.cli(['mount', '--format', '{{.ID}}']);
    assert.equal(r.stderr, 'Error: unknown --format argument: "{{.ID}}"\n');
    r = env.cli(['mount', 'nope']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /no container with name or ID "nope" found/);
  });
});
