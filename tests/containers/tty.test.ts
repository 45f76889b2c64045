// `run -it` through a real terminal (tmux): a tty in the container, resize, detach with
// ctrl-p ctrl-q leaving it running, and `attach` reconnecting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TestStore, PIER, busyboxStore } from '../helpers/cli';

let s: TestStore;
const sock = `pier-test-${randomBytes(4).toString('hex')}`;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function screen(target: string): string {
  return tmux('capture-pane', '-p', '-t', target);
}

async function waitFor(target: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen(target);
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} on screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pierCmd(args: string): string {
  const q = (x: string) => `'${x}'`;
  return `env NODE_EXTRA_CA_CERTS= ${process.execPath} ${PIER} ${s.globalArgs().map(q).join(' ')} ${args}`;
}

before(async () => {
  s = await busyboxStore();
});
after(() => {
  spawnSync('tmux', ['-L', sock, 'kill-server']);
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

test('run -it: a real terminal, resize, detach and attach', async () => {
  tmux('new-session', '-d', '-s', 'run', '-x', '80', '-y', '24', `${pierCmd('run -it --name tty1 --network none localhost/busybox sh')}; echo RUN-EXIT=$?; sleep 60`);
  await waitFor("run", /\/ # ?$/m);
  tmux('send-keys', '-t', 'run', 'tty; stty size; echo sum=$((40+2))', 'Enter');
  const out = await waitFor('run', /sum=42/);
  assert.match(out, /\/dev\/pts\/\d+/);
  assert.match(out, /^24 80\s*$/m);
  tmux('resize-window', '-t', 'run', '-x', '100', '-y', '30');
  await new Promise((r) => setTimeout(r, 300));
  tmux('send-keys', '-t', 'run', 'clear; stty size', 'Enter');
  await waitFor('run', /^30 100\s*$/m);
  // Detach: the pier process ends, the container keeps running.
  tmux('send-keys', '-t', 'run', 'C-p', 'C-q');
  await waitFor('run', /RUN-EXIT=0/);
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'tty1']).trim(), 'running');
  // Reattach and leave with an exit code.
  tmux('new-session', '-d', '-s', 'att', '-x', '80', '-y', '24', `${pierCmd('attach tty1')}; echo ATTACH-EXIT=$?; sleep 60`);
  await new Promise((r) => setTimeout(r, 500));
  tmux('send-keys', '-t', 'att', 'echo back-$((2*3))', 'Enter');
  await waitFor('att', /back-6/);
  tmux('send-keys', '-t', 'att', 'exit 5', 'Enter');
  await waitFor('att', /ATTACH-EXIT=5/);
  const deadline = Date.now() + 10_000;
  let st = '';
  while (Date.now() < deadline && (st = s.ok(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', 'tty1']).trim()) !== 'exited 5') {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(st, 'exited 5');
});

test('exec -it: a terminal of the pane\'s size, input, resize and the exit code; exec -i without -t reads stdin', async () => {
  s.ok(['run', '-d', '--name', 'ttyexec', '--network', 'none', 'localhost/busybox', 'sleep', '300']);
  tmux('new-session', '-d', '-s', 'ex', '-x', '90', '-y', '20', `${pierCmd('exec -it ttyexec sh')}; echo EXEC-EXIT=$?; sleep 60`);
  await waitFor('ex', /\/ # ?$/m);
  tmux('send-keys', '-t', 'ex', 'tty; stty size; echo prod=$((6*7))', 'Enter');
  const out = await waitFor('ex', /prod=42/);
  assert.match(out, /\/dev\/pts\/\d+/);
  assert.match(out, /^20 90\s*$/m);
  tmux('resize-window', '-t', 'ex', '-x', '70', '-y', '15');
  await new Promise((r) => setTimeout(r, 300));
  tmux('send-keys', '-t', 'ex', 'clear; stty size', 'Enter');
  await waitFor('ex', /^15 70\s*$/m);
  tmux('send-keys', '-t', 'ex', 'exit 7', 'Enter');
  await waitFor('ex', /EXEC-EXIT=7/);
  const piped = s.run(['exec', '-i', 'ttyexec', 'sh', '-c', 'tr a-z A-Z; exit 3'], { input: 'piped input\n' });
  assert.equal(piped.stdout, 'PIPED INPUT\n');
  assert.equal(piped.code, 3);
});

test('the container terminal takes the size of the terminal on stdin (stdout piped), before the command runs; run -it without a terminal warns', async () => {
  // stdin is the tmux pane's terminal, stdout a pipe: the size comes from stdin, as podman's.
  tmux('new-session', '-d', '-s', 'sz', '-x', '90', '-y', '27',
    `for i in 1 2 3; do ${pierCmd('run -it --rm --network none localhost/busybox busybox stty size')} | tr -d '\\r' | sed 's/^/size=/'; done; echo SZ-EXIT=$?; sleep 60`);
  const out = await waitFor('sz', /SZ-EXIT=0/);
  assert.deepEqual(out.split('\n').filter((l) => l.startsWith('size=')), ['size=27 90', 'size=27 90', 'size=27 90']);
  tmux('new-session', '-d', '-s', 'szex', '-x', '70', '-y', '21', `${pierCmd('run -d --name tty-sz --network none localhost/busybox sleep 60')} >/dev/null; ` +
    `${pierCmd('exec -it tty-sz busybox stty size')} | tr -d '\\r' | sed 's/^/size=/'; echo EX-EXIT=$?; sleep 60`);
  const ex = await waitFor('szex', /EX-EXIT=0/);
  assert.match(ex, /^size=21 70$/m);
  s.ok(['rm', '-f', '-t', '0', 'tty-sz']);
  // No terminal on stdin: podman's warning, and the command still runs.
  const r = s.run(['run', '-t', '-i', '--rm', '--network', 'none', 'localhost/busybox', 'echo', 'hello']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.replace(/\r/g, ''), 'hello\n');
  assert.match(r.stderr, /level=warning msg="The input device is not a TTY. The --tty and --interactive flags might not work properly"/);
});
