// Pods with the real runtime, catatonit infra containers, netavark and aardvark-dns: lifecycle
// commands, shared namespaces (localhost between members), ports published through the pod, and
// nothing left behind on removal.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TestStore, busyboxStoreForFile, REMOTE } from '../helpers/cli';
import { get, retry } from '../helpers/http';

let s: TestStore;
const tag = randomBytes(3).toString('hex');



const inspect = (kind: string, name: string, f: string) => s.ok([kind, 'inspect', '--format', f, name]).trim();

/** GET the pod's published port; on failure the error says what the host's NAT rules and the pod looked like. */
async function fetchPublished(pod: string, port: number): Promise<string> {
  try {
    return await retry(() => get(port));
  } catch (e) {
    const nat = spawnSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes(String(port)));
    const ps = s.run(['ps', '-a', '--pod', '--filter', `pod=${pod}`, '--format', '{{.Names}} {{.Status}} {{.Pid}}']).stdout;
    throw new Error(`GET 127.0.0.1:${port}: ${(e as Error).message}\nNAT rules naming the port:\n${nat.join('\n')}\npod members:\n${ps}`);
  }
}

busyboxStoreForFile((x) => { s = x; });

describe('pods', () => {
  test('create, ps, inspect, start, stop, rm: podman\'s lifecycle and output', () => {
    const name = `life-${tag}`;
    const id = s.ok(['pod', 'create', '--name', name, '--label', 'app=web']).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(s.run(['pod', 'exists', name]).code, 0);
    assert.equal(s.run(['pod', 'exists', `nope-${tag}`]).code, 1);
    // The infra container exists, from the locally built pause image.
    const infra = inspect('pod', name, '{{.InfraContainerID}}');
    assert.match(infra, /^[0-9a-f]{64}$/);
    assert.match(s.ok(['inspect', '--format', '{{.ImageName}}', infra]), /localhost\/pier-pause:/);
    assert.equal(inspect('pod', name, '{{.State}}'), 'Created');
    const table = s.ok(['pod', 'ps']).split('\n');
    assert.match(table[0], /^POD ID\s+NAME\s+STATUS\s+CREATED\s+INFRA ID\s+# OF CONTAINERS$/);
    assert.ok(table.some((l) => l.startsWith(id.slice(0, 12)) && l.includes(name) && /Created/.test(l) && / 1$/.test(l)));
    const ctr = s.ok(['create', '--pod', name, '--name', `member-${tag}`, 'localhost/busybox', 'sleep', '1000']).trim();
    assert.equal(inspect('pod', name, '{{.NumContainers}}'), '2');
    assert.equal(s.ok(['ps', '-a', '--filter', `id=${ctr}`, '--format', '{{.PodName}}']).trim(), name);
    // start: infra first, then members
    assert.equal(s.ok(['pod', 'start', name]).trim(), id);
    assert.equal(inspect('pod', name, '{{.State}}'), 'Running');
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', `member-${tag}`]).trim(), 'running');
    assert.match(s.ok(['pod', 'ps', '--ctr-names', '--ctr-status', '--filter', `name=${name}`]), new RegExp(`member-${tag}`));
    const json = JSON.parse(s.ok(['pod', 'ps', '--format', 'json']));
    const row = json.find((p: any) => p.Name === name);
    assert.equal(row.Status, 'Running');
    assert.equal(row.Labels.app, 'web');
    assert.equal(row.Containers.length, 2);
    // The infra container cannot be removed on its own; a running pod not without -f.
    assert.equal(s.run(['rm', '-f', infra]).code, 125);
    const busy = s.run(['pod', 'rm', name]);
    assert.equal(busy.code, 125);
    assert.match(busy.stderr, /running/);
    // pause, unpause, stop
    s.ok(['pod', 'pause', name]);
    assert.equal(inspect('pod', name, '{{.State}}'), 'Paused');
    s.ok(['pod', 'unpause', name]);
    s.ok(['pod', 'stop', '-t', '0', name]);
    assert.equal(inspect('pod', name, '{{.State}}'), 'Exited');
    s.ok(['pod', 'restart', name]);
    assert.equal(inspect('pod', name, '{{.State}}'), 'Running');
    s.ok(['pod', 'kill', name]);
    assert.notEqual(inspect('pod', name, '{{.State}}'), 'Running');
    assert.equal(s.ok(['pod', 'rm', name]).trim(), id);
    assert.equal(s.run(['pod', 'exists', name]).code, 1);
    assert.equal(s.run(['container', 'exists', ctr]).code, 1);
    assert.equal(s.run(['container', 'exists', infra]).code, 1);
    // Events were recorded.
    const ev = s.ok(['events', '--stream=false', '--filter', 'type=pod', '--format', '{{.Status}}']).split('\n');
    for (const st of ['create', 'start', 'stop', 'remove']) assert.ok(ev.includes(st), `pod ${st} event`);
  });

  test('members share the network namespace: localhost between containers; ports published through the pod', async () => {
    const name = `net-${tag}`;
    const netnsBefore = fs.existsSync(path.join(s.runroot, 'netns')) ? fs.readdirSync(path.join(s.runroot, 'netns')).length : 0;
    s.ok(['pod', 'create', '--name', name, '-p', '127.0.0.1::8080']);
    s.ok(['run', '-d', '--pod', name, '--name', `web-${tag}`, 'localhost/busybox', 'sh', '-c',
      'mkdir -p /srv && echo hello-from-pod > /srv/index.html && exec httpd -f -p 8080 -h /srv']);
    // Another member reaches it over localhost and sees the pod's hostname.
    const out = s.ok(['run', '--rm', '--pod', name, 'localhost/busybox', 'sh', '-c',
      "for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 8080 | tail -n 1 | grep . && break; sleep 0.3; done; hostname"]);
    assert.equal(out, `hello-from-pod\n${name}\n`);
    // The published port answers on the host.
    const ports = JSON.parse(s.ok(['pod', 'inspect', name])).InfraConfig.PortBindings['8080/tcp'];
    const hostPort = Number(ports[0].HostPort);
    assert.ok(hostPort > 0);
    assert.equal(await fetchPublished(name, hostPort), 'hello-from-pod\n');
    // A pod member cannot publish ports or choose networks of its own.
    const bad = s.run(['run', '--rm', '--pod', name, '-p', '9999:80', 'localhost/busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /published or exposed ports must be defined when the pod is created/);
    // After a restart of the pod the network and the port come back.
    s.ok(['pod', 'restart', name]);
    const again = Number(JSON.parse(s.ok(['pod', 'inspect', name])).InfraConfig.PortBindings['8080/tcp'][0].HostPort);
    assert.equal(await fetchPublished(name, again), 'hello-from-pod\n');
    // top and logs over the pod's containers
    assert.match(s.ok(['pod', 'top', name]), /httpd/);
    assert.match(s.ok(['pod', 'stats', '--no-stream', name]), /CPU %/);
    // Removing the pod removes its network namespace, veths and firewall rules.
    const infra = inspect('pod', name, '{{.InfraContainerID}}');
    assert.match(s.ok(['pod', 'logs', '--tail', '5', name]), /^$|\S/);
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
    const netnsAfter = fs.existsSync(path.join(s.runroot, 'netns')) ? fs.readdirSync(path.join(s.runroot, 'netns')).length : 0;
    assert.equal(netnsAfter, netnsBefore);
    const rules = spawnSync('iptables-save', { encoding: 'utf8' }).stdout;
    assert.equal(rules.includes(infra.slice(0, 12)), false, 'no firewall rules of the infra container remain');
    assert.equal(rules.includes(`--dport ${again} `), false, 'no DNAT rule for the pod\'s port remains');
  });

  test('--pod new:NAME creates the pod with the container\'s ports; pod prune and --replace', () => {
    const name = `new-${tag}`;
    s.ok(['create', '--pod', `new:${name}`, '--name', `c-${tag}`, '-p', '127.0.0.1::80', 'localhost/busybox', 'sleep', '100']);
    const pod = JSON.parse(s.ok(['pod', 'inspect', name]));
    assert.ok(pod.InfraConfig.PortBindings['80/tcp'], 'the port moved to the pod');
    assert.equal(pod.NumContainers, 2);
    const again = s.run(['pod', 'create', '--name', name]);
    assert.equal(again.code, 125);
    assert.match(again.stderr, /already exists|in use/);
    const replaced = s.ok(['pod', 'create', '--replace', '--name', name]).trim();
    assert.notEqual(replaced, pod.Id);
    assert.equal(s.run(['container', 'exists', `c-${tag}`]).code, 1, 'the replaced pod\'s containers are gone');
    // prune removes stopped pods only
    const running = `run-${tag}`;
    s.ok(['pod', 'create', '--name', running]);
    s.ok(['pod', 'start', running]);
    const pruned = s.ok(['pod', 'prune', '-f']);
    assert.match(pruned, new RegExp(replaced));
    assert.equal(s.run(['pod', 'exists', name]).code, 1);
    assert.equal(s.run(['pod', 'exists', running]).code, 0);
    s.ok(['pod', 'rm', '-f', '-t', '0', running]);
  });

  test('create/run --pod-id-file: the pod whose ID is the file\'s first line', () => {
    const name = `idf-${tag}`;
    const idFile = path.join(s.dir, `${name}.id`);
    s.ok(['pod', 'create', '--name', name, '--pod-id-file', idFile]);
    const id = fs.readFileSync(idFile, 'utf8');
    assert.match(id, /^[0-9a-f]{64}$/);
    s.ok(['create', '--name', `c-${name}`, '--pod-id-file', idFile, 'localhost/busybox', 'true']);
    assert.equal(inspect('container', `c-${name}`, '{{.Pod}}'), id);
    // Only the first line counts; run joins the pod too (its UTS namespace: the pod's hostname).
    const lines = path.join(s.dir, `${name}.lines`);
    fs.writeFileSync(lines, `${id}\n\nother\n`);
    assert.equal(s.ok(['run', '--rm', '--pod-id-file', lines, 'localhost/busybox', 'hostname']).trim(), name);
    // An empty file is no pod.
    const empty = path.join(s.dir, `${name}.empty`);
    fs.writeFileSync(empty, '');
    s.ok(['create', '--name', `e-${name}`, '--pod-id-file', empty, 'localhost/busybox', 'true']);
    assert.equal(inspect('container', `e-${name}`, '{{.Pod}}'), '');
    for (const [args, msg] of [
      [['--pod-id-file', path.join(s.dir, 'missing.id')], `Error: reading pod ID file: open ${path.join(s.dir, 'missing.id')}: no such file or directory`],
      [['--pod-id-file', s.dir], `Error: reading pod ID file: read ${s.dir}: is a directory`],
      [['--pod', name, '--pod-id-file', idFile], 'Error: cannot specify both --pod and --pod-id-file'],
    ] as const) {
      const r = s.run(['create', ...args, 'localhost/busybox', 'true']);
      assert.equal(r.code, 125);
      assert.equal(r.stderr.trim(), msg);
    }
    fs.writeFileSync(empty, 'nosuchpod');
    const r = s.run(['create', '--pod-id-file', empty, 'localhost/busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^Error: no pod with name or ID nosuchpod found: no such pod\n$/);
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
    s.ok(['rm', `e-${name}`]);
  });

  test('create options as podman 4.3 (200-pod.bats): --share +NS, --share none, --infra-command, --exit-policy', () => {
    const name = `opt-${tag}`;
    // A leading + adds to the default set.
    s.ok(['pod', 'create', '--name', name, '--share', '+pid']);
    assert.deepEqual(inspect('pod', name, '{{.SharedNamespaces}}').slice(1, -1).split(' ').sort(), ['ipc', 'net', 'pid', 'uts']);
    // Sharing nothing, a pod gets no infra container unless --infra says so.
    s.ok(['pod', 'create', '--replace', '--name', name, '--share', 'none']);
    assert.equal(inspect('pod', name, '{{.SharedNamespaces}} {{.InfraContainerID}}|{{.NumContainers}}'), '[] |0');
    // --infra-command is the infra container's entrypoint, replacing the image's.
    s.ok(['pod', 'create', '--replace', '--name', name, '--infra-image', 'localhost/busybox', '--infra-command', '/bin/sleep 1000']);
    const infra = inspect('pod', name, '{{.InfraContainerID}}');
    assert.equal(s.ok(['container', 'inspect', '--format', '{{.Config.Entrypoint}}|{{.Path}}|{{.Args}}', infra]).trim(), '/bin/sleep 1000|/bin/sleep|[1000]');
    s.ok(['pod', 'start', name]);
    assert.match(s.ok(['pod', 'top', name, 'args']), /sleep 1000/);
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
    // The exit policy is checked by the engine (remote: the service), in podman's words.
    const bad = s.run(['pod', 'create', '--exit-policy', 'invalid']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: running pod create option: invalid pod exit policy: "invalid"\n');
    // Without an infra container: podman's errors for what needs one.
    for (const [args, msg] of [
      [['--share', 'ipc'], 'cannot set share(ipc) namespaces without an infra container'],
      [['-p', '8080:80'], 'you must have an infra container to publish port bindings to the host'],
      [['--ip', '10.88.0.9'], 'cannot set --ip without infra container: invalid argument'],
      [['--dns', '1.1.1.1'], 'NoInfra and DNSServer are mutually exclusive pod options: invalid pod spec'],
      [['--network', 'host'], 'NoInfra and network modes cannot be used together'],
    ] as const) {
      const r = s.run(['pod', 'create', '--infra=false', ...args]);
      assert.equal(r.code, 125, args.join(' '));
      assert.equal(r.stderr, `Error: ${msg}\n`, args.join(' '));
    }
    assert.equal(s.ok(['pod', 'ps', '-q', '--filter', `name=${name}`]), '');
  });

  test('containers.conf [engine] infra_image is the default infra image (pod create, --pod new:)', { skip: REMOTE && 'CONTAINERS_CONF only affects the server side' }, () => {
    const conf = path.join(s.dir, 'infra.conf');
    fs.writeFileSync(conf, '[engine]\ninfra_image = "localhost/busybox"\n');
    const env = { CONTAINERS_CONF: conf };
    const pod = s.ok(['pod', 'create', '--name', `conf-${tag}`], { env }).trim();
    const infra = inspect('pod', pod, '{{.InfraContainerID}}');
    assert.equal(s.ok(['container', 'inspect', '--format', '{{.ImageName}}', infra]).trim(), 'localhost/busybox:latest');
    s.ok(['create', '--pod', `new:conf2-${tag}`, 'localhost/busybox', 'true'], { env });
    const infra2 = inspect('pod', `conf2-${tag}`, '{{.InfraContainerID}}');
    assert.equal(s.ok(['container', 'inspect', '--format', '{{.ImageName}}', infra2]).trim(), 'localhost/busybox:latest');
    // An image that cannot be had fails the create, leaving no pod.
    fs.writeFileSync(conf, '[engine]\ninfra_image = "localhost/no/such:image"\n');
    const r = s.run(['pod', 'create', '--name', `conf3-${tag}`], { env });
    assert.equal(r.code, 125);
    assert.match(r.stderr, /localhost\/no\/such:image/);
    assert.equal(s.run(['pod', 'exists', `conf3-${tag}`]).code, 1);
    s.ok(['pod', 'rm', '-f', '-t', '0', `conf-${tag}`, `conf2-${tag}`]);
  });

  test('pod rm with a missing pod (podman 4.3): exit 1 naming the first, none removed; --force: exit 0, silent, none removed; --ignore removes the others', () => {
    const name = `rm-${tag}`;
    const name2 = `rm2-${tag}`;
    const id = s.ok(['pod', 'create', '--name', name]).trim();
    const id2 = s.ok(['pod', 'create', '--name', name2]).trim();
    const r = s.run(['pod', 'rm', name, `bogus-${tag}`, name2, `bogus2-${tag}`]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', `Error: no pod with name or ID bogus-${tag} found: no such pod\n`]);
    assert.equal(s.run(['pod', 'exists', name]).code, 0, 'nothing was removed');
    assert.equal(s.run(['pod', 'exists', name2]).code, 0, 'nothing was removed');
    const f = s.run(['pod', 'rm', '--force', `bogus-${tag}`]);
    assert.deepEqual([f.code, f.stdout, f.stderr], [0, '', '']);
    // --force with a missing pod among others: podman 4.3.1 removes none of them and says nothing.
    const fm = s.run(['pod', 'rm', '-f', name, `bogus-${tag}`, name2]);
    assert.deepEqual([fm.code, fm.stdout, fm.stderr], [0, '', '']);
    assert.equal(s.run(['pod', 'exists', name]).code, 0);
    assert.equal(s.run(['pod', 'exists', name2]).code, 0);
    const t = s.run(['pod', 'rm', '-t', '0', name]);
    assert.equal(t.code, 125);
    assert.equal(t.stderr, 'Error: --force option must be specified to use the --time option\n');
    // --ignore skips the missing ones and removes the rest.
    assert.equal(s.ok(['pod', 'rm', '-i', name, `bogus-${tag}`]), `${id}\n`);
    assert.equal(s.ok(['pod', 'rm', '-f', '-i', `bogus-${tag}`, name2]), `${id2}\n`);
    assert.equal(s.run(['pod', 'exists', name2]).code, 1);
  });

  test('members share the infra\'s /dev/shm; --hostname goes to a new pod, and is refused in a pod\'s UTS namespace', () => {
    const name = `shm-${tag}`;
    s.ok(['pod', 'create', '--name', name]);
    s.ok(['run', '--rm', '--pod', name, 'localhost/busybox', 'sh', '-c', 'echo hi > /dev/shm/test1']);
    assert.equal(s.ok(['run', '--rm', '--pod', name, 'localhost/busybox', 'cat', '/dev/shm/test1']), 'hi\n');
    const r = s.run(['run', '--rm', '--pod', name, '--hostname', 'foobar', 'localhost/busybox', 'hostname']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration\n');
    // Once the pod stops its shm is unmounted; removed, nothing of it is left mounted.
    const infra = inspect('pod', name, '{{.InfraContainerID}}');
    s.ok(['pod', 'stop', '-t', '0', name]);
    const mounted = () => fs.readFileSync('/proc/self/mounts', 'utf8').includes(`${infra}/userdata/shm `);
    if (!REMOTE) assert.equal(mounted(), false);
    s.ok(['pod', 'rm', name]);
    assert.equal(mounted(), false);
    // With a UTS namespace of its own (the pod does not share uts) the hostname is the container's.
    s.ok(['pod', 'create', '--name', name, '--share', 'ipc,net']);
    assert.equal(s.ok(['run', '--rm', '--pod', name, '--hostname', 'foobar', 'localhost/busybox', 'hostname']), 'foobar\n');
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
    // --pod new:NAME --hostname: the new pod's hostname, which the container shares.
    assert.equal(s.ok(['run', '--rm', '--pod', `new:${name}`, '--hostname', 'foobar', 'localhost/busybox', 'hostname']), 'foobar\n');
    assert.equal(inspect('pod', name, '{{.Hostname}}'), 'foobar');
    s.ok(['pod', 'rm', name]);
    assert.equal(s.ok(['run', '--rm', '--pod', `new:${name}`, 'localhost/busybox', 'hostname']), `${name}\n`);
    s.ok(['pod', 'rm', name]);
  });

  test('rm --depend of an infra container removes its pod; rm --all --force removes pods with their infra', () => {
    const name = `dep-${tag}`;
    const ctr = s.ok(['create', '--pod', `new:${name}`, 'localhost/busybox', 'true']).trim();
    const infra = inspect('pod', name, '{{.InfraContainerID}}');
    const plain = s.run(['container', 'rm', infra]);
    assert.equal(plain.code, 125);
    assert.match(plain.stderr, /and cannot be removed without removing the pod\n$/);
    assert.deepEqual(s.ok(['container', 'rm', '--depend', infra]).split('\n').filter(Boolean).sort(), [ctr, infra].sort());
    assert.equal(s.run(['pod', 'exists', name]).code, 1);
    const c1 = s.ok(['create', '--pod', `new:${name}`, 'localhost/busybox', 'sleep', '1000']).trim();
    s.ok(['start', c1]);
    const infra2 = inspect('pod', name, '{{.InfraContainerID}}');
    const other = s.ok(['create', '--name', `other-${tag}`, 'localhost/busybox', 'true']).trim();
    const out = s.ok(['container', 'rm', '--force', '--all', '-t', '0']).split('\n').filter(Boolean);
    for (const id of [c1, infra2, other]) assert.ok(out.includes(id), `${id} in ${out}`);
    assert.equal(s.run(['pod', 'exists', name]).code, 1);
    assert.equal(s.ok(['ps', '-aq']), '');
  });

  test('exit policy stop: the pod stops when its last container exits; continue leaves the infra running', () => {
    const stop = s.ok(['pod', 'create', '--exit-policy', 'stop']).trim();
    s.ok(['run', '--pod', stop, 'localhost/busybox', 'true']);
    let state = '';
    for (let i = 0; i < 100 && state !== 'Exited'; i++) {
      state = inspect('pod', stop, '{{.State}}');
      if (state !== 'Exited') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    assert.equal(state, 'Exited');
    const cont = s.ok(['pod', 'create', '--exit-policy', 'continue']).trim();
    s.ok(['run', '--pod', cont, 'localhost/busybox', 'true']);
    assert.equal(inspect('pod', cont, '{{.State}}'), 'Degraded');
    s.ok(['pod', 'rm', '-f', '-t', '0', stop, cont]);
  });

  test('a member shows the pod\'s published ports (ps, port, inspect)', () => {
    const name = `ports-${tag}`;
    s.ok(['pod', 'create', '--name', name, '-p', '127.0.0.1::80']);
    const id = s.ok(['run', '-d', '--pod', name, 'localhost/busybox', 'sleep', '1000']).trim();
    const infra = inspect('pod', name, '{{.InfraContainerID}}');
    const hostPort = s.ok(['port', infra, '80']).trim();
    assert.match(hostPort, /^127\.0\.0\.1:\d+$/);
    assert.equal(s.ok(['port', id, '80']).trim(), hostPort);
    assert.equal(s.ok(['ps', '--filter', `id=${id}`, '--format', '{{.Ports}}']).trim(), `${hostPort}->80/tcp`);
    assert.equal(inspect('container', id, '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}'), hostPort.split(':')[1]);
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
  });

  test('pod inspect and pod ps: Go maps (labels, port bindings) with sorted keys', () => {
    const name = `maps-${tag}`;
    s.ok(['pod', 'create', '--name', name, '--label', 'zz=1', '--label', 'aa=2', '--label', '10=x', '--label', '9=y', '-p', '127.0.0.1:18080:80', '-p', '127.0.0.1:17070:70']);
    const labels = '{"10":"x","9":"y","aa":"2","zz":"1"}';
    assert.equal(inspect('pod', name, '{{json .Labels}} {{.Labels}}'), `${labels} map[10:x 9:y aa:2 zz:1]`);
    assert.equal(inspect('container', inspect('pod', name, '{{.InfraContainerID}}'), '{{.IsInfra}} {{.IsService}}'), 'true false');
    assert.equal(inspect('pod', name, '{{json .InfraConfig.PortBindings}}'),
      '{"70/tcp":[{"HostIp":"127.0.0.1","HostPort":"17070"}],"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"18080"}]}');
    assert.match(s.ok(['pod', 'inspect', name]), /\n {5}"Labels": \{\n {10}"10": "x",\n {10}"9": "y",\n {10}"aa": "2",\n {10}"zz": "1"\n {5}\},\n/);
    assert.equal(s.ok(['pod', 'ps', '--filter', `name=${name}`, '--format', '{{json .Labels}}']), `${labels}\n`);
    assert.match(s.ok(['pod', 'ps', '--filter', `name=${name}`, '--format', 'json']), /"Labels": \{\n\s+"10": "x",\n\s+"9": "y",\n\s+"aa": "2",\n\s+"zz": "1"\n/);
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
  });

  test('pod ps --filter: values of one key are alternatives (labels all required), keys all apply', () => {
    const a = `fa-${tag}`;
    const b = `fb-${tag}`;
    s.ok(['pod', 'create', '--name', a, '--label', 'x=1', '--label', 'y=2']);
    s.ok(['pod', 'create', '--name', b, '--label', 'x=1']);
    s.ok(['run', '-d', '--pod', b, '--name', `fb-member-${tag}`, 'localhost/busybox:latest', 'sleep', '1000']);
    const names = (...filters: string[]) => s.ok(['pod', 'ps', '--format', '{{.Name}}', ...filters.flatMap((f) => ['--filter', f])]).split('\n').filter((n) => n.endsWith(tag)).sort();
    assert.deepEqual(names('status=running', 'status=created'), [a, b]);
    assert.deepEqual(names('status=running', 'status=degraded'), [b]);
    assert.deepEqual(names('name=^fa-', 'name=^fb-'), [a, b]);
    assert.deepEqual(names('label=x=1', 'label=y=2'), [a]);
    assert.deepEqual(names('status=created', 'label=x=1'), [a]);
    s.ok(['pod', 'rm', '-f', '-t', '0', a, b]);
  });

  test('pod clone: the pod and a clone of each member (podman\'s -clone names), the flags given replacing the original\'s; --start, --destroy', () => {
    const orig = `clo-${tag}`;
    s.ok(['pod', 'create', '--name', orig, '--label', 'a=b']);
    s.ok(['create', '--pod', orig, '--name', `m-${tag}`, 'localhost/busybox', 'sleep', '100']);
    const infra = inspect('pod', orig, '{{.InfraContainerID}}');
    const infraName = inspect('container', infra, '{{.Name}}');
    const copy = s.ok(['pod', 'clone', orig]).trim();
    assert.match(copy, /^[0-9a-f]{64}$/);
    const members = (pod: string) => s.ok(['ps', '-a', '--filter', `pod=${pod}`, '--format', '{{.Names}}']).trim().split('\n').sort();
    assert.deepEqual(members(`${orig}-clone`), [`${infraName}-clone`, `m-${tag}-clone`].sort());
    // Flags change the copy; labels are added to the original's (podman 4.3.1 drops --label and
    // the pod's --hostname, keeping only the infra container's).
    s.ok(['pod', 'clone', '--name', `${orig}-b`, '--hostname', 'hx', '--label', 'c=d', '--memory', '64m', '--cpus', '1', '--shm-size', '10m',
      '--infra-name', `inf-${tag}`, '--start', '--destroy', orig]);
    assert.equal(inspect('pod', `${orig}-b`, '{{.Hostname}} {{index .Labels "a"}}{{index .Labels "c"}} {{.MemoryLimit}} {{.CPUQuota}} {{.State}}'), 'hx bd 67108864 100000 Running');
    assert.deepEqual(members(`${orig}-b`), [`inf-${tag}`, `m-${tag}-clone1`].sort());
    assert.equal(s.ok(['exec', `m-${tag}-clone1`, 'sh', '-c', 'hostname; df -k /dev/shm | tail -1']).split('\n')[0], 'hx');
    assert.equal(inspect('container', `inf-${tag}`, '{{.HostConfig.ShmSize}}'), '10485760');
    assert.equal(s.run(['pod', 'exists', orig]).code, 1);
    s.ok(['pod', 'rm', '-f', '-t', '0', `${orig}-clone`, `${orig}-b`]);
  });

  test('pod logs: every member, the infra too, in ID order (podman\'s); --color by that index; one container unprefixed; an empty pod logs nothing', () => {
    const name = `logs-${tag}`;
    s.ok(['pod', 'create', '--name', name]);
    for (const m of ['a', 'b', 'c']) s.ok(['run', '--pod', name, '--name', `${name}-${m}`, 'localhost/busybox', 'sh', '-c', `echo ${m}1; echo ${m}2`]);
    const ids = JSON.parse(s.ok(['pod', 'inspect', name])).Containers.map((c: { Id: string }) => c.Id).sort() as string[];
    const infra = inspect('pod', name, '{{.InfraContainerID}}');
    const letter = new Map(['a', 'b', 'c'].map((m) => [inspect('container', `${name}-${m}`, '{{.Id}}'), m]));
    // Each member's lines with its short ID, members in ID order (the infra, which logs nothing, among them).
    const expected = ids.filter((id) => id !== infra).flatMap((id) => [`${id.slice(0, 12)} ${letter.get(id)}1`, `${id.slice(0, 12)} ${letter.get(id)}2`]);
    const colors = ['\x1b[37m', '\x1b[31m', '\x1b[33m', '\x1b[34m'];
    if (!REMOTE) {
      assert.deepEqual(s.ok(['pod', 'logs', name]).split('\n').filter(Boolean), expected);
      const colored = s.ok(['pod', 'logs', '--color', name]).split('\n').filter(Boolean);
      assert.deepEqual(colored, expected.map((l) => `${colors[ids.findIndex((i) => i.startsWith(l.slice(0, 12)))]}${l}\x1b[0m`));
    } else {
      // The remote client reads the members concurrently: the same lines, in any order.
      assert.deepEqual(s.ok(['pod', 'logs', name]).split('\n').filter(Boolean).sort(), [...expected].sort());
    }
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
    s.ok(['pod', 'create', '--name', name, '--infra=false']);
    assert.equal(s.ok(['pod', 'logs', name]), '');
    s.ok(['run', '--pod', name, '--name', `${name}-only`, 'localhost/busybox', 'echo', 'alone']);
    assert.equal(s.ok(['pod', 'logs', name]), 'alone\n');
    s.ok(['pod', 'rm', '-f', '-t', '0', name]);
  });

  test('bad input: invalid names, share values and port specs change nothing', () => {
    const before = s.ok(['pod', 'ps', '-q']);
    const cases: [string[], RegExp][] = [
      [['pod', 'create', '--name', 'bad name'], /invalid pod name/],
      [['pod', 'create', '--share', 'bogus'], /invalid kernel namespace/],
      [['pod', 'create', '-p', '99999:80'], /port|invalid/i],
      [['pod', 'create', '--infra=false', '-p', '80:80'], /infra container/],
      [['pod', 'start', `missing-${tag}`], /no pod with name or ID/],
      [['create', '--pod', `missing-${tag}`, 'localhost/busybox', 'true'], /no pod with name or ID/],
    ];
    for (const [args, re] of cases) {
      const r = s.run(args);
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(s.ok(['pod', 'ps', '-q']), before);
  });
});
