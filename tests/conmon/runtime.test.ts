import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  cgroupMode, findRuntime, probeRuntime, lookupRuntimePath, ociRuntimeError, runtimeMessage,
  runtimeState, runtimeStart, runtimeKill, runtimeDelete, runtimePause, runtimeResume, runtimeUpdate, runtimeList,
  runtimeStateRoot, OCI_NOT_FOUND, OCI_PERMISSION_DENIED,
} from '../../src/engine/runtime';
import { createContainer, waitForExit } from '../../src/engine/conmon';
import { PierError } from '../../src/util/errors';
import { makeFixture } from './helpers';

/** Whether crun 1.8's hybrid-cgroup refusal applies to this host, computed independently. */
function crunRefusedHere(): boolean {
  const root = fs.statfsSync('/sys/fs/cgroup').type === 0x63677270;
  if (root) return false;
  let unifiedV2 = false;
  try { unifiedV2 = fs.statfsSync('/sys/fs/cgroup/unified').type === 0x63677270; } catch { /* none */ }
  if (!unifiedV2) return false;
  return fs.readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
}

test('findRuntime picks a runtime that works on this host (crun skipped on hybrid cgroups)', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rt-'));
  try {
    const rt = findRuntime({ cacheDir: cache });
    const crun = lookupRuntimePath('crun');
    if (crun && !crunRefusedHere()) assert.equal(rt.name, 'crun');
    else assert.equal(rt.name, 'runc');
    assert.ok(path.isAbsolute(rt.path) && fs.existsSync(rt.path));
    const cached = JSON.parse(fs.readFileSync(path.join(cache, 'runtime-probe.json'), 'utf8'));
    assert.ok(Object.keys(cached).some((k) => k.startsWith(rt.path + ':')), 'probe result cached');
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('crun probe agrees with the cgroup layout', () => {
  const crun = lookupRuntimePath('crun');
  assert.ok(crun, 'crun is installed on the test host');
  const probe = probeRuntime({ name: 'crun', path: crun });
  assert.equal(probe.usable, !crunRefusedHere());
  if (!probe.usable) assert.match(probe.reason!, /hybrid/);
  assert.match(probe.version!, /crun version/);
  const v2 = (p: string) => { try { return fs.statfsSync(p).type === 0x63677270; } catch { return false; } };
  assert.equal(cgroupMode(), v2('/sys/fs/cgroup') ? 'unified' : v2('/sys/fs/cgroup/unified') ? 'hybrid' : 'legacy');
});

test('the cached probe result is what findRuntime trusts', () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rt-'));
  try {
    const runc = lookupRuntimePath('runc')!;
    const st = fs.statSync(runc);
    fs.writeFileSync(path.join(cache, 'runtime-probe.json'), JSON.stringify({ [`${runc}:${st.size}:${st.mtimeMs}`]: { usable: false, reason: 'doctored' } }));
    assert.throws(() => findRuntime({ candidates: ['runc'], cacheDir: cache }), /no usable OCI runtime found: runc \(doctored\)/);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});

test('an explicit --runtime is honoured, and a missing one is an error', () => {
  const runc = lookupRuntimePath('runc')!;
  assert.deepEqual(findRuntime({ name: runc }), { name: 'runc', path: runc });
  assert.equal(findRuntime({ name: 'runc' }).path, runc);
  // crun named explicitly is used even where it would be skipped by default.
  assert.equal(findRuntime({ name: 'crun' }).name, 'crun');
  assert.throws(() => findRuntime({ name: 'nosuchruntime' }), (e: any) => e instanceof PierError && e.message === 'default OCI runtime "nosuchruntime" not found: invalid argument' && e.exitCode === 125);
  assert.throws(() => findRuntime({ name: '/nonexistent/runc' }), /default OCI runtime "\/nonexistent\/runc" not found: invalid argument/);
  // containers.conf [engine.runtimes] paths are searched for a named runtime.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rt-'));
  try {
    const fake = path.join(dir, 'myrt');
    fs.writeFileSync(fake, '#!/bin/sh\necho myrt version 1\n', { mode: 0o755 });
    assert.deepEqual(findRuntime({ name: 'myrt', runtimes: { myrt: [path.join(dir, 'missing'), fake] } }), { name: 'myrt', path: fake });
    assert.deepEqual(findRuntime({ candidates: ['nope', 'myrt'], runtimes: { myrt: [fake] } }), { name: 'myrt', path: fake });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runtime errors are classified like podman (127 / 126 / 125)', () => {
  const nf = ociRuntimeError('runc', 'time="2024-01-01T00:00:00Z" level=error msg="runc create failed: unable to start container process: exec: \\"nosuchcmd\\": executable file not found in $PATH"\n');
  assert.equal(nf.exitCode, 127);
  assert.equal(nf.message, `runc: runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: ${OCI_NOT_FOUND}`);
  const pd = ociRuntimeError('runc', '{"level":"error","msg":"exec: \\"/bin/x\\": permission denied","time":"2024"}');
  assert.equal(pd.exitCode, 126);
  assert.ok(pd.message.endsWith(OCI_PERMISSION_DENIED));
  const other = ociRuntimeError('crun', 'something odd happened');
  assert.equal(other.exitCode, 125);
  assert.equal(other.message, 'OCI runtime error: crun: something odd happened');
  assert.equal(runtimeMessage('time="x" level=warning msg="ignored"\ntime="x" level=error msg="kept"'), 'kept');
});

test('runtime CLI wrappers drive a real container through its states', async () => {
  const fx = makeFixture(['sleep', '1000']);
  const opts = { root: fx.stateRoot };
  try {
    assert.equal(runtimeStateRoot('/run/pier', { name: 'runc' }), '/run/pier/runc');
    assert.equal(await runtimeState(fx.runtime, fx.id, opts), null);
    assert.deepEqual(await runtimeList(fx.runtime, opts), []);
    const { pid } = await createContainer(fx.createOptions());
    let st = await runtimeState(fx.runtime, fx.id, opts);
    assert.equal(st?.status, 'created');
    assert.equal(st?.pid, pid);
    assert.equal(st?.bundle, fx.bundle);
    await runtimeStart(fx.runtime, fx.id, opts);
    assert.equal((await runtimeState(fx.runtime, fx.id, opts))?.status, 'running');
    assert.deepEqual((await runtimeList(fx.runtime, opts)).map((c) => c.id), [fx.id]);
    await runtimePause(fx.runtime, fx.id, opts);
    assert.equal((await runtimeState(fx.runtime, fx.id, opts))?.status, 'paused');
    await runtimeResume(fx.runtime, fx.id, opts);
    assert.equal((await runtimeState(fx.runtime, fx.id, opts))?.status, 'running');
    await runtimeUpdate(fx.runtime, fx.id, { pids: { limit: 77 } }, opts);
    const pidsMax = fs.readFileSync(`/sys/fs/cgroup/pids/pier-test/${fx.id}/pids.max`, 'utf8').trim();
    assert.equal(pidsMax, '77');
    await assert.rejects(runtimeStart(fx.runtime, fx.id, opts), (e: any) => e instanceof PierError && /^OCI runtime error: runc: /.test(e.message));
    assert.equal(await runtimeKill(fx.runtime, fx.id, 'SIGKILL', opts), true);
    assert.equal(await waitForExit(fx.exitDir, fx.id, 10_000), 137);
    st = await runtimeState(fx.runtime, fx.id, opts);
    assert.equal(st?.status, 'stopped');
    assert.equal(await runtimeKill(fx.runtime, fx.id, 'KILL', opts), false);
    await runtimeDelete(fx.runtime, fx.id, opts);
    assert.equal(await runtimeState(fx.runtime, fx.id, opts), null);
    await runtimeDelete(fx.runtime, fx.id, { ...opts, force: true });
  } finally {
    await fx.cleanup();
  }
});
