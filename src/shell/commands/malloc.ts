// malloc: allocate a heap block for the shell or for a process, with the current fit policy.

import {formatAddress, SHELL_OWNER} from '../../kernel/index.js';
import {expectPositionals, flagText, toPid, toSize} from '../args.js';
import type {Command} from '../command.js';

export const malloc: Command = {
  name: 'malloc',
  usage: ['malloc SIZE [--pid PID]'],
  summary: 'Allocate a heap block; prints its address',
  details: [
    'SIZE is in units and takes K or M suffixes (powers of 1024): 100, 4K, 1M.',
    'The current fit policy (see `fit`) picks the hole; the block starts at the low end of it.',
    'Without --pid the shell owns the block; with --pid the process owns it and frees it when it exits.',
    'Fails with ENOMEM when no hole is big enough, and says how large the largest hole is.',
  ],
  flags: {pid: {kind: 'value', alias: 'p'}},
  run(args, {kernel}) {
    expectPositionals(args, 1);
    const size = toSize(args.positionals[0]!, 'size');
    const pidText = flagText(args, 'pid');
    const owner = pidText === undefined ? SHELL_OWNER : toPid(pidText);
    const addr = kernel.malloc(size, owner);
    const fit = kernel.fit;
    return {
      lines: [`${formatAddress(addr)} (${size} units, ${fit} fit)`],
      data: {addr, size, owner, fit},
    };
  },
};
