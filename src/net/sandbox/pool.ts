// The sandbox pool: runs untrusted JavaScript tasks in child processes (host.ts), each with a warm
// isolated-vm isolate. This is the sandbox's public side; it never loads isolated-vm itself.
//
// Interface:
//   - createSandboxPool(options) starts nothing yet; hosts start with the first task
//   - run(task) resolves with the task's result or a failure code; it never rejects
//   - cancel(id) stops a queued or running task (a running one by restarting its host if need be)
//   - stats() and close()
//
// Tasks are pipelined: up to MAX_IN_FLIGHT_PER_HOST are written ahead to a host, all frames of a
// turn in one write. A host runs them in order and writes its results before it starts a task, so
// the oldest unanswered one is the one running - unless the task is marked `hold` (code that ran
// quickly last time), before which the host may keep up to HOLD_MAX results back to write them
// together. So the task running is one of the oldest few unanswered (#mayBeRunning). The pool kills
// a host whose task runs past its time limit plus a grace (isolated-vm's own timeout should have
// stopped it) or whose canceled task does not stop, and re-sends the tasks it held; when it cannot
// tell which task was running, it blames none and re-sends them unmarked, so the next time it can.

import {spawn, type ChildProcess} from 'node:child_process';
import {existsSync} from 'node:fs';
import type {Socket} from 'node:net';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {ProtocolError} from '../errors.js';
import {encodeFrame, FrameDecoder, MAX_BODY_BYTES, type Frame, type FrameHeader} from '../frame.js';
import {LruMap} from './lru.js';
import {
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MEMORY_MB,
  HOLD_MAX,
  isMemoryMb,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_MS,
  MIN_MEMORY_MB,
  parseRunRequest,
  type HostConfig,
  type Isolation,
  type RunRequest,
  type SandboxErrorCode,
  type TaskFailure,
} from './protocol.js';

export type {SandboxErrorCode} from './protocol.js';

export interface SandboxTask {
  /** The caller's id, unique among its unfinished tasks; cancel() takes it. */
  id: string;
  /** A script that declares the function (`function main(){}` or `const main = …`). */
  code: string;
  /** The function to call: a JavaScript identifier. */
  fn: string;
  /** JSON values. */
  args: unknown[];
  /** Wall time for loading the code and running the function, its promise included. */
  timeoutMs: number;
  /** @default the pool's memoryMb */
  memoryMb?: number;
  /**
   * `fresh`: a new context for this task alone. `warm`: a context kept for this scope and code, so
   * globals persist between calls (like a serverless function's warm container).
   * @default 'fresh'
   */
  isolation?: Isolation;
  /** Who may share a warm context, e.g. the submitting peer's id. @default '' */
  scope?: string;
}

/** A task's result, parsed, or its failure as the host reported it. */
export type SandboxResult = {ok: true; result: unknown; resultJson: string; execMs: number} | TaskFailure;

export interface SandboxPoolOptions {
  /** The host program. @default dist/sandbox-host.js of this package */
  hostPath?: string;
  /** Host processes, each running one task at a time. @default 1 */
  size?: number;
  /** Each task's memory limit unless it names one. @default 64 */
  memoryMb?: number;
  /** The largest result, as bytes of JSON. @default 1 MiB */
  maxOutputBytes?: number;
  /** A task whose code last ran in less than this many ms is marked `hold` (its host may batch results). @default 1 */
  quickMs?: number;
  /** Receives the hosts' stderr and the pool's own notes (restarts), a line at a time. */
  log?: (line: string) => void;
}

export interface SandboxStats {
  /** Tasks being run now (at most one per host). */
  running: number;
  /** Tasks waiting: in the pool, or written ahead to a host. */
  queued: number;
  /** Host processes alive. */
  hosts: number;
  /** Hosts started again after one died or was killed. */
  restarts: number;
}

export interface SandboxPool {
  /** Run a task. Resolves with its result or failure; never rejects. */
  run(task: SandboxTask): Promise<SandboxResult>;
  /** Cancel a queued or running task, which resolves with ECANCELED. Returns false when `id` is unknown or done. */
  cancel(id: string): boolean;
  stats(): SandboxStats;
  /** Start the hosts now, so the first task does not wait for one to load isolated-vm. */
  start(): void;
  /** Fail every unfinished task with ECLOSED and stop the hosts. */
  close(): Promise<void>;
}

/** Tasks written ahead to one host, so it never waits for the pool (32: ~45,000 tiny tasks/s, 128: ~51,000). */
const MAX_IN_FLIGHT_PER_HOST = 64;
/** How long a task may overrun its limit before the pool kills its host (isolated-vm should stop it first). */
const KILL_GRACE_MS = 250;
/** How long a running canceled task may go on before the pool kills its host. */
const CANCEL_GRACE_MS = 50;
/** How often the pool looks for overrunning tasks. */
const WATCHDOG_MS = 25;
/** A host not ready by then is killed (it loads isolated-vm and makes an isolate: ~100 ms). */
const HOST_START_TIMEOUT_MS = 15_000;
/** After this many hosts in a row die before becoming ready, the waiting tasks fail with ECRASH. */
const MAX_START_FAILURES = 3;
/** A task whose code last ran in less than this is marked `hold`: its host may batch results before it. */
const DEFAULT_QUICK_MS = 1;
/** Codes remembered as quick; longer code is never marked (its text would be the key). */
const MAX_QUICK_CODES = 256;
const MAX_QUICK_CODE_CHARS = 8192;
/** Kept of a host's stderr, to explain its death. */
const STDERR_TAIL_CHARS = 4096;
const HOST_FILE = 'sandbox-host.js';
/** V8's and isolated-vm's words when an allocation ends the process instead of the isolate. */
const FATAL_OOM_PATTERN = /is_heap_oom|Catastrophic out-of-memory|JavaScript heap out of memory/;

interface Job {
  task: SandboxTask;
  wireId: number;
  memoryMb: number;
  request: RunRequest;
  args: Buffer;
  frame: Buffer;
  /** The quick-code key, when the code is short enough to have one. */
  quickKey: string | undefined;
  resolve: (result: SandboxResult) => void;
  isSettled: boolean;
  host: Host | undefined;
  sentAt: number;
  /** A canceled job the host may be running: the host is killed if it has not answered by then. */
  stopBy: number | undefined;
}

interface Host {
  child: ChildProcess;
  decoder: FrameDecoder;
  /** Jobs written to the host and not answered, oldest first (Map keeps insertion order). */
  inFlight: Map<number, Job>;
  outbox: Buffer[];
  isReady: boolean;
  startedAt: number;
  /** When the host last answered (or became ready): the oldest job has been running since then at most. */
  progressAt: number;
  isActive: boolean;
  isGone: boolean;
  stderrTail: string;
  /** Why the pool killed it, and whom that fails. */
  killed: {job: Job | undefined; code: SandboxErrorCode; message: string} | undefined;
  exited: Promise<void>;
}

/** Create a pool. Options are checked here: a bad one throws a RangeError naming it. */
export function createSandboxPool(options: SandboxPoolOptions = {}): SandboxPool {
  return new Pool(options);
}

class Pool implements SandboxPool {
  readonly #hostPath: string;
  readonly #config: HostConfig;
  readonly #log: (line: string) => void;
  readonly #quickMs: number;
  readonly #hosts: (Host | undefined)[];
  readonly #queue = new JobQueue();
  readonly #byTaskId = new Map<string, Job>();
  /** Keys (memory, isolation, code) of code that ran in under QUICK_MS last time. */
  readonly #quick = new LruMap<string, true>(MAX_QUICK_CODES);
  #nextWireId = 1;
  #restarts = 0;
  #startFailures = 0;
  #isClosed = false;
  #isFlushScheduled = false;
  #watchdog: NodeJS.Timeout | undefined;

  constructor(options: SandboxPoolOptions) {
    const size = options.size ?? 1;
    const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (!Number.isInteger(size) || size < 1 || size > 64)
      throw new RangeError(`Pool size ${size} is not a whole number from 1 to 64.`);
    if (!isMemoryMb(memoryMb))
      throw new RangeError(
        `Memory limit ${memoryMb} MB is not a whole number from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}.`,
      );
    if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 2 || maxOutputBytes > MAX_BODY_BYTES)
      throw new RangeError(
        `Output limit ${maxOutputBytes} is not a whole number from 2 to ${MAX_BODY_BYTES} bytes.`,
      );
    this.#hostPath = options.hostPath ?? defaultHostPath();
    this.#config = {memoryMb, maxOutputBytes};
    this.#log = options.log ?? (() => {});
    this.#quickMs = options.quickMs ?? DEFAULT_QUICK_MS;
    if (!(this.#quickMs >= 0 && this.#quickMs <= MAX_TIMEOUT_MS))
      throw new RangeError(`Quick threshold ${this.#quickMs} ms is not from 0 to ${MAX_TIMEOUT_MS}.`);
    this.#hosts = new Array<Host | undefined>(size).fill(undefined);
  }

  run(task: SandboxTask): Promise<SandboxResult> {
    if (this.#isClosed) return Promise.resolve(failure('ECLOSED', 'The sandbox pool is closed.'));
    const invalid = checkTask(task);
    if (invalid !== undefined) return Promise.resolve(failure('EINVAL', invalid));
    if (this.#byTaskId.has(task.id))
      return Promise.resolve(failure('EINVAL', `Task id \`${task.id}\` is already queued or running.`));
    const memoryMb = task.memoryMb ?? this.#config.memoryMb;
    const isolation = task.isolation ?? 'fresh';
    const quickKey =
      task.code.length <= MAX_QUICK_CODE_CHARS
        ? `${memoryMb}\u0000${isolation}\u0000${task.code}`
        : undefined;
    const request: RunRequest = {
      type: 'run',
      id: this.#nextWireId,
      code: task.code,
      fn: task.fn,
      timeoutMs: task.timeoutMs,
      memoryMb,
      isolation,
      scope: task.scope ?? '',
      hold: quickKey !== undefined && this.#quick.get(quickKey) !== undefined,
    };
    // The host checks the same fields on arrival: one check, so both sides refuse the same tasks.
    const badField = parseRunRequest(request as unknown as FrameHeader);
    if (typeof badField === 'string') return Promise.resolve(failure('EINVAL', badField));
    const wireId = this.#nextWireId++;
    let argsJson: string;
    try {
      argsJson = JSON.stringify(task.args);
    } catch (error) {
      return Promise.resolve(
        failure('EINVAL', `Task \`${task.id}\` args are not JSON: ${(error as Error).message}`),
      );
    }
    const args = Buffer.from(argsJson, 'utf8');
    let frame: Buffer;
    try {
      frame = encodeFrame({...request}, args);
    } catch (error) {
      if (error instanceof ProtocolError && error.code === 'E2BIG')
        return Promise.resolve(failure('E2BIG', `Task is too big to send: ${error.message}`));
      throw error;
    }
    return new Promise((resolve) => {
      const job: Job = {
        task,
        wireId,
        memoryMb,
        request,
        args,
        frame,
        quickKey,
        resolve,
        isSettled: false,
        host: undefined,
        sentAt: 0,
        stopBy: undefined,
      };
      this.#byTaskId.set(task.id, job);
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  cancel(id: string): boolean {
    const job = this.#byTaskId.get(id);
    if (job === undefined) return false;
    const host = job.host;
    this.#settle(job, failure('ECANCELED', `Task \`${id}\` was canceled.`, this.#runningMs(job)));
    if (host === undefined) return true; // still in the pool's queue, which skips settled jobs
    this.#send(host, encodeFrame({type: 'cancel', id: job.wireId}));
    if (this.#mayBeRunning(host).includes(job)) job.stopBy = performance.now() + CANCEL_GRACE_MS;
    return true;
  }

  start(): void {
    if (this.#isClosed) return;
    for (let index = 0; index < this.#hosts.length; index++) {
      const host = this.#hosts[index];
      if (host === undefined || host.isGone) this.#hosts[index] = this.#startHost();
    }
  }

  stats(): SandboxStats {
    let running = 0;
    let written = 0;
    let hosts = 0;
    for (const host of this.#hosts) {
      if (host === undefined || host.isGone) continue;
      hosts++;
      const live = [...host.inFlight.values()].filter((job) => !job.isSettled).length;
      if (live > 0) running++;
      written += Math.max(0, live - 1);
    }
    return {running, queued: this.#queue.liveCount + written, hosts, restarts: this.#restarts};
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearInterval(this.#watchdog);
    for (const job of [...this.#byTaskId.values()])
      this.#settle(job, failure('ECLOSED', 'The sandbox pool was closed.'));
    this.#queue.clear();
    const exits: Promise<void>[] = [];
    for (const host of this.#hosts) {
      if (host === undefined) continue;
      exits.push(host.exited);
      if (host.isGone) continue;
      this.#setActive(host, true); // an idle host's handles are unref'd: keep the loop alive until it exits
      host.child.kill('SIGKILL');
    }
    await Promise.all(exits);
  }

  // Hand queued jobs to the least-loaded hosts that have room, starting hosts as needed.
  #dispatch(): void {
    while (!this.#isClosed) {
      const job = this.#queue.peek();
      if (job === undefined) return;
      const host = this.#pickHost();
      if (host === undefined) return;
      this.#queue.shift();
      job.host = host;
      job.sentAt = performance.now();
      host.inFlight.set(job.wireId, job);
      this.#setActive(host, true);
      this.#send(host, job.frame);
    }
  }

  #pickHost(): Host | undefined {
    let best: Host | undefined;
    for (let index = 0; index < this.#hosts.length; index++) {
      let host = this.#hosts[index];
      if (host === undefined || host.isGone) host = this.#hosts[index] = this.#startHost();
      if (host.killed !== undefined || host.inFlight.size >= MAX_IN_FLIGHT_PER_HOST) continue;
      if (best === undefined || host.inFlight.size < best.inFlight.size) best = host;
      if (best.inFlight.size === 0) break;
    }
    return best;
  }

  #startHost(): Host {
    const now = performance.now();
    const child = spawn(
      process.execPath,
      ['--no-node-snapshot', this.#hostPath, JSON.stringify(this.#config)],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let onExited: () => void = () => {};
    const host: Host = {
      child,
      decoder: new FrameDecoder(),
      inFlight: new Map(),
      outbox: [],
      isReady: false,
      startedAt: now,
      progressAt: now,
      isActive: true,
      isGone: false,
      stderrTail: '',
      killed: undefined,
      exited: new Promise((resolve) => (onExited = resolve)),
    };
    child.stdout!.on('data', (chunk: Buffer) => this.#onData(host, chunk));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => this.#onStderr(host, text));
    child.stdin!.on('error', () => {}); // EPIPE when the host dies; 'close' reports the death
    child.on('error', (error) => {
      host.stderrTail += `\n${error.message}`;
      this.#onExit(host, null, null);
      onExited();
    });
    child.on('close', (code, signal) => {
      this.#onExit(host, code, signal);
      onExited();
    });
    this.#watch();
    return host;
  }

  #onData(host: Host, chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = host.decoder.push(chunk);
    } catch (error) {
      this.#kill(
        host,
        firstOf(host.inFlight),
        'ECRASH',
        `The sandbox host sent unreadable output: ${(error as Error).message}`,
      );
      return;
    }
    for (const frame of frames) this.#onFrame(host, frame);
    this.#dispatch();
  }

  #onFrame(host: Host, {header, body}: Frame): void {
    switch (header.type) {
      case 'ready':
        host.isReady = true;
        host.progressAt = performance.now();
        this.#startFailures = 0;
        return;
      case 'result':
        return this.#onResult(host, header, body);
      case 'canceled': {
        const job = host.inFlight.get(header.id as number);
        if (job !== undefined) this.#answered(host, job);
        return;
      }
      case 'error':
        this.#log(`sandbox host ${host.child.pid}: ${String(header.message)}`);
        return;
      default:
        this.#log(`sandbox host ${host.child.pid} sent an unknown message ${JSON.stringify(header.type)}`);
    }
  }

  #onResult(host: Host, header: Frame['header'], body: Buffer): void {
    const job = host.inFlight.get(header.id as number);
    if (job === undefined) return; // answered already (its cancel crossed the result)
    this.#answered(host, job);
    const execMs = typeof header.execMs === 'number' ? header.execMs : 0;
    if (job.quickKey !== undefined) {
      if (execMs < this.#quickMs && header.code !== 'ECANCELED') this.#quick.set(job.quickKey, true);
      else this.#quick.delete(job.quickKey);
    }
    if (header.ok === true) {
      const resultJson = body.toString('utf8');
      let result: unknown;
      try {
        result = JSON.parse(resultJson);
      } catch {
        return this.#settle(
          job,
          failure('ECRASH', 'The sandbox host sent a result that is not JSON.', execMs),
        );
      }
      return this.#settle(job, {ok: true, result, resultJson, execMs});
    }
    const code = typeof header.code === 'string' ? (header.code as SandboxErrorCode) : 'ECRASH';
    const message = typeof header.message === 'string' ? header.message : 'The task failed.';
    this.#settle(job, {
      ok: false,
      code,
      message,
      execMs,
      ...(typeof header.name === 'string' ? {name: header.name} : {}),
      ...(typeof header.stack === 'string' ? {stack: header.stack} : {}),
    });
  }

  #answered(host: Host, job: Job): void {
    host.inFlight.delete(job.wireId);
    host.progressAt = performance.now();
    if (host.inFlight.size === 0) this.#setActive(host, false);
  }

  #onStderr(host: Host, text: string): void {
    host.stderrTail = (host.stderrTail + text).slice(-STDERR_TAIL_CHARS);
    for (const line of text.split('\n'))
      if (line.trim() !== '') this.#log(`sandbox host ${host.child.pid}: ${line}`);
  }

  // The host is gone: fail the job it was running, give the others to the next host.
  #onExit(host: Host, code: number | null, signal: NodeJS.Signals | null): void {
    if (host.isGone) return;
    host.isGone = true;
    const jobs = [...host.inFlight.values()];
    const headMs = jobs[0] === undefined ? 0 : this.#runningMs(jobs[0]);
    const suspects = host.killed?.job !== undefined ? [host.killed.job] : this.#mayBeRunning(host);
    host.inFlight.clear();
    if (this.#isClosed) return;
    const how = signal === null ? `exit status ${code}` : `signal ${signal}`;
    let retry = jobs;
    const isStartFailure = !host.isReady && host.killed?.job === undefined;
    if (!isStartFailure && suspects.length > 1) {
      // It kept results back, so any of these may have been running: run them again unmarked, and
      // the next death (if the culprit causes one) is blamed on the right task.
      this.#log(
        `sandbox host ${host.child.pid} ended (${how}) running one of ${suspects.length} tasks that kept results back; they run again, each result written before the next starts`,
      );
      for (const job of suspects) this.#unmark(job);
    } else if (!isStartFailure) {
      const blamed = suspects[0];
      retry = jobs.filter((job) => job !== blamed);
      if (blamed !== undefined && !blamed.isSettled) {
        const ms = blamed === jobs[0] ? headMs : 0;
        if (host.killed !== undefined)
          this.#settle(blamed, failure(host.killed.code, host.killed.message, ms));
        else if (FATAL_OOM_PATTERN.test(host.stderrTail))
          this.#settle(
            blamed,
            failure(
              'ENOMEM',
              `Task exceeded its memory limit (${blamed.memoryMb} MB); its sandbox host was restarted.`,
              ms,
            ),
          );
        else
          this.#settle(
            blamed,
            failure('ECRASH', `The sandbox host died (${how}) while running the task.`, ms),
          );
      }
    } else if (++this.#startFailures >= MAX_START_FAILURES) {
      this.#startFailures = 0;
      const why = lastLines(host.stderrTail) || how;
      this.#log(`sandbox host did not start ${MAX_START_FAILURES} times in a row: ${why}`);
      for (const job of [...jobs, ...this.#queue.drain()])
        this.#settle(job, failure('ECRASH', `The sandbox host did not start: ${why}`));
      return;
    }
    this.#restarts++;
    this.#log(`sandbox host ${host.child.pid} ended (${how}); ${retry.length} task(s) go to a new host`);
    for (const job of retry) job.host = undefined;
    this.#queue.unshift(retry.filter((job) => !job.isSettled));
    this.#dispatch();
  }

  #kill(host: Host, job: Job | undefined, code: SandboxErrorCode, message: string): void {
    if (host.isGone || host.killed !== undefined) return;
    host.killed = {job, code, message};
    this.#log(`sandbox host ${host.child.pid} killed: ${message}`);
    host.child.kill('SIGKILL');
  }

  // Every WATCHDOG_MS while any host has work: kill hosts whose running task overran or was canceled.
  #watch(): void {
    if (this.#watchdog !== undefined) return;
    this.#watchdog = setInterval(() => {
      const now = performance.now();
      for (const host of this.#hosts) {
        if (host === undefined || host.isGone || host.killed !== undefined) continue;
        if (!host.isReady) {
          if (now - host.startedAt > HOST_START_TIMEOUT_MS)
            this.#kill(
              host,
              undefined,
              'ECRASH',
              `The sandbox host did not start in ${HOST_START_TIMEOUT_MS} ms.`,
            );
          continue;
        }
        const running = this.#mayBeRunning(host);
        const first = running[0];
        if (first === undefined) continue;
        const canceled = running.find((job) => job.isSettled);
        if (canceled !== undefined) {
          canceled.stopBy ??= now + CANCEL_GRACE_MS;
          if (now > canceled.stopBy)
            this.#kill(host, canceled, 'ECANCELED', `Task \`${canceled.task.id}\` was canceled.`);
          continue;
        }
        // Several may be running when results were kept back: wait for the longest limit among them.
        let timeoutMs = 0;
        for (const job of running) timeoutMs = Math.max(timeoutMs, job.task.timeoutMs);
        const startedAt = Math.max(first.sentAt, host.progressAt);
        if (now - startedAt > timeoutMs + KILL_GRACE_MS)
          this.#kill(
            host,
            running.length === 1 ? first : undefined,
            'ETIMEDOUT',
            `Task ran past its time limit (${timeoutMs} ms).`,
          );
      }
    }, WATCHDOG_MS);
    this.#watchdog.unref();
  }

  // The tasks `host` may be running now: the oldest unanswered one, and the `hold` ones right after
  // it, since the host may keep up to HOLD_MAX results back before each of those.
  #mayBeRunning(host: Host): Job[] {
    const jobs: Job[] = [];
    for (const job of host.inFlight.values()) {
      if (jobs.length > 0 && (!job.request.hold || jobs.length >= HOLD_MAX)) break;
      jobs.push(job);
    }
    return jobs;
  }

  // Send `job` again without `hold`, so its host writes every earlier result before it starts.
  #unmark(job: Job): void {
    if (job.quickKey !== undefined) this.#quick.delete(job.quickKey);
    if (!job.request.hold) return;
    job.request = {...job.request, hold: false};
    job.frame = encodeFrame({...job.request}, job.args);
  }

  #settle(job: Job, result: SandboxResult): void {
    if (job.isSettled) return;
    job.isSettled = true;
    if (this.#byTaskId.get(job.task.id) === job) this.#byTaskId.delete(job.task.id);
    job.resolve(result);
  }

  // How long `job` has been running, if it is the one its host is running; 0 otherwise.
  #runningMs(job: Job): number {
    const host = job.host;
    if (host === undefined || firstOf(host.inFlight) !== job) return 0;
    return Math.round(performance.now() - Math.max(job.sentAt, host.progressAt));
  }

  // Frames of one turn go out in one write per host.
  #send(host: Host, frame: Buffer): void {
    host.outbox.push(frame);
    if (this.#isFlushScheduled) return;
    this.#isFlushScheduled = true;
    setImmediate(() => {
      this.#isFlushScheduled = false;
      for (const each of this.#hosts) {
        if (each === undefined || each.outbox.length === 0) continue;
        const bytes = each.outbox.length === 1 ? each.outbox[0]! : Buffer.concat(each.outbox);
        each.outbox = [];
        if (!each.isGone) each.child.stdin!.write(bytes);
      }
    });
  }

  // An idle host does not keep the program alive; one with work does.
  #setActive(host: Host, isActive: boolean): void {
    if (host.isActive === isActive) return;
    host.isActive = isActive;
    const handles = [host.child, host.child.stdin, host.child.stdout, host.child.stderr] as (
      ChildProcess | Socket | null
    )[];
    for (const handle of handles) {
      if (isActive) handle?.ref();
      else handle?.unref();
    }
  }
}

/** Jobs waiting for a host, oldest first. Settled (canceled) jobs are skipped, not searched out. */
class JobQueue {
  #jobs: Job[] = [];
  #head = 0;

  get liveCount(): number {
    let count = 0;
    for (let index = this.#head; index < this.#jobs.length; index++)
      if (!this.#jobs[index]!.isSettled) count++;
    return count;
  }

  push(job: Job): void {
    this.#jobs.push(job);
  }

  /** Put jobs back at the front, in their order. */
  unshift(jobs: Job[]): void {
    if (jobs.length === 0) return;
    this.#jobs = [...jobs, ...this.#jobs.slice(this.#head)];
    this.#head = 0;
  }

  /** The oldest live job, left in place. */
  peek(): Job | undefined {
    while (this.#head < this.#jobs.length && this.#jobs[this.#head]!.isSettled) this.#head++;
    this.#compact();
    return this.#jobs[this.#head];
  }

  shift(): Job | undefined {
    const job = this.peek();
    if (job !== undefined) this.#head++;
    return job;
  }

  /** Remove and return every live job. */
  drain(): Job[] {
    const live = this.#jobs.slice(this.#head).filter((job) => !job.isSettled);
    this.clear();
    return live;
  }

  clear(): void {
    this.#jobs = [];
    this.#head = 0;
  }

  #compact(): void {
    if (this.#head < 1024 || this.#head * 2 < this.#jobs.length) return;
    this.#jobs = this.#jobs.slice(this.#head);
    this.#head = 0;
  }
}

// Beside this module when it is bundled in dist/; otherwise (src/ under tsx) in the package's dist/.
function defaultHostPath(): string {
  const beside = join(dirname(fileURLToPath(import.meta.url)), HOST_FILE);
  if (existsSync(beside)) return beside;
  return fileURLToPath(new URL(`../../../dist/${HOST_FILE}`, import.meta.url));
}

/** Why `task` cannot be run, for what the wire check (parseRunRequest) does not see; undefined when it can. */
function checkTask(task: SandboxTask): string | undefined {
  if (typeof task !== 'object' || task === null) return 'Task is not an object.';
  if (typeof task.id !== 'string') return 'Task id is not a string.';
  if (typeof task.code !== 'string') return `Task \`${task.id}\` has no code string.`;
  if (!Array.isArray(task.args)) return `Task \`${task.id}\` args is not an array.`;
  if (task.scope !== undefined && typeof task.scope !== 'string') return 'Task scope is not a string.';
  return undefined;
}

function failure(code: SandboxErrorCode, message: string, execMs = 0): SandboxResult {
  return {ok: false, code, message, execMs};
}

function firstOf(jobs: Map<number, Job>): Job | undefined {
  return jobs.values().next().value;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
