// Rootless mode: the built pier run by a non-root user (scripts/setup.sh makes `pier-rootless`,
// with ranges in /etc/subuid and /etc/subgid), through setpriv, each store in a temp dir of the
// user's own with its own XDG_RUNTIME_DIR, so its own pause process, killed at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PIER } from '../helpers/cli';
import { runnablePier } from '../helpers/user-pier';
import { busyboxImage, multilayerImage, writeDockerArchive } from '../fixtures/images';
import { pushImage } from '../fixtures/push';
import { freePort, startRegistry, type Registry } from '../fixtures/registry';

const USER = 'pier-rootless';
/** A uid with neither a passwd entry nor subordinate ids. */
const NO_SUBIDS_UID = 4242;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Result { code: number; stdout: string; stderr: string }

const USER_PIER = runnablePier();

/** A store of one user under a temp dir that user owns: root, runroot, HOME and XDG_RUNTIME_DIR. */
class UserStore {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-rootless-'));
  readonly root = path.join(this.dir, 'root');
  readonly runroot = path.join(this.dir, 'run');
  readonly xdg = path.join(this.dir, 'xdg');
  readonly home = path.join(this.dir, 'home');

  constructor(readonly uid: number, readonly gid: number, private readonly named: boolean) {
    for (const d of [this.xdg, this.home]) fs.mkdirSync(d, { mode: 0o700 });
    for (const d of [this.dir, this.xdg, this.home]) fs.chownSync(d, uid, gid);
  }

  run(args: string[]): Result {
    const creds = ['--reuid', String(this.uid), '--regid', String(this.gid), this.named ? '--init-groups' : '--clear-groups'];
    const r = spawnSync('setpriv', [...creds, '--', process.execPath, USER_PIER, '--root', this.root, '--runroot', this.runroot, ...args], {
      cwd: this.dir, timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: this.home, XDG_RUNTIME_DIR: this.xdg, ...(this.named ? { USER } : {}) },
    });
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  ok(args: string[]): string {
    const r = this.run(args);
    assert.equal(r.code, 0, `pier ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  }

  get pauseFile(): string {
    return path.join(this.xdg, 'pier', 'pause.pid');
  }

  pausePid(): number {
    return Number(fs.readFileSync(this.pauseFile, 'utf8'));
  }

  /** Kills the pause process (its namespaces, and the mounts in them, go with it), then removes everything. */
  cleanup(): void {
    if (fs.existsSync(this.pauseFile)) {
      this.run(['rm', '-a', '-f', '-t', '0']);
      const pid = this.pausePid();
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}/ns/mnt`); i++) sleepSync(20);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function idOf(flag: '-u' | '-g', name: string): number {
  return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
}

/** The first subordinate id of `name` in `file`. */
function subStart(file: string, name: string): number {
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  assert.ok(line, `${file} has no range for ${name} (scripts/setup.sh adds one)`);
  return Number(line.split(':')[1]);
}

describe('rootless', () => {
  let user: UserStore;
  let uid: number;
  let gid: number;

  before(async () => {
    uid = idOf('-u', USER);
    gid = idOf('-g', USER);
    user = new UserStore(uid, gid, true);
    const archive = path.join(user.dir, 'busybox.tar');
    await writeDockerArchive(archive, [{ image: await busyboxImage(), repoTags: ['localhost/busybox:latest'] }]);
    fs.chownSync(archive, uid, gid);
  });
  after(() => user.cleanup());

  test('load as the user: storage in the user namespace, owned by the user on the host', () => {
    const out = user.ok(['load', '-i', path.join(user.dir, 'busybox.tar')]);
    assert.match(out, /Loaded image: localhost\/busybox:latest/);
    assert.match(user.ok(['images', '--format', '{{.Repository}}']), /^localhost\/busybox$/m);
    // Files root owns in the image are the user's own on the host (uid 0 inside = the user).
    const st = fs.statSync(path.join(user.root, 'overlay'));
    assert.equal(st.uid, uid);
    const pid = user.pausePid();
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), 'catatonit');
  });

  test('pull as the user: the image\'s owners land on the subordinate ids', async () => {
    const reg: Registry = await startRegistry({ auth: 'none' });
    try {
      await pushImage(reg, 'lib/multilayer', 'latest', await multilayerImage('docker'));
      user.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/lib/multilayer`]);
    } finally {
      await reg.stop();
    }
    const inside = user.ok(['run', '--rm', '--network', 'none', `${reg.host}/lib/multilayer`, 'stat', '-c', '%u:%g', '/data/owned.txt']);
    assert.equal(inside, '1000:1000\n');
    const layers = path.join(user.root, 'overlay');
    const file = fs.readdirSync(layers).map((l) => path.join(layers, l, 'diff', 'data', 'owned.txt')).find((f) => fs.existsSync(f));
    assert.ok(file, 'owned.txt is in a layer');
    assert.equal(fs.statSync(file).uid, subStart('/etc/subuid', USER) + 999);
    assert.equal(fs.statSync(file).gid, subStart('/etc/subgid', USER) + 999);
  });

  test('unshare: the maps of the namespace, its environment, the same pause process every time', () => {
    const pid = user.pausePid();
    const maps = user.ok(['unshare', 'cat', '/proc/self/uid_map', '/proc/self/gid_map']).trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    const su = subStart('/etc/subuid', USER);
    const sg = subStart('/etc/subgid', USER);
    assert.deepEqual(maps, [[0, uid, 1], [1, su, 65536], [0, gid, 1], [1, sg, 65536]]);
    const env = user.ok(['unshare', 'sh', '-c', 'id -u; echo $CONTAINERS_GRAPHROOT; echo $CONTAINERS_RUNROOT']);
    assert.equal(env, `0\n${user.root}\n${user.runroot}\n`);
    assert.equal(user.pausePid(), pid);
    // podman's exit codes: the command's own, 127 not found, 126 not executable.
    assert.equal(user.run(['unshare', 'sh', '-c', 'exit 3']).code, 3);
    const missing = user.run(['unshare', 'no-such-command']);
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, 'Error: exec: "no-such-command": executable file not found in $PATH\n');
    assert.equal(user.run(['unshare', '/etc']).code, 126);
    const info = JSON.parse(user.ok(['info', '--format', 'json']));
    assert.equal(info.host.security.rootless, true);
    assert.deepEqual(info.host.idMappings.uidmap, [{ container_id: 0, host_id: uid, size: 1 }, { container_id: 1, host_id: su, size: 65536 }]);
  });

  test('run --rm --network none: uid 0 inside, the user (and its subordinate ids) on the host', () => {
    const vol = path.join(user.dir, 'vol');
    fs.mkdirSync(vol);
    fs.chownSync(vol, uid, gid);
    const out = user.ok(['run', '--rm', '--network', 'none', '-v', `${vol}:/v`, 'localhost/busybox',
      'sh', '-c', 'id -u; id -g; touch /v/mine; touch /v/theirs; chown 1:1 /v/theirs']);
    assert.equal(out, '0\n0\n');
    assert.equal(fs.statSync(path.join(vol, 'mine')).uid, uid);
    assert.equal(fs.statSync(path.join(vol, 'mine')).gid, gid);
    assert.equal(fs.statSync(path.join(vol, 'theirs')).uid, subStart('/etc/subuid', USER));
    assert.equal(user.ok(['ps', '-a', '-q']), '');
  });

  test('run -d, ps, top, stop, rm; stats and pause refused; resource limits dropped with podman warning; no mount left', () => {
    user.ok(['run', '-d', '--name', 'd1', '--network', 'none', 'localhost/busybox', 'sleep', '1000']);
    assert.match(user.ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^d1 Up /m);
    // No cgroup: top lists the container's pid namespace; stats and pause refuse, as podman's.
    assert.deepEqual(user.ok(['top', 'd1', 'user', 'pid', 'args']).trim().split('\n').map((l) => l.trim().split(/\s+/)), [['USER', 'PID', 'COMMAND'], ['root', '1', 'sleep', '1000']]);
    const stats = user.run(['stats', '--no-stream', 'd1']);
    assert.deepEqual([stats.code, stats.stderr], [125, 'Error: stats is not supported in rootless mode without cgroups v2\n']);
    const pause = user.run(['pause', 'd1']);
    assert.deepEqual([pause.code, pause.stderr], [125, 'Error: can not pause containers on rootless containers with cgroup V1: this container does not have a cgroup\n']);
    user.ok(['stop', '-t', '0', 'd1']);
    assert.match(user.ok(['ps', '-a', '--format', '{{.Names}} {{.Status}}']), /^d1 Exited \(137\)/m);
    user.ok(['rm', 'd1']);
    assert.equal(user.ok(['ps', '-a', '-q']), '');
    const limited = user.run(['run', '--rm', '--network', 'none', '--memory', '10m', 'localhost/busybox', 'true']);
    assert.equal(limited.code, 0, limited.stderr);
    assert.equal(limited.stderr, 'Resource limits are not supported and ignored on cgroups V1 rootless systems\n');
    // The namespace's mount table holds nothing of the store once its containers are gone.
    assert.equal(user.ok(['unshare', 'cat', '/proc/self/mountinfo']).split('\n').filter((l) => l.includes(user.dir)).join('\n'), '');
    // Mounting is for inside `pier unshare` only, as podman's.
    const mount = user.run(['mount']);
    assert.equal(mount.code, 125);
    assert.equal(mount.stderr, 'Error: cannot run command "pier mount" in rootless mode, must execute `pier unshare` first\n');
  });

  test('default network slirp4netns, with -p forwarded by it', async () => {
    const tap = user.ok(['run', '--rm', 'localhost/busybox', 'ip', '-4', '-o', 'addr', 'show', 'tap0']);
    assert.match(tap, /inet 10\.0\.2\.100\/24/);
    const port = await freePort();
    user.ok(['run', '-d', '--name', 'web', '-p', `${port}:80`, 'localhost/busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
    try {
      assert.match(user.ok(['port', 'web']), new RegExp(`^80/tcp -> 0\\.0\\.0\\.0:${port}$`, 'm'));
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        body = await fetch(`http://127.0.0.1:${port}/hostname`).then((r) => r.text()).catch(() => '');
        if (!body) await new Promise((r) => setTimeout(r, 100));
      }
      // The container's /etc/hostname: its short id.
      assert.equal(body.trim(), user.ok(['inspect', '--format', '{{.Id}}', 'web']).slice(0, 12));
    } finally {
      user.ok(['rm', '-f', '-t', '0', 'web']);
    }
  });

  test('bridge network in the rootless netns: by IP and name, out through its slirp4netns, -p from the host; gone with its last container', async () => {
    const rootlessNetns = path.join(user.xdg, 'pier', 'networks', 'rootless-netns');
    const slirpPid = () => Number(fs.readFileSync(path.join(rootlessNetns, 'slirp4netns.pid'), 'utf8'));
    // A server of the host's, on its own address (slirp4netns does not let them reach the host's
    // loopback), in a process of its own (the user's commands below block this one).
    const hostIP = execFileSync('ip', ['-4', '-o', 'route', 'get', '1.1.1.1'], { encoding: 'utf8' }).match(/ src (\S+)/)![1];
    const server = spawn(process.execPath, ['-e', `const s = require('node:http').createServer((q, r) => r.end('from-host\\n')).listen(0, '${hostIP}', () => console.log(s.address().port))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const hostPort = Number(await new Promise<string>((resolve) => server.stdout!.once('data', (d) => resolve(String(d)))));
    const port = await freePort();
    assert.equal(user.ok(['network', 'create', 'rlnet']), 'rlnet\n');
    try {
      user.ok(['run', '-d', '--name', 'web', '--network', 'rlnet', '-p', `${port}:80`, 'localhost/busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']);
      const ip = user.ok(['inspect', '--format', '{{(index .NetworkSettings.Networks "rlnet").IPAddress}}', 'web']).trim();
      assert.match(ip, /^10\.\d+\.\d+\.\d+$/);
      // The bridge, veths and the DNS server live in the rootless netns, served by a slirp4netns of its own.
      assert.match(fs.readFileSync(`/proc/${slirpPid()}/cmdline`, 'utf8'), /slirp4netns/);
      const get = (to: string, p: number, file = '/hostname') => `printf 'GET ${file} HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${to} ${p} | tail -n 1`;
      // busybox-static's wget crashes in glibc's static resolver: names through busybox nslookup.
      const out = user.ok(['run', '--rm', '--network', 'rlnet', 'localhost/busybox', 'sh', '-c',
        `a=$(nslookup web | awk '/^Address/ {x=$NF} END {print x}'); echo "$a"; ${get(ip, 80)}; echo; ${get(hostIP, hostPort, '/')}; grep host.containers.internal /etc/hosts`]);
      const shortId = user.ok(['inspect', '--format', '{{.Id}}', 'web']).slice(0, 12);
      assert.deepEqual(out.trim().split('\n').map((l) => l.trim()), [ip, shortId, 'from-host', `${hostIP}\thost.containers.internal`]);
      // The published port, from the host.
      assert.match(user.ok(['port', 'web']), new RegExp(`^80/tcp -> 0\\.0\\.0\\.0:${port}$`, 'm'));
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        body = await fetch(`http://127.0.0.1:${port}/hostname`).then((r) => r.text()).catch(() => '');
        if (!body) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(body.trim(), shortId);
      // A port the user may not bind: podman's rootlessport error, nothing left.
      const unprivileged = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
      let low = unprivileged - 24;
      while (!(await new Promise((resolve) => { const t = net.createServer().once('error', () => resolve(false)).listen(low, () => t.close(() => resolve(true))); }))) low++;
      const refused = user.run(['run', '--rm', '--network', 'rlnet', '-p', `${low}:80`, 'localhost/busybox', 'true']);
      assert.deepEqual([refused.code, refused.stderr], [126, `Error: rootlessport cannot expose privileged port ${low}, you can add 'net.ipv4.ip_unprivileged_port_start=${low}' to /etc/sysctl.conf (currently ${unprivileged}), or choose a larger port number (>= ${unprivileged}): listen tcp 0.0.0.0:${low}: bind: permission denied\n`]);
      assert.equal(user.ok(['ps', '-a', '--format', '{{.Names}}']), 'web\n');
      // unshare --rootless-netns joins it.
      assert.match(user.ok(['unshare', '--rootless-netns', 'ip', '-o', 'link', 'show']), /: tap0: .*: pier\d+: /s);
      const pid = slirpPid();
      user.ok(['rm', '-f', '-t', '0', 'web']);
      // No container on a bridge: the namespace and its slirp4netns are gone, the port is free again.
      assert.ok(!fs.existsSync(path.join(rootlessNetns, 'netns')), 'rootless netns removed');
      // (a zombie until an init that reaps reaps it)
      const running = () => { try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };
      for (let i = 0; i < 50 && running(); i++) sleepSync(20);
      assert.ok(!running(), 'slirp4netns ended');
      assert.equal(await fetch(`http://127.0.0.1:${port}/`).then(() => 'answered', () => 'refused'), 'refused');
      // --network-cmd-path: the namespace's slirp4netns is the one named (a wrapper that says so).
      const wrapper = path.join(user.dir, 'my-slirp');
      fs.writeFileSync(wrapper, `#!/bin/sh\necho "$@" > ${user.dir}/slirp-args\nexec /usr/bin/slirp4netns "$@"\n`, { mode: 0o755 });
      user.ok(['--network-cmd-path', wrapper, 'unshare', '--rootless-netns', 'true']);
      assert.match(fs.readFileSync(path.join(user.dir, 'slirp-args'), 'utf8'), /--api-socket \S+ --netns-type=path \S+ tap0/);
    } finally {
      server.kill();
      user.run(['rm', '-f', '-t', '0', 'web']);
      user.ok(['network', 'rm', 'rlnet']);
    }
  });

  test('--userns=keep-id and nomap: the user\'s own ids inside (or none), mapped as podman maps them', () => {
    // nomap's root is not the user: it must be able to pass through to the store (as podman's, 0711).
    fs.chmodSync(user.dir, 0o711);
    const vol = path.join(user.dir, 'keep');
    fs.mkdirSync(vol);
    fs.writeFileSync(path.join(vol, 'mine'), '');
    for (const p of [vol, path.join(vol, 'mine')]) fs.chownSync(p, uid, gid);
    const rest = 65536 - uid;
    // keep-id: runs as the user, added to /etc/passwd and /etc/group; its files are the user's on the host.
    const keep = user.ok(['run', '--rm', '--network', 'none', '--userns=keep-id', '-v', `${vol}:/v`, 'localhost/busybox',
      'sh', '-c', 'id; tail -1 /etc/passwd; tail -1 /etc/group; echo $HOME; touch /v/made; cat /proc/self/uid_map']).split('\n');
    assert.deepEqual(keep.slice(0, 4), [`uid=${uid}(${USER}) gid=${gid}(${USER}) groups=${gid}(${USER})`, `${USER}:*:${uid}:${gid}::/:/bin/sh`, `${USER}:x:${gid}:${USER}`, '/']);
    assert.deepEqual(keep.slice(4, 7).map((l) => l.trim().split(/\s+/).map(Number)), [[0, 1, uid], [uid, 0, 1], [uid + 1, uid + 1, rest]]);
    assert.deepEqual([fs.statSync(path.join(vol, 'made')).uid, fs.statSync(path.join(vol, 'made')).gid], [uid, gid]);
    // The layers' copy with mapped owners keeps whiteouts, opaque dirs, owners, modes and hard links.
    const multilayer = user.ok(['images', '--format', '{{.Repository}}']).split('\n').find((r) => r.endsWith('/lib/multilayer'));
    const data = user.ok(['run', '--rm', '--network', 'none', '--userns=keep-id', multilayer!, 'sh', '-c',
      'cd /data; ls -A opaque; ls . | grep -c deleted; stat -c "%u:%g %a" owned.txt setuid-bin; stat -c %i hardlink-a.txt hardlink-b.txt | uniq | wc -l']);
    assert.equal(data, 'new.txt\n0\n1000:1000 640\n0:0 4755\n1\n');
    // nomap: the user's id is not mapped: its files show as the overflow id, and cannot be written.
    const nomap = user.ok(['run', '--rm', '--network', 'none', '--userns=nomap', '-v', `${vol}:/v`, 'localhost/busybox',
      'sh', '-c', 'id; stat -c %u:%g /v/mine; touch /v/mine 2>/dev/null || echo denied']);
    assert.equal(nomap, 'uid=0(root) gid=0(root) groups=0(root),10(wheel)\n65534:65534\ndenied\n');
    // keep-id's options: the user's ids map to those; inspect as podman's.
    user.ok(['create', '--name', 'kid', '--network', 'none', '--userns=keep-id:uid=200,gid=300', 'localhost/busybox', 'true']);
    const shown = JSON.parse(user.ok(['inspect', '--format', '[{{json .HostConfig.UsernsMode}},{{json .HostConfig.IDMappings}},{{json .Config.User}}]', 'kid']));
    assert.deepEqual(shown, ['private', { UidMap: ['0:1:200', '200:0:1', '201:201:65336'], GidMap: ['0:1:300', '300:0:1', '301:301:65236'] }, '200:300']);
    user.ok(['rm', 'kid']);
    const bad = user.run(['create', '--userns=keep-id:size=1', 'localhost/busybox', 'true']);
    assert.deepEqual([bad.code, bad.stderr], [125, 'Error: unknown option specified: "size"\n']);
    // With slirp4netns the container's network namespace is its user namespace's: exec gets in.
    user.ok(['run', '-d', '--name', 'kd', '--userns=keep-id', 'localhost/busybox', 'sleep', '1000']);
    try {
      assert.equal(user.ok(['exec', 'kd', 'id']), `uid=${uid}(${USER}) gid=${gid}(${USER})\n`);
      assert.match(user.ok(['exec', 'kd', 'ip', '-4', '-o', 'addr', 'show', 'tap0']), /inet 10\.0\.2\.100\/24/);
    } finally {
      user.ok(['rm', '-f', '-t', '0', 'kd']);
    }
    assert.equal(fs.readdirSync(path.join(user.runroot, 'netns')).join(), '');
    // A pod's: its infra container's, which the members join, running as its user (no account added).
    user.ok(['pod', 'create', '--name', 'kpod', '--userns=keep-id']);
    try {
      assert.equal(user.ok(['pod', 'inspect', '--format', '{{.InfraConfig.UserNS}}', 'kpod']), 'private\n');
      const member = user.ok(['run', '--rm', '--pod', 'kpod', 'localhost/busybox', 'sh', '-c', 'id; tail -1 /etc/passwd; cat /proc/self/uid_map']).split('\n');
      assert.deepEqual(member.slice(0, 2), [`uid=${uid}(${uid}) gid=${gid}(${gid}) groups=${gid}(${gid})`, `${uid}:*:${uid}:${gid}:container user:/:/bin/sh`]);
      assert.deepEqual(member[3].trim().split(/\s+/).map(Number), [uid, 0, 1]);
      const both = user.run(['create', '--pod', 'kpod', '--userns=keep-id', 'localhost/busybox', 'true']);
      assert.deepEqual([both.code, both.stderr], [125, 'Error: --userns and --pod cannot be set together\n']);
    } finally {
      user.ok(['pod', 'rm', '-f', '-t', '0', 'kpod']);
    }
  });

  test('a pause process gone: its namespace joined again through a running container, else a new one', () => {
    const kill = () => {
      const pid = user.pausePid();
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}/ns/mnt`); i++) sleepSync(20);
      return pid;
    };
    // A container still runs in the namespace (its conmon holds it): pier gets back in there.
    user.ok(['run', '-d', '--name', 'k1', '--network', 'none', 'localhost/busybox', 'sleep', '1000']);
    const first = kill();
    assert.match(user.ok(['ps', '--format', '{{.Names}} {{.Status}}']), /^k1 Up /m);
    assert.notEqual(user.pausePid(), first);
    assert.equal(user.ok(['exec', 'k1', 'echo', 'in']), 'in\n');
    user.ok(['rm', '-f', '-t', '0', 'k1']);
    assert.equal(user.ok(['unshare', 'cat', '/proc/self/mountinfo']).split('\n').filter((l) => l.includes(user.dir)).join('\n'), '');
    // Nothing runs: a new namespace, with the same maps and the same store.
    const second = kill();
    assert.equal(user.ok(['unshare', 'id', '-u']), '0\n');
    assert.notEqual(user.pausePid(), second);
    assert.match(user.ok(['images', '--format', '{{.Repository}}']), /^localhost\/busybox$/m);
  });
});

test('rootless without /etc/subuid entries: podman error and single mapping', (t) => {
  const store = new UserStore(NO_SUBIDS_UID, NO_SUBIDS_UID, false);
  t.after(() => store.cleanup());
  const r = store.run(['unshare', 'cat', '/proc/self/uid_map']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split(/\s+/).map(Number), [0, NO_SUBIDS_UID, 1]);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[lines.length - 2], /level=error msg="cannot find UID\/GID for user : no subuid ranges found for user \\"\\" in \/etc\/subuid - check rootless mode in man pages."$/);
  assert.match(lines[lines.length - 1], /level=warning msg="Using rootless single mapping into the namespace\. This might break some images\./);
  // Made once: the next command joins it, with nothing to say.
  assert.equal(store.run(['unshare', 'true']).stderr, '');
  // keep-id and nomap need subordinate ids (podman's error).
  const keep = store.run(['create', '--userns=keep-id', '--rootfs', '/', 'true']);
  assert.equal(keep.code, 125);
  assert.match(keep.stderr, /level=error msg="cannot find UID\/GID for user : no subuid ranges found.*\nError: keep-id requires additional UIDs or GIDs defined in \/etc\/subuid and \/etc\/subgid to function correctly: %!w\(<nil>\)\n$/);
});

test('unshare as root, and with the remote client, is refused as podman', () => {
  const r = spawnSync(process.execPath, [PIER, 'unshare', 'true'], { encoding: 'utf8' });
  assert.equal(r.status, 125);
  assert.equal(r.stderr, 'Error: please use unshare with rootless\n');
  const remote = spawnSync(process.execPath, [PIER, '--remote', 'unshare', 'true'], { encoding: 'utf8' });
  assert.deepEqual([remote.status, remote.stderr], [125, 'Error: cannot use command "pier unshare" with the remote pier client\n']);
});
