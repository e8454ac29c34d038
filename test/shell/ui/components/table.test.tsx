// The console's Table: aligned like the script runner's text tables, windowed, cut at the width.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {Chalk} from 'chalk';
import React from 'react';
import {renderTable, tableBlock, type TableBlock} from '../../../../src/shell/format.js';
import {Table} from '../../../../src/shell/ui/components/table.js';
import {assertFits, frameLines} from '../../../support/ink-frame.js';

interface Row {
  pid: number;
  name: string;
  state: string;
}

const ROWS: Row[] = [
  {pid: 2, name: 'editor', state: 'RUNNING'},
  {pid: 13, name: 'x', state: 'READY'},
  {pid: 140, name: 'compiler', state: 'WAITING(sem A)'},
];

const BLOCK: TableBlock = tableBlock(ROWS, [
  {header: 'PID', value: (row) => row.pid},
  {header: 'NAME', value: (row) => row.name},
  {header: 'STATE', value: (row) => row.state, tone: () => 'green'},
]);

test('a wide table matches the text the script runner prints', () => {
  const lines = frameLines(<Table block={BLOCK} width={80} />);
  assert.deepEqual(lines, renderTable(BLOCK, new Chalk({level: 0})));
  assert.deepEqual(lines, [
    'PID  NAME      STATE',
    '  2  editor    RUNNING',
    ' 13  x         READY',
    '140  compiler  WAITING(sem A)',
  ]);
});

test('a window of rows keeps the widths of the whole table', () => {
  const lines = frameLines(<Table block={BLOCK} width={80} from={1} to={2} showHeader={false} />);
  assert.deepEqual(lines, [' 13  x         READY']);
});

test('lines longer than the width are cut with an ellipsis, never wrapped', () => {
  const lines = frameLines(<Table block={BLOCK} width={20} />);
  assert.deepEqual(lines, [
    'PID  NAME      STATE',
    '  2  editor    RUNN…',
    ' 13  x         READY',
    '140  compiler  WAIT…',
  ]);
  assertFits(lines, 20, 4);
});

test('an empty table shows its header', () => {
  const empty = {...BLOCK, rows: []};
  assert.deepEqual(frameLines(<Table block={empty} width={40} />), ['PID  NAME  STATE']);
});
