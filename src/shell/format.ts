// Text layout shared by the commands: aligned tables, numbers, process states. Output is
// deterministic: no locale-dependent formatting, fixed decimals.

import type {ChalkInstance} from 'chalk';
import type {ProcessState} from '../kernel/index.js';
import {textWidth} from './text-width.js';
import {visibleText} from './visible-text.js';

/** A colour with a meaning, named rather than applied, so each front end paints it its own way. */
export type Tone = 'green' | 'cyan' | 'yellow' | 'magenta' | 'gray' | 'red' | 'dim';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number;
  /** Right-align (the default for numbers). */
  align?: 'left' | 'right';
  /** A colour for the cell (padding stays uncoloured so widths hold). */
  tone?: (text: string, row: Row) => Tone | undefined;
}

export interface TableCell {
  text: string;
  tone?: Tone;
}

/**
 * A table as data: the script runner lays it out as text, the console draws it with its Table
 * component. Commands put these among their result lines.
 */
export interface TableBlock {
  kind: 'table';
  headers: string[];
  align: ('left' | 'right')[];
  rows: TableCell[][];
}

/** One entry of a command's output: a line of text, or a table. */
export type Block = string | TableBlock;

/** Describe rows as a table; numbers are right-aligned unless a column says otherwise. */
export function tableBlock<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): TableBlock {
  const first = rows[0];
  const align = columns.map(
    (column) =>
      column.align ??
      (first !== undefined && typeof column.value(first) === 'number'
        ? ('right' as const)
        : ('left' as const)),
  );
  return {
    kind: 'table',
    headers: columns.map((column) => column.header),
    align,
    rows: rows.map((row) =>
      columns.map((column) => {
        // a cell is measured and padded, so a control character in it is written out (\x1b)
        const text = visibleText(String(column.value(row)));
        const tone = column.tone?.(text, row);
        return tone === undefined ? {text} : {text, tone};
      }),
    ),
  };
}

/** Widths of each column in terminal cells: the widest of the header and every cell. */
export function columnWidths(block: TableBlock): number[] {
  const widths = block.headers.map((header) => textWidth(header));
  for (const row of block.rows) {
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i]!, textWidth(row[i]!.text));
  }
  return widths;
}

/**
 * One row laid out: each cell padded to its column (numbers on the right), columns two spaces apart,
 * tones on the cells only, no padding after the last cell. Both front ends draw a row from this.
 */
export function tableRow(
  block: TableBlock,
  widths: readonly number[],
  cells: readonly TableCell[],
): TableCell[] {
  const pieces: TableCell[] = [];
  cells.forEach((cell, i) => {
    const gap = ' '.repeat(Math.max(0, widths[i]! - textWidth(cell.text)));
    const isRight = block.align[i] === 'right';
    if (i > 0) pieces.push({text: COLUMN_GAP});
    if (isRight && gap) pieces.push({text: gap});
    pieces.push(cell);
    if (!isRight && gap && i < cells.length - 1) pieces.push({text: gap});
  });
  return pieces;
}

const COLUMN_GAP = '  ';

/** Lay a table out as text with a header line. */
export function renderTable(block: TableBlock, style: ChalkInstance): string[] {
  const widths = columnWidths(block);
  const line = (cells: readonly TableCell[]) =>
    tableRow(block, widths, cells)
      .map((piece) => (piece.tone ? paint(style, piece.tone, piece.text) : piece.text))
      .join('')
      .trimEnd();
  return [line(block.headers.map((text) => ({text}))), ...block.rows.map(line)];
}

/** Text lines for a command's output: tables laid out as text. */
export function blocksToLines(blocks: readonly Block[], style: ChalkInstance): string[] {
  return blocks.flatMap((block) => (typeof block === 'string' ? [block] : renderTable(block, style)));
}

export function paint(style: ChalkInstance, tone: Tone, text: string): string {
  return style[tone](text);
}

/** A number with at most `digits` decimals, trailing zeros dropped: 5.67, 17, 0.5. */
export function formatNumber(value: number, digits = 2): string {
  return Number(value.toFixed(digits)).toString();
}

/** Heap units in K and M (1,024 units each step) with at most one decimal: 512, 200K, 1.5M. */
export function formatSize(units: number): string {
  if (units < 1024) return String(units);
  if (units < 1024 * 1024) return `${formatNumber(units / 1024, 1)}K`;
  return `${formatNumber(units / (1024 * 1024), 1)}M`;
}

export function formatPercent(fraction: number): string {
  return `${formatNumber(fraction * 100, 1)}%`;
}

/** The colour of a process state: running green, ready cyan, waiting yellow, zombie magenta. */
export function stateTone(state: ProcessState | string): Tone | undefined {
  switch (state.toLowerCase()) {
    case 'running':
      return 'green';
    case 'ready':
      return 'cyan';
    case 'waiting':
      return 'yellow';
    case 'zombie':
      return 'magenta';
    case 'terminated':
      return 'gray';
    default:
      return undefined;
  }
}

/** A state as ps prints it, coloured by meaning. */
export function colorState(style: ChalkInstance, state: ProcessState | string, text: string): string {
  const tone = stateTone(state);
  return tone ? paint(style, tone, text) : text;
}

/** A list of pids as "2, 3 and 5". */
export function listPids(pids: readonly number[]): string {
  if (pids.length <= 1) return pids.join('');
  return `${pids.slice(0, -1).join(', ')} and ${pids[pids.length - 1]}`;
}
