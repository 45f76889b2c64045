// `pier images` / `pier image ls`: table, quiet, JSON, templates, filters, sort, digests.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore, seedStandard, tableRows, Seeded } from './helpers';

describe('pier images', () => {
  let ts: TestStore;
  let imgs: Record<'base' | 'mid' | 'child' | 'orphan' | 'lone', Seeded>;
  before(async () => {
    ts = new TestStore({ driver: 'vfs' });
    imgs = await seedStandard(ts);
  });
  after(() => ts.cleanup());

  test('default table: one row per name, <none> for dangling, newest first', () => {
    const out = ts.ok(['images']);
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0], /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    const rows = tableRows(out).slice(1);
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[2]]), [
      ['localhost/child', 'latest', imgs.child.id.slice(0, 12)],
      ['<none>', '<none>', imgs.orphan.id.slice(0, 12)],
      ['localhost/base', '1', imgs.base.id.slice(0, 12)],
      ['quay.io/acme/base', 'v2', imgs.base.id.slice(0, 12)],
      ['docker.io/library/alpine', '3.18', imgs.lone.id.slice(0, 12)],
    ]);
    for (const r of rows) {
      assert.match(r[3], /years ago$/);
      assert.match(r[4], /^\d+(\.\d+)? (B|kB|MB)$/);
    }
    // Columns line up: every row's IMAGE ID starts at the header's offset.
    const col = lines[0].indexOf('IMAGE ID');
    for (const l of lines.slice(1)) assert.match(l.slice(col, col + 12), /^[0-9a-f]{12}$/);
  });

  test('image ls and image list are the same command', () => {
    assert.equal(ts.ok(['image', 'ls']), ts.ok(['images']));
    assert.equal(ts.ok(['image', 'list', '-q']), ts.ok(['images', '-q']));
  });

  test('-a shows intermediate images', () => {
    const ids = ts.ok(['images', '-q']).trim().split('\n');
    assert.ok(!ids.includes(imgs.mid.id.slice(0, 12)));
    const all = ts.ok(['images', '-a', '-q']).trim().split('\n');
    assert.ok(all.includes(imgs.mid.id.slice(0, 12)));
    assert.equal(all.length, 5);
  });

  test('-q prints unique truncated ids; --no-trunc full ones', () => {
    assert.deepEqual(ts.ok(['images', '-q']).trim().split('\n'), [imgs.child, imgs.orphan, imgs.base, imgs.lone].map((i) => i.id.slice(0, 12)));
    assert.deepEqual(ts.ok(['images', '-q', '--no-trunc']).trim().split('\n'), [imgs.child, imgs.orphan, imgs.base, imgs.lone].map((i) => `sha256:${i.id}`));
    const table = ts.ok(['images', '--no-trunc']);
    assert.ok(table.includes(`sha256:${imgs.base.id}`));
  });

  test('-n drops the heading; --digests adds a DIGEST column', () => {
    const out = ts.ok(['images', '-n']);
    assert.ok(!out.includes('REPOSITORY'));
    assert.equal(out.trim().split('\n').length, 5);
    const d = ts.ok(['images', '--digests']).split('\n')[0];
    assert.match(d, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
  });

  test('--format json: one object per image with podman field names', () => {
    const arr = JSON.parse(ts.ok(['images', '--format', 'json']));
    assert.equal(arr.length, 4);
    const base = arr.find((x: any) => x.Id === imgs.base.id);
    assert.deepEqual(base.Names, ['localhost/base:1', 'quay.io/acme/base:v2']);
    assert.equal(typeof base.Size, 'number');
    assert.equal(base.Created, Date.parse('2021-01-01T00:00:00Z') / 1000);
    const orphan = arr.find((x: any) => x.Id === imgs.orphan.id);
    assert.equal(orphan.Dangling, true);
    assert.deepEqual(orphan.Labels, { tier: 'junk' });
    assert.deepEqual(JSON.parse(ts.ok(['images', '--format', '{{json .}}'])), arr);
  });

  test('--format Go template and table templates', () => {
    const out = ts.ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.ok(out.split('\n').includes(`quay.io/acme/base:v2 ${imgs.base.id.slice(0, 12)}`));
    const t = ts.ok(['images', '--format', 'table {{.ID}} {{.Repository}}']).trimEnd().split('\n');
    assert.match(t[0], /^IMAGE ID\s+REPOSITORY$/);
    assert.equal(t.length, 6);
    const bad = ts.run(['images', '--format', '{{.Bogus}}']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /can't evaluate field Bogus/);
  });

  test('--sort repository, tag, size, id; bad key', () => {
    const repos = (args: string[]) => tableRows(ts.ok(['images', '-n', ...args])).map((r) => r[0]);
    assert.deepEqual(repos(['--sort', 'repository']), ['<none>', 'docker.io/library/alpine', 'localhost/base', 'localhost/child', 'quay.io/acme/base']);
    const tags = tableRows(ts.ok(['images', '-n', '--sort', 'tag'])).map((r) => r[1]);
    assert.deepEqual(tags, ['1', '3.18', '<none>', 'latest', 'v2']);
    const ids = tableRows(ts.ok(['images', '-n', '--sort', 'id'])).map((r) => r[2]);
    assert.deepEqual(ids, [...ids].sort());
    const sizes = JSON.parse(ts.ok(['images', '--format', 'json']));
    const bySize = tableRows(ts.ok(['images', '-n', '--sort', 'size'])).map((r) => r[2]);
    const sizeOf = (short: string) => sizes.find((x: any) => x.Id.startsWith(short)).Size;
    for (let i = 1; i < bySize.length; i++) assert.ok(sizeOf(bySize[i - 1]) <= sizeOf(bySize[i]));
    const r = ts.run(['images', '--sort', 'bogus']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim(), 'Error: "bogus" is not a valid field for sorting. Choose from: repository, size, tag, created, id');
  });

  test('filters: reference, label, dangling, before/since, until, id', () => {
    const q = (...f: string[]) => ts.ok(['images', '-q', ...f.flatMap((x) => ['--filter', x])]).trim().split('\n').filter(Boolean);
    const s = (i: Seeded) => i.id.slice(0, 12);
    assert.deepEqual(q('reference=base'), [s(imgs.base)]);
    assert.deepEqual(q('reference=localhost/base:1'), [s(imgs.base)]);
    assert.deepEqual(q('reference=acme/*'), [s(imgs.base)]);
    assert.deepEqual(q('reference=alpine:3.18'), [s(imgs.lone)]);
    assert.deepEqual(q('reference=nothing*'), []);
    assert.deepEqual(q('reference!=base'), [s(imgs.child), s(imgs.orphan), s(imgs.lone)]);
    assert.deepEqual(q('label=tier'), [s(imgs.child), s(imgs.orphan)]);
    assert.deepEqual(q('label=tier=app'), [s(imgs.child)]);
    assert.deepEqual(q('label!=tier'), [s(imgs.base), s(imgs.lone)]);
    assert.deepEqual(q('dangling=true'), [s(imgs.orphan)]);
    assert.deepEqual(q('dangling=false'), [s(imgs.child), s(imgs.base), s(imgs.lone)]);
    assert.deepEqual(q('before=localhost/base:1'), [s(imgs.lone)]);
    assert.deepEqual(q('since=localhost/base:1'), [s(imgs.child), s(imgs.orphan)]);
    assert.deepEqual(q('until=2021-06-01'), [s(imgs.base), s(imgs.lone)]);
    assert.deepEqual(q('until=1609459201'), [s(imgs.base), s(imgs.lone)]);
    assert.deepEqual(q(`id=${imgs.lone.id}`), [s(imgs.lone)]);
    assert.deepEqual(q('dangling=false', 'label=tier'), [s(imgs.child)]);
    // The IMAGE argument is a reference filter.
    assert.deepEqual(ts.ok(['images', '-q', 'alpine']).trim().split('\n'), [s(imgs.lone)]);
    assert.deepEqual(ts.ok(['images', '-a', '-q', '--filter', 'intermediate=true']).trim().split('\n'), [s(imgs.mid)]);
  });

  test('bad filters exit 125 with podman messages', () => {
    const cases: [string, string][] = [
      ['foo=bar', 'Error: unsupported image filter "foo"'],
      ['foo', 'Error: invalid image filter "foo": must be in the format "filter=value or filter!=value"'],
      ['dangling=maybe', 'Error: non-boolean value "dangling" for maybe filter: strconv.ParseBool: parsing "maybe": invalid syntax'],
      ['since=nope', 'Error: could not find local image for filter filter "since"="nope": nope: image not known'],
      ['until=bad', 'Error: failed to parse value as time or duration: "bad"'],
    ];
    for (const [f, msg] of cases) {
      const r = ts.run(['images', '--filter', f]);
      assert.equal(r.code, 125, f);
      assert.equal(r.stderr.trim(), msg);
      assert.equal(r.stdout, '');
    }
  });

  test('unknown flag and too many arguments', () => {
    const r = ts.run(['images', '--x']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /^Error: unknown flag: --x\n/);
    const r2 = ts.run(['images', 'a', 'b']);
    assert.equal(r2.code, 125);
  });
});

describe('pier images on an empty store', () => {
  test('prints only the header; -q prints nothing; json is []', () => {
    const ts = new TestStore({ driver: 'vfs' });
    try {
      assert.match(ts.ok(['images']), /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n$/);
      assert.equal(ts.ok(['images', '-q']), '');
      assert.deepEqual(JSON.parse(ts.ok(['images', '--format', 'json'])), []);
    } finally {
      ts.cleanup();
    }
  });
});
