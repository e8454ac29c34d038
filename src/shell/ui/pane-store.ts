// The console's pane settings (shown, focused, top's sort key, scroll offsets) outside React, so
// the `pane` command and the keys change them through one object and the app re-renders on change
// (useSyncExternalStore). Names are checked by the caller (the command prints usage).

import type {PaneControl} from '../command.js';
import {defaultPaneSettings, PANE_NAMES, type PaneName, type PaneSettings} from './layout.js';
import {TOP_SORT_KEYS, type TopSortKey} from './top-rows.js';

export interface PaneState extends PaneSettings {
  sort: TopSortKey;
  /** First row shown, per scrollable pane. */
  scroll: Record<PaneName, number>;
}

export class PaneStore implements PaneControl {
  readonly names = PANE_NAMES;
  readonly sortKeys = TOP_SORT_KEYS;
  #state: PaneState = {
    ...defaultPaneSettings(),
    sort: 'cpu',
    scroll: {sched: 0, map: 0, top: 0, downloads: 0},
  };
  readonly #listeners = new Set<() => void>();

  /** The current settings; a new object after every change. */
  get state(): PaneState {
    return this.#state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getState = (): PaneState => this.#state;

  show(name: string): void {
    this.#setVisible(name as PaneName, true);
  }

  hide(name: string): void {
    const pane = name as PaneName;
    this.#update({
      visible: {...this.#state.visible, [pane]: false},
      focus: this.#state.focus === pane ? 'output' : this.#state.focus,
    });
  }

  toggle(name: PaneName): void {
    if (this.#state.visible[name]) this.hide(name);
    else this.show(name);
  }

  focus(name: string): void {
    if (name === 'output') {
      this.#update({focus: 'output'});
      return;
    }
    const pane = name as PaneName;
    this.#update({focus: pane, visible: {...this.#state.visible, [pane]: true}});
  }

  sort(key: string): void {
    this.#update({sort: key as TopSortKey, scroll: {...this.#state.scroll, top: 0}});
  }

  /** The next sort key after the current one (F6). */
  cycleSort(): void {
    const keys = TOP_SORT_KEYS;
    this.sort(keys[(keys.indexOf(this.#state.sort) + 1) % keys.length]!);
  }

  /**
   * Move the focused pane's first row by `rows` (negative is up), to at most `limit`, the first row of
   * its last screenful: rows scrolled past the end would have to be scrolled back before Up moved it.
   * The pane clamps it again when drawing, as its content shrinks.
   */
  scroll(name: PaneName, rows: number, limit = Infinity): void {
    const from = Math.min(this.#state.scroll[name], limit);
    const next = Math.max(0, Math.min(from + rows, limit));
    this.#update({scroll: {...this.#state.scroll, [name]: next}});
  }

  describe() {
    return {
      panes: PANE_NAMES.map((name) => ({
        name,
        visible: this.#state.visible[name],
        focused: this.#state.focus === name,
      })),
      sort: this.#state.sort,
    };
  }

  #setVisible(name: PaneName, visible: boolean): void {
    this.#update({visible: {...this.#state.visible, [name]: visible}});
  }

  #update(change: Partial<PaneState>): void {
    this.#state = {...this.#state, ...change};
    for (const listener of this.#listeners) listener();
  }
}
