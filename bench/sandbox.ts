// Bench section: the task sandbox (src/net/sandbox). A CPU-heavy function (a prime sieve) timed
// inside the sandbox against the same function run by Node in this process; then per-task latency
// through the pool, one task at a time, fresh and warm; then warm throughput with 16 tasks in flight.
// Needs dist/sandbox-host.js (npm run bench builds first).
// Run alone: node --import tsx -e "import('./bench/sandbox.ts').then(async m => console.log(await m.benchSandbox()))"

import {createSandboxPool, type SandboxPool, type SandboxTask} from '../src/net/sandbox/pool.js';
import {median, type Figure} from './figure.js';

const SIEVE_CODE = `function main(limit) {
  const composite = new Uint8Array(limit + 1);
  let count = 0;
  for (let n = 2; n <= limit; n++) {
    if (composite[n]) continue;
    count++;
    for (let multiple = n * n; multiple <= limit; multiple += n) composite[multiple] = 1;
  }
  return count;
}`;
const SIEVE_LIMIT = 2_000_000;
const PRIMES_BELOW_LIMIT = 148_933;
const SIEVE_RUNS = 9; // the median: a run or two lands on a GC or a busy neighbour
const TINY_CODE = 'function main(n) { return n + 1 }';
const FRESH_TASKS = 300;
const WARM_TASKS = 2000;
const THROUGHPUT_SECONDS = 3;
const IN_FLIGHT = 16;
const RATIO_TARGET = 1.5;
const TASKS_PER_S_TARGET = 20_000;

let nextId = 0;

function task(code: string, args: unknown[], isolation: 'fresh' | 'warm'): SandboxTask {
  return {id: `bench-${nextId++}`, code, fn: 'main', args, timeoutMs: 10_000, isolation, scope: 'bench'};
}

async function runOk(
  pool: SandboxPool,
  sandboxTask: SandboxTask,
): Promise<{result: unknown; execMs: number}> {
  const outcome = await pool.run(sandboxTask);
  if (!outcome.ok) throw new Error(`bench task failed: ${outcome.code} ${outcome.message}`);
  return outcome;
}

// The sieve's time inside the sandbox (execMs: the call alone, no IPC) and in this process.
async function sieveMs(pool: SandboxPool): Promise<{sandbox: number; node: number}> {
  const sieve = (0, eval)(`(${SIEVE_CODE.replace('function main', 'function')})`) as (
    limit: number,
  ) => number;
  const sandbox: number[] = [];
  const node: number[] = [];
  await runOk(pool, task(SIEVE_CODE, [SIEVE_LIMIT], 'warm')); // warm-up: loads the code, JIT
  sieve(SIEVE_LIMIT);
  for (let run = 0; run < SIEVE_RUNS; run++) {
    const {result, execMs} = await runOk(pool, task(SIEVE_CODE, [SIEVE_LIMIT], 'warm'));
    if (result !== PRIMES_BELOW_LIMIT)
      throw new Error(`the sandboxed sieve counted ${String(result)} primes`);
    sandbox.push(execMs);
    const start = performance.now();
    if (sieve(SIEVE_LIMIT) !== PRIMES_BELOW_LIMIT) throw new Error('the sieve is wrong');
    node.push(performance.now() - start);
  }
  return {sandbox: median(sandbox), node: median(node)};
}

// Median round trip of one task at a time through the pool, in µs.
async function latencyUs(pool: SandboxPool, isolation: 'fresh' | 'warm', count: number): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < count; index++) {
    const start = performance.now();
    await runOk(pool, task(TINY_CODE, [index], isolation));
    times.push((performance.now() - start) * 1000);
  }
  return median(times);
}

// Tiny warm tasks with `inFlight` always outstanding, for `seconds`.
async function warmTasksPerSecond(pool: SandboxPool, inFlight: number, seconds: number): Promise<number> {
  let done = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await runOk(pool, task(TINY_CODE, [done], 'warm'));
      done++;
    }
  };
  await Promise.all(Array.from({length: inFlight}, worker));
  return done / ((performance.now() - start) / 1000);
}

/** Sandbox overhead on CPU-bound code, per-task latency, and warm throughput through one host. */
export async function benchSandbox(): Promise<Figure[]> {
  const pool = createSandboxPool();
  try {
    const sieve = await sieveMs(pool);
    await latencyUs(pool, 'warm', 200); // warm-up for the round trips
    const freshUs = await latencyUs(pool, 'fresh', FRESH_TASKS);
    const warmUs = await latencyUs(pool, 'warm', WARM_TASKS);
    await warmTasksPerSecond(pool, IN_FLIGHT, 0.5);
    const perSecond = await warmTasksPerSecond(pool, IN_FLIGHT, THROUGHPUT_SECONDS);
    const ratio = sieve.sandbox / sieve.node;
    return [
      {
        key: 'sandbox_vs_node_ratio',
        value: Math.round(ratio * 100) / 100,
        unit: 'x',
        label: `prime sieve to ${SIEVE_LIMIT.toLocaleString('en-US')}, median of ${SIEVE_RUNS}: ${sieve.sandbox.toFixed(1)} ms in the sandbox, ${sieve.node.toFixed(1)} ms in Node`,
        target: `<= ${RATIO_TARGET}`,
        met: ratio <= RATIO_TARGET,
      },
      {
        key: 'sandbox_fresh_task_us',
        value: Math.round(freshUs),
        unit: 'µs',
        label: `tiny task in a new context, one at a time through the pool, median of ${FRESH_TASKS}`,
      },
      {
        key: 'sandbox_warm_task_us',
        value: Math.round(warmUs),
        unit: 'µs',
        label: `tiny task in a reused context, one at a time through the pool, median of ${WARM_TASKS}`,
      },
      {
        key: 'sandbox_warm_tasks_per_s_16_in_flight',
        value: Math.round(perSecond),
        unit: 'tasks/s',
        label: `tiny warm tasks through one host, ${IN_FLIGHT} in flight, ${THROUGHPUT_SECONDS} s`,
        target: `>= ${TASKS_PER_S_TARGET.toLocaleString('en-US')}`,
        met: perSecond >= TASKS_PER_S_TARGET,
      },
    ];
  } finally {
    await pool.close();
  }
}
