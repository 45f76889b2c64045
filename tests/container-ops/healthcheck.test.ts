// Healthchecks against real containers: `healthcheck run` verdicts and recorded state, the
// timeout, and the periodic monitor started with the container.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { storeWithBusybox, waitFor, alive } from './helpers';

test('healthcheck run: healthy and unhealthy verdicts are recorded in the state', async () => {
  const s = await storeWithBusybox();
  try {
    s.ok(['run', '-d', '--name', 'good', '--health-cmd', 'echo fine', '--health-interval', 'disable', 'localhost/busybox', 'sleep', '1000']);
    const ok = s.run(['healthcheck', 'run', 'good']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '');
    assert.equal(s.inspect('good', '{{.State.Health.Status}}'), 'healthy');
    const health = JSON.parse(s.inspect('good', '{{json .State.Health}}'));
    assert.equal(health.FailingStreak, 0);
    assert.equal(health.Log.length, 1);
    assert.equal(health.Log[0].ExitCode, 0);
    // podman keeps the output's lines joined by newlines: no final newline.
    assert.equal(health.Log[0].Output, 'fine');
    // RFC 3339 times with nanoseconds, as podman records them.
    assert.match(health.Log[0].Start, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    assert.ok(Date.parse(health.Log[0].End) >= Date.parse(health.Log[0].Start));
    // podman 4.3's State also answers to .Healthcheck in templates (the same results), not in its JSON.
    assert.equal(s.inspect('good', '{{json .State.Healthcheck}}'), s.inspect('good', '{{json .State.Health}}'));
    assert.equal(s.inspect('good', '{{.State.Healthcheck.Status}}'), 'healthy');
    assert.equal('Healthcheck' in JSON.parse(s.inspect('good', '{{json .State}}')), false);
    assert.equal('Healthcheck' in JSON.parse(s.ok(['container', 'inspect', 'good']))[0].State, false);
    // The config's durations: Go time.Durations in templates, numbers in JSON, zero ones omitted (omitempty).
    assert.equal(s.inspect('good', '{{.Config.Healthcheck.Interval}} {{.Config.Healthcheck.StartPeriod}} {{printf "%d" .Config.Healthcheck.Timeout}}'), '0s 0s 30000000000');
    assert.deepEqual(Object.keys(JSON.parse(s.inspect('good', '{{json .Config.Healthcheck}}'))), ['Test', 'Timeout', 'Retries']);

    s.ok(['run', '-d', '--name', 'bad', '--health-cmd', '(echo broken; echo; echo twice) >&2; exit 3', '--health-retries', '1', '--health-interval', 'disable', 'localhost/busybox', 'sleep', '1000']);
    const bad = s.run(['healthcheck', 'run', 'bad']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, 'unhealthy\n');
    assert.equal(s.inspect('bad', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}'), 'unhealthy 1');
    const badLog = JSON.parse(s.inspect('bad', '{{json .State.Health.Log}}'));
    // Any failing exit status is recorded as 1; both streams' lines, empty ones kept.
    assert.equal(badLog[0].ExitCode, 1);
    assert.equal(badLog[0].Output, 'broken\n\ntwice');

    // Only the last five results are kept.
    for (let i = 0; i < 5; i++) s.run(['healthcheck', 'run', 'good']);
    assert.equal(JSON.parse(s.inspect('good', '{{json .State.Health.Log}}')).length, 5);

    s.ok(['run', '-d', '--name', 'plain', 'localhost/busybox', 'sleep', '1000']);
    // Without a healthcheck, Health is podman's zero value (under both names).
    assert.equal(s.inspect('plain', '{{json .State.Health}}'), '{"Status":"","FailingStreak":0,"Log":null}');
    assert.equal(s.inspect('plain', '{{json .State.Healthcheck}}'), '{"Status":"","FailingStreak":0,"Log":null}');
    const none = s.run(['healthcheck', 'run', 'plain']);
    assert.equal(none.code, 125);
    assert.match(none.stderr, /has no defined healthcheck/);

    s.ok(['stop', '-t', '0', 'good']);
    const stopped = s.run(['healthcheck', 'run', 'good']);
    assert.equal(stopped.code, 125);
    assert.match(stopped.stderr, /is not running/);
  } finally {
    await s.dispose();
  }
});

test('healthcheck run: a command exceeding the timeout is killed and fails', async () => {
  const s = await storeWithBusybox();
  try {
    s.ok(['run', '-d', '--name', 'slow', '--health-cmd', 'sleep 30', '--health-timeout', '1s', '--health-retries', '1', '--health-interval', 'disable', 'localhost/busybox', 'sleep', '1000']);
    const t0 = Date.now();
    const r = s.run(['healthcheck', 'run', 'slow']);
    assert.ok(Date.now() - t0 < 15_000, 'did not wait for the whole command');
    // podman 4.3: the result is recorded (exit -1), then the command fails with the timeout.
    assert.equal(r.code, 125, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Error: healthcheck command exceeded timeout of 1s\n');
    const log = JSON.parse(s.inspect('slow', '{{json .State.Health.Log}}'));
    assert.equal(log[0].ExitCode, -1);
    assert.equal(log[0].Output, '');
    assert.equal(s.inspect('slow', '{{.State.Health.Status}} {{.State.Health.FailingStreak}}'), 'unhealthy 1');
    // The check's process is gone from the container.
    assert.doesNotMatch(s.ok(['top', 'slow', 'args']), /sleep 30/);
  } finally {
    await s.dispose();
  }
});

test('periodic healthchecks turn the container unhealthy and stop with it', async () => {
  const s = await storeWithBusybox();
  try {
    const started = s.run(['run', '-d', '--name', 'flappy', '--health-cmd', 'exit 1', '--health-interval', '1s', '--health-retries', '2', 'localhost/busybox', 'sleep', '1000']);
    assert.equal(started.code, 0, started.stderr);
    const id = started.stdout.trim();
    assert.equal(s.inspect('flappy', '{{.State.Health.Status}}'), 'starting');
    const status = await waitFor(() => s.inspect('flappy', '{{.State.Health.Status}}') === 'unhealthy', 20_000);
    assert.ok(status, `still ${s.inspect('flappy', '{{.State.Health.Status}}')}`);
    assert.ok(Number(s.inspect('flappy', '{{.State.Health.FailingStreak}}')) >= 2);

    // Without systemd the checks run in a detached monitor process that ends with the container.
    const rec = JSON.parse(fs.readFileSync(path.join(s.runroot, 'healthcheck', `${id}.json`), 'utf8'));
    if (rec.pid) {
      // A host whose PID 1 is not systemd (a stale /run/systemd/system included) is no error to report.
      assert.equal(started.stderr, '');
      assert.ok(alive(rec.pid), 'monitor runs while the container runs');
      s.ok(['stop', '-t', '0', 'flappy']);
      assert.ok(await waitFor(() => !alive(rec.pid), 10_000), 'monitor exits after the container stopped');
      const streak = s.inspect('flappy', '{{.State.Health.FailingStreak}}');
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(s.inspect('flappy', '{{.State.Health.FailingStreak}}'), streak, 'no checks after the stop');
    } else {
      assert.ok(rec.unit, 'a systemd timer unit');
    }
  } finally {
    await s.dispose();
  }
});

test('stop and rm -f end the healthcheck monitor at once, not after its interval', async () => {
  const s = await storeWithBusybox();
  try {
    const monitorOf = (id: string): number | undefined => {
      try { return JSON.parse(fs.readFileSync(path.join(s.runroot, 'healthcheck', `${id}.json`), 'utf8')).pid; } catch { return undefined; }
    };
    for (const how of [['stop', '-t', '0'], ['rm', '-f', '-t', '0']]) {
      const id = s.ok(['run', '-d', '--health-cmd', 'true', '--health-interval', '1h', 'localhost/busybox', 'sleep', '1000']).trim();
      const pid = monitorOf(id);
      if (!pid) continue; // a systemd timer (a host booted with systemd): the unit is stopped instead
      assert.ok(alive(pid), 'monitor runs');
      s.ok([...how, id]);
      assert.ok(await waitFor(() => !alive(pid), 3_000), `monitor ended by ${how[0]}`);
      assert.equal(monitorOf(id), undefined);
      s.run(['rm', '-f', '-t', '0', id]);
    }
  } finally {
    await s.dispose();
  }
});

test('--health-on-failure: kill, stop and restart act once a check leaves the container unhealthy', async () => {
  const s = await storeWithBusybox();
  try {
    const bad = ['--health-cmd', 'exit 1', '--health-retries', '1', '--health-interval', 'disable'];
    for (const a of ['none', 'kill', 'stop', 'restart']) {
      s.ok(['run', '-d', '--name', a, ...bad, '--health-on-failure', a, '--stop-timeout', '1', 'localhost/busybox', 'sleep', '1000']);
      assert.equal(s.inspect(a, '{{.Config.HealthcheckOnFailureAction}}'), a);
    }
    const startedAt = s.inspect('restart', '{{.State.StartedAt}}');
    for (const a of ['none', 'kill', 'stop', 'restart']) {
      const r = s.run(['healthcheck', 'run', a]);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stdout, 'unhealthy\n');
    }
    assert.equal(s.inspect('none', '{{.State.Status}} {{.State.Health.Status}}'), 'running unhealthy');
    assert.ok(await waitFor(() => s.inspect('kill', '{{.State.Status}}') === 'exited', 10_000));
    assert.equal(s.inspect('kill', '{{.State.ExitCode}}'), '137');
    // ps: the health status follows the state, running or not (podman 4.3).
    const status = (n: string) => s.ok(['ps', '-a', '--filter', `name=^${n}$`, '--format', '{{.Status}}']).trim();
    assert.match(status('kill'), /^Exited \(137\) .* \(unhealthy\)$/);
    assert.match(status('none'), /^Up .* \(unhealthy\)$/);
    assert.equal(JSON.parse(s.ok(['ps', '-a', '--filter', 'name=^none$', '--format', 'json']))[0].Status.endsWith(' (unhealthy)'), true);
    // sleep ignores SIGTERM as PID 1: the stop ends with SIGKILL after the stop timeout.
    assert.equal(s.inspect('stop', '{{.State.Status}} {{.State.ExitCode}} {{.State.Health.Status}}'), 'exited 137 unhealthy');
    // Restarted: running again with a new start, health back to starting, no restart counted.
    assert.equal(s.inspect('restart', '{{.State.Status}} {{.State.Health.Status}} {{.RestartCount}}'), 'running starting 0');
    assert.notEqual(s.inspect('restart', '{{.State.StartedAt}}'), startedAt);
    assert.equal(s.inspect('restart', '{{len .State.Health.Log}}'), '1', 'the health log is kept');
  } finally {
    await s.dispose();
  }
});

test('--health-on-failure without a healthcheck is refused at create; the default shows as none', async () => {
  const s = await storeWithBusybox();
  try {
    const r = s.run(['create', '--health-on-failure', 'stop', 'localhost/busybox']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), 'Error: cannot set on-failure action to stop without a health check');
    s.ok(['create', '--name', 'plain', 'localhost/busybox']);
    assert.equal(s.inspect('plain', '{{.Config.HealthcheckOnFailureAction}}'), 'none');
  } finally {
    await s.dispose();
  }
});

test('--health-on-failure acts on periodic checks too (the monitor or timer runs the same check)', async () => {
  const s = await storeWithBusybox();
  try {
    s.ok(['run', '-d', '--name', 'pk', '--health-cmd', 'exit 1', '--health-interval', '1s', '--health-retries', '1', '--health-on-failure', 'kill', 'localhost/busybox', 'sleep', '1000']);
    assert.ok(await waitFor(() => s.inspect('pk', '{{.State.Status}}') === 'exited', 20_000), `still ${s.inspect('pk', '{{.State.Status}}')}`);
    assert.equal(s.inspect('pk', '{{.State.ExitCode}} {{.State.Health.Status}}'), '137 unhealthy');
  } finally {
    await s.dispose();
  }
});
