// The CLI's output by plain writes (src/util/stdio.ts): a reader that went away ends the command
// with 141, as SIGPIPE ends podman; output into a pipe arrives whole and in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { PIER, TestStore } from '../helpers/cli';

test('stdout closed by its reader: the command ends with 141', async () => {
  const s = new TestStore();
  try {
    const child = spawn(process.execPath, [PIER, ...s.localArgs(), 'images'], { stdio: ['ignore', 'pipe', 'pipe'], env: s.env() });
    // Closed before pier has started, so its first write gets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 141, stderr);
  } finally {
    s.cleanup();
  }
});

test('output into a pipe is whole and in order, errors on stderr', () => {
  const s = new TestStore();
  try {
    const created = spawnSync(process.execPath, [PIER, ...s.localArgs(), 'volume', 'create', 'v1'], { encoding: 'utf8', env: s.env() });
    assert.equal(created.status, 0, created.stderr);
    assert.equal(created.stdout, 'v1\n');
    const ls = spawnSync(process.execPath, [PIER, ...s.localArgs(), 'volume', 'ls'], { encoding: 'utf8', env: s.env() });
    assert.match(ls.stdout, /^DRIVER\s+VOLUME NAME\nlocal\s+v1\n$/);
    const bad = spawnSync(process.execPath, [PIER, ...s.localArgs(), 'volume', 'rm', 'v1', 'nosuch'], { encoding: 'utf8', env: s.env() });
    assert.notEqual(bad.status, 0);
    assert.equal(bad.stdout, 'v1\n');
    assert.match(bad.stderr, /^Error: .*nosuch/m);
  } finally {
    s.cleanup();
  }
});
