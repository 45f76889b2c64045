// The CLI's container, image, build, pod, volume and secret suites a second time, in remote mode: PIER_TEST_REMOTE=1 makes
// every TestStore start `pier system service` for its own store and run each command with
// `--url unix://...` (tests/helpers/cli.ts), so the same assertions hold for the remote client.
// Each suite file runs in its own node test process; a failure shows that process's report.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { REPO } from '../helpers/cli';

const SUITES = ['tests/containers-cli', 'tests/images-cli', 'tests/build', 'tests/pods', 'tests/volumes', 'tests/secrets'];
/**
 * Terminal tests (tmux: run -it, detach, attach, exec -it through hijacked connections), and
 * `cp` (the remote client's own copy rules over the archive endpoints).
 */
const EXTRA = ['tests/containers/tty.test.ts', 'tests/container-files/cp.test.ts'];

// No test is excluded from the remote run: the few remote-only differences (load prints no copy
// progress, as podman-remote) are asserted in place under REMOTE.

function files(): string[] {
  return [...SUITES.flatMap((d) => fs.readdirSync(path.join(REPO, d)).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(d, f))).sort(), ...EXTRA];
}

function runSuite(file: string): Promise<{ code: number; out: string }> {
  const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=tap', file];
  return new Promise((resolve) => {
    // NODE_TEST_CONTEXT would make the inner runner report to this one instead of running.
    const env: NodeJS.ProcessEnv = { ...process.env, PIER_TEST_REMOTE: '1' };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, args, { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

// Two suite files at a time (each runs its own tests two at a time).
describe('the CLI suites in remote mode', { concurrency: 2 }, () => {
  for (const file of files()) {
    test(`remote mode: ${file}`, { timeout: 15 * 60_000 }, async () => {
      const r = await runSuite(file);
      const failures = r.out.split('\n').filter((l) => /^\s*not ok /.test(l));
      assert.match(r.out, /^# pass [1-9]/m, `no test ran in ${file}:\n${r.out.slice(-4000)}`);
      assert.equal(r.code, 0, `${file} failed in remote mode:\n${failures.join('\n')}\n\n${r.out.slice(-8000)}`);
    });
  }
});
