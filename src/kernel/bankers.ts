// Banker's algorithm (deadlock avoidance): grant a request only if the state after it is still safe.
// The safety scan walks processes in ascending pid order with a cursor that wraps (it does not
// restart at the first process after each find); ties therefore go to the next pid after the last
// one that finished, which reproduces the safe sequences the textbook prints (Silberschatz, OSC 8.6).
// Interface:
//   needOf(state)                  need = max - allocation, per process row
//   findSafeSequence(state)        the safety algorithm: a safe sequence, or who is stuck
//   checkRequest(state, pid, req)  the resource-request algorithm; never mutates the state

import {KernelBug} from './errors.js';

/** A snapshot of the Banker's tables. Rows of max and allocation follow `processes`; columns follow `resources`. */
export interface BankerState {
  /** Resource names, in column order. */
  resources: readonly string[];
  /** Free units per resource. */
  available: readonly number[];
  /** Pids, one per row of max and allocation (ascending; the scan sorts them anyway). */
  processes: readonly number[];
  /** The declared claim: the most each process may ever hold, per resource. */
  max: readonly (readonly number[])[];
  /** Units each process holds now, per resource. */
  allocation: readonly (readonly number[])[];
}

export interface SafetyResult {
  safe: boolean;
  /** Pids in finishing order; for an unsafe state, the ones that could still finish. */
  sequence: number[];
  /** Pids that cannot finish, ascending; [] when safe. */
  stuck: number[];
}

export type RequestOutcome =
  /** The state after the grant is safe; `sequence` is its safe sequence. */
  | {kind: 'granted'; sequence: number[]}
  /** The request exceeds available: the process must wait. */
  | {kind: 'wait'; reason: string}
  /** Granting would leave an unsafe state; `stuck` are the pids that could then not finish. */
  | {kind: 'unsafe'; reason: string; stuck: number[]}
  /** Unknown pid, wrong length, a negative or fractional amount, or more than the remaining need. */
  | {kind: 'invalid'; reason: string};

/**
 * Need of every process: max - allocation, one row per entry of `state.processes`.
 * Throws KernelBug when the tables are malformed (ragged rows, negative amounts, allocation above max).
 */
export function needOf(state: BankerState): number[][] {
  assertWellFormed(state);
  return state.max.map((maxRow, row) =>
    maxRow.map((claim, column) => claim - at(state.allocation[row], column)),
  );
}

/**
 * Safety algorithm: find an order in which every process can get its full need and finish.
 * Returns safe=false with the finishable prefix in `sequence` and the rest in `stuck` when no such order exists.
 * Throws KernelBug when the tables are malformed.
 */
export function findSafeSequence(state: BankerState): SafetyResult {
  const need = needOf(state);
  return scanForSafety(state.processes, state.available, state.allocation, need);
}

/**
 * Resource-request algorithm for process `pid` asking for `request` (one amount per resource).
 * Checks request <= need (else invalid), then request <= available (else wait), then pretends to grant
 * and runs the safety algorithm (unsafe, or granted with the new safe sequence). Does not mutate the state.
 * Throws KernelBug when the tables are malformed.
 */
export function checkRequest(state: BankerState, pid: number, request: readonly number[]): RequestOutcome {
  const need = needOf(state);
  const {resources, available, processes} = state;
  const row = processes.indexOf(pid);
  if (row < 0) {
    return {
      kind: 'invalid',
      reason: `Process ${pid} is not in the Banker's tables (known pids: ${listPids(processes)}).`,
    };
  }
  if (request.length !== resources.length) {
    return {
      kind: 'invalid',
      reason: `Request ${vector(request)} by pid ${pid} has ${request.length} amounts; expected ${resources.length} (${resources.join(', ')}).`,
    };
  }
  const bad = request.findIndex((amount) => !Number.isInteger(amount) || amount < 0);
  if (bad >= 0) {
    return {
      kind: 'invalid',
      reason: `Request ${vector(request)} by pid ${pid} asks for ${resources[bad]}=${request[bad]}; amounts must be whole numbers >= 0.`,
    };
  }
  const needRow = need[row] ?? [];
  const overClaim = firstExceeding(request, needRow);
  if (overClaim >= 0) {
    return {
      kind: 'invalid',
      reason: `Request ${vector(request)} by pid ${pid} exceeds its need ${vector(needRow)}: asks ${resources[overClaim]}=${request[overClaim]} but its max claim leaves only ${needRow[overClaim]}.`,
    };
  }
  const short = firstExceeding(request, available);
  if (short >= 0) {
    return {
      kind: 'wait',
      reason: `Request ${vector(request)} by pid ${pid} exceeds available ${vector(available)}: needs ${resources[short]}=${request[short]} but only ${available[short]} available.`,
    };
  }

  // Pretend to grant: available -= request, allocation += request, need -= request.
  const pretendAvailable = available.map((units, column) => units - at(request, column));
  const pretendAllocation = state.allocation.map((allocationRow, r) =>
    r === row ? allocationRow.map((units, column) => units + at(request, column)) : allocationRow,
  );
  const pretendNeed = need.map((needOfRow, r) =>
    r === row ? needOfRow.map((units, column) => units - at(request, column)) : needOfRow,
  );
  const result = scanForSafety(processes, pretendAvailable, pretendAllocation, pretendNeed);
  if (!result.safe) {
    return {
      kind: 'unsafe',
      reason: `Granting ${vector(request)} to pid ${pid} would leave an unsafe state: pids ${listPids(result.stuck)} could not finish.`,
      stuck: result.stuck,
    };
  }
  return {kind: 'granted', sequence: result.sequence};
}

// The safety scan proper, over rows that are already validated.
function scanForSafety(
  processes: readonly number[],
  available: readonly number[],
  allocation: readonly (readonly number[])[],
  need: readonly (readonly number[])[],
): SafetyResult {
  const count = processes.length;
  // sorted by pid so the safe sequence matches the one the textbook prints
  const order = processes.map((_, row) => row).sort((a, b) => at(processes, a) - at(processes, b));
  const work = [...available];
  const finished = new Array<boolean>(count).fill(false);
  const sequence: number[] = [];
  let cursor = 0;
  let sinceLastFind = 0;
  // One full pass past the last find with nothing new means nobody else can finish.
  while (sequence.length < count && sinceLastFind < count) {
    const row = at(order, cursor);
    cursor = (cursor + 1) % count;
    sinceLastFind += 1;
    if (finished[row] || firstExceeding(need[row] ?? [], work) >= 0) continue;
    finished[row] = true;
    (allocation[row] ?? []).forEach((units, column) => {
      work[column] = at(work, column) + units;
    });
    sequence.push(at(processes, row));
    sinceLastFind = 0;
  }
  const stuck = processes.filter((_, row) => !finished[row]).sort((a, b) => a - b);
  return {safe: stuck.length === 0, sequence, stuck};
}

// Index of the first column where wanted > have, or -1 when wanted <= have everywhere.
function firstExceeding(wanted: readonly number[], have: readonly number[]): number {
  return wanted.findIndex((units, column) => units > at(have, column));
}

function assertWellFormed(state: BankerState): void {
  const {resources, available, processes, max, allocation} = state;
  const width = resources.length;
  if (available.length !== width) {
    throw new KernelBug(
      `Banker's available ${vector(available)} has ${available.length} columns; expected ${width}.`,
    );
  }
  if (max.length !== processes.length || allocation.length !== processes.length) {
    throw new KernelBug(
      `Banker's tables have ${processes.length} pids but ${max.length} max rows and ${allocation.length} allocation rows.`,
    );
  }
  if (new Set(processes).size !== processes.length) {
    throw new KernelBug(`Banker's pids ${listPids(processes)} contain a duplicate.`);
  }
  if (available.some((units) => units < 0)) {
    throw new KernelBug(`Banker's available ${vector(available)} has a negative amount.`);
  }
  processes.forEach((pid, row) => {
    const maxRow = max[row] ?? [];
    const allocationRow = allocation[row] ?? [];
    if (maxRow.length !== width || allocationRow.length !== width) {
      throw new KernelBug(
        `Banker's rows for pid ${pid} have ${maxRow.length} max and ${allocationRow.length} allocation columns; expected ${width}.`,
      );
    }
    const over = allocationRow.findIndex((units, column) => units < 0 || units > at(maxRow, column));
    if (over >= 0) {
      throw new KernelBug(
        `Pid ${pid} holds ${resources[over]}=${allocationRow[over]}, outside 0..max ${at(maxRow, over)}.`,
      );
    }
  });
}

function vector(amounts: readonly number[]): string {
  return `(${amounts.join(',')})`;
}

function listPids(pids: readonly number[]): string {
  return pids.length === 0 ? 'none' : pids.join(', ');
}

// Read an index the caller has already bounds-checked (noUncheckedIndexedAccess).
function at(values: readonly number[] | undefined, index: number): number {
  return values?.[index] ?? 0;
}
