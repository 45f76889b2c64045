/** The kernel's overlayfs must honour the whiteouts and opaque dirs extractLayer writes. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractLayer } from '../../src/storage/tar/extract';
import { native } from '../../src/util/native';
import { cleanup, listTree, streamOf, tar, tmpdir } from './helpers';

test('overlay mount of two extracted layers hides whited-out and opaque-hidden files', async () => {
  const dir = tmpdir('pier-ovl-');
  const n = native();
  const [lower, upper, diff, work, merged] = ['lower', 'upper', 'diff', 'work', 'merged'].map((d) => path.join(dir, d));
  for (const d of [lower, upper, diff, work, merged]) fs.mkdirSync(d);
  try {
    await extractLayer(streamOf(tar([
      { name: 'f', body: 'lower f' },
      { name: 'keep', body: 'kept' },
      { name: 'd/', flag: '5', mode: 0o755 },
      { name: 'd/lowerfile', body: 'hidden by opaque' },
      { name: 'd/sub/', flag: '5', mode: 0o755 },
      { name: 'd/sub/deep', body: 'also hidden' },
      { name: 'gone/', flag: '5', mode: 0o755 },
      { name: 'gone/inner', body: 'x' },
    ])), lower, { mode: 'overlay' });
    await extractLayer(streamOf(tar([
      { name: '.wh.f' },
      { name: '.wh.gone' },
      { name: 'd/', flag: '5', mode: 0o755 },
      { name: 'd/.wh..wh..opq' },
      { name: 'd/upperfile', body: 'visible' },
    ])), upper, { mode: 'overlay' });

    n.mount('overlay', merged, 'overlay', 0, `lowerdir=${upper}:${lower},upperdir=${diff},workdir=${work}`);
    try {
      assert.deepEqual(listTree(merged), ['d', 'd/upperfile', 'keep']);
      assert.equal(fs.readFileSync(path.join(merged, 'keep'), 'utf8'), 'kept');
      assert.equal(fs.existsSync(path.join(merged, 'f')), false);
      // Writing through the merged view lands in the upper dir, not in the extracted layers.
      fs.writeFileSync(path.join(merged, 'f'), 'new');
      assert.equal(fs.readFileSync(path.join(diff, 'f'), 'utf8'), 'new');
      assert.ok(fs.lstatSync(path.join(upper, 'f')).isCharacterDevice());
    } finally {
      n.umount2(merged, 0);
    }
    assert.deepEqual(fs.readdirSync(merged), []);
  } finally {
    cleanup(dir);
  }
});
