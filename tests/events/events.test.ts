// The event log through the CLI: container and image events, filters, formats, streaming.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore, busyboxStore } from '../helpers/cli';

let s: TestStore;
before(async () => {
  s = await busyboxStore();
});
after(() => { s.run(['rm', '-a', '-f', '-t', '0']); s.cleanup(); });

test('a container run records create, start, died, cleanup and remove; images record tag', () => {
  const since = new Date(Date.now() - 1000).toISOString();
  assert.equal(s.run(['run', '--rm', '--name', 'evt1', '--network', 'none', '--label', 'team=blue', 'localhost/busybox', 'sh', '-c', 'exit 3']).code, 3);
  s.ok(['tag', 'localhost/busybox', 'localhost/evt:1']);
  const lines = s.ok(['events', '--stream=false', '--since', since, '--format', 'json']).trim().split('\n').map((l) => JSON.parse(l));
  const mine = lines.filter((e) => e.Name === 'evt1').map((e) => e.Status);
  assert.deepEqual(mine, ['create', 'start', 'died', 'cleanup', 'remove']);
  const died = lines.find((e) => e.Name === 'evt1' && e.Status === 'died');
  assert.equal(died.Attributes.team, 'blue');
  assert.ok(lines.some((e) => e.Type === 'image' && e.Status === 'tag' && e.Name === 'localhost/evt:1'));
  // filters and templates
  const only = s.ok(['events', '--stream=false', '--since', since, '--filter', 'event=died', '--filter', 'container=evt1', '--format', '{{.Status}} {{.Name}}']);
  assert.equal(only.trim(), 'died evt1');
  const human = s.ok(['events', '--stream=false', '--since', since, '--filter', 'type=image']);
  assert.match(human, /image tag [a-f0-9]{64} localhost\/evt:1/);
});

test('an attached run (no --rm) has recorded the exit when it returns, as podman\'s', () => {
  const since = new Date(Date.now() - 1000).toISOString();
  assert.equal(s.run(['run', '--name', 'evt2', '--network', 'none', 'localhost/busybox', 'false']).code, 1);
  const died = s.ok(['events', '--stream=false', '--since', since, '--filter', 'event=died', '--filter', 'container=evt2', '--format', '{{.Status}} {{.ContainerExitCode}}']);
  assert.equal(died.trim(), 'died 1');
  s.ok(['rm', 'evt2']);
});

test('events streams new events until stopped', async () => {
  const p = s.runAsync(['events', '--filter', 'event=create', '--format', '{{.Name}}']);
  await new Promise((r) => setTimeout(r, 800));
  s.ok(['create', '--name', 'evt2', '--network', 'none', 'localhost/busybox', 'true']);
  const deadline = Date.now() + 10_000;
  let seen = false;
  p.child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('evt2')) seen = true; });
  while (!seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  p.child.kill('SIGTERM');
  await p;
  assert.ok(seen, 'the create event arrived while streaming');
  s.ok(['rm', 'evt2']);
});

test('image events name what podman names: save and load the archive, pull as asked (no ID), tag as given, remove by what was asked', () => {
  const since = new Date().toISOString();
  const id = s.ok(['image', 'inspect', '--format', '{{.Id}}', 'localhost/busybox']).trim();
  const tarball = `${s.dir}/evt.tar`;
  s.ok(['tag', 'localhost/busybox', 'evt-img:2']);
  s.ok(['save', '-o', tarball, 'evt-img:2']);
  s.ok(['load', '-i', tarball]);
  s.ok(['pull', '-q', `docker-archive:${tarball}`]);
  s.ok(['untag', 'localhost/busybox', 'evt-img:2']);
  s.ok(['tag', 'localhost/busybox', 'evt-img:3']);
  s.ok(['rmi', 'evt-img:3']);
  const got = s.ok(['events', '--stream=false', '--since', since, '--filter', 'type=image', '--format', '{{.Status}} {{.ID}} {{.Name}}']).trim().split('\n');
  assert.deepEqual(got, [
    `tag ${id} evt-img:2`,
    `save ${id} ${tarball}`,
    `loadfromarchive  ${tarball}`,
    `pull  docker-archive:${tarball}`,
    `untag ${id} localhost/evt-img:2`,
    `tag ${id} evt-img:3`,
    `untag ${id} localhost/evt-img:3`,
    `remove ${id} localhost/evt-img:3`,
  ]);
});

test('--events-backend: none records nothing and events refuses to read; a bad backend is podman\'s error', () => {
  const none = s.run(['--events-backend', 'none', 'events', '--stream=false']);
  assert.deepEqual([none.code, none.stderr], [125, 'Error: cannot read events with the "none" backend\n']);
  assert.equal(s.ok(['--events-backend', 'none', 'info', '--format', '{{.Host.EventLogger}}']).trim(), 'none');
  const since = new Date().toISOString();
  s.ok(['--events-backend', 'none', 'tag', 'localhost/busybox', 'evt-none:1']);
  assert.equal(s.ok(['events', '--stream=false', '--since', since, '--filter', 'type=image']), '');
  const quiet = s.ok(['--events-backend', 'none', 'create', '--network', 'none', 'localhost/busybox', 'true']).trim();
  s.ok(['--events-backend', 'none', 'rm', quiet]);
  assert.equal(s.ok(['events', '--stream=false', '--since', since, '--filter', 'type=container']), '', 'container events follow the backend too');
  s.ok(['--events-backend=file', 'rmi', 'evt-none:1']);
  assert.match(s.ok(['events', '--stream=false', '--since', since, '--filter', 'type=image']), /image untag .* localhost\/evt-none:1/);
  // The same from containers.conf: nothing written (the writers ignored the key before).
  const conf = `${s.dir}/events-none.conf`;
  require('node:fs').writeFileSync(conf, '[engine]\nevents_logger = "none"\n');
  const since2 = new Date().toISOString();
  s.ok(['tag', 'localhost/busybox', 'evt-none:2'], { env: { ...process.env, CONTAINERS_CONF: conf } });
  s.ok(['rmi', 'evt-none:2'], { env: { ...process.env, CONTAINERS_CONF: conf } });
  assert.equal(s.ok(['events', '--stream=false', '--since', since2, '--filter', 'type=image']), '');
  const bad = s.run(['--events-backend', 'foo', 'ps']);
  assert.deepEqual([bad.code, bad.stderr], [125, 'Error: configuring runtime: "foo" is not a valid events backend: invalid argument\n']);
  const cg = s.run(['--cgroup-manager', 'foo', 'ps']);
  assert.deepEqual([cg.code, cg.stderr], [125, 'Error: configuring runtime: cgroup manager must be one of cgroupfs and systemd: invalid argument\n']);
});

test('containers.conf events_logfile_path: the file events are written to and read from', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const file = `${s.dir}/custom-events/podman-events.log`;
  const conf = `${s.dir}/events-path.conf`;
  fs.writeFileSync(conf, `[engine]\nevents_logfile_path = ${JSON.stringify(file)}\n`);
  const env = { ...process.env, CONTAINERS_CONF: conf };
  s.ok(['tag', 'localhost/busybox', 'evt-path:1'], { env });
  // podman's line, in a directory made for it (0700).
  assert.match(fs.readFileSync(file, 'utf8'), /^\{"ID":"[0-9a-f]{64}","Name":"evt-path:1","Status":"tag","Time":"[^"]+","Type":"image","Attributes":null\}\n$/);
  assert.equal(fs.statSync(`${s.dir}/custom-events`).mode & 0o777, 0o700);
  assert.equal(s.ok(['events', '--stream=false', '--format', '{{.Status}} {{.Name}}'], { env }), 'tag evt-path:1\n');
  assert.doesNotMatch(s.ok(['events', '--stream=false', '--filter', 'type=image']), /evt-path/);
  s.ok(['rmi', 'evt-path:1'], { env });
});
