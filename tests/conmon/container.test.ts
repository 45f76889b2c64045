import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  createContainer, startContainer, waitForExit, readExitCode, processAlive, readPidFile, createContainerArgs,
} from '../../src/engine/conmon';
import { runtimeState, runtimeKill, runtimeList, startCreatedRunc, OCI_NOT_FOUND, OCI_PERMISSION_DENIED } from '../../src/engine/runtime';
import { readLogs, parseLogLine, streamLogs } from '../../src/engine/logs';
import { PierError } from '../../src/util/errors';
import { makeFixture, eventually } from './helpers';

const REPO = path.resolve(__dirname, '..', '..');

test('a detached container runs to completion: exit code, k8s-file logs, exit command', async () => {
  const fx = makeFixture(['sh', '-c', 'echo hello; echo err >&2; sleep 0.2; exit 3']);
  try {
    const marker = path.join(fx.root, 'exit-command-ran');
    const script = path.join(fx.root, 'cleanup.sh');
    fs.writeFileSync(script, `#!/bin/sh\necho "$@" > ${marker}\n`, { mode: 0o755 });
    const opts = fx.createOptions({ exitCommand: [script, 'container', 'cleanup', fx.id], name: 'friendly-name' });
    const { pid, conmonPid } = await createContainer(opts);
    assert.ok(pid > 0 && conmonPid > 0 && pid !== conmonPid);
    assert.equal(readPidFile(path.join(fx.bundle, 'pidfile')), pid);
    assert.ok(processAlive(conmonPid), 'conmon is running');
    assert.equal((await runtimeState(fx.runtime, fx.id, { root: fx.stateRoot }))?.status, 'created');
    assert.equal(readExitCode(fx.exitDir, fx.id), null);

    await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
    assert.equal(await waitForExit(fx.exitDir, fx.id, 15_000), 3);
    assert.equal(readExitCode(fx.exitDir, fx.id), 3);
    assert.equal(fs.readFileSync(path.join(fx.persistDir, 'exit'), 'utf8'), '3');

    const logs = readLogs(fx.logPath);
    assert.equal(logs.stdout, 'hello\n');
    assert.equal(logs.stderr, 'err\n');
    const raw = fs.readFileSync(fx.logPath, 'utf8').trim().split('\n');
    assert.equal(raw.length, 2);
    for (const line of raw) {
      assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}([+-]\d{2}:\d{2}|Z) std(out|err) F /);
      const rec = parseLogLine(line)!;
      assert.ok(Math.abs(Number(rec.ns / 1_000_000n) - Date.now()) < 60_000, 'timestamp is now-ish');
    }
    const ts = readLogs(fx.logPath, { timestamps: true });
    assert.match(ts.stdout, /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2}) hello\n$/);

    const ran = await eventually(() => fs.existsSync(marker) && fs.readFileSync(marker, 'utf8'), 10_000, 'exit command');
    assert.equal(ran, `container cleanup ${fx.id}\n`);
    await eventually(() => !processAlive(conmonPid), 10_000, 'conmon to exit');
    assert.equal((await runtimeState(fx.runtime, fx.id, { root: fx.stateRoot }))?.status, 'stopped');
  } finally {
    await fx.cleanup();
  }
});

test('conmon command line carries the podman-style arguments', () => {
  const args = createContainerArgs({
    runtime: { name: 'runc', path: '/usr/sbin/runc' }, stateRoot: '/run/pier/runc', id: 'abc', name: 'web', bundle: '/b', exitDir: '/e',
    persistDir: '/p', socketDir: '/s', logPath: '/l/ctr.log', logSizeMax: 1024, logTag: 'tag', terminal: true, stdin: true,
    exitCommand: ['/usr/bin/pier', '--root', '/x', 'container', 'cleanup', 'abc'],
  });
  const joined = args.join(' ');
  for (const frag of [
    '--api-version 1', '-r /usr/sbin/runc', '--runtime-arg --root --runtime-arg /run/pier/runc', '-c abc -u abc -b /b -p /b/pidfile',
    '-n web --exit-dir /e --full-attach', '--socket-dir-path /s', '--persist-dir /p', '--conmon-pidfile /b/conmon.pid',
    '-l k8s-file:/l/ctr.log', '--log-size-max 1024', '--log-tag tag', '--log-level warning',
    '--exit-command /usr/bin/pier --exit-command-arg --root --exit-command-arg /x --exit-command-arg container --exit-command-arg cleanup --exit-command-arg abc',
  ]) assert.ok(joined.includes(frag), `missing "${frag}" in ${joined}`);
  assert.ok(args.includes('-t') && !args.includes('-i'), 'a terminal implies stdin; -i is not passed with -t');
  assert.deepEqual(createContainerArgs({ runtime: { name: 'runc', path: '/r' }, stateRoot: '/s', id: 'x', bundle: '/b', exitDir: '/e', logDriver: 'none', stdin: true }).slice(-3), ['-l', 'none', '-i']);
});

test('log driver none writes no log file', async () => {
  const fx = makeFixture(['echo', 'quiet']);
  try {
    await createContainer(fx.createOptions({ logDriver: 'none' }));
    await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
    assert.equal(await waitForExit(fx.exitDir, fx.id, 15_000), 0);
    assert.equal(fs.existsSync(fx.logPath), false);
  } finally {
    await fx.cleanup();
  }
});

test('a container outlives the Node process that started it', async () => {
  const fx = makeFixture(['sleep', '1000']);
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'create-detached.ts'), JSON.stringify(fx.createOptions())], {
      cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, `child failed: ${err}`);
    const info = JSON.parse(out);
    assert.equal(processAlive(info.parentPid), false, 'the creating process is gone');
    assert.ok(processAlive(info.conmonPid), 'conmon survived its parent');
    const st = await runtimeState(fx.runtime, fx.id, { root: fx.stateRoot });
    assert.equal(st?.status, 'running');
    assert.equal(st?.pid, info.pid);
    assert.equal(readExitCode(fx.exitDir, fx.id), null);

    assert.equal(await runtimeKill(fx.runtime, fx.id, 'KILL', { root: fx.stateRoot }), true);
    assert.equal(await waitForExit(fx.exitDir, fx.id, 15_000), 137);
    await eventually(() => !processAlive(info.conmonPid), 10_000, 'conmon to exit');
  } finally {
    await fx.cleanup();
  }
});

test('start without a runtime process: runc reports it running, the fifo is gone; a dead init fails at once', async () => {
  const fx = makeFixture(['sleep', '1000']);
  try {
    const { pid } = await createContainer(fx.createOptions());
    const fifo = path.join(fx.stateRoot, fx.id, 'exec.fifo');
    assert.ok(fs.existsSync(fifo), 'runc create leaves the exec fifo');
    assert.equal(await startCreatedRunc(fx.runtime, fx.id, fx.stateRoot), fx.runtime.name === 'runc');
    if (fx.runtime.name === 'runc') {
      assert.equal(fs.existsSync(fifo), false);
      const st = await runtimeState(fx.runtime, fx.id, { root: fx.stateRoot });
      assert.equal(st?.status, 'running');
      assert.equal(st?.pid, pid);
      await eventually(() => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\u00001000'), 10_000, 'init to exec the command');
    }
  } finally {
    await fx.cleanup();
  }
  const dead = makeFixture(['true']);
  try {
    const { pid } = await createContainer(dead.createOptions());
    process.kill(pid, 'SIGKILL');
    await eventually(() => !fs.existsSync(`/proc/${pid}/stat`) || / Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')), 10_000, 'init to die');
    const t0 = Date.now();
    await assert.rejects(startContainer(dead.runtime, dead.id, { root: dead.stateRoot }), PierError);
    assert.ok(Date.now() - t0 < 5000, 'no hang on a dead init');
  } finally {
    await dead.cleanup();
  }
});

test('a missing executable fails create with 127 and leaves no runtime state', async () => {
  const fx = makeFixture(['nosuchcmd']);
  try {
    await assert.rejects(createContainer(fx.createOptions()), (e: any) => {
      assert.ok(e instanceof PierError);
      assert.equal(e.exitCode, 127);
      assert.match(e.message, /^runc: .*exec: "nosuchcmd": executable file not found in \$PATH/);
      assert.ok(e.message.endsWith(OCI_NOT_FOUND));
      return true;
    });
    assert.equal(await runtimeState(fx.runtime, fx.id, { root: fx.stateRoot }), null);
    assert.deepEqual(await runtimeList(fx.runtime, { root: fx.stateRoot }), []);
    const conmonPid = readPidFile(path.join(fx.bundle, 'conmon.pid'));
    if (conmonPid) await eventually(() => !processAlive(conmonPid), 10_000, 'conmon to exit');
  } finally {
    await fx.cleanup();
  }
});

test('a non-executable command fails create with 126', async () => {
  const fx = makeFixture(['/bin/noexec']);
  try {
    await assert.rejects(createContainer(fx.createOptions()), (e: any) => {
      assert.ok(e instanceof PierError);
      assert.equal(e.exitCode, 126);
      assert.match(e.message, /permission denied/);
      assert.ok(e.message.endsWith(OCI_PERMISSION_DENIED));
      return true;
    });
    assert.equal(await runtimeState(fx.runtime, fx.id, { root: fx.stateRoot }), null);
  } finally {
    await fx.cleanup();
  }
});

test('waitForExit times out while the container runs', async () => {
  const fx = makeFixture(['sleep', '1000']);
  try {
    await createContainer(fx.createOptions());
    await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
    await assert.rejects(waitForExit(fx.exitDir, fx.id, 300), /timed out waiting for container/);
    const ac = new AbortController();
    const p = waitForExit(fx.exitDir, fx.id, undefined, ac.signal);
    ac.abort();
    await assert.rejects(p, /aborted/);
  } finally {
    await fx.cleanup();
  }
});

test('logs follow a running container until it exits', async () => {
  const fx = makeFixture(['sh', '-c', 'for i in 1 2 3; do echo tick$i; sleep 0.2; done; echo warn >&2; printf no-newline']);
  try {
    await createContainer(fx.createOptions());
    await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
    const got: string[] = [];
    const start = Date.now();
    for await (const e of streamLogs(fx.logPath, { follow: true, exitFile: path.join(fx.exitDir, fx.id), pollMs: 50 })) {
      got.push(`${e.stream}:${e.text}`);
    }
    assert.deepEqual(got, ['stdout:tick1\n', 'stdout:tick2\n', 'stdout:tick3\n', 'stderr:warn\n', 'stdout:no-newline']);
    assert.ok(Date.now() - start >= 300, 'followed while the container ran');
    assert.equal(readExitCode(fx.exitDir, fx.id), 0);
  } finally {
    await fx.cleanup();
  }
});

test('passthrough log driver hands the container the given stdio directly', async () => {
  const fx = makeFixture(['sh', '-c', 'read l; echo "got:$l"; echo to-err >&2; exit 9']);
  try {
    const inFile = path.join(fx.root, 'in');
    fs.writeFileSync(inFile, 'piped\n');
    const inFd = fs.openSync(inFile, 'r');
    const outFd = fs.openSync(path.join(fx.root, 'out'), 'w');
    const errFd = fs.openSync(path.join(fx.root, 'err'), 'w');
    try {
      await createContainer(fx.createOptions({ logDriver: 'passthrough', passthroughStdio: [inFd, outFd, errFd] }));
    } finally {
      for (const fd of [inFd, outFd, errFd]) fs.closeSync(fd);
    }
    await startContainer(fx.runtime, fx.id, { root: fx.stateRoot });
    assert.equal(await waitForExit(fx.exitDir, fx.id, 15_000), 9);
    assert.equal(fs.readFileSync(path.join(fx.root, 'out'), 'utf8'), 'got:piped\n');
    assert.equal(fs.readFileSync(path.join(fx.root, 'err'), 'utf8'), 'to-err\n');
    assert.equal(fs.existsSync(fx.logPath), false);
  } finally {
    await fx.cleanup();
  }
});

test('conmon failures before the runtime runs are reported', async () => {
  const fx = makeFixture(['true']);
  try {
    await assert.rejects(createContainer(fx.createOptions({ logLevel: 'bogus' })), /conmon failed to create container .*No such log level bogus/);
    fs.rmSync(path.join(fx.bundle, 'config.json'));
    await assert.rejects(createContainer(fx.createOptions()), (e: any) => e instanceof PierError && e.exitCode === 125 && /^OCI runtime error: runc: .*config\.json not found$/.test(e.message));
  } finally {
    await fx.cleanup();
  }
});
