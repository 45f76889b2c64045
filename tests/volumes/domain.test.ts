// LocalVolumeEngine: in-use checks from container records, filters, prune, export/import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { LocalVolumeEngine, compileVolumeFilters } from '../../src/domain/local/volumes';
import { ContainerStore, initialState, ContainerRecord } from '../../src/engine/container-store';
import { createVolume, mountVolume, unmountVolume, VolumeInUseError } from '../../src/engine/volumes';
import { Store } from '../../src/storage/store';
import { readTar } from '../../src/storage/tar/reader';
import { tarToBuffer } from '../../src/storage/tar/writer';
import { NotFoundError, UsageError } from '../../src/util/errors';
import { native } from '../../src/util/native';
import { tempRoots } from './helpers';

function openStore(r: { graphRoot: string; runRoot: string }): Store {
  return new Store({ graphRoot: r.graphRoot, runRoot: r.runRoot, driver: 'vfs' });
}

/** A container record whose config mounts the given volumes (what `create -v NAME:/x` records). */
function fakeContainer(id: string, volumes: string[]): ContainerRecord {
  return {
    id, name: `c-${id.slice(0, 6)}`, imageId: null, imageName: 'none', created: Date.now(), podId: null, state: initialState(),
    config: {
      create: { image: 'none', command: [] }, entrypoint: [], cmd: ['true'], env: [], workdir: '/', user: '', hostname: 'h',
      stopSignal: 15, stopTimeout: 10, logDriver: 'k8s-file', logPath: '/dev/null', runtime: '', topLayer: null, imageConfig: {},
      labels: {}, annotations: {}, networkMode: 'none', restart: { name: 'no', maximumRetryCount: 0 },
      mounts: [
        ...volumes.map((v) => ({ type: 'volume' as const, name: v, source: `/x/${v}`, destination: `/mnt/${v}`, options: [] })),
        { type: 'bind' as const, source: '/etc', destination: '/hostetc', options: [] },
      ],
    },
  };
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

test('inspect has podman fields; optional ones omitted when empty', async () => {
  const r = tempRoots();
  try {
    const eng = new LocalVolumeEngine(openStore(r));
    const v = await eng.create({ name: 'v1', labels: { b: '2', a: '1' }, options: { o: 'uid=3', type: 'tmpfs', device: 'tmpfs' } });
    assert.deepEqual(Object.keys(v), ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'UID', 'MountCount', 'NeedsCopyUp']);
    assert.deepEqual(Object.keys(v.Labels), ['a', 'b'], 'maps sorted like Go');
    assert.deepEqual(Object.keys(v.Options), ['UID', 'device', 'o', 'type']);
    assert.equal(v.UID, 3);
    assert.equal(v.Scope, 'local');
    assert.ok(v.CreatedAt instanceof Date);
    const plain = await eng.inspect((await eng.create({})).Name);
    assert.deepEqual(Object.keys(plain), ['Name', 'Driver', 'Mountpoint', 'CreatedAt', 'Labels', 'Scope', 'Options', 'MountCount', 'NeedsCopyUp', 'NeedsChown']);
    const anon = await eng.create({ anonymous: true });
    assert.equal(anon.Anonymous, true);
    await assert.rejects(eng.inspect('nope'), NotFoundError);
    assert.equal(await eng.exists('v1'), true);
    assert.equal(await eng.exists('nope'), false);
  } finally {
    r.cleanup();
  }
});

test('volumes referenced by container records are in use: rm refuses, dangling/prune skip them', async () => {
  const r = tempRoots();
  try {
    const store = openStore(r);
    const eng = new LocalVolumeEngine(store);
    for (const n of ['used', 'shared', 'free']) await eng.create({ name: n });
    const cs = new ContainerStore(store.db);
    const id1 = 'a'.repeat(64);
    const id2 = 'b'.repeat(64);
    cs.insert(fakeContainer(id1, ['used', 'shared']));
    cs.insert(fakeContainer(id2, ['shared']));
    assert.deepEqual(eng.usedBy('shared').sort(), [id1, id2]);
    assert.deepEqual(eng.usedBy('free'), []);
    await assert.rejects(eng.remove('used'), (e: unknown) => e instanceof VolumeInUseError && e.exitCode === 2 &&
      e.message === `volume used is being used by the following container(s): ${id1}: volume is being used`);
    assert.deepEqual((await eng.list(['dangling=true'])).map((v) => v.Name), ['free']);
    assert.deepEqual((await eng.list(['dangling=false'])).map((v) => v.Name), ['shared', 'used']);
    assert.deepEqual(await eng.prune(), ['free']);
    assert.deepEqual((await eng.list()).map((v) => v.Name), ['shared', 'used']);
    // --force without a way to remove containers fails rather than orphaning them.
    await assert.rejects(eng.remove('used', { force: true }), /cannot be removed here/);
    cs.delete(id1);
    await eng.remove('used');
    assert.equal(await eng.exists('used'), false);
  } finally {
    r.cleanup();
  }
});

test('rm --force removes the containers using the volume first', async () => {
  const r = tempRoots();
  try {
    const users = new Map<string, string[]>([['busy', ['c1', 'c2']]]);
    const removed: [string, number | undefined][] = [];
    const eng = new LocalVolumeEngine(openStore(r), {
      usedBy: (n) => users.get(n) ?? [],
      removeContainer: async (id, timeout) => {
        removed.push([id, timeout]);
        users.set('busy', (users.get('busy') ?? []).filter((x) => x !== id));
      },
    });
    await eng.create({ name: 'busy' });
    await assert.rejects(eng.remove('busy'), VolumeInUseError);
    assert.deepEqual(removed, []);
    await eng.remove('busy', { force: true, timeout: 3 });
    assert.deepEqual(removed, [['c1', 3], ['c2', 3]]);
    assert.equal(await eng.exists('busy'), false);
    await assert.rejects(eng.remove('busy'), NotFoundError);
  } finally {
    r.cleanup();
  }
});

test('filters: name regex, label, label!, driver, scope, opt, until; same key OR, different keys AND', async () => {
  const r = tempRoots();
  try {
    const eng = new LocalVolumeEngine(openStore(r), { usedBy: () => [] });
    await eng.create({ name: 'foo', labels: { env: 'prod', team: 'a' } });
    await eng.create({ name: 'foobar', labels: { env: 'dev' } });
    await eng.create({ name: 'baz', options: { type: 'tmpfs', device: 'tmpfs' } });
    const names = async (f: string[]) => (await eng.list(f)).map((v) => v.Name);
    assert.deepEqual(await names(['name=foo']), ['foo', 'foobar']);
    assert.deepEqual(await names(['name=^foo$']), ['foo']);
    assert.deepEqual(await names(['name=^foo$', 'name=baz']), ['baz', 'foo']);
    assert.deepEqual(await names(['label=env']), ['foo', 'foobar']);
    assert.deepEqual(await names(['label=env=dev']), ['foobar']);
    assert.deepEqual(await names(['label=env', 'name=bar']), ['foobar']);
    assert.deepEqual(await names(['label!=env']), ['baz']);
    assert.deepEqual(await names(['label!=env=dev']), ['baz', 'foo']);
    assert.deepEqual(await names(['label!=env=dev', 'label!=team']), ['baz']);
    assert.deepEqual(await names(['driver=local']), ['baz', 'foo', 'foobar']);
    assert.deepEqual(await names(['driver=other']), []);
    assert.deepEqual(await names(['scope=local', 'opt=type=tmpfs']), ['baz']);
    assert.deepEqual(await names(['opt=device']), ['baz']);
    assert.deepEqual(await names(['until=1h']), []);
    assert.deepEqual(await names([`until=${Math.floor(Date.now() / 1000) + 60}`]), ['baz', 'foo', 'foobar']);
    await assert.rejects(eng.list(['bogus=1']), (e: unknown) => e instanceof UsageError && e.message === '"bogus" is an invalid volume filter');
    await assert.rejects(eng.list(['name']), /filter input must be in the form of filter=value: name is invalid/);
    await assert.rejects(eng.list(['dangling=maybe']), /"maybe" is not a valid value for the "dangling" filter - must be true or false/);
    await assert.rejects(eng.list(['name=[']), /error parsing regexp/);
    await assert.rejects(eng.list(['until=soon']), /failed to parse value as time or duration: "soon"/);
    assert.deepEqual(await eng.prune(['label=env=prod']), ['foo']);
    assert.deepEqual(await eng.prune(['label!=env']), ['baz']);
    assert.deepEqual(await names([]), ['foobar']);
    // compileVolumeFilters is usable on its own.
    const p = compileVolumeFilters(['dangling=true'], (n) => n === 'x');
    assert.equal(p({ name: 'x' } as any), false);
    assert.equal(p({ name: 'y' } as any), true);
  } finally {
    r.cleanup();
  }
});

test('export then import round-trips content, owners, modes, symlinks and xattrs', async () => {
  const r = tempRoots();
  try {
    const eng = new LocalVolumeEngine(openStore(r), { usedBy: () => [] });
    const src = await eng.create({ name: 'src' });
    const d = src.Mountpoint;
    fs.mkdirSync(path.join(d, 'dir'));
    fs.writeFileSync(path.join(d, 'dir', 'a.txt'), 'alpha');
    fs.chownSync(path.join(d, 'dir', 'a.txt'), 1000, 1000);
    fs.chmodSync(path.join(d, 'dir', 'a.txt'), 0o600);
    fs.symlinkSync('dir/a.txt', path.join(d, 'link'));
    native().lsetxattr(path.join(d, 'dir', 'a.txt'), 'user.k', Buffer.from('v'));
    const out = new PassThrough();
    const collected = collect(out);
    await eng.export('src', out);
    out.end();
    const tar = await collected;
    const names: string[] = [];
    for await (const e of readTar(Readable.from([tar]))) names.push(e.name);
    assert.deepEqual(names, ['dir/', 'dir/a.txt', 'link'], 'entries are relative to the volume, no root entry');

    const dst = await eng.create({ name: 'dst' });
    await eng.import('dst', Readable.from([tar]));
    const p = path.join(dst.Mountpoint, 'dir', 'a.txt');
    assert.equal(fs.readFileSync(p, 'utf8'), 'alpha');
    assert.equal(fs.statSync(p).uid, 1000);
    assert.equal(fs.statSync(p).mode & 0o777, 0o600);
    assert.equal(fs.readlinkSync(path.join(dst.Mountpoint, 'link')), 'dir/a.txt');
    assert.equal(native().lgetxattr(p, 'user.k')?.toString(), 'v');
    await assert.rejects(eng.export('nope', new PassThrough()), /no such volume nope/);
    await assert.rejects(eng.import('nope', Readable.from([tar])), /no such volume nope/);
  } finally {
    r.cleanup();
  }
});

test('import refuses entries escaping the volume', async () => {
  const r = tempRoots();
  try {
    const eng = new LocalVolumeEngine(openStore(r), { usedBy: () => [] });
    const v = await eng.create({ name: 'safe' });
    const evil = await tarToBuffer([{ type: 'file', name: '../../escaped.txt', content: 'x', mode: 0o644 }]);
    await assert.rejects(eng.import('safe', Readable.from([evil])), /escapes/);
    const viaLink = await tarToBuffer([
      { type: 'symlink', name: 'out', target: r.dir, mode: 0o777 },
      { type: 'file', name: 'out/escaped.txt', content: 'x', mode: 0o644 },
    ]);
    await assert.rejects(eng.import('safe', Readable.from([viaLink])));
    assert.ok(!fs.existsSync(path.join(r.dir, 'escaped.txt')));
    assert.ok(!fs.existsSync(path.join(r.graphRoot, 'escaped.txt')));
    assert.ok(!fs.existsSync(path.join(path.dirname(v.Mountpoint), '..', 'escaped.txt')));
  } finally {
    r.cleanup();
  }
});

test('export and import of a tmpfs volume mount it for the duration only', async () => {
  const r = tempRoots();
  try {
    const eng = new LocalVolumeEngine(openStore(r), { usedBy: () => [] });
    const v = await eng.create({ name: 'tv', options: { type: 'tmpfs', device: 'tmpfs' } });
    const tar = await tarToBuffer([{ type: 'file', name: 'hello', content: 'world', mode: 0o644 }]);
    await eng.import('tv', Readable.from([tar]));
    // Unmounted afterwards: the tmpfs content is gone and nothing is left mounted.
    assert.deepEqual(fs.readdirSync(v.Mountpoint), []);
    assert.equal((await eng.inspect('tv')).MountCount, 0);
    createVolume(r, { name: 'plain' });
    const out = new PassThrough();
    const got = collect(out);
    await eng.export('plain', out);
    out.end();
    assert.equal((await got).length % 512, 0);
  } finally {
    r.cleanup();
  }
});

test('mounts recorded for containers that no longer exist do not block removal', async () => {
  const r = tempRoots();
  try {
    const store = openStore(r);
    const eng = new LocalVolumeEngine(store);
    await eng.create({ name: 'stale' });
    await eng.create({ name: 'live' });
    const liveId = 'e'.repeat(64);
    const cs = new ContainerStore(store.db);
    cs.insert(fakeContainer(liveId, []));
    await mountVolume(r, 'stale', 'f'.repeat(64)); // its container was removed without cleanup
    await mountVolume(r, 'live', liveId);
    assert.equal((await eng.inspect('stale')).MountCount, 1);
    await eng.remove('stale');
    assert.equal(await eng.exists('stale'), false);
    await assert.rejects(eng.remove('live'), (e: unknown) => e instanceof VolumeInUseError && e.users[0] === liveId);
    assert.deepEqual(await eng.prune(), []);
    await unmountVolume(r, 'live', liveId);
    assert.deepEqual(await eng.prune(), ['live']);
  } finally {
    r.cleanup();
  }
});
