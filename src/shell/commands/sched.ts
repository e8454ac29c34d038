// sched: show or switch the scheduling policy; `sched queue`, `sched stats`, `sched gantt`.

import {
  isSchedulerName,
  MAX_MLFQ_LEVELS,
  MAX_TICKS,
  SCHEDULER_NAMES,
  SCHEDULER_SUMMARIES,
  type Kernel,
  type ProcessView,
  type SchedulerOptions,
} from '../../kernel/index.js';
import {expectPositionals, flagInteger, flagText, toInteger, type Args} from '../args.js';
import type {Command, Context, Result} from '../command.js';
import {ShellError} from '../errors.js';
import {formatNumber, formatPercent, tableBlock, type Block} from '../format.js';

export const sched: Command = {
  name: 'sched',
  usage: [
    'sched [fcfs|sjf|srtf|priority|rr|mlfq] [--quantum N] [--aging N] [--preemptive] [--levels N] [--quanta A,B,…] [--boost T]',
    'sched queue | sched stats | sched gantt',
  ],
  summary: 'Show or switch the CPU scheduler; queue, stats, gantt',
  details: [
    ...SCHEDULER_NAMES.map((name) => `${name.padEnd(8)} ${SCHEDULER_SUMMARIES[name]}`),
    'Ties go to the earlier arrival, then the lower pid.',
    'At each tick boundary io wake-ups enter the ready queue first, then arrivals, then a process',
    'whose quantum just expired (so it goes behind the newcomers).',
    'Priority: higher number is more urgent. --aging N adds 1 for every N ticks spent ready;',
    '  the priority drops back to its base when the process gets the CPU.',
    'SJF/SRTF order by the next CPU burst (cpu ops until the next op that may block).',
    'MLFQ: new processes start at the top; using a whole quantum drops a level; blocking keeps',
    '  the level; every --boost T ticks all return to the top with a fresh quantum, the running',
    '  one included. Quanta default to q, 2q, 4q, …; a level past the last of --quanta gets',
    '  double the quantum above it (--quanta 50,60 on 3 levels is 50,60,120).',
    'queue: the running process and the ready queue in dispatch order, and who waits on what.',
    'stats: waiting, turnaround and response time per process, averages, throughput, CPU use.',
    '  A killed process did not finish its work: the averages and throughput leave it out.',
    'gantt: who ran when (0 = idle).',
  ],
  subcommands: [...SCHEDULER_NAMES, 'queue', 'stats', 'gantt'],
  flags: {
    quantum: {kind: 'value', alias: 'q'},
    aging: {kind: 'value'},
    preemptive: {kind: 'boolean'},
    levels: {kind: 'value'},
    quanta: {kind: 'value'},
    boost: {kind: 'value'},
  },
  run(args, context) {
    expectPositionals(args, 0, 1);
    const word = args.positionals[0];
    const {kernel} = context;
    if (word === 'queue' || word === 'stats' || word === 'gantt') {
      if (args.flags.size > 0) throw new ShellError('EUSAGE', `sched ${word} takes no options.`);
      return word === 'queue'
        ? showQueue(context)
        : word === 'stats'
          ? showStats(context)
          : showGantt(kernel);
    }
    if (word === undefined && args.flags.size === 0) return describe(kernel);
    const name = word ?? kernel.schedulerName;
    if (!isSchedulerName(name)) {
      throw new ShellError(
        'EUSAGE',
        `Unknown scheduler \`${name}\`. Expected one of: ${SCHEDULER_NAMES.join(', ')}.`,
      );
    }
    kernel.setScheduler(name, schedulerOptions(args, name));
    return describe(kernel);
  },
};

/** The schedulers each option means something to: given to another, it would be silently ignored. */
const OPTION_POLICIES: Readonly<Record<string, readonly string[]>> = {
  quantum: ['rr', 'mlfq'],
  aging: ['priority'],
  preemptive: ['priority'],
  levels: ['mlfq'],
  quanta: ['mlfq'],
  boost: ['mlfq'],
};

function schedulerOptions(args: Args, name: string): Partial<SchedulerOptions> {
  for (const flag of args.flags.keys()) {
    const policies = OPTION_POLICIES[flag];
    if (policies !== undefined && !policies.includes(name))
      throw new ShellError('EUSAGE', `--${flag} applies to ${policies.join(' and ')} only, not ${name}.`);
  }
  const options: Partial<SchedulerOptions> = {};
  const quantum = flagInteger(args, 'quantum', 1, MAX_TICKS);
  if (quantum !== undefined) options.quantum = quantum;
  const aging = flagInteger(args, 'aging', 0, MAX_TICKS);
  if (aging !== undefined) options.aging = aging;
  // Switching to priority without --preemptive means the non-preemptive textbook form.
  if (name === 'priority') options.preemptive = args.flags.has('preemptive');
  const levels = flagInteger(args, 'levels', 1, MAX_MLFQ_LEVELS);
  if (levels !== undefined) options.levels = levels;
  const quanta = flagText(args, 'quanta');
  if (quanta !== undefined) {
    options.quanta = quanta.split(',').map((text) => toInteger(text, '--quanta value', 1, MAX_TICKS));
    // Both name the top level's quantum: refuse rather than silently pick one.
    if (quantum !== undefined && options.quanta[0] !== quantum) {
      throw new ShellError(
        'EUSAGE',
        `--quantum ${quantum} and --quanta ${quanta} disagree on the top level's quantum; give one of them, or start --quanta with ${quantum}.`,
      );
    }
  } else if (levels !== undefined || quantum !== undefined) options.quanta = [];
  const boost = flagInteger(args, 'boost', 0, MAX_TICKS);
  if (boost !== undefined) options.boost = boost;
  return options;
}

function describe(kernel: Kernel): Result {
  return {
    lines: [`scheduler ${kernel.schedulerDescription}`],
    data: {
      scheduler: kernel.schedulerName,
      description: kernel.schedulerDescription,
      options: kernel.options,
    },
  };
}

function showQueue({kernel, style}: Context): Result {
  const {running, ready, waiting} = kernel.readyQueue();
  const lines = [`t=${kernel.now}  ${kernel.schedulerDescription}`];
  const tag = (p: ProcessView) => (p.tag ? ` ${p.tag}` : '');
  lines.push(
    running
      ? `running: ${style.green(`${running.pid} ${running.name}`)} (remaining ${running.remaining}, slice ${running.sliceUsed}${tag(running)})`
      : `running: idle${ready[0] ? ` (dispatches ${ready[0].pid} ${ready[0].name} at the next tick)` : ''}`,
  );
  lines.push(
    `ready:   ${ready.length === 0 ? '(empty)' : ready.map((p) => `${p.pid} ${p.name}${tag(p)}`).join(' → ')}`,
  );
  if (waiting.length > 0)
    lines.push(`waiting: ${waiting.map((p) => `${p.pid} ${p.name} (${p.waitingOn})`).join(', ')}`);
  return {
    lines,
    data: {
      time: kernel.now,
      scheduler: kernel.schedulerName,
      running: running ?? null,
      ready: ready.map((p) => p.pid),
      waiting: waiting.map((p) => ({pid: p.pid, on: p.waitingOn})),
    },
  };
}

function averageText(average: number, over: number): string {
  return over === 0 ? '-' : formatNumber(average);
}

function showStats({kernel}: Context): Result {
  const stats = kernel.schedulerStats();
  const dash = (value: number | null) => (value === null ? '-' : String(value));
  const lines: Block[] = [
    tableBlock(stats.processes, [
      {header: 'PID', value: (p) => p.pid},
      {header: 'NAME', value: (p) => p.name, align: 'left'},
      {header: 'ARRIVAL', value: (p) => p.arrival},
      {header: 'BURST', value: (p) => p.burst},
      {header: 'START', value: (p) => dash(p.firstRun), align: 'right'},
      {header: 'END', value: (p) => dash(p.completion), align: 'right'},
      {header: 'WAITING', value: (p) => p.waiting},
      {header: 'TURNAROUND', value: (p) => dash(p.turnaround), align: 'right'},
      {header: 'RESPONSE', value: (p) => dash(p.response), align: 'right'},
    ]),
  ];
  const killed = stats.killed > 0 ? `, ${stats.killed} killed` : '';
  lines.push(
    // nothing finished yet: no average to give (the JSON says 0), not an average of 0
    `average waiting ${averageText(stats.avgWaiting, stats.finished)}, turnaround ${averageText(stats.avgTurnaround, stats.finished)}, response ${formatNumber(stats.avgResponse)} (${stats.finished} finished${killed})`,
    `throughput ${formatNumber(stats.throughput, 4)} per tick, CPU utilisation ${formatPercent(stats.cpuUtilization)}, context switches ${stats.contextSwitches}, t=${stats.time}`,
  );
  return {lines, data: {...stats}};
}

const GANTT_WIDTH = 100; // characters per chart row before it wraps

function showGantt(kernel: Kernel): Result {
  const segments = kernel.ganttSegments();
  const names = new Map(kernel.listProcesses(true).map((p) => [p.pid, p.name]));
  const label = (pid: number) => (pid === 0 ? 'idle' : (names.get(pid) ?? String(pid)));
  const lines: string[] = [];
  let bar = '|';
  let axis = '';
  const flush = (end: number) => {
    axis = axis.padEnd(bar.length - 1) + String(end);
    lines.push(bar, axis);
    bar = '|';
    axis = '';
  };
  for (const segment of segments) {
    const start = String(segment.start);
    const cell = ` ${label(segment.pid)} `.padEnd(start.length + 1);
    if (bar.length > 1 && bar.length + cell.length > GANTT_WIDTH) flush(segment.start);
    axis = (axis.length > bar.length - 1 ? axis + ' ' : axis.padEnd(bar.length - 1)) + start;
    bar += `${cell}|`;
  }
  if (segments.length > 0) flush(segments[segments.length - 1]!.end);
  else lines.push('(nothing has run yet)');
  return {
    lines,
    data: {segments: segments.map((s) => ({...s, name: s.pid === 0 ? null : (names.get(s.pid) ?? null)}))},
  };
}
