// fit: show or switch the heap's fit policy.

import {FIT_POLICY_NAMES} from '../../kernel/index.js';
import {expectPositionals, toChoice} from '../args.js';
import type {Command} from '../command.js';

export const fit: Command = {
  name: 'fit',
  usage: [`fit [${FIT_POLICY_NAMES.join('|')}]`],
  summary: 'Show or set the memory fit policy',
  details: [
    'first: the lowest-addressed hole that fits.  best: the smallest hole that fits (ties: lowest address).',
    'worst: the largest hole (ties: lowest address).  next: first fit, starting where the last next-fit block ended.',
    'Switching keeps every block and hole; only later allocations change.',
  ],
  subcommands: [...FIT_POLICY_NAMES],
  run(args, {kernel}) {
    expectPositionals(args, 0, 1);
    const wanted = args.positionals[0];
    if (wanted === undefined) return {lines: [`fit: ${kernel.fit}`], data: {fit: kernel.fit}};
    const previous = kernel.fit;
    kernel.setFit(toChoice(wanted, 'fit policy', FIT_POLICY_NAMES));
    const line = previous === kernel.fit ? `fit: ${kernel.fit}` : `fit: ${kernel.fit} (was ${previous})`;
    return {lines: [line], data: {fit: kernel.fit}};
  },
};
