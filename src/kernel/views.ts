// Plain, readonly data the kernel hands to views: the snapshot and the answers to queries.
// Nothing here references a live record, so a view can be kept, compared or serialised.

import type {FitPolicyName, HeapStats, MapEntry} from './memory/heap.js';
import type {ProcessState} from './process.js';
import type {SchedulerName, SchedulerOptions} from './scheduler/index.js';

export interface ProcessView {
  pid: number;
  ppid: number;
  name: string;
  group: string;
  state: ProcessState;
  isStopped: boolean;
  priority: number;
  basePriority: number;
  arrival: number;
  burst: number;
  cpuTime: number;
  /** CPU ticks still to run. */
  remaining: number;
  /** Ticks spent in the ready queue (the textbook's waiting time). */
  waiting: number;
  /** Ticks spent WAITING (io, semaphores, queues, resources). */
  blocked: number;
  /** Heap units the process owns. */
  memory: number;
  firstRun: number | null;
  completion: number | null;
  exitStatus: number | null;
  exitReason: string | null;
  /** What a WAITING process waits for, e.g. "sem A", "io until 12". */
  waitingOn: string | null;
  /** The op it is on, e.g. "cpu 5". */
  op: string | null;
  sliceUsed: number;
  /** Policy detail: MLFQ level, aged priority, SJF burst. */
  tag: string;
  lastMessage: string | null;
  children: number[];
  /** Present when the process stands for a task run outside the kernel (spawnTask): the task's id. */
  taskId?: string;
}

export interface GanttSegment {
  /** 0 = idle. */
  pid: number;
  start: number;
  end: number;
}

export type EventKind =
  | 'spawn'
  | 'admit'
  | 'dispatch'
  | 'expire'
  | 'preempt'
  | 'block'
  | 'wake'
  | 'exit'
  | 'stop'
  | 'continue'
  | 'pending'
  | 'nice'
  | 'sched'
  | 'malloc'
  | 'free'
  | 'sem-take'
  | 'signal'
  | 'send'
  | 'recv'
  | 'grant'
  | 'release';

export interface KernelEvent {
  seq: number;
  time: number;
  kind: EventKind;
  /** 0 = the shell. */
  pid: number;
  detail: string;
}

export interface MemoryView extends HeapStats {
  fit: FitPolicyName;
  /** Every block and hole in address order; empty unless asked for. */
  map: MapEntry[];
}

export interface SemaphoreView {
  name: string;
  value: number;
  initial: number;
  isBinary: boolean;
  waiters: number[];
  holders: {pid: number; count: number}[];
}

export interface QueueView {
  name: string;
  capacity: number;
  length: number;
  messages: {from: number; to: number | null; text: string; sentAt: number}[];
  receivers: number[];
  senders: number[];
  sent: number;
  received: number;
}

export interface ResourceView {
  resources: {name: string; total: number; available: number}[];
  /** Rows of the Banker's matrices, columns in `resources` order. */
  processes: {
    pid: number;
    name: string;
    max: number[];
    allocation: number[];
    need: number[];
    waiting: boolean;
  }[];
}

export interface SchedulerStats {
  time: number;
  policy: string;
  processes: {
    pid: number;
    name: string;
    arrival: number;
    burst: number;
    firstRun: number | null;
    completion: number | null;
    waiting: number;
    turnaround: number | null;
    response: number | null;
    state: ProcessState;
    /** Ended by a signal rather than by finishing its work; left out of the averages. */
    killed: boolean;
  }[];
  /** Processes that finished their work (killed ones excluded). */
  finished: number;
  /** Processes ended by a signal (kill, deadlock recovery). */
  killed: number;
  /** Over the finished processes. */
  avgWaiting: number;
  /** Over the finished processes. */
  avgTurnaround: number;
  /** Over the processes that have run, killed ones excluded (so it includes the ones still running). */
  avgResponse: number;
  /** Finished processes per tick. */
  throughput: number;
  /** Busy ticks over elapsed ticks, 0..1. */
  cpuUtilization: number;
  busyTicks: number;
  contextSwitches: number;
}

export interface KernelSnapshot {
  version: number;
  time: number;
  scheduler: {
    name: SchedulerName;
    description: string;
    options: SchedulerOptions;
    isPreemptive: boolean;
    /** The running process's quantum, if it has one. */
    quantum: number | undefined;
  };
  running: ProcessView | undefined;
  /** Ready processes in dispatch order. */
  ready: ProcessView[];
  processes: ProcessView[];
  memory: MemoryView;
  semaphores: SemaphoreView[];
  queues: QueueView[];
  resources: ResourceView;
  avoidance: boolean;
  gantt: GanttSegment[];
  cpu: {busyTicks: number; contextSwitches: number};
}
