// Go fmt semantics (Sprintf verbs, float formatting, quoting) and encoding/json output.
// Expected strings were checked against Go 1.19 (podman 4.3.1's printf in --format).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { formatValue, goQuote, sprint, sprintf, sprintln } from '../../src/cli/format/gofmt';
import { formatFloat } from '../../src/cli/format/gofloat';
import { goJSON, goJSONString } from '../../src/cli/format/gojson';

test('formatFloat follows strconv rules for e, f and g', () => {
  assert.equal(formatFloat(0.1, 'g', -1), '0.1');
  assert.equal(formatFloat(1e20, 'g', -1), '1e+20');
  assert.equal(formatFloat(123456.7, 'g', -1), '123456.7');
  assert.equal(formatFloat(1234567.8, 'g', -1), '1.2345678e+06');
  assert.equal(formatFloat(0.0001234, 'g', -1), '0.0001234');
  assert.equal(formatFloat(0.00001, 'g', -1), '1e-05');
  assert.equal(formatFloat(999.5, 'g', 3), '1e+03');
  assert.equal(formatFloat(11.381, 'g', 3), '11.4');
  assert.equal(formatFloat(5, 'g', 3), '5');
  assert.equal(formatFloat(1.005, 'g', 3), '1');
  assert.equal(formatFloat(9999.5, 'g', 4), '1e+04');
  assert.equal(formatFloat(2.675, 'f', 2), '2.67'); // the double is just below 2.675
  assert.equal(formatFloat(0.5, 'f', 0), '0'); // exact tie rounds to even
  assert.equal(formatFloat(1.5, 'f', 0), '2');
  assert.equal(formatFloat(2.5, 'f', 0), '2');
  assert.equal(formatFloat(0.05, 'f', 1), '0.1');
  assert.equal(formatFloat(1234.5678, 'e', 6), '1.234568e+03');
  assert.equal(formatFloat(1e100, 'G', -1), '1E+100');
  assert.equal(formatFloat(0, 'e', 2), '0.00e+00');
  assert.equal(formatFloat(-0.000123, 'e', 2), '-1.23e-04');
  assert.equal(formatFloat(Infinity, 'g', -1), '+Inf');
  assert.equal(formatFloat(NaN, 'f', 2), 'NaN');
});

test('sprintf verbs, flags, width and precision', () => {
  assert.equal(sprintf('%d %5.2f %q %v %x %s', [0, 3.14159, 'localhost/tiny', false, 255, ['a', 'b']]),
    '0  3.14 "localhost/tiny" false ff [a b]');
  assert.equal(sprintf('%-10s|%10s|%x', ['v1', 'v1', 'v1']), 'v1        |        v1|7631');
  assert.equal(sprintf('%5.1q|%-6d|%+d|% d|%x|%X|%o|%#x|%#o|%b|%c|%q|%U|%#U', ['hello', 42, 42, 42, -255, 255, 8, 255, 8, 5, 9731, 9731, 65, 65]),
    '  "h"|42    |+42| 42|-ff|FF|10|0xff|010|101|☃|\'☃\'|U+0041|U+0041 \'A\'');
  assert.equal(sprintf('%08.3f|%+.1f|% .2f|%8.3g|%-8.2e|', [-3.14159, 2.25, -2.5, 3.14159, -0.000123]), '-003.142|+2.2|-2.50|    3.14|-1.23e-04|');
  assert.equal(sprintf('%05d|%-5d|%.3d|%x|%X', [-42, 7, 5, 'hi', 'hi']), '-0042|7    |005|6869|6869');
  assert.equal(sprintf('%t %v %s', [true, { b: 1, a: 'x' }, { k: 'v' }]), 'true map[a:x b:1] map[k:v]');
  assert.equal(sprintf('%T %T %T %T %T %T', ['s', 1, 1.5, ['a'], { a: 'b' }, null]), 'string int float64 []string map[string]string <nil>');
  assert.equal(sprintf('%*d|%-*d|%.*f', [4, 7, 3, 7, 2, 3.14159]), '   7|7  |3.14');
  assert.equal(sprintf('100%%', []), '100%');
  assert.equal(sprintf('%#v %#v %#v', ['x', ['a'], { k: 1 }]), '"x" []string{"a"} map[string]int{"k":1}');
});

test('sprintf error forms', () => {
  assert.equal(sprintf('%s %s', ['a']), 'a %!s(MISSING)');
  assert.equal(sprintf('%d', ['a', 3]), '%!d(string=a)%!(EXTRA int=3)');
  assert.equal(sprintf('%s', [5]), '%!s(int=5)');
  assert.equal(sprintf('%d', [null]), '%!d(<nil>)');
  assert.equal(sprintf('x', [1, 'y', null]), 'x%!(EXTRA int=1, string=y, <nil>)');
  assert.equal(sprintf('%', []), '%!(NOVERB)');
  assert.equal(sprintf('%z', [1]), '%!z(int=1)');
  assert.equal(sprintf('%t', ['x']), '%!t(string=x)');
});

test('sprint and sprintln spacing', () => {
  assert.equal(sprint([1, 2, 'a', 'b', 3, null]), '1 2ab3 <nil>');
  assert.equal(sprintln([1, 'a', null]), '1 a <nil>\n');
  assert.equal(sprint([]), '');
});

test('goQuote escapes like strconv.Quote', () => {
  assert.equal(goQuote('héllo\n\t\x01"\\'), '"héllo\\n\\t\\x01\\"\\\\"');
  assert.equal(goQuote('héllo', true), '"h\\u00e9llo"');
  assert.equal(goQuote('\u{1F600}', true), '"\\U0001f600"');
});

test('formatValue prints Go %v forms', () => {
  assert.equal(formatValue(undefined), '<no value>');
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue([1, 'a', null, [true]]), '[1 a <nil> [true]]');
  assert.equal(formatValue(new Map([['z', 1], ['a', 2]])), 'map[a:2 z:1]');
  assert.equal(formatValue(10n ** 20n), '100000000000000000000');
});

test('goJSON matches encoding/json', () => {
  const v = { Name: 'a<b>&c', N: 1.5, I: 3, B: true, Nil: null, Skip: undefined, L: [1, 'x'], E: [], O: {} };
  assert.equal(goJSON(v), '{"Name":"a<b>&c","N":1.5,"I":3,"B":true,"Nil":null,"L":[1,"x"],"E":[],"O":{}}');
  assert.equal(goJSON(v, { escapeHTML: true }).slice(0, 37), '{"Name":"a\\u003cb\\u003e\\u0026c","N":1');
  assert.equal(goJSON([{ a: 1, b: [2] }], { indent: '    ' }), '[\n    {\n        "a": 1,\n        "b": [\n            2\n        ]\n    }\n]');
  assert.equal(goJSON([], { indent: '    ' }), '[]');
  assert.equal(goJSON(new Map([['b', 1], ['a', 2]])), '{"a":2,"b":1}');
  assert.equal(goJSON(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '"2024-01-02T03:04:05Z"');
  assert.equal(goJSON(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 120))), '"2024-01-02T03:04:05.12Z"');
  assert.equal(goJSON(new Uint8Array([1, 2, 3])), '"AQID"');
  assert.equal(goJSON(1e21), '1e+21');
  assert.equal(goJSON(1e-7), '1e-7');
  assert.equal(goJSONString('\u0001\b\f\n\r\t\u2028"\\', false), '"\\u0001\\u0008\\u000c\\n\\r\\t\\u2028\\"\\\\"');
  assert.throws(() => goJSON(NaN), /unsupported value: NaN/);
});
