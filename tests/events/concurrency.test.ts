// Rotation under concurrent writers: 8 processes append while the log rotates many times,
// and a follower reads along. Nothing may be torn; what the log keeps of each writer is a
// contiguous, ordered run ending at its last event; the follower sees events in order,
// never twice (it may only miss the rare late append to a file it already left).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { eventsLogPath, rotatedLogPath, readEvents, EventRecord } from '../../src/engine/events';

const WRITERS = 8;
const COUNT = 300;
const MAX_SIZE = 1_000_000;

function runWriter(runRoot: string, writer: number, goFile: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'writer-worker.ts'), runRoot, String(writer), String(COUNT), String(MAX_SIZE), goFile], {
    cwd: path.resolve(__dirname, '..', '..'), stdio: ['ignore', 'ignore', 'inherit'],
  });
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1)));
}

test(`${WRITERS} concurrent writer processes with rotation: no torn or lost lines`, { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-events-conc-'));
  const runRoot = path.join(dir, 'run');
  const goFile = path.join(dir, 'go');
  try {
    const ac = new AbortController();
    const followed: EventRecord[] = [];
    const lastSeen = new Map<string, number>();
    const follower = (async () => {
      for await (const e of readEvents(runRoot, { follow: true, fromStart: true, signal: ac.signal, filters: ['type=container'] })) {
        followed.push(e);
        lastSeen.set(e.Attributes!.writer, Number(e.Attributes!.seq));
      }
    })();
    const writers = Array.from({ length: WRITERS }, (_, i) => runWriter(runRoot, i, goFile));
    await new Promise((r) => setTimeout(r, 1500)); // let the workers start and wait for the go file
    fs.writeFileSync(goFile, '');
    assert.deepEqual(await Promise.all(writers), Array(WRITERS).fill(0));

    // The files: every line whole; rotation happened and kept the size bounded.
    const file = eventsLogPath(runRoot);
    const text = fs.readFileSync(rotatedLogPath(file), 'utf8') + fs.readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const lines = text.slice(0, -1).split('\n');
    const objs = lines.map((l) => JSON.parse(l));
    const rotations = objs.filter((o) => o.Type === 'system' && o.Status === 'log-rotation').length;
    assert.ok(rotations >= 1, 'the log was rotated while writers were appending');
    const total = fs.statSync(file).size + fs.statSync(rotatedLogPath(file)).size;
    assert.ok(total <= MAX_SIZE * 1.05, `log + rotated log stay near the limit (${total})`);
    const seqs = new Map<string, number[]>();
    for (const o of objs) {
      if (o.Type !== 'container') continue;
      const list = seqs.get(o.Attributes.writer) ?? [];
      list.push(Number(o.Attributes.seq));
      seqs.set(o.Attributes.writer, list);
    }
    assert.equal(seqs.size, WRITERS);
    for (const [w, list] of seqs) {
      assert.equal(list[list.length - 1], COUNT - 1, `writer ${w}'s last event is kept`);
      for (let i = 1; i < list.length; i++) assert.equal(list[i], list[i - 1] + 1, `writer ${w}: contiguous and ordered at ${i}`);
    }

    // The follower: wait until it caught up with every writer's last event.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && ![...Array(WRITERS).keys()].every((w) => lastSeen.get(String(w)) === COUNT - 1)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    ac.abort();
    await follower;
    const perWriter = new Map<string, number[]>();
    for (const e of followed) {
      const list = perWriter.get(e.Attributes!.writer) ?? [];
      list.push(Number(e.Attributes!.seq));
      perWriter.set(e.Attributes!.writer, list);
    }
    for (const [w, list] of perWriter) {
      for (let i = 1; i < list.length; i++) assert.ok(list[i] > list[i - 1], `follower: writer ${w} in order, no repeats`);
    }
    assert.ok(followed.length >= WRITERS * COUNT * 0.99, `the follower saw nearly every event (${followed.length} of ${WRITERS * COUNT})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
