// Docker networks and volumes through pier's socket, with the Docker CLI and docker-py: IPAM
// configuration, name resolution on a user network, connect/disconnect of running and stopped
// containers (inspect follows), removal refused while in use, prune; volumes shared between
// containers, labels, refusal while in use, prune.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { TestStore } from '../helpers/cli';
import { Service, openService, closeService, request } from '../helpers/api';

let s: TestStore;
let svc: Service;
const tag = `p${process.pid}`;
// A subnet unlikely to be taken by a concurrent suite (those get the default pool's 10.89+).
const oct = 120 + (process.pid % 100);
const third = Math.floor(Math.random() * 250) + 1;
const subnet = `10.${oct}.${third}.0/24`;

function docker(args: string[]) {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}` }, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
function ok(args: string[]): string {
  const r = docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
function py(code: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn('/usr/bin/python3', ['-c', `import docker\nc = docker.DockerClient(base_url='unix://${svc.socket}')\n${code}`]);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('close', (rc) => resolve({ code: rc ?? -1, stdout, stderr }));
  });
}

before(async () => ({ store: s, svc } = await openService()));
after(async () => {
  docker(['rm', '-f', `${tag}srv`, `${tag}stopped`, `${tag}user`]);
  for (const n of [`${tag}a`, `${tag}b`, `${tag}py`]) docker(['network', 'rm', n]);
  await closeService(s, svc);
});

describe('docker networks and volumes', () => {
  test('network create with IPAM, DNS on a user network, connect/disconnect running and stopped containers, rm in use, prune', () => {
    const a = `${tag}a`;
    const b = `${tag}b`;
    const gw = subnet.replace(/0\/24$/, '1');
    const range = subnet.replace(/0\/24$/, '128/25');
    ok(['network', 'create', '--subnet', subnet, '--gateway', gw, '--ip-range', range, '--label', 'team=blue', a]);
    const dup = docker(['network', 'create', a]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
    ok(['network', 'create', b]);
    const ins = JSON.parse(ok(['network', 'inspect', a]))[0];
    assert.deepEqual(ins.IPAM.Config, [{ Subnet: subnet, Gateway: gw, IPRange: range }]);
    assert.deepEqual(ins.Labels, { team: 'blue' });
    assert.match(ok(['network', 'ls', '--filter', 'label=team=blue', '--format', '{{.Name}}']), new RegExp(`^${a}$`, 'm'));

    ok(['run', '-d', '--network', a, '--name', `${tag}srv`, 'localhost/busybox', 'sh', '-c', 'echo served > /tmp/i; exec httpd -f -p 8080 -h /tmp']);
    const ip = ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${a}").IPAddress}}`, `${tag}srv`]).trim();
    const last = Number(ip.split('.')[3]);
    assert.ok(ip.startsWith(subnet.split('.').slice(0, 3).join('.') + '.') && last > 128, `${ip} in ${range}`);
    const fetch = (net: string, host: string) => docker(['run', '--rm', '--network', net, 'localhost/busybox', 'wget', '-qO-', `http://${host}:8080/i`]);
    let got = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < 10 && got.stdout !== 'served\n'; i++) got = fetch(a, `${tag}srv`);
    assert.equal(got.stdout, 'served\n', got.stderr);

    ok(['network', 'connect', '--alias', `${tag}alias`, b, `${tag}srv`]);
    const nets = JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', `${tag}srv`]));
    assert.deepEqual(Object.keys(nets).sort(), [a, b].sort());
    assert.match(nets[b].IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(nets[b].Aliases.includes(`${tag}alias`));
    const members = JSON.parse(ok(['network', 'inspect', '-f', '{{json .Containers}}', b]));
    assert.equal(Object.values<any>(members)[0].IPv4Address, `${nets[b].IPAddress}/${nets[b].IPPrefixLen}`);
    got = { code: -1, stdout: '', stderr: '' };
    for (let i = 0; i < 10 && got.stdout !== 'served\n'; i++) got = fetch(b, `${tag}alias`);
    assert.equal(got.stdout, 'served\n', got.stderr);
    const again = docker(['network', 'connect', b, `${tag}srv`]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already connected/);
    ok(['network', 'disconnect', b, `${tag}srv`]);
    assert.deepEqual(Object.keys(JSON.parse(ok(['inspect', '-f', '{{json .NetworkSettings.Networks}}', `${tag}srv`]))), [a]);
    assert.equal(ok(['exec', `${tag}srv`, 'sh', '-c', 'ls /sys/class/net | grep -c eth']).trim(), '1');

    // A stopped container (created without a network) is connected in its configuration and joins at start.
    ok(['create', '--name', `${tag}stopped`, '--network', 'none', 'localhost/busybox', 'sleep', '100']);
    ok(['network', 'connect', b, `${tag}stopped`]);
    ok(['start', `${tag}stopped`]);
    const sip = ok(['inspect', '-f', `{{(index .NetworkSettings.Networks "${b}").IPAddress}}`, `${tag}stopped`]).trim();
    assert.match(sip, /^\d+\.\d+\.\d+\.\d+$/);
    assert.match(ok(['exec', `${tag}stopped`, 'ip', '-o', '-4', 'addr']), new RegExp(sip.replace(/\./g, '\\.')));
    const missing = docker(['network', 'connect', b, 'no-such-container']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No such container/);

    const inUse = docker(['network', 'rm', a]);
    assert.notEqual(inUse.code, 0);
    assert.match(inUse.stderr, /being used|in use/);
    ok(['rm', '-f', `${tag}srv`, `${tag}stopped`]);
    ok(['network', 'rm', a]);
    const pruned = ok(['network', 'prune', '-f', '--filter', 'label!=nothing']);
    assert.match(pruned, new RegExp(b));
    assert.doesNotMatch(ok(['network', 'ls', '--format', '{{.Name}}']), new RegExp(tag));
    assert.match(ok(['network', 'ls', '--format', '{{.Name}}']), /^bridge$/m);
  });

  test('volumes: create with labels, shared between containers, ls filters, rm refused in use, prune', () => {
    const v = `${tag}vol`;
    assert.equal(ok(['volume', 'create', '--label', 'kind=data', v]).trim(), v);
    const ins = JSON.parse(ok(['volume', 'inspect', v]))[0];
    assert.equal(ins.Name, v);
    assert.equal(ins.Driver, 'local');
    assert.deepEqual(ins.Labels, { kind: 'data' });
    assert.match(ins.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339 to the second, as Docker');
    assert.match(ok(['volume', 'ls', '--filter', 'label=kind=data', '--format', '{{.Name}}']), new RegExp(`^${v}$`, 'm'));
    ok(['run', '--rm', '--network', 'none', '-v', `${v}:/data`, 'localhost/busybox', 'sh', '-c', 'echo persisted > /data/f']);
    assert.equal(ok(['run', '--rm', '--network', 'none', '-v', `${v}:/data:ro`, 'localhost/busybox', 'cat', '/data/f']), 'persisted\n');
    ok(['create', '--name', `${tag}user`, '-v', `${v}:/data`, 'localhost/busybox', 'true']);
    // ps --filter volume=: the volume's name, NAME:DESTINATION, or (Docker's) the destination.
    for (const f of [v, `${v}:/data`, '/data']) assert.equal(ok(['ps', '-a', '--filter', `volume=${f}`, '--format', '{{.Names}}']), `${tag}user\n`, f);
    assert.equal(ok(['ps', '-a', '--filter', `volume=${v}:/other`, '--format', '{{.Names}}']), '');
    // pier's own ps as podman's: the name, not the destination.
    assert.equal(s.ok(['ps', '-a', '--filter', `volume=${v}`, '--format', '{{.Names}}']), `${tag}user\n`);
    assert.equal(s.ok(['ps', '-a', '--filter', 'volume=/data', '--format', '{{.Names}}']), '');
    const inUse = docker(['volume', 'rm', v]);
    assert.notEqual(inUse.code, 0);
    assert.match(inUse.stderr, /being used|in use/);
    ok(['rm', `${tag}user`]);
    ok(['volume', 'create', `${tag}other`]);
    const pruned = ok(['volume', 'prune', '-f']);
    assert.match(pruned, new RegExp(v));
    assert.match(pruned, new RegExp(`${tag}other`));
    assert.doesNotMatch(ok(['volume', 'ls', '-q']), new RegExp(tag));
    const gone = docker(['volume', 'inspect', v]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no such volume/);
  });

  test('API details: list shapes, bad input, 404s', async () => {
    const vols = await request(svc.socket, 'GET', '/v1.41/volumes');
    assert.deepEqual(Object.keys(vols.json()).sort(), ['Volumes', 'Warnings']);
    for (const [method, p, status, body] of [
      ['POST', '/networks/create', 400, {}],
      ['POST', '/networks/create', 400, '{bad'],
      ['GET', '/networks/nothing-here', 404],
      ['DELETE', '/networks/nothing-here', 404],
      ['POST', '/networks/bridge/connect', 400, {}],
      ['POST', '/networks/bridge/connect', 404, { Container: 'nothing-here' }],
      ['POST', '/networks/create', 400, { Name: `${tag}bad`, IPAM: { Config: [{ Subnet: 'not-a-subnet' }] } }],
      ['GET', '/volumes/nothing-here', 404],
      ['DELETE', '/volumes/nothing-here', 404],
      ['GET', '/networks?filters={bad', 400],
    ] as [string, string, number, unknown?][]) {
      const r = await request(svc.socket, method, p, body);
      assert.equal(r.status, status, `${method} ${p}: ${r.text}`);
      assert.equal(typeof r.json().message, 'string');
    }
    assert.equal((await request(svc.socket, 'GET', `/networks/${tag}bad`)).status, 404, 'nothing half-created');
  });

  test('docker-py: networks with an IPAM pool, connect/disconnect, volumes', async () => {
    const pySubnet = subnet.replace(/^10\.(\d+)\./, (_m, o) => `10.${Number(o) + 1}.`);
    const r = await py(`
ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet='${pySubnet}', gateway='${pySubnet.replace(/0\/24$/, '1')}')])
n = c.networks.create('${tag}py', driver='bridge', ipam=ipam, labels={'by': 'py'})
print(n.attrs['IPAM']['Config'][0]['Subnet'], n.attrs['Labels'])
ctr = c.containers.run('localhost/busybox', ['sleep', '100'], detach=True, name='${tag}pyc', network='${tag}py')
ctr.reload()
print(ctr.attrs['NetworkSettings']['Networks']['${tag}py']['IPAddress'].startswith('${pySubnet.split('.').slice(0, 3).join('.')}.'))
other = c.networks.create('${tag}py2')
other.connect(ctr, aliases=['pyalias'])
ctr.reload()
print(sorted(ctr.attrs['NetworkSettings']['Networks'].keys()))
other.reload()
print([x.name for x in other.containers])
other.disconnect(ctr)
ctr.reload()
print(sorted(ctr.attrs['NetworkSettings']['Networks'].keys()))
ctr.remove(force=True)
other.remove()
n.remove()
print('${tag}py' in [x.name for x in c.networks.list()])
v = c.volumes.create('${tag}pyv', labels={'a': 'b'})
print(c.volumes.get('${tag}pyv').attrs['Labels'], '${tag}pyv' in [x.name for x in c.volumes.list()])
print(c.volumes.prune()['VolumesDeleted'])
try:
    c.volumes.get('${tag}pyv')
except docker.errors.NotFound:
    print('gone')
`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      `${pySubnet} {'by': 'py'}`, 'True', `['${tag}py', '${tag}py2']`, `['${tag}pyc']`, `['${tag}py']`, 'False',
      "{'a': 'b'} True", `['${tag}pyv']`, 'gone', '',
    ].join('\n'));
  });
});
