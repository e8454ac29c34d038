// Heap against its oracle: seeded random runs of allocate and release on Heap and ListAllocator side by side.
// Every result, every error and the final map must match, and Heap's invariants must hold throughout.

import assert from 'node:assert/strict';
import {test} from 'node:test';
import {KernelError} from '../../../src/kernel/errors.js';
import {FIT_POLICY_NAMES, Heap} from '../../../src/kernel/memory/heap.js';
import type {Allocator, FitPolicyName} from '../../../src/kernel/memory/heap.js';
import {ListAllocator} from '../../../src/kernel/memory/list-allocator.js';
import {randomInt, seededRandom as mulberry32} from '../../../src/kernel/index.js';

const HEAP_UNITS = 4000;
const LIVE_SCALE = 1333; // allocation odds fall as blocks go live: about 100 live blocks, 50 holes
const OPS_PER_RUN = 3000;
const CHECK_EVERY_OPS = 50;

// The outcome of one call, comparable across allocators: a value, or the error's code and message.
function outcome(run: () => unknown): unknown {
  try {
    return {value: run()};
  } catch (error) {
    if (!(error instanceof KernelError)) throw error;
    return {code: error.code, message: error.message};
  }
}

interface RunOptions {
  seed: number;
  fit: FitPolicyName;
  /** Switch to a random policy now and then, to exercise the rover across switches. */
  switchesPolicy: boolean;
}

function runSideBySide({seed, fit, switchesPolicy}: RunOptions): void {
  const random = mulberry32(seed);
  const heap = new Heap(HEAP_UNITS, fit);
  const oracle = new ListAllocator(HEAP_UNITS, fit);
  const pair: Allocator[] = [heap, oracle];
  const live: number[] = [];
  const same = (step: number, what: string, call: (allocator: Allocator) => unknown): unknown => {
    const [got, expected] = pair.map((allocator) => outcome(() => call(allocator)));
    assert.deepEqual(got, expected, `seed ${seed}, ${fit} fit, op ${step}: ${what}`);
    return got;
  };

  for (let step = 0; step < OPS_PER_RUN; step++) {
    const roll = random();
    // favour allocation while few blocks are live, so the heap fills up, fragments and refuses some requests
    if (roll < 0.55 - live.length / LIVE_SCALE) {
      const size = random() < 0.8 ? randomInt(random, 1, 40) : randomInt(random, 41, 200);
      const result = same(step, `allocate ${size}`, (allocator) => allocator.allocate(size, step % 7)) as {
        value?: number;
      };
      if (result.value !== undefined) live.push(result.value);
      else same(step, `describe ${size}`, (allocator) => allocator.describeFailure(size));
    } else if (roll < 0.95 && live.length > 0) {
      const index = randomInt(random, 0, live.length - 1);
      const addr = live[index] ?? -1;
      live[index] = live[live.length - 1] ?? -1;
      live.pop();
      same(step, `release ${addr}`, (allocator) => allocator.release(addr));
    } else if (roll < 0.99) {
      const addr = randomInt(random, -2, HEAP_UNITS + 1); // mostly bad: inside blocks, in holes, outside
      same(step, `blockAt ${addr}`, (allocator) => allocator.blockAt(addr));
      const result = same(step, `release ${addr} at random`, (allocator) => allocator.release(addr)) as {
        value?: unknown;
      };
      if (result.value !== undefined) live.splice(live.indexOf(addr), 1);
    } else if (switchesPolicy) {
      const next = FIT_POLICY_NAMES[randomInt(random, 0, FIT_POLICY_NAMES.length - 1)] ?? 'first';
      for (const allocator of pair) allocator.fit = next;
    }
    if (step % CHECK_EVERY_OPS === 0) {
      heap.checkInvariants();
      same(step, 'stats', (allocator) => allocator.stats());
      same(step, 'rover', (allocator) => allocator.rover);
    }
  }
  heap.checkInvariants();
  same(OPS_PER_RUN, 'final map', (allocator) => allocator.map());
  same(OPS_PER_RUN, 'final stats', (allocator) => allocator.stats());
  for (const addr of live) same(OPS_PER_RUN, `drain ${addr}`, (allocator) => allocator.release(addr));
  heap.checkInvariants();
  assert.deepEqual(heap.map(), [{addr: 0, size: HEAP_UNITS, owner: null}]);
}

for (const fit of FIT_POLICY_NAMES) {
  test(`${fit} fit matches the list allocator over ${OPS_PER_RUN} random operations`, () => {
    for (const seed of [1, 2, 3]) runSideBySide({seed, fit, switchesPolicy: false});
  });
}

test('switching policies mid-run matches the list allocator, rover included', () => {
  for (const seed of [11, 12, 13]) runSideBySide({seed, fit: 'next', switchesPolicy: true});
});
