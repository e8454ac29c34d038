// trace: show the kernel events each command causes.

import {expectPositionals, toChoice} from '../args.js';
import type {Command} from '../command.js';

export const trace: Command = {
  name: 'trace',
  usage: ['trace [on|off]'],
  summary: 'After each command, print the kernel events it caused',
  run(args, {session}) {
    expectPositionals(args, 0, 1);
    if (args.positionals[0] !== undefined)
      session.trace = toChoice(args.positionals[0], 'setting', ['on', 'off']) === 'on';
    return {lines: [`trace ${session.trace ? 'on' : 'off'}`], data: {trace: session.trace}};
  },
};
