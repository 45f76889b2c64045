// Executing Go templates: fields, maps, control structures, variables, functions,
// value printing and Go's execution error messages.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { asStruct, compileTemplate, TemplateError } from '../../src/cli/format/gotemplate';

const run = (src: string, data: unknown = {}) => compileTemplate(src).execute(data);

function execError(src: string, data: unknown = {}): TemplateError {
  try {
    run(src, data);
  } catch (e) {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${e}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(src)} to fail`);
}

const image = {
  Id: 'abcdef0123456789',
  Name: 'alpine',
  Size: 11381,
  RepoTags: ['docker.io/library/alpine:latest', 'localhost/a:1'],
  Names: ['a', 'b', 'c'],
  Dangling: false,
  Labels: { 'a.b': 'c', foo: 'bar<&>' },
  Config: { Env: ['PATH=/bin', 'X=1'], Labels: { maintainer: 'me' }, Cmd: null },
  Empty: [],
};

test('field access: nested objects, maps, case-insensitive fallback', () => {
  assert.equal(run('{{.Name}}', image), 'alpine');
  assert.equal(run('{{.Config.Labels.maintainer}}', image), 'me');
  assert.equal(run('{{.Labels.foo}}', image), 'bar<&>');
  assert.equal(run('{{.ID}}', image), 'abcdef0123456789');
  assert.equal(run('{{.repotags}}', image), '[docker.io/library/alpine:latest localhost/a:1]');
  // An exact key wins over a case-insensitive one.
  assert.equal(run('{{.ID}}/{{.Id}}', { Id: 'x', ID: 'y' }), 'y/x');
  const m = new Map<string, unknown>([['k', 'v']]);
  assert.equal(run('{{.k}} {{.K}}', m), 'v <no value>');
});

test('missing map keys print <no value>; null prints <nil>', () => {
  assert.equal(run('{{.Nope}}', image), '<no value>');
  assert.equal(run('{{.Labels.nope}}', image), '<no value>');
  assert.equal(run('{{.Nope.Deeper.Still}}', image), '<no value>');
  assert.equal(run('{{.Config.Cmd}}', image), '<nil>');
  assert.equal(run('{{.Config.Cmd.X}}', image), '<no value>');
});

test('values print as Go prints them', () => {
  assert.equal(run('{{.Names}}', image), '[a b c]');
  assert.equal(run('{{.Empty}}', image), '[]');
  assert.equal(run('{{.Labels}}', image), 'map[a.b:c foo:bar<&>]');
  assert.equal(run('{{.}}', { b: 2, a: [1, { z: true }] }), 'map[a:[1 map[z:true]] b:2]');
  assert.equal(run('{{.Size}} {{.Dangling}}', image), '11381 false');
  assert.equal(run('{{.}}', 0.5), '0.5');
  assert.equal(run('{{.}}', 1234567.5), '1.2345675e+06');
  assert.equal(run('{{.}}', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120))), '2024-01-02 03:04:05.12 +0000 UTC');
  assert.equal(run('{{.}}', asStruct({ Type: 'layers', Layers: ['x', 'y'] }, 'v1.RootFS')), '{layers [x y]}');
});

test('structs (asStruct) reject unknown fields like Go', () => {
  const row = asStruct({ ID: 'x', Names: ['n'] }, 'images.imageReporter');
  assert.equal(run('{{.ID}} {{.id}}', row), 'x x');
  const e = execError('{{.Foo}}', row);
  assert.equal(e.message, 'template: format:1:2: executing "format" at <.Foo>: can\'t evaluate field Foo in type images.imageReporter');
  assert.equal(execError('x\n {{.ID.Bar}}', row).message,
    'template: format:2:6: executing "format" at <.ID.Bar>: can\'t evaluate field Bar in type string');
});

test('range over slices and maps, with index/key variables, else and break/continue', () => {
  assert.equal(run('{{range .Names}}{{.}} {{end}}', image), 'a b c ');
  assert.equal(run('{{range $i, $e := .Names}}{{$i}}={{$e}};{{end}}', image), '0=a;1=b;2=c;');
  assert.equal(run('{{range $e := .Names}}{{$e}}{{end}}', image), 'abc');
  assert.equal(run('{{range $k, $v := .Labels}}{{$k}}:{{$v}},{{end}}', image), 'a.b:c,foo:bar<&>,');
  assert.equal(run('{{range .Empty}}x{{else}}empty{{end}}', image), 'empty');
  assert.equal(run('{{range .Config.Cmd}}x{{else}}nil{{end}}', image), 'nil');
  assert.equal(run('{{range .Names}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', image), 'a');
  assert.equal(run('{{range .Names}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', image), 'ac');
  assert.equal(run('{{range .Names}}{{$}}{{end}}', { Names: [1, 2] }), 'map[Names:[1 2]]map[Names:[1 2]]');
  assert.equal(execError('{{range .Size}}{{end}}', image).message,
    'template: format:1:8: executing "format" at <.Size>: range can\'t iterate over 11381');
});

test('if / else if / else and with', () => {
  assert.equal(run('{{if .Dangling}}yes{{else}}no{{end}}', image), 'no');
  assert.equal(run('{{if .Names}}has{{end}}', image), 'has');
  assert.equal(run('{{if .Empty}}has{{else}}none{{end}}', image), 'none');
  assert.equal(run('{{if .Nope}}y{{else}}n{{end}}', image), 'n');
  assert.equal(run('{{if eq .Name "x"}}x{{else if eq .Name "alpine"}}alp{{else}}?{{end}}', image), 'alp');
  assert.equal(run('{{with .Config}}{{.Env}}{{end}}', image), '[PATH=/bin X=1]');
  assert.equal(run('{{with .Nope}}{{.}}{{else}}none{{end}}', image), 'none');
  assert.equal(run('{{with $x := .Name}}{{$x}}{{end}}', image), 'alpine');
  // 0, "", false, nil, empty slice/map are false.
  assert.equal(run('{{if 0}}a{{end}}{{if ""}}b{{end}}{{if false}}c{{end}}{{if .Config.Cmd}}d{{end}}{{if .X}}e{{end}}', { X: {} }), '');
});

test('variables: declaration, assignment, scoping, $', () => {
  assert.equal(run('{{$x := .Name}}{{$x}}', image), 'alpine');
  assert.equal(run('{{$x := 1}}{{$x = 2}}{{$x}}', image), '2');
  assert.equal(run('{{$x := "out"}}{{if true}}{{$x := "in"}}{{$x}}{{end}}{{$x}}', image), 'inout');
  assert.equal(run('{{$x := "out"}}{{if true}}{{$x = "in"}}{{end}}{{$x}}', image), 'in');
  assert.equal(run('{{with .Config}}{{$.Name}}{{end}}', image), 'alpine');
  assert.equal(run('{{$c := .Config}}{{$c.Labels.maintainer}}', image), 'me');
});

test('pipelines pass the value as the last argument', () => {
  assert.equal(run('{{.Name | upper}}', image), 'ALPINE');
  assert.equal(run('{{"a" | printf "%s-%s" "b"}}', image), 'b-a');
  assert.equal(run('{{.Names | len | printf "%03d"}}', image), '003');
  assert.equal(run('{{(index .Names 1) | upper}}', image), 'B');
  assert.equal(run('{{split (index .RepoTags 0) ":"}}', image), '[docker.io/library/alpine latest]');
  // The piped value is the last argument: split(":", tag).
  assert.equal(run('{{index .RepoTags 0 | split ":"}}', image), '[:]');
});

test('Go builtins: and/or/not, comparisons, len, index, slice, print family, html/js/urlquery', () => {
  assert.equal(run('{{and 1 0}} {{and 1 "x"}} {{or 0 ""}} {{or 0 "y"}} {{not true}} {{not .Empty}}', image), '0 x  y false true');
  // and/or short-circuit: the erroring index is never evaluated.
  assert.equal(run('{{or .Name (index .Names 99)}} {{and .Empty (index .Names 99)}}', image), 'alpine []');
  assert.equal(run('{{eq .Name "alpine"}} {{eq 1 2 3 1}} {{ne "a" "b"}} {{eq .Nope nil}}', image), 'true true true true');
  assert.equal(run('{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}} {{lt 1 2.5}}'), 'true true true false true');
  assert.equal(run('{{len .Names}} {{len .Labels}} {{len "héllo"}} {{len .Config.Cmd}}', image), '3 2 6 0');
  assert.equal(run('{{index .Labels "a.b"}}|{{index .Labels "zz"}}|{{index .Names 2}}|{{index "abc" 1}}', image), 'c||c|98');
  assert.equal(run('{{index .M "k" 1}}', { M: { k: ['x', 'y'] } }), 'y');
  assert.equal(run('{{slice .Names 1}} {{slice .Names 1 2}} {{slice "abcdef" 2 4}}', image), '[b c] [b] cd');
  assert.equal(run('{{print 1 2 "a" "b" 3}}|{{println "a" 1}}|{{printf "%s=%d" "x" 5}}'), '1 2ab3|a 1\n|x=5');
  assert.equal(run('{{html "<a href=\\"x\\">&\'</a>"}}'), '&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;');
  assert.equal(run('{{js "it\'s <b>=\\"x\\""}}'), 'it\\\'s \\u003Cb\\u003E\\u003D\\"x\\"');
  assert.equal(run('{{urlquery "a b&c=d/é"}}'), 'a+b%26c%3Dd%2F%C3%A9');
  assert.equal(run('{{call .F 2 3}}', { F: (a: number, b: number) => a * b }), '6');
});

test('podman functions: json, join, upper, lower, title, split, pad, truncate', () => {
  assert.equal(run('{{json .Labels}}', image), '{"a.b":"c","foo":"bar<&>"}');
  assert.equal(run('{{json .Names}} {{json .Name}} {{json .Size}} {{json .Config.Cmd}}', image), '["a","b","c"] "alpine" 11381 null');
  assert.equal(run('{{join .Names ","}} {{join .Empty ","}}', image), 'a,b,c ');
  assert.equal(run('{{upper .Name}} {{lower "ABC"}} {{title "hello wORLD-foo_bar x.y"}}', image), 'ALPINE abc Hello WORLD-Foo_bar X.Y');
  assert.equal(run('{{split "a,b,,c" ","}} {{len (split "abc" "")}}'), '[a b  c] 3');
  assert.equal(run('[{{pad "x" 2 3}}][{{pad "" 2 3}}]'), '[  x   ][]');
  assert.equal(run('{{truncate .Id 12}} {{truncate "ab" 3}} {{truncate "abc" 3}}', image), 'abcdef012345 ab abc');
});

test('functions and methods supplied by the caller', () => {
  const t = compileTemplate('{{double .N}} {{.Greet "bob"}}', { funcs: { double: (n: unknown) => Number(n) * 2 } });
  assert.equal(t.execute(asStruct({ N: 21, Greet: (who: string) => `hi ${who}` })), '42 hi bob');
  class Row { constructor(readonly n: number) {} get Double() { return this.n * 2; } Plus(k: number) { return this.n + k; } }
  assert.equal(run('{{.Double}} {{.Plus 5}} {{.n}}', new Row(4)), '8 9 4');
  // In a map, a function is a value: printing it is an error, `call` invokes it.
  assert.match(execError('{{.F}}', { F: () => 1 }).message, /can't print \{\{\.F\}\} of type func/);
});

test('execution errors carry location and context like Go', () => {
  assert.equal(execError('{{index .Names 7}}', image).message,
    'template: format:1:2: executing "format" at <index .Names 7>: error calling index: index out of range: 7');
  assert.equal(execError('{{eq .Name 1}}', image).message,
    'template: format:1:2: executing "format" at <eq .Name 1>: error calling eq: incompatible types for comparison');
  assert.equal(execError('{{eq .Names .Names}}', image).message,
    'template: format:1:2: executing "format" at <eq .Names .Names>: error calling eq: non-comparable type [a b c]: []string');
  assert.equal(execError('{{len 3}}').message,
    'template: format:1:2: executing "format" at <len 3>: error calling len: len of type int');
  assert.equal(execError('{{upper .Size}}', image).message,
    'template: format:1:8: executing "format" at <.Size>: wrong type for value; expected string; got int');
  assert.equal(execError('{{upper .Nope}}', image).message,
    'template: format:1:8: executing "format" at <.Nope>: invalid value; expected string');
  assert.equal(execError('{{len}}').message,
    'template: format:1:2: executing "format" at <len>: wrong number of args for len: want 1 got 0');
  assert.equal(execError('{{template "x"}}').message,
    'template: format:1:11: executing "format" at <{{template "x"}}>: template "x" not defined');
  assert.equal(execError('{{.Name 1}}', image).message,
    'template: format:1:2: executing "format" at <.Name>: Name is not a method but has arguments');
  assert.equal(execError('{{nil}}').message, 'template: format:1:2: executing "format" at <nil>: nil is not a command');
  assert.equal(execError('{{1 2}}').message, 'template: format:1:2: executing "format" at <1>: can\'t give argument to non-function 1');
  assert.equal(execError('{{truncate .Name "x"}}', image).message,
    'template: format:1:17: executing "format" at <"x">: expected integer; found "x"');
});

test('an execution error keeps the output written before it', () => {
  const e = execError('a{{range .}}<{{.x}}>{{end}}', [{ x: 1 }, 3]);
  assert.equal(e.partialOutput, 'a<1><');
  assert.match(e.message, /can't evaluate field x in type int/);
});
