// source: run the commands in a file, as if typed one by one (sh's `.`). Lets a lab file be
// replayed in the console and watched in the panes. Output of every command is kept; if any
// command failed, `source` fails too (ESOURCE) after the rest have run, unless `set -e` stops it.

import {readFileSync} from 'node:fs';
import {expectPositionals} from '../args.js';
import type {Command} from '../command.js';
import {ShellError} from '../errors.js';
import type {Block} from '../format.js';
import {parseLine, stripByteOrderMark} from '../parse.js';
import {runCommand, type InnerOutcome} from '../run-line.js';

/** A file sourcing itself would otherwise recurse until the stack ran out. */
const MAX_SOURCE_DEPTH = 8;
/** Lab files are small; anything bigger is a mistake (a binary, a log). */
const MAX_SOURCE_BYTES = 4 * 1024 * 1024;

/** How deep each session is in nested sources (a session's own count, not the module's). */
const depths = new WeakMap<object, number>();

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
    const depth = depths.get(context.session) ?? 0;
    if (depth >= MAX_SOURCE_DEPTH)
      throw new ShellError('ESOURCE', `Sources nest deeper than ${MAX_SOURCE_DEPTH} files (at ${path}).`);
    const text = readSource(path);
    const output: Block[] = [];
    const inner: InnerOutcome[] = [];
    let ran = 0;
    let failed = 0;
    depths.set(context.session, depth + 1);
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
      depths.set(context.session, depth);
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
