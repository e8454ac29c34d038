// Text layout shared by the commands: aligned tables, numbers, process states. Output is
// deterministic: no locale-dependent formatting, fixed decimals.

import type {ChalkInstance} from 'chalk';
import type {ProcessState} from '../kernel/index.js';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number;
  /** Right-align (the default for numbers). */
  align?: 'left' | 'right';
  /** Colour a cell after alignment (padding stays uncoloured so widths hold). */
  color?: (text: string, row: Row) => string;
}

/** Lay rows out as an aligned table with a header line. Columns are separated by two spaces. */
export function table<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string[] {
  const first = rows[0];
  const isRight = columns.map((column) =>
    column.align === undefined
      ? first !== undefined && typeof column.value(first) === 'number'
      : column.align === 'right',
  );
  const cells = rows.map((row) => columns.map((column) => String(column.value(row))));
  const widths = columns.map((column) => column.header.length);
  for (const line of cells) {
    for (let i = 0; i < line.length; i++) if (line[i]!.length > widths[i]!) widths[i] = line[i]!.length;
  }
  const pad = (text: string, shown: string, i: number) => {
    const gap = ' '.repeat(widths[i]! - text.length);
    return isRight[i] ? gap + shown : shown + gap;
  };
  const header = columns
    .map((column, i) => pad(column.header, column.header, i))
    .join('  ')
    .trimEnd();
  const body = cells.map((line, r) =>
    line
      .map((cell, i) => {
        const color = columns[i]!.color;
        return pad(cell, color ? color(cell, rows[r]!) : cell, i);
      })
      .join('  ')
      .trimEnd(),
  );
  return [header, ...body];
}

/** A number with at most `digits` decimals, trailing zeros dropped: 5.67, 17, 0.5. */
export function formatNumber(value: number, digits = 2): string {
  return Number(value.toFixed(digits)).toString();
}

export function formatPercent(fraction: number): string {
  return `${formatNumber(fraction * 100, 1)}%`;
}

/** A state as ps prints it, coloured by meaning. */
export function colorState(style: ChalkInstance, state: ProcessState | string, text: string): string {
  switch (state.toLowerCase()) {
    case 'running':
      return style.green(text);
    case 'ready':
      return style.cyan(text);
    case 'waiting':
      return style.yellow(text);
    case 'zombie':
      return style.magenta(text);
    case 'terminated':
      return style.gray(text);
    default:
      return text;
  }
}

/** A list of pids as "2, 3 and 5". */
export function listPids(pids: readonly number[]): string {
  if (pids.length <= 1) return pids.join('');
  return `${pids.slice(0, -1).join(', ')} and ${pids[pids.length - 1]}`;
}
