import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NetworkStore, NetworkInUseError, DEFAULT_NETWORK, DEFAULT_SUBNET } from '../../src/network/store';
import { hostSubnets } from '../../src/network/host';
import { formatCIDR } from '../../src/network/ipnet';
import { allocate, release, allocations, withHostLock, liveClaims } from '../../src/network/ipam';

function tmp(): { dir: string; store: (runDir?: string) => NetworkStore; runDir: string; done: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-net-store-'));
  const runDir = path.join(dir, 'netrun');
  let n = 0;
  return {
    dir, runDir,
    store: (rd = runDir) => new NetworkStore({ configDir: path.join(dir, `cfg${n++}`), runDir: rd }),
    done: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

test('default network is created when first needed, with netavark fields', async () => {
  const t = tmp();
  try {
    const s = t.store();
    const list = await s.list();
    assert.deepEqual(list.map((n) => n.name), [DEFAULT_NETWORK]);
    const d = s.get('pier');
    assert.equal(d.id.length, 64);
    assert.equal(d.network_interface, 'pier0');
    assert.deepEqual(d.subnets, [{ subnet: DEFAULT_SUBNET, gateway: '10.90.0.1' }]);
    assert.equal(d.dns_enabled, false);
    assert.deepEqual(d.ipam_options, { driver: 'host-local' });
    assert.match(d.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.ok(fs.existsSync(path.join(s.configDir, 'pier.json')));
    // Stable across reads, found by id prefix.
    assert.equal(s.get(d.id.slice(0, 10)).created, d.created);
    await assert.rejects(s.remove('pier'), /default network pier cannot be removed/);
  } finally { t.done(); }
});

test('create allocates bridges and subnets, validates, lists, filters and removes', async () => {
  const t = tmp();
  try {
    const s = t.store();
    const a = await s.create({});
    // Unnamed networks are named after their bridge, allocated host-wide.
    assert.equal(a.name, a.network_interface);
    // Bridge names are allocated host-wide: another test may hold pier1 right now.
    assert.match(a.network_interface!, /^pier[1-9]\d*$/);
    assert.equal(a.dns_enabled, true);
    assert.equal(a.subnets!.length, 1);
    assert.match(a.subnets![0].subnet, /^10\.(9[0-9])\.\d+\.0\/24$/);
    assert.notEqual(a.subnets![0].subnet, DEFAULT_SUBNET);
    const b = await s.create({ name: 'web', labels: { team: 'a' }, options: { mtu: '1400', isolate: 'true' }, internal: true });
    assert.match(b.network_interface!, /^pier[1-9]\d*$/);
    assert.notEqual(b.network_interface, a.network_interface);
    assert.notEqual(b.subnets![0].subnet, a.subnets![0].subnet);
    assert.deepEqual(b.options, { mtu: '1400', isolate: 'true' });
    assert.equal(b.internal, true);
    const c = await s.create({ name: 'fixed', subnets: ['10.199.3.0/24'], gateways: ['10.199.3.254'], ipRanges: ['10.199.3.0/25'], disableDns: true });
    assert.deepEqual(c.subnets, [{ subnet: '10.199.3.0/24', gateway: '10.199.3.254', lease_range: { start_ip: '10.199.3.1', end_ip: '10.199.3.126' } }]);
    assert.equal(c.dns_enabled, false);
    const v6 = await s.create({ name: 'dual', ipv6: true });
    assert.equal(v6.ipv6_enabled, true);
    assert.equal(v6.subnets!.length, 2);
    assert.match(v6.subnets![1].subnet, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);

    await assert.rejects(s.create({ name: 'web' }), /network name web already used: network already exists$/);
    assert.equal((await s.create({ name: 'web', ignore: true })).id, b.id);
    await assert.rejects(s.create({ name: 'x1', subnets: ['10.199.3.128/25'] }), /subnet 10\.199\.3\.128\/25 is already used on the host or by another config/);
    await assert.rejects(s.create({ name: 'x2', subnets: [DEFAULT_SUBNET] }), /is already used on the host or by another config/);
    await assert.rejects(s.create({ name: 'bad name' }), /names must match/);
    await assert.rejects(s.create({ name: 'x3', driver: 'foo' }), /unsupported driver foo/);
    await assert.rejects(s.create({ name: 'x4', gateways: ['10.1.1.1'] }), /without subnet/);
    await assert.rejects(s.create({ name: 'x5', subnets: ['10.198.0.0/24'], gateways: ['10.198.1.1'] }), /gateway ip 10\.198\.1\.1 not in subnet 10\.198\.0\.0\/24/);
    await assert.rejects(s.create({ name: 'x6', subnets: ['10.198.0.0/33'] }), /invalid CIDR address/);
    await assert.rejects(s.create({ name: 'x7', options: { foo: '1' } }), /unsupported bridge network option foo/);
    // Subnets on the host (loopback, the LAN's routes) are refused.
    await assert.rejects(s.create({ name: 'x8', subnets: ['127.0.0.0/24'] }), /already used on the host/);
    const lan = hostSubnets().find((h) => !h.net.v6 && !h.where.includes(' lo'));
    if (lan) await assert.rejects(s.create({ name: 'x9', subnets: [formatCIDR(lan.net)] }), /already used on the host/);

    assert.deepEqual((await s.list()).map((n) => n.name), ['dual', 'fixed', 'pier', a.name, 'web'].sort());
    assert.deepEqual((await s.list(['label=team=a'])).map((n) => n.name), ['web']);
    assert.deepEqual((await s.list(['name=^p'])).map((n) => n.name), ['pier', a.name].sort());
    assert.deepEqual((await s.list([`id=${b.id.slice(0, 6)}`])).map((n) => n.name), ['web']);
    assert.deepEqual((await s.list(['label!=team'])).map((n) => n.name), ['dual', 'fixed', 'pier', a.name].sort());
    await assert.rejects(s.list(['bogus=1']), /invalid filter/);

    const used = (n: string) => (n === 'web' ? ['ctr1'] : []);
    await assert.rejects(s.remove('web', { usedBy: used }), (e: unknown) => e instanceof NetworkInUseError && /"web" has associated containers with it/.test((e as Error).message));
    let forced: string[] = [];
    assert.equal(await s.remove('web', { usedBy: used, force: true, onForce: async (ids) => { forced = ids; } }), 'web');
    assert.deepEqual(forced, ['ctr1']);
    await assert.rejects(s.remove('web'), /unable to find network with name or ID web: network not found/);
    assert.equal(s.exists('web'), false);
    assert.equal(s.exists(a.name), true);

    assert.deepEqual(await s.prune([], (n) => (n === 'fixed' ? ['c'] : [])), ['dual', a.name].sort());
    assert.deepEqual((await s.list()).map((n) => n.name), ['fixed', 'pier']);
    await s.remove('fixed');
    // Removing the networks dropped their host-wide claims.
    assert.deepEqual([...liveClaims(s.runDir).keys()], []);
  } finally { t.done(); }
});

test('two stores on one host never get the same bridge or subnet', async () => {
  const t = tmp();
  try {
    const s1 = t.store();
    const s2 = t.store();
    const a = await s1.create({ name: 'same' });
    const b = await s2.create({ name: 'same' });
    assert.notEqual(a.network_interface, b.network_interface);
    assert.notEqual(a.subnets![0].subnet, b.subnets![0].subnet);
    await assert.rejects(s2.create({ name: 'other', subnets: [a.subnets![0].subnet] }), /already used on the host or by another config/);
    await assert.rejects(s2.create({ name: 'other', interfaceName: a.network_interface }), /bridge name .* already in use/);
    // Released: the next store may take it again. (A subnet outside the automatic range,
    // so that no concurrently running test picks it up in between.)
    await s1.create({ name: 'fixed', subnets: ['10.199.211.0/24'] });
    await assert.rejects(s2.create({ name: 'other', subnets: ['10.199.211.0/24'] }), /already used on the host or by another config/);
    await s1.remove('fixed');
    const c = await s2.create({ name: 'again', subnets: ['10.199.211.0/24'] });
    assert.equal(c.subnets![0].subnet, '10.199.211.0/24');
    await s1.remove('same');
  } finally { t.done(); }
});

test('host-local IPAM: sequential, static, conflicts, lease range and release', async () => {
  const t = tmp();
  try {
    const s = t.store();
    const n = await s.create({ name: 'n', subnets: ['10.199.9.0/24'], ipRanges: ['10.199.9.16/30'] });
    const file = s.fileOf('n');
    const ids = ['a', 'b', 'c', 'd'].map((x) => x.repeat(64));
    await withHostLock(s.runDir, () => {
      assert.deepEqual(allocate(s.runDir, n, file, ids[0]), ['10.199.9.17']);
      assert.deepEqual(allocate(s.runDir, n, file, ids[0]), ['10.199.9.17'], 'idempotent per container');
      assert.deepEqual(allocate(s.runDir, n, file, ids[1]), ['10.199.9.18']);
      assert.throws(() => allocate(s.runDir, n, file, ids[2], ['10.199.9.18']), /already allocated to container ID b{64}/);
      assert.throws(() => allocate(s.runDir, n, file, ids[2], ['10.199.9.1']), /reserved/);
      assert.throws(() => allocate(s.runDir, n, file, ids[2], ['10.1.1.1']), /not in any subnet/);
      assert.deepEqual(allocate(s.runDir, n, file, ids[2], ['10.199.9.200']), ['10.199.9.200']);
      assert.throws(() => allocate(s.runDir, n, file, ids[3]), /failed to find free IP in range: 10\.199\.9\.17 - 10\.199\.9\.18/);
      release(s.runDir, n, ids[1]);
      assert.deepEqual(allocate(s.runDir, n, file, 'e'.repeat(64)), ['10.199.9.18']);
      assert.deepEqual(allocations(s.runDir, n), { '10.199.9.17': ids[0], '10.199.9.18': 'e'.repeat(64), '10.199.9.200': ids[2] });
      for (const id of [...ids, 'e'.repeat(64)]) release(s.runDir, n, id);
      assert.deepEqual(allocations(s.runDir, n), {});
    });
    await s.remove('n');
    assert.deepEqual(fs.readdirSync(path.join(s.runDir, 'ipam')), []);
  } finally { t.done(); }
});

test('host-local IPAM hands addresses out round robin as podman\'s: a freed address is not reused next', async () => {
  const t = tmp();
  try {
    const s = t.store();
    const n = await s.create({ name: 'rr', subnets: ['10.199.10.0/24'], ipRanges: ['10.199.10.16/30'] });
    const file = s.fileOf('rr');
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(64));
    await withHostLock(s.runDir, () => {
      assert.deepEqual(allocate(s.runDir, n, file, a), ['10.199.10.17']);
      release(s.runDir, n, a);
      assert.deepEqual(allocate(s.runDir, n, file, b), ['10.199.10.18'], 'after the last one handed out');
      release(s.runDir, n, b);
      assert.deepEqual(allocate(s.runDir, n, file, c), ['10.199.10.17'], 'back to the start at the end of the range');
      // a static address does not move the round robin; taken ones are skipped
      assert.deepEqual(allocate(s.runDir, n, file, a, ['10.199.10.18']), ['10.199.10.18']);
      assert.throws(() => allocate(s.runDir, n, file, d), /failed to find free IP in range: 10\.199\.10\.17 - 10\.199\.10\.18/);
      release(s.runDir, n, c);
      assert.deepEqual(allocate(s.runDir, n, file, d), ['10.199.10.17']);
      for (const id of [a, b, c, d]) release(s.runDir, n, id);
    });
    await s.remove('rr');
  } finally { t.done(); }
});
