// top: the live processes with their recent CPU share, sorted; the console's top pane as text.

import {MAX_PROCESSES} from '../../kernel/index.js';
import {expectPositionals, flagText, toChoice, toInteger} from '../args.js';
import type {Command} from '../command.js';
import {formatNumber} from '../format.js';
import {
  DEFAULT_TOP_WINDOW_TICKS,
  summaryStates,
  TOP_SORT_KEYS,
  topRows,
  topTable,
  topTotals,
} from '../ui/top-rows.js';

export const top: Command = {
  name: 'top',
  usage: [`top [--sort ${TOP_SORT_KEYS.join('|')}] [-n N]`],
  summary: 'List live processes by recent CPU use (or --sort KEY); -n N shows the first N',
  details: [
    `CPU% is the share of the last ${DEFAULT_TOP_WINDOW_TICKS} ticks a process ran; TIME is CPU ticks since it started,`,
    'MEM heap units owned. Init (pid 1) and TERMINATED processes are left out.',
    'Sort keys: cpu, mem, pri and time put the biggest first; pid, name and state go up',
    '(state: running, ready, waiting, stopped, new, zombie). Ties go to the lower pid.',
  ],
  flags: {sort: {kind: 'value', alias: 's'}, count: {kind: 'value', alias: 'n'}},
  run(args, {kernel}) {
    expectPositionals(args, 0);
    const sortText = flagText(args, 'sort');
    const sort = sortText === undefined ? 'cpu' : toChoice(sortText, 'sort key', TOP_SORT_KEYS);
    const countText = flagText(args, 'count');
    const count = countText === undefined ? undefined : toInteger(countText, '-n', 1, MAX_PROCESSES);
    const snapshot = kernel.snapshot();
    const rows = topRows(snapshot, sort).slice(0, count);
    const totals = topTotals(snapshot);
    const states = summaryStates(totals)
      .map((state) => `${totals[state]} ${state}`)
      .join(', ');
    const summary =
      `t=${snapshot.time}  ${totals.processes} processes: ${states}  load ${totals.load}  ` +
      `cpu ${formatNumber(totals.cpuPercent, 1)}%  mem ${formatNumber(totals.memoryPercent, 1)}%`;
    return {
      lines: [summary, topTable(rows)],
      data: {time: snapshot.time, sort, processes: rows, totals},
    };
  },
};
