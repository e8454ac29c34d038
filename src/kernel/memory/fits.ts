// Fit policies, looked up by name in `fits`: each picks the hole an allocation of n units is carved from.
// first: the lowest-address hole of at least n. best: the smallest hole of at least n, ties to the lower
// address. worst: the largest hole if it holds n, ties to the lower address. next: first fit from the rover,
// wrapping once - the hole the rover lies in, then holes above it, then holes from address 0; the rover
// moves to the end of each next-fit block. Each choice is O(log n) over the heap's hole trees.

import type {OrderedTree, TreeNode} from './ordered-tree.js';

export type FitPolicyName = 'first' | 'best' | 'worst' | 'next';

export const FIT_POLICY_NAMES: readonly FitPolicyName[] = ['first', 'best', 'worst', 'next'];

/** The heap's holes, as the fit policies see them. */
export interface HoleIndex {
  /** Every hole keyed by start address, value = size: the subtree maxima lead to the lowest hole that fits. */
  readonly byAddress: OrderedTree;
  /**
   * The holes keyed by (size, start address), each the twin of its node in byAddress. Kept only while the
   * policy sets `usesSizeIndex`, and empty otherwise: its upkeep would slow every other policy down.
   */
  readonly bySize: OrderedTree;
}

export interface FitPolicy {
  readonly name: FitPolicyName;
  /** The rule in one sentence, tie-break included, for help text. */
  readonly rule: string;
  /** Whether an allocation moves the rover to the end of the new block. */
  readonly movesRover: boolean;
  /** Whether `choose` reads `bySize`, so the heap must keep it. */
  readonly usesSizeIndex: boolean;
  /** The hole (its node in byAddress) to carve `size` units from, or null when no hole is big enough. */
  choose(holes: HoleIndex, size: number, rover: number): TreeNode | null;
}

const first: FitPolicy = {
  name: 'first',
  rule: 'Take the lowest-address hole that is big enough.',
  movesRover: false,
  usesSizeIndex: false,
  choose: (holes, size) => holes.byAddress.firstWithValueAtLeast(size, 0),
};

const best: FitPolicy = {
  name: 'best',
  rule: 'Take the smallest hole that is big enough; ties go to the lower address.',
  movesRover: false,
  usesSizeIndex: true,
  choose: (holes, size) => holes.bySize.lowerBound(size, -1)?.twin ?? null,
};

const worst: FitPolicy = {
  name: 'worst',
  rule: 'Take the largest hole, if it is big enough; ties go to the lower address.',
  movesRover: false,
  usesSizeIndex: false,
  choose(holes, size) {
    const largest = holes.byAddress.maxValue;
    // the lowest hole of the largest size is the worst fit with its tie-break
    return largest < size ? null : holes.byAddress.firstWithValueAtLeast(largest, 0);
  },
};

const next: FitPolicy = {
  name: 'next',
  rule: 'Take the first hole that is big enough, searching from where the last next-fit block ended and wrapping around.',
  movesRover: true,
  usesSizeIndex: false,
  choose(holes, size, rover) {
    const around = holes.byAddress.floor(rover);
    if (around !== null && rover < around.key + around.value && around.value >= size) return around;
    return (
      holes.byAddress.firstWithValueAtLeast(size, rover + 1) ?? holes.byAddress.firstWithValueAtLeast(size, 0)
    );
  },
};

/** The fit policies by name. */
export const fits: Readonly<Record<FitPolicyName, FitPolicy>> = {first, best, worst, next};

/** Whether `name` names a fit policy. */
export function isFitPolicyName(name: unknown): name is FitPolicyName {
  return typeof name === 'string' && Object.hasOwn(fits, name);
}
