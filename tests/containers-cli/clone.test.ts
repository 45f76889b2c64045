// `pier container clone` as podman 4.3.1's: the copy's name (NAME-clone, -clone1...), its
// configuration (the original's process, environment, labels, ports, volumes, restart policy,
// healthcheck...), another image, resource flags, --destroy, --run, pods, and the errors.
// Real runc + conmon; in remote mode (PIER_TEST_REMOTE=1) through pier's clone endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStoreForFile, REMOTE } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((st) => { s = st; });
const IMG = 'localhost/busybox';
const json = (name: string) => JSON.parse(s.ok(['inspect', name]))[0];
/** The containers whose names start with `prefix`, sorted. */
const names = (prefix: string) => s.ok(['ps', '-a', '--format', '{{.Names}}']).trim().split('\n').filter((n) => n.startsWith(prefix)).sort();

test('prints the new id; default names ORIGINAL-clone, -clone1, -clone2; a clone\'s clone counts on; NAME or --name', () => {
  s.ok(['create', '--name', 'nm', IMG, 'true']);
  const ids = [1, 2, 3].map(() => s.ok(['container', 'clone', 'nm']).trim());
  for (const id of ids) assert.match(id, /^[0-9a-f]{64}$/);
  assert.deepEqual(ids.map((id) => json(id).Name), ['nm-clone', 'nm-clone1', 'nm-clone2']);
  // podman's CheckName: nm-clone1's clone is the next free nm-cloneN, not nm-clone1-clone.
  assert.equal(json(s.ok(['container', 'clone', 'nm-clone1']).trim()).Name, 'nm-clone3');
  assert.equal(json(s.ok(['container', 'clone', 'nm', 'nm-named']).trim()).Name, 'nm-named');
  assert.equal(json(s.ok(['container', 'clone', '--name', 'nm-flag', 'nm']).trim()).Name, 'nm-flag');
  // The NAME argument wins over --name, as podman's.
  assert.equal(json(s.ok(['container', 'clone', '--name', 'nm-lost', 'nm', 'nm-arg']).trim()).Name, 'nm-arg');
  s.ok(['rm', 'nm', 'nm-clone', 'nm-clone1', 'nm-clone2', 'nm-clone3', 'nm-named', 'nm-flag', 'nm-arg']);
});

test('the configuration is the original\'s: process, environment, labels, ports, volumes, restart, healthcheck, hostname', () => {
  s.ok(['volume', 'create', 'cfgvol']);
  s.ok(['create', '--name', 'cfg', '-e', 'FOO=bar', '-l', 'lab=one', '--annotation', 'ann=a1', '-v', 'cfgvol:/vol', '-v', '/anon',
    '--entrypoint', '["/bin/sh","-c"]', '-w', '/tmp', '--hostname', 'cfghost', '--restart', 'on-failure:2', '--health-cmd', 'true',
    '-p', '127.0.0.1::80', '--stop-timeout', '3', IMG, 'echo $FOO $HOSTNAME; pwd; cat /anon/f 2>/dev/null; echo kept > /anon/f']);
  const orig = json('cfg');
  const clone = json(s.ok(['container', 'clone', 'cfg']).trim());
  assert.notEqual(clone.Id, orig.Id);
  assert.equal(clone.Name, 'cfg-clone');
  for (const k of ['Env', 'Labels', 'Entrypoint', 'Cmd', 'WorkingDir', 'Hostname', 'Healthcheck', 'StopTimeout', 'CreateCommand']) {
    assert.deepEqual(clone.Config[k], orig.Config[k], `Config.${k}`);
  }
  assert.equal(clone.Config.Annotations.ann, 'a1');
  assert.deepEqual(clone.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  // The host port picked for the original is the clone's too (podman copies the port mappings).
  const port = orig.HostConfig.PortBindings['80/tcp'][0].HostPort;
  assert.match(port, /^[1-9][0-9]*$/);
  assert.deepEqual(clone.HostConfig.PortBindings, orig.HostConfig.PortBindings);
  assert.equal(clone.HostConfig.NetworkMode, 'bridge');
  // The same volumes: the named one, and the original's anonymous volume (shared, not a new one).
  const vols = (c: any) => c.Mounts.map((m: any) => `${m.Name}:${m.Destination}`).sort();
  assert.deepEqual(vols(clone), vols(orig));
  assert.equal(s.ok(['volume', 'ls', '-q']).trim().split('\n').length, 2, 'no volume made for the clone');
  // It runs as the original does, and sees what the original wrote in the shared volume.
  assert.equal(s.ok(['start', '-a', 'cfg']), 'bar cfghost\n/tmp\n');
  // (Its host port is the original's: the original goes first.)
  s.ok(['rm', 'cfg']);
  assert.equal(s.ok(['start', '-a', 'cfg-clone']), 'bar cfghost\n/tmp\nkept\n');
  s.ok(['rm', '-v', 'cfg-clone']);
  s.ok(['volume', 'rm', '-a']);
});

test('IMAGE: another image, with the original\'s command, environment and labels over the image\'s', () => {
  const ctx = fs.mkdtempSync(path.join(s.dir, 'img2-'));
  fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM ${IMG}\nENV A=img2 FOO=img\nLABEL l2=x\nCMD ["echo", "img2"]\n`);
  s.ok(['build', '-q', '-t', 'localhost/clone-img2', ctx]);
  s.ok(['create', '--name', 'im', '-e', 'FOO=bar', '-l', 'lab=one', IMG, 'echo', 'original']);
  const c = json(s.ok(['container', 'clone', 'im', 'im2', 'localhost/clone-img2']).trim());
  assert.equal(c.Name, 'im2');
  assert.equal(c.ImageName, 'localhost/clone-img2:latest');
  assert.equal(c.Image, json('localhost/clone-img2').Id);
  assert.ok(c.Config.Env.includes('FOO=bar'), 'the original\'s FOO wins over the image\'s');
  assert.ok(c.Config.Env.includes('A=img2'), 'the new image\'s variables are added');
  assert.equal(c.Config.Labels.lab, 'one');
  assert.equal(c.Config.Labels.l2, 'x');
  assert.equal(s.ok(['start', '-a', 'im2']), 'original\n');
  // Without IMAGE the clone keeps the original's image.
  assert.equal(json(s.ok(['container', 'clone', 'im']).trim()).Image, json('im').Image);
  s.ok(['rm', 'im', 'im2', 'im-clone']);
  s.ok(['rmi', 'localhost/clone-img2']);
});

test('resource flags replace the original\'s settings; the others stay', () => {
  s.ok(['create', '--name', 'res', '--memory', '64m', '--cpus', '1.5', '--cpu-shares', '512', IMG, 'true']);
  const same = json(s.ok(['container', 'clone', 'res']).trim()).HostConfig;
  assert.equal(same.Memory, 64 * 1024 * 1024);
  assert.equal(same.NanoCpus, 1_500_000_000);
  assert.equal(same.CpuShares, 512);
  const h = json(s.ok(['container', 'clone', '--memory', '32m', '-c', '100', 'res', 'res-mem']).trim()).HostConfig;
  assert.equal(h.Memory, 32 * 1024 * 1024);
  assert.equal(h.CpuShares, 100);
  assert.equal(h.NanoCpus, 1_500_000_000);
  // --cpu-period/--cpu-quota replace --cpus (and --cpus them).
  const q = json(s.ok(['container', 'clone', '--cpu-period', '50000', '--cpu-quota', '20000', 'res', 'res-cfs']).trim()).HostConfig;
  assert.deepEqual([q.NanoCpus, q.CpuPeriod, q.CpuQuota], [0, 50000, 20000]);
  const c = json(s.ok(['container', 'clone', '--cpus', '0.5', 'res-cfs', 'res-cpus']).trim()).HostConfig;
  assert.deepEqual([c.NanoCpus, c.CpuPeriod, c.CpuQuota], [500_000_000, 100000, 50000]);
  s.ok(['rm', 'res', 'res-clone', 'res-mem', 'res-cfs', 'res-cpus']);
});

test('--destroy removes the original (a running one only with --force), keeping its anonymous volume for the clone', () => {
  s.ok(['run', '-d', '--name', 'ds', '--stop-timeout', '1', '-v', '/data', IMG, 'sleep', '1000']);
  const vol = json('ds').Mounts[0].Name;
  const r = s.run(['container', 'clone', '--destroy', 'ds']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: cannot remove container [0-9a-f]{64} as it is running - running or paused containers cannot be removed without force: container state improper\n$/);
  assert.deepEqual(names('ds'), ['ds'], 'refused before anything was made');
  const id = s.ok(['container', 'clone', '--destroy', '-f', 'ds']).trim();
  assert.deepEqual(names('ds'), ['ds-clone']);
  assert.equal(s.run(['container', 'exists', 'ds']).code, 1);
  assert.equal(json(id).Mounts[0].Name, vol);
  assert.equal(json(id).State.Status, 'created');
  // A stopped original goes without --force.
  s.ok(['container', 'clone', '--destroy', 'ds-clone', 'ds2']);
  assert.deepEqual(names('ds'), ['ds2']);
  assert.equal(json('ds2').Mounts[0].Name, vol);
  s.ok(['rm', '-v', 'ds2']);
  assert.equal(s.ok(['volume', 'ls', '-q']).trim(), '');
});

test('--run starts the clone (detached), also with --destroy', () => {
  s.ok(['run', '-d', '--name', 'rn', '--stop-timeout', '1', IMG, 'sleep', '1000']);
  const id = s.ok(['container', 'clone', '--run', 'rn']).trim();
  assert.equal(json(id).State.Status, 'running');
  assert.equal(json('rn').State.Status, 'running', 'the original runs on');
  s.ok(['container', 'clone', '--run', '--destroy', '-f', 'rn', 'rn2']);
  assert.deepEqual(names('rn'), ['rn-clone', 'rn2']);
  assert.equal(json('rn2').State.Status, 'running');
  // A clone that cannot start stays created, and the failure is an engine error (125), as podman's.
  s.ok(['create', '--name', 'rnbad', IMG, '/nonexistent']);
  const r = s.run(['container', 'clone', '--run', 'rnbad']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^Error: .*\/nonexistent.*\n$/);
  assert.equal(json('rnbad-clone').State.Status, 'created');
  s.ok(['rm', '-f', '-t', '0', 'rn-clone', 'rn2', 'rnbad', 'rnbad-clone']);
});

test('in pods: a member\'s clone joins its pod; --pod joins another, whose shared namespaces replace the clone\'s', () => {
  s.ok(['pod', 'create', '--name', 'cp1']);
  s.ok(['pod', 'create', '--name', 'cp2']);
  s.ok(['create', '--pod', 'cp1', '--name', 'pm', IMG, 'sleep', '100']);
  const infra = (pod: string) => s.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', pod]).trim();
  const podId = (pod: string) => s.ok(['pod', 'inspect', '--format', '{{.ID}}', pod]).trim();
  const m = json(s.ok(['container', 'clone', 'pm']).trim());
  assert.equal(m.Pod, podId('cp1'));
  assert.equal(m.HostConfig.NetworkMode, `container:${infra('cp1')}`);
  const m2 = json(s.ok(['container', 'clone', '--pod', 'cp2', 'pm', 'pm2']).trim());
  assert.equal(m2.Pod, podId('cp2'));
  assert.equal(m2.HostConfig.NetworkMode, `container:${infra('cp2')}`);
  assert.equal(m2.HostConfig.UTSMode, `container:${infra('cp2')}`);
  // A container of its own moved into a pod: the pod's network and UTS namespace replace its own.
  s.ok(['create', '--name', 'solo', IMG, 'sleep', '100']);
  const r = s.run(['container', 'clone', '--pod', 'cp2', 'solo', 'solo2']);
  assert.equal(r.code, 0, r.stderr);
  if (!REMOTE) assert.match(r.stderr, /level=warning msg="At least one namespace was reset to the default configuration"/);
  assert.equal(json('solo2').HostConfig.NetworkMode, `container:${infra('cp2')}`);
  // Its published ports cannot go into a pod that shares its network, as podman says.
  s.ok(['create', '--name', 'solop', '-p', '80', IMG, 'true']);
  const p = s.run(['container', 'clone', '--pod', 'cp2', 'solop']);
  assert.equal(p.code, 125);
  assert.match(p.stderr, /Error: invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod\n$/);
  const missing = s.run(['container', 'clone', '--pod', 'nopod', 'solo']);
  assert.equal(missing.code, 125);
  assert.equal(missing.stderr, 'Error: no pod with name or ID nopod found: no such pod\n');
  s.ok(['pod', 'rm', '-f', '-t', '0', 'cp1', 'cp2']);
  s.ok(['rm', 'solo', 'solop']);
});

test('errors as podman\'s: no such container, a name in use, bad flag values, --force without --destroy; nothing made', () => {
  s.ok(['create', '--name', 'er', IMG, 'true']);
  s.ok(['create', '--name', 'er-taken', IMG, 'true']);
  const id = json('er-taken').Id;
  const cases: [string[], string][] = [
    [['nosuch'], 'Error: no container with name or ID "nosuch" found: no such container\n'],
    [['er', 'er-taken'], `Error: creating container storage: the container name "er-taken" is already in use by ${id}. You have to remove that container to be able to reuse that name: that name is already in use\n`],
    [['-f', 'er'], 'Error: cannot set --force without --destroy: invalid argument\n'],
    [['--cpus', 'abc', 'er'], 'Error: invalid argument "abc" for "--cpus" flag: strconv.ParseFloat: parsing "abc": invalid syntax\nSee \'pier container clone --help\'\n'],
    [['-c', '-1', 'er'], 'Error: invalid argument "-1" for "-c, --cpu-shares" flag: strconv.ParseUint: parsing "-1": invalid syntax\nSee \'pier container clone --help\'\n'],
    [['--memory', 'foo', 'er'], "Error: invalid value for memory: invalid size: 'foo'\n"],
    [['--memory-swap', '64m', 'er'], 'Error: you should always set a memory limit when using a memoryswap limit, see usage\n'],
    [['--memory-swappiness', '200', 'er'], 'Error: invalid value: 200, valid memory swappiness range is 0-100\n'],
    [['er', 'bad name'], 'Error: running container create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument\n'],
    [[], 'Error: accepts between 1 and 3 arg(s), received 0\n'],
    [['er', 'a', 'b', 'c'], 'Error: accepts between 1 and 3 arg(s), received 4\n'],
  ];
  for (const [args, stderr] of cases) {
    const r = s.run(['container', 'clone', ...args]);
    assert.equal(r.code, 125, args.join(' '));
    assert.equal(r.stderr, stderr, args.join(' '));
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(names('er'), ['er', 'er-taken']);
  s.ok(['rm', 'er', 'er-taken']);
});
