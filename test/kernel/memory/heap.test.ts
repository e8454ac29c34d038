// Heap: textbook fit cases, split and coalesce, stats and map, and every error path.
// Most cases run against both Heap and the plain ListAllocator, which must behave identically.

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {KernelError} from '../../../src/kernel/errors.js';
import {FIT_POLICY_NAMES, Heap} from '../../../src/kernel/memory/heap.js';
import type {Allocator, FitPolicyName} from '../../../src/kernel/memory/heap.js';
import {ListAllocator} from '../../../src/kernel/memory/list-allocator.js';

type MakeAllocator = (size: number, fit?: FitPolicyName) => Allocator;

const allocators: Array<[string, MakeAllocator]> = [
  ['Heap', (size, fit) => new Heap(size, fit)],
  ['ListAllocator', (size, fit) => new ListAllocator(size, fit)],
];

// The classic partitions example: holes of 100, 500, 200, 300 and 600 units, separated by 10-unit blocks.
const HOLE = {A: 0, B: 110, C: 620, D: 830, E: 1140};
const PARTITIONS_SIZE = 1740;

function classicPartitions(make: MakeAllocator, fit: FitPolicyName): Allocator {
  const heap = make(PARTITIONS_SIZE, 'first');
  const holes: number[] = [];
  for (const size of [100, 500, 200, 300, 600]) {
    holes.push(heap.allocate(size, 1) ?? -1);
    heap.allocate(10, 0);
  }
  for (const addr of holes) heap.release(addr);
  heap.fit = fit; // built with first fit, so next fit's rover is still at 0
  return heap;
}

// Requests 212, 417, 112, 426 in turn: the address each lands at (undefined = no hole fits).
const partitionCases: Array<{fit: FitPolicyName; expected: Array<number | undefined>; why: string}> = [
  {fit: 'first', expected: [HOLE.B, HOLE.E, HOLE.B + 212, undefined], why: '500, 600, 288 left of 500, none'},
  {fit: 'best', expected: [HOLE.D, HOLE.B, HOLE.C, HOLE.E], why: '300, 500, 200, 600'},
  {fit: 'worst', expected: [HOLE.E, HOLE.B, HOLE.E + 212, undefined], why: '600, 500, 388 left of 600, none'},
  {fit: 'next', expected: [HOLE.B, HOLE.E, HOLE.E + 417, undefined], why: '500, 600, 183 left of 600, none'},
];

const snapshot = (heap: Allocator) => ({map: heap.map(), stats: heap.stats(), rover: heap.rover});

function assertKernelError(run: () => unknown, code: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof KernelError, `expected a KernelError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

for (const [name, make] of allocators) {
  describe(`${name} on the classic partitions example`, () => {
    for (const {fit, expected, why} of partitionCases) {
      test(`${fit} fit places 212, 417, 112, 426 in holes of ${why}`, () => {
        const heap = classicPartitions(make, fit);
        const got = [212, 417, 112, 426].map((size) => heap.allocate(size, 7));
        assert.deepEqual(got, expected);
      });
    }

    test('a failed request leaves the holes as they were', () => {
      const heap = classicPartitions(make, 'first');
      const before = snapshot(heap);
      assert.equal(heap.allocate(601, 7), undefined);
      assert.deepEqual(snapshot(heap), before);
    });
  });

  describe(`${name} next fit`, () => {
    test('next fit moves the rover to the end of each block and wraps around once', () => {
      const heap = make(100, 'next');
      assert.equal(heap.allocate(30, 1), 0);
      assert.equal(heap.rover, 30);
      assert.equal(heap.allocate(30, 1), 30);
      heap.release(0); // hole [0, 30) lies behind the rover
      assert.equal(heap.allocate(30, 1), 60); // the rover lies in hole [60, 100)
      assert.equal(heap.rover, 90);
      assert.equal(heap.allocate(20, 1), 0); // [90, 100) holds 10, so wrap to address 0
      assert.equal(heap.rover, 20);
    });

    test('next fit tries the hole the rover lies inside first, from that hole start', () => {
      const heap = make(100, 'first');
      const low = heap.allocate(10, 1) ?? -1;
      heap.allocate(10, 1);
      heap.fit = 'next';
      assert.equal(heap.allocate(5, 1), 20); // rover 0 lies in no hole, so the first hole above it
      assert.equal(heap.rover, 25);
      heap.release(20); // the hole [20, 100) now contains the rover
      heap.release(low); // first fit would now take [0, 10)
      assert.equal(heap.allocate(5, 1), 20);
      assert.equal(heap.rover, 25);
    });

    test('next fit passes over a hole that ends exactly at the rover', () => {
      const heap = make(100, 'next');
      heap.allocate(10, 1);
      const behind = heap.allocate(10, 2) ?? -1; // the rover is now 20
      heap.fit = 'first';
      heap.allocate(10, 3); // [20, 30) is taken without moving the rover
      heap.fit = 'next';
      heap.release(behind); // hole [10, 20) ends at the rover
      assert.equal(heap.allocate(5, 4), 30);
    });

    test('switching policies keeps every block and the rover', () => {
      const heap = make(100, 'next');
      heap.allocate(40, 1);
      heap.fit = 'best';
      assert.equal(heap.allocate(10, 2), 40);
      assert.equal(heap.rover, 40);
      heap.fit = 'next';
      assert.equal(heap.allocate(10, 3), 50);
      assert.equal(heap.rover, 60);
      assert.deepEqual(
        heap.map().map((entry) => entry.owner),
        [1, 2, 3, null],
      );
    });
  });

  describe(`${name} split and coalesce`, () => {
    // four 10-unit blocks at 0, 10, 20, 30 and the tail hole [40, 100)
    function fourBlocks(): Allocator {
      const heap = make(100);
      for (let pid = 1; pid <= 4; pid++) heap.allocate(10, pid);
      return heap;
    }

    test('an allocation splits a hole and leaves the remainder at the high end', () => {
      const heap = make(100);
      assert.equal(heap.allocate(30, 1), 0);
      assert.deepEqual(heap.map(), [
        {addr: 0, size: 30, owner: 1},
        {addr: 30, size: 70, owner: null},
      ]);
    });

    test('an exact fit uses the whole hole', () => {
      const heap = fourBlocks();
      heap.release(10);
      assert.equal(heap.allocate(10, 9), 10);
      assert.equal(heap.stats().freeBlocks, 1);
    });

    test('a freed block coalesces with the hole to its left', () => {
      const heap = fourBlocks();
      heap.release(0);
      heap.release(10);
      assert.deepEqual(heap.map().slice(0, 2), [
        {addr: 0, size: 20, owner: null},
        {addr: 20, size: 10, owner: 3},
      ]);
    });

    test('a freed block coalesces with the hole to its right', () => {
      const heap = fourBlocks();
      heap.release(30);
      assert.deepEqual(heap.map().slice(-1), [{addr: 30, size: 70, owner: null}]);
      heap.release(10);
      heap.release(20);
      assert.deepEqual(heap.map(), [
        {addr: 0, size: 10, owner: 1},
        {addr: 10, size: 90, owner: null},
      ]);
    });

    test('a freed block coalesces with holes on both sides into one hole', () => {
      const heap = fourBlocks();
      heap.release(0);
      heap.release(20);
      heap.release(10);
      assert.deepEqual(heap.map(), [
        {addr: 0, size: 30, owner: null},
        {addr: 30, size: 10, owner: 4},
        {addr: 40, size: 60, owner: null},
      ]);
      heap.release(30);
      assert.deepEqual(heap.map(), [{addr: 0, size: 100, owner: null}]);
    });

    test('release returns the block and blockAt finds only block starts', () => {
      const heap = fourBlocks();
      assert.deepEqual(heap.blockAt(20), {addr: 20, size: 10, owner: 3});
      assert.equal(heap.blockAt(21), undefined);
      assert.equal(heap.blockAt(50), undefined);
      assert.deepEqual(heap.release(20), {addr: 20, size: 10, owner: 3});
      assert.equal(heap.blockAt(20), undefined);
    });
  });

  describe(`${name} stats and map`, () => {
    test('stats count used and free units, blocks and holes, and the largest hole', () => {
      const heap = make(100);
      heap.allocate(10, 1);
      heap.allocate(20, 2);
      heap.allocate(30, 3);
      heap.release(0);
      assert.deepEqual(heap.stats(), {
        total: 100,
        used: 50,
        free: 50,
        usedBlocks: 2,
        freeBlocks: 2,
        largestFree: 40,
        externalFragmentation: 1 - 40 / 50,
      });
    });

    test('external fragmentation is the share of free memory outside the largest hole', () => {
      const heap = make(100);
      heap.allocate(10, 1);
      heap.allocate(60, 2);
      heap.allocate(30, 3);
      assert.equal(heap.stats().externalFragmentation, 0); // nothing free at all
      heap.release(0); // holes 10 and 30: 1 - 30/40
      heap.release(70);
      assert.equal(heap.stats().externalFragmentation, 0.25);
      heap.release(10); // one hole
      assert.equal(heap.stats().externalFragmentation, 0);
    });

    test('the map covers every address exactly once, in order', () => {
      const heap = make(64, 'best');
      const addresses = [5, 9, 3, 12, 7].map((size, index) => heap.allocate(size, index + 1) ?? -1);
      heap.release(addresses[1] ?? -1);
      heap.release(addresses[3] ?? -1);
      let cursor = 0;
      for (const entry of heap.map()) {
        assert.equal(entry.addr, cursor);
        cursor += entry.size;
      }
      assert.equal(cursor, 64);
    });

    test('describeFailure names the request, the largest hole and the policy', () => {
      const heap = make(128, 'best');
      heap.allocate(64, 1);
      heap.allocate(32, 1);
      heap.allocate(32, 1);
      heap.release(0);
      assert.equal(heap.describeFailure(96), 'No hole fits 96 units (largest free hole is 64, best fit).');
      heap.allocate(64, 1);
      assert.equal(heap.describeFailure(1), 'No hole fits 1 unit (the heap is full, best fit).');
      heap.release(0);
      heap.release(96);
      heap.fit = 'worst';
      assert.equal(
        heap.describeFailure(80),
        'No hole fits 80 units (largest free hole is 64, worst fit). 96 units are free, but split across 2 holes.',
      );
    });
  });

  describe(`${name} errors`, () => {
    // 10-unit blocks at 0 and 10, a hole [20, 30), a block [30, 50), and the tail hole [50, 100)
    function sample(): Allocator {
      const heap = make(100);
      heap.allocate(10, 1);
      heap.allocate(10, 2);
      heap.allocate(10, 3);
      heap.allocate(20, 4);
      heap.release(20);
      return heap;
    }

    const badSizes: unknown[] = [0, -5, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '12'];
    for (const size of badSizes) {
      test(`allocating ${String(size)} units throws EINVAL and changes nothing`, () => {
        const heap = sample();
        const before = snapshot(heap);
        assertKernelError(
          () => heap.allocate(size as number, 1),
          'EINVAL',
          /size must be a positive whole number/,
        );
        assert.deepEqual(snapshot(heap), before);
      });
    }

    test('a negative or fractional owner throws EINVAL', () => {
      const heap = sample();
      assertKernelError(() => heap.allocate(5, -1), 'EINVAL', /Owner -1 is not a pid/);
      assertKernelError(() => heap.allocate(5, 1.5), 'EINVAL', /Owner 1.5 is not a pid/);
    });

    const badReleases: Array<{what: string; addr: number; message: RegExp}> = [
      {
        what: 'an address inside a block',
        addr: 35,
        message:
          /^Address 35 lies inside the block at 30 \(size 20\); free takes the block's start address\.$/,
      },
      {
        what: 'the first address inside a block run',
        addr: 5,
        message: /inside the block at 0 \(size 10\)/,
      },
      {
        what: 'an address that was never allocated',
        addr: 70,
        message:
          /^Address 70 is already free or was never allocated: it lies in the hole at 50 \(size 50\)\.$/,
      },
      {what: 'a block freed twice', addr: 20, message: /already free .* hole at 20 \(size 10\)/},
      {
        what: 'an address past the end',
        addr: 100,
        message: /outside the heap, which spans addresses 0 to 99/,
      },
      {what: 'a negative address', addr: -1, message: /Address -1 is outside the heap/},
      {what: 'a fractional address', addr: 10.5, message: /Address 10.5 is not a whole number/},
      {what: 'NaN', addr: Number.NaN, message: /Address NaN is not a whole number/},
    ];
    for (const {what, addr, message} of badReleases) {
      test(`freeing ${what} throws EFAULT and changes nothing`, () => {
        const heap = sample();
        const before = snapshot(heap);
        assertKernelError(() => heap.release(addr), 'EFAULT', message);
        assert.deepEqual(snapshot(heap), before);
      });
    }

    test('an unknown fit policy throws EINVAL and keeps the current one', () => {
      const heap = sample();
      assertKernelError(
        () => {
          heap.fit = 'lottery' as FitPolicyName;
        },
        'EINVAL',
        /^Unknown fit policy `lottery`\. Expected one of: first, best, worst, next\.$/,
      );
      assert.equal(heap.fit, 'first');
    });

    test('a heap of no units cannot be made', () => {
      assertKernelError(() => make(0), 'EINVAL', /Heap size 0 is not allowed/);
      assertKernelError(() => make(1.5), 'EINVAL', /Heap size 1.5 is not allowed/);
    });
  });
}

test('every fit policy name is accepted and reported back', () => {
  for (const fit of FIT_POLICY_NAMES) assert.equal(new Heap(10, fit).fit, fit);
  assert.equal(new Heap(10).fit, 'first');
});

test('the heap checks its own invariants after the classic example', () => {
  for (const {fit} of partitionCases) {
    const heap = classicPartitions((size, policy) => new Heap(size, policy), fit) as Heap;
    for (const size of [212, 417, 112, 426]) heap.allocate(size, 7);
    heap.checkInvariants();
  }
});

test('switching to best fit and away builds and drops the size index without moving anything', () => {
  const heap = classicPartitions((size, policy) => new Heap(size, policy), 'first') as Heap;
  const before = heap.map();
  for (const fit of ['best', 'next', 'best', 'worst', 'first'] as const) {
    heap.fit = fit;
    heap.checkInvariants();
    assert.deepEqual(heap.map(), before);
  }
  heap.fit = 'best';
  assert.equal(heap.allocate(212, 7), HOLE.D);
  heap.checkInvariants();
});

test('a request larger than the whole heap is refused, not an error', () => {
  const heap = new Heap(64);
  assert.equal(heap.allocate(65, 1), undefined);
  assert.equal(heap.describeFailure(65), 'No hole fits 65 units (largest free hole is 64, first fit).');
});
