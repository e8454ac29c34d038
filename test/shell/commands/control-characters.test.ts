// Control characters through the shell: every argument but free text refuses them (EUSAGE), so no
// name the kernel stores can hold one; free text (echo, mq messages) keeps them in its data and
// shows them written out; table cells are written out too, so columns stay aligned.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createKernel, KernelError} from '../../../src/kernel/index.js';
import {tableBlock} from '../../../src/shell/format.js';
import {createTestContext, kernelState, runFails, runOk} from '../../support/shell-context.js';

test('a name with a control character is refused with EUSAGE naming it, for every kind of name', async () => {
  const context = createTestContext();
  await runOk(context, 'spawn p --burst 5 --group g; sem create s; mq create q; res create R 2');
  const before = kernelState(context);
  for (const line of [
    'spawn a\x1b[31mX',
    'spawn b\x07c',
    'spawn ok --group g\x1b',
    "spawn ok --prog 'sem wait s\x1b'",
    'sem create s\x1b',
    'sem wait s\x1b',
    'mq create q\x9b',
    'mq send q\x1b hello',
    'res create R\x7f 2',
    'res claim 2 R\x1b=1',
    'kill -g g\x1b',
    'nice 2 1\x1b',
  ]) {
    const message = await runFails(context, line, 'EUSAGE');
    assert.match(
      message,
      /`[^`]*\\x(1b|07|9b|7f)[^`]*` holds a control character \(\\x(1b|07|9b|7f)\); names and other arguments cannot\. Usage: /,
      line,
    );
    assert.doesNotMatch(message, /[\x00-\x1f\x7f-\x9f]/, 'the message itself holds none');
  }
  assert.deepEqual(kernelState(context), before, 'nothing was created or changed');
});

test('echo and mq messages keep control characters in their data and show them written out', async () => {
  const context = createTestContext();
  assert.deepEqual(await runOk(context, 'echo bell\x07 red\x1b[31m'), {
    lines: ['bell\\x07 red\\x1b[31m'],
    data: {text: 'bell\x07 red\x1b[31m'},
  });
  await runOk(context, 'mq create q');
  await runOk(context, 'mq send q clear\x1b[2J screen');
  const received = await runOk(context, 'mq recv q');
  assert.deepEqual(received.lines, ['clear\\x1b[2J screen']);
  assert.equal((received.data.message as {text: string}).text, 'clear\x1b[2J screen');
});

test('the kernel refuses a process name with a control character too (a task from a peer)', () => {
  const kernel = createKernel();
  assert.throws(
    () => kernel.spawn({name: 'a\x1b[41m', burst: 1}),
    (error: unknown) => error instanceof KernelError && error.code === 'EINVAL',
  );
});

test('a table cell shows control characters written out, so widths hold', () => {
  const block = tableBlock([{name: 'a\x1bb'}], [{header: 'NAME', value: (row) => row.name}]);
  assert.equal(block.rows[0]![0]!.text, 'a\\x1bb');
});
