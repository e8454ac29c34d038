// The kernel: owns the process table, the CPU, the heap and the IPC tables, and moves them
// forward one tick at a time. Pure and deterministic: time passes only through tick(), and
// nothing here touches a terminal, a socket, a file or the wall clock.
//
// A tick is one unit of CPU time [t, t+1): dispatch if the CPU is free, run the process one tick,
// then at the boundary t+1 run its instant ops, finish io waits, admit arrivals and let the
// policy age or boost. Processes that become ready at one boundary are queued in this order:
// io wake-ups (by wake time, then pid), then arrivals (by pid), then a process whose quantum
// expired, which therefore goes behind the newcomers as in the textbook's round robin.

import {findSafeSequence, checkRequest, type BankerState, type SafetyResult} from './bankers.js';
import {
  chooseVictim,
  victimRule,
  findDeadlocked,
  type DeadlockInput,
  type DeadlockReport,
  type Wait,
} from './deadlock.js';
import {KernelBug, KernelError} from './errors.js';
import {Heap, type FitPolicyName, type MemoryBlock} from './memory/heap.js';
import * as mq from './message-queue.js';
import {
  DEFAULT_BURST_TICKS,
  DEFAULT_HEAP_UNITS,
  DEFAULT_MLFQ_BOOST_TICKS,
  DEFAULT_MLFQ_LEVELS,
  DEFAULT_MQ_CAPACITY,
  DEFAULT_PRIORITY,
  DEFAULT_QUANTUM_TICKS,
  EVENT_LOG_CAPACITY,
  GANTT_CAPACITY,
  INIT_PID,
  MAX_HEAP_UNITS,
  MAX_MESSAGE_CHARS,
  MAX_MLFQ_LEVELS,
  MAX_MQ_CAPACITY,
  MAX_NAME_CHARS,
  MAX_PRIORITY,
  MAX_FINISHED_TASKS_KEPT,
  MAX_PROCESSES,
  MAX_TASK_ID_CHARS,
  MAX_TICKS,
  MIN_PRIORITY,
  SHELL_OWNER,
} from './params.js';
import {
  createProcess,
  isLive,
  ownAmounts,
  ownBlocks,
  ownChildren,
  type EnqueueReason,
  type Process,
  type WaitReason,
} from './process.js';
import {formatOp, nextBurst, parseProgram, peakClaims, totalBurst, type Op} from './program.js';
import {
  schedulers,
  type SchedulerName,
  type SchedulerOptions,
  type SchedulerPolicy,
} from './scheduler/index.js';
import {FifoQueue, ProcessHeap} from './scheduler/ready-queue.js';
import {Ring} from './ring.js';
import * as sem from './semaphore.js';
import type {
  EventKind,
  GanttSegment,
  KernelEvent,
  KernelSnapshot,
  MemoryView,
  ProcessView,
  QueueView,
  ResourceView,
  SchedulerStats,
  SemaphoreView,
} from './views.js';
import {formatAddress, isValidName} from './units.js';

export type Signal = 'TERM' | 'KILL' | 'STOP' | 'CONT';
const SIGNAL_NUMBERS: Record<Signal, number> = {KILL: 9, TERM: 15, CONT: 18, STOP: 19};

export interface KernelOptions {
  /** @default 'fcfs' */
  scheduler?: SchedulerName;
  /** Scheduler parameters; quantum @default DEFAULT_QUANTUM_TICKS */
  schedulerOptions?: Partial<SchedulerOptions>;
  /** Heap size in units. @default DEFAULT_HEAP_UNITS */
  heapSize?: number;
  /** @default 'first' */
  fit?: FitPolicyName;
}

export interface SpawnSpec {
  name?: string;
  /** CPU ticks; shorthand for a one-op program `cpu N`. */
  burst?: number;
  /** Program text, e.g. 'cpu 3, sem wait S, exit'. */
  program?: string;
  priority?: number;
  /** Absolute arrival time; default now. */
  arrive?: number;
  parent?: number;
  group?: string;
  /** Units allocated at spawn and owned by the process (its image). */
  memory?: number;
}

/** A process standing for a task that runs outside the kernel (see spawnTask). */
export interface TaskProcessSpec {
  /** The task's id, shown as the wait `task ID`: 1 to MAX_TASK_ID_CHARS characters, no spaces. */
  taskId: string;
  /** @default 'task' */
  name?: string;
  priority?: number;
  /** Units allocated at spawn and owned by the process until the task ends. */
  memory?: number;
  group?: string;
}

/** What a peer's heartbeat reports as its load; both counts are kept up to date, not counted on demand. */
export interface TaskLoad {
  /** Processes in the ready queue (the running one not included). */
  ready: number;
  /** Live task processes: tasks this kernel stands for that have not ended. */
  tasks: number;
}

export type Amounts = ReadonlyMap<string, number>;

export type RequestResult = {outcome: 'granted'; sequence: number[]} | {outcome: 'waiting'; reason: string};

export type TakeResult = {outcome: 'taken'} | {outcome: 'blocked'} | {outcome: 'busy'};

export interface ExitRecord {
  pid: number;
  name: string;
  arrival: number;
  firstRun: number | null;
  completion: number;
  burst: number;
  cpuTime: number;
  waiting: number;
  turnaround: number;
  response: number | null;
  exitStatus: number;
  reason: string;
  /** Ended by a signal (kill, deadlock recovery) rather than by finishing its work. */
  killed: boolean;
  /** Present when the process stood for a task (spawnTask): the task's id. */
  taskId?: string;
}

interface Resource {
  readonly name: string;
  readonly total: number;
  available: number;
}

/** Distinct program texts kept parsed and shared; past this the cache starts over. */
const PROGRAM_CACHE_ENTRIES = 1024;

const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  quantum: DEFAULT_QUANTUM_TICKS,
  aging: 0,
  preemptive: false,
  levels: DEFAULT_MLFQ_LEVELS,
  quanta: [],
  boost: DEFAULT_MLFQ_BOOST_TICKS,
};

export class Kernel {
  // the clock and the CPU
  private time = 0;
  private running: Process | undefined;
  private policy: SchedulerPolicy;
  private schedulerOptions: SchedulerOptions;

  // the tables
  private readonly processes = new Map<number, Process>();
  private readonly programs = new Map<string, readonly Op[]>();
  private nextPid = INIT_PID + 1;
  private liveCount = 0;
  private readonly arrivals = new ProcessHeap(
    (p) => p.arrival,
    (p) => p.arrival,
  );
  private readonly ioWaits = new ProcessHeap(
    (p) => p.wakeAt,
    (p) => p.pid,
  );
  private readonly memoryWaiters = new FifoQueue();
  private readonly resourceWaiters = new FifoQueue();
  /** Live task processes by task id; its size is the task count taskLoad reports. */
  private readonly liveTasks = new Map<string, Process>();
  /** Pids of finished task processes still in the table, oldest from `finishedTasksHead`. */
  private finishedTasks: number[] = [];
  private finishedTasksHead = 0;
  private readonly heap: Heap;
  private readonly semaphores = new Map<string, sem.Semaphore>();
  private readonly queues = new Map<string, mq.MessageQueue>();
  private readonly resources = new Map<string, Resource>();
  private isAvoiding = true;
  private messageSeq = 0;

  // accounting
  private busyTicks = 0;
  private contextSwitches = 0;
  private lastRanPid = 0;
  private readonly gantt = new Ring<GanttSegment>(GANTT_CAPACITY, () => ({pid: 0, start: 0, end: 0}));
  private readonly events = new Ring<KernelEvent>(EVENT_LOG_CAPACITY, () => ({
    seq: 0,
    time: 0,
    kind: 'spawn',
    pid: 0,
    detail: '',
  }));
  private eventSeq = 0;

  // observers
  private version = 0;
  private cachedSnapshot: KernelSnapshot | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly exitListeners = new Set<(record: ExitRecord) => void>();

  constructor(options: KernelOptions = {}) {
    this.schedulerOptions = validateSchedulerOptions({
      ...DEFAULT_SCHEDULER_OPTIONS,
      ...options.schedulerOptions,
    });
    this.policy = schedulers[options.scheduler ?? 'fcfs'](this.schedulerOptions);
    const heapSize = options.heapSize ?? DEFAULT_HEAP_UNITS;
    if (!Number.isSafeInteger(heapSize) || heapSize < 1 || heapSize > MAX_HEAP_UNITS) {
      throw new KernelError(
        'EINVAL',
        `Heap size ${heapSize} is out of range; expected 1 to ${MAX_HEAP_UNITS} units.`,
      );
    }
    this.heap = new Heap(heapSize, options.fit ?? 'first');
    const init = createProcess({
      pid: INIT_PID,
      name: 'init',
      arrival: 0,
      program: [],
      burst: 0,
      priority: DEFAULT_PRIORITY,
      ppid: 0,
      group: String(INIT_PID),
    });
    init.state = 'waiting';
    init.wait = {kind: 'init'};
    this.processes.set(INIT_PID, init);
  }

  /** Virtual time in ticks since boot. */
  get now(): number {
    return this.time;
  }

  // ---------------------------------------------------------------------------------------
  // Time

  /**
   * Advance the clock by `ticks` (default 1). Stretches where the CPU idles and nothing is
   * ready are skipped in one step, so `tick 1000000` on an idle system costs nothing.
   */
  tick(ticks = 1): void {
    if (!Number.isSafeInteger(ticks) || ticks < 0 || ticks > MAX_TICKS) {
      throw new KernelError('EINVAL', `Tick count ${ticks} is out of range; expected 0 to ${MAX_TICKS}.`);
    }
    let left = ticks;
    while (left > 0) {
      if (!this.running && this.policy.size === 0) {
        const gap = Math.min(left, this.nextEventTime() - this.time) - 1;
        if (gap > 0) {
          this.idle(gap);
          left -= gap;
          continue;
        }
      }
      this.step();
      left--;
    }
    this.changed();
  }

  /**
   * Do what is due at this instant without letting time pass: dispatch, and run the zero-time ops
   * (a signal, an exit) of whoever gets the CPU. `wait` settles before it decides to tick, so a
   * process whose last ops take no time ends now, not after a tick in which nothing ran.
   */
  settle(): void {
    const before = this.eventSeq; // a dispatch or preemption logs an event; nothing due, no change
    this.schedule();
    if (this.eventSeq !== before) this.changed();
  }

  /**
   * Whether nothing can happen without the shell's help: no process can run, wake or arrive, and
   * no task is out (finishTask, called from outside, would move things on).
   */
  isStalled(): boolean {
    return this.isIdle() && this.liveTasks.size === 0;
  }

  /**
   * Whether only the end of a task can move things on: no process can run, wake or arrive, but
   * some task process still waits for its task. Ticking then changes nothing but the clock.
   */
  isAwaitingTasks(): boolean {
    return this.isIdle() && this.liveTasks.size > 0;
  }

  /**
   * Ticks in which nothing can happen: while no process runs or is ready, the time to the next
   * arrival or io wake-up (tick(n) skips such a stretch in one step). 0 when a process runs or is
   * ready, or when nothing is due at all (see isStalled).
   */
  quietTicks(): number {
    if (this.running || this.policy.size > 0) return 0;
    const next = this.nextEventTime();
    return next === Infinity ? 0 : Math.max(0, next - this.time);
  }

  /** The ready-queue length and the number of live task processes. O(1). */
  taskLoad(): TaskLoad {
    return {ready: this.policy.size, tasks: this.liveTasks.size};
  }

  private isIdle(): boolean {
    return !this.running && this.policy.size === 0 && this.ioWaits.size === 0 && this.arrivals.size === 0;
  }

  /** Number of processes that have not exited (init excluded). */
  get liveProcesses(): number {
    return this.liveCount;
  }

  private step(): void {
    this.schedule();
    const process = this.running;
    if (process) {
      process.opRemaining--;
      process.cpuTime++;
      process.sliceUsed++;
      process.burstKey--;
      this.busyTicks++;
    }
    this.recordGantt(process ? process.pid : 0, 1);
    this.time++;
    if (process && process.opRemaining === 0) {
      process.pc++;
      this.runOps(process);
    }
    this.boundary();
  }

  private idle(ticks: number): void {
    this.recordGantt(0, ticks);
    this.time += ticks; // the step after the stretch calls onBoundary, which catches up on boosts
  }

  private nextEventTime(): number {
    return Math.min(this.arrivals.peek()?.arrival ?? Infinity, this.ioWaits.peek()?.wakeAt ?? Infinity);
  }

  /** Work done at each boundary: io wake-ups, then arrivals, then the policy's aging or boost. */
  private boundary(): void {
    for (let p = this.ioWaits.peek(); p && p.wakeAt <= this.time; p = this.ioWaits.peek()) {
      this.ioWaits.remove(p);
      this.unblock(p, 'wake');
    }
    for (let p = this.arrivals.peek(); p && p.arrival <= this.time; p = this.arrivals.peek()) {
      this.arrivals.remove(p);
      this.admit(p);
    }
    this.policy.onBoundary(this.time, this.running);
  }

  /** Preempt the running process if its quantum is used or a better one waits; then dispatch. */
  private schedule(): void {
    const running = this.running;
    if (running) {
      if (running.sliceUsed >= this.policy.quantumOf(running)) this.preempt(running, 'expire');
      else if (this.policy.isPreemptive && this.policy.shouldPreempt(running))
        this.preempt(running, 'preempt');
    }
    while (!this.running) {
      const next = this.policy.pop();
      if (!next) return;
      this.dispatch(next);
    }
  }

  private dispatch(process: Process): void {
    process.readyTime += this.time - process.readySince;
    process.state = 'running';
    this.running = process;
    this.policy.onDispatch(process);
    if (process.firstRun === undefined) process.firstRun = this.time;
    if (this.lastRanPid !== 0 && this.lastRanPid !== process.pid) this.contextSwitches++;
    this.lastRanPid = process.pid;
    this.log('dispatch', process.pid);
    if (process.opRemaining === 0) this.runOps(process);
  }

  private preempt(process: Process, reason: 'expire' | 'preempt'): void {
    this.running = undefined;
    if (reason === 'expire') process.sliceUsed = 0;
    this.log(reason, process.pid);
    this.makeReady(process, reason);
  }

  // ---------------------------------------------------------------------------------------
  // Process lifecycle

  /** Create a process. Returns its pid. Throws KernelError for a bad spec or when its memory does not fit. */
  spawn(spec: SpawnSpec): number {
    if (this.liveCount >= MAX_PROCESSES) {
      throw new KernelError('EAGAIN', `Too many processes (${MAX_PROCESSES} live); wait for some to exit.`);
    }
    const name = spec.name ?? `p${this.nextPid}`;
    checkProcessName(name);
    if (spec.burst !== undefined && spec.program !== undefined) {
      throw new KernelError(
        'EINVAL',
        'Give either --burst or --prog, not both (--burst N means --prog "cpu N").',
      );
    }
    const burstTicks = spec.burst ?? DEFAULT_BURST_TICKS;
    if (!Number.isSafeInteger(burstTicks) || burstTicks < 1 || burstTicks > MAX_TICKS) {
      throw new KernelError(
        'EINVAL',
        `Burst ${burstTicks} is out of range; expected 1 to ${MAX_TICKS} ticks.`,
      );
    }
    const program = this.loadProgram(spec.program ?? `cpu ${burstTicks}`);
    this.checkProgramNames(program);
    const priority = spec.priority ?? DEFAULT_PRIORITY;
    checkPriority(priority);
    const arrive = spec.arrive ?? this.time;
    if (!Number.isSafeInteger(arrive) || arrive < this.time || arrive > MAX_TICKS) {
      throw new KernelError(
        'EINVAL',
        `Arrival ${arrive} is in the past or out of range (now is ${this.time}).`,
      );
    }
    const parent = spec.parent === undefined ? this.processes.get(INIT_PID)! : this.liveProcess(spec.parent);
    if (spec.group !== undefined) checkGroup(spec.group);
    const claims = peakClaims(program);
    for (const [resource, count] of claims) {
      const total = this.resource(resource).total;
      if (count > total) {
        throw new KernelError(
          'EINVAL',
          `Program needs ${resource}=${count} at once but only ${total} exist.`,
        );
      }
    }
    if (spec.memory !== undefined) this.checkSize(spec.memory);

    const pid = this.nextPid;
    const group = spec.group ?? (parent.pid === INIT_PID ? String(pid) : parent.group);
    const process = createProcess({
      pid,
      name,
      arrival: arrive,
      program,
      burst: totalBurst(program),
      priority,
      ppid: parent.pid,
      group,
    });
    if (spec.memory !== undefined) {
      const addr = this.heap.allocate(spec.memory, pid);
      if (addr === undefined) throw new KernelError('ENOMEM', this.heap.describeFailure(spec.memory));
      ownBlocks(process).push(addr);
    }
    for (const [resource, count] of claims) ownAmounts(process, 'claims').set(resource, count);
    this.nextPid++;
    this.liveCount++;
    this.processes.set(pid, process);
    // init's children are everyone with ppid 1; a set of them all would only cost memory.
    if (parent.pid !== INIT_PID) ownChildren(parent).add(pid);
    this.log('spawn', pid, arrive > this.time ? `arrives at ${arrive}` : '');
    if (arrive > this.time) this.arrivals.push(process);
    else this.admit(process);
    this.changed();
    return pid;
  }

  /**
   * Create a process that stands for a task run outside the kernel (in a sandbox, in real time). It
   * is a child of init, WAITING on `task ID` from its first instant, and never takes the CPU; it
   * ends when finishTask reports the task's end, or when it is killed (exit listeners see the record
   * with its taskId, so whoever runs the task can cancel it). Returns its pid. Throws KernelError:
   * EINVAL for a bad spec, EEXIST when a live process already stands for that task id, EAGAIN when
   * the process table is full, ENOMEM when its memory does not fit.
   */
  spawnTask(spec: TaskProcessSpec): number {
    if (this.liveCount >= MAX_PROCESSES) {
      throw new KernelError('EAGAIN', `Too many processes (${MAX_PROCESSES} live); wait for some to exit.`);
    }
    const {taskId} = spec;
    if (
      typeof taskId !== 'string' ||
      taskId.length === 0 ||
      taskId.length > MAX_TASK_ID_CHARS ||
      !TASK_ID.test(taskId)
    ) {
      throw new KernelError(
        'EINVAL',
        `Task id \`${String(taskId)}\` must be 1 to ${MAX_TASK_ID_CHARS} characters without spaces.`,
      );
    }
    const running = this.liveTasks.get(taskId);
    if (running) throw new KernelError('EEXIST', `Task \`${taskId}\` already runs as pid ${running.pid}.`);
    const name = spec.name ?? 'task';
    checkProcessName(name);
    const priority = spec.priority ?? DEFAULT_PRIORITY;
    checkPriority(priority);
    if (spec.group !== undefined) checkGroup(spec.group);
    if (spec.memory !== undefined) this.checkSize(spec.memory);

    const pid = this.nextPid;
    // Not through the program cache: every task has its own id, so its program is never shared.
    const program: readonly Op[] = Object.freeze([Object.freeze({op: 'task', id: taskId} as const)]);
    const process = createProcess({
      pid,
      name,
      arrival: this.time,
      program,
      burst: 0,
      priority,
      ppid: INIT_PID,
      group: spec.group ?? String(pid),
    });
    if (spec.memory !== undefined) {
      const addr = this.heap.allocate(spec.memory, pid);
      if (addr === undefined) throw new KernelError('ENOMEM', this.heap.describeFailure(spec.memory));
      ownBlocks(process).push(addr);
    }
    this.nextPid++;
    this.liveCount++;
    this.processes.set(pid, process);
    this.liveTasks.set(taskId, process);
    const wait: WaitReason = {kind: 'task', id: taskId};
    process.state = 'waiting';
    process.wait = wait;
    process.waitingSince = this.time;
    this.log('spawn', pid, describeWait(wait));
    this.log('block', pid, describeWait(wait));
    this.changed();
    return pid;
  }

  /**
   * Report the end of the task process `pid` stands for: it exits now with `status` (0 the task
   * succeeded, 1 to 255 it failed) and `reason` (default 'exited' for 0, 'task failed' otherwise),
   * and exit listeners get its record. Throws KernelError: ESRCH for an unknown or exited pid,
   * EINVAL when the process is not waiting on a task or the status is out of range.
   */
  finishTask(pid: number, status: number, reason?: string): void {
    const process = this.liveProcess(pid);
    if (process.wait?.kind !== 'task') {
      throw new KernelError(
        'EINVAL',
        `Process ${pid} is not waiting on a task (it is ${process.state.toUpperCase()}); only a task process can finish one.`,
      );
    }
    if (!Number.isSafeInteger(status) || status < 0 || status > 255) {
      throw new KernelError('EINVAL', `Exit status ${status} is out of range; expected 0 to 255.`);
    }
    this.exit(process, status, exitReasonText(reason ?? (status === 0 ? 'exited' : 'task failed')));
    this.changed();
  }

  /** The pid of the live process that stands for task `taskId`, or undefined. */
  taskPid(taskId: string): number | undefined {
    return this.liveTasks.get(taskId)?.pid;
  }

  /**
   * Parse a program, sharing one frozen copy between processes that run the same text, as
   * processes share a program's text pages: less memory, and dispatches stay in the cache.
   */
  private loadProgram(text: string): readonly Op[] {
    let program = this.programs.get(text);
    if (!program) {
      program = Object.freeze(parseProgram(text));
      if (this.programs.size >= PROGRAM_CACHE_ENTRIES) this.programs.clear();
      this.programs.set(text, program);
    }
    return program;
  }

  private admit(process: Process): void {
    this.log('admit', process.pid);
    this.makeReady(process, 'arrive');
  }

  /** Ready a process, or park it if it is stopped. */
  private makeReady(process: Process, reason: EnqueueReason): void {
    process.wait = undefined;
    if (process.isStopped) {
      process.state = 'waiting';
      process.wait = {kind: 'stopped'};
      process.waitingSince = this.time;
      return;
    }
    process.state = 'ready';
    process.readySince = this.time;
    // A process preempted inside a cpu op kept its burstKey counting down; only a new op needs the scan.
    if (process.opRemaining === 0) process.burstKey = nextBurst(process.program, process.pc, 0);
    this.policy.enqueue(process, reason, this.time);
  }

  /** Move a ready or running process to WAITING. */
  private block(process: Process, wait: WaitReason): void {
    if (this.running === process) {
      this.running = undefined;
      if (!this.policy.keepsSliceWhenBlocked) process.sliceUsed = 0;
    } else if (process.state === 'ready') {
      this.policy.remove(process);
      process.readyTime += this.time - process.readySince;
    } else {
      throw new KernelBug(`Process ${process.pid} blocked while ${process.state}.`);
    }
    process.state = 'waiting';
    process.wait = wait;
    process.waitingSince = this.time;
    this.log('block', process.pid, describeWait(wait));
  }

  /** End a wait: the process becomes ready (or stays parked if stopped). */
  private unblock(process: Process, reason: EnqueueReason): void {
    process.blockedTime += this.time - process.waitingSince;
    this.log('wake', process.pid, process.wait ? describeWait(process.wait) : '');
    this.makeReady(process, reason);
  }

  /** Execute instant ops of the running process until it reaches a cpu op, blocks or exits. */
  private runOps(process: Process): void {
    while (this.running === process) {
      const op = process.program[process.pc];
      if (!op) {
        this.exit(process, 0, 'exited');
        return;
      }
      switch (op.op) {
        case 'cpu':
          process.opRemaining = op.ticks;
          process.burstKey = nextBurst(process.program, process.pc, op.ticks);
          return;
        case 'io':
          process.pc++;
          process.wakeAt = this.time + op.ticks;
          this.block(process, {kind: 'io', until: process.wakeAt});
          this.ioWaits.push(process);
          return;
        case 'sem-wait': {
          const semaphore = this.semaphore(op.name);
          if (sem.tryTake(semaphore, process.pid)) {
            this.addSemHold(process, op.name);
            this.log('sem-take', process.pid, op.name); // as for the shell's take: each signal has its take
            process.pc++;
          } else {
            this.block(process, {kind: 'sem', name: op.name, viaShell: false});
            semaphore.waiters.push(process);
          }
          break;
        }
        case 'sem-signal':
          process.pc++;
          this.signalSemaphore(this.semaphore(op.name), process.pid);
          break;
        case 'mq-send': {
          const queue = this.queue(op.queue);
          const message = this.newMessage(process.pid, undefined, op.message);
          if (this.deliver(queue, message)) process.pc++;
          else {
            queue.pendingSends.set(process.pid, message);
            this.block(process, {kind: 'mq-send', queue: op.queue});
            queue.senders.push(process);
          }
          break;
        }
        case 'mq-recv': {
          const queue = this.queue(op.queue);
          const message = mq.takeMessage(queue, process.pid);
          if (message) {
            process.pc++;
            this.receive(process, queue, message);
            this.admitBlockedSenders(queue);
          } else {
            this.block(process, {kind: 'mq-recv', queue: op.queue, viaShell: false});
            queue.receivers.push(process);
          }
          break;
        }
        case 'malloc': {
          if (op.size > this.heap.size) {
            this.exit(process, 12, `malloc ${op.size} is larger than the heap (${this.heap.size})`);
            return;
          }
          const addr = this.heap.allocate(op.size, process.pid);
          if (addr === undefined) {
            this.block(process, {kind: 'memory', size: op.size});
            this.memoryWaiters.push(process);
          } else {
            ownBlocks(process).push(addr);
            process.pc++;
            this.log('malloc', process.pid, `${op.size} at ${formatAddress(addr)}`);
          }
          break;
        }
        case 'free': {
          process.pc++;
          const addr = process.blocks.length > 0 ? ownBlocks(process).pop() : undefined;
          if (addr !== undefined) {
            this.heap.release(addr);
            this.log('free', process.pid, formatAddress(addr));
            this.retryMemoryWaiters();
          }
          break;
        }
        case 'req': {
          const result = this.tryRequest(process, op.amounts);
          if (result.kind === 'granted') process.pc++;
          else if (result.kind === 'invalid') {
            this.exit(process, 1, result.reason);
            return;
          } else {
            this.block(process, {kind: 'res', request: op.amounts, viaShell: false});
            this.resourceWaiters.push(process);
          }
          break;
        }
        case 'rel':
          process.pc++;
          this.releaseResources(process, op.amounts, true);
          break;
        case 'wait': {
          const zombie = this.zombieChild(process);
          if (zombie) {
            process.pc++;
            this.reap(zombie);
          } else if (this.hasLiveChild(process)) {
            this.block(process, {kind: 'child'});
          } else {
            process.pc++; // no children: wait returns at once (ECHILD)
          }
          break;
        }
        case 'exit':
          this.exit(process, op.status, 'exited');
          return;
        case 'task':
          throw new KernelBug(
            `Process ${process.pid} reached the CPU with a task op; task processes only wait.`,
          );
      }
    }
  }

  /** End a process; `isKilled` when a signal ends it, so the averages leave it out. */
  private exit(process: Process, status: number, reason: string, isKilled = false): void {
    if (process.state === 'new') process.arrival = this.time; // never arrived: no negative turnaround
    this.detach(process);
    process.completion = this.time;
    process.exitStatus = status;
    process.exitReason = reason;
    process.isKilled = isKilled;
    process.opRemaining = 0;
    this.liveCount--;
    const taskId = taskIdOf(process);
    if (taskId !== undefined) this.liveTasks.delete(taskId);
    this.log('exit', process.pid, status === 0 ? reason : `${reason} (status ${status})`);

    // Give back what it held: memory and resources; semaphore units only when a signal ended it.
    for (const addr of process.blocks) this.heap.release(addr);
    const freedMemory = process.blocks.length > 0;
    if (freedMemory) ownBlocks(process).length = 0;
    // A semaphore is a count, not a lock: a producer that exits after its waits on `empty` has
    // moved items, not taken locks, so a normal exit undoes nothing (the textbook's semaphore).
    // A killed process (kill, deadlock recovery) gives back the units it took and did not signal,
    // as a robust mutex is released when its owner dies, so recovery can unblock the others.
    if (isKilled)
      for (const [name, count] of [...process.semHolds]) {
        const semaphore = this.semaphores.get(name)!;
        for (let i = 0; i < count; i++) this.signalSemaphore(semaphore, process.pid);
      }
    else if (process.semHolds.size > 0) this.forgetSemaphoreHolds(process);
    if (process.allocation.size > 0) this.releaseResources(process, new Map(process.allocation), false);

    // Orphans go to init; the ones already dead are reaped, and their records keep this parent.
    for (const childPid of process.children) {
      const child = this.processes.get(childPid)!;
      if (child.state === 'zombie') this.reap(child);
      else child.ppid = INIT_PID;
    }
    if (process.children.size > 0) ownChildren(process).clear();

    const parent = this.processes.get(process.ppid);
    process.state = 'zombie';
    if (!parent || parent.pid === INIT_PID || !isLive(parent)) this.reap(process);
    else if (parent.state === 'waiting' && parent.wait?.kind === 'child') {
      parent.pc++;
      this.reap(process);
      this.unblock(parent, 'wake');
    }
    if (freedMemory) this.retryMemoryWaiters();
    for (const listener of this.exitListeners) listener(exitRecord(process));
  }

  /** Take a process out of whatever queue or CPU it is on. */
  private detach(process: Process): void {
    if (this.running === process) {
      this.running = undefined;
      return;
    }
    switch (process.state) {
      case 'new':
        this.arrivals.remove(process);
        return;
      case 'ready':
        this.policy.remove(process);
        process.readyTime += this.time - process.readySince;
        return;
      case 'waiting':
        process.blockedTime += this.time - process.waitingSince;
        this.leaveWaitQueue(process);
        return;
      default:
        throw new KernelBug(`Process ${process.pid} detached while ${process.state}.`);
    }
  }

  private leaveWaitQueue(process: Process): void {
    const wait = process.wait;
    if (!wait) return;
    switch (wait.kind) {
      case 'io':
        this.ioWaits.remove(process);
        break;
      case 'sem':
        this.semaphores.get(wait.name)!.waiters.remove(process);
        break;
      case 'mq-recv':
        this.queues.get(wait.queue)!.receivers.remove(process);
        break;
      case 'mq-send': {
        const queue = this.queues.get(wait.queue)!;
        queue.senders.remove(process);
        queue.pendingSends.delete(process.pid);
        break;
      }
      case 'res':
        this.resourceWaiters.remove(process);
        break;
      case 'memory':
        this.memoryWaiters.remove(process);
        break;
      case 'child':
      case 'stopped':
      case 'task': // no queue: liveTasks forgets it in exit()
      case 'init':
        break;
    }
    process.wait = undefined;
  }

  private reap(process: Process): void {
    process.state = 'terminated';
    const parent = this.processes.get(process.ppid);
    if (parent?.children.has(process.pid)) ownChildren(parent).delete(process.pid);
    if (taskIdOf(process) !== undefined) this.forgetOldTasks(process.pid);
  }

  // Keep the last MAX_FINISHED_TASKS_KEPT finished task processes; a busy peer finishes thousands a second.
  private forgetOldTasks(pid: number): void {
    this.finishedTasks.push(pid);
    if (this.finishedTasks.length - this.finishedTasksHead <= MAX_FINISHED_TASKS_KEPT) return;
    this.processes.delete(this.finishedTasks[this.finishedTasksHead++]!);
    if (this.finishedTasksHead >= MAX_FINISHED_TASKS_KEPT) {
      this.finishedTasks = this.finishedTasks.slice(this.finishedTasksHead);
      this.finishedTasksHead = 0;
    }
  }

  private zombieChild(process: Process): Process | undefined {
    let found: Process | undefined;
    for (const pid of process.children) {
      const child = this.processes.get(pid)!;
      if (child.state === 'zombie' && (!found || child.completion! < found.completion!)) found = child;
    }
    return found;
  }

  private hasLiveChild(process: Process): boolean {
    for (const pid of process.children) if (isLive(this.processes.get(pid)!)) return true;
    return false;
  }

  /**
   * Send a signal. TERM and KILL end the process and all its descendants; STOP parks it until
   * CONT, and a TERM to a stopped process waits for the CONT (POSIX). Returns the pids affected.
   * Throws ESRCH for an unknown or finished pid, EPERM for init.
   */
  kill(pid: number, signal: Signal = 'TERM'): number[] {
    const process = this.processOrThrow(pid);
    if (pid === INIT_PID) throw new KernelError('EPERM', 'Cannot signal init (pid 1).');
    if (!isLive(process)) {
      throw new KernelError('ESRCH', `Process ${pid} has already exited (${process.state.toUpperCase()}).`);
    }
    const affected = this.signalOne(process, signal);
    this.changed();
    return affected;
  }

  /** Send a signal to every live process in a group. Returns the pids affected; ESRCH when none. */
  killGroup(group: string, signal: Signal = 'TERM'): number[] {
    const members = [...this.processes.values()].filter(
      (p) => p.group === group && isLive(p) && p.pid !== INIT_PID,
    );
    if (members.length === 0) throw new KernelError('ESRCH', `No live process in group \`${group}\`.`);
    const affected: number[] = [];
    for (const member of members) if (isLive(member)) affected.push(...this.signalOne(member, signal));
    this.changed();
    return [...new Set(affected)].sort((a, b) => a - b);
  }

  private signalOne(process: Process, signal: Signal): number[] {
    const number = SIGNAL_NUMBERS[signal];
    if (signal === 'STOP') {
      if (process.isStopped) return [];
      process.isStopped = true;
      this.log('stop', process.pid);
      if (process.state === 'running' || process.state === 'ready') this.block(process, {kind: 'stopped'});
      return [process.pid];
    }
    if (signal === 'CONT') {
      if (!process.isStopped) return [];
      process.isStopped = false;
      this.log('continue', process.pid);
      if (process.state === 'waiting' && process.wait?.kind === 'stopped') this.unblock(process, 'continue');
      if (!process.isTermPending) return [process.pid];
      process.isTermPending = false; // delivered now: the process ends as it would have at the TERM
      return this.signalOne(process, 'TERM');
    }
    if (signal === 'TERM' && process.isStopped) {
      // POSIX holds it until CONT; KILL is the signal that ends a stopped process at once
      if (process.isTermPending) return [];
      process.isTermPending = true;
      this.log('pending', process.pid, 'SIGTERM, until CONT');
      return [process.pid];
    }
    const descendants = this.descendantsOf(process);
    // The deepest first (a child's pid is always above its parent's), so each one dies while its
    // parent still stands and its record keeps that parent, as pstree showed it.
    for (let i = descendants.length - 1; i >= 0; i--) {
      const child = descendants[i]!;
      if (isLive(child)) this.exit(child, 128 + number, `killed with its ancestor ${process.pid}`, true);
    }
    this.exit(process, 128 + number, `killed by SIG${signal}`, true);
    return [process.pid, ...descendants.map((child) => child.pid)];
  }

  private descendantsOf(process: Process): Process[] {
    const found: Process[] = [];
    const stack = [...process.children];
    while (stack.length > 0) {
      const child = this.processes.get(stack.pop()!)!;
      if (isLive(child)) found.push(child);
      stack.push(...child.children);
    }
    return found.sort((a, b) => a.pid - b.pid);
  }

  /** Set a process's priority. Throws ESRCH, EPERM for init, or EINVAL for a priority out of range. */
  nice(pid: number, priority: number): void {
    checkPriority(priority);
    if (pid === INIT_PID) throw new KernelError('EPERM', 'The priority of init (pid 1) cannot be changed.');
    const process = this.userProcess(pid);
    process.priority = priority;
    process.basePriority = priority;
    if (process.state === 'ready') this.policy.reprioritize(process);
    this.log('nice', pid, String(priority));
    this.changed();
  }

  // ---------------------------------------------------------------------------------------
  // Scheduling policy

  /** Switch policy; ready processes move to the new policy in their current dispatch order. */
  setScheduler(name: SchedulerName, options: Partial<SchedulerOptions> = {}): void {
    if (!Object.hasOwn(schedulers, name)) throw new KernelError('EINVAL', `Unknown scheduler \`${name}\`.`);
    const merged = validateSchedulerOptions({...this.schedulerOptions, ...options});
    const next = schedulers[name](merged);
    const ready = this.policy.order();
    for (const process of ready) this.policy.remove(process);
    for (const process of ready) next.enqueue(process, 'policy', this.time);
    this.policy = next;
    this.schedulerOptions = merged;
    if (this.running) this.running.sliceUsed = 0;
    this.log('sched', 0, next.describe());
    this.changed();
  }

  get schedulerName(): SchedulerName {
    return this.policy.name;
  }

  get schedulerDescription(): string {
    return this.policy.describe();
  }

  get options(): Readonly<SchedulerOptions> {
    return this.schedulerOptions;
  }

  // ---------------------------------------------------------------------------------------
  // Memory

  /** Allocate `size` units for `owner` (a live pid, or SHELL_OWNER). Returns the address; throws ENOMEM when no hole fits. */
  malloc(size: number, owner: number = SHELL_OWNER): number {
    this.checkSize(size);
    const process = owner === SHELL_OWNER ? undefined : this.userProcess(owner);
    const addr = this.heap.allocate(size, owner);
    if (addr === undefined) throw new KernelError('ENOMEM', this.heap.describeFailure(size));
    if (process) ownBlocks(process).push(addr);
    this.log('malloc', owner, `${size} at ${formatAddress(addr)}`);
    this.changed();
    return addr;
  }

  /** Free the block starting at `addr`. Throws EFAULT when no block starts there. */
  free(addr: number): MemoryBlock {
    const block = this.heap.release(addr);
    const owner = this.processes.get(block.owner);
    if (owner) {
      const index = owner.blocks.indexOf(addr);
      if (index >= 0) ownBlocks(owner).splice(index, 1);
    }
    this.log('free', block.owner, formatAddress(addr));
    this.retryMemoryWaiters();
    this.changed();
    return block;
  }

  setFit(fit: FitPolicyName): void {
    this.heap.fit = fit;
    this.changed();
  }

  get fit(): FitPolicyName {
    return this.heap.fit;
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new KernelError('EINVAL', `Size ${size} must be a positive whole number of units.`);
    }
    if (size > this.heap.size) {
      throw new KernelError(
        'ENOMEM',
        `Size ${size} is larger than the whole heap (${this.heap.size} units).`,
      );
    }
  }

  private retryMemoryWaiters(): void {
    for (const process of [...this.memoryWaiters]) {
      const op = process.program[process.pc];
      if (op?.op !== 'malloc')
        throw new KernelBug(`Process ${process.pid} waits for memory without a malloc op.`);
      const addr = this.heap.allocate(op.size, process.pid);
      if (addr === undefined) continue;
      this.memoryWaiters.remove(process);
      ownBlocks(process).push(addr);
      process.pc++;
      this.log('malloc', process.pid, `${op.size} at ${formatAddress(addr)}`);
      this.unblock(process, 'wake');
    }
  }

  // ---------------------------------------------------------------------------------------
  // Semaphores

  /** Create a semaphore. Throws EEXIST or EINVAL. */
  semCreate(name: string, value = 1, isBinary = false): void {
    this.checkNewName(name, this.semaphores, 'semaphore');
    if (!Number.isSafeInteger(value) || value < 0 || value > 1_000_000) {
      throw new KernelError('EINVAL', `Semaphore value ${value} must be 0 to 1000000.`);
    }
    if (isBinary && value > 1)
      throw new KernelError('EINVAL', `A binary semaphore starts at 0 or 1, not ${value}.`);
    this.semaphores.set(name, sem.createSemaphore(name, value, isBinary));
    this.changed();
  }

  /**
   * Wait on a semaphore for a process (it blocks if no unit is free) or for the shell
   * (pid undefined: returns 'busy' instead of blocking; the shell ticks and tries again).
   */
  semWait(name: string, pid?: number): TakeResult {
    const semaphore = this.semaphore(name);
    const owner = pid ?? SHELL_OWNER;
    const process = pid === undefined ? undefined : this.runnableProcess(pid, `wait on ${name}`);
    if (sem.tryTake(semaphore, owner)) {
      if (process) this.addSemHold(process, name);
      this.log('sem-take', owner, name);
      this.changed();
      return {outcome: 'taken'};
    }
    if (!process) return {outcome: 'busy'};
    this.block(process, {kind: 'sem', name, viaShell: true});
    semaphore.waiters.push(process);
    this.changed();
    return {outcome: 'blocked'};
  }

  /** Signal a semaphore, as process `pid` or as the shell. Returns the pid woken, if any. */
  semSignal(name: string, pid?: number): number | undefined {
    const semaphore = this.semaphore(name);
    if (pid !== undefined) this.userProcess(pid);
    const woken = this.signalSemaphore(semaphore, pid ?? SHELL_OWNER);
    this.changed();
    return woken;
  }

  private signalSemaphore(semaphore: sem.Semaphore, owner: number): number | undefined {
    const holder = this.processes.get(owner);
    if (holder && owner !== SHELL_OWNER) this.dropSemHold(holder, semaphore.name);
    const waiter = sem.signal(semaphore, owner);
    this.log('signal', owner, semaphore.name);
    if (!waiter) return undefined;
    this.addSemHold(waiter, semaphore.name);
    const wait = waiter.wait;
    if (wait?.kind === 'sem' && !wait.viaShell) waiter.pc++;
    this.unblock(waiter, 'wake');
    return waiter.pid;
  }

  /** A process ended normally: its units stay taken, but no one holds them any more (no wait-for edge). */
  private forgetSemaphoreHolds(process: Process): void {
    for (const [name, count] of process.semHolds) {
      const semaphore = this.semaphores.get(name)!;
      for (let i = 0; i < count; i++) sem.dropHold(semaphore, process.pid);
    }
    ownAmounts(process, 'semHolds').clear();
  }

  private addSemHold(process: Process, name: string): void {
    ownAmounts(process, 'semHolds').set(name, (process.semHolds.get(name) ?? 0) + 1);
  }

  private dropSemHold(process: Process, name: string): void {
    const held = process.semHolds.get(name);
    if (held === undefined) return;
    if (held <= 1) ownAmounts(process, 'semHolds').delete(name);
    else ownAmounts(process, 'semHolds').set(name, held - 1);
  }

  // ---------------------------------------------------------------------------------------
  // Message queues

  /** Create a message queue holding at most `capacity` messages. */
  mqCreate(name: string, capacity = DEFAULT_MQ_CAPACITY): void {
    this.checkNewName(name, this.queues, 'queue');
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > MAX_MQ_CAPACITY) {
      throw new KernelError('EINVAL', `Queue capacity ${capacity} must be 1 to ${MAX_MQ_CAPACITY}.`);
    }
    this.queues.set(name, mq.createMessageQueue(name, capacity));
    this.changed();
  }

  /**
   * Send from the shell: to any receiver, to one pid, or '*' for a copy to every process that
   * waits on or will receive from the queue. Returns the recipients that already got it, or
   * 'full' when the queue has no room (the shell ticks and tries again).
   */
  mqSend(name: string, text: string, to?: number | '*'): {delivered: number[]; queued: number} | 'full' {
    const queue = this.queue(name);
    if (text.length > MAX_MESSAGE_CHARS) {
      throw new KernelError(
        'EINVAL',
        `Message is ${text.length} characters; at most ${MAX_MESSAGE_CHARS} are allowed.`,
      );
    }
    let recipients: (number | undefined)[];
    if (to === '*') {
      recipients = this.receiversOf(name);
      if (recipients.length === 0)
        throw new KernelError('ENOENT', `No process receives from queue \`${name}\`.`);
    } else {
      if (to !== undefined) this.userProcess(to);
      recipients = [to];
    }
    const messages = recipients.map((recipient) => this.newMessage(SHELL_OWNER, recipient, text));
    const needRoom = messages.filter((message) => !mq.receiverFor(queue, message)).length;
    if (queue.messages.length + needRoom > queue.capacity) return 'full';
    const delivered: number[] = [];
    let queued = 0;
    for (const message of messages) {
      const receiver = mq.receiverFor(queue, message);
      this.deliver(queue, message);
      if (receiver) delivered.push(receiver.pid);
      else queued++;
    }
    this.changed();
    return {delivered, queued};
  }

  /**
   * Receive for a process (it blocks when nothing is there for it) or for the shell (pid
   * undefined: returns 'empty' instead of blocking). Returns the message or the outcome.
   */
  mqRecv(name: string, pid?: number): mq.Message | 'blocked' | 'empty' {
    const queue = this.queue(name);
    const process = pid === undefined ? undefined : this.runnableProcess(pid, `receive from ${name}`);
    const message = mq.takeMessage(queue, pid ?? SHELL_OWNER);
    if (message) {
      if (process) this.receive(process, queue, message);
      this.admitBlockedSenders(queue);
      this.changed();
      return message;
    }
    if (!process) return 'empty';
    this.block(process, {kind: 'mq-recv', queue: name, viaShell: true});
    queue.receivers.push(process);
    this.changed();
    return 'blocked';
  }

  private newMessage(from: number, to: number | undefined, text: string): mq.Message {
    return {seq: ++this.messageSeq, from, to, text, sentAt: this.time};
  }

  /** Hand a message to a blocked receiver, or queue it. Returns false when the queue is full. */
  private deliver(queue: mq.MessageQueue, message: mq.Message): boolean {
    queue.sent++;
    const receiver = mq.receiverFor(queue, message);
    if (receiver) {
      this.logSend(queue, message);
      queue.receivers.remove(receiver);
      queue.received++;
      const wait = receiver.wait;
      if (wait?.kind === 'mq-recv' && !wait.viaShell) receiver.pc++;
      this.receive(receiver, queue, message);
      this.unblock(receiver, 'wake');
      return true;
    }
    if (queue.messages.length >= queue.capacity) {
      queue.sent--;
      return false;
    }
    this.logSend(queue, message);
    queue.messages.push(message);
    return true;
  }

  /** A message goes into `queue` (to a waiting receiver or the queue itself): each recv has its send. */
  private logSend(queue: mq.MessageQueue, message: mq.Message): void {
    const to = message.to === undefined ? '' : ` for ${message.to}`;
    this.log('send', message.from, `"${message.text}" to ${queue.name}${to}`);
  }

  private receive(process: Process, queue: mq.MessageQueue, message: mq.Message): void {
    process.lastMessage = message.text;
    this.log('recv', process.pid, `"${message.text}" from ${queue.name}`);
  }

  /** Senders blocked on a full queue get their turn, in order, as room appears. */
  private admitBlockedSenders(queue: mq.MessageQueue): void {
    for (let sender = queue.senders.peek(); sender; sender = queue.senders.peek()) {
      const message = queue.pendingSends.get(sender.pid)!;
      if (!mq.receiverFor(queue, message) && queue.messages.length >= queue.capacity) return;
      queue.senders.remove(sender);
      queue.pendingSends.delete(sender.pid);
      this.deliver(queue, message);
      sender.pc++;
      this.unblock(sender, 'wake');
    }
  }

  /** Live processes waiting on, or with a later `mq recv` of, the queue, by pid. */
  private receiversOf(name: string): number[] {
    const pids: number[] = [];
    for (const process of this.processes.values()) {
      if (!isLive(process) || process.pid === INIT_PID) continue;
      const wait = process.wait;
      const isWaiting = process.state === 'waiting' && wait?.kind === 'mq-recv' && wait.queue === name;
      if (isWaiting || this.futureOps(process).some((op) => op.op === 'mq-recv' && op.queue === name))
        pids.push(process.pid);
    }
    return pids;
  }

  // ---------------------------------------------------------------------------------------
  // Resources and the Banker's algorithm

  /** Create a resource type with `count` instances. */
  resCreate(name: string, count: number): void {
    this.checkNewName(name, this.resources, 'resource');
    if (!Number.isSafeInteger(count) || count < 1 || count > 1_000_000) {
      throw new KernelError('EINVAL', `Resource count ${count} must be 1 to 1000000.`);
    }
    this.resources.set(name, {name, total: count, available: count});
    this.changed();
  }

  /** Declare a process's maximum claim on resources (replacing earlier claims on those types). */
  resClaim(pid: number, amounts: Amounts): void {
    const process = this.userProcess(pid);
    for (const [name, count] of amounts) {
      const resource = this.resource(name);
      if (count > resource.total) {
        throw new KernelError('EINVAL', `Claim ${name}=${count} exceeds the ${resource.total} that exist.`);
      }
      const held = process.allocation.get(name) ?? 0;
      if (count < held)
        throw new KernelError(
          'EINVAL',
          `Claim ${name}=${count} is below the ${held} pid ${pid} already holds.`,
        );
    }
    for (const [name, count] of amounts) ownAmounts(process, 'claims').set(name, count);
    this.changed();
  }

  /**
   * Request resources for a process. With avoidance on (the default) the Banker's algorithm
   * decides: granted, made to wait (not available), or refused with EDEADLK as unsafe.
   */
  resRequest(pid: number, amounts: Amounts): RequestResult {
    const process = this.userProcess(pid);
    const result = this.tryRequest(process, amounts);
    switch (result.kind) {
      case 'granted':
        this.changed();
        return {outcome: 'granted', sequence: result.sequence};
      case 'invalid':
        throw new KernelError('EPERM', result.reason);
      case 'unsafe':
        throw new KernelError('EDEADLK', `Refused as unsafe: ${result.reason}`);
      case 'wait':
        this.runnableProcess(pid, 'wait for resources');
        this.block(process, {kind: 'res', request: amounts, viaShell: true});
        this.resourceWaiters.push(process);
        this.changed();
        return {outcome: 'waiting', reason: result.reason};
    }
  }

  /** Release resources a process holds. Throws EINVAL when it holds fewer. */
  resRelease(pid: number, amounts: Amounts): void {
    const process = this.userProcess(pid);
    for (const [name, count] of amounts) {
      this.resource(name);
      const held = process.allocation.get(name) ?? 0;
      if (count > held)
        throw new KernelError('EINVAL', `Process ${pid} holds ${name}=${held}, cannot release ${count}.`);
    }
    this.releaseResources(process, amounts, true);
    this.changed();
  }

  /** Turn Banker's avoidance on (requests that would be unsafe are refused or wait) or off. */
  setAvoidance(isOn: boolean): void {
    this.isAvoiding = isOn;
    this.changed();
  }

  get avoidance(): boolean {
    return this.isAvoiding;
  }

  /** The Banker's safety check on the current state. */
  banker(): SafetyResult & {state: BankerState} {
    const state = this.bankerState();
    return {...findSafeSequence(state), state};
  }

  private tryRequest(
    process: Process,
    amounts: Amounts,
  ): {kind: 'granted'; sequence: number[]} | {kind: 'wait' | 'unsafe' | 'invalid'; reason: string} {
    for (const name of amounts.keys()) this.resource(name);
    const names = [...this.resources.keys()];
    const vector = names.map((name) => amounts.get(name) ?? 0);
    let sequence: number[] = [];
    if (this.isAvoiding) {
      const state = this.bankerState(process.pid);
      const outcome = checkRequest(state, process.pid, vector);
      if (outcome.kind === 'unsafe') return {kind: 'unsafe', reason: outcome.reason};
      if (outcome.kind !== 'granted') return outcome;
      sequence = outcome.sequence;
    } else {
      for (const [name, count] of amounts) {
        const resource = this.resources.get(name)!;
        if (count > resource.available) {
          return {kind: 'wait', reason: `needs ${name}=${count} but only ${resource.available} available`};
        }
      }
    }
    for (const [name, count] of amounts) {
      this.resources.get(name)!.available -= count;
      const held = (process.allocation.get(name) ?? 0) + count;
      ownAmounts(process, 'allocation').set(name, held);
      // Without avoidance a process may take more than it declared; its claim grows to match,
      // so the Banker's matrices stay consistent if avoidance is turned back on.
      if (held > (process.claims.get(name) ?? 0)) ownAmounts(process, 'claims').set(name, held);
    }
    this.log('grant', process.pid, formatAmounts(amounts));
    return {kind: 'granted', sequence};
  }

  private releaseResources(process: Process, amounts: Amounts, isPartial: boolean): void {
    for (const [name, count] of amounts) {
      const held = process.allocation.get(name) ?? 0;
      const released = Math.min(held, count);
      if (released === 0) continue;
      this.resources.get(name)!.available += released;
      if (held - released === 0) ownAmounts(process, 'allocation').delete(name);
      else ownAmounts(process, 'allocation').set(name, held - released);
    }
    if (isPartial) this.log('release', process.pid, formatAmounts(amounts));
    // Waiters retry in FIFO order; each grant may let the next one through.
    for (const waiter of [...this.resourceWaiters]) {
      const wait = waiter.wait;
      if (wait?.kind !== 'res')
        throw new KernelBug(`Process ${waiter.pid} queued for resources without a res wait.`);
      if (this.tryRequest(waiter, wait.request).kind !== 'granted') continue;
      this.resourceWaiters.remove(waiter);
      if (!wait.viaShell) waiter.pc++;
      this.unblock(waiter, 'wake');
    }
  }

  /** The Banker's matrices over live processes that claim or hold anything, by pid. */
  private bankerState(alsoPid?: number): BankerState {
    const names = [...this.resources.keys()];
    const rows = [...this.processes.values()].filter(
      (p) => isLive(p) && (p.claims.size > 0 || p.allocation.size > 0 || p.pid === alsoPid),
    );
    rows.sort((a, b) => a.pid - b.pid);
    return {
      resources: names,
      available: names.map((name) => this.resources.get(name)!.available),
      processes: rows.map((p) => p.pid),
      max: rows.map((p) => names.map((name) => p.claims.get(name) ?? 0)),
      allocation: rows.map((p) => names.map((name) => p.allocation.get(name) ?? 0)),
    };
  }

  // ---------------------------------------------------------------------------------------
  // Deadlock

  /** Build the wait-for graph from semaphores, queues, resources and child waits, and reduce it. */
  deadlocks(): DeadlockReport {
    return findDeadlocked(this.deadlockInput());
  }

  /**
   * End deadlocked processes one at a time (lowest priority, then least CPU used, then highest
   * pid) until none is left. Returns each victim with the reason it was chosen.
   */
  recoverFromDeadlock(): {pid: number; name: string; reason: string}[] {
    const victims: {pid: number; name: string; reason: string}[] = [];
    for (;;) {
      const input = this.deadlockInput();
      const report = findDeadlocked(input);
      const pid = chooseVictim(input, report);
      if (pid === undefined) break;
      const victim = this.processes.get(pid)!;
      const others = report.deadlocked
        .filter((other) => other !== pid)
        .map((other) => this.processes.get(other)!);
      const reason =
        `deadlocked with ${others.map((other) => other.pid).join(', ') || 'itself'}; ` +
        victimReason(victim, others);
      this.exit(victim, 128 + SIGNAL_NUMBERS.KILL, 'deadlock recovery', true);
      victims.push({pid, name: victim.name, reason});
    }
    this.changed();
    return victims;
  }

  private deadlockInput(): DeadlockInput {
    const names = [...this.resources.keys()];
    const live = [...this.processes.values()].filter((p) => isLive(p) && p.pid !== INIT_PID);
    const helpersFor = (test: (process: Process, future: readonly Op[]) => boolean): number[] =>
      live.filter((p) => test(p, this.futureOps(p))).map((p) => p.pid);
    const processes = live.map((process) => {
      let wait: Wait | undefined;
      const reason = process.state === 'waiting' ? process.wait : undefined;
      switch (reason?.kind) {
        case 'sem': {
          const semaphore = this.semaphores.get(reason.name)!;
          wait = {
            kind: 'sem',
            name: reason.name,
            helpers: helpersFor(
              (p, future) =>
                semaphore.holders.has(p.pid) ||
                future.some((op) => op.op === 'sem-signal' && op.name === reason.name),
            ),
          };
          break;
        }
        case 'mq-recv':
        case 'mq-send': {
          // A receiver waits for a later sender, a blocked sender for a later receiver.
          const helperOp = reason.kind === 'mq-recv' ? 'mq-send' : 'mq-recv';
          wait = {
            kind: 'mq',
            name: reason.queue,
            helpers: helpersFor((_, future) =>
              future.some((op) => op.op === helperOp && op.queue === reason.queue),
            ),
          };
          break;
        }
        case 'child':
          wait = {
            kind: 'child',
            helpers: [...process.children].filter((pid) => isLive(this.processes.get(pid)!)),
          };
          break;
        case 'memory':
          wait = {
            kind: 'memory',
            size: reason.size,
            helpers: helpersFor((p, future) => p.blocks.length > 0 || future.some((op) => op.op === 'free')),
          };
          break;
        case 'res':
          wait = {kind: 'res', request: names.map((name) => reason.request.get(name) ?? 0)};
          break;
        default:
          // running, ready, io, stopped: it can still move on its own; task: something outside
          // the kernel will end it, so it is never on a cycle and never stuck
          wait = undefined;
      }
      return {
        pid: process.pid,
        priority: process.priority,
        cpuTime: process.cpuTime,
        allocation: names.map((name) => process.allocation.get(name) ?? 0),
        wait,
      };
    });
    return {resources: names, available: names.map((name) => this.resources.get(name)!.available), processes};
  }

  /** Ops the process has yet to run after its current one. */
  private futureOps(process: Process): readonly Op[] {
    return process.program.slice(process.state === 'waiting' ? process.pc + 1 : process.pc);
  }

  // ---------------------------------------------------------------------------------------
  // Observing

  /** Call `listener` after every change (each tick, each command). Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Call `listener` for every process that exits, as it exits. Returns the unsubscribe function. */
  onExit(listener: (record: ExitRecord) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Plain data for views; the same object until the next change. */
  snapshot(): KernelSnapshot {
    if (this.cachedSnapshot?.version === this.version) return this.cachedSnapshot;
    const ready = this.policy.order().map((p) => this.view(p));
    const snapshot: KernelSnapshot = {
      version: this.version,
      time: this.time,
      scheduler: {
        name: this.policy.name,
        description: this.policy.describe(),
        options: {...this.schedulerOptions},
        isPreemptive: this.policy.isPreemptive,
        quantum: this.running ? this.policy.quantumOf(this.running) : undefined,
      },
      running: this.running ? this.view(this.running) : undefined,
      ready,
      processes: this.processList().map((p) => this.view(p)),
      memory: this.memoryView(true),
      semaphores: this.semaphoreViews(),
      queues: this.queueViews(),
      resources: this.resourceViews(),
      avoidance: this.isAvoiding,
      gantt: this.ganttSegments(),
      cpu: {busyTicks: this.busyTicks, contextSwitches: this.contextSwitches},
    };
    this.cachedSnapshot = snapshot;
    return snapshot;
  }

  /** One process, or undefined. */
  process(pid: number): ProcessView | undefined {
    const process = this.processes.get(pid);
    return process && this.view(process);
  }

  /** Every process in pid order (init first); `includeFinished` adds TERMINATED ones. */
  listProcesses(includeFinished = false): ProcessView[] {
    return this.processList()
      .filter((p) => includeFinished || p.state !== 'terminated')
      .map((p) => this.view(p));
  }

  /** The running process and the ready queue in dispatch order. */
  readyQueue(): {running: ProcessView | undefined; ready: ProcessView[]; waiting: ProcessView[]} {
    return {
      running: this.running && this.view(this.running),
      ready: this.policy.order().map((p) => this.view(p)),
      waiting: this.processList()
        .filter((p) => p.state === 'waiting' && p.pid !== INIT_PID)
        .map((p) => this.view(p)),
    };
  }

  /** Waiting, turnaround and response time per process, with the averages. */
  schedulerStats(): SchedulerStats {
    const rows = this.processList().filter((p) => p.pid !== INIT_PID);
    // A killed process did not finish its work: its times would pull the averages toward zero.
    const finished = rows.filter((p) => p.completion !== undefined && !p.isKilled);
    const started = rows.filter((p) => p.firstRun !== undefined && !p.isKilled);
    const average = (values: number[]) =>
      values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
    return {
      time: this.time,
      policy: this.policy.describe(),
      processes: rows.map((p) => {
        const view = this.view(p);
        return {
          pid: p.pid,
          name: p.name,
          arrival: p.arrival,
          burst: usedBurst(p),
          firstRun: p.firstRun ?? null,
          completion: p.completion ?? null,
          waiting: view.waiting,
          turnaround: p.completion === undefined ? null : p.completion - p.arrival,
          response: p.firstRun === undefined ? null : p.firstRun - p.arrival,
          state: p.state,
          killed: p.isKilled,
        };
      }),
      finished: finished.length,
      killed: rows.filter((p) => p.isKilled).length,
      avgWaiting: average(finished.map((p) => p.readyTime)),
      avgTurnaround: average(finished.map((p) => p.completion! - p.arrival)),
      avgResponse: average(started.map((p) => p.firstRun! - p.arrival)),
      throughput: this.time === 0 ? 0 : finished.length / this.time,
      cpuUtilization: this.time === 0 ? 0 : this.busyTicks / this.time,
      busyTicks: this.busyTicks,
      contextSwitches: this.contextSwitches,
    };
  }

  memoryView(withMap = false): MemoryView {
    return {
      ...this.heap.stats(),
      fit: this.heap.fit,
      map: withMap ? this.heap.map() : [],
    };
  }

  semaphoreViews(): SemaphoreView[] {
    return [...this.semaphores.values()].map((s) => ({
      name: s.name,
      value: s.value,
      initial: s.initial,
      isBinary: s.isBinary,
      waiters: [...s.waiters].map((p) => p.pid),
      holders: [...s.holders].map(([pid, count]) => ({pid, count})).sort((a, b) => a.pid - b.pid),
    }));
  }

  queueViews(): QueueView[] {
    return [...this.queues.values()].map((q) => ({
      name: q.name,
      capacity: q.capacity,
      length: q.messages.length,
      messages: q.messages.map((m) => ({from: m.from, to: m.to ?? null, text: m.text, sentAt: m.sentAt})),
      receivers: [...q.receivers].map((p) => p.pid),
      senders: [...q.senders].map((p) => p.pid),
      sent: q.sent,
      received: q.received,
    }));
  }

  resourceViews(): ResourceView {
    const state = this.bankerState();
    return {
      resources: [...this.resources.values()].map((r) => ({
        name: r.name,
        total: r.total,
        available: r.available,
      })),
      processes: state.processes.map((pid, row) => ({
        pid,
        name: this.processes.get(pid)!.name,
        max: [...state.max[row]!],
        allocation: [...state.allocation[row]!],
        need: state.max[row]!.map((max, column) => Math.max(0, max - state.allocation[row]![column]!)),
        waiting: this.processes.get(pid)!.wait?.kind === 'res',
      })),
    };
  }

  /** The last `limit` events, oldest first. */
  recentEvents(limit = EVENT_LOG_CAPACITY): KernelEvent[] {
    return this.events.recent(limit, (event) => ({...event}));
  }

  /** Gantt segments, oldest first, the running one last. */
  ganttSegments(): GanttSegment[] {
    return this.gantt.recent(GANTT_CAPACITY, (segment) => ({...segment}));
  }

  private processList(): Process[] {
    return [...this.processes.values()];
  }

  private view(process: Process): ProcessView {
    const isReady = process.state === 'ready';
    const isWaiting = process.state === 'waiting';
    const current = process.program[process.pc];
    const view: ProcessView = {
      pid: process.pid,
      ppid: process.ppid,
      name: process.name,
      group: process.group,
      state: process.state,
      isStopped: process.isStopped,
      priority: process.priority,
      basePriority: process.basePriority,
      arrival: process.arrival,
      burst: process.burst,
      cpuTime: process.cpuTime,
      remaining: process.burst - process.cpuTime,
      waiting: process.readyTime + (isReady ? this.time - process.readySince : 0),
      blocked: process.blockedTime + (isWaiting ? this.time - process.waitingSince : 0),
      memory: process.blocks.reduce((sum, addr) => sum + (this.heap.blockAt(addr)?.size ?? 0), 0),
      firstRun: process.firstRun ?? null,
      completion: process.completion ?? null,
      exitStatus: process.exitStatus ?? null,
      exitReason: process.exitReason ?? null,
      waitingOn: isWaiting && process.wait ? describeWait(process.wait) : null,
      op: current ? formatOp(current) : null,
      sliceUsed: process.sliceUsed,
      tag: isLive(process) && process.pid !== INIT_PID ? this.policy.tagOf(process) : '',
      lastMessage: process.lastMessage ?? null,
      children:
        process.pid === INIT_PID
          ? this.processList()
              .filter((p) => p.ppid === INIT_PID && p.state !== 'terminated')
              .map((p) => p.pid)
          : [...process.children].sort((a, b) => a - b),
    };
    // Only task processes carry the key, so other views keep their shape and their JSON.
    const taskId = taskIdOf(process);
    if (taskId !== undefined) view.taskId = taskId;
    return view;
  }

  // ---------------------------------------------------------------------------------------
  // Helpers

  private changed(): void {
    this.version++;
    if (this.listeners.size > 0) for (const listener of this.listeners) listener();
  }

  private log(kind: EventKind, pid: number, detail = ''): void {
    const event = this.events.claim();
    event.seq = ++this.eventSeq;
    event.time = this.time;
    event.kind = kind;
    event.pid = pid;
    event.detail = detail;
  }

  private recordGantt(pid: number, ticks: number): void {
    const last = this.gantt.last();
    if (last && last.pid === pid && last.end === this.time) {
      last.end += ticks;
      return;
    }
    const segment = this.gantt.claim();
    segment.pid = pid;
    segment.start = this.time;
    segment.end = this.time + ticks;
  }

  private processOrThrow(pid: number): Process {
    const process = Number.isSafeInteger(pid) ? this.processes.get(pid) : undefined;
    if (!process) throw new KernelError('ESRCH', `Process ${pid} does not exist.`);
    return process;
  }

  private liveProcess(pid: number): Process {
    const process = this.processOrThrow(pid);
    if (!isLive(process)) throw new KernelError('ESRCH', `Process ${pid} has exited.`);
    return process;
  }

  /** A live process other than init, which owns nothing and never exits. */
  private userProcess(pid: number): Process {
    if (pid === INIT_PID)
      throw new KernelError('EPERM', 'init (pid 1) cannot own memory, semaphores, messages or resources.');
    return this.liveProcess(pid);
  }

  /** A process that can be made to block now: ready or running. */
  private runnableProcess(pid: number, action: string): Process {
    const process = this.liveProcess(pid);
    if (pid === INIT_PID) throw new KernelError('EPERM', `init (pid 1) cannot ${action}.`);
    if (process.state !== 'ready' && process.state !== 'running') {
      const why =
        process.state === 'waiting' && process.wait
          ? `waiting (${describeWait(process.wait)})`
          : process.state;
      throw new KernelError(
        'EINVAL',
        `Process ${pid} is ${why}; only a ready or running process can ${action}.`,
      );
    }
    return process;
  }

  private semaphore(name: string): sem.Semaphore {
    const found = this.semaphores.get(name);
    if (!found)
      throw new KernelError(
        'ENOENT',
        `No semaphore named \`${name}\`; create it with \`sem create ${name}\`.`,
      );
    return found;
  }

  private queue(name: string): mq.MessageQueue {
    const found = this.queues.get(name);
    if (!found)
      throw new KernelError(
        'ENOENT',
        `No message queue named \`${name}\`; create it with \`mq create ${name}\`.`,
      );
    return found;
  }

  private resource(name: string): Resource {
    const found = this.resources.get(name);
    if (!found)
      throw new KernelError(
        'ENOENT',
        `No resource named \`${name}\`; create it with \`res create ${name} COUNT\`.`,
      );
    return found;
  }

  private checkNewName(name: string, table: Map<string, unknown>, what: string): void {
    if (!isValidName(name, MAX_NAME_CHARS)) {
      throw new KernelError(
        'EINVAL',
        `Bad ${what} name \`${name}\`: use 1 to ${MAX_NAME_CHARS} letters, digits, _ . - (starting with a letter or _).`,
      );
    }
    if (table.has(name)) throw new KernelError('EEXIST', `A ${what} named \`${name}\` already exists.`);
  }

  /** Every semaphore, queue and resource a program names must exist when it is spawned. */
  private checkProgramNames(program: readonly Op[]): void {
    for (const op of program) {
      if (op.op === 'sem-wait' || op.op === 'sem-signal') this.semaphore(op.name);
      else if (op.op === 'mq-send' || op.op === 'mq-recv') this.queue(op.queue);
      else if (op.op === 'req' || op.op === 'rel') for (const name of op.amounts.keys()) this.resource(name);
    }
  }
}

/** Create a kernel. See KernelOptions for the defaults. */
export function createKernel(options: KernelOptions = {}): Kernel {
  return new Kernel(options);
}

function checkPriority(priority: number): void {
  if (!Number.isSafeInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new KernelError(
      'EINVAL',
      `Priority ${priority} is out of range; expected ${MIN_PRIORITY} to ${MAX_PRIORITY} (higher is more urgent).`,
    );
  }
}

function validateSchedulerOptions(options: SchedulerOptions): SchedulerOptions {
  const positive = (value: number, what: string, max = MAX_TICKS) => {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) {
      throw new KernelError('EINVAL', `${what} ${value} is out of range; expected 1 to ${max}.`);
    }
  };
  positive(options.quantum, 'Quantum');
  positive(options.levels, 'MLFQ levels', MAX_MLFQ_LEVELS);
  for (const quantum of options.quanta) positive(quantum, 'MLFQ quantum');
  if (options.quanta.length > options.levels) {
    throw new KernelError(
      'EINVAL',
      `${options.quanta.length} quanta given for ${options.levels} MLFQ levels.`,
    );
  }
  if (!Number.isSafeInteger(options.aging) || options.aging < 0) {
    throw new KernelError('EINVAL', `Aging ${options.aging} must be 0 (off) or a positive tick count.`);
  }
  if (!Number.isSafeInteger(options.boost) || options.boost < 0) {
    throw new KernelError('EINVAL', `Boost ${options.boost} must be 0 (off) or a positive tick count.`);
  }
  return options;
}

export function describeWait(wait: WaitReason): string {
  switch (wait.kind) {
    case 'io':
      return `io until ${wait.until}`;
    case 'sem':
      return `sem ${wait.name}`;
    case 'mq-recv':
      return `mq recv ${wait.queue}`;
    case 'mq-send':
      return `mq send ${wait.queue} (full)`;
    case 'res':
      return `res ${formatAmounts(wait.request)}`;
    case 'child':
      return 'child';
    case 'memory':
      return `memory ${wait.size}`;
    case 'stopped':
      return 'stopped';
    case 'task':
      return `task ${wait.id}`;
    case 'init':
      return 'sleeping';
  }
}

export function formatAmounts(amounts: Amounts): string {
  return [...amounts].map(([name, count]) => `${name}=${count}`).join(' ');
}

/** Why `victim` was chosen over `others`, in words: the rule of deadlock.ts that decided. */
function victimReason(victim: Process, others: readonly Process[]): string {
  const {rule, ties} = victimRule(victim, others);
  const as = ties.join(', ');
  if (rule === 'priority') return `lowest priority (${victim.priority}) among them`;
  if (rule === 'cpu')
    return `lowest priority (${victim.priority}, as ${as}), then least CPU used (${victim.cpuTime})`;
  return `lowest priority (${victim.priority}) and least CPU used (${victim.cpuTime}), as ${as}; then the highest pid`;
}

/**
 * The CPU burst a table shows: what the program asks for, or once it has finished on its own, what it
 * used (a program that exits early never runs the rest, and waiting = turnaround - burst must hold).
 * A killed process shows what it asked for: what it would have needed.
 */
function usedBurst(process: Process): number {
  return process.completion !== undefined && !process.isKilled ? process.cpuTime : process.burst;
}

function exitRecord(process: Process): ExitRecord {
  const completion = process.completion!;
  const record: ExitRecord = {
    pid: process.pid,
    name: process.name,
    arrival: process.arrival,
    firstRun: process.firstRun ?? null,
    completion,
    burst: usedBurst(process),
    cpuTime: process.cpuTime,
    waiting: process.readyTime,
    turnaround: completion - process.arrival,
    response: process.firstRun === undefined ? null : process.firstRun - process.arrival,
    exitStatus: process.exitStatus!,
    reason: process.exitReason!,
    killed: process.isKilled,
  };
  const taskId = taskIdOf(process);
  if (taskId !== undefined) record.taskId = taskId;
  return record;
}

/** The task a process stands for: its program is the one op `task ID` (see spawnTask). */
function taskIdOf(process: Process): string | undefined {
  const first = process.program[0];
  return first?.op === 'task' ? first.id : undefined;
}

/** Task ids are shown as `task ID` in ps and the panes: no whitespace or control characters. */
const TASK_ID = /^[^\s\p{Cc}]+$/u;

/** An exit reason from outside (finishTask) is shown in one line of ps and history. */
const MAX_EXIT_REASON_CHARS = 200;

function exitReasonText(reason: string): string {
  const line = reason.replace(/\s+/g, ' ').trim() || 'task ended';
  return line.length > MAX_EXIT_REASON_CHARS ? `${line.slice(0, MAX_EXIT_REASON_CHARS - 1)}…` : line;
}

function checkProcessName(name: string): void {
  // control characters too (C0, DEL, C1): a name is drawn in every pane, where ESC [41m paints it red
  if (name.length === 0 || name.length > MAX_NAME_CHARS || /[\s\x00-\x1f\x7f-\x9f]/.test(name)) {
    throw new KernelError(
      'EINVAL',
      `Process name \`${name}\` must be 1 to ${MAX_NAME_CHARS} characters without spaces or control characters.`,
    );
  }
}

function checkGroup(group: string): void {
  if (!isValidName(group, MAX_NAME_CHARS) && !/^\d+$/.test(group)) {
    throw new KernelError(
      'EINVAL',
      `Group \`${group}\` must be a number or a name of letters, digits, _ . -`,
    );
  }
}
