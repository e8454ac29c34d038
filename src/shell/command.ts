// The contract between the command table and its two front ends (the script runner and the
// interactive console). A command parses its arguments, calls the kernel, and returns lines and
// data. It never prints and never exits; errors are thrown and become one-line results.

import type {ChalkInstance} from 'chalk';
import type {Kernel} from '../kernel/index.js';
import type {Args, FlagSpecs} from './args.js';
import type {Block} from './format.js';
import type {HistoryStore} from './history-store.js';

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
}

export interface Result {
  /** Lines for a person (may carry colour) and tables, in order. */
  lines: Block[];
  /** The same answer as data, for --json. */
  data?: Record<string, unknown>;
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
  run(args: Args, context: Context): Result | Promise<Result>;
}
