// `ps --watch N`: redraws the listing every N seconds until interrupted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxStore } from '../helpers/cli';

test('ps --watch redraws and shows a container created while watching', { timeout: 60_000 }, async () => {
  const store = await busyboxStore();
  try {
    const watch = store.runAsync(['ps', '-a', '--watch', '1', '--format', '{{.Names}}']);
    await new Promise((r) => setTimeout(r, 1500));
    store.ok(['create', '--name', 'appeared', 'localhost/busybox', 'true']);
    await new Promise((r) => setTimeout(r, 2500));
    watch.child.kill('SIGINT');
    const r = await watch;
    const frames = r.stdout.split('\x1b[2J\x1b[1;1H').slice(1);
    assert.ok(frames.length >= 3, `several frames drawn (${frames.length})`);
    assert.equal(frames[0].includes('appeared'), false);
    assert.ok(frames[frames.length - 1].includes('appeared'));
    assert.equal(store.run(['ps', '--watch', '1', '--latest']).code, 125);
  } finally {
    store.cleanup();
  }
});
