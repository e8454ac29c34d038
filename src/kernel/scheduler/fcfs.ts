// First-Come, First-Served, non-preemptive: run processes in the order they entered the ready
// queue; processes entering at the same tick go in arrival order, then by lower pid.
// Round robin (round-robin.ts) is this queue with a quantum.

import type {Process} from '../process.js';
import type {SchedulerName, SchedulerPolicy} from './policy.js';
import {FifoQueue} from './ready-queue.js';

/** A single FIFO ready queue; `quantum` Infinity is FCFS, a number is round robin. */
export function createFifoPolicy(name: SchedulerName, quantum: number, description: string): SchedulerPolicy {
  const queue = new FifoQueue();
  return {
    name,
    isPreemptive: quantum !== Infinity,
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
    describe: () => description,
    tagOf: () => '',
  };
}

export const createFcfs = (): SchedulerPolicy => createFifoPolicy('fcfs', Infinity, 'fcfs');
