// Shortest Job First, non-preemptive: run the ready process with the shortest next CPU burst;
// ties go to the earlier arrival, then the lower pid.
// Shortest Remaining Time First is the preemptive form: an arrival with a strictly shorter
// burst than what the running process has left takes the CPU at the next tick.

import type {Process} from '../process.js';
import {byArrivalThenPid, type SchedulerPolicy} from './policy.js';
import {ProcessHeap} from './ready-queue.js';

const byBurst = (a: Process, b: Process): number => a.burstKey - b.burstKey || byArrivalThenPid(a, b);

function createShortestFirst(isPreemptive: boolean): SchedulerPolicy {
  const heap = new ProcessHeap(
    (p) => p.burstKey,
    (p) => p.arrival,
  );
  return {
    name: isPreemptive ? 'srtf' : 'sjf',
    isPreemptive,
    get size() {
      return heap.size;
    },
    enqueue: (process) => heap.push(process),
    remove: (process) => heap.remove(process),
    pop: () => heap.pop(),
    peek: () => heap.peek(),
    quantumOf: () => Infinity,
    // The running process's burstKey counts down as it runs, so this compares remaining times.
    shouldPreempt: (running) => isPreemptive && heap.size > 0 && heap.peek()!.burstKey < running.burstKey,
    reprioritize: () => {},
    order: (): Process[] => [...heap.values()].sort(byBurst),
    onBoundary: () => {},
    onDispatch: () => {},
    describe: () => (isPreemptive ? 'srtf' : 'sjf'),
    tagOf: (process) => `burst ${process.burstKey}`,
  };
}

export const createSjf = (): SchedulerPolicy => createShortestFirst(false);
export const createSrtf = (): SchedulerPolicy => createShortestFirst(true);
