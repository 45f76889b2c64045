// `docker run -it` and `docker exec -it` through pier's socket, in a real terminal (tmux).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { TestStore } from '../helpers/cli';
import { Service, closeService, openService, startService } from '../helpers/api';

let s: TestStore;
let svc: Service;

before(async () => ({ store: s, svc: svc } = await openService()));
after(() => closeService(s, svc));

test('docker run -it: an interactive shell with a terminal, resize and the exit code', { timeout: 90_000 }, async () => {
  const sock = `pier-dtty-${process.pid}`;
  const tmux = (...a: string[]) => spawnSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 't').stdout;
  const waitFor = async (re: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !re.test(screen())) await new Promise((r) => setTimeout(r, 100));
    assert.match(screen(), re);
  };
  try {
    const cmd = `env DOCKER_HOST=unix://${svc.socket} docker run -it --rm --network none localhost/busybox sh; echo DOCKER-EXIT=$?; sleep 30`;
    assert.equal(tmux('new-session', '-d', '-s', 't', '-x', '100', '-y', '30', cmd).status, 0);
    await waitFor(/\/ #/);
    tmux('send-keys', '-t', 't', 'echo tty-$((20+22)); tty; stty size', 'Enter');
    await waitFor(/tty-42/);
    await waitFor(/\/dev\/pts\/\d+/);
    await waitFor(/^30 100$/m);
    tmux('send-keys', '-t', 't', 'exit 3', 'Enter');
    await waitFor(/DOCKER-EXIT=\d+/);
    assert.match(screen(), /DOCKER-EXIT=3/);
  } finally {
    tmux('kill-server');
  }
  for (let i = 0; i < 50 && s.ok(['ps', '-a', '-q']) !== ''; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.ok(['ps', '-a', '-q']), '', 'the --rm container is gone');
});
