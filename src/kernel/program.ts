// Process programs: the small op language of `spawn --prog 'cpu 3, sem wait S, io 2, exit'`.
// CPU and IO ops take time; every other op is instant and runs at a tick boundary. Ops that can
// block (sem wait, mq recv, mq send to a full queue, malloc, req, wait) move the process to WAITING.
// One op is the kernel's own: `task ID`, the whole program of a process spawnTask creates to stand
// for a task run outside the kernel. It cannot be written in a program text (parseProgram refuses it).
//
// Interface:
// - parseProgram(text) -> Op[]     throws KernelError EINVAL naming the bad op
// - formatOp(op)                   the op as the user wrote it, normalised
// - nextBurst(ops, pc, remaining)  CPU ticks until the next op that can block (SJF's key)

import {KernelError} from './errors.js';
import {MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_PROGRAM_OPS, MAX_TICKS} from './params.js';
import {isValidName, parseCount, parseSize} from './units.js';

export type Op =
  | {readonly op: 'cpu'; readonly ticks: number}
  | {readonly op: 'io'; readonly ticks: number}
  | {readonly op: 'sem-wait'; readonly name: string}
  | {readonly op: 'sem-signal'; readonly name: string}
  | {readonly op: 'mq-send'; readonly queue: string; readonly message: string}
  | {readonly op: 'mq-recv'; readonly queue: string}
  | {readonly op: 'malloc'; readonly size: number}
  | {readonly op: 'free'}
  | {readonly op: 'req'; readonly amounts: ReadonlyMap<string, number>}
  | {readonly op: 'rel'; readonly amounts: ReadonlyMap<string, number>}
  | {readonly op: 'wait'}
  | {readonly op: 'exit'; readonly status: number}
  /** Wait for external task `id` to finish; only spawnTask builds it. */
  | {readonly op: 'task'; readonly id: string};

export type OpName = Op['op'];

const USAGE =
  'Ops: cpu N, io N, sem wait S, sem signal S, mq send Q MSG, mq recv Q, malloc SIZE, free, req R=N …, rel R=N …, wait, exit [STATUS].';

/** Parse a comma-separated program. Throws KernelError EINVAL naming the first bad op. */
export function parseProgram(text: string): Op[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length === 1 && parts[0] === '') throw new KernelError('EINVAL', `Empty program. ${USAGE}`);
  if (parts.length > MAX_PROGRAM_OPS) {
    throw new KernelError(
      'EINVAL',
      `Program has ${parts.length} ops; at most ${MAX_PROGRAM_OPS} are allowed.`,
    );
  }
  return parts.map((part, index) => parseOp(part, index + 1));
}

function parseOp(text: string, position: number): Op {
  const words = text.split(/\s+/);
  const fail = (why: string): never => {
    throw new KernelError('EINVAL', `Program op ${position} \`${text}\`: ${why}`);
  };
  const ticks = (word: string | undefined): number => {
    const value = word === undefined ? undefined : parseCount(word);
    if (value === undefined || value < 1 || value > MAX_TICKS)
      fail(`expected a tick count from 1 to ${MAX_TICKS}.`);
    return value!;
  };
  const name = (word: string | undefined, what: string): string => {
    if (word === undefined || !isValidName(word, MAX_NAME_CHARS)) fail(`expected a ${what} name.`);
    return word!;
  };
  const arity = (count: number) => {
    if (words.length !== count) fail(`expected ${count - 1} argument${count === 2 ? '' : 's'}.`);
  };
  switch (words[0]) {
    case '':
      return fail(`empty op. ${USAGE}`);
    case 'cpu':
    case 'io':
      arity(2);
      return {op: words[0], ticks: ticks(words[1])};
    case 'sem':
      arity(3);
      if (words[1] === 'wait') return {op: 'sem-wait', name: name(words[2], 'semaphore')};
      if (words[1] === 'signal') return {op: 'sem-signal', name: name(words[2], 'semaphore')};
      return fail('expected `sem wait S` or `sem signal S`.');
    case 'mq': {
      if (words[1] === 'recv') {
        arity(3);
        return {op: 'mq-recv', queue: name(words[2], 'queue')};
      }
      if (words[1] === 'send') {
        if (words.length < 4) fail('expected `mq send Q MSG`.');
        const message = words.slice(3).join(' ');
        if (message.length > MAX_MESSAGE_CHARS) fail(`message longer than ${MAX_MESSAGE_CHARS} characters.`);
        return {op: 'mq-send', queue: name(words[2], 'queue'), message};
      }
      return fail('expected `mq send Q MSG` or `mq recv Q`.');
    }
    case 'malloc': {
      arity(2);
      const size = parseSize(words[1]!);
      if (size === undefined || size < 1) fail('expected a positive size (K and M suffixes allowed).');
      return {op: 'malloc', size: size!};
    }
    case 'free':
      arity(1);
      return {op: 'free'};
    case 'req':
    case 'rel': {
      if (words.length < 2) fail(`expected \`${words[0]} R=N …\`.`);
      return {op: words[0], amounts: parseAmounts(words.slice(1), fail)};
    }
    case 'wait':
      arity(1);
      return {op: 'wait'};
    case 'exit': {
      if (words.length > 2) fail('expected `exit [STATUS]`.');
      const status = words[1] === undefined ? 0 : parseCount(words[1]);
      if (status === undefined || status > 255) fail('exit status must be 0 to 255.');
      return {op: 'exit', status: status!};
    }
    case 'task':
      return fail(
        '`task` is not a program op: the kernel gives a task process its own program when a peer runs a task.',
      );
    default:
      return fail(`unknown op \`${words[0]}\`. ${USAGE}`);
  }
}

/**
 * Parse `R=N` words (N >= 0) into a map, each resource named once. Calls fail on a malformed word
 * or a resource named twice (`A=1 A=2` is a typo more often than a sum).
 */
export function parseAmounts(words: readonly string[], fail: (why: string) => never): Map<string, number> {
  const amounts = new Map<string, number>();
  const given = new Map<string, string>();
  for (const word of words) {
    const match = /^([^=]+)=(\d+)$/.exec(word);
    if (!match || !isValidName(match[1]!, MAX_NAME_CHARS)) fail(`expected R=N, got \`${word}\`.`);
    const [, name, countText] = match! as unknown as [string, string, string];
    const count = Number(countText);
    if (!Number.isSafeInteger(count)) fail(`amount in \`${word}\` is too large.`);
    const earlier = given.get(name);
    if (earlier !== undefined) fail(`resource ${name} given twice: \`${earlier}\` and \`${word}\`.`);
    given.set(name, word);
    amounts.set(name, count);
  }
  return amounts;
}

/** The op in the program's own syntax. */
export function formatOp(op: Op): string {
  switch (op.op) {
    case 'cpu':
    case 'io':
      return `${op.op} ${op.ticks}`;
    case 'sem-wait':
      return `sem wait ${op.name}`;
    case 'sem-signal':
      return `sem signal ${op.name}`;
    case 'mq-send':
      return `mq send ${op.queue} ${op.message}`;
    case 'mq-recv':
      return `mq recv ${op.queue}`;
    case 'malloc':
      return `malloc ${op.size}`;
    case 'req':
    case 'rel':
      return `${op.op} ${[...op.amounts].map(([name, count]) => `${name}=${count}`).join(' ')}`;
    case 'free':
    case 'wait':
      return op.op;
    case 'exit':
      return op.status === 0 ? 'exit' : `exit ${op.status}`;
    case 'task':
      return `task ${op.id}`;
  }
}

/** Total CPU ticks in a program (the process's burst). */
export function totalBurst(ops: readonly Op[]): number {
  let total = 0;
  for (const op of ops) if (op.op === 'cpu') total += op.ticks;
  return total;
}

const MAY_BLOCK: ReadonlySet<OpName> = new Set<OpName>([
  'io',
  'sem-wait',
  'mq-recv',
  'mq-send',
  'malloc',
  'req',
  'wait',
  'exit',
  'task',
]);

/**
 * The "next CPU burst" that SJF and SRTF order by: skip to the first cpu op at or after `pc`,
 * then add up cpu ops until an op that may block or end the process. `remaining` (when above 0)
 * is what is left of op `pc` itself, for a process preempted in the middle of it.
 */
export function nextBurst(ops: readonly Op[], pc: number, remaining: number): number {
  let i = pc;
  while (i < ops.length && ops[i]!.op !== 'cpu') i++;
  let total = 0;
  for (; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op === 'cpu') total += i === pc && remaining > 0 ? remaining : op.ticks;
    else if (MAY_BLOCK.has(op.op)) break;
  }
  return total;
}

/**
 * The most of each resource a program holds at once: its implicit Banker's claim, as if the
 * process declared its maximum need before it started.
 */
export function peakClaims(ops: readonly Op[]): Map<string, number> {
  const held = new Map<string, number>();
  const peak = new Map<string, number>();
  for (const op of ops) {
    if (op.op !== 'req' && op.op !== 'rel') continue;
    for (const [name, count] of op.amounts) {
      const now = Math.max(0, (held.get(name) ?? 0) + (op.op === 'req' ? count : -count));
      held.set(name, now);
      peak.set(name, Math.max(peak.get(name) ?? 0, now));
    }
  }
  return peak;
}
