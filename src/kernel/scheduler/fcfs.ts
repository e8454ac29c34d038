// First-Come, First-Served, non-preemptive: run processes in the order they entered the ready
// queue; processes entering at the same tick go in arrival order, then by lower pid.

import type {Process} from '../process.js';
import type {SchedulerPolicy} from './policy.js';
import {FifoQueue} from './ready-queue.js';

export function createFcfs(): SchedulerPolicy {
  const queue = new FifoQueue();
  return {
    name: 'fcfs',
    isPreemptive: false,
    get size() {
      return queue.size;
    },
    enqueue: (process) => queue.push(process),
    remove: (process) => queue.remove(process),
    pop: () => queue.pop(),
    peek: () => queue.peek(),
    quantumOf: () => Infinity,
    shouldPreempt: () => false,
    reprioritize: () => {},
    order: (): Process[] => [...queue],
    onBoundary: () => {},
    onDispatch: () => {},
    describe: () => 'fcfs',
    tagOf: () => '',
  };
}
