// inspect, tag/untag, rmi/image rm, image exists, image prune, history and image tree.
import { test, describe, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, seedStandard, seedImage, openStore, closeAll, Seeded } from './helpers';

type Std = Record<'base' | 'mid' | 'child' | 'orphan' | 'lone', Seeded>;

describe('image management commands', () => {
  let ts: TestStore;
  let imgs: Std;
  beforeEach(async () => {
    ts = new TestStore({ driver: 'vfs' });
    imgs = await seedStandard(ts);
  });
  afterEach(() => ts.cleanup());

  const ids = () => ts.ok(['images', '-a', '-q', '--no-trunc']).trim().split('\n').filter(Boolean).map((x) => x.slice(7));

  test('image inspect: JSON array of images', () => {
    const arr = JSON.parse(ts.ok(['image', 'inspect', 'localhost/base:1', 'alpine:3.18']));
    assert.equal(arr.length, 2);
    assert.equal(arr[0].Id, imgs.base.id);
    assert.deepEqual(arr[0].RepoTags, ['localhost/base:1', 'quay.io/acme/base:v2']);
    assert.equal(arr[1].Id, imgs.lone.id);
    assert.deepEqual(arr[1].RootFS.Layers, imgs.lone.diffIds);
  });

  test('image inspect and images: Go maps (labels, exposed ports, volumes, annotations) with sorted keys', async () => {
    const store = openStore(ts);
    try {
      await seedImage(store, {
        layers: [{ 'etc/maps': 'maps\n' }], names: ['localhost/maps:1'], created: '2024-01-01T00:00:00Z',
        labels: { zz: '1', aa: '2', 10: 'x', 9: 'y' }, config: { ExposedPorts: { '80/tcp': {}, '443/tcp': {} }, Volumes: { '/z': {}, '/a': {} } },
      });
    } finally {
      closeAll();
    }
    const labels = '{"10":"x","9":"y","aa":"2","zz":"1"}';
    assert.equal(ts.ok(['image', 'inspect', '--format', '{{json .Labels}} {{json .Config.Labels}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}}', 'maps:1']),
      `${labels} ${labels} {"443/tcp":{},"80/tcp":{}} {"/a":{},"/z":{}}\n`);
    const text = ts.ok(['image', 'inspect', 'maps:1']);
    assert.match(text, /\n {10}"Labels": \{\n {15}"10": "x",\n {15}"9": "y",\n {15}"aa": "2",\n {15}"zz": "1"\n {10}\},\n/);
    assert.match(text, /"ExposedPorts": \{\n {20}"443\/tcp": \{\},\n {20}"80\/tcp": \{\}\n/);
    assert.equal(ts.ok(['images', '--filter', 'reference=localhost/maps', '--format', '{{json .Labels}} {{.Labels}}']), `${labels} map[10:x 9:y aa:2 zz:1]\n`);
    assert.match(ts.ok(['images', '--filter', 'reference=localhost/maps', '--format', 'json']), /\n {8}"Labels": \{\n {12}"10": "x",\n {12}"9": "y",\n {12}"aa": "2",\n {12}"zz": "1"\n {8}\},\n/);
  });

  test('image inspect: Config is the OCI ImageConfig (its order, omitempty), Healthcheck apart, times as Go prints them', async () => {
    const store = openStore(ts);
    try {
      await seedImage(store, {
        layers: [{ 'etc/oci': 'oci\n' }], names: ['localhost/oci:1'], created: '2024-01-01T00:00:00.500Z',
        history: [{ created_by: '/bin/sh -c #(nop) ADD file:x in /', empty_layer: false, comment: '' }],
        config: {
          Hostname: 'h', Domainname: '', Cmd: ['sh'], WorkingDir: '/w', Entrypoint: null, User: '1000', OnBuild: ['RUN true'], StopSignal: 'SIGINT',
          Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 30000000000, Timeout: 0, StartPeriod: 1000000000, Retries: 2 }, ArgsEscaped: true, Volumes: {},
        },
      });
    } finally {
      closeAll();
    }
    const img = JSON.parse(ts.ok(['image', 'inspect', 'oci:1']))[0];
    assert.deepEqual(Object.keys(img.Config), ['User', 'Env', 'Cmd', 'WorkingDir', 'StopSignal']);
    assert.equal(Object.keys(img).pop(), 'Healthcheck');
    assert.equal(JSON.stringify(img.Healthcheck), '{"Test":["CMD-SHELL","true"],"StartPeriod":1000000000,"Interval":30000000000,"Retries":2}');
    assert.equal(img.Created, '2024-01-01T00:00:00.5Z');
    assert.deepEqual(img.History, [{ created: '2024-01-01T00:00:00.5Z', created_by: '/bin/sh -c #(nop) ADD file:x in /' }]);
    // Templates see Go's structs: times as time.Time prints, History by its Go field names with zero values.
    const tpl = '{{.Created}}|{{range .History}}{{.CreatedBy}}/{{.Created}}/{{.EmptyLayer}}/{{.Comment}}/{{.Author}}{{end}}';
    assert.equal(ts.ok(['image', 'inspect', '--format', tpl, 'oci:1']), '2024-01-01 00:00:00.5 +0000 UTC|/bin/sh -c #(nop) ADD file:x in //2024-01-01 00:00:00.5 +0000 UTC/false//\n');
    assert.equal(ts.ok(['inspect', '--format', '{{.Created}}', 'oci:1']), '2024-01-01 00:00:00.5 +0000 UTC\n');
  });

  test('Parent as libimage finds it: an image on the same or the parent layer whose history is this one\'s but the last entry', async () => {
    const store = openStore(ts);
    let sibA: Seeded, sibB: Seeded, deep: Seeded, foreign: Seeded;
    try {
      // Two metadata-only children of base (same top layer, one more history entry each).
      sibA = await seedImage(store, { layers: [], parent: imgs.base, created: '2024-01-01T00:00:00Z', history: [{ created_by: '/bin/sh -c #(nop) ENV A=1', empty_layer: true } as never] });
      sibB = await seedImage(store, { layers: [], parent: imgs.base, created: '2024-01-02T00:00:00Z', history: [{ created_by: '/bin/sh -c #(nop) ENV B=1', empty_layer: true } as never] });
      // Two layers above base with no image in between: no parent.
      deep = await seedImage(store, { layers: [{ 'etc/d1': '1\n' }, { 'etc/d2': '2\n' }], parent: imgs.base, created: '2024-01-03T00:00:00Z' });
      // On base's layers but with a history that does not extend base's: no parent.
      foreign = await seedImage(store, { layers: [{ 'etc/f': 'f\n' }], parent: { ...imgs.base, history: [{ created_by: 'something else' }] } as Seeded, created: '2024-01-04T00:00:00Z' });
    } finally {
      closeAll();
    }
    const parent = (id: string) => ts.ok(['image', 'inspect', '--format', '{{.Parent}}', id]).trim();
    assert.equal(parent(sibA.id), imgs.base.id);
    assert.equal(parent(sibB.id), imgs.base.id);
    assert.equal(parent(imgs.child.id), imgs.mid.id);
    assert.equal(parent(deep.id), '');
    assert.equal(parent(foreign.id), '');
  });

  test('inspect --format and pier inspect --type', () => {
    assert.equal(ts.ok(['image', 'inspect', '--format', '{{.Id}} {{.Os}}', 'child']), `${imgs.child.id} linux\n`);
    assert.equal(ts.ok(['inspect', '-f', '{{.Id}}', 'child']), `${imgs.child.id}\n`);
    assert.equal(ts.ok(['inspect', '--type', 'image', '--format', '{{.Config.Labels.tier}}', 'child']), 'app\n');
    const bad = ts.run(['inspect', '--type', 'bogus', 'child']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr.trim(), 'Error: invalid type "bogus": must be "image", "container", "pod", "network", "volume", or "all"');
    const size = ts.run(['inspect', '--type', 'image', '-s', 'child']);
    assert.equal(size.code, 125);
    assert.equal(size.stderr.trim(), 'Error: size is not supported for type "image"');
  });

  test('inspect prints what exists, then fails for the rest', () => {
    const r = ts.run(['image', 'inspect', 'child', 'nope']);
    assert.equal(r.code, 125);
    assert.equal(JSON.parse(r.stdout).length, 1);
    assert.equal(r.stderr.trim(), 'Error: inspecting object: nope: image not known');
    const r2 = ts.run(['inspect', '--format', '{{.Id}}', 'nope', 'child']);
    assert.equal(r2.code, 125);
    assert.equal(r2.stdout, `${imgs.child.id}\n`);
    assert.equal(r2.stderr.trim(), 'Error: inspecting object: no such object: "nope"');
    const r3 = ts.run(['image', 'inspect', 'nope']);
    assert.equal(r3.code, 125);
    assert.deepEqual(JSON.parse(r3.stdout), []);
  });

  test('tag adds names; untag removes one or all', () => {
    ts.ok(['tag', 'alpine:3.18', 'mine:1', 'quay.io/me/app:2']);
    assert.deepEqual(JSON.parse(ts.ok(['image', 'inspect', 'mine:1']))[0].RepoTags, ['docker.io/library/alpine:3.18', 'localhost/mine:1', 'quay.io/me/app:2']);
    ts.ok(['untag', 'mine:1', 'quay.io/me/app:2']);
    assert.deepEqual(JSON.parse(ts.ok(['image', 'inspect', imgs.lone.id]))[0].RepoTags, ['docker.io/library/alpine:3.18', 'localhost/mine:1']);
    ts.ok(['image', 'untag', imgs.lone.id]);
    assert.deepEqual(JSON.parse(ts.ok(['image', 'inspect', imgs.lone.id]))[0].RepoTags, []);
    const r = ts.run(['tag', 'nope', 'x']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), 'Error: nope: image not known');
    assert.equal(ts.run(['tag', 'base:1']).code, 125);
  });

  test('rmi by one of several names only untags', () => {
    const out = ts.ok(['rmi', 'quay.io/acme/base:v2']);
    assert.equal(out, 'Untagged: quay.io/acme/base:v2\n');
    assert.ok(ids().includes(imgs.base.id));
  });

  test('rmi deletes: Untagged then Deleted lines', () => {
    const out = ts.ok(['rmi', 'alpine:3.18']);
    assert.equal(out, `Untagged: docker.io/library/alpine:3.18\nDeleted: ${imgs.lone.id}\n`);
    assert.ok(!ids().includes(imgs.lone.id));
    assert.equal(ts.ok(['image', 'rm', imgs.orphan.id.slice(0, 12)]), `Deleted: ${imgs.orphan.id}\n`);
  });

  test('rmi of a parent image drops its record and names; the child keeps its layers (podman, not docker)', () => {
    ts.ok(['untag', imgs.base.id, 'quay.io/acme/base:v2']);
    // Not reported deleted: a child image still holds its layers.
    assert.equal(ts.ok(['rmi', 'localhost/base:1']), 'Untagged: localhost/base:1\n');
    assert.ok(!ids().includes(imgs.base.id));
    assert.ok(ids().includes(imgs.mid.id) && ids().includes(imgs.child.id));
    assert.equal(JSON.parse(ts.ok(['image', 'inspect', 'child']))[0].RootFS.Layers.length, 3);
    // Saving reads every layer of the child, the removed parent's included.
    const archive = path.join(ts.dir, 'child.tar');
    ts.ok(['save', '-o', archive, 'child']);
    assert.ok(fs.statSync(archive).size > 3 * 1024);
    const events = ts.ok(['events', '--stream=false', '--filter', 'type=image', '--format', '{{.Status}} {{.Name}}']);
    assert.deepEqual(events.trim().split('\n').slice(0, 3), ['untag quay.io/acme/base:v2', 'untag localhost/base:1', 'remove localhost/base:1']);
  });

  test('rmi of a child also removes its parent when that is left without names and children', () => {
    const out = ts.ok(['rmi', 'child']);
    assert.equal(out, `Untagged: localhost/child:latest\nDeleted: ${imgs.child.id}\nDeleted: ${imgs.mid.id}\n`);
    assert.ok(ids().includes(imgs.base.id), 'the named grandparent stays');
  });

  test('rmi of a missing image exits 1; -i ignores it; no args is an error', () => {
    const r = ts.run(['rmi', 'nope', 'alpine:3.18']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error: nope: image not known');
    assert.match(r.stdout, /^Untagged: docker.io\/library\/alpine:3.18\nDeleted: [0-9a-f]{64}\n$/);
    assert.equal(ts.run(['rmi', '-i', 'nope']).code, 0);
    const none = ts.run(['rmi']);
    assert.equal(none.code, 125);
    assert.equal(none.stderr.trim(), 'Error: image name or ID must be specified');
    const both = ts.run(['rmi', '-a', 'x']);
    assert.equal(both.code, 125);
    assert.equal(both.stderr.trim(), 'Error: when using the --all switch, you may not pass any images names or IDs');
  });

  test('rmi by ID of an image with several names refuses without -f (as podman)', () => {
    const r = ts.run(['rmi', imgs.base.id.slice(0, 12)]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), `Error: unable to delete image "${imgs.base.id}" by ID with more than one tag ([localhost/base:1 quay.io/acme/base:v2]): please force removal`);
    assert.ok(ids().includes(imgs.base.id));
  });

  test('rmi -f by a name of several still only untags; by ID it removes the image; rmi -a removes all', () => {
    assert.equal(ts.ok(['rmi', '-f', 'localhost/base:1']), 'Untagged: localhost/base:1\n');
    ts.ok(['tag', 'quay.io/acme/base:v2', 'localhost/base:1']);
    const out = ts.ok(['rmi', '-f', imgs.base.id]);
    assert.match(out, /Untagged: localhost\/base:1\n/);
    assert.match(out, /Untagged: quay.io\/acme\/base:v2\n/);
    assert.ok(!ids().includes(imgs.base.id));
    ts.ok(['rmi', '-a']);
    assert.deepEqual(ids(), []);
    assert.equal(ts.ok(['rmi', '-a']), '');
  });

  test('rmi -f: images not known are no error; several errors are joined as podman joins them', () => {
    const none = ts.run(['image', 'rm', '--force', 'bogus']);
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', '']);
    const some = ts.run(['rmi', '-f', 'bogus', 'alpine:3.18']);
    assert.equal(some.code, 0);
    assert.equal(some.stdout, `Untagged: docker.io/library/alpine:3.18\nDeleted: ${imgs.lone.id}\n`);
    assert.equal(some.stderr, '');
    const two = ts.run(['rmi', 'bogus1', 'bogus2']);
    assert.equal(two.code, 1);
    assert.equal(two.stderr, 'Error: 2 errors occurred:\n\t* bogus1: image not known\n\t* bogus2: image not known\n');
  });

  test('rmi -af removes the containers using the images, and a pod with its infra image', () => {
    ts.ok(['create', '--pod', 'new:p1', 'alpine:3.18', 'true']);
    const pause = ts.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'p1']).trim();
    const pauseImage = ts.ok(['inspect', '--format', '{{.ImageName}}', pause]).trim();
    const pauseId = ts.ok(['image', 'inspect', '--format', '{{.Id}}', pauseImage]).trim();
    ts.ok(['rmi', '-f', 'localhost/base:1', 'quay.io/acme/base:v2', 'child', imgs.orphan.id]);
    // Without -f each image in use is an error: exit 2, the errors joined, oldest image first.
    const busy = ts.run(['rmi', '-a']);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /^Error: 2 errors occurred:\n\t\* image used by [0-9a-f]{64}: image is in use by a container: consider listing external containers and force-removing image\n\t\* image used by [0-9a-f]{64}: image is in use/);
    assert.equal(ts.ok(['rmi', '-af']),
      `Untagged: docker.io/library/alpine:3.18\nUntagged: ${pauseImage}\nDeleted: ${imgs.lone.id}\nDeleted: ${pauseId}\n`);
    assert.deepEqual(ids(), []);
    assert.equal(ts.ok(['ps', '-a', '--noheading']), '');
    assert.equal(ts.ok(['pod', 'ps', '--noheading']), '');
  });

  test('rmi -f of an infra image removes its pod', () => {
    ts.ok(['create', '--pod', 'new:p2', 'alpine:3.18', 'true']);
    const infra = ts.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'p2']).trim();
    const pauseImage = ts.ok(['inspect', '--format', '{{.ImageName}}', infra]).trim();
    const busy = ts.run(['rmi', pauseImage]);
    assert.equal(busy.code, 2);
    assert.equal(busy.stderr, `Error: image used by ${infra}: image is in use by a container: consider listing external containers and force-removing image\n`);
    assert.match(ts.ok(['rmi', '-f', pauseImage]), new RegExp(`^Untagged: ${pauseImage}\nDeleted: [0-9a-f]{64}\n$`));
    assert.equal(ts.ok(['ps', '-a', '--noheading']), '');
    assert.equal(ts.ok(['pod', 'ps', '--noheading']), '');
    assert.ok(ids().includes(imgs.lone.id), 'other images stay');
  });

  test('images {{.History}} and inspect NamesHistory keep names the image had, newest first after its own', () => {
    const history = () => ts.ok(['images', 'alpine', '--format', '{{ .History }}']).trim();
    assert.equal(history(), 'docker.io/library/alpine:3.18');
    ts.ok(['tag', 'alpine:3.18', 'h1']);
    ts.ok(['rmi', 'h1']);
    assert.equal(history(), 'docker.io/library/alpine:3.18, localhost/h1:latest');
    ts.ok(['tag', 'alpine:3.18', 'h2']);
    ts.ok(['rmi', 'h2']);
    assert.equal(history(), 'docker.io/library/alpine:3.18, localhost/h2:latest, localhost/h1:latest');
    assert.deepEqual(JSON.parse(ts.ok(['image', 'inspect', 'alpine:3.18']))[0].NamesHistory,
      ['docker.io/library/alpine:3.18', 'localhost/h2:latest', 'localhost/h1:latest']);
  });

  test('image exists: 0 or 1, no output', () => {
    const yes = ts.run(['image', 'exists', 'child']);
    assert.deepEqual([yes.code, yes.stdout, yes.stderr], [0, '', '']);
    const no = ts.run(['image', 'exists', 'nope']);
    assert.deepEqual([no.code, no.stdout, no.stderr], [1, '', '']);
    assert.equal(ts.run(['image', 'exists']).code, 125);
  });

  test('image prune -f removes dangling images and prints their ids', () => {
    assert.equal(ts.ok(['image', 'prune', '-f']), `${imgs.orphan.id}\n`);
    assert.ok(!ids().includes(imgs.orphan.id));
    assert.equal(ts.ok(['image', 'prune', '-f']), '');
  });

  test('image prune asks for confirmation', () => {
    const no = ts.run(['image', 'prune'], { input: 'n\n' });
    assert.equal(no.code, 0);
    assert.equal(no.stdout, 'WARNING! This command removes all dangling images.\nAre you sure you want to continue? [y/N] ');
    assert.ok(ids().includes(imgs.orphan.id));
    const eof = ts.run(['image', 'prune'], { input: '' });
    assert.equal(eof.code, 125);
    assert.equal(eof.stderr.trim(), 'Error: EOF');
    const yes = ts.run(['image', 'prune'], { input: 'y\n' });
    assert.equal(yes.code, 0);
    assert.equal(yes.stdout, `WARNING! This command removes all dangling images.\nAre you sure you want to continue? [y/N] ${imgs.orphan.id}\n`);
    const all = ts.run(['image', 'prune', '-a'], { input: 'N\n' });
    assert.match(all.stdout, /^WARNING! This command removes all images without at least one container associated with them\.\n/);
  });

  test('image prune -a --filter label', () => {
    const out = ts.ok(['image', 'prune', '-a', '-f', '--filter', 'label=tier=junk']);
    assert.equal(out, `${imgs.orphan.id}\n`);
  });

  test('history: table, --no-trunc, -q, json', () => {
    const out = ts.ok(['history', 'child']).trimEnd().split('\n');
    assert.match(out[0], /^ID\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.equal(out.length, 4);
    assert.ok(out[1].startsWith(imgs.child.id.slice(0, 12) + '  '));
    assert.ok(out[2].startsWith('<missing>'));
    // CREATED BY is cut at 45 characters.
    assert.ok(out.some((l) => l.includes('/bin/sh -c #(nop) COPY file:0123456789abcd...')));
    assert.ok(out.some((l) => l.includes('mid step')));
    const full = ts.ok(['image', 'history', '--no-trunc', 'child']);
    assert.ok(full.includes(imgs.child.id));
    assert.ok(full.includes('file:0123456789abcdef0123456789abcdef0123456789abcdef in /etc/mid'));
    assert.equal(ts.ok(['history', '-q', 'child']).trim().split('\n')[0], imgs.child.id.slice(0, 12));
    const j = JSON.parse(ts.ok(['history', '--format', 'json', 'child']));
    assert.equal(j.length, 3);
    assert.equal(j[0].id, imgs.child.id);
    assert.equal(typeof j[0].size, 'number');
    assert.equal(ts.ok(['history', '--format', '{{.ID}}|{{.Comment}}', 'child']).trim().split('\n')[1], '<missing>|mid step');
    const created = ts.ok(['history', '-H=false', '--format', '{{.Created}}', 'alpine:3.18']).trim();
    assert.equal(Date.parse(created), Date.parse('2020-01-01T00:00:00Z'));
    // CreatedAt is Go's time String() in UTC, as `images` prints it; CreatedSince follows -H.
    assert.equal(ts.ok(['history', '--format', '{{.CreatedAt}}', 'alpine:3.18']).trim(), '2020-01-01 00:00:00 +0000 UTC');
    assert.equal(ts.ok(['history', '-H=false', '--format', '{{.CreatedSince}}', 'alpine:3.18']).trim(), created);
    assert.match(ts.ok(['history', '--format', '{{.CreatedSince}}', 'alpine:3.18']).trim(), / ago$/);
    assert.equal(ts.run(['history', 'nope']).stderr.trim(), 'Error: nope: image not known');
  });

  test('image tree: layers of an image, and --whatrequires', async () => {
    const out = ts.ok(['image', 'tree', 'child']);
    const lines = out.split('\n');
    assert.equal(lines[0], `Image ID: ${imgs.child.id.slice(0, 12)}`);
    assert.equal(lines[1], 'Tags:     [localhost/child:latest]');
    assert.match(lines[2], /^Size:     \d+(\.\d+)?(B|kB)$/);
    assert.equal(lines[3], 'Image Layers');
    assert.match(lines[4], new RegExp(`^├── ID: ${imgs.base.topLayer!.slice(0, 12)} Size: {1,7}\\d.* Top Layer of: \\[localhost/base:1 quay.io/acme/base:v2\\]$`));
    assert.match(lines[5], new RegExp(`^├── ID: ${imgs.mid.topLayer!.slice(0, 12)} Size: +\\d[.\\d]*k?B$`));
    assert.match(lines[6], new RegExp(`^└── ID: ${imgs.child.topLayer!.slice(0, 12)} Size: +\\S+ Top Layer of: \\[localhost/child:latest\\]$`));
    assert.deepEqual(lines.slice(7), ['', '']);
    // A second child of base makes the tree branch.
    const store = openStore(ts);
    try {
      await seedImage(store, { layers: [{ 'etc/other': 'x' }], parent: imgs.base, names: ['localhost/other:1'], created: '2024-01-01T00:00:00Z' });
    } finally {
      closeAll();
    }
    const req = ts.ok(['image', 'tree', '--whatrequires', 'base:1']).split('\n');
    assert.equal(req[3], 'Image Layers');
    assert.match(req[4], /^├── ID: \w{12} Size: +\S+ Top Layer of: \[localhost\/base:1 quay.io\/acme\/base:v2\]$/);
    assert.match(req[5], new RegExp(`^├── ID: ${imgs.mid.topLayer!.slice(0, 12)} Size: +\\S+$`));
    assert.match(req[6], /^│   └── ID: \w{12} Size: +\S+ Top Layer of: \[localhost\/child:latest\]$/);
    assert.match(req[7], /^└── ID: \w{12} Size: +\S+ Top Layer of: \[localhost\/other:1\]$/);
    assert.deepEqual(req.slice(8), ['', '']);
    assert.equal(ts.run(['image', 'tree', 'nope']).code, 125);
    assert.equal(ts.run(['image', 'tree']).stderr.trim().split('\n')[0], 'Error: accepts 1 arg(s), received 0');
  });
});
