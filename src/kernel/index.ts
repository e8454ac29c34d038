// The kernel's public face: the one file the shell and the network layer import.
//
//   const kernel = createKernel({scheduler: 'rr', schedulerOptions: {quantum: 2}});
//   const pid = kernel.spawn({name: 'editor', burst: 5, priority: 2});
//   kernel.tick();                    // one unit of virtual time
//   const view = kernel.snapshot();   // plain data; same inputs + same ticks = same view
//   const unsubscribe = kernel.subscribe(onChange);

export {createKernel, Kernel, describeWait, formatAmounts} from './kernel.js';
export type {
  Amounts,
  ExitRecord,
  KernelOptions,
  RequestResult,
  Signal,
  SpawnSpec,
  TakeResult,
  TaskLoad,
  TaskProcessSpec,
} from './kernel.js';
export {KernelBug, KernelError, type KernelErrorCode} from './errors.js';
export {
  FIT_POLICY_NAMES,
  type FitPolicyName,
  type HeapStats,
  type MapEntry,
  type MemoryBlock,
} from './memory/heap.js';
export {isSchedulerName, SCHEDULER_NAMES, SCHEDULER_SUMMARIES} from './scheduler/index.js';
export type {SchedulerName, SchedulerOptions} from './scheduler/index.js';
export type {ProcessState} from './process.js';
export type {Message} from './message-queue.js';
export type {SafetyResult, BankerState} from './bankers.js';
export type {DeadlockReport, WaitEdge} from './deadlock.js';
export {parseAmounts, parseProgram} from './program.js';
export {formatAddress, parseAddress, parseCount, parseSize, isValidName} from './units.js';
export * from './params.js';
export type * from './views.js';
export {randomInt, seededRandom} from './random.js';
