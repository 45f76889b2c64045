// `pier auto-update` against a real registry: the registry and local policies' checks, --dry-run,
// --format, the update itself (a pull, then the unit's restart), rollback, and podman's errors.
// Where systemd is not PID 1 (as on this host) the restart fails, which the first tests assert;
// the last one runs a real systemd manager (`systemd --user`) and restarts a unit made by
// `pier generate systemd --new` through it.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startRegistry, Registry } from '../fixtures/registry';
import { busyboxImage, multilayerImage, pushImage, TestImage } from '../fixtures/images';
import { PIER, TestStore } from '../helpers/cli';

// The unit label comes from this variable: only where a test sets it.
delete process.env.PODMAN_SYSTEMD_UNIT;

let reg: Registry;
let v1: TestImage;
let v2: TestImage;

before(async () => {
  reg = await startRegistry({ auth: 'none' });
  v1 = await busyboxImage('docker');
  v2 = await multilayerImage('docker');
});
after(async () => { await reg?.stop(); });

/** The image ID a name stands for in the store. */
function imageId(s: TestStore, name: string): string {
  return s.ok(['image', 'inspect', '--format', '{{.Id}}', name]).trim();
}

/** A tiny image (one file, no busybox) stored as `name`. */
function importTiny(s: TestStore, name: string): string {
  const dir = path.join(s.dir, 'tiny');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'file'), 'not a program\n');
  spawnSync('tar', ['-C', dir, '-cf', path.join(s.dir, 'tiny.tar'), 'file']);
  return s.ok(['import', '-q', path.join(s.dir, 'tiny.tar'), name]).trim().replace(/^sha256:/, '');
}

const NO_MANAGER = !fs.existsSync('/run/systemd/private');

describe('auto-update', () => {
  test('policies, --dry-run, --format, the update and its rollback where systemd cannot restart units', async () => {
    const s = new TestStore();
    try {
      const name = `${reg.host}/lib/app:latest`;
      await pushImage(reg, 'lib/app', 'latest', v1);
      // Nothing to do: no output, no event.
      const none = s.run(['auto-update']);
      assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', '']);
      assert.equal(s.ok(['events', '--stream=false', '--filter', 'type=system']), '');
      const extra = s.run(['auto-update', 'foo']);
      assert.deepEqual([extra.code, extra.stderr], [125, 'Error: `pier auto-update` takes no arguments\n']);

      s.ok(['pull', '-q', '--tls-verify=false', name]);
      const oldId = imageId(s, name);
      // The registry policy needs a fully-qualified name (checked at create, as podman).
      s.ok(['tag', name, 'shortname:latest', 'localhost/app:latest']);
      const short = s.run(['create', '--label', 'io.containers.autoupdate=registry', 'shortname:latest', 'true']);
      assert.deepEqual([short.code, short.stderr], [125, 'Error: short name: auto updates require fully-qualified image reference: "shortname:latest"\n']);
      const archive = path.join(s.dir, 'app.tar');
      s.ok(['save', '-o', archive, name]);
      const transport = s.run(['create', '--label', 'io.containers.autoupdate=image', `docker-archive:${archive}`, 'true']);
      assert.deepEqual([transport.code, transport.stderr.split('\n').slice(-2)], [125, ['Error: auto updates require the docker image transport but image is of transport "docker-archive"', '']]);
      assert.equal(s.ok(['ps', '-aq']), '', 'nothing was created');

      const unit = (u: string) => ({ env: { PODMAN_SYSTEMD_UNIT: u } });
      // `image`: registry's older name (reported as registry).
      const reg1 = s.ok(['run', '-d', '--network', 'none', '--name', 'reg', '--label', 'io.containers.autoupdate=image', name, 'sleep', '1000'], unit('reg.service')).trim();
      const loc = s.ok(['run', '-d', '--network', 'none', '--name', 'loc', '--label', 'io.containers.autoupdate=local', 'localhost/app:latest', 'sleep', '1000'], unit('loc.service')).trim();
      // Ignored: no label, the disabled policy, not running.
      s.ok(['run', '-d', '--network', 'none', '--name', 'plain', name, 'sleep', '1000'], unit('plain.service'));
      s.ok(['run', '-d', '--network', 'none', '--name', 'off', '--label', 'io.containers.autoupdate=disabled', name, 'sleep', '1000'], unit('off.service'));
      s.ok(['create', '--name', 'idle', '--label', 'io.containers.autoupdate=registry', name, 'sleep', '1000'], unit('idle.service'));
      assert.equal(s.ok(['inspect', '--format', '{{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}}', 'reg']).trim(), 'reg.service');

      const row = (u: string, id: string, n: string, image: string, policy: string, updated: string) => ({ u, c: `${id.slice(0, 12)} (${n})`, image, policy, updated });
      const table = (rows: ReturnType<typeof row>[]) => {
        // podman's template begins with an empty column: every line starts with 12 blanks.
        const w = (k: keyof ReturnType<typeof row>, h: string) => Math.max(12, h.length + 2, ...rows.map((r) => r[k].length + 2));
        const line = (c: string[]) => ' '.repeat(12) + c.map((x, i) => (i < 4 ? x.padEnd([w('u', 'UNIT'), w('c', 'CONTAINER'), w('image', 'IMAGE'), w('policy', 'POLICY')][i]) : x)).join('') + '\n';
        return line(['UNIT', 'CONTAINER', 'IMAGE', 'POLICY', 'UPDATED']) + rows.map((r) => line([r.u, r.c, r.image, r.policy, r.updated])).join('');
      };
      let r = s.run(['auto-update', '--dry-run', '--tls-verify=false']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, table([row('loc.service', loc, 'loc', 'localhost/app:latest', 'local', 'false'), row('reg.service', reg1, 'reg', name, 'registry', 'false')]));

      // A new image in the registry under the same tag, and a new local image under loc's name.
      await pushImage(reg, 'lib/app', 'latest', v2);
      const tinyId = importTiny(s, 'localhost/app:latest');
      const since = new Date(Date.now() - 1000).toISOString();
      r = s.run(['auto-update', '--dry-run', '--tls-verify=false']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, table([row('loc.service', loc, 'loc', 'localhost/app:latest', 'local', 'pending'), row('reg.service', reg1, 'reg', name, 'registry', 'pending')]));
      assert.equal(imageId(s, name), oldId, '--dry-run pulls nothing');
      assert.match(s.ok(['events', '--stream=false', '--since', since, '--filter', 'type=system']), / system auto-update\n/);

      r = s.run(['auto-update', '--dry-run', '--tls-verify=false', '--format', '{{.Unit}},{{.Image}},{{.Updated}},{{.Policy}},{{.ContainerName}}']);
      assert.equal(r.stdout, `loc.service,localhost/app:latest,pending,local,loc\nreg.service,${name},pending,registry,reg\n`);
      const json = JSON.parse(s.ok(['auto-update', '--dry-run', '--tls-verify=false', '--format', 'json']));
      assert.deepEqual(json[1], { Unit: 'reg.service', Container: `${reg1.slice(0, 12)} (reg)`, ContainerName: 'reg', ContainerID: reg1, Image: name, Policy: 'registry', Updated: 'pending' });
      // Without --tls-verify=false the plain-HTTP registry cannot be asked: as podman, no update, no error.
      r = s.run(['auto-update', '--dry-run', '--format', '{{.ContainerName}} {{.Updated}}']);
      assert.deepEqual([r.code, r.stdout], [0, 'loc pending\nreg false\n']);

      // The update: v2 is pulled, then each unit's restart fails (no systemd here); without
      // --rollback the new image stays.
      const dial = NO_MANAGER ? 'dial unix /run/systemd/private: connect: no such file or directory' : '.+';
      r = s.run(['auto-update', '--tls-verify=false', '--rollback=false', '--format', '{{.ContainerName}} {{.Updated}}']);
      assert.equal(r.code, 125);
      assert.equal(r.stdout, 'loc failed\nreg failed\n');
      assert.match(r.stderr, new RegExp(`Trying to pull ${name.replace(/\./g, '\\.')}\\.\\.\\.\n`));
      assert.match(r.stderr, new RegExp(`\nError: 2 errors occurred:\n\t\\* restarting unit loc\\.service during update: ${dial}\n\t\\* restarting unit reg\\.service during update: ${dial}\n$`));
      assert.equal(oldId, v1.configDigest.replace(/^sha256:/, ''));
      assert.equal(imageId(s, name), v2.configDigest.replace(/^sha256:/, ''), 'the registry policy pulled the new image');
      assert.equal(imageId(s, 'localhost/app:latest'), tinyId);

      // With rollback (the default): the names go back to the containers' images.
      s.ok(['tag', oldId, name]);
      r = s.run(['auto-update', '--tls-verify=false', '--format', '{{.ContainerName}} {{.Updated}}']);
      assert.equal(r.code, 125);
      assert.equal(r.stdout, 'loc failed\nreg failed\n');
      assert.match(r.stderr, /level=warning msg="Restarting unit reg\.service with the updated image failed: .+; rolling back"/);
      assert.match(r.stderr, new RegExp(`\nError: 2 errors occurred:\n\t\\* restarting unit loc\\.service during rollback: ${dial}\n\t\\* restarting unit reg\\.service during rollback: ${dial}\n$`));
      assert.equal(imageId(s, name), oldId, 'rolled back to the image reg runs');
      assert.equal(imageId(s, 'localhost/app:latest'), oldId, 'rolled back to the image loc runs');

      // kube play: the policy from the pod's annotations (KEY/CONTAINER), the unit from the environment.
      const yaml = path.join(s.dir, 'kp.yaml');
      fs.writeFileSync(yaml, `apiVersion: v1\nkind: Pod\nmetadata:\n  name: kp\n  annotations:\n    io.containers.autoupdate/app: registry\n`
        + `spec:\n  containers:\n  - name: app\n    image: ${name}\n    command: [sleep, "1000"]\n`);
      s.ok(['kube', 'play', '--network', 'none', yaml], unit('kp.service'));
      // Containers that cannot take part are errors; the others are still reported.
      s.ok(['run', '-d', '--network', 'none', '--name', 'nounit', '--label', 'io.containers.autoupdate=registry', name, 'sleep', '1000']);
      const nounit = s.ok(['inspect', '--format', '{{.Id}}', 'nounit']).trim();
      s.ok(['run', '-d', '--network', 'none', '--name', 'bogus', '--label', 'io.containers.autoupdate=bogus', name, 'sleep', '1000'], unit('bogus.service'));
      r = s.run(['auto-update', '--dry-run', '--tls-verify=false', '--format', '{{.ContainerName}} {{.Updated}}']);
      assert.equal(r.code, 125);
      assert.equal(r.stdout, 'kp-app pending\nloc false\nreg pending\n');
      assert.equal(r.stderr, `Error: 2 errors occurred:\n\t* auto-updating container "${nounit}": no PODMAN_SYSTEMD_UNIT label found\n`
        + '\t* invalid auto-update policy "bogus": valid policies are ["disabled" "image" "local" "registry"]\n');
    } finally {
      s.run(['pod', 'rm', '-a', '-f', '-t', '0']);
      s.run(['rm', '-a', '-f', '-t', '0']);
      s.cleanup();
    }
  });

  test('a real systemd manager restarts a unit made by generate systemd --new: updated, then rolled back', async () => {
    const s = new TestStore();
    const name = `${reg.host}/lib/web:latest`;
    // Managers run as root share cgroup paths: a unit name of its own keeps two runs apart.
    const ctr = `web-${path.basename(s.dir).slice(-6).toLowerCase()}`;
    const unit = `container-${ctr}.service`;
    const xdg = path.join(s.dir, 'xdg');
    const sdEnv: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: xdg, XDG_CONFIG_HOME: path.join(s.dir, 'config'), XDG_DATA_HOME: path.join(s.dir, 'data') };
    for (const k of ['NODE_EXTRA_CA_CERTS', 'NOTIFY_SOCKET', 'DBUS_SESSION_BUS_ADDRESS']) delete sdEnv[k];
    const systemctl = (...args: string[]) => spawnSync('systemctl', ['--user', ...args], { env: sdEnv, encoding: 'utf8' });
    let manager: ChildProcess | undefined;
    try {
      // Every command of the unit acts on this store, and reaches the registry over plain HTTP.
      fs.writeFileSync(s.registriesConf, `unqualified-search-registries = []\n[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
      const storageConf = path.join(s.dir, 'storage.conf');
      fs.writeFileSync(storageConf, `[storage]\ndriver = "overlay"\ngraphroot = "${s.root}"\nrunroot = "${s.runroot}"\n`);
      await pushImage(reg, 'lib/web', 'latest', v1);
      s.ok(['pull', '-q', name]);
      s.ok(['create', '--name', ctr, '--network', 'none', '--stop-signal', 'KILL', '--label', 'io.containers.autoupdate=registry', name, 'sleep', '1000']);
      const unitDir = path.join(xdg, 'systemd', 'user');
      fs.mkdirSync(unitDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(unitDir, unit),
        s.ok(['generate', 'systemd', '--new', '--name', '--restart-policy', 'no', '-e', `PIER_STORAGE_CONF=${storageConf}`, ctr]));
      s.ok(['rm', ctr]);

      // systemd's user manager: its private D-Bus socket is what pier (as root) reaches at
      // /run/systemd/private, in a mount namespace of its own.
      manager = spawn('/lib/systemd/systemd', ['--user'], { env: sdEnv, stdio: 'ignore' });
      const socket = path.join(xdg, 'systemd', 'private');
      for (const deadline = Date.now() + 10_000; !fs.existsSync(socket);) {
        assert.ok(Date.now() < deadline && manager.exitCode === null, 'systemd --user did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      const start = systemctl('start', unit);
      assert.equal(start.status, 0, start.stderr);
      const inspect = () => s.ok(['inspect', '--format', '{{.Id}} {{.Image}} {{.State.Status}} {{index .Config.Labels "PODMAN_SYSTEMD_UNIT"}}', ctr]).trim().split(' ');
      const [first, firstImage, , unitLabel] = inspect();
      assert.deepEqual([firstImage, unitLabel], [v1.configDigest.slice(7), unit]);

      const autoUpdate = () => spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c',
        'mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && touch /run/systemd/private && mount --bind "$SOCK" /run/systemd/private && exec "$@"',
        'sh', process.execPath, PIER, ...s.globalArgs(), 'auto-update', '--format', '{{.Unit}} {{.Updated}}'], { env: s.env({ SOCK: socket }), encoding: 'utf8' });

      // v2 in the registry: pulled, and the unit's restart makes a new container from it.
      await pushImage(reg, 'lib/web', 'latest', v2);
      let r = autoUpdate();
      assert.deepEqual([r.status, r.stdout], [0, `${unit} true\n`], r.stderr);
      const [second, secondImage, secondState] = inspect();
      assert.notEqual(second, first);
      assert.deepEqual([secondImage, secondState], [v2.configDigest.slice(7), 'running']);

      // An image the container cannot run from: the restart fails, the name goes back to v2 and
      // the unit is restarted once more from it.
      importTiny(s, 'localhost/broken');
      s.ok(['push', '-q', 'localhost/broken', name]);
      r = autoUpdate();
      assert.deepEqual([r.status, r.stdout], [0, `${unit} rolled back\n`], r.stderr);
      assert.ok(r.stderr.includes(`level=warning msg="Restarting unit ${unit} with the updated image failed: Job for ${unit} failed because the control process exited with error code; rolling back"`), r.stderr);
      const [third, thirdImage, thirdState] = inspect();
      assert.notEqual(third, second);
      assert.deepEqual([thirdImage, thirdState], [v2.configDigest.slice(7), 'running']);
      assert.equal(imageId(s, name), v2.configDigest.slice(7));
    } finally {
      if (manager) {
        systemctl('stop', unit);
        manager.kill('SIGTERM');
        for (let i = 0; i < 100 && manager.exitCode === null && manager.signalCode === null; i++) await new Promise((r) => setTimeout(r, 50));
        manager.kill('SIGKILL');
      }
      s.run(['rm', '-a', '-f', '-t', '0']);
      s.cleanup();
    }
  });

  test('podman-remote 4.3 has no auto-update: refused', () => {
    const s = new TestStore();
    try {
      const r = spawnSync(process.execPath, [PIER, '--url', `unix://${path.join(s.dir, 'none.sock')}`, 'auto-update'], { env: s.env() });
      assert.deepEqual([r.status, r.stdout.toString(), r.stderr.toString()], [125, '', 'Error: cannot use command "pier auto-update" with the remote pier client\n']);
    } finally {
      s.cleanup();
    }
  });
});
