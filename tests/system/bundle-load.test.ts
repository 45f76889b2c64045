// How dist/pier.js loads the CLI bundle: mapped through the addon (mapFile) when it is built,
// read into memory otherwise; either way the same ASCII function expression and code cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from '../../src/util/native';
import { REPO, TestStore, busyboxStore } from '../helpers/cli';
import { coreCommandKeys } from '../../src/cli/commands/root';

const BUNDLE = path.join(REPO, 'dist', 'cli.js');
const CORE = path.join(REPO, 'dist', 'core.js');

test('both bundles are pure ASCII and one function expression of CommonJS arguments', () => {
  for (const bundle of [BUNDLE, CORE]) {
    checkBundle(bundle);
  }
});

function checkBundle(bundle: string): void {
  const bytes = fs.readFileSync(bundle);
  const high = bytes.findIndex((b) => b > 0x7f);
  assert.equal(high, -1, `non-ASCII byte at ${high}: ${bytes.subarray(Math.max(0, high - 40), high + 10).toString()}`);
  const text = bytes.toString('latin1');
  assert.match(text, /^\(function \(exports, require, module, __filename, __dirname\) \{/);
  assert.match(text, /\n\}\)$/);
}

test('container commands run from the core bundle, the rest from the full one; each has caches of its own', () => {
  const entry = fs.readFileSync(path.join(REPO, 'dist', 'pier.js'), 'latin1');
  const keys = coreCommandKeys();
  for (const k of ['run', 'create', 'start', 'ps', 'rm', 'stop', 'exec', 'logs', 'container-cleanup', 'container-ls', 'container-inspect']) assert.ok(keys.includes(k), k);
  for (const k of ['images', 'build', 'pod-create', 'system-service', 'complete', 'container-runlabel', 'inspect', 'volume-ls']) assert.ok(!keys.includes(k), k);
  assert.ok(entry.includes(JSON.stringify(keys)), 'dist/pier.js holds the core command list of this source');
  const st = new TestStore();
  try {
    const cacheDir = path.join(REPO, 'dist', 'cache');
    const direct = (args: string[]) => spawnSync(path.join(REPO, 'dist', 'pier.js'), [...st.localArgs(), ...args], { env: st.env(), encoding: 'utf8' });
    for (const args of [['container', 'ls', '-q'], ['volume', 'ls', '-q']]) assert.equal(direct(args).status, 0);
    const hashOf = (prefix: string) => {
      const f = fs.readdirSync(cacheDir).find((n) => n.startsWith(prefix) && /^[a-z-]+-[0-9a-f]{12}-[0-9a-f]+\.cache$/.test(n));
      assert.ok(f, `no cache for ${prefix}`);
      return f.slice(prefix.length).split('-')[0];
    };
    // A cache is named after the bundle it was made from: one hash per bundle.
    assert.notEqual(hashOf('container-ls-'), hashOf('volume-ls-'));
  } finally {
    st.cleanup();
  }
});

test('the core bundle fails loudly where it reaches a module it leaves out', () => {
  // `container runlabel` is outside the core: its module is a stand-in in core.js.
  const text = fs.readFileSync(CORE, 'latin1');
  assert.match(text, /internal error: src\/cli\/commands\/runlabel\.ts is not in pier's core bundle/);
  assert.doesNotMatch(text, /internal error: src\/cli\/commands\/containers\.ts is not/);
  assert.ok(fs.statSync(CORE).size < fs.statSync(BUNDLE).size * 0.8, 'the core bundle is smaller');
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

test('started by its shebang, pier runs with its heap option, keeps a code cache of its own and hands the option to conmon', async () => {
  const st = await busyboxStore();
  try {
    const entry = path.join(REPO, 'dist', 'pier.js');
    const shebang = fs.readFileSync(entry, 'latin1').split('\n', 1)[0];
    assert.match(shebang, /^#!\/usr\/bin\/env -S \S*node --min-semi-space-size=3 --$/);
    const direct = (args: string[]) => spawnSync(entry, [...st.localArgs(), ...args], { env: st.env(), encoding: 'utf8' });
    const cacheDir = path.join(REPO, 'dist', 'cache');
    const named = (re: RegExp) => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []).filter((f) => re.test(f));
    // `volume ls`: a command few tests run. Its cache for the shebang's option set has a tag;
    // the one for `node dist/pier.js` has none. Neither is rewritten by the other kind of start.
    let r = direct(['volume', 'ls', '-q']);
    assert.equal(r.status, 0, r.stderr);
    const tagged = named(/^volume-ls-[0-9a-f]+-[0-9a-f]+\.cache$/);
    assert.equal(tagged.length, 1, `caches: ${named(/^volume-ls/).join(' ')}`);
    st.ok(['volume', 'ls', '-q']);
    assert.equal(named(/^volume-ls-[0-9a-f]+\.cache$/).length, 1);
    const file = path.join(cacheDir, tagged[0]);
    const before = fs.statSync(file).mtimeMs;
    r = direct(['volume', 'ls', '-q']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.statSync(file).mtimeMs, before, 'the tagged cache was rejected and written again');
    // The exit command conmon holds starts pier with the same option.
    r = direct(['run', '-d', '--network', 'none', 'localhost/busybox', 'sleep', '60']);
    assert.equal(r.status, 0, r.stderr);
    const conmon = st.ok(['inspect', '--format', '{{.State.ConmonPid}}', r.stdout.trim()]).trim();
    const args = fs.readFileSync(`/proc/${conmon}/cmdline`, 'utf8').split('\0');
    const exitArgs = args.flatMap((a, i) => (args[i - 1] === '--exit-command-arg' ? [a] : []));
    const node = exitArgs.indexOf(process.execPath);
    assert.ok(node > 0, args.join(' '));
    assert.deepEqual(exitArgs.slice(node + 1, node + 3), ['--min-semi-space-size=3', entry]);
    st.ok(['rm', '-f', '-t', '0', r.stdout.trim()]);
  } finally {
    st.cleanup();
  }
});

test('run --rm (bridge and none), volume inspect, network ls, mount and umount load none of node\'s socket, stream, crypto, child_process or rimraf modules (each costs milliseconds and fresh pages at every start)', async () => {
  const st = await busyboxStore();
  try {
    // The store's first containers do one-time set-up (the default network's file, the first
    // netavark run); the commands after them are what every command costs.
    st.ok(['run', '--rm', '--network', 'none', 'localhost/busybox', 'true']);
    st.ok(['run', '--rm', 'localhost/busybox', 'true']);
    st.ok(['run', '-d', '--name', 'c1', '--network', 'none', 'localhost/busybox', 'sleep', '1000']);
    const hook = path.join(st.dir, 'hook.js');
    const list = path.join(st.dir, 'modules.txt');
    fs.writeFileSync(hook, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
    const commands = [
      ['run', '--rm', '--network', 'none', '--add-host', 'a.example:10.1.2.3', 'localhost/busybox', 'true'],
      ['run', '--rm', 'localhost/busybox', 'true'],
      ['mount', 'c1'], ['umount', 'c1'],
      // (not `volume ls`: the shebang test counts that command's caches, and `-r` makes one of its own)
      ['volume', 'inspect', '--all'], ['network', 'ls'], ['image', 'inspect', 'localhost/busybox'],
    ];
    for (const args of commands) {
      const r = spawnSync(process.execPath, ['-r', hook, path.join(REPO, 'dist', 'pier.js'), ...st.localArgs(), ...args], { env: st.env(), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const loaded = fs.readFileSync(list, 'utf8').split('\n');
      for (const m of ['NativeModule net', 'NativeModule stream', 'NativeModule internal/fs/rimraf', 'NativeModule child_process', 'NativeModule crypto', 'NativeModule zlib']) {
        assert.ok(!loaded.includes(m), `pier ${args.join(' ')}: ${m} was loaded`);
      }
    }
  } finally {
    st.run(['rm', '-f', '-t', '0', 'c1']);
    st.cleanup();
  }
});
