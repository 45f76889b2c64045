// A build's containers are podman's "external" (storage) containers, as buildah's are: `ps -a`,
// `rm -a`, `container prune`, inspect, events and the API's lists leave them out; `ps --external`
// lists them as buildah's, `container exists --external` finds them, `rm` needs --force, and an
// image they use is kept by rmi and image prune unless forced (rmi -f, image prune --external).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestStore, REMOTE, busyboxStoreForFile } from '../helpers/cli';
import { request, startService } from '../helpers/api';
import { buildHelpers } from './helpers';
import { workingContainerName } from '../../src/build/executor';

let s: TestStore;
const { context } = buildHelpers(() => s);

busyboxStoreForFile((x) => { s = x; });

/** Polls `fn` until it returns something truthy (at most `ms`). */
async function until<T>(fn: () => T, what: string, ms = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `ps --external` rows as `ID NAME`, full ids. */
function external(): string[] {
  return s.ok(['ps', '--external', '--no-trunc', '--format', '{{.ID}} {{.Names}}']).split('\n').filter(Boolean);
}

/** A build killed with SIGKILL in its RUN step: its container is left behind. Returns that container's full id. */
async function killedBuild(from: string): Promise<string> {
  const before = new Set(external());
  const b = s.runAsync(['build', '--no-cache', context({ 'Containerfile': `FROM ${from}\nRUN sleep 60\n` })]);
  const row = await until(() => external().find((r) => !before.has(r)), 'the build container');
  b.child.kill('SIGKILL');
  await b;
  return row.split(' ')[0];
}

describe('build containers are external', () => {
  test('named as buildah names them: the image\'s base name (the name it has holding the one given), a 12-digit id or digest, working-container for scratch', () => {
    const id = 'ab'.repeat(32);
    const cases: [string, string[], string][] = [
      ['', [], 'working-container'],
      ['busybox', ['localhost/busybox:latest'], 'busybox-working-container'],
      ['other', ['localhost/busybox:latest', 'docker.io/library/other:1'], 'other-working-container'],
      [id, [], `${id.slice(0, 12)}-working-container`],
      [id, ['localhost/named:1'], 'named-working-container'],
      [`sha256:${id}`, [], `${id.slice(0, 12)}-working-container`],
      // buildah cuts at the first colon before the last slash: a registry's port goes with it.
      ['localhost:5000/foo:1', ['localhost:5000/foo:1'], 'localhost-working-container'],
      [`quay.io/x/y@sha256:${id}`, [], 'y-working-container'],
    ];
    for (const [spec, names, want] of cases) assert.equal(workingContainerName(spec, names), want, `${spec} ${names}`);
  });

  test('while a build runs: listed only by ps --external (buildah\'s name, command and status), found only by exists --external, kept by rm -a and container prune, no events', async () => {
    // Each RUN (in the host's network, the build's default) waits until this server lets it end.
    let go = false;
    const server = http.createServer((_req, res) => { res.writeHead(go ? 200 : 404); res.end(); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const containerfile = (tag: string) => `FROM localhost/busybox\nRUN echo ${tag}; until wget -q -O /dev/null ${url}; do sleep 0.2; done\n`;
    const builds: ReturnType<TestStore['runAsync']>[] = [];
    try {
      builds.push(s.runAsync(['build', '--no-cache', context({ 'Containerfile': containerfile('a') })]));
      await until(() => external().length === 1, 'the first build\'s container');
      builds.push(s.runAsync(['build', '--no-cache', context({ 'Containerfile': containerfile('b') })]));
      await until(() => external().length === 2, 'the second build\'s container');
      assert.equal(s.ok(['ps', '-a', '-q']), '', 'ps -a does not list them');
      assert.equal(s.ok(['ps', '-q']), '');
      // podman: STATUS Storage, COMMAND buildah, IMAGE the image's name, buildah's working-container
      // names (a name taken gets -1); --external lists them without -a, --storage is its old name.
      const rows = s.ok(['ps', '--external', '--format', '{{.Image}}|{{.Command}}|{{.Status}}|{{.State}}|{{.Names}}|{{.Ports}}|{{.Pod}}']).trim().split('\n');
      assert.deepEqual(rows, [
        'localhost/busybox:latest|buildah|Storage|Storage|busybox-working-container||',
        'localhost/busybox:latest|buildah|Storage|Storage|busybox-working-container-1||',
      ]);
      assert.equal(s.ok(['ps', '--storage', '-q']), s.ok(['ps', '--external', '-q']));
      const table = s.ok(['ps', '-a', '--external']).split('\n');
      assert.match(table[1], /^[0-9a-f]{12}  localhost\/busybox:latest  buildah +.* ago +Storage +busybox-working-container$/);
      const json = JSON.parse(s.ok(['ps', '--external', '--format', 'json']));
      assert.equal(json.length, 2);
      assert.deepEqual({ ...json[0], Id: 'x', Created: 0, CreatedAt: '' }, {
        AutoRemove: false, Command: ['buildah'], CreatedAt: '', Exited: false, ExitedAt: 0, ExitCode: 0, Id: 'x',
        Image: 'localhost/busybox:latest', ImageID: json[0].ImageID, IsInfra: false, Labels: null, Mounts: null,
        Names: ['busybox-working-container'], Namespaces: {}, Networks: null, Pid: 0, Pod: '', PodName: '', Ports: null,
        Size: null, StartedAt: 0, State: 'storage', Status: 'Storage', Created: 0,
      });
      // Filters select podman's own containers; the external ones are listed all the same.
      assert.equal(s.ok(['ps', '--external', '--filter', 'name=nothing', '-q']).trim().split('\n').length, 2);
      const [id, name] = external()[0].split(' ');
      const short = id.slice(0, 12);
      assert.equal(s.run(['container', 'exists', id]).code, 1);
      assert.equal(s.run(['container', 'exists', '--external', id]).code, 0);
      assert.equal(s.run(['container', 'exists', '--external', name]).code, 0);
      assert.equal(s.run(['container', 'exists', '--external', 'nothing-such']).code, 1);
      const inspect = s.run(['inspect', short]);
      assert.equal(inspect.code, 125);
      assert.equal(inspect.stderr, `Error: inspecting object: no such object: "${short}"\n`);
      const cinspect = s.run(['container', 'inspect', name]);
      assert.equal(cinspect.code, 125);
      assert.equal(cinspect.stderr, `Error: inspecting object: no such container ${name}\n`);
      assert.equal(s.run(['logs', name]).code, 125, 'other commands do not find them either');
      // Without --force podman refuses: the container is mounted.
      const rm = s.run(['rm', short]);
      assert.equal(rm.code, 2);
      assert.equal(rm.stderr, `Error: container "${short}" is mounted and cannot be removed without using force: container state improper\n`);
      assert.equal(s.run(['rm', '-a']).code, 0);
      if (!REMOTE) assert.equal(s.run(['container', 'prune', '-f']).code, 0); // not in pier's remote mode yet
      assert.equal(external().length, 2, 'rm -a and container prune leave them');
      // Their names are taken, as podman's storage containers' are.
      const taken = s.run(['create', '--name', name, 'localhost/busybox', 'true']);
      assert.equal(taken.code, 125);
      assert.match(taken.stderr, new RegExp(`the container name "${name}" is already in use by ${id}`));
    } finally {
      // The builds end (whatever failed above) before the server goes.
      go = true;
      await Promise.all(builds);
      server.close();
    }
    for (const r of await Promise.all(builds)) assert.equal(r.code, 0, r.stderr);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '', 'the build removed them');
    // podman's build writes no container events, only its image's.
    const events = s.ok(['events', '--stream=false', '--format', '{{.Type}} {{.Status}}']).split('\n').filter(Boolean);
    assert.deepEqual(events.filter((e) => e.startsWith('container')), []);
    assert.ok(events.includes('image build'), events.join('\n'));
  });

  test('a build killed with SIGKILL leaves them: only --external shows them; rm -f, rmi -f and image prune --external remove them, plain rmi and image prune keep their image', { skip: REMOTE && 'the signal reaches the client only' }, async () => {
    const tmp = s.ok(['build', '-q', '-t', 'tmpimg', context({ 'Containerfile': 'FROM localhost/busybox\nRUN touch /x\n' })]).trim();
    const cid = await killedBuild('tmpimg');
    assert.equal(s.ok(['ps', '-a', '-q']), '');
    assert.equal(s.ok(['ps', '--external', '--format', '{{.Image}} {{.Names}}']), 'localhost/tmpimg:latest tmpimg-working-container\n');
    // The APIs' lists leave it out, but libpod's with external=true (podman 4.3's parameter).
    const svc = await startService(s);
    try {
      assert.deepEqual((await request(svc.socket, 'GET', '/v1.41/containers/json?all=true')).json(), []);
      assert.deepEqual((await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/json?all=true')).json(), []);
      const listed = (await request(svc.socket, 'GET', '/v4.3.1/libpod/containers/json?external=true')).json();
      assert.deepEqual(listed.map((c: any) => [c.Id, c.Names, c.State, c.Command]), [[cid, ['tmpimg-working-container'], 'storage', ['buildah']]]);
      assert.equal((await request(svc.socket, 'GET', `/v4.3.1/libpod/containers/${cid}/exists`)).status, 404);
      assert.equal((await request(svc.socket, 'GET', `/v4.3.1/libpod/containers/${cid}/exists?external=true`)).status, 204);
    } finally {
      await svc.stop();
    }
    // Its image, now dangling, is in use: image prune keeps it, rmi refuses it.
    s.ok(['untag', 'tmpimg']);
    assert.doesNotMatch(s.ok(['image', 'prune', '-f']), new RegExp(tmp));
    assert.equal(s.run(['image', 'exists', tmp]).code, 0);
    const rmi = s.run(['rmi', tmp]);
    assert.equal(rmi.code, 2);
    assert.equal(rmi.stderr, `Error: image used by ${cid}: image is in use by a container: consider listing external containers and force-removing image\n`);
    // --external: "Remove images even when they are used by external containers".
    assert.match(s.ok(['image', 'prune', '-f', '--external']), new RegExp(`^${tmp}$`, 'm'));
    assert.equal(s.ok(['ps', '--external', '-q']), '');
    assert.equal(s.run(['image', 'exists', tmp]).code, 1);

    // rm: refused without --force, by name or id; with it, removed (its RUN killed), the name printed.
    const cid2 = await killedBuild('localhost/busybox');
    const refused = s.run(['rm', 'busybox-working-container']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'Error: container "busybox-working-container" is mounted and cannot be removed without using force: container state improper\n');
    assert.equal(s.ok(['rm', '-f', 'busybox-working-container']), 'busybox-working-container\n');
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
    await until(() => !fs.readFileSync('/proc/self/mounts', 'utf8').includes(cid2), 'its rootfs unmounted', 10_000);
    await until(() => s.storeProcesses().length === 0, 'its conmon and RUN to end', 10_000);

    // rmi -f of the image removes the build's container with it.
    s.ok(['build', '-q', '-t', 'tmpimg', context({ 'Containerfile': 'FROM localhost/busybox\nRUN touch /y\n' })]);
    await killedBuild('tmpimg');
    const forced = s.ok(['rmi', '-f', 'tmpimg']);
    assert.match(forced, /^Untagged: localhost\/tmpimg:latest\nDeleted: [0-9a-f]{64}\n$/);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
    assert.deepEqual(s.ok(['events', '--stream=false', '--filter', 'type=container', '--format', '{{.Status}}']), '', 'no container events');
  });
});
