// rmTree (src/util/rmtree.ts): rm -rf that never follows symlinks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rmTree } from '../../src/util/rmtree';

test('rmTree removes nested dirs, files, fifos and symlinks without following them; a missing path is fine', () => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rmtree-'));
  try {
    const outside = path.join(top, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'keep'), 'x');
    const t = path.join(top, 'tree');
    fs.mkdirSync(path.join(t, 'a', 'b', 'c'), { recursive: true });
    fs.writeFileSync(path.join(t, 'a', 'b', 'c', 'f'), 'data');
    fs.symlinkSync(outside, path.join(t, 'a', 'link-to-outside'));
    fs.symlinkSync('/nonexistent', path.join(t, 'dangling'));
    fs.mkdirSync(path.join(t, 'work', 'work'), { recursive: true });
    fs.chmodSync(path.join(t, 'work', 'work'), 0o000);
    require('node:child_process').execFileSync('mkfifo', [path.join(t, 'fifo')]);
    rmTree(t);
    assert.equal(fs.existsSync(t), false);
    assert.equal(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'x');
    rmTree(t);
    const file = path.join(top, 'plain');
    fs.writeFileSync(file, 'y');
    rmTree(file);
    assert.equal(fs.existsSync(file), false);
  } finally {
    fs.rmSync(top, { recursive: true, force: true });
  }
});
