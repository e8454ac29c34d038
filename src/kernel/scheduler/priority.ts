// Priority scheduling: run the ready process with the highest priority number; ties go to the
// earlier arrival, then the lower pid. Non-preemptive unless --preemptive. With aging N, a
// process gains one priority level for every N ticks it waits in the ready queue (up to
// MAX_PRIORITY) and drops back to its base priority when it gets the CPU.

import {MAX_PRIORITY} from '../params.js';
import type {Process} from '../process.js';
import {byArrivalThenPid, type SchedulerOptions, type SchedulerPolicy} from './policy.js';
import {FifoQueue, ProcessHeap} from './ready-queue.js';

const byPriority = (a: Process, b: Process): number => b.priority - a.priority || byArrivalThenPid(a, b);

export function createPriority(options: SchedulerOptions): SchedulerPolicy {
  const heap = new ProcessHeap(
    (p) => -p.priority,
    (p) => p.arrival,
  );
  // Every ready process ages at the same rate, so the next one due is always the one that has
  // waited longest since its last step: a FIFO, no second heap needed.
  const aging = new FifoQueue();
  const agingTicks = options.aging;
  const isPreemptive = options.preemptive;

  const remove = (process: Process) => {
    heap.remove(process);
    if (agingTicks > 0) aging.remove(process);
  };
  return {
    name: 'priority',
    isPreemptive,
    get size() {
      return heap.size;
    },
    enqueue: (process, _reason, now) => {
      heap.push(process);
      if (agingTicks > 0) {
        process.nextAgeAt = now + agingTicks;
        aging.push(process);
      }
    },
    remove,
    pop: () => {
      const process = heap.peek();
      if (process) remove(process);
      return process;
    },
    peek: () => heap.peek(),
    quantumOf: () => Infinity,
    shouldPreempt: (running) => isPreemptive && heap.size > 0 && heap.peek()!.priority > running.priority,
    reprioritize: (process) => heap.update(process),
    order: (): Process[] => [...heap.values()].sort(byPriority),
    onBoundary: (now) => {
      for (let process = aging.peek(); process && process.nextAgeAt <= now; process = aging.peek()) {
        aging.remove(process);
        if (process.priority < MAX_PRIORITY) {
          process.priority++;
          heap.update(process);
        }
        process.nextAgeAt += agingTicks;
        aging.push(process);
      }
    },
    onDispatch: (process) => {
      if (agingTicks > 0) process.priority = process.basePriority;
    },
    describe: () =>
      [
        'priority',
        isPreemptive ? 'preemptive' : 'non-preemptive',
        agingTicks > 0 ? `aging ${agingTicks}` : '',
      ]
        .filter(Boolean)
        .join(', ')
        .replace(/^priority, /, 'priority (') + ')',
    tagOf: (process) =>
      process.priority !== process.basePriority ? `aged +${process.priority - process.basePriority}` : '',
  };
}
