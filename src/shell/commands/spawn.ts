// spawn: create a process running a burst or a small program.

import {MAX_PRIORITY, MIN_PRIORITY, MAX_TICKS} from '../../kernel/index.js';
import {expectPositionals, flagInteger, flagText, toSize} from '../args.js';
import type {Command} from '../command.js';

export const spawn: Command = {
  name: 'spawn',
  usage: [
    "spawn [NAME] [--burst N] [--priority P] [--arrive T] [--parent PID] [--group G] [--prog 'OPS'] [--mem SIZE]",
  ],
  summary: 'Create a process; prints its pid',
  details: [
    '--burst N is shorthand for --prog "cpu N" (default burst 10 ticks).',
    'Higher --priority is more urgent (0 to 99). --arrive T is an absolute time (default now).',
    '--mem SIZE allocates a block the process owns from the heap at spawn.',
    'Program ops, comma-separated: cpu N, io N, sem wait S, sem signal S, mq send Q MSG, mq recv Q,',
    '  malloc SIZE, free, req R=N …, rel R=N …, wait (reap a child), exit [STATUS].',
    'Blocking ops move the process to WAITING and the scheduler on.',
  ],
  flags: {
    burst: {kind: 'value', alias: 'b'},
    priority: {kind: 'value', alias: 'p'},
    arrive: {kind: 'value'},
    parent: {kind: 'value'},
    group: {kind: 'value', alias: 'g'},
    prog: {kind: 'value'},
    mem: {kind: 'value'},
  },
  run(args, {kernel}) {
    expectPositionals(args, 0, 1);
    const memory = flagText(args, 'mem');
    const pid = kernel.spawn({
      name: args.positionals[0],
      burst: flagInteger(args, 'burst', 1, MAX_TICKS),
      priority: flagInteger(args, 'priority', MIN_PRIORITY, MAX_PRIORITY),
      arrive: flagInteger(args, 'arrive', 0, MAX_TICKS),
      parent: flagInteger(args, 'parent', 1, Number.MAX_SAFE_INTEGER),
      group: flagText(args, 'group'),
      program: flagText(args, 'prog'),
      memory: memory === undefined ? undefined : toSize(memory, '--mem'),
    });
    const process = kernel.process(pid)!;
    return {
      lines: [String(pid)],
      data: {
        pid,
        name: process.name,
        arrival: process.arrival,
        state: process.state,
        priority: process.priority,
        burst: process.burst,
      },
    };
  },
};
