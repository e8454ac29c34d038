// Deadlock detection by graph reduction: the textbook's detection example (Silberschatz, Operating System
// Concepts, 8.7.2), then semaphore, queue, child and mixed waits, the cycle listing and victim choice.

import {test} from 'node:test';
import assert from 'node:assert/strict';
import type {DeadlockInput, DeadlockProcess, Wait} from '../../src/kernel/deadlock.js';
import {MAX_LISTED_CYCLES, chooseVictim, findDeadlocked, victimRule} from '../../src/kernel/deadlock.js';
import {KernelBug} from '../../src/kernel/errors.js';

/** A live process with no resources, priority 0 and no CPU time unless given. */
function proc(pid: number, fields: Partial<Omit<DeadlockProcess, 'pid'>> = {}): DeadlockProcess {
  return {pid, priority: 0, cpuTime: 0, allocation: [], ...fields};
}

function sem(name: string, ...helpers: number[]): Wait {
  return {kind: 'sem', name, helpers};
}

/** Semaphore-only input: no resource columns. */
function semaphores(...processes: DeadlockProcess[]): DeadlockInput {
  return {resources: [], available: [], processes};
}

/**
 * The textbook's detection example: five processes, three resource types with A=7, B=2, C=6 instances,
 * all allocated. Every process is modelled as blocked on its Request row (000 is reducible at once).
 */
function textbookDetection(requestOfP2: number[]): DeadlockInput {
  const allocation = [
    [0, 1, 0],
    [2, 0, 0],
    [3, 0, 3],
    [2, 1, 1],
    [0, 0, 2],
  ];
  const request = [[0, 0, 0], [2, 0, 2], requestOfP2, [1, 0, 0], [0, 0, 2]];
  return {
    resources: ['A', 'B', 'C'],
    available: [0, 0, 0],
    processes: allocation.map((held, pid) => ({
      pid,
      priority: 0,
      cpuTime: 0,
      allocation: held,
      wait: {kind: 'res', request: request[pid] ?? []},
    })),
  };
}

/** The textbook's Work/Finish loop, replayed along a given order: does every step's Request fit in Work? */
function isReductionOrder(input: DeadlockInput, sequence: readonly number[]): boolean {
  const work = [...input.available];
  for (const pid of sequence) {
    const process = input.processes.find((candidate) => candidate.pid === pid);
    if (process === undefined) return false;
    const request = process.wait?.kind === 'res' ? process.wait.request : [];
    if (request.some((units, column) => units > (work[column] ?? 0))) return false;
    process.allocation.forEach((units, column) => (work[column] = (work[column] ?? 0) + units));
  }
  return new Set(sequence).size === input.processes.length;
}

// A is held by P1-P3, B by P0 and P3, C by P2-P4.
const TEXTBOOK_EDGES = [
  {from: 1, to: 2, via: 'res A'},
  {from: 1, to: 2, via: 'res C'},
  {from: 1, to: 3, via: 'res A'},
  {from: 1, to: 3, via: 'res C'},
  {from: 1, to: 4, via: 'res C'},
  {from: 3, to: 1, via: 'res A'},
  {from: 3, to: 2, via: 'res A'},
  {from: 4, to: 2, via: 'res C'},
  {from: 4, to: 3, via: 'res C'},
];

test("the textbook's detection example is not deadlocked, with sequence <P0, P2, P3, P1, P4>", () => {
  const input = textbookDetection([0, 0, 0]);
  assert.equal(isReductionOrder(input, [0, 2, 3, 1, 4]), true);
  assert.deepEqual(findDeadlocked(input), {deadlocked: [], stuck: [], edges: TEXTBOOK_EDGES, cycles: []});
});

test('after P2 requests one more C, P1 to P4 are deadlocked and P0 is not', () => {
  const input = textbookDetection([0, 0, 1]);
  assert.equal(isReductionOrder(input, [0, 2, 3, 1, 4]), false);
  assert.deepEqual(findDeadlocked(input), {
    deadlocked: [1, 2, 3, 4],
    stuck: [],
    edges: [
      ...TEXTBOOK_EDGES.slice(0, 5),
      {from: 2, to: 3, via: 'res C'},
      {from: 2, to: 4, via: 'res C'},
      ...TEXTBOOK_EDGES.slice(5),
    ],
    cycles: [
      [1, 2, 3],
      [1, 2, 4, 3],
      [1, 3],
      [1, 4, 2, 3],
      [1, 4, 3],
      [2, 3],
      [2, 4],
      [2, 4, 3],
    ],
  });
});

test('a process with a zero request counts the same as one that is not blocked', () => {
  const input = textbookDetection([0, 0, 1]);
  const processes = input.processes.map((process) =>
    process.pid === 0 ? {...process, wait: undefined} : process,
  );
  assert.deepEqual(findDeadlocked({...input, processes}), findDeadlocked(input));
});

test('two processes each holding the semaphore the other waits for are deadlocked', () => {
  // P2 holds A and waits on B; P3 holds B and waits on A; P1 runs.
  const input = semaphores(proc(1), proc(2, {wait: sem('B', 3)}), proc(3, {wait: sem('A', 2)}));
  assert.deepEqual(findDeadlocked(input), {
    deadlocked: [2, 3],
    stuck: [],
    edges: [
      {from: 2, to: 3, via: 'sem B'},
      {from: 3, to: 2, via: 'sem A'},
    ],
    cycles: [[2, 3]],
  });
});

test('a lone waiter on a semaphore no one holds is stuck, not deadlocked', () => {
  const input = semaphores(proc(1), proc(5, {wait: sem('S')}));
  assert.deepEqual(findDeadlocked(input), {deadlocked: [], stuck: [5], edges: [], cycles: []});
});

test('a waiter on a semaphore whose holder can still run is neither deadlocked nor stuck', () => {
  const input = semaphores(proc(1), proc(2, {wait: sem('A', 1)}));
  assert.deepEqual(findDeadlocked(input), {
    deadlocked: [],
    stuck: [],
    edges: [{from: 2, to: 1, via: 'sem A'}],
    cycles: [],
  });
});

test('a waiter is reduced through a chain of helpers that ends at a runnable process', () => {
  const input = semaphores(
    proc(1, {wait: {kind: 'memory', size: 32, helpers: [2]}}),
    proc(2, {wait: {kind: 'child', helpers: [3]}}),
    proc(3, {wait: {kind: 'mq', name: 'q1', helpers: [4]}}),
    proc(4),
  );
  const report = findDeadlocked(input);
  assert.deepEqual([report.deadlocked, report.stuck], [[], []]);
  assert.deepEqual(report.edges, [
    {from: 1, to: 2, via: 'memory 32'},
    {from: 2, to: 3, via: 'child'},
    {from: 3, to: 4, via: 'mq q1'},
  ]);
});

test('processes waiting on each other to send to their queues are deadlocked', () => {
  const input = semaphores(
    proc(1, {wait: {kind: 'mq', name: 'q1', helpers: [2]}}),
    proc(2, {wait: {kind: 'mq', name: 'q2', helpers: [3]}}),
    proc(3, {wait: {kind: 'mq', name: 'q3', helpers: [1]}}),
  );
  const report = findDeadlocked(input);
  assert.deepEqual(report.deadlocked, [1, 2, 3]);
  assert.deepEqual(report.cycles, [[1, 2, 3]]);
});

test('a chain waiting on a cycle is deadlocked too', () => {
  // P7 waits for a message only P4 sends; P4 waits for its child P5; P5 and P6 wait on each other.
  const input = semaphores(
    proc(4, {wait: {kind: 'child', helpers: [5]}}),
    proc(5, {wait: sem('A', 6)}),
    proc(6, {wait: sem('B', 5)}),
    proc(7, {wait: {kind: 'mq', name: 'q', helpers: [4]}}),
  );
  const report = findDeadlocked(input);
  assert.deepEqual(report.deadlocked, [4, 5, 6, 7]);
  assert.deepEqual(report.stuck, []);
  assert.deepEqual(report.cycles, [[5, 6]]);
});

test('a chain waiting on a stuck process is stuck: signalling the semaphore would wake it all', () => {
  const input = semaphores(proc(1, {wait: {kind: 'child', helpers: [2]}}), proc(2, {wait: sem('S')}));
  assert.deepEqual(findDeadlocked(input), {
    deadlocked: [],
    stuck: [1, 2],
    edges: [{from: 1, to: 2, via: 'child'}],
    cycles: [],
  });
});

test('a cycle through a semaphore and a resource is deadlocked', () => {
  // P1 holds the printer and waits on S; P2 holds S and wants the printer.
  const input = (printersFree: number): DeadlockInput => ({
    resources: ['printer'],
    available: [printersFree],
    processes: [
      proc(1, {allocation: [1], wait: sem('S', 2)}),
      proc(2, {allocation: [0], wait: {kind: 'res', request: [1]}}),
    ],
  });
  assert.deepEqual(findDeadlocked(input(0)), {
    deadlocked: [1, 2],
    stuck: [],
    edges: [
      {from: 1, to: 2, via: 'sem S'},
      {from: 2, to: 1, via: 'res printer'},
    ],
    cycles: [[1, 2]],
  });
  // A second printer breaks the cycle: P2 is reduced, then P1 through it.
  assert.deepEqual(findDeadlocked(input(1)).deadlocked, []);
});

test('a blocked process that holds nothing but waits on a deadlock is deadlocked', () => {
  // The textbook would mark P5 finished at once (its Allocation is 0); it can still never run.
  const input = textbookDetection([0, 0, 1]);
  const withWaiter = {
    ...input,
    processes: [
      ...input.processes,
      proc(5, {allocation: [0, 0, 0], wait: {kind: 'res', request: [0, 0, 1]}}),
    ],
  };
  assert.deepEqual(findDeadlocked(withWaiter).deadlocked, [1, 2, 3, 4, 5]);
});

test('a request for more than exists, held by a runnable process, is stuck', () => {
  const input: DeadlockInput = {
    resources: ['tape'],
    available: [1],
    processes: [proc(1, {allocation: [2]}), proc(2, {allocation: [0], wait: {kind: 'res', request: [4]}})],
  };
  assert.deepEqual(findDeadlocked(input), {
    deadlocked: [],
    stuck: [2],
    edges: [{from: 2, to: 1, via: 'res tape'}],
    cycles: [],
  });
});

test('waiting on oneself or on a pid that no longer exists is stuck, with no edge', () => {
  const input = semaphores(proc(1, {wait: sem('M', 1)}), proc(2, {wait: sem('N', 99)}));
  assert.deepEqual(findDeadlocked(input), {deadlocked: [], stuck: [1, 2], edges: [], cycles: []});
});

test('cycles list every elementary cycle once, rotated to the lowest pid and sorted', () => {
  const input = semaphores(
    proc(3, {wait: sem('C', 1, 2)}),
    proc(1, {wait: sem('A', 2, 3)}),
    proc(2, {wait: sem('B', 1, 3)}),
  );
  assert.deepEqual(findDeadlocked(input).cycles, [
    [1, 2],
    [1, 2, 3],
    [1, 3],
    [1, 3, 2],
    [2, 3],
  ]);
});

test('the cycle listing stops at MAX_LISTED_CYCLES', () => {
  const pids = [1, 2, 3, 4, 5, 6];
  const input = semaphores(...pids.map((pid) => proc(pid, {wait: sem(`s${pid}`, ...pids)})));
  const {cycles, deadlocked} = findDeadlocked(input);
  assert.deepEqual(deadlocked, pids);
  assert.equal(cycles.length, MAX_LISTED_CYCLES);
  assert.equal(new Set(cycles.map((cycle) => cycle.join(','))).size, cycles.length);
  for (const cycle of cycles) assert.equal(Math.min(...cycle), cycle[0]);
  assert.deepEqual(
    cycles,
    [...cycles].sort((a, b) => a.join(',').localeCompare(b.join(','), 'en', {numeric: true})),
  );
});

test('a ring of 3000 processes is one deadlock found without deep recursion', () => {
  const count = 3000;
  const processes = Array.from({length: count}, (_, pid) =>
    proc(pid, {wait: sem(`s${pid}`, (pid + 1) % count)}),
  );
  const report = findDeadlocked(semaphores(...processes));
  assert.equal(report.deadlocked.length, count);
  assert.equal(report.cycles.length, 1);
  assert.equal(report.cycles[0]?.length, count);
});

test('a long resource chain that unwinds from one runnable process is not deadlocked', () => {
  // P(k) holds one unit of column k and requests column k+1; the last one runs.
  const count = 300;
  const resources = Array.from({length: count}, (_, column) => `r${column}`);
  const processes = resources.map((_, pid) =>
    proc(pid, {
      allocation: resources.map((__, column) => (column === pid ? 1 : 0)),
      wait:
        pid === count - 1
          ? undefined
          : {kind: 'res', request: resources.map((__, column) => (column === pid + 1 ? 1 : 0))},
    }),
  );
  const report = findDeadlocked({resources, available: resources.map(() => 0), processes});
  assert.deepEqual([report.deadlocked, report.stuck], [[], []]);
  assert.equal(report.edges.length, count - 1);
});

const victimCases: {name: string; processes: DeadlockProcess[]; victim: number | undefined}[] = [
  {
    name: 'the lowest priority (smallest number, as the priority scheduler ranks them) goes first',
    processes: [proc(1, {priority: 5, cpuTime: 9}), proc(2, {priority: 3, cpuTime: 50})],
    victim: 2,
  },
  {
    name: 'equal priority: the least cpuTime goes first',
    processes: [proc(1, {priority: 2, cpuTime: 7}), proc(2, {priority: 2, cpuTime: 4})],
    victim: 2,
  },
  {
    name: 'equal priority and cpuTime: the highest pid goes first',
    processes: [proc(4, {priority: 2, cpuTime: 4}), proc(9, {priority: 2, cpuTime: 4})],
    victim: 9,
  },
];

for (const {name, processes, victim} of victimCases) {
  test(`chooseVictim: ${name}`, () => {
    // Make the given processes wait on each other in a ring.
    const pids = processes.map((process) => process.pid);
    const ring = processes.map((process, index) => ({
      ...process,
      wait: sem('ring', pids[(index + 1) % pids.length] ?? -1),
    }));
    const input = semaphores(...ring);
    assert.equal(chooseVictim(input, findDeadlocked(input)), victim);
  });
}

test('chooseVictim only picks among the deadlocked, and returns undefined when there are none', () => {
  const input = semaphores(
    proc(1, {priority: 0}),
    proc(2, {priority: 5, wait: sem('B', 3)}),
    proc(3, {priority: 5, wait: sem('A', 2)}),
    proc(4, {priority: 0, wait: sem('S')}),
  );
  assert.equal(chooseVictim(input, findDeadlocked(input)), 3);
  const calm = semaphores(proc(1), proc(2, {wait: sem('A', 1)}));
  assert.equal(chooseVictim(calm, findDeadlocked(calm)), undefined);
});

test('malformed input is a KernelBug', () => {
  assert.throws(() => findDeadlocked(semaphores(proc(1), proc(1))), KernelBug);
  assert.throws(
    () => findDeadlocked({resources: ['A'], available: [0], processes: [proc(1, {allocation: [1, 0]})]}),
    /Pid 1 has 2 allocation amounts; expected 1\./,
  );
  assert.throws(
    () =>
      findDeadlocked({
        resources: ['A'],
        available: [0],
        processes: [proc(1, {allocation: [0], wait: {kind: 'res', request: []}})],
      }),
    KernelBug,
  );
});

test('victimRule names the rule of chooseVictim that set the victim apart', () => {
  const p = (pid: number, priority: number, cpuTime: number) => ({pid, priority, cpuTime});
  assert.deepEqual(victimRule(p(3, 0, 9), [p(2, 5, 1)]), {rule: 'priority', ties: []});
  assert.deepEqual(victimRule(p(3, 0, 1), [p(2, 0, 4), p(4, 5, 0)]), {rule: 'cpu', ties: [2]});
  assert.deepEqual(victimRule(p(3, 0, 2), [p(2, 0, 2)]), {rule: 'pid', ties: [2]});
});
