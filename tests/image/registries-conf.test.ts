import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  loadRegistriesConf,
  registriesConfPaths,
  findRegistry,
  matchRegistry,
  isBlocked,
  isInsecure,
  assertNotBlocked,
  resolveShortName,
  resolveShortNameDetailed,
  SYSTEM_REGISTRIES_CONF,
} from '../../src/image/config/registries';
import { parseReference } from '../../src/image/reference';
import { PierError, UsageError } from '../../src/util/errors';

const D = 'sha256:' + 'cd'.repeat(32);

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-regconf-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Load `main` (+ drop-ins) from a private dir with an empty home. */
function load(dir: string, main: string, dropIns: Record<string, string> = {}) {
  const file = path.join(dir, 'registries.conf');
  fs.writeFileSync(file, main);
  const d = path.join(dir, 'registries.conf.d');
  fs.mkdirSync(d, { recursive: true });
  for (const [n, c] of Object.entries(dropIns)) fs.writeFileSync(path.join(d, n), c);
  return loadRegistriesConf({ path: file, dirPath: d, homeDir: path.join(dir, 'home'), env: {} });
}

test('search registries, short-name mode and aliases', (t) => {
  const dir = tmp(t);
  const conf = load(dir, `
unqualified-search-registries = ["quay.io", "docker.io"]
short-name-mode = "permissive"
[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
"ns/tool" = "quay.io/tools/tool"
`);
  assert.deepEqual(conf.unqualifiedSearchRegistries, ['quay.io', 'docker.io']);
  assert.equal(conf.shortNameMode, 'permissive');
  assert.equal(conf.aliases.fedora, 'registry.fedoraproject.org/fedora');

  // alias first (and only), tags and digests carried over
  assert.deepEqual(resolveShortName(conf, 'fedora').map(String), ['registry.fedoraproject.org/fedora:latest']);
  assert.deepEqual(resolveShortName(conf, 'fedora:39').map(String), ['registry.fedoraproject.org/fedora:39']);
  assert.deepEqual(resolveShortName(conf, `ns/tool@${D}`).map(String), [`quay.io/tools/tool@${D}`]);
  const detail = resolveShortNameDetailed(conf, 'fedora');
  assert.equal(detail.alias?.value, 'registry.fedoraproject.org/fedora');
  assert.equal(detail.alias?.origin, path.join(dir, 'registries.conf'));

  // otherwise every search registry, docker.io gets library/
  assert.deepEqual(resolveShortName(conf, 'busybox').map(String), ['quay.io/busybox:latest', 'docker.io/library/busybox:latest']);
  assert.deepEqual(resolveShortName(conf, 'user/app:2').map(String), ['quay.io/user/app:2', 'docker.io/user/app:2']);
  // qualified names are returned as is
  assert.deepEqual(resolveShortName(conf, 'localhost/x').map(String), ['localhost/x:latest']);
  assert.deepEqual(resolveShortName(conf, 'docker.io/busybox:1').map(String), ['docker.io/library/busybox:1']);
  assert.throws(() => resolveShortName(conf, 'Bad'), UsageError);
});

test('short name without alias or search registries fails like podman', (t) => {
  const dir = tmp(t);
  const conf = load(dir, '# nothing\n');
  const file = path.join(dir, 'registries.conf');
  assert.throws(() => resolveShortName(conf, 'foo'), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, `short-name "foo" did not resolve to an alias and no unqualified-search registries are defined in "${file}"`);
    return true;
  });
});

test('enforcing mode with several search registries needs a TTY', (t) => {
  const dir = tmp(t);
  const conf = load(dir, 'unqualified-search-registries = ["a.io", "b.io"]\nshort-name-mode = "enforcing"\n');
  assert.throws(() => resolveShortName(conf, 'foo'), /short-name resolution enforced but cannot prompt without a TTY/);
  assert.equal(resolveShortName(conf, 'foo', { tty: true }).length, 2);
  const single = load(dir, 'unqualified-search-registries = ["a.io"]\nshort-name-mode = "enforcing"\n');
  assert.deepEqual(resolveShortName(single, 'foo').map(String), ['a.io/foo:latest']);
  assert.equal(load(dir, '').shortNameMode, 'permissive');
});

test('prefix matching, location rewriting and mirrors in pull order', (t) => {
  const dir = tmp(t);
  const conf = load(dir, `
[[registry]]
prefix = "example.com/foo"
location = "internal.example.net/bar"
[[registry.mirror]]
location = "mirror-0.local/mirror-for-foo"
[[registry.mirror]]
location = "mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
location = "example.com"
insecure = true

[[registry]]
location = "digest.io"
[[registry.mirror]]
location = "by-digest.local"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "by-tag.local"
pull-from-mirror = "tag-only"

[[registry]]
location = "old.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "old-mirror.local"
`);
  const sources = findRegistry(conf, parseReference('example.com/foo/image:latest'));
  assert.deepEqual(sources.map((s) => [s.ref.toString(), s.insecure, s.mirror]), [
    ['mirror-0.local/mirror-for-foo/image:latest', false, true],
    ['mirror-1.local/mirrors/foo/image:latest', true, true],
    ['internal.example.net/bar/image:latest', false, false],
  ]);
  // longest prefix wins; "example.com/foobar" does not match prefix "example.com/foo"
  assert.deepEqual(findRegistry(conf, parseReference('example.com/foobar:1')).map((s) => [s.ref.toString(), s.insecure]), [['example.com/foobar:1', true]]);
  assert.equal(matchRegistry(conf, 'example.com/foo')?.location, 'internal.example.net/bar');
  // digest references keep the digest through rewriting
  assert.deepEqual(findRegistry(conf, parseReference(`example.com/foo/x@${D}`)).map((s) => s.ref.toString()).at(-1), `internal.example.net/bar/x@${D}`);
  // pull-from-mirror
  assert.deepEqual(findRegistry(conf, parseReference('digest.io/a:1')).map((s) => s.ref.registry), ['by-tag.local', 'digest.io']);
  assert.deepEqual(findRegistry(conf, parseReference(`digest.io/a@${D}`)).map((s) => s.ref.registry), ['by-digest.local', 'digest.io']);
  // mirror-by-digest-only on the registry
  assert.deepEqual(findRegistry(conf, parseReference('old.io/a:1')).map((s) => s.ref.registry), ['old.io']);
  assert.deepEqual(findRegistry(conf, parseReference(`old.io/a@${D}`)).map((s) => s.ref.registry), ['old-mirror.local', 'old.io']);
  // no table: the reference itself, secure
  assert.deepEqual(findRegistry(conf, parseReference('quay.io/x:1')).map((s) => [s.ref.toString(), s.insecure, s.mirror]), [['quay.io/x:1', false, false]]);
});

test('wildcard prefixes, blocked and insecure registries', (t) => {
  const dir = tmp(t);
  const conf = load(dir, `
[[registry]]
prefix = "*.example.com"
insecure = true
[[registry]]
prefix = "*.evil.org"
blocked = true
[[registry]]
location = "good.evil.org"
[[registry]]
location = "docker.io/library/busybox"
blocked = true
[[registry]]
prefix = "*.mirrored.io"
location = ""
[[registry.mirror]]
location = "local-mirror:5000"
`);
  assert.equal(isInsecure(conf, 'a.example.com'), true);
  assert.equal(isInsecure(conf, 'a.b.example.com:5000'), true);
  assert.equal(isInsecure(conf, 'example.com'), false);
  assert.equal(isInsecure(conf, 'notexample.com'), false);
  assert.equal(isBlocked(conf, parseReference('x.evil.org/a')), true);
  assert.equal(isBlocked(conf, parseReference('good.evil.org/a')), false, 'longer prefix overrides the wildcard');
  assert.equal(isBlocked(conf, parseReference('busybox')), true);
  assert.equal(isBlocked(conf, parseReference('docker.io/library/busybox:1')), true);
  assert.equal(isBlocked(conf, parseReference('alpine')), false);
  assert.throws(() => assertNotBlocked(conf, parseReference('busybox')), (e: unknown) => {
    assert.ok(e instanceof PierError);
    assert.match(e.message, /^registry docker\.io\/library\/busybox is blocked in /);
    return true;
  });
  // wildcard without location: no rewrite, but mirrors apply
  const src = findRegistry(conf, parseReference('r.mirrored.io/ns/img:3'));
  assert.deepEqual(src.map((s) => s.ref.toString()), ['local-mirror:5000/ns/img:3', 'r.mirrored.io/ns/img:3']);
});

test('drop-ins override in order: search list replaced, aliases merged/erased, tables by prefix', (t) => {
  const dir = tmp(t);
  const conf = load(dir, `
unqualified-search-registries = ["main.io"]
[aliases]
"a" = "main.io/a"
"b" = "main.io/b"
[[registry]]
location = "x.io"
insecure = false
[[registry]]
location = "y.io"
blocked = true
`, {
    '20-second.conf': `
unqualified-search-registries = ["second.io", "third.io"]
[aliases]
"a" = "second.io/a"
"c" = "second.io/c"
[[registry]]
location = "x.io"
insecure = true
`,
    '10-first.conf': `
unqualified-search-registries = ["first.io"]
short-name-mode = "disabled"
[aliases]
"b" = ""
`,
    'ignored.txt': 'this is not toml = = =',
  });
  assert.deepEqual(conf.files.map((f) => path.basename(f)), ['registries.conf', '10-first.conf', '20-second.conf']);
  assert.deepEqual(conf.unqualifiedSearchRegistries, ['second.io', 'third.io']);
  assert.equal(conf.shortNameMode, 'disabled');
  assert.deepEqual(conf.aliases, { a: 'second.io/a', c: 'second.io/c' });
  assert.equal(isInsecure(conf, 'x.io'), true);
  assert.equal(isBlocked(conf, parseReference('y.io/z')), true, 'tables not redefined are kept');
  assert.equal(conf.registries.length, 2);
});

test('v1 format: search, insecure and block lists', (t) => {
  const dir = tmp(t);
  const conf = load(dir, `
[registries.search]
registries = ['registry1.com', 'registry2.com']
[registries.insecure]
registries = ['registry3.com']
[registries.block]
registries = ['registry.untrusted.com', 'registry3.com']
`);
  assert.deepEqual(conf.unqualifiedSearchRegistries, ['registry1.com', 'registry2.com']);
  assert.equal(isInsecure(conf, 'registry3.com'), true);
  assert.equal(isBlocked(conf, parseReference('registry3.com/a')), true);
  assert.equal(isBlocked(conf, parseReference('registry.untrusted.com/a')), true);
  assert.equal(isBlocked(conf, parseReference('registry1.com/a')), false);
});

test('invalid configurations are reported with the file name', (t) => {
  const dir = tmp(t);
  const bad: Array<[string, RegExp]> = [
    ['unqualified-search-registries = ["a.io"]\n[registries.search]\nregistries = ["b.io"]\n', /mixing sysregistry v1\/v2 is not supported/],
    ['[[registry]]\ninsecure = true\n', /both location and prefix are unset/],
    ['[[registry]]\nlocation = "https://x.io"\n', /URI schemes are not supported/],
    ['[[registry]]\nprefix = "foo.*.com"\nlocation = "x.io"\n', /wildcards are only allowed/],
    ['short-name-mode = "sometimes"\n', /invalid short name mode/],
    ['[aliases]\n"quay.io/x" = "quay.io/x"\n', /must be a short name/],
    ['[aliases]\n"x:1" = "quay.io/x"\n', /must not contain a tag or digest/],
    ['[aliases]\n"x" = "y"\n', /must be fully qualified/],
    ['this is = = not toml', /parsing TOML/],
    ['[[registry]]\nlocation = "a.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "sometimes"\n', /pull-from-mirror/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => load(dir, text), (e: unknown) => {
      assert.ok(e instanceof PierError, String(e));
      assert.match(e.message, re, text);
      assert.ok(e.message.includes(path.join(dir, 'registries.conf')), e.message);
      return true;
    });
  }
});

test('file lookup: explicit path, env, per-user file (with its own drop-ins), system default', (t) => {
  const dir = tmp(t);
  const home = path.join(dir, 'home');
  assert.deepEqual(registriesConfPaths({ homeDir: home, env: {} }).path, SYSTEM_REGISTRIES_CONF);
  assert.deepEqual(registriesConfPaths({ homeDir: home, env: { CONTAINERS_REGISTRIES_CONF: '/x/r.conf' } }).path, '/x/r.conf');
  assert.deepEqual(registriesConfPaths({ path: '/y/r.conf', homeDir: home, env: { CONTAINERS_REGISTRIES_CONF: '/x/r.conf' } }).path, '/y/r.conf');

  const userFile = path.join(home, '.config/containers/registries.conf');
  fs.mkdirSync(path.join(home, '.config/containers/registries.conf.d'), { recursive: true });
  fs.writeFileSync(userFile, 'unqualified-search-registries = ["user.io"]\n');
  fs.writeFileSync(path.join(home, '.config/containers/registries.conf.d/50-x.conf'), '[aliases]\n"u" = "user.io/u"\n');
  const p = registriesConfPaths({ homeDir: home, env: {} });
  assert.equal(p.path, userFile);
  assert.deepEqual(p.dirs, [path.join(home, '.config/containers/registries.conf.d')], 'system drop-ins are not read with a user file');
  const conf = loadRegistriesConf({ homeDir: home, env: {} });
  assert.deepEqual(conf.unqualifiedSearchRegistries, ['user.io']);
  assert.equal(conf.aliases.u, 'user.io/u');
  assert.throws(() => resolveShortName({ ...conf, unqualifiedSearchRegistries: [] }, 'zz'), new RegExp(`defined in "${userFile.replace(/[.]/g, '\\.')}"`));
});

test('missing files give an empty configuration; the alias cache wins over config aliases', (t) => {
  const dir = tmp(t);
  const conf = loadRegistriesConf({ path: path.join(dir, 'none.conf'), dirPath: path.join(dir, 'none.d'), homeDir: dir, env: {} });
  assert.deepEqual(conf.unqualifiedSearchRegistries, []);
  assert.deepEqual(conf.files, []);
  const main = path.join(dir, 'r.conf');
  fs.writeFileSync(main, '[aliases]\n"app" = "quay.io/app"\n');
  const cache = path.join(dir, 'short-name-aliases.conf');
  fs.writeFileSync(cache, '[aliases]\n"app" = "docker.io/library/app"\n');
  const c2 = loadRegistriesConf({ path: main, dirPath: path.join(dir, 'none.d'), homeDir: dir, env: {}, aliasCachePath: cache });
  assert.deepEqual(resolveShortName(c2, 'app').map(String), ['docker.io/library/app:latest']);
});

test('the system shortnames.conf drop-in (containers-common) parses', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-regconf-'));
  try {
    const conf = loadRegistriesConf({ path: path.join(dir, 'none.conf'), dirPath: '/etc/containers/registries.conf.d', homeDir: dir, env: {} });
    assert.ok(Object.keys(conf.aliases).length > 10);
    assert.deepEqual(resolveShortName(conf, 'alpine:3').map(String), ['docker.io/library/alpine:3']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
