// help: generated from the command table.

import {expectPositionals} from '../args.js';
import type {Command} from '../command.js';
import {ShellError} from '../errors.js';
import {commands, findCommand, suggestCommand} from './index.js';

export const help: Command = {
  name: 'help',
  usage: ['help [COMMAND]'],
  summary: 'List commands, or explain one',
  run(args, {style}) {
    expectPositionals(args, 0, 1);
    const name = args.positionals[0];
    if (name === undefined) {
      const width = Math.max(...commands.map((command) => command.name.length));
      const lines = commands.map(
        (command) => `${style.bold(command.name.padEnd(width))}  ${command.summary}`,
      );
      lines.push('', 'Commands end at a newline or `;`. `#` starts a comment. `help NAME` explains one.');
      return {lines, data: {commands: commands.map(({name, summary, usage}) => ({name, summary, usage}))}};
    }
    const command = findCommand(name);
    if (!command) {
      const suggestion = suggestCommand(name);
      throw new ShellError(
        'ENOCMD',
        `Unknown command \`${name}\`.${suggestion ? ` Did you mean \`${suggestion}\`?` : ''}`,
      );
    }
    const lines = [
      `${style.bold(command.name)} - ${command.summary}`,
      ...command.usage.map((usage) => `  usage: ${usage}`),
      ...(command.details ?? []).map((line) => `  ${line}`),
    ];
    return {
      lines,
      data: {
        name: command.name,
        summary: command.summary,
        usage: command.usage,
        details: command.details ?? [],
      },
    };
  },
};
