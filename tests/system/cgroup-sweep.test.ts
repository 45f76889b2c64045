// sweepStaleCgroups (src/engine/cgroup-sweep.ts) on the host's real cgroups, under a parent of
// its own: an empty leftover is removed, one with a process or too young is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sweepStaleCgroups } from '../../src/engine/cgroup-sweep';

/** A hierarchy to test in: cgroup v1's pids controller, else the v2 tree. */
function hierarchy(): string {
  return fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs') ? '/sys/fs/cgroup/pids' : '/sys/fs/cgroup';
}

test('stale empty pier-<id> cgroups are removed; busy, young and foreign ones are kept', async () => {
  const parent = `/pier-sweep-test-${process.pid}`;
  const base = path.join(hierarchy(), parent);
  const id = () => `pier-${randomBytes(32).toString('hex')}`;
  const [stale, busy, other] = [id(), id(), 'not-a-container'];
  // A pod's cgroup (<parent>/<pod id>) with a member's leftover in it.
  const pod = randomBytes(32).toString('hex');
  const inPod = path.join(pod, id());
  for (const n of [stale, busy, other, inPod]) fs.mkdirSync(path.join(base, n), { recursive: true });
  const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    fs.writeFileSync(path.join(base, busy, 'cgroup.procs'), String(sleeper.pid));
    // Just made: too young to be touched.
    assert.deepEqual(sweepStaleCgroups({ parent, minAgeMs: 60_000 }), []);
    // As if a minute had passed: the empty one goes, the one with a process stays (EBUSY).
    const removed = sweepStaleCgroups({ parent, now: Date.now() + 120_000 });
    assert.deepEqual(removed.sort(), [path.join(base, stale), path.join(base, inPod)].sort());
    assert.ok(!fs.existsSync(path.join(base, stale)));
    assert.ok(fs.existsSync(path.join(base, pod)), 'a pod cgroup is never swept');
    assert.ok(fs.existsSync(path.join(base, busy)));
    assert.ok(fs.existsSync(path.join(base, other)));
  } finally {
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    // The killed process leaves its cgroup a moment later.
    for (const dir of [path.join(base, busy), path.join(base, other), path.join(base, stale), path.join(base, inPod), path.join(base, pod), base]) {
      for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
        try { fs.rmdirSync(dir); } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
    }
  }
});
