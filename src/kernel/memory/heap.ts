// The kernel's contiguous heap: addresses [0, size) carved into blocks and holes. `allocate` takes the
// low end of the hole the fit policy picks (fits.ts); `release` frees a block and coalesces it with the
// holes on either side. Every region sits in one AVL tree by address (ordered-tree.ts) whose subtree
// maxima track the largest hole, so fits and releases are O(log n) and stats() is O(1).
// list-allocator.ts is the plain linear-scan version of the same contract, kept as the test oracle.

import {KernelBug, KernelError} from '../errors.js';
import {fits, isFitPolicyName, FIT_POLICY_NAMES} from './fits.js';
import type {FitIndex, FitPolicy, FitPolicyName, RegionNode} from './fits.js';
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
  // the regions by address, and the holes by size while best fit is in use (see FitIndex)
  private readonly index: FitIndex = {byAddress: new OrderedTree(), bySize: new OrderedTree()};
  private isSizeIndexed = false;
  // the blocks' nodes by start address, and running totals for stats()
  private readonly blocks = new Map<number, RegionNode>();
  private used = 0;
  private holeCount = 0;
  // the policy, and next fit's rover (kept when the policy changes)
  private policy: FitPolicy;
  private roverAddress = 0;

  /**
   * Create a heap of `size` units, all one hole.
   * Throws KernelError EINVAL when size is not a positive safe integer or `fit` names no policy.
   * @param fit - @default 'first'
   */
  constructor(size: number, fit: FitPolicyName = 'first') {
    if (!isPositiveSafeInteger(size)) throw new KernelError('EINVAL', badHeapSizeMessage(size));
    this.size = size;
    this.policy = lookUpFit(fit);
    this.index.byAddress.insert(new TreeNode<MemoryBlock | null>(0, 0, size, null));
    this.holeCount = 1;
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
    const hole = this.policy.choose(this.index, size, this.roverAddress);
    if (hole === null) return undefined;
    const addr = hole.key;
    const block: MemoryBlock = {addr, size, owner};
    let node: RegionNode;
    if (hole.value === size) {
      node = hole; // the block fills the hole: the node turns from hole into block where it stands
      this.dropHole(node);
      node.value = 0;
      node.item = block;
      this.index.byAddress.refresh(node);
    } else {
      // the hole keeps its high end; its start rises past the block but stays below the next region
      this.resizeHole(hole, addr + size, hole.value - size);
      node = this.index.byAddress.insertBefore(hole, new TreeNode<MemoryBlock | null>(addr, 0, 0, block));
    }
    this.blocks.set(addr, node);
    this.used += size;
    if (this.policy.movesRover) this.roverAddress = addr + size;
    return addr;
  }

  /**
   * Free the block that starts at `addr` and return it; the hole it leaves coalesces with both neighbours.
   * Throws KernelError EFAULT when addr is not the start of an allocated block; the heap is then unchanged.
   */
  release(addr: number): MemoryBlock {
    const node = this.blocks.get(addr);
    if (node === undefined || node.item === null) throw new KernelError('EFAULT', this.explainBadAddress(addr));
    const block = node.item;
    this.blocks.delete(addr);
    this.used -= block.size;
    const {byAddress} = this.index;
    // regions tile the heap, so a neighbouring hole is always adjacent
    const below = byAddress.predecessor(node);
    const above = byAddress.successor(node);
    const joinsBelow = below !== null && below.item === null;
    const joinsAbove = above !== null && above.item === null;
    if (joinsBelow && joinsAbove) {
      byAddress.remove(node);
      this.dropHole(above);
      byAddress.remove(above);
      this.resizeHole(below, below.key, below.value + block.size + above.value);
    } else if (joinsBelow) {
      byAddress.remove(node);
      this.resizeHole(below, below.key, below.value + block.size);
    } else if (joinsAbove) {
      // the hole above grows down over the block: its start falls to addr, still above the region below
      byAddress.remove(node);
      this.resizeHole(above, addr, above.value + block.size);
    } else {
      node.item = null; // the block turns into a hole where it stands
      node.value = block.size;
      byAddress.refresh(node);
      this.addHole(node);
    }
    return block;
  }

  /** The allocated block that starts exactly at `addr`, or undefined. */
  blockAt(addr: number): MemoryBlock | undefined {
    return this.blocks.get(addr)?.item ?? undefined;
  }

  /** Totals kept as running counts: O(1). */
  stats(): HeapStats {
    const free = this.size - this.used;
    const largestFree = this.index.byAddress.maxValue;
    return {
      total: this.size,
      used: this.used,
      free,
      usedBlocks: this.blocks.size,
      freeBlocks: this.holeCount,
      largestFree,
      externalFragmentation: free === 0 ? 0 : 1 - largestFree / free,
    };
  }

  /** Every hole and block in address order, covering [0, size) exactly. O(n), for display. */
  map(): MapEntry[] {
    const entries: MapEntry[] = [];
    const {byAddress} = this.index;
    for (let node = byAddress.first(); node !== null; node = byAddress.successor(node)) {
      const block = node.item;
      entries.push(
        block === null
          ? {addr: node.key, size: node.value, owner: null}
          : {addr: block.addr, size: block.size, owner: block.owner},
      );
    }
    return entries;
  }

  /**
   * Explain why `size` units do not fit, for error messages:
   * "No hole fits 96 units (largest free hole is 64, best fit)."
   */
  describeFailure(size: number): string {
    const free = this.size - this.used;
    return describeFit(size, this.fit, this.index.byAddress.maxValue, free, this.holeCount);
  }

  /** Verify the trees, the tiling of [0, size), coalescing and the running totals. Throws KernelBug. */
  checkInvariants(): void {
    const {byAddress, bySize} = this.index;
    byAddress.checkInvariants();
    bySize.checkInvariants();
    let cursor = 0;
    let holes = 0;
    let previous: RegionNode | null = null;
    for (let node = byAddress.first(); node !== null; node = byAddress.successor(node)) {
      const block = node.item;
      const size = block === null ? node.value : block.size;
      if (node.key !== cursor || size <= 0) throw new KernelBug(`Heap region at ${node.key} breaks the tiling.`);
      if (block === null) {
        if (previous?.item === null) throw new KernelBug(`Heap hole at ${node.key} was not coalesced.`);
        const twin = node.twin;
        const isIndexed = twin !== null && twin.twin === node && twin.key === node.value && twin.tie === node.key;
        if (this.isSizeIndexed !== isIndexed) throw new KernelBug(`Heap hole at ${node.key} is misindexed by size.`);
        holes++;
      } else if (block.addr !== node.key || node.value !== 0 || this.blocks.get(block.addr) !== node) {
        throw new KernelBug(`Heap block at ${node.key} is misrecorded.`);
      }
      cursor += size;
      previous = node;
    }
    const expectedBySize = this.isSizeIndexed ? holes : 0;
    if (cursor !== this.size || holes !== this.holeCount || bySize.size !== expectedBySize) {
      throw new KernelBug('Heap running totals disagree with its regions.');
    }
    if (byAddress.size - holes !== this.blocks.size || this.roverAddress < 0 || this.roverAddress > this.size) {
      throw new KernelBug('Heap block count or rover is out of range.');
    }
  }

  // Count a hole that has just appeared in byAddress, and index it by size if that index is kept.
  private addHole(node: RegionNode): void {
    this.holeCount++;
    if (this.isSizeIndexed) this.indexBySize(node);
  }

  private indexBySize(node: RegionNode): void {
    const bySize = new TreeNode<MemoryBlock | null>(node.value, node.key, 0, null);
    bySize.twin = node;
    node.twin = bySize;
    this.index.bySize.insert(bySize);
  }

  // Forget a hole that is about to leave byAddress or become a block.
  private dropHole(node: RegionNode): void {
    this.holeCount--;
    const bySize = node.twin;
    node.twin = null;
    if (bySize !== null && this.isSizeIndexed) this.index.bySize.remove(bySize);
  }

  // Give a hole a new start and size in place; the caller guarantees it still lies between its neighbours.
  private resizeHole(hole: RegionNode, start: number, size: number): void {
    hole.key = start;
    hole.value = size;
    this.index.byAddress.refresh(hole);
    const bySize = hole.twin;
    if (bySize !== null && this.isSizeIndexed) this.index.bySize.rekey(bySize, size, start);
  }

  // Build or drop the size index. Each update costs O(log n), so it is kept only while a policy reads it.
  private keepSizeIndex(isWanted: boolean): void {
    if (isWanted === this.isSizeIndexed) return;
    const {byAddress, bySize} = this.index;
    bySize.clear();
    this.isSizeIndexed = isWanted;
    for (let node = byAddress.first(); node !== null; node = byAddress.successor(node)) {
      if (node.item !== null) continue;
      node.twin = null;
      if (isWanted) this.indexBySize(node);
    }
  }

  // Error path only: say where a bad release address lies. O(log n).
  private explainBadAddress(addr: number): string {
    if (!Number.isSafeInteger(addr)) return notAnAddressMessage(addr);
    if (addr < 0 || addr >= this.size) return outsideMessage(addr, this.size);
    const region = this.index.byAddress.floor(addr);
    if (region === null) throw new KernelBug(`Heap address ${addr} lies in no region.`);
    const block = region.item;
    return block === null ? inHoleMessage(addr, region.key, region.value) : inBlockMessage(addr, block);
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
