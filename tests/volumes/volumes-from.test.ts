// --volumes-from as podman 4.3 does it: every named and anonymous volume and bind mount of the
// other containers (not their tmpfs mounts), in their mode unless ro/rw/z replace it; -v wins at
// the same destination, a later --volumes-from over an earlier one. Real runc + conmon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStore, REMOTE } from '../helpers/cli';

let s: TestStore;
let hostA: string;
let hostB: string;
const IMG = 'localhost/busybox';
/** The mount table lines of /named, /anon and /bind inside a container, as "DEST MODE". */
const SHOW = `awk '$2 ~ /^\\/(named|anon|bind|other|tm)$/ { split($4, o, ","); print $2, o[1] }' /proc/mounts | sort`;

before(async () => {
  s = await busyboxStore();
  hostA = path.join(s.dir, 'host-a');
  hostB = path.join(s.dir, 'host-b');
  fs.mkdirSync(hostA);
  fs.mkdirSync(hostB);
  fs.writeFileSync(path.join(hostA, 'a.txt'), 'from a\n');
  fs.writeFileSync(path.join(hostB, 'b.txt'), 'from b\n');
  s.ok(['volume', 'create', 'vf-named']);
  // A source with a named, an anonymous, a read-only bind and two tmpfs mounts.
  s.ok(['create', '--name', 'vf-src', '--network', 'none', '-v', 'vf-named:/named', '-v', '/anon', '-v', `${hostA}:/bind:ro`,
    '--tmpfs', '/tm', IMG, 'sh', '-c', 'echo anon-data > /anon/f; echo named-data > /named/f']);
  s.ok(['start', '-a', 'vf-src']);
});
after(() => {
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

test('volumes, anonymous volumes and binds are shared in their mode; tmpfs mounts are not (a warning)', () => {
  const r = s.run(['run', '--rm', '--network', 'none', '--volumes-from', 'vf-src', IMG, 'sh', '-c', `${SHOW}; cat /anon/f /named/f /bind/a.txt`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '/anon rw\n/bind ro\n/named rw\nanon-data\nnamed-data\nfrom a\n');
  // The warning is logged where the container is created: in remote mode, by the service.
  if (!REMOTE) assert.match(r.stderr, /level=warning msg="Unable to match volume \/tm from container [0-9a-f]{64} for volumes-from"/);
});

test('inspect shows the mounts and HostConfig.VolumesFrom; the same volumes are used', () => {
  s.ok(['create', '--name', 'vf-dst', '--network', 'none', '--volumes-from', 'vf-src:ro', IMG, 'true']);
  const src = JSON.parse(s.ok(['inspect', 'vf-src']))[0];
  const dst = JSON.parse(s.ok(['inspect', 'vf-dst']))[0];
  assert.deepEqual(dst.HostConfig.VolumesFrom, ['vf-src:ro']);
  assert.equal(src.HostConfig.VolumesFrom, null);
  const pick = (m: any) => ({ Type: m.Type, Name: m.Name, Source: m.Source, Destination: m.Destination, RW: m.RW });
  const byDest = (ms: any[]) => [...ms].sort((a, b) => a.Destination.localeCompare(b.Destination)).map(pick);
  const want = byDest(src.Mounts.filter((m: any) => m.Type !== 'tmpfs')).map((m: any) => ({ ...m, RW: false }));
  assert.deepEqual(byDest(dst.Mounts), want);
  assert.equal(want.length, 3);
  // The anonymous volume stays in use by both: removing the source keeps it for vf-dst.
  const anon = want.find((m: any) => m.Destination === '/anon')!.Name;
  assert.match(anon, /^[0-9a-f]{64}$/);
});

test('ro/rw/z options replace the source\'s mode', () => {
  const show = (opt: string) => s.ok(['run', '--rm', '--network', 'none', '--volumes-from', `vf-src${opt}`, IMG, 'sh', '-c', SHOW]);
  assert.equal(show(':ro'), '/anon ro\n/bind ro\n/named ro\n');
  assert.equal(show(':rw'), '/anon rw\n/bind rw\n/named rw\n');
  // podman: any option list replaces the mode, so `z` alone makes a read-only source mount writable.
  assert.equal(show(':z'), '/anon rw\n/bind rw\n/named rw\n');
  assert.equal(show(':ro,z'), '/anon ro\n/bind ro\n/named ro\n');
});

test('bad options and unknown containers: podman\'s errors, exit 125, nothing created', () => {
  const before = s.ok(['ps', '-a', '-q']);
  const volumes = s.ok(['volume', 'ls', '-q']);
  const cases: [string, string][] = [
    ['vf-src:foo', 'invalid option "foo" specified - volumes from another container can only use z,ro,rw options'],
    ['vf-src:', 'invalid option "" specified - volumes from another container can only use z,ro,rw options'],
    ['vf-src:ro:z', 'invalid option "ro:z" specified - volumes from another container can only use z,ro,rw options'],
    ['vf-src:ro,rw', 'cannot set ro or rw options more than once'],
    ['vf-src:z,z', 'cannot set :z more than once in mount options'],
    ['nosuch', 'looking up container "nosuch" for volumes-from: no container with name or ID "nosuch" found: no such container'],
    ['vf-src,other', 'looking up container "vf-src,other" for volumes-from: no container with name or ID "vf-src,other" found: no such container'],
  ];
  for (const [v, msg] of cases) {
    const r = s.run(['run', '--rm', '--network', 'none', '-v', '/fresh-anon', '--volumes-from', v, IMG, 'true']);
    assert.equal(r.code, 125, `${v}: ${r.stderr}`);
    assert.equal(r.stderr, `Error: ${msg}\n`);
  }
  assert.equal(s.ok(['ps', '-a', '-q']), before);
  assert.equal(s.ok(['volume', 'ls', '-q']), volumes, 'no volume was created');
});

test('-v wins over --volumes-from at the same destination; a later --volumes-from wins over an earlier one', () => {
  s.ok(['create', '--name', 'vf-other', '--network', 'none', '-v', `${hostB}:/bind`, '-v', '/other', IMG, 'true']);
  const ls = (...args: string[]) => s.ok(['run', '--rm', '--network', 'none', ...args, IMG, 'sh', '-c', 'ls /bind; ls -d /named /other 2>/dev/null; true']);
  assert.equal(ls('--volumes-from', 'vf-src', '-v', `${hostB}:/bind`), 'b.txt\n/named\n');
  assert.equal(ls('--volumes-from', 'vf-src', '--volumes-from', 'vf-other'), 'b.txt\n/named\n/other\n');
  assert.equal(ls('--volumes-from', 'vf-other', '--volumes-from', 'vf-src'), 'a.txt\n/named\n/other\n');
});

test('the mounts are copied at create: the source can go, the copy keeps working and keeps the volumes in use', () => {
  s.ok(['create', '--name', 'vf-src2', '--network', 'none', '-v', '/anon2', IMG, 'sh', '-c', 'echo kept > /anon2/f']);
  s.ok(['start', '-a', 'vf-src2']);
  s.ok(['create', '--name', 'vf-copy', '--network', 'none', '--volumes-from', 'vf-src2', IMG, 'cat', '/anon2/f']);
  const anon = JSON.parse(s.ok(['inspect', '--format', '{{json .Mounts}}', 'vf-copy']))[0].Name;
  // podman records no dependency for --volumes-from: the source can be removed (with -v too).
  assert.equal(s.ok(['rm', '-v', 'vf-src2']), 'vf-src2\n');
  assert.equal(s.ok(['volume', 'ls', '-q', '--filter', `name=${anon}`]), `${anon}\n`, 'still used by vf-copy');
  assert.equal(s.ok(['start', '-a', 'vf-copy']), 'kept\n');
  const rm = s.run(['volume', 'rm', anon]);
  assert.equal(rm.code, 2);
  s.ok(['rm', '-v', 'vf-copy']);
  assert.equal(s.ok(['volume', 'ls', '-q', '--filter', `name=${anon}`]), '', 'gone with its last user');
});
