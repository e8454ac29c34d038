// The downloads pane: a progress bar per transfer and the chunk map of the newest running download
// (done, in flight, missing), scaled to the pane's width like the block map; the border counts the
// transfers. A thin frame around downloads-lines.ts, which decides what fits.

import React, {useMemo} from 'react';
import {PaneFrame, paneInner} from '../components/pane-frame.js';
import {SpanLines} from '../components/span-line.js';
import {downloadsHint, downloadsLines, type DownloadsData} from '../downloads-lines.js';

export interface DownloadsPaneProps {
  data: DownloadsData;
  width: number;
  height: number;
  isFocused: boolean;
  /** First transfer listed (PgUp/PgDn when focused); clamped so the last screenful stays full. */
  scroll?: number;
}

export const DownloadsPane = React.memo(function DownloadsPane({
  data,
  width,
  height,
  isFocused,
  scroll = 0,
}: DownloadsPaneProps) {
  const inner = paneInner(width, height);
  const lines = useMemo(
    () => downloadsLines(data, inner.width, inner.height, scroll),
    [data, inner.width, inner.height, scroll],
  );
  return (
    <PaneFrame
      title="Downloads"
      hint={downloadsHint(data)}
      width={width}
      height={height}
      isFocused={isFocused}
    >
      <SpanLines lines={lines} />
    </PaneFrame>
  );
});
