// Shell completion as podman 4.3 has it (cobra's): `pier __complete` / `__completeNoDesc` against a
// real store (containers in each state, pods, volumes, networks, secrets, images), paths inside
// images and containers, and the scripts `pier completion SHELL` prints, driven in bash (and
// checked by zsh and fish when they are installed).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, PIER, REMOTE } from '../helpers/cli';
import { writeDockerArchive, busyboxImage, multilayerImage } from '../fixtures/images';

const IMAGE = 'localhost/busybox:latest';
const LAYERED = 'localhost/layered:v1';

/** The candidates (descriptions cut off) and the directive of a completion request. */
function parse(out: string): { items: string[]; directive: number } {
  const lines = out.trimEnd().split('\n');
  const last = lines.pop()!;
  assert.match(last, /^:\d+$/, out);
  return { items: lines, directive: Number(last.slice(1)) };
}

describe('__complete against a store', () => {
  let s: TestStore;
  const comp = (...words: string[]) => {
    const r = s.run(['__completeNoDesc', ...words]);
    assert.equal(r.code, 0, r.stderr);
    return parse(r.stdout);
  };
  const items = (...words: string[]) => comp(...words).items;

  before(async () => {
    s = new TestStore();
    const archive = path.join(s.dir, 'images.tar');
    await writeDockerArchive(archive, [
      { image: await busyboxImage('docker'), repoTags: [IMAGE] },
      { image: await multilayerImage('docker'), repoTags: [LAYERED] },
    ]);
    s.ok(['load', '-q', '-i', archive]);
    s.ok(['create', '--name', 'c-created', IMAGE]);
    s.ok(['run', '-d', '--name', 'c-running', IMAGE, 'sleep', '1000']);
    s.ok(['run', '-d', '--name', 'c-paused', IMAGE, 'sleep', '1000']);
    s.ok(['pause', 'c-paused']);
    s.ok(['run', '--name', 'c-exited', IMAGE, 'sh', '-c', 'rm /etc/group; touch /tmp/made-here /tmp/made-here2; mkdir /emptydir']);
    s.ok(['pod', 'create', '--name', 'p-created']);
    s.ok(['pod', 'create', '--name', 'p-running']);
    s.ok(['run', '-d', '--pod', 'p-running', '--name', 'c-in-pod', IMAGE, 'sleep', '1000']);
    s.ok(['volume', 'create', 'vol-one']);
    s.ok(['network', 'create', 'net-one']);
    const secret = path.join(s.dir, 'secret.txt');
    fs.writeFileSync(secret, 'shh');
    s.ok(['secret', 'create', 'sec-one', secret]);
    s.ok(['tag', IMAGE, 'localhost/myimage:tag1']);
  });
  after(() => {
    s.run(['unpause', 'c-paused']);
    s.run(['pod', 'rm', '-a', '-f', '-t', '0']);
    s.run(['rm', '-a', '-f', '-t', '0']);
    s.cleanup();
  });

  test('containers: running ones for stop/kill/pause/attach, all for rm/inspect, startable for start, paused for unpause', () => {
    const infra = (l: string[]) => l.filter((n) => !/-infra$/.test(n));
    assert.deepEqual(infra(items('stop', '')).sort(), ['c-in-pod', 'c-running']);
    assert.deepEqual(infra(items('container', 'kill', '')).sort(), ['c-in-pod', 'c-running']);
    assert.deepEqual(infra(items('attach', '')).sort(), ['c-in-pod', 'c-running']);
    assert.deepEqual(infra(items('rm', '')).sort(), ['c-created', 'c-exited', 'c-in-pod', 'c-paused', 'c-running']);
    assert.deepEqual(infra(items('container', 'inspect', '')).sort(), ['c-created', 'c-exited', 'c-in-pod', 'c-paused', 'c-running']);
    assert.deepEqual(infra(items('start', '')).sort(), ['c-created', 'c-exited']);
    assert.deepEqual(items('unpause', ''), ['c-paused']);
    // A pod's infra container is offered too.
    assert.ok(items('rm', '').some((n) => /^[0-9a-f]{12}-infra$/.test(n)));
    // Names by prefix; ids (12 characters) once two characters are typed.
    assert.deepEqual(items('rm', 'c-r'), ['c-running']);
    const id = s.ok(['inspect', '--format', '{{.Id}}', 'c-running']).trim();
    assert.deepEqual(items('rm', id.slice(0, 3)), [id.slice(0, 12)]);
    assert.deepEqual(items('rm', id.slice(0, 1)).filter((x) => x === id.slice(0, 12)), []);
    // With descriptions: the container's pod.
    const r = s.run(['__complete', 'stop', 'c-in']);
    assert.equal(r.stdout, 'c-in-pod\tp-running\n:4\n');
    assert.equal(r.stderr, 'Completion ended with directive: ShellCompDirectiveNoFileComp\n');
  });

  test('no more arguments than the command takes; none with --latest or --all', () => {
    assert.deepEqual(comp('rename', 'c-running', ''), { items: [], directive: 4 });
    assert.deepEqual(comp('attach', 'c-running', ''), { items: [], directive: 4 });
    if (!REMOTE) assert.deepEqual(comp('stop', '--latest', ''), { items: [], directive: 4 });
    assert.deepEqual(comp('stop', '--all', ''), { items: [], directive: 4 });
    assert.deepEqual(comp('ps', ''), { items: [], directive: 4 });
    // A command without arguments in its usage is not given file names either.
    assert.deepEqual(comp('volume', 'prune', ''), { items: [], directive: 4 });
    // container clone CONTAINER NAME IMAGE: a container, nothing for the name, an image, then nothing.
    assert.ok(items('container', 'clone', 'c-').includes('c-exited'));
    assert.deepEqual(comp('container', 'clone', 'c-exited', ''), { items: [], directive: 4 });
    assert.ok(items('container', 'clone', 'c-exited', 'copy', '').includes(IMAGE));
    assert.deepEqual(comp('container', 'clone', 'c-exited', 'copy', IMAGE, ''), { items: [], directive: 4 });
  });

  test('pods, volumes, networks, secrets, images', () => {
    assert.deepEqual(items('pod', 'rm', '').sort(), ['p-created', 'p-running']);
    assert.deepEqual(items('pod', 'stop', ''), ['p-running']);
    assert.deepEqual(items('pod', 'start', 'p-c'), ['p-created']);
    assert.deepEqual(items('volume', 'rm', ''), ['vol-one']);
    assert.deepEqual(items('network', 'rm', '').sort(), ['net-one', 'pier']);
    assert.deepEqual(items('secret', 'inspect', ''), ['sec-one']);
    assert.deepEqual(items('network', 'connect', 'net-one', 'c-ru'), ['c-running']);
    // Images: the full names with nothing typed, then every matching tail of a name.
    assert.deepEqual(items('rmi', '').filter((i) => !i.includes('pause')).sort(), [LAYERED, IMAGE, 'localhost/myimage:tag1'].sort());
    assert.deepEqual(items('image', 'inspect', 'my'), ['myimage:tag1']);
    assert.deepEqual(items('history', 'localhost/b'), [IMAGE]);
    const id = s.ok(['image', 'inspect', '--format', '{{.Id}}', IMAGE]).trim();
    assert.ok(items('rmi', id.slice(0, 2)).includes(id.slice(0, 12)));
    // inspect: every kind of object.
    const all = items('inspect', '');
    for (const x of ['c-running', IMAGE, 'p-running', 'net-one', 'vol-one']) assert.ok(all.includes(x), `${x} in ${all}`);
    // commit: a container, then an image.
    assert.ok(items('commit', '').includes('c-exited'));
    assert.ok(items('commit', 'c-exited', '').includes(IMAGE));
  });

  test('flag values: fixed words, signals, networks and modes, filters', () => {
    assert.deepEqual(comp('--log-level', ''), { items: ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'], directive: 4 });
    assert.deepEqual(comp('run', '--pull', ''), { items: ['always', 'missing', 'never', 'newer'], directive: 4 });
    assert.deepEqual(items('create', '--restart='), ['always', 'no', 'on-failure', 'unless-stopped']);
    assert.deepEqual(items('run', '--log-driver', ''), ['journald', 'none', 'k8s-file', 'passthrough']);
    const sig = items('kill', '--signal', '');
    assert.ok(sig.includes('KILL') && sig.includes('TERM') && sig.includes('RTMIN+3'), String(sig));
    assert.ok(items('kill', '-s', 'si').includes('sigkill'));
    assert.ok(items('pod', 'kill', '-s', 'SI').includes('SIGHUP'));
    const net = comp('run', '--network', '');
    assert.ok(net.items.includes('net-one') && net.items.includes('host') && net.items.includes('container:'), String(net.items));
    assert.equal(net.directive, 6);
    // (podman adds slirp4netns whatever is typed.)
    assert.deepEqual(items('run', '--network', 'container:c-ru'), ['container:c-running', 'slirp4netns']);
    const f = comp('ps', '--filter', '');
    assert.ok(f.items.includes('status=') && f.items.includes('ancestor='), String(f.items));
    assert.equal(f.directive, 6);
    assert.deepEqual(items('ps', '--filter', 'status='), ['status=created', 'status=running', 'status=paused', 'status=stopped', 'status=exited', 'status=unknown']);
    assert.deepEqual(items('ps', '-f', 'name=c-ex'), ['name=c-exited']);
    assert.deepEqual(items('volume', 'ls', '--filter', 'name='), ['name=vol-one']);
    assert.deepEqual(items('run', '--volumes-from', 'c-p'), ['c-paused']);
    assert.deepEqual(items('run', '--secret', ''), ['sec-one']);
    assert.deepEqual(items('events', '--filter', 'type='), ['type=container', 'type=image', 'type=network', 'type=pod', 'type=system', 'type=volume']);
    // A path flag: the shell's own completion (Default, no candidates).
    assert.deepEqual(comp('run', '--cidfile', ''), { items: [], directive: 0 });
    // --format: template fields.
    assert.deepEqual(comp('ps', '--format', '{{.Na'), { items: ['{{.Names}}', '{{.Namespaces.'], directive: 6 });
  });

  test('flag names: the command\'s own (global ones at the root), not again once given', () => {
    const ps = items('ps', '--');
    assert.ok(ps.includes('--all') && ps.includes('--format'), String(ps));
    assert.ok(!ps.includes('--root') && !ps.includes('--log-level'), 'podman hides the global flags below the root');
    const root = items('--');
    assert.ok(root.includes('--root') && root.includes('--log-level') && root.includes('--url'), String(root));
    const short = items('rm', '-');
    assert.ok(short.includes('-f') && short.includes('--force'), String(short));
    assert.ok(!items('rm', '--force', '--').includes('--force'));
    assert.ok(items('run', '-e', 'A=1', '--').includes('--env'), 'an array flag can be given again');
  });

  test('subcommands by name (aliases resolve), help, completion', () => {
    const r = s.run(['__complete', 'volume', '']);
    assert.ok(r.stdout.split('\n').includes('ls\tList volumes'), r.stdout);
    assert.ok(!parse(r.stdout).items.includes('list'), 'aliases are not offered (as cobra)');
    assert.ok(items('container', 'ls', '--').includes('--all'), 'an alias finds its command');
    assert.deepEqual(items('help', 'netw'), ['network']);
    assert.deepEqual(items('help', 'network', 'c'), ['connect', 'create']);
    assert.deepEqual(items('completion', ''), ['bash', 'zsh', 'fish', 'powershell']);
    assert.deepEqual(comp('ps', '--help', ''), { items: [], directive: 4 });
  });

  test('paths inside the image after create/run IMAGE, with the image\'s layers merged', { skip: REMOTE && 'podman-remote completes no paths in images' }, () => {
    const root = comp('create', IMAGE, '');
    assert.ok(root.items.includes('/etc/') && root.items.includes('/bin/'), String(root.items));
    assert.equal(root.directive, 2);
    assert.ok(items('run', IMAGE, '/etc').includes('/etc/passwd'));
    assert.deepEqual(comp('run', IMAGE, '/etc/passw'), { items: ['/etc/passwd'], directive: 0 });
    // `..` stays inside the image.
    assert.ok(items('create', IMAGE, '../../').includes('../../etc/'));
    // Layers merged: a whiteout hides a lower layer's file, an opaque directory its old entries.
    const data = items('create', LAYERED, '/data/');
    assert.ok(data.includes('/data/added.txt') && data.includes('/data/opaque/') && data.includes('/data/kept.txt'), String(data));
    assert.ok(!data.includes('/data/deleted.txt') && !data.includes('/data/dir-deleted/'), String(data));
    assert.deepEqual(items('create', LAYERED, '/data/opaque/'), ['/data/opaque/new.txt']);
    // Symlinks resolve inside the image: data/bin-link -> ../bin.
    assert.ok(items('create', LAYERED, '/data/bin-link/').includes('/data/bin-link/sh'));
    // A name the image does not have: the shell's own completion.
    assert.deepEqual(comp('create', 'no-such-image', '/e'), { items: [], directive: 0 });
  });

  test('cp: CONTAINER: then paths in the container (its own changes on top)', { skip: REMOTE && 'podman-remote completes no paths in containers' }, () => {
    const c = comp('cp', '');
    assert.ok(c.items.includes('c-exited:') && c.items.includes('c-running:'), String(c.items));
    assert.equal(c.directive, 2);
    assert.deepEqual(items('cp', 'c-exited:/tmp/made'), ['c-exited:/tmp/made-here', 'c-exited:/tmp/made-here2']);
    assert.ok(items('cp', 'c-exited:').includes('c-exited:/etc/'));
    assert.deepEqual(comp('cp', 'c-exited:/emptydir'), { items: ['c-exited:/emptydir/'], directive: 2 });
    // Deleted in the container: gone from its view, still in the image's.
    assert.ok(!items('cp', 'c-exited:/etc/').includes('c-exited:/etc/group'));
    assert.ok(items('cp', 'c-running:/etc/').includes('c-running:/etc/group'));
    // No container by that prefix: host paths.
    assert.deepEqual(comp('cp', './'), { items: [], directive: 0 });
    assert.deepEqual(comp('cp', 'a', 'b', ''), { items: [], directive: 4 });
  });

  test('the store is only read: completing against a store that does not exist creates nothing', () => {
    const root = path.join(s.dir, 'absent-root');
    const runroot = path.join(s.dir, 'absent-run');
    const r = spawnSync(process.execPath, [PIER, '--root', root, '--runroot', runroot, '__completeNoDesc', 'rm', ''], { env: s.env(), encoding: 'utf8' });
    assert.equal(r.stdout, ':4\n');
    assert.equal(fs.existsSync(root), false);
    // Global options after __complete name the store too.
    const r2 = spawnSync(process.execPath, [PIER, '__completeNoDesc', '--root', s.root, '--runroot', s.runroot, 'volume', 'rm', ''], { env: s.env(), encoding: 'utf8' });
    assert.equal(r2.stdout, 'vol-one\n:4\n');
  });

  test('the bash script drives `pier __complete` with bash\'s own words', { skip: REMOTE && 'local only' }, () => {
    // A `pier` for this store, as COMP_WORDS[0] names it.
    const bin = path.join(s.dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'pier'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(PIER)} ${s.globalArgs().map((a) => JSON.stringify(a)).join(' ')} "$@"\n`, { mode: 0o755 });
    const script = s.ok(['completion', 'bash']);
    const file = path.join(s.dir, 'pier.bash');
    fs.writeFileSync(file, script);
    const syntax = spawnSync('bash', ['-n', file], { encoding: 'utf8' });
    assert.equal(syntax.status, 0, syntax.stderr);
    assert.equal(syntax.stderr, '');
    // COMP_WORDS as bash splits the line (at blanks, and around `=` and `:`).
    const drive = (line: string): string[] => {
      const words = line.match(/[=:]|[^\s=:]+|(?<=\s)$/g) ?? [];
      const r = spawnSync('bash', ['-c', `source ${JSON.stringify(file)}
COMP_LINE=$1; COMP_POINT=\${#COMP_LINE}; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
_pier_complete; printf '%s\\n' "\${COMPREPLY[@]}"`, 'drive', line, ...words], { encoding: 'utf8', env: { ...s.env(), PATH: `${bin}:${process.env.PATH}` } });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    assert.deepEqual(drive('pier vol'), ['volume']);
    assert.deepEqual(drive('pier stop c-r'), ['c-running']);
    // Several: shown with their descriptions.
    assert.deepEqual(drive('pier stop c-').map((l) => l.replace(/\s+/g, ' ')), ['c-running', 'c-in-pod (p-running)']);
    assert.deepEqual(drive('pier ps --format={{.Na'), ['{{.Names}}', '{{.Namespaces.']);
    assert.deepEqual(drive("pier ps --format '{{.Nam"), ['{{.Names}}', '{{.Namespaces.']);
    // bash replaces what follows the last `:`; the container name stays.
    assert.deepEqual(drive('pier cp c-exited:/tmp/made-here2'), ['/tmp/made-here2']);
    assert.deepEqual(drive('pier ps --filter status=ru'), ['running']);
    assert.deepEqual(drive('pier --log-level war'), ['warn', 'warning']);
    // Nothing to offer where podman offers nothing; file names where it lets the shell complete.
    assert.deepEqual(drive('pier volume prune '), []);
  });
});

test('every command completes its arguments, and every flag with a value its value (podman\'s shell_completion_test)', () => {
  const { rootCommand } = require('../../src/cli/commands/root') as typeof import('../../src/cli/commands/root');
  const { loadAll } = require('../../src/cli/parser') as typeof import('../../src/cli/parser');
  const { argCompletionFor, flagCompletionFor } = require('../../src/cli/complete') as typeof import('../../src/cli/complete');
  const missing: string[] = [];
  const walk = (c: import('../../src/cli/parser').CommandDef, names: string[]) => {
    if (c.hidden && names.length && !['completion', 'buildx'].includes(c.name)) return;
    if (names.length && !c.subcommands?.length && !argCompletionFor(names)) missing.push(`${names.join(' ')}: arguments`);
    for (const f of c.flags ?? []) {
      if (f.hidden || f.type === 'bool' || f.type === 'count') continue;
      if (!flagCompletionFor(names, f.name)) missing.push(`${names.join(' ')} --${f.name}`);
    }
    for (const sub of c.subcommands ?? []) walk(sub, [...names, sub.name]);
  };
  walk(loadAll(rootCommand()), []);
  assert.deepEqual(missing, []);
});

describe('pier completion', () => {
  const s = new TestStore();
  after(() => s.cleanup());

  test('scripts for bash, zsh, fish and powershell that call back into pier; --no-desc; -f', () => {
    const bash = s.ok(['completion', 'bash']);
    assert.match(bash, /__complete "\$\{words\[@\]:1:cword-1\}"/);
    assert.match(bash, /^complete -o default -F _pier_complete pier$/m);
    assert.match(s.ok(['completion', 'bash', '--no-desc']), /__completeNoDesc/);
    const zsh = s.ok(['completion', 'zsh']);
    assert.match(zsh, /^#compdef pier\n/);
    const fish = s.ok(['completion', 'fish']);
    assert.match(fish, /complete -c pier -f -a '\(__pier_complete\)'/);
    assert.match(s.ok(['completion', 'powershell']), /Register-ArgumentCompleter -CommandName 'pier' -Native/);
    for (const [shell, text] of [['zsh', zsh], ['fish', fish]] as const) {
      const file = path.join(s.dir, `script.${shell}`);
      fs.writeFileSync(file, text);
      const r = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      if (r.error) continue; // not installed
      assert.equal(r.status, 0, `${shell}: ${r.stderr}`);
    }
    const f = path.join(s.dir, 'pier.bash');
    assert.equal(s.ok(['completion', 'bash', '-f', f]), '');
    assert.equal(fs.readFileSync(f, 'utf8'), bash);
    assert.match(bash, /# This file is generated with "pier completion"/);
  });

  test('errors as podman\'s', () => {
    const bad = s.run(['completion', 'tcsh']);
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr, 'Error: invalid argument "tcsh" for "pier completion"\n');
    const none = s.run(['completion']);
    assert.equal(none.code, 125);
    assert.equal(none.stderr, 'Error: accepts 1 arg(s), received 0\n');
    const file = s.run(['completion', 'bash', '-f', path.join(s.dir, 'no', 'such', 'dir')]);
    assert.equal(file.code, 125);
    assert.equal(file.stderr, `Error: open ${path.join(s.dir, 'no', 'such', 'dir')}: no such file or directory\n`);
    assert.match(s.ok(['completion', '--help']), /^ {2}pier completion \[options\] \{bash\|zsh\|fish\|powershell\}$/m);
  });
});
