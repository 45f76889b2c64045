// `pier secret ...` and `run --secret` end to end, as podman 4.3 prints and behaves (compared side
// by side with podman 4.3.1). Also runs in remote mode (tests/remote/cli-suites.test.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStore, REMOTE } from '../helpers/cli';

function expect(s: TestStore, args: string[], code: number, opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = s.run(args, opts);
  assert.equal(r.code, code, `pier ${args.join(' ')}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

describe('pier secret create / ls / inspect / rm', () => {
  let s: TestStore;
  let file: string;
  before(() => {
    s = new TestStore();
    file = path.join(s.dir, 'secret.txt');
    fs.writeFileSync(file, 'hunter2');
  });
  after(() => s.cleanup());

  test('create from a file, from stdin and from the environment prints a 25-hex id; the data is kept 0600', () => {
    const id1 = s.ok(['secret', 'create', 's1', file]).trim();
    assert.match(id1, /^[0-9a-f]{25}$/);
    const id2 = s.ok(['secret', 'create', 's2', '-'], { input: 'from stdin' }).trim();
    assert.match(id2, /^[0-9a-f]{25}$/);
    s.ok(['secret', 'create', '--env', 's3', 'MY_SECRET_VAR'], { env: { MY_SECRET_VAR: 'from env' } });
    const dir = path.join(s.root, 'secrets', 'filedriver');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    assert.equal(fs.readFileSync(path.join(dir, id1), 'utf8'), 'hunter2');
    assert.equal(fs.statSync(path.join(dir, id1)).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(path.join(dir, id2), 'utf8'), 'from stdin');
  });

  test('create errors in podman\'s words (exit 125)', () => {
    const cases: Array<[string[], string, { input?: string; env?: NodeJS.ProcessEnv }?]> = [
      [['secret', 'create', 's1', file], 'Error: s1: secret name in use\n'],
      [['secret', 'create', 'bad/name', file], 'Error: only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: bad/name: invalid secret name\n'],
      [['secret', 'create', 'a-', file], 'Error: only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]: a-: invalid secret name\n'],
      [['secret', 'create', 'empty', '-'], 'Error: secret data must be larger than 0 and less than 512000 bytes\n', { input: '' }],
      [['secret', 'create', 'nofile', path.join(s.dir, 'missing')], `Error: open ${path.join(s.dir, 'missing')}: no such file or directory\n`],
      [['secret', 'create', '--env', 'noenv', 'PIER_TEST_UNSET_VAR'], 'Error: cannot create store secret data: environment variable PIER_TEST_UNSET_VAR is not set\n'],
      [['secret', 'create', '-d', 'foo', 'drv', file], 'Error: invalid driver\n'],
      [['secret', 'create', 'onlyname'], 'Error: accepts 2 arg(s), received 1\n'],
      [['secret', 'create', '--driver-opts', 'foo', 'opt', file], 'Error: invalid argument "foo" for "--driver-opts" flag: foo must be formatted as key=value\nSee \'pier secret create --help\'\n'],
    ];
    for (const [args, stderr, opts] of cases) assert.equal(expect(s, args, 125, opts).stderr, stderr, args.join(' '));
    assert.match(s.ok(['secret', 'create', 'a'.repeat(64), file]), /^[0-9a-f]{25}\n$/);
    expect(s, ['secret', 'create', 'a'.repeat(65), file], 125);
    s.ok(['secret', 'rm', 'a'.repeat(64)]);
  });

  test('ls: the table, --noheading, -q, --filter name= and id= (regular expressions), --format', () => {
    const ids = s.ok(['secret', 'ls', '-q']).trim().split('\n');
    assert.equal(ids.length, 3);
    const table = s.ok(['secret', 'ls']).split('\n');
    assert.match(table[0], /^ID {25}NAME {8}DRIVER {6}CREATED {2,}UPDATED$/);
    assert.match(table[1], /^[0-9a-f]{25}  s1 {10}file {8}(Less than a second|\d+ seconds?) ago/);
    assert.equal(s.ok(['secret', 'ls', '--noheading']).split('\n').filter(Boolean).length, 3);
    assert.equal(s.ok(['secret', 'ls', '--format', '{{.Name}} {{.Driver}}']), 's1 file\ns2 file\ns3 file\n');
    assert.equal(s.ok(['secret', 'ls', '--filter', 'name=2', '--format', '{{.Name}}']), 's2\n');
    assert.equal(s.ok(['secret', 'ls', '--filter', 'name=s1', '--filter', 'name=s3', '--format', '{{.Name}}']), 's1\ns3\n');
    const id1 = s.ok(['secret', 'inspect', '--format', '{{.ID}}', 's1']).trim();
    assert.equal(s.ok(['secret', 'ls', '--filter', `id=${id1.slice(0, 6)}`, '--format', '{{.Name}}']), 's1\n');
    assert.equal(s.ok(['secret', 'ls', '--filter', 'name=s', '--filter', `id=${id1}`, '-q']), `${id1}\n`);
    assert.equal(s.ok(['secret', 'ls', '--filter', 'name=nomatch']), 'ID          NAME        DRIVER      CREATED     UPDATED\n');
    assert.equal(expect(s, ['secret', 'ls', '--filter', 'label=a'], 125).stderr, 'Error: invalid filter "label"\n');
    assert.equal(expect(s, ['secret', 'ls', '--filter', 'foo'], 125).stderr, 'Error: filter input must be in the form of filter=value: foo is invalid\n');
    const json = JSON.parse(s.ok(['secret', 'ls', '--format', 'json']));
    assert.deepEqual(json.map((x: any) => x.Name), ['s1', 's2', 's3']);
    assert.ok(!s.ok(['secret', 'ls', '--format', 'json']).includes('hunter2'));
    // podman 4.3 runs other formats per secret: `{{json .}}` is one line each; a table has its heading.
    const lines = s.ok(['secret', 'ls', '--format', '{{json .}}']).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((x) => Object.keys(x)), Array(3).fill(['ID', 'Name', 'Driver', 'CreatedAt', 'UpdatedAt']));
    assert.equal(s.ok(['secret', 'ls', '--format', 'table {{.Name}} {{.Driver}}']), 'NAME        DRIVER\ns1          file\ns2          file\ns3          file\n');
  });

  test('inspect: JSON (never the data), --format, --pretty, labels and driver options, missing secrets', () => {
    s.ok(['secret', 'create', '-l', 'a=b', '--label', 'c', '--driver-opts', 'x=y', 'lab', file]);
    const out = s.ok(['secret', 'inspect', 'lab']);
    assert.ok(!out.includes('hunter2'));
    const [info] = JSON.parse(out);
    assert.deepEqual(Object.keys(info), ['ID', 'CreatedAt', 'UpdatedAt', 'Spec']);
    assert.match(info.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
    assert.equal(info.UpdatedAt, info.CreatedAt);
    assert.deepEqual(info.Spec, { Name: 'lab', Driver: { Name: 'file', Options: { path: path.join(s.root, 'secrets', 'filedriver'), x: 'y' } }, Labels: { a: 'b', c: '' } });
    assert.match(out, /^\[\n    \{\n        "ID": /);
    // By id and unique id prefix too.
    assert.equal(s.ok(['secret', 'inspect', '--format', '{{.Spec.Name}}', info.ID.slice(0, 8)]), 'lab\n');
    assert.match(s.ok(['secret', 'inspect', '--format', '{{.Spec.Name}} {{.CreatedAt}}', 'lab', 's1']), /^lab \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC\ns1 .* \+0000 UTC\n$/);
    assert.equal(s.ok(['secret', 'inspect', '--format', '{{json .}}', 'lab']), JSON.stringify(info) + '\n');
    assert.equal(s.ok(['secret', 'inspect', '--format', 'table {{.Spec.Name}} {{.Spec.Driver.Name}}', 'lab', 's1']), 'lab         file\ns1          file\n');
    const pretty = s.ok(['secret', 'inspect', '--pretty', 'lab']);
    assert.match(pretty, new RegExp(`^ID: {14}${info.ID}\nName: {14}lab\nLabels:\n - a=b\n - c\nDriver: {12}file\nCreated at: {8}\\S+ \\S+ \\+0000 UTC\nUpdated at: {8}\\S+ \\S+ \\+0000 UTC\n$`));
    let r = expect(s, ['secret', 'inspect', 'nosuch'], 125);
    assert.equal(r.stdout, '[]\n');
    assert.equal(r.stderr, 'Error: inspecting secret: no secret with name or id "nosuch": no such secret\n');
    r = expect(s, ['secret', 'inspect', '--format', '{{.Spec.Name}}', 'lab', 'nosuch'], 125);
    assert.equal(r.stdout, 'lab\n');
    assert.equal(r.stderr, 'Error: inspecting secret: no secret with name or id "nosuch": no such secret\n');
  });

  test('rm: prints the ids, errors for missing ones, -a removes all', () => {
    const id = s.ok(['secret', 'inspect', '--format', '{{.ID}}', 'lab']).trim();
    let r = expect(s, ['secret', 'rm', 'lab', 'nosuch'], 125);
    assert.equal(r.stdout, `${id}\n`);
    assert.equal(r.stderr, 'Error: no secret with name or id "nosuch": no such secret\n');
    assert.ok(!fs.existsSync(path.join(s.root, 'secrets', 'filedriver', id)), 'the data file went with the secret');
    r = expect(s, ['secret', 'rm', '-a', 's1'], 125);
    assert.equal(r.stderr, 'Error: `pier secret rm` requires one argument, or the --all flag\n');
    expect(s, ['secret', 'rm'], 125);
    assert.equal(s.ok(['secret', 'rm', '--all']).trim().split('\n').length, 3);
    assert.equal(s.ok(['secret', 'ls', '-q']), '');
    assert.equal(s.ok(['secret', 'rm', '-a']), '');
  });
});

describe('run --secret', () => {
  let s: TestStore;
  before(async () => {
    s = await busyboxStore();
    s.ok(['secret', 'create', 'mnt', '-'], { input: 'mount data' });
    s.ok(['secret', 'create', 'envs', '-'], { input: 'env data' });
  });
  after(() => s.cleanup());

  test('type=mount at /run/secrets/NAME (0444 root), a target, uid/gid/mode; type=env as NAME or the target variable', () => {
    const out = s.ok(['run', '--rm', '--net', 'none',
      '--secret', 'mnt', '--secret', 'envs,type=env', '--secret', 'mnt,type=env,target=OTHER',
      '--secret', 'source=envs,target=/etc/app.conf,uid=5,gid=6,mode=0400', '--secret', 'mnt,target=rel',
      'localhost/busybox', 'sh', '-c',
      'cat /run/secrets/mnt; echo; cat /etc/app.conf; echo; cat /run/secrets/rel; echo; echo "$envs|$OTHER"; stat -c "%a %u %g" /run/secrets/mnt /etc/app.conf']);
    assert.equal(out, 'mount data\nenv data\nmount data\nenv data|mount data\n444 0 0\n400 5 6\n');
  });

  test('--secret errors: unknown secret, bad options (podman\'s "parsing secret" wording)', () => {
    const cases: Array<[string, string]> = [
      ['nosuch', 'Error: no secret with name or id "nosuch": no such secret\n'],
      ['mnt,type=bogus', 'Error: type bogus is invalid: parsing secret\n'],
      ['mnt,foo=bar', 'Error: option foo=bar invalid: parsing secret\n'],
      ['mnt,mode=abc', 'Error: mode abc invalid: parsing secret\n'],
      ['mnt,uid=-1', 'Error: UID -1 invalid: parsing secret\n'],
      ['mnt,type=env,mode=0400', 'Error: UID, GID, Mode options cannot be set with secret type env: parsing secret\n'],
    ];
    for (const [v, err] of cases) assert.equal(expect(s, ['create', '--secret', v, 'localhost/busybox', 'true'], 125).stderr, err, v);
    assert.equal(s.ok(['ps', '-aq']), '');
  });

  test('inspect shows mount secrets in Config.Secrets; the copy is the container\'s; removing the secret keeps it, an env secret then fails start', () => {
    const id = s.ok(['create', '--name', 'c1', '--net', 'none', '--secret', 'mnt', '--secret', 'envs,type=env', '--secret', 'mnt,target=/x,uid=3,gid=4,mode=0440', 'localhost/busybox', 'sh', '-c', 'cat /run/secrets/mnt; echo " $envs"']).trim();
    const mntId = s.ok(['secret', 'inspect', '--format', '{{.ID}}', 'mnt']).trim();
    const secrets = JSON.parse(s.ok(['inspect', '--format', '{{json .Config.Secrets}}', 'c1']));
    assert.deepEqual(secrets, [{ Name: 'mnt', ID: mntId, UID: 0, GID: 0, Mode: 292 }, { Name: 'mnt', ID: mntId, UID: 3, GID: 4, Mode: 288 }]);
    assert.ok(!s.ok(['inspect', 'c1']).includes('mount data'), 'inspect never shows the data');
    const copy = path.join(s.root, 'containers', id, 'userdata', 'secrets', 'mnt');
    assert.equal(fs.readFileSync(copy, 'utf8'), 'mount data');
    // rm of a secret in use is allowed (as podman 4.3): the container keeps its copy.
    s.ok(['secret', 'rm', 'mnt']);
    assert.equal(s.ok(['start', '-a', 'c1']), 'mount data env data\n');
    // /run/secrets is a directory mount (as podman's): the mount points stay out of the writable layer.
    const diff = s.ok(['diff', 'c1']);
    assert.match(diff, /^A \/x$/m);
    assert.doesNotMatch(diff, /\/run/);
    s.ok(['secret', 'rm', 'envs']);
    const r = expect(s, ['start', '-a', 'c1'], 125);
    assert.equal(r.stderr, `Error: unable to start container ${id}: no secret with name or id "envs": no such secret\n`);
    s.ok(['rm', 'c1']);
    assert.ok(!fs.existsSync(copy), 'the copy went with the container');
  });

  test('a container without --secret has no /run/secrets', () => {
    const r = s.run(['run', '--rm', '--net', 'none', 'localhost/busybox', 'ls', '/run/secrets']);
    assert.equal(r.code, 1);
    assert.equal(REMOTE || r.stderr.includes('No such file or directory'), true);
  });
});
