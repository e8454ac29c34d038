// The console's command context: blocking waits that finish as the clock ticks the kernel (here the
// test calls kernel.tick() itself), fail at once when nothing can move (ESTALL), time out
// (ETIMEDOUT) or are interrupted (EINTR); advance() moves time at once.

import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {Chalk} from 'chalk';
import {createKernel, type Kernel, type KernelOptions} from '../../../src/kernel/index.js';
import {ShellError} from '../../../src/shell/errors.js';
import {openHistoryStore} from '../../../src/shell/history-store.js';
import {parseLine} from '../../../src/shell/parse.js';
import {runCommand, type Outcome} from '../../../src/shell/run-line.js';
import {createLiveContext, type LiveContext} from '../../../src/shell/ui/live-context.js';
import {PaneStore} from '../../../src/shell/ui/pane-store.js';
import {fakeClock} from '../../support/fake-clock.js';
import {linesOf} from '../../support/shell-context.js';

function setup(t: TestContext, options: KernelOptions = {}) {
  const kernel = createKernel(options);
  const history = openHistoryStore(':memory:');
  t.after(() => history.close());
  const clock = fakeClock();
  const panes = new PaneStore();
  const context = createLiveContext(kernel, history, new Chalk({level: 0}), clock, panes);
  return {kernel, context, clock, panes};
}

type Settled = {state: 'pending'} | {state: 'resolved'} | {state: 'rejected'; error: unknown};

/** Watch a promise; read `.current` after flush() to see whether it has settled. */
function watch(promise: Promise<unknown>): {current: Settled} {
  const watcher: {current: Settled} = {current: {state: 'pending'}};
  promise.then(
    () => (watcher.current = {state: 'resolved'}),
    (error: unknown) => (watcher.current = {state: 'rejected', error}),
  );
  return watcher;
}

/** Let pending promise callbacks run (one turn of the event loop; no timers). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The ShellError a watched promise rejected with. */
function rejection(watcher: {current: Settled}): ShellError {
  const settled = watcher.current;
  assert.equal(settled.state, 'rejected');
  assert.ok(settled.state === 'rejected' && settled.error instanceof ShellError, String(settled));
  return settled.error;
}

const hasExited = (kernel: Kernel, pid: number) => () => {
  const state = kernel.process(pid)?.state;
  return state === 'zombie' || state === 'terminated';
};

async function command(context: LiveContext, line: string): Promise<Outcome> {
  const [parsed] = parseLine(line);
  assert.ok(parsed, line);
  return runCommand(parsed, context);
}

test('the live context carries the clock and panes it was given', (t) => {
  const {context, clock, panes} = setup(t);
  assert.equal(context.clock, clock);
  assert.equal(context.panes, panes);
});

test('block resolves at once when the wait is already over', async (t) => {
  const {context, kernel} = setup(t);
  await context.block(() => true, 'nothing');
  assert.equal(kernel.now, 0, 'no time passed');
});

test('block waits for the clock: it resolves on the tick that makes isDone hold', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'job', burst: 5});
  const waiting = watch(context.block(hasExited(kernel, pid), `pid ${pid} to exit`));
  await flush();
  assert.equal(waiting.current.state, 'pending');
  assert.equal(kernel.now, 0, 'block does not tick the kernel itself');
  for (let i = 0; i < 4; i++) kernel.tick();
  await flush();
  assert.equal(waiting.current.state, 'pending', 'still running at t=4');
  kernel.tick();
  await flush();
  assert.equal(waiting.current.state, 'resolved');
  assert.equal(kernel.now, 5);
});

test('block resolves when several ticks arrive in one batch', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'job', burst: 5});
  const waiting = watch(context.block(hasExited(kernel, pid), `pid ${pid} to exit`));
  kernel.tick(20);
  await flush();
  assert.equal(waiting.current.state, 'resolved');
});

test('block fails at once with ESTALL when nothing is left to run', async (t) => {
  const {context} = setup(t);
  const waiting = watch(context.block(() => false, 'the impossible'));
  await flush();
  const error = rejection(waiting);
  assert.equal(error.code, 'ESTALL');
  assert.match(error.message, /^Would wait forever for the impossible at t=0: nothing is left to run\.$/);
});

test('block fails at once with ESTALL when a process waits on a semaphore nobody will signal', async (t) => {
  const {context, kernel} = setup(t);
  kernel.semCreate('S', 0);
  const pid = kernel.spawn({name: 'consumer', program: 'sem wait S, cpu 1'});
  kernel.tick();
  assert.equal(kernel.process(pid)?.state, 'waiting');
  const waiting = watch(context.block(hasExited(kernel, pid), `pid ${pid} to exit`));
  await flush();
  const error = rejection(waiting);
  assert.equal(error.code, 'ESTALL');
  assert.match(error.message, /pid 2 to exit/);
  assert.match(error.message, /only the shell can provide: 2 on/);
});

test('block fails with ESTALL on the tick where the last runnable process blocks for good', async (t) => {
  const {context, kernel} = setup(t);
  kernel.semCreate('S', 0);
  const pid = kernel.spawn({name: 'consumer', program: 'cpu 3, sem wait S, cpu 1'});
  const waiting = watch(context.block(hasExited(kernel, pid), `pid ${pid} to exit`));
  kernel.tick(2);
  await flush();
  assert.equal(waiting.current.state, 'pending');
  kernel.tick();
  await flush();
  assert.equal(rejection(waiting).code, 'ESTALL');
  assert.equal(kernel.now, 3);
});

test('block fails with ESTALL when the process it waits for is stopped', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'job', burst: 50});
  kernel.tick();
  kernel.kill(pid, 'STOP');
  const waiting = watch(context.block(hasExited(kernel, pid), `pid ${pid} to exit`));
  await flush();
  const error = rejection(waiting);
  assert.equal(error.code, 'ESTALL');
  assert.match(error.message, /stopped: 2/);
});

test('block gives up with ETIMEDOUT once timeout ticks have passed', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'long', burst: 100});
  kernel.tick(10);
  const waiting = watch(context.block(hasExited(kernel, pid), `pid ${pid} to exit`, 5));
  kernel.tick(4);
  await flush();
  assert.equal(waiting.current.state, 'pending');
  kernel.tick();
  await flush();
  const error = rejection(waiting);
  assert.equal(error.code, 'ETIMEDOUT');
  assert.equal(error.message, 'Gave up waiting for pid 2 to exit after 5 ticks (t=15).');
});

test('interrupt makes a pending block reject with EINTR', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'long', burst: 100});
  kernel.tick(7);
  const waiting = watch(context.block(hasExited(kernel, pid), `pid ${pid} to exit`));
  await flush();
  context.interrupt();
  await flush();
  const error = rejection(waiting);
  assert.equal(error.code, 'EINTR');
  assert.equal(error.message, 'Interrupted at t=7.');
  assert.equal(context.session.interrupted, false, 'the interrupt was used up by the block');
});

test('a finished block stops watching the kernel', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'long', burst: 100});
  let looks = 0;
  const isDone = () => {
    looks++;
    return hasExited(kernel, pid)();
  };
  const waiting = watch(context.block(isDone, 'pid 2 to exit'));
  context.interrupt();
  await flush();
  assert.equal(waiting.current.state, 'rejected');
  const before = looks;
  kernel.tick(200);
  assert.equal(looks, before, 'isDone is not called after the block settled');
});

test('interrupt with no blocking command in flight marks the session for a tick loop', (t) => {
  const {context} = setup(t);
  context.interrupt();
  assert.equal(context.session.interrupted, true);
});

test('a second block after an interrupted one waits and resolves normally', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'job', burst: 3});
  const first = watch(context.block(hasExited(kernel, pid), 'pid 2 to exit'));
  context.interrupt();
  await flush();
  assert.equal(first.current.state, 'rejected');
  const second = watch(context.block(hasExited(kernel, pid), 'pid 2 to exit'));
  kernel.tick(3);
  await flush();
  assert.equal(second.current.state, 'resolved');
});

test('advance moves time at once, without the clock', async (t) => {
  const {context, kernel} = setup(t);
  const pid = kernel.spawn({name: 'job', burst: 10});
  await context.advance(4);
  assert.equal(kernel.now, 4);
  await context.advance(0);
  assert.equal(kernel.now, 4);
  await context.advance(6);
  assert.equal(kernel.process(pid)?.completion, 10);
});

test('advance runs long stretches in slices and arrives at the exact time', async (t) => {
  const {context, kernel} = setup(t);
  kernel.spawn({name: 'job', burst: 300_000});
  await context.advance(200_000);
  assert.equal(kernel.now, 200_000);
});

test('a long advance stops with EINTR when interrupted between slices', async (t) => {
  const {context, kernel} = setup(t);
  kernel.spawn({name: 'job', burst: 1_000_000});
  const advancing = watch(context.advance(1_000_000));
  context.interrupt(); // no block in flight: the slice loop sees session.interrupted
  await flush();
  await flush();
  const error = rejection(advancing);
  assert.equal(error.code, 'EINTR');
  assert.ok(kernel.now < 1_000_000, `stopped early at t=${kernel.now}`);
});

test('sem wait in the console waits for the clock and takes the unit a process signals', async (t) => {
  const {context, kernel} = setup(t);
  assert.ok((await command(context, 'sem create S 0')).ok);
  assert.ok((await command(context, "spawn poster --prog 'cpu 3, sem signal S, cpu 2'")).ok);
  const waiting = command(context, 'sem wait S');
  const outcome = watch(waiting);
  await flush();
  assert.equal(outcome.current.state, 'pending');
  kernel.tick(3);
  const result = await waiting;
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(linesOf(result), ['took S after 3 ticks']);
});

test('sem wait in the console takes a unit signalled by a process that then exits', async (t) => {
  // Taking the unit changes the kernel, which calls block's check again from inside isDone: by
  // then nothing can run, so that inner check must not fail the wait with ESTALL.
  const {context, kernel} = setup(t);
  await command(context, 'sem create S 0');
  await command(context, "spawn poster --prog 'cpu 3, sem signal S'");
  const waiting = command(context, 'sem wait S');
  kernel.tick(3);
  const outcome = await waiting;
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.deepEqual(linesOf(outcome), ['took S after 3 ticks']);
  assert.equal(kernel.semaphoreViews()[0]?.holders[0]?.pid, 0, 'the shell holds the unit');
});

test('mq recv in the console takes a message from a sender that then exits', async (t) => {
  // The same re-entrant check as sem wait: receiving changes the kernel from inside isDone.
  const {context, kernel} = setup(t);
  await command(context, 'mq create Q');
  await command(context, "spawn sender --prog 'cpu 3, mq send Q hello'");
  const waiting = command(context, 'mq recv Q');
  kernel.tick(3);
  const outcome = await waiting;
  assert.ok(outcome.ok, JSON.stringify(outcome));
  assert.deepEqual(linesOf(outcome), ['hello']);
});

test('sem wait in the console fails with ESTALL when nobody could signal', async (t) => {
  const {context} = setup(t);
  await command(context, 'sem create S 0');
  const outcome = await command(context, 'sem wait S');
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.code, 'ESTALL');
});

test('wait --timeout in the console fails with ETIMEDOUT after that many clock ticks', async (t) => {
  const {context, kernel} = setup(t);
  await command(context, 'spawn long --burst 100');
  const waiting = command(context, 'wait 2 --timeout 10');
  kernel.tick(10);
  const outcome = await waiting;
  assert.equal(!outcome.ok && outcome.code, 'ETIMEDOUT');
});

test('step in the console advances at once, whatever the clock is doing', async (t) => {
  const {context, kernel, clock} = setup(t);
  clock.pause();
  const outcome = await command(context, 'step 25');
  assert.ok(outcome.ok);
  assert.deepEqual(outcome.data, {time: 25});
  assert.equal(kernel.now, 25);
});

test('pause, resume and speed in the console drive the clock they were given', async (t) => {
  const {context, clock} = setup(t);
  assert.ok((await command(context, 'pause')).ok);
  assert.ok((await command(context, 'speed 50')).ok);
  assert.ok((await command(context, 'resume')).ok);
  assert.deepEqual(clock.calls, ['pause', 'setHz 50', 'resume']);
});

test('finished processes are recorded in the history store', async (t) => {
  const {context, kernel} = setup(t);
  kernel.spawn({name: 'job', burst: 2});
  await context.advance(5);
  assert.deepEqual(
    context.history.recent(10).map((row) => row.name),
    ['job'],
  );
});
