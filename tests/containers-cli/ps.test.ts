// `ps` formatting over synthetic ContainerSummary rows: status strings, table, JSON, templates,
// filters and sorting (pure: no engine).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary } from '../../src/domain/containers';
import {
  psRow, psJSONText, statusString, filterContainers, sortContainers, portsString, parsePsFilters, findContainer, PS_SORT_KEYS,
} from '../../src/cli/commands/containers';
import { formatList } from '../../src/cli/format/output';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ZERO = -62135596800;
const IMG = 'f552841eea6f4da2b359212668ef3aa15c21a0dc4babe97d1be21f252810ad4d';

function ctr(over: Partial<ContainerSummary> & { Id: string; Names: string[] }): ContainerSummary {
  const created = over.Created ?? (NOW / 1000 - 60);
  return {
    AutoRemove: false, Command: ['sleep', '1000'], Created: created, CreatedAt: new Date(created * 1000).toISOString(), Exited: false, ExitedAt: ZERO,
    ExitCode: 0, Image: 'localhost/busybox:latest', ImageID: IMG, IsInfra: false, Labels: null, Mounts: [], Namespaces: {}, Networks: [], Pid: 0,
    Pod: '', PodName: '', Ports: null, Size: null, StartedAt: ZERO, State: 'created', Status: '', ...over,
  };
}

const hex = (c: string) => c.repeat(64);
const running = ctr({ Id: hex('a'), Names: ['web'], State: 'running', StartedAt: NOW / 1000 - 5, Pid: 42, Created: NOW / 1000 - 300, Labels: { tier: 'app', env: 'prod' } });
const exited = ctr({
  Id: hex('b'), Names: ['job'], State: 'exited', Exited: true, ExitCode: 3, ExitedAt: NOW / 1000 - 2, StartedAt: NOW / 1000 - 10, Created: NOW / 1000 - 200,
  Command: ['sh', '-c', 'echo hello world; exit 3'], Labels: { tier: 'batch' }, Mounts: ['/data'], VolumeSources: [{ source: 'jobdata', destination: '/data' }],
});
const created = ctr({ Id: hex('c'), Names: ['fresh'], Created: NOW / 1000 - 100, Image: 'docker.io/library/alpine:3.18', ImageID: hex('d') });
const paused = ctr({ Id: 'ab' + hex('e').slice(2), Names: ['sleepy'], State: 'paused', StartedAt: NOW / 1000 - 3600, Created: NOW / 1000 - 50, Networks: ['podman'] });
const ALL = [running, exited, created, paused];

describe('ps rows', () => {
  test('status strings as podman 4.3 prints them', () => {
    assert.equal(statusString(running, NOW), 'Up 5 seconds ago');
    assert.equal(statusString(exited, NOW), 'Exited (3) 2 seconds ago');
    assert.equal(statusString(created, NOW), 'Created');
    assert.equal(statusString(paused, NOW), 'Paused');
    assert.equal(statusString({ ...running, StartedAt: NOW / 1000 - 0.2 }, NOW), 'Up Less than a second ago');
    assert.equal(statusString({ ...running, StartedAt: NOW / 1000 - 3 * 3600 }, NOW), 'Up 3 hours ago');
    assert.equal(statusString({ ...running, Status: 'healthy' }, NOW), 'Up 5 seconds ago (healthy)');
  });

  test('row fields: truncation, names, labels, created', () => {
    const r = psRow(exited, { now: NOW });
    assert.equal(r.ID, 'bbbbbbbbbbbb');
    assert.equal(r.Command, 'sh -c echo hello ...');
    assert.equal(r.Command.length, 20);
    assert.equal(r.CreatedHuman, '3 minutes ago');
    assert.equal(r.Names, 'job');
    assert.equal(r.ImageID, IMG.slice(0, 12));
    const full = psRow(exited, { now: NOW, noTrunc: true });
    assert.equal(full.ID, hex('b'));
    assert.equal(full.Command, 'sh -c echo hello world; exit 3');
    assert.equal(psRow(paused, { now: NOW }).Networks, 'podman');
  });

  test('default table layout and column alignment', () => {
    const rows = [running, exited, created].map((c) => psRow(c, { now: NOW }));
    const out = formatList(rows, '', 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}', {
      headers: { ID: 'container id', CreatedHuman: 'created' },
    });
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], 'CONTAINER ID  IMAGE                          COMMAND               CREATED             STATUS                    PORTS       NAMES');
    assert.equal(lines[1], 'aaaaaaaaaaaa  localhost/busybox:latest       sleep 1000            5 minutes ago       Up 5 seconds ago                      web');
    assert.equal(lines[2], 'bbbbbbbbbbbb  localhost/busybox:latest       sh -c echo hello ...  3 minutes ago       Exited (3) 2 seconds ago              job');
    assert.equal(lines[3], 'cccccccccccc  docker.io/library/alpine:3.18  sleep 1000            About a minute ago  Created                               fresh');
  });

  test('templates see podman\'s psReporter fields; unknown fields fail', () => {
    const r = psRow(running, { now: NOW });
    assert.equal(formatList([r], '{{.Names}} {{.State}} {{.Pid}} {{.Labels}} {{.Mounts}} {{.IsInfra}}', ''), 'web Up 5 seconds ago 42 map[env:prod tier:app] [] false\n');
    assert.equal(formatList([r], '{{index .Labels "tier"}}', ''), 'app\n');
    assert.throws(() => formatList([r], '{{.Label "a"}}', '', { name: 'ps' }), /can't evaluate field Label in type containers\.psReporter/);
  });

  test('JSON output: podman field order, computed status, empty-map quirk', () => {
    const text = psJSONText([exited], NOW);
    const arr = JSON.parse(text);
    assert.equal(arr.length, 1);
    assert.deepEqual(Object.keys(arr[0]), [
      'AutoRemove', 'Command', 'CreatedAt', 'Exited', 'ExitedAt', 'ExitCode', 'Id', 'Image', 'ImageID', 'IsInfra', 'Labels', 'Mounts', 'Names',
      'Namespaces', 'Networks', 'Pid', 'Pod', 'PodName', 'Ports', 'Size', 'StartedAt', 'State', 'Status', 'Created',
    ]);
    assert.equal(arr[0].Status, 'Exited (3) 2 seconds ago');
    assert.equal(arr[0].CreatedAt, '3 minutes ago');
    assert.equal(arr[0].Created, exited.Created);
    assert.ok(text.startsWith('[\n  {\n    "AutoRemove": false,'));
    assert.ok(text.includes('    "Namespaces": {\n      \n    },\n'));
    assert.equal(psJSONText([], NOW), '[]');
  });

  test('labels are a Go map: sorted keys in JSON and in templates', () => {
    const labeled = { ...exited, Labels: { zz: '1', aa: '2', 9: 'y', 10: 'x' } };
    assert.match(psJSONText([labeled], NOW), /\n {4}"Labels": \{\n {6}"10": "x",\n {6}"9": "y",\n {6}"aa": "2",\n {6}"zz": "1"\n {4}\},\n/);
    assert.equal(formatList([psRow(labeled, { now: NOW })], '{{json .Labels}} {{.Labels}}', ''), '{"10":"x","9":"y","aa":"2","zz":"1"} map[10:x 9:y aa:2 zz:1]\n');
  });

  test('ports column', () => {
    assert.equal(portsString(null), '');
    assert.equal(portsString([{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }]), '0.0.0.0:8080->80/tcp');
    assert.equal(portsString([{ host_ip: '127.0.0.1', container_port: 53, host_port: 5353, range: 2, protocol: 'udp' }]), '127.0.0.1:5353-5354->53-54/udp');
  });
});

describe('ps filters', () => {
  const names = (rows: ContainerSummary[]) => rows.map((r) => r.Names[0]);
  const f = (...filters: string[]) => names(filterContainers(ALL, filters, { now: NOW }));

  test('id prefix, name regex, label, status', () => {
    assert.deepEqual(f('id=ab'), ['sleepy']);
    assert.deepEqual(f('id=a'), ['web', 'sleepy']);
    assert.deepEqual(f('name=^j'), ['job']);
    assert.deepEqual(f('name=e'), ['web', 'fresh', 'sleepy']);
    assert.deepEqual(f('name=web', 'name=job'), ['web', 'job']);
    assert.deepEqual(f('label=tier'), ['web', 'job']);
    assert.deepEqual(f('label=tier=app'), ['web']);
    assert.deepEqual(f('label=tier', 'label=env=prod'), ['web']);
    assert.deepEqual(f('status=exited'), ['job']);
    assert.deepEqual(f('status=stopped'), ['job']);
    assert.deepEqual(f('status=created', 'status=paused'), ['fresh', 'sleepy']);
    assert.deepEqual(f('status=running', 'name=web'), ['web']);
    assert.deepEqual(f('status=running', 'name=job'), []);
  });

  test('exited, ancestor, volume, before, since, until, health, network', () => {
    assert.deepEqual(f('exited=3'), ['job']);
    assert.deepEqual(f('exited=0'), []);
    assert.deepEqual(f('ancestor=localhost/busybox'), ['web', 'job', 'sleepy']);
    assert.deepEqual(f('ancestor=localhost/busybox:latest'), ['web', 'job', 'sleepy']);
    assert.deepEqual(f(`ancestor=${hex('d')}`), ['fresh']);
    assert.deepEqual(f('ancestor=busybox'), []);
    // podman: the volume's name (or a bind mount's host path), NAME:DESTINATION both; not a destination alone.
    assert.deepEqual(f('volume=jobdata'), ['job']);
    assert.deepEqual(f('volume=jobdata:/data'), ['job']);
    assert.deepEqual(f('volume=jobdata:/other'), []);
    assert.deepEqual(f('volume=/data'), []);
    assert.deepEqual(f('before=fresh'), ['web', 'job']);
    assert.deepEqual(f('since=job'), ['fresh', 'sleepy']);
    assert.deepEqual(f('until=150s'), ['web', 'job']);
    assert.deepEqual(f('health=healthy'), []);
    assert.deepEqual(names(filterContainers([{ ...running, Status: 'healthy' }], ['health=healthy'])), ['web']);
    assert.deepEqual(f('network=podman'), ['sleepy']);
  });

  test('bad filters: podman\'s messages', () => {
    assert.throws(() => f('bogus=1'), /^Error: bogus is an invalid filter$|bogus is an invalid filter/);
    assert.throws(() => f('foo'), /invalid filter "foo"/);
    assert.throws(() => f('status=bogus'), /unknown container state: bogus: invalid argument/);
    assert.throws(() => f('exited=x'), /strconv.ParseInt: parsing "x": invalid syntax/);
    assert.throws(() => f('since=nope'), /no container with name or ID "nope" found: no such container/);
    assert.deepEqual([...parsePsFilters(['a=1', 'a=2', 'b=x=y'])], [['a', ['1', '2']], ['b', ['x=y']]]);
  });

  test('lookup by id, name or unique prefix', () => {
    assert.equal(findContainer(ALL, 'job'), exited);
    assert.equal(findContainer(ALL, hex('c')), created);
    assert.equal(findContainer(ALL, 'bbb'), exited);
    assert.equal(findContainer(ALL, 'a'), undefined); // ambiguous
  });
});

describe('ps sort', () => {
  const names = (rows: ContainerSummary[]) => rows.map((r) => r.Names[0]);
  test('every key podman offers', () => {
    assert.deepEqual(PS_SORT_KEYS, ['command', 'created', 'id', 'image', 'names', 'runningfor', 'size', 'status']);
    assert.deepEqual(names(sortContainers(ALL, 'names')), ['fresh', 'job', 'sleepy', 'web']);
    assert.deepEqual(names(sortContainers(ALL, 'created')), ['web', 'job', 'fresh', 'sleepy']);
    assert.deepEqual(names(sortContainers(ALL, 'runningfor')), ['sleepy', 'fresh', 'job', 'web']);
    assert.deepEqual(names(sortContainers(ALL, 'id')), ['web', 'sleepy', 'job', 'fresh']);
    assert.deepEqual(names(sortContainers(ALL, 'image')), ['fresh', 'web', 'job', 'sleepy']);
    assert.deepEqual(names(sortContainers(ALL, 'command')), ['job', 'web', 'fresh', 'sleepy']);
    assert.deepEqual(names(sortContainers(ALL, 'status')), ['fresh', 'job', 'sleepy', 'web']);
    const sized = ALL.map((c, i) => ({ ...c, Size: { rootFsSize: 100 - i, rwSize: 1 } }));
    assert.deepEqual(names(sortContainers(sized, 'size')), ['sleepy', 'fresh', 'job', 'web']);
    assert.equal(psRow({ ...running, Size: { rootFsSize: 2_020_000, rwSize: 12 } }, { now: NOW }).Size, '12B (virtual 2.02MB)');
  });
});
