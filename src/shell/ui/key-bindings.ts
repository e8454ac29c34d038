// The console's keys, listed once: the help bar shows the short labels, F1 prints the full list,
// and the README's key table is the same list.

import type {HangingLine} from './scrollback.js';

export interface KeyBinding {
  keys: string;
  /** Shown in the help bar, shortest first to go when the bar is narrow. */
  label?: string;
  action: string;
}

export const KEY_BINDINGS: readonly KeyBinding[] = [
  {keys: 'F1', label: 'keys', action: 'list these keys'},
  {keys: 'F2 F3 F4', label: 'panes', action: 'show or hide the scheduler, block-map and top panes'},
  {
    keys: 'Alt+1 Alt+2 Alt+3',
    label: 'focus',
    action: 'focus a pane (PgUp/PgDn then scroll it); Alt+0 or Esc: the output',
  },
  {keys: 'F5', label: 'pause', action: 'pause or resume the clock'},
  {
    keys: 'F6',
    label: 'sort',
    action: 'next sort key of the top pane (cpu, mem, pid, name, state, pri, time)',
  },
  {keys: 'F7 F8', label: 'speed', action: 'halve or double the clock rate'},
  {keys: 'F9', action: 'show or hide the downloads pane; Alt+4 focuses it'},
  {
    keys: 'PgUp PgDn',
    label: 'scroll',
    action: 'scroll the focused pane, or the output, a page at a time (one row stays in view)',
  },
  {keys: 'Up Down', action: 'earlier and later command lines (kept across sessions)'},
  {keys: 'Tab', action: 'complete a command, sub-command, pid or name; twice lists the choices'},
  {keys: 'Ctrl-A Ctrl-E Ctrl-U Ctrl-K Ctrl-W Alt-B Alt-F Alt-D', action: 'line editing, as in readline'},
  {keys: 'Ctrl-L', action: 'clear the output'},
  {
    keys: 'Ctrl-C',
    label: 'cancel',
    action: 'cancel the line, or stop the running command (the kernel keeps running)',
  },
  {keys: 'Ctrl-D', label: 'exit', action: 'leave (on an empty line), as does `exit`'},
];

/** Keys longer than this get a row of their own, their description under the others' (a man page's tagged paragraph). */
const MAX_KEY_COLUMN_CHARS = 20;

/**
 * The full list F1 prints: keys in one column, descriptions from the next, wrapped rows hanging
 * under the descriptions. Keys too long for the column (the line-editing chords) take a row alone.
 */
export function keyBindingLines(): HangingLine[] {
  const keyWidth = Math.max(
    ...KEY_BINDINGS.map((binding) => binding.keys.length).filter((length) => length <= MAX_KEY_COLUMN_CHARS),
  );
  const indent = keyWidth + 2;
  return KEY_BINDINGS.flatMap(({keys, action}): HangingLine[] =>
    keys.length > keyWidth
      ? [
          {kind: 'hanging', text: keys, indent},
          {kind: 'hanging', text: ' '.repeat(indent) + action, indent},
        ]
      : [{kind: 'hanging', text: keys.padEnd(indent) + action, indent}],
  );
}
