// The same operations with the vfs driver: the container's tree is a private copy of the
// image, so diff and commit compare trees instead of reading an overlay upper dir.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Env, eventually } from './helpers';
import { FIXTURE_PASSWD } from '../fixtures/images';

describe('vfs driver', () => {
  let env: Env;
  before(async () => { env = await Env.create('vfs'); });
  after(() => env.cleanup());

  test('cp both ways, symlinks resolved inside the container', async () => {
    const id = await env.container(['sh', '-c', 'ln -s / /evil; ln -s /etc /etc2; touch /ready; exec sleep 1000'], { name: 'v1', start: true });
    await eventually(() => env.cli(['exec', 'v1', 'test', '-e', '/ready']).code === 0);
    const out = env.tmp('out');
    env.ok(['cp', 'v1:/evil/etc/passwd', path.join(out, 'p')]);
    assert.equal(fs.readFileSync(path.join(out, 'p'), 'utf8'), FIXTURE_PASSWD);
    const tag = randomBytes(6).toString('hex');
    fs.writeFileSync(path.join(out, 'in'), `in ${tag}\n`);
    env.ok(['cp', path.join(out, 'in'), `v1:/evil/etc/in-${tag}`]);
    env.ok(['cp', path.join(out, 'in'), `v1:/etc2/via-${tag}`]);
    assert.equal(fs.existsSync(`/etc/in-${tag}`) || fs.existsSync(`/etc/via-${tag}`), false);
    assert.equal(env.exec(id, ['cat', `/etc/in-${tag}`, `/etc/via-${tag}`]), `in ${tag}\n`.repeat(2));
    // mount of a vfs container is its tree; nothing to unmount.
    const mp = env.ok(['mount', 'v1']).trim();
    assert.ok(fs.existsSync(path.join(mp, 'etc', `in-${tag}`)));
    assert.equal(env.ok(['umount', 'v1']), 'v1\n');
  });

  test('diff compares with the image tree; commit makes a layer of the differences', async () => {
    await env.container(['sh', '-c', 'echo more >> /etc/group; rm /etc/passwd; mkdir /newdir; echo n > /newdir/f; rm /usr/bin/env'], { name: 'v2' });
    await env.engine.lifecycle.start(env.engine.containers.lookup('v2').id);
    await eventually(() => env.engine.lifecycle.get('v2').state.status === 'exited');
    assert.equal(env.ok(['diff', 'v2']), [
      'C /etc', 'C /etc/group', 'D /etc/passwd', 'A /newdir', 'A /newdir/f', 'C /usr', 'C /usr/bin', 'D /usr/bin/env', '',
    ].join('\n'));
    const id = env.ok(['commit', '-q', '--change', 'CMD ["sh", "-c", "cat /newdir/f /etc/passwd || echo gone"]', 'v2', 'vfs-snap']).trim();
    const img = env.store.images.get(id)!;
    assert.equal(img.config.rootfs!.diff_ids.length, 2);
    // The new layer holds only the changes: whiteouts for deletions, no unchanged files.
    const layerDiff = env.ok(['image', 'diff', 'vfs-snap']);
    assert.ok(layerDiff.includes('D /etc/passwd\n') && layerDiff.includes('A /newdir/f\n'), layerDiff);
    assert.ok(!layerDiff.includes('/bin/busybox'), layerDiff);
    assert.equal(env.ok(['run', '--rm', 'vfs-snap']), 'n\ngone\n');
  });
});
