// Task processes seen from the shell: ps, sched queue and the scheduler pane show them waiting on
// `task ID`; a blocking command that only a task's end could satisfy fails with ESTALL in script mode,
// waits in real time when the network runs tasks (awaitTasks), and keeps waiting in the console.

import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {Chalk} from 'chalk';
import {createKernel} from '../../src/kernel/index.js';
import {createScriptContext} from '../../src/shell/context.js';
import {openHistoryStore} from '../../src/shell/history-store.js';
import {listSections} from '../../src/shell/ui/scheduler-lines.js';
import {createLiveContext} from '../../src/shell/ui/live-context.js';
import {PaneStore} from '../../src/shell/ui/pane-store.js';
import {fakeClock} from '../support/fake-clock.js';
import {createTestContext, run, runFails, runOk, linesOf} from '../support/shell-context.js';

/** A script context whose tasks are ended from outside, as the network would. */
function awaitingContext(t: TestContext) {
  const history = openHistoryStore(':memory:');
  t.after(() => history.close());
  return createScriptContext(createKernel(), history, new Chalk({level: 0}), {awaitTasks: true});
}

test('ps and sched queue show a task process waiting on its task', async () => {
  const context = createTestContext();
  context.kernel.spawn({name: 'worker', burst: 3});
  const pid = context.kernel.spawnTask({taskId: 'abc', name: 'render'});
  const ps = await runOk(context, 'ps');
  assert.equal(ps.lines[3], `  ${pid}     1  render  WAITING(task abc)    0    0     0    0`);
  const queue = await runOk(context, 'sched queue');
  assert.equal(queue.lines.at(-1), `waiting: ${pid} render (task abc)`);
  assert.deepEqual((queue.data.waiting as unknown[])[0], {pid, on: 'task abc'});
});

test('the scheduler pane lists a task process under wait', () => {
  const kernel = createKernel();
  const pid = kernel.spawnTask({taskId: 'abc', name: 'render'});
  const wait = listSections(kernel.snapshot()).find((section) => section.count === 1)!;
  assert.deepEqual(wait.item(0), [
    {text: `${pid} render`, owner: pid},
    {text: ' (task abc)', tone: 'yellow'},
  ]);
});

test('in script mode, waiting on a task nothing will finish fails with ESTALL naming it', async () => {
  const context = createTestContext();
  context.kernel.spawn({name: 'worker', burst: 3});
  const pid = context.kernel.spawnTask({taskId: 'abc'});
  assert.equal(
    await runFails(context, `wait ${pid}`, 'ESTALL'),
    `Would wait forever for pid ${pid} to exit at t=3: waiting on tasks nothing here will finish: ${pid} on task abc.`,
  );
  // The worker ran to its end first: the clock only stops once nothing but the task is left.
  assert.equal(context.kernel.now, 3);
  assert.match(await runFails(context, 'wait all', 'ESTALL'), /3 on task abc\.$/);
  // A kill ends it at once, as for any process.
  await runOk(context, `kill ${pid}`);
  assert.deepEqual((await runOk(context, `wait ${pid}`)).lines, [
    `pid ${pid} exited with status 143 at t=3 (killed by SIGTERM)`,
  ]);
});

test('with awaitTasks, wait PID waits in real time for the task to end, the clock standing still', async (t) => {
  const context = awaitingContext(t);
  const pid = context.kernel.spawnTask({taskId: 'abc'});
  setTimeout(() => context.kernel.finishTask(pid, 1, 'ReferenceError: y is not defined'), 20);
  const {lines, data} = await runOk(context, `wait ${pid}`);
  assert.deepEqual(lines, [`pid ${pid} exited with status 1 at t=0 (ReferenceError: y is not defined)`]);
  assert.equal(data.time, 0);
});

test('with awaitTasks, wait all runs the other processes first, then waits for the tasks', async (t) => {
  const context = awaitingContext(t);
  context.kernel.spawn({name: 'worker', burst: 4});
  const pid = context.kernel.spawnTask({taskId: 'abc'});
  const finishWhenIdle = setInterval(() => {
    if (context.kernel.isAwaitingTasks()) context.kernel.finishTask(pid, 0);
  }, 5);
  t.after(() => clearInterval(finishWhenIdle));
  assert.deepEqual((await runOk(context, 'wait all')).lines, ['all done at t=4']);
});

test('with awaitTasks, Ctrl-C ends a wait for a task', async (t) => {
  const context = awaitingContext(t);
  const pid = context.kernel.spawnTask({taskId: 'abc'});
  setTimeout(() => (context.session.interrupted = true), 20);
  const outcome = await run(context, `wait ${pid}`);
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.code, 'EINTR');
  assert.equal(context.kernel.process(pid)!.state, 'waiting');
});

test('in the console, wait PID on a task keeps waiting as the clock ticks, until the task ends', async (t) => {
  const kernel = createKernel();
  const history = openHistoryStore(':memory:');
  t.after(() => history.close());
  const context = createLiveContext(kernel, history, new Chalk({level: 0}), fakeClock(), new PaneStore());
  const pid = kernel.spawnTask({taskId: 'abc'});
  const waiting = run(context, `wait ${pid}`);
  kernel.tick(5);
  kernel.finishTask(pid, 0);
  const outcome = await waiting;
  assert.ok(outcome.ok);
  assert.deepEqual(linesOf(outcome), [`pid ${pid} exited with status 0 at t=5 (exited)`]);
});

test('a finished task process goes into the process history like any other', async () => {
  const context = createTestContext();
  const pid = context.kernel.spawnTask({taskId: 'abc', name: 'render'});
  context.kernel.tick(2);
  context.kernel.finishTask(pid, 0);
  const {lines} = await runOk(context, 'history');
  assert.equal(lines[1], '   1    2  render        0      -    2      0     0           2  0');
});
