// history: finished processes across runs (boots), from the history database, with averages over all of them.

import {expectPositionals, toInteger} from '../args.js';
import type {Command} from '../command.js';
import {ShellError} from '../errors.js';
import {formatNumber, tableBlock, type Block} from '../format.js';
import {HistoryStoreError, type HistoryRow, type HistorySummary} from '../history-store.js';

/** Rows shown when N is not given. */
const DEFAULT_HISTORY_ROWS = 20;
/** The most rows one `history N` prints: enough for any lab, and a bound on the query. */
const MAX_HISTORY_ROWS = 1_000_000;

export const history: Command = {
  name: 'history',
  usage: ['history [N]'],
  summary: `Show the last N finished processes across runs (default ${DEFAULT_HISTORY_ROWS}), with averages`,
  details: [
    'Every process that finishes is recorded, with the run (BOOT) it finished in; runs are numbered from 1.',
    'START is its first tick on the CPU (- if it never ran), END its completion time.',
    'WAIT is ticks spent ready (waiting for the CPU); TURNAROUND is END - ARRIVAL.',
    'STATUS is the exit status, with the reason when it did not simply exit.',
    'The summary line averages over every stored process, not only the ones shown.',
  ],
  run(args, {history: store}) {
    expectPositionals(args, 0, 1);
    const countText = args.positionals[0];
    const limit =
      countText === undefined ? DEFAULT_HISTORY_ROWS : toInteger(countText, 'N', 0, MAX_HISTORY_ROWS);
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
    lines.push(summaryLine(summary));
    return {lines, data: {processes: rows, summary}};
  },
};

function statusText(row: HistoryRow): string {
  return row.reason === 'exited' ? String(row.exitStatus) : `${row.exitStatus} (${row.reason})`;
}

function summaryLine(summary: HistorySummary): string {
  const processes = `${summary.processes} ${summary.processes === 1 ? 'process' : 'processes'}`;
  const boots = `${summary.boots} ${summary.boots === 1 ? 'boot' : 'boots'}`;
  return (
    `${processes}, ${boots}; avg turnaround ${formatNumber(summary.avgTurnaround)}, ` +
    `avg waiting ${formatNumber(summary.avgWaiting)}, avg response ${formatNumber(summary.avgResponse)}; ` +
    `${summary.failed} failed`
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
