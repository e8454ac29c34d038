// Run one command line against the command table. Both front ends call this; the only difference
// between them is how they show the outcome. Errors from any layer become a one-line failure,
// and a KernelBug is reported without taking the session down.

import {NetError} from '../net/net-error.js';
import {ProtocolError, RequestError} from '../net/errors.js';
import {DownloadError} from '../net/files/downloader.js';
import {FileError} from '../net/files/errors.js';
import {PartialFileError} from '../net/files/partial-file.js';
import {StoreError} from '../sqlite.js';
import {KernelBug, KernelError} from '../kernel/index.js';
import {parseArgs, secretWarnings, type Args} from './args.js';
import type {Command, Context, Result} from './command.js';
import {commands, findCommand, suggestCommand} from './commands/index.js';
import {ShellError} from './errors.js';
import type {Block} from './format.js';
import type {CommandLine} from './parse.js';
import {findControlCharacter, visibleText} from './visible-text.js';

export type Outcome =
  | {
      ok: true;
      cmd: string;
      /** The output: lines and tables (blocksToLines lays it out as text). */
      blocks: Block[];
      data: Record<string, unknown>;
      /** Commands it ran for the user (a sourced file's lines), each reported as if typed in --json. */
      inner?: InnerOutcome[];
      /** Said to the person once, never part of the answer: stderr in a script, the output in the console. */
      warnings?: string[];
    }
  | {
      ok: false;
      cmd: string;
      error: string;
      code: string;
      usage?: string[];
      /** What the command printed before it failed, if anything. */
      blocks?: Block[];
      inner?: InnerOutcome[];
      warnings?: string[];
    };

/** A command another one ran (a line of a sourced file): its outcome and where it was written. */
export interface InnerOutcome {
  file: string;
  line: number;
  outcome: Outcome;
}

/**
 * Whether `line` gives one of its commands a secret inline (a flag with a saferWay: --password P),
 * read as runCommand reads it. Words of such a command that do not parse count as holding one.
 */
export function holdsInlineSecret(line: readonly CommandLine[]): boolean {
  return line.some(({words: [name, ...words]}) => {
    const command = findCommand(name ?? '');
    if (command?.flags === undefined || command.rawWords) return false;
    try {
      return secretWarnings(parseArgs(words, command.flags), command.flags).length > 0;
    } catch {
      return Object.values(command.flags).some((flag) => flag.saferWay !== undefined);
    }
  });
}

/** Run a parsed command. Never throws: every failure comes back as an Outcome with ok false. */
export async function runCommand(line: CommandLine, context: Context): Promise<Outcome> {
  const [name, ...words] = line.words;
  const cmd = name ?? '';
  const command = findCommand(cmd);
  if (!command) {
    const suggestion = suggestCommand(cmd);
    const hint = suggestion ? ` Did you mean \`${suggestion}\`?` : ' Type `help` for the list.';
    return {ok: false, cmd, code: 'ENOCMD', error: `Unknown command \`${cmd}\`.${hint}`};
  }
  const eventsBefore = context.session.trace ? lastEventSeq(context) : 0;
  let warnings: string[] = [];
  let outcome: Outcome;
  try {
    const args = command.rawWords ? {positionals: words, flags: new Map()} : parseArgs(words, command.flags);
    refuseControlCharacters(args, command);
    // said whether the command then succeeds or not: the secret was on the command line either way
    warnings = secretWarnings(args, command.flags);
    const result: Result = await command.run(args, context);
    outcome = {
      ok: true,
      cmd: command.name,
      blocks: result.lines,
      data: result.data ?? {},
      ...(result.inner ? {inner: result.inner} : {}),
    };
    // A command that ran others (source) caused no events of its own: each inner one traced its own.
    if (context.session.trace && !result.inner) addTrace(outcome, context, eventsBefore);
  } catch (error) {
    outcome = failureOf(error, command);
  }
  if (warnings.length > 0) outcome.warnings = warnings;
  return outcome;
}

/**
 * Refuse a control character in any argument but free text: a name holding ESC [41m would be stored
 * and paint the console red wherever it is shown, and a BEL ring on every ps.
 */
function refuseControlCharacters(args: Args, command: Command): void {
  const {freeText} = command;
  const isFreeText = (index: number) =>
    freeText !== undefined &&
    index >= freeText.from &&
    (freeText.subcommand === undefined || args.positionals[0] === freeText.subcommand);
  const words = [
    ...args.positionals.filter((_, index) => !isFreeText(index)),
    ...[...args.flags.values()].filter((value) => typeof value === 'string'),
  ];
  for (const word of words) {
    const char = findControlCharacter(word);
    if (char !== undefined)
      throw new ShellError(
        'EUSAGE',
        `\`${visibleText(word)}\` holds a control character (${visibleText(char)}); names and other arguments cannot.`,
      );
  }
}

/** The warnings of an outcome and of every command it ran (a sourced file's), in the order they ran. */
export function warningsOf(outcome: Outcome): string[] {
  return [
    ...(outcome.inner ?? []).flatMap((inner) => warningsOf(inner.outcome)),
    ...(outcome.warnings ?? []),
  ];
}

/** A thrown error as a failed outcome of `command`. */
function failureOf(error: unknown, command: Command): Outcome {
  if (error instanceof ShellError && error.code === 'EUSAGE') {
    return {
      ok: false,
      cmd: command.name,
      code: error.code,
      error: `${error.message} Usage: ${command.usage.join(' | ')}`,
      usage: command.usage,
    };
  }
  if (error instanceof ShellError && (error.output.length > 0 || error.inner.length > 0)) {
    return {
      ok: false,
      cmd: command.name,
      code: error.code,
      error: error.message,
      blocks: [...error.output],
      ...(error.inner.length > 0 ? {inner: [...error.inner]} : {}),
    };
  }
  if (
    error instanceof ShellError ||
    error instanceof KernelError ||
    error instanceof NetError ||
    error instanceof RequestError ||
    error instanceof ProtocolError ||
    // disk sharing: a file, a download's temporary file, the download, the transfer store
    error instanceof FileError ||
    error instanceof PartialFileError ||
    error instanceof DownloadError ||
    error instanceof StoreError
  ) {
    return {ok: false, cmd: command.name, code: error.code, error: error.message};
  }
  if (error instanceof KernelBug) {
    return {
      ok: false,
      cmd: command.name,
      code: 'EBUG',
      error: `Kernel bug (please report): ${error.message}`,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {ok: false, cmd: command.name, code: 'EINTERNAL', error: `Internal error: ${message}`};
}

function lastEventSeq(context: Context): number {
  return context.kernel.recentEvents(1)[0]?.seq ?? 0;
}

function addTrace(outcome: Outcome & {ok: true}, context: Context, after: number): void {
  const events = context.kernel.recentEvents().filter((event) => event.seq > after);
  if (events.length === 0) return;
  outcome.data = {...outcome.data, events};
  const traced = events.map((event) =>
    context.style.dim(
      `  [t=${event.time}] ${event.pid === 0 ? 'shell' : `pid ${event.pid}`} ${event.kind}${event.detail ? ` ${event.detail}` : ''}`,
    ),
  );
  outcome.blocks = [...traced, ...outcome.blocks];
}

export {commands};
