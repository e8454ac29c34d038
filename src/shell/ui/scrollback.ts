// The console's output history: every line a command printed, tables kept row by row so a window
// onto them still draws as an aligned table. Capped like a terminal's scrollback; the oldest rows
// go first. Lives outside React (useSyncExternalStore) so appending does not re-render the panes.

import type {Block, TableBlock} from '../format.js';
import {cutToWidth, textWidth} from '../text-width.js';
import {visibleLine} from '../visible-text.js';

/** Rows kept; a `ps` of 1,000 processes fits several times over. */
export const MAX_SCROLLBACK_ROWS = 5_000;

/**
 * A plain line whose wrapped rows start `indent` columns in, under its second column, as a man page's
 * tagged paragraph does (F1's key list): appended as a text row with that indent.
 */
export interface HangingLine {
  kind: 'hanging';
  text: string;
  indent: number;
}

/** What append takes: a command's blocks, or a line with a hanging indent. */
export type OutputBlock = Block | HangingLine;

export type OutputRow =
  /** A line of text; when it wraps, its rows after the first start `indent` columns in (@default 0). */
  | {kind: 'text'; text: string; indent?: number}
  /** Row `index` of `table`, or its header for -1. */
  | {kind: 'table'; table: TableBlock; index: number};

export interface ScrollbackState {
  rows: readonly OutputRow[];
  /** Rows scrolled back from the newest (0 = following the output). */
  offset: number;
}

export class Scrollback {
  #rows: OutputRow[] = [];
  #state: ScrollbackState = {rows: [], offset: 0};
  readonly #listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getState = (): ScrollbackState => this.#state;

  /** Append a command's output. New output scrolls back to the bottom, as a terminal does. */
  append(blocks: readonly OutputBlock[]): void {
    for (const block of blocks) {
      if (typeof block === 'string') {
        // control characters written out; the shell's own colour codes kept
        for (const text of block.split('\n')) this.#rows.push({kind: 'text', text: visibleLine(text, true)});
      } else if (block.kind === 'hanging') {
        this.#rows.push({kind: 'text', text: visibleLine(block.text, false), indent: block.indent});
      } else {
        for (let index = -1; index < block.rows.length; index++)
          this.#rows.push({kind: 'table', table: block, index});
      }
    }
    if (this.#rows.length > MAX_SCROLLBACK_ROWS) this.#rows = this.#rows.slice(-MAX_SCROLLBACK_ROWS);
    this.#publish(0);
  }

  clear(): void {
    this.#rows = [];
    this.#publish(0);
  }

  /**
   * Scroll back (positive) or forward (negative) by `rows`, within what is kept and to at most
   * `limit` (outputScrollLimit: where the oldest row reaches the top of the view).
   */
  scroll(rows: number, limit = Infinity): void {
    const max = Math.min(limit, Math.max(0, this.#rows.length - 1));
    const from = Math.min(this.#state.offset, max);
    this.#publish(Math.max(0, Math.min(from + rows, max)));
  }

  #publish(offset: number): void {
    this.#state = {rows: this.#rows.slice(), offset};
    for (const listener of this.#listeners) listener();
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g;

/** Terminal rows a text line takes at `width` columns (it wraps), colour codes aside. */
export function rowsOf(text: string, width: number): number {
  return Math.max(1, Math.ceil(textWidth(text.replace(ANSI, '')) / Math.max(1, width)));
}

/** Terminal rows an output row takes at `width` columns: a table row one, a text row as it wraps. */
export function rowHeight(row: OutputRow, width: number): number {
  if (row.kind === 'table') return 1;
  return row.indent === undefined ? rowsOf(row.text, width) : wrapHanging(row.text, width, row.indent).length;
}

/** A hanging indent applies only when it leaves the text this many columns; else rows start at 0. */
const MIN_HANGING_COLUMNS = 12;

/**
 * A plain line wrapped at `width` columns, breaking after a word where one ends in reach (else
 * mid-word), its rows after the first indented `indent` columns so they sit under the description.
 */
export function wrapHanging(text: string, width: number, indent: number): string[] {
  const columns = Math.max(1, width);
  const hang = columns - indent >= MIN_HANGING_COLUMNS ? Math.max(0, indent) : 0;
  const rows: string[] = [];
  let rest = text;
  let prefix = '';
  while (textWidth(prefix) + textWidth(rest) > columns) {
    const head = cutToWidth(rest, columns - prefix.length) || rest.slice(0, 1);
    // the word that ends at the edge stays; else the break goes after the last word that fits
    const space = rest[head.length] === ' ' ? head.length : head.lastIndexOf(' ');
    // a break inside the leading padding would leave an empty row: cut the word instead
    const cut = space > 0 && head.slice(0, space).trim() !== '' ? space : head.length;
    rows.push(prefix + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    prefix = ' '.repeat(hang);
  }
  rows.push(prefix + rest);
  return rows;
}

/**
 * The largest useful offset for a view `width` x `height` (one of its rows says it is scrolled
 * back): the oldest row then sits at the top, so scrolling further would only show blank rows.
 */
export function outputScrollLimit(rows: readonly OutputRow[], width: number, height: number): number {
  let left = height - 1;
  let shown = 0;
  for (const row of rows) {
    left -= rowHeight(row, width);
    if (left < 0) break;
    shown++;
  }
  return Math.max(0, rows.length - Math.max(1, shown));
}

/**
 * How many rows of the scrollback a view `width` x `height` shows at `offset` (one row fewer when
 * scrolled back: a row says so), as OutputView draws them: a wrapped text row takes its terminal
 * rows, a table row one. At least 1.
 */
export function outputRowsShown(state: ScrollbackState, width: number, height: number): number {
  let left = state.offset > 0 ? height - 1 : height;
  let shown = 0;
  for (let i = state.rows.length - 1 - state.offset; i >= 0 && left > 0; i--) {
    const need = rowHeight(state.rows[i]!, width);
    if (need > left) break;
    left -= need;
    shown++;
  }
  return Math.max(1, shown);
}
