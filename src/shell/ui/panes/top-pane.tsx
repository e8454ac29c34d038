// The top pane: totals, a sparkline of CPU load, and the live processes sorted by a key, as a table
// that scrolls. Only the rows on screen become React elements, so a thousand processes cost a
// screenful; the column widths still come from every row, so scrolling keeps them. A narrow pane
// drops PRI and TIME, then cuts names.

import React, {useMemo} from 'react';
import type {KernelSnapshot} from '../../../kernel/index.js';
import {PaneFrame, paneInner} from '../components/pane-frame.js';
import {SpanLine} from '../components/span-line.js';
import {Table} from '../components/table.js';
import {rowWindow, sparklineLine, topSections} from '../top-lines.js';
import {columnWidths, type TableBlock} from '../../format.js';
import {TOP_COLUMNS, topRows, topTable, type TopSortKey} from '../top-rows.js';

export interface TopPaneProps {
  snapshot: KernelSnapshot;
  width: number;
  height: number;
  isFocused: boolean;
  sortKey: TopSortKey;
  /** First row of the table shown; clamped so the last screenful stays full. */
  scroll: number;
}

/** Longest name the pane shows; the rest is cut so the other columns keep their place. */
const NAME_CHARS = 12;
/** Shortest the NAME column gets before the table is cut at the edge instead. */
const MIN_NAME_CHARS = 4;
/** Below this many columns PRI and TIME give way (unless they are the sort key). */
const NARROW_WIDTH = 50;
const NARROW_COLUMNS: readonly TopSortKey[] = ['pid', 'name', 'state', 'cpu', 'mem'];

export const TopPane = React.memo(function TopPane({
  snapshot,
  width,
  height,
  isFocused,
  sortKey,
  scroll,
}: TopPaneProps) {
  const inner = paneInner(width, height);
  const block = useMemo(() => fittedTable(snapshot, sortKey, inner.width), [snapshot, sortKey, inner.width]);
  const {summary, hasSparkline, tableRows} = useMemo(
    () => topSections(snapshot, inner.width, inner.height),
    [snapshot, inner.width, inner.height],
  );
  const rows = rowWindow(block.rows.length, tableRows, scroll);
  return (
    <PaneFrame title="Top" hint={rows.hint} width={width} height={height} isFocused={isFocused}>
      {summary && <SpanLine spans={summary} />}
      {hasSparkline && <SpanLine spans={sparklineLine(snapshot, inner.width)} />}
      {tableRows >= 0 && <Table block={block} width={inner.width} from={rows.from} to={rows.to} />}
    </PaneFrame>
  );
});

/** The table for a pane `width` wide: fewer columns when narrow, then names cut to make it fit. */
function fittedTable(snapshot: KernelSnapshot, sortKey: TopSortKey, width: number): TableBlock {
  const rows = topRows(snapshot, sortKey);
  const columns =
    width >= NARROW_WIDTH
      ? TOP_COLUMNS
      : TOP_COLUMNS.filter((key) => NARROW_COLUMNS.includes(key) || key === sortKey);
  const block = topTable(rows, {sortKey, columns, maxNameChars: NAME_CHARS});
  const widths = columnWidths(block);
  const excess = widths.reduce((sum, w) => sum + w, 0) + 2 * (widths.length - 1) - width;
  const nameWidth = widths[columns.indexOf('name')]!;
  if (excess <= 0 || nameWidth <= MIN_NAME_CHARS) return block;
  const maxNameChars = Math.max(MIN_NAME_CHARS, nameWidth - excess);
  return topTable(rows, {sortKey, columns, maxNameChars});
}
