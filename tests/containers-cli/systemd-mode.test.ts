// --systemd (podman 4.3's systemd mode): when it applies (always, or an init command by
// default), and what it changes in the running container: tmpfs on /run, /run/lock, /tmp and
// /var/log/journal, the systemd cgroup hierarchy writable, SIGRTMIN+3 to stop, container_uuid,
// and no host ttyN devices for a privileged container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busyboxStoreForFile, TestStore } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((x) => (s = x));

test('systemd mode: when it applies, inspect, stop signal, mounts, environment, devices', () => {
  const mode = (args: string[]) => {
    const id = s.ok(['create', ...args]).trim();
    const out = s.ok(['inspect', '--format', '{{.Config.SystemdMode}} {{.Config.StopSignal}}', id]).trim();
    s.ok(['rm', id]);
    return out;
  };
  assert.equal(mode(['localhost/busybox', 'true']), 'false 15');
  assert.equal(mode(['localhost/busybox', '/sbin/init']), 'true 37');
  assert.equal(mode(['localhost/busybox', '/bin/sh', '-c', '/usr/lib/systemd/systemd']), 'true 37');
  assert.equal(mode(['--systemd=false', 'localhost/busybox', '/sbin/init']), 'false 15');
  assert.equal(mode(['--systemd=always', '--stop-signal', 'TERM', 'localhost/busybox', 'true']), 'true 15');
  const bad = s.run(['create', '--systemd=maybe', 'localhost/busybox']);
  assert.deepEqual([bad.code, bad.stderr], [125, 'Error: invalid config provided: --systemd values must be one of "true, false, always": invalid configuration\n']);

  s.ok(['run', '-d', '--name', 'sdm', '--systemd=always', '--privileged', 'localhost/busybox', 'sleep', '1000']);
  const mounts = s.ok(['exec', 'sdm', 'sh', '-c', 'for d in /run /run/lock /tmp /var/log/journal; do grep " $d tmpfs " /proc/mounts | cut -d" " -f2; done; ls /dev/tty*; echo $container_uuid']);
  const id = s.ok(['inspect', '--format', '{{.Id}}', 'sdm']).trim();
  assert.equal(mounts, `/run\n/run/lock\n/tmp\n/var/log/journal\n/dev/tty\n${id.slice(0, 32)}\n`);
  // The host's systemd hierarchy (cgroup v1) is bound read-write, its release_agent masked.
  const cg = s.ok(['exec', 'sdm', 'sh', '-c', 'grep " /sys/fs/cgroup/systemd " /proc/mounts | tail -1 | cut -d" " -f4 | cut -d, -f1']).trim();
  assert.equal(cg, 'rw');
  s.ok(['rm', '-f', '-t', '0', 'sdm']);
});
