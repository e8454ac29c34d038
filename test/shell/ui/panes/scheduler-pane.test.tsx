// The scheduler pane from a kernel that really ran: running, ready, waiting, stopped, the strip.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import React from 'react';
import {createKernel} from '../../../../src/kernel/index.js';
import {SchedulerPane} from '../../../../src/shell/ui/panes/scheduler-pane.js';
import {schedulerScrollLimit} from '../../../../src/shell/ui/scheduler-lines.js';
import {assertFits, frameLines} from '../../../support/ink-frame.js';

/** Round robin, quantum 3: one running, one ready, one on io, one on a semaphore, one stopped. */
function busyKernel() {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 3}});
  kernel.spawn({name: 'editor', burst: 12});
  kernel.spawn({name: 'compiler', program: 'cpu 2, io 20, cpu 5'});
  kernel.semCreate('A', 0);
  kernel.spawn({name: 'consumer', program: 'sem wait A, cpu 2'});
  kernel.spawn({name: 'shell', burst: 9});
  kernel.kill(kernel.spawn({name: 'paused', burst: 20}), 'STOP');
  kernel.tick(10);
  return kernel;
}

test('at 40 x 10 the pane shows who runs, the queue, who waits on what, and the strip', () => {
  const lines = frameLines(
    <SchedulerPane snapshot={busyKernel().snapshot()} width={40} height={10} isFocused={false} />,
  );
  assert.deepEqual(lines, [
    '╭─ Scheduler ───────── rr (quantum 3) ─╮',
    '│run   2 editor  rem 7  q 2/3  cpu 12  │',
    '│ready 5 shell                         │',
    '│wait  3 compiler (io until 25)        │',
    '│      4 consumer (sem A)              │',
    '│stop  6 paused                        │',
    '│aaabbdddaa                            │',
    '│0     t=10                            │',
    '│                                      │',
    '╰──────────────────────────────────────╯',
  ]);
});

test('at 80 x 5 the lists share one row and count what does not fit', () => {
  const lines = frameLines(
    <SchedulerPane snapshot={busyKernel().snapshot()} width={80} height={5} isFocused={false} />,
  );
  assert.deepEqual(lines, [
    '╭─ Scheduler ───────────────────────────────────────────────── rr (quantum 3) ─╮',
    '│run   2 editor  rem 7  q 2/3  cpu 12                                          │',
    '│ready 5 shell +3 more                                                         │',
    '│aaabbdddaa                                                                    │',
    '╰──────────────────────────────────────────────────────────────────────────────╯',
  ]);
});

test('between an exit and the next tick the CPU is idle and the pane names who dispatches next', () => {
  const kernel = createKernel();
  kernel.spawn({name: 'first', burst: 3});
  kernel.spawn({name: 'second', burst: 3});
  kernel.tick(3);
  const lines = frameLines(
    <SchedulerPane snapshot={kernel.snapshot()} width={40} height={6} isFocused={true} />,
  );
  assert.deepEqual(lines, [
    '╔═ Scheduler ═══════════════════ fcfs ═╗',
    '║run   idle, next 3 second             ║',
    '║ready 3 second                        ║',
    '║aaa                                   ║',
    '║0 t=3                                 ║',
    '╚══════════════════════════════════════╝',
  ]);
});

test('the strip shows the last inner-width ticks, idle ones as dots', () => {
  const kernel = createKernel();
  kernel.spawn({name: 'one', program: 'cpu 2, io 3, cpu 40'});
  kernel.tick(45);
  const lines = frameLines(
    <SchedulerPane snapshot={kernel.snapshot()} width={20} height={6} isFocused={false} />,
  );
  assert.equal(lines[3], '│aaaaaaaaaaaaaaaaaa│');
  assert.equal(lines[4], '│27            t=45│');
  kernel.tick(10); // it exits at 45: ten idle ticks
  const idle = frameLines(
    <SchedulerPane snapshot={kernel.snapshot()} width={20} height={6} isFocused={false} />,
  );
  assert.equal(idle[3], '│aaaaaaaa··········│');
});

test('a long ready queue scrolls by rows, clamped to its end', () => {
  const kernel = createKernel({scheduler: 'rr'});
  for (let i = 0; i < 30; i++) kernel.spawn({name: `job${i}`, burst: 50});
  kernel.tick(1);
  const at = (scroll: number) =>
    frameLines(
      <SchedulerPane snapshot={kernel.snapshot()} width={40} height={8} isFocused={false} scroll={scroll} />,
    );
  assert.deepEqual(at(0).slice(2, 5), [
    '│ready 3 job1 → 4 job2 → 5 job3        │',
    '│      6 job4 → 7 job5 → 8 job6        │',
    '│      9 job7 → 10 job8 +21 more       │',
  ]);
  assert.equal(at(2)[2], '│      9 job7 → 10 job8 → 11 job9      │');
  assert.deepEqual(at(1000), at(7));
  assert.match(at(1000)[4]!, /31 job29 /);
  // the limit PgDn stops at is where the clamped window starts: one row less shows another row
  assert.equal(schedulerScrollLimit(kernel.snapshot(), 38, 6), 7);
  assert.notDeepEqual(at(6), at(7));
});

test('lines never pass the pane width, at any size', () => {
  const snapshot = busyKernel().snapshot();
  for (const width of [12, 20, 40, 41, 80, 100]) {
    for (const height of [2, 3, 5, 10, 14]) {
      const lines = frameLines(
        <SchedulerPane snapshot={snapshot} width={width} height={height} isFocused={false} />,
      );
      assertFits(lines, width, height);
    }
  }
});
