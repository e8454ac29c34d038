// top's rows, CPU history and totals, from kernels that really ran.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKernel} from '../../../src/kernel/index.js';
import {
  cpuHistory,
  recentCpuTicks,
  TOP_SORT_KEYS,
  topRows,
  topTable,
  topTotals,
  type TopSortKey,
} from '../../../src/shell/ui/top-rows.js';

test('two processes sharing round robin with quantum 1 each get half the CPU', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  kernel.spawn({name: 'left', burst: 500});
  kernel.spawn({name: 'right', burst: 500});
  kernel.tick(100);
  const rows = topRows(kernel.snapshot());
  assert.deepEqual(
    rows.map((row) => [row.pid, row.name, row.cpuPercent, row.cpuTime]),
    [
      [2, 'left', 50, 50],
      [3, 'right', 50, 50],
    ],
  );
});

test('CPU% looks only at the window: a process that stopped running long ago reads 0', () => {
  const kernel = createKernel({scheduler: 'fcfs'});
  kernel.spawn({name: 'early', program: 'cpu 10, io 1000'});
  kernel.spawn({name: 'late', burst: 1000, arrive: 10});
  kernel.tick(210);
  const rows = topRows(kernel.snapshot());
  assert.deepEqual(
    rows.map((row) => [row.name, row.cpuPercent, row.cpuTime, row.state]),
    [
      ['late', 100, 200, 'running'],
      ['early', 0, 10, 'waiting'],
    ],
  );
  // a 220-tick window reaches back to early's run: 10 of 210 recorded ticks
  const wide = topRows(kernel.snapshot(), 'pid', 220);
  assert.deepEqual(
    wide.map((row) => row.cpuPercent),
    [(10 / 210) * 100, (200 / 210) * 100],
  );
});

test('the CPU share counts idle ticks in the window, skipped idle stretches included', () => {
  const kernel = createKernel();
  kernel.spawn({name: 'short', burst: 25});
  kernel.tick(1000); // 25 busy ticks, then one idle stretch the kernel skips in a step
  const {ticks, covered} = recentCpuTicks(kernel.snapshot().gantt, 1000, 1000);
  assert.deepEqual([...ticks], [[2, 25]]);
  assert.equal(covered, 1000);
  assert.equal(topTotals(kernel.snapshot(), 1000).cpuPercent, 2.5);
});

test('init and terminated processes are left out; zombies, new and stopped ones stay', () => {
  const kernel = createKernel({scheduler: 'rr'});
  const parent = kernel.spawn({name: 'parent', burst: 500});
  kernel.spawn({name: 'child', burst: 1, parent});
  kernel.spawn({name: 'done', burst: 1});
  kernel.spawn({name: 'later', burst: 5, arrive: 500});
  const paused = kernel.spawn({name: 'paused', burst: 5});
  kernel.kill(paused, 'STOP');
  kernel.tick(60);
  const rows = topRows(kernel.snapshot(), 'pid');
  assert.deepEqual(
    rows.map((row) => [row.name, row.state]),
    [
      ['parent', 'running'],
      ['child', 'zombie'],
      ['later', 'new'],
      ['paused', 'stopped'],
    ],
  );
});

function sortedKernel() {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 2}, heapSize: 1024});
  kernel.spawn({name: 'cc', burst: 300, priority: 5, memory: 100});
  kernel.spawn({name: 'aa', burst: 300, priority: 9, memory: 10});
  kernel.spawn({name: 'bb', program: 'cpu 2, io 500', priority: 5, memory: 300});
  kernel.spawn({name: 'aa', burst: 300, priority: 1});
  kernel.tick(40);
  return kernel.snapshot();
}

test('each sort key orders the rows, ties to the lower pid', () => {
  const snapshot = sortedKernel();
  const order = (key: TopSortKey) => topRows(snapshot, key).map((row) => row.pid);
  // cc, aa and the second aa shared 38 ticks after bb's 2; the one running at t=40 is listed by state
  assert.deepEqual(order('pid'), [2, 3, 4, 5]);
  assert.deepEqual(order('name'), [3, 5, 4, 2]);
  assert.deepEqual(order('mem'), [4, 2, 3, 5]);
  assert.deepEqual(order('pri'), [3, 2, 4, 5]);
  assert.deepEqual(order('cpu'), order('time'));
  assert.equal(order('cpu').at(-1), 4);
  const states = topRows(snapshot, 'state').map((row) => row.state);
  assert.deepEqual(states, ['running', 'ready', 'ready', 'waiting']);
  assert.deepEqual(TOP_SORT_KEYS, ['cpu', 'mem', 'pid', 'name', 'state', 'pri', 'time']);
});

test('sorting a thousand processes stays cheap', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  for (let i = 0; i < 1000; i++) kernel.spawn({name: `p${i % 37}`, burst: 1000, priority: i % 10});
  kernel.tick(500);
  const snapshot = kernel.snapshot();
  const started = performance.now();
  for (const key of TOP_SORT_KEYS) assert.equal(topRows(snapshot, key).length, 1000);
  // generous: the point is no per-process pass over the Gantt ring (that would be ~1000x slower)
  assert.ok(performance.now() - started < 500, 'seven sorts of 1,000 rows took over half a second');
});

test('cpuHistory gives the busy fraction per bucket, oldest first', () => {
  const kernel = createKernel();
  kernel.spawn({name: 'burst', program: 'cpu 7, io 6, cpu 2'});
  kernel.tick(20);
  // busy 0-7, idle 7-13, busy 13-15, idle 15-20
  assert.deepEqual(cpuHistory(kernel.snapshot(), 4, 5), [1, 2 / 5, 2 / 5, 0]);
  assert.deepEqual(cpuHistory(kernel.snapshot(), 2, 10), [7 / 10, 2 / 10]);
  // buckets before boot have nothing recorded and read 0
  assert.deepEqual(cpuHistory(kernel.snapshot(), 6, 5), [0, 0, 1, 2 / 5, 2 / 5, 0]);
  assert.deepEqual(cpuHistory(kernel.snapshot(), 0, 5), []);
});

test('topTotals counts states, load and memory use', () => {
  const totals = topTotals(sortedKernel());
  assert.deepEqual(
    {...totals, cpuPercent: Math.round(totals.cpuPercent)},
    {
      processes: 4,
      running: 1,
      ready: 2,
      waiting: 1,
      stopped: 0,
      new: 0,
      zombie: 0,
      load: 3,
      cpuPercent: 100,
      memoryPercent: (410 / 1024) * 100,
    },
  );
});

test('topTable marks the sort column, picks columns and cuts long names', () => {
  const rows = topRows(sortedKernel(), 'mem');
  const plain = topTable(rows);
  assert.deepEqual(plain.headers, ['PID', 'NAME', 'STATE', 'PRI', 'CPU%', 'TIME', 'MEM']);
  assert.deepEqual(
    plain.rows[0]!.map((cell) => cell.text),
    ['4', 'bb', 'WAITING', '5', '5', '2', '300'],
  );
  assert.equal(plain.rows[0]![2]!.tone, 'yellow');
  const marked = topTable(rows, {sortKey: 'mem', columns: ['pid', 'name', 'mem'], maxNameChars: 1});
  assert.deepEqual(marked.headers, ['PID', 'NAME', 'MEM▼']);
  assert.deepEqual(
    marked.rows.map((row) => row[1]!.text),
    ['…', '…', '…', '…'],
  );
  assert.deepEqual(topTable(rows, {sortKey: 'name', maxNameChars: 2}).headers[1], 'NAME▲');
});
