// ps: the process table.

import type {ProcessView} from '../../kernel/index.js';
import {expectPositionals} from '../args.js';
import type {Command} from '../command.js';
import {stateTone, tableBlock} from '../format.js';

export const ps: Command = {
  name: 'ps',
  usage: ['ps [-a|--all]'],
  summary: 'List processes (--all includes TERMINATED ones)',
  details: [
    'Columns: PID PPID NAME STATE PRI CPU WAIT MEM.',
    'CPU is ticks run, WAIT is ticks spent ready (waiting for the CPU), MEM is heap units owned.',
    'STATE is NEW, READY, RUNNING, WAITING (with what it waits on), ZOMBIE or TERMINATED.',
  ],
  flags: {all: {kind: 'boolean', alias: 'a'}},
  run(args, {kernel}) {
    expectPositionals(args, 0);
    const processes = kernel.listProcesses(args.flags.has('all'));
    const lines = [
      tableBlock<ProcessView>(processes, [
        {header: 'PID', value: (p) => p.pid},
        {header: 'PPID', value: (p) => p.ppid},
        {header: 'NAME', value: (p) => p.name, align: 'left'},
        {
          header: 'STATE',
          value: stateText,
          align: 'left',
          tone: (_, p) => stateTone(p.state),
        },
        {header: 'PRI', value: (p) => p.priority},
        {header: 'CPU', value: (p) => p.cpuTime},
        {header: 'WAIT', value: (p) => p.waiting},
        {header: 'MEM', value: (p) => p.memory},
      ]),
    ];
    return {lines, data: {time: kernel.now, processes}};
  },
};

function stateText(process: ProcessView): string {
  const state = process.state.toUpperCase();
  if (process.state === 'waiting' && process.waitingOn) return `${state}(${process.waitingOn})`;
  if (process.state === 'zombie' || process.state === 'terminated') return `${state}(${process.exitStatus})`;
  return process.isStopped ? `${state}(stopped)` : state;
}
