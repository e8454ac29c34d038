// Builds the Context the commands run in, for a front end that drives virtual time itself
// (script mode and the readline prompt): a blocking command ticks the kernel until it is
// satisfied, provably stuck, timed out or interrupted. When only a task's end could move things
// on (a task process waits for a peer), it waits in real time for that end if the network runs
// tasks (awaitTasks), and otherwise fails with ESTALL naming the tasks.

import type {ChalkInstance} from 'chalk';
import {MAX_TICKS, type Kernel} from '../kernel/index.js';
import type {Context, Session} from './command.js';
import {ShellError} from './errors.js';
import {listPids} from './format.js';
import type {HistoryStore} from './history-store.js';

export function createSession(): Session {
  return {errexit: false, trace: false, exitStatus: undefined, interrupted: false};
}

/** Ticks between two looks at the event loop, so Ctrl-C reaches a long wait (about 5 ms of work). */
const TICKS_PER_SLICE = 65_536;

export interface ScriptContextOptions {
  /** Record every finished process into `history`. @default true */
  recordHistory?: boolean;
  /** A blocking command gives up after this many ticks unless it names its own timeout. @default none */
  defaultTimeout?: number;
  /**
   * Something outside the kernel (the network) ends task processes with finishTask. When only that
   * could move things on, a blocking command waits for it in real time, the clock standing still
   * (so --timeout, counted in ticks, does not run out meanwhile); Ctrl-C still ends the wait. When
   * false such a wait would never end, so it fails with ESTALL naming the tasks.
   * @default false
   */
  awaitTasks?: boolean;
}

/** How often a wait for a task's end looks at Ctrl-C when nothing changes, in ms. */
const TASK_POLL_MS = 50;

/**
 * A context whose `block` and `advance` run the clock as fast as it goes, in slices that let the
 * event loop in (a prompt's Ctrl-C sets session.interrupted); finished processes go to `history`.
 */
export function createScriptContext(
  kernel: Kernel,
  history: HistoryStore,
  style: ChalkInstance,
  options: ScriptContextOptions = {},
): Context {
  if (options.recordHistory ?? true) kernel.onExit((record) => history.record(record));
  const session = createSession();
  const checkInterrupt = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    if (session.interrupted) {
      session.interrupted = false;
      throw new ShellError('EINTR', `Interrupted at t=${kernel.now}.`);
    }
  };
  // Resolves at the kernel's next change (finishTask from the network) or after TASK_POLL_MS.
  const nextChange = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const unsubscribe = kernel.subscribe(done);
      const timer = setTimeout(done, TASK_POLL_MS);
    });
  return {
    kernel,
    history,
    style,
    session,
    async block(isDone, what, timeout = options.defaultTimeout) {
      const start = kernel.now;
      let sinceCheck = 0;
      kernel.settle(); // what is due now happens now: a last signal and exit at t=3 end the wait at 3
      while (!isDone()) {
        if (kernel.isStalled()) throw new ShellError('ESTALL', stallMessage(kernel, what));
        if (kernel.isAwaitingTasks()) {
          if (!options.awaitTasks) throw new ShellError('ESTALL', stallMessage(kernel, what));
          await nextChange();
          if (session.interrupted) await checkInterrupt();
          continue;
        }
        if (timeout !== undefined && kernel.now - start >= timeout) {
          throw new ShellError(
            'ETIMEDOUT',
            `Gave up waiting for ${what} after ${timeout} ticks (t=${kernel.now}).`,
          );
        }
        // A stretch in which nothing can happen (all wait on io or arrivals) cannot end the wait:
        // skip it in one step, as `tick N` does, instead of a tick at a time.
        let ticks = Math.min(Math.max(1, kernel.quietTicks()), MAX_TICKS);
        if (timeout !== undefined) ticks = Math.min(ticks, start + timeout - kernel.now);
        kernel.tick(ticks);
        kernel.settle();
        sinceCheck += ticks;
        if (sinceCheck >= TICKS_PER_SLICE) {
          sinceCheck = 0;
          await checkInterrupt();
        }
      }
    },
    async advance(ticks) {
      for (let left = ticks; left > 0; left -= TICKS_PER_SLICE) {
        kernel.tick(Math.min(left, TICKS_PER_SLICE));
        if (left > TICKS_PER_SLICE) await checkInterrupt();
      }
    },
  };
}

/** Why nothing can move: deadlocked pids, pids only the shell can wake, stopped pids, pids waiting on tasks. */
export function stallMessage(kernel: Kernel, what: string): string {
  const report = kernel.deadlocks();
  const stopped = kernel
    .listProcesses()
    .filter((p) => p.isStopped)
    .map((p) => p.pid);
  const reasons: string[] = [];
  if (report.deadlocked.length > 0)
    reasons.push(
      `pid${report.deadlocked.length > 1 ? 's' : ''} ${listPids(report.deadlocked)} deadlocked (see \`deadlock\`)`,
    );
  if (report.stuck.length > 0) {
    const detail = report.stuck.map((pid) => `${pid} on ${kernel.process(pid)?.waitingOn ?? '?'}`).join(', ');
    reasons.push(`waiting on something only the shell can provide: ${detail}`);
  }
  if (stopped.length > 0) reasons.push(`stopped: ${listPids(stopped)} (kill -CONT PID)`);
  const tasks = kernel.listProcesses().filter((p) => p.taskId !== undefined && p.state === 'waiting');
  if (tasks.length > 0) {
    const detail = tasks.map((p) => `${p.pid} on ${p.waitingOn ?? '?'}`).join(', ');
    reasons.push(`waiting on tasks nothing here will finish: ${detail}`);
  }
  const why = reasons.length > 0 ? reasons.join('; ') : 'nothing is left to run';
  return `Would wait forever for ${what} at t=${kernel.now}: ${why}.`;
}
