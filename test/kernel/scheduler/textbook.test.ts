// Golden tests: the textbook's worked scheduling examples (Silberschatz, Operating System
// Concepts, ch. 5, and the usual arrival variants), with their Gantt charts and average
// waiting times. To add a case, add a row. Textbook priorities are "lower number = more urgent";
// ours are the opposite, so those rows are written already inverted.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKernel, type SchedulerName, type SchedulerOptions} from '../../../src/kernel/index.js';

interface Row {
  name: string;
  scheduler: SchedulerName;
  options?: Partial<SchedulerOptions>;
  /** [name, arrival, burst, priority?] */
  processes: [string, number, number, number?][];
  /** Gantt chart as "NAME start-end", idle as "idle". */
  gantt: string;
  avgWaiting: number;
  avgTurnaround?: number;
}

const rows: Row[] = [
  {
    name: 'FCFS runs in arrival order and convoys behind the long job',
    scheduler: 'fcfs',
    processes: [
      ['P1', 0, 24],
      ['P2', 0, 3],
      ['P3', 0, 3],
    ],
    gantt: 'P1 0-24, P2 24-27, P3 27-30',
    avgWaiting: 17,
    avgTurnaround: 27,
  },
  {
    name: 'FCFS with the short jobs first waits far less',
    scheduler: 'fcfs',
    processes: [
      ['P2', 0, 3],
      ['P3', 0, 3],
      ['P1', 0, 24],
    ],
    gantt: 'P2 0-3, P3 3-6, P1 6-30',
    avgWaiting: 3,
  },
  {
    name: 'FCFS leaves the CPU idle until the next arrival',
    scheduler: 'fcfs',
    processes: [
      ['P1', 0, 3],
      ['P2', 5, 2],
      ['P3', 6, 1],
    ],
    gantt: 'P1 0-3, idle 3-5, P2 5-7, P3 7-8',
    avgWaiting: 1 / 3,
  },
  {
    name: 'SJF runs the shortest burst first',
    scheduler: 'sjf',
    processes: [
      ['P1', 0, 6],
      ['P2', 0, 8],
      ['P3', 0, 7],
      ['P4', 0, 3],
    ],
    gantt: 'P4 0-3, P1 3-9, P3 9-16, P2 16-24',
    avgWaiting: 7,
  },
  {
    name: 'SJF with arrivals does not preempt and breaks ties by arrival',
    scheduler: 'sjf',
    processes: [
      ['P1', 0, 7],
      ['P2', 2, 4],
      ['P3', 4, 1],
      ['P4', 5, 4],
    ],
    gantt: 'P1 0-7, P3 7-8, P2 8-12, P4 12-16',
    avgWaiting: 4,
  },
  {
    name: 'SRTF preempts when a shorter job arrives',
    scheduler: 'srtf',
    processes: [
      ['P1', 0, 8],
      ['P2', 1, 4],
      ['P3', 2, 9],
      ['P4', 3, 5],
    ],
    gantt: 'P1 0-1, P2 1-5, P4 5-10, P1 10-17, P3 17-26',
    avgWaiting: 6.5,
  },
  {
    name: 'SRTF with arrivals does not preempt on an equal remaining time',
    scheduler: 'srtf',
    processes: [
      ['P1', 0, 7],
      ['P2', 2, 4],
      ['P3', 4, 1],
      ['P4', 5, 4],
    ],
    gantt: 'P1 0-2, P2 2-4, P3 4-5, P2 5-7, P4 7-11, P1 11-16',
    avgWaiting: 3,
  },
  {
    name: 'priority (non-preemptive) runs the most urgent first',
    scheduler: 'priority',
    // textbook priorities 3, 1, 4, 5, 2 (1 = most urgent) inverted as 6 - p
    processes: [
      ['P1', 0, 10, 3],
      ['P2', 0, 1, 5],
      ['P3', 0, 2, 2],
      ['P4', 0, 1, 1],
      ['P5', 0, 5, 4],
    ],
    gantt: 'P2 0-1, P5 1-6, P1 6-16, P3 16-18, P4 18-19',
    avgWaiting: 8.2,
  },
  {
    name: 'preemptive priority gives the CPU to a more urgent arrival at once',
    scheduler: 'priority',
    options: {preemptive: true},
    processes: [
      ['P1', 0, 4, 1],
      ['P2', 1, 2, 3],
      ['P3', 2, 1, 5],
      ['P4', 3, 3, 2],
    ],
    gantt: 'P1 0-1, P2 1-2, P3 2-3, P2 3-4, P4 4-7, P1 7-10',
    avgWaiting: (6 + 1 + 0 + 1) / 4,
  },
  {
    name: 'round robin with quantum 4 cycles through the queue',
    scheduler: 'rr',
    options: {quantum: 4},
    processes: [
      ['P1', 0, 24],
      ['P2', 0, 3],
      ['P3', 0, 3],
    ],
    gantt: 'P1 0-4, P2 4-7, P3 7-10, P1 10-30',
    avgWaiting: 17 / 3,
  },
  {
    name: 'round robin puts an arrival ahead of the process whose quantum just expired',
    scheduler: 'rr',
    options: {quantum: 2},
    processes: [
      ['P1', 0, 5],
      ['P2', 2, 3],
      ['P3', 4, 1],
    ],
    // t=2: P2 arrives, then P1 expires -> P2, P1; t=4: P3 arrives, then P2 expires -> P1, P3, P2
    gantt: 'P1 0-2, P2 2-4, P1 4-6, P3 6-7, P2 7-8, P1 8-9',
    avgWaiting: (4 + 3 + 2) / 3,
  },
  {
    name: 'MLFQ demotes a long job and lets a newcomer preempt it',
    scheduler: 'mlfq',
    options: {quantum: 2, levels: 3, boost: 0},
    processes: [
      ['A', 0, 30],
      ['B', 5, 3],
    ],
    // A: L0 0-2, L1 2-5 (B arrives at 5 and preempts), B: L0 5-7, A resumes L1 7-8, B L1 8-9, A L2 9-33
    gantt: 'A 0-5, B 5-7, A 7-8, B 8-9, A 9-33',
    avgWaiting: (3 + 1) / 2,
  },
];

for (const row of rows) {
  test(row.name, () => {
    const kernel = createKernel({scheduler: row.scheduler, schedulerOptions: row.options});
    for (const [name, arrive, burst, priority] of row.processes)
      kernel.spawn({name, arrive, burst, priority});
    while (kernel.liveProcesses > 0) kernel.tick();
    const names = new Map(kernel.listProcesses(true).map((p) => [p.pid, p.name]));
    const gantt = kernel
      .ganttSegments()
      .map((s) => `${s.pid === 0 ? 'idle' : names.get(s.pid)} ${s.start}-${s.end}`)
      .join(', ');
    assert.equal(gantt, row.gantt);
    const stats = kernel.schedulerStats();
    assert.ok(
      Math.abs(stats.avgWaiting - row.avgWaiting) < 1e-9,
      `average waiting ${stats.avgWaiting}, expected ${row.avgWaiting}`,
    );
    if (row.avgTurnaround !== undefined) assert.equal(stats.avgTurnaround, row.avgTurnaround);
  });
}

test('priority aging lifts a starving process above a stream of urgent ones', () => {
  const kernel = createKernel({scheduler: 'priority', schedulerOptions: {aging: 2}});
  const low = kernel.spawn({name: 'low', burst: 2, priority: 0});
  kernel.spawn({name: 'hog', burst: 3, priority: 3});
  for (let t = 3; t <= 12; t += 3) kernel.spawn({name: `hog${t}`, burst: 3, priority: 3, arrive: t});
  while (kernel.liveProcesses > 0) kernel.tick();
  const withAging = kernel.process(low)!.completion!;

  const plain = createKernel({scheduler: 'priority'});
  const lowPlain = plain.spawn({name: 'low', burst: 2, priority: 0});
  plain.spawn({name: 'hog', burst: 3, priority: 3});
  for (let t = 3; t <= 12; t += 3) plain.spawn({name: `hog${t}`, burst: 3, priority: 3, arrive: t});
  while (plain.liveProcesses > 0) plain.tick();
  assert.equal(plain.process(lowPlain)!.completion, 17, 'without aging the low process runs last');
  assert.ok(withAging < 17, `with aging it finishes earlier (at ${withAging})`);
});

test('an MLFQ boost returns a demoted process to the top level', () => {
  const kernel = createKernel({scheduler: 'mlfq', schedulerOptions: {quantum: 1, levels: 3, boost: 10}});
  const pid = kernel.spawn({name: 'long', burst: 50});
  kernel.tick(5);
  assert.equal(kernel.process(pid)!.tag, 'L2');
  kernel.tick(5);
  assert.equal(kernel.process(pid)!.tag, 'L0');
});

test('an MLFQ boost gives the running process a fresh top-level quantum', () => {
  const kernel = createKernel({scheduler: 'mlfq', schedulerOptions: {quantum: 4, levels: 3, boost: 10}});
  const a = kernel.spawn({name: 'a', burst: 20});
  kernel.spawn({name: 'b', burst: 20});
  kernel.tick(9);
  assert.deepEqual([kernel.process(a)!.tag, kernel.process(a)!.sliceUsed], ['L1', 1]);
  kernel.tick(1); // the boost at 10: a stays on the CPU, at L0 with none of L0's 4 ticks used
  assert.deepEqual([kernel.process(a)!.tag, kernel.process(a)!.sliceUsed], ['L0', 0]);
  while (kernel.liveProcesses > 0) kernel.tick();
  const names = new Map(kernel.listProcesses(true).map((p) => [p.pid, p.name]));
  const gantt = kernel
    .ganttSegments()
    .map((s) => `${names.get(s.pid)} ${s.start}-${s.end}`)
    .join(', ');
  // a: 2 ticks at L1 (8-10), then a whole L0 quantum (10-14); the boosts at 20 and 30 likewise.
  assert.equal(gantt, 'a 0-4, b 4-8, a 8-14, b 14-18, a 18-24, b 24-28, a 28-32, b 32-40');
});

test('a process boosted while ready keeps none of the quantum it used below', () => {
  const kernel = createKernel({scheduler: 'mlfq', schedulerOptions: {quantum: 2, levels: 3, boost: 10}});
  const a = kernel.spawn({name: 'A', burst: 30});
  kernel.spawn({name: 'B', burst: 5, arrive: 7});
  // A: L0 0-2, L1 2-6, L2 6-7 (1 tick used) until B preempts it; B: L0 7-9, L1 9-10, boost, L0 10-12.
  // A, boosted while ready, then gets L0's whole quantum of 2 (12-14), not the 1 left of it.
  kernel.tick(15);
  const expiries = kernel
    .recentEvents()
    .filter((e) => e.pid === a && e.kind === 'expire')
    .map((e) => e.time);
  assert.deepEqual(expiries, [2, 6, 14]);
});

test('switching to MLFQ mid-run does not boost at once and restart the running quantum', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 4, boost: 100}});
  const pid = kernel.spawn({name: 'long', burst: 500});
  kernel.tick(150);
  kernel.setScheduler('mlfq');
  kernel.tick(4);
  assert.deepEqual([kernel.process(pid)!.tag, kernel.process(pid)!.sliceUsed], ['L0', 4]);
  kernel.tick(1);
  assert.deepEqual([kernel.process(pid)!.tag, kernel.process(pid)!.sliceUsed], ['L1', 1]);
});

test('switching policy keeps the ready processes in their dispatch order', () => {
  const kernel = createKernel({scheduler: 'sjf'});
  kernel.spawn({name: 'a', burst: 9});
  kernel.spawn({name: 'b', burst: 1});
  kernel.spawn({name: 'c', burst: 5});
  assert.deepEqual(
    kernel.readyQueue().ready.map((p) => p.name),
    ['b', 'c', 'a'],
  );
  kernel.setScheduler('fcfs');
  assert.deepEqual(
    kernel.readyQueue().ready.map((p) => p.name),
    ['b', 'c', 'a'],
  );
});

test('the same spawns and ticks give the same snapshot', () => {
  const run = () => {
    const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 3}});
    for (let i = 0; i < 20; i++) kernel.spawn({burst: ((i * 7) % 11) + 1, arrive: i % 5, priority: i % 4});
    kernel.tick(40);
    return JSON.stringify(kernel.snapshot());
  };
  assert.equal(run(), run());
});

test('an MLFQ boost inside a skipped idle stretch still happens', () => {
  const kernel = createKernel({scheduler: 'mlfq', schedulerOptions: {quantum: 1, levels: 3, boost: 50}});
  const pid = kernel.spawn({name: 'worker', program: 'cpu 5, io 200, cpu 5'});
  kernel.tick(5);
  assert.equal(kernel.process(pid)!.tag, 'L2');
  kernel.tick(150); // nothing ready: the kernel skips ahead across the boosts at 50, 100 and 150
  assert.equal(kernel.process(pid)!.tag, 'L0');
});
