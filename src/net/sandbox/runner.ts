// The host half of the sandbox: runs one task at a time in isolated-vm and turns what the guest
// returned (bootstrap.ts) into a TaskOutcome. One warm isolate per memory limit; in it, a context per
// task (`fresh`, released after) or one per (scope, code) kept in an LRU (`warm`, globals persist).
// Only the sandbox host process loads this file: the main program never loads isolated-vm.
//
// Interface:
//   - new TaskRunner(config) creates the default isolate (throws if isolated-vm cannot load)
//   - run(request, argsJson) runs one task to its outcome; never throws for anything the task does
//   - prepareSpare() makes one fresh context ahead of need; the host calls it when idle

import {createHash} from 'node:crypto';
import {performance} from 'node:perf_hooks';
import ivm from 'isolated-vm';
import {
  BOOTSTRAP_FILENAME,
  BOOTSTRAP_SOURCE,
  OP_CALL,
  OP_COLLECT,
  OP_LOAD_AND_CALL,
  TASK_FILENAME,
  TASK_SOURCE_SUFFIX,
} from './bootstrap.js';
import {LruMap} from './lru.js';
import type {HostConfig, RunRequest, TaskFailure as Failure, TaskOutcome} from './protocol.js';

/** Warm contexts kept, across scopes: each holds a task's whole heap, so not many. */
const MAX_WARM_CONTEXTS = 32;
/** Isolates kept, one per memory limit asked for; the default one is the busy one. */
const MAX_ISOLATES = 4;
/** Code whose syntax check is remembered (by SHA-256), so a repeated task is not compiled twice. */
const MAX_CHECKED_CODES = 1024;
/** Fresh contexts made ahead of need, while idle: a context costs ~0.3-0.9 ms to make. */
const SPARE_CONTEXTS = 2;
/** The bootstrap runs no task code; this only bounds a broken isolate. */
const BOOTSTRAP_TIMEOUT_MS = 5000;
/** Reading the heap's size costs ~2 µs, a fifth of a warm call: look every so often. */
const HEAP_CHECK_EVERY_WARM_CALLS = 16;
const TIMED_OUT = 'Script execution timed out.';

interface IsolateSlot {
  memoryMb: number;
  isolate: ivm.Isolate;
  bootstrap: ivm.Script;
  spares: Guest[];
  /** Calls in its warm contexts, to look at its heap every so often. */
  warmCalls: number;
}

/** A context with the bootstrap run in it. */
interface Guest {
  slot: IsolateSlot;
  context: ivm.Context;
  run: ivm.Reference<GuestRun>;
  /** The task's code has been evaluated in it (warm contexts only). */
  isLoaded: boolean;
}

type GuestRun = (op: number, code: string, name: string, argsJson: string, maxChars: number) => string;

export class TaskRunner {
  readonly #config: HostConfig;
  readonly #slots: LruMap<number, IsolateSlot>;
  readonly #warm = new LruMap<string, Guest>(MAX_WARM_CONTEXTS, (guest) => release(guest));
  /** SHA-256 of code -> its syntax error, or '' when it compiles. */
  readonly #checked = new LruMap<string, string>(MAX_CHECKED_CODES);

  constructor(config: HostConfig) {
    this.#config = config;
    this.#slots = new LruMap(MAX_ISOLATES, (slot) => this.#dispose(slot));
    this.#slot(config.memoryMb);
  }

  // The code's SHA-256, remembered for the last code: a stream of tasks usually repeats one.
  #lastCode: string | undefined;
  #lastHash = '';
  #hash(code: string): string {
    if (code !== this.#lastCode) {
      this.#lastHash = createHash('sha256').update(code).digest('hex');
      this.#lastCode = code;
    }
    return this.#lastHash;
  }

  /** Run one task. Returns its outcome; a failure of the task is an outcome, not an exception. */
  run(request: RunRequest, argsJson: string): TaskOutcome {
    const slot = this.#slot(request.memoryMb);
    try {
      const hash = this.#hash(request.code);
      const syntaxError = this.#check(slot, hash, request.code);
      if (syntaxError !== '') return {ok: false, code: 'ESYNTAX', message: syntaxError, execMs: 0};
      if (request.isolation === 'fresh') {
        const guest = slot.spares.pop() ?? this.#createGuest(slot);
        try {
          return this.#call(guest, OP_LOAD_AND_CALL, request, argsJson);
        } finally {
          release(guest);
        }
      }
      return this.#runWarm(slot, `${request.memoryMb}\u0000${request.scope}\u0000${hash}`, request, argsJson);
    } catch (error) {
      // making a context or compiling failed: the isolate is full, or broken
      return this.#isolateFailure(slot, error, request, 0);
    }
  }

  #runWarm(slot: IsolateSlot, key: string, request: RunRequest, argsJson: string): TaskOutcome {
    let guest = this.#warm.get(key);
    if (guest === undefined || guest.slot !== slot) {
      guest = slot.spares.pop() ?? this.#createGuest(slot);
      this.#warm.set(key, guest);
    }
    const outcome = this.#call(guest, guest.isLoaded ? OP_CALL : OP_LOAD_AND_CALL, request, argsJson);
    // a context whose code did not load, or that was stopped half-way, is in no state to reuse
    const isBroken =
      !outcome.ok && (outcome.code === 'ETIMEDOUT' || outcome.code === 'ENOMEM' || outcome.code === 'ECRASH');
    if (isBroken || !guest.isLoaded) {
      if (this.#warm.get(key) === guest) this.#warm.delete(key);
      release(guest);
    } else if (++slot.warmCalls % HEAP_CHECK_EVERY_WARM_CALLS === 0) {
      this.#limitWarmHeap(slot, guest);
    }
    return outcome;
  }

  // Warm contexts share their isolate's memory limit: when they hold over half of it, drop all but
  // the one just used, so one scope's kept state does not push another scope's task over the limit.
  #limitWarmHeap(slot: IsolateSlot, keep: Guest): void {
    const heap = slot.isolate.getHeapStatisticsSync();
    const usedBytes = heap.used_heap_size + heap.externally_allocated_size;
    if (usedBytes <= (slot.memoryMb * 1024 * 1024) / 2) return;
    this.#warm.evictWhere((guest) => guest.slot === slot && guest !== keep);
  }

  /** Make one spare fresh context for the default isolate. Returns false when there are enough. */
  prepareSpare(): boolean {
    const slot = this.#slot(this.#config.memoryMb);
    if (slot.spares.length >= SPARE_CONTEXTS) return false;
    slot.spares.push(this.#createGuest(slot));
    return true;
  }

  #call(guest: Guest, op: number, request: RunRequest, argsJson: string): TaskOutcome {
    const {timeoutMs, fn} = request;
    const maxBytes = this.#config.maxOutputBytes;
    const start = performance.now();
    const elapsed = () => roundMs(performance.now() - start);
    let out: string;
    try {
      const code = op === OP_LOAD_AND_CALL ? request.code : '';
      // isolated-vm takes whole milliseconds
      out = guest.run.applySync(undefined, [op, code, fn, argsJson, maxBytes], {
        timeout: Math.ceil(timeoutMs),
      });
      if (out === 'P') {
        const remainingMs = Math.max(1, Math.ceil(timeoutMs - (performance.now() - start)));
        out = guest.run.applySync(undefined, [OP_COLLECT, '', '', '', 0], {timeout: remainingMs});
      }
    } catch (error) {
      return this.#isolateFailure(guest.slot, error, request, elapsed());
    }
    const execMs = elapsed();
    if (op === OP_LOAD_AND_CALL && !out.startsWith('L')) guest.isLoaded = true;
    const payload = out.slice(1);
    switch (out[0]) {
      case 'R':
        if (Buffer.byteLength(payload) > maxBytes)
          return tooBig(`${Buffer.byteLength(payload)} bytes`, maxBytes, execMs);
        return {ok: true, resultJson: payload, execMs};
      case 'B':
        return tooBig(`${payload} characters`, maxBytes, execMs);
      case 'N':
        return {ok: false, code: 'ENOTJSON', message: `Result is not JSON-serialisable: ${payload}.`, execMs};
      case 'F':
        return {ok: false, code: 'ENOFN', message: `The code defines no function \`${fn}\`.`, execMs};
      case 'P':
        return {
          ok: false,
          code: 'ETIMEDOUT',
          message:
            "The task's promise can never settle: it was still pending when nothing was left to run " +
            '(the sandbox has no timers or I/O).',
          execMs,
        };
      case 'T':
      case 'L':
        return thrown(payload, execMs);
      default:
        return {ok: false, code: 'ECRASH', message: `The sandbox returned ${JSON.stringify(out)}.`, execMs};
    }
  }

  // isolated-vm itself threw: the time limit, the memory limit, or a broken isolate.
  #isolateFailure(slot: IsolateSlot, error: unknown, request: RunRequest, execMs: number): Failure {
    if (slot.isolate.isDisposed) {
      if (this.#slots.get(slot.memoryMb) === slot) this.#slots.delete(slot.memoryMb);
      this.#dispose(slot);
      return {
        ok: false,
        code: 'ENOMEM',
        message: `Task exceeded its memory limit (${slot.memoryMb} MB).`,
        execMs,
      };
    }
    const message = error instanceof Error ? error.message : String(error);
    if (message === TIMED_OUT)
      return {
        ok: false,
        code: 'ETIMEDOUT',
        message: `Task ran past its time limit (${request.timeoutMs} ms).`,
        execMs,
      };
    return {ok: false, code: 'ECRASH', message: `The sandbox failed: ${message}`, execMs};
  }

  // Compiling in the host is safe: a syntax error is V8's own object, no task code runs.
  #check(slot: IsolateSlot, hash: string, code: string): string {
    const known = this.#checked.get(hash);
    if (known !== undefined) return known;
    let syntaxError = '';
    try {
      slot.isolate.compileScriptSync(code + TASK_SOURCE_SUFFIX, {filename: TASK_FILENAME}).release();
    } catch (error) {
      syntaxError = clip(error instanceof Error ? `${error.name}: ${error.message}` : String(error), 4096);
    }
    this.#checked.set(hash, syntaxError);
    return syntaxError;
  }

  #slot(memoryMb: number): IsolateSlot {
    const known = this.#slots.get(memoryMb);
    if (known !== undefined && !known.isolate.isDisposed) return known;
    const isolate = new ivm.Isolate({memoryLimit: memoryMb});
    const bootstrap = isolate.compileScriptSync(BOOTSTRAP_SOURCE, {filename: BOOTSTRAP_FILENAME});
    const slot: IsolateSlot = {memoryMb, isolate, bootstrap, spares: [], warmCalls: 0};
    this.#slots.set(memoryMb, slot);
    return slot;
  }

  #createGuest(slot: IsolateSlot): Guest {
    const context = slot.isolate.createContextSync();
    try {
      const run = slot.bootstrap.runSync(context, {reference: true, timeout: BOOTSTRAP_TIMEOUT_MS});
      return {slot, context, run: run as ivm.Reference<GuestRun>, isLoaded: false};
    } catch (error) {
      context.release();
      throw error;
    }
  }

  #dispose(slot: IsolateSlot): void {
    this.#warm.evictWhere((guest) => guest.slot === slot);
    for (const guest of slot.spares) release(guest);
    slot.spares = [];
    if (!slot.isolate.isDisposed) slot.isolate.dispose();
  }
}

// Released references and contexts free the isolate's memory; a disposed isolate has nothing left to free.
function release(guest: Guest): void {
  if (guest.slot.isolate.isDisposed) return;
  try {
    guest.run.release();
    guest.context.release();
  } catch {
    // already released along with its isolate
  }
}

function thrown(payload: string, execMs: number): Failure {
  let name = ''; // none when the value thrown was no error (throw 5): the message says `threw 5`
  let message = '';
  let stack: string | undefined;
  try {
    const [thrownName, thrownMessage, thrownStack] = JSON.parse(payload) as [string, string, string | null];
    name = thrownName;
    message = thrownMessage;
    stack = thrownStack ?? undefined;
  } catch {
    message = 'threw a value that could not be read';
  }
  // isolated-vm answers a dynamic import() with a bare "Not supported": say what was refused.
  if (name === 'Error' && message === 'Not supported')
    message =
      'Not supported: import() cannot load modules in the sandbox (a task has no modules, files or network)';
  return {
    ok: false,
    code: 'ETHROW',
    ...(name === '' ? {} : {name}),
    message: name === '' ? message : message === '' ? name : `${name}: ${message}`,
    execMs,
    ...(stack === undefined ? {} : {stack}),
  };
}

function tooBig(size: string, maxBytes: number, execMs: number): Failure {
  return {
    ok: false,
    code: 'E2BIG',
    message: `Result is ${size} of JSON, over the ${maxBytes}-byte limit.`,
    execMs,
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
