// Real netavark + aardvark-dns on real network namespaces, veths and bridges (root only).
// Every test uses its own bridge name (piertXXXXXX), network store and run dir, and checks
// that nothing is left behind: no bridge, netns file, iptables rule or aardvark-dns.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { NetworkStore } from '../../src/network/store';
import {
  createNetns, removeNetns, execInNetns, setupContainerNetwork, teardownContainerNetwork, isNetns,
  connectContainerNetwork, disconnectContainerNetwork, reloadContainerNetwork, containerIPs, containerDNS, savedAttachment,
} from '../../src/network/netavark';
import { hostSubnets } from '../../src/network/host';
import { allocations } from '../../src/network/ipam';
import { formatIP } from '../../src/network/ipnet';
import type { NetworkDef } from '../../src/network/types';

const BUSYBOX = fs.existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';

class Env {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-netavark-'));
  readonly store = new NetworkStore({ configDir: path.join(this.dir, 'networks'), runDir: path.join(this.dir, 'netrun') });
  readonly runRoot = path.join(this.dir, 'run');
  readonly bridges: string[] = [];
  readonly ids: string[] = [];
  readonly netns: string[] = [];
  readonly procs: ChildProcess[] = [];

  async network(name: string, o: { internal?: boolean; ipv6?: boolean } = {}): Promise<NetworkDef> {
    const bridge = `piert${crypto.randomBytes(3).toString('hex')}`;
    const def = await this.store.create({ name, interfaceName: bridge, ...o });
    this.bridges.push(bridge);
    return def;
  }

  container(): { id: string; ns: string } {
    const id = crypto.randomBytes(32).toString('hex');
    const ns = createNetns(this.runRoot, id);
    this.ids.push(id);
    this.netns.push(ns);
    return { id, ns };
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs) p.kill('SIGKILL');
    for (const id of this.ids) await teardownContainerNetwork({ store: this.store, containerId: id }).catch(() => undefined);
    for (const ns of this.netns) removeNetns(ns);
    for (const n of await this.store.list()) if (n.name !== 'pier') await this.store.remove(n.name).catch(() => undefined);
    // Nothing may be left on the host.
    const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string; master?: string }[];
    for (const b of this.bridges) {
      assert.ok(!links.some((l) => l.ifname === b || l.master === b), `bridge ${b} or its veths left behind`);
    }
    assert.deepEqual(fs.readdirSync(path.join(this.runRoot, 'netns')), [], 'netns files left behind');
    assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(this.dir), 'netns mounts left behind');
    const rules = execFileSync('iptables-save', { encoding: 'utf8' }) + execFileSync('ip6tables-save', { encoding: 'utf8' });
    for (const id of this.ids) assert.ok(!rules.includes(id), `iptables rules of ${id.slice(0, 12)} left behind`);
    // Subnets are host-wide and handed out again at once (a concurrent suite may own ours already):
    // what must be gone are the rules of our own bridges' chains, checked below.
    for (const b of this.bridges) {
      // netavark names its chains after sha512(network name); pier hands it the bridge name.
      const hash = crypto.createHash('sha512').update(b).digest('hex').slice(0, 13).toUpperCase();
      assert.ok(!rules.includes(`NETAVARK-${hash}`) && !rules.includes(`NETAVARK-DN-${hash}`), `iptables chains of ${b} left behind`);
    }
    // aardvark-dns exits once its last network entry is gone.
    const pidFile = path.join(this.store.runDir, 'aardvark-dns', 'aardvark.pid');
    for (let i = 0; i < 50 && fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!fs.existsSync(pidFile), 'aardvark-dns still running');
    const ipam = path.join(this.store.runDir, 'ipam');
    assert.deepEqual(fs.existsSync(ipam) ? fs.readdirSync(ipam) : [], [], 'IPAM claims left behind');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function bb(ns: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  return execInNetns(ns, BUSYBOX, args);
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

async function retry<T>(fn: () => Promise<T>, tries = 30): Promise<T> {
  for (let i = 0; ; i++) {
    try { return await fn(); } catch (e) { if (i >= tries) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
}

function hostLanIP(): string | undefined {
  const out = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'scope', 'global'], { encoding: 'utf8' })) as any[];
  for (const l of out) {
    if (String(l.ifname).startsWith('piert')) continue;
    for (const a of l.addr_info ?? []) if (a.family === 'inet') return a.local;
  }
  return undefined;
}

test('netns lifecycle: created with lo up, removed completely', async () => {
  const env = new Env();
  try {
    const { ns } = env.container();
    assert.ok(isNetns(ns));
    assert.match(bb(ns, 'ip', 'link', 'show', 'lo').stdout, /UP/);
    assert.equal(createNetns(env.runRoot, env.ids[0]), ns, 'idempotent');
    removeNetns(ns);
    assert.ok(!isNetns(ns));
    assert.ok(!fs.existsSync(ns));
    removeNetns(ns);
  } finally { await env.cleanup(); }
});

/** Runs `fn` until it exits 0 (up to ~3 s): for what settles asynchronously on a loaded machine. */
async function settle(fn: () => { code: number; stdout: string; stderr: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  let r = fn();
  for (let i = 0; i < 10 && r.code !== 0; i++) {
    await new Promise((res) => setTimeout(res, 300));
    r = fn();
  }
  return r;
}

test('two containers on one network: ping by IP, resolve names and aliases through aardvark-dns', async () => {
  const env = new Env();
  try {
    const net = await env.network('web');
    const a = env.container();
    const b = env.container();
    const ra = await setupContainerNetwork({ store: env.store, containerId: a.id, name: 'alpha', networks: { web: {} }, netnsPath: a.ns });
    const rb = await setupContainerNetwork({ store: env.store, containerId: b.id, name: 'beta', networks: { web: { aliases: ['db'] } }, netnsPath: b.ns });
    const gw = net.subnets![0].gateway!;
    assert.deepEqual(Object.keys(ra.status), ['web']);
    const ipA = containerIPs(ra.status)[0];
    const ipB = containerIPs(rb.status)[0];
    assert.equal(ra.status.web.interfaces!.eth0.subnets![0].ipnet, `${ipA}/24`);
    assert.equal(ra.status.web.interfaces!.eth0.subnets![0].gateway, gw);
    assert.notEqual(ipA, ipB);
    assert.deepEqual(containerDNS(ra.status), { servers: [gw], search: ['dns.podman'] });
    assert.match(bb(a.ns, 'ip', '-4', 'addr', 'show', 'eth0').stdout, new RegExp(`inet ${ipA.replace(/\./g, '\\.')}/24`));
    assert.match(bb(a.ns, 'ip', 'route').stdout, new RegExp(`default via ${gw.replace(/\./g, '\\.')}`));

    const ping = bb(a.ns, 'ping', '-c', '1', '-W', '3', ipB);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);
    assert.match(ping.stdout, /1 packets received/);
    // The host is reachable through the bridge's gateway (not an internal network).
    const lan = hostLanIP();
    if (lan) assert.equal(await settle(() => bb(a.ns, 'ping', '-c', '1', '-W', '3', lan)).then((r) => r.code), 0);

    // aardvark-dns reloads asynchronously after netavark's SIGHUP.
    const q1 = await settle(() => bb(a.ns, 'nslookup', 'beta', gw));
    assert.equal(q1.code, 0, q1.stdout + q1.stderr);
    assert.match(q1.stdout, new RegExp(`Address:? ${ipB.replace(/\./g, '\\.')}`));
    assert.match((await settle(() => bb(b.ns, 'nslookup', 'alpha', gw))).stdout, new RegExp(`Address:? ${ipA.replace(/\./g, '\\.')}`));
    assert.match((await settle(() => bb(a.ns, 'nslookup', 'db.dns.podman', gw))).stdout, new RegExp(`Address:? ${ipB.replace(/\./g, '\\.')}`));
    assert.match((await settle(() => bb(a.ns, 'nslookup', b.id.slice(0, 12), gw))).stdout, new RegExp(`Address:? ${ipB.replace(/\./g, '\\.')}`), 'short id alias');
    assert.notEqual(bb(a.ns, 'nslookup', 'nosuchname', gw).code, 0);

    // Addresses are held until teardown, then released.
    await assert.rejects(setupContainerNetwork({ store: env.store, containerId: a.id, name: 'alpha', networks: { web: {} }, netnsPath: a.ns }), /already attached/);
    const c = env.container();
    await assert.rejects(setupContainerNetwork({ store: env.store, containerId: c.id, name: 'gamma', networks: { web: { staticIps: [ipB] } }, netnsPath: c.ns }), /already allocated/);
    await teardownContainerNetwork({ store: env.store, containerId: b.id });
    assert.equal(savedAttachment(env.store, b.id), undefined);
    assert.doesNotMatch(bb(b.ns, 'ip', 'link').stdout, /eth0/);
    assert.notEqual(bb(a.ns, 'nslookup', 'beta', gw).code, 0, 'removed from DNS');
    const rc = await setupContainerNetwork({ store: env.store, containerId: c.id, name: 'gamma', networks: { web: { staticIps: [ipB] } }, netnsPath: c.ns });
    assert.deepEqual(containerIPs(rc.status), [ipB]);
    assert.equal(bb(c.ns, 'ping', '-c', '1', '-W', '3', ipA).code, 0);
  } finally { await env.cleanup(); }
});

test('an internal network has no route out, but its containers reach each other', async () => {
  const env = new Env();
  try {
    const net = await env.network('intern', { internal: true });
    const a = env.container();
    const b = env.container();
    const ra = await setupContainerNetwork({ store: env.store, containerId: a.id, name: 'ia', networks: { intern: {} }, netnsPath: a.ns });
    const rb = await setupContainerNetwork({ store: env.store, containerId: b.id, name: 'ib', networks: { intern: {} }, netnsPath: b.ns });
    assert.doesNotMatch(bb(a.ns, 'ip', 'route').stdout, /default/);
    const lan = hostLanIP();
    if (lan) {
      const r = bb(a.ns, 'ping', '-c', '1', '-W', '2', lan);
      assert.notEqual(r.code, 0);
      assert.match(r.stdout + r.stderr, /unreachable|100% packet loss/i);
    }
    assert.equal(bb(a.ns, 'ping', '-c', '1', '-W', '3', containerIPs(rb.status)[0]).code, 0);
    assert.match((await settle(() => bb(a.ns, 'nslookup', 'ib', net.subnets![0].gateway!))).stdout, new RegExp(containerIPs(rb.status)[0].replace(/\./g, '\\.')));
    assert.ok(containerIPs(ra.status)[0]);
  } finally { await env.cleanup(); }
});

test('port mapping: host 127.0.0.1 and LAN ports reach busybox httpd; reload and teardown', async () => {
  const env = new Env();
  try {
    await env.network('ports');
    const a = env.container();
    const www = path.join(env.dir, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from pier\n');
    const httpd = spawn('nsenter', [`--net=${a.ns}`, BUSYBOX, 'httpd', '-f', '-p', '80', '-h', www], { stdio: 'ignore' });
    env.procs.push(httpd);
    const r = await setupContainerNetwork({
      store: env.store, containerId: a.id, name: 'web', networks: { ports: {} }, netnsPath: a.ns,
      portMappings: [
        { host_ip: '127.0.0.1', container_port: 80, host_port: 0, range: 1, protocol: 'tcp' },
        { host_ip: '', container_port: 80, host_port: 0, range: 1, protocol: 'tcp' },
      ],
    });
    const [local, all] = r.portMappings;
    assert.ok(local.host_port > 0 && all.host_port > 0 && local.host_port !== all.host_port);
    const ip = containerIPs(r.status)[0];
    assert.equal(await retry(() => httpGet(`http://${ip}/`)), 'hello from pier\n');
    assert.equal(await retry(() => httpGet(`http://127.0.0.1:${local.host_port}/`)), 'hello from pier\n');
    assert.equal(await retry(() => httpGet(`http://127.0.0.1:${all.host_port}/`)), 'hello from pier\n');
    const lan = hostLanIP();
    if (lan) assert.equal(await retry(() => httpGet(`http://${lan}:${all.host_port}/`)), 'hello from pier\n');

    // Another container may not publish the same host port.
    const b = env.container();
    await assert.rejects(setupContainerNetwork({
      store: env.store, containerId: b.id, name: 'web2', networks: { ports: {} }, netnsPath: b.ns,
      portMappings: [{ host_ip: '', container_port: 80, host_port: all.host_port, range: 1, protocol: 'tcp' }],
    }), /address already in use/);

    const count = () => execFileSync('iptables-save', { encoding: 'utf8' }).split('\n').filter((l) => l.includes(a.id)).length;
    const before = count();
    assert.ok(before > 0);
    await reloadContainerNetwork({ store: env.store, containerId: a.id });
    assert.equal(count(), before, 'reload does not duplicate rules');
    assert.equal(await retry(() => httpGet(`http://127.0.0.1:${local.host_port}/`)), 'hello from pier\n');

    await teardownContainerNetwork({ store: env.store, containerId: a.id });
    assert.equal(count(), 0);
    await assert.rejects(httpGet(`http://127.0.0.1:${local.host_port}/`));
  } finally { await env.cleanup(); }
});

test('teardown after the namespace is gone still removes rules, DNS entries and the bridge', async () => {
  const env = new Env();
  try {
    const net = await env.network('gone');
    const a = env.container();
    await setupContainerNetwork({
      store: env.store, containerId: a.id, name: 'ghost', networks: { gone: {} }, netnsPath: a.ns,
      portMappings: [{ host_ip: '127.0.0.1', container_port: 80, host_port: 0, range: 1, protocol: 'tcp' }],
    });
    assert.ok(execFileSync('iptables-save', { encoding: 'utf8' }).includes(a.id));
    removeNetns(a.ns);
    await teardownContainerNetwork({ store: env.store, containerId: a.id });
    assert.ok(!execFileSync('iptables-save', { encoding: 'utf8' }).includes(a.id));
    const links = JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[];
    assert.ok(!links.some((l) => l.ifname === net.network_interface), 'bridge removed with its last container');
  } finally { await env.cleanup(); }
});

test('connect and disconnect a second network on an attached namespace', async () => {
  const env = new Env();
  try {
    await env.network('front');
    const back = await env.network('back', { ipv6: true });
    const a = env.container();
    const b = env.container();
    await setupContainerNetwork({ store: env.store, containerId: a.id, name: 'app', networks: { front: {} }, netnsPath: a.ns });
    const rb = await setupContainerNetwork({ store: env.store, containerId: b.id, name: 'db', networks: { back: {} }, netnsPath: b.ns });
    const st = await connectContainerNetwork({ store: env.store, containerId: a.id, network: 'back', settings: { aliases: ['application'] } });
    const addrs = st.interfaces!.eth1.subnets!.map((s) => s.ipnet);
    assert.equal(addrs.length, 2, 'dual stack');
    assert.match(addrs[1], /^fd[0-9a-f:]+\/64$/);
    const ipB = containerIPs({ back: rb.status.back }).find((x) => !x.includes(':'))!;
    assert.equal(bb(a.ns, 'ping', '-c', '1', '-W', '3', ipB).code, 0);
    assert.match((await settle(() => bb(b.ns, 'nslookup', 'application', back.subnets![0].gateway!))).stdout, new RegExp(addrs[0].split('/')[0].replace(/\./g, '\\.')));
    await assert.rejects(connectContainerNetwork({ store: env.store, containerId: a.id, network: 'back' }), /already connected/);
    await disconnectContainerNetwork({ store: env.store, containerId: a.id, network: 'back' });
    assert.doesNotMatch(bb(a.ns, 'ip', 'link').stdout, /eth1/);
    assert.match(bb(a.ns, 'ip', 'link').stdout, /eth0/);
    assert.doesNotMatch(bb(a.ns, 'ip', 'addr').stdout, new RegExp(addrs[0].split('/')[0].replace(/\./g, '\\.')));
    assert.deepEqual(Object.keys(savedAttachment(env.store, a.id)!.options.networks).length, 1);
  } finally { await env.cleanup(); }
});

test('DNS works when /run/systemd/system exists but systemd is not PID 1', async (t) => {
  const pid1 = fs.readFileSync('/proc/1/comm', 'utf8').trim();
  const env = new Env();
  const made: string[] = [];
  try {
    const net = await env.network('sd');
    const a = env.container();
    const b = env.container();
    if (pid1 !== 'systemd') {
      // Only ever create what does not exist, and remove it right after setup.
      for (const d of ['/run/systemd', '/run/systemd/system']) {
        if (!fs.existsSync(d)) { fs.mkdirSync(d); made.unshift(d); }
      }
    } else {
      t.diagnostic('systemd is PID 1: netavark uses systemd-run for real');
    }
    let ra, rb;
    try {
      ra = await setupContainerNetwork({ store: env.store, containerId: a.id, name: 'one', networks: { sd: {} }, netnsPath: a.ns });
      rb = await setupContainerNetwork({ store: env.store, containerId: b.id, name: 'two', networks: { sd: {} }, netnsPath: b.ns });
    } finally {
      for (const d of made) fs.rmdirSync(d);
    }
    // aardvark-dns reloads its records asynchronously after netavark's SIGHUP: allow it a moment.
    let q = bb(a.ns, 'nslookup', 'two', net.subnets![0].gateway!);
    for (let i = 0; i < 30 && q.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      q = bb(a.ns, 'nslookup', 'two', net.subnets![0].gateway!);
    }
    assert.equal(q.code, 0, q.stdout + q.stderr);
    assert.match(q.stdout, new RegExp(containerIPs(rb.status)[0].replace(/\./g, '\\.')));
    assert.ok(containerIPs(ra.status)[0]);
  } finally {
    for (const d of made) if (fs.existsSync(d)) fs.rmdirSync(d);
    await env.cleanup();
  }
});

test('a netavark failure releases the addresses and the attachment', async () => {
  const env = new Env();
  try {
    // netavark 1.4 has no ipvlan driver: setup fails inside netavark.
    const def = await env.store.create({ name: 'ipv', driver: 'ipvlan', subnets: ['10.199.77.0/24'], interfaceName: 'lo' });
    const a = env.container();
    await assert.rejects(setupContainerNetwork({ store: env.store, containerId: a.id, name: 'x', networks: { ipv: {} }, netnsPath: a.ns }), /netavark \(exit code \d+\): .*ipvlan/);
    assert.equal(savedAttachment(env.store, a.id), undefined);
    assert.deepEqual(allocations(env.store.runDir, def), {});
  } finally { await env.cleanup(); }
});

test('host subnets are detected for overlap checks', () => {
  const subs = hostSubnets();
  assert.ok(subs.some((s) => !s.net.v6 && formatIP({ v6: false, n: s.net.base }) === '127.0.0.0'), 'loopback /8 is listed');
});
