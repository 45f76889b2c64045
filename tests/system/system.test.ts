// version, info, __complete and the CLI's general behaviour (help, unknown commands/flags).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, PIER } from '../helpers/cli';

const s = new TestStore();
after(() => s.cleanup());

test('--version and version', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  assert.equal(s.ok(['--version']), `pier version ${pkg.version}\n`);
  const r = spawnSync(process.execPath, [PIER, '--version'], { encoding: 'utf8' });
  assert.equal(r.stdout, `pier version ${pkg.version}\n`);
  assert.match(s.ok(['version']), new RegExp(`^Version:\\s+${pkg.version.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(s.ok(['version']), /^API Version: {2}4\.3\.1\nNode Version: v\d+\.\d+\.\d+\nBuilt: {8}Thu Jan {2}1 00:00:00 1970\nOS\/Arch: /m);
  // podman's fields, GoVersion empty: templates naming it work.
  assert.deepEqual(Object.keys(JSON.parse(s.ok(['version', '--format', 'json'])).Client), ['APIVersion', 'Version', 'GoVersion', 'NodeVersion', 'GitCommit', 'BuiltTime', 'Built', 'OsArch', 'Os']);
  assert.equal(s.ok(['version', '--format', '{{.Client.GoVersion}}|{{.Client.GitCommit}}|{{.Client.Built}}']), '||0\n');
  assert.equal(s.ok(['version', '--format', '{{.Client.Version}}']).trim(), pkg.version);
  // No server (local): podman runs a template naming .Server fields against the client's version.
  const osArch = s.ok(['version', '--format', '{{.Client.OsArch}}']).trim();
  assert.equal(s.ok(['version', '--format', '{{.Server.Version}}-{{.Server.OsArch}}']).trim(), `${pkg.version}-${osArch}`);
});

test('info reports host, runtime and store', () => {
  const info = JSON.parse(s.ok(['info', '--format', 'json']));
  assert.equal(info.store.graphRoot, s.root);
  assert.equal(info.store.runRoot, s.runroot);
  assert.ok(['overlay', 'vfs'].includes(info.store.graphDriverName));
  assert.match(info.host.ociRuntime.name, /^(runc|crun)$/);
  assert.match(info.host.conmon.version, /conmon version/);
  // setup installs slirp4netns: podman lists it with its package and version.
  assert.equal(info.host.slirp4netns.executable, '/usr/bin/slirp4netns');
  assert.match(info.host.slirp4netns.package, /^slirp4netns_\S+_amd64$/);
  assert.match(info.host.slirp4netns.version, /^slirp4netns version \d/);
  assert.equal(s.ok(['info', '--format', '{{.Store.GraphRoot}}']).trim(), s.root);
  assert.match(s.ok(['system', 'info']), /^host:$/m);
});

// The completion scripts: tests/containers-cli/completion.test.ts.

test('help, unknown commands and flags', () => {
  assert.match(s.ok(['--help']), /^Usage:\n  pier \[options\] \[command\]$/m);
  assert.match(s.ok(['run', '--help']), /^Usage:\n  pier run \[options\] IMAGE \[COMMAND \[ARG\.\.\.\]\]$/m);
  const u = s.run(['frobnicate']);
  assert.equal(u.code, 125);
  assert.match(u.stderr, /^Error: unrecognized command `pier frobnicate`/);
  const f = s.run(['images', '--nope']);
  assert.equal(f.code, 125);
  assert.equal(f.stderr, "Error: unknown flag: --nope\nSee 'pier images --help'\n");
  // podman 4.3.1's system prune has no --external.
  const ext = s.run(['system', 'prune', '--external', '-f']);
  assert.deepEqual([ext.code, ext.stderr], [125, "Error: unknown flag: --external\nSee 'pier system prune --help'\n"]);
  const a = s.run(['image', 'exists']);
  assert.equal(a.code, 125);
  assert.match(a.stderr, /^Error: accepts 1 arg\(s\), received 0$/m);
  // As cobra: the flags are parsed before the word is found to be no command (podman's 300-cli-parsing).
  const both = s.run(['bad', '--invalid']);
  assert.deepEqual([both.code, both.stderr], [125, "Error: unknown flag: --invalid\nSee 'pier --help'\n"]);
  const groupFlag = s.run(['image', 'bad', '--invalid']);
  assert.deepEqual([groupFlag.code, groupFlag.stderr], [125, "Error: unknown flag: --invalid\nSee 'pier image --help'\n"]);
  // A group's unknown subcommand points at that group's help; cobra's suggestions (root: 2 edits, groups: prefixes).
  const sub = s.run(['image', 'lss']);
  assert.deepEqual([sub.code, sub.stderr], [125, "Error: unrecognized command `pier image lss`\nTry 'pier image --help' for more information\n"]);
  const prefix = s.run(['image', 'l']);
  assert.equal(prefix.stderr, "Error: unrecognized command `pier image l`\n\nDid you mean this?\n\tlist\n\tload\n\nTry 'pier image --help' for more information\n");
  const near = s.run(['imag']);
  assert.equal(near.stderr, "Error: unrecognized command `pier imag`\n\nDid you mean this?\n\timage\n\timages\n\ttag\n\nTry 'pier --help' for more information\n");
  // At the root, in the order podman registers its commands (its containers package, then images, then pods).
  assert.match(s.run(['pul']).stderr, /Did you mean this\?\n\tps\n\trun\n\tpull\n\tpush\n\tpod\n\n/);
  // With --help, the help of the group the word was under.
  const help = s.run(['image', 'bad', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Manage images\n/);
});

test('--noout drops standard output only; old flag names; kill and pod kill check the signal first (as podman)', () => {
  const quiet = s.run(['--noout', 'images']);
  assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, '', '']);
  const failed = s.run(['--noout', 'image', 'inspect', 'nope']);
  assert.equal(failed.code, 125);
  assert.equal(failed.stdout, '');
  assert.match(failed.stderr, /nope/);
  assert.match(s.ok(['ps', '-a', '--notruncate']), /^CONTAINER ID/);
  for (const [sig, msg] of [['0', 'invalid signal: 0'], ['-0', 'invalid signal: 0'], ['SIG', 'invalid signal: SIG'], ['-BADSIG', 'invalid signal: BADSIG'],
    ['-', 'invalid signal: '], ['65', 'valid signals are 1 through 64'], ['-65', 'valid signals are 1 through 64'], ['99999999', 'valid signals are 1 through 64']]) {
    const r = s.run(['kill', '-s', sig, 'nosuchcontainer']);
    assert.deepEqual([r.code, r.stderr], [125, `Error: ${msg}\n`], `kill -s ${sig}`);
    const pr = s.run(['pod', 'kill', '-s', sig, 'nosuchpod']);
    assert.deepEqual([pr.code, pr.stderr], [125, `Error: ${msg}\n`], `pod kill -s ${sig}`);
  }
  for (const sig of ['-HUP', 'rtmin+3', 'RTMAX-1', '9']) {
    assert.match(s.run(['kill', '-s', sig, 'nosuchcontainer']).stderr, /no such container/, sig);
  }
});

test('usage rules podman\'s help test checks: no command, --all with --latest, --latest with names, fixed argument counts', () => {
  const bare = s.run([]);
  assert.equal(bare.code, 125);
  assert.match(bare.stdout, /^Manage pods, containers and images\n/);
  assert.equal(bare.stderr, "Error: missing command 'pier COMMAND'\n");
  for (const cmd of [['container', 'mount'], ['network', 'reload'], ['stop'], ['pod', 'rm']]) {
    const both = s.run([...cmd, '--all', '--latest']);
    assert.deepEqual([both.code, both.stderr], [125, 'Error: --all and --latest cannot be used together\n'], cmd.join(' '));
  }
  assert.equal(s.run(['network', 'reload', '-l', 'x']).stderr, 'Error: --latest and containers cannot be used together\n');
  assert.equal(s.run(['pod', 'logs', '-l', 'x']).stderr, 'Error: --latest and pods cannot be used together\n');
  // The rest word it as podman 4.3.1 does, per command.
  for (const cmd of [['pod', 'rm'], ['pod', 'stop'], ['pod', 'kill']]) {
    assert.equal(s.run([...cmd, '-l', 'x']).stderr, 'Error: --latest and containers cannot be used together\n', cmd.join(' '));
    assert.equal(s.run([...cmd, '-a', 'x']).stderr, 'Error: no arguments are needed with --all\n', cmd.join(' '));
  }
  for (const cmd of [['inspect'], ['container', 'inspect'], ['pod', 'inspect']]) {
    assert.equal(s.run([...cmd, '-l', 'x']).stderr, 'Error: --latest and arguments cannot be used together\n', cmd.join(' '));
  }
  for (const flags of [['-l', 'x'], ['-a', 'x'], ['-a', '-l']]) {
    assert.equal(s.run(['pod', 'stats', ...flags]).stderr, 'Error: --all, --latest and arguments cannot be used together\n', flags.join(' '));
  }
  assert.equal(s.run(['pod', 'logs', 'x0', 'x1']).stderr, 'Error: accepts at most 1 arg(s), received 2\n');
  assert.equal(s.run(['port', 'x0', 'x1', 'x2']).stderr, 'Error: `port` accepts at most 2 arguments\n');
  // Groups read `[command]`; "[options]" only where an Options section follows.
  assert.match(s.ok(['healthcheck', '--help']), /^Usage:\n  pier healthcheck \[command\]$/m);
  const hc = s.ok(['healthcheck', 'run', '--help']);
  assert.match(hc, /^Usage:\n  pier healthcheck run CONTAINER$/m);
  assert.doesNotMatch(hc, /Options:/);
});

test('info reports what podman\'s does (distribution, log driver, graph status, sockets...) in go-yaml\'s layout; --volumepath moves volumes', () => {
  const info = JSON.parse(s.ok(['info', '--format', 'json']));
  const osr = fs.readFileSync('/etc/os-release', 'utf8');
  assert.equal(info.host.distribution.distribution, /^ID=(.*)$/m.exec(osr)![1].replace(/"/g, ''));
  assert.equal(info.host.logDriver, 'k8s-file');
  assert.equal(info.host.networkBackend, 'netavark');
  assert.deepEqual(info.host.idMappings, { gidmap: null, uidmap: null });
  assert.match(info.host.uptime, /^\d+h \d+m \d+\.00s \(Approximately \d+\.\d\d days\)$/);
  assert.ok(info.host.cgroupControllers.includes('memory'));
  assert.ok(info.store.graphRootAllocated > 0 && info.store.graphRootUsed > 0);
  assert.deepEqual(info.store.graphOptions, {});
  // JSON in the order of podman's structs (its YAML sorts the keys); pier is no Go program and has no buildah.
  assert.deepEqual(Object.keys(info), ['host', 'store', 'registries', 'plugins', 'version']);
  assert.deepEqual(Object.keys(info.version), ['APIVersion', 'Version', 'GoVersion', 'NodeVersion', 'GitCommit', 'BuiltTime', 'Built', 'OsArch', 'Os']);
  assert.deepEqual(Object.keys(info.host).slice(0, 4), ['arch', 'buildahVersion', 'cgroupManager', 'cgroupVersion']);
  assert.deepEqual(Object.keys(info.host.cpuUtilization), ['userPercent', 'systemPercent', 'idlePercent']);
  assert.deepEqual([info.host.buildahVersion, info.host.linkmode, info.version.GoVersion, info.version.NodeVersion], ['', 'dynamic', '', process.version]);
  assert.equal(s.ok(['info', '--format', '{{.Host.Linkmode}} {{.Version.GoVersion}}.']), 'dynamic .\n');
  const yaml = s.ok(['info']);
  assert.match(yaml, /^host:\n {2}arch: \S+\n {2}buildahVersion: ""\n {2}cgroupControllers:\n/);
  assert.match(yaml, /\n {2}cpuUtilization:\n(?: {4}.*\n){3} {2}cpus: /);
  assert.match(yaml, /\nversion:\n {2}APIVersion: 4\.3\.1\n {2}Built: 0\n(?:.*\n)*\n$/, 'sorted; a blank line last, as podman\'s');
  assert.match(yaml, /^ {2}cgroupControllers:\n {2}- /m, 'sequences at their key\'s indent');
  assert.match(yaml, /^ {2}distribution:\n(?: {4}.*\n)* {4}version: "\d+"$/m, 'a numeric-looking string is quoted');
  assert.match(yaml, /^ {4}version: 'conmon version [^']*, commit: [^']*'$/m, 'a string with ": " is single-quoted');
  assert.match(yaml, /^registries: \{\}$/m);
  const vols = path.join(s.dir, 'elsewhere');
  s.ok(['--volumepath', vols, 'volume', 'create', 'movedvol']);
  assert.ok(fs.existsSync(path.join(vols, 'movedvol')));
  assert.match(s.ok(['--volumepath', vols, 'volume', 'ls', '-q']), /^movedvol$/m);
  assert.doesNotMatch(s.ok(['volume', 'ls', '-q']), /movedvol/);
  assert.equal(s.ok(['--volumepath', vols, 'info', '--format', '{{.Store.VolumePath}}']).trim(), vols);
  s.ok(['--volumepath', vols, 'volume', 'rm', 'movedvol']);
});

test('--log-level and -D/--debug as podman: bad level or both flags exit 1 with one line; levels filter logrus lines; --remote hidden once remote', () => {
  const bad = s.run(['--log-level=telepathic', 'info']);
  assert.deepEqual([bad.code, bad.stdout, bad.stderr], [1, '', 'Log Level "telepathic" is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic\n']);
  const both = s.run(['--debug', '--log-level=panic', 'info']);
  assert.deepEqual([both.code, both.stderr], [1, 'Setting --log-level and --debug is not allowed\n']);
  const levels = (lvl: string[]) => new Set([...s.run([...lvl, 'ps']).stderr.matchAll(/ level=(\w+) /g)].map((m) => m[1]));
  assert.deepEqual([...levels(['--log-level=trace'])].sort(), ['debug', 'info', 'trace']);
  assert.deepEqual([...levels(['--log-level=info'])], ['info']);
  assert.deepEqual([...levels(['-D'])].sort(), ['debug', 'info']);
  assert.equal(levels(['--log-level=warning']).size, 0);
  assert.match(s.ok(['--help']), / --remote /);
  assert.doesNotMatch(s.ok(['--url', 'unix:///nowhere.sock', '--help']), / --remote /);
  assert.doesNotMatch(s.ok(['--help'], { env: { ...process.env, CONTAINER_HOST: 'unix:///nowhere.sock' } }), / --remote /);
});

test('the help command, and the root help lists commands sorted, hidden ones left out (as podman)', () => {
  const rootHelp = s.ok(['--help']);
  const listed = rootHelp.split('Available Commands:\n')[1].split('\n\n')[0].split('\n').map((l) => l.trim().split(/\s+/)[0]);
  assert.deepEqual(listed, [...listed].sort());
  assert.ok(listed.includes('help') && listed.includes('run') && listed.includes('volume'));
  assert.ok(!listed.includes('buildx') && !listed.includes('completion'), 'buildx and completion work but are not listed');
  assert.equal(s.ok(['help']), rootHelp);
  assert.equal(s.ok(['help', 'run']), s.ok(['run', '--help']));
  assert.equal(s.ok(['help', 'container', 'nosuch']), s.ok(['container', '--help']), 'words after the deepest command are ignored');
  const u = s.run(['help', 'nosuch']);
  assert.equal(u.code, 0);
  assert.equal(u.stdout, '');
  assert.match(u.stderr, /^Unknown help topic \[`nosuch`\]\nUsage:\n  pier \[options\] \[command\]\n/);
  assert.match(s.ok(['buildx', '--help']), /^Build images/);
});

test('a late `container cleanup` on a removed store does not create it again', () => {
  const root = path.join(s.dir, 'gone-root');
  const runroot = path.join(s.dir, 'gone-run');
  const r = spawnSync(process.execPath, [PIER, '--root', root, '--runroot', runroot, 'container', 'cleanup', 'a'.repeat(64)], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.existsSync(root), false);
});

test('__complete / __completeNoDesc: cobra\'s protocol for subcommands, flags and --format values', () => {
  const r = s.run(['__complete', 'volume', '']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[lines.length - 1], ':4');
  assert.ok(lines.includes('ls\tList volumes'), r.stdout);
  assert.equal(r.stderr, 'Completion ended with directive: ShellCompDirectiveNoFileComp\n');
  assert.equal(s.ok(['__completeNoDesc', 'volume', 'l']), 'ls\n:4\n');
  assert.equal(s.ok(['__complete', 'ps', '--fo']), '--format\tPretty-print containers to JSON or using a Go template\n:4\n');
  // --format: podman's template fields for the command's type (a struct ends in '.'), json, fixed words.
  const ps = s.run(['__completeNoDesc', 'ps', '--format', '{{.Na']);
  assert.equal(ps.stdout, '{{.Names}}\n{{.Namespaces.\n:6\n');
  assert.equal(ps.stderr, 'Completion ended with directive: ShellCompDirectiveNoSpace, ShellCompDirectiveNoFileComp\n');
  assert.equal(s.ok(['__completeNoDesc', 'ps', '--format={{ .ID }} {{.Sta']), '{{ .ID }} {{.State}}\n{{ .ID }} {{.Status}}\n{{ .ID }} {{.StartedAt}}\n:6\n');
  assert.equal(s.ok(['__completeNoDesc', 'container', 'inspect', '--format', '{{.Sta']), '{{.State.\n{{.StaticDir}}\n:6\n');
  assert.equal(s.ok(['__completeNoDesc', 'volume', 'ls', '--format', 'j']), 'json\n:4\n');
  assert.equal(s.ok(['__completeNoDesc', 'diff', '--format', '{{.']), ':4\n');
  assert.equal(s.ok(['__completeNoDesc', 'inspect', '--format', '']), ':4\n');
  assert.equal(s.ok(['__completeNoDesc', 'commit', '--format', '']), 'oci\ndocker\n:4\n');
  assert.equal(s.ok(['__completeNoDesc', 'version', '--format', '{{.']), '{{.Client.\n{{.Server.\n:6\n');
  // Global options before it, and words it does not know, are fine.
  assert.equal(s.ok(['--log-level', 'error', '__completeNoDesc', 'images', '--format', '{{.Repo']), '{{.Repository}}\n{{.RepoTags}}\n{{.RepoDigests}}\n:6\n');
  assert.equal(s.ok(['__completeNoDesc', 'run', '--rm', 'busybox', '']), ':0\n');
  // Hidden: not in help.
  assert.doesNotMatch(s.ok(['--help']), /__complete/);
});

test('every command whose --format completes to Go template fields takes {{"\\n"}} (podman\'s 610-format check)', () => {
  const { formatCompletion } = require('../../src/cli/complete') as typeof import('../../src/cli/complete');
  const { rootCommand } = require('../../src/cli/commands/root') as typeof import('../../src/cli/commands/root');
  const { loadAll } = require('../../src/cli/parser') as typeof import('../../src/cli/parser');
  // Each path with a template type is a real command with a --format flag.
  const root = loadAll(rootCommand());
  const templated: string[] = [];
  const walk = (c: import('../../src/cli/parser').CommandDef, p: string[]) => {
    for (const sub of c.subcommands ?? []) {
      const path = [...p, sub.name];
      const fc = formatCompletion(path.join(' '));
      if (fc) assert.ok(sub.flags?.some((f) => f.name === 'format'), `${path.join(' ')} has no --format`);
      if (fc && typeof fc === 'object' && 'fields' in fc) templated.push(path.join(' '));
      walk(sub, path);
    }
  };
  walk(root, []);
  assert.ok(templated.length >= 25, templated.join(', '));
  // Commands that run without a container, image or network: only newlines come out, exit 0.
  for (const cmd of [['info'], ['system', 'info'], ['version'], ['events', '--stream=false'], ['images'], ['ps', '-a'], ['volume', 'ls'],
    ['network', 'ls'], ['pod', 'ps'], ['secret', 'ls'], ['system', 'connection', 'list'], ['volume', 'inspect', '-a']]) {
    const r = s.run([...cmd, '--format', '{{"\\n"}}']);
    assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^\n*$/, `${cmd.join(' ')}: ${JSON.stringify(r.stdout)}`);
    assert.equal(r.stderr, '', cmd.join(' '));
  }
});

test('info and version --format as podman 4.3: template names, unparsable normalized formats, JSON layout, the .Server fallback', () => {
  // {{"\n"}} does not parse once \n is a newline: the format is used as written, \t staying literal.
  assert.equal(s.ok(['info', '--format', '{{.Host.Arch}}\\t{{"\\n"}}x']), `${s.ok(['info', '--format', '{{.Host.Arch}}']).trim()}\\t\nx`);
  const bad = s.run(['info', '--format', '{{.Foo']);
  assert.deepEqual([bad.code, bad.stderr], [125, 'Error: template: info:1: unclosed action\n']);
  // JSON: info indented by two spaces, version on one line.
  assert.match(s.ok(['info', '--format', 'json']), /^\{\n {2}"host": \{\n {4}"arch": /);
  const v = s.ok(['version', '--format', 'json']);
  assert.equal(v.split('\n').length, 2);
  assert.equal(JSON.parse(v).Client.APIVersion, '4.3.1');
  // No server locally: podman runs `.Server.X` templates again on the client.
  assert.equal(s.ok(['version', '--format', '{{.Server.APIVersion}}']), '4.3.1\n');
  // ...keeping what the first run printed, and failing on the client as podman does.
  const mixed = s.run(['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}}']);
  assert.equal(mixed.code, 125);
  assert.equal(mixed.stdout, '4.3.1 ');
  assert.equal(mixed.stderr, 'Error: template: version:1:9: executing "version" at <.Client.APIVersion>: can\'t evaluate field Client in type *define.Version\n');
});

test('a template failing while it runs: what it printed before comes out, then the error', () => {
  s.ok(['volume', 'create', 'partial1']);
  try {
    const r = s.run(['volume', 'ls', '--format', '{{.Name}} {{.Nope}}']);
    assert.equal(r.code, 125);
    assert.equal(r.stdout, 'partial1 ');
    assert.match(r.stderr, /^Error: template: .*can't evaluate field Nope in type /);
  } finally {
    s.ok(['volume', 'rm', 'partial1']);
  }
});
