// history driven through the command runner: finished processes across runs, and the summary line.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {test} from 'node:test';
import {openHistoryStore} from '../../../src/shell/history-store.js';
import {createTestContext, runFails, runOk} from '../../support/shell-context.js';

test('history with nothing finished says so, with a zero summary', async () => {
  const context = createTestContext();
  const {lines, data} = await runOk(context, 'history');
  assert.deepEqual(lines, [
    'no finished processes yet',
    '0 processes, 0 boots; avg turnaround 0, avg waiting 0, avg response 0; 0 failed',
  ]);
  assert.deepEqual(data, {
    processes: [],
    summary: {processes: 0, boots: 0, avgTurnaround: 0, avgWaiting: 0, avgResponse: 0, failed: 0},
  });
});

test('history lists finished processes in the order they finished, with the averages', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn editor --burst 3; spawn compiler --burst 2; spawn spare --burst 5');
  await runOk(context, 'tick 2; kill 4; wait all');
  const {lines, data} = await runOk(context, 'history');
  assert.deepEqual(lines, [
    'BOOT  PID  NAME      ARRIVAL  START  END  BURST  WAIT  TURNAROUND  STATUS',
    '   1    4  spare           0      -    2      5     2           2  143 (killed by SIGTERM)',
    '   1    2  editor          0      0    3      3     0           3  0',
    '   1    3  compiler        0      3    5      2     3           5  0',
    '3 processes, 1 boot; avg turnaround 3.33, avg waiting 1.67, avg response 1.5; 1 failed',
  ]);
  const rows = data.processes as {pid: number; boot: number; seq: number; exitStatus: number}[];
  assert.deepEqual(
    rows.map(({pid, boot, seq, exitStatus}) => ({pid, boot, seq, exitStatus})),
    [
      {pid: 4, boot: 1, seq: 1, exitStatus: 143},
      {pid: 2, boot: 1, seq: 2, exitStatus: 0},
      {pid: 3, boot: 1, seq: 3, exitStatus: 0},
    ],
  );
  assert.deepEqual(data.summary, {
    processes: 3,
    boots: 1,
    avgTurnaround: 10 / 3,
    avgWaiting: 5 / 3,
    avgResponse: 1.5,
    failed: 1,
  });
});

test('history N shows only the last N, while the summary covers them all', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 1; spawn b --burst 1; spawn c --burst 1; wait all');
  const {lines, data} = await runOk(context, 'history 1');
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^\s+1\s+4\s+c\s/);
  assert.equal((data.processes as unknown[]).length, 1);
  assert.match(lines[2]!, /^3 processes, 1 boot;/);
  assert.deepEqual((await runOk(context, 'history 0')).lines, [
    'no finished processes yet',
    '3 processes, 1 boot; avg turnaround 2, avg waiting 1, avg response 1; 0 failed',
  ]);
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
    '2 processes, 2 boots; avg turnaround 3, avg waiting 0, avg response 0; 0 failed',
  ]);
  assert.deepEqual(
    (data.processes as {boot: number}[]).map((row) => row.boot),
    [1, 2],
  );
});

test('history rejects a bad count', async () => {
  const context = createTestContext();
  assert.match(await runFails(context, 'history -1', 'EUSAGE'), /Bad N `-1`/);
  assert.match(await runFails(context, 'history many', 'EUSAGE'), /Bad N `many`/);
  await runFails(context, 'history 1 2', 'EUSAGE');
});

test('a history database failure is one EHISTORY line', async () => {
  const context = createTestContext();
  context.history.close();
  assert.equal(await runFails(context, 'history', 'EHISTORY'), 'History store :memory: is closed.');
});
