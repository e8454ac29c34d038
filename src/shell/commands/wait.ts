// wait: let virtual time pass until a process (or every process) has exited.

import {KernelError} from '../../kernel/index.js';
import {expectPositionals, flagInteger, toPid} from '../args.js';
import type {Command} from '../command.js';

export const wait: Command = {
  name: 'wait',
  usage: ['wait PID|all [--timeout T]'],
  summary: 'Run the clock until a process (or all) has exited',
  details: [
    'Fails when nothing can change any more (a deadlock, or a process waiting on the shell),',
    'or after T ticks with --timeout.',
    'A task process (a task a peer runs, WAITING on `task ID`) exits when its task ends. When only',
    'that could move things on, the console keeps waiting (the clock runs on) and a script waits',
    'in real time with the clock still if the network runs tasks; otherwise it fails with ESTALL.',
  ],
  flags: {timeout: {kind: 'value', alias: 't'}},
  async run(args, {kernel, block}) {
    expectPositionals(args, 1);
    const timeout = flagInteger(args, 'timeout', 1);
    const target = args.positionals[0]!;
    if (target === 'all') {
      const start = kernel.now;
      await block(() => kernel.liveProcesses === 0, 'all processes to exit', timeout);
      return {lines: [`all done at t=${kernel.now}`], data: {time: kernel.now, waited: kernel.now - start}};
    }
    const pid = toPid(target);
    if (!kernel.process(pid)) throw new KernelError('ESRCH', `Process ${pid} does not exist.`);
    const hasExited = () => {
      const state = kernel.process(pid)!.state;
      return state === 'zombie' || state === 'terminated';
    };
    await block(hasExited, `pid ${pid} to exit`, timeout);
    const process = kernel.process(pid)!;
    return {
      lines: [
        `pid ${pid} exited with status ${process.exitStatus} at t=${process.completion} (${process.exitReason})`,
      ],
      data: {
        time: kernel.now,
        pid,
        exitStatus: process.exitStatus,
        completion: process.completion,
        reason: process.exitReason,
      },
    };
  },
};
