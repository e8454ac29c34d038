// The kernel's contiguous heap: addresses [0, size) carved into blocks and holes. `allocate` takes the
// low end of the hole the fit policy picks (fits.ts); `release` frees a block and coalesces it with the
// holes on either side. Holes sit in an AVL tree by address that tracks the largest hole per subtree, and
// for best fit in a second by (size, address) (ordered-tree.ts): fits and releases are O(log n), stats() O(1).
// list-allocator.ts is the plain linear-scan version of the same contract, kept as the test oracle.

import {KernelBug, KernelError} from '../errors.js';
import {fits, isFitPolicyName, FIT_POLICY_NAMES} from './fits.js';
import type {FitPolicy, FitPolicyName, HoleIndex} from './fits.js';
import {OrderedTree, TreeNode} from './ordered-tree.js';

export {FIT_POLICY_NAMES};
export type {FitPolicyName};

/** An allocated block. `owner` is a pid; 0 means the shell or the kernel itself. */
export interface MemoryBlock {
  readonly addr: number;
  readonly size: number;
  readonly owner: number;
}

/** One row of the memory map: a block, or a free hole when `owner` is null. */
export interface MapEntry {
  addr: number;
  size: number;
  owner: number | null;
}

export interface HeapStats {
  total: number;
  used: number;
  free: number;
  usedBlocks: number;
  freeBlocks: number;
  largestFree: number;
  /** 1 - largestFree / free: how much of the free memory lies outside the largest hole; 0 when none is free. */
  externalFragmentation: number;
}

/** What the kernel and shell need from an allocator; Heap and ListAllocator both provide it. */
export interface Allocator {
  readonly size: number;
  fit: FitPolicyName;
  readonly rover: number;
  allocate(size: number, owner: number): number | undefined;
  release(addr: number): MemoryBlock;
  blockAt(addr: number): MemoryBlock | undefined;
  stats(): HeapStats;
  map(): MapEntry[];
  describeFailure(size: number): string;
}

/** A contiguous heap with first, best, worst and next fit. Deterministic: same calls, same addresses. */
export class Heap implements Allocator {
  /** Units the heap spans: addresses 0 to size - 1. */
  readonly size: number;
  // the holes by address, and by size while the policy needs it; a hole's two nodes are twins
  private readonly holes: HoleIndex = {byAddress: new OrderedTree(), bySize: new OrderedTree()};
  private isSizeIndexed = false;
  // the blocks by start address, and their total size
  private readonly blocks = new Map<number, MemoryBlock>();
  private used = 0;
  // the policy, and next fit's rover (kept when the policy changes)
  private policy: FitPolicy;
  private roverAddress = 0;

  /**
   * Create a heap of `size` units, all one hole.
   * Throws KernelError EINVAL when size is not a positive safe integer or `fit` names no policy.
   * @param fit - @default 'first'
   */
  constructor(size: number, fit: FitPolicyName = 'first') {
    if (!isPositiveSafeInteger(size)) {
      throw new KernelError('EINVAL', badHeapSizeMessage(size));
    }
    this.size = size;
    this.policy = lookUpFit(fit);
    this.addHole(0, size);
    this.keepSizeIndex(this.policy.usesSizeIndex);
  }

  /**
   * The current fit policy. Setting it keeps every block and hole, and the rover; switching to or from best
   * fit builds or drops the size index in O(n log n). Throws KernelError EINVAL for an unknown name.
   */
  get fit(): FitPolicyName {
    return this.policy.name;
  }

  set fit(name: FitPolicyName) {
    this.policy = lookUpFit(name);
    this.keepSizeIndex(this.policy.usesSizeIndex);
  }

  /** Where the next next-fit search starts: the end of the last next-fit block, initially 0. */
  get rover(): number {
    return this.roverAddress;
  }

  /**
   * Allocate `size` units with the current fit policy, from the low end of the chosen hole.
   * Returns the block's address, or undefined when no hole is big enough.
   * Throws KernelError EINVAL when size is not a positive safe integer or owner is not a pid (>= 0).
   */
  allocate(size: number, owner: number): number | undefined {
    if (!isPositiveSafeInteger(size)) throw new KernelError('EINVAL', badSizeMessage(size));
    if (!Number.isSafeInteger(owner) || owner < 0) throw new KernelError('EINVAL', badOwnerMessage(owner));
    const hole = this.policy.choose(this.holes, size, this.roverAddress);
    if (hole === null) return undefined;
    const addr = hole.key;
    this.carve(hole, size);
    this.blocks.set(addr, {addr, size, owner});
    this.used += size;
    if (this.policy.movesRover) this.roverAddress = addr + size;
    return addr;
  }

  /**
   * Free the block that starts at `addr` and return it; the hole it leaves coalesces with both neighbours.
   * Throws KernelError EFAULT when addr is not the start of an allocated block; the heap is then unchanged.
   */
  release(addr: number): MemoryBlock {
    const block = this.blocks.get(addr);
    if (block === undefined) throw new KernelError('EFAULT', this.explainBadAddress(addr));
    this.blocks.delete(addr);
    this.used -= block.size;
    const end = addr + block.size;
    const {byAddress} = this.holes;
    const below = byAddress.floor(addr);
    const above = below === null ? byAddress.first() : byAddress.successor(below);
    const joinsBelow = below !== null && below.key + below.value === addr;
    const joinsAbove = above !== null && above.key === end;
    if (joinsBelow && joinsAbove) {
      this.removeHole(above);
      this.resizeHole(below, below.key, below.value + block.size + above.value);
    } else if (joinsBelow) {
      this.resizeHole(below, below.key, below.value + block.size);
    } else if (joinsAbove) {
      // moving the start down to addr keeps the address order: the hole below ends before addr
      this.resizeHole(above, addr, above.value + block.size);
    } else {
      this.addHole(addr, block.size);
    }
    return block;
  }

  /** The allocated block that starts exactly at `addr`, or undefined. */
  blockAt(addr: number): MemoryBlock | undefined {
    return this.blocks.get(addr);
  }

  /** Totals kept as running counts: O(1). */
  stats(): HeapStats {
    const free = this.size - this.used;
    const largestFree = this.holes.byAddress.maxValue;
    return {
      total: this.size,
      used: this.used,
      free,
      usedBlocks: this.blocks.size,
      freeBlocks: this.holes.byAddress.size,
      largestFree,
      externalFragmentation: free === 0 ? 0 : 1 - largestFree / free,
    };
  }

  /** Every hole and block in address order, covering [0, size) exactly. O(n), for display. */
  map(): MapEntry[] {
    const entries: MapEntry[] = [];
    const {byAddress} = this.holes;
    let hole = byAddress.first();
    let cursor = 0;
    while (cursor < this.size) {
      if (hole !== null && hole.key === cursor) {
        entries.push({addr: cursor, size: hole.value, owner: null});
        cursor += hole.value;
        hole = byAddress.successor(hole);
      } else {
        const block = this.blocks.get(cursor);
        if (block === undefined) throw new KernelBug(`Heap map has a gap at address ${cursor}.`);
        entries.push({addr: cursor, size: block.size, owner: block.owner});
        cursor += block.size;
      }
    }
    return entries;
  }

  /**
   * Explain why `size` units do not fit, for error messages:
   * "No hole fits 96 units (largest free hole is 64, best fit)."
   */
  describeFailure(size: number): string {
    return describeFit(
      size,
      this.fit,
      this.holes.byAddress.maxValue,
      this.size - this.used,
      this.holes.byAddress.size,
    );
  }

  /** Verify the trees, the tiling of [0, size), coalescing and the running totals. Throws KernelBug. */
  checkInvariants(): void {
    const {byAddress, bySize} = this.holes;
    byAddress.checkInvariants();
    bySize.checkInvariants();
    if (bySize.size !== (this.isSizeIndexed ? byAddress.size : 0)) {
      throw new KernelBug(`Heap has ${byAddress.size} holes by address but ${bySize.size} by size.`);
    }
    let free = 0;
    let previousWasHole = false;
    let holes = 0;
    let blocks = 0;
    for (const entry of this.map()) {
      if (entry.owner === null) {
        if (previousWasHole) throw new KernelBug(`Heap hole at ${entry.addr} was not coalesced.`);
        const node = byAddress.floor(entry.addr);
        const twin = node?.twin ?? null;
        const isIndexed =
          twin !== null && twin.twin === node && twin.key === entry.size && twin.tie === entry.addr;
        if (node?.key !== entry.addr || isIndexed !== this.isSizeIndexed) {
          throw new KernelBug(`Heap hole at ${entry.addr} is misindexed.`);
        }
        free += entry.size;
        holes++;
      } else {
        blocks++;
      }
      if (entry.size <= 0) throw new KernelBug(`Heap entry at ${entry.addr} has size ${entry.size}.`);
      previousWasHole = entry.owner === null;
    }
    if (free !== this.size - this.used || holes !== byAddress.size || blocks !== this.blocks.size) {
      throw new KernelBug('Heap running totals disagree with its map.');
    }
    if (this.roverAddress < 0 || this.roverAddress > this.size) {
      throw new KernelBug(`Heap rover ${this.roverAddress} lies outside the heap.`);
    }
  }

  // Take `size` units from the low end of `hole`; the rest stays a hole at the same place in address order.
  private carve(hole: TreeNode, size: number): void {
    if (hole.value === size) this.removeHole(hole);
    else this.resizeHole(hole, hole.key + size, hole.value - size);
  }

  private addHole(start: number, size: number): void {
    const hole = this.holes.byAddress.insert(new TreeNode(start, 0, size));
    if (this.isSizeIndexed) this.indexBySize(hole);
  }

  private removeHole(hole: TreeNode): void {
    this.holes.byAddress.remove(hole);
    if (this.isSizeIndexed) this.holes.bySize.remove(this.sizeNodeOf(hole));
  }

  // Give a hole a new start and size in place; the caller guarantees it still lies between its neighbours.
  private resizeHole(hole: TreeNode, start: number, size: number): void {
    hole.key = start;
    hole.value = size;
    this.holes.byAddress.refresh(hole);
    if (this.isSizeIndexed) this.holes.bySize.rekey(this.sizeNodeOf(hole), size, start);
  }

  private indexBySize(hole: TreeNode): void {
    const bySize = new TreeNode(hole.value, hole.key, 0);
    bySize.twin = hole;
    hole.twin = bySize;
    this.holes.bySize.insert(bySize);
  }

  private sizeNodeOf(hole: TreeNode): TreeNode {
    const bySize = hole.twin;
    if (bySize === null) throw new KernelBug(`Heap hole at ${hole.key} has no size node.`);
    return bySize;
  }

  // Build or drop the size index. Its upkeep is O(log n) per change, so it is kept only while a policy reads it.
  private keepSizeIndex(isWanted: boolean): void {
    if (isWanted === this.isSizeIndexed) return;
    const {byAddress, bySize} = this.holes;
    this.isSizeIndexed = isWanted;
    bySize.clear();
    for (let hole = byAddress.first(); hole !== null; hole = byAddress.successor(hole)) {
      hole.twin = null;
      if (isWanted) this.indexBySize(hole);
    }
  }

  // Error path only: say where a bad release address lies. Walking the run of blocks is O(run length).
  private explainBadAddress(addr: number): string {
    if (!Number.isSafeInteger(addr)) return notAnAddressMessage(addr);
    if (addr < 0 || addr >= this.size) return outsideMessage(addr, this.size);
    const hole = this.holes.byAddress.floor(addr);
    if (hole !== null && addr < hole.key + hole.value) return inHoleMessage(addr, hole.key, hole.value);
    let block = this.blocks.get(hole === null ? 0 : hole.key + hole.value);
    while (block !== undefined && block.addr + block.size <= addr)
      block = this.blocks.get(block.addr + block.size);
    if (block === undefined) throw new KernelBug(`Heap address ${addr} is in neither a hole nor a block.`);
    return inBlockMessage(addr, block);
  }
}

function lookUpFit(name: unknown): FitPolicy {
  if (!isFitPolicyName(name)) {
    throw new KernelError('EINVAL', unknownFitMessage(name));
  }
  return fits[name];
}

function isPositiveSafeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0;
}

// The messages below are shared word for word with list-allocator.ts, which the tests hold Heap against.

function badHeapSizeMessage(size: unknown): string {
  return `Heap size ${show(size)} is not allowed: expected a positive whole number.`;
}

function unknownFitMessage(name: unknown): string {
  return `Unknown fit policy ${show(name)}. Expected one of: ${FIT_POLICY_NAMES.join(', ')}.`;
}

function badSizeMessage(size: unknown): string {
  return `Cannot allocate ${show(size)} units: the size must be a positive whole number.`;
}

function badOwnerMessage(owner: unknown): string {
  return `Owner ${show(owner)} is not a pid: expected a whole number >= 0 (0 for the shell).`;
}

function notAnAddressMessage(addr: unknown): string {
  return `Address ${show(addr)} is not a whole number; free takes a block's start address.`;
}

function outsideMessage(addr: number, heapSize: number): string {
  return `Address ${addr} is outside the heap, which spans addresses 0 to ${heapSize - 1}.`;
}

function inHoleMessage(addr: number, holeStart: number, holeSize: number): string {
  return `Address ${addr} is already free or was never allocated: it lies in the hole at ${holeStart} (size ${holeSize}).`;
}

function inBlockMessage(addr: number, block: MemoryBlock): string {
  return `Address ${addr} lies inside the block at ${block.addr} (size ${block.size}); free takes the block's start address.`;
}

function describeFit(size: number, fit: FitPolicyName, largest: number, free: number, holes: number): string {
  if (!isPositiveSafeInteger(size)) return badSizeMessage(size);
  const policy = `${fit} fit`;
  if (holes === 0) return `No hole fits ${units(size)} (the heap is full, ${policy}).`;
  if (size <= largest) return `A hole fits ${units(size)} (largest free hole is ${largest}, ${policy}).`;
  const reason = `No hole fits ${units(size)} (largest free hole is ${largest}, ${policy}).`;
  return free >= size ? `${reason} ${free} units are free, but split across ${holes} holes.` : reason;
}

function units(count: number): string {
  return count === 1 ? '1 unit' : `${count} units`;
}

// A value as the caller gave it: strings in backquotes so that `12` and 12 read differently.
function show(value: unknown): string {
  return typeof value === 'string' ? `\`${value}\`` : String(value);
}

/** Message helpers for list-allocator.ts, so both allocators say exactly the same thing. */
export const heapMessages = {
  badHeapSizeMessage,
  unknownFitMessage,
  badSizeMessage,
  badOwnerMessage,
  notAnAddressMessage,
  outsideMessage,
  inHoleMessage,
  inBlockMessage,
  describeFit,
};
