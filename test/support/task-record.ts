// A task history record for tests: submitted at 1,000 ms, waited 10 ms, ran 20 ms on peer `p2` for
// client `c1`; `overrides` change any field.

import type {TaskRecord} from '../../src/shell/history-store.js';

export function task(taskId: string, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId,
    codeHash: 'sha256-abc',
    fn: 'square',
    args: [3],
    peer: 'p2',
    submitter: 'c1',
    status: 'ok',
    error: null,
    submittedAt: 1_000,
    startedAt: 1_010,
    finishedAt: 1_030,
    waitingMs: 10,
    execMs: 20,
    turnaroundMs: 30,
    attempts: 1,
    cached: false,
    user: null,
    ...overrides,
  };
}
