// Unit tests of the image filter compiler and the tree renderer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatch, referenceCandidates, parseGoDuration, parseTimeOrDuration, imageFilter, compileImageFilters, parseFilter } from '../../src/image/filters';
import { renderTree } from '../../src/image/tree';
import type { ImageSummary } from '../../src/domain/images';

function summary(id: string, over: Partial<ImageSummary> = {}): ImageSummary {
  return {
    Id: id, ParentId: '', RepoTags: [], RepoDigests: [], Size: 10, SharedSize: 0, VirtualSize: 10, Labels: null, Containers: 0,
    Names: [], Digest: '', History: [], Created: 1000, CreatedAt: '', Dangling: false, ReadOnly: false, ...over,
  };
}

test('globMatch follows Go path.Match', () => {
  assert.ok(globMatch('*/z*', 'localhost/z'));
  assert.ok(!globMatch('local*', 'localhost/z'));
  assert.ok(globMatch('a?c', 'abc'));
  assert.ok(!globMatch('a?c', 'a/c'));
  assert.ok(globMatch('v[0-9]', 'v7'));
  assert.ok(!globMatch('v[^0-9]', 'v7'));
  assert.ok(globMatch('a\\*b', 'a*b'));
  assert.ok(!globMatch('a\\*b', 'axb'));
  assert.ok(!globMatch('[', '['));
});

test('referenceCandidates: full, without domain, last component, with and without tag', () => {
  assert.deepEqual(referenceCandidates('quay.io/foo/bar:v2').sort(), ['bar', 'bar:v2', 'foo/bar', 'foo/bar:v2', 'quay.io/foo/bar', 'quay.io/foo/bar:v2']);
  assert.ok(referenceCandidates('docker.io/library/alpine:3').includes('alpine:3'));
  assert.ok(referenceCandidates('docker.io/library/alpine:3').includes('library/alpine'));
  assert.ok(referenceCandidates('localhost/z@sha256:abc').includes('z@sha256:abc'));
});

test('durations and times', () => {
  assert.equal(parseGoDuration('1h30m'), 90 * 60000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('-2m'), -120000);
  assert.equal(parseGoDuration('10'), undefined);
  assert.equal(parseTimeOrDuration('10m', 1_000_000_000), 1_000_000_000 - 600000);
  assert.equal(parseTimeOrDuration('1600000000'), 1600000000 * 1000);
  assert.equal(parseTimeOrDuration('2019-11-14T06:15:42Z'), Date.parse('2019-11-14T06:15:42Z'));
  assert.equal(parseTimeOrDuration('2019-11-14T06:15:42+01:00'), Date.parse('2019-11-14T05:15:42Z'));
  assert.throws(() => parseTimeOrDuration('bad'), /failed to parse value as time or duration: "bad"/);
});

test('parseFilter handles = and !=', () => {
  assert.deepEqual(parseFilter('label=a=b'), { key: 'label', value: 'a=b', negate: false });
  assert.deepEqual(parseFilter('label!=a=b'), { key: 'label', value: 'a=b', negate: true });
  assert.throws(() => parseFilter('x'), /invalid image filter "x"/);
});

test('same-key filters are ORed, different keys ANDed; conflicting booleans fail', () => {
  const a = summary('a'.repeat(64), { RepoTags: ['localhost/a:1'], Names: ['localhost/a:1'], Labels: { x: '1' } });
  const b = summary('b'.repeat(64), { RepoTags: ['localhost/b:1'], Names: ['localhost/b:1'] });
  const c = summary('c'.repeat(64), { Dangling: true, Labels: { x: '1' } });
  const none = () => undefined;
  const inter = () => false;
  const pick = (fs: string[]) => [a, b, c].filter(compileImageFilters(fs, none, inter)).map((s) => s.Id[0]);
  assert.deepEqual(pick(['reference=a', 'reference=b']), ['a', 'b']);
  assert.deepEqual(pick(['reference=a', 'reference=b', 'label=x']), ['a']);
  assert.deepEqual(pick(['label=x', 'dangling=true']), ['c']);
  assert.throws(() => pick(['dangling=true', 'dangling=false']), /specifying "dangling" filter more than once with different values is not supported/);
  assert.throws(() => imageFilter('containers=x', none, inter), /unsupported value "x" for containers filter/);
  assert.ok(imageFilter('containers=false', none, inter)(a));
  // reference also matches an image found by lookup (e.g. by id).
  const byLookup = imageFilter('reference=ccc', (n) => (n === 'ccc' ? c : undefined), inter);
  assert.deepEqual([a, b, c].filter(byLookup).map((s) => s.Id[0]), ['c']);
  assert.throws(() => imageFilter('before=x', none, inter), /could not find local image for filter filter "before"="x": x: image not known/);
});

test('renderTree draws gotree branches', () => {
  const out = renderTree({ text: 'root\nline2', items: [
    { text: 'a', items: [{ text: 'a1', items: [] }, { text: 'a2', items: [] }] },
    { text: 'b', items: [{ text: 'b1', items: [] }] },
  ] });
  assert.equal(out, 'root\nline2\n├── a\n│   ├── a1\n│   └── a2\n└── b\n    └── b1\n');
});
