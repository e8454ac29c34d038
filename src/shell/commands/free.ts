// free: give a heap block back; its hole coalesces with free neighbours.

import {formatAddress} from '../../kernel/index.js';
import {expectPositionals, toAddress} from '../args.js';
import type {Command} from '../command.js';

export const free: Command = {
  name: 'free',
  usage: ['free ADDR'],
  summary: 'Free the heap block that starts at ADDR',
  details: [
    'ADDR is decimal or 0x hex, and must be the start of an allocated block (as malloc printed it).',
    'Freeing twice, an address inside a block, or one outside the heap fails with EFAULT and changes nothing.',
    'Any block may be freed, whoever owns it; a process waiting for memory may then get its block.',
  ],
  run(args, {kernel}) {
    expectPositionals(args, 1);
    const block = kernel.free(toAddress(args.positionals[0]!));
    return {
      lines: [`freed ${block.size} units at ${formatAddress(block.addr)}`],
      data: {addr: block.addr, size: block.size, owner: block.owner},
    };
  },
};
