import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  parseLogLine, parseTimestamp, formatTimestamp, displayTimestamp, formatLogLine, appendLog, readLogEntries, readLogs,
  streamLogs, timeBoundNs, LogEntry,
} from '../../src/engine/logs';

function tmpLog(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-logs-'));
  return { dir, file: path.join(dir, 'ctr.log') };
}

const T0 = parseTimestamp('2024-01-01T00:00:00.000000001Z')!;
const sec = (n: number) => T0 + BigInt(n) * 1_000_000_000n;

test('timestamps: parse with offsets, format like conmon, display like podman', () => {
  assert.equal(parseTimestamp('2024-01-01T00:00:00.123456789Z'), 1704067200123456789n);
  assert.equal(parseTimestamp('2024-01-01T01:00:00.123456789+01:00'), 1704067200123456789n);
  assert.equal(parseTimestamp('2023-12-31T19:00:00.5-05:00'), 1704067200500000000n);
  assert.equal(parseTimestamp('nonsense'), null);
  assert.equal(formatTimestamp(1704067200123456789n, 0), '2024-01-01T00:00:00.123456789+00:00');
  assert.equal(formatTimestamp(1704067200000000005n, 90), '2024-01-01T01:30:00.000000005+01:30');
  assert.equal(parseTimestamp(formatTimestamp(1704067200000000005n, -330)), 1704067200000000005n);
  assert.equal(displayTimestamp('2024-01-01T00:00:00.120000000+00:00'), '2024-01-01T00:00:00.12Z');
  assert.equal(displayTimestamp('2024-01-01T00:00:00.000000000+02:00'), '2024-01-01T00:00:00+02:00');
});

test('time bounds: RFC 3339, unix seconds, durations', () => {
  assert.equal(timeBoundNs('2024-01-01T00:00:00Z'), 1704067200000000000n);
  assert.equal(timeBoundNs('1704067200.25'), 1704067200250000000n);
  assert.equal(timeBoundNs('10m', 1_000_000), BigInt(1_000_000 - 600_000) * 1_000_000n);
  assert.equal(timeBoundNs('1h30m', 10_000_000), BigInt(10_000_000 - 5_400_000) * 1_000_000n);
  assert.equal(timeBoundNs(new Date(5)), 5_000_000n);
  assert.throws(() => timeBoundNs('yesterday-ish'), /invalid time value/);
});

test('lines parse, partial records join per stream, malformed lines are skipped', () => {
  const r = parseLogLine('2024-01-01T00:00:00.123456789Z stdout F hello world');
  assert.deepEqual(r, { time: '2024-01-01T00:00:00.123456789Z', ns: 1704067200123456789n, stream: 'stdout', partial: false, text: 'hello world' });
  assert.equal(parseLogLine('2024-01-01T00:00:00Z stdout F ')!.text, '');
  assert.equal(parseLogLine('2024-01-01T00:00:00Z stdout F')!.text, '');
  assert.equal(parseLogLine('garbage'), null);
  assert.equal(parseLogLine('2024-01-01T00:00:00Z stdin F x'), null);
  const { dir, file } = tmpLog();
  try {
    fs.writeFileSync(file, [
      formatLogLine('stdout', 'hel', true, sec(1)),
      formatLogLine('stderr', 'oops', false, sec(2)),
      'not a log line\n',
      formatLogLine('stdout', 'lo', false, sec(3)),
      formatLogLine('stdout', 'tail-no-newline', true, sec(4)),
    ].join(''));
    const e = readLogEntries(file);
    assert.deepEqual(e.map((x) => [x.stream, x.text]), [['stderr', 'oops\n'], ['stdout', 'hello\n'], ['stdout', 'tail-no-newline']]);
    assert.equal(e[1].ns, sec(3));
    const sep = readLogs(file);
    assert.equal(sep.stdout, 'hello\ntail-no-newline');
    assert.equal(sep.stderr, 'oops\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('appendLog writes what conmon would: F per line, P for a trailing piece', () => {
  const { dir, file } = tmpLog();
  try {
    appendLog(file, 'stdout', 'one\ntwo\nthr', sec(1));
    appendLog(file, 'stdout', 'ee\n', sec(2));
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => parseLogLine(l)!);
    assert.deepEqual(lines.map((l) => [l.partial, l.text]), [[false, 'one'], [false, 'two'], [true, 'thr'], [false, 'ee']]);
    assert.equal(readLogs(file).stdout, 'one\ntwo\nthree\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('since, until, tail and timestamps', () => {
  const { dir, file } = tmpLog();
  try {
    for (let i = 1; i <= 5; i++) appendLog(file, i % 2 ? 'stdout' : 'stderr', `line${i}\n`, sec(i));
    assert.deepEqual(readLogEntries(file, { tail: 2 }).map((e) => e.text), ['line4\n', 'line5\n']);
    assert.deepEqual(readLogEntries(file, { tail: 0 }), []);
    assert.deepEqual(readLogEntries(file, { since: sec(2), until: sec(4) }).map((e) => e.text), ['line2\n', 'line3\n', 'line4\n']);
    assert.deepEqual(readLogEntries(file, { since: formatTimestamp(sec(4), 0) }).map((e) => e.text), ['line4\n', 'line5\n']);
    const ts = readLogs(file, { timestamps: true, tail: 1 });
    assert.equal(ts.stdout, `${displayTimestamp(formatTimestamp(sec(5)))} line5\n`);
    assert.equal(ts.stderr, '');
    assert.deepEqual(readLogEntries(path.join(dir, 'missing.log')), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('follow streams new output until the exit file appears, then drains', async () => {
  const { dir, file } = tmpLog();
  const exitFile = path.join(dir, 'exit');
  try {
    appendLog(file, 'stdout', 'old1\nold2\n', sec(1));
    const got: LogEntry[] = [];
    const writer = (async () => {
      await new Promise((r) => setTimeout(r, 150));
      appendLog(file, 'stderr', 'new1\n');
      await new Promise((r) => setTimeout(r, 150));
      appendLog(file, 'stdout', 'partial-then-');
      await new Promise((r) => setTimeout(r, 150));
      appendLog(file, 'stdout', 'full\nlast-no-newline');
      fs.writeFileSync(exitFile, '0');
    })();
    const start = Date.now();
    for await (const e of streamLogs(file, { follow: true, tail: 1, exitFile, pollMs: 50 })) got.push(e);
    await writer;
    assert.deepEqual(got.map((e) => [e.stream, e.text]), [['stdout', 'old2\n'], ['stderr', 'new1\n'], ['stdout', 'partial-then-full\n'], ['stdout', 'last-no-newline']]);
    assert.ok(Date.now() - start >= 400, 'it waited for the writer');
    // Following a container that has already exited returns everything and ends.
    const once: string[] = [];
    for await (const e of streamLogs(file, { follow: true, exitFile })) once.push(e.text);
    assert.equal(once.length, 5);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('follow survives truncation by log rotation and stops on abort', async () => {
  const { dir, file } = tmpLog();
  try {
    appendLog(file, 'stdout', 'before-rotation-with-a-long-line\n', sec(1));
    const ac = new AbortController();
    const got: string[] = [];
    const reader = (async () => {
      for await (const e of streamLogs(file, { follow: true, exited: () => false, pollMs: 30, signal: ac.signal })) {
        got.push(e.text);
        if (got.length === 2) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 120));
    fs.truncateSync(file, 0);
    await new Promise((r) => setTimeout(r, 120));
    appendLog(file, 'stdout', 'after\n', sec(2));
    await reader;
    assert.deepEqual(got, ['before-rotation-with-a-long-line\n', 'after\n']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
