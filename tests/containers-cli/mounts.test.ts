// Mount details found by running podman 4.3.1's own system tests (160-volumes.bats,
// 060-mount.bats) against pier: the same mount given twice, --image-volume (and containers.conf's
// image_volume_mode), and --mount type=image. Real runc + conmon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStoreForFile, REMOTE, PIER } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((st) => { s = st; });
const IMG = 'localhost/busybox';
const run = (...args: string[]) => s.run(['run', '--rm', '--network', 'none', ...args]);
/** The image's /etc/passwd seen at /image-mount is the container's own (the fixture has no diff). */
const SAME_PASSWD = ['sh', '-c', '[ "$(cat /etc/passwd)" = "$(cat /image-mount/etc/passwd)" ] && echo same'];

test('the same mount twice is kept once (podman); different mounts at one destination are refused', () => {
  const v1 = path.join(s.dir, 'dup1');
  const v2 = path.join(s.dir, 'dup2');
  fs.mkdirSync(v1);
  fs.mkdirSync(v2);
  const accepted = [
    ['-v', `${v1}:/vol1`, '-v', `${v1}:/vol1`],
    ['-v', 'dupvol:/vol1', '-v', 'dupvol:/vol1'],
    ['-v', 'dupvol:/vol1', '-v', 'dupvol:/vol1:ro'],
    ['-v', '/anon', '-v', '/anon'],
    ['--tmpfs', '/vol1', '--tmpfs', '/vol1'],
    ['--tmpfs', '/vol1', '--mount', 'type=tmpfs,dst=/vol1'],
    ['-v', `${v1}:/vol1`, '--mount', `type=bind,src=${v1},dst=/vol1`],
    ['-v', 'dupvol:/vol1', '--mount', 'type=volume,src=dupvol,dst=/vol1'],
  ];
  for (const a of accepted) {
    const r = run(...a, IMG, 'true');
    assert.equal(r.code, 0, `${a.join(' ')}: ${r.stderr}`);
  }
  const refused: [string[], string][] = [
    [['-v', `${v1}:${v1}`, '-v', `${v2}:${v1}`], v1],
    [['-v', `${v1}:/vol1`, '-v', `${v1}:/vol1:ro`], '/vol1'],
    [['-v', 'dupvol:/vol1', '-v', 'othervol:/vol1'], '/vol1'],
    [['--tmpfs', v1, '--tmpfs', `${v1}:ro`], v1],
    [['-v', 'dupvol:/vol2', '--tmpfs', '/vol2'], '/vol2'],
    [['-v', `${v1}:/vol1`, '--tmpfs', '/vol1'], '/vol1'],
    [['--mount', `type=bind,src=${v1},dst=/vol1`, '--mount', `type=bind,src=${v1},dst=/vol1`], '/vol1'],
    [['--mount', `type=image,src=${IMG},dst=/im`, '-v', '/im'], '/im'],
  ];
  for (const [a, dest] of refused) {
    const r = run(...a, IMG, 'true');
    assert.equal(r.code, 125, a.join(' '));
    assert.equal(r.stderr, `Error: ${dest}: duplicate mount destination\n`, a.join(' '));
  }
  assert.equal(s.ok(['volume', 'ls', '-q']), 'dupvol\n', 'nothing created for the refused ones');
  s.ok(['volume', 'rm', 'dupvol']);
});

test('--image-volume: the image\'s VOLUMEs as anonymous volumes (bind), tmpfs, or not at all', () => {
  const ctx = path.join(s.dir, 'volume-image');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM ${IMG}\nVOLUME /data\n`);
  s.ok(['build', '-q', '-t', 'localhost/volume_image', ctx]);
  const fsType = (...args: string[]) => run(...args, 'localhost/volume_image', 'stat', '-f', '-c', '%T', '/data');
  let r = fsType('--image-volume', 'tmpfs');
  assert.equal(r.stdout, 'tmpfs\n', r.stderr);
  r = fsType('--image-volume', 'ignore');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "stat: can't read file system information for '/data': No such file or directory\n");
  r = fsType('--image-volume', 'bind');
  assert.equal(r.code, 0, r.stderr);
  assert.notEqual(r.stdout, 'tmpfs\n');
  // tmpfs/ignore make no volume; bind an anonymous one (gone with --rm).
  assert.equal(s.ok(['volume', 'ls', '-q']), '');
  r = fsType('--image-volume', 'foo');
  assert.equal(r.code, 125);
  assert.equal(r.stderr, 'Error: invalid image volume mode "foo" required value: bind, tmpfs, ignore\n');
  // A user mount at the same place wins over the image's volume.
  r = run('--image-volume', 'tmpfs', '-v', 'uservol:/data', 'localhost/volume_image', 'stat', '-f', '-c', '%T', '/data');
  assert.notEqual(r.stdout, 'tmpfs\n');
  s.ok(['volume', 'rm', 'uservol']);

  if (!REMOTE) {
    // containers.conf [engine] image_volume_mode is the default; the flag still wins.
    const conf = path.join(s.dir, 'image-volume.conf');
    fs.writeFileSync(conf, '[engine]\nimage_volume_mode="tmpfs"\n');
    const direct = (...args: string[]) => spawnSync(process.execPath, [PIER, ...s.localArgs(), 'run', '--rm', '--network', 'none', ...args, 'localhost/volume_image', 'stat', '-f', '-c', '%T', '/data'],
      { env: s.env({ CONTAINERS_CONF: conf }), encoding: 'utf8' });
    assert.equal(direct().stdout, 'tmpfs\n');
    assert.notEqual(direct('--image-volume', 'bind').stdout, 'tmpfs\n');
    assert.equal(direct('--image-volume', 'ignore').status, 1);
  }
  s.ok(['rmi', 'localhost/volume_image']);
});

test('a relative VOLUME in the image is mounted under /, not the WORKDIR (podman)', () => {
  const ctx = path.join(s.dir, 'relvol-image');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM ${IMG}\nWORKDIR /w\nVOLUME data\n`);
  s.ok(['build', '-q', '-t', 'localhost/relvol_image', ctx]);
  for (const mode of ['bind', 'tmpfs']) {
    const r = run('--image-volume', mode, 'localhost/relvol_image', 'sh', '-c', 'grep -c " /data " /proc/mounts; test ! -e /w/data && echo not-in-workdir');
    assert.equal(r.code, 0, `${mode}: ${r.stderr}`);
    assert.equal(r.stdout, '1\nnot-in-workdir\n', mode);
  }
  assert.equal(s.ok(['volume', 'ls', '-q']), '');
  s.ok(['rmi', 'localhost/relvol_image']);
});

test('--mount type=image: read-only unless rw=true/readwrite=true; inspect shows it', () => {
  let r = run('--mount', `type=image,src=${IMG},dst=/image-mount`, IMG, ...SAME_PASSWD);
  assert.equal(r.stdout, 'same\n', r.stderr);
  r = run('--mount', `type=image,src=${IMG},dst=/image-mount`, IMG, 'touch', '/image-mount/read-only');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'touch: /image-mount/read-only: Read-only file system\n');
  for (const rw of ['rw=true', 'readwrite=true']) {
    r = run('--mount', `type=image,src=${IMG},dst=/image-mount,${rw}`, IMG, 'sh', '-c', 'touch /image-mount/readwrite && ls /image-mount/readwrite');
    assert.equal(r.stdout, '/image-mount/readwrite\n', r.stderr);
  }
  // The writes went to the container's own layer over the image, not into the image.
  r = run('--mount', `type=image,src=${IMG},dst=/image-mount`, IMG, 'ls', '/image-mount/readwrite');
  assert.equal(r.code, 1);

  const id = s.ok(['run', '-d', '--network', 'none', '--mount', `type=image,src=${IMG},dst=/image-mount,rw=true`, IMG, 'sleep', '300']).trim();
  const mounts = JSON.parse(s.ok(['inspect', '--format', '{{json .Mounts}}', id]));
  assert.deepEqual(mounts, [{ Type: 'image', Source: IMG, Destination: '/image-mount', Driver: '', Mode: '', Options: null, RW: true, Propagation: '' }]);
  assert.equal(s.ok(['inspect', '--format', '{{(index .Mounts 0).Type}} {{(index .Mounts 0).Source}} {{(index .Mounts 0).RW}}', id]), `image ${IMG} true\n`);
  assert.equal(s.ok(['exec', id, 'ls', '/image-mount/bin/busybox']), '/image-mount/bin/busybox\n');
  s.ok(['rm', '-f', '-t', '0', id]);

  // podman's order: named volumes, image mounts, binds; tmpfs mounts are not listed. HostConfig.Binds:
  // volumes, then binds (no image mounts).
  const host = path.join(s.dir, 'inspect-bind');
  fs.mkdirSync(host);
  const c = s.ok(['create', '--network', 'none', '-v', `${host}:/b`, '--tmpfs', '/t', '--mount', `type=image,src=${IMG},dst=/im`, '-v', 'inspvol:/v', IMG, 'true']).trim();
  assert.equal(s.ok(['inspect', '--format', '{{range .Mounts}}{{.Type}}:{{.Destination}}:{{.RW}} {{end}}', c]), 'volume:/v:true image:/im:false bind:/b:true \n');
  assert.deepEqual(JSON.parse(s.ok(['inspect', '--format', '{{json .HostConfig.Binds}}', c])).map((b: string) => b.split(':')[1]), ['/v', '/b']);
  s.ok(['rm', '-v', c]);
  s.ok(['volume', 'rm', 'inspvol']);
});

test('--mount type=image: bad values are refused as podman refuses them', () => {
  const cases: [string, string][] = [
    ['type=image,dst=/x', 'must set source and destination for image volume'],
    [`type=image,src=${IMG}`, 'must set source and destination for image volume'],
    [`type=image,src=${IMG},dst=x`, 'invalid container path "x", must be an absolute path'],
    [`type=image,src=${IMG},dst=/x,rw=maybe`, 'invalid rw value "maybe": invalid mount option'],
    [`type=image,src=${IMG},dst=/x,ro`, 'ro: invalid mount option'],
  ];
  for (const [m, err] of cases) {
    const r = run('--mount', m, IMG, 'true');
    assert.equal(r.code, 125, m);
    assert.equal(r.stderr, `Error: ${err}\n`, m);
  }
  // An image that does not exist fails the start (podman looks it up then), exit 126.
  const r = run('--mount', 'type=image,src=nosuch,dst=/x', IMG, 'true');
  assert.equal(r.code, 126);
  assert.equal(r.stderr, 'Error: creating image volume "nosuch":"/x": nosuch: image not known\n');
  assert.equal(s.ok(['ps', '-aq']), '', '--rm removed the container');
});

test('--mount type=image holds an image mount while the container runs (local: image mount / umount)', { skip: REMOTE && 'image mount is local only' }, () => {
  const iid = s.ok(['image', 'inspect', '--format', '{{.ID}}', IMG]).trim();
  run('--mount', `type=image,src=${IMG},dst=/image-mount`, IMG, 'true');
  assert.equal(s.ok(['image', 'umount', IMG]), '', 'the container\'s image mount went with it');

  // Another user's mount stays.
  s.ok(['image', 'mount', IMG]);
  run('--mount', `type=image,src=${IMG},dst=/image-mount`, IMG, 'true');
  assert.equal(s.ok(['image', 'umount', IMG]), `${iid}\n`);
  assert.equal(s.ok(['image', 'umount', IMG]), '');

  // A running container's mount is counted; unmounting it on the host leaves the container's files.
  const id = s.ok(['run', '-d', '--network', 'none', '--mount', `type=image,src=${iid},dst=/image-mount,readwrite=true`, IMG, 'sleep', '300']).trim();
  assert.match(s.ok(['image', 'mount']), new RegExp(`^${IMG}:latest +/`));
  assert.equal(s.ok(['image', 'umount', IMG]), `${iid}\n`);
  assert.equal(s.ok(['image', 'umount', IMG]), '');
  assert.equal(s.ok(['exec', id, ...SAME_PASSWD]), 'same\n');
  s.ok(['rm', '-f', '-t', '0', id]);
  assert.equal(s.ok(['image', 'mount']), '');
  assert.ok(!fs.existsSync(path.join(s.root, 'containers', id)), 'its overlay dirs went with it');
});

test('inspect Mounts, HostConfig.Binds and Tmpfs: the options podman 4.3.1 records, with its defaults', () => {
  const dirs = ['b1', 'b2', 'b3'].map((d) => { const p = path.join(s.dir, `opts-${d}`); fs.mkdirSync(p); return p; });
  const [b1, b2, b3] = dirs;
  const c = s.ok(['create', '--network', 'none', '-v', 'optvol:/nv', '-v', 'optvol2:/nv2:ro,z', '-v', '/anon', '-v', `${b1}:/b1`, '-v', `${b2}:/b2:ro,z`,
    '-v', `${b3}:/b3:U,rshared`, '--mount', `type=bind,src=${b1},dst=/b4,ro=true`, '--mount', 'type=volume,src=optvol3,dst=/nv3',
    '--tmpfs', '/t1', '--mount', 'type=tmpfs,dst=/t2,tmpfs-size=1m', IMG, 'true']).trim();
  const info = JSON.parse(s.ok(['inspect', c]))[0];
  const anon = info.Mounts.find((m: any) => m.Destination === '/anon').Name;
  const vol = (name: string) => path.join(s.root, 'volumes', name, '_data');
  const volume = (Name: string, Destination: string, Mode: string, RW: boolean) =>
    ({ Type: 'volume', Name, Source: vol(Name), Destination, Driver: 'local', Mode, Options: ['nosuid', 'nodev', 'rbind'], RW, Propagation: 'rprivate' });
  const bind = (Source: string, Destination: string, Mode: string, Options: string[], RW: boolean, Propagation: string) =>
    ({ Type: 'bind', Source, Destination, Driver: '', Mode, Options, RW, Propagation });
  const byDest = (ms: any[]) => [...ms].sort((a, b) => a.Destination.localeCompare(b.Destination));
  assert.deepEqual(byDest(info.Mounts), byDest([
    volume('optvol', '/nv', '', true), volume('optvol2', '/nv2', 'z', false), volume(anon, '/anon', '', true), volume('optvol3', '/nv3', '', true),
    bind(b1, '/b1', '', ['rbind'], true, 'rprivate'), bind(b2, '/b2', 'z', ['rbind'], false, 'rprivate'),
    bind(b3, '/b3', '', ['U', 'rbind'], true, 'rshared'), bind(b1, '/b4', '', ['rbind'], false, 'rprivate'),
  ]));
  assert.deepEqual([...info.HostConfig.Binds].sort(), [
    `${anon}:/anon:rw,rprivate,nosuid,nodev,rbind`, `${b1}:/b1:rw,rprivate,rbind`, `${b1}:/b4:ro,rprivate,rbind`, `${b2}:/b2:ro,z,rprivate,rbind`,
    `${b3}:/b3:U,rshared,rw,rbind`, 'optvol2:/nv2:ro,z,rprivate,nosuid,nodev,rbind', 'optvol3:/nv3:rw,rprivate,nosuid,nodev,rbind', 'optvol:/nv:rw,rprivate,nosuid,nodev,rbind',
  ].sort());
  assert.equal(s.ok(['inspect', '--format', '{{json .HostConfig.Tmpfs}}', c]), '{"/t1":"rw,rprivate,nosuid,nodev,tmpcopyup","/t2":"size=1m,rw,rprivate,nosuid,nodev,tmpcopyup"}\n');
  s.ok(['rm', '-v', c]);
  s.ok(['volume', 'rm', 'optvol', 'optvol2', 'optvol3']);

  // A bind's source on a nosuid,nodev,noexec file system gets those (podman reads them with statfs).
  if (process.getuid?.() === 0) {
    const ns = path.join(s.dir, 'opts-nosuid');
    fs.mkdirSync(ns);
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec', 'tmpfs', ns]).status, 0);
    try {
      fs.mkdirSync(path.join(ns, 'sub'));
      const n = s.ok(['create', '--network', 'none', '-v', `${ns}/sub:/x`, '-v', `${ns}:/y:suid,exec`, IMG, 'true']).trim();
      assert.deepEqual(JSON.parse(s.ok(['inspect', '--format', '{{json .HostConfig.Binds}}', n])),
        [`${ns}/sub:/x:rw,rprivate,noexec,nosuid,nodev,rbind`, `${ns}:/y:suid,exec,rw,rprivate,nodev,rbind`]);
      s.ok(['rm', n]);
    } finally {
      spawnSync('umount', [ns]);
    }
  }

  // The image's VOLUMEs: podman's own options (rprivate,rw,nodev,exec); --image-volume tmpfs ones are not listed.
  // --volumes-from copies the options, or with ro/rw/z replaces them.
  const ctx = path.join(s.dir, 'opts-volume-image');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM ${IMG}\nVOLUME /data\n`);
  s.ok(['build', '-q', '-t', 'localhost/opts_volume_image', ctx]);
  const iv = s.ok(['create', '--network', 'none', 'localhost/opts_volume_image', 'true']).trim();
  const ivInfo = JSON.parse(s.ok(['inspect', iv]))[0];
  const ivName = ivInfo.Mounts[0].Name;
  assert.deepEqual(ivInfo.Mounts.map((m: any) => [m.Destination, m.Mode, m.Options, m.RW, m.Propagation]), [['/data', '', ['nodev', 'exec', 'nosuid', 'rbind'], true, 'rprivate']]);
  assert.deepEqual(ivInfo.HostConfig.Binds, [`${ivName}:/data:rprivate,rw,nodev,exec,nosuid,rbind`]);
  const from = (opt: string) => JSON.parse(s.ok(['inspect', '--format', '{{json .HostConfig.Binds}}',
    s.ok(['create', '--network', 'none', '--volumes-from', `${iv}${opt}`, IMG, 'true']).trim()]));
  assert.deepEqual(from(''), [`${ivName}:/data:rprivate,rw,nodev,exec,nosuid,rbind`]);
  assert.deepEqual(from(':ro,z'), [`${ivName}:/data:ro,z,rprivate,nosuid,nodev,rbind`]);
  const it = s.ok(['create', '--network', 'none', '--image-volume', 'tmpfs', 'localhost/opts_volume_image', 'true']).trim();
  assert.equal(s.ok(['inspect', '--format', '{{json .Mounts}} {{json .HostConfig.Binds}} {{json .HostConfig.Tmpfs}}', it]), '[] [] {}\n');
  s.ok(['rm', '-a', '-v']);
  s.ok(['rmi', 'localhost/opts_volume_image']);
});

test('a named volume is mounted nosuid,nodev unless suid,dev are given; a bind keeps its source\'s flags (podman\'s spec)', () => {
  const out = s.ok(['run', '--rm', '-v', 'nsvol:/a', '-v', 'nsvol2:/b:suid,dev', '-v', `${s.dir}:/c`, 'localhost/busybox', 'sh', '-c',
    'for d in /a /b /c; do echo $d $(grep " $d " /proc/mounts | cut -d" " -f4 | tr , "\n" | grep -xE "nosuid|nodev" | tr "\n" " "); done']);
  assert.deepEqual(out.trim().split('\n').map((l) => l.trim()), ['/a nosuid nodev', '/b', '/c']);
  s.ok(['volume', 'rm', 'nsvol', 'nsvol2']);
});

test('inspect GraphDriver.Data: the image\'s layers as LowerDir, MergedDir only while mounted (podman\'s overlay driver)', () => {
  const c = s.ok(['create', '--network', 'none', IMG, 'sleep', '100']).trim();
  const keys = () => s.ok(['inspect', '--format', '{{range $k, $v := .GraphDriver.Data}}{{$k}} {{end}}', c]).trim();
  assert.equal(keys(), 'LowerDir UpperDir WorkDir');
  assert.match(s.ok(['inspect', '--format', '{{json .GraphDriver.Data}}', c]), /^\{"LowerDir":"[^"]+\/diff","UpperDir":"[^"]+","WorkDir":"[^"]+"\}\n$/);
  s.ok(['start', c]);
  assert.equal(keys(), 'LowerDir MergedDir UpperDir WorkDir');
  s.ok(['rm', '-f', '-t', '0', c]);
});
