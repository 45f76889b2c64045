// The top-level command stubs (src/cli/commands/root.ts) stand for definitions that are loaded
// only when used: names, aliases and summaries must match those definitions exactly, and every
// command an area defines must have a stub, or it would be missing from `pier --help` and from
// dispatch.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { allAreas, rootCommand, TOP_LEVEL } from '../../src/cli/commands/root';
import { findSub, loadAll, parse } from '../../src/cli/parser';

test('every stub matches the definition it loads (name, aliases, summary, visibility)', () => {
  const root = rootCommand();
  for (const stub of root.subcommands!) {
    assert.ok(stub.load, `${stub.name} is a stub`);
    const full = stub.load!();
    assert.equal(full.name, stub.name);
    assert.equal(full.summary, stub.summary, `summary of ${stub.name}`);
    assert.deepEqual(full.aliases ?? [], stub.aliases ?? [], `aliases of ${stub.name}`);
    assert.equal(!!full.hidden, !!stub.hidden, `hidden of ${stub.name}`);
    assert.equal(full.load, undefined);
  }
});

test('every command an area defines has exactly one stub, under that area', () => {
  const listed = new Map(TOP_LEVEL.map(([a, name]) => [name, a]));
  assert.equal(listed.size, TOP_LEVEL.length, 'no name listed twice');
  let defined = 0;
  for (const [area, defs] of allAreas()) {
    for (const d of defs) {
      defined++;
      assert.equal(listed.get(d.name), area, `${d.name} (defined by ${area}) has a stub under ${area}`);
    }
  }
  assert.equal(defined, TOP_LEVEL.length, 'no stub without a definition');
});

test('a stub is loaded in place when parsing reaches it; loadAll loads the whole tree', () => {
  const root = rootCommand();
  const r = parse(root, ['--root', '/x', 'container', 'ls', '-a']);
  assert.deepEqual(r.path.map((c) => c.name), ['pier', 'container', 'list']); // ls is its alias
  assert.equal(r.opts.all, true);
  const container = root.subcommands!.find((c) => c.name === 'container')!;
  assert.equal(container.load, undefined, 'replaced by its definition');
  assert.ok(container.subcommands!.length > 10);
  assert.equal(root.subcommands!.find((c) => c.name === 'run')!.load !== undefined, true, 'others stay stubs');
  assert.equal(findSub(root, 'umount')?.name, 'unmount');
  const all = loadAll(rootCommand());
  const stubs: string[] = [];
  const walk = (c: typeof all) => { if (c.load) stubs.push(c.name); c.subcommands?.forEach(walk); };
  walk(all);
  assert.deepEqual(stubs, []);
});
