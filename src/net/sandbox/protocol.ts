// The wire between the sandbox pool (parent) and a sandbox host (child process): frames (frame.ts)
// on the host's stdin and stdout. The pool writes all the frames of an event-loop turn at once. Ids
// are the pool's own numbers, not task ids; a host answers every run with one result, in the order
// it got them. The host writes its results out before it starts a task, so the pool knows which
// task is running (the oldest unanswered one) - except before a run marked `hold`: the pool marks
// tasks it expects to be quick, and the host may keep up to HOLD_MAX results back before one, to
// write a few results at a time (a write costs as much as a small task).
//
// parent -> host
//   run:      {type, id, code, fn, timeoutMs, memoryMb, isolation, scope, hold?} + body: the args, a JSON array
//   cancel:   {type, id} - drop run `id` if it has not started; always answered with canceled
// host -> parent
//   ready:    {type, pid} - the first isolate is up
//   result:   {type, id, ok: true, execMs} + body: the result as JSON
//             {type, id, ok: false, code, message, execMs, stack?}
//   canceled: {type, id}
//   error:    {type, message} - a frame the host could not read (it is dropped)

import type {FrameHeader} from '../frame.js';

/** Why a task failed. Callers branch on the code, never on the message. */
export type SandboxErrorCode =
  | 'ETHROW' // the task threw (or its promise rejected)
  | 'ETIMEDOUT' // it ran past its wall-time limit (or its promise can never settle)
  | 'ENOMEM' // it went over its memory limit
  | 'ENOTJSON' // its result is not JSON-serialisable
  | 'E2BIG' // its result (or the task itself) is over the size limit
  | 'ENOFN' // the code defines no function of that name
  | 'ESYNTAX' // the code does not compile
  | 'EINVAL' // the task is malformed: a bad field, an id already in use
  | 'ECANCELED' // cancel() was called
  | 'ECRASH' // the host process died while running it
  | 'ECLOSED'; // the pool was closed

export type Isolation = 'fresh' | 'warm';
export const ISOLATIONS: readonly Isolation[] = ['fresh', 'warm'];

/** isolated-vm refuses smaller isolates. */
export const MIN_MEMORY_MB = 8;
/** More than a teaching peer should hand a stranger. */
export const MAX_MEMORY_MB = 4096;
export const DEFAULT_MEMORY_MB = 64;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** setTimeout's own ceiling; a longer limit would fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** A function name is a plain JavaScript identifier (ASCII), so it can be looked up by evaluating it. */
export const FUNCTION_NAME_PATTERN = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export interface RunRequest {
  type: 'run';
  id: number;
  code: string;
  fn: string;
  timeoutMs: number;
  memoryMb: number;
  isolation: Isolation;
  /** Who may share a warm context: tasks with the same scope and code. */
  scope: string;
  /** The host may keep earlier results back (up to HOLD_MAX) when it starts this task. */
  hold: boolean;
}

/** Results a host may keep back before a `hold` task; so one of the oldest HOLD_MAX unanswered runs. */
export const HOLD_MAX = 8;

export interface HostConfig {
  memoryMb: number;
  maxOutputBytes: number;
}

export type TaskOutcome =
  | {ok: true; resultJson: string; execMs: number}
  | {
      ok: false;
      code: SandboxErrorCode;
      message: string;
      execMs: number;
      /** What the task threw (ETHROW): its error's name, and its stack from the task's own frames. */
      name?: string;
      stack?: string;
    };

export type TaskFailure = Extract<TaskOutcome, {ok: false}>;

/** The run request in `header`, or a sentence saying which field is wrong. */
export function parseRunRequest(header: FrameHeader): RunRequest | string {
  const {id, code, fn, timeoutMs, memoryMb, isolation, scope, hold = false} = header;
  if (typeof id !== 'number' || !Number.isSafeInteger(id))
    return `Run id ${String(id)} is not a whole number.`;
  if (typeof code !== 'string') return 'Run code is not a string.';
  if (typeof fn !== 'string' || !FUNCTION_NAME_PATTERN.test(fn))
    return `Function name ${JSON.stringify(fn)} is not a JavaScript identifier.`;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0 && timeoutMs <= MAX_TIMEOUT_MS))
    return `Timeout ${String(timeoutMs)} is not between 0 and ${MAX_TIMEOUT_MS} ms.`;
  if (typeof memoryMb !== 'number' || !isMemoryMb(memoryMb))
    return `Memory limit ${String(memoryMb)} is not a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}.`;
  if (typeof isolation !== 'string' || !ISOLATIONS.includes(isolation as Isolation))
    return `Isolation ${JSON.stringify(isolation)} is not one of: ${ISOLATIONS.join(', ')}.`;
  if (typeof scope !== 'string') return 'Run scope is not a string.';
  if (typeof hold !== 'boolean') return `Run hold ${JSON.stringify(hold)} is not true or false.`;
  return {type: 'run', id, code, fn, timeoutMs, memoryMb, isolation: isolation as Isolation, scope, hold};
}

export function isMemoryMb(value: number): boolean {
  return Number.isInteger(value) && value >= MIN_MEMORY_MB && value <= MAX_MEMORY_MB;
}
