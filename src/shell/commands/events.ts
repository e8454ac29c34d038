// events: the kernel's recent event log.

import {EVENT_LOG_CAPACITY} from '../../kernel/index.js';
import {expectPositionals, toInteger} from '../args.js';
import type {Command} from '../command.js';
import {tableBlock} from '../format.js';

export const events: Command = {
  name: 'events',
  usage: ['events [N]'],
  summary: 'Show the last N kernel events (default 20)',
  run(args, {kernel}) {
    expectPositionals(args, 0, 1);
    const limit =
      args.positionals[0] === undefined ? 20 : toInteger(args.positionals[0], 'count', 1, EVENT_LOG_CAPACITY);
    const recent = kernel.recentEvents(limit);
    const lines = [
      tableBlock(recent, [
        {header: 'TIME', value: (e) => e.time},
        {header: 'PID', value: (e) => (e.pid === 0 ? 'shell' : String(e.pid)), align: 'right'},
        {header: 'EVENT', value: (e) => e.kind, align: 'left'},
        {header: 'DETAIL', value: (e) => e.detail, align: 'left'},
      ]),
    ];
    return {lines, data: {events: recent}};
  },
};
