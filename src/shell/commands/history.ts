// history: finished processes across runs (boots), from the history database, with averages over all of them;
// with --tasks, the tasks this peer ran or submitted, with the success rate and mean times.

import {expectPositionals, toInteger} from '../args.js';
import type {Command, Result} from '../command.js';
import {ShellError} from '../errors.js';
import {formatNumber, formatPercent, tableBlock, type Block, type Tone} from '../format.js';
import {clipToWidth} from '../text-width.js';
import {
  HistoryStoreError,
  type HistoryRow,
  type HistoryStore,
  type HistorySummary,
  type TaskRow,
  type TaskSummary,
} from '../history-store.js';

/** Rows shown when N is not given. */
const DEFAULT_HISTORY_ROWS = 20;
/** The most rows one `history N` prints: enough for any lab, and a bound on the query. */
const MAX_HISTORY_ROWS = 1_000_000;
/** Characters of a task's error shown in the table; `--json` has all that was stored. */
const TASK_ERROR_COLUMN_CHARS = 60;

export const history: Command = {
  name: 'history',
  usage: ['history [N]', 'history --tasks [N]'],
  summary: `Show the last N finished processes across runs (default ${DEFAULT_HISTORY_ROWS}), with averages`,
  details: [
    'Every process that finishes is recorded, with the run (BOOT) it finished in; runs are numbered from 1.',
    'START is its first tick on the CPU (- if it never ran), END its completion time.',
    'WAIT is ticks spent ready (waiting for the CPU); TURNAROUND is END - ARRIVAL.',
    'STATUS is the exit status, with the reason when it did not simply exit.',
    'The summary line averages over every stored process, not only the ones shown, leaving out',
    '  the killed ones (a signal cut their work short); it says how many there were.',
    '--tasks lists the last N tasks this peer ran or submitted instead, in real time: WAIT is the time',
    '  from submission until a sandbox took the task, EXEC its time in the sandbox, TURNAROUND',
    '  submission to result; TRIES the peers tried. The summary covers every stored task.',
  ],
  flags: {tasks: {kind: 'boolean'}},
  run(args, {history: store}) {
    expectPositionals(args, 0, 1);
    const countText = args.positionals[0];
    const limit =
      countText === undefined ? DEFAULT_HISTORY_ROWS : toInteger(countText, 'N', 1, MAX_HISTORY_ROWS);
    if (args.flags.has('tasks')) return taskHistory(store, limit);
    const {rows, summary} = readHistory(() => ({rows: store.recent(limit), summary: store.summary()}));
    const lines: Block[] =
      rows.length === 0
        ? ['no finished processes yet']
        : [
            tableBlock<HistoryRow>(rows, [
              {header: 'BOOT', value: (row) => row.boot},
              {header: 'PID', value: (row) => row.pid},
              {header: 'NAME', value: (row) => row.name, align: 'left'},
              {header: 'ARRIVAL', value: (row) => row.arrival},
              {header: 'START', value: (row) => row.firstRun ?? '-', align: 'right'},
              {header: 'END', value: (row) => row.completion},
              {header: 'BURST', value: (row) => row.burst},
              {header: 'WAIT', value: (row) => row.waiting},
              {header: 'TURNAROUND', value: (row) => row.turnaround},
              {
                header: 'STATUS',
                value: statusText,
                align: 'left',
                tone: (_, row) => (row.exitStatus === 0 ? undefined : 'red'),
              },
            ]),
          ];
    lines.push(summaryLine(summary, rows.length));
    return {lines, data: {processes: rows, summary}};
  },
};

function statusText(row: HistoryRow): string {
  return row.reason === 'exited' ? String(row.exitStatus) : `${row.exitStatus} (${row.reason})`;
}

/** The figures over every stored row; when fewer rows are `shown`, it says the summary is of them all. */
function summaryLine(summary: HistorySummary, shown: number): string {
  const count = `${summary.processes} ${summary.processes === 1 ? 'process' : 'processes'}`;
  const processes = shown < summary.processes ? `all ${count} (the last ${shown} shown)` : count;
  const boots = `${summary.boots} ${summary.boots === 1 ? 'boot' : 'boots'}`;
  const killed =
    summary.killed > 0 ? ` (${summary.processes - summary.killed} finished, ${summary.killed} killed)` : '';
  return (
    `${processes}, ${boots}; avg turnaround ${formatNumber(summary.avgTurnaround)}, ` +
    `avg waiting ${formatNumber(summary.avgWaiting)}, avg response ${formatNumber(summary.avgResponse)}${killed}; ` +
    // JSON `failed` counts every status but 0, the killed ones too: said so, or they read as others
    `${summary.failed} ended non-zero`
  );
}

function taskHistory(store: HistoryStore, limit: number): Result {
  const {tasks, summary} = readHistory(() => ({
    tasks: store.recentTasks(limit),
    summary: store.taskSummary(),
  }));
  const lines: Block[] =
    tasks.length === 0
      ? ['no tasks yet']
      : [
          tableBlock<TaskRow>(tasks, [
            {header: 'ID', value: (row) => row.taskId, align: 'left'},
            {header: 'PEER', value: (row) => row.peer, align: 'left'},
            {header: 'FN', value: (row) => row.fn, align: 'left'},
            // the code's SHA-256, short as git shows a commit; the args as stored (JSON), clipped
            {header: 'CODE', value: (row) => row.codeHash.slice(0, CODE_HASH_CHARS), align: 'left'},
            {header: 'ARGS', value: (row) => clipToWidth(row.args, ARGS_COLUMN_CHARS), align: 'left'},
            {
              header: 'STATUS',
              value: (row) => (row.cached ? `${row.status} (cached)` : row.status),
              align: 'left',
              tone: (_, row) => TASK_STATUS_TONES[row.status],
            },
            {header: 'WAIT', value: (row) => formatMs(row.waitingMs), align: 'right'},
            {header: 'EXEC', value: (row) => formatMs(row.execMs), align: 'right'},
            {header: 'TURNAROUND', value: (row) => formatMs(row.turnaroundMs), align: 'right'},
            {header: 'TRIES', value: (row) => row.attempts},
            {header: 'ERROR', value: (row) => errorText(row.error), align: 'left'},
          ]),
        ];
  lines.push(taskSummaryLine(summary));
  return {lines, data: {tasks, summary}};
}

/** Hex digits of a task's code hash shown; `history --tasks --json` has all 64. */
const CODE_HASH_CHARS = 8;
/** Characters of a task's args shown; the JSON has them as stored. */
const ARGS_COLUMN_CHARS = 16;

const TASK_STATUS_TONES: Record<TaskRow['status'], Tone | undefined> = {
  ok: undefined,
  failed: 'red',
  timeout: 'red',
  canceled: 'yellow',
};

/** Milliseconds as 850ms, 12.5ms or 1.25s. */
function formatMs(ms: number): string {
  return ms < 1000 ? `${formatNumber(ms, 1)}ms` : `${formatNumber(ms / 1000, 2)}s`;
}

function errorText(error: string | null): string {
  if (error === null) return '';
  const line = error.replace(/\s+/g, ' ');
  return clipToWidth(line, TASK_ERROR_COLUMN_CHARS);
}

function taskSummaryLine(summary: TaskSummary): string {
  const tasks = `${summary.tasks} ${summary.tasks === 1 ? 'task' : 'tasks'}`;
  const counts = [
    `${summary.ok} ok`,
    `${summary.failed} failed`,
    ...(summary.timeout > 0 ? [`${summary.timeout} timed out`] : []),
    ...(summary.canceled > 0 ? [`${summary.canceled} canceled`] : []),
  ].join(', ');
  return (
    `${tasks}, ${formatPercent(summary.successRate)} ok (${counts}); mean wait ${formatMs(summary.meanWaitingMs)}, ` +
    `exec ${formatMs(summary.meanExecMs)}, turnaround ${formatMs(summary.meanTurnaroundMs)}`
  );
}

/** Read from the store; a database failure becomes a one-line ShellError EHISTORY. */
function readHistory<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof HistoryStoreError) throw new ShellError('EHISTORY', error.message);
    throw error;
  }
}
