// The contract between the command table and its two front ends (the script runner and the
// interactive console). A command parses its arguments, calls the kernel, and returns lines and
// data. It never prints and never exits; errors are thrown and become one-line results.

import type {ChalkInstance} from 'chalk';
import type {Kernel} from '../kernel/index.js';
import type {Args, FlagSpecs} from './args.js';
import type {Block} from './format.js';
import type {HistoryStore} from './history-store.js';
import type {NetAccess} from './net-access.js';
import type {InnerOutcome} from './run-line.js';

export interface Session {
  /** `set -e`: stop the script at the first failed command. */
  errexit: boolean;
  /** `trace on`: after each command, show the kernel events it caused. */
  trace: boolean;
  /** Set by `exit`: the front end stops with this status. */
  exitStatus: number | undefined;
  /** Set by the prompt on Ctrl-C: the running blocking command stops with EINTR. */
  interrupted: boolean;
}

export interface Context {
  kernel: Kernel;
  history: HistoryStore;
  /** Colours for text output; level 0 when colour is off. */
  style: ChalkInstance;
  session: Session;
  /**
   * Block until `isDone()` holds, letting virtual time pass. Rejects with ShellError ESTALL when
   * nothing can change any more (`what` says what was awaited), or ETIMEDOUT after `timeout` ticks.
   */
  block(isDone: () => boolean, what: string, timeout?: number): Promise<void>;
  /** Let `ticks` of virtual time pass; rejects with ShellError EINTR when interrupted. */
  advance(ticks: number): Promise<void>;
  /** The console's real-time clock. Absent in script mode, where time moves only by command. */
  clock?: ClockControl;
  /** The console's live panes. Absent in script mode. */
  panes?: PaneControl;
  /** The network (peers, tasks, memory). Absent where a front end has none (unit tests). */
  net?: NetAccess;
  /** Passwords given to the whole shell (p2pos --password-file, P2POS_PASSWORD), for login and the like. */
  passwords?: PasswordDefaults;
  /** Ask the person at the console for a secret without echoing it. Absent in script mode. */
  readSecret?: (prompt: string) => Promise<string>;
  /**
   * Await `work` (a task, a request) so that Ctrl-C ends the wait: the console rejects at once with
   * ShellError EINTR (`Interrupted: ${what}.`), after calling `onInterrupt` (cancel the task). Absent in
   * script mode, where there is no Ctrl-C to catch (a signal ends the whole script); see untilDone().
   */
  interruptible?<T>(work: Promise<T>, what: string, onInterrupt?: () => void): Promise<T>;
  /**
   * Show a line after the command that caused it has returned (a background download ended): the
   * console's output. Absent in script mode, where a command's output is all it prints.
   */
  notify?: (line: Block) => void;
}

/** `work`, interruptible by Ctrl-C where the front end has one (context.interruptible). */
export function untilDone<T>(
  context: Context,
  work: Promise<T>,
  what: string,
  onInterrupt?: () => void,
): Promise<T> {
  return context.interruptible === undefined ? work : context.interruptible(work, what, onInterrupt);
}

/** Where account commands find a password when the command names none. */
export interface PasswordDefaults {
  /** A file whose first line is the password (--password-file). */
  file?: string;
  /** The password itself (P2POS_PASSWORD, or --password with a warning). */
  value?: string;
  /** The same for passwd's new password (--new-password-file, P2POS_NEW_PASSWORD). */
  newFile?: string;
  newValue?: string;
}

/** A clock that ticks the kernel in real time (the console's). */
export interface ClockControl {
  /** Ticks per second. */
  readonly hz: number;
  readonly isRunning: boolean;
  pause(): void;
  resume(): void;
  /** Change the rate; `hz` is within 1..MAX_CLOCK_HZ (the caller checks). */
  setHz(hz: number): void;
}

/** The console's pane settings, as the `pane` command changes them. */
export interface PaneControl {
  /** Pane names, in screen order. */
  readonly names: readonly string[];
  /** Sort keys of the top pane. */
  readonly sortKeys: readonly string[];
  show(name: string): void;
  hide(name: string): void;
  /** Focus a pane (PgUp/PgDn scroll it), showing it if hidden; 'output' focuses the command output. */
  focus(name: string): void;
  sort(key: string): void;
  /** Each pane with whether it is shown and focused, and the top pane's sort key. */
  describe(): {panes: {name: string; visible: boolean; focused: boolean}[]; sort: string};
}

/** The fastest the console's clock runs: above this a tick is shorter than a timer can resolve anyway. */
export const MAX_CLOCK_HZ = 100_000;

export interface Result {
  /** Lines for a person (may carry colour) and tables, in order. */
  lines: Block[];
  /** The same answer as data, for --json. */
  data?: Record<string, unknown>;
  /**
   * Commands this one ran for the user (source runs a file's lines). `lines` already shows their
   * output; --json reports each as its own line, before this command's.
   */
  inner?: InnerOutcome[];
}

export interface Command {
  name: string;
  /** One or more usage lines, e.g. 'kill [-TERM|-KILL|-STOP|-CONT] PID'. */
  usage: string[];
  summary: string;
  /** Extra lines for `help NAME`: rules, tie-breaks, examples. */
  details?: string[];
  flags?: FlagSpecs;
  /** Sub-command words, for completion and help. */
  subcommands?: string[];
  /** Take the raw words instead of parsed flags (kill's -TERM, set's -e). */
  rawWords?: boolean;
  /**
   * Positionals from index `from` on are free text (echo's words, mq send's message), when the
   * first positional is `subcommand` (if one is named). Every other argument (names above all)
   * refuses control characters; free text keeps them, and output shows them written out.
   */
  freeText?: {subcommand?: string; from: number};
  run(args: Args, context: Context): Result | Promise<Result>;
}
