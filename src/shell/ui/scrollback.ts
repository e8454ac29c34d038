// The console's output history: every line a command printed, tables kept row by row so a window
// onto them still draws as an aligned table. Capped like a terminal's scrollback; the oldest rows
// go first. Lives outside React (useSyncExternalStore) so appending does not re-render the panes.

import type {Block, TableBlock} from '../format.js';

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
        for (const text of block.split('\n')) this.#rows.push({kind: 'text', text});
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

  /** Scroll back (positive) or forward (negative) by `rows`, within what is kept. */
  scroll(rows: number): void {
    this.#publish(Math.min(Math.max(0, this.#state.offset + rows), Math.max(0, this.#rows.length - 1)));
  }

  #publish(offset: number): void {
    this.#state = {rows: this.#rows.slice(), offset};
    for (const listener of this.#listeners) listener();
  }
}
