// run/create details found by running podman 4.3.1's own system tests (030-run.bats,
// 075-exec.bats) against pier: --attach, --kernel-memory, the image name and digest inspect
// shows, /run/.containerenv, the log configuration, --runtime paths and --runtime-flag, and
// exec -i with binary input. Real runc + conmon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { TestStore, busyboxStoreForFile } from '../helpers/cli';

let s: TestStore;
busyboxStoreForFile((st) => { s = st; });
const IMG = 'localhost/busybox';

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
