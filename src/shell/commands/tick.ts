// tick: advance virtual time.

import {MAX_TICKS} from '../../kernel/index.js';
import {expectPositionals, toInteger} from '../args.js';
import type {Command} from '../command.js';

export const tick: Command = {
  name: 'tick',
  usage: ['tick [N]'],
  summary: 'Advance the clock N ticks (default 1); prints the time',
  async run(args, {kernel, advance}) {
    expectPositionals(args, 0, 1);
    const ticks =
      args.positionals[0] === undefined ? 1 : toInteger(args.positionals[0], 'tick count', 0, MAX_TICKS);
    await advance(ticks);
    return {lines: [`t=${kernel.now}`], data: {time: kernel.now}};
  },
};
