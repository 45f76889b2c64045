// `pier image mount` and `image unmount`: read-only image mounts counted as podman counts them,
// the listing with no arguments, JSON, and the errors podman gives.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStore, REMOTE } from '../helpers/cli';

const IMG = 'localhost/busybox:latest';

describe('image mount with the remote client', { skip: !REMOTE && 'remote mode only' }, () => {
  test('is refused as podman-remote refuses it', () => {
    const s = new TestStore();
    try {
      for (const cmd of [['image', 'mount'], ['image', 'unmount', '-a']]) {
        const r = s.run(cmd);
        assert.equal(r.code, 125);
        assert.equal(r.stderr, `Error: cannot use command "pier ${cmd.slice(0, 2).join(' ')}" with the remote pier client\n`);
      }
    } finally { s.cleanup(); }
  });
});

describe('image mount', { skip: REMOTE && 'local only (podman has image mount in ABI mode only)' }, () => {
  let s: TestStore;
  let iid: string;
  before(async () => {
    s = await busyboxStore();
    iid = s.ok(['image', 'inspect', '--format', '{{.ID}}', IMG]).trim();
  });
  after(() => {
    s?.run(['image', 'umount', '-a', '-f']);
    s?.cleanup();
  });

  test('mount prints the path; the image is mounted read-only there', () => {
    const mp = s.ok(['image', 'mount', IMG]).trim();
    assert.ok(path.isAbsolute(mp) && mp.startsWith(s.root + '/'), mp);
    assert.ok(fs.existsSync(path.join(mp, 'bin', 'busybox')));
    const driver = s.ok(['info', '--format', '{{.Store.GraphDriverName}}']).trim();
    if (driver === 'overlay') {
      assert.throws(() => fs.writeFileSync(path.join(mp, 'x'), 'x'), /EROFS/);
    }
    // No arguments: the mounted images, by their first tag, tab-aligned.
    assert.equal(s.ok(['image', 'mount']), `${IMG}  ${mp}\n`);
    const j = JSON.parse(s.ok(['image', 'mount', '--format', 'json']));
    assert.equal(j.length, 1);
    assert.deepEqual(Object.keys(j[0]), ['id', 'Names', 'Repositories', 'mountpoint']);
    assert.equal(j[0].id, iid);
    assert.deepEqual(j[0].Repositories, [IMG]);
    assert.equal(j[0].mountpoint, mp);
    // Mounted twice: one umount leaves it mounted, -f unmounts it; then there is nothing to unmount.
    assert.equal(s.ok(['image', 'mount', '-a']), `${IMG}  ${mp}\n`);
    assert.equal(s.ok(['image', 'umount', IMG]), `${iid}\n`);
    assert.equal(s.ok(['image', 'mount']), `${IMG}  ${mp}\n`);
    assert.equal(s.ok(['image', 'unmount', '-f', IMG]), `${iid}\n`);
    assert.equal(s.ok(['image', 'umount', IMG]), '');
    assert.equal(s.ok(['image', 'mount']), '');
  });

  test('errors: unknown images, --all with names, no names, bad --format', () => {
    const cases: [string[], string][] = [
      [['image', 'umount', 'no-such-image'], 'Error: no-such-image: image not known'],
      [['image', 'mount', 'no-such-image'], 'Error: no-such-image: image not known'],
      [['image', 'umount'], 'Error: image name or ID must be specified'],
      [['image', 'mount', '-a', IMG], 'Error: when using the --all switch, you may not pass any image names or IDs'],
      [['image', 'umount', '-a', IMG], 'Error: when using the --all switch, you may not pass any image names or IDs'],
      [['image', 'mount', '--format', '{{.ID}}', IMG, IMG], 'Error: unknown --format argument: "{{.ID}}"'],
    ];
    for (const [args, err] of cases) {
      const r = s.run(args);
      assert.equal(r.code, 125, args.join(' '));
      assert.equal(r.stderr.trim(), err, args.join(' '));
    }
    s.ok(['image', 'umount', '-a', '-f']);
  });

  test('rmi of a mounted image unmounts it', () => {
    s.ok(['tag', IMG, 'localhost/other:1']);
    const archive = path.join(s.dir, 'copy.tar');
    s.ok(['save', '-o', archive, IMG]);
    const mp = s.ok(['image', 'mount', IMG]).trim();
    s.ok(['rmi', '-f', iid]);
    assert.equal(s.ok(['image', 'mount']), '');
    assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mp} `));
    s.ok(['load', '-q', '-i', archive]);
  });
});
