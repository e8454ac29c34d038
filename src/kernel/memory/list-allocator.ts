// A deliberately plain reference allocator: the holes are a linked list in address order, and every fit,
// release and query scans it from the head, O(n). It keeps Heap's contract (heap.ts) with exactly the same
// observable results - addresses, rover, errors, stats, map - and exists as the oracle the tests hold Heap
// against and the baseline `npm run bench` measures it against. The kernel itself uses Heap.

import {KernelError} from '../errors.js';
import {isFitPolicyName} from './fits.js';
import type {FitPolicyName} from './fits.js';
import {heapMessages} from './heap.js';
import type {Allocator, HeapStats, MapEntry, MemoryBlock} from './heap.js';

interface Hole {
  start: number;
  size: number;
  next: Hole | null;
}

// Each policy scans the list once (next fit up to twice) and returns the hole it picks, or null.
type Scan = (head: Hole | null, size: number, rover: number) => Hole | null;

const scans: Record<FitPolicyName, Scan> = {
  first(head, size) {
    for (let hole = head; hole !== null; hole = hole.next) if (hole.size >= size) return hole;
    return null;
  },
  best(head, size) {
    let chosen: Hole | null = null;
    for (let hole = head; hole !== null; hole = hole.next) {
      if (hole.size >= size && (chosen === null || hole.size < chosen.size)) chosen = hole;
    }
    return chosen;
  },
  worst(head, size) {
    let chosen: Hole | null = null;
    for (let hole = head; hole !== null; hole = hole.next) {
      if (chosen === null || hole.size > chosen.size) chosen = hole;
    }
    return chosen !== null && chosen.size >= size ? chosen : null;
  },
  next(head, size, rover) {
    for (let hole = head; hole !== null; hole = hole.next) {
      if (hole.start <= rover && rover < hole.start + hole.size && hole.size >= size) return hole;
    }
    for (let hole = head; hole !== null; hole = hole.next) {
      if (hole.start > rover && hole.size >= size) return hole;
    }
    return scans.first(head, size, rover);
  },
};

/** Heap's contract over a linked list of holes scanned linearly: the test oracle and bench baseline. */
export class ListAllocator implements Allocator {
  readonly size: number;
  private head: Hole | null;
  private readonly blocks = new Map<number, MemoryBlock>();
  private policy: FitPolicyName;
  private roverAddress = 0;

  /** Create an allocator of `size` units, all one hole. Throws KernelError EINVAL like Heap. */
  constructor(size: number, fit: FitPolicyName = 'first') {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new KernelError('EINVAL', heapMessages.badHeapSizeMessage(size));
    }
    this.size = size;
    this.policy = checkedFit(fit);
    this.head = {start: 0, size, next: null};
  }

  get fit(): FitPolicyName {
    return this.policy;
  }

  set fit(name: FitPolicyName) {
    this.policy = checkedFit(name);
  }

  get rover(): number {
    return this.roverAddress;
  }

  /** Allocate `size` units from the low end of the hole the policy picks; undefined when none fits. */
  allocate(size: number, owner: number): number | undefined {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new KernelError('EINVAL', heapMessages.badSizeMessage(size));
    }
    if (!Number.isSafeInteger(owner) || owner < 0) {
      throw new KernelError('EINVAL', heapMessages.badOwnerMessage(owner));
    }
    const hole = scans[this.policy](this.head, size, this.roverAddress);
    if (hole === null) return undefined;
    const addr = hole.start;
    hole.start += size;
    hole.size -= size;
    if (hole.size === 0) this.unlink(hole);
    this.blocks.set(addr, {addr, size, owner});
    if (this.policy === 'next') this.roverAddress = addr + size;
    return addr;
  }

  /** Free the block at `addr`, merging it with adjacent holes. Throws KernelError EFAULT like Heap. */
  release(addr: number): MemoryBlock {
    const block = this.blocks.get(addr);
    if (block === undefined) throw new KernelError('EFAULT', this.explainBadAddress(addr));
    this.blocks.delete(addr);
    let below: Hole | null = null;
    let above = this.head;
    while (above !== null && above.start < addr) {
      below = above;
      above = above.next;
    }
    const freed: Hole = {start: addr, size: block.size, next: above};
    if (below === null) this.head = freed;
    else below.next = freed;
    if (above !== null && freed.start + freed.size === above.start) {
      freed.size += above.size;
      freed.next = above.next;
    }
    if (below !== null && below.start + below.size === freed.start) {
      below.size += freed.size;
      below.next = freed.next;
    }
    return block;
  }

  blockAt(addr: number): MemoryBlock | undefined {
    return this.blocks.get(addr);
  }

  /** Totals counted by scanning the list and the blocks. */
  stats(): HeapStats {
    let free = 0;
    let freeBlocks = 0;
    let largestFree = 0;
    for (let hole = this.head; hole !== null; hole = hole.next) {
      free += hole.size;
      freeBlocks++;
      largestFree = Math.max(largestFree, hole.size);
    }
    return {
      total: this.size,
      used: this.size - free,
      free,
      usedBlocks: this.blocks.size,
      freeBlocks,
      largestFree,
      externalFragmentation: free === 0 ? 0 : 1 - largestFree / free,
    };
  }

  /** Holes and blocks together, sorted by address. */
  map(): MapEntry[] {
    const entries: MapEntry[] = [];
    for (let hole = this.head; hole !== null; hole = hole.next) {
      entries.push({addr: hole.start, size: hole.size, owner: null});
    }
    for (const block of this.blocks.values()) {
      entries.push({addr: block.addr, size: block.size, owner: block.owner});
    }
    return entries.sort((a, b) => a.addr - b.addr);
  }

  describeFailure(size: number): string {
    const {largestFree, free, freeBlocks} = this.stats();
    return heapMessages.describeFit(size, this.policy, largestFree, free, freeBlocks);
  }

  private unlink(target: Hole): void {
    if (this.head === target) {
      this.head = target.next;
      return;
    }
    for (let hole = this.head; hole !== null; hole = hole.next) {
      if (hole.next === target) {
        hole.next = target.next;
        return;
      }
    }
  }

  private explainBadAddress(addr: number): string {
    if (!Number.isSafeInteger(addr)) return heapMessages.notAnAddressMessage(addr);
    if (addr < 0 || addr >= this.size) return heapMessages.outsideMessage(addr, this.size);
    for (let hole = this.head; hole !== null; hole = hole.next) {
      if (hole.start <= addr && addr < hole.start + hole.size) {
        return heapMessages.inHoleMessage(addr, hole.start, hole.size);
      }
    }
    for (const block of this.blocks.values()) {
      if (block.addr <= addr && addr < block.addr + block.size)
        return heapMessages.inBlockMessage(addr, block);
    }
    return `Address ${addr} is in neither a hole nor a block.`;
  }
}

function checkedFit(name: unknown): FitPolicyName {
  if (!isFitPolicyName(name)) {
    throw new KernelError('EINVAL', heapMessages.unknownFitMessage(name));
  }
  return name;
}
