// Multilevel Feedback Queue: run the first process of the highest non-empty level, round robin
// within a level. A new process enters the top level; one that uses its whole quantum at a level
// drops a level, counting every run there, so blocking just before the quantum ends does not keep a
// process on top for ever (OSTEP ch. 8, rule 4); one that blocks keeps its level and what it used. A process preempted by a higher level goes back
// to the head of its own level with the rest of its quantum. Every `boost` ticks all processes
// return to the top level with a fresh quantum, the running one included, so long jobs cannot
// starve (OSTEP ch. 8, rule 5).

import type {Process} from '../process.js';
import type {SchedulerOptions, SchedulerPolicy} from './policy.js';
import {FifoQueue} from './ready-queue.js';

/**
 * Epochs are unique across every MLFQ policy made in this process, not only within one: a level
 * recorded by an earlier policy (before `sched mlfq` was given again) reads as 0 in the new one,
 * so a switch puts every process at the top, the running one too. Only compared, never shown.
 */
let lastEpoch = 0;

export function createMlfq(options: SchedulerOptions): SchedulerPolicy {
  const levels = options.levels;
  const quanta = levelQuanta(options);
  const queues = Array.from({length: levels}, () => new FifoQueue());
  // A boost moves everyone to level 0 lazily: a level recorded before the latest boost reads as 0,
  // and a ready process whose level is that old gets its fresh quantum when it is dispatched, so a
  // boost costs O(levels) and not O(processes).
  let epoch = ++lastEpoch;
  let size = 0;
  // Set at the first boundary, without a boost: until then no process can have dropped a level under
  // this policy (a switch to MLFQ mid-run puts everyone at the top), and a boost would hand the
  // running process a second fresh quantum.
  let lastBoostPeriod: number | undefined;

  const levelOf = (process: Process) => (process.levelEpoch === epoch ? process.level : 0);
  const setLevel = (process: Process, level: number) => {
    process.level = level;
    process.levelEpoch = epoch;
  };
  /** The boost's rule for one process: level 0 and a whole quantum there, not what is left of one below. */
  const restartAtTop = (process: Process) => {
    setLevel(process, 0);
    process.sliceUsed = 0;
  };
  const topLevel = () => queues.findIndex((queue) => queue.size > 0);

  return {
    name: 'mlfq',
    isPreemptive: true,
    keepsSliceWhenBlocked: true,
    get size() {
      return size;
    },
    enqueue: (process, reason) => {
      let level = levelOf(process);
      if (reason === 'arrive' || reason === 'policy') level = 0;
      else if (reason === 'expire') level = Math.min(level + 1, levels - 1);
      setLevel(process, level);
      if (reason === 'preempt') queues[level]!.unshift(process);
      else queues[level]!.push(process);
      size++;
    },
    remove: (process) => {
      queues[levelOf(process)]!.remove(process);
      size--;
    },
    pop: () => {
      const level = topLevel();
      if (level < 0) return undefined;
      size--;
      return queues[level]!.pop();
    },
    peek: () => queues[topLevel()]?.peek(),
    quantumOf: (process) => quanta[levelOf(process)]!,
    shouldPreempt: (running) => {
      const level = topLevel();
      return level >= 0 && level < levelOf(running);
    },
    reprioritize: () => {},
    order: (): Process[] => queues.flatMap((queue) => [...queue]),
    onBoundary: (now, running) => {
      // Compare boost periods rather than test now % boost, so a boost falling inside a stretch
      // the kernel skipped (nothing ready) still happens, at the end of it.
      const period = options.boost > 0 ? Math.floor(now / options.boost) : 0;
      if (period === lastBoostPeriod) return;
      const isFirst = lastBoostPeriod === undefined;
      lastBoostPeriod = period;
      if (isFirst) return;
      epoch = ++lastEpoch;
      for (let level = 1; level < levels; level++) queues[0]!.append(queues[level]!);
      if (running) restartAtTop(running);
    },
    onDispatch: (process) => {
      // Boosted while ready (after a preemption it still holds the part of a quantum it used below).
      if (process.levelEpoch !== epoch) restartAtTop(process);
    },
    describe: () =>
      `mlfq (${levels} ${levels === 1 ? 'level' : 'levels'}, quanta ${quanta.join(',')}, boost ${options.boost || 'off'})`,
    tagOf: (process) => `L${levelOf(process)}`,
  };
}

/**
 * The quantum of each level, top first: the given quanta, then doubling from the last one given
 * (`--quanta 50,60` on 3 levels is 50,60,120), or q, 2q, 4q, … from `quantum` when none is given.
 */
function levelQuanta(options: Pick<SchedulerOptions, 'levels' | 'quanta' | 'quantum'>): number[] {
  const quanta = options.quanta.slice(0, options.levels);
  if (quanta.length === 0) quanta.push(options.quantum);
  while (quanta.length < options.levels) quanta.push(quanta[quanta.length - 1]! * 2);
  return quanta;
}
