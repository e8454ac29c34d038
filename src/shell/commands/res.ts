// res: resource types with several instances, claims, requests and releases, under the Banker's algorithm.
// Interface:
//   res create NAME COUNT   res claim|request|release PID R=N ...   res ls   res avoid [on|off]

import {formatAmounts, parseAmounts, type Amounts, type ResourceView} from '../../kernel/index.js';
import {
  expectPositionals,
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
import {availableLine, bankerMatrix} from './banker.js';

/** Largest instance count the kernel accepts. */
const MAX_RESOURCE_COUNT = 1_000_000;

// Sub-command functions are hoisted declarations below, so the table can stand first.
const SUBCOMMANDS: Readonly<Record<string, Subcommand<Context, Result | Promise<Result>>>> = {
  create: {run: create},
  claim: {run: claim},
  request: {run: request},
  release: {run: release},
  ls: {run: list},
  avoid: {run: avoid},
};

export const res: Command = {
  name: 'res',
  usage: [
    'res create NAME COUNT',
    'res claim PID R=N …',
    'res request PID R=N …',
    'res release PID R=N …',
    'res ls',
    'res avoid [on|off]',
  ],
  summary: "Resources with instances: claims, requests and releases under the Banker's algorithm",
  details: [
    'res claim declares the most a process may ever hold (its max); a request beyond it fails with EPERM.',
    "With avoidance on (the default) a request is granted only if the state stays safe (the Banker's algorithm):",
    '  it is granted, or the process waits (not enough available), or it is refused with EDEADLK as unsafe.',
    'With `res avoid off` a request is granted whenever enough is available, so deadlock can happen.',
    'A waiting process gets its request when a release makes it grantable, in FIFO order.',
    'R=N words name a resource and a whole amount; each resource once.',
    'res with no subcommand is res ls.',
  ],
  subcommands: Object.keys(SUBCOMMANDS),
  run: (args, context) => runSubcommand(args, 'res', SUBCOMMANDS, context, 'ls'),
};

function create(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 2);
  const [name, countText] = args.positionals as [string, string];
  const count = toInteger(countText, 'count', 1, MAX_RESOURCE_COUNT);
  kernel.resCreate(name, count);
  return {
    lines: [`created resource ${name} (${count} instances)`],
    data: {name, total: count, available: count},
  };
}

function claim(args: Args, {kernel}: Context): Result {
  const {pid, amounts} = pidAndAmounts(args);
  kernel.resClaim(pid, amounts);
  return {
    lines: [`pid ${pid} claims ${formatAmounts(amounts)}`],
    data: {pid, claim: Object.fromEntries(amounts)},
  };
}

function request(args: Args, {kernel, style}: Context): Result {
  const {pid, amounts} = pidAndAmounts(args);
  const result = kernel.resRequest(pid, amounts);
  if (result.outcome === 'waiting') {
    return {
      lines: [style.yellow(`pid ${pid} waits: ${result.reason}`)],
      data: {pid, request: Object.fromEntries(amounts), outcome: 'waiting', reason: result.reason},
    };
  }
  if (!kernel.avoidance) {
    return {
      lines: [style.green('granted')],
      data: {pid, request: Object.fromEntries(amounts), outcome: 'granted'},
    };
  }
  return {
    lines: [style.green(`granted (safe sequence: ${result.sequence.join(', ')})`)],
    data: {pid, request: Object.fromEntries(amounts), outcome: 'granted', sequence: result.sequence},
  };
}

function release(args: Args, {kernel}: Context): Result {
  const {pid, amounts} = pidAndAmounts(args);
  const waitingBefore = waitingPids(kernel.resourceViews());
  kernel.resRelease(pid, amounts);
  const stillWaiting = new Set(waitingPids(kernel.resourceViews()));
  const woke = waitingBefore.filter((waiter) => !stillWaiting.has(waiter));
  const woken = woke.length === 0 ? '' : ` (woke pid${woke.length > 1 ? 's' : ''} ${woke.join(', ')})`;
  return {
    lines: [`pid ${pid} released ${formatAmounts(amounts)}${woken}`],
    data: {pid, released: Object.fromEntries(amounts), woke},
  };
}

function list(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 0);
  const view = kernel.resourceViews();
  const avoidance = kernel.avoidance;
  const avoidanceLine = `avoidance: ${avoidance ? 'on' : 'off'}`;
  if (view.resources.length === 0)
    return {lines: ['no resources', avoidanceLine], data: {...view, avoidance}};
  const resources = tableBlock<ResourceView['resources'][number]>(view.resources, [
    {header: 'NAME', value: (r) => r.name, align: 'left'},
    {header: 'TOTAL', value: (r) => r.total},
    {header: 'AVAILABLE', value: (r) => r.available},
  ]);
  return {
    lines: [resources, '', bankerMatrix(view), '', ...availableLine(view), avoidanceLine],
    data: {...view, avoidance},
  };
}

function avoid(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 0, 1);
  const wanted = args.positionals[0];
  const before = kernel.avoidance;
  if (wanted !== undefined)
    kernel.setAvoidance(toChoice(wanted, 'avoidance setting', ['on', 'off'] as const) === 'on');
  const now = kernel.avoidance;
  const change = now === before ? '' : ` (was ${before ? 'on' : 'off'})`;
  return {lines: [`avoidance: ${now ? 'on' : 'off'}${change}`], data: {avoidance: now}};
}

function pidAndAmounts(args: Args): {pid: number; amounts: Amounts} {
  expectPositionals(args, 2, Infinity);
  const [pidText, ...words] = args.positionals as [string, ...string[]];
  const pid = toPid(pidText);
  const amounts = parseAmounts(words, (why) => {
    throw new ShellError('EUSAGE', `Bad amount: ${why}`);
  });
  return {pid, amounts};
}

function waitingPids(view: ResourceView): number[] {
  return view.processes.filter((p) => p.waiting).map((p) => p.pid);
}
