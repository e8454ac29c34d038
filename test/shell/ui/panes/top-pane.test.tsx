// The top pane from a kernel that really ran: totals, sparkline, the sorted table and its window.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import React from 'react';
import {createKernel} from '../../../../src/kernel/index.js';
import {TopPane} from '../../../../src/shell/ui/panes/top-pane.js';
import type {TopSortKey} from '../../../../src/shell/ui/top-rows.js';
import {assertFits, frameLines} from '../../../support/ink-frame.js';

/** Round robin, quantum 2, 40 ticks: a running, two ready, one on io, one stopped, one long name. */
function topKernel() {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 2}, heapSize: 1024});
  kernel.spawn({name: 'editor', burst: 300, priority: 5, memory: 100});
  kernel.spawn({name: 'a-very-long-process-name', burst: 300, priority: 9, memory: 10});
  kernel.spawn({name: 'compiler', program: 'cpu 2, io 500', priority: 5, memory: 300});
  kernel.spawn({name: 'shell', burst: 300, priority: 1});
  kernel.kill(kernel.spawn({name: 'paused', burst: 300}), 'STOP');
  kernel.tick(40);
  return kernel;
}

function pane(width: number, height: number, sortKey: TopSortKey, scroll = 0) {
  return frameLines(
    <TopPane
      snapshot={topKernel().snapshot()}
      width={width}
      height={height}
      isFocused={false}
      sortKey={sortKey}
      scroll={scroll}
    />,
  );
}

test('at 40 x 9 the pane drops PRI and TIME, cuts names, and says which rows show', () => {
  assert.deepEqual(pane(40, 9, 'cpu'), [
    '╭─ Top ──────────────── rows 1-4 of 5 ─╮',
    '│5 procs 1 run 2 ready 1 wait 1 stopped│',
    '│cpu                           ████████│',
    '│PID  NAME          STATE    CPU%▼  MEM│',
    '│  2  editor        RUNNING     35  100│',
    '│  3  a-very-long…  READY       30   10│',
    '│  5  shell         READY       30    0│',
    '│  4  compiler      WAITING      5  300│',
    '╰──────────────────────────────────────╯',
  ]);
});

test('a name of wide characters keeps the columns after it in line', () => {
  const kernel = createKernel();
  kernel.spawn({name: '编辑器编辑器编辑器', burst: 50});
  kernel.spawn({name: 'shell', burst: 50});
  const lines = frameLines(
    <TopPane snapshot={kernel.snapshot()} width={46} height={7} isFocused={false} sortKey="pid" scroll={0} />,
  );
  assert.deepEqual(lines.slice(3, 6), [
    '│PID▲  NAME         STATE  CPU%  MEM         │',
    '│   2  编辑器编辑…  READY     0    0         │',
    '│   3  shell        READY     0    0         │',
  ]);
});

test('at 80 x 5 the totals, the header and one row fit', () => {
  assert.deepEqual(pane(80, 5, 'mem'), [
    '╭─ Top ──────────────────────────────────────────────────────── rows 1-1 of 5 ─╮',
    '│5 procs  1 run  2 ready  1 wait  1 stopped  load 3  cpu 100%  mem 40%         │',
    '│PID  NAME          STATE    PRI  CPU%  TIME  MEM▼                             │',
    '│  4  compiler      WAITING    5     5     2   300                             │',
    '╰──────────────────────────────────────────────────────────────────────────────╯',
  ]);
});

test('with room for every row there is no row hint, and the sort column is marked', () => {
  assert.deepEqual(pane(80, 12, 'pri'), [
    '╭─ Top ────────────────────────────────────────────────────────────────────────╮',
    '│5 procs  1 run  2 ready  1 wait  1 stopped  load 3  cpu 100%  mem 40%         │',
    '│cpu                                                                   ████████│',
    '│PID  NAME          STATE    PRI▼  CPU%  TIME  MEM                             │',
    '│  3  a-very-long…  READY       9    30    12   10                             │',
    '│  2  editor        RUNNING     5    35    14  100                             │',
    '│  4  compiler      WAITING     5     5     2  300                             │',
    '│  5  shell         READY       1    30    12    0                             │',
    '│  6  paused        STOPPED     0     0     0    0                             │',
    '│                                                                              │',
    '│                                                                              │',
    '╰──────────────────────────────────────────────────────────────────────────────╯',
  ]);
});

test('a narrow pane keeps the sort column and scrolls, clamped to the last screenful', () => {
  const lines = pane(40, 9, 'time', 2);
  assert.deepEqual(lines.slice(3, 8), [
    '│PID  NAME    STATE    CPU%  TIME▼  MEM│',
    '│  3  a-ver…  READY      30     12   10│',
    '│  5  shell   READY      30     12    0│',
    '│  4  compi…  WAITING     5      2  300│',
    '│  6  paused  STOPPED     0      0    0│',
  ]);
  assert.equal(lines[0], '╭─ Top ──────────────── rows 2-5 of 5 ─╮');
  assert.deepEqual(pane(40, 9, 'time', 99), lines);
});

test('a thousand processes draw only a screenful of rows', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  for (let i = 0; i < 1000; i++) kernel.spawn({name: `job${i}`, burst: 100});
  kernel.tick(200);
  const lines = frameLines(
    <TopPane
      snapshot={kernel.snapshot()}
      width={80}
      height={12}
      isFocused={false}
      sortKey="cpu"
      scroll={500}
    />,
  );
  assert.equal(lines.length, 12);
  assert.match(lines[0]!, /rows 501-507 of 1000/);
  assert.match(lines[4]!, /^│ 502  job500 /);
});

test('lines never pass the pane width, at any size', () => {
  for (const width of [10, 20, 40, 49, 50, 80, 100]) {
    for (const height of [2, 3, 5, 10, 18]) assertFits(pane(width, height, 'pri'), width, height);
  }
});
