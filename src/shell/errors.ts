// The shell's one error class. `code` is stable; callers branch on it, never on the message.

import type {Block} from './format.js';
import type {InnerOutcome} from './run-line.js';

export type ShellErrorCode =
  | 'EUSAGE' // wrong arguments: the message carries the usage line
  | 'ENOCMD' // no such command
  | 'EPARSE' // an unterminated quote and the like
  | 'ESTALL' // a blocking command would wait forever
  | 'ETIMEDOUT' // a blocking command hit its --timeout
  | 'EINTR' // Ctrl-C stopped a blocking command
  | 'EHISTORY' // the history database failed
  | 'ENOTTY' // a console-only command (pause, pane) in script mode
  | 'ESOURCE' // a command in a sourced file failed
  | 'ENOENT' // a file to read is missing or unreadable
  | 'ETASK' // some tasks of a batch failed (the results are still printed)
  | 'ENONET'; // a network command while offline, or the network did not start

export class ShellError extends Error {
  readonly code: ShellErrorCode;
  /** What the command printed before it failed (a sourced file's earlier commands). */
  readonly output: readonly Block[];
  /** The commands it ran before it failed, as Result.inner (a sourced file's lines). */
  readonly inner: readonly InnerOutcome[];

  constructor(
    code: ShellErrorCode,
    message: string,
    output: readonly Block[] = [],
    inner: readonly InnerOutcome[] = [],
  ) {
    super(message);
    this.name = 'ShellError';
    this.code = code;
    this.output = output;
    this.inner = inner;
  }
}
