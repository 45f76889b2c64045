// `pier network ...` through the real command definitions (tests/network/cli-entry.ts).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ENTRY = path.join(__dirname, 'cli-entry.ts');

class NetCli {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-net-cli-'));
  run(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, '--root', path.join(this.dir, 'root'), '--runroot', path.join(this.dir, 'run'), ...args], {
      env: { ...process.env, PIER_TEST_NETWORK_RUN_DIR: path.join(this.dir, 'netrun') }, input, encoding: 'utf8', timeout: 60_000,
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  ok(args: string[], input?: string): string {
    const r = this.run(args, input);
    assert.equal(r.code, 0, `pier ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }
  cleanup(): void { fs.rmSync(this.dir, { recursive: true, force: true }); }
}

test('network ls/create/inspect/exists/rm/prune', () => {
  const c = new NetCli();
  try {
    const ls = c.ok(['network', 'ls']);
    assert.match(ls, /^NETWORK ID {4}NAME {8}DRIVER\n[0-9a-f]{12}  pier {8}bridge\n$/);
    assert.equal(c.ok(['network', 'ls', '-q']), 'pier\n');
    // An unnamed network is named after its bridge (host-wide: pier1 unless another test holds it).
    const unnamed = c.ok(['network', 'create']).trim();
    assert.match(unnamed, /^pier[1-9]\d*$/);
    assert.equal(c.ok(['network', 'create', '--subnet', '10.199.40.0/24', '--gateway', '10.199.40.10', '--label', 'env=test', '-o', 'mtu=1400', '--internal', 'backend']), 'backend\n');
    assert.equal(c.ok(['network', 'ls', '--noheading', '--format', '{{.Name}} {{.Driver}} {{.Labels}}']), `backend bridge env=test\npier bridge \n${unnamed} bridge \n`);
    assert.equal(c.ok(['network', 'ls', '--filter', 'label=env=test', '-q']), 'backend\n');

    const insp = JSON.parse(c.ok(['network', 'inspect', 'backend']));
    assert.equal(insp.length, 1);
    assert.deepEqual(Object.keys(insp[0]), ['name', 'id', 'driver', 'network_interface', 'created', 'subnets', 'ipv6_enabled', 'internal', 'dns_enabled', 'labels', 'options', 'ipam_options']);
    assert.deepEqual(insp[0].subnets, [{ subnet: '10.199.40.0/24', gateway: '10.199.40.10' }]);
    assert.equal(insp[0].internal, true);
    assert.deepEqual(insp[0].options, { mtu: '1400' });
    assert.match(c.ok(['network', 'inspect', 'backend']), /^\[\n {5}\{\n {10}"name": "backend",/);
    assert.match(c.ok(['network', 'inspect', '--format', '{{.Name}} {{.NetworkInterface}} {{range .Subnets}}{{.Gateway}}{{end}} {{.DNSEnabled}}', 'backend']), /^backend pier\d+ 10\.199\.40\.10 true\n$/);
    const js = JSON.parse(c.ok(['network', 'ls', '--format', 'json']));
    assert.deepEqual(js.map((n: any) => n.name), ['backend', 'pier', unnamed]);

    let r = c.run(['network', 'create', 'backend']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: network name backend already used: network already exists\n');
    assert.equal(c.ok(['network', 'create', '--ignore', 'backend']), 'backend\n');
    r = c.run(['network', 'create', '--subnet', '10.199.40.128/25', 'other']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: subnet 10.199.40.128/25 is already used on the host or by another config\n');
    r = c.run(['network', 'inspect', 'nope']);
    assert.equal(r.code, 125);
    assert.equal(r.stdout, '[]\n');
    assert.equal(r.stderr, 'Error: unable to find network with name or ID nope: network not found\n');

    assert.equal(c.run(['network', 'exists', 'backend']).code, 0);
    assert.equal(c.run(['network', 'exists', 'nope']).code, 1);

    r = c.run(['network', 'rm', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error: unable to find network with name or ID nope: network not found\n');
    r = c.run(['network', 'rm', 'pier']);
    assert.equal(r.code, 125);
    assert.equal(c.ok(['network', 'rm', 'backend']), 'backend\n');
    assert.equal(c.run(['network', 'exists', 'backend']).code, 1);

    // prune asks first; "n" keeps everything.
    const asked = c.run(['network', 'prune'], 'n\n');
    assert.equal(asked.code, 0);
    assert.match(asked.stdout, /WARNING! This will remove all networks not used by at least one container\./);
    assert.equal(c.ok(['network', 'ls', '-q']), `pier\n${unnamed}\n`);
    assert.equal(c.ok(['network', 'prune', '-f']), `${unnamed}\n`);
    assert.equal(c.ok(['network', 'ls', '-q']), 'pier\n');
  } finally { c.cleanup(); }
});

test('network rm --force skips a network that does not exist; --time needs --force', () => {
  const c = new NetCli();
  try {
    c.ok(['network', 'create', 'gone-soon']);
    let r = c.run(['network', 'rm', '--force', 'bogus']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, '', '']);
    // the others named are still removed, the missing one is not reported
    r = c.run(['network', 'rm', '-f', 'bogus', 'gone-soon']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'gone-soon\n', '']);
    r = c.run(['network', 'rm', '-t', '5', 'bogus']);
    assert.deepEqual([r.code, r.stderr], [125, 'Error: --force option must be specified to use the --time option\n']);
    r = c.run(['network', 'rm', '-f', '-t', '0', 'bogus']);
    assert.equal(r.code, 0);
  } finally { c.cleanup(); }
});

test('network inspect and ls: labels, options and IPAM options are Go maps (sorted keys)', () => {
  const c = new NetCli();
  try {
    c.ok(['network', 'create', '--subnet', '10.199.41.0/24', '--label', 'zz=1', '--label', 'aa=2', '-o', 'mtu=1400', '-o', 'isolate=true', 'mapsnet']);
    assert.equal(c.ok(['network', 'inspect', '--format', '{{json .Labels}} {{json .Options}} {{.Labels}}', 'mapsnet']),
      '{"aa":"2","zz":"1"} {"isolate":"true","mtu":"1400"} map[aa:2 zz:1]\n');
    const text = c.ok(['network', 'inspect', 'mapsnet']);
    assert.match(text, /"labels": \{\n {15}"aa": "2",\n {15}"zz": "1"\n {10}\},\n {10}"options": \{\n {15}"isolate": "true",\n {15}"mtu": "1400"\n {10}\},/);
    assert.match(c.ok(['network', 'ls', '--filter', 'name=mapsnet', '--format', 'json']), /"labels": \{\n {6}"aa": "2",\n {6}"zz": "1"\n {4}\}/);
    assert.equal(c.ok(['network', 'ls', '--filter', 'name=mapsnet', '--format', '{{.Labels}}']), 'aa=2,zz=1\n');
    c.ok(['network', 'rm', 'mapsnet']);
  } finally {
    c.cleanup();
  }
});
