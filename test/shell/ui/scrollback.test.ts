// The console's scrollback: strings split into lines, tables kept row by row under their header,
// the row cap, the scroll offset and its clamps, and change notifications.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {tableBlock, type TableBlock} from '../../../src/shell/format.js';
import {
  MAX_SCROLLBACK_ROWS,
  outputScrollLimit,
  rowHeight,
  Scrollback,
  wrapHanging,
  type OutputRow,
} from '../../../src/shell/ui/scrollback.js';

const TABLE: TableBlock = tableBlock(
  [
    {pid: 2, name: 'editor'},
    {pid: 3, name: 'compiler'},
  ],
  [
    {header: 'PID', value: (row) => row.pid},
    {header: 'NAME', value: (row) => row.name},
  ],
);

/** Text rows as their text, table rows as 'table:INDEX'. */
function picture(rows: readonly OutputRow[]): string[] {
  return rows.map((row) => (row.kind === 'text' ? row.text : `table:${row.index}`));
}

/** A scrollback holding `count` text rows named line 0, line 1, … */
function withLines(count: number): Scrollback {
  const scrollback = new Scrollback();
  scrollback.append(Array.from({length: count}, (_, i) => `line ${i}`));
  return scrollback;
}

test('a new scrollback is empty and following the output', () => {
  assert.deepEqual(new Scrollback().getState(), {rows: [], offset: 0});
});

test('appended strings become text rows in order', () => {
  const scrollback = new Scrollback();
  scrollback.append(['$ ps', 'no processes']);
  scrollback.append(['$ mem']);
  assert.deepEqual(scrollback.getState().rows, [
    {kind: 'text', text: '$ ps'},
    {kind: 'text', text: 'no processes'},
    {kind: 'text', text: '$ mem'},
  ]);
});

test('a string with line breaks becomes one row per line', () => {
  const scrollback = new Scrollback();
  scrollback.append(['first\nsecond\n\nfourth']);
  assert.deepEqual(picture(scrollback.getState().rows), ['first', 'second', '', 'fourth']);
});

test("control characters in a text row are written out; the shell's colour codes stay", () => {
  const scrollback = new Scrollback();
  scrollback.append(['\x1b[31merror: \x1b[41mpainted\x07\x1b[39m']);
  assert.deepEqual(picture(scrollback.getState().rows), ['\x1b[31merror: \x1b[41mpainted\\x07\x1b[39m']);
  scrollback.append(['clear \x1b[2J title \x1b]0;x\x07']);
  assert.equal(picture(scrollback.getState().rows)[1], 'clear \\x1b[2J title \\x1b]0;x\\x07');
});

test('an empty string is one empty row', () => {
  const scrollback = new Scrollback();
  scrollback.append(['']);
  assert.deepEqual(scrollback.getState().rows, [{kind: 'text', text: ''}]);
});

test('a table becomes its header (index -1) then one row per table row, all pointing at the table', () => {
  const scrollback = new Scrollback();
  scrollback.append(['before', TABLE, 'after']);
  const {rows} = scrollback.getState();
  assert.deepEqual(picture(rows), ['before', 'table:-1', 'table:0', 'table:1', 'after']);
  for (const row of rows.slice(1, 4)) {
    assert.equal(row.kind, 'table');
    if (row.kind === 'table') assert.equal(row.table, TABLE, 'the same table object, so columns align');
  }
});

test('an empty table is just its header', () => {
  const empty: TableBlock = {...TABLE, rows: []};
  const scrollback = new Scrollback();
  scrollback.append([empty]);
  assert.deepEqual(scrollback.getState().rows, [{kind: 'table', table: empty, index: -1}]);
});

test('the scrollback keeps at most MAX_SCROLLBACK_ROWS, dropping the oldest', () => {
  const scrollback = withLines(MAX_SCROLLBACK_ROWS + 10);
  const {rows} = scrollback.getState();
  assert.equal(rows.length, MAX_SCROLLBACK_ROWS);
  assert.deepEqual(rows[0], {kind: 'text', text: 'line 10'});
  assert.deepEqual(rows.at(-1), {kind: 'text', text: `line ${MAX_SCROLLBACK_ROWS + 9}`});
});

test('the cap holds across many appends', () => {
  const scrollback = new Scrollback();
  for (let i = 0; i < MAX_SCROLLBACK_ROWS + 3; i++) scrollback.append([`line ${i}`]);
  const {rows} = scrollback.getState();
  assert.equal(rows.length, MAX_SCROLLBACK_ROWS);
  assert.deepEqual(rows[0], {kind: 'text', text: 'line 3'});
});

test('a table cut by the cap keeps its newest rows', () => {
  const scrollback = withLines(MAX_SCROLLBACK_ROWS - 2);
  scrollback.append([TABLE]);
  const {rows} = scrollback.getState();
  assert.equal(rows.length, MAX_SCROLLBACK_ROWS);
  assert.deepEqual(picture(rows.slice(-3)), ['table:-1', 'table:0', 'table:1']);
  assert.deepEqual(rows[0], {kind: 'text', text: 'line 1'});
});

test('scrolling back and forward moves the offset', () => {
  const scrollback = withLines(10);
  scrollback.scroll(3);
  assert.equal(scrollback.getState().offset, 3);
  scrollback.scroll(2);
  assert.equal(scrollback.getState().offset, 5);
  scrollback.scroll(-4);
  assert.equal(scrollback.getState().offset, 1);
});

test('the offset never goes below 0 (following the output)', () => {
  const scrollback = withLines(10);
  scrollback.scroll(-5);
  assert.equal(scrollback.getState().offset, 0);
  scrollback.scroll(2);
  scrollback.scroll(-100);
  assert.equal(scrollback.getState().offset, 0);
});

test('the offset never goes past the oldest row', () => {
  const scrollback = withLines(10);
  scrollback.scroll(1000);
  assert.equal(scrollback.getState().offset, 9);
  scrollback.scroll(1);
  assert.equal(scrollback.getState().offset, 9);
});

test('the offset stops where the oldest row reaches the top of the view', () => {
  const scrollback = withLines(10);
  const {rows} = scrollback.getState();
  // 4 rows of view: 3 lines and the "scrolled back" row, so 7 rows back shows lines 1-3
  assert.equal(outputScrollLimit(rows, 80, 4), 7);
  assert.equal(outputScrollLimit(rows, 80, 20), 0, 'everything fits: nothing to scroll');
  scrollback.scroll(100, 7);
  assert.equal(scrollback.getState().offset, 7);
  scrollback.scroll(-2, 7);
  assert.equal(scrollback.getState().offset, 5);
  // a line that wraps takes its rows: 'line 1' (6 columns) takes 2 rows at width 4
  assert.equal(outputScrollLimit(rows, 4, 5), 8);
});

test('a line with a hanging indent wraps under its second column and counts the rows it takes', () => {
  const scrollback = new Scrollback();
  scrollback.append([{kind: 'hanging', text: 'F6    next sort key of the top pane', indent: 6}]);
  const row = scrollback.getState().rows[0]!;
  assert.deepEqual(row, {kind: 'text', text: 'F6    next sort key of the top pane', indent: 6});
  assert.deepEqual(wrapHanging('F6    next sort key of the top pane', 24, 6), [
    'F6    next sort key of',
    '      the top pane',
  ]);
  assert.equal(rowHeight(row, 24), 2);
  // too narrow to hang: the rows start at column 0 rather than leave a sliver
  assert.deepEqual(wrapHanging('F6    next sort key', 14, 6), ['F6    next', 'sort key']);
  // a word longer than the room is cut, never lost
  assert.deepEqual(wrapHanging('ab  abcdefghijklmnopqrstuvwxyz', 16, 4), [
    'ab',
    '    abcdefghijkl',
    '    mnopqrstuvwx',
    '    yz',
  ]);
});

test('an empty scrollback cannot be scrolled', () => {
  const scrollback = new Scrollback();
  scrollback.scroll(5);
  assert.equal(scrollback.getState().offset, 0);
});

test('new output scrolls back to the bottom', () => {
  const scrollback = withLines(10);
  scrollback.scroll(5);
  scrollback.append(['new']);
  assert.equal(scrollback.getState().offset, 0);
  assert.equal(scrollback.getState().rows.length, 11);
});

test('clear empties the scrollback and follows the output again', () => {
  const scrollback = withLines(10);
  scrollback.scroll(4);
  scrollback.clear();
  assert.deepEqual(scrollback.getState(), {rows: [], offset: 0});
});

test('subscribers hear every append, scroll and clear until they unsubscribe', () => {
  const scrollback = new Scrollback();
  let calls = 0;
  const unsubscribe = scrollback.subscribe(() => calls++);
  scrollback.append(['a']);
  scrollback.append(['b', 'c']);
  scrollback.scroll(1);
  scrollback.clear();
  assert.equal(calls, 4);
  unsubscribe();
  scrollback.append(['d']);
  assert.equal(calls, 4);
});

test('a subscriber sees the new state when it is called', () => {
  const scrollback = new Scrollback();
  const seen: string[][] = [];
  scrollback.subscribe(() => seen.push(picture(scrollback.getState().rows)));
  scrollback.append(['a']);
  scrollback.append(['b']);
  assert.deepEqual(seen, [['a'], ['a', 'b']]);
});

test('the state is the same object until something changes, and earlier states stay as they were', () => {
  const scrollback = new Scrollback();
  scrollback.append(['a']);
  const before = scrollback.getState();
  assert.equal(scrollback.getState(), before, 'stable between changes (useSyncExternalStore needs this)');
  scrollback.append(['b']);
  assert.notEqual(scrollback.getState(), before);
  assert.deepEqual(picture(before.rows), ['a']);
});
