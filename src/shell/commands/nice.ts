// nice: set a process's priority.

import {MAX_PRIORITY, MIN_PRIORITY} from '../../kernel/index.js';
import {expectPositionals, toInteger, toPid} from '../args.js';
import type {Command} from '../command.js';

export const nice: Command = {
  name: 'nice',
  usage: ['nice PID PRIO'],
  summary: `Set a process's priority (${MIN_PRIORITY} to ${MAX_PRIORITY}, higher is more urgent)`,
  run(args, {kernel}) {
    expectPositionals(args, 2);
    const pid = toPid(args.positionals[0]!);
    const priority = toInteger(args.positionals[1]!, 'priority', MIN_PRIORITY, MAX_PRIORITY);
    kernel.nice(pid, priority);
    return {lines: [`pid ${pid} priority ${priority}`], data: {pid, priority}};
  },
};
