// Round Robin: FCFS with a quantum; a process that uses its whole quantum goes to the tail of
// the ready queue, behind the processes that arrived during that quantum.

import type {Process} from '../process.js';
import type {SchedulerOptions, SchedulerPolicy} from './policy.js';
import {FifoQueue} from './ready-queue.js';

export function createRoundRobin(options: SchedulerOptions): SchedulerPolicy {
  const queue = new FifoQueue();
  const quantum = options.quantum;
  return {
    name: 'rr',
    isPreemptive: true,
    get size() {
      return queue.size;
    },
    enqueue: (process) => queue.push(process),
    remove: (process) => queue.remove(process),
    pop: () => queue.pop(),
    peek: () => queue.peek(),
    quantumOf: () => quantum,
    shouldPreempt: () => false,
    reprioritize: () => {},
    order: (): Process[] => [...queue],
    onBoundary: () => {},
    onDispatch: () => {},
    describe: () => `rr (quantum ${quantum})`,
    tagOf: () => '',
  };
}
