// A script line -> commands. One command per line; `;` also separates commands; `#` at the start
// of a word begins a comment; '…' and "…" quote (a backslash escapes the next character inside
// double quotes and outside quotes). Pure: no kernel, no I/O.
//
//   parseLine('spawn a --burst 5; ps  # list')
//   -> [{line: 1, text: 'spawn a --burst 5', words: ['spawn', 'a', '--burst', '5']}, {line: 1, text: 'ps', words: ['ps']}]

import {ShellError} from './errors.js';

export interface CommandLine {
  /** 1-based line number in the script. */
  line: number;
  /** The command as written, trimmed, without the comment. */
  text: string;
  words: string[];
}

/** A script's first line without the UTF-8 byte-order mark some editors put at the start of a file. */
export function stripByteOrderMark(text: string): string {
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** Split one line into its commands (several when `;` separates them). Throws ShellError EPARSE on an unterminated quote. */
export function parseLine(text: string, line = 1): CommandLine[] {
  const commands: CommandLine[] = [];
  let words: string[] = [];
  let word = '';
  let hasWord = false;
  let start = 0;
  let quote: '"' | "'" | undefined;

  const endWord = () => {
    if (hasWord) words.push(word);
    word = '';
    hasWord = false;
  };
  const endCommand = (end: number) => {
    endWord();
    if (words.length > 0) commands.push({line, text: text.slice(start, end).trim(), words});
    words = [];
  };

  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += char;
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      hasWord = true;
    } else if (char === '\\' && i + 1 < text.length) {
      word += text[++i];
      hasWord = true;
    } else if (char === ';') {
      endCommand(i);
      start = i + 1;
    } else if (char === '#' && !hasWord) {
      endCommand(i);
      return commands;
    } else if (char === ' ' || char === '\t') {
      endWord();
    } else {
      word += char;
      hasWord = true;
    }
  }
  if (quote) throw new ShellError('EPARSE', `Unterminated ${quote === '"' ? 'double' : 'single'} quote.`);
  endCommand(text.length);
  return commands;
}
