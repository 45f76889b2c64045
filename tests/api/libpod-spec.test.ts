// The Libpod create body both ways for the run/create flags added in podman 4.3's shape:
// what pier's remote client sends (specGenerator) read back by the service (specToCreate)
// as podman-remote's body would be, without pier's own copy of the options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specGenerator } from '../../src/domain/remote/spec';
import { specToCreate } from '../../src/api/libpod/spec';
import type { CreateOptions } from '../../src/domain/containers';

/** The body podman-remote would send: pier's SpecGenerator fields only. */
function podmanBody(o: CreateOptions): Record<string, unknown> {
  const b = specGenerator(o);
  delete b.pier_create_options;
  return b;
}

test('health_check_on_failure_action: podman\'s numbers (2 kill, 3 restart, 4 stop), 0 none', () => {
  const hc = { Test: ['CMD-SHELL', 'true'], Interval: 30e9 };
  for (const [a, n] of [['kill', 2], ['restart', 3], ['stop', 4]] as const) {
    const b = podmanBody({ image: 'img', command: [], healthcheck: hc, healthOnFailure: a });
    assert.equal(b.health_check_on_failure_action, n);
    assert.equal(specToCreate({ ...b, healthconfig: hc }).healthOnFailure, a);
  }
  assert.equal(podmanBody({ image: 'img', command: [] }).health_check_on_failure_action, undefined);
  assert.equal(specToCreate({ image: 'img', health_check_on_failure_action: 0 }).healthOnFailure, undefined);
  assert.throws(() => specToCreate({ image: 'img', health_check_on_failure_action: 1 }), /invalid on-failure action/);
});

test('memory swappiness, chroot directories and cgroup conf', () => {
  const b = podmanBody({ image: 'img', command: [], memorySwappiness: 0, chrootDirs: ['/a', '/b'], cgroupConf: { 'memory.high': '1000' } });
  assert.deepEqual(b.resource_limits, { memory: { swappiness: 0 } });
  assert.deepEqual(b.chroot_directories, ['/a', '/b']);
  assert.deepEqual(b.cgroup_conf, { 'memory.high': '1000' });
  const o = specToCreate(b);
  assert.equal(o.memorySwappiness, 0);
  assert.deepEqual(o.chrootDirs, ['/a', '/b']);
  assert.deepEqual(o.cgroupConf, { 'memory.high': '1000' });
  const plain = specToCreate(podmanBody({ image: 'img', command: [] }));
  assert.equal(plain.memorySwappiness, undefined);
  assert.equal(plain.chrootDirs, undefined);
  assert.equal(plain.cgroupConf, undefined);
});

test('--ip/--ip6/--mac-address and network options travel in Networks\' per-network options (static_ips)', () => {
  const b = podmanBody({ image: 'img', command: [], network: 'n6', networks: ['n6:alias=a'], ip: '10.0.0.5', ip6: 'fd00::5', macAddress: '02:00:00:00:00:01', networkAliases: ['b'] });
  assert.deepEqual(b.Networks, { n6: { aliases: ['b', 'a'], static_ips: ['10.0.0.5', 'fd00::5'], static_mac: '02:00:00:00:00:01', interface_name: undefined } });
  assert.deepEqual(specToCreate(b).networks, ['n6:alias=b,alias=a,ip=10.0.0.5,ip=fd00::5,mac=02:00:00:00:00:01']);
  // the default network is named when it carries a static address
  assert.deepEqual(Object.keys(podmanBody({ image: 'img', command: [], ip6: 'fd00::5' }).Networks as object), ['bridge']);
  assert.equal(podmanBody({ image: 'img', command: [] }).Networks, undefined);
  assert.deepEqual(specToCreate({ image: 'img', Networks: { n6: { static_ips: ['fd00::7'] } } }).networks, ['n6:ip=fd00::7']);
});

test('init_container_type: --init-ctr both ways, absent when unset', () => {
  for (const t of ['always', 'once'] as const) {
    const b = podmanBody({ image: 'img', command: [], pod: 'p', initContainerType: t });
    assert.equal(b.init_container_type, t);
    assert.equal(specToCreate(b).initContainerType, t);
  }
  const plain = podmanBody({ image: 'img', command: [] });
  assert.equal('init_container_type' in plain, false);
  assert.equal(specToCreate(plain).initContainerType, undefined);
});

test('image_volumes (--mount type=image) and image_volume_mode (bind is podman\'s anonymous) both ways', () => {
  const b = podmanBody({ image: 'img', command: [], mounts: ['type=image,src=alpine,dst=/im,rw=true', 'type=tmpfs,dst=/t'], imageVolume: 'bind' });
  assert.deepEqual(b.image_volumes, [{ Source: 'alpine', Destination: '/im', ReadWrite: true }]);
  assert.equal(b.image_volume_mode, 'anonymous');
  const o = specToCreate(b);
  assert.deepEqual(o.mounts, ['type=image,source=alpine,destination=/im,rw=true']);
  assert.equal(o.imageVolume, 'bind');
  assert.equal(specToCreate(podmanBody({ image: 'img', command: [], imageVolume: 'tmpfs' })).imageVolume, 'tmpfs');
  const plain = podmanBody({ image: 'img', command: [] });
  assert.equal(plain.image_volumes, undefined);
  assert.equal(plain.image_volume_mode, undefined);
  assert.throws(() => specToCreate({ image: 'img', image_volume_mode: 'bogus' }), /invalid ImageVolumeMode "bogus", value must be one of ignore,tmpfs,anonymous/);
});
