// The Context commands run in inside the console. Time runs on the real-time clock, so a blocking
// command (`wait`, `sem wait` by the shell) waits for the clock's ticks rather than spinning the
// kernel; it still fails at once when nothing could ever satisfy it (ESTALL, as in script mode),
// and Ctrl-C ends it (EINTR). `tick N` and `step N` advance at once, as they do in scripts. A task or
// request awaited through interruptible() ends at Ctrl-C too (exec then cancels its task).

import type {ChalkInstance} from 'chalk';
import type {Kernel} from '../../kernel/index.js';
import type {ClockControl, Context, PaneControl} from '../command.js';
import {createScriptContext, stallMessage} from '../context.js';
import {ShellError} from '../errors.js';
import type {HistoryStore} from '../history-store.js';

export interface LiveContext extends Context {
  /** Ctrl-C: end the blocking command now (it fails with EINTR). */
  interrupt(): void;
}

export function createLiveContext(
  kernel: Kernel,
  history: HistoryStore,
  style: ChalkInstance,
  clock: ClockControl,
  panes: PaneControl,
): LiveContext {
  const base = createScriptContext(kernel, history, style);
  let cancel: (() => void) | undefined;
  return {
    ...base,
    clock,
    panes,
    interrupt() {
      if (cancel) cancel();
      else base.session.interrupted = true; // a `tick N` slice loop looks at this
    },
    interruptible(work, what, onInterrupt) {
      return new Promise((resolve, reject) => {
        const stop = () => {
          cancel = undefined;
          onInterrupt?.();
          reject(new ShellError('EINTR', `Interrupted: ${what}.`));
        };
        cancel = stop;
        const settle = () => {
          if (cancel === stop) cancel = undefined;
        };
        work.then(
          (value) => (settle(), resolve(value)),
          (error: unknown) => (settle(), reject(error)),
        );
      });
    },
    block(isDone, what, timeout) {
      if (isDone()) return Promise.resolve();
      const start = kernel.now;
      return new Promise<void>((resolve, reject) => {
        const finish = (error?: ShellError) => {
          unsubscribe();
          cancel = undefined;
          if (error) reject(error);
          else resolve();
        };
        let isChecking = false;
        const check = () => {
          // isDone() may change the kernel (sem wait takes its unit), which calls check again from
          // inside; that inner call would see a state with nothing left to run and fail the wait.
          if (isChecking) return;
          isChecking = true;
          try {
            settle();
          } finally {
            isChecking = false;
          }
        };
        const settle = () => {
          if (isDone()) finish();
          else if (kernel.isStalled()) finish(new ShellError('ESTALL', stallMessage(kernel, what)));
          else if (timeout !== undefined && kernel.now - start >= timeout)
            finish(
              new ShellError(
                'ETIMEDOUT',
                `Gave up waiting for ${what} after ${timeout} ticks (t=${kernel.now}).`,
              ),
            );
        };
        const unsubscribe = kernel.subscribe(check);
        cancel = () => finish(new ShellError('EINTR', `Interrupted at t=${kernel.now}.`));
        check();
      });
    },
  };
}
