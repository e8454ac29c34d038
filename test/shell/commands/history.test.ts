// history driven through the command runner: finished processes across runs, and the summary line;
// history --tasks: the task history with its success rate and mean times.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {openHistoryStore} from '../../../src/shell/history-store.js';
import {createTestContext, runFails, runOk} from '../../support/shell-context.js';
import {task} from '../../support/task-record.js';

test('history with nothing finished says so, with a zero summary', async () => {
  const context = createTestContext();
  const {lines, data} = await runOk(context, 'history');
  assert.deepEqual(lines, [
    'no finished processes yet',
    '0 processes, 0 boots; avg turnaround 0, avg waiting 0, avg response 0; 0 ended non-zero',
  ]);
  assert.deepEqual(data, {
    processes: [],
    summary: {processes: 0, boots: 0, avgTurnaround: 0, avgWaiting: 0, avgResponse: 0, failed: 0, killed: 0},
  });
});

test('history lists finished processes in the order they finished, with averages that leave out the killed', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn editor --burst 3; spawn compiler --burst 2; spawn spare --burst 5');
  await runOk(context, 'tick 2; kill 4; wait all');
  const {lines, data} = await runOk(context, 'history');
  assert.deepEqual(lines, [
    'BOOT  PID  NAME      ARRIVAL  START  END  BURST  WAIT  TURNAROUND  STATUS',
    '   1    4  spare           0      -    2      5     2           2  143 (killed by SIGTERM)',
    '   1    2  editor          0      0    3      3     0           3  0',
    '   1    3  compiler        0      3    5      2     3           5  0',
    // spare, killed before it ran, would pull the turnaround and waiting averages down
    '3 processes, 1 boot; avg turnaround 4, avg waiting 1.5, avg response 1.5 (2 finished, 1 killed); 1 ended non-zero',
  ]);
  const rows = data.processes as {
    pid: number;
    boot: number;
    seq: number;
    exitStatus: number;
    killed: boolean;
  }[];
  assert.deepEqual(
    rows.map(({pid, boot, seq, exitStatus, killed}) => ({pid, boot, seq, exitStatus, killed})),
    [
      {pid: 4, boot: 1, seq: 1, exitStatus: 143, killed: true},
      {pid: 2, boot: 1, seq: 2, exitStatus: 0, killed: false},
      {pid: 3, boot: 1, seq: 3, exitStatus: 0, killed: false},
    ],
  );
  assert.deepEqual(data.summary, {
    processes: 3,
    boots: 1,
    avgTurnaround: 4,
    avgWaiting: 1.5,
    avgResponse: 1.5,
    failed: 1,
    killed: 1,
  });
});

test('history N shows only the last N, while the summary covers them all', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 1; spawn b --burst 1; spawn c --burst 1; wait all');
  const {lines, data} = await runOk(context, 'history 1');
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^\s+1\s+4\s+c\s/);
  assert.equal((data.processes as unknown[]).length, 1);
  assert.match(lines[2]!, /^all 3 processes \(the last 1 shown\), 1 boot;/);
});

test('history spans runs: a second boot on the same database adds to the first', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-history-command-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  const file = path.join(dir, 'history.db');

  const firstRun = createTestContext({history: openHistoryStore(file)});
  await runOk(firstRun, 'spawn early --burst 2; wait all');
  firstRun.history.close();

  const secondRun = createTestContext({history: openHistoryStore(file)});
  await runOk(secondRun, 'spawn late --burst 4; wait all');
  const {lines, data} = await runOk(secondRun, 'history');
  secondRun.history.close();
  assert.deepEqual(lines, [
    'BOOT  PID  NAME   ARRIVAL  START  END  BURST  WAIT  TURNAROUND  STATUS',
    '   1    2  early        0      0    2      2     0           2  0',
    '   2    2  late         0      0    4      4     0           4  0',
    '2 processes, 2 boots; avg turnaround 3, avg waiting 0, avg response 0; 0 ended non-zero',
  ]);
  assert.deepEqual(
    (data.processes as {boot: number}[]).map((row) => row.boot),
    [1, 2],
  );
});

test('history rejects a bad count', async () => {
  const context = createTestContext();
  assert.match(await runFails(context, 'history -1', 'EUSAGE'), /Bad N `-1`/);
  // 0 would print no rows, then "no finished processes yet" over a summary that counts some
  assert.match(await runFails(context, 'history 0', 'EUSAGE'), /Bad N `0`: expected a whole number from 1 /);
  assert.match(await runFails(context, 'history many', 'EUSAGE'), /Bad N `many`/);
  await runFails(context, 'history 1 2', 'EUSAGE');
});

test('a history database failure is one EHISTORY line', async () => {
  const context = createTestContext();
  context.history.close();
  assert.equal(await runFails(context, 'history', 'EHISTORY'), 'History store :memory: is closed.');
});

test('history --tasks with no task says so, with a zero summary', async () => {
  const context = createTestContext();
  const {lines, data} = await runOk(context, 'history --tasks');
  assert.deepEqual(lines, [
    'no tasks yet',
    '0 tasks, 0% ok (0 ok, 0 failed); mean wait 0ms, exec 0ms, turnaround 0ms',
  ]);
  assert.deepEqual(data, {
    tasks: [],
    summary: {
      tasks: 0,
      ok: 0,
      failed: 0,
      canceled: 0,
      timeout: 0,
      successRate: 0,
      meanWaitingMs: 0,
      meanExecMs: 0,
      meanTurnaroundMs: 0,
    },
  });
});

test('history --tasks lists the tasks oldest first with their times, and the success rate', async () => {
  const context = createTestContext();
  context.history.recordTask(task('t1'));
  context.history.recordTask(
    task('t2', {fn: 'fib', cached: true, startedAt: null, execMs: 0, turnaroundMs: 2.5, waitingMs: 2.5}),
  );
  context.history.recordTask(
    task('t3', {
      peer: 'p7',
      status: 'failed',
      error: 'TypeError: x is not a function\n    at fib',
      attempts: 2,
    }),
  );
  context.history.recordTask(
    task('t4', {
      status: 'timeout',
      error: `ran past ${'5000'} ms ${'and more '.repeat(10)}`,
      execMs: 5_000,
      turnaroundMs: 5_012.5,
      waitingMs: 12.5,
    }),
  );
  context.history.recordTask(
    task('t5', {status: 'canceled', startedAt: null, execMs: 0, waitingMs: 40, turnaroundMs: 40}),
  );
  const {lines, data} = await runOk(context, 'history --tasks');
  assert.deepEqual(lines, [
    'ID  PEER  FN      CODE      ARGS  STATUS         WAIT  EXEC  TURNAROUND  TRIES  ERROR',
    't1  p2    square  sha256-a  [3]   ok             10ms  20ms        30ms      1',
    't2  p2    fib     sha256-a  [3]   ok (cached)   2.5ms   0ms       2.5ms      1',
    't3  p7    square  sha256-a  [3]   failed         10ms  20ms        30ms      2  TypeError: x is not a function at fib',
    't4  p2    square  sha256-a  [3]   timeout      12.5ms    5s       5.01s      1  ran past 5000 ms and more and more and more and more and mo…',
    't5  p2    square  sha256-a  [3]   canceled       40ms   0ms        40ms      1',
    '5 tasks, 40% ok (2 ok, 1 failed, 1 timed out, 1 canceled); mean wait 15ms, exec 1.01s, turnaround 1.02s',
  ]);
  const rows = data.tasks as {taskId: string; args: string; cached: boolean; error: string | null}[];
  assert.deepEqual(
    rows.map(({taskId, args, cached}) => ({taskId, args, cached})),
    [
      {taskId: 't1', args: '[3]', cached: false},
      {taskId: 't2', args: '[3]', cached: true},
      {taskId: 't3', args: '[3]', cached: false},
      {taskId: 't4', args: '[3]', cached: false},
      {taskId: 't5', args: '[3]', cached: false},
    ],
  );
  assert.equal(rows[2]!.error, 'TypeError: x is not a function\n    at fib'); // JSON keeps the whole error
  assert.equal((data.summary as {successRate: number}).successRate, 0.4);
});

test('history --tasks N shows the last N, while the summary covers them all; plain history is unchanged', async () => {
  const context = createTestContext();
  for (const id of ['a', 'b', 'c']) context.history.recordTask(task(id));
  const {lines, data} = await runOk(context, 'history --tasks 1');
  assert.deepEqual(lines, [
    'ID  PEER  FN      CODE      ARGS  STATUS  WAIT  EXEC  TURNAROUND  TRIES  ERROR',
    'c   p2    square  sha256-a  [3]   ok      10ms  20ms        30ms      1',
    '3 tasks, 100% ok (3 ok, 0 failed); mean wait 10ms, exec 20ms, turnaround 30ms',
  ]);
  assert.equal((data.tasks as unknown[]).length, 1);
  assert.deepEqual((await runOk(context, 'history 2 --tasks')).lines.length, 4);
  assert.deepEqual((await runOk(context, 'history')).lines, [
    'no finished processes yet',
    '0 processes, 0 boots; avg turnaround 0, avg waiting 0, avg response 0; 0 ended non-zero',
  ]);
});

test('history --tasks spans runs on the same database', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'p2pos-history-tasks-'));
  t.after(() => fs.rmSync(dir, {recursive: true, force: true}));
  const file = path.join(dir, 'history.db');
  const firstRun = createTestContext({history: openHistoryStore(file)});
  firstRun.history.recordTask(task('early'));
  firstRun.history.close();
  const secondRun = createTestContext({history: openHistoryStore(file)});
  secondRun.history.recordTask(task('late', {status: 'failed', error: 'boom'}));
  const {lines} = await runOk(secondRun, 'history --tasks');
  secondRun.history.close();
  assert.deepEqual(lines.slice(1), [
    'early  p2    square  sha256-a  [3]   ok      10ms  20ms        30ms      1',
    'late   p2    square  sha256-a  [3]   failed  10ms  20ms        30ms      1  boom',
    '2 tasks, 50% ok (1 ok, 1 failed); mean wait 10ms, exec 20ms, turnaround 30ms',
  ]);
});

test('history --tasks rejects a bad count or a value, and reports a database failure', async () => {
  const context = createTestContext();
  assert.match(await runFails(context, 'history --tasks -1', 'EUSAGE'), /Bad N `-1`/);
  assert.match(await runFails(context, 'history --tasks 0', 'EUSAGE'), /Bad N `0`/);
  assert.match(await runFails(context, 'history --tasks=5', 'EUSAGE'), /--tasks takes no value/);
  await runFails(context, 'history --tasks 1 2', 'EUSAGE');
  context.history.close();
  assert.equal(await runFails(context, 'history --tasks', 'EHISTORY'), 'History store :memory: is closed.');
});
