// Tab completion over the command table and the kernel's names: command names, sub-commands, flags,
// pids, and the names a command takes (semaphores for `sem`, policies for `sched`, panes for `pane`).
// Pure: it reads the kernel, never changes it.

import {FIT_POLICY_NAMES, INIT_PID, SCHEDULER_NAMES, type Kernel} from '../kernel/index.js';
import {commands, findCommand} from './commands/index.js';
import {PANE_NAMES} from './ui/layout.js';
import {TOP_SORT_KEYS} from './ui/top-rows.js';

export interface Completion {
  /** The word being completed (the text after the last space). */
  word: string;
  /** Every candidate that starts with `word`, sorted, without duplicates. */
  candidates: string[];
  /** The longest text every candidate starts with (at least `word`). */
  common: string;
}

/** Extra names some commands take, beyond sub-commands, flags and pids. */
const NAMED_ARGUMENTS: Record<
  string,
  (kernel: Kernel, position: number, words: readonly string[]) => string[]
> = {
  help: () => commands.map((command) => command.name),
  sched: (_, position) => (position === 1 ? [...SCHEDULER_NAMES] : []),
  fit: (_, position) => (position === 1 ? [...FIT_POLICY_NAMES] : []),
  sem: (kernel, position) => (position === 2 ? kernel.semaphoreViews().map((s) => s.name) : []),
  mq: (kernel, position) => (position === 2 ? kernel.queueViews().map((q) => q.name) : []),
  res: (kernel, position) => (position === 2 ? kernel.resourceViews().resources.map((r) => r.name) : []),
  kill: () => ['-TERM', '-KILL', '-STOP', '-CONT', '-g'],
  wait: (_, position) => (position === 1 ? ['all'] : []),
  pane: (_, position, words) => {
    if (position !== 2) return [];
    if (words[1] === 'sort') return [...TOP_SORT_KEYS];
    return words[1] === 'focus' ? [...PANE_NAMES, 'output'] : [...PANE_NAMES];
  },
};

/** Commands whose arguments are never pids. */
const NO_PIDS = new Set([
  'help',
  'upload',
  'files',
  'download',
  'downloads',
  'unshare',
  'sched',
  'fit',
  'pane',
  'echo',
  'set',
  'trace',
  'speed',
  'source',
  'history',
  'events',
]);

/** Complete the last word of `before` (the line up to the cursor). */
export function complete(before: string, kernel: Kernel): Completion {
  const words = before.split(' ');
  const word = words[words.length - 1] ?? '';
  const position = words.length - 1;
  let pool: string[];
  if (position === 0) {
    pool = commands.map((command) => command.name);
  } else {
    const name = words[0]!;
    const command = findCommand(name);
    pool = [
      ...(position === 1 ? (command?.subcommands ?? []) : []),
      ...(NAMED_ARGUMENTS[command?.name ?? '']?.(kernel, position, words) ?? []),
      ...(word.startsWith('-') ? Object.keys(command?.flags ?? {}).map((flag) => `--${flag}`) : []),
    ];
    if (command && !NO_PIDS.has(command.name) && !word.startsWith('-')) {
      for (const process of kernel.listProcesses())
        if (process.pid !== INIT_PID) pool.push(String(process.pid));
    }
  }
  const candidates = [...new Set(pool.filter((candidate) => candidate.startsWith(word)))].sort(
    compareCandidates,
  );
  return {word, candidates, common: commonPrefix(candidates, word)};
}

/** Numbers in numeric order (pid 10 after pid 9), then names alphabetically. */
function compareCandidates(a: string, b: string): number {
  const isNumberA = /^\d+$/.test(a);
  const isNumberB = /^\d+$/.test(b);
  if (isNumberA && isNumberB) return Number(a) - Number(b);
  if (isNumberA !== isNumberB) return isNumberA ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function commonPrefix(candidates: readonly string[], word: string): string {
  if (candidates.length === 0) return word;
  let prefix = candidates[0]!;
  for (const candidate of candidates) {
    let i = 0;
    while (i < prefix.length && i < candidate.length && prefix[i] === candidate[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix.length > word.length ? prefix : word;
}
