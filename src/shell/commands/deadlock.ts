// deadlock: the wait-for graph, its cycles, and who is deadlocked; --recover ends victims until none is.

import type {ChalkInstance} from 'chalk';
import type {DeadlockReport} from '../../kernel/index.js';
import {expectPositionals} from '../args.js';
import type {Command} from '../command.js';

export const deadlock: Command = {
  name: 'deadlock',
  usage: ['deadlock [--recover]'],
  summary: 'Detect deadlock from the wait-for graph; --recover kills victims until none is left',
  details: [
    'Edges read `3 -> 2 via sem A`: pid 3 waits for pid 2, which holds A or will signal it.',
    'Semaphores, message queues, resources, memory and child waits all count, not only resources.',
    'Deadlocked: on a cycle of waits, or waiting through a chain on one. Blocked forever (stuck): waiting on',
    '  something no process will ever provide, such as a semaphore nobody holds; only the shell can wake them.',
    '--recover kills one deadlocked process at a time (lowest priority, then least CPU used, then highest pid),',
    '  checking again after each, and says why each victim was chosen. Its holdings go to the waiters.',
  ],
  flags: {recover: {kind: 'boolean', alias: 'r'}},
  run(args, {kernel, style}) {
    expectPositionals(args, 0);
    const report = kernel.deadlocks();
    const lines = describeReport(report, style);
    const data: Record<string, unknown> = {...report};
    if (args.flags.has('recover')) {
      const victims = report.deadlocked.length === 0 ? [] : kernel.recoverFromDeadlock();
      if (victims.length === 0) lines.push('nothing to recover');
      for (const victim of victims)
        lines.push(style.red(`killed pid ${victim.pid} (${victim.name}): ${victim.reason}`));
      data.victims = victims;
    }
    return {lines, data};
  },
};

function describeReport(report: DeadlockReport, style: ChalkInstance): string[] {
  const lines = report.edges.map((edge) => `${edge.from} -> ${edge.to} via ${edge.via}`);
  for (const cycle of report.cycles) lines.push(`cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  lines.push(
    report.deadlocked.length === 0
      ? style.green('no deadlock')
      : style.red(`deadlocked: ${report.deadlocked.join(', ')}`),
  );
  if (report.stuck.length > 0) {
    lines.push(style.yellow(`blocked forever, only the shell can wake them: ${report.stuck.join(', ')}`));
  }
  return lines;
}
