// Lock files (src/util/lock.ts): stale ones are removed, live and half-written ones stay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeStaleLocks, withFileLock } from '../../src/util/lock';

test('removeStaleLocks drops locks of dead owners only; withFileLock takes over a dead owner\'s lock', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-locks-'));
  try {
    fs.writeFileSync(path.join(dir, 'dead'), '999999999');
    fs.writeFileSync(path.join(dir, 'live'), String(process.pid));
    fs.writeFileSync(path.join(dir, 'being-written'), '');
    removeStaleLocks(dir);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['being-written', 'live']);
    removeStaleLocks(path.join(dir, 'missing'));
    fs.writeFileSync(path.join(dir, 'taken'), '999999999');
    let ran = false;
    await withFileLock(path.join(dir, 'taken'), async () => {
      ran = true;
      assert.equal(fs.readFileSync(path.join(dir, 'taken'), 'utf8'), String(process.pid));
    });
    assert.ok(ran);
    assert.equal(fs.existsSync(path.join(dir, 'taken')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
