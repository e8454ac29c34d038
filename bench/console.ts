// Console figures of the shipped binary in a pseudo-terminal (util-linux `script`, 120x40): time to
// the first frame beside bare node in the same harness, keystroke-to-screen latency with 1,000 live
// processes at 10 Hz, and the CPU the console uses idling with them. Reads the raw output stream:
// Ink redraws whole frames, so with escape codes stripped a frame holds its status and prompt lines
// whole. Runs bin/p2pos.js, so build first; needs `script` (util-linux) and Linux's /proc.

import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {type Figure, median, secondsSince, type Section} from './figure.js';

const BIN = fileURLToPath(new URL('../bin/p2pos.js', import.meta.url));
const COLUMNS = 120;
const ROWS = 40;
const FIRST_FRAME_RUNS = 7;
const LIVE_PROCESSES = 1_000;
const KEYSTROKES = 40;
const CPU_SAMPLE_MS = 3_000;
const WAIT_MS = 20_000;
/** Only the newest output is searched: a 120x40 frame with its colour codes is well under this. */
const SCAN_WINDOW_CHARS = 128 * 1024;
// CSI and OSC/DCS sequences, charset selection, keypad and cursor save/restore; and the carriage
// returns the terminal adds before each newline
// eslint-disable-next-line no-control-regex
const ESCAPES =
  /\u001B\[[0-?]*[ -/]*[@-~]|\u001B[\]P^_][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[()][0-9A-Za-z]|\u001B[=>78]|\r/g;

/** Single-quote a word for sh. */
const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

interface Pty {
  /** When `script` was spawned (process.hrtime.bigint()). */
  start: bigint;
  /** Everything written to the terminal so far, escape codes and all. */
  output(): string;
  /** Resolves with the time (hrtime) the text written since `from` (an output() length) first satisfies `matches`. */
  waitFor(matches: (text: string) => boolean, what: string, from?: number): Promise<bigint>;
  write(keys: string): void;
  /** The pid of the program inside the terminal (not `script`'s). */
  programPid(): number;
  /** End the program and `script`; resolves once both are gone. */
  close(): Promise<void>;
}

/** Run `argv` in a fresh COLUMNS x ROWS pseudo-terminal; stdin is the keyboard, stdout the screen. */
function startPty(argv: string[]): Pty {
  const command = `stty cols ${COLUMNS} rows ${ROWS} && exec ${argv.map(shellQuote).join(' ')}`;
  const start = process.hrtime.bigint();
  // detached: script leads its own process group, so close() can end it and whatever it started
  const child: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: {...process.env, TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined},
  });
  let raw = '';
  let failure: Error | undefined;
  const waiters = new Set<() => void>();
  const exited = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
    for (const check of waiters) check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk));
  child.on('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? new Error('`script` (util-linux) is missing; the console bench needs it.')
        : error;
    for (const check of waiters) check();
  });
  child.on('close', () => {
    failure ??= new Error(`${argv.join(' ')} left the terminal`);
    for (const check of waiters) check();
  });

  const pty: Pty = {
    start,
    output: () => raw,
    waitFor(matches, what, from = 0) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`Timed out waiting for ${what}.`)), WAIT_MS);
        const finish = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) {
            const screen = raw.slice(-4000).replace(ESCAPES, '');
            reject(new Error(`${error.message} Last output:\n${screen}`));
          } else resolve(process.hrtime.bigint());
        };
        const check = () => {
          const text = raw.slice(Math.max(from, raw.length - SCAN_WINDOW_CHARS)).replace(ESCAPES, '');
          if (matches(text)) finish();
          else if (failure) finish(failure);
        };
        waiters.add(check);
        check();
      });
    },
    write(keys) {
      child.stdin!.write(keys);
    },
    programPid() {
      // script runs `sh -c 'stty …; exec PROGRAM'`: once stty is done, its one child is the program
      // (which may rename itself, as p2pos does, so it is found by parentage, not by name)
      const [pid] = childrenOf(child.pid!);
      if (pid === undefined) throw new Error(`${argv[0]} is not running inside the terminal.`);
      return pid;
    },
    async close() {
      if (child.pid === undefined) return; // never started
      // the program first: script then exits by itself and reaps it (a killed script would leave
      // the program to init, and print "Session terminated")
      const program = childrenOf(child.pid);
      for (const pid of program) signal(pid, 'SIGTERM');
      const timer = setTimeout(() => {
        for (const pid of program) signal(pid, 'SIGKILL');
        signal(-child.pid!, 'SIGKILL');
      }, 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return pty;
}

/** Send a signal to a pid we started; one that is already gone is fine. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Pids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = readStat(Number(entry));
    if (fields && Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/** /proc/PID/stat from field 3 (state) on, or undefined when the process is gone. */
function readStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used, in seconds. */
function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const fields = readStat(pid);
  if (!fields) throw new Error(`Process ${pid} is gone.`);
  // fields[11] and [12] are utime and stime (fields 14 and 15), in clock ticks
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

const hasFirstFrame = (text: string) => text.includes('p2pos ▶') && /^p2pos>/m.test(text);

async function timeFirstFrame(dataDir: string): Promise<number> {
  const pty = startPty([process.execPath, BIN, '--data', dataDir]);
  try {
    const shown = await pty.waitFor(hasFirstFrame, 'the first frame');
    return Number(shown - pty.start) / 1e6;
  } finally {
    await pty.close();
  }
}

async function timeNodeLine(): Promise<number> {
  const pty = startPty([process.execPath, '-e', 'process.stdout.write("node-is-up\\n")']);
  try {
    const shown = await pty.waitFor((text) => text.includes('node-is-up'), 'node to print');
    return Number(shown - pty.start) / 1e6;
  } finally {
    await pty.close();
  }
}

/**
 * 1,000 processes in every state a class sees: most compute, some block on a semaphore nobody
 * signals, some on long io. Round robin and 3,000 ticks stepped at once let each reach its op.
 */
function liveProcessesScript(): string {
  const lines = ['sched rr --quantum 2', 'sem create S 0'];
  for (let i = 1; i <= LIVE_PROCESSES; i++) {
    const program =
      i % 4 === 2 ? 'sem wait S, cpu 100000' : i % 4 === 3 ? 'io 100000, cpu 100000' : 'cpu 100000';
    lines.push(`spawn p${i} --prog '${program}'${i % 2 === 0 ? ' --mem 512' : ''}`);
  }
  lines.push('step 3000');
  return lines.join('\n') + '\n';
}

/** The value below which `fraction` of the samples lie (nearest rank). */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!;
}

const round = (value: number) => Math.round(value * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const consoleSection: Section = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'p2pos-bench-'));
  try {
    await timeNodeLine(); // warm the disk cache for both
    await timeFirstFrame(dataDir);
    const nodeMs: number[] = [];
    const frameMs: number[] = [];
    for (let run = 0; run < FIRST_FRAME_RUNS; run++) {
      nodeMs.push(await timeNodeLine());
      frameMs.push(await timeFirstFrame(dataDir));
    }
    const firstFrame = median(frameMs);

    const labFile = join(dataDir, 'live-1000.txt');
    writeFileSync(labFile, liveProcessesScript());
    const pty = startPty([process.execPath, BIN, '--data', dataDir]);
    let cpuPercent: number;
    const echoMs: number[] = [];
    try {
      await pty.waitFor(hasFirstFrame, 'the first frame');
      let from = pty.output().length;
      pty.write(`source ${labFile}\r`);
      // in the newest frame, the status line counts every process and the prompt is back
      await pty.waitFor(
        (text) => {
          const frame = text.slice(text.lastIndexOf('p2pos ▶'));
          return frame.includes(`${LIVE_PROCESSES} procs`) && /^p2pos> *\n.*F1 keys/m.test(frame);
        },
        `${LIVE_PROCESSES} live processes`,
        from,
      );
      await sleep(500); // let the burst of output from `source` settle

      const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).stdout) || 100;
      const pid = pty.programPid();
      const before = cpuSeconds(pid, ticksPerSecond);
      const sampleStart = process.hrtime.bigint();
      await sleep(CPU_SAMPLE_MS);
      cpuPercent = ((cpuSeconds(pid, ticksPerSecond) - before) / secondsSince(sampleStart)) * 100;

      from = pty.output().length;
      pty.write('echo ');
      await pty.waitFor((text) => /^p2pos> echo +$/m.test(text), '`echo ` on the prompt line', from);
      const letters = 'abcdefghijklmnopqrstuvwxyz';
      let typed = '';
      for (let i = 0; i < KEYSTROKES; i++) {
        const letter = letters[i % letters.length]!;
        typed += letter;
        from = pty.output().length;
        const pressed = process.hrtime.bigint();
        pty.write(letter);
        const shown = await pty.waitFor(
          (text) => text.includes(`p2pos> echo ${typed}`),
          `\`${typed}\` on the prompt line`,
          from,
        );
        echoMs.push(Number(shown - pressed) / 1e6);
        // land the keys at different points of the 100 ms tick (not a fixed phase)
        await sleep(20 + Math.random() * 100);
      }
    } finally {
      await pty.close();
    }

    return [
      {
        key: 'console_pty_node_startup_ms',
        value: round(median(nodeMs)),
        unit: 'ms',
        label: `bare node printing a line in the same pty harness, median of ${FIRST_FRAME_RUNS} (the floor)`,
      },
      {
        key: 'console_first_frame_ms',
        value: round(firstFrame),
        unit: 'ms',
        label: `spawn to status line and prompt on screen, real binary in a ${COLUMNS}x${ROWS} pty, median of ${FIRST_FRAME_RUNS}`,
        target: '< 400',
        met: firstFrame < 400,
      },
      {
        key: 'console_keystroke_echo_ms_p50',
        value: round(percentile(echoMs, 0.5)),
        unit: 'ms',
        label: `key written to the pty until the prompt line shows it, ${LIVE_PROCESSES} live processes, 10 Hz, real binary, ${KEYSTROKES} keys`,
      },
      {
        key: 'console_keystroke_echo_ms_p95',
        value: round(percentile(echoMs, 0.95)),
        unit: 'ms',
        label: 'the same, 95th percentile',
      },
      {
        key: 'console_cpu_percent_10hz_1000_procs',
        value: round(cpuPercent),
        unit: '%',
        label: `CPU of the p2pos process (one core = 100) over ${CPU_SAMPLE_MS / 1000} s idle at 10 Hz with ${LIVE_PROCESSES} live processes`,
      },
    ];
  } finally {
    rmSync(dataDir, {recursive: true, force: true});
  }
};
