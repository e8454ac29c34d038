// A fixed-capacity ring of reusable records: the event log and the Gantt strip keep their last N
// entries without allocating on the hot path (a tick that dispatches writes into an old slot).

export class Ring<T> {
  private readonly slots: T[] = [];
  private readonly capacity: number;
  private readonly create: () => T;
  private start = 0;

  constructor(capacity: number, create: () => T) {
    this.capacity = capacity;
    this.create = create;
  }

  get size(): number {
    return this.slots.length;
  }

  /** The slot to fill next: a fresh one until the ring is full, then the oldest one, reused. */
  claim(): T {
    if (this.slots.length < this.capacity) {
      const slot = this.create();
      this.slots.push(slot);
      return slot;
    }
    const slot = this.slots[this.start]!;
    this.start = (this.start + 1) % this.capacity;
    return slot;
  }

  /** The newest slot, or undefined when empty. */
  last(): T | undefined {
    if (this.slots.length === 0) return undefined;
    return this.slots[(this.start + this.slots.length - 1) % this.slots.length];
  }

  /** The newest `limit` entries, oldest first, copied with `copy`. */
  recent(limit: number, copy: (slot: T) => T): T[] {
    const count = Math.min(limit, this.slots.length);
    const result: T[] = [];
    for (let i = this.slots.length - count; i < this.slots.length; i++) {
      result.push(copy(this.slots[(this.start + i) % this.slots.length]!));
    }
    return result;
  }
}
