// Text measured in terminal cells: ASCII one a character, CJK and emoji two, and cuts that never
// split a character.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {clipToWidth, cutToWidth, textWidth} from '../../src/shell/text-width.js';

test('wide characters take two cells, ASCII one', () => {
  const rows: [string, number][] = [
    ['editor', 6],
    ['', 0],
    ['编辑器', 6],
    ['😀x', 3],
    ['ｐｓ', 4],
  ];
  for (const [text, width] of rows) assert.equal(textWidth(text), width, text);
});

test('a cut keeps whole characters within the width', () => {
  const rows: [string, number, string][] = [
    ['editor', 3, 'edi'],
    ['编辑器', 5, '编辑'],
    ['编辑器', 6, '编辑器'],
    ['😀😀😀', 3, '😀'],
    ['a😀', 2, 'a'],
    ['abc', 0, ''],
  ];
  for (const [text, width, cut] of rows) assert.equal(cutToWidth(text, width), cut, `${text} in ${width}`);
});

test('clipToWidth keeps what fits and cuts the rest to an ellipsis, by cells', () => {
  assert.equal(clipToWidth('abcdef', 6), 'abcdef');
  assert.equal(clipToWidth('abcdef', 4), 'abc…');
  assert.equal(clipToWidth('编辑器', 5), '编辑…');
  assert.equal(clipToWidth('编辑器', 4), '编…');
});
