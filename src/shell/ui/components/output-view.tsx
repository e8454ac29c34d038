// The command output: the newest rows of the scrollback that fit (or an older window after PgUp).
// Long text lines wrap, as a terminal's would; rows of one table are drawn together by <Table> so
// a window onto a long `ps` stays aligned.

import {Box, Text} from 'ink';
import React from 'react';
import type {TableBlock} from '../../format.js';
import {rowHeight, wrapHanging, type OutputRow, type ScrollbackState} from '../scrollback.js';
import {Table} from './table.js';

export interface OutputViewProps {
  scrollback: ScrollbackState;
  width: number;
  height: number;
}

type Piece =
  | {kind: 'text'; text: string; rows: number; indent?: number}
  | {kind: 'table'; table: TableBlock; from: number; to: number};

/** The rows to show, newest last, grouped so consecutive rows of one table become one piece. */
export function visiblePieces(
  rows: readonly OutputRow[],
  offset: number,
  width: number,
  height: number,
): Piece[] {
  const pieces: Piece[] = [];
  let left = height;
  for (let i = rows.length - 1 - offset; i >= 0 && left > 0; i--) {
    const row = rows[i]!;
    if (row.kind === 'text') {
      const need = rowHeight(row, width);
      if (need > left) break;
      pieces.unshift({kind: 'text', text: row.text, rows: need, indent: row.indent});
      left -= need;
      continue;
    }
    const first = pieces[0];
    if (first?.kind === 'table' && first.table === row.table && first.from === row.index + 1)
      first.from = row.index;
    else pieces.unshift({kind: 'table', table: row.table, from: row.index, to: row.index + 1});
    left -= 1;
  }
  return pieces;
}

export const OutputView = React.memo(function OutputView({scrollback, width, height}: OutputViewProps) {
  // when scrolled back, the last row says so
  const room = scrollback.offset > 0 ? height - 1 : height;
  const pieces = visiblePieces(scrollback.rows, scrollback.offset, width, room);
  return (
    <Box flexDirection="column" width={width} height={height} justifyContent="flex-end" overflow="hidden">
      {pieces.map((piece, i) =>
        piece.kind === 'text' ? (
          piece.indent === undefined ? (
            <Text key={i} wrap="wrap">
              {piece.text === '' ? ' ' : piece.text}
            </Text>
          ) : (
            // wrapped here, not by Ink, so the rows after the first keep their hanging indent
            <Box key={i} flexDirection="column">
              {wrapHanging(piece.text, width, piece.indent).map((row, j) => (
                <Text key={j} wrap="truncate-end">
                  {row === '' ? ' ' : row}
                </Text>
              ))}
            </Box>
          )
        ) : (
          <Table
            key={i}
            block={piece.table}
            width={width}
            showHeader={piece.from === -1}
            from={Math.max(0, piece.from)}
            to={piece.to}
          />
        ),
      )}
      {scrollback.offset > 0 ? (
        <Text inverse wrap="truncate-end">{` scrolled back ${scrollback.offset} rows: PgDn returns `}</Text>
      ) : null}
    </Box>
  );
});
