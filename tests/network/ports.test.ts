import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { parsePublish, publishAll, resolveHostPorts, formatPortMapping } from '../../src/network/ports';

test('parsePublish handles podman -p forms', () => {
  assert.deepEqual(parsePublish('8080:80'), [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('80'), [{ host_ip: '', container_port: 80, host_port: 0, range: 1, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('127.0.0.1:8080:80/udp'), [{ host_ip: '127.0.0.1', container_port: 80, host_port: 8080, range: 1, protocol: 'udp' }]);
  assert.deepEqual(parsePublish('127.0.0.1::80'), [{ host_ip: '127.0.0.1', container_port: 80, host_port: 0, range: 1, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('0.0.0.0:53:53/tcp,udp').map((m) => m.protocol), ['tcp', 'udp']);
  assert.deepEqual(parsePublish('8080-8090:80-90'), [{ host_ip: '', container_port: 80, host_port: 8080, range: 11, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('[::1]:8080:80'), [{ host_ip: '::1', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }]);
  assert.deepEqual(parsePublish('80-81'), [{ host_ip: '', container_port: 80, host_port: 0, range: 2, protocol: 'tcp' }]);
});

test('parsePublish rejects bad specs', () => {
  assert.throws(() => parsePublish('8080-8081:80-90'), /different lengths: 2 vs 11/);
  assert.throws(() => parsePublish('80/icmp'), /unrecognized protocol "icmp"/);
  assert.throws(() => parsePublish('99999:80'), /invalid hostPort/);
  assert.throws(() => parsePublish('x:80'), /invalid hostPort/);
  assert.throws(() => parsePublish('8080:'), /container port must be specified/);
  assert.throws(() => parsePublish('300.1.1.1:80:80'), /invalid IP address/);
  assert.throws(() => parsePublish('1:2:3:4'), /invalid port format/);
});

test('publishAll maps exposed ports not already published', () => {
  const out = publishAll({ '80/tcp': {}, '53/udp': {}, '443/tcp': {} }, parsePublish('8443:443'));
  assert.deepEqual(out.map((m) => `${m.container_port}/${m.protocol}:${m.host_port}`), ['80/tcp:0', '53/udp:0']);
});

test('resolveHostPorts picks free ports and refuses ports in use', async () => {
  const [m] = await resolveHostPorts(parsePublish('127.0.0.1::80'));
  assert.ok(m.host_port >= 20000 && m.host_port < 60000);
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    await assert.rejects(resolveHostPorts(parsePublish(`127.0.0.1:${port}:80`)),
      new RegExp(`cannot listen on the TCP port: listen tcp4 127.0.0.1:${port}: bind: address already in use`));
  } finally {
    await new Promise<void>((r) => srv.close(() => r()));
  }
  // Published by another container (no socket bound: netavark only adds DNAT rules).
  const taken = parsePublish('18081:80');
  await assert.rejects(resolveHostPorts(parsePublish('18080-18082:80-82'), taken), /address already in use/);
  await assert.rejects(resolveHostPorts(parsePublish('18081:80').concat(parsePublish('18081:81'))), /address already in use/);
  const ok = await resolveHostPorts(parsePublish('18081:80/udp'), taken);
  assert.equal(ok[0].host_port, 18081);
  assert.equal(formatPortMapping({ host_ip: '', container_port: 80, host_port: 8080, range: 3, protocol: 'tcp' }), '0.0.0.0:8080-8082->80-82/tcp');
});
