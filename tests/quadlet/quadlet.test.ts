// pier-quadlet: unit files read and written as systemd's, the generator's command line and
// errors, the units it makes (checked by systemd-analyze verify) and those units' commands run
// for real, as systemd would run them, against the test's own store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { busyboxStoreForFile, REPO, TestStore } from '../helpers/cli';
import { NotifyListener } from '../helpers/notify';
import { escapeWord, splitWords, UnitFile } from '../../src/quadlet/unitfile';
import { processAlive } from '../../src/engine/conmon';

const QUADLET = path.join(REPO, 'dist', 'pier-quadlet');
const PIER_EXE = fs.realpathSync(path.join(REPO, 'dist', 'pier.js'));

let s: TestStore;
busyboxStoreForFile((x) => (s = x));

/** Runs the generator on `dir` (through PIER_QUADLET_UNIT_DIRS). */
function quadlet(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [QUADLET, ...args], { env: { ...process.env, PIER_QUADLET_UNIT_DIRS: dir, NODE_EXTRA_CA_CERTS: '' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A dry run's units by file name. */
function dryrun(dir: string): { units: Record<string, UnitFile>; code: number | null; stderr: string } {
  const r = quadlet(dir, '-dryrun');
  const units: Record<string, UnitFile> = {};
  for (const part of r.stdout.split(/^---(.+)---\n/m).slice(1).reduce<string[][]>((a, x, i) => (i % 2 ? a[a.length - 1].push(x) : a.push([x]), a), [])) {
    units[part[0]] = UnitFile.parse(part[1], part[0]);
  }
  return { units, code: r.code, stderr: r.stderr };
}

function writeFiles(dir: string, files: Record<string, string>): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** A command line as systemd runs it: a `-` prefix (failure ignored), words split and unescaped, specifiers replaced. */
function command(line: string, spec: Record<string, string>): { words: string[]; ignoreFailure: boolean } {
  const ignoreFailure = line.startsWith('-');
  const words = splitWords(ignoreFailure ? line.slice(1) : line, 'exec')!;
  return { ignoreFailure, words: words.map((w) => w.replace(/%(.)/g, (_, c: string) => (c === '%' ? '%' : spec[c] ?? assert.fail(`specifier %${c}`)))) };
}

/** Runs a unit's `key` commands with its Environment= settings (and `extra`), as systemd would. */
function runUnit(unit: UnitFile, key: string, spec: Record<string, string>, extra: NodeJS.ProcessEnv = {}): void {
  const env: NodeJS.ProcessEnv = { ...extra };
  for (const w of unit.lookupAllArgs('Service', 'Environment')) env[w.slice(0, w.indexOf('='))] = w.slice(w.indexOf('=') + 1).replace(/%(.)/g, (_, c: string) => spec[c]);
  for (const line of unit.lookupAll('Service', key)) {
    const { words: [cmd, ...args], ignoreFailure } = command(line, spec);
    const r = spawnSync(cmd, args, { env: s.env(env), timeout: 120_000, encoding: 'utf8' });
    if (!ignoreFailure) assert.equal(r.status, 0, `${key}: ${cmd} ${args.join(' ')}: ${r.stderr}`);
  }
}

/** The store the units' pier commands use: a storage.conf named by an Environment= line of the quadlet file. */
function storeEnvironment(): string {
  const file = path.join(s.dir, 'storage.conf');
  fs.writeFileSync(file, `[storage]\ngraphroot = "${s.root}"\nrunroot = "${s.runroot}"\n${s.driver ? `driver = "${s.driver}"\n` : ''}`);
  return `Environment=PIER_STORAGE_CONF=${file}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

test('unit files: groups, comments, continuations, values split and escaped as systemd does', () => {
  const u = UnitFile.parse('# top\n[Unit]\nDescription = a web  \nAfter=a.service \\\n   b.service\n\n; semi\n[Service]\nX=1\n[Unit]\nAfter=\nAfter=c.service\n', 'x.container');
  assert.equal(u.lookup('Unit', 'Description'), 'a web');
  assert.deepEqual(u.lookupAll('Unit', 'After'), ['c.service'], 'an empty value resets the list');
  assert.deepEqual(u.keys('Unit'), ['Description', 'After']);
  // Written back as read, the second [Unit] merged into the first.
  assert.equal(u.toString(), '# top\n[Unit]\nDescription=a web\nAfter=a.service \\\nb.service\nAfter=\nAfter=c.service\n\n; semi\n[Service]\nX=1\n');
  const v = UnitFile.parse('[Unit]\nAfter=a.service \\\n   b.service\n');
  assert.deepEqual(v.lookupAllStrv('Unit', 'After'), ['a.service', 'b.service']);
  assert.throws(() => UnitFile.parse('[Unit]\nnot a key\n'), /file contains line 2: “not a key” which is not a key-value pair, group, or comment/);
  assert.throws(() => UnitFile.parse('X=1\n'), /key file does not start with a group/);

  assert.deepEqual(splitWords(`a "b c" 'd e' f\\x41\\n "g\\"h" i"j k"l`, 'exec'), ['a', 'b c', 'd e', 'fA\n', 'g"h', 'ij kl']);
  assert.equal(splitWords('a\\qb', 'exec'), undefined, 'an unknown escape');
  assert.deepEqual(splitWords('a\\b "c d"', 'strv'), ['a\\b', 'c d']);
  for (const w of ['plain', 'two words', 'tab\there', 'q"uote', "it's", 'back\\slash', 'nl\n', 'é ü', '']) {
    assert.deepEqual(splitWords(escapeWord(w), 'exec'), [w], escapeWord(w));
  }
  assert.equal(escapeWord('a b"c'), '"a b\\"c"');
});

test('the generator: usage, flags and errors as quadlet has them', () => {
  const help = spawnSync(process.execPath, [QUADLET, '-help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stderr, /^Usage of .*pier-quadlet:\n {2}pier-quadlet \[-dryrun\] \[-user\] \[-v\] \[-no-kmsg-log\] \[normal-dir \[early-dir\] \[late-dir\]\]\n/);
  assert.match(help.stderr, /\n {2}-dryrun\n {4}\tRun in dryrun mode printing debug information\n[^]*\n {2}-v\tPrint debug information\n/);
  const bad = spawnSync(process.execPath, [QUADLET, '-x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^flag provided but not defined: -x\nUsage of /);
  const ver = spawnSync(process.execPath, [QUADLET, '--version'], { encoding: 'utf8' });
  assert.deepEqual([ver.status, ver.stdout], [0, `${JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version}\n`]);
  // No output directory without -dryrun.
  const empty = fs.mkdtempSync(path.join(s.dir, 'empty-'));
  const noOut = quadlet(empty, '-no-kmsg-log');
  assert.equal(noOut.code, 1);
  assert.match(noOut.stderr, /^pier-quadlet\[\d+\]: missing output directory argument\n$/);
  // Nothing to do is no error.
  assert.deepEqual([quadlet(empty, '-no-kmsg-log', path.join(empty, 'out')).code, fs.existsSync(path.join(empty, 'out'))], [0, false]);

  // A bad file is reported and skipped; the others are still made; the exit code is 1.
  const dir = writeFiles(path.join(s.dir, 'errors'), {
    'ok.container': '[Container]\nImage=localhost/busybox\n',
    'unknown.container': '[Container]\nImage=localhost/busybox\nFrobnicate=yes\n',
    'startup.container': '[Container]\nImage=localhost/busybox\nHealthStartupCmd=true\n',
    'noimage.container': '[Container]\nExec=true\n',
    'killmode.container': '[Container]\nImage=localhost/busybox\n[Service]\nKillMode=process\n',
    'syntax.volume': '[Volume]\nthis is not a key\n',
    'gateway.network': '[Network]\nGateway=10.1.2.1\n',
    'noyaml.kube': '[Kube]\nNetwork=host\n',
    'short.container': '[Container]\nImage=busybox\n',
  });
  const r = dryrun(dir);
  assert.equal(r.code, 1);
  assert.deepEqual(Object.keys(r.units).sort(), ['ok.service', 'short.service']);
  const errors = r.stderr.split('\n').filter((l) => !/Loading source unit file/.test(l) && l).map((l) => l.replace(/^pier-quadlet\[\d+\]: /, ''));
  assert.deepEqual(errors, [
    `error loading "${dir}/syntax.volume", file contains line 2: “this is not a key” which is not a key-value pair, group, or comment`,
    'converting "gateway.network": cannot set gateway or range without subnet',
    `converting "killmode.container": invalid KillMode 'process'`,
    'converting "noimage.container": no Image or Rootfs key specified',
    'converting "noyaml.kube": no Yaml key specified',
    'Warning: short.container specifies the image "busybox" which not a fully qualified image name. This is not ideal for performance and security reasons. See the podman-pull manpage discussion of short-name-aliases.conf for details.',
    `converting "startup.container": unsupported key 'HealthStartupCmd' in group 'Container' in ${dir}/startup.container`,
    `converting "unknown.container": unsupported key 'Frobnicate' in group 'Container' in ${dir}/unknown.container`,
  ]);
});

test('the units: quadlet\'s layout with pier as the command; systemd-analyze verify accepts them; [Install] applied', () => {
  const dir = writeFiles(path.join(s.dir, 'layout'), {
    'web.container': '# the web\n[Unit]\nDescription=web\n\n[Container]\nImage=localhost/busybox\nExec=httpd -f -p "8080"\nEnvironment=A=1 "B=two words"\nLabel=app=web\nVolume=data.volume:/data:ro\nNetwork=net.network\nPublishPort=0.0.0.0:8080:8080\nNotify=yes\nRunInit=yes\nHealthCmd=true\nHostName=h1\nMount=type=volume,source=data.volume,destination=/m\nMount=dst=/b,type=bind,src=./b,ro=true\nPodmanArgs=--stop-timeout 3\n\n[Service]\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\nAlias=www.service\n',
    'data.volume': '[Volume]\nLabel=a=b\nUser=root\nGroup=0\nCopy=no\n',
    'net.network': '[Network]\nSubnet=10.89.7.0/24\nGateway=10.89.7.1\nIPRange=10.89.7.128/25\nInternal=yes\nOptions=mtu=1400\n',
    'app.kube': '[Kube]\nYaml=app.yaml\nConfigMap=cm.yaml\nNetwork=net.network\n',
  });
  const { units, code } = dryrun(dir);
  assert.equal(code, 0);
  assert.deepEqual(Object.keys(units).sort(), ['app.service', 'data-volume.service', 'net-network.service', 'web.service']);
  const web = units['web.service'];
  assert.equal(web.lookup('Unit', 'SourcePath'), `${dir}/web.container`);
  assert.deepEqual(web.lookupAll('Unit', 'Requires'), ['net-network.service', 'data-volume.service', 'data-volume.service']);
  assert.deepEqual(web.lookupAll('Unit', 'After'), ['net-network.service', 'data-volume.service', 'data-volume.service']);
  assert.deepEqual(web.lookupAll('Unit', 'RequiresMountsFor'), ['%t/containers', `${dir}/b`]);
  for (const [k, v] of [['Type', 'notify'], ['NotifyAccess', 'all'], ['KillMode', 'mixed'], ['Delegate', 'yes'], ['SyslogIdentifier', '%N'], ['Restart', 'always'], ['Environment', 'PODMAN_SYSTEMD_UNIT=%n']]) {
    assert.equal(web.lookup('Service', k), v, k);
  }
  assert.equal(web.lookup('Service', 'ExecStartPre'), '-/bin/rm -f %t/%N.cid');
  assert.equal(web.lookup('Service', 'ExecStop'), `${PIER_EXE} rm -f -i --cidfile=%t/%N.cid`);
  assert.equal(web.lookup('Service', 'ExecStopPost'), `-${PIER_EXE} rm -f -i --cidfile=%t/%N.cid`);
  assert.equal(web.lookup('Service', 'ExecStart'), `${PIER_EXE} run --name=systemd-%N --cidfile=%t/%N.cid --replace --rm --cgroups=split --network=systemd-net --init --sdnotify=container -d -v systemd-data:/data:ro --publish 8080:8080 --env A=1 --env "B=two words" --label app=web --mount type=volume,source=systemd-data,destination=/m --mount type=bind,dst=/b,src=${dir}/b,ro=true --health-cmd true --hostname h1 --stop-timeout 3 localhost/busybox httpd -f -p 8080`);
  // The [Container] section stays, as X-Container; the others pass through.
  assert.equal(web.lookup('X-Container', 'Image'), 'localhost/busybox');
  assert.equal(web.hasGroup('Container'), false);
  assert.match(web.toString(), /^# the web\n\[Unit\]\nDescription=web\n/);
  assert.equal(units['data-volume.service'].lookup('Service', 'ExecStart'), `${PIER_EXE} volume create --ignore --opt nocopy --opt o=uid=0,gid=0 --label a=b systemd-data`);
  assert.equal(units['net-network.service'].lookup('Service', 'ExecStart'), `${PIER_EXE} network create --ignore --subnet=10.89.7.0/24 --gateway=10.89.7.1 --ip-range=10.89.7.128/25 --internal --opt mtu=1400 systemd-net`);
  for (const u of ['data-volume.service', 'net-network.service']) {
    assert.deepEqual(['Type', 'RemainAfterExit'].map((k) => units[u].lookup('Service', k)), ['oneshot', 'yes'], u);
  }
  const app = units['app.service'];
  assert.equal(app.lookup('Service', 'ExecStart'), `${PIER_EXE} kube play --replace --service-container=true --network=systemd-net --configmap ${dir}/cm.yaml ${dir}/app.yaml`);
  assert.deepEqual(['Type', 'NotifyAccess', 'KillMode', 'ExecStop'].map((k) => app.lookup('Service', k)), ['notify', 'all', 'mixed', undefined]);
  assert.equal(app.lookup('Service', 'ExecStopPost'), `-${PIER_EXE} kube down ${dir}/app.yaml`);

  // Written as a generator writes them: each verified by systemd, the [Install] links made.
  fs.writeFileSync(path.join(dir, 'app.yaml'), 'apiVersion: v1\nkind: Pod\n');
  const out = path.join(s.dir, 'generated');
  const w = quadlet(dir, '-no-kmsg-log', out, path.join(s.dir, 'early'), path.join(s.dir, 'late'));
  assert.equal(w.code, 0, w.stderr);
  assert.match(fs.readFileSync(path.join(out, 'web.service'), 'utf8'), /^# \n# Automatically generated by .*pier-quadlet\n# \n# the web\n\[Unit\]\n/);
  assert.equal(fs.readlinkSync(path.join(out, 'multi-user.target.wants', 'web.service')), '../web.service');
  assert.equal(fs.readlinkSync(path.join(out, 'www.service')), 'web.service');
  for (const f of ['web.service', 'data-volume.service', 'net-network.service', 'app.service']) {
    const r = spawnSync('systemd-analyze', ['verify', `./${f}`], { cwd: out, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    assert.equal(r.stderr, '', f);
  }
});

test('the units run: the volume and network services create what they declare, the container runs as configured, stops and is removed', async (t) => {
  const port = await freePort();
  const dir = writeFiles(path.join(s.dir, 'run'), {
    'web.container': `[Container]\nImage=localhost/busybox\nExec=httpd -f -p 8080 -h /here\nEnvironment=GREETING="hello world" MODE=test\nEnvironmentFile=web.env\nLabel=app=web "tier=front end"\nAnnotation=note=yes\nVolume=qdata.volume:/data\nVolume=./here:/here:ro\nTmpfs=/scratch\nNetwork=qnet.network\nPublishPort=127.0.0.1:${port}:8080\nUser=1000\nGroup=1001\nWorkingDir=/data\nDropCapability=all\nAddCapability=CAP_CHOWN\nNoNewPrivileges=yes\nReadOnly=yes\nVolatileTmp=yes\nRunInit=yes\n\n[Service]\n${storeEnvironment()}\n`,
    'web.env': 'FROMFILE=yes\n',
    'qdata.volume': '[Volume]\nLabel=purpose=data\nUser=1000\nGroup=1001\n',
    'qnet.network': '[Network]\nSubnet=10.89.213.0/24\nGateway=10.89.213.1\nLabel=purpose=net\n' + `[Service]\n${storeEnvironment()}\n`,
  });
  fs.mkdirSync(path.join(dir, 'here'));
  fs.writeFileSync(path.join(dir, 'here', 'index.html'), 'served by a quadlet\n');
  // The volume's service carries no Environment= line: its own environment names the store.
  fs.appendFileSync(path.join(dir, 'qdata.volume'), `[Service]\n${storeEnvironment()}\n`);
  const { units, code, stderr } = dryrun(dir);
  assert.equal(code, 0, stderr);
  const runtime = fs.mkdtempSync(path.join(s.dir, 'xdg-run-'));
  const spec = (unit: string) => ({ n: unit, N: unit.replace(/\.service$/, ''), t: runtime });

  runUnit(units['qdata-volume.service'], 'ExecStart', spec('qdata-volume.service'));
  // A second start finds it there (--ignore).
  runUnit(units['qdata-volume.service'], 'ExecStart', spec('qdata-volume.service'));
  const vol = JSON.parse(s.ok(['volume', 'inspect', 'systemd-qdata']))[0];
  assert.deepEqual([vol.Labels, vol.Options], [{ purpose: 'data' }, { o: 'uid=1000,gid=1001', UID: '1000', GID: '1001' }]);
  runUnit(units['qnet-network.service'], 'ExecStart', spec('qnet-network.service'));
  runUnit(units['qnet-network.service'], 'ExecStart', spec('qnet-network.service'));
  const netw = JSON.parse(s.ok(['network', 'inspect', 'systemd-qnet']))[0];
  assert.deepEqual([netw.subnets, netw.labels], [[{ subnet: '10.89.213.0/24', gateway: '10.89.213.1' }], { purpose: 'net' }]);

  // The container's service, started as systemd starts a Type=notify service.
  const web = units['web.service'];
  const notify = await new NotifyListener(path.join(s.dir, 'notify.sock'), s.dir).ready();
  t.after(() => notify.close());
  runUnit(web, 'ExecStartPre', spec('web.service'));
  runUnit(web, 'ExecStart', spec('web.service'), { NOTIFY_SOCKET: notify.address });
  const cid = fs.readFileSync(path.join(runtime, 'web.cid'), 'utf8').trim();
  const ins = JSON.parse(s.ok(['inspect', 'systemd-web']))[0];
  assert.equal(ins.Id, cid);
  assert.equal(ins.State.Status, 'running');
  assert.deepEqual(await notify.wait(1), [`MAINPID=${ins.State.ConmonPid}\nREADY=1`]);
  assert.deepEqual(ins.Config.Labels, { app: 'web', tier: 'front end', PODMAN_SYSTEMD_UNIT: 'web.service', 'org.pier.fixture': 'busybox' });
  assert.equal(ins.Config.Annotations.note, 'yes');
  for (const e of ['GREETING=hello world', 'MODE=test', 'FROMFILE=yes']) assert.ok(ins.Config.Env.includes(e), e);
  assert.deepEqual([ins.Config.User, ins.Config.WorkingDir, ins.HostConfig.ReadonlyRootfs, ins.HostConfig.Init], ['1000:1001', '/data', true, true]);
  assert.ok(ins.HostConfig.SecurityOpt.includes('no-new-privileges'));
  const mounts = Object.fromEntries(ins.Mounts.map((m: { Destination: string; Name?: string; Source: string; RW: boolean }) => [m.Destination, [m.Name ?? '', m.Source, m.RW]]));
  assert.equal(mounts['/data'][0], 'systemd-qdata');
  assert.deepEqual(mounts['/here'], ['', `${dir}/here`, false]);
  assert.ok(ins.NetworkSettings.Networks['systemd-qnet'].IPAddress.startsWith('10.89.213.'));
  // Inside: the user, the volume owned by it, the tmpfs, CAP_CHOWN alone, the published port serving the bind mount.
  assert.equal(s.ok(['exec', 'systemd-web', 'sh', '-c', 'id -u; id -g; stat -c %u:%g /data; grep -c " /scratch tmpfs " /proc/mounts; grep -c " /tmp tmpfs " /proc/mounts; grep CapBnd /proc/self/status']),
    '1000\n1001\n1000:1001\n1\n1\nCapBnd:\t0000000000000001\n');
  const body = await (await fetch(`http://127.0.0.1:${port}/index.html`)).text();
  assert.equal(body, 'served by a quadlet\n');

  // Stopped as systemd stops it: ExecStop removes the container and its ID file; ExecStopPost
  // then finds nothing to remove and succeeds (rm -i).
  const cidFile = path.join(runtime, 'web.cid');
  runUnit(web, 'ExecStop', spec('web.service'));
  assert.equal(s.run(['container', 'exists', 'systemd-web']).code, 1);
  runUnit(web, 'ExecStopPost', spec('web.service'));
  // Started again (ExecStartPre removes the last run's ID file); a container of its name left
  // behind without its ID file (a lost runtime directory) is replaced (--replace).
  runUnit(web, 'ExecStartPre', spec('web.service'));
  runUnit(web, 'ExecStart', spec('web.service'));
  const second = fs.readFileSync(cidFile, 'utf8').trim();
  assert.notEqual(second, cid);
  fs.rmSync(cidFile);
  runUnit(web, 'ExecStart', spec('web.service'));
  assert.notEqual(fs.readFileSync(cidFile, 'utf8').trim(), second);
  assert.equal(s.ok(['ps', '-a', '-q', '--filter', 'name=^systemd-web$']).trim().split('\n').length, 1);
  runUnit(web, 'ExecStop', spec('web.service'));
  assert.equal(s.run(['container', 'exists', 'systemd-web']).code, 1);
  runUnit(web, 'ExecStopPost', spec('web.service'));
});

test('a .kube unit plays its YAML with a service container whose conmon systemd is told of, its PublishPort= overriding the YAML\'s, and takes it down', async (t) => {
  const [port, yamlPort] = [await freePort(), await freePort()];
  const dir = writeFiles(path.join(s.dir, 'kube'), {
    'app.kube': `[Kube]\nYaml=app.yaml\nPublishPort=127.0.0.1:${port}:8080\n\n[Service]\n${storeEnvironment()}\n`,
    'app.yaml': `apiVersion: v1\nkind: Pod\nmetadata:\n  name: qpod\nspec:\n  containers:\n  - name: main\n    image: localhost/busybox:latest\n    imagePullPolicy: Never\n    command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /etc & wait"]\n    ports:\n    - containerPort: 8080\n      hostPort: ${yamlPort}\n    env:\n    - name: FROM_YAML\n      value: "1"\n`,
  });
  const { units, code, stderr } = dryrun(dir);
  assert.equal(code, 0, stderr);
  const app = units['app.service'];
  const spec = { n: 'app.service', N: 'app', t: s.dir };
  const notify = await new NotifyListener(path.join(s.dir, 'kube-notify.sock'), s.dir).ready();
  t.after(() => notify.close());
  runUnit(app, 'ExecStart', spec, { NOTIFY_SOCKET: notify.address });
  assert.equal(s.ok(['inspect', '--format', '{{.State.Status}}', 'qpod-main']).trim(), 'running');
  // The service's main process: the service container's conmon.
  const service = `${createHash('sha256').update(fs.readFileSync(path.join(dir, 'app.yaml'))).digest('hex').slice(0, 12)}-service`;
  const conmon = Number(s.ok(['inspect', '--format', '{{.State.ConmonPid}}', service]));
  assert.deepEqual(await notify.wait(1), [`MAINPID=${conmon}\nREADY=1`]);
  assert.ok(s.ok(['exec', 'qpod-main', 'env']).includes('FROM_YAML=1\n'));
  assert.equal(app.lookup('Service', 'ExecStart'), `${PIER_EXE} kube play --replace --service-container=true --publish 127.0.0.1:${port}:8080 ${dir}/app.yaml`);
  assert.equal((await (await fetch(`http://127.0.0.1:${port}/hostname`)).text()).trim(), 'qpod');
  assert.equal(s.ok(['port', 'qpod-main']), `8080/tcp -> 127.0.0.1:${port}\n`);
  // A restart replaces the pod and the service container.
  runUnit(app, 'ExecStart', spec);
  const main = Number(s.ok(['inspect', '--format', '{{.State.ConmonPid}}', service]));
  assert.notEqual(main, conmon);
  // Stopped as systemd stops it (KillMode=mixed): SIGTERM to the main process, which passes it
  // on and exits with the container; then ExecStopPost takes the pods, and it, down.
  process.kill(main, 'SIGTERM');
  for (let i = 0; processAlive(main); i++) {
    assert.ok(i < 200, 'conmon did not exit');
    await new Promise((r) => setTimeout(r, 50));
  }
  runUnit(app, 'ExecStopPost', spec);
  assert.equal(s.run(['pod', 'exists', 'qpod']).code, 1);
  assert.equal(s.ok(['ps', '-a', '-q']), '');
});

test('user units: -user, or a program name holding "user", reads $XDG_CONFIG_HOME/pier/systemd and allows RemapUsers=keep-id', () => {
  const config = path.join(s.dir, 'xdg-config');
  writeFiles(path.join(config, 'pier', 'systemd'), { 'mine.container': '[Container]\nImage=localhost/busybox\nRemapUsers=keep-id\nRemapUid=1000\n' });
  const link = path.join(s.dir, 'pier-user-generator');
  fs.symlinkSync(QUADLET, link);
  const env = { ...process.env, XDG_CONFIG_HOME: config, PIER_QUADLET_UNIT_DIRS: '', NODE_EXTRA_CA_CERTS: '' };
  for (const [program, args] of [[QUADLET, ['-user']], [link, []]] as const) {
    const r = spawnSync(process.execPath, [program, '-dryrun', ...args], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^---mine\.service---\n/);
    assert.match(r.stdout, /\nExecStart=.* --userns=keep-id:uid=1000 localhost\/busybox\n/);
  }
  // As a system generator it reads other directories; the same file there is an error.
  const sys = quadlet(path.join(config, 'pier', 'systemd'), '-dryrun');
  assert.equal(sys.code, 1);
  assert.match(sys.stderr, /converting "mine\.container": RemapUsers=keep-id is unsupported for system units\n/);
});
