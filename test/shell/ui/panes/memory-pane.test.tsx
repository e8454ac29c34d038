// The block-map pane from a kernel's real heap: the bar, its stats and legend, and the traces that
// tiny blocks and holes must leave.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import React from 'react';
import {createKernel} from '../../../../src/kernel/index.js';
import {MemoryPane} from '../../../../src/shell/ui/panes/memory-pane.js';
import {assertFits, frameLines} from '../../../support/ink-frame.js';

/** Two processes' images, a one-unit image, a shell block, a two-unit hole, another block, the rest free. */
function fragmentedKernel() {
  const kernel = createKernel({heapSize: 1024});
  kernel.spawn({name: 'editor', burst: 30, memory: 200});
  const compiler = kernel.spawn({name: 'compiler', burst: 30, memory: 100});
  kernel.spawn({name: 'tiny', burst: 30, memory: 1});
  kernel.malloc(300);
  const hole = kernel.malloc(2);
  kernel.malloc(100, compiler);
  kernel.free(hole);
  return kernel;
}

test('at 40 x 10 the bar takes several rows, then the stats and the legend', () => {
  const lines = frameLines(
    <MemoryPane snapshot={fragmentedKernel().snapshot()} width={40} height={10} isFocused={false} />,
  );
  assert.deepEqual(lines, [
    '╭─ Block map ────────── first fit, 1K ─╮',
    '│aaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbb│',
    '│bbbbbbc###############################│',
    '│#############░bbbbbbbbbbbbbb░·········│',
    '│······································│',
    '│used 701/1K (68.5%)  frag 0.6%        │',
    '│free 323 in 2 holes  largest 321      │',
    '│a 2 editor  b 3 compiler  c 4 tiny    │',
    '│# shell  · free  ░ part free          │',
    '╰──────────────────────────────────────╯',
  ]);
});

test('at 80 x 5 the bar, the stats and the legend take a row each', () => {
  const lines = frameLines(
    <MemoryPane snapshot={fragmentedKernel().snapshot()} width={80} height={5} isFocused={false} />,
  );
  assert.deepEqual(lines, [
    '╭─ Block map ────────────────────────────────────────────────── first fit, 1K ─╮',
    '│aaaaaaaaaaaaaaabbbbbbbc######################░bbbbbbb░························│',
    '│used 701/1K (68.5%)  frag 0.6%  free 323 in 2 holes  largest 321              │',
    '│a 2 editor  b 3 compiler  c 4 tiny  # shell  · free  ░ part free              │',
    '╰──────────────────────────────────────────────────────────────────────────────╯',
  ]);
});

test('at 40 x 5 the one-unit block and the two-unit hole still show', () => {
  const lines = frameLines(
    <MemoryPane snapshot={fragmentedKernel().snapshot()} width={40} height={5} isFocused={false} />,
  );
  assert.deepEqual(lines, [
    '╭─ Block map ────────── first fit, 1K ─╮',
    '│aaaaaaabbbbc##########░bbb░···········│',
    '│used 701/1K (68.5%)  frag 0.6%        │',
    '│free 323 in 2 holes  largest 321      │',
    '╰──────────────────────────────────────╯',
  ]);
});

test('a one-unit block in a megabyte of holes is drawn as a part-free cell', () => {
  const kernel = createKernel({heapSize: 1024 * 1024});
  const big = kernel.malloc(500_000);
  kernel.malloc(1);
  kernel.free(big);
  const bar = frameLines(
    <MemoryPane snapshot={kernel.snapshot()} width={40} height={5} isFocused={false} />,
  )[1]!;
  assert.equal(bar, `│${'·'.repeat(18)}░${'·'.repeat(19)}│`);
});

test('a heap smaller than the pane gets one cell per unit', () => {
  const kernel = createKernel({heapSize: 16});
  kernel.malloc(4);
  kernel.malloc(3);
  const lines = frameLines(
    <MemoryPane snapshot={kernel.snapshot()} width={40} height={5} isFocused={false} />,
  );
  assert.equal(lines[1], '│#######·········                      │');
});

test('lines never pass the pane width, at any size', () => {
  const snapshot = fragmentedKernel().snapshot();
  for (const width of [8, 20, 40, 41, 80, 100]) {
    for (const height of [2, 3, 5, 10, 18]) {
      const lines = frameLines(
        <MemoryPane snapshot={snapshot} width={width} height={height} isFocused={false} />,
      );
      assertFits(lines, width, height);
    }
  }
});
