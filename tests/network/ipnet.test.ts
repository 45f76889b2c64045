import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatCIDR, formatIP, overlaps, parseCIDR, parseIP, contains, lastAddr, nth } from '../../src/network/ipnet';

test('IPv4 and IPv6 addresses round-trip in canonical form', () => {
  assert.equal(formatIP(parseIP('10.90.1.2')!), '10.90.1.2');
  assert.equal(formatIP(parseIP('fd00:0:0:0:0:0:0:1')!), 'fd00::1');
  assert.equal(formatIP(parseIP('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
  assert.equal(formatIP(parseIP('::ffff:1.2.3.4')!), '::ffff:102:304');
  assert.equal(parseIP('10.90.1.256'), null);
  assert.equal(parseIP('nope'), null);
});

test('CIDR parsing normalises the network address and checks the prefix', () => {
  assert.equal(formatCIDR(parseCIDR('10.90.1.77/24')!), '10.90.1.0/24');
  assert.equal(formatCIDR(parseCIDR('fd12:3456::9/64')!), 'fd12:3456::/64');
  assert.equal(parseCIDR('10.0.0.0/33'), null);
  assert.equal(parseCIDR('10.0.0.0'), null);
  const n = parseCIDR('10.90.3.0/24')!;
  assert.equal(formatIP({ v6: false, n: lastAddr(n) }), '10.90.3.255');
  assert.equal(formatIP(nth(n, 1n)), '10.90.3.1');
  assert.ok(contains(n, parseIP('10.90.3.200')!));
  assert.ok(!contains(n, parseIP('10.90.4.1')!));
});

test('overlap detection between subnets of one family only', () => {
  assert.ok(overlaps(parseCIDR('10.90.0.0/16')!, parseCIDR('10.90.7.0/24')!));
  assert.ok(overlaps(parseCIDR('10.90.7.128/25')!, parseCIDR('10.90.7.0/24')!));
  assert.ok(!overlaps(parseCIDR('10.90.7.0/24')!, parseCIDR('10.90.8.0/24')!));
  assert.ok(!overlaps(parseCIDR('10.88.0.0/16')!, parseCIDR('10.90.0.0/24')!));
  assert.ok(!overlaps(parseCIDR('::/0')!, parseCIDR('10.0.0.0/8')!));
});
