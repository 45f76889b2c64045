/**
 * Malicious-layer corpus: every archive must be refused with an error, and nothing
 * outside the layer dir may change. The layer dir sits in a sandbox with a canary file
 * and an "outside" dir; the attacks aim at the sandbox (a broken extractor would write
 * there, not onto the host), except a few that name host paths read-only (/etc/passwd).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractLayer, ExtractOptions } from '../../src/storage/tar/extract';
import { EntrySpec, cleanup, entry, listTree, streamOf, tar, tmpdir } from './helpers';

interface Sandbox {
  dir: string;
  layer: string;
}

type Case = (sb: Sandbox) => Buffer;

function snapshot(sb: Sandbox): string[] {
  return listTree(sb.dir)
    .filter((p) => p !== 'layer' && !p.startsWith('layer/'))
    .map((p) => {
      const st = fs.lstatSync(path.join(sb.dir, p), { bigint: true });
      return `${p} ino=${st.ino} nlink=${st.nlink} size=${st.size} mtime=${st.mtimeNs} mode=${st.mode}`;
    });
}

async function expectRefused(build: Case, pattern: RegExp, opts: Partial<ExtractOptions> = {}): Promise<void> {
  for (const mode of ['overlay', 'vfs'] as const) {
    const dir = tmpdir('pier-sandbox-');
    try {
      const sb: Sandbox = { dir, layer: path.join(dir, 'layer') };
      fs.mkdirSync(sb.layer);
      fs.writeFileSync(path.join(dir, 'canary.txt'), 'canary');
      fs.mkdirSync(path.join(dir, 'outside'));
      fs.writeFileSync(path.join(dir, 'outside', 'victim'), 'victim');
      const passwd = fs.statSync('/etc/passwd', { bigint: true });
      const before = snapshot(sb);
      const archive = build(sb);
      await assert.rejects(extractLayer(streamOf(archive, 777), sb.layer, { mode, ...opts }), (err: Error) => {
        assert.match(err.message, pattern, `${mode}: ${err.message}`);
        assert.ok(!err.message.includes('\n'), 'one-line message');
        return true;
      });
      assert.deepEqual(snapshot(sb), before, `${mode}: nothing outside the layer changed`);
      assert.equal(fs.readFileSync(path.join(dir, 'canary.txt'), 'utf8'), 'canary');
      assert.equal(fs.statSync('/etc/passwd', { bigint: true }).nlink, passwd.nlink, 'no hardlink to /etc/passwd');
    } finally {
      cleanup(dir);
    }
  }
}

const file = (name: string, body = 'pwned', extra: Partial<EntrySpec> = {}): EntrySpec => ({ name, body, ...extra });
const sym = (name: string, linkname: string): EntrySpec => ({ name, flag: '2', linkname });
const hard = (name: string, linkname: string): EntrySpec => ({ name, flag: '1', linkname });

test('refuses ../ escapes', async () => {
  await expectRefused(() => tar([file('ok'), file('../escape')]), /"\.\.\/escape".*escapes/);
  await expectRefused(() => tar([file('a/../../canary.txt')]), /escapes/);
  await expectRefused(() => tar([file('./a/./../../x')]), /escapes/);
  await expectRefused(() => tar([{ name: '../outside/', flag: '5', mode: 0o777 }]), /escapes/);
});

test('refuses absolute names that climb out after stripping the leading slash', async () => {
  await expectRefused(() => tar([file('/abs/../../x')]), /escapes/);
  await expectRefused(() => tar([file('//../canary.txt')]), /escapes/);
});

test('refuses writing through a symlink to / planted earlier', async () => {
  // A vulnerable extractor would follow s -> / and write <sandbox>/pwned.
  await expectRefused((sb) => tar([sym('s', '/'), file(`s${sb.dir}/pwned`)]), /component "s" is a symlink/);
  await expectRefused((sb) => tar([sym('s', '/'), file(`s${sb.dir}/canary.txt`, 'overwritten')]), /symlink/);
});

test('refuses writing through a relative symlink that climbs out', async () => {
  await expectRefused(() => tar([sym('s', '..'), file('s/pwned')]), /symlink/);
  await expectRefused(() => tar([sym('s', '../..'), file('s/x')]), /symlink/);
  await expectRefused(() => tar([{ name: 'd/', flag: '5' }, sym('d/l', '../../outside'), file('d/l/victim', 'changed')]), /"d\/l" is a symlink/);
  await expectRefused(() => tar([sym('s', '..'), { name: 's/newdir/', flag: '5' }]), /symlink/);
  await expectRefused(() => tar([sym('s', '..'), sym('s/link', '/etc')]), /symlink/);
});

test('refuses symlink chains', async () => {
  await expectRefused(() => tar([sym('l2', '../outside'), sym('l1', 'l2'), file('l1/pwned')]), /"l1" is a symlink/);
  await expectRefused(() => tar([sym('a', '.'), sym('b', 'a/..'), file('b/pwned')]), /"b" is a symlink/);
  await expectRefused(() => tar([{ name: 'x/', flag: '5' }, sym('x/y', '..'), sym('x/z', 'y/..'), file('x/z/pwned')]), /symlink/);
});

test('refuses whiteouts and opaque markers through symlinks (vfs would delete outside)', async () => {
  await expectRefused(() => tar([sym('s', '../outside'), file('s/.wh.victim', '')]), /symlink/);
  await expectRefused(() => tar([sym('s', '../outside'), file('s/.wh..wh..opq', '')]), /symlink/);
  await expectRefused(() => tar([file('.wh...', '')]), /whiteout/);
});

test('refuses hardlinks that escape or point at absent files', async () => {
  await expectRefused(() => tar([hard('h', '../../etc/passwd')]), /escapes/);
  await expectRefused(() => tar([hard('h', '../canary.txt')]), /escapes/);
  await expectRefused(() => tar([hard('h', '/etc/passwd')]), /not a file of this layer/);
  await expectRefused(() => tar([hard('h', 'missing')]), /not a file of this layer/);
  await expectRefused(() => tar([{ name: 'd/', flag: '5' }, hard('h', 'd')]), /not a file of this layer/);
  await expectRefused(() => tar([file('self', 'x'), hard('self', 'self')]), /itself/);
  // The target's parent was swapped for a symlink after it was written.
  await expectRefused(() => tar([file('d/f'), sym('d', '../outside'), hard('h', 'd/victim')]), /not a file of this layer/);
  await expectRefused(() => tar([file('d/victim'), sym('d', '../outside'), hard('h', 'd/victim')]), /not a file of this layer/);
});

test('refuses a PAX path override that escapes', async () => {
  await expectRefused(() => tar([file('innocent', 'pwned', { pax: { path: '../pax-escape' } })]), /"\.\.\/pax-escape".*escapes/);
  await expectRefused(() => tar([sym('innocent', 'ok'), { name: 'l', flag: '2', linkname: 'x', pax: { path: 'sub/../../x' } }]), /escapes/);
});

test('refuses a GNU long name that escapes', async () => {
  await expectRefused(() => tar([file('short', 'pwned', { longName: `../${'x'.repeat(150)}` })]), /escapes/);
  await expectRefused(() => tar([file('f'), { name: 'short', flag: '1', linkname: 'f', longLink: `../../${'y'.repeat(150)}` }]), /escapes/);
  await expectRefused(() => tar([{ name: 'short', flag: '5', longName: `a/${'b'.repeat(120)}/../../../c` }]), /escapes/);
});

test('refuses entries that would replace the layer root', async () => {
  await expectRefused(() => tar([file('.', 'x')]), /layer root/);
  await expectRefused(() => tar([sym('./', '/')]), /layer root/);
  await expectRefused(() => tar([hard('.', 'x')]), /layer root/);
  await expectRefused(() => tar([file('a/..', 'x')]), /layer root/);
});

test('refuses device nodes when not allowed', async () => {
  await expectRefused(() => tar([{ name: 'dev/sda', flag: '4', devmajor: 8, devminor: 0 }]), /block device nodes are not allowed/, { allowDevices: false });
  await expectRefused(() => tar([{ name: 'dev/mem', flag: '3', devmajor: 1, devminor: 1 }]), /char device/, { allowDevices: false });
});

test('refuses truncated archives and corrupted headers', async () => {
  await expectRefused(() => tar([file('a', 'x'.repeat(5000))]).subarray(0, 512 + 3000), /unexpected EOF/);
  await expectRefused(() => tar([file('a', 'x')]).subarray(0, 300), /unexpected EOF/);
  await expectRefused(() => {
    const t = tar([file('ok', 'x'), file('bad', 'y')]);
    t[1024 + 5] ^= 0x20; // corrupt the second header
    return t;
  }, /checksum/);
  await expectRefused(() => Buffer.concat([entry(file('x')).subarray(0, 512), Buffer.alloc(10)]), /unexpected EOF/);
});

test('refuses NUL bytes smuggled into names', async () => {
  await expectRefused(() => tar([file('x', 'y', { pax: { path: 'a\0/../../x' } })]), /NUL/);
});
