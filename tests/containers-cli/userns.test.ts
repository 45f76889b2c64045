// Containers in a user namespace of their own, run by root (podman 4.3's --uidmap, --gidmap,
// --subuidname, --subgidname, --userns=auto|container:ID|ns:PATH): what the container sees, what
// the host sees, what leaves the container (commit, export, cp) and the errors, with real runc.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, REMOTE, busyboxStore } from '../helpers/cli';

const IMAGE = 'localhost/busybox:latest';
const MAP = ['--uidmap', '0:100000:65536'];

describe('user namespaces (root)', () => {
  let ts: TestStore;
  let subDir: string;
  const ok = (args: string[]) => ts.ok(args);
  const lines = (s: string) => s.replace(/\n$/, '').split('\n');
  const inspect = (id: string, fmt: string) => ok(['inspect', '--format', fmt, id]).trim();

  before(async () => {
    // --userns=auto reads these instead of /etc/subuid and /etc/subgid (the service too, in remote mode).
    subDir = fs.mkdtempSync('/tmp/pier-subid-');
    fs.writeFileSync(path.join(subDir, 'subuid'), 'containers:200000:300000\ntester2:500000:1000\n');
    fs.writeFileSync(path.join(subDir, 'subgid'), 'containers:400000:300000\ntester2:600000:2000\n');
    process.env.PIER_SUBUID_FILE = path.join(subDir, 'subuid');
    process.env.PIER_SUBGID_FILE = path.join(subDir, 'subgid');
    ts = await busyboxStore();
    // The container's root (a host uid of the namespace) must reach its rootfs: podman's rule too.
    fs.chmodSync(ts.dir, 0o711);
  });
  after(() => {
    ts.run(['rm', '-a', '-f', '-t', '0']);
    ts.run(['volume', 'rm', '-a', '-f']);
    ts.cleanup();
    fs.rmSync(subDir, { recursive: true, force: true });
  });

  test('--uidmap: root inside is the mapped host uid, the image\'s files are root\'s inside and unchanged on disk', () => {
    const out = lines(ok(['run', '--rm', '--net', 'none', ...MAP, IMAGE, 'sh', '-c',
      'id; cat /proc/self/uid_map /proc/self/gid_map; stat -c "%u:%g %n" /bin/busybox /etc/passwd /etc/hosts /etc/hostname /run/.containerenv /dev/shm; touch /etc/hosts && echo hosts-writable']));
    assert.deepEqual(out, [
      'uid=0(root) gid=0(root) groups=10(wheel)',
      '         0     100000      65536',
      '         0     100000      65536',
      '0:0 /bin/busybox', '0:0 /etc/passwd', '0:0 /etc/hosts', '0:0 /etc/hostname', '0:0 /run/.containerenv', '0:0 /dev/shm',
      'hosts-writable',
    ]);
    // The layers on disk keep their own ids: the mapping is an idmapped mount, not a chown.
    const layerBins = fs.readdirSync(path.join(ts.root, 'overlay')).map((l) => path.join(ts.root, 'overlay', l, 'diff', 'bin')).filter((p) => fs.existsSync(p));
    assert.ok(layerBins.length > 0);
    for (const b of layerBins) assert.equal(fs.statSync(b).uid, 0);
  });

  test('--gidmap alone serves for both maps; a mapping leaving out the user is refused; default bridge network works', () => {
    assert.deepEqual(lines(ok(['run', '--rm', '--net', 'none', '--gidmap', '0:100000:100', IMAGE, 'cat', '/proc/self/uid_map', '/proc/self/gid_map'])),
      ['         0     100000        100', '         0     100000        100']);
    assert.deepEqual(lines(ok(['run', '--rm', '--uidmap', '0:100000:2000', '--gidmap', '0:300000:2000', IMAGE, 'sh', '-c', 'cat /proc/self/gid_map; ip -o -4 addr show eth0 | wc -l'])),
      ['         0     300000       2000', '1']);
    const r = ts.run(['run', '--rm', '-u', '1000', '--uidmap', '0:100000:10', IMAGE, 'true']);
    assert.deepEqual([r.code, r.stderr], [125, 'Error: container ID 1000 cannot be mapped to a host ID\n']);
    // On a bridge network the namespace is its user namespace's, so exec (which joins the user
    // namespace first) can enter it, and sysfs is its own; both files go with the container.
    const id = ok(['run', '-d', ...MAP, IMAGE, 'sleep', '100']).trim();
    assert.deepEqual(lines(ok(['exec', id, 'sh', '-c', 'id -u; ls /sys/class/net'])), ['0', 'eth0', 'lo']);
    ok(['rm', '-f', '-t', '0', id]);
    if (!REMOTE) assert.deepEqual(fs.readdirSync(path.join(ts.runroot, 'netns')).filter((f) => f.includes(id)), []);
  });

  test('what the container\'s root writes: host ids on the host, root\'s in commit, export, cp and diff', () => {
    const cid = ok(['create', '--net', 'none', ...MAP, IMAGE, 'sh', '-c', 'echo hi > /newf; mkdir /d; chown 5:6 /d']).trim();
    ok(['start', '-a', cid]);
    // The writable layer holds host ids (podman's layout).
    const upper = inspect(cid, '{{.GraphDriver.Data.UpperDir}}');
    if (!REMOTE) {
      assert.deepEqual([fs.statSync(path.join(upper, 'newf')).uid, fs.statSync(path.join(upper, 'd')).uid, fs.statSync(path.join(upper, 'd')).gid], [100000, 100005, 100006]);
      const mp = ok(['mount', cid]).trim();
      try {
        assert.deepEqual([fs.statSync(path.join(mp, 'newf')).uid, fs.statSync(path.join(mp, 'bin')).uid], [100000, 100000]);
      } finally { ok(['umount', cid]); }
    }
    assert.deepEqual(lines(ok(['diff', cid])).filter((l) => /newf|\/d$/.test(l)).sort(), ['A /d', 'A /newf']);
    // commit: the layer's entries are the container's view; a container of the image without a namespace sees root's files.
    ok(['commit', '-q', cid, 'localhost/userns-commit']);
    assert.deepEqual(lines(ok(['run', '--rm', '--net', 'none', 'localhost/userns-commit', 'stat', '-c', '%u:%g %n', '/newf', '/d', '/bin'])),
      ['0:0 /newf', '5:6 /d', '0:0 /bin']);
    // export: the whole tree as the container sees it.
    const tarFile = path.join(ts.dir, 'export.tar');
    ok(['export', '-o', tarFile, cid]);
    const listing = spawnSync('tar', ['-tvf', tarFile, '--numeric-owner'], { encoding: 'utf8' }).stdout;
    const owner = (name: string) => listing.split('\n').find((l) => l.endsWith(` ${name}`))?.split(/\s+/)[1];
    assert.deepEqual([owner('newf'), owner('d/'), owner('bin/')], ['0/0', '5/6', '0/0']);
    // cp in: the container's root owns what lands; cp out: the caller owns it.
    const src = path.join(ts.dir, 'in.txt');
    fs.writeFileSync(src, 'in\n');
    ok(['cp', src, `${cid}:/in.txt`]);
    if (!REMOTE) assert.equal(fs.statSync(path.join(upper, 'in.txt')).uid, 100000);
    const out = path.join(ts.dir, 'out.txt');
    ok(['cp', `${cid}:/newf`, out]);
    assert.deepEqual([fs.readFileSync(out, 'utf8'), fs.statSync(out).uid], ['hi\n', 0]);
    ok(['rm', cid]);
    ok(['rmi', 'localhost/userns-commit']);
  });

  test('inspect: HostConfig.UsernsMode and IDMappings as podman shows them; none without a namespace', () => {
    const id = ok(['create', '--uidmap', '0:100000:10', '--uidmap', '10:200000:5', '--gidmap', '0:300000:20', IMAGE, 'true']).trim();
    assert.equal(inspect(id, '{{.HostConfig.UsernsMode}} {{json .HostConfig.IDMappings}}'),
      'private {"UidMap":["0:100000:10","10:200000:5"],"GidMap":["0:300000:20"]}');
    const sub = ok(['create', '--subgidname', 'tester2', IMAGE, 'true']).trim();
    assert.equal(inspect(sub, '{{json .HostConfig.IDMappings}}'), '{"UidMap":["0:500000:1000"],"GidMap":["0:600000:2000"]}');
    const plain = ok(['create', IMAGE, 'true']).trim();
    const hc = JSON.parse(ok(['inspect', plain]))[0].HostConfig;
    assert.deepEqual([hc.UsernsMode, 'IDMappings' in hc], ['', false]);
    ok(['rm', id, sub, plain]);
  });

  test('--userns=auto: ranges of the user containers, sized from the image, never overlapping; container:ID and ns:PATH share one', () => {
    const a = ok(['create', '--userns=auto', IMAGE, 'sleep', '1000']).trim();
    const b = ok(['create', '--userns=auto:size=500', IMAGE, 'true']).trim();
    const c = ok(['create', '--userns=auto:uidmapping=0:1000:10', IMAGE, 'true']).trim();
    // The fixture image's highest id (nobody's 65534 left out) is 1000: the minimum, 1024, wins.
    assert.equal(inspect(a, '{{json .HostConfig.UsernsMode}} {{json .HostConfig.IDMappings}}'), '"" {"UidMap":["0:200000:1024"],"GidMap":["0:400000:1024"]}');
    assert.equal(inspect(b, '{{json .HostConfig.IDMappings}}'), '{"UidMap":["0:201024:500"],"GidMap":["0:401024:500"]}');
    assert.equal(inspect(c, '{{json .HostConfig.IDMappings}}'), '{"UidMap":["0:1000:10","10:201524:1014"],"GidMap":["0:401524:1024"]}');
    const r = ts.run(['create', '--userns=auto:size=300000', IMAGE, 'true']);
    assert.deepEqual([r.code, r.stderr], [125, 'Error: creating container storage: could not find enough available IDs\n']);
    ok(['start', a]);
    assert.deepEqual(lines(ok(['run', '--rm', '--net', 'none', `--userns=container:${a}`, IMAGE, 'sh', '-c', 'cat /proc/self/uid_map; stat -c %u /bin'])),
      ['         0     200000       1024', '0']);
    // The runtime joins that namespace first: a network namespace pier makes is not its own.
    const r2 = ts.run(['create', `--userns=container:${a}`, IMAGE, 'true']);
    assert.deepEqual([r2.code, r2.stderr], [125, `Error: joining another user namespace (--userns=container:${a}) needs --network none or another container's network in pier\n`]);
    const joined = ok(['create', '--net', `container:${a}`, `--userns=container:${a}`, IMAGE, 'true']).trim();
    assert.equal(inspect(joined, '{{.HostConfig.UsernsMode}} {{json .HostConfig.IDMappings}}'), `container:${a} {"UidMap":["0:200000:1024"],"GidMap":["0:400000:1024"]}`);
    const pid = inspect(a, '{{.State.Pid}}');
    assert.deepEqual(lines(ok(['run', '--rm', '--net', 'none', `--userns=ns:/proc/${pid}/ns/user`, IMAGE, 'sh', '-c', 'cat /proc/self/gid_map; id -u; stat -c %u /bin'])),
      ['         0     400000       1024', '0', '0']);
    ok(['rm', '-f', '-t', '0', joined, a, b, c]);
  });

  test('volumes: :U chowns the source to the mapped user; a new named volume is the mapped root\'s', () => {
    const dir = path.join(ts.dir, 'vol-u');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'sub', 'f'), 'x');
    assert.equal(ok(['run', '--rm', '--net', 'none', ...MAP, '-u', '7', '-v', `${dir}:/data:U`, IMAGE, 'stat', '-c', '%u', '/data/sub/f']).trim(), '7');
    assert.deepEqual([fs.statSync(dir).uid, fs.statSync(path.join(dir, 'sub', 'f')).uid, fs.statSync(path.join(dir, 'sub', 'f')).gid], [100007, 100007, 100000]);
    assert.equal(ok(['run', '--rm', '--net', 'none', ...MAP, '-v', 'userns-named:/newdir', IMAGE, 'sh', '-c', 'stat -c %u:%g /newdir; touch /newdir/ok && echo writable']),
      '0:0\nwritable\n');
    const mp = ok(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'userns-named']).trim();
    if (!REMOTE) assert.equal(fs.statSync(mp).uid, 100000);
    ok(['volume', 'rm', 'userns-named']);
  });

  test('errors: one line, exit 125, nothing created', () => {
    const before = ok(['ps', '-a', '-q']);
    const cases: Array<[string[], string]> = [
      [['--uidmap', '0:100000:10', '--uidmap', '5:200000:10'], 'creating container storage: the specified UID and/or GID mapping 5:200000:10 conflicts with other mappings: invalid mappings specified'],
      [['--uidmap', '0:100000:10', '--uidmap', '10:100005:10'], 'creating container storage: the specified UID and/or GID mapping 10:100005:10 conflicts with other mappings: invalid mappings specified'],
      [['--userns=auto', '--uidmap', '0:1:1'], '--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive'],
      [['--subuidname', 'nosuch'], `no subuid ranges found for user "nosuch" in ${process.env.PIER_SUBUID_FILE}`],
      [['--userns=private'], 'must provide at least one UID or GID mapping to configure a user namespace'],
      [['--userns=keep-id'], 'keep-id is only supported in rootless mode'],
      [['--userns=container:nosuch'], 'looking up container to share user namespace with: no container with name or ID "nosuch" found: no such container'],
      [['--userns=ns:/nonexistent'], 'cannot find specified user namespace path: stat /nonexistent: no such file or directory'],
      [['--userns=ns:/proc/self/ns/user'], '/proc/self/ns/user is not a user namespace other than the host\'s'],
    ];
    for (const [flags, msg] of cases) {
      const r = ts.run(['create', '-v', '/anon', ...flags, IMAGE, 'true']);
      assert.deepEqual([r.code, r.stderr], [125, `Error: ${msg}\n`], flags.join(' '));
    }
    assert.equal(ok(['ps', '-a', '-q']), before);
    assert.equal(ok(['volume', 'ls', '-q']), '');
  });
});
