// The shell's one error class. `code` is stable; callers branch on it, never on the message.

export type ShellErrorCode =
  | 'EUSAGE' // wrong arguments: the message carries the usage line
  | 'ENOCMD' // no such command
  | 'EPARSE' // an unterminated quote and the like
  | 'ESTALL' // a blocking command would wait forever
  | 'ETIMEDOUT' // a blocking command hit its --timeout
  | 'EINTR' // Ctrl-C stopped a blocking command
  | 'EHISTORY'; // the history database failed

export class ShellError extends Error {
  readonly code: ShellErrorCode;

  constructor(code: ShellErrorCode, message: string) {
    super(message);
    this.name = 'ShellError';
    this.code = code;
  }
}
