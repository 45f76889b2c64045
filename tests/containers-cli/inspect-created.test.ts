// inspect of a container that has not run yet, as podman 4.3.1's (which generates the spec at
// create): the create's command line, the capability sets, the annotations and the random host
// ports are there from the create on and stay; what only a start makes (the OCI config file,
// conmon's pid, the start's annotations) comes with the first start. Real runc + conmon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStoreForFile, PIER, REMOTE } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((st) => { s = st; });
const IMG = 'localhost/busybox';
const inspect = (name: string, format: string) => s.ok(['inspect', '--format', format, name]).trim();
const json = (name: string) => JSON.parse(s.ok(['inspect', name]))[0];

/** podman's default capability set (containers.conf's default_capabilities). */
const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];
/** What podman always records: the client's TTY, and the create's flags. */
const DEFAULTS = {
  'io.kubernetes.cri-o.TTY': 'false', 'io.podman.annotations.autoremove': 'FALSE', 'io.podman.annotations.init': 'FALSE',
  'io.podman.annotations.privileged': 'FALSE', 'io.podman.annotations.publish-all': 'FALSE',
};

test('Config.CreateCommand is the command line of the create or run that made the container, for good', () => {
  const args = ['create', '--name', 'cc-create', '--label', 'a=b', IMG, 'true'];
  s.ok(args);
  const want = [PIER, ...s.globalArgs(), ...args];
  assert.deepEqual(JSON.parse(inspect('cc-create', '{{json .Config.CreateCommand}}')), want);
  assert.deepEqual(json('cc-create').Config.CreateCommand, want);
  s.ok(['start', 'cc-create']);
  s.ok(['wait', 'cc-create']);
  assert.deepEqual(JSON.parse(inspect('cc-create', '{{json .Config.CreateCommand}}')), want, 'still the create\'s after a start');
  const runArgs = ['run', '--name', 'cc-run', IMG, 'true'];
  s.ok(runArgs);
  assert.deepEqual(JSON.parse(inspect('cc-run', '{{json .Config.CreateCommand}}')), [PIER, ...s.globalArgs(), ...runArgs]);
  // A pod's infra container was made by the pod create.
  const podArgs = ['pod', 'create', '--name', 'cc-pod'];
  s.ok(podArgs);
  const infra = s.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'cc-pod']).trim();
  assert.deepEqual(JSON.parse(inspect(infra, '{{json .Config.CreateCommand}}')), [PIER, ...s.globalArgs(), ...podArgs]);
  s.ok(['pod', 'rm', '-f', '-t', '0', 'cc-pod']);
  s.ok(['rm', 'cc-create', 'cc-run']);
});

test('before the first start: the spec\'s capability sets, podman\'s CapAdd/CapDrop, no OCI config or conmon yet', () => {
  const cases: [string[], string[] | null, string[] | null, string[], string[]][] = [
    // flags, EffectiveCaps, BoundingCaps, CapAdd, CapDrop (against the OCI generator's 14 defaults)
    [[], DEFAULT_CAPS, DEFAULT_CAPS, [], ['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW']],
    [['--cap-add', 'net_admin', '--cap-drop', 'chown'], DEFAULT_CAPS.filter((c) => c !== 'CAP_CHOWN').concat('CAP_NET_ADMIN').sort(),
      DEFAULT_CAPS.filter((c) => c !== 'CAP_CHOWN').concat('CAP_NET_ADMIN').sort(), ['CAP_NET_ADMIN'], ['CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_MKNOD', 'CAP_NET_RAW']],
    [['--cap-drop', 'all'], null, null, [], ['CAP_AUDIT_WRITE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_MKNOD',
      'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT']],
    // Another user than root gets only the capabilities added.
    [['--user', '1000'], null, DEFAULT_CAPS, [], ['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW']],
    [['--user', '1000', '--cap-add', 'net_raw'], ['CAP_NET_RAW'], [...DEFAULT_CAPS, 'CAP_NET_RAW'].sort(), [], ['CAP_AUDIT_WRITE', 'CAP_MKNOD']],
    [['--user', 'root:1000'], DEFAULT_CAPS, DEFAULT_CAPS, [], ['CAP_AUDIT_WRITE', 'CAP_MKNOD', 'CAP_NET_RAW']],
  ];
  for (const [flags, effective, bounding, add, drop] of cases) {
    const id = s.ok(['create', ...flags, IMG, 'true']).trim();
    const check = (when: string) => {
      const c = json(id);
      assert.deepEqual([c.EffectiveCaps, c.BoundingCaps, c.HostConfig.CapAdd, c.HostConfig.CapDrop], [effective, bounding, add, drop], `${flags.join(' ')} (${when})`);
      return c;
    };
    const created = check('created');
    // What only a start makes: podman's omitempty fields are left out (templates see their zero values).
    assert.equal('OCIConfigPath' in created, false);
    assert.equal('ConmonPid' in created.State, false);
    assert.equal(inspect(id, '{{.OCIConfigPath}}|{{.State.ConmonPid}}'), '|0');
    s.ok(['start', id]);
    s.ok(['wait', id]);
    const started = check('started');
    assert.equal(started.OCIConfigPath, path.join(started.StaticDir, 'config.json'));
    if (!REMOTE) assert.ok(fs.existsSync(started.OCIConfigPath));
    s.ok(['rm', id]);
  }
  // `init` makes the spec and starts conmon (podman's initialized state).
  const init = s.ok(['create', IMG, 'true']).trim();
  s.ok(['init', init]);
  assert.match(inspect(init, '{{.State.Status}} {{.State.ConmonPid}} {{.OCIConfigPath}}'), /^initialized [1-9]\d* \S+\/config\.json$/);
  s.ok(['rm', '-f', '-t', '0', init]);
  // A privileged container has every capability the engine has; CapDrop lists the rest of the known ones.
  const priv = json(s.ok(['create', '--privileged', IMG, 'true']).trim());
  assert.ok(priv.BoundingCaps.includes('CAP_SYS_ADMIN') && priv.BoundingCaps.includes('CAP_NET_RAW'));
  assert.deepEqual(priv.EffectiveCaps, priv.BoundingCaps);
  assert.deepEqual(priv.HostConfig.CapAdd, []);
  assert.ok(!priv.HostConfig.CapDrop.some((c: string) => priv.BoundingCaps.includes(c)));
  s.ok(['rm', priv.Id]);
});

test('annotations: podman\'s defaults and flags from the create on; a start adds its own to the spec; pods name the sandbox', () => {
  const cidfile = path.join(s.dir, 'ann.cid');
  s.ok(['create', '--name', 'ann', '--cidfile', cidfile, '-t', '--init', '-P', '--annotation', 'foo=bar',
    '--annotation', 'io.podman.annotations.init=bogus', '--security-opt', 'seccomp=unconfined', '--stop-signal', 'SIGUSR1', IMG, 'sleep', '1000']);
  const want = {
    ...DEFAULTS, foo: 'bar', 'io.kubernetes.cri-o.TTY': 'true', 'io.podman.annotations.init': 'TRUE',
    'io.podman.annotations.publish-all': 'TRUE', 'io.podman.annotations.cid-file': cidfile, 'io.podman.annotations.seccomp': 'unconfined',
  };
  let c = json('ann');
  assert.deepEqual(c.Config.Annotations, want);
  assert.deepEqual(Object.keys(c.Config.Annotations), Object.keys(want).sort(), 'sorted, as a Go map');
  assert.equal(c.HostConfig.ContainerIDFile, cidfile);
  s.ok(['start', 'ann']);
  c = json('ann');
  // The creation time as Go's RFC 3339 with nanoseconds (trailing zeros dropped).
  const created = new Date(c.Created).toISOString().replace(/\.?0+Z$/, 'Z');
  assert.deepEqual(c.Config.Annotations, {
    ...want, 'io.container.manager': 'libpod', 'io.kubernetes.cri-o.Created': created, 'org.opencontainers.image.stopSignal': '10',
  });
  if (!REMOTE) assert.deepEqual(JSON.parse(fs.readFileSync(c.OCIConfigPath, 'utf8')).annotations, c.Config.Annotations);
  s.ok(['rm', '-f', '-t', '0', 'ann']);
  s.ok(['create', '--name', 'ann-vol', IMG, 'true']);
  const rm = s.ok(['create', '--rm', '--privileged', '--volumes-from', 'ann-vol:ro', IMG, 'true']).trim();
  assert.deepEqual(json(rm).Config.Annotations, {
    ...DEFAULTS, 'io.podman.annotations.autoremove': 'TRUE', 'io.podman.annotations.privileged': 'TRUE', 'io.podman.annotations.volumes-from': 'ann-vol:ro',
  });
  s.ok(['rm', rm, 'ann-vol']);

  // A pod member's sandbox is the pod's infra container; without one, the pod.
  s.ok(['pod', 'create', '--name', 'ann-pod']);
  s.ok(['pod', 'create', '--name', 'ann-bare', '--infra=false']);
  const infra = s.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'ann-pod']).trim();
  const bare = s.ok(['pod', 'inspect', '--format', '{{.Id}}', 'ann-bare']).trim();
  assert.deepEqual(json(infra).Config.Annotations, DEFAULTS);
  for (const [pod, sandbox] of [['ann-pod', infra], ['ann-bare', bare]]) {
    const id = s.ok(['create', '--pod', pod, IMG, 'true']).trim();
    assert.deepEqual(json(id).Config.Annotations, { ...DEFAULTS, 'io.kubernetes.cri-o.ContainerType': 'container', 'io.kubernetes.cri-o.SandboxID': sandbox });
  }
  s.ok(['pod', 'rm', '-f', '-t', '0', 'ann-pod', 'ann-bare']);
});

test('random host ports are picked at create and kept across starts; `port` shows a running container\'s only', () => {
  s.ok(['create', '--name', 'rp', '-p', '80', '-p', '127.0.0.1::81/udp', '-p', '9000-9001', '--expose', '7000', '-P', IMG, 'sleep', '1000']);
  const bindings = () => JSON.parse(inspect('rp', '{{json .HostConfig.PortBindings}}')) as Record<string, { HostIp: string; HostPort: string }[]>;
  const before = bindings();
  assert.deepEqual(Object.keys(before).sort(), ['7000/tcp', '80/tcp', '81/udp', '9000/tcp', '9001/tcp']);
  for (const [k, b] of Object.entries(before)) {
    assert.equal(b.length, 1, k);
    assert.ok(Number(b[0].HostPort) >= 1024, `${k}: a host port is picked at create (${b[0].HostPort})`);
  }
  assert.equal(before['81/udp'][0].HostIp, '127.0.0.1');
  assert.equal(Number(before['9001/tcp'][0].HostPort), Number(before['9000/tcp'][0].HostPort) + 1, 'a range stays a range');
  assert.deepEqual(JSON.parse(inspect('rp', '{{json .NetworkSettings.Ports}}')), before);
  const ps = s.ok(['ps', '-a', '--filter', 'name=^rp$', '--format', '{{.Ports}}']);
  assert.match(ps, new RegExp(`0\\.0\\.0\\.0:${before['80/tcp'][0].HostPort}->80/tcp`));
  // podman's port: nothing for a container that does not run, not even for a port asked for.
  assert.deepEqual(s.run(['port', 'rp']), { code: 0, stdout: '', stderr: '' });
  assert.deepEqual(s.run(['port', 'rp', '80']), { code: 0, stdout: '', stderr: '' });
  const lines = (b: typeof before) => Object.entries(b).map(([k, v]) => `${k} -> ${v[0].HostIp || '0.0.0.0'}:${v[0].HostPort}`).sort();
  s.ok(['start', 'rp']);
  assert.deepEqual(bindings(), before);
  assert.deepEqual(s.ok(['port', 'rp']).trim().split('\n').sort(), lines(before));
  assert.equal(s.ok(['port', 'rp', '9001']), `0.0.0.0:${before['9001/tcp'][0].HostPort}\n`);
  const miss = s.run(['port', 'rp', '9999']);
  assert.deepEqual([miss.code, miss.stderr], [125, 'Error: failed to find published port "9999"\n']);
  // --all: every line starts with the short ID and a tab.
  const id = inspect('rp', '{{.Id}}');
  assert.ok(s.ok(['port', '--all']).trim().split('\n').includes(`${id.slice(0, 12)}\t80/tcp -> 0.0.0.0:${before['80/tcp'][0].HostPort}`));
  assert.equal(s.run(['port', '--all', 'rp']).stderr, 'Error: no arguments are needed with --all\n');
  s.ok(['restart', '-t', '0', 'rp']);
  assert.deepEqual(bindings(), before, 'the same ports after a restart');
  assert.deepEqual(s.ok(['port', 'rp']).trim().split('\n').sort(), lines(before));
  s.ok(['stop', '-t', '0', 'rp']);
  assert.deepEqual(bindings(), before);
  assert.equal(s.ok(['port', 'rp']), '');
  s.ok(['rm', 'rp']);
});

test('Config.Env: the create\'s environment until the first start, then the start\'s (HOME, then HOSTNAME); exec gets no HOSTNAME', () => {
  const id = s.ok(['create', '--network', 'none', '-e', 'A=1', IMG, 'sleep', '60']).trim();
  try {
    const env = () => JSON.parse(inspect(id, '{{json .Config.Env}}')) as string[];
    const before = env();
    assert.ok(before.includes('A=1'), before.join(' '));
    assert.ok(!before.some((e) => e.startsWith('HOSTNAME=') || e.startsWith('HOME=')), before.join(' '));
    s.ok(['start', id]);
    assert.deepEqual(env(), [...before, 'HOME=/root', `HOSTNAME=${id.slice(0, 12)}`]);
    const ex = s.ok(['exec', id, 'env']).split('\n');
    assert.ok(!ex.some((e) => e.startsWith('HOSTNAME=')), ex.join(' '));
    assert.ok(ex.includes('HOME=/root'));
    // The process itself has it, after HOME (podman's order); one given with -e is kept as given.
    assert.match(s.ok(['run', '--rm', '--network', 'none', IMG, 'env']), /^HOME=\/root\nHOSTNAME=[0-9a-f]{12}\n$/m);
    assert.match(s.ok(['run', '--rm', '--network', 'none', '-e', 'HOSTNAME=mine', IMG, 'env']), /^HOSTNAME=mine$/m);
  } finally {
    s.run(['rm', '-f', '-t', '0', id]);
  }
});

test('Config.sdNotifyMode (--sdnotify, checked as podman checks it) and State.CgroupPath while the container runs', () => {
  const id = s.ok(['create', '--network', 'none', IMG, 'sleep', '60']).trim();
  try {
    assert.equal(json(id).Config.sdNotifyMode, 'container');
    assert.equal(json(id).State.CgroupPath, undefined);
    s.ok(['start', id]);
    assert.match(json(id).State.CgroupPath, new RegExp(`^/.+${id}`));
    s.ok(['stop', '-t', '0', id]);
    assert.equal(json(id).State.CgroupPath, undefined, 'gone once it stopped');
  } finally {
    s.run(['rm', '-f', '-t', '0', id]);
  }
  const c = s.ok(['create', '--network', 'none', '--sdnotify', 'ignore', IMG, 'true']).trim();
  assert.equal(json(c).Config.sdNotifyMode, 'ignore');
  s.ok(['rm', c]);
  const bad = s.run(['create', '--sdnotify', 'foo', IMG, 'true']);
  assert.deepEqual([bad.code, bad.stderr], [125, 'Error: invalid config provided: invalid argument: invalid sdnotify value "foo": must be container, conmon or ignore\n']);
});

test('inspect templates print the times as podman\'s time.Time fields; the JSON keeps RFC 3339', () => {
  const id = s.ok(['create', '--network', 'none', IMG, 'true']).trim();
  try {
    const [created, started] = inspect(id, '{{.Created}}|{{.State.StartedAt}}').split('|');
    assert.match(created, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
    assert.equal(started, '0001-01-01 00:00:00 +0000 UTC');
    assert.match(json(id).Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(json(id).State.StartedAt, '0001-01-01T00:00:00Z');
  } finally {
    s.run(['rm', id]);
  }
});

test('templates see the zero values of the fields podman\'s JSON omits when empty (not <no value>), the JSON still omits them', () => {
  const id = s.ok(['create', '--network', 'none', '-v', '/tmp:/hosttmp', IMG, 'true']).trim();
  try {
    const fields = ['.State.CgroupPath', '.State.ConmonPid', '.State.Checkpointed', '.State.Restored', '.State.CheckpointLog',
      '.Config.Healthcheck', '.Config.Secrets', '.Config.ChrootDirs', '.Config.Passwd', '.Config.SystemdMode', '.Config.Timezone',
      '.HostConfig.IDMappings', '.HostConfig.Init', '.NetworkSettings.Networks', '.NetworkSettings.SecondaryIPAddresses', '.SizeRw', '.SizeRootFs'];
    const got = inspect(id, fields.map((f) => `{{${f}}}`).join('|')).split('|');
    // podman 4.3.1's output for the same template.
    assert.deepEqual(Object.fromEntries(fields.map((f, i) => [f, got[i]])), {
      '.State.CgroupPath': '', '.State.ConmonPid': '0', '.State.Checkpointed': 'false', '.State.Restored': 'false', '.State.CheckpointLog': '',
      '.Config.Healthcheck': '<nil>', '.Config.Secrets': '[]', '.Config.ChrootDirs': '[]', '.Config.Passwd': 'true',
      '.Config.SystemdMode': 'false', '.Config.Timezone': '', '.HostConfig.IDMappings': '<nil>', '.HostConfig.Init': 'false',
      '.NetworkSettings.Networks': 'map[]', '.NetworkSettings.SecondaryIPAddresses': '[]', '.SizeRw': '<nil>', '.SizeRootFs': '0',
    });
    // Go's nil slice and map print as JSON null; a bind mount's volume Name is ''.
    assert.equal(inspect(id, '{{json .State.CgroupPath}} {{json .NetworkSettings.Networks}} {{range .Mounts}}[{{.Name}}]{{end}}'), '"" null []');
    const j = json(id);
    for (const k of ['CgroupPath', 'ConmonPid', 'Checkpointed', 'Restored']) assert.equal(k in j.State, false, k);
    assert.equal('IDMappings' in j.HostConfig, false);
    assert.equal('Networks' in j.NetworkSettings, false);
    assert.equal('Name' in j.Mounts[0], false);
  } finally {
    s.run(['rm', id]);
  }
});
