// The top pane's text above its table, and which rows the table shows. Pure. The summary packs the
// totals (top-rows.ts) over a line or two; the sparkline draws the CPU load of the last buckets
// with ▁…█, a blank for a bucket with no work.

import type {KernelSnapshot} from '../../kernel/index.js';
import {formatNumber, stateTone} from '../format.js';
import {packSections, type Line, type Span} from './spans.js';
import {cpuHistory, summaryStates, topRows, topTotals, type CountedState} from './top-rows.js';

/** Ticks per sparkline character. */
export const CPU_BUCKET_TICKS = 5;
const SPARK_LEVELS = '▁▂▃▄▅▆▇█';
const SPARK_LABEL = 'cpu ';

/** Short state names for the summary; colours as ps gives them. */
const STATE_LABELS: Readonly<Record<CountedState, string>> = {
  running: 'run',
  ready: 'ready',
  waiting: 'wait',
  stopped: 'stopped',
  new: 'new',
  zombie: 'zombie',
};

/** From this width the totals repeat the status line's load, cpu and mem. */
const WIDE_TOTALS_COLUMNS = 60;

/** The totals over at most `maxLines` lines: procs, states, load, cpu%, mem%. */
export function summaryLines(snapshot: KernelSnapshot, width: number, maxLines: number): Span[][] {
  const totals = topTotals(snapshot);
  const parts: Line[] = [
    [{text: `${totals.processes} proc${totals.processes === 1 ? '' : 's'}`, isBold: true}],
    ...summaryStates(totals).map((state): Line => [
      {text: `${totals[state]} ${STATE_LABELS[state]}`, tone: stateTone(state)},
    ]),
  ];
  // load, cpu and mem are on the status line too; a narrow one-line summary keeps its room for the states
  if (width >= WIDE_TOTALS_COLUMNS || maxLines > 1) {
    parts.push(
      [{text: `load ${totals.load}`}],
      [{text: `cpu ${formatNumber(totals.cpuPercent, 0)}%`}],
      [{text: `mem ${formatNumber(totals.memoryPercent, 1)}%`}],
    );
  }
  return packSections([{label: [], count: parts.length, item: (i) => parts[i]!}], width, maxLines);
}

/** "cpu ▁▃█…": one character per CPU_BUCKET_TICKS ticks, the newest at the right, filling `width`. */
export function sparklineLine(snapshot: KernelSnapshot, width: number): Span[] {
  const buckets = Math.max(0, width - SPARK_LABEL.length);
  return [
    {text: SPARK_LABEL, tone: 'dim'},
    {text: sparkline(cpuHistory(snapshot, buckets, CPU_BUCKET_TICKS)), tone: 'green'},
  ];
}

/** Fractions 0..1 as bars; 0 is a blank so an idle stretch reads as empty, not as light load. */
export function sparkline(fractions: readonly number[]): string {
  let text = '';
  for (const fraction of fractions) {
    // any work shows at least ▁; only a (nearly) fully busy bucket reaches █
    const level = fraction <= 0 ? 0 : Math.max(1, Math.round(Math.min(1, fraction) * SPARK_LEVELS.length));
    text += level === 0 ? ' ' : SPARK_LEVELS[level - 1]!;
  }
  return text;
}

/**
 * How the pane's `width` x `height` inner cells are shared: the summary lines (two when a narrow pane
 * is tall enough to spare them), the sparkline when there is room, and the table's rows under its header.
 */
export function topSections(
  snapshot: KernelSnapshot,
  width: number,
  height: number,
): {summary: Span[][]; hasSparkline: boolean; tableRows: number} {
  const summaryRows = height >= 8 && width < 60 ? 2 : Math.min(1, height);
  const summary = summaryLines(snapshot, width, summaryRows);
  const hasSparkline = height - summary.length >= 3;
  return {summary, hasSparkline, tableRows: height - summary.length - (hasSparkline ? 1 : 0) - 1};
}

/** The largest useful scroll of the pane's table: its last screenful starts there (0 when it fits). */
export function topScrollLimit(snapshot: KernelSnapshot, width: number, height: number): number {
  return Math.max(0, topRows(snapshot).length - Math.max(0, topSections(snapshot, width, height).tableRows));
}

/** Which rows a table of `count` rows shows in `rows` lines from `scroll` (clamped), and the hint to show. */
export function rowWindow(
  count: number,
  rows: number,
  scroll: number,
): {from: number; to: number; hint: string | undefined} {
  const shown = Math.max(0, rows);
  const from = Math.max(0, Math.min(Math.floor(scroll), count - shown));
  const to = Math.min(count, from + shown);
  const isClipped = from > 0 || to < count;
  return {from, to, hint: isClipped ? `rows ${to > from ? from + 1 : 0}-${to} of ${count}` : undefined};
}
