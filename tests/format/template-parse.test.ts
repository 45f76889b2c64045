// Parsing of Go templates: syntax accepted, trim markers, comments, literals, and Go's
// parse error messages.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { compileTemplate, TemplateError } from '../../src/cli/format/gotemplate';
import { PierError } from '../../src/util/errors';

const run = (src: string, data: unknown = {}) => compileTemplate(src).execute(data);

function parseError(src: string): string {
  try {
    compileTemplate(src);
  } catch (e) {
    assert.ok(e instanceof TemplateError, `expected TemplateError, got ${e}`);
    return (e as Error).message;
  }
  assert.fail(`expected ${JSON.stringify(src)} to fail to parse`);
}

test('plain text passes through unchanged', () => {
  assert.equal(run('hello, world\n\ttab'), 'hello, world\n\ttab');
  assert.equal(run(''), '');
  assert.equal(run('a } b { c }}'), 'a } b { c }}');
});

test('trim markers remove whitespace on the marked side only', () => {
  assert.equal(run('a  \n {{- "x" -}} \n\t b'), 'axb');
  assert.equal(run('a  {{- "x"}}  b'), 'ax  b');
  assert.equal(run('a  {{"x" -}}  b'), 'a  xb');
  // "{{-3}}" is the number -3, not a trim marker.
  assert.equal(run('a {{-3}} b'), 'a -3 b');
  assert.equal(run('{{23 -}} < {{- 45}}'), '23<45');
});

test('comments produce nothing and may be trimmed', () => {
  assert.equal(run('a{{/* a comment */}}b'), 'ab');
  assert.equal(run('a {{- /* multi\nline */ -}} b'), 'ab');
  assert.match(parseError('{{/* x */ y}}'), /comment ends before closing delimiter/);
  assert.match(parseError('{{/* x'), /unclosed comment/);
});

test('string, raw string, char, number, bool and nil literals', () => {
  assert.equal(run('{{"a\\tb\\u00e9\\x41\\101\\\\"}}'), 'a\tbéAA\\');
  assert.equal(run('{{`raw \\n {{ stuff`}}'), 'raw \\n {{ stuff');
  assert.equal(run("{{'a'}} {{'\\n'}}"), '97 10');
  assert.equal(run('{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{-5}} {{+7}}'), '31 15 15 5 1000 -5 7');
  assert.equal(run('{{1.5}} {{.25}} {{2.5e-3}}'), '1.5 0.25 0.0025');
  assert.equal(run('{{true}} {{false}}'), 'true false');
  assert.equal(run('{{printf "%v" nil}}'), '<nil>');
});

test('actions may span lines and pipelines may be parenthesized', () => {
  assert.equal(run('{{printf\n "%s-%s"\n "a"\n "b"}}'), 'a-b');
  assert.equal(run('{{ (printf "%s" "x") | printf "<%s>" }}'), '<x>');
});

test('define, template and block', () => {
  assert.equal(run('{{define "T"}}<{{.}}>{{end}}{{template "T" "x"}}{{template "T"}}'), '<x><<no value>>');
  assert.equal(run('{{block "B" .}}[{{.}}]{{end}}', 5), '[5]');
});

test('parse errors carry Go messages with name and line', () => {
  assert.equal(parseError('{{.ID}'), `template: format:1: bad character U+007D '}'`);
  assert.equal(parseError('{{.ID } }}'), 'template: format:1: unexpected "}" in operand');
  assert.equal(parseError('{{if}}'), 'template: format:1: missing value for if');
  assert.equal(parseError('{{if .A}}'), 'template: format:1: unexpected EOF');
  assert.equal(parseError('x\n{{end}}'), 'template: format:2: unexpected {{end}}');
  assert.equal(parseError('{{else}}'), 'template: format:1: unexpected {{else}}');
  assert.equal(parseError('{{nope}}'), 'template: format:1: function "nope" not defined');
  assert.equal(parseError('{{$x}}'), 'template: format:1: undefined variable "$x"');
  assert.equal(parseError('{{"abc}}'), 'template: format:1: unterminated quoted string');
  assert.equal(parseError('{{`abc}}'), 'template: format:1: unterminated raw quoted string');
  assert.equal(parseError('{{3k}}'), 'template: format:1: bad number syntax: "3k"');
  assert.equal(parseError('{{.A'), 'template: format:1: unclosed action');
  assert.equal(parseError('{{( .A }}'), 'template: format:1: unclosed left paren');
  assert.equal(parseError('{{.A ) }}'), 'template: format:1: unexpected ")" in command');
  assert.equal(parseError('{{.A | 3}}'), 'template: format:1: non executable command in pipeline stage 2');
  assert.equal(parseError('{{"a".B}}'), 'template: format:1: unexpected . after term "\\"a\\""');
  assert.equal(parseError('{{"\\z"}}'), 'template: format:1: invalid syntax');
  assert.equal(parseError('{{if 1}}{{else}}{{else}}{{end}}'), 'template: format:1: expected end; found {{else}}');
  assert.equal(parseError('{{break}}'), 'template: format:1: {{break}} outside {{range}}');
  assert.equal(parseError('{{range $a, $b, $c := .}}{{end}}'), 'template: format:1: too many declarations in range');
  assert.equal(parseError('{{#}}'), 'template: format:1: unexpected "#" in command');
});

test('the template name appears in messages and errors are PierErrors (exit 125)', () => {
  try {
    compileTemplate('{{if}}', { name: 'images' });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof PierError);
    assert.equal((e as PierError).exitCode, 125);
    assert.equal((e as Error).message, 'template: images:1: missing value for if');
  }
});

test('a compiled template can be executed many times', () => {
  const t = compileTemplate('{{.N}}-');
  let out = '';
  for (let i = 0; i < 5; i++) out += t.execute({ N: i });
  assert.equal(out, '0-1-2-3-4-');
});
