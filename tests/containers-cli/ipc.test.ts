// --ipc and /dev/shm as podman 4.3.1 (190-run-ipcns.bats): a container's own /dev/shm is a
// tmpfs the engine mounts on the host while it runs, so that --ipc container:X shares X's files;
// --ipc none has no /dev/shm; a --ipc private container cannot be joined. Also --hostname,
// refused in a UTS namespace not of the container's own. Real runc + conmon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { TestStore, busyboxStoreForFile, REMOTE } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((st) => { s = st; });
const IMG = 'localhost/busybox';
const hostIpc = fs.readlinkSync('/proc/self/ns/ipc');
const shmMounted = (id: string) => fs.readFileSync('/proc/self/mounts', 'utf8').includes(`${id}/userdata/shm `);

test('--ipc container:X shares X\'s IPC namespace and /dev/shm; X\'s shm tmpfs is gone once it stops', () => {
  const donor = s.ok(['run', '-d', '--name', 'ipc-donor', '--shm-size', '2m', IMG, 'sleep', '1000']).trim();
  const ns = s.ok(['exec', donor, 'readlink', '/proc/self/ns/ipc']).trim();
  assert.notEqual(ns, hostIpc);
  s.ok(['exec', donor, 'sh', '-c', 'echo from-donor > /dev/shm/f']);
  const out = s.ok(['run', '--rm', '--ipc', 'container:ipc-donor', IMG, 'sh', '-c',
    'readlink /proc/self/ns/ipc; cat /dev/shm/f; echo from-joiner > /dev/shm/g; df -k /dev/shm | tail -1']).split('\n');
  assert.equal(out[0], ns);
  assert.equal(out[1], 'from-donor');
  assert.match(out[2], /\s2048\s/, 'the donor\'s size');
  assert.equal(s.ok(['exec', donor, 'cat', '/dev/shm/g']), 'from-joiner\n');
  // A chain of joins ends at the same /dev/shm.
  s.ok(['run', '-d', '--name', 'ipc-mid', '--ipc', 'container:ipc-donor', IMG, 'sleep', '1000']);
  assert.equal(s.ok(['run', '--rm', '--ipc', 'container:ipc-mid', IMG, 'cat', '/dev/shm/f']), 'from-donor\n');
  s.ok(['rm', '-f', '-t', '0', 'ipc-mid']);
  // The container's own /dev/shm is the tmpfs on the host, bound in (podman's userdata/shm).
  if (!REMOTE) {
    const spec = JSON.parse(fs.readFileSync(s.ok(['inspect', '--format', '{{.OCIConfigPath}}', donor]).trim(), 'utf8'));
    const m = spec.mounts.find((x: { destination: string }) => x.destination === '/dev/shm');
    assert.equal(m.type, 'bind');
    assert.match(m.source, new RegExp(`${donor}/userdata/shm$`));
  }
  assert.equal(shmMounted(donor), true);
  s.ok(['stop', '-t', '0', donor]);
  assert.equal(shmMounted(donor), false);
  s.ok(['rm', donor]);
});

test('--ipc none: a namespace of its own and no /dev/shm; --ipc shareable and host', () => {
  const none = s.run(['run', '--rm', '--ipc', 'none', IMG, 'sh', '-c', 'readlink /proc/self/ns/ipc; ls /dev/shm']);
  assert.equal(none.code, 1);
  const [ns] = none.stdout.split('\n');
  assert.match(ns, /^ipc:\[\d+\]$/);
  assert.notEqual(ns, hostIpc);
  assert.equal(none.stderr, 'ls: /dev/shm: No such file or directory\n');
  assert.notEqual(s.ok(['run', '--rm', '--ipc', 'shareable', IMG, 'readlink', '/proc/self/ns/ipc']).trim(), hostIpc);
  assert.equal(s.ok(['run', '--rm', '--ipc', 'host', IMG, 'readlink', '/proc/self/ns/ipc']).trim(), hostIpc);
});

test('--ipc private cannot be joined: podman\'s error at create, exit 125, nothing created', () => {
  const id = s.ok(['run', '-d', '--ipc', 'private', '--name', 'ipc-priv', IMG, 'sleep', '1000']).trim();
  const before = s.ok(['ps', '-aq']);
  for (const cmd of ['run', 'create']) {
    const r = s.run([cmd, '--rm', '--ipc', 'container:ipc-priv', IMG, 'true']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `Error: joining IPC of container ${id} is not allowed: non-shareable IPC (hint: use IpcMode:shareable for the donor container)\n`);
  }
  assert.equal(s.ok(['ps', '-aq']), before);
  s.ok(['rm', '-f', '-t', '0', id]);
});

test('--hostname needs a UTS namespace of the container\'s own', () => {
  s.ok(['run', '-d', '--name', 'uts-donor', IMG, 'sleep', '1000']);
  for (const uts of ['host', 'container:uts-donor', 'ns:/proc/1/ns/uts']) {
    const r = s.run(['create', '--uts', uts, '--hostname', 'x', IMG, 'true']);
    assert.equal(r.code, 125, uts);
    assert.equal(r.stderr, 'Error: invalid config provided: cannot set hostname when running in the host UTS namespace: invalid configuration\n', uts);
  }
  assert.equal(s.ok(['run', '--rm', '--uts', 'private', '--hostname', 'xx', IMG, 'hostname']), 'xx\n');
  s.ok(['rm', '-f', '-t', '0', 'uts-donor']);
});

test('inspect Args: podman\'s, the arguments after the first, or the one when there is just one', () => {
  const id = s.ok(['create', '--entrypoint', '/bin/true', IMG]).trim();
  assert.equal(s.ok(['inspect', '--format', '{{.Path}}|{{.Args}}', id]).trim(), '/bin/true|[/bin/true]');
  const two = s.ok(['create', IMG, 'echo', 'a']).trim();
  assert.equal(s.ok(['inspect', '--format', '{{.Path}}|{{.Args}}', two]).trim(), 'echo|[a]');
  s.ok(['rm', id, two]);
});

test('inspect HostConfig.IpcMode: podman 4.3.1\'s values (container:ID for a joined namespace, else "shareable")', () => {
  const donor = s.ok(['create', '--name', 'ipcmode-donor', IMG, 'true']).trim();
  const mode = (id: string) => s.ok(['inspect', '--format', '{{.HostConfig.IpcMode}}', id]).trim();
  const ids: string[] = [donor];
  for (const ipc of [undefined, 'host', 'none', 'private', 'shareable']) {
    const id = s.ok(['create', ...(ipc ? ['--ipc', ipc] : []), IMG, 'true']).trim();
    ids.push(id);
    assert.equal(mode(id), 'shareable', ipc ?? 'default');
  }
  const joined = s.ok(['create', '--ipc', 'container:ipcmode-donor', IMG, 'true']).trim();
  assert.equal(mode(joined), `container:${donor}`);
  // A pod's members join its infra container's IPC namespace (shared by default).
  s.ok(['pod', 'create', '--name', 'ipcmode-pod']);
  const infra = s.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'ipcmode-pod']).trim();
  const member = s.ok(['create', '--pod', 'ipcmode-pod', IMG, 'true']).trim();
  assert.equal(mode(member), `container:${infra}`);
  assert.equal(mode(infra), 'shareable');
  s.ok(['pod', 'rm', '-f', 'ipcmode-pod']);
  s.ok(['rm', joined, ...ids]);
});
