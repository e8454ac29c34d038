// mem: heap totals and fragmentation; `mem map` draws the heap as a bar and lists every block and hole.

import {formatAddress, SHELL_OWNER, type MapEntry} from '../../kernel/index.js';
import {expectPositionals, toChoice} from '../args.js';
import {blockCells, cellKind, MIXED_CELL} from '../block-map.js';
import type {Command, Context, Result} from '../command.js';
import {formatPercent, tableBlock} from '../format.js';

/** Characters in the map bar: the width of the block-map pane in a plain 80-column terminal. */
const BAR_CHARS = 64;
/** Symbols for process owners, in order of their first block by address; the shell is '#', free is '.'. */
const OWNER_SYMBOLS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const OVERFLOW_SYMBOL = '*'; // owners beyond the 52 letters share one symbol
const SHELL_SYMBOL = '#';
const FREE_SYMBOL = '.';

export const mem: Command = {
  name: 'mem',
  usage: ['mem', 'mem map'],
  summary: 'Show heap usage and fragmentation (map: every block and hole)',
  details: [
    'External fragmentation is 1 - largest free block / free units: the share of free memory outside the largest hole.',
    `mem map draws the heap as ${BAR_CHARS} cells: ${SHELL_SYMBOL} for the shell's blocks, a letter per owning pid,`,
    `${FREE_SYMBOL} for a cell with no block, ${MIXED_CELL} for one with both block and hole units (as the console's`,
    'block map draws it), so no hole and no block vanishes however small; a full cell shows whoever owns most of it.',
    'Then the table: ADDR and END (the first address past it) in hex, SIZE in units, OWNER (pid, shell or free).',
  ],
  subcommands: ['map'],
  run(args, context) {
    expectPositionals(args, 0, 1);
    const sub = args.positionals[0];
    if (sub !== undefined) toChoice(sub, 'mem subcommand', ['map']);
    return sub === 'map' ? showMap(context) : showTotals(context);
  },
};

function showTotals({kernel}: Context): Result {
  const view = kernel.memoryView();
  const rows: [string, string][] = [
    ['total', String(view.total)],
    ['used', `${view.used} (${formatPercent(view.total === 0 ? 0 : view.used / view.total)})`],
    ['free', String(view.free)],
    ['used blocks', String(view.usedBlocks)],
    ['free blocks', String(view.freeBlocks)],
    ['largest free block', String(view.largestFree)],
    ['external fragmentation', formatPercent(view.externalFragmentation)],
    ['fit', view.fit],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return {
    lines: rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`),
    data: {
      total: view.total,
      used: view.used,
      free: view.free,
      usedBlocks: view.usedBlocks,
      freeBlocks: view.freeBlocks,
      largestFree: view.largestFree,
      externalFragmentation: view.externalFragmentation,
      fit: view.fit,
    },
  };
}

function showMap({kernel}: Context): Result {
  const view = kernel.memoryView(true);
  const symbols = ownerSymbols(view.map);
  const symbolOf = (owner: number) => symbols.get(owner) ?? OVERFLOW_SYMBOL;
  const digits = Math.max(5, view.total.toString(16).length);
  const ownerText = (entry: MapEntry) =>
    entry.owner === null ? 'free' : entry.owner === SHELL_OWNER ? 'shell' : String(entry.owner);
  const rows = tableBlock<MapEntry>(view.map, [
    {header: 'ADDR', value: (entry) => formatAddress(entry.addr, digits)},
    {header: 'END', value: (entry) => formatAddress(entry.addr + entry.size, digits)},
    {header: 'SIZE', value: (entry) => entry.size, align: 'right'},
    {
      header: 'OWNER',
      value: ownerText,
      align: 'left',
      tone: (_, entry) => (entry.owner === null ? 'dim' : undefined),
    },
  ]);
  const legend = [...symbols]
    .map(([owner, symbol]) => `${symbol}=${owner === SHELL_OWNER ? 'shell' : `pid ${owner}`}`)
    .concat(`${FREE_SYMBOL}=free`, `${MIXED_CELL}=part free`)
    .join('  ');
  return {
    lines: [`[${drawBar(view.map, view.total, symbolOf)}]`, legend, rows],
    data: {
      total: view.total,
      fit: view.fit,
      blocks: view.map.map((entry) => ({
        addr: entry.addr,
        size: entry.size,
        owner: entry.owner,
        free: entry.owner === null,
      })),
    },
  };
}

/** A symbol per owner, in order of each owner's first block by address. */
function ownerSymbols(map: readonly MapEntry[]): Map<number, string> {
  const symbols = new Map<number, string>();
  let next = 0;
  for (const entry of map) {
    if (entry.owner === null || symbols.has(entry.owner)) continue;
    if (entry.owner === SHELL_OWNER) symbols.set(entry.owner, SHELL_SYMBOL);
    else if (next < OWNER_SYMBOLS.length) symbols.set(entry.owner, OWNER_SYMBOLS[next++]!);
  }
  return symbols;
}

/** The heap as min(BAR_CHARS, total) cells: the owner with most units, FREE_SYMBOL or MIXED_CELL. */
function drawBar(map: readonly MapEntry[], total: number, symbolOf: (owner: number) => string): string {
  return blockCells(map, total, BAR_CHARS)
    .map((cell) => {
      const kind = cellKind(cell);
      return kind === 'free' ? FREE_SYMBOL : kind === 'mixed' ? MIXED_CELL : symbolOf(cell.owner!);
    })
    .join('');
}
