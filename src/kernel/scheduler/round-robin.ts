// Round Robin: FCFS with a quantum; a process that uses its whole quantum goes to the tail of
// the ready queue, behind the processes that arrived during that quantum.

import {createFifoPolicy} from './fcfs.js';
import type {SchedulerOptions, SchedulerPolicy} from './policy.js';

export const createRoundRobin = (options: SchedulerOptions): SchedulerPolicy =>
  createFifoPolicy('rr', options.quantum, `rr (quantum ${options.quantum})`);
