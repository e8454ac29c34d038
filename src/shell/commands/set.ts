// set: shell options. -e stops a script at the first failed command; +e turns that off.

import type {Command} from '../command.js';
import {ShellError} from '../errors.js';

export const set: Command = {
  name: 'set',
  usage: ['set [-e|+e]'],
  summary: 'Stop at the first failure (-e) or carry on (+e)',
  rawWords: true,
  run(args, {session}) {
    for (const word of args.positionals) {
      if (word === '-e') session.errexit = true;
      else if (word === '+e') session.errexit = false;
      else throw new ShellError('EUSAGE', `Unknown option \`${word}\`.`);
    }
    return {lines: [`errexit ${session.errexit ? 'on' : 'off'}`], data: {errexit: session.errexit}};
  },
};
