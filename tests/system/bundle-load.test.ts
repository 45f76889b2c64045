// How dist/pier.js loads the CLI bundle: mapped through the addon (mapFile) when it is built,
// read into memory otherwise; either way the same ASCII function expression and code cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../src/util/native';
import { REPO, TestStore } from '../helpers/cli';

const BUNDLE = path.join(REPO, 'dist', 'cli.js');

test('the bundle is pure ASCII and one function expression of CommonJS arguments', () => {
  const bytes = fs.readFileSync(BUNDLE);
  const high = bytes.findIndex((b) => b > 0x7f);
  assert.equal(high, -1, `non-ASCII byte at ${high}: ${bytes.subarray(Math.max(0, high - 40), high + 10).toString()}`);
  const text = bytes.toString('latin1');
  assert.match(text, /^\(function \(exports, require, module, __filename, __dirname\) \{/);
  assert.match(text, /\n\}\)$/);
});

test('mapFile maps a file as a latin1 string or a Buffer, equal to reading it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-map-'));
  try {
    const file = path.join(dir, 'f');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 0xff));
    fs.writeFileSync(file, bytes);
    const s = native().mapFile(file, true);
    assert.equal(typeof s, 'string');
    assert.equal(s, bytes.toString('latin1'));
    const b = native().mapFile(file, false);
    assert.ok(Buffer.isBuffer(b));
    assert.ok((b as Buffer).equals(bytes));
    // The mapping is private and read-only: the file renamed over keeps the old bytes mapped.
    fs.writeFileSync(`${file}.new`, 'other');
    fs.renameSync(`${file}.new`, file);
    assert.equal((b as Buffer)[1], 7);
    fs.writeFileSync(path.join(dir, 'empty'), '');
    assert.equal(native().mapFile(path.join(dir, 'empty'), true), null);
    assert.throws(() => native().mapFile(path.join(dir, 'missing'), false), { code: 'ENOENT' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('pier runs with the bundle mapped and, without the addon, read; a µs duration parses in both', () => {
  const st = new TestStore();
  try {
    for (const env of [{}, { PIER_NATIVE_ADDON: path.join(st.dir, 'no-such-addon.node') }]) {
      // A Go duration with µs: the bundle's regex literals must keep the character (the bundle
      // is compiled as latin1, so it has to hold \u escapes, not UTF-8 bytes).
      const r = st.run(['events', '--stream=false', '--since', '1h2µs'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
    }
  } finally {
    st.cleanup();
  }
});
