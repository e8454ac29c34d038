// The script runner: reads command lines (a file, stdin or -c), runs each through runCommand,
// and prints plain text or one JSON line per command (a sourced file's commands each get theirs).
// Errors go to stderr as FILE:LINE: message, and warnings as FILE:LINE: warning: …, each once a run.
// Control characters in what is printed are written out (\x1b), never sent to the terminal raw.
// Returns the exit status: 0, or 1 when any command failed.

import type {ChalkInstance} from 'chalk';
import type {Context} from './command.js';
import {blocksToLines} from './format.js';
import {parseLine, stripByteOrderMark, type CommandLine} from './parse.js';
import {runCommand, type Outcome} from './run-line.js';
import {visibleLine, visibleText} from './visible-text.js';

export interface ScriptOptions {
  /** Name used in error messages: a path, '<stdin>' or '-c'. */
  source: string;
  json: boolean;
}

export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Run every line from `lines` in order. Stops early on `exit` or, with `set -e`, on a failure. */
export async function runScript(
  lines: AsyncIterable<string> | Iterable<string>,
  context: Context,
  output: Output,
  options: ScriptOptions,
): Promise<number> {
  const report = createReporter(output, options, context.style);
  let hasFailed = false;
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber++;
    let commands: CommandLine[];
    try {
      commands = parseLine(lineNumber === 1 ? stripByteOrderMark(text) : text, lineNumber);
    } catch (error) {
      report({ok: false, cmd: '', code: 'EPARSE', error: (error as Error).message}, lineNumber);
      hasFailed = true;
      if (context.session.errexit) break;
      continue;
    }
    for (const command of commands) {
      const outcome = await runCommand(command, context);
      report(outcome, lineNumber);
      if (!outcome.ok) hasFailed = true;
      const status = context.session.exitStatus;
      if (status !== undefined) return status === 0 && hasFailed ? 1 : status;
      if (!outcome.ok && context.session.errexit) return 1;
    }
  }
  return hasFailed ? 1 : 0;
}

/** Prints outcomes as the script runs: text or JSON lines on stdout, errors and warnings on stderr. */
function createReporter(output: Output, options: ScriptOptions, style: ChalkInstance) {
  /** Warnings already said: each is said once a run, however many commands give cause. */
  const said = new Set<string>();
  const warn = (warnings: readonly string[], source: string, line: number) => {
    for (const warning of warnings) {
      if (said.has(warning)) continue;
      said.add(warning);
      output.stderr(`${source}:${line}: warning: ${visibleText(warning)}\n`);
    }
  };
  /** Warnings of an outcome and of the commands it ran, each at its own FILE:LINE. */
  const warnAll = (outcome: Outcome, source: string, line: number) => {
    for (const inner of outcome.inner ?? []) warnAll(inner.outcome, inner.file, inner.line);
    warn(outcome.warnings ?? [], source, line);
  };
  /**
   * Print one outcome: its text, or its JSON line. In --json a command that ran others (source) has
   * each of them reported first, as if typed, with its own FILE:LINE on stderr; text mode shows them
   * in the command's own lines already.
   */
  const report = (outcome: Outcome, line: number, source = options.source): void => {
    if (options.json) {
      for (const inner of outcome.inner ?? []) report(inner.outcome, inner.line, inner.file);
      warn(outcome.warnings ?? [], source, line);
      const record = outcome.ok
        ? {cmd: outcome.cmd, ok: true, data: outcome.data}
        : {cmd: outcome.cmd, ok: false, error: outcome.error, code: outcome.code};
      output.stdout(jsonLine(record) + '\n');
    } else {
      warnAll(outcome, source, line);
      if (outcome.blocks && outcome.blocks.length > 0) {
        const lines = blocksToLines(outcome.blocks, style).map((text) => visibleLine(text, style.level > 0));
        output.stdout(lines.join('\n') + '\n');
      }
    }
    if (!outcome.ok) output.stderr(`${source}:${line}: ${visibleText(outcome.error)}\n`);
  };
  return report;
}

/**
 * A record as one JSON line. JSON.stringify writes C0 controls as \u001b and the like; DEL and the
 * C1 controls it leaves raw, and a terminal showing the line would obey them, so they are escaped too.
 */
function jsonLine(record: unknown): string {
  return JSON.stringify(record).replace(
    /[\x7f-\x9f]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
