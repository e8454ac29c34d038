// pstree: the process family tree from init.

import {INIT_PID, KernelError, type ProcessView} from '../../kernel/index.js';
import {expectPositionals, toPid} from '../args.js';
import type {Command} from '../command.js';
import {colorState} from '../format.js';

export const pstree: Command = {
  name: 'pstree',
  usage: ['pstree [PID]'],
  summary: 'Show the parent/child tree of live processes',
  run(args, {kernel, style}) {
    expectPositionals(args, 0, 1);
    const processes = kernel.listProcesses(false);
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    const rootPid = args.positionals[0] === undefined ? INIT_PID : toPid(args.positionals[0]);
    const root = byPid.get(rootPid);
    if (!root) throw new KernelError('ESRCH', `Process ${rootPid} is not a live process.`);
    const lines: string[] = [];
    const label = (p: ProcessView) =>
      `${p.name}(${p.pid}) ${colorState(style, p.state, p.state.toUpperCase())}`;
    const walk = (p: ProcessView, prefix: string, isLast: boolean, isRoot: boolean) => {
      lines.push(isRoot ? label(p) : `${prefix}${isLast ? '└─ ' : '├─ '}${label(p)}`);
      const children = p.children
        .map((pid) => byPid.get(pid))
        .filter((child): child is ProcessView => child !== undefined);
      const childPrefix = isRoot ? '' : prefix + (isLast ? '   ' : '│  ');
      children.forEach((child, i) => walk(child, childPrefix, i === children.length - 1, false));
    };
    walk(root, '', true, true);
    const tree = (p: ProcessView): unknown => ({
      pid: p.pid,
      name: p.name,
      state: p.state,
      children: p.children.flatMap((pid) => (byPid.has(pid) ? [tree(byPid.get(pid)!)] : [])),
    });
    return {lines, data: {tree: tree(root)}};
  },
};
