// The console's output history: every line a command printed, tables kept row by row so a window
// onto them still draws as an aligned table. Capped like a terminal's scrollback; the oldest rows
// go first. Lives outside React (useSyncExternalStore) so appending does not re-render the panes.

import type {Block, TableBlock} from '../format.js';
import {textWidth} from '../text-width.js';
import {visibleLine} from '../visible-text.js';

/** Rows kept; a `ps` of 1,000 processes fits several times over. */
export const MAX_SCROLLBACK_ROWS = 5_000;

export type OutputRow =
  | {kind: 'text'; text: string}
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
  append(blocks: readonly Block[]): void {
    for (const block of blocks) {
      if (typeof block === 'string') {
        // control characters written out; the shell's own colour codes kept
        for (const text of block.split('\n')) this.#rows.push({kind: 'text', text: visibleLine(text, true)});
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

/**
 * The largest useful offset for a view `width` x `height` (one of its rows says it is scrolled
 * back): the oldest row then sits at the top, so scrolling further would only show blank rows.
 */
export function outputScrollLimit(rows: readonly OutputRow[], width: number, height: number): number {
  let left = height - 1;
  let shown = 0;
  for (const row of rows) {
    left -= row.kind === 'text' ? rowsOf(row.text, width) : 1;
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
    const row = state.rows[i]!;
    const need = row.kind === 'text' ? rowsOf(row.text, width) : 1;
    if (need > left) break;
    left -= need;
    shown++;
  }
  return Math.max(1, shown);
}
