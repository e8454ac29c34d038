// kill in script mode: signals by name or by number, and the usage errors.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createTestContext, kernelState, run, runFails, runOk} from '../../support/shell-context.js';

test('kill takes the usual signal numbers as well as names', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 50; spawn b --burst 50; spawn c --burst 50');
  assert.deepEqual((await runOk(context, 'kill -19 3')).lines, ['stopped 3']);
  assert.deepEqual((await runOk(context, 'kill -18 3')).lines, ['continued 3']);
  assert.deepEqual((await runOk(context, 'kill -9 2')).data, {signal: 'KILL', pids: [2], group: null});
  assert.deepEqual((await runOk(context, 'kill -15 3')).data, {signal: 'TERM', pids: [3], group: null});
  assert.deepEqual((await runOk(context, 'kill -SIGKILL 4')).data, {signal: 'KILL', pids: [4], group: null});
});

test('kill names an unknown signal number instead of taking it for a pid', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 50');
  const outcome = await run(context, 'kill -3 2');
  assert.equal(outcome.ok, false);
  assert.match(outcome.ok ? '' : outcome.error, /Unknown signal `3`/);
});

test('kill refuses a signal or a group given twice instead of taking the last', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn a --burst 50 --group g');
  const before = kernelState(context);
  for (const [line, message] of [
    ['kill -TERM -KILL 2', /^Signal given twice: `-TERM` and `-KILL`\. Usage: kill/],
    ['kill -9 -SIGKILL 2', /^Signal given twice: `-9` and `-SIGKILL`\./],
    ['kill -STOP -g g -g g', /^Option -g given twice\./],
    ['kill -g g --group g', /^Option --group given twice\./],
  ] as const)
    assert.match(await runFails(context, line, 'EUSAGE'), message, line);
  assert.deepEqual(kernelState(context), before, 'nothing was signalled');
});

test('a TERM to a stopped process is held until CONT, as POSIX holds it; KILL ends it at once', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn A --burst 5; spawn C --burst 5 --parent 2; tick 1; kill -STOP 2');
  assert.deepEqual((await runOk(context, 'kill -TERM 2')).lines, [
    'TERM held for stopped 2 until CONT (`kill -CONT PID`); `kill -KILL PID` ends it now',
  ]);
  assert.equal(context.kernel.process(2)!.state, 'waiting', 'still there, stopped');
  assert.deepEqual((await runOk(context, 'kill -TERM 2')).lines, ['nothing to do (already holding a TERM)']);
  assert.deepEqual((await runOk(context, 'kill -CONT 2')).lines, [
    'continued 2',
    'the TERM held then terminated 2 and 3',
  ]);
  assert.equal(context.kernel.process(2)!.exitStatus, 143);
  await runOk(context, 'spawn B --burst 5; kill -STOP 4');
  assert.deepEqual((await runOk(context, 'kill -KILL 4')).lines, ['killed 4']);
});
