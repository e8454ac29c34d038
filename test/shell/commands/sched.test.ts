// The sched command's options: each goes with the schedulers it means something to.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createTestContext, runFails, runOk} from '../../support/shell-context.js';

test('an option refused by the scheduler it would be ignored by, the scheduler left as it was', async () => {
  const context = createTestContext();
  for (const [line, message] of [
    ['sched fcfs --quantum 3', /^--quantum applies to rr and mlfq only, not fcfs\./],
    ['sched sjf --preemptive', /^--preemptive applies to priority only, not sjf\./],
    ['sched rr --boost 5', /^--boost applies to mlfq only, not rr\./],
    ['sched mlfq --aging 4', /^--aging applies to priority only, not mlfq\./],
    // no name: the options go to the scheduler in use (fcfs)
    ['sched --levels 2', /^--levels applies to mlfq only, not fcfs\./],
  ] as const) {
    assert.match(await runFails(context, line, 'EUSAGE'), message, line);
  }
  assert.equal(context.kernel.schedulerName, 'fcfs');
  assert.deepEqual((await runOk(context, 'sched rr -q 3')).lines, ['scheduler rr (quantum 3)']);
  assert.deepEqual((await runOk(context, 'sched mlfq --levels 2 --boost 50 --quantum 2')).lines, [
    'scheduler mlfq (2 levels, quanta 2,4, boost 50)',
  ]);
  assert.deepEqual((await runOk(context, 'sched priority --preemptive --aging 5')).lines, [
    'scheduler priority (preemptive, aging 5)',
  ]);
});

test('levels past the last of --quanta double the quantum above them', async () => {
  const context = createTestContext();
  for (const [line, expected] of [
    ['sched mlfq --quanta 50,60', 'scheduler mlfq (3 levels, quanta 50,60,120, boost 100)'],
    ['sched mlfq --levels 4 --quanta 2', 'scheduler mlfq (4 levels, quanta 2,4,8,16, boost 100)'],
    ['sched mlfq --levels 1', 'scheduler mlfq (1 level, quanta 4, boost 100)'],
    ['sched mlfq --levels 3 --quantum 3', 'scheduler mlfq (3 levels, quanta 3,6,12, boost 100)'],
    ['sched mlfq --quantum 2 --quanta 2,3', 'scheduler mlfq (3 levels, quanta 2,3,6, boost 100)'],
  ] as const) {
    assert.deepEqual((await runOk(context, line)).lines, [expected], line);
  }
});

test('--quantum and --quanta that disagree on the top quantum are refused', async () => {
  const context = createTestContext();
  assert.match(
    await runFails(context, 'sched mlfq --quantum 2 --quanta 5', 'EUSAGE'),
    /^--quantum 2 and --quanta 5 disagree on the top level's quantum/,
  );
  assert.equal(context.kernel.schedulerName, 'fcfs');
});

test('sched stats leaves a killed process out of the averages and the throughput, and counts it', async () => {
  const context = createTestContext();
  // b is killed before it runs; a after 2 of its 5 ticks, and its child d with it
  await runOk(
    context,
    'spawn a --burst 5; spawn b --burst 5; spawn c --burst 4; spawn d --burst 9 --parent 2',
  );
  await runOk(context, 'tick 2; kill 3; kill 2; wait all');
  const {lines, data} = await runOk(context, 'sched stats');
  assert.deepEqual(lines.slice(-2), [
    'average waiting 2, turnaround 6, response 2 (1 finished, 3 killed)',
    'throughput 0.1667 per tick, CPU utilisation 100%, context switches 1, t=6',
  ]);
  assert.deepEqual(
    (data.processes as {pid: number; killed: boolean}[]).map(({pid, killed}) => [pid, killed]),
    [
      [2, true],
      [3, true],
      [4, false],
      [5, true],
    ],
  );
  assert.equal(data.finished, 1);
  assert.equal(data.killed, 3);
});

test('sched mlfq given again puts every process at the top level, the running one too', async () => {
  const context = createTestContext();
  await runOk(context, 'sched mlfq; spawn a --burst 30; spawn b --burst 30; tick 9');
  // a ran its L0 quantum and has started on L1; b waits on L1
  assert.match((await runOk(context, 'sched queue')).lines.join('\n'), /running: 2 a .*slice 1 L1\)/);
  await runOk(context, 'sched mlfq --quanta 2');
  const queue = (await runOk(context, 'sched queue')).lines.join('\n');
  assert.match(queue, /running: 2 a \(remaining 25, slice 0 L0\)/);
  assert.match(queue, /ready: +3 b L0/);
});

test('MLFQ counts every run at a level: blocking just before the quantum ends does not keep a process on top', async () => {
  const context = createTestContext();
  await runOk(context, 'sched mlfq --quantum 4 --boost 1000');
  // 3 ticks of CPU, then a short io, again and again: under the gameable rule it never used a whole quantum
  await runOk(context, "spawn gamer --prog 'cpu 3, io 1, cpu 3, io 1, cpu 3, io 1, cpu 3'");
  await runOk(context, 'spawn hog --burst 30; tick 12');
  const queue = (await runOk(context, 'sched queue')).lines.join('\n');
  assert.match(queue, /2 gamer L1/, `the gamer used its 4 ticks at L0 over two runs and dropped:\n${queue}`);
});

test('a program that exits early shows the CPU it used as its burst, so waiting = turnaround - burst holds', async () => {
  const context = createTestContext();
  await runOk(context, "spawn early --prog 'cpu 1, exit 3, cpu 5'; spawn later --burst 2; wait all");
  const rows = (await runOk(context, 'sched stats')).data.processes as {
    name: string;
    burst: number;
    waiting: number;
    turnaround: number;
  }[];
  const early = rows.find((row) => row.name === 'early')!;
  assert.equal(early.burst, 1, 'it ran one tick of its six');
  for (const row of rows) assert.equal(row.waiting, row.turnaround - row.burst, row.name);
});

test('sched stats before anything finished gives no waiting or turnaround average, not an average of 0', async () => {
  const context = createTestContext();
  await runOk(context, 'sched rr --quantum 2; spawn P1 --burst 9; spawn P2 --burst 9; tick 5');
  const {lines} = await runOk(context, 'sched stats');
  assert.match(lines.join('\n'), /^average waiting -, turnaround -, response 1 \(0 finished\)$/m);
});

test('wait all ends at the tick the last process ends, when its last ops take no time', async () => {
  const context = createTestContext();
  await runOk(context, "sem create S 0; spawn A --prog 'cpu 1, io 2, sem signal S'");
  assert.deepEqual((await runOk(context, 'wait all')).lines, ['all done at t=3']);
  const stats = (await runOk(context, 'sched stats')).data as {cpuUtilization: number; throughput: number};
  assert.deepEqual([stats.cpuUtilization, stats.throughput], [1 / 3, 1 / 3]);
  // exit as the first op: done at once, no tick in which nothing ran
  await runOk(context, "spawn D --prog 'exit 2'");
  assert.deepEqual((await runOk(context, 'wait all')).lines, ['all done at t=3']);
});
