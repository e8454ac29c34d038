// The downloads pane's data as React state. It is read again at every kernel snapshot (the console's
// clock tick, as the other panes redraw), after each command's output (a download just started), and,
// while a transfer runs, at least every DOWNLOADS_REFRESH_MS: files move in real time, so a paused or
// slow clock must not freeze the bars. Nothing is read while the pane is hidden.

import {useEffect, useMemo, useState} from 'react';
import {NO_DOWNLOADS, type DownloadsData} from '../downloads-lines.js';

/** How often the pane redraws a running transfer when the clock does not. */
export const DOWNLOADS_REFRESH_MS = 250;

/**
 * `read` gives the current data (undefined before the network is up); `isShown` says whether the pane
 * is on screen; a change in `snapshot` (each clock tick) or `output` (the scrollback) reads it again.
 */
export function useDownloads(
  read: (() => DownloadsData | undefined) | undefined,
  isShown: boolean,
  snapshot: unknown,
  output: unknown,
): DownloadsData {
  const [refreshes, setRefreshes] = useState(0);
  // snapshot, output and refreshes are not used in the read: they say when to read again
  const data = useMemo(
    () => (isShown && read !== undefined ? (read() ?? NO_DOWNLOADS) : NO_DOWNLOADS),
    [read, isShown, snapshot, output, refreshes],
  );
  const isRunning = data.running.size > 0;
  useEffect(() => {
    if (!isShown || !isRunning) return undefined;
    const timer = setInterval(() => setRefreshes((count) => count + 1), DOWNLOADS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [isShown, isRunning]);
  return data;
}
