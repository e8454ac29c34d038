// The two ready-queue shapes the policies are built from, both O(1) or O(log n) per operation
// so a tick costs the same with 1,000 or 100,000 ready processes.
//
// Interface:
// - FifoQueue: intrusive doubly linked list (FCFS, RR, each MLFQ level); O(1) push, pop, remove, splice
// - ProcessHeap: binary min-heap with each process's slot stored on it (SJF, SRTF, priority);
//   O(log n) push, pop, remove and update

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
    if (process.queueId !== this.id) throw new KernelBug(`Process ${process.pid} is not in ready queue ${this.id}.`);
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

/** Returns negative when `a` should run before `b`. */
export type ProcessOrder = (a: Process, b: Process) => number;

export class ProcessHeap {
  private readonly items: Process[] = [];
  private readonly order: ProcessOrder;

  constructor(order: ProcessOrder) {
    this.order = order;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): Process | undefined {
    return this.items[0];
  }

  push(process: Process): void {
    if (process.heapIndex !== -1) throw new KernelBug(`Process ${process.pid} is already in a heap.`);
    process.heapIndex = this.items.length;
    this.items.push(process);
    this.up(process.heapIndex);
  }

  pop(): Process | undefined {
    const top = this.items[0];
    if (top) this.remove(top);
    return top;
  }

  remove(process: Process): void {
    const index = process.heapIndex;
    if (this.items[index] !== process) throw new KernelBug(`Process ${process.pid} is not in this heap.`);
    const last = this.items.pop()!;
    process.heapIndex = -1;
    if (last === process) return;
    this.items[index] = last;
    last.heapIndex = index;
    this.update(last);
  }

  /** Restore order after the process's key changed (priority, aging). */
  update(process: Process): void {
    this.up(process.heapIndex);
    this.down(process.heapIndex);
  }

  /** Every process, in no particular order. */
  values(): readonly Process[] {
    return this.items;
  }

  private up(index: number): void {
    const items = this.items;
    const item = items[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (this.order(item, parent) >= 0) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = item;
    item.heapIndex = index;
  }

  private down(index: number): void {
    const items = this.items;
    const length = items.length;
    const item = items[index];
    if (!item) return;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && this.order(items[right]!, items[left]!) < 0) child = right;
      if (this.order(items[child]!, item) >= 0) break;
      items[index] = items[child]!;
      items[index]!.heapIndex = index;
      index = child;
    }
    items[index] = item;
    item.heapIndex = index;
  }
}
