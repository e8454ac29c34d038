// The process record and its states. The kernel owns every record; the snapshot copies the
// fields the shell may show. Fields are grouped by when they change.

import type {Op} from './program.js';

export type ProcessState = 'new' | 'ready' | 'running' | 'waiting' | 'terminated' | 'zombie';

/**
 * What a WAITING process waits for. `viaShell` marks a wait the shell imposed (`sem wait S --pid P`):
 * when it ends the process resumes its own program where it was, instead of past a program op.
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
  | {readonly kind: 'init'};

export type EnqueueReason = 'arrive' | 'wake' | 'preempt' | 'expire' | 'continue' | 'policy';

export interface Process {
  // fixed at spawn
  readonly pid: number;
  readonly name: string;
  readonly arrival: number;
  readonly program: readonly Op[];
  readonly burst: number;
  group: string;

  // the family: changes when a parent exits (orphans go to init)
  ppid: number;
  readonly children: Set<number>;

  // lifecycle: changes on each transition
  state: ProcessState;
  wait: WaitReason | undefined;
  isStopped: boolean;
  /** Index of the op being run; program.length means the program is done. */
  pc: number;
  /** Ticks left in the current cpu or io op. */
  opRemaining: number;
  exitStatus: number | undefined;
  exitReason: string | undefined;
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

  // what it holds, released when it exits
  readonly blocks: number[];
  readonly semHolds: Map<string, number>;
  readonly claims: Map<string, number>;
  readonly allocation: Map<string, number>;

  // owned by the scheduler policy: queue links, heap slot, MLFQ level
  queuePrev: Process | undefined;
  queueNext: Process | undefined;
  queueId: number;
  heapIndex: number;
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
  return {
    pid: fields.pid,
    name: fields.name,
    arrival: fields.arrival,
    program: fields.program,
    burst: fields.burst,
    group: fields.group,
    ppid: fields.ppid,
    children: new Set(),
    state: 'new',
    wait: undefined,
    isStopped: false,
    pc: 0,
    opRemaining: 0,
    exitStatus: undefined,
    exitReason: undefined,
    lastMessage: undefined,
    priority: fields.priority,
    basePriority: fields.priority,
    readySince: fields.arrival,
    waitingSince: 0,
    wakeAt: 0,
    sliceUsed: 0,
    burstKey: 0,
    cpuTime: 0,
    readyTime: 0,
    blockedTime: 0,
    firstRun: undefined,
    completion: undefined,
    blocks: [],
    semHolds: new Map(),
    claims: new Map(),
    allocation: new Map(),
    queuePrev: undefined,
    queueNext: undefined,
    queueId: -1,
    heapIndex: -1,
    level: 0,
    levelEpoch: 0,
    nextAgeAt: 0,
  };
}

/** Whether the process still exists as a schedulable entity (not exited). */
export function isLive(process: Process): boolean {
  return process.state !== 'terminated' && process.state !== 'zombie';
}
