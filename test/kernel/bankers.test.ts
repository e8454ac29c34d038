// Banker's algorithm against the textbook's fixtures (Silberschatz, Operating System Concepts, 8.6.3).

import {test} from 'node:test';
import assert from 'node:assert/strict';
import type {BankerState, RequestOutcome} from '../../src/kernel/bankers.js';
import {checkRequest, findSafeSequence, needOf} from '../../src/kernel/bankers.js';
import {KernelBug} from '../../src/kernel/errors.js';

/** The five-process, three-resource Banker's example (A has 10 instances, B 5, C 7). */
const FIVE_PROCESS_THREE_RESOURCE: BankerState = {
  resources: ['A', 'B', 'C'],
  available: [3, 3, 2],
  processes: [0, 1, 2, 3, 4],
  max: [
    [7, 5, 3],
    [3, 2, 2],
    [9, 0, 2],
    [2, 2, 2],
    [4, 3, 3],
  ],
  allocation: [
    [0, 1, 0],
    [2, 0, 0],
    [3, 0, 2],
    [2, 1, 1],
    [0, 0, 2],
  ],
};

/** The same example after P1's request (1,0,2) is granted, as the textbook tabulates it. */
const AFTER_P1_REQUEST: BankerState = {
  ...FIVE_PROCESS_THREE_RESOURCE,
  available: [2, 3, 0],
  allocation: [
    [0, 1, 0],
    [3, 0, 2],
    [3, 0, 2],
    [2, 1, 1],
    [0, 0, 2],
  ],
};

test('need is max minus allocation in the five-process, three-resource example', () => {
  assert.deepEqual(needOf(FIVE_PROCESS_THREE_RESOURCE), [
    [7, 4, 3],
    [1, 2, 2],
    [6, 0, 0],
    [0, 1, 1],
    [4, 3, 1],
  ]);
});

test('the five-process, three-resource example is safe with sequence <P1, P3, P4, P0, P2>', () => {
  assert.deepEqual(findSafeSequence(FIVE_PROCESS_THREE_RESOURCE), {
    safe: true,
    sequence: [1, 3, 4, 0, 2],
    stuck: [],
  });
});

test('the safety scan wraps its cursor instead of restarting at the first process', () => {
  // Restarting at P0 after each find would give <P1, P3, P0, P2, P4>; the textbook's wrapping order is this.
  assert.notDeepEqual(findSafeSequence(FIVE_PROCESS_THREE_RESOURCE).sequence, [1, 3, 0, 2, 4]);
});

test('the safety scan orders by pid even when rows are listed out of order', () => {
  const order = [3, 0, 4, 1, 2];
  const shuffled: BankerState = {
    ...FIVE_PROCESS_THREE_RESOURCE,
    processes: order,
    max: order.map((pid) => FIVE_PROCESS_THREE_RESOURCE.max[pid] ?? []),
    allocation: order.map((pid) => FIVE_PROCESS_THREE_RESOURCE.allocation[pid] ?? []),
  };
  assert.deepEqual(findSafeSequence(shuffled).sequence, [1, 3, 4, 0, 2]);
});

test("granting P1's request (1,0,2) leaves a safe state with sequence <P1, P3, P4, P0, P2>", () => {
  const outcome = checkRequest(FIVE_PROCESS_THREE_RESOURCE, 1, [1, 0, 2]);
  assert.deepEqual(outcome, {kind: 'granted', sequence: [1, 3, 4, 0, 2]});
  assert.deepEqual(findSafeSequence(AFTER_P1_REQUEST).sequence, [1, 3, 4, 0, 2]);
});

test('checkRequest does not mutate the state', () => {
  const before = structuredClone(FIVE_PROCESS_THREE_RESOURCE);
  checkRequest(FIVE_PROCESS_THREE_RESOURCE, 1, [1, 0, 2]);
  checkRequest(AFTER_P1_REQUEST, 0, [0, 2, 0]);
  assert.deepEqual(FIVE_PROCESS_THREE_RESOURCE, before);
});

test('after the grant, P4 requesting (3,3,0) must wait because it exceeds available', () => {
  assert.deepEqual(checkRequest(AFTER_P1_REQUEST, 4, [3, 3, 0]), {
    kind: 'wait',
    reason: 'Request (3,3,0) by pid 4 exceeds available (2,3,0): needs A=3 but only 2 available.',
  });
});

test('after the grant, P0 requesting (0,2,0) is refused because the state would be unsafe', () => {
  assert.deepEqual(checkRequest(AFTER_P1_REQUEST, 0, [0, 2, 0]), {
    kind: 'unsafe',
    reason: 'Granting (0,2,0) to pid 0 would leave an unsafe state: pids 0, 1, 2, 3, 4 could not finish.',
    stuck: [0, 1, 2, 3, 4],
  });
});

test('an unsafe state reports who could still finish and who is stuck', () => {
  // The textbook's 12-tape-drive example after P2 is given one more drive: only P1 can finish.
  const result = findSafeSequence({
    resources: ['tape'],
    available: [2],
    processes: [0, 1, 2],
    max: [[10], [4], [9]],
    allocation: [[5], [2], [3]],
  });
  assert.deepEqual(result, {safe: false, sequence: [1], stuck: [0, 2]});
});

test("the textbook's 12-tape-drive example is safe with sequence <P1, P0, P2>", () => {
  assert.deepEqual(
    findSafeSequence({
      resources: ['tape'],
      available: [3],
      processes: [0, 1, 2],
      max: [[10], [4], [9]],
      allocation: [[5], [2], [2]],
    }),
    {safe: true, sequence: [1, 0, 2], stuck: []},
  );
});

test('an empty state is safe', () => {
  assert.deepEqual(
    findSafeSequence({resources: ['A'], available: [1], processes: [], max: [], allocation: []}),
    {safe: true, sequence: [], stuck: []},
  );
});

const invalidRequests: {name: string; pid: number; request: number[]; reason: string}[] = [
  {
    name: 'a request beyond the declared claim',
    pid: 1,
    request: [1, 0, 3],
    reason: 'Request (1,0,3) by pid 1 exceeds its need (1,2,2): asks C=3 but its max claim leaves only 2.',
  },
  {
    name: 'an unknown pid',
    pid: 9,
    request: [0, 0, 0],
    reason: "Process 9 is not in the Banker's tables (known pids: 0, 1, 2, 3, 4).",
  },
  {
    name: 'a request of the wrong length',
    pid: 1,
    request: [1, 0],
    reason: 'Request (1,0) by pid 1 has 2 amounts; expected 3 (A, B, C).',
  },
  {
    name: 'a negative amount',
    pid: 1,
    request: [0, -1, 0],
    reason: 'Request (0,-1,0) by pid 1 asks for B=-1; amounts must be whole numbers >= 0.',
  },
  {
    name: 'a fractional amount',
    pid: 1,
    request: [0.5, 0, 0],
    reason: 'Request (0.5,0,0) by pid 1 asks for A=0.5; amounts must be whole numbers >= 0.',
  },
];

for (const {name, pid, request, reason} of invalidRequests) {
  test(`checkRequest rejects ${name} as invalid`, () => {
    const expected: RequestOutcome = {kind: 'invalid', reason};
    assert.deepEqual(checkRequest(FIVE_PROCESS_THREE_RESOURCE, pid, request), expected);
  });
}

test('the claim is checked before availability, as in the textbook', () => {
  // P0 needs at most (7,4,3); (8,0,0) exceeds both need and available, and need wins.
  assert.equal(checkRequest(FIVE_PROCESS_THREE_RESOURCE, 0, [8, 0, 0]).kind, 'invalid');
});

test('a zero request from a safe state is granted', () => {
  assert.deepEqual(checkRequest(FIVE_PROCESS_THREE_RESOURCE, 2, [0, 0, 0]), {
    kind: 'granted',
    sequence: [1, 3, 4, 0, 2],
  });
});

test('malformed tables are a KernelBug, not a user error', () => {
  assert.throws(() => needOf({...FIVE_PROCESS_THREE_RESOURCE, available: [3, 3]}), KernelBug);
  assert.throws(
    () => findSafeSequence({...FIVE_PROCESS_THREE_RESOURCE, processes: [0, 1, 2, 3, 3]}),
    KernelBug,
  );
  assert.throws(
    () =>
      findSafeSequence({
        resources: ['A'],
        available: [0],
        processes: [0],
        max: [[1]],
        allocation: [[2]],
      }),
    /Pid 0 holds A=2, outside 0\.\.max 1\./,
  );
});
