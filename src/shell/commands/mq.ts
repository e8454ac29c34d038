// mq: bounded message queues, used by the shell itself or on behalf of a process.
// Interface:
//   mq create NAME [--cap N]   mq send NAME MSG [--to PID|*]   mq recv NAME [--pid PID]   mq ls

import {
  DEFAULT_MQ_CAPACITY,
  MAX_MQ_CAPACITY,
  SHELL_OWNER,
  type Message,
  type QueueView,
} from '../../kernel/index.js';
import {
  expectPositionals,
  flagInteger,
  flagText,
  toChoice,
  toPid,
  type Args,
  runSubcommand,
  type Subcommand,
} from '../args.js';
import type {Command, Context, Result} from '../command.js';
import {ShellError} from '../errors.js';
import {listPids, tableBlock} from '../format.js';
import {visibleText} from '../visible-text.js';

// Sub-command functions are hoisted declarations below, so the table can stand first.
const SUBCOMMANDS: Readonly<Record<string, Subcommand<Context, Result | Promise<Result>>>> = {
  create: {flags: ['cap'], run: create},
  send: {flags: ['to'], run: send},
  recv: {flags: ['pid'], run: receive},
  ls: {run: list},
};

export const mq: Command = {
  name: 'mq',
  usage: ['mq create NAME [--cap N]', 'mq send NAME MSG [--to PID|*]', 'mq recv NAME [--pid PID]', 'mq ls'],
  summary: 'Create, send to, receive from and list message queues',
  details: [
    `--cap is the most messages the queue holds (default ${DEFAULT_MQ_CAPACITY}); a full queue makes senders wait.`,
    'mq send: MSG is one word or a quoted string (several words are joined with spaces). The message goes to',
    '  the first waiting receiver, or is queued. --to PID addresses one process; --to * sends a copy to every',
    '  process that waits on or will receive from the queue. The shell waits (virtual time passes) while it is full.',
    'mq recv NAME (no --pid) is the shell receiving: it waits until an unaddressed message arrives and prints it;',
    '  ESTALL when no process could ever send one. --pid P makes a ready or running process receive or block.',
    'mq with no subcommand is mq ls.',
  ],
  flags: {cap: {kind: 'value'}, to: {kind: 'value'}, pid: {kind: 'value', alias: 'p'}},
  subcommands: Object.keys(SUBCOMMANDS),
  freeText: {subcommand: 'send', from: 2}, // mq send NAME MSG…
  run: (args, context) => runSubcommand(args, 'mq', SUBCOMMANDS, context, 'ls'),
};

function create(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 1);
  const name = args.positionals[0]!;
  const capacity = flagInteger(args, 'cap', 1, MAX_MQ_CAPACITY) ?? DEFAULT_MQ_CAPACITY;
  kernel.mqCreate(name, capacity);
  return {lines: [`created queue ${name} (capacity ${capacity})`], data: {name, capacity}};
}

async function send(args: Args, {kernel, block}: Context): Promise<Result> {
  expectPositionals(args, 2, Infinity);
  const [name, ...words] = args.positionals as [string, ...string[]];
  const text = words.join(' ');
  const toText = flagText(args, 'to');
  const to = toText === undefined ? undefined : toText === '*' ? '*' : toPid(toText);
  const start = kernel.now;
  const sent = await retry(
    () => {
      const result = kernel.mqSend(name, text, to);
      return result === 'full' ? undefined : result;
    },
    block,
    `room in queue ${name}`,
  );
  const parts: string[] = [];
  if (sent.delivered.length > 0)
    parts.push(`delivered to pid${sent.delivered.length > 1 ? 's' : ''} ${listPids(sent.delivered)}`);
  if (sent.queued > 0) {
    const view = kernel.queueViews().find((queue) => queue.name === name)!;
    parts.push(
      `queued ${sent.queued > 1 ? `${sent.queued} copies ` : ''}on ${name} (${view.length}/${view.capacity})`,
    );
  }
  const waited = kernel.now - start;
  if (waited > 0) parts.push(`after ${waited} ticks`);
  return {
    lines: [parts.join('; ')],
    data: {queue: name, text, to: to ?? null, delivered: sent.delivered, queued: sent.queued, waited},
  };
}

async function receive(args: Args, {kernel, style, block}: Context): Promise<Result> {
  expectPositionals(args, 1);
  const name = args.positionals[0]!;
  const pidText = flagText(args, 'pid');
  if (pidText !== undefined) {
    const pid = toPid(pidText);
    const result = kernel.mqRecv(name, pid);
    if (typeof result === 'string') {
      return {
        lines: [style.yellow(`pid ${pid} waits on ${name}`)],
        data: {queue: name, pid, outcome: 'blocked', message: null},
      };
    }
    return {
      lines: [`pid ${pid} received ${JSON.stringify(result.text)} from ${senderText(result.from)}`],
      data: {queue: name, pid, outcome: 'received', message: messageData(result)},
    };
  }
  const start = kernel.now;
  const message = await retry(
    () => {
      const result = kernel.mqRecv(name);
      return typeof result === 'string' ? undefined : result;
    },
    block,
    `a message on queue ${name}`,
  );
  return {
    lines: [visibleText(message.text)],
    data: {
      queue: name,
      pid: SHELL_OWNER,
      outcome: 'received',
      message: messageData(message),
      waited: kernel.now - start,
    },
  };
}

function list(args: Args, {kernel}: Context): Result {
  expectPositionals(args, 0);
  const queues = kernel.queueViews();
  if (queues.length === 0) return {lines: ['no message queues'], data: {queues}};
  const pids = (list: readonly number[]) => (list.length === 0 ? '-' : list.join(', '));
  const lines = [
    tableBlock<QueueView>(queues, [
      {header: 'NAME', value: (q) => q.name, align: 'left'},
      {header: 'LEN', value: (q) => q.length},
      {header: 'CAP', value: (q) => q.capacity},
      {header: 'RECEIVERS', value: (q) => pids(q.receivers), align: 'left'},
      {header: 'SENDERS', value: (q) => pids(q.senders), align: 'left'},
      {header: 'SENT', value: (q) => q.sent, align: 'right'},
      {header: 'RECV', value: (q) => q.received, align: 'right'},
    ]),
  ];
  return {lines, data: {queues}};
}

/**
 * Call `attempt` now and then once per tick (through context.block) until it returns a value.
 * `attempt` must be safe to repeat: it only changes the kernel on the call that succeeds.
 */
async function retry<T>(attempt: () => T | undefined, block: Context['block'], what: string): Promise<T> {
  const found: {value?: T} = {value: attempt()};
  if (found.value === undefined) {
    await block(() => {
      found.value = attempt();
      return found.value !== undefined;
    }, what);
  }
  if (found.value === undefined) throw new Error(`block() returned before ${what} was ready.`);
  return found.value;
}

function messageData(message: Message): {from: number; to: number | null; text: string; sentAt: number} {
  return {from: message.from, to: message.to ?? null, text: message.text, sentAt: message.sentAt};
}

function senderText(from: number): string {
  return from === SHELL_OWNER ? 'the shell' : `pid ${from}`;
}
