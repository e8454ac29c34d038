// The scheduling policies by name, the way xv6 maps syscall numbers to handlers.

import {createFcfs} from './fcfs.js';
import {createMlfq} from './mlfq.js';
import type {SchedulerName, SchedulerOptions, SchedulerPolicy} from './policy.js';
import {createPriority} from './priority.js';
import {createRoundRobin} from './round-robin.js';
import {createSjf, createSrtf} from './sjf.js';

export type {SchedulerName, SchedulerOptions, SchedulerPolicy} from './policy.js';

export const schedulers: Readonly<Record<SchedulerName, (options: SchedulerOptions) => SchedulerPolicy>> = {
  fcfs: createFcfs,
  sjf: createSjf,
  srtf: createSrtf,
  priority: createPriority,
  rr: createRoundRobin,
  mlfq: createMlfq,
};

export const SCHEDULER_NAMES = Object.keys(schedulers) as SchedulerName[];

export function isSchedulerName(name: string): name is SchedulerName {
  return Object.hasOwn(schedulers, name);
}

/** One line per policy for `help sched`. */
export const SCHEDULER_SUMMARIES: Readonly<Record<SchedulerName, string>> = {
  fcfs: 'first come, first served; non-preemptive',
  sjf: 'shortest next CPU burst first; non-preemptive',
  srtf: 'shortest remaining time first; preempts on a strictly shorter arrival',
  priority: 'highest priority number first; --preemptive, --aging N',
  rr: 'round robin with --quantum N',
  mlfq: 'multilevel feedback queue; --levels N, --quanta A,B,C, --boost T',
};
