// The two ready-queue shapes the policies are built from, both O(1) or O(log n) per operation
// so a tick costs the same with 1,000 or 100,000 ready processes.
//
// Interface:
// - FifoQueue: intrusive doubly linked list (FCFS, RR, each MLFQ level); O(1) push, pop, remove, splice
// - ProcessHeap: 4-ary min-heap with keys in typed arrays and each process's slot stored on it
//   (SJF, SRTF, priority, and the kernel's arrival and io timers); O(log n) push, pop, remove, update

import {KernelBug} from '../errors.js';
import type {Process} from '../process.js';

let nextQueueId = 1;

export class FifoQueue {
  readonly id = nextQueueId++;
  private head: Process | undefined;
  private tail: Process | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  peek(): Process | undefined {
    return this.head;
  }

  /** Append at the tail. The process must not be in any queue. */
  push(process: Process): void {
    this.claim(process);
    process.queuePrev = this.tail;
    process.queueNext = undefined;
    if (this.tail) this.tail.queueNext = process;
    else this.head = process;
    this.tail = process;
  }

  /** Insert at the head (a preempted process resumes before its peers). */
  unshift(process: Process): void {
    this.claim(process);
    process.queuePrev = undefined;
    process.queueNext = this.head;
    if (this.head) this.head.queuePrev = process;
    else this.tail = process;
    this.head = process;
  }

  pop(): Process | undefined {
    const head = this.head;
    if (head) this.remove(head);
    return head;
  }

  /** Unlink a process that is in this queue. */
  remove(process: Process): void {
    if (process.queueId !== this.id)
      throw new KernelBug(`Process ${process.pid} is not in ready queue ${this.id}.`);
    if (process.queuePrev) process.queuePrev.queueNext = process.queueNext;
    else this.head = process.queueNext;
    if (process.queueNext) process.queueNext.queuePrev = process.queuePrev;
    else this.tail = process.queuePrev;
    process.queuePrev = process.queueNext = undefined;
    process.queueId = -1;
    this.count--;
  }

  /** Move every process of `other` to this queue's tail, keeping their order. O(other.size) for the ids. */
  append(other: FifoQueue): void {
    for (let p = other.head; p; p = p.queueNext) p.queueId = this.id;
    if (!other.head) return;
    if (this.tail) {
      this.tail.queueNext = other.head;
      other.head.queuePrev = this.tail;
    } else {
      this.head = other.head;
    }
    this.tail = other.tail;
    this.count += other.count;
    other.head = other.tail = undefined;
    other.count = 0;
  }

  *[Symbol.iterator](): IterableIterator<Process> {
    for (let p = this.head; p; p = p.queueNext) yield p;
  }

  private claim(process: Process): void {
    // The heap slot is checked by ProcessHeap; the priority policy keeps a process in both.
    if (process.queueId !== -1) throw new KernelBug(`Process ${process.pid} is already in a queue.`);
    process.queueId = this.id;
    this.count++;
  }
}

/** A heap key: the smaller key runs first. */
export type ProcessKey = (process: Process) => number;

const ARITY = 4; // half the depth of a binary heap; the four children's keys are adjacent
const KEY_STRIDE = 3;

/**
 * A 4-ary min-heap ordered by (primary, secondary, pid). Each entry's three keys sit side by
 * side in one typed array, and slots are indexed by pid, so sifting through 100,000 entries
 * compares and moves numbers in dense memory instead of touching cold process records.
 */
export class ProcessHeap {
  private items: (Process | undefined)[] = [];
  /** (primary, secondary, pid) for each entry, KEY_STRIDE numbers apart. */
  private keys = new Float64Array(64 * KEY_STRIDE);
  /** Slot of each pid in the heap, -1 when absent. */
  private slots = new Int32Array(64).fill(-1);
  private count = 0;
  private readonly primary: ProcessKey;
  private readonly secondary: ProcessKey;

  constructor(primary: ProcessKey, secondary: ProcessKey) {
    this.primary = primary;
    this.secondary = secondary;
  }

  get size(): number {
    return this.count;
  }

  peek(): Process | undefined {
    return this.count > 0 ? this.items[0] : undefined;
  }

  has(process: Process): boolean {
    return this.slotOf(process) >= 0;
  }

  push(process: Process): void {
    if (this.slotOf(process) >= 0) throw new KernelBug(`Process ${process.pid} is already in this heap.`);
    if (this.count * KEY_STRIDE === this.keys.length) this.growKeys();
    if (process.pid >= this.slots.length) this.growSlots(process.pid);
    this.siftUp(this.count++, process, this.primary(process), this.secondary(process), process.pid);
  }

  pop(): Process | undefined {
    const top = this.peek();
    if (top) this.remove(top);
    return top;
  }

  remove(process: Process): void {
    const index = this.slotOf(process);
    if (index < 0) throw new KernelBug(`Process ${process.pid} is not in this heap.`);
    this.slots[process.pid] = -1;
    const lastIndex = --this.count;
    if (index !== lastIndex) {
      this.move(lastIndex, index);
      this.items[lastIndex] = undefined;
      this.resift(index);
    } else {
      this.items[lastIndex] = undefined;
    }
  }

  /** Restore order after the process's key changed (priority, aging). */
  update(process: Process): void {
    const index = this.slotOf(process);
    if (index < 0) throw new KernelBug(`Process ${process.pid} is not in this heap.`);
    this.place(index, process, this.primary(process), this.secondary(process), process.pid);
    this.resift(index);
  }

  /** Every process, in no particular order. */
  values(): Process[] {
    return this.items.slice(0, this.count) as Process[];
  }

  private slotOf(process: Process): number {
    const index = process.pid < this.slots.length ? this.slots[process.pid]! : -1;
    return index >= 0 && this.items[index] === process ? index : -1;
  }

  private place(index: number, process: Process, primary: number, secondary: number, pid: number): void {
    this.items[index] = process;
    const at = index * KEY_STRIDE;
    this.keys[at] = primary;
    this.keys[at + 1] = secondary;
    this.keys[at + 2] = pid;
    this.slots[pid] = index;
  }

  /** Move entry `from` to slot `to` (the hole). The pid comes from the key array, not the record: a cold record would cost a cache miss per level. */
  private move(from: number, to: number): void {
    this.items[to] = this.items[from];
    const keys = this.keys;
    const source = from * KEY_STRIDE;
    const target = to * KEY_STRIDE;
    keys[target] = keys[source]!;
    keys[target + 1] = keys[source + 1]!;
    const pid = keys[source + 2]!;
    keys[target + 2] = pid;
    this.slots[pid] = to;
  }

  /** Whether (primary, secondary, pid) sorts before the entry at `index`. */
  private isBefore(primary: number, secondary: number, pid: number, index: number): boolean {
    const keys = this.keys;
    const at = index * KEY_STRIDE;
    if (primary !== keys[at]) return primary < keys[at]!;
    if (secondary !== keys[at + 1]) return secondary < keys[at + 1]!;
    return pid < keys[at + 2]!;
  }

  private resift(index: number): void {
    const process = this.items[index]!;
    const at = index * KEY_STRIDE;
    const primary = this.keys[at]!;
    const secondary = this.keys[at + 1]!;
    const pid = this.keys[at + 2]!;
    const parent = ((index - 1) / ARITY) | 0;
    if (index > 0 && this.isBefore(primary, secondary, pid, parent))
      this.siftUp(index, process, primary, secondary, pid);
    else this.siftDown(index, process, primary, secondary, pid);
  }

  /** Move the hole at `index` up until the entry fits, then put it there. */
  private siftUp(index: number, process: Process, primary: number, secondary: number, pid: number): void {
    while (index > 0) {
      const parent = ((index - 1) / ARITY) | 0;
      if (!this.isBefore(primary, secondary, pid, parent)) break;
      this.move(parent, index);
      index = parent;
    }
    this.place(index, process, primary, secondary, pid);
  }

  private siftDown(index: number, process: Process, primary: number, secondary: number, pid: number): void {
    const keys = this.keys;
    for (;;) {
      const first = index * ARITY + 1;
      if (first >= this.count) break;
      let best = first;
      const end = Math.min(first + ARITY, this.count);
      for (let child = first + 1; child < end; child++) {
        const at = child * KEY_STRIDE;
        if (this.isBefore(keys[at]!, keys[at + 1]!, keys[at + 2]!, best)) best = child;
      }
      if (this.isBefore(primary, secondary, pid, best)) break;
      this.move(best, index);
      index = best;
    }
    this.place(index, process, primary, secondary, pid);
  }

  private growKeys(): void {
    const larger = new Float64Array(this.keys.length * 2);
    larger.set(this.keys);
    this.keys = larger;
  }

  private growSlots(pid: number): void {
    const larger = new Int32Array(Math.max(pid + 1, this.slots.length * 2)).fill(-1);
    larger.set(this.slots);
    this.slots = larger;
  }
}
