// podman's --format handling for list and inspect commands. Expected outputs were
// compared with `podman images` / `podman image inspect` 4.3.1 on the same data.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  compileFormat, enforceRange, formatInspect, formatList, headerFor, isJSONFormat, isTableFormat,
  normalizeFormat, splitCamelCase,
} from '../../src/cli/format/output';
import { asStruct, TemplateError } from '../../src/cli/format/gotemplate';

const DIGEST = 'sha256:4420505f6b387fbf483a91594f7647d6ed497c28ca40ff5fe90504f9047af6f4';
const row = (tag: string) => ({
  Repository: 'localhost/tiny', Tag: tag, ID: '2beb4bf632ad', Size: '11.4 kB', CreatedSince: '2 weeks ago',
  Labels: { 'a.b': 'c', foo: 'bar<&>' }, Names: ['localhost/tiny:v1', 'localhost/tiny:v2'], Digest: DIGEST,
});
const rows = [row('v1'), row('v2')];
const DEFAULT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
const HEADERS = { ID: 'IMAGE ID' };

test('no format, empty format and "table" use the default table', () => {
  const expected =
    'REPOSITORY      TAG         IMAGE ID      CREATED      SIZE\n' +
    'localhost/tiny  v1          2beb4bf632ad  2 weeks ago  11.4 kB\n' +
    'localhost/tiny  v2          2beb4bf632ad  2 weeks ago  11.4 kB\n';
  assert.equal(formatList(rows, undefined, DEFAULT, { headers: HEADERS }), expected);
  assert.equal(formatList(rows, '', DEFAULT, { headers: HEADERS }), expected);
  assert.equal(formatList(rows, 'table', DEFAULT, { headers: HEADERS }), expected);
});

test('an empty list still prints the heading; --noheading drops it', () => {
  assert.equal(formatList([], undefined, DEFAULT, { headers: HEADERS }), 'REPOSITORY  TAG         IMAGE ID    CREATED     SIZE\n');
  assert.equal(formatList([], undefined, DEFAULT, { noHeading: true }), '');
  assert.equal(formatList(rows, 'table {{.Tag}}\t{{.ID}}', DEFAULT, { noHeading: true }), 'v1          2beb4bf632ad\nv2          2beb4bf632ad\n');
});

test('table formats: spaces separate columns, heading derived from the template', () => {
  assert.equal(formatList(rows, 'table {{ .ID }} {{printf "%s %s" .Repository .Tag}}', DEFAULT, { headers: HEADERS }),
    'IMAGE ID      REPOSITORY      TAG\n2beb4bf632ad  localhost/tiny  v1\n2beb4bf632ad  localhost/tiny  v2\n');
  assert.equal(formatList(rows, 'table {{.Digest}}\\t{{.Names}}\\t{{.Tag}}', DEFAULT),
    `DIGEST${' '.repeat(67)}NAMES                                  TAG\n` +
    `${DIGEST}  [localhost/tiny:v1 localhost/tiny:v2]  v1\n${DIGEST}  [localhost/tiny:v1 localhost/tiny:v2]  v2\n`);
  // Literal text is copied into the heading too; nested fields use their last name.
  assert.equal(formatList([row('v1')], 'table {{.Tag}}:{{.Labels.foo}}', DEFAULT), 'TAG:FOO\nv1:bar<&>\n');
});

test('custom formats: one line per row, \\t and \\n escapes', () => {
  assert.equal(formatList(rows, '{{.ID}}', DEFAULT), '2beb4bf632ad\n2beb4bf632ad\n');
  assert.equal(formatList(rows, '{{ .ID }} {{.Tag}}\\tX\\nY', DEFAULT), '2beb4bf632ad v1\tX\nY\n2beb4bf632ad v2\tX\nY\n');
  assert.equal(formatList(rows, '{{.Tag}}\\n', DEFAULT), 'v1\nv2\n');
  assert.equal(formatList(rows, '{{range .Names}}{{.}} {{end}}', DEFAULT), 'localhost/tiny:v1 localhost/tiny:v2 \n'.repeat(2));
  assert.equal(formatList([], '{{.ID}}', DEFAULT), '');
});

test('custom formats are wrapped in a range over the list, as podman does', () => {
  // `$` is the whole list.
  assert.equal(formatList([{ N: 1 }, { N: 2 }], '{{.N}}/{{len $}}', DEFAULT), '1/2\n2/2\n');
  // A format that already ranges over the list is used as is.
  assert.equal(formatList(rows, '{{range .}}{{.Tag}} {{end}}', DEFAULT), 'v1 v2 \n');
  assert.equal(enforceRange('{{.A}}'), '{{range .}}{{.A}}{{end -}}');
});

test('a \\n escape inside a quoted string falls back to the unprocessed format', () => {
  assert.equal(formatList(rows, 'A{{"\\n"}}B', DEFAULT), 'A\nBA\nB');
  assert.equal(formatList(rows, '{{printf "%q" "a\\nb"}}\\n', DEFAULT), '"a\\nb"\\n"a\\nb"\\n');
  assert.equal(formatList(rows, 'A{{`\\n`}}B', DEFAULT), 'A\nB\nA\nB\n');
});

test('json and {{json .}} print a 4-space indented array with HTML escaping', () => {
  const expected = '[\n    {\n        "ID": "x",\n        "L": "a<b"\n    }\n]'.replace('a<b', 'a\\u003cb');
  assert.equal(formatList([{ ID: 'x', L: 'a<b' }], 'json', DEFAULT), expected);
  assert.equal(formatList([{ ID: 'x', L: 'a<b' }], '{{json .}}', DEFAULT), expected);
  assert.equal(formatList([{ ID: 'x', L: 'a<b' }], ' {{ json }} ', DEFAULT), expected);
  assert.equal(formatList([], 'json', DEFAULT), '[]');
  assert.equal(formatList([{ A: 1 }], 'json', DEFAULT, { jsonIndent: '  ' }), '[\n  {\n    "A": 1\n  }\n]');
  // The json template function itself does not escape HTML (podman's SetEscapeHTML(false)).
  assert.equal(formatList([row('v1')], '{{json .Labels}}', DEFAULT), '{"a.b":"c","foo":"bar<&>"}\n');
});

test('errors: parse errors and unknown struct fields, with partial output', () => {
  assert.throws(() => formatList(rows, '{{.ID}', DEFAULT, { name: 'images' }),
    (e: unknown) => e instanceof TemplateError && e.message === `template: images:1: bad character U+007D '}'`);
  assert.throws(() => formatList(rows, '{{if .ID}}', DEFAULT, { name: 'images' }),
    (e: unknown) => e instanceof TemplateError && e.message === 'template: images:1: unexpected EOF');
  try {
    formatList(rows, 'x {{ .Foo }}', DEFAULT, { name: 'images', structType: 'images.imageReporter' });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof TemplateError);
    assert.equal(e.message, 'template: images:1:16: executing "images" at <.Foo>: can\'t evaluate field Foo in type images.imageReporter');
    assert.equal(e.partialOutput, 'x ');
  }
  // Without a struct type, rows behave as maps.
  assert.equal(formatList([row('v1')], '{{.Foo}}', DEFAULT), '<no value>\n');
  const strict = asStruct({ A: 1 }, 'x.T');
  assert.throws(() => formatList([strict], '{{.B}}', DEFAULT), /can't evaluate field B in type x\.T/);
});

test('formatInspect: JSON array by default, template per object otherwise', () => {
  const objs = [{ Name: 'v1', Labels: { x: '<a>' }, Options: {} }];
  assert.equal(formatInspect(objs),
    '[\n     {\n          "Name": "v1",\n          "Labels": {\n               "x": "<a>"\n          },\n          "Options": {}\n     }\n]');
  assert.equal(formatInspect(objs, 'json'), formatInspect(objs));
  assert.equal(formatInspect(objs, '{{json .}}'), formatInspect(objs));
  assert.equal(formatInspect([]), '[]');
  assert.equal(formatInspect(objs, undefined, { indent: '    ' }).split('\n')[1], '    {');
  assert.equal(formatInspect([{ Id: 'a', Size: 1 }, { Id: 'b', Size: 2 }], '{{.Id}}\\t{{.Size}}\\n'), 'a\t1\nb\t2\n');
  assert.equal(formatInspect([{ Name: 'v1' }], 'table {{.Name}}'), 'v1\n');
  assert.equal(formatInspect([{ Config: { Labels: { a: 'b' } } }], '{{.Config.Labels}} {{json .Config.Labels}} {{.Config.Labels.nope.x}}'),
    'map[a:b] {"a":"b"} <no value>\n');
  assert.throws(() => formatInspect([{}], '{{if}}'), (e: unknown) => e instanceof TemplateError && e.message === 'template: inspect:1: missing value for if');
});

test('format helpers', () => {
  assert.ok(isJSONFormat('json') && isJSONFormat('{{json .}}') && isJSONFormat(' {{ json . }} ') && isJSONFormat('{{json}}'));
  assert.ok(!isJSONFormat('{{json .Labels}}') && !isJSONFormat(undefined) && !isJSONFormat('jsonx'));
  assert.ok(isTableFormat('table') && isTableFormat('table {{.ID}}') && !isTableFormat('tablex') && !isTableFormat('{{.ID}}'));
  assert.equal(normalizeFormat('table {{.A}} {{.B}}\\t{{.C}}'), '{{.A}}\t{{.B}}\t{{.C}}\n');
  assert.equal(normalizeFormat('{{.A}} {{.B}}\\t{{.C}}\\n'), '{{.A}} {{.B}}\t{{.C}}\n');
  assert.equal(compileFormat('{{.A}}').execute([{ A: 1 }, { A: 2 }]), '1\n2\n');
});

test('headings: overrides, podman defaults and camel-case splitting', () => {
  assert.deepEqual(splitCamelCase('ImageID'), ['Image', 'ID']);
  assert.deepEqual(splitCamelCase('CPUPerc'), ['CPU', 'Perc']);
  assert.deepEqual(splitCamelCase('RepoTags'), ['Repo', 'Tags']);
  assert.deepEqual(splitCamelCase('Size2X'), ['Size', '2', 'X']);
  assert.deepEqual(splitCamelCase('ID'), ['ID']);
  assert.equal(headerFor('ImageID'), 'IMAGE ID');
  assert.equal(headerFor('Repository'), 'REPOSITORY');
  assert.equal(headerFor('Names'), 'NAMES');
  assert.equal(headerFor('CreatedSince'), 'CREATED');
  assert.equal(headerFor('IsReadOnly'), 'IS READ ONLY');
  assert.equal(headerFor('ID', { ID: 'container id' }), 'CONTAINER ID');
  assert.equal(headerFor('id', { ID: 'container id' }), 'CONTAINER ID');
});

test('Go maps (util/gomap): sorted keys in JSON, templates and fmt; struct-like objects keep their order', async () => {
  const { goMap, markGoMaps, compareGoStrings } = await import('../../src/util/gomap');
  const { goJSON } = await import('../../src/cli/format/gojson');
  // Go sorts map keys bytewise: "10" < "9" < "B" < "aa" (JavaScript puts integer-like keys first, numerically).
  const labels = goMap({ zz: '1', aa: '2', 9: 'y', 10: 'x', B: 'z' });
  assert.equal(goJSON(labels), '{"10":"x","9":"y","B":"z","aa":"2","zz":"1"}');
  assert.equal(JSON.stringify(goMap({ zz: '1', aa: '2' })), '{"aa":"2","zz":"1"}');
  const obj = { Zeta: 1, Labels: labels, Alpha: 2 };
  assert.equal(goJSON(obj), '{"Zeta":1,"Labels":{"10":"x","9":"y","B":"z","aa":"2","zz":"1"},"Alpha":2}');
  assert.equal(formatInspect([obj], '{{json .Labels}} {{.Labels}} {{range $k, $v := .Labels}}{{$k}}{{end}}'),
    '{"10":"x","9":"y","B":"z","aa":"2","zz":"1"} map[10:x 9:y B:z aa:2 zz:1] 109Baazz\n');
  assert.match(formatInspect([obj]), /"Labels": \{\n {15}"10": "x",\n {15}"9": "y",\n {15}"B": "z",/);
  // Code point order, not UTF-16's: U+10000 (a surrogate pair) sorts after U+FFFD.
  assert.ok(compareGoStrings('\u{10000}', '\ufffd') > 0);
  assert.equal(goJSON(goMap({ '\u{10000}': 1, '\ufffd': 2 })), '{"\ufffd":2,"\u{10000}":1}');
  // A remote reply parsed from JSON: markGoMaps makes its maps Go maps again, under arrays too.
  const parsed = JSON.parse('{"Config":{"Labels":{"9":"y","10":"x"}},"Rows":[{"Labels":{"b":"1","a":"2"}}],"Other":{"b":1,"a":2}}');
  markGoMaps(parsed, ['Config.Labels', 'Rows.*.Labels', 'Missing.Labels']);
  assert.equal(goJSON(parsed), '{"Config":{"Labels":{"10":"x","9":"y"}},"Rows":[{"Labels":{"a":"2","b":"1"}}],"Other":{"b":1,"a":2}}');
});
