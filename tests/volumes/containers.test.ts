// Volumes and real containers: a container created with `-v NAME:/data` makes the volume
// in use; `volume rm -f` removes that container first.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeDockerArchive, busyboxImage } from '../fixtures/images';
import { VolStore } from './helpers';

const s = new VolStore();
after(() => s.cleanup());

test('a container referencing a volume keeps it in use until removed (rm exit 2, rm -f removes the container)', async () => {
  const archive = path.join(s.dir, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  s.ok(['load', '-i', archive]);
  s.ok(['volume', 'create', 'data']);
  const id = s.ok(['create', '--name', 'user1', '-v', 'data:/data', 'localhost/busybox', 'true']).trim();

  let r = s.expect(['volume', 'rm', 'data'], 2);
  assert.equal(r.stderr, `Error: volume data is being used by the following container(s): ${id}: volume is being used\n`);
  assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'dangling=false']), 'data\n');
  assert.equal(s.ok(['volume', 'prune', '-f']), '');
  r = s.expect(['volume', 'rm', '-f', '-t', '0', 'data'], 0);
  assert.equal(r.stdout, 'data\n');
  assert.equal(s.ok(['volume', 'ls', '-q']), '');
  assert.equal(s.run(['container', 'exists', id]).code, 1, 'the container went with the volume');
});

test('a running container sees the volume content: import, write from the container, export', async () => {
  s.ok(['volume', 'create', 'shared']);
  const src = path.join(s.dir, 'in');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'from-host.txt'), 'imported');
  const tar = path.join(s.dir, 'in.tar');
  spawnSync('tar', ['-cf', tar, '-C', src, 'from-host.txt']);
  s.ok(['volume', 'import', 'shared', tar]);
  const out = s.ok(['run', '--rm', '-v', 'shared:/data', 'localhost/busybox', 'sh', '-c', 'cat /data/from-host.txt; echo written > /data/from-ctr.txt']);
  assert.equal(out, 'imported');
  const exported = path.join(s.dir, 'out.tar');
  s.ok(['volume', 'export', '-o', exported, 'shared']);
  const names = spawnSync('tar', ['-tf', exported]).stdout.toString().split('\n').filter(Boolean).sort();
  assert.deepEqual(names, ['from-ctr.txt', 'from-host.txt']);
  const content = spawnSync('tar', ['-xOf', exported, 'from-ctr.txt']).stdout.toString();
  assert.equal(content, 'written\n');
  s.ok(['volume', 'rm', 'shared']);
});

test('a type=bind volume shows its host directory inside the container', () => {
  const host = path.join(s.dir, 'bind-host');
  fs.mkdirSync(host);
  fs.writeFileSync(path.join(host, 'myfile'), '');
  s.ok(['volume', 'create', '-o', 'type=bind', '-o', `device=${host}`, 'bvol']);
  assert.equal(s.ok(['run', '--rm', '-v', 'bvol:/vol:z', 'localhost/busybox', 'stat', '-c', '%u:%s %n', '/vol/myfile']), '0:0 /vol/myfile\n');
  s.ok(['volume', 'rm', 'bvol']);
});

test('NeedsCopyUp stays set while a container mounts the volume over an empty directory; content later is copied up', () => {
  s.ok(['volume', 'create', 'cu']);
  const flags = () => s.ok(['volume', 'inspect', '--format', '{{.NeedsCopyUp}} {{.NeedsChown}}', 'cu']);
  assert.equal(flags(), 'true true\n');
  s.ok(['run', '--rm', '--volume', 'cu:/vol', 'localhost/busybox', 'true']);
  assert.equal(flags(), 'true false\n', 'nothing to copy from an empty /vol: still waiting for its copy-up');
  s.ok(['run', '--rm', '--volume', 'cu:/etc', 'localhost/busybox', 'ls', '/etc/passwd']);
  assert.equal(flags(), 'false false\n');
  assert.ok(fs.existsSync(path.join(s.root, 'volumes', 'cu', '_data', 'passwd')), '/etc was copied into the volume');
  s.ok(['volume', 'rm', 'cu']);
});
