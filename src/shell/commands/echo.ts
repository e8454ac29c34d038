// echo: print its arguments (to annotate a lab's output).

import type {Command} from '../command.js';
import {visibleText} from '../visible-text.js';

export const echo: Command = {
  name: 'echo',
  usage: ['echo [TEXT…]'],
  summary: 'Print text',
  rawWords: true,
  freeText: {from: 0},
  run(args) {
    const text = args.positionals.join(' ');
    // shown with any control character written out; the data keeps the text as given
    return {lines: [visibleText(text)], data: {text}};
  },
};
