// What `top` shows, as data: one row per live process with its recent CPU share, sorted; CPU load
// history for the sparkline; totals for the header. Pure functions of a snapshot, shared by the top
// pane and the `top` command. CPU shares come from the Gantt ring, read backwards from now.
// Interface:
//   topRows(snapshot, 'cpu')            rows, busiest first
//   cpuHistory(snapshot, 40, 5)         busy fraction per 5-tick bucket, oldest first
//   topTotals(snapshot)                 counts per state, load, CPU and memory use
//   topTable(rows, {sortKey})           the rows as a table: PID NAME STATE PRI CPU% TIME MEM

import {INIT_PID, type GanttSegment, type KernelSnapshot, type ProcessState} from '../../kernel/index.js';
import {formatNumber, formatSize, stateTone, tableBlock, type Column, type TableBlock} from '../format.js';
import {clipToWidth} from '../text-width.js';

/** Columns `top` can sort by. */
export const TOP_SORT_KEYS = ['cpu', 'mem', 'pid', 'name', 'state', 'pri', 'time'] as const;
export type TopSortKey = (typeof TOP_SORT_KEYS)[number];

/** Keys that sort biggest first (the busiest, the largest, the most urgent); the rest go up. */
export const TOP_SORT_DESCENDING: Readonly<Record<TopSortKey, boolean>> = {
  cpu: true,
  mem: true,
  pid: false,
  name: false,
  state: false,
  pri: true,
  time: true,
};

/** Ticks the CPU% column looks back over. */
export const DEFAULT_TOP_WINDOW_TICKS = 100;

/** A state as top shows it: a stopped process reads 'stopped' whatever it was doing. */
export type TopState = ProcessState | 'stopped';

export interface TopRow {
  pid: number;
  name: string;
  state: TopState;
  priority: number;
  /** Share of the recent window the process ran, 0..100. */
  cpuPercent: number;
  /** CPU ticks since it started. */
  cpuTime: number;
  /** Heap units it owns. */
  memory: number;
}

export interface TopTotals {
  /** Live processes shown by top (init excluded). */
  processes: number;
  running: number;
  ready: number;
  waiting: number;
  stopped: number;
  new: number;
  zombie: number;
  /** Processes that want the CPU: running + ready. */
  load: number;
  /** Busy share of the recent window, 0..100. */
  cpuPercent: number;
  /** Heap units in use over the heap size, 0..100. */
  memoryPercent: number;
}

/** The order `state` sorts in: the busy end of the lifecycle first. */
const STATE_RANK: Readonly<Record<TopState, number>> = {
  running: 0,
  ready: 1,
  waiting: 2,
  stopped: 3,
  new: 4,
  zombie: 5,
  terminated: 6,
};

/**
 * Rows for every live process, sorted by `sortKey` (ties to the lower pid). Terminated processes
 * are left out; so is init (pid 1), which never runs or owns anything and would only read as a
 * permanently waiting process. CPU% is the share of the last `windowTicks` ticks each one ran.
 */
export function topRows(
  snapshot: KernelSnapshot,
  sortKey: TopSortKey = 'cpu',
  windowTicks = DEFAULT_TOP_WINDOW_TICKS,
): TopRow[] {
  const {ticks, covered} = recentCpuTicks(snapshot.gantt, snapshot.time, windowTicks);
  const rows: TopRow[] = [];
  for (const process of snapshot.processes) {
    if (process.state === 'terminated' || process.pid === INIT_PID) continue;
    const ran = ticks.get(process.pid) ?? 0;
    rows.push({
      pid: process.pid,
      name: process.name,
      state: process.isStopped ? 'stopped' : process.state,
      priority: process.priority,
      cpuPercent: covered === 0 ? 0 : (ran / covered) * 100,
      cpuTime: process.cpuTime,
      memory: process.memory,
    });
  }
  return rows.sort(COMPARE[sortKey]);
}

const byPid = (a: TopRow, b: TopRow) => a.pid - b.pid;

/** One comparator per key, each reading fields already on the row, so a sort costs n log n field reads. */
const COMPARE: Readonly<Record<TopSortKey, (a: TopRow, b: TopRow) => number>> = {
  cpu: (a, b) => b.cpuPercent - a.cpuPercent || byPid(a, b),
  mem: (a, b) => b.memory - a.memory || byPid(a, b),
  pid: byPid,
  // code-unit order, not localeCompare: the same on every machine
  name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : byPid(a, b)),
  state: (a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || byPid(a, b),
  pri: (a, b) => b.priority - a.priority || byPid(a, b),
  time: (a, b) => b.cpuTime - a.cpuTime || byPid(a, b),
};

/**
 * CPU ticks per pid over the last `windowTicks` before `now`, in one backward pass over the segments
 * that touch the window. `covered` is how many of those ticks the ring still records (idle included).
 */
export function recentCpuTicks(
  gantt: readonly GanttSegment[],
  now: number,
  windowTicks: number,
): {ticks: Map<number, number>; covered: number} {
  const from = Math.max(0, now - windowTicks);
  const ticks = new Map<number, number>();
  let covered = 0;
  for (let i = gantt.length - 1; i >= 0; i--) {
    const segment = gantt[i]!;
    if (segment.end <= from) break;
    const overlap = Math.min(segment.end, now) - Math.max(segment.start, from);
    if (overlap <= 0) continue;
    covered += overlap;
    if (segment.pid !== 0) ticks.set(segment.pid, (ticks.get(segment.pid) ?? 0) + overlap);
  }
  return {ticks, covered};
}

/**
 * The busy fraction (0..1) of each of the last `buckets` spans of `bucketTicks` ticks ending now,
 * oldest first. A bucket is judged on the ticks the ring records in it; one with none reads 0.
 */
export function cpuHistory(snapshot: KernelSnapshot, buckets: number, bucketTicks: number): number[] {
  const count = Math.max(0, Math.floor(buckets));
  const size = Math.max(1, Math.floor(bucketTicks));
  const busy = new Array<number>(count).fill(0);
  const covered = new Array<number>(count).fill(0);
  const now = snapshot.time;
  const from = now - count * size;
  const {gantt} = snapshot;
  for (let i = gantt.length - 1; i >= 0; i--) {
    const segment = gantt[i]!;
    if (segment.end <= from) break;
    const start = Math.max(segment.start, from);
    const end = Math.min(segment.end, now);
    // walk the buckets the segment spans, from its end back to its start
    for (let bucket = Math.floor((end - 1 - from) / size); bucket >= 0; bucket--) {
      const bucketStart = from + bucket * size;
      if (bucketStart + size <= start) break;
      const overlap = Math.min(end, bucketStart + size) - Math.max(start, bucketStart);
      covered[bucket]! += overlap;
      if (segment.pid !== 0) busy[bucket]! += overlap;
    }
  }
  return busy.map((ticks, bucket) => (covered[bucket] === 0 ? 0 : ticks / covered[bucket]!));
}

/** Totals over the default window, per snapshot: the status line and the top pane draw the same frame. */
const totalsCache = new WeakMap<KernelSnapshot, TopTotals>();

/** Counts per state (init and terminated processes left out, as in topRows), load, CPU and memory use. */
export function topTotals(snapshot: KernelSnapshot, windowTicks = DEFAULT_TOP_WINDOW_TICKS): TopTotals {
  const isDefault = windowTicks === DEFAULT_TOP_WINDOW_TICKS;
  const cached = isDefault ? totalsCache.get(snapshot) : undefined;
  if (cached) return cached;
  const totals: TopTotals = {
    processes: 0,
    running: 0,
    ready: 0,
    waiting: 0,
    stopped: 0,
    new: 0,
    zombie: 0,
    load: 0,
    cpuPercent: 0,
    memoryPercent: 0,
  };
  for (const process of snapshot.processes) {
    if (process.state === 'terminated' || process.pid === INIT_PID) continue;
    totals.processes++;
    totals[process.isStopped ? 'stopped' : process.state]++;
  }
  totals.load = totals.running + totals.ready;
  const {ticks, covered} = recentCpuTicks(snapshot.gantt, snapshot.time, windowTicks);
  let busy = 0;
  for (const ran of ticks.values()) busy += ran;
  totals.cpuPercent = covered === 0 ? 0 : (busy / covered) * 100;
  const {used, total} = snapshot.memory;
  totals.memoryPercent = total === 0 ? 0 : (used / total) * 100;
  if (isDefault) totalsCache.set(snapshot, totals);
  return totals;
}

/** The states TopTotals counts. */
export type CountedState = Exclude<TopState, 'terminated'>;

/** The states a summary lists: running, ready and waiting always, the rarer ones only when present. */
export function summaryStates(totals: TopTotals): CountedState[] {
  return (['running', 'ready', 'waiting', 'stopped', 'new', 'zombie'] as const).filter(
    (state) => totals[state] > 0 || state === 'running' || state === 'ready' || state === 'waiting',
  );
}

export interface TopTableOptions {
  /** Mark this key's column header with ▼ (biggest first) or ▲. */
  sortKey?: TopSortKey;
  /** Cut longer names, ending them in '…' (a pane's narrow NAME column). */
  maxNameChars?: number;
  /** The columns to show, named by their sort keys, in screen order. @default TOP_COLUMNS */
  columns?: readonly TopSortKey[];
}

/** Every column of the table, in screen order. */
export const TOP_COLUMNS: readonly TopSortKey[] = ['pid', 'name', 'state', 'pri', 'cpu', 'time', 'mem'];

/** The header of each sort key's column. */
const SORT_HEADERS: Readonly<Record<TopSortKey, string>> = {
  pid: 'PID',
  name: 'NAME',
  state: 'STATE',
  pri: 'PRI',
  cpu: 'CPU%',
  time: 'TIME',
  mem: 'MEM',
};

/** Rows as a table: PID NAME STATE PRI CPU% TIME MEM, the state coloured by meaning. */
export function topTable(rows: readonly TopRow[], options: TopTableOptions = {}): TableBlock {
  const {sortKey, maxNameChars = Infinity, columns = TOP_COLUMNS} = options;
  const header = (key: TopSortKey) =>
    SORT_HEADERS[key] + (key === sortKey ? (TOP_SORT_DESCENDING[key] ? '▼' : '▲') : '');
  const name = (row: TopRow) => clipToWidth(row.name, maxNameChars);
  const all: Record<TopSortKey, Column<TopRow>> = {
    pid: {header: header('pid'), value: (row) => row.pid, align: 'right'},
    name: {header: header('name'), value: name, align: 'left'},
    state: {
      header: header('state'),
      value: (row) => row.state.toUpperCase(),
      align: 'left',
      tone: (_, row) => stateTone(row.state),
    },
    pri: {header: header('pri'), value: (row) => row.priority, align: 'right'},
    cpu: {header: header('cpu'), value: (row) => formatNumber(row.cpuPercent, 1), align: 'right'},
    time: {header: header('time'), value: (row) => row.cpuTime, align: 'right'},
    mem: {header: header('mem'), value: (row) => formatSize(row.memory), align: 'right'},
  };
  return tableBlock(
    rows,
    columns.map((key) => all[key]),
  );
}
