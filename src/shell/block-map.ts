// The heap scaled to a row of cells, for `mem map` and the console's block-map pane. Pure: a memory
// map in, one summary per cell out. Cell i of n covers addresses [floor(i * total / n),
// floor((i + 1) * total / n)), so every unit lands in exactly one cell and cells differ by at most one unit.
// A cell with both block and hole units is drawn MIXED_CELL by both, so no hole and no block vanishes;
// otherwise `mem map` shows the cell's main owner, the console the owner of its smallest block.

import type {MapEntry} from '../kernel/index.js';

/** What one cell of the bar holds. */
export interface BlockCell {
  /** The owner with the most units in the cell (ties to the lower address), or null when no block touches it. */
  owner: number | null;
  /** Units in the cell that belong to some block. */
  used: number;
  /** Units in the cell that lie in a hole. */
  free: number;
  /**
   * The owner of the smallest block touching the cell (ties to the lower address), or null. The
   * console shows this one, so a block too small to fill a cell still shows its owner unless every
   * cell it touches also holds a smaller block.
   */
  smallestOwner: number | null;
}

/** How a cell holding units of a block and of a hole is drawn, in `mem map` and in the pane alike. */
export const MIXED_CELL = '░';

/** A cell's look: no block in it, blocks only, or blocks and holes together. */
export type CellKind = 'free' | 'used' | 'mixed';

/**
 * Summarise `map` (every block and hole in address order, as MemoryView.map) as min(width, total)
 * cells. A block of any size sets its cell's owner or raises its `used`, and a hole of any size raises
 * `free`, so nothing vanishes from the bar. Runs in O(map entries + width).
 */
export function blockCells(map: readonly MapEntry[], total: number, width: number): BlockCell[] {
  const count = Math.max(0, Math.min(Math.floor(width), total));
  const cells: BlockCell[] = new Array(count);
  // Units per owner in the current cell, reused across cells: most cells hold one or two owners.
  const units = new Map<number, number>();
  let entry = 0;
  for (let cell = 0; cell < count; cell++) {
    const start = Math.floor((cell * total) / count);
    const end = Math.floor(((cell + 1) * total) / count);
    let used = 0;
    let free = 0;
    let smallestOwner: number | null = null;
    let smallestSize = Infinity;
    while (entry < map.length) {
      const {addr, size, owner} = map[entry]!;
      const overlap = Math.min(addr + size, end) - Math.max(addr, start);
      if (overlap > 0) {
        if (owner === null) free += overlap;
        else {
          used += overlap;
          units.set(owner, (units.get(owner) ?? 0) + overlap);
          if (size < smallestSize) {
            smallestOwner = owner;
            smallestSize = size;
          }
        }
      }
      if (addr + size > end) break; // the entry runs on into the next cell
      entry++;
    }
    let best: number | null = null;
    let bestUnits = 0;
    for (const [owner, ownerUnits] of units) {
      // strictly more, so a tie goes to the owner met first, at the lower address
      if (ownerUnits > bestUnits) {
        best = owner;
        bestUnits = ownerUnits;
      }
    }
    units.clear();
    cells[cell] = {owner: best, used, free, smallestOwner};
  }
  return cells;
}

/** How a cell should look: 'mixed' when it holds units of a block and of a hole. */
export function cellKind(cell: BlockCell): CellKind {
  if (cell.used === 0) return 'free';
  return cell.free === 0 ? 'used' : 'mixed';
}
