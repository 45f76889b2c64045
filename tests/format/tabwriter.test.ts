// Go text/tabwriter semantics with podman's settings (minwidth 12, padding 2, spaces).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tabwriter, tabwriteText } from '../../src/cli/format/tabwriter';

test('columns take the widest cell plus padding, at least minwidth', () => {
  const out = tabwriteText('REPOSITORY\tTAG\tIMAGE ID\tSIZE\nlocalhost/tiny\tv1\t2beb4bf632ad\t11.4 kB\n');
  assert.equal(out,
    'REPOSITORY      TAG         IMAGE ID      SIZE\n' +
    'localhost/tiny  v1          2beb4bf632ad  11.4 kB\n');
});

test('the last cell of a line is never padded', () => {
  assert.equal(tabwriteText('a\tb\nccc\td'), 'a           b\nccc         d');
  // A trailing tab makes the previous cell a column cell, padded like the others.
  assert.equal(tabwriteText('a\tb\t\nc\td\t'), 'a           b           \nc           d           ');
});

test('a line with fewer cells ends the column block', () => {
  const out = tabwriteText('aaaaaaaaaaaaaaaa\tx\nno tabs here\nb\ty\n');
  assert.equal(out, 'aaaaaaaaaaaaaaaa  x\nno tabs here\nb           y\n');
});

test('nested blocks: a column only spans lines that have it', () => {
  const lines = [
    ['a', 'b', 'c'],
    ['aa', 'bbbbbbbbbbbbbbbbbb', 'c'],
    ['aaa', 'x'],
    ['a', 'b', 'c', 'd'],
  ];
  assert.equal(tabwriter(lines), [
    'a           b                   c',
    'aa          bbbbbbbbbbbbbbbbbb  c',
    'aaa         x',
    'a           b           c           d',
  ].join('\n'));
});

test('options: minwidth, padding and padchar', () => {
  assert.equal(tabwriter([['a', 'b'], ['ccc', 'd']], { minwidth: 0, padding: 1 }), 'a   b\nccc d');
  assert.equal(tabwriter([['a', 'b']], { minwidth: 4, padding: 1, padchar: '.' }), 'a...b');
});

test('cell width counts characters, not UTF-16 units or bytes', () => {
  assert.equal(tabwriter([['héllo😀', 'x'], ['a', 'y']], { minwidth: 0, padding: 2 }), 'héllo😀  x\na       y');
});

test('empty input and empty lines', () => {
  assert.equal(tabwriteText(''), '');
  assert.equal(tabwriteText('\n\n'), '\n\n');
});
