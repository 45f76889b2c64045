// `pier image scp`: root's image into the store of a user of this host and back (the other
// user's pier started with its credentials), and to and from "another host" reached over a
// local sshd, whose `pier` is a wrapper with a store of its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../fixtures/images';
import { freePort } from '../fixtures/registry';
import { runnablePier } from '../helpers/user-pier';

const USER = 'pier-rootless';
const PIER = runnablePier();

interface Result { code: number; stdout: string; stderr: string }

describe('image scp', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-scp-'));
  const root = ['--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run')];
  const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  // The user's store: its pier (no store flags: they name root's) reads PIER_STORAGE_CONF.
  const userDir = path.join(dir, 'user');
  const conf = path.join(userDir, 'storage.conf');
  const env = { ...process.env, PIER_STORAGE_CONF: conf };
  const pier = (args: string[], extra: NodeJS.ProcessEnv = {}): Result => {
    const r = spawnSync(process.execPath, [PIER, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (args: string[], extra: NodeJS.ProcessEnv = {}) => { const r = pier(args, extra); assert.equal(r.code, 0, r.stderr); return r.stdout; };
  const asUser = (args: string[]) => {
    const r = spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', process.execPath, PIER, ...args],
      { env: { PATH: process.env.PATH, PIER_STORAGE_CONF: conf }, encoding: 'utf8', cwd: '/', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const pauseFile = `/tmp/pier-run-${uid}/pier/pause.pid`;

  before(async () => {
    fs.chmodSync(dir, 0o711);
    fs.mkdirSync(userDir, { mode: 0o700 });
    fs.writeFileSync(conf, `[storage]\ngraphroot = "${userDir}/root"\nrunroot = "${userDir}/run"\n`);
    fs.chownSync(userDir, uid, gid);
    fs.chownSync(conf, uid, gid);
    const archive = path.join(dir, 'busybox.tar');
    await writeDockerArchive(archive, [{ image: await busyboxImage(), repoTags: ['localhost/busybox:latest'] }]);
    ok([...root, 'load', '-q', '-i', archive]);
  });
  after(() => {
    try { asUser(['system', 'reset', '-f']); } catch { /* best effort */ }
    try { process.kill(Number(fs.readFileSync(pauseFile, 'utf8')), 'SIGKILL'); } catch { /* none */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('between root and a user of this host: save as one, load (and tag) as the other', () => {
    const to = pier([...root, 'image', 'scp', 'localhost/busybox', `${USER}@localhost::`]);
    assert.equal(to.code, 0, to.stderr);
    assert.equal(to.stdout, 'Loaded image: localhost/busybox:latest\n');
    assert.match(asUser(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^localhost\/busybox:latest$/m);
    // Back, under a new name: the load's line, then the tag.
    const back = pier([...root, 'image', 'scp', '-q', `${USER}@localhost::localhost/busybox`, 'root@localhost::localhost/back:1']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(back.stdout, 'Loaded image: localhost/busybox:latest\n');
    const ids = ok([...root, 'images', '--format', '{{.ID}}', 'localhost/back:1']);
    assert.equal(ids, ok([...root, 'images', '--format', '{{.ID}}', 'localhost/busybox']));
    // podman's errors, and no archive left behind.
    for (const [args, err] of [
      [['localhost/busybox'], 'Error: must specify a destination: invalid argument'],
      [[`${USER}@localhost::`], 'Error: no source image specified: invalid argument'],
      [[`${USER}@localhost::`, 'root@localhost::'], 'Error: a source image must be specified: invalid argument'],
      [['localhost/busybox', 'nosuchuser9@localhost::'], 'Error: user: unknown user nosuchuser9'],
    ] as const) {
      const r = pier([...root, 'image', 'scp', ...args]);
      assert.deepEqual([r.code, r.stderr.trim()], [125, err]);
    }
    const missing = pier([...root, 'image', 'scp', 'localhost/nope', `${USER}@localhost::`]);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /^Error: localhost\/nope: image not known\nError: exit status 125\n$/);
    assert.deepEqual(fs.readdirSync(os.tmpdir()).filter((f) => /^pier\d+$/.test(f) && fs.statSync(path.join(os.tmpdir(), f)).uid === uid), []);
  });

  test('to and from another host over ssh: the remote pier saves or loads there', async () => {
    const sshDir = path.join(dir, 'ssh');
    fs.mkdirSync(sshDir);
    const sh = (cmd: string, args: string[]) => { const r = spawnSync(cmd, args, { encoding: 'utf8' }); assert.equal(r.status, 0, r.stderr); };
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(sshDir, 'host_key')]);
    sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(sshDir, 'id')]);
    // The "remote" pier: a wrapper on the session's PATH with a store of its own.
    const bin = path.join(sshDir, 'bin');
    fs.mkdirSync(bin);
    const remoteStore = ['--root', path.join(dir, 'remote-root'), '--runroot', path.join(dir, 'remote-run')];
    fs.writeFileSync(path.join(bin, 'pier'), `#!/bin/sh\nexec ${process.execPath} ${PIER} ${remoteStore.join(' ')} "$@"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(sshDir, 'authorized_keys'), `environment="PATH=${bin}:/usr/bin:/bin" ${fs.readFileSync(path.join(sshDir, 'id.pub'), 'utf8')}`, { mode: 0o600 });
    const port = await freePort();
    fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(sshDir, 'sshd_config'), [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${path.join(sshDir, 'host_key')}`, `AuthorizedKeysFile ${path.join(sshDir, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'PermitUserEnvironment yes', 'StrictModes no', 'UsePAM no', `PidFile ${path.join(sshDir, 'sshd.pid')}`, '',
    ].join('\n'));
    const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(sshDir, 'sshd_config')], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !fs.existsSync(path.join(sshDir, 'sshd.pid')); i++) await new Promise((r) => setTimeout(r, 50));
      const xdg = path.join(dir, 'xdg');
      const sshEnv = { XDG_CONFIG_HOME: xdg, PIER_SSH_KNOWN_HOSTS: path.join(sshDir, 'known_hosts') };
      ok(['system', 'connection', 'add', 'far', '--identity', path.join(sshDir, 'id'), `ssh://root@127.0.0.1:${port}/run/none.sock`], sshEnv);
      const to = pier([...root, 'image', 'scp', 'localhost/busybox', 'far::localhost/there:1'], sshEnv);
      assert.equal(to.code, 0, to.stderr);
      assert.equal(to.stdout, 'Loaded image: localhost/busybox:latest\n');
      assert.match(ok([...remoteStore, 'images', '--format', '{{.Repository}}:{{.Tag}}']), /^localhost\/there:1$/m);
      const from = pier([...root, 'image', 'scp', 'far::localhost/there:1', 'localhost/from-far:2'], sshEnv);
      assert.equal(from.code, 0, from.stderr);
      assert.equal(ok([...root, 'image', 'exists', 'localhost/from-far:2']), '');
    } finally {
      sshd.kill();
    }
  });
});
