// A command's table (format.ts TableBlock) drawn in the console: aligned columns two spaces apart,
// numbers right-aligned, cells coloured by tone, each line cut at the width. Column widths come from
// every row, so a window of rows (from..to) lines up with the rows scrolled past.

import {Box} from 'ink';
import React, {useMemo} from 'react';
import {columnWidths, tableRow, type TableBlock, type TableCell} from '../../format.js';
import {fitLine, type Span} from '../spans.js';
import {SpanLine} from './span-line.js';

export interface TableProps {
  block: TableBlock;
  /** Columns the lines may take; longer lines are cut, never wrapped. */
  width: number;
  /** First row to draw (0-based). @default 0 */
  from?: number;
  /** Row after the last one to draw. @default block.rows.length */
  to?: number;
  /** @default true */
  showHeader?: boolean;
}

export const Table = React.memo(function Table({block, width, from = 0, to, showHeader = true}: TableProps) {
  const widths = useMemo(() => columnWidths(block), [block]);
  const rows = block.rows.slice(Math.max(0, from), to ?? block.rows.length);
  return (
    <Box flexDirection="column">
      {showHeader && (
        <SpanLine
          spans={tableLine(
            block,
            widths,
            block.headers.map((text) => ({text})),
            width,
            true,
          )}
        />
      )}
      {rows.map((row, i) => (
        <SpanLine key={from + i} spans={tableLine(block, widths, row, width, false)} />
      ))}
    </Box>
  );
});

/** One row as spans (format.ts tableRow), the header bold, cut to `width`. */
export function tableLine(
  block: TableBlock,
  widths: readonly number[],
  cells: readonly TableCell[],
  width: number,
  isHeader: boolean,
): Span[] {
  const spans = tableRow(block, widths, cells).map((piece): Span => {
    const span: Span = {text: piece.text};
    if (piece.tone) span.tone = piece.tone;
    // only the cells, not the padding between them
    if (isHeader && piece.text.trim() !== '') span.isBold = true;
    return span;
  });
  return fitLine(spans, width);
}
