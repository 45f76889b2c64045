// Concurrent pier processes on one store: creating the same volume name, exactly one wins.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { VolStore, tempRoots } from './helpers';
import { getVolume } from '../../src/engine/volumes';

const s = new VolStore();
after(() => s.cleanup());

test('10 processes creating the same volume: exactly one succeeds', async () => {
  s.ok(['volume', 'ls']); // create the store first so the race is about the volume only
  const runs = Array.from({ length: 10 }, (_, i) => s.runAsync(['volume', 'create', '-l', `who=${i}`, 'same']));
  const results = await Promise.all(runs);
  const ok = results.filter((r) => r.code === 0);
  const failed = results.filter((r) => r.code !== 0);
  assert.equal(ok.length, 1, results.map((r) => `${r.code}: ${r.stdout}${r.stderr}`).join('\n'));
  assert.equal(ok[0].stdout, 'same\n');
  for (const f of failed) {
    assert.equal(f.code, 125);
    assert.equal(f.stderr, 'Error: volume with name same already exists: volume already exists\n');
  }
  // The stored volume is the winner's, complete and readable.
  const [v] = JSON.parse(s.ok(['volume', 'inspect', 'same']));
  const winner = results.indexOf(ok[0]);
  assert.deepEqual(v.Labels, { who: String(winner) });
  assert.deepEqual(fs.readdirSync(path.join(s.root, 'volumes')).filter((n) => n.startsWith('.')), [], 'no staging leftovers');
});

test('concurrent creates of different names and removes do not interfere', async () => {
  const creates = await Promise.all(Array.from({ length: 8 }, (_, i) => s.runAsync(['volume', 'create', `v${i}`])));
  assert.ok(creates.every((r) => r.code === 0), creates.map((r) => r.stderr).join(''));
  assert.equal(s.ok(['volume', 'ls', '-q', '--filter', 'name=^v']), Array.from({ length: 8 }, (_, i) => `v${i}`).join('\n') + '\n');
  const removes = await Promise.all([...Array.from({ length: 8 }, (_, i) => s.runAsync(['volume', 'rm', `v${i}`])), s.runAsync(['volume', 'rm', 'v0'])]);
  const codes = removes.map((r) => r.code).sort();
  assert.deepEqual(codes, [0, 0, 0, 0, 0, 0, 0, 0, 1], 'v0 removed once; the second remover finds no volume');
  assert.equal(s.ok(['volume', 'ls', '-q']), 'same\n');
});

test('10 processes released at the same instant into createVolume: exactly one wins', async () => {
  const r = tempRoots();
  try {
    const worker = path.join(__dirname, 'race-worker.ts');
    const startAt = Date.now() + 3000; // after every worker has loaded
    const runs = Array.from({ length: 10 }, (_, i) => new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, r.graphRoot, r.runRoot, 'raced', String(startAt), String(i)]);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim()));
    }));
    const results = await Promise.all(runs);
    assert.equal(results.filter((x) => x === 'ok').length, 1, results.join('\n'));
    assert.deepEqual(results.filter((x) => x !== 'ok'), Array(9).fill('volume with name raced already exists: volume already exists'));
    const v = getVolume(r, 'raced');
    assert.equal(v.labels.who, String(results.indexOf('ok')));
  } finally {
    r.cleanup();
  }
});
