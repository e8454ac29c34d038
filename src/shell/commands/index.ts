// The command table: name -> command. `help` and completion are generated from it.

import type {Command} from '../command.js';
import {group, login, logout, passwd, useradd, whoami} from './account-commands.js';
import {banker} from './banker.js';
import {pause, resume, speed, step} from './clock-commands.js';
import {deadlock} from './deadlock.js';
import {echo} from './echo.js';
import {batch, cancel, exec, tasks} from './exec.js';
import {cacheCommand, kv, netCommand, peers, quota} from './net-commands.js';
import {events} from './events.js';
import {exit} from './exit.js';
import {download, downloads, files, unshare, upload} from './files-commands.js';
import {fit} from './fit.js';
import {free} from './free.js';
import {help} from './help.js';
import {history} from './history.js';
import {kill} from './kill.js';
import {malloc} from './malloc.js';
import {mem} from './mem.js';
import {mq} from './mq.js';
import {nice} from './nice.js';
import {pane} from './pane.js';
import {ps} from './ps.js';
import {pstree} from './pstree.js';
import {res} from './res.js';
import {sched} from './sched.js';
import {sem} from './sem.js';
import {set} from './set.js';
import {source} from './source.js';
import {spawn} from './spawn.js';
import {tick} from './tick.js';
import {top} from './top.js';
import {trace} from './trace.js';
import {wait} from './wait.js';

export const commands: readonly Command[] = [
  help,
  spawn,
  ps,
  top,
  pstree,
  kill,
  nice,
  wait,
  tick,
  step,
  pause,
  resume,
  speed,
  sched,
  malloc,
  free,
  fit,
  mem,
  sem,
  mq,
  res,
  banker,
  deadlock,
  history,
  peers,
  netCommand,
  exec,
  batch,
  tasks,
  cancel,
  kv,
  cacheCommand,
  quota,
  upload,
  files,
  download,
  downloads,
  unshare,
  useradd,
  login,
  logout,
  whoami,
  passwd,
  group,
  events,
  trace,
  pane,
  source,
  echo,
  set,
  exit,
];

const byName = new Map<string, Command>(commands.map((command) => [command.name, command]));
const ALIASES: Record<string, string> = {quit: 'exit', '?': 'help'};

export function findCommand(name: string): Command | undefined {
  return byName.get(ALIASES[name] ?? name);
}

/** The command name closest to a mistyped one (Damerau-Levenshtein distance at most 2). */
export function suggestCommand(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of byName.keys()) {
    const distance = editDistance(name.toLowerCase(), candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const d: number[][] = Array.from({length: rows}, (_, i) =>
    Array.from({length: columns}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
