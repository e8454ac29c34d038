// What every scheduling policy provides. The kernel owns the clock and the CPU; a policy only
// orders the ready processes and says when the running one must give the CPU up.

import type {EnqueueReason, Process} from '../process.js';

export type SchedulerName = 'fcfs' | 'sjf' | 'srtf' | 'priority' | 'rr' | 'mlfq';

export interface SchedulerOptions {
  /** Round-robin quantum, and MLFQ's top-level quantum when `quanta` is empty, in ticks. */
  quantum: number;
  /** Priority aging: +1 priority per this many ticks waiting in the ready queue; 0 = off. */
  aging: number;
  /** Priority: whether a more urgent arrival takes the CPU at once. */
  preemptive: boolean;
  /** MLFQ levels. */
  levels: number;
  /**
   * MLFQ quantum per level, top first; empty = quantum, 2*quantum, 4*quantum, …; fewer than `levels`
   * = the rest double from the last one given.
   */
  quanta: readonly number[];
  /** MLFQ: every this many ticks every process returns to the top level; 0 = never. */
  boost: number;
}

export interface SchedulerPolicy {
  readonly name: SchedulerName;
  readonly isPreemptive: boolean;
  /**
   * A process keeps the part of its quantum it used when it blocks, and resumes it on waking (MLFQ's
   * allotment, OSTEP rule 4: blocking just before the quantum ends must not keep a process at its
   * level for ever). Otherwise a process that blocks gets a whole quantum next time (round robin).
   */
  readonly keepsSliceWhenBlocked?: boolean;
  /** Number of ready processes. */
  readonly size: number;
  /** Add a process that just became ready. */
  enqueue(process: Process, reason: EnqueueReason, now: number): void;
  /** Remove a ready process (it blocked, stopped or was killed while ready). */
  remove(process: Process): void;
  /** Take the process to run next, or undefined when none is ready. */
  pop(): Process | undefined;
  /** The process `pop` would return, without taking it. */
  peek(): Process | undefined;
  /** Ticks the process may run before it is preempted; Infinity when the policy has no quantum. */
  quantumOf(process: Process): number;
  /** Whether a ready process should take the CPU from `running` now. */
  shouldPreempt(running: Process): boolean;
  /** A ready process's priority changed (nice). */
  reprioritize(process: Process): void;
  /** The dispatch order of the ready processes. O(n log n): for display, not the hot path. */
  order(): Process[];
  /**
   * Called at each tick boundary after arrivals (and at the end of a skipped idle stretch): aging and
   * boosts happen here. A boost may restart the running process's quantum (reset its sliceUsed).
   */
  onBoundary(now: number, running: Process | undefined): void;
  /** Called when a process gets the CPU, before it runs; may restart its quantum (reset its sliceUsed). */
  onDispatch(process: Process): void;
  /** The policy and its parameters, e.g. "rr (quantum 4)". */
  describe(): string;
  /** Per-process policy state for the scheduler pane, e.g. "L1" for an MLFQ level. */
  tagOf(process: Process): string;
}

/** Ties go to the earlier arrival, then the lower pid. */
export function byArrivalThenPid(a: Process, b: Process): number {
  return a.arrival - b.arrival || a.pid - b.pid;
}
