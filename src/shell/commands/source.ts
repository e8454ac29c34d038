// source: run the commands in a file, as if typed one by one (sh's `.`). Lets a lab file be
// replayed in the console and watched in the panes. Output of every command is kept; if any
// command failed, `source` fails too (ESOURCE) after the rest have run, unless `set -e` stops it.

import {readFileSync, realpathSync} from 'node:fs';
import {expectPositionals} from '../args.js';
import type {Command} from '../command.js';
import {ShellError} from '../errors.js';
import type {Block} from '../format.js';
import {parseLine, stripByteOrderMark} from '../parse.js';
import {runCommand, type InnerOutcome} from '../run-line.js';

/** Nested sources (no file twice: see the cycle check) beyond this many are refused. */
const MAX_SOURCE_DEPTH = 8;
/** Lab files are small; anything bigger is a mistake (a binary, a log). */
const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** The files each session is sourcing now, outermost first, as given and as resolved (a session's own). */
const stacks = new WeakMap<object, {path: string; real: string}[]>();

export const source: Command = {
  name: 'source',
  usage: ['source FILE'],
  summary: 'Run the commands in FILE, line by line, in this session',
  details: [
    'Each line runs as if typed; output and errors (FILE:LINE: message) are shown in order.',
    'A failed line does not stop the rest unless `set -e` is on; source then fails (ESOURCE).',
    '`exit` in the file ends the session, as it would typed.',
  ],
  async run(args, context) {
    expectPositionals(args, 1);
    const path = args.positionals[0]!;
    const stack = stacks.get(context.session) ?? [];
    if (stack.length >= MAX_SOURCE_DEPTH)
      throw new ShellError('ESOURCE', `Sources nest deeper than ${MAX_SOURCE_DEPTH} files (at ${path}).`);
    const text = readSource(path);
    // The shell has no conditions, so a file that sources one of the files sourcing it never ends.
    const real = realpathSync(path);
    const open = stack.findIndex((each) => each.real === real);
    if (open !== -1) {
      const chain = [...stack.slice(open), {path}].map((each) => each.path).join(' → ');
      throw new ShellError('ESOURCE', `${path} is already being sourced (${chain}): it would never end.`);
    }
    const output: Block[] = [];
    const inner: InnerOutcome[] = [];
    let ran = 0;
    let failed = 0;
    stacks.set(context.session, [...stack, {path, real}]);
    try {
      for (const [index, line] of text.split(/\r?\n/).entries()) {
        let commands;
        try {
          commands = parseLine(line, index + 1);
        } catch (error) {
          const message = (error as Error).message;
          failed++;
          output.push(context.style.red(`${path}:${index + 1}: ${message}`));
          inner.push({
            file: path,
            line: index + 1,
            outcome: {ok: false, cmd: '', code: 'EPARSE', error: message},
          });
          if (context.session.errexit) break;
          continue;
        }
        for (const command of commands) {
          const outcome = await runCommand(command, context);
          inner.push({file: path, line: index + 1, outcome});
          ran++;
          if (outcome.ok) output.push(...outcome.blocks);
          else {
            failed++;
            output.push(
              ...(outcome.blocks ?? []),
              context.style.red(`${path}:${index + 1}: ${outcome.error}`),
            );
          }
          if (context.session.exitStatus !== undefined || (!outcome.ok && context.session.errexit)) {
            return finish();
          }
        }
      }
      return finish();
    } finally {
      stacks.set(context.session, stack);
    }

    function finish() {
      if (failed > 0)
        throw new ShellError('ESOURCE', `${failed} of ${ran} commands in ${path} failed.`, output, inner);
      return {lines: output, data: {file: path, commands: ran}, inner};
    }
  },
};

function readSource(path: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > MAX_SOURCE_BYTES)
      throw new ShellError(
        'ESOURCE',
        `${path} is larger than ${MAX_SOURCE_BYTES} bytes; not a command file?`,
      );
    return stripByteOrderMark(text);
  } catch (error) {
    if (error instanceof ShellError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code;
    throw new ShellError('ENOENT', `Cannot read ${path}: ${reason}.`);
  }
}
