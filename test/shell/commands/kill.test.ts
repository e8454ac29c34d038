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
