// visible-text.ts: control characters written out as \xNN, in text, in lines (which keep newlines,
// tabs and, when asked, the shell's colour codes) and found in arguments.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {findControlCharacter, visibleLine, visibleText} from '../../src/shell/visible-text.js';

test('visibleText writes out C0 controls, DEL and C1 controls and leaves other text alone', () => {
  assert.equal(visibleText('a\x1b[31mX'), 'a\\x1b[31mX');
  assert.equal(
    visibleText('bell\x07 tab\t nl\n del\x7f csi\u009b'),
    'bell\\x07 tab\\x09 nl\\x0a del\\x7f csi\\x9b',
  );
  assert.equal(visibleText('编辑器 café ✓'), '编辑器 café ✓');
});

test('visibleLine keeps newlines and tabs, and colour codes only when asked', () => {
  const red = '\x1b[31merror\x1b[39m';
  assert.equal(visibleLine(`a\tb\nc\x07`, false), 'a\tb\nc\\x07');
  assert.equal(visibleLine(red, true), red);
  assert.equal(visibleLine(red, false), '\\x1b[31merror\\x1b[39m');
  // other escape sequences are written out even with colour on: they move the cursor, clear the screen
  assert.equal(visibleLine(`${red} \x1b[2J\x1b]0;title\x07`, true), `${red} \\x1b[2J\\x1b]0;title\\x07`);
});

test('findControlCharacter gives the first control character, or undefined', () => {
  assert.equal(findControlCharacter('ab\x07c\x1b'), '\x07');
  assert.equal(findControlCharacter('plain name'), undefined);
  assert.equal(findControlCharacter('\u0085'), '\u0085');
});
