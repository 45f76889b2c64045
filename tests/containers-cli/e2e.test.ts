// End-to-end: the built CLI (dist/pier.js) running real busybox containers in a private store.
// PIER_TEST_BIN may point at another build of the CLI.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestStore, PIER, REMOTE, Result } from '../helpers/cli';
import { writeDockerArchive, busyboxImage } from '../fixtures/images';

const BIN = process.env.PIER_TEST_BIN ?? PIER;
const IMAGE = 'localhost/busybox:latest';

describe('container commands end to end', () => {
  let ts: TestStore;
  const run = (args: string[], input?: string): Result => {
    const r = spawnSync(process.execPath, [BIN, ...ts.globalArgs(), ...args], { env: ts.env(), input, timeout: 60_000 });
    return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
  };
  const ok = (args: string[]): string => {
    const r = run(args);
    assert.equal(r.code, 0, `pier ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    ts = new TestStore({ driver: 'vfs' });
    const archive = path.join(ts.dir, 'busybox.tar');
    await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: [IMAGE] }]);
    ok(['load', '-q', '-i', archive]);
  });
  after(() => {
    spawnSync(process.execPath, [BIN, ...ts.globalArgs(), 'rm', '-a', '-f', '-t', '0'], { env: ts.env(), timeout: 60_000 });
    ts.cleanup();
  });

  test('run -d, ps, logs, exec, stop, rm', () => {
    const id = ok(['run', '-d', '--name', 'sleeper', IMAGE, 'sh', '-c', 'echo started; exec sleep 1000']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const ps = ok(['ps']).trimEnd().split('\n');
    assert.match(ps[0], /^CONTAINER ID {2}IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
    const row = ps.find((l) => l.startsWith(id.slice(0, 12)));
    assert.ok(row, ps.join('\n'));
    assert.match(row!, new RegExp(`^${id.slice(0, 12)} {2}localhost/busybox:latest {2}sh -c echo starte\\.\\.\\. +\\S.* ago {2}Up .* ago +sleeper$`));
    assert.deepEqual(ok(['ps', '-q', '--no-trunc']).trim().split('\n'), [id]);
    assert.equal(ok(['ps', '--format', '{{.Names}} {{.Image}}']), `sleeper ${IMAGE}\n`);
    const json = JSON.parse(ok(['ps', '--format', 'json']));
    assert.equal(json[0].Id, id);
    assert.equal(json[0].State, 'running');
    assert.match(json[0].Status, /^Up /);

    // Logs appear once the process has written them.
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('started'); i++) { logs = ok(['logs', 'sleeper']); spawnSync('sleep', ['0.1']); }
    assert.equal(logs, 'started\n');

    const ex = run(['exec', 'sleeper', 'sh', '-c', 'echo in-$HOSTNAME >&2; echo out; exit 4']);
    assert.equal(ex.code, 4);
    assert.equal(ex.stdout, 'out\n');
    assert.match(ex.stderr, /^in-/);
    assert.equal(run(['exec', 'sleeper', 'nonexistent-cmd']).code, 127);
    assert.equal(run(['exec', '-e', 'FOO=bar', 'sleeper', 'sh', '-c', 'echo $FOO']).stdout, 'bar\n');

    const rmRunning = run(['rm', 'sleeper']);
    assert.equal(rmRunning.code, 2);
    assert.match(rmRunning.stderr, /running or paused containers cannot be removed without force/);

    assert.equal(ok(['stop', '-t', '1', 'sleeper']), 'sleeper\n');
    assert.equal(ok(['ps', '-q']), '');
    assert.match(ok(['ps', '-a', '--filter', 'name=sleeper', '--format', '{{.Status}}']), /^Exited \(\d+\) .* ago\n$/);
    assert.equal(ok(['rm', 'sleeper']), 'sleeper\n');
    assert.equal(run(['container', 'exists', 'sleeper']).code, 1);
  });

  test('exec -d prints the exec session ID and returns while the process runs', () => {
    ok(['run', '-d', '--name', 'execd', IMAGE, 'sleep', '1000']);
    try {
      const t0 = Date.now();
      const r = run(['exec', '-d', 'execd', 'sh', '-c', 'echo up > /tmp/marker; echo out; exec sleep 300']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^[0-9a-f]{64}\n$/, 'only the session ID: the process\'s output is not ours');
      assert.ok(Date.now() - t0 < 30_000, 'returned without waiting for the process');
      let marker = '';
      for (let i = 0; i < 50 && marker !== 'up\n'; i++) { marker = run(['exec', 'execd', 'cat', '/tmp/marker']).stdout; spawnSync('sleep', ['0.1']); }
      assert.equal(marker, 'up\n');
      assert.match(ok(['exec', 'execd', 'ps', '-o', 'args']), /sleep 300/);
      if (!REMOTE) {
        // podman: a command that cannot be run is an engine error here (125), not 127
        const bad = run(['exec', '-d', 'execd', 'nonexistent-cmd']);
        assert.equal(bad.code, 125);
        assert.match(bad.stderr, /executable file not found in \$PATH/);
        // the session's directory goes when its process exits (conmon's exit command)
        const execRoot = path.join(ts.runroot, 'containers', ok(['inspect', '--format', '{{.Id}}', 'execd']).trim(), 'exec');
        ok(['exec', 'execd', 'sh', '-c', 'kill $(pidof sleep | tr " " "\\n" | sort -n | tail -1)']);
        let left = ['x'];
        for (let i = 0; i < 100 && left.length; i++) { left = fs.existsSync(execRoot) ? fs.readdirSync(execRoot) : []; spawnSync('sleep', ['0.1']); }
        assert.deepEqual(left, []);
      }
    } finally {
      run(['rm', '-f', '-t', '0', 'execd']);
    }
  });

  test('attached run streams output and propagates the exit code', () => {
    const r = run(['run', '--rm', '-l', 'e2e=rm', IMAGE, 'sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(ok(['run', '--rm', '-l', 'e2e=rm', '-e', 'GREETING=hi there', IMAGE, 'sh', '-c', 'echo "$GREETING"']), 'hi there\n');
    // --rm left nothing behind.
    assert.equal(ok(['ps', '-a', '-q', '--filter', 'label=e2e=rm']), '');
  });

  test('commands that cannot run: 127 not found, 126 not executable', () => {
    const nf = run(['run', '--rm', IMAGE, 'nonexistent-cmd']);
    assert.equal(nf.code, 127, nf.stderr);
    assert.match(nf.stderr, /^Error: .*(not found|no such file)/m);
    const ne = run(['run', '--rm', IMAGE, '/etc/passwd']);
    assert.equal(ne.code, 126, ne.stderr);
  });

  test('create, start, wait, cidfile, inspect, rm -f', () => {
    const cidfile = path.join(ts.dir, 'ctr.cid');
    const id = ok(['create', '--name', 'later', '--cidfile', cidfile, '-l', 'tier=test', IMAGE, 'sh', '-c', 'echo ran; exit 7']).trim();
    assert.equal(fs.readFileSync(cidfile, 'utf8'), id);
    const again = run(['create', '--cidfile', cidfile, IMAGE, 'true']);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /^Error: container id file exists\. Ensure another container is not using it or delete /);
    assert.equal(ok(['ps', '-a', '--filter', 'label=tier=test', '--format', '{{.Names}} {{.Status}}']), 'later Created\n');
    assert.equal(ok(['start', 'later']), 'later\n');
    assert.equal(ok(['wait', 'later']), '7\n');
    assert.equal(ok(['logs', 'later']), 'ran\n');
    assert.equal(ok(['ps', '-a', '--filter', 'exited=7', '--format', '{{.ID}}']), `${id.slice(0, 12)}\n`);
    const insp = JSON.parse(ok(['container', 'inspect', 'later']));
    assert.equal(insp[0].Id, id);
    assert.equal(ok(['container', 'inspect', '--format', '{{.Name}} {{.State.ExitCode}}', 'later']), 'later 7\n');
    const missing = run(['container', 'inspect', 'later', 'nope']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /^Error: inspecting object: no such container nope$/m);
    assert.equal(ok(['rm', '-f', id]), `${id}\n`);
    const gone = run(['rm', 'later']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'Error: no container with name or ID "later" found: no such container\n');
    assert.equal(run(['rm', '-i', 'later']).code, 0);
    // -f ignores a missing name and still removes the others (docker's rm -f).
    const other = ok(['create', '--name', 'other', IMAGE, 'true']).trim();
    const forced = run(['rm', '-f', 'nope', 'other']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stdout, 'other\n');
    assert.equal(forced.stderr, '');
    assert.equal(run(['container', 'exists', other]).code, 1);
    assert.equal(run(['rm', '-f', 'nope']).code, 0);
  });

  test('inspect and ps print Go maps with sorted keys (podman\'s encoding/json), structs in field order', () => {
    const id = ok(['create', '--name', 'maps', '-l', 'zz=1', '-l', 'aa=2', '-l', '10=x', '-l', '9=y', '--annotation', 'zz=1', '--annotation', 'aa=2',
      '-p', '8080:80', '-p', '1234:443/udp', '--expose', '9999', '--expose', '5000-5001/udp', '--tmpfs', '/zz', '--tmpfs', '/aa:size=1m', IMAGE, 'true']).trim();
    const fmt = (f: string) => ok(['inspect', '--format', f, id]).trim();
    // (The image has a label of its own: org.pier.fixture.)
    assert.equal(fmt('{{json .Config.Labels}}'), '{"10":"x","9":"y","aa":"2","org.pier.fixture":"busybox","zz":"1"}');
    assert.equal(fmt('{{.Config.Labels}}'), 'map[10:x 9:y aa:2 org.pier.fixture:busybox zz:1]');
    // The user's among podman's own (its client's TTY, its create's flags), sorted.
    assert.equal(fmt('{{json .Config.Annotations}}'), '{"aa":"2","io.kubernetes.cri-o.TTY":"false","io.podman.annotations.autoremove":"FALSE",'
      + '"io.podman.annotations.init":"FALSE","io.podman.annotations.privileged":"FALSE","io.podman.annotations.publish-all":"FALSE","zz":"1"}');
    // podman's port map: the published ports, then the exposed ones (--expose, the image's) as null.
    const ports = '{"443/udp":[{"HostIp":"","HostPort":"1234"}],"5000/udp":null,"5001/udp":null,"80/tcp":[{"HostIp":"","HostPort":"8080"}],"9999/tcp":null}';
    assert.equal(fmt('{{json .NetworkSettings.Ports}}'), ports);
    assert.equal(fmt('{{json .HostConfig.PortBindings}}'), ports);
    // To a template, each binding is podman's InspectHostPort struct.
    assert.equal(fmt('{{.NetworkSettings.Ports}}'), 'map[443/udp:[{ 1234}] 5000/udp:[] 5001/udp:[] 80/tcp:[{ 8080}] 9999/tcp:[]]');
    assert.equal(fmt('{{json .HostConfig.Tmpfs}}'), '{"/aa":"size=1m,rw,rprivate,nosuid,nodev,tmpcopyup","/zz":"rw,rprivate,nosuid,nodev,tmpcopyup"}');
    // The whole document: maps sorted, the Config struct in podman's field order.
    const text = ok(['inspect', id]);
    assert.match(text, /\n {15}"Labels": \{\n {20}"10": "x",\n {20}"9": "y",\n {20}"aa": "2",\n {20}"org.pier.fixture": "busybox",\n {20}"zz": "1"\n {15}\},\n {15}"Annotations": \{\n {20}"aa": "2",\n {20}"io\.kubernetes\.cri-o\.TTY": "false",\n(?: {20}"io\.podman\.annotations\.[a-z-]+": "FALSE",\n){4} {20}"zz": "1"\n {15}\},\n {15}"StopSignal"/);
    assert.match(text, /"Ports": \{\n {20}"443\/udp": \[/);
    assert.equal(ok(['ps', '-a', '--filter', `id=${id}`, '--format', '{{json .Labels}}']), '{"10":"x","9":"y","aa":"2","org.pier.fixture":"busybox","zz":"1"}\n');
    assert.match(ok(['ps', '-a', '--filter', `id=${id}`, '--format', 'json']), /\n {4}"Labels": \{\n {6}"10": "x",\n {6}"9": "y",\n {6}"aa": "2",\n {6}"org.pier.fixture": "busybox",\n {6}"zz": "1"\n {4}\},\n/);
    // HostConfig is podman's InspectContainerHostConfig: its fields, in its order.
    const info = JSON.parse(text)[0];
    assert.deepEqual(Object.keys(info.HostConfig), [
      'Binds', 'CgroupManager', 'CgroupMode', 'ContainerIDFile', 'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'VolumeDriver',
      'VolumesFrom', 'CapAdd', 'CapDrop', 'Dns', 'DnsOptions', 'DnsSearch', 'ExtraHosts', 'GroupAdd', 'IpcMode', 'Cgroup', 'Cgroups', 'Links', 'OomScoreAdj',
      'PidMode', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'SecurityOpt', 'Tmpfs', 'UTSMode', 'UsernsMode', 'ShmSize', 'Runtime', 'ConsoleSize',
      'Isolation', 'CpuShares', 'Memory', 'NanoCpus', 'CgroupParent', 'BlkioWeight', 'BlkioWeightDevice', 'BlkioDeviceReadBps', 'BlkioDeviceWriteBps',
      'BlkioDeviceReadIOps', 'BlkioDeviceWriteIOps', 'CpuPeriod', 'CpuQuota', 'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'Devices',
      'DiskQuota', 'KernelMemory', 'MemoryReservation', 'MemorySwap', 'MemorySwappiness', 'OomKillDisable', 'Init', 'PidsLimit', 'Ulimits', 'CpuCount',
      'CpuPercent', 'IOMaximumIOps', 'IOMaximumBandwidth', 'CgroupConf',
    ]);
    assert.deepEqual([info.HostConfig.Cgroups, info.HostConfig.Runtime, info.HostConfig.ConsoleSize, info.HostConfig.Links, info.IsInfra, info.IsService],
      ['default', 'oci', [0, 0], null, false, false]);
    // Without a network of its own a container has no port map (podman: host, none, container:X).
    const host = ok(['create', '--network', 'host', '--expose', '9999', IMAGE, 'true']).trim();
    assert.equal(ok(['inspect', '--format', '{{json .NetworkSettings.Ports}} {{json .HostConfig.PortBindings}}', host]), '{} {}\n');
    ok(['rm', id, host]);
  });

  // podman-remote has no --cgroup-manager (the service's configuration decides).
  test('--cgroup-manager is recorded per container and shown by inspect; pier places it with cgroupfs', { skip: REMOTE }, () => {
    assert.equal(ok(['info', '--format', '{{.Host.CgroupManager}}']), 'cgroupfs\n');
    assert.equal(ok(['--cgroup-manager=systemd', 'info', '--format', '{{.Host.CgroupManager}}']), 'systemd\n');
    const r = run(['--cgroup-manager=systemd', 'run', '--name', 'sdcg', IMAGE, 'cat', '/proc/self/cgroup']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    // Placed by pier with cgroupfs all the same: no systemd scope.
    const id = ok(['inspect', '--format', '{{.Id}}', 'sdcg']).trim();
    assert.match(r.stdout, new RegExp(`^0::/pier_parent/pier-${id}$`, 'm'));
    assert.equal(ok(['container', 'inspect', '--format', '{{.HostConfig.CgroupManager}}', 'sdcg']), 'systemd\n');
    // The recorded value stays, whatever a later command is given; starting again just works.
    assert.equal(ok(['--cgroup-manager=cgroupfs', 'container', 'inspect', '--format', '{{.HostConfig.CgroupManager}}', 'sdcg']), 'systemd\n');
    assert.equal(ok(['start', '-a', 'sdcg']), r.stdout);
    assert.equal(ok(['inspect', '--format', '{{.HostConfig.CgroupManager}}', 'sdcg']), 'systemd\n');
    // Default: cgroupfs; HostConfig.CgroupParent is empty for the default parent, else the one given.
    ok(['create', '--name', 'fscg', IMAGE, 'true']);
    assert.equal(ok(['inspect', '--format', '{{.HostConfig.CgroupManager}}|{{.HostConfig.CgroupParent}}', 'fscg']), 'cgroupfs|\n');
    ok(['create', '--name', 'parentcg', '--cgroup-parent', '/pier_test_parent', IMAGE, 'true']);
    assert.equal(ok(['inspect', '--format', '{{.HostConfig.CgroupParent}}', 'parentcg']), '/pier_test_parent\n');
    const bad = run(['--cgroup-manager=upstart', 'ps']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: configuring runtime: cgroup manager must be one of cgroupfs and systemd: invalid argument\n');
    ok(['rm', 'sdcg', 'fscg', 'parentcg']);
  });

  test('--env-file is read by pier, not by node: a missing file gets podman\'s error and 125', () => {
    // Started by its shebang, as users start it (node 20 checks --env-file anywhere in its
    // arguments unless a `--` comes first, and exits 9 on a missing file).
    const direct = (args: string[]) => {
      const r = spawnSync(BIN, [...ts.globalArgs(), ...args], { env: ts.env(), timeout: 60_000 });
      return { code: r.status ?? -1, stdout: r.stdout?.toString() ?? '', stderr: r.stderr?.toString() ?? '' };
    };
    const envFile = path.join(ts.dir, 'ctr.env');
    // Were it ever loaded into pier's own environment, this CONTAINERS_CONF would fail the command.
    fs.writeFileSync(envFile, 'CONTAINERS_CONF=/nonexistent/containers.conf\nFOO=bar\n');
    const r = direct(['run', '--rm', '--network', 'none', '--env-file', envFile, IMAGE, 'sh', '-c', 'echo $FOO $CONTAINERS_CONF']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'bar /nonexistent/containers.conf\n');
    const missing = path.join(ts.dir, 'missing.env');
    const m = direct(['run', '--rm', '--env-file', missing, IMAGE, 'true']);
    assert.equal(m.code, 125);
    assert.equal(m.stderr, `Error: parsing env file "${missing}": open ${missing}: no such file or directory\n`);
    const d = direct(['run', '--rm', '--env-file', ts.dir, IMAGE, 'true']);
    assert.equal(d.code, 125);
    assert.equal(d.stderr, `Error: parsing env file "${ts.dir}": read ${ts.dir}: is a directory\n`);
  });

  test('bad flag values fail with exit 125 before anything is created', () => {
    const before = ok(['ps', '-a', '-q']);
    const r = run(['run', '--memory', '12x', IMAGE, 'true']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, "Error: invalid value for memory: invalid size: '12x'\n");
    const c = run(['run', '--cpus', 'abc', IMAGE, 'true']);
    assert.equal(c.code, 125);
    assert.equal(c.stderr, 'Error: invalid argument "abc" for "--cpus" flag: strconv.ParseFloat: parsing "abc": invalid syntax\nSee \'pier run --help\'\n');
    assert.equal(ok(['ps', '-a', '-q']), before);
  });

  test('what podman checks when it makes the spec fails the create (125), not the start: host-namespace sysctls, namespace paths, profiles', () => {
    const before = ok(['ps', '-a', '-q']);
    let apparmor = false;
    try { apparmor = fs.readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y'; } catch { /* none */ }
    for (const [args, msg] of [
      [['--network', 'host', '--sysctl', 'net.ipv4.ip_forward=1'], "sysctl net.ipv4.ip_forward=1 can't be set since Network Namespace set to host: invalid argument"],
      [['--ipc', 'host', '--sysctl', 'fs.mqueue.msg_max=20'], "sysctl fs.mqueue.msg_max=20 can't be set since IPC Namespace set to host: invalid argument"],
      [['--uts', 'ns:/nonexist'], 'cannot find specified UTS namespace path: stat /nonexist: no such file or directory'],
      [['--pid', 'ns:/nonexist'], 'cannot find specified PID namespace path: stat /nonexist: no such file or directory'],
      [['--security-opt', 'seccomp=/nonexist.json'], 'opening seccomp profile failed: open /nonexist.json: no such file or directory'],
      ...(apparmor ? [] : [[['--security-opt', 'apparmor=foo'], 'apparmor profile "foo" specified, but Apparmor is not enabled on this system']]),
    ] as [string[], string][]) {
      const r = run(['create', ...args, IMAGE, 'true']);
      assert.deepEqual([r.code, r.stderr], [125, `Error: ${msg}\n`], args.join(' '));
    }
    assert.equal(ok(['ps', '-a', '-q']), before);
    // In the host's UTS namespace HOSTNAME is the host's name; /etc/hostname keeps the ID (podman's).
    const id = ok(['create', '--uts', 'host', IMAGE, 'sh', '-c', 'hostname; cat /etc/hostname; echo; echo $HOSTNAME']).trim();
    assert.equal(ok(['start', '-a', id]), `${os.hostname()}\n${id.slice(0, 12)}\n${os.hostname()}\n`);
    ok(['rm', id]);
  });

  test('logs of several containers: short ids before each one\'s lines, names with -n (not for one), --color in podman\'s colors; pod logs name them (the infra counts)', () => {
    ok(['run', '--name', 'lga', IMAGE, 'echo', 'from-a']);
    ok(['run', '--name', 'lgb', IMAGE, 'echo', 'from-b']);
    const id = (n: string) => ok(['inspect', '--format', '{{.Id}}', n]).trim().slice(0, 12);
    const sorted = (t: string) => t.trim().split('\n').sort();
    assert.equal(ok(['logs', '-n', 'lga']), 'from-a\n');
    assert.deepEqual(sorted(ok(['logs', 'lga', 'lgb'])), [`${id('lga')} from-a`, `${id('lgb')} from-b`].sort());
    assert.deepEqual(sorted(ok(['logs', '-n', 'lga', 'lgb'])), ['lga from-a', 'lgb from-b']);
    assert.deepEqual(sorted(ok(['logs', '--color', '-n', 'lga', 'lgb'])), ['\x1b[31mlgb from-b\x1b[0m', '\x1b[37mlga from-a\x1b[0m']);
    ok(['pod', 'create', '--name', 'lgp']);
    ok(['run', '--pod', 'lgp', '--name', 'lgc', IMAGE, 'echo', 'in-pod']);
    assert.equal(ok(['pod', 'logs', 'lgp']), `${id('lgc')} in-pod\n`);
    // --color's colors go by the index in the pod's containers ordered by ID, the infra among them (podman's).
    const members = (JSON.parse(ok(['pod', 'inspect', 'lgp'])).Containers as { Id: string }[]).map((c) => c.Id).sort();
    const color = ['37', '31'][members.indexOf(ok(['inspect', '--format', '{{.Id}}', 'lgc']).trim())];
    assert.equal(ok(['pod', 'logs', '-n', '--color', 'lgp']), `\x1b[${color}mlgc in-pod\x1b[0m\n`);
    ok(['pod', 'rm', '-f', 'lgp']);
    ok(['rm', 'lga', 'lgb']);
  });
});
