// Volume plugins (containers.conf [engine.volume_plugins]) against a real plugin: the test plugin
// tests/fixtures/volume-plugin.mjs speaks Docker's volume plugin protocol on a unix socket and
// keeps each volume as a directory, so the test can add and remove volumes behind pier's back.
// Outputs and errors as podman 4.3.1 gives them with the same plugin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { writeDockerArchive, busyboxImage } from '../fixtures/images';
import { VolStore, Result } from './helpers';
import { PIER, REMOTE } from '../helpers/cli';

/** podman's (and so pier's) id for every mount a plugin is asked for. */
const MOUNT_ID = '2f73349cfc4630255319c6c8dfc1b46a8996ace9d14d8e07563b165915918ec2';

/** Every command (and, in remote mode, the service) reads the store's containers.conf. */
class PluginStore extends VolStore {
  override env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return super.env({ CONTAINERS_CONF: path.join(this.dir, 'containers.conf'), ...extra });
  }
}
const s = new PluginStore();
const sock = path.join(s.dir, 'tv.sock');
const gone = path.join(s.dir, 'gone.sock');
const vols = path.join(s.dir, 'plugin-vols');
const conf = path.join(s.dir, 'containers.conf');
let plugin: ChildProcess | undefined;

const run = (args: string[]) => s.run(args);
const ok = (args: string[]) => s.ok(args);
/** `pier ARGS` in local mode also in the remote suite (for what the remote client refuses). */
function local(args: string[]): Result {
  const r = spawnSync(process.execPath, [PIER, ...s.localArgs(), ...args], { env: s.env() });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
function fails(args: string[], code: number, stderr: string, runner: (args: string[]) => Result = run): string {
  const r = runner(args);
  assert.equal(r.stderr, stderr, `pier ${args.join(' ')}`);
  assert.equal(r.code, code, `pier ${args.join(' ')}`);
  return r.stdout;
}
/** The requests the plugin received since the last call ({path, body} each). */
function requests(): { path: string; body: any }[] {
  const file = path.join(vols, '.requests');
  const out = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  fs.rmSync(file, { force: true });
  return out.filter((r) => r.path !== '/Plugin.Activate');
}

before(async () => {
  fs.writeFileSync(conf, `[engine]\n[engine.volume_plugins]\ntv = "${sock}"\ngone = "${gone}"\n`);
  plugin = spawn(process.execPath, [path.join(__dirname, '..', 'fixtures', 'volume-plugin.mjs'), sock, vols], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    plugin!.stdout!.once('data', () => resolve());
    plugin!.once('exit', (code) => reject(new Error(`volume plugin exited ${code}`)));
  });
  const archive = path.join(s.dir, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  ok(['load', '-q', '-i', archive]);
});
after(() => {
  plugin?.kill('SIGTERM');
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

test('volume create --driver: the plugin makes the volume; inspect and ls show it', () => {
  assert.equal(ok(['volume', 'create', '--driver', 'tv', '-o', 'size=1', '-o', 'o=timeout=7,uid=5', 'v1']), 'v1\n');
  assert.deepEqual(requests(), [
    { path: '/VolumeDriver.Get', body: { Name: 'v1' } },
    { path: '/VolumeDriver.Create', body: { Name: 'v1', Opts: { size: '1', o: 'uid=5', UID: '5' } } },
    { path: '/VolumeDriver.Get', body: { Name: 'v1' } },
  ]);
  assert.ok(fs.statSync(path.join(vols, 'v1')).isDirectory());
  ok(['volume', 'create', '--driver', 'tv', 'v2']);
  ok(['volume', 'create', 'loc']);
  const [v] = JSON.parse(ok(['volume', 'inspect', 'v2']));
  assert.deepEqual({ ...v, CreatedAt: undefined }, {
    Name: 'v2', Driver: 'tv', Mountpoint: '', CreatedAt: undefined, Status: { mounts: 0 }, Labels: {}, Scope: 'local', Options: {},
    MountCount: 0, NeedsCopyUp: true, NeedsChown: true, Timeout: 5,
  });
  assert.equal(ok(['volume', 'inspect', '--format', '{{.Driver}} {{.UID}} {{.Timeout}} {{.Options}}', 'v1']), 'tv 5 7 map[UID:5 o:uid=5 size:1]\n');
  assert.equal(ok(['volume', 'ls']), 'DRIVER      VOLUME NAME\nlocal       loc\ntv          v1\ntv          v2\n');
  assert.equal(ok(['volume', 'ls', '-q', '--filter', 'driver=tv']), 'v1\nv2\n');
  // A volume the plugin has already is taken as it is.
  fs.mkdirSync(path.join(vols, 'pre'));
  requests();
  ok(['volume', 'create', '-o', 'x=y', '--driver', 'tv', 'pre']);
  assert.deepEqual(requests().map((r) => r.path), ['/VolumeDriver.Get', '/VolumeDriver.Get']);
  ok(['volume', 'rm', 'pre']);
});

test('volume create --driver errors: unknown plugin, missing socket, the plugin refusing', () => {
  fails(['volume', 'create', '--driver', 'nope', 'x1'], 125,
    'Error: volume x1 uses volume plugin nope but it could not be retrieved: no volume plugin with name nope available: required plugin missing\n');
  fails(['volume', 'create', '--driver', 'gone', 'x2'], 125,
    `Error: volume x2 uses volume plugin gone but it could not be retrieved: cannot access plugin gone socket "${gone}": stat ${gone}: no such file or directory\n`);
  fails(['volume', 'create', '--driver', 'tv', '-o', 'fail=no space left', 'x3'], 125,
    'Error: creating volume "x3" in plugin tv: on /VolumeDriver.Create on volume x3 in volume plugin tv: no space left\n');
  fails(['volume', 'create', '--driver', 'tv', 'loc'], 125, 'Error: volume with name loc already exists: volume already exists\n');
  fails(['volume', 'create', '-o', 'o=timeout=3', 'x4'], 125, 'Error: running volume create option: Volume driver timeout can only be used with non-local volume drivers: invalid argument\n');
  assert.equal(ok(['volume', 'ls', '-q']), 'loc\nv1\nv2\n');
  fails(['--url', 'unix:///nonexistent.sock', 'volume', 'reload'], 125, 'Error: volume reload is not supported for remote clients\n', local);
  requests();
});

test('containers mount a plugin volume through the plugin, and unmount it when they stop', () => {
  const out = ok(['run', '--rm', '-v', 'v1:/data', 'localhost/busybox', 'sh', '-c', 'echo hello > /data/f; grep -c " /data " /proc/self/mountinfo']);
  assert.equal(out, '1\n');
  assert.equal(fs.readFileSync(path.join(vols, 'v1', 'f'), 'utf8'), 'hello\n');
  assert.deepEqual(requests(), [
    { path: '/VolumeDriver.Mount', body: { Name: 'v1', ID: MOUNT_ID } },
    { path: '/VolumeDriver.Unmount', body: { Name: 'v1', ID: MOUNT_ID } },
  ]);

  const id = ok(['run', '-d', '--mount', 'type=volume,src=v1,dst=/m', 'localhost/busybox', 'sleep', '60']).trim();
  assert.equal(ok(['volume', 'inspect', '--format', '{{.Mountpoint}} {{.MountCount}} {{.Status}}', 'v1']), `${path.join(vols, 'v1')} 1 map[mounts:1]\n`);
  const [m] = JSON.parse(ok(['inspect', '--format', '{{json .Mounts}}', id]));
  assert.deepEqual([m.Name, m.Source, m.Driver, m.Destination], ['v1', path.join(vols, 'v1'), 'tv', '/m']);
  assert.equal(ok(['exec', id, 'cat', '/m/f']), 'hello\n');
  fails(['volume', 'rm', 'v1'], 2, `Error: volume v1 is being used by the following container(s): ${id}: volume is being used\n`);
  ok(['stop', '-t', '0', id]);
  assert.equal(ok(['volume', 'inspect', '--format', '{{.Mountpoint}}|{{.MountCount}} {{.Status}}', 'v1']), '|0 map[mounts:0]\n');
  ok(['rm', id]);
  // volume mount / unmount: one more user while mounted.
  assert.deepEqual(local(['volume', 'mount', 'v1']), { code: 0, stdout: `${path.join(vols, 'v1')}\n`, stderr: '' });
  assert.equal(ok(['volume', 'inspect', '--format', '{{.MountCount}}', 'v1']), '1\n');
  assert.deepEqual(local(['volume', 'unmount', 'v1']), { code: 0, stdout: 'v1\n', stderr: '' });
  assert.deepEqual(requests().filter((r) => r.path !== '/VolumeDriver.Get').map((r) => r.path),
    ['/VolumeDriver.Mount', '/VolumeDriver.Unmount', '/VolumeDriver.Mount', '/VolumeDriver.Unmount']);
});

test('volume rm has the plugin remove it', () => {
  assert.equal(ok(['volume', 'rm', 'v1']), 'v1\n');
  assert.deepEqual(requests(), [{ path: '/VolumeDriver.Get', body: { Name: 'v1' } }, { path: '/VolumeDriver.Remove', body: { Name: 'v1' } }]);
  assert.equal(fs.existsSync(path.join(vols, 'v1')), false);
  assert.equal(ok(['volume', 'ls', '-q', '--filter', 'driver=tv']), 'v2\n');
});

test('volume reload: records the plugins\' new volumes, forgets the ones they dropped, reports the plugin that failed', () => {
  fs.mkdirSync(path.join(vols, 'behind'));
  fs.rmSync(path.join(vols, 'v2'), { recursive: true });
  requests();
  const out = fails(['volume', 'reload'], 125,
    `Error: cannot access plugin gone socket "${gone}": stat ${gone}: no such file or directory\n`, local);
  assert.equal(out, 'Added:\nbehind\nRemoved:\nv2\n');
  assert.deepEqual(requests().map((r) => r.path), ['/VolumeDriver.List']);
  assert.equal(ok(['volume', 'ls', '-q']), 'behind\nloc\n');
  // Nothing changed: nothing printed.
  assert.equal(fails(['volume', 'reload'], 125, `Error: cannot access plugin gone socket "${gone}": stat ${gone}: no such file or directory\n`, local), '');
});

test('a plugin that is gone: inspect, run and rm fail as podman\'s do; rm still forgets the volume', async () => {
  plugin!.kill('SIGTERM');
  await new Promise((resolve) => plugin!.once('exit', resolve));
  let r = run(['volume', 'inspect', 'behind']);
  assert.equal(r.code, 125);
  if (REMOTE) {
    // The service had the plugin in use already: it finds the socket gone (podman's service words it so too).
    assert.equal(r.stderr, 'Error: retrieving volume behind information from plugin tv: tv: plugin is no longer available (shut down?)\n');
  } else {
    assert.match(r.stderr, /^time="[^"]+" level=error msg="Volume behind uses volume plugin tv, but it cannot be accessed - some functionality may not be available: cannot access plugin tv socket/);
    assert.match(r.stderr, /\nError: volume behind uses volume plugin tv but it is not available, cannot inspect: required plugin missing\n$/);
  }
  r = run(['run', '--rm', '-v', 'behind:/d', 'localhost/busybox', 'true']);
  assert.equal(r.code, 126);
  assert.match(r.stderr, /^Error: mounting volume behind for container [0-9a-f]{64}: volume plugin tv \(needed by volume behind\) missing: required plugin missing\n$/);
  assert.equal(ok(['ps', '-aq']), '');
  fails(['volume', 'rm', 'behind'], 125, 'Error: cannot remove volume behind from plugin tv, but it has been removed from pier: required plugin missing\n');
  assert.equal(ok(['volume', 'ls', '-q']), 'loc\n');
});
