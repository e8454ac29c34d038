// The status line from a kernel that really ran: time, clock, policy, load and use, as `top` reads.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import React from 'react';
import {createKernel} from '../../../../src/kernel/index.js';
import {StatusLine} from '../../../../src/shell/ui/components/status-line.js';
import {frameLines} from '../../../support/ink-frame.js';

test('the status line shows use to one decimal, as the Top pane does, and says when paused', () => {
  const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 2}, heapSize: 1024 * 1024});
  kernel.spawn({name: 'small', burst: 300, memory: 1000}); // 1000 of 1M units: 0.1%, not 0%
  kernel.tick(10);
  const line = (isRunning: boolean) =>
    frameLines(<StatusLine snapshot={kernel.snapshot()} hz={10} isRunning={isRunning} width={90} />)[0]!;
  assert.equal(
    line(true).trimEnd(),
    'p2pos ▶ 10 Hz  t=10  rr q=2  load 1 (1 run, 0 ready, 0 wait)  cpu 100%  mem 0.1%  1 proc',
  );
  assert.match(line(false), /^p2pos ❚❚ paused 10 Hz {2}t=10 /);
});
