// The scheduler pane: who runs, who is next, who waits on what, and a Gantt strip of the last ticks.
// A thin frame around scheduler-lines.ts, which decides what fits.

import React, {useMemo} from 'react';
import type {KernelSnapshot} from '../../../kernel/index.js';
import {PaneFrame, paneInner} from '../components/pane-frame.js';
import {SpanLines} from '../components/span-line.js';
import {schedulerLines} from '../scheduler-lines.js';

export interface SchedulerPaneProps {
  snapshot: KernelSnapshot;
  width: number;
  height: number;
  isFocused: boolean;
  /** First row of the process lists shown; clamped to the lists' length. @default 0 */
  scroll?: number;
}

export const SchedulerPane = React.memo(function SchedulerPane({
  snapshot,
  width,
  height,
  isFocused,
  scroll = 0,
}: SchedulerPaneProps) {
  const inner = paneInner(width, height);
  const lines = useMemo(
    () => schedulerLines(snapshot, inner.width, inner.height, scroll),
    [snapshot, inner.width, inner.height, scroll],
  );
  return (
    <PaneFrame
      title="Scheduler"
      hint={snapshot.scheduler.description}
      width={width}
      height={height}
      isFocused={isFocused}
    >
      <SpanLines lines={lines} />
    </PaneFrame>
  );
});
