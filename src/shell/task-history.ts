// A task that ended, as the history store keeps it: the network's outcome turned into a row.

import {createHash} from 'node:crypto';
import type {EndedTask} from '../net/peer.js';
import type {HistoryStore, TaskStatus} from './history-store.js';

function statusOf(task: EndedTask): TaskStatus {
  if (task.outcome.ok) return 'ok';
  if (task.outcome.code === 'ECANCELED') return 'canceled';
  if (task.outcome.code === 'ETIMEDOUT') return 'timeout';
  return 'failed';
}

// Tasks tend to repeat one code: hash it once, not per task (SHA-256 of even a small task costs ~1.5 µs).
let lastCode: string | undefined;
let lastCodeHash = '';

function codeHash(code: string): string {
  if (code !== lastCode) {
    lastCodeHash = createHash('sha256').update(code).digest('hex');
    lastCode = code;
  }
  return lastCodeHash;
}

/** Record a task in the history; a failing store is reported once per call on stderr, never thrown into the network. */
export function recordTask(history: HistoryStore, task: EndedTask): void {
  const {outcome} = task;
  try {
    history.recordTask({
      taskId: outcome.taskId,
      codeHash: codeHash(task.spec.code),
      fn: task.spec.fn,
      args: task.spec.args,
      peer: outcome.peer,
      submitter: task.submitter,
      user: task.user,
      status: statusOf(task),
      error: outcome.ok ? null : `${outcome.code}: ${outcome.message}`,
      submittedAt: task.submittedAt,
      startedAt: task.startedAt,
      finishedAt: task.finishedAt,
      waitingMs: outcome.timings.waitingMs,
      execMs: outcome.timings.execMs,
      turnaroundMs: task.finishedAt - task.submittedAt,
      attempts: task.attempts,
      cached: outcome.ok && outcome.cached,
    });
  } catch (error) {
    process.stderr.write(`p2pos: task history: ${(error as Error).message}\n`);
  }
}
