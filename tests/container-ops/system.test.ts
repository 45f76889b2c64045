// `system df`, `system prune` and `system reset` against real stores and containers.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { storeWithBusybox, waitFor, alive } from './helpers';

test('system df counts images, containers and volumes with their sizes', async () => {
  const s = await storeWithBusybox();
  try {
    s.ok(['run', '-d', '--name', 'dfrun', '-v', 'dfvol:/data', 'localhost/busybox', 'sh', '-c', 'echo 12345 > /data/f; sleep 1000']);
    s.ok(['run', '--name', 'dfexit', 'localhost/busybox', 'sh', '-c', 'head -c 1000 /dev/zero > /blob']);
    const volFile = path.join(s.root, 'volumes', 'dfvol', '_data', 'f');
    assert.ok(await waitFor(() => fs.existsSync(volFile) && fs.statSync(volFile).size === 6, 10_000));

    const rows = JSON.parse(s.ok(['system', 'df', '--format', 'json']));
    const [images, containers, volumes] = rows;
    assert.deepEqual([images.Type, images.Total, images.Active], ['Images', 1, 1]);
    assert.ok(images.RawSize > 1_000_000, `busybox layer size ${images.RawSize}`);
    assert.equal(images.RawReclaimable, 0, 'the image is in use');
    assert.deepEqual([containers.Type, containers.Total, containers.Active], ['Containers', 2, 1]);
    assert.ok(containers.RawSize >= 1000 && containers.RawReclaimable >= 1000, JSON.stringify(containers));
    assert.deepEqual([volumes.Type, volumes.Total, volumes.Active, volumes.RawSize, volumes.RawReclaimable], ['Local Volumes', 1, 1, 6, 0]);

    const table = s.ok(['system', 'df']).trimEnd().split('\n');
    assert.match(table[0], /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
    assert.match(table[1], /^Images\s+1\s+1\s+[\d.]+MB\s+0B \(0%\)$/);
    assert.match(table[2], /^Containers\s+2\s+1\s+[\d.]+k?B\s+[\d.]+k?B \(\d+%\)$/);
    assert.match(table[3], /^Local Volumes\s+1\s+1\s+6B\s+0B \(0%\)$/);

    const verbose = s.ok(['system', 'df', '-v']);
    assert.match(verbose, /^Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\nlocalhost\/busybox\s+latest\s+[0-9a-f]{12}\s/);
    assert.match(verbose, /\ndfexit\n|\s+exited\s+dfexit\n/);
    assert.match(verbose, /\nVOLUME NAME\s+LINKS\s+SIZE\ndfvol\s+1\s+6B\n/);

    assert.equal(s.ok(['system', 'df', '--format', '{{.Type}}:{{.Total}}']), 'Images:1\nContainers:2\nLocal Volumes:1\n');
    const both = s.run(['system', 'df', '-v', '--format', 'json']);
    assert.equal(both.code, 125);
    assert.match(both.stderr, /cannot combine --format and --verbose flags/);
  } finally {
    await s.dispose();
  }
});

test('system prune removes stopped containers, dangling images and unused volumes', async () => {
  const s = await storeWithBusybox({ multilayer: true });
  try {
    const danglingId = s.ok(['images', '--no-trunc', '-q', 'localhost/ml']).trim().replace(/^sha256:/, '');
    s.ok(['untag', 'localhost/ml']);
    assert.equal(s.ok(['images', '-q', '--no-trunc', '--filter', 'dangling=true']).trim().replace(/^sha256:/, ''), danglingId);
    const exited = s.ok(['create', '--name', 'done', '-v', 'prunevol:/data', 'localhost/busybox', 'true']).trim();
    s.ok(['start', '-a', 'done']);
    const running = s.ok(['run', '-d', '--name', 'alive', '-v', 'keepvol:/data', 'localhost/busybox', 'sleep', '1000']).trim();

    // Without --force it asks, and "n" keeps everything.
    const no = s.run(['system', 'prune'], { input: 'n\n' });
    assert.equal(no.code, 0, no.stderr);
    assert.match(no.stdout, /^WARNING! This command removes:\n\t- all stopped containers\n/);
    assert.match(no.stdout, /Are you sure you want to continue\? \[y\/N\] $/);
    assert.equal(s.ok(['ps', '-aq']).trim().split('\n').length, 2);

    const out = s.ok(['system', 'prune', '-f', '--volumes']);
    assert.match(out, new RegExp(`^Deleted Containers\\n${exited}\\nDeleted Volumes\\nprunevol\\nDeleted Images\\n${danglingId}\\nTotal reclaimed space: [\\d.]+[kMG]?B\\n$`));
    assert.deepEqual(s.ok(['ps', '-a', '--no-trunc', '-q']).trim().split('\n'), [running]);
    assert.match(s.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^localhost\/busybox:latest\n$/);
    assert.ok(!fs.existsSync(path.join(s.root, 'volumes', 'prunevol')));
    assert.ok(fs.existsSync(path.join(s.root, 'volumes', 'keepvol')));

    // Nothing left to prune: only the total.
    assert.equal(s.ok(['system', 'prune', '-f']), 'Total reclaimed space: 0B\n');
    const badFilter = s.run(['system', 'prune', '-f', '--filter', 'name=x']);
    assert.equal(badFilter.code, 125);
  } finally {
    await s.dispose();
  }
});

test('system reset -f removes every container, image and volume and the store itself', async () => {
  const s = await storeWithBusybox();
  try {
    s.ok(['run', '-d', '--name', 'sleeper', '-v', 'resetvol:/data', 'localhost/busybox', 'sleep', '1000']);
    s.ok(['run', '--name', 'ex', 'localhost/busybox', 'true']);
    const pid = Number(s.inspect('sleeper', '{{.State.Pid}}'));
    assert.ok(alive(pid));

    const no = s.run(['system', 'reset'], { input: 'n\n' });
    assert.equal(no.code, 0);
    assert.match(no.stdout, /^WARNING! This will remove:\n/);
    assert.match(no.stdout, /the graphRoot directory: ".*root"/);
    assert.ok(alive(pid));

    const r = s.run(['system', 'reset', '-f']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(!alive(pid), 'the container was stopped');
    assert.ok(!fs.existsSync(s.root), 'graph root removed');
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(s.dir));
    assert.deepEqual(mounts, []);
    // A fresh, empty store afterwards.
    assert.equal(s.ok(['ps', '-aq']), '');
    assert.equal(s.ok(['images', '-q']), '');
    assert.ok(!fs.existsSync(path.join(s.root, 'volumes', 'resetvol')));
  } finally {
    await s.dispose();
  }
});

test('a container keeps the runtime it was created with; system migrate --new-runtime moves it; renumber drops stale locks', async () => {
  const s = await storeWithBusybox();
  try {
    // crun refuses this host's hybrid cgroups, runc works: which runtime runs is visible.
    const hasCrun = s.run(['--runtime', 'crun', 'create', '--name', 'oncrun', '--network', 'none', 'localhost/busybox', 'sleep', '1000']);
    const def = s.ok(['create', '--name', 'ondefault', '--network', 'none', 'localhost/busybox', 'true']).trim();
    assert.equal(s.ok(['inspect', '--format', '{{.OCIRuntime}}', def]).trim(), 'runc', 'the default is resolved and recorded at create');
    // A later --runtime does not move an existing container.
    assert.equal(s.run(['--runtime', 'crun', 'start', '-a', def]).code, 0);
    if (hasCrun.code === 0) {
      assert.equal(s.ok(['inspect', '--format', '{{.OCIRuntime}}', 'oncrun']).trim(), 'crun');
      const bad = s.run(['start', 'oncrun']);
      assert.equal(bad.code, 125, 'started with its own runtime (crun), not the default');
      assert.match(bad.stderr, /crun/);
    } else {
      assert.match(hasCrun.stderr, /crun/);
      s.ok(['--runtime', 'runc', 'create', '--name', 'oncrun', '--network', 'none', 'localhost/busybox', 'sleep', '1000']);
    }
    // An unknown runtime changes nothing.
    const unknown = s.run(['system', 'migrate', '--new-runtime', 'no-such-runtime']);
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /no-such-runtime/);
    assert.notEqual(s.ok(['inspect', '--format', '{{.OCIRuntime}}', 'oncrun']).trim(), 'no-such-runtime');
    // migrate stops running containers and moves every container to runc.
    s.ok(['run', '-d', '--name', 'running', '--network', 'none', '--stop-timeout', '1', 'localhost/busybox', 'sleep', '1000']);
    const out = s.ok(['system', 'migrate', '--new-runtime', 'runc']);
    assert.match(out, /^stopped [0-9a-f]{64}\n$/);
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'running']).trim(), 'exited');
    for (const n of ['oncrun', 'ondefault', 'running']) assert.equal(s.ok(['inspect', '--format', '{{.OCIRuntime}}', n]).trim(), 'runc');
    s.ok(['start', 'oncrun']);
    assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'oncrun']).trim(), 'running');
    // renumber: a lock file of a dead process goes, the command prints nothing.
    const stale = path.join(s.runroot, 'locks', 'f'.repeat(64));
    fs.mkdirSync(path.dirname(stale), { recursive: true });
    fs.writeFileSync(stale, '999999999');
    assert.equal(s.ok(['system', 'renumber']), '');
    assert.equal(fs.existsSync(stale), false);
    s.ok(['rm', '-a', '-f', '-t', '0']);
  } finally {
    await s.dispose();
  }
});
