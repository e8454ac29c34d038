// Remote CPU: `exec` runs a JavaScript function in a sandbox on the least-loaded peer (or here, or
// on a named peer), `batch` many at once, `tasks` lists what this peer submitted, `cancel` stops one.

import {readFile} from 'node:fs/promises';
import {RequestError} from '../../net/errors.js';
import {MAX_BATCH_TASKS, MAX_CODE_LENGTH, MAX_TASK_TIMEOUT_MS, type TaskSpec} from '../../net/messages.js';
import {newTaskId, type ExecResult, type Placement, type SubmittedTask} from '../../net/peer.js';
import {expectPositionals, flagInteger, flagText, type Args} from '../args.js';
import {untilDone, type Command, type Result} from '../command.js';
import {ShellError} from '../errors.js';
import {tableBlock} from '../format.js';
import {clipToWidth} from '../text-width.js';
import {hasNonFiniteNumber, parseValue, peerOf} from './net-commands.js';

export const DEFAULT_TASK_TIMEOUT_MS = 30_000;
const FN_NAME = /^[A-Za-z_$][\w$]*$/;
// Worded as `source` words them, so `exec DIR` says what is wrong instead of printing EISDIR.
const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

async function readCode(path: string): Promise<string> {
  let code: string;
  try {
    code = await readFile(path, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new ShellError('ENOENT', `Cannot read ${path}: ${READ_ERRORS[why] ?? why}.`);
  }
  return code;
}

function checkCode(code: string, what: string): string {
  if (code.trim() === '') throw new ShellError('EUSAGE', `${what} is empty.`);
  if (code.length > MAX_CODE_LENGTH)
    throw new ShellError(
      'EUSAGE',
      `${what} is ${code.length} characters; a task's code may be at most ${MAX_CODE_LENGTH}.`,
    );
  return code;
}

/** `name` if it is a JavaScript identifier; `what` names where it came from (--fn, or a batch entry's "fn"). */
function checkFn(name: unknown, what = '--fn'): string {
  if (typeof name !== 'string' || !FN_NAME.test(name))
    throw new ShellError('EUSAGE', `${what} \`${String(name)}\` is not a JavaScript function name.`);
  return name;
}

function placementOf(args: Args): Placement {
  const peer = flagText(args, 'peer');
  const isLocal = args.flags.has('local') || args.flags.has('confidential');
  if (peer !== undefined && isLocal)
    throw new ShellError('EUSAGE', 'Give --peer or --local/--confidential, not both.');
  if (peer !== undefined) return {mode: 'peer', peer};
  return isLocal ? {mode: 'local'} : {mode: 'auto'};
}

function describe(result: ExecResult): string {
  const {waitingMs, execMs} = result.timings;
  const tries = result.attempts > 1 ? `, ${result.attempts} attempts` : '';
  return `task ${result.taskId} on ${result.peer}${result.ok && result.cached ? ' (cached)' : ''}: ${result.turnaroundMs.toFixed(1)} ms (wait ${waitingMs.toFixed(1)}, exec ${execMs.toFixed(1)})${tries}`;
}

function resultData(result: ExecResult) {
  return {
    taskId: result.taskId,
    peer: result.peer,
    ok: result.ok,
    ...(result.ok
      ? {result: result.result, cached: result.cached}
      : {code: result.code, error: result.message}),
    attempts: result.attempts,
    timings: {...result.timings, turnaroundMs: result.turnaroundMs},
  };
}

export const exec: Command = {
  name: 'exec',
  usage: [
    'exec FILE.js [ARGS…] [--fn main] [--priority P] [--retries N] [--timeout MS] [--local] [--confidential] [--peer ID] [--bg] [--warm] [--no-cache]',
    "exec -e 'CODE' [ARGS…] [same options]",
  ],
  summary: 'Run a JavaScript function as a task in a sandbox, on the least-loaded peer',
  details: [
    'ARGS are JSON when they parse (5, "a", [1,2]), else strings; the function gets them in order and its',
    'result (JSON; a promise is awaited) prints as JSON. The task is a process on the peer that runs it.',
    '--confidential/--local: run here, never contacting the tracker. --peer ID: run there.',
    '--retries N: on failure try again, on another peer when there is one. --timeout MS (default 30000).',
    '--bg: print the task id and return; `tasks ID --wait` waits for it and prints its result, `cancel ID` stops it.',
    '--warm: reuse a context kept for this code (globals persist, much faster); --no-cache: skip the result cache.',
    'The sandbox (isolated-vm) has no require, import, process, file system, network or WebAssembly.',
  ],
  flags: {
    eval: {kind: 'value', alias: 'e'},
    fn: {kind: 'value'},
    priority: {kind: 'value'},
    retries: {kind: 'value'},
    timeout: {kind: 'value'},
    local: {kind: 'boolean'},
    confidential: {kind: 'boolean'},
    peer: {kind: 'value'},
    bg: {kind: 'boolean'},
    warm: {kind: 'boolean'},
    'no-cache': {kind: 'boolean'},
  },
  async run(args, context) {
    const inline = flagText(args, 'eval');
    let code: string;
    let taskArgs: string[];
    if (inline !== undefined) {
      code = checkCode(inline, 'The code');
      taskArgs = args.positionals;
    } else {
      expectPositionals(args, 1, Infinity);
      const [file, ...rest] = args.positionals as [string, ...string[]];
      code = checkCode(await readCode(file), file);
      taskArgs = rest;
    }
    const spec: TaskSpec = {
      taskId: newTaskId(),
      code,
      fn: checkFn(flagText(args, 'fn') ?? 'main'),
      args: taskArgs.map(parseValue),
      timeoutMs: flagInteger(args, 'timeout', 1, MAX_TASK_TIMEOUT_MS) ?? DEFAULT_TASK_TIMEOUT_MS,
      priority: flagInteger(args, 'priority', 0, 99) ?? 0,
      noCache: args.flags.has('no-cache'),
      warm: args.flags.has('warm'),
    };
    const retries = flagInteger(args, 'retries', 0, 10) ?? 0;
    const placement = placementOf(args);
    const peer = await peerOf(context);
    const running = peer.exec(spec, {placement, retries});
    if (args.flags.has('bg')) {
      running.catch(() => {}); // its end is in `tasks` and the history
      return {lines: [spec.taskId], data: {taskId: spec.taskId}};
    }
    // Ctrl-C in the console cancels the task, wherever it runs, and gives the prompt back
    const result = await untilDone(context, running, `task ${spec.taskId} canceled`, () => {
      peer.cancel(spec.taskId).catch(() => {}); // ended meanwhile: nothing to cancel
    });
    if (!result.ok)
      throw new RequestError(result.code, `Task ${result.taskId} on ${result.peer}: ${result.message}`);
    return {lines: [JSON.stringify(result.result), describe(result)], data: resultData(result)};
  },
};

interface BatchEntry {
  code?: string;
  file?: string;
  fn?: string;
  args?: unknown[];
  timeout?: number;
  priority?: number;
  noCache?: boolean;
  warm?: boolean;
}

export const batch: Command = {
  name: 'batch',
  usage: ['batch FILE.json'],
  summary: 'Submit many tasks at once, placed across peers by load; prints the results in order',
  details: [
    'FILE.json is an array of tasks: {"code": "function main(x){…}" or "file": "task.js", "fn": "main",',
    '"args": [1, 2], "timeout": 5000, "priority": 0, "noCache": false, "warm": false}; a task without code',
    "or file uses the code of the task before it. noCache and warm are exec's --no-cache and --warm.",
  ],
  async run(args, context) {
    expectPositionals(args, 1);
    const path = args.positionals[0]!;
    let entries: unknown;
    try {
      entries = JSON.parse(await readCode(path));
    } catch (error) {
      if (error instanceof ShellError) throw error;
      throw new ShellError('EUSAGE', `${path} is not JSON: ${(error as Error).message}.`);
    }
    if (hasNonFiniteNumber(entries))
      throw new ShellError('EUSAGE', `${path} holds a number too large for JSON (it reads as Infinity).`);
    if (!Array.isArray(entries) || entries.length === 0)
      throw new ShellError('EUSAGE', `${path} must hold a non-empty JSON array of tasks.`);
    if (entries.length > MAX_BATCH_TASKS)
      throw new ShellError(
        'EUSAGE',
        `${path} holds ${entries.length} tasks; a batch may have at most ${MAX_BATCH_TASKS}.`,
      );
    let previousCode: string | undefined;
    const specs: TaskSpec[] = [];
    for (const [index, raw] of entries.entries()) {
      const entry = raw as BatchEntry;
      const where = `${path} task ${index + 1}`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        throw new ShellError('EUSAGE', `${where} is not an object.`);
      if (entry.code !== undefined && typeof entry.code !== 'string')
        throw new ShellError('EUSAGE', `${where}: "code" must be a string of JavaScript.`);
      if (entry.file !== undefined && typeof entry.file !== 'string')
        throw new ShellError('EUSAGE', `${where}: "file" must be a path, as a string.`);
      let code =
        entry.code !== undefined
          ? entry.code
          : entry.file !== undefined
            ? await readCode(entry.file)
            : previousCode;
      if (code === undefined) throw new ShellError('EUSAGE', `${where} has no "code" or "file".`);
      code = checkCode(code, `${where}'s code`);
      previousCode = code;
      if (entry.args !== undefined && !Array.isArray(entry.args))
        throw new ShellError('EUSAGE', `${where}: "args" must be an array.`);
      const timeout = entry.timeout ?? DEFAULT_TASK_TIMEOUT_MS;
      if (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_TASK_TIMEOUT_MS)
        throw new ShellError('EUSAGE', `${where}: "timeout" must be 1 to ${MAX_TASK_TIMEOUT_MS} ms.`);
      const priority = entry.priority ?? 0;
      if (!Number.isSafeInteger(priority) || priority < 0 || priority > 99)
        throw new ShellError('EUSAGE', `${where}: "priority" must be 0 to 99.`);
      for (const option of ['noCache', 'warm'] as const)
        if (entry[option] !== undefined && typeof entry[option] !== 'boolean')
          throw new ShellError('EUSAGE', `${where}: "${option}" must be true or false.`);
      specs.push({
        taskId: newTaskId(),
        code,
        fn: checkFn(entry.fn ?? 'main', `${where}: "fn"`),
        args: entry.args ?? [],
        timeoutMs: timeout,
        priority,
        noCache: entry.noCache ?? false,
        warm: entry.warm ?? false,
      });
    }
    const peer = await peerOf(context);
    const results = await untilDone(
      context,
      peer.batch(specs),
      `stopped waiting for the batch; its ${specs.length} tasks go on (their ends are in history --tasks)`,
    );
    const failed = results.filter((result) => !result.ok).length;
    const peers = new Set(results.map((result) => result.peer)).size;
    const summary = `${results.length} task${results.length === 1 ? '' : 's'} on ${peers} peer${peers === 1 ? '' : 's'}, ${failed} failed`;
    const lines: Result['lines'] = [
      tableBlock(
        results.map((result, index) => ({...result, index: index + 1})),
        [
          {header: '#', value: (row) => row.index},
          {header: 'TASK', value: (row) => row.taskId},
          {header: 'PEER', value: (row) => row.peer},
          {
            header: 'RESULT',
            value: (row) => (row.ok ? JSON.stringify(row.result) : `${row.code}: ${row.message}`),
          },
        ],
      ),
      summary,
    ];
    const data = {results: results.map(resultData), failed};
    if (failed > 0) throw new ShellError('ETASK', `${failed} of ${results.length} tasks failed.`, lines);
    return {lines, data};
  },
};

/** Characters of a result shown in the `tasks` table; `tasks ID` shows all of it. */
const RESULT_COLUMN_CHARS = 24;

export const tasks: Command = {
  name: 'tasks',
  usage: ['tasks [TASKID] [--wait]'],
  summary:
    'Tasks this peer submitted (placing, running, done, failed, canceled) and where, and those it runs for others',
  details: [
    "TASKID: that task alone, with its whole result once done: how a --bg task's result is read.",
    '--wait: first wait until the task (with no TASKID, every task this peer submitted) has ended; with',
    'TASKID, a task that failed then fails the command with its error code, as exec would have.',
    'The last 1,000 tasks are kept, with results up to 16 KiB of JSON each.',
  ],
  flags: {wait: {kind: 'boolean'}},
  async run(args, context) {
    expectPositionals(args, 0, 1);
    const peer = await peerOf(context);
    const isWaiting = args.flags.has('wait');
    const taskId = args.positionals[0];
    const stopped = 'stopped waiting; the tasks go on (`cancel ID` stops one)';
    if (taskId !== undefined) {
      const task = isWaiting
        ? await untilDone(context, peer.ended(taskId), stopped)
        : peer.submitted().find((each) => each.taskId === taskId);
      return oneTask(task, taskId, isWaiting);
    }
    if (isWaiting)
      await untilDone(context, Promise.all(peer.submitted().map((task) => peer.ended(task.taskId))), stopped);
    const now = Date.now();
    const mine = peer.submitted().reverse();
    const load = peer.runner.load();
    return {
      lines: [
        tableBlock(mine, [
          {header: 'TASK', value: (task) => task.taskId},
          {header: 'FN', value: (task) => task.fn},
          {header: 'STATE', value: (task) => task.state},
          {header: 'PEER', value: (task) => task.peer ?? '-'},
          {header: 'TRIES', value: (task) => task.attempts},
          {
            header: 'TIME',
            value: (task) => `${((task.finishedAt ?? now) - task.submittedAt).toFixed(0)} ms`,
            align: 'right',
          },
          {header: 'RESULT', value: (task) => clipToWidth(resultText(task), RESULT_COLUMN_CHARS)},
          {header: 'ERROR', value: (task) => task.error ?? ''},
        ]),
        `${mine.length} submitted; running here for anyone: ${load.tasks}, queued: ${load.queue}`,
      ],
      data: {tasks: mine, load},
    };
  },
};

/** One submitted task, as `tasks ID` shows it; with `isWaiting`, a failed one fails the command. */
function oneTask(task: SubmittedTask | undefined, taskId: string, isWaiting: boolean): Result {
  if (task === undefined)
    throw new ShellError(
      'ENOENT',
      `This peer submitted no task \`${taskId}\` (or it is older than the last 1,000).`,
    );
  const where = `task ${task.taskId} on ${task.peer ?? '-'}`;
  if (isWaiting && task.error !== undefined) {
    const [code] = task.error.split(':', 1);
    throw new RequestError(
      code!,
      `Task ${task.taskId} on ${task.peer ?? '-'}: ${task.error.slice(code!.length + 2)}`,
    );
  }
  const time = `${((task.finishedAt ?? Date.now()) - task.submittedAt).toFixed(0)} ms`;
  const status = task.error ?? (task.state === 'done' ? `done in ${time}` : `${task.state} for ${time}`);
  return {
    lines: [...(task.state === 'done' ? [resultText(task)] : []), `${where}: ${status}`],
    data: {...task},
  };
}

/** A done task's result as JSON; a dropped one says its size. */
function resultText(task: SubmittedTask): string {
  if (task.state !== 'done') return '';
  if (!('result' in task)) return `(${task.resultBytes} bytes of JSON: not kept)`;
  return JSON.stringify(task.result) ?? 'undefined';
}

export const cancel: Command = {
  name: 'cancel',
  usage: ['cancel TASKID'],
  summary: 'Cancel a queued or running task, on whichever peer runs it (a running sandbox is stopped)',
  async run(args, context) {
    expectPositionals(args, 1);
    const peer = await peerOf(context);
    const answer = await peer.cancel(args.positionals[0]!);
    return {
      lines: [`canceled task ${answer.taskId} on ${answer.peer} (it was ${answer.state})`],
      data: answer,
    };
  },
};
