// sem: counting and binary semaphores, used by the shell itself or on behalf of a process.
// Interface:
//   sem create NAME [VALUE] [--binary]   sem wait NAME [--pid PID]   sem signal NAME [--pid PID]   sem ls

import {SHELL_OWNER, type Kernel, type SemaphoreView} from '../../kernel/index.js';
import {
  expectPositionals,
  flagText,
  toChoice,
  toInteger,
  toPid,
  type Args,
  runSubcommand,
  type Subcommand,
} from '../args.js';
import type {Command, Context, Result} from '../command.js';
import {ShellError} from '../errors.js';
import {tableBlock} from '../format.js';

/** Largest initial value the kernel accepts. */
const MAX_SEMAPHORE_VALUE = 1_000_000;

// Sub-command functions are hoisted declarations below, so the table can stand first.
const SUBCOMMANDS: Readonly<Record<string, Subcommand<Context, Result | Promise<Result>>>> = {
  create: {flags: ['binary'], run: create},
  wait: {flags: ['pid'], run: wait},
  signal: {flags: ['pid'], run: signal},
  ls: {run: list},
};

export const sem: Command = {
  name: 'sem',
  usage: [
    'sem create NAME [VALUE] [--binary]',
    'sem wait NAME [--pid PID]',
    'sem signal NAME [--pid PID]',
    'sem ls',
  ],
  summary: 'Create, wait on, signal and list semaphores',
  details: [
    'VALUE defaults to 1; a --binary semaphore starts at 0 or 1 and never rises above 1.',
    'sem wait NAME (no --pid) is the shell waiting: virtual time passes until a unit is free, and the shell',
    '  holds it until `sem signal NAME`. It fails with ESTALL when nothing could ever free one.',
    'sem wait NAME --pid P makes a ready or running process take a unit, or block until one is signalled.',
    'Waiters are woken in FIFO order; a signal hands its unit straight to the first waiter.',
    'A normal exit undoes no wait (a semaphore is a count); a killed process gives back the units it',
    '  took and did not signal, as a robust mutex is released, so deadlock recovery frees the others.',
    'sem with no subcommand is sem ls.',
  ],
  flags: {binary: {kind: 'boolean'}, pid: {kind: 'value', alias: 'p'}},
  subcommands: Object.keys(SUBCOMMANDS),
  run: (args, context) => runSubcommand(args, 'sem', SUBCOMMANDS, context, 'ls'),
};

function create(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 1, 2);
  const name = args.positionals[0]!;
  const valueText = args.positionals[1];
  const value = valueText === undefined ? 1 : toInteger(valueText, 'value', 0, MAX_SEMAPHORE_VALUE);
  const isBinary = args.flags.has('binary');
  kernel.semCreate(name, value, isBinary);
  return {
    lines: [`created ${isBinary ? 'binary ' : ''}semaphore ${name} (value ${value})`],
    data: {name, value, isBinary},
  };
}

async function wait(args: Args, {kernel, style, block}: Context): Promise<Result> {
  expectPositionals(args, 1);
  const name = args.positionals[0]!;
  const pid = optionalPid(args);
  if (pid !== undefined) {
    const {outcome} = kernel.semWait(name, pid);
    const line =
      outcome === 'taken'
        ? style.green(`pid ${pid} took ${name}`)
        : style.yellow(`pid ${pid} waits on ${name}`);
    return {lines: [line], data: {name, pid, outcome, value: valueOf(kernel, name), waited: 0}};
  }
  const start = kernel.now;
  if (kernel.semWait(name).outcome !== 'taken') {
    // The predicate takes the unit the moment one is free, and is not called again once it returns true.
    await block(() => kernel.semWait(name).outcome === 'taken', `semaphore ${name}`);
  }
  const waited = kernel.now - start;
  return {
    lines: [style.green(waited === 0 ? `took ${name}` : `took ${name} after ${waited} ticks`)],
    data: {name, pid: SHELL_OWNER, outcome: 'taken', value: valueOf(kernel, name), waited},
  };
}

function signal(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 1);
  const name = args.positionals[0]!;
  const pid = optionalPid(args);
  const woke = kernel.semSignal(name, pid);
  const value = valueOf(kernel, name);
  const by = pid === undefined ? '' : `pid ${pid} `;
  return {
    lines: [`${by}signalled ${name} (${woke === undefined ? `value ${value}` : `woke pid ${woke}`})`],
    data: {name, pid: pid ?? SHELL_OWNER, value, woke: woke ?? null},
  };
}

function list(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 0);
  const semaphores = kernel.semaphoreViews();
  if (semaphores.length === 0) return {lines: ['no semaphores'], data: {semaphores}};
  const lines = [
    tableBlock<SemaphoreView>(semaphores, [
      {header: 'NAME', value: (s) => s.name, align: 'left'},
      {header: 'VALUE', value: (s) => s.value},
      {header: 'TYPE', value: (s) => (s.isBinary ? 'binary' : 'counting'), align: 'left'},
      {header: 'HOLDERS', value: (s) => holdersText(s), align: 'left'},
      {header: 'WAITERS', value: (s) => (s.waiters.length === 0 ? '-' : s.waiters.join(', ')), align: 'left'},
    ]),
  ];
  return {lines, data: {semaphores}};
}

/** "shell, 3, 4x2": who holds units, with a count when one owner holds several. */
function holdersText(semaphore: SemaphoreView): string {
  if (semaphore.holders.length === 0) return '-';
  return semaphore.holders
    .map(({pid, count}) => `${pid === SHELL_OWNER ? 'shell' : pid}${count > 1 ? `x${count}` : ''}`)
    .join(', ');
}

function optionalPid(args: Args): number | undefined {
  const text = flagText(args, 'pid');
  return text === undefined ? undefined : toPid(text);
}

function valueOf(kernel: Kernel, name: string): number {
  return kernel.semaphoreViews().find((view) => view.name === name)?.value ?? 0;
}
