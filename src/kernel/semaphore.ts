// Counting and binary semaphores. Waiters block in FIFO order; a signal hands its unit straight
// to the first waiter. The table also remembers who holds units (a successful wait not yet
// matched by a signal from the same process) so the wait-for graph has edges and a killed process
// gives its units back (a normal exit undoes nothing: kernel.ts exit()).

import type {Process} from './process.js';
import {FifoQueue} from './scheduler/ready-queue.js';

export interface Semaphore {
  readonly name: string;
  readonly initial: number;
  /** A binary semaphore's value never exceeds 1. */
  readonly isBinary: boolean;
  value: number;
  readonly waiters: FifoQueue;
  /** Units held, by owner pid (0 = the shell). */
  readonly holders: Map<number, number>;
}

export function createSemaphore(name: string, initial: number, isBinary: boolean): Semaphore {
  return {name, initial, isBinary, value: initial, waiters: new FifoQueue(), holders: new Map()};
}

/** Take a unit for `owner` if one is free and nobody queues ahead. Returns whether it was taken. */
export function tryTake(sem: Semaphore, owner: number): boolean {
  if (sem.value <= 0 || sem.waiters.size > 0) return false;
  sem.value--;
  addHold(sem, owner);
  return true;
}

export function addHold(sem: Semaphore, owner: number): void {
  sem.holders.set(owner, (sem.holders.get(owner) ?? 0) + 1);
}

/** Forget one unit held by `owner`, if it holds any (a signal from a non-holder holds nothing). */
export function dropHold(sem: Semaphore, owner: number): void {
  const held = sem.holders.get(owner);
  if (held === undefined) return;
  if (held <= 1) sem.holders.delete(owner);
  else sem.holders.set(owner, held - 1);
}

/**
 * Signal by `owner`: the first waiter gets the unit and is returned (the kernel wakes it);
 * with no waiter the value rises (a binary semaphore stays at 1).
 */
export function signal(sem: Semaphore, owner: number): Process | undefined {
  dropHold(sem, owner);
  const waiter = sem.waiters.pop();
  if (waiter) {
    addHold(sem, waiter.pid);
    return waiter;
  }
  sem.value = sem.isBinary ? 1 : sem.value + 1;
  return undefined;
}
