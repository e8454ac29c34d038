// How transfers read on screen, shared by the disk-sharing commands (`downloads`, `download`) and the
// console's downloads pane: rates in MB/s, times to go, percentages that reach 100 only when done,
// short progress bars, and text from the network made safe to print. Pure.

import type {TransferView} from '../net/files/sharing.js';

/** A transfer's state as shown: a download recorded as active that no run drives (its process ended) is 'stopped'. */
export function shownState(view: Pick<TransferView, 'state'>, isRunning: boolean): string {
  return !isRunning && (view.state === 'active' || view.state === 'verifying') ? 'stopped' : view.state;
}

/** Glyphs of a progress bar: done, and still to come. */
export const BAR_DONE = '█';
export const BAR_LEFT = '░';

/** Bytes per second as decimal megabytes, the unit the issue and the bench speak: "112.4 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

/** Seconds to go: "7s", "3m05s", "2h04m"; "-" when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '-';
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** The fraction of a transfer done, 0..1; only a finished transfer (or an empty file) reaches 1. */
export function doneFraction(view: Pick<TransferView, 'state' | 'size' | 'bytesDone'>): number {
  if (view.state === 'done') return 1;
  if (view.size <= 0) return 0;
  // 99.99% is not done: the whole-file check is still to come
  return Math.min(view.bytesDone / view.size, 1 - Number.EPSILON);
}

/** "42%", rounded down so that 100% means done. */
export function formatPercent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`;
}

/** A bar `width` cells wide, filled in proportion (rounded down: a full bar is a finished transfer). */
export function progressBar(fraction: number, width: number): string {
  const cells = Math.max(0, Math.floor(width));
  const done = Math.max(0, Math.min(cells, Math.floor(fraction * cells)));
  return BAR_DONE.repeat(done) + BAR_LEFT.repeat(cells - done);
}

// C0 and C1 controls, DEL, and the bidirectional overrides and isolates that make "gnp.exe" read as
// "exe.png": a name another peer chose must not move the cursor or rewrite the screen it is listed on.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Text from the network (a file's name, a peer's name, a group) with its control characters shown as `?`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '?');
}
