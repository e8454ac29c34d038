// kill: send TERM, KILL, STOP or CONT to a process (and, for TERM and KILL, its descendants) or a group.

import type {Signal} from '../../kernel/index.js';
import {toChoice, toPid} from '../args.js';
import type {Command} from '../command.js';
import {ShellError} from '../errors.js';
import {listPids} from '../format.js';

const SIGNALS: readonly Signal[] = ['TERM', 'KILL', 'STOP', 'CONT'];
// The usual numbers for them, as `kill -9 PID` is typed on Linux.
const SIGNAL_NUMBERS: Record<string, Signal> = {'9': 'KILL', '15': 'TERM', '18': 'CONT', '19': 'STOP'};
const VERBS: Record<Signal, string> = {
  TERM: 'terminated',
  KILL: 'killed',
  STOP: 'stopped',
  CONT: 'continued',
};

export const kill: Command = {
  name: 'kill',
  usage: ['kill [-TERM|-KILL|-STOP|-CONT] PID', 'kill [-SIGNAL] -g GROUP'],
  summary: 'Signal a process or a process group',
  details: [
    'TERM (the default) and KILL end the process and all its descendants (exit status 143 and 137).',
    'STOP parks a process in WAITING(stopped) until CONT. A TERM to a stopped process is held until',
    '  CONT, as POSIX holds it; KILL ends a stopped process at once. init (pid 1) cannot be signalled.',
    'Signal numbers work too: -9 is KILL, -15 TERM, -18 CONT, -19 STOP.',
  ],
  rawWords: true,
  run(args, {kernel}) {
    const words = [...args.positionals];
    let signalWord: string | undefined;
    let signal: Signal = 'TERM';
    let group: string | undefined;
    let target: string | undefined;
    for (let i = 0; i < words.length; i++) {
      const word = words[i]!;
      if (word === '-g' || word === '--group') {
        // refused as parseArgs refuses any option given twice, rather than the last one winning
        if (group !== undefined) throw new ShellError('EUSAGE', `Option ${word} given twice.`);
        group = words[++i];
        if (group === undefined) throw new ShellError('EUSAGE', 'Option -g needs a group.');
      } else if (word.startsWith('-') && word.length > 1) {
        // A pid is never negative, so `-9` is a signal number, not a target.
        const name = word.replace(/^--?/, '').replace(/^SIG/i, '').toUpperCase();
        signal = toChoice(SIGNAL_NUMBERS[name] ?? name, 'signal', SIGNALS);
        if (signalWord !== undefined)
          throw new ShellError('EUSAGE', `Signal given twice: \`${signalWord}\` and \`${word}\`.`);
        signalWord = word;
      } else if (target === undefined) {
        target = word;
      } else {
        throw new ShellError('EUSAGE', `Too many arguments: \`${word}\`.`);
      }
    }
    if ((group === undefined) === (target === undefined))
      throw new ShellError('EUSAGE', 'Give a PID or -g GROUP.');
    const pids = group !== undefined ? kernel.killGroup(group, signal) : kernel.kill(toPid(target!), signal);
    const hasEnded = (pid: number) => kernel.process(pid)?.state === 'terminated';
    if (pids.length === 0) {
      const already = signal === 'STOP' ? 'stopped' : signal === 'CONT' ? 'running' : 'holding a TERM';
      return {lines: [`nothing to do (already ${already})`], data: {signal, pids, group: group ?? null}};
    }
    const lines: string[] = [];
    if (signal === 'TERM') {
      // a stopped process holds the TERM until CONT (POSIX); the others end now
      const ended = pids.filter(hasEnded);
      const held = pids.filter((pid) => !hasEnded(pid));
      if (ended.length > 0) lines.push(`terminated ${listPids(ended)}`);
      if (held.length > 0)
        lines.push(
          `TERM held for stopped ${listPids(held)} until CONT (\`kill -CONT PID\`); \`kill -KILL PID\` ends it now`,
        );
    } else if (signal === 'CONT') {
      // a process continued with a TERM held ends now, its descendants with it
      const continued = pids.filter(
        (pid) => !kernel.process(pid)?.exitReason?.startsWith('killed with its ancestor'),
      );
      const ended = pids.filter(hasEnded);
      lines.push(`continued ${listPids(continued)}`);
      if (ended.length > 0) lines.push(`the TERM held then terminated ${listPids(ended)}`);
    } else lines.push(`${VERBS[signal]} ${listPids(pids)}`);
    return {lines, data: {signal, pids, group: group ?? null}};
  },
};
