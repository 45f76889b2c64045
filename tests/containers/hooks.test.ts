// OCI hooks as podman 4.3 runs them: hook files from --hooks-dir (else containers.conf's
// hooks_dir), matched per start and put into config.json's hooks by file name; precreate hooks
// rewrite the config; poststop hooks run by pier, once, whichever way the container is cleaned
// up; bad files fail the start in podman's words; build steps get build --hooks-dir's, as buildah.
// Real runc + conmon, /bin/sh hook scripts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStoreForFile } from '../helpers/cli';
import { startService } from '../helpers/api';
import { BUSYBOX_BIN } from '../fixtures/images';

let s: TestStore;
busyboxStoreForFile((x) => { s = x; });
const IMG = 'localhost/busybox';

/** A hook script: appends its first argument, then its stdin, as one line to `log`. */
function script(dir: string, log: string): string {
  const f = path.join(dir, 'hook.sh');
  fs.writeFileSync(f, `#!/bin/sh\nprintf '%s ' "$1" >> ${log}\ncat >> ${log}\necho >> ${log}\n`, { mode: 0o755 });
  return f;
}

/** A directory of hook files (name → its JSON), under the store's dir. */
function hooksDir(name: string, files: Record<string, unknown>): string {
  const dir = path.join(s.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), typeof v === 'string' ? v : JSON.stringify(v));
  return dir;
}

const hook = (p: string, arg: string, stages: string[], when: object = { always: true }, extra: object = {}) =>
  ({ version: '1.0.0', hook: { path: p, args: ['hook.sh', arg], ...extra }, when, stages });

/** The log's lines as [argument, state JSON]. */
function entries(log: string): Array<[string, any]> {
  if (!fs.existsSync(log)) return [];
  // Complete lines only: a hook may be writing its line meanwhile.
  const text = fs.readFileSync(log, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => {
    const i = l.indexOf(' ');
    return [l.slice(0, i), JSON.parse(l.slice(i + 1))];
  });
}

function waitFor(cond: () => boolean, ms = 15_000): void {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/** The config.json of a created container after `init` with `globals`. */
function initSpec(globals: string[], createArgs: string[]): any {
  const id = s.ok(['create', '--network', 'none', ...createArgs]).trim();
  s.ok([...globals, 'init', id]);
  const spec = JSON.parse(fs.readFileSync(path.join(s.root, 'containers', id, 'userdata', 'config.json'), 'utf8'));
  s.ok(['rm', '-f', '-t', '0', id]);
  return spec;
}

test('run: prestart, createRuntime and poststart get the runtime state; poststop runs once after, with the stopped state', () => {
  const log = path.join(s.dir, 'stages.log');
  const sh = script(s.dir, log);
  const dir = hooksDir('stages', Object.fromEntries(['prestart', 'createRuntime', 'poststart', 'poststop'].map((st) => [`${st}.json`, hook(sh, st, [st])])));
  const out = s.ok(['--hooks-dir', dir, 'run', '--rm', '--network', 'none', '--annotation', 'team=blue', IMG, 'echo', 'hi']);
  assert.equal(out, 'hi\n');
  const e = entries(log);
  assert.deepEqual(e.map(([a]) => a), ['prestart', 'createRuntime', 'poststart', 'poststop']);
  const [, pre] = e[0];
  assert.equal(pre.status, 'creating');
  assert.ok(pre.pid > 0);
  const [, post] = e[3];
  assert.equal(post.id, pre.id);
  assert.equal(post.status, 'stopped');
  assert.equal(post.pid, undefined);
  assert.equal(post.bundle, path.join(s.root, 'containers', pre.id, 'userdata'));
  // The container's own annotations (podman: its create-time spec's), not the start's.
  assert.equal(post.annotations.team, 'blue');
  assert.equal(post.annotations['io.container.manager'], undefined);
});

test('poststop runs once on every cleanup path: stop, rm -f, the exit command, rm of an initialized container', () => {
  const log = path.join(s.dir, 'poststop.log');
  const sh = script(s.dir, log);
  const dir = hooksDir('poststop', { 'p.json': hook(sh, 'poststop', ['poststop']) });
  const g = ['--hooks-dir', dir];
  const stopped = s.ok([...g, 'run', '-d', '--network', 'none', IMG, 'sleep', '300']).trim();
  s.ok(['stop', '-t', '0', stopped]);
  const removed = s.ok([...g, 'run', '-d', '--network', 'none', IMG, 'sleep', '300']).trim();
  s.ok(['rm', '-f', '-t', '0', removed]);
  // Exits by itself: conmon's `container cleanup` runs them.
  const exited = s.ok([...g, 'run', '-d', '--network', 'none', IMG, 'true']).trim();
  waitFor(() => entries(log).some(([, st]) => st.id === exited));
  const inited = s.ok(['create', '--network', 'none', IMG, 'true']).trim();
  s.ok([...g, 'init', inited]);
  s.ok(['rm', inited]);
  // Cleaned up again later: nothing more runs.
  s.ok(['rm', stopped, exited]);
  const ids = entries(log).map(([, st]) => st.id);
  assert.deepEqual([...ids].sort(), [stopped, removed, exited, inited].sort());
});

test('a failing hook in Go\'s words: exit status, signal: killed, context deadline exceeded; args[0] is its argv[0]', () => {
  const sh = path.join(s.dir, 'fail.sh');
  fs.writeFileSync(sh, '#!/bin/sh\ncase "$1" in kill) kill -9 $$;; sleep) exec sleep 5;; esac\n', { mode: 0o755 });
  const dir = hooksDir('fail', {
    // busybox runs the applet its argv[0] names (without one, its help, status 0).
    'a.json': { version: '1.0.0', hook: { path: BUSYBOX_BIN, args: ['false'] }, when: { always: true }, stages: ['poststop'] },
    'b.json': hook(sh, 'kill', ['poststop']),
    'c.json': hook(sh, 'sleep', ['poststop'], { always: true }, { timeout: 1 }),
  });
  const r = s.run(['--hooks-dir', dir, 'run', '--rm', '--network', 'none', IMG, 'true']);
  assert.equal(r.code, 0);
  const warnings = r.stderr.split('\n').filter(Boolean).map((l) => /msg="Container [0-9a-f]{64}: (.*)"$/.exec(l)?.[1] ?? l);
  assert.deepEqual(warnings, [
    'poststop hook 0: executing [false]: exit status 1',
    'poststop hook 1: executing [hook.sh kill]: signal: killed',
    'poststop hook 2: context deadline exceeded',
  ]);
});

test('when: annotations (regexps on key and value), commands (on argv[0]), hasBindMounts, always; file-name order, case folded', () => {
  const p = '/bin/true';
  const dir = hooksDir('when', {
    'b-always.json': hook(p, 'always', ['prestart']),
    'A-annotation.json': hook(p, 'annotation', ['prestart'], { annotations: { '^team$': 'bl' } }),
    'c-command.json': hook(p, 'command', ['prestart', 'createContainer'], { commands: ['^/bin/ec'] }),
    'd-mounts.json': hook(p, 'mounts', ['prestart'], { hasBindMounts: true }),
    'e-never.json': hook(p, 'never', ['prestart'], { always: false }),
    'f-both.json': hook(p, 'both', ['prestart'], { always: true, commands: ['^nomatch$'] }),
    'notes.txt': 'not a hook file',
  });
  const args = (spec: any, stage = 'prestart') => (spec.hooks?.[stage] ?? []).map((h: any) => h.args[1]);
  const g = ['--hooks-dir', dir];
  const all = initSpec(g, ['--annotation', 'team=xblue', '-v', `${s.dir}:/mnt`, IMG, '/bin/echo', 'hi']);
  assert.deepEqual(args(all), ['annotation', 'always', 'command', 'mounts']);
  assert.deepEqual(args(all, 'createContainer'), ['command']);
  // As podman writes config.json: hooks after mounts.
  const keys = Object.keys(all);
  assert.equal(keys[keys.indexOf('mounts') + 1], 'hooks');
  assert.deepEqual(args(initSpec(g, ['--annotation', 'team=red', IMG, 'echo', 'hi'])), ['always']);
  assert.deepEqual(args(initSpec(g, ['--tmpfs', '/scratch', IMG, 'true'])), ['always', 'mounts']);
  assert.equal(initSpec([], [IMG, 'true']).hooks, undefined, 'no hook directory here by default');
});

test('precreate hooks get the proposed config on stdin and give the one to use', () => {
  const pre = path.join(s.dir, 'pre.sh');
  fs.writeFileSync(pre, `#!/bin/sh\nsed 's/"TERM=xterm"/"TERM=xterm","HOOKED=yes"/'\n`, { mode: 0o755 });
  const dir = hooksDir('precreate', { 'p.json': { version: '1.0.0', hook: { path: pre }, when: { always: true }, stages: ['precreate'] } });
  assert.equal(s.ok(['--hooks-dir', dir, 'run', '--rm', '--network', 'none', IMG, 'sh', '-c', 'echo $HOOKED']), 'yes\n');
  // Output that is not a config fails the start, in podman's words.
  fs.writeFileSync(pre, '#!/bin/sh\necho nope\n');
  const r = s.run(['--hooks-dir', dir, 'run', '--rm', '--network', 'none', IMG, 'true']);
  assert.equal(r.code, 126);
  assert.match(r.stderr, /^time=.* level=warning msg="Container [0-9a-f]{64}: precreate hook: unmarshal output from config-filter hook 0: invalid character 'o' in literal null \(expecting 'u'\)"\nError: setting up OCI Hooks: unmarshal output from config-filter hook 0: invalid character 'o' in literal null \(expecting 'u'\)\n$/);
});

test('directories: later ones replace same-named files; --hooks-dir over containers.conf hooks_dir; 0.1.0 files', () => {
  const p = '/bin/true';
  const first = hooksDir('first', { 'same.json': hook(p, 'first', ['prestart']), 'only-first.json': hook(p, 'only-first', ['prestart']) });
  const second = hooksDir('second', {
    'same.json': hook(p, 'second', ['prestart']),
    // The deprecated schema: any condition is enough; arguments follow the path.
    'old.json': { hook: p, arguments: ['old'], stage: ['poststart'], cmd: ['^nomatch$'], annotation: ['^yes$'] },
  });
  const conf = path.join(s.dir, 'hooks.conf');
  fs.writeFileSync(conf, `[engine]\nhooks_dir = [${JSON.stringify(second)}]\n`);
  const argsOf = (spec: any) => Object.fromEntries(Object.entries(spec.hooks ?? {}).map(([k, v]: [string, any]) => [k, v.map((h: any) => h.args.slice(1).join(' '))]));
  assert.deepEqual(argsOf(initSpec(['--hooks-dir', `${first},${second}`], ['--annotation', 'x=yes', IMG, 'true'])),
    { prestart: ['only-first', 'second'], poststart: ['old'] });
  assert.deepEqual(argsOf(initSpec(['--hooks-dir', second, '--hooks-dir', first], [IMG, 'true'])), { prestart: ['only-first', 'first'] });
  const env = { CONTAINERS_CONF: conf };
  const id = s.ok(['create', '--network', 'none', IMG, 'true']).trim();
  s.ok(['init', id], { env });
  const spec = JSON.parse(fs.readFileSync(path.join(s.root, 'containers', id, 'userdata', 'config.json'), 'utf8'));
  assert.deepEqual(argsOf(spec), { prestart: ['second'] });
  s.ok(['rm', '-f', id]);
});

test('bad hook files fail the start in podman\'s words; a bad --hooks-dir list fails every command', () => {
  const dir = hooksDir('bad', {
    'a.json': { version: '2' },
    'b.json': '{bad',
    'c.json': { version: '1.0.0', hook: { path: '/bin/true' }, when: { always: 'yes' }, stages: ['prestart'] },
  });
  const r = s.run(['--hooks-dir', dir, 'run', '--rm', '--network', 'none', IMG, 'true']);
  assert.equal(r.stderr, `Error: setting up OCI Hooks: parsing hook "${dir}/c.json": 1.0.0: json: cannot unmarshal string into Go struct field When.when.always of type bool`
    + `: parsing hook "${dir}/b.json": version check: invalid character 'b' looking for beginning of object key string`
    + `: parsing hook "${dir}/a.json": unrecognized hook version: "2"\n`);
  assert.equal(r.code, 126);
  const stages = hooksDir('stage', { 's.json': { version: '1.0.0', hook: { path: '/bin/true' }, when: { always: true }, stages: ['bogus'] } });
  const id = s.ok(['create', '--name', 'hooks-bad', '--network', 'none', IMG, 'true']).trim();
  const st = s.run(['--hooks-dir', stages, 'start', id]);
  assert.equal(st.stderr, `Error: unable to start container "${id}": setting up OCI Hooks: unknown stage "bogus"\n`);
  assert.equal(st.code, 125);
  // Nothing half-done: the container is still just created, its storage not mounted.
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', id]), 'created\n');
  assert.ok(!fs.readFileSync('/proc/self/mounts', 'utf8').includes(id));
  const empty = s.run(['--hooks-dir', 'a,,b', 'ps', '-q']);
  assert.deepEqual([empty.code, empty.stderr], [125, 'Error: configuring runtime: empty-string hook directories are not supported: invalid argument\n']);
  s.ok(['rm', id]);
});

test('build: RUN containers get build --hooks-dir\'s runtime hooks (not the global --hooks-dir\'s), matched as buildah matches them', () => {
  const log = path.join(s.dir, 'build.log');
  const sh = script(s.dir, log);
  const dir = hooksDir('build', {
    'prestart.json': hook(sh, 'prestart', ['prestart']),
    'poststop.json': hook(sh, 'poststop', ['poststop']),
    // buildah's builder annotations: --annotation only from the second step (its base image was committed with it).
    'ann.json': hook(sh, 'ann', ['prestart'], { annotations: { '^team$': '^blue$' } }),
  });
  const global = hooksDir('build-global', { 'g.json': hook(sh, 'global', ['prestart']) });
  const ctx = hooksDir('build-ctx', { Containerfile: `FROM ${IMG}\nRUN echo one\nRUN echo two\n` });
  const out = s.ok(['--hooks-dir', global, 'build', '--hooks-dir', dir, '--annotation', 'team=blue', '--network', 'none', '--no-cache', ctx]);
  assert.match(out, /^one$[\s\S]*^two$/m);
  const e = entries(log);
  assert.deepEqual(e.map(([a]) => a), ['prestart', 'poststop', 'ann', 'prestart', 'poststop']);
  assert.equal(e[1][1].status, 'stopped');
  assert.equal(e[1][1].id, e[0][1].id);
  // A precreate hook is podman's, not buildah's: the step fails, leaving no container behind.
  const pre = hooksDir('build-pre', { 'p.json': hook(sh, 'pre', ['precreate']) });
  const r = s.run(['build', '--hooks-dir', pre, '--network', 'none', '--no-cache', ctx]);
  assert.equal(r.stderr, 'Error: building at STEP "RUN echo one": unable to setup OCI hooks: unknown stage "precreate"\n');
  assert.equal(r.code, 125);
  assert.equal(s.ok(['ps', '-a', '-q', '--external']), '');
});

test('a bad hook file in start\'s words: local start --attach, and remote start, start --attach and run against a service', async () => {
  const dir = hooksDir('stage-remote', { 's.json': { version: '1.0.0', hook: { path: '/bin/true' }, when: { always: true }, stages: ['bogus'] } });
  const why = 'setting up OCI Hooks: unknown stage "bogus"';
  const id = s.ok(['create', '--network', 'none', IMG, 'true']).trim();
  const local = s.run(['--hooks-dir', dir, 'start', '-a', id]);
  assert.deepEqual([local.code, local.stderr], [125, `Error: unable to start container ${id}: ${why}\n`]);
  const svc = await startService(s, { extraArgs: ['--hooks-dir', dir] });
  try {
    const remote = (args: string[]) => s.run(['--url', `unix://${svc.socket}`, ...args]);
    const st = remote(['start', id]);
    assert.deepEqual([st.code, st.stderr], [125, `Error: unable to start container "${id}": ${why}\n`]);
    // podman's attach endpoint initializes the container: its words come first.
    const sa = remote(['start', '-a', id]);
    assert.deepEqual([sa.code, sa.stderr], [125, `Error: unable to start container ${id}: preparing container ${id} for attach: ${why}\n`]);
    const run = remote(['run', '--rm', '--network', 'none', IMG, 'true']);
    assert.equal(run.code, 126);
    assert.match(run.stderr, new RegExp(`^Error: preparing container [0-9a-f]{64} for attach: ${why}\n$`));
  } finally {
    await svc.stop();
  }
  s.ok(['rm', id]);
});
