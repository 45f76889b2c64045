import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createContainer, startContainer, waitForExit, execInContainer } from '../../src/engine/conmon';
import { attach, parseDetachKeys, resizeTerminal } from '../../src/engine/attach';
import { runtimeState, runtimeKill } from '../../src/engine/runtime';
import { readLogs } from '../../src/engine/logs';
import { makeFixture, TextSink } from './helpers';

const sink = (s: TextSink) => s as unknown as NodeJS.WritableStream;

test('detach keys parse like podman', () => {
  assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-_'), [1, 120, 0, 31]);
  assert.deepEqual(parseDetachKeys(''), []);
  assert.throws(() => parseDetachKeys('ctrl-1'), /invalid detach keys/);
  assert.throws(() => parseDetachKeys('abc'), /invalid detach keys/);
});

// Both transports: the native seqpacket addon and the Perl bridge used when the addon is missing.
for (const transport of ['native', 'perl'] as const) {
  const perl = transport === 'perl' ? 'perl' : undefined;
  test(`attach to a tty container: interactive shell, resize, exit code (${transport})`, async () => {
    const fx = makeFixture(['sh'], { terminal: true });
    try {
      await createContainer(fx.createOptions());
      const out = new TextSink();
      const stdin = new PassThrough();
      // Attach before start so no output is lost (as `run -it` does).
      const session = await attach({ dir: fx.bundle, stdin, stdout: sink(out), stderr: sink(out), perl });
      await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
      stdin.write('echo hi-$((40+2))\n');
      await out.waitFor('hi-42');
      session.resize(33, 101);
      stdin.write('stty size\n');
      await out.waitFor('33 101');
      resizeTerminal(fx.bundle, 20, 60);
      stdin.write('stty size\n');
      await out.waitFor('20 60');
      stdin.write('exit 7\n');
      assert.deepEqual(await session.done, { detached: false });
      assert.equal(await waitForExit(fx.exitDir, fx.id, 10_000), 7);
      // The tty output also went to the log.
      assert.match(readLogs(fx.logPath).stdout, /hi-42/);
    } finally {
      await fx.cleanup();
    }
  });

  test(`attach to a non-tty container keeps stdout and stderr apart and passes stdin (${transport})`, async () => {
    const fx = makeFixture(['sh', '-c', 'while read l; do echo "out:$l"; echo "err:$l" >&2; done; echo eof; exit 2']);
    try {
      await createContainer(fx.createOptions({ stdin: true }));
      const out = new TextSink();
      const err = new TextSink();
      const stdin = new PassThrough();
      const session = await attach({ dir: fx.bundle, stdin, stdout: sink(out), stderr: sink(err), perl });
      await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
      stdin.write('a\n');
      await out.waitFor('out:a\n');
      await err.waitFor('err:a\n');
      stdin.end('b\n');
      assert.deepEqual(await session.done, { detached: false });
      assert.equal(out.text, 'out:a\nout:b\neof\n');
      assert.equal(err.text, 'err:a\nerr:b\n');
      assert.equal(await waitForExit(fx.exitDir, fx.id, 10_000), 2);
    } finally {
      await fx.cleanup();
    }
  });
}

test('detach keys end the session and leave the container running', async () => {
  const fx = makeFixture(['sh'], { terminal: true });
  try {
    await createContainer(fx.createOptions());
    await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
    const out = new TextSink();
    const stdin = new PassThrough();
    const session = await attach({ dir: fx.bundle, stdin, stdout: sink(out), detachKeys: 'ctrl-x,q' });
    stdin.write('echo before-$((1+1))\n');
    await out.waitFor('before-2');
    // A partial match followed by something else is passed through (checked with cat through exec).
    const echoed = await execInContainer({
      runtime: fx.runtime, stateRoot: fx.stateRoot, containerId: fx.id, execDir: path.join(fx.root, 'exec-cat'),
      process: { args: ['cat'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } },
      stdin: Readable.from([Buffer.from([0x61, 0x18]), Buffer.from([0x62, 0x18, 0x18, 0x0a])]), detachKeys: 'ctrl-x,q',
    });
    assert.deepEqual([...echoed.stdout], [0x61, 0x18, 0x62, 0x18, 0x18, 0x0a]);
    // The full sequence detaches, even split across writes.
    stdin.write(Buffer.from([0x18]));
    stdin.write('q');
    assert.deepEqual(await session.done, { detached: true });
    assert.equal((await runtimeState(fx.runtime, fx.id, { root: fx.stateRoot }))?.status, 'running');

    // A second client can attach again and talk to the same shell.
    const out2 = new TextSink();
    const stdin2 = new PassThrough();
    const again = await attach({ dir: fx.bundle, stdin: stdin2, stdout: sink(out2) });
    stdin2.write('echo again-$((2+3))\n');
    await out2.waitFor('again-5');
    again.detach();
    assert.deepEqual(await again.done, { detached: true });
    await runtimeKill(fx.runtime, fx.id, 'KILL', { root: fx.stateRoot });
    assert.equal(await waitForExit(fx.exitDir, fx.id, 10_000), 137);
  } finally {
    await fx.cleanup();
  }
});

test('attaching where there is no socket fails cleanly', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-attach-'));
  try {
    await assert.rejects(attach({ dir }), /attach: connect .*attach: No such file or directory/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
