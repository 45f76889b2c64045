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

test('spawnCollect writes stdin larger than a pipe while the child writes as much back, without deadlock', async () => {
  // The child echoes stdin to stdout as it reads: a blocking write of all 1 MB at once would
  // hang (its stdout pipe fills while nobody reads it).
  const input = 'ü'.repeat(512 * 1024); // 1 MiB of UTF-8, two bytes per character
  const r = await spawnCollect('/bin/cat', [], { input, timeoutMs: 20_000 });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.length, input.length);
  assert.equal(r.stdout, input);
});

test('childExit sees a child exit through its pidfd, also one that exited before the watch began', async () => {
  const { native } = await import('../../src/util/native');
  const { childExit } = await import('../../src/util/spawn');
  const addon = native();
  const env = ['PATH=/usr/bin:/bin'];
  const slow = addon.spawnDetached('/bin/sh', ['/bin/sh', '-c', 'sleep 0.3; exit 3'], env, [-1, -1, -1]);
  const t0 = Date.now();
  assert.equal(await childExit(addon, slow).exited, 3);
  assert.ok(Date.now() - t0 >= 250, 'resolved before the child exited');
  const quick = addon.spawnDetached('/bin/sh', ['/bin/sh', '-c', 'exit 5'], env, [-1, -1, -1]);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await childExit(addon, quick).exited, 5);
  // A pidfd turns readable at exit: watched on the event loop, no timer involved.
  const pid = addon.spawnDetached('/bin/sh', ['/bin/sh', '-c', 'sleep 0.1'], env, [-1, -1, -1]);
  const fd = addon.pidfdOpen(pid);
  await new Promise<void>((resolve) => {
    const w = addon.watchFd(fd, () => { addon.unwatchFd(w); resolve(); });
  });
  assert.equal(addon.waitpidNohang(pid), 0);
  (await import('node:fs')).closeSync(fd);
});

test('waitForExit sees an exit file written later (inotify on the event loop), and one already there', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { waitForExit } = await import('../../src/engine/conmon');
  const { native } = await import('../../src/util/native');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-exits-'));
  try {
    // The addon's inotify fd turns readable when a file is written into the directory.
    const fd = native().inotifyDir(dir);
    const seen = new Promise<void>((resolve) => {
      const w = native().watchFd(fd, () => { native().unwatchFd(w); resolve(); });
    });
    fs.writeFileSync(path.join(dir, 'other'), '1');
    await seen;
    fs.closeSync(fd);
    const waiting = waitForExit(dir, 'abc', 5000);
    setTimeout(() => { fs.writeFileSync(path.join(dir, 'abc.tmp'), '42'); fs.renameSync(path.join(dir, 'abc.tmp'), path.join(dir, 'abc')); }, 150);
    assert.equal(await waiting, 42);
    assert.equal(await waitForExit(dir, 'abc', 5000), 42);
    await assert.rejects(waitForExit(dir, 'never', 300), /timed out/);
    assert.throws(() => native().inotifyDir(path.join(dir, 'missing')), { code: 'ENOENT' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
