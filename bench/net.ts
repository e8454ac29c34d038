// Network figures against a peer in another process: `p2pos tracker` and `p2pos serve` run as
// children of the bench, which connects to the peer as a client. A bare ECHO over the protocol's
// framing is the floor; a small task (`main(x) => x`) in the peer's warm sandbox is measured beside
// it, then in a fresh context per task, then answered from the result cache. Round trips one at a
// time give the percentiles; 16 requests kept in flight give the rate. Runs bin/p2pos.js, so build
// first. The peer lifts its task quota (P2POS_TASKS_PER_MINUTE): 600 a minute would refuse the rate.

import {spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {connect, type Connection, type Outgoing} from '../src/net/connection.js';
import type {TaskOutcome, TaskSpec} from '../src/net/messages.js';
import {formatSecret, generateSecret} from '../src/net/network-secret.js';
import {secondsSince, type Figure, type Section} from './figure.js';

const BIN = fileURLToPath(new URL('../bin/p2pos.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const IN_FLIGHT = 16;
const ECHO_WARMUP = 2_000;
const ECHO_RUNS = 5_000;
const TASK_WARMUP = 2_000;
const TASK_RUNS = 5_000;
/** A fresh context per task costs a context's creation (~0.5 ms): fewer runs keep the bench short. */
const FRESH_WARMUP = 200;
const FRESH_RUNS = 1_000;
const CACHED_WARMUP = 200;
const CACHED_RUNS = 2_000;
const RATE_SECONDS = 2;
const CODE = 'function main(x){return x}';

interface Child {
  process: ChildProcess;
  /** The output so far (stdout and stderr), for an error message. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp, what: string): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL if it has not exited in STOP_TIMEOUT_MS. */
  stop(): Promise<void>;
}

function startChild(args: string[], env: NodeJS.ProcessEnv): Child {
  // Not detached: a Ctrl-C of the bench reaches the children too. A killed peer's sandbox host
  // exits by itself when its stdin closes.
  const child = spawn(process.execPath, [BIN, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env});
  let output = '';
  const waiters = new Set<() => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const onText = (text: string) => {
    output = (output + text).slice(-64 * 1024);
    for (const check of waiters) check();
  };
  child.stdout!.setEncoding('utf8').on('data', onText);
  child.stderr!.setEncoding('utf8').on('data', onText);
  child.once('exit', () => onText(''));
  return {
    process: child,
    output: () => output,
    waitFor: (pattern, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${what} within ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        );
        const finish = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(new Error(`p2pos ${args[0]}: ${error.message}; its output:\n${output}`));
          else resolve(match!);
        };
        const check = () => {
          const match = pattern.exec(output);
          if (match) finish(undefined, match);
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(new Error(`exited (${child.exitCode ?? child.signalCode}) before its ${what}`));
        };
        waiters.add(check);
        check();
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Microseconds of each of `runs` round trips made one at a time, after `warmup` unmeasured ones. */
async function roundTrips(
  warmup: number,
  runs: number,
  send: (i: number) => Promise<void>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await send(i);
  const micros: number[] = new Array(runs);
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await send(warmup + i);
    micros[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return micros.sort((a, b) => a - b);
}

/** Round trips a second with IN_FLIGHT requests kept outstanding for `seconds`. */
async function rate(seconds: number, send: (i: number) => Promise<void>): Promise<number> {
  let sent = 0;
  let done = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  const lane = async () => {
    while (process.hrtime.bigint() < deadline) {
      await send(sent++);
      done++;
    }
  };
  await Promise.all(Array.from({length: IN_FLIGHT}, lane));
  return done / secondsSince(start);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** A tracker and a `p2pos serve` peer as children, and this process's link to the peer. */
interface PeerUnderTest {
  link: Connection;
  stop(): Promise<void>;
}

/**
 * Start a tracker and a peer whose links are TLS keyed from `secret`, or plain TCP (--insecure) when
 * it is undefined, and connect to the peer the same way.
 */
async function startPeerUnderTest(secret: Buffer | undefined): Promise<PeerUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'p2pos-bench-net-'));
  const env = {
    ...process.env,
    P2POS_DATA: dataDir,
    P2POS_TASKS_PER_MINUTE: 'Infinity',
    NO_COLOR: '1',
    P2POS_SECRET: secret === undefined ? '' : formatSecret(secret),
    P2POS_JOIN: '',
  };
  const links = secret === undefined ? ['--insecure'] : [];
  const children: Child[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await child.stop(); // the peer first: it unregisters
    rmSync(dataDir, {recursive: true, force: true});
  };
  try {
    const tracker = startChild(['tracker', '--port', '0', '--data', dataDir, ...links], env);
    children.push(tracker);
    const [, , trackerHost, trackerPort] = await tracker.waitFor(
      /tracker (\S+) on (\S+):(\d+)\n/,
      'tracker line',
    );
    const peer = startChild(
      [
        'serve',
        '--tracker',
        `${trackerHost}:${trackerPort}`,
        '--port',
        '0',
        '--data',
        dataDir,
        '--name',
        'bench-peer',
        ...links,
      ],
      env,
    );
    children.push(peer);
    const [, , , peerHost, peerPort] = await peer.waitFor(
      /peer (\S+) \((.*)\) listening on (\S+):(\d+)\n/,
      'listening line',
    );
    const link = await connect({
      host: peerHost!,
      port: Number(peerPort),
      hello: {peer: `bench-${randomBytes(4).toString('hex')}`, role: 'client', name: 'bench'},
      secret,
    });
    return {
      link,
      stop: async () => {
        link.close('bench done');
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Senders of ECHO and of tasks over `link`: each task has a new id; `args` gives its arguments from the run's index. */
function senders(link: Connection) {
  const echo = async () => {
    await link.request({type: 'ECHO', data: 1});
  };
  const prefix = randomBytes(4).toString('hex');
  let nextTask = 0;
  const task =
    (options: Pick<TaskSpec, 'noCache' | 'warm'>, args: (i: number) => unknown[], expectCached = false) =>
    async (i: number) => {
      const spec: TaskSpec = {
        taskId: `${prefix}-${nextTask++}`,
        code: CODE,
        fn: 'main',
        args: args(i),
        timeoutMs: 5_000,
        priority: 0,
        ...options,
      };
      const answer = await link.request({type: 'EXEC', task: spec} satisfies Outgoing);
      const outcome = answer.outcome as TaskOutcome;
      if (!outcome.ok) throw new Error(`Task ${spec.taskId} failed: ${outcome.code}: ${outcome.message}`);
      if (expectCached && !outcome.cached)
        throw new Error(`Task ${spec.taskId} was not answered from the cache.`);
    };
  return {echo, task, warm: task({noCache: true, warm: true}, (i) => [i])};
}

export const netSection: Section = async () => {
  // Links are TLS keyed from one network secret, as by default; a second, shorter run over plain TCP
  // (--insecure) shows what TLS costs.
  const secured = await startPeerUnderTest(generateSecret());
  let figures: Figure[];
  try {
    const {echo, task, warm} = senders(secured.link);
    const fresh = task({noCache: true, warm: false}, (i) => [i]);

    const echoRtt = await roundTrips(ECHO_WARMUP, ECHO_RUNS, echo);
    const echoRate = await rate(RATE_SECONDS, echo);
    const taskRtt = await roundTrips(TASK_WARMUP, TASK_RUNS, warm);
    const taskRate = await rate(RATE_SECONDS, warm);
    const freshRtt = await roundTrips(FRESH_WARMUP, FRESH_RUNS, fresh);
    const freshRate = await rate(RATE_SECONDS / 2, fresh);
    // the first task computes [1] and fills the cache; every later one is a hit
    await task({noCache: false, warm: true}, () => [1])(0);
    const cachedRtt = await roundTrips(
      CACHED_WARMUP,
      CACHED_RUNS,
      task({noCache: false, warm: true}, () => [1], true),
    );

    const echoP50 = percentile(echoRtt, 0.5);
    const taskP50 = percentile(taskRtt, 0.5);
    const ratio = taskP50 / echoP50;
    figures = [
      {
        key: 'echo_rtt_p50_us',
        value: round(echoP50),
        unit: 'us',
        label: `ECHO to a peer process over TLS, one at a time, median of ${ECHO_RUNS.toLocaleString('en-US')}`,
      },
      {
        key: 'echo_per_s_16_in_flight',
        value: Math.round(echoRate),
        unit: 'req/s',
        label: `ECHO round trips over TLS with ${IN_FLIGHT} in flight for ${RATE_SECONDS} s`,
      },
      {
        key: 'task_rtt_p50_us',
        value: round(taskP50),
        unit: 'us',
        label: `EXEC of main(x) in the peer's warm sandbox over TLS, no cache, median of ${TASK_RUNS.toLocaleString('en-US')}`,
      },
      {
        key: 'task_rtt_p99_us',
        value: round(percentile(taskRtt, 0.99)),
        unit: 'us',
        label: 'the same, 99th percentile',
      },
      {
        key: 'task_vs_echo_p50_ratio',
        value: round(ratio),
        unit: 'x',
        label: 'task round trip over a bare ECHO, medians, both over TLS',
        target: '<= 3',
        met: ratio <= 3,
      },
      {
        key: 'tasks_per_s_16_in_flight',
        value: Math.round(taskRate),
        unit: 'tasks/s',
        label: `warm tasks over TLS with ${IN_FLIGHT} in flight for ${RATE_SECONDS} s`,
        target: '>= 20,000',
        met: taskRate >= 20_000,
      },
      {
        key: 'tasks_vs_echo_per_s_ratio',
        value: Math.round((taskRate / echoRate) * 1000) / 1000,
        unit: 'x',
        label: `tasks/s over ECHO/s, ${IN_FLIGHT} in flight, both over TLS (the issue's reference machine: 20,000 / 110,000 = 0.18)`,
      },
      {
        key: 'task_rtt_p50_us_fresh',
        value: round(percentile(freshRtt, 0.5)),
        unit: 'us',
        label: `a fresh context per task, median of ${FRESH_RUNS.toLocaleString('en-US')}`,
      },
      {
        key: 'tasks_per_s_16_in_flight_fresh',
        value: Math.round(freshRate),
        unit: 'tasks/s',
        label: `fresh-context tasks with ${IN_FLIGHT} in flight for ${RATE_SECONDS / 2} s`,
      },
      {
        key: 'task_rtt_p50_us_cached',
        value: round(percentile(cachedRtt, 0.5)),
        unit: 'us',
        label: `the same task answered from the result cache, median of ${CACHED_RUNS.toLocaleString('en-US')}`,
      },
    ];
  } finally {
    await secured.stop();
  }

  const plain = await startPeerUnderTest(undefined);
  try {
    const {echo, warm} = senders(plain.link);
    const echoRtt = await roundTrips(ECHO_WARMUP, ECHO_RUNS, echo);
    const echoRate = await rate(RATE_SECONDS, echo);
    const taskRtt = await roundTrips(TASK_WARMUP, TASK_RUNS, warm);
    const taskRate = await rate(RATE_SECONDS, warm);
    const ratio = percentile(taskRtt, 0.5) / percentile(echoRtt, 0.5);
    figures.push(
      {
        key: 'echo_rtt_p50_us_plain',
        value: round(percentile(echoRtt, 0.5)),
        unit: 'us',
        label: 'the same ECHO over plain TCP (--insecure)',
      },
      {
        key: 'echo_per_s_16_in_flight_plain',
        value: Math.round(echoRate),
        unit: 'req/s',
        label: `ECHO over plain TCP, ${IN_FLIGHT} in flight`,
      },
      {
        key: 'task_rtt_p50_us_plain',
        value: round(percentile(taskRtt, 0.5)),
        unit: 'us',
        label: 'the same warm task over plain TCP (--insecure)',
      },
      {
        key: 'task_vs_echo_p50_ratio_plain',
        value: round(ratio),
        unit: 'x',
        label: 'task round trip over a bare ECHO, both over plain TCP',
      },
      {
        key: 'tasks_vs_echo_per_s_ratio_plain',
        value: Math.round((taskRate / echoRate) * 1000) / 1000,
        unit: 'x',
        label: `tasks/s over ECHO/s, ${IN_FLIGHT} in flight, both over plain TCP`,
      },
      {
        key: 'tasks_per_s_16_in_flight_plain',
        value: Math.round(taskRate),
        unit: 'tasks/s',
        label: `warm tasks over plain TCP with ${IN_FLIGHT} in flight`,
      },
    );
  } finally {
    await plain.stop();
  }
  return figures;
};

const round = (value: number) => Math.round(value * 10) / 10;
