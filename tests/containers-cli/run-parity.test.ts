// run/create details found by running podman 4.3.1's own system tests (030-run.bats,
// 075-exec.bats) against pier: --attach, --kernel-memory, the image name and digest inspect
// shows, /run/.containerenv, the log configuration, --runtime paths and --runtime-flag, and
// exec -i with binary input, --rootfs. Real runc + conmon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStoreForFile, REMOTE } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((st) => { s = st; });
const IMG = 'localhost/busybox';
const inspect = (id: string, fmt: string) => s.ok(['inspect', '--format', fmt, id]).trim();

test('run --attach stdin: the output is not attached, the container ID is printed', () => {
  const r = s.run(['run', '--name', 'att-in', '--network', 'none', '--attach', 'stdin', IMG, 'echo', 'hello']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${inspect('att-in', '{{.Id}}')}\n`);
  // Only the streams named are attached.
  const out = s.run(['run', '--rm', '--network', 'none', '-a', 'stdout', IMG, 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(out.stdout, 'out\n');
  assert.equal(out.stderr, '');
  const err = s.run(['run', '--rm', '--network', 'none', '-a', 'STDERR', IMG, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(err.code, 3);
  assert.equal(err.stdout, '');
  assert.equal(err.stderr, 'err\n');
  s.ok(['rm', 'att-in']);
});

test('rm -f of a running --rm container removes it and prints its ID (remote: the service\'s own cleanup of it does not get in the way)', () => {
  for (let i = 0; i < 3; i++) {
    const id = s.ok(['run', '-d', '--rm', '--network', 'none', IMG, 'sleep', '100']).trim();
    const r = s.run(['rm', '-f', '-t', '0', id]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, `${id}\n`, '']);
    assert.equal(s.run(['container', 'exists', id]).code, 1);
  }
});

test('create/run --replace: the container of that name is removed first and its name printed, as podman\'s client does', () => {
  const first = s.ok(['create', '--name', 'rep', IMG, 'true']).trim();
  const out = s.ok(['create', '--replace', '--name', 'rep', IMG, 'true']).split('\n');
  assert.equal(out[0], 'rep');
  assert.match(out[1], /^[0-9a-f]{64}$/);
  assert.notEqual(out[1], first);
  const ran = s.ok(['run', '-d', '--replace', '--name', 'rep', '--network', 'none', IMG, 'sleep', '60']).split('\n');
  assert.equal(ran[0], 'rep');
  // Nothing to replace: only the ID.
  s.ok(['rm', '-f', '-t', '0', 'rep']);
  assert.match(s.ok(['create', '--replace', '--name', 'rep', IMG, 'true']), /^[0-9a-f]{64}\n$/);
  s.ok(['rm', 'rep']);
});

test('--kernel-memory is accepted and only warned about (podman\'s noop)', () => {
  const r = s.run(['run', '--rm', '--network', 'none', '--kernel-memory', '100', IMG, 'false']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /level=warning msg="The --kernel-memory flag is no longer supported. This flag is a noop."/);
});

test('inspect: ImageName completes the name given (registry, :latest); ImageDigest is the image\'s', () => {
  s.ok(['tag', IMG, 'localhost/some/other']);
  const id = s.ok(['create', '--network', 'none', 'localhost/some/other', 'true']).trim();
  assert.equal(inspect(id, '{{.ImageName}}'), 'localhost/some/other:latest');
  assert.equal(s.ok(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Image}}']).trim(), 'localhost/some/other:latest');
  assert.equal(inspect(id, '{{.ImageDigest}}'), s.ok(['image', 'inspect', '--format', '{{.Digest}}', IMG]).trim());
  assert.match(inspect(id, '{{.ImageDigest}}'), /^sha256:[0-9a-f]{64}$/);
  s.ok(['rm', id]);
  s.ok(['rmi', 'localhost/some/other']);
});

test('/run/.containerenv is empty unless the container is privileged', () => {
  assert.equal(s.ok(['run', '--rm', '--network', 'none', IMG, 'stat', '-c', '%s', '/run/.containerenv']), '0\n');
  // The image as podman records it: the name given, completed (busybox → localhost/busybox:latest).
  const out = s.ok(['run', '--rm', '--network', 'none', '--privileged', '--name', 'envpriv', 'busybox', 'sh', '-c', '. /run/.containerenv; echo $name; echo $image; echo $id; echo $rootless']);
  const [name, image, id, rootless] = out.trimEnd().split('\n');
  assert.equal(name, 'envpriv');
  assert.equal(image, 'localhost/busybox:latest');
  assert.match(id, /^[0-9a-f]{64}$/);
  assert.match(rootless, /^[01]$/);
});

test('inspect LogConfig: no path for the none driver, json-file kept, max-size in decimal units, tag', () => {
  const id = s.ok(['create', '--log-driver', 'none', IMG, 'true']).trim();
  assert.equal(inspect(id, '{{.HostConfig.LogConfig.Type}}:{{.HostConfig.LogConfig.Path}}:{{.HostConfig.LogConfig.Size}}'), 'none::0B');
  // Nothing to read: libpod's error (podman's service, for the remote client, words it as its compat handler).
  const nolog = s.run(['logs', id]);
  assert.equal(nolog.code, 125);
  assert.equal(nolog.stderr, `Error: ${REMOTE ? `failed to obtain logs for Container '${inspect(id, '{{.Name}}')}': ` : ''}this container is using the 'none' log driver, cannot read logs: this container is not logging output\n`);
  const withPath = s.ok(['create', '--log-driver', 'none', '--log-opt', `path=${path.join(s.dir, 'x.log')}`, IMG, 'true']).trim();
  assert.equal(inspect(withPath, '{{.HostConfig.LogConfig.Path}}'), path.join(s.dir, 'x.log'));
  const sized = s.ok(['create', '--log-opt', 'max-size=5.099m', '--log-opt', 'tag=mytag', IMG, 'true']).trim();
  assert.equal(inspect(sized, '{{.HostConfig.LogConfig.Size}} {{.HostConfig.LogConfig.Tag}}'), '5.099MB mytag');
  // json-file is shown as given and its logs can be read.
  const json = s.ok(['run', '--log-driver', 'json-file', '--network', 'none', IMG, 'echo', 'from-json-file']).trim();
  assert.equal(json, 'from-json-file');
  const jid = s.ok(['ps', '-a', '-l', '-q', '--no-trunc']).trim();
  assert.equal(inspect(jid, '{{.HostConfig.LogConfig.Type}}'), 'json-file');
  assert.match(inspect(jid, '{{.HostConfig.LogConfig.Path}}'), /\/ctr\.log$/);
  assert.equal(s.ok(['logs', jid]), 'from-json-file\n');
  s.ok(['rm', id, withPath, sized, jid]);
});

test('--runtime given as a path is shown as that path; --runtime-flag reaches the runtime', { skip: REMOTE && 'global runtime options are local' }, () => {
  const runc = s.ok(['info', '--format', '{{.Host.OCIRuntime.Path}}']).trim();
  const copy = path.join(s.dir, 'myruntime');
  fs.copyFileSync(runc, copy);
  fs.chmodSync(copy, 0o755);
  const id = s.ok(['--runtime', copy, 'run', '-d', '--network', 'none', IMG, 'sleep', '60']).trim();
  assert.equal(inspect(id, '{{.OCIRuntime}}'), copy);
  s.ok(['--runtime', copy, 'rm', '-f', '-t', '0', id]);

  const before = s.ok(['ps', '-a', '-q']);
  const r = s.run(['--runtime-flag', 'invalidflag', 'run', '--rm', '--network', 'none', IMG, 'true']);
  assert.equal(r.code, 126, r.stderr);
  assert.match(r.stderr, /invalidflag/);
  assert.equal(s.ok(['ps', '-a', '-q']), before, 'the --rm container is gone');
});

test('a runtime that cannot be found fails every command up front; containers of a vanished runtime can still be removed', { skip: REMOTE && 'global runtime options are local' }, () => {
  const before = s.ok(['ps', '-a', '-q']);
  for (const args of [['--runtime', 'idonotexist', 'ps'], ['--runtime', 'idonotexist', 'run', '--rm', IMG, 'true'], ['--runtime', 'idonotexist', 'rm', '-a']]) {
    const r = s.run(args);
    assert.equal(r.code, 125, r.stderr);
    assert.equal(r.stderr, 'Error: default OCI runtime "idonotexist" not found: invalid argument\n');
  }
  const conf = path.join(s.dir, 'bad-runtime.conf');
  fs.writeFileSync(conf, '[engine]\nruntime="idonotexist"\n');
  const viaConf = s.run(['images'], { env: { CONTAINERS_CONF: conf } });
  assert.equal(viaConf.code, 125, viaConf.stderr);
  assert.match(viaConf.stderr, /"idonotexist" not found/);
  assert.equal(s.ok(['ps', '-a', '-q']), before, 'nothing was created');
  // A container created with a runtime that is gone since: rm still removes it.
  const runc = s.ok(['info', '--format', '{{.Host.OCIRuntime.Path}}']).trim();
  const copy = path.join(s.dir, 'goneruntime');
  fs.copyFileSync(runc, copy);
  fs.chmodSync(copy, 0o755);
  const id = s.ok(['--runtime', copy, 'create', '--network', 'none', IMG, 'true']).trim();
  fs.rmSync(copy);
  s.ok(['rm', id]);
  assert.equal(s.ok(['ps', '-a', '-q']), before);
});

test('exec -i passes binary input through whole, detach keys inside it included', () => {
  const id = s.ok(['run', '-d', '--network', 'none', IMG, 'sleep', '300']).trim();
  // 1.5 MB of random data holds the default detach keys (ctrl-p, ctrl-q) many times over.
  const data = Buffer.concat([crypto.randomBytes(1536000), Buffer.from([0x10, 0x11])]);
  const r = s.run(['exec', '-i', id, 'sh', '-c', 'cat > /tmp/big; echo done'], { input: data });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'done\n');
  const sum = s.ok(['exec', id, 'sha256sum', '/tmp/big']).split(' ')[0];
  assert.equal(sum, crypto.createHash('sha256').update(data).digest('hex'));
  s.ok(['rm', '-f', '-t', '0', id]);
});

test('--rootfs runs on the directory given; with :O its changes stay out of it', () => {
  const dir = path.join(s.dir, 'rootfs');
  fs.mkdirSync(dir);
  const id = s.ok(['create', IMG]).trim();
  const tar = path.join(s.dir, 'rootfs.tar');
  s.ok(['export', '-o', tar, id]);
  s.ok(['rm', id]);
  assert.equal(spawnSync('tar', ['-C', dir, '-xf', tar]).status, 0);

  assert.equal(s.ok(['run', '--rm', '--network', 'none', '--rootfs', dir, 'sh', '-c', 'echo direct > /written; cat /written']), 'direct\n');
  assert.equal(fs.readFileSync(path.join(dir, 'written'), 'utf8'), 'direct\n');
  const ov = s.ok(['run', '--name', 'rootfs-ov', '--network', 'none', '--rootfs', `${dir}:O`, 'sh', '-c', 'echo overlay > /kept-apart; cat /kept-apart']);
  assert.equal(ov, 'overlay\n');
  assert.ok(!fs.existsSync(path.join(dir, 'kept-apart')));
  // No image: ImageName and ps's IMAGE are empty (podman's).
  assert.equal(inspect('rootfs-ov', '{{.Rootfs}}|{{.ImageDigest}}|{{.ImageName}}'), `${dir}||`);
  assert.equal(s.ok(['ps', '-a', '--filter', 'name=rootfs-ov', '--format', '{{.Image}}|{{.Names}}']), '|rootfs-ov\n');
  s.ok(['rm', 'rootfs-ov']);
});

test('exec -i: the detach keys typed one by one detach; podman\'s error, exit 255, the process runs on', async () => {
  const id = s.ok(['run', '-d', '--network', 'none', IMG, 'sleep', '300']).trim();
  const p = s.runAsync(['exec', '-i', id, 'sh', '-c', 'sleep 30; echo end']);
  await new Promise((r) => setTimeout(r, 1500));
  p.child.stdin!.write(Buffer.from([0x10]));
  await new Promise((r) => setTimeout(r, 300));
  p.child.stdin!.write(Buffer.from([0x11]));
  const r = await p;
  assert.equal(r.code, 255);
  assert.equal(r.stderr, 'Error: detached from container\n');
  assert.match(s.ok(['exec', id, 'ps']), /sleep 30/);
  s.ok(['rm', '-f', '-t', '0', id]);
});
