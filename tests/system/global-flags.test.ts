// podman's global flags for the network helpers and logging: --network-config-dir,
// --network-cmd-path, --ssh and --syslog, and the flags the exit command passes on to the cleanup.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { TestStore, busyboxStoreForFile } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((x) => { s = x; });

/** The exit command conmon holds for a running container (its --exit-command-arg values). */
function exitCommandOf(id: string): string[] {
  const pid = parseInt(fs.readFileSync(path.join(s.runroot, 'containers', id, 'conmon.pid'), 'utf8'), 10);
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return argv.flatMap((a, i) => (a === '--exit-command-arg' ? [argv[i + 1]] : []));
}

test('--network-config-dir keeps network definitions there; the exit command passes it and the engine settings on', () => {
  const dir = path.join(s.dir, 'netconf');
  const g = ['--network-config-dir', dir];
  s.ok([...g, 'network', 'create', 'gfnet']);
  assert.ok(fs.existsSync(path.join(dir, 'gfnet.json')));
  assert.doesNotMatch(s.ok(['network', 'ls', '--format', '{{.Name}}']), /gfnet/, 'not in the default dir');
  assert.match(s.ok([...g, 'network', 'ls', '--format', '{{.Name}}']), /^gfnet$/m);
  const vols = path.join(s.dir, 'vols');
  const id = s.ok([...g, '--events-backend', 'file', '--cgroup-manager', 'cgroupfs', '--volumepath', vols,
    'run', '-d', '--network', 'gfnet', 'localhost/busybox', 'sleep', '60']).trim();
  const cmd = exitCommandOf(id).join(' ');
  for (const want of [`--network-config-dir ${dir}`, '--events-backend file', '--cgroup-manager cgroupfs', `--volumepath ${vols}`]) {
    assert.ok(cmd.includes(want), `exit command has ${want}: ${cmd}`);
  }
  assert.ok(cmd.endsWith(`container cleanup ${id}`), cmd);
  s.ok([...g, 'rm', '-f', '-t', '0', id]);
  s.ok([...g, 'network', 'rm', 'gfnet']);
});

test('--network-cmd-path names the slirp4netns to run, used as given', () => {
  const missing = s.run(['--network-cmd-path', path.join(s.dir, 'no-slirp'), 'run', '--rm', '--network', 'slirp4netns', 'localhost/busybox', 'true']);
  assert.equal(missing.code, 127);
  assert.equal(missing.stderr, `Error: failed to start slirp4netns process: fork/exec ${path.join(s.dir, 'no-slirp')}: no such file or directory\n`);
  // A wrapper that records its start, then runs the real one.
  const marker = path.join(s.dir, 'slirp-ran');
  const wrapper = path.join(s.dir, 'my-slirp');
  fs.writeFileSync(wrapper, `#!/bin/sh\necho ran > ${marker}\nexec /usr/bin/slirp4netns "$@"\n`, { mode: 0o755 });
  s.ok(['--network-cmd-path', wrapper, 'run', '--rm', '--network', 'slirp4netns', 'localhost/busybox', 'true']);
  assert.equal(fs.readFileSync(marker, 'utf8'), 'ran\n');
  assert.equal(s.ok(['--network-cmd-path', wrapper, 'info', '--format', '{{.Host.Slirp4NetNS.Executable}}']).trim(), wrapper);
});

test('--ssh takes either mode; --syslog needs a syslog socket (podman\'s failure, exit 1, when there is none)', () => {
  for (const mode of ['golang', 'native']) assert.equal(s.run(['--ssh', mode, 'ps', '-q']).code, 0);
  const haveSyslog = ['/dev/log', '/var/run/syslog', '/var/run/log'].some((f) => { try { return fs.statSync(f).isSocket(); } catch { return false; } });
  const r = s.run(['--syslog', 'ps', '-q']);
  if (haveSyslog) assert.equal(r.code, 0);
  else assert.deepEqual([r.code, r.stdout, r.stderr], [1, '', 'Failed to initialize syslog hook: Unix syslog delivery error\n']);
});

test('--syslog: each logged line also goes to the syslog socket, with its severity', async () => {
  // A unix datagram listener (node has none): python3, which node-gyp needs and setup installs.
  const sock = path.join(s.dir, 'syslog.sock');
  const out = path.join(s.dir, 'syslog.out');
  const py = spawn('python3', ['-c', `import socket,sys
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM); s.bind(sys.argv[1]); print('ready',flush=True)
with open(sys.argv[2],'wb') as f:
  while True:
    d=s.recv(65536); f.write(d); f.flush()`, sock, out], { stdio: ['ignore', 'pipe', 'inherit'] });
  after(() => py.kill());
  await new Promise<void>((resolve) => py.stdout.once('data', () => resolve()));
  const { enableSyslog, log, setLogLevel } = await import('../../src/util/log');
  assert.throws(() => enableSyslog([path.join(s.dir, 'none.sock')]), /^Error: Unix syslog delivery error$/);
  enableSyslog([sock]);
  setLogLevel('warn');
  log.warn('disk "x" is nearly full');
  log.info('not at this level');
  log.error('it broke');
  for (let i = 0; i < 100 && !(fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('it broke')); i++) await new Promise((r) => setTimeout(r, 20));
  const lines = fs.readFileSync(out, 'utf8').split(/(?=<\d+>)/);
  assert.equal(lines.length, 2);
  assert.match(lines[0], new RegExp(`^<12>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d pier\\[${process.pid}\\]: time="[^"]+" level=warning msg="disk \\\\"x\\\\" is nearly full"\\n$`));
  assert.match(lines[1], /^<11>.* level=error msg="it broke"\n$/);
});
