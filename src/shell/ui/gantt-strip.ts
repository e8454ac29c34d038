// The scheduler pane's Gantt strip: who had the CPU in each of the last few ticks. Pure, and cheap
// however long the Gantt ring: it walks back from the newest segment and stops once the strip is full.

import type {GanttSegment} from '../../kernel/index.js';

export interface StripCell {
  /** Who ran in this tick; 0 = idle. */
  pid: number;
  /** The tick: the cell covers [time, time + 1). */
  time: number;
}

/**
 * The last `width` ticks before `now`, oldest first, one cell per tick. Ticks the ring no longer
 * records (or before boot) are left out, so the strip is shorter than `width` early on.
 * Costs O(width + segments touched).
 */
export function ganttStrip(segments: readonly GanttSegment[], now: number, width: number): StripCell[] {
  const from = Math.max(0, now - Math.max(0, Math.floor(width)));
  const cells: StripCell[] = [];
  for (let i = segments.length - 1; i >= 0; i--) {
    const {pid, start, end} = segments[i]!;
    if (end <= from) break;
    for (let time = Math.min(end, now) - 1; time >= Math.max(start, from); time--) cells.push({pid, time});
  }
  return cells.reverse();
}
