// The checkout itself: no merge conflict left in a tracked file (a merge once committed the
// README with its markers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { REPO } from '../helpers/cli';

test('no tracked file holds merge conflict markers', () => {
  const r = spawnSync('git', ['grep', '-n', '-E', '^(<<<<<<< |>>>>>>> )', '--', '.'], { cwd: REPO, encoding: 'utf8' });
  // git grep: 1 when nothing matches (or 128 outside a git checkout, where there is nothing to check).
  assert.ok(r.status === 1 || r.status === 128, `conflict markers:\n${r.stdout}`);
});
