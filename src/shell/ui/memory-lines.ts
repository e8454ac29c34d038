// What the block-map pane shows, as lines of spans, for a given inner size. Pure. Top to bottom: the
// heap as a bar (block-map.ts cells, one to four rows as height allows), the stats (used, external
// fragmentation, free and in how many holes, the largest hole), then a legend of the
// owners on the bar. A cell shows the owner of its smallest block, and one with both block and hole
// units is drawn MIXED_GLYPH in that owner's colour: small holes and blocks still mark the bar.

import {SHELL_OWNER, type KernelSnapshot, type MemoryView} from '../../kernel/index.js';
import {blockCells, cellKind, MIXED_CELL, type BlockCell} from '../block-map.js';
import {formatPercent, formatSize} from '../format.js';
import {joinRuns, packSections, type Line, type Section, type Span} from './spans.js';
import {ownerGlyph} from './theme.js';

/** A cell with no block in it. */
export const FREE_GLYPH = '·';
/** A cell holding units of a block and of a hole (as `mem map` draws it). */
export const MIXED_GLYPH = MIXED_CELL;
/** Bar rows at most: more resolution, while the stats and legend keep their rows. */
const MAX_BAR_ROWS = 4;
/** Legend rows kept before the bar grows past one row. */
const LEGEND_ROWS = 2;

/** The pane's lines for `width` x `height` inner cells. */
export function memoryLines(snapshot: KernelSnapshot, width: number, height: number): Span[][] {
  if (width <= 0 || height <= 0) return [];
  const {memory} = snapshot;
  // sized for the widest numbers the heap can show, so the bar does not change rows as numbers grow
  const widest = memory.total;
  const statsRows = packSections(
    [statsSection({...memory, used: widest, free: widest, freeBlocks: widest, largestFree: widest})],
    width,
    3,
  ).length;
  const barRows = Math.max(1, Math.min(MAX_BAR_ROWS, height - statsRows - LEGEND_ROWS));
  const cells = blockCells(memory.map, memory.total, width * barRows);
  const lines: Span[][] = [];
  for (let row = 0; row < barRows && row * width < cells.length; row++)
    lines.push(barSpans(cells.slice(row * width, (row + 1) * width)));
  const statsShown = Math.min(statsRows, height - lines.length);
  if (statsShown > 0) lines.push(...packSections([statsSection(memory)], width, statsShown));
  const legendRows = height - lines.length;
  if (legendRows > 0) lines.push(...packSections([legendSection(snapshot, cells)], width, legendRows));
  return lines;
}

/** Cells as glyphs, consecutive cells that look alike merged into one span. */
export function barSpans(cells: readonly BlockCell[]): Span[] {
  return joinRuns(
    cells.map((cell): Span => {
      const kind = cellKind(cell);
      if (kind === 'free') return {text: FREE_GLYPH, tone: 'dim'};
      const owner = cell.smallestOwner!;
      return {text: kind === 'mixed' ? MIXED_GLYPH : ownerGlyph(owner), owner};
    }),
  );
}

/** Used, fragmentation, holes, largest hole: most telling first, as narrow panes drop the rest. */
function statsSection(memory: MemoryView): Section {
  const {total, used, free, freeBlocks, largestFree, externalFragmentation} = memory;
  const parts: Line[] = [
    [
      {
        text: `used ${formatSize(used)}/${formatSize(total)} (${formatPercent(total === 0 ? 0 : used / total)})`,
      },
    ],
    [{text: `frag ${formatPercent(externalFragmentation)}`}],
    [{text: `free ${formatSize(free)} in ${freeBlocks} ${freeBlocks === 1 ? 'hole' : 'holes'}`}],
    [{text: `largest ${formatSize(largestFree)}`}],
  ];
  return {label: [], count: parts.length, item: (i) => parts[i]!};
}

/** Every owner on the bar, in order of first appearance, with its pid and name; then the cell key. */
function legendSection(snapshot: KernelSnapshot, cells: readonly BlockCell[]): Section {
  const owners: number[] = [];
  const seen = new Set<number>();
  for (const {smallestOwner: owner} of cells) {
    if (owner === null || seen.has(owner)) continue;
    seen.add(owner);
    owners.push(owner);
  }
  const names = new Map<number, string>();
  for (const process of snapshot.processes) if (seen.has(process.pid)) names.set(process.pid, process.name);
  const entries: Line[] = owners.map((owner) => [
    {text: ownerGlyph(owner), owner},
    {text: owner === SHELL_OWNER ? ' shell' : ` ${owner} ${names.get(owner) ?? ''}`.trimEnd()},
  ]);
  entries.push(
    [{text: FREE_GLYPH, tone: 'dim'}, {text: ' free'}],
    [{text: MIXED_GLYPH}, {text: ' part free'}],
  );
  return {label: [], count: entries.length, item: (i) => entries[i]!};
}
