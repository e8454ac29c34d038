// Builds the Context the commands run in, for a front end that drives virtual time itself
// (script mode): a blocking command ticks the kernel until it is satisfied or provably stuck.

import type {ChalkInstance} from 'chalk';
import type {Kernel} from '../kernel/index.js';
import type {Context, Session} from './command.js';
import {ShellError} from './errors.js';
import {listPids} from './format.js';
import type {HistoryStore} from './history-store.js';

export function createSession(): Session {
  return {errexit: false, trace: false, exitStatus: undefined};
}

/** A context whose `block` runs the clock synchronously; finished processes go to `history`. */
export function createScriptContext(kernel: Kernel, history: HistoryStore, style: ChalkInstance): Context {
  kernel.onExit((record) => history.record(record));
  return {
    kernel,
    history,
    style,
    session: createSession(),
    async block(isDone, what, timeout) {
      const start = kernel.now;
      while (!isDone()) {
        if (kernel.isStalled()) throw new ShellError('ESTALL', stallMessage(kernel, what));
        if (timeout !== undefined && kernel.now - start >= timeout) {
          throw new ShellError('ETIMEDOUT', `Gave up waiting for ${what} after ${timeout} ticks (t=${kernel.now}).`);
        }
        kernel.tick();
      }
    },
  };
}

/** Why nothing can move: deadlocked pids, pids only the shell can wake, stopped pids. */
export function stallMessage(kernel: Kernel, what: string): string {
  const report = kernel.deadlocks();
  const stopped = kernel.listProcesses().filter((p) => p.isStopped).map((p) => p.pid);
  const reasons: string[] = [];
  if (report.deadlocked.length > 0) reasons.push(`pid${report.deadlocked.length > 1 ? 's' : ''} ${listPids(report.deadlocked)} deadlocked (see \`deadlock\`)`);
  if (report.stuck.length > 0) {
    const detail = report.stuck.map((pid) => `${pid} on ${kernel.process(pid)?.waitingOn ?? '?'}`).join(', ');
    reasons.push(`waiting on something only the shell can provide: ${detail}`);
  }
  if (stopped.length > 0) reasons.push(`stopped: ${listPids(stopped)} (kill -CONT PID)`);
  const why = reasons.length > 0 ? reasons.join('; ') : 'nothing is left to run';
  return `Would wait forever for ${what} at t=${kernel.now}: ${why}.`;
}
