// `pier volume ...` end to end: output formats, filters, errors and exit codes as podman 4.3.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ContainerStore, initialState, ContainerRecord } from '../../src/engine/container-store';
import { closeAll } from '../../src/storage/db';
import { VolStore } from './helpers';
import { REMOTE } from '../helpers/cli';

function record(id: string, volume: string): ContainerRecord {
  return {
    id, name: `user-${id.slice(0, 4)}`, imageId: null, imageName: 'none', created: Date.now(), podId: null, state: initialState(),
    config: {
      create: { image: 'none', command: [] }, entrypoint: [], cmd: ['true'], env: [], workdir: '/', user: '', hostname: 'h',
      stopSignal: 15, stopTimeout: 10, logDriver: 'k8s-file', logPath: '/dev/null', runtime: '', topLayer: null, imageConfig: {},
      labels: {}, annotations: {}, networkMode: 'none', restart: { name: 'no', maximumRetryCount: 0 },
      mounts: [{ type: 'volume', name: volume, source: `/x/${volume}`, destination: '/data', options: [] }],
    },
  };
}

describe('pier volume create / ls / inspect', () => {
  const s = new VolStore();
  after(() => s.cleanup());

  test('create prints the name; random names are 64 hex digits', () => {
    assert.equal(s.ok(['volume', 'create', 'foo', '-l', 'a=b', '--label', 'c']), 'foo\n');
    const anon = s.ok(['volume', 'create']).trim();
    assert.match(anon, /^[0-9a-f]{64}$/);
    assert.equal(s.ok(['volume', 'create', '-o', 'type=tmpfs', '--opt', 'device=tmpfs', '-o', 'o=uid=5,mode=0700', 'tv']), 'tv\n');
    assert.equal(s.ok(['volume', 'create', '--driver', 'local', '-d', 'local', 'bar']), 'bar\n');
    s.ok(['volume', 'rm', anon]);
    // -l and ls --filter take comma-separated lists, as podman's `strings` flags.
    s.ok(['volume', 'create', '-l', 'x=1,y=2', 'multi']);
    assert.equal(s.ok(['volume', 'inspect', '--format', '{{.Labels}}', 'multi']), 'map[x:1 y:2]\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'label=x=1,name=mul']), 'multi\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'label=x=2,name=mul']), '');
    s.ok(['volume', 'rm', 'multi']);
  });

  test('create errors', () => {
    let r = s.expect(['volume', 'create', 'foo'], 125);
    assert.equal(r.stderr, 'Error: volume with name foo already exists: volume already exists\n');
    r = s.expect(['volume', 'create', '--ignore', 'foo'], 0);
    assert.equal(r.stdout, 'foo\n');
    r = s.expect(['volume', 'create', 'bad name'], 125);
    assert.equal(r.stderr, 'Error: running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument\n');
    r = s.expect(['volume', 'create', '-o', 'foo=bar', 'x1'], 125);
    assert.equal(r.stderr, "Error: invalid mount option foo for driver 'local': invalid argument\n");
    r = s.expect(['volume', 'create', '--driver', 'nfsplugin', 'x2'], 125);
    assert.equal(r.stderr, 'Error: volume x2 uses volume plugin nfsplugin but it could not be retrieved: no volume plugin with name nfsplugin available: required plugin missing\n');
    r = s.expect(['volume', 'create', 'a', 'b'], 125);
    assert.equal(r.stderr, 'Error: accepts at most 1 arg(s), received 2\n');
    assert.equal(s.run(['volume', 'exists', 'x1']).code, 1);
  });

  test('ls: default table sorted by name, --noheading, -q', () => {
    assert.equal(s.ok(['volume', 'ls']), 'DRIVER      VOLUME NAME\nlocal       bar\nlocal       foo\nlocal       tv\n');
    assert.equal(s.ok(['volume', 'list', '--noheading']), 'local       bar\nlocal       foo\nlocal       tv\n');
    assert.equal(s.ok(['volume', 'ls', '-q']), 'bar\nfoo\ntv\n');
    const r = s.expect(['volume', 'ls', '-q', '--format', '{{.Name}}'], 125);
    assert.equal(r.stderr, 'Error: quiet and format flags cannot be used together\n');
  });

  test('ls --format: templates, table templates and json', () => {
    assert.equal(s.ok(['volume', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{.UID}} {{.MountCount}}']),
      'bar local local map[] 0 0\nfoo local local map[a:b c:] 0 0\ntv local local map[] 5 0\n');
    assert.equal(s.ok(['volume', 'ls', '--format', '{{.Mountpoint}}', '--filter', 'name=^foo$']), path.join(s.root, 'volumes', 'foo', '_data') + '\n');
    assert.equal(s.ok(['volume', 'ls', '--format', 'table {{.Name}} {{.Scope}}']), 'VOLUME NAME  SCOPE\nbar          local\nfoo          local\ntv           local\n');
    assert.match(s.ok(['volume', 'ls', '--format', '{{.CreatedAt}}', '--filter', 'name=foo']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC\n$/);
    const json = s.ok(['volume', 'ls', '--format', 'json', '--filter', 'name=bar']);
    // podman 4.3 prints empty maps over three lines in this listing.
    assert.match(json, /^\[\n  \{\n    "Name": "bar",\n    "Driver": "local",\n    "Mountpoint": "[^"]+\/volumes\/bar\/_data",\n    "CreatedAt": "[^"]+",\n    "Labels": \{\n      \n    \},\n    "Scope": "local",\n    "Options": \{\n      \n    \},\n    "MountCount": 0,\n    "NeedsCopyUp": true,\n    "NeedsChown": true\n  \}\n\]\n$/);
    const all = JSON.parse(s.ok(['volume', 'ls', '--format', '{{json .}}']));
    assert.deepEqual(all.map((v: any) => v.Name), ['bar', 'foo', 'tv']);
    assert.deepEqual(all[1].Labels, { a: 'b', c: '' });
    assert.deepEqual(all[2].Options, { UID: '5', device: 'tmpfs', o: 'uid=5,mode=0700', type: 'tmpfs' });
    const r = s.expect(['volume', 'ls', '--format', '{{.Nope}}'], 125);
    assert.match(r.stderr, /can't evaluate field Nope/);
  });

  test('ls filters and their errors; an empty list prints nothing (json: [])', () => {
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'name=o']), 'foo\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'label=a=b']), 'foo\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'label=c']), 'foo\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'label!=a']), 'bar\ntv\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'driver=local', '--filter', 'opt=type=tmpfs']), 'tv\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'bar\nfoo\ntv\n');
    assert.equal(s.ok(['volume', 'ls', '--filter', 'dangling=false']), '');
    assert.equal(s.ok(['volume', 'ls', '--filter', 'until=1h']), '');
    assert.equal(s.ok(['volume', 'ls', '--format', 'json', '--filter', 'name=nomatch']), '[]\n');
    let r = s.expect(['volume', 'ls', '--filter', 'bogus=1'], 125);
    assert.equal(r.stderr, 'Error: "bogus" is an invalid volume filter\n');
    r = s.expect(['volume', 'ls', '--filter', 'foo'], 125);
    assert.equal(r.stderr, 'Error: filter input must be in the form of filter=value: foo is invalid\n');
    r = s.expect(['volume', 'ls', '--filter', 'dangling=maybe'], 125);
    assert.equal(r.stderr, 'Error: "maybe" is not a valid value for the "dangling" filter - must be true or false\n');
    r = s.expect(['volume', 'ls', 'extra'], 125);
    assert.match(r.stderr, /takes no arguments/);
  });

  test('inspect: JSON fields, --format, --all and missing volumes', () => {
    const [foo] = JSON.parse(s.ok(['volume', 'inspect', 'foo']));
    assert.deepEqual(Object.keys(foo), ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'MountCount', 'NeedsCopyUp', 'NeedsChown']);
    assert.equal(foo.Name, 'foo');
    assert.equal(foo.Driver, 'local');
    assert.equal(foo.Mountpoint, path.join(s.root, 'volumes', 'foo', '_data'));
    assert.ok(Math.abs(Date.parse(foo.CreatedAt) - Date.now()) < 120_000);
    assert.deepEqual(foo.Labels, { a: 'b', c: '' });
    assert.equal(foo.Scope, 'local');
    assert.deepEqual(foo.Options, {});
    assert.equal(foo.MountCount, 0);
    assert.equal(foo.NeedsCopyUp, true);
    assert.equal(foo.NeedsChown, true);
    const text = s.ok(['volume', 'inspect', 'tv']);
    assert.match(text, /^\[\n     \{\n          "Name": "tv",\n/, 'podman indents inspect by 5 spaces');
    const [tv] = JSON.parse(text);
    assert.equal(tv.UID, 5);
    assert.equal(tv.NeedsChown, undefined);

    assert.equal(s.ok(['volume', 'inspect', '--format', '{{.Name}} {{.Options.type}} {{.Labels}}', 'tv', 'foo']), 'tv tmpfs map[]\nfoo <no value> map[a:b c:]\n');
    assert.deepEqual(JSON.parse(s.ok(['volume', 'inspect', '--all'])).map((v: any) => v.Name), ['bar', 'foo', 'tv']);
    let r = s.expect(['volume', 'inspect', 'foo', 'nope'], 125);
    assert.deepEqual(JSON.parse(r.stdout).map((v: any) => v.Name), ['foo']);
    assert.equal(r.stderr, 'Error: inspecting object: no such volume nope\n');
    r = s.expect(['volume', 'inspect', 'nope'], 125);
    assert.equal(r.stdout, '[]\n');
    r = s.expect(['volume', 'inspect'], 125);
    assert.equal(r.stderr, 'Error: provide one or more volume names or use --all\n');
    s.expect(['volume', 'inspect', '--all', 'foo'], 125);
  });

  test('exists', () => {
    assert.equal(s.run(['volume', 'exists', 'foo']).code, 0);
    assert.equal(s.run(['volume', 'exists', 'nope']).code, 1);
    const r = s.expect(['volume', 'exists'], 125);
    assert.equal(r.stderr, 'Error: accepts 1 arg(s), received 0\n');
  });
});

describe('pier volume rm / prune', () => {
  const s = new VolStore();
  after(() => { closeAll(); s.cleanup(); });

  test('rm removes and prints names; exit 1 for a missing volume', () => {
    s.ok(['volume', 'create', 'x1']);
    s.ok(['volume', 'create', 'x2']);
    assert.equal(s.ok(['volume', 'rm', 'x1', 'x2']), 'x1\nx2\n');
    let r = s.expect(['volume', 'rm', 'nope'], 1);
    assert.equal(r.stderr, 'Error: no volume with name "nope" found: no such volume\n');
    s.ok(['volume', 'create', 'x3']);
    r = s.expect(['volume', 'remove', 'nope1', 'x3', 'nope2'], 1);
    assert.equal(r.stdout, 'x3\n');
    assert.equal(r.stderr, 'Error: no volume with name "nope1" found: no such volume\nError: no volume with name "nope2" found: no such volume\n');
    r = s.expect(['volume', 'rm'], 125);
    assert.equal(r.stderr, 'Error: choose either one or more volumes or all\n');
    r = s.expect(['volume', 'rm', '-a', 'x'], 125);
    assert.equal(r.stderr, 'Error: choose either one or more volumes or all\n');
  });

  test('rm --force ignores volumes that do not exist (exit 0, no output); --time needs --force', () => {
    let r = s.expect(['volume', 'rm', '--force', 'bogus'], 0);
    assert.equal(r.stdout + r.stderr, '');
    s.ok(['volume', 'create', 'forced']);
    r = s.expect(['volume', 'rm', '-f', 'bogus1', 'forced', 'bogus2'], 0);
    assert.equal(r.stdout, 'forced\n');
    assert.equal(r.stderr, '');
    r = s.expect(['volume', 'rm', 'bogus'], 1);
    assert.equal(r.stderr, 'Error: no volume with name "bogus" found: no such volume\n');
    r = s.expect(['volume', 'rm', '-t', '3', 'bogus'], 125);
    assert.equal(r.stderr, 'Error: --force option must be specified to use the --time option\n');
  });

  test('rm refuses a volume used by a container: exit 2; -a removes the rest', () => {
    s.ok(['volume', 'create', 'used']);
    s.ok(['volume', 'create', 'free']);
    const id = 'c'.repeat(64);
    const store = s.store();
    new ContainerStore(store.db).insert(record(id, 'used'));
    let r = s.expect(['volume', 'rm', 'used'], 2);
    assert.equal(r.stderr, `Error: volume used is being used by the following container(s): ${id}: volume is being used\n`);
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'dangling=false']), 'used\n');
    assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'free\n');
    r = s.expect(['volume', 'rm', '--all'], 2);
    assert.equal(r.stdout, 'free\n');
    assert.equal(s.ok(['volume', 'ls', '-q']), 'used\n');
    new ContainerStore(store.db).delete(id);
    assert.equal(s.ok(['volume', 'rm', 'used']), 'used\n');
  });

  test('prune: prompt, answer, --force, --filter; in-use volumes stay', () => {
    s.ok(['volume', 'create', 'p1', '-l', 'x=y']);
    s.ok(['volume', 'create', 'p2']);
    s.ok(['volume', 'create', 'kept']);
    const id = 'd'.repeat(64);
    new ContainerStore(s.store().db).insert(record(id, 'kept'));
    const warn = 'WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n';
    let r = s.expect(['volume', 'prune'], 0, { input: 'n\n' });
    assert.equal(r.stdout, `${warn}p1\np2\nAre you sure you want to continue? [y/N] `);
    assert.equal(s.ok(['volume', 'ls', '-q']), 'kept\np1\np2\n');
    r = s.expect(['volume', 'prune', '--filter', 'label=x'], 0, { input: 'y\n' });
    assert.equal(r.stdout, `${warn}p1\nAre you sure you want to continue? [y/N] p1\n`);
    assert.equal(s.ok(['volume', 'prune', '-f']), 'p2\n');
    assert.equal(s.ok(['volume', 'ls', '-q']), 'kept\n');
    r = s.expect(['volume', 'prune'], 0, { input: '' });
    assert.equal(r.stdout, `${warn}No dangling volumes found\n`);
    r = s.expect(['volume', 'prune', '-f', '--filter', 'bogus=1'], 125);
    assert.equal(r.stderr, 'Error: "bogus" is an invalid volume filter\n');
    s.ok(['volume', 'create', 'p3', '-l', 'keep=1']);
    s.ok(['volume', 'create', 'p4']);
    assert.equal(s.ok(['volume', 'prune', '-f', '--filter', 'label!=keep']), 'p4\n');
    assert.equal(s.ok(['volume', 'ls', '-q']), 'kept\np3\n');
    new ContainerStore(s.store().db).delete(id);
  });
});

describe('pier volume export / import', () => {
  const s = new VolStore();
  after(() => s.cleanup());

  test('export to a file and stdout, import from a file and stdin', () => {
    s.ok(['volume', 'create', 'src']);
    s.ok(['volume', 'create', 'dst']);
    s.ok(['volume', 'create', 'dst2']);
    const data = path.join(s.root, 'volumes', 'src', '_data');
    fs.mkdirSync(path.join(data, 'sub'));
    fs.writeFileSync(path.join(data, 'sub', 'f.txt'), 'payload');
    fs.chownSync(path.join(data, 'sub', 'f.txt'), 4242, 4343);
    fs.chmodSync(path.join(data, 'sub', 'f.txt'), 0o640);
    const file = path.join(s.dir, 'vol.tar');
    assert.equal(s.ok(['volume', 'export', '-o', file, 'src']), '');
    const list = spawnSync('tar', ['-tvf', file, '--numeric-owner']).stdout.toString();
    assert.match(list, /^drwxr-xr-x 0\/0 .* sub\/\n-rw-r----- 4242\/4343 +7 .* sub\/f\.txt\n$/);
    const r = s.run(['volume', 'export', 'src']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, fs.statSync(file).size);

    assert.equal(s.ok(['volume', 'import', 'dst', file]), '');
    const out = path.join(s.root, 'volumes', 'dst', '_data', 'sub', 'f.txt');
    assert.equal(fs.readFileSync(out, 'utf8'), 'payload');
    assert.equal(fs.statSync(out).uid, 4242);
    assert.equal(fs.statSync(out).mode & 0o777, 0o640);
    s.ok(['volume', 'import', 'dst2', '-'], { input: fs.readFileSync(file) });
    assert.equal(fs.readFileSync(path.join(s.root, 'volumes', 'dst2', '_data', 'sub', 'f.txt'), 'utf8'), 'payload');
    // A gzipped tarball is accepted too.
    const gz = path.join(s.dir, 'vol.tar.gz');
    spawnSync('sh', ['-c', `gzip -c '${file}' > '${gz}'`]);
    s.ok(['volume', 'create', 'dst3']);
    s.ok(['volume', 'import', 'dst3', gz]);
    assert.equal(fs.readFileSync(path.join(s.root, 'volumes', 'dst3', '_data', 'sub', 'f.txt'), 'utf8'), 'payload');
    // And bzip2, xz and zstd ones (as podman's), from a file and from stdin.
    for (const tool of ['bzip2', 'xz', 'zstd']) {
      const packed = spawnSync(tool, ['-c', file]).stdout;
      const f = path.join(s.dir, `vol.tar.${tool}`);
      fs.writeFileSync(f, packed);
      s.ok(['volume', 'create', `${tool}-file`]);
      s.ok(['volume', 'import', `${tool}-file`, f]);
      s.ok(['volume', 'create', `${tool}-stdin`]);
      s.ok(['volume', 'import', `${tool}-stdin`, '-'], { input: packed });
      for (const v of [`${tool}-file`, `${tool}-stdin`]) {
        assert.equal(fs.readFileSync(path.join(s.root, 'volumes', v, '_data', 'sub', 'f.txt'), 'utf8'), 'payload', v);
      }
    }
  });

  test('export/import errors', () => {
    let r = s.expect(['volume', 'export', 'nope'], 125);
    assert.equal(r.stderr, 'Error: no such volume nope\n');
    r = s.expect(['volume', 'import', 'nope', '/dev/null'], 125);
    assert.equal(r.stderr, 'Error: no such volume nope\n');
    r = s.expect(['volume', 'import', 'dst', '/nonexistent.tar'], 125);
    assert.equal(r.stderr, 'Error: open /nonexistent.tar: no such file or directory\n');
    r = s.expect(['volume', 'export'], 125);
    assert.equal(r.stderr, 'Error: accepts 1 arg(s), received 0\n');
    // A tarball trying to escape the volume is refused and writes nothing outside.
    const evil = path.join(s.dir, 'evil.tar');
    fs.mkdirSync(path.join(s.dir, 'mk', 'a'), { recursive: true });
    fs.writeFileSync(path.join(s.dir, 'mk', 'a', 'x'), 'x');
    spawnSync('tar', ['-cf', evil, '-C', path.join(s.dir, 'mk'), '--transform', 's,^a/x,../../../escaped,', 'a/x']);
    r = s.expect(['volume', 'import', 'dst', evil], 125);
    assert.match(r.stderr, /escapes/);
    assert.ok(!fs.existsSync(path.join(s.root, 'escaped')));
    assert.ok(!fs.existsSync(path.join(s.dir, 'escaped')));
  });
});

describe('pier volume with mount options', () => {
  const s = new VolStore();
  after(() => s.cleanup());

  test('type=bind: the device must exist at create (podman stats it), exit 125 and nothing created', () => {
    let r = s.expect(['volume', 'create', '-o', 'type=bind', '-o', 'device=/bogus', 'bv'], 125);
    assert.equal(r.stderr, "Error: invalid volume option device for driver 'local': stat /bogus: no such file or directory\n");
    assert.equal(s.run(['volume', 'exists', 'bv']).code, 1);
    const host = path.join(s.dir, 'bind-src');
    fs.mkdirSync(host);
    fs.writeFileSync(path.join(host, 'myfile'), 'on the host');
    assert.equal(s.ok(['volume', 'create', '-o', 'type=bind', '-o', `device=${host}`, 'bv']), 'bv\n');
    // Mounted as `mount -o bind`: the host's files are the volume's.
    const out = path.join(s.dir, 'bv.tar');
    s.ok(['volume', 'export', '-o', out, 'bv']);
    assert.equal(spawnSync('tar', ['-xOf', out, 'myfile']).stdout.toString(), 'on the host');
    s.ok(['volume', 'rm', 'bv']);
    assert.ok(fs.existsSync(path.join(host, 'myfile')), 'the host directory is left alone');
  });

  test('volume mount / unmount: plain volumes need no mount; mount-backed ones are counted', () => {
    s.ok(['volume', 'create', 'plain']);
    s.ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', 'mv']);
    if (REMOTE) {
      // podman-remote refuses these (local mode only).
      let r = s.expect(['volume', 'mount', 'plain'], 125);
      assert.match(r.stderr, /^Error: cannot use command "pier volume mount" with the remote pier client\n$/);
      r = s.expect(['volume', 'unmount', 'plain'], 125);
      assert.match(r.stderr, /^Error: cannot use command "pier volume unmount" with the remote pier client\n$/);
      s.ok(['volume', 'rm', 'plain', 'mv']);
      return;
    }
    const plainMp = path.join(s.root, 'volumes', 'plain', '_data');
    assert.equal(s.ok(['volume', 'mount', 'plain']), `${plainMp}\n`);
    assert.equal(s.ok(['volume', 'inspect', '--format', '{{.MountCount}}', 'plain']), '0\n');
    assert.equal(s.ok(['volume', 'unmount', 'plain']), 'plain\n');

    const mp = path.join(s.root, 'volumes', 'mv', '_data');
    const mounted = () => fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === mp);
    assert.equal(s.ok(['volume', 'mount', 'mv']), `${mp}\n`);
    assert.ok(mounted());
    fs.writeFileSync(path.join(mp, 'f'), 'x');
    s.ok(['volume', 'mount', 'mv']);
    assert.equal(s.ok(['volume', 'inspect', '--format', '{{.MountCount}}', 'mv']), '2\n');
    assert.equal(s.ok(['volume', 'unmount', 'mv']), 'mv\n');
    assert.ok(mounted(), 'still mounted for the other user');
    assert.equal(s.ok(['volume', 'unmount', 'mv']), 'mv\n');
    assert.ok(!mounted(), 'the last unmount unmounts');
    assert.equal(s.ok(['volume', 'unmount', 'mv']), 'mv\n', 'unmounting an unmounted volume is a no-op');
    assert.equal(s.ok(['volume', 'inspect', '--format', '{{.MountCount}}', 'mv']), '0\n');

    let r = s.expect(['volume', 'mount', 'nosuch'], 125);
    assert.equal(r.stderr, 'Error: no volume with name "nosuch" found: no such volume\n');
    r = s.expect(['volume', 'unmount', 'nosuch'], 125);
    assert.equal(r.stderr, 'Error: no volume with name "nosuch" found: no such volume\n');
    r = s.expect(['volume', 'mount'], 125);
    assert.equal(r.stderr, 'Error: accepts 1 arg(s), received 0\n');
    // A `volume mount` does not keep the volume from being removed (podman unmounts it).
    s.ok(['volume', 'mount', 'mv']);
    assert.equal(s.ok(['volume', 'rm', 'mv']), 'mv\n');
    assert.ok(!mounted());
    s.ok(['volume', 'rm', 'plain']);
  });

  test('a tmpfs volume is mounted only while in use: import/export go through the mount', () => {
    s.ok(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=4m', 'tv']);
    const tar = path.join(s.dir, 't.tar');
    fs.mkdirSync(path.join(s.dir, 'c'));
    fs.writeFileSync(path.join(s.dir, 'c', 'hello'), 'hi');
    spawnSync('tar', ['-cf', tar, '-C', path.join(s.dir, 'c'), 'hello']);
    s.ok(['volume', 'import', 'tv', tar]);
    const mp = path.join(s.root, 'volumes', 'tv', '_data');
    assert.ok(!fs.readFileSync('/proc/self/mounts', 'utf8').includes(mp), 'unmounted after import');
    assert.deepEqual(fs.readdirSync(mp), [], 'the content lived in the tmpfs');
    assert.equal(s.ok(['volume', 'inspect', '--format', '{{.MountCount}}', 'tv']), '0\n');
    s.ok(['volume', 'rm', 'tv']);
  });
});
