// --sdnotify and NOTIFY_SOCKET as podman 4.3.1 handles them (engine/sdnotify.ts), checked on
// real unix datagram sockets, as systemd's is: a listener stands in for systemd; the container
// side sends through a small static sender built here (busybox cannot send a unix datagram).
// The NOTIFY_SOCKET is the pier process's own, so every command here runs pier locally (the
// store's local options, also under PIER_TEST_REMOTE).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { busyboxStoreForFile, PIER, TestStore, type Result } from '../helpers/cli';
import { NotifyListener } from '../helpers/notify';

let s: TestStore;
busyboxStoreForFile((x) => (s = x));

/** `pier ARGS` on the store, locally, with `env` added (NOTIFY_SOCKET: undefined leaves it out). */
function pier(args: string[], env: NodeJS.ProcessEnv = {}): Result {
  const r = spawnSync(process.execPath, [PIER, ...s.localArgs(), ...args], { env: s.env({ NOTIFY_SOCKET: undefined, ...env }), timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
function ok(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = pier(args, env);
  assert.equal(r.code, 0, `pier ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const conmonPid = (c: string) => Number(ok(['inspect', '--format', '{{.State.ConmonPid}}', c]).trim());
const conmonArgs = (c: string) => fs.readFileSync(`/proc/${conmonPid(c)}/cmdline`, 'utf8').split('\0');

/** A listener for test `t`, closed when it ends. */
async function listen(t: TestContext, name: string): Promise<NotifyListener> {
  const l = new NotifyListener(name.startsWith('@') ? name : path.join(s.dir, name), s.dir);
  t.after(() => l.close());
  return l.ready();
}

/** A static `sdsend SOCKET MESSAGE` for the containers (one sendto(2) of a datagram), built here. */
function buildSdsend(): string {
  const src = path.join(s.dir, 'sdsend.c');
  const sdsend = path.join(s.dir, 'sdsend');
  fs.writeFileSync(src, [
    '#include <string.h>', '#include <stdio.h>', '#include <sys/socket.h>', '#include <sys/un.h>',
    'int main(int argc, char **argv) {',
    '  struct sockaddr_un a = { .sun_family = AF_UNIX };',
    '  if (argc != 3) return 2;',
    '  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);',
    '  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);',
    '  if (fd < 0 || sendto(fd, argv[2], strlen(argv[2]), 0, (struct sockaddr *)&a, sizeof a) < 0) { perror("sendto"); return 1; }',
    '  return 0;',
    '}',
  ].join('\n'));
  const r = spawnSync('cc', ['-static', '-Os', '-o', sdsend, src], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return sdsend;
}

test('--sdnotify=conmon: MAINPID=<conmon pid> and READY=1 once it runs; the container gets no NOTIFY_SOCKET', async (t) => {
  const l = await listen(t, 'conmon.sock');
  ok(['run', '-d', '--name', 'n-conmon', '--sdnotify=conmon', 'localhost/busybox', 'sh', '-c', 'env; ls /run; sleep 1000'], { NOTIFY_SOCKET: l.address });
  assert.deepEqual(await l.wait(1), [`MAINPID=${conmonPid('n-conmon')}\nREADY=1`]);
  assert.equal(ok(['inspect', '--format', '{{.Config.SdNotifyMode}} {{.Config.SdNotifySocket}}', 'n-conmon']).trim(), `conmon ${l.address}`);
  assert.equal(JSON.parse(ok(['inspect', 'n-conmon']))[0].Config.sdNotifySocket, l.address);
  const out = ok(['logs', 'n-conmon']);
  assert.doesNotMatch(out, /NOTIFY_SOCKET|notify/);
  assert.ok(!conmonArgs('n-conmon').some((a) => a.startsWith('--sdnotify-socket')));
  // The recorded socket is told again at every start: restart, then stop and start with none set.
  ok(['restart', '-t', '0', 'n-conmon']);
  assert.deepEqual((await l.wait(2))[1], `MAINPID=${conmonPid('n-conmon')}\nREADY=1`);
  ok(['stop', '-t', '0', 'n-conmon']);
  ok(['start', 'n-conmon']);
  assert.deepEqual((await l.wait(3))[2], `MAINPID=${conmonPid('n-conmon')}\nREADY=1`);
  ok(['rm', '-f', '-t', '0', 'n-conmon']);
});

test('a restart policy\'s restart tells the recorded socket too (from the cleanup conmon runs, which has no NOTIFY_SOCKET)', async (t) => {
  const l = await listen(t, 'policy.sock');
  ok(['run', '-d', '--name', 'n-policy', '--restart', 'on-failure:1', '--sdnotify=conmon', 'localhost/busybox', 'sh', '-c', 'sleep 0.3; exit 3'], { NOTIFY_SOCKET: l.address });
  const got = await l.wait(2);
  for (const m of got) assert.match(m, /^MAINPID=\d+\nREADY=1$/);
  assert.notEqual(got[0], got[1]);
  ok(['rm', '-f', '-t', '0', 'n-policy']);
});

test('an abstract NOTIFY_SOCKET (@name) works as a path does', async (t) => {
  const l = await listen(t, `@pier-test-sdnotify-${process.pid}`);
  ok(['run', '-d', '--name', 'n-abstract', '--sdnotify=conmon', 'localhost/busybox', 'sleep', '1000'], { NOTIFY_SOCKET: l.address });
  assert.deepEqual(await l.wait(1), [`MAINPID=${conmonPid('n-abstract')}\nREADY=1`]);
  ok(['rm', '-f', '-t', '0', 'n-abstract']);
});

test('--sdnotify=container (the default): conmon relays the container\'s READY=1 and WATCHDOG=1; pier sends MAINPID', async (t) => {
  const l = await listen(t, 'container.sock');
  const sdsend = buildSdsend();
  // The container waits for /tmp/go (touched below, after MAINPID came) before it notifies.
  ok(['run', '-d', '--name', 'n-ctr', '-v', `${sdsend}:/usr/bin/sdsend:ro`, 'localhost/busybox', 'sh', '-c',
    'env; ls /run/notify; until [ -e /tmp/go ]; do sleep 0.05; done; sdsend "$NOTIFY_SOCKET" "STATUS=up\nREADY=1"; sdsend "$NOTIFY_SOCKET" X=1; sdsend "$NOTIFY_SOCKET" WATCHDOG=1; sleep 1000'],
  { NOTIFY_SOCKET: l.address });
  assert.deepEqual(await l.wait(1), [`MAINPID=${conmonPid('n-ctr')}`]);
  ok(['exec', 'n-ctr', 'touch', '/tmp/go']);
  // conmon passes READY=1 and WATCHDOG=1 on (alone), nothing else.
  assert.deepEqual((await l.wait(3)).slice(1), ['READY=1', 'WATCHDOG=1']);
  const logs = ok(['logs', 'n-ctr']);
  assert.match(logs, /^NOTIFY_SOCKET=\/run\/notify\/notify\.sock$/m);
  assert.match(logs, /^notify\.sock$/m);
  assert.ok(conmonArgs('n-ctr').includes(`--sdnotify-socket=${l.address}`));
  const info = JSON.parse(ok(['inspect', 'n-ctr']))[0];
  assert.equal(info.Config.sdNotifyMode, 'container');
  assert.equal(info.Config.sdNotifySocket, l.address);
  assert.ok(info.Config.Env.includes('NOTIFY_SOCKET=/run/notify/notify.sock'));
  // Not a mount of the container's own (podman lists none), and exec gets no NOTIFY_SOCKET.
  assert.deepEqual(info.Mounts.filter((m: { Destination: string }) => m.Destination !== '/usr/bin/sdsend'), []);
  assert.doesNotMatch(ok(['exec', 'n-ctr', 'env']), /NOTIFY_SOCKET/);
  // A restart (without NOTIFY_SOCKET): MAINPID of the new conmon to the recorded socket, whose new proxy relays again.
  ok(['restart', '-t', '0', 'n-ctr']);
  // (/tmp/go is still there: the container notifies at once.)
  const again = (await l.wait(6)).slice(3);
  assert.deepEqual(again.sort(), [`MAINPID=${conmonPid('n-ctr')}`, 'READY=1', 'WATCHDOG=1'].sort());
  ok(['rm', '-f', '-t', '0', 'n-ctr']);
});

test('--sdnotify=ignore: nothing is sent, the container sees no NOTIFY_SOCKET', async (t) => {
  const l = await listen(t, 'ignore.sock');
  ok(['run', '-d', '--name', 'n-ignore', '--sdnotify=ignore', 'localhost/busybox', 'sh', '-c', 'env; ls /run; sleep 1000'], { NOTIFY_SOCKET: l.address });
  // What the socket gets next is a later container's: nothing came from this one.
  ok(['run', '-d', '--name', 'n-after', '--sdnotify=conmon', 'localhost/busybox', 'sleep', '1000'], { NOTIFY_SOCKET: l.address });
  assert.deepEqual(await l.wait(1), [`MAINPID=${conmonPid('n-after')}\nREADY=1`]);
  assert.doesNotMatch(ok(['logs', 'n-ignore']), /NOTIFY_SOCKET|notify/);
  assert.equal(JSON.parse(ok(['inspect', 'n-ignore']))[0].Config.sdNotifySocket, undefined);
  assert.ok(!conmonArgs('n-ignore').some((a) => a.startsWith('--sdnotify-socket')));
  ok(['rm', '-f', '-t', '0', 'n-ignore', 'n-after']);
});

test('NOTIFY_SOCKET only at start: MAINPID (and READY=1 with conmon) to it, no socket in the container', async (t) => {
  const l = await listen(t, 'later.sock');
  ok(['create', '--name', 'n-later-conmon', '--sdnotify=conmon', 'localhost/busybox', 'sleep', '1000']);
  ok(['create', '--name', 'n-later-ctr', 'localhost/busybox', 'sh', '-c', 'env; sleep 1000']);
  ok(['start', 'n-later-conmon'], { NOTIFY_SOCKET: l.address });
  ok(['start', 'n-later-ctr'], { NOTIFY_SOCKET: l.address });
  assert.deepEqual(await l.wait(2), [`MAINPID=${conmonPid('n-later-conmon')}\nREADY=1`, `MAINPID=${conmonPid('n-later-ctr')}`]);
  assert.doesNotMatch(ok(['logs', 'n-later-ctr']), /NOTIFY_SOCKET/);
  assert.equal(ok(['inspect', '--format', '[{{.Config.SdNotifySocket}}]', 'n-later-ctr']).trim(), '[]');
  ok(['rm', '-f', '-t', '0', 'n-later-conmon', 'n-later-ctr']);
});

test('a socket nobody listens on: podman\'s error line, the container still runs', () => {
  const gone = path.join(s.dir, 'nobody.sock');
  const r = pier(['run', '-d', '--name', 'n-gone', '--sdnotify=conmon', 'localhost/busybox', 'sleep', '1000'], { NOTIFY_SOCKET: gone });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^time="[^"]+" level=error msg="Notifying systemd of Conmon PID: dial unixgram ${gone}: connect: no such file or directory"\n$`));
  assert.equal(ok(['inspect', '--format', '{{.State.Status}}', 'n-gone']).trim(), 'running');
  ok(['rm', '-f', '-t', '0', 'n-gone']);
});

test('without NOTIFY_SOCKET nothing changes: no socket recorded, mounted or given to conmon', () => {
  ok(['run', '-d', '--name', 'n-none', 'localhost/busybox', 'sh', '-c', 'env; ls /run; sleep 1000']);
  assert.doesNotMatch(ok(['logs', 'n-none']), /NOTIFY_SOCKET|notify/);
  assert.equal(JSON.parse(ok(['inspect', 'n-none']))[0].Config.sdNotifySocket, undefined);
  assert.ok(!conmonArgs('n-none').some((a) => a.startsWith('--sdnotify-socket')));
  ok(['rm', '-f', '-t', '0', 'n-none']);
});

test('system service: MAINPID and READY=1 once it listens; the containers it creates get no socket', async (t) => {
  const l = await listen(t, 'service.sock');
  const sock = path.join(s.dir, 'notify-api.sock');
  const child = spawn(process.execPath, [PIER, ...s.localArgs(), 'system', 'service', '--time', '0', `unix://${sock}`],
    { env: s.env({ NOTIFY_SOCKET: l.address }), stdio: 'ignore' });
  try {
    assert.deepEqual(await l.wait(1), [`MAINPID=${child.pid}\nREADY=1`]);
    assert.ok(fs.existsSync(sock));
    ok(['--url', `unix://${sock}`, 'run', '-d', '--name', 'n-api', 'localhost/busybox', 'sleep', '1000']);
    assert.equal(ok(['inspect', '--format', '[{{.Config.SdNotifySocket}}]', 'n-api']).trim(), '[]');
    assert.ok(!conmonArgs('n-api').some((a) => a.startsWith('--sdnotify-socket')));
    assert.equal(l.messages().length, 1);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  ok(['rm', '-f', '-t', '0', 'n-api']);
});
