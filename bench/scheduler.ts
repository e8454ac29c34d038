// Scheduler throughput: N processes with mixed bursts (uniform 1..19, mean 10 ticks) all ready at
// t=0, run to completion under each policy. Reports simulated ticks per second at 100,000
// processes, and how the cost of one tick grows from 1,000 to 100,000 processes (the ready
// queues are heaps and linked lists, so it should barely grow).

import {createKernel, SCHEDULER_NAMES, seededRandom, type SchedulerName} from '../src/kernel/index.js';
import {secondsSince, type Figure, type Section} from './figure.js';

interface Run {
  ticks: number;
  seconds: number;
}

function runWorkload(policy: SchedulerName, processes: number): Run {
  const kernel = createKernel({scheduler: policy, schedulerOptions: {quantum: 4}});
  const random = seededRandom(processes);
  for (let i = 0; i < processes; i++) {
    kernel.spawn({burst: 1 + Math.floor(random() * 19), priority: Math.floor(random() * 10)});
  }
  const startTime = kernel.now;
  const start = process.hrtime.bigint();
  while (kernel.liveProcesses > 0) kernel.tick();
  return {ticks: kernel.now - startTime, seconds: secondsSince(start)};
}

/** Repeat small runs until they add up to enough time to measure. */
function measure(policy: SchedulerName, processes: number, minSeconds: number): Run {
  const total = {ticks: 0, seconds: 0};
  do {
    const run = runWorkload(policy, processes);
    total.ticks += run.ticks;
    total.seconds += run.seconds;
  } while (total.seconds < minSeconds);
  return total;
}

export const schedulerSection: Section = async () => {
  const figures: Figure[] = [];
  let slowest = Infinity;
  let worstRatio = 0;
  for (const policy of SCHEDULER_NAMES) {
    measure(policy, 1_000, 0.05); // warm the JIT
    const small = measure(policy, 1_000, 0.3);
    const large = measure(policy, 100_000, 0);
    const ticksPerSecond = large.ticks / large.seconds;
    const ratio = large.seconds / large.ticks / (small.seconds / small.ticks);
    slowest = Math.min(slowest, ticksPerSecond);
    worstRatio = Math.max(worstRatio, ratio);
    figures.push({
      key: `scheduler_ticks_per_s_100k_${policy}`,
      value: Math.round(ticksPerSecond),
      unit: 'ticks/s',
      label: `${policy}: 100k processes to completion (${large.ticks.toLocaleString('en-US')} ticks)`,
    });
    figures.push({
      key: `scheduler_cost_ratio_100k_vs_1k_${policy}`,
      value: round(ratio),
      unit: 'x',
      label: `${policy}: cost per tick, 100k vs 1k processes`,
    });
  }
  figures.unshift(
    {
      key: 'scheduler_ticks_per_s_100k',
      value: Math.round(slowest),
      unit: 'ticks/s',
      label: 'slowest policy, 100k processes, mean burst 10',
      target: '>= 1,000,000',
      met: slowest >= 1_000_000,
    },
    {
      key: 'scheduler_cost_ratio_100k_vs_1k',
      value: round(worstRatio),
      unit: 'x',
      label: 'worst policy: cost per tick at 100k over 1k processes',
      target: '<= 2',
      met: worstRatio <= 2,
    },
  );
  return figures;
};

const round = (value: number) => Math.round(value * 100) / 100;
