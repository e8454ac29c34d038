// The script context: blocking commands run the clock, stop when stuck, time out, or are interrupted.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createTestContext, run, runFails, runOk} from '../support/shell-context.js';

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

test(
  'a wait skips a stretch in which nothing can happen, as tick does, with the same outcome',
  {timeout: 20_000},
  async () => {
    // Ticked one at a time, these 900 million idle ticks took over a minute.
    const spawns = "spawn late --arrive 900000000 --burst 2; spawn sleeper --prog 'io 500000000, cpu 1'";
    const waited = createTestContext();
    await runOk(waited, spawns);
    assert.deepEqual((await runOk(waited, 'wait all --timeout 1000000000')).data, {
      time: 900_000_002,
      waited: 900_000_002,
    });
    const ticked = createTestContext();
    await runOk(ticked, `${spawns}; tick 900000002`);
    for (const command of ['sched gantt', 'sched stats', 'ps -a'])
      assert.deepEqual((await runOk(waited, command)).lines, (await runOk(ticked, command)).lines, command);
    const message = await runFails(waited, "spawn again --prog 'io 100'; wait all --timeout 50", 'ETIMEDOUT');
    assert.match(message, /after 50 ticks \(t=900000052\)/);
  },
);
