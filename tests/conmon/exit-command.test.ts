// conmon's exit command for a container: `pier container cleanup` behind a shell check, so that
// no second pier process starts while the one that owns the cleanup (an attached run --rm,
// stop, rm -f, a build step) is alive, nor after the container is gone. Run with /bin/sh.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { guardedExitCommand } from '../../src/engine/lifecycle';

function runGuard(marker: string): { code: number | null; ran: boolean } {
  const out = path.join(path.dirname(path.dirname(marker)), 'ran');
  fs.rmSync(out, { force: true });
  const [file, ...args] = guardedExitCommand(marker, ['/bin/sh', '-c', `echo ran > '${out}'`]);
  const r = spawnSync(file, args, { encoding: 'utf8' });
  assert.equal(r.stderr, '', 'the check prints nothing');
  return { code: r.status, ran: fs.existsSync(out) };
}

test('the exit command steps aside for a live owner, runs for a dead one or none, and not for a removed container', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-exitcmd-'));
  try {
    const dir = path.join(base, "ctr's dir with spaces");
    fs.mkdirSync(dir);
    const marker = path.join(dir, 'attached');

    assert.deepEqual(runGuard(marker), { code: 0, ran: true }, 'no marker: cleanup runs');

    fs.writeFileSync(marker, String(process.pid));
    assert.deepEqual(runGuard(marker), { code: 0, ran: false }, 'live owner: nothing runs');

    const dead = spawn('/bin/true');
    await new Promise((r) => dead.on('exit', r));
    fs.writeFileSync(marker, String(dead.pid));
    assert.deepEqual(runGuard(marker), { code: 0, ran: true }, 'dead owner: cleanup runs');

    fs.writeFileSync(marker, '');
    assert.deepEqual(runGuard(marker), { code: 0, ran: true }, 'empty marker: cleanup runs');

    fs.rmSync(dir, { recursive: true });
    assert.deepEqual(runGuard(marker), { code: 0, ran: false }, 'container removed: nothing runs');
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
