// End-to-end figures of the shipped binary: start-up beside a bare `node -e 0` (the floor), and
// script mode throughput with 10,000 piped commands. Runs bin/p2pos.js, so build first.

import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {type Figure, median, secondsSince, type Section} from './figure.js';
import {seededRandom} from '../src/kernel/index.js';

const BIN = fileURLToPath(new URL('../bin/p2pos.js', import.meta.url));
const RUNS = 15;

function timeCommand(args: string[], input?: string, dataDir?: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, {
    input,
    encoding: 'utf8',
    env: {...process.env, P2POS_DATA: dataDir ?? ''},
  });
  const seconds = secondsSince(start);
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr.slice(0, 500)}`);
  return seconds * 1000;
}

/**
 * A 10,000-command lab: spawns, ticks, memory, semaphores, queues and listings, all succeeding.
 * Time advances about as fast as work arrives, so a few dozen processes are live at once, as in
 * a class exercise (a backlog of thousands would measure ps's formatting, not the shell).
 */
export function benchScript(commands = 10_000): string {
  const random = seededRandom(7);
  const lines = ['sched rr --quantum 3', 'sem create S 2', 'mq create q --cap 1000'];
  const blocks: string[] = [];
  let sent = 0;
  while (lines.length < commands) {
    const roll = random();
    if (roll < 0.3)
      lines.push(
        `spawn w${lines.length} --burst ${1 + Math.floor(random() * 9)} --priority ${Math.floor(random() * 5)}`,
      );
    else if (roll < 0.5) lines.push(`tick ${1 + Math.floor(random() * 19)}`);
    else if (roll < 0.6) {
      lines.push(`malloc ${16 + Math.floor(random() * 256)}`);
      blocks.push('pending');
    } else if (roll < 0.65) lines.push('mem');
    else if (roll < 0.75) lines.push('sem signal S');
    else if (roll < 0.8) lines.push('sched queue');
    else if (roll < 0.9 && sent < 900) {
      lines.push(`mq send q m${sent++}`);
    } else if (roll < 0.95 && sent > 0) {
      lines.push('mq recv q');
      sent--;
    } else lines.push('ps');
  }
  lines.push('wait all');
  return lines.join('\n') + '\n';
}

export const cliSection: Section = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'p2pos-bench-'));
  try {
    timeCommand(['-e', '0']);
    timeCommand([BIN, '--data', dataDir, '-c', 'exit'], undefined, dataDir);
    const node = median(Array.from({length: RUNS}, () => timeCommand(['-e', '0'])));
    const startup = median(
      Array.from({length: RUNS}, () =>
        timeCommand([BIN, '--data', dataDir, '-c', 'exit'], undefined, dataDir),
      ),
    );
    const script = benchScript();
    const scriptMs = median(
      Array.from({length: 3}, () => timeCommand([BIN, '--data', dataDir], script, dataDir)),
    );
    const commandsPerSecond = 10_000 / (scriptMs / 1000);
    return [
      {
        key: 'node_startup_ms',
        value: round(node),
        unit: 'ms',
        label: 'bare `node -e 0`, median of 15 (the floor)',
      },
      {
        key: 'startup_ms',
        value: round(startup),
        unit: 'ms',
        label: "`p2pos -c 'exit'` end to end, median of 15",
        target: '< 200',
        met: startup < 200,
      },
      {
        key: 'startup_ratio_vs_node',
        value: round(startup / node),
        unit: 'x',
        label: 'p2pos start-up over bare node',
        target: '<= 3.5',
        met: startup / node <= 3.5,
      },
      {
        key: 'script_commands_per_s',
        value: Math.round(commandsPerSecond),
        unit: 'cmds/s',
        label: '10,000 commands piped into the binary, start-up included',
        target: '>= 20,000',
        met: commandsPerSecond >= 20_000,
      },
    ];
  } finally {
    rmSync(dataDir, {recursive: true, force: true});
  }
};

const round = (value: number) => Math.round(value * 10) / 10;
