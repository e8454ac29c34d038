// Kernel tunables, each with its unit. Changing one changes behaviour users script against,
// so the README's Limits section lists them.

/** Pid of init, the ancestor that adopts and reaps orphans. */
export const INIT_PID = 1;
/** Owner id used for blocks and semaphore holds taken by the shell itself (no process). */
export const SHELL_OWNER = 0;
/** Live processes at once; beyond this spawn fails with EAGAIN (a fork bomb in a lab stays finite). */
export const MAX_PROCESSES = 1_000_000;
/**
 * Finished task processes (spawnTask) kept in the process table for `ps -a`; older ones are forgotten,
 * so a peer running tasks for days does not grow without bound (the task history keeps them all).
 */
export const MAX_FINISHED_TASKS_KEPT = 1_000;
/** Default CPU burst when spawn gets neither --burst nor --prog, in ticks. */
export const DEFAULT_BURST_TICKS = 10;
/** Default round-robin quantum, in ticks (the textbook's RR example uses 4). */
export const DEFAULT_QUANTUM_TICKS = 4;
/** Priorities run from MIN_PRIORITY to MAX_PRIORITY; a higher number is more urgent. */
export const MIN_PRIORITY = 0;
export const MAX_PRIORITY = 99;
export const DEFAULT_PRIORITY = 0;
/** MLFQ defaults: three levels with quanta q, 2q, 4q and a boost to the top every 100 ticks. */
export const DEFAULT_MLFQ_LEVELS = 3;
export const DEFAULT_MLFQ_BOOST_TICKS = 100;
export const MAX_MLFQ_LEVELS = 8;
/** Default heap size in units (bytes), 1 MiB. */
export const DEFAULT_HEAP_UNITS = 1024 * 1024;
/** Largest heap, in units: addresses stay exact integers and maps stay printable. */
export const MAX_HEAP_UNITS = 2 ** 32;
/** Default message-queue capacity, in messages; a full queue blocks senders. */
export const DEFAULT_MQ_CAPACITY = 64;
export const MAX_MQ_CAPACITY = 65_536;
/** Longest message text, in characters. */
export const MAX_MESSAGE_CHARS = 1024;
/** Kernel events kept for `events` and the panes; older ones are dropped. */
export const EVENT_LOG_CAPACITY = 4096;
/** Gantt segments kept for `sched gantt` and the scheduler pane. */
export const GANTT_CAPACITY = 4096;
/** Longest name for a process, semaphore, queue or resource, in characters. */
export const MAX_NAME_CHARS = 32;
/** Longest task id a task process accepts, in characters (a peer's protocol caps ids at the same). */
export const MAX_TASK_ID_CHARS = 64;
/** Ops in one program. */
export const MAX_PROGRAM_OPS = 1024;
/** Largest tick count one op or one `tick N` may take. */
export const MAX_TICKS = 1_000_000_000;
