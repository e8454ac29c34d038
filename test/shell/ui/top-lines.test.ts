// The top pane's summary, sparkline and row window.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKernel} from '../../../src/kernel/index.js';
import {lineText} from '../../../src/shell/ui/spans.js';
import {
  rowWindow,
  sparkline,
  sparklineLine,
  summaryLine,
  topSections,
} from '../../../src/shell/ui/top-lines.js';

test('the sparkline has eight levels and a blank for no work', () => {
  assert.equal(sparkline([0, 0.01, 0.125, 0.2, 0.5, 0.9, 1, 1.5]), ' ▁▁▂▄▇██');
});

test('the sparkline line fills the width with the newest bucket at the right', () => {
  const kernel = createKernel();
  kernel.spawn({name: 'work', program: 'cpu 10, io 10, cpu 5'});
  kernel.tick(25);
  assert.equal(lineText(sparklineLine(kernel.snapshot(), 12)), 'cpu    ██  █');
});

test('the summary fits one line: load, cpu and mem go first, then the counts close up, then +N more', () => {
  const kernel = createKernel({heapSize: 100});
  kernel.spawn({name: 'a', burst: 5, memory: 25});
  kernel.spawn({name: 'b', burst: 5, arrive: 50});
  kernel.tick(2);
  const at = (width: number) => lineText(summaryLine(kernel.snapshot(), width));
  const full = '2 procs  1 run  0 ready  0 wait  1 new  load 1  cpu 100%  mem 25%';
  assert.equal(at(80), full);
  assert.equal(at(full.length), full, 'a line exactly as wide as the pane fits');
  assert.equal(at(full.length - 1), '2 procs  1 run  0 ready  0 wait  1 new  load 1  cpu 100%');
  assert.equal(at(38), '2 procs  1 run  0 ready  0 wait  1 new');
  assert.equal(at(34), '2 procs 1 run 0 ready 0 wait 1 new');
  assert.equal(at(30), '2 procs 1 run 0 ready +2 more');
});

test('200 processes in a 58-column pane: one summary line, and the table gets every other row', () => {
  const kernel = createKernel();
  for (let i = 0; i < 200; i++) kernel.spawn({name: `q${i}`, burst: 1000});
  kernel.tick(30);
  const {summary, hasSparkline, tableRows} = topSections(kernel.snapshot(), 58, 13);
  assert.equal(lineText(summary!), '200 procs  1 run  199 ready  0 wait  load 200  cpu 100%');
  assert.equal(hasSparkline, true);
  assert.equal(tableRows, 10, 'summary, sparkline and header take 3 of 13 rows');
});

test('the row window clamps the scroll and names the rows shown when some are hidden', () => {
  assert.deepEqual(rowWindow(5, 10, 3), {from: 0, to: 5, hint: undefined});
  assert.deepEqual(rowWindow(50, 10, 0), {from: 0, to: 10, hint: 'rows 1-10 of 50'});
  assert.deepEqual(rowWindow(50, 10, 45), {from: 40, to: 50, hint: 'rows 41-50 of 50'});
  assert.deepEqual(rowWindow(50, 0, 7), {from: 7, to: 7, hint: 'rows 0-7 of 50'});
});

test('one process is "1 proc"', () => {
  const kernel = createKernel();
  kernel.spawn({name: 'a', burst: 5});
  kernel.tick(1);
  assert.match(lineText(summaryLine(kernel.snapshot(), 80)), /^1 proc {2}1 run/);
});
