// `pier generate spec`: a container's or pod's Specgen JSON (podman 4.3's fields and layout), and
// that the Libpod API's create endpoints make the same container or pod from it again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { busyboxStoreForFile, REMOTE, TestStore } from '../helpers/cli';
import { request } from '../helpers/api';

let s: TestStore;
busyboxStoreForFile((x) => (s = x));

test('generate spec: podman\'s Specgen of a container and a pod, made again through the API', async () => {
  s.ok(['create', '--name', 'orig', '-e', 'FOO=bar', '-l', 'team=a', '-p', '18080:80', '-v', `${s.dir}:/mnt:ro`, '-v', 'gsvol:/data',
    '--hostname', 'h1', '-w', '/tmp', 'localhost/busybox', 'sleep', '100']);
  s.ok(['pod', 'create', '--name', 'gpod', '--hostname', 'ph', '--label', 'x=y', '-p', '19090:90']);
  if (REMOTE) {
    // podman-remote's refusal: the API has no endpoint for it.
    const r = s.run(['generate', 'spec', 'orig']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), 'Error: GenerateSpec is not supported on the remote API');
    return;
  }
  const text = s.ok(['generate', 'spec', 'orig']);
  assert.match(text, /^\{\n "name": "orig-clone",\n "command": \[\n  "sleep",\n  "100"\n \],\n "env": \{\n/);
  const spec = JSON.parse(text);
  assert.equal(spec.env.FOO, 'bar');
  assert.equal(spec.labels.team, 'a');
  assert.equal(spec.hostname, 'h1');
  assert.equal(spec.work_dir, '/tmp');
  assert.equal(spec.image, s.ok(['inspect', '--format', '{{.Image}}', 'orig']).trim());
  assert.deepEqual(spec.mounts, [{ destination: '/mnt', type: 'bind', source: s.dir, options: ['ro', 'rprivate', 'rbind'] }]);
  assert.deepEqual(spec.volumes, [{ Name: 'gsvol', Dest: '/data', Options: [] }]);
  assert.deepEqual(spec.portmappings, [{ host_ip: '', container_port: 80, host_port: 18080, range: 1, protocol: 'tcp' }]);
  assert.deepEqual(spec.netns, { nsmode: 'bridge' });
  assert.deepEqual(spec.resource_limits.pids, { limit: 2048 });
  assert.equal(spec.containerCreateCommand.at(-3), 'localhost/busybox');

  // --compact: one line; --name=false: the original's name; -f: the file, its name printed.
  const compact = s.ok(['generate', 'spec', '-c', '--name=false', 'orig']);
  assert.equal(compact.split('\n').length, 2);
  assert.equal(JSON.parse(compact).name, 'orig');
  const file = path.join(s.dir, 'spec.json');
  assert.equal(s.ok(['generate', 'spec', '-c', '-f', file, 'orig']), `${file}\n`);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).name, 'orig-clone');

  // The Libpod API makes the copy from it.
  const made = await request(s.service(), 'POST', '/v4.3.1/libpod/containers/create', JSON.parse(fs.readFileSync(file, 'utf8')));
  assert.equal(made.status, 201, made.body.toString());
  const fmt = '{{.Config.Hostname}} {{.Config.WorkingDir}} {{index .Config.Labels "team"}} {{range .Mounts}}{{.Destination}}:{{.RW}}:{{.Name}} {{end}}{{.HostConfig.PortBindings}} {{.Config.Cmd}}';
  assert.equal(s.ok(['inspect', '--format', fmt, 'orig-clone']), s.ok(['inspect', '--format', fmt, 'orig']));
  assert.ok(s.ok(['inspect', '--format', '{{.Config.Env}}', 'orig-clone']).includes('FOO=bar'));

  // A pod's spec, made again the same way.
  const pspec = JSON.parse(s.ok(['generate', 'spec', 'gpod']));
  assert.equal(pspec.name, 'gpod-clone');
  assert.equal(pspec.hostname, 'ph');
  assert.equal(pspec.labels.x, 'y');
  assert.deepEqual(pspec.portmappings, [{ host_ip: '', container_port: 90, host_port: 19090, range: 1, protocol: 'tcp' }]);
  const pmade = await request(s.service(), 'POST', '/v4.3.1/libpod/pods/create', pspec);
  assert.equal(pmade.status, 201, pmade.body.toString());
  assert.equal(s.ok(['pod', 'inspect', '--format', '{{.Hostname}} {{index .Labels "x"}}', 'gpod-clone']).trim(), 'ph y');

  // podman's errors.
  const missing = s.run(['generate', 'spec', 'nope']);
  assert.equal(missing.code, 125);
  assert.equal(missing.stderr.trim(), 'Error: could not find a pod or container with the id nope');
  assert.equal(s.run(['generate', 'spec']).stderr.split('\n')[0], 'Error: accepts 1 arg(s), received 0');
});
