import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createContainer, startContainer, execInContainer, ExecOptions, waitForExit } from '../../src/engine/conmon';
import { runtimeKill, OCI_NOT_FOUND } from '../../src/engine/runtime';
import { PierError } from '../../src/util/errors';
import { makeFixture, Fixture, TextSink } from './helpers';

function execOpts(fx: Fixture, session: string, args: string[], extra: Partial<ExecOptions> = {}): ExecOptions {
  return {
    runtime: fx.runtime, stateRoot: fx.stateRoot, conmonPath: fx.conmonPath, containerId: fx.id,
    execDir: path.join(fx.root, 'exec', session),
    process: { args, env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } },
    ...extra,
  };
}

async function running(args: string[]): Promise<Fixture> {
  const fx = makeFixture(args);
  await createContainer(fx.createOptions());
  await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
  return fx;
}

test('exec returns the output (stdout and stderr apart) and the exit code', async () => {
  const fx = await running(['sleep', '1000']);
  try {
    const r = await execInContainer(execOpts(fx, 's1', ['sh', '-c', 'echo out; echo err >&2; exit 5']));
    assert.equal(r.exitCode, 5);
    assert.equal(r.stdout.toString(), 'out\n');
    assert.equal(r.stderr.toString(), 'err\n');
    assert.equal(r.detached, false);
    assert.ok(r.pid > 0);
    // It really ran inside the container: its pid namespace has the container's sleep as pid 1.
    const ps = await execInContainer(execOpts(fx, 's2', ['cat', '/proc/1/cmdline']));
    assert.equal(ps.exitCode, 0);
    assert.equal(ps.stdout.toString().split('\0')[0], 'sleep');
    // Streams given by the caller receive the output.
    const out = new TextSink();
    const r3 = await execInContainer(execOpts(fx, 's3', ['echo', 'to-stream'], { stdout: out as unknown as NodeJS.WritableStream }));
    assert.equal(r3.exitCode, 0);
    assert.equal(out.text, 'to-stream\n');
    assert.equal(r3.stdout.length, 0);
  } finally {
    await fx.cleanup();
  }
});

test('exec forwards stdin and closes it at its end', async () => {
  const fx = await running(['sleep', '1000']);
  try {
    const stdin = new PassThrough();
    const p = execInContainer(execOpts(fx, 'in', ['sh', '-c', 'cat; echo done-reading'], { stdin }));
    stdin.write('line one\n');
    setTimeout(() => stdin.end('line two\n'), 100);
    const r = await p;
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout.toString(), 'line one\nline two\ndone-reading\n');
  } finally {
    await fx.cleanup();
  }
});

test('exec reports a process killed by a signal as 128+signal', async () => {
  const fx = await running(['sleep', '1000']);
  try {
    const r = await execInContainer(execOpts(fx, 'sig', ['sh', '-c', 'kill -TERM $$; sleep 5']));
    assert.equal(r.exitCode, 143);
  } finally {
    await fx.cleanup();
  }
});

test('exec of a missing command fails with 127', async () => {
  const fx = await running(['sleep', '1000']);
  try {
    await assert.rejects(execInContainer(execOpts(fx, 'nf', ['nosuchcmd'])), (e: any) => {
      assert.ok(e instanceof PierError);
      assert.equal(e.exitCode, 127);
      assert.match(e.message, /"nosuchcmd": executable file not found/);
      assert.ok(e.message.endsWith(OCI_NOT_FOUND));
      return true;
    });
    // The container is unharmed.
    const r = await execInContainer(execOpts(fx, 'ok', ['true']));
    assert.equal(r.exitCode, 0);
  } finally {
    await fx.cleanup();
  }
});

test('exec with a terminal', async () => {
  const fx = await running(['sleep', '1000']);
  try {
    const r = await execInContainer(execOpts(fx, 'tty', ['sh', '-c', 'tty; echo on-tty; exit 4'], { terminal: true }));
    assert.equal(r.exitCode, 4);
    assert.match(r.stdout.toString(), /^\/dev\/pts\/\d+\r\non-tty\r\n$/);
  } finally {
    await fx.cleanup();
  }
});

test('exec into a stopped container fails', async () => {
  const fx = await running(['sleep', '1000']);
  try {
    await runtimeKill(fx.runtime, fx.id, 'KILL', { root: fx.stateRoot });
    assert.equal(await waitForExit(fx.exitDir, fx.id, 10_000), 137);
    await assert.rejects(execInContainer(execOpts(fx, 'dead', ['true'])), (e: any) => e instanceof PierError && e.exitCode === 125);
  } finally {
    await fx.cleanup();
  }
});
