// banker: run the Banker's safety algorithm on the current state and show its matrices.
// Also exports bankerMatrix(), the MAX / ALLOCATION / NEED table that `res ls` prints too.

import type {ResourceView} from '../../kernel/index.js';
import {expectPositionals} from '../args.js';
import type {Command} from '../command.js';
import {tableBlock, type Block} from '../format.js';

export const banker: Command = {
  name: 'banker',
  usage: ['banker'],
  summary: "Run the Banker's safety check: a safe sequence, or who cannot finish",
  details: [
    'Rows are the live processes that claim or hold resources, by pid; need = max - allocation.',
    'The scan walks pids in ascending order with a cursor that wraps after each find, so the safe sequence',
    'is the one the textbook prints (Silberschatz, OSC 8.6.3): for its five-process example, P1, P3, P4, P0, P2.',
    'Declare claims with `res claim`, take resources with `res request`.',
  ],
  run(args, {kernel, style}) {
    expectPositionals(args, 0);
    const {safe, sequence, stuck} = kernel.banker();
    const view = kernel.resourceViews();
    const available = view.resources.map((resource) => resource.available);
    const data = {safe, sequence, stuck, available, resources: view.resources, processes: view.processes};
    if (view.processes.length === 0) {
      return {
        lines: [style.green('safe: yes (no process claims or holds resources)'), ...availableLine(view)],
        data,
      };
    }
    const verdict = safe
      ? style.green(`safe: yes, sequence ${sequence.join(', ')}`)
      : style.red(`safe: no; pids ${stuck.join(', ')} cannot finish`);
    return {
      lines: [verdict, ...availableLine(view), bankerMatrix(view)],
      data,
    };
  },
};

/** "available: A=3 B=3 C=2", or nothing when no resource exists. */
export function availableLine(view: ResourceView): string[] {
  if (view.resources.length === 0) return [];
  return [
    `available: ${view.resources.map((resource) => `${resource.name}=${resource.available}`).join(' ')}`,
  ];
}

interface MatrixRow {
  pid: string;
  name: string;
  max: string;
  allocation: string;
  need: string;
  state: string;
}

/**
 * The Banker's matrices as a table: one row per process, each vector in aligned columns under a
 * sub-header naming the resources, the way the textbook lays them out.
 */
export function bankerMatrix(view: ResourceView): Block {
  if (view.processes.length === 0) return 'no process claims or holds resources';
  const names = view.resources.map((resource) => resource.name);
  const widths = names.map((name, column) =>
    Math.max(
      name.length,
      ...view.processes.flatMap((p) =>
        [p.max, p.allocation, p.need].map((vector) => String(vector[column] ?? 0).length),
      ),
    ),
  );
  const vector = (values: readonly (number | string)[]) =>
    values.map((value, column) => String(value).padStart(widths[column]!)).join(' ');
  const columnNames = vector(names);
  const rows: MatrixRow[] = [
    {pid: '', name: '', max: columnNames, allocation: columnNames, need: columnNames, state: ''},
    ...view.processes.map((p) => ({
      pid: String(p.pid),
      name: p.name,
      max: vector(p.max),
      allocation: vector(p.allocation),
      need: vector(p.need),
      state: p.waiting ? 'waiting' : '',
    })),
  ];
  return tableBlock<MatrixRow>(rows, [
    {header: 'PID', value: (row) => row.pid, align: 'right'},
    {header: 'NAME', value: (row) => row.name, align: 'left'},
    {header: 'MAX', value: (row) => row.max, align: 'left'},
    {header: 'ALLOCATION', value: (row) => row.allocation, align: 'left'},
    {header: 'NEED', value: (row) => row.need, align: 'left'},
    {
      header: 'STATE',
      value: (row) => row.state,
      align: 'left',
      tone: (text) => (text ? 'yellow' : undefined),
    },
  ]);
}
