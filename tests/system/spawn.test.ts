// spawnCollect (src/util/spawn.ts): a helper run through posix_spawn with stdin, stdout, stderr and the exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCollect } from '../../src/util/spawn';

test('spawnCollect feeds stdin and returns stdout, stderr and the exit code; a missing binary rejects', async () => {
  const r = await spawnCollect('/bin/sh', ['-c', 'tr a-z A-Z; echo err >&2; exit 4'], { input: 'hello\n', env: { PATH: '/usr/bin:/bin' } });
  assert.deepEqual(r, { code: 4, stdout: 'HELLO\n', stderr: 'err\n' });
  const big = await spawnCollect('/bin/sh', ['-c', 'head -c 300000 /dev/zero | tr "\\0" x'], {});
  assert.equal(big.code, 0);
  assert.equal(big.stdout.length, 300000);
  const killed = await spawnCollect('/bin/sh', ['-c', 'kill -9 $$'], {});
  assert.equal(killed.code, 137);
  await assert.rejects(spawnCollect('/nonexistent/helper', [], {}));
});
