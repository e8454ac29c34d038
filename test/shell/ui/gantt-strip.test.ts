// The Gantt strip: the last ticks before now, from hand-made segments and from a kernel.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKernel, type GanttSegment} from '../../../src/kernel/index.js';
import {ganttStrip} from '../../../src/shell/ui/gantt-strip.js';

const SEGMENTS: GanttSegment[] = [
  {pid: 2, start: 0, end: 3},
  {pid: 0, start: 3, end: 5},
  {pid: 3, start: 5, end: 6},
  {pid: 2, start: 6, end: 10},
];

const pids = (cells: {pid: number}[]) => cells.map((cell) => cell.pid).join('');

test('the strip is the last width ticks ending at now, oldest first', () => {
  assert.equal(pids(ganttStrip(SEGMENTS, 10, 6)), '032222');
  assert.deepEqual(
    ganttStrip(SEGMENTS, 10, 3).map((cell) => cell.time),
    [7, 8, 9],
  );
});

test('a strip wider than the recorded past holds only recorded ticks', () => {
  assert.equal(pids(ganttStrip(SEGMENTS, 10, 40)), '2220032222');
  assert.equal(ganttStrip(SEGMENTS, 10, 40)[0]!.time, 0);
  assert.deepEqual(ganttStrip([], 0, 10), []);
  assert.deepEqual(ganttStrip(SEGMENTS, 10, 0), []);
});

test('the strip can end before the newest segment does', () => {
  assert.equal(pids(ganttStrip(SEGMENTS, 6, 4)), '2003');
});

test('a long history costs only the segments the strip touches', () => {
  const segments: GanttSegment[] = Array.from({length: 4096}, (_, i) => ({
    pid: 2 + (i % 2),
    start: i,
    end: i + 1,
  }));
  let reads = 0;
  const counted = new Proxy(segments, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver);
    },
  });
  assert.equal(pids(ganttStrip(counted, 4096, 4)), '2323');
  assert.ok(reads <= 5, `read ${reads} segments for a 4-tick strip`);
});

test('the strip of a round robin kernel alternates with the quantum, idle after the end', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 2}});
  kernel.spawn({name: 'a', burst: 4});
  kernel.spawn({name: 'b', burst: 4});
  kernel.tick(12);
  const {gantt, time} = kernel.snapshot();
  assert.equal(pids(ganttStrip(gantt, time, 12)), '223322330000');
});
