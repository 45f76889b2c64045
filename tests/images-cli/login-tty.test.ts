// `login` on a terminal: prompts for the username, then reads the password without echoing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { TestStore, PIER } from '../helpers/cli';
import { startRegistry } from '../fixtures/registry';

test('login prompts on a terminal and hides the typed password', { timeout: 90_000 }, async () => {
  const reg = await startRegistry({ auth: 'basic' });
  const s = new TestStore();
  const sock = `pier-login-${process.pid}`;
  const tmux = (...a: string[]) => spawnSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
  const screen = () => tmux('capture-pane', '-p', '-t', 'l').stdout;
  const waitFor = async (re: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !re.test(screen())) await new Promise((r) => setTimeout(r, 100));
    assert.match(screen(), re);
  };
  try {
    const q = (x: string) => `'${x}'`;
    const cmd = `env NODE_EXTRA_CA_CERTS= REGISTRY_AUTH_FILE=${s.authfile} ${process.execPath} ${PIER} ${s.globalArgs().map(q).join(' ')} login --tls-verify=false ${reg.host}; echo LOGIN-EXIT=$?; sleep 30`;
    assert.equal(tmux('new-session', '-d', '-s', 'l', '-x', '120', '-y', '20', cmd).status, 0);
    await waitFor(/Username:/);
    tmux('send-keys', '-t', 'l', reg.username!, 'Enter');
    await waitFor(/Password:/);
    // A typo corrected with backspace must not end up in the password.
    tmux('send-keys', '-t', 'l', '-l', reg.password! + 'x');
    tmux('send-keys', '-t', 'l', 'BSpace', 'Enter');
    await waitFor(/LOGIN-EXIT=\d/);
    const out = screen();
    assert.match(out, /Login Succeeded!/);
    assert.match(out, /LOGIN-EXIT=0/);
    assert.equal(out.includes(reg.password!), false, 'the password is not echoed');
    assert.ok(fs.readFileSync(s.authfile, 'utf8').includes(reg.host));
  } finally {
    tmux('kill-server');
    s.cleanup();
    await reg.stop();
  }
});
