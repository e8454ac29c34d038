// pane: show, hide and focus the console's live panes, and sort the top pane. Keys do the same
// (F2-F4 and F9, Alt+1-4, F6); this is the typed form, and the one a sourced file can use.

import {expectPositionals, runSubcommand, toChoice, type Args, type Subcommand} from '../args.js';
import type {Command, Context, PaneControl, Result} from '../command.js';
import {ShellError} from '../errors.js';

function panesOf(context: Context): PaneControl {
  if (context.panes) return context.panes;
  throw new ShellError('ENOTTY', '`pane` arranges the interactive console; a script has no panes.');
}

function listing(panes: PaneControl): Result {
  const {panes: list, sort} = panes.describe();
  const width = Math.max(...list.map((pane) => pane.name.length));
  const lines = list.map(
    (pane) =>
      `${pane.name.padEnd(width)}  ${pane.visible ? 'shown' : 'hidden'}${pane.focused ? ', focused' : ''}`,
  );
  lines.push(`top sorted by ${sort}`);
  return {lines, data: {panes: list, sort}};
}

function paneName(panes: PaneControl, text: string, extra: readonly string[] = []): string {
  return toChoice(text, 'pane', [...panes.names, ...extra]);
}

const SUBCOMMANDS: Record<string, Subcommand<Context, Result>> = {
  ls: {run: (args, context) => (expectPositionals(args, 0), listing(panesOf(context)))},
  show: {run: (args, context) => change(args, context, (panes, text) => panes.show(paneName(panes, text)))},
  hide: {run: (args, context) => change(args, context, (panes, text) => panes.hide(paneName(panes, text)))},
  focus: {
    run: (args, context) =>
      change(args, context, (panes, text) => panes.focus(paneName(panes, text, ['output']))),
  },
  sort: {
    run: (args, context) =>
      change(args, context, (panes, text) => panes.sort(toChoice(text, 'sort key', panes.sortKeys))),
  },
};

function change(args: Args, context: Context, apply: (panes: PaneControl, text: string) => void): Result {
  expectPositionals(args, 1);
  const panes = panesOf(context);
  apply(panes, args.positionals[0]!);
  return listing(panes);
}

export const pane: Command = {
  name: 'pane',
  usage: ['pane [ls]', 'pane show|hide NAME', 'pane focus NAME|output', 'pane sort KEY'],
  summary: 'Show, hide or focus the live panes (sched, map, top, downloads); sort the top pane (console)',
  details: [
    'Panes: sched (scheduler queue and Gantt strip), map (heap block map), top (processes by CPU%),',
    'downloads (progress of each transfer and the chunk map of the newest running one; hidden at start).',
    'The focused pane scrolls with PgUp/PgDn; `pane focus output` gives them back to the output.',
    'Sort keys: cpu, mem, pid, name, state, pri, time. Keys: F2-F4 and F9 show/hide, Alt+1-4 focus, F6 next sort key.',
  ],
  subcommands: ['ls', 'show', 'hide', 'focus', 'sort'],
  run(args, context) {
    return runSubcommand(args, 'pane', SUBCOMMANDS, context, 'ls');
  },
};
