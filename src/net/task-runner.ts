// The executing side of tasks: every task this peer runs, whoever sent it. A task is checked
// against its submitter's quota, answered from the result cache when it can be, otherwise stands
// in the kernel as a process (WAITING on `task ID`, so `ps`, the panes and `history` show it) while
// it queues (highest priority first) and runs in the sandbox. `kill PID` of that process cancels the
// task; `cancel` does the same from the network.

import type {Kernel, ExitRecord} from '../kernel/index.js';
import type {TaskOutcome, TaskSpec} from './messages.js';
import {NetError} from './net-error.js';
import type {Quotas} from './quota.js';
import {taskCacheKey, type ResultCache} from './result-cache.js';
import type {SandboxPool, SandboxResult} from './sandbox/pool.js';

/** Tasks handed to the sandbox at once; the rest wait in the runner's queue, in priority order. */
export const DEFAULT_MAX_RUNNING = 16;
/** Weight of a new turnaround in the response-time average the heartbeat reports (as TCP's SRTT). */
const RTT_WEIGHT = 1 / 8;

/** One task as it ended here, for the task history. */
export interface RanTask {
  spec: TaskSpec;
  submitter: string;
  /** The user whose session submitted it; null when nobody was logged in. */
  user: string | null;
  outcome: TaskOutcome;
  pid: number | undefined;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number;
}

export interface TaskRunnerOptions {
  kernel: Kernel;
  peerId: string;
  sandbox: SandboxPool;
  cache: ResultCache;
  quotas: Quotas;
  /** Called once for every task that ends here. */
  onFinished?: (task: RanTask) => void;
  /** Events worth a line in a server's log: a remote peer refused for its quota (at most every 10 s each). */
  log?: (line: string) => void;
  maxRunning?: number;
  now?: () => number;
}

export interface TaskRunner {
  /**
   * Run a task for peer `submitter` as `user` (a checked session's user, or null); resolves with its
   * outcome (never rejects for the task's own failure). A remote task is charged to the user's quota,
   * or to the submitting peer's when there is no user.
   */
  run(spec: TaskSpec, submitter: string, user?: string | null): Promise<TaskOutcome>;
  /** Cancel a queued or running task. Returns its state before, or undefined when it is not here. */
  cancel(taskId: string, why?: string): 'queued' | 'running' | undefined;
  /** Queued and running here now. */
  state(taskId: string): 'queued' | 'running' | undefined;
  /** The load a heartbeat reports. */
  load(): {ready: number; tasks: number; queue: number; tasksDone: number; rttMs: number | null};
  /** Refuse new tasks, fail the queued ones (ESHUTDOWN), wait up to `graceMs` for running ones, cancel the rest. */
  close(graceMs?: number): Promise<void>;
}

interface Job {
  spec: TaskSpec;
  submitter: string;
  user: string | null;
  pid: number | undefined;
  seq: number;
  submittedAt: number;
  startedAt: number | null;
  state: 'queued' | 'running' | 'done';
  /** Set when the job is canceled before or while it runs. */
  canceled: string | undefined;
  /** The result cache's key for this task; undefined when it opted out (noCache). */
  cacheKey: string | undefined;
  resolve: (outcome: TaskOutcome) => void;
}

/** `ms` rounded to the microsecond: the sandbox measures with performance.now(), to digits that mean nothing. */
function microseconds(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A quota refusal is logged at most this often for each peer or user, so a flood is one line. */
const REFUSAL_LOG_MS = 10_000;
/** Peers and users whose last refusal is remembered for that. */
const MAX_REFUSAL_KEYS = 1_000;

/** Whom a remote task or memory key is charged to: its user when there is one, else the submitting peer. */
export function quotaKey(peerId: string, user: string | null): string {
  return user === null ? peerId : `user:${user}`;
}

export function createTaskRunner(options: TaskRunnerOptions): TaskRunner {
  const {kernel, peerId, sandbox, cache, quotas} = options;
  const now = options.now ?? Date.now;
  const maxRunning = options.maxRunning ?? DEFAULT_MAX_RUNNING;
  const jobs = new Map<string, Job>();
  const queue = new JobHeap();
  let running = 0;
  let seq = 0;
  let tasksDone = 0;
  let rttMs: number | null = null;
  let isClosed = false;
  let drained: (() => void) | undefined;
  // Quota refusals logged, by quota key: when last, and how many since then went unlogged.
  const refusals = new Map<string, {loggedAt: number; since: number}>();
  const logRefusal = (key: string, why: string) => {
    if (options.log === undefined) return;
    const at = now();
    const last = refusals.get(key);
    if (last !== undefined && at - last.loggedAt < REFUSAL_LOG_MS) {
      last.since++;
      return;
    }
    const more = last !== undefined && last.since > 0 ? ` (and ${last.since} more since the last line)` : '';
    refusals.set(key, {loggedAt: at, since: 0});
    if (refusals.size > MAX_REFUSAL_KEYS) refusals.delete(refusals.keys().next().value!);
    options.log(`refused a task from ${key}: ${why}${more}`);
  };

  // `kill PID` of a task's process ends the task too.
  const unsubscribe = kernel.onExit((record: ExitRecord) => {
    if (record.taskId === undefined) return;
    const job = jobs.get(record.taskId);
    if (job && job.state !== 'done' && job.pid === record.pid && !finishing.has(job))
      stop(job, `killed in the kernel (${record.reason ?? 'signal'})`);
  });
  const finishing = new Set<Job>();

  /**
   * Execution is the sandbox's own measure (`sandboxMs`) when it ran the task: up to 16 tasks are
   * handed to it at once and run one after another, so the time since a task left this runner's queue
   * is mostly waiting behind the others. Waiting is the rest of the turnaround.
   */
  const timings = (job: Job, end: number, sandboxMs?: number) => {
    const turnaround = end - job.submittedAt;
    if (job.startedAt === null) return {waitingMs: turnaround, execMs: 0};
    const execMs = Math.min(microseconds(sandboxMs ?? end - job.startedAt), turnaround);
    return {waitingMs: microseconds(turnaround - execMs), execMs};
  };

  function finish(job: Job, outcome: TaskOutcome): void {
    if (job.state === 'done') return;
    const wasRunning = job.state === 'running';
    job.state = 'done';
    jobs.delete(job.spec.taskId);
    // Still standing for the task (not killed meanwhile): looked up by task id, not by a process view.
    if (job.pid !== undefined && kernel.taskPid(job.spec.taskId) === job.pid) {
      finishing.add(job);
      try {
        kernel.finishTask(job.pid, outcome.ok ? 0 : 1, outcome.ok ? undefined : outcome.code);
      } catch {
        // killed in the same instant: the exit is already recorded
      } finally {
        finishing.delete(job);
      }
    }
    if (wasRunning) running--;
    tasksDone++;
    const end = now();
    const turnaround = end - job.submittedAt;
    rttMs = rttMs === null ? turnaround : rttMs + RTT_WEIGHT * (turnaround - rttMs);
    options.onFinished?.({
      spec: job.spec,
      submitter: job.submitter,
      user: job.user,
      outcome,
      pid: job.pid,
      submittedAt: job.submittedAt,
      startedAt: job.startedAt,
      finishedAt: end,
    });
    job.resolve(outcome);
    pump();
    if (drained && running === 0) drained();
  }

  function fail(job: Job, code: string, message: string): void {
    finish(job, {
      ok: false,
      taskId: job.spec.taskId,
      peer: peerId,
      code,
      message,
      timings: timings(job, now()),
    });
  }

  function stop(job: Job, why: string): void {
    job.canceled = why;
    if (job.state === 'queued') {
      queue.remove(job);
      fail(job, 'ECANCELED', `Task ${job.spec.taskId} was canceled before it ran: ${why}.`);
    } else if (job.state === 'running') {
      sandbox.cancel(job.spec.taskId); // run() then settles with ECANCELED
    }
  }

  function pump(): void {
    while (running < maxRunning && queue.size > 0) start(queue.pop()!);
  }

  function start(job: Job): void {
    job.state = 'running';
    job.startedAt = now();
    running++;
    const {spec} = job;
    sandbox
      .run({
        id: spec.taskId,
        code: spec.code,
        fn: spec.fn,
        args: spec.args,
        timeoutMs: spec.timeoutMs,
        isolation: spec.warm ? 'warm' : 'fresh',
        // Warm contexts are kept per submitter and user: one user's globals are never another's.
        scope: job.user === null ? job.submitter : `${job.submitter}/${job.user}`,
      })
      .then(
        (result: SandboxResult) => {
          const end = now();
          if (result.ok) {
            if (job.cacheKey !== undefined) cache.set(job.cacheKey, result.resultJson);
            finish(job, {
              ok: true,
              taskId: spec.taskId,
              peer: peerId,
              result: result.result,
              cached: false,
              timings: timings(job, end, result.execMs),
            });
          } else if (job.canceled !== undefined) {
            finish(job, {
              ok: false,
              taskId: spec.taskId,
              peer: peerId,
              code: 'ECANCELED',
              message: `Task ${spec.taskId} was canceled while it ran: ${job.canceled}.`,
              timings: timings(job, end, result.execMs),
            });
          } else {
            finish(job, {
              ok: false,
              taskId: spec.taskId,
              peer: peerId,
              code: result.code,
              message: result.message,
              timings: timings(job, end, result.execMs),
            });
          }
        },
        (error: Error) => fail(job, 'ECRASH', `The sandbox failed: ${error.message}`),
      );
  }

  return {
    run(spec, submitter, user = null) {
      return new Promise<TaskOutcome>((resolve) => {
        const submittedAt = now();
        const refuse = (code: string, message: string) =>
          resolve({
            ok: false,
            taskId: spec.taskId,
            peer: peerId,
            code,
            message,
            timings: {waitingMs: 0, execMs: 0},
          });
        if (isClosed) return refuse('ESHUTDOWN', `Peer ${peerId} is shutting down and takes no more tasks.`);
        if (jobs.has(spec.taskId)) return refuse('EEXIST', `Task ${spec.taskId} is already here.`);
        if (submitter !== peerId) {
          try {
            quotas.takeTask(quotaKey(submitter, user));
          } catch (error) {
            logRefusal(quotaKey(submitter, user), (error as Error).message);
            return refuse((error as NetError).code ?? 'EQUOTA', (error as Error).message);
          }
        }
        const cacheKey = spec.noCache ? undefined : taskCacheKey(spec.code, spec.fn, spec.args);
        if (cacheKey !== undefined) {
          const hit = cache.get(cacheKey);
          if (hit !== undefined) {
            const outcome: TaskOutcome = {
              ok: true,
              taskId: spec.taskId,
              peer: peerId,
              result: JSON.parse(hit),
              cached: true,
              timings: {waitingMs: 0, execMs: 0},
            };
            tasksDone++;
            options.onFinished?.({
              spec,
              submitter,
              user,
              outcome,
              pid: undefined,
              submittedAt,
              startedAt: null,
              finishedAt: now(),
            });
            return resolve(outcome);
          }
        }
        const job: Job = {
          spec,
          submitter,
          user,
          pid: undefined,
          seq: seq++,
          submittedAt,
          startedAt: null,
          state: 'queued',
          canceled: undefined,
          cacheKey,
          resolve,
        };
        try {
          job.pid = kernel.spawnTask({
            taskId: spec.taskId,
            name: `task:${spec.fn}`.slice(0, 32),
            priority: spec.priority,
          });
        } catch (error) {
          return refuse(
            (error as {code?: string}).code ?? 'EAGAIN',
            `Cannot start task ${spec.taskId}: ${(error as Error).message}`,
          );
        }
        jobs.set(spec.taskId, job);
        queue.push(job);
        pump();
      });
    },
    cancel(taskId, why = 'canceled by request') {
      const job = jobs.get(taskId);
      if (job === undefined || job.state === 'done') return undefined;
      const state = job.state;
      stop(job, why);
      return state;
    },
    state(taskId) {
      const state = jobs.get(taskId)?.state;
      return state === 'done' ? undefined : state;
    },
    load() {
      const {ready} = kernel.taskLoad();
      return {ready, tasks: running, queue: queue.size, tasksDone, rttMs};
    },
    async close(graceMs = 2_000) {
      isClosed = true;
      for (const job of queue.drain())
        fail(job, 'ESHUTDOWN', `Peer ${peerId} shut down before task ${job.spec.taskId} ran.`);
      if (running > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, graceMs).unref();
        });
        for (const job of [...jobs.values()]) stop(job, `peer ${peerId} shut down`);
      }
      unsubscribe();
    },
  };
}

/** Queued jobs, highest priority first, then first come (a binary heap; remove() for cancels). */
class JobHeap {
  #items: Job[] = [];
  #index = new Map<Job, number>();

  get size(): number {
    return this.#items.length;
  }

  push(job: Job): void {
    this.#items.push(job);
    this.#index.set(job, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }

  pop(): Job | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(job: Job): void {
    const at = this.#index.get(job);
    if (at === undefined) return;
    this.#index.delete(job);
    const last = this.#items.pop()!;
    if (at === this.#items.length) return;
    this.#items[at] = last;
    this.#index.set(last, at);
    this.#up(at);
    this.#down(this.#index.get(last)!);
  }

  drain(): Job[] {
    const all = [...this.#items].sort((a, b) => (this.#before(a, b) ? -1 : 1));
    this.#items = [];
    this.#index.clear();
    return all;
  }

  #before(a: Job, b: Job): boolean {
    return a.spec.priority !== b.spec.priority ? a.spec.priority > b.spec.priority : a.seq < b.seq;
  }

  #swap(i: number, j: number): void {
    const items = this.#items;
    [items[i], items[j]] = [items[j]!, items[i]!];
    this.#index.set(items[i]!, i);
    this.#index.set(items[j]!, j);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(this.#items[i]!, this.#items[parent]!)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < this.#items.length && this.#before(this.#items[left]!, this.#items[best]!)) best = left;
      if (right < this.#items.length && this.#before(this.#items[right]!, this.#items[best]!)) best = right;
      if (best === i) return;
      this.#swap(i, best);
      i = best;
    }
  }
}
