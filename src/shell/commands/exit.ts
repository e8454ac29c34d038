// exit: leave the shell (in a script: stop it here).

import {expectPositionals, toInteger} from '../args.js';
import type {Command} from '../command.js';

export const exit: Command = {
  name: 'exit',
  usage: ['exit [STATUS]'],
  summary: 'Leave the shell (a script stops here)',
  run(args, {session}) {
    expectPositionals(args, 0, 1);
    const status = args.positionals[0] === undefined ? 0 : toInteger(args.positionals[0], 'status', 0, 255);
    session.exitStatus = status;
    return {lines: [], data: {status}};
  },
};
