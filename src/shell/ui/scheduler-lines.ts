// What the scheduler pane shows, as lines of spans (spans.ts), for a given inner size. Pure, so each
// size can be tested without a terminal. Top to bottom: the running process (or who dispatches
// next), the ready queue in dispatch order, who waits on what, the stopped; then the Gantt strip of
// the last ticks and its time axis. When rows run short the axis goes first, then the lists.

import {INIT_PID, type KernelSnapshot, type ProcessView} from '../../kernel/index.js';
import {ganttStrip} from './gantt-strip.js';
import {fitLine, joinRuns, packSections, padText, type Line, type Section, type Span} from './spans.js';
import {ownerGlyph} from './theme.js';

/** The strip's mark for an idle tick. */
export const IDLE_GLYPH = '·';
const LABEL_WIDTH = 6; // "ready " and its kin, so the lists line up

/**
 * The pane's lines for `width` x `height` inner cells. `scroll` is the first row of the process lists
 * shown (clamped); the running line and the strip stay put.
 */
export function schedulerLines(
  snapshot: KernelSnapshot,
  width: number,
  height: number,
  scroll = 0,
): Span[][] {
  if (height <= 0 || width <= 0) return [];
  const {hasStrip, hasAxis, listRows} = schedulerRows(height);
  const lines: Span[][] = [fitLine(runningLine(snapshot), width)];
  if (listRows > 0) {
    // pack as far as the scrolled window reaches, then show its last listRows lines
    const packed = packSections(listSections(snapshot), width, Math.max(0, scroll) + listRows);
    const first = Math.max(0, Math.min(scroll, packed.length - listRows));
    lines.push(...packed.slice(first, first + listRows));
  }
  if (hasStrip) {
    const strip = stripLines(snapshot, width);
    lines.push(strip.cells);
    if (hasAxis) lines.push(strip.axis);
  }
  return lines;
}

/** The largest useful `scroll`: the process lists' last screenful starts there (0 when they fit). */
export function schedulerScrollLimit(snapshot: KernelSnapshot, width: number, height: number): number {
  const {listRows} = schedulerRows(height);
  if (width <= 0 || listRows <= 0) return 0;
  return Math.max(0, packSections(listSections(snapshot), width, Infinity).length - listRows);
}

/** The rows of process lists a pane of `height` inner rows shows: what one PgUp or PgDn pages through. */
export function schedulerListRows(height: number): number {
  return Math.max(0, schedulerRows(height).listRows);
}

/** How `height` inner rows are shared: the running line, the lists, the strip and its axis. */
function schedulerRows(height: number): {hasStrip: boolean; hasAxis: boolean; listRows: number} {
  const hasStrip = height >= 2;
  const hasAxis = height >= 4;
  return {hasStrip, hasAxis, listRows: height - 1 - (hasStrip ? 1 : 0) - (hasAxis ? 1 : 0)};
}

/** "run 3 editor rem 5 q 2/4 cpu 5 L1", or "idle, next 4 worker" between an exit and the next tick. */
export function runningLine(snapshot: KernelSnapshot): Span[] {
  const {running, ready, scheduler} = snapshot;
  const label: Span = {text: 'run'.padEnd(LABEL_WIDTH), tone: 'dim'};
  if (!running) {
    const next = ready[0];
    return [
      label,
      {text: 'idle', tone: 'dim'},
      ...(next ? [{text: ', next '}, {text: `${next.pid} ${next.name}`, owner: next.pid}] : []),
    ];
  }
  const spans: Span[] = [label, {text: `${running.pid} ${running.name}`, owner: running.pid, isBold: true}];
  spans.push({text: `  rem ${running.remaining}`});
  // FCFS and SJF give an unbounded quantum: nothing to show
  if (scheduler.quantum !== undefined && Number.isFinite(scheduler.quantum))
    spans.push({text: `  q ${running.sliceUsed}/${scheduler.quantum}`});
  if (running.op) spans.push({text: `  ${running.op}`, tone: 'dim'});
  if (running.tag) spans.push({text: `  ${running.tag}`, tone: 'dim'});
  return spans;
}

/** The ready queue, the waiting and the stopped, as sections for packSections. */
export function listSections(snapshot: KernelSnapshot): Section[] {
  const waiting: ProcessView[] = [];
  const stopped: ProcessView[] = [];
  for (const process of snapshot.processes) {
    if (process.pid === INIT_PID) continue;
    if (process.isStopped && process.state !== 'terminated' && process.state !== 'zombie')
      stopped.push(process);
    else if (process.state === 'waiting') waiting.push(process);
  }
  const label = (text: string): Line => [{text: text.padEnd(LABEL_WIDTH), tone: 'dim'}];
  const name = (process: ProcessView): Span => ({text: `${process.pid} ${process.name}`, owner: process.pid});
  const {ready} = snapshot;
  const sections: Section[] = [
    ready.length === 0
      ? {label: [...label('ready'), {text: '(empty)', tone: 'dim'}], count: 0, item: () => []}
      : {
          label: label('ready'),
          count: ready.length,
          item: (i) => [name(ready[i]!), ...tagSpan(ready[i]!)],
          separator: ' → ',
        },
  ];
  if (waiting.length > 0) {
    sections.push({
      label: label('wait'),
      count: waiting.length,
      item: (i) => [name(waiting[i]!), {text: ` (${waiting[i]!.waitingOn ?? 'waiting'})`, tone: 'yellow'}],
    });
  }
  if (stopped.length > 0) {
    sections.push({
      label: label('stop'),
      count: stopped.length,
      // a process stopped while blocked still waits on its semaphore, queue or io
      item: (i) => {
        const on = stopped[i]!.waitingOn;
        return [
          name(stopped[i]!),
          ...(on && on !== 'stopped' ? [{text: ` (${on})`, tone: 'dim' as const}] : []),
        ];
      },
    });
  }
  return sections;
}

function tagSpan(process: ProcessView): Span[] {
  return process.tag ? [{text: ` ${process.tag}`, tone: 'dim'}] : [];
}

/**
 * The Gantt strip of the last `width` ticks, one owner glyph per tick (IDLE_GLYPH when idle), runs
 * of one pid merged into one span; and the axis under it: the first tick left, now right.
 */
export function stripLines(snapshot: KernelSnapshot, width: number): {cells: Span[]; axis: Span[]} {
  const strip = ganttStrip(snapshot.gantt, snapshot.time, width);
  const cells = joinRuns(
    strip.map(({pid}): Span =>
      pid === 0 ? {text: IDLE_GLYPH, tone: 'dim'} : {text: ownerGlyph(pid), owner: pid},
    ),
  );
  if (strip.length === 0) cells.push({text: 'nothing has run yet', tone: 'dim'});
  const start = strip[0]?.time ?? snapshot.time;
  const now = `t=${snapshot.time}`;
  const span = Math.max(strip.length, now.length + String(start).length + 1);
  // the start tick under the first cell, now under the last, within the strip's width when it fits
  const axis =
    span <= width
      ? String(start) + padText(now, span - String(start).length, 'right')
      : padText(now, width, 'right');
  return {cells, axis: [{text: axis, tone: 'dim'}]};
}
