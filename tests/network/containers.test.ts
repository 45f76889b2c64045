// Containers on bridge networks through the CLI: name resolution between containers,
// published ports fetched from the host, isolation, and no leftovers after removal.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TestStore, busyboxStore } from '../helpers/cli';
import { get, retry } from '../helpers/http';

let s: TestStore;
const tag = randomBytes(3).toString('hex');



function links(): string[] {
  return spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter(Boolean);
}

before(async () => {
  s = await busyboxStore();
});
after(() => {
  s.run(['rm', '-a', '-f', '-t', '0']);
  for (const n of [`front-${tag}`, `back-${tag}`, `int-${tag}`]) s.run(['network', 'rm', '-f', n]);
  s.cleanup();
});

describe('containers on networks', () => {
  test('two containers on a user network fetch each other by name; a published port answers on the host', async () => {
    const net = `front-${tag}`;
    // Like podman, networks are isolated from each other only with -o isolate=true.
    s.ok(['network', 'create', '-o', 'isolate=true', net]);
    const web = `web-${tag}`;
    s.ok(['run', '-d', '--name', web, '--network', net, '--network-alias', `www-${tag}`, '-p', '127.0.0.1::80',
      'localhost/busybox', 'sh', '-c', 'mkdir -p /srv && echo hello-from-web > /srv/index.html && exec httpd -f -p 80 -h /srv']);
    const ip = s.ok(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, web]).trim();
    assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
    // by name and by alias, from another container on the same network
    // busybox-static's wget crashes in glibc's static resolver: names go through busybox
    // nslookup (its own DNS client) and HTTP through nc.
    const fetchByName = (n: string) => `a=$(nslookup ${n} 2>/dev/null | awk '/^Address/ {x=$NF} END {print x}'); printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 $a 80 | tail -n 1 | grep .`;
    const out = s.ok(['run', '--rm', '--network', net, 'localhost/busybox', 'sh', '-c',
      `for i in 1 2 3 4 5 6 7 8 9 10; do (${fetchByName(web)}) && break; sleep 0.3; done; ${fetchByName(`www-${tag}`)}`]);
    assert.equal(out, 'hello-from-web\nhello-from-web\n');
    // the published port from the host
    const mapping = s.ok(['port', web, '80']).trim();
    assert.match(mapping, /^127\.0\.0\.1:\d+$/);
    const hostPort = Number(mapping.split(':')[1]);
    assert.equal(await retry(() => get(hostPort)), 'hello-from-web\n');
    assert.match(s.ok(['ps', '--filter', `name=${web}`, '--format', '{{.Ports}}']), new RegExp(`127\\.0\\.0\\.1:${hostPort}->80/tcp`));
    // a container on another network cannot reach it
    const other = `back-${tag}`;
    s.ok(['network', 'create', '-o', 'isolate=true', other]);
    const r = s.run(['run', '--rm', '--network', other, 'localhost/busybox', 'sh', '-c', `printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${ip} 80`]);
    assert.doesNotMatch(r.stdout, /hello-from-web/, 'isolated networks');
    // removing everything leaves no veths or namespaces behind
    const bridge = JSON.parse(s.ok(['network', 'inspect', net]))[0].network_interface;
    s.ok(['rm', '-f', '-t', '0', web]);
    assert.ok(!fs.existsSync(path.join(s.runroot, 'netns')) || fs.readdirSync(path.join(s.runroot, 'netns')).length === 0);
    s.ok(['network', 'rm', net]);
    s.ok(['network', 'rm', other]);
    assert.ok(!links().includes(bridge), `bridge ${bridge} removed`);
  });

  test('an --internal network has no route out; the default network gets an address', () => {
    const net = `int-${tag}`;
    s.ok(['network', 'create', '--internal', net]);
    const routes = s.ok(['run', '--rm', '--network', net, 'localhost/busybox', 'ip', 'route']);
    assert.doesNotMatch(routes, /^default/m);
    s.ok(['network', 'rm', net]);
    const def = s.ok(['run', '--rm', 'localhost/busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']);
    assert.match(def, /inet 10\.90\.0\.\d+\/24/);
  });

  test('--ip6 puts a static IPv6 address on the container\'s network; outside its subnets it is refused', () => {
    const net = `v6-${tag}`, v4 = `v4-${tag}`;
    s.ok(['network', 'create', '--ipv6', net]);
    s.ok(['network', 'create', v4]);
    try {
      const subnet = (JSON.parse(s.ok(['network', 'inspect', net]))[0].subnets as { subnet: string }[]).find((x) => x.subnet.includes(':'))!.subnet;
      const addr = subnet.replace(/::\/\d+$/, '::42');
      const name = `six-${tag}`;
      s.ok(['run', '-d', '--name', name, '--network', net, '--ip6', addr, 'localhost/busybox', 'sleep', '100']);
      assert.match(s.ok(['exec', name, 'ip', '-6', '-o', 'addr', 'show', 'eth0', 'scope', 'global']), new RegExp(`inet6 ${addr}/64 `));
      assert.equal(s.ok(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").GlobalIPv6Address}}`, name]).trim(), addr);
      assert.match(s.ok(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name]), /^10\./, 'an IPv4 address is still allocated');
      // a second container cannot take the same address
      const dup = s.run(['run', '--rm', '--network', net, '--ip6', addr, 'localhost/busybox', 'true']);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, new RegExp(`requested ip address ${addr} is already allocated`));
      s.ok(['rm', '-f', '-t', '0', name]);
      // released with the container
      assert.match(s.ok(['run', '--rm', '--network', net, '--ip6', addr, 'localhost/busybox', 'ip', '-6', '-o', 'addr', 'show', 'eth0']), new RegExp(`inet6 ${addr}/64 `));
      for (const [n, a] of [[net, 'fd00:dead::5'], [v4, addr]]) {
        // A start that fails in `run` exits 126, as podman's.
        const r = s.run(['run', '--rm', '--network', n, '--ip6', a, 'localhost/busybox', 'true']);
        assert.equal(r.code, 126);
        assert.equal(r.stderr, `Error: requested static ip ${a} not in any subnet on network ${n}\n`);
      }
      const none = s.run(['create', '--network', 'none', '--ip6', addr, 'localhost/busybox', 'true']);
      assert.equal(none.code, 125);
      assert.equal(none.stderr, 'Error: --ip6 can only be set when the network mode is bridge: invalid argument\n');
    } finally {
      s.run(['rm', '-f', '-t', '0', `six-${tag}`]);
      s.run(['network', 'rm', '-f', net, v4]);
    }
  });

  test('after pier restart the container is back on its network: its published port and its name answer', async () => {
    const net = `rs-${tag}`;
    s.ok(['network', 'create', net]);
    try {
      const web = `rsweb-${tag}`;
      s.ok(['run', '-d', '--name', web, '--network', net, '-p', '127.0.0.1::80', 'localhost/busybox', 'sh', '-c',
        'mkdir -p /srv && echo restarted-ok > /srv/index.html && exec httpd -f -p 80 -h /srv']);
      const port = () => Number(s.ok(['port', web, '80']).trim().split(':')[1]);
      assert.equal(await retry(() => get(port())), 'restarted-ok\n');
      s.ok(['restart', '-t', '0', web]);
      assert.equal(await retry(() => get(port())), 'restarted-ok\n');
      const ip = s.ok(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, web]).trim();
      const out = s.ok(['run', '--rm', '--network', net, 'localhost/busybox', 'sh', '-c',
        `for i in 1 2 3 4 5 6 7 8 9 10; do nslookup ${web} 2>/dev/null | grep -q ${ip} && echo resolved && break; sleep 0.3; done`]);
      assert.equal(out, 'resolved\n');
      s.ok(['rm', '-f', '-t', '0', web]);
    } finally {
      s.run(['network', 'rm', '-f', net]);
    }
  });

  test('--network ns:PATH joins an existing network namespace', () => {
    const ns = `pier-t-${tag}`;
    assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
    try {
      assert.equal(spawnSync('ip', ['-n', ns, 'link', 'add', `dm${tag}`, 'type', 'veth', 'peer', 'name', `dp${tag}`]).status, 0);
      const out = s.ok(['run', '--rm', '--network', `ns:/run/netns/${ns}`, 'localhost/busybox', 'ip', '-o', 'link']);
      assert.match(out, new RegExp(`dm${tag}`));
      const bad = s.run(['run', '--rm', '--network', 'ns:/nonexistent/netns', 'localhost/busybox', 'true']);
      assert.notEqual(bad.code, 0);
      assert.equal(s.ok(['ps', '-a', '-q', '--filter', 'status=created']), '');
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });

  test('network connect/disconnect on a running container add and remove its own /etc/hosts lines (podman 4.3)', () => {
    const [n1, n2] = [`hc1-${tag}`, `hc2-${tag}`];
    s.ok(['network', 'create', n1]);
    s.ok(['network', 'create', n2]);
    const [c1, c2] = [`hosts1-${tag}`, `hosts2-${tag}`];
    const id = s.ok(['run', '-d', '--name', c1, '--network', n1, 'localhost/busybox', 'sleep', '1000']).trim();
    s.ok(['run', '-d', '--name', c2, '--network', n1, 'localhost/busybox', 'sleep', '1000']);
    const hosts = (c: string) => s.ok(['exec', c, 'cat', '/etc/hosts']);
    const ipOn = (net: string) => s.ok(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, c1]).trim();
    const ip1 = ipOn(n1);
    const before = hosts(c1);
    const other = hosts(c2);
    assert.ok(before.endsWith(`${ip1}\t${id.slice(0, 12)} ${c1}\n`), before);

    s.ok(['network', 'connect', n2, c1]);
    const ip2 = ipOn(n2);
    assert.equal(hosts(c1), `${before}${ip2}\t${id.slice(0, 12)} ${c1}\n`, 'a line for the new address, with the same names');
    assert.equal(hosts(c2), other, 'other containers on the network keep theirs');

    s.ok(['network', 'disconnect', n1, c1]);
    assert.equal(hosts(c1), before.replace(`${ip1}\t${id.slice(0, 12)} ${c1}\n`, '') + `${ip2}\t${id.slice(0, 12)} ${c1}\n`);
    s.ok(['network', 'disconnect', n2, c1]);
    assert.doesNotMatch(hosts(c1), new RegExp(c1), 'no address left, no line');

    // --no-hosts: no hosts file of pier's to change.
    const c3 = `nohosts-${tag}`;
    s.ok(['run', '-d', '--name', c3, '--network', n1, '--no-hosts', 'localhost/busybox', 'sleep', '1000']);
    const imageHosts = () => s.ok(['exec', c3, 'sh', '-c', 'cat /etc/hosts 2>/dev/null || echo none']);
    assert.equal(imageHosts(), 'none\n', 'the image has none');
    s.ok(['network', 'connect', n2, c3]);
    assert.equal(imageHosts(), 'none\n');
    s.ok(['rm', '-f', '-t', '0', c1, c2, c3]);
    s.ok(['network', 'rm', n1, n2]);
  });

  test('resolv.conf on a network with aardvark-dns: its resolver first; containers.conf dns_servers/dns_searches replace it (podman 4.3)', () => {
    const net = `dns-${tag}`;
    s.ok(['network', 'create', net]);
    try {
      const gw = (JSON.parse(s.ok(['network', 'inspect', net]))[0].subnets as { gateway: string }[])[0].gateway;
      const hostOptions = fs.readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^\s*options\s/.test(l)).pop()?.trim();
      const optionsLine = hostOptions ? `${hostOptions.replace(/\s+/g, ' ')}\n` : '';
      const resolv = (args: string[], env?: NodeJS.ProcessEnv) => s.ok(['run', '--rm', ...args, 'localhost/busybox', 'cat', '/etc/resolv.conf'], { env });
      const own = resolv(['--network', net]).split('\n');
      assert.match(own[0], /^search dns\.podman( |$)/);
      assert.equal(own[1], `nameserver ${gw}`, 'aardvark-dns first, the host\'s resolvers after it');
      const conf = path.join(s.dir, 'dns-containers.conf');
      fs.writeFileSync(conf, '[containers]\ndns_searches = ["example.com"]\ndns_servers = ["1.1.1.1", "100.100.100.100", "1.0.0.1", "8.8.8.8"]\n');
      const want = `search example.com\nnameserver 1.1.1.1\nnameserver 100.100.100.100\nnameserver 1.0.0.1\nnameserver 8.8.8.8\n${optionsLine}`;
      assert.equal(resolv(['--network', net], { CONTAINERS_CONF: conf }), want, 'no dns.podman, no aardvark');
      assert.equal(resolv([], { CONTAINERS_CONF: conf }), want);
      // search domains alone replace dns.podman; the resolvers stay
      const searched = resolv(['--network', net, '--dns-search', 'example.org']).split('\n');
      assert.match(searched[0], /^search example\.org( |$)/);
      assert.doesNotMatch(searched[0], /dns\.podman/);
      assert.equal(searched[1], `nameserver ${gw}`);
    } finally {
      s.run(['network', 'rm', '-f', net]);
    }
  });

  test('network disconnect/connect of a container with a published port: forwarding follows, a new address, resolv.conf updated (podman 4.3)', async () => {
    const [n1, n2] = [`pf1-${tag}`, `pf2-${tag}`];
    s.ok(['network', 'create', n1]);
    s.ok(['network', 'create', n2]);
    const web = `pfweb-${tag}`;
    try {
      s.ok(['run', '-d', '--name', web, '--network', n1, '-p', '127.0.0.1::80', 'localhost/busybox', 'sh', '-c',
        'mkdir -p /srv && echo forwarded > /srv/index.html && exec httpd -f -p 80 -h /srv']);
      const port = Number(s.ok(['port', web, '80']).trim().split(':')[1]);
      assert.equal(await retry(() => get(port)), 'forwarded\n');
      const addr = (net: string) => s.ok(['inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}} {{(index .NetworkSettings.Networks "${net}").MacAddress}}`, web]).trim();
      const gw = (net: string) => (JSON.parse(s.ok(['network', 'inspect', net]))[0].subnets as { gateway: string }[])[0].gateway;
      const servers = () => s.ok(['exec', web, 'cat', '/etc/resolv.conf']).split('\n').filter((l) => l.startsWith('nameserver ')).map((l) => l.slice(11));
      const [ip1, mac1] = addr(n1).split(' ');
      assert.equal(servers()[0], gw(n1));

      s.ok(['network', 'disconnect', n1, web]);
      await assert.rejects(get(port), 'no forwarding without the network');
      assert.ok(!servers().includes(gw(n1)), 'its resolver left resolv.conf');

      s.ok(['network', 'connect', n1, web]);
      assert.equal(await retry(() => get(port)), 'forwarded\n', 'forwarding back with the network');
      const [ip2, mac2] = addr(n1).split(' ');
      assert.notEqual(ip2, ip1, 'a new address (round robin)');
      assert.notEqual(mac2, mac1);
      assert.equal(servers()[0], gw(n1), 'its resolver first again');

      // a second network gets the forwarding too: it still answers once the first is gone
      s.ok(['network', 'connect', n2, web]);
      assert.deepEqual(servers().slice(0, 2), [gw(n2), gw(n1)]);
      s.ok(['network', 'disconnect', n1, web]);
      assert.equal(await retry(() => get(port)), 'forwarded\n');
    } finally {
      s.run(['rm', '-f', '-t', '0', web]);
      s.run(['network', 'rm', '-f', n1, n2]);
    }
  });

  test('published host ports stay bound (held by conmon) while the container runs, as podman reserves them', async () => {
    const name = `resv-${tag}`;
    const net = await import('node:net');
    const canBind = (port: number) => new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
    });
    try {
      s.ok(['run', '-d', '--name', name, '-p', '127.0.0.1::8080', 'localhost/busybox', 'sleep', '1000']);
      const port = Number(s.ok(['port', name, '8080']).trim().split(':')[1]);
      assert.equal(await canBind(port), false, 'the host port is taken');
      const conmon = s.ok(['inspect', '--format', '{{.State.ConmonPid}}', name]).trim();
      const sockets = fs.readdirSync(`/proc/${conmon}/fd`).filter((fd) => /^socket:/.test(fs.readlinkSync(`/proc/${conmon}/fd/${fd}`)));
      assert.ok(sockets.length >= 1, 'conmon holds the socket');
      const r = s.run(['run', '--rm', '-p', `127.0.0.1:${port}:80`, 'localhost/busybox', 'true']);
      assert.equal(r.code, 126);
      assert.equal(r.stderr, `Error: cannot listen on the TCP port: listen tcp4 127.0.0.1:${port}: bind: address already in use\n`);
      s.ok(['rm', '-f', '-t', '0', name]);
      assert.equal(await retry(async () => { if (!(await canBind(port))) throw new Error('still bound'); return true; }), true, 'released with the container');
    } finally {
      s.run(['rm', '-f', '-t', '0', name]);
    }
  });

  test('--network slirp4netns[:cidr=...]: tap0 at CIDR+100, its DNS (+3) first, its address in /etc/hosts, ports forwarded; bad options fail the start', async () => {
    const name = `slirp-${tag}`;
    const out = s.ok(['run', '--rm', '--name', name, '--hostname', name, '--network', 'slirp4netns:cidr=10.199.77.0/24', 'localhost/busybox', 'sh', '-c',
      'ip -4 -o addr show tap0; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf']);
    const [addr, hosts, resolv] = out.split('---\n');
    assert.match(addr, /inet 10\.199\.77\.100\/24 /);
    assert.match(hosts, new RegExp(`^10\\.199\\.77\\.100\\t${name} ${name}$`, 'm'));
    assert.match(resolv, /^nameserver 10\.199\.77\.3\n/m);
    assert.equal(resolv.split('\n').find((l) => l.startsWith('nameserver')), 'nameserver 10.199.77.3', 'slirp4netns\'s forwarder first');
    // default cidr; a published port is forwarded by slirp4netns; it goes with the container
    const web = `slweb-${tag}`;
    try {
      s.ok(['run', '-d', '--name', web, '--network', 'slirp4netns:port_handler=slirp4netns', '-p', '127.0.0.1::80', 'localhost/busybox', 'sh', '-c',
        'mkdir -p /srv && echo via-slirp > /srv/index.html && exec httpd -f -p 80 -h /srv']);
      const port = Number(s.ok(['port', web, '80']).trim().split(':')[1]);
      assert.equal(await retry(() => get(port)), 'via-slirp\n');
      assert.match(s.ok(['exec', web, 'ip', '-4', '-o', 'addr', 'show', 'tap0']), /inet 10\.0\.2\.100\/24 /);
      const slirpPids = () => spawnSync('pgrep', ['-f', `slirp4netns.*pier-${s.ok(['inspect', '--format', '{{.Id}}', web]).trim()}`], { encoding: 'utf8' }).stdout.trim();
      assert.notEqual(slirpPids(), '');
      const id = s.ok(['inspect', '--format', '{{.Id}}', web]).trim();
      s.ok(['rm', '-f', '-t', '0', web]);
      await retry(async () => { if (spawnSync('pgrep', ['-f', `slirp4netns.*pier-${id}`]).status === 0) throw new Error('slirp4netns still runs'); });
    } finally {
      s.run(['rm', '-f', '-t', '0', web]);
    }
    for (const [opt, msg] of [['foo=bar', 'unknown option for slirp4netns: "foo=bar"'], ['cidr=abc', 'invalid cidr "abc"'], ['mtu=1', 'invalid mtu "1"']]) {
      const r = s.run(['run', '--rm', '--network', `slirp4netns:${opt}`, 'localhost/busybox', 'true']);
      assert.equal(r.code, 126, opt);
      assert.equal(r.stderr, `Error: ${msg}\n`);
    }
  });

  test('bad port specs and unknown networks are refused and create nothing', () => {
    const before = s.ok(['ps', '-a', '-q']);
    for (const [args, re] of [
      [['run', '-p', '99999:80', 'localhost/busybox', 'true'], /port|invalid/i],
      [['run', '-p', 'abc', 'localhost/busybox', 'true'], /port|invalid/i],
      [['run', '--network', `nope-${tag}`, 'localhost/busybox', 'true'], /network not found|unable to find network/],
    ] as [string[], RegExp][]) {
      const r = s.run(args);
      assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.equal(s.ok(['ps', '-a', '-q']), before);
  });
});

describe('stale network attachments', () => {
  test('addresses of a container whose store vanished without teardown are reclaimed', async () => {
    const s2 = await busyboxStore();
    const id = s2.ok(['run', '-d', 'localhost/busybox', 'sleep', '300']).trim();
    const pid = Number(s2.ok(['inspect', '--format', '{{.State.Pid}}', id]).trim());
    const conmon = Number(s2.ok(['inspect', '--format', '{{.State.ConmonPid}}', id]).trim());
    const attachment = `/run/pier/networks/containers/${id}.json`;
    assert.ok(fs.existsSync(attachment));
    // Simulate a store deleted under a running container (a killed test run).
    process.kill(conmon, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    s2.cleanup();
    // The next network set-up on the host reaps it.
    const r = s.run(['run', '--rm', 'localhost/busybox', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!fs.existsSync(attachment), 'stale attachment reaped');
  });
});
