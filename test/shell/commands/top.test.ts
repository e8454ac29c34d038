// top in script mode: the rows of the console's top pane as a table, sorted and cut by flags.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {parseArgs} from '../../../src/shell/args.js';
import type {Context} from '../../../src/shell/command.js';
import {findCommand} from '../../../src/shell/commands/index.js';
import {top} from '../../../src/shell/commands/top.js';
import {ShellError} from '../../../src/shell/errors.js';
import {blocksToLines} from '../../../src/shell/format.js';
import {createTestContext, runOk} from '../../support/shell-context.js';

/** Run top with `words` as the runner would (top may not be in the command table yet). */
async function runTop(context: Context, words: string[] = []) {
  const result = await top.run(parseArgs(words, top.flags), context);
  return {lines: blocksToLines(result.lines, context.style), data: result.data ?? {}};
}

async function busyContext(): Promise<Context> {
  const context = createTestContext({scheduler: 'rr', schedulerOptions: {quantum: 1}, heapSize: 1024});
  await runOk(
    context,
    'spawn left --burst 500 --mem 64; spawn right --burst 500 --priority 3; spawn idle --prog "io 900"',
  );
  await runOk(context, 'tick 100');
  return context;
}

test('top lists live processes by recent CPU share, with totals', async () => {
  const {lines, data} = await runTop(await busyContext());
  assert.deepEqual(lines, [
    't=100  3 processes: 1 running, 1 ready, 1 waiting  load 2  cpu 100%  mem 6.3%',
    'PID  NAME   STATE    PRI  CPU%  TIME  MEM',
    '  2  left   READY      0    50    50   64',
    '  3  right  RUNNING    3    50    50    0',
    '  4  idle   WAITING    0     0     0    0',
  ]);
  assert.equal(data.time, 100);
  assert.equal(data.sort, 'cpu');
  assert.deepEqual(
    (data.processes as {pid: number; cpuPercent: number}[]).map((row) => [row.pid, row.cpuPercent]),
    [
      [2, 50],
      [3, 50],
      [4, 0],
    ],
  );
  assert.deepEqual(data.totals, {
    processes: 3,
    running: 1,
    ready: 1,
    waiting: 1,
    stopped: 0,
    new: 0,
    zombie: 0,
    load: 2,
    cpuPercent: 100,
    memoryPercent: 6.25,
  });
});

test('--sort picks the order and -n keeps the first rows', async () => {
  const context = await busyContext();
  const byPriority = await runTop(context, ['--sort', 'pri', '-n', '2']);
  assert.deepEqual(byPriority.lines.slice(1), [
    'PID  NAME   STATE    PRI  CPU%  TIME  MEM',
    '  3  right  RUNNING    3    50    50    0',
    '  2  left   READY      0    50    50   64',
  ]);
  const byName = await runTop(context, ['-s', 'name']);
  assert.deepEqual(
    (byName.data.processes as {name: string}[]).map((row) => row.name),
    ['idle', 'left', 'right'],
  );
});

test('a bad sort key or count is a usage error naming the value', async () => {
  const context = await busyContext();
  await assert.rejects(runTop(context, ['--sort', 'speed']), (error: unknown) => {
    assert.ok(error instanceof ShellError && error.code === 'EUSAGE');
    assert.match(
      error.message,
      /Unknown sort key `speed`. Expected one of: cpu, mem, pid, name, state, pri, time/,
    );
    return true;
  });
  await assert.rejects(runTop(context, ['-n', '0']), /Bad -n `0`/);
  await assert.rejects(runTop(context, ['extra']), /Too many arguments/);
});

test('top is in the command table', {todo: findCommand('top') === undefined}, async () => {
  const context = await busyContext();
  const {lines} = await runOk(context, 'top -n 1');
  assert.equal(lines.length, 3);
});
