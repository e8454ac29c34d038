// The whole console in ink-testing-library: the prompt, the panes and the output react to typed
// keys. The clock starts paused so time moves only by `step`; waits poll the frame under a deadline.

import assert from 'node:assert/strict';
import {afterEach, test} from 'node:test';
import {Chalk} from 'chalk';
import {cleanup, render} from 'ink-testing-library';
import React from 'react';
import {createKernel} from '../../../src/kernel/index.js';
import {openHistoryStore, type HistoryStore} from '../../../src/shell/history-store.js';
import {App} from '../../../src/shell/ui/app.js';
import {createConsoleParts} from '../../../src/shell/ui/console.js';
import type {NetAccess} from '../../../src/shell/net-access.js';
import {transfer} from './downloads-fixture.js';

const DEADLINE_MS = 5_000;
const ENTER = '\r';

afterEach(() => cleanup());

function mount(history: HistoryStore = openHistoryStore(':memory:'), net?: NetAccess) {
  const kernel = createKernel();
  const parts = createConsoleParts({
    kernel,
    history,
    style: new Chalk({level: 0}),
    hz: 10,
    isPaused: true,
    net,
  });
  let exitStatus: number | undefined;
  parts.onExit((status) => (exitStatus = status));
  const view = render(<App {...parts} />);
  const frame = () => view.lastFrame() ?? '';
  return {
    kernel,
    parts,
    frame,
    history,
    exitStatus: () => exitStatus,
    /** Press keys one sequence at a time, as a terminal sends them. */
    async press(...sequences: string[]) {
      for (const sequence of sequences) {
        view.stdin.write(sequence);
        await settle();
      }
    },
    /** Type a line and press Enter; resolves when the command has finished. */
    async enter(line: string) {
      for (const char of line) view.stdin.write(char);
      view.stdin.write(ENTER);
      await until(() => parts.prompt.getState().busy === undefined, `\`${line}\` to finish`, frame);
      await settle();
    },
    async waitFor(text: string | RegExp) {
      await until(
        () => (typeof text === 'string' ? frame().includes(text) : text.test(frame())),
        `${text} on screen`,
        frame,
      );
    },
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function until(condition: () => boolean, what: string, frame: () => string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}. Screen:\n${frame()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('the first frame shows the status line, the three panes, the prompt and the keys', async () => {
  const {frame, waitFor} = mount();
  await waitFor('p2pos>');
  const screen = frame();
  assert.match(screen, /paused/);
  assert.match(screen, /t=0/);
  assert.match(screen, /Scheduler/);
  assert.match(screen, /Top/);
  assert.match(screen, /Block map/);
  assert.match(screen, /F1/);
  assert.match(screen, /Type `help`/);
});

test('a typed command runs, its output scrolls in and the panes show the new process', async () => {
  const {enter, frame, waitFor} = mount();
  await enter('spawn editor --burst 5');
  await waitFor('editor');
  assert.match(frame(), /p2pos> spawn editor --burst 5/);
  await enter('step 2');
  await waitFor('t=2');
  assert.match(frame(), /editor/);
});

test('ps output is drawn as an aligned table', async () => {
  const {enter, frame, waitFor} = mount();
  await enter('spawn a --burst 5; spawn bb --burst 3; ps');
  await waitFor(/PID\s+PPID\s+NAME[\s\S]*\bbb\b/);
  const lines = frame().split('\n');
  const headerIndex = lines.findIndex((line) => /PID\s+PPID\s+NAME\s+STATE/.test(line));
  const header = lines[headerIndex];
  assert.ok(header, frame());
  const row = lines.slice(headerIndex + 1).find((line) => /\bbb\b/.test(line));
  assert.ok(row, frame());
  assert.equal(row.indexOf('bb'), header.indexOf('NAME'));
});

test('malloc changes the block map', async () => {
  const {enter, frame, waitFor} = mount();
  await waitFor('Block map');
  const before = frame();
  await enter('malloc 512K');
  await waitFor(/50(\.\d)?%|512/);
  assert.notEqual(frame(), before);
});

test('errors are reported and the console keeps going', async () => {
  const {enter, frame, waitFor} = mount();
  await enter('kill 99');
  await waitFor('error:');
  await enter('spawn ok --burst 1');
  await waitFor('ok');
  assert.match(frame(), /p2pos>/);
});

test('up-arrow recalls earlier lines, including those of an earlier session', async () => {
  const history = openHistoryStore(':memory:');
  history.addLine('sched rr --quantum 2');
  const {enter, press, parts} = mount(history);
  await enter('spawn a --burst 2');
  await press('\u001B[A');
  assert.equal(parts.prompt.getState().line.text, 'spawn a --burst 2');
  await press('\u001B[A');
  assert.equal(parts.prompt.getState().line.text, 'sched rr --quantum 2');
  await press('\u001B[B', '\u001B[B');
  assert.equal(parts.prompt.getState().line.text, '');
  assert.deepEqual(history.lines(10), ['sched rr --quantum 2', 'spawn a --burst 2']);
});

test('Tab completes a command name and then a pid', async () => {
  const {enter, press, parts} = mount();
  await enter('spawn a --burst 50');
  await press('s', 'p', 'a', '\t');
  assert.equal(parts.prompt.getState().line.text, 'spawn ');
  await press('\u0015', 'k', 'i', 'l', '\t', '\t');
  assert.equal(parts.prompt.getState().line.text, 'kill ');
});

test('Ctrl-C stops a blocking wait without stopping the kernel, and clears a half-typed line', async () => {
  const {enter, press, parts, frame, waitFor, kernel} = mount();
  await enter('spawn a --burst 1000');
  for (const char of 'wait all') await press(char);
  await press(ENTER);
  assert.equal(parts.prompt.getState().busy, 'wait all');
  await waitFor('Ctrl-C stops it');
  await press('\u0003');
  await waitFor('Interrupted');
  assert.equal(parts.prompt.getState().busy, undefined);
  assert.ok(kernel.process(2), 'the process is still there');
  await press('p', 's', '\u0003');
  assert.equal(parts.prompt.getState().line.text, '');
  assert.match(frame(), /p2pos> ps\^C/);
});

test('F-keys and the pane command show, hide and focus panes', async () => {
  const {enter, press, parts, frame, waitFor} = mount();
  await waitFor('Scheduler');
  await press('\u001BOQ'); // F2
  assert.equal(parts.panes.state.visible.sched, false);
  assert.doesNotMatch(frame(), /Scheduler/);
  await press('\u001B1'); // Alt+1 focuses (and shows) it again
  assert.equal(parts.panes.state.focus, 'sched');
  await waitFor('Scheduler');
  await enter('pane hide top');
  assert.equal(parts.panes.state.visible.top, false);
  await enter('pane sort mem');
  assert.equal(parts.panes.state.sort, 'mem');
});

test('PgUp in a focused pane moves it at once after PgDn went past its last row', async () => {
  const {enter, press, parts, frame, waitFor} = mount();
  await waitFor('Top');
  await enter(Array.from({length: 30}, (_, i) => `spawn p${i} --burst 50`).join('; '));
  await press('\u001B3'); // Alt+3 focuses top
  await waitFor(/rows 1-\d+ of 30/);
  const pageDown = '\u001B[6~';
  await press(...Array.from({length: 20}, () => pageDown));
  await waitFor(/rows \d+-30 of 30/);
  const atEnd = /rows (\d+)-30 of 30/.exec(frame())![1];
  await press('\u001B[5~'); // PgUp
  const after = /rows (\d+)-(\d+) of 30/.exec(frame());
  assert.ok(after && Number(after[1]) < Number(atEnd), `PgUp moved the table up:\n${frame()}`);
  assert.equal(parts.panes.state.scroll.top, Number(after[1]) - 1);
});

test('PgDn pages the top pane by the rows it shows, less one kept for context', async () => {
  const {enter, press, frame, waitFor} = mount();
  await waitFor('Top');
  await enter(Array.from({length: 40}, (_, i) => `spawn q${i + 1} --burst 1000`).join('; '));
  await enter('step 30');
  await press('\u001B3'); // Alt+3
  const hint = () => /rows (\d+)-(\d+) of 40/.exec(frame())!.slice(1).map(Number) as [number, number];
  await waitFor(/rows 1-\d+ of 40/);
  const pages = [hint()];
  for (let i = 0; i < 3; i++) {
    await press('\u001B[6~'); // PgDn
    pages.push(hint());
  }
  for (let i = 1; i < pages.length; i++)
    assert.equal(
      pages[i]![0],
      pages[i - 1]![1],
      `page ${i + 1} starts on the last row of page ${i}: ${pages.join(' ')}`,
    );
  // and what the hint counts is what is drawn: the first pid listed is the first row named
  const shownPids = frame()
    .split('\n')
    .map((line) => /[│║]\s*(\d+) {2}q\d+\s+(?:READY|RUNNING)\s/.exec(line)?.[1])
    .filter((pid) => pid !== undefined)
    .map(Number);
  const [from, to] = pages.at(-1)!;
  assert.equal(shownPids.length, to - from + 1, frame());
  assert.equal(shownPids[0], from + 1, 'pid n + 1 is row n (sorted by cpu, all but the first at 0)');
});

test('PgDn pages the scheduler pane by the lines it shows, less one kept for context', async () => {
  const {enter, press, frame, waitFor} = mount();
  await waitFor('Scheduler');
  await enter(Array.from({length: 80}, (_, i) => `spawn q${i + 1} --burst 1000`).join('; '));
  await enter('step 1');
  await press('\u001B1'); // Alt+1
  const lists = () =>
    frame()
      .split('\n')
      .map((line) => line.slice(1, line.indexOf('│', 1)))
      .filter((line) => /→/.test(line));
  const before = lists();
  await press('\u001B[6~'); // PgDn
  const after = lists();
  assert.ok(before.length > 1, frame());
  // the last line's "+N more" gives way to the items it counted once there is a line below it
  const firstItem = (line: string | undefined) => line?.replace(/^(ready)?\s*/, '').split(' → ')[0];
  assert.equal(
    firstItem(after[0]),
    firstItem(before.at(-1)),
    `${before.join('\n')}\n--\n${after.join('\n')}`,
  );
});

test('PgDn pages the downloads pane by the transfers it lists, less one kept for context', async () => {
  const transfers = Array.from({length: 10}, (_, i) => transfer(i + 1, {state: 'paused'}));
  const sharing = {downloads: () => transfers, running: () => undefined};
  const net = {config: {offline: true}, current: () => ({sharing})} as unknown as NetAccess;
  const {press, frame, waitFor} = mount(openHistoryStore(':memory:'), net);
  await press('\u001B[20~', '\u001B4'); // F9, Alt+4
  await waitFor('Downloads');
  const listed = () => [...frame().matchAll(/file-(\d+)\.bin/g)].map((match) => Number(match[1]));
  const before = listed();
  await press('\u001B[6~'); // PgDn
  const after = listed();
  assert.ok(before.length > 1, frame());
  assert.equal(after[0], before.at(-1), `${before.join(' ')} then ${after.join(' ')}`);
});

test('PgUp pages the output by the rows it shows, less one kept for context', async () => {
  const {enter, press, frame, waitFor} = mount();
  await waitFor('p2pos>');
  await enter(Array.from({length: 60}, (_, i) => `echo line${i + 1}`).join('; '));
  const shown = () => [...frame().matchAll(/^line(\d+)$/gm)].map((match) => Number(match[1]));
  const views = [shown()];
  for (let i = 0; i < 3; i++) {
    await press('\u001B[5~'); // PgUp
    views.push(shown());
  }
  for (let i = 1; i < views.length; i++)
    assert.equal(views[i]!.at(-1), views[i - 1]![0], views.map((view) => view.join(' ')).join('\n'));
});

test('PgUp on the output stops with the oldest line at the top, so PgDn comes back at once', async () => {
  const {enter, press, parts, frame, waitFor} = mount();
  await waitFor('p2pos>');
  await enter('help');
  const rows = parts.scrollback.getState().rows.length;
  await press(...Array.from({length: 30}, () => '\u001B[5~')); // PgUp
  await waitFor('p2pos: a teaching kernel');
  const {offset} = parts.scrollback.getState();
  // the oldest line right under the panes, no blank rows above it
  const lines = frame().split('\n');
  const under = lines[lines.findIndex((line) => line.includes('part free')) + 2];
  assert.match(under ?? '', /^p2pos: a teaching kernel/, `stopped at ${offset} of ${rows} rows:\n${frame()}`);
  await press('\u001B[6~'); // PgDn
  assert.ok(parts.scrollback.getState().offset < offset, 'PgDn moved at once');
});

test('F5 pauses and resumes the clock; speed changes its rate', async () => {
  const {press, enter, parts, waitFor} = mount();
  await press('\u001B[15~');
  assert.equal(parts.clock.isRunning, true);
  await waitFor('10 Hz');
  await press('\u001B[15~');
  assert.equal(parts.clock.isRunning, false);
  await enter('speed 40');
  assert.equal(parts.clock.hz, 40);
  await waitFor('40 Hz');
});

test('exit and Ctrl-D leave with a status', async () => {
  const first = mount();
  await first.enter('exit 3');
  assert.equal(first.exitStatus(), 3);
  const second = mount();
  await second.press('\u0004');
  assert.equal(second.exitStatus(), 0);
});

test('a pasted block of lines runs every line, in order', async () => {
  const {press, parts, frame, waitFor} = mount();
  await press('echo one\recho two\recho three\r');
  await waitFor('three');
  await until(() => parts.prompt.getState().busy === undefined, 'the paste to finish', frame);
  const screen = frame();
  assert.ok(
    screen.indexOf('one') < screen.indexOf('two') && screen.indexOf('two') < screen.indexOf('three'),
    screen,
  );
});

test('keys typed while a command runs wait for it, and Ctrl-C throws them away', async () => {
  const {press, enter, parts, frame, waitFor} = mount();
  await enter('spawn a --burst 1000');
  await press('w', 'a', 'i', 't', ' ', 'a', 'l', 'l', ENTER);
  await press('p', 's', ENTER); // typed ahead: runs after the wait
  assert.equal(parts.prompt.getState().busy, 'wait all');
  await press('\u0003');
  await waitFor('Interrupted');
  assert.equal(parts.prompt.getState().line.text, '');
  assert.doesNotMatch(frame(), /p2pos> ps/);
});

test('a line typed ahead runs once the running command finishes', async () => {
  const {press, enter, parts, frame, waitFor} = mount();
  await enter('spawn a --burst 1');
  await press('w', 'a', 'i', 't', ' ', '2', ENTER);
  await press('e', 'c', 'h', 'o', ' ', 'l', 'a', 't', 'e', 'r', ENTER);
  assert.equal(parts.prompt.getState().busy, 'wait 2');
  await press('\u001B[15~'); // F5: the clock runs and the wait can end
  await waitFor(/p2pos> echo later\nlater/);
  parts.clock.pause();
  assert.ok(frame().indexOf('p2pos> wait 2') < frame().indexOf('p2pos> echo later'), frame());
});

test('a password read for a command shows its prompt and never what is typed', async () => {
  const {press, parts, frame, waitFor} = mount();
  await waitFor('p2pos>');
  const reading = parts.context.readSecret!('Password for alice: ');
  await waitFor('Password for alice:');
  await press('s', '3', 'c', 'r', 'e', 't', 'p', 'w', '\u001B[A', '\t');
  assert.doesNotMatch(frame(), /s3cretpw|s3cr/);
  assert.match(frame(), /Esc cancels/);
  await press(ENTER);
  assert.equal(await reading, 's3cretpw');
  await waitFor(/^p2pos>/m);
  assert.doesNotMatch(frame(), /s3cr/);
  assert.match(frame(), /^Password for alice:\s*$/m);
});
