// Deadlock detection by graph reduction, and the wait-for graph that shows it.
// Every process that is not blocked can run, so it is reduced first and its allocation joins work;
// a blocked process is reduced once its request fits in work (res) or any of its helpers is reduced.
// Whoever is left can never run: deadlocked if it is on a cycle of the wait-for graph among them, or
// waits through a chain for one that is; stuck if its chain ends at a process waiting on no one.
// Interface:
//   findDeadlocked(input)           deadlocked and stuck pids, the wait-for graph, its cycles
//   chooseVictim(input, report)     whom to kill: lowest priority, then least cpuTime, then highest pid

import {KernelBug} from './errors.js';

/** Why a blocked process is waiting, and who could wake it. */
export type Wait =
  /** Pids that hold the semaphore or will signal it later. */
  | {kind: 'sem'; name: string; helpers: readonly number[]}
  /** Pids whose remaining program sends to the queue. */
  | {kind: 'mq'; name: string; helpers: readonly number[]}
  /** The waiter's live children. */
  | {kind: 'child'; helpers: readonly number[]}
  /** Pids that own memory blocks or will free some. */
  | {kind: 'memory'; size: number; helpers: readonly number[]}
  /** A multi-unit request, one amount per resource column. */
  | {kind: 'res'; request: readonly number[]};

export interface DeadlockProcess {
  pid: number;
  /** Scheduling priority; a larger number is a higher priority, as in the priority scheduler. */
  priority: number;
  /** Ticks of CPU used so far: the work lost if this process is killed. */
  cpuTime: number;
  /** Units held, one amount per resource column. */
  allocation: readonly number[];
  /** Absent when the process is not blocked (it can run). */
  wait?: Wait;
}

export interface DeadlockInput {
  /** Resource names, in column order. */
  resources: readonly string[];
  /** Free units per resource. */
  available: readonly number[];
  /** The live processes, in any order. */
  processes: readonly DeadlockProcess[];
}

/** "from waits for to", via e.g. "sem A", "mq q1", "res printer", "child", "memory 32". */
export interface WaitEdge {
  from: number;
  to: number;
  via: string;
}

export interface DeadlockReport {
  /** Ascending pids: cannot be reduced, and on a cycle of unreduced waits or waiting (via a chain) on one. */
  deadlocked: number[];
  /**
   * Ascending pids: cannot be reduced, but waiting (perhaps via a chain) on a process that waits on no one,
   * such as a semaphore nobody holds or signals: only an outside actor (the shell) could wake them.
   */
  stuck: number[];
  /**
   * The wait-for graph: an edge from every blocked process to each other live process it waits for
   * (helpers, or holders of any requested resource type), sorted by from, to, via. Targets may be runnable.
   */
  edges: WaitEdge[];
  /** Elementary cycles among the deadlocked, each starting at its lowest pid, sorted; at most MAX_LISTED_CYCLES. */
  cycles: number[][];
}

/** Cycles listed per report: enough to show on screen, and it bounds an otherwise exponential count. */
export const MAX_LISTED_CYCLES = 16;

/**
 * Detect deadlock by reducing the general resource graph (semaphores, queues, children, memory, resources).
 * On pure resource waits the deadlocked are the textbook detection algorithm's unfinished processes
 * (Silberschatz, OSC 8.7.2), except that a blocked process holding nothing is reported too (the textbook
 * marks it finished at once), and one asking for more than exists, with no cycle to wait on, is stuck.
 * Throws KernelBug on a duplicate pid or a row whose length differs from `resources`.
 */
export function findDeadlocked(input: DeadlockInput): DeadlockReport {
  assertWellFormed(input);
  const processes = [...input.processes].sort((a, b) => a.pid - b.pid);
  const rowOf = new Map(processes.map((process, row) => [process.pid, row]));
  const reduced = reduce(input.available, processes);
  const edges = waitForEdges(input.resources, processes, rowOf);

  const unreduced = processes.filter((_, row) => !reduced[row]).map((process) => process.pid);
  const trapped = reachesCycle(unreduced, edges);
  const deadlocked = unreduced.filter((_, index) => trapped[index]);
  const stuck = unreduced.filter((_, index) => !trapped[index]);
  return {deadlocked, stuck, edges, cycles: listCycles(deadlocked, edges)};
}

/**
 * Choose the recovery victim among report.deadlocked: the lowest priority (smallest priority number),
 * then the least cpuTime (least work lost), then the highest pid. Returns undefined when nobody is deadlocked.
 */
export function chooseVictim(input: DeadlockInput, report: DeadlockReport): number | undefined {
  const candidates = new Set(report.deadlocked);
  let victim: DeadlockProcess | undefined;
  for (const process of input.processes) {
    if (!candidates.has(process.pid)) continue;
    if (victim === undefined || isBetterVictim(process, victim)) victim = process;
  }
  return victim?.pid;
}

type VictimFacts = Pick<DeadlockProcess, 'pid' | 'priority' | 'cpuTime'>;

function isBetterVictim(a: VictimFacts, b: VictimFacts): boolean {
  if (a.priority !== b.priority) return a.priority < b.priority;
  if (a.cpuTime !== b.cpuTime) return a.cpuTime < b.cpuTime;
  return a.pid > b.pid;
}

/**
 * Which of chooseVictim's rules set `victim` apart from `others`: its priority alone, its CPU time
 * among `ties` of the same priority, or its pid among `ties` of the same priority and CPU time.
 */
export function victimRule(
  victim: VictimFacts,
  others: readonly VictimFacts[],
): {rule: 'priority' | 'cpu' | 'pid'; ties: number[]} {
  const samePriority = others.filter((other) => other.priority === victim.priority);
  if (samePriority.length === 0) return {rule: 'priority', ties: []};
  const sameCpu = samePriority.filter((other) => other.cpuTime === victim.cpuTime);
  if (sameCpu.length === 0) return {rule: 'cpu', ties: samePriority.map((other) => other.pid)};
  return {rule: 'pid', ties: sameCpu.map((other) => other.pid)};
}

// Graph reduction. Returns, per row, whether the process can eventually run. The reduced set is the
// same whatever order reductions happen in (reducing only ever grows work and the free set).
function reduce(available: readonly number[], processes: readonly DeadlockProcess[]): boolean[] {
  const reduced = new Array<boolean>(processes.length).fill(false);
  const work = [...available];
  const freed: number[] = []; // rows reduced whose waiters have not been looked at yet
  const waitersOf = new Map<number, number[]>(); // helper pid -> rows of processes it could wake
  let resourceWaiters: number[] = [];

  const free = (row: number): void => {
    reduced[row] = true;
    processes[row]?.allocation.forEach((units, column) => {
      work[column] = (work[column] ?? 0) + units;
    });
    freed.push(row);
  };

  processes.forEach((process, row) => {
    const wait = process.wait;
    if (wait === undefined) {
      free(row);
    } else if (wait.kind === 'res') {
      resourceWaiters.push(row);
    } else {
      for (const helper of new Set(wait.helpers)) {
        const rows = waitersOf.get(helper) ?? [];
        rows.push(row);
        waitersOf.set(helper, rows);
      }
    }
  });

  for (;;) {
    for (let row = freed.pop(); row !== undefined; row = freed.pop()) {
      const pid = processes[row]?.pid ?? -1;
      for (const waiter of waitersOf.get(pid) ?? []) {
        if (!reduced[waiter]) free(waiter);
      }
    }
    // Work only grew since the last pass, so a resource waiter that fits now stays fitting.
    resourceWaiters = resourceWaiters.filter((row) => {
      const wait = processes[row]?.wait;
      const request = wait?.kind === 'res' ? wait.request : [];
      if (request.some((units, column) => units > (work[column] ?? 0))) return true;
      free(row);
      return false;
    });
    if (freed.length === 0) break;
  }
  return reduced;
}

// The wait-for graph from every blocked process. Self-edges are left out: a process never wakes itself.
function waitForEdges(
  resources: readonly string[],
  processes: readonly DeadlockProcess[],
  rowOf: ReadonlyMap<number, number>,
): WaitEdge[] {
  // Built already in (from, to, via) order: processes are sorted by pid, and each waiter's targets are
  // sorted before they are emitted, so no sort over what can be n^2 edges.
  const holders: number[][] = resources.map((_, column) =>
    processes.filter((process) => (process.allocation[column] ?? 0) > 0).map((process) => process.pid),
  );
  const vias = resources.map((name) => `res ${name}`);
  const edges: WaitEdge[] = [];
  for (const {pid: from, wait} of processes) {
    if (wait === undefined) continue;
    if (wait.kind !== 'res') {
      const via = describeWait(wait);
      const targets = [...new Set(wait.helpers)].filter((to) => to !== from && rowOf.has(to));
      for (const to of targets.sort((a, b) => a - b)) edges.push({from, to, via});
      continue;
    }
    const columns = wait.request
      .flatMap((units, column) => (units > 0 ? [column] : []))
      .sort((a, b) => compareText(vias[a] ?? '', vias[b] ?? ''));
    const [only] = columns;
    if (columns.length === 1 && only !== undefined) {
      const via = vias[only] ?? '';
      for (const to of holders[only] ?? []) if (to !== from) edges.push({from, to, via}); // holders are pid-sorted
      continue;
    }
    const targets = new Set(columns.flatMap((column) => holders[column] ?? []));
    targets.delete(from);
    for (const to of [...targets].sort((a, b) => a - b)) {
      const held = processes[rowOf.get(to) ?? -1]?.allocation ?? [];
      for (const column of columns) {
        if ((held[column] ?? 0) > 0) edges.push({from, to, via: vias[column] ?? ''});
      }
    }
  }
  return edges;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describeWait(wait: Exclude<Wait, {kind: 'res'}>): string {
  switch (wait.kind) {
    case 'sem':
      return `sem ${wait.name}`;
    case 'mq':
      return `mq ${wait.name}`;
    case 'child':
      return 'child';
    case 'memory':
      return `memory ${wait.size}`;
  }
}

// For each of `pids` (ascending), whether it lies on a cycle of the wait-for graph among `pids` or
// waits, through a chain, for one that does. Those are deadlocked; the rest wait, perhaps through a
// chain, for a process stuck on something no process will do.
function reachesCycle(pids: readonly number[], edges: readonly WaitEdge[]): boolean[] {
  const successors = successorsAmong(pids, edges);
  const component = stronglyConnectedComponents(successors);
  const componentSize = new Map<number, number>();
  for (const id of component) componentSize.set(id, (componentSize.get(id) ?? 0) + 1);
  const predecessors: number[][] = pids.map(() => []);
  successors.forEach((out, vertex) => out.forEach((next) => predecessors[next]?.push(vertex)));

  const trapped = pids.map((_, vertex) => (componentSize.get(component[vertex] ?? -1) ?? 0) >= 2);
  const pending = trapped.flatMap((isTrapped, vertex) => (isTrapped ? [vertex] : []));
  for (let vertex = pending.pop(); vertex !== undefined; vertex = pending.pop()) {
    for (const waiter of predecessors[vertex] ?? []) {
      if (trapped[waiter]) continue;
      trapped[waiter] = true;
      pending.push(waiter);
    }
  }
  return trapped;
}

// The wait-for graph restricted to `pids` (ascending), as successor lists of indices into `pids`.
function successorsAmong(pids: readonly number[], edges: readonly WaitEdge[]): number[][] {
  const indexOf = new Map(pids.map((pid, index) => [pid, index]));
  const successors: number[][] = pids.map(() => []);
  for (const {from, to} of edges) {
    const source = indexOf.get(from);
    const target = indexOf.get(to);
    if (source === undefined || target === undefined) continue;
    const list = successors[source] ?? [];
    if (list.at(-1) !== target) list.push(target); // edges are sorted by from, then to: repeats are adjacent
  }
  return successors;
}

// Elementary cycles of the wait-for graph restricted to the deadlocked, by Johnson's algorithm
// (SIAM J. Comput. 4(1), 1975). Each round takes the strongly connected components of the vertices
// from `start` up, moves `start` to the lowest vertex in a component with a cycle, and lists the
// cycles through it inside that component, so every cycle is found once, already rotated to its
// lowest pid. Each round finds at least one cycle in linear time, and the search stops at
// MAX_LISTED_CYCLES, so the whole listing is linear in the size of the graph.
function listCycles(deadlocked: readonly number[], edges: readonly WaitEdge[]): number[][] {
  const successors = successorsAmong(deadlocked, edges);
  const count = deadlocked.length;
  const cycles: number[][] = [];
  const blocked = new Array<boolean>(count).fill(false);
  const blockedBy: Set<number>[] = deadlocked.map(() => new Set());

  const unblock = (first: number): void => {
    const pending = [first];
    for (let vertex = pending.pop(); vertex !== undefined; vertex = pending.pop()) {
      if (!blocked[vertex]) continue;
      blocked[vertex] = false;
      const waiting = blockedBy[vertex];
      if (waiting === undefined) continue;
      pending.push(...waiting);
      waiting.clear();
    }
  };

  for (let start = 0; start < count && cycles.length < MAX_LISTED_CYCLES; start++) {
    const component = stronglyConnectedComponents(successors, start);
    const componentSize = new Map<number, number>();
    for (const id of component) if (id >= 0) componentSize.set(id, (componentSize.get(id) ?? 0) + 1);
    const onCycle = (vertex: number): boolean => (componentSize.get(component[vertex] ?? -1) ?? 0) >= 2;
    while (start < count && !onCycle(start)) start++;
    if (start === count) break;

    const home = component[start];
    const inScope = (vertex: number): boolean => component[vertex] === home;
    for (let vertex = start; vertex < count; vertex++) {
      if (!inScope(vertex)) continue;
      blocked[vertex] = false;
      blockedBy[vertex]?.clear();
    }

    // An explicit stack instead of recursion: a deadlocked chain can be thousands of processes long.
    const path: number[] = [start];
    const frames: {vertex: number; next: number; found: boolean}[] = [{vertex: start, next: 0, found: false}];
    blocked[start] = true;
    while (frames.length > 0 && cycles.length < MAX_LISTED_CYCLES) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const out = successors[frame.vertex] ?? [];
      if (frame.next < out.length) {
        const next = out[frame.next] ?? -1;
        frame.next += 1;
        if (!inScope(next)) continue;
        if (next === start) {
          cycles.push(path.map((vertex) => deadlocked[vertex] ?? -1));
          frame.found = true;
        } else if (!blocked[next]) {
          blocked[next] = true;
          path.push(next);
          frames.push({vertex: next, next: 0, found: false});
        }
        continue;
      }
      frames.pop();
      path.pop();
      if (frame.found) {
        unblock(frame.vertex);
      } else {
        for (const next of out) if (inScope(next)) blockedBy[next]?.add(frame.vertex);
      }
      const parent = frames[frames.length - 1];
      if (parent !== undefined && frame.found) parent.found = true;
    }
  }
  return cycles.sort(compareSequences);
}

// Tarjan's algorithm, iterative, over the vertices numbered `lowest` and up (the rest are ignored).
// Returns a component id per vertex, -1 for the ignored ones.
function stronglyConnectedComponents(successors: readonly (readonly number[])[], lowest = 0): number[] {
  const count = successors.length;
  const index = new Array<number>(count).fill(-1);
  const low = new Array<number>(count).fill(0);
  const onStack = new Array<boolean>(count).fill(false);
  const component = new Array<number>(count).fill(-1);
  const stack: number[] = [];
  let nextIndex = 0;
  let nextComponent = 0;

  for (let root = lowest; root < count; root++) {
    if (index[root] !== -1) continue;
    const frames: {vertex: number; next: number}[] = [{vertex: root, next: 0}];
    index[root] = low[root] = nextIndex++;
    stack.push(root);
    onStack[root] = true;
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame === undefined) break;
      const {vertex} = frame;
      const out = successors[vertex] ?? [];
      if (frame.next < out.length) {
        const next = out[frame.next] ?? -1;
        frame.next += 1;
        if (next < lowest) continue;
        if (index[next] === -1) {
          index[next] = low[next] = nextIndex++;
          stack.push(next);
          onStack[next] = true;
          frames.push({vertex: next, next: 0});
        } else if (onStack[next]) {
          low[vertex] = Math.min(low[vertex] ?? 0, index[next] ?? 0);
        }
        continue;
      }
      frames.pop();
      if (low[vertex] === index[vertex]) {
        for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
          onStack[member] = false;
          component[member] = nextComponent;
          if (member === vertex) break;
        }
        nextComponent += 1;
      }
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low[parent.vertex] = Math.min(low[parent.vertex] ?? 0, low[vertex] ?? 0);
    }
  }
  return component;
}

function compareSequences(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

function assertWellFormed(input: DeadlockInput): void {
  const width = input.resources.length;
  if (input.available.length !== width) {
    throw new KernelBug(`Deadlock input has ${input.available.length} available amounts; expected ${width}.`);
  }
  const seen = new Set<number>();
  for (const {pid, allocation, wait} of input.processes) {
    if (seen.has(pid)) throw new KernelBug(`Deadlock input lists pid ${pid} twice.`);
    seen.add(pid);
    if (allocation.length !== width) {
      throw new KernelBug(`Pid ${pid} has ${allocation.length} allocation amounts; expected ${width}.`);
    }
    if (wait?.kind === 'res' && wait.request.length !== width) {
      throw new KernelBug(`Pid ${pid} requests ${wait.request.length} amounts; expected ${width}.`);
    }
  }
}
