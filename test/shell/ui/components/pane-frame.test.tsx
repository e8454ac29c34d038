// The pane frame: exact size, title and hint in the top border, focus visible without colour,
// children clipped to the inside.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {stripVTControlCharacters} from 'node:util';
import React from 'react';
import {frameTop, PaneFrame} from '../../../../src/shell/ui/components/pane-frame.js';
import {ThemeProvider} from '../../../../src/shell/ui/theme.js';
import {assertFits, frameLines} from '../../../support/ink-frame.js';

test('the title and hint sit in the top border of a box exactly width x height', () => {
  const lines = frameLines(
    <PaneFrame title="Scheduler" hint="rr (quantum 4)" width={40} height={4} isFocused={false}>
      <Text>inside</Text>
    </PaneFrame>,
  );
  assert.deepEqual(lines, [
    '╭─ Scheduler ───────── rr (quantum 4) ─╮',
    '│inside                                │',
    '│                                      │',
    '╰──────────────────────────────────────╯',
  ]);
});

test('focusing a pane without colour keeps its first row: the double border adds no row on top', () => {
  const frame = (isFocused: boolean) => (
    <ThemeProvider isColor={false}>
      <PaneFrame title="Top" width={20} height={4} isFocused={isFocused}>
        <Text>first</Text>
        <Text>second</Text>
      </PaneFrame>
    </ThemeProvider>
  );
  const view = render(frame(false));
  view.rerender(frame(true));
  assert.deepEqual(stripVTControlCharacters(view.lastFrame() ?? '').split('\n'), [
    '╔═ Top ════════════╗',
    '║first             ║',
    '║second            ║',
    '╚══════════════════╝',
  ]);
  view.unmount();
});

test('without colour the focused pane gets a double border', () => {
  const lines = frameLines(
    <PaneFrame title="Top" width={20} height={3} isFocused={true}>
      <Text>x</Text>
    </PaneFrame>,
  );
  assert.deepEqual(lines, ['╔═ Top ════════════╗', '║x                 ║', '╚══════════════════╝']);
  // with colour, focus is the border's colour, so the shape stays round
  const coloured = frameLines(
    <PaneFrame title="Top" width={20} height={3} isFocused={true}>
      <Text>x</Text>
    </PaneFrame>,
    {isColor: true},
  );
  assert.equal(coloured[0], '╭─ Top ────────────╮');
});

test('children past the inner rows and columns are clipped, not squeezed or wrapped out', () => {
  const lines = frameLines(
    <PaneFrame title="Map" width={12} height={4} isFocused={false}>
      <Text>one</Text>
      <Text wrap="truncate-end">a line far too long for the pane</Text>
      <Text>three</Text>
    </PaneFrame>,
  );
  assert.deepEqual(lines, ['╭─ Map ────╮', '│one       │', '│a line fa…│', '╰──────────╯']);
  assertFits(lines, 12, 4);
});

test('the hint goes first when the border is short, then the title is cut', () => {
  const text = (width: number) => Object.values(frameTop('Scheduler', 'mlfq (3 levels)', width)).join('');
  assert.equal(text(40), '╭─ Scheduler ──────── mlfq (3 levels) ─╮');
  assert.equal(text(20), '╭─ Scheduler ──────╮');
  assert.equal(text(10), '╭─ Sche… ╮');
  for (const width of [2, 3, 4, 5, 6, 12, 30, 33, 34, 35])
    assert.equal([...text(width)].length, width, `width ${width}`);
});
