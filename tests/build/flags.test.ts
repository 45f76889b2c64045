// podman build's flags beyond the basics: the settings of the RUN containers (--cap-add,
// --add-host, --dns, --ulimit, --memory, --shm-size, --volume, --http-proxy, --security-opt,
// namespaces, --runtime-flag, --stdin), the result (--env, --unsetenv, --from, --omit-history,
// --os-version, --os-feature, --output), the stages (--skip-unused-stages, --build-context,
// --cache-ttl) and the rest (--logfile, --cpp-flag, -f lookup, --pull-never, accepted no-ops),
// each against the real runtime. In remote mode the same builds go through the service.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStoreForFile, REMOTE, PIER } from '../helpers/cli';
import { buildHelpers } from './helpers';

let s: TestStore;
const { context, build, runIn } = buildHelpers(() => s);

const inspect = (img: string) => JSON.parse(s.ok(['image', 'inspect', img]))[0];

busyboxStoreForFile((x) => { s = x; });

/** Builds `dir` with `args`, expecting failure; returns stderr. */
function fails(args: string[], code = 125): string {
  const r = s.run(['build', ...args]);
  assert.equal(r.code, code, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stderr;
}

describe('build: RUN settings', () => {
  test('--cap-add/--cap-drop, --add-host, --dns*, --ulimit, --memory, --cpu-shares, --shm-size, --security-opt reach every RUN and nothing of them the image', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox',
        'RUN grep ^CapEff /proc/self/status > /caps',
        'RUN grep myhost /etc/hosts; cat /etc/resolv.conf; ulimit -n; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max;'
          + ' cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight; df -k /dev/shm | tail -1; grep ^Seccomp: /proc/self/status',
        '',
      ].join('\n'),
    });
    const plain = build(dir, ['--no-cache', '-t', 'plainrun']);
    const caps = (img: string) => BigInt('0x' + runIn(img, 'cat', '/caps').split(/\s+/)[1]);
    const base = caps('plainrun');
    const r = build(dir, ['--no-cache', '-t', 'tunedrun', '--cap-add', 'net_admin', '--cap-drop', 'CAP_CHOWN', '--add-host', 'myhost:10.1.2.3',
      '--dns', '9.9.9.9', '--dns-search', 'example.org', '--dns-option', 'ndots:3', '--ulimit', 'nofile=101:102', '--memory', '64m',
      '--cpu-shares', '512', '--shm-size', '32m', '--security-opt', 'seccomp=unconfined']);
    const tuned = caps('tunedrun');
    assert.equal(tuned & 1n, 0n, 'CAP_CHOWN dropped');
    assert.equal(tuned & (1n << 12n), 1n << 12n, 'CAP_NET_ADMIN added');
    assert.equal(tuned | 1n, base | (1n << 12n));
    assert.match(r.out, /^10\.1\.2\.3\s+myhost$/m);
    assert.match(r.out, /^search example\.org$/m);
    assert.match(r.out, /^nameserver 9\.9\.9\.9$/m);
    assert.match(r.out, /^options ndots:3$/m);
    assert.match(r.out, /^101$/m);
    assert.match(r.out, /^67108864$/m);
    // cgroup v1 keeps the shares as given (v2 converts them to a weight).
    if (!fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) assert.match(r.out, /^512$/m);
    assert.match(r.out, /^shm\s+32768\s/m);
    assert.match(r.out, /^Seccomp:\s+0$/m);
    assert.doesNotMatch(plain.out, /^10\.1\.2\.3\s+myhost$|^nameserver 9\.9\.9\.9$|^Seccomp:\s+0$/m);
    // The image's own files are untouched by the RUN settings.
    assert.doesNotMatch(runIn('tunedrun', 'cat', '/etc/hosts'), /myhost/);
  });

  test('--http-proxy (the default) passes the proxy variables to RUN, not to the image; --http-proxy=false does not', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo "proxy=[$http_proxy]" && echo "$http_proxy" > /seen\n' });
    const env = { http_proxy: 'http://proxy.example:3128' };
    // A service does not hand its own variables over unless --http-proxy is given (podman-remote's default).
    const on = s.run(['build', '--no-cache', '-t', 'proxied', ...(REMOTE ? ['--http-proxy'] : []), dir], { env });
    assert.equal(on.code, 0, on.stderr);
    if (!REMOTE) assert.match(on.stdout, /^proxy=\[http:\/\/proxy\.example:3128\]$/m);
    assert.ok(!inspect('proxied').Config.Env.some((e: string) => e.startsWith('http_proxy=')), 'not in the image');
    const off = s.run(['build', '--no-cache', '--http-proxy=false', dir], { env });
    assert.match(off.stdout, /^proxy=\[\]$/m);
  });

  test('namespaces: --uts/--ipc/--pid host share the host\'s; a path that does not exist is refused', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/pid\n' });
    const r = build(dir, ['--no-cache', '--uts', 'host', '--ipc', 'host', '--pid', 'host']);
    assert.match(r.out, new RegExp(`^${os.hostname()}$`, 'm'));
    assert.match(r.out, new RegExp(`^${fs.readlinkSync('/proc/self/ns/ipc').replace(/[[\]]/g, '\\$&')}$`, 'm'));
    assert.match(r.out, new RegExp(`^${fs.readlinkSync('/proc/self/ns/pid').replace(/[[\]]/g, '\\$&')}$`, 'm'));
    const priv = build(dir, ['--no-cache', '--ipc', 'private']);
    assert.doesNotMatch(priv.out, new RegExp(`^${fs.readlinkSync('/proc/self/ns/ipc').replace(/[[\]]/g, '\\$&')}$`, 'm'));
    assert.match(fails(['--pid', '/nonexistent/ns', dir]), /^Error: checking pid namespace: stat \/nonexistent\/ns: no such file or directory$/m);
    assert.match(fails(['--cgroupns', 'bogus', dir]), /^Error: checking cgroup namespace: stat bogus: no such file or directory$/m);
  });

  test('--volume: a host directory in every RUN, its writes on the host, nothing of it (mount point included) in the image; bad values refused', { skip: REMOTE && 'podman-remote has no --volume' }, () => {
    const host = fs.mkdtempSync(path.join(s.dir, 'vol-'));
    fs.writeFileSync(path.join(host, 'in.txt'), 'from the host\n');
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN cat /mnt/vol/in.txt && echo written > /mnt/vol/out.txt\nRUN ls /mnt/vol\n' });
    const r = build(dir, ['--no-cache', '-t', 'withvol', '-v', `${host}:/mnt/vol`]);
    assert.match(r.out, /^from the host$/m);
    assert.match(r.out, /^out\.txt$/m, 'the next RUN sees it too');
    assert.equal(fs.readFileSync(path.join(host, 'out.txt'), 'utf8'), 'written\n');
    assert.equal(s.run(['run', '--rm', '--network', 'none', 'withvol', 'ls', '/mnt/vol']).code, 1, 'no mount point in the image');
    assert.match(fails(['-v', 'relative:/x', dir]), /^Error: invalid host path, must be an absolute path "relative"$/m);
    assert.match(fails(['-v', '/nonexistent-dir:/x', dir]), /^Error: stat \/nonexistent-dir: no such file or directory$/m);
    assert.match(fails(['-v', `${host}:rel`, dir]), /^Error: invalid container path "rel", must be an absolute path$/m);
    assert.match(fails(['-v', host, dir]), /should be host-dir:ctr-dir\[:option\]$/m);
    assert.match(fails(['-v', `${host}:/x:ro,rw`, dir]), /^Error: invalid options "ro, rw", can only specify 1 'rw' or 'ro' option$/m);
    assert.match(fails(['-v', `${host}:/x:bogus`, dir]), /^Error: invalid option type "bogus"$/m);
    // Read-only: the RUN cannot write there.
    assert.notEqual(s.run(['build', '--no-cache', '-v', `${host}:/mnt/vol:ro`, context({ 'Containerfile': 'FROM localhost/busybox\nRUN touch /mnt/vol/x\n' })]).code, 0);
  });

  test('--runtime-flag goes to the runtime (an unknown one fails the RUN with status 1); --stdin feeds RUN steps', { skip: REMOTE && 'local-only flags' }, () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo ran\n' });
    const bad = s.run(['build', '--no-cache', '--runtime-flag', 'invalidflag', dir]);
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /invalidflag/);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '', 'nothing left');
    assert.match(build(dir, ['--no-cache', '--runtime-flag', 'log-format=json']).out, /^ran$/m);
    const reads = context({ 'Containerfile': 'FROM localhost/busybox\nRUN read a; echo "got:$a"\nRUN cat; echo second-done\n' });
    const fed = s.run(['build', '--no-cache', '--stdin', reads], { input: 'line1\nline2\n' });
    assert.equal(fed.code, 0, fed.stderr);
    assert.match(fed.stdout, /^got:line1$/m);
    assert.match(fed.stdout, /^second-done$/m, 'a RUN after the input ended sees it ended');
    assert.match(s.ok(['build', '--no-cache', reads], { input: 'line1\n' }), /^got:$/m, 'without --stdin RUN reads nothing');
  });

  test('SIGTERM or SIGINT ends a build in a long RUN at once: its containers are removed, exit 128+signal', { skip: REMOTE && 'the signal reaches the client only' }, async () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN sleep 60\n' });
    for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      const run = s.runAsync(['build', '--no-cache', dir]);
      let seen = '';
      await new Promise<void>((resolve) => run.child.stdout!.on('data', (d: Buffer) => { seen += d; if (seen.includes('STEP 2/2')) resolve(); }));
      await new Promise((r) => setTimeout(r, 1500)); // the RUN's container is running
      const t0 = Date.now();
      run.child.kill(sig);
      const r = await run;
      assert.equal(r.code, code, r.stderr);
      assert.ok(Date.now() - t0 < 10_000, 'the build ended within seconds, not after the RUN');
      assert.equal(s.ok(['ps', '-a', '--external', '-q']), '', 'no build container is left');
    }
  });

  test('a runtime that cannot be found fails the build before anything is made', { skip: REMOTE && 'the service picks the runtime' }, () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN true\n' });
    const r = s.run(['--runtime', 'idonotexist', 'build', '--no-cache', dir]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^Error: default OCI runtime "idonotexist" not found: invalid argument$/m);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '', 'no build container is left');
    // As podman, every command fails up front with such a runtime (removing a container whose
    // runtime vanished since is in containers-cli/run-parity).
    assert.equal(s.run(['--runtime', 'idonotexist', 'create', 'localhost/busybox', 'true']).code, 125);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
  });

  test('bad values get podman\'s errors', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN true\n' });
    const cases: [string[], RegExp][] = [
      [['--add-host', 'foo'], /^Error: invalid value for add-host: bad format for add-host: "foo"$/m],
      [['--add-host', 'foo:1.2.3'], /^Error: invalid value for add-host: invalid IP address in add-host: "1.2.3"$/m],
      [['--add-host', 'a:1.2.3.4', '--no-hosts'], /^Error: --no-hosts and --add-host conflict, can not be used together$/m],
      [['--memory', '1x'], /^Error: invalid value for memory: invalid size: '1x'$/m],
      [['--memory-swap', '1x'], /^Error: invalid value for memory-swap: invalid size: '1x'$/m],
      [['--shm-size', '1x'], /^Error: invalid --shm-size: invalid size: '1x'$/m],
      [['--cpu-shares', '-1'], /^Error: invalid argument "-1" for "-c, --cpu-shares" flag: strconv.ParseUint: parsing "-1": invalid syntax$/m],
      [['--security-opt', 'no-new-privileges'], /^Error: no-new-privileges is not supported$/m],
      [['--security-opt', 'foo=bar'], /^Error: invalid --security-opt 2: "foo=bar"$/m],
      [['--security-opt', 'foo'], /^Error: invalid --security-opt name=value pair: "foo"$/m],
      [['--cap-add', 'BOGUS'], /^Error: creating build executor: "CAP_BOGUS": unknown capability$/m],
      [['--device', '/dev/nonexistent'], /^Error: creating build executor: getting info of source device \/dev\/nonexistent: stat \/dev\/nonexistent: no such file or directory$/m],
      [['--network', 'none', '--dns', '1.1.1.1'], /^Error: the --dns option cannot be used with --network=none$/m],
      [['--dns', 'none', '--dns', '1.1.1.1'], /^Error: invalid --dns, --dns=none may not be used with any other --dns options$/m],
      [['--dns', 'none', '--dns-search', 'x'], /^Error: invalid --dns-search, --dns-search may not be used with --dns=none$/m],
      [['--isolation', 'bogus'], /^Error: unrecognized isolation type "bogus"$/m],
      [['--isolation', 'chroot', '--network', 'none'], /^Error: cannot set --network other than host with --isolation chroot$/m],
      [['--jobs', '-1'], /^Error: building: invalid value for jobs. {2}It must be a positive integer$/m],
      [['--cache-ttl', 'bogus'], /^Error: unable to parse value provided "bogus" as --cache-ttl: time: invalid duration "bogus"$/m],
      [['--build-context', 'foo'], /^Error: while parsing additional build context: \["foo"\], accepts value in the form of key=value$/m],
      [['--squash', '--layers'], /^Error: cannot specify --squash with --layers and --squash-all with --squash$/m],
      [['--squash-all', '--squash'], /^Error: cannot specify --squash with --layers and --squash-all with --squash$/m],
      [['--pull=always', '--pull-never'], /^Error: can only set one of 'pull' or 'pull-always' or 'pull-never'$/m],
      [['--cache-from', 'quay.io/x/cache'], /^Error: registry-backed build caches \(--cache-from\) are not supported by pier$/m],
      [['--ssh', 'default'], /^Error: SSH agent forwarding \(--ssh\) is not supported by pier$/m],
    ];
    for (const [args, re] of cases) assert.match(fails([...args, dir]), re, args.join(' '));
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
  });

  test('accepted as podman accepts them: --jobs, --isolation, --compress, -D, --identity-label, --disable-content-trust, --retry, buildx --load', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo accepted\n' });
    for (const args of [['--jobs', '4'], ['--isolation', 'chroot'], ['--isolation', 'oci'], ['--compress'], ['-D'], ['--disable-compression=false'],
      ['--identity-label=false'], ['--disable-content-trust'], ['--retry', '1', '--retry-delay', '1s'], ['--userns', 'host']]) {
      assert.match(build(dir, ['--no-cache', ...args]).out, /^accepted$/m, args.join(' '));
    }
    assert.match(s.ok(['buildx', 'build', '--load', '--progress', 'plain', '--no-cache', dir]), /^accepted$/m);
  });
});

describe('build: the result', () => {
  test('--env and --unsetenv change every step\'s image (later RUNs see them); $VAR comes from the image; NAME takes this environment\'s value; NAME- removes', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo "run:[$FOO]"\nENV KEEP=1 DROP=2\nRUN echo "run2:[$FOO][$DROP]"\n' });
    const r = s.run(['build', '--no-cache', '-t', 'envd', '--env', 'FOO=bar', '--env', 'P2=$PATH:/x', '--env', 'FROMHOST', '--env', 'KEEP-',
      '--unsetenv', 'DROP', dir], { env: { FROMHOST: 'host value' } });
    assert.equal(r.code, 0, r.stderr);
    // The first RUN runs before any commit (buildah applies them at each commit).
    assert.match(r.stdout, /^run:\[\]$/m);
    assert.match(r.stdout, /^run2:\[bar\]\[\]$/m);
    const env: string[] = inspect('envd').Config.Env;
    assert.ok(env.includes('FOO=bar'));
    assert.ok(env.includes('P2=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/x'), env.join(' '));
    assert.ok(env.includes('FROMHOST=host value'));
    assert.ok(!env.some((e) => e.startsWith('KEEP=') || e.startsWith('DROP=')), env.join(' '));
    // A cached build without --env gives the image without them, and a FROM-only build gets them too.
    assert.ok(!inspect(build(dir, []).id).Config.Env.some((e: string) => e.startsWith('FOO=')));
    const only = build(context({ 'Containerfile': 'FROM localhost/busybox\n' }), ['--env', 'ONLY=1', '--unsetenv', 'PATH']);
    assert.deepEqual(inspect(only.id).Config.Env, ['ONLY=1']);
  });

  test('--from replaces the first FROM; --omit-history leaves no history; --os-version and --os-feature go into the config', () => {
    const dir = context({ 'Containerfile': 'FROM nosuch/image:here\nRUN echo from > /from\n' });
    const r = build(dir, ['--from', 'localhost/busybox', '-t', 'fromflag', '--omit-history', '--os-version', '10.0.17763.1', '--os-feature', 'win32k', '--os-feature', 'gone-']);
    assert.match(r.out, /^STEP 1\/2: FROM localhost\/busybox$/m);
    assert.equal(runIn('fromflag', 'cat', '/from'), 'from\n');
    const img = inspect('fromflag');
    assert.deepEqual(img.History ?? [], []);
    assert.equal(s.ok(['history', '--format', '{{.ID}}', 'fromflag']), '', 'no rows, as podman');
    const saved = path.join(s.dir, 'fromflag.tar');
    s.ok(['save', '--format', 'docker-archive', '-o', saved, 'fromflag']);
    const list = spawnSync('tar', ['-xOf', saved, '--wildcards', '*.json'], { encoding: 'utf8' }).stdout;
    assert.match(list, /"os\.version":"10\.0\.17763\.1"/);
    assert.match(list, /"os\.features":\["win32k"\]/);
    assert.doesNotMatch(list, /"history"/);
  });

  test('--output: the file system into a directory (type=local or a path) or a tar (type=tar, or - on stdout with the build\'s lines on stderr)', { skip: REMOTE && 'podman-remote refuses --output' }, () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo made > /made.txt\n' });
    const out1 = path.join(s.dir, 'out-local');
    build(dir, ['-o', `type=local,dest=${out1}`]);
    assert.equal(fs.readFileSync(path.join(out1, 'made.txt'), 'utf8'), 'made\n');
    assert.ok(fs.existsSync(path.join(out1, 'bin', 'busybox')));
    const out2 = path.join(s.dir, 'out-path');
    build(dir, ['--output', out2]);
    assert.equal(fs.readFileSync(path.join(out2, 'made.txt'), 'utf8'), 'made\n');
    const tarFile = path.join(s.dir, 'out.tar');
    build(dir, ['-o', `type=tar,dest=${tarFile}`]);
    assert.match(spawnSync('tar', ['-tf', tarFile], { encoding: 'utf8' }).stdout, /^made\.txt$/m);
    const toStdout = spawnSync(process.execPath, [PIER, ...s.globalArgs(), 'build', '-o', '-', dir], { env: s.env(), maxBuffer: 256 * 1024 * 1024 });
    assert.equal(toStdout.status, 0, toStdout.stderr.toString());
    assert.match(toStdout.stderr.toString(), /^STEP 2\/2: RUN echo made > \/made\.txt$/m);
    const listed = spawnSync('tar', ['-t'], { input: toStdout.stdout, encoding: 'utf8' });
    assert.equal(listed.status, 0);
    assert.match(listed.stdout, /^made\.txt$/m);
    assert.match(fails(['-o', 'type=local,dest=-', dir]), /^Error: failed to parse build output: invalid build output option "type=local,dest=-", type=local and dest=- is not supported$/m);
    assert.match(fails(['-o', 'type=foo,dest=x', dir]), /^Error: failed to parse build output: invalid type "foo" selected for build output options "type=foo,dest=x"$/m);
    assert.match(fails(['-o', 'foo=bar,dest=x', dir]), /^Error: failed to parse build output: unrecognized key "foo" in build output option: "foo=bar,dest=x"$/m);
  });

  test('remote mode refuses --output, --volume, --stdin and --runtime-flag as podman-remote does', { skip: !REMOTE && 'remote only' }, () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\n' });
    assert.match(fails(['-o', path.join(s.dir, 'o'), dir]), /^Error: '--output' option is not supported in remote mode$/m);
    assert.match(fails(['-v', `${s.dir}:/x`, dir]), /^Error: '--volume' option is not supported in remote mode$/m);
    assert.match(fails(['--stdin', dir]), /^Error: '--stdin' option is not supported in remote mode$/m);
    assert.match(fails(['--runtime-flag', 'debug', dir]), /^Error: '--runtime-flag' option is not supported in remote mode$/m);
  });
});

describe('build: stages and contexts', () => {
  test('--skip-unused-stages (the default) builds only what the target needs; =false builds every stage before it', () => {
    const dir = context({
      'Containerfile': [
        'FROM localhost/busybox AS unused', 'RUN echo built-unused',
        'FROM localhost/busybox AS dep', 'RUN echo built-dep | tee /dep',
        'FROM localhost/busybox AS viacopy', 'RUN echo built-viacopy | tee /c',
        'FROM dep AS final', 'COPY --from=viacopy /c /c', 'RUN echo built-final',
        'FROM localhost/busybox AS after', 'RUN echo built-after',
        '',
      ].join('\n'),
    });
    const r = build(dir, ['--no-cache', '--target', 'final']);
    assert.doesNotMatch(r.out, /built-unused|built-after|\[1\/4\]/);
    assert.match(r.out, /^\[2\/4\] STEP 1\/2: FROM localhost\/busybox AS dep$/m);
    assert.match(r.out, /^built-dep$/m);
    assert.match(r.out, /^built-viacopy$/m);
    assert.match(r.out, /^\[4\/4\] COMMIT$/m);
    const all = build(dir, ['--no-cache', '--target', 'final', '--skip-unused-stages=false']);
    assert.match(all.out, /^built-unused$/m);
    assert.doesNotMatch(all.out, /built-after/);
    assert.doesNotMatch(build(dir, ['--no-cache']).out, /built-(unused|dep|viacopy|final)/, 'the last stage needs none');
  });

  test('--build-context: a directory, an image and a tarball URL for FROM, COPY --from and RUN --mount from=; it wins over a stage of the same name', async () => {
    const extra = fs.mkdtempSync(path.join(s.dir, 'extra-'));
    fs.writeFileSync(path.join(extra, 'e.txt'), 'extra file\n');
    const tarDir = fs.mkdtempSync(path.join(s.dir, 'tarsrc-'));
    fs.writeFileSync(path.join(tarDir, 'u.txt'), 'from the url\n');
    const tarball = spawnSync('tar', ['-cz', '-C', tarDir, '.']).stdout;
    const server = http.createServer((_q, res) => { res.writeHead(200, { 'Content-Type': 'application/gzip' }); res.end(tarball); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}/src.tar.gz`;
    try {
      const dir = context({
        'Containerfile': [
          'FROM alpine AS ctx',
          'RUN echo stage > /stage',
          'FROM base',
          'COPY --from=ctx e.txt /e.txt',
          'COPY --from=web u.txt /u.txt',
          'COPY --from=img /bin/busybox /bb',
          'RUN --mount=type=bind,from=ctx,target=/m cat /m/e.txt',
          '',
        ].join('\n'),
      });
      const args = ['--build-context', `ctx=${extra}`, '--build-context', 'img=docker-image://localhost/busybox', '--build-context', 'base=container-image://localhost/busybox',
        '--build-context', `web=${url}`];
      // The HTTP server runs in this process: the builds must not block its event loop.
      const run = async (extraArgs: string[]) => {
        const r = await s.runAsync(['build', ...extraArgs, ...args, dir]);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        return { out: r.stdout, hits: (r.stdout.match(/^--> Using cache /gm) ?? []).length };
      };
      const r = await run(['--no-cache', '-t', 'withctx']);
      assert.match(r.out, /^extra file$/m);
      assert.doesNotMatch(r.out, /FROM alpine/, 'the stage named like a context is not needed');
      assert.equal(runIn('withctx', 'cat', '/e.txt', '/u.txt'), 'extra file\nfrom the url\n');
      assert.equal(runIn('withctx', 'stat', '-c', '%u:%g', '/e.txt'), '0:0\n', 'owned by root, as from the build context');
      // The context's files are part of the cache key.
      assert.equal((await run(['-t', 'withctx'])).hits, 4);
      fs.writeFileSync(path.join(extra, 'e.txt'), 'changed\n');
      const changed = await run(['-t', 'withctx']);
      assert.equal(changed.hits, 0, changed.out);
      assert.match(changed.out, /^changed$/m);
    } finally {
      server.close();
    }
  });

  test('--cache-ttl: cached steps older than the duration are not used', async () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo ttl > /ttl\n' });
    build(dir, []);
    assert.equal(build(dir, ['--cache-ttl', '1h']).hits, 1);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(build(dir, ['--cache-ttl', '1s']).hits, 0);
    assert.equal(build(dir, ['--cache-ttl', '0']).hits, 1, '0 is no limit in podman 4.3.1');
  });
});

describe('build: files and output', () => {
  test('--logfile: the build\'s lines go to the file (0600), not stdout', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo logged\n' });
    const log = path.join(s.dir, 'build.log');
    const r = s.run(['build', '--no-cache', '--logfile', log, dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(fs.readFileSync(log, 'utf8'), /^STEP 2\/2: RUN echo logged\nlogged\nCOMMIT\n--> [0-9a-f]{11}\n[0-9a-f]{64}\n$/m);
    assert.equal(fs.statSync(log).mode & 0o777, 0o600);
    // An existing file is truncated.
    fs.writeFileSync(log, 'old content that is truncated\n'.repeat(10));
    s.ok(['build', '--logfile', log, dir]);
    assert.doesNotMatch(fs.readFileSync(log, 'utf8'), /old content/);
  });

  test('a Containerfile named *.in goes through cpp, with --cpp-flag', () => {
    const dir = context({
      'Containerfile.in': 'FROM localhost/busybox\n#include "common.inc"\n#ifdef EXTRA\nRUN echo extra > /extra\n#endif\n',
      'common.inc': 'RUN echo common > /common\n',
    });
    const r = build(dir, ['-f', path.join(dir, 'Containerfile.in'), '--cpp-flag', '-DEXTRA', '-t', 'cpp']);
    assert.match(r.out, /^STEP 2\/3: RUN echo common > \/common$/m);
    assert.equal(runIn('cpp', 'cat', '/common', '/extra'), 'common\nextra\n');
    assert.match(build(dir, ['-f', path.join(dir, 'Containerfile.in')]).out, /^STEP 2\/2: RUN echo common/m, 'without the flag');
  });

  test('-f: a relative name is looked for here, then in the context; several -f are one Containerfile; --pull-never', () => {
    const dir = context({ 'Containerfile1': 'FROM localhost/busybox\nRUN echo one\n' });
    const second = path.join(s.dir, 'Containerfile2');
    fs.writeFileSync(second, 'FROM localhost/busybox\nRUN echo two\n');
    assert.match(build(dir, ['--no-cache', '-f', 'Containerfile1']).out, /^one$/m);
    assert.match(fails(['-f', 'Containerfile2', dir]), /Containerfile2: no such file or directory/);
    const both = build(dir, ['--no-cache', '-f', path.join(dir, 'Containerfile1'), '-f', second, '--skip-unused-stages=false']);
    assert.match(both.out, /^\[1\/2\] STEP 2\/2: RUN echo one$/m);
    assert.match(both.out, /^\[2\/2\] STEP 2\/2: RUN echo two$/m);
    assert.doesNotMatch(build(dir, ['--no-cache', '-f', path.join(dir, 'Containerfile1'), '-f', second]).out, /\[1\/2\]/, 'the first file\'s stage is not needed');
    assert.match(build(dir, ['--pull-never', '-f', 'Containerfile1']).out, /^STEP 1\/2: FROM localhost\/busybox$/m);
    const missing = context({ 'Containerfile': 'FROM quay.io/libpod/nosuchimage:nosuchtag\n' });
    assert.match(fails(['--pull-never', missing]), /^Error: creating build container: quay\.io\/libpod\/nosuchimage:nosuchtag: image not known$/m);
  });
});
