// pull against the real registry fixtures: formats, platforms, auth, content checks,
// concurrency, interruption and bad input.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startRegistry, Registry } from '../fixtures/registry';
import {
  busyboxImage, multilayerImage, multiarchIndex, pushImage, MULTILAYER_EXPECTED, MULTILAYER_ABSENT, TestImage, buildLayer,
  assembleImage, DEFAULT_PATH,
} from '../fixtures/images';
import { PIER, TestStore } from '../helpers/cli';

let reg: Registry;
let busybox: TestImage;
let busyboxOci: TestImage;
let multilayer: TestImage;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  busybox = await busyboxImage('docker');
  busyboxOci = await busyboxImage('oci');
  multilayer = await multilayerImage('docker');
  await pushImage(reg, 'lib/busybox', 'latest', busybox);
  await pushImage(reg, 'lib/busybox-oci', '1.0', busyboxOci);
  await pushImage(reg, 'lib/multilayer', 'latest', multilayer);
  await pushImage(reg, 'lib/multiarch', 'latest', await multiarchIndex('oci'));
  await pushImage(reg, 'lib/multiarch-docker', 'latest', await multiarchIndex('docker'));
});
after(async () => { await reg?.stop(); });

function withStore(fn: (s: TestStore) => Promise<void> | void, opts: { driver?: string } = {}) {
  return async () => {
    const s = new TestStore(opts);
    try { await fn(s); } finally { s.cleanup(); }
  };
}

/** Mount the image's layers read-only and run `check` on the merged tree. */
function withRootfs(s: TestStore, image: string, check: (dir: string) => void): void {
  const data = JSON.parse(s.ok(['image', 'inspect', '--format', '{{json .GraphDriver}}', image]));
  if (data.Name === 'vfs') { check(data.Data.Dir); return; }
  // A read-only overlay needs two lower dirs; a one-layer image is its own tree.
  if (!data.Data.LowerDir) { check(data.Data.UpperDir); return; }
  const merged = path.join(s.dir, 'merged');
  fs.mkdirSync(merged, { recursive: true });
  const lowers = [data.Data.UpperDir, ...(data.Data.LowerDir ? data.Data.LowerDir.split(':') : [])].join(':');
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowers}`, merged]);
  assert.equal(r.status, 0, r.stderr.toString());
  try { check(merged); } finally { spawnSync('umount', [merged]); }
}

function checkMultilayer(root: string): void {
  for (const [p, e] of Object.entries(MULTILAYER_EXPECTED)) {
    const full = path.join(root, p);
    const st = fs.lstatSync(full);
    if (e.type === 'file') {
      assert.ok(st.isFile(), `${p} is a file`);
      if (e.content !== undefined) assert.equal(fs.readFileSync(full, 'utf8'), e.content, p);
    } else if (e.type === 'dir') assert.ok(st.isDirectory(), `${p} is a dir`);
    else { assert.ok(st.isSymbolicLink(), `${p} is a symlink`); assert.equal(fs.readlinkSync(full), e.target); }
    if (e.mode !== undefined) assert.equal(st.mode & 0o7777, e.mode, `${p} mode`);
    if (e.uid !== undefined) assert.equal(st.uid, e.uid, `${p} uid`);
    if (e.gid !== undefined) assert.equal(st.gid, e.gid, `${p} gid`);
    if (e.hardlinkOf) assert.equal(st.ino, fs.lstatSync(path.join(root, e.hardlinkOf)).ino, `${p} hardlink`);
    if (e.xattrs) {
      for (const [k, v] of Object.entries(e.xattrs)) {
        const r = spawnSync('python3', ['-c', `import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())`, full, k]);
        assert.equal(r.stdout.toString(), v, `${p} xattr ${k}`);
      }
    }
  }
  for (const p of MULTILAYER_ABSENT) assert.ok(!fs.existsSync(path.join(root, p)), `${p} must be absent`);
  assert.ok(fs.statSync(path.join(root, 'bin', 'busybox')).isFile());
}

describe('pull', () => {
  test('pulls a docker schema2 image by tag and stores it', withStore((s) => {
    const r = s.run(['pull', '--tls-verify=false', `${reg.host}/lib/busybox`]);
    assert.equal(r.code, 0, r.stderr);
    const id = busybox.configDigest.slice(7);
    assert.equal(r.stdout.trim(), id);
    assert.match(r.stderr, new RegExp(`Trying to pull ${reg.host}/lib/busybox:latest\\.\\.\\.`));
    assert.match(r.stderr, /Getting image source signatures/);
    assert.match(r.stderr, /Copying blob sha256:/);
    assert.match(r.stderr, /Writing manifest to image destination/);
    const inspect = JSON.parse(s.ok(['image', 'inspect', `${reg.host}/lib/busybox`]))[0];
    assert.equal(inspect.Id, id);
    assert.deepEqual(inspect.RepoTags, [`${reg.host}/lib/busybox:latest`]);
    assert.deepEqual(inspect.RootFS.Layers, busybox.layers.map((l) => l.diffId));
    assert.ok(inspect.RepoDigests.includes(`${reg.host}/lib/busybox@${busybox.digest}`));
    withRootfs(s, id, (root) => {
      assert.ok(fs.statSync(path.join(root, 'bin/busybox')).size > 100000);
      assert.match(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^root:x:0:0:/);
    });
    // A second pull finds every layer present.
    const again = s.run(['pull', '--tls-verify=false', `${reg.host}/lib/busybox`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /skipped: already exists/);
  }));

  test('pulls an OCI image by digest; -q prints only the id', withStore((s) => {
    const r = s.run(['pull', '-q', '--tls-verify=false', `${reg.host}/lib/busybox-oci@${busyboxOci.digest}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), busyboxOci.configDigest.slice(7));
    assert.equal(r.stderr, '');
    const inspect = JSON.parse(s.ok(['image', 'inspect', busyboxOci.configDigest.slice(7, 19)]))[0];
    assert.equal(inspect.Digest, busyboxOci.digest);
  }));

  for (const driver of ['overlay', 'vfs']) {
    test(`multi-layer image with whiteouts, opaque dirs, links, xattrs (${driver})`, withStore((s) => {
      s.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/lib/multilayer`]);
      const info = JSON.parse(s.ok(['image', 'inspect', `${reg.host}/lib/multilayer`]))[0];
      assert.equal(info.GraphDriver.Name, driver);
      assert.equal(info.RootFS.Layers.length, 3);
      withRootfs(s, `${reg.host}/lib/multilayer`, checkMultilayer);
      if (driver === 'overlay') {
        // Layers stored in parallel still end with podman's roots: 0555 from the base up.
        const data = JSON.parse(s.ok(['image', 'inspect', '--format', '{{json .GraphDriver.Data}}', `${reg.host}/lib/multilayer`]));
        for (const d of [data.UpperDir, ...data.LowerDir.split(':')]) assert.equal(fs.statSync(d).mode & 0o7777, 0o555, d);
      }
    }, { driver }));
  }

  test('layers are shared between images', withStore((s) => {
    s.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/lib/busybox`]);
    const r = s.run(['pull', '--tls-verify=false', `${reg.host}/lib/multilayer`]);
    assert.equal(r.code, 0, r.stderr);
    // The base layer is the same blob as busybox's: it is not fetched again.
    assert.match(r.stderr, new RegExp(`Copying blob ${busybox.layers[0].digest.slice(7, 19)} skipped: already exists`));
  }));

  test('selects the platform from an OCI index and a Docker manifest list', withStore((s) => {
    for (const repo of ['lib/multiarch', 'lib/multiarch-docker']) {
      s.ok(['pull', '-q', '--tls-verify=false', `${reg.host}/${repo}`]);
      assert.equal(s.ok(['image', 'inspect', '--format', '{{.Architecture}}', `${reg.host}/${repo}`]).trim(), 'amd64');
      s.ok(['pull', '-q', '--tls-verify=false', '--arch', 'arm64', `${reg.host}/${repo}`]);
      assert.equal(s.ok(['image', 'inspect', '--format', '{{.Architecture}}/{{.Variant}}', `${reg.host}/${repo}`]).trim(), 'arm64/v8');
      s.ok(['pull', '-q', '--tls-verify=false', '--platform', 'linux/arm/v7', `${reg.host}/${repo}`]);
      assert.equal(s.ok(['image', 'inspect', '--format', '{{.Architecture}}/{{.Variant}}', `${reg.host}/${repo}`]).trim(), 'arm/v7');
    }
    const r = s.run(['pull', '--tls-verify=false', '--arch', 's390x', `${reg.host}/lib/multiarch`]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /no image found in manifest list for architecture s390x/);
  }));

  test('create: pull policy newer pulls only a newer image, quietly otherwise; a platform picks and checks the image (libimage)', withStore((s) => {
    const tls = '--tls-verify=false';
    const first = s.run(['create', '--pull', 'newer', tls, `${reg.host}/lib/busybox`, 'true']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /^Trying to pull /);
    // The registry has nothing newer: nothing pulled and nothing printed.
    const again = s.run(['create', '--pull', 'newer', tls, `${reg.host}/lib/busybox`, 'true']);
    assert.deepEqual([again.code, again.stderr], [0, '']);
    // --arch: the list's arm64 instance, pulled (policy missing becomes newer), no warning.
    const arm = s.run(['create', '--arch', 'arm64', tls, `${reg.host}/lib/multiarch`, 'true']);
    assert.equal(arm.code, 0, arm.stderr);
    assert.doesNotMatch(arm.stderr, /WARNING/);
    assert.equal(s.ok(['inspect', '--format', '{{.ImageName}}', arm.stdout.trim()]).trim(), `${reg.host}/lib/multiarch:latest`);
    assert.equal(s.ok(['image', 'inspect', '--format', '{{.Architecture}}', s.ok(['inspect', '--format', '{{.Image}}', arm.stdout.trim()]).trim()]).trim(), 'arm64');
    // Without a platform the local arm64 image is used, with libimage's warning.
    const host = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
    const plain = s.run(['create', '--pull', 'never', `${reg.host}/lib/multiarch`, 'true']);
    assert.equal(plain.code, 0, plain.stderr);
    if (host !== 'arm64') assert.equal(plain.stderr, `WARNING: image platform ({arm64 linux  [] }) does not match the expected platform ({${host} linux  [] })\n`);
    // A platform the local image is not: not this image (policy never: image not known).
    const other = s.run(['create', '--arch', 's390x', '--pull', 'never', `${reg.host}/lib/multiarch`, 'true']);
    assert.deepEqual([other.code, other.stderr], [125, `Error: ${reg.host}/lib/multiarch: image not known\n`]);
  }));

  test('--all-tags pulls every tag', withStore(async (s) => {
    await pushImage(reg, 'lib/tags', 'a', busybox);
    await pushImage(reg, 'lib/tags', 'b', busyboxOci);
    const r = s.run(['pull', '-q', '--all-tags', '--tls-verify=false', `${reg.host}/lib/tags`]);
    assert.equal(r.code, 0, r.stderr);
    const names = s.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim().split('\n').sort();
    assert.deepEqual(names, [`${reg.host}/lib/tags:a`, `${reg.host}/lib/tags:b`]);
  }));

  test('--all-tags takes a short name as docker.io\'s (no short-name search), and refuses a tag', withStore(async (s) => {
    await pushImage(reg, 'library/alltags', 'x', busybox);
    fs.writeFileSync(s.registriesConf, `unqualified-search-registries = ["example.invalid"]\n[[registry]]\nprefix = "docker.io"\nlocation = "${reg.host}"\ninsecure = true\n`);
    const r = s.run(['pull', '-q', '--all-tags', 'alltags']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(s.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']).trim(), 'docker.io/library/alltags:x');
    const tagged = s.run(['pull', '--all-tags', 'alltags:x']);
    assert.deepEqual([tagged.code, tagged.stderr], [125, "Error: tag or digest can't be used with --all-tags\n"]);
  }));

  test('short names resolve through unqualified-search registries', withStore((s) => {
    fs.writeFileSync(s.registriesConf, `unqualified-search-registries = ["${reg.host}"]\n[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
    const r = s.run(['pull', '-q', 'lib/busybox']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(s.ok(['images', '--format', '{{.Repository}}']).includes(`${reg.host}/lib/busybox`));
    // and the short name finds the local image
    assert.equal(s.run(['image', 'exists', 'lib/busybox']).code, 0);
  }));

  test('a mirror from registries.conf is used first', withStore(async (s) => {
    const mirror = await startRegistry({ auth: 'none' });
    try {
      await pushImage(mirror, 'lib/only-on-mirror', 'latest', busybox);
      fs.writeFileSync(s.registriesConf, `[[registry]]\nlocation = "example.invalid"\n[[registry.mirror]]\nlocation = "${mirror.host}"\ninsecure = true\n`);
      const r = s.run(['pull', '-q', 'example.invalid/lib/only-on-mirror']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(s.run(['image', 'exists', 'example.invalid/lib/only-on-mirror']).code, 0);
    } finally { await mirror.stop(); }
  }));

  test('a blocked registry is refused', withStore((s) => {
    fs.writeFileSync(s.registriesConf, `[[registry]]\nlocation = "${reg.host}"\nblocked = true\n`);
    const r = s.run(['pull', '--tls-verify=false', `${reg.host}/lib/busybox`]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /blocked/);
    assert.equal(s.ok(['images', '-q']), '');
  }));
});

// The token server runs in this process: these tests never block the event loop with spawnSync.
describe('pull: authentication', () => {
  for (const auth of ['basic', 'token'] as const) {
    test(`${auth} auth: right credentials work, wrong ones are refused`, withStore(async (s) => {
      const r2 = await startRegistry({ auth });
      try {
        await pushImage(r2, 'private/busybox', 'latest', busybox);
        const ref = `${r2.host}/private/busybox`;
        const anon = await s.runAsync(['pull', '--tls-verify=false', ref]);
        assert.equal(anon.code, 125);
        assert.match(anon.stderr, /unauthorized|authentication required|invalid username\/password/i);
        const bad = await s.runAsync(['pull', '--tls-verify=false', '--creds', `${r2.username}:wrong`, ref]);
        assert.equal(bad.code, 125);
        assert.match(bad.stderr, /^Error: /m);
        assert.equal((await s.runAsync(['images', '-q'])).stdout, '');
        const good = await s.runAsync(['pull', '-q', '--tls-verify=false', '--creds', `${r2.username}:${r2.password}`, ref]);
        assert.equal(good.code, 0, good.stderr);
        // login stores credentials in the auth file; pulls then need no --creds.
        assert.equal((await s.runAsync(['rmi', '-a'])).code, 0);
        const lr = await s.runAsync(['login', '--tls-verify=false', '-u', r2.username!, '-p', r2.password!, r2.host]);
        assert.equal(lr.code, 0, lr.stderr);
        assert.match(lr.stdout, /Login Succeeded!/);
        const auth = JSON.parse(fs.readFileSync(s.authfile, 'utf8'));
        assert.ok(auth.auths[r2.host]);
        assert.equal((await s.runAsync(['pull', '-q', '--tls-verify=false', ref])).code, 0);
        const badLogin = await s.runAsync(['login', '--tls-verify=false', '-u', r2.username!, '-p', 'nope', r2.host]);
        assert.equal(badLogin.code, 125);
        assert.match(badLogin.stderr, /invalid username\/password/);
        assert.equal((await s.runAsync(['logout', r2.host])).code, 0);
        assert.equal(JSON.parse(fs.readFileSync(s.authfile, 'utf8')).auths[r2.host], undefined);
      } finally { await r2.stop(); }
    }));
  }
});

describe('pull: bad input', () => {
  test('malformed references', withStore((s) => {
    for (const bad of ['UPPER/case', 'a b', 'x@sha256:zz', ':tag']) {
      const r = s.run(['pull', bad]);
      assert.equal(r.code, 125, bad);
      assert.match(r.stderr, /^Error: /, bad);
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${bad}: ${r.stderr}`);
    }
  }));

  test('unknown repository and tag', withStore((s) => {
    const r1 = s.run(['pull', '--tls-verify=false', `${reg.host}/no/such`]);
    assert.equal(r1.code, 125);
    assert.match(r1.stderr, /manifest unknown|name unknown|not found/i);
    const r2 = s.run(['pull', '--tls-verify=false', `${reg.host}/lib/busybox:nosuchtag`]);
    assert.equal(r2.code, 125);
    assert.match(r2.stderr, /manifest unknown|not found/i);
  }));

  test('an unreachable registry fails fast', withStore((s) => {
    const t0 = Date.now();
    const r = s.run(['pull', '--tls-verify=false', '--retry', '0', '127.0.0.1:1/x/y']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /connection refused|ECONNREFUSED/i);
    assert.ok(Date.now() - t0 < 10_000, 'no long hang');
  }));

  test('a blob whose content does not match its digest is refused; nothing is stored', withStore(async (s) => {
    const r2 = await startRegistry({ auth: 'none' });
    try {
      const img = await multilayerImage('oci');
      await pushImage(r2, 'lib/corrupt', 'latest', img);
      // Corrupt the top layer's data inside the registry's storage.
      const hexd = img.layers[2].digest.slice(7);
      const blob = path.join(r2.dir, 'storage/docker/registry/v2/blobs/sha256', hexd.slice(0, 2), hexd, 'data');
      const buf = fs.readFileSync(blob);
      buf[buf.length - 20] ^= 0xff;
      fs.writeFileSync(blob, buf);
      const r = s.run(['pull', '--tls-verify=false', `${r2.host}/lib/corrupt`]);
      assert.equal(r.code, 125);
      assert.match(r.stderr, /digest|checksum|mismatch|corrupt|invalid/i);
      assert.equal(s.ok(['images', '-a', '-q']), '');
      // On a terminal (progress with byte counts through a counting stream): the same 125.
      const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
      const cmd = [process.execPath, PIER, ...s.localArgs(), 'pull', '--tls-verify=false', `${r2.host}/lib/corrupt`].map(q).join(' ');
      const t = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', env: s.env() });
      assert.equal(t.status, 125, t.stdout);
      assert.match(t.stdout, /digest|checksum|mismatch|corrupt|invalid/i);
      assert.equal(s.ok(['images', '-a', '-q']), '');
      assert.equal(s.run(['image', 'exists', `${r2.host}/lib/corrupt`]).code, 1);
    } finally { await r2.stop(); }
  }));

  test('a malicious layer is refused and writes nothing outside the layer', withStore(async (s) => {
    const outside = path.join(s.dir, 'escaped');
    const evil = await buildLayer([
      { type: 'dir', name: 'x', mode: 0o755, uid: 0, gid: 0, mtime: 0 } as any,
      { type: 'symlink', name: 'x/link', target: s.dir, mode: 0o777, uid: 0, gid: 0, mtime: 0 } as any,
      { type: 'file', name: 'x/link/escaped', content: 'pwned', mode: 0o644, uid: 0, gid: 0, mtime: 0 } as any,
    ]);
    const img = assembleImage([evil], { platform: { architecture: 'amd64', os: 'linux' }, env: [DEFAULT_PATH], history: [{ createdBy: 'evil' }] }, 'docker');
    await pushImage(reg, 'evil/symlink', 'latest', img);
    const r = s.run(['pull', '--tls-verify=false', `${reg.host}/evil/symlink`]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /refusing|symlink/i);
    assert.ok(!fs.existsSync(outside));
    assert.equal(s.ok(['images', '-a', '-q']), '');
  }));
});

describe('pull: concurrency and interruption', () => {
  test('5 concurrent pulls of one image all succeed and store the layers once', withStore(async (s) => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => s.runAsync(['pull', '-q', '--tls-verify=false', `${reg.host}/lib/multilayer`])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(runs.map((r) => r.stdout.trim())).size, 1);
    const layerDirs = fs.readdirSync(path.join(s.root, 'overlay')).filter((n) => n !== 'l');
    assert.equal(layerDirs.length, 3, `layer dirs: ${layerDirs.join(' ')}`);
    assert.equal(s.ok(['images', '-q']).trim().split('\n').length, 1);
  }));

  test('kill -9 during a pull leaves no half image; the next pull completes', withStore(async (s) => {
    const { bigImage } = await import('../fixtures/images');
    const big = await bigImage({ layers: 3, totalBytes: 60e6, seed: 'kill9' });
    await pushImage(reg, 'lib/big', 'latest', big);
    const p = s.runAsync(['pull', '--tls-verify=false', `${reg.host}/lib/big`]);
    // Kill once the first layer is being copied.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        const staging = fs.existsSync(path.join(s.root, 'overlay')) && fs.readdirSync(path.join(s.root, 'overlay')).some((n) => n.startsWith('.staging-'));
        if (staging) { clearInterval(t); resolve(); }
      }, 5);
    });
    p.child.kill('SIGKILL');
    const r = await p;
    assert.equal(r.code, 137);
    assert.equal(s.ok(['images', '-a', '-q']), '');
    assert.equal(s.run(['image', 'exists', `${reg.host}/lib/big`]).code, 1);
    const again = s.run(['pull', '-q', '--tls-verify=false', `${reg.host}/lib/big`]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), big.configDigest.slice(7));
    const leftovers = fs.readdirSync(path.join(s.root, 'overlay')).filter((n) => n.startsWith('.staging-'));
    assert.deepEqual(leftovers, []);
  }));
});

describe('pull: terminal progress', () => {
  test('on a terminal, blobs show progress bars that end in "done"', withStore(async (s) => {
    const { PIER } = await import('../helpers/cli');
    const sock = `pier-pull-${process.pid}`;
    const q = (x: string) => `'${x}'`;
    const cmd = `env NODE_EXTRA_CA_CERTS= REGISTRY_AUTH_FILE=${s.authfile} ${process.execPath} ${PIER} ${s.globalArgs().map(q).join(' ')} pull --tls-verify=false ${reg.host}/lib/multilayer; echo PULL-EXIT=$?; sleep 30`;
    const tmux = (...a: string[]) => spawnSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
    try {
      assert.equal(tmux('new-session', '-d', '-s', 'p', '-x', '150', '-y', '40', cmd).status, 0);
      let screen = '';
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !/PULL-EXIT=\d/.test(screen)) {
        await new Promise((r) => setTimeout(r, 100));
        screen = tmux('capture-pane', '-p', '-t', 'p').stdout;
      }
      assert.match(screen, /PULL-EXIT=0/);
      for (const l of multilayer.layers) assert.match(screen, new RegExp(`Copying blob ${l.digest.slice(7, 19)} done`));
      assert.match(screen, /Copying config [a-f0-9]{12} done/);
      assert.doesNotMatch(screen, /Copying blob sha256:/);
      assert.match(screen, /Writing manifest to image destination/);
    } finally {
      tmux('kill-server');
    }
  }));
});
