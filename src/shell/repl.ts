// The interactive shell for a terminal: a readline prompt with history and tab completion over
// the same command layer scripts use. Loaded only when stdin and stdout are a terminal.

import {createInterface, type Completer} from 'node:readline';
import type {Context} from './command.js';
import {commands, findCommand} from './commands/index.js';
import {parseLine} from './parse.js';
import {runCommand} from './run-line.js';

/** Run the prompt until `exit` or Ctrl-D. Returns the exit status. */
export async function runRepl(context: Context): Promise<number> {
  const {style} = context;
  const completer: Completer = (line) => complete(line, context);
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    completer,
    historySize: 1000,
    terminal: true,
  });
  const prompt = () => `${style.cyan(`p2pos t=${context.kernel.now}`)}> `;
  process.stdout.write(
    `p2pos: a teaching kernel (${context.kernel.schedulerDescription}). Type \`help\`, Ctrl-D to leave.\n`,
  );
  rl.setPrompt(prompt());
  rl.prompt();
  let isBusy = false;
  rl.on('SIGINT', () => {
    // Ctrl-C stops a running wait, or clears the line; it never kills the kernel.
    if (isBusy) {
      context.session.interrupted = true;
      return;
    }
    rl.write('', {ctrl: true, name: 'u'});
    process.stdout.write('^C\n');
    rl.prompt();
  });
  for await (const text of rl) {
    try {
      for (const command of parseLine(text)) {
        isBusy = true;
        const outcome = await runCommand(command, context).finally(() => {
          isBusy = false;
          context.session.interrupted = false;
        });
        if (outcome.ok) {
          if (outcome.lines.length > 0) process.stdout.write(outcome.lines.join('\n') + '\n');
        } else {
          process.stdout.write(style.red(`error: ${outcome.error}`) + '\n');
        }
        if (context.session.exitStatus !== undefined) {
          rl.close();
          return context.session.exitStatus;
        }
      }
    } catch (error) {
      process.stdout.write(style.red(`error: ${(error as Error).message}`) + '\n');
    }
    rl.setPrompt(prompt());
    rl.prompt();
  }
  return 0;
}

function complete(line: string, context: Context): [string[], string] {
  const words = line.split(/\s+/);
  const current = words[words.length - 1] ?? '';
  let candidates: string[];
  if (words.length <= 1) {
    candidates = commands.map((command) => command.name);
  } else {
    const command = findCommand(words[0]!);
    const pids = context.kernel.listProcesses().map((p) => String(p.pid));
    const flags = Object.keys(command?.flags ?? {}).map((flag) => `--${flag}`);
    candidates = [...(words.length === 2 ? (command?.subcommands ?? []) : []), ...flags, ...pids];
  }
  const hits = candidates.filter((candidate) => candidate.startsWith(current));
  return [hits.length > 0 ? hits : candidates, current];
}
