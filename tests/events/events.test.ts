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
