// The prompt controller reading a secret (a password) for a command: what is typed stays out of the
// drawn state, the output, the history and up-arrow recall; Esc and Ctrl-C cancel with EINTR; no
// other key binding fires meanwhile; keys typed ahead of the prompt become the secret. Keys are
// pressed on the controller directly, over the console's own parts with the clock paused.

import assert from 'node:assert/strict';
import {test, type TestContext} from 'node:test';
import {Chalk} from 'chalk';
import {createKernel} from '../../../src/kernel/index.js';
import {ShellError} from '../../../src/shell/errors.js';
import {openHistoryStore} from '../../../src/shell/history-store.js';
import {createConsoleParts} from '../../../src/shell/ui/console.js';
import {decodeInput} from '../../../src/shell/ui/keys.js';

const SECRET = 'hunter22';
const PROMPT = 'Password for alice: ';

function setup(t: TestContext) {
  const kernel = createKernel();
  const history = openHistoryStore(':memory:');
  const parts = createConsoleParts({kernel, history, style: new Chalk({level: 0}), hz: 10, isPaused: true});
  t.after(() => {
    parts.clock.stop();
    history.close();
  });
  const {prompt, context} = parts;
  assert.ok(context.readSecret, 'the console context reads secrets');
  return {
    ...parts,
    kernel,
    history,
    readSecret: context.readSecret,
    /** Press keys as the terminal sends them: '\r' Enter, '\u001B' Esc, '\u001B[A' Up. */
    press(...sequences: string[]) {
      for (const sequence of sequences) for (const key of decodeInput(sequence)) void prompt.press(key);
    },
    /** Every row of output as text. */
    output: () =>
      parts.scrollback
        .getState()
        .rows.map((row) => (row.kind === 'text' ? row.text : JSON.stringify(row.table)))
        .join('\n'),
  };
}

test('the prompt line shows the secret prompt and nothing typed; Enter gives the secret to the command', async (t) => {
  const {prompt, readSecret, press, output} = setup(t);
  const reading = readSecret(PROMPT);
  assert.equal(prompt.getState().secretPrompt, PROMPT);
  press(...SECRET.slice(0, 4), SECRET.slice(4)); // typed, then the rest pasted
  assert.doesNotMatch(JSON.stringify(prompt.getState()), /hunt|er22/);
  assert.deepEqual(prompt.getState().line, {text: '', cursor: 0});
  press('\r');
  assert.equal(await reading, SECRET);
  assert.equal(prompt.getState().secretPrompt, undefined);
  assert.match(output(), /^Password for alice:$/m, 'the transcript keeps the prompt');
  assert.doesNotMatch(output(), /hunt|er22/);
});

test('Backspace edits the secret before Enter', async (t) => {
  const {readSecret, press} = setup(t);
  const reading = readSecret(PROMPT);
  press('hunter2x', '\u007F', '2', '\r');
  assert.equal(await reading, SECRET);
});

test('the secret is never in the history, up-arrow recall or the output', async (t) => {
  const {prompt, readSecret, press, output, history} = setup(t);
  await prompt.submit('echo before');
  const reading = readSecret(PROMPT);
  press(SECRET, '\r');
  await reading;
  press('\u001B[A');
  assert.equal(prompt.getState().line.text, 'echo before');
  press('\u001B[A');
  assert.equal(prompt.getState().line.text, 'echo before', 'nothing older to recall');
  assert.deepEqual(history.lines(100), ['echo before']);
  assert.doesNotMatch(output(), /hunt|er22/);
});

test('Esc cancels the entry with EINTR, and the prompt then edits and runs lines again', async (t) => {
  const {prompt, readSecret, press, output} = setup(t);
  const reading = readSecret(PROMPT);
  press('hunter', '\u001B');
  await assert.rejects(reading, (error: unknown) => {
    assert.ok(error instanceof ShellError);
    assert.equal(error.code, 'EINTR');
    assert.equal(error.message, 'Password entry cancelled.');
    return true;
  });
  assert.equal(prompt.getState().secretPrompt, undefined);
  assert.match(output(), /^Password for alice: \^C$/m);
  assert.doesNotMatch(output(), /hunter/);
  press('echo after');
  assert.equal(prompt.getState().line.text, 'echo after');
  press('\r');
  await new Promise((resolve) => setImmediate(resolve));
  assert.match(output(), /^after$/m);
});

test('Ctrl-C cancels the entry too', async (t) => {
  const {readSecret, press} = setup(t);
  const reading = readSecret(PROMPT);
  press('hun', '\u0003');
  await assert.rejects(reading, {code: 'EINTR'});
});

test('while a secret is read, F-keys, Alt+digit, Tab, Up, PgUp and Ctrl-L do nothing', async (t) => {
  const {prompt, panes, clock, scrollback, readSecret, press} = setup(t);
  const reading = readSecret(PROMPT);
  const before = {panes: panes.state, isRunning: clock.isRunning, rows: scrollback.getState().rows.length};
  // F1, F2, F5, F9, Alt+1, Tab, Up, PgUp, Ctrl-L, Ctrl-D on a typed secret
  press('p', '\u001BOP', '\u001BOQ', '\u001B[15~', '\u001B[20~', '\u001B1', '\t', '\u001B[A');
  press('\u001B[5~', '\u000C', '\u0004', 'w', '\r');
  assert.equal(await reading, 'pw');
  assert.deepEqual(panes.state, before.panes);
  assert.equal(clock.isRunning, before.isRunning);
  assert.equal(scrollback.getState().rows.length, before.rows + 1, 'only the prompt was added');
  assert.equal(prompt.getState().line.text, '');
});

test('keys typed ahead of the prompt become the secret and are never run as a command', async (t) => {
  const {prompt, kernel, readSecret, press, output, history} = setup(t);
  await prompt.submit('spawn job --burst 2');
  const running = prompt.submit('wait all'); // waits for the paused clock
  assert.equal(prompt.getState().busy, 'wait all');
  press(SECRET, '\r', 'echo next\r'); // typed before any prompt asked
  assert.equal(await readSecret(PROMPT), SECRET);
  kernel.tick(2); // the wait ends, and the line typed after the secret runs in turn
  await running;
  assert.match(output(), /^p2pos> echo next\nnext$/m);
  assert.deepEqual(history.lines(100), ['spawn job --burst 2', 'wait all', 'echo next']);
  assert.doesNotMatch(output(), /hunt|er22/);
});

test('a second secret cannot be read while one is open', async (t) => {
  const {readSecret, press} = setup(t);
  const first = readSecret(PROMPT);
  await assert.rejects(readSecret('Again: '), {code: 'EUSAGE'});
  press('pw\r');
  assert.equal(await first, 'pw');
});

test('an inline --password is warned about in the output, before the error of a login that failed', async (t) => {
  const {prompt, output} = setup(t);
  await prompt.submit('login alice --password hunter2hunter2'); // no network here: it fails
  const lines = output().split('\n');
  const warning = lines.findIndex((line) => line.startsWith('warning: --password is visible'));
  assert.ok(warning > 0, output());
  assert.ok(lines.findIndex((line) => line.startsWith('error: ')) > warning, output());
});

test('a line with a password given inline is recalled in this session but never saved to history', async (t) => {
  const {prompt, press, history} = setup(t);
  await prompt.submit('echo before');
  // offline, login fails; the line was typed all the same
  await prompt.submit(`login alice --password ${SECRET}`);
  await prompt.submit(`passwd --new-password=${SECRET}; echo after`);
  press('\u001B[A');
  assert.equal(prompt.getState().line.text, `passwd --new-password=${SECRET}; echo after`);
  assert.deepEqual(history.lines(100), ['echo before']);
  await prompt.submit('echo --password is only text to echo');
  assert.deepEqual(history.lines(100), ['echo before', 'echo --password is only text to echo']);
});
