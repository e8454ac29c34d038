// echo: print its arguments (to annotate a lab's output).

import type {Command} from '../command.js';

export const echo: Command = {
  name: 'echo',
  usage: ['echo [TEXT…]'],
  summary: 'Print text',
  rawWords: true,
  run(args) {
    const text = args.positionals.join(' ');
    return {lines: [text], data: {text}};
  },
};
