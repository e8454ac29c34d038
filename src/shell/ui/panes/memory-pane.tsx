// The block-map pane: the heap as a bar scaled to the pane, with its stats and a legend of owners;
// the fit policy and heap size sit in the top border.
// A thin frame around memory-lines.ts, which decides what fits.

import {formatSize} from '../../format.js';
import React, {useMemo} from 'react';
import type {KernelSnapshot} from '../../../kernel/index.js';
import {PaneFrame, paneInner} from '../components/pane-frame.js';
import {SpanLines} from '../components/span-line.js';
import {memoryLines} from '../memory-lines.js';

export interface MemoryPaneProps {
  snapshot: KernelSnapshot;
  width: number;
  height: number;
  isFocused: boolean;
}

export const MemoryPane = React.memo(function MemoryPane({
  snapshot,
  width,
  height,
  isFocused,
}: MemoryPaneProps) {
  const inner = paneInner(width, height);
  const lines = useMemo(
    () => memoryLines(snapshot, inner.width, inner.height),
    [snapshot, inner.width, inner.height],
  );
  return (
    <PaneFrame
      title="Block map"
      hint={`${snapshot.memory.fit} fit, ${formatSize(snapshot.memory.total)}`}
      width={width}
      height={height}
      isFocused={isFocused}
    >
      <SpanLines lines={lines} />
    </PaneFrame>
  );
});
