// pause, resume, speed and step through the command runner: without a clock (script mode) the
// first three fail with ENOTTY and step advances virtual time; with a clock (the console's,
// faked here) they drive it, and speed checks its rate against 1..MAX_CLOCK_HZ.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {MAX_CLOCK_HZ, type Context} from '../../../src/shell/command.js';
import {fakeClock, type FakeClock} from '../../support/fake-clock.js';
import {createTestContext, kernelState, run, runFails, runOk, linesOf} from '../../support/shell-context.js';

/** A test context with the console's clock, faked. */
function withClock(options: {hz?: number; isRunning?: boolean} = {}): {context: Context; clock: FakeClock} {
  const clock = fakeClock(options);
  return {context: {...createTestContext(), clock}, clock};
}

// --- script mode -------------------------------------------------------------------------------

test('pause, resume and speed fail with ENOTTY in a script', async () => {
  const context = createTestContext();
  for (const line of ['pause', 'resume', 'speed', 'speed 100']) {
    const message = await runFails(context, line, 'ENOTTY');
    const name = line.split(' ')[0]!;
    assert.equal(
      message,
      `\`${name}\` controls the console's real-time clock; in a script time moves only with tick, step and wait.`,
    );
  }
});

test('a failed pause in a script leaves the kernel untouched', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 5; tick 2');
  const before = kernelState(context);
  await runFails(context, 'pause', 'ENOTTY');
  assert.deepEqual(kernelState(context), before);
});

test('step advances one tick by default and prints the time', async () => {
  const context = createTestContext();
  assert.deepEqual(await runOk(context, 'step'), {lines: ['t=1'], data: {time: 1}});
  assert.equal(context.kernel.now, 1);
});

test('step N advances N ticks', async () => {
  const context = createTestContext();
  assert.deepEqual((await runOk(context, 'step 10')).data, {time: 10});
  assert.deepEqual(await runOk(context, 'step 5'), {lines: ['t=15'], data: {time: 15}});
  assert.equal(context.kernel.now, 15);
});

test('step 0 leaves the time where it is', async () => {
  const context = createTestContext();
  await runOk(context, 'step 3');
  assert.deepEqual((await runOk(context, 'step 0')).data, {time: 3});
});

test('step runs the processes as tick does', async () => {
  const stepped = createTestContext();
  const ticked = createTestContext();
  for (const context of [stepped, ticked]) await runOk(context, 'spawn a --burst 3; spawn b --burst 4');
  await runOk(stepped, 'step 5');
  await runOk(ticked, 'tick 5');
  assert.deepEqual(kernelState(stepped), kernelState(ticked));
});

test('step with a bad count fails with EUSAGE and leaves the time alone', async () => {
  const context = createTestContext();
  for (const count of ['x', '-1', '1.5', '2e3x']) {
    const message = await runFails(context, `step ${count}`, 'EUSAGE');
    assert.match(
      message,
      new RegExp(`^Bad tick count \`${count.replace('.', '\\.')}\`: expected a whole number`),
    );
    assert.match(message, /Usage: step \[N\]$/);
  }
  await runFails(context, 'step 1 2', 'EUSAGE');
  assert.equal(context.kernel.now, 0);
});

test('pause and resume take no arguments', async () => {
  const {context, clock} = withClock();
  assert.match(await runFails(context, 'pause now', 'EUSAGE'), /^Too many arguments: `now`\./);
  assert.match(await runFails(context, 'resume 2', 'EUSAGE'), /^Too many arguments: `2`\./);
  assert.deepEqual(clock.calls, []);
});

// --- with the console's clock ------------------------------------------------------------------

test('pause stops the clock and reports it paused', async () => {
  const {context, clock} = withClock();
  assert.deepEqual(await runOk(context, 'pause'), {
    lines: ['clock paused at 10 Hz, t=0'],
    data: {running: false, hz: 10, time: 0},
  });
  assert.deepEqual(clock.calls, ['pause']);
  assert.equal(clock.isRunning, false);
});

test('resume starts the clock and reports it running', async () => {
  const {context, clock} = withClock({isRunning: false});
  assert.deepEqual(await runOk(context, 'resume'), {
    lines: ['clock running at 10 Hz, t=0'],
    data: {running: true, hz: 10, time: 0},
  });
  assert.deepEqual(clock.calls, ['resume']);
});

test('the clock line shows the current virtual time', async () => {
  const {context} = withClock();
  await runOk(context, 'step 42');
  assert.deepEqual((await runOk(context, 'pause')).lines, ['clock paused at 10 Hz, t=42']);
});

test('speed with no rate shows the clock without changing it', async () => {
  const {context, clock} = withClock({hz: 25});
  assert.deepEqual(await runOk(context, 'speed'), {
    lines: ['clock running at 25 Hz, t=0'],
    data: {running: true, hz: 25, time: 0},
  });
  assert.deepEqual(clock.calls, []);
});

test('speed HZ sets the rate', async () => {
  const {context, clock} = withClock();
  assert.deepEqual(await runOk(context, 'speed 250'), {
    lines: ['clock running at 250 Hz, t=0'],
    data: {running: true, hz: 250, time: 0},
  });
  assert.deepEqual(clock.calls, ['setHz 250']);
});

test('speed accepts the whole range from 1 to MAX_CLOCK_HZ', async () => {
  const {context, clock} = withClock();
  await runOk(context, 'speed 1');
  await runOk(context, `speed ${MAX_CLOCK_HZ}`);
  assert.deepEqual(clock.calls, ['setHz 1', `setHz ${MAX_CLOCK_HZ}`]);
  assert.equal(clock.hz, MAX_CLOCK_HZ);
});

test('speed outside 1..MAX_CLOCK_HZ fails with EUSAGE naming the range, and leaves the clock alone', async () => {
  const {context, clock} = withClock();
  for (const rate of ['0', String(MAX_CLOCK_HZ + 1), 'fast', '-5', '2.5']) {
    const message = await runFails(context, `speed ${rate}`, 'EUSAGE');
    assert.ok(
      message.startsWith(`Bad rate in Hz \`${rate}\`: expected a whole number from 1 to ${MAX_CLOCK_HZ}.`),
      message,
    );
  }
  await runFails(context, 'speed 10 20', 'EUSAGE');
  assert.deepEqual(clock.calls, []);
  assert.equal(clock.hz, 10);
});

test('speed on a paused clock changes the rate and keeps it paused', async () => {
  const {context, clock} = withClock({isRunning: false});
  assert.deepEqual((await runOk(context, 'speed 40')).lines, ['clock paused at 40 Hz, t=0']);
  assert.equal(clock.isRunning, false);
});

test('step advances at once with the clock paused, and leaves the clock paused', async () => {
  const {context, clock} = withClock();
  await runOk(context, 'pause');
  assert.deepEqual((await runOk(context, 'step 7')).data, {time: 7});
  assert.equal(context.kernel.now, 7);
  assert.deepEqual(clock.calls, ['pause']);
});

test('a line of clock commands runs in order', async () => {
  const {context, clock} = withClock();
  const outcome = await run(context, 'pause; speed 500; step 3; resume');
  assert.ok(outcome.ok);
  assert.deepEqual(linesOf(outcome), ['clock running at 500 Hz, t=3']);
  assert.deepEqual(clock.calls, ['pause', 'setHz 500', 'resume']);
});
