// The process record and its states. The kernel owns every record; the snapshot copies the
// fields the shell may show. Fields are grouped by when they change.

import {KernelBug} from './errors.js';
import type {Op} from './program.js';

export type ProcessState = 'new' | 'ready' | 'running' | 'waiting' | 'terminated' | 'zombie';

/**
 * What a WAITING process waits for. `viaShell` marks a wait the shell imposed (`sem wait S --pid P`):
 * when it ends the process resumes its own program where it was, instead of past a program op.
 * `task` is a wait on something outside the kernel (a task a sandbox runs in real time): only
 * finishTask or a signal ends it.
 */
export type WaitReason =
  | {readonly kind: 'io'; readonly until: number}
  | {readonly kind: 'sem'; readonly name: string; readonly viaShell: boolean}
  | {readonly kind: 'mq-recv'; readonly queue: string; readonly viaShell: boolean}
  | {readonly kind: 'mq-send'; readonly queue: string}
  | {readonly kind: 'res'; readonly request: ReadonlyMap<string, number>; readonly viaShell: boolean}
  | {readonly kind: 'child'}
  | {readonly kind: 'memory'; readonly size: number}
  | {readonly kind: 'stopped'}
  | {readonly kind: 'task'; readonly id: string}
  | {readonly kind: 'init'};

export type EnqueueReason = 'arrive' | 'wake' | 'preempt' | 'expire' | 'continue' | 'policy';

export interface Process {
  // fixed at spawn
  readonly pid: number;
  readonly name: string;
  /** Due arrival; a process killed before it arrives is taken to arrive as it dies. */
  arrival: number;
  readonly program: readonly Op[];
  readonly burst: number;
  group: string;

  // the family: changes when a parent exits (orphans go to init)
  ppid: number;
  children: ReadonlySet<number>;

  // lifecycle: changes on each transition
  state: ProcessState;
  wait: WaitReason | undefined;
  isStopped: boolean;
  /** A TERM that came while stopped: held until CONT, as POSIX holds it (KILL is never held). */
  isTermPending: boolean;
  /** Index of the op being run; program.length means the program is done. */
  pc: number;
  /** Ticks left in the current cpu or io op. */
  opRemaining: number;
  exitStatus: number | undefined;
  exitReason: string | undefined;
  /** Ended by a signal (kill, deadlock recovery) rather than by finishing its work. */
  isKilled: boolean;
  lastMessage: string | undefined;

  // scheduling: changes at each enqueue and dispatch
  priority: number;
  basePriority: number;
  /** Time the process last entered the ready queue. */
  readySince: number;
  /** Time the process last entered WAITING. */
  waitingSince: number;
  /** When an io wait ends. */
  wakeAt: number;
  /** Ticks run since it was last dispatched with a fresh quantum. */
  sliceUsed: number;
  /** SJF/SRTF key: CPU ticks until its next blocking op, fixed while it is ready. */
  burstKey: number;

  // accounting: updated as time passes (lazily for the ready and waiting totals)
  cpuTime: number;
  readyTime: number;
  blockedTime: number;
  firstRun: number | undefined;
  completion: number | undefined;

  // what it holds, released when it exits; shared empty sentinels until the first write (own*)
  blocks: readonly number[];
  semHolds: ReadonlyMap<string, number>;
  claims: ReadonlyMap<string, number>;
  allocation: ReadonlyMap<string, number>;

  // owned by the scheduler policy: queue links, MLFQ level, next aging step
  queuePrev: Process | undefined;
  queueNext: Process | undefined;
  queueId: number;
  level: number;
  levelEpoch: number;
  nextAgeAt: number;
}

/** A fresh record in state NEW. */
export function createProcess(fields: {
  pid: number;
  name: string;
  arrival: number;
  program: readonly Op[];
  burst: number;
  priority: number;
  ppid: number;
  group: string;
}): Process {
  // Fields a tick or a dispatch touches come first: V8 lays them out in this order, and with
  // 100,000 processes a dispatch that stays on one cache line is measurably cheaper.
  return {
    pid: fields.pid,
    state: 'new',
    opRemaining: 0,
    cpuTime: 0,
    sliceUsed: 0,
    burstKey: 0,
    readySince: fields.arrival,
    readyTime: 0,
    firstRun: undefined,
    queuePrev: undefined,
    queueNext: undefined,
    queueId: -1,
    priority: fields.priority,
    arrival: fields.arrival,
    pc: 0,
    program: fields.program,
    basePriority: fields.priority,
    level: 0,
    levelEpoch: 0,
    nextAgeAt: 0,
    wait: undefined,
    isStopped: false,
    isTermPending: false,
    waitingSince: 0,
    wakeAt: 0,
    blockedTime: 0,
    completion: undefined,
    exitStatus: undefined,
    exitReason: undefined,
    isKilled: false,
    lastMessage: undefined,
    name: fields.name,
    burst: fields.burst,
    group: fields.group,
    ppid: fields.ppid,
    children: NO_CHILDREN,
    blocks: NO_BLOCKS,
    semHolds: NO_AMOUNTS,
    claims: NO_AMOUNTS,
    allocation: NO_AMOUNTS,
  };
}

/** Whether the process still exists as a schedulable entity (not exited). */
export function isLive(process: Process): boolean {
  return process.state !== 'terminated' && process.state !== 'zombie';
}

// Most processes never allocate, hold a semaphore, claim a resource or have a child. Sharing
// one empty collection until the first write keeps a record to a few cache lines, which is what
// lets a tick cost nearly the same with 100,000 processes as with 1,000.
const NO_BLOCKS: readonly number[] = Object.freeze([]);
const NO_CHILDREN: ReadonlySet<number> = Object.freeze(new Set<number>());
const NO_AMOUNTS: ReadonlyMap<string, number> = Object.freeze(new Map<string, number>());

/** The process's own block list, created on first use. */
export function ownBlocks(process: Process): number[] {
  if (process.blocks === NO_BLOCKS) process.blocks = [];
  return process.blocks as number[];
}

/** The process's own child set, created on first use. */
export function ownChildren(process: Process): Set<number> {
  if (process.children === NO_CHILDREN) process.children = new Set();
  return process.children as Set<number>;
}

/** One of the process's own amount maps (semaphore holds, claims, allocation), created on first use. */
export function ownAmounts(
  process: Process,
  field: 'semHolds' | 'claims' | 'allocation',
): Map<string, number> {
  if (process[field] === NO_AMOUNTS) process[field] = new Map();
  const amounts = process[field];
  if (!(amounts instanceof Map)) throw new KernelBug(`Process ${process.pid} has no ${field} map.`);
  return amounts;
}
