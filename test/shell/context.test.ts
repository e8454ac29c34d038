// The script context: blocking commands run the clock, stop when stuck, time out, or are interrupted.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createTestContext, run, runFails} from '../support/shell-context.js';

test('an interrupted wait stops with EINTR and leaves the kernel running', async () => {
  const context = createTestContext();
  await run(context, 'spawn long --burst 10000000');
  context.session.interrupted = true;
  const message = await runFails(context, 'wait all --timeout 5000000', 'EINTR');
  assert.match(message, /^Interrupted at t=\d+\.$/);
  assert.equal(context.session.interrupted, false, 'the flag is cleared once it has stopped a command');
  assert.ok(context.kernel.now > 0 && context.kernel.now < 10_000_000);
  assert.equal(context.kernel.process(2)!.state, 'running');
});

test('an interrupted tick stops at a slice boundary', async () => {
  const context = createTestContext();
  context.session.interrupted = true;
  await runFails(context, 'tick 1000000', 'EINTR');
  assert.equal(context.kernel.now, 65_536);
});

test('a wait that can never end fails with ESTALL and names the deadlock', async () => {
  const context = createTestContext({scheduler: 'rr', schedulerOptions: {quantum: 1}});
  await run(
    context,
    "sem create A; sem create B; spawn l --prog 'sem wait A, cpu 2, sem wait B'; spawn r --prog 'sem wait B, cpu 2, sem wait A'",
  );
  const message = await runFails(context, 'wait all', 'ESTALL');
  assert.match(message, /pids 2 and 3 deadlocked/);
});

test('wait --timeout gives up after that many ticks', async () => {
  const context = createTestContext();
  await run(context, 'spawn long --burst 100');
  const message = await runFails(context, 'wait 2 --timeout 10', 'ETIMEDOUT');
  assert.match(message, /after 10 ticks \(t=10\)/);
});
