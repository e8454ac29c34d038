// The top pane's text above its table, and which rows the table shows. Pure. The summary fits the
// totals (top-rows.ts) on one line; the sparkline draws the CPU load of the last buckets
// with ▁…█, a blank for a bucket with no work.

import type {KernelSnapshot} from '../../kernel/index.js';
import {formatNumber, stateTone} from '../format.js';
import {lineWidth, packSections, type Line, type Span} from './spans.js';
import {cpuHistory, summaryStates, topRows, topTotals, type CountedState} from './top-rows.js';

/** Ticks per sparkline character. */
export const CPU_BUCKET_TICKS = 5;
const SPARK_LEVELS = '▁▂▃▄▅▆▇█';
const SPARK_LABEL = 'cpu ';
/** Between the summary's parts; one space when a narrow pane needs the room. */
const SEPARATOR = '  ';

/** Short state names for the summary; colours as ps gives them. */
const STATE_LABELS: Readonly<Record<CountedState, string>> = {
  running: 'run',
  ready: 'ready',
  waiting: 'wait',
  stopped: 'stopped',
  new: 'new',
  zombie: 'zombie',
};

/**
 * The totals on one line of at most `width` columns: procs and the state counts, then load, cpu% and
 * mem% while they fit (the status line shows those too, so they are the first to go). When even the
 * counts do not fit they close up to one space, then the last become "+N more"; the line never wraps.
 */
export function summaryLine(snapshot: KernelSnapshot, width: number): Span[] {
  const totals = topTotals(snapshot);
  const counts: Line[] = [
    [{text: `${totals.processes} proc${totals.processes === 1 ? '' : 's'}`, isBold: true}],
    ...summaryStates(totals).map((state): Line => [
      {text: `${totals[state]} ${STATE_LABELS[state]}`, tone: stateTone(state)},
    ]),
  ];
  const extras: Line[] = [
    [{text: `load ${totals.load}`}],
    [{text: `cpu ${formatNumber(totals.cpuPercent, 0)}%`}],
    [{text: `mem ${formatNumber(totals.memoryPercent, 1)}%`}],
  ];
  const separator = joinedWidth(counts, SEPARATOR) <= width ? SEPARATOR : ' ';
  const parts = [...counts];
  for (const extra of extras) {
    if (joinedWidth([...parts, extra], separator) > width) break;
    parts.push(extra);
  }
  if (joinedWidth(parts, separator) <= width)
    return parts.flatMap((part, i) =>
      i === 0 ? [...part] : [{text: separator, tone: 'dim' as const}, ...part],
    );
  const section = {label: [], count: parts.length, item: (i: number) => parts[i]!, separator};
  return packSections([section], width, 1)[0] ?? [];
}

function joinedWidth(parts: readonly Line[], separator: string): number {
  return parts.reduce((sum, part) => sum + lineWidth(part), 0) + separator.length * (parts.length - 1);
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
 * How the pane's `width` x `height` inner cells are shared: the summary line, the sparkline when there
 * is room, and the table's rows under its header. `tableRows` is exactly the rows drawn, so PgUp and
 * PgDn page by it.
 */
export function topSections(
  snapshot: KernelSnapshot,
  width: number,
  height: number,
): {summary: Span[] | undefined; hasSparkline: boolean; tableRows: number} {
  const summary = height >= 1 ? summaryLine(snapshot, width) : undefined;
  const summaryRows = summary ? 1 : 0;
  const hasSparkline = height - summaryRows >= 3;
  return {summary, hasSparkline, tableRows: height - summaryRows - (hasSparkline ? 1 : 0) - 1};
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
